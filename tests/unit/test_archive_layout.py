"""CloudTrail's S3 key layout, and pruning by account, region and date from it alone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rootguard._archive_layout import DELIVERY_SLACK, Pruner, layout
from rootguard._fastscan import RecordFilter

UTC = timezone.utc
ACCT = "111122223333"


def _parts(key: str) -> list[str]:
    return key.split("/")


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        ("AWSLogs", ("top", None, None, None)),
        (f"AWSLogs/{ACCT}", ("account", ACCT, None, None)),
        (f"AWSLogs/o-aa1bb2cc3d/{ACCT}", ("account", ACCT, None, None)),
        (f"trail/AWSLogs/{ACCT}/CloudTrail", ("service", ACCT, None, None)),
        (f"AWSLogs/{ACCT}/CloudTrail/eu-west-1", ("region", ACCT, "eu-west-1", None)),
        (
            f"AWSLogs/o-aa1bb2cc3d/{ACCT}/CloudTrail/us-gov-west-1/2024/05/01",
            ("day", ACCT, "us-gov-west-1", (2024, 5, 1)),
        ),
        (f"AWSLogs/{ACCT}/CloudTrail-Digest/eu-west-1/2024", ("year", ACCT, "eu-west-1", None)),
        ("some/other/folder", ("pre", None, None, None)),
        ("AWSLogs/not-an-account/CloudTrail", ("other", None, None, None)),
        (f"AWSLogs/{ACCT}/CloudTrail/eu-west-1/2024/13", ("other", ACCT, "eu-west-1", None)),
        (f"AWSLogs/{ACCT}/CloudTrail/eu-west-1/2024/02/30", ("other", ACCT, "eu-west-1", None)),
        (f"AWSLogs/{ACCT}/CloudTrail/eu-west-1/2024/02/03/x", ("other", ACCT, "eu-west-1", None)),
    ],
)
def test_layout(folders: str, expected: tuple[object, ...]) -> None:
    lay = layout(_parts(folders))
    level, account, region, day = expected
    assert lay.level == level
    assert lay.account == account
    assert lay.region == region
    if day is not None:
        assert (lay.year, lay.month, lay.day) == day


def _pruner(**kwargs: object) -> Pruner:
    return Pruner.of(RecordFilter(**kwargs))  # type: ignore[arg-type]


def test_prune_by_account_and_region() -> None:
    pruner = _pruner(accounts=frozenset({ACCT}), regions=frozenset({"eu-west-1"}))
    assert pruner.prunes(layout(_parts("AWSLogs/222222222222")))
    assert not pruner.prunes(layout(_parts(f"AWSLogs/{ACCT}")))
    assert pruner.prunes(layout(_parts(f"AWSLogs/{ACCT}/CloudTrail/us-east-1")))
    assert not pruner.prunes(layout(_parts(f"AWSLogs/{ACCT}/CloudTrail/eu-west-1/2024")))
    # Outside the layout nothing can be pruned.
    assert not pruner.prunes(layout(_parts("elsewhere/222222222222/us-east-1")))


def test_prune_by_date_with_delivery_slack() -> None:
    since = datetime(2024, 5, 10, 12, tzinfo=UTC)
    until = datetime(2024, 5, 20, tzinfo=UTC)
    pruner = _pruner(since=since, until=until)
    base = f"AWSLogs/{ACCT}/CloudTrail/eu-west-1"
    assert pruner.prunes(layout(_parts(f"{base}/2023")))
    assert not pruner.prunes(layout(_parts(f"{base}/2024")))
    assert pruner.prunes(layout(_parts(f"{base}/2024/04")))
    assert not pruner.prunes(layout(_parts(f"{base}/2024/05")))
    assert pruner.prunes(layout(_parts(f"{base}/2024/05/09")))
    assert not pruner.prunes(layout(_parts(f"{base}/2024/05/10")))
    # Files are filed by delivery date: a day after `until` may still hold events before it.
    last = (until + DELIVERY_SLACK).date()
    assert last == date(2024, 5, 21)
    assert not pruner.prunes(layout(_parts(f"{base}/2024/05/21")))
    assert pruner.prunes(layout(_parts(f"{base}/2024/05/22")))


def test_prunes_below_stops_when_nothing_more_can_be_pruned() -> None:
    base = f"AWSLogs/{ACCT}/CloudTrail/eu-west-1"
    assert not _pruner().prunes_below(layout(_parts("AWSLogs")))
    assert _pruner(accounts=frozenset({ACCT})).prunes_below(layout(_parts("AWSLogs")))
    assert not _pruner(accounts=frozenset({ACCT})).prunes_below(layout(_parts(f"AWSLogs/{ACCT}")))
    assert _pruner(regions=frozenset({"x"})).prunes_below(layout(_parts(f"AWSLogs/{ACCT}")))
    window = _pruner(
        since=datetime(2024, 5, 10, tzinfo=UTC), until=datetime(2024, 8, 1, tzinfo=UTC)
    )
    assert window.prunes_below(layout(_parts(base)))
    assert window.prunes_below(layout(_parts(f"{base}/2024")))
    assert window.prunes_below(layout(_parts(f"{base}/2024/05")))  # partly inside
    assert not window.prunes_below(layout(_parts(f"{base}/2024/06")))  # wholly inside
    assert not window.prunes_below(layout(_parts(f"{base}/2024/05/11")))


_days = st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 12, 31))
_times = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(day=_days, since=st.none() | _times, until=st.none() | _times)
def test_a_folder_is_pruned_only_when_it_cannot_hold_a_wanted_event(
    day: date, since: datetime | None, until: datetime | None
) -> None:
    if since is not None and until is not None and until < since:
        since, until = until, since
    pruner = _pruner(since=since, until=until)
    # A day folder holds files delivered that day; an event is delivered 0 to
    # DELIVERY_SLACK after it happened, so the folder holds events of
    # [day - slack, day + 1 day). Wanted events: [since, until).
    day_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    may_hold = (since is None or since < day_start + timedelta(days=1)) and (
        until is None or until > day_start - DELIVERY_SLACK
    )
    base = f"AWSLogs/{ACCT}/CloudTrail/eu-west-1"
    day_folder = layout(_parts(f"{base}/{day:%Y/%m/%d}"))
    if pruner.prunes(day_folder):
        assert not may_hold
    # A month or year folder is pruned only when each of its days is.
    for folder in (f"{base}/{day:%Y/%m}", f"{base}/{day:%Y}"):
        if pruner.prunes(layout(_parts(folder))):
            assert pruner.prunes(day_folder)

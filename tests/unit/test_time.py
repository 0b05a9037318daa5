"""rootguard._time: one function per text form, naive values taken as UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from rootguard._time import as_utc, iso_z, iso_z_millis, minute_text, second_text, utc_now

PARIS = timezone(timedelta(hours=2))
WHEN = datetime(2024, 5, 2, 10, 0, 7, 123456, tzinfo=PARIS)  # 08:00:07.123456 UTC


def test_each_form() -> None:
    assert iso_z(WHEN) == "2024-05-02T08:00:07.123456Z"
    assert iso_z_millis(WHEN) == "2024-05-02T08:00:07.123Z"
    assert minute_text(WHEN) == "2024-05-02 08:00"
    assert second_text(WHEN) == "2024-05-02 08:00:07 UTC"
    assert minute_text(None) == second_text(None) == "-"


def test_naive_values_are_utc() -> None:
    naive = datetime(2024, 5, 2, 8, 0, 7)
    assert as_utc(naive) == naive.replace(tzinfo=timezone.utc)
    assert iso_z(naive) == "2024-05-02T08:00:07Z"
    assert as_utc(None) is None


def test_now_is_aware_utc() -> None:
    now = utc_now()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)


@given(
    st.datetimes(timezones=st.sampled_from([timezone.utc, PARIS, timezone(-timedelta(hours=7))]))
)
def test_iso_z_round_trips_the_instant(value: datetime) -> None:
    text = iso_z(value)
    assert text.endswith("Z")
    back = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert back == value
    assert as_utc(value) == value

"""Properties of evaluate(): never crashes, every check id appears, exact JSON round trip."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rootguard._posture._catalogue import ACCOUNT_CHECK_IDS
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Status
from rootguard._posture._report import Report
from rootguard._snapshot import AccountSnapshot
from tests.strategies import account_snapshots

_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(account_snapshots())
def test_evaluate_never_crashes_and_reports_every_check(snapshot: AccountSnapshot) -> None:
    report = evaluate(snapshot)
    assert {f.check_id for f in report.findings} >= set(ACCOUNT_CHECK_IDS)
    assert sum(report.counts.values()) == len(report.findings)
    for finding in report.findings:
        assert finding.detail
        assert finding.resource
        if finding.status is Status.PASS:
            assert finding.remediation == ""


@_SETTINGS
@given(account_snapshots())
def test_evaluation_of_a_snapshot_survives_its_json_round_trip(snapshot: AccountSnapshot) -> None:
    again = AccountSnapshot.model_validate_json(snapshot.model_dump_json())
    assert evaluate(again) == evaluate(snapshot)


@_SETTINGS
@given(account_snapshots(), st.sampled_from([None, datetime(2025, 1, 1, tzinfo=timezone.utc)]))
def test_report_json_round_trip_is_exact(snapshot: AccountSnapshot, now: datetime | None) -> None:
    report = evaluate(snapshot, now=now)
    text = report.to_json()
    again = Report.from_json(text)
    assert again == report
    assert again.to_json() == text


@settings(max_examples=40, deadline=None)
@given(account_snapshots())
def test_evaluate_is_deterministic(snapshot: AccountSnapshot) -> None:
    assert evaluate(snapshot) == evaluate(snapshot)


@settings(max_examples=40, deadline=None)
@given(account_snapshots())
def test_a_recorded_gap_never_turns_unknown_into_pass(snapshot: AccountSnapshot) -> None:
    # Clearing every collected list makes each check either UNKNOWN or NOT_APPLICABLE /
    # FAIL from what is left - never PASS on missing data.
    bare = AccountSnapshot(
        account_id=snapshot.account_id,
        collected_at=snapshot.collected_at,
        regions=snapshot.regions,
        gaps=snapshot.gaps,
    )
    for finding in evaluate(bare).findings:
        assert finding.status is not Status.PASS, finding

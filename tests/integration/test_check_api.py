"""check() = collect + evaluate, against moto (in-process and over HTTP)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from rootguard._check_api import check
from rootguard._collect import collect
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Status
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from tests.integration.accounts import populate_account
from tests.integration.conftest import HOME, deny
from tests.integration.moto_root import RootKey, RootState, moto_root

SECOND = "eu-west-1"
REGIONS = [HOME, SECOND]


def statuses(report: Report) -> dict[tuple[str, str | None], Status]:
    return {(f.check_id, f.region): f.status for f in report.findings}


@pytest.fixture
def populated(aws: boto3.Session) -> Any:
    now = datetime.now(timezone.utc)
    root = RootState(
        mfa="virtual",
        password_last_used=now - timedelta(days=400),
        access_keys=(RootKey(last_used=now - timedelta(hours=2)),),
        organization_features=("RootCredentialsManagement",),
    )
    with moto_root(root):
        yield aws, populate_account(aws, regions=REGIONS)


def test_check_collects_and_evaluates_a_moto_account(populated: Any) -> None:
    session, _ = populated
    report = check(session=session, regions=REGIONS)
    got = statuses(report)
    assert got[("root.mfa_enabled", None)] is Status.PASS
    assert got[("root.hardware_mfa", None)] is Status.FAIL  # virtual device on root
    assert got[("root.no_access_keys", None)] is Status.FAIL
    assert got[("root.recent_usage", None)] is Status.FAIL  # the key, not the old password
    assert got[("root.centralized_access", None)] is Status.PASS
    assert got[("cloudtrail.multi_region", None)] is Status.PASS
    assert got[("cloudtrail.log_validation", None)] is Status.PASS
    # moto never reports a CloudWatch Logs delivery time: not confirmed, not guessed.
    assert got[("cloudtrail.cloudwatch_logs", None)] is Status.UNKNOWN
    assert report.by_check("monitoring.root_metric_alarm")[0].status is Status.PASS
    assert got[("monitoring.root_eventbridge", HOME)] is Status.PASS
    assert got[("monitoring.root_eventbridge", SECOND)] is Status.PASS
    assert report.generated_at is not None
    assert [a.credential for a in report.root_activity] == ["access_key_1"]


def test_check_equals_evaluate_of_collect_with_a_policy(populated: Any) -> None:
    session, _ = populated
    policy = Policy(cloudwatch_delivery_max_age_hours=None)
    report = check(session=session, regions=REGIONS, policy=policy)
    assert report.by_check("cloudtrail.cloudwatch_logs")[0].status is Status.PASS
    snapshot = collect(session=session, regions=REGIONS)
    again = evaluate(snapshot, policy=policy)
    assert statuses(again) == statuses(report)


def test_denied_eventbridge_in_one_region_is_unknown_there_only(populated: Any) -> None:
    session, _ = populated
    deny(session, "events", "ListRules", region=SECOND)
    report = check(session=session, regions=REGIONS)
    got = statuses(report)
    assert got[("monitoring.root_eventbridge", SECOND)] is Status.UNKNOWN
    assert got[("monitoring.root_eventbridge", HOME)] is Status.PASS
    finding = next(f for f in report.by_check("monitoring.root_eventbridge") if f.region == SECOND)
    assert "events:ListRules" in finding.detail

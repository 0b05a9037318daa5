"""apply()'s read-then-decide step for one action, against a fake client (no AWS): the
plan's alarm parameters are compared with what exists before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest

from rootguard._remediation._actions import ApiAction, PutMetricAlarm
from rootguard._remediation._handlers_alerting import _metric_alarm
from rootguard._remediation._handling import Context
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._plan import Plan
from rootguard._remediation._planner import plan
from rootguard._snapshot import AccountSnapshot
from tests.snapshot_builders import ACCOUNT, HOME


class _FakeCloudWatch:
    def __init__(self, alarms: list[dict[str, Any]]) -> None:
        self.alarms = alarms

    def describe_alarms(self, **_: Any) -> dict[str, Any]:
        return {"MetricAlarms": self.alarms}


class _FakeFactory:
    """Hands the handler its one client (a handler makes its typed client itself)."""

    def __init__(self, client: _FakeCloudWatch) -> None:
        self.made: list[tuple[str, str | None]] = []
        self._client = client

    def client(self, service: str, region: str | None) -> _FakeCloudWatch:
        self.made.append((service, region))
        return self._client


def _alarm_plan() -> tuple[Plan, ApiAction]:
    empty = {
        "region": HOME,
        "trails": [],
        "log_groups": [],
        "alarms": [],
        "topics": [],
        "event_rules": [],
    }
    snap = AccountSnapshot(account_id=ACCOUNT, regions=[HOME], trails=[], region_data={HOME: empty})
    p = plan(snap, RemediationOptions(alert_emails=("secops@example.com",)))
    (action,) = [a for a in p.api_actions if a.kind == "PutMetricAlarm"]
    return p, action


@pytest.mark.parametrize(("datapoints", "unchanged"), [(None, True), (1, True), (2, False)])
def test_alarm_needing_more_datapoints_is_put_again(
    datapoints: int | None, unchanged: bool
) -> None:
    p, action = _alarm_plan()
    existing = {k: v for k, v in action.params.items() if k != "Tags"}
    if datapoints is not None:
        existing["DatapointsToAlarm"] = datapoints
    assert isinstance(action, PutMetricAlarm)
    factory = _FakeFactory(_FakeCloudWatch([existing]))
    ctx = Context(factory=factory, plan=p)  # type: ignore[arg-type]  # a fake factory
    decision = _metric_alarm(ctx, action)
    assert factory.made == [("cloudwatch", HOME)]
    assert (decision.calls == []) is unchanged
    if not unchanged:
        (call,) = decision.calls
        assert call.operation == "PutMetricAlarm"
        assert "DatapointsToAlarm" not in call.params  # AWS resets it to EvaluationPeriods

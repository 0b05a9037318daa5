"""apply() against moto: convergence, idempotency, dry run, faults, adoption, pending
subscriptions. In-process (``mock_aws``) and over HTTP (``ThreadedMotoServer``)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from rootguard import ApplyError
from rootguard._remediation._apply import apply
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._outcomes import ActionStatus, ApplyResult
from rootguard._remediation._plan import Plan
from rootguard._remediation._planner import plan
from tests.integration.remediation import (
    HOME,
    OPTIONS,
    REGIONS,
    SECOND,
    alarm_names,
    checks,
    empty_account_plan,
    fail_nth_mutating,
    failing_chain_checks,
    record_calls,
    rules_with_root_pattern,
    seed_trail,
    snapshot,
    stub_config_compliance,
    topic_arns,
    trails,
)

EMPTY_PLAN = empty_account_plan()


def test_apply_converges_and_second_apply_changes_nothing(aws: boto3.Session) -> None:
    stub_config_compliance(aws)
    first_plan = plan(snapshot(aws), OPTIONS)
    assert first_plan == EMPTY_PLAN  # the pure model of a fresh account is exact
    result = apply(first_plan, session=aws)
    assert result.ok, [o.error for o in result.failed]
    assert {o.status for o in result.outcomes} == {ActionStatus.APPLIED}
    assert all(len(o.calls) == 1 for o in result.applied)
    assert ApplyResult.model_validate_json(result.model_dump_json()) == result

    after = snapshot(aws)
    replan = plan(after, OPTIONS)
    assert replan.is_empty
    assert replan.complete  # nothing it could not read either
    assert failing_chain_checks(checks(after)) == []

    recorder = record_calls(aws)
    again = apply(first_plan, session=aws)
    assert again.ok
    assert {o.status for o in again.outcomes} == {ActionStatus.UNCHANGED}
    assert recorder.mutating == []
    assert len(trails(aws)) == 1
    assert len(topic_arns(aws)) == 1


def test_dry_run_sends_no_mutating_call(inprocess: boto3.Session) -> None:
    p = plan(snapshot(inprocess), OPTIONS)
    recorder = record_calls(inprocess)
    result = apply(p, session=inprocess, dry_run=True)
    assert result.dry_run
    assert result.ok
    assert recorder.calls, "the dry run reads the resources"
    assert recorder.mutating == []
    assert all(o.status is ActionStatus.SKIPPED for o in result.outcomes)
    assert all("would call" in o.detail for o in result.outcomes)
    assert trails(inprocess) == []
    assert plan(snapshot(inprocess), OPTIONS) == p


def test_dry_run_after_apply_reports_unchanged(inprocess: boto3.Session) -> None:
    p = plan(snapshot(inprocess), OPTIONS)
    assert apply(p, session=inprocess).ok
    recorder = record_calls(inprocess)
    result = apply(p, session=inprocess, dry_run=True)
    assert recorder.mutating == []
    assert {o.status for o in result.outcomes} == {ActionStatus.UNCHANGED}


@pytest.mark.parametrize("n", range(len(EMPTY_PLAN.api_actions)))
def test_fault_at_each_mutating_call_then_replan_converges(aws_env: None, n: int) -> None:
    expected = EMPTY_PLAN.api_actions[n]
    with mock_aws():
        session = boto3.Session(region_name=HOME)
        failed_op = fail_nth_mutating(session, n)
        result = apply(EMPTY_PLAN, session=session)
        assert failed_op() == expected.operation
        assert [o.action.id for o in result.failed] == [expected.id]
        assert not result.ok
        assert result.failed[0].error_code == "InternalFailure"
        # every dependent of the failed action (transitively) is skipped, nothing else
        blocked = {expected.id}
        for action in EMPTY_PLAN.actions:
            if blocked & set(action.depends_on):
                blocked.add(action.id)
        for outcome in result.outcomes:
            if outcome.action.id in blocked - {expected.id}:
                assert outcome.status is ActionStatus.SKIPPED, outcome.action.id
            elif outcome.action.id != expected.id:
                assert outcome.status is ActionStatus.APPLIED, outcome.action.id

        fresh = boto3.Session(region_name=HOME)
        replan = plan(snapshot(fresh), OPTIONS)
        assert not replan.is_empty
        assert apply(replan, session=fresh).ok
        final = snapshot(fresh)
        assert plan(final, OPTIONS).is_empty
        assert failing_chain_checks(checks(final)) == []
        assert len(trails(fresh)) == 1
        assert len(topic_arns(fresh)) == 1
        assert topic_arns(fresh, SECOND) == []
        for region in REGIONS:
            assert len(rules_with_root_pattern(fresh, region)) == 1
        assert alarm_names(fresh) == ["rootguard-root-account-usage"]


def test_connection_error_becomes_failed_outcome(inprocess: boto3.Session) -> None:
    p = plan(snapshot(inprocess), OPTIONS)

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com")

    inprocess.events.register_first("before-call.sns.CreateTopic", unreachable)
    result = apply(p, session=inprocess)
    assert [o.action.kind for o in result.failed] == ["CreateTopic"]
    assert result.failed[0].error_code == "EndpointConnectionError"
    skipped = {o.action.kind for o in result.outcomes if o.status is ActionStatus.SKIPPED}
    assert {"SetTopicPolicy", "Subscribe", "PutMetricAlarm"} <= skipped
    assert [t["Name"] for t in trails(inprocess)] == ["rootguard"]


def test_propagation_errors_are_retried(
    inprocess: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rootguard._remediation._apply as apply_module

    slept: list[float] = []
    monkeypatch.setattr(apply_module, "_sleep", slept.append)
    fail_once = {"left": 2}

    def not_yet(**_: Any) -> Any:
        if fail_once["left"] == 0:
            return None
        fail_once["left"] -= 1
        from botocore.awsrequest import AWSResponse

        parsed = {
            "Error": {
                "Code": "InvalidCloudWatchLogsRoleArnException",
                "Message": "Access denied. Verify in IAM that the role has adequate permissions.",
            },
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse("https://x.invalid", 400, {}, None), parsed

    inprocess.events.register_first("before-call.cloudtrail.CreateTrail", not_yet)
    result = apply(plan(snapshot(inprocess), OPTIONS), session=inprocess)
    assert result.ok
    assert len(slept) == 2
    outcome = next(o for o in result.outcomes if o.action.kind == "CreateTrail")
    assert outcome.status is ActionStatus.APPLIED


def test_existing_foreign_role_is_a_conflict_not_overwritten(inprocess: boto3.Session) -> None:
    iam = inprocess.client("iam")
    foreign_trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )
    iam.create_role(RoleName="rootguard-cloudtrail-logs", AssumeRolePolicyDocument=foreign_trust)
    result = apply(plan(snapshot(inprocess), OPTIONS), session=inprocess)
    failed = {o.action.id: o for o in result.failed}
    assert list(failed) == ["CreateRole:global:rootguard-cloudtrail-logs"]
    assert failed["CreateRole:global:rootguard-cloudtrail-logs"].error_code == "RoleConflict"
    skipped = {o.action.kind for o in result.outcomes if o.status is ActionStatus.SKIPPED}
    assert {"PutRolePolicy", "CreateTrail", "StartLogging"} <= skipped
    role = iam.get_role(RoleName="rootguard-cloudtrail-logs")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }


def test_adopts_existing_trail_without_a_second_one(inprocess: boto3.Session) -> None:
    arn = seed_trail(inprocess, name="user-trail", validation=False, write_only=True)
    opts = RemediationOptions(alert_emails=("a@example.com",), enable_config_rules=False)
    p, result = _plan_apply(inprocess, opts)
    kinds = {a.kind for a in p.api_actions}
    assert "CreateTrail" not in kinds
    assert "CreateBucket" not in kinds
    update = next(a for a in p.api_actions if a.kind == "UpdateTrail")
    assert update.resource == arn
    assert set(update.params) == {
        "Name",
        "EnableLogFileValidation",
        "CloudWatchLogsLogGroupArn",
        "CloudWatchLogsRoleArn",
    }
    assert result.ok
    (trail,) = trails(inprocess)
    assert trail["Name"] == "user-trail"
    assert trail["LogFileValidationEnabled"] is True
    assert trail["CloudWatchLogsLogGroupArn"].endswith(":log-group:rootguard-cloudtrail:*")
    assert trail["S3BucketName"] == "user-trail-bucket"  # untouched
    selectors = inprocess.client("cloudtrail").get_event_selectors(TrailName="user-trail")[
        "EventSelectors"
    ]
    assert [s["ReadWriteType"] for s in selectors] == ["WriteOnly", "All"]  # kept, then added
    assert plan(snapshot(inprocess), opts).is_empty


def test_pending_subscription_is_reported_and_not_subscribed_again(
    inprocess: boto3.Session,
) -> None:
    def pending(parsed: dict[str, Any], **_: Any) -> None:
        parsed["SubscriptionArn"] = "pending confirmation"

    def still_pending(parsed: dict[str, Any], **_: Any) -> None:
        for sub in parsed.get("Subscriptions", []):
            sub["SubscriptionArn"] = "PendingConfirmation"

    inprocess.events.register("after-call.sns.Subscribe", pending)
    p = plan(snapshot(inprocess), OPTIONS)
    result = apply(p, session=inprocess)
    assert result.ok
    assert [(c.protocol, c.endpoint) for c in result.pending_confirmations] == [
        ("email", "secops@example.com")
    ]
    assert "pending" in result.to_text()

    inprocess.events.register("after-call.sns.ListSubscriptionsByTopic", still_pending)
    recorder = record_calls(inprocess)
    again = apply(p, session=inprocess)
    assert "Subscribe" not in recorder.operations
    sub = next(o for o in again.outcomes if o.action.kind == "Subscribe")
    assert sub.status is ActionStatus.UNCHANGED
    assert len(again.pending_confirmations) == 1

    replan = plan(snapshot(inprocess), OPTIONS)
    assert replan.is_empty
    assert [a.description for a in replan.manual_steps] == [
        "confirm the pending subscription email secops@example.com"
    ]


def test_apply_takes_plan_json_and_rejects_garbage(inprocess: boto3.Session) -> None:
    p = plan(snapshot(inprocess), OPTIONS)
    assert apply(p.to_json(), session=inprocess, dry_run=True).dry_run
    with pytest.raises(ApplyError):
        apply('{"not": "a plan"}', session=inprocess)
    with pytest.raises(ApplyError):
        apply(42, session=inprocess)  # type: ignore[arg-type]


def test_never_deletes_or_stops(inprocess: boto3.Session) -> None:
    recorder = record_calls(inprocess)
    seed_trail(inprocess, name="user-trail", logging=False)
    recorder.clear()
    _plan_apply(inprocess, OPTIONS)
    forbidden = ("Delete", "Remove", "Stop", "Untag", "Detach", "Disable", "Deregister")
    assert [op for op in recorder.mutating if op.startswith(forbidden)] == []
    assert [t["Name"] for t in trails(inprocess)] == ["user-trail"]


def _plan_apply(session: boto3.Session, opts: RemediationOptions) -> tuple[Plan, Any]:
    p = plan(snapshot(session), opts)
    return p, apply(p, session=session)

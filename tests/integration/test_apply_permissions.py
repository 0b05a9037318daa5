"""required_permissions() covers every AWS call collect and apply make (recorded on moto
with a botocore ``before-call`` handler)."""

from __future__ import annotations

import boto3
import pytest

from rootguard._errors import RootGuardError
from rootguard._permissions import (
    CHECK_ACTIONS,
    REMEDIATE_ACTIONS,
    iam_action,
    required_permissions,
)
from rootguard._remediation._apply import apply
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._planner import plan
from tests.integration.accounts import populate_account
from tests.integration.remediation import (
    OPTIONS,
    REGIONS,
    Recorder,
    fail_nth_mutating,
    is_mutating,
    record_calls,
    seed_config,
    seed_trail,
    snapshot,
)


def allowed(mode: str) -> set[str]:
    granted: set[str] = set()
    for statement in required_permissions(mode)["Statement"]:  # type: ignore[arg-type]
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    return granted


def needed(recorder: Recorder) -> set[str]:
    return {iam_action(service, operation) for service, operation, _ in recorder.calls}


def test_policy_documents_are_well_formed() -> None:
    check = required_permissions("check")
    remediate = required_permissions("remediate")
    assert check["Version"] == remediate["Version"] == "2012-10-17"
    assert allowed("check") == set(CHECK_ACTIONS)
    assert allowed("remediate") == {
        *CHECK_ACTIONS,
        *REMEDIATE_ACTIONS,
        "iam:PassRole",
        "iam:CreateServiceLinkedRole",
    }
    assert not any(
        is_mutating(a.split(":")[1]) for a in CHECK_ACTIONS if a != "sts:GetCallerIdentity"
    )
    pass_role = next(s for s in remediate["Statement"] if s["Action"] == "iam:PassRole")
    assert set(pass_role["Condition"]["StringEquals"]["iam:PassedToService"]) == {
        "cloudtrail.amazonaws.com",
        "config.amazonaws.com",
        "events.amazonaws.com",
    }
    required_permissions("check")["Statement"].clear()  # a copy: the next call is intact
    assert required_permissions("check")["Statement"]
    with pytest.raises(RootGuardError, match="mode"):
        required_permissions("admin")  # type: ignore[arg-type]


def test_check_policy_covers_collect_of_a_populated_account(inprocess: boto3.Session) -> None:
    populate_account(inprocess, regions=list(REGIONS))
    recorder = record_calls(inprocess)
    snapshot(inprocess)
    assert len(recorder.calls) > 30
    assert needed(recorder) <= allowed("check"), needed(recorder) - allowed("check")


def test_remediate_policy_covers_apply_from_empty_partial_and_faulted(
    aws_env: None,
) -> None:
    from moto import mock_aws

    seen: set[str] = set()
    scenarios = ["empty", "adopt", "fault"]
    for scenario in scenarios:
        with mock_aws():
            session = boto3.Session(region_name="us-east-1")
            opts: RemediationOptions = OPTIONS
            if scenario == "adopt":
                seed_trail(session, name="user-trail", logging=False, write_only=True)
                seed_config(session, recording=False, rules=False)
            recorder = record_calls(session)
            if scenario == "fault":
                fail_nth_mutating(session, 9)
            result = apply(plan(snapshot(session), opts), session=session)
            assert result.ok == (scenario != "fault")
            replan = plan(snapshot(session), opts)
            assert apply(replan, session=session).ok
            assert apply(replan, session=session, dry_run=True).ok
            seen |= needed(recorder)
    assert seen <= allowed("remediate"), seen - allowed("remediate")
    # every remediation action the plan declares was really needed somewhere
    assert {"cloudtrail:CreateTrail", "cloudtrail:UpdateTrail", "s3:PutBucketPolicy"} <= seen

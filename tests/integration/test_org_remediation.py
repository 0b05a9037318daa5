"""Organization remediation on moto: audit → plan_organization → apply_organization →
audit again, until the plan is empty and the organization checks pass.

moto has no centralized root access: rootguard/_moto_seed.py answers ``sts:AssumeRoot``,
the IAM organization features (``ListOrganizationsFeatures`` and the two ``Enable…``
calls, which need trusted access for IAM enabled in moto's organization) and the root
user's reads and deletions in a root session, from each account's :class:`RootState`.
Each test builds its own small organization (tests/integration/org_builder.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from rootguard import (
    ActionStatus,
    ApplyError,
    MemberRootAudit,
    OrganizationPlan,
    Status,
    apply_organization,
    audit_member_roots,
    plan_organization,
    required_permissions,
)
from rootguard._moto_seed import root_sessions
from rootguard._permissions import iam_action
from tests.integration.conftest import HOME, count_calls, new_session
from tests.integration.moto_root import RootKey, RootState
from tests.integration.org_builder import BuiltOrganization, member_session, moto_organization

NOW = datetime.now(timezone.utc)
CONTACT = {
    "name": "SecOps",
    "title": "Security team",
    "email_address": "secops@example.com",
    "phone_number": "+1 555 0100",
}
ROOTS: dict[str, Callable[[str], RootState]] = {
    # every standing credential a root user can hold
    "alpha": lambda a: RootState(
        account_id=a,
        mfa="virtual",
        password_last_used=NOW - timedelta(days=3),
        access_keys=(RootKey(last_used=NOW - timedelta(hours=2)), RootKey(active=False)),
        signing_certificates=(True,),
    ),
    # already clean
    "beta": lambda a: RootState(account_id=a, password_last_used="N/A", mfa="none"),
    # a password and a hardware key
    "gamma": lambda a: RootState(account_id=a, mfa="hardware"),
}
MEMBERS = tuple((name, "plain") for name in ROOTS)
ORG_CHECKS = (
    "organization.root_sessions",
    "organization.deny_root_scp",
    "organization.security_contact",
    "organization.member_root_no_password",
    "organization.member_root_no_access_keys",
    "organization.member_root_no_signing_certificates",
)


@pytest.fixture(autouse=True)
def _aws(aws_env: None) -> None:
    """Fake credentials and no configuration files (conftest's aws_env)."""


@contextmanager
def organization(
    *,
    features: tuple[str, ...] = (),
    trusted: bool = False,
    scp: bool = False,
    contacts: bool = False,
) -> Iterator[tuple[boto3.Session, BuiltOrganization]]:
    """A fresh organization: alpha in OU Workloads, beta and gamma at the root."""
    with mock_aws():
        session = new_session()
        with moto_organization(
            session,
            members=MEMBERS,
            regions=[HOME],
            root_states=ROOTS,
            management_features=features,
        ) as built:
            org = session.client("organizations", region_name=HOME)
            root_id = org.list_roots()["Roots"][0]["Id"]
            ou = org.create_organizational_unit(ParentId=root_id, Name="Workloads")
            org.move_account(
                AccountId=built.id("alpha"),
                SourceParentId=root_id,
                DestinationParentId=ou["OrganizationalUnit"]["Id"],
            )
            if trusted:
                org.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
            if scp:
                org.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
            if contacts:
                account = session.client("account", region_name=HOME)
                contact = {
                    "AlternateContactType": "SECURITY",
                    "Name": "Existing",
                    "Title": "Kept",
                    "EmailAddress": "kept@example.com",
                    "PhoneNumber": "+1 555 0199",
                }
                account.put_alternate_contact(**contact)
                for name in ROOTS:
                    account.put_alternate_contact(AccountId=built.id(name), **contact)
            yield session, built


def options(built: BuiltOrganization, *names: str) -> dict[str, Any]:
    return {
        "security_contact": CONTACT,
        "delete_root_credentials": [built.id(n) for n in names],
    }


def statuses(audit: MemberRootAudit) -> dict[tuple[str, str | None], Status]:
    return {(f.check_id, f.evidence.get("account_id")): f.status for f in audit.findings}


def converge(
    session: boto3.Session, opts: dict[str, Any], rounds: int = 4
) -> tuple[list[OrganizationPlan], MemberRootAudit]:
    """Audit, plan and apply until the plan is empty and complete; the plans made."""
    plans: list[OrganizationPlan] = []
    for _ in range(rounds):
        audit = audit_member_roots(session=session)
        plan = plan_organization(audit, opts)
        plans.append(plan)
        if plan.is_empty and plan.complete:
            return plans, audit
        result = apply_organization(plan, session=session)
        assert result.ok, result.to_text()
    raise AssertionError(f"no convergence in {rounds} rounds: {plans[-1].to_text()}")


# ---------------------------------------------------------------------------- end to end


def test_a_fresh_organization_converges_and_every_check_passes() -> None:
    with organization() as (session, built):
        granted = {
            a
            for s in required_permissions("organization-remediate")["Statement"]
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }
        calls = count_calls(session)
        plans, audit = converge(session, options(built, "alpha", "gamma"))
        first, second, last = plans
        # round 1: centralized root access is off, so no root user could be read and
        # nothing about them is planned — it is blocked, not guessed
        assert [a.kind for a in first.api_actions][:4] == [
            "EnableIamTrustedAccess",
            "EnableRootCredentialsManagement",
            "EnableRootSessions",
            "EnableScpPolicyType",
        ]
        assert {b.kind.value for b in first.blocked} == {"root_credentials"}
        assert not any(a.kind.startswith("DeleteRoot") for a in first.actions)
        # round 2: the root users were read; only the named members lose credentials
        kinds = [a.kind for a in second.api_actions]
        assert kinds.count("DeleteRootAccessKey") == 2
        assert kinds.count("DeleteRootLoginProfile") == 2
        assert kinds.count("DeleteRootSigningCertificate") == 1
        assert kinds.count("DeactivateRootMfaDevice") == 2
        assert len(second.manual_steps) == 2
        assert second.complete
        assert last.is_empty
        assert last.complete
        found = statuses(audit)
        assert {status for (check, _), status in found.items() if check in ORG_CHECKS} == {
            Status.PASS
        }
        # every call made with the caller's credentials is in the published policy
        used = {iam_action(*name.split(":", 1)) for name in calls}
        assert used <= granted, used - granted
        # the deletions ran in root sessions scoped to the delete task policy
        policies = {p for _, p in root_sessions().values()}
        assert "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials" in policies
        org = session.client("organizations", region_name=HOME)
        [policy] = [
            p
            for p in org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
            if p["Name"] == "rootguard-deny-root"
        ]
        targets = {
            t["TargetId"] for t in org.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]
        }
        assert len(targets) == 2  # the OU holding alpha, and the root (beta, gamma)


def test_applying_the_same_plan_twice_changes_nothing_the_second_time() -> None:
    with organization(features=("RootCredentialsManagement", "RootSessions"), trusted=True) as (
        session,
        built,
    ):
        plan = plan_organization(audit_member_roots(session=session), options(built, "alpha"))
        assert plan.complete
        first = apply_organization(plan, session=session)
        assert first.ok
        assert first.applied
        again = apply_organization(plan.to_json(), session=session)
        assert again.ok
        assert not again.applied
        assert {o.status for o in again.outcomes} <= {ActionStatus.UNCHANGED, ActionStatus.SKIPPED}
        # only manual steps are skipped
        assert all(o.action.kind == "ManualStep" for o in again.skipped)
        after = plan_organization(audit_member_roots(session=session), options(built, "alpha"))
        assert after.is_empty
        assert after.complete


def test_existing_contacts_are_kept_and_a_qualifying_policy_is_reused() -> None:
    with organization(
        features=("RootCredentialsManagement", "RootSessions"),
        trusted=True,
        scp=True,
        contacts=True,
    ) as (session, built):
        org = session.client("organizations", region_name=HOME)
        import json

        from rootguard._remediation._org_scp import deny_root_policy

        existing = org.create_policy(
            Name="corp-deny-root",
            Description="ours",
            Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps(deny_root_policy()),
        )["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=existing, TargetId=built.id("beta"))
        plan = plan_organization(audit_member_roots(session=session), options(built))
        kinds = [a.kind for a in plan.api_actions]
        assert "PutSecurityContact" not in kinds
        assert "CreateDenyRootPolicy" not in kinds
        assert {a.params["PolicyId"] for a in plan.api_actions} == {existing}
        assert apply_organization(plan, session=session).ok
        account = session.client("account", region_name=HOME)
        kept = account.get_alternate_contact(
            AccountId=built.id("gamma"), AlternateContactType="SECURITY"
        )["AlternateContact"]
        assert kept["EmailAddress"] == "kept@example.com"
        audit = audit_member_roots(session=session)
        assert statuses(audit)[("organization.deny_root_scp", None)] is Status.PASS


# ----------------------------------------------------------------------- whose organization


def test_apply_refuses_another_organization_or_account_and_sends_nothing() -> None:
    with organization(features=("RootCredentialsManagement", "RootSessions"), trusted=True) as (
        session,
        built,
    ):
        plan = plan_organization(audit_member_roots(session=session), options(built, "alpha"))
        other = plan.model_copy(update={"organization_id": "o-zzzzzzzzzz"})
        calls = count_calls(session)
        with pytest.raises(ApplyError, match="o-zzzzzzzzzz"):
            apply_organization(other, session=session)
        assert set(calls) == {"sts:GetCallerIdentity", "organizations:DescribeOrganization"}
        member = member_session(session, built.id("gamma"))
        member_calls = count_calls(member)
        with pytest.raises(ApplyError, match=f"account {built.id('gamma')}"):
            apply_organization(plan, session=member)
        assert set(member_calls) == {"sts:GetCallerIdentity"}
        with pytest.raises(ApplyError, match="not a valid rootguard plan"):
            apply_organization('{"kind": "plan", "account_id": "1"}', session=session)


# ------------------------------------------------------------------------- unknown stays so


def deny_calls(session: boto3.Session, *operations: str) -> Callable[[boto3.Session], None]:
    """These calls are answered AccessDenied (as when every retry failed), on ``session``
    and on the sessions the returned ``configure_session`` hook is given."""

    def handler(**_: Any) -> Any:
        parsed = {
            "Error": {"Code": "AccessDenied", "Message": "denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://aws.invalid", 403, {}, None), parsed

    def hook(target: boto3.Session) -> None:
        for operation in operations:
            target.events.register_first(f"before-call.{operation}", handler)

    hook(session)
    return hook


def test_failed_reads_block_the_work_and_apply_leaves_it_alone() -> None:
    with organization() as (session, built):
        hook = deny_calls(
            session,
            "organizations.ListAWSServiceAccessForOrganization",
            "iam.ListOrganizationsFeatures",
            "account.GetAlternateContact",
        )
        audit = audit_member_roots(session=session, configure_session=hook)
        plan = plan_organization(audit, options(built, "alpha"))
        kinds = {a.kind for a in plan.actions}
        assert not kinds & {
            "EnableIamTrustedAccess",
            "EnableRootCredentialsManagement",
            "EnableRootSessions",
            "PutSecurityContact",
        }
        blocked = {b.kind.value for b in plan.blocked}
        assert {"trusted_access", "root_features", "security_contact"} <= blocked
        assert "iam:ListOrganizationsFeatures" in plan.missing_permissions()
        # what could be read is still planned
        assert {"EnableScpPolicyType", "CreateDenyRootPolicy"} <= kinds
        assert apply_organization(plan, session=session).ok
        fresh = new_session()
        features = fresh.client("iam").list_organizations_features()["EnabledFeatures"]
        assert features == []
        org = fresh.client("organizations", region_name=HOME)
        assert org.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []


# ----------------------------------------------------------------------- faults, convergence


FAULTS = (
    "organizations.EnableAWSServiceAccess",
    "iam.EnableOrganizationsRootCredentialsManagement",
    "iam.EnableOrganizationsRootSessions",
    "organizations.EnablePolicyType",
    "organizations.CreatePolicy",
    "organizations.AttachPolicy",
    "account.PutAlternateContact",
    "sts.AssumeRoot",
)


def fail_once(session: boto3.Session, operation: str, seen: list[int] | None = None) -> list[int]:
    """The first call of ``operation`` fails (ServiceUnavailable, after retries); the
    calls are counted in ``seen`` (shared by the sessions given the same list)."""
    seen = seen if seen is not None else []

    def handler(**_: Any) -> Any:
        seen.append(1)
        if len(seen) > 1:
            return None
        parsed = {
            "Error": {"Code": "ServiceUnavailable", "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 503},
        }
        return AWSResponse("https://aws.invalid", 503, {}, None), parsed

    session.events.register_first(f"before-call.{operation}", handler)
    return seen


ROOT_SESSION_FAULTS = (
    "iam.DeleteAccessKey",
    "iam.DeleteSigningCertificate",
    "iam.DeleteLoginProfile",
    "iam.DeactivateMFADevice",
)
"""Calls made in a member's root session (a session apply derives from the caller's)."""


@pytest.mark.parametrize("operation", [*FAULTS, *ROOT_SESSION_FAULTS])
def test_a_fault_at_any_action_converges_on_the_next_run(
    operation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_root_session = operation in ROOT_SESSION_FAULTS
    deletes = operation == "sts.AssumeRoot" or in_root_session
    with organization(trusted=deletes) as (session, built):
        opts = options(built, "alpha")
        if deletes:
            # centralized root access on first, so that the first plan deletes
            converge(session, {"security_contact": CONTACT})
        if in_root_session:
            from rootguard._remediation import _org_apply

            derive = _org_apply._derived_session
            seen: list[int] = []

            def derived(*args: Any, **kwargs: Any) -> boto3.Session:
                made = derive(*args, **kwargs)
                fail_once(made, operation, seen)
                return made

            monkeypatch.setattr(_org_apply, "_derived_session", derived)
        else:
            seen = fail_once(session, operation)
        plan = plan_organization(audit_member_roots(session=session), opts)
        result = apply_organization(plan, session=session)
        assert seen, f"{operation} was never called"
        failed = [o for o in result.outcomes if o.status is ActionStatus.FAILED]
        assert failed
        assert {o.error_code for o in failed} == {"ServiceUnavailable"}
        # what depends (even through others) on the failed action is skipped, nothing else
        stopped = {o.action.id for o in failed}
        for o in result.outcomes:
            if o.status is ActionStatus.SKIPPED and o.action.kind != "ManualStep":
                assert set(o.action.depends_on) & stopped, o.action.id
                stopped.add(o.action.id)
        plans, audit = converge(session, opts)
        assert plans[-1].is_empty
        assert {
            status
            for (check, account), status in statuses(audit).items()
            if check in ORG_CHECKS and account in (None, built.id("alpha"), built.id("beta"))
        } == {Status.PASS}


# ------------------------------------------------------------------------- the property


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    features=st.sampled_from(
        [(), ("RootSessions",), ("RootCredentialsManagement", "RootSessions")]
    ),
    scp=st.booleans(),
    contacts=st.booleans(),
    delete=st.lists(st.sampled_from(sorted(ROOTS)), unique=True, max_size=3),
)
def test_whatever_the_start_apply_twice_is_idempotent_and_converges(
    features: tuple[str, ...], scp: bool, contacts: bool, delete: list[str]
) -> None:
    with organization(features=features, trusted=bool(features), scp=scp, contacts=contacts) as (
        session,
        built,
    ):
        opts = options(built, *delete)
        plans, audit = converge(session, opts)
        # re-applying every plan made is a no-op now
        for plan in plans:
            again = apply_organization(plan, session=session)
            assert again.ok
            assert not again.applied
        assert plan_organization(audit_member_roots(session=session), opts).is_empty
        found = statuses(audit)
        for name in delete:
            account = built.id(name)
            for check in ORG_CHECKS[3:]:
                assert found[(check, account)] is Status.PASS
        assert found[("organization.deny_root_scp", None)] is Status.PASS
        assert found[("organization.root_sessions", None)] is Status.PASS


# ---------------------------------------------------------------------------- the CLI


def test_cli_org_plan_then_apply_mirrors_plan_and_apply(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from rootguard._cli import main
    from rootguard._fail_on import EXIT_ERROR, EXIT_OK, EXIT_USAGE

    with organization(features=("RootCredentialsManagement", "RootSessions"), trusted=True) as (
        session,
        built,
    ):
        plan_file = tmp_path / "org-plan.json"
        contact = [
            "--contact-name",
            "SecOps",
            "--contact-title",
            "Security team",
            "--contact-email",
            "secops@example.com",
            "--contact-phone",
            "+1 555 0100",
        ]
        alpha = built.id("alpha")
        code = main(
            ["org", "plan", *contact, "--delete-root-credentials", alpha, "--out", str(plan_file)]
        )
        out = capsys.readouterr().out
        assert code == EXIT_OK
        assert out.startswith(f"rootguard organization plan for {built.organization_id}")
        saved = json.loads(plan_file.read_text())
        assert saved["kind"] == "organization_plan"
        assert any(a["kind"] == "DeleteRootAccessKey" for a in saved["actions"])
        # no terminal to ask on, no --yes: nothing is applied
        assert main(["org", "apply", str(plan_file)]) == EXIT_USAGE
        assert main(["org", "apply", str(plan_file), "--dry-run"]) == EXIT_OK
        dry = capsys.readouterr().out
        assert "Dry run:" in dry
        assert "0 applied" in dry
        assert main(["org", "apply", str(plan_file), "--yes"]) == EXIT_OK
        assert "0 failed" in capsys.readouterr().out
        assert main(["org", "plan", *contact, "--delete-root-credentials", alpha]) == EXIT_OK
        assert "No changes." in capsys.readouterr().out
        # an account plan is not an organization plan
        account_plan = tmp_path / "plan.json"
        account_plan.write_text(
            '{"kind": "plan", "account_id": "111122223333", "home_region": "us-east-1"}'
        )
        assert main(["org", "apply", str(account_plan), "--yes"]) == EXIT_USAGE
        assert "not an organization remediation plan" in capsys.readouterr().err
        # half a contact is a usage error, before any call
        assert main(["org", "plan", "--contact-name", "x"]) == EXIT_USAGE
        # a saved audit whose features could not be read: incomplete, exit 3
        audit = audit_member_roots(session=session).model_copy(update={"root_features": None})
        audit_file = tmp_path / "audit.json"
        audit_file.write_text(audit.to_json())
        capsys.readouterr()
        assert main(["org", "plan", "--audit-in", str(audit_file)]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert "incomplete" in err
        assert "iam:ListOrganizationsFeatures" in err


def test_the_account_apply_refuses_an_organization_plan() -> None:
    from rootguard import apply

    with organization() as (session, built):
        plan = plan_organization(audit_member_roots(session=session), options(built))
        calls = count_calls(session)
        with pytest.raises(ApplyError, match="apply_organization"):
            apply(plan, session=session)
        assert not calls


def test_an_organization_report_with_its_audit_plans_the_same() -> None:
    from rootguard import PlanError, scan_organization

    with organization() as (session, built):
        report = scan_organization(session=session, regions=[HOME], audit_member_roots=True)
        assert report.member_roots is not None
        opts = options(built)
        assert (
            plan_organization(report, opts).actions
            == plan_organization(report.member_roots, opts).actions
        )
        bare = scan_organization(session=session, regions=[HOME])
        with pytest.raises(PlanError, match="audit_member_roots"):
            plan_organization(bare, opts)

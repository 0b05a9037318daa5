"""Executing an :class:`~rootguard.OrganizationPlan` (I/O).

The same loop as :func:`rootguard.apply` (each action ensured, not blindly sent; errors
become outcomes; dependents skipped), after proving — before any other call — that the
credentials are the plan's management account (``sts:GetCallerIdentity``) *and* that
this account manages the plan's organization (``organizations:DescribeOrganization``).

The actions on member root users run in a root session per member: ``sts:AssumeRoot``
with the task policy ``IAMDeleteRootUserCredentials``, whose account is checked
(``sts:GetCallerIdentity`` in the session) before anything is deleted.
"""

from __future__ import annotations

import logging

import boto3
from botocore.credentials import Credentials

from rootguard._aws import (
    CREDENTIAL_ERRORS,
    ClientFactory,
    MalformedResponse,
    error_code,
    error_message,
    expect,
    resolve_session,
)
from rootguard._errors import ApplyError, PlanError
from rootguard._remediation import _handlers_org  # noqa: F401 - registers the handlers
from rootguard._remediation._actions import ApiAction
from rootguard._remediation._apply import CallerAccount, execute, verify_caller
from rootguard._remediation._handling import GLOBAL_REGION, Context
from rootguard._remediation._org_actions import DELETE_TASK_POLICY, RootSessionAction
from rootguard._remediation._org_plan import OrganizationPlan
from rootguard._remediation._outcomes import ApplyResult
from rootguard._sessions import SessionSettings, new_session

__all__ = ["apply_organization", "delete_task_policy_arn", "verify_organization"]

logger = logging.getLogger(__name__)


def delete_task_policy_arn(partition: str = "aws") -> str:
    """The ARN of the AWS task policy of the root sessions that delete credentials."""
    return f"arn:{partition}:iam::aws:policy/root-task/{DELETE_TASK_POLICY}"


class _OrgContext(Context):
    """The caller's clients, and one root session per member for the root actions."""

    def __init__(self, factory: ClientFactory, plan: OrganizationPlan) -> None:
        super().__init__(factory, plan)
        self.roots: dict[str, ClientFactory] = {}

    def region(self, action: ApiAction) -> str:
        if isinstance(action, RootSessionAction):
            return self.plan.home_region
        return super().region(action)

    def factory_for(self, action: ApiAction) -> ClientFactory:
        if isinstance(action, RootSessionAction):
            return self._root_factory(action.account_id)
        return self.factory

    def _root_factory(self, account_id: str) -> ClientFactory:
        found = self.roots.get(account_id)
        if found is not None:
            return found
        sts = self.factory.client("sts", self.plan.home_region)
        answer = sts.assume_root(
            TargetPrincipal=account_id,
            TaskPolicyArn={"arn": delete_task_policy_arn(self.plan.partition)},
        )
        keys = expect(answer, "Credentials", dict)
        session = _derived_session(
            self.factory.session,
            access_key=expect(keys, "AccessKeyId", str),
            secret_key=expect(keys, "SecretAccessKey", str),
            token=expect(keys, "SessionToken", str),
            region=self.plan.home_region,
        )
        factory = ClientFactory(session, endpoint_url=self.factory.endpoint_url)
        identity = factory.client("sts", self.plan.home_region).get_caller_identity()
        if expect(identity, "Account", str) != account_id:
            raise MalformedResponse(f"the root session of {account_id} belongs to another account")
        logger.info("opened a root session on account %s (%s)", account_id, DELETE_TASK_POLICY)
        self.roots[account_id] = factory
        return factory


def _derived_session(
    base: boto3.Session, *, access_key: str, secret_key: str, token: str, region: str
) -> boto3.Session:
    """A session on other credentials that sends its calls where ``base`` does (the
    endpoint of a session from :func:`rootguard._sessions.new_session`, if any)."""
    endpoint = getattr(base, "rootguard_endpoint_url", None)
    settings = SessionSettings(
        region_name=region, endpoint_url=endpoint if isinstance(endpoint, str) else None
    )
    return new_session(settings, Credentials(access_key, secret_key, token))


def _verify_organization(plan: OrganizationPlan, factory: ClientFactory) -> None:
    wanted = f"organization {plan.organization_id} (management account {plan.account_id})"
    try:
        organizations = factory.client(
            "organizations", GLOBAL_REGION.get(plan.partition, plan.home_region)
        )
        found = expect(organizations.describe_organization(), "Organization", dict)
        organization_id = expect(found, "Id", str)
        management = expect(found, "MasterAccountId", str)
    except CREDENTIAL_ERRORS as exc:
        raise ApplyError(
            f"cannot apply: no usable AWS credentials ({error_message(exc)}); the plan is "
            f"for {wanted}; nothing was sent"
        ) from exc
    except Exception as exc:  # ClientError, BotoCoreError, malformed answers, anything
        raise ApplyError(
            "cannot apply: which organization the credentials manage is unknown "
            f"(organizations:DescribeOrganization failed with {error_code(exc)}: "
            f"{error_message(exc)}); the plan is for {wanted}; nothing was sent"
        ) from exc
    if (organization_id, management) != (plan.organization_id, plan.account_id):
        raise ApplyError(
            f"cannot apply here: the plan is for {wanted}, the credentials are in "
            f"organization {organization_id[:40]} (management account {management[:40]}); "
            "nothing was sent"
        )


def verify_organization(
    plan: OrganizationPlan, *, session: boto3.Session | None = None
) -> CallerAccount:
    """Prove, as :func:`apply_organization` does before anything else, that ``session``'s
    credentials are the plan's management account and that it manages the plan's
    organization (``sts:GetCallerIdentity``, ``organizations:DescribeOrganization``).

    Raises:
        ApplyError: either proof failed (the message says which and why).
    """
    factory, caller = verify_caller(plan, lambda: ClientFactory(resolve_session(session)))
    _verify_organization(plan, factory)
    return caller


def apply_organization(
    plan: OrganizationPlan | str | bytes,
    *,
    session: boto3.Session | None = None,
    dry_run: bool = False,
) -> ApplyResult:
    """Execute an organization plan, action by action, in order (I/O).

    As :func:`rootguard.apply`: each action reads first and sends only what is missing
    (re-running is safe), errors are outcomes, dependents of a failed action are
    skipped, manual steps are reported ``skipped``, ``dry_run`` makes only reads.

    Before any other call, apply proves that the credentials are the plan's management
    account and partition (``sts:GetCallerIdentity``) and that it manages the plan's
    organization (``organizations:DescribeOrganization``). A plan without API actions
    makes no call at all.

    Raises:
        ApplyError: the plan is not a valid organization plan; the credentials are
            another account, another organization's management account, missing, or
            either proof failed or answered nonsense. Nothing is sent then.

    Examples:
        >>> import rootguard
        >>> plan = rootguard.OrganizationPlan(account_id="111122223333",
        ...     organization_id="o-abcdefghij", home_region="us-east-1")
        >>> rootguard.apply_organization(plan).ok
        True
    """
    if isinstance(plan, (str, bytes)):
        try:
            plan = OrganizationPlan.from_json(plan)
        except PlanError as exc:
            raise ApplyError(str(exc)) from None
    if not isinstance(plan, OrganizationPlan):
        raise ApplyError(f"expected an OrganizationPlan, got {type(plan).__name__}")
    ctx: _OrgContext | None = None
    if plan.api_actions:
        factory, _ = verify_caller(plan, lambda: ClientFactory(resolve_session(session)))
        _verify_organization(plan, factory)
        ctx = _OrgContext(factory, plan)
    return execute(plan, ctx, dry_run=dry_run)

"""Organization planner family (pure): delete member root credentials through
``sts:AssumeRoot`` — destructive, so only for the accounts the options name.

Per account: each access key and signing certificate, the console password, then each
MFA device deactivated (last, so the root user is never left with a password and no
MFA). A credential whose read failed is blocked, never assumed absent; an account whose
root user could not be audited is blocked whole. A manual step says what the member
loses and how its root user is recovered afterwards."""

from __future__ import annotations

from rootguard._errors import PlanError
from rootguard._member_root_models import (
    CERTS_CHECK,
    KEYS_CHECK,
    PASSWORD_CHECK,
    MemberRoot,
    MemberRootStatus,
)
from rootguard._remediation._actions import BlockedKind, ManualStep
from rootguard._remediation._org_actions import (
    DeactivateRootMfaDevice,
    DeleteRootAccessKey,
    DeleteRootLoginProfile,
    DeleteRootSigningCertificate,
    RootSessionAction,
)
from rootguard._remediation._org_context import OrgPlanContext

__all__ = ["plan_root_credentials"]

_NOTE = "destructive: the credential cannot be restored (only replaced)"


def plan_root_credentials(ctx: OrgPlanContext, after: tuple[str, ...]) -> None:
    """The family's entry: ``after`` are the feature actions the deletions wait for."""
    for account_id in ctx.opts.delete_root_credentials:
        member = ctx.audit.member(account_id)
        if account_id == ctx.management or (member is not None and member.management):
            raise PlanError(
                f"account {account_id} is the management account: sts:AssumeRoot reaches "
                "member accounts only (remove it from delete_root_credentials)"
            )
        if member is None:
            raise PlanError(
                f"account {account_id} was not part of the member-root audit: audit it "
                "before planning to delete its root credentials"
            )
        if member.status is MemberRootStatus.SKIPPED:
            ctx.out.warnings.append(
                f"not deleting the root credentials of {member.label}: {member.reason}"
            )
            continue
        _plan_member(ctx, member, after)


def _plan_member(ctx: OrgPlanContext, member: MemberRoot, after: tuple[str, ...]) -> None:
    resource = f"arn:{ctx.partition}:iam::{member.account_id}:root"
    if member.status is not MemberRootStatus.AUDITED or member.error is not None:
        why = member.error.describe() if member.error is not None else "not audited"
        ctx.block(
            BlockedKind.ROOT_CREDENTIALS,
            member.account_id,
            resource=resource,
            description=f"the root credentials of {member.label}: the root user could not "
            f"be read ({why}); enable centralized root access, audit and plan again",
            permissions=("sts:AssumeRoot",),
            fixes=(PASSWORD_CHECK, KEYS_CHECK, CERTS_CHECK),
            actions=("DeleteRootAccessKey", "DeleteRootLoginProfile"),
        )
        return
    planned: list[str] = []
    unread: list[tuple[str, str, str]] = []

    def add(cls: type[RootSessionAction], name: str, what: str, fix: str, **params: str) -> None:
        action = cls(  # type: ignore[call-arg]  # service and operation: class defaults
            id=ctx.aid(cls.__name__, f"{member.account_id}/{name}"),
            region=ctx.home,
            resource=resource,
            account_id=member.account_id,
            description=f"{what} of the root user of {member.label} (sts:AssumeRoot)",
            fixes=(fix,) if fix else (),
            depends_on=after,
            params=params,
            permissions=cls.IAM_ACTIONS[::-1],
            note=_NOTE,
        )
        planned.append(ctx.add(action))

    if member.access_keys is None:
        unread.append(("ListAccessKeys", "access keys", KEYS_CHECK))
    for key in member.access_keys or ():
        add(
            DeleteRootAccessKey,
            key.access_key_id,
            f"delete access key {key.access_key_id} ({key.status.lower()})",
            KEYS_CHECK,
            AccessKeyId=key.access_key_id,
        )
    if member.signing_certificates is None:
        unread.append(("ListSigningCertificates", "signing certificates", CERTS_CHECK))
    for cert in member.signing_certificates or ():
        add(
            DeleteRootSigningCertificate,
            cert.certificate_id,
            f"delete signing certificate {cert.certificate_id}",
            CERTS_CHECK,
            CertificateId=cert.certificate_id,
        )
    if member.password is None:
        unread.append(("GetLoginProfile", "console password", PASSWORD_CHECK))
    elif member.password:
        add(DeleteRootLoginProfile, "password", "delete the console password", PASSWORD_CHECK)
    if member.mfa_devices is None:
        unread.append(("ListMFADevices", "MFA devices", ""))
    for device in member.mfa_devices or ():
        add(
            DeactivateRootMfaDevice,
            device.serial_number.rsplit("/", 1)[-1],
            f"deactivate MFA device {device.serial_number}",
            "",
            SerialNumber=device.serial_number,
        )
    for operation, what, fix in unread:
        ctx.block(
            BlockedKind.ROOT_CREDENTIALS,
            f"{member.account_id}/{operation}",
            resource=resource,
            description=f"the root {what} of {member.label} could not be read",
            gaps=ctx.gaps_of(operation, member=member),
            permissions=(f"iam:{operation}",),
            fixes=(fix,) if fix else (),
        )
    if planned:
        ctx.add(_manual_step(ctx, member, resource))


def _manual_step(ctx: OrgPlanContext, member: MemberRoot, resource: str) -> ManualStep:
    return ManualStep(
        id=ctx.aid("ManualStep", f"root-credentials-{member.account_id}"),
        region=None,
        resource=resource,
        description=f"what {member.label} loses when its root credentials are deleted",
        instructions=(
            "Nobody can sign in as this account's root user any more: no console password, "
            "no access key, no signing certificate, no MFA device (deactivated ones are "
            "left for you to delete).",
            "Root-only tasks in the member run from the management account as "
            "sts:AssumeRoot sessions with a task policy (unlocking a bucket or queue "
            "policy, deleting or recreating root credentials).",
            "To give the account a root password again, the management account must allow "
            "password recovery first (IAM console → Root access management → the account "
            "→ Allow password recovery, which uses the IAMCreateRootUserPassword task "
            "policy); then the owner of the root email address uses 'Forgot password'.",
            "Before applying, make sure nothing uses the root access keys (their last use "
            "is in the audit) and tell the account's owners.",
        ),
    )

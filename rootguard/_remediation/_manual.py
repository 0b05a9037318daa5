"""Manual steps for root credentials (pure): what only a human can do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rootguard._posture._catalogue import CheckId
from rootguard._posture._models import Status
from rootguard._remediation._actions import BlockedKind, ManualStep
from rootguard._remediation._context import PlanContext, Read, Why


def plan_root_manual_steps(ctx: PlanContext) -> None:
    """Manual steps for the root checks that fail (root.mfa_enabled judges root
    without any credential not applicable, so it gets no step).

    When the credentials could not be read, the step is blocked instead; so is a step
    the checks took from the credential report alone because the live account summary
    (which wins over the report, up to 4 hours old) could not be read."""
    root_arn = f"arn:{ctx.partition}:iam::{ctx.account}:root"
    unread: list[Read] = []
    if ctx.snap.credential_report is None:
        unread.append(("iam", "GetCredentialReport", None, None))
    summary_unread = ctx.snap.account_summary is None
    if summary_unread:
        unread.append(("iam", "GetAccountSummary", None, None))
    mfa_fails = False
    keys: tuple[str, ...] = ()
    for check, kind, what, source in (
        (
            CheckId.ROOT_MFA_ENABLED,
            BlockedKind.ROOT_MFA,
            "whether the root user needs MFA",
            "mfa_source",
        ),
        (
            CheckId.ROOT_NO_ACCESS_KEYS,
            BlockedKind.ROOT_ACCESS_KEYS,
            "whether root access keys must go",
            "source",
        ),
    ):
        failing = [f for f in ctx.findings(check) if f.status is Status.FAIL]
        from_stale_report = bool(
            failing and summary_unread and failing[0].evidence.get(source) == "credential_report"
        )
        if (unread and ctx.status(check) is Status.UNKNOWN) or from_stale_report:
            text = "the root user's credentials could not be read"
            if from_stale_report:
                text = (
                    "the live account summary could not be read, and the credential report "
                    "(up to 4 hours old) alone says so"
                )
            ctx.block(
                kind,
                None,
                "root",
                resource=root_arn,
                description=what,
                why=Why(text, tuple(unread)),
                fixes=(check,),
                actions=("ManualStep",),
            )
        elif failing and check == CheckId.ROOT_MFA_ENABLED:
            mfa_fails = True
        elif failing:
            keys = _root_key_ids(failing[0].evidence)
    if mfa_fails:
        ctx.add(
            ManualStep(
                id=ctx.aid("ManualStep", None, "root-mfa"),
                region=None,
                resource=root_arn,
                description="the root user has no MFA: a human must add it at the console",
                fixes=(CheckId.ROOT_MFA_ENABLED,),
                instructions=(
                    "Sign in to https://console.aws.amazon.com/ as the root user (the "
                    "account's email address and password).",
                    "Open the account menu (top right) → Security credentials → "
                    "Multi-factor authentication (MFA) → Assign MFA device.",
                    "Prefer a FIDO2 security key or a hardware TOTP token (CIS 1.6); "
                    "register a second device as a backup.",
                    "In an AWS Organization with centralized root access, the management "
                    "account can instead delete this account's root credentials "
                    "(IAM console → Root access management).",
                ),
            )
        )
    if keys:
        ctx.add(
            ManualStep(
                id=ctx.aid("ManualStep", None, "root-access-keys"),
                region=None,
                resource=root_arn,
                description=(
                    (
                        "the root user has active access keys"
                        if len(keys) > 1
                        else "the root user has an active access key"
                    )
                    + f" ({', '.join(keys)}): a human must remove "
                    + ("them" if len(keys) > 1 else "it")
                ),
                fixes=(CheckId.ROOT_NO_ACCESS_KEYS,),
                instructions=(
                    "Find what uses the key first: the credential report's "
                    "access_key_N_last_used_* columns and CloudTrail events with "
                    "userIdentity.accessKeyId.",
                    "Sign in to https://console.aws.amazon.com/ as the root user → "
                    "Security credentials → Access keys.",
                    "Make each key Inactive, wait to see that nothing breaks, then Delete "
                    "it. rootguard cannot do this: only the root user (or an "
                    "sts:AssumeRoot session from the management account) can.",
                ),
            )
        )


def _root_key_ids(evidence: Mapping[str, Any]) -> tuple[str, ...]:
    """The active root access keys a failing root.no_access_keys finding names (its
    evidence), else where the count came from."""
    active = evidence.get("report_active")
    if active:
        return tuple(str(key) for key in active)
    if active is None and evidence.get("source") == "account_summary":
        return ("reported by the account summary",)
    return ("reported by the posture check",)

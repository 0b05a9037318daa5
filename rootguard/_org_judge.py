"""The organization-level judgement of an organization scan (pure): the organization
trail's second opinion on each member, the member-root audit's opinion on root MFA, and
the one ``root.centralized_access`` finding of the organization (see
:mod:`rootguard._org_report`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rootguard._member_root_report import MemberRootAudit, credentials_removed
from rootguard._org_accounts import AccountResult, worst
from rootguard._posture._catalogue import CHECKS, CheckId
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Finding, Status
from rootguard._posture._report import Report
from rootguard._snapshot import AccountSnapshot, Trail

__all__ = [
    "ALARM_CHECK",
    "CENTRALIZED_CHECK",
    "MFA_CHECKS",
    "TRAIL_CHECKS",
    "apply_member_root_opinion",
    "judge_account",
    "organization_access_finding",
    "organization_statuses",
]

CENTRALIZED_CHECK = CheckId.ROOT_CENTRALIZED_ACCESS
TRAIL_CHECKS = (
    CheckId.CLOUDTRAIL_MULTI_REGION,
    CheckId.CLOUDTRAIL_LOG_VALIDATION,
    CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
)
ALARM_CHECK = CheckId.MONITORING_ROOT_METRIC_ALARM

# How good a verdict is, when the organization trail offers a second opinion.
# A SUPPRESSED finding ranks as the status it stands for.
_RANK = {Status.PASS: 3, Status.UNKNOWN: 2, Status.FAIL: 1, Status.NOT_APPLICABLE: 0}


def _rank(finding: Finding) -> int:
    status = finding.suppression.status if finding.suppression else finding.status
    return _RANK.get(status, 0)


def organization_statuses(findings: Iterable[Finding]) -> dict[str, dict[str, Status]]:
    """account id → check id → the worst status of the organization findings about that
    one account (``evidence["account_id"]``)."""
    found: dict[str, dict[str, set[Status]]] = {}
    for f in findings:
        account = f.evidence.get("account_id")
        if isinstance(account, str):
            found.setdefault(account, {}).setdefault(f.check_id, set()).add(f.status)
    return {a: {c: worst(s) for c, s in checks.items()} for a, checks in found.items()}


MFA_CHECKS = (CheckId.ROOT_MFA_ENABLED, CheckId.ROOT_HARDWARE_MFA)


def apply_member_root_opinion(result: AccountResult, audit: MemberRootAudit) -> AccountResult:
    """A member whose root credentials the audit proved removed, with centralized root
    credentials management on: root MFA does not apply (CIS v5 notes it is not required
    in such members)."""
    report = result.report
    member = audit.member(result.account_id)
    if (
        report is None
        or member is None
        or member.management
        or audit.credentials_management is not True
        or credentials_removed(member) is not True
    ):
        return result
    detail = (
        "Not applicable: centralized root access manages this member's root user, and "
        "sts:AssumeRoot (IAMAuditRootUserCredentials) found no password, no access key and "
        "no signing certificate on it — no credential to protect with MFA; privileged tasks "
        "go through root sessions from the management account."
    )
    findings = []
    for own in report.findings:
        f = own
        if own.check_id in MFA_CHECKS and own.status is not Status.NOT_APPLICABLE:
            f = own.model_copy(
                update={
                    "status": Status.NOT_APPLICABLE,
                    "detail": detail,
                    "remediation": "",
                    "evidence": {
                        "judged_by": "organization",
                        "root_credentials_removed": True,
                        "account_finding": _account_finding_evidence(own),
                    },
                }
            )
        findings.append(f)
    if tuple(findings) == report.findings:
        return result
    return result.model_copy(
        update={"report": report.model_copy(update={"findings": tuple(findings)})}
    )


def _account_finding_evidence(own: Finding | None) -> dict[str, Any] | None:
    if own is None:
        return None
    return {"status": own.status.value, "resource": own.resource, "detail": own.detail}


def judge_account(
    result: AccountResult,
    trails: tuple[Trail, ...],
    by_id: Mapping[str, AccountResult],
    organization_id: str | None,
) -> AccountResult:
    """The account's report with the organization trail's second opinion and without
    the organization-wide centralized-access finding."""
    report = result.report
    if report is None:
        return result
    findings = [f for f in report.findings if f.check_id != CENTRALIZED_CHECK]
    covering = _covering_trails(report, trails, organization_id)
    if covering:
        findings = _apply_trail_opinion(report, findings, covering, by_id)
    if tuple(findings) == report.findings:
        return result
    return result.model_copy(
        update={"report": report.model_copy(update={"findings": tuple(findings)})}
    )


def _covering_trails(
    report: Report, trails: tuple[Trail, ...], organization_id: str | None
) -> tuple[Trail, ...]:
    """The organization trails that record this account: every one, unless the account
    says it belongs to another organization than the one scanned."""
    if not trails:
        return ()
    own_org = next(
        (
            f.evidence.get("organization_id")
            for f in report.findings
            if f.check_id == CENTRALIZED_CHECK
        ),
        None,
    )
    if own_org and organization_id and own_org != organization_id:
        return ()
    return trails


def _apply_trail_opinion(
    report: Report,
    findings: list[Finding],
    trails: tuple[Trail, ...],
    by_id: Mapping[str, AccountResult],
) -> list[Finding]:
    snapshot = AccountSnapshot(
        account_id=report.account_id,
        partition=report.partition,
        collected_at=report.generated_at,
        regions=list(report.regions),
        trails=list(trails),
    )
    opinion = evaluate(snapshot, policy=report.policy, now=report.generated_at)
    theirs = {f.check_id: f for f in opinion.findings if f.check_id in TRAIL_CHECKS}
    multi = theirs.get(CheckId.CLOUDTRAIL_MULTI_REGION)
    if multi is None or multi.status is not Status.PASS:
        return findings  # no organization trail qualifies: nothing to add
    org_trail = multi.resource
    trail = next((t for t in trails if t.trail_arn == org_trail), None)
    owner = trail.account_id if trail else org_trail.split(":")[4]
    out = list(findings)
    for check in TRAIL_CHECKS:
        other = theirs.get(check)
        index = next((i for i, f in enumerate(out) if f.check_id == check), None)
        own = out[index] if index is not None else None
        if other is None or (own is not None and _rank(own) >= _rank(other)):
            continue
        name = trail.name if trail else org_trail
        replaced = other.model_copy(
            update={
                "detail": f"Recorded by organization trail {name} of account {owner}: "
                + other.detail,
                "evidence": {
                    **other.evidence,
                    "organization_trail": org_trail,
                    "judged_by": "organization",
                    "account_finding": _account_finding_evidence(own),
                },
            }
        )
        if index is None:
            out.append(replaced)
        else:
            out[index] = replaced
    return _apply_alarm_opinion(report, out, trails, by_id)


def _apply_alarm_opinion(
    report: Report,
    findings: list[Finding],
    trails: tuple[Trail, ...],
    by_id: Mapping[str, AccountResult],
) -> list[Finding]:
    index = next((i for i, f in enumerate(findings) if f.check_id == ALARM_CHECK), None)
    own = findings[index] if index is not None else None
    if own is not None and own.status is Status.PASS:
        return findings
    arns = {t.trail_arn for t in trails}
    for trail in trails:
        owner = by_id.get(trail.account_id)
        if owner is None or owner.report is None or owner.account_id == report.account_id:
            continue
        chain_finding = next(
            (
                f
                for f in owner.report.findings
                if f.check_id == ALARM_CHECK
                and f.status is Status.PASS
                and (f.evidence.get("chain") or {}).get("trail") in arns
            ),
            None,
        )
        if chain_finding is None:
            continue
        chain = chain_finding.evidence.get("chain") or {}
        replaced = chain_finding.model_copy(
            update={
                "detail": f"Root activity in this account is recorded by organization trail "
                f"{chain.get('trail')} and reaches the alert chain of account "
                f"{owner.account_id}: " + chain_finding.detail,
                "evidence": {
                    "chain": chain,
                    "chain_account": owner.account_id,
                    "organization_trail": chain.get("trail"),
                    "judged_by": "organization",
                    "account_finding": _account_finding_evidence(own),
                },
            }
        )
        out = list(findings)
        if index is None:
            out.append(replaced)
        else:
            out[index] = replaced
        return out
    return findings


def organization_access_finding(
    accounts: Sequence[AccountResult],
    management_account_id: str | None,
    organization_id: str | None,
    partition: str,
) -> Finding:
    """``root.centralized_access`` once for the organization: the management account's
    verdict (else a delegated administrator's PASS / FAIL), with RootSessions spelled out."""
    info = CHECKS[CENTRALIZED_CHECK]
    resource = (
        f"arn:{partition}:organizations::{management_account_id}:organization/{organization_id}"
        if management_account_id and organization_id
        else f"AWS::::Account:{management_account_id or 'unknown'}"
    )

    def finding_of(a: AccountResult) -> Finding | None:
        if a.report is None:
            return None
        return next((f for f in a.report.findings if f.check_id == CENTRALIZED_CHECK), None)

    source: tuple[AccountResult, Finding] | None = None
    management = next((a for a in accounts if a.account_id == management_account_id), None)
    if management is not None and (found := finding_of(management)) is not None:
        source = (management, found)
    else:
        for a in accounts:
            found = finding_of(a)
            if found is not None and found.status in (Status.PASS, Status.FAIL):
                source = (a, found)
                break
    if source is None:
        if management is None:
            why = "the management account was not part of the scan"
        elif management.error is not None:
            why = f"the management account could not be checked ({management.error.describe()})"
        else:
            why = "the management account was not checked"
        return Finding(
            check_id=CENTRALIZED_CHECK,
            status=Status.UNKNOWN,
            severity=info.severity,
            resource=resource,
            title=info.title,
            detail="Centralized root access can only be read in the management account or "
            f"the IAM delegated administrator account, and {why}.",
            controls=info.controls,
            evidence={"reported_by": None, "organization_id": organization_id},
            remediation=info.remediation,
        )
    account, found = source
    raw_features = found.evidence.get("root_features")
    features = [str(x) for x in raw_features] if isinstance(raw_features, list) else None
    credentials = ("RootCredentialsManagement" in features) if features is not None else None
    sessions = ("RootSessions" in features) if features is not None else None
    detail = found.detail
    if features is not None:
        detail += " RootSessions (privileged root tasks through sts:AssumeRoot) is " + (
            "enabled." if sessions else "not enabled."
        )
    return found.model_copy(
        update={
            "resource": resource if management_account_id and organization_id else found.resource,
            "detail": detail,
            "evidence": {
                **found.evidence,
                "reported_by": account.account_id,
                "root_credentials_management": credentials,
                "root_sessions": sessions,
            },
        }
    )

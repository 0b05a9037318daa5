"""The judgement of a member-root audit (pure): the ``organization.*`` findings of
:class:`~rootguard.MemberRootAudit` (see :mod:`rootguard._member_root_report`), service
control policy coverage included."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rootguard._errors import ParseError
from rootguard._member_root_models import (
    CERTS_CHECK,
    CONTACT_CHECK,
    KEYS_CHECK,
    MEMBER_CHECKS,
    PASSWORD_CHECK,
    SCP_CHECK,
    SESSIONS_CHECK,
    MemberRoot,
    MemberRootStatus,
    NodeKind,
    OrganizationNode,
)
from rootguard._posture._catalogue import CHECKS
from rootguard._posture._models import Finding, Status
from rootguard._scp import PROBE_ACTIONS, ScpVerdict, scp_denies_root
from rootguard._time import minute_text

if TYPE_CHECKING:
    from rootguard._member_root_report import MemberRootAudit

__all__ = ["credentials_removed", "judge_member_roots"]

_ORDER = {c: i for i, c in enumerate(CHECKS)}


def credentials_removed(member: MemberRoot) -> bool | None:
    """True when the audit proved the root user has no password, no access key and no
    signing certificate; False when it has one; None when that is not known."""
    if member.status is not MemberRootStatus.AUDITED:
        return None
    facts = (member.password, member.access_keys, member.signing_certificates)
    if any(bool(f) for f in facts if f is not None):
        return False
    if any(f is None for f in facts):
        return None
    return True


def _finding(
    check_id: str,
    status: Status,
    *,
    resource: str,
    detail: str,
    evidence: dict[str, Any],
) -> Finding:
    info = CHECKS[check_id]
    return Finding(
        check_id=check_id,
        status=status,
        severity=info.severity,
        resource=resource,
        title=info.title,
        detail=detail,
        controls=info.controls,
        evidence=json.loads(json.dumps(evidence, default=_json_default)),
        remediation=info.remediation if status is not Status.PASS else "",
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)


def _organization_resource(audit: MemberRootAudit) -> str:
    if audit.management_account_id and audit.organization_id:
        return (
            f"arn:{audit.partition}:organizations::{audit.management_account_id}:"
            f"organization/{audit.organization_id}"
        )
    return f"AWS::::Account:{audit.caller_account_id or audit.management_account_id or 'unknown'}"


def judge_member_roots(audit: MemberRootAudit) -> tuple[Finding, ...]:
    """Every finding of the audit (pure; see the module documentation)."""
    findings: list[Finding] = [_root_sessions(audit), _deny_root_scp(audit)]
    for member in audit.members:
        if member.status is not MemberRootStatus.SKIPPED:
            findings.extend(_member_credentials(audit, member))
        if not (member.status is MemberRootStatus.SKIPPED and not member.management):
            findings.append(_security_contact(audit, member))
    findings.sort(key=lambda f: (_ORDER.get(f.check_id, 99), str(f.evidence.get("account_id"))))
    return tuple(findings)


def _root_sessions(audit: MemberRootAudit) -> Finding:
    resource = _organization_resource(audit)
    features = audit.root_features
    evidence: dict[str, Any] = {"root_features": list(features) if features is not None else None}
    if features is None:
        gap = audit.gap("ListOrganizationsFeatures")
        evidence["gaps"] = [gap.model_dump(mode="json")] if gap else []
        return _finding(
            SESSIONS_CHECK,
            Status.UNKNOWN,
            resource=resource,
            detail="The centralized root access features could not be read ("
            + (gap.describe() if gap else "iam:ListOrganizationsFeatures was not called")
            + "); only the management account and the IAM delegated administrator can.",
            evidence=evidence,
        )
    if "RootSessions" in features:
        return _finding(
            SESSIONS_CHECK,
            Status.PASS,
            resource=resource,
            detail="RootSessions is enabled: root-only tasks in member accounts run as "
            "short privileged sessions (sts:AssumeRoot) from the management account or "
            "the IAM delegated administrator, without member root credentials.",
            evidence=evidence,
        )
    return _finding(
        SESSIONS_CHECK,
        Status.FAIL,
        resource=resource,
        detail="RootSessions is not enabled (enabled: "
        + (", ".join(features) or "nothing")
        + "): a root-only task in a member account (unlocking a bucket policy …) needs "
        "that member's root credentials.",
        evidence=evidence,
    )


def _member_resource(audit: MemberRootAudit, member: MemberRoot) -> str:
    return f"arn:{audit.partition}:iam::{member.account_id}:root"


def _member_credentials(audit: MemberRootAudit, member: MemberRoot) -> list[Finding]:
    resource = _member_resource(audit, member)
    base: dict[str, Any] = {"account_id": member.account_id, "account_name": member.name}
    if audit.credentials_management is False:
        detail = (
            "Centralized root access (RootCredentialsManagement) is not enabled: each member "
            "keeps its own root credentials, judged by that account's root.* checks."
        )
        return [
            _finding(c, Status.NOT_APPLICABLE, resource=resource, detail=detail, evidence=base)
            for c in MEMBER_CHECKS
        ]
    if member.error is not None:
        detail = f"The root user of {member.label} could not be read: {member.error.describe()}."
        evidence = {**base, "error": member.error.model_dump(mode="json")}
        return [
            _finding(c, Status.UNKNOWN, resource=resource, detail=detail, evidence=evidence)
            for c in MEMBER_CHECKS
        ]
    return [
        _password_finding(member, resource, base),
        _keys_finding(member, resource, base),
        _certs_finding(member, resource, base),
    ]


def _unread(
    check: str, member: MemberRoot, operation: str, resource: str, base: dict[str, Any]
) -> Finding:
    gap = member.gap(operation)
    why = gap.describe() if gap else f"{operation} was not read"
    return _finding(
        check,
        Status.UNKNOWN,
        resource=resource,
        detail=f"Not known for {member.label}: {why}.",
        evidence={**base, "gaps": [gap.model_dump(mode="json")] if gap else []},
    )


def _password_finding(member: MemberRoot, resource: str, base: dict[str, Any]) -> Finding:
    if member.password is None:
        return _unread(PASSWORD_CHECK, member, "GetLoginProfile", resource, base)
    evidence = {**base, "password": member.password, "password_created": member.password_created}
    if member.password:
        created = (
            f" (created {minute_text(member.password_created)} UTC)"
            if member.password_created
            else ""
        )
        return _finding(
            PASSWORD_CHECK,
            Status.FAIL,
            resource=resource,
            detail=f"The root user of {member.label} has a console password{created}.",
            evidence=evidence,
        )
    return _finding(
        PASSWORD_CHECK,
        Status.PASS,
        resource=resource,
        detail=f"The root user of {member.label} has no console password.",
        evidence=evidence,
    )


def _keys_finding(member: MemberRoot, resource: str, base: dict[str, Any]) -> Finding:
    keys = member.access_keys
    if keys is None:
        return _unread(KEYS_CHECK, member, "ListAccessKeys", resource, base)
    evidence = {**base, "access_keys": [k.model_dump(mode="json") for k in keys]}
    if not keys:
        return _finding(
            KEYS_CHECK,
            Status.PASS,
            resource=resource,
            detail=f"The root user of {member.label} has no access key.",
            evidence=evidence,
        )
    parts = []
    for k in keys:
        if not k.usage_read:
            use = "last use not read"
        elif k.last_used is None:
            use = "never used"
        else:
            where = ", ".join(x for x in (k.last_used_service, k.last_used_region) if x)
            use = f"last used {minute_text(k.last_used)} UTC" + (f" ({where})" if where else "")
        parts.append(f"{k.access_key_id} {k.status.lower()}, {use}")
    return _finding(
        KEYS_CHECK,
        Status.FAIL,
        resource=resource,
        detail=f"The root user of {member.label} has {len(keys)} access "
        f"key{'s' if len(keys) != 1 else ''}: " + "; ".join(parts) + ".",
        evidence=evidence,
    )


def _certs_finding(member: MemberRoot, resource: str, base: dict[str, Any]) -> Finding:
    certs = member.signing_certificates
    if certs is None:
        return _unread(CERTS_CHECK, member, "ListSigningCertificates", resource, base)
    evidence = {**base, "signing_certificates": [c.model_dump(mode="json") for c in certs]}
    if not certs:
        return _finding(
            CERTS_CHECK,
            Status.PASS,
            resource=resource,
            detail=f"The root user of {member.label} has no signing certificate.",
            evidence=evidence,
        )
    listed = ", ".join(f"{c.certificate_id} {c.status.lower()}" for c in certs)
    return _finding(
        CERTS_CHECK,
        Status.FAIL,
        resource=resource,
        detail=f"The root user of {member.label} has {len(certs)} signing "
        f"certificate{'s' if len(certs) != 1 else ''}: {listed}.",
        evidence=evidence,
    )


def _security_contact(audit: MemberRootAudit, member: MemberRoot) -> Finding:
    resource = f"AWS::::Account:{member.account_id}"
    base: dict[str, Any] = {"account_id": member.account_id, "account_name": member.name}
    contact = member.security_contact
    if contact is None:
        return _unread(CONTACT_CHECK, member, "GetAlternateContact", resource, base)
    if not contact:
        return _finding(
            CONTACT_CHECK,
            Status.FAIL,
            resource=resource,
            detail=f"{member.label} has no security alternate contact: AWS security "
            "notifications reach only the account's root email address.",
            evidence={**base, "security_contact": None},
        )
    found = contact[0]
    return _finding(
        CONTACT_CHECK,
        Status.PASS,
        resource=resource,
        detail=f"{member.label} has a security alternate contact"
        + (f" ({found.email_address})." if found.email_address else "."),
        evidence={**base, "security_contact": found.model_dump(mode="json")},
    )


# --------------------------------------------------------------------------- SCPs


def _path(nodes: dict[str, OrganizationNode], account_id: str) -> list[OrganizationNode] | None:
    """The account's node and its ancestors up to the root; None when the chain is
    broken (a node missing from the tree as read)."""
    out: list[OrganizationNode] = []
    current = nodes.get(account_id)
    seen: set[str] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        out.append(current)
        if current.kind is NodeKind.ROOT:
            return out
        current = nodes.get(current.parent_id or "")
    return None


def _verdicts(
    audit: MemberRootAudit, account_id: str, policy_ids: Iterable[str]
) -> dict[str, ScpVerdict | str]:
    """Each policy's verdict for this account, or why there is none."""
    by_id = {p.policy_id: p for p in audit.policies}
    out: dict[str, ScpVerdict | str] = {}
    for pid in policy_ids:
        policy = by_id.get(pid)
        if policy is None or policy.content is None:
            gap = next((g for g in audit.gaps if g.resource == pid), None)
            out[pid] = gap.describe() if gap else f"policy {pid} was not read"
            continue
        try:
            out[pid] = scp_denies_root(
                policy.content,
                account_id=account_id,
                partition=audit.partition,
                organization_id=audit.organization_id,
            )
        except ParseError as exc:
            out[pid] = f"policy {pid} could not be evaluated: {exc}"
    return out


def _deny_root_scp(audit: MemberRootAudit) -> Finding:
    resource = _organization_resource(audit)
    members = [
        m for m in audit.members if not m.management and m.status is not MemberRootStatus.SKIPPED
    ]
    evidence: dict[str, Any] = {"scp_enabled": audit.scp_enabled}
    if audit.scp_enabled is None or audit.nodes is None:
        gap = audit.gap("ListRoots")
        evidence["gaps"] = [gap.model_dump(mode="json")] if gap else []
        return _finding(
            SCP_CHECK,
            Status.UNKNOWN,
            resource=resource,
            detail="The organization's tree could not be read ("
            + (gap.describe() if gap else "organizations:ListRoots was not called")
            + "): which service control policies apply to the members is not known.",
            evidence=evidence,
        )
    if not members:
        return _finding(
            SCP_CHECK,
            Status.NOT_APPLICABLE,
            resource=resource,
            detail="The organization has no active member account to protect.",
            evidence=evidence,
        )
    if not audit.scp_enabled:
        return _finding(
            SCP_CHECK,
            Status.FAIL,
            resource=resource,
            detail="Service control policies are not enabled in the organization "
            "(policy type SERVICE_CONTROL_POLICY on its root): nothing denies the member "
            "accounts' root users.",
            evidence=evidence,
        )
    nodes = {n.id: n for n in audit.nodes}
    names = {p.policy_id: p.name or p.policy_id for p in audit.policies}
    accounts: dict[str, Any] = {}
    uncovered: list[str] = []
    unknown: list[str] = []
    blocking: set[str] = set()
    for m in members:
        path = _path(nodes, m.account_id)
        if path is None:
            accounts[m.account_id] = {
                "status": "UNKNOWN",
                "why": "the account's place in the organization's tree was not read",
            }
            unknown.append(m.account_id)
            continue
        covered: list[dict[str, Any]] = []
        whys: list[str] = []
        partial: list[str] = []
        for node in path:
            if node.policy_ids is None:
                gap = next(
                    (g for g in audit.gaps if g.resource == node.id),
                    None,
                )
                whys.append(gap.describe() if gap else f"the policies of {node.id} were not read")
                continue
            for pid, verdict in _verdicts(audit, m.account_id, node.policy_ids).items():
                if isinstance(verdict, str):
                    whys.append(verdict)
                elif verdict.denies_root:
                    covered.append(
                        {
                            "policy_id": pid,
                            "policy_name": names.get(pid, pid),
                            "target_id": node.id,
                            "target_kind": node.kind.value,
                            "blocks_root_sessions": verdict.blocks_root_sessions,
                        }
                    )
                    if verdict.blocks_root_sessions:
                        blocking.add(names.get(pid, pid))
                elif len(verdict.not_denied) < len(PROBE_ACTIONS):
                    partial.append(f"{names.get(pid, pid)}: {verdict.detail}")
        if covered:
            accounts[m.account_id] = {"status": "PASS", "covered_by": covered}
        elif whys:
            accounts[m.account_id] = {"status": "UNKNOWN", "why": whys}
            unknown.append(m.account_id)
        else:
            accounts[m.account_id] = {
                "status": "FAIL",
                "path": [n.id for n in path],
                "partial_denies": partial,
            }
            uncovered.append(m.account_id)
    evidence["accounts"] = accounts
    targets = _uncovered_targets(nodes, accounts)
    evidence["targets_without_deny"] = targets
    evidence["blocks_root_sessions"] = sorted(blocking)
    note = ""
    if blocking:
        note = (
            f" Note: {', '.join(sorted(blocking))} also "
            f"{'denies' if len(blocking) == 1 else 'deny'} centralized root sessions "
            "(no aws:AssumedRoot exception): privileged tasks through sts:AssumeRoot will "
            "be denied in the members it covers."
        )
    if uncovered:
        where = f"; their parents without one: {_short(targets)}" if targets else ""
        return _finding(
            SCP_CHECK,
            Status.FAIL,
            resource=resource,
            detail=f"{len(uncovered)} of {len(members)} member accounts have no service "
            f"control policy denying their root user: {_short(uncovered)}{where}." + note,
            evidence=evidence,
        )
    if unknown:
        return _finding(
            SCP_CHECK,
            Status.UNKNOWN,
            resource=resource,
            detail=f"For {len(unknown)} of {len(members)} member accounts the service "
            f"control policies that apply could not all be read: {_short(unknown)}." + note,
            evidence=evidence,
        )
    policies = sorted({c["policy_name"] for a in accounts.values() for c in a["covered_by"]})
    return _finding(
        SCP_CHECK,
        Status.PASS,
        resource=resource,
        detail=f"Every member account ({len(members)}) is covered by a service control "
        f"policy that denies its root user everything: {_short(policies)}." + note,
        evidence=evidence,
    )


def _uncovered_targets(nodes: dict[str, OrganizationNode], accounts: dict[str, Any]) -> list[str]:
    """The parents (OUs, or the root) of the uncovered member accounts: where a
    deny-root SCP is missing (attaching one to the organization root covers them all)."""
    failing = [a for a, v in accounts.items() if v["status"] == "FAIL"]
    found: list[str] = []
    for account_id in failing:
        path = accounts[account_id].get("path") or []
        if len(path) >= 2:
            found.append(path[1])  # the account's parent (an OU or the root)
        else:
            found.append(account_id)
    return sorted(dict.fromkeys(found))


def _short(items: Sequence[str], limit: int = 6) -> str:
    shown = list(items[:limit])
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

"""The cells of a member-root audit's table and markdown (pure): one short text per fact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rootguard._member_root_models import MEMBER_CHECKS, MemberRoot, MemberRootStatus
from rootguard._posture._models import Finding, Status

if TYPE_CHECKING:
    from rootguard._member_root_report import MemberRootAudit

__all__ = [
    "contact_cell",
    "count_cell",
    "features",
    "fit",
    "keys_cell",
    "md",
    "mfa_cell",
    "oneline",
    "password_cell",
    "verdict_cell",
    "wrap",
]


def fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def wrap(text: str, width: int, indent: str = "    ") -> list[str]:
    """``text`` in lines of at most ``width`` characters, each starting with ``indent``."""
    lines: list[str] = []
    current = indent
    for word in text.split():
        if current.strip() and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = indent + word
        else:
            current = f"{current} {word}" if current.strip() else current + word
    if current.strip():
        lines.append(current)
    return lines


def oneline(text: str | None) -> str:
    """Text others control, on one line of printable characters (a table cell)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text or "").split())


def md(text: str) -> str:
    text = oneline(text)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def features(audit: MemberRootAudit) -> str:
    if audit.root_features is None:
        gap = audit.gap("ListOrganizationsFeatures")
        return f"unknown ({gap.describe()})" if gap else "unknown"
    names = ("RootCredentialsManagement", "RootSessions")
    return ", ".join(f"{n} {'on' if n in audit.root_features else 'off'}" for n in names)


def _not_audited(m: MemberRoot) -> bool:
    return m.status is not MemberRootStatus.AUDITED


def password_cell(m: MemberRoot) -> str:
    if _not_audited(m):
        return "-"
    if m.password is None:
        return "?"
    return "YES" if m.password else "no"


def keys_cell(m: MemberRoot) -> str:
    if _not_audited(m):
        return "-"
    if m.access_keys is None:
        return "?"
    if not m.access_keys:
        return "0"
    active = sum(k.active for k in m.access_keys)
    return f"YES {len(m.access_keys)} ({active} act)"


def mfa_cell(m: MemberRoot) -> str:
    if _not_audited(m):
        return "-"
    if m.mfa_devices is None:
        return "?"
    if not m.mfa_devices:
        return "none"
    virtual = sum(d.virtual for d in m.mfa_devices)
    hardware = len(m.mfa_devices) - virtual
    parts = ([f"{hardware} hw"] if hardware else []) + ([f"{virtual} virt"] if virtual else [])
    return " ".join(parts)


def count_cell(items: Sequence[Any] | None, m: MemberRoot) -> str:
    if _not_audited(m):
        return "-"
    if items is None:
        return "?"
    return f"YES {len(items)}" if items else "0"


def contact_cell(m: MemberRoot) -> str:
    if m.security_contact is None:
        return "?" if m.status is not MemberRootStatus.SKIPPED or m.management else "-"
    return "set" if m.security_contact else "NONE"


def verdict_cell(m: MemberRoot, findings: list[Finding]) -> str:
    if m.error is not None:
        return f"ERROR {m.error.error_code}"
    if m.status is MemberRootStatus.SKIPPED:
        return "management" if m.management else (m.state or "skipped").lower()
    found = [f for f in findings if f.check_id in MEMBER_CHECKS]
    statuses = {f.status for f in found}
    if Status.FAIL in statuses:
        return "CREDENTIALS"
    if Status.UNKNOWN in statuses:
        return "unknown"
    if statuses == {Status.NOT_APPLICABLE}:
        return "n/a"
    return "clean"

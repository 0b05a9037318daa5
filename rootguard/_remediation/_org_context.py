"""The frozen context every organization planner family receives (pure).

Like :class:`~rootguard._remediation._context.PlanContext` for an account: the audit and
the options, read-only, and a :class:`PlanOutput` the families only add to. Work whose
state could not be read is blocked (a :class:`BlockedItem` naming the failed reads), and
every action that depends on blocked work is blocked with it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rootguard._member_root_report import MemberRoot, MemberRootAudit
from rootguard._posture._models import Finding
from rootguard._remediation._actions import BaseAction, BlockedKind
from rootguard._remediation._context import Draft, PlanOutput, unique
from rootguard._remediation._org_options import OrganizationRemediationOptions
from rootguard._snapshot import Gap

__all__ = ["OrgPlanContext", "organization_arn"]

logger = logging.getLogger(__name__)


def organization_arn(audit: MemberRootAudit) -> str:
    """The organization's ARN (its management account and id must be known)."""
    return (
        f"arn:{audit.partition}:organizations::{audit.management_account_id}:"
        f"organization/{audit.organization_id}"
    )


@dataclass(frozen=True)
class OrgPlanContext:
    """What an organization planner family reads (frozen), and where it writes."""

    audit: MemberRootAudit
    opts: OrganizationRemediationOptions
    out: PlanOutput
    home: str
    """The region of the regional calls (``sts:AssumeRoot``)."""

    @property
    def partition(self) -> str:
        return self.audit.partition

    @property
    def management(self) -> str:
        return self.audit.management_account_id or ""

    @property
    def org_arn(self) -> str:
        return organization_arn(self.audit)

    @staticmethod
    def aid(kind: str, name: str) -> str:
        """Stable action id ``<kind>:global:<name>``."""
        return f"{kind}:global:{name}"

    def finding(self, check_id: str) -> Finding | None:
        """The organization-wide finding of a check (None: the audit has none)."""
        return next(
            (
                f
                for f in self.audit.findings
                if f.check_id == check_id and "account_id" not in f.evidence
            ),
            None,
        )

    def gaps_of(self, operation: str, *, member: MemberRoot | None = None) -> list[Gap]:
        """The audit's gaps of one operation (the member's when ``member`` is given)."""
        gaps = member.gaps if member is not None else self.audit.gaps
        return [g for g in gaps if g.operation == operation]

    def add(self, action: BaseAction) -> str:
        """Plan the action — unless it depends on blocked work: then it is blocked too."""
        waiting = unique(
            [
                self.out.blocked_actions[d]
                for d in action.depends_on
                if d in self.out.blocked_actions
            ]
        )
        if not waiting:
            self.out.actions.append(action)
            return action.id
        names = ", ".join(self.out.blocked[w].kind.value for w in waiting)
        self.block(
            type(action).BLOCKED_AS,
            action.id.split(":", 2)[-1],
            resource=action.resource,
            description=f"{action.description} (waits for blocked {names})",
            fixes=action.fixes,
            actions=(str(getattr(action, "kind", "")),),
            depends_on=tuple(waiting),
            would_be=(action.id,),
        )
        return action.id

    def block(
        self,
        kind: BlockedKind,
        name: str,
        *,
        description: str,
        resource: str | None = None,
        gaps: Sequence[Gap] = (),
        permissions: Sequence[str] = (),
        fixes: Sequence[str] = (),
        actions: Sequence[str] = (),
        depends_on: Sequence[str] = (),
        would_be: Sequence[str] = (),
    ) -> str:
        """Record blocked work (merged with an item of the same id); the ids in
        ``would_be`` are the actions it stands for (what depends on them is blocked)."""
        bid = f"{kind.value}:global:{name}"
        needed = [f"{g.service}:{g.operation}" for g in gaps] + list(permissions)
        for dep in depends_on:
            item = self.out.blocked.get(dep)
            if item is not None:
                gaps = [*gaps, *item.gaps]
                needed += item.permissions
        draft = self.out.blocked.get(bid)
        if draft is None:
            draft = Draft(bid, kind, None, resource, description)
            self.out.blocked[bid] = draft
        draft.fixes = unique([*draft.fixes, *fixes])
        draft.actions = unique([*draft.actions, *actions])
        draft.gaps = unique([*draft.gaps, *gaps])
        draft.permissions = unique([*draft.permissions, *needed])
        draft.depends_on = unique([*draft.depends_on, *(d for d in depends_on if d != bid)])
        for action_id in would_be:
            self.out.blocked_actions[action_id] = bid
        logger.debug("blocked %s: %s", bid, draft.description)
        return bid

"""What every planner family shares (pure): the frozen :class:`PlanContext`
(snapshot, options, findings, the decided home region and topic) and the outputs it
writes to (:class:`PlanOutput`), plus small helpers."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rootguard._judge import trail_records_management
from rootguard._posture._models import Finding, Status
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from rootguard._remediation._actions import BaseAction, BlockedKind
from rootguard._remediation._constants import MANAGED_TAG_KEY, MANAGED_TAG_VALUE
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._plan import BlockedItem
from rootguard._snapshot import AccountSnapshot, Gap, Trail

# ------------------------------------------------------------------------------ helpers

logger = logging.getLogger(__name__)


def managed_tags(key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: MANAGED_TAG_KEY, value: MANAGED_TAG_VALUE}]


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


MANAGEMENT_BASIC_SELECTOR: dict[str, Any] = {
    "ReadWriteType": "All",
    "IncludeManagementEvents": True,
    "DataResources": [],
}
"""The basic event selector rootguard appends: all management events."""
MANAGEMENT_ADVANCED_SELECTOR: dict[str, Any] = {
    "Name": "rootguard: all management events",
    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
}
"""The advanced event selector rootguard appends: all management events."""


def with_iam(group: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The recording group extended to record AWS::IAM::User (None: not extensible)."""
    if not group:
        return None
    new = dict(group)
    strategy = (group.get("recordingStrategy") or {}).get("useOnly") or ""
    if group.get("allSupported"):
        new["includeGlobalResourceTypes"] = True
        return new
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
        new["exclusionByResourceTypes"] = {
            "resourceTypes": [t for t in excluded if t != "AWS::IAM::User"]
        }
        return new
    types = list(group.get("resourceTypes") or [])
    if not types:
        return None
    new["resourceTypes"] = [*types, "AWS::IAM::User"]
    return new


Read = tuple[str, str, "str | None", "str | None"]
"""A read the planner depends on: (service, operation, region or None, resource or None)."""

PASS, WORK, BLOCKED = "pass", "work", "blocked"


def any_call(region: str) -> Read:
    """Every call in a region (what failed when nothing was collected there)."""
    return ("*", "*", region, None)


def norm_arn(arn: str) -> str:
    """A log-group ARN with or without its ``:*`` suffix compares equal."""
    return arn[:-2] if arn.endswith(":*") else arn


def short_name(resource: str) -> str:
    """The last segment of an ARN or path (``…:alarm:x`` → ``x``)."""
    return resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or resource


def unique(items: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


@dataclass
class Why:
    """Why a piece of work cannot be planned: a sentence and the reads it waits for."""

    text: str
    reads: tuple[Read, ...] = ()
    depends_on: tuple[str, ...] = ()


@dataclass
class Draft:
    """A blocked item being built (several causes may merge into one)."""

    id: str
    kind: BlockedKind
    region: str | None
    resource: str | None
    description: str
    fixes: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    not_collected: list[str] = field(default_factory=list)

    def build(self) -> BlockedItem:
        return BlockedItem(
            id=self.id,
            kind=self.kind,
            region=self.region,
            resource=self.resource,
            description=self.description,
            fixes=tuple(self.fixes),
            actions=tuple(self.actions),
            gaps=tuple(self.gaps),
            permissions=tuple(self.permissions),
            depends_on=tuple(self.depends_on),
            not_collected=tuple(self.not_collected),
        )


@dataclass
class TrailDecision:
    """What the trail part of the plan is: nothing (``pass``), ``work`` on ``trail``
    (``create`` a new one when None), or ``blocked`` by ``why``."""

    state: str
    trail: Trail | None = None
    create: bool = False
    why: Why | None = None
    undecided: list[Trail] = field(default_factory=list)
    possible: list[Trail | None] | None = None
    """The trails a complete snapshot could lead the plan to build on (None: any)."""


@dataclass
class PlanOutput:
    """What the planner families write: the planned actions, warnings and blocked work.

    The only mutable part of planning; :class:`PlanContext` holds it by reference."""

    actions: list[BaseAction] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocked: dict[str, Draft] = field(default_factory=dict)
    blocked_actions: dict[str, str] = field(default_factory=dict)
    """Id of an action that is not planned → id of the blocked item it falls under."""


@dataclass(frozen=True)
class PlanContext:
    """Everything a planner family reads, passed explicitly to each family's functions.

    Built once from the snapshot and options (:func:`new_context`), then completed with
    the home region, the EventBridge regions and the alert topic once they are decided
    (:func:`dataclasses.replace`). Frozen: a family never changes what another decided;
    it only adds to :attr:`out`."""

    snap: AccountSnapshot
    opts: RemediationOptions
    policy: Policy
    """The checks the plan must make pass (delivery recency left out: no API call can
    make CloudTrail deliver sooner)."""
    report: Report | None
    out: PlanOutput
    home: str = ""
    home_block: Why | None = None
    """Set when no home-region work can be planned (home undecided or not collected)."""
    home_ambiguous: bool = False
    regions: tuple[str, ...] = ()
    topic_arn: str = ""

    @property
    def account(self) -> str:
        return self.snap.account_id

    @property
    def partition(self) -> str:
        return self.snap.partition

    @property
    def collected(self) -> set[str]:
        return set(self.snap.regions) | set(self.snap.region_data)

    def arn(self, service: str, region: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"

    def role_arn(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"

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
        action_kind = str(getattr(action, "kind", ""))
        kind = type(action).BLOCKED_AS
        names = ", ".join(self.out.blocked[w].kind.value for w in waiting)
        self.block(
            kind,
            action.region,
            short_name(action.resource),
            resource=action.resource,
            description=f"{action.description} (waits for blocked {names})",
            fixes=action.fixes,
            actions=(action_kind,),
            why=Why("", depends_on=tuple(waiting)),
            would_be=(action.id,),
        )
        return action.id

    @staticmethod
    def aid(kind: str, region: str | None, name: str) -> str:
        return f"{kind}:{region or 'global'}:{name}"

    def region_data(self, region: str) -> Any:
        return self.snap.region_data.get(region)

    def gaps_for(self, reads: Sequence[Read]) -> list[Gap]:
        """The snapshot's gaps that one of the reads names."""
        found: list[Gap] = []
        for gap in self.snap.gaps:
            for service, operation, region, resource in reads:
                if service != "*" and (gap.service != service or gap.operation != operation):
                    continue
                if region is not None and gap.region not in (region, None):
                    continue
                if resource is not None and (
                    gap.resource is None or norm_arn(gap.resource) != norm_arn(resource)
                ):
                    continue
                if gap not in found:
                    found.append(gap)
                break
        return found

    @staticmethod
    def permissions_for(gaps: Sequence[Gap], reads: Sequence[Read]) -> list[str]:
        calls = [(g.service, g.operation) for g in gaps] or [
            (r[0], r[1]) for r in reads if r[0] != "*"
        ]
        out: list[str] = []
        for service, operation in calls:
            out.append(f"{service}:{operation}")
            if (service, operation) == ("iam", "GetCredentialReport"):
                out.append("iam:GenerateCredentialReport")
        return unique(out)

    def block(
        self,
        kind: BlockedKind,
        region: str | None,
        name: str,
        *,
        description: str,
        why: Why,
        resource: str | None = None,
        fixes: Sequence[str] = (),
        actions: Sequence[str] = (),
        would_be: Sequence[str] = (),
    ) -> str:
        """Record blocked work (merged with an item of the same id) and mark the ids of
        the actions it would have planned, so that what depends on them is blocked too."""
        bid = f"{kind.value}:{region or 'global'}:{name}"
        gaps = self.gaps_for(why.reads)
        permissions = self.permissions_for(gaps, why.reads) if why.reads else []
        # Every call in a region with no data at all: it was not collected (no gap).
        missing = [
            r[2]
            for r in why.reads
            if r[0] == "*" and r[2] is not None and r[2] not in self.snap.region_data
        ]
        for dep in why.depends_on:
            item = self.out.blocked.get(dep)
            if item is not None:
                gaps += item.gaps
                permissions += item.permissions
                missing += item.not_collected
        draft = self.out.blocked.get(bid)
        if draft is None:
            text = f"{description}: {why.text}" if why.text else description
            draft = Draft(bid, kind, region, resource, text)
            self.out.blocked[bid] = draft
        draft.fixes = unique([*draft.fixes, *fixes])
        draft.actions = unique([*draft.actions, *actions])
        draft.gaps = unique([*draft.gaps, *gaps])
        draft.permissions = unique([*draft.permissions, *permissions])
        draft.depends_on = unique([*draft.depends_on, *(d for d in why.depends_on if d != bid)])
        draft.not_collected = sorted({*draft.not_collected, *missing})
        for action_id in would_be:
            self.out.blocked_actions[action_id] = bid
        logger.debug("blocked %s: %s", bid, draft.description)
        return bid

    def status(self, check_id: str, region: str | None = None) -> Status | None:
        """FAIL if any finding fails, else UNKNOWN if any is unknown, else PASS when all
        pass; None when the check has no finding (for ``region``)."""
        found = self.findings(check_id, region)
        if not found:
            return None
        statuses = {f.status for f in found}
        for status in (Status.FAIL, Status.UNKNOWN):
            if status in statuses:
                return status
        return Status.PASS if statuses == {Status.PASS} else Status.NOT_APPLICABLE

    def state(self, check_id: str, unread: Sequence[Read], region: str | None = None) -> str:
        """``pass`` (nothing to do), ``work`` (plan what fails) or ``blocked`` (the check is
        UNKNOWN because of data that was not read: whether work is needed is unknown).
        A check UNKNOWN for other reasons (an input it does not judge) is planned for."""
        status = self.status(check_id, region)
        if status is Status.PASS or status is Status.NOT_APPLICABLE:
            return PASS
        if status is Status.UNKNOWN and unread:
            return BLOCKED
        return WORK

    def findings(self, check_id: str, region: str | None = None) -> list[Finding]:
        if self.report is None:
            return []
        return [
            f
            for f in self.report.by_check(check_id)
            if region is None or f.region in (region, None)
        ]

    def passes(self, check_id: str, region: str | None = None) -> bool:
        """True when the check's findings (for ``region``) are all PASS."""
        found = self.findings(check_id, region)
        return bool(found) and all(f.status is Status.PASS for f in found)

    def records_management(self, trail: Trail) -> bool | None:
        """Whether the trail's selectors record every management event — judged as
        ``cloudtrail.multi_region`` judges it (None: the selectors were not read)."""
        return trail_records_management(
            trail,
            self.account,
            allow_excluded_sources=self.policy.allow_excluded_management_event_sources,
        )

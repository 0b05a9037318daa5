"""The plan (pure): ordered actions plus what could not be planned (blocked items)."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rootguard._errors import PlanError
from rootguard._kinds import check_kind
from rootguard._remediation._actions import (
    Action,
    ApiAction,
    BaseAction,
    BlockedKind,
    ChangeType,
    ManualStep,
)
from rootguard._snapshot import Gap

# ------------------------------------------------------------------------------ blocked


class BlockedItem(BaseModel):
    """Something the plan could not decide, because rootguard could not read what it
    depends on (a ``None`` collection of the snapshot, or a :class:`~rootguard.Gap` naming
    the call that would have shown it).

    rootguard never builds what it could not see: nothing in :attr:`Plan.actions` creates,
    replaces or updates a blocked item, and an action that would depend on one is blocked
    with it. Grant the read permissions named in :attr:`permissions`, collect again and
    plan again.

    Examples:
        >>> import rootguard
        >>> gap = rootguard.Gap(service="cloudwatch", operation="DescribeAlarms",
        ...                     region="us-east-1", error_code="AccessDenied")
        >>> item = rootguard.BlockedItem(
        ...     id="metric_alarm:us-east-1:rootguard-root-account-usage", kind="metric_alarm",
        ...     region="us-east-1", description="the root-usage alarm", gaps=(gap,),
        ...     permissions=("cloudwatch:DescribeAlarms",))
        >>> item.kind.value, item.why()
        ('metric_alarm', 'cloudwatch:DescribeAlarms in us-east-1 failed: AccessDenied')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Stable id ``<kind>:<region or global>:<name>`` (same inputs → same id)."""
    kind: BlockedKind
    """What could not be planned."""
    region: str | None
    """The region the work would be in; None for global work (IAM, root)."""
    resource: str | None = None
    """The resource concerned, when it is known (an ARN or a name)."""
    description: str
    """One line for humans: what could not be planned and why."""
    fixes: tuple[str, ...] = ()
    """The check ids the blocked work would help to pass."""
    actions: tuple[str, ...] = ()
    """The kinds of actions the work may need (none of them is in the plan)."""
    gaps: tuple[Gap, ...] = ()
    """The failed reads that block it (empty when the snapshot recorded no gap for a
    collection it does not have)."""
    permissions: tuple[str, ...] = ()
    """The IAM read permissions whose calls failed (or, with no gap recorded, the calls
    that fill the missing data): grant them, collect and plan again."""
    depends_on: tuple[str, ...] = ()
    """Ids of the other blocked items it waits for (it is blocked because they are)."""
    not_collected: tuple[str, ...] = ()
    """The regions it depends on that the snapshot has no data for at all (not collected,
    so no failed call could be recorded as a gap): collect them and plan again."""

    def why(self) -> str:
        """The failed reads, one phrase each (``… failed: AccessDenied``), and the regions
        that were not collected (``us-west-2 was not collected``)."""
        reasons = [g.describe() for g in self.gaps]
        reasons += [f"{region} was not collected" for region in self.not_collected]
        if reasons:
            return "; ".join(dict.fromkeys(reasons))
        if self.depends_on:
            return "waits for " + ", ".join(self.depends_on)
        return "the data it needs is missing from the snapshot (no gap recorded)"


# --------------------------------------------------------------------------------- plan


PLAN_SCHEMA_VERSION = 1
"""The ``schema_version`` of the plans this rootguard writes and the newest it reads."""


class Plan(BaseModel):
    """An ordered, reviewable, serializable remediation plan.

    ``actions`` is in execution order (each action's ``depends_on`` names earlier
    actions). :attr:`is_empty` is True when no API call is planned — :class:`ManualStep`
    entries (root MFA, root keys, pending confirmations) do not count, because no
    re-run of rootguard can make them go away.

    ``blocked`` lists what could not be planned because the snapshot lacks the data it
    depends on (:class:`BlockedItem`). A plan with blocked entries is **incomplete**
    (:attr:`complete` is False): an empty but incomplete plan does not mean "nothing to
    do", only that nothing could be planned safely. :attr:`is_empty` does not look at
    ``blocked``; "nothing to do" is ``plan.is_empty and plan.complete``.

    Examples:
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333",
        ...     regions=["us-east-1"], trails=[],
        ...     account_summary={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
        ...     region_data={"us-east-1": {"region": "us-east-1", "trails": [],
        ...         "log_groups": [], "alarms": [], "topics": [], "event_rules": [],
        ...         "config_recorders": [], "config_rules": [], "delivery_channels": []}})
        >>> p = rootguard.plan(snap, rootguard.RemediationOptions(alert_emails=["a@example.com"]))
        >>> p.is_empty, p.complete, p.actions[0].kind
        (False, True, 'CreateBucket')
        >>> rootguard.Plan.model_validate_json(p.model_dump_json()) == p
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["plan"] = "plan"
    """What this file is: a snapshot or a report given as a plan is an error."""
    schema_version: int = Field(default=PLAN_SCHEMA_VERSION, ge=1)
    account_id: str
    partition: str = "aws"
    home_region: str
    regions: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    blocked: tuple[BlockedItem, ...] = ()
    """What could not be planned because rootguard could not read what it depends on
    (see :class:`BlockedItem`); nothing in ``actions`` touches it."""
    warnings: tuple[str, ...] = ()
    """What the planner left alone or could not judge for reasons other than a failed
    read (a foreign log group, a trail with five selectors …)."""

    @model_validator(mode="before")
    @classmethod
    def _check_kind(cls, data: Any) -> Any:
        check_kind(data, "plan", PLAN_SCHEMA_VERSION)
        return data

    @model_validator(mode="after")
    def _check_order(self) -> Plan:
        seen: set[str] = set()
        for action in self.actions:
            if action.id in seen:
                raise ValueError(f"duplicate action id {action.id!r}")
            missing = [d for d in action.depends_on if d not in seen]
            if missing:
                raise ValueError(f"action {action.id!r} depends on {missing} not before it")
            seen.add(action.id)
        blocked: set[str] = set()
        for item in self.blocked:
            if item.id in blocked:
                raise ValueError(f"duplicate blocked id {item.id!r}")
            blocked.add(item.id)
        for item in self.blocked:
            unknown = [d for d in item.depends_on if d not in blocked]
            if unknown:
                raise ValueError(f"blocked item {item.id!r} waits for unknown {unknown}")
        return self

    @property
    def is_empty(self) -> bool:
        """True when the plan makes no API call (manual steps and blocked entries do not
        count: check :attr:`complete` before concluding there is nothing to do)."""
        return not self.api_actions

    @property
    def complete(self) -> bool:
        """True when nothing was blocked by data rootguard could not read."""
        return not self.blocked

    @property
    def api_actions(self) -> tuple[ApiAction, ...]:
        """The actions that call AWS."""
        return tuple(a for a in self.actions if isinstance(a, ApiAction))

    @property
    def manual_steps(self) -> tuple[ManualStep, ...]:
        """The steps a human must take."""
        return tuple(a for a in self.actions if isinstance(a, ManualStep))

    def get(self, action_id: str) -> BaseAction | None:
        """The action with this id, or None."""
        return next((a for a in self.actions if a.id == action_id), None)

    def permissions(self) -> tuple[str, ...]:
        """Every IAM action the plan's calls need (sorted, unique)."""
        return tuple(sorted({p for a in self.api_actions for p in a.permissions}))

    def missing_permissions(self) -> tuple[str, ...]:
        """The IAM read permissions that would unblock the blocked entries (sorted,
        unique; empty when the plan is complete)."""
        return tuple(sorted({p for b in self.blocked for p in b.permissions}))

    def to_json(self) -> str:
        """The plan as indented JSON (:meth:`from_json` reads it back)."""
        return self.model_dump_json(indent=2)

    def __repr__(self) -> str:
        return (
            f"Plan(account_id={self.account_id!r}, home_region={self.home_region!r}, "
            f"actions={len(self.actions)} [{len(self.api_actions)} API, "
            f"{len(self.manual_steps)} manual], warnings={len(self.warnings)})"
        )

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from rootguard._notebook import plan_view

        return plan_view(self).html()

    def _repr_markdown_(self) -> str:
        from rootguard._notebook import plan_view

        return plan_view(self).markdown()

    @classmethod
    def from_json(cls, data: str | bytes) -> Plan:
        """Read a plan saved with :meth:`to_json`; :class:`~rootguard.PlanError` when the
        text is not a valid plan."""
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise PlanError(
                f"not a valid rootguard plan: {where + ': ' if where else ''}{message}"
                + (f" (and {exc.error_count() - 1} more errors)" if exc.error_count() > 1 else "")
            ) from None

    def to_text(self) -> str:
        """A terraform-like rendering for review: first, when the plan is incomplete, what
        could not be planned and why; then one block per action with its exact
        parameters; then a summary line.

        Symbols: ``+`` create, ``~`` update (additive), ``!`` manual step, ``?`` blocked.
        """
        lines = [
            f"rootguard plan for account {self.account_id} "
            f"(home region {self.home_region}; regions {', '.join(self.regions) or '-'})",
            "",
        ]
        if self.blocked:
            lines.extend(self._blocked_text())
        if not self.actions:
            lines.append(
                "No changes could be planned safely: the plan is incomplete (see above)."
                if self.blocked
                else "No changes. The root-monitoring chain is in place."
            )
        symbols = {ChangeType.CREATE: "+", ChangeType.UPDATE: "~", ChangeType.MANUAL: "!"}
        for action in self.actions:
            symbol = symbols[action.change]
            where = action.region or "global"
            lines.append(f"  # {action.description}")
            if action.fixes:
                lines.append(f"  # fixes: {', '.join(action.fixes)}")
            if action.note:
                lines.append(f"  # note: {action.note}")
            if isinstance(action, ApiAction):
                lines.append(
                    f"  {symbol} {action.service}:{action.operation} [{where}] {action.resource}"
                )
                lines.append(f"      id         = {action.id}")
                lines.append(f"      permission = {', '.join(action.permissions)}")
                if action.depends_on:
                    lines.append(f"      depends_on = {', '.join(action.depends_on)}")
                for key, value in action.params.items():
                    lines.extend(_render_param(key, value))
            else:
                lines.append(f"  {symbol} manual step [{where}] {action.resource}")
                lines.extend(f"      {i}. {step}" for i, step in enumerate(action.instructions, 1))
            lines.append("")
        for warning in self.warnings:
            lines.append(f"Warning: {warning}")
        if self.warnings:
            lines.append("")
        counts = {c: sum(1 for a in self.actions if a.change is c) for c in ChangeType}
        blocked = f"; {len(self.blocked)} blocked (incomplete)" if self.blocked else ""
        lines.append(
            f"Plan: {counts[ChangeType.CREATE]} to create, {counts[ChangeType.UPDATE]} to "
            f"update, 0 to destroy; {counts[ChangeType.MANUAL]} manual step(s){blocked}."
        )
        return "\n".join(lines)

    def _blocked_text(self) -> list[str]:
        count = len(self.blocked)
        lines = [
            f"INCOMPLETE PLAN: {count} item{'s' if count != 1 else ''} could not be planned "
            "because rootguard could not read what "
            f"{'they depend' if count != 1 else 'it depends'} on.",
            "Nothing below creates, replaces or updates them. Grant the read permission(s), "
            "collect and plan again.",
            "",
        ]
        for item in self.blocked:
            where = item.region or "global"
            lines.append(f"  # {item.description}")
            if item.fixes:
                lines.append(f"  # fixes: {', '.join(item.fixes)}")
            lines.append(f"  ? {item.kind.value} [{where}] {item.resource or '-'}")
            lines.append(f"      id         = {item.id}")
            lines.append(f"      blocked by = {item.why()}")
            if item.depends_on and (item.gaps or item.not_collected):
                lines.append(f"      waits for  = {', '.join(item.depends_on)}")
            if item.permissions:
                lines.append(f"      needs      = {', '.join(item.permissions)}")
            if item.actions:
                lines.append(f"      may need   = {', '.join(item.actions)}")
            lines.append("")
        return lines


def _render_param(key: str, value: Any) -> list[str]:
    if isinstance(value, str) and value.startswith("{"):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, (dict, list)):
        text = json.dumps(value, indent=2, sort_keys=False)
        body = text.splitlines()
        return [f"      {key:<10} = {body[0]}", *(f"      {line}" for line in body[1:])]
    return [f"      {key:<10} = {json.dumps(value)}"]

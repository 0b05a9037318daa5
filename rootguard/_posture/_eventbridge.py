"""EventBridge alerting (pure): ``monitoring.root_eventbridge``, per region, with
one forwarding hop to the home region's default bus."""

from __future__ import annotations

from typing import Any

from rootguard import _canonical
from rootguard._judge import (
    arn_part,
    rule_accepts_custom_events,
    rule_enabled,
    rule_matches,
)
from rootguard._posture._alarm import topic_state
from rootguard._posture._catalogue import CheckId
from rootguard._posture._context import Ctx, Tri, join_some
from rootguard._posture._models import Status
from rootguard._snapshot import (
    EventRule,
)

_NOTIFYING_SERVICES = {"lambda": "Lambda function", "sqs": "SQS queue", "states": "state machine"}


def _rule_matches(ctx: Ctx, rule: EventRule, event: _canonical.CanonicalEvent) -> bool | str:
    """True/False, or the pattern error text."""
    envelope_region = str(event.record.get("region", ""))
    key = (rule.arn + "\0" + (rule.event_pattern or ""), event.name + "\0" + envelope_region)
    cached = ctx._event_cache.get(key)
    if cached is not None:
        return cached
    result = rule_matches(rule.event_pattern, event.record)
    ctx._event_cache[key] = result
    return result


def _target_state(
    ctx: Ctx, rule: EventRule, event: _canonical.CanonicalEvent, *, hop: int
) -> tuple[bool | None, list[str]]:
    """Whether the rule's targets deliver ``event`` to someone."""
    if rule.targets is None:
        text, _ = ctx.missing(
            f"the targets of rule {rule.name}",
            "events",
            ("ListTargetsByRule",),
            region=rule.region,
            resource=rule.arn,
        )
        return None, [text]
    if not rule.targets:
        return False, [f"rule {rule.name} ({rule.region}) has no target"]
    notes: list[str] = []
    states: list[bool | None] = []
    for target in sorted(rule.targets, key=lambda t: t.arn):
        service = arn_part(target.arn, 2)
        if service == "sns":
            ctx.alert_topics.setdefault(target.arn, set()).add(f"rule:{rule.region}/{rule.name}")
            state, why, _ = topic_state(ctx, target.arn)
            states.append(state)
            if state is not True:
                notes.append(f"rule {rule.name}: {why}")
        elif service in _NOTIFYING_SERVICES or (
            service == "events" and ":api-destination/" in target.arn
        ):
            states.append(True)
        elif service == "events" and ":event-bus/" in target.arn:
            state, why = _forward_state(ctx, rule, target.arn, event, hop=hop)
            states.append(state)
            if state is not True:
                notes.append(f"rule {rule.name}: {why}")
        else:
            states.append(False)
            notes.append(f"rule {rule.name}: target {target.arn} notifies no one")
    return Tri.best(states), notes


def _forward_state(
    ctx: Ctx, rule: EventRule, bus_arn: str, event: _canonical.CanonicalEvent, *, hop: int
) -> tuple[bool | None, str]:
    region = arn_part(bus_arn, 3) or ""
    account = arn_part(bus_arn, 4)
    bus = bus_arn.rsplit("/", 1)[-1]
    if account != ctx.account_id:
        return None, f"forwards to {bus_arn} in account {account}, which is not visible"
    if bus != "default" or region == rule.region:
        return None, f"forwards to event bus {bus_arn}, whose rules are not collected"
    if hop > 0:
        return False, f"forwards again to {bus_arn} (only one forwarding hop is followed)"
    rd = ctx.snapshot.region_data.get(region)
    if rd is None:
        return None, f"forwards to {region}, which was not collected"
    if rd.event_rules is None:
        text, _ = ctx.missing(f"the rules of {region}", "events", ("ListRules",), region=region)
        return None, text
    states: list[bool | None] = []
    for home_rule in rd.event_rules:
        if not rule_enabled(home_rule):
            continue
        if _rule_matches(ctx, home_rule, event) is not True:
            continue
        state, _ = _target_state(ctx, home_rule, event, hop=hop + 1)
        states.append(state)
    result = Tri.best(states)
    if result is True:
        return True, f"forwarded to {region}, where a rule alerts"
    if result is None:
        return None, f"forwarded to {region}, where the alerting rule could not be judged"
    return False, f"forwards to {region}, where no enabled rule alerts on it"


def check_eventbridge(ctx: Ctx) -> None:
    check = CheckId.MONITORING_ROOT_EVENTBRIDGE
    regions = sorted(set(ctx.snapshot.regions))
    if not regions:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.account_resource,
            detail="No region was collected, so no region can be judged.",
            evidence={"regions": []},
        )
        return
    for region in regions:
        bus = f"arn:{ctx.partition}:events:{region}:{ctx.account_id}:event-bus/default"
        rd = ctx.snapshot.region_data.get(region)
        if rd is None or rd.event_rules is None:
            text, gaps = ctx.missing(
                f"the EventBridge rules of {region}", "events", ("ListRules",), region=region
            )
            ctx.add(
                check,
                Status.UNKNOWN,
                region=region,
                resource=bus,
                detail=f"{text}; root alerting in {region} cannot be judged.",
                evidence={"gaps": gaps},
            )
            continue
        rules = sorted(
            (r for r in rd.event_rules if rule_enabled(r)),
            key=lambda r: r.name,
        )
        disabled = sorted(r.name for r in rd.event_rules if r.event_pattern and not rule_enabled(r))
        coverage: dict[str, dict[str, Any]] = {}
        states: list[bool | None] = []
        notes: list[str] = []
        invalid: dict[str, str] = {}
        ctx.take_sealed()
        for event in _canonical.eventbridge_root_envelopes(ctx.account_id, region):
            matching: list[str] = []
            event_states: list[bool | None] = []
            covering: list[str] = []
            for rule in rules:
                matched = _rule_matches(ctx, rule, event)
                if isinstance(matched, str):
                    invalid[rule.name] = matched
                    continue
                if not matched:
                    continue
                matching.append(rule.name)
                state, rule_notes = _target_state(ctx, rule, event, hop=0)
                event_states.append(state)
                notes.extend(rule_notes)
                if state is True:
                    covering.append(rule.name)
            state = Tri.best(event_states)
            states.append(state)
            coverage[event.name] = {
                "covered": state,
                "matching_rules": matching,
                "alerting_rules": covering,
            }
        evidence: dict[str, Any] = {
            "enabled_rules": [r.name for r in rules],
            "disabled_rules": disabled,
            "invalid_patterns": invalid,
            # permissive, not failing: such a rule still sees every root event
            "rules_accepting_custom_events": [
                r.name for r in rules if rule_accepts_custom_events(r, ctx.account_id)
            ],
            "events": coverage,
            "notes": sorted(set(notes)),
        }
        sealed = ctx.take_sealed()
        if sealed:
            evidence["topics_with_aws_managed_key"] = sealed
        uncovered = [name for name, c in coverage.items() if c["covered"] is False]
        undecided = [name for name, c in coverage.items() if c["covered"] is None]
        if not uncovered and not undecided:
            alerting = sorted({r for c in coverage.values() for r in c["alerting_rules"]})
            ctx.add(
                check,
                Status.PASS,
                region=region,
                resource=bus,
                detail=f"Root API calls and root console sign-ins in {region} are alerted by "
                + ", ".join(alerting)
                + ".",
                evidence=evidence,
            )
        elif uncovered:
            extra = f" Notes: {join_some(sorted(set(notes)), 3)}." if notes else ""
            ctx.add(
                check,
                Status.FAIL,
                region=region,
                resource=bus,
                detail=f"No enabled rule in {region} alerts on: "
                + ", ".join(uncovered)
                + "."
                + extra,
                evidence=evidence,
            )
        else:
            ctx.add(
                check,
                Status.UNKNOWN,
                region=region,
                resource=bus,
                detail=f"Root alerting in {region} could not be confirmed for "
                + ", ".join(undecided)
                + ": "
                + join_some(sorted(set(notes)), 3)
                + ".",
                evidence=evidence,
            )

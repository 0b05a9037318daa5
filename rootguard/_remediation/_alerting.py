"""The alerting chain (pure): the root metric filter and alarm, and the EventBridge rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
from rootguard._judge import (
    alarm_fires,
    alarm_watches_metric,
    is_cis_pattern,
    metric_dimensions,
    parse_log_group_arn,
    rule_enabled,
    rule_matches_root_activity,
)
from rootguard._posture._catalogue import CheckId
from rootguard._posture._models import Status
from rootguard._remediation._actions import (
    BlockedKind,
    PutMetricAlarm,
    PutMetricFilter,
    PutRule,
    PutTargets,
)
from rootguard._remediation._constants import (
    CIS_ALARM,
    FORWARD_TARGET_ID,
    FORWARDER_ROLE,
    HOME_TARGET_ID,
    ROOT_EVENT_PATTERN,
)
from rootguard._remediation._context import (
    BLOCKED,
    PASS,
    WORK,
    PlanContext,
    Read,
    TrailDecision,
    Why,
    any_call,
    dumps,
    loads,
    managed_tags,
    unique,
)
from rootguard._remediation._storage import log_group_unread, plan_role
from rootguard._remediation._topic import topic_unread
from rootguard._remediation._trail import trail_unread
from rootguard._snapshot import Alarm, EventRule, MetricTransformation


def chain_unread(ctx: PlanContext) -> list[Read]:
    """The unread data monitoring.root_metric_alarm can be UNKNOWN for (over the
    trails known to qualify: their log groups, the alarms there, the alarms' topics)."""
    reads: list[Read] = []
    for trail in ctx.snap.trails or []:
        qualifies = (
            trail.is_multi_region_trail
            and trail.is_logging is True
            and ctx.records_management(trail) is True
        )
        parsed = parse_log_group_arn(trail.cloud_watch_logs_log_group_arn or "")
        if not qualifies or parsed is None or parsed[1] != ctx.account:
            continue
        region, _, name = parsed
        reads += log_group_unread(ctx, region, name)
        data = ctx.region_data(region)
        if data is None:
            continue
        if data.alarms is None:
            reads.append(("cloudwatch", "DescribeAlarms", region, None))
            continue
        for alarm in data.alarms:
            for action in alarm.alarm_actions:
                reads += topic_unread(ctx, action)
    return unique(reads)


def decide_chain(ctx: PlanContext, decision: TrailDecision) -> tuple[str, Why | None]:
    status = ctx.status(CheckId.MONITORING_ROOT_METRIC_ALARM)
    if status in (Status.PASS, Status.NOT_APPLICABLE):
        return PASS, None
    if decision.state == BLOCKED:
        return BLOCKED, None  # blocked with the trail (see build_plan)
    if decision.state == PASS and decision.undecided:
        names = ", ".join(t.name for t in decision.undecided)
        return BLOCKED, Why(
            f"the chain may rest on trail(s) {names}, which could not be judged",
            tuple(r for t in decision.undecided for r in trail_unread(ctx, t)),
        )
    if status is Status.UNKNOWN:
        unread = chain_unread(ctx)
        if unread:
            return BLOCKED, Why(
                "whether an alarm chain already alerts could not be read", tuple(unread)
            )
    return WORK, None


def block_chain(ctx: PlanContext, why: Why) -> str:
    return ctx.block(
        BlockedKind.METRIC_FILTER,
        None if ctx.home_ambiguous else ctx.home,
        ctx.opts.metric_filter_name,
        description="the root metric filter and its alarm",
        why=why,
        fixes=(CheckId.MONITORING_ROOT_METRIC_ALARM,),
        actions=("PutMetricFilter", "PutMetricAlarm"),
    )


def plan_metric_chain(
    ctx: PlanContext, group: str, log_deps: tuple[str, ...], topic_deps: tuple[str, ...]
) -> None:
    region = ctx.home
    data = ctx.region_data(region)
    lg = next((g for g in data.log_groups or [] if g.log_group_name == group), None)
    filters = lg.metric_filters if lg is not None else []
    if filters is None:  # build_plan blocks the chain first; kept for safety
        block_chain(
            ctx,
            Why(
                f"the metric filters of {group} could not be read",
                (("logs", "DescribeMetricFilters", region, None),),
            ),
        )
        return
    # Only a filter with the CIS pattern *text* is built on (Security Hub CloudWatch.1
    # demands the text; monitoring.root_metric_alarm accepts any pattern that works,
    # so a working non-CIS filter with its own complete chain never reaches here), and
    # only a metric rootguard's own alarm would fire on, as the check judges it.
    ours = (ctx.opts.metric_name, ctx.opts.metric_namespace)
    metrics: list[MetricTransformation] = []
    ours_ok = False
    for f in filters or []:
        if not is_cis_pattern(f.filter_pattern):
            continue
        usable = [t for t in f.metric_transformations if cis_alarm_would_fire(ctx, t)]
        metrics += usable
        if f.filter_name == ctx.opts.metric_filter_name and any(
            (t.metric_name, t.metric_namespace) == ours for t in usable
        ):
            ours_ok = True
    fixes = (CheckId.MONITORING_ROOT_METRIC_ALARM,)
    filter_id: str | None = None
    if not metrics:
        filter_id = ctx.add(
            PutMetricFilter(
                id=ctx.aid("PutMetricFilter", region, ctx.opts.metric_filter_name),
                region=region,
                resource=ctx.arn("logs", region, f"log-group:{group}"),
                description=(
                    f"metric filter {ctx.opts.metric_filter_name} on {group}: the CIS "
                    f"root-usage pattern → {ctx.opts.metric_namespace}/{ctx.opts.metric_name}"
                ),
                fixes=fixes,
                depends_on=log_deps,
                params={
                    "logGroupName": group,
                    "filterName": ctx.opts.metric_filter_name,
                    "filterPattern": CIS_ROOT_FILTER_PATTERN,
                    "metricTransformations": [
                        {
                            "metricName": ctx.opts.metric_name,
                            "metricNamespace": ctx.opts.metric_namespace,
                            "metricValue": "1",
                        }
                    ],
                },
                permissions=("logs:PutMetricFilter", "logs:DescribeMetricFilters"),
            )
        )
        metrics = [
            MetricTransformation(
                metric_name=ctx.opts.metric_name,
                metric_namespace=ctx.opts.metric_namespace,
                metric_value="1",
            )
        ]
    elif ours_ok:
        metrics.sort(key=lambda t: (t.metric_name, t.metric_namespace) != ours)
    alarms = data.alarms
    if alarms is None:
        ctx.block(
            BlockedKind.METRIC_ALARM,
            region,
            ctx.opts.alarm_name,
            resource=ctx.arn("cloudwatch", region, f"alarm:{ctx.opts.alarm_name}"),
            description="the root-usage alarm on the metric filter's metric",
            why=Why(
                f"the CloudWatch alarms of {region} could not be read, so whether one "
                "already alerts on the metric is unknown",
                (("cloudwatch", "DescribeAlarms", region, None),),
            ),
            fixes=fixes,
            actions=("PutMetricAlarm",),
            would_be=(ctx.aid("PutMetricAlarm", region, ctx.opts.alarm_name),),
        )
        return
    if any(alarm_ok(ctx, a, metrics) for a in alarms):
        return
    metric_name, namespace = metrics[0].metric_name, metrics[0].metric_namespace
    mine = next((a for a in alarms if a.alarm_name == ctx.opts.alarm_name), None)
    actions = list(dict.fromkeys([*(mine.alarm_actions if mine else []), ctx.topic_arn]))
    ctx.add(
        PutMetricAlarm(
            id=ctx.aid("PutMetricAlarm", region, ctx.opts.alarm_name),
            region=region,
            resource=ctx.arn("cloudwatch", region, f"alarm:{ctx.opts.alarm_name}"),
            description=(
                f"alarm {ctx.opts.alarm_name}: {namespace}/{metric_name} Sum ≥ 1 in 5 "
                "minutes → the alert topic"
            ),
            fixes=fixes,
            depends_on=tuple(x for x in (filter_id, *topic_deps[:1]) if x),
            params={
                "AlarmName": ctx.opts.alarm_name,
                "AlarmDescription": "rootguard: the root user was used (CIS root-usage alarm)",
                "ActionsEnabled": True,
                "AlarmActions": actions,
                "MetricName": metric_name,
                "Namespace": namespace,
                **CIS_ALARM,
                "Tags": managed_tags(),
            },
            permissions=(
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:DescribeAlarms",
            ),
        )
    )


def cis_alarm(ctx: PlanContext, metric_name: str, namespace: str) -> Alarm:
    """The alarm rootguard puts on a metric (as a snapshot would show it)."""
    return Alarm.model_validate(
        {
            "AlarmName": ctx.opts.alarm_name,
            "ActionsEnabled": True,
            "AlarmActions": [ctx.topic_arn],
            "MetricName": metric_name,
            "Namespace": namespace,
            **CIS_ALARM,
        }
    )


def cis_alarm_would_fire(ctx: PlanContext, metric: MetricTransformation) -> bool:
    """Whether rootguard's alarm on this metric would pass monitoring.root_metric_alarm
    (a positive metric value of at least 1, no dimensions)."""
    name, namespace = metric.metric_name, metric.metric_namespace
    if metric_dimensions(metric):
        return False
    fires, _ = alarm_fires(cis_alarm(ctx, name, namespace), name, namespace, metric)
    return fires is True


def alarm_ok(ctx: PlanContext, alarm: Alarm, metrics: Sequence[MetricTransformation]) -> bool:
    """Whether an existing alarm already alerts the topic on one of the metrics, as
    monitoring.root_metric_alarm judges alarms. Deliberately narrower than the check:
    the alarm must notify rootguard's alert topic (whose subscribers the plan
    manages), and rootguard's own alarm must also have exactly its parameters."""
    if not alarm.actions_enabled or ctx.topic_arn not in alarm.alarm_actions:
        return False
    if alarm.alarm_name == ctx.opts.alarm_name:
        wanted = CIS_ALARM
        cis = (
            alarm.statistic == wanted["Statistic"]
            and alarm.period == wanted["Period"]
            and alarm.evaluation_periods == wanted["EvaluationPeriods"]
            and alarm.threshold == wanted["Threshold"]
            and alarm.comparison_operator == wanted["ComparisonOperator"]
            and alarm.treat_missing_data == wanted["TreatMissingData"]
        )
        if not cis:
            return False
    return any(
        alarm_watches_metric(alarm, m.metric_name, m.metric_namespace)
        and alarm_fires(alarm, m.metric_name, m.metric_namespace, m)[0] is True
        for m in metrics
    )


def rules_unread(ctx: PlanContext, region: str, *, hop: int = 0) -> list[Read]:
    """The unread data monitoring.root_eventbridge can be UNKNOWN for in ``region``
    (rules, their targets, the topics they notify, the rules of a forwarding target)."""
    data = ctx.region_data(region)
    if data is None:
        return [any_call(region), ("events", "ListRules", region, None)]
    if data.event_rules is None:
        return [("events", "ListRules", region, None)]
    reads: list[Read] = []
    for rule in data.event_rules:
        if rule.targets is None:
            reads.append(("events", "ListTargetsByRule", region, rule.arn))
        for target in rule.targets or []:
            parts = target.arn.split(":")
            if len(parts) < 6:
                continue
            if parts[2] == "sns":
                reads += topic_unread(ctx, target.arn)
            elif (
                parts[2] == "events"
                and parts[4] == ctx.account
                and parts[5] == "event-bus/default"
                and parts[3] != region
                and hop == 0
            ):
                reads += rules_unread(ctx, parts[3], hop=1)
    return unique(reads)


def rule_states(ctx: PlanContext) -> dict[str, str]:
    """For each region of the plan: ``pass``, ``work`` or ``blocked``
    (monitoring.root_eventbridge UNKNOWN there because something was not read)."""
    states: dict[str, str] = {}
    for region in ctx.regions:
        if region not in ctx.snap.region_data:
            states[region] = BLOCKED
        else:
            states[region] = ctx.state(
                CheckId.MONITORING_ROOT_EVENTBRIDGE, rules_unread(ctx, region), region
            )
    return states


def block_rule(ctx: PlanContext, region: str, why: Why) -> None:
    ctx.block(
        BlockedKind.EVENTBRIDGE_RULE,
        region,
        ctx.opts.rule_name,
        resource=ctx.arn("events", region, f"rule/{ctx.opts.rule_name}"),
        description=f"the root-activity EventBridge rule in {region}",
        why=why,
        fixes=(CheckId.MONITORING_ROOT_EVENTBRIDGE,),
        actions=("PutRule", "PutTargets"),
    )


def plan_eventbridge(
    ctx: PlanContext, states: Mapping[str, str], topic_deps: tuple[str, ...]
) -> None:
    home = ctx.home
    bus = ctx.arn("events", home, "event-bus/default")
    forwarder = ctx.role_arn(FORWARDER_ROLE)
    role_deps: tuple[str, ...] | None = None
    for region in sorted(ctx.regions, key=lambda r: (r != home, r)):
        state = states.get(region, WORK)
        if state == PASS:
            continue
        if state == BLOCKED:
            collected = region in ctx.snap.region_data
            block_rule(
                ctx,
                region,
                Why(
                    f"the EventBridge rules of {region}, or what they notify, could not be read"
                    if collected
                    else f"nothing was collected in {region}",
                    tuple(rules_unread(ctx, region)),
                ),
            )
            continue
        if ctx.home_block is not None and (region == home or ctx.home_ambiguous):
            block_rule(ctx, region, ctx.home_block)
            continue
        rules = ctx.region_data(region).event_rules or []
        if region == home:
            wanted_target: dict[str, Any] = {"Id": HOME_TARGET_ID, "Arn": ctx.topic_arn}
        else:
            wanted_target = {"Id": FORWARD_TARGET_ID, "Arn": bus, "RoleArn": forwarder}
        if any(rule_covers(ctx, r, region, bus) for r in rules):
            continue
        unread = [r for r in rules if r.targets is None and rule_could_cover(ctx, r)]
        if unread:
            block_rule(
                ctx,
                region,
                Why(
                    "whether rule(s) "
                    + ", ".join(r.name for r in unread)
                    + " already alert could not be read (their targets)",
                    tuple(("events", "ListTargetsByRule", region, r.arn) for r in unread),
                ),
            )
            continue
        mine = next((r for r in rules if r.name == ctx.opts.rule_name), None)
        rule_arn = ctx.arn("events", region, f"rule/{ctx.opts.rule_name}")
        deps: list[str] = []
        if not (
            mine is not None
            and loads(mine.event_pattern) == ROOT_EVENT_PATTERN
            and mine.state == "ENABLED"
        ):
            deps.append(
                ctx.add(
                    PutRule(
                        id=ctx.aid("PutRule", region, ctx.opts.rule_name),
                        region=region,
                        resource=rule_arn,
                        description=(
                            f"EventBridge rule {ctx.opts.rule_name} in {region}: root API "
                            "calls and root console sign-ins"
                        ),
                        fixes=(CheckId.MONITORING_ROOT_EVENTBRIDGE,),
                        params={
                            "Name": ctx.opts.rule_name,
                            "EventPattern": dumps(ROOT_EVENT_PATTERN),
                            "State": "ENABLED",
                            "Description": "rootguard: root user activity",
                            "Tags": managed_tags(),
                        },
                        permissions=(
                            "events:PutRule",
                            "events:TagResource",
                            "events:DescribeRule",
                        ),
                    )
                )
            )
        if mine is not None and mine.targets is None:
            ctx.block(
                BlockedKind.EVENTBRIDGE_TARGETS,
                region,
                ctx.opts.rule_name,
                resource=rule_arn,
                description=f"the target of rule {ctx.opts.rule_name} in {region}",
                why=Why(
                    "its targets could not be read",
                    (("events", "ListTargetsByRule", region, mine.arn),),
                ),
                fixes=(CheckId.MONITORING_ROOT_EVENTBRIDGE,),
                actions=("PutTargets",),
            )
            continue
        targets = (mine.targets or []) if mine is not None else []
        if any(target_matches(t.model_dump(by_alias=True), wanted_target) for t in targets):
            continue
        if region == home:
            deps += list(topic_deps)
            what = "the alert topic"
        else:
            if role_deps is None:
                role_deps = plan_role(
                    ctx,
                    FORWARDER_ROLE,
                    "events.amazonaws.com",
                    [
                        {
                            "Sid": "RootGuardForwardToHomeBus",
                            "Effect": "Allow",
                            "Action": "events:PutEvents",
                            "Resource": bus,
                        }
                    ],
                    f"EventBridge forwards root activity to the {home} default bus",
                    (CheckId.MONITORING_ROOT_EVENTBRIDGE,),
                )
            deps.append(role_deps[1])
            what = f"the default event bus of {home}"
        ctx.add(
            PutTargets(
                id=ctx.aid("PutTargets", region, ctx.opts.rule_name),
                region=region,
                resource=rule_arn,
                description=f"rule {ctx.opts.rule_name} in {region} → {what}",
                fixes=(CheckId.MONITORING_ROOT_EVENTBRIDGE,),
                depends_on=tuple(deps),
                params={"Rule": ctx.opts.rule_name, "Targets": [wanted_target]},
                permissions=(
                    "events:PutTargets",
                    *(("iam:PassRole",) if region != home else ()),
                    "events:ListTargetsByRule",
                ),
            )
        )


def rule_could_cover(ctx: PlanContext, rule: EventRule) -> bool:
    """Whether the rule would be coverage (:meth:`rule_covers`) with the right target."""
    return (
        rule_enabled(rule)
        and rule.event_bus_name == "default"
        and rule_matches_root_activity(rule, ctx.account)
    )


def target_matches(have: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    return all(have.get(k) == v for k, v in want.items())


def rule_covers(ctx: PlanContext, rule: EventRule, region: str, bus: str) -> bool:
    """Whether one rule already does rootguard's part in ``region``: enabled, matching
    root activity (as ``monitoring.root_eventbridge`` judges patterns), targeting the
    alert topic (home region) or the home region's default bus (other regions).

    Deliberately narrower than the check, which asks whether a region's rules together
    deliver each root event to someone: a rule wired to rootguard's topic or bus is
    left alone even while the check fails on what lies behind it (an unconfirmed
    subscription, a missing home-region rule), which other actions fix.
    """
    if not rule_enabled(rule) or rule.event_bus_name != "default":
        return False
    if not rule.targets or not rule_matches_root_activity(rule, ctx.account):
        return False
    if region == ctx.home:
        return any(t.arn == ctx.topic_arn for t in rule.targets)
    return any(t.arn == bus and t.role_arn for t in rule.targets)

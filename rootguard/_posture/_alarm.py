"""The alerting chain (pure): ``monitoring.root_metric_alarm`` — trail > log group >
metric filter > alarm > SNS topic — and whether a topic delivers (shared with the
EventBridge and topic-policy checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rootguard._judge import (
    PatternVerdict,
    alarm_fires,
    alarm_watches_metric,
    arn_part,
    is_cis_pattern,
    judge_filter_pattern,
    metric_dimensions,
    parse_log_group_arn,
    topic_encryption,
)
from rootguard._posture._catalogue import CheckId
from rootguard._posture._context import Ctx, Tri, join_some, plural
from rootguard._posture._models import Status
from rootguard._posture._trails import TrailVerdict
from rootguard._snapshot import (
    LogGroup,
    MetricTransformation,
    RegionSnapshot,
    SnsTopic,
    Trail,
)


def _judge_filter_pattern(ctx: Ctx, pattern: str) -> PatternVerdict:
    cached = ctx._pattern_cache.get(pattern)
    if cached is not None:
        return cached
    region = ctx.snapshot.regions[0] if ctx.snapshot.regions else "us-east-1"
    verdict = judge_filter_pattern(pattern, ctx.account_id, region)
    ctx._pattern_cache[pattern] = verdict
    return verdict


def topic_state(ctx: Ctx, arn: str) -> tuple[bool | None, str, SnsTopic | None]:
    """Whether an SNS topic delivers what CloudWatch alarms and EventBridge rules publish
    to it: it exists, is not encrypted with the AWS managed key (:func:`topic_encryption`)
    and has a confirmed subscription."""
    region = arn_part(arn, 3)
    account = arn_part(arn, 4)
    if region is None or account is None:
        return False, f"{arn} is not an SNS topic ARN", None
    if account != ctx.account_id:
        return None, f"topic {arn} is in account {account}: its subscriptions are not visible", None
    rd = ctx.snapshot.region_data.get(region)
    if rd is None:
        return None, f"region {region} (topic {arn}) was not collected", None
    if rd.topics is None:
        text, _ = ctx.missing(f"the SNS topics of {region}", "sns", ("ListTopics",), region=region)
        return None, text, None
    topic = next((t for t in rd.topics if t.topic_arn == arn), None)
    if topic is None:
        return False, f"topic {arn} does not exist", None
    encryption = topic_encryption(topic)
    if encryption.services_can_publish is False:
        ctx.sealed_topics[arn] = encryption.key_id or ""
        return False, f"topic {arn} cannot receive alerts: {encryption.why()}", topic
    if topic.subscriptions is None:
        text, _ = ctx.missing(
            f"the subscriptions of {arn}",
            "sns",
            ("ListSubscriptionsByTopic",),
            region=region,
            resource=arn,
        )
        return None, text, topic
    confirmed = [s for s in topic.subscriptions if not s.pending]
    if not confirmed:
        pending = len(topic.subscriptions)
        return False, f"topic {arn} has no confirmed subscription ({pending} pending)", topic
    if encryption.services_can_publish is None:
        text, _ = ctx.missing(
            f"the attributes of {arn} (whether its KMS key lets CloudWatch and EventBridge "
            "publish)",
            "sns",
            ("GetTopicAttributes",),
            region=region,
            resource=arn,
        )
        return None, text, topic
    return True, f"{plural(len(confirmed), 'confirmed subscription')}", topic


@dataclass
class _Chain:
    status: bool | None
    reasons: list[str] = field(default_factory=list)
    complete: dict[str, Any] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)


def _chain_for_group(
    ctx: Ctx, trail: Trail, region: str, group: LogGroup, rd: RegionSnapshot
) -> _Chain:
    out = _Chain(status=False)
    if group.metric_filters is None:
        text, _ = ctx.missing(
            f"the metric filters of {group.log_group_name}",
            "logs",
            ("DescribeMetricFilters",),
            region=region,
        )
        return _Chain(status=None, reasons=[text])
    if not group.metric_filters:
        out.reasons.append(f"log group {group.log_group_name} has no metric filter")
        return out
    outcomes: list[bool | None] = []
    for mf in sorted(group.metric_filters, key=lambda f: f.filter_name):
        verdict = _judge_filter_pattern(ctx, mf.filter_pattern)
        attempt: dict[str, Any] = {
            "trail": trail.trail_arn,
            "log_group": group.log_group_name,
            "region": region,
            "filter": mf.filter_name,
            "pattern": mf.filter_pattern,
            **verdict.evidence(),
        }
        out.attempts.append(attempt)
        if not verdict.ok:
            out.reasons.append(f"filter {mf.filter_name}: {verdict.why()}")
            outcomes.append(False)
            continue
        for tr in mf.metric_transformations:
            result = _chain_from_metric(ctx, region=region, rd=rd, tr=tr, attempt=attempt, out=out)
            outcomes.append(result)
            if result is True and out.complete is None:
                out.complete = {
                    **{k: v for k, v in attempt.items() if k != "chain"},
                    "pattern_is_cis_modulo_whitespace": is_cis_pattern(mf.filter_pattern),
                    **(attempt.get("chain") or {}),
                }
    out.status = Tri.best(outcomes)
    return out


def _chain_from_metric(
    ctx: Ctx,
    *,
    region: str,
    rd: RegionSnapshot,
    tr: MetricTransformation,
    attempt: dict[str, Any],
    out: _Chain,
) -> bool | None:
    name, namespace = tr.metric_name, tr.metric_namespace
    label = f"metric {namespace}/{name}"
    if metric_dimensions(tr):
        out.reasons.append(f"{label} is published with dimensions, which are not judged")
        return None
    if rd.alarms is None:
        text, _ = ctx.missing(
            f"the CloudWatch alarms of {region}", "cloudwatch", ("DescribeAlarms",), region=region
        )
        out.reasons.append(text)
        return None
    alarms = sorted(
        (a for a in rd.alarms if alarm_watches_metric(a, name, namespace)),
        key=lambda a: a.alarm_name,
    )
    if not alarms:
        out.reasons.append(f"no alarm on {label} in {region}")
        return False
    outcomes: list[bool | None] = []
    for alarm in alarms:
        topics = sorted(a for a in alarm.alarm_actions if arn_part(a, 2) == "sns")
        for topic_arn in topics:
            ctx.alert_topics.setdefault(topic_arn, set()).add(f"alarm:{alarm.alarm_name}")
        fires, why = alarm_fires(alarm, name, namespace, tr)
        if fires is not True:
            out.reasons.append(f"alarm {alarm.alarm_name}: {why}")
            outcomes.append(fires)
            continue
        if not alarm.actions_enabled:
            out.reasons.append(f"alarm {alarm.alarm_name} has its actions disabled")
            outcomes.append(False)
            continue
        if not topics:
            shown = ", ".join(alarm.alarm_actions) if alarm.alarm_actions else "none"
            out.reasons.append(
                f"alarm {alarm.alarm_name} has no SNS alarm action (alarm actions: {shown})"
            )
            outcomes.append(False)
            continue
        for topic_arn in topics:
            state, why, _ = topic_state(ctx, topic_arn)
            outcomes.append(state)
            if state is True:
                if "chain" not in attempt:
                    attempt["chain"] = {
                        "metric_namespace": namespace,
                        "metric_name": name,
                        "alarm": alarm.alarm_arn or alarm.alarm_name,
                        "alarm_name": alarm.alarm_name,
                        "topic": topic_arn,
                        "topic_subscriptions": why,
                    }
            else:
                out.reasons.append(f"alarm {alarm.alarm_name}: {why}")
    return Tri.best(outcomes)


def check_metric_alarm(ctx: Ctx, qualifying: list[TrailVerdict], trails_known: bool) -> None:
    check = CheckId.MONITORING_ROOT_METRIC_ALARM
    if not trails_known:
        text, gaps = ctx.missing("the trail list", "cloudtrail", ("DescribeTrails",))
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.account_resource,
            detail=f"{text}; the alerting chain cannot be judged.",
            evidence={"gaps": gaps},
        )
        return
    multi = next(f for f in ctx.findings if f.check_id == CheckId.CLOUDTRAIL_MULTI_REGION)
    if not qualifying:
        status = Status.UNKNOWN if multi.status is Status.UNKNOWN else Status.FAIL
        ctx.add(
            check,
            status,
            resource=ctx.account_resource,
            detail="The chain starts at a qualifying multi-region trail, and "
            + (
                "none is known (see cloudtrail.multi_region)."
                if status is Status.UNKNOWN
                else "there is none (see cloudtrail.multi_region)."
            ),
            evidence={"qualifying_trails": []},
        )
        return
    reasons: list[str] = []
    attempts: list[dict[str, Any]] = []
    outcomes: list[bool | None] = []
    complete: dict[str, Any] | None = None
    ctx.take_sealed()
    for v in qualifying:
        trail = v.trail
        arn = trail.cloud_watch_logs_log_group_arn
        if not arn:
            reasons.append(f"trail {trail.name} does not deliver to CloudWatch Logs")
            outcomes.append(False)
            continue
        parsed = parse_log_group_arn(arn)
        if parsed is None:
            reasons.append(f"trail {trail.name}: {arn} is not a log group ARN")
            outcomes.append(False)
            continue
        region, account, group_name = parsed
        if account != ctx.account_id:
            reasons.append(
                f"trail {trail.name} delivers to log group {group_name} of account {account}: "
                "its metric filters and alarms are judged in that account"
            )
            outcomes.append(None)
            continue
        rd = ctx.snapshot.region_data.get(region)
        if rd is None:
            reasons.append(f"region {region} (log group {group_name}) was not collected")
            outcomes.append(None)
            continue
        if rd.log_groups is None:
            text, _ = ctx.missing(
                f"the log groups of {region}", "logs", ("DescribeLogGroups",), region=region
            )
            reasons.append(text)
            outcomes.append(None)
            continue
        group = next((g for g in rd.log_groups if g.log_group_name == group_name), None)
        if group is None:
            reasons.append(f"log group {group_name} of trail {trail.name} does not exist")
            outcomes.append(False)
            continue
        chain = _chain_for_group(ctx, trail, region, group, rd)
        reasons.extend(chain.reasons)
        attempts.extend(chain.attempts)
        outcomes.append(chain.status)
        if chain.complete is not None and complete is None:
            complete = chain.complete
    evidence: dict[str, Any] = {"attempts": attempts}
    sealed = ctx.take_sealed()
    if sealed:
        evidence["topics_with_aws_managed_key"] = sealed
    if complete is not None:
        exact = bool(complete.get("pattern_is_exact_cis"))
        note = (
            " The pattern is the exact CIS text."
            if exact
            else " The pattern matches root activity correctly but is not the exact CIS "
            "text, which Security Hub CloudWatch.1 requires."
        )
        evidence["chain"] = complete
        ctx.add(
            check,
            Status.PASS,
            region=str(complete.get("region")),
            resource=str(complete.get("alarm")),
            detail=f"Trail {complete.get('trail')} > log group {complete.get('log_group')} > "
            f"filter {complete.get('filter')} > metric {complete.get('metric_namespace')}/"
            f"{complete.get('metric_name')} > alarm {complete.get('alarm_name')} > topic "
            f"{complete.get('topic')} ({complete.get('topic_subscriptions')}).{note}",
            evidence=evidence,
        )
        return
    status = Status.UNKNOWN if Tri.best(outcomes) is None else Status.FAIL
    evidence["reasons"] = reasons
    ctx.add(
        check,
        status,
        resource=qualifying[0].arn,
        detail="No complete alerting chain: " + join_some(reasons) + ".",
        evidence=evidence,
    )

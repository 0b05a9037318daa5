"""Trail checks (pure): ``cloudtrail.multi_region``, ``cloudtrail.log_validation``
and the CloudWatch Logs delivery of ``cloudtrail.cloudwatch_logs``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rootguard._judge import (
    judge_selectors,
)
from rootguard._posture._catalogue import CheckId
from rootguard._posture._context import Ctx, iso_or_none, join_some
from rootguard._posture._models import Status
from rootguard._snapshot import (
    Trail,
)


@dataclass
class TrailVerdict:
    trail: Trail
    qualifies: bool | None
    reasons: list[str]
    unknown: list[str]
    evidence: dict[str, Any]

    @property
    def arn(self) -> str:
        return self.trail.trail_arn


def _judge_selectors(ctx: Ctx, trail: Trail) -> tuple[bool | None, str | None, dict[str, Any]]:
    """Whether the trail's selectors record every management event, read and write."""
    verdict = judge_selectors(
        trail.event_selectors,
        trail.advanced_event_selectors,
        ctx.account_id,
        allow_excluded_sources=ctx.policy.allow_excluded_management_event_sources,
    )
    if verdict is None:
        text, gaps = ctx.missing(
            f"the event selectors of {trail.name}",
            "cloudtrail",
            ("GetEventSelectors",),
            resource=trail.trail_arn,
        )
        return None, text, {"gaps": gaps}
    kind = verdict.kind
    uncovered = list(verdict.unrecorded)
    evidence = {
        "selector_kind": kind,
        "unrecorded_management_events": uncovered,
        "accepted_exclusions": list(verdict.accepted_exclusions),
    }
    if uncovered:
        return (
            False,
            f"its {kind} event selectors do not record every management event "
            f"(not recorded: {join_some(uncovered, 4)})",
            evidence,
        )
    return True, None, evidence


def _judge_trail(ctx: Ctx, trail: Trail) -> TrailVerdict:
    reasons: list[str] = []
    unknown: list[str] = []
    evidence: dict[str, Any] = {
        "trail": trail.trail_arn,
        "home_region": trail.home_region,
        "is_multi_region_trail": trail.is_multi_region_trail,
        "is_organization_trail": trail.is_organization_trail,
        "is_logging": trail.is_logging,
    }
    if not trail.is_multi_region_trail:
        reasons.append(f"{trail.name} is a single-region trail (home region {trail.home_region})")
    if trail.is_logging is False:
        reasons.append(f"{trail.name} is not logging")
    elif trail.is_logging is None:
        text, gaps = ctx.missing(
            f"the status of {trail.name}",
            "cloudtrail",
            ("GetTrailStatus",),
            resource=trail.trail_arn,
        )
        unknown.append(text)
        evidence["status_gaps"] = gaps
    ok, why, selector_evidence = _judge_selectors(ctx, trail)
    evidence.update(selector_evidence)
    if ok is False and why:
        reasons.append(f"{trail.name}: {why}")
    elif ok is None and why:
        unknown.append(why)
    qualifies: bool | None
    if reasons:
        qualifies = False
    elif unknown:
        qualifies = None
    else:
        qualifies = True
    evidence["qualifies"] = qualifies
    return TrailVerdict(trail, qualifies, reasons, unknown, evidence)


def _trail_rank(v: TrailVerdict) -> tuple[int, int, str]:
    t = v.trail
    return (
        0 if t.cloud_watch_logs_log_group_arn else 1,
        0 if t.log_file_validation_enabled else 1,
        t.trail_arn,
    )


def check_trails(ctx: Ctx) -> list[TrailVerdict]:
    """cloudtrail.multi_region, .log_validation, .cloudwatch_logs. Returns the qualifying
    trails (best first) for the alarm chain."""
    trails = ctx.snapshot.trails
    ids = (
        CheckId.CLOUDTRAIL_MULTI_REGION,
        CheckId.CLOUDTRAIL_LOG_VALIDATION,
        CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
    )
    if trails is None:
        text, gaps = ctx.missing("the trail list", "cloudtrail", ("DescribeTrails",))
        for check in ids:
            ctx.add(
                check,
                Status.UNKNOWN,
                resource=ctx.account_resource,
                detail=f"{text}; CloudTrail cannot be judged.",
                evidence={"gaps": gaps},
            )
        return []
    verdicts = sorted((_judge_trail(ctx, t) for t in trails), key=lambda v: v.arn)
    qualifying = sorted((v for v in verdicts if v.qualifies), key=_trail_rank)
    undecided = [v for v in verdicts if v.qualifies is None]
    all_evidence = {"trails": [v.evidence for v in verdicts]}

    # cloudtrail.multi_region
    if qualifying:
        best = qualifying[0]
        kind = "organization trail" if best.trail.is_organization_trail else "trail"
        ctx.add(
            CheckId.CLOUDTRAIL_MULTI_REGION,
            Status.PASS,
            resource=best.arn,
            detail=f"{kind.capitalize()} {best.trail.name} (home region "
            f"{best.trail.home_region}) is multi-region, logging, and records all "
            "management events, read and write.",
            evidence=all_evidence,
        )
    elif undecided:
        ctx.add(
            CheckId.CLOUDTRAIL_MULTI_REGION,
            Status.UNKNOWN,
            resource=undecided[0].arn,
            detail="No trail is known to qualify, and some could not be judged: "
            + join_some([u for v in undecided for u in v.unknown])
            + ".",
            evidence=all_evidence,
        )
    else:
        reasons = [r for v in verdicts for r in v.reasons]
        detail = (
            "No qualifying trail: " + join_some(reasons) + "."
            if reasons
            else "No CloudTrail trail applies to this account."
        )
        ctx.add(
            CheckId.CLOUDTRAIL_MULTI_REGION,
            Status.FAIL,
            resource=verdicts[0].arn if verdicts else ctx.account_resource,
            detail=detail,
            evidence=all_evidence,
        )

    # cloudtrail.log_validation
    no_trail_status = Status.UNKNOWN if undecided else Status.FAIL
    no_trail_detail = (
        "No trail is known to qualify for cloudtrail.multi_region (some could not be judged)."
        if undecided
        else "There is no qualifying multi-region trail (see cloudtrail.multi_region)."
    )
    if not qualifying:
        for check in ids[1:]:
            ctx.add(
                check,
                no_trail_status,
                resource=undecided[0].arn if undecided else ctx.account_resource,
                detail=no_trail_detail,
                evidence=all_evidence,
            )
        return []
    validating = [v for v in qualifying if v.trail.log_file_validation_enabled]
    evidence = {
        "qualifying_trails": [v.arn for v in qualifying],
        "validating_trails": [v.arn for v in validating],
    }
    if validating:
        ctx.add(
            CheckId.CLOUDTRAIL_LOG_VALIDATION,
            Status.PASS,
            resource=validating[0].arn,
            detail=f"Trail {validating[0].trail.name} validates its log files (digest files).",
            evidence=evidence,
        )
    else:
        ctx.add(
            CheckId.CLOUDTRAIL_LOG_VALIDATION,
            Status.FAIL,
            resource=qualifying[0].arn,
            detail="Log file validation is off on every qualifying trail: "
            + ", ".join(v.trail.name for v in qualifying)
            + ".",
            evidence=evidence,
        )

    _check_cloudwatch_delivery(ctx, qualifying)
    return qualifying


def _check_cloudwatch_delivery(ctx: Ctx, qualifying: list[TrailVerdict]) -> None:
    check = CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS
    max_age = ctx.policy.cloudwatch_delivery_max_age_hours
    per_trail: list[dict[str, Any]] = []
    passing: list[tuple[TrailVerdict, str]] = []
    failing: list[str] = []
    unknown: list[str] = []
    for v in qualifying:
        t = v.trail
        entry: dict[str, Any] = {
            "trail": t.trail_arn,
            "log_group_arn": t.cloud_watch_logs_log_group_arn,
            "latest_delivery_time": iso_or_none(t.latest_cloud_watch_logs_delivery_time),
            "latest_delivery_error": t.latest_cloud_watch_logs_delivery_error,
        }
        per_trail.append(entry)
        if not t.cloud_watch_logs_log_group_arn:
            failing.append(f"{t.name} does not deliver to CloudWatch Logs")
            continue
        if max_age is None:
            passing.append((v, f"{t.name} delivers to {t.cloud_watch_logs_log_group_arn}"))
            continue
        latest = t.latest_cloud_watch_logs_delivery_time
        error = t.latest_cloud_watch_logs_delivery_error
        if latest is None:
            if error:
                failing.append(f"{t.name} has never delivered to CloudWatch Logs: {error}")
            else:
                unknown.append(
                    f"{t.name} has a log group but CloudTrail reports no delivery time, so "
                    "recent delivery cannot be confirmed"
                )
            continue
        if ctx.now is None:
            unknown.append(
                f"{t.name} last delivered {iso_or_none(latest)}, but there is no reference time "
                "(pass now=)"
            )
            continue
        age_hours = (ctx.now - latest).total_seconds() / 3600
        entry["delivery_age_hours"] = round(age_hours, 3)
        if age_hours <= max_age:
            note = f" (latest error: {error})" if error else ""
            passing.append(
                (v, f"{t.name} delivered to CloudWatch Logs {age_hours:.1f} h ago{note}")
            )
        else:
            why = f": {error}" if error else ""
            failing.append(
                f"{t.name} last delivered {age_hours:.1f} h ago (more than {max_age:g} h){why}"
            )
    evidence = {"max_age_hours": max_age, "trails": per_trail}
    if passing:
        v, text = passing[0]
        ctx.add(check, Status.PASS, resource=v.arn, detail=text + ".", evidence=evidence)
    elif unknown:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=qualifying[0].arn,
            detail=join_some(unknown + failing) + ".",
            evidence=evidence,
        )
    else:
        ctx.add(
            check,
            Status.FAIL,
            resource=qualifying[0].arn,
            detail=join_some(failing) + ".",
            evidence=evidence,
        )

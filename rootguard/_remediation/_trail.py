"""The trail family (pure): adopt or create the multi-region trail and fill what it lacks."""

from __future__ import annotations

import itertools
from typing import Any

from rootguard._judge import parse_log_group_arn
from rootguard._posture._catalogue import CheckId
from rootguard._posture._models import Status
from rootguard._remediation._actions import (
    BlockedKind,
    CreateTrail,
    PutEventSelectors,
    StartLogging,
    UpdateTrail,
)
from rootguard._remediation._constants import (
    CLOUDTRAIL_ROLE,
    SECOND_TRAIL_COST,
    TRAIL_COST,
)
from rootguard._remediation._context import (
    BLOCKED,
    MANAGEMENT_ADVANCED_SELECTOR,
    MANAGEMENT_BASIC_SELECTOR,
    PASS,
    WORK,
    PlanContext,
    Read,
    TrailDecision,
    Why,
    managed_tags,
)
from rootguard._remediation._storage import bucket_name, log_group_unread, plan_log_group, plan_role
from rootguard._snapshot import Trail


def trail_unread(ctx: PlanContext, trail: Trail) -> list[Read]:
    reads: list[Read] = []
    if trail.is_logging is None:
        reads.append(("cloudtrail", "GetTrailStatus", None, trail.trail_arn))
    if ctx.records_management(trail) is None:
        reads.append(("cloudtrail", "GetEventSelectors", None, trail.trail_arn))
    return reads


def trail_undecided(ctx: PlanContext, trail: Trail) -> bool:
    """Whether ``cloudtrail.multi_region`` cannot tell if the trail qualifies: nothing
    known disqualifies it, and its status or selectors were not read."""
    known_bad = (
        not trail.is_multi_region_trail
        or trail.is_logging is False
        or ctx.records_management(trail) is False
    )
    return not known_bad and bool(trail_unread(ctx, trail))


def qualifying_trail(ctx: PlanContext) -> Trail | None:
    """The trail the passing CloudTrail checks rest on."""
    arns = [
        f.resource
        for f in ctx.findings(CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS)
        if f.status is Status.PASS
    ]
    return next((t for t in ctx.snap.trails or [] if t.trail_arn in arns), None)


def decide_trail(ctx: PlanContext) -> TrailDecision:
    trails = ctx.snap.trails
    if trails is None:
        return TrailDecision(
            BLOCKED,
            why=Why(
                "the account's trails could not be listed, so whether a trail to adopt "
                "exists is unknown (a second trail is charged)",
                (("cloudtrail", "DescribeTrails", None, None),),
            ),
        )
    undecided = [t for t in trails if trail_undecided(ctx, t)]
    if all(
        ctx.passes(c)
        for c in (
            CheckId.CLOUDTRAIL_MULTI_REGION,
            CheckId.CLOUDTRAIL_LOG_VALIDATION,
            CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
        )
    ):
        qualifying = qualifying_trail(ctx)
        if qualifying is not None:
            return TrailDecision(PASS, trail=qualifying, undecided=undecided)
    if undecided:
        names = ", ".join(t.name for t in undecided)
        return TrailDecision(
            BLOCKED,
            why=Why(
                f"whether trail(s) {names} qualify could not be judged",
                tuple(r for t in undecided for r in trail_unread(ctx, t)),
            ),
            possible=[None, *trails],
        )
    picks, create = pick_trail(ctx)
    if create:
        return TrailDecision(WORK, create=True)
    if len(picks) > 1:
        unknown = [t for t in picks if t.is_logging is None]
        return TrailDecision(
            BLOCKED,
            why=Why(
                "which trail to adopt depends on whether "
                + ", ".join(t.name for t in unknown)
                + " is logging, which could not be read",
                tuple(("cloudtrail", "GetTrailStatus", None, t.trail_arn) for t in unknown),
            ),
            possible=list(picks),
        )
    return TrailDecision(WORK, trail=picks[0])


def pick_trail(ctx: PlanContext) -> tuple[list[Trail], bool]:
    """(the trails that may be the one to adopt, whether a new trail must be created).

    More than one trail comes back when the choice depends on whether trails are
    logging and that could not be read: the choice is not guessed."""
    trails = ctx.snap.trails
    if trails is None:
        return [], False
    own = [t for t in trails if t.account_id == ctx.account]
    named = [t for t in own if t.name == ctx.opts.trail_name]
    if named:
        return [named[0]], False
    candidates = (
        [t for t in own if t.is_multi_region_trail] if ctx.opts.adopt_existing_trail else []
    )
    if not candidates:
        return [], True

    def score(t: Trail, logging: bool | None) -> tuple[int, int, int, int, str]:
        return (
            0 if logging else 1,
            0 if t.cloud_watch_logs_log_group_arn else 1,
            0 if t.log_file_validation_enabled else 1,
            0 if t.home_region in ctx.collected else 1,
            t.trail_arn,
        )

    unknown = [t.trail_arn for t in candidates if t.is_logging is None]
    if len(unknown) > 6:
        return candidates, False
    winners: list[Trail] = []
    for combo in itertools.product((True, False), repeat=len(unknown)):
        assumed = dict(zip(unknown, combo, strict=True))
        best = min(
            candidates,
            key=lambda t: score(t, assumed.get(t.trail_arn, t.is_logging)),
        )
        if best not in winners:
            winners.append(best)
    return winners, False


def block_trail(ctx: PlanContext, why: Why, fixes: tuple[str, ...]) -> str:
    return ctx.block(
        BlockedKind.TRAIL,
        None,
        ctx.opts.trail_name,
        description="the multi-region trail (create or adopt one, with CloudWatch Logs delivery)",
        why=why,
        fixes=fixes,
        actions=("CreateTrail", "UpdateTrail", "StartLogging", "PutEventSelectors"),
    )


def adopted_log_group(ctx: PlanContext, trail: Trail) -> str | None:
    """The log group (in the home region of this account) the trail delivers to, on
    which the metric chain is built; None (with a warning) when it is elsewhere."""
    parsed = parse_log_group_arn(trail.cloud_watch_logs_log_group_arn or "")
    if parsed is None:
        return None
    region, account, group = parsed
    if account != ctx.account or region != ctx.home:
        if not ctx.passes(CheckId.MONITORING_ROOT_METRIC_ALARM):
            ctx.out.warnings.append(
                f"trail {trail.name} delivers to log group {group} of account "
                f"{account} ({region}): set up the root metric filter and alarm there"
            )
        return None
    return group


def plan_cloudtrail_role(ctx: PlanContext, log_group: str) -> tuple[str, str]:
    return plan_role(
        ctx,
        CLOUDTRAIL_ROLE,
        "cloudtrail.amazonaws.com",
        [
            {
                "Sid": "RootGuardCloudTrailToLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": ctx.arn("logs", ctx.home, f"log-group:{log_group}:log-stream:*"),
            }
        ],
        "CloudTrail delivers events to CloudWatch Logs",
        (CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS, CheckId.MONITORING_ROOT_METRIC_ALARM),
    )


def plan_trail(
    ctx: PlanContext,
    trail: Trail | None,
    create: bool,
    trail_arn: str,
    bucket_deps: tuple[str, ...],
) -> tuple[str | None, tuple[str, ...]]:
    """Plan the trail; returns (log group name, ids the metric filter depends on)."""
    region = ctx.home
    if trail is None and create:
        name = ctx.opts.trail_name
        group = ctx.opts.log_group_name
        lg = plan_log_group(
            ctx, group, (CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS, CheckId.MONITORING_ROOT_METRIC_ALARM)
        )
        _, role_policy = plan_cloudtrail_role(ctx, group)
        params: dict[str, Any] = {
            "Name": name,
            "S3BucketName": bucket_name(ctx),
            "IncludeGlobalServiceEvents": True,
            "IsMultiRegionTrail": True,
            "EnableLogFileValidation": True,
            "CloudWatchLogsLogGroupArn": ctx.arn("logs", region, f"log-group:{group}:*"),
            "CloudWatchLogsRoleArn": ctx.role_arn(CLOUDTRAIL_ROLE),
        }
        if ctx.opts.kms_key_id:
            params["KmsKeyId"] = ctx.opts.kms_key_id
        params["TagsList"] = managed_tags()
        others = [t for t in ctx.snap.trails or [] if ctx.records_management(t)]
        create_id = ctx.add(
            CreateTrail(
                id=ctx.aid("CreateTrail", region, name),
                region=region,
                resource=trail_arn,
                description=(
                    f"multi-region trail {name} (global events, log-file validation, "
                    f"delivery to {group})"
                ),
                fixes=(
                    CheckId.CLOUDTRAIL_MULTI_REGION,
                    CheckId.CLOUDTRAIL_LOG_VALIDATION,
                    CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
                    CheckId.MONITORING_ROOT_METRIC_ALARM,
                ),
                depends_on=(*bucket_deps, *lg, role_policy),
                note=SECOND_TRAIL_COST if others else TRAIL_COST,
                params=params,
                permissions=(
                    "cloudtrail:CreateTrail",
                    "cloudtrail:AddTags",
                    "iam:PassRole",
                    "cloudtrail:GetTrail",
                    "cloudtrail:UpdateTrail",
                ),
            )
        )
        ctx.add(
            StartLogging(
                id=ctx.aid("StartLogging", region, name),
                region=region,
                resource=trail_arn,
                description=f"start logging on trail {name}",
                fixes=(
                    CheckId.CLOUDTRAIL_MULTI_REGION,
                    CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
                    CheckId.MONITORING_ROOT_METRIC_ALARM,
                ),
                depends_on=(create_id,),
                params={"Name": name},
                permissions=("cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"),
            )
        )
        ctx.add(
            PutEventSelectors(
                id=ctx.aid("PutEventSelectors", region, name),
                region=region,
                resource=trail_arn,
                description=(
                    f"trail {name}: record all management events, read and write (stated "
                    "explicitly; unchanged where CloudTrail already reports it)"
                ),
                fixes=(CheckId.CLOUDTRAIL_MULTI_REGION,),
                depends_on=(create_id,),
                params={"TrailName": name, "EventSelectors": [MANAGEMENT_BASIC_SELECTOR]},
                permissions=("cloudtrail:PutEventSelectors", "cloudtrail:GetEventSelectors"),
            )
        )
        return group, (lg[0],)
    if trail is None:  # pragma: no cover - pick_trail never returns (None, False) here
        return None, ()

    # Adopt an existing trail: add only what it lacks.
    name = trail.name
    update: dict[str, Any] = {}
    fixes: list[str] = []
    if not trail.is_multi_region_trail:
        update["IsMultiRegionTrail"] = True
        fixes.append(CheckId.CLOUDTRAIL_MULTI_REGION)
    if not trail.include_global_service_events:
        update["IncludeGlobalServiceEvents"] = True
        fixes.append(CheckId.CLOUDTRAIL_MULTI_REGION)
    if not trail.log_file_validation_enabled:
        update["EnableLogFileValidation"] = True
        fixes.append(CheckId.CLOUDTRAIL_LOG_VALIDATION)
    deps: list[str] = []
    log_deps: tuple[str, ...] = ()
    log_group: str | None
    parsed = parse_log_group_arn(trail.cloud_watch_logs_log_group_arn or "")
    if parsed is not None:
        lg_region, lg_account, log_group = parsed
        known = ctx.region_data(lg_region)
        groups = None if known is None else known.log_groups
        if (
            lg_account == ctx.account
            and groups is not None
            and not any(g.log_group_name == log_group for g in groups)
            and not log_group_unread(ctx, lg_region, log_group)
        ):
            ctx.out.warnings.append(
                f"trail {name} delivers to log group {log_group}, which was not found; "
                "it is recreated"
            )
            log_deps = plan_log_group(
                ctx,
                log_group,
                (CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS, CheckId.MONITORING_ROOT_METRIC_ALARM),
            )
    elif trail.cloud_watch_logs_log_group_arn:
        ctx.out.warnings.append(
            f"trail {name} delivers to {trail.cloud_watch_logs_log_group_arn}, which is "
            "not a log group ARN: the metric filter and alarm are not planned"
        )
        log_group = None
    else:
        log_group = ctx.opts.log_group_name
        log_deps = plan_log_group(
            ctx,
            log_group,
            (CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS, CheckId.MONITORING_ROOT_METRIC_ALARM),
        )
        _, role_policy = plan_cloudtrail_role(ctx, log_group)
        update["CloudWatchLogsLogGroupArn"] = ctx.arn("logs", region, f"log-group:{log_group}:*")
        update["CloudWatchLogsRoleArn"] = ctx.role_arn(CLOUDTRAIL_ROLE)
        deps += [*log_deps, role_policy]
        fixes += [CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS, CheckId.MONITORING_ROOT_METRIC_ALARM]
    if update:
        ctx.add(
            UpdateTrail(
                id=ctx.aid("UpdateTrail", region, name),
                region=region,
                resource=trail.trail_arn,
                description=f"adopt trail {name}: add {', '.join(update)}",
                fixes=tuple(dict.fromkeys(fixes)),
                depends_on=tuple(deps),
                params={"Name": name, **update},
                permissions=(
                    "cloudtrail:UpdateTrail",
                    "iam:PassRole",
                    "cloudtrail:GetTrail",
                ),
            )
        )
    if trail.is_logging is False:
        ctx.add(
            StartLogging(
                id=ctx.aid("StartLogging", region, name),
                region=region,
                resource=trail.trail_arn,
                description=f"start logging on trail {name}",
                fixes=(
                    CheckId.CLOUDTRAIL_MULTI_REGION,
                    CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
                    CheckId.MONITORING_ROOT_METRIC_ALARM,
                ),
                params={"Name": name},
                permissions=("cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"),
            )
        )
    elif trail.is_logging is None:
        ctx.block(
            BlockedKind.TRAIL_LOGGING,
            region,
            name,
            resource=trail.trail_arn,
            description=f"start logging on trail {name} if it is stopped",
            why=Why(
                "its status could not be read",
                (("cloudtrail", "GetTrailStatus", None, trail.trail_arn),),
            ),
            fixes=(
                CheckId.CLOUDTRAIL_MULTI_REGION,
                CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
                CheckId.MONITORING_ROOT_METRIC_ALARM,
            ),
            actions=("StartLogging",),
            would_be=(ctx.aid("StartLogging", region, name),),
        )
    recorded = ctx.records_management(trail)
    if recorded is False:
        selectors = selectors_with_management(ctx, trail)
        if selectors is not None:
            ctx.add(
                PutEventSelectors(
                    id=ctx.aid("PutEventSelectors", region, name),
                    region=region,
                    resource=trail.trail_arn,
                    description=(
                        f"trail {name}: add a selector for all management events "
                        "(existing selectors kept)"
                    ),
                    fixes=(CheckId.CLOUDTRAIL_MULTI_REGION,),
                    note="recording more management events may raise the trail's cost",
                    params={"TrailName": name, **selectors},
                    permissions=(
                        "cloudtrail:PutEventSelectors",
                        "cloudtrail:GetEventSelectors",
                    ),
                )
            )
    elif recorded is None:
        ctx.block(
            BlockedKind.TRAIL_SELECTORS,
            region,
            name,
            resource=trail.trail_arn,
            description=f"make trail {name} record every management event if it does not",
            why=Why(
                "its event selectors could not be read",
                (("cloudtrail", "GetEventSelectors", None, trail.trail_arn),),
            ),
            fixes=(CheckId.CLOUDTRAIL_MULTI_REGION,),
            actions=("PutEventSelectors",),
            would_be=(ctx.aid("PutEventSelectors", region, name),),
        )
    return log_group, tuple(log_deps[:1])


def selectors_with_management(ctx: PlanContext, trail: Trail) -> dict[str, Any] | None:
    if trail.advanced_event_selectors:
        return {
            "AdvancedEventSelectors": [
                *trail.advanced_event_selectors,
                MANAGEMENT_ADVANCED_SELECTOR,
            ]
        }
    basic = list(trail.event_selectors or [])
    if len(basic) >= 5:
        ctx.out.warnings.append(
            f"trail {trail.name} has 5 event selectors and does not record all management "
            "events; add them by hand"
        )
        return None
    basic.append(MANAGEMENT_BASIC_SELECTOR)
    return {"EventSelectors": basic}

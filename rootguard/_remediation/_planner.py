"""The planner entry point (pure): decide the home region, then call each family in order."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from rootguard._errors import PlanError, RootGuardError
from rootguard._posture._catalogue import CheckId
from rootguard._posture._evaluate import evaluate
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from rootguard._remediation._actions import BlockedKind
from rootguard._remediation._alerting import (
    block_chain,
    decide_chain,
    plan_eventbridge,
    plan_metric_chain,
    rule_states,
)
from rootguard._remediation._config import (
    config_needs,
    config_rules_wanted,
    config_unread,
    plan_config,
)
from rootguard._remediation._context import (
    BLOCKED,
    PASS,
    WORK,
    PlanContext,
    PlanOutput,
    TrailDecision,
    Why,
    any_call,
)
from rootguard._remediation._manual import plan_root_manual_steps
from rootguard._remediation._options import ACCOUNT_RE, RemediationOptions
from rootguard._remediation._plan import Plan
from rootguard._remediation._storage import log_group_unread, plan_bucket
from rootguard._remediation._topic import own_topic_insecure, plan_foreign_topic_steps, plan_topic
from rootguard._remediation._trail import adopted_log_group, block_trail, decide_trail, plan_trail
from rootguard._snapshot import AccountSnapshot, Trail

logger = logging.getLogger(__name__)


def build_plan(snapshot: AccountSnapshot, opts: RemediationOptions) -> Plan:
    """The plan for a validated snapshot and options: the families in order."""
    if not ACCOUNT_RE.fullmatch(snapshot.account_id):
        raise PlanError(f"snapshot account id {snapshot.account_id!r} is not 12 digits")
    policy = Policy(
        cloudwatch_delivery_max_age_hours=None,
        required_config_rules=tuple(ident for ident, _ in config_rules_wanted(opts)),
    )
    out = PlanOutput()
    report = evaluate_snapshot(snapshot, policy, out)
    ctx = PlanContext(snap=snapshot, opts=opts, policy=policy, report=report, out=out)
    decision = decide_trail(ctx)
    chain, chain_why = decide_chain(ctx, decision)
    home, home_block, home_ambiguous = decide_home(ctx, decision, chain, chain_why)
    ctx = replace(ctx, home=home, home_block=home_block, home_ambiguous=home_ambiguous)
    ctx = replace(
        ctx,
        regions=pick_regions(ctx),
        topic_arn=opts.alert_topic_arn or ctx.arn("sns", home, opts.alert_topic_name),
    )
    config = PASS
    if ctx.opts.enable_config_rules:
        config = ctx.state(CheckId.CONFIG_ROOT_RULES, config_unread(ctx))
    needs = config_needs(ctx) if config == WORK and not ctx.home_block else None
    need_channel = bool(needs and needs["channel"])

    # the trail
    log_group: str | None = None
    log_deps: tuple[str, ...] = ()
    trail_block: str | None = None
    trail_fixes = (
        CheckId.CLOUDTRAIL_MULTI_REGION,
        CheckId.CLOUDTRAIL_LOG_VALIDATION,
        CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
        CheckId.MONITORING_ROOT_METRIC_ALARM,
    )
    create = decision.state == WORK and decision.create
    if decision.state == BLOCKED and decision.why is not None:
        trail_block = block_trail(ctx, decision.why, trail_fixes)
    elif decision.state == WORK:
        why = ctx.home_block
        if why is None and create:
            home_trails = ctx.region_data(ctx.home).trails
            if home_trails is None:
                why = Why(
                    f"the trails of {ctx.home} could not be listed, so whether a trail "
                    f"named {ctx.opts.trail_name} already exists there is unknown",
                    (("cloudtrail", "DescribeTrails", ctx.home, None),),
                )
        if why is not None:
            trail_block = block_trail(ctx, why, trail_fixes)
            create = False
    trail = decision.trail
    trail_arn = (
        trail.trail_arn
        if trail is not None
        else ctx.arn("cloudtrail", ctx.home, f"trail/{ctx.opts.trail_name}")
    )
    bucket_deps: tuple[str, ...] = ()
    if create or need_channel:
        bucket_deps = plan_bucket(ctx, trail_arn if create else None, need_channel)
    if decision.state == WORK and trail_block is None:
        log_group, log_deps = plan_trail(ctx, trail, create, trail_arn, bucket_deps)
    elif decision.state == PASS and chain == WORK and trail is not None:
        log_group = adopted_log_group(ctx, trail)

    # the metric chain, the topic, the rules, AWS Config
    chain_planned = False
    topic_deps: tuple[str, ...] = ()
    if chain == BLOCKED:
        waits = (trail_block,) if trail_block is not None else ()
        block_chain(ctx, chain_why or Why("", depends_on=waits))
    elif chain == WORK:
        if trail_block is not None:
            block_chain(ctx, Why("", depends_on=(trail_block,)))
        elif ctx.home_block is not None:
            block_chain(ctx, ctx.home_block)
        elif log_group is not None:
            blocked = log_group_unread(ctx, ctx.home, log_group)
            if blocked:  # even for a group this plan creates: it may exist already
                block_chain(
                    ctx, Why(f"what log group {log_group} holds could not be read", tuple(blocked))
                )
            else:
                chain_planned = True
    states = rule_states(ctx) if ctx.opts.enable_eventbridge else {}
    if chain_planned or states.get(ctx.home) == WORK or own_topic_insecure(ctx):
        topic_deps = plan_topic(ctx)
    if chain_planned and log_group is not None:
        plan_metric_chain(ctx, log_group, log_deps, topic_deps)
    if any(state != PASS for state in states.values()):
        plan_eventbridge(ctx, states, topic_deps)
    if config == BLOCKED:
        ctx.block(
            BlockedKind.CONFIG,
            ctx.home if not ctx.home_ambiguous else None,
            "root-rules",
            description="AWS Config with the root rules",
            why=Why(
                "whether a region already records with the root rules could not be read",
                tuple(config_unread(ctx)),
            ),
            fixes=(CheckId.CONFIG_ROOT_RULES,),
            actions=("PutConfigurationRecorder", "StartConfigurationRecorder", "PutConfigRule"),
        )
    elif config == WORK and ctx.home_block is not None:
        ctx.block(
            BlockedKind.CONFIG,
            None,
            "root-rules",
            description="AWS Config with the root rules",
            why=ctx.home_block,
            fixes=(CheckId.CONFIG_ROOT_RULES,),
            actions=("PutConfigurationRecorder", "StartConfigurationRecorder", "PutConfigRule"),
        )
    elif needs is not None:
        plan_config(ctx, needs, bucket_deps)
    plan_foreign_topic_steps(ctx)
    plan_root_manual_steps(ctx)
    try:
        return Plan(
            account_id=ctx.account,
            partition=ctx.partition,
            home_region=ctx.home,
            regions=ctx.regions,
            actions=tuple(out.actions),
            blocked=tuple(d.build() for d in out.blocked.values()),
            warnings=tuple(out.warnings),
        )
    except ValidationError as exc:  # pragma: no cover - planner bug
        raise PlanError(f"internal error building the plan: {exc}") from None


def evaluate_snapshot(snapshot: AccountSnapshot, policy: Policy, out: PlanOutput) -> Report | None:
    """What the posture checks say (the planner fixes only what fails)."""
    try:
        return evaluate(snapshot, policy=policy)
    except (RootGuardError, ValueError) as exc:  # pragma: no cover - checks bug
        logger.warning("posture checks failed on the snapshot: %s", exc)
        out.warnings.append(f"the posture checks could not judge the snapshot: {exc}")
        return None


def decide_home(
    ctx: PlanContext, decision: TrailDecision, chain: str, chain_why: Why | None
) -> tuple[str, Why | None, bool]:
    """(home region, why no home-region work can be planned or None, whether the home is
    ambiguous). When the home depends on data that was not read (the trail to adopt), no
    home-region work is planned: the second item says why."""
    home_block: Why | None = None
    home_ambiguous = False
    possible: list[Trail | None] | None
    if decision.state == PASS:
        if chain == PASS:
            possible = [None]
        elif chain == BLOCKED:
            possible = [None, *(ctx.snap.trails or [])]
        else:
            possible = [decision.trail]
    elif decision.state == WORK:
        possible = [decision.trail]
    else:
        possible = decision.possible
    pinned = ctx.opts.home_region or (
        ctx.opts.alert_topic_arn.split(":")[3] if ctx.opts.alert_topic_arn else None
    )
    if possible is not None and len(possible) == 1:
        home = pick_home(ctx, possible[0])
    elif pinned:
        home = pick_home(ctx, None)
    else:
        # A trail whose home region was not collected would make the plan fail.
        homes = (
            {default_home(ctx) if t is None else t.home_region for t in possible}
            if possible is not None
            else set(ctx.collected)
        ) & ctx.collected
        home = homes.pop() if len(homes) == 1 else pick_home(ctx, None)
        if len(homes) > 1:
            home_ambiguous = True
            why = decision.why or chain_why or Why("")
            home_block = Why(
                "the home region follows the trail to build on, which is undecided — "
                f"{why.text or 'trail data was not read'}; pass home_region to plan the rest",
                why.reads,
            )
    if home_block is None and home not in ctx.snap.region_data:
        home_block = Why(
            f"nothing was collected in the home region {home}",
            (any_call(home), ("cloudtrail", "DescribeTrails", home, None)),
        )
    return home, home_block, home_ambiguous


def default_home(ctx: PlanContext) -> str:
    """The home region when nothing pins it: us-east-1 when collected, else the first
    collected region."""
    if ctx.opts.home_region:
        return ctx.opts.home_region
    if ctx.opts.alert_topic_arn:
        return ctx.opts.alert_topic_arn.split(":")[3]
    if "us-east-1" in ctx.snap.regions or (
        not ctx.snap.regions and "us-east-1" in ctx.snap.region_data
    ):
        return "us-east-1"
    if ctx.snap.regions:
        return sorted(ctx.snap.regions)[0]
    if ctx.snap.region_data:
        return sorted(ctx.snap.region_data)[0]
    raise PlanError("the snapshot has no region: collect at least one region")


def pick_home(ctx: PlanContext, trail: Trail | None) -> str:
    constraints: dict[str, str] = {}
    if ctx.opts.home_region:
        constraints["home_region option"] = ctx.opts.home_region
    if trail is not None:
        constraints[f"adopted trail {trail.name}"] = trail.home_region
    if ctx.opts.alert_topic_arn:
        constraints["alert topic"] = ctx.opts.alert_topic_arn.split(":")[3]
    distinct = set(constraints.values())
    if len(distinct) > 1:
        shown = ", ".join(f"{k}: {v}" for k, v in constraints.items())
        hint = (
            " (pass adopt_existing_trail=False to create a trail in the home region)"
            if trail is not None
            else ""
        )
        raise PlanError(f"the home region is ambiguous — {shown}{hint}")
    home = distinct.pop() if distinct else default_home(ctx)
    if home not in ctx.collected:
        raise PlanError(
            f"the home region {home} was not collected: collect it (regions=[...]) before planning"
        )
    return home


def pick_regions(ctx: PlanContext) -> tuple[str, ...]:
    """The regions that get an EventBridge rule (a region with no collected data is
    blocked there, not guessed)."""
    wanted = ctx.opts.regions or tuple(ctx.snap.regions or ctx.snap.region_data)
    return tuple(sorted({*wanted, ctx.home}))


def plan(
    snapshot: AccountSnapshot,
    options: RemediationOptions | Mapping[str, Any] | None = None,
) -> Plan:
    """Plan what must change for the root-monitoring chain to pass its checks (pure).

    The plan makes ``cloudtrail.multi_region``, ``cloudtrail.log_validation``,
    ``cloudtrail.cloudwatch_logs``, ``monitoring.root_metric_alarm``,
    ``monitoring.root_eventbridge``, ``monitoring.alert_topic_secure`` and
    ``config.root_rules`` pass once applied (and any subscription confirmed). Root MFA and
    root access keys become :class:`ManualStep` entries.

    The planner never builds what it could not see: unknown is never absent. What depends
    on data missing from the snapshot (a ``None`` collection, a :class:`~rootguard.Gap`
    naming the call) is not created, replaced or updated; it becomes a
    :class:`BlockedItem` in :attr:`Plan.blocked` (with the gap and the read permission
    that would unblock it), and so does every action that would depend on it. Everything
    else is still planned.

    Args:
        snapshot: from :func:`rootguard.collect` (or loaded from JSON).
        options: :class:`RemediationOptions` or a mapping of its fields.

    Raises:
        PlanError: ``snapshot`` is not an :class:`~rootguard.AccountSnapshot`;
            ``options`` is not :class:`RemediationOptions` or a mapping, or is invalid; a
            home region that is ambiguous or was not collected; a named alert topic that
            does not exist.

    Examples:
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333", regions=["eu-west-1"],
        ...     trails=[], account_summary={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
        ...     region_data={"eu-west-1": {"region": "eu-west-1", "trails": [],
        ...         "log_groups": [], "alarms": [], "topics": [], "event_rules": [],
        ...         "config_recorders": [], "config_rules": [], "delivery_channels": []}})
        >>> p = rootguard.plan(snap, {"alert_emails": ["secops@example.com"]})
        >>> sorted({a.kind for a in p.actions})[:3], p.complete
        (['CreateBucket', 'CreateLogGroup', 'CreateRole'], True)
        >>> unread = snap.model_copy(update={"trails": None})  # DescribeTrails denied
        >>> p = rootguard.plan(unread, {"alert_emails": ["secops@example.com"]})
        >>> [b.kind.value for b in p.blocked], "CreateTrail" in {a.kind for a in p.actions}
        (['trail', 'metric_filter'], False)
    """
    if not isinstance(snapshot, AccountSnapshot):
        raise PlanError(f"snapshot must be an AccountSnapshot, not {type(snapshot).__name__}")
    if options is None:
        opts = RemediationOptions()
    elif isinstance(options, RemediationOptions):
        # validated again: model_copy(update=...) and model_construct() skip validation,
        # and every name must be checked before it reaches a plan
        opts = RemediationOptions.model_validate(options.model_dump())
    elif isinstance(options, Mapping):
        opts = RemediationOptions.model_validate(dict(options))
    else:
        raise PlanError(
            "options must be RemediationOptions or a mapping of its fields, not "
            f"{type(options).__name__}"
        )
    result = build_plan(snapshot, opts)
    logger.debug(
        "planned %d action(s) (%d manual) for %s",
        len(result.actions),
        len(result.manual_steps),
        snapshot.account_id,
    )
    return result

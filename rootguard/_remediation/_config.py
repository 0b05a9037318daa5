"""The AWS Config family (pure): recorder, delivery channel and the root rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rootguard._judge import active_managed_rules, records_iam
from rootguard._posture._catalogue import CheckId
from rootguard._remediation._actions import (
    BlockedKind,
    ChangeType,
    CreateServiceLinkedRole,
    PutConfigRule,
    PutConfigurationRecorder,
    PutDeliveryChannel,
    StartConfigurationRecorder,
)
from rootguard._remediation._constants import (
    CHANNEL_NAME,
    CONFIG_COST,
    CONFIG_RULES_WANTED,
    CONFIG_SLR,
    HARDWARE_MFA_RULE,
    RECORDED_TYPES,
    RECORDER_NAME,
)
from rootguard._remediation._context import PlanContext, Read, Why, any_call, managed_tags, with_iam
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._storage import bucket_name


def config_unread(ctx: PlanContext) -> list[Read]:
    """The unread data config.root_rules can be UNKNOWN for (every region's recorders,
    recorder status and rules)."""
    reads: list[Read] = []
    for region in sorted(ctx.collected):
        data = ctx.region_data(region)
        if data is None:
            reads.append(any_call(region))
        if data is None or data.config_recorders is None:
            reads.append(("config", "DescribeConfigurationRecorders", region, None))
        elif any(r.recording is None for r in data.config_recorders):
            reads.append(("config", "DescribeConfigurationRecorderStatus", region, None))
        if data is None or data.config_rules is None:
            reads.append(("config", "DescribeConfigRules", region, None))
    return reads


def config_rules_wanted(opts: RemediationOptions) -> list[tuple[str, str]]:
    """(AWS managed rule identifier, rootguard's rule name) of the rules to have."""
    wanted = list(CONFIG_RULES_WANTED)
    if opts.enable_hardware_mfa_rule:
        wanted.append(HARDWARE_MFA_RULE)
    return wanted


def config_needs(ctx: PlanContext) -> dict[str, Any] | None:
    """What the home region needs for config.root_rules to pass (asked only when the
    check does not pass); None when it cannot be planned."""
    wanted = config_rules_wanted(ctx.opts)
    iam_recorded = any(
        r.recording and records_iam(r.recording_group)
        for data in ctx.snap.region_data.values()
        for r in data.config_recorders or []
    )
    status_unread = [
        ("config", "DescribeConfigurationRecorderStatus", region, None)
        for region, data in sorted(ctx.snap.region_data.items())
        if any(r.recording is None for r in data.config_recorders or [])
    ]
    data = ctx.region_data(ctx.home)
    if data.config_recorders is None:  # config.root_rules is then UNKNOWN: kept for safety
        ctx.block(
            BlockedKind.CONFIG,
            ctx.home,
            "root-rules",
            description="AWS Config with the root rules",
            why=Why(
                f"the AWS Config recorders of {ctx.home} could not be read",
                (("config", "DescribeConfigurationRecorders", ctx.home, None),),
            ),
            fixes=(CheckId.CONFIG_ROOT_RULES,),
            actions=("PutConfigurationRecorder", "StartConfigurationRecorder", "PutConfigRule"),
        )
        return None
    recorders = data.config_recorders
    channels = data.delivery_channels
    recorder = recorders[0] if recorders else None
    group = None
    group_blocked = False
    if recorder is not None and not iam_recorded and not records_iam(recorder.recording_group):
        group = with_iam(recorder.recording_group)
        if group is None:
            ctx.out.warnings.append(
                f"the AWS Config recorder {recorder.name} does not record IAM resources "
                "and its recording group could not be extended; add AWS::IAM::User by hand"
            )
        elif status_unread:
            group, group_blocked = None, True
            ctx.block(
                BlockedKind.CONFIG,
                ctx.home,
                recorder.name,
                resource=ctx.arn("config", ctx.home, f"configuration-recorder/{recorder.name}"),
                description=f"make the AWS Config recorder {recorder.name} record IAM",
                why=Why(
                    "whether a recorder elsewhere already records IAM could not be read "
                    "(recorder status)",
                    tuple(status_unread),
                ),
                fixes=(CheckId.CONFIG_ROOT_RULES,),
                actions=("PutConfigurationRecorder",),
            )
    recording = any(r.recording for r in recorders)
    rules: list[tuple[str, str]] = []
    if data.config_rules is None:
        ctx.block(
            BlockedKind.CONFIG_RULES,
            ctx.home,
            "root-rules",
            description=f"the AWS Config root rules in {ctx.home}",
            why=Why(
                f"the AWS Config rules of {ctx.home} could not be read",
                (("config", "DescribeConfigRules", ctx.home, None),),
            ),
            fixes=(CheckId.CONFIG_ROOT_RULES,),
            actions=("PutConfigRule",),
        )
    else:
        active = active_managed_rules(data.config_rules)
        rules = [(ident, name) for ident, name in wanted if ident not in active]
    return {
        "recorder": recorder,
        "recording_group": group,
        "recording_group_blocked": group_blocked,
        "recording": recording,
        "channel": channels is not None and not channels and not recording,
        "channel_blocked": channels is None and not recording,
        "rules": rules,
    }


def plan_config(ctx: PlanContext, needs: Mapping[str, Any], bucket_deps: tuple[str, ...]) -> None:
    region = ctx.home
    recorder = needs["recorder"]
    fixes = (CheckId.CONFIG_ROOT_RULES,)
    recorder_deps: list[str] = []
    name = recorder.name if recorder is not None else RECORDER_NAME
    if recorder is None:
        slr = ctx.add(
            CreateServiceLinkedRole(
                id=ctx.aid("CreateServiceLinkedRole", None, CONFIG_SLR),
                region=None,
                resource=ctx.role_arn(f"aws-service-role/config.amazonaws.com/{CONFIG_SLR}"),
                description="AWS Config's service-linked role (kept if it exists)",
                fixes=fixes,
                params={"AWSServiceName": "config.amazonaws.com"},
                permissions=("iam:CreateServiceLinkedRole", "iam:ListRoles"),
            )
        )
        recorder_deps.append(
            ctx.add(
                PutConfigurationRecorder(
                    id=ctx.aid("PutConfigurationRecorder", region, name),
                    region=region,
                    resource=ctx.arn("config", region, f"configuration-recorder/{name}"),
                    description=(
                        f"AWS Config recorder {name} in {region}, recording only "
                        "AWS::IAM::User (the root rules are periodic)"
                    ),
                    fixes=fixes,
                    note=CONFIG_COST,
                    depends_on=(slr,),
                    params={
                        "ConfigurationRecorder": {
                            "name": name,
                            "roleARN": ctx.role_arn(
                                f"aws-service-role/config.amazonaws.com/{CONFIG_SLR}"
                            ),
                            "recordingGroup": {
                                "allSupported": False,
                                "includeGlobalResourceTypes": False,
                                "resourceTypes": list(RECORDED_TYPES),
                                "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
                            },
                        },
                        "Tags": managed_tags(),
                    },
                    permissions=(
                        "config:PutConfigurationRecorder",
                        "config:TagResource",
                        "iam:PassRole",
                        "config:DescribeConfigurationRecorders",
                    ),
                )
            )
        )
    elif needs["recording_group"] is not None:
        recorder_deps.append(
            ctx.add(
                PutConfigurationRecorder(
                    id=ctx.aid("PutConfigurationRecorder", region, name),
                    change=ChangeType.UPDATE,
                    region=region,
                    resource=ctx.arn("config", region, f"configuration-recorder/{name}"),
                    description=(
                        f"AWS Config recorder {name} in {region}: also record IAM "
                        "resources (AWS::IAM::User), which the root rules report on"
                    ),
                    fixes=fixes,
                    note="recording more resource types adds configuration items "
                    "(about $0.003 each)",
                    params={
                        "ConfigurationRecorder": {
                            "name": name,
                            "roleARN": recorder.role_arn,
                            "recordingGroup": needs["recording_group"],
                            **(
                                {"recordingMode": recorder.recording_mode}
                                if recorder.recording_mode
                                else {}
                            ),
                        }
                    },
                    permissions=(
                        "config:PutConfigurationRecorder",
                        "iam:PassRole",
                        "config:DescribeConfigurationRecorders",
                    ),
                )
            )
        )
    start_deps = list(recorder_deps)
    if needs["channel_blocked"]:
        channel_id = ctx.aid("PutDeliveryChannel", region, CHANNEL_NAME)
        ctx.block(
            BlockedKind.CONFIG_DELIVERY_CHANNEL,
            region,
            CHANNEL_NAME,
            description=f"AWS Config's delivery channel in {region} (the recorder cannot "
            "start without one)",
            why=Why(
                f"the delivery channels of {region} could not be read, so whether one "
                "exists is unknown",
                (("config", "DescribeDeliveryChannels", region, None),),
            ),
            fixes=fixes,
            actions=("PutDeliveryChannel", "StartConfigurationRecorder"),
            would_be=(channel_id,),
        )
        start_deps.append(channel_id)
    if needs["channel"]:
        start_deps.append(
            ctx.add(
                PutDeliveryChannel(
                    id=ctx.aid("PutDeliveryChannel", region, CHANNEL_NAME),
                    region=region,
                    resource=f"arn:{ctx.partition}:s3:::{bucket_name(ctx)}",
                    description=(
                        f"AWS Config delivery channel {CHANNEL_NAME} → bucket {bucket_name(ctx)}"
                    ),
                    fixes=fixes,
                    depends_on=(*recorder_deps, *bucket_deps),
                    params={
                        "DeliveryChannel": {
                            "name": CHANNEL_NAME,
                            "s3BucketName": bucket_name(ctx),
                        }
                    },
                    permissions=(
                        "config:PutDeliveryChannel",
                        "config:DescribeDeliveryChannels",
                    ),
                )
            )
        )
    if not needs["recording"]:
        note = CONFIG_COST
        if recorder is not None:
            group = recorder.recording_group or {}
            what = (
                "all supported resource types"
                if group.get("allSupported", True)
                else ", ".join(group.get("resourceTypes") or []) or "its resource types"
            )
            note = (
                f"the existing recorder {name} records {what}: AWS Config charges per "
                "configuration item recorded (about $0.003 each) and per rule evaluation"
            )
        recorder_deps.append(
            ctx.add(
                StartConfigurationRecorder(
                    id=ctx.aid("StartConfigurationRecorder", region, name),
                    region=region,
                    resource=ctx.arn("config", region, f"configuration-recorder/{name}"),
                    description=f"start AWS Config recorder {name} in {region}",
                    fixes=fixes,
                    note=note,
                    depends_on=tuple(start_deps),
                    params={"ConfigurationRecorderName": name},
                    permissions=(
                        "config:StartConfigurationRecorder",
                        "config:DescribeConfigurationRecorderStatus",
                    ),
                )
            )
        )
    for ident, rule_name in needs["rules"]:
        ctx.add(
            PutConfigRule(
                id=ctx.aid("PutConfigRule", region, rule_name),
                region=region,
                resource=ctx.arn("config", region, f"config-rule/{rule_name}"),
                description=f"AWS Config managed rule {ident} ({rule_name}) in {region}",
                fixes=fixes,
                depends_on=tuple(recorder_deps[:1]),
                params={
                    "ConfigRule": {
                        "ConfigRuleName": rule_name,
                        "Description": f"rootguard: {ident}",
                        "Source": {"Owner": "AWS", "SourceIdentifier": ident},
                        "MaximumExecutionFrequency": "TwentyFour_Hours",
                    },
                    "Tags": managed_tags(),
                },
                permissions=(
                    "config:PutConfigRule",
                    "config:TagResource",
                    "config:DescribeConfigRules",
                ),
            )
        )

"""The typed plan actions (pure): one class per API call rootguard may make, each
declaring the IAM actions its handler needs (:attr:`ApiAction.IAM_ACTIONS`)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from rootguard._models import StrEnum

# ------------------------------------------------------------------------------ actions


class BlockedKind(StrEnum):
    """What a :class:`BlockedItem` could not plan (stable values)."""

    TRAIL = "trail"
    """Create or adopt the multi-region trail (with its bucket, log group and role)."""
    TRAIL_LOGGING = "trail_logging"
    """Start logging on the adopted trail (``StartLogging``)."""
    TRAIL_SELECTORS = "trail_selectors"
    """Make the adopted trail record management events (``PutEventSelectors``)."""
    METRIC_FILTER = "metric_filter"
    """The root metric filter on the trail's log group (and the alarm built on it)."""
    METRIC_ALARM = "metric_alarm"
    """The root-usage alarm (``PutMetricAlarm``)."""
    ALERT_TOPIC = "alert_topic"
    """The alert topic and its policy (``CreateTopic``, ``SetTopicAttributes``)."""
    ALERT_SUBSCRIPTIONS = "alert_subscriptions"
    """The alert topic's subscribers (``Subscribe``, confirmations)."""
    EVENTBRIDGE_RULE = "eventbridge_rule"
    """A region's root-activity rule (``PutRule`` and ``PutTargets``)."""
    EVENTBRIDGE_TARGETS = "eventbridge_targets"
    """The target of rootguard's rule in a region (``PutTargets``)."""
    CONFIG = "config"
    """AWS Config for the root rules (recorder, delivery channel, rules)."""
    CONFIG_DELIVERY_CHANNEL = "config_delivery_channel"
    """AWS Config's delivery channel (and starting the recorder, which needs it)."""
    CONFIG_RULES = "config_rules"
    """The AWS Config managed root rules (``PutConfigRule``)."""
    ROOT_MFA = "root_mfa"
    """Whether a human must add MFA to the root user."""
    ROOT_ACCESS_KEYS = "root_access_keys"
    """Whether a human must remove root access keys."""
    TOPIC_POLICY = "topic_policy"
    """Whether an alert topic's policy lets outsiders in (a manual review)."""
    TRUSTED_ACCESS = "trusted_access"
    """Trusted access for IAM in the organization (``EnableAWSServiceAccess``)."""
    ROOT_FEATURES = "root_features"
    """The centralized root access features (``RootCredentialsManagement``,
    ``RootSessions``)."""
    DENY_ROOT_SCP = "deny_root_scp"
    """The deny-root service control policy and where it is attached."""
    SECURITY_CONTACT = "security_contact"
    """An account's SECURITY alternate contact (``PutAlternateContact``)."""
    ROOT_CREDENTIALS = "root_credentials"
    """Deleting a member root user's credentials (through ``sts:AssumeRoot``)."""


class ChangeType(StrEnum):
    """What an action does to the account: ``create`` a resource, ``update`` one (adding
    to it — rootguard never removes anything), or ``manual`` (a human must act)."""

    CREATE = "create"
    UPDATE = "update"
    MANUAL = "manual"


class BaseAction(BaseModel):
    """What every plan action has: its id, region, resource, description, the checks it
    fixes and the actions it depends on. A plan's actions are :class:`ApiAction`
    subclasses (one per API call) and :class:`ManualStep`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Stable id ``<kind>:<region or global>:<name>`` (same inputs → same id)."""
    region: str | None
    """The region the call is sent to; None for global services (IAM)."""
    resource: str
    """The resource acted on (ARN when it is known before creation, else its name)."""
    description: str
    """One line for humans."""
    fixes: tuple[str, ...] = ()
    """The check ids this action helps to pass."""
    depends_on: tuple[str, ...] = ()
    """Ids of actions that must succeed first (always earlier in the plan)."""
    note: str | None = None
    """Cost or caution the reviewer should know."""

    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.TRAIL
    """The kind of blocked work an action of this class falls under when it depends on
    work the planner could not plan."""


class ApiAction(BaseAction):
    """An API call :func:`rootguard.apply` makes: the base of every action class but
    :class:`ManualStep` (``isinstance(action, rootguard.ApiAction)``). Each subclass is
    one operation (``CreateTrail``, ``PutMetricAlarm`` …), told apart in JSON by ``kind``;
    ``service``, ``operation`` and ``params`` are the exact boto3 call."""

    change: ChangeType = ChangeType.CREATE
    service: str
    """The boto3 client name (``s3``, ``cloudtrail``, ``logs`` …)."""
    operation: str
    """The API operation (``CreateTrail``)."""
    params: dict[str, Any]
    """The exact API parameters. For the merging actions (bucket policy and tags, topic
    policy, event selectors, public access block) these are the wanted result computed
    from the snapshot; apply re-reads the resource and merges, so nothing added since the
    snapshot is lost."""
    permissions: tuple[str, ...]
    """The IAM actions the call needs (the first is the operation itself)."""

    IAM_ACTIONS: ClassVar[tuple[str, ...]] = ()
    """Every IAM action :func:`rootguard.apply` may need to carry out an action of this
    class: the reads its handler makes first, the mutating calls, tagging and
    ``iam:PassRole``. :data:`rootguard._permissions.REMEDIATE_ACTIONS` is derived from
    these."""

    @property
    def permission(self) -> str:
        """The IAM action of the operation itself."""
        return self.permissions[0]


class CreateBucket(ApiAction):
    """``s3:CreateBucket`` (unchanged when the bucket already exists and is ours)."""

    kind: Literal["CreateBucket"] = "CreateBucket"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "s3:CreateBucket",
        "s3:ListBucket",
    )
    service: Literal["s3"] = "s3"
    operation: Literal["CreateBucket"] = "CreateBucket"


class PutBucketTagging(ApiAction):
    """``s3:PutBucketTagging`` — adds the rootguard tag, keeping the bucket's other tags."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutBucketTagging"] = "PutBucketTagging"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "s3:GetBucketTagging",
        "s3:PutBucketTagging",
    )
    service: Literal["s3"] = "s3"
    operation: Literal["PutBucketTagging"] = "PutBucketTagging"


class PutPublicAccessBlock(ApiAction):
    """``s3:PutPublicAccessBlock`` with all four settings on."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutPublicAccessBlock"] = "PutPublicAccessBlock"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    )
    service: Literal["s3"] = "s3"
    operation: Literal["PutPublicAccessBlock"] = "PutPublicAccessBlock"


class PutBucketEncryption(ApiAction):
    """``s3:PutBucketEncryption`` — only when the bucket has no default encryption."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutBucketEncryption"] = "PutBucketEncryption"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
    )
    service: Literal["s3"] = "s3"
    operation: Literal["PutBucketEncryption"] = "PutBucketEncryption"


class PutBucketPolicy(ApiAction):
    """``s3:PutBucketPolicy`` — rootguard's statements (by Sid) merged into the policy."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutBucketPolicy"] = "PutBucketPolicy"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
    )
    service: Literal["s3"] = "s3"
    operation: Literal["PutBucketPolicy"] = "PutBucketPolicy"


class CreateLogGroup(ApiAction):
    """``logs:CreateLogGroup``."""

    kind: Literal["CreateLogGroup"] = "CreateLogGroup"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "logs:DescribeLogGroups",
        "logs:CreateLogGroup",
        "logs:TagResource",
        "logs:TagLogGroup",
    )
    service: Literal["logs"] = "logs"
    operation: Literal["CreateLogGroup"] = "CreateLogGroup"


class PutRetentionPolicy(ApiAction):
    """``logs:PutRetentionPolicy`` — only on a rootguard-managed group without retention."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutRetentionPolicy"] = "PutRetentionPolicy"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "logs:DescribeLogGroups",
        "logs:ListTagsForResource",
        "logs:PutRetentionPolicy",
    )
    service: Literal["logs"] = "logs"
    operation: Literal["PutRetentionPolicy"] = "PutRetentionPolicy"


class CreateRole(ApiAction):
    """``iam:CreateRole`` (a service role with a trust policy scoped to this account)."""

    kind: Literal["CreateRole"] = "CreateRole"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "iam:GetRole",
        "iam:CreateRole",
        "iam:TagRole",
        "iam:UpdateAssumeRolePolicy",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["CreateRole"] = "CreateRole"


class PutRolePolicy(ApiAction):
    """``iam:PutRolePolicy`` — the inline policy of a rootguard role."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutRolePolicy"] = "PutRolePolicy"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["PutRolePolicy"] = "PutRolePolicy"


class CreateServiceLinkedRole(ApiAction):
    """``iam:CreateServiceLinkedRole`` (AWS Config's AWSServiceRoleForConfig)."""

    kind: Literal["CreateServiceLinkedRole"] = "CreateServiceLinkedRole"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.CONFIG
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "iam:ListRoles",
        "iam:CreateServiceLinkedRole",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["CreateServiceLinkedRole"] = "CreateServiceLinkedRole"


class CreateTrail(ApiAction):
    """``cloudtrail:CreateTrail`` — multi-region, global events, validation, CloudWatch Logs."""

    kind: Literal["CreateTrail"] = "CreateTrail"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "cloudtrail:GetTrail",
        "cloudtrail:CreateTrail",
        "cloudtrail:AddTags",
        "cloudtrail:UpdateTrail",
        "iam:PassRole",
    )
    service: Literal["cloudtrail"] = "cloudtrail"
    operation: Literal["CreateTrail"] = "CreateTrail"


class UpdateTrail(ApiAction):
    """``cloudtrail:UpdateTrail`` — adds what an adopted trail lacks, never removes."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["UpdateTrail"] = "UpdateTrail"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "cloudtrail:GetTrail",
        "cloudtrail:UpdateTrail",
        "iam:PassRole",
    )
    service: Literal["cloudtrail"] = "cloudtrail"
    operation: Literal["UpdateTrail"] = "UpdateTrail"


class StartLogging(ApiAction):
    """``cloudtrail:StartLogging``."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["StartLogging"] = "StartLogging"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.TRAIL_LOGGING
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "cloudtrail:GetTrailStatus",
        "cloudtrail:StartLogging",
    )
    service: Literal["cloudtrail"] = "cloudtrail"
    operation: Literal["StartLogging"] = "StartLogging"


class PutEventSelectors(ApiAction):
    """``cloudtrail:PutEventSelectors`` — appends an all-management-events selector."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutEventSelectors"] = "PutEventSelectors"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.TRAIL_SELECTORS
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "cloudtrail:GetEventSelectors",
        "cloudtrail:PutEventSelectors",
    )
    service: Literal["cloudtrail"] = "cloudtrail"
    operation: Literal["PutEventSelectors"] = "PutEventSelectors"


class PutMetricFilter(ApiAction):
    """``logs:PutMetricFilter`` with the exact CIS root-usage pattern."""

    kind: Literal["PutMetricFilter"] = "PutMetricFilter"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.METRIC_FILTER
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "logs:DescribeMetricFilters",
        "logs:PutMetricFilter",
    )
    service: Literal["logs"] = "logs"
    operation: Literal["PutMetricFilter"] = "PutMetricFilter"


class CreateTopic(ApiAction):
    """``sns:CreateTopic`` — the alert topic."""

    kind: Literal["CreateTopic"] = "CreateTopic"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ALERT_TOPIC
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "sns:GetTopicAttributes",
        "sns:CreateTopic",
        "sns:TagResource",
    )
    service: Literal["sns"] = "sns"
    operation: Literal["CreateTopic"] = "CreateTopic"


class SetTopicPolicy(ApiAction):
    """``sns:SetTopicAttributes`` (``Policy``): only this account's CloudWatch alarms and
    EventBridge rules may publish. rootguard's own topic gets exactly this policy; a topic
    named in the options keeps its statements and gains rootguard's (``merge``)."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["SetTopicPolicy"] = "SetTopicPolicy"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ALERT_TOPIC
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
    )
    service: Literal["sns"] = "sns"
    operation: Literal["SetTopicAttributes"] = "SetTopicAttributes"
    merge: bool = False


class CreateKey(ApiAction):
    """``kms:CreateKey`` and ``kms:CreateAlias`` — a customer managed key for the alert
    topic whose key policy lets CloudWatch alarms and EventBridge rules use it
    (``kms:GenerateDataKey*``, ``kms:Decrypt``), as the Amazon SNS Developer Guide asks
    for encrypted topics that AWS services publish to.

    ``params`` are CreateKey's; the alias (:attr:`alias_name`) is attached to the new key
    at once. apply adopts the key the alias already names (``unchanged``; it fails,
    without editing it, when that key's policy lacks the grants), and a key tagged with
    the alias by an interrupted run (no alias yet) instead of creating a second one."""

    kind: Literal["CreateKey"] = "CreateKey"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ALERT_TOPIC
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "kms:ListAliases",
        "kms:GetKeyPolicy",
        "kms:ListKeys",
        "kms:ListResourceTags",
        "kms:DescribeKey",
        "kms:CreateKey",
        "kms:TagResource",
        "kms:CreateAlias",
    )
    service: Literal["kms"] = "kms"
    operation: Literal["CreateKey"] = "CreateKey"
    alias_name: str
    """``alias/…``: how the topic and later runs find the key."""


class SetTopicEncryption(ApiAction):
    """``sns:SetTopicAttributes`` (``KmsMasterKeyId``): encrypt the alert topic with
    rootguard's customer managed key instead of the AWS managed key. apply changes the
    topic only while it still uses the AWS managed key (or none): another customer
    managed key set since the plan was made is kept."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["SetTopicEncryption"] = "SetTopicEncryption"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ALERT_TOPIC
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
    )
    service: Literal["sns"] = "sns"
    operation: Literal["SetTopicAttributes"] = "SetTopicAttributes"


class Subscribe(ApiAction):
    """``sns:Subscribe`` — email and https subscribers stay pending until they confirm."""

    kind: Literal["Subscribe"] = "Subscribe"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ALERT_SUBSCRIPTIONS
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "sns:ListSubscriptionsByTopic",
        "sns:Subscribe",
        "sns:GetSubscriptionAttributes",
    )
    service: Literal["sns"] = "sns"
    operation: Literal["Subscribe"] = "Subscribe"


class PutMetricAlarm(ApiAction):
    """``cloudwatch:PutMetricAlarm`` with the CIS parameters (Sum ≥ 1 over 300 s)."""

    kind: Literal["PutMetricAlarm"] = "PutMetricAlarm"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.METRIC_ALARM
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "cloudwatch:DescribeAlarms",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:TagResource",
    )
    service: Literal["cloudwatch"] = "cloudwatch"
    operation: Literal["PutMetricAlarm"] = "PutMetricAlarm"


class PutRule(ApiAction):
    """``events:PutRule`` on the default bus: root API calls and console sign-ins."""

    kind: Literal["PutRule"] = "PutRule"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.EVENTBRIDGE_RULE
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "events:DescribeRule",
        "events:PutRule",
        "events:TagResource",
    )
    service: Literal["events"] = "events"
    operation: Literal["PutRule"] = "PutRule"


class PutTargets(ApiAction):
    """``events:PutTargets`` — the alert topic (home region) or the home region's default
    event bus (other regions, through the forwarder role)."""

    kind: Literal["PutTargets"] = "PutTargets"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.EVENTBRIDGE_TARGETS
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "events:ListTargetsByRule",
        "events:PutTargets",
        "iam:PassRole",
    )
    service: Literal["events"] = "events"
    operation: Literal["PutTargets"] = "PutTargets"


class PutConfigurationRecorder(ApiAction):
    """``config:PutConfigurationRecorder`` — only where no recorder exists."""

    kind: Literal["PutConfigurationRecorder"] = "PutConfigurationRecorder"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.CONFIG
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "config:DescribeConfigurationRecorders",
        "config:PutConfigurationRecorder",
        "config:TagResource",
        "iam:PassRole",
    )
    service: Literal["config"] = "config"
    operation: Literal["PutConfigurationRecorder"] = "PutConfigurationRecorder"


class PutDeliveryChannel(ApiAction):
    """``config:PutDeliveryChannel`` — only where no delivery channel exists."""

    kind: Literal["PutDeliveryChannel"] = "PutDeliveryChannel"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.CONFIG_DELIVERY_CHANNEL
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "config:DescribeDeliveryChannels",
        "config:PutDeliveryChannel",
    )
    service: Literal["config"] = "config"
    operation: Literal["PutDeliveryChannel"] = "PutDeliveryChannel"


class StartConfigurationRecorder(ApiAction):
    """``config:StartConfigurationRecorder``."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["StartConfigurationRecorder"] = "StartConfigurationRecorder"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.CONFIG_DELIVERY_CHANNEL
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "config:DescribeConfigurationRecorderStatus",
        "config:StartConfigurationRecorder",
    )
    service: Literal["config"] = "config"
    operation: Literal["StartConfigurationRecorder"] = "StartConfigurationRecorder"


class PutConfigRule(ApiAction):
    """``config:PutConfigRule`` — an AWS managed root rule."""

    kind: Literal["PutConfigRule"] = "PutConfigRule"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.CONFIG_RULES
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "config:DescribeConfigRules",
        "config:PutConfigRule",
        "config:TagResource",
    )
    service: Literal["config"] = "config"
    operation: Literal["PutConfigRule"] = "PutConfigRule"


class ManualStep(BaseAction):
    """Something only a human can do (root MFA, root access keys, confirming a
    subscription). :func:`rootguard.apply` never calls anything for it (outcome
    ``skipped``); it is listed so that nobody believes it was done."""

    change: ChangeType = ChangeType.MANUAL
    kind: Literal["ManualStep"] = "ManualStep"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ALERT_SUBSCRIPTIONS
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = ()
    """None: apply never calls anything for a manual step."""
    instructions: tuple[str, ...]
    """The steps, in order."""


Action = Annotated[
    CreateBucket
    | PutBucketTagging
    | PutPublicAccessBlock
    | PutBucketEncryption
    | PutBucketPolicy
    | CreateLogGroup
    | PutRetentionPolicy
    | CreateRole
    | PutRolePolicy
    | CreateServiceLinkedRole
    | CreateTrail
    | UpdateTrail
    | StartLogging
    | PutEventSelectors
    | PutMetricFilter
    | CreateTopic
    | SetTopicPolicy
    | CreateKey
    | SetTopicEncryption
    | Subscribe
    | PutMetricAlarm
    | PutRule
    | PutTargets
    | PutConfigurationRecorder
    | PutDeliveryChannel
    | StartConfigurationRecorder
    | PutConfigRule
    | ManualStep,
    Field(discriminator="kind"),
]
"""Any plan action: a discriminated union on ``kind``."""


API_ACTION_CLASSES: tuple[type[ApiAction], ...] = (
    CreateBucket,
    PutBucketTagging,
    PutPublicAccessBlock,
    PutBucketEncryption,
    PutBucketPolicy,
    CreateLogGroup,
    PutRetentionPolicy,
    CreateRole,
    PutRolePolicy,
    CreateServiceLinkedRole,
    CreateTrail,
    UpdateTrail,
    StartLogging,
    PutEventSelectors,
    PutMetricFilter,
    CreateTopic,
    SetTopicPolicy,
    CreateKey,
    SetTopicEncryption,
    Subscribe,
    PutMetricAlarm,
    PutRule,
    PutTargets,
    PutConfigurationRecorder,
    PutDeliveryChannel,
    StartConfigurationRecorder,
    PutConfigRule,
)
"""Every API action class, in plan order of kinds."""
ACTION_CLASSES: tuple[type[BaseAction], ...] = (*API_ACTION_CLASSES, ManualStep)
"""Every class an :data:`Action` may be."""

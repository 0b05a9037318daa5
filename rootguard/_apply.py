"""Executing a remediation :class:`~rootguard.Plan` (I/O).

Each action is *ensured*, not blindly sent: its handler first reads the resource and
decides which mutating call (if any) brings it to the wanted state. So an action already
satisfied is ``unchanged`` (applying the same plan twice changes nothing the second time),
"already exists" is verified against the wanted state, a pending email subscription is not
subscribed again, and the merging actions (bucket policy and tags, topic policy, event
selectors) keep whatever the resource has gained since the plan was made.

Errors never escape half-way: an AWS, connection or response error fails the action, its
dependents are skipped, and the run goes on with everything else. With ``dry_run=True``
only the reads are made.

Before anything else, apply proves that the credentials reach the plan's account and
partition (``sts:GetCallerIdentity``): a plan made for one account is never applied to
another. When that cannot be proven, :class:`~rootguard.ApplyError` is raised and no
other call is made.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from rootguard._aws import (
    CALL_ERRORS,
    CREDENTIAL_ERRORS,
    ClientFactory,
    error_code,
    error_message,
    paginate,
    resolve_session,
)
from rootguard._errors import ApplyError, PlanError
from rootguard._judge import (
    is_aws_managed_sns_key,
    judge_selectors,
    key_policy_missing_services,
    records_iam,
)
from rootguard._models import StrEnum
from rootguard._plan import (
    KEY_ALIAS_TAG_KEY,
    MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE,
    MANAGEMENT_ADVANCED_SELECTOR,
    MANAGEMENT_BASIC_SELECTOR,
    Action,
    ApiAction,
    ManualStep,
    Plan,
)

__all__ = [
    "ActionOutcome",
    "ActionStatus",
    "ApplyResult",
    "CallerAccount",
    "PendingConfirmation",
    "apply",
    "verify_account",
]

logger = logging.getLogger(__name__)

_GLOBAL_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}

# Errors that mean "the role (or policy) just created has not propagated yet": retried.
_PROPAGATION_CODES = frozenset(
    {
        "InvalidCloudWatchLogsRoleArnException",
        "InvalidCloudWatchLogsLogGroupArnException",
        "InsufficientDeliveryPolicyException",
        "InvalidRoleException",
    }
)
_PROPAGATION_DELAYS = (2.0, 4.0, 8.0, 8.0, 8.0)
_sleep: Callable[[float], None] = time.sleep


class ActionStatus(StrEnum):
    """What happened to one action.

    ``applied``: a call changed the account. ``unchanged``: the wanted state was already
    there (nothing sent). ``failed``: an AWS, connection or response error (see
    ``error``). ``skipped``: a prerequisite failed or was skipped, it is a manual step, or
    this is a dry run that would have made a call.
    """

    APPLIED = "applied"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


class PendingConfirmation(BaseModel):
    """A subscription that must be confirmed by its endpoint before alerts arrive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic_arn: str
    protocol: str
    endpoint: str


class ActionOutcome(BaseModel):
    """The outcome of one plan action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Action
    status: ActionStatus
    error: str | None = None
    """``Code: message`` of the error that failed the action."""
    error_code: str | None = None
    """AWS's error code (``AccessDenied`` …) or the botocore error class name
    (``EndpointConnectionError``)."""
    detail: str = ""
    """What was found or done, for humans."""
    calls: tuple[str, ...] = ()
    """The mutating operations sent (``CreateTrail``); empty when nothing was sent."""


class ApplyResult(BaseModel):
    """Everything :func:`apply` did: one :class:`ActionOutcome` per plan action, in order.

    Examples:
        >>> import rootguard
        >>> empty = rootguard.ApplyResult(outcomes=())
        >>> empty.ok, empty.failed
        (True, ())
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcomes: tuple[ActionOutcome, ...]
    dry_run: bool = False
    pending_confirmations: tuple[PendingConfirmation, ...] = ()
    """Subscriptions that wait for their endpoint to confirm (email: a link in the
    message). The root-usage alarm check fails until one subscriber confirms."""

    @property
    def ok(self) -> bool:
        """True when no action failed."""
        return not self.failed

    @property
    def failed(self) -> tuple[ActionOutcome, ...]:
        """The failed outcomes, with their AWS errors."""
        return tuple(o for o in self.outcomes if o.status is ActionStatus.FAILED)

    @property
    def applied(self) -> tuple[ActionOutcome, ...]:
        """The outcomes that changed the account."""
        return tuple(o for o in self.outcomes if o.status is ActionStatus.APPLIED)

    @property
    def skipped(self) -> tuple[ActionOutcome, ...]:
        """The skipped outcomes (prerequisite failed, manual step, dry run)."""
        return tuple(o for o in self.outcomes if o.status is ActionStatus.SKIPPED)

    @property
    def manual_steps(self) -> tuple[ManualStep, ...]:
        """The plan's manual steps, which apply never performs."""
        return tuple(o.action for o in self.outcomes if isinstance(o.action, ManualStep))

    def to_text(self) -> str:
        """One line per action (``status  id  detail``), then a summary."""
        lines = []
        for o in self.outcomes:
            text = o.detail
            if o.error:
                text = f"{text} — {o.error}" if text else o.error
            lines.append(f"{o.status.value:<9} {o.action.id}  {text}".rstrip())
        for p in self.pending_confirmations:
            lines.append(f"pending   {p.protocol} {p.endpoint} must confirm its subscription")
        counts = {s: sum(1 for o in self.outcomes if o.status is s) for s in ActionStatus}
        lines.append(
            ("Dry run: " if self.dry_run else "")
            + ", ".join(f"{counts[s]} {s.value}" for s in ActionStatus)
            + "."
        )
        return "\n".join(lines)


# ------------------------------------------------------------------------------ machinery


class _Conflict(Exception):
    """The resource exists in a state rootguard must not change."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass
class _Call:
    operation: str
    params: dict[str, Any]
    exists_codes: frozenset[str] = frozenset()
    """Error codes meaning "someone else already did it" → the action is unchanged."""
    exists_if: Callable[[ClientError], bool] | None = None
    """A finer test of the same, for codes that mean several things."""


@dataclass
class _Decision:
    calls: list[_Call] = field(default_factory=list)
    detail: str = ""
    after: Callable[[list[dict[str, Any]]], str | None] | None = None
    """Runs on the call responses; returns an extra detail (or raises _Conflict)."""


class _Context:
    def __init__(self, factory: ClientFactory, plan: Plan) -> None:
        self.factory = factory
        self.plan = plan
        self.pending: list[PendingConfirmation] = []

    def client(self, action: ApiAction) -> Any:
        region = action.region or _GLOBAL_REGION.get(self.plan.partition, "us-east-1")
        return self.factory.client(action.service, region)


def _code(exc: ClientError) -> str:
    return error_code(exc)


def _norm(value: Any) -> Any:
    """Policy documents compared by meaning: one-element lists are scalars, lists unordered."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _doc(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _merge_statements(current: Any, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with each of ``wanted``'s statements added or replaced by Sid."""
    base = dict(current) if isinstance(current, Mapping) else {"Version": "2012-10-17"}
    statements = base.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    merged = list(statements)
    for st in wanted.get("Statement") or []:
        sid = st.get("Sid")
        index = next(
            (
                i
                for i, have in enumerate(merged)
                if isinstance(have, Mapping) and have.get("Sid") == sid
            ),
            None,
        )
        if index is None:
            merged.append(st)
        elif _norm(merged[index]) != _norm(st):
            merged[index] = st
    base.setdefault("Version", wanted.get("Version", "2012-10-17"))
    base["Statement"] = merged
    return base


def _same_doc(a: Any, b: Any) -> bool:
    return bool(_norm(_doc(a)) == _norm(_doc(b)))


def _missing_codes(exc: ClientError, *codes: str) -> bool:
    return bool(_code(exc) in codes)


# ------------------------------------------------------------------------------ handlers
# Each handler only reads, and returns the mutating calls needed (none: satisfied).

Handler = Callable[[_Context, Any, ApiAction], _Decision]


def _create_bucket(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        c.head_bucket(Bucket=a.params["Bucket"])
    except ClientError as exc:
        if _missing_codes(exc, "404", "NoSuchBucket", "NotFound"):
            return _Decision(
                [_Call("CreateBucket", a.params, frozenset({"BucketAlreadyOwnedByYou"}))]
            )
        if _missing_codes(exc, "403", "Forbidden", "AccessDenied"):
            raise _Conflict(
                "BucketNotOwned",
                f"bucket {a.params['Bucket']} exists and is not readable by this account "
                "(owned by another account, or access denied)",
            ) from None
        raise
    return _Decision(detail="the bucket exists")


def _bucket_tagging(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    bucket = a.params["Bucket"]
    try:
        have = c.get_bucket_tagging(Bucket=bucket).get("TagSet") or []
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchTagSet", "NoSuchTagSetError"):
            raise
        have = []
    wanted = a.params["Tagging"]["TagSet"]
    current = {t["Key"]: t["Value"] for t in have}
    if all(current.get(t["Key"]) == t["Value"] for t in wanted):
        return _Decision(detail="the bucket has the rootguard tag")
    merged = {**current, **{t["Key"]: t["Value"] for t in wanted}}
    tag_set = [{"Key": k, "Value": v} for k, v in merged.items()]
    return _Decision(
        [_Call("PutBucketTagging", {"Bucket": bucket, "Tagging": {"TagSet": tag_set}})],
        detail=f"{len(current)} existing tag(s) kept" if current else "",
    )


def _public_access_block(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        have = c.get_public_access_block(Bucket=a.params["Bucket"]).get(
            "PublicAccessBlockConfiguration", {}
        )
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchPublicAccessBlockConfiguration"):
            raise
        have = {}
    wanted = a.params["PublicAccessBlockConfiguration"]
    if all(have.get(k) is True for k in wanted):
        return _Decision(detail="all public access is already blocked")
    return _Decision([_Call("PutPublicAccessBlock", a.params)])


def _bucket_encryption(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        rules = (
            c.get_bucket_encryption(Bucket=a.params["Bucket"])
            .get("ServerSideEncryptionConfiguration", {})
            .get("Rules", [])
        )
    except ClientError as exc:
        if not _missing_codes(exc, "ServerSideEncryptionConfigurationNotFoundError"):
            raise
        rules = []
    algorithms = [
        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
        for r in rules
        if r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
    ]
    if algorithms:
        return _Decision(detail=f"default encryption {algorithms[0]} kept")
    return _Decision([_Call("PutBucketEncryption", a.params)])


def _bucket_policy(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    bucket = a.params["Bucket"]
    try:
        current = _doc(c.get_bucket_policy(Bucket=bucket).get("Policy"))
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchBucketPolicy"):
            raise
        current = None
    merged = _merge_statements(current, json.loads(a.params["Policy"]))
    if current is not None and _same_doc(current, merged):
        return _Decision(detail="the policy has rootguard's statements")
    kept = len((current or {}).get("Statement") or []) if isinstance(current, dict) else 0
    return _Decision(
        [_Call("PutBucketPolicy", {"Bucket": bucket, "Policy": json.dumps(merged)})],
        detail=f"merged into the existing policy ({kept} statement(s))" if current else "",
    )


def _find_log_group(c: Any, name: str) -> dict[str, Any] | None:
    groups = paginate(c, "DescribeLogGroups", "logGroups", logGroupNamePrefix=name)
    return next((g for g in groups if g.get("logGroupName") == name), None)


def _create_log_group(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    if _find_log_group(c, a.params["logGroupName"]) is not None:
        return _Decision(detail="the log group exists")
    return _Decision(
        [_Call("CreateLogGroup", a.params, frozenset({"ResourceAlreadyExistsException"}))]
    )


def _retention(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["logGroupName"]
    group = _find_log_group(c, name)
    if group is None:
        raise _Conflict("ResourceNotFoundException", f"log group {name} does not exist")
    if group.get("retentionInDays"):
        return _Decision(detail=f"retention already {group['retentionInDays']} days (kept)")
    arn = group.get("logGroupArn") or str(group.get("arn", "")).removesuffix(":*")
    tags = c.list_tags_for_resource(resourceArn=arn).get("tags") or {}
    if tags.get(MANAGED_TAG_KEY) != MANAGED_TAG_VALUE:
        return _Decision(
            detail="the log group is not managed by rootguard: its retention is left as it is"
        )
    return _Decision([_Call("PutRetentionPolicy", a.params)])


def _create_role(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["RoleName"]
    try:
        role = c.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchEntity"):
            raise
        return _Decision([_Call("CreateRole", a.params, frozenset({"EntityAlreadyExists"}))])
    if _same_doc(role.get("AssumeRolePolicyDocument"), a.params["AssumeRolePolicyDocument"]):
        return _Decision(detail="the role exists with the wanted trust policy")
    tags = {t["Key"]: t["Value"] for t in role.get("Tags") or []}
    if tags.get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE:
        return _Decision(
            [
                _Call(
                    "UpdateAssumeRolePolicy",
                    {"RoleName": name, "PolicyDocument": a.params["AssumeRolePolicyDocument"]},
                )
            ],
            detail="trust policy of the rootguard role restored",
        )
    raise _Conflict(
        "RoleConflict",
        f"role {name} exists with another trust policy and is not managed by rootguard",
    )


def _role_policy(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        have = c.get_role_policy(RoleName=a.params["RoleName"], PolicyName=a.params["PolicyName"])
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchEntity"):
            raise
        return _Decision([_Call("PutRolePolicy", a.params)])
    if _same_doc(have.get("PolicyDocument"), a.params["PolicyDocument"]):
        return _Decision(detail="the inline policy is as wanted")
    return _Decision([_Call("PutRolePolicy", a.params)])


def _service_linked_role(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    service = a.params["AWSServiceName"]
    roles = paginate(c, "ListRoles", "Roles", PathPrefix=f"/aws-service-role/{service}/")
    if roles:
        return _Decision(detail=f"the service-linked role {roles[0]['RoleName']} exists")
    return _Decision(
        [
            _Call(
                "CreateServiceLinkedRole",
                a.params,
                frozenset({"EntityAlreadyExists"}),
                exists_if=lambda e: (
                    _code(e) == "InvalidInput" and "taken" in error_message(e).lower()
                ),
            )
        ]
    )


def _trail_additions(trail: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateTrail parameters that add what ``trail`` lacks of ``wanted`` (never removes)."""
    add: dict[str, Any] = {}
    if wanted.get("IsMultiRegionTrail") and not trail.get("IsMultiRegionTrail"):
        add["IsMultiRegionTrail"] = True
    if wanted.get("IncludeGlobalServiceEvents") and not trail.get("IncludeGlobalServiceEvents"):
        add["IncludeGlobalServiceEvents"] = True
    if wanted.get("EnableLogFileValidation") and not trail.get("LogFileValidationEnabled"):
        add["EnableLogFileValidation"] = True
    if wanted.get("CloudWatchLogsLogGroupArn") and not trail.get("CloudWatchLogsLogGroupArn"):
        add["CloudWatchLogsLogGroupArn"] = wanted["CloudWatchLogsLogGroupArn"]
        add["CloudWatchLogsRoleArn"] = wanted["CloudWatchLogsRoleArn"]
    return add


def _get_trail(c: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(c.get_trail(Name=name)["Trail"])
    except ClientError as exc:
        if _missing_codes(exc, "TrailNotFoundException"):
            return None
        raise


def _create_trail(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["Name"]
    trail = _get_trail(c, name)
    if trail is None:
        return _Decision(
            [_Call("CreateTrail", a.params, frozenset({"TrailAlreadyExistsException"}))]
        )
    add = _trail_additions(trail, a.params)
    if not add:
        return _Decision(detail="the trail exists as wanted")
    return _Decision(
        [_Call("UpdateTrail", {"Name": name, **add})],
        detail=f"the trail exists; added {', '.join(add)}",
    )


def _update_trail(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["Name"]
    trail = _get_trail(c, name)
    if trail is None:
        raise _Conflict("TrailNotFoundException", f"trail {name} does not exist")
    add = _trail_additions(trail, a.params)
    if not add:
        return _Decision(detail="the trail already has these settings")
    return _Decision([_Call("UpdateTrail", {"Name": name, **add})])


def _start_logging(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    if c.get_trail_status(Name=a.params["Name"]).get("IsLogging"):
        return _Decision(detail="the trail is logging")
    return _Decision([_Call("StartLogging", a.params)])


def _event_selectors(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["TrailName"]
    have = c.get_event_selectors(TrailName=name)
    basic = have.get("EventSelectors") or []
    advanced = have.get("AdvancedEventSelectors") or []
    verdict = judge_selectors(basic, advanced, ctx.plan.account_id)
    if verdict is not None and verdict.records_all:
        return _Decision(detail="the trail records all management events")
    if advanced:
        params: dict[str, Any] = {
            "TrailName": name,
            "AdvancedEventSelectors": [*advanced, MANAGEMENT_ADVANCED_SELECTOR],
        }
    elif basic:
        params = {"TrailName": name, "EventSelectors": [*basic, MANAGEMENT_BASIC_SELECTOR]}
    else:
        params = {"TrailName": name, "EventSelectors": [MANAGEMENT_BASIC_SELECTOR]}
    return _Decision([_Call("PutEventSelectors", params)])


def _metric_filter(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    p = a.params
    filters = paginate(
        c,
        "DescribeMetricFilters",
        "metricFilters",
        logGroupName=p["logGroupName"],
        filterNamePrefix=p["filterName"],
    )
    wanted = [
        (t["metricName"], t["metricNamespace"], str(t["metricValue"]))
        for t in p["metricTransformations"]
    ]
    for f in filters:
        if f.get("filterName") != p["filterName"]:
            continue
        have = [
            (t.get("metricName"), t.get("metricNamespace"), str(t.get("metricValue")))
            for t in f.get("metricTransformations") or []
        ]
        if f.get("filterPattern") == p["filterPattern"] and have == wanted:
            return _Decision(detail="the metric filter exists as wanted")
    return _Decision([_Call("PutMetricFilter", p)])


def _create_topic(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        c.get_topic_attributes(TopicArn=a.resource)
    except ClientError as exc:
        if not _missing_codes(exc, "NotFound", "NotFoundException"):
            raise
        return _Decision([_Call("CreateTopic", a.params)])
    return _Decision(detail="the topic exists")


def _topic_policy(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    arn = a.params["TopicArn"]
    attributes = c.get_topic_attributes(TopicArn=arn).get("Attributes") or {}
    current = _doc(attributes.get("Policy"))
    wanted = json.loads(a.params["AttributeValue"])
    merge = bool(getattr(a, "merge", False))
    new = _merge_statements(current, wanted) if merge else wanted
    if current is not None and _same_doc(current, new):
        return _Decision(detail="the topic policy is as wanted")
    return _Decision(
        [
            _Call(
                "SetTopicAttributes",
                {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": json.dumps(new)},
            )
        ],
        detail="rootguard's statements added to the topic policy" if merge else "",
    )


def _alias_name(a: ApiAction) -> str:
    alias = getattr(a, "alias_name", None)
    if not isinstance(alias, str) or not alias.startswith("alias/"):
        raise _Conflict("InvalidAction", f"{a.id} names no KMS alias")
    return alias


def _adoptable_key(c: Any, alias: str, aliased: set[str]) -> str | None:
    """A key an interrupted run created (tagged with ``alias``, enabled) whose alias was
    never attached: adopted instead of creating a second key. Keys that already have an
    alias are not rootguard's orphans and are not looked at; keys whose tags cannot be
    read are skipped."""
    for key in paginate(c, "ListKeys", "Keys"):
        key_id = str(key.get("KeyId") or "")
        if not key_id or key_id in aliased:
            continue
        try:
            tags = paginate(c, "ListResourceTags", "Tags", KeyId=key_id)
            if not any(
                t.get("TagKey") == KEY_ALIAS_TAG_KEY and t.get("TagValue") == alias for t in tags
            ):
                continue
            meta = c.describe_key(KeyId=key_id).get("KeyMetadata") or {}
        except ClientError:
            continue
        if meta.get("KeyState") == "Enabled" and meta.get("KeyManager", "CUSTOMER") == "CUSTOMER":
            return key_id
    return None


def _kms_key(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    alias = _alias_name(a)
    aliases = paginate(c, "ListAliases", "Aliases")
    found = next((x for x in aliases if x.get("AliasName") == alias), None)
    if found is not None:
        key_id = str(found.get("TargetKeyId") or "")
        if not key_id:
            raise _Conflict("AliasWithoutKey", f"alias {alias} names no key")
        policy = _doc(c.get_key_policy(KeyId=key_id, PolicyName="default").get("Policy"))
        missing = key_policy_missing_services(policy if isinstance(policy, Mapping) else None)
        if missing:
            raise _Conflict(
                "KeyPolicyMissingGrants",
                f"the key {alias} ({key_id}) exists but its key policy does not let "
                f"{', '.join(missing)} use it (kms:GenerateDataKey*, kms:Decrypt); rootguard "
                "never edits an existing key policy: add those grants, or name another "
                "alias (alert_topic_key_alias)",
            )
        return _Decision(detail=f"the key {alias} ({key_id}) exists and lets AWS services use it")
    aliased = {str(x.get("TargetKeyId")) for x in aliases if x.get("TargetKeyId")}
    orphan = _adoptable_key(c, alias, aliased)
    if orphan is not None:
        return _Decision(
            [_Call("CreateAlias", {"AliasName": alias, "TargetKeyId": orphan})],
            detail=f"adopting key {orphan}, which an interrupted run created",
        )

    def after(responses: list[dict[str, Any]]) -> str | None:
        key_id = str((responses[-1].get("KeyMetadata") or {}).get("KeyId") or "")
        if not key_id:
            raise _Conflict("InvalidResponse", "CreateKey answered no KeyId")
        try:
            c.create_alias(AliasName=alias, TargetKeyId=key_id)
        except CALL_ERRORS as exc:
            raise _Conflict(
                error_code(exc),
                f"key {key_id} was created but CreateAlias {alias} failed "
                f"({error_message(exc)}); the next apply adopts that key",
            ) from None
        return f"key {key_id} created, alias {alias}"

    return _Decision([_Call("CreateKey", a.params)], after=after)


def _topic_encryption(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    arn = a.params["TopicArn"]
    attributes = c.get_topic_attributes(TopicArn=arn).get("Attributes") or {}
    current = str(attributes.get("KmsMasterKeyId") or "")
    wanted = str(a.params["AttributeValue"])
    if current == wanted:
        return _Decision(detail=f"the topic is encrypted with {wanted}")
    if current and not is_aws_managed_sns_key(current):
        return _Decision(
            detail=f"the topic is encrypted with the customer managed key {current} (kept)"
        )
    return _Decision([_Call("SetTopicAttributes", a.params)])


def _subscribe(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    p = a.params
    subs = paginate(c, "ListSubscriptionsByTopic", "Subscriptions", TopicArn=p["TopicArn"])
    endpoint = str(p["Endpoint"]).lower()
    for sub in subs:
        if (
            sub.get("Protocol") == p["Protocol"]
            and str(sub.get("Endpoint", "")).lower() == endpoint
        ):
            arn = str(sub.get("SubscriptionArn", ""))
            if arn == "PendingConfirmation" or ":" not in arn:
                ctx.pending.append(
                    PendingConfirmation(
                        topic_arn=p["TopicArn"], protocol=p["Protocol"], endpoint=p["Endpoint"]
                    )
                )
                return _Decision(detail="already subscribed, waiting for confirmation")
            return _Decision(detail="already subscribed and confirmed")

    def after(responses: list[dict[str, Any]]) -> str | None:
        arn = str(responses[-1].get("SubscriptionArn", ""))
        pending = "pending" in arn.lower() or ":" not in arn
        if not pending:
            attributes = c.get_subscription_attributes(SubscriptionArn=arn).get("Attributes", {})
            pending = str(attributes.get("PendingConfirmation", "false")).lower() == "true"
        if pending:
            ctx.pending.append(
                PendingConfirmation(
                    topic_arn=p["TopicArn"], protocol=p["Protocol"], endpoint=p["Endpoint"]
                )
            )
            return "subscribed; the endpoint must confirm before alerts arrive"
        return "subscribed (confirmed)"

    return _Decision([_Call("Subscribe", p)], after=after)


_ALARM_KEYS = (
    "MetricName",
    "Namespace",
    "Statistic",
    "Period",
    "EvaluationPeriods",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "ActionsEnabled",
)


def _metric_alarm(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    p = a.params
    found = c.describe_alarms(AlarmNames=[p["AlarmName"]], AlarmTypes=["MetricAlarm"])
    alarms = found.get("MetricAlarms") or []
    if alarms:
        have = alarms[0]
        actions = list(have.get("AlarmActions") or [])
        same = all(have.get(k) == p[k] for k in _ALARM_KEYS if k in p)
        # PutMetricAlarm without DatapointsToAlarm resets it to EvaluationPeriods, so an
        # alarm that needs more breaching datapoints (the check fails it) is not as wanted.
        same = same and have.get("DatapointsToAlarm") in (None, p.get("EvaluationPeriods"))
        if same and all(x in actions for x in p["AlarmActions"]) and not have.get("Dimensions"):
            return _Decision(detail="the alarm exists as wanted")
        merged = list(dict.fromkeys([*actions, *p["AlarmActions"]]))
        return _Decision([_Call("PutMetricAlarm", {**p, "AlarmActions": merged})])
    return _Decision([_Call("PutMetricAlarm", p)])


def _rule(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    p = a.params
    try:
        have = c.describe_rule(Name=p["Name"])
    except ClientError as exc:
        if not _missing_codes(exc, "ResourceNotFoundException"):
            raise
        return _Decision([_Call("PutRule", p)])
    if _same_doc(have.get("EventPattern"), p["EventPattern"]) and have.get("State") == p["State"]:
        return _Decision(detail="the rule exists as wanted")
    return _Decision([_Call("PutRule", p)])


def _targets(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    p = a.params
    have = paginate(c, "ListTargetsByRule", "Targets", Rule=p["Rule"])
    missing = [
        t for t in p["Targets"] if not any(all(h.get(k) == v for k, v in t.items()) for h in have)
    ]
    if not missing:
        return _Decision(detail="the rule has the wanted target")

    def after(responses: list[dict[str, Any]]) -> str | None:
        response = responses[-1]
        if response.get("FailedEntryCount"):
            entry = (response.get("FailedEntries") or [{}])[0]
            raise _Conflict(
                str(entry.get("ErrorCode") or "FailedEntry"),
                str(entry.get("ErrorMessage") or "PutTargets rejected the target"),
            )
        return None

    return _Decision([_Call("PutTargets", {**p, "Targets": missing})], after=after)


def _recorder(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    wanted = a.params["ConfigurationRecorder"]
    recorders = c.describe_configuration_recorders().get("ConfigurationRecorders") or []
    same = next((r for r in recorders if r.get("name") == wanted["name"]), None)
    if same is not None:
        if records_iam(same.get("recordingGroup")):
            return _Decision(detail=f"recorder {same['name']} exists and records IAM resources")
        return _Decision([_Call("PutConfigurationRecorder", a.params)])
    return _one_per_region(
        "recorder",
        recorders,
        _Call(
            "PutConfigurationRecorder",
            a.params,
            frozenset({"MaxNumberOfConfigurationRecordersExceededException"}),
        ),
    )


def _delivery_channel(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    channels = c.describe_delivery_channels().get("DeliveryChannels") or []
    return _one_per_region(
        "delivery channel",
        channels,
        _Call(
            "PutDeliveryChannel",
            a.params,
            frozenset({"MaxNumberOfDeliveryChannelsExceededException"}),
        ),
    )


def _one_per_region(what: str, existing: Sequence[Mapping[str, Any]], create: _Call) -> _Decision:
    """AWS Config has one recorder and one delivery channel per region: an existing one
    (whatever its name) is kept; otherwise ``create`` (whose "limit exceeded" error means
    someone else just created it)."""
    if existing:
        return _Decision(detail=f"{what} {existing[0].get('name')} exists (kept)")
    return _Decision([create])


def _start_recorder(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["ConfigurationRecorderName"]
    status = c.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    if any(s.get("recording") for s in status.get("ConfigurationRecordersStatus") or []):
        return _Decision(detail="the recorder is recording")
    return _Decision([_Call("StartConfigurationRecorder", a.params)])


def _config_rule(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    rule = a.params["ConfigRule"]
    try:
        found = c.describe_config_rules(ConfigRuleNames=[rule["ConfigRuleName"]])
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchConfigRuleException"):
            raise
        return _Decision([_Call("PutConfigRule", a.params)])
    for have in found.get("ConfigRules") or []:
        if (have.get("Source") or {}).get("SourceIdentifier") == rule["Source"][
            "SourceIdentifier"
        ] and have.get("ConfigRuleState", "ACTIVE") == "ACTIVE":
            return _Decision(detail="the rule exists as wanted")
    return _Decision([_Call("PutConfigRule", a.params)])


_HANDLERS: dict[str, Handler] = {
    "CreateBucket": _create_bucket,
    "PutBucketTagging": _bucket_tagging,
    "PutPublicAccessBlock": _public_access_block,
    "PutBucketEncryption": _bucket_encryption,
    "PutBucketPolicy": _bucket_policy,
    "CreateLogGroup": _create_log_group,
    "PutRetentionPolicy": _retention,
    "CreateRole": _create_role,
    "PutRolePolicy": _role_policy,
    "CreateServiceLinkedRole": _service_linked_role,
    "CreateTrail": _create_trail,
    "UpdateTrail": _update_trail,
    "StartLogging": _start_logging,
    "PutEventSelectors": _event_selectors,
    "PutMetricFilter": _metric_filter,
    "CreateTopic": _create_topic,
    "SetTopicPolicy": _topic_policy,
    "CreateKey": _kms_key,
    "SetTopicEncryption": _topic_encryption,
    "Subscribe": _subscribe,
    "PutMetricAlarm": _metric_alarm,
    "PutRule": _rule,
    "PutTargets": _targets,
    "PutConfigurationRecorder": _recorder,
    "PutDeliveryChannel": _delivery_channel,
    "StartConfigurationRecorder": _start_recorder,
    "PutConfigRule": _config_rule,
}


def _send(client: Any, call: _Call) -> dict[str, Any]:
    """One mutating call, retried while a just-created role propagates."""
    method = getattr(client, xform_name(call.operation))
    for delay in (*_PROPAGATION_DELAYS, None):
        try:
            return dict(method(**call.params))
        except ClientError as exc:
            if delay is None or _code(exc) not in _PROPAGATION_CODES:
                raise
            logger.info(
                "%s: %s (waiting %.0f s for IAM to propagate)", call.operation, _code(exc), delay
            )
            _sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _run_one(ctx: _Context, action: ApiAction, *, dry_run: bool) -> ActionOutcome:
    handler = _HANDLERS.get(action.kind) if hasattr(action, "kind") else None
    if handler is None:
        return ActionOutcome(
            action=action,
            status=ActionStatus.FAILED,
            error_code="UnknownAction",
            error=f"UnknownAction: no handler for {type(action).__name__}",
        )
    sent: list[str] = []
    try:
        client = ctx.client(action)
        decision = handler(ctx, client, action)
        if not decision.calls:
            return ActionOutcome(
                action=action,
                status=ActionStatus.UNCHANGED,
                detail=decision.detail,
            )
        if dry_run:
            ops = ", ".join(call.operation for call in decision.calls)
            return ActionOutcome(
                action=action,
                status=ActionStatus.SKIPPED,
                detail=f"dry run: would call {ops}"
                + (f" ({decision.detail})" if decision.detail else ""),
            )
        responses: list[dict[str, Any]] = []
        for call in decision.calls:
            sent.append(call.operation)
            try:
                responses.append(_send(client, call))
            except ClientError as exc:
                if _code(exc) in call.exists_codes or (
                    call.exists_if is not None and call.exists_if(exc)
                ):
                    return ActionOutcome(
                        action=action,
                        status=ActionStatus.UNCHANGED,
                        detail=f"already exists ({_code(exc)})",
                        calls=tuple(sent),
                    )
                raise
        extra = decision.after(responses) if decision.after else None
        detail = "; ".join(x for x in (decision.detail, extra) if x)
        return ActionOutcome(
            action=action,
            status=ActionStatus.APPLIED,
            detail=detail,
            calls=tuple(sent),
        )
    except _Conflict as exc:
        code, message = exc.code, str(exc)
    except CALL_ERRORS as exc:
        code, message = error_code(exc), error_message(exc)
    except Exception as exc:  # a response we did not expect must not stop the run
        logger.exception("unexpected error applying %s", action.id)
        code, message = type(exc).__name__, str(exc) or type(exc).__name__
    logger.warning("%s failed: %s: %s", action.id, code, message)
    return ActionOutcome(
        action=action,
        status=ActionStatus.FAILED,
        error_code=code,
        error=f"{code}: {message}",
        calls=tuple(sent),
    )


# ------------------------------------------------------------------------- whose account

_ACCOUNT_ID = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class CallerAccount:
    """Whom the credentials are (``sts:GetCallerIdentity``): account, partition, ARN."""

    account_id: str
    partition: str
    arn: str


def _plan_account(plan: Plan) -> str:
    return f"account {plan.account_id} ({plan.partition})"


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _caller_of(identity: Any) -> CallerAccount | str:
    """The caller in a GetCallerIdentity answer, or what is wrong with the answer."""
    if not isinstance(identity, Mapping):
        return f"an answer that is not an object ({type(identity).__name__})"
    account = identity.get("Account")
    if not isinstance(account, str) or not _ACCOUNT_ID.fullmatch(account):
        return f"no valid account id (Account: {_short(account)})"
    arn = identity.get("Arn")
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) < 6 or parts[0] != "arn" or not parts[1] or parts[4] != account:
        return f"an ARN that is not one of account {account} (Arn: {_short(arn)})"
    return CallerAccount(account_id=account, partition=parts[1], arn=str(arn))


def _verify(
    plan: Plan, factory: Callable[[], ClientFactory]
) -> tuple[ClientFactory, CallerAccount]:
    wanted = _plan_account(plan)
    try:
        clients = factory()
        # The partition's global region: its STS endpoint only accepts that partition's
        # credentials (other regions of the plan may not be enabled for the caller).
        sts = clients.client("sts", _GLOBAL_REGION.get(plan.partition, plan.home_region))
        identity = sts.get_caller_identity()
    except CREDENTIAL_ERRORS as exc:
        raise ApplyError(
            f"cannot apply: no usable AWS credentials ({error_message(exc)}); "
            f"the plan is for {wanted}; nothing was sent"
        ) from exc
    except Exception as exc:  # ClientError, BotoCoreError, ResponseParserError, anything
        raise ApplyError(
            "cannot apply: which account the credentials reach is unknown "
            f"(sts:GetCallerIdentity failed with {error_code(exc)}: {error_message(exc)}); "
            f"the plan is for {wanted}; nothing was sent"
        ) from exc
    caller = _caller_of(identity)
    if isinstance(caller, str):
        raise ApplyError(
            f"cannot apply: sts:GetCallerIdentity answered {caller}; "
            f"the plan is for {wanted}; nothing was sent"
        )
    if (caller.account_id, caller.partition) != (plan.account_id, plan.partition):
        raise ApplyError(
            f"cannot apply here: the plan is for {wanted}, the credentials reach "
            f"account {caller.account_id} ({caller.partition}); nothing was sent"
        )
    logger.info("the credentials reach %s as %s", wanted, caller.arn)
    return clients, caller


def verify_account(plan: Plan, *, session: boto3.Session | None = None) -> CallerAccount:
    """Prove that ``session``'s credentials reach the plan's account and partition (one
    ``sts:GetCallerIdentity`` call), as :func:`apply` does before anything else.

    Raises:
        ApplyError: the credentials reach another account or partition, there are no
            credentials, the call failed, or its answer is malformed. The message names
            the plan's account and, when known, the one the credentials reach.
    """
    return _verify(plan, lambda: ClientFactory(resolve_session(session)))[1]


def apply(
    plan: Plan | str | bytes,
    *,
    session: boto3.Session | None = None,
    dry_run: bool = False,
) -> ApplyResult:
    """Execute a plan, action by action, in order (I/O).

    Each action reads the resource first and sends only what is missing, so re-running
    the same plan is safe: what is already in place is ``unchanged``. An action whose
    prerequisite failed (or was skipped) is ``skipped``; AWS and connection errors become
    ``failed`` outcomes and the run goes on with the independent actions. Manual steps
    are reported ``skipped`` (a human must do them). With ``dry_run=True`` only reads
    are made: actions that would change something are ``skipped`` with the call they
    would make.

    Before its first other call (dry run too), apply proves with
    ``sts:GetCallerIdentity`` that the credentials reach the plan's account *and*
    partition; otherwise it raises and sends nothing else. A plan without API actions
    (only manual steps) makes no call at all.

    Args:
        plan: a :class:`~rootguard.Plan`, or its JSON (:meth:`Plan.to_json`).
        session: the boto3 session to use (default ``boto3.Session()``).
        dry_run: send no mutating call.

    Raises:
        ApplyError: the plan is not valid, or the credentials do not provably reach the
            plan's account and partition: another account or partition, no credentials,
            a failed ``sts:GetCallerIdentity`` or a malformed answer to it. Nothing is
            sent then. Never for the actions' own AWS errors (those are outcomes).

    Examples:
        >>> import rootguard
        >>> plan = rootguard.Plan(account_id="111122223333", home_region="us-east-1")
        >>> rootguard.apply(plan).ok
        True
    """
    if isinstance(plan, (str, bytes)):
        try:
            plan = Plan.from_json(plan)
        except PlanError as exc:
            raise ApplyError(str(exc)) from None
    if not isinstance(plan, Plan):
        raise ApplyError(f"expected a Plan, got {type(plan).__name__}")
    ctx: _Context | None = None
    if plan.api_actions:
        factory, _ = _verify(plan, lambda: ClientFactory(resolve_session(session)))
        ctx = _Context(factory, plan)
    outcomes: list[ActionOutcome] = []
    status: dict[str, ActionStatus] = {}
    would_change: set[str] = set()
    for action in plan.actions:
        blocked = _blocked_by(action.depends_on, status, would_change, dry_run=dry_run)
        if isinstance(action, ManualStep):
            outcome = ActionOutcome(
                action=action,
                status=ActionStatus.SKIPPED,
                detail="manual step: " + action.description,
            )
        elif blocked is not None:
            outcome = ActionOutcome(action=action, status=ActionStatus.SKIPPED, detail=blocked)
        elif dry_run and any(d in would_change for d in action.depends_on):
            outcome = ActionOutcome(
                action=action,
                status=ActionStatus.SKIPPED,
                detail=f"dry run: would call {action.operation} (after its prerequisites)",
            )
        else:
            assert ctx is not None
            outcome = _run_one(ctx, action, dry_run=dry_run)
        if (
            dry_run
            and outcome.status is ActionStatus.SKIPPED
            and not isinstance(action, ManualStep)
            and blocked is None
        ):
            would_change.add(action.id)
        status[action.id] = outcome.status
        logger.info("%s %s %s", outcome.status.value, action.id, outcome.error or outcome.detail)
        outcomes.append(outcome)
    pending = tuple(dict.fromkeys(ctx.pending)) if ctx is not None else ()
    return ApplyResult(outcomes=tuple(outcomes), dry_run=dry_run, pending_confirmations=pending)


def _blocked_by(
    depends_on: Sequence[str],
    status: Mapping[str, ActionStatus],
    would_change: set[str],
    *,
    dry_run: bool,
) -> str | None:
    for dep in depends_on:
        state = status.get(dep)
        if state is ActionStatus.FAILED:
            return f"skipped: prerequisite {dep} failed"
        if state is ActionStatus.SKIPPED and not (dry_run and dep in would_change):
            return f"skipped: prerequisite {dep} was skipped"
    return None

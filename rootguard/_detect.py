"""Root-activity detection on CloudTrail records (pure: no AWS calls, no clock).

``classify_event`` decides for one record whether it is root activity and, if so, how
root acted (the channel), whether it worked, whether MFA was used, how severe it is,
whether it should alert and whether the CIS metric filter would have caught it.
``detect_root_activity`` runs that over many records — cheaply: a raw record that cannot
be root activity is rejected with a few dict lookups, without building a model — and
ties an ``sts:AssumeRoot`` call to the member-account records of the session it opened.

The rules, their order and the severity table are documented in ``docs/channels.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from rootguard._cloudtrail import event_from_record, parse_cloudtrail_event, unwrap_record
from rootguard._errors import ParseError
from rootguard._models import (
    ActivitySource,
    Channel,
    CloudTrailEvent,
    Outcome,
    RootActivities,
    RootActivity,
    Severity,
    UserIdentity,
)

__all__ = ["classify_event", "detect_root_activity"]

SIGNIN_SOURCE: Final = "signin.amazonaws.com"
STS_SOURCE: Final = "sts.amazonaws.com"
HIDDEN_USER: Final = "HIDDEN_DUE_TO_SECURITY_REASONS"
AWS_SERVICE_EVENT: Final = "AwsServiceEvent"

_NON_ALERTING: Final = frozenset({Channel.SERVICE_INVOKED, Channel.AWS_SERVICE_EVENT})
_ACCOUNT_ID = re.compile(r"\d{12}")

_FIXED_SEVERITY: Final[dict[Channel, Severity]] = {
    Channel.ACCESS_KEY: Severity.CRITICAL,
    Channel.TEMPORARY_CREDENTIALS: Severity.HIGH,
    Channel.FEDERATED: Severity.HIGH,
    Channel.CONSOLE_SESSION: Severity.MEDIUM,
    Channel.ASSUMED_ROOT: Severity.LOW,
    Channel.SERVICE_INVOKED: Severity.INFORMATIONAL,
    Channel.AWS_SERVICE_EVENT: Severity.INFORMATIONAL,
}


# --------------------------------------------------------------------------- cheap filter


def is_candidate(record: Mapping[str, Any]) -> bool:
    """Could this raw record be root activity? A few lookups, no model.

    True for every record ``classify_event`` may accept (it may still say no), so filtering
    with it first never changes the result.
    """
    identity = record.get("userIdentity")
    if not isinstance(identity, Mapping):
        return False
    identity_type = identity.get("type")
    if identity_type == "Root":
        return True
    if identity_type == "FederatedUser":
        context = identity.get("sessionContext")
        if isinstance(context, Mapping):
            issuer = context.get("sessionIssuer")
            if isinstance(issuer, Mapping) and issuer.get("type") == "Root":
                return True
    # Any typed IAM principal may make the AssumeRoot call (a federated user included).
    return record.get("eventName") == "AssumeRoot" and record.get("eventSource") == STS_SOURCE


def _may_be_envelope(record: Mapping[str, Any]) -> bool:
    return "detail" in record or "CloudTrailEvent" in record


# --------------------------------------------------------------------------- classification


def _mfa_from_signin(event: CloudTrailEvent) -> bool | None:
    data = event.additional_event_data
    if not data:
        return None
    value = data.get("MFAUsed")
    if not isinstance(value, str):
        return None
    lowered = value.strip().lower()
    if lowered == "yes":
        return True
    if lowered == "no":
        return False
    return None


def _mfa_from_session(identity: UserIdentity) -> bool | None:
    context = identity.session_context
    if context is None or context.attributes is None:
        return None
    return context.attributes.mfa_authenticated


def _signin_failed(event: CloudTrailEvent) -> bool:
    elements = event.response_elements
    if not elements:
        return False
    for key in ("ConsoleLogin", event.event_name):
        value = elements.get(key) if isinstance(key, str) else None
        if isinstance(value, str) and value.strip().lower() == "failure":
            return True
    return False


def _outcome(event: CloudTrailEvent, channel: Channel) -> Outcome:
    if event.error_code or event.error_message:
        return Outcome.FAILURE
    if channel is Channel.CONSOLE_SIGNIN and _signin_failed(event):
        return Outcome.FAILURE
    return Outcome.SUCCESS


def _severity(channel: Channel, outcome: Outcome, mfa_used: bool | None) -> Severity:
    if channel is Channel.CONSOLE_SIGNIN:
        if outcome is Outcome.FAILURE or mfa_used is True:
            return Severity.MEDIUM
        return Severity.HIGH  # no MFA, or MFA unknown
    return _FIXED_SEVERITY[channel]


def _cis_match(event: CloudTrailEvent) -> bool:
    """``{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS
    && $.eventType != "AwsServiceEvent" }`` evaluated on the record's fields directly.

    ``NOT EXISTS`` is about the key (``"invokedBy": null`` exists); a comparison on a
    field the record does not have, or that is null, does not match (CloudWatch compares
    value nodes only), so a record without ``eventType`` is not matched.
    """
    identity = event.user_identity
    if identity is None or identity.type != "Root":
        return False
    if "invoked_by" in identity.model_fields_set:
        return False
    return event.event_type is not None and event.event_type != AWS_SERVICE_EVENT


def _key_channel(identity: UserIdentity) -> Channel:
    key = identity.access_key_id or ""
    if key.startswith("AKIA"):
        return Channel.ACCESS_KEY
    if key.startswith("ASIA"):
        return Channel.TEMPORARY_CREDENTIALS
    if key:
        # A key id of no known form (redacted or synthetic records). AWS writes a
        # sessionContext only for temporary credentials.
        if identity.session_context is not None:
            return Channel.TEMPORARY_CREDENTIALS
        return Channel.ACCESS_KEY
    # No access key id at all: root's one credential that leaves none is its password,
    # i.e. a console session (older console records carry no other marker).
    return Channel.CONSOLE_SESSION


def _root_channel(event: CloudTrailEvent, identity: UserIdentity, federated: bool) -> Channel:
    invoked_by = identity.invoked_by
    if event.event_type == AWS_SERVICE_EVENT:
        return Channel.AWS_SERVICE_EVENT
    if invoked_by and invoked_by != SIGNIN_SOURCE:
        return Channel.SERVICE_INVOKED
    if federated:
        return Channel.FEDERATED
    if event.event_source == SIGNIN_SOURCE:
        return Channel.CONSOLE_SIGNIN
    context = identity.session_context
    if context is not None and context.assumed_root is True:
        return Channel.ASSUMED_ROOT
    if event.session_credential_from_console is True or invoked_by == SIGNIN_SOURCE:
        return Channel.CONSOLE_SESSION
    return _key_channel(identity)


def _account_of(principal: object) -> str | None:
    if not isinstance(principal, str) or not principal:
        return None
    if principal.startswith("arn:"):
        parts = principal.split(":")
        if len(parts) > 4 and _ACCOUNT_ID.fullmatch(parts[4]):
            return parts[4]
    return principal


_SHAREABLE: Final = (
    "account_id",
    "region",
    "event_source",
    "event_name",
    "access_key_id",
    "source_ip",
    "user_agent",
    "error_code",
    "actor_arn",
    "task_policy_arn",
)
"""The fields of an activity that repeat from record to record (not ``event_id``)."""
_SHARED_MAX: Final = 512
"""Longer strings are not shared (an attacker's unique long strings stay out of the memo)."""

# Which fields each kind of activity is built with. One set shared by every activity of
# that kind, as RootActivity(**values) would have set it: a set per instance cost 2.2 KB.
# model_copy copies it before changing it, and a frozen model never changes it in place.
_ROOT_FIELDS: Final[set[str]] = {
    "event_id",
    "event_time",
    "account_id",
    "region",
    "event_source",
    "event_name",
    "channel",
    "outcome",
    "mfa_used",
    "access_key_id",
    "source_ip",
    "user_agent",
    "error_code",
    "read_only",
    "alert",
    "cis_match",
    "severity",
    "source",
    "actor_arn",
}
_ASSUME_ROOT_FIELDS: Final[set[str]] = {*_ROOT_FIELDS, "task_policy_arn"}


def _activity(fields_set: set[str], strings: dict[str, str] | None, **values: Any) -> RootActivity:
    """``RootActivity(**values)`` without validating again what is already valid: every
    value comes from a validated :class:`CloudTrailEvent` or from this module's own
    typed functions (``tests/unit/test_detect.py`` holds the two equal). Equal short
    strings are shared through ``strings``."""
    if strings is not None:
        for name in _SHAREABLE:
            value = values.get(name)
            if value.__class__ is str and len(value) <= _SHARED_MAX:
                values[name] = strings.setdefault(value, value)
    return RootActivity.model_construct(_fields_set=fields_set, **values)


def _task_policy(parameters: Mapping[str, Any]) -> str | None:
    policy = parameters.get("taskPolicyArn")
    if isinstance(policy, Mapping):
        policy = policy.get("arn")
    return policy if isinstance(policy, str) and policy else None


def _issued_key(event: CloudTrailEvent) -> str | None:
    credentials = (event.response_elements or {}).get("credentials")
    if isinstance(credentials, Mapping):
        key = credentials.get("accessKeyId")
        if isinstance(key, str) and key:
            return key
    return None


def _is_assume_root_call(event: CloudTrailEvent, identity: UserIdentity) -> bool:
    return (
        event.event_name == "AssumeRoot"
        and event.event_source == STS_SOURCE
        and identity.type is not None
        and identity.type != "Root"
    )


def _assume_root_call(
    event: CloudTrailEvent,
    identity: UserIdentity,
    source: ActivitySource,
    strings: dict[str, str] | None,
) -> RootActivity:
    """The AssumeRoot call: root activity of the *target* account, acted by the caller."""
    parameters = event.request_parameters or {}
    channel = Channel.ASSUMED_ROOT
    outcome = _outcome(event, channel)
    return _activity(
        _ASSUME_ROOT_FIELDS,
        strings,
        event_id=event.event_id,
        event_time=event.event_time,
        account_id=_account_of(parameters.get("targetPrincipal")),
        region=event.aws_region,
        event_source=event.event_source,
        event_name=event.event_name,
        channel=channel,
        outcome=outcome,
        mfa_used=_mfa_from_session(identity),
        access_key_id=_issued_key(event),
        source_ip=event.source_ip_address,
        user_agent=event.user_agent,
        error_code=event.error_code,
        read_only=event.read_only,
        alert=True,
        cis_match=_cis_match(event),
        severity=Severity.LOW,
        source=source,
        actor_arn=identity.arn,
        task_policy_arn=_task_policy(parameters),
    )


def classify_parsed(
    event: CloudTrailEvent,
    source: ActivitySource,
    strings: dict[str, str] | None = None,
) -> tuple[RootActivity, bool] | None:
    """(activity, is_assume_root_call), or None when ``event`` is not root activity.

    ``strings``: a memo that equal short strings of the activities share (one per file
    of an archive scan: thousands of root records of one file name the same account,
    region, source, user agent ...)."""
    identity = event.user_identity
    if identity is None:
        return None
    if _is_assume_root_call(event, identity):
        return _assume_root_call(event, identity, source, strings), True
    if identity.type == "Root":
        if identity.user_name == HIDDEN_USER or HIDDEN_USER in (identity.arn or ""):
            return None  # a failed sign-in under a name that does not exist
        federated = False
    elif identity.type == "FederatedUser":
        context = identity.session_context
        issuer = context.session_issuer if context is not None else None
        if issuer is None or issuer.type != "Root":
            return None
        federated = True
    else:
        return None

    channel = _root_channel(event, identity, federated)
    if channel is Channel.CONSOLE_SIGNIN:
        mfa_used = _mfa_from_signin(event)
    else:
        mfa_used = _mfa_from_session(identity)
    outcome = _outcome(event, channel)
    activity = _activity(
        _ROOT_FIELDS,
        strings,
        event_id=event.event_id,
        event_time=event.event_time,
        account_id=event.recipient_account_id or identity.account_id,
        region=event.aws_region,
        event_source=event.event_source,
        event_name=event.event_name,
        channel=channel,
        outcome=outcome,
        mfa_used=mfa_used,
        access_key_id=identity.access_key_id or None,
        source_ip=event.source_ip_address,
        user_agent=event.user_agent,
        error_code=event.error_code,
        read_only=event.read_only,
        alert=channel not in _NON_ALERTING,
        cis_match=_cis_match(event),
        severity=_severity(channel, outcome, mfa_used),
        source=source,
        actor_arn=identity.arn,
    )
    return activity, False


def _source(source: ActivitySource | str) -> ActivitySource:
    try:
        return ActivitySource(source)
    except ValueError:
        raise ParseError(
            "unknown activity source; expected one of "
            + ", ".join(member.value for member in ActivitySource),
            value=repr(source),
        ) from None


def _classify_any(event: object, source: ActivitySource) -> tuple[RootActivity, bool] | None:
    if isinstance(event, CloudTrailEvent):
        return classify_parsed(event, source)
    if isinstance(event, Mapping):
        try:
            record = unwrap_record(event)
        except RecursionError:
            raise ParseError("input is nested too deeply") from None
        if not is_candidate(record):
            return None
        return classify_parsed(event_from_record(record, owned=False), source)
    if isinstance(event, (str, bytes)):
        return classify_parsed(parse_cloudtrail_event(event), source)
    raise ParseError(
        f"expected a CloudTrailEvent, a mapping or JSON text, not {type(event).__name__}"
    )


def classify_event(
    event: CloudTrailEvent | Mapping[str, Any] | str | bytes,
    *,
    source: ActivitySource | str = ActivitySource.CLOUDTRAIL,
) -> RootActivity | None:
    """Classify one CloudTrail record: a :class:`~rootguard.RootActivity`, or None.

    ``event`` is a :class:`~rootguard.CloudTrailEvent`, or anything
    :func:`~rootguard.parse_cloudtrail_event` accepts (raw record, EventBridge event,
    LookupEvents item). A raw record that cannot be root activity is answered with None
    without being validated. ``source`` says where the record was seen.

    The AssumeRoot call is classified on its own (channel ``assumed_root``, the target
    account); a member-account record of that session without ``assumedRoot`` is only
    recognised as ``assumed_root`` by :func:`detect_root_activity`, which sees both.

    Raises:
        ParseError: a root-activity candidate that is not a valid record.

    Examples:
        >>> import rootguard
        >>> activity = rootguard.classify_event({
        ...     "eventSource": "iam.amazonaws.com", "eventName": "CreateUser",
        ...     "eventType": "AwsApiCall",
        ...     "userIdentity": {"type": "Root", "accessKeyId": "AKIAIOSFODNN7EXAMPLE"},
        ... })
        >>> activity.channel.value, activity.severity.value, activity.cis_match
        ('access_key', 'critical', True)
        >>> iam_user_named_root = {"userIdentity": {"type": "IAMUser", "userName": "root"}}
        >>> rootguard.classify_event(iam_user_named_root) is None
        True
    """
    result = _classify_any(event, _source(source))
    return None if result is None else result[0]


def correlate(activities: list[RootActivity], calls: list[bool]) -> list[RootActivity]:
    """Tie AssumeRoot calls to the member-session records they opened (by access key)."""
    call_by_key: dict[str, list[int]] = {}
    for index, activity in enumerate(activities):
        if calls[index] and activity.access_key_id:
            call_by_key.setdefault(activity.access_key_id, []).append(index)
    if not call_by_key:
        return activities

    members_of: dict[int, list[int]] = {}
    result = list(activities)
    for index, activity in enumerate(activities):
        if calls[index] or not activity.access_key_id:
            continue
        call_indexes = call_by_key.get(activity.access_key_id)
        if not call_indexes:
            continue
        call = activities[call_indexes[0]]
        related = tuple(
            dict.fromkeys(
                event_id
                for event_id in (activities[i].event_id for i in call_indexes)
                if event_id and event_id != activity.event_id
            )
        )
        update: dict[str, Any] = {
            "related_event_ids": tuple(dict.fromkeys(activity.related_event_ids + related)),
            "task_policy_arn": activity.task_policy_arn or call.task_policy_arn,
            "actor_arn": call.actor_arn or activity.actor_arn,
        }
        if activity.channel not in _NON_ALERTING:
            update["channel"] = Channel.ASSUMED_ROOT
            update["severity"] = Severity.LOW
        result[index] = activity.model_copy(update=update)
        for call_index in call_indexes:
            members_of.setdefault(call_index, []).append(index)

    for call_index, member_indexes in members_of.items():
        call = result[call_index]
        related = tuple(
            event_id
            for event_id in (activities[i].event_id for i in member_indexes)
            if event_id and event_id != call.event_id
        )
        result[call_index] = call.model_copy(
            update={"related_event_ids": tuple(dict.fromkeys(call.related_event_ids + related))}
        )
    return result


def detect_root_activity(
    events: Iterable[CloudTrailEvent | Mapping[str, Any]],
    *,
    source: ActivitySource | str = ActivitySource.CLOUDTRAIL,
) -> RootActivities:
    """All root activity among ``events``, in input order (a
    :class:`~rootguard.RootActivities` list: ``to_json()``, ``to_records()``).

    ``events`` may mix :class:`~rootguard.CloudTrailEvent` models and raw mappings (raw
    records, EventBridge events, LookupEvents items). Raw records that cannot be root
    activity are skipped after a few dict lookups — they are neither validated nor turned
    into models — so scanning a large archive costs little more than reading it.

    An ``sts:AssumeRoot`` call and the member-account records made with the session it
    opened (``responseElements.credentials.accessKeyId`` of the call equals the records'
    ``userIdentity.accessKeyId``) are correlated: the records become ``assumed_root``
    activity (severity low, the caller as ``actor_arn``, the task policy), and both sides
    list each other's event ids in ``related_event_ids``.

    Raises:
        ParseError: a root-activity candidate is not a valid record.

    Examples:
        >>> import rootguard
        >>> acts = rootguard.detect_root_activity([
        ...     {"eventName": "ListBuckets", "userIdentity": {"type": "IAMUser"}},
        ...     {"eventName": "ListBuckets", "eventType": "AwsApiCall",
        ...      "userIdentity": {"type": "Root", "accessKeyId": "ASIAEXAMPLE",
        ...                       "sessionContext": {"attributes": {}}}},
        ... ])
        >>> [(a.event_name, a.channel.value) for a in acts]
        [('ListBuckets', 'temporary_credentials')]
    """
    activity_source = _source(source)
    activities: list[RootActivity] = []
    calls: list[bool] = []
    for item in events:
        if type(item) is dict:
            # Inline fast path for the common case: a plain raw record that is not root.
            identity = item.get("userIdentity")
            if identity.__class__ is dict:
                identity_type = identity.get("type")
                # A tuple, not a set: the type may be any JSON value, even unhashable.
                if (
                    identity_type not in ("Root", "FederatedUser")
                    and item.get("eventName") != "AssumeRoot"
                ):
                    continue
            elif identity is None:
                if not _may_be_envelope(item):
                    continue
            elif not isinstance(identity, Mapping):
                continue
        result = _classify_any(item, activity_source)
        if result is not None:
            activities.append(result[0])
            calls.append(result[1])
    return RootActivities(correlate(activities, calls))

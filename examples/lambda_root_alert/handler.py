"""AWS Lambda handler: an enriched alert for every root-user action EventBridge delivers.

Target of the EventBridge rule that matches root activity (see README.md). For each event:

1. The envelope is checked: ``source`` must start with ``aws.`` (``PutEvents`` refuses that
   prefix, so a custom event cannot pass for a CloudTrail record) and ``detail-type`` must
   be one of :data:`CLOUDTRAIL_DETAIL_TYPES`. The rule's pattern says the same; the handler
   checks again so that a misconfigured rule never turns a forged event into an alert.
2. ``rootguard.parse_cloudtrail_event`` reads the record under ``detail``; a field of the
   wrong type (a number where CloudTrail writes a string …) is left out and named in the
   alert rather than losing the alert. ``rootguard.classify_event`` turns the record into a
   ``RootActivity`` (channel, outcome, MFA, severity) with source ``eventbridge``.
3. The activity is published to the SNS topic named by the ``ROOT_ALERT_TOPIC_ARN``
   environment variable: a readable text for e-mail and SMS, a JSON document for SQS,
   Lambda and HTTPS subscribers, and ``severity`` / ``channel`` / ``account_id`` message
   attributes for subscription filter policies.

Everything in an event is written by someone else (the user agent, the request parameters,
even the region of a record), so every rendered value is validated or cleaned: identifiers
(region, account id, event ids, access key id, IP address, ARN) must have their AWS shape or
are rendered ``invalid`` (and no console link is built from them); free text loses control,
format and line/paragraph-separator characters (no line injection, no bidi tricks) and is
cut to a sane length; the subject is ASCII, one line, under 100 characters; the whole
message stays well under SNS's 256 KB.

The handler returns a status and never raises on a malformed, forged or unexpected event:
such an event is logged and answered with ``{"status": "rejected", ...}`` (or
``"ignored"`` when it is valid but not root activity). A failure to *publish* is logged
and raised, so that Lambda retries the event and, after its retries, hands it to the
function's on-failure destination: an alert is never dropped silently.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
import math
import os
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config

import rootguard

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

TOPIC_ENV = "ROOT_ALERT_TOPIC_ARN"
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
_clients: dict[str | None, Any] = {}

CLOUDTRAIL_DETAIL_TYPES = frozenset(
    {
        "AWS API Call via CloudTrail",
        "AWS Console Action via CloudTrail",
        "AWS Console Sign In via CloudTrail",
        "AWS Service Event via CloudTrail",
    }
)
"""The ``detail-type`` values CloudTrail gives the records it sends to EventBridge that can
carry root activity (Insights events carry no identity)."""

SNS_SIZE_LIMIT = 262_144
"""SNS Publish: message, subject and message attributes together, in UTF-8 bytes."""
MESSAGE_BUDGET = SNS_SIZE_LIMIT - 16_384
"""What the handler allows itself, with a margin for the envelope SNS adds."""
SUBJECT_LIMIT = 99
"""SNS: a subject is ASCII text without line breaks or control characters, under 100."""

INVALID = "invalid"
"""Rendered in place of an identifier that does not have its AWS shape."""

# Per-field caps (characters, after cleaning).
_TEXT_LIMIT = 256
_AGENT_LIMIT = 512
_PARAM_STRING_LIMIT = 256
_PARAM_KEY_LIMIT = 64
_PARAM_ITEMS = 32
_PARAM_DEPTH = 6
_PARAMS_LIMIT = 8_192  # the request parameters as JSON, or "(omitted: too large)"
_LOG_LIMIT = 100
_MAX_DROPPED = 16

_REGION = re.compile(r"[a-z]{2,4}(?:-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")
_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
_ACCESS_KEY = re.compile(r"[A-Z0-9]{16,128}")
_ARN = re.compile(r"arn:aws[a-z-]{0,16}:(?:iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/:-]{1,400}")
_SERVICE_HOST = re.compile(r"[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,4}\.amazonaws\.com(?:\.cn)?")
_SERVICE_NAMES = frozenset({"AWS Internal"})

_BREAKS = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SPACES = re.compile(r" {2,}")

_CHANNEL_TEXT = {
    "console_signin": "console sign-in",
    "console_session": "console session",
    "access_key": "root access key",
    "assumed_root": "centralized root access session (sts:AssumeRoot)",
    "temporary_credentials": "temporary root credentials",
    "federated": "federated user issued by root",
    "service_invoked": "AWS service acting as root",
    "aws_service_event": "AWS service event",
}


# --------------------------------------------------------------------------- cleaning


def clean_text(value: object, limit: int = _TEXT_LIMIT) -> str | None:
    """``value`` as one line of plain text of at most ``limit`` characters, or None.

    Strings, numbers and booleans are rendered; anything else (lists, objects) is None.
    Line breaks, tabs and the Unicode line/paragraph separators become spaces; other
    control, format (bidi overrides, zero-width characters), surrogate, private-use and
    unassigned characters are removed; longer text is cut and ends with ``...``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value) if math.isfinite(value) else ""
    elif isinstance(value, str):
        text = value[: limit * 4]  # the work is bounded, whatever came in
    else:
        return None
    kept: list[str] = []
    for char in text:
        if char in _BREAKS:
            kept.append(" ")
        elif char.isascii():
            if char.isprintable():
                kept.append(char)
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    cleaned = _SPACES.sub(" ", "".join(kept)).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 3].rstrip() + "..."
    return cleaned


def _shaped(value: object, shape: re.Pattern[str]) -> str | None:
    """``value`` when it is a string of exactly this shape, :data:`INVALID` when it is
    something else, None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= 512 and shape.fullmatch(value):
        return value
    return INVALID


def valid_region(value: object) -> str | None:
    """An AWS region name (``us-east-1``, ``us-gov-west-1``, ``cn-north-1`` …)."""
    return _shaped(value, _REGION)


def valid_account(value: object) -> str | None:
    """A 12-digit AWS account id."""
    return _shaped(value, _ACCOUNT)


def valid_event_id(value: object) -> str | None:
    """A CloudTrail event id, request id or EventBridge event id (a UUID or similar)."""
    return _shaped(value, _EVENT_ID)


def valid_source_ip(value: object) -> str | None:
    """An IPv4/IPv6 address, or the name AWS writes for a service (``AWS Internal``,
    ``autoscaling.amazonaws.com``)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 256:
        return INVALID
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if value in _SERVICE_NAMES or _SERVICE_HOST.fullmatch(value):
        return value
    return INVALID


def clean_json(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON value with every string cleaned (:func:`clean_text`), at most
    :data:`_PARAM_ITEMS` items per object or array and :data:`_PARAM_DEPTH` levels."""
    if isinstance(value, Mapping):
        if depth >= _PARAM_DEPTH:
            return "(omitted: nested too deeply)"
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= _PARAM_ITEMS:
                out["(omitted)"] = f"{len(value) - _PARAM_ITEMS} more"
                break
            name = clean_text(key, _PARAM_KEY_LIMIT) or "(empty)"
            out[name] = clean_json(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        if depth >= _PARAM_DEPTH:
            return "(omitted: nested too deeply)"
        items = [clean_json(item, depth + 1) for item in value[:_PARAM_ITEMS]]
        if len(value) > _PARAM_ITEMS:
            items.append(f"(omitted: {len(value) - _PARAM_ITEMS} more)")
        return items
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return clean_text(value, _PARAM_STRING_LIMIT)


def _log_value(value: object) -> str:
    """A value that came with the event, safe for one log line."""
    return clean_text(value, _LOG_LIMIT) or "-"


# --------------------------------------------------------------------------- the event


def check_envelope(event: Any) -> str | None:
    """Why ``event`` is not an EventBridge event carrying a CloudTrail record that AWS
    sent (None when it is one)."""
    if not isinstance(event, Mapping):
        return f"event is a {type(event).__name__}, not a JSON object"
    source = event.get("source")
    if not isinstance(source, str) or not source.startswith("aws."):
        return f"source {_log_value(source)!r} is not an AWS service (aws.*): a custom event"
    detail_type = event.get("detail-type")
    if not isinstance(detail_type, str) or detail_type not in CLOUDTRAIL_DETAIL_TYPES:
        return f"detail-type {_log_value(detail_type)!r} is not a CloudTrail detail-type"
    if not isinstance(event.get("detail"), Mapping):
        return "detail is not a JSON object"
    return None


def _drop(record: Any, path: list[str]) -> bool:
    """Remove the value at ``path`` (field names, list indexes) from ``record``."""
    container = record
    for part in path[:-1]:
        if isinstance(container, dict) and part in container:
            container = container[part]
        elif isinstance(container, list) and part.isdigit() and int(part) < len(container):
            container = container[int(part)]
        else:
            return False
    last = path[-1] if path else ""
    if isinstance(container, dict) and last in container:
        del container[last]
        return True
    if isinstance(container, list) and last.isdigit() and int(last) < len(container):
        del container[int(last)]
        return True
    return False


def parse_record(
    detail: Mapping[str, Any],
) -> tuple[rootguard.CloudTrailEvent, list[str]]:
    """The CloudTrail record under ``detail``, with the fields of an unexpected type left
    out (their paths are returned): a record AWS sent is not lost for one odd field.

    Raises:
        rootguard.ParseError: the record cannot be read even so.
    """
    try:
        record = copy.deepcopy(dict(detail))
    except RecursionError:
        raise rootguard.ParseError("the record is nested too deeply") from None
    dropped: list[str] = []
    while True:
        try:
            return rootguard.parse_cloudtrail_event(record), dropped
        except rootguard.ParseError as exc:
            path = exc.column.split(".") if exc.column else []
            if len(dropped) >= _MAX_DROPPED or not _drop(record, path):
                raise
            dropped.append(exc.column or "")


# --------------------------------------------------------------------------- the alert


def console_link(region: str | None, event_id: str | None) -> str | None:
    """The CloudTrail console page of the event (Event history), in its partition; None
    unless both the region and the event id have their AWS shape (and for the isolated
    partitions, which have no public console)."""
    region = valid_region(region)
    event_id = valid_event_id(event_id)
    if region in (None, INVALID) or event_id in (None, INVALID) or "-iso" in region:
        return None
    if region.startswith("cn-"):
        domain = "console.amazonaws.cn"
    elif region.startswith("us-gov-"):
        domain = "console.amazonaws-us-gov.com"
    else:
        domain = "console.aws.amazon.com"
    return (
        f"https://{region}.{domain}/cloudtrail/home?region={region}"
        f"#/events/{quote(event_id, safe='')}"
    )


def _mfa_text(mfa_used: bool | None) -> str:
    return {True: "yes", False: "NO", None: "unknown"}[mfa_used]


def build_alert(
    activity: rootguard.RootActivity,
    record: rootguard.CloudTrailEvent,
    *,
    eventbridge_id: object = None,
    dropped_fields: list[str] | None = None,
) -> dict[str, Any]:
    """The alert document: who, what, where, MFA, severity, event id, console link —
    every value validated or cleaned (see the module docstring)."""
    account = valid_account(activity.account_id)
    region = valid_region(activity.region)
    event_id = valid_event_id(activity.event_id)
    actor = _shaped(activity.actor_arn, _ARN)
    return {
        "title": subject_text(
            f"{activity.severity.value.upper()}: root {_CHANNEL_TEXT[activity.channel.value]}"
            f" in account {account or 'unknown'}"
        ),
        "severity": activity.severity.value,
        "alert": activity.alert,
        "who": {
            "actor_arn": actor,
            "channel": activity.channel.value,
            "access_key_id": _shaped(activity.access_key_id, _ACCESS_KEY),
            "mfa_used": activity.mfa_used,
        },
        "what": {
            "event_source": clean_text(activity.event_source, 128),
            "event_name": clean_text(activity.event_name, 128),
            "outcome": activity.outcome.value,
            "error_code": clean_text(activity.error_code, 128),
            "read_only": activity.read_only,
        },
        "where": {
            "account_id": account,
            "region": region,
            "source_ip": valid_source_ip(activity.source_ip),
            "user_agent": clean_text(activity.user_agent, _AGENT_LIMIT),
        },
        "when": activity.event_time.isoformat() if activity.event_time else None,
        "event_id": event_id,
        "request_id": valid_event_id(record.request_id),
        "cis_match": activity.cis_match,
        "console_link": console_link(activity.region, activity.event_id),
        "eventbridge_id": valid_event_id(eventbridge_id),
        "request_parameters": _parameters(record.request_parameters),
        "ignored_fields": [clean_text(f, 128) or "" for f in dropped_fields or []],
    }


def _parameters(value: Any) -> Any:
    cleaned = clean_json(value)
    if len(json.dumps(cleaned)) > _PARAMS_LIMIT:
        return "(omitted: too large)"
    return cleaned


def subject_text(text: str) -> str:
    """``text`` as an SNS subject: printable ASCII, one line, under 100 characters."""
    ascii_text = "".join(c if " " <= c <= "~" else "?" for c in (clean_text(text) or ""))
    return ascii_text[:SUBJECT_LIMIT].rstrip() or "root activity"


def alert_text(alert: Mapping[str, Any]) -> str:
    """The alert as plain text (e-mail, SMS): one value per line, nothing in the values
    can start a new line."""
    who, what, where = alert["who"], alert["what"], alert["where"]

    def show(value: object) -> str:
        return clean_text(value, _AGENT_LIMIT) or "unknown"

    lines = [
        show(alert["title"]),
        "",
        f"Who:      {show(who['actor_arn'] or 'root')} via {show(who['channel'])}"
        + (f" (key {show(who['access_key_id'])})" if who["access_key_id"] else ""),
        f"MFA:      {_mfa_text(who['mfa_used'])}",
        f"What:     {show(what['event_source'])} {show(what['event_name'])}"
        f" -> {show(what['outcome'])}"
        + (f" ({show(what['error_code'])})" if what["error_code"] else ""),
        f"Where:    account {show(where['account_id'])}, region {show(where['region'])}, "
        f"from {show(where['source_ip'])}",
        f"When:     {show(alert['when'])}",
        f"Event id: {show(alert['event_id'])}",
    ]
    if alert["console_link"]:
        lines.append(f"Console:  {show(alert['console_link'])}")
    if alert.get("ignored_fields"):
        lines.append(
            "Note:     ignored (unexpected type): " + show(", ".join(alert["ignored_fields"]))
        )
    return "\n".join(lines)


def publish_request(alert: dict[str, Any], topic_arn: str) -> dict[str, Any]:
    """The ``sns.publish`` arguments for ``alert``, within SNS's limits (the request
    parameters are left out when the message would be too large)."""
    attributes = {
        "severity": {"DataType": "String", "StringValue": alert["severity"]},
        "channel": {"DataType": "String", "StringValue": alert["who"]["channel"]},
        "account_id": {
            "DataType": "String",
            "StringValue": alert["where"]["account_id"] or "unknown",
        },
    }
    subject = subject_text(alert["title"])
    extra = len(subject) + sum(
        len(name) + len(v["DataType"]) + len(v["StringValue"].encode())
        for name, v in attributes.items()
    )
    for shrink in (None, "request_parameters", "user_agent"):
        if shrink == "request_parameters":
            alert["request_parameters"] = "(omitted: too large)"
        elif shrink == "user_agent":
            alert["where"]["user_agent"] = clean_text(alert["where"]["user_agent"], 64)
        document = json.dumps(alert, sort_keys=True, allow_nan=False)
        message = json.dumps(
            {
                "default": alert_text(alert),
                "sqs": document,
                "lambda": document,
                "http": document,
                "https": document,
            }
        )
        if len(message.encode()) + extra <= MESSAGE_BUDGET:
            break
    return {
        "TopicArn": topic_arn,
        "Subject": subject,
        "Message": message,
        "MessageStructure": "json",
        "MessageAttributes": attributes,
    }


# --------------------------------------------------------------------------- handling


def handle(event: Any, *, sns: Any, topic_arn: str) -> dict[str, Any]:
    """Process one EventBridge event with an SNS client; see the module docstring."""
    why = check_envelope(event)
    if why is not None:
        event_id = event.get("id") if isinstance(event, Mapping) else None
        logger.error("rejected event %s: %s", _log_value(event_id), why)
        return {"status": "rejected", "reason": why}
    event_id = _log_value(event.get("id"))
    try:
        record, dropped = parse_record(event["detail"])
    except rootguard.ParseError as exc:
        reason = clean_text(str(exc), 300) or "invalid record"
        logger.error("rejected event %s: %s", event_id, reason)
        return {"status": "rejected", "reason": reason}
    if record.event_name is None and record.event_source is None:
        logger.error("rejected event %s: no CloudTrail record in it", event_id)
        return {"status": "rejected", "reason": "no CloudTrail record (no eventName)"}
    activity = rootguard.classify_event(record, source="eventbridge")
    if activity is None:
        logger.info("ignored event %s: not root activity", event_id)
        return {"status": "ignored", "reason": "not root activity"}
    if dropped:
        logger.warning("event %s: ignored fields of an unexpected type: %s", event_id, dropped)
    alert = build_alert(activity, record, eventbridge_id=event.get("id"), dropped_fields=dropped)
    try:
        response = sns.publish(**publish_request(alert, topic_arn))
    except Exception:
        logger.exception("could not publish the alert for event %s", alert["event_id"])
        raise  # Lambda retries, then the on-failure destination: never lost silently
    logger.info(
        "published %s alert for %s %s (%s)",
        alert["severity"],
        alert["what"]["event_name"],
        alert["event_id"],
        _log_value(response.get("MessageId")),
    )
    return {
        "status": "published",
        "message_id": response.get("MessageId"),
        "event_id": alert["event_id"],
        "severity": alert["severity"],
    }


def _sns_client(region: str | None) -> Any:
    if region not in _clients:
        _clients[region] = boto3.client("sns", region_name=region, config=_CONFIG)
    return _clients[region]


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda entry point (``handler.handler``)."""
    topic_arn = os.environ.get(TOPIC_ENV)
    if not topic_arn:
        logger.error("%s is not set: cannot publish", TOPIC_ENV)
        raise RuntimeError(f"{TOPIC_ENV} is not set")
    region = topic_arn.split(":")[3] if topic_arn.count(":") >= 5 else None
    return handle(event, sns=_sns_client(region), topic_arn=topic_arn)

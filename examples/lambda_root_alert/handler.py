"""AWS Lambda handler: an enriched alert for every root-user action EventBridge delivers.

Target of the EventBridge rule that matches root activity (see README.md). For each event:

1. ``rootguard.parse_cloudtrail_event`` unwraps the EventBridge envelope into the
   CloudTrail record; ``rootguard.classify_event`` turns it into a ``RootActivity``
   (channel, outcome, MFA, severity, whether it should alert) with source ``eventbridge``.
2. The activity is published to the SNS topic named by the ``ROOT_ALERT_TOPIC_ARN``
   environment variable: a readable text for e-mail and SMS, a JSON document for SQS,
   Lambda and HTTPS subscribers, and ``severity`` / ``channel`` / ``account_id`` message
   attributes for subscription filter policies.

The handler returns a status and never raises on a malformed or unexpected event: such an
event is logged and answered with ``{"status": "rejected", ...}`` (or ``"ignored"`` when
it is valid but not root activity). A failure to *publish* is logged and raised, so that
Lambda retries the event and, after its retries, hands it to the function's on-failure
destination: an alert is never dropped silently.
"""

from __future__ import annotations

import json
import logging
import os
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
_MAX_DOCUMENT = 40_000  # x4 protocols, escaped: well under 256 KB

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


def console_link(region: str | None, event_id: str | None) -> str | None:
    """The CloudTrail console page of the event (Event history), in its partition."""
    if not region or not event_id:
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
) -> dict[str, Any]:
    """The alert document: who, what, where, MFA, severity, event id, console link."""
    return {
        "title": (
            f"{activity.severity.value.upper()}: root {_CHANNEL_TEXT[activity.channel.value]}"
            f" in account {activity.account_id or 'unknown'}"
        ),
        "severity": activity.severity.value,
        "alert": activity.alert,
        "who": {
            "actor_arn": activity.actor_arn,
            "channel": activity.channel.value,
            "access_key_id": activity.access_key_id,
            "mfa_used": activity.mfa_used,
        },
        "what": {
            "event_source": activity.event_source,
            "event_name": activity.event_name,
            "outcome": activity.outcome.value,
            "error_code": activity.error_code,
            "read_only": activity.read_only,
        },
        "where": {
            "account_id": activity.account_id,
            "region": activity.region,
            "source_ip": activity.source_ip,
            "user_agent": activity.user_agent,
        },
        "when": activity.event_time.isoformat() if activity.event_time else None,
        "event_id": activity.event_id,
        "cis_match": activity.cis_match,
        "console_link": console_link(activity.region, activity.event_id),
        "eventbridge_id": eventbridge_id if isinstance(eventbridge_id, str) else None,
        "request_parameters": record.request_parameters,
    }


def alert_text(alert: Mapping[str, Any]) -> str:
    """The alert as plain text (e-mail, SMS)."""
    who, what, where = alert["who"], alert["what"], alert["where"]
    lines = [
        alert["title"],
        "",
        f"Who:      {who['actor_arn'] or 'root'} via {who['channel']}"
        + (f" (key {who['access_key_id']})" if who["access_key_id"] else ""),
        f"MFA:      {_mfa_text(who['mfa_used'])}",
        f"What:     {what['event_source']} {what['event_name']} -> {what['outcome']}"
        + (f" ({what['error_code']})" if what["error_code"] else ""),
        f"Where:    account {where['account_id']}, region {where['region']}, "
        f"from {where['source_ip']}",
        f"When:     {alert['when']}",
        f"Event id: {alert['event_id']}",
    ]
    if alert["console_link"]:
        lines.append(f"Console:  {alert['console_link']}")
    return "\n".join(lines)


def handle(event: Any, *, sns: Any, topic_arn: str) -> dict[str, Any]:
    """Process one EventBridge event with an SNS client; see the module docstring."""
    if not isinstance(event, Mapping):
        logger.error("rejected: the event is a %s, not a JSON object", type(event).__name__)
        return {"status": "rejected", "reason": "event is not a JSON object"}
    try:
        record = rootguard.parse_cloudtrail_event(event)  # the envelope's detail, typed
    except rootguard.ParseError as exc:
        logger.error("rejected event %s: %s", event.get("id"), exc)
        return {"status": "rejected", "reason": str(exc)}
    if record.event_name is None and record.event_source is None:
        logger.error("rejected event %s: no CloudTrail record in it", event.get("id"))
        return {"status": "rejected", "reason": "no CloudTrail record (no eventName)"}
    activity = rootguard.classify_event(record, source="eventbridge")
    if activity is None:
        logger.info("ignored event %s: not root activity", event.get("id"))
        return {"status": "ignored", "reason": "not root activity"}
    alert = build_alert(activity, record, eventbridge_id=event.get("id"))
    document = json.dumps(alert, sort_keys=True)
    if len(document) > _MAX_DOCUMENT:  # SNS takes 256 KB: drop the bulky parameters
        alert["request_parameters"] = "(omitted: too large)"
        document = json.dumps(alert, sort_keys=True)
    message = {
        "default": alert_text(alert),
        "sqs": document,
        "lambda": document,
        "http": document,
        "https": document,
    }
    try:
        response = sns.publish(
            TopicArn=topic_arn,
            Subject=alert["title"][:100],
            Message=json.dumps(message),
            MessageStructure="json",
            MessageAttributes={
                "severity": {"DataType": "String", "StringValue": alert["severity"]},
                "channel": {"DataType": "String", "StringValue": activity.channel.value},
                "account_id": {
                    "DataType": "String",
                    "StringValue": activity.account_id or "unknown",
                },
            },
        )
    except Exception:
        logger.exception("could not publish the alert for event %s", activity.event_id)
        raise  # Lambda retries, then the on-failure destination: never lost silently
    logger.info(
        "published %s alert for %s %s (%s)",
        alert["severity"],
        activity.event_name,
        activity.event_id,
        response.get("MessageId"),
    )
    return {
        "status": "published",
        "message_id": response.get("MessageId"),
        "event_id": activity.event_id,
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

"""CloudTrail records (rootguard._cloudtrail, rootguard._detect): realistic records of every
channel and lookalikes, record-like JSON, envelopes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hypothesis import strategies as st

CT_ACCOUNTS = ("111122223333", "222222222222", "123456789012")
CT_SIGNIN = "signin.amazonaws.com"

# Arbitrary JSON values, for never-crash tests.
ct_json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
ct_json_values = st.recursive(
    ct_json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
# Keys a CloudTrail record really has, so that arbitrary dicts reach the interesting code.
_CT_KEYS = (
    "userIdentity",
    "type",
    "eventName",
    "eventSource",
    "eventType",
    "eventTime",
    "invokedBy",
    "accessKeyId",
    "sessionContext",
    "sessionIssuer",
    "attributes",
    "assumedRoot",
    "mfaAuthenticated",
    "additionalEventData",
    "MFAUsed",
    "responseElements",
    "ConsoleLogin",
    "requestParameters",
    "targetPrincipal",
    "taskPolicyArn",
    "credentials",
    "detail",
    "detail-type",
    "CloudTrailEvent",
    "Records",
    "sessionCredentialFromConsole",
    "readOnly",
)
_CT_VALUES = (
    "Root",
    "FederatedUser",
    "AssumeRoot",
    "sts.amazonaws.com",
    CT_SIGNIN,
    "AwsServiceEvent",
    "true",
    "Yes",
    "Failure",
    "AKIAEXAMPLE",
    "ASIAEXAMPLE",
)
ct_record_like = st.recursive(
    ct_json_scalars | st.sampled_from(_CT_VALUES),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(_CT_KEYS) | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=25,
)

_ct_times = st.datetimes(min_value=datetime(2014, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda t: t.replace(microsecond=0).isoformat() + "Z"
)
_ct_event_ids = st.uuids().map(str)
_ct_key_ids = st.one_of(
    st.none(),
    st.just(""),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16).flatmap(
        lambda tail: st.sampled_from([f"AKIA{tail}", f"ASIA{tail}", "1", "EXAMPLE"])
    ),
)


@st.composite
def ct_identities(draw: st.DrawFn) -> dict[str, Any] | None:
    """A ``userIdentity`` (or None: no identity at all)."""
    account = draw(st.sampled_from(CT_ACCOUNTS))
    kind = draw(
        st.sampled_from(
            [
                "Root",
                "Root",
                "Root",
                "IAMUser",
                "AssumedRole",
                "FederatedUser",
                "AWSService",
                "none",
            ]
        )
    )
    if kind == "none":
        return draw(st.sampled_from([None, {}, {"invokedBy": "AWS Internal"}]))
    identity: dict[str, Any] = {"type": kind, "accountId": account}
    if kind == "Root":
        identity["arn"] = f"arn:aws:iam::{account}:root"
        identity["principalId"] = account
        if draw(st.integers(0, 9)) == 0:
            identity["userName"] = "HIDDEN_DUE_TO_SECURITY_REASONS"
    elif kind == "IAMUser":
        name = draw(st.sampled_from(["root", "alice"]))
        identity["arn"] = f"arn:aws:iam::{account}:user/{name}"
        identity["userName"] = name
    elif kind == "AssumedRole":
        role = draw(st.sampled_from(["root", "Admin"]))
        identity["arn"] = f"arn:aws:sts::{account}:assumed-role/{role}/session"
    elif kind == "FederatedUser":
        identity["arn"] = f"arn:aws:sts::{account}:federated-user/bob"
    key = draw(_ct_key_ids)
    if key is not None:
        identity["accessKeyId"] = key
    invoked_by = draw(
        st.sampled_from([None, None, None, CT_SIGNIN, "autoscaling.amazonaws.com", "AWS Internal"])
    )
    if invoked_by is not None:
        identity["invokedBy"] = invoked_by
    if draw(st.booleans()) or kind == "FederatedUser":
        context: dict[str, Any] = {
            "attributes": {
                "creationDate": draw(_ct_times),
                "mfaAuthenticated": draw(st.sampled_from(["true", "false"])),
            }
        }
        if kind == "FederatedUser":
            issuer_type = draw(st.sampled_from(["Root", "IAMUser"]))
            context["sessionIssuer"] = {
                "type": issuer_type,
                "arn": f"arn:aws:iam::{account}:root",
                "accountId": account,
            }
        elif kind == "AssumedRole":
            context["sessionIssuer"] = {"type": "Role", "accountId": account}
        if draw(st.integers(0, 4)) == 0:
            context["assumedRoot"] = "true"
        identity["sessionContext"] = context
    return identity


@st.composite
def ct_records(draw: st.DrawFn) -> dict[str, Any]:
    """A realistic raw CloudTrail record (root and not, every channel, lookalikes)."""
    identity = draw(ct_identities())
    shape = draw(st.sampled_from(["api", "api", "signin", "service_event", "assume_root"]))
    record: dict[str, Any] = {
        "eventVersion": draw(st.sampled_from(["1.05", "1.08", "1.10"])),
        "eventTime": draw(_ct_times),
        "awsRegion": draw(st.sampled_from(["us-east-1", "eu-west-1"])),
        "sourceIPAddress": draw(st.sampled_from(["192.0.2.1", "autoscaling.amazonaws.com"])),
        "userAgent": draw(st.sampled_from(["aws-cli/2.15", "Mozilla/5.0", "Coral/Netty4"])),
        "eventID": draw(_ct_event_ids),
        "recipientAccountId": draw(st.sampled_from(CT_ACCOUNTS)),
    }
    if identity is not None:
        record["userIdentity"] = identity
    if shape == "signin":
        name = draw(st.sampled_from(["ConsoleLogin", "PasswordUpdated", "CheckMfa"]))
        record.update(
            eventSource=CT_SIGNIN,
            eventName=name,
            eventType="AwsConsoleSignIn",
            requestParameters=None,
            responseElements={name: draw(st.sampled_from(["Success", "Failure"]))},
        )
        mfa = draw(st.sampled_from([None, "Yes", "YES", "yes", "No", "NO", "unknown"]))
        if mfa is not None:
            record["additionalEventData"] = {"MFAUsed": mfa, "MobileVersion": "No"}
    elif shape == "service_event":
        record.update(
            eventSource="kms.amazonaws.com",
            eventName="RotateKey",
            eventType="AwsServiceEvent",
            readOnly=False,
        )
    elif shape == "assume_root":
        record.update(
            eventSource="sts.amazonaws.com",
            eventName="AssumeRoot",
            eventType="AwsApiCall",
            readOnly=False,
            requestParameters={
                "targetPrincipal": draw(st.sampled_from(CT_ACCOUNTS)),
                "taskPolicyArn": {
                    "arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
                },
            },
            responseElements={
                "credentials": {"accessKeyId": "ASIAIOSFODNN7EXAMPLE", "sessionToken": "x"}
            },
        )
    else:
        source, name, read_only = draw(
            st.sampled_from(
                [
                    ("iam.amazonaws.com", "CreateUser", False),
                    ("s3.amazonaws.com", "ListBuckets", True),
                    ("ec2.amazonaws.com", "RunInstances", False),
                    ("sts.amazonaws.com", "GetSessionToken", True),
                ]
            )
        )
        record.update(eventSource=source, eventName=name, readOnly=read_only)
        if draw(st.booleans()):
            record["eventType"] = "AwsApiCall"
        if draw(st.integers(0, 3)) == 0:
            record["errorCode"] = "AccessDenied"
            record["errorMessage"] = "denied"
        if draw(st.integers(0, 3)) == 0:
            record["sessionCredentialFromConsole"] = draw(st.sampled_from(["true", "false"]))
    if draw(st.booleans()):
        record["someFutureField"] = draw(ct_json_values)
    return record


def ct_wrap(record: dict[str, Any], how: str) -> dict[str, Any]:
    """``record`` as delivered by EventBridge (``how="eventbridge"``), by LookupEvents
    (``"lookup"``) or as is (``"raw"``)."""
    import json

    if how == "eventbridge":
        return {
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.iam",
            "account": record.get("recipientAccountId", "111122223333"),
            "time": record.get("eventTime"),
            "region": record.get("awsRegion"),
            "resources": [],
            "detail": record,
        }
    if how == "lookup":
        return {
            "EventId": record.get("eventID"),
            "EventName": record.get("eventName"),
            "ReadOnly": "false",
            "EventTime": datetime(2024, 1, 1, tzinfo=timezone.utc),
            "EventSource": record.get("eventSource"),
            "Resources": [],
            "CloudTrailEvent": json.dumps(record),
        }
    return record

"""The canonical root and non-root events used to judge alerting patterns (pure data).

A metric filter or an EventBridge rule is judged by what it *does*: rootguard evaluates its
pattern against the records below, so clause order, spacing, quoting or field names in the
pattern do not matter — only whether it matches root activity and leaves the rest alone.

Three groups of CloudTrail records (built for a given account and region):

- :func:`root_events` — root activity a human did. A root-usage metric filter must match
  every one: console sign-ins (success with and without MFA, failure, password change), API
  calls from a root console session (the current ``sessionCredentialFromConsole`` form),
  calls with a long-term root access key (write, read-only and denied), calls with
  temporary root credentials, and calls of a centralized-root-access (``AssumeRoot``)
  session in a member account.
- :func:`non_root_events` — what the filter must *not* match: the CIS exclusions (root
  actions invoked by an AWS service, ``AwsServiceEvent`` records) and other identities
  (an IAM user literally named ``root``, a role named ``root``, an AWS service, an IAM
  user's console sign-in).
- :func:`informational_events` — root-derived records the CIS pattern is known not to
  match (a legacy root console session carrying ``invokedBy: signin.amazonaws.com``, a
  federated user issued by root, the ``AssumeRoot`` call in the management account).
  Whether a pattern catches them is reported, never required.

:func:`eventbridge_root_envelopes` wraps the root records an EventBridge rule must see in
the envelope EventBridge delivers (``detail-type`` "AWS API Call via CloudTrail" / "AWS
Console Sign In via CloudTrail", ``source`` ``aws.<service>``). Read-only calls are left
out there: EventBridge receives them only on rules in the
``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`` state.

:func:`management_event_probes` gives the selector-relevant fields of a spread of
management events (root and non-root, read and write, several event sources), used to
judge a trail's basic or advanced event selectors by meaning.

Every function returns fresh objects: callers may mutate what they get.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "API_CALL_DETAIL_TYPE",
    "CONSOLE_SIGNIN_DETAIL_TYPE",
    "EXCLUDABLE_EVENT_SOURCES",
    "CanonicalEvent",
    "Expectation",
    "ManagementProbe",
    "eventbridge_envelope",
    "eventbridge_root_envelopes",
    "informational_events",
    "management_event_probes",
    "non_root_events",
    "root_events",
]

API_CALL_DETAIL_TYPE = "AWS API Call via CloudTrail"
"""EventBridge ``detail-type`` of CloudTrail-recorded API calls."""
CONSOLE_SIGNIN_DETAIL_TYPE = "AWS Console Sign In via CloudTrail"
"""EventBridge ``detail-type`` of CloudTrail-recorded console sign-in events."""

EXCLUDABLE_EVENT_SOURCES = frozenset({"kms.amazonaws.com", "rdsdata.amazonaws.com"})
"""The management-event sources a basic event selector's ``ExcludeManagementEventSources``
can name (CloudTrail accepts only these two)."""

Expectation = Literal["root", "not_root", "informational"]
"""What a root-alerting pattern should do with a canonical event: match it (``root``),
not match it (``not_root``), or either (``informational`` — reported only)."""

_TIME = "2024-05-01T12:00:00Z"
_SIGNIN_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
_CLI_UA = "aws-cli/2.15.40 Python/3.11.8 Linux/6.5 exe/x86_64.ubuntu.22 prompt/off"


@dataclass(frozen=True)
class CanonicalEvent:
    """One canonical CloudTrail record and what a root-alerting pattern should do with it."""

    name: str
    """A stable identifier (``root_console_signin_no_mfa`` …), used in evidence."""
    description: str
    expectation: Expectation
    record: dict[str, Any] = field(compare=False)
    """The CloudTrail record as CloudTrail writes it (and CloudWatch Logs receives it)."""


def _root_identity(account_id: str, **extra: Any) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": account_id,
        "arn": f"arn:aws:iam::{account_id}:root",
        "accountId": account_id,
    }
    identity.update(extra)
    return identity


def _record(
    account_id: str,
    region: str,
    identity: dict[str, Any],
    *,
    event_id: str,
    source: str,
    name: str,
    read_only: bool,
    event_type: str = "AwsApiCall",
    user_agent: str = _CLI_UA,
    source_ip: str = "198.51.100.7",
    **extra: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.10",
        "userIdentity": identity,
        "eventTime": _TIME,
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": None,
        "responseElements": None,
        "requestID": f"req-{event_id}",
        "eventID": f"00000000-0000-4000-8000-{event_id:0>12}",
        "readOnly": read_only,
        "eventType": event_type,
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    record.update(extra)
    return record


def _signin(
    account_id: str,
    region: str,
    identity: dict[str, Any],
    *,
    event_id: str,
    name: str = "ConsoleLogin",
    outcome: str = "Success",
    mfa: str = "No",
    **extra: Any,
) -> dict[str, Any]:
    record = _record(
        account_id,
        region,
        identity,
        event_id=event_id,
        source="signin.amazonaws.com",
        name=name,
        read_only=False,
        event_type="AwsConsoleSignIn",
        user_agent=_SIGNIN_UA,
    )
    if name == "ConsoleLogin":
        record["responseElements"] = {"ConsoleLogin": outcome}
        record["additionalEventData"] = {
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": mfa,
        }
        if outcome != "Success":
            record["errorMessage"] = "Failed authentication"
    record.update(extra)
    return record


def root_events(account_id: str, region: str = "us-east-1") -> list[CanonicalEvent]:
    """Root activity a human did: a root-usage pattern must match every one."""
    a, r = account_id, region
    console_session = _root_identity(
        a,
        accessKeyId="ASIAROOTCONSOLEEXAMPLE",
        sessionContext={
            "attributes": {"creationDate": "2024-05-01T11:58:00Z", "mfaAuthenticated": "true"}
        },
    )
    return [
        CanonicalEvent(
            "root_console_signin_mfa",
            "root console sign-in with MFA",
            "root",
            _signin(a, r, _root_identity(a, accessKeyId=""), event_id="1", mfa="Yes"),
        ),
        CanonicalEvent(
            "root_console_signin_no_mfa",
            "root console sign-in without MFA",
            "root",
            _signin(a, r, _root_identity(a, accessKeyId=""), event_id="2", mfa="No"),
        ),
        CanonicalEvent(
            "root_console_signin_failure",
            "failed root console sign-in",
            "root",
            _signin(a, r, _root_identity(a, accessKeyId=""), event_id="3", outcome="Failure"),
        ),
        CanonicalEvent(
            "root_password_updated",
            "root password change through the sign-in page",
            "root",
            _signin(a, r, _root_identity(a, accessKeyId=""), event_id="4", name="PasswordUpdated"),
        ),
        CanonicalEvent(
            "root_console_session_api_call",
            "API call from a root console session (sessionCredentialFromConsole)",
            "root",
            _record(
                a,
                r,
                console_session,
                event_id="5",
                source="iam.amazonaws.com",
                name="CreateUser",
                read_only=False,
                user_agent="AWS Internal",
                sessionCredentialFromConsole="true",
                requestParameters={"userName": "breakglass"},
            ),
        ),
        CanonicalEvent(
            "root_access_key_write",
            "write API call signed with a long-term root access key",
            "root",
            _record(
                a,
                r,
                _root_identity(a, accessKeyId="AKIAROOTKEYEXAMPLE01"),
                event_id="6",
                source="ec2.amazonaws.com",
                name="TerminateInstances",
                read_only=False,
                requestParameters={"instancesSet": {"items": [{"instanceId": "i-0abc"}]}},
            ),
        ),
        CanonicalEvent(
            "root_access_key_read",
            "read-only API call signed with a long-term root access key",
            "root",
            _record(
                a,
                r,
                _root_identity(a, accessKeyId="AKIAROOTKEYEXAMPLE01"),
                event_id="7",
                source="s3.amazonaws.com",
                name="ListBuckets",
                read_only=True,
            ),
        ),
        CanonicalEvent(
            "root_access_key_denied",
            "root API call that failed (AccessDenied)",
            "root",
            _record(
                a,
                r,
                _root_identity(a, accessKeyId="AKIAROOTKEYEXAMPLE01"),
                event_id="8",
                source="organizations.amazonaws.com",
                name="LeaveOrganization",
                read_only=False,
                errorCode="AccessDenied",
                errorMessage="You don't have permissions to access this resource.",
            ),
        ),
        CanonicalEvent(
            "root_temporary_credentials",
            "API call with temporary root credentials (root GetSessionToken)",
            "root",
            _record(
                a,
                r,
                _root_identity(
                    a,
                    accessKeyId="ASIAROOTSESSIONEXAMP",
                    sessionContext={
                        "attributes": {
                            "creationDate": "2024-05-01T11:00:00Z",
                            "mfaAuthenticated": "false",
                        }
                    },
                ),
                event_id="9",
                source="kms.amazonaws.com",
                name="ScheduleKeyDeletion",
                read_only=False,
            ),
        ),
        CanonicalEvent(
            "root_assumed_root_session",
            "call of a centralized-root-access (AssumeRoot) session in a member account",
            "root",
            _record(
                a,
                r,
                _root_identity(
                    a,
                    accessKeyId="ASIAASSUMEDROOTEXAMP",
                    sessionContext={
                        "attributes": {
                            "creationDate": "2024-05-01T11:59:00Z",
                            "mfaAuthenticated": "false",
                        },
                        "assumedRoot": "true",
                    },
                ),
                event_id="10",
                source="s3.amazonaws.com",
                name="DeleteBucketPolicy",
                read_only=False,
                requestParameters={"bucketName": "locked-bucket"},
            ),
        ),
    ]


def non_root_events(account_id: str, region: str = "us-east-1") -> list[CanonicalEvent]:
    """Records a root-usage pattern must not match (CIS exclusions, other identities)."""
    a, r = account_id, region
    return [
        CanonicalEvent(
            "root_service_invoked",
            "root-owned action invoked by an AWS service (invokedBy autoscaling)",
            "not_root",
            _record(
                a,
                r,
                _root_identity(a, invokedBy="autoscaling.amazonaws.com"),
                event_id="101",
                source="ec2.amazonaws.com",
                name="RunInstances",
                read_only=False,
                source_ip="autoscaling.amazonaws.com",
                user_agent="autoscaling.amazonaws.com",
            ),
        ),
        CanonicalEvent(
            "root_aws_service_event",
            "AwsServiceEvent carrying a Root identity (excluded by the CIS eventType clause)",
            "not_root",
            _record(
                a,
                r,
                _root_identity(a),
                event_id="102",
                source="health.amazonaws.com",
                name="AWSHealthEvent",
                read_only=False,
                event_type="AwsServiceEvent",
                source_ip="health.amazonaws.com",
                user_agent="health.amazonaws.com",
            ),
        ),
        CanonicalEvent(
            "kms_aws_service_event",
            "KMS AwsServiceEvent with no identity type (invokedBy AWS Internal)",
            "not_root",
            _record(
                a,
                r,
                {"accountId": a, "invokedBy": "AWS Internal"},
                event_id="103",
                source="kms.amazonaws.com",
                name="RotateKey",
                read_only=False,
                event_type="AwsServiceEvent",
                source_ip="AWS Internal",
                user_agent="AWS Internal",
            ),
        ),
        CanonicalEvent(
            "iam_user_named_root",
            "IAM user literally named root",
            "not_root",
            _record(
                a,
                r,
                {
                    "type": "IAMUser",
                    "principalId": "AIDAROOTLOOKALIKE0001",
                    "arn": f"arn:aws:iam::{a}:user/root",
                    "accountId": a,
                    "accessKeyId": "AKIAIAMUSEREXAMPLE01",
                    "userName": "root",
                },
                event_id="104",
                source="iam.amazonaws.com",
                name="CreateUser",
                read_only=False,
            ),
        ),
        CanonicalEvent(
            "assumed_role_named_root",
            "session of an IAM role named root",
            "not_root",
            _record(
                a,
                r,
                {
                    "type": "AssumedRole",
                    "principalId": "AROAROOTLOOKALIKE001:ops",
                    "arn": f"arn:aws:sts::{a}:assumed-role/root/ops",
                    "accountId": a,
                    "accessKeyId": "ASIAROLESESSIONEXAMP",
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": "AROAROOTLOOKALIKE001",
                            "arn": f"arn:aws:iam::{a}:role/root",
                            "accountId": a,
                            "userName": "root",
                        },
                        "attributes": {
                            "creationDate": "2024-05-01T11:00:00Z",
                            "mfaAuthenticated": "false",
                        },
                    },
                },
                event_id="105",
                source="ec2.amazonaws.com",
                name="TerminateInstances",
                read_only=False,
            ),
        ),
        CanonicalEvent(
            "aws_service_identity",
            "call made by an AWS service principal",
            "not_root",
            _record(
                a,
                r,
                {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
                event_id="106",
                source="sts.amazonaws.com",
                name="AssumeRole",
                read_only=False,
                source_ip="cloudtrail.amazonaws.com",
                user_agent="cloudtrail.amazonaws.com",
            ),
        ),
        CanonicalEvent(
            "iam_user_console_signin",
            "IAM user console sign-in",
            "not_root",
            _signin(
                a,
                r,
                {
                    "type": "IAMUser",
                    "principalId": "AIDAIAMUSEREXAMPLE01",
                    "arn": f"arn:aws:iam::{a}:user/alice",
                    "accountId": a,
                    "userName": "alice",
                },
                event_id="107",
                mfa="Yes",
            ),
        ),
    ]


def informational_events(account_id: str, region: str = "us-east-1") -> list[CanonicalEvent]:
    """Root-derived records the CIS pattern does not match; reported, never required."""
    a, r = account_id, region
    return [
        CanonicalEvent(
            "root_legacy_console_session",
            "older root console-session call carrying invokedBy signin.amazonaws.com "
            "(the CIS pattern misses it)",
            "informational",
            _record(
                a,
                r,
                _root_identity(
                    a,
                    accessKeyId="ASIAROOTLEGACYEXAMPL",
                    invokedBy="signin.amazonaws.com",
                    sessionContext={
                        "attributes": {
                            "creationDate": "2024-05-01T11:58:00Z",
                            "mfaAuthenticated": "false",
                        }
                    },
                ),
                event_id="201",
                source="iam.amazonaws.com",
                name="DeleteUser",
                read_only=False,
                source_ip="198.51.100.7",
                user_agent="signin.amazonaws.com",
            ),
        ),
        CanonicalEvent(
            "federated_user_issued_by_root",
            "FederatedUser whose session was issued by root (root GetFederationToken)",
            "informational",
            _record(
                a,
                r,
                {
                    "type": "FederatedUser",
                    "principalId": f"{a}:contractor",
                    "arn": f"arn:aws:sts::{a}:federated-user/contractor",
                    "accountId": a,
                    "accessKeyId": "ASIAFEDERATEDEXAMPLE",
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Root",
                            "principalId": a,
                            "arn": f"arn:aws:iam::{a}:root",
                            "accountId": a,
                        },
                        "attributes": {
                            "creationDate": "2024-05-01T11:00:00Z",
                            "mfaAuthenticated": "false",
                        },
                    },
                },
                event_id="202",
                source="s3.amazonaws.com",
                name="PutBucketPolicy",
                read_only=False,
            ),
        ),
        CanonicalEvent(
            "assume_root_call",
            "sts:AssumeRoot called by an IAM role in the management account",
            "informational",
            _record(
                a,
                r,
                {
                    "type": "AssumedRole",
                    "principalId": "AROAADMINEXAMPLE0001:admin",
                    "arn": f"arn:aws:sts::{a}:assumed-role/OrgAdmin/admin",
                    "accountId": a,
                    "accessKeyId": "ASIAORGADMINEXAMPLE1",
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": "AROAADMINEXAMPLE0001",
                            "arn": f"arn:aws:iam::{a}:role/OrgAdmin",
                            "accountId": a,
                            "userName": "OrgAdmin",
                        },
                        "attributes": {
                            "creationDate": "2024-05-01T11:00:00Z",
                            "mfaAuthenticated": "true",
                        },
                    },
                },
                event_id="203",
                source="sts.amazonaws.com",
                name="AssumeRoot",
                read_only=False,
                requestParameters={
                    "targetPrincipal": "444455556666",
                    "taskPolicyArn": {
                        "arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
                    },
                },
            ),
        ),
    ]


def _service_of(event_source: str) -> str:
    return event_source.split(".", 1)[0]


def eventbridge_envelope(record: dict[str, Any], region: str) -> dict[str, Any]:
    """The EventBridge event that carries a CloudTrail ``record`` in ``region``."""
    source = str(record.get("eventSource", ""))
    is_signin = record.get("eventType") == "AwsConsoleSignIn"
    return {
        "version": "0",
        "id": f"eb-{record.get('eventID', '')}",
        "detail-type": CONSOLE_SIGNIN_DETAIL_TYPE if is_signin else API_CALL_DETAIL_TYPE,
        "source": f"aws.{_service_of(source)}",
        "account": str(record.get("recipientAccountId", "")),
        "time": str(record.get("eventTime", _TIME)),
        "region": region,
        "resources": [],
        "detail": record,
    }


_EVENTBRIDGE_REQUIRED = (
    "root_console_signin_no_mfa",
    "root_console_signin_failure",
    "root_console_session_api_call",
    "root_access_key_write",
)


def eventbridge_root_envelopes(account_id: str, region: str) -> list[CanonicalEvent]:
    """Root API calls and root console sign-ins, as EventBridge delivers them in ``region``.

    A root-alerting rule (or the rules of a region together) must match every one.
    """
    out: list[CanonicalEvent] = []
    for event in root_events(account_id, region):
        if event.name in _EVENTBRIDGE_REQUIRED:
            out.append(
                CanonicalEvent(
                    event.name,
                    event.description,
                    "root",
                    eventbridge_envelope(event.record, region),
                )
            )
    return out


@dataclass(frozen=True)
class ManagementProbe:
    """The selector-relevant fields of one management event (see
    :func:`management_event_probes`)."""

    fields: dict[str, str] = field(compare=False)
    """Advanced-selector field name → the string value CloudTrail compares."""
    excludable: bool = False
    """True for ``kms.amazonaws.com`` / ``rdsdata.amazonaws.com`` events, the two sources
    ``ExcludeManagementEventSources`` can exclude."""

    @property
    def label(self) -> str:
        """``eventSource:eventName (read|write)`` — for evidence."""
        kind = "read" if self.fields.get("readOnly") == "true" else "write"
        return f"{self.fields.get('eventSource')}:{self.fields.get('eventName')} ({kind})"


def management_event_probes(account_id: str) -> list[ManagementProbe]:
    """A spread of management events, read and write, root and non-root.

    Each probe maps advanced-selector field names (``eventCategory``, ``readOnly``,
    ``eventSource``, ``eventName``, ``eventType``, ``userIdentity.arn``,
    ``sessionCredentialFromConsole``) to the string value CloudTrail compares. A trail
    "records all management events, read and write" when its selectors select every
    probe (the excludable ones aside, when excluding them is accepted).
    """
    root_arn = f"arn:aws:iam::{account_id}:root"
    user_arn = f"arn:aws:iam::{account_id}:user/alice"
    role_arn = f"arn:aws:sts::{account_id}:assumed-role/Ops/session"
    rows = [
        ("signin.amazonaws.com", "ConsoleLogin", "false", "AwsConsoleSignIn", root_arn),
        ("iam.amazonaws.com", "CreateUser", "false", "AwsApiCall", root_arn),
        ("iam.amazonaws.com", "ListUsers", "true", "AwsApiCall", root_arn),
        ("ec2.amazonaws.com", "TerminateInstances", "false", "AwsApiCall", root_arn),
        ("ec2.amazonaws.com", "DescribeInstances", "true", "AwsApiCall", role_arn),
        ("s3.amazonaws.com", "ListBuckets", "true", "AwsApiCall", user_arn),
        ("s3.amazonaws.com", "PutBucketPolicy", "false", "AwsApiCall", role_arn),
        ("sts.amazonaws.com", "GetCallerIdentity", "true", "AwsApiCall", user_arn),
        ("organizations.amazonaws.com", "LeaveOrganization", "false", "AwsApiCall", root_arn),
        ("cloudtrail.amazonaws.com", "StopLogging", "false", "AwsApiCall", role_arn),
        ("kms.amazonaws.com", "ScheduleKeyDeletion", "false", "AwsApiCall", root_arn),
        ("kms.amazonaws.com", "Decrypt", "true", "AwsApiCall", role_arn),
        ("rdsdata.amazonaws.com", "ExecuteStatement", "false", "AwsApiCall", role_arn),
    ]
    return [
        ManagementProbe(
            {
                "eventCategory": "Management",
                "readOnly": read_only,
                "eventSource": source,
                "eventName": name,
                "eventType": event_type,
                "userIdentity.arn": arn,
                "sessionCredentialFromConsole": "false",
            },
            excludable=source in EXCLUDABLE_EVENT_SOURCES,
        )
        for source, name, read_only, event_type, arn in rows
    ]

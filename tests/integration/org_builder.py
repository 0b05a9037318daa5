"""Test helper: a moto AWS Organization whose accounts each have their own state.

Used by the organization tests and ``benchmarks/org_scan.py``. Everything is created
through the AWS API (``organizations.create_account``, then ``sts:AssumeRole`` into the
member's ``OrganizationAccountAccessRole``), in-process (``mock_aws``) or on a moto server;
the root users' state, which moto cannot model, comes from :func:`moto_root` (one per
account, nested).

Kinds of member:

- ``hardened`` — the whole root-alerting chain of its own (``populate_account``),
  root with hardware MFA and no keys;
- ``exposed`` — a root access key used two hours ago, no MFA, and a trail of its own that
  is single-region and not logging;
- ``org-trail-only`` — a clean root user and no monitoring of its own: only the
  management account's organization trail records it;
- ``plain`` — a clean root user (hardware MFA), nothing else;
- ``locked`` — like ``plain``; tests make its role impossible to assume;
- ``suspended`` — closed with ``organizations.close_account`` (moto: SUSPENDED).

The management account has the whole chain too, its trail made an organization trail,
and centralized root access (``RootCredentialsManagement``, ``RootSessions``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from rootguard import OrganizationReport
from tests.integration.accounts import populate_account
from tests.integration.moto_root import RootKey, RootState, moto_root

__all__ = [
    "DEFAULT_MEMBERS",
    "REGIONS",
    "BuiltOrganization",
    "count_assume_role",
    "deny_assume_role",
    "member_session",
    "moto_organization",
    "throttle_assume_role",
    "verdicts",
]

REGIONS = ["us-east-1", "eu-west-1"]
MANAGEMENT_FEATURES = ("RootCredentialsManagement", "RootSessions")

DEFAULT_MEMBERS: tuple[tuple[str, str], ...] = (
    ("hardened-1", "hardened"),
    ("hardened-2", "hardened"),
    ("hardened-3", "hardened"),
    ("exposed-1", "exposed"),
    ("exposed-2", "exposed"),
    ("exposed-3", "exposed"),
    ("exposed-4", "exposed"),
    ("org-trail-only", "org-trail-only"),
    ("plain-1", "plain"),
    ("plain-2", "plain"),
    ("plain-3", "plain"),
    ("plain-4", "plain"),
    ("plain-5", "plain"),
    ("plain-6", "plain"),
    ("locked", "locked"),
    ("suspended", "suspended"),
)
"""16 members: (account name, kind)."""


@dataclass
class BuiltOrganization:
    """What :func:`moto_organization` created."""

    management_id: str
    organization_id: str
    org_trail_arn: str
    management_alarm_arn: str
    accounts: dict[str, str] = field(default_factory=dict)
    """account name → account id (members only)."""
    kinds: dict[str, str] = field(default_factory=dict)
    """account id → kind."""

    def ids(self, kind: str) -> list[str]:
        return sorted(a for a, k in self.kinds.items() if k == kind)

    def id(self, name: str) -> str:
        return self.accounts[name]


def member_session(session: boto3.Session, account_id: str) -> boto3.Session:
    """A session in a member account (its OrganizationAccountAccessRole)."""
    sts = session.client("sts")
    found = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="org-builder",
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
        region_name=session.region_name,
    )


def _root_state(account_id: str, kind: str, now: datetime) -> RootState:
    if kind == "exposed":
        return RootState(
            account_id=account_id,
            mfa="none",
            password_last_used=now - timedelta(days=3),
            access_keys=(RootKey(last_used=now - timedelta(hours=2)),),
        )
    return RootState(account_id=account_id, mfa="hardware", password_last_used="no_information")


def _exposed_trail(session: boto3.Session, account_id: str, home: str) -> None:
    """A trail of the account's own that does not qualify: single-region, not logging."""
    bucket = f"weak-trail-{account_id}"
    session.client("s3", region_name=home).create_bucket(Bucket=bucket)
    session.client("cloudtrail", region_name=home).create_trail(
        Name="weak-trail", S3BucketName=bucket
    )


def _harden(session: boto3.Session, regions: Sequence[str]) -> None:
    try:
        populate_account(session, regions=regions, regional_trail=False)
    except ClientError as exc:
        # populate_account ends by creating an organization; a member is in one already.
        if exc.response["Error"]["Code"] != "AlreadyInOrganizationException":
            raise


@contextmanager
def moto_organization(
    session: boto3.Session,
    *,
    members: Sequence[tuple[str, str]] = DEFAULT_MEMBERS,
    regions: Sequence[str] = REGIONS,
    now: datetime | None = None,
    root_states: Mapping[str, Callable[[str], RootState]] | None = None,
    management_features: tuple[str, ...] | None = MANAGEMENT_FEATURES,
) -> Iterator[BuiltOrganization]:
    """Build the organization on the moto behind ``session`` (a management-account
    session, fresh moto state) and keep every account's root state patched in.

    ``root_states`` maps an account name to a function of its account id giving its
    root user's state (default: the kind's; see the module documentation).
    ``management_features``: the centralized root access features already enabled
    (None: ``ListOrganizationsFeatures`` is refused)."""
    now = now or datetime.now(timezone.utc)
    home = regions[0]
    done = populate_account(session, regions=regions, regional_trail=False)
    cloudtrail = session.client("cloudtrail", region_name=home)
    cloudtrail.update_trail(Name=done.trail_arn, IsOrganizationTrail=True)
    organizations = session.client("organizations", region_name=home)
    organization_id = organizations.describe_organization()["Organization"]["Id"]
    built = BuiltOrganization(
        management_id=done.account_id,
        organization_id=organization_id,
        org_trail_arn=done.trail_arn,
        management_alarm_arn=f"arn:aws:cloudwatch:{home}:{done.account_id}:alarm:{done.alarm_name}",
    )
    states: list[RootState] = []
    for name, kind in members:
        created = organizations.create_account(Email=f"{name}@example.com", AccountName=name)
        account_id = created["CreateAccountStatus"]["AccountId"]
        built.accounts[name] = account_id
        built.kinds[account_id] = kind
        if kind == "suspended":
            organizations.close_account(AccountId=account_id)
            continue
        member = member_session(session, account_id)
        if kind == "hardened":
            _harden(member, regions)
        elif kind == "exposed":
            _exposed_trail(member, account_id, home)
        make = (root_states or {}).get(name)
        states.append(make(account_id) if make else _root_state(account_id, kind, now))
    with ExitStack() as stack:
        for state in states:
            stack.enter_context(moto_root(state, config_compliance=False))
        # innermost: the management account answers ListOrganizationsFeatures
        stack.enter_context(
            moto_root(
                RootState(account_id=built.management_id, organization_features=management_features)
            )
        )
        yield built


def verdicts(report: OrganizationReport) -> list[Any]:
    """What must not depend on the executor: every account's outcome and findings
    (statuses, resources), without times."""
    out = []
    for a in report.accounts:
        findings = (
            [(f.check_id, f.region, f.status.value, f.resource) for f in a.report.findings]
            if a.report
            else []
        )
        out.append((a.account_id, a.name, a.status.value, a.error, a.reason, findings))
    return out


# --------------------------------------------------------------------------- faults


def _role_account(params: dict[str, Any]) -> str | None:
    body = params.get("body")
    text = str(body.get("RoleArn", "")) if isinstance(body, dict) else str(body or "")
    for part in text.replace("%3A", ":").split(":"):
        if len(part) == 12 and part.isdigit():
            return part
    return None


def deny_assume_role(
    account_ids: Sequence[str], *, code: str = "AccessDenied", status: int = 403
) -> Callable[[boto3.Session], None]:
    """A ``configure_session`` hook: ``sts:AssumeRole`` into these accounts fails with
    ``code`` (a ``before-call`` answer: no retry, as when retries are exhausted)."""
    targets = set(account_ids)

    def hook(session: boto3.Session) -> None:
        def handler(params: dict[str, Any], **_: Any) -> Any:
            if _role_account(params) not in targets:
                return None
            parsed = {
                "Error": {
                    "Code": code,
                    "Message": "User is not authorized to perform: sts:AssumeRole",
                },
                "ResponseMetadata": {"HTTPStatusCode": status},
            }
            return AWSResponse("https://sts.invalid", status, {}, None), parsed

        session.events.register_first("before-call.sts.AssumeRole", handler)

    return hook


class throttle_assume_role:
    """A ``configure_session`` hook: the first ``times`` ``sts:AssumeRole`` requests of the
    whole scan (all threads together) are answered ``Throttling`` (HTTP 400, STS XML) —
    a ``before-send`` answer, inside botocore's retry loop."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.throttled = 0
        self.sent = 0
        self._lock = threading.Lock()

    def __call__(self, session: boto3.Session) -> None:
        session.events.register_first("before-send.sts.AssumeRole", self._handler)

    def _handler(self, **_: Any) -> Any:
        with self._lock:
            self.sent += 1
            if self.throttled >= self.times:
                return None
            self.throttled += 1
        body = (
            b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            b"<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
            b"</Error><RequestId>throttled</RequestId></ErrorResponse>"
        )
        return AWSResponse("https://sts.invalid", 400, {"Content-Type": "text/xml"}, _Raw(body))


class count_assume_role:
    """A ``configure_session`` hook counting ``sts:AssumeRole`` calls per target account;
    with ``expire_in``, every answer's credentials expire that soon (forcing refreshes)."""

    def __init__(self, expire_in: timedelta | None = None) -> None:
        self.expire_in = expire_in
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, session: boto3.Session) -> None:
        session.events.register("before-call.sts.AssumeRole", self._count)
        session.events.register("after-call.sts.AssumeRole", self._shorten)

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        account = _role_account(params) or "?"
        with self._lock:
            self.calls[account] = self.calls.get(account, 0) + 1

    def _shorten(self, parsed: dict[str, Any], **_: Any) -> None:
        if self.expire_in is not None and "Credentials" in parsed:
            parsed["Credentials"]["Expiration"] = datetime.now(timezone.utc) + self.expire_in


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data

"""apply() proves the account before anything else: a plan made for one account is never
applied with another account's (or partition's) credentials, and when the account cannot
be proven, nothing is sent either.

Every call is recorded with botocore ``before-call`` handlers (one per API call) and
``before-send`` handlers (one per HTTP attempt) registered on the session apply uses —
and ``before-parameter-build`` ones, which see the calls a fault answers or stops in
``before-call`` (a more specific handler runs first and ends that event)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

from rootguard import ApplyError
from rootguard._permissions import iam_action, required_permissions
from rootguard._remediation._apply import apply, verify_account
from rootguard._remediation._outcomes import ActionStatus
from rootguard._remediation._plan import Plan
from tests.integration.conftest import deny, new_session
from tests.integration.remediation import HOME, MOTO_ACCOUNT, empty_account_plan, trails

PLAN = empty_account_plan(MOTO_ACCOUNT)
IDENTITY = "sts:GetCallerIdentity"


class Calls:
    """Every API call of a session, as ``service:Operation``: ``requested`` (parameters
    built), ``calls`` (``before-call``) and ``sends`` (``before-send``, per attempt)."""

    def __init__(self, session: boto3.Session) -> None:
        self.requested: list[str] = []
        self.calls: list[str] = []
        self.sends: list[str] = []
        for event, seen in (
            ("before-parameter-build", self.requested),
            ("before-call", self.calls),
            ("before-send", self.sends),
        ):
            session.events.register(event, self._recorder(seen))

    @staticmethod
    def _recorder(seen: list[str]) -> Any:
        def handler(event_name: str, **_: Any) -> None:
            _, service, operation = event_name.split(".", 2)
            seen.append(f"{service}:{operation}")

        return handler


def member_account(session: boto3.Session) -> tuple[str, boto3.Session]:
    """A second account B (``organizations.create_account``) and a session in it (its
    ``OrganizationAccountAccessRole``, assumed with account A's credentials)."""
    org = session.client("organizations", region_name=HOME)
    org.create_organization(FeatureSet="ALL")
    status = org.create_account(AccountName="member", Email="member@example.com")
    member = str(status["CreateAccountStatus"]["AccountId"])
    creds = session.client("sts", region_name=HOME).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="rootguard-test",
    )["Credentials"]
    return member, new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.mark.parametrize("dry_run", [False, True], ids=["apply", "dry-run"])
def test_plan_for_another_account_is_refused_after_one_identity_call(
    aws: boto3.Session, dry_run: bool
) -> None:
    member, in_member = member_account(aws)
    assert member != MOTO_ACCOUNT
    assert verify_account(PLAN, session=aws).account_id == MOTO_ACCOUNT

    seen = Calls(in_member)
    with pytest.raises(ApplyError) as caught:
        apply(PLAN, session=in_member, dry_run=dry_run)
    message = str(caught.value)
    assert f"account {MOTO_ACCOUNT} (aws)" in message
    assert f"account {member} (aws)" in message
    assert "\n" not in message
    assert seen.calls == [IDENTITY]  # and not one call after it
    assert seen.sends == [IDENTITY]
    assert seen.requested == [IDENTITY]
    # the member account is untouched (and so is the plan's own account)
    assert trails(in_member) == []
    assert in_member.client("sns", region_name=HOME).list_topics()["Topics"] == []
    assert trails(aws) == []


def test_plan_for_the_callers_account_starts_with_the_identity_call(
    inprocess: boto3.Session,
) -> None:
    seen = Calls(inprocess)
    result = apply(PLAN, session=inprocess, dry_run=True)
    assert result.ok
    assert seen.calls[0] == IDENTITY
    assert seen.calls.count(IDENTITY) == 1
    assert len(seen.calls) > 1  # the dry run went on to read the resources

    # the identity call is in the remediation policy (test_apply_permissions proves the rest)
    granted: set[str] = set()
    for statement in required_permissions("remediate")["Statement"]:
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    assert IDENTITY in granted
    assert {iam_action(*call.split(":")) for call in seen.calls} <= granted

    caller = verify_account(PLAN, session=inprocess)
    assert (caller.account_id, caller.partition) == (MOTO_ACCOUNT, "aws")
    assert caller.arn.startswith(f"arn:aws:sts::{MOTO_ACCOUNT}:")


def test_plan_without_api_actions_makes_no_call(inprocess: boto3.Session) -> None:
    manual_only = Plan(
        account_id="210987654321",
        home_region=HOME,
        actions=PLAN.manual_steps,
    )
    seen = Calls(inprocess)
    result = apply(manual_only, session=inprocess)
    assert seen.calls == []
    assert {o.status for o in result.outcomes} <= {ActionStatus.SKIPPED}


def _answer(change: Any) -> Any:
    """An ``after-call`` handler rewriting GetCallerIdentity's parsed answer."""

    def handler(parsed: dict[str, Any], **_: Any) -> None:
        change(parsed)

    return handler


def _other_partition(parsed: dict[str, Any]) -> None:
    # What a GovCloud STS endpoint answers for the same account number.
    parsed["Arn"] = f"arn:aws-us-gov:sts::{parsed['Account']}:assumed-role/admin/someone"


@pytest.mark.parametrize("dry_run", [False, True], ids=["apply", "dry-run"])
def test_plan_for_another_partition_is_refused(inprocess: boto3.Session, dry_run: bool) -> None:
    # moto keeps one STS per partition and answers in the partition of the region asked,
    # so the other partition's answer is injected (same account id, GovCloud ARN).
    inprocess.events.register("after-call.sts.GetCallerIdentity", _answer(_other_partition))
    seen = Calls(inprocess)
    with pytest.raises(ApplyError) as caught:
        apply(PLAN, session=inprocess, dry_run=dry_run)
    assert f"account {MOTO_ACCOUNT} (aws)" in str(caught.value)
    assert f"account {MOTO_ACCOUNT} (aws-us-gov)" in str(caught.value)
    assert seen.calls == [IDENTITY]
    assert trails(inprocess) == []


MALFORMED: dict[str, Any] = {
    "account-missing": lambda p: p.pop("Account"),
    "account-null": lambda p: p.update(Account=None),
    "account-short": lambda p: p.update(Account="12345678901"),
    "account-long": lambda p: p.update(Account="1234567890123"),
    "account-not-digits": lambda p: p.update(Account="12345678901x"),
    "account-unicode-digits": lambda p: p.update(Account="١٢٣٤٥٦٧٨٩٠١٢"),
    "account-number": lambda p: p.update(Account=123456789012),
    "account-padded": lambda p: p.update(Account=" 123456789012"),
    "arn-missing": lambda p: p.pop("Arn"),
    "arn-null": lambda p: p.update(Arn=None),
    "arn-not-an-arn": lambda p: p.update(Arn="moto"),
    "arn-of-another-account": lambda p: p.update(Arn="arn:aws:sts::210987654321:user/moto"),
    "arn-without-partition": lambda p: p.update(Arn=f"arn::sts::{MOTO_ACCOUNT}:user/moto"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_identity_answer_is_an_apply_error(inprocess: boto3.Session, case: str) -> None:
    inprocess.events.register("after-call.sts.GetCallerIdentity", _answer(MALFORMED[case]))
    seen = Calls(inprocess)
    with pytest.raises(ApplyError, match="sts:GetCallerIdentity answered") as caught:
        apply(PLAN, session=inprocess)
    assert MOTO_ACCOUNT in str(caught.value)
    assert seen.calls == [IDENTITY]
    assert trails(inprocess) == []


def _unparsable(**_: Any) -> AWSResponse:
    return AWSResponse(
        "https://sts.invalid", 200, {"Content-Type": "text/xml"}, _Raw(b"<GetCallerIdentity")
    )


def _unreachable(**_: Any) -> None:
    raise EndpointConnectionError(endpoint_url="https://sts.amazonaws.com")


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("denied", "AccessDenied"),
        ("unreachable", "EndpointConnectionError"),
        ("unparsable", "ResponseParserError"),
    ],
)
def test_failed_identity_call_is_an_apply_error(
    inprocess: boto3.Session, fault: str, code: str
) -> None:
    if fault == "denied":
        deny(inprocess, "sts", "GetCallerIdentity")
    elif fault == "unreachable":
        inprocess.events.register_first("before-call.sts.GetCallerIdentity", _unreachable)
    else:
        inprocess.events.register_first("before-send.sts.GetCallerIdentity", _unparsable)
    seen = Calls(inprocess)
    for dry_run in (False, True):
        with pytest.raises(ApplyError, match=f"failed with {code}") as caught:
            apply(PLAN, session=inprocess, dry_run=dry_run)
        assert MOTO_ACCOUNT in str(caught.value)
    assert seen.requested == [IDENTITY, IDENTITY]  # one per apply, nothing after
    assert set(seen.calls) <= {IDENTITY}
    assert trails(inprocess) == []


@pytest.fixture
def no_credentials(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials anywhere (moto's mock would lend fake ones: not used), and an
    endpoint on 127.0.0.1 that nothing listens on, should a request leave anyway."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")


def test_no_credentials_is_an_apply_error(no_credentials: None) -> None:
    session = new_session()
    seen = Calls(session)
    with pytest.raises(ApplyError, match="no usable AWS credentials"):
        apply(PLAN, session=session, dry_run=True)
    assert seen.requested == [IDENTITY]
    assert seen.sends == []  # not even the identity request left


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data

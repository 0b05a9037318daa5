"""The fault matrix: every AWS operation that check, plan and lookup_root_activity call,
failed one at a time in every way a call can fail.

The operations are recorded from a clean run, so an operation added to collect is covered
without editing this file. For each operation and each fault:

- nothing raises (only a failure to learn the caller's identity is a ``CollectError``);
- every verdict is the clean run's verdict or UNKNOWN (a fault never turns one definite
  verdict into another: no FAIL becomes PASS, no PASS becomes FAIL);
- the plan adds no action: its actions are a subset of the clean run's;
- a fault that makes the call fail is visible: a gap names the operation.

It runs on a fully monitored account (every check passes, the clean plan is empty) and on
an account with failing checks (the clean plan has work to do).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.parsers import ResponseParserError
from botocore.retries import standard
from moto import mock_aws
from moto.cloudtrail.responses import CloudTrailResponse

import rootguard
from rootguard import AccountSnapshot, CollectError, Plan, Report, Status
from rootguard._moto_seed import RootKey, RootState, moto_root

from .accounts import populate_account
from .conftest import _Raw, new_session
from .remediation import MOTO_POLICY, OPTIONS

REGIONS = ["us-east-1", "eu-west-1"]
HOME, SECOND = REGIONS
FEATURES = ("RootCredentialsManagement", "RootSessions")

FAULTS = (
    "AccessDenied",
    "Throttling",
    "EndpointConnectionError",
    "ReadTimeoutError",
    "ResponseParserError",
    "HtmlBody200",
    "MissingKey",
    "NullValue",
    "WrongType",
)
CALL_FAILURES = frozenset(FAULTS) - {"MissingKey", "NullValue", "WrongType"}
"""Faults that make the call itself fail: a gap must name the operation."""

IDENTITY = ("sts", "GetCallerIdentity")


# --------------------------------------------------------------------------- faults


def _protocol(session: boto3.Session, service_id: str) -> str:
    return str(_client_for(session, service_id).meta.service_model.resolved_protocol)


_SERVICE_NAMES = {
    "cloudwatch-logs": "logs",
    "eventbridge": "events",
    "config-service": "config",
}


def _client_for(session: boto3.Session, service_id: str) -> Any:
    return session.client(_SERVICE_NAMES.get(service_id, service_id), region_name=HOME)  # type: ignore[call-overload]


def _error_body(protocol: str, code: str, message: str) -> tuple[dict[str, str], bytes]:
    """An error answer in the protocol's own format."""
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        return {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
    if protocol == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            "</Error></Errors><RequestID>fault</RequestID></Response>"
        )
        return {"Content-Type": "text/xml"}, xml.encode()
    xml = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
    )
    return {"Content-Type": "text/xml"}, xml.encode()


_HTML = (
    b"<!DOCTYPE html><html><head><title>Sign in to the proxy</title></head>"
    b"<body><p>Your session has expired.</p></body></html>"
)


def _wrong(value: Any) -> Any:
    """A value of another JSON type than ``value``."""
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, int | float):
        return "many"
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return "not-a-list"
    if isinstance(value, dict):
        return ["not", "an", "object"]
    if isinstance(value, datetime):
        return "not-a-time"
    return {"unexpected": True}


def inject(session: boto3.Session, service_id: str, operation: str, fault: str) -> None:
    """Make every call of ``service_id:operation`` on ``session`` fail with ``fault``."""
    name = f"{service_id}.{operation}"
    protocol = _protocol(session, service_id)

    if fault == "AccessDenied":

        def denied(**_: Any) -> Any:
            parsed = {
                "Error": {"Code": "AccessDenied", "Message": f"not authorized: {operation}"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            }
            return AWSResponse("https://fault.invalid", 403, {}, None), parsed

        session.events.register_first(f"before-call.{name}", denied)
        return

    if fault in ("MissingKey", "NullValue", "WrongType"):

        def damage(parsed: dict[str, Any], **_: Any) -> None:
            keys = [k for k in parsed if k not in ("ResponseMetadata", "Error")]
            for key in keys:
                if fault == "MissingKey":
                    del parsed[key]
                elif fault == "NullValue":
                    parsed[key] = None
                else:
                    parsed[key] = _wrong(parsed[key])

        session.events.register_first(f"after-call.{name}", damage)
        return

    def send(**_: Any) -> Any:
        if fault == "Throttling":
            headers, body = _error_body(protocol, "Throttling", "Rate exceeded")
            return AWSResponse("https://fault.invalid", 400, headers, _Raw(body))
        if fault == "EndpointConnectionError":
            raise EndpointConnectionError(endpoint_url="https://fault.invalid/")
        if fault == "ReadTimeoutError":
            raise ReadTimeoutError(endpoint_url="https://fault.invalid/")
        if fault == "ResponseParserError":
            raise ResponseParserError("Unable to parse response (syntax error: line 1)")
        assert fault == "HtmlBody200"
        return AWSResponse("https://fault.invalid", 200, {"Content-Type": "text/html"}, _Raw(_HTML))

    session.events.register_first(f"before-send.{name}", send)


def _lookup_events(self: CloudTrailResponse) -> str:
    """moto does not implement LookupEvents: answer with an empty history, so that the
    faults below have a working call to break."""
    return json.dumps({"Events": []})


# --------------------------------------------------------------------------- one run


@dataclass
class Run:
    snapshot: AccountSnapshot | None
    report: Report | None
    plan: Plan | None
    lookup_gaps: list[str]
    operations: dict[str, set[tuple[str, str]]]
    """The operations each part (``check`` and ``lookup``) called."""


def _verdicts(report: Report | None) -> dict[tuple[str, str | None], Status]:
    assert report is not None
    return {(f.check_id, f.region): f.status for f in report.findings}


_PROSE = {"description", "note", "instructions"}


def _action_keys(plan: Plan | None) -> set[str]:
    """Each action as what it does: its id, kind, region, resource and exact API
    parameters — not its prose (a manual step's wording may name another source)."""
    assert plan is not None
    return {
        json.dumps(a.model_dump(mode="json", exclude=_PROSE), sort_keys=True) for a in plan.actions
    }


def verdict_changes(
    clean: dict[tuple[str, str | None], Status], faulty: dict[tuple[str, str | None], Status]
) -> list[str]:
    """How ``faulty`` departs from "every verdict unchanged or UNKNOWN".

    A finding may turn UNKNOWN; a new finding must be UNKNOWN; a finding may vanish only
    when its check says UNKNOWN elsewhere (an unknown judged once instead of per region).
    """
    changes = []
    unknown_checks = {check for (check, _), status in faulty.items() if status is Status.UNKNOWN}
    for key, status in faulty.items():
        before = clean.get(key)
        if status is not Status.UNKNOWN and status != before:
            changes.append(f"{key} {before} -> {status}")
    for key in sorted(set(clean) - set(faulty), key=str):
        if key[0] not in unknown_checks:
            changes.append(f"{key} {clean[key]} vanished")
    return changes


def run_once(session: boto3.Session, parts: Collection[str] = ("check", "lookup")) -> Run:
    """check + plan, and lookup_root_activity, on ``session``, recording the operations."""
    operations: dict[str, set[tuple[str, str]]] = {part: set() for part in parts}
    current = {"part": ""}

    def record(event_name: str, **_: Any) -> None:
        _, service_id, operation = event_name.split(".", 2)
        operations[current["part"]].add((service_id, operation))

    session.events.register("before-call", record)
    snapshot = report = plan = None
    lookup_gaps: list[str] = []
    if "check" in parts:
        current["part"] = "check"
        snapshot = rootguard.collect(session=session, regions=REGIONS)
        report = rootguard.evaluate(snapshot, policy=MOTO_POLICY)
        plan = rootguard.plan(snapshot, OPTIONS)
    if "lookup" in parts:
        current["part"] = "lookup"
        # no rate limit: the point is the faults, not LookupEvents' 2 requests a second
        history = rootguard.lookup_root_activity(
            session=session, regions=REGIONS, rate_limit=10_000
        )
        lookup_gaps = [g.describe() for g in history.gaps]
    return Run(snapshot, report, plan, lookup_gaps, operations)


# --------------------------------------------------------------------------- accounts


def _monitored(session: boto3.Session) -> RootState:
    made = populate_account(session, regions=REGIONS, regional_trail=False)
    return RootState(
        account_id=made.account_id,
        mfa="hardware",
        password_last_used="no_information",
        organization_features=FEATURES,
    )


def _failing(session: boto3.Session) -> RootState:
    made = populate_account(session, regions=REGIONS, regional_trail=True)
    # break the chain in several places: no EventBridge rule in the second region, the
    # trail stopped, and an exposed root user.
    events = session.client("events", region_name=SECOND)
    targets = events.list_targets_by_rule(Rule=made.rule_name)["Targets"]
    events.remove_targets(Rule=made.rule_name, Ids=[t["Id"] for t in targets])
    events.delete_rule(Name=made.rule_name)
    session.client("cloudtrail", region_name=HOME).stop_logging(Name=made.trail_arn)
    return RootState(
        account_id=made.account_id,
        mfa="none",
        password_last_used=datetime(2026, 11, 30, 12, 0),
        access_keys=(RootKey(last_used=datetime(2026, 12, 1, 8, 0)),),
    )


ACCOUNTS: dict[str, Callable[[boto3.Session], RootState]] = {
    "monitored": _monitored,
    "failing": _failing,
}


@pytest.fixture(scope="module", params=sorted(ACCOUNTS))
def account(request: pytest.FixtureRequest) -> Iterator[tuple[str, Run]]:
    """A moto account (module-wide), its root state patched in, and its clean run."""
    mp = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": HOME,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        mp.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        mp.delenv(name, raising=False)
    mp.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    mp.setattr(CloudTrailResponse, "lookup_events", _lookup_events, raising=False)
    try:
        with mock_aws():
            state = ACCOUNTS[request.param](new_session())
            with moto_root(state):
                yield request.param, run_once(new_session())
    finally:
        mp.undo()


def test_clean_runs_are_what_the_matrix_assumes(account: tuple[str, Run]) -> None:
    kind, clean = account
    assert clean.snapshot is not None
    assert clean.snapshot.gaps == []
    assert clean.lookup_gaps == []
    statuses = set(_verdicts(clean.report).values())
    if kind == "monitored":
        assert statuses == {Status.PASS}
        assert clean.plan is not None
        assert clean.plan.actions == ()
        assert clean.plan.complete
    else:
        assert Status.FAIL in statuses
        assert Status.PASS in statuses
        assert _action_keys(clean.plan)
    # the operations recorded: more than the 21 the issue counted, and the identity call
    assert len(clean.operations["check"]) >= 21
    assert IDENTITY in clean.operations["check"]
    assert clean.operations["lookup"] == {IDENTITY, ("cloudtrail", "LookupEvents")}


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_matrix(account: tuple[str, Run], fault: str) -> None:
    kind, clean = account
    expected = _verdicts(clean.report)
    clean_actions = _action_keys(clean.plan)
    problems: list[str] = []
    every = sorted(set().union(*clean.operations.values()))
    for service_id, operation in every:
        where = f"{kind}: {service_id}:{operation} {fault}"
        parts = [p for p, ops in clean.operations.items() if (service_id, operation) in ops]
        session = new_session()
        inject(session, service_id, operation, fault)
        if (service_id, operation) == IDENTITY:
            for part in parts:
                with pytest.raises(CollectError):
                    run_once(session, [part])
            continue
        try:
            faulty = run_once(session, parts)
        except Exception as exc:  # the point of the matrix: report every escape
            problems.append(f"{where}: raised {type(exc).__name__}: {exc}")
            continue
        gaps: list[str] = list(faulty.lookup_gaps)
        if faulty.snapshot is not None:
            problems += [
                f"{where}: {p}" for p in verdict_changes(expected, _verdicts(faulty.report))
            ]
            added = _action_keys(faulty.plan) - clean_actions
            if added:
                kinds = sorted(json.loads(a).get("kind", "?") for a in added)
                problems.append(f"{where}: plan added {kinds}")
            gaps += [g.describe() for g in faulty.snapshot.gaps]
        if fault in CALL_FAILURES and not any(f":{operation} " in g for g in gaps):
            problems.append(f"{where}: the failure left no gap")
    if problems:
        pytest.fail(f"{len(problems)} problems:\n" + "\n".join(problems), pytrace=False)

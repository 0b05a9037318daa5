"""lookup_root_activity under faults: every failure of a call is a gap of its region.

moto has no LookupEvents, so a ``before-send`` handler plays AWS: it answers STS, EC2,
Account and CloudTrail requests with real wire bodies (or the faults of
tests/integration/faults.py), and the whole of botocore runs on them — retries, the
before-parse check of rootguard's clients, the parsers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
from botocore.awsrequest import AWSResponse

import rootguard
from rootguard import CollectError, EventHistoryResult
from tests.integration.conftest import new_session
from tests.integration.faults import (
    HTML_PAGE,
    Fault,
    json_answer,
    json_faults,
    no_backoff,
    xml_answer,
)
from tests.integration.test_history import FAST, ROOT_FAILED, ROOT_NO_MFA, ROOT_PASSWORD, item

EAST, WEST = "us-east-1", "eu-west-1"
ACCOUNT = "111122223333"
IDENTITY = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/auditor</Arn>"
    b"<UserId>AIDAEXAMPLEAUDITOR00</UserId><Account>111122223333</Account>"
    b"</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId>"
    b"</ResponseMetadata></GetCallerIdentityResponse>"
)
RETRIED = {"throttled", "connection", "read-timeout"}
"""Faults botocore's standard mode retries (8 attempts in all)."""

Answer = Fault | dict[str, Any]


def wire_item(record: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A LookupEvents item as it is on the wire (EventTime in epoch seconds)."""
    found = item(record, **kwargs)
    event_time: datetime = found["EventTime"]
    return {**found, "EventTime": event_time.timestamp()}


def page(*records: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"Events": [wire_item(r) for r in records]}
    if token is not None:
        body["NextToken"] = token
    return body


def ec2_error(code: str, status: int) -> Fault:
    body = (
        f"<Response><Errors><Error><Code>{code}</Code><Message>injected</Message></Error>"
        "</Errors><RequestID>r</RequestID></Response>"
    ).encode()
    return Fault(code, lambda url: xml_answer(status, body), code)


@dataclass
class Wire:
    """Plays AWS for one session: STS identity, region discovery and event history.

    ``lookups[region]`` is that region's LookupEvents answers in order (a :class:`Fault`
    answers every request from then on, retries included; once the list is used up a
    region answers an empty page). ``sent`` counts the requests per service:region."""

    session: boto3.Session
    identity: Answer | bytes = IDENTITY
    describe_regions: Answer | None = None
    list_regions: Answer | None = None
    lookups: dict[str, list[Answer]] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.session.events.register_first("before-send", self._answer)

    def _answer(self, request: Any, event_name: str, **_: Any) -> AWSResponse:
        service = event_name.split(".")[1]
        host = urlparse(request.url).hostname or ""
        region = next((p for p in host.split(".") if p.count("-") >= 2), "global")
        key = f"{service}:{region}"
        self.sent[key] = self.sent.get(key, 0) + 1
        if service == "sts":
            return self._reply(self.identity, request.url, xml=True)
        if service == "ec2":
            assert self.describe_regions is not None, "DescribeRegions was not expected"
            return self._reply(self.describe_regions, request.url, xml=True)
        if service == "account":
            assert self.list_regions is not None, "ListRegions was not expected"
            return self._reply(self.list_regions, request.url)
        assert service == "cloudtrail", f"unexpected request {event_name} to {request.url}"
        self.requests.setdefault(region, []).append(json.loads(request.body))
        answers = self.lookups.get(region, [])
        if answers and isinstance(answers[0], Fault):
            return answers[0].answer(request.url)
        return self._reply(answers.pop(0) if answers else {"Events": []}, request.url)

    @staticmethod
    def _reply(answer: Answer | bytes, url: str, *, xml: bool = False) -> AWSResponse:
        if isinstance(answer, Fault):
            return answer.answer(url)
        if isinstance(answer, bytes):
            return xml_answer(200, answer) if xml else json_answer(200, answer)
        return json_answer(200, answer)


@pytest.fixture
def wire(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Wire:
    no_backoff(monkeypatch)
    return Wire(new_session(EAST))


def lookup(wire: Wire, regions: list[str] | None = None) -> EventHistoryResult:
    return rootguard.lookup_root_activity(
        session=wire.session,
        regions=regions if regions is not None else [EAST, WEST],
        rate_limit=FAST,
    )


def gap_keys(found: EventHistoryResult) -> list[tuple[str, str, str | None, str]]:
    return [(g.service, g.operation, g.region, g.error_code) for g in found.gaps]


LOOKUP_FAULTS = [
    *json_faults("Events"),
    Fault(
        "token-not-text",
        lambda url: json_answer(200, {"Events": [], "NextToken": 5}),
        "InvalidResponse",
    ),
]


@pytest.mark.parametrize("fault", LOOKUP_FAULTS, ids=str)
def test_a_fault_in_one_region_is_that_regions_gap_and_the_others_are_read(
    wire: Wire, fault: Fault
) -> None:
    wire.lookups[EAST] = [page(ROOT_NO_MFA)]
    wire.lookups[WEST] = [fault]
    found = lookup(wire)
    assert [a.event_id for a in found] == [ROOT_NO_MFA["eventID"]]
    assert gap_keys(found) == [("cloudtrail", "LookupEvents", WEST, fault.code)]
    assert found.gaps[0].message
    assert not found.complete
    assert found.unread_regions == [WEST]
    assert wire.sent[f"cloudtrail:{EAST}"] == 2  # both targeted lookups
    # the first failure ends the region: its retries (8 attempts in all) and no more
    assert wire.sent[f"cloudtrail:{WEST}"] == (8 if fault.name in RETRIED else 1)


@pytest.mark.parametrize("fault", json_faults("Events"), ids=str)
def test_every_region_failing_is_a_gap_each_never_an_exception(wire: Wire, fault: Fault) -> None:
    wire.lookups = {EAST: [fault], WEST: [fault]}
    found = lookup(wire)
    assert found == []
    assert sorted(gap_keys(found)) == [
        ("cloudtrail", "LookupEvents", WEST, fault.code),
        ("cloudtrail", "LookupEvents", EAST, fault.code),
    ]
    assert found.unread_regions == [EAST, WEST]


def test_a_fault_after_the_first_page_keeps_what_was_read(wire: Wire) -> None:
    html = Fault("html-200", lambda url: json_answer(200, HTML_PAGE), "ResponseParserError")
    wire.lookups[EAST] = [page(ROOT_NO_MFA)]
    wire.lookups[WEST] = [page(ROOT_FAILED, token="page-2"), html]
    found = lookup(wire)
    assert {a.event_id for a in found} == {ROOT_NO_MFA["eventID"], ROOT_FAILED["eventID"]}
    assert gap_keys(found) == [("cloudtrail", "LookupEvents", WEST, "ResponseParserError")]
    assert wire.requests[WEST][1]["NextToken"] == "page-2"


def test_the_same_next_token_again_ends_the_region_instead_of_looping(wire: Wire) -> None:
    wire.lookups[EAST] = [page(ROOT_NO_MFA, token="again"), page(ROOT_PASSWORD, token="again")]
    found = lookup(wire, [EAST])
    # the answer that gives the token back is refused whole; the page before it is kept
    assert [a.event_id for a in found] == [ROOT_NO_MFA["eventID"]]
    [gap] = found.gaps
    assert (gap.region, gap.error_code) == (EAST, "InvalidResponse")
    assert "NextToken" in gap.message
    assert wire.sent[f"cloudtrail:{EAST}"] == 2


def test_items_that_are_not_records_are_a_gap_not_an_absence(wire: Wire) -> None:
    good = wire_item(ROOT_NO_MFA)
    no_name = {k: v for k, v in ROOT_FAILED.items() if k != "eventName"}
    broken = [
        {**good, "EventId": "number", "CloudTrailEvent": 42},
        {**good, "EventId": "array", "CloudTrailEvent": "[1, 2]"},
        {**good, "EventId": "empty", "CloudTrailEvent": "{}"},
        {**good, "EventId": "not-json", "CloudTrailEvent": "{not json"},
        {**good, "EventId": "no-event-name", "CloudTrailEvent": json.dumps(no_name)},
        {**good, "EventId": ["not", "text"], "CloudTrailEvent": None},
    ]
    wire.lookups[EAST] = [{"Events": [good, *broken]}]
    wire.lookups[WEST] = [page(ROOT_FAILED)]
    found = lookup(wire)
    assert {a.event_id for a in found} == {ROOT_NO_MFA["eventID"], ROOT_FAILED["eventID"]}
    assert found.unparsed == 6
    assert found.events_scanned == 8
    assert gap_keys(found) == [("cloudtrail", "LookupEvents", EAST, "InvalidResponse")]
    assert "6 event-history item(s)" in found.gaps[0].message
    assert "number" in found.gaps[0].message  # the first one is named


DISCOVERY_FAULTS = [
    ec2_error("UnauthorizedOperation", 403),
    Fault("html-200", lambda url: xml_answer(200, HTML_PAGE), "ResponseParserError"),
    Fault(
        "no-regions", lambda url: xml_answer(200, b"<DescribeRegionsResponse/>"), "InvalidResponse"
    ),
    *(f for f in json_faults("Regions") if f.name in ("connection", "read-timeout")),
]


@pytest.mark.parametrize("fault", DISCOVERY_FAULTS, ids=str)
def test_region_discovery_faults_are_gaps(wire: Wire, fault: Fault) -> None:
    wire.describe_regions = fault
    wire.list_regions = {"Regions": [{"RegionName": WEST, "RegionOptStatus": "ENABLED"}]}
    wire.lookups[WEST] = [page(ROOT_FAILED)]
    found = rootguard.lookup_root_activity(session=wire.session, rate_limit=FAST)
    assert found.regions == [WEST]
    assert [a.event_id for a in found] == [ROOT_FAILED["eventID"]]
    assert gap_keys(found) == [("ec2", "DescribeRegions", None, fault.code)]


def test_when_no_region_can_be_discovered_every_known_region_is_read(wire: Wire) -> None:
    wire.describe_regions = Fault("html-200", lambda url: xml_answer(200, HTML_PAGE), "x")
    wire.list_regions = json_faults("Regions")[0]  # access denied
    wire.lookups[EAST] = [page(ROOT_NO_MFA)]
    found = rootguard.lookup_root_activity(session=wire.session, rate_limit=FAST)
    known = boto3.Session().get_available_regions("cloudtrail")
    assert found.regions == sorted(known)
    assert [a.event_id for a in found] == [ROOT_NO_MFA["eventID"]]
    assert sorted(gap_keys(found)) == [
        ("account", "ListRegions", None, "AccessDeniedException"),
        ("ec2", "DescribeRegions", None, "ResponseParserError"),
    ]


IDENTITY_FAULTS: list[tuple[str, Callable[[str], AWSResponse]]] = [
    ("html-200", lambda url: xml_answer(200, HTML_PAGE)),
    (
        "invalid-token",
        lambda url: xml_answer(
            403,
            b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
            b"<Message>The security token included in the request is invalid.</Message>"
            b"</Error><RequestId>r</RequestId></ErrorResponse>",
        ),
    ),
    (
        "not-an-account",
        lambda url: xml_answer(200, IDENTITY.replace(b"<Account>111122223333", b"<Account>me")),
    ),
]


@pytest.mark.parametrize(("name", "answer"), IDENTITY_FAULTS, ids=[n for n, _ in IDENTITY_FAULTS])
def test_a_caller_that_cannot_be_identified_is_a_collect_error(
    wire: Wire, name: str, answer: Callable[[str], AWSResponse]
) -> None:
    wire.identity = Fault(name, answer, "")
    with pytest.raises(CollectError, match="cannot identify the caller"):
        lookup(wire)
    assert not any(key.startswith("cloudtrail") for key in wire.sent)

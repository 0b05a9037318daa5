"""lookup_root_activity: CloudTrail event history (moto has no LookupEvents, so Stubber
with realistic LookupEvents pages built from the AWS documentation's records)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

import rootguard
from rootguard import ActivitySource, Channel, CollectError, EventHistoryResult, Outcome
from rootguard._aws import GapRecorder
from rootguard._history import TokenBucket, _lookup_region
from tests.integration.conftest import new_session

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "awsdocs"
DOCS = json.loads((FIXTURES / "awsdocs_extracted_records.json").read_text())
ASSUME_ROOT = json.loads(
    (FIXTURES / "iam-user-guide__cloudtrail-track-privileged-tasks__records.json").read_text()
)
IAM_USER_SIGNIN = DOCS[0]["record"]  # IAM user anaya: not root
ROOT_NO_MFA = DOCS[5]["record"]  # root sign-in without MFA
ROOT_FAILED = DOCS[7]["record"]  # root sign-in failure
ROOT_PASSWORD = DOCS[9]["record"]  # root PasswordUpdated
ASSUME_ROOT_CALL = ASSUME_ROOT[0]["record"] if "record" in ASSUME_ROOT[0] else ASSUME_ROOT[0]
ASSUMED_ROOT_CALL = ASSUME_ROOT[1]["record"] if "record" in ASSUME_ROOT[1] else ASSUME_ROOT[1]

BY_ROOT = [{"AttributeKey": "Username", "AttributeValue": "root"}]
BY_ASSUME_ROOT = [{"AttributeKey": "EventName", "AttributeValue": "AssumeRoot"}]
IDENTITY = {
    "UserId": "AIDAEXAMPLEAUDITOR00",
    "Account": "111122223333",
    "Arn": "arn:aws:iam::111122223333:user/auditor",
}
FAST = 1000.0  # requests/s: no waiting in tests that are not about the rate limit


def item(record: dict[str, Any], *, username: str = "root") -> dict[str, Any]:
    """A LookupEvents item as CloudTrail returns it: metadata plus the record as JSON."""
    return {
        "EventId": record.get("eventID") or str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(record))),
        "EventName": record["eventName"],
        "ReadOnly": "false",
        "AccessKeyId": record["userIdentity"].get("accessKeyId", ""),
        "EventTime": datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
        "EventSource": record["eventSource"],
        "Username": username,
        "Resources": [],
        "CloudTrailEvent": json.dumps(record),
    }


@pytest.fixture
def stubbed(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A session whose CloudTrail clients are stubbed; returns (session, stubbers by region)."""
    session = new_session("us-east-1")
    clients: dict[str, Any] = {}
    stubbers: dict[str, Stubber] = {}

    def client(service: str, region_name: str | None = None, **kwargs: Any) -> Any:
        if service == "sts":  # lookup_root_activity first identifies the caller
            sts = new_session(region_name or "us-east-1").client("sts", **kwargs)
            stubber = Stubber(sts)
            stubber.add_response("get_caller_identity", IDENTITY)
            stubber.activate()
            stubbers[f"sts-{len(stubbers)}"] = stubber
            return sts
        assert service == "cloudtrail"
        assert region_name is not None
        if region_name not in clients:
            made = new_session(region_name).client("cloudtrail", **kwargs)
            clients[region_name] = made
            stubbers[region_name] = Stubber(made)
            stubbers[region_name].activate()
        return clients[region_name]

    def stub(region: str) -> Stubber:
        client("cloudtrail", region_name=region)
        return stubbers[region]

    monkeypatch.setattr(session, "client", client)
    yield session, stub
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def expect(
    stubber: Stubber,
    attributes: list[dict[str, str]] | None,
    events: list[dict[str, Any]],
    *,
    token: str | None = None,
    next_token: str | None = None,
    start: Any = None,
    end: Any = None,
) -> None:
    params: dict[str, Any] = {"MaxResults": 50}
    if attributes is not None:
        params["LookupAttributes"] = attributes
    if start is not None:
        params["StartTime"] = start
    if end is not None:
        params["EndTime"] = end
    if token is not None:
        params["NextToken"] = token
    response: dict[str, Any] = {"Events": events}
    if next_token is not None:
        response["NextToken"] = next_token
    stubber.add_response("lookup_events", response, params)


def test_root_activity_across_pages_and_regions(stubbed: Any) -> None:
    session, stub = stubbed
    east, west = stub("us-east-1"), stub("us-west-2")
    # us-east-1: two pages for Username=root (an IAM user named root is among them)
    expect(east, BY_ROOT, [item(ROOT_NO_MFA), item(IAM_USER_SIGNIN)], next_token="page-2")
    expect(east, BY_ROOT, [item(ROOT_FAILED), item(ROOT_PASSWORD)], token="page-2")
    expect(east, BY_ASSUME_ROOT, [])
    # us-west-2: the member-account call of an assumed-root session, and the AssumeRoot
    # call itself (made by an IAM role, so found by event name, not by user name)
    expect(west, BY_ROOT, [item(ASSUMED_ROOT_CALL)])
    expect(west, BY_ASSUME_ROOT, [item(ASSUME_ROOT_CALL, username="JohnRole1")])

    found = rootguard.lookup_root_activity(
        session=session, regions=["us-east-1", "us-west-2"], rate_limit=FAST
    )

    assert isinstance(found, EventHistoryResult)
    assert isinstance(found, list)
    assert found.gaps == []
    assert found.complete
    assert found.regions == ["us-east-1", "us-west-2"]
    assert found.events_scanned == 6
    assert found.unparsed == 0
    assert all(a.source is ActivitySource.EVENT_HISTORY for a in found)
    by_id = {a.event_id: a for a in found}
    assert IAM_USER_SIGNIN["eventID"] not in by_id  # not root
    signin = by_id[ROOT_NO_MFA["eventID"]]
    assert (signin.channel, signin.outcome, signin.mfa_used) == (
        Channel.CONSOLE_SIGNIN,
        Outcome.SUCCESS,
        False,
    )
    failed = by_id[ROOT_FAILED["eventID"]]
    assert (failed.channel, failed.outcome) == (Channel.CONSOLE_SIGNIN, Outcome.FAILURE)
    assert by_id[ROOT_PASSWORD["eventID"]].event_name == "PasswordUpdated"
    assumed = [a for a in found if a.channel is Channel.ASSUMED_ROOT]
    assert len(assumed) == 2  # the AssumeRoot call and the member-account call
    assert {a.account_id for a in assumed} == {"222222222222"}
    assert len(found) == 5
    times = [a.event_time for a in found]
    assert times == sorted(times)  # type: ignore[type-var]


def test_access_denied_in_one_region_is_reported_not_raised(stubbed: Any) -> None:
    session, stub = stubbed
    east, west = stub("us-east-1"), stub("eu-west-1")
    expect(east, BY_ROOT, [item(ROOT_NO_MFA)])
    expect(east, BY_ASSUME_ROOT, [])
    west.add_client_error(
        "lookup_events",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::111122223333:user/auditor is not authorized to "
        "perform: cloudtrail:LookupEvents",
        http_status_code=400,
    )
    found = rootguard.lookup_root_activity(
        session=session, regions=["us-east-1", "eu-west-1"], rate_limit=FAST
    )
    assert [a.event_id for a in found] == [ROOT_NO_MFA["eventID"]]
    assert not found.complete
    [gap] = found.gaps
    assert (gap.service, gap.operation, gap.region, gap.error_code) == (
        "cloudtrail",
        "LookupEvents",
        "eu-west-1",
        "AccessDeniedException",
    )
    assert "not authorized" in gap.message


def test_every_region_denied_is_a_gap_each_not_an_exception(stubbed: Any) -> None:
    session, stub = stubbed
    for region in ("us-east-1", "eu-west-1"):
        stub(region).add_client_error(
            "lookup_events", service_error_code="AccessDeniedException", http_status_code=400
        )
    found = rootguard.lookup_root_activity(
        session=session, regions=["us-east-1", "eu-west-1"], rate_limit=FAST
    )
    assert found == []
    assert not found.complete
    assert found.unread_regions == ["us-east-1", "eu-west-1"]
    assert sorted((g.region, g.operation, g.error_code) for g in found.gaps) == [
        ("eu-west-1", "LookupEvents", "AccessDeniedException"),
        ("us-east-1", "LookupEvents", "AccessDeniedException"),
    ]


def test_window_is_sent_and_naive_times_are_utc(stubbed: Any) -> None:
    session, stub = stubbed
    east = stub("us-east-1")
    since = datetime(2024, 10, 1)
    until = datetime(2024, 10, 31, tzinfo=timezone(timedelta(hours=2)))
    start = datetime(2024, 10, 1, tzinfo=timezone.utc)
    end = datetime(2024, 10, 30, 22, tzinfo=timezone.utc)
    expect(east, BY_ROOT, [], start=start, end=end)
    expect(east, BY_ASSUME_ROOT, [], start=start, end=end)
    found = rootguard.lookup_root_activity(
        session=session, regions=["us-east-1"], since=since, until=until, rate_limit=FAST
    )
    assert found == []
    assert found.events_scanned == 0


def test_since_after_until_is_a_collect_error(aws_env: None) -> None:
    now = datetime.now(timezone.utc)
    with pytest.raises(CollectError, match="after"):
        rootguard.lookup_root_activity(regions=["us-east-1"], since=now, until=now - timedelta(1))


def test_exhaustive_reads_every_event(stubbed: Any) -> None:
    session, stub = stubbed
    east = stub("us-east-1")
    expect(east, None, [item(IAM_USER_SIGNIN, username="anaya"), item(ROOT_NO_MFA)])
    found = rootguard.lookup_root_activity(
        session=session, regions=["us-east-1"], exhaustive=True, rate_limit=FAST
    )
    assert [a.event_id for a in found] == [ROOT_NO_MFA["eventID"]]
    assert found.events_scanned == 2


def test_duplicates_and_unparsable_items(stubbed: Any) -> None:
    session, stub = stubbed
    east = stub("us-east-1")
    broken = {**item(ROOT_FAILED), "EventId": "broken", "CloudTrailEvent": "{not json"}
    expect(east, BY_ROOT, [item(ROOT_NO_MFA), broken])
    expect(east, BY_ASSUME_ROOT, [item(ROOT_NO_MFA)])  # same EventId again
    found = rootguard.lookup_root_activity(session=session, regions=["us-east-1"], rate_limit=FAST)
    assert [a.event_id for a in found] == [ROOT_NO_MFA["eventID"]]
    assert found.events_scanned == 3
    assert found.unparsed == 1
    [gap] = found.gaps  # an item that is not a record is not "no activity"
    assert (gap.region, gap.operation, gap.error_code) == (
        "us-east-1",
        "LookupEvents",
        "InvalidResponse",
    )
    assert "broken" in gap.message
    assert not found.complete


def test_no_credentials_is_a_collect_error(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CollectError, match="credentials"):
        rootguard.lookup_root_activity(regions=["us-east-1"])


def test_bad_rate_limit_is_a_collect_error(aws_env: None) -> None:
    with pytest.raises(CollectError, match="rate_limit"):
        rootguard.lookup_root_activity(regions=["us-east-1"], rate_limit=0)


# ------------------------------------------------------------------ rate limit


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_allows_two_requests_per_second() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(5):
        bucket.acquire()
        times.append(clock.now)
    assert times == [100.0, 100.5, 101.0, 101.5, 102.0]
    # never more than 2 requests in any one-second window
    assert all(sum(t <= s < t + 1 for s in times) <= 2 for t in times)
    clock.now += 10  # idle: the bucket holds one token, not twenty
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == 0.5


def test_token_bucket_counts_time_spent_between_requests() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    clock.now += 0.3  # a slow request
    assert bucket.acquire() == pytest.approx(0.2)


def test_every_lookup_request_waits_for_a_token(aws_env: None) -> None:
    client = new_session("us-east-1").client("cloudtrail")
    clock = FakeClock()
    bucket = TokenBucket(2.0, clock=clock, sleep=clock.sleep)
    recorder = GapRecorder()
    with Stubber(client) as stubber:
        expect(stubber, BY_ROOT, [item(ROOT_NO_MFA)], next_token="2")
        expect(stubber, BY_ROOT, [item(ROOT_FAILED)], token="2", next_token="3")
        expect(stubber, BY_ROOT, [], token="3")
        expect(stubber, BY_ASSUME_ROOT, [])
        items = _lookup_region(
            client,
            "us-east-1",
            queries=[BY_ROOT[0], BY_ASSUME_ROOT[0]],
            start=None,
            end=None,
            bucket=bucket,
            recorder=recorder,
        )
        stubber.assert_no_pending_responses()
    assert [i["EventId"] for i in items] == [ROOT_NO_MFA["eventID"], ROOT_FAILED["eventID"]]
    assert clock.slept == [0.5, 0.5, 0.5]  # 4 requests: the first at once, then 2/s
    assert recorder.gaps == []


def test_stubbed_params_are_realistic() -> None:
    """The LookupEvents items used above validate against botocore's model."""
    client = boto3.client(
        "cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stubber:
        stubber.add_response("lookup_events", {"Events": [item(ROOT_NO_MFA)]}, {"MaxResults": ANY})
        got = client.lookup_events(MaxResults=50)
    assert json.loads(got["Events"][0]["CloudTrailEvent"]) == ROOT_NO_MFA

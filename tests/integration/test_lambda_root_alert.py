"""examples/lambda_root_alert: EventBridge event in, enriched SNS alert out (moto: an SQS
queue subscribed to the topic receives it); malformed events rejected, never a crash."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import ct_json_values, ct_record_like, ct_records, ct_wrap

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
REGION = "us-west-2"


def _load_handler() -> ModuleType:
    path = ROOT / "examples" / "lambda_root_alert" / "handler.py"
    spec = importlib.util.spec_from_file_location("lambda_root_alert_handler", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


handler = _load_handler()


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "cloud-custodian" / name).read_text())


def _awsdocs(section: str) -> dict[str, Any]:
    entries = json.loads((FIXTURES / "awsdocs" / "awsdocs_extracted_records.json").read_text())
    (record,) = [e["record"] for e in entries if e["section"] == section]
    return dict(record)


def _envelope(record: dict[str, Any], detail_type: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": "aws.signin",
        "account": record.get("recipientAccountId", "111122223333"),
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": record,
    }


@pytest.fixture
def wiring(inprocess: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """A topic with an SQS queue subscribed; the handler configured to publish to it."""
    sns = inprocess.client("sns", region_name=REGION)
    sqs = inprocess.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="root-activity-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="root-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    monkeypatch.setenv(handler.TOPIC_ENV, topic)
    monkeypatch.setattr(handler, "_clients", {})
    return sqs, queue


def _received(sqs: Any, queue: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_root_signin_without_mfa_is_published(wiring: tuple[Any, str]) -> None:
    sqs, queue = wiring
    record = _awsdocs("Root user, successful sign-in without MFA")
    event = _envelope(record, "AWS Console Sign In via CloudTrail")
    result = handler.handler(event, None)
    assert result["status"] == "published"
    assert result["severity"] == "high"
    assert result["event_id"] == record["eventID"]
    (envelope,) = _received(sqs, queue)
    assert envelope["MessageAttributes"]["severity"]["Value"] == "high"
    assert envelope["MessageAttributes"]["channel"]["Value"] == "console_signin"
    assert envelope["Subject"].startswith("HIGH: root console sign-in in account 111122223333")
    alert = json.loads(envelope["Message"])
    assert alert["severity"] == "high"
    assert alert["who"] == {
        "actor_arn": "arn:aws:iam::111122223333:root",
        "channel": "console_signin",
        "access_key_id": None,
        "mfa_used": False,
    }
    assert alert["what"]["event_name"] == "ConsoleLogin"
    assert alert["what"]["outcome"] == "success"
    assert alert["where"]["account_id"] == "111122223333"
    assert alert["where"]["region"] == "us-east-1"
    assert alert["where"]["source_ip"] == "192.0.2.0"
    assert alert["event_id"] == record["eventID"]
    assert alert["eventbridge_id"] == event["id"]
    assert alert["console_link"] == (
        "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1"
        f"#/events/{record['eventID']}"
    )


def test_root_api_call_sample_is_published(wiring: tuple[Any, str]) -> None:
    # A real recorded EventBridge event: root CreateBucket from a console session.
    sqs, queue = wiring
    event = _fixture("cwe__event-cloud-trail-create-bucket.json")
    result = handler.handler(event, None)
    assert result["status"] == "published"
    (envelope,) = _received(sqs, queue)
    alert = json.loads(envelope["Message"])
    assert alert["who"]["channel"] == "console_session"
    assert alert["who"]["mfa_used"] is False
    assert alert["what"]["event_name"] == "CreateBucket"
    assert alert["where"]["account_id"] == "619193117841"
    assert alert["request_parameters"]["bucketName"] == "custodian-create-bucket-v4"
    assert alert["console_link"].startswith("https://us-west-2.console.aws.amazon.com/")


def test_text_alert_for_email() -> None:
    record = _awsdocs("Root user, unsuccessful sign-in")
    import rootguard

    event = rootguard.parse_cloudtrail_event(record)
    activity = rootguard.classify_event(event, source="eventbridge")
    assert activity is not None
    text = handler.alert_text(handler.build_alert(activity, event))
    assert text.splitlines()[0] == "MEDIUM: root console sign-in in account 111122223333"
    assert "MFA:      NO" in text
    assert "ConsoleLogin -> failure" in text


@pytest.mark.parametrize(
    "event",
    [
        "not an event",
        None,
        [1, 2],
        {},
        {"detail-type": "AWS API Call via CloudTrail", "source": "aws.s3", "detail": "{broken"},
        {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
        {"userIdentity": {"type": "Root"}, "eventTime": "yesterday"},
    ],
)
def test_malformed_events_are_rejected(
    wiring: tuple[Any, str], event: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sqs, queue = wiring
    with caplog.at_level(logging.ERROR, logger=handler.logger.name):
        result = handler.handler(event, None)
    assert result["status"] == "rejected"
    assert result["reason"]
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert _received(sqs, queue) == []


def test_non_root_event_is_ignored(wiring: tuple[Any, str]) -> None:
    sqs, queue = wiring
    result = handler.handler(_fixture("cwe__event-cloud-trail-s3.json"), None)
    assert result == {"status": "ignored", "reason": "not root activity"}
    assert _received(sqs, queue) == []


def test_publish_failure_is_raised_for_retry(
    wiring: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(handler.TOPIC_ENV, f"arn:aws:sns:{REGION}:123456789012:no-such-topic")
    event = _fixture("cwe__event-cloud-trail-create-bucket.json")
    with pytest.raises(Exception, match=r"NotFound|does not exist"):
        handler.handler(event, None)


def test_missing_topic_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(handler.TOPIC_ENV, raising=False)
    with pytest.raises(RuntimeError, match=handler.TOPIC_ENV):
        handler.handler({}, None)


class _FakeSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, Any]:
        json.loads(kwargs["Message"])  # always valid JSON per protocol
        assert len(kwargs["Subject"]) <= 100
        self.published.append(kwargs)
        return {"MessageId": str(len(self.published))}


_events = st.one_of(
    ct_json_values,
    ct_record_like,
    ct_records().map(lambda r: ct_wrap(r, "eventbridge")),
    ct_records(),
)


@settings(max_examples=200, deadline=None)
@given(event=_events)
def test_handler_never_crashes(event: Any) -> None:
    sns = _FakeSns()
    result = handler.handle(event, sns=sns, topic_arn="arn:aws:sns:us-east-1:111122223333:t")
    assert result["status"] in ("published", "ignored", "rejected")
    assert len(sns.published) == (result["status"] == "published")


PATTERN = json.loads((ROOT / "examples" / "lambda_root_alert" / "event_pattern.json").read_text())


@settings(max_examples=200, deadline=None)
@given(record=ct_records())
def test_rule_pattern_delivers_every_root_event(record: dict[str, Any]) -> None:
    import rootguard

    event = ct_wrap(record, "eventbridge")
    sns = _FakeSns()
    result = handler.handle(event, sns=sns, topic_arn="arn:aws:sns:us-east-1:111122223333:t")
    if result["status"] == "published":
        assert rootguard.event_pattern_matches(PATTERN, event)


def test_rule_pattern_on_samples() -> None:
    import rootguard

    assert rootguard.event_pattern_matches(
        PATTERN, _fixture("cwe__event-cloud-trail-create-bucket.json")
    )
    assert not rootguard.event_pattern_matches(PATTERN, _fixture("cwe__event-cloud-trail-s3.json"))
    signin = _envelope(
        _awsdocs("Root user, successful sign-in with MFA"), "AWS Console Sign In via CloudTrail"
    )
    assert rootguard.event_pattern_matches(PATTERN, signin)
    lookalike = _envelope(
        _awsdocs("IAM user, successful sign-in without MFA"), "AWS Console Sign In via CloudTrail"
    )
    assert not rootguard.event_pattern_matches(PATTERN, lookalike)

"""examples/lambda_root_alert: EventBridge event in, enriched SNS alert out (moto: an SQS
queue subscribed to the topic receives it); malformed events rejected, never a crash."""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import sys
import unicodedata
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rootguard._canonical import root_events
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
        assert_within_sns_limits(kwargs)
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


# ------------------------------------------------------------------------ hostile input

TEMPLATE_LABELS = (
    "Who:      ",
    "MFA:      ",
    "What:     ",
    "Where:    ",
    "When:     ",
    "Event id: ",
)
OPTIONAL_LABELS = ("Console:  ", "Note:     ")
INJECTION = "\nMFA:      yes\r\nMFA: yes\u2028MFA: yes\u2029MFA: yes\x85MFA: yes\tX"


def _bad_char(char: str) -> bool:
    """Control, format (bidi, zero-width), surrogate and line/paragraph separators."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def assert_template_text(text: str) -> None:
    """The e-mail text: the template's lines, and no other line break or control."""
    lines = text.split("\n")
    assert not [c for line in lines for c in line if _bad_char(c)]
    assert lines[0]
    assert lines[1] == ""
    assert [line[:10] for line in lines[2:8]] == list(TEMPLATE_LABELS)
    assert all(line.startswith(OPTIONAL_LABELS) for line in lines[8:])
    assert len(lines) <= 10
    assert sum(line.startswith("MFA:") for line in lines) == 1


def assert_within_sns_limits(request: dict[str, Any]) -> None:
    """What SNS Publish accepts: subject printable ASCII under 100 characters, message
    and attributes within 256 KB, each protocol's message clean."""
    subject = request["Subject"]
    assert 0 < len(subject) < 100
    assert subject.isascii()
    assert subject.isprintable()
    attributes = request["MessageAttributes"]
    size = (
        len(request["Message"].encode())
        + len(subject.encode())
        + sum(
            len(k) + len(v["DataType"]) + len(v["StringValue"].encode())
            for k, v in attributes.items()
        )
    )
    assert size <= handler.MESSAGE_BUDGET <= 256 * 1024
    for value in attributes.values():
        assert value["StringValue"]
        assert not [c for c in value["StringValue"] if _bad_char(c)]
    protocols = json.loads(request["Message"])
    assert set(protocols) == {"default", "sqs", "lambda", "http", "https"}
    assert_template_text(protocols["default"])
    for name in ("sqs", "lambda", "http", "https"):
        document = json.loads(protocols[name])
        assert not [c for text in _strings(document) for c in text if _bad_char(c)]
        assert document["title"] == subject


def _create_bucket_event() -> dict[str, Any]:
    return _fixture("cwe__event-cloud-trail-create-bucket.json")


def _publish(event: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sns = _FakeSns()
    result = handler.handle(event, sns=sns, topic_arn="arn:aws:sns:us-east-1:111122223333:t")
    return result, sns.published


def _published_alert(event: Any) -> tuple[dict[str, Any], str]:
    """The JSON alert and the e-mail text of an event that must be published."""
    result, published = _publish(event)
    assert result["status"] == "published", result
    (request,) = published
    protocols = json.loads(request["Message"])
    return json.loads(protocols["sqs"]), protocols["default"]


def _set(event: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    event = copy.deepcopy(event)
    target = event["detail"]
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    return event


@pytest.mark.parametrize(
    "change",
    [
        {"source": "my.app"},  # a custom PutEvents event carrying a made-up root record
        {"source": "awsx.signin"},
        {"source": "AWS.signin"},
        {"source": ""},
        {"source": None},
        {"source": ["aws.signin"]},
        {"detail-type": "Root Activity"},
        {"detail-type": ["AWS API Call via CloudTrail"]},
        {"detail-type": None},
        {"detail": json.dumps(_fixture("cwe__event-cloud-trail-create-bucket.json")["detail"])},
    ],
    ids=repr,
)
def test_forged_or_foreign_envelopes_are_rejected(
    wiring: tuple[Any, str], change: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    sqs, queue = wiring
    event = {**_create_bucket_event(), **change}
    with caplog.at_level(logging.ERROR, logger=handler.logger.name):
        result = handler.handler(event, None)
    assert result["status"] == "rejected"
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert _received(sqs, queue) == []


def test_missing_source_or_detail_type_is_rejected() -> None:
    for key in ("source", "detail-type", "detail"):
        event = _create_bucket_event()
        del event[key]
        result, published = _publish(event)
        assert result["status"] == "rejected", key
        assert published == []


def test_every_cloudtrail_detail_type_is_accepted_and_matches_the_rule() -> None:
    import rootguard

    assert set(PATTERN["detail-type"]) == handler.CLOUDTRAIL_DETAIL_TYPES
    assert PATTERN["source"] == [{"prefix": "aws."}]
    for detail_type in sorted(handler.CLOUDTRAIL_DETAIL_TYPES):
        event = {**_create_bucket_event(), "detail-type": detail_type}
        assert _publish(event)[0]["status"] == "published"
        assert rootguard.event_pattern_matches(PATTERN, event)
        assert not rootguard.event_pattern_matches(PATTERN, {**event, "source": "my.app"})


def test_the_rule_pattern_stops_custom_events_on_a_bus(inprocess: boto3.Session) -> None:
    # moto's EventBridge evaluates patterns (and, unlike AWS, lets PutEvents use aws.*).
    events = inprocess.client("events", region_name=REGION)
    sqs = inprocess.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="rule-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="root", EventPattern=json.dumps(PATTERN))
    events.put_targets(Rule="root", Targets=[{"Id": "q", "Arn": arn}])
    genuine = _create_bucket_event()
    for source in ("my.app", "aws.s3"):
        events.put_events(
            Entries=[
                {
                    "Source": source,
                    "DetailType": genuine["detail-type"],
                    "Detail": json.dumps(genuine["detail"]),
                }
            ]
        )
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["source"] for m in messages] == ["aws.s3"]


def test_evil_region_builds_no_link_and_appears_nowhere() -> None:
    evil = "us-east-1.console.aws.amazon.com.evil.example/x?"
    event = _set(_create_bucket_event(), "awsRegion", evil)
    result, (request,) = _publish(event)
    assert result["status"] == "published"
    alert = json.loads(json.loads(request["Message"])["sqs"])
    assert alert["where"]["region"] == "invalid"
    assert alert["console_link"] is None
    assert "evil" not in json.dumps(request)
    assert "Console:" not in json.loads(request["Message"])["default"]


@pytest.mark.parametrize(
    ("region", "link"),
    [
        ("us-east-1", "https://us-east-1.console.aws.amazon.com/"),
        ("us-gov-west-1", "https://us-gov-west-1.console.amazonaws-us-gov.com/"),
        ("cn-north-1", "https://cn-north-1.console.amazonaws.cn/"),
        ("ap-southeast-7", "https://ap-southeast-7.console.aws.amazon.com/"),
        ("us-isob-east-1", None),  # no public console
        ("us-east-1 ", None),
        ("US-EAST-1", None),
        ("us-east-1.evil.example", None),
        ("us-east-1/", None),
        ("", None),
    ],
)
def test_console_link_only_from_a_region_shape(region: str, link: str | None) -> None:
    built = handler.console_link(region, "3e7a1c2b-0000-4000-8000-000000000001")
    if link is None:
        assert built is None
    else:
        assert built is not None
        assert built.startswith(link)
    assert handler.console_link("us-east-1", "../x#y") is None  # event id shape-checked


@pytest.mark.parametrize(
    "path",
    [
        "sourceIPAddress",
        "eventName",
        "eventSource",
        "errorCode",
        "userAgent",
        "awsRegion",
        "eventID",
        "recipientAccountId",
        "userIdentity.arn",
        "userIdentity.accessKeyId",
        "userIdentity.accountId",
    ],
)
def test_newlines_in_a_field_inject_no_line(path: str) -> None:
    event = _create_bucket_event()
    original = event["detail"]
    value = original
    for part in path.split("."):
        value = value.get(part) or "x"
    hostile = _set(event, path, f"{value}{INJECTION}")
    alert, text = _published_alert(hostile)
    assert_template_text(text)
    (mfa_line,) = [line for line in text.split("\n") if line.startswith("MFA:")]
    assert mfa_line == "MFA:      NO"  # the root console session had no MFA
    assert "\n" not in json.dumps(alert["who"]) + json.dumps(alert["what"])


def test_identifiers_are_shape_checked() -> None:
    event = _create_bucket_event()
    event = _set(event, "sourceIPAddress", "evil.example")
    event = _set(event, "recipientAccountId", "61919311784")
    event = _set(event, "userIdentity.accountId", "61919311784")
    event = _set(event, "eventID", "not an id/../")
    event = _set(event, "userIdentity.accessKeyId", "ASIA key with spaces")
    event = _set(event, "userIdentity.arn", "https://evil.example/")
    event["id"] = "<script>"
    alert, text = _published_alert(event)
    assert alert["where"]["source_ip"] == "invalid"
    assert alert["where"]["account_id"] == "invalid"
    assert alert["event_id"] == "invalid"
    assert alert["who"]["access_key_id"] == "invalid"
    assert alert["who"]["actor_arn"] == "invalid"
    assert alert["eventbridge_id"] == "invalid"
    assert alert["console_link"] is None
    assert alert["title"].endswith("in account invalid")
    assert "evil" not in text


@pytest.mark.parametrize(
    ("ip", "shown"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("autoscaling.amazonaws.com", "autoscaling.amazonaws.com"),
        ("AWS Internal", "AWS Internal"),
        ("192.0.2.1\nMFA: yes", "invalid"),
        ("999.1.1.1", "invalid"),
        ("amazonaws.com.evil.example", "invalid"),
    ],
)
def test_source_ip_is_an_address_or_a_service_name(ip: str, shown: str) -> None:
    assert handler.valid_source_ip(ip) == shown


def test_unicode_separators_and_bidi_overrides_are_removed() -> None:
    event = _set(_create_bucket_event(), "userAgent", "Mozilla\u202eevil\u2066x\u200b\u2028y")
    event = _set(event, "eventName", "Create\u2029Bucket\u202d")
    alert, text = _published_alert(event)
    assert alert["where"]["user_agent"] == "Mozillaevilx y"
    assert alert["what"]["event_name"] == "Create Bucket"
    assert "CreateBucket" not in text  # the text shows the cleaned name, not the raw one
    assert "Create Bucket" in text


def test_300kb_user_agent_still_arrives_within_limits(wiring: tuple[Any, str]) -> None:
    sqs, queue = wiring
    event = _set(_create_bucket_event(), "userAgent", "A" * 300_000)
    event = _set(event, "requestParameters", {f"k{i}": "v" * 5000 for i in range(100)})
    result = handler.handler(event, None)
    assert result["status"] == "published"
    (envelope,) = _received(sqs, queue)
    alert = json.loads(envelope["Message"])
    assert len(alert["where"]["user_agent"]) <= 512
    assert alert["where"]["user_agent"].endswith("...")
    assert alert["request_parameters"] == "(omitted: too large)"
    assert alert["what"]["event_name"] == "CreateBucket"


def test_huge_non_ascii_values_fit(wiring: tuple[Any, str]) -> None:
    # Non-ASCII grows when JSON-escaped twice and copied per protocol: still within limits.
    event = _set(_create_bucket_event(), "userAgent", "\U0001f600" * 100_000)
    params = {f"\u6f22{i}": ["\U0001f600" * 300] * 40 for i in range(40)}
    event = _set(event, "requestParameters", params)
    for field in ("eventName", "errorCode", "eventSource"):
        event = _set(event, field, "\u00e9" * 50_000)
    result, (request,) = _publish(event)
    assert result["status"] == "published"
    assert_within_sns_limits(request)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("userAgent", 5),
        ("sourceIPAddress", ["192.0.2.1"]),
        ("errorCode", {"code": "AccessDenied"}),
        ("awsRegion", 7),
        ("eventID", 1.5),
        ("eventTime", "yesterday"),
        ("userIdentity.arn", True),
        ("userIdentity.accessKeyId", 12345678901234567890),
        ("requestParameters", "text"),
        ("requestParameters", [1, 2]),
    ],
)
def test_a_field_of_the_wrong_type_is_ignored_not_the_alert(path: str, value: Any) -> None:
    alert, text = _published_alert(_set(_create_bucket_event(), path, value))
    assert alert["ignored_fields"] == [path]
    assert text.split("\n")[-1].startswith("Note:     ignored (unexpected type): ")
    assert alert["what"]["event_name"] == "CreateBucket"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("userAgent", None),
        ("sourceIPAddress", None),
        ("eventName", None),
        ("errorCode", None),
        ("awsRegion", None),
        ("eventID", None),
        ("recipientAccountId", None),
        ("requestParameters", None),
    ],
)
def test_null_where_a_string_is_expected(path: str, value: Any) -> None:
    alert, text = _published_alert(_set(_create_bucket_event(), path, value))
    assert alert["ignored_fields"] == []
    assert_template_text(text)


def test_minimal_root_record_with_everything_missing() -> None:
    event = {
        **_create_bucket_event(),
        "detail": {"userIdentity": {"type": "Root"}, "eventName": "X"},
    }
    del event["id"]
    alert, text = _published_alert(event)
    assert alert["where"] == {
        "account_id": None,
        "region": None,
        "source_ip": None,
        "user_agent": None,
    }
    assert alert["console_link"] is None
    assert alert["title"].endswith("in account unknown")
    assert "Where:    account unknown, region unknown, from unknown" in text


def test_deeply_nested_parameters_are_cut() -> None:
    nested: Any = "leaf"
    for _ in range(50):
        nested = {"a": nested}
    alert, _ = _published_alert(_set(_create_bucket_event(), "requestParameters", nested))
    assert "(omitted: nested too deeply)" in json.dumps(alert["request_parameters"])


def test_log_lines_carry_no_injected_line(caplog: pytest.LogCaptureFixture) -> None:
    event = {**_create_bucket_event(), "source": "my.app\nINFO published", "id": "x\ny"}
    with caplog.at_level(logging.INFO, logger=handler.logger.name):
        assert _publish(event)[0]["status"] == "rejected"
    assert caplog.records
    assert all("\n" not in r.getMessage() for r in caplog.records)


_SPICY = st.sampled_from(
    [
        *"aZ09 .:-/@",
        *("\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"),
        *("\u202e", "\u2066", "\u200b", "\ufeff", "\ue000", "\u00e9", "\u6f22", "\U0001f600"),
    ]
)
_hostile_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=_SPICY, max_size=60),
    st.sampled_from(
        [
            "us-east-1",
            "us-east-1.console.aws.amazon.com.evil.example",
            "192.0.2.1",
            "111122223333",
            "A" * 3000,
        ]
    ),
)
_hostile_values = _hostile_text | ct_json_values
_RECORD_FIELDS = (
    "eventName",
    "eventSource",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "eventID",
    "requestID",
    "recipientAccountId",
    "eventTime",
    "eventType",
    "requestParameters",
    "responseElements",
    "additionalEventData",
)
_IDENTITY_FIELDS = ("arn", "accountId", "accessKeyId", "principalId", "invokedBy")


_ROOT_RECORDS = [e.record for e in root_events("111122223333")]


@st.composite
def hostile_events(draw: st.DrawFn) -> dict[str, Any]:
    """Root and non-root records wrapped as EventBridge delivers them, with hostile
    values in any field, envelope fields included."""
    record = draw(ct_records() | st.sampled_from(_ROOT_RECORDS).map(copy.deepcopy))
    for name in draw(st.lists(st.sampled_from(_RECORD_FIELDS), max_size=5, unique=True)):
        record[name] = draw(_hostile_values)
    identity = record.get("userIdentity")
    if isinstance(identity, dict):
        for name in draw(st.lists(st.sampled_from(_IDENTITY_FIELDS), max_size=3, unique=True)):
            identity[name] = draw(_hostile_values)
    event = ct_wrap(record, "eventbridge")
    event["detail-type"] = draw(st.sampled_from(sorted(handler.CLOUDTRAIL_DETAIL_TYPES)))
    event["source"] = draw(st.sampled_from(["aws.iam", "aws.signin", "my.app"]))
    # The envelope is tampered with in one event out of four (most reach the rendering).
    for key in draw(st.lists(st.sampled_from(["detail-type", "source", "id"]), max_size=3)):
        if draw(st.integers(0, 3)) == 0:
            event[key] = draw(_hostile_values)
    return event


@settings(max_examples=300, deadline=None)
@given(event=st.one_of(hostile_events(), _events))
def test_hostile_events_never_crash_and_publish_only_clean_alerts(event: Any) -> None:
    result, published = _publish(event)  # _FakeSns checks every request it gets
    assert result["status"] in ("published", "ignored", "rejected")
    assert len(published) == (result["status"] == "published")
    if published:
        assert isinstance(event.get("source"), str)
        assert event["source"].startswith("aws.")
        assert event["detail-type"] in handler.CLOUDTRAIL_DETAIL_TYPES

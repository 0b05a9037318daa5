"""The EventBridge event-pattern engine: AWS's documented examples, root-alerting rules on
real CloudTrail samples, invalid patterns, a cross-check with moto's matcher, never-crash."""

from __future__ import annotations

import ipaddress
import json
import re
import time
import types
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from moto.events.models import EventPattern as MotoEventPattern

from rootguard import (
    EventPattern,
    PatternError,
    compile_event_pattern,
    event_pattern_matches,
)
from tests.strategies import (
    ep_cidr_blocks,
    ep_crosscheck_cases,
    ep_crosscheck_events,
    ep_crosscheck_matchers,
    ep_crosscheck_patterns,
    ep_dotted,
    ep_events_for_nested,
    ep_glob_values,
    ep_globs,
    ep_ip_texts,
    ep_json_values,
    ep_nested_patterns,
    ep_pattern_like,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Events used by several documented examples.
EC2_STATE_CHANGE = {  # "Amazon EventBridge event patterns" (eb-event-patterns)
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
AUTOSCALING_LAUNCH = {  # eb-event-patterns "Field matching"; eb-event-patterns-null-values
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}
MACIE_ALERT = {  # eb-event-patterns "Value matching" (truncated in the guide, as here)
    "version": "0",
    "id": "3e355723-fca9-4de3-9fd7-154c289d6b59",
    "detail-type": "Macie Alert",
    "source": "aws.macie",
    "account": "123456789012",
    "time": "2017-04-24T22:28:49Z",
    "region": "us-east-1",
    "resources": [
        "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id",
        "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id",
    ],
    "detail": {
        "notification-type": "ALERT_CREATED",
        "name": "Scanning bucket policies",
        "tags": ["Custom_Alert", "Insider"],
        "risk-score": 80,
        "trigger": {"alert-type": "basic", "risk": 8},
    },
}
RULER_SAMPLE = {  # event-ruler README (AWS's matcher library) "Ruler by Example"
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}
EMPLOYEES = {  # event-ruler README "JSON Array Matching"
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}
NUMERIC_PATTERN = {
    "detail": {
        "c-count": [{"numeric": [">", 0, "<=", 5]}],
        "d-count": [{"numeric": ["<", 10]}],
        "x-limit": [{"numeric": ["=", 3.018e2]}],
    }
}


def detail(**fields: Any) -> dict[str, Any]:
    return {"source": "aws.test", "detail": fields}


# (pattern, event, expected). The comment above each group names the AWS page and section;
# "described" means the guide gives the pattern and says in words what it matches, and the
# event is built from those words.
AWS_DOCUMENTED = [
    # -- "Amazon EventBridge event patterns": the EC2 instance-termination pattern.
    pytest.param(
        {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["terminated"]},
        },
        EC2_STATE_CHANGE,
        True,
        id="eb-event-patterns/ec2-termination",
    ),
    # -- same page, "Match Values": source is either aws.ec2 or aws.fargate.
    pytest.param(
        {"source": ["aws.ec2", "aws.fargate"]}, EC2_STATE_CHANGE, True, id="match-values/ec2"
    ),
    pytest.param(
        {"source": ["aws.ec2", "aws.fargate"]},
        {**EC2_STATE_CHANGE, "source": "aws.s3"},
        False,
        id="match-values/other-source",
    ),
    # -- same page, "Field matching": responseElements is null.
    pytest.param(
        {
            "source": ["aws.autoscaling"],
            "detail-type": ["EC2 Instance Launch Successful"],
            "detail": {"responseElements": [None]},
        },
        AUTOSCALING_LAUNCH,
        True,
        id="field-matching/null",
    ),
    # -- same page, "Value matching": risk score 80 and trigger risk 8.
    pytest.param(
        {
            "source": ["aws.macie"],
            "detail-type": ["Macie Alert"],
            "detail": {"risk-score": [80], "trigger": {"risk": [8]}},
        },
        MACIE_ALERT,
        True,
        id="value-matching/macie",
    ),
    # -- "Matching null values and empty strings": both documented patterns match, and
    # "null values and empty strings are not interchangeable".
    pytest.param(
        {"detail": {"eventVersion": [""]}}, AUTOSCALING_LAUNCH, True, id="null-values/empty"
    ),
    pytest.param(
        {"detail": {"responseElements": [None]}}, AUTOSCALING_LAUNCH, True, id="null-values/null"
    ),
    pytest.param(
        {"detail": {"responseElements": [""]}},
        AUTOSCALING_LAUNCH,
        False,
        id="null-values/empty-string-is-not-null",
    ),
    pytest.param(
        {"detail": {"eventVersion": [None]}},
        AUTOSCALING_LAUNCH,
        False,
        id="null-values/null-is-not-empty-string",
    ),
    # -- "Arrays in Amazon EventBridge event patterns": the first pattern value matches the
    # second event value, so the pattern matches.
    pytest.param(
        {
            "resources": [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
            ]
        },
        {
            "resources": [
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-"
                "401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ]
        },
        True,
        id="arrays/intersection",
    ),
    # -- "Content filtering", Prefix matching: time starting with 2017-10-02.
    pytest.param(
        {"time": [{"prefix": "2017-10-02"}]},
        {"time": "2017-10-02T18:43:48Z"},
        True,
        id="prefix/time",
    ),
    pytest.param(
        {"time": [{"prefix": "2017-10-02"}]}, EC2_STATE_CHANGE, False, id="prefix/other-day"
    ),
    # -- Prefix matching while ignoring case (described): EventB, EVENTB, eventb ...
    pytest.param(
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        detail(service="eventbridge"),
        True,
        id="prefix-ignore-case/lower",
    ),
    pytest.param(
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        detail(service="EVENTBUS"),
        True,
        id="prefix-ignore-case/upper",
    ),
    pytest.param(
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        detail(service="Lambda"),
        False,
        id="prefix-ignore-case/other",
    ),
    # -- Suffix matching (described): FileName ending with .png.
    pytest.param(
        {"FileName": [{"suffix": ".png"}]}, {"FileName": "photo.png"}, True, id="suffix/png"
    ),
    pytest.param(
        {"FileName": [{"suffix": ".png"}]}, {"FileName": "photo.PNG"}, False, id="suffix/case"
    ),
    # -- Suffix matching while ignoring case (described): .png, .PNG ...
    pytest.param(
        {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
        detail(FileName="photo.PNG"),
        True,
        id="suffix-ignore-case/upper",
    ),
    # -- Anything-but matching (described): state anything but "initializing".
    pytest.param(
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        detail(state="running"),
        True,
        id="anything-but/string/other",
    ),
    pytest.param(
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        detail(state="initializing"),
        False,
        id="anything-but/string/same",
    ),
    pytest.param(
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        detail(**{"x-limit": 123}),
        False,
        id="anything-but/number/same",
    ),
    pytest.param(
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        detail(**{"x-limit": 124}),
        True,
        id="anything-but/number/other",
    ),
    pytest.param(
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        detail(state="overloaded"),
        False,
        id="anything-but/string-list/listed",
    ),
    pytest.param(
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        detail(**{"x-limit": 250}),
        True,
        id="anything-but/number-list/unlisted",
    ),
    pytest.param(
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        detail(state="initializing"),
        False,
        id="anything-but/prefix/prefixed",
    ),
    pytest.param(
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        detail(state="running"),
        True,
        id="anything-but/prefix/other",
    ),
    # -- "Comparison operators" table rows (described).
    pytest.param(  # And: Location is "New York" and Day is "Monday"
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Monday"},
        True,
        id="operators/and",
    ),
    pytest.param(
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Tuesday"},
        False,
        id="operators/and/one-fails",
    ),
    pytest.param(  # Anything-but (begins with): Region is not in the US
        {"Region": [{"anything-but": {"prefix": "us-"}}]},
        {"Region": "us-east-1"},
        False,
        id="operators/anything-but-prefix/us",
    ),
    pytest.param(
        {"Region": [{"anything-but": {"prefix": "us-"}}]},
        {"Region": "eu-west-1"},
        True,
        id="operators/anything-but-prefix/eu",
    ),
    pytest.param(  # Anything-but (ends with): FileName does not end with .png
        {"FileName": [{"anything-but": {"suffix": ".png"}}]},
        {"FileName": "notes.txt"},
        True,
        id="operators/anything-but-suffix",
    ),
    pytest.param(  # Anything-but (ignore case): besides "initializing" in any casing
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "INITIALIZING"},
        False,
        id="operators/anything-but-ignore-case",
    ),
    pytest.param(  # Anything-but using a wildcard: not a path that includes /lib/
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/lib/libc.so"},
        False,
        id="operators/anything-but-wildcard/lib",
    ),
    pytest.param(
        {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
        {"FilePath": "/usr/bin/env"},
        True,
        id="operators/anything-but-wildcard/bin",
    ),
    pytest.param(  # Begins with: Region is in the US
        {"Region": [{"prefix": "us-"}]}, {"Region": "us-west-2"}, True, id="operators/begins-with"
    ),
    pytest.param(  # Empty: LastName is empty
        {"LastName": [""]}, {"LastName": ""}, True, id="operators/empty"
    ),
    pytest.param(  # Equals: Name is "Alice"
        {"Name": ["Alice"]}, {"Name": "alice"}, False, id="operators/equals-is-case-sensitive"
    ),
    pytest.param(  # Equals (ignore case)
        {"Name": [{"equals-ignore-case": "alice"}]},
        {"Name": "ALICE"},
        True,
        id="operators/equals-ignore-case",
    ),
    pytest.param(  # Ends with (ignore case): "tbridge" in any casing
        {"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]},
        {"service": "EVENTBRIDGE"},
        True,
        id="operators/ends-with-ignore-case",
    ),
    pytest.param(  # Exists: ProductName exists
        {"ProductName": [{"exists": True}]},
        {"ProductName": "Widget"},
        True,
        id="operators/exists",
    ),
    pytest.param(  # Does not exist
        {"ProductName": [{"exists": False}]},
        {"Price": 10},
        True,
        id="operators/does-not-exist",
    ),
    pytest.param(  # Not: Weather is anything but "Raining"
        {"Weather": [{"anything-but": ["Raining"]}]},
        {"Weather": "Raining"},
        False,
        id="operators/not",
    ),
    pytest.param(  # Null: UserID is null
        {"UserID": [None]}, {"UserID": None}, True, id="operators/null"
    ),
    pytest.param(  # Numeric (equals): Price is 100
        {"Price": [{"numeric": ["=", 100]}]}, {"Price": 100}, True, id="operators/numeric-equals"
    ),
    pytest.param(  # Numeric (range): more than 10, at most 20
        {"Price": [{"numeric": [">", 10, "<=", 20]}]},
        {"Price": 20},
        True,
        id="operators/numeric-range/top",
    ),
    pytest.param(
        {"Price": [{"numeric": [">", 10, "<=", 20]}]},
        {"Price": 10},
        False,
        id="operators/numeric-range/bottom-open",
    ),
    pytest.param(  # Or: PaymentType is "Credit" or "Debit"
        {"PaymentType": ["Credit", "Debit"]},
        {"PaymentType": "Debit"},
        True,
        id="operators/or-values",
    ),
    pytest.param(  # Or (multiple fields): Location is "New York", or Day is "Monday"
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "Boston", "Day": "Monday"},
        True,
        id="operators/or-fields",
    ),
    pytest.param(
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "Boston", "Day": "Friday"},
        False,
        id="operators/or-fields/neither",
    ),
    pytest.param(  # Wildcard: any .png file within the folder "dir"
        {"FileName": [{"wildcard": "dir/*.png"}]},
        {"FileName": "dir/photo.png"},
        True,
        id="operators/wildcard",
    ),
    pytest.param(
        {"FileName": [{"wildcard": "dir/*.png"}]},
        {"FileName": "other/photo.png"},
        False,
        id="operators/wildcard/other-dir",
    ),
    # -- "Content filtering", Numeric matching: true for all three fields.
    pytest.param(NUMERIC_PATTERN, RULER_SAMPLE, True, id="numeric/all-fields"),
    pytest.param(
        NUMERIC_PATTERN,
        {"detail": {**RULER_SAMPLE["detail"], "c-count": 0}},
        False,
        id="numeric/c-count-out-of-range",
    ),
    # -- "Content filtering", IP address matching (IPv4 and IPv6).
    pytest.param(
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        detail(sourceIPAddress="10.0.0.24"),
        True,
        id="cidr/ipv4/in",
    ),
    pytest.param(
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        detail(sourceIPAddress="10.0.1.1"),
        False,
        id="cidr/ipv4/out",
    ),
    pytest.param(
        {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}},
        detail(sourceIPAddress="2001:db8::1:2"),
        True,
        id="cidr/ipv6/in",
    ),
    # -- "Content filtering", Exists matching: both documented events match exists:false,
    # the second "because c-count isn't a leaf node".
    pytest.param(
        {"detail": {"c-count": [{"exists": False}]}},
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
            "detail": {"state": ["initializing", "running"]},
        },
        True,
        id="exists/false/absent",
    ),
    pytest.param(
        {"detail": {"c-count": [{"exists": False}]}},
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
            "detail": {"state": ["initializing", "running"], "c-count": {"c1": 100}},
        },
        True,
        id="exists/false/intermediate-node",
    ),
    # -- "Complex example with multiple matching" (the event is event-ruler's sample).
    pytest.param(
        {
            "time": [{"prefix": "2017-10-02"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"anything-but": [100, 200, 300]}],
            },
        },
        RULER_SAMPLE,
        True,
        id="complex-example",
    ),
    # -- "Content filtering", $or: c-count, d-count or x-limit.
    pytest.param(
        {
            "detail": {
                "$or": [
                    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                    {"d-count": [{"numeric": ["<", 10]}]},
                    {"x-limit": [{"numeric": ["=", 3.018e2]}]},
                ]
            }
        },
        detail(**{"c-count": 9, "d-count": 50, "x-limit": 301.8}),
        True,
        id="or/third-branch",
    ),
    # -- event-ruler README (AWS's matcher), "JSON Array Matching": array-consistent.
    pytest.param(
        {"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True, id="arrays-of-objects/one-field"
    ),
    pytest.param(
        {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}},
        EMPLOYEES,
        False,
        id="arrays-of-objects/fields-from-different-elements",
    ),
    pytest.param(
        {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}},
        EMPLOYEES,
        True,
        id="arrays-of-objects/same-element",
    ),
    # -- Lambda event filtering (which follows EventBridge): exists does not match the
    # intermediate node "address".
    pytest.param(
        {"person": {"address": [{"exists": True}]}},
        {
            "person": {
                "name": "John Doe",
                "age": 30,
                "address": {"street": "123 Main St", "city": "Anytown", "country": "USA"},
            }
        },
        False,
        id="exists/true/intermediate-node",
    ),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), AWS_DOCUMENTED)
def test_aws_documented_examples(
    pattern: dict[str, Any], event: dict[str, Any], expected: bool
) -> None:
    assert event_pattern_matches(pattern, event) is expected
    assert event_pattern_matches(json.dumps(pattern), event) is expected


# ---------------------------------------------------------------------------------------
# Root alerting on real CloudTrail samples, wrapped as EventBridge delivers them
# ---------------------------------------------------------------------------------------

ROOT_TYPE = {"detail": {"userIdentity": {"type": ["Root"]}}}
# What a good root-alerting rule looks like: both CloudTrail detail-types, root identity,
# not invoked by an AWS service other than sign-in, not an AWS service event.
ROOT_ALERT = {
    "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
    "detail": {
        "userIdentity": {
            "type": ["Root"],
            "invokedBy": [{"exists": False}, "signin.amazonaws.com"],
        },
        "eventType": [{"anything-but": "AwsServiceEvent"}],
    },
}


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as EventBridge delivers a CloudTrail record."""
    source = str(record.get("eventSource", "unknown.amazonaws.com")).split(".")[0]
    console = str(record.get("eventType", "")).lower() == "awsconsolesignin"
    return {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": (
            "AWS Console Sign In via CloudTrail" if console else "AWS API Call via CloudTrail"
        ),
        "source": f"aws.{source}",
        "account": record.get("recipientAccountId", "123456789012"),
        "time": record.get("eventTime", "2024-01-01T00:00:00Z"),
        "region": record.get("awsRegion", "us-east-1"),
        "resources": [],
        "detail": record,
    }


def _awsdocs_cases() -> list[Any]:
    entries = json.loads((FIXTURES / "awsdocs" / "awsdocs_extracted_records.json").read_text())
    cases = []
    for entry in entries:
        # The sample's label is its documentation section: "Root user, ..." records are root.
        is_root = entry["section"].startswith("Root user")
        cases.append(pytest.param(envelope(entry["record"]), is_root, id=entry["anchor"]))
    return cases


# (file, root identity?, a human's root activity that must alert?) per PROVENANCE.md.
CUSTODIAN_SAMPLES = [
    ("cwe__event-cloud-trail-create-bucket.json", True, True),  # root CreateBucket (envelope)
    ("cwe__event-appmesh-create-virtualnode.json", True, True),  # root console session
    ("cwe__event-cloud-trail-run-instances.json", True, False),  # invoked by autoscaling
    ("cwe__event-cloud-trail-run-instance-creator.json", False, False),
    ("cwe__event-cloud-trail-create-db.json", False, False),
    ("cwe__event-cloud-trail-s3.json", False, False),  # AssumedRole (envelope)
]


def _custodian_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "cloud-custodian" / name).read_text())
    return data if "detail-type" in data else envelope(data)


@pytest.mark.parametrize(("event", "is_root"), _awsdocs_cases())
def test_root_type_pattern_on_aws_documentation_records(
    event: dict[str, Any], is_root: bool
) -> None:
    assert event_pattern_matches(ROOT_TYPE, event) is is_root
    # None of these records is service-invoked, so the full alerting rule agrees.
    assert event_pattern_matches(ROOT_ALERT, event) is is_root


@pytest.mark.parametrize(("name", "is_root", "alerts"), CUSTODIAN_SAMPLES)
def test_root_patterns_on_cloud_custodian_records(name: str, is_root: bool, alerts: bool) -> None:
    event = _custodian_event(name)
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event_pattern_matches(ROOT_TYPE, event) is is_root
    assert event_pattern_matches(ROOT_ALERT, event) is alerts


def test_root_patterns_on_the_assume_root_pair() -> None:
    # [0]: the AssumeRoot call, made by an IAM role in the management account: not a Root
    # identity. [1]: the member-account call made by that root session: Root.
    records = json.loads(
        (
            FIXTURES / "awsdocs" / "iam-user-guide__cloudtrail-track-privileged-tasks__records.json"
        ).read_text()
    )
    caller, member = (envelope(r) for r in records)
    assert not event_pattern_matches(ROOT_TYPE, caller)
    assert event_pattern_matches(ROOT_TYPE, member)
    assert event_pattern_matches(ROOT_ALERT, member)
    assigned = {"detail": {"requestParameters": {"targetPrincipal": [{"exists": True}]}}}
    assert event_pattern_matches({**assigned, "source": ["aws.sts"]}, caller)


def test_root_rule_detail_type_and_service_event_exclusion() -> None:
    signin = _awsdocs_cases()[5].values[0]  # "Root user, successful sign-in without MFA"
    assert signin["detail-type"] == "AWS Console Sign In via CloudTrail"
    api_only = {**ROOT_ALERT, "detail-type": ["AWS API Call via CloudTrail"]}
    assert event_pattern_matches(ROOT_ALERT, signin)
    assert not event_pattern_matches(api_only, signin)  # a rule for API calls misses sign-ins
    service_event = {**signin, "detail": {**signin["detail"], "eventType": "AwsServiceEvent"}}
    assert not event_pattern_matches(ROOT_ALERT, service_event)
    # anything-but needs the field: a record without eventType does not match it.
    no_type = {k: v for k, v in signin["detail"].items() if k != "eventType"}
    assert not event_pattern_matches(ROOT_ALERT, {**signin, "detail": no_type})


# ---------------------------------------------------------------------------------------
# Invalid patterns: PatternError naming the JSON path
# ---------------------------------------------------------------------------------------

INVALID = [
    ("[]", "$: an event pattern must be a JSON object"),
    ('"text"', "$: an event pattern must be a JSON object"),
    ("{}", "$: empty objects are not allowed"),
    ('{"a": {}}', "$.a: empty objects are not allowed"),
    ('{"a": "x"}', "$.a: must be an object or an array"),
    ('{"a": null}', "$.a: must be an object or an array"),
    ('{"a": []}', "$.a: empty arrays are not allowed"),
    ('{"a": [[1]]}', "$.a[0]: a match value must be"),
    ('{"detail": {"a": [{"foo": 1}]}}', "$.detail.a[0]: unknown operator 'foo'"),
    ('{"a": [{"equals": "x"}]}', "$.a[0]: unknown operator 'equals'"),
    ('{"a": [{}]}', "$.a[0]: an operator object needs exactly one key"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "$.a[0]: an operator object needs exactly one"),
    ('{"a": [{"prefix": 1}]}', "$.a[0].prefix: prefix takes a string"),
    ('{"a": [{"prefix": ["x"]}]}', "$.a[0].prefix: prefix takes a string"),
    ('{"a": [{"prefix": {"equals-ignore-case": 1}}]}', "$.a[0].prefix: prefix takes a string"),
    ('{"a": [{"suffix": {"foo": "x"}}]}', "$.a[0].suffix: suffix takes a string"),
    ('{"a": [{"equals-ignore-case": ["x"]}]}', "$.a[0].equals-ignore-case: equals-ignore-case"),
    ('{"a": [{"exists": "true"}]}', "$.a[0].exists: exists takes true or false"),
    ('{"a": [{"numeric": 5}]}', "$.a[0].numeric: numeric takes an array"),
    ('{"a": [{"numeric": [">", 1, "<"]}]}', "$.a[0].numeric: numeric takes one comparison"),
    ('{"a": [{"numeric": ["!=", 1]}]}', "$.a[0].numeric[0]: unknown numeric operator"),
    ('{"a": [{"numeric": [">", "1"]}]}', "$.a[0].numeric[1]: the value after '>' must be a"),
    ('{"a": [{"numeric": [">", true]}]}', "$.a[0].numeric[1]: the value after '>' must be a"),
    ('{"a": [{"numeric": ["<", 1, ">", 0]}]}', "$.a[0].numeric[0]: a numeric range starts with"),
    ('{"a": [{"numeric": [">", 0, ">", 1]}]}', "$.a[0].numeric[2]: a numeric range ends with"),
    ('{"a": [{"numeric": [">", 5, "<", 5]}]}', "$.a[0].numeric: the bottom of a numeric range"),
    ('{"a": [{"numeric": [">", 6e9]}]}', "$.a[0].numeric[1]: numeric values must be between"),
    ('{"a": [{"anything-but": []}]}', "$.a[0].anything-but: empty arrays are not allowed"),
    ('{"a": [{"anything-but": null}]}', "$.a[0].anything-but: anything-but takes a string"),
    ('{"a": [{"anything-but": true}]}', "$.a[0].anything-but: anything-but takes a string"),
    ('{"a": [{"anything-but": ["x", 1]}]}', "$.a[0].anything-but: anything-but takes a string"),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "$.a[0].anything-but.prefix: an empty prefix"),
    ('{"a": [{"anything-but": {"prefix": 1}}]}', "$.a[0].anything-but.prefix: prefix in any"),
    ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}', "$.a[0].anything-but.numeric: unknown"),
    ('{"a": [{"anything-but": {"wildcard": "a**"}}]}', "$.a[0].anything-but.wildcard: consecu"),
    ('{"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}', "$.a[0].anything-but: anyth"),
    ('{"a": [{"wildcard": "a**b"}]}', "$.a[0].wildcard: consecutive wildcard characters"),
    ('{"a": [{"wildcard": "a\\\\b"}]}', "$.a[0].wildcard: invalid escape"),
    ('{"a": [{"wildcard": "a\\\\"}]}', "$.a[0].wildcard: invalid escape"),
    ('{"a": [{"cidr": "10.0.0.0"}]}', "$.a[0].cidr: '10.0.0.0' is not a CIDR block"),
    ('{"a": [{"cidr": "10.0.0.0/x"}]}', "$.a[0].cidr: '10.0.0.0/x' is not a CIDR block"),
    ('{"a": [{"cidr": "10.0.0/8"}]}', "$.a[0].cidr: '10.0.0' is not an IPv4 or IPv6 address"),
    ('{"a": [{"cidr": "10.0.0.300/8"}]}', "$.a[0].cidr: '10.0.0.300' is not an IPv4"),
    ('{"a": [{"cidr": "example.com/8"}]}', "$.a[0].cidr: 'example.com' is not an IPv4"),
    ('{"a": [{"cidr": "10.0.0.0/33"}]}', "$.a[0].cidr: an IPv4 CIDR has at most 32 mask bits"),
    ('{"a": [{"cidr": "2001:db8::/129"}]}', "$.a[0].cidr: an IPv6 CIDR has at most 128 mask"),
    ('{"$or": {"a": [1]}}', "$.$or: $or must be an array of objects"),
    ('{"$or": [{"a": [1]}]}', "$.$or: $or needs at least 2 objects"),
    ('{"$or": [{"a": [1]}, [1]]}', "$.$or[1]: $or items must be objects"),
    ('{"$or": [{"a": [1]}, {}]}', "$.$or[1]: empty objects are not allowed"),
    ('{"$or": [{"a": [1]}, {"numeric": [1]}]}', "$.$or[1].numeric: 'numeric' is a reserved"),
    ('{"x": {"$or": [{"a": [1]}, {"b": {"c": "d"}}]}}', "$.x.$or[1].b.c: must be an object"),
    ('{"detail-type": 1}', "$.detail-type: must be an object or an array"),
    ('{"a b": 1}', '$["a b"]: must be an object or an array'),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_patterns_raise_pattern_error_naming_the_path(text: str, message: str) -> None:
    with pytest.raises(PatternError) as caught:
        compile_event_pattern(text)
    assert caught.value.message.startswith(message), caught.value.message
    assert caught.value.pattern == text
    assert caught.value.position is None


@pytest.mark.parametrize(
    ("text", "position"),
    [("", 0), ("{", 1), ('{"a": [1,]}', 9), ('{"a": [1]} x', 11), ("{'a': [1]}", 1)],
)
def test_invalid_json_reports_the_character_position(text: str, position: int) -> None:
    with pytest.raises(PatternError) as caught:
        event_pattern_matches(text, {"a": 1})
    assert caught.value.message.startswith("$: invalid JSON")
    assert caught.value.position == position


@pytest.mark.parametrize("text", ['{"a": [NaN]}', '{"a": [Infinity]}', '{"a": [-Infinity]}'])
def test_non_json_number_literals_are_rejected(text: str) -> None:
    with pytest.raises(PatternError, match="invalid JSON"):
        compile_event_pattern(text)


@pytest.mark.parametrize(
    "pattern",
    [None, 5, ["a"], {"a": [float("nan")]}, {"a": [object()]}, {"a": {1j: [1]}}],
    ids=["none", "int", "list", "nan", "object", "complex-key"],
)
def test_patterns_that_are_not_json_objects_raise_pattern_error(pattern: Any) -> None:
    with pytest.raises(PatternError, match=r"^\$: "):
        compile_event_pattern(pattern)


def test_too_deep_patterns_raise_pattern_error() -> None:
    deep: dict[str, Any] = {"a": [1]}
    for _ in range(150):
        deep = {"a": deep}
    with pytest.raises(PatternError, match="nested more than 100"):
        compile_event_pattern(deep)
    with pytest.raises(PatternError, match="nested more than 100") as info:
        compile_event_pattern('{"a":' * 1_000)
    assert info.value.position == 5 * 100  # the 101st '{'


# ---------------------------------------------------------------------------------------
# Semantics beyond the documented examples
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "event_value", "expected"),
    [
        ([3], 3, True),
        ([3], 3.0, True),  # numbers compare by value
        ([3.0], 3, True),
        ([300], 3.0e2, True),
        ([3], "3", False),  # a string is not a number
        (["3"], 3, False),
        ([1], True, False),  # a boolean is not a number
        ([0], False, False),
        ([True], 1, False),
        ([True], "true", False),
        ([None], "null", False),
        ([0.1], 0.1000001, True),  # AWS compares to six decimal places
        ([0.1], 0.100002, False),
        ([123456789012], 123456789012, True),  # beyond the numeric range: compared exactly
        ([123456789012], 123456789013, False),
        (["2001:db8::1"], "2001:DB8:0:0::1", True),  # IP literals compare as addresses
        (["10.0.0.1"], "10.0.0.1", True),
        (["10.0.0.1"], "10.0.0.2", False),
    ],
)
def test_exact_values(values: list[Any], event_value: Any, expected: bool) -> None:
    assert event_pattern_matches({"v": values}, {"v": event_value}) is expected


@pytest.mark.parametrize(
    ("event", "exists_true", "exists_false"),
    [
        ({}, False, True),  # missing
        ({"f": None}, True, False),  # null is a value
        ({"f": ""}, True, False),
        ({"f": 0}, True, False),
        ({"f": False}, True, False),
        ({"f": {"g": 1}}, False, True),  # an object is not a leaf
        ({"f": {}}, False, True),
        ({"f": []}, False, True),  # an empty array has no leaf value
        ({"f": [[]]}, False, True),
        ({"f": [{"g": 1}]}, False, True),  # objects in an array are not leaves of f
        ({"f": [1]}, True, False),
        ({"f": [{"g": 1}, None]}, True, False),
    ],
)
def test_exists_on_leaves_objects_arrays_and_missing_fields(
    event: dict[str, Any], exists_true: bool, exists_false: bool
) -> None:
    assert event_pattern_matches({"f": [{"exists": True}]}, event) is exists_true
    assert event_pattern_matches({"f": [{"exists": False}]}, event) is exists_false


def test_exists_false_on_a_missing_parent_object() -> None:
    pattern = {"detail": {"userIdentity": {"invokedBy": [{"exists": False}]}}}
    assert event_pattern_matches(pattern, {"source": "aws.s3"})
    assert event_pattern_matches(pattern, {"detail": "not an object"})
    assert not event_pattern_matches(
        pattern, {"detail": {"userIdentity": {"invokedBy": "ec2.amazonaws.com"}}}
    )


def test_arrays_of_objects_are_matched_element_by_element() -> None:
    event = {"a": [{"b": 1, "c": "x"}, {"b": 2, "c": "y"}, [{"b": 3, "c": "z"}]]}
    assert event_pattern_matches({"a": {"b": [2], "c": ["y"]}}, event)
    assert not event_pattern_matches({"a": {"b": [2], "c": ["x"]}}, event)
    assert event_pattern_matches({"a": {"b": [3], "c": ["z"]}}, event)  # nested arrays
    # Absence alone must hold for the whole array; with a present value, for that element.
    assert not event_pattern_matches({"a": {"b": [{"exists": False}]}}, event)
    assert event_pattern_matches({"a": {"d": [{"exists": False}]}}, event)
    assert event_pattern_matches({"a": {"b": [1], "d": [{"exists": False}]}}, event)
    mixed = {"a": [{"b": 1}, {"c": 2}]}
    assert not event_pattern_matches({"a": {"b": [{"exists": False}]}}, mixed)
    assert event_pattern_matches({"a": {"c": [2], "b": [{"exists": False}]}}, mixed)
    assert event_pattern_matches({"a": {"$or": [{"b": [1]}, {"c": [9]}], "b": [1]}}, mixed)
    assert not event_pattern_matches({"a": {"$or": [{"b": [1]}, {"c": [9]}], "c": [2]}}, mixed)


def test_event_arrays_of_scalars_match_if_any_element_matches() -> None:
    event = {"tags": ["prod", "pci", 7, None, ["nested"]]}
    assert event_pattern_matches({"tags": ["pci"]}, event)
    assert event_pattern_matches({"tags": ["nested"]}, event)
    assert event_pattern_matches({"tags": [None]}, event)
    assert event_pattern_matches({"tags": [{"numeric": [">", 5]}]}, event)
    assert event_pattern_matches({"tags": [{"anything-but": ["prod"]}]}, event)
    assert not event_pattern_matches({"tags": ["dev"]}, event)
    assert not event_pattern_matches({"tags": [{"anything-but": ["a"]}]}, {"tags": []})


@pytest.mark.parametrize(
    ("matcher", "value", "expected"),
    [
        ({"numeric": ["<", 0]}, -0.5, True),
        ({"numeric": ["<=", 0]}, 0, True),
        ({"numeric": [">=", 1.5]}, 1.5, True),
        ({"numeric": [">", 1.5]}, 1.5, False),
        ({"numeric": [">=", 0, "<", 10]}, 10, False),
        ({"numeric": ["=", 5]}, 5.0, True),
        ({"numeric": ["=", 5]}, "5", False),  # only JSON numbers
        ({"numeric": [">", 0]}, True, False),
        ({"numeric": [">", 0]}, None, False),
        ({"numeric": [">", 0]}, 6e9, False),  # outside the range AWS compares
        ({"numeric": ["<", 0]}, float("-inf"), False),
        ({"numeric": ["<", 0]}, float("nan"), False),
        ({"numeric": [">", 0]}, 10**400, False),
        ({"numeric": [">=", -5e9, "<=", 5e9]}, 5e9, True),
        ({"anything-but": 5}, 5.0, False),
        ({"anything-but": 5}, "5", True),  # a string is not the number 5
        ({"anything-but": "5"}, 5, True),
        ({"anything-but": ["a", "b"]}, None, True),
        ({"anything-but": ["a", "b"]}, True, True),
        ({"anything-but": {"prefix": "a"}}, 5, True),
        ({"anything-but": {"prefix": ["a", "b"]}}, "bee", False),
        ({"anything-but": {"suffix": ["a", "b"]}}, "ab", False),
        ({"anything-but": {"suffix": ".png"}}, "a.PNG", True),
        ({"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}, "stopped", False),
        ({"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}, "/usr/bin/x", False),
        ({"prefix": ""}, "", True),
        ({"prefix": "a"}, 1, False),
        ({"suffix": "1"}, 1, False),
        ({"equals-ignore-case": "ÄB"}, "äb", True),
        ({"equals-ignore-case": "1"}, 1, False),
        ({"wildcard": "*"}, "", True),
        ({"wildcard": "*"}, "multi\nline", True),
        ({"wildcard": "a*b*c"}, "abc", True),
        ({"wildcard": "a*b*c"}, "aXbYbZc", True),
        ({"wildcard": "a*b*c"}, "acb", False),
        ({"wildcard": "ab*ba"}, "aba", False),  # the two ends may not overlap
        ({"wildcard": "a\\*b"}, "a*b", True),  # escaped star
        ({"wildcard": "a\\*b"}, "axb", False),
        ({"wildcard": "a\\\\*"}, "a\\xyz", True),  # escaped backslash, then a wildcard
        ({"wildcard": "*"}, 5, False),
        ({"cidr": "10.0.0.0/8"}, "10.255.255.255", True),
        ({"cidr": "10.0.0.0/8"}, "11.0.0.0", False),
        ({"cidr": "10.0.0.0/8"}, 167772161, False),  # only strings hold IP addresses
        ({"cidr": "10.0.0.0/8"}, "10.0.0.1/32", False),
        ({"cidr": "10.0.0.0/8"}, "not-an-ip", False),
        ({"cidr": "10.0.0.0/8"}, "::ffff:10.1.2.3", False),  # not an IPv6 literal AWS reads
        ({"cidr": "10.0.0.0/8"}, "::ffff:a01:203", True),  # IPv4-mapped IPv6
        ({"cidr": "10.0.0.0/8"}, "2001:db8::1", False),
        ({"cidr": "2001:db8::/32"}, "2001:db8:ffff::1", True),
        ({"cidr": "2001:db8::/32"}, "10.0.0.1", False),
        ({"cidr": "10.0.0.5/32"}, "10.0.0.5", True),
        ({"cidr": "0.0.0.0/0"}, "255.255.255.255", True),
        # AWS's range starts at the address as written, even with host bits set.
        ({"cidr": "10.0.0.5/24"}, "10.0.0.200", True),
        ({"cidr": "10.0.0.5/24"}, "10.0.0.4", False),
    ],
)
def test_operators(matcher: dict[str, Any], value: Any, expected: bool) -> None:
    assert event_pattern_matches({"f": [matcher]}, {"f": value}) is expected


def test_anything_but_and_other_matchers_need_the_field() -> None:
    for matcher in (
        {"anything-but": "x"},
        {"anything-but": {"prefix": "x"}},
        {"prefix": ""},
        {"numeric": [">", 0]},
        {"wildcard": "*"},
        {"exists": True},
    ):
        assert not event_pattern_matches({"f": [matcher]}, {"g": 1}), matcher
        assert not event_pattern_matches({"f": [matcher]}, {"f": {"x": "y"}}), matcher


def test_nested_or() -> None:
    pattern = {
        "source": ["aws.cloudwatch"],
        "$or": [
            {"metricName": ["CPUUtilization", "ReadLatency"]},
            {
                "metricType": ["MetricType"],
                "namespace": ["AWS/EC2", "AWS/ES"],
                "$or": [{"metricId": [1234]}, {"spaceId": [1000]}],
            },
            {"scope": ["Service"]},
        ],
    }
    base = {"source": "aws.cloudwatch"}
    assert event_pattern_matches(pattern, {**base, "scope": "Service"})
    assert event_pattern_matches(
        pattern, {**base, "metricType": "MetricType", "namespace": "AWS/ES", "spaceId": 1000}
    )
    assert not event_pattern_matches(
        pattern, {**base, "metricType": "MetricType", "namespace": "AWS/ES", "spaceId": 1}
    )
    assert not event_pattern_matches(pattern, {"source": "aws.ec2", "scope": "Service"})


def test_pattern_forms_and_caching() -> None:
    text = '{"detail": {"eventName": [{"prefix": "Create"}]}}'
    compiled = compile_event_pattern(text)
    assert compile_event_pattern(text) is compiled  # cached on the JSON text
    assert compile_event_pattern(json.loads(text)) is compiled  # a mapping is its JSON
    assert compile_event_pattern(text.encode()) is compiled
    assert isinstance(compiled, EventPattern)
    assert compiled.text == text
    assert compiled == EventPattern(text)
    assert hash(compiled) == hash(EventPattern(text))
    assert repr(compiled) == f"EventPattern({text!r})"
    proxy = types.MappingProxyType({"a": ({"prefix": "x"}, "y")})  # any Mapping, tuples
    assert compile_event_pattern(proxy).matches({"a": "xylophone"})
    assert compile_event_pattern(proxy).text == '{"a": [{"prefix": "x"}, "y"]}'


def test_events_as_json_text_and_non_object_events() -> None:
    pattern = compile_event_pattern({"a": [1]})
    assert pattern.matches('{"a": 1}')
    assert pattern.matches(b'{"a": [2, 1]}')
    assert not pattern.matches('{"a": 2}')
    for event in ("not json", "[1]", "1", None, [{"a": 1}], 5, b"\xff"):
        assert not pattern.matches(event)  # type: ignore[arg-type]


def test_non_json_python_values_in_events_never_match_by_accident() -> None:
    pattern = {"f": ["x", 1, None, {"prefix": "x"}, {"numeric": [">", 0]}]}
    for value in (object(), b"x", {1, 2}, 1j):
        assert not event_pattern_matches(pattern, {"f": value})
    assert event_pattern_matches({"f": [{"anything-but": "x"}]}, {"f": b"x"})
    assert event_pattern_matches({"f": [1]}, {"f": (3, (2, 1))})  # tuples are arrays


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=ep_pattern_like | ep_json_values | st.text(max_size=40), event=ep_json_values)
@example(pattern={"a": [{"cidr": "::ffff:1.2.3.4/8"}]}, event={"a": "1.2.3.4"})
@example(pattern={"a": [{"numeric": [">", 1e400]}]}, event={"a": 1})
@example(pattern='{"a": [1e400]}', event={"a": float("inf")})
def test_never_crashes(pattern: Any, event: Any) -> None:
    outcome = _outcome(lambda: event_pattern_matches(pattern, event))
    if isinstance(outcome, PatternError):
        assert outcome.message.startswith("$")
    else:
        assert isinstance(outcome, bool)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet='{}[]":,. 0123456789truefalsn$or-prefixabc\\', max_size=60))
def test_never_crashes_on_pattern_like_text(text: str) -> None:
    outcome = _outcome(lambda: compile_event_pattern(text).matches({"a": 1, "b": "c"}))
    if isinstance(outcome, PatternError):
        assert outcome.pattern == text
    else:
        assert isinstance(outcome, bool)


def _outcome(call: Any) -> Any:
    try:
        return call()
    except PatternError as exc:
        return exc


def moto_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """moto 5.2.5's in-process matcher, the one ``events.put_events`` uses."""
    return bool(MotoEventPattern.load(json.dumps(pattern)).matches_event(event))  # type: ignore[arg-type]


# Every operator takes part: on the event and pattern shapes the strategies generate (see
# the comment above ``_EP_X_SCALARS`` in tests/strategies/event_patterns.py for what is
# left out, and why), moto 5.2.5 follows AWS's documented semantics. Events are built
# from the pattern so that a good share of them match.
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(case=ep_crosscheck_cases())
def test_agrees_with_moto_matcher(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pattern, event = case
    assert event_pattern_matches(pattern, event) is moto_matches(pattern, event)


@settings(max_examples=400)
@given(case=ep_crosscheck_cases(depth=0))
def test_agrees_with_moto_matcher_on_flat_patterns(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    pattern, event = case
    assert event_pattern_matches(pattern, event) is moto_matches(pattern, event)
    for key, values in pattern.items():  # and on each operator alone
        for value in values:
            alone = {key: [value]}
            assert event_pattern_matches(alone, event) is moto_matches(alone, event)


@settings(max_examples=150)
@given(pattern=ep_crosscheck_patterns(), event=ep_crosscheck_events())
def test_agrees_with_moto_matcher_on_unrelated_events(
    pattern: dict[str, Any], event: dict[str, Any]
) -> None:
    assert event_pattern_matches(pattern, event) is moto_matches(pattern, event)


@settings(max_examples=200)
@given(
    case=ep_crosscheck_cases(depth=0),
    extra=st.lists(ep_crosscheck_matchers(), min_size=1, max_size=2),
)
def test_a_value_array_is_the_or_of_its_values(
    case: tuple[dict[str, Any], dict[str, Any]], extra: list[Any]
) -> None:
    pattern, event = case
    for key, left in pattern.items():

        def matches(values: list[Any], key: str = key) -> bool:
            return event_pattern_matches({key: values}, event)

        assert matches(left + extra) is (matches(left) or matches(extra))
        # ... and $or of two patterns is the OR of the patterns.
        either = {"$or": [{key: left}, {key: extra}]}
        assert event_pattern_matches(either, event) is (matches(left) or matches(extra))


@settings(max_examples=200)
@given(case=ep_crosscheck_cases())
def test_text_and_mapping_patterns_agree(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pattern, event = case
    text = json.dumps(pattern, indent=2, sort_keys=True)
    assert event_pattern_matches(text, event) is event_pattern_matches(pattern, event)
    assert compile_event_pattern(text).matches(json.dumps(event)) is event_pattern_matches(
        pattern, event
    )


# ---------------------------------------------------------------------------------------
# Dotted keys: EventBridge joins field names with dots
# ---------------------------------------------------------------------------------------

# Amazon EventBridge User Guide, "Event pattern syntax" > "Considerations when creating
# event patterns": "when EventBridge compiles event patterns for use, it uses dot (.) as the
# joining character", so these two patterns are identical and both match both events.
DOCUMENTED_DOTTED_PATTERNS = (
    {"detail": {"state": {"status": ["running"]}}},
    {"detail": {"state.status": ["running"]}},
)
DOCUMENTED_DOTTED_EVENTS = (
    {"detail": {"state": {"status": "running"}}},
    {"detail": {"state.status": "running"}},
)


@pytest.mark.parametrize("pattern", DOCUMENTED_DOTTED_PATTERNS)
@pytest.mark.parametrize("event", DOCUMENTED_DOTTED_EVENTS)
def test_dotted_keys_documented_example(pattern: dict[str, Any], event: dict[str, Any]) -> None:
    assert event_pattern_matches(pattern, event) is True
    assert event_pattern_matches(json.dumps(pattern), json.dumps(event)) is True  # type: ignore[arg-type]
    stopped = {"detail": {"state": {"status": "stopped"}}}
    assert event_pattern_matches(pattern, stopped) is False
    assert event_pattern_matches(pattern, {"detail": {"state.status": "stopped"}}) is False


def test_moto_agrees_on_the_documented_dotted_key_example() -> None:
    for pattern in DOCUMENTED_DOTTED_PATTERNS:
        for event in DOCUMENTED_DOTTED_EVENTS:
            assert moto_matches(pattern, event) is event_pattern_matches(pattern, event) is True


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        # The pattern's dotted key reaches any depth, and the event's too.
        ({"a.b.c": ["x"]}, {"a": {"b": {"c": "x"}}}, True),
        ({"a.b.c": ["x"]}, {"a.b": {"c": "x"}}, True),
        ({"a": {"b.c": ["x"]}}, {"a.b.c": "x"}, True),
        ({"a.b.c": ["x"]}, {"a": {"b.c": "y"}}, False),
        # Dotted and nested keys that name the same object are one object: inside an array
        # of objects both values must come from one element.
        (
            {"a.b": ["x"], "a": {"c": ["y"]}},
            {"a": [{"b": "x", "c": "z"}, {"b": "q", "c": "y"}]},
            False,
        ),
        ({"a.b": ["x"], "a": {"c": ["y"]}}, {"a": [{"b": "x", "c": "y"}]}, True),
        # An event may spell one object both ways; its fields add up.
        ({"a": {"b": ["1"], "c": ["2"]}}, {"a": {"b": "1"}, "a.c": "2"}, True),
        # ... and a path spelled twice has both values (as an array would).
        ({"a": {"b": ["1"]}}, {"a": {"b": "0"}, "a.b": "1"}, True),
        ({"a.b": [{"exists": False}]}, {"a": {"x": 1}, "a.c": 1}, True),
        ({"a.b": [{"exists": False}]}, {"a": {"x": 1}, "a.b": 1}, False),
        # A field named twice keeps the last pattern (User Guide, same section).
        ({"a.b": ["x"], "a": {"b": ["y"]}}, {"a": {"b": "y"}}, True),
        ({"a.b": ["x"], "a": {"b": ["y"]}}, {"a": {"b": "x"}}, False),
        # A name may be a leaf and an object at once: each is a field of its own.
        ({"a": ["v"], "a.b": ["w"]}, {"a": "v", "a.b": "w"}, True),
        ({"a": ["v"], "a.b": ["w"]}, {"a": "v"}, False),
        # Empty names are names: "a." is a -> "".
        ({"a.": ["x"]}, {"a": {"": "x"}}, True),
        ({"a": {"": ["x"]}}, {"a.": "x"}, True),
        # Inside $or, dotted keys join the same way.
        ({"$or": [{"a.b": ["1"]}, {"c": ["2"]}]}, {"a": {"b": "1"}}, True),
        ({"x": {"$or": [{"a.b": ["1"]}, {"c": ["2"]}]}}, {"x.a.b": "1"}, True),
        # Non-string keys in an event mapping are never field names.
        ({"1": ["x"]}, {1: "x"}, False),
    ],
)
def test_dotted_keys_join_like_aws(pattern: dict[str, Any], event: Any, expected: bool) -> None:
    assert event_pattern_matches(pattern, event) is expected


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), pattern=ep_nested_patterns())
def test_dotted_spellings_of_patterns_and_events_agree(
    data: st.DataObject, pattern: dict[str, Any]
) -> None:
    dotted_pattern = data.draw(ep_dotted(pattern))
    event = data.draw(ep_events_for_nested(pattern))
    dotted_event = data.draw(ep_dotted(event))
    expected = event_pattern_matches(pattern, event)
    assert event_pattern_matches(dotted_pattern, event) is expected
    assert event_pattern_matches(pattern, dotted_event) is expected
    assert event_pattern_matches(dotted_pattern, dotted_event) is expected


def test_field_paths_longer_than_100_names_are_pattern_errors() -> None:
    ok = {".".join(["a"] * 100): ["x"]}
    assert event_pattern_matches(ok, {".".join(["a"] * 100): "x"}) is True
    with pytest.raises(PatternError, match="longer than 100 names"):
        compile_event_pattern({".".join(["a"] * 101): ["x"]})
    nested: dict[str, Any] = {".".join(["a"] * 60): ["x"]}
    nested = {".".join(["b"] * 41): nested}
    with pytest.raises(PatternError, match="longer than 100 names"):
        compile_event_pattern(nested)


# ---------------------------------------------------------------------------------------
# Hostile input: depth, size, deep events, many operands
# ---------------------------------------------------------------------------------------


def _nested(depth: int, leaf: Any) -> dict[str, Any]:
    value: Any = leaf
    for _ in range(depth):
        value = {"a": value}
    return value  # type: ignore[no-any-return]


def test_regression_pattern_dict_nested_1500_deep_is_a_pattern_error() -> None:
    with pytest.raises(PatternError, match="nested more than 100 levels") as info:
        event_pattern_matches(_nested(1500, ["x"]), {"a": 1})
    assert len(info.value.pattern or "") <= 200  # a short description, not a deep repr
    text = '{"a":' * 1500 + '["x"]' + "}" * 1500
    with pytest.raises(PatternError, match="nested more than 100 levels") as info:
        compile_event_pattern(text)
    assert info.value.position == 500


def test_nesting_up_to_the_limit_compiles() -> None:
    assert event_pattern_matches(_nested(99, ["x"]), _nested(99, "x")) is True
    with pytest.raises(PatternError, match="nested more than 100"):
        compile_event_pattern(_nested(100, ["x"]))


def test_events_nested_100000_deep_give_a_result() -> None:
    deep_event = _nested(100_000, "x")
    assert event_pattern_matches({"a": {"a": ["x"]}}, deep_event) is False
    assert event_pattern_matches({"a": {"a": [{"exists": False}]}}, deep_event) is True
    assert event_pattern_matches({"b": [{"exists": False}]}, deep_event) is True
    deep_text = '{"a":' * 100_000 + '"x"' + "}" * 100_000
    assert compile_event_pattern({"a": ["x"]}).matches(deep_text) is False
    deep_array: Any = "x"
    for _ in range(100_000):
        deep_array = [deep_array]
    assert event_pattern_matches({"a": ["x"]}, {"a": deep_array}) is True


def test_patterns_over_65536_characters_are_pattern_errors() -> None:
    values = [f"v{i:06d}" for i in range(8000)]
    text = json.dumps({"a": values})
    assert len(text) > 65_536
    with pytest.raises(PatternError, match="at most 65536") as info:
        compile_event_pattern(text)
    assert info.value.position == 65_536
    with pytest.raises(PatternError, match="at most 65536"):
        compile_event_pattern({"a": values})
    assert event_pattern_matches({"a": values[:5000]}, {"a": "v004999"}) is True


def test_long_colon_runs_are_not_parsed_as_addresses() -> None:
    hostile = ":" * 50_000 + "g"
    start = time.perf_counter()
    assert event_pattern_matches({"ip": [{"cidr": "::/0"}, "::1"]}, {"ip": hostile}) is False
    assert time.perf_counter() - start < 0.5  # "not quadratic": the shape regex backtracked


def _in_block(block: str, text: str) -> bool:
    """Reference: AWS's range runs from the address as written to the top of its block."""
    address, bits = block.split("/")
    base = ipaddress.ip_address(address)
    try:
        value = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(value, ipaddress.IPv6Address) and value.ipv4_mapped is not None:
        value = value.ipv4_mapped
    if value.version != base.version:
        return False
    top = int(base) | ((1 << (base.max_prefixlen - int(bits))) - 1)
    return int(base) <= int(value) <= top


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(ep_cidr_blocks, min_size=1, max_size=30),
    values=st.lists(ep_ip_texts, min_size=1, max_size=10),
)
def test_cidr_sets_agree_with_a_block_by_block_check(blocks: list[str], values: list[str]) -> None:
    pattern = compile_event_pattern({"ip": [{"cidr": block} for block in blocks]})
    for value in values:
        expected = any(_in_block(block, value) for block in blocks)
        assert pattern.matches({"ip": value}) is expected, (blocks, value)


def _glob_matches(glob: str, value: str) -> bool:
    """Reference: '*' is any run of characters, everything else literal (no escapes here)."""
    return (
        re.fullmatch(".*".join(re.escape(part) for part in glob.split("*")), value, re.S)
        is not None
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    globs=st.lists(ep_globs, min_size=1, max_size=40, unique=True),
    values=st.lists(ep_glob_values, min_size=1, max_size=10),
)
def test_wildcard_sets_agree_with_a_glob_by_glob_check(globs: list[str], values: list[str]) -> None:
    assume(all("**" not in glob for glob in globs))
    pattern = compile_event_pattern({"v": [{"wildcard": glob} for glob in globs]})
    negated = compile_event_pattern({"v": [{"anything-but": {"wildcard": globs}}]})
    for value in values:
        expected = any(_glob_matches(glob, value) for glob in globs)
        assert pattern.matches({"v": value}) is expected, (globs, value)
        assert negated.matches({"v": value}) is not expected


def test_many_operands_of_one_kind_cost_one_test() -> None:
    prefixes = [{"prefix": f"p{i}-"} for i in range(500)]
    folded = [{"equals-ignore-case": f"E{i}"} for i in range(500)]
    suffixes = [{"suffix": {"equals-ignore-case": f"-S{i}"}} for i in range(500)]
    pattern = compile_event_pattern({"v": prefixes + folded + suffixes})
    assert pattern.matches({"v": "p499-x"}) is True
    assert pattern.matches({"v": "e499"}) is True
    assert pattern.matches({"v": "x-s499"}) is True
    assert pattern.matches({"v": "p500-x"}) is False
    start = time.perf_counter()
    for i in range(10_000):
        pattern.matches({"v": f"nothing-{i}"})
    assert time.perf_counter() - start < 5  # "not one Python call per operand and value"


def test_wildcards_with_text_re2_cannot_take_still_match() -> None:
    globs = [f"*\ud800{i}*" for i in range(10)]
    pattern = compile_event_pattern({"v": [{"wildcard": glob} for glob in globs]})
    assert pattern.matches({"v": "x\ud8003y"}) is True
    assert pattern.matches({"v": "x3y"}) is False


@settings(max_examples=300, deadline=timedelta(milliseconds=500))
@given(
    pattern=ep_pattern_like | st.text(max_size=200),
    event=ep_json_values,
    dotted_keys=st.lists(st.text(alphabet="ab.", max_size=6), max_size=4),
)
def test_any_pattern_and_event_give_a_result_or_a_pattern_error_in_bounded_time(
    pattern: Any, event: Any, dotted_keys: list[str]
) -> None:
    events = [event]
    if isinstance(event, dict):
        events.append({**event, **dict.fromkeys(dotted_keys, event)})
    for candidate in events:
        outcome = _outcome(lambda: event_pattern_matches(pattern, candidate))
        assert isinstance(outcome, (bool, PatternError))

"""Every labelled CloudTrail record in tests/fixtures, with rootguard's verdict.

Each record's expected verdict is written out below: channel, outcome, MFA, severity,
alert, CIS match — or None (not root activity) or PARSE_ERROR. Where the sample's own
source (a Panther rule) judges the record differently, the difference is listed in
DIFFERENCES and explained in docs/sample-verdicts.md; a test keeps the two in step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from rootguard import (
    CIS_ROOT_FILTER_PATTERN,
    ActivitySource,
    Channel,
    Outcome,
    ParseError,
    RootActivity,
    Severity,
    classify_event,
    detect_root_activity,
    filter_pattern_matches,
    parse_cloudtrail_event,
)
from rootguard._cloudtrail import event_from_record, unwrap_record
from rootguard._detect import _ASSUME_ROOT_FIELDS, _ROOT_FIELDS, classify_parsed

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
DOCS_VERDICTS = ROOT / "docs" / "sample-verdicts.md"

C = Channel
O_OK, O_FAIL = Outcome.SUCCESS, Outcome.FAILURE
CRIT, HIGH, MED, LOW, INFO = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFORMATIONAL,
)
PARSE_ERROR = "ParseError"


class V(NamedTuple):
    channel: Channel
    outcome: Outcome
    mfa_used: bool | None
    severity: Severity
    alert: bool
    cis_match: bool


Verdict = V | None | str

SIGNIN_NO_MFA = V(C.CONSOLE_SIGNIN, O_OK, False, HIGH, True, True)
SIGNIN_FAILED_NO_MFA = V(C.CONSOLE_SIGNIN, O_FAIL, False, MED, True, True)
CONSOLE_CALL = V(C.CONSOLE_SESSION, O_OK, None, MED, True, True)

# --------------------------------------------------------------------------- panther
# (file, test name) -> (Panther's ExpectedResult, rootguard's verdict)
PANTHER: dict[tuple[str, str], tuple[bool, Verdict]] = {
    ("aws_console_login_without_mfa.yml", "No MFA Login - IAM User"): (True, None),
    ("aws_console_login_without_mfa.yml", "No MFA Login - IAM User Unknown Account"): (True, None),
    ("aws_console_login_without_mfa.yml", "No MFA Login - Root User"): (True, SIGNIN_NO_MFA),
    ("aws_console_login_without_mfa.yml", "MFA Login - SAML"): (False, None),
    ("aws_console_login_without_mfa.yml", "MFA Login"): (False, None),
    ("aws_console_login_without_mfa.yml", "No MFA - Login Failed"): (False, None),
    (
        "aws_console_login_without_mfa.yml",
        "No MFA - authenticated from session with MFA",
    ): (False, None),
    ("aws_console_login_without_mfa.yml", "No MFA Login - New User"): (False, None),
    ("aws_console_login_without_mfa.yml", "AWS SSOv2 Login"): (False, None),
    ("aws_console_login_without_mfa.yml", "AssumeRole from MFA User Session"): (False, None),
    ("aws_console_login_without_mfa.yml", "No MFA - IAM Role and External IDP"): (False, None),
    ("aws_console_root_login.yml", "Successful Root Login"): (True, SIGNIN_NO_MFA),
    ("aws_console_root_login.yml", "Non-Login Event"): (False, None),
    ("aws_console_root_login_failed.yml", "Failed Root Login"): (True, SIGNIN_FAILED_NO_MFA),
    ("aws_console_root_login_failed.yml", "Successful Login"): (False, SIGNIN_NO_MFA),
    ("aws_console_root_login_failed.yml", "Non-Login Event"): (False, None),
    ("aws_root_access_key_created.yml", "Root Access Key Created"): (
        True,
        V(C.CONSOLE_SESSION, O_OK, True, MED, True, False),
    ),
    ("aws_root_access_key_created.yml", "Root Created Access Key For User"): (
        False,
        V(C.CONSOLE_SESSION, O_OK, True, MED, True, False),
    ),
    ("aws_root_activity.yml", "Root Activity - CreateServiceLinkedRole"): (
        False,
        V(C.TEMPORARY_CREDENTIALS, O_OK, False, HIGH, True, True),
    ),
    ("aws_root_activity.yml", "Root Activity"): (
        True,
        V(C.TEMPORARY_CREDENTIALS, O_OK, False, HIGH, True, True),
    ),
    ("aws_root_activity.yml", "IAMUser Activity"): (False, None),
    ("aws_root_activity.yml", "Root User Failed Activity"): (False, PARSE_ERROR),
    ("aws_root_activity.yml", "Successful Root Login"): (True, SIGNIN_NO_MFA),
    ("aws_root_activity.yml", "Root Read-Only Enumeration"): (
        False,
        V(C.ACCESS_KEY, O_OK, None, CRIT, True, True),
    ),
    ("aws_root_password_changed.yml", "Root Password Changed"): (
        True,
        V(C.CONSOLE_SIGNIN, O_OK, None, HIGH, True, True),
    ),
    ("aws_root_password_changed.yml", "Root Password Change Failed"): (
        False,
        V(C.CONSOLE_SIGNIN, O_FAIL, None, MED, True, True),
    ),
}

# Panther test cases where Panther's rule and rootguard disagree on "report this record".
DIFFERENCES = {
    ("aws_console_login_without_mfa.yml", "No MFA Login - IAM User"),
    ("aws_console_login_without_mfa.yml", "No MFA Login - IAM User Unknown Account"),
    ("aws_console_root_login_failed.yml", "Successful Login"),
    ("aws_root_access_key_created.yml", "Root Created Access Key For User"),
    ("aws_root_activity.yml", "Root Activity - CreateServiceLinkedRole"),
    ("aws_root_activity.yml", "Root User Failed Activity"),
    ("aws_root_activity.yml", "Root Read-Only Enumeration"),
    ("aws_root_password_changed.yml", "Root Password Change Failed"),
}

# Scenario timelines (Logs, no per-record verdict in the source): rootguard's verdicts.
SCENARIOS: dict[str, list[Verdict]] = {
    "test_scenario_compromised-root-creds_attacker_cloudtrail.yml": [
        SIGNIN_FAILED_NO_MFA,
        SIGNIN_FAILED_NO_MFA,
        SIGNIN_FAILED_NO_MFA,
        SIGNIN_NO_MFA,
        V(C.CONSOLE_SESSION, O_FAIL, None, MED, True, True),  # StopLogging, denied
        CONSOLE_CALL,  # CreateAccessKey (root's own)
        CONSOLE_CALL,  # CreateUser
        CONSOLE_CALL,  # AttachUserPolicy
        CONSOLE_CALL,
        CONSOLE_CALL,
        CONSOLE_CALL,  # CreateAccessKey for tracy_stone
        None,  # RunInstances by the IAM user the attacker created
    ],
    "test_scenario_compromised-root-creds_victim_cloudtrail.yml": [
        SIGNIN_NO_MFA,
        CONSOLE_CALL,  # SetContactAddress (billing console)
        SIGNIN_NO_MFA,
        SIGNIN_NO_MFA,
    ],
}

# --------------------------------------------------------------------------- awsdocs
AWSDOCS: dict[str, Verdict] = {
    "IAM user, successful sign-in without MFA": None,
    "IAM user, successful sign-in with MFA": None,
    "IAM user, unsuccessful sign-in": None,
    "IAM user, sign-in process checks for MFA (single MFA device type)": None,
    "IAM user, sign-in process checks for MFA (multiple MFA device types)": None,
    "Root user, successful sign-in without MFA": SIGNIN_NO_MFA,
    "Root user, successful sign-in with MFA": V(C.CONSOLE_SIGNIN, O_OK, True, MED, True, True),
    "Root user, unsuccessful sign-in": SIGNIN_FAILED_NO_MFA,
    # accessKeyId is the placeholder "EXAMPLE" and a sessionContext is present
    "Root user, MFA changed": V(C.TEMPORARY_CREDENTIALS, O_OK, False, HIGH, True, True),
    "Root user, password changed": V(C.CONSOLE_SIGNIN, O_OK, None, HIGH, True, True),
    "Example IAM API event in CloudTrail log file": None,
    "Example cross-account AWS STS API events in CloudTrail log files": None,
    "Example AWS STS role chaining API event in CloudTrail log file": None,
    "Example AWS service AWS STS API event in CloudTrail log file": None,
    "Example sign-in failure event in CloudTrail log file": None,
    "Example sign-in failure event caused by incorrect user name": None,
}

# --------------------------------------------------------------------------- cloud-custodian
CUSTODIAN: dict[str, Verdict] = {
    "cwe__event-appmesh-create-virtualnode.json": V(C.CONSOLE_SESSION, O_OK, True, MED, True, True),
    # EventBridge envelope; 2016 S3 console call: no access key id recorded
    "cwe__event-cloud-trail-create-bucket.json": V(C.CONSOLE_SESSION, O_OK, False, MED, True, True),
    "cwe__event-cloud-trail-create-db.json": None,
    "cwe__event-cloud-trail-run-instance-creator.json": None,
    "cwe__event-cloud-trail-run-instances.json": V(
        C.SERVICE_INVOKED, O_OK, None, INFO, False, False
    ),
    "cwe__event-cloud-trail-s3.json": None,
}


def _panther_cases() -> list[tuple[str, str, dict[str, Any]]]:
    cases = []
    for path in sorted((FIXTURES / "panther").glob("aws_*.yml")):
        document = yaml.safe_load(path.read_text())
        for test in document.get("Tests", []):
            if "Log" in test:
                cases.append((path.name, test["Name"], test))
    return cases


def _scenario_logs(name: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load((FIXTURES / "panther" / name).read_text())["Logs"])


def _awsdocs() -> list[dict[str, Any]]:
    return list(json.loads((FIXTURES / "awsdocs" / "awsdocs_extracted_records.json").read_text()))


def _assume_root_pair() -> list[dict[str, Any]]:
    path = FIXTURES / "awsdocs" / "iam-user-guide__cloudtrail-track-privileged-tasks__records.json"
    return list(json.loads(path.read_text()))


def _verdict(record: dict[str, Any]) -> Verdict:
    try:
        activity = classify_event(record)
    except ParseError:
        return PARSE_ERROR
    if activity is None:
        return None
    return V(
        activity.channel,
        activity.outcome,
        activity.mfa_used,
        activity.severity,
        activity.alert,
        activity.cis_match,
    )


def _record_of(sample: dict[str, Any]) -> dict[str, Any]:
    detail = sample.get("detail")
    return detail if isinstance(detail, dict) else sample


def test_every_panther_rule_test_is_covered() -> None:
    found = {(file, name) for file, name, _ in _panther_cases()}
    assert found == set(PANTHER)


@pytest.mark.parametrize(("file", "name", "test"), _panther_cases())
def test_panther_record(file: str, name: str, test: dict[str, Any]) -> None:
    expected_source, expected = PANTHER[(file, name)]
    assert test["ExpectedResult"] is expected_source
    assert _verdict(test["Log"]) == expected


def test_panther_differences_are_exactly_the_listed_ones() -> None:
    differing = set()
    for file, name, test in _panther_cases():
        verdict = _verdict(test["Log"])
        reported = isinstance(verdict, V)
        if verdict == PARSE_ERROR or reported != test["ExpectedResult"]:
            differing.add((file, name))
    assert differing == DIFFERENCES


def test_docs_explain_every_difference() -> None:
    text = DOCS_VERDICTS.read_text()
    rows = [line for line in text.splitlines() if line.startswith("|")]
    for file, name in DIFFERENCES:
        assert any(file in row and name in row for row in rows), (file, name)


def test_redacted_panther_record_is_a_failed_root_signin_once_the_redaction_is_gone() -> None:
    test = next(t for f, n, t in _panther_cases() if n == "Root User Failed Activity")
    record = dict(test["Log"])
    with pytest.raises(ParseError) as info:
        parse_cloudtrail_event(record)
    assert info.value.column == "eventTime"
    del record["eventTime"]
    assert _verdict(record) == V(C.CONSOLE_SIGNIN, O_FAIL, None, MED, True, True)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_panther_scenario_timeline(name: str) -> None:
    logs = _scenario_logs(name)
    assert [_verdict(record) for record in logs] == SCENARIOS[name]
    found = detect_root_activity(logs)
    assert len(found) == sum(v is not None for v in SCENARIOS[name])
    assert {a.account_id for a in found} == {"493859302102"}


def test_every_awsdocs_section_is_covered() -> None:
    assert [sample["section"] for sample in _awsdocs()] == list(AWSDOCS)


@pytest.mark.parametrize("sample", _awsdocs(), ids=lambda s: s["section"])
def test_awsdocs_record(sample: dict[str, Any]) -> None:
    assert _verdict(sample["record"]) == AWSDOCS[sample["section"]]


def test_awsdocs_lookalikes() -> None:
    by_section = {s["section"]: s["record"] for s in _awsdocs()}
    hidden = by_section["Example sign-in failure event caused by incorrect user name"]
    assert hidden["userIdentity"]["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert classify_event(hidden) is None
    assert (
        classify_event(hidden | {"userIdentity": hidden["userIdentity"] | {"type": "Root"}}) is None
    )


def test_mfa_yes_in_capitals() -> None:
    by_section = {s["section"]: s["record"] for s in _awsdocs()}
    record = by_section["Root user, successful sign-in with MFA"]
    assert record["additionalEventData"]["MFAUsed"] == "YES"
    activity = classify_event(record)
    assert activity is not None
    assert activity.mfa_used is True


@pytest.mark.parametrize("name", sorted(CUSTODIAN))
def test_custodian_record(name: str) -> None:
    sample = json.loads((FIXTURES / "cloud-custodian" / name).read_text())
    assert _verdict(sample) == CUSTODIAN[name]


def test_every_custodian_event_is_covered() -> None:
    assert {p.name for p in (FIXTURES / "cloud-custodian").glob("cwe__*.json")} == set(CUSTODIAN)


def test_custodian_envelope_fields() -> None:
    sample = json.loads(
        (FIXTURES / "cloud-custodian" / "cwe__event-cloud-trail-create-bucket.json").read_text()
    )
    activity = classify_event(sample, source=ActivitySource.EVENTBRIDGE)
    assert activity is not None
    assert activity.source is ActivitySource.EVENTBRIDGE
    assert (activity.event_id, activity.account_id, activity.region) == (
        "c4fa3db1-2303-40e4-bde0-3b7246bdbf0b",
        "619193117841",
        "us-west-2",
    )
    assert activity.actor_arn == "arn:aws:iam::619193117841:root"
    assert activity.access_key_id is None
    assert activity.source_ip == "204.63.44.148"
    assert activity.user_agent == "[S3Console/0.4]"


def test_assume_root_pair_each_record_alone() -> None:
    call, member = _assume_root_pair()
    assert _verdict(call) == V(C.ASSUMED_ROOT, O_OK, False, LOW, True, False)
    # alone, the member-account record (no assumedRoot flag) is a temporary root session
    assert _verdict(member) == V(C.TEMPORARY_CREDENTIALS, O_OK, False, HIGH, True, True)


def test_assume_root_pair_correlated() -> None:
    call_record, member_record = _assume_root_pair()
    call, member = detect_root_activity([call_record, member_record])
    assert (call.event_name, member.event_name) == ("AssumeRoot", "DeleteBucketPolicy")
    # the call is root activity of the target account, acted by the IAM principal
    assert call.account_id == "222222222222"
    assert call.actor_arn == "arn:aws:sts::111111111111:assumed-role/JohnDoe/JohnRole1"
    assert call.task_policy_arn == "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"
    assert call.access_key_id == "ASIAIOSFODNN7EXAMPLE"
    assert call.region == "us-west-2"
    # the member record becomes assumed_root, tied to the call
    assert (member.channel, member.severity, member.alert) == (C.ASSUMED_ROOT, LOW, True)
    assert member.account_id == "222222222222"
    assert member.task_policy_arn == call.task_policy_arn
    assert member.actor_arn == call.actor_arn
    assert member.cis_match is True
    # the sample's AssumeRoot record has no eventID: only the call can name its partner
    assert call.event_id is None
    assert call.related_event_ids == ("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",)
    assert member.related_event_ids == ()


def _all_sample_records() -> list[dict[str, Any]]:
    records = [test["Log"] for _, _, test in _panther_cases()]
    for name in SCENARIOS:
        records += _scenario_logs(name)
    records += [s["record"] for s in _awsdocs()]
    records += _assume_root_pair()
    for path in sorted((FIXTURES / "cloud-custodian").glob("cwe__*.json")):
        records.append(_record_of(json.loads(path.read_text())))
    return records


@pytest.mark.parametrize("record", _all_sample_records())
def test_cis_match_agrees_with_the_filter_pattern_engine(record: dict[str, Any]) -> None:
    try:
        activity: RootActivity | None = classify_event(record)
    except ParseError:
        return  # the redacted record; no activity to compare
    engine = filter_pattern_matches(CIS_ROOT_FILTER_PATTERN, record)
    if activity is not None:
        assert activity.cis_match == engine
    else:
        # not root activity: the CIS filter matches no lookalike in the samples either
        assert engine is False


def _every_sample_record() -> list[dict[str, Any]]:
    records = [test["Log"] for _, _, test in _panther_cases()]
    records += [sample["record"] for sample in _awsdocs()]
    records += _assume_root_pair()
    for path in sorted((FIXTURES / "cloud-custodian").glob("cwe__*.json")):
        records.append(_record_of(json.loads(path.read_text())))
    return records


def test_activities_are_exactly_what_validation_builds() -> None:
    # classify_event builds activities without validating again (model_construct, one
    # shared set of field names, shared strings): each must equal the validated model
    # of the same values — same types, same fields set — on every sample.
    found = 0
    strings: dict[str, str] = {}
    for record in _every_sample_record():
        try:
            activity = classify_event(record)
        except ParseError:
            continue
        if activity is None:
            continue
        found += 1
        given = {name: getattr(activity, name) for name in activity.model_fields_set}
        validated = RootActivity(**given)
        assert validated == activity
        assert validated.model_fields_set == activity.model_fields_set
        assert RootActivity.model_validate_json(activity.to_json()) == activity
        assert {type(v) for v in validated.__dict__.values()} == {
            type(v) for v in activity.__dict__.values()
        }
        # Shared strings change nothing either.
        event = event_from_record(unwrap_record(record), owned=False)
        shared = classify_parsed(event, ActivitySource.CLOUDTRAIL, strings)
        assert shared is not None
        assert shared[0] == activity
    assert found > 15
    assert strings  # the samples share account ids, regions, sources
    # Correlation copies activities with updates: the shared sets stay as they were.
    before = (set(_ROOT_FIELDS), set(_ASSUME_ROOT_FIELDS))
    pair = detect_root_activity(_assume_root_pair())
    assert {a.channel for a in pair} == {Channel.ASSUMED_ROOT}
    assert before == (_ROOT_FIELDS, _ASSUME_ROOT_FIELDS)
    assert "related_event_ids" not in _ROOT_FIELDS | _ASSUME_ROOT_FIELDS
    for activity in pair:
        given = {name: getattr(activity, name) for name in activity.model_fields_set}
        assert RootActivity(**given) == activity

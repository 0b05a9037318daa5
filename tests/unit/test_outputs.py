"""Report outputs: JSON, ASFF (checked against botocore's Security Hub model), OCSF,
markdown, flat records."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings

import rootguard
from rootguard._outputs import finding_uid, to_asff
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Status
from rootguard._posture._report import Report
from rootguard._snapshot import AccountSnapshot
from tests.snapshot_builders import (
    ACCOUNT,
    HOME,
    NOW,
    credential_report,
    good_snapshot,
    iso,
    root_row,
    summary,
    with_region,
)
from tests.strategies import account_snapshots


def mixed_report() -> Report:
    """A report with every status: failures, unknowns, passes, not-applicable."""
    row = root_row(
        password_last_used=iso(NOW - timedelta(days=1)),
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_1_last_used_date=iso(NOW - timedelta(hours=3)),
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="iam",
    )
    snap = good_snapshot(
        credential_report=credential_report(row),
        account_summary=summary(keys=1),
        virtual_mfa_devices=None,
        organization=None,
    )
    snap = with_region(snap, "eu-west-1", event_rules=[])
    report = evaluate(snap)
    statuses = {f.status for f in report.findings}
    assert {Status.PASS, Status.FAIL, Status.UNKNOWN} <= statuses
    return report


def batch_import_shape() -> Any:
    model = botocore.session.get_session().get_service_model("securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def assert_valid_batch_import(findings: list[dict[str, Any]]) -> None:
    report = ParamValidator().validate({"Findings": findings}, batch_import_shape())
    assert not report.has_errors(), report.generate_report()


# ----------------------------------------------------------------------------- JSON


def test_json_round_trip_is_exact_and_carries_counts() -> None:
    report = mixed_report()
    text = report.to_json()
    data = json.loads(text)
    assert data["counts"] == report.counts
    assert data["findings"][0]["check_id"] == "root.mfa_enabled"
    assert Report.from_json(text) == report
    assert Report.from_json(report.to_json(indent=None)) == report


# ----------------------------------------------------------------------------- ASFF


def test_asff_is_valid_batch_import_findings_input() -> None:
    report = mixed_report()
    findings = report.to_asff()
    assert len(findings) == len(report.findings)
    assert_valid_batch_import(findings)


def test_asff_fields() -> None:
    report = mixed_report()
    findings = report.to_asff(region="eu-west-1")
    by_generator = {f["GeneratorId"]: f for f in findings if f["Region"] == "eu-west-1"}
    keys = next(f for f in findings if f["GeneratorId"] == "rootguard/root.no_access_keys")
    assert keys["ProductArn"] == (
        f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default"
    )
    assert keys["Compliance"]["Status"] == "FAILED"
    assert "CIS AWS Foundations Benchmark v1.4.0/1.4" in keys["Compliance"]["RelatedRequirements"]
    assert keys["ProductFields"]["rootguard/SecurityHubControls"] == "IAM.4"
    assert keys["Severity"] == {"Label": "CRITICAL", "Original": "critical"}
    assert keys["Resources"][0]["Type"] == "AwsAccount"
    assert keys["Resources"][0]["Id"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert keys["CreatedAt"] == "2024-06-01T12:00:00.000Z"
    assert keys["Remediation"]["Recommendation"]["Text"]
    trail = next(f for f in findings if f["GeneratorId"] == "rootguard/cloudtrail.multi_region")
    assert trail["Compliance"]["Status"] == "PASSED"
    assert trail["Severity"]["Label"] == "INFORMATIONAL"
    assert trail["Workflow"]["Status"] == "RESOLVED"
    assert trail["Resources"][0]["Type"] == "AwsCloudTrailTrail"
    eb = by_generator["rootguard/monitoring.root_eventbridge"]
    assert eb["Resources"][0]["Type"] == "AwsEventsEventbus"
    unknown = next(f for f in findings if f["GeneratorId"] == "rootguard/root.hardware_mfa")
    assert unknown["Compliance"]["Status"] == "WARNING"


def test_asff_ids_are_stable_and_unique() -> None:
    report = mixed_report()
    ids = [f["Id"] for f in report.to_asff()]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(f"rootguard/{ACCOUNT}/") for i in ids)
    again = [f["Id"] for f in mixed_report().to_asff()]
    assert ids == again


def test_asff_clips_long_texts_to_security_hub_limits() -> None:
    report = mixed_report()
    finding = report.findings[0].model_copy(update={"detail": "x" * 5000, "title": "t" * 400})
    long = report.model_copy(update={"findings": (finding,)})
    (item,) = to_asff(long)
    assert len(item["Description"]) == 1024
    assert len(item["Title"]) == 256
    assert_valid_batch_import([item])


def test_finding_uid_of_a_very_long_resource_is_hashed_to_512_chars() -> None:
    report = mixed_report()
    finding = report.findings[0].model_copy(update={"resource": "arn:" + "r" * 900})
    uid = finding_uid(report, finding)
    assert len(uid) <= 512
    assert uid == finding_uid(report, finding)


def test_asff_and_ocsf_need_a_reference_time() -> None:
    report = evaluate(good_snapshot(collected_at=None))
    with pytest.raises(rootguard.RootGuardError):
        report.to_asff()
    with pytest.raises(rootguard.RootGuardError):
        report.to_ocsf()
    when = datetime(2025, 1, 2, tzinfo=timezone.utc)
    assert report.to_asff(now=when)[0]["UpdatedAt"] == "2025-01-02T00:00:00.000Z"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(account_snapshots())
def test_asff_of_any_report_is_valid_batch_import_input(snapshot: AccountSnapshot) -> None:
    report = evaluate(snapshot, now=NOW)
    findings = report.to_asff()
    assert_valid_batch_import(findings)
    assert len({f["Id"] for f in findings}) == len(findings)


# ----------------------------------------------------------------------------- OCSF


def test_ocsf_compliance_findings() -> None:
    report = mixed_report()
    events = report.to_ocsf()
    assert len(events) == len(report.findings)
    for event in events:
        assert event["class_uid"] == 2003
        assert event["category_uid"] == 2
        assert event["type_uid"] == 200301
        assert event["activity_id"] == 1
        assert event["time"] == int(NOW.timestamp() * 1000)
        assert event["metadata"]["version"] == "1.1.0"
        assert event["metadata"]["product"]["name"] == "rootguard"
        assert event["finding_info"]["uid"]
        assert event["finding_info"]["title"]
        assert event["compliance"]["standards"]
        assert event["cloud"]["provider"] == "AWS"
        assert event["cloud"]["account"]["uid"] == ACCOUNT
        json.dumps(event)  # plain JSON data
    keys = next(e for e in events if e["compliance"]["control"] == "root.no_access_keys")
    assert keys["compliance"]["status_id"] == 3
    assert keys["compliance"]["status"] == "Fail"
    assert keys["severity_id"] == 5
    assert "IAM.4" in keys["compliance"]["requirements"]
    assert "CIS AWS Foundations Benchmark v3.0.0" in keys["compliance"]["standards"]
    passed = next(e for e in events if e["compliance"]["control"] == "cloudtrail.multi_region")
    assert passed["compliance"]["status_id"] == 1
    unknown = next(e for e in events if e["compliance"]["control"] == "root.hardware_mfa")
    assert unknown["compliance"]["status_id"] == 2
    regional = next(
        e for e in events if e["compliance"]["control"] == "monitoring.root_eventbridge"
    )
    assert regional["cloud"]["region"] in (HOME, "eu-west-1")


# ----------------------------------------------------------------------------- markdown, records


def test_markdown_has_a_summary_and_one_row_per_finding() -> None:
    report = mixed_report()
    text = report.to_markdown()
    lines = text.splitlines()
    assert lines[0] == f"# rootguard report — account {ACCOUNT}"
    table = [line for line in lines if line.startswith("| ") and "`" in line]
    assert len(table) == len(report.findings)
    assert f"**{report.counts['FAIL']} FAIL" in text
    assert "## Root credential use" in text
    assert all(line.count(" | ") == 5 for line in table)


def test_markdown_escapes_pipes() -> None:
    report = mixed_report()
    finding = report.findings[0].model_copy(update={"detail": "a | b\nc"})
    text = report.model_copy(update={"findings": (finding,)}).to_markdown()
    assert "a \\| b c" in text


def test_records_are_flat_scalars_one_per_finding() -> None:
    report = mixed_report()
    records = report.to_records()
    assert len(records) == len(report.findings)
    columns = set(records[0])
    for record in records:
        assert set(record) == columns
        for value in record.values():
            assert value is None or isinstance(value, (str, int, float, bool))
    first = records[0]
    assert first["check_id"] == "root.mfa_enabled"
    assert first["generated_at"] == "2024-06-01T12:00:00.000Z"
    assert json.loads(str(first["evidence"])) == report.findings[0].evidence
    assert "IAM.9" in str(first["security_hub_controls"])

"""Wrong input is never green: saved files are checked for their kind and schema version,
an archive scan that read no log file fails and says what it saw, and ``org check``
counts the accounts it could not check."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

import rootguard
from rootguard._cli import main
from rootguard._fail_on import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

REGION = "us-east-1"
ACCOUNT = "111122223333"


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield


def _snapshot() -> rootguard.AccountSnapshot:
    return rootguard.AccountSnapshot(account_id=ACCOUNT, regions=[REGION], trails=[])


def _plan_json() -> str:
    snap = rootguard.AccountSnapshot(
        account_id=ACCOUNT,
        regions=[REGION],
        trails=[],
        region_data={
            REGION: rootguard.RegionSnapshot(
                region=REGION,
                log_groups=[],
                alarms=[],
                topics=[],
                event_rules=[],
                config_recorders=[],
                config_rules=[],
                delivery_channels=[],
            )
        },
    )
    options = rootguard.RemediationOptions(alert_emails=["a@example.com"])
    return rootguard.plan(snap, options).to_json()


def _without_kind(text: str) -> str:
    data = json.loads(text)
    del data["kind"]
    return json.dumps(data)


def _files(tmp_path: Path) -> dict[str, Path]:
    report = rootguard.evaluate(_snapshot())
    org = rootguard.OrganizationReport.from_accounts(
        [rootguard.AccountResult(account_id=ACCOUNT, status="checked", report=report)]
    )
    texts = {
        "plan": _plan_json(),
        "legacy plan (no kind)": _without_kind(_plan_json()),
        "report": report.to_json(),
        "legacy report (no kind)": _without_kind(report.to_json()),
        "organization report": org.to_json(),
        "any JSON with an account_id": json.dumps({"account_id": ACCOUNT}),
        "a list": "[]",
        "not JSON": "account_id = 1",
    }
    out = {}
    for name, text in texts.items():
        path = tmp_path / (name.replace(" ", "_") + ".json")
        path.write_text(text)
        out[name] = path
    return out


@pytest.mark.parametrize("command", ["check", "plan"])
def test_anything_but_a_snapshot_given_as_one_is_exit_2(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, path in _files(tmp_path).items():
        argv = [command, "--snapshot-in", str(path)]
        if command == "plan":
            argv += ["--email", "a@example.com"]
        assert main(argv) == EXIT_USAGE, name
        captured = capsys.readouterr()
        assert captured.out == "", name
        (line,) = captured.err.splitlines()
        assert line.startswith(f"rootguard: error: {path} is not a rootguard snapshot: "), line
        if "plan" in name:
            assert "this is a remediation plan, not an account snapshot" in line
        if "report" in name:
            assert "report, not an account snapshot" in line


def test_a_snapshot_still_loads_and_a_newer_schema_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text(_snapshot().model_dump_json())
    assert json.loads(path.read_text())["kind"] == "snapshot"
    assert main(["check", "--snapshot-in", str(path), "--fail-on", "never", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "report"
    # a snapshot saved before `kind` existed is still a snapshot
    path.write_text(_without_kind(_snapshot().model_dump_json()))
    assert main(["check", "--snapshot-in", str(path), "--fail-on", "never"]) == EXIT_OK
    capsys.readouterr()
    data = json.loads(_snapshot().model_dump_json())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    assert main(["check", "--snapshot-in", str(path)]) == EXIT_USAGE
    assert "written by a newer rootguard" in capsys.readouterr().err


def test_apply_refuses_a_snapshot_or_a_report_given_as_a_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snapshot.json"
    snap.write_text(_snapshot().model_dump_json())
    assert main(["apply", str(snap), "--dry-run"]) == EXIT_USAGE
    (line,) = capsys.readouterr().err.splitlines()
    assert "this is an account snapshot, not a remediation plan" in line
    report = tmp_path / "report.json"
    report.write_text(rootguard.evaluate(_snapshot()).to_json())
    assert main(["apply", str(report), "--dry-run"]) == EXIT_USAGE
    assert "this is an account report, not a remediation plan" in capsys.readouterr().err


def _record(when: datetime, event_id: str = "e-1") -> dict[str, object]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "Root",
            "arn": f"arn:aws:iam::{ACCOUNT}:root",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15",
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }


def _log_key(when: datetime) -> str:
    return (
        f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{when:%Y/%m/%d}/"
        f"{ACCOUNT}_CloudTrail_{REGION}_{when:%Y%m%dT%H%MZ}_abc.json.gz"
    )


def _gz(when: datetime) -> bytes:
    return gzip.compress(json.dumps({"Records": [_record(when)]}).encode(), mtime=0)


def _archive_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.startswith("rootguard: error: ")]
    assert len(lines) == 1, err
    return lines[0]


def test_an_empty_folder_is_exit_2_with_the_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["activity", "--archive", str(tmp_path)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    line = _archive_line(captured.err)
    assert f"no CloudTrail log file in {tmp_path}" in line
    assert "0 files seen: 0 scanned, 0 skipped, 0 unreadable" in line


def test_a_folder_of_digests_only_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = tmp_path / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / REGION / "2026" / "11" / "20"
    digest.mkdir(parents=True)
    (
        digest / f"{ACCOUNT}_CloudTrail-Digest_{REGION}_t_{REGION}_20261120T100000Z.json.gz"
    ).write_bytes(gzip.compress(b"{}"))
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["activity", "--archive", str(tmp_path)]) == EXIT_USAGE
    line = _archive_line(capsys.readouterr().err)
    assert "2 files seen: 0 scanned, 2 skipped, 0 unreadable" in line


def test_a_folder_of_unreadable_files_only_is_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json.gz").write_bytes(b"\x1f\x8b broken")
    (tmp_path / "b.json").write_text("not json")
    code = main(["activity", "--archive", str(tmp_path), "--workers", "1"])
    captured = capsys.readouterr()
    assert code == EXIT_ERROR
    assert "a.json.gz" in captured.err
    assert "b.json" in captured.err  # each file's problem, as a warning
    line = _archive_line(captured.err)
    assert "no file of" in line
    assert "2 files seen: 0 scanned, 0 skipped, 2 unreadable" in line


def test_a_scan_prints_its_summary_and_fails_on_a_critical_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    when = datetime.now(timezone.utc) - timedelta(days=2)
    path = tmp_path / _log_key(when)
    path.parent.mkdir(parents=True)
    path.write_bytes(_gz(when))
    code = main(["activity", "--archive", str(tmp_path), "--workers", "1", "-o", "json"])
    captured = capsys.readouterr()
    assert [a["channel"] for a in json.loads(captured.out)] == ["access_key"]
    assert "1 files seen: 1 scanned, 0 skipped, 0 unreadable; 1 events, 1 root activities" in (
        captured.err
    )
    assert code == EXIT_FINDINGS  # a root access key was used: critical
    # files left out by --days are not an error: nothing happened in the window
    old = datetime.now(timezone.utc) - timedelta(days=40)
    (tmp_path / _log_key(when)).unlink()
    path = tmp_path / _log_key(old)
    path.parent.mkdir(parents=True)
    path.write_bytes(_gz(old))
    assert main(["activity", "--archive", str(tmp_path), "--days", "7"]) == EXIT_OK


def test_a_mistyped_s3_prefix_is_exit_2_and_a_pruned_one_is_not(
    moto_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="trail-bucket")
    old = datetime.now(timezone.utc) - timedelta(days=40)
    s3.put_object(Bucket="trail-bucket", Key=_log_key(old), Body=_gz(old))
    assert main(["activity", "--archive", "s3://trail-bucket/AWSLog/"]) == EXIT_USAGE
    line = _archive_line(capsys.readouterr().err)
    assert "no CloudTrail log file in s3://trail-bucket/AWSLog/ (0 files seen" in line
    # the right prefix with --days 7: every folder left out by date, nothing to report
    code = main(["activity", "--archive", "s3://trail-bucket/AWSLogs/", "--days", "7"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert "0 root activities" in captured.err

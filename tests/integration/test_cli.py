"""The command line, end to end on moto: output formats, exit codes, bad input, the demo."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from rootguard._cli import main
from rootguard._fail_on import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from tests.integration.moto_root import RootKey, RootState, moto_root

REGION = "us-east-1"


@pytest.fixture
def exposed_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    state = RootState(mfa="none", access_keys=(RootKey(active=True),))
    with mock_aws(), moto_root(state):
        yield


def test_check_json_fails_on_findings_and_round_trips_a_snapshot(
    exposed_account: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snapshot.json"
    code = main(["check", "--region", REGION, "--output", "json", "--snapshot-out", str(snap)])
    first = json.loads(capsys.readouterr().out)
    assert code == EXIT_FINDINGS
    statuses = {f["check_id"]: f["status"] for f in first["findings"]}
    assert statuses["root.mfa_enabled"] == "FAIL"
    assert statuses["root.no_access_keys"] == "FAIL"
    assert statuses["cloudtrail.multi_region"] == "FAIL"

    # Offline: the saved snapshot gives the same findings, and --fail-on never exits 0.
    code = main(["check", "--snapshot-in", str(snap), "--output", "json", "--fail-on", "never"])
    again = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert again["findings"] == first["findings"]


def test_check_table_fits_in_100_columns_and_other_formats_parse(
    exposed_account: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snapshot.json"
    main(["check", "--region", REGION, "--snapshot-out", str(snap)])
    table = capsys.readouterr().out
    assert "root.mfa_enabled" in table
    assert max(len(line) for line in table.splitlines()) <= 100
    for output in ("asff", "ocsf"):
        main(["check", "--snapshot-in", str(snap), "--output", output])
        assert isinstance(json.loads(capsys.readouterr().out), list)
    main(["check", "--snapshot-in", str(snap), "--output", "markdown"])
    assert "| " in capsys.readouterr().out


def test_fail_on_unknown_counts_unknown_findings(tmp_path: Path) -> None:
    # A snapshot whose credential report is missing (as if iam:GenerateCredentialReport
    # were denied): the root checks are UNKNOWN, which only --fail-on unknown fails on.
    from rootguard import AccountSnapshot, Gap, evaluate

    bare = AccountSnapshot(
        account_id="111122223333",
        regions=[],
        gaps=[Gap(service="iam", operation="GenerateCredentialReport", error_code="AccessDenied")],
    )
    path = tmp_path / "bare.json"
    path.write_text(bare.model_dump_json())
    statuses = {str(f.status) for f in evaluate(bare, now=None).findings}
    assert "UNKNOWN" in statuses
    assert main(["check", "--snapshot-in", str(path), "--fail-on", "unknown"]) == EXIT_FINDINGS
    expected_fail = EXIT_FINDINGS if "FAIL" in statuses else EXIT_OK
    assert main(["check", "--snapshot-in", str(path), "--fail-on", "fail"]) == expected_fail


def test_activity_archive_reports_bad_files_and_keeps_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
        "eventTime": "2026-11-20T10:00:00Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"MFAUsed": "No"},
        "eventID": "e-1",
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": "111122223333",
    }
    body = json.dumps({"Records": [record]}).encode()
    (tmp_path / "good.json.gz").write_bytes(gzip.compress(body, mtime=0))
    (tmp_path / "cut.json.gz").write_bytes(gzip.compress(body * 20, mtime=0)[:-30])
    code = main(["activity", "--archive", str(tmp_path), "--workers", "1", "--output", "json"])
    captured = capsys.readouterr()
    assert code == EXIT_FINDINGS  # a root sign-in without MFA: high, the default --fail-on
    found = json.loads(captured.out)
    assert [(a["channel"], a["mfa_used"], a["severity"]) for a in found] == [
        ("console_signin", False, "high")
    ]
    assert "cut.json.gz" in captured.err
    assert "truncated gzip" in captured.err


def test_activity_without_any_readable_event_history_exits_3_with_what_it_found(
    exposed_account: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto has no cloudtrail:LookupEvents: every region's event history is a gap
    code = main(["activity", "--region", REGION, "--output", "json"])
    captured = capsys.readouterr()
    assert code == 3
    assert isinstance(json.loads(captured.out), list)  # the credential report's part
    assert f"warning: cloudtrail:LookupEvents in {REGION} failed: NotImplemented" in captured.err
    assert "no region's CloudTrail event history could be read" in captured.err


def test_plan_then_apply_dry_run_and_confirmation(
    exposed_account: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    code = main(
        ["plan", "--region", REGION, "--email", "secops@example.com", "--out", str(plan_file)]
    )
    assert code == EXIT_OK
    text = capsys.readouterr().out
    assert "CreateTrail" in text
    saved = json.loads(plan_file.read_text())
    assert saved["actions"]

    # Without a terminal and without --yes, apply refuses and changes nothing.
    assert main(["apply", str(plan_file)]) == EXIT_USAGE
    # A dry run sends no mutating call: the trail still does not exist afterwards.
    assert main(["apply", str(plan_file), "--dry-run"]) == EXIT_OK
    assert boto3.client("cloudtrail", region_name=REGION).describe_trails()["trailList"] == []
    assert main(["apply", str(plan_file), "--yes"]) == EXIT_OK
    trails = boto3.client("cloudtrail", region_name=REGION).describe_trails()["trailList"]
    assert [t["Name"] for t in trails] == ["rootguard"]


def test_apply_with_another_accounts_credentials_exits_3_and_says_both_accounts(
    exposed_account: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan_file = tmp_path / "plan.json"
    made = main(["plan", "--region", REGION, "--email", "a@example.com", "--out", str(plan_file)])
    assert made == EXIT_OK
    capsys.readouterr()
    plan_account = json.loads(plan_file.read_text())["account_id"]

    # Credentials of another account B: a member's OrganizationAccountAccessRole.
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="member", Email="member@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    assert member != plan_account
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="cli-test",
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])

    for flags in (["--yes"], ["--dry-run"]):
        assert main(["apply", str(plan_file), *flags]) == EXIT_ERROR
        (line,) = capsys.readouterr().err.splitlines()
        assert f"the plan is for account {plan_account} (aws)" in line
        assert f"the credentials reach account {member} (aws)" in line
    assert boto3.client("cloudtrail", region_name=REGION).describe_trails()["trailList"] == []

    # With the plan account's own credentials the same line names it twice, and it applies.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    assert main(["apply", str(plan_file), "--dry-run"]) == EXIT_OK
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"the plan is for account {plan_account} (aws); "
        f"the credentials reach account {plan_account} (aws) as arn:aws:"
    )


def test_plan_that_could_not_read_what_it_needs_says_so_first_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rootguard._remediation._plan import Plan
    from tests.snapshot_builders import HOME, denied, good_snapshot, with_gap, with_region

    complete = tmp_path / "complete.json"
    complete.write_text(good_snapshot().model_dump_json())
    assert main(["plan", "--snapshot-in", str(complete)]) == EXIT_OK
    assert "No changes. The root-monitoring chain is in place." in capsys.readouterr().out

    snap = with_region(good_snapshot(), HOME, alarms=None)  # DescribeAlarms denied
    unread = tmp_path / "unread.json"
    unread.write_text(
        with_gap(snap, denied("cloudwatch", "DescribeAlarms", HOME)).model_dump_json()
    )
    out_file = tmp_path / "plan.json"
    code = main(["plan", "--snapshot-in", str(unread), "--out", str(out_file)])
    captured = capsys.readouterr()
    assert code == EXIT_ERROR == 3
    lines = captured.out.splitlines()
    assert lines[2].startswith("INCOMPLETE PLAN: 1 item could not be planned")
    assert "cloudwatch:DescribeAlarms in us-east-1 failed: AccessDenied" in captured.out
    assert "nothing to do" not in captured.out.lower()
    assert "No changes. The root-monitoring chain is in place." not in captured.out
    assert "the plan is incomplete" in captured.err
    assert "cloudwatch:DescribeAlarms" in captured.err
    saved = Plan.from_json(out_file.read_text())
    assert not saved.complete
    assert [b.kind for b in saved.blocked] == ["metric_filter"]


def test_bad_input_gets_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(tmp_path / "missing.json"), "--yes"]) == EXIT_USAGE
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a plan"}')
    assert main(["apply", str(bad), "--yes"]) == EXIT_USAGE
    assert "not a valid rootguard plan" in capsys.readouterr().err
    assert main(["plan", "--email", "not-an-address", "--snapshot-in", str(bad)]) == EXIT_USAGE


def test_demo_runs_the_whole_job() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rootguard", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "== 1. check ==" in out
    assert "console_signin" in out
    assert "a second plan has 0 API actions" in out
    assert "monitoring.root_metric_alarm     PASS" in out
    assert "0 failed" in out

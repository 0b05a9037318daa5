"""``rootguard activity``: --fail-on by severity, the table's columns, the summary line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from rootguard._cli import main
from rootguard._fail_on import EXIT_FINDINGS, EXIT_OK

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def _signin(mfa: str, event_id: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"},
        "eventTime": "2026-11-20T10:00:00Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "Mozilla/5.0",
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"MFAUsed": mfa},
        "eventID": event_id,
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": ACCOUNT,
    }


def _key_use(event_id: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "Root",
            "arn": f"arn:aws:iam::{ACCOUNT}:root",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        },
        "eventTime": "2026-11-21T08:30:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15",
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }


def _archive(tmp_path: Path, *records: dict[str, Any]) -> str:
    folder = tmp_path / "logs"
    folder.mkdir()
    body = json.dumps({"Records": list(records)}).encode()
    (folder / "one.json.gz").write_bytes(gzip.compress(body, mtime=0))
    return str(folder)


@pytest.mark.parametrize(
    ("records", "fail_on", "expected"),
    [
        (["key"], None, EXIT_FINDINGS),  # default high: a root key is critical
        (["key"], "critical", EXIT_FINDINGS),
        (["key"], "never", EXIT_OK),
        (["no-mfa"], None, EXIT_FINDINGS),  # sign-in without MFA: high
        (["no-mfa"], "critical", EXIT_OK),
        (["mfa"], None, EXIT_OK),  # sign-in with MFA: medium
        (["mfa"], "medium", EXIT_FINDINGS),
        (["mfa"], "informational", EXIT_FINDINGS),
        (["mfa", "key"], "critical", EXIT_FINDINGS),
    ],
)
def test_fail_on_is_a_severity_threshold(
    records: list[str],
    fail_on: str | None,
    expected: int,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    made = {
        "key": _key_use("k-1"),
        "no-mfa": _signin("No", "s-1"),
        "mfa": _signin("Yes", "s-2"),
    }
    argv = ["activity", "--archive", _archive(tmp_path, *(made[r] for r in records))]
    argv += ["--workers", "1", "-o", "json"]
    if fail_on:
        argv += ["--fail-on", fail_on]
    assert main(argv) == expected
    found = json.loads(capsys.readouterr().out)
    assert len(found) == len(records)


def test_the_table_shows_when_who_where_how_from_where_mfa_and_severity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "140")
    archive = _archive(tmp_path, _signin("No", "s-1"), _key_use("k-1"))
    main(["activity", "--archive", archive, "--workers", "1"])
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    header = lines[0].split()
    assert header == [
        "time",
        "(UTC)",
        "account",
        "region",
        "channel",
        "event",
        "source",
        "IP",
        "MFA",
        "severity",
    ]
    rows = [line.split() for line in lines[2:]]
    assert rows[0] == [
        "2026-11-20",
        "10:00",
        ACCOUNT,
        REGION,
        "console_signin",
        "ConsoleLogin",
        "198.51.100.23",
        "no",
        "high",
    ]
    assert rows[1][4:] == ["access_key", "ListBuckets", "203.0.113.7", "?", "critical"]
    assert max(len(line) for line in lines) <= 140
    assert "\x1b[" not in captured.out  # not a terminal: no colour
    assert captured.err.strip() == (
        "1 files seen: 1 scanned, 0 skipped, 0 unreadable; 2 events, 2 root activities"
    )


def test_markdown_output_has_the_source_ip_and_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _key_use("k-1")
    record["eventName"] = "<script>alert(1)</script>|x"
    main(["activity", "--archive", _archive(tmp_path, record), "-o", "markdown", "--workers", "1"])
    out = capsys.readouterr().out
    assert "| source IP |" in out
    assert "203.0.113.7" in out
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\|x" in out

"""The CLI's policy: rootguard.toml or [tool.rootguard] in pyproject.toml (or --config),
unknown keys named, --checks, suppressions and expected activity end to end."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rootguard._cli import main
from rootguard._fail_on import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from tests.snapshot_builders import good_snapshot

SUPPRESS_MFA = """
[[suppressions]]
check_id = "root.mfa_enabled"
reason = "SEC-9: hardware token on its way"
expires = 2099-12-31
"""


@pytest.fixture
def snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A saved snapshot where root.mfa_enabled (and root.hardware_mfa) fail; cwd is
    tmp_path, where the config files go."""
    monkeypatch.chdir(tmp_path)
    snap = good_snapshot(account_summary={"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0})
    path = tmp_path / "snapshot.json"
    path.write_text(snap.to_json())
    return path


def _statuses(out: str) -> dict[str, str]:
    return {f["check_id"]: f["status"] for f in json.loads(out)["findings"]}


def test_rootguard_toml_in_the_working_directory_is_the_policy(
    snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["check", "--snapshot-in", str(snapshot), "-o", "json", "--checks", "root.mfa_enabled"]
    assert main(argv) == EXIT_FINDINGS
    assert _statuses(capsys.readouterr().out) == {"root.mfa_enabled": "FAIL"}
    (snapshot.parent / "rootguard.toml").write_text(SUPPRESS_MFA)
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert _statuses(out) == {"root.mfa_enabled": "SUPPRESSED"}
    (finding,) = json.loads(out)["findings"]
    assert finding["suppression"]["reason"] == "SEC-9: hardware token on its way"
    assert finding["suppression"]["status"] == "FAIL"


def test_tool_rootguard_in_pyproject_and_an_explicit_config(
    snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.rootguard]\nchecks = ["root.mfa_enabled"]\n'
        + SUPPRESS_MFA.replace("[[suppressions]]", "[[tool.rootguard.suppressions]]")
    )
    assert main(["check", "--snapshot-in", str(snapshot), "-o", "json"]) == EXIT_OK
    assert _statuses(capsys.readouterr().out) == {"root.mfa_enabled": "SUPPRESSED"}
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    (elsewhere / "strict.toml").write_text('checks = ["root.*"]\n')
    argv = ["--config", str(elsewhere / "strict.toml"), "check", "--snapshot-in", str(snapshot)]
    assert main([*argv, "-o", "json"]) == EXIT_FINDINGS
    statuses = _statuses(capsys.readouterr().out)
    assert statuses["root.mfa_enabled"] == "FAIL"  # the explicit file wins
    assert all(c.startswith("root.") for c in statuses)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("root_usage_dayz = 30\n", "unknown key 'root_usage_dayz' (known keys: allow_excluded"),
        (SUPPRESS_MFA + 'regoin = "us-east-1"\n', "unknown key 'suppressions[0].regoin'"),
        (
            "[[expected_activity]]\nreason='x'\nexpires=2099-01-01\nip='1.2.3.4'\n",
            "'expected_activity[0].ip'",
        ),
        ("root_usage_days = -1\n", "root_usage_days: Input should be greater than or equal to 0"),
        ('checks = ["root.mfa"]\n', "no check id is or matches 'root.mfa'"),
        (
            "[[suppressions]]\ncheck_id='root.*'\nreason='x'\n",
            "suppressions[0].expires: Field required",
        ),
        ("root_usage_days = \n", "not valid TOML"),
    ],
)
def test_a_bad_config_is_one_line_naming_the_key_and_exit_2(
    text: str, says: str, snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (snapshot.parent / "rootguard.toml").write_text(text)
    assert main(["check", "--snapshot-in", str(snapshot)]) == EXIT_USAGE
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith("rootguard: error: ")
    assert "rootguard.toml" in line
    assert says in line
    assert captured.out == ""


def test_config_and_checks_errors(snapshot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--snapshot-in", str(snapshot), "--config", "missing.toml"]) == 2
    assert "cannot read missing.toml" in capsys.readouterr().err
    assert main(["check", "--snapshot-in", str(snapshot), "--checks", "nope"]) == EXIT_USAGE
    assert "--checks: no check id is or matches 'nope'" in capsys.readouterr().err
    assert main(["--config", "x.toml", "plan", "--snapshot-in", str(snapshot)]) == EXIT_USAGE
    assert "plan takes no --config" in capsys.readouterr().err


def test_expected_activity_is_marked_and_does_not_fail_activity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "160")
    record = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "Root",
            "arn": "arn:aws:iam::111122223333:root",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        },
        "eventTime": "2026-11-20T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "eventID": "k-1",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    argv = ["activity", "--archive", str(logs), "--workers", "1"]
    assert main(argv) == EXIT_FINDINGS  # a root access key: critical
    capsys.readouterr()
    (tmp_path / "rootguard.toml").write_text(
        '[[expected_activity]]\nsource_ips = ["203.0.113.0/24"]\nevent_names = ["ListBuckets"]\n'
        'reason = "key rotation drill SEC-77"\nexpires = 2099-01-01\n'
    )
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert "expected until 2099-01-01: key rotation drill SEC-77" in " ".join(out.split())
    assert "critical" in out  # still listed, with its severity
    assert main([*argv, "-o", "json"]) == EXIT_OK
    (found,) = json.loads(capsys.readouterr().out)
    assert found["expected"] == {
        "reason": "key rotation drill SEC-77",
        "expires": "2099-01-01",
        "expired": False,
    }
    (tmp_path / "rootguard.toml").write_text(
        '[[expected_activity]]\nsource_ips = ["203.0.113.0/24"]\n'
        'reason = "old drill"\nexpires = 2020-01-01\n'
    )
    assert main(argv) == EXIT_FINDINGS  # the rule expired: the activity counts again
    assert "EXPIRED" in capsys.readouterr().out

"""No credential in any output: every command of the CLI, at every ``-v`` level, in every
output format, against a moto server (real HTTP, real signing) with distinctive caller
credentials (a session token included) — stdout, stderr, the log records and the files
written hold neither the secret key nor the token, nor the credentials the organization
scan obtains for its member roles; and no object holding credentials shows them in
``repr``/``str``."""

from __future__ import annotations

import gzip
import json
import logging
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from moto.cloudtrail.responses import CloudTrailResponse

from rootguard._archive_s3 import settings_for
from rootguard._cli import main
from rootguard._org import _AccountTask, _assume_role_credentials
from rootguard._redact import REDACTED
from rootguard._remediation._plan import Plan
from rootguard._sessions import SessionSettings, settings_of
from tests.integration.conftest import new_session, reset_server
from tests.integration.org_builder import moto_organization

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "AKIARGNOSECRETS00042"
SECRET_KEY = "rgSECRETdistinct/0123456789+abcdefghijKLMN"
SESSION_TOKEN = "rgTOKENdistinct//FwoGZXIvYXdzEBcaDNoSecretsHere0123456789+token=="
REGION = "us-east-1"
BUCKET = "rootguard-no-secrets-logs"
LEVELS = ("-v", "-vv", "-vvv")

# Everything the CLI offers, per command: (arguments, output formats).
RUNS: list[tuple[str, list[str]]] = [
    *[(f"check {o}", ["check", "--region", REGION, "--output", o, "--fail-on", "never"])
      for o in ("table", "json", "asff", "ocsf", "markdown")],
    *[(f"activity {o}", ["activity", "--region", REGION, "--output", o])
      for o in ("table", "json", "markdown")],
    ("activity s3 archive", ["activity", "--archive", f"s3://{BUCKET}/AWSLogs/",
                             "--workers", "1", "--output", "json"]),
    ("plan", ["plan", "--region", REGION, "--email", "sec@example.com"]),
    ("apply dry run", ["apply", "PLAN", "--dry-run"]),
    *[(f"org check {o}", ["org", "check", "--region", REGION, "--output", o,
                          "--fail-on", "never"])
      for o in ("table", "json", "asff", "markdown")],
]  # fmt: skip


@dataclass
class World:
    """The moto server's state for the whole module."""

    endpoint: str
    management_id: str
    member_id: str


def _moto_assumed_credentials() -> list[str]:
    """Every secret key and session token moto handed out for ``sts:AssumeRole``."""
    from moto.sts.models import sts_backends

    secrets: list[str] = []
    for account_id, regions in sts_backends.items():
        for backend in regions.values():
            for role in backend.assumed_roles:
                secrets += [role.secret_access_key, role.session_token]
        del account_id
    return [s for s in secrets if s]


def _lookup_events(self: Any) -> str:
    """moto has no ``LookupEvents``: one root sign-in, as CloudTrail returns it."""
    account_id = self.current_account
    record = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "Root",
            "principalId": account_id,
            "arn": f"arn:aws:iam::{account_id}:root",
            "accountId": account_id,
        },
        "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "Mozilla/5.0",
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"MFAUsed": "No"},
        "eventID": "00000000-0000-4000-8000-000000000002",
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": account_id,
    }
    item = {
        "EventId": record["eventID"],
        "EventName": "ConsoleLogin",
        "ReadOnly": "false",
        "EventTime": 1767225600.0,
        "EventSource": "signin.amazonaws.com",
        "Resources": [],
        "CloudTrailEvent": json.dumps(record),
    }
    return json.dumps({"Events": [item]})


def _put_log_file(session: boto3.Session, account_id: str) -> None:
    s3 = session.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    record = {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "Root",
            "principalId": account_id,
            "arn": f"arn:aws:iam::{account_id}:root",
            "accountId": account_id,
            "accessKeyId": "AKIAROOTKEYEXAMPLE01",
        },
        "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser",
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2",
        "eventID": "00000000-0000-4000-8000-000000000001",
        "eventType": "AwsApiCall",
        "recipientAccountId": account_id,
    }
    key = (
        f"AWSLogs/{account_id}/CloudTrail/{REGION}/2026/01/01/"
        f"{account_id}_CloudTrail_{REGION}_20260101T0000Z_abc.json.gz"
    )
    body = gzip.compress(json.dumps({"Records": [record]}).encode())
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


@pytest.fixture(scope="module")
def world(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A moto organization (management account with the whole chain, one member) and a
    log archive in S3; the environment holds only the distinctive credentials."""
    empty = tmp_path_factory.mktemp("aws")
    with pytest.MonkeyPatch.context() as mp:
        for name in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SECURITY_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        mp.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        mp.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        mp.setenv("AWS_CONFIG_FILE", str(empty / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_ENDPOINT_URL", moto_server)
        mp.setattr(CloudTrailResponse, "lookup_events", _lookup_events, raising=False)
        reset_server(moto_server)
        session = new_session()
        try:
            with moto_organization(
                session, members=(("plain-1", "plain"),), regions=[REGION]
            ) as built:
                _put_log_file(session, built.management_id)
                yield World(moto_server, built.management_id, built.id("plain-1"))
        finally:
            reset_server(moto_server)


def _leaks(text: str, secrets: list[str]) -> list[str]:
    """What of the secrets (or of signing material) shows in ``text``."""
    found = [s[:12] + "..." for s in secrets if s in text]
    found += re.findall(r"SecretAccessKey>(?!\*\*\*REDACTED)[^<]{8}", text)
    found += re.findall(r"SessionToken>(?!\*\*\*REDACTED)[^<]{8}", text)
    found += re.findall(r"(?i)x-amz-security-token[:=]\s*(?!\*\*\*REDACTED)\S{8}", text)
    found += re.findall(r"Credential=" + ACCESS_KEY, text)
    return found


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("name", "argv"), RUNS, ids=[name for name, _ in RUNS])
def test_no_credentials_in_any_output(
    world: World,
    level: str,
    name: str,
    argv: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    files: list[Path] = []
    extra: list[str] = []
    if argv[0] == "check":
        files.append(tmp_path / "snapshot.json")
        extra = ["--snapshot-out", str(files[-1])]
    elif argv[0] == "plan":
        files.append(tmp_path / "plan.json")
        extra = ["--out", str(files[-1])]
    elif argv[0] == "apply":
        saved = tmp_path / "plan.json"
        # eu-west-1 has nothing yet: a plan with actions, which apply checks against AWS
        made = main(
            [
                "plan",
                "--region",
                "eu-west-1",
                "--home-region",
                "eu-west-1",
                "--email",
                "a@example.com",
                "--out",
                str(saved),
            ]
        )
        assert Plan.from_json(saved.read_text()).api_actions, made  # apply has calls to make
        capsys.readouterr()
        caplog.clear()
        argv = [str(saved) if a == "PLAN" else a for a in argv]
    caplog.set_level(logging.DEBUG)
    code = main([level, *argv, *extra])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err[-2000:]
    assert captured.out.strip()  # the command did its job
    texts = {
        "stdout": captured.out,
        "stderr": captured.err,
        "log records": "\n".join(r.getMessage() for r in caplog.records),
        "log text": caplog.text,
        **{f.name: f.read_text() for f in files},
    }
    secrets = [SECRET_KEY, SESSION_TOKEN, *_moto_assumed_credentials()]
    for where, text in texts.items():
        assert _leaks(text, secrets) == [], f"{name} {level}: credentials in {where}"
    if level != "-v":  # botocore's debug log was there, and redacted
        assert "DEBUG botocore" in captured.err
        assert REDACTED in captured.err
    if argv[0] == "org" and level != "-v":  # the member's AssumeRole answer was logged
        assert "<SecretAccessKey>" + REDACTED in captured.err
        assert _moto_assumed_credentials()


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--region", REGION, "--output", "json", "--fail-on", "never"],
        ["org", "check", "--region", REGION, "--output", "json", "--fail-on", "never"],
        # worker processes (forked: they log through the CLI's handler too)
        ["activity", "--archive", f"s3://{BUCKET}/AWSLogs/", "--workers", "2"],
    ],
    ids=["check", "org check", "s3 archive, 2 workers"],
)
def test_the_command_in_its_own_process_prints_no_credentials(
    world: World, argv: list[str]
) -> None:
    # As a user runs it: a fresh interpreter, no handler but the CLI's own.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "rootguard", "-vv", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "DEBUG botocore.auth: CanonicalRequest" in done.stderr
    secrets = [SECRET_KEY, SESSION_TOKEN, *_moto_assumed_credentials()]
    assert _leaks(done.stdout, secrets) == []
    assert _leaks(done.stderr, secrets) == []


def test_the_cli_leaves_logging_as_it_found_it(world: World) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = [list(h.filters) for h in handlers]
    main(["-vv", "check", "--region", REGION, "--output", "json", "--fail-on", "never"])
    assert root.handlers == handlers
    assert root.level == level
    assert [list(h.filters) for h in handlers] == filters


def test_credential_holding_objects_hide_secrets_in_repr(world: World) -> None:
    caller = settings_of(Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN), region_name=REGION)
    task = _AccountTask(account_id=world.member_id, caller=caller, home_region=REGION)
    session = new_session()
    s3 = session.client("s3", region_name=REGION)
    settings = settings_for(session, s3, REGION)
    assert isinstance(settings, SessionSettings)
    assert settings.secret_key == SECRET_KEY  # it does hold them (for workers) ...
    sts = session.client("sts", region_name=REGION)
    refreshable, _ = _assume_role_credentials(
        sts,
        f"arn:aws:iam::{world.member_id}:role/OrganizationAccountAccessRole",
        session_name="rootguard",
    )
    frozen = refreshable.get_frozen_credentials()
    objects: list[Any] = [
        caller,
        task,
        settings,
        pickle.loads(pickle.dumps(caller)),  # as another process receives it
        Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN),
        refreshable,
        session,
        session.get_credentials(),
    ]
    secrets = [SECRET_KEY, SESSION_TOKEN, frozen.secret_key, frozen.token]
    for obj in objects:
        for text in (repr(obj), str(obj)):
            assert not [s for s in secrets if s and s in text], type(obj).__name__
    assert ACCESS_KEY in repr(caller)  # ... and still says whose they are

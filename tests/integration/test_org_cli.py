"""``rootguard org check`` against an in-process moto organization."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import rootguard._org
from rootguard import AccountStatus, OrganizationReport, Status
from rootguard._cli import main
from tests.integration.conftest import new_session, reset_server
from tests.integration.org_builder import BuiltOrganization, moto_organization

MEMBERS = (("plain-1", "plain"), ("exposed-1", "exposed"), ("gone", "suspended"))


@pytest.fixture
def small_org(inprocess: boto3.Session) -> Iterator[BuiltOrganization]:
    with moto_organization(inprocess, members=MEMBERS, regions=["us-east-1"]) as built:
        yield built


def test_org_check_json_is_the_organization_report(
    small_org: BuiltOrganization, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["org", "check", "--region", "us-east-1", "--output", "json"])
    out = capsys.readouterr().out
    report = OrganizationReport.from_json(out)
    assert [a.account_id for a in report.accounts] == sorted(
        [small_org.management_id, *small_org.accounts.values()]
    )
    gone = report.account(small_org.id("gone"))
    assert gone is not None
    assert gone.status is AccountStatus.SKIPPED
    exposed = report.account(small_org.id("exposed-1"))
    assert exposed is not None
    assert exposed.report is not None
    assert exposed.report.by_check("root.no_access_keys")[0].status is Status.FAIL
    assert code == 1  # FAIL findings, default --fail-on fail


def test_org_check_table_fits_and_fail_on_never_exits_zero(
    small_org: BuiltOrganization,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # not a terminal: the width rootguard then uses
    code = main(
        [
            "org",
            "check",
            "--region",
            "us-east-1",
            "--account",
            small_org.id("plain-1"),
            "--account",
            small_org.management_id,
            "--fail-on",
            "never",
        ]
    )
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert code == 0
    assert max(len(line) for line in lines) <= 100
    assert any(line.startswith(small_org.id("plain-1")) for line in lines)
    assert not any(line.startswith(small_org.id("exposed-1")) for line in lines)
    assert captured.err == ""  # stderr is not a terminal: no progress bar


def test_org_check_asff_and_markdown(
    small_org: BuiltOrganization, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["org", "check", "--region", "us-east-1", "--output", "asff", "--fail-on", "never"])
    findings = json.loads(capsys.readouterr().out)
    assert {f["AwsAccountId"] for f in findings} == {
        small_org.management_id,
        small_org.id("plain-1"),
        small_org.id("exposed-1"),
    }
    main(["org", "check", "--region", "us-east-1", "--output", "markdown", "--fail-on", "never"])
    text = capsys.readouterr().out
    assert text.startswith(f"# rootguard organization report — {small_org.organization_id}")
    assert small_org.id("gone") in text


def test_org_check_fails_cleanly_without_an_organization(
    inprocess: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["org", "check", "--region", "us-east-1"])
    assert code == 3
    assert "organizations:DescribeOrganization failed" in capsys.readouterr().err


# --------------------------------------------------------------------------- accounts in error


def deny_every_role(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sts:AssumeRole of the scan fails with AccessDenied."""

    def denied(sts: Any, role_arn: str, **_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": f"not authorized to assume {role_arn}"}},
            "AssumeRole",
        )

    monkeypatch.setattr(rootguard._org, "_assume_role_credentials", denied)


def test_an_account_in_error_fails_the_check_and_is_named_on_stderr(
    small_org: BuiltOrganization,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deny_every_role(monkeypatch)
    member = small_org.id("plain-1")
    argv = ["org", "check", "--region", "us-east-1", "--output", "json"]
    argv += ["--account", small_org.management_id, "--account", member]
    code = main(argv)
    captured = capsys.readouterr()
    report = OrganizationReport.from_json(captured.out)
    management = report.account(small_org.management_id)
    assert management is not None
    assert management.status is AccountStatus.CHECKED  # the caller's own credentials
    assert not [f for _, f in report.findings() if f.status is Status.FAIL]  # all green...
    assert code == 1  # ...but an account could not be checked
    assert f"warning: account {member} not checked: sts:AssumeRole failed: AccessDenied" in (
        captured.err
    )
    assert main([*argv, "--fail-on", "never"]) == 0  # report only


def test_no_account_checked_at_all_exits_3(
    small_org: BuiltOrganization,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deny_every_role(monkeypatch)
    members = [small_org.id("plain-1"), small_org.id("exposed-1")]
    argv = ["org", "check", "--region", "us-east-1", "--output", "json"]
    argv += [arg for m in members for arg in ("--account", m)]
    for fail_on in ("fail", "unknown", "never"):
        assert main([*argv, "--fail-on", fail_on]) == 3
    captured = capsys.readouterr()
    assert "no account of the organization could be checked" in captured.err
    for member in members:
        assert f"account {member} not checked: sts:AssumeRole failed: AccessDenied" in captured.err


# --------------------------------------------------------------------------- plain moto server


@pytest.fixture
def plain_server_org(
    aws_env: None, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, list[str]]]:
    """An organization with two members created on a moto server, nothing patched:
    moto answers what it implements, and an HTTP 500 page for what it does not."""
    # The server runs in this process: its request log and its tracebacks for what it
    # does not implement would reach the CLI's stderr handler.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", True)
    reset_server(moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    organizations = new_session().client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    management = organizations.describe_organization()["Organization"]["MasterAccountId"]
    members = [
        organizations.create_account(Email=f"{name}@example.com", AccountName=name)[
            "CreateAccountStatus"
        ]["AccountId"]
        for name in ("member-a", "member-b")
    ]
    try:
        yield management, members
    finally:
        reset_server(moto_server)


def test_org_check_on_a_plain_moto_server_checks_every_account(
    plain_server_org: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    management, members = plain_server_org
    code = main(["org", "check", "--region", "us-east-1", "--output", "json"])
    captured = capsys.readouterr()
    report = OrganizationReport.from_json(captured.out)
    assert [a.account_id for a in report.accounts] == sorted([management, *members])
    assert [a.status for a in report.accounts] == [AccountStatus.CHECKED] * 3
    assert report.management_account_id == management
    # moto has no iam:ListOrganizationsFeatures: it answers an HTML 500 page
    [central] = report.organization_findings
    assert central.check_id == "root.centralized_access"
    assert central.status is Status.UNKNOWN
    assert central.evidence["reported_by"] == management
    [gap] = central.evidence["gaps"]
    assert (gap["service"], gap["operation"], gap["error_code"]) == (
        "iam",
        "ListOrganizationsFeatures",
        "ResponseParserError",
    )
    assert "ResponseParserError" in central.detail
    # no trail, no alarm, no rule anywhere: FAIL findings, so --fail-on fail exits 1
    assert code == 1
    assert captured.err == ""


@pytest.mark.parametrize("role_name", ["*", "arn:aws:iam::111122223333:role/Audit", "r" * 200])
def test_an_invalid_role_name_is_a_usage_error_before_any_call(
    inprocess: boto3.Session,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    role_name: str,
) -> None:
    def no_credentials(*_: Any) -> Any:
        raise AssertionError("credentials were looked up before the arguments were checked")

    monkeypatch.setattr(rootguard._org, "session_credentials", no_credentials)
    code = main(["org", "check", "--region", "us-east-1", "--role-name", role_name])
    assert code == 2
    err = capsys.readouterr().err
    assert "role_name" in err
    assert len(err.strip().splitlines()) == 1

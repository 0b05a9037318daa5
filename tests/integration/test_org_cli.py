"""``rootguard org check`` against an in-process moto organization."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from rootguard import AccountStatus, OrganizationReport, Status
from rootguard._cli import main
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
    small_org: BuiltOrganization, capsys: pytest.CaptureFixture[str]
) -> None:
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

"""Every public entry point, given a bad value (an unknown name, a negative number, a bad
format, a value of the wrong type), raises a :class:`rootguard.RootGuardError` — never a
bare ``ValueError``, ``AttributeError`` or ``OverflowError`` — and, for the functions
that call AWS, raises it before any call.

The one rule (docs/getting-started.md, "Errors"): everything raised derives from
``RootGuardError``, except ``TypeError`` for a value of the wrong type;
``ArgumentError`` is both, and also a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest

import rootguard
from rootguard._credential_report import COLUMNS
from tests.integration.conftest import count_calls

UTC = timezone.utc
NOW = datetime(2024, 5, 1, tzinfo=UTC)
ACCOUNT = "111122223333"

Call = Callable[[boto3.Session], object]

# (id, call, the error class, the ArgumentError's parameter when it is one)
SESSION_CALLS: list[tuple[str, Call, type[Exception], str | None]] = [
    # collect / check / lookup_root_activity
    (
        "collect max_workers=0",
        lambda s: rootguard.collect(session=s, max_workers=0),
        rootguard.ArgumentError,
        "max_workers",
    ),
    (
        "collect max_workers=-1",
        lambda s: rootguard.collect(session=s, max_workers=-1),
        rootguard.ArgumentError,
        "max_workers",
    ),
    (
        "collect max_workers='4'",
        lambda s: rootguard.collect(session=s, max_workers="4"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "max_workers",
    ),
    (
        "collect regions str",
        lambda s: rootguard.collect(session=s, regions="us-east-1"),
        rootguard.ArgumentError,
        "regions",
    ),
    (
        "check regions str",
        lambda s: rootguard.check(session=s, regions="us-east-1"),
        rootguard.ArgumentError,
        "regions",
    ),
    (
        "check policy by name",
        lambda s: rootguard.check(session=s, regions=["us-east-1"], policy="strict"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "policy",
    ),
    (
        "org policy by name",
        lambda s: rootguard.scan_organization(session=s, policy={"root_usage_days": 1}),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "policy",
    ),
    (
        "lookup max_workers=0",
        lambda s: rootguard.lookup_root_activity(session=s, regions=["us-east-1"], max_workers=0),
        rootguard.ArgumentError,
        "max_workers",
    ),
    (
        "lookup since str",
        lambda s: rootguard.lookup_root_activity(session=s, regions=["us-east-1"], since="2024"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "since",
    ),
    (
        "lookup rate_limit=-1",
        lambda s: rootguard.lookup_root_activity(session=s, regions=["us-east-1"], rate_limit=-1),
        rootguard.CollectError,
        None,
    ),
    (
        "lookup until before since",
        lambda s: rootguard.lookup_root_activity(
            session=s, regions=["us-east-1"], since=NOW, until=datetime(2020, 1, 1, tzinfo=UTC)
        ),
        rootguard.CollectError,
        None,
    ),
    # scan_organization
    (
        "org accounts not 12 digits",
        lambda s: rootguard.scan_organization(session=s, accounts=["123"]),
        rootguard.ArgumentError,
        "accounts",
    ),
    (
        "org max_workers=0",
        lambda s: rootguard.scan_organization(session=s, max_workers=0),
        rootguard.ArgumentError,
        "max_workers",
    ),
    (
        "org max_workers=-3",
        lambda s: rootguard.scan_organization(session=s, max_workers=-3),
        rootguard.ArgumentError,
        "max_workers",
    ),
    (
        "org role_duration_seconds=-1",
        lambda s: rootguard.scan_organization(session=s, role_duration_seconds=-1),
        rootguard.ArgumentError,
        "role_duration_seconds",
    ),
    (
        "org endpoint_url",
        lambda s: rootguard.scan_organization(session=s, endpoint_url="nope"),
        rootguard.ArgumentError,
        "endpoint_url",
    ),
    (
        "org role_name",
        lambda s: rootguard.scan_organization(session=s, role_name="a b*"),
        rootguard.ArgumentError,
        "role_name",
    ),
    (
        "org session_name",
        lambda s: rootguard.scan_organization(session=s, session_name="a b"),
        rootguard.ArgumentError,
        "session_name",
    ),
    (
        "org audit accounts not 12 digits",
        lambda s: rootguard.scan_organization(session=s, accounts=["1"], audit_member_roots=True),
        rootguard.ArgumentError,
        "accounts",
    ),
    # audit_member_roots
    (
        "audit accounts not 12 digits",
        lambda s: rootguard.audit_member_roots(session=s, accounts=["123"]),
        rootguard.ArgumentError,
        "accounts",
    ),
    (
        "audit max_workers=0",
        lambda s: rootguard.audit_member_roots(session=s, max_workers=0),
        rootguard.ArgumentError,
        "max_workers",
    ),
    (
        "audit duration_seconds=-5",
        lambda s: rootguard.audit_member_roots(session=s, duration_seconds=-5),
        rootguard.ArgumentError,
        "duration_seconds",
    ),
    (
        "audit endpoint_url",
        lambda s: rootguard.audit_member_roots(session=s, endpoint_url="x"),
        rootguard.ArgumentError,
        "endpoint_url",
    ),
    (
        "audit endpoint_url ftp",
        lambda s: rootguard.audit_member_roots(session=s, endpoint_url="ftp://host"),
        rootguard.ArgumentError,
        "endpoint_url",
    ),
    # Athena
    (
        "hunt since str",
        lambda s: rootguard.hunt_root_activity_athena(
            session=s, database="d", table="t", since="2024-01-01"
        ),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "since",
    ),
    (
        "hunt timeout=-1",
        lambda s: rootguard.hunt_root_activity_athena(
            session=s, database="d", table="t", since=NOW, timeout=-1
        ),
        rootguard.ParseError,
        None,
    ),
    (
        "hunt database",
        lambda s: rootguard.hunt_root_activity_athena(
            session=s, database="bad name;", table="t", since=NOW
        ),
        rootguard.ParseError,
        None,
    ),
    (
        "ensure bucket",
        lambda s: rootguard.ensure_athena_table(session=s, bucket="Bad_Bucket"),
        rootguard.ParseError,
        None,
    ),
    (
        "ensure timeout=-1",
        lambda s: rootguard.ensure_athena_table(session=s, bucket="bucket-ok", timeout=-1),
        rootguard.ParseError,
        None,
    ),
    # apply
    (
        "apply not a plan",
        lambda s: rootguard.apply("not json", session=s, dry_run=True),
        rootguard.ApplyError,
        None,
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "parameter"),
    [pytest.param(c, e, p, id=i) for i, c, e, p in SESSION_CALLS],
)
def test_session_entry_points_refuse_bad_arguments_before_any_call(
    inprocess: boto3.Session, call: Call, error: type[Exception], parameter: str | None
) -> None:
    calls = count_calls(inprocess)
    with pytest.raises(error) as caught:
        call(inprocess)
    assert isinstance(caught.value, rootguard.RootGuardError)
    if parameter is not None:
        assert isinstance(caught.value, rootguard.ArgumentError)
        assert caught.value.parameter == parameter
        assert isinstance(caught.value, ValueError)  # the old ValueError still catches it
        assert isinstance(caught.value, TypeError)
    assert not calls, dict(calls)


def _snapshot() -> rootguard.AccountSnapshot:
    return rootguard.AccountSnapshot(account_id=ACCOUNT, regions=["us-east-1"])


def _report() -> rootguard.Report:
    return rootguard.evaluate(_snapshot(), now=NOW)


def _org() -> rootguard.OrganizationReport:
    account = rootguard.AccountResult(
        account_id=ACCOUNT, status=rootguard.AccountStatus.CHECKED, report=_report()
    )
    return rootguard.OrganizationReport.from_accounts([account], generated_at=NOW)


def _audit() -> rootguard.MemberRootAudit:
    return rootguard.MemberRootAudit.from_json(
        rootguard.MemberRootAudit(generated_at=NOW).to_json()
    )


def _credential_report() -> rootguard.CredentialReport:
    values = {
        "user": "<root_account>",
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "user_creation_time": "2020-01-01T00:00:00+00:00",
        "password_enabled": "not_supported",
        "password_last_used": "2024-04-30T00:00:00+00:00",
        "mfa_active": "true",
        "access_key_1_active": "false",
        "access_key_2_active": "false",
        "cert_1_active": "false",
        "cert_2_active": "false",
    }
    row = [values.get(column, "N/A") for column in COLUMNS]
    return rootguard.parse_credential_report(f"{','.join(COLUMNS)}\n{','.join(row)}\n")


PURE_CALLS: list[tuple[str, Callable[[], object], type[Exception], str | None]] = [
    # the organization report and the member-root audit
    ("org render", lambda: _org().render("bogus"), rootguard.ArgumentError, "output"),
    ("org exit_code", lambda: _org().exit_code("bogus"), rootguard.ArgumentError, "fail_on"),
    ("org to_json indent=-1", lambda: _org().to_json(indent=-1), rootguard.ArgumentError, "indent"),
    (
        "org to_asff now str",
        lambda: _org().to_asff(now="2024"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "now",
    ),
    (
        "org from_json",
        lambda: rootguard.OrganizationReport.from_json("{"),
        rootguard.ParseError,
        None,
    ),
    ("audit render", lambda: _audit().render("bogus"), rootguard.ArgumentError, "output"),
    ("audit exit_code", lambda: _audit().exit_code("error"), rootguard.ArgumentError, "fail_on"),
    (
        "audit to_json indent=-2",
        lambda: _audit().to_json(indent=-2),
        rootguard.ArgumentError,
        "indent",
    ),
    # the account report, the snapshot, the other results
    (
        "report to_asff now str",
        lambda: _report().to_asff(now="2024"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "now",
    ),
    (
        "report to_ocsf now str",
        lambda: _report().to_ocsf(now="2024"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "now",
    ),
    (
        "report to_json indent=-1",
        lambda: _report().to_json(indent=-1),
        rootguard.ArgumentError,
        "indent",
    ),
    ("report from_json", lambda: rootguard.Report.from_json("[]"), rootguard.ParseError, None),
    (
        "snapshot to_json indent=-1",
        lambda: _snapshot().to_json(indent=-1),
        rootguard.ArgumentError,
        "indent",
    ),
    (
        "snapshot from_json",
        lambda: rootguard.AccountSnapshot.from_json("{}"),
        rootguard.ParseError,
        None,
    ),
    (
        "scan result to_json indent=-1",
        lambda: rootguard.ScanResult().to_json(indent=-1),
        rootguard.ArgumentError,
        "indent",
    ),
    (
        "activities to_json indent=-1",
        lambda: rootguard.RootActivities().to_json(indent=-1),
        rootguard.ArgumentError,
        "indent",
    ),
    ("plan from_json", lambda: rootguard.Plan.from_json("{}"), rootguard.PlanError, None),
    (
        "plan bad option",
        lambda: rootguard.plan(_snapshot(), {"log_retention_days": -1}),
        rootguard.PlanError,
        None,
    ),
    (
        "options bad retention",
        lambda: rootguard.RemediationOptions(log_retention_days=-1),
        rootguard.PlanError,
        None,
    ),
    # parsing and detection
    (
        "classify source",
        lambda: rootguard.classify_event({}, source="nope"),
        rootguard.ParseError,
        None,
    ),
    (
        "detect source",
        lambda: rootguard.detect_root_activity([], source="nope"),
        rootguard.ParseError,
        None,
    ),
    ("parse event", lambda: rootguard.parse_cloudtrail_event("nope"), rootguard.ParseError, None),
    ("parse report", lambda: rootguard.parse_credential_report("x"), rootguard.ParseError, None),
    (
        "credential report now str",
        lambda: rootguard.root_activity_from_credential_report(_credential_report(), now="x"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "now",
    ),
    (
        "credential report since str",
        lambda: rootguard.root_activity_from_credential_report(
            _credential_report(), now=NOW, since=date(2024, 1, 1)
        ),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "since",
    ),
    (
        "read file max_file_bytes=-1",
        lambda: list(rootguard.read_cloudtrail_file(b"{}", max_file_bytes=-1)),
        rootguard.ParseError,
        None,
    ),
    (
        "read file missing",
        lambda: list(rootguard.read_cloudtrail_file("/nonexistent/rootguard.json")),
        rootguard.ParseError,
        None,
    ),
    # patterns
    (
        "filter pattern",
        lambda: rootguard.compile_filter_pattern("{ $.x = "),
        rootguard.PatternError,
        None,
    ),
    (
        "filter pattern match",
        lambda: rootguard.filter_pattern_matches("{", "x"),
        rootguard.PatternError,
        None,
    ),
    (
        "event pattern",
        lambda: rootguard.compile_event_pattern("nope"),
        rootguard.PatternError,
        None,
    ),
    (
        "event pattern value",
        lambda: rootguard.compile_event_pattern({"source": 1}),
        rootguard.PatternError,
        None,
    ),
    (
        "event pattern match",
        lambda: rootguard.event_pattern_matches("nope", {}),
        rootguard.PatternError,
        None,
    ),
    (
        "scp json",
        lambda: rootguard.scp_denies_root("nope", account_id=ACCOUNT),
        rootguard.ParseError,
        None,
    ),
    (
        "scp account",
        lambda: rootguard.scp_denies_root("{}", account_id="bad"),
        rootguard.ParseError,
        None,
    ),
    (
        "scp partition",
        lambda: rootguard.scp_denies_root("{}", account_id=ACCOUNT, partition="x"),
        rootguard.ParseError,
        None,
    ),
    # Athena DDL, permissions
    ("ddl bucket", lambda: rootguard.athena_table_ddl(bucket=""), rootguard.ParseError, None),
    (
        "ddl accounts",
        lambda: rootguard.athena_table_ddl(bucket="bucket-ok", accounts=["1"]),
        rootguard.ParseError,
        None,
    ),
    (
        "ddl table",
        lambda: rootguard.athena_table_ddl(bucket="bucket-ok", table="x'y"),
        rootguard.ParseError,
        None,
    ),
    (
        "evaluate snapshot",
        lambda: rootguard.evaluate("x"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "snapshot",
    ),
    (
        "evaluate now",
        lambda: rootguard.evaluate(_snapshot(), now="2024-01-01"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "now",
    ),
    (
        "evaluate policy",
        lambda: rootguard.evaluate(_snapshot(), policy="strict"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "policy",
    ),
    (
        "permissions mode",
        lambda: rootguard.required_permissions("bogus"),  # type: ignore[arg-type]
        rootguard.ArgumentError,
        "mode",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "parameter"),
    [pytest.param(c, e, p, id=i) for i, c, e, p in PURE_CALLS],
)
def test_pure_entry_points_raise_rootguard_errors(
    call: Callable[[], object], error: type[Exception], parameter: str | None
) -> None:
    with pytest.raises(error) as caught:
        call()
    assert isinstance(caught.value, rootguard.RootGuardError)
    if parameter is not None:
        assert isinstance(caught.value, rootguard.ArgumentError)
        assert caught.value.parameter == parameter


def test_archive_scan_refuses_bad_arguments(tmp_path: Path) -> None:
    for kwargs in (
        {"max_workers": 0},
        {"max_file_bytes": -1},
        {"max_record_bytes": 0},
        {"since": NOW, "until": datetime(2020, 1, 1, tzinfo=UTC)},
    ):
        with pytest.raises(rootguard.ScanError):
            rootguard.scan_cloudtrail_archive(tmp_path, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(rootguard.ArgumentError) as caught:
        rootguard.scan_cloudtrail_archive(tmp_path, since="2024-01-01")  # type: ignore[arg-type]
    assert caught.value.parameter == "since"
    with pytest.raises(rootguard.ScanError):
        rootguard.scan_cloudtrail_archive(tmp_path / "missing", max_workers=1)


def test_the_old_value_errors_still_catch() -> None:
    # render/exit_code raised a plain ValueError: code that caught it keeps working
    org = _org()
    with pytest.raises(ValueError, match=r"unknown output 'bogus' \(table, json, asff"):
        org.render("bogus")
    with pytest.raises(ValueError, match=r"unknown fail_on 'x' \(fail, unknown, error, never\)"):
        org.exit_code("x")
    assert org.render("json") == org.to_json()
    assert org.exit_code("never") == 0


def test_good_values_still_pass(inprocess: Any) -> None:
    # the checks refuse only what is wrong: the boundary values are accepted
    assert rootguard.collect(session=inprocess, regions=["us-east-1"], max_workers=1).regions
    assert _snapshot().to_json(indent=0).startswith("{")
    found = rootguard.root_activity_from_credential_report(
        _credential_report(), now=datetime(2024, 5, 1)
    )  # a naive datetime is UTC, as documented
    assert [a.credential for a in found] == ["password"]

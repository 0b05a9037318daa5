"""Credential report parsing and root activity from last-used dates."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rootguard
from rootguard import (
    ActivitySource,
    Channel,
    CredentialReport,
    CredentialReportRow,
    CredentialUse,
    MissingReason,
    ParseError,
    RootActivity,
    Severity,
    parse_credential_report,
    root_activity_from_credential_report,
)
from rootguard._credential_report import COLUMNS
from tests.strategies import cr_csv_texts, cr_raw_reports, credential_reports

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CUSTODIAN = FIXTURES / "cloud-custodian"
PANTHER = FIXTURES / "panther"
UTC = timezone.utc
HEADER = ",".join(COLUMNS)
NA = MissingReason.NOT_APPLICABLE
NO_INFO = MissingReason.NO_INFORMATION
NOT_SUPPORTED = MissingReason.NOT_SUPPORTED


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def custodian(name: str) -> dict[str, Any]:
    """The ``data`` of a recorded (placebo) response."""
    data: dict[str, Any] = json.loads((CUSTODIAN / name).read_text())["data"]
    return data


def custodian_report(name: str) -> tuple[CredentialReport, dict[str, Any]]:
    data = custodian(name)
    gt = data["GeneratedTime"]  # placebo's serialized datetime
    generated = datetime(
        gt["year"], gt["month"], gt["day"], gt["hour"], gt["minute"], gt["second"], tzinfo=UTC
    )
    return parse_credential_report(data["Content"], generated_at=generated), data


def row_line(**cells: str) -> str:
    """A CSV row: every column N/A (user/arn given or defaulted) except ``cells``."""
    defaults = {"user": "alice", "arn": "arn:aws:iam::111122223333:user/alice"}
    return ",".join(cells.get(c, defaults.get(c, "N/A")) for c in COLUMNS)


def root_line(**cells: str) -> str:
    base = {
        "user": "<root_account>",
        "arn": "arn:aws:iam::111122223333:root",
        "user_creation_time": "2020-01-01T00:00:00+00:00",
        "password_enabled": "not_supported",
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "true",
        "access_key_1_active": "false",
        "access_key_2_active": "false",
        "cert_1_active": "false",
        "cert_2_active": "false",
    }
    base.update(cells)
    return row_line(**base)


def report_of(*lines: str) -> CredentialReport:
    return parse_credential_report("\n".join([HEADER, *lines]))


# --------------------------------------------------------------------------------------
# Real reports (Cloud Custodian recordings of real accounts)
# --------------------------------------------------------------------------------------


def test_account_report_2017_root_with_mfa_and_password() -> None:
    report, data = custodian_report(
        "test_account_credential_report__iam.GetCredentialReport_1.json"
    )
    assert report.generated_at == utc(2017, 2, 22, 23, 7, 48)
    assert len(report.rows) == 21
    root = report.root
    assert root is not None
    assert root is report.rows[0]
    assert root.is_root
    assert root.arn == "arn:aws:iam::644160558196:root"
    assert root.account_id == "644160558196"
    assert root.user_creation_time == utc(2016, 5, 16, 18, 13, 11)
    assert root.mfa_active is True
    assert root.password_enabled is None
    assert root.reason("password_enabled") is NOT_SUPPORTED
    assert root.reason("password_last_changed") is NOT_SUPPORTED
    assert root.reason("password_next_rotation") is NOT_SUPPORTED
    assert root.password_last_used == utc(2016, 10, 6, 15, 47, 11)
    assert root.reason("password_last_used") is None
    assert root.has_password is True
    assert root.active_access_keys == ()
    assert root.active_certificates == ()
    assert root.access_key_1_last_used_date is None
    assert root.reason("access_key_1_last_used_date") is NA
    assert root.last_used_credentials() == (
        CredentialUse("password", utc(2016, 10, 6, 15, 47, 11), None, None),
    )
    # IAM users: key 2 used in a region; S3 has no region (N/A); never-used password.
    users = {(r.user, r.password_last_used) for r in report.rows}
    assert len(users) == 21  # christopher has two rows; both are kept
    andrew = next(r for r in report.rows if r.user == "andrew")
    assert not andrew.is_root
    assert andrew.has_password is True
    assert andrew.active_access_keys == ("access_key_1", "access_key_2")
    assert andrew.access_key_1_last_used_date is None
    assert andrew.access_key_2_last_used_date == utc(2016, 10, 20, 20, 27)
    assert andrew.access_key_2_last_used_region == "us-east-1"
    assert andrew.access_key_2_last_used_service == "ec2"
    calvin = next(r for r in report.rows if r.user == "calvin")
    assert calvin.access_key_1_last_used_region is None
    assert calvin.reason("access_key_1_last_used_region") is NA
    assert calvin.access_key_1_last_used_service == "s3"
    christophers = [r for r in report.rows if r.user == "christopher"]
    assert len(christophers) == 2
    assert christophers[0].password_last_used is None
    assert christophers[0].reason("password_last_used") is NO_INFO
    assert christophers[0].password_enabled is True
    c7n = next(r for r in report.rows if r.user == "c7n-iam-test")
    assert c7n.has_password is False
    assert c7n.reason("password_last_used") is NA
    # AWS's own text comes back byte for byte.
    assert report.to_csv() == data["Content"]


def test_organizations_created_root_without_mfa_and_no_information() -> None:
    report, data = custodian_report(
        "test_iam_user_credential_multi_delete_noop__iam.GetCredentialReport_1.json"
    )
    root = report.root
    assert root is not None
    assert root.account_id == "644160558196"
    assert root.mfa_active is False
    assert root.password_last_used is None
    assert root.reason("password_last_used") is NO_INFO
    # no_information for root: never used, or no password ever set — not guessed.
    assert root.has_password is None
    assert root.active_access_keys == ()
    assert root.last_used_credentials() == ()
    test1 = report.rows[1]
    assert test1.user == "test1"
    assert test1.access_key_1_active is False
    assert test1.access_key_1_last_rotated == utc(2020, 2, 3, 9, 50, 7)  # inactive key exists
    assert test1.access_key_2_active is True
    assert test1.access_key_2_last_rotated == utc(2099, 2, 3, 9, 50, 21)
    assert test1.active_access_keys == ("access_key_2",)
    assert report.to_csv() == data["Content"]
    assert root_activity_from_credential_report(report, now=utc(2021, 2, 4, 15, 24, 53)) == []


@pytest.mark.parametrize(
    "name",
    [
        "test_iam_user_unused_keys__iam.GetCredentialReport_2.json",
        "test_iam_user_unused_keys_report_in_progress__iam.GetCredentialReport_2.json",
    ],
)
def test_root_with_active_key_and_signing_certificate(name: str) -> None:
    report, data = custodian_report(name)
    root = report.root
    assert root is not None
    assert root.account_id == "619193117841"
    assert root.mfa_active is False
    assert root.has_password is True
    assert root.password_last_used == utc(2016, 11, 25, 14, 19, 48)
    assert root.active_access_keys == ("access_key_1",)
    assert root.access_key_1_last_rotated == utc(2011, 8, 19, 5, 12, 23)
    assert root.access_key_1_last_used_date == utc(2015, 7, 4, 15, 9)
    assert root.access_key_1_last_used_region == "us-east-1"
    assert root.access_key_1_last_used_service == "s3"
    assert root.access_key_2_active is False
    assert root.access_key_2_last_rotated == utc(2007, 10, 13, 16, 49, 50)
    assert root.reason("access_key_2_last_used_date") is NA
    assert root.active_certificates == ("cert_1",)
    assert root.cert_1_last_rotated == utc(2008, 6, 25, 2, 7, 10)
    assert root.reason("cert_2_last_rotated") is NA
    assert root.last_used_credentials() == (
        CredentialUse("password", utc(2016, 11, 25, 14, 19, 48)),
        CredentialUse("access_key_1", utc(2015, 7, 4, 15, 9), "us-east-1", "s3"),
    )
    kaleb = next(r for r in report.rows if r.user == "kaleb")
    assert kaleb.password_enabled is True
    assert kaleb.reason("password_last_used") is NO_INFO
    assert kaleb.reason("password_next_rotation") is NA  # no rotation policy
    assert report.to_csv() == data["Content"]


def test_generated_time_in_the_future_is_stored_as_given() -> None:
    report, _ = custodian_report(
        "test_iam_user_unused_keys_report_in_progress__iam.GetCredentialReport_2.json"
    )
    assert report.generated_at == utc(2116, 11, 25, 14, 30, 42)


def test_real_report_root_activity_at_generation_time() -> None:
    report, _ = custodian_report("test_iam_user_unused_keys__iam.GetCredentialReport_2.json")
    assert report.generated_at is not None
    # Default 90-day window: the password (10 minutes earlier) is in, the 2015 key use out.
    [password] = root_activity_from_credential_report(report, now=report.generated_at)
    assert password.credential == "password"
    assert password.event_time == utc(2016, 11, 25, 14, 19, 48)
    assert password.severity is Severity.HIGH
    assert password.account_id == "619193117841"
    # A window reaching back to 2015 finds the key as well, most recent first.
    both = root_activity_from_credential_report(
        report, now=report.generated_at, since=utc(2015, 1, 1)
    )
    assert [(a.credential, a.severity, a.region, a.event_source) for a in both] == [
        ("password", Severity.HIGH, None, None),
        ("access_key_1", Severity.CRITICAL, "us-east-1", "s3"),
    ]


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in CUSTODIAN.glob("*GetCredentialReport*.json")),
)
def test_every_recorded_response(name: str) -> None:
    data = custodian(name)
    if "Error" in data:
        # ReportNotPresent / ReportInProgress: there is no report to parse.
        assert data["Error"]["Code"] in {"ReportNotPresent", "ReportInProgress"}
        with pytest.raises(ParseError) as info:
            CredentialReport.from_response(data)
        assert info.value.column == "Content"
        return
    report, _ = custodian_report(name)
    assert report.root is not None
    assert CredentialReport.model_validate_json(report.model_dump_json()) == report
    assert parse_credential_report(report.to_csv(), generated_at=report.generated_at) == report
    for row in report.rows:
        for column in COLUMNS[2:]:
            value = getattr(row, column)
            assert value not in {"N/A", "no_information", "not_supported"}
            assert (value is None) == (row.reason(column) is not None)


def test_from_response_boto3_and_cli_shapes() -> None:
    data = custodian("test_iam_user_unused_keys__iam.GetCredentialReport_2.json")
    expected = parse_credential_report(data["Content"], generated_at=utc(2016, 11, 25, 14, 30, 42))
    boto3_shape = {
        "Content": data["Content"].encode(),
        "ReportFormat": "text/csv",
        "GeneratedTime": datetime(2016, 11, 25, 14, 30, 42, tzinfo=UTC),
    }
    assert CredentialReport.from_response(boto3_shape) == expected
    cli_shape = {
        "Content": base64.b64encode(data["Content"].encode()).decode(),
        "ReportFormat": "text/csv",
        "GeneratedTime": "2016-11-25T14:30:42Z",
    }
    assert CredentialReport.from_response(cli_shape) == expected


@pytest.mark.parametrize(
    ("response", "column"),
    [
        ({"Content": b"x", "ReportFormat": "text/xml"}, "ReportFormat"),
        ({"ReportFormat": "text/csv"}, "Content"),
        ({"Content": "%%% not base64 %%%"}, "Content"),
        ({"Content": f"{HEADER}\n", "GeneratedTime": "yesterday"}, "GeneratedTime"),
        ({"Content": f"{HEADER}\n", "GeneratedTime": 12}, "GeneratedTime"),
    ],
)
def test_from_response_errors(response: dict[str, Any], column: str) -> None:
    with pytest.raises(ParseError) as info:
        CredentialReport.from_response(response)
    assert info.value.column == column


# --------------------------------------------------------------------------------------
# Panther policy tests: their Resource is a parsed root row with an ExpectedResult
# --------------------------------------------------------------------------------------

_PANTHER_COLUMNS = {
    "UserName": "user",
    "ARN": "arn",
    "UserCreationTime": "user_creation_time",
    "PasswordEnabled": "password_enabled",
    "PasswordLastUsed": "password_last_used",
    "PasswordLastChanged": "password_last_changed",
    "PasswordNextRotation": "password_next_rotation",
    "MfaActive": "mfa_active",
    "AccessKey1Active": "access_key_1_active",
    "AccessKey1LastRotated": "access_key_1_last_rotated",
    "AccessKey1LastUsedDate": "access_key_1_last_used_date",
    "AccessKey1LastUsedRegion": "access_key_1_last_used_region",
    "AccessKey1LastUsedService": "access_key_1_last_used_service",
    "AccessKey2Active": "access_key_2_active",
    "AccessKey2LastRotated": "access_key_2_last_rotated",
    "AccessKey2LastUsedDate": "access_key_2_last_used_date",
    "AccessKey2LastUsedRegion": "access_key_2_last_used_region",
    "AccessKey2LastUsedService": "access_key_2_last_used_service",
    "Cert1Active": "cert_1_active",
    "Cert1LastRotated": "cert_1_last_rotated",
    "Cert2Active": "cert_2_active",
    "Cert2LastRotated": "cert_2_last_rotated",
}


def _panther_row_to_csv(report: dict[str, Any]) -> str:
    """Panther's normalized row back to AWS CSV: Go's zero time is how Panther stores
    ``N/A``; booleans lower-case."""
    cells: dict[str, str] = {}
    for key, column in _PANTHER_COLUMNS.items():
        value = report[key]
        if isinstance(value, bool):
            cells[column] = "true" if value else "false"
        elif value == "0001-01-01T00:00:00Z":
            cells[column] = "N/A"
        else:
            cells[column] = str(value)
    return HEADER + "\n" + ",".join(cells[c] for c in COLUMNS)


def _panther_cases() -> list[Any]:
    cases = []
    for path in sorted(PANTHER.glob("policy_aws_root_account_*.yml")):
        policy = yaml.safe_load(path.read_text())
        for test in policy["Tests"]:
            cases.append(
                pytest.param(
                    policy["PolicyID"],
                    test["Resource"],
                    test["ExpectedResult"],
                    id=f"{path.stem}:{test['Name']}",
                )
            )
    return cases


def test_panther_cases_are_all_loaded() -> None:
    assert len(_panther_cases()) == 9


@pytest.mark.parametrize(("policy_id", "resource", "expected"), _panther_cases())
def test_panther_root_policies_agree(
    policy_id: str, resource: dict[str, Any], expected: bool
) -> None:
    raw = resource["CredentialReport"]
    root = parse_credential_report(_panther_row_to_csv(raw)).root
    assert root is not None
    assert root.account_id == "123456789012"
    assert root.mfa_active is raw["MfaActive"]
    assert root.access_key_1_active is raw["AccessKey1Active"]
    assert root.access_key_2_active is raw["AccessKey2Active"]
    assert root.password_last_used == utc(2019, 1, 1)
    assert root.reason("access_key_1_last_rotated") is NA  # Panther's zero time
    if policy_id == "AWS.RootAccount.MFA":
        assert expected is bool(root.mfa_active)
    elif policy_id == "AWS.RootAccount.AccessKeys":
        assert expected is (root.active_access_keys == ())
    elif policy_id == "AWS.RootAccount.HardwareMFA":
        # Panther passes when MFA is off (its MFA policy reports that) or no virtual
        # device is assigned; the report alone cannot tell hardware from virtual.
        assert expected is (not root.mfa_active or resource["VirtualMFA"] is None)
    else:  # pragma: no cover - a new fixture file
        pytest.fail(f"unexpected policy {policy_id}")


# --------------------------------------------------------------------------------------
# Sentinels and reasons
# --------------------------------------------------------------------------------------


def test_na_everywhere() -> None:
    report = report_of(row_line(user="<root_account>", arn="arn:aws:iam::111122223333:root"))
    root = report.root
    assert root is not None
    for column in COLUMNS[2:]:
        assert getattr(root, column) is None
        assert root.reason(column) is NA
    assert root.has_password is False  # password_last_used N/A: no password
    assert root.active_access_keys == ()
    assert root.active_certificates == ()
    assert root.last_used_credentials() == ()
    assert report.to_csv() == "\n".join(
        [HEADER, row_line(user="<root_account>", arn="arn:aws:iam::111122223333:root")]
    )


def test_no_information_and_not_supported_everywhere() -> None:
    for sentinel, reason in [("no_information", NO_INFO), ("not_supported", NOT_SUPPORTED)]:
        row = report_of(row_line(**dict.fromkeys(COLUMNS[2:], sentinel))).rows[0]
        assert all(getattr(row, c) is None for c in COLUMNS[2:])
        assert set(row.missing.values()) == {reason}
        assert list(row.missing) == list(COLUMNS[2:])  # column order
        assert row.has_password is None


def test_root_password_states() -> None:
    used = report_of(root_line(password_last_used="2024-01-02T03:04:05+00:00")).root
    never = report_of(root_line(password_last_used="no_information")).root
    removed = report_of(root_line(password_last_used="N/A")).root
    assert used is not None
    assert never is not None
    assert removed is not None
    assert (used.has_password, never.has_password, removed.has_password) == (True, None, False)
    assert used.reason("password_enabled") is NOT_SUPPORTED


def test_missing_reason_values_are_the_aws_sentinels() -> None:
    assert [m.value for m in MissingReason] == ["N/A", "no_information", "not_supported"]
    assert MissingReason("N/A") is NA


def test_reason_for_present_and_unknown_fields() -> None:
    row = report_of(row_line(mfa_active="true")).rows[0]
    assert row.reason("mfa_active") is None
    assert row.reason("user") is None
    assert row.reason("no_such_field") is None


def test_boolean_case_and_datetime_forms() -> None:
    row = report_of(
        row_line(
            mfa_active="TRUE",
            password_enabled="False",
            user_creation_time="2016-05-16T20:13:11+02:00",
            password_last_used="2016-05-16T18:13:11Z",
            password_last_changed="2016-05-16T18:13:11.5+00:00",
            password_next_rotation="2016-05-16T18:13:11",
        )
    ).rows[0]
    assert row.mfa_active is True
    assert row.password_enabled is False
    assert row.user_creation_time == utc(2016, 5, 16, 18, 13, 11)
    assert row.user_creation_time is not None
    assert row.user_creation_time.utcoffset() == timedelta(0)
    assert row.password_last_used == utc(2016, 5, 16, 18, 13, 11)
    assert row.password_last_changed == utc(2016, 5, 16, 18, 13, 11, 500000)
    assert row.password_next_rotation == utc(2016, 5, 16, 18, 13, 11)  # naive: UTC


def test_row_model_validate_converts_raw_cells() -> None:
    row = CredentialReportRow.model_validate(
        {
            "user": "bob",
            "arn": "arn:aws:iam::111122223333:user/bob",
            "mfa_active": "false",
            "password_last_used": "no_information",
            "access_key_1_last_used_date": "2024-01-01T00:00:00+00:00",
            "team": "blue",
        }
    )
    assert row.mfa_active is False
    assert row.reason("password_last_used") is NO_INFO
    assert row.access_key_1_last_used_date == utc(2024, 1, 1)
    assert row.reason("cert_1_active") is NA  # unset: recorded as N/A
    assert row.extra_columns == {"team": "blue"}


def test_row_rejects_contradictions() -> None:
    with pytest.raises(pydantic.ValidationError):
        CredentialReportRow(
            user="bob",
            arn="arn:aws:iam::1:user/bob",
            mfa_active=True,
            missing={"mfa_active": NA},
        )
    with pytest.raises(pydantic.ValidationError):
        CredentialReportRow(user="bob", arn="x", missing={"user": NA})
    with pytest.raises(pydantic.ValidationError):
        CredentialReportRow.model_validate({"user": "bob", "arn": "x", "mfa_active": "yes"})


def test_account_id_from_partition_arns_and_garbage() -> None:
    def account(arn: str) -> str | None:
        return CredentialReportRow(user="<root_account>", arn=arn).account_id

    assert account("arn:aws-us-gov:iam::123456789012:root") == "123456789012"
    assert account("arn:aws-cn:iam::123456789012:root") == "123456789012"
    assert account("not an arn") is None
    assert account("arn:aws:iam:::root") is None


# --------------------------------------------------------------------------------------
# Errors and input forms
# --------------------------------------------------------------------------------------


def test_missing_column_names_column_and_line() -> None:
    header = ",".join(c for c in COLUMNS if c != "mfa_active")
    line = ",".join(
        v for c, v in zip(COLUMNS, row_line().split(","), strict=True) if c != "mfa_active"
    )
    with pytest.raises(ParseError) as info:
        parse_credential_report(f"{header}\n{line}", source="report.csv")
    assert (info.value.column, info.value.line, info.value.source) == (
        "mfa_active",
        1,
        "report.csv",
    )


def test_short_row_names_the_first_absent_column_and_line() -> None:
    short = ",".join(row_line().split(",")[:-2])
    with pytest.raises(ParseError) as info:
        parse_credential_report(f"{HEADER}\n{row_line()}\n{short}\n")
    assert (info.value.line, info.value.column) == (3, "cert_2_active")


def test_long_row_is_an_error() -> None:
    with pytest.raises(ParseError) as info:
        parse_credential_report(f"{HEADER}\n{row_line()},surplus")
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("password_last_used", "2016-13-01T00:00:00+00:00"),
        ("password_last_used", "yesterday"),
        ("user_creation_time", "2016-05-16"),
        ("access_key_1_last_rotated", "2016-05-16T18:13:11+25:00"),
        ("cert_1_last_rotated", "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        ("mfa_active", "yes"),
        ("access_key_2_active", ""),
        ("user_creation_time", "n/a"),
    ],
)
def test_garbage_value_names_column_line_and_value(column: str, value: str) -> None:
    with pytest.raises(ParseError) as info:
        report_of(row_line(), row_line(**{column: value}))
    assert (info.value.column, info.value.line, info.value.value) == (column, 3, value)
    assert column in str(info.value)
    assert "line 3" in str(info.value)


def test_line_numbers_count_multiline_quoted_fields() -> None:
    first = row_line(user='"multi\nline"')
    with pytest.raises(ParseError) as info:
        report_of(first, row_line(mfa_active="maybe"))
    assert info.value.line == 4
    assert report_of(first).rows[0].user == "multi\nline"


def test_extra_columns_are_kept_and_written_back() -> None:
    text = f"{HEADER},missing,team\n{row_line()},x,blue"
    report = parse_credential_report(text)
    row = report.rows[0]
    assert row.extra_columns == {"missing": "x", "team": "blue"}
    assert row.missing["mfa_active"] is NA  # the field is not shadowed
    assert report.to_csv() == text
    assert parse_credential_report(report.to_csv()) == report


def test_column_order_does_not_matter() -> None:
    line = root_line(password_last_used="2024-01-02T03:04:05+00:00")
    cells = dict(zip(COLUMNS, line.split(","), strict=True))
    order = list(reversed(COLUMNS))
    text = ",".join(order) + "\n" + ",".join(cells[c] for c in order)
    assert parse_credential_report(text) == report_of(line)


def test_bom_crlf_bytes_and_trailing_newline() -> None:
    expected = report_of(root_line(), row_line())
    lines = [HEADER, root_line(), row_line()]
    variants: list[str | bytes] = [
        "\n".join(lines) + "\n",
        "\r\n".join(lines),
        "\r\n".join(lines) + "\r\n",
        "\ufeff" + "\n".join(lines),
        ("\ufeff" + "\r\n".join(lines) + "\r\n").encode(),
        "\n".join(lines).encode(),
        "\n".join([HEADER, "", root_line(), "", row_line(), ""]),  # blank lines
    ]
    for variant in variants:
        assert parse_credential_report(variant) == expected


def test_header_only_report_has_no_root() -> None:
    report = parse_credential_report(HEADER + "\n")
    assert report.rows == ()
    assert report.root is None
    assert root_activity_from_credential_report(report, now=utc(2024, 1, 1)) == []


@pytest.mark.parametrize(
    "data",
    [
        "",
        b"",
        "\n\r\n  \n",
        "\ufeff",
        b"\xef\xbb\xbf",
        b"\xff\xfe\x00\x01garbage\x80",
        '{"Content": "not csv"}',
        "not,a,report",
        f"{HEADER},user\n",  # duplicated column
        f'{HEADER}\n"unterminated,{row_line()}',
        f'{HEADER}\nx"y,{row_line()}'[:-1],
    ],
)
def test_bad_input_raises_parse_error(data: str | bytes) -> None:
    with pytest.raises(ParseError):
        parse_credential_report(data)


def test_non_text_input_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_credential_report(42)  # type: ignore[arg-type]


def test_bad_generated_at_raises_parse_error() -> None:
    with pytest.raises(ParseError) as info:
        parse_credential_report(HEADER, generated_at="soon")  # type: ignore[arg-type]
    assert info.value.column == "generated_at"


def test_naive_generated_at_is_utc() -> None:
    report = parse_credential_report(HEADER, generated_at=datetime(2024, 1, 1, 12))
    assert report.generated_at == utc(2024, 1, 1, 12)
    assert report.generated_at is not None
    assert report.generated_at.tzinfo is not None


def test_exported_from_the_package() -> None:
    for name in ("MissingReason", "CredentialUse", "CredentialReport", "CredentialReportRow"):
        assert name in rootguard.__all__


# --------------------------------------------------------------------------------------
# Root activity from the credential report
# --------------------------------------------------------------------------------------

NOW = utc(2024, 6, 1, 12)


def _root_report(**cells: str) -> CredentialReport:
    return report_of(root_line(**cells), row_line(password_last_used=NOW.isoformat()))


def test_old_password_and_key_used_today_finds_the_key() -> None:
    report = _root_report(
        password_last_used=(NOW - timedelta(days=400)).isoformat(),
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_1_last_used_date=(NOW - timedelta(hours=2)).isoformat(),
        access_key_1_last_used_region="eu-west-1",
        access_key_1_last_used_service="ec2",
    )
    activities = root_activity_from_credential_report(report, now=NOW)
    assert activities == [
        RootActivity(
            event_time=NOW - timedelta(hours=2),
            account_id="111122223333",
            region="eu-west-1",
            event_source="ec2",
            channel=Channel.CREDENTIAL_REPORT,
            alert=True,
            cis_match=False,
            severity=Severity.CRITICAL,
            source=ActivitySource.CREDENTIAL_REPORT,
            actor_arn="arn:aws:iam::111122223333:root",
            credential="access_key_1",
        )
    ]


def test_both_in_window_most_recent_first() -> None:
    report = _root_report(
        password_last_used=(NOW - timedelta(days=10)).isoformat(),
        access_key_2_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_2_last_used_date=(NOW - timedelta(days=1)).isoformat(),
        access_key_2_last_used_service="s3",
    )
    activities = root_activity_from_credential_report(report, now=NOW)
    assert [(a.credential, a.severity, a.event_time) for a in activities] == [
        ("access_key_2", Severity.CRITICAL, NOW - timedelta(days=1)),
        ("password", Severity.HIGH, NOW - timedelta(days=10)),
    ]
    assert activities[0].region is None  # S3: no region in the report
    assert activities[1].region is None
    assert activities[1].event_source is None
    assert all(a.channel is Channel.CREDENTIAL_REPORT for a in activities)
    assert all(a.source is ActivitySource.CREDENTIAL_REPORT for a in activities)
    assert all(a.alert and not a.cis_match for a in activities)
    # Inactive key 2 (access_key_2_active false) used yesterday is still root activity.
    assert report.root is not None
    assert report.root.access_key_2_active is False


def test_all_three_credentials_and_ties() -> None:
    when = (NOW - timedelta(days=3)).isoformat()
    report = _root_report(
        password_last_used=when,
        access_key_1_last_used_date=when,
        access_key_2_last_used_date=when,
    )
    activities = root_activity_from_credential_report(report, now=NOW)
    assert [a.credential for a in activities] == ["password", "access_key_1", "access_key_2"]


@pytest.mark.parametrize(
    ("last_used", "since", "found"),
    [
        (NOW, None, True),  # the end is inclusive
        (NOW + timedelta(seconds=1), None, False),  # after now
        (NOW - timedelta(days=90), None, True),  # default start, inclusive
        (NOW - timedelta(days=90, seconds=1), None, False),
        (utc(2024, 1, 1), utc(2024, 1, 1), True),
        (utc(2024, 1, 1) - timedelta(microseconds=1), utc(2024, 1, 1), False),
        (utc(2023, 1, 1), utc(2022, 1, 1), True),  # an explicit, longer window
    ],
)
def test_window_edges(last_used: datetime, since: datetime | None, found: bool) -> None:
    report = _root_report(access_key_1_last_used_date=last_used.isoformat())
    activities = root_activity_from_credential_report(report, now=NOW, since=since)
    assert [a.credential for a in activities] == (["access_key_1"] if found else [])


def test_no_root_row_means_no_activity() -> None:
    report = report_of(row_line(password_last_used=NOW.isoformat()))
    assert report.root is None
    assert root_activity_from_credential_report(report, now=NOW) == []


def test_naive_now_and_since_are_utc() -> None:
    report = _root_report(password_last_used=(NOW - timedelta(hours=1)).isoformat())
    naive_now = NOW.replace(tzinfo=None)
    activities = root_activity_from_credential_report(
        report, now=naive_now, since=naive_now - timedelta(hours=2)
    )
    assert [a.credential for a in activities] == ["password"]


def test_activities_round_trip_through_json() -> None:
    report = _root_report(
        password_last_used=(NOW - timedelta(days=1)).isoformat(),
        access_key_1_last_used_date=NOW.isoformat(),
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="iam",
    )
    for activity in root_activity_from_credential_report(report, now=NOW):
        assert RootActivity.model_validate_json(activity.model_dump_json()) == activity


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(credential_reports())
def test_property_csv_and_json_round_trip(report: CredentialReport) -> None:
    text = report.to_csv()
    assert parse_credential_report(text, generated_at=report.generated_at) == report
    assert parse_credential_report(text.encode()) == report.model_copy(
        update={"generated_at": None}
    )
    assert CredentialReport.model_validate_json(report.model_dump_json()) == report
    for row in report.rows:
        for column in COLUMNS[2:]:
            assert getattr(row, column) not in {"N/A", "no_information", "not_supported"}
            assert (getattr(row, column) is None) == (column in row.missing)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(cr_csv_texts())
def test_property_generated_csv_parses_and_round_trips(data: str | bytes) -> None:
    report = parse_credential_report(data)
    assert parse_credential_report(report.to_csv()) == report
    assert CredentialReport.model_validate_json(report.model_dump_json()) == report


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(cr_raw_reports(allow_field_name_extras=False))
def test_property_parser_and_row_model_agree(raw: tuple[list[str], list[list[str]]]) -> None:
    header, rows = raw
    text = "\n".join(
        ",".join('"' + cell.replace('"', '""') + '"' for cell in record)
        for record in [header, *rows]
    )
    expected = tuple(
        CredentialReportRow.model_validate(dict(zip(header, cells, strict=True))) for cells in rows
    )
    assert parse_credential_report(text).rows == expected


def _result_or_parse_error(data: str | bytes) -> None:
    try:
        report = parse_credential_report(data)
    except ParseError:
        return
    assert isinstance(report, CredentialReport)


@settings(max_examples=300)
@given(st.one_of(st.text(), st.binary()))
def test_property_arbitrary_input_never_crashes(data: str | bytes) -> None:
    _result_or_parse_error(data)


@settings(max_examples=200)
@given(st.text(max_size=40), st.sampled_from(COLUMNS), st.booleans())
def test_property_arbitrary_cell_never_crashes(cell: str, column: str, bad_header: bool) -> None:
    cells = dict(zip(COLUMNS, root_line().split(","), strict=True))
    cells[column] = cell
    header = HEADER.replace(column, cell) if bad_header else HEADER
    _result_or_parse_error(header + "\n" + ",".join(cells[c] for c in COLUMNS))
    _result_or_parse_error(HEADER + "\n" + cell)

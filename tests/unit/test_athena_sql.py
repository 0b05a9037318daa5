"""The pure half of the Athena hunt: DDL, query, rows back to records, cost, validation."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

import rootguard
from rootguard._athena_sql import (
    ATHENA_REGIONS,
    COLUMN_NAMES,
    HUNT_COLUMNS,
    TABLE_COLUMNS,
    AthenaHunt,
    activities_from_rows,
    athena_price,
    billed_bytes,
    database_ddl,
    hunt_query,
    query_cost,
    record_from_row,
)
from rootguard._fastscan import RecordFilter

UTC = timezone.utc
MB = 1024 * 1024

# The columns of AWS's documented CloudTrail table ("Create the table for CloudTrail logs
# in Athena using partition projection", Amazon Athena User Guide), in its order.
AWS_DOCUMENTED_COLUMNS = (
    "eventversion",
    "useridentity",
    "eventtime",
    "eventsource",
    "eventname",
    "awsregion",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "errormessage",
    "requestparameters",
    "responseelements",
    "additionaleventdata",
    "requestid",
    "eventid",
    "readonly",
    "resources",
    "eventtype",
    "apiversion",
    "recipientaccountid",
    "serviceeventdetails",
    "sharedeventid",
    "vpcendpointid",
    "vpcendpointaccountid",
    "eventcategory",
    "addendum",
    "sessioncredentialfromconsole",
    "edgedevicedetails",
    "tlsdetails",
)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------------- DDL


def test_table_columns_are_the_ones_aws_documents() -> None:
    assert TABLE_COLUMNS == AWS_DOCUMENTED_COLUMNS
    ddl = _compact(rootguard.athena_table_ddl(bucket="trail-logs", accounts=["111122223333"]))
    # AWS's sessioncontext, plus the two fields root detection reads
    assert (
        "sessioncontext:STRUCT<attributes:STRUCT<mfaauthenticated:STRING,creationdate:STRING>,"
        "sessionissuer:STRUCT<type:STRING,principalid:STRING,arn:STRING,accountid:STRING,"
        "username:STRING>,sourceidentity:STRING,ec2roledelivery:STRING,"
        "webidfederationdata:STRUCT<federatedprovider:STRING,attributes:MAP<STRING,STRING>>,"
        "assumedroot:STRING>>" in ddl
    )
    assert "ROWFORMATSERDE'org.apache.hive.hcatalog.data.JsonSerDe'" in ddl
    assert "STOREDASINPUTFORMAT'com.amazon.emr.cloudtrail.CloudTrailInputFormat'" in ddl
    assert "OUTPUTFORMAT'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'" in ddl


def _properties(ddl: str) -> dict[str, str]:
    return dict(re.findall(r"'([a-z.]+)'='([^']*)'", ddl))


def test_organization_trail_layout() -> None:
    ddl = rootguard.athena_table_ddl(
        bucket="org-trail-logs",
        prefix="/central/trail/",
        organization_id="o-a1b2c3d4e5",
        accounts=["222222222222", "111122223333", "222222222222"],
        regions=["eu-west-1", "us-east-1"],
        start=date(2019, 3, 7),
        database="Security",
        table="org_trail",
    )
    assert ddl.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `security`.`org_trail` (")
    assert "LOCATION 's3://org-trail-logs/central/trail/AWSLogs/o-a1b2c3d4e5/'" in ddl
    assert _properties(ddl) == {
        "projection.enabled": "true",
        "projection.account.type": "enum",
        "projection.account.values": "111122223333,222222222222",
        "projection.region.type": "enum",
        "projection.region.values": "eu-west-1,us-east-1",
        "projection.timestamp.type": "date",
        "projection.timestamp.format": "yyyy/MM/dd",
        "projection.timestamp.range": "2019/03/07,NOW",
        "projection.timestamp.interval": "1",
        "projection.timestamp.interval.unit": "DAYS",
        "storage.location.template": "s3://org-trail-logs/central/trail/AWSLogs/o-a1b2c3d4e5/"
        "${account}/CloudTrail/${region}/${timestamp}",
    }
    assert (
        "PARTITIONED BY (\n    `account` STRING,\n    `region` STRING,\n    `timestamp` STRING)"
        in ddl
    )


def test_single_account_layout_and_defaults() -> None:
    ddl = rootguard.athena_table_ddl(bucket="my-trail")
    props = _properties(ddl)
    assert "LOCATION 's3://my-trail/AWSLogs/'" in ddl
    assert props["storage.location.template"] == (
        "s3://my-trail/AWSLogs/${account}/CloudTrail/${region}/${timestamp}"
    )
    # no accounts given: the account is injected by each query
    assert props["projection.account.type"] == "injected"
    assert "projection.account.values" not in props
    assert props["projection.region.values"].split(",") == list(ATHENA_REGIONS)
    assert props["projection.timestamp.range"] == "2013/11/01,NOW"
    assert "`rootguard`.`cloudtrail_logs`" in ddl


def test_ddl_is_hive_sql_that_sqlglot_parses() -> None:
    ddl = rootguard.athena_table_ddl(bucket="trail-logs", organization_id="o-a1b2c3d4e5")
    statement = sqlglot.parse_one(ddl, read="athena")
    assert statement.key == "create"
    assert database_ddl("security") == "CREATE DATABASE IF NOT EXISTS `security`"


def test_default_regions_are_botocores_commercial_regions() -> None:
    import botocore.session

    known = botocore.session.get_session().get_available_regions("cloudtrail", "aws")
    assert list(ATHENA_REGIONS) == sorted(known)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bucket", "Bad_Bucket"),
        ("bucket", "logs' OR '1'='1"),
        ("bucket", "192.168.1.1"),
        ("prefix", "a/'b"),
        ("prefix", "a/../b"),
        ("prefix", "${account}"),
        ("organization_id", "o-short"),
        ("organization_id", "o-a1b2c3d4e5'"),
        ("accounts", ["1111222233334"]),
        ("accounts", ["111122223333', '1"]),
        ("accounts", []),
        ("regions", ["us-east-1'"]),
        ("regions", ["US-EAST-1"]),
        ("database", "security;drop"),
        ("table", "t`x"),
        ("table", ""),
        ("start", datetime(2020, 1, 1)),
    ],
)
def test_ddl_refuses_values_of_the_wrong_shape(field: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"bucket": "trail-logs", field: value}
    with pytest.raises(rootguard.ParseError) as caught:
        rootguard.athena_table_ddl(**kwargs)
    assert caught.value.column in (field, field.rstrip("s"))


_HOSTILE = st.text(alphabet=st.sampled_from("abc019-_./'\"`;$ {}\\\n%o"), min_size=0, max_size=24)


@settings(max_examples=300, deadline=None)
@given(bucket=_HOSTILE, prefix=_HOSTILE, org=_HOSTILE, account=_HOSTILE, region=_HOSTILE)
def test_nothing_unvalidated_reaches_the_ddl(
    bucket: str, prefix: str, org: str, account: str, region: str
) -> None:
    try:
        ddl = rootguard.athena_table_ddl(
            bucket=bucket,
            prefix=prefix,
            organization_id=org or None,
            accounts=[account],
            regions=[region],
        )
    except rootguard.ParseError:
        return
    # accepted: every value had its strict shape, so quoting is intact
    assert re.fullmatch(r"\d{12}", account)
    assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", region)
    for text in (bucket, prefix, org):
        assert not set(text) & set("'\"`;${}\\\n %")
    assert ddl.count("'") % 2 == 0


# ------------------------------------------------------------------------------- query

SINCE = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
UNTIL = datetime(2024, 5, 3, 23, 59, tzinfo=UTC)


def test_query_prunes_partitions_of_the_window_accounts_and_regions() -> None:
    query = hunt_query(
        database="security",
        table="org_trail",
        since=SINCE,
        until=UNTIL,
        accounts=["222222222222", "111122223333", "222222222222"],
        regions=["us-east-1", "eu-west-1"],
    )
    sql = query.sql
    # the delivery days: since's day to until + one day of delivery delay
    assert "WHERE \"timestamp\" BETWEEN '2024/05/01' AND '2024/05/04'" in sql
    assert "AND account IN ('111122223333', '222222222222')" in sql
    assert "AND region IN ('eu-west-1', 'us-east-1')" in sql
    assert 'FROM "security"."org_trail"' in sql
    # the window is applied to each record by the scanner's own filter, not in SQL
    assert "eventtime >" not in sql
    assert "eventtime <" not in sql
    flt = query.record_filter
    assert (flt.since, flt.until) == (SINCE, UNTIL)
    assert flt.accounts == frozenset({"111122223333", "222222222222"})
    assert flt.regions == frozenset({"us-east-1", "eu-west-1"})


def test_query_is_athena_sql_selecting_flat_columns() -> None:
    query = hunt_query(database="db", table="t", since=SINCE, until=UNTIL)
    statement = sqlglot.parse_one(query.sql, read="athena")
    assert [e.alias_or_name for e in statement.expressions] == list(COLUMN_NAMES)
    assert "account IN" not in query.sql
    assert "region IN" not in query.sql
    # the candidate test of rootguard._detect, in SQL
    where = _compact(query.sql.split("FROM", 1)[1])
    assert "useridentity.type='Root'" in where
    assert (
        "useridentity.type='FederatedUser'ANDuseridentity.sessioncontext.sessionissuer.type='Root'"
        in where
    )
    assert (
        "useridentityISNOTNULLANDeventname='AssumeRoot'ANDeventsource='sts.amazonaws.com'" in where
    )
    assert len(HUNT_COLUMNS) == len(set(COLUMN_NAMES))


def test_naive_times_are_utc_and_since_after_until_is_refused() -> None:
    naive = hunt_query(
        database="db", table="t", since=datetime(2024, 5, 1), until=datetime(2024, 5, 2)
    )
    assert naive.since == datetime(2024, 5, 1, tzinfo=UTC)
    with pytest.raises(rootguard.ParseError, match="after"):
        hunt_query(database="db", table="t", since=UNTIL, until=SINCE)
    with pytest.raises(rootguard.ParseError):
        hunt_query(database='db"; --', table="t", since=SINCE, until=UNTIL)


# ------------------------------------------------------------------- rows back to records


def _row(**values: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = dict.fromkeys(COLUMN_NAMES)
    row.update(
        log_file="s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/f.json.gz",
        account="111122223333",
        region="us-east-1",
        delivery_day="2024/05/01",
        eventtime="2024-05-01T10:00:00Z",
        eventid="e-1",
        eventsource="iam.amazonaws.com",
        eventname="ListUsers",
        eventtype="AwsApiCall",
        has_useridentity="true",
        ui_type="Root",
        has_sessioncontext="false",
    )
    row.update(values)
    return row


def test_record_from_row_leaves_nulls_out_and_restores_json() -> None:
    record = record_from_row(
        _row(
            requestparameters='{"targetPrincipal": "222222222222"}',
            responseelements="null-ish text",
            readonly="true",
            ui_accesskeyid="ASIAEXAMPLE",
            has_sessioncontext="true",
            sc_mfaauthenticated="true",
            sc_assumedroot="true",
        )
    )
    assert record["requestParameters"] == {"targetPrincipal": "222222222222"}
    assert record["responseElements"] == "null-ish text"  # not JSON: kept (then invalid)
    assert "additionalEventData" not in record
    assert "errorCode" not in record
    assert record["userIdentity"] == {
        "type": "Root",
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {"assumedRoot": "true", "attributes": {"mfaAuthenticated": "true"}},
    }
    event = rootguard.parse_cloudtrail_event(
        record_from_row(_row(readonly="false", has_sessioncontext="true"))
    )
    assert event.read_only is False
    assert event.user_identity is not None
    assert event.user_identity.session_context is not None
    assert "userIdentity" not in record_from_row(_row(has_useridentity="false"))


def test_rows_are_classified_and_correlated_like_the_scanner() -> None:
    call = _row(
        log_file="s3://trail/AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/01/a.json.gz",
        account="111111111111",
        eventid="call",
        eventsource="sts.amazonaws.com",
        eventname="AssumeRoot",
        ui_type="AssumedRole",
        ui_arn="arn:aws:sts::111111111111:assumed-role/Admin/s",
        requestparameters='{"targetPrincipal": "222222222222",'
        ' "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"}}',
        responseelements='{"credentials": {"accessKeyId": "ASIAMEMBER"}}',
    )
    member = _row(
        log_file="s3://trail/AWSLogs/222222222222/CloudTrail/eu-west-1/2024/05/01/b.json.gz",
        account="222222222222",
        region="eu-west-1",
        eventid="member",
        eventtime="2024-05-01T10:05:00Z",
        ui_accesskeyid="ASIAMEMBER",
    )
    signin = _row(
        eventid="signin",
        eventsource="signin.amazonaws.com",
        eventname="ConsoleLogin",
        eventtype="AwsConsoleSignIn",
        responseelements='{"ConsoleLogin": "Success"}',
        additionaleventdata='{"MFAUsed": "No"}',
    )
    flt = RecordFilter(since=SINCE - timedelta(days=1), until=UNTIL)
    activities, errors, count = activities_from_rows([member, signin, call], flt)
    assert (count, errors) == (3, [])
    by_id = {a.event_id: a for a in activities}
    assert by_id["call"].account_id == "222222222222"
    assert by_id["member"].channel is rootguard.Channel.ASSUMED_ROOT
    assert by_id["member"].related_event_ids == ("call",)
    assert by_id["member"].task_policy_arn.endswith("S3UnlockBucketPolicy")  # type: ignore[union-attr]
    assert (by_id["signin"].channel, by_id["signin"].mfa_used, by_id["signin"].severity) == (
        rootguard.Channel.CONSOLE_SIGNIN,
        False,
        rootguard.Severity.HIGH,
    )
    assert [a.event_id for a in activities] == ["call", "signin", "member"]  # time, then id


def test_an_invalid_row_fails_its_file_only() -> None:
    bad_file = "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/bad.json.gz"
    rows = [
        _row(log_file=bad_file, eventid="ok-in-bad-file"),
        _row(log_file=bad_file, eventid="bad", eventtime="yesterday"),
        _row(eventid="fine"),
    ]
    activities, errors, _ = activities_from_rows(rows, RecordFilter())
    assert [a.event_id for a in activities] == ["fine"]
    assert [(e.path, e.reason) for e in errors] == [
        (bad_file, rootguard.FailureReason.INVALID_RECORD)
    ]


def test_window_and_locations_are_the_scanners() -> None:
    rows = [
        _row(eventid="before", eventtime="2024-05-01T06:29:59Z"),
        _row(eventid="first", eventtime="2024-05-01T06:30:00Z"),
        _row(eventid="at-until", eventtime="2024-05-03T23:59:00Z"),
        _row(eventid="no-time", eventtime=None),
        _row(
            eventid="other-region",
            region="eu-west-1",
            log_file="s3://trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/g.json.gz",
        ),
    ]
    flt = RecordFilter(since=SINCE, until=UNTIL, regions=frozenset({"us-east-1"}))
    activities, _, _ = activities_from_rows(rows, flt)
    assert [a.event_id for a in activities] == ["first"]


_cells = st.one_of(
    st.none(),
    st.sampled_from(["Root", "FederatedUser", "AssumeRoot", "true", "false", "{}", "[1]", ""]),
    st.text(max_size=12),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries(dict.fromkeys(COLUMN_NAMES, _cells)), max_size=6))
def test_hostile_rows_never_crash(rows: list[dict[str, str | None]]) -> None:
    activities, errors, count = activities_from_rows(rows, RecordFilter())
    assert count == len(rows)
    assert all(isinstance(a, rootguard.RootActivity) for a in activities)
    assert len({e.path for e in errors}) == len(errors)


# -------------------------------------------------------------------------------- cost


def test_billing_rounds_up_to_the_megabyte_with_a_10_mb_minimum() -> None:
    assert billed_bytes(0) == 10 * MB
    assert billed_bytes(10 * MB) == 10 * MB
    assert billed_bytes(10 * MB + 1) == 11 * MB
    assert billed_bytes(3 * 1024**4) == 3 * 1024**4
    us = athena_price("us-east-1")
    assert (us.per_tb, us.currency, us.published) == (5.0, "USD", True)
    assert query_cost(1024**4, us) == 5.0
    assert query_cost(0, us) == pytest.approx(5.0 * 10 / 1024 / 1024)
    guess = athena_price("eu-west-1")
    assert (guess.per_tb, guess.published) == (5.0, False)
    assert athena_price("cn-northwest-1").currency == "CNY"


def test_hunt_result_round_trips_through_json() -> None:
    activities, _, _ = activities_from_rows([_row()], RecordFilter())
    hunt = AthenaHunt(
        activities=activities,
        query_execution_id="q-1",
        sql="SELECT 1",
        bytes_scanned=123,
        billed_bytes=10 * MB,
        cost=0.0000477,
        since=SINCE,
    )
    assert AthenaHunt.model_validate_json(hunt.model_dump_json()) == hunt
    assert json.loads(hunt.model_dump_json())["activities"][0]["channel"] == "console_session"
    assert hunt.alerts == activities


def test_query_error_says_what_athena_said() -> None:
    err = rootguard.AthenaQueryError(
        "the query ended FAILED", query_execution_id="q-9", state="FAILED", reason="boom"
    )
    assert str(err) == "the query ended FAILED (query q-9): boom"
    assert isinstance(err, rootguard.RootGuardError)

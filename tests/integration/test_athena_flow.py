"""The Athena API flow: moto's Athena (results supplied through moto's documented results
queue) for start → poll → results → classified activity, and botocore's Stubber, with
Athena's real response shapes, for what moto cannot do (pagination, FAILED, CANCELLED,
timeouts, interrupts, malformed pages, GetTableMetadata)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import ANY, Stubber
from moto.moto_api import state_manager

import rootguard
from rootguard import _athena
from rootguard._athena_sql import COLUMN_NAMES, hunt_query
from rootguard._permissions import iam_action
from tests import athena_duck
from tests.archive_gen import ArchiveSpec, write_archive
from tests.integration.conftest import count_calls, new_session

UTC = timezone.utc
DB, TABLE = "security", "org_trail"
SPEC = ArchiveSpec(
    events=2400, root_fraction=0.5, lookalike_fraction=0.05, seed=7, days=2, org_id="o-a1b2c3d4e5"
)
SINCE = SPEC.start - timedelta(days=1)
UNTIL = SPEC.start + timedelta(days=SPEC.days + 1)
RESULTS_API = "http://motoapi.amazonaws.com/moto-api/static/athena/query-results"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("athena-flow")
    write_archive(root, SPEC)
    return root


@pytest.fixture(scope="module")
def rows(archive: Path) -> list[dict[str, str | None]]:
    """What Athena would return for the hunt over ``archive`` (DuckDB stands in)."""
    con = athena_duck.connect(archive, database=DB, table=TABLE)
    try:
        return athena_duck.run(
            con, hunt_query(database=DB, table=TABLE, since=SINCE, until=UNTIL).sql
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def scan(archive: Path) -> rootguard.ScanResult:
    return rootguard.scan_cloudtrail_archive(archive, since=SINCE, until=UNTIL, max_workers=1)


def _queue(pages: list[dict[str, Any]]) -> None:
    """Supply one query's results through moto's documented results queue (all rows in
    one result: moto's GetQueryResults does not paginate)."""
    result = {
        "rows": [row for page in pages for row in page["ResultSet"]["Rows"]],
        "column_info": athena_duck.column_info(),
    }
    response = requests.post(RESULTS_API, json={"results": [result]}, timeout=10)
    assert response.status_code == 201


@pytest.fixture
def moto_athena(inprocess: boto3.Session) -> Iterator[boto3.Session]:
    inprocess.client("s3").create_bucket(Bucket="athena-results")
    inprocess.client("athena").create_work_group(
        Name="security",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/"}},
    )
    # QUEUED, RUNNING, RUNNING, then SUCCEEDED: the hunt must poll.
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 2}
    )
    try:
        yield inprocess
    finally:
        state_manager.unset_transition("athena::execution")


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A fake clock: every pause is recorded and advances the clock."""
    now = [0.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(_athena, "_sleep", sleep)
    monkeypatch.setattr(_athena, "_monotonic", lambda: now[0])
    return pauses


# ------------------------------------------------------------------------------ moto


def test_hunt_on_moto_gives_the_scanners_activities(
    moto_athena: boto3.Session,
    rows: list[dict[str, str | None]],
    scan: rootguard.ScanResult,
    no_wait: list[float],
) -> None:
    assert len(rows) > 1000  # more than one GetQueryResults page on Athena
    _queue(athena_duck.athena_pages(rows))
    calls = count_calls(moto_athena)
    hunt = rootguard.hunt_root_activity_athena(
        session=moto_athena,
        database=DB,
        table=TABLE,
        since=SINCE,
        until=UNTIL,
        workgroup="security",
    )
    assert hunt.activities == scan.activities
    assert hunt.rows == len(rows)  # the header row is not a record
    assert hunt.errors == []
    assert {a.channel for a in hunt.activities} >= {
        rootguard.Channel.ASSUMED_ROOT,
        rootguard.Channel.FEDERATED,
        rootguard.Channel.CONSOLE_SIGNIN,
    }
    # moto reports 0 bytes scanned: Athena bills 10 MB at least
    assert (hunt.bytes_scanned, hunt.billed_bytes) == (0, 10 * 1024 * 1024)
    assert hunt.cost == pytest.approx(5.0 * 10 / 1024 / 1024)
    assert (hunt.region, hunt.workgroup, hunt.currency) == ("us-east-1", "security", "USD")
    assert calls["athena:GetQueryExecution"] == 4  # polled through QUEUED and RUNNING
    assert no_wait == pytest.approx([0.25, 0.4, 0.64])  # backoff
    from moto.athena.models import athena_backends

    (execution,) = athena_backends["123456789012"]["us-east-1"].executions.values()
    assert execution.query == hunt.sql
    assert execution.context == {"Database": DB, "Catalog": "AwsDataCatalog"}
    assert execution.workgroup.name == "security"


def test_moto_answer_without_results_is_an_error_not_no_activity(
    moto_athena: boto3.Session, no_wait: list[float]
) -> None:
    # Nothing queued: moto answers no rows and no columns. Athena always sends the
    # header row: an answer without it is not read as "no root activity".
    with pytest.raises(rootguard.AthenaQueryError) as caught:
        rootguard.hunt_root_activity_athena(
            session=moto_athena,
            database=DB,
            table=TABLE,
            since=SINCE,
            until=UNTIL,
            workgroup="security",
        )
    assert caught.value.state == "INVALID_RESPONSE"
    assert caught.value.query_execution_id


def test_header_only_is_no_activity(moto_athena: boto3.Session, no_wait: list[float]) -> None:
    _queue(athena_duck.athena_pages([]))
    hunt = rootguard.hunt_root_activity_athena(
        session=moto_athena,
        database=DB,
        table=TABLE,
        since=SINCE,
        until=UNTIL,
        accounts=["111111111111"],
        output_location="s3://athena-results/hunts/",
    )
    assert (hunt.activities, hunt.rows) == ([], 0)
    assert "AND account IN ('111111111111')" in hunt.sql


def test_permissions_cover_every_call_of_the_moto_flow(
    moto_athena: boto3.Session,
    rows: list[dict[str, str | None]],
    no_wait: list[float],
) -> None:
    _queue(athena_duck.athena_pages(rows[:5]))
    calls = count_calls(moto_athena)
    rootguard.hunt_root_activity_athena(
        session=moto_athena,
        database=DB,
        table=TABLE,
        since=SINCE,
        until=UNTIL,
        workgroup="security",
    )
    policy = rootguard.required_permissions("athena")
    allowed = {action for s in policy["Statement"] for action in s["Action"]}
    made = {iam_action(*call.split(":")) for call in calls}
    assert made == {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
    }
    assert made <= allowed


# --------------------------------------------------------------------------- Stubber


class _Factory:
    def __init__(self, client: Any) -> None:
        self._client = client

    def __call__(self, *_: Any, **__: Any) -> _Factory:
        return self

    def client(self, service: str, region: str | None) -> Any:
        assert service == "athena"
        return self._client


@pytest.fixture
def stubbed(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, Stubber, list[str]]]:
    """An Athena client under a Stubber, used by the module; and the calls it made."""
    client = new_session().client("athena", region_name="eu-west-1")
    made: list[str] = []
    client.meta.events.register_first(
        "before-parameter-build.athena",
        lambda event_name, **_: made.append(event_name.split(".")[-1]),
    )
    monkeypatch.setattr(_athena, "ClientFactory", _Factory(client))
    with Stubber(client) as stub:
        yield client, stub, made
        stub.assert_no_pending_responses()


QID = "7c5a0bba-26b2-4ec1-9b4e-5a3a5f7d1d0e"


def _execution(state: str, **status: Any) -> dict[str, Any]:
    return {
        "QueryExecution": {
            "QueryExecutionId": QID,
            "Query": "SELECT ...",
            "StatementType": "DML",
            "ResultConfiguration": {"OutputLocation": f"s3://athena-results/{QID}.csv"},
            "QueryExecutionContext": {"Database": DB, "Catalog": "AwsDataCatalog"},
            "Status": {
                "State": state,
                "SubmissionDateTime": datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
                **status,
            },
            "Statistics": {
                "EngineExecutionTimeInMillis": 81234,
                "DataScannedInBytes": 734_003_200_000,
                "TotalExecutionTimeInMillis": 82001,
            },
            "WorkGroup": "primary",
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }
    }


def _start(stub: Stubber) -> None:
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": QID},
        {
            "QueryString": ANY,
            "QueryExecutionContext": {"Database": DB, "Catalog": "AwsDataCatalog"},
            "ResultConfiguration": {"OutputLocation": "s3://athena-results/"},
        },
    )


def _hunt(**kwargs: Any) -> rootguard.AthenaHunt:
    return rootguard.hunt_root_activity_athena(
        database=DB,
        table=TABLE,
        since=SINCE,
        until=UNTIL,
        output_location="s3://athena-results/",
        **kwargs,
    )


def test_results_are_paged_with_the_header_on_the_first_page_only(
    stubbed: tuple[Any, Stubber, list[str]],
    rows: list[dict[str, str | None]],
    scan: rootguard.ScanResult,
    no_wait: list[float],
) -> None:
    _, stub, _ = stubbed
    _start(stub)
    stub.add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": QID})
    stub.add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": QID})
    pages = athena_duck.athena_pages(rows)
    assert len(pages) >= 2
    token = None
    for page in pages:
        expected = {"QueryExecutionId": QID, "MaxResults": 1000}
        if token:
            expected["NextToken"] = token
        stub.add_response("get_query_results", page, expected)
        token = page.get("NextToken")
    hunt = _hunt(region="eu-west-1")
    assert hunt.activities == scan.activities
    assert hunt.rows == len(rows)
    assert hunt.query_execution_id == QID
    assert hunt.bytes_scanned == 734_003_200_000
    assert hunt.billed_bytes == 700_000 * 1024 * 1024  # a whole number of MB already
    assert hunt.cost == pytest.approx(3.338, abs=0.001)  # 0.667 TB at $5.00
    # eu-west-1's own price is not known to rootguard: US East's is assumed, and said so
    assert (hunt.region, hunt.price_per_tb) == ("eu-west-1", 5.0)
    assert "assumed" in hunt.price_source
    assert hunt.engine_execution_ms == 81234


def test_a_failed_query_raises_athenas_reason(
    stubbed: tuple[Any, Stubber, list[str]], no_wait: list[float]
) -> None:
    _, stub, made = stubbed
    _start(stub)
    reason = "TABLE_NOT_FOUND: line 47:6: Table 'awsdatacatalog.security.org_trail' does not exist"
    stub.add_response(
        "get_query_execution",
        _execution(
            "FAILED",
            StateChangeReason=reason,
            AthenaError={
                "ErrorCategory": 2,
                "ErrorType": 1301,
                "Retryable": False,
                "ErrorMessage": reason,
            },
        ),
        {"QueryExecutionId": QID},
    )
    with pytest.raises(rootguard.AthenaQueryError) as caught:
        _hunt()
    err = caught.value
    assert (err.state, err.reason, err.query_execution_id) == ("FAILED", reason, QID)
    assert err.bytes_scanned == 734_003_200_000
    assert "StopQueryExecution" not in made  # it ended by itself


def test_a_cancelled_query_raises(
    stubbed: tuple[Any, Stubber, list[str]], no_wait: list[float]
) -> None:
    _, stub, _ = stubbed
    _start(stub)
    stub.add_response(
        "get_query_execution",
        _execution("CANCELLED", StateChangeReason="Query cancelled by user"),
        {"QueryExecutionId": QID},
    )
    with pytest.raises(rootguard.AthenaQueryError, match="CANCELLED") as caught:
        _hunt()
    assert caught.value.state == "CANCELLED"
    assert caught.value.reason == "Query cancelled by user"


def test_a_timeout_stops_the_query(
    stubbed: tuple[Any, Stubber, list[str]], no_wait: list[float]
) -> None:
    _, stub, made = stubbed
    _start(stub)
    for _ in range(8):  # the last poll is at the deadline
        stub.add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": QID})
    stub.add_response("stop_query_execution", {}, {"QueryExecutionId": QID})
    with pytest.raises(rootguard.AthenaQueryError) as caught:
        _hunt(timeout=10)
    assert (caught.value.state, caught.value.query_execution_id) == ("TIMED_OUT", QID)
    assert caught.value.bytes_scanned == 734_003_200_000  # billed: it was cancelled
    assert made[-1] == "StopQueryExecution"
    assert sum(no_wait) == pytest.approx(10)  # waited exactly the timeout, in backoff steps
    assert no_wait[:4] == pytest.approx([0.25, 0.4, 0.64, 1.024])
    assert max(no_wait) <= 5


def test_ctrl_c_stops_the_query_then_is_raised_again(
    stubbed: tuple[Any, Stubber, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, stub, made = stubbed
    _start(stub)
    stub.add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": QID})
    stub.add_response("stop_query_execution", {}, {"QueryExecutionId": QID})

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_athena, "_sleep", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _hunt()
    assert made == ["StartQueryExecution", "GetQueryExecution", "StopQueryExecution"]


def test_a_failed_poll_stops_the_query(
    stubbed: tuple[Any, Stubber, list[str]], no_wait: list[float]
) -> None:
    _, stub, made = stubbed
    _start(stub)
    stub.add_client_error(
        "get_query_execution", "ThrottlingException", "Rate exceeded", http_status_code=400
    )
    stub.add_response("stop_query_execution", {}, {"QueryExecutionId": QID})
    with pytest.raises(rootguard.AthenaQueryError) as caught:
        _hunt()
    assert caught.value.state == "CALL_FAILED"
    assert "ThrottlingException" in (caught.value.reason or "")
    assert made[-1] == "StopQueryExecution"


def test_a_refused_start_is_an_error(stubbed: tuple[Any, Stubber, list[str]]) -> None:
    _, stub, made = stubbed
    stub.add_client_error(
        "start_query_execution",
        "InvalidRequestException",
        "No output location provided. An output location is required either through the "
        "Workgroup result configuration setting or as an API input.",
    )
    with pytest.raises(rootguard.AthenaQueryError, match="No output location") as caught:
        _hunt()
    assert (caught.value.state, caught.value.query_execution_id) == ("CALL_FAILED", None)
    assert made == ["StartQueryExecution"]


def _bad_pages() -> list[tuple[str, dict[str, Any]]]:
    good = athena_duck.athena_pages([dict.fromkeys(COLUMN_NAMES, "x")])[0]
    cases: list[tuple[str, dict[str, Any]]] = []

    def variant(name: str, change: Any) -> None:
        page = copy.deepcopy(good)
        change(page)
        cases.append((name, page))

    variant("no-rows", lambda p: p["ResultSet"].pop("Rows"))
    variant("no-header", lambda p: p["ResultSet"].update(Rows=p["ResultSet"]["Rows"][1:]))
    variant("short-row", lambda p: p["ResultSet"]["Rows"][1]["Data"].pop())
    variant(
        "other-columns",
        lambda p: p["ResultSet"]["ResultSetMetadata"]["ColumnInfo"][0].update(Name="something"),
    )
    variant("no-metadata", lambda p: p["ResultSet"].pop("ResultSetMetadata"))
    return cases


@pytest.mark.parametrize(("name", "page"), _bad_pages(), ids=[n for n, _ in _bad_pages()])
def test_a_malformed_results_page_is_an_error_not_no_activity(
    stubbed: tuple[Any, Stubber, list[str]],
    no_wait: list[float],
    name: str,
    page: dict[str, Any],
) -> None:
    _, stub, _ = stubbed
    _start(stub)
    stub.add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": QID})
    stub.add_response("get_query_results", page, {"QueryExecutionId": QID, "MaxResults": 1000})
    with pytest.raises(rootguard.AthenaQueryError) as caught:
        _hunt()
    assert caught.value.state == "INVALID_RESPONSE", name


def test_the_same_next_token_twice_is_an_error(
    stubbed: tuple[Any, Stubber, list[str]],
    rows: list[dict[str, str | None]],
    no_wait: list[float],
) -> None:
    _, stub, _ = stubbed
    _start(stub)
    stub.add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": QID})
    first, second = athena_duck.athena_pages(rows[:3], page_size=2)[:2]
    second["NextToken"] = first["NextToken"]
    stub.add_response("get_query_results", first, {"QueryExecutionId": QID, "MaxResults": 1000})
    stub.add_response(
        "get_query_results",
        second,
        {"QueryExecutionId": QID, "MaxResults": 1000, "NextToken": first["NextToken"]},
    )
    with pytest.raises(rootguard.AthenaQueryError, match="same NextToken"):
        _hunt()


def test_invalid_options_are_refused_before_any_call(
    stubbed: tuple[Any, Stubber, list[str]],
) -> None:
    _, _, made = stubbed
    for kwargs in (
        {"workgroup": "prim ary"},
        {"output_location": "https://bucket/"},
        {"timeout": 0},
        {"accounts": ["12345"]},
    ):
        with pytest.raises(rootguard.ParseError):
            rootguard.hunt_root_activity_athena(
                database=DB, table=TABLE, since=SINCE, until=UNTIL, **kwargs
            )
    assert made == []


# ---------------------------------------------------------------------- the table

_GLUE = "(Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException)"
NOT_FOUND_DB = f"Database security not found. {_GLUE}"
NOT_FOUND_TABLE = f"Table org_trail not found. {_GLUE}"


def _table_metadata(
    *, assumedroot: bool = True, partitions: tuple[str, ...] = ("account", "region", "timestamp")
) -> dict[str, Any]:
    identity = (
        "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,"
        "accesskeyid:string,username:string,sessioncontext:struct<attributes:struct<"
        "mfaauthenticated:string,creationdate:string>,sessionissuer:struct<type:string,"
        "principalid:string,arn:string,accountid:string,username:string>"
        + (",assumedroot:string" if assumedroot else "")
        + ">>"
    )
    columns = [{"Name": name, "Type": "string"} for name in rootguard._athena_sql.TABLE_COLUMNS]
    columns[1] = {"Name": "useridentity", "Type": identity}
    return {
        "TableMetadata": {
            "Name": TABLE,
            "CreateTime": datetime(2025, 3, 1, tzinfo=UTC),
            "TableType": "EXTERNAL_TABLE",
            "Columns": columns,
            "PartitionKeys": [{"Name": key, "Type": "string"} for key in partitions],
            "Parameters": {"projection.enabled": "true", "EXTERNAL": "TRUE"},
        }
    }


def _ensure(**kwargs: Any) -> rootguard.AthenaTableResult:
    return rootguard.ensure_athena_table(
        bucket="org-trail-logs",
        organization_id="o-a1b2c3d4e5",
        accounts=["111111111111", "222222222222"],
        database=DB,
        table=TABLE,
        workgroup="security",
        **kwargs,
    )


def test_ensure_creates_what_is_missing(
    stubbed: tuple[Any, Stubber, list[str]], no_wait: list[float]
) -> None:
    _, stub, made = stubbed
    lookup = {"CatalogName": "AwsDataCatalog", "DatabaseName": DB}
    stub.add_client_error("get_database", "MetadataException", NOT_FOUND_DB, expected_params=lookup)
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-db"},
        {"QueryString": "CREATE DATABASE IF NOT EXISTS `security`", "WorkGroup": "security"},
    )
    stub.add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": "q-db"})
    stub.add_client_error(
        "get_table_metadata",
        "MetadataException",
        NOT_FOUND_TABLE,
        expected_params={**lookup, "TableName": TABLE},
    )
    ddl = rootguard.athena_table_ddl(
        bucket="org-trail-logs",
        organization_id="o-a1b2c3d4e5",
        accounts=["111111111111", "222222222222"],
        database=DB,
        table=TABLE,
    )
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-table"},
        {"QueryString": ddl, "WorkGroup": "security"},
    )
    stub.add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": "q-table"})
    stub.add_response(
        "get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": "q-table"}
    )
    result = _ensure()
    assert (result.database_status, result.table_status) == (
        rootguard.ActionStatus.APPLIED,
        rootguard.ActionStatus.APPLIED,
    )
    assert result.created
    assert result.ok
    assert result.ddl == ddl
    assert result.query_execution_ids == ["q-db", "q-table"]
    allowed = {
        a for s in rootguard.required_permissions("athena")["Statement"] for a in s["Action"]
    }
    assert {iam_action("athena", op) for op in made} <= allowed
    assert set(made) == {
        "GetDatabase",
        "StartQueryExecution",
        "GetQueryExecution",
        "GetTableMetadata",
    }


def test_ensure_leaves_an_existing_table_alone(stubbed: tuple[Any, Stubber, list[str]]) -> None:
    _, stub, made = stubbed
    lookup = {"CatalogName": "AwsDataCatalog", "DatabaseName": DB}
    stub.add_response("get_database", {"Database": {"Name": DB}}, lookup)
    stub.add_response("get_table_metadata", _table_metadata(), {**lookup, "TableName": TABLE})
    result = _ensure()
    assert (result.database_status, result.table_status) == (
        rootguard.ActionStatus.UNCHANGED,
        rootguard.ActionStatus.UNCHANGED,
    )
    assert (result.created, result.problems, result.query_execution_ids) == (False, [], [])
    assert "StartQueryExecution" not in made


def test_ensure_reports_what_an_existing_table_lacks(
    stubbed: tuple[Any, Stubber, list[str]],
) -> None:
    _, stub, made = stubbed
    lookup = {"CatalogName": "AwsDataCatalog", "DatabaseName": DB}
    stub.add_response("get_database", {"Database": {"Name": DB}}, lookup)
    stub.add_response(
        "get_table_metadata",
        _table_metadata(assumedroot=False, partitions=("timestamp",)),
        {**lookup, "TableName": TABLE},
    )
    result = _ensure()
    assert result.table_status is rootguard.ActionStatus.UNCHANGED
    assert not result.ok
    assert result.problems == [
        "no partition key 'account'",
        "no partition key 'region'",
        "useridentity.sessioncontext has no assumedroot field",
    ]
    assert "StartQueryExecution" not in made


def test_ensure_stops_on_a_denied_lookup(stubbed: tuple[Any, Stubber, list[str]]) -> None:
    _, stub, made = stubbed
    stub.add_client_error(
        "get_database", "AccessDeniedException", "not authorized", http_status_code=400
    )
    with pytest.raises(rootguard.AthenaQueryError, match="GetDatabase") as caught:
        _ensure()
    assert caught.value.state == "CALL_FAILED"
    assert made == ["GetDatabase"]


class _Pages:
    """A client whose GetQueryResults answers what botocore would parse from a body that
    Stubber cannot express (nulls, numbers where text belongs)."""

    def __init__(self, page: dict[str, Any]) -> None:
        self.page = page

    def get_query_results(self, **_: Any) -> dict[str, Any]:
        return self.page


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["ResultSet"].update(Rows=None),
        lambda p: p["ResultSet"]["Rows"][1]["Data"][3].update(VarCharValue=7),
        lambda p: p["ResultSet"]["Rows"].__setitem__(1, None),
        lambda p: p.update(NextToken=5),
        lambda p: p.update(ResultSet=[]),
    ],
    ids=["rows-null", "value-not-text", "row-null", "token-not-text", "result-set-list"],
)
def test_results_of_the_wrong_type_are_an_error(change: Any) -> None:
    page = athena_duck.athena_pages([dict.fromkeys(COLUMN_NAMES, "x")])[0]
    change(page)
    with pytest.raises(rootguard.AthenaQueryError) as caught:
        _athena._result_rows(_Pages(page), QID, COLUMN_NAMES)
    assert caught.value.state == "INVALID_RESPONSE"


# ------------------------------------------------------------------------------- CLI


def test_cli_activity_athena(
    moto_athena: boto3.Session,
    rows: list[dict[str, str | None]],
    scan: rootguard.ScanResult,
    no_wait: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rootguard._cli import main
    from rootguard._fail_on import EXIT_OK

    _queue(athena_duck.athena_pages(rows))
    code = main(
        [
            "activity",
            "--athena",
            f"{DB}.{TABLE}",
            "--workgroup",
            "security",
            "--since",
            SINCE.date().isoformat(),
            "--until",
            UNTIL.isoformat(),
            "--output",
            "json",
        ]
    )
    captured = capsys.readouterr()
    assert code == EXIT_OK
    found = json.loads(captured.out)
    assert [a["event_id"] for a in found] == [a.event_id for a in scan.activities]
    assert f"{len(rows)} candidate records, 0 bytes scanned, about 0.0000 USD" in captured.err


def test_cli_activity_athena_errors(
    moto_athena: boto3.Session, no_wait: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    from rootguard._cli import main
    from rootguard._fail_on import EXIT_ERROR, EXIT_USAGE

    assert main(["activity", "--athena", "no_dot_here"]) == EXIT_USAGE
    assert "DATABASE.TABLE" in capsys.readouterr().err
    assert main(["activity", "--athena", "db.t", "--account", "12"]) == EXIT_USAGE
    assert "12-digit" in capsys.readouterr().err
    # nothing queued in moto: no header row, an unreadable answer — exit 3, one line
    code = main(["activity", "--athena", f"{DB}.{TABLE}", "--workgroup", "security"])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert err.startswith("rootguard: error: athena:GetQueryResults answered something unreadable")
    assert err.count("\n") == 1


def test_cli_athena_ddl_and_create_table(
    stubbed: tuple[Any, Stubber, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    from rootguard._cli import main
    from rootguard._fail_on import EXIT_FINDINGS, EXIT_OK

    args = ["--bucket", "org-trail-logs", "--organization-id", "o-a1b2c3d4e5"]
    args += ["--account", "111111111111", "--database", DB, "--table", TABLE]
    assert main(["athena", "ddl", *args, "--start", "2020-01-01"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith(f"CREATE EXTERNAL TABLE IF NOT EXISTS `{DB}`.`{TABLE}` (")
    assert "'projection.timestamp.range'='2020/01/01,NOW'" in out
    assert out.endswith(");\n")

    _, stub, _ = stubbed
    lookup = {"CatalogName": "AwsDataCatalog", "DatabaseName": DB}
    stub.add_response("get_database", {"Database": {"Name": DB}}, lookup)
    stub.add_response(
        "get_table_metadata", _table_metadata(assumedroot=False), {**lookup, "TableName": TABLE}
    )
    assert main(["athena", "create-table", *args]) == EXIT_FINDINGS
    captured = capsys.readouterr()
    assert captured.out == (f"database {DB}: unchanged\ntable {DB}.{TABLE}: unchanged\n")
    assert "has no assumedroot field" in captured.err

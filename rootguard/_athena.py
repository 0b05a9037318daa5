"""Root activity over a CloudTrail trail's S3 logs with Amazon Athena (I/O).

The SQL, the DDL, and turning rows back into classified activity are pure
(``rootguard._athena_sql``); this module runs them: ``StartQueryExecution``, polling
``GetQueryExecution`` with backoff, paging through ``GetQueryResults`` (every page checked:
a page of the wrong shape is an error, never "no activity"), and ``StopQueryExecution``
when the caller gives up (timeout, Ctrl-C, a failed call) so that a query nobody waits for
does not go on scanning, and billing, terabytes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from rootguard._athena_sql import (
    CLOUDTRAIL_EPOCH,
    COLUMN_NAMES,
    PARTITION_KEYS,
    READ_COLUMNS,
    AthenaHunt,
    activities_from_rows,
    athena_price,
    athena_table_ddl,
    billed_bytes,
    database_ddl,
    hunt_query,
    query_cost,
)
from rootguard._aws import (
    CALL_ERRORS,
    CREDENTIAL_ERRORS,
    SHAPE_ERRORS,
    ClientFactory,
    MalformedResponse,
    error_code,
    error_message,
    expect,
    expect_items,
    resolve_session,
)
from rootguard._errors import AthenaQueryError, ParseError
from rootguard._remediation._outcomes import ActionStatus
from rootguard._time import utc_now

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_athena import AthenaClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "AthenaTableResult",
    "ensure_athena_table",
    "hunt_root_activity_athena",
]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 1800.0
"""Seconds to wait for a hunt before stopping it (Athena's own DML limit is 30 minutes by
default)."""
CATALOG: Final = "AwsDataCatalog"
PAGE_SIZE: Final = 1000
"""Rows per ``GetQueryResults`` page (Athena's maximum)."""
_FIRST_DELAY: Final = 0.25
_MAX_DELAY: Final = 5.0
_BACKOFF: Final = 1.6

_WAITING: Final = frozenset({"QUEUED", "RUNNING"})
_TERMINAL: Final = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
_WORKGROUP: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")
_OUTPUT: Final = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?")
_NOT_FOUND: Final = re.compile(r"not\s*found|EntityNotFound|does not exist", re.IGNORECASE)

# Patched by tests: the clock and the pause between polls.
_sleep: Callable[[float], None] = time.sleep
_monotonic: Callable[[], float] = time.monotonic


class _TimedOut(Exception):
    def __init__(self, execution: dict[str, Any]) -> None:
        super().__init__("timed out")
        self.execution = execution


# ---------------------------------------------------------------------------------------
# One query: start, wait, results, stop
# ---------------------------------------------------------------------------------------


def _call_failed(what: str, exc: BaseException, qid: str | None) -> AthenaQueryError:
    if isinstance(exc, CREDENTIAL_ERRORS):
        return AthenaQueryError(
            "no usable AWS credentials",
            state="CALL_FAILED",
            reason=str(exc),
            query_execution_id=qid,
        )
    invalid = error_code(exc) == "InvalidResponse" or isinstance(exc, MalformedResponse)
    return AthenaQueryError(
        f"athena:{what} {'answered something unreadable' if invalid else 'failed'}",
        query_execution_id=qid,
        state="INVALID_RESPONSE" if invalid else "CALL_FAILED",
        reason=f"{error_code(exc)}: {error_message(exc)}",
    )


_ERRORS: tuple[type[Exception], ...] = (*CALL_ERRORS, *CREDENTIAL_ERRORS, *SHAPE_ERRORS)
"""Every way one Athena call can fail: the call, the credentials, the answer's shape."""


def _start(
    client: AthenaClient,
    sql: str,
    *,
    database: str | None,
    workgroup: str | None,
    output_location: str | None,
) -> str:
    params: dict[str, Any] = {"QueryString": sql}
    if database is not None:
        params["QueryExecutionContext"] = {"Database": database, "Catalog": CATALOG}
    if workgroup is not None:
        params["WorkGroup"] = workgroup
    if output_location is not None:
        params["ResultConfiguration"] = {"OutputLocation": output_location}
    try:
        qid = expect(client.start_query_execution(**params), "QueryExecutionId", str)
        if not qid:
            raise MalformedResponse("QueryExecutionId is empty")
    except _ERRORS as exc:
        raise _call_failed("StartQueryExecution", exc, None) from exc
    logger.info("started Athena query %s", qid)
    return qid


def _execution(client: AthenaClient, qid: str) -> tuple[str, dict[str, Any]]:
    try:
        execution = expect(client.get_query_execution(QueryExecutionId=qid), "QueryExecution", dict)
        state = expect(expect(execution, "Status", dict), "State", str)
        if state not in _WAITING and state not in _TERMINAL:
            raise MalformedResponse(f"unknown query state {state[:40]!r}")
    except _ERRORS as exc:
        raise _call_failed("GetQueryExecution", exc, qid) from exc
    return state, execution


def _wait(client: AthenaClient, qid: str, timeout: float) -> tuple[str, dict[str, Any]]:
    """Poll until the query ends (backoff 0.25 s → 5 s); _TimedOut past ``timeout``."""
    deadline = _monotonic() + timeout
    delay = _FIRST_DELAY
    while True:
        state, execution = _execution(client, qid)
        if state in _TERMINAL:
            return state, execution
        remaining = deadline - _monotonic()
        if remaining <= 0:
            raise _TimedOut(execution)
        _sleep(min(delay, remaining))
        delay = min(delay * _BACKOFF, _MAX_DELAY)


def _stop(client: AthenaClient, qid: str) -> None:
    """Best effort: a failure to stop is logged, never raised over the first problem."""
    try:
        client.stop_query_execution(QueryExecutionId=qid)
        logger.info("stopped Athena query %s", qid)
    except _ERRORS as exc:
        logger.warning(
            "could not stop Athena query %s: %s: %s", qid, error_code(exc), error_message(exc)
        )


def _statistics(execution: dict[str, Any]) -> tuple[int | None, int | None]:
    stats = execution.get("Statistics")
    if not isinstance(stats, dict):
        return None, None
    scanned = stats.get("DataScannedInBytes")
    engine = stats.get("EngineExecutionTimeInMillis")

    def _int(value: object) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return _int(scanned), _int(engine)


def _reason(execution: dict[str, Any]) -> str:
    status = execution.get("Status")
    if not isinstance(status, dict):
        return "no reason given"
    parts: list[str] = []
    reason = status.get("StateChangeReason")
    if isinstance(reason, str) and reason:
        parts.append(reason)
    error = status.get("AthenaError")
    if isinstance(error, dict):
        message = error.get("ErrorMessage")
        if isinstance(message, str) and message and message not in parts:
            parts.append(message)
    return "; ".join(parts) or "no reason given"


def _run(
    client: AthenaClient,
    sql: str,
    *,
    database: str | None,
    workgroup: str | None,
    output_location: str | None,
    timeout: float,
    then: Callable[[str, dict[str, Any]], Any] | None = None,
) -> tuple[str, dict[str, Any], Any]:
    """Start ``sql``, wait for it, and (on success) call ``then(qid, execution)``.

    Anything that ends the wait early — the timeout, KeyboardInterrupt, a failed or
    unreadable call — stops the query first (StopQueryExecution); KeyboardInterrupt is
    then raised again as it came.
    """
    qid = _start(
        client, sql, database=database, workgroup=workgroup, output_location=output_location
    )
    try:
        state, execution = _wait(client, qid, timeout)
    except _TimedOut as timed_out:
        _stop(client, qid)
        raise AthenaQueryError(
            f"the query did not finish within {timeout:g} seconds and was stopped",
            query_execution_id=qid,
            state="TIMED_OUT",
            bytes_scanned=_statistics(timed_out.execution)[0],
        ) from None
    except BaseException:  # KeyboardInterrupt, a failed or unreadable GetQueryExecution
        _stop(client, qid)
        raise
    scanned, _ = _statistics(execution)
    if state != "SUCCEEDED":
        raise AthenaQueryError(
            f"the query ended {state}",
            query_execution_id=qid,
            state=state,
            reason=_reason(execution),
            bytes_scanned=scanned,
        )
    logger.info("Athena query %s succeeded, %s bytes scanned", qid, scanned)
    return qid, execution, then(qid, execution) if then is not None else None


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


def _row_values(row: dict[str, Any], width: int, index: int) -> list[str | None]:
    data = expect_items(row, "Data")
    if len(data) != width:
        raise MalformedResponse(f"row {index} has {len(data)} values, expected {width}")
    values: list[str | None] = []
    for datum in data:
        if "VarCharValue" not in datum:
            values.append(None)  # SQL NULL
            continue
        value = datum["VarCharValue"]
        if not isinstance(value, str):
            raise MalformedResponse(f"row {index}: VarCharValue is a {type(value).__name__}")
        values.append(value)
    return values


def _check_columns(result_set: dict[str, Any], expected: tuple[str, ...]) -> None:
    metadata = expect(result_set, "ResultSetMetadata", dict)
    info = expect_items(metadata, "ColumnInfo")
    names = tuple(str(column.get("Name", "")).lower() for column in info)
    if names != expected:
        shown = ", ".join(names[:6]) or "none"
        raise MalformedResponse(f"the result's columns are not the query's ({shown} ...)")


def _result_rows(
    client: AthenaClient, qid: str, expected: tuple[str, ...]
) -> list[dict[str, str | None]]:
    """Every data row of the query's results, as {column: text or None}.

    The first row of the first page is Athena's header (the column names): it must be
    there and name the query's columns, and it is skipped. Each page must carry ``Rows``
    as a list of rows of exactly the query's width.
    """
    rows: list[dict[str, str | None]] = []
    token: str | None = None
    seen_tokens: set[str] = set()
    first = True
    while True:
        params: dict[str, Any] = {"QueryExecutionId": qid, "MaxResults": PAGE_SIZE}
        if token:
            params["NextToken"] = token
        try:
            page = client.get_query_results(**params)
            result_set = expect(page, "ResultSet", dict)
            page_rows = expect_items(result_set, "Rows")
            start = 0
            if first:
                _check_columns(result_set, expected)
                if not page_rows:
                    raise MalformedResponse("the first page has no header row")
                header = _row_values(page_rows[0], len(expected), 0)
                if tuple((value or "").lower() for value in header) != expected:
                    raise MalformedResponse("the first row is not the header row")
                start = 1
            for index in range(start, len(page_rows)):
                values = _row_values(page_rows[index], len(expected), len(rows) + 1)
                rows.append(dict(zip(expected, values, strict=True)))
            next_token = page.get("NextToken")
            if next_token is not None and not isinstance(next_token, str):
                raise MalformedResponse(f"NextToken is a {type(next_token).__name__}")
            if next_token and next_token in seen_tokens:
                raise MalformedResponse("GetQueryResults returned the same NextToken twice")
        except _ERRORS as exc:
            raise _call_failed("GetQueryResults", exc, qid) from exc
        first = False
        if not next_token:
            return rows
        seen_tokens.add(next_token)
        token = next_token


# ---------------------------------------------------------------------------------------
# Public: the hunt
# ---------------------------------------------------------------------------------------


def _check_options(workgroup: str | None, output_location: str | None, timeout: float) -> None:
    if workgroup is not None and not _WORKGROUP.fullmatch(workgroup):
        raise ParseError(
            "invalid workgroup: letters, digits, '.', '_' and '-' (at most 128)",
            column="workgroup",
            value=repr(workgroup),
        )
    if output_location is not None and (
        not isinstance(output_location, str)
        or not re.fullmatch(r"s3://[^/\s]+(/\S*)?", output_location)
    ):
        raise ParseError(
            "invalid output location: expected s3://bucket/prefix/",
            column="output_location",
            value=repr(output_location),
        )
    if not timeout > 0:
        raise ParseError("timeout must be positive", column="timeout", value=repr(timeout))


def hunt_root_activity_athena(
    *,
    session: boto3.Session | None = None,
    database: str,
    table: str,
    since: datetime,
    until: datetime | None = None,
    accounts: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    workgroup: str | None = None,
    output_location: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    region: str | None = None,
    price_per_tb: float | None = None,
) -> AthenaHunt:
    """Find root activity in a CloudTrail trail's logs with one Amazon Athena query.

    The table is the one :func:`~rootguard.athena_table_ddl` describes (see
    :func:`~rootguard.ensure_athena_table`). One query selects every record that may be
    root activity — root identities, federated users issued by root, ``sts:AssumeRoot``
    calls — reading only the partitions of the window (``since``'s day to ``until`` + one
    day of delivery delay), of ``accounts`` and of ``regions``. Each row is rebuilt into a
    CloudTrail record and classified by the archive scanner's own code, with its window
    (``since <= eventTime < until``) and its AssumeRoot correlation: the activities are the
    ones :func:`~rootguard.scan_cloudtrail_archive` finds in the same logs.

    Args:
        session: boto3 session (default ``boto3.Session()``).
        database: the Athena database (letters, digits and ``_``).
        table: the Athena table (letters, digits and ``_``).
        since: the start of the window (naive datetimes are UTC).
        until: the end of the window (exclusive; default now).
        accounts: only these accounts (needed when the table projects ``account`` as
            ``injected``).
        regions: only these regions.
        workgroup: the Athena workgroup (its output location and limits apply).
        output_location: ``s3://...`` for the query's results (else the workgroup's).
        timeout: seconds to wait; then the query is stopped (StopQueryExecution) and
            :class:`~rootguard.AthenaQueryError` (state ``TIMED_OUT``) is raised.
        region: the region Athena runs in (default: the session's, else us-east-1).
        price_per_tb: your price per TB scanned, when it is not the one
            rootguard knows for ``region`` (see ``AthenaHunt.price_source``).

    Returns:
        :class:`~rootguard.AthenaHunt`: activities, files with invalid candidate records,
        the query's id and SQL, bytes scanned and their cost.

    Raises:
        ParseError: a value of the wrong shape (nothing is sent).
        ArgumentError: ``accounts`` or ``regions`` is a bare string (pass a list), or
            ``since`` / ``until`` is not a datetime (nothing is sent).
        AthenaQueryError: the query FAILED or was CANCELLED (with Athena's reason), timed
            out, or a call failed or answered something unreadable. On KeyboardInterrupt
            the query is stopped and KeyboardInterrupt raised again.

    Examples:
        >>> from datetime import datetime, timezone
        >>> import rootguard
        >>> hunt = rootguard.hunt_root_activity_athena(
        ...     database="security", table="org_trail",
        ...     since=datetime(2021, 1, 1, tzinfo=timezone.utc),
        ...     accounts=["111122223333"], workgroup="security")
        >>> [(a.account_id, a.channel.value, a.mfa_used) for a in hunt.alerts]
        [('111122223333', 'console_signin', False), ('111122223333', 'access_key', None)]
        >>> hunt.billed_bytes, hunt.currency  # Athena's 10 MB minimum per query
        (10485760, 'USD')
    """
    now = utc_now()
    query = hunt_query(
        database=database,
        table=table,
        since=since,
        until=until if until is not None else now,
        accounts=accounts,
        regions=regions,
    )
    _check_options(workgroup, output_location, timeout)
    resolved = resolve_session(session)
    athena_region = region or resolved.region_name or "us-east-1"
    client = ClientFactory(resolved).client("athena", athena_region)

    def fetch(qid: str, _: dict[str, Any]) -> list[dict[str, str | None]]:
        return _result_rows(client, qid, COLUMN_NAMES)

    qid, execution, rows = _run(
        client,
        query.sql,
        database=query.database,
        workgroup=workgroup,
        output_location=output_location,
        timeout=timeout,
        then=fetch,
    )
    activities, errors, count = activities_from_rows(rows, query.record_filter)
    scanned, engine_ms = _statistics(execution)
    price = athena_price(athena_region)
    if price_per_tb is not None:
        price = replace(price, per_tb=float(price_per_tb), source="given by the caller")
    elif not price.published:
        logger.warning("Athena's price in %s is not known to rootguard", athena_region)
    hunt = AthenaHunt(
        activities=activities,
        errors=errors,
        query_execution_id=qid,
        sql=query.sql,
        database=query.database,
        table=query.table,
        workgroup=workgroup,
        region=athena_region,
        since=query.since,
        until=query.until,
        rows=count,
        bytes_scanned=scanned,
        billed_bytes=billed_bytes(scanned) if scanned is not None else None,
        cost=query_cost(scanned, price) if scanned is not None else None,
        currency=price.currency,
        price_per_tb=price.per_tb,
        price_source=price.source,
        engine_execution_ms=engine_ms,
    )
    for failed in errors:
        logger.warning("invalid root-activity record in %s: %s", failed.path, failed.detail)
    return hunt


# ---------------------------------------------------------------------------------------
# Public: the table
# ---------------------------------------------------------------------------------------


class AthenaTableResult(BaseModel):
    """What :func:`~rootguard.ensure_athena_table` did.

    ``applied``: rootguard created it; ``unchanged``: it was there and was left alone.
    ``problems`` lists what an existing table lacks for
    :func:`~rootguard.hunt_root_activity_athena` (a partition key or a column): such a
    table is not changed — drop it or pick another name.

    Examples:
        >>> import rootguard
        >>> result = rootguard.AthenaTableResult(
        ...     database="security", table="org_trail", ddl="CREATE ...",
        ...     database_status="unchanged", table_status="applied")
        >>> result.created, result.ok
        (True, True)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    database: str
    table: str
    database_status: ActionStatus
    table_status: ActionStatus
    ddl: str
    """The CREATE EXTERNAL TABLE statement (run only when the table was missing)."""
    problems: list[str] = []
    query_execution_ids: list[str] = []

    @property
    def created(self) -> bool:
        """True when the table was created by this call."""
        return self.table_status is ActionStatus.APPLIED

    @property
    def ok(self) -> bool:
        """True when the table is fit for the hunt."""
        return not self.problems


def _not_found(exc: BaseException) -> bool:
    return (
        isinstance(exc, ClientError)
        and error_code(exc) in ("MetadataException", "EntityNotFoundException")
        and bool(_NOT_FOUND.search(error_message(exc)))
    )


def _problems(metadata: dict[str, Any]) -> list[str]:
    """What an existing table lacks for the hunt query."""
    found: list[str] = []
    partitions = {
        str(key.get("Name", "")).lower()
        for key in metadata.get("PartitionKeys") or []
        if isinstance(key, dict)
    }
    for key in PARTITION_KEYS:
        if key not in partitions:
            found.append(f"no partition key {key!r}")
    columns = {
        str(column.get("Name", "")).lower(): str(column.get("Type", "")).lower()
        for column in metadata.get("Columns") or []
        if isinstance(column, dict)
    }
    for name in READ_COLUMNS:
        if name not in columns:
            found.append(f"no column {name!r}")
    identity = columns.get("useridentity", "")
    if identity and "assumedroot" not in identity.replace(" ", ""):
        found.append("useridentity.sessioncontext has no assumedroot field")
    return found


def ensure_athena_table(
    *,
    session: boto3.Session | None = None,
    bucket: str,
    prefix: str = "",
    organization_id: str | None = None,
    accounts: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    start: date = CLOUDTRAIL_EPOCH,
    database: str = "rootguard",
    table: str = "cloudtrail_logs",
    workgroup: str | None = None,
    output_location: str | None = None,
    region: str | None = None,
    timeout: float = 300.0,
) -> AthenaTableResult:
    """Create the Athena database and CloudTrail table when missing; leave them alone when
    they exist (idempotent).

    The database is looked up with ``GetDatabase`` and the table with
    ``GetTableMetadata``; only what is missing is created (``CREATE DATABASE IF NOT
    EXISTS``, then the statement of :func:`~rootguard.athena_table_ddl`). An existing table
    is never altered: it is reported ``unchanged``, with ``problems`` when it lacks what
    the hunt reads. DDL statements are not billed by Athena.

    Raises:
        ParseError: a value of the wrong shape (nothing is sent).
        ArgumentError: ``accounts`` or ``regions`` is a bare string (pass a list; nothing
            is sent).
        AthenaQueryError: a lookup or a DDL statement failed.

    Examples:
        >>> import rootguard
        >>> result = rootguard.ensure_athena_table(
        ...     bucket="org-trail-logs", organization_id="o-a1b2c3d4e5",
        ...     accounts=["111122223333"], database="security", table="org_trail",
        ...     workgroup="security")
        >>> result.table_status
        <ActionStatus.APPLIED: 'applied'>
    """
    ddl = athena_table_ddl(
        bucket=bucket,
        prefix=prefix,
        organization_id=organization_id,
        accounts=accounts,
        regions=regions,
        start=start,
        database=database,
        table=table,
    )
    db_ddl = database_ddl(database)
    database, table = database.lower(), table.lower()
    _check_options(workgroup, output_location, timeout)
    resolved = resolve_session(session)
    client = ClientFactory(resolved).client("athena", region or resolved.region_name or "us-east-1")
    run_ids: list[str] = []

    def run(sql: str) -> None:
        qid, _, _ = _run(
            client,
            sql,
            database=None,
            workgroup=workgroup,
            output_location=output_location,
            timeout=timeout,
        )
        run_ids.append(qid)

    try:
        client.get_database(CatalogName=CATALOG, DatabaseName=database)
        database_status = ActionStatus.UNCHANGED
    except _ERRORS as exc:
        if not _not_found(exc):
            raise _call_failed("GetDatabase", exc, None) from exc
        run(db_ddl)
        database_status = ActionStatus.APPLIED

    problems: list[str] = []
    try:
        answer = client.get_table_metadata(
            CatalogName=CATALOG, DatabaseName=database, TableName=table
        )
        problems = _problems(expect(answer, "TableMetadata", dict))
        table_status = ActionStatus.UNCHANGED
    except _ERRORS as exc:
        if not _not_found(exc):
            raise _call_failed("GetTableMetadata", exc, None) from exc
        run(ddl)
        table_status = ActionStatus.APPLIED
    for problem in problems:
        logger.warning("existing table %s.%s: %s", database, table, problem)
    return AthenaTableResult(
        database=database,
        table=table,
        database_status=database_status,
        table_status=table_status,
        ddl=ddl,
        problems=problems,
        query_execution_ids=run_ids,
    )

"""Run rootguard's Athena hunt query with DuckDB over local CloudTrail files (tests only).

What this stands in for, and nothing more: Athena's table over a trail's S3 prefix — the
``CloudTrailInputFormat`` that yields one row per element of each log file's ``Records``,
the Hive ``JsonSerDe`` that maps each record onto the table's typed columns, the
partition columns ``account``, ``region`` and ``timestamp`` that partition projection
takes from the object's key, and the ``"$path"`` pseudo-column. It is one DuckDB view,
built from the table's own column list:

- ``read_json`` reads every ``*.json.gz`` under ``AWSLogs/[o-id/]<account>/CloudTrail/
  <region>/YYYY/MM/DD/`` (the objects ``storage.location.template`` points at; digest
  files live under ``CloudTrail-Digest/`` and are not read, as in Athena), with
  ``Records`` as an array of JSON values, unnested to one row per record;
- ``json_transform`` maps each record onto a struct with the DDL's fields and types:
  a JSON object or array read into a STRING column comes back as its JSON text and a
  JSON boolean as ``true``/``false``, a JSON string as the bare string, and a missing or
  null field as NULL, as the JsonSerDe does; DuckDB's struct field names are matched
  case-insensitively, like Athena's;
- the partition values are cut from the file's path.

The query itself is rootguard's Athena SQL, transpiled by sqlglot (``read="athena"``,
``write="duckdb"``) and run unchanged. Values come back as Athena's ``GetQueryResults``
gives them: text, ``true``/``false`` for booleans, None for NULL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from rootguard._athena_sql import COLUMN_NAMES

# The JSON keys of a CloudTrail record as CloudTrail writes them, with the DuckDB type of
# the Athena column they land in (the DDL of rootguard._athena_sql, key for key).
_IDENTITY = {
    "type": "VARCHAR",
    "principalId": "VARCHAR",
    "arn": "VARCHAR",
    "accountId": "VARCHAR",
    "invokedBy": "VARCHAR",
    "accessKeyId": "VARCHAR",
    "userName": "VARCHAR",
    "onBehalfOf": {"userId": "VARCHAR", "identityStoreArn": "VARCHAR"},
    "sessionContext": {
        "attributes": {"mfaAuthenticated": "VARCHAR", "creationDate": "VARCHAR"},
        "sessionIssuer": {
            "type": "VARCHAR",
            "principalId": "VARCHAR",
            "arn": "VARCHAR",
            "accountId": "VARCHAR",
            "userName": "VARCHAR",
        },
        "sourceIdentity": "VARCHAR",
        "ec2RoleDelivery": "VARCHAR",
        "webIdFederationData": {
            "federatedProvider": "VARCHAR",
            "attributes": "MAP(VARCHAR, VARCHAR)",
        },
        "assumedRoot": "VARCHAR",
    },
}
RECORD_SHAPE: dict[str, Any] = {
    "eventVersion": "VARCHAR",
    "userIdentity": _IDENTITY,
    "eventTime": "VARCHAR",
    "eventSource": "VARCHAR",
    "eventName": "VARCHAR",
    "awsRegion": "VARCHAR",
    "sourceIPAddress": "VARCHAR",
    "userAgent": "VARCHAR",
    "errorCode": "VARCHAR",
    "errorMessage": "VARCHAR",
    "requestParameters": "VARCHAR",
    "responseElements": "VARCHAR",
    "additionalEventData": "VARCHAR",
    "requestID": "VARCHAR",
    "eventID": "VARCHAR",
    "readOnly": "VARCHAR",
    "resources": [{"ARN": "VARCHAR", "accountId": "VARCHAR", "type": "VARCHAR"}],
    "eventType": "VARCHAR",
    "apiVersion": "VARCHAR",
    "recipientAccountId": "VARCHAR",
    "serviceEventDetails": "VARCHAR",
    "sharedEventID": "VARCHAR",
    "vpcEndpointId": "VARCHAR",
    "vpcEndpointAccountId": "VARCHAR",
    "eventCategory": "VARCHAR",
    "addendum": {
        "reason": "VARCHAR",
        "updatedFields": "VARCHAR",
        "originalRequestId": "VARCHAR",
        "originalEventId": "VARCHAR",
    },
    "sessionCredentialFromConsole": "VARCHAR",
    "edgeDeviceDetails": "VARCHAR",
    "tlsDetails": {
        "tlsVersion": "VARCHAR",
        "cipherSuite": "VARCHAR",
        "clientProvidedHostHeader": "VARCHAR",
    },
}

_LAYOUT = r"AWSLogs/(?:o-[a-z0-9]+/)?(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4}/\d{2}/\d{2})/[^/]+$"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(archive: Path, *, database: str, table: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with ``database.table`` standing for the Athena table over
    the CloudTrail files under ``archive`` (any prefix and organization folder)."""
    con = duckdb.connect()
    glob = str(archive / "**" / "*.json.gz")
    columns = ", ".join(f"r.{key.lower()} AS {key.lower()}" for key in RECORD_SHAPE)
    con.execute(f"CREATE SCHEMA {database}")
    con.execute(
        f"""
        CREATE VIEW {database}.{table} AS
        WITH files AS (
            SELECT filename, unnest(Records) AS rec
            FROM read_json({_sql_string(glob)}, columns={{'Records': 'JSON[]'}},
                           filename=true, format='auto', maximum_object_size=268435456)
            WHERE regexp_matches(filename, {_sql_string(_LAYOUT)})
        ),
        typed AS (
            SELECT filename, json_transform(rec, {_sql_string(json.dumps(RECORD_SHAPE))}) AS r
            FROM files
        )
        SELECT
            {columns},
            regexp_extract(filename, {_sql_string(_LAYOUT)}, 1) AS account,
            regexp_extract(filename, {_sql_string(_LAYOUT)}, 2) AS region,
            regexp_extract(filename, {_sql_string(_LAYOUT)}, 3) AS "timestamp",
            filename AS "$path"
        FROM typed
        """
    )
    return con


def to_duckdb(athena_sql: str) -> str:
    """rootguard's Athena SQL as DuckDB SQL (sqlglot)."""
    (statement,) = sqlglot.transpile(athena_sql, read="athena", write="duckdb")
    return statement


def _athena_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def run(con: duckdb.DuckDBPyConnection, athena_sql: str) -> list[dict[str, str | None]]:
    """Run the transpiled query; rows as GetQueryResults gives them (text or None)."""
    cursor = con.execute(to_duckdb(athena_sql))
    names = tuple(d[0] for d in cursor.description)
    assert names == COLUMN_NAMES, names
    return [
        {name: _athena_text(value) for name, value in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


def athena_pages(
    rows: list[dict[str, str | None]], *, page_size: int = 1000
) -> list[dict[str, Any]]:
    """``rows`` as the pages of GetQueryResults: the header row first, then the data,
    ``page_size`` rows a page (the header counts on the first page), NextToken between."""
    header = {"Data": [{"VarCharValue": name} for name in COLUMN_NAMES]}
    data = [
        {"Data": [{} if row[n] is None else {"VarCharValue": row[n]} for n in COLUMN_NAMES]}
        for row in rows
    ]
    all_rows = [header, *data]
    info = column_info()
    pages: list[dict[str, Any]] = []
    for start in range(0, len(all_rows), page_size):
        page: dict[str, Any] = {
            "UpdateCount": 0,
            "ResultSet": {
                "Rows": all_rows[start : start + page_size],
                "ResultSetMetadata": {"ColumnInfo": info},
            },
        }
        if start + page_size < len(all_rows):
            page["NextToken"] = f"token-{start + page_size}"
        pages.append(page)
    return pages


def column_info() -> list[dict[str, Any]]:
    """``ResultSetMetadata.ColumnInfo`` for the hunt query, as Athena describes it."""
    boolean = {"has_useridentity", "has_sessioncontext"}
    return [
        {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": name,
            "Label": name,
            "Type": "boolean" if name in boolean else "varchar",
            "Precision": 0 if name in boolean else 2147483647,
            "Scale": 0,
            "Nullable": "UNKNOWN",
            "CaseSensitive": name not in boolean,
        }
        for name in COLUMN_NAMES
    ]

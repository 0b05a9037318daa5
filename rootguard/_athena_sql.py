"""Amazon Athena over CloudTrail: the table DDL, the hunt query, rows back to records (pure).

No boto3 here (import-linter contract): this module builds text and reads rows. The API
flow (start, poll, page through results, stop) lives in ``rootguard._athena``.

The table is the one AWS documents for CloudTrail ("Create the table for CloudTrail logs
in Athena using partition projection", Amazon Athena User Guide): ``JsonSerDe`` over
``CloudTrailInputFormat``, every column as AWS lists it, plus two fields of
``useridentity.sessioncontext`` that AWS's statement leaves out and root detection needs
(``assumedroot``, set in member-account records of an ``sts:AssumeRoot`` session, and
``sourceidentity``). Partitions are projected on ``account``, ``region`` and
``timestamp`` (the delivery day, ``yyyy/MM/dd``), for both key layouts CloudTrail writes::

    s3://bucket/[prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
    s3://bucket/[prefix/]AWSLogs/<o-org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/

The hunt query selects every record the archive scanner (``rootguard._fastscan``) could
classify as root activity — the candidate test of ``rootguard._detect.is_candidate``,
written in SQL — as flat scalar columns (never a struct rendered as text), pruned by the
projected partitions of the window, the accounts and the regions. Each row is rebuilt into
a CloudTrail record and goes through the scanner's own filter and classification
(``rootguard._fastscan.root_records``), so that channels, MFA, severity and AssumeRoot
correlation cannot differ. ``tests/integration/test_athena_equivalence.py`` runs the query
(transpiled to DuckDB by sqlglot) over a generated archive and compares with
``scan_cloudtrail_archive``.

Every value written into SQL is validated against a strict shape first (12-digit account
ids, region names, ``YYYY/MM/DD`` days rendered by this module, identifiers of letters,
digits and ``_``, S3 bucket names and key prefixes without quotes): nothing a caller
passes is concatenated into SQL unchecked. Athena's ``ExecutionParameters`` would not be
safer — they are SQL literal text too, inserted as given — and a query with its values
written out is the query the user can read, review and rerun.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from rootguard._detect import STS_SOURCE, detect_root_activity
from rootguard._errors import ParseError, name_list, time_or_none
from rootguard._fastscan import (
    FailedFile,
    ReadFailure,
    RecordFilter,
    frozen,
    root_records,
)
from rootguard._models import CloudTrailEvent, RootActivity, UtcDatetime
from rootguard._time import as_utc

__all__ = [
    "ATHENA_REGIONS",
    "CLOUDTRAIL_EPOCH",
    "COLUMN_NAMES",
    "DELIVERY_SLACK",
    "HUNT_COLUMNS",
    "MINIMUM_BILLED_BYTES",
    "PARTITION_KEYS",
    "READ_COLUMNS",
    "TABLE_COLUMNS",
    "AthenaHunt",
    "AthenaPrice",
    "HuntQuery",
    "activities_from_rows",
    "athena_price",
    "athena_table_ddl",
    "billed_bytes",
    "database_ddl",
    "hunt_query",
    "query_cost",
    "record_from_row",
]

CLOUDTRAIL_EPOCH: Final = date(2013, 11, 1)
"""The first day CloudTrail could have delivered a log file: the default start of the
projected ``timestamp`` range."""

DELIVERY_SLACK: Final = timedelta(days=1)
"""Date folders are the delivery day; a file holds events up to about 15 minutes older.
As in the archive scanner, the days up to ``until + DELIVERY_SLACK`` are read."""

ATHENA_REGIONS: Final[tuple[str, ...]] = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)
"""The commercial (``aws`` partition) regions CloudTrail logs in: the default values of
the projected ``region`` partition. A test keeps it equal to botocore's list."""

_ACCOUNT: Final = re.compile(r"\d{12}")
_REGION: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_ORG: Final = re.compile(r"o-[a-z0-9]{10,32}")
_IDENTIFIER: Final = re.compile(r"[A-Za-z0-9_]{1,255}")
_BUCKET: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX_PART: Final = re.compile(r"[A-Za-z0-9!_.*()=+-]+")


# ---------------------------------------------------------------------------------------
# Validation: what may be written into SQL
# ---------------------------------------------------------------------------------------


def _bad(what: str, value: object, expected: str) -> ParseError:
    return ParseError(f"invalid {what}: expected {expected}", column=what, value=repr(value))


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise _bad(what, value, "letters, digits and _ (at most 255)")
    return value.lower()


def _accounts(values: Iterable[str] | None) -> tuple[str, ...] | None:
    listed = name_list(values, "accounts", items="account ids")
    if listed is None:
        return None
    found = tuple(dict.fromkeys(listed))
    for value in found:
        if not isinstance(value, str) or not _ACCOUNT.fullmatch(value):
            raise _bad("account", value, "a 12-digit AWS account id")
    if not found:
        raise _bad("accounts", values, "at least one account id (or None for all)")
    return tuple(sorted(found))


def _regions(values: Iterable[str] | None) -> tuple[str, ...] | None:
    listed = name_list(values, "regions", items="region names")
    if listed is None:
        return None
    found = tuple(dict.fromkeys(listed))
    for value in found:
        if not isinstance(value, str) or not _REGION.fullmatch(value):
            raise _bad("region", value, "an AWS region name such as us-east-1")
    if not found:
        raise _bad("regions", values, "at least one region (or None for all)")
    return tuple(sorted(found))


def _bucket(value: object) -> str:
    if (
        not isinstance(value, str)
        or not _BUCKET.fullmatch(value)
        or ".." in value
        or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value)
    ):
        raise _bad("bucket", value, "an S3 bucket name (lowercase letters, digits, . and -)")
    return value


def _prefix(value: object) -> str:
    if not isinstance(value, str):
        raise _bad("prefix", value, "an S3 key prefix")
    parts = [part for part in value.strip("/").split("/") if part]
    for part in parts:
        if not _PREFIX_PART.fullmatch(part) or part in (".", ".."):
            raise _bad("prefix", value, "letters, digits and !_.*()=+- between slashes")
    return "/".join(parts)


def _org(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ORG.fullmatch(value):
        raise _bad("organization_id", value, "an organization id such as o-a1b2c3d4e5")
    return value


def _day(value: date) -> str:
    """A date as the ``yyyy/MM/dd`` text of the ``timestamp`` partition."""
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def _literal_list(values: Sequence[str]) -> str:
    # Only ever called with values validated above: digits, letters and '-'.
    return ", ".join(f"'{value}'" for value in values)


# ---------------------------------------------------------------------------------------
# DDL
# ---------------------------------------------------------------------------------------

_COLUMNS_DDL: Final = """\
    eventversion STRING,
    useridentity STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<
            userid: STRING,
            identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            sourceidentity: STRING,
            ec2roledelivery: STRING,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: MAP<STRING, STRING>>,
            assumedroot: STRING>>,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    addendum STRUCT<
        reason: STRING,
        updatedfields: STRING,
        originalrequestid: STRING,
        originaleventid: STRING>,
    sessioncredentialfromconsole STRING,
    edgedevicedetails STRING,
    tlsdetails STRUCT<
        tlsversion: STRING,
        ciphersuite: STRING,
        clientprovidedhostheader: STRING>"""

TABLE_COLUMNS: Final[tuple[str, ...]] = tuple(
    line.strip().split()[0]
    for line in _COLUMNS_DDL.splitlines()
    if line.startswith("    ") and not line.startswith("     ")
)
"""The table's top-level columns, in order (the partitions are not columns)."""

PARTITION_KEYS: Final[tuple[str, ...]] = ("account", "region", "timestamp")


def database_ddl(database: str) -> str:
    """``CREATE DATABASE IF NOT EXISTS`` for ``database`` (validated).

    Examples:
        >>> database_ddl("security_logs")
        'CREATE DATABASE IF NOT EXISTS `security_logs`'
    """
    return f"CREATE DATABASE IF NOT EXISTS `{_identifier(database, 'database')}`"


def athena_table_ddl(
    *,
    bucket: str,
    prefix: str = "",
    organization_id: str | None = None,
    accounts: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    start: date = CLOUDTRAIL_EPOCH,
    database: str = "rootguard",
    table: str = "cloudtrail_logs",
) -> str:
    """The ``CREATE EXTERNAL TABLE`` statement for a CloudTrail trail's S3 logs.

    The columns, SerDe and input format are those AWS documents for CloudTrail in Athena
    (plus ``useridentity.sessioncontext.assumedroot`` and ``sourceidentity``, which AWS's
    statement lacks and root detection reads), with partition projection on:

    - ``account``: ``enum`` of ``accounts`` — or, without ``accounts``, ``injected``:
      every query must then name its accounts (``hunt_root_activity_athena(accounts=...)``),
      Athena refuses others with ``CONSTRAINT_VIOLATION``;
    - ``region``: ``enum`` of ``regions`` (default :data:`ATHENA_REGIONS`, every
      commercial region);
    - ``timestamp``: the delivery day, type ``date``, format ``yyyy/MM/dd``, from
      ``start`` to ``NOW``, one day apart.

    ``organization_id`` selects the organization-trail layout
    (``AWSLogs/<o-id>/<account>/...``); without it the single-account layout
    (``AWSLogs/<account>/...``). Every value is validated (ParseError otherwise) before
    it is written into the statement. The statement is ``IF NOT EXISTS``: running it
    again never replaces a table.

    Raises:
        ParseError: a value of the wrong shape (bucket, prefix, organization id, account
            id, region, database or table name).
        ArgumentError: ``accounts`` or ``regions`` is a bare string (pass a list).

    Examples:
        >>> ddl = athena_table_ddl(bucket="org-trail-logs", organization_id="o-a1b2c3d4e5",
        ...                        accounts=["111122223333"], regions=["us-east-1"])
        >>> "'storage.location.template'='s3://org-trail-logs/AWSLogs/o-a1b2c3d4e5/" \\
        ...     "${account}/CloudTrail/${region}/${timestamp}'" in ddl
        True
        >>> "'projection.timestamp.format'='yyyy/MM/dd'" in ddl
        True
    """
    database = _identifier(database, "database")
    table = _identifier(table, "table")
    bucket = _bucket(bucket)
    key_prefix = _prefix(prefix)
    org = _org(organization_id)
    account_list = _accounts(accounts)
    region_list = _regions(regions) or ATHENA_REGIONS
    if not isinstance(start, date) or isinstance(start, datetime):
        raise _bad("start", start, "a date")

    root = f"s3://{bucket}/" + (f"{key_prefix}/" if key_prefix else "") + "AWSLogs/"
    if org:
        root += f"{org}/"
    template = root + "${account}/CloudTrail/${region}/${timestamp}"
    if account_list is None:
        account_properties = ["  'projection.account.type'='injected',"]
    else:
        account_properties = [
            "  'projection.account.type'='enum',",
            f"  'projection.account.values'='{','.join(account_list)}',",
        ]
    lines = [
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{table}` (",
        _COLUMNS_DDL,
        ")",
        "PARTITIONED BY (",
        "    `account` STRING,",
        "    `region` STRING,",
        "    `timestamp` STRING)",
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'",
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
        f"LOCATION '{root}'",
        "TBLPROPERTIES (",
        "  'projection.enabled'='true',",
        *account_properties,
        "  'projection.region.type'='enum',",
        f"  'projection.region.values'='{','.join(region_list)}',",
        "  'projection.timestamp.type'='date',",
        "  'projection.timestamp.format'='yyyy/MM/dd',",
        f"  'projection.timestamp.range'='{_day(start)},NOW',",
        "  'projection.timestamp.interval'='1',",
        "  'projection.timestamp.interval.unit'='DAYS',",
        f"  'storage.location.template'='{template}')",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The hunt query
# ---------------------------------------------------------------------------------------

HUNT_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("log_file", '"$path"'),
    ("account", "account"),
    ("region", "region"),
    ("delivery_day", '"timestamp"'),
    ("eventversion", "eventversion"),
    ("eventtime", "eventtime"),
    ("eventsource", "eventsource"),
    ("eventname", "eventname"),
    ("awsregion", "awsregion"),
    ("sourceipaddress", "sourceipaddress"),
    ("useragent", "useragent"),
    ("errorcode", "errorcode"),
    ("errormessage", "errormessage"),
    ("requestparameters", "requestparameters"),
    ("responseelements", "responseelements"),
    ("additionaleventdata", "additionaleventdata"),
    ("requestid", "requestid"),
    ("eventid", "eventid"),
    ("eventtype", "eventtype"),
    ("readonly", "readonly"),
    ("recipientaccountid", "recipientaccountid"),
    ("eventcategory", "eventcategory"),
    ("sessioncredentialfromconsole", "sessioncredentialfromconsole"),
    ("sharedeventid", "sharedeventid"),
    ("vpcendpointid", "vpcendpointid"),
    ("apiversion", "apiversion"),
    ("has_useridentity", "useridentity IS NOT NULL"),
    ("ui_type", "useridentity.type"),
    ("ui_principalid", "useridentity.principalid"),
    ("ui_arn", "useridentity.arn"),
    ("ui_accountid", "useridentity.accountid"),
    ("ui_accesskeyid", "useridentity.accesskeyid"),
    ("ui_username", "useridentity.username"),
    ("ui_invokedby", "useridentity.invokedby"),
    ("has_sessioncontext", "useridentity.sessioncontext IS NOT NULL"),
    ("sc_mfaauthenticated", "useridentity.sessioncontext.attributes.mfaauthenticated"),
    ("sc_creationdate", "useridentity.sessioncontext.attributes.creationdate"),
    ("si_type", "useridentity.sessioncontext.sessionissuer.type"),
    ("si_principalid", "useridentity.sessioncontext.sessionissuer.principalid"),
    ("si_arn", "useridentity.sessioncontext.sessionissuer.arn"),
    ("si_accountid", "useridentity.sessioncontext.sessionissuer.accountid"),
    ("si_username", "useridentity.sessioncontext.sessionissuer.username"),
    ("sc_sourceidentity", "useridentity.sessioncontext.sourceidentity"),
    ("sc_ec2roledelivery", "useridentity.sessioncontext.ec2roledelivery"),
    ("sc_assumedroot", "useridentity.sessioncontext.assumedroot"),
)
"""The hunt query's result columns ``(alias, expression)``, in order: flat scalars only.

``"$path"`` is Athena's pseudo-column naming the S3 object a row comes from; the two
``has_*`` columns keep apart a missing struct and a struct whose fields are all null."""

COLUMN_NAMES: Final[tuple[str, ...]] = tuple(name for name, _ in HUNT_COLUMNS)

READ_COLUMNS: Final[tuple[str, ...]] = tuple(
    column
    for column in TABLE_COLUMNS
    if any(expression.split()[0].split(".")[0] == column for _, expression in HUNT_COLUMNS)
)
"""The table's columns the hunt query reads (besides the partitions and ``"$path"``)."""

# Mirrors rootguard._detect.is_candidate: Root; FederatedUser issued by Root; an
# AssumeRoot call to STS by any identity (the caller is an IAM principal of the
# management or delegated-admin account; the activity is reported for the target).
_CANDIDATE_SQL: Final = f"""\
  AND (
    useridentity.type = 'Root'
    OR (
      useridentity.type = 'FederatedUser'
      AND useridentity.sessioncontext.sessionissuer.type = 'Root'
    )
    OR (
      useridentity IS NOT NULL
      AND eventname = 'AssumeRoot'
      AND eventsource = '{STS_SOURCE}'
    )
  )"""


@dataclass(frozen=True)
class HuntQuery:
    """A hunt query and what it was built from (all validated, UTC)."""

    sql: str
    database: str
    table: str
    since: datetime
    until: datetime
    accounts: tuple[str, ...] | None
    regions: tuple[str, ...] | None
    first_day: date
    last_day: date

    @property
    def record_filter(self) -> RecordFilter:
        """The archive scanner's filter for the same window, accounts and regions."""
        return RecordFilter(
            since=self.since,
            until=self.until,
            accounts=frozen(self.accounts),
            regions=frozen(self.regions),
        )


def hunt_query(
    *,
    database: str,
    table: str,
    since: datetime,
    until: datetime,
    accounts: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
) -> HuntQuery:
    """The SQL that selects every candidate root record of the window.

    Partitions pruned: ``timestamp`` (delivery day) from ``since``'s day to
    ``until + DELIVERY_SLACK``'s day, ``account IN (...)``, ``region IN (...)`` — the
    folders the archive scanner would read. Records are not filtered by ``eventTime`` in
    SQL: the window is applied to each classified record exactly as the scanner applies it
    (``since <= eventTime < until``), by the same code. Athena bills the bytes of the
    partitions read, whatever the rows returned.

    Raises:
        ParseError: a value of the wrong shape, or ``since`` after ``until``.
        ArgumentError: ``accounts`` or ``regions`` is a bare string (pass a list).
    """
    database = _identifier(database, "database")
    table = _identifier(table, "table")
    since_utc, until_utc = (
        as_utc(time_or_none(since, "since")),
        as_utc(time_or_none(until, "until")),
    )
    if since_utc is None or until_utc is None:
        raise _bad("since", since, "datetimes for since and until")
    if since_utc > until_utc:
        raise ParseError(
            f"since ({since_utc.isoformat()}) is after until ({until_utc.isoformat()})",
            column="since",
        )
    account_list = _accounts(accounts)
    region_list = _regions(regions)
    first_day = since_utc.date()
    last_day = (until_utc + DELIVERY_SLACK).date()
    select = ",\n".join(
        f"  {expression} AS {name}" if expression != name else f"  {name}"
        for name, expression in HUNT_COLUMNS
    )
    where = [f"WHERE \"timestamp\" BETWEEN '{_day(first_day)}' AND '{_day(last_day)}'"]
    if account_list is not None:
        where.append(f"  AND account IN ({_literal_list(account_list)})")
    if region_list is not None:
        where.append(f"  AND region IN ({_literal_list(region_list)})")
    where.append(_CANDIDATE_SQL)
    sql = "\n".join(["SELECT", select, f'FROM "{database}"."{table}"', *where])
    return HuntQuery(
        sql=sql,
        database=database,
        table=table,
        since=since_utc,
        until=until_utc,
        accounts=account_list,
        regions=region_list,
        first_day=first_day,
        last_day=last_day,
    )


# ---------------------------------------------------------------------------------------
# Rows back to records
# ---------------------------------------------------------------------------------------

_TOP_LEVEL: Final[tuple[tuple[str, str], ...]] = (
    ("eventversion", "eventVersion"),
    ("eventtime", "eventTime"),
    ("eventsource", "eventSource"),
    ("eventname", "eventName"),
    ("awsregion", "awsRegion"),
    ("sourceipaddress", "sourceIPAddress"),
    ("useragent", "userAgent"),
    ("errorcode", "errorCode"),
    ("errormessage", "errorMessage"),
    ("requestid", "requestID"),
    ("eventid", "eventID"),
    ("eventtype", "eventType"),
    ("readonly", "readOnly"),
    ("recipientaccountid", "recipientAccountId"),
    ("eventcategory", "eventCategory"),
    ("sessioncredentialfromconsole", "sessionCredentialFromConsole"),
    ("sharedeventid", "sharedEventID"),
    ("vpcendpointid", "vpcEndpointId"),
    ("apiversion", "apiVersion"),
)
_JSON_TEXT: Final[tuple[tuple[str, str], ...]] = (
    ("requestparameters", "requestParameters"),
    ("responseelements", "responseElements"),
    ("additionaleventdata", "additionalEventData"),
)
_IDENTITY: Final[tuple[tuple[str, str], ...]] = (
    ("ui_type", "type"),
    ("ui_principalid", "principalId"),
    ("ui_arn", "arn"),
    ("ui_accountid", "accountId"),
    ("ui_accesskeyid", "accessKeyId"),
    ("ui_username", "userName"),
    ("ui_invokedby", "invokedBy"),
)
_ATTRIBUTES: Final[tuple[tuple[str, str], ...]] = (
    ("sc_mfaauthenticated", "mfaAuthenticated"),
    ("sc_creationdate", "creationDate"),
)
_ISSUER: Final[tuple[tuple[str, str], ...]] = (
    ("si_type", "type"),
    ("si_principalid", "principalId"),
    ("si_arn", "arn"),
    ("si_accountid", "accountId"),
    ("si_username", "userName"),
)
_CONTEXT: Final[tuple[tuple[str, str], ...]] = (
    ("sc_sourceidentity", "sourceIdentity"),
    ("sc_ec2roledelivery", "ec2RoleDelivery"),
    ("sc_assumedroot", "assumedRoot"),
)


def _pick(row: Mapping[str, str | None], fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {key: row[column] for column, key in fields if row.get(column) is not None}


def _json_value(text: str) -> Any:
    """A JSON-text column back to its JSON value. Athena's ``JsonSerDe`` gives an object
    as its JSON text and a JSON string as the bare string: text that is not JSON is kept
    as it is (the record is then invalid, as the scanner would find the file's record)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _true(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


def record_from_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    """One result row of the hunt query rebuilt into a CloudTrail record.

    ``row`` maps the :data:`HUNT_COLUMNS` aliases to Athena's text values (None for
    SQL NULL). Null fields are left out, as CloudTrail leaves them out; the JSON-text
    columns (``requestParameters``, ``responseElements``, ``additionalEventData``)
    become JSON again; booleans stay the text Athena returns (``"true"``), which the
    record model reads as CloudTrail's booleans.

    Examples:
        >>> rec = record_from_row({"eventname": "ConsoleLogin", "has_useridentity": "true",
        ...                        "ui_type": "Root", "has_sessioncontext": "false",
        ...                        "additionaleventdata": '{"MFAUsed": "No"}'})
        >>> rec["userIdentity"], rec["additionalEventData"]
        ({'type': 'Root'}, {'MFAUsed': 'No'})
    """
    record = _pick(row, _TOP_LEVEL)
    for column, key in _JSON_TEXT:
        text = row.get(column)
        if text is not None:
            record[key] = _json_value(text)
    if _true(row.get("has_useridentity")):
        identity = _pick(row, _IDENTITY)
        if _true(row.get("has_sessioncontext")):
            context = _pick(row, _CONTEXT)
            attributes = _pick(row, _ATTRIBUTES)
            if attributes:
                context["attributes"] = attributes
            issuer = _pick(row, _ISSUER)
            if issuer:
                context["sessionIssuer"] = issuer
            identity["sessionContext"] = context
        record["userIdentity"] = identity
    return record


def activities_from_rows(
    rows: Iterable[Mapping[str, str | None]], record_filter: RecordFilter
) -> tuple[list[RootActivity], list[FailedFile], int]:
    """Classify the hunt query's rows exactly as the archive scanner classifies records.

    Rows are grouped by the log file they come from (``log_file``, Athena's ``"$path"``)
    and each file's records go through the scanner's own filter and classification, with
    the file's account and region from its partitions. As in the scanner, a candidate
    record that is not a valid CloudTrail record fails its whole file: the file is
    reported in the second value and none of its records is kept. Then
    :func:`~rootguard.detect_root_activity` correlates AssumeRoot calls and sessions over
    everything kept. Returns (activities sorted by ``(event_time, event_id)``, failed
    files sorted by path, rows read).
    """
    by_file: dict[str, list[Mapping[str, str | None]]] = {}
    count = 0
    for row in rows:
        count += 1
        by_file.setdefault(row.get("log_file") or "", []).append(row)
    kept: list[CloudTrailEvent] = []
    failed: list[FailedFile] = []
    for path in sorted(by_file):
        file_rows = sorted(
            by_file[path], key=lambda r: (r.get("eventtime") or "", r.get("eventid") or "")
        )
        first = file_rows[0]
        try:
            kept.extend(
                root_records(
                    [record_from_row(row) for row in file_rows],
                    record_filter,
                    first.get("account"),
                    first.get("region"),
                )
            )
        except ReadFailure as exc:
            failed.append(FailedFile(path=path, reason=exc.reason, detail=exc.detail))
    activities = detect_root_activity(kept)
    activities.sort(key=_activity_order)
    return activities, failed, count


def _activity_order(activity: RootActivity) -> tuple[float, str]:
    when = activity.event_time
    return (when.timestamp() if when is not None else float("-inf"), activity.event_id or "")


# ---------------------------------------------------------------------------------------
# Cost
# ---------------------------------------------------------------------------------------

_MB: Final = 1024 * 1024
_TB: Final = 1024**4
MINIMUM_BILLED_BYTES: Final = 10 * _MB
"""Athena bills at least 10 MB per query."""


@dataclass(frozen=True)
class AthenaPrice:
    """Athena's price per TB scanned in one region, and where the figure comes from."""

    per_tb: float
    currency: str
    published: bool
    """True when the figure is the region's own published price; False when it is the
    US East price assumed for a region whose price rootguard does not know."""
    source: str


_US_PRICE_SOURCE: Final = (
    "Amazon Athena pricing (aws.amazon.com/athena/pricing): $5.00 per TB of data "
    "scanned, rounded up to the nearest megabyte, 10 MB minimum per query"
)
_PUBLISHED_PRICES: Final[dict[str, AthenaPrice]] = {
    "us-east-1": AthenaPrice(5.0, "USD", True, _US_PRICE_SOURCE),
    "ap-south-1": AthenaPrice(
        5.0, "USD", True, "AWS Price List, AmazonAthena APS1-DataScannedInTB: 5.00 USD per TB"
    ),
    "cn-northwest-1": AthenaPrice(
        34.34,
        "CNY",
        True,
        "AWS China pricing, DataScannedInTB in China (Ningxia): CNY 34.34 per TB",
    ),
}


def athena_price(region: str) -> AthenaPrice:
    """Athena's price per TB scanned in ``region``.

    Known published figures are used as they are; for any other region the US East
    price ($5.00 per TB) is assumed and flagged (``published=False``): check the pricing
    page for that region and pass your price to the hunt when it differs.

    Examples:
        >>> athena_price("us-east-1").per_tb, athena_price("eu-west-1").published
        (5.0, False)
    """
    found = _PUBLISHED_PRICES.get(region)
    if found is not None:
        return found
    return AthenaPrice(5.0, "USD", False, f"{region}: not known, US East price assumed")


def billed_bytes(scanned: int) -> int:
    """The bytes Athena bills for a query that scanned ``scanned`` bytes: rounded up to
    the megabyte, at least 10 MB (megabytes and terabytes counted in powers of 1024).

    Examples:
        >>> billed_bytes(0) == billed_bytes(1) == 10 * 1024 * 1024
        True
        >>> billed_bytes(11 * 1024 * 1024 + 1) == 12 * 1024 * 1024
        True
    """
    return max(MINIMUM_BILLED_BYTES, math.ceil(max(scanned, 0) / _MB) * _MB)


def query_cost(scanned: int, price: AthenaPrice) -> float:
    """What a query that scanned ``scanned`` bytes costs at ``price``."""
    return billed_bytes(scanned) / _TB * price.per_tb


# ---------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------


class AthenaHunt(BaseModel):
    """What :func:`~rootguard.hunt_root_activity_athena` found, and what it cost.

    ``activities`` are classified by the archive scanner's own code (same channels, MFA,
    severity, AssumeRoot correlation) and sorted by ``(event_time, event_id)``.
    ``errors`` lists the log files (S3 URLs) holding a candidate record that is not a valid
    CloudTrail record: as in the archive scan, such a file's records are left out.

    Examples:
        >>> import rootguard
        >>> hunt = rootguard.AthenaHunt(query_execution_id="q-1", sql="SELECT 1")
        >>> hunt.activities, hunt.alerts, hunt.cost
        ([], [], None)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    activities: list[RootActivity] = []
    errors: list[FailedFile] = []
    query_execution_id: str
    sql: str
    """The query that ran, as Athena received it."""
    database: str = ""
    table: str = ""
    workgroup: str | None = None
    region: str | None = None
    """The region Athena ran in (its price applies)."""
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    rows: int = 0
    """Candidate records Athena returned (before the window and classification)."""
    bytes_scanned: int | None = None
    """``DataScannedInBytes`` of the query (None when Athena did not say)."""
    billed_bytes: int | None = None
    """``bytes_scanned`` rounded up to the megabyte, 10 MB at least."""
    cost: float | None = None
    """``billed_bytes`` at ``price_per_tb`` (an estimate: taxes, S3 requests and AWS Glue
    calls are not included)."""
    currency: str = "USD"
    price_per_tb: float | None = None
    price_source: str = ""
    engine_execution_ms: int | None = None

    @property
    def alerts(self) -> list[RootActivity]:
        """The activities that should alert (all but the CIS exclusions)."""
        return [a for a in self.activities if a.alert]

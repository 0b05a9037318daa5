"""The Athena hunt query selects what the archive scanner keeps — proven by running it.

rootguard's Athena SQL is transpiled by sqlglot (Athena/Trino → DuckDB) and run by DuckDB
over the very files ``scan_cloudtrail_archive`` reads (``tests/athena_duck.py``: a view
that stands for Athena's CloudTrail table). On a generated organization-trail archive with
every root channel and lookalikes, plus hand-made edge records:

- the query's rows are exactly the records the scanner's candidate test accepts in the
  partitions of the window (by eventID);
- after the same classification, the activities are equal to the scanner's — channels,
  MFA, severity, outcome, AssumeRoot correlation — whole archive, and with a narrow window,
  accounts and regions;
- a log file holding an invalid candidate record is failed by both, and only that file.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rootguard
from rootguard._athena_sql import activities_from_rows, hunt_query
from rootguard._cloudtrail import iter_raw_records
from rootguard._detect import is_candidate
from tests import athena_duck
from tests.archive_gen import ACCOUNTS, REGIONS, ArchiveSpec, write_archive
from tests.strategies import ct_records

UTC = timezone.utc
ORG = "o-a1b2c3d4e5"
PREFIX = "org-trail"
DB, TABLE = "security", "org_trail"
SPEC = ArchiveSpec(
    events=12_000,
    root_fraction=0.02,
    lookalike_fraction=0.01,
    seed=14,
    days=3,
    org_id=ORG,
    prefix=PREFIX,
)
EDGE_ACCOUNT, EDGE_REGION = ACCOUNTS[1], REGIONS[1]
EDGE_DAY = SPEC.start + timedelta(days=1)


def _root(key: str | None = None, **extra: Any) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": EDGE_ACCOUNT,
        "arn": f"arn:aws:iam::{EDGE_ACCOUNT}:root",
        "accountId": EDGE_ACCOUNT,
    }
    if key is not None:
        identity["accessKeyId"] = key
    identity.update(extra)
    return identity


def _record(n: int, identity: Any, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.10",
        "eventTime": (EDGE_DAY + timedelta(hours=2, minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "iam.amazonaws.com",
        "eventName": "ListUsers",
        "awsRegion": EDGE_REGION,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.30",
        "requestParameters": None,
        "responseElements": None,
        "requestID": f"req-edge-{n}",
        "eventID": f"edge-{n:04d}",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": EDGE_ACCOUNT,
        "eventCategory": "Management",
    }
    if identity is not ...:
        record["userIdentity"] = identity
    record.update(fields)
    return record


def _edge_records() -> list[dict[str, Any]]:
    """Records at the edges of the candidate test and of the table's typing."""
    signin = {"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin"}
    return [
        # a failed sign-in under a name that does not exist: candidate, not activity
        _record(
            1,
            _root(userName="HIDDEN_DUE_TO_SECURITY_REASONS"),
            **signin,
            eventType="AwsConsoleSignIn",
            errorMessage="No username found in supplied account",
            responseElements={"ConsoleLogin": "Failure"},
            additionalEventData={"MFAUsed": "No"},
        ),
        # MFA written in capitals; readOnly false
        _record(
            2,
            _root(),
            **signin,
            eventType="AwsConsoleSignIn",
            readOnly=False,
            responseElements={"ConsoleLogin": "Success"},
            additionalEventData={"MFAUsed": "YES", "MobileVersion": "No"},
        ),
        # a key of no known form: with an (empty) sessionContext → temporary credentials,
        # without → access key; no key at all → a console session
        _record(3, _root("REDACTEDKEY", sessionContext={})),
        _record(4, _root("REDACTEDKEY")),
        _record(5, _root()),
        # an AssumeRoot call that failed (no credentials issued)
        _record(
            6,
            {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLE",
                "arn": f"arn:aws:iam::{EDGE_ACCOUNT}:user/ops",
                "accountId": EDGE_ACCOUNT,
                "userName": "ops",
            },
            eventSource="sts.amazonaws.com",
            eventName="AssumeRoot",
            errorCode="AccessDenied",
            errorMessage="not authorized",
            requestParameters={"targetPrincipal": ACCOUNTS[2], "taskPolicyArn": {"arn": "p"}},
        ),
        # AssumeRoot named by a Root identity: classified as root's own call
        _record(
            7, _root("AKIAEDGEEXAMPLE"), eventSource="sts.amazonaws.com", eventName="AssumeRoot"
        ),
        # AssumeRoot of another service: not a candidate
        _record(8, {"type": "IAMUser", "userName": "ops"}, eventName="AssumeRoot"),
        # no identity at all, and an identity without a type
        _record(9, ..., eventType="AwsServiceEvent"),
        _record(10, {"accountId": EDGE_ACCOUNT, "invokedBy": "AWS Internal"}),
        # federated by root, with a source identity; federated by an IAM user
        _record(
            11,
            {
                "type": "FederatedUser",
                "accessKeyId": "ASIAEDGEFEDERATED",
                "sessionContext": {
                    "sessionIssuer": {"type": "Root", "accountId": EDGE_ACCOUNT},
                    "sourceIdentity": "break-glass",
                    "attributes": {"mfaAuthenticated": "true"},
                },
            },
        ),
        _record(
            12,
            {
                "type": "FederatedUser",
                "sessionContext": {"sessionIssuer": {"type": "IAMUser", "userName": "root"}},
            },
        ),
        # a sign-in through a regional endpoint, error code and fractional seconds
        _record(
            13,
            _root("ASIAEDGEREGIONAL", sessionContext={"assumedRoot": "true"}),
            eventTime=(EDGE_DAY + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S.250Z"),
            errorCode="NoSuchEntity",
            errorMessage="The user with name x cannot be found.",
        ),
    ]


def _write_log(archive: Path, account: str, region: str, name: str, records: list[Any]) -> Path:
    folder = archive / PREFIX / "AWSLogs" / ORG / account / "CloudTrail" / region
    folder = folder / EDGE_DAY.strftime("%Y/%m/%d")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode(), mtime=0))
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("athena-equivalence")
    write_archive(root, SPEC)
    edge_name = f"{EDGE_ACCOUNT}_CloudTrail_{EDGE_REGION}_20240502T0500Z_EDGE.json.gz"
    _write_log(root, EDGE_ACCOUNT, EDGE_REGION, edge_name, _edge_records())
    # A file whose one candidate record is invalid (its eventTime is not a time): both
    # sides must fail this file, and keep the file next to it.
    bad = _record(20, _root("AKIABADRECORD"), eventTime="yesterday")
    good = _record(21, _root("AKIAGOODRECORD"))
    _write_log(root, EDGE_ACCOUNT, EDGE_REGION, "bad.json.gz", [good, bad])
    _write_log(root, EDGE_ACCOUNT, EDGE_REGION, "good.json.gz", [_record(22, _root("AKIANEXT"))])
    return root


@pytest.fixture(scope="module")
def duck(archive: Path) -> Iterator[Any]:
    con = athena_duck.connect(archive, database=DB, table=TABLE)
    yield con
    con.close()


def _scanner_candidates(archive: Path, first_day: str, last_day: str) -> set[str]:
    """eventIDs of the records the scanner's candidate test accepts, in the log files of
    the partitions [first_day, last_day] (day folders as ``YYYY/MM/DD``)."""
    found: set[str] = set()
    for path in sorted((archive / PREFIX / "AWSLogs" / ORG).glob("*/CloudTrail/*/*/*/*/*.json.gz")):
        day = "/".join(path.parts[-4:-1])
        if not first_day <= day <= last_day:
            continue
        try:
            records = list(iter_raw_records(path))
        except rootguard.ParseError:
            continue
        found.update(r["eventID"] for r in records if is_candidate(r))
    return found


WHOLE = (SPEC.start - timedelta(days=1), SPEC.start + timedelta(days=SPEC.days + 2))


def test_query_selects_exactly_the_scanners_candidates(archive: Path, duck: Any) -> None:
    since, until = WHOLE
    query = hunt_query(database=DB, table=TABLE, since=since, until=until)
    rows = athena_duck.run(duck, query.sql)
    selected = [row["eventid"] for row in rows]
    assert len(selected) == len(set(selected))  # one row per record
    expected = _scanner_candidates(
        archive, query.first_day.strftime("%Y/%m/%d"), query.last_day.strftime("%Y/%m/%d")
    )
    assert set(selected) == expected
    # it is a real test: lookalikes and ordinary records were there and were not selected
    total = duck.execute(f"SELECT count(*) FROM {DB}.{TABLE}").fetchone()[0]
    assert total > 10 * len(selected) > 0
    assert {"edge-0001", "edge-0006", "edge-0007", "edge-0011"} <= set(selected)
    assert not {"edge-0008", "edge-0009", "edge-0010", "edge-0012"} & set(selected)


def _normalized(activities: list[rootguard.RootActivity]) -> list[dict[str, Any]]:
    return [
        a.model_dump(mode="json") | {"related_event_ids": sorted(a.related_event_ids)}
        for a in activities
    ]


@pytest.mark.parametrize(
    ("since", "until", "accounts", "regions"),
    [
        pytest.param(*WHOLE, None, None, id="whole-archive"),
        pytest.param(
            SPEC.start + timedelta(days=1, hours=1),
            SPEC.start + timedelta(days=2, hours=6),
            [ACCOUNTS[0], ACCOUNTS[1]],
            [REGIONS[0], REGIONS[1]],
            id="window-accounts-regions",
        ),
        pytest.param(
            SPEC.start + timedelta(hours=20),
            SPEC.start + timedelta(days=1, hours=4),
            [EDGE_ACCOUNT],
            None,
            id="midnight-window-one-account",
        ),
    ],
)
def test_activities_equal_the_archive_scan(
    archive: Path,
    duck: Any,
    since: datetime,
    until: datetime,
    accounts: list[str] | None,
    regions: list[str] | None,
) -> None:
    query = hunt_query(
        database=DB, table=TABLE, since=since, until=until, accounts=accounts, regions=regions
    )
    rows = athena_duck.run(duck, query.sql)
    activities, errors, count = activities_from_rows(rows, query.record_filter)
    scan = rootguard.scan_cloudtrail_archive(
        archive, since=since, until=until, accounts=accounts, regions=regions, max_workers=1
    )
    assert count == len(rows)
    assert _normalized(activities) == _normalized(scan.activities)
    assert activities == scan.activities  # correlation order too, on this archive
    assert [(e.path, e.reason, e.detail) for e in errors] == [
        (e.path, e.reason, e.detail) for e in scan.errors
    ]
    assert activities, "the window holds root activity"
    channels = {a.channel for a in activities}
    if accounts is None:
        assert channels == set(rootguard.Channel) - {rootguard.Channel.CREDENTIAL_REPORT}
        assert any(a.related_event_ids for a in activities)  # AssumeRoot correlated


def test_an_invalid_candidate_fails_its_file_on_both_sides(archive: Path, duck: Any) -> None:
    since, until = WHOLE
    query = hunt_query(database=DB, table=TABLE, since=since, until=until)
    activities, errors, _ = activities_from_rows(
        athena_duck.run(duck, query.sql), query.record_filter
    )
    scan = rootguard.scan_cloudtrail_archive(archive, since=since, until=until, max_workers=1)
    assert [(Path(e.path).name, e.reason) for e in errors] == [
        ("bad.json.gz", rootguard.FailureReason.INVALID_RECORD)
    ]
    assert [(Path(e.path).name, e.reason) for e in scan.errors] == [
        ("bad.json.gz", rootguard.FailureReason.INVALID_RECORD)
    ]
    ids = {a.event_id for a in activities}
    assert "edge-0022" in ids  # the next file is read
    assert not {"edge-0020", "edge-0021"} & ids  # the failed file's records are left out


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(ct_records(), min_size=1, max_size=8))
def test_generated_records_give_the_scanners_activities(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]]
) -> None:
    """Any mix of realistic records (every channel, lookalikes, odd keys, failures),
    written to one log file: the same activities and the same file verdict."""
    root = tmp_path_factory.mktemp("athena-property")
    folder = root / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2024" / "05" / "01"
    folder.mkdir(parents=True)
    (folder / "f.json.gz").write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    since, until = datetime(2014, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
    query = hunt_query(database=DB, table=TABLE, since=since, until=until)
    con = athena_duck.connect(root, database=DB, table=TABLE)
    try:
        rows = athena_duck.run(con, query.sql)
    finally:
        con.close()
    activities, errors, _ = activities_from_rows(rows, query.record_filter)
    scan = rootguard.scan_cloudtrail_archive(root, since=since, until=until, max_workers=1)
    assert _normalized(activities) == _normalized(scan.activities)
    assert [e.reason for e in errors] == [e.reason for e in scan.errors]
    assert {row["eventid"] for row in rows} == {r["eventID"] for r in records if is_candidate(r)}

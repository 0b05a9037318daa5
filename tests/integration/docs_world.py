"""The AWS world the documentation's code runs in (moto, over HTTP on 127.0.0.1).

The README, the docs pages and the docstring examples call rootguard as a user would —
``rootguard.check()``, ``scan_cloudtrail_archive("s3://org-trail-bucket/...")``,
``scan_organization()`` — with the default credential chain. This world gives them an
account to talk to: a moto server in this process, ``AWS_ENDPOINT_URL`` pointing at it,
and state seeded the way the pages assume:

- an organization (``moto_organization``): the management account — the caller — with
  the whole root-alerting chain and an organization trail, and three members (hardened,
  exposed, plain);
- CloudTrail log archives in S3 (``s3://org-trail-bucket/AWSLogs/o-aa1bb2cc3d/...`` and
  ``s3://bucket/AWSLogs/...``) and a local ``log.json.gz`` in the working directory,
  with root activity of account 111122223333 in them;
- an Athena workgroup ``security`` whose hunt over ``security.org_trail`` answers what
  Athena would find in the organization trail's log file (moto runs no SQL: the answer,
  computed by DuckDB, is queued through moto's results API);
- CloudTrail event history (moto has no ``LookupEvents``: a handler answers with one
  root console sign-in from yesterday).
"""

from __future__ import annotations

import gzip
import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.athena.responses import AthenaResponse
from moto.cloudtrail.responses import CloudTrailResponse

from tests.integration.conftest import new_session, reset_server
from tests.integration.org_builder import BuiltOrganization, moto_organization

REGION = "us-east-1"
ARCHIVE_ACCOUNT = "111122223333"
ORG_ID = "o-aa1bb2cc3d"
MEMBERS = (("hardened-1", "hardened"), ("exposed-1", "exposed"), ("plain-1", "plain"))


@dataclass
class DocsWorld:
    endpoint: str
    organization: BuiltOrganization
    directory: Path


def _record(kind: str, when: datetime, n: int) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": ARCHIVE_ACCOUNT,
        "arn": f"arn:aws:iam::{ARCHIVE_ACCOUNT}:root",
        "accountId": ARCHIVE_ACCOUNT,
    }
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "Mozilla/5.0",
        "eventID": f"00000000-0000-4000-8000-{n:012d}",
        "recipientAccountId": ARCHIVE_ACCOUNT,
    }
    if kind == "signin":
        record |= {
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "eventType": "AwsConsoleSignIn",
            "responseElements": {"ConsoleLogin": "Success"},
            "additionalEventData": {"MFAUsed": "No"},
        }
    elif kind == "key":
        identity["accessKeyId"] = "AKIAIOSFODNN7EXAMPLE"
        record |= {
            "eventSource": "s3.amazonaws.com",
            "eventName": "ListBuckets",
            "eventType": "AwsApiCall",
            "userAgent": "aws-cli/2.15",
        }
    else:  # not root: an IAM user
        record["userIdentity"] = {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{ARCHIVE_ACCOUNT}:user/alice",
            "accountId": ARCHIVE_ACCOUNT,
            "userName": "alice",
        }
        record |= {
            "eventSource": "ec2.amazonaws.com",
            "eventName": "DescribeInstances",
            "eventType": "AwsApiCall",
        }
    return record


def log_file(when: datetime) -> bytes:
    """A gzipped CloudTrail log file: a root sign-in without MFA, a root access-key call,
    and an IAM user's call."""
    records = [
        _record("signin", when, 1),
        _record("key", when + timedelta(minutes=5), 2),
        _record("user", when + timedelta(minutes=7), 3),
    ]
    return gzip.compress(json.dumps({"Records": records}).encode(), mtime=0)


def _key(prefix: str, when: datetime) -> str:
    return (
        f"{prefix}{ARCHIVE_ACCOUNT}/CloudTrail/{REGION}/{when:%Y/%m/%d}/"
        f"{ARCHIVE_ACCOUNT}_CloudTrail_{REGION}_{when:%Y%m%dT%H%MZ}_docs.json.gz"
    )


def _lookup_events(self: Any) -> str:
    """``cloudtrail:LookupEvents`` for moto: yesterday's root console sign-in."""
    account_id = self.current_account
    when = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    record = _record("signin", when, 9) | {"recipientAccountId": account_id}
    record["userIdentity"] = record["userIdentity"] | {
        "accountId": account_id,
        "principalId": account_id,
        "arn": f"arn:aws:iam::{account_id}:root",
    }
    item = {
        "EventId": record["eventID"],
        "EventName": "ConsoleLogin",
        "ReadOnly": "false",
        "EventTime": when.timestamp(),
        "EventSource": "signin.amazonaws.com",
        "Resources": [],
        "CloudTrailEvent": json.dumps(record),
    }
    return json.dumps({"Events": [item]})


def _no_table_yet(self: Any) -> Any:
    """moto has no GetTableMetadata: answer as Athena does for a table not created yet."""
    from moto.core.exceptions import JsonRESTError

    raise JsonRESTError("MetadataException", "EntityNotFoundException: Table not found")


HUNT_SINCE = datetime(2021, 1, 1, tzinfo=timezone.utc)
"""The window's start in the pages' and the docstrings' Athena hunts."""


def _hunt_rows(directory: Path, key: str, body: bytes) -> list[dict[str, str | None]]:
    """What Athena answers the hunt over ``security.org_trail`` for account
    111122223333 (the pages' and docstrings' hunt): the query, run by DuckDB standing
    for Athena's table (:mod:`tests.athena_duck`) over the organization trail's log file,
    with ``"$path"`` the object's S3 URL as in Athena."""
    from rootguard._athena_sql import hunt_query
    from tests import athena_duck

    archive = directory / ".athena-archive"
    local = archive / key
    local.parent.mkdir(parents=True)
    local.write_bytes(body)
    query = hunt_query(
        database="security",
        table="org_trail",
        since=HUNT_SINCE,
        until=datetime.now(timezone.utc),
        accounts=[ARCHIVE_ACCOUNT],
    )
    con = athena_duck.connect(archive, database="security", table="org_trail")
    try:
        rows = athena_duck.run(con, query.sql)
    finally:
        con.close()
    return [row | {"log_file": f"s3://org-trail-bucket/{key}"} for row in rows]


def _athena(session: boto3.Session, endpoint: str, rows: list[dict[str, str | None]]) -> None:
    """The Athena workgroup the archives page uses, and the hunt's answer ``rows`` queued
    in moto's results queue (moto runs no SQL: each query that reads results takes the
    next answer queued). Only the hunt reads results (DDL statements do not); three
    answers are queued so that up to three hunts run in one world."""
    from tests.athena_duck import athena_pages, column_info

    session.client("s3", region_name=REGION).create_bucket(Bucket="athena-results")
    session.client("athena", region_name=REGION).create_work_group(
        Name="security",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/"}},
    )
    (page,) = athena_pages(rows)
    answer = {"rows": page["ResultSet"]["Rows"], "column_info": column_info()}
    body = json.dumps({"region": REGION, "results": [answer] * 3}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


@contextmanager
def docs_world(
    endpoint: str, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DocsWorld]:
    """Seed the moto server at ``endpoint`` and point the default credential chain at
    it; ``directory`` becomes the working directory (with ``log.json.gz`` in it)."""
    empty = directory / ".aws"
    empty.mkdir(exist_ok=True)
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "COLUMNS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setattr(CloudTrailResponse, "lookup_events", _lookup_events, raising=False)
    monkeypatch.setattr(AthenaResponse, "get_table_metadata", _no_table_yet, raising=False)
    monkeypatch.chdir(directory)
    reset_server(endpoint)
    session = new_session()
    s3 = session.client("s3", region_name=REGION)
    when = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)
    for bucket, prefix in (
        ("org-trail-bucket", f"AWSLogs/{ORG_ID}/"),
        ("bucket", "AWSLogs/"),
    ):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=_key(prefix, when), Body=log_file(when))
    (directory / "log.json.gz").write_bytes(log_file(when))
    org_key = _key(f"AWSLogs/{ORG_ID}/", when)
    _athena(session, endpoint, _hunt_rows(directory, org_key, log_file(when)))
    try:
        with moto_organization(session, members=MEMBERS, regions=[REGION]) as built:
            yield DocsWorld(endpoint, built, directory)
    finally:
        reset_server(endpoint)

"""scan_cloudtrail_archive on S3 (moto): layout pruning before download, listing by
prefix, per-object errors, and workers that build their own clients from settings."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from rootguard import FailureReason, ScanError, ScanResult, SkipReason, scan_cloudtrail_archive
from rootguard._archive import DELIVERY_SLACK
from rootguard._archive_s3 import settings_for
from rootguard._archive_units import _ReadBuffer
from rootguard._sessions import cached_client
from tests.archive_gen import (
    ArchiveSpec,
    ArchiveTruth,
    force_fallback,
    generate_archive,
    gzip_bomb,
    log_file_parts,
    record_truth,
)
from tests.integration.conftest import reset_server

BUCKET = "org-trail-archive-bucket"
SPEC = ArchiveSpec(events=2500, root_fraction=0.012, seed=11, days=4, records_per_file=(10, 60))
SMALL = ArchiveSpec(events=900, root_fraction=0.02, seed=12, days=2, records_per_file=(10, 40))
ROOT = {
    "eventVersion": "1.09",
    "eventID": "bbbbbbbb-0000-4000-8000-000000000001",
    "eventTime": "2024-05-02T08:00:00Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "CreateAccessKey",
    "eventType": "AwsApiCall",
    "awsRegion": "us-east-1",
    "recipientAccountId": "111111111111",
    "userIdentity": {"type": "Root", "accessKeyId": "AKIAS3CAPEXAMPLE0001"},
}


def _upload(session: boto3.Session, spec: ArchiveSpec = SPEC) -> ArchiveTruth:
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    truth = ArchiveTruth(spec=spec)
    for obj in generate_archive(spec):
        s3.put_object(Bucket=BUCKET, Key=obj.key, Body=obj.data)
        record_truth(truth, obj)
    s3.put_object(Bucket=BUCKET, Key="AWSLogs/", Body=b"")  # a console "folder"
    s3.put_object(Bucket=BUCKET, Key="AWSLogs/111111111111/CloudTrail/notes.txt", Body=b"x")
    s3.put_object(
        Bucket=BUCKET,
        Key="AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/02/broken.json.gz",
        Body=gzip.compress(b'{"Records":[')[:-4],
    )
    return truth


def _track(session: boto3.Session) -> dict[str, list[str]]:
    """Record the Key of every GetObject and the Prefix of every ListObjectsV2."""
    seen: dict[str, list[str]] = {"get": [], "list": []}

    def params(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "GetObject":
            seen["get"].append(params["Key"])
        elif model.name == "ListObjectsV2":
            seen["list"].append(params.get("Prefix", ""))

    session.events.register("provide-client-params.s3", params)
    return seen


@pytest.fixture
def archive(inprocess: boto3.Session) -> tuple[boto3.Session, ArchiveTruth]:
    return inprocess, _upload(inprocess)


@pytest.fixture
def local_result(tmp_path: Path) -> ScanResult:
    """The same archive scanned from local files."""
    for obj in generate_archive(SPEC):
        path = tmp_path / obj.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(obj.data)
    return scan_cloudtrail_archive(tmp_path, max_workers=1)


def test_s3_scan_matches_truth_and_local(
    archive: tuple[boto3.Session, ArchiveTruth], local_result: ScanResult
) -> None:
    session, truth = archive
    seen = _track(session)
    result = scan_cloudtrail_archive(f"s3://{BUCKET}", session=session, max_workers=1)
    assert {a.event_id for a in result.activities} == {r.event_id for r in truth.roots}
    assert len(result.alerts) == truth.alerts
    assert result.activities == local_result.activities
    assert result.events_scanned == truth.events
    assert result.files_scanned == len(truth.log_keys)
    # Digests and non-log objects are skipped without being downloaded.
    assert sorted(seen["get"]) == sorted(
        [*truth.log_keys, "AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/02/broken.json.gz"]
    )
    skipped = {s.path: s.reason for s in result.skipped}
    assert skipped.pop(f"s3://{BUCKET}/AWSLogs/") is SkipReason.NOT_A_LOG_FILE
    assert (
        skipped.pop(f"s3://{BUCKET}/AWSLogs/111111111111/CloudTrail/notes.txt")
        is SkipReason.NOT_A_LOG_FILE
    )
    assert skipped == {f"s3://{BUCKET}/{k}": SkipReason.DIGEST for k in truth.digest_keys}
    assert [(e.path.rsplit("/", 1)[1], e.reason) for e in result.errors] == [
        ("broken.json.gz", FailureReason.TRUNCATED_GZIP)
    ]
    # No filter: one flat, paginated listing of the whole prefix.
    assert seen["list"] == [""]


def test_s3_prunes_by_account_region_and_date_before_download(
    archive: tuple[boto3.Session, ArchiveTruth],
) -> None:
    session, truth = archive
    account, region = "222222222222", "eu-west-1"
    since = SPEC.start + timedelta(days=1, hours=3)
    until = since + timedelta(hours=30)
    seen = _track(session)
    result = scan_cloudtrail_archive(
        f"s3://{BUCKET}/AWSLogs/",
        session=session,
        max_workers=1,
        accounts=[account],
        regions=[region],
        since=since,
        until=until,
    )
    first, last = since.date(), (until + DELIVERY_SLACK).date()

    def wanted(key: str) -> bool:
        parts = key.split("/")
        day = "/".join(parts[4:7])
        return (
            parts[1] == account
            and parts[2] == "CloudTrail"
            and parts[3] == region
            and f"{first:%Y/%m/%d}" <= day <= f"{last:%Y/%m/%d}"
        )

    expected_keys = sorted(k for k in truth.log_keys if wanted(k))
    assert expected_keys
    assert sorted(seen["get"]) == expected_keys  # nothing else was downloaded
    assert result.files_scanned == len(expected_keys)
    assert {a.event_id for a in result.activities} == {
        r.event_id
        for r in truth.roots
        if r.key.split("/")[1] == account and r.region == region and since <= r.event_time < until
    }
    # Listed by prefix: never another account's or region's folders.
    assert not [p for p in seen["list"] if p.startswith("AWSLogs/1") or p.startswith("AWSLogs/3")]
    assert not [p for p in seen["list"] if len(p.split("/")) > 4 and p.split("/")[3] != region]
    # Digests of the same folders are listed (and skipped), never downloaded; the
    # "AWSLogs/" folder marker is listed with the prefix itself.
    skipped = {s.path: s.reason for s in result.skipped}
    assert skipped.pop(f"s3://{BUCKET}/AWSLogs/") is SkipReason.NOT_A_LOG_FILE
    assert skipped
    assert set(skipped.values()) == {SkipReason.DIGEST}


def test_s3_threads_identical(archive: tuple[boto3.Session, ArchiveTruth]) -> None:
    session, _ = archive
    one = scan_cloudtrail_archive(f"s3://{BUCKET}", session=session, max_workers=1)
    with ThreadPoolExecutor(4) as pool:
        threaded = scan_cloudtrail_archive(f"s3://{BUCKET}", session=session, executor=pool)
    assert threaded == one


def test_s3_object_read_error_is_one_entry(archive: tuple[boto3.Session, ArchiveTruth]) -> None:
    session, truth = archive
    victim = truth.log_keys[3]

    def deny(params: dict[str, Any], **_: Any) -> Any:
        if params["url_path"].endswith(victim.rsplit("/", 1)[1]):
            parsed = {
                "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            }
            return AWSResponse("https://denied.invalid", 403, {}, None), parsed
        return None

    session.events.register_first("before-call.s3.GetObject", deny)
    result = scan_cloudtrail_archive(f"s3://{BUCKET}", session=session, max_workers=1)
    failed = [e for e in result.errors if e.reason is FailureReason.READ_FAILED]
    assert [e.path for e in failed] == [f"s3://{BUCKET}/{victim}"]
    assert failed[0].detail.startswith("AccessDenied")
    assert result.files_scanned == len(truth.log_keys) - 1
    assert result.events_scanned == truth.events - truth.events_by_key[victim]


def test_s3_object_list_source(archive: tuple[boto3.Session, ArchiveTruth]) -> None:
    session, truth = archive
    keys = truth.log_keys[:4]
    result = scan_cloudtrail_archive(
        [f"s3://{BUCKET}/{k}" for k in keys] + [f"s3://{BUCKET}/{truth.digest_keys[0]}"],
        session=session,
        max_workers=1,
    )
    assert result.files_scanned == 4
    assert result.events_scanned == sum(truth.events_by_key[k] for k in keys)
    assert [s.reason for s in result.skipped] == [SkipReason.DIGEST]


def test_s3_scan_cannot_start(inprocess: boto3.Session) -> None:
    with pytest.raises(ScanError, match="cannot open"):
        scan_cloudtrail_archive(
            "s3://no-such-bucket-here/AWSLogs/", session=inprocess, max_workers=1
        )
    inprocess.client("s3").create_bucket(Bucket=BUCKET)

    def deny(**_: Any) -> Any:
        parsed = {"Error": {"Code": "AccessDenied", "Message": "no"}}
        return AWSResponse("https://denied.invalid", 403, {}, None), parsed

    inprocess.events.register_first("before-call.s3.ListObjectsV2", deny)
    with pytest.raises(ScanError, match="AccessDenied"):
        scan_cloudtrail_archive(f"s3://{BUCKET}", session=inprocess, max_workers=1)


# ---------------------------------------------------------------------------------------
# Worker processes: they cannot see an in-process moto, so use the HTTP server. The
# endpoint is configured in a profile only the parent uses: workers reach the server only
# because the settings they receive carry its endpoint and the frozen credentials.
# ---------------------------------------------------------------------------------------


@pytest.fixture
def server_session(
    aws_env: None, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[boto3.Session]:
    reset_server(moto_server)
    config = tmp_path / "aws-config"
    config.write_text(
        f"[profile moto]\nendpoint_url = {moto_server}\nregion = us-east-1\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    try:
        yield boto3.Session(profile_name="moto")
    finally:
        reset_server(moto_server)


def test_settings_carry_endpoint_and_credentials(server_session: boto3.Session) -> None:
    client = server_session.client("s3")
    settings = settings_for(server_session, client, "us-east-1")
    assert settings.endpoint_url == client.meta.endpoint_url
    assert settings.endpoint_url.startswith("http://127.0.0.1:")
    assert settings.access_key == "testing"
    # secrets stay out of logs and reprs (the key id, "testing" as well here, may show:
    # test_no_secrets checks the values with distinct credentials)
    assert "secret_key" not in repr(settings)
    assert "session_token" not in repr(settings)
    # This process reuses the caller's client; another process would build its own.
    assert cached_client(settings, "s3") is client


def test_s3_process_pool_identical(
    server_session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rootguard._archive_units.UNIT_FILES", 10)  # several units, several workers
    truth = _upload(server_session, SMALL)
    one = scan_cloudtrail_archive(f"s3://{BUCKET}", session=server_session, max_workers=1)
    pooled = scan_cloudtrail_archive(f"s3://{BUCKET}", session=server_session, max_workers=2)
    assert pooled == one
    assert {a.event_id for a in pooled.activities} == {r.event_id for r in truth.roots}
    assert pooled.files_scanned == len(truth.log_keys)


# ---------------------------------------------------------------------------------------
# The size cap on S3: never download more than it
# ---------------------------------------------------------------------------------------

CAP = 1_000_000
HOSTILE = "AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/02"


@pytest.fixture(params=["fast", "fallback"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "fallback":
        force_fallback(monkeypatch)
    return str(request.param)


def _fills(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every object body read (the reader's fill calls)."""
    sizes: list[int] = []
    real = _ReadBuffer.fill

    def fill(self: _ReadBuffer, readinto: Any, size: int, limit: int | None) -> Any:
        sizes.append(size)
        return real(self, readinto, size, limit)

    monkeypatch.setattr(_ReadBuffer, "fill", fill)
    return sizes


def test_s3_cap_bomb_and_big_object(
    inprocess: boto3.Session, monkeypatch: pytest.MonkeyPatch, decoder: str
) -> None:
    s3 = inprocess.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    good = b'{"Records":[' + json.dumps(ROOT).encode() + b"]}"
    bomb = gzip_bomb(5 * CAP)
    big = b"".join(log_file_parts(json.dumps(ROOT).encode(), 2 * CAP))
    for name, body in (("good.json", good), ("bomb.json.gz", bomb), ("big.json", big)):
        s3.put_object(Bucket=BUCKET, Key=f"{HOSTILE}/{name}", Body=body)
    seen = _track(inprocess)
    bodies = _fills(monkeypatch)
    result = scan_cloudtrail_archive(
        f"s3://{BUCKET}", session=inprocess, max_workers=1, max_file_bytes=CAP
    )
    errors = {e.path.rsplit("/", 1)[1]: (e.reason, e.detail) for e in result.errors}
    assert errors == {
        "bomb.json.gz": (
            FailureReason.TOO_LARGE,
            f"decompresses to more than {CAP} bytes (max_file_bytes); stopped there",
        ),
        "big.json": (
            FailureReason.TOO_LARGE,
            f"{len(big)} bytes, over the limit of {CAP} bytes (max_file_bytes)",
        ),
    }
    # The listing said how big big.json is: it was never requested; the bomb (small as
    # stored) was downloaded and refused while decompressing.
    assert sorted(k.rsplit("/", 1)[1] for k in seen["get"]) == ["bomb.json.gz", "good.json"]
    assert sorted(bodies) == sorted([len(good), len(bomb)])
    assert [a.event_id for a in result.activities] == [ROOT["eventID"]]
    assert result.files_seen == 3 == result.files_scanned + len(result.errors)


@pytest.mark.parametrize("workers", [1, 2])
def test_s3_too_many_root_records_is_one_error_entry(
    server_session: boto3.Session, monkeypatch: pytest.MonkeyPatch, decoder: str, workers: int
) -> None:
    monkeypatch.setattr("rootguard._archive_units.UNIT_FILES", 1)  # a real pool with 2 workers
    s3 = server_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)

    def log(count: int, tag: str) -> bytes:
        records = [{**ROOT, "eventID": f"{tag}-{n}"} for n in range(count)]
        return json.dumps({"Records": records}).encode()

    for name, body in (
        ("flood.json.gz", gzip.compress(log(7, "flood"))),
        ("at-cap.json", log(3, "cap")),
    ):
        s3.put_object(Bucket=BUCKET, Key=f"{HOSTILE}/{name}", Body=body)
    result = scan_cloudtrail_archive(
        f"s3://{BUCKET}", session=server_session, workers=workers, max_root_records_per_file=3
    )
    errors = {e.path.rsplit("/", 1)[1]: (e.reason, e.detail) for e in result.errors}
    assert errors == {
        "flood.json.gz": (
            FailureReason.TOO_MANY_ROOT_RECORDS,
            "7 root-activity records, over the limit of 3 (max_root_records_per_file); "
            "none reported",
        )
    }
    assert sorted(a.event_id or "" for a in result.activities) == ["cap-0", "cap-1", "cap-2"]
    assert result.files_seen == 2 == result.files_scanned + len(result.errors)


def test_s3_object_named_in_a_list_is_checked_by_its_content_length(
    inprocess: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Named in a list, an object has no listed size: GetObject's ContentLength is checked
    # before its body is read, and the body is closed unread.
    s3 = inprocess.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    big = b"".join(log_file_parts(json.dumps(ROOT).encode(), 2 * CAP))
    s3.put_object(Bucket=BUCKET, Key=f"{HOSTILE}/big.json", Body=big)
    s3.put_object(Bucket=BUCKET, Key=f"{HOSTILE}/exact.json", Body=big[:CAP])  # not JSON
    seen = _track(inprocess)
    bodies = _fills(monkeypatch)
    result = scan_cloudtrail_archive(
        [f"s3://{BUCKET}/{HOSTILE}/big.json", f"s3://{BUCKET}/{HOSTILE}/exact.json"],
        session=inprocess,
        max_workers=1,
        max_file_bytes=CAP,
    )
    assert [k.rsplit("/", 1)[1] for k in seen["get"]] == ["big.json", "exact.json"]
    assert bodies == [CAP]  # only the object within the cap was read
    assert {e.path.rsplit("/", 1)[1]: e.reason for e in result.errors} == {
        "big.json": FailureReason.TOO_LARGE,
        "exact.json": FailureReason.NOT_JSON,  # read in full: exactly the cap is allowed
    }

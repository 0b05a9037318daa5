"""scan_cloudtrail_archive on local archives: ground truth, bad files, pruning, executors."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rootguard
from rootguard import (
    FailureReason,
    ScanError,
    ScanResult,
    SkipReason,
    detect_root_activity,
    scan_cloudtrail_archive,
)
from rootguard._cloudtrail import NotRegularFile, iter_raw_records
from tests.archive_gen import (
    ArchiveSpec,
    ArchiveTruth,
    finishes_within,
    force_fallback,
    gzip_bomb,
    log_file_parts,
    write_archive,
)
from tests.strategies import as_damaged_files, as_log_files

UTC = timezone.utc
SPEC = ArchiveSpec(
    events=4000,
    root_fraction=0.012,
    lookalike_fraction=0.01,
    seed=7,
    days=3,
    records_per_file=(10, 80),
    org_id="o-exampleorg01",
    prefix="trail",
)

# Extra files that a real archive folder may hold, with what the scan must say of each.
BROKEN = {
    "trail/README.txt": ("skip", SkipReason.NOT_A_LOG_FILE),
    "trail/extra/truncated.json.gz": ("error", FailureReason.TRUNCATED_GZIP),
    "trail/extra/corrupt.json.gz": ("error", FailureReason.CORRUPT_GZIP),
    "trail/extra/empty.json.gz": ("error", FailureReason.EMPTY),
    "trail/extra/html.json": ("error", FailureReason.NOT_JSON),
    "trail/extra/no-records.json": ("error", FailureReason.NO_RECORDS),
    "trail/extra/digest-by-content.json": ("skip", SkipReason.DIGEST),
}
ROOT_PLAIN = {
    "eventVersion": "1.09",
    "eventID": "aaaaaaaa-0000-4000-8000-000000000001",
    "eventTime": "2024-05-02T08:00:00Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "DeleteUser",
    "eventType": "AwsApiCall",
    "awsRegion": "us-east-1",
    "recipientAccountId": "222222222222",
    "userIdentity": {"type": "Root", "accessKeyId": "AKIAPLAINEXAMPLE0001"},
}


def _add_extras(root: Path) -> None:
    good = gzip.compress(b'{"Records":[]}', mtime=0)
    files = {
        "trail/README.txt": b"CloudTrail archive",
        "trail/extra/truncated.json.gz": good[:-5],
        "trail/extra/corrupt.json.gz": good[:10] + b"\x00" * 8 + good[18:],
        "trail/extra/empty.json.gz": b"",
        "trail/extra/html.json": b"<html></html>",
        "trail/extra/no-records.json": b'{"Foo": []}',
        "trail/extra/digest-by-content.json": json.dumps(
            {"awsAccountId": "222222222222", "digestStartTime": "x", "logFiles": []}
        ).encode(),
        # An uncompressed, non-layout log file holding one root record.
        "trail/extra/plain.json": json.dumps({"Records": [ROOT_PLAIN]}).encode(),
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ArchiveTruth]:
    root = tmp_path_factory.mktemp("archive")
    truth = write_archive(root, SPEC)
    _add_extras(root)
    return root, truth


@pytest.fixture(scope="module")
def baseline(archive: tuple[Path, ArchiveTruth]) -> ScanResult:
    return scan_cloudtrail_archive(archive[0], max_workers=1)


def test_every_root_event_found(archive: tuple[Path, ArchiveTruth], baseline: ScanResult) -> None:
    _, truth = archive
    result = baseline
    expected = {r.event_id: r for r in truth.roots} | {
        ROOT_PLAIN["eventID"]: None  # type: ignore[dict-item]
    }
    found = {a.event_id: a for a in result.activities}
    assert set(found) == set(expected)
    for event_id, want in expected.items():
        if want is None:
            continue
        got = found[event_id]
        assert got.channel.value == want.channel, event_id
        assert got.alert is want.alert
        assert got.account_id == want.account_id
        assert got.event_time == want.event_time
    assert len(result.alerts) == truth.alerts + 1
    assert Counter(a.channel.value for a in result.activities if a.event_id in expected) == (
        Counter(r.channel for r in truth.roots) + Counter({"access_key": 1})
    )
    # AssumeRoot calls and member sessions point at each other.
    assumed = [a for a in result.activities if a.channel.value == "assumed_root"]
    assert assumed
    assert all(a.related_event_ids for a in assumed)


def test_counts_and_file_verdicts(archive: tuple[Path, ArchiveTruth], baseline: ScanResult) -> None:
    root, truth = archive
    result = baseline
    assert result.files_scanned == len(truth.log_keys) + 1  # + plain.json
    assert result.events_scanned == truth.events + 1
    assert result.files_pruned == 0
    skipped = {Path(s.path).relative_to(root).as_posix(): s.reason for s in result.skipped}
    errors = {Path(e.path).relative_to(root).as_posix(): e.reason for e in result.errors}
    for key in truth.digest_keys:
        assert skipped.pop(key) is SkipReason.DIGEST
    for name, (kind, reason) in BROKEN.items():
        assert (skipped if kind == "skip" else errors).pop(name) is reason, name
    assert skipped == {}
    assert errors == {}
    assert all(e.detail for e in result.errors)
    # Nothing silently dropped: every file under the folder is accounted for.
    on_disk = sum(len(files) for _, _, files in os.walk(root))
    assert result.files_seen == on_disk
    assert result.activities == sorted(
        result.activities, key=lambda a: (a.event_time, a.event_id or "")
    )
    assert result.decoder == "msgspec"
    assert result.gzip == "isal"


def test_same_as_reference_reader(archive: tuple[Path, ArchiveTruth], baseline: ScanResult) -> None:
    root, truth = archive
    records = []
    for key in truth.log_keys:
        records.extend(iter_raw_records(root / key))
    records.extend(iter_raw_records(root / "trail/extra/plain.json"))
    expected = detect_root_activity(records)
    key = lambda a: (a.event_time, a.event_id or "")  # noqa: E731
    assert baseline.activities == sorted(expected, key=key)


@pytest.mark.parametrize("how", ["workers2", "threads", "process_pool", "one_file_units"], ids=str)
def test_identical_whatever_the_executor(
    archive: tuple[Path, ArchiveTruth],
    baseline: ScanResult,
    how: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _ = archive
    if how == "workers2":
        result = scan_cloudtrail_archive(root, max_workers=2)
    elif how == "threads":
        with ThreadPoolExecutor(3) as pool:
            result = scan_cloudtrail_archive(root, executor=pool)
    elif how == "process_pool":
        with ProcessPoolExecutor(2) as pool:
            result = scan_cloudtrail_archive(str(root), executor=pool, max_workers=2)
    else:
        monkeypatch.setattr("rootguard._archive_units.UNIT_FILES", 1)
        with ThreadPoolExecutor(4) as pool:
            result = scan_cloudtrail_archive(root, executor=pool)
    assert result == baseline


def test_progress_reaches_the_total(archive: tuple[Path, ArchiveTruth]) -> None:
    calls: list[tuple[int, int]] = []
    result = scan_cloudtrail_archive(
        archive[0], max_workers=1, progress=lambda d, t: calls.append((d, t))
    )
    assert len(calls) >= result.files_scanned  # file by file in-process
    assert calls[-1] == (result.files_seen, result.files_seen)
    assert all(d <= t for d, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_prune_by_account_region_and_date(archive: tuple[Path, ArchiveTruth]) -> None:
    root, truth = archive
    account, region = "222222222222", "eu-west-1"
    since = SPEC.start + timedelta(days=1, hours=6)
    until = since + timedelta(hours=20)
    result = scan_cloudtrail_archive(
        root, max_workers=1, accounts=[account], regions=[region], since=since, until=until
    )
    wanted = {
        r.event_id
        for r in truth.roots
        if r.key.split("/")[3] == account and r.region == region and since <= r.event_time < until
    }
    assert wanted  # the spec puts root activity there
    assert {a.event_id for a in result.activities} == wanted
    assert result.files_pruned == 0  # folders are pruned whole: their files never listed
    scanned = result.files_scanned
    in_layout = [
        k for k in truth.log_keys if k.split("/")[3] == account and k.split("/")[5] == region
    ]
    assert 0 < scanned - 1 < len(in_layout)  # + plain.json (outside the layout)
    # The broken files outside the layout are still read (their path can't be pruned).
    assert {e.reason for e in result.errors} >= {FailureReason.TRUNCATED_GZIP}


def test_pruned_folders_are_never_read(tmp_path: Path) -> None:
    # A corrupt file in a pruned folder would be an error entry if it were read.
    base = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail"
    bad = base / "us-east-1" / "2024" / "05" / "01" / "x.json.gz"
    good = base / "eu-west-1" / "2024" / "06" / "01" / "y.json.gz"
    for path in (bad, good):
        path.parent.mkdir(parents=True)
    bad.write_bytes(b"\x1f\x8b garbage")
    good.write_bytes(gzip.compress(json.dumps({"Records": [ROOT_PLAIN]}).encode()))
    by_region = scan_cloudtrail_archive(tmp_path, max_workers=1, regions=["eu-west-1"])
    by_date = scan_cloudtrail_archive(
        tmp_path, max_workers=1, since=datetime(2024, 5, 20, tzinfo=UTC)
    )
    by_account = scan_cloudtrail_archive(tmp_path, max_workers=1, accounts=["999999999999"])
    (tmp_path / "dangling.json.gz").symlink_to(tmp_path / "nowhere")
    everything = scan_cloudtrail_archive(tmp_path, max_workers=1)
    # Nothing silently dropped: a dangling symlink is an error entry (a log file, maybe,
    # that cannot be read).
    assert [(Path(e.path).name, e.reason) for e in everything.errors] == [
        ("x.json.gz", FailureReason.CORRUPT_GZIP),
        ("dangling.json.gz", FailureReason.READ_FAILED),
    ]
    assert everything.skipped == []
    for result in (by_region, by_date):
        assert result.errors == []
        assert result.files_scanned == 1
    assert by_account.files_seen == 0
    # The path names the account: its records count for it whatever recipientAccountId says.
    assert [a.event_id for a in by_region.activities] == [ROOT_PLAIN["eventID"]]


def test_file_list_source(archive: tuple[Path, ArchiveTruth], tmp_path: Path) -> None:
    root, truth = archive
    keys = truth.log_keys[:5]
    missing = tmp_path / "missing.json.gz"
    paths = [root / k for k in keys] + [str(root / truth.digest_keys[0]), missing]
    result = scan_cloudtrail_archive(paths, max_workers=1)
    assert result.files_scanned == 5
    assert result.events_scanned == sum(truth.events_by_key[k] for k in keys)
    assert [s.reason for s in result.skipped] == [SkipReason.DIGEST]
    assert [(e.path, e.reason) for e in result.errors] == [
        (str(missing), FailureReason.READ_FAILED)
    ]
    assert {a.event_id for a in result.activities} <= {r.event_id for r in truth.roots}
    # A single file is a source too.
    one = scan_cloudtrail_archive(root / keys[0], max_workers=1)
    assert one.files_scanned == 1


def test_window_filters_events_not_just_folders(archive: tuple[Path, ArchiveTruth]) -> None:
    root, truth = archive
    times = sorted(r.event_time for r in truth.roots)
    since, until = times[3], times[-3]
    result = scan_cloudtrail_archive(root, max_workers=1, since=since, until=until)
    expected = {r.event_id for r in truth.roots if since <= r.event_time < until}
    # plain.json's record (2024-05-02T08:00Z) counts too when it falls in the window.
    plain_time = datetime(2024, 5, 2, 8, tzinfo=UTC)
    if since <= plain_time < until:
        expected.add(ROOT_PLAIN["eventID"])
    assert {a.event_id for a in result.activities} == expected
    # Naive datetimes are UTC.
    naive = scan_cloudtrail_archive(
        root, max_workers=1, since=since.replace(tzinfo=None), until=until.replace(tzinfo=None)
    )
    assert naive == result


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ScanError):
        scan_cloudtrail_archive(tmp_path / "nope", max_workers=1)
    with pytest.raises(ScanError):
        scan_cloudtrail_archive(12, max_workers=1)  # type: ignore[arg-type]
    with pytest.raises(ScanError):
        scan_cloudtrail_archive(tmp_path, max_workers=0)
    with pytest.raises(ScanError):
        scan_cloudtrail_archive(
            tmp_path, since=datetime(2024, 2, 1, tzinfo=UTC), until=datetime(2024, 1, 1, tzinfo=UTC)
        )
    with pytest.raises(ScanError):
        scan_cloudtrail_archive("s3://", max_workers=1)
    empty = scan_cloudtrail_archive(tmp_path, max_workers=1)
    assert empty == ScanResult()


def test_workers_is_a_deprecated_name_of_max_workers(
    archive: tuple[Path, ArchiveTruth], baseline: ScanResult, tmp_path: Path
) -> None:
    with pytest.warns(DeprecationWarning, match=r"use max_workers=") as caught:
        old = scan_cloudtrail_archive(archive[0], workers=1)
    assert old == baseline
    assert caught[0].filename == __file__  # points at the caller
    with pytest.raises(rootguard.ArgumentError, match="not both"):
        scan_cloudtrail_archive(tmp_path, workers=1, max_workers=1)
    with (
        pytest.warns(DeprecationWarning, match="deprecated"),
        pytest.raises(ScanError, match="max_workers"),
    ):
        scan_cloudtrail_archive(tmp_path, workers=0)


def test_public_names() -> None:
    for name in ("FailedFile", "FailureReason", "ScanResult", "SkipReason", "SkippedFile"):
        assert name in rootguard.__all__
    assert "scan_cloudtrail_archive" in rootguard.__all__


def test_result_round_trips(baseline: ScanResult) -> None:
    assert ScanResult.model_validate_json(baseline.model_dump_json()) == baseline


def test_spec_is_deterministic(tmp_path: Path) -> None:
    small = replace(SPEC, events=300)
    first = write_archive(tmp_path / "a", small)
    second = write_archive(tmp_path / "b", small)
    assert first.roots == second.roots
    for key in first.log_keys:
        assert (tmp_path / "a" / key).read_bytes() == (tmp_path / "b" / key).read_bytes()


# ---------------------------------------------------------------------------------------
# Hostile files: caps, symbolic links, files that are not regular files
# ---------------------------------------------------------------------------------------

CAP = 1_000_000


@pytest.fixture(params=["fast", "fallback"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Scan on the fast path (msgspec + ISA-L), or on the stdlib fallback: what a machine
    without the ``fast`` extra runs (the fast decoder then must not be called)."""
    if request.param == "fallback":
        force_fallback(monkeypatch)
    return str(request.param)


def _good_log(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": [ROOT_PLAIN]}).encode()))
    return path


def _by_name(entries: list[Any]) -> dict[str, tuple[str, str]]:
    return {Path(e.path).name: (e.reason.value, e.detail) for e in entries}


def _invariant(result: ScanResult, seen: int) -> None:
    assert result.files_seen == result.files_scanned + len(result.skipped) + len(result.errors)
    assert result.files_seen == seen


def test_gzip_bomb_and_big_plain_json_are_too_large(tmp_path: Path, decoder: str) -> None:
    _good_log(tmp_path / "good.json.gz")
    (tmp_path / "bomb.json.gz").write_bytes(gzip_bomb(5 * CAP))  # 5 MB in about 18 KB
    big = b"".join(log_file_parts(json.dumps(ROOT_PLAIN).encode(), 2 * CAP))
    (tmp_path / "big.json").write_bytes(big)
    result = scan_cloudtrail_archive(tmp_path, max_workers=1, max_file_bytes=CAP)
    errors = _by_name(result.errors)
    assert {name: reason for name, (reason, _) in errors.items()} == {
        "bomb.json.gz": "too_large",
        "big.json": "too_large",
    }
    assert errors["bomb.json.gz"][1] == (
        f"decompresses to more than {CAP} bytes (max_file_bytes); stopped there"
    )
    assert errors["big.json"][1] == (
        f"{len(big)} bytes, over the limit of {CAP} bytes (max_file_bytes)"
    )
    # The scan went on: the good file's root activity is there.
    assert [a.event_id for a in result.activities] == [ROOT_PLAIN["eventID"]]
    _invariant(result, 3)
    # Under the default cap (64 MiB) all three are read.
    default = scan_cloudtrail_archive(tmp_path, max_workers=1)
    assert (default.files_scanned, default.errors) == (3, [])


def test_the_cap_travels_to_process_pool_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(4):
        _good_log(tmp_path / f"good-{index}.json.gz")
    (tmp_path / "bomb.json.gz").write_bytes(gzip_bomb(5 * CAP))
    monkeypatch.setattr("rootguard._archive_units.UNIT_FILES", 1)  # one file per unit: a real pool
    one = scan_cloudtrail_archive(tmp_path, max_workers=1, max_file_bytes=CAP)
    pool = scan_cloudtrail_archive(tmp_path, max_workers=2, max_file_bytes=CAP)
    assert pool == one
    assert [(Path(e.path).name, e.reason) for e in pool.errors] == [
        ("bomb.json.gz", FailureReason.TOO_LARGE)
    ]


RECORD_CAP = 4096


def _hostile_records_archive(folder: Path) -> None:
    """Good logs, and files whose JSON is costly to decode (each under the file cap)."""
    for index in range(3):
        _good_log(folder / f"good-{index}.json.gz")
    root = json.dumps(ROOT_PLAIN).encode()
    flood = b'{"userIdentity":{"type":"Root"},"pad":[' + b",".join([b"[]"] * 20_000) + b"]}"
    files = {
        # one root record holding 60 KB of [[],[],...]: over the record cap
        "nested-flood.json.gz": b'{"Records":[' + root + b"," + flood + b"]}",
        # a record over the cap that is not root activity: passed over, never decoded
        "big-other.json": (
            b'{"Records":[{"eventName":"x","userIdentity":{"type":"IAMUser"},"pad":"'
            + b"y" * 9000
            + b'"},'
            + root
            + b"]}"
        ),
        # a record over the cap that may be root activity (no userIdentity: a wrapper?)
        "big-wrapper.json": b'{"Records":[{"eventName":"x","pad":"' + b"y" * 9000 + b'"}]}',
        # NaN anywhere is not JSON, on both paths
        "nan.json.gz": b'{"Records":[' + root + b',{"n":NaN}]}',
        # 20,000 empty records: under every cap, read one at a time
        "tiny-records.json.gz": b'{"Records":[' + b",".join([b"{}"] * 20_000) + b"]}",
    }
    for name, content in files.items():
        data = gzip.compress(content) if name.endswith(".gz") else content
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("workers", [1, 2])
def test_record_too_large_and_nan_are_error_entries(
    tmp_path: Path, decoder: str, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hostile_records_archive(tmp_path)
    monkeypatch.setattr("rootguard._archive_units.UNIT_FILES", 1)  # a real pool with 2 workers
    result = scan_cloudtrail_archive(tmp_path, max_workers=workers, max_record_bytes=RECORD_CAP)
    errors = _by_name(result.errors)
    assert {name: reason for name, (reason, _) in errors.items()} == {
        "nested-flood.json.gz": "record_too_large",
        "big-wrapper.json": "record_too_large",
        "nan.json.gz": "not_json",
    }
    flood_size = len(b'{"userIdentity":{"type":"Root"},"pad":[]}') + 3 * 20_000 - 1
    assert errors["nested-flood.json.gz"][1] == (
        f"Records[1] (byte offset {12 + len(json.dumps(ROOT_PLAIN)) + 1}) is {flood_size} "
        f"bytes, over the limit of {RECORD_CAP} bytes (max_record_bytes); not decoded"
    )
    assert errors["big-wrapper.json"][1].startswith("Records[0] (byte offset 12) is ")
    assert "NaN is not valid JSON" in errors["nan.json.gz"][1]
    # Nothing else is lost: the good files' activities and big-other's root record, and
    # every record counted (big-other's first record is passed over, never decoded).
    assert [a.event_id for a in result.activities] == [ROOT_PLAIN["eventID"]] * 4
    assert (result.files_scanned, result.events_scanned) == (5, 3 + 2 + 20_000)
    _invariant(result, 8)
    # Without the record cap, every big file is read (the NaN file is still not JSON).
    free = scan_cloudtrail_archive(tmp_path, max_workers=1, max_record_bytes=None)
    assert [e.reason.value for e in free.errors] == ["not_json"]
    assert len(free.activities) == 4 + 2  # the flood record is root activity too


def _root_records(count: int, tag: str) -> bytes:
    """A log file of ``count`` root records with distinct event ids."""
    records = [{**ROOT_PLAIN, "eventID": f"{tag}-{n:05d}"} for n in range(count)]
    return json.dumps({"Records": records}).encode()


@pytest.mark.parametrize("workers", [1, 2])
def test_too_many_root_records_is_one_error_entry_and_the_scan_goes_on(
    tmp_path: Path, decoder: str, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rootguard._archive_units.UNIT_FILES", 1)  # a real pool with 2 workers
    (tmp_path / "flood.json.gz").write_bytes(gzip.compress(_root_records(8, "flood")))
    (tmp_path / "at-cap.json").write_bytes(_root_records(5, "cap"))
    (tmp_path / "one.json.gz").write_bytes(gzip.compress(_root_records(1, "one")))
    result = scan_cloudtrail_archive(tmp_path, workers=workers, max_root_records_per_file=5)
    assert _by_name(result.errors) == {
        "flood.json.gz": (
            "too_many_root_records",
            "8 root-activity records, over the limit of 5 (max_root_records_per_file); "
            "none reported",
        )
    }
    assert sorted(a.event_id or "" for a in result.activities) == [
        *(f"cap-{n:05d}" for n in range(5)),
        "one-00000",
    ]
    assert (result.files_scanned, result.events_scanned) == (2, 6)
    _invariant(result, 3)
    free = scan_cloudtrail_archive(tmp_path, workers=workers, max_root_records_per_file=None)
    assert (free.errors, len(free.activities)) == ([], 14)
    default = scan_cloudtrail_archive(tmp_path, workers=workers)  # 10,000 by default
    assert default == free


def test_a_unit_hands_back_its_files_once_it_holds_enough_root_activity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 128 small files of up to 10,000 root records each would make one unit hold 1.28
    # million activities in a pool worker: a unit stops at UNIT_ROOTS and hands the files
    # left back as its next part. Same result, whatever the executor.
    monkeypatch.setattr("rootguard._archive_units.UNIT_ROOTS", 4)
    for index in range(10):
        (tmp_path / f"f{index:02d}.json").write_bytes(_root_records(3, f"f{index:02d}"))
    (tmp_path / "broken.json").write_bytes(b"{")
    parts: list[tuple[int, int, int]] = []
    real = rootguard._archive.scan_unit

    def spy(unit: Any) -> Any:
        result = real(unit)
        parts.append((result.index, result.part, len(result.roots)))
        return result

    monkeypatch.setattr("rootguard._archive.scan_unit", spy)
    alone = scan_cloudtrail_archive(tmp_path, workers=1)
    assert parts == []  # in process, file by file: nothing to hand on
    with ThreadPoolExecutor(2) as pool:
        threaded = scan_cloudtrail_archive(tmp_path, executor=pool, workers=2)
    assert threaded == alone
    assert len(alone.activities) == 30
    assert [e.reason for e in alone.errors] == [FailureReason.NOT_JSON]
    _invariant(alone, 11)
    assert sorted(parts) == [(0, part, 6) for part in range(5)]
    assert max(roots for _, _, roots in parts) <= 4 + 3  # UNIT_ROOTS + one file's
    parts.clear()
    pooled = scan_cloudtrail_archive(tmp_path, workers=2)  # one unit: run in process
    assert pooled == alone
    assert len(parts) == 5
    monkeypatch.setattr("rootguard._archive.scan_unit", real)  # a pool pickles it
    monkeypatch.setattr("rootguard._archive_units.UNIT_FILES", 3)  # several units, a real pool
    assert scan_cloudtrail_archive(tmp_path, workers=2) == alone


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=st.lists(st.integers(0, 6), min_size=1, max_size=6), cap=st.integers(1, 4))
def test_any_root_cap_counts_every_file_once(counts: list[int], cap: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for index, count in enumerate(counts):
            (root / f"f{index}.json").write_bytes(_root_records(count, f"f{index}"))
        result = scan_cloudtrail_archive(root, workers=1, max_root_records_per_file=cap)
    over = {f"f{i}.json" for i, count in enumerate(counts) if count > cap}
    assert set(_by_name(result.errors)) == over
    assert all(e.reason is FailureReason.TOO_MANY_ROOT_RECORDS for e in result.errors)
    assert len(result.activities) == sum(count for count in counts if count <= cap)
    _invariant(result, len(counts))


@pytest.mark.parametrize("cap", [0, -5, 2.5, "10k", True])
def test_a_bad_root_cap_is_refused(tmp_path: Path, cap: Any) -> None:
    with pytest.raises(ScanError, match="max_root_records_per_file must be a positive number"):
        scan_cloudtrail_archive(tmp_path, workers=1, max_root_records_per_file=cap)


@pytest.mark.parametrize("cap", [0, -5, 2.5, "1MB", True])
def test_a_bad_record_cap_is_refused(tmp_path: Path, cap: Any) -> None:
    with pytest.raises(ScanError, match="max_record_bytes must be"):
        scan_cloudtrail_archive(tmp_path, max_workers=1, max_record_bytes=cap)


@pytest.mark.parametrize("cap", [0, -5, 2.5, "1MB", True])
def test_a_bad_cap_is_refused(tmp_path: Path, cap: Any) -> None:
    with pytest.raises(ScanError, match="max_file_bytes must be"):
        scan_cloudtrail_archive(tmp_path, max_workers=1, max_file_bytes=cap)


def test_symlink_loops_and_dangling_links_are_error_entries(tmp_path: Path, decoder: str) -> None:
    root = tmp_path / "archive"
    _good_log(root / "good.json.gz")
    (root / "loop-a.json.gz").symlink_to(root / "loop-b.json.gz")
    (root / "loop-b.json.gz").symlink_to(root / "loop-a.json.gz")
    (root / "self.json.gz").symlink_to(root / "self.json.gz")
    (root / "dangling.json.gz").symlink_to(tmp_path / "gone.json.gz")
    (root / "link.json.gz").symlink_to(_good_log(tmp_path / "elsewhere" / "real.json.gz"))
    result = scan_cloudtrail_archive(root, max_workers=1)
    errors = _by_name(result.errors)
    assert set(errors) == {"loop-a.json.gz", "loop-b.json.gz", "self.json.gz", "dangling.json.gz"}
    assert {reason for reason, _ in errors.values()} == {"read_failed"}
    for name in ("loop-a.json.gz", "loop-b.json.gz", "self.json.gz"):
        assert errors[name][1].startswith("symbolic link loop: "), name
    assert errors["dangling.json.gz"][1] == "dangling symbolic link: its target does not exist"
    # The scan went on; a link to a file is followed.
    assert result.files_scanned == 2
    _invariant(result, 6)


def test_folder_links_are_followed_and_loops_skipped(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    _good_log(root / "sub" / "a.json.gz")
    (root / "sub" / "up").symlink_to(root)  # a loop: the folder contains the link
    (root / "sub" / "self").symlink_to(root / "sub")
    _good_log(tmp_path / "outside" / "b.json.gz")
    (root / "linked").symlink_to(tmp_path / "outside")  # followed: its file is read
    result = finishes_within(30, lambda: scan_cloudtrail_archive(root, max_workers=1))
    assert sorted(Path(s.path).relative_to(root).as_posix() for s in result.skipped) == [
        "sub/self",
        "sub/up",
    ]
    assert {s.reason for s in result.skipped} == {SkipReason.FOLDER_LOOP}
    assert result.files_scanned == 2
    assert result.errors == []
    _invariant(result, 4)


def test_unlistable_folder_and_unreadable_file_are_error_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decoder: str
) -> None:
    # Tests run as root, which mode bits do not stop: the OS calls are made to fail.
    _good_log(tmp_path / "ok" / "a.json.gz")
    _good_log(tmp_path / "locked" / "b.json.gz")
    _good_log(tmp_path / "secret.json.gz")
    real_scandir = os.scandir
    real_open = rootguard._archive_units.open_regular

    def scandir(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    def open_regular(path: Any) -> Any:
        if Path(path).name == "secret.json.gz":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr("rootguard._archive_units.open_regular", open_regular)
    result = scan_cloudtrail_archive(tmp_path, max_workers=1)
    assert _by_name(result.errors) == {
        "locked": ("read_failed", "cannot list folder: Permission denied"),
        "secret.json.gz": ("read_failed", "Permission denied"),
    }
    assert result.files_scanned == 1
    _invariant(result, 3)


def test_an_entry_that_cannot_be_examined_is_an_error_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _good_log(tmp_path / "a.json.gz")
    _good_log(tmp_path / "b.json.gz")
    real = rootguard._archive_local._entry_kind

    def entry_kind(entry: os.DirEntry[str], pruned: bool) -> tuple[str, int]:
        if entry.name == "b.json.gz":
            raise PermissionError(13, "Permission denied", entry.path)
        return real(entry, pruned)

    monkeypatch.setattr("rootguard._archive_local._entry_kind", entry_kind)
    result = scan_cloudtrail_archive(tmp_path, max_workers=1)
    assert _by_name(result.errors) == {"b.json.gz": ("read_failed", "Permission denied")}
    _invariant(result, 2)


def _spy_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    opened: list[str] = []
    real_open = os.open

    def spy(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        opened.append(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    return opened


def test_fifo_socket_and_devices_in_a_folder_are_skipped_unopened(
    monkeypatch: pytest.MonkeyPatch, decoder: str
) -> None:
    root = Path(tempfile.mkdtemp(prefix="rg-"))  # short: a socket path is 107 bytes at most
    try:
        good = _good_log(root / "good.json.gz")
        os.mkfifo(root / "pipe.json.gz")
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(root / "sock.json.gz"))
            (root / "zero.json.gz").symlink_to("/dev/zero")
            (root / "null.json").symlink_to("/dev/null")
            opened = _spy_opens(monkeypatch)
            result = finishes_within(
                20,
                lambda: scan_cloudtrail_archive(root, max_workers=1),
                unblock=root / "pipe.json.gz",
            )
            opened_by_scan = list(opened)
    finally:
        shutil.rmtree(root)
    assert _by_name(result.skipped) == {
        "pipe.json.gz": ("not_regular_file", "not a regular file: a FIFO (named pipe)"),
        "sock.json.gz": ("not_regular_file", "not a regular file: a socket"),
        "zero.json.gz": ("not_regular_file", "not a regular file: a character device"),
        "null.json": ("not_regular_file", "not a regular file: a character device"),
    }
    assert opened_by_scan == [str(good)]  # nothing else was ever opened
    assert result.files_scanned == 1
    _invariant(result, 5)


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/null"])
def test_special_file_named_directly_or_in_a_list_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    if kind == "fifo":
        path = tmp_path / "named.json.gz"
        os.mkfifo(path)
        what = "a FIFO (named pipe)"
    else:
        path = Path(kind)
        what = "a character device"
    good = _good_log(tmp_path / "good.json.gz")
    opened = _spy_opens(monkeypatch)
    unblock = path if kind == "fifo" else None
    alone = finishes_within(
        10, lambda: scan_cloudtrail_archive(path, max_workers=1), unblock=unblock
    )
    listed = finishes_within(
        10, lambda: scan_cloudtrail_archive([good, path], max_workers=1), unblock=unblock
    )
    expected = [
        rootguard.SkippedFile(
            path=str(path),
            reason=SkipReason.NOT_REGULAR_FILE,
            detail=f"not a regular file: {what}",
        )
    ]
    assert alone.skipped == expected
    _invariant(alone, 1)
    assert listed.skipped == expected
    assert listed.files_scanned == 1
    _invariant(listed, 2)
    assert opened == [str(good)]


def test_a_fifo_swapped_in_after_the_listing_is_refused_unblocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race: the walk saw a regular file; by the time a worker reads it, it is a FIFO
    # (and even the check before opening is fooled). O_NONBLOCK opens it at once and
    # fstat after opening refuses it.
    fifo = tmp_path / "raced.json.gz"
    os.mkfifo(fifo)
    real_stat = os.stat

    def fooled_stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        found = real_stat(path, *args, **kwargs)
        if Path(path) == fifo:
            return os.stat_result((0o100644, *tuple(found)[1:]))
        return found

    monkeypatch.setattr(os, "stat", fooled_stat)
    reader = rootguard._archive_units._ReadBuffer()
    with pytest.raises(NotRegularFile, match="a FIFO"):
        finishes_within(10, lambda: reader.read(str(fifo), CAP), unblock=fifo)


def test_a_folder_in_a_file_list_is_walked_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _good_log(tmp_path / "AWSLogs" / "a.json.gz")
    _good_log(tmp_path / "b.json.gz")
    opened = _spy_opens(monkeypatch)
    result = scan_cloudtrail_archive([tmp_path / "AWSLogs", tmp_path / "b.json.gz"], max_workers=1)
    assert result.files_scanned == 2
    assert sorted(Path(p).name for p in opened) == ["a.json.gz", "b.json.gz"]
    _invariant(result, 2)


def test_missing_or_looping_source_in_a_list_is_an_error_entry(tmp_path: Path) -> None:
    good = _good_log(tmp_path / "good.json.gz")
    (tmp_path / "loop.json.gz").symlink_to(tmp_path / "loop.json.gz")
    result = scan_cloudtrail_archive(
        [good, tmp_path / "loop.json.gz", tmp_path / "missing.json.gz"], max_workers=1
    )
    errors = _by_name(result.errors)
    assert errors["loop.json.gz"][1].startswith("symbolic link loop")
    assert errors["missing.json.gz"] == ("read_failed", "No such file or directory")
    _invariant(result, 3)
    # Named alone, a source that cannot be examined stops the scan before it starts.
    with pytest.raises(ScanError, match="Too many levels of symbolic links"):
        scan_cloudtrail_archive(tmp_path / "loop.json.gz", max_workers=1)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    content=st.one_of(st.binary(max_size=2000), as_log_files(), as_damaged_files()),
    gzipped=st.booleans(),
    cap=st.sampled_from([None, 64, 512, 4096]),
)
def test_any_bytes_as_a_file_give_records_or_one_entry(
    tmp_path: Path, content: bytes, gzipped: bool, cap: int | None
) -> None:
    # Whatever a planted file holds: the scan counts it once — read, skipped or one error
    # entry — and never raises.
    path = tmp_path / "planted.json.gz"
    path.write_bytes(gzip.compress(content) if gzipped else content)
    result = scan_cloudtrail_archive(tmp_path, max_workers=1, max_file_bytes=cap)
    _invariant(result, 1)
    if result.errors:
        assert result.errors[0].path == str(path)
        assert result.errors[0].detail

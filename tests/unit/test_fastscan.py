"""The archive scanner's file decoder (rootguard._fastscan) against the reference reader.

The reference is ``iter_raw_records`` + ``detect_root_activity`` over the same bytes. The
fast path (msgspec) and the stdlib fallback must both find exactly the same root activity
and reject exactly the same files.
"""

from __future__ import annotations

import copy
import gzip
import json
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from isal import igzip

from rootguard import ParseError, RootActivity, classify_event, detect_root_activity
from rootguard import _fastscan as fs
from rootguard._cloudtrail import MIN_RECORD_BYTES, gzip_failure, iter_raw_records
from rootguard._fastscan import (
    _UTF8_CHUNK,
    DECODER,
    GZIP,
    FailureReason,
    FileScan,
    Inflater,
    RecordFilter,
    ScanResult,
    SkipReason,
    activities_of,
    gunzip,
    is_utf8,
    scan_log_bytes,
)
from tests.archive_gen import gzip_bomb, log_file_parts
from tests.strategies import as_damaged_files, as_log_files, as_records, ct_records

UTC = timezone.utc
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

ROOT_KEY = {
    "eventVersion": "1.09",
    "eventID": "11111111-1111-4111-8111-111111111111",
    "eventTime": "2024-05-01T10:00:00Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "CreateUser",
    "eventType": "AwsApiCall",
    "awsRegion": "us-east-1",
    "recipientAccountId": "111122223333",
    "userIdentity": {
        "type": "Root",
        "arn": "arn:aws:iam::111122223333:root",
        "accountId": "111122223333",
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
    },
}
ROLE_NAMED_ROOT = {
    "eventID": "22222222-2222-4222-8222-222222222222",
    "eventTime": "2024-05-01T10:00:00Z",
    "eventName": "DescribeInstances",
    "eventSource": "ec2.amazonaws.com",
    "userIdentity": {
        "type": "AssumedRole",
        "arn": "arn:aws:sts::111122223333:assumed-role/Root/s",
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "Root"}},
    },
}
IAM_USER_ROOT = {
    "eventID": "33333333-3333-4333-8333-333333333333",
    "eventName": "ListBuckets",
    "userIdentity": {"type": "IAMUser", "userName": "root"},
}


def _file(records: list[dict[str, Any]], **dumps: Any) -> bytes:
    return json.dumps({"Records": records}, **dumps).encode()


def reference(data: bytes, **caps: Any) -> list[RootActivity] | None:
    """What the library's own reader and detection say (None: the file is rejected)."""
    try:
        return detect_root_activity(list(iter_raw_records(data, name="f", **caps)))
    except ParseError:
        return None


def scanned(data: bytes, fast: bool | None, **caps: Any) -> list[RootActivity] | None:
    scan = scan_log_bytes(data, fast=fast, **caps)
    assert isinstance(scan, FileScan)
    if not scan.scanned:
        assert scan.roots == ()
        assert scan.events == 0
        return None
    return activities_of(scan.roots)


def test_accelerators_installed() -> None:
    # The dev extra installs the `fast` extra: the fast path is what these tests exercise.
    assert DECODER == "msgspec"
    assert GZIP == "isal"


# ---------------------------------------------------------------------------------------
# Equivalence with the reference (hypothesis)
# ---------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=as_log_files())
def test_same_activities_as_reference(data: bytes) -> None:
    expected = reference(data)
    for fast in (True, False):
        assert scanned(data, fast) == expected, fast
    if expected is not None:
        scan = scan_log_bytes(data)
        assert scan.events == len(list(iter_raw_records(data)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=as_damaged_files())
@example(data=b'{"Records":[{"a":"\xff"}]}')  # invalid UTF-8 in a skipped string
@example(data=b'{"Records":[{"a":"\\ud800"}]}')  # lone surrogate escape: json accepts it
@example(data=b'{"Records":[{"userIdentity":{"type":5}}]}')  # unexpected type
@example(data=b'{"Records":[{"userIdentity":"x"}]}')
@example(data=b'{"Records":[{"a":' + b"[" * 3000 + b"]" * 3000 + b"}]}")  # too deep
@example(data=b'{"Records":[],"Records":[1]}')  # duplicate key: the last one wins
@example(data=b'{"Records":[{"detail":5,"source":"aws.s3"}]}')  # a broken wrapper
def test_damaged_files_same_verdict_never_crash(data: bytes) -> None:
    # Same gzip library as the reference (fast=None): the same verdict on every input.
    assert scanned(data, None) == reference(data)
    # The stdlib path (stdlib gzip too) never crashes, and agrees on uncompressed input.
    fallback = scanned(data, False)
    if not data.startswith(b"\x1f\x8b"):
        assert fallback == reference(data)


@settings(max_examples=100, deadline=None)
@given(records=st.lists(ct_records(), min_size=1, max_size=6), escape=st.booleans())
def test_escaped_and_spaced_root_is_never_missed(
    records: list[dict[str, Any]], escape: bool
) -> None:
    # Every spelling of the same records gives the same activities.
    compact = _file(records, separators=(",", ":"))
    expected = reference(compact)
    spaced = _file(records, indent=3)
    escaped = compact.replace(b'"Root"', b'"R\\u006fot"').replace(b'"type"', b'"\\u0074ype"')
    for data in (compact, spaced, escaped if escape else compact):
        assert scanned(data, True) == expected
        assert scanned(data, False) == expected


@settings(max_examples=200, deadline=None)
@given(record=as_records)
def test_owned_classification_is_classify_event(record: dict[str, Any]) -> None:
    # Records the scanner decoded itself are classified without the defensive copy, and
    # the model is kept for the parent's detect_root_activity: the same verdict as
    # classify_event / detect_root_activity on the record, raw records and wrappers alike.
    try:
        expected: object = classify_event(copy.deepcopy(record))
        expected_all: object = detect_root_activity([copy.deepcopy(record)])
    except ParseError:
        expected = expected_all = "invalid"
    try:
        found = fs._classify_owned(copy.deepcopy(record))
        got: object = None if found is None else found[1]
        got_all: object = detect_root_activity([found[0]] if found else [])
    except ParseError:
        got = got_all = "invalid"
    assert got == expected
    assert got_all == expected_all


# ---------------------------------------------------------------------------------------
# Explicit cases
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_root_found_lookalikes_not(fast: bool) -> None:
    data = gzip.compress(_file([ROLE_NAMED_ROOT, ROOT_KEY, IAM_USER_ROOT]))
    scan = scan_log_bytes(data, fast=fast)
    assert scan.scanned
    assert scan.events == 3
    assert [hit.activity.event_id for hit in scan.roots] == [ROOT_KEY["eventID"]]
    (activity,) = activities_of(scan.roots)
    assert activity.channel.value == "access_key"
    assert activity.severity.value == "critical"


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize(
    "spelling",
    [
        b'"type":"R\\u006fot"',
        b'"type" : "Root"',
        b'"\\u0074ype":"Root"',
        b'"type":"\\u0052\\u006f\\u006f\\u0074"',
    ],
)
def test_root_spelled_any_valid_way(fast: bool, spelling: bytes) -> None:
    data = (
        b'{"Records":[{"eventID":"e1","eventName":"ListBuckets","eventType":"AwsApiCall",'
        b'"userIdentity":{' + spelling + b',"accessKeyId":"AKIAEXAMPLE"}}]}'
    )
    scan = scan_log_bytes(data, fast=fast)
    assert [hit.activity.event_id for hit in scan.roots] == ["e1"]


@pytest.mark.parametrize("fast", [True, False])
def test_wrapped_records_are_unwrapped(fast: bool) -> None:
    bridge = {
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.iam",
        "detail": ROOT_KEY,
    }
    lookup = {"EventId": "x", "CloudTrailEvent": json.dumps(ROOT_KEY)}
    scan = scan_log_bytes(_file([bridge, lookup]), fast=fast)
    assert len(scan.roots) == 2
    assert [a.event_id for a in activities_of(scan.roots)] == [ROOT_KEY["eventID"]] * 2


@pytest.mark.parametrize("fast", [True, False, None])
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # Explicit ids: pytest would otherwise derive them from the bytes, and a gzip header
        # embeds the time it was made (mtime=0 pins it too), so two xdist workers collecting
        # in different seconds would disagree on the test names.
        pytest.param(b"", FailureReason.EMPTY, id="empty"),
        pytest.param(b" \n\t", FailureReason.EMPTY, id="blank"),
        pytest.param(gzip.compress(b"", mtime=0), FailureReason.EMPTY, id="empty-gzip"),
        pytest.param(
            gzip.compress(b'{"Records":[]}', mtime=0)[:-6],
            FailureReason.TRUNCATED_GZIP,
            id="truncated-gzip",
        ),
        pytest.param(
            b"\x1f\x8b\x08\x00garbage-garbage", FailureReason.CORRUPT_GZIP, id="corrupt-gzip"
        ),
        pytest.param(b"<html>not json</html>", FailureReason.NOT_JSON, id="html"),
        pytest.param(b'{"Records":[', FailureReason.NOT_JSON, id="cut-json"),
        pytest.param(b'{"Records":[{"a":"\xff"}]}', FailureReason.NOT_JSON, id="not-utf8"),
        pytest.param(b'{"records":[]}', FailureReason.NO_RECORDS, id="lowercase-records"),
        pytest.param(b"[1, 2]", FailureReason.NO_RECORDS, id="top-level-array"),
        pytest.param(b'{"Records":{"a":1}}', FailureReason.INVALID_RECORDS, id="records-object"),
        pytest.param(b'{"Records":[{}, 7]}', FailureReason.INVALID_RECORDS, id="record-not-object"),
        pytest.param(
            b'{"Records":[{"eventTime":"not a time","userIdentity":{"type":"Root"}}]}',
            FailureReason.INVALID_RECORD,
            id="bad-event-time",
        ),
    ],
)
def test_unreadable_files(fast: bool | None, data: bytes, reason: FailureReason) -> None:
    scan = scan_log_bytes(data, fast=fast)
    assert scan.failure is reason
    assert scan.skip is None
    assert scan.detail
    assert reference(data) is None


@pytest.mark.parametrize("fast", [True, False])
def test_digest_content_is_skipped(fast: bool) -> None:
    digest = {
        "awsAccountId": "111122223333",
        "digestStartTime": "2024-05-01T00:00:00Z",
        "digestEndTime": "2024-05-01T01:00:00Z",
        "digestPublicKeyFingerprint": "abc",
        "logFiles": [],
    }
    scan = scan_log_bytes(gzip.compress(json.dumps(digest).encode()), fast=fast)
    assert scan.skip is SkipReason.DIGEST
    assert scan.failure is None


@pytest.mark.parametrize("fast", [True, False])
def test_stdlib_only_json_is_accepted(fast: bool) -> None:
    # json.loads accepts lone surrogate escapes; msgspec does not: the fallback decides.
    data = b'{"Records":[{"s":"\\ud800"},' + json.dumps(ROOT_KEY).encode() + b"]}"
    scan = scan_log_bytes(data, fast=fast)
    assert scan.scanned
    assert scan.events == 2
    assert [hit.activity.event_id for hit in scan.roots] == [ROOT_KEY["eventID"]]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
@pytest.mark.parametrize("where", ["other_record", "root_record", "nested"])
def test_nan_and_infinity_are_not_json_on_both_paths(
    fast: bool, constant: bytes, where: str
) -> None:
    # Not JSON (RFC 8259). msgspec refuses them and json.loads accepts them by default:
    # a file used to pick the memory-hungry path with one NaN. Now both refuse the file.
    root = json.dumps(ROOT_KEY).encode()
    if where == "other_record":
        data = b'{"Records":[{"n":' + constant + b"}," + root + b"]}"
    elif where == "root_record":
        data = b'{"Records":[' + root[:-1] + b',"n":' + constant + b"}]}"
    else:
        data = b'{"Records":[' + root + b',{"a":{"b":[1,' + constant + b"]}}]}"
    scan = scan_log_bytes(data, fast=fast)
    assert scan.failure is FailureReason.NOT_JSON
    assert constant.decode().lstrip("-") in scan.detail
    assert (scan.events, scan.roots) == (0, ())
    assert reference(data) is None
    with pytest.raises(ParseError, match="not valid JSON"):
        list(iter_raw_records(data))


def test_gunzip() -> None:
    assert gunzip(gzip.compress(b"abc")) == b"abc"
    assert gunzip(b"plain") == b"plain"
    with pytest.raises(ParseError):
        gunzip(gzip.compress(b"abc")[:-3])


# ---------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------


def _at(when: str, account: str = "111122223333", region: str = "us-east-1") -> dict[str, Any]:
    return {
        **ROOT_KEY,
        "eventID": f"{when}-{account}-{region}",
        "eventTime": when,
        "recipientAccountId": account,
        "awsRegion": region,
    }


def test_time_window_is_half_open() -> None:
    records = [
        _at("2024-05-01T09:59:59Z"),
        _at("2024-05-01T10:00:00Z"),
        _at("2024-05-01T11:00:00Z"),
    ]
    window = RecordFilter(
        since=datetime(2024, 5, 1, 10, tzinfo=UTC), until=datetime(2024, 5, 1, 11, tzinfo=UTC)
    )
    scan = scan_log_bytes(_file(records), record_filter=window)
    assert [hit.activity.event_id for hit in scan.roots] == [
        "2024-05-01T10:00:00Z-111122223333-us-east-1"
    ]
    assert scan.events == 3  # counted whatever their time


def test_no_time_is_kept_only_without_window() -> None:
    record = {k: v for k, v in ROOT_KEY.items() if k != "eventTime"}
    assert len(scan_log_bytes(_file([record])).roots) == 1
    window = RecordFilter(since=datetime(2024, 1, 1, tzinfo=UTC))
    assert scan_log_bytes(_file([record]), record_filter=window).roots == ()


def test_location_filter_prefers_the_path() -> None:
    records = [
        _at("2024-05-01T10:00:00Z", "111122223333", "eu-west-1"),
        _at("2024-05-01T10:00:00Z", "999999999999"),
    ]
    only = RecordFilter(accounts=frozenset({"111122223333"}), regions=frozenset({"eu-west-1"}))
    assert len(scan_log_bytes(_file(records), record_filter=only).roots) == 1
    # The path names the account and region that logged the file: it wins.
    scan = scan_log_bytes(
        _file(records), record_filter=only, path_account="111122223333", path_region="eu-west-1"
    )
    assert len(scan.roots) == 2
    scan = scan_log_bytes(
        _file(records), record_filter=only, path_account="222222222222", path_region="eu-west-1"
    )
    assert scan.roots == ()


# ---------------------------------------------------------------------------------------
# Result model
# ---------------------------------------------------------------------------------------


def test_scan_result_round_trips_through_json() -> None:
    (activity,) = detect_root_activity([ROOT_KEY])
    result = ScanResult(
        activities=[activity],
        files_scanned=3,
        events_scanned=10,
        skipped=[{"path": "a/CloudTrail-Digest/x.json.gz", "reason": "digest"}],  # type: ignore[list-item]
        errors=[{"path": "b.json.gz", "reason": "truncated_gzip", "detail": "x"}],  # type: ignore[list-item]
        since=datetime(2024, 1, 1, tzinfo=UTC),
    )
    again = ScanResult.model_validate_json(result.model_dump_json())
    assert again == result
    assert again.files_seen == 5
    assert again.alerts == [activity]
    assert again.skipped[0].reason is SkipReason.DIGEST
    assert again.errors[0].reason is FailureReason.TRUNCATED_GZIP


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.characters(exclude_categories=()), max_size=300),
    noise=st.binary(max_size=6),
    where=st.integers(min_value=0),
    repeat=st.integers(1, 9000),
)
def test_chunked_utf8_check_is_exact(text: str, noise: bytes, where: int, repeat: int) -> None:
    # Long inputs cross the chunk boundaries at every offset of a multi-byte sequence.
    data = (text.encode("utf-8", "surrogatepass") * repeat)[: 12 * _UTF8_CHUNK + 7]
    where %= len(data) + 1
    for candidate in (data, data[:where] + noise + data[where:], data[:where]):
        assert is_utf8(candidate) == _decodes(candidate)
        assert is_utf8(memoryview(candidate)) == _decodes(candidate)


@pytest.mark.parametrize("shift", range(-4, 5))
@pytest.mark.parametrize(
    "insert",
    [
        "é".encode(),
        "€".encode(),
        "😀".encode(),
        b"\xed\xa0\x80",  # an encoded surrogate: json.loads (surrogatepass) accepts it
        b"\xff",
        b"\xc3(",
        b"\xe2\x82",  # cut short
        b"\xf0\x9f\x98",
    ],
)
def test_utf8_check_at_chunk_boundaries(shift: int, insert: bytes) -> None:
    for boundary in (_UTF8_CHUNK, 2 * _UTF8_CHUNK):
        head = b"a" * (boundary + shift) + insert
        for data in (head, head + b"b" * 100, head + "é".encode() * 10):
            assert is_utf8(data) == _decodes(data), (boundary, data[-12:])


def test_msgspec_does_not_check_the_utf8_it_skips() -> None:
    # Why the separate UTF-8 check exists: msgspec validates only the strings it decodes
    # (declared fields); invalid UTF-8 in a skipped key or value passes its decoder, and
    # json.loads (the reference) rejects the file.
    for data in (b'{"Records":[{"a":"\xff"}]}', b'{"Records":[{"\xc3(":1}]}'):
        assert fs._record_decoder.decode(data).Records
        assert scan_log_bytes(data, fast=True).failure is FailureReason.NOT_JSON
        assert reference(data) is None


# ---------------------------------------------------------------------------------------
# One decompression buffer for many files
# ---------------------------------------------------------------------------------------


def _gzip_file(payload: bytes, shape: str) -> bytes:
    one = gzip.compress(payload, mtime=0)
    if shape == "two_members":  # the trailer's size is the last member's only: too small
        return one + gzip.compress(payload[: len(payload) // 3], mtime=0)
    if shape == "zero_padding":  # the trailer's size reads as 0
        return one + bytes(8)
    if shape == "garbage_after":
        return one + b"garbage!"
    if shape == "lying_size":  # a size field far larger than the data
        return one[:-4] + (2**32 - 1).to_bytes(4, "little")
    if shape == "truncated":
        return one[: len(one) // 2]
    return one


def _isal_verdict(data: bytes) -> bytes | str:
    """What isal.igzip.decompress (the reference reader's decoder) says."""
    try:
        return igzip.decompress(data)
    except Exception as exc:
        return gzip_failure(exc)[1]


@settings(max_examples=120, deadline=None)
@given(
    files=st.lists(
        st.tuples(
            st.binary(min_size=0, max_size=64),
            st.integers(0, 12_000),
            st.sampled_from(
                ["one", "two_members", "zero_padding", "garbage_after", "lying_size", "truncated"]
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_one_inflater_gives_every_file_exactly(files: list[tuple[bytes, int, str]]) -> None:
    # Big files then small ones (what a longer file left in the buffer must not leak),
    # buffers that must grow (several members, a size field too small or lying), damaged
    # streams: each file decompresses exactly as isal.igzip.decompress decompresses it.
    inflater = Inflater()
    for chunk, repeat, shape in files:
        data = _gzip_file(chunk * repeat, shape)
        try:
            got: bytes | str = bytes(inflater.inflate(data))
        except ParseError as exc:
            got = exc.message
        assert got == _isal_verdict(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(st.one_of(as_log_files(), as_damaged_files()), min_size=2, max_size=5))
def test_scanning_with_one_inflater_is_scanning_each_file_alone(files: list[bytes]) -> None:
    inflater = Inflater()
    big = gzip.compress(_file([ROOT_KEY] * 400))  # leaves a long tail in the buffer
    for data in [big, *files, big, *reversed(files)]:
        assert scan_log_bytes(data, inflater=inflater) == scan_log_bytes(data)


# ---------------------------------------------------------------------------------------
# Hostile content: caps on size and on records (fast path and stdlib fallback)
# ---------------------------------------------------------------------------------------

CAP = 1_000_000


@pytest.mark.parametrize("fast", [True, False])
def test_gzip_bomb_over_the_cap_is_too_large_and_never_inflated_in_full(fast: bool) -> None:
    bomb = gzip_bomb(20 * CAP)  # 20 MB of valid CloudTrail JSON in about 70 KB of gzip
    assert len(bomb) < CAP // 10
    inflater = Inflater()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        scan = scan_log_bytes(bomb, fast=fast, inflater=inflater, max_file_bytes=CAP)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert scan.failure is FailureReason.TOO_LARGE
    assert "decompresses to more than 1000000 bytes" in scan.detail
    assert (scan.events, scan.roots) == (0, ())
    # Decompressed as a stream into a buffer that never outgrows the cap: the memory the
    # call allocated stays near the cap, never near the 20 MB the file inflates to.
    assert peak < 3 * CAP
    assert len(inflater._buffer) <= CAP + 1


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("gzipped", [True, False], ids=["gzip", "plain"])
def test_cap_boundary_is_exact(fast: bool, gzipped: bool) -> None:
    # A valid log file of exactly the cap is read; one byte more is too large.
    record = json.dumps(ROOT_KEY, separators=(",", ":")).encode()
    exact = b'{"Records":[' + record + b"]}"
    cap = len(exact)
    for data, ok in ((exact, True), (exact[:-1] + b" }", False)):
        content = gzip.compress(data) if gzipped else data
        scan = scan_log_bytes(content, fast=fast, max_file_bytes=cap)
        if ok:
            assert scan.scanned
            assert [hit.activity.event_id for hit in scan.roots] == [ROOT_KEY["eventID"]]
        else:
            assert scan.failure is FailureReason.TOO_LARGE
            assert scan.detail


@pytest.mark.parametrize("fast", [True, False])
def test_valid_plain_json_over_the_cap_is_too_large(fast: bool) -> None:
    data = b"".join(log_file_parts(json.dumps(ROOT_KEY).encode(), 2 * CAP))
    assert reference(data) is not None  # a valid log file, just too big for the cap
    scan = scan_log_bytes(data, fast=fast, max_file_bytes=CAP)
    assert scan.failure is FailureReason.TOO_LARGE
    assert scan.detail.startswith(f"{len(data)} bytes, over the limit of {CAP} bytes")
    # No cap: read as the reference reads it.
    assert scan_log_bytes(data, fast=fast, max_file_bytes=None).events == len(
        list(iter_raw_records(data, max_file_bytes=None))
    )


@pytest.mark.parametrize("fast", [True, False])
def test_too_many_tiny_records_is_too_large(fast: bool) -> None:
    cap = 64 * 1024  # at most 256 records (cap / MIN_RECORD_BYTES)
    limit = cap // MIN_RECORD_BYTES
    at_limit = b'{"Records":[' + b",".join([b"{}"] * limit) + b"]}"
    over = b'{"Records":[' + b",".join([b"{}"] * (limit + 1)) + b"]}"
    assert scan_log_bytes(at_limit, fast=fast, max_file_bytes=cap).events == limit
    scan = scan_log_bytes(over, fast=fast, max_file_bytes=cap)
    assert scan.failure is FailureReason.TOO_LARGE
    assert f"more than {limit} records" in scan.detail


def test_fast_path_stops_decoding_at_the_first_record_too_many() -> None:
    # 3 MB of empty records, under a 4 MiB cap: 1,048,576 records where 16,384 are
    # allowed. Decoding them all would cost about 40 MB; it stops at the 16,385th.
    data = b'{"Records":[' + b",".join([b"{}"] * (1 << 20)) + b"]}"
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        scan = scan_log_bytes(data, fast=True, max_file_bytes=4 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert scan.failure is FailureReason.TOO_LARGE
    assert peak < 4_000_000


@pytest.mark.parametrize("fast", [True, False])
def test_many_candidate_records_are_decoded_one_at_a_time(fast: bool) -> None:
    # Every record is a candidate (no userIdentity: a possible wrapper): the scan keeps
    # none of them, and gives the reference's verdict.
    data = b'{"Records":[' + b",".join([b'{"eventName":"x"}'] * 5000) + b"]}"
    scan = scan_log_bytes(data, fast=fast)
    assert (scan.events, scan.roots) == (5000, ())
    assert reference(data) == []


def test_max_file_bytes_none_is_no_cap() -> None:
    bomb = gzip_bomb(3 * CAP)
    assert scan_log_bytes(bomb, max_file_bytes=CAP).failure is FailureReason.TOO_LARGE
    assert scan_log_bytes(bomb, max_file_bytes=None).scanned
    with pytest.raises(ParseError, match="more than 1000000 bytes"):
        gunzip(bomb, limit=CAP)
    assert len(gunzip(bomb, limit=None)) > 3 * CAP


def _inflated_size(content: bytes) -> int:
    if not content.startswith(b"\x1f\x8b"):
        return len(content)
    try:
        return len(gzip.decompress(content))
    except Exception:  # damaged: never inflated past the cap either
        return 0


def _records_in(content: bytes) -> int:
    try:
        return len(list(iter_raw_records(content, max_file_bytes=None)))
    except ParseError:
        return 0


@settings(max_examples=200, deadline=None)
@given(
    data=st.one_of(st.binary(max_size=3000), as_log_files()),
    gzipped=st.booleans(),
    cap=st.integers(1, 6000),
)
def test_any_bytes_give_one_verdict_under_any_cap(data: bytes, gzipped: bool, cap: int) -> None:
    # Whatever the bytes and the cap: one verdict, never an exception. Over the cap (as
    # stored, inflated, or by records) it is too_large; within it, the cap changes nothing.
    content = gzip.compress(data) if gzipped else data
    for fast in (True, False):
        scan = scan_log_bytes(content, fast=fast, max_file_bytes=cap)
        assert [scan.scanned, scan.failure is not None, scan.skip is not None].count(True) == 1
        if scan.failure is FailureReason.TOO_LARGE:
            assert (
                len(content) > cap
                or _inflated_size(content) > cap
                or _records_in(content) > cap // MIN_RECORD_BYTES
            )
        else:
            assert scan == scan_log_bytes(content, fast=fast, max_file_bytes=None)


# ---------------------------------------------------------------------------------------
# The record cap (max_record_bytes): records are never decoded past it, on either path
# ---------------------------------------------------------------------------------------

RECORD_CAP = 1024


def _padded(record: dict[str, Any], size: int) -> bytes:
    """``record`` as compact JSON, padded with an unknown field to exactly ``size`` bytes."""
    head = json.dumps(record, separators=(",", ":")).encode()[:-1] + b',"pad":"'
    return head + b"x" * (size - len(head) - 2) + b'"}'


@pytest.mark.parametrize("fast", [True, False])
def test_root_record_over_the_cap_is_record_too_large(fast: bool) -> None:
    # A record that may be root activity, one byte over the cap, fails the file (like an
    # invalid root-activity record), whichever path reads it, and is named; at the cap it
    # is read.
    other = json.dumps(ROLE_NAMED_ROOT).encode()
    big_root = _padded(ROOT_KEY, RECORD_CAP + 1)
    data = b'{"Records":[' + other + b"," + big_root + b"]}"
    scan = scan_log_bytes(data, fast=fast, max_record_bytes=RECORD_CAP)
    assert scan.failure is FailureReason.RECORD_TOO_LARGE
    assert scan.detail == (
        f"Records[1] (byte offset {12 + len(other) + 1}) is {RECORD_CAP + 1} bytes, over the "
        f"limit of {RECORD_CAP} bytes (max_record_bytes); not decoded"
    )
    assert (scan.events, scan.roots) == (0, ())  # nothing of the file is kept
    assert reference(data, max_record_bytes=RECORD_CAP) is None
    at_cap = data.replace(big_root, _padded(ROOT_KEY, RECORD_CAP))
    scan = scan_log_bytes(at_cap, fast=fast, max_record_bytes=RECORD_CAP)
    assert scan.scanned
    assert [hit.activity.event_id for hit in scan.roots] == [ROOT_KEY["eventID"]]
    # Without the cap, it is root activity like any other.
    assert scanned(data, fast, max_record_bytes=None) == reference(data, max_record_bytes=None)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize(
    "identity",
    [
        {"type": "Root"},
        {"type": "R\\u006fot"},  # escaped: read exactly
        {"type": "FederatedUser"},
        {"type": 5},  # not what the fast decoder accepts: cannot tell
        None,  # no userIdentity: maybe a wrapper
    ],
    ids=["root", "escaped-root", "federated", "odd-type", "no-identity"],
)
def test_record_over_the_cap_that_may_be_root_is_refused(
    fast: bool, identity: dict[str, Any] | None
) -> None:
    record: dict[str, Any] = {"eventName": "ListBuckets", "pad": "x" * (2 * RECORD_CAP)}
    if identity is not None:
        record["userIdentity"] = identity
    text = json.dumps({"Records": [ROOT_KEY, record]}).replace("\\\\u006f", "\\u006f")
    scan = scan_log_bytes(text.encode(), fast=fast, max_record_bytes=RECORD_CAP)
    assert scan.failure is FailureReason.RECORD_TOO_LARGE
    assert scan.detail.startswith("Records[1] ")


@pytest.mark.parametrize("fast", [True, False])
def test_assume_root_call_over_the_cap_is_refused(fast: bool) -> None:
    record = {**ROLE_NAMED_ROOT, "eventName": "AssumeRoot", "pad": "x" * (2 * RECORD_CAP)}
    data = _file([record])
    scan = scan_log_bytes(data, fast=fast, max_record_bytes=RECORD_CAP)
    assert scan.failure is FailureReason.RECORD_TOO_LARGE


@pytest.mark.parametrize("fast", [True, False])
def test_record_over_the_cap_that_is_not_root_is_passed_over(fast: bool) -> None:
    # As an invalid record that is not root activity is not checked, a record over the
    # cap that cannot be root activity (its userIdentity.type and eventName, read without
    # decoding it, say so) is counted and passed over, never decoded: the rest of the
    # file is read. The reference reader, which hands out every record, refuses it.
    pad = b",".join([b"[]"] * 3000)
    big = json.dumps(ROLE_NAMED_ROOT).encode()[:-1] + b',"pad":[' + pad + b"]}"
    data = b'{"Records":[' + big + b"," + json.dumps(ROOT_KEY).encode() + b"]}"
    scan = scan_log_bytes(data, fast=fast, max_record_bytes=RECORD_CAP)
    assert scan.scanned
    assert scan.events == 2
    assert [hit.activity.event_id for hit in scan.roots] == [ROOT_KEY["eventID"]]
    assert reference(data, max_record_bytes=RECORD_CAP) is None
    assert activities_of(scan.roots) == reference(data, max_record_bytes=None)


@pytest.mark.parametrize("fast", [True, False])
def test_a_5_mb_record_never_allocates_more_than_a_few_mb(fast: bool) -> None:
    # One root record holding 5 MB of [[],[],...]: json.loads would build about 110 MB of
    # lists. With a 1 MiB cap neither path decodes it: the fast path skips the field,
    # sees the candidate's size from its bytes and hands the file to the stdlib path,
    # which decodes at most one 128 KiB window of the record before the scanner finds it
    # over the cap, then reads its userIdentity.type without decoding the rest.
    pad = b",".join([b"[]"] * 1_700_000)
    record = b'{"userIdentity":{"type":"Root"},"eventName":"ListBuckets","pad":[' + pad + b"]}"
    data = b'{"Records":[' + json.dumps(ROOT_KEY).encode() + b"," + record + b"]}"
    inflater = Inflater()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        scan = scan_log_bytes(data, fast=fast, inflater=inflater, max_record_bytes=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert scan.failure is FailureReason.RECORD_TOO_LARGE
    assert scan.detail.startswith("Records[1] ")
    assert peak < 8_000_000


@pytest.mark.parametrize("fast", [True, False])
def test_a_second_records_key_is_read_as_json_reads_it(fast: bool) -> None:
    # msgspec keeps the last "Records" silently; in a file bigger than the record cap the
    # count shows the first one, and the stdlib path reads the file (last key wins, and
    # a record of the first array over the cap is refused: never decoded).
    first = b"[" + _padded(ROOT_KEY, 3 * RECORD_CAP) + b"]"
    data = b'{"Records":' + first + b',"Records":[' + json.dumps(ROOT_KEY).encode() + b"]}"
    scan = scan_log_bytes(data, fast=fast, max_record_bytes=RECORD_CAP)
    assert scan.failure is FailureReason.RECORD_TOO_LARGE
    small = b'{"Records":[{"a":1}],"Records":[' + json.dumps(ROOT_KEY).encode() + b"]}"
    scan = scan_log_bytes(small, fast=fast, max_record_bytes=RECORD_CAP)
    assert (scan.events, [h.activity.event_id for h in scan.roots]) == (1, [ROOT_KEY["eventID"]])


@pytest.mark.parametrize("fast", [True, False])
def test_another_top_level_value_over_the_cap(fast: bool) -> None:
    # In a log file, the value of another top-level key over the cap is refused (the
    # fast path cannot see its size: such files go to the stdlib path); a digest file's
    # list of log files over the cap is still a digest file.
    pad = json.dumps({"x": "y" * (2 * RECORD_CAP)}).encode()
    data = b'{"Records":[' + json.dumps(ROOT_KEY).encode() + b'],"extra":' + pad + b"}"
    scan = scan_log_bytes(data, fast=fast, max_record_bytes=RECORD_CAP)
    assert scan.failure is FailureReason.RECORD_TOO_LARGE
    assert 'the value of "extra"' in scan.detail
    digest = b'{"digestStartTime":"2024-01-01T00:00:00Z","logFiles":' + pad + b"}"
    assert scan_log_bytes(digest, fast=fast, max_record_bytes=RECORD_CAP).skip is (
        SkipReason.DIGEST
    )


@pytest.mark.parametrize("fast", [True, False])
def test_wide_characters_in_a_very_large_file_are_read_exactly(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A character beyond U+00FF makes a str cost 2 or 4 bytes a character: past
    # _WIDE_TEXT_BYTES (40 MiB; lowered here) the fast path leaves such files to the
    # stdlib path, whose strings are one record at most. Same records either way.
    monkeypatch.setattr(fs, "_WIDE_TEXT_BYTES", 2048)
    records = [{**ROOT_KEY, "eventID": f"e{n}", "userAgent": "\U0001f600" * 20} for n in range(40)]
    records += [ROLE_NAMED_ROOT] * 10
    data = json.dumps({"Records": records}, ensure_ascii=False).encode()
    assert not fs._utf8_scan(data, wide=False)
    assert fs._utf8_scan(data.replace("\U0001f600".encode(), b"e"), wide=False)
    scan = scan_log_bytes(data, fast=fast, max_record_bytes=RECORD_CAP)
    assert scan.scanned
    assert [hit.activity.event_id for hit in scan.roots] == [f"e{n}" for n in range(40)]
    assert activities_of(scan.roots) == reference(data)


def test_root_hits_correlate_as_detect_root_activity() -> None:
    # Workers hand on activities and AssumeRoot flags, not records; the parent's
    # correlation gives exactly detect_root_activity over the records.
    pair = json.loads(
        (
            FIXTURES / "awsdocs" / "iam-user-guide__cloudtrail-track-privileged-tasks__records.json"
        ).read_text()
    )
    scan = scan_log_bytes(_file(pair))
    assert [hit.assume_root_call for hit in scan.roots] == [True, False]
    assert activities_of(scan.roots) == detect_root_activity(pair)
    assert {a.channel.value for a in activities_of(scan.roots)} == {"assumed_root"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(as_log_files(), as_damaged_files()),
    cap=st.one_of(st.none(), st.integers(16, 400)),
)
def test_any_record_cap_same_verdict_on_both_paths(data: bytes, cap: int | None) -> None:
    # Under any record cap, both paths agree with each other; with the reference reader
    # whenever it reads the file; and when it refuses a record over the cap, the scan
    # either refuses the file too or reads it as the reference does without a cap
    # (records over the cap that cannot be root activity are passed over).
    fast = scanned(data, None, max_record_bytes=cap)
    if not data.startswith(b"\x1f\x8b"):
        assert scanned(data, False, max_record_bytes=cap) == fast
    expected = reference(data, max_record_bytes=cap)
    if expected is not None:
        assert fast == expected
    elif fast is not None:
        assert fast == reference(data, max_record_bytes=None)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("root", [True, False], ids=["root", "other"])
def test_a_deep_record_longer_than_a_window_is_read_on_both_paths(fast: bool, root: bool) -> None:
    # Longer than the stdlib path's 128 KiB window, under the cap, nested 300 deep: the
    # scanner measures it (it does not refuse what json and msgspec read), then it is
    # decoded from exactly its bytes.
    record = {**(ROOT_KEY if root else ROLE_NAMED_ROOT), "pad": "x" * 150_000}
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    record["deep"] = deep
    data = _file([record, ROOT_KEY])
    scan = scan_log_bytes(data, fast=fast)
    assert scan.scanned
    assert scan.events == 2
    assert activities_of(scan.roots) == reference(data)
    assert len(scan.roots) == (2 if root else 1)


# ---------------------------------------------------------------------------------------
# The root-activity cap (max_root_records): a flood of root records never costs more
# than the cap's activities, on either path
# ---------------------------------------------------------------------------------------

MINIMAL_ROOT = b'{"userIdentity":{"type":"Root"}}'


def _root_flood(count: int, unit: bytes = MINIMAL_ROOT) -> bytes:
    return b'{"Records":[' + b",".join([unit] * count) + b"]}"


def _root_count(data: bytes) -> int | None:
    """How many root activities the reference finds (None: it refuses the file)."""
    found = reference(data)
    return None if found is None else len(found)


@pytest.mark.parametrize("fast", [True, False])
def test_root_records_over_the_cap_fail_the_file_saying_how_many(fast: bool) -> None:
    data = _root_flood(25)
    scan = scan_log_bytes(data, fast=fast, max_root_records=20)
    assert scan.failure is FailureReason.TOO_MANY_ROOT_RECORDS
    assert (scan.events, scan.roots) == (0, ())
    assert scan.detail == (
        "25 root-activity records, over the limit of 20 (max_root_records_per_file); none reported"
    )
    at_cap = scan_log_bytes(_root_flood(20), fast=fast, max_root_records=20)
    assert at_cap.scanned
    assert len(at_cap.roots) == 20
    unlimited = scan_log_bytes(data, fast=fast, max_root_records=None)
    assert len(unlimited.roots) == 25


def test_the_default_cap_is_ten_thousand() -> None:
    assert fs.DEFAULT_MAX_ROOT_RECORDS_PER_FILE == 10_000
    assert scan_log_bytes(_root_flood(10_000)).scanned
    scan = scan_log_bytes(_root_flood(10_001))
    assert scan.failure is FailureReason.TOO_MANY_ROOT_RECORDS
    assert scan.detail.startswith("10001 root-activity records")


@pytest.mark.parametrize("fast", [True, False])
def test_only_root_records_the_filter_keeps_count(fast: bool) -> None:
    old = json.dumps({**ROOT_KEY, "eventTime": "2020-01-01T00:00:00Z"}).encode()
    new = json.dumps(ROOT_KEY).encode()
    other = json.dumps(IAM_USER_ROOT).encode()
    data = b'{"Records":[' + b",".join([old] * 30 + [new] * 3 + [other] * 30) + b"]}"
    since = RecordFilter(since=datetime(2024, 1, 1, tzinfo=UTC))
    scan = scan_log_bytes(data, fast=fast, record_filter=since, max_root_records=3)
    assert scan.scanned
    assert len(scan.roots) == 3
    everything = scan_log_bytes(data, fast=fast, max_root_records=3)
    assert everything.failure is FailureReason.TOO_MANY_ROOT_RECORDS
    assert everything.detail.startswith("33 root-activity records")


@pytest.mark.parametrize("fast", [True, False])
def test_an_invalid_root_record_after_the_cap_is_reported_first(fast: bool) -> None:
    invalid = json.dumps({"userIdentity": {"type": "Root"}, "eventTime": "not a time"})
    data = _root_flood(10)[:-2] + b"," + invalid.encode() + b"]}"
    scan = scan_log_bytes(data, fast=fast, max_root_records=5)
    assert scan.failure is FailureReason.INVALID_RECORD
    assert scan_log_bytes(data, fast=fast, max_root_records=None).failure is (
        FailureReason.INVALID_RECORD
    )


@pytest.mark.parametrize("fast", [True, False])
def test_a_root_flood_over_the_cap_never_holds_more_than_the_cap(fast: bool) -> None:
    # 4,000 root records, a cap of 100: what the scan holds at its peak is a fraction of
    # what the same scan holds without the cap (4,000 activities).
    data = _root_flood(4000)

    def peak(cap: int | None) -> tuple[int, FileScan]:
        tracemalloc.start()
        try:
            scan = scan_log_bytes(data, fast=fast, max_root_records=cap)
            return tracemalloc.get_traced_memory()[1], scan
        finally:
            tracemalloc.stop()

    capped, scan = peak(100)
    free, unlimited = peak(None)
    assert scan.failure is FailureReason.TOO_MANY_ROOT_RECORDS
    assert len(unlimited.roots) == 4000
    assert capped < free / 3, (capped, free)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=as_log_files(), cap=st.integers(1, 4))
def test_any_root_cap_one_verdict_on_both_paths(data: bytes, cap: int) -> None:
    # Under any cap both paths agree; a file is refused for its root records exactly when
    # the reference reads it and finds more root activity than the cap, and otherwise
    # the cap changes nothing.
    found = _root_count(data)
    for fast in (True, False):
        scan = scan_log_bytes(data, fast=fast, max_root_records=cap)
        if scan.failure is FailureReason.TOO_MANY_ROOT_RECORDS:
            assert found is not None
            assert found > cap
            assert scan.detail.startswith(f"{found} root-activity records")
        else:
            assert found is None or found <= cap
            assert scan == scan_log_bytes(data, fast=fast, max_root_records=None)


def test_past_the_cap_the_strings_of_root_records_are_not_kept() -> None:
    # Unique long strings in every root record past the cap: counted, never held (the
    # memo of shared strings is dropped with the hits).
    records = [
        json.dumps({"userIdentity": {"type": "Root"}, "userAgent": f"{n:06d}" + "u" * 400})
        for n in range(3000)
    ]
    data = ("{" + '"Records":[' + ",".join(records) + "]}").encode()
    keep = fs._Keep(RecordFilter(), None, None, 10)
    for index, record in enumerate(json.loads(data)["Records"]):
        hit = keep(record, index)
        assert hit is not None
        keep.hold(hit)
    assert keep.strings is None
    assert keep.hits == []
    with pytest.raises(fs.ReadFailure, match="3000 root-activity records"):
        keep.held()
    scan = scan_log_bytes(data, max_root_records=10)
    assert scan.failure is FailureReason.TOO_MANY_ROOT_RECORDS

"""CloudTrail record and log-file parsing: input shapes, exact round trips, errors."""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rootguard
from rootguard import CloudTrailEvent, ParseError, parse_cloudtrail_event, read_cloudtrail_file
from rootguard._cloudtrail import iter_raw_records
from tests.archive_gen import finishes_within, gzip_bomb
from tests.strategies import ct_json_values, ct_record_like, ct_records, ct_wrap

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CC = FIXTURES / "cloud-custodian"
AWSDOCS = FIXTURES / "awsdocs"


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


ROOT_SIGNIN = {
    "eventVersion": "1.05",
    "userIdentity": {
        "type": "Root",
        "principalId": "111122223333",
        "arn": "arn:aws:iam::111122223333:root",
        "accountId": "111122223333",
        "accessKeyId": "",
    },
    "eventTime": "2022-11-10T16:24:34Z",
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "192.0.2.0",
    "userAgent": "Mozilla/5.0",
    "requestParameters": None,
    "responseElements": {"ConsoleLogin": "Success"},
    "additionalEventData": {"MFAUsed": "No", "MobileVersion": "No"},
    "eventID": "deb1e1f9-c99b-4612-8e9f-21f93b5d79c0",
    "eventType": "AwsConsoleSignIn",
    "recipientAccountId": "111122223333",
}

# A CloudTrail digest file, with the fields the CloudTrail user guide documents.
DIGEST = {
    "awsAccountId": "111122223333",
    "digestStartTime": "2015-08-17T14:01:31Z",
    "digestEndTime": "2015-08-17T15:01:31Z",
    "digestS3Bucket": "S3-bucket-name",
    "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/"
    "111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
    "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
    "digestSignatureAlgorithm": "SHA256withRSA",
    "newestEventTime": "2015-08-17T14:52:27Z",
    "oldestEventTime": "2015-08-17T14:42:27Z",
    "previousDigestS3Bucket": "S3-bucket-name",
    "previousDigestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/"
    "111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T140131Z.json.gz",
    "previousDigestHashValue": "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d",
    "previousDigestHashAlgorithm": "SHA-256",
    "previousDigestSignature": "50887ab7b4c0d2d7a4a1d8cbff8e8a1e",
    "logFiles": [],
}


# ----------------------------------------------------------------------------- input shapes


def test_raw_record_fields_are_typed() -> None:
    ev = parse_cloudtrail_event(ROOT_SIGNIN)
    assert ev.event_name == "ConsoleLogin"
    assert ev.user_identity is not None
    assert ev.user_identity.type == "Root"
    assert ev.user_identity.access_key_id == ""
    assert ev.event_time == datetime(2022, 11, 10, 16, 24, 34, tzinfo=timezone.utc)
    assert ev.source_ip_address == "192.0.2.0"
    assert ev.event_id == "deb1e1f9-c99b-4612-8e9f-21f93b5d79c0"
    assert ev.additional_event_data == {"MFAUsed": "No", "MobileVersion": "No"}


def test_record_as_json_text_and_bytes() -> None:
    text = json.dumps(ROOT_SIGNIN)
    assert parse_cloudtrail_event(text) == parse_cloudtrail_event(ROOT_SIGNIN)
    assert parse_cloudtrail_event(text.encode()).to_record() == ROOT_SIGNIN


def test_eventbridge_envelope_sample_gives_its_detail() -> None:
    envelope = _load(CC / "cwe__event-cloud-trail-create-bucket.json")
    ev = parse_cloudtrail_event(envelope)
    assert ev.event_name == "CreateBucket"
    assert ev.user_identity is not None
    assert ev.user_identity.type == "Root"
    assert ev.to_record() == envelope["detail"]
    assert "detail-type" not in ev.to_record()


@pytest.mark.parametrize(
    "detail_type",
    [
        "AWS API Call via CloudTrail",
        "AWS Console Sign In via CloudTrail",
        "AWS Service Event via CloudTrail",
        "AWS Console Action via CloudTrail",
        "aws api call via cloudtrail",
    ],
)
def test_eventbridge_detail_types(detail_type: str) -> None:
    envelope = ct_wrap(ROOT_SIGNIN, "eventbridge") | {"detail-type": detail_type}
    assert parse_cloudtrail_event(envelope).to_record() == ROOT_SIGNIN


def test_eventbridge_tolerant_variants() -> None:
    # detailType spelling and detail as JSON text (PutEvents entries)
    envelope = {"detailType": "Something new", "source": "aws.signin", "detail": ROOT_SIGNIN}
    assert parse_cloudtrail_event(envelope).event_name == "ConsoleLogin"
    as_text = {"detail-type": "AWS API Call via CloudTrail", "detail": json.dumps(ROOT_SIGNIN)}
    assert parse_cloudtrail_event(as_text).to_record() == ROOT_SIGNIN


def test_eventbridge_event_that_is_not_cloudtrail_is_refused() -> None:
    envelope = {
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "detail": {"instance-id": "i-1234567890abcdef0", "state": "running"},
    }
    with pytest.raises(ParseError) as info:
        parse_cloudtrail_event(envelope)
    assert info.value.column == "detail-type"


def test_eventbridge_detail_not_an_object() -> None:
    with pytest.raises(ParseError) as info:
        parse_cloudtrail_event({"detail-type": "AWS API Call via CloudTrail", "detail": [1]})
    assert info.value.column == "detail"


def test_lookup_events_item() -> None:
    item = ct_wrap(ROOT_SIGNIN, "lookup")
    assert isinstance(item["EventTime"], datetime)  # boto3 gives a datetime here
    ev = parse_cloudtrail_event(item)
    assert ev.to_record() == ROOT_SIGNIN
    assert ev == parse_cloudtrail_event(ROOT_SIGNIN)


def test_lookup_events_item_with_bad_json() -> None:
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_cloudtrail_event({"EventId": "x", "CloudTrailEvent": "{not json"})
    with pytest.raises(ParseError) as info:
        parse_cloudtrail_event({"EventId": "x", "CloudTrailEvent": "[1, 2]"})
    assert info.value.column == "CloudTrailEvent"


def test_unknown_fields_are_kept_everywhere() -> None:
    record = ROOT_SIGNIN | {
        "someFutureField": {"a": [1, 2]},
        "userIdentity": ROOT_SIGNIN["userIdentity"] | {"newIdentityField": "x"},
    }
    ev = parse_cloudtrail_event(record)
    assert ev.model_extra == {"someFutureField": {"a": [1, 2]}}
    assert ev.user_identity is not None
    assert ev.user_identity.model_extra == {"newIdentityField": "x"}
    assert ev.to_record() == record


def test_snake_case_keys_are_unknown_fields_not_model_fields() -> None:
    # A record is read by its AWS names only: "event_name" must not fill eventName.
    ev = parse_cloudtrail_event({"event_name": "Sneaky", "eventName": "ConsoleLogin"})
    assert ev.event_name == "ConsoleLogin"
    assert ev.model_extra == {"event_name": "Sneaky"}
    assert ev.to_record() == {"event_name": "Sneaky", "eventName": "ConsoleLogin"}


# ----------------------------------------------------------------------------- round trips


def test_non_canonical_spellings_survive_to_record() -> None:
    # Times with milliseconds or an offset, booleans as strings or JSON booleans.
    record = {
        "eventTime": "2022-03-16T19:17:41.000+00:00",
        "readOnly": "true",
        "sessionCredentialFromConsole": True,
        "userIdentity": {
            "type": "Root",
            "sessionContext": {"attributes": {"creationDate": "2019-01-01T00:00:00.000Z"}},
        },
    }
    ev = parse_cloudtrail_event(record)
    assert ev.read_only is True
    assert ev.session_credential_from_console is True
    assert ev.to_record() == record
    again = parse_cloudtrail_event(ev.model_dump_json(by_alias=True, exclude_unset=True))
    assert again.to_record() == record
    assert again == ev


def test_to_record_is_a_copy() -> None:
    ev = parse_cloudtrail_event(json.dumps(ROOT_SIGNIN))
    first = ev.to_record()
    first["userIdentity"]["type"] = "IAMUser"
    assert ev.to_record() == ROOT_SIGNIN


def test_input_mapping_mutated_later_does_not_change_the_event() -> None:
    record = json.loads(json.dumps(ROOT_SIGNIN))
    ev = parse_cloudtrail_event(record)
    record["userIdentity"]["type"] = "IAMUser"
    assert ev.to_record()["userIdentity"]["type"] == "Root"


def test_model_copy_with_update_drops_the_original_record() -> None:
    ev = parse_cloudtrail_event(ROOT_SIGNIN)
    changed = ev.model_copy(update={"event_name": "Other"})
    assert changed.to_record()["eventName"] == "Other"
    assert ev.model_copy().to_record() == ROOT_SIGNIN


def test_model_built_in_python_dumps_its_set_fields() -> None:
    ev = CloudTrailEvent(event_name="ListBuckets", read_only=True)
    assert ev.to_record() == {"eventName": "ListBuckets", "readOnly": True}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(record=ct_records())
def test_round_trip_is_exact(record: dict[str, Any]) -> None:
    ev = parse_cloudtrail_event(record)
    assert ev.to_record() == record
    text = json.dumps(record)
    from_text = parse_cloudtrail_event(text)
    assert from_text == ev
    assert json.loads(json.dumps(from_text.to_record())) == record
    # the by-alias JSON dump is the record itself
    assert json.loads(ev.model_dump_json(by_alias=True, exclude_unset=True)) == record
    # and the typed dump, by field name, validates back to an equal model
    assert CloudTrailEvent.model_validate_json(ev.model_dump_json()) == ev


@settings(max_examples=60)
@given(record=ct_records(), how=st.sampled_from(["eventbridge", "lookup"]))
def test_envelopes_give_the_inner_record(record: dict[str, Any], how: str) -> None:
    assert parse_cloudtrail_event(ct_wrap(record, how)).to_record() == record


# ----------------------------------------------------------------------------- parse errors


@pytest.mark.parametrize(
    "data",
    [
        "",
        "not json",
        b"\xff\xfe\x00garbage",
        "[1, 2]",
        "null",
        "42",
        '{"eventTime": "yesterday"}',
        {"userIdentity": "Root"},
        {"userIdentity": {"type": 5}},
        {"resources": "all"},
        {"eventTime": "redacted"},
        "[" * 100_000,
    ],
)
def test_unparseable_input_raises_parse_error(data: Any) -> None:
    with pytest.raises(ParseError):
        parse_cloudtrail_event(data)


def test_parse_error_names_the_field_and_value() -> None:
    with pytest.raises(ParseError) as info:
        parse_cloudtrail_event({"eventName": "X", "eventTime": "redacted"})
    assert info.value.column == "eventTime"
    assert info.value.value == "'redacted'"


def test_parse_error_is_a_rootguard_error() -> None:
    with pytest.raises(rootguard.RootGuardError):
        parse_cloudtrail_event("{")


@settings(max_examples=300)
@given(data=st.one_of(ct_json_values, ct_record_like, st.text(), st.binary()))
def test_parse_never_raises_anything_but_parse_error(data: Any) -> None:
    for candidate in (data, json.dumps(data) if not isinstance(data, bytes) else data):
        try:
            ev = parse_cloudtrail_event(candidate)
        except ParseError:
            continue
        assert isinstance(ev, CloudTrailEvent)


# ----------------------------------------------------------------------------- log files


def _log(records: list[Any]) -> bytes:
    return json.dumps({"Records": records}).encode()


def test_read_plain_and_gzip_bytes() -> None:
    pair = _load(AWSDOCS / "iam-user-guide__cloudtrail-track-privileged-tasks__records.json")
    for data in (_log(pair), gzip.compress(_log(pair), mtime=0)):
        events = list(read_cloudtrail_file(data))
        assert [ev.event_name for ev in events] == ["AssumeRoot", "DeleteBucketPolicy"]
        assert [ev.to_record() for ev in events] == pair


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path: Path) -> None:
    gz_named_plain = tmp_path / "111122223333_CloudTrail_us-east-1_20240101T0000Z_x.json.gz"
    gz_named_plain.write_bytes(_log([ROOT_SIGNIN]))
    json_named_gzip = tmp_path / "log.json"
    json_named_gzip.write_bytes(gzip.compress(_log([ROOT_SIGNIN]), mtime=0))
    for path in (gz_named_plain, json_named_gzip, str(json_named_gzip)):
        assert [ev.to_record() for ev in read_cloudtrail_file(path)] == [ROOT_SIGNIN]


def test_multi_member_gzip() -> None:
    data = gzip.compress(b'{"Records": [', mtime=0) + gzip.compress(
        json.dumps(ROOT_SIGNIN).encode() + b"]}"
    )
    assert [ev.event_name for ev in read_cloudtrail_file(data)] == ["ConsoleLogin"]


def test_empty_records() -> None:
    assert list(read_cloudtrail_file(b'{"Records": []}')) == []


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.json.gz"
    path.write_bytes(gzip.compress(_log([ROOT_SIGNIN] * 20), mtime=0)[:-12])
    with pytest.raises(ParseError, match="truncated gzip") as info:
        read_cloudtrail_file(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)


def test_corrupt_gzip() -> None:
    with pytest.raises(ParseError, match="corrupt gzip") as info:
        read_cloudtrail_file(b"\x1f\x8b\x08\x00garbagegarbagegarbage", name="bad.gz")
    assert info.value.source == "bad.gz"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b"<html>not json</html>", "not valid JSON"),
        (b'{"Records": [', "not valid JSON"),
        (b"[1, 2]", "expected an object"),
        (b'{"records": []}', 'no "Records"'),
        (b'{"Records": {"a": 1}}', '"Records" is not an array'),
        (json.dumps(DIGEST).encode(), "digest file"),
        (gzip.compress(json.dumps(DIGEST).encode(), mtime=0), "digest file"),
        (b'{"digestS3Object": "x"}', "digest file"),
    ],
)
def test_file_errors_name_file_and_problem(content: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        read_cloudtrail_file(content, name="s3://bucket/AWSLogs/x.json.gz")
    assert info.value.source == "s3://bucket/AWSLogs/x.json.gz"
    assert info.value.line is None


def test_errors_are_raised_at_call_time_not_first_iteration() -> None:
    with pytest.raises(ParseError):
        read_cloudtrail_file(b"nope")  # no list(), no next()
    with pytest.raises(ParseError):
        iter_raw_records(b"nope")


def test_bytes_default_name() -> None:
    with pytest.raises(ParseError) as info:
        read_cloudtrail_file(b"nope")
    assert info.value.source == "<bytes>"


def test_invalid_record_names_file_and_index() -> None:
    data = _log([ROOT_SIGNIN, ROOT_SIGNIN, {"eventTime": "redacted"}])
    events = read_cloudtrail_file(data, name="f.json")
    assert next(events).event_name == "ConsoleLogin"
    with pytest.raises(ParseError) as info:
        list(events)
    assert (info.value.source, info.value.line, info.value.column) == ("f.json", 2, "eventTime")


def test_record_that_is_not_an_object() -> None:
    with pytest.raises(ParseError) as info:
        list(read_cloudtrail_file(_log([ROOT_SIGNIN, "text"]), name="f.json"))
    assert (info.value.source, info.value.line) == ("f.json", 1)
    with pytest.raises(ParseError) as info:
        list(iter_raw_records(_log([ROOT_SIGNIN, 3]), name="f.json"))
    assert info.value.line == 1


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json.gz"
    with pytest.raises(ParseError, match="cannot read file") as info:
        read_cloudtrail_file(path)
    assert info.value.source == str(path)


def test_source_of_wrong_type() -> None:
    with pytest.raises(ParseError):
        read_cloudtrail_file(123)  # type: ignore[arg-type]


def test_iter_raw_records_yields_the_dicts() -> None:
    pair = _load(AWSDOCS / "iam-user-guide__cloudtrail-track-privileged-tasks__records.json")
    raw = list(iter_raw_records(gzip.compress(_log(pair), mtime=0)))
    assert raw == pair
    assert all(type(record) is dict for record in raw)
    # no model validation: an invalid timestamp is passed through as is
    assert list(iter_raw_records(_log([{"eventTime": "redacted"}]))) == [{"eventTime": "redacted"}]


def test_iter_raw_records_is_private_api() -> None:
    import rootguard._cloudtrail as module

    assert "iter_raw_records" in module.__all__
    assert "iter_raw_records" not in rootguard.__all__


@settings(max_examples=200)
@given(data=st.binary(max_size=200))
def test_read_never_raises_anything_but_parse_error_on_bytes(data: bytes) -> None:
    for candidate in (
        data,
        gzip.compress(data, mtime=0),
        gzip.compress(data, mtime=0)[: len(data) // 2 + 10],
    ):
        try:
            for ev in read_cloudtrail_file(candidate):
                assert isinstance(ev, CloudTrailEvent)
        except ParseError:
            pass


@settings(max_examples=200)
@given(document=st.one_of(ct_json_values, st.dictionaries(st.just("Records"), ct_record_like)))
def test_read_never_raises_anything_but_parse_error_on_json(document: Any) -> None:
    data = json.dumps(document).encode()
    try:
        events = list(read_cloudtrail_file(data))
    except ParseError:
        return
    assert isinstance(document, dict)
    assert len(events) == len(document["Records"])


# ---------------------------------------------------------------------------------------
# Hostile files: size caps, files that are not regular files
# ---------------------------------------------------------------------------------------


def test_read_cloudtrail_file_caps_the_decompressed_size(tmp_path: Path) -> None:
    bomb = gzip_bomb(5_000_000)  # 5 MB of valid JSON in a few KB
    for source in (bomb, _write(tmp_path / "bomb.json.gz", bomb)):
        with pytest.raises(ParseError, match="too large: decompresses to more than 1000000"):
            read_cloudtrail_file(source, max_file_bytes=1_000_000)
        with pytest.raises(ParseError, match="too large"):
            iter_raw_records(source, max_file_bytes=1_000_000)
    # Under a cap it fits, or without one: read in full.
    assert len(list(iter_raw_records(bomb, max_file_bytes=None))) > 50_000
    assert len(list(iter_raw_records(bomb, max_file_bytes=6_000_000))) > 50_000


def test_read_cloudtrail_file_caps_the_stored_size(tmp_path: Path) -> None:
    data = _log([ROOT_SIGNIN] * 40)
    path = _write(tmp_path / "big.json", data)
    for source in (data, path):
        with pytest.raises(ParseError, match=f"too large: {len(data)} bytes, over the limit"):
            read_cloudtrail_file(source, max_file_bytes=len(data) - 1)
        assert len(list(read_cloudtrail_file(source, max_file_bytes=len(data)))) == 40


@pytest.mark.parametrize("cap", [0, -1, 1.5, "10", True])
def test_read_cloudtrail_file_refuses_a_bad_cap(cap: Any) -> None:
    with pytest.raises(ParseError, match="max_file_bytes must be"):
        read_cloudtrail_file(b'{"Records": []}', max_file_bytes=cap)


@pytest.mark.parametrize("cap", [0, -1, 1.5, "10", True])
def test_read_cloudtrail_file_refuses_a_bad_record_cap(cap: Any) -> None:
    with pytest.raises(ParseError, match="max_record_bytes must be"):
        read_cloudtrail_file(b'{"Records": []}', max_record_bytes=cap)


def test_read_cloudtrail_file_refuses_a_record_over_the_record_cap(tmp_path: Path) -> None:
    # A record of 5 MB of [[],[],...] (json.loads: about 110 MB) is never decoded: the
    # file is refused, naming the record and where it starts. The others are fine.
    small = json.dumps(ROOT_SIGNIN).encode()
    big = b'{"pad":[' + b",".join([b"[]"] * 1_700_000) + b"]}"
    data = b'{"Records": [' + small + b", " + big + b"]}"
    path = _write(tmp_path / "pad.json.gz", gzip.compress(data, mtime=0))
    for source in (data, path):
        with pytest.raises(ParseError, match="record too large") as info:
            read_cloudtrail_file(source, max_record_bytes=1 << 20)
        assert "Records[1] (byte offset " + str(15 + len(small)) + ")" in str(info.value)
        assert info.value.source == (str(path) if source == path else "<bytes>")
        with pytest.raises(ParseError, match="record too large"):
            iter_raw_records(source)  # the default cap: 1 MiB
    assert len(list(iter_raw_records(data, max_record_bytes=None))) == 2


def test_record_cap_boundary_is_exact() -> None:
    record = json.dumps(ROOT_SIGNIN, separators=(",", ":")).encode()
    data = b'{"Records":[' + record + b"]}"
    assert [ev.event_id for ev in read_cloudtrail_file(data, max_record_bytes=len(record))] == [
        ROOT_SIGNIN["eventID"]
    ]
    with pytest.raises(ParseError, match=f"is {len(record)} bytes, over the limit"):
        read_cloudtrail_file(data, max_record_bytes=len(record) - 1)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    # json.loads accepts them by default; JSON does not (RFC 8259), and neither does the
    # archive scan's fast decoder: refused everywhere, so no file can pick the path.
    record = json.dumps(ROOT_SIGNIN)[:-1] + f', "n": {constant}}}'
    with pytest.raises(ParseError, match=f"{constant.lstrip('-')} is not valid JSON"):
        read_cloudtrail_file(f'{{"Records": [{record}]}}'.encode())
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_cloudtrail_event(record)
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_cloudtrail_event({"EventId": "x", "CloudTrailEvent": record})


def test_read_cloudtrail_file_never_blocks_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "log.json.gz"
    os.mkfifo(fifo)

    def read() -> str:
        with pytest.raises(ParseError) as info:
            read_cloudtrail_file(fifo)
        return info.value.message

    message = finishes_within(10, read, unblock=fifo)
    assert message == "cannot read file: not a regular file: a FIFO (named pipe)"


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/dev/zero", "a character device"), ("/dev/null", "a character device")],
)
def test_read_cloudtrail_file_refuses_devices(path: str, kind: str) -> None:
    def read() -> None:
        read_cloudtrail_file(path)

    with pytest.raises(ParseError, match=f"not a regular file: {kind}"):
        finishes_within(10, read)


def test_read_cloudtrail_file_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="not a regular file: a directory") as info:
        read_cloudtrail_file(tmp_path)
    assert info.value.source == str(tmp_path)


def test_read_cloudtrail_file_symlinks(tmp_path: Path) -> None:
    target = _write(tmp_path / "real.json", _log([ROOT_SIGNIN]))
    (tmp_path / "link.json").symlink_to(target)
    assert [ev.to_record() for ev in read_cloudtrail_file(tmp_path / "link.json")] == [ROOT_SIGNIN]
    (tmp_path / "dangling.json").symlink_to(tmp_path / "nowhere")
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    with pytest.raises(ParseError, match="No such file"):
        read_cloudtrail_file(tmp_path / "dangling.json")
    with pytest.raises(ParseError, match="symbolic links"):
        read_cloudtrail_file(tmp_path / "a.json")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path

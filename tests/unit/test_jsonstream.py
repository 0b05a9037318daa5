"""The log reader that decodes one record at a time (rootguard._jsonstream) against json.

The reference is ``json.loads`` of the whole document (with ``NaN`` and ``Infinity``
refused): the reader must read exactly the same records, refuse exactly the same
documents, and — with a record cap — differ only by refusing a document that has a piece
over the cap. The bracket scanner's slices of any valid array must decode to its
elements, and on any bytes it must give slices or a clean error.
"""

from __future__ import annotations

import contextlib
import json
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rootguard import _jsonstream
from rootguard._jsonstream import (
    DIGEST_KEYS,
    MAX_DEPTH,
    PASSED,
    RESTART,
    LogFormatError,
    Problem,
    StructureError,
    Unread,
    array_elements,
    iter_log_records,
    loads,
    value_end,
)
from tests.strategies import (
    js_damaged_documents,
    js_log_documents,
    js_python,
    js_render,
    js_trees,
)


def read(
    data: bytes, cap: int | None = None, max_records: int | None = None
) -> list[Any] | tuple[str, str]:
    """The records the reader gives (the last Records array), or (problem, detail)."""
    records: list[Any] = []
    try:
        for item in iter_log_records(data, max_record_bytes=cap, max_records=max_records):
            if item is RESTART:
                records = []
            else:
                records.append(item)
    except LogFormatError as exc:
        return exc.problem, exc.detail
    return records


def expected(data: bytes) -> list[Any] | str:
    """What ``json.loads`` of the whole document says: the records, or the problem."""
    try:
        document = loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return Problem.NOT_JSON
    if not isinstance(document, dict):
        return Problem.NO_RECORDS
    if "Records" not in document:
        return Problem.DIGEST if not DIGEST_KEYS.isdisjoint(document) else Problem.NO_RECORDS
    if not isinstance(document["Records"], list):
        return Problem.INVALID_RECORDS
    records: list[Any] = document["Records"]
    return records


def verdict(outcome: list[Any] | tuple[str, str]) -> list[Any] | str:
    return outcome[0] if isinstance(outcome, tuple) else outcome


# ---------------------------------------------------------------------------------------
# The reader reads what json reads
# ---------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=js_log_documents())
def test_reader_reads_exactly_what_json_reads(document: tuple[bytes, int, int]) -> None:
    data = _, _, _ = document
    data = document[0]
    assert verdict(read(data)) == expected(data)
    # A cap at least as large as every piece changes nothing.
    assert verdict(read(data, cap=document[1])) == expected(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=js_log_documents(), cap=st.integers(1, 64))
def test_a_record_cap_only_refuses_what_is_over_it(
    document: tuple[bytes, int, int], cap: int
) -> None:
    data, largest, _ = document
    outcome = read(data, cap=cap)
    if largest <= cap:
        assert verdict(outcome) == expected(data)
    elif isinstance(outcome, tuple) and outcome[0] == Problem.RECORD_TOO_LARGE:
        # It names a piece that is over the cap, at its byte offset.
        offset = int(outcome[1].split("(byte offset ")[1].split(")")[0])
        end = value_end(data, offset)
        assert end - offset > cap
    else:
        assert verdict(outcome) == expected(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=js_log_documents(), limit=st.integers(0, 8))
def test_record_count_cap(document: tuple[bytes, int, int], limit: int) -> None:
    data, _, records = document
    outcome = read(data, max_records=limit)
    if records > limit:
        assert verdict(outcome) == Problem.TOO_MANY_RECORDS
    else:
        assert verdict(outcome) == expected(data)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=js_damaged_documents(), cap=st.one_of(st.none(), st.integers(1, 40)))
@example(data=b'{"Records":[{"a":NaN}]}', cap=None)
@example(data=b'{"Records":[1,]}', cap=None)
@example(data=b'{"Records":[{"a":1}] ', cap=None)
@example(data=b'{"Records":[{"a":"\xff"}]}', cap=None)
@example(data=b'{"Records":[{"a":"\\ud800"}]}', cap=None)
@example(data=b'\xef\xbb\xbf{"Records":[]}', cap=None)
@example(data=b"\xef\xbb\xbf", cap=None)
@example(data=b'{"Records":[' + b"[" * 3000 + b"]" * 3000 + b"]}", cap=None)
@example(data=b'{"Records":[' + b"[" * 3000 + b"]" * 3000 + b"]}", cap=100)
@example(data=b'{"Records":[{"a":1' + b"0" * 5000 + b"}]}", cap=None)
@example(data='{"Records":[{"é":"\U0001f600"}]}'.encode("utf-16"), cap=None)
@example(data='{"Records":[{"é":"\U0001f600"}]}'.encode("utf-32-le"), cap=None)
def test_damaged_documents_same_verdict_as_json_never_crash(data: bytes, cap: int | None) -> None:
    outcome = read(data, cap=cap)  # never anything but LogFormatError
    if cap is None:
        assert verdict(outcome) == expected(data)
    elif not isinstance(expected(data), str):
        # json reads it: so does the reader, unless a piece is over the cap.
        assert verdict(outcome) in (expected(data), Problem.RECORD_TOO_LARGE)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    data = f'{{"Records":[{{"a":[1,{constant}]}}]}}'.encode()
    assert json.loads(data)  # the standard library accepts them by default
    problem, detail = read(data)  # type: ignore[misc]
    assert problem == Problem.NOT_JSON
    assert f"{constant.lstrip('-')} is not valid JSON" in detail
    with pytest.raises(ValueError, match="is not valid JSON"):
        loads(data)


def test_records_are_decoded_one_at_a_time_never_past_the_cap() -> None:
    # A 5 MB record of [[],[],...] costs json.loads about 110 MB; with a 1 MiB cap the
    # reader never decodes more than the cap of it, and says which record it was.
    cap = 1 << 20
    small = json.dumps({"eventName": "ListBuckets"}).encode()
    big = b'{"pad":[' + b",".join([b"[]"] * 1_700_000) + b"]}"
    data = b'{"Records":[' + small + b"," + big + b"]}"
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        problem, detail = read(data, cap=cap)  # type: ignore[misc]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problem == Problem.RECORD_TOO_LARGE
    assert detail.startswith(f"Records[1] (byte offset {13 + len(small)}) is more than {cap}")
    assert peak < 8_000_000  # a window's worth of objects (128 KiB of text), not 110 MB


def test_window_cuts_fall_anywhere_in_records() -> None:
    # Records of every size around the cap, multi-byte characters at the window's edges.
    for cap in (16, 17, 31, 64, 100):
        records = [{"k": "é" * n + "\U0001f600" * (n % 3)} for n in range(40)]
        data = json.dumps({"Records": records}, ensure_ascii=False).encode()
        sizes = [len(json.dumps(r, ensure_ascii=False).encode()) for r in records]
        outcome = read(data, cap=cap)
        if max(sizes) <= cap:
            assert outcome == records
        else:
            first = next(i for i, size in enumerate(sizes) if size > cap)
            assert outcome[0] == Problem.RECORD_TOO_LARGE
            assert outcome[1].startswith(f"Records[{first}] ")
    data = json.dumps({"Records": [{"k": "é" * 30}] * 50}, ensure_ascii=False).encode()
    assert read(data, cap=80) == [{"k": "é" * 30}] * 50


def test_a_second_records_key_wins_as_in_json() -> None:
    data = b'{"Records":[{"a":1},{"b":2}],"x":0,"Records":[{"c":3}]}'
    assert read(data) == [{"c": 3}] == json.loads(data)["Records"]
    items = list(iter_log_records(data, max_record_bytes=None))
    assert items == [{"a": 1}, {"b": 2}, RESTART, {"c": 3}]


def test_digest_file_with_a_value_over_the_cap_is_still_a_digest() -> None:
    files = ",".join(f'{{"s3Object":"AWSLogs/{n}.json.gz"}}' for n in range(200))
    data = f'{{"digestStartTime":"2024-01-01T00:00:00Z","logFiles":[{files}]}}'.encode()
    assert read(data, cap=100)[0] == Problem.DIGEST
    # In a log file, such a value is refused.
    data = b'{"Records":[],' + data[1:]
    assert read(data, cap=100)[0] == Problem.RECORD_TOO_LARGE


def test_pass_over_sees_identity_and_event_name_without_decoding() -> None:
    # A record over the cap: the caller sees its userIdentity.type and eventName (short
    # values decoded, escapes and repeated keys as json reads them, long ones as
    # Unread), and may let it pass; nothing else of it is decoded.
    pad = b",".join([b"[]"] * 2000)
    record = (
        b'{"pad":[' + pad + b'],"userIdentity":{"arn":[' + pad + b'],"type":"x",'
        b'"t\\u0079pe":"IAMUser"},"eventName":"' + b"n" * 2000 + b'","eventName":"Get"}'
    )
    data = b'{"Records":[{"a":1},' + record + b',{"b":2}]}'
    seen: list[dict[str, Any]] = []

    def let_pass(fields: dict[str, Any]) -> bool:
        seen.append(fields)
        return True

    items = list(iter_log_records(data, max_record_bytes=1000, pass_over=let_pass))
    assert items == [{"a": 1}, PASSED, {"b": 2}]
    assert seen == [{"userIdentity": {"type": "IAMUser"}, "eventName": "Get"}]
    refused = read(data, cap=1000)
    assert isinstance(refused, tuple)
    assert refused[0] == Problem.RECORD_TOO_LARGE
    # Long values are not decoded: their type and size only.
    data = b'{"Records":[{"userIdentity":{"type":"' + b"R" * 2000 + b'"},"pad":[' + pad + b"]}]}"
    list(iter_log_records(data, max_record_bytes=1000, pass_over=let_pass))
    unread = seen[-1]["userIdentity"]["type"]
    assert isinstance(unread, Unread)
    assert (unread.type_name, unread.size) == ("str", 2002)


@pytest.mark.parametrize(
    ("data", "problem", "words"),
    [
        (b"[1,2]", Problem.NO_RECORDS, "the JSON document is a list"),
        (b"[" + b"1," * 100 + b"1]", Problem.NO_RECORDS, "the JSON document is a list"),
        (b'{"a":1,"b":2}', Problem.NO_RECORDS, 'no "Records" key (keys: a, b)'),
        (b'{"Records":{"a":1}}', Problem.INVALID_RECORDS, '"Records" is a dict, not an array'),
        (b'{"Records":"' + b"x" * 100 + b'"}', Problem.INVALID_RECORDS, '"Records" is a str'),
        (b'{"Records":[]} []', Problem.NOT_JSON, "Extra data"),
        (b'{"Records":[{"a":1} {"b":2}]}', Problem.NOT_JSON, "Expecting ',' delimiter"),
        (b'{"Records":[{"a":"\xff"}]}', Problem.NOT_JSON, "not UTF-8 text"),
        (b'{"' + b"k" * 100 + b'":1}', Problem.RECORD_TOO_LARGE, "a key of the document"),
    ],
)
def test_problems_are_named(data: bytes, problem: str, words: str) -> None:
    outcome = read(data, cap=64)
    assert isinstance(outcome, tuple)
    assert outcome[0] == problem
    assert words in outcome[1]


def test_not_json_names_line_and_column() -> None:
    data = b'{"Records": [\n  {"a": 1},\n  {"b": 2,}\n]}'
    problem, detail = read(data)  # type: ignore[misc]
    assert problem == Problem.NOT_JSON
    assert detail.endswith("(line 3, column 11)")


# ---------------------------------------------------------------------------------------
# The bracket scanner
# ---------------------------------------------------------------------------------------

SCANNERS = ["runs", "portable"]
"""The scanner skips whole strings and shallow containers with possessive regexes on
Python 3.11+ ("runs"), and steps bracket by bracket without them (Python 3.10)."""


@contextlib.contextmanager
def scanner(kind: str) -> Iterator[None]:
    with mock.patch.object(_jsonstream, "_RUNS", None if kind == "portable" else _jsonstream._RUNS):
        yield


def test_possessive_runs_are_used_where_python_has_them() -> None:
    import sys

    assert (_jsonstream._RUNS is not None) == (sys.version_info >= (3, 11))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees=st.lists(js_trees, max_size=8), data=st.data(), kind=st.sampled_from(SCANNERS))
def test_array_slices_decode_to_the_elements(
    trees: list[Any], data: st.DataObject, kind: str
) -> None:
    # On any valid JSON document {"Records": [...]}, the slices decoded one by one equal
    # json.loads(document)["Records"].
    records = "".join(data.draw(js_render(trees)))
    document = ('{"Records":' + records + "}").encode("utf-8", "surrogatepass")
    start = document.index(b"[")
    with scanner(kind):
        slices = list(array_elements(document, start))
    assert [loads(bytes(document[s:e])) for s, e in slices] == json.loads(document)["Records"]
    assert [loads(bytes(document[s:e])) for s, e in slices] == [js_python(t) for t in trees]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=64), js_damaged_documents()), stop=st.integers(0, 80))
@example(data=b'["\\', stop=0)  # ends inside an escape
def test_scanner_gives_slices_or_a_clean_error(data: bytes, stop: int) -> None:
    # Both scanners, the same answer; on any bytes, slices or StructureError.
    with scanner("portable"):
        portable = _scan_outcomes(data, stop)
    assert _scan_outcomes(data, stop) == portable


def _scan_outcomes(data: bytes, stop: int) -> list[Any]:
    outcomes: list[Any] = []
    start = data.find(b"[")
    if start >= 0:
        offset = -1
        try:
            for s, e in array_elements(data, start):
                assert start < s < e <= len(data)
                outcomes.append((s, e))
        except StructureError as exc:
            offset = exc.offset
        assert -1 <= offset <= len(data)
        outcomes.append(offset)
    for begin in range(min(len(data), 6)):
        try:
            end = value_end(data, begin, stop)
        except StructureError:
            outcomes.append("error")
            continue
        assert end == -1 or begin < end <= min(stop, len(data))
        outcomes.append(end)
    return outcomes


@pytest.mark.parametrize("kind", SCANNERS)
def test_scanner_follows_escaped_quotes_and_backslashes(kind: str) -> None:
    data = rb'["a\"]", "b\\", "\\\"", {"k]": "}\\"}, [[], {}]]'
    with scanner(kind):
        slices = list(array_elements(data, 0))
    assert [loads(data[s:e]) for s, e in slices] == json.loads(data)


@pytest.mark.parametrize("kind", SCANNERS)
def test_scanner_caps_the_depth(kind: str) -> None:
    deep = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    with scanner(kind):
        with pytest.raises(StructureError, match=f"nested more than {MAX_DEPTH} levels"):
            value_end(deep, 0)
        assert value_end(deep[1:-1], 0) == len(deep) - 2
        # Shallow subtrees skipped whole still count: one level too many is refused.
        wide = b"[" * (MAX_DEPTH - 3) + b"[[[[]]]]" + b"]" * (MAX_DEPTH - 3)
        with pytest.raises(StructureError, match="nested more than"):
            value_end(wide, 0)
        assert value_end(wide[1:-1], 0) == len(wide) - 2


@pytest.mark.parametrize("kind", SCANNERS)
@pytest.mark.parametrize(
    "shape",
    ["flood", "deep", "strings", "escapes", "unclosed", "unterminated"],
)
def test_scanner_time_is_linear(shape: str, kind: str) -> None:
    # A bound that proves "not quadratic": 2 MB of each hostile shape in well under a
    # second a megabyte (quadratic scanning would take hours).
    size = 2_000_000
    data = {
        "flood": b"[" + b",".join([b"[]"] * (size // 3)) + b"]",
        "deep": (b"[" * 100 + b"]" * 100 + b",") * (size // 201),
        "strings": b"[" + b'"abc",' * (size // 6) + b'""]',
        "escapes": b'"' + b'\\"' * (size // 2) + b'"',
        "unclosed": b"[" + b"{}," * (size // 3),
        "unterminated": b'["' + b"a" * size,
    }[shape]
    began = time.perf_counter()
    try:
        with scanner(kind):
            if shape == "deep":
                list(array_elements(b"[" + data + b"0]", 0))
            else:
                value_end(data, 0)
    except StructureError:
        assert shape in ("unclosed", "unterminated")
    assert time.perf_counter() - began < 20

"""CloudTrail log files for the archive scanner (rootguard._fastscan, rootguard._archive):
whole files, escaped and damaged."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.strategies.records import _CT_KEYS, ct_record_like, ct_records, ct_wrap

# Whole words that may be spelled with \u escapes inside JSON strings: decoded, they are the
# same text, but their bytes no longer contain the word (what a byte prefilter would miss).
_AS_ESCAPABLE = (
    ('"Root"', '"R\\u006fot"'),
    ('"AssumeRoot"', '"Assume\\u0052oot"'),
    ('"FederatedUser"', '"Federated\\u0055ser"'),
    ('"type"', '"typ\\u0065"'),
    ('"userIdentity"', '"user\\u0049dentity"'),
    ('"eventName"', '"eventN\\u0061me"'),
    ('"detail"', '"d\\u0065tail"'),
)


def as_escape(text: str, which: list[int]) -> str:
    """``text`` (JSON) with the chosen words spelled with ``\\u`` escapes (still valid JSON)."""
    for index in which:
        plain, escaped = _AS_ESCAPABLE[index]
        text = text.replace(plain, escaped)
    return text


as_records = st.one_of(
    ct_records(),
    ct_records(),
    st.tuples(ct_records(), st.sampled_from(["eventbridge", "lookup"])).map(
        lambda pair: (
            ct_wrap(pair[0], pair[1])
            if pair[1] == "eventbridge"
            else {**ct_wrap(pair[0], pair[1]), "EventTime": "2024-01-01T00:00:00Z"}
        )
    ),
    st.dictionaries(st.sampled_from(_CT_KEYS) | st.text(max_size=5), ct_record_like, max_size=4),
)


@st.composite
def as_log_files(draw: st.DrawFn) -> bytes:
    """A CloudTrail log file as bytes: compact (as CloudTrail writes it) or spaced, some
    words escaped, non-ASCII escaped or not, gzip-compressed or not."""
    import gzip
    import json

    records = draw(st.lists(as_records, max_size=8))
    document: dict[str, Any] = {"Records": records}
    if draw(st.booleans()):
        document = {"Records": records, "eventVersion": "extra top-level key"}
    style = draw(st.sampled_from(["compact", "spaced", "indented"]))
    ensure_ascii = draw(st.booleans())
    if style == "compact":
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=ensure_ascii)
    elif style == "spaced":
        text = json.dumps(document, ensure_ascii=ensure_ascii)
    else:
        text = json.dumps(document, indent=2, ensure_ascii=ensure_ascii)
    text = as_escape(
        text, draw(st.lists(st.integers(0, len(_AS_ESCAPABLE) - 1), max_size=4, unique=True))
    )
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = gzip.compress(data, mtime=0)
    return data


@st.composite
def as_damaged_files(draw: st.DrawFn) -> bytes:
    """A log file, then damaged: truncated, a byte changed, bytes inserted, garbage around,
    a byte-order mark, NaN, a non-object record, no Records ... or arbitrary bytes."""
    import gzip

    data = draw(as_log_files())
    how = draw(
        st.sampled_from(
            [
                "truncate",
                "flip",
                "insert",
                "prefix",
                "suffix",
                "bom",
                "nan",
                "raw",
                "digest",
                "not_object",
                "records_scalar",
                "record_scalar",
                "gzip_of_damaged",
            ]
        )
    )
    if how == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        index = draw(st.integers(0, len(data) - 1))
        return data[:index] + bytes([draw(st.integers(0, 255))]) + data[index + 1 :]
    if how == "insert":
        index = draw(st.integers(0, len(data)))
        return data[:index] + draw(st.binary(min_size=1, max_size=4)) + data[index:]
    if how == "prefix":
        return draw(st.sampled_from([b" ", b"\n", b"x", b"\x00", b"\xff"])) + data
    if how == "suffix":
        return data + draw(st.sampled_from([b" \n", b"x", b"]", b"\x00", b"{}"]))
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "nan":
        return b'{"Records":[{"eventName":"X","n":NaN,"userIdentity":{"type":"Root"}}]}'
    if how == "raw":
        return draw(st.binary(max_size=64))
    if how == "digest":
        return b'{"awsAccountId":"111122223333","digestStartTime":"2024-01-01T00:00:00Z",' + (
            b'"logFiles":[]}'
        )
    if how == "not_object":
        return draw(st.sampled_from([b"[]", b"1", b'"Records"', b"null"]))
    if how == "records_scalar":
        return draw(st.sampled_from([b'{"Records":1}', b'{"Records":null}', b'{"Records":{}}']))
    if how == "record_scalar":
        return draw(
            st.sampled_from([b'{"Records":[1]}', b'{"Records":[{}, null]}', b'{"Records":[[]]}'])
        )
    # gzip_of_damaged: damaged JSON, properly compressed
    inner = draw(st.binary(max_size=32))
    return gzip.compress(b'{"Records":[' + inner, mtime=0)

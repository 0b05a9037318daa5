"""A CloudTrail log file's JSON read one record at a time, in bounded memory (pure).

``json.loads`` of a whole log file builds every object of the file at once: about 4.5
times the text for CloudTrail records, and up to about 26 times for hostile shapes (56 MB
of ``{}`` records, or one record holding 56 MB of ``[[],[],...]``, cost 1.5 GB). This
module reads the document ``{"Records": [...]}`` value by value instead, and never lets
the standard library's decoder read more than one window of a record it cannot finish:

- The text is decoded to ``str`` in windows of ``WINDOW_BYTES`` (128 KiB, or
  ``max_record_bytes`` when smaller), cut at a character boundary — never as a whole:
  one astral character in 64 MB of ASCII would make the whole text cost 4 bytes a
  character.
- Each record is decoded by ``json.JSONDecoder.raw_decode`` where it starts: the decoder
  finds the record's end itself, at C speed. A record cut by the window's end is read
  again from a window that starts at it. A record longer than a window (AWS allows
  256 KB) is first measured by :func:`value_end` — a linear-time, string-aware bracket
  scanner that decodes nothing — and decoded from exactly its bytes when it is within
  ``max_record_bytes``.
- A record over the cap is refused (:attr:`Problem.RECORD_TOO_LARGE`) — unless the
  caller's ``pass_over`` lets it pass on what is read of it without decoding it (its
  ``userIdentity.type`` and ``eventName``): the archive scan lets a record pass that
  cannot be root activity, which it would never check anyway.
- Keys and the values of keys other than ``Records`` are decoded the same way, and
  discarded; such a value over the cap is passed over by the scanner while the document
  may be a digest file (skipped whole), and refused otherwise.

``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259): the decoder refuses them
(the standard library accepts them by default; msgspec does not), so that which path
reads a file never depends on them.

What is refused is raised as :class:`LogFormatError` (``problem``, ``detail``), at the
first problem in the order the document is read, then the problems known only at its
end. ``tests/unit/test_jsonstream.py`` proves with hypothesis that, without a cap, the
records read are exactly ``json.loads(document)["Records"]`` (the last ``Records`` key
winning, as in ``json``) and the documents refused exactly those ``json.loads`` refuses;
that a cap only refuses documents with a piece over it; and that the scanner's slices of
any valid array decode to its elements.
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

__all__ = [
    "DIGEST_KEYS",
    "MAX_DEPTH",
    "PASSED",
    "RESTART",
    "LogFormatError",
    "Problem",
    "StructureError",
    "Unread",
    "array_elements",
    "iter_log_records",
    "loads",
    "value_end",
]

MAX_DEPTH: Final = 1000
"""The scanner refuses values nested deeper than this — or than Python's recursion
limit, if that is higher. CloudTrail records are shallow; the bound is set where the
standard library's ``json`` and msgspec already refuse (both stop near the recursion
limit), so that the scanner never refuses a record a decoder would read: it measures
records longer than a window and passes over records over the cap, which the fast path
reads. Depth costs the scanner nothing but an integer; the bound ends a nesting bomb
(``[[[[...`` millions deep) after a thousand bytes."""

WINDOW_BYTES: Final = 128 * 1024
"""The text is decoded in windows of this many bytes (or of ``max_record_bytes``, when
smaller): the decoder never reads more than a window of a value it cannot finish, so a
hostile record costs at most the objects of one window (about 3 MB for ``[[],[],...]``)
before it is found to be over the cap. Records longer than a window (AWS allows 256 KB)
are measured by the scanner, then decoded from exactly their bytes."""

_MIN_WINDOW: Final = 16
_MAX_KEY_SHOWN: Final = 40

DIGEST_KEYS: Final = frozenset(
    {
        "digestStartTime",
        "digestEndTime",
        "digestS3Bucket",
        "digestS3Object",
        "digestPublicKeyFingerprint",
        "digestSignatureAlgorithm",
        "previousDigestS3Bucket",
        "previousDigestS3Object",
        "previousDigestHashValue",
        "previousDigestHashAlgorithm",
        "previousDigestSignature",
        "logFiles",
    }
)
"""Keys of a CloudTrail digest file: a document without ``Records`` holding one of them is a
digest file, not a log file."""


class Problem:
    """What is wrong with a log document (:attr:`LogFormatError.problem`)."""

    NOT_JSON: Final = "not_json"
    NO_RECORDS: Final = "no_records"
    DIGEST: Final = "digest"
    INVALID_RECORDS: Final = "invalid_records"
    RECORD_TOO_LARGE: Final = "record_too_large"
    TOO_MANY_RECORDS: Final = "too_many_records"


class LogFormatError(Exception):
    """The document is not a readable log file: ``problem`` (a :class:`Problem` value)
    and ``detail`` (what exactly, and where)."""

    def __init__(self, problem: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


class StructureError(Exception):
    """:func:`value_end` found no JSON value at ``offset`` (``message`` says why)."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"{message} (byte offset {offset})")
        self.offset = offset
        self.message = message


class _Constant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _Constant(f"{name} is not valid JSON")


_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads`` that refuses ``NaN``, ``Infinity`` and ``-Infinity``.

    Raises:
        ValueError: not JSON (``json.JSONDecodeError`` with a position, or a plain
            ``ValueError`` naming the constant).
        UnicodeDecodeError: bytes that are not text in the detected encoding.
        RecursionError: nested too deeply for the decoder.
    """
    if isinstance(text, (bytes, bytearray)):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    return _DECODER.decode(text)


# ---------------------------------------------------------------------------------------
# The bracket scanner: where a value ends, by its structure alone
# ---------------------------------------------------------------------------------------

_QUOTE: Final = 0x22
_BACKSLASH: Final = 0x5C
_OPEN: Final = (0x5B, 0x7B)  # [ {
_CLOSE: Final = (0x5D, 0x7D)  # ] }
# Single-character-class repeats only: the regex engine keeps no backtracking state for
# them, so a match costs no memory and time linear in what it passes.
_PLAIN: Final = re.compile(rb'[^"\[\]{}]*')
_IN_STRING: Final = re.compile(rb'[^"\\]*')
_SCALAR: Final = re.compile(rb'[^ \t\n\r,:\[\]{}"]+')
_WS_BYTES: Final = re.compile(rb"[ \t\n\r]*")
_RUN_DEPTH: Final = 8


def _runs() -> tuple[re.Pattern[bytes], ...] | None:
    """``_RUNS[k]``: a run of a container's content — bytes other than brackets and
    quotes, whole strings, and whole containers nested at most ``k`` deep — matched in
    one call, with possessive quantifiers (Python 3.11+): no backtracking, no state kept
    per repetition. Without them (Python 3.10), None: the scanner steps bracket by
    bracket in Python, which is several times slower on bracket-dense input."""
    plain = rb'[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+"'
    body = rb"(?:" + plain + rb")*+"
    runs = [body]
    for _ in range(_RUN_DEPTH):
        body = rb"(?:" + plain + rb"|[\[{]" + body + rb"[\]}])*+"
        runs.append(body)
    try:
        return tuple(re.compile(run, re.DOTALL) for run in runs)
    except re.error:  # pragma: no cover - Python 3.10 has no possessive quantifiers
        return None


_RUNS: Final = _runs()


def _past(
    pattern: re.Pattern[bytes], data: bytes | bytearray | memoryview, pos: int, stop: int
) -> int:
    """Where a ``*`` pattern (which always matches) stops matching from ``pos``."""
    found = pattern.match(data, pos, stop)
    return pos if found is None else found.end()


def value_end(
    data: bytes | bytearray | memoryview,
    start: int,
    stop: int | None = None,
    *,
    max_depth: int = MAX_DEPTH,
) -> int:
    """Where the JSON value that begins at ``data[start]`` ends, by structure: strings
    (escaped quotes and backslashes included) and nesting are followed, nothing is
    decoded, so it costs no memory; time is linear in the bytes passed.

    ``stop``: scan no further (default: the end of ``data``). Structure only: the value's
    grammar (commas, colons, numbers, escapes, UTF-8) is left to the decoder, and ``[``
    may be closed by ``}``. A string or a number is a value too.

    Returns:
        The offset just past the value, or -1 when it does not end before ``stop``
        (``stop`` before the end of ``data``: the value may go on).

    Raises:
        StructureError: no value at ``start``, a value nested more than ``max_depth``
            levels, or ``data`` ends inside the value (an unclosed bracket or string).
    """
    size = len(data)
    stop = size if stop is None else min(stop, size)
    more = stop < size  # the value may go on past `stop`
    if start >= stop:
        if more:
            return -1
        raise StructureError(start, "expecting a value, found the end of the data")
    first = data[start]
    if first != _QUOTE and first not in _OPEN:
        if first in _CLOSE or first in b",:":
            raise StructureError(start, "expecting a value")
        end = _SCALAR.match(data, start, stop)
        if end is None:  # whitespace where a value should be
            raise StructureError(start, "expecting a value")
        return -1 if more and end.end() == stop else end.end()
    depth = 0
    pos = start
    while True:
        byte = data[pos]
        if byte == _QUOTE:
            pos += 1
            while True:
                if pos < stop:
                    pos = _past(_IN_STRING, data, pos, stop)
                if pos >= stop:
                    if more:
                        return -1
                    raise StructureError(stop, "the data ends inside a string")
                if data[pos] == _QUOTE:
                    pos += 1
                    break
                pos += 2  # a backslash and the byte it escapes
            if depth == 0:
                return pos
        elif byte in _OPEN:
            depth += 1
            if depth > max_depth:
                raise StructureError(pos, f"nested more than {max_depth} levels deep")
            pos += 1
        else:
            depth -= 1
            pos += 1
            if depth == 0:
                return pos
        if _RUNS is not None:  # whole strings and shallow containers in one call
            pos = _past(_RUNS[min(_RUN_DEPTH, max_depth - depth)], data, pos, stop)
        else:
            pos = _past(_PLAIN, data, pos, stop)
        if pos >= stop:
            if more:
                return -1
            raise StructureError(pos, "the data ends inside a value (a bracket is not closed)")


def array_elements(
    data: bytes | bytearray | memoryview, start: int, *, max_depth: int = MAX_DEPTH
) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each element of the JSON array that opens at ``data[start]``
    (a ``[``), found by :func:`value_end` — for the records of ``{"Records": [...]}``,
    each record's bytes, without decoding any. Time is linear in the array's size.

    Raises:
        StructureError: as :func:`value_end`, or the array's commas and brackets are
            misplaced (the elements found before are yielded first).
    """
    size = len(data)
    if start >= size or data[start] != _OPEN[0]:
        raise StructureError(start, "expecting '['")
    pos = _past(_WS_BYTES, data, start + 1, size)
    if pos < size and data[pos] == _CLOSE[0]:
        return
    while True:
        if pos >= size or data[pos] in b",]}":
            raise StructureError(pos, "expecting a value")
        end = value_end(data, pos, max_depth=max_depth - 1)
        yield pos, end
        pos = _past(_WS_BYTES, data, end, size)
        if pos >= size:
            raise StructureError(pos, "the data ends inside the array")
        if data[pos] == _CLOSE[0]:
            return
        if data[pos] != 0x2C:
            raise StructureError(pos, "expecting ',' or ']'")
        pos = _past(_WS_BYTES, data, pos + 1, size)


# ---------------------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------------------


class _Restart:
    def __repr__(self) -> str:
        return "RESTART"


RESTART: Final[Any] = _Restart()
"""Yielded by :func:`iter_log_records` before the records of a second ``Records`` key:
as in ``json``, the last ``Records`` key wins, so the records yielded so far are void."""

_WS: Final = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL: Final = re.compile(r"[0-9.eE+-]*")
_NUMBER_BYTES: Final = frozenset(b"0123456789.eE+-")
_NUMBERS: Final = (int, float)
_WS_AND_CLOSE: Final = " \t\n\r]"
_NEAR_END: Final = 8 * 1024
_WHITESPACE: Final = " \t\n\r"
_CHUNK: Final = 1024 * 1024


def _type_name(value: object) -> str:
    return type(value).__name__


def _first_type(data: bytes | bytearray | memoryview, start: int) -> str:
    """The Python type name of the JSON value starting at ``data[start]`` (not decoded)."""
    first = data[start]
    names = {0x7B: "dict", 0x5B: "list", _QUOTE: "str", 0x74: "bool", 0x66: "bool"}
    if first in names:
        return names[first]
    if first == 0x6E:
        return "NoneType"
    token = _SCALAR.match(data, start)
    text = bytes(data[start : token.end()]) if token is not None else b""
    return "float" if any(c in text for c in b".eE") else "int"


def _shown(key: str) -> str:
    return key if len(key) <= _MAX_KEY_SHOWN else key[: _MAX_KEY_SHOWN - 3] + "..."


def _utf8_view(data: bytes | bytearray | memoryview) -> bytes | bytearray | memoryview:
    """``data`` as UTF-8, as ``json.loads`` of bytes reads it: a UTF-8 byte-order mark is
    dropped, UTF-16 and UTF-32 text (detected from the first bytes) is converted, a
    mebibyte at a time.

    Raises:
        LogFormatError: not text in the detected encoding.
    """
    encoding = json.detect_encoding(bytes(data[:4]))
    if encoding == "utf-8":
        return data
    if encoding == "utf-8-sig":
        return memoryview(data)[3:]
    decoder = codecs.getincrementaldecoder(encoding)("surrogatepass")
    out = bytearray()
    size = len(data)
    view = memoryview(data)
    try:
        for begin in range(0, size, _CHUNK):
            piece = decoder.decode(view[begin : begin + _CHUNK], begin + _CHUNK >= size)
            out += piece.encode("utf-8", "surrogatepass")
        out += decoder.decode(b"", True).encode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise LogFormatError(Problem.NOT_JSON, f"not UTF-8 text: {exc.reason}") from None
    return out


_RAISE: Final = "raise"
_SKIP: Final = "skip"
_MARK: Final = "mark"
_RECORD: Final = "record"
_SHALLOW_BYTES: Final = 1024
"""Of a record over the cap, member values up to this size are decoded (a value that
decodes to ``Root`` or ``AssumeRoot`` takes at most 62 bytes, every character escaped)."""
_RECORD_FIELDS: Final[Mapping[str, Any]] = {"userIdentity": {"type": None}, "eventName": None}
"""What is read of a record over the cap, for ``pass_over``."""


class Unread:
    """A value of a record over the cap that was not decoded: its JSON type (the Python
    type name it would decode to) and its size in bytes."""

    __slots__ = ("size", "type_name")

    def __init__(self, type_name: str, size: int) -> None:
        self.type_name = type_name
        self.size = size

    def __repr__(self) -> str:
        return f"Unread({self.type_name}, {self.size} bytes)"


class _Passed:
    def __repr__(self) -> str:
        return "PASSED"


PASSED: Final[Any] = _Passed()
"""Yielded by :func:`iter_log_records` in place of a record over the cap that
``pass_over`` let pass: counted, never decoded."""


class _Over:
    """A value over the cap, skipped (not decoded): where it starts and ends."""

    __slots__ = ("end", "start", "type_name")

    def __init__(self, start: int, end: int, type_name: str) -> None:
        self.start = start
        self.end = end
        self.type_name = type_name


class _Reader:
    """The document's text in windows, and a cursor in the current window."""

    def __init__(
        self,
        data: bytes | bytearray | memoryview,
        max_record_bytes: int | None,
        max_records: int | None,
        pass_over: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self.data = data
        self.pass_over = pass_over
        self.depth = max(MAX_DEPTH, sys.getrecursionlimit())
        self.size = len(data)
        self.cap = max_record_bytes
        self.max_records = max_records
        self.window = (
            WINDOW_BYTES
            if max_record_bytes is None
            else min(max(max_record_bytes, _MIN_WINDOW), WINDOW_BYTES)
        )
        self.text = ""
        self.start = 0  # byte offset of text[0]
        self.stop = 0  # byte offset just past the window
        self.wanted = 0  # where the window was asked to end (before the character boundary)
        self.ascii = True
        self.i = 0  # the cursor, in text
        self.count = 0  # records seen, over every Records array
        self.load(0)

    # -- windows and positions -----------------------------------------------------------

    def load(self, at: int, size: int | None = None) -> None:
        """Make the window start at byte ``at``."""
        stop = self.wanted = min(self.size, at + (self.window if size is None else size))
        for _ in range(3):  # end it on a character boundary
            if stop >= self.size or stop <= at + 1 or self.data[stop] & 0xC0 != 0x80:
                break
            stop -= 1
        try:
            text = str(self.data[at:stop], "utf-8", "surrogatepass")
        except UnicodeDecodeError as exc:
            raise self.error(
                Problem.NOT_JSON, f"not UTF-8 text: {exc.reason}", at + exc.start
            ) from None
        self.text, self.start, self.stop, self.ascii, self.i = text, at, stop, text.isascii(), 0

    def offset(self, index: int) -> int:
        """The byte offset of ``self.text[index]`` (counted from the nearer end of the
        window when it is not ASCII)."""
        if self.ascii or index == 0:
            return self.start + index
        text = self.text
        if index >= len(text):
            return self.stop
        if index > len(text) // 2:
            return self.stop - len(text[index:].encode("utf-8", "surrogatepass"))
        return self.start + len(text[:index].encode("utf-8", "surrogatepass"))

    def error(self, problem: str, message: str, at: int) -> LogFormatError:
        """``message`` located at byte ``at`` (line and column, counted in bytes)."""
        line, column = self.line_column(at)
        return LogFormatError(problem, f"{message} (line {line}, column {column})")

    def line_column(self, at: int) -> tuple[int, int]:
        view = memoryview(self.data)
        line, line_start = 1, 0
        for begin in range(0, at, _CHUNK):
            piece = bytes(view[begin : min(at, begin + _CHUNK)])
            newlines = piece.count(b"\n")
            if newlines:
                line += newlines
                line_start = begin + piece.rfind(b"\n") + 1
        return line, at - line_start + 1

    def not_json(self, message: str, index: int | None = None) -> LogFormatError:
        at = self.offset(self.i if index is None else index)
        return self.error(Problem.NOT_JSON, f"not valid JSON: {message}", at)

    # -- the cursor ----------------------------------------------------------------------

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end of the data)."""
        while True:
            text, i = self.text, self.i
            if i < len(text):
                char = text[i]
                if char not in _WHITESPACE:
                    return char
                found = _WS.match(text, i)
                i = self.i = i if found is None else found.end()
                if i < len(text):
                    return text[i]
            if self.stop >= self.size:
                return ""
            self.load(self.stop)

    def expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            raise self.not_json(message)
        self.i += 1

    def covers(self, at: int) -> bool:
        """Whether the window starts at byte ``at`` and is a whole window: a value that
        fails there is longer than a window, or not JSON. (A value ends with an ASCII
        character: the window's character boundary never cuts one that fits.)"""
        return self.start == at and self.wanted - at >= self.window

    def take(self, what: str | int, over: str = _RAISE) -> Any:
        """Decode the value at the cursor (``peek`` found its first character).

        The decoder reads it in the current window; a value cut by the window's end is
        read again from a window that starts at it; a value longer than a window is
        measured by the scanner first, then decoded from exactly its bytes when it is
        within ``max_record_bytes``. So the decoder never reads more than one window of
        a value over the cap. ``over`` says what then: ``_RAISE`` a ``record_too_large``
        error (``what`` names the value); ``_RECORD`` the same unless ``pass_over`` lets
        the record pass (:data:`PASSED`); ``_SKIP`` pass over it with the scanner,
        ``_MARK`` stop there, both returning an :class:`_Over`.
        """
        if isinstance(what, int):
            what = f"Records[{what}]"
        at = -1  # the value's byte offset: computed when needed (O(window) without ASCII)
        exact = False  # the window holds exactly the value's bytes
        while True:
            failure: BaseException | None = None
            try:
                value, end = _DECODER.raw_decode(self.text, self.i)
            except _Constant as exc:
                raise self.not_json(f"{exc} ({what})") from None
            except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
                failure = exc
            else:
                if not self.cut_number(value, end):
                    return self.taken(what, value, end, over)
                # A number that runs to the window's end goes on past it.
            if exact or self.stop >= self.size:  # the window holds the whole value
                raise self.not_json_from(what, failure)
            if at < 0:
                at = self.offset(self.i)
            if not self.covers(at):
                self.load(at)
                continue
            stop = self.size if over == _SKIP or self.cap is None else at + self.cap + 1
            try:
                value_stop = value_end(self.data, at, stop, max_depth=self.depth)
            except StructureError as error:
                raise self.error(
                    Problem.NOT_JSON, f"not valid JSON: {error.message}", error.offset
                ) from None
            if value_stop < 0 or (self.cap is not None and value_stop - at > self.cap):
                return self.oversized(what, at, value_stop, over)
            self.load(at, value_stop - at)
            exact = True

    def cut_number(self, value: object, end: int) -> bool:
        """Whether ``value``, a number that runs to the window's end, goes on past it (a
        prefix of a number is a number)."""
        return (
            type(value) in _NUMBERS
            and self.stop < self.size
            and _NUMBER_TAIL.fullmatch(self.text, end) is not None
            and self.data[self.stop] in _NUMBER_BYTES
        )

    def taken(self, what: str, value: Any, end: int, over: str) -> Any:
        """Move past a decoded value, unless it is over a cap smaller than the window."""
        cap = self.cap
        if (
            cap is not None
            and cap < self.window
            and (end - self.i) * (1 if self.ascii else 4) > cap
        ):
            at = self.offset(self.i)
            size = self.offset(end) - at
            if size > cap:
                return self.oversized(what, at, at + size, over)
        self.i = end
        return value

    def shallow(self, at: int, wanted: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        """The members named in ``wanted`` of the object at byte ``at`` (a ``{``), read by
        structure: a value of at most ``_SHALLOW_BYTES`` decoded, a longer one as a
        :class:`Unread`; ``wanted[key]``, when not None, names the members to read of
        that member's object in turn. Nothing else is decoded. Returns the members (the
        last of a repeated key, as in ``json``) and the offset past the object.
        """
        data, size = self.data, self.size
        fields: dict[str, Any] = {}
        try:
            pos = _past(_WS_BYTES, data, at + 1, size)
            if pos < size and data[pos] == 0x7D:
                return fields, pos + 1
            while True:
                if pos >= size or data[pos] != _QUOTE:
                    raise StructureError(pos, "Expecting property name enclosed in double quotes")
                end = value_end(data, pos, max_depth=self.depth)
                key = self.small(pos, end)
                pos = _past(_WS_BYTES, data, end, size)
                if pos >= size or data[pos] != 0x3A:
                    raise StructureError(pos, "Expecting ':' delimiter")
                pos = _past(_WS_BYTES, data, pos + 1, size)
                nested = wanted.get(key) if isinstance(key, str) else None
                if nested is not None and pos < size and data[pos] == 0x7B:
                    fields[key], end = self.shallow(pos, nested)
                else:
                    end = value_end(data, pos, max_depth=self.depth)
                    if isinstance(key, str) and key in wanted:
                        fields[key] = self.small(pos, end)
                pos = _past(_WS_BYTES, data, end, size)
                if pos < size and data[pos] == 0x2C:
                    pos = _past(_WS_BYTES, data, pos + 1, size)
                    continue
                if pos < size and data[pos] == 0x7D:
                    return fields, pos + 1
                raise StructureError(pos, "Expecting ',' delimiter")
        except StructureError as error:
            raise self.error(
                Problem.NOT_JSON, f"not valid JSON: {error.message}", error.offset
            ) from None

    def small(self, start: int, end: int) -> Any:
        """The JSON value ``data[start:end]``, decoded when it is short, else an
        :class:`Unread`."""
        if end - start > _SHALLOW_BYTES:
            return Unread(_first_type(self.data, start), end - start)
        try:
            return _DECODER.decode(str(self.data[start:end], "utf-8", "surrogatepass"))
        except UnicodeDecodeError as exc:
            raise self.error(
                Problem.NOT_JSON, f"not UTF-8 text: {exc.reason}", start + exc.start
            ) from None
        except (ValueError, RecursionError) as exc:
            raise self.error(Problem.NOT_JSON, f"not valid JSON: {exc}", start) from None

    def not_json_from(self, what: str, failure: BaseException | None) -> LogFormatError:
        if isinstance(failure, json.JSONDecodeError):
            return self.not_json(failure.msg, failure.pos)
        if isinstance(failure, RecursionError):
            return self.not_json(f"{what} is nested too deeply")
        return self.not_json(f"{failure} ({what})")

    def oversized(self, what: str, at: int, end: int, over: str) -> Any:
        """The value at byte ``at`` is over the cap (``end``: where it ends, -1 unknown)."""
        if over == _RECORD:
            if self.pass_over is not None and self.data[at] == 0x7B:
                fields, end = self.shallow(at, _RECORD_FIELDS)
                if self.pass_over(fields):
                    self.load(end)
                    return PASSED
            over = _RAISE
        if over == _RAISE:
            how = f"{end - at} bytes" if end >= 0 else f"more than {self.cap} bytes"
            raise LogFormatError(
                Problem.RECORD_TOO_LARGE,
                f"{what} (byte offset {at}) is {how}, over the limit of {self.cap} bytes "
                "(max_record_bytes); not decoded",
            )
        if over == _SKIP:
            if end < 0:  # pragma: no cover - a skip scans to the end of the data
                raise AssertionError("a skipped value has an end")
            self.load(end)
        return _Over(at, end, _first_type(self.data, at))

    # -- the document --------------------------------------------------------------------

    def records(self) -> Iterator[Any]:
        """The elements of the array at the cursor (a ``[``).

        The common case — a record decoded in the current window, then a comma — is
        handled inline; anything else (whitespace, a window's end, a failure, a record
        that is not an object, a cap under the window) goes through :meth:`take` and
        :meth:`peek`."""
        index = 0
        self.i += 1
        char = self.peek()
        if char == "]":
            self.i += 1
            return
        decode = _DECODER.raw_decode
        limit = self.max_records if self.max_records is not None else -1
        inline = self.cap is None or self.cap >= self.window
        while True:
            if char in ("", ",", "]"):
                raise self.not_json("Expecting value")
            if self.count == limit:
                raise LogFormatError(
                    Problem.TOO_MANY_RECORDS, f"more than {self.max_records} records"
                )
            text = self.text
            if self.i and len(text) - self.i < _NEAR_END and self.stop < self.size:
                # A record this close to the window's end is likely cut: start the window
                # at it rather than let the decoder fail (its error costs O(window)).
                self.load(self.offset(self.i))
                text = self.text
            try:
                value, end = decode(text, self.i)
            except (ValueError, RecursionError):
                value = self.take(index, _RECORD)  # decodes again, and decides
            else:
                if inline and type(value) is dict:
                    self.i = end
                else:
                    value = self.take(index, _RECORD)
            self.count += 1
            yield value
            index += 1
            text, i = self.text, self.i
            if i + 1 < len(text) and text[i] == "," and text[i + 1] not in _WS_AND_CLOSE:
                self.i = i + 1
                char = text[i + 1]
                continue
            char = self.peek()
            if char == ",":
                self.i += 1
                char = self.peek()
            elif char == "]":
                self.i += 1
                return
            else:
                raise self.not_json("Expecting ',' delimiter")

    def document(self) -> Iterator[Any]:
        char = self.peek()
        if char == "":
            raise self.not_json("Expecting value")
        if char != "{":
            at = self.offset(self.i)
            if self.cap is not None and self.size - at > self.cap:
                # Not a log file whatever it holds: not decoded, not scanned.
                raise LogFormatError(
                    Problem.NO_RECORDS,
                    f"the JSON document is a {_first_type(self.data, at)}, expected an object "
                    'with "Records"',
                )
            value = self.take("the document")
            self.end()
            raise LogFormatError(
                Problem.NO_RECORDS,
                f'the JSON document is a {_type_name(value)}, expected an object with "Records"',
            )
        self.i += 1
        records: str | None = None  # the type of the last Records value
        smallest: list[str] = []  # the five smallest keys, for the message
        digest = False
        over: tuple[str, _Over] | None = None  # the first value over the cap (not Records)
        char = self.peek()
        if char == "}":
            self.i += 1
        else:
            while True:
                if char != '"':
                    raise self.not_json("Expecting property name enclosed in double quotes")
                key = self.take("a key of the document")
                if key not in smallest and (len(smallest) < 5 or key < smallest[-1]):
                    bisect.insort(smallest, key)
                    del smallest[5:]
                self.expect(":", "Expecting ':' delimiter")
                char = self.peek()
                if key == "Records":
                    if records is not None:
                        yield RESTART
                    if char == "[":
                        records = "list"
                        yield from self.records()
                    else:
                        value = self.take('"Records"', _MARK)
                        if isinstance(value, _Over):  # not an array, whatever follows
                            raise LogFormatError(
                                Problem.INVALID_RECORDS,
                                f'"Records" is a {value.type_name}, not an array',
                            )
                        records = _type_name(value)
                else:
                    digest = digest or key in DIGEST_KEYS
                    # Over the cap: skipped while the document may be a digest file
                    # (skipped whole); refused in a log file.
                    may_be_digest = digest and records is None
                    value = self.take(
                        f'the value of "{_shown(key)}"', _SKIP if may_be_digest else _RAISE
                    )
                    if isinstance(value, _Over) and over is None:
                        over = (key, value)
                char = self.peek()
                if char == ",":
                    self.i += 1
                    char = self.peek()
                elif char == "}":
                    self.i += 1
                    break
                else:
                    raise self.not_json("Expecting ',' delimiter")
        self.end()
        if records is None:
            if digest:
                raise LogFormatError(Problem.DIGEST, "a CloudTrail digest file")
            keys = ", ".join(_shown(key) for key in smallest) or "none"
            raise LogFormatError(Problem.NO_RECORDS, f'no "Records" key (keys: {keys})')
        if records != "list":
            raise LogFormatError(Problem.INVALID_RECORDS, f'"Records" is a {records}, not an array')
        if over is not None:
            key, value = over
            raise LogFormatError(
                Problem.RECORD_TOO_LARGE,
                f'the value of "{_shown(key)}" (byte offset {value.start}) is '
                f"{value.end - value.start} bytes, over the limit of {self.cap} bytes "
                "(max_record_bytes)",
            )

    def end(self) -> None:
        if self.peek() != "":
            raise self.not_json("Extra data")


def iter_log_records(
    data: bytes | bytearray | memoryview,
    *,
    max_record_bytes: int | None,
    max_records: int | None = None,
    pass_over: Callable[[dict[str, Any]], bool] | None = None,
) -> Iterator[Any]:
    """The records of the log document ``data`` (``{"Records": [...]}``), decoded one at a
    time, in order — each a JSON value, normally a dict (checking that is left to the
    caller) — with :data:`RESTART` before the records of each further ``Records`` key.

    ``max_record_bytes``: no record, key, or value outside the records longer than this
    is decoded (None: no cap). ``max_records``: refuse more records than this, over every
    ``Records`` array (None: no cap). ``pass_over``: for a record over the cap (an
    object), called with what is read of it without decoding it — its ``userIdentity``
    (its ``type``) and ``eventName`` members, short values decoded, longer ones as
    :class:`Unread`: True lets the record pass (:data:`PASSED` is yielded, and the
    scanner passes over it), False refuses it; without it every record over the cap is
    refused.

    Memory: the window (``max_record_bytes`` of text) and one record's objects; the
    records yielded are the caller's to keep or drop.

    Raises:
        LogFormatError: at the first problem met, in the document's order; the problems
            known only at the end (no ``Records`` key, a digest file, ``Records`` not an
            array, a value over the cap outside the records) once every record was read.
    """
    text = _utf8_view(data)
    if not len(text):
        raise LogFormatError(Problem.NOT_JSON, "not valid JSON: Expecting value")
    yield from _Reader(text, max_record_bytes, max_records, pass_over).document()

"""CloudTrail record and log-file parsing (pure: no AWS calls, no clock).

Three input shapes carry a CloudTrail record:

- the raw record, as in a log file's ``Records`` array;
- an EventBridge event, the record under ``detail`` (``detail-type``
  "AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail",
  "AWS Service Event via CloudTrail", "AWS Console Action via CloudTrail" ...);
- a CloudTrail ``LookupEvents`` item, the record as a JSON string under ``CloudTrailEvent``.

``parse_cloudtrail_event`` accepts all three and keeps the record as it came, so that
``event.to_record()`` gives it back unchanged. Everything that cannot be parsed raises
:class:`~rootguard.ParseError`, never a pydantic, JSON or type error.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import logging
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from os import PathLike
from typing import Any, Final

from pydantic import ValidationError

from rootguard._errors import ParseError
from rootguard._jsonstream import (
    DIGEST_KEYS,
    RESTART,
    LogFormatError,
    Problem,
    iter_log_records,
)
from rootguard._jsonstream import loads as strict_loads
from rootguard._models import CloudTrailEvent

_IsalReader: Callable[[bytes | memoryview], Any] | None
_igzip: Any
try:  # ISA-L gzip is several times faster; it is an optional extra (rootguard[fast]).
    from isal import igzip as _igzip

    # The C reader of python-isal decompresses straight into a given buffer.
    _IsalReader = getattr(_igzip, "_GzipReader", None)
    _GZIP_NAME = "isal"
except ImportError:  # pragma: no cover - depends on the installed extras
    _igzip = None
    _IsalReader = None
    _GZIP_NAME = "stdlib"

GZIP: Final[str] = _GZIP_NAME
"""Which gzip decoder reads log files: ``"isal"`` (python-isal) or ``"stdlib"``."""

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_RECORD_BYTES",
    "iter_raw_records",
    "parse_cloudtrail_event",
    "read_cloudtrail_file",
]

logger = logging.getLogger(__name__)

GZIP_MAGIC: Final = b"\x1f\x8b"
"""The first two bytes of a gzip stream: content is decompressed by them, not by its name."""
_ENVELOPE_TYPE_KEYS: Final = ("detail-type", "detailType", "DetailType")
_RECORD_HINT_KEYS: Final = ("eventVersion", "eventName", "eventSource", "userIdentity")
_MAX_SHOWN = 80

# ---------------------------------------------------------------------------------------
# Reading files that others control: size caps, no blocking opens
# ---------------------------------------------------------------------------------------

DEFAULT_MAX_FILE_BYTES: Final = 64 * 1024 * 1024
"""The default cap, in bytes, on one log file: on its size as stored (compressed or not)
and on its decompressed size, checked while it is read and decompressed.

AWS documents no maximum size for a CloudTrail log file. It documents a maximum of
256 KB per event (event version 1.05 and later) and delivers a trail's events about
every 5 minutes, in several files per account and region when there are many. Files
are usually kilobytes to a few megabytes of JSON; the largest a public CloudTrail
processor plans for, that we found, is 45 MB (Panther's log processor). 64 MiB is above
that, and keeps the memory one file needs bounded: a gzip "bomb" (1 MB that inflates to
gigabytes) is refused once 64 MiB have come out, never inflated in full.
``docs/archives.md`` gives the measured memory."""

DEFAULT_MAX_RECORD_BYTES: Final = 1024 * 1024
"""The default cap, in bytes, on one record of a log file (its JSON, as written): a
record over it is never decoded, and the file is refused (``record_too_large``).

AWS caps a CloudTrail event at 256 KB from event version 1.05 on ("Quotas in AWS
CloudTrail", AWS CloudTrail User Guide: "Starting with event version 1.05, events have
a maximum size of 256 KB"). 1 MiB is four times that. Without a record cap, the
standard library's ``json`` costs up to about 26 times a record's size (a record holding
``[[],[],...]``); with it, decoding one record costs at most about 26 MiB."""

MIN_RECORD_BYTES: Final = 256
"""A file holding more records than its cap divided by this is refused too (262,144
records for the default cap). The smallest real CloudTrail records are about 500
bytes of compact JSON, so a real file with that many records is over the cap anyway;
a file of tiny records (``{},{},...``) would otherwise cost the scanner about 40 bytes
of memory per 3 bytes of text."""

_OPEN_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NONBLOCK", 0)
)
"""``O_NONBLOCK``: a FIFO opens at once even without a writer (and is then refused)."""

_KINDS: Final = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class TooLarge(Exception):
    """Internal signal: a file is over its cap (stored size, decompressed size or record
    count). ``detail`` says which, for the error entry."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotRegularFile(OSError):
    """Internal signal: the path is not a regular file (``detail``: what it is)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def file_kind(mode: int) -> str:
    """What a ``st_mode`` that is not a regular file's is, in words."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def open_regular(path: str | PathLike[str]) -> tuple[int, os.stat_result]:
    """Open a local file for reading, only if it is a regular file; never block.

    The path is checked with ``os.stat`` first, so that a FIFO, a device or a socket is
    never opened (opening some devices has effects); it is then opened with
    ``O_NONBLOCK`` (a FIFO swapped in meanwhile opens at once instead of waiting for a
    writer) and checked again with ``os.fstat`` (what was opened, not what the path named
    a moment before). Symbolic links are followed.

    Returns:
        The file descriptor (the caller closes it) and its ``fstat``.

    Raises:
        NotRegularFile: a directory, FIFO, device or socket.
        OSError: missing, denied, a symbolic link loop ...
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(f"not a regular file: {file_kind(mode)}")
    handle = os.open(path, _OPEN_FLAGS)
    try:
        found = os.fstat(handle)
        if not stat.S_ISREG(found.st_mode):
            raise NotRegularFile(f"not a regular file: {file_kind(found.st_mode)}")
    except BaseException:
        os.close(handle)
        raise
    return handle, found


def too_large_stored(size: int, limit: int) -> TooLarge:
    """The signal for a file whose stored size is over ``limit``."""
    return TooLarge(f"{size} bytes, over the limit of {limit} bytes (max_file_bytes)")


def read_capped(
    readinto: Callable[[memoryview], int],
    buffer: bytearray,
    limit: int | None,
    *,
    chunk: int = 0,
    what: str = "the file holds",
) -> tuple[bytearray, int]:
    """Fill ``buffer`` (growing it, into a new bytearray) from ``readinto`` until it
    returns 0; never more than ``limit + 1`` bytes are asked for or held.

    ``chunk``: ask for at most this many bytes per call (0: as many as fit), for readers
    that build a temporary object of the requested size.

    Returns:
        The buffer holding the data (``buffer`` or a bigger one) and the data's size.

    Raises:
        TooLarge: more than ``limit`` bytes came.
    """
    cap = None if limit is None else limit + 1
    view = memoryview(buffer)
    size = 0
    while cap is None or size < cap:
        if size == len(buffer):
            grown = 2 * size + 64 * 1024
            if cap is not None:
                grown = min(grown, cap)
            bigger = bytearray(grown)
            bigger[:size] = view[:size]
            buffer, view = bigger, memoryview(bigger)
        end = len(buffer) if cap is None else min(len(buffer), cap)
        if chunk:
            end = min(end, size + chunk)
        got = readinto(view[size:end])
        if not got:
            break
        size += got
    if limit is not None and size > limit:
        raise TooLarge(f"{what} more than {limit} bytes (max_file_bytes); stopped there")
    return buffer, size


_STDLIB_CHUNK: Final = 256 * 1024
"""``gzip.GzipFile.readinto`` decompresses into a temporary ``bytes`` of the size asked."""


def open_gzip(content: bytes | memoryview, *, stdlib: bool = False) -> tuple[Any, int]:
    """A streaming reader of gzip ``content`` (every member, as ``gzip.decompress``
    reads them) with a ``readinto`` method, and how much to ask it for at once (0: any).

    ISA-L's C reader when installed (it decompresses straight into the caller's buffer),
    else — or with ``stdlib=True`` — the standard library's ``gzip.GzipFile``. Errors
    (``EOFError``, ``BadGzipFile``, zlib / ISA-L errors) come from ``readinto``.
    """
    if not stdlib and _IsalReader is not None:
        return _IsalReader(content), 0
    module: Any = gzip if stdlib or _igzip is None else _igzip
    return module.GzipFile(fileobj=io.BytesIO(content), mode="rb"), _STDLIB_CHUNK


def gunzip_capped(content: bytes | memoryview, limit: int | None, *, stdlib: bool = False) -> bytes:
    """``content`` decompressed, streaming, never more than ``limit`` bytes.

    Raises:
        TooLarge: it decompresses to more than ``limit`` bytes.
        Exception: the decoder's error for a truncated or corrupt stream
            (see :func:`gzip_failure`).
    """
    reader, chunk = open_gzip(content, stdlib=stdlib)
    hint = min(len(content) * 8, limit + 1) if limit is not None else len(content) * 8
    buffer, size = read_capped(
        reader.readinto, bytearray(hint), limit, chunk=chunk, what="decompresses to"
    )
    return bytes(memoryview(buffer)[:size])


def is_digest_document(document: Mapping[str, Any]) -> bool:
    """Whether a JSON object without ``Records`` is a CloudTrail digest file (by its keys)."""
    return not DIGEST_KEYS.isdisjoint(document)


def gzip_failure(exc: Exception) -> tuple[bool, str]:
    """``(truncated, message)`` for an exception raised by a gzip decoder (ISA-L or stdlib).

    ``EOFError`` means the stream ends before its end-of-stream marker (truncated); every
    other error (``BadGzipFile``, zlib or ISA-L errors ...) means the stream is corrupt.
    """
    if isinstance(exc, EOFError):
        return True, "truncated gzip: the compressed data ends before the end-of-stream marker"
    return False, f"corrupt gzip: {exc}"


def _shorten(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _loads(data: str | bytes | bytearray, *, source: str | None, what: str) -> Any:
    """``json.loads`` whose every failure is a ParseError naming the position; ``NaN``,
    ``Infinity`` and ``-Infinity`` are not JSON."""
    try:
        return strict_loads(data)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            source=source,
        ) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what} is not UTF-8 text: {exc.reason}", source=source) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise ParseError(f"{what} is not valid JSON: {exc}", source=source) from None


def unwrap_record(data: Mapping[str, Any], *, source: str | None = None) -> Mapping[str, Any]:
    """The CloudTrail record inside ``data`` (itself, ``detail`` or ``CloudTrailEvent``).

    Cheap: a raw record (one with ``userIdentity`` or no envelope keys) is returned as is.
    """
    if "userIdentity" in data:
        return data
    if "detail" in data and (
        any(key in data for key in _ENVELOPE_TYPE_KEYS) or "source" in data or "account" in data
    ):
        return _from_envelope(data, source=source)
    if "CloudTrailEvent" in data:
        inner = data["CloudTrailEvent"]
        if isinstance(inner, (str, bytes, bytearray)):
            inner = _loads(inner, source=source, what="LookupEvents item's CloudTrailEvent")
        if not isinstance(inner, Mapping):
            raise ParseError(
                "LookupEvents item's CloudTrailEvent is not a JSON object",
                source=source,
                column="CloudTrailEvent",
                value=_shorten(inner),
            )
        return inner
    return data


def _from_envelope(data: Mapping[str, Any], *, source: str | None) -> Mapping[str, Any]:
    detail_type: object = next(
        (data[key] for key in _ENVELOPE_TYPE_KEYS if key in data),
        None,
    )
    detail = data["detail"]
    if isinstance(detail, (str, bytes, bytearray)):  # PutEvents entries carry it as text
        detail = _loads(detail, source=source, what="EventBridge event's detail")
    if not isinstance(detail, Mapping):
        raise ParseError(
            "EventBridge event's detail is not a JSON object",
            source=source,
            column="detail",
            value=_shorten(detail),
        )
    # Tolerant: any "... via CloudTrail" detail-type, or a detail that looks like a record.
    names_cloudtrail = isinstance(detail_type, str) and "cloudtrail" in detail_type.lower()
    looks_like_record = any(key in detail for key in _RECORD_HINT_KEYS)
    if not (names_cloudtrail or looks_like_record):
        raise ParseError(
            "EventBridge event does not carry a CloudTrail record",
            source=source,
            column="detail-type",
            value=_shorten(detail_type),
        )
    return detail


def _validation_message(exc: ValidationError) -> tuple[str, str | None, str | None]:
    """(message, column, value) for the first error of a ValidationError."""
    errors = exc.errors(include_url=False)
    if not errors:  # pragma: no cover - pydantic always reports at least one
        return str(exc), None, None
    first = errors[0]
    column = ".".join(str(part) for part in first.get("loc", ())) or None
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return (
        f"invalid CloudTrail record: {first.get('msg', 'invalid')}{more}",
        column,
        _shorten(first.get("input")),
    )


def event_from_record(
    record: Mapping[str, Any],
    *,
    owned: bool,
    source: str | None = None,
    line: int | None = None,
) -> CloudTrailEvent:
    """Validate one raw record into a CloudTrailEvent that remembers the record.

    ``owned``: the caller hands the record over (freshly decoded JSON) — no defensive copy.
    """
    if not isinstance(record, Mapping):
        raise ParseError(
            "a CloudTrail record must be a JSON object",
            source=source,
            line=line,
            value=_shorten(record),
        )
    try:
        event = CloudTrailEvent.model_validate(record, by_alias=True, by_name=False)
    except ValidationError as exc:
        message, column, value = _validation_message(exc)
        raise ParseError(message, source=source, line=line, column=column, value=value) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise ParseError(f"invalid CloudTrail record: {exc}", source=source, line=line) from None
    raw = record if owned and type(record) is dict else copy.deepcopy(dict(record))
    event._raw = raw
    return event


def parse_cloudtrail_event(data: Mapping[str, Any] | str | bytes) -> CloudTrailEvent:
    """Parse one CloudTrail record into a :class:`~rootguard.CloudTrailEvent`.

    Accepts the raw record, an EventBridge event (``detail-type`` "AWS API Call via
    CloudTrail", "AWS Console Sign In via CloudTrail" ..., the record under ``detail``) or
    a CloudTrail ``LookupEvents`` item (the record as JSON text under ``CloudTrailEvent``),
    as a mapping or as JSON text. Unknown fields are kept, and ``to_record()`` returns the
    record exactly as it came.

    Raises:
        ParseError: the input is not JSON, not an object, or not a valid record.

    Examples:
        >>> import rootguard
        >>> ev = rootguard.parse_cloudtrail_event(
        ...     '{"eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}, "x": 1}'
        ... )
        >>> ev.event_name, ev.user_identity.type, ev.to_record()["x"]
        ('ConsoleLogin', 'Root', 1)
    """
    owned = False
    if isinstance(data, (str, bytes, bytearray, memoryview)):
        text = bytes(data) if isinstance(data, (bytearray, memoryview)) else data
        data = _loads(text, source=None, what="input")
        owned = True
    if not isinstance(data, Mapping):
        raise ParseError("a CloudTrail record must be a JSON object", value=_shorten(data))
    try:
        record = unwrap_record(data)
    except RecursionError:
        raise ParseError("input is nested too deeply") from None
    return event_from_record(record, owned=owned)


def valid_limit(max_file_bytes: object) -> bool:
    """Whether ``max_file_bytes`` is a usable cap: None or a positive int."""
    if max_file_bytes is None:
        return True
    return type(max_file_bytes) is int and max_file_bytes >= 1


def _check_limit(limit: int | None, name: str = "max_file_bytes") -> None:
    if not valid_limit(limit):
        raise ParseError(f"{name} must be a positive number of bytes or None, not {limit!r}")


def _read_source(
    source: str | PathLike[str] | bytes, name: str | None, max_file_bytes: int | None
) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or "<bytes>"
        if max_file_bytes is not None and len(source) > max_file_bytes:
            raise ParseError(
                f"too large: {too_large_stored(len(source), max_file_bytes).detail}", source=label
            )
        return bytes(source), label
    if not isinstance(source, (str, PathLike)):
        raise ParseError(f"expected a file path or bytes, not {type(source).__name__}", source=name)
    label = name or os.fspath(source)
    try:
        handle, found = open_regular(source)
    except NotRegularFile as exc:
        raise ParseError(f"cannot read file: {exc.detail}", source=label) from None
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", source=label) from None
    try:
        if max_file_bytes is not None and found.st_size > max_file_bytes:
            raise TooLarge(too_large_stored(found.st_size, max_file_bytes).detail)
        with io.FileIO(handle, closefd=False) as raw:
            buffer, size = read_capped(raw.readinto, bytearray(found.st_size + 1), max_file_bytes)
    except TooLarge as exc:
        raise ParseError(f"too large: {exc.detail}", source=label) from None
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", source=label) from None
    finally:
        os.close(handle)
    del buffer[size:]
    return bytes(buffer), label


def _decompress(content: bytes, label: str, max_file_bytes: int | None) -> bytes:
    if not content.startswith(GZIP_MAGIC):
        return content
    try:
        return gunzip_capped(content, max_file_bytes)
    except TooLarge as exc:
        raise ParseError(f"too large: {exc.detail}", source=label) from None
    except Exception as exc:  # EOFError, BadGzipFile, zlib/ISA-L errors
        raise ParseError(gzip_failure(exc)[1], source=label) from None


def _load_records(
    source: str | PathLike[str] | bytes,
    name: str | None,
    max_file_bytes: int | None,
    max_record_bytes: int | None,
) -> tuple[list[Any], str]:
    _check_limit(max_file_bytes)
    _check_limit(max_record_bytes, "max_record_bytes")
    content, label = _read_source(source, name, max_file_bytes)
    content = _decompress(content, label, max_file_bytes)
    if not content.strip():
        raise ParseError("empty file, expected a CloudTrail log file", source=label)
    records: list[Any] = []
    try:
        # One record at a time, never more than max_record_bytes of one: the same reader
        # as the archive scan's standard-library path, so that both read every file alike.
        for record in iter_log_records(content, max_record_bytes=max_record_bytes):
            if record is RESTART:  # a later "Records" key: the last one wins
                records = []
            else:
                records.append(record)
    except LogFormatError as exc:
        raise _file_error(exc, label) from None
    return records, label


def _file_error(exc: LogFormatError, label: str) -> ParseError:
    """The ParseError for what the log reader refused."""
    if exc.problem == Problem.NOT_JSON:
        return ParseError(f"file is {exc.detail}", source=label)
    if exc.problem == Problem.DIGEST:
        return ParseError(
            "a CloudTrail digest file (digestStartTime, digestS3Object ...), not a log file",
            source=label,
        )
    if exc.problem == Problem.INVALID_RECORDS:
        return ParseError(
            '"Records" is not an array', source=label, column="Records", value=exc.detail
        )
    if exc.problem == Problem.RECORD_TOO_LARGE:
        return ParseError(f"record too large: {exc.detail}", source=label)
    return ParseError(f"not a CloudTrail log file: {exc.detail}", source=label)


def _iter_checked(records: list[Any], label: str) -> Iterator[dict[str, Any]]:
    for index, record in enumerate(records):
        if type(record) is not dict:
            raise ParseError(
                f"Records[{index}] is not a JSON object",
                source=label,
                line=index,
                value=_shorten(record),
            )
        yield record


def iter_raw_records(
    source: str | PathLike[str] | bytes,
    *,
    name: str | None = None,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[dict[str, Any]]:
    """The raw records of a CloudTrail log file, as dicts, without building models.

    Same file checks as :func:`read_cloudtrail_file` (done when called, before the first
    record is yielded); each record is only checked to be a JSON object. Meant for bulk
    scanning together with ``detect_root_activity``, which validates only the records
    that may be root activity.
    """
    records, label = _load_records(source, name, max_file_bytes, max_record_bytes)
    return _iter_checked(records, label)


def _iter_events(records: list[Any], label: str) -> Iterator[CloudTrailEvent]:
    for index, record in enumerate(records):
        yield event_from_record(record, owned=True, source=label, line=index)


def read_cloudtrail_file(
    source: str | PathLike[str] | bytes,
    *,
    name: str | None = None,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[CloudTrailEvent]:
    """Read a CloudTrail log file (``{"Records": [...]}``, gzip-compressed or not).

    ``source`` is a path or the file's bytes; gzip is recognised by its magic bytes, not
    by the name. ``name`` labels the file in errors (default: the path, or ``<bytes>``).
    The file is read and checked when the function is called; records are validated as
    they are iterated.

    ``max_file_bytes`` caps the file's size as stored and its decompressed size (default
    ``DEFAULT_MAX_FILE_BYTES``, 64 MiB; None: no cap): the file is read and decompressed
    as a stream, and refused as soon as more would come, so a small gzip "bomb" costs no
    more than the cap. A path that is not a regular file (a FIFO, a device, a socket, a
    directory) is refused without being opened for reading.

    ``max_record_bytes`` caps each record's JSON (default ``DEFAULT_MAX_RECORD_BYTES``,
    1 MiB, four times the 256 KB AWS allows an event; None: no cap): records are decoded
    one at a time, and one over the cap is never decoded — the file is refused ("record
    too large", naming the record and its byte offset). ``NaN``, ``Infinity`` and
    ``-Infinity`` are not JSON: a file holding one is refused ("not valid JSON").

    Raises:
        ParseError: naming the file and what is wrong — unreadable or not a regular
            file, too large, a record too large, truncated or corrupt gzip, not JSON, no
            ``Records``, a CloudTrail digest file — or, with ``line`` set to the record's index in
            ``Records``, a record that is invalid.

    Examples:
        >>> import gzip, rootguard
        >>> data = gzip.compress(b'{"Records": [{"eventName": "GetCallerIdentity"}]}')
        >>> [ev.event_name for ev in rootguard.read_cloudtrail_file(data)]
        ['GetCallerIdentity']
    """
    records, label = _load_records(source, name, max_file_bytes, max_record_bytes)
    logger.debug("read %d records from %s", len(records), label)
    return _iter_events(records, label)

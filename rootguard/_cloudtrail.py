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
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from os import PathLike
from typing import Any, Final

from pydantic import ValidationError

from rootguard._errors import ParseError
from rootguard._models import CloudTrailEvent

_gunzip: Callable[[bytes], bytes]
try:  # ISA-L gzip is several times faster; it is an optional extra (rootguard[fast]).
    from isal import igzip as _igzip

    _gunzip = _igzip.decompress
    _GZIP_NAME = "isal"
except ImportError:  # pragma: no cover - depends on the installed extras
    _gunzip = gzip.decompress
    _GZIP_NAME = "stdlib"

GZIP: Final[str] = _GZIP_NAME
"""Which gzip decoder reads log files: ``"isal"`` (python-isal) or ``"stdlib"``."""

__all__ = ["iter_raw_records", "parse_cloudtrail_event", "read_cloudtrail_file"]

logger = logging.getLogger(__name__)

GZIP_MAGIC: Final = b"\x1f\x8b"
"""The first two bytes of a gzip stream: content is decompressed by them, not by its name."""
_ENVELOPE_TYPE_KEYS: Final = ("detail-type", "detailType", "DetailType")
_RECORD_HINT_KEYS: Final = ("eventVersion", "eventName", "eventSource", "userIdentity")
_DIGEST_KEYS: Final = frozenset(
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
_MAX_SHOWN = 80


def is_digest_document(document: Mapping[str, Any]) -> bool:
    """Whether a JSON object without ``Records`` is a CloudTrail digest file (by its keys)."""
    return not _DIGEST_KEYS.isdisjoint(document)


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
    """``json.loads`` whose every failure is a ParseError naming the position."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            source=source,
        ) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what} is not UTF-8 text: {exc.reason}", source=source) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise ParseError(f"{what} is not valid JSON: {exc}", source=source) from None


def _unwrap_record(data: Mapping[str, Any], *, source: str | None = None) -> Mapping[str, Any]:
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


def _event_from_record(
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
        record = _unwrap_record(data)
    except RecursionError:
        raise ParseError("input is nested too deeply") from None
    return _event_from_record(record, owned=owned)


def _read_source(source: str | PathLike[str] | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "<bytes>"
    if not isinstance(source, (str, PathLike)):
        raise ParseError(f"expected a file path or bytes, not {type(source).__name__}", source=name)
    label = name or os.fspath(source)
    try:
        with open(source, "rb") as handle:
            return handle.read(), label
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", source=label) from None


def _decompress(content: bytes, label: str) -> bytes:
    if not content.startswith(GZIP_MAGIC):
        return content
    try:
        return bytes(_gunzip(content))
    except Exception as exc:  # EOFError, BadGzipFile, zlib/ISA-L errors
        raise ParseError(gzip_failure(exc)[1], source=label) from None


def _load_records(source: str | PathLike[str] | bytes, name: str | None) -> tuple[list[Any], str]:
    content, label = _read_source(source, name)
    content = _decompress(content, label)
    if not content.strip():
        raise ParseError("empty file, expected a CloudTrail log file", source=label)
    document = _loads(content, source=label, what="file")
    if not isinstance(document, dict):
        raise ParseError(
            f"not a CloudTrail log file: the JSON document is a {type(document).__name__}, "
            'expected an object with "Records"',
            source=label,
        )
    if "Records" not in document:
        if is_digest_document(document):
            raise ParseError(
                "a CloudTrail digest file (digestStartTime, digestS3Object ...), not a log file",
                source=label,
            )
        keys = ", ".join(sorted(map(str, document))[:5]) or "none"
        raise ParseError(
            f'not a CloudTrail log file: no "Records" key (keys: {keys})', source=label
        )
    records = document["Records"]
    if not isinstance(records, list):
        raise ParseError(
            '"Records" is not an array',
            source=label,
            column="Records",
            value=_shorten(records),
        )
    return records, label


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
    source: str | PathLike[str] | bytes, *, name: str | None = None
) -> Iterator[dict[str, Any]]:
    """The raw records of a CloudTrail log file, as dicts, without building models.

    Same file checks as :func:`read_cloudtrail_file` (done when called, before the first
    record is yielded); each record is only checked to be a JSON object. Meant for bulk
    scanning together with ``detect_root_activity``, which validates only the records
    that may be root activity.
    """
    records, label = _load_records(source, name)
    return _iter_checked(records, label)


def _iter_events(records: list[Any], label: str) -> Iterator[CloudTrailEvent]:
    for index, record in enumerate(records):
        yield _event_from_record(record, owned=True, source=label, line=index)


def read_cloudtrail_file(
    source: str | PathLike[str] | bytes, *, name: str | None = None
) -> Iterator[CloudTrailEvent]:
    """Read a CloudTrail log file (``{"Records": [...]}``, gzip-compressed or not).

    ``source`` is a path or the file's bytes; gzip is recognised by its magic bytes, not
    by the name. ``name`` labels the file in errors (default: the path, or ``<bytes>``).
    The file is read and checked when the function is called; records are validated as
    they are iterated.

    Raises:
        ParseError: naming the file and what is wrong — unreadable file, truncated or
            corrupt gzip, not JSON, no ``Records``, a CloudTrail digest file — or, with
            ``line`` set to the record's index in ``Records``, a record that is invalid.

    Examples:
        >>> import gzip, rootguard
        >>> data = gzip.compress(b'{"Records": [{"eventName": "GetCallerIdentity"}]}')
        >>> [ev.event_name for ev in rootguard.read_cloudtrail_file(data)]
        ['GetCallerIdentity']
    """
    records, label = _load_records(source, name)
    logger.debug("read %d records from %s", len(records), label)
    return _iter_events(records, label)

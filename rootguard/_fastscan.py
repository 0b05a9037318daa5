"""Fast, exact root-activity extraction from one CloudTrail log file (pure: no AWS, no clock).

This is the CPU half of :func:`~rootguard.scan_cloudtrail_archive`: bytes of one file in,
a :class:`FileScan` out (how many records, which of them are root activity, or why the
file was skipped or could not be read). The I/O half (listing, downloading, executors)
lives in ``rootguard._archive``; the scan results models live here so that they stay pure.

How it stays fast without missing anything:

1. gzip is decompressed with ISA-L (python-isal's reader, the ``fast`` extra) into one
   buffer reused from file to file (:class:`Inflater`), else by the standard library.
2. A ``msgspec.Struct`` decoder that declares only what the candidate test needs —
   ``userIdentity.type`` and ``eventName`` — reads every record; msgspec skips all other
   fields without building objects. Candidates: identity type ``Root`` or
   ``FederatedUser``, an ``AssumeRoot`` call, or no ``userIdentity`` at all (an
   EventBridge / LookupEvents wrapper, which detection unwraps). The test runs on
   *decoded* values (escapes such as ``"R\\u006fot"`` and any spacing are already
   resolved), and it is a superset of the cheap filter of ``rootguard._detect``: every
   record that detection could accept is a candidate.
3. msgspec checks the UTF-8 only of the strings it decodes, not of what it skips;
   ``json.loads`` rejects invalid UTF-8 anywhere. So :func:`is_utf8` checks the whole
   text (8 KB at a time: ``bytes.isascii``, and a decode only where it is not ASCII).
4. Only the candidates are decoded in full (stdlib ``json``, exactly as the reference
   reader decodes, from a second msgspec pass that keeps each record's bytes) and
   classified as :func:`~rootguard.classify_event` classifies them; the models built for
   them are handed on, so that the parent's ``detect_root_activity`` does not validate
   them again.
5. Anything unusual for the fast decoder (a field of an unexpected JSON type, ``NaN``,
   a lone surrogate escape, a byte-order mark, invalid JSON or UTF-8) falls back to the
   plain stdlib path, which mirrors ``rootguard._cloudtrail.iter_raw_records`` check for
   check — so the verdict on a file never depends on which path ran. Without ``msgspec``
   installed the stdlib path is the only one.
6. Hostile files are capped (``max_file_bytes``, 64 MiB by default): the size as given,
   the size decompressed (checked while decompressing, into a buffer that never grows
   past the cap), and the number of records (``max_file_bytes / MIN_RECORD_BYTES``: the
   fast path counts records while msgspec decodes them and stops at the first one too
   many; the stdlib path counts them once decoded). A file over the record cap that is
   also broken in another way (invalid JSON after the records, a second ``Records`` key)
   may get ``too_large`` on the fast path and another verdict on the stdlib path: the
   one exception to the paragraph above, for files no CloudTrail writer produces.

Measured and not used (``docs/archives.md`` gives the figures): a byte-level substring
prefilter (to be sound it needs a second scan for ``\\u`` escapes, and the two scans
cost more than the declared-fields decoding they would let a file skip); one msgspec
pass keeping every record's bytes, then each record decoded for the candidate test
(much slower than the second pass over the few files with a candidate); libdeflate
(faster, but its Python binding cannot say where a gzip member ends, so multi-member
files and trailing bytes would not be read as the reference reads them); zlib-ng
(slower than ISA-L).

``tests/unit/test_fastscan.py`` proves with hypothesis that both paths give the same
activities and the same file verdicts as ``iter_raw_records`` + ``detect_root_activity``.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from rootguard._cloudtrail import (
    DEFAULT_MAX_FILE_BYTES,
    GZIP,
    GZIP_MAGIC,
    MIN_RECORD_BYTES,
    TooLarge,
    _event_from_record,
    _unwrap_record,
    gzip_failure,
    is_digest_document,
    open_gzip,
    read_capped,
    too_large_stored,
)
from rootguard._detect import _classify, _is_candidate
from rootguard._errors import ParseError
from rootguard._models import ActivitySource, CloudTrailEvent, RootActivity, StrEnum, UtcDatetime

__all__ = [
    "DECODER",
    "GZIP",
    "FailedFile",
    "FailureReason",
    "FileScan",
    "Inflater",
    "RecordFilter",
    "ScanResult",
    "SkipReason",
    "SkippedFile",
    "gunzip",
    "scan_log_bytes",
]

logger = logging.getLogger(__name__)

try:  # declared-fields JSON decoding: the optional `fast` extra
    import msgspec

    _HAVE_MSGSPEC = True
except ImportError:  # pragma: no cover - depends on the installed extras
    _HAVE_MSGSPEC = False

DECODER: Final[str] = "msgspec" if _HAVE_MSGSPEC else "json"
"""Which JSON decoder the fast path uses: ``"msgspec"`` or ``"json"`` (stdlib only)."""

_MAX_DETAIL = 300


# ---------------------------------------------------------------------------------------
# Result models (public through rootguard/__init__.py)
# ---------------------------------------------------------------------------------------


class SkipReason(StrEnum):
    """Why a file of an archive was not read (it is not a CloudTrail log file)."""

    DIGEST = "digest"
    """A CloudTrail digest file (``CloudTrail-Digest`` in the path, or digest content)."""
    NOT_A_LOG_FILE = "not_a_log_file"
    """Not named like a log file (not ``.json``/``.json.gz``), or an S3 folder marker."""
    NOT_REGULAR_FILE = "not_regular_file"
    """A FIFO, a socket, a character or block device — never opened for reading (a FIFO
    would block the scan forever, ``/dev/zero`` never ends)."""
    FOLDER_LOOP = "folder_loop"
    """A local folder that is one of its own ancestors (by device and inode): a symbolic
    link or bind mount back up the tree. Not entered: the walk would never end."""


class FailureReason(StrEnum):
    """Why a file of an archive could not be read. The scan goes on with the next file."""

    READ_FAILED = "read_failed"
    """The file or S3 object could not be read (missing, denied, connection error, a
    dangling symbolic link or a symbolic link loop, a folder that cannot be listed)."""
    TOO_LARGE = "too_large"
    """Over ``max_file_bytes``: as stored (compressed or not), once decompressed (checked
    while decompressing: never inflated in full), or by its number of records (more
    than ``max_file_bytes / 256``)."""
    EMPTY = "empty"
    """No content (or only whitespace)."""
    TRUNCATED_GZIP = "truncated_gzip"
    """The gzip stream ends before its end-of-stream marker."""
    CORRUPT_GZIP = "corrupt_gzip"
    """The gzip stream is damaged (bad header, CRC mismatch ...)."""
    NOT_JSON = "not_json"
    """The content is not JSON (or not UTF-8 text)."""
    NO_RECORDS = "no_records"
    """Valid JSON, but not an object with a ``Records`` key."""
    INVALID_RECORDS = "invalid_records"
    """``Records`` is not an array of JSON objects."""
    INVALID_RECORD = "invalid_record"
    """A record that may be root activity is not a valid CloudTrail record."""


class SkippedFile(BaseModel):
    """A file of the archive that was deliberately not read, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """Local path or ``s3://bucket/key``."""
    reason: SkipReason
    detail: str = ""


class FailedFile(BaseModel):
    """A file of the archive that could not be read; its records are not in the result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """Local path or ``s3://bucket/key``."""
    reason: FailureReason
    detail: str = ""
    """What exactly is wrong (the parser's or AWS's message)."""


class ScanResult(BaseModel):
    """What :func:`~rootguard.scan_cloudtrail_archive` found.

    Every file the scan saw is counted exactly once: ``files_seen == files_scanned +
    len(skipped) + len(errors)``. Files left out by the ``accounts``, ``regions``,
    ``since`` and ``until`` filters on the strength of their path alone are not read and
    are counted in ``files_pruned`` when they were listed (folders pruned whole are never
    listed).

    Examples:
        >>> import rootguard
        >>> result = rootguard.ScanResult()
        >>> result.files_seen, result.activities
        (0, [])
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    activities: list[RootActivity] = []
    """Root activity, sorted by (event_time, event_id)."""
    files_scanned: int = 0
    """Log files read in full."""
    events_scanned: int = 0
    """Records in the files scanned (all of them, whatever their time or identity)."""
    skipped: list[SkippedFile] = []
    """Digest and non-log files, sorted by path."""
    errors: list[FailedFile] = []
    """Unreadable files, sorted by path."""
    files_pruned: int = 0
    """Files listed but not read because their path is outside the filters."""
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    decoder: str = DECODER
    """The JSON decoder of the fast path that ran (``msgspec`` or ``json``)."""
    gzip: str = GZIP
    """The gzip decoder that ran (``isal`` or ``stdlib``)."""

    @property
    def files_seen(self) -> int:
        """Files the scan looked at: scanned + skipped + errors."""
        return self.files_scanned + len(self.skipped) + len(self.errors)

    @property
    def alerts(self) -> list[RootActivity]:
        """The activities that should alert (all but the CIS exclusions)."""
        return [a for a in self.activities if a.alert]

    def to_json(self, *, indent: int | None = 2) -> str:
        """The whole result as JSON (:meth:`from_json` reads it back, equal)."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, data: str | bytes) -> ScanResult:
        """Read a result written by :meth:`to_json`.

        Raises:
            ParseError: the text is not a rootguard scan result.
        """
        from pydantic import ValidationError

        from rootguard._errors import ParseError

        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise ParseError(f"not a rootguard scan result: {exc.errors()[0]['msg']}") from None

    def to_records(self) -> list[dict[str, str | int | float | bool | None]]:
        """One flat record per root activity (scalars only): ``pandas.DataFrame(records)``.
        The columns are :class:`RootActivity`'s fields (see
        :meth:`rootguard.RootActivities.to_records`)."""
        from rootguard._render import activity_records

        return activity_records(self.activities)

    def __repr__(self) -> str:
        return (
            f"ScanResult(files_seen={self.files_seen}, files_scanned={self.files_scanned}, "
            f"skipped={len(self.skipped)}, errors={len(self.errors)}, "
            f"events_scanned={self.events_scanned}, activities={len(self.activities)})"
        )

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from rootguard._notebook import scan_view

        return scan_view(self).html()

    def _repr_markdown_(self) -> str:
        from rootguard._notebook import scan_view

        return scan_view(self).markdown()


# ---------------------------------------------------------------------------------------
# Per-file outcome (internal currency between workers and the parent)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFilter:
    """Which root records to keep: the time window and, by the account and region that
    logged them, the accounts and regions asked for (None: all). Picklable."""

    since: datetime | None = None
    until: datetime | None = None
    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None

    def keeps_location(self, account: str | None, region: str | None) -> bool:
        """Whether a record logged by ``account`` in ``region`` is wanted."""
        if self.accounts is not None and account not in self.accounts:
            return False
        return self.regions is None or region in self.regions

    def keeps_time(self, when: datetime | None) -> bool:
        """``since <= when < until`` (a record without a time is kept only without a window)."""
        if self.since is None and self.until is None:
            return True
        if when is None:
            return False
        if self.since is not None and when < self.since:
            return False
        return self.until is None or when < self.until


@dataclass(frozen=True)
class FileScan:
    """The outcome of one file: scanned (with its root records), skipped or failed."""

    events: int = 0
    roots: tuple[CloudTrailEvent, ...] = ()
    """The records that are root activity (as ``classify_event`` judges them) and pass the
    filter, in file order, as the models classification built (``to_record()`` gives the
    raw record): ``detect_root_activity`` takes them without validating them again.
    Correlation (AssumeRoot) is left to the caller, across files."""
    skip: SkipReason | None = None
    failure: FailureReason | None = None
    detail: str = ""

    @property
    def scanned(self) -> bool:
        """True when the file was read in full."""
        return self.skip is None and self.failure is None


class _Failure(Exception):
    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail if len(detail) <= _MAX_DETAIL else detail[: _MAX_DETAIL - 3] + "..."


class _Digest(Exception):
    pass


class _NotFast(Exception):
    """The fast decoder cannot decide this file; use the stdlib path."""


# ---------------------------------------------------------------------------------------
# Decompression
# ---------------------------------------------------------------------------------------


_MAX_RATIO: Final = 1032
"""Deflate cannot expand one compressed byte into more than about 1032 bytes."""
_KEEP_BYTES: Final = 32 * 1024 * 1024
"""An :class:`Inflater` keeps its buffer for the next file up to this size."""


class Inflater:
    """Decompresses gzip into one reused buffer, not into a new ``bytes`` per file.

    A fresh output buffer per file costs a copy (the decoder's blocks joined into one
    ``bytes``) and, for buffers of hundreds of KB, page faults; a reused one is already
    mapped and warm in the CPU cache. The view returned by :meth:`inflate` is only valid
    until the next call: one inflater per thread of work (the archive scan keeps one per
    work unit). Uses python-isal's reader (the ``fast`` extra), else — or with
    ``stdlib=True`` — the standard library's ``gzip.GzipFile``, 256 KiB at a time.

    Decompression streams into the buffer and stops once more than ``limit`` bytes have
    come out: a gzip bomb never costs more than the limit.
    """

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def inflate(
        self,
        content: bytes | memoryview,
        *,
        stdlib: bool = False,
        limit: int | None = DEFAULT_MAX_FILE_BYTES,
    ) -> bytes | memoryview:
        """``content`` decompressed when it starts with the gzip magic bytes, else as is.

        Raises:
            ParseError: truncated or corrupt gzip, or more than ``limit`` bytes.
        """
        try:
            return self._inflate(content, stdlib, limit)
        except _Failure as exc:
            raise ParseError(exc.detail) from None

    def _inflate(
        self, content: bytes | memoryview, stdlib: bool, limit: int | None
    ) -> bytes | memoryview:
        if content[:2] != GZIP_MAGIC:
            return content
        try:
            return self._into_buffer(content, stdlib, limit)
        except TooLarge as exc:
            raise _Failure(FailureReason.TOO_LARGE, exc.detail) from None
        except Exception as exc:  # EOFError, BadGzipFile, zlib / ISA-L errors
            truncated, message = gzip_failure(exc)
            reason = FailureReason.TRUNCATED_GZIP if truncated else FailureReason.CORRUPT_GZIP
            raise _Failure(reason, message) from None

    def _into_buffer(
        self, content: bytes | memoryview, stdlib: bool, limit: int | None
    ) -> memoryview:
        reader, chunk = open_gzip(content, stdlib=stdlib)  # every member, like decompress
        # The trailer's size field sizes the buffer (+1: the read that finds the end needs
        # room). It is only a hint — the last member's size modulo 2**32, and a damaged
        # file may lie — so it is capped, and the buffer grows when it is too small.
        want = min(int.from_bytes(content[-4:], "little") + 1, len(content) * _MAX_RATIO)
        if limit is not None:
            want = min(want, limit + 1)
        buffer = self._buffer
        if len(buffer) < want:
            buffer = bytearray(want)
        buffer, size = read_capped(
            reader.readinto, buffer, limit, chunk=chunk, what="decompresses to"
        )
        if len(buffer) <= _KEEP_BYTES:
            self._buffer = buffer
        return memoryview(buffer)[:size]


def gunzip(content: bytes, *, limit: int | None = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """Decompress gzip ``content`` (ISA-L when installed); other content is returned as is.

    Raises:
        ParseError: truncated or corrupt gzip, or more than ``limit`` bytes.
    """
    return bytes(Inflater().inflate(content, limit=limit))


# ---------------------------------------------------------------------------------------
# The msgspec fast path
# ---------------------------------------------------------------------------------------

if _HAVE_MSGSPEC:
    # gc=False: these hold only strings; millions of them must not wake the GC.
    class _Identity(msgspec.Struct, gc=False):
        type: str | None = None

    # A record without a userIdentity key gets this identity, whose type is a candidate:
    # it may be an EventBridge or LookupEvents wrapper, which the detection unwraps (and
    # may accept, or reject as invalid). `"userIdentity": null` is not an _Identity: the
    # fast decoder gives up on that file and the stdlib path decides, exactly.
    _NO_IDENTITY_TYPE: Final = "\x00no userIdentity"
    _NO_IDENTITY: Final = _Identity(type=_NO_IDENTITY_TYPE)

    class _Record(msgspec.Struct, gc=False):
        userIdentity: _Identity = msgspec.field(default_factory=lambda: _NO_IDENTITY)
        eventName: str | None = None

    class _Envelope(msgspec.Struct):
        Records: list[_Record]

    # Past a size where a file could hold more records than its cap allows, the records
    # are counted as they are decoded, and decoding stops at the first one too many: a
    # file of tiny records (``{},{},...``) never costs 40 bytes per 3 bytes of text.
    _left = threading.local()

    class _TooManyRecords(Exception):
        pass

    class _CountedRecord(_Record, gc=False):
        def __post_init__(self) -> None:
            _left.records -= 1
            if _left.records < 0:
                raise _TooManyRecords

    class _CountedEnvelope(msgspec.Struct):
        Records: list[_CountedRecord]

    class _RawEnvelope(msgspec.Struct):
        Records: list[msgspec.Raw]

    _record_decoder = msgspec.json.Decoder(_Envelope)
    _counted_decoder = msgspec.json.Decoder(_CountedEnvelope)
    _raw_decoder = msgspec.json.Decoder(_RawEnvelope)
    _FAST_ERRORS: tuple[type[BaseException], ...] = (
        msgspec.DecodeError,
        msgspec.ValidationError,
        RecursionError,
    )

    # A superset of rootguard._detect's cheap filter (which also wants a Root session
    # issuer for FederatedUser, and sts for AssumeRoot): classify_event has the last word.
    _CANDIDATE_TYPES: Final = frozenset({"Root", "FederatedUser", _NO_IDENTITY_TYPE})

    def _candidates(records: Sequence[_Record]) -> list[int]:
        """Indexes of the records detection may accept (a plain comprehension: measured
        faster than C-level map/set tricks on CloudTrail-sized files)."""
        return [
            index
            for index, rec in enumerate(records)
            if rec.userIdentity.type in _CANDIDATE_TYPES or rec.eventName == "AssumeRoot"
        ]

    def _decode_records(data: bytes | memoryview, max_records: int | None) -> Sequence[_Record]:
        # A record takes at least 3 bytes ("{}" and a comma): below that size, the count
        # cannot go over.
        if max_records is None or len(data) <= 3 * max_records:
            return _record_decoder.decode(data).Records
        _left.records = max_records
        try:
            found: Sequence[_Record] = _counted_decoder.decode(data).Records
        except _TooManyRecords:
            raise _Failure(FailureReason.TOO_LARGE, _too_many_records(max_records)) from None
        return found

    def _fast_records(
        data: bytes | memoryview, max_records: int | None
    ) -> tuple[int, Iterator[dict[str, Any]] | None]:
        """(record count, the candidate records, decoded one at a time) — or _NotFast
        when msgspec cannot decide."""
        try:
            records = _decode_records(data, max_records)
            # msgspec does not check the UTF-8 of what it skips (every undeclared field,
            # key or value); json.loads does, so invalid UTF-8 anywhere is for the
            # stdlib path to report.
            if not is_utf8(data):
                raise _NotFast
            hits = _candidates(records)
        except _FAST_ERRORS:
            raise _NotFast from None
        count = len(records)
        del records  # the second pass, if any, does not need them
        return count, (_decoded_candidates(data, hits) if hits else None)

    def _decoded_candidates(data: bytes | memoryview, hits: list[int]) -> Iterator[dict[str, Any]]:
        """The candidate records, each decoded in full by the stdlib (exactly as the
        reference reader decodes) from a second msgspec pass that keeps each record's
        bytes — one at a time, so that many candidates never cost all their objects at
        once."""
        try:
            raw = _raw_decoder.decode(data).Records
        except _FAST_ERRORS:  # pragma: no cover - the first pass decoded the same text
            raise _NotFast from None
        for index in hits:
            try:
                record = json.loads(bytes(raw[index]))
            except (ValueError, TypeError, RecursionError):  # cannot happen: be safe
                raise _NotFast from None
            yield record


def _too_many_records(max_records: int) -> str:
    return f"more than {max_records} records (max_file_bytes / {MIN_RECORD_BYTES}); stopped there"


_UTF8_CHUNK: Final = 8 * 1024
_utf8_decode: Final = codecs.utf_8_decode


def is_utf8(data: bytes | memoryview) -> bool:
    """Whether ``data`` decodes as UTF-8 with ``surrogatepass`` (as ``json.loads`` of bytes
    decodes it).

    Checked in chunks of 8 KB: a chunk of ASCII (nearly all of a CloudTrail log file) is
    only tested with ``bytes.isascii``; the others are decoded, a sequence cut by the
    chunk's end being carried over into the next chunk. About a third cheaper than an
    incremental decoder over every chunk, and three times cheaper than one
    ``bytes.decode`` of a whole log file, whose text would not fit in the CPU cache.
    """
    view = memoryview(data)
    size = len(view)
    start = 0
    try:
        while start < size:
            end = start + _UTF8_CHUNK
            chunk = view[start:end]
            if bytes(chunk).isascii():
                start = end
            else:
                start += _utf8_decode(chunk, "surrogatepass", end >= size)[1]
    except UnicodeDecodeError:
        return False
    return True


# ---------------------------------------------------------------------------------------
# The stdlib path (mirrors rootguard._cloudtrail._load_records check for check)
# ---------------------------------------------------------------------------------------


_JSON: Final = json.JSONDecoder()
"""What ``json.loads`` decodes with (the default decoder)."""


def _json_text(data: bytes | memoryview) -> str:
    """``data`` as text, exactly as ``json.loads`` of bytes decodes it (encoding detected
    from the first bytes, ``surrogatepass``) — without first copying it into ``bytes``."""
    try:
        return str(data, json.detect_encoding(bytes(data[:4])), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise _Failure(FailureReason.NOT_JSON, f"not UTF-8 text: {exc.reason}") from None


def _stdlib_records(text: str, max_records: int | None) -> tuple[int, list[dict[str, Any]]]:
    try:
        document = _JSON.decode(text)
    except json.JSONDecodeError as exc:
        raise _Failure(
            FailureReason.NOT_JSON,
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        ) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise _Failure(FailureReason.NOT_JSON, f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise _Failure(
            FailureReason.NO_RECORDS,
            f'the JSON document is a {type(document).__name__}, expected an object with "Records"',
        )
    if "Records" not in document:
        if is_digest_document(document):
            raise _Digest
        keys = ", ".join(sorted(map(str, document))[:5]) or "none"
        raise _Failure(FailureReason.NO_RECORDS, f'no "Records" key (keys: {keys})')
    records = document["Records"]
    if not isinstance(records, list):
        raise _Failure(
            FailureReason.INVALID_RECORDS, f'"Records" is a {type(records).__name__}, not an array'
        )
    if max_records is not None and len(records) > max_records:
        raise _Failure(FailureReason.TOO_LARGE, _too_many_records(max_records))
    for index, record in enumerate(records):
        if type(record) is not dict:
            raise _Failure(
                FailureReason.INVALID_RECORDS,
                f"Records[{index}] is a {type(record).__name__}, not an object",
            )
    return len(records), records


# ---------------------------------------------------------------------------------------
# One file
# ---------------------------------------------------------------------------------------

_KEEP_ALL: Final = RecordFilter()


_NOT_SPACE: Final = re.compile(rb"[^ \t\n\r\x0b\x0c]")
"""Anything but the ASCII whitespace ``bytes.strip()`` removes."""


def scan_log_bytes(
    content: bytes | memoryview,
    *,
    record_filter: RecordFilter = _KEEP_ALL,
    path_account: str | None = None,
    path_region: str | None = None,
    fast: bool | None = None,
    inflater: Inflater | None = None,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
) -> FileScan:
    """Scan one CloudTrail log file's bytes (gzip or not): never raises for bad content.

    ``path_account`` / ``path_region``: the account and region the file's path names
    (CloudTrail layout), used by ``record_filter`` instead of the records' own
    ``recipientAccountId`` / ``awsRegion``. ``fast``: force (True) or avoid (False) the
    msgspec path (False also decompresses with the stdlib); None picks msgspec when
    installed. ``inflater``: reuse its buffer across the files of one thread of work.
    ``max_file_bytes``: the cap on the content's size, on its decompressed size (checked
    while decompressing) and — divided by ``MIN_RECORD_BYTES`` — on its number of
    records (None: no cap); over it, the file fails with ``too_large``.

    Examples:
        >>> import gzip, json
        >>> rec = {"eventName": "ListBuckets", "eventType": "AwsApiCall",
        ...        "userIdentity": {"type": "Root", "accessKeyId": "AKIAEXAMPLE"}}
        >>> scan = scan_log_bytes(gzip.compress(json.dumps({"Records": [rec]}).encode()))
        >>> scan.events, [r.event_name for r in scan.roots]
        (1, ['ListBuckets'])
        >>> bomb = gzip.compress(b" " * 5_000_000)
        >>> scan_log_bytes(bomb, max_file_bytes=1_000_000).failure.value
        'too_large'
    """
    use_fast = _HAVE_MSGSPEC if fast is None else (fast and _HAVE_MSGSPEC)
    if inflater is None:
        inflater = Inflater()
    max_records = None if max_file_bytes is None else max(1, max_file_bytes // MIN_RECORD_BYTES)
    try:
        if max_file_bytes is not None and len(content) > max_file_bytes:
            raise _Failure(
                FailureReason.TOO_LARGE, too_large_stored(len(content), max_file_bytes).detail
            )
        data = inflater._inflate(content, fast is False, max_file_bytes)
        if _NOT_SPACE.search(data) is None:
            raise _Failure(FailureReason.EMPTY, "empty file, expected a CloudTrail log file")
        try:
            if not use_fast:
                raise _NotFast
            count, candidates = _fast_records(data, max_records)
            roots = _fast_roots(candidates, record_filter, path_account, path_region)
        except _NotFast:
            text = _json_text(data)
            del data  # a large decompression buffer is not kept: free it before decoding
            count, records = _stdlib_records(text, max_records)
            del text
            roots = _root_records(records, record_filter, path_account, path_region)
    except _Digest:
        return FileScan(skip=SkipReason.DIGEST, detail="a CloudTrail digest file (by content)")
    except _Failure as exc:
        return FileScan(failure=exc.reason, detail=exc.detail)
    return FileScan(events=count, roots=roots)


def _fast_roots(
    candidates: Iterator[dict[str, Any]] | None,
    record_filter: RecordFilter,
    path_account: str | None,
    path_region: str | None,
) -> tuple[CloudTrailEvent, ...]:
    if candidates is None:
        return ()
    try:
        return _root_records(candidates, record_filter, path_account, path_region)
    except _Failure:
        # Every candidate used to be decoded before any was classified: a later one the
        # stdlib cannot decode still sends the file to the stdlib path (_NotFast).
        for _ in candidates:
            pass
        raise


def _root_records(
    records: Iterable[dict[str, Any]],
    record_filter: RecordFilter,
    path_account: str | None,
    path_region: str | None,
) -> tuple[CloudTrailEvent, ...]:
    kept: list[CloudTrailEvent] = []
    for index, record in enumerate(records):
        try:
            found = _classify_owned(record)
        except ParseError as exc:
            raise _Failure(
                FailureReason.INVALID_RECORD, f"a root-activity record is invalid: {exc}"
            ) from None
        if found is None:
            continue
        event, activity = found
        if not record_filter.keeps_time(activity.event_time):
            continue
        account = path_account or _logged_by(record)
        region = path_region or _str(record.get("awsRegion"))
        if not record_filter.keeps_location(account, region):
            continue
        logger.debug("root activity in record %d: %s", index, activity.event_name)
        kept.append(event)
    return tuple(kept)


def _classify_owned(record: dict[str, Any]) -> tuple[CloudTrailEvent, RootActivity] | None:
    """``classify_event(record)``, keeping the model it builds, for a record this module
    decoded itself: it is owned, so the model takes it without the defensive deep copy.

    The steps of ``rootguard._detect`` for a raw mapping: unwrap, cheap filter, validate,
    classify. The tests hold the result equal to ``detect_root_activity`` of the records.
    """
    try:
        inner = _unwrap_record(record)
    except RecursionError:
        raise ParseError("input is nested too deeply") from None
    if not _is_candidate(inner):
        return None
    event = _event_from_record(inner, owned=True)
    classified = _classify(event, ActivitySource.CLOUDTRAIL)
    return None if classified is None else (event, classified[0])


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _logged_by(record: dict[str, Any]) -> str | None:
    account = _str(record.get("recipientAccountId"))
    if account:
        return account
    identity = record.get("userIdentity")
    return _str(identity.get("accountId")) if isinstance(identity, dict) else None


def utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def frozen(values: Collection[str] | None) -> frozenset[str] | None:
    """``values`` as a frozenset (None stays None; a lone string is one value)."""
    if values is None:
        return None
    if isinstance(values, str):
        return frozenset({values})
    return frozenset(values)

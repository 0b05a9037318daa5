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
   classified as :func:`~rootguard.classify_event` classifies them. A worker hands on
   only each root record's activity and whether it is an ``AssumeRoot`` call
   (:class:`RootHit`): the parent correlates them (:func:`activities_of`), exactly as
   ``detect_root_activity`` would, without ever receiving a record.
5. Anything unusual for the fast decoder (a field of an unexpected JSON type, ``NaN``,
   a lone surrogate escape, a byte-order mark, invalid JSON or UTF-8) falls back to the
   stdlib path, which reads the file exactly as ``rootguard._cloudtrail.iter_raw_records``
   does (both use ``rootguard._jsonstream``) — so the verdict on a file never depends on
   which path ran. Without ``msgspec`` installed the stdlib path is the only one. The
   stdlib path decodes one record at a time, never more than ``max_record_bytes`` of it.
6. Hostile files are capped (``max_file_bytes``, 64 MiB by default): the size as given,
   the size decompressed (checked while decompressing, into a buffer that never grows
   past the cap), the number of records (``max_file_bytes / MIN_RECORD_BYTES``) and the
   size of each record (``max_record_bytes``, 1 MiB by default). The fast path counts
   records while msgspec decodes them, and checks the size of every record of a file
   larger than ``max_record_bytes`` from the second pass's bytes before decoding any
   candidate; a file over either cap, or one it cannot bound (a second ``Records`` key,
   another top-level key, a character outside the Basic Multilingual Plane — one string
   of it could cost 4 bytes a character), goes to the stdlib path, which decides (the
   first problem in the file's order).

Why not something else (the measurements are in ``benchmarks/README.md``): a byte-level
substring prefilter is sound only with a second scan for ``\\u`` escapes, and the two
scans cost more than the declared-fields decoding they would let a file skip; decoding
every record for the candidate test in one pass costs more than a second pass over the
few files that hold a candidate; libdeflate's Python binding cannot say where a gzip
member ends, so multi-member files and trailing bytes would not be read as the reference
reads them; zlib-ng is slower than ISA-L.

``tests/unit/test_fastscan.py`` proves with hypothesis that both paths give the same
activities and the same file verdicts as ``iter_raw_records`` + ``detect_root_activity``.
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from pydantic import BaseModel, ConfigDict

from rootguard._cloudtrail import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_RECORD_BYTES,
    GZIP,
    GZIP_MAGIC,
    MIN_RECORD_BYTES,
    TooLarge,
    event_from_record,
    gzip_failure,
    open_gzip,
    read_capped,
    too_large_stored,
    unwrap_record,
)
from rootguard._detect import classify_parsed, correlate, is_candidate
from rootguard._errors import ParseError, json_indent
from rootguard._jsonstream import (
    PASSED,
    RESTART,
    LogFormatError,
    Problem,
    Unread,
    iter_log_records,
)
from rootguard._jsonstream import loads as strict_loads
from rootguard._models import ActivitySource, CloudTrailEvent, RootActivity, StrEnum, UtcDatetime

if TYPE_CHECKING:
    from rootguard._view import View

__all__ = [
    "DECODER",
    "DEFAULT_MAX_ROOT_RECORDS_PER_FILE",
    "GZIP",
    "FailedFile",
    "FailureReason",
    "FileScan",
    "Inflater",
    "RecordFilter",
    "RootHit",
    "ScanResult",
    "SkipReason",
    "SkippedFile",
    "activities_of",
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

DEFAULT_MAX_ROOT_RECORDS_PER_FILE: Final = 10_000
"""The default cap on the root activities one log file may give an archive scan. A real
CloudTrail log file holds a few minutes of one account and region: a handful of root
records at most. Each activity costs about 1 KB of memory (plus its strings)."""


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
    """The content is not JSON (or not UTF-8 text). ``NaN``, ``Infinity`` and
    ``-Infinity`` are not JSON: a file holding one is refused on every path."""
    NO_RECORDS = "no_records"
    """Valid JSON, but not an object with a ``Records`` key."""
    INVALID_RECORDS = "invalid_records"
    """``Records`` is not an array of JSON objects."""
    INVALID_RECORD = "invalid_record"
    """A record that may be root activity is not a valid CloudTrail record."""
    RECORD_TOO_LARGE = "record_too_large"
    """A record over ``max_record_bytes`` (1 MiB by default; AWS caps an event at
    256 KB) that may be root activity — never decoded, so it cannot be told. ``detail``
    names the record (``Records[i]``), its byte offset and size. Like ``invalid_record``,
    only such records fail a file: one over the cap that cannot be root activity (its
    ``userIdentity.type`` and ``eventName``, read without decoding it, say so) is counted
    and passed over. Also a key of the file, or in a log file the value of another
    top-level key, over the cap."""
    TOO_MANY_ROOT_RECORDS = "too_many_root_records"
    """More root-activity records (kept by the filters) than ``max_root_records_per_file``
    (10,000 by default: a real log file holds a handful). ``detail`` says how many the
    file holds; none of them is in the result. Checked while reading, so a flood of root
    records never costs more than the cap's activities; decided once the file is read
    (any other problem of the file is reported instead)."""


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
        return self.model_dump_json(indent=json_indent(indent))

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

    def _view(self) -> View:
        """The scan's counts and its most severe root activities (notebooks)."""
        from rootguard._view import activities_view

        return activities_view(
            self.activities,
            title="rootguard archive scan",
            subtitle=f"{self.files_seen} files seen: {self.files_scanned} scanned, "
            f"{len(self.skipped)} skipped, {len(self.errors)} unreadable; "
            f"{self.events_scanned} events, {len(self.activities)} root activities",
        )

    def _repr_html_(self) -> str:
        return self._view().html()

    def _repr_markdown_(self) -> str:
        return self._view().markdown()


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


class RootHit(NamedTuple):
    """One root record of a file, as a worker hands it on: its activity, before
    correlation, and whether it is an ``sts:AssumeRoot`` call."""

    activity: RootActivity
    assume_root_call: bool


def activities_of(hits: Iterable[RootHit]) -> list[RootActivity]:
    """The activities of ``hits`` (in order), correlated as ``detect_root_activity``
    correlates them: equal to ``detect_root_activity`` of the records they come from."""
    activities: list[RootActivity] = []
    calls: list[bool] = []
    for activity, call in hits:
        activities.append(activity)
        calls.append(call)
    return correlate(activities, calls)


@dataclass(frozen=True)
class FileScan:
    """The outcome of one file: scanned (with its root records), skipped or failed."""

    events: int = 0
    roots: tuple[RootHit, ...] = ()
    """The records that are root activity (as ``classify_event`` judges them) and pass the
    filter, in file order: the activity classification built, and whether the record is
    an ``AssumeRoot`` call — not the record (a hostile record costs up to
    ``max_record_bytes`` of JSON; its activity, only the strings it names). Correlation
    (AssumeRoot) is left to the caller, across files: :func:`activities_of`."""
    skip: SkipReason | None = None
    failure: FailureReason | None = None
    detail: str = ""

    @property
    def scanned(self) -> bool:
        """True when the file was read in full."""
        return self.skip is None and self.failure is None


class ReadFailure(Exception):
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
        except ReadFailure as exc:
            raise ParseError(exc.detail) from None

    def _inflate(
        self, content: bytes | memoryview, stdlib: bool, limit: int | None
    ) -> bytes | memoryview:
        if content[:2] != GZIP_MAGIC:
            return content
        try:
            return self._into_buffer(content, stdlib, limit)
        except TooLarge as exc:
            raise ReadFailure(FailureReason.TOO_LARGE, exc.detail) from None
        except Exception as exc:  # EOFError, BadGzipFile, zlib / ISA-L errors
            truncated, message = gzip_failure(exc)
            reason = FailureReason.TRUNCATED_GZIP if truncated else FailureReason.CORRUPT_GZIP
            raise ReadFailure(reason, message) from None

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

    # Past a size where a file could hold more records than its cap allows (or where one
    # of its records could be over max_record_bytes), the records are counted as they are
    # decoded, and decoding stops at the first one too many: a file of tiny records
    # (``{},{},...``) never costs 40 bytes per 3 bytes of text. The count also reveals a
    # second "Records" key (msgspec keeps the last one silently), and the counting
    # envelope refuses any other top-level key: the stdlib path reads such files.
    _left = threading.local()

    class _TooManyRecords(Exception):
        pass

    class _CountedRecord(_Record, gc=False):
        def __post_init__(self) -> None:
            _left.records -= 1
            if _left.records < 0:
                raise _TooManyRecords

    class _CountedEnvelope(msgspec.Struct, forbid_unknown_fields=True):
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

    def _decode_records(
        data: bytes | memoryview, max_records: int | None, counted: bool
    ) -> Sequence[_Record]:
        # A record takes at least 3 bytes ("{}" and a comma): below that size, the count
        # cannot go over.
        if not counted and (max_records is None or len(data) <= 3 * max_records):
            return _record_decoder.decode(data).Records
        allowed = max_records if max_records is not None else len(data)
        _left.records = allowed
        try:
            found: Sequence[_Record] = _counted_decoder.decode(data).Records
        except _TooManyRecords:
            raise _NotFast from None  # the stdlib path stops at the same record
        if allowed - _left.records != len(found):
            raise _NotFast  # a second "Records" key
        return found

    def _fast_records(
        data: bytes | memoryview, max_records: int | None, max_record_bytes: int | None
    ) -> tuple[int, Iterator[dict[str, Any]] | None]:
        """(record count, the candidate records, decoded one at a time) — or _NotFast
        when msgspec cannot decide or bound the file."""
        # Bigger than the record cap, a file may hold a record over it: counted, so that
        # a second "Records" key or another top-level key (which msgspec would skip
        # unseen) sends it to the stdlib path. A huge declared string (eventName ...)
        # costs msgspec a scratch copy and 1 byte a character, or 2 to 4 with a
        # character beyond U+00FF: such characters in a very large file send it there too.
        big = max_record_bytes is not None and len(data) > max_record_bytes
        try:
            if len(data) > _WIDE_TEXT_BYTES and not _utf8_scan(data, wide=False):
                raise _NotFast
            records = _decode_records(data, max_records, counted=big)
            # msgspec does not check the UTF-8 of what it skips (every undeclared field,
            # key or value); json.loads does, so invalid UTF-8 anywhere is for the
            # stdlib path to report.
            if len(data) <= _WIDE_TEXT_BYTES and not is_utf8(data):
                raise _NotFast
            hits = _candidates(records)
            count = len(records)
            del records  # the second pass, if any, does not need them
            if not hits:
                return count, None
            raw = _raw_decoder.decode(data).Records
        except _FAST_ERRORS:
            raise _NotFast from None
        if max_record_bytes is not None and any(len(raw[i]) > max_record_bytes for i in hits):
            raise _NotFast  # a candidate over the cap: the stdlib path refuses, never decoding it
        return count, _decoded_candidates(raw, hits)

    def _decoded_candidates(
        raw: Sequence[msgspec.Raw], hits: list[int]
    ) -> Iterator[dict[str, Any]]:
        """The candidate records, each decoded in full by the stdlib (exactly as the
        reference reader decodes) from the second msgspec pass's bytes of each record —
        one at a time, so that many candidates never cost all their objects at once."""
        for index in hits:
            try:
                record = strict_loads(str(raw[index], "utf-8", "surrogatepass"))
            except (ValueError, TypeError, RecursionError):  # cannot happen: be safe
                raise _NotFast from None
            yield record


def _too_many_records(max_records: int) -> str:
    return f"more than {max_records} records (max_file_bytes / {MIN_RECORD_BYTES}); stopped there"


_UTF8_CHUNK: Final = 8 * 1024
_utf8_decode: Final = codecs.utf_8_decode
_WIDE_LEAD: Final = re.compile(rb"[\xc4-\xff]")
"""A UTF-8 lead byte of a character beyond U+00FF, which makes the ``str`` holding it
cost 2 or 4 bytes a character."""
_WIDE_TEXT_BYTES: Final = 40 * 1024 * 1024
"""Past this size, a file holding a character beyond U+00FF is read by the stdlib path:
one declared string of it (a 40 MB ``eventName``) could cost msgspec a scratch copy and
4 bytes a character, 200 MB. Below it, or without such characters, the worst string
costs about 3 times the file (55 + 3 x 40 + the decompression buffer < 300 MB)."""


def is_utf8(data: bytes | memoryview) -> bool:
    """Whether ``data`` decodes as UTF-8 with ``surrogatepass`` (as ``json.loads`` of bytes
    decodes it).

    Checked in chunks of 8 KB: a chunk of ASCII (nearly all of a CloudTrail log file) is
    only tested with ``bytes.isascii``; the others are decoded, a sequence cut by the
    chunk's end being carried over into the next chunk. About a third cheaper than an
    incremental decoder over every chunk, and three times cheaper than one
    ``bytes.decode`` of a whole log file, whose text would not fit in the CPU cache.
    """
    return _utf8_scan(data, wide=True)


def _utf8_scan(data: bytes | memoryview, *, wide: bool) -> bool:
    """:func:`is_utf8`; with ``wide=False`` also False when ``data`` holds a character
    beyond U+00FF."""
    view = memoryview(data)
    size = len(view)
    start = 0
    try:
        while start < size:
            end = start + _UTF8_CHUNK
            chunk = bytes(view[start:end])
            if chunk.isascii():
                start = end
                continue
            if not wide and _WIDE_LEAD.search(chunk) is not None:
                return False
            start += _utf8_decode(chunk, "surrogatepass", end >= size)[1]
    except UnicodeDecodeError:
        return False
    return True


# ---------------------------------------------------------------------------------------
# The stdlib path: rootguard._jsonstream, as the reference reader reads
# ---------------------------------------------------------------------------------------

_PROBLEMS: Final = {
    Problem.NOT_JSON: FailureReason.NOT_JSON,
    Problem.NO_RECORDS: FailureReason.NO_RECORDS,
    Problem.INVALID_RECORDS: FailureReason.INVALID_RECORDS,
    Problem.RECORD_TOO_LARGE: FailureReason.RECORD_TOO_LARGE,
    Problem.TOO_MANY_RECORDS: FailureReason.TOO_LARGE,
}


def _not_root_activity(fields: dict[str, Any]) -> bool:
    """Whether a record over the record cap, of which only ``fields`` were read (its
    ``userIdentity.type`` and ``eventName``, long values as :class:`Unread`), is surely
    not a candidate of the fast path — the test msgspec's decoding makes, a superset of
    the detection's: then it is passed over, as the fast path skips it (an invalid
    record that is not root activity is not checked either). A record that may be root
    activity, or whose fields are not what msgspec accepts, is refused."""
    identity = fields.get("userIdentity", _ABSENT)
    if not isinstance(identity, dict):  # absent (maybe a wrapper), null, not an object
        return False
    return _not_candidate(identity.get("type"), _CANDIDATE_NAMES) and _not_candidate(
        fields.get("eventName"), _ASSUME_ROOT
    )


_ABSENT: Final = object()
_CANDIDATE_TUPLE: Final = ("Root", "FederatedUser")
"""A tuple, not a set: the type may be any JSON value, even unhashable."""
_CANDIDATE_NAMES: Final = frozenset({"Root", "FederatedUser"})
_ASSUME_ROOT: Final = frozenset({"AssumeRoot"})


def _not_candidate(value: object, candidates: frozenset[str]) -> bool:
    if isinstance(value, Unread):  # too long to be a candidate's name, if it is text
        return value.type_name == "str"
    if value is None:
        return True
    return isinstance(value, str) and value not in candidates


def _stdlib_hits(
    data: bytes | memoryview,
    max_records: int | None,
    max_record_bytes: int | None,
    keep: _Keep,
) -> tuple[int, tuple[RootHit, ...]]:
    """(record count, root hits) of a file, decoded one record at a time.

    Precedence, as the reference reader and the old whole-file decoding had it: what the
    reader refuses (not JSON, too many records, a record over the cap, no records ...)
    over a record that is not an object, over a candidate record that is invalid. So
    the reading goes on past the last two, to the end of the file, keeping nothing."""
    events = 0
    keep.restart()
    not_object: str | None = None
    invalid: ReadFailure | None = None
    try:
        for record in iter_log_records(
            data,
            max_record_bytes=max_record_bytes,
            max_records=max_records,
            pass_over=_not_root_activity,
        ):
            if record is RESTART:  # a later "Records" key: the last one wins
                events, not_object, invalid = 0, None, None
                keep.restart()
                continue
            index = events
            events += 1
            if record is PASSED:  # over the cap, and surely not root activity
                continue
            if type(record) is not dict:
                if not_object is None:
                    not_object = f"Records[{index}] is a {type(record).__name__}, not an object"
                continue
            if not_object is not None or invalid is not None:
                continue
            identity = record.get("userIdentity")
            if (
                identity.__class__ is dict
                and identity.get("type") not in _CANDIDATE_TUPLE
                and record.get("eventName") != "AssumeRoot"
            ):
                continue  # the detection's own cheap filter, inline: not root activity
            try:
                hit = keep(record, index)
            except ReadFailure as exc:
                invalid = exc
                continue
            if hit is not None:
                keep.hold(hit)
    except LogFormatError as exc:
        if exc.problem == Problem.DIGEST:
            raise _Digest from None
        detail = exc.detail
        if exc.problem == Problem.TOO_MANY_RECORDS and max_records is not None:
            detail = _too_many_records(max_records)
        raise ReadFailure(_PROBLEMS[exc.problem], detail) from None
    if not_object is not None:
        raise ReadFailure(FailureReason.INVALID_RECORDS, not_object)
    if invalid is not None:
        raise invalid
    return events, keep.held()


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
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
    max_root_records: int | None = DEFAULT_MAX_ROOT_RECORDS_PER_FILE,
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
    ``max_record_bytes``: the cap on one record's JSON (None: no cap); a record over it
    is never decoded, and the file fails with ``record_too_large``.
    ``max_root_records``: the cap on the root activities kept (None: no cap); past it,
    the file fails with ``too_many_root_records`` (checked as records are read: never
    more than the cap's activities held).

    Examples:
        >>> import gzip, json
        >>> rec = {"eventName": "ListBuckets", "eventType": "AwsApiCall",
        ...        "userIdentity": {"type": "Root", "accessKeyId": "AKIAEXAMPLE"}}
        >>> scan = scan_log_bytes(gzip.compress(json.dumps({"Records": [rec]}).encode()))
        >>> scan.events, [hit.activity.event_name for hit in scan.roots]
        (1, ['ListBuckets'])
        >>> bomb = gzip.compress(b" " * 5_000_000)
        >>> scan_log_bytes(bomb, max_file_bytes=1_000_000).failure.value
        'too_large'
        >>> pad = {"userIdentity": {"type": "Root"}, "pad": [[]] * 400_000}
        >>> scan = scan_log_bytes(json.dumps({"Records": [pad]}).encode())
        >>> scan.failure.value, scan.detail[:30]
        ('record_too_large', 'Records[0] (byte offset 13) is')
    """
    use_fast = _HAVE_MSGSPEC if fast is None else (fast and _HAVE_MSGSPEC)
    if inflater is None:
        inflater = Inflater()
    max_records = None if max_file_bytes is None else max(1, max_file_bytes // MIN_RECORD_BYTES)
    keep = _Keep(record_filter, path_account, path_region, max_root_records)
    try:
        if max_file_bytes is not None and len(content) > max_file_bytes:
            raise ReadFailure(
                FailureReason.TOO_LARGE, too_large_stored(len(content), max_file_bytes).detail
            )
        data = inflater._inflate(content, fast is False, max_file_bytes)
        if _NOT_SPACE.search(data) is None:
            raise ReadFailure(FailureReason.EMPTY, "empty file, expected a CloudTrail log file")
        try:
            if not use_fast:
                raise _NotFast
            count, candidates = _fast_records(data, max_records, max_record_bytes)
            roots = _fast_hits(candidates, keep)
        except _NotFast:
            count, roots = _stdlib_hits(data, max_records, max_record_bytes, keep)
    except _Digest:
        return FileScan(skip=SkipReason.DIGEST, detail="a CloudTrail digest file (by content)")
    except ReadFailure as exc:
        return FileScan(failure=exc.reason, detail=exc.detail)
    return FileScan(events=count, roots=roots)


def _fast_hits(candidates: Iterator[dict[str, Any]] | None, keep: _Keep) -> tuple[RootHit, ...]:
    keep.restart()
    if candidates is None:
        return keep.held()
    try:
        for index, record in enumerate(candidates):
            hit = keep(record, index)
            if hit is not None:
                keep.hold(hit)
    except ReadFailure:
        # Decode the remaining candidates before reporting this failure: a later one the
        # fast path cannot decode raises _NotFast, which sends the whole file to the
        # stdlib path, whose verdict is the one that counts.
        for _ in candidates:
            pass
        raise
    return keep.held()


class _Keep:
    """Classify one decoded record, keep it when it is root activity that passes the
    filter: the :class:`RootHit`, else None. Raises ReadFailure(INVALID_RECORD).

    It also holds the file's root hits (:meth:`hold`), up to ``max_roots``, and the
    strings its activities share."""

    __slots__ = ("account", "hits", "max_roots", "record_filter", "region", "seen", "strings")

    def __init__(
        self,
        record_filter: RecordFilter,
        account: str | None,
        region: str | None,
        max_roots: int | None = None,
    ) -> None:
        self.record_filter = record_filter
        self.account = account
        self.region = region
        self.max_roots = max_roots
        self.strings: dict[str, str] | None = {}
        self.hits: list[RootHit] = []
        self.seen = 0

    def __call__(self, record: dict[str, Any], index: int) -> RootHit | None:
        try:
            found = _classify_owned(record, self.strings)
        except ParseError as exc:
            raise ReadFailure(
                FailureReason.INVALID_RECORD, f"a root-activity record is invalid: {exc}"
            ) from None
        if found is None or not self.wanted(record, index, found[1]):
            return None
        return RootHit(found[1], found[2])

    def restart(self) -> None:
        """Forget the hits held (a file read again from its start)."""
        self.hits = []
        self.seen = 0
        self.strings = {}

    def hold(self, hit: RootHit) -> None:
        """Count a root hit of the file, and keep it while the file is within the cap
        (past it, none is kept: the file will be refused)."""
        self.seen += 1
        if self.max_roots is None or self.seen <= self.max_roots:
            self.hits.append(hit)
        elif self.hits:
            # Past the cap nothing is kept, and nothing is shared: the strings of the
            # records still to come (counted, not kept) must not pile up in the memo.
            self.hits = []
            self.strings = None

    def held(self) -> tuple[RootHit, ...]:
        """The file's root hits, or ReadFailure(TOO_MANY_ROOT_RECORDS) past the cap."""
        if self.max_roots is not None and self.seen > self.max_roots:
            raise ReadFailure(
                FailureReason.TOO_MANY_ROOT_RECORDS,
                f"{self.seen} root-activity records, over the limit of {self.max_roots} "
                "(max_root_records_per_file); none reported",
            )
        return tuple(self.hits)

    def kept(
        self, record: dict[str, Any], index: int
    ) -> tuple[CloudTrailEvent, RootActivity, bool] | None:
        try:
            found = _classify_owned(record)
        except ParseError as exc:
            raise ReadFailure(
                FailureReason.INVALID_RECORD, f"a root-activity record is invalid: {exc}"
            ) from None
        if found is None or not self.wanted(record, index, found[1]):
            return None
        return found

    def wanted(self, record: dict[str, Any], index: int, activity: RootActivity) -> bool:
        """Whether the filter keeps the root activity of ``record``."""
        if not self.record_filter.keeps_time(activity.event_time):
            return False
        account = self.account or _logged_by(record)
        region = self.region or _str(record.get("awsRegion"))
        if not self.record_filter.keeps_location(account, region):
            return False
        logger.debug("root activity in record %d: %s", index, activity.event_name)
        return True


def root_records(
    records: Iterable[dict[str, Any]],
    record_filter: RecordFilter,
    path_account: str | None,
    path_region: str | None,
) -> tuple[CloudTrailEvent, ...]:
    """The root records of ``records`` that pass the filter, as models (for callers that
    hold the records anyway, such as the Athena hunt). Raises ReadFailure(INVALID_RECORD)."""
    keep = _Keep(record_filter, path_account, path_region)
    kept: list[CloudTrailEvent] = []
    for index, record in enumerate(records):
        found = keep.kept(record, index)
        if found is not None:
            kept.append(found[0])
    return tuple(kept)


def _classify_owned(
    record: dict[str, Any], strings: dict[str, str] | None = None
) -> tuple[CloudTrailEvent, RootActivity, bool] | None:
    """``classify_event(record)``, keeping the model it builds and whether the record is an
    AssumeRoot call, for a record this module decoded itself: it is owned, so the model
    takes it without the defensive deep copy.

    The steps of ``rootguard._detect`` for a raw mapping: unwrap, cheap filter, validate,
    classify. The tests hold the result equal to ``detect_root_activity`` of the records.
    """
    try:
        inner = unwrap_record(record)
    except RecursionError:
        raise ParseError("input is nested too deeply") from None
    if not is_candidate(inner):
        return None
    event = event_from_record(inner, owned=True)
    classified = classify_parsed(event, ActivitySource.CLOUDTRAIL, strings)
    return None if classified is None else (event, classified[0], classified[1])


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _logged_by(record: dict[str, Any]) -> str | None:
    account = _str(record.get("recipientAccountId"))
    if account:
        return account
    identity = record.get("userIdentity")
    return _str(identity.get("accountId")) if isinstance(identity, dict) else None


def frozen(values: Collection[str] | None) -> frozenset[str] | None:
    """``values`` as a frozenset (None stays None; a lone string is one value)."""
    if values is None:
        return None
    if isinstance(values, str):
        return frozenset({values})
    return frozenset(values)

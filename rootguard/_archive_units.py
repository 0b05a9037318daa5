"""Work units for ``rootguard._archive``: batches of files, read (local or S3) and scanned
by ``rootguard._fastscan`` in a worker, and what a unit sends back.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from rootguard._archive_layout import FileRef
from rootguard._archive_local import is_link, os_detail
from rootguard._aws import CALL_ERRORS, error_code, error_message
from rootguard._cloudtrail import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_RECORD_BYTES,
    NotRegularFile,
    TooLarge,
    open_regular,
    read_capped,
    too_large_stored,
)
from rootguard._fastscan import (
    DEFAULT_MAX_ROOT_RECORDS_PER_FILE,
    FailureReason,
    FileScan,
    Inflater,
    RecordFilter,
    RootHit,
    SkipReason,
    scan_log_bytes,
)
from rootguard._sessions import SessionSettings, cached_client

UNIT_BYTES: Final = 2 * 1024 * 1024
"""A work unit holds files up to about this many (compressed) bytes ..."""
UNIT_FILES: Final = 128
"""... and at most this many files (small S3 objects are batched to amortize overhead)."""
UNIT_ROOTS: Final = 10_000
"""... and a unit stops once its files gave this many root activities: the files left are
handed back as the next part of the unit, so a pool worker never holds more than this
plus one file's (``max_root_records_per_file``) before handing them on."""
_KEEP_BYTES: Final = 32 * 1024 * 1024
"""A worker's read buffer is kept for the next file up to this size."""


# ---------------------------------------------------------------------------------------
# Work units (run in workers: everything here must be picklable and top-level)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A batch of files to read and scan in one worker, with the filter and caps."""

    index: int
    files: tuple[FileRef, ...]
    record_filter: RecordFilter
    s3: SessionSettings | None = None
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES
    max_root_records: int | None = DEFAULT_MAX_ROOT_RECORDS_PER_FILE
    part: int = 0
    """0, or which continuation of unit ``index`` this is (files a part left over)."""


@dataclass(frozen=True)
class UnitResult:
    """What a unit gives back: counts for the files read in full and their root records,
    and the files skipped or failed with why — not one object per file to send back."""

    index: int
    files: int
    scanned: int = 0
    events: int = 0
    roots: tuple[RootHit, ...] = ()
    problems: tuple[tuple[str, FileScan], ...] = ()
    part: int = 0
    rest: Unit | None = None
    """The files not read yet, when the unit stopped at ``UNIT_ROOTS`` root activities:
    the next part of the unit, to run like any unit."""


def unit_result(
    index: int,
    scans: Iterable[tuple[str, FileScan]],
    part: int = 0,
    rest: Unit | None = None,
) -> UnitResult:
    """Sum up the ``(path, scan)`` of a unit's files done."""
    files = scanned = events = 0
    roots: list[RootHit] = []
    problems: list[tuple[str, FileScan]] = []
    for path, scan in scans:
        files += 1
        if scan.scanned:
            scanned += 1
            events += scan.events
            roots.extend(scan.roots)
        else:
            problems.append((path, scan))
    return UnitResult(
        index, files, scanned, events, tuple(roots), tuple(problems), part=part, rest=rest
    )


class _ReadBuffer:
    """One reused buffer for the (compressed) files a worker reads, one after the other:
    no allocation per file, and the kernel copies into memory that is already mapped."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def read(self, path: str, limit: int | None) -> memoryview:
        """The content of the local file ``path``, valid until the next call.

        Raises:
            NotRegularFile: not a regular file (never opened for a blocking read).
            TooLarge: over ``limit`` bytes (its size is checked before reading it, and
                the read stops once more than ``limit`` bytes have come).
            OSError: cannot be opened or read.
        """
        handle, found = open_regular(path)
        try:
            if limit is not None and found.st_size > limit:
                raise too_large_stored(found.st_size, limit)
            if _HAVE_READV:
                return self.fill(lambda view: os.readv(handle, [view]), found.st_size, limit)
            with io.FileIO(handle, closefd=False) as raw:  # pragma: no cover - not POSIX
                return self.fill(raw.readinto, found.st_size, limit)
        finally:
            os.close(handle)

    def fill(
        self, readinto: Callable[[memoryview], int], size: int, limit: int | None
    ) -> memoryview:
        """What ``readinto`` gives until it gives nothing (``size``: the size expected, a
        hint), valid until the next call.

        Raises:
            TooLarge: more than ``limit`` bytes came.
        """
        buffer = self._buffer
        if len(buffer) <= size:  # room for one more byte: the read that finds the end
            want = size + 64 * 1024
            buffer = bytearray(want if limit is None else min(want, limit + 1))
        buffer, filled = read_capped(readinto, buffer, limit)
        if len(buffer) <= _KEEP_BYTES:
            self._buffer = buffer
        return memoryview(buffer)[:filled]


# Plain file descriptors where the OS can read into a buffer (os.readv: POSIX).
_HAVE_READV: Final = hasattr(os, "readv")


def _read(ref: FileRef, unit: Unit, reader: _ReadBuffer) -> bytes | memoryview:
    limit = unit.max_file_bytes
    if limit is not None and ref.size > limit:  # the listed size: no need to download
        raise too_large_stored(ref.size, limit)
    if ref.key is None:
        return reader.read(ref.path, limit)
    if unit.s3 is None:  # pragma: no cover - units with S3 refs always carry settings
        raise OSError("no S3 settings for an S3 object")
    if ref.bucket is None:  # pragma: no cover - S3 refs always name their bucket
        raise OSError("no bucket for an S3 object")
    response = cached_client(unit.s3, "s3").get_object(Bucket=ref.bucket, Key=ref.key)
    body = response["Body"]
    try:
        length = int(response.get("ContentLength") or 0)
        if limit is not None and length > limit:  # closed unread: nothing downloaded
            raise too_large_stored(length, limit)
        return reader.fill(_readinto(body), length, limit)
    finally:
        body.close()


def _readinto(body: Any) -> Callable[[memoryview], int]:
    """The body's ``readinto`` (recent botocore's ``StreamingBody`` has one), else
    the same from ``read(n)``: either way never more than asked for at once."""
    found: Callable[[memoryview], int] | None = getattr(body, "readinto", None)
    if found is not None:
        return found

    def readinto(view: memoryview) -> int:  # pragma: no cover - older botocore
        data = body.read(len(view))
        view[: len(data)] = data
        return len(data)

    return readinto


def scan_file(ref: FileRef, unit: Unit, scratch: Scratch) -> FileScan:
    try:
        content = _read(ref, unit, scratch.reader)
    except NotRegularFile as exc:
        return FileScan(skip=SkipReason.NOT_REGULAR_FILE, detail=exc.detail)
    except TooLarge as exc:
        return FileScan(failure=FailureReason.TOO_LARGE, detail=exc.detail)
    except OSError as exc:
        link = ref.key is None and is_link(Path(ref.path))
        return FileScan(failure=FailureReason.READ_FAILED, detail=os_detail(exc, link=link))
    except CALL_ERRORS as exc:
        return FileScan(
            failure=FailureReason.READ_FAILED,
            detail=f"{error_code(exc)}: {error_message(exc)}",
        )
    return scan_log_bytes(
        content,
        record_filter=unit.record_filter,
        path_account=ref.account,
        path_region=ref.region,
        inflater=scratch.inflater,
        max_file_bytes=unit.max_file_bytes,
        max_record_bytes=unit.max_record_bytes,
        max_root_records=unit.max_root_records,
    )


@dataclass
class Scratch:
    """The buffers one thread of work reuses from file to file (never shared)."""

    reader: _ReadBuffer = field(default_factory=_ReadBuffer)
    inflater: Inflater = field(default_factory=Inflater)


def scan_unit(unit: Unit) -> UnitResult:
    """Read and scan the files of one unit (runs in a worker), up to ``UNIT_ROOTS`` root
    activities: the files left, if any, are handed back as the unit's next part."""
    scratch = Scratch()
    scans: list[tuple[str, FileScan]] = []
    roots = 0
    for done, ref in enumerate(unit.files, 1):
        scan = scan_file(ref, unit, scratch)
        scans.append((ref.path, scan))
        roots += len(scan.roots)
        if roots >= UNIT_ROOTS and done < len(unit.files):
            rest = replace(unit, files=unit.files[done:], part=unit.part + 1)
            return unit_result(unit.index, scans, unit.part, rest)
    return unit_result(unit.index, scans, unit.part)


def work_units(
    refs: Iterable[FileRef],
    record_filter: RecordFilter,
    s3: SessionSettings | None,
    found: list[int],
    *,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
    max_root_records: int | None = DEFAULT_MAX_ROOT_RECORDS_PER_FILE,
) -> Iterator[Unit]:
    caps = (max_file_bytes, max_record_bytes, max_root_records)
    batch: list[FileRef] = []
    size = 0
    index = 0
    for ref in refs:
        found[0] += 1
        batch.append(ref)
        size += ref.size
        if size >= UNIT_BYTES or len(batch) >= UNIT_FILES:
            yield Unit(index, tuple(batch), record_filter, s3, *caps)
            index += 1
            batch, size = [], 0
    if batch:
        yield Unit(index, tuple(batch), record_filter, s3, *caps)

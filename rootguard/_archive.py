"""Scan CloudTrail log archives — local folders, file lists, S3 — for root activity (I/O).

The archive is walked lazily (one folder or one S3 listing page at a time) and cut into
small work units (a batch of files, never the whole archive); each unit is read and
decoded by ``rootguard._fastscan`` in-process or on any ``concurrent.futures.Executor``
(a process pool by default, a Dask cluster through ``client.get_executor()`` ...). Workers
only send back, for the few records that are root activity, the activity and whether the
record is an AssumeRoot call (never the record); the parent correlates them all as
:func:`~rootguard.detect_root_activity` does, so AssumeRoot calls and the member sessions
they opened are correlated across files, accounts and workers, and the result does not
depend on the executor or on the number of workers.

CloudTrail's key layout is used to prune before anything is downloaded::

    [prefix/]AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz

S3 listing goes folder by folder (``Delimiter="/"``) only while the filters can still
prune something below; beneath that, one flat paginated listing per folder.
"""

from __future__ import annotations

import io
import logging
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import ClientError

from rootguard._aws import CALL_ERRORS, CREDENTIAL_ERRORS, RETRY_CONFIG, error_code, error_message
from rootguard._cloudtrail import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_RECORD_BYTES,
    NotRegularFile,
    TooLarge,
    file_kind,
    open_regular,
    read_capped,
    too_large_stored,
    valid_limit,
)
from rootguard._errors import ArgumentError, ScanError, name_list, time_or_none
from rootguard._fastscan import (
    DEFAULT_MAX_ROOT_RECORDS_PER_FILE,
    FailedFile,
    FailureReason,
    FileScan,
    Inflater,
    RecordFilter,
    RootHit,
    ScanResult,
    SkippedFile,
    SkipReason,
    activities_of,
    frozen,
    scan_log_bytes,
)
from rootguard._models import RootActivity
from rootguard._sessions import SessionSettings, cached_client, forget, settings_of, share_client
from rootguard._time import as_utc

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectsV2OutputTypeDef, ObjectTypeDef

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_MAX_RECORD_BYTES",
    "DEFAULT_MAX_ROOT_RECORDS_PER_FILE",
    "DELIVERY_SLACK",
    "FailedFile",
    "FailureReason",
    "ScanResult",
    "SkipReason",
    "SkippedFile",
    "scan_cloudtrail_archive",
]

logger = logging.getLogger(__name__)

DELIVERY_SLACK: Final = timedelta(days=1)
"""How long after an event its log file may be delivered. Date folders are the delivery
date, so with ``until`` the folders up to ``until + DELIVERY_SLACK`` are read."""

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

ProgressCallback = Callable[[int, int], None]

_ACCOUNT_RE: Final = re.compile(r"\d{12}")
_ORG_RE: Final = re.compile(r"o-[a-z0-9]{10,32}")
_REGION_RE: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_LOG_SUFFIXES: Final = (".json.gz", ".json")
_DIGEST_MARK: Final = "CloudTrail-Digest"
_S3_CONFIG: Final = RETRY_CONFIG.merge(Config(max_pool_connections=32))


# ---------------------------------------------------------------------------------------
# Layout: what a path says about account, region and date
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """What the folders of a path reveal. ``depth`` counts the layout levels understood
    after ``AWSLogs``: 0 none (or no AWSLogs), then org/account, service, region, year,
    month, day. ``known`` is False after a segment that breaks the layout."""

    in_awslogs: bool = False
    known: bool = True
    account: str | None = None
    service: str | None = None
    region: str | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None

    @property
    def level(self) -> str:
        if not self.in_awslogs:
            return "pre"
        if not self.known:
            return "other"
        for name in ("day", "month", "year", "region", "service", "account"):
            if getattr(self, name) is not None:
                return name
        return "top"


def _layout(folders: Sequence[str]) -> _Layout:
    """Parse folder names (not the file name) against CloudTrail's layout."""
    try:
        start = folders.index("AWSLogs")
    except ValueError:
        return _Layout()
    parts = list(folders[start + 1 :])
    if parts and _ORG_RE.fullmatch(parts[0]):
        parts.pop(0)
    found: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[str], Any]]] = [
        ("account", lambda s: s if _ACCOUNT_RE.fullmatch(s) else None),
        ("service", lambda s: s if s.startswith("CloudTrail") else None),
        ("region", lambda s: s if _REGION_RE.fullmatch(s) else None),
        ("year", lambda s: int(s) if len(s) == 4 and s.isdigit() else None),
        ("month", lambda s: int(s) if len(s) == 2 and s.isdigit() and 1 <= int(s) <= 12 else None),
        ("day", lambda s: int(s) if len(s) == 2 and s.isdigit() and 1 <= int(s) <= 31 else None),
    ]
    for index, part in enumerate(parts):
        if index >= len(steps):
            return _Layout(in_awslogs=True, known=False, **found)
        name, parse = steps[index]
        value = parse(part)
        if value is None:
            return _Layout(in_awslogs=True, known=False, **found)
        found[name] = value
    if "day" in found:
        try:
            date(found["year"], found["month"], found["day"])
        except ValueError:
            return _Layout(in_awslogs=True, known=False, **found)
    return _Layout(in_awslogs=True, **found)


@dataclass(frozen=True)
class _Pruner:
    """Decides from a layout alone whether a folder or file can be left out."""

    accounts: frozenset[str] | None
    regions: frozenset[str] | None
    first_day: date | None
    last_day: date | None

    @classmethod
    def of(cls, flt: RecordFilter) -> _Pruner:
        return cls(
            accounts=flt.accounts,
            regions=flt.regions,
            first_day=flt.since.date() if flt.since else None,
            last_day=(flt.until + DELIVERY_SLACK).date() if flt.until else None,
        )

    @property
    def dates(self) -> bool:
        return self.first_day is not None or self.last_day is not None

    def _span(self, lay: _Layout) -> tuple[date, date] | None:
        if lay.year is None:
            return None
        if lay.month is None:
            return date(lay.year, 1, 1), date(lay.year, 12, 31)
        if lay.day is None:
            nxt = date(lay.year + (lay.month == 12), lay.month % 12 + 1, 1)
            return date(lay.year, lay.month, 1), nxt - timedelta(days=1)
        day = date(lay.year, lay.month, lay.day)
        return day, day

    def prunes(self, lay: _Layout) -> bool:
        """True when nothing under (or in) this layout position is wanted."""
        if (
            self.accounts is not None
            and lay.account is not None
            and lay.account not in self.accounts
        ):
            return True
        if self.regions is not None and lay.region is not None and lay.region not in self.regions:
            return True
        span = self._span(lay)
        if span is None:
            return False
        if self.first_day is not None and span[1] < self.first_day:
            return True
        return self.last_day is not None and span[0] > self.last_day

    def prunes_below(self, lay: _Layout) -> bool:
        """True when a filter may still prune something deeper than this position."""
        level = lay.level
        if level == "other":
            return False
        if level in ("pre", "top"):
            return self.accounts is not None or self.regions is not None or self.dates
        if level in ("account", "service"):
            return self.regions is not None or self.dates
        if level == "day" or not self.dates:
            return False
        span = self._span(lay)
        if span is None:  # region level: the year folders are next
            return True
        inside_start = self.first_day is None or span[0] >= self.first_day
        inside_end = self.last_day is None or span[1] <= self.last_day
        return not (inside_start and inside_end)


# ---------------------------------------------------------------------------------------
# Walking sources
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FileRef:
    """One file to read: a local path or an S3 object. Picklable."""

    path: str
    """What the user sees: the local path or ``s3://bucket/key``."""
    size: int = 0
    bucket: str | None = None
    key: str | None = None
    account: str | None = None
    region: str | None = None


@dataclass
class _Walk:
    """What walking found besides files to read."""

    skipped: list[SkippedFile] = field(default_factory=list)
    errors: list[FailedFile] = field(default_factory=list)
    pruned: int = 0

    def fail(self, path: str, detail: str) -> None:
        self.errors.append(FailedFile(path=path, reason=FailureReason.READ_FAILED, detail=detail))

    def skip(self, path: str, reason: SkipReason, detail: str) -> None:
        self.skipped.append(SkippedFile(path=path, reason=reason, detail=detail))


def _name_verdict(
    name: str, folders: Sequence[str], *, listed: bool, digest_folder: bool | None = None
) -> SkippedFile | None:
    """A skip for digest and (when found by listing) non-log names; None: read it.
    ``digest_folder``: ``_DIGEST_MARK in folders``, when the caller already knows it."""
    if digest_folder is None:
        digest_folder = _DIGEST_MARK in folders
    if digest_folder or _DIGEST_MARK in name:
        return SkippedFile(path="", reason=SkipReason.DIGEST, detail="CloudTrail digest file")
    if listed and not name.lower().endswith(_LOG_SUFFIXES):
        return SkippedFile(
            path="", reason=SkipReason.NOT_A_LOG_FILE, detail="not named *.json.gz or *.json"
        )
    return None


def _classify(
    path: str,
    folders: Sequence[str],
    name: str,
    pruner: _Pruner,
    walk: _Walk,
    *,
    listed: bool,
    lay: _Layout | None = None,
    digest_folder: bool | None = None,
    **ref: Any,
) -> _FileRef | None:
    """A file to read, or None (pruned or skipped). ``lay`` (``_layout(folders)``, not
    pruned) and ``digest_folder``: when the caller already has them (the files of one
    folder share them)."""
    if lay is None:
        lay = _layout(folders)
        if pruner.prunes(lay):
            walk.pruned += 1
            return None
    skip = _name_verdict(name, folders, listed=listed, digest_folder=digest_folder)
    if skip is not None:
        walk.skipped.append(skip.model_copy(update={"path": path}))
        return None
    day_level = lay.known and lay.day is not None
    return _FileRef(
        path=path,
        account=lay.account if day_level else None,
        region=lay.region if day_level else None,
        **ref,
    )


def _os_detail(exc: OSError, *, link: bool = False) -> str:
    """An ``OSError`` in words, saying when a symbolic link is the trouble."""
    words = exc.strerror or str(exc)
    if not link:
        return words
    if isinstance(exc, FileNotFoundError):
        return "dangling symbolic link: its target does not exist"
    if exc.errno == getattr(os, "ELOOP", None) or "symbolic link" in words:
        return f"symbolic link loop: {words}"
    return f"symbolic link: {words}"


def _is_link(path: os.DirEntry[str] | Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:
        return False


def _entry_kind(entry: os.DirEntry[str], files_pruned: bool) -> tuple[str, int]:
    """What a folder entry is — ``("dir", 0)``, ``("file", size)``, ``("pruned", 0)`` (a
    file of a pruned folder, not stat'ed) or ``(words, 0)`` for anything else — following
    symbolic links. The entry's type comes from the folder listing where the OS gives it:
    one system call for a file (its size), none for a folder.

    Raises:
        OSError: a dangling symbolic link, a symbolic link loop, a denied stat ...
    """
    if entry.is_symlink():
        found = entry.stat()  # follows the link
    elif entry.is_dir(follow_symlinks=False):
        return "dir", 0
    elif entry.is_file(follow_symlinks=False) and files_pruned:
        return "pruned", 0
    else:
        found = entry.stat(follow_symlinks=False)
    mode = found.st_mode
    if stat.S_ISDIR(mode):
        return "dir", 0
    if stat.S_ISREG(mode):
        return ("pruned", 0) if files_pruned else ("file", found.st_size)
    return file_kind(mode), 0


def _walk_local_dir(root: Path, pruner: _Pruner, walk: _Walk) -> Iterator[_FileRef]:
    """The files under ``root``, depth first, in name order.

    Symbolic links are followed, to files and to folders. A folder that is one of its
    own ancestors by ``(st_dev, st_ino)`` — a link (or bind mount) back up the tree — is
    a loop: skipped, not entered (as ``find -L`` does; memory stays proportional to the
    depth, not to the archive). Entries that cannot be examined are error entries,
    FIFOs, sockets and devices are skipped: the walk goes on.
    """
    stack: list[tuple[Path, tuple[tuple[int, int], ...]]] = [(root, ())]
    while stack:
        folder, ancestors = stack.pop()
        try:
            found = os.stat(folder)
            key = (found.st_dev, found.st_ino)
            if key in ancestors:
                walk.skip(
                    str(folder),
                    SkipReason.FOLDER_LOOP,
                    "a link back to a folder that contains it: not followed",
                )
                continue
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if folder is root:
                raise ScanError(f"cannot list {folder}: {exc.strerror or exc}") from None
            walk.fail(str(folder), f"cannot list folder: {_os_detail(exc, link=_is_link(folder))}")
            continue
        chain = (*ancestors, key)
        folders = list(Path(folder).absolute().parts)
        lay = _layout(folders)
        files_pruned = pruner.prunes(lay)
        digest_folder = _DIGEST_MARK in folders
        subdirs: list[tuple[Path, tuple[tuple[int, int], ...]]] = []
        for entry in entries:
            try:
                kind, size = _entry_kind(entry, files_pruned)
            except OSError as exc:
                walk.fail(entry.path, _os_detail(exc, link=_is_link(entry)))
                continue
            if kind == "dir":
                if not pruner.prunes(_layout([*folders, entry.name])):
                    subdirs.append((Path(entry.path), chain))
                continue
            if kind == "pruned":
                walk.pruned += 1
                continue
            if kind != "file":
                walk.skip(entry.path, SkipReason.NOT_REGULAR_FILE, f"not a regular file: {kind}")
                continue
            ref = _classify(
                entry.path,
                folders,
                entry.name,
                pruner,
                walk,
                listed=True,
                lay=lay,
                digest_folder=digest_folder,
                size=size,
            )
            if ref is not None:
                yield ref
        stack.extend(reversed(subdirs))


def _local_file(path: Path, size: int, pruner: _Pruner, walk: _Walk) -> Iterator[_FileRef]:
    ref = _classify(
        str(path),
        list(path.absolute().parent.parts),
        path.name,
        pruner,
        walk,
        listed=False,
        size=size,
    )
    if ref is not None:
        yield ref


def _local_source(
    path: Path, found: os.stat_result, pruner: _Pruner, walk: _Walk
) -> Iterator[_FileRef]:
    """A local path named by the caller (``found``: its ``os.stat``)."""
    if stat.S_ISDIR(found.st_mode):
        yield from _walk_local_dir(path, pruner, walk)
    elif stat.S_ISREG(found.st_mode):
        yield from _local_file(path, found.st_size, pruner, walk)
    else:
        walk.skip(
            str(path),
            SkipReason.NOT_REGULAR_FILE,
            f"not a regular file: {file_kind(found.st_mode)}",
        )


def _split_s3(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ScanError(f"not an S3 URL (s3://bucket/prefix): {url!r}")
    return parts.netloc, parts.path.lstrip("/")


class _S3Lister:
    """Lists an S3 prefix, pruning by layout, folder by folder while it pays."""

    def __init__(self, client: S3Client, bucket: str, pruner: _Pruner, walk: _Walk) -> None:
        self.client = client
        self.bucket = bucket
        self.pruner = pruner
        self.walk = walk
        self.list_calls = 0

    def _pages(self, prefix: str, delimiter: bool) -> Iterator[ListObjectsV2OutputTypeDef]:
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            params["Delimiter"] = "/"
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(**params):
                self.list_calls += 1
                yield page
        except CREDENTIAL_ERRORS as exc:
            raise ScanError(f"no usable AWS credentials: {exc}") from None
        except CALL_ERRORS as exc:
            raise ScanError(
                f"cannot list s3://{self.bucket}/{prefix}: {error_code(exc)}: {error_message(exc)}"
            ) from None

    def _file(self, obj: ObjectTypeDef) -> _FileRef | None:
        key: str = obj["Key"]
        path = f"s3://{self.bucket}/{key}"
        if key.endswith("/"):
            self.walk.skipped.append(
                SkippedFile(path=path, reason=SkipReason.NOT_A_LOG_FILE, detail="folder marker")
            )
            return None
        folders = key.split("/")
        name = folders.pop()
        return _classify(
            path,
            folders,
            name,
            self.pruner,
            self.walk,
            listed=True,
            size=int(obj.get("Size") or 0),
            bucket=self.bucket,
            key=key,
        )

    def walk_prefix(self, prefix: str) -> Iterator[_FileRef]:
        if prefix and not prefix.endswith("/"):
            # A partial name: list what starts with it, one level down.
            yield from self._level(prefix)
            return
        lay = _layout(prefix.rstrip("/").split("/")) if prefix else _Layout()
        if self.pruner.prunes(lay):
            return
        if not self.pruner.prunes_below(lay):
            for page in self._pages(prefix, delimiter=False):
                for obj in page.get("Contents") or ():
                    ref = self._file(obj)
                    if ref is not None:
                        yield ref
            return
        yield from self._level(prefix)

    def _level(self, prefix: str) -> Iterator[_FileRef]:
        folders: list[str] = []
        for page in self._pages(prefix, delimiter=True):
            for obj in page.get("Contents") or ():
                ref = self._file(obj)
                if ref is not None:
                    yield ref
            folders.extend(p["Prefix"] for p in page.get("CommonPrefixes") or ())
        for sub in folders:
            yield from self.walk_prefix(sub)


# ---------------------------------------------------------------------------------------
# S3 access from workers: settings, never sessions
# ---------------------------------------------------------------------------------------


def _aws_endpoint(url: str | None) -> bool:
    host = (urlsplit(url).hostname or "") if url else ""
    return not host or host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))


def _settings_for(session: boto3.Session, client: S3Client, region: str | None) -> SessionSettings:
    """What a worker needs to read the bucket: the session's frozen credentials (or, with
    none, its profile), the bucket's region and a non-AWS endpoint (a profile's
    ``endpoint_url`` included). Threads of this process (in-process scans, thread pools,
    threaded Dask workers) reuse the caller's own client; other processes build one."""
    credentials = session.get_credentials()
    endpoint = client.meta.endpoint_url
    profile = session.profile_name if session.profile_name in session.available_profiles else None
    settings = settings_of(
        credentials,
        region_name=region or client.meta.region_name,
        endpoint_url=None if _aws_endpoint(endpoint) else endpoint,
        profile_name=profile,
        config=_S3_CONFIG,
    )
    share_client(settings, "s3", client)
    return settings


# ---------------------------------------------------------------------------------------
# Work units (run in workers: everything here must be picklable and top-level)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    index: int
    files: tuple[_FileRef, ...]
    record_filter: RecordFilter
    s3: SessionSettings | None = None
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES
    max_root_records: int | None = DEFAULT_MAX_ROOT_RECORDS_PER_FILE
    part: int = 0
    """0, or which continuation of unit ``index`` this is (files a part left over)."""


@dataclass(frozen=True)
class _UnitResult:
    """What a unit gives back: counts for the files read in full and their root records,
    and the files skipped or failed with why — not one object per file to send back."""

    index: int
    files: int
    scanned: int = 0
    events: int = 0
    roots: tuple[RootHit, ...] = ()
    problems: tuple[tuple[str, FileScan], ...] = ()
    part: int = 0
    rest: _Unit | None = None
    """The files not read yet, when the unit stopped at ``UNIT_ROOTS`` root activities:
    the next part of the unit, to run like any unit."""


def _unit_result(
    index: int,
    scans: Iterable[tuple[str, FileScan]],
    part: int = 0,
    rest: _Unit | None = None,
) -> _UnitResult:
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
    return _UnitResult(
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


def _read(ref: _FileRef, unit: _Unit, reader: _ReadBuffer) -> bytes | memoryview:
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


def _scan_file(ref: _FileRef, unit: _Unit, scratch: _Scratch) -> FileScan:
    try:
        content = _read(ref, unit, scratch.reader)
    except NotRegularFile as exc:
        return FileScan(skip=SkipReason.NOT_REGULAR_FILE, detail=exc.detail)
    except TooLarge as exc:
        return FileScan(failure=FailureReason.TOO_LARGE, detail=exc.detail)
    except OSError as exc:
        link = ref.key is None and _is_link(Path(ref.path))
        return FileScan(failure=FailureReason.READ_FAILED, detail=_os_detail(exc, link=link))
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
class _Scratch:
    """The buffers one thread of work reuses from file to file (never shared)."""

    reader: _ReadBuffer = field(default_factory=_ReadBuffer)
    inflater: Inflater = field(default_factory=Inflater)


def _scan_unit(unit: _Unit) -> _UnitResult:
    """Read and scan the files of one unit (runs in a worker), up to ``UNIT_ROOTS`` root
    activities: the files left, if any, are handed back as the unit's next part."""
    scratch = _Scratch()
    scans: list[tuple[str, FileScan]] = []
    roots = 0
    for done, ref in enumerate(unit.files, 1):
        scan = _scan_file(ref, unit, scratch)
        scans.append((ref.path, scan))
        roots += len(scan.roots)
        if roots >= UNIT_ROOTS and done < len(unit.files):
            rest = replace(unit, files=unit.files[done:], part=unit.part + 1)
            return _unit_result(unit.index, scans, unit.part, rest)
    return _unit_result(unit.index, scans, unit.part)


def _units(
    refs: Iterable[_FileRef],
    record_filter: RecordFilter,
    s3: SessionSettings | None,
    found: list[int],
    *,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
    max_root_records: int | None = DEFAULT_MAX_ROOT_RECORDS_PER_FILE,
) -> Iterator[_Unit]:
    caps = (max_file_bytes, max_record_bytes, max_root_records)
    batch: list[_FileRef] = []
    size = 0
    index = 0
    for ref in refs:
        found[0] += 1
        batch.append(ref)
        size += ref.size
        if size >= UNIT_BYTES or len(batch) >= UNIT_FILES:
            yield _Unit(index, tuple(batch), record_filter, s3, *caps)
            index += 1
            batch, size = [], 0
    if batch:
        yield _Unit(index, tuple(batch), record_filter, s3, *caps)


# ---------------------------------------------------------------------------------------
# The scan
# ---------------------------------------------------------------------------------------


@dataclass
class _Tally:
    """Results gathered in the parent, unit by unit."""

    walk: _Walk
    found: list[int]
    progress: ProgressCallback | None
    files_scanned: int = 0
    events: int = 0
    done: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    errors: list[FailedFile] = field(default_factory=list)
    roots: dict[tuple[int, int], list[RootHit]] = field(default_factory=dict)

    def add(self, result: _UnitResult) -> None:
        for path, scan in result.problems:
            if scan.skip is not None:
                self.skipped.append(SkippedFile(path=path, reason=scan.skip, detail=scan.detail))
            elif scan.failure is not None:
                logger.warning("cannot read %s: %s", path, scan.detail)
                self.errors.append(FailedFile(path=path, reason=scan.failure, detail=scan.detail))
        self.files_scanned += result.scanned
        self.events += result.events
        self.roots[result.index, result.part] = list(result.roots)
        self.done += result.files
        self.report()

    def report(self, in_unit: int = 0) -> None:
        """Tell the caller: files done (read, skipped or failed) out of files found.

        ``in_unit``: files already done of a unit still running in this process."""
        if self.progress is None:
            return
        listed = len(self.walk.skipped) + len(self.walk.errors)
        self.progress(self.done + in_unit + listed, self.found[0] + listed)


def _sources(
    source: Any,
    pruner: _Pruner,
    walk: _Walk,
    s3_open: Callable[[str], _S3Lister],
) -> Iterator[_FileRef]:
    if isinstance(source, str) and source.startswith("s3://"):
        bucket, prefix = _split_s3(source)
        yield from s3_open(bucket).walk_prefix(prefix)
        return
    if isinstance(source, (str, PathLike)):
        path = Path(source)
        try:
            found = os.stat(path)
        except FileNotFoundError:
            raise ScanError(f"no such file or directory: {os.fspath(path)!r}") from None
        except OSError as exc:
            raise ScanError(f"cannot read {os.fspath(path)!r}: {_os_detail(exc)}") from None
        yield from _local_source(path, found, pruner, walk)
        return
    if isinstance(source, Iterable) and not isinstance(source, (bytes, bytearray)):
        for item in source:
            if isinstance(item, str) and item.startswith("s3://"):
                bucket, key = _split_s3(item)
                lister = s3_open(bucket)
                if not key or key.endswith("/"):
                    yield from lister.walk_prefix(key)
                    continue
                folders = key.split("/")
                name = folders.pop()
                ref = _classify(
                    item, folders, name, pruner, walk, listed=False, bucket=bucket, key=key
                )
                if ref is not None:
                    yield ref
            elif isinstance(item, (str, PathLike)):
                path = Path(item)
                try:
                    found = os.stat(path)
                except OSError as exc:
                    walk.fail(str(path), _os_detail(exc, link=_is_link(path)))
                    continue
                yield from _local_source(path, found, pruner, walk)
            else:
                raise ScanError(f"not a path or s3:// URL: {item!r}")
        return
    raise ScanError(
        f"source must be a directory, a file, a list of files or s3://bucket/prefix, "
        f"not {type(source).__name__}"
    )


def _max_workers(max_workers: int | None, workers: int | None) -> int | None:
    """``max_workers``, or the deprecated ``workers=`` (with a ``DeprecationWarning``)."""
    if workers is None:
        return max_workers
    if max_workers is not None:
        raise ArgumentError(
            "pass max_workers only (workers is its deprecated name), not both",
            parameter="workers",
        )
    warnings.warn(
        "scan_cloudtrail_archive(workers=...) is deprecated, use max_workers=...",
        DeprecationWarning,
        stacklevel=3,
    )
    return workers


def scan_cloudtrail_archive(
    source: str | PathLike[str] | Iterable[str | PathLike[str]],
    *,
    session: boto3.Session | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    accounts: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    executor: Executor | None = None,
    max_workers: int | None = None,
    progress: ProgressCallback | None = None,
    max_file_bytes: int | None = DEFAULT_MAX_FILE_BYTES,
    max_record_bytes: int | None = DEFAULT_MAX_RECORD_BYTES,
    workers: int | None = None,
    max_root_records_per_file: int | None = DEFAULT_MAX_ROOT_RECORDS_PER_FILE,
) -> ScanResult:
    """Find root activity in a CloudTrail log archive.

    Args:
        source: a local directory (walked recursively), a log file, a list of files
            (local paths or ``s3://bucket/key`` URLs), or ``s3://bucket/prefix``.
        session: boto3 session for S3 (default: ``boto3.Session()``). It is never sent
            to workers: they build their own client from its region, endpoint and frozen
            credentials.
        since: keep root activity with ``since <= eventTime`` (naive datetimes are UTC).
            Date folders before ``since``'s day are not read.
        until: keep root activity with ``eventTime < until``. Date folders after
            ``until`` + ``DELIVERY_SLACK`` (one day) are not read: files are filed by
            delivery date, which follows the events in them.
        accounts: only these accounts (by the path's layout, else by the records'
            ``recipientAccountId``).
        regions: only these regions (by the path's layout, else by the records'
            ``awsRegion``).
        executor: any ``concurrent.futures.Executor`` — a ``ThreadPoolExecutor``, a
            ``ProcessPoolExecutor``, a Dask ``client.get_executor()`` ... It is used, not
            shut down.
        max_workers: without ``executor``: 1 scans in this process; more (default
            ``os.cpu_count()``) uses a process pool of that size, created and shut down
            here. With ``executor``: how many workers it has (default
            ``os.cpu_count()``), so that ``2 * max_workers + 2`` units are kept in
            flight: pass a Dask cluster's worker count.
        progress: called as ``progress(files_done, files_total)`` as files are done.
            ``files_total`` counts the files found so far; it grows while the listing
            is still running and is final on the last call.
        max_file_bytes: the cap on one file (default ``DEFAULT_MAX_FILE_BYTES``,
            64 MiB; None: no cap, for archives you trust): on its size as stored
            (listed S3 objects over it are not downloaded), on its decompressed size
            (checked while decompressing: a gzip bomb is never inflated in full), and,
            divided by 256, on its number of records. A file over it is an error entry
            with reason ``too_large``, and the scan goes on. It bounds a worker's memory
            (``docs/archives.md`` gives the measured figures).
        max_record_bytes: the cap on one record of a file (its JSON; default
            ``DEFAULT_MAX_RECORD_BYTES``, 1 MiB, four times the 256 KB AWS allows an
            event; None: no cap). A record over the cap is never decoded. If it may be
            root activity, its file is an error entry with reason ``record_too_large``
            naming the record, as for an invalid root-activity record; if it cannot be
            (its ``userIdentity.type`` and ``eventName``, read without decoding it, say
            so), it is counted and passed over. With ``max_file_bytes``, it bounds what
            decoding any file costs. ``NaN`` and ``Infinity`` are not JSON: a file
            holding one is a ``not_json`` error entry.
        workers: deprecated name of ``max_workers`` (a ``DeprecationWarning``; passing
            both is an :class:`~rootguard.ArgumentError`).
        max_root_records_per_file: the cap on the root activities one file may give
            (default ``DEFAULT_MAX_ROOT_RECORDS_PER_FILE``, 10,000 — a real log file
            holds a handful; None: no cap). Counted while the file is read, past the
            filters (``since``, ``accounts`` ...); a file over it is an error entry with
            reason ``too_many_root_records`` whose ``detail`` says how many it holds,
            none of them reported, and the scan goes on. It bounds what one file's
            result costs a worker (an activity is about 1 KB).

    Local folders: symbolic links are followed, to files and to folders; a link back to
    a folder that contains it is a loop, skipped (``folder_loop``). FIFOs, sockets and
    devices, in a folder or named directly, are skipped (``not_regular_file``) without
    being opened; dangling links, link loops and entries that cannot be examined are
    error entries (``read_failed``).
    Returns:
        A :class:`~rootguard.ScanResult`: activities sorted by (event_time, event_id),
        counts, skipped files (digests, non-log files) and unreadable files with the
        reason. The same archive gives the same result whatever the executor.

    Raises:
        ScanError: the scan cannot start or go on: bad source, S3 listing denied,
            no credentials, a worker that died.
        ArgumentError: ``accounts`` or ``regions`` is a bare string (pass a list);
            ``since`` or ``until`` is not a datetime; both ``workers`` and ``max_workers``.

    Examples:
        >>> import gzip, json, pathlib, tempfile, rootguard
        >>> rec = {"eventID": "e1", "eventName": "ListBuckets", "eventType": "AwsApiCall",
        ...        "userIdentity": {"type": "Root", "accessKeyId": "AKIAEXAMPLE"}}
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "log.json.gz").write_bytes(
        ...     gzip.compress(json.dumps({"Records": [rec]}).encode()))
        >>> result = rootguard.scan_cloudtrail_archive(folder, max_workers=1)
        >>> [(a.event_id, a.channel.value) for a in result.activities], result.files_scanned
        ([('e1', 'access_key')], 1)
    """
    since_utc, until_utc = (
        as_utc(time_or_none(since, "since")),
        as_utc(time_or_none(until, "until")),
    )
    if since_utc is not None and until_utc is not None and since_utc > until_utc:
        raise ScanError(f"since ({since_utc.isoformat()}) is after until ({until_utc.isoformat()})")
    max_workers = _max_workers(max_workers, workers)
    if max_workers is not None and max_workers < 1:
        raise ScanError(f"max_workers must be at least 1, not {max_workers}")
    for limit, limit_name, unit_name in (
        (max_file_bytes, "max_file_bytes", "bytes"),
        (max_record_bytes, "max_record_bytes", "bytes"),
        (max_root_records_per_file, "max_root_records_per_file", "records"),
    ):
        if not valid_limit(limit):
            raise ScanError(
                f"{limit_name} must be a positive number of {unit_name} or None, not {limit!r}"
            )
    record_filter = RecordFilter(
        since=since_utc,
        until=until_utc,
        accounts=frozen(name_list(accounts, "accounts", items="account ids")),
        regions=frozen(name_list(regions, "regions", items="region names")),
    )
    pruner = _Pruner.of(record_filter)
    walk = _Walk()
    s3_state: dict[str, Any] = {}

    def s3_open(bucket: str) -> _S3Lister:
        if "client" not in s3_state:
            import boto3

            sess = session if session is not None else boto3.Session()
            client = sess.client("s3", config=_S3_CONFIG)
            region = _bucket_region(client, bucket)
            s3_state["client"] = client
            s3_state["settings"] = _settings_for(sess, client, region)
        return _S3Lister(s3_state["client"], bucket, pruner, walk)

    found = [0]
    refs = _sources(source, pruner, walk, s3_open)
    # S3 settings exist once the first S3 listing started; units are built lazily after.
    units = _units_with_settings(
        refs,
        record_filter,
        s3_state,
        found,
        max_file_bytes=max_file_bytes,
        max_record_bytes=max_record_bytes,
        max_root_records=max_root_records_per_file,
    )
    tally = _Tally(walk=walk, found=found, progress=progress)
    try:
        _run(units, tally, executor=executor, workers=max_workers or os.cpu_count() or 1)
    finally:
        forget(s3_state.get("settings"))
    tally.report()

    roots = [record for index in sorted(tally.roots) for record in tally.roots[index]]
    activities = activities_of(roots)
    activities.sort(key=_activity_order)
    return ScanResult(
        activities=activities,
        files_scanned=tally.files_scanned,
        events_scanned=tally.events,
        skipped=sorted(walk.skipped + tally.skipped, key=lambda s: s.path),
        errors=sorted(walk.errors + tally.errors, key=lambda e: e.path),
        files_pruned=walk.pruned,
        since=since_utc,
        until=until_utc,
    )


def _units_with_settings(
    refs: Iterator[_FileRef],
    record_filter: RecordFilter,
    s3_state: dict[str, Any],
    found: list[int],
    *,
    max_file_bytes: int | None,
    max_record_bytes: int | None,
    max_root_records: int | None,
) -> Iterator[_Unit]:
    for unit in _units(
        refs,
        record_filter,
        None,
        found,
        max_file_bytes=max_file_bytes,
        max_record_bytes=max_record_bytes,
        max_root_records=max_root_records,
    ):
        if any(ref.key is not None for ref in unit.files):
            yield replace(unit, s3=s3_state["settings"])
        else:
            yield unit


def _activity_order(activity: RootActivity) -> tuple[float, str]:
    when = activity.event_time
    return (when.timestamp() if when is not None else float("-inf"), activity.event_id or "")


def _bucket_region(client: S3Client, bucket: str) -> str | None:
    try:
        response = client.head_bucket(Bucket=bucket)
    except CREDENTIAL_ERRORS as exc:
        raise ScanError(f"no usable AWS credentials: {exc}") from None
    except ClientError as exc:
        headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        region = headers.get("x-amz-bucket-region")
        if region and error_code(exc) in ("301", "PermanentRedirect", "400"):
            return str(region)
        raise ScanError(
            f"cannot open s3://{bucket}: {error_code(exc)}: {error_message(exc)}"
        ) from None
    except CALL_ERRORS as exc:
        raise ScanError(f"cannot open s3://{bucket}: {error_message(exc)}") from None
    region = response.get("BucketRegion") or response.get("ResponseMetadata", {}).get(
        "HTTPHeaders", {}
    ).get("x-amz-bucket-region")
    return str(region) if region else None


def _run(units: Iterator[_Unit], tally: _Tally, *, executor: Executor | None, workers: int) -> None:
    if executor is not None:
        _run_on(executor, units, tally, inflight=2 * workers + 2)
        return
    if workers <= 1:
        scratch = _Scratch()
        for unit in units:
            scans: list[tuple[str, FileScan]] = []
            for ref in unit.files:  # file by file, to report progress file by file
                scans.append((ref.path, _scan_file(ref, unit, scratch)))
                if len(scans) < len(unit.files):
                    tally.report(in_unit=len(scans))
            tally.add(_unit_result(unit.index, scans))
        return
    # Look ahead: a pool is not worth starting for a single unit.
    first = next(units, None)
    if first is None:
        return
    second = next(units, None)
    if second is None:
        part: _Unit | None = first
        while part is not None:
            result = _scan_unit(part)
            tally.add(result)
            part = result.rest
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        _run_on(pool, _chain(first, second, units), tally, inflight=2 * workers + 2)


def _chain(first: _Unit, second: _Unit, rest: Iterator[_Unit]) -> Iterator[_Unit]:
    yield first
    yield second
    yield from rest


def _run_on(executor: Executor, units: Iterator[_Unit], tally: _Tally, *, inflight: int) -> None:
    pending: set[Future[_UnitResult]] = set()

    def settle(done: Iterable[Future[_UnitResult]]) -> None:
        for rest in _collect(done, tally):  # a unit's files left over: its next part
            pending.add(executor.submit(_scan_unit, rest))

    try:
        for unit in units:
            pending.add(executor.submit(_scan_unit, unit))
            if len(pending) >= inflight:
                done, pending_left = wait(pending, return_when=FIRST_COMPLETED)
                pending.intersection_update(pending_left)
                settle(done)
        while pending:
            done, pending_left = wait(pending, return_when=FIRST_COMPLETED)
            pending.intersection_update(pending_left)
            settle(done)
    except BaseException:
        for future in pending:
            future.cancel()
        raise


def _collect(done: Iterable[Future[_UnitResult]], tally: _Tally) -> list[_Unit]:
    """Add the results of ``done`` to the tally; the units' parts still to run."""
    rest: list[_Unit] = []
    for future in done:
        try:
            result = future.result()
        except ScanError:
            raise
        except Exception as exc:
            raise ScanError(f"a scan worker failed: {type(exc).__name__}: {exc}") from exc
        tally.add(result)
        if result.rest is not None:
            rest.append(result.rest)
    return rest

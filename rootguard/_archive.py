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

The pieces: ``rootguard._archive_layout`` (what a path says, pruning, what walking finds),
``rootguard._archive_local`` (local folders), ``rootguard._archive_s3`` (S3 listing and
the settings workers read with), ``rootguard._archive_units`` (work units, run in
workers); this module runs the scan and gathers the result.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rootguard._archive_layout import DELIVERY_SLACK, FileRef, Pruner, Walk, classify
from rootguard._archive_local import is_link, local_source, os_detail
from rootguard._archive_s3 import S3_CONFIG, S3Lister, bucket_region, settings_for, split_s3
from rootguard._archive_units import (
    Scratch,
    Unit,
    UnitResult,
    scan_file,
    scan_unit,
    unit_result,
    work_units,
)
from rootguard._cloudtrail import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_RECORD_BYTES, valid_limit
from rootguard._errors import ArgumentError, ScanError, name_list, time_or_none
from rootguard._fastscan import (
    DEFAULT_MAX_ROOT_RECORDS_PER_FILE,
    FailedFile,
    FailureReason,
    FileScan,
    RecordFilter,
    RootHit,
    ScanResult,
    SkippedFile,
    SkipReason,
    activities_of,
    frozen,
)
from rootguard._models import RootActivity
from rootguard._sessions import forget
from rootguard._time import as_utc

if TYPE_CHECKING:
    import boto3

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

ProgressCallback = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------
# The scan
# ---------------------------------------------------------------------------------------


@dataclass
class _Tally:
    """Results gathered in the parent, unit by unit."""

    walk: Walk
    found: list[int]
    progress: ProgressCallback | None
    files_scanned: int = 0
    events: int = 0
    done: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    errors: list[FailedFile] = field(default_factory=list)
    roots: dict[tuple[int, int], list[RootHit]] = field(default_factory=dict)

    def add(self, result: UnitResult) -> None:
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
    pruner: Pruner,
    walk: Walk,
    s3_open: Callable[[str], S3Lister],
) -> Iterator[FileRef]:
    if isinstance(source, str) and source.startswith("s3://"):
        bucket, prefix = split_s3(source)
        yield from s3_open(bucket).walk_prefix(prefix)
        return
    if isinstance(source, (str, PathLike)):
        path = Path(source)
        try:
            found = os.stat(path)
        except FileNotFoundError:
            raise ScanError(f"no such file or directory: {os.fspath(path)!r}") from None
        except OSError as exc:
            raise ScanError(f"cannot read {os.fspath(path)!r}: {os_detail(exc)}") from None
        yield from local_source(path, found, pruner, walk)
        return
    if isinstance(source, Iterable) and not isinstance(source, (bytes, bytearray)):
        for item in source:
            if isinstance(item, str) and item.startswith("s3://"):
                bucket, key = split_s3(item)
                lister = s3_open(bucket)
                if not key or key.endswith("/"):
                    yield from lister.walk_prefix(key)
                    continue
                folders = key.split("/")
                name = folders.pop()
                ref = classify(
                    item, folders, name, pruner, walk, listed=False, bucket=bucket, key=key
                )
                if ref is not None:
                    yield ref
            elif isinstance(item, (str, PathLike)):
                path = Path(item)
                try:
                    found = os.stat(path)
                except OSError as exc:
                    walk.fail(str(path), os_detail(exc, link=is_link(path)))
                    continue
                yield from local_source(path, found, pruner, walk)
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
    pruner = Pruner.of(record_filter)
    walk = Walk()
    s3_state: dict[str, Any] = {}

    def s3_open(bucket: str) -> S3Lister:
        if "client" not in s3_state:
            import boto3

            sess = session if session is not None else boto3.Session()
            client = sess.client("s3", config=S3_CONFIG)
            region = bucket_region(client, bucket)
            s3_state["client"] = client
            s3_state["settings"] = settings_for(sess, client, region)
        return S3Lister(s3_state["client"], bucket, pruner, walk)

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
    refs: Iterator[FileRef],
    record_filter: RecordFilter,
    s3_state: dict[str, Any],
    found: list[int],
    *,
    max_file_bytes: int | None,
    max_record_bytes: int | None,
    max_root_records: int | None,
) -> Iterator[Unit]:
    for unit in work_units(
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


def _run(units: Iterator[Unit], tally: _Tally, *, executor: Executor | None, workers: int) -> None:
    if executor is not None:
        _run_on(executor, units, tally, inflight=2 * workers + 2)
        return
    if workers <= 1:
        scratch = Scratch()
        for unit in units:
            scans: list[tuple[str, FileScan]] = []
            for ref in unit.files:  # file by file, to report progress file by file
                scans.append((ref.path, scan_file(ref, unit, scratch)))
                if len(scans) < len(unit.files):
                    tally.report(in_unit=len(scans))
            tally.add(unit_result(unit.index, scans))
        return
    # Look ahead: a pool is not worth starting for a single unit.
    first = next(units, None)
    if first is None:
        return
    second = next(units, None)
    if second is None:
        part: Unit | None = first
        while part is not None:
            result = scan_unit(part)
            tally.add(result)
            part = result.rest
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        _run_on(pool, _chain(first, second, units), tally, inflight=2 * workers + 2)


def _chain(first: Unit, second: Unit, rest: Iterator[Unit]) -> Iterator[Unit]:
    yield first
    yield second
    yield from rest


def _run_on(executor: Executor, units: Iterator[Unit], tally: _Tally, *, inflight: int) -> None:
    pending: set[Future[UnitResult]] = set()

    def settle(done: Iterable[Future[UnitResult]]) -> None:
        for rest in _collect(done, tally):  # a unit's files left over: its next part
            pending.add(executor.submit(scan_unit, rest))

    try:
        for unit in units:
            pending.add(executor.submit(scan_unit, unit))
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


def _collect(done: Iterable[Future[UnitResult]], tally: _Tally) -> list[Unit]:
    """Add the results of ``done`` to the tally; the units' parts still to run."""
    rest: list[Unit] = []
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

"""Benchmark: a scan worker's peak memory on hostile files, against a normal archive.

Anyone who can write to a trail's bucket can plant files. This script generates, in a
temporary folder (streamed to disk, never held in memory):

- a normal archive (``tests/archive_gen.py``, the generator the tests use): the baseline;
- two gzip bombs of ``--bomb-gib`` GiB of valid CloudTrail JSON each (about 1.5 MB of
  gzip): without a cap, a scanner would inflate and decode all of it;
- a valid log file just under the default cap (``--near-cap``, realistic records);
- a file of tiny records under the cap (``{"Records":[{},{},...]}``), which costs memory
  per record, not per byte;
- a root record under the cap whose unknown field holds millions of empty arrays, which
  the standard library's ``json`` builds in full (``nested-flood``), and the same record
  not root activity (``other-flood``: passed over by structure, never decoded);
- a root record nested millions of levels deep (``deep-nesting``);
- the near-cap log file with a ``NaN`` in its last record (``nan-near-cap``: it used to
  send the file to the standard-library path, which decoded it whole) and with a lone
  surrogate escape instead (``surrogate-near-cap``: msgspec refuses it, ``json`` reads
  it, so the standard-library path still reads this file — now one record at a time);
- 262,144 minimal root records (``root-flood``, the record-count cap): every one is
  root activity — refused past ``max_root_records_per_file`` (10,000 by default; it
  used to be reported in full, what the *result* costs, not the decoding);
- 10,000 realistic root records (``root-at-cap``, distinct event ids, the default
  ``max_root_records_per_file``): the most root activity one file can give the result;

then scans each — the normal archive alone, and the normal archive plus the hostile file
— each in a fresh process, with 1 worker (in process) and with a 2-worker process pool,
on the fast path (msgspec + python-isal) and on the standard-library fallback (both
hidden), and prints the peak RSS of the scanning process and of its workers
(``getrusage(RUSAGE_SELF / RUSAGE_CHILDREN).ru_maxrss``), the time, and what the scan
said of the hostile files.

Run: ``python benchmarks/archive_bomb.py [--bomb-gib 1.5] [--events 20000]``
(``--quick``: only the bombs; ``--uncapped``: also scan the bomb with
``max_file_bytes=None``, to see what the cap saves — several GB of RAM; ``--cases a,b``:
only these hostile files). The script only uses ``scan_cloudtrail_archive``'s defaults,
so the same script measures an older checkout too (copy it there and run it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.archive_gen, and this checkout's rootguard

MB = 1024 * 1024
LIMIT_MB = 300  # the target: a worker's peak RSS, whatever the input
CASES = (
    "bomb",
    "near-cap",
    "tiny-records",
    "nested-flood",
    "other-flood",
    "deep-nesting",
    "nan-near-cap",
    "surrogate-near-cap",
    "root-flood",
    "root-at-cap",
)


# ---------------------------------------------------------------------------------------
# Hostile files, streamed to disk
# ---------------------------------------------------------------------------------------


def _records() -> list[bytes]:
    """A few hundred realistic CloudTrail records, as compact JSON."""
    from tests.archive_gen import ArchiveSpec, generate_archive

    records: list[Any] = []
    for obj in generate_archive(ArchiveSpec(events=400, seed=5, days=1, digests=False)):
        records.extend(json.loads(gzip.decompress(obj.data))["Records"])
    return [json.dumps(r, separators=(",", ":")).encode() for r in records]


def _write_gzip(path: Path, parts: Iterator[bytes], level: int = 9) -> int:
    """Write ``parts`` gzip-compressed to ``path``; returns the uncompressed size."""
    size = 0
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=level) as out:
        for part in parts:
            out.write(part)
            size += len(part)
    return size


def _log_file(unit: bytes, size: int, separator: bytes = b",") -> Iterator[bytes]:
    """``{"Records":[unit,unit,...]}`` of about ``size`` bytes, in 8 MB pieces."""
    chunk = separator.join([unit] * max(1, (8 * MB) // (len(unit) + 1)))
    yield b'{"Records":[' + unit
    written = len(unit) + 12
    while written + len(chunk) + 1 < size:
        yield separator + chunk
        written += len(chunk) + 1
    yield b"]}"


def _padded(records: list[bytes], size: int) -> Iterator[bytes]:
    """``{"Records":[record, <size bytes of whitespace> record]}``: valid JSON."""
    spaces = b" " * (8 * MB)
    yield b'{"Records":[' + records[0] + b","
    for _ in range(size // len(spaces)):
        yield spaces
    yield records[1] + b"]}"


def _nested_flood(size: int) -> Iterator[bytes]:
    """One root record whose field ``pad`` is ``[[],[],...]`` of about ``size`` bytes."""
    head = b'{"Records":[{"userIdentity":{"type":"Root"},"eventName":"ListBuckets","pad":['
    for part in _log_file(b"[]", size):
        yield part.replace(b'{"Records":[', head, 1)
    yield b"]}"


def _other_flood(size: int) -> Iterator[bytes]:
    """A record that is not root activity whose field ``pad`` is ``[[],[],...]``."""
    head = b'{"Records":[{"userIdentity":{"type":"IAMUser"},"eventName":"ListBuckets","pad":['
    for part in _log_file(b"[]", size):
        yield part.replace(b'{"Records":[', head, 1)
    yield b"]}"


def _deep_nesting(size: int) -> Iterator[bytes]:
    """One root record whose field ``pad`` is ``[[[...]]]`` nested ``size / 2`` deep."""
    yield b'{"Records":[{"userIdentity":{"type":"Root"},"eventName":"ListBuckets","pad":'
    half = size // 2
    for _ in range(half // (4 * MB)):
        yield b"[" * (4 * MB)
    for _ in range(half // (4 * MB)):
        yield b"]" * (4 * MB)
    yield b"}]}"


def _with_last_record(records: list[bytes], size: int, last: bytes) -> Iterator[bytes]:
    """The near-cap log file whose last record is ``last``."""
    for part in _log_file(b",".join(records), size):
        yield part[:-2] + b"," + last + b"]}" if part == b"]}" else part


def _root_flood(count: int) -> Iterator[bytes]:
    """``count`` minimal root records (``{"userIdentity":{"type":"Root"}}``)."""
    unit = b'{"userIdentity":{"type":"Root"}}'
    chunk = b",".join([unit] * 10_000)
    yield b'{"Records":[' + unit
    for _ in range((count - 1) // 10_000):
        yield b"," + chunk
    for _ in range((count - 1) % 10_000):
        yield b"," + unit
    yield b"]}"


def _root_at_cap(count: int) -> Iterator[bytes]:
    """``count`` realistic root records (a console session's API calls), distinct ids."""
    template = json.dumps(
        {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "Root",
                "principalId": "111122223333",
                "arn": "arn:aws:iam::111122223333:root",
                "accountId": "111122223333",
                "accessKeyId": "ASIAEXAMPLEKEY000001",
                "sessionContext": {
                    "attributes": {
                        "creationDate": "2026-11-20T10:00:00Z",
                        "mfaAuthenticated": "false",
                    }
                },
            },
            "eventTime": "2026-11-20T10:%02d:%02dZ",
            "eventSource": "iam.amazonaws.com",
            "eventName": "ListUsers",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
            "requestParameters": None,
            "responseElements": None,
            "requestID": "%s",
            "eventID": "%s",
            "readOnly": True,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": "111122223333",
            "eventCategory": "Management",
        },
        separators=(",", ":"),
    )
    yield b'{"Records":['
    for n in range(count):
        ident = f"{n:08d}-0000-4000-8000-000000000000"
        record = template % (n // 60 % 60, n % 60, ident, ident)
        yield (b"," if n else b"") + record.encode()
    yield b"]}"


def make_files(root: Path, events: int, bomb_gib: float, near_cap: int) -> dict[str, Any]:
    from tests.archive_gen import ArchiveSpec, write_archive

    normal = root / "normal"
    truth = write_archive(normal, ArchiveSpec(events=events, seed=9, days=2))
    records = _records()
    blob = b",".join(records)
    info: dict[str, Any] = {"events": events, "files": len(truth.log_keys)}
    hostile = root / "hostile"
    hostile.mkdir()
    size = int(bomb_gib * 1024 * MB)
    started = time.perf_counter()
    # Two valid CloudTrail files of `size` bytes: whitespace between two records (about
    # 1000:1, deflate's limit), and 8 records repeated (about 150:1: deflate matches
    # repeats only within 32 KB).
    inflated = _write_gzip(hostile / "bomb-spaces.json.gz", _padded(records, size))
    repeated = _log_file(b",".join(records[:8]), size)
    inflated_2 = _write_gzip(hostile / "bomb-records.json.gz", repeated)
    info["bomb"] = {
        "inflated_mb": min(inflated, inflated_2) / MB,
        "gzip_mb": [
            (hostile / name).stat().st_size / MB
            for name in ("bomb-spaces.json.gz", "bomb-records.json.gz")
        ],
        "seconds_to_write": time.perf_counter() - started,
    }
    inflated = _write_gzip(root / "near-cap.json.gz", _log_file(blob, near_cap), level=6)
    info["near_cap"] = {
        "inflated_mb": inflated / MB,
        "gzip_mb": (root / "near-cap.json.gz").stat().st_size / MB,
    }
    inflated = _write_gzip(root / "tiny-records.json.gz", _log_file(b"{}", near_cap))
    info["tiny"] = {
        "inflated_mb": inflated / MB,
        "gzip_mb": (root / "tiny-records.json.gz").stat().st_size / MB,
    }
    # One root record whose unknown field holds millions of empty arrays: the fast path
    # skips the field while it scans, but decodes the record in full (stdlib json).
    inflated = _write_gzip(root / "nested-flood.json.gz", _nested_flood(near_cap))
    info["nested"] = {"inflated_mb": inflated / MB}
    _write_gzip(root / "other-flood.json.gz", _other_flood(near_cap))
    inflated = _write_gzip(root / "deep-nesting.json.gz", _deep_nesting(near_cap))
    info["deep"] = {"inflated_mb": inflated / MB}
    nan = b'{"eventName":"X","userIdentity":{"type":"IAMUser"},"n":NaN}'
    _write_gzip(root / "nan-near-cap.json.gz", _with_last_record(records, near_cap, nan), level=6)
    surrogate = b'{"eventName":"X","userIdentity":{"type":"IAMUser"},"s":"\\ud800"}'
    _write_gzip(
        root / "surrogate-near-cap.json.gz",
        _with_last_record(records, near_cap, surrogate),
        level=6,
    )
    flood = (near_cap + 4 * MB) // 256  # the record-count cap: max_file_bytes / 256
    inflated = _write_gzip(root / "root-flood.json.gz", _root_flood(flood))
    info["flood"] = {"records": flood, "inflated_mb": inflated / MB}
    from rootguard import _fastscan  # an older checkout has no cap: 10,000 all the same

    at_cap = getattr(_fastscan, "DEFAULT_MAX_ROOT_RECORDS_PER_FILE", 10_000)
    inflated = _write_gzip(root / "root-at-cap.json.gz", _root_at_cap(at_cap))
    info["at_cap"] = {"records": at_cap, "inflated_mb": inflated / MB}
    return info


# ---------------------------------------------------------------------------------------
# One measurement, in its own process: `--measure NAME --dir ROOT`
# ---------------------------------------------------------------------------------------


def _sources(root: Path, what: str) -> list[str]:
    normal = [str(root / "normal")]
    if what == "normal":
        return normal
    if what == "bomb":
        return normal + sorted(str(p) for p in (root / "hostile").iterdir())
    return [*normal, str(root / f"{what}.json.gz")]


def run_measure(name: str, root: Path) -> None:
    what, path, workers_text, cap = name.split(":")
    if path == "fallback":  # what a machine without the `fast` extra runs
        for module in ("msgspec", "isal", "isal.igzip"):
            sys.modules[module] = None  # type: ignore[assignment]
    import rootguard

    kwargs: dict[str, Any] = {"workers": int(workers_text)}
    if cap == "uncapped":
        kwargs["max_file_bytes"] = None
    started = time.perf_counter()
    result = rootguard.scan_cloudtrail_archive(_sources(root, what), **kwargs)
    out = {
        "seconds": time.perf_counter() - started,
        "rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_workers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "scanned": result.files_scanned,
        "seen": result.files_seen,
        "errors": [(Path(e.path).name, e.reason.value, e.detail) for e in result.errors],
        "activities": len(result.activities),
        "decoder": result.decoder,
        "gzip": result.gzip,
    }
    print(json.dumps(out))


def spawn(name: str, root: Path, *extra: str) -> dict[str, Any]:
    """Run ``--measure name`` (or ``--make``) in a fresh process and return its JSON.

    This process stays small (standard library only, no data): on Linux a child's
    ``ru_maxrss`` starts from its parent's resident size at fork, kept across exec."""
    proc = subprocess.run(
        [sys.executable, __file__, "--measure", name, "--dir", str(root), *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-gib", type=float, default=1.5, help="inflated size of a bomb")
    parser.add_argument("--events", type=int, default=20_000, help="events of the normal archive")
    parser.add_argument("--quick", action="store_true", help="only the bombs")
    parser.add_argument("--uncapped", action="store_true", help="also scan with no cap")
    parser.add_argument("--cases", default="", help="comma-separated hostile files only")
    parser.add_argument("--dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure == "make":
        from rootguard._cloudtrail import DEFAULT_MAX_FILE_BYTES

        info = make_files(args.dir, args.events, args.bomb_gib, DEFAULT_MAX_FILE_BYTES - 4 * MB)
        info["cap"] = DEFAULT_MAX_FILE_BYTES
        print(json.dumps(info))
        return
    if args.measure:
        run_measure(args.measure, args.dir)
        return

    root = Path(tempfile.mkdtemp(prefix="rootguard-bomb-"))
    try:
        print(f"writing the files under {root} ...", flush=True)
        info = spawn("make", root, "--events", str(args.events), "--bomb-gib", str(args.bomb_gib))
        cap = info["cap"]
        bomb = info["bomb"]
        print(
            f"normal archive: {info['events']} events in {info['files']} log files; "
            f"bombs: {bomb['gzip_mb'][0]:.1f} MB and {bomb['gzip_mb'][1]:.1f} MB of gzip "
            f"inflating to {bomb['inflated_mb'] / 1024:.2f} GiB of valid CloudTrail JSON each "
            "(whitespace between records; repeated records); "
            f"near-cap log file: {info['near_cap']['inflated_mb']:.0f} MB "
            f"({info['near_cap']['gzip_mb']:.1f} MB gzip); tiny records: "
            f"{info['tiny']['inflated_mb']:.0f} MB; nested flood: "
            f"{info['nested']['inflated_mb']:.0f} MB; deep nesting: "
            f"{info['deep']['inflated_mb']:.0f} MB; root flood: {info['flood']['records']} "
            f"records, {info['flood']['inflated_mb']:.1f} MB; root at cap: "
            f"{info['at_cap']['records']} records, {info['at_cap']['inflated_mb']:.1f} MB; "
            f"cap (max_file_bytes, default): {cap / MB:.0f} MiB"
        )
        cases = ["bomb"] if args.quick else list(CASES)
        if args.cases:
            cases = [case for case in args.cases.split(",") if case]
        rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for path in ("fast", "fallback"):
            for workers in (1, 2):
                base = spawn(f"normal:{path}:{workers}:capped", root)
                for case in cases:
                    run = spawn(f"{case}:{path}:{workers}:capped", root)
                    rows.append(
                        (f"{case}, {path}, {workers} worker{'s' * (workers > 1)}", base, run)
                    )
        if args.uncapped:
            base = spawn("normal:fast:1:uncapped", root)
            rows.append(
                (
                    "bomb, fast, 1 worker, max_file_bytes=None",
                    base,
                    spawn("bomb:fast:1:uncapped", root),
                )
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print()
    print(
        f"{'scan: normal archive + hostile file':40s} {'normal alone':>13s} "
        f"{'+ hostile':>10s} {'ratio':>6s} {'(parent, workers)':>19s} {'time':>6s} "
        f"{'<' + str(LIMIT_MB) + ' MB':>7s}  hostile file's verdict"
    )
    groups: dict[str, list[float]] = {"bombs": [], "fast": [], "fallback": [], "result": []}
    for label, base, run in rows:
        peak = max(run["rss_self_mb"], run["rss_workers_mb"])
        normal = max(base["rss_self_mb"], base["rss_workers_mb"])
        verdicts = sorted({reason for _, reason, _ in run["errors"]}) or [
            f"scanned ({run.get('activities', 0)} activities)"
        ]
        split = f"({run['rss_self_mb']:.0f}, {run['rss_workers_mb']:.0f} MB)"
        print(
            f"{label:40s} {normal:10.0f} MB {peak:7.0f} MB {peak / normal:5.2f}x "
            f"{split:>19s} {run['seconds']:5.1f}s {'yes' if peak < LIMIT_MB else 'NO':>7s}  "
            f"{', '.join(verdicts)}"
        )
        if "None" in label:
            continue
        if label.startswith("bomb"):
            groups["bombs"].append(peak)
        if label.startswith("root-at-cap"):  # what the result costs, not the decoding
            groups["result"].append(peak)
            continue
        groups["fast" if ", fast," in label else "fallback"].append(peak)
    print()
    print(
        "peak RSS: the larger of the scanning process's and its pool workers' peaks "
        "(getrusage ru_maxrss, RUSAGE_SELF and RUSAGE_CHILDREN)"
    )
    seen: set[str] = set()
    for _, _, run in rows:
        for name, reason, detail in run["errors"]:
            if reason not in seen and name != "normal":
                seen.add(reason)
                print(f"  e.g. {name}: {reason}: {detail}")
    for group, words in (
        ("bombs", "the bombs, fast path and fallback, 1 and 2 workers"),
        ("fast", "every hostile file but root-at-cap on the fast path"),
        ("fallback", "every hostile file but root-at-cap on the stdlib fallback"),
        ("result", "root-at-cap (10,000 root activities reported: the result itself)"),
    ):
        if groups[group]:
            worst = max(groups[group])
            print(
                f"worst peak RSS, {words}: {worst:.0f} MB "
                f"({'under' if worst < LIMIT_MB else 'OVER'} {LIMIT_MB} MB)"
            )
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    if load > cores * 0.75:
        print(f"note: load average {load:.1f} on {cores} cores: times are pessimistic")


if __name__ == "__main__":
    main()

"""What one terabyte of CloudTrail logs costs to hunt: local scan (or Dask) vs Athena.

Generates the archive the scanner benchmark uses (``tests/archive_gen.py``), measures in
the same run the CPU time of ``scan_cloudtrail_archive`` with one worker, and of the
Athena hunt query run by DuckDB over the same files (the test stand-in for Athena: not
Athena's speed, a check that the query runs), then scales both to one terabyte of gzip
logs — the unit Athena bills:

- the archive's gzip bytes per event and per object (what Athena scans and S3 serves);
- local scan: core-hours per TB at the measured rate, and the S3 GET and LIST requests
  of reading every object;
- Athena: the published $5.00 per TB scanned (compressed bytes, rounded up to the MB,
  10 MB minimum per query), plus the same S3 GET requests, which Athena makes too.

S3 request prices: S3 Standard in us-east-1, $0.0004 per 1,000 GET and $0.005 per 1,000
LIST requests (aws.amazon.com/s3/pricing). No EC2 price is assumed: pass
``--vcpu-hour USD`` to price the core-hours.

Run: ``python benchmarks/athena_cost.py [--events 200000] [--vcpu-hour 0.04]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TB = 1024**4
GET_PER_1000 = 0.0004
LIST_PER_1000 = 0.005
ATHENA_PER_TB = 5.0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--vcpu-hour", type=float, default=None, help="USD per vCPU-hour")
    args = parser.parse_args()

    import rootguard
    from rootguard._athena_sql import activities_from_rows, hunt_query
    from tests import athena_duck
    from tests.archive_gen import ArchiveSpec, write_archive

    spec = ArchiveSpec(events=args.events, org_id="o-a1b2c3d4e5", prefix="org-trail")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        truth = write_archive(root, spec)
        logs = [root / key for key in truth.log_keys]
        gz_bytes = sum(path.stat().st_size for path in logs)
        since = spec.start - timedelta(days=1)
        until = spec.start + timedelta(days=spec.days + 1)

        cpu, wall = _cpu(), time.perf_counter()
        scan = rootguard.scan_cloudtrail_archive(root, since=since, until=until, max_workers=1)
        scan_cpu, scan_wall = _cpu() - cpu, time.perf_counter() - wall

        query = hunt_query(database="security", table="org_trail", since=since, until=until)
        con = athena_duck.connect(root, database="security", table="org_trail")
        cpu, wall = _cpu(), time.perf_counter()
        rows = athena_duck.run(con, query.sql)
        duck_wall = time.perf_counter() - wall
        activities, _, _ = activities_from_rows(rows, query.record_filter)
        con.close()

    assert activities == scan.activities, "the query and the scan disagree"
    events, objects = truth.events, len(logs)
    per_tb = TB / gz_bytes
    events_tb, objects_tb = events * per_tb, objects * per_tb
    core_hours = scan_cpu / events * events_tb / 3600
    gets = objects_tb / 1000 * GET_PER_1000
    lists = objects_tb / 1000 / 1000 * LIST_PER_1000  # 1000 keys per ListObjectsV2 call

    print(f"archive: {events:,} events in {objects:,} log objects, {gz_bytes / 2**20:.1f} MiB gzip")
    per_event, per_object = gz_bytes / events, gz_bytes / objects / 1024
    print(f"  {per_event:.0f} bytes of gzip per event, {per_object:.1f} KiB per object")
    print(f"  root activities: {len(scan.activities)} (query and scan agree)")
    rate_wall, rate_cpu = events / scan_wall, events / scan_cpu
    print(f"local scan, 1 worker: {rate_wall:,.0f} events/s wall, {rate_cpu:,.0f} events/s CPU")
    print(f"DuckDB running the Athena query (stand-in, not Athena): {duck_wall:.2f} s wall")
    print()
    print("per TB of gzip CloudTrail logs (extrapolated from this archive):")
    print(f"  {events_tb / 1e9:.2f} billion events in {objects_tb / 1e6:.1f} million objects")
    print(f"  local scan / Dask: {core_hours:,.1f} core-hours of CPU", end="")
    if args.vcpu_hour is not None:
        print(f" (${core_hours * args.vcpu_hour:,.2f} at ${args.vcpu_hour}/vCPU-hour)", end="")
    print(f", + S3 GET ${gets:,.2f} + LIST ${lists:,.2f}")
    print(f"  Athena: ${ATHENA_PER_TB:.2f} scanned + S3 GET ${gets:,.2f} (it reads every object)")
    print("  a hunt over a few days of one account is billed 10 MB at least: $0.0000477")


if __name__ == "__main__":
    main()

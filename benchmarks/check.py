"""Benchmark collect(): wall time and API calls for 2 and for 17 regions, in one run.

One account on a moto server (ThreadedMotoServer on 127.0.0.1, HTTP, in a process of its
own, as AWS is not in the caller's process, which does not import moto), populated with
the whole root-alerting chain in every region (tests/integration/accounts.py) and a
realistic root user (tests/integration/moto_root.py). Each measurement uses a fresh boto3
session; calls are counted with a ``before-call`` handler (retries not counted).

Targets (issue 3): the 17-region run takes less than 4x the 2-region run; at most 30
calls per region.

    python benchmarks/check.py [--repeat 3] [--latency-ms 0]

``--latency-ms`` adds a simulated network round trip to every request (a ``before-send``
handler that sleeps), to show the concurrency as it behaves against real AWS endpoints,
where a call costs tens of milliseconds of waiting rather than moto's CPU time.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import statistics
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3

import rootguard

REGIONS_17 = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
]
REGIONS_2 = REGIONS_17[:2]
GLOBAL_SERVICES = ("iam", "sts", "organizations")


def measure(regions: list[str], latency: float) -> tuple[float, Counter[str]]:
    session = boto3.Session(region_name="us-east-1")
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.split(".", 2)[1]] += 1

    def delay(**_: Any) -> None:
        time.sleep(latency)

    session.events.register("before-call", count)
    if latency:
        session.events.register("before-send", delay)
    started = time.perf_counter()
    snapshot = rootguard.collect(session=session, regions=regions)
    elapsed = time.perf_counter() - started
    if snapshot.gaps:
        raise SystemExit(f"unexpected gaps: {[g.describe() for g in snapshot.gaps]}")
    return elapsed, calls


def serve(conn: Connection) -> None:
    """The moto server process: one account, populated in 17 regions, with a realistic root
    user; serves until told to stop. moto is imported here only: in the collector's process
    its modules would only make garbage collection slower."""
    from moto.server import ThreadedMotoServer

    from tests.integration.accounts import populate_account
    from tests.integration.moto_root import RootKey, RootState, moto_root

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    root = RootState(
        mfa="hardware",
        access_keys=(RootKey(active=False),),
        organization_features=("RootCredentialsManagement", "RootSessions"),
    )
    try:
        with moto_root(root):
            populate_account(boto3.Session(region_name="us-east-1"), regions=REGIONS_17)
            conn.send(os.environ["AWS_ENDPOINT_URL"])
            conn.recv()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="simulated RTT per call")
    args = parser.parse_args()

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    # the server runs in its own process, as AWS does: its CPU time does not compete with
    # the collector's threads for this process's GIL
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(theirs,))
    server.start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = ours.recv()
        latency = args.latency_ms / 1000
        measure(REGIONS_2, latency)  # warm-up: imports, service models
        times: dict[int, list[float]] = {2: [], 17: []}
        counts: dict[int, Counter[str]] = {}
        for _ in range(args.repeat):
            for regions in (REGIONS_2, REGIONS_17):
                elapsed, calls = measure(regions, latency)
                times[len(regions)].append(elapsed)
                counts[len(regions)] = calls
    finally:
        ours.send("stop")
        server.join(timeout=30)

    print(f"collect() on ThreadedMotoServer, median of {args.repeat} runs", end="")
    print(f", simulated latency {args.latency_ms:g} ms per call" if args.latency_ms else "")
    for size in (2, 17):
        calls = counts[size]
        total = sum(calls.values())
        regional = sum(n for s, n in calls.items() if s not in GLOBAL_SERVICES)
        print(
            f"  {size:>2} regions: {statistics.median(times[size]):6.3f} s, "
            f"{total:4d} API calls ({regional} regional = {regional / size:.1f} per region, "
            f"{total - regional} global)"
        )
    ratio = statistics.median(times[17]) / statistics.median(times[2])
    per_region = max(
        sum(n for s, n in counts[size].items() if s not in GLOBAL_SERVICES) / size
        for size in (2, 17)
    )
    print(f"  ratio 17/2 regions: {ratio:.2f}x (target < 4x) {'OK' if ratio < 4 else 'MISSED'}")
    print(
        f"  calls per region: {per_region:.1f} (target <= 30) "
        f"{'OK' if per_region <= 30 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

"""Benchmark scan_organization(): 1 worker against the default thread pool, in one run.

An organization of a management account and 50 member accounts (a mix of hardened,
exposed, organization-trail-only and plain members: tests/integration/org_builder.py)
on a moto server (ThreadedMotoServer on 127.0.0.1, HTTP) that runs in a process of its
own, as AWS is not in the caller's process. Every account is read in 2 regions.

Target (issue 6): the default pool is at least 4x faster than 1 worker.

    python benchmarks/org_scan.py [--members 50] [--repeat 1] [--latency-ms 0]

``--latency-ms`` adds a simulated network round trip to every request (a ``before-send``
handler that sleeps, installed through ``configure_session``). Against moto every call
costs CPU time only, and the scanner's CPU is bounded by one GIL; against real AWS
endpoints a call mostly waits for the network, which is what a thread pool overlaps.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
from moto.server import ThreadedMotoServer

import rootguard
from rootguard._org import DEFAULT_MAX_WORKERS
from tests.integration.org_builder import REGIONS, moto_organization

KINDS = ("hardened", "exposed", "org-trail-only", "plain", "plain")


def members(count: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"member-{i:02d}", KINDS[i % len(KINDS)]) for i in range(count))


def serve(conn: Connection, count: int) -> None:
    """The moto server process: builds the organization, then serves until told to stop."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    try:
        session = boto3.Session(region_name=REGIONS[0])
        with moto_organization(session, members=members(count), regions=REGIONS):
            conn.send(os.environ["AWS_ENDPOINT_URL"])
            conn.recv()
    finally:
        server.stop()


class Latency:
    """A ``configure_session`` hook: every request waits ``seconds`` before it is sent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, session: boto3.Session) -> None:
        session.events.register("before-send", self._wait)

    def _wait(self, **_: Any) -> None:
        time.sleep(self.seconds)


def measure(
    session: boto3.Session, max_workers: int, hook: Callable[[boto3.Session], None] | None
) -> tuple[float, float, rootguard.OrganizationReport]:
    """(wall seconds, this process's CPU seconds, report) of one scan."""
    started, cpu = time.perf_counter(), time.process_time()
    report = rootguard.scan_organization(
        session=session, regions=REGIONS, max_workers=max_workers, configure_session=hook
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if report.errors:
        raise SystemExit(f"accounts in error: {[a.reason for a in report.errors]}")
    return elapsed, cpu, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50, help="member accounts (50)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per pool size (median)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="simulated RTT per call")
    args = parser.parse_args()

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_EC2_METADATA_DISABLED="true",
    )
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(theirs, args.members))
    server.start()
    hook = Latency(args.latency_ms / 1000) if args.latency_ms else None
    times: dict[int, list[float]] = {1: [], DEFAULT_MAX_WORKERS: []}
    cpus: dict[int, list[float]] = {1: [], DEFAULT_MAX_WORKERS: []}
    try:
        os.environ["AWS_ENDPOINT_URL"] = ours.recv()
        session = boto3.Session(region_name=REGIONS[0])
        measure(session, DEFAULT_MAX_WORKERS, None)  # warm-up: imports, service models
        for _ in range(args.repeat):
            for workers, measured in times.items():
                elapsed, cpu, report = measure(session, workers, hook)
                measured.append(elapsed)
                cpus[workers].append(cpu)
    finally:
        ours.send("stop")
        server.join(timeout=60)

    accounts = len(report.checked)
    one = statistics.median(times[1])
    pool = statistics.median(times[DEFAULT_MAX_WORKERS])
    print(
        f"scan_organization() on ThreadedMotoServer (own process): {accounts} accounts "
        f"(1 management + {args.members} members), {len(REGIONS)} regions each, median of "
        f"{args.repeat} run(s)",
        end="",
    )
    print(f", simulated latency {args.latency_ms:g} ms per call" if args.latency_ms else "")
    for label, workers, wall in (
        ("1 worker", 1, one),
        (f"default pool ({DEFAULT_MAX_WORKERS} threads)", DEFAULT_MAX_WORKERS, pool),
    ):
        cpu = statistics.median(cpus[workers])
        print(
            f"  {label + ':':<27} {wall:7.2f} s wall ({wall / accounts:.3f} s per account), "
            f"scanner CPU {cpu:6.2f} s"
        )
    ratio = one / pool
    print(f"  ratio: {ratio:.2f}x (target >= 4x) {'OK' if ratio >= 4 else 'MISSED'}")
    floor = statistics.median(cpus[DEFAULT_MAX_WORKERS])
    if pool < 1.25 * floor:
        print(
            "  the pool is bound by the scanner's own CPU (one GIL): its wall time is close "
            "to its CPU time"
        )


if __name__ == "__main__":
    main()

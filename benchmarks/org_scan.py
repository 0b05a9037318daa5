"""Benchmark scan_organization(): 1 worker against the default thread pool, in one run.

An organization of a management account and 50 member accounts (a mix of hardened,
exposed, organization-trail-only and plain members: tests/integration/org_builder.py)
on a moto server (ThreadedMotoServer on 127.0.0.1, HTTP) that runs in a process of its
own, as AWS is not in the caller's process (moto is not even imported in the scanner's
process: its modules would only make the scanner's garbage collections slower). Every
account is read in 2 regions.

Target (issue 6): the default pool is at least 4x faster than 1 worker.

    python benchmarks/org_scan.py [--members 50] [--repeat 1] [--latency-ms 0 20 50]

Each ``--latency-ms`` value is one measurement of both pool sizes. A non-zero value adds
a simulated network round trip to every request (a ``before-send`` handler that sleeps,
installed through ``configure_session``). Why both:

- 0 ms: moto on loopback answers in about a millisecond of its own CPU, so every call
  costs CPU time only — the scanner's (botocore building clients and requests, one GIL)
  and the server's (one GIL). The pool then cannot finish before the busier of the two
  processes has spent its CPU time, while 1 worker takes at most the sum of both: the
  printed bound says how far any pool could get on this machine (never past 2x).
- 20 and 50 ms (default): a real AWS API call answers in tens of milliseconds (network
  round trip plus the service's own work), and a thread pool exists to overlap that
  waiting. 20 ms is the low end of that range (a quick call in the caller's own region);
  calls to another region add its round trip (tens of ms more). The CPU work is the
  same at every latency.

The printout ends with which target is met under which condition.
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
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3

import rootguard
from rootguard._org import DEFAULT_MAX_WORKERS

KINDS = ("hardened", "exposed", "org-trail-only", "plain", "plain")
TARGET = 4.0


def members(count: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"member-{i:02d}", KINDS[i % len(KINDS)]) for i in range(count))


def serve(conn: Connection, count: int) -> None:
    """The moto server process: builds the organization, then answers ``cpu`` (its own CPU
    seconds so far) until told to ``stop``."""
    from moto.server import ThreadedMotoServer

    from tests.integration.org_builder import REGIONS, moto_organization

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    try:
        session = boto3.Session(region_name=REGIONS[0])
        with moto_organization(session, members=members(count), regions=REGIONS):
            conn.send((os.environ["AWS_ENDPOINT_URL"], list(REGIONS)))
            while conn.recv() == "cpu":
                conn.send(time.process_time())
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


@dataclass
class Run:
    wall: float
    cpu: float
    """The scanner's (this process's) CPU seconds."""
    server_cpu: float
    accounts: int


def measure(
    session: boto3.Session,
    regions: list[str],
    max_workers: int,
    hook: Callable[[boto3.Session], None] | None,
    server_cpu: Callable[[], float],
) -> Run:
    """One scan: wall time, this process's and the server's CPU time."""
    server_started = server_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    report = rootguard.scan_organization(
        session=session, regions=regions, max_workers=max_workers, configure_session=hook
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    served = server_cpu() - server_started
    if report.errors:
        raise SystemExit(f"accounts in error: {[a.reason for a in report.errors]}")
    return Run(elapsed, cpu, served, len(report.checked))


def median_run(runs: list[Run]) -> Run:
    middle = sorted(runs, key=lambda r: r.wall)[(len(runs) - 1) // 2]
    return Run(
        middle.wall,
        statistics.median(r.cpu for r in runs),
        statistics.median(r.server_cpu for r in runs),
        middle.accounts,
    )


def report(latency_ms: float, one: Run, pool: Run) -> tuple[float, float | None]:
    """Print one latency's measurements; returns (ratio, bound or None)."""
    if latency_ms:
        print(
            f"simulated latency {latency_ms:g} ms per call "
            "(real AWS answers in tens of ms: the pool overlaps the waiting):"
        )
    else:
        print("no simulated latency (moto on loopback: every call costs CPU only):")
    for label, run in (
        ("1 worker", one),
        (f"default pool ({DEFAULT_MAX_WORKERS} threads)", pool),
    ):
        print(
            f"  {label + ':':<27} {run.wall:7.2f} s wall ({run.wall / run.accounts:.3f} s per "
            f"account); CPU: scanner {run.cpu:6.2f} s ({run.cpu / run.accounts * 1000:.0f} ms "
            f"per account), server {run.server_cpu:5.2f} s"
        )
    ratio = one.wall / pool.wall
    verdict = "OK" if ratio >= TARGET else "MISSED"
    print(f"  ratio: {ratio:.2f}x (target >= {TARGET:g}x) {verdict}")
    bound = None
    if not latency_ms:
        # each process runs its Python on one GIL: no pool takes less wall time than the
        # busier process needs CPU time, and a pool needs at least the CPU of 1 worker
        busier = max(min(one.cpu, pool.cpu), min(one.server_cpu, pool.server_cpu))
        bound = one.wall / busier
        print(
            f"  best ratio any pool could reach here: ~{bound:.2f}x (1 worker's wall time / "
            f"the {busier:.2f} s of CPU the busier process needs, even with a pool that adds "
            "no CPU of its own)"
        )
    return ratio, bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50, help="member accounts (50)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs="+",
        default=[0.0, 20.0, 50.0],
        help="simulated round trip per call, one measurement per value (0 20 50)",
    )
    args = parser.parse_args()

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(theirs, args.members))
    server.start()

    def server_cpu() -> float:
        ours.send("cpu")
        return float(ours.recv())

    runs: dict[float, dict[int, list[Run]]] = {}
    try:
        endpoint, regions = ours.recv()
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        session = boto3.Session(region_name=regions[0])
        measure(session, regions, DEFAULT_MAX_WORKERS, None, server_cpu)  # warm-up
        for latency_ms in args.latency_ms:
            hook = Latency(latency_ms / 1000) if latency_ms else None
            runs[latency_ms] = {1: [], DEFAULT_MAX_WORKERS: []}
            for _ in range(args.repeat):
                for workers, measured in runs[latency_ms].items():
                    measured.append(measure(session, regions, workers, hook, server_cpu))
    finally:
        ours.send("stop")
        server.join(timeout=60)

    accounts = runs[args.latency_ms[0]][1][0].accounts
    print(
        f"scan_organization() on ThreadedMotoServer (own process): {accounts} accounts "
        f"(1 management + {args.members} members), {len(regions)} regions each, median of "
        f"{args.repeat} run(s), {os.cpu_count()} CPUs"
    )
    met, missed = [], []
    for latency_ms, by_workers in runs.items():
        ratio, bound = report(
            latency_ms, median_run(by_workers[1]), median_run(by_workers[DEFAULT_MAX_WORKERS])
        )
        condition = f"{latency_ms:g} ms simulated latency" if latency_ms else "no latency"
        if ratio >= TARGET:
            met.append(f"{condition} ({ratio:.1f}x)")
        else:
            why = f", out of reach: bound ~{bound:.1f}x" if bound is not None else ""
            missed.append(f"{condition} ({ratio:.1f}x{why})")
    print(f"target >= {TARGET:g}x met with: {', '.join(met) or 'none'}")
    print(f"target >= {TARGET:g}x missed with: {', '.join(missed) or 'none'}")


if __name__ == "__main__":
    main()

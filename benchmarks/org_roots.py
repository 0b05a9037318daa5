"""Benchmark audit_member_roots(): 1 worker against the default thread pool, in one run.

An organization of a management account and 50 members whose root users differ (no
credentials, a password, an active key, an inactive key, a certificate, a virtual MFA
device), three OUs with service control policies and security contacts, on a moto
server (ThreadedMotoServer on 127.0.0.1) in a process of its own. ``sts:AssumeRoot`` is
answered by rootguard/_moto_seed.py's stand-in. Per member the audit makes one
``AssumeRoot``, one ``GetCallerIdentity``, four or five IAM reads and one
``GetAlternateContact``; the organization's tree and SCPs are read once.

    python benchmarks/org_roots.py [--members 50] [--repeat 1] [--latency-ms 0 20 50]

A non-zero ``--latency-ms`` adds a simulated round trip to every request of the tasks
(a ``before-send`` handler installed through ``configure_session``; the caller's own
reads of the organization, made before the tasks, are not slowed). As in
benchmarks/org_scan.py, 0 ms measures CPU only (both processes on one GIL each), while a
real AWS call answers in tens of ms and the pool overlaps that waiting.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3

import rootguard
from rootguard._member_roots import DEFAULT_MAX_WORKERS

VARIANTS = ("removed", "password", "active-key", "inactive-key", "certificate", "virtual-mfa")


def members(count: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"{VARIANTS[i % len(VARIANTS)]}-{i:02d}", "plain") for i in range(count))


def serve(conn: Connection, count: int) -> None:
    """The moto server process: builds the organization, then waits for ``stop``."""
    from moto.server import ThreadedMotoServer

    from tests.integration.moto_root import RootKey, RootState
    from tests.integration.org_builder import moto_organization

    def state(name: str) -> Any:
        variant = name.rsplit("-", 1)[0]
        fields: dict[str, Any] = {
            "removed": {"password_last_used": "N/A", "mfa": "none"},
            "password": {"mfa": "hardware"},
            "active-key": {"mfa": "none", "access_keys": (RootKey(),)},
            "inactive-key": {"password_last_used": "N/A", "access_keys": (RootKey(active=False),)},
            "certificate": {"password_last_used": "N/A", "signing_certificates": (True,)},
            "virtual-mfa": {"mfa": "virtual"},
        }[variant]
        return lambda account_id: RootState(account_id=account_id, **fields)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    try:
        session = boto3.Session(region_name="us-east-1")
        names = members(count)
        with moto_organization(
            session,
            members=names,
            regions=["us-east-1"],
            root_states={name: state(name) for name, _ in names},
        ) as built:
            _arrange(session, built, [n for n, _ in names])
            conn.send(os.environ["AWS_ENDPOINT_URL"])
            conn.recv()
    finally:
        server.stop()


def _arrange(session: boto3.Session, built: Any, names: list[str]) -> None:
    org = session.client("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    deny = (
        '{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": '
        '{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}, '
        '"Null": {"aws:AssumedRoot": "true"}}}}'
    )
    policy = org.create_policy(
        Name="DenyRoot", Description="d", Type="SERVICE_CONTROL_POLICY", Content=deny
    )["Policy"]["PolicySummary"]["Id"]
    ous = [
        org.create_organizational_unit(ParentId=root, Name=f"ou-{i}")["OrganizationalUnit"]["Id"]
        for i in range(3)
    ]
    org.attach_policy(PolicyId=policy, TargetId=ous[0])
    account = session.client("account")
    for i, name in enumerate(names):
        org.move_account(
            AccountId=built.id(name), SourceParentId=root, DestinationParentId=ous[i % 3]
        )
        account.put_alternate_contact(
            AccountId=built.id(name),
            AlternateContactType="SECURITY",
            EmailAddress="sec@example.com",
            Name="Sec",
            PhoneNumber="+1-555-0100",
            Title="SecOps",
        )


class Latency:
    """A ``configure_session`` hook: every request waits ``seconds`` before it is sent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, session: boto3.Session) -> None:
        session.events.register("before-send", self._wait)

    def _wait(self, **_: Any) -> None:
        time.sleep(self.seconds)


def measure(session: boto3.Session, workers: int, latency_ms: float) -> tuple[float, int]:
    hook = Latency(latency_ms / 1000) if latency_ms else None
    started = time.perf_counter()
    audit = rootguard.audit_member_roots(
        session=session, max_workers=workers, configure_session=hook
    )
    elapsed = time.perf_counter() - started
    if audit.errors:
        raise SystemExit(f"members in error: {[m.reason for m in audit.errors]}")
    return elapsed, len(audit.audited)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 20.0, 50.0])
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
    try:
        os.environ["AWS_ENDPOINT_URL"] = ours.recv()
        session = boto3.Session(region_name="us-east-1")
        measure(session, DEFAULT_MAX_WORKERS, 0)  # warm-up
        print(
            f"audit_member_roots() on ThreadedMotoServer (own process): {args.members} members, "
            f"median of {args.repeat} run(s), {os.cpu_count()} CPUs"
        )
        for latency_ms in args.latency_ms:
            walls: dict[int, list[float]] = {1: [], DEFAULT_MAX_WORKERS: []}
            audited = 0
            for _ in range(args.repeat):
                for workers, measured in walls.items():
                    wall, audited = measure(session, workers, latency_ms)
                    measured.append(wall)
            one = statistics.median(walls[1])
            pool = statistics.median(walls[DEFAULT_MAX_WORKERS])
            print(
                f"  {latency_ms:g} ms per call: 1 worker {one:6.2f} s "
                f"({one / audited * 1000:.0f} ms per member), default pool "
                f"({DEFAULT_MAX_WORKERS} threads) {pool:6.2f} s; ratio {one / pool:.2f}x"
            )
    finally:
        ours.send("stop")
        server.join(timeout=60)


if __name__ == "__main__":
    main()

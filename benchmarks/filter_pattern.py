"""Benchmark: the CloudWatch Logs filter-pattern engine on the CIS root-usage pattern.

Evaluates ``filter_pattern_matches(CIS_ROOT_FILTER_PATTERN, record)`` (cache lookup included)
and a pre-compiled ``FilterPattern.matches`` over generated CloudTrail records (dicts and JSON
text), and compares, in the same run and on the same records, with a hand-written dict check
of the same three clauses — the least any evaluator must do. Also times compiling distinct
patterns (cache misses).

    python benchmarks/filter_pattern.py [--records N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from typing import Any

import rootguard
from rootguard import CIS_ROOT_FILTER_PATTERN, compile_filter_pattern, filter_pattern_matches

IDENTITIES: list[dict[str, Any]] = [
    {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
    {"type": "Root", "invokedBy": "autoscaling.amazonaws.com"},
    {"type": "IAMUser", "userName": "alice"},
    {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/r/s"},
    {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
]


def make_records(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        identity = dict(rng.choice(IDENTITIES))
        identity["accountId"] = "111122223333"
        records.append(
            {
                "eventVersion": "1.08",
                "userIdentity": identity,
                "eventTime": "2024-05-01T12:00:00Z",
                "eventSource": "iam.amazonaws.com",
                "eventName": rng.choice(["ListUsers", "CreateUser", "GetAccountSummary"]),
                "awsRegion": "us-east-1",
                "eventID": f"id-{i}",
                "eventType": rng.choice(["AwsApiCall"] * 9 + ["AwsServiceEvent"]),
                "recipientAccountId": "111122223333",
            }
        )
    return records


def by_hand(record: dict[str, Any]) -> bool:
    identity = record.get("userIdentity")
    return (
        isinstance(identity, dict)
        and identity.get("type") == "Root"
        and "invokedBy" not in identity
        and isinstance(record.get("eventType"), str)
        and record["eventType"] != "AwsServiceEvent"
    )


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    records = make_records(args.records)
    lines = [json.dumps(r) for r in records]
    compiled = compile_filter_pattern(CIS_ROOT_FILTER_PATTERN)

    expected = [by_hand(r) for r in records]
    assert [filter_pattern_matches(CIS_ROOT_FILTER_PATTERN, r) for r in records] == expected
    assert [compiled.matches(line) for line in lines] == expected

    n = len(records)
    base = best_of(args.repeat, lambda: [r for r in records if by_hand(r)])
    public = best_of(
        args.repeat,
        lambda: [r for r in records if filter_pattern_matches(CIS_ROOT_FILTER_PATTERN, r)],
    )
    precompiled = best_of(args.repeat, lambda: [r for r in records if compiled.matches(r)])
    parse_base = best_of(args.repeat, lambda: sum(1 for line in lines if json.loads(line)))
    text = best_of(args.repeat, lambda: [line for line in lines if compiled.matches(line)])

    patterns = [CIS_ROOT_FILTER_PATTERN.replace("Root", f"Root{i}") for i in range(5000)]
    start = time.perf_counter()
    for p in patterns:
        rootguard.compile_filter_pattern(p)
    compile_time = time.perf_counter() - start

    print(f"records: {n:,}  (CIS matches: {sum(expected):,})")
    print(f"hand-written dict check      {n / base:>12,.0f} events/s  (baseline)")
    print(f"filter_pattern_matches(dict) {n / public:>12,.0f} events/s  {public / base:5.1f}x")
    ratio = precompiled / base
    print(f"FilterPattern.matches(dict)  {n / precompiled:>12,.0f} events/s  {ratio:5.1f}x")
    print(f"json.loads(line) alone       {n / parse_base:>12,.0f} events/s  (baseline for text)")
    print(f"FilterPattern.matches(str)   {n / text:>12,.0f} events/s  {text / parse_base:5.1f}x")
    print(f"compile (cache miss)         {len(patterns) / compile_time:>12,.0f} patterns/s")


if __name__ == "__main__":
    main()

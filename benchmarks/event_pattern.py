"""Throughput of the EventBridge event-pattern engine.

Matches a root-alerting rule against generated EventBridge envelopes of CloudTrail records
and prints events/s for: a hand-written dict check of the same conditions (the baseline),
a compiled pattern (``compile_event_pattern(...).matches``), ``event_pattern_matches`` with
the pattern as a mapping (serialised for the cache on every call) and moto 5.2.5's matcher.
Ratios are against the baseline measured in the same run.

    python benchmarks/event_pattern.py [number-of-events]
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from rootguard import compile_event_pattern, event_pattern_matches

ROOT_ALERT = {
    "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
    "detail": {
        "userIdentity": {
            "type": ["Root"],
            "invokedBy": [{"exists": False}, "signin.amazonaws.com"],
        },
        "eventType": [{"anything-but": "AwsServiceEvent"}],
    },
}


def make_events(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    events = []
    for index in range(count):
        identity: dict[str, Any] = {
            "type": rng.choice(["Root", "IAMUser", "AssumedRole", "AWSService"]),
            "accountId": "111122223333",
            "arn": "arn:aws:iam::111122223333:user/alice",
        }
        if rng.random() < 0.2:
            identity["invokedBy"] = rng.choice(["signin.amazonaws.com", "ec2.amazonaws.com"])
        events.append(
            {
                "version": "0",
                "id": f"id-{index}",
                "detail-type": rng.choice(
                    ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"]
                ),
                "source": "aws.iam",
                "account": "111122223333",
                "region": "us-east-1",
                "resources": [],
                "detail": {
                    "eventName": rng.choice(["CreateUser", "ListBuckets", "ConsoleLogin"]),
                    "eventType": rng.choice(["AwsApiCall", "AwsConsoleSignIn", "AwsServiceEvent"]),
                    "userIdentity": identity,
                    "requestParameters": {"userName": "bob", "tags": [1, 2, 3]},
                },
            }
        )
    return events


def baseline(event: dict[str, Any]) -> bool:
    if event.get("detail-type") not in (
        "AWS API Call via CloudTrail",
        "AWS Console Sign In via CloudTrail",
    ):
        return False
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return False
    identity = detail.get("userIdentity")
    if not isinstance(identity, dict) or identity.get("type") != "Root":
        return False
    if identity.get("invokedBy", "signin.amazonaws.com") != "signin.amazonaws.com":
        return False
    event_type = detail.get("eventType")
    return event_type is not None and event_type != "AwsServiceEvent"


def measure(name: str, check: Callable[[dict[str, Any]], bool], events: list[Any]) -> float:
    start = time.perf_counter()
    hits = sum(1 for event in events if check(event))
    elapsed = time.perf_counter() - start
    rate = len(events) / elapsed
    print(f"{name:<34} {rate:>12,.0f} events/s  ({hits} matched)")
    return rate


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    events = make_events(count)
    base = measure("baseline (hand-written dict check)", baseline, events)
    compiled = compile_event_pattern(ROOT_ALERT)
    fast = measure("compile_event_pattern().matches", compiled.matches, events)
    convenience = measure(
        "event_pattern_matches(mapping, e)", lambda e: event_pattern_matches(ROOT_ALERT, e), events
    )
    moto_rate = None
    try:
        from moto.events.models import EventPattern as MotoEventPattern
    except ImportError:  # moto is a dev dependency
        pass
    else:
        moto_pattern = MotoEventPattern.load(json.dumps(ROOT_ALERT))
        sample = events[: max(1, count // 10)]
        moto_rate = measure("moto EventPattern.matches_event", moto_pattern.matches_event, sample)
    print(f"\ncompiled pattern: {base / fast:.2f}x slower than the baseline")
    print(f"event_pattern_matches(mapping): {base / convenience:.2f}x slower than the baseline")
    if moto_rate:
        print(f"moto matcher: {base / moto_rate:.2f}x slower than the baseline")


if __name__ == "__main__":
    main()

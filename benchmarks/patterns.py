"""Hostile input for the pattern engines: time per match, against a baseline.

Prints, for each case, the time of one match (the median of several, each on a value of its
own so that no automaton state is reused from the run before) and its ratio to a plain
``in`` substring search over the same values, measured in the same run:

* filter patterns that made Python's ``re`` backtrack exponentially, on 10,000-character
  values (``%a*a*a*a*a*a*a*a*b%``, ``%.*.*.*.*.*.*.*.*#%``);
* the slowest %regex% shapes the compiler still accepts (at rootguard's limits: RE2
  instructions and variable positions), each timed warm (the median, the automaton built
  by earlier values) and cold (a fresh automaton for every value: what the first event
  of a new pattern costs, and what every event cost before the positions limit, whose
  automata never finished building) — and the worst accepted case of all, cold, alone
  and as two regexes on one value (AWS allows two per pattern);
* ``*`` wildcard values of filter patterns on 10,000-character values;
* 1,000 ``cidr`` blocks against 10,000 addresses, and 1,000 ``wildcard`` operands
  (ARN-like shapes, and a hostile set over a tiny alphabet) against 10,000 values;
* a pattern nested 1,500 deep, an event nested 100,000 deep.

    python benchmarks/patterns.py
"""

from __future__ import annotations

import ipaddress
import random
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

import re2  # type: ignore[import-untyped]

from rootguard import (
    PatternError,
    _filter_pattern,
    _filter_pattern_regex,
    compile_event_pattern,
    compile_filter_pattern,
)

RUNS = 7
LENGTH = 10_000


def per_call(fn: Callable[[Any], object], values: list[Any]) -> float:
    """Median seconds of ``fn(value)``, one call per value."""
    times = []
    for value in values:
        start = time.perf_counter()
        fn(value)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_call(pattern: str, events: list[Any]) -> float:
    """Median seconds of one match on a freshly compiled pattern (every cache cleared:
    rootguard's and google-re2's), one per value: no automaton state reused."""
    times = []
    for event in events:
        _filter_pattern._compile_cached.cache_clear()
        _filter_pattern_regex._regex_search.cache_clear()
        re2.purge()
        compiled = compile_filter_pattern(pattern)
        start = time.perf_counter()
        compiled.matches(event)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def total(fn: Callable[[Any], object], values: list[Any]) -> float:
    start = time.perf_counter()
    for value in values:
        fn(value)
    return time.perf_counter() - start


def texts(rng: random.Random, alphabet: str, length: int, count: int) -> list[str]:
    return ["".join(rng.choice(alphabet) for _ in range(length)) for _ in range(count)]


def largest(make: Callable[[int], str]) -> str:
    """The pattern ``make(k)`` with the largest ``k`` the compiler accepts (the slowest
    shape of its family that rootguard's automaton limit lets through)."""
    k = 1
    while True:
        try:
            compile_filter_pattern(make(k + 1))
        except PatternError:
            return make(k)
        k += 1


def row(name: str, seconds: float, baseline: float, note: str = "") -> None:
    print(f"{name:<58} {seconds * 1e3:10.3f} ms {seconds / baseline:10.1f}x  {note}")


def filter_cases(rng: random.Random) -> None:
    print(f"Filter patterns, one match on a {LENGTH:,}-character value (median of {RUNS})")
    print(f"{'case':<58} {'per match':>13} {'vs `in`':>11}")
    a_runs = ["a" * LENGTH for _ in range(RUNS)]
    x_runs = ["x" * LENGTH for _ in range(RUNS)]
    ab_runs = texts(rng, "ab", LENGTH, RUNS)
    aeb_runs = texts(rng, "aéb", LENGTH, RUNS)
    cases: list[tuple[str, list[str], str]] = [
        ("%a*a*a*a*a*a*a*a*b%", a_runs, "b"),
        ("%.*.*.*.*.*.*.*.*#%", x_runs, "#"),
        (largest(lambda k: f"%a[ab]{{{k}}}c%"), ab_runs, "c"),
        (largest(lambda k: "%a" + "[ab]?" * k + "c%"), ab_runs, "c"),
        (largest(lambda k: f"%a[ab]{{0,{k}}}c%"), ab_runs, "c"),
        (largest(lambda k: f"%a.{{{k}}}c%"), aeb_runs, "c"),
        (largest(lambda k: f"%a[^c]{{{k}}}c%"), aeb_runs, "c"),
        (largest(lambda k: f"%a\\w{{{k}}}c%"), ab_runs, "c"),
        (largest(lambda k: "%b[ab]{0," + str(k) + "}0%"), ab_runs, "0"),
        (largest(lambda k: "%" + "x" * k + "%"), x_runs, "y"),
        ("{ $.a = *ba* }", ab_runs, "ba"),
        ("{ $.a = *abc }", ab_runs, "abc"),
    ]
    worst: list[tuple[float, str]] = []
    for pattern, values, needle in cases:
        compiled = compile_filter_pattern(pattern)
        events: list[Any] = values if compiled.kind == "regex" else [{"a": v} for v in values]
        baseline = per_call(lambda v, n=needle: n in v, values)
        seconds = per_call(compiled.matches, events)
        cold = cold_call(pattern, events)
        name = pattern if len(pattern) <= 58 else pattern[:55] + "..."
        row(name, seconds, baseline, f"cold {cold * 1e3:.3f} ms")
        if "%" in pattern:
            worst.append((cold, pattern))
    body = largest(lambda k: f"%a[ab]{{{k}}}c%")
    # The slowest regex (cold), and the slowest second one the pattern's total allows.
    first = max(worst)[1]
    two = largest(lambda k: f"{{ $.a = {first} || $.a = %b[ab]{{{k}}}c% }}")
    compiled = compile_filter_pattern(two)
    baseline = per_call(lambda v: "c" in v, ab_runs)
    events = [{"a": v} for v in ab_runs]
    cold = cold_call(two, events)
    row(
        "two regexes on one value (AWS allows 2)",
        per_call(compiled.matches, events),
        baseline,
        f"cold {cold * 1e3:.3f} ms",
    )
    slowest, which = max(worst)
    print(f"  worst accepted %regex%, cold: {slowest * 1e3:.3f} ms ({which})")
    print(f"  worst accepted pattern (two regexes on one value), cold: {cold * 1e3:.3f} ms ({two})")
    for refused in (
        re.sub(r"\{(\d+)\}", lambda m: "{" + str(int(m.group(1)) + 1) + "}", body),
        f"{{ $.a = {body} || $.a = {body.replace('%a', '%b', 1)} }}",
        largest(lambda k: "%" + "x" * k + "%").replace("%x", "%xx", 1),
    ):
        try:
            compile_filter_pattern(refused)
        except PatternError as exc:
            print(f"  refused: {refused} -> {exc.message}")
    print()


def event_cases(rng: random.Random) -> None:
    count = 10_000
    print(f"Event patterns, 1,000 operands against {count:,} values (total; per match)")
    print(f"{'case':<58} {'total':>13} {'vs `in`':>11}")
    blocks = [
        f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.0/"
        f"{rng.choice([16, 20, 24, 28])}"
        for _ in range(1000)
    ]
    cidr = compile_event_pattern({"ip": [{"cidr": block} for block in blocks]})
    ips = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(count)]
    baseline = total(lambda v: "." in v, ips)
    seconds = total(lambda v: cidr.matches({"ip": v}), ips)
    hits = sum(cidr.matches({"ip": v}) for v in ips)
    row(
        "1,000 cidr blocks x 10,000 IPv4 addresses",
        seconds,
        baseline,
        f"{seconds / count * 1e6:.1f} us/match, {hits} hits",
    )

    values = [
        f"arn:aws:s3:::bucket-{rng.randrange(2000)}/logs/svc-{rng.randrange(2000):04d}-"
        f"{rng.randrange(99)}/x.{rng.randrange(2000)}.example.com"
        for _ in range(count)
    ]
    shapes = {
        "prefix P*": [f"arn:aws:s3:::bucket-{i}/*" for i in range(1000)],
        "suffix *S": [f"*.{i}.example.com" for i in range(1000)],
        "inner *M*": [f"*svc-{i:04d}-*" for i in range(1000)],
        "two stars P*M*": [f"arn:aws:s3:::bucket-{i}/*/svc-{i:04d}-*" for i in range(1000)],
        "three stars *M*S": [f"*/svc-{i:04d}-*.example.com" for i in range(1000)],
        "mixed (5 shapes)": [
            *(f"arn:aws:s3:::bucket-{i}/*" for i in range(250)),
            *(f"*.{i}.example.com" for i in range(250)),
            *(f"*svc-{i:04d}-*" for i in range(250)),
            *(f"arn:aws:s3:::bucket-{i}/*/svc-{i:04d}-*" for i in range(200)),
            *(f"*/svc-{i:04d}-*.example.com" for i in range(50)),
        ],
    }
    baseline = total(lambda v: "svc-" in v, values)
    for name, globs in shapes.items():
        pattern = compile_event_pattern({"v": [{"wildcard": g} for g in globs]})
        seconds = total(lambda v, p=pattern: p.matches({"v": v}), values)
        hits = sum(pattern.matches({"v": v}) for v in values)
        row(
            f"1,000 wildcards, {name} x 10,000 ARNs",
            seconds,
            baseline,
            f"{seconds / count * 1e6:.1f} us/match, {hits} hits",
        )
    hostile = [
        f"*{rng.choice('abcdef')}{rng.choice('abcdef')}*{rng.choice('abcdef')}x*"
        for _ in range(1000)
    ]
    short = texts(rng, "abcdefx", 30, count)
    pattern = compile_event_pattern({"v": [{"wildcard": g} for g in hostile]})
    baseline = total(lambda v: "x" in v, short)
    seconds = total(lambda v: pattern.matches({"v": v}), short)
    row(
        "1,000 hostile wildcards (*ab*cx*) x 10,000 30-char",
        seconds,
        baseline,
        f"{seconds / count * 1e6:.1f} us/match",
    )
    print()


def nesting_cases() -> None:
    print("Nesting")
    deep: Any = ["x"]
    for _ in range(1500):
        deep = {"a": deep}
    start = time.perf_counter()
    try:
        compile_event_pattern(deep)
    except PatternError as exc:
        elapsed = (time.perf_counter() - start) * 1e3
        print(f"  pattern dict nested 1,500 deep: PatternError in {elapsed:.2f} ms ({exc.message})")
    event: Any = "x"
    for _ in range(100_000):
        event = {"a": event}
    pattern = compile_event_pattern({"a": {"a": ["x"]}})
    start = time.perf_counter()
    result = pattern.matches(event)
    print(f"  event nested 100,000 deep: {result} in {(time.perf_counter() - start) * 1e6:.1f} us")
    text = '{"a":' * 100_000 + '"x"' + "}" * 100_000
    start = time.perf_counter()
    result = pattern.matches(text)
    elapsed = (time.perf_counter() - start) * 1e3
    print(f"  event nested 100,000 deep as JSON text: {result} in {elapsed:.2f} ms")


def main() -> None:
    rng = random.Random(10)
    filter_cases(rng)
    event_cases(rng)
    nesting_cases()


if __name__ == "__main__":
    main()

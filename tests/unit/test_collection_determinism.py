"""The suite collects the same test ids in every process, whenever it runs.

pytest-xdist makes each worker collect the suite on its own and refuses to run ("Different
tests were collected between gw0 and gw1") when the lists differ. Ids derived from the
clock (a gzip header embeds the time it was made), from hash order (sets, dicts of sets),
from randomness or from object addresses make CI fail at random. This test collects the
whole suite twice in fresh interpreters, under different hash seeds and more than a second
apart, and compares the lists.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _collect(hash_seed: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(REPO)  # this copy of the package and tests, not an installed one
    env["PYTHONHASHSEED"] = hash_seed
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [line for line in done.stdout.splitlines() if line.startswith("tests/") and "::" in line]


def test_two_collections_give_the_same_node_ids() -> None:
    first = _collect("0")
    # Sleep after the first run has ended: every collection instant of the second run is
    # then more than a second after every one of the first (a time-stamped id would differ).
    time.sleep(1.2)
    second = _collect("12345")
    assert len(first) > 1000, len(first)
    assert len(set(first)) == len(first), "duplicate node ids"
    difference = sorted(set(first) ^ set(second))
    assert difference == [], difference[:10]
    assert first == second  # same order too: xdist compares the ordered lists

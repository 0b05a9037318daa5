"""Every docstring ``Examples:`` section of the package runs as a doctest — the I/O ones
(``collect``, ``check``, ``scan_organization`` …) against the moto world of
:mod:`tests.integration.docs_world`. ``# doctest: +SKIP`` is kept for what moto cannot
provide, and the list of skipped lines is pinned here."""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import rootguard
from tests.integration.docs_world import docs_world

SKIP_ALLOWED: dict[str, str] = {
    "rootguard._athena": "moto's Athena answers a query only with results queued for it "
    "beforehand; tests/integration/test_athena_flow.py runs these calls against it",
    "rootguard._member_root_report": "its example starts from audit_member_roots(), below",
    "rootguard._member_roots": "sts:AssumeRoot needs the moto stand-in of "
    "rootguard._moto_seed; tests/integration/test_member_roots.py runs these calls",
}
"""The only modules whose examples may carry ``# doctest: +SKIP``, and why."""


def _modules() -> list[str]:
    names = ["rootguard"]
    for info in pkgutil.iter_modules(rootguard.__path__):
        if info.name in ("__main__", "_moto_seed"):  # the entry point; a test-only helper
            continue
        names.append(f"rootguard.{info.name}")
    return names


@pytest.fixture
def world(moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with docs_world(moto_server, tmp_path, monkeypatch):
        yield tmp_path


def test_every_docstring_example_runs(world: Path) -> None:
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    skipped: set[tuple[str, str]] = set()
    examples = 0
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            for example in test.examples:
                if example.options.get(doctest.SKIP):
                    skipped.add((name, example.source.strip()))
            examples += len(test.examples)
            runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()
    assert examples >= 60
    assert {module for module, _ in skipped} <= set(SKIP_ALLOWED), sorted(skipped)
    assert len(skipped) <= 8, sorted(skipped)

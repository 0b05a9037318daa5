"""Every docstring ``Examples:`` section of the package runs as a doctest — the I/O ones
(``collect``, ``check``, ``scan_organization``, the Athena hunt, the member-root audit …)
against the moto world of :mod:`tests.integration.docs_world`. No example may be skipped
(``# doctest: +SKIP``): what moto cannot provide, the world provides."""

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

NOT_DOCUMENTATION = frozenset({"rootguard.__main__", "rootguard._moto_seed"})
"""The entry point (importing it runs the CLI) and a test-only helper that needs moto."""


def _unimportable(name: str) -> None:
    # walk_packages skips a subpackage it cannot import, and every module in it, unless
    # told otherwise: its examples would go unchecked.
    raise ImportError(f"cannot import {name}")


def _modules() -> list[str]:
    """The package and every module and subpackage under it, at any depth."""
    names = ["rootguard"]
    for info in pkgutil.walk_packages(
        rootguard.__path__, prefix="rootguard.", onerror=_unimportable
    ):
        if info.name not in NOT_DOCUMENTATION:
            names.append(info.name)
    return names


def test_discovery_reaches_subpackages() -> None:
    names = _modules()
    assert "rootguard._remediation" in names
    assert any(name.startswith("rootguard._remediation._") for name in names)
    assert len(names) == len(set(names))


@pytest.fixture
def world(moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with docs_world(moto_server, tmp_path, monkeypatch):
        yield tmp_path


def test_every_docstring_example_runs(world: Path) -> None:
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    skipped: list[tuple[str, str]] = []
    examples = 0
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            for example in test.examples:
                if example.options.get(doctest.SKIP):
                    skipped.append((test.name, example.source.strip()))
            examples += len(test.examples)
            runner.run(test, out=report.write)
    assert not skipped, skipped
    assert runner.failures == 0, report.getvalue()
    assert examples >= 60

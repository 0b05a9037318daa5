"""Every code block of README.md and docs/*.md runs, against moto.

- ```` ```python ```` blocks run in order, one namespace per page, as a user would run
  them: default credentials, which point at a moto server seeded by
  :mod:`tests.integration.docs_world`, in a working directory of their own;
- ```` ```pycon ```` blocks are doctests in that same namespace: the output the page shows
  is compared;
- ```` ```toml ```` blocks are rootguard policies (``rootguard.toml``): they must load;
- ```` ```json ```` blocks must parse.

```` ```bash ```` (installing) and ```` ```text ```` (command-line sessions, synopses)
blocks are not Python; the command line's behaviour is tested in ``test_cli*.py``.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rootguard._config import policy_from_mapping, tomllib
from tests.integration.docs_world import docs_world

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>[a-z]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
RUN = ("python", "pycon", "toml", "json")
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def blocks(page: Path) -> list[tuple[str, str, int]]:
    """(language, code, line number) of every fenced block of ``page``."""
    text = page.read_text()
    return [
        (m["lang"], m["body"], text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)
    ]


def _pages_with_code() -> list[Path]:
    return [p for p in PAGES if any(lang in RUN for lang, _, _ in blocks(p))]


def test_the_pages_have_code_and_every_block_has_a_language() -> None:
    assert len(_pages_with_code()) >= 8
    for page in PAGES:
        for lang, _, line in blocks(page):
            assert lang, f"{page.name}:{line}: a code block without a language"
            assert lang in (*RUN, "bash", "text"), f"{page.name}:{line}: {lang}"


def _run_python(code: str, where: str, namespace: dict[str, Any]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, where, "exec"), namespace)
    return out.getvalue()


def _run_pycon(code: str, where: str, namespace: dict[str, Any]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(code, namespace, where, where, 0)
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    report = io.StringIO()
    runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # DocTest ran on a copy: the page's next blocks see it
    assert runner.failures == 0, report.getvalue()
    assert runner.tries > 0, f"{where}: no example"


@pytest.fixture
def world(moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with docs_world(moto_server, tmp_path, monkeypatch):
        yield tmp_path


@pytest.mark.parametrize("page", _pages_with_code(), ids=lambda p: p.name)
def test_every_code_block_of_the_page_runs(page: Path, world: Path) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    ran = 0
    for lang, code, line in blocks(page):
        where = f"{page.relative_to(ROOT)}:{line}"
        assert "doctest: +SKIP" not in code, f"{where}: every block runs"
        if lang == "python":
            _run_python(code, where, namespace)
        elif lang == "pycon":
            _run_pycon(code, where, namespace)
        elif lang == "toml":
            policy_from_mapping(tomllib.loads(code), source=where)
        elif lang == "json":
            json.loads(code)
        else:
            continue
        ran += 1
    assert ran > 0

"""No module of rootguard uses another module's private names.

A private *module* (``rootguard._detect``) may be imported anywhere; a name starting with
``_`` is private to the module that defines it. Caught (AST, every module of the
package): ``from rootguard._x import _y`` (``_y`` not a module), relative imports of the
same, and ``rootguard._x._y`` / ``alias._y`` attribute use where ``alias`` is an imported
rootguard module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "rootguard"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_module(name: str) -> bool:
    return name in MODULES


def _absolute(module: str, node: ast.ImportFrom) -> str | None:
    """The absolute module an ``ImportFrom`` names, or None outside rootguard."""
    if node.level == 0:
        target = node.module or ""
    else:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        base = package.split(".")
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    return target if target == "rootguard" or target.startswith("rootguard.") else None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner is not None else None
    return None


def violations(module: str, source: str) -> list[str]:
    """Every use in ``source`` (the text of ``module``) of another module's private name."""
    tree = ast.parse(source)
    found: list[str] = []
    aliases: dict[str, str] = {}  # local name -> rootguard module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rootguard"):
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node)
            if target is None:
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if _is_module(full):
                    aliases[alias.asname or alias.name] = full
                elif (
                    alias.name.startswith("_")
                    and not alias.name.startswith("__")
                    and target != module
                ):
                    found.append(f"{module}:{node.lineno} from {target} import {alias.name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__"):
            continue
        owner = _dotted(node.value)
        if owner is None:
            continue
        head, _, rest = owner.partition(".")
        if head in aliases:
            owner = ".".join([aliases[head], *([rest] if rest else [])])
        elif head != "rootguard":
            continue
        if _is_module(owner) and owner != module and not _is_module(f"{owner}.{node.attr}"):
            found.append(f"{module}:{node.lineno} {owner}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    found = [v for name, path in MODULES.items() for v in violations(name, path.read_text())]
    assert found == []


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("from rootguard._detect import _correlate\n", True),
        ("from rootguard._detect import correlate\n", False),
        ("from rootguard import _detect\n", False),  # a private module is fine
        ("from rootguard._remediation import _handling\n", False),
        ("from ._detect import _correlate\n", True),
        ("import rootguard._detect\nrootguard._detect._correlate([], [])\n", True),
        ("import rootguard._detect as d\nd._correlate([], [])\n", True),
        ("from rootguard import _detect\n_detect._correlate([], [])\n", True),
        ("from rootguard import _detect\n_detect.correlate([], [])\n", False),
        ("import rootguard._remediation._handling\n", False),
        ("from rootguard._fastscan import _local\n", False),  # the module's own name
    ],
)
def test_the_rule_catches_what_it_should(source: str, bad: bool) -> None:
    assert bool(violations("rootguard._fastscan", source)) is bad

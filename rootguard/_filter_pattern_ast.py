"""The AST of CloudWatch Logs filter patterns (pure): selectors, values, conditions and
their canonical rendering, and the number syntax the parser and the evaluator share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "NUMBER_RE",
    "NUMERIC_OPS",
    "And",
    "Compare",
    "Expr",
    "Field",
    "Num",
    "Or",
    "Path",
    "Regex",
    "Slot",
    "Str",
    "Test",
    "first_field",
    "join",
    "quote",
    "render",
]

NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
NUMERIC_OPS = frozenset({"<", "<=", ">", ">="})

# --------------------------------------------------------------------------------------
# AST
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    """A JSON selector: ``$.a.b[0].c`` -> ("a", "b", 0, "c")."""

    steps: tuple[str | int, ...]

    def render(self) -> str:
        return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in self.steps)


@dataclass(frozen=True)
class Field:
    """A named field of a space-delimited pattern."""

    name: str

    def render(self) -> str:
        return self.name


@dataclass(frozen=True)
class Str:
    """A string value, quoted or not; leading/trailing ``*`` are wildcards."""

    raw: str

    def render(self) -> str:
        return quote(self.raw)


@dataclass(frozen=True)
class Num:
    """A numeric literal, kept as written."""

    text: str

    def render(self) -> str:
        return self.text


@dataclass(frozen=True)
class Regex:
    """A ``%regex%`` value."""

    source: str

    def render(self) -> str:
        return f"%{self.source}%"


@dataclass(frozen=True)
class Compare:
    selector: Path | Field
    op: str
    value: Str | Num | Regex


@dataclass(frozen=True)
class Test:
    selector: Path
    test: str


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


Expr: TypeAlias = "Compare | Test | And | Or"


@dataclass(frozen=True)
class Slot:
    """One field of a space-delimited pattern: a name, an optional condition, or ``...``."""

    name: str | None  # None for the ellipsis, "" for an unnamed column
    condition: Expr | None = None


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def join(kind: type[And] | type[Or], items: list[Expr]) -> Expr:
    """Build an And/Or, flattening nested nodes of the same kind (associativity)."""
    if len(items) == 1:
        return items[0]
    flat: list[Expr] = []
    for item in items:
        if isinstance(item, kind):
            flat.extend(item.items)
        else:
            flat.append(item)
    return kind(tuple(flat))


def render(expr: Expr, *, in_and: bool = False) -> str:
    if isinstance(expr, Or):
        text = " || ".join(render(item) for item in expr.items)
        return f"({text})" if in_and else text
    if isinstance(expr, And):
        return " && ".join(render(item, in_and=True) for item in expr.items)
    if isinstance(expr, Test):
        return f"{expr.selector.render()} {expr.test}"
    return f"{expr.selector.render()} {expr.op} {expr.value.render()}"


def first_field(expr: Expr) -> str:
    while isinstance(expr, (And, Or)):
        expr = expr.items[0]
    assert isinstance(expr.selector, Field)
    return expr.selector.name

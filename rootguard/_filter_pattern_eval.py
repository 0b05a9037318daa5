"""The evaluation of CloudWatch Logs filter patterns (pure): a parsed pattern compiled
into closures over a JSON object or a log line, and the JSON conversions of an event.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeAlias

from rootguard._filter_pattern_ast import (
    NUMBER_RE,
    NUMERIC_OPS,
    And,
    Expr,
    Field,
    Or,
    Path,
    Regex,
    Slot,
    Str,
    Test,
)
from rootguard._filter_pattern_regex import check_regex

__all__ = [
    "Pred",
    "compact_json",
    "compile_delimited",
    "compile_expr",
    "compile_terms",
    "load_object",
]

_MAX_INT_DIGITS = 4000  # below CPython's int/str conversion limit

_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Missing:
    """Sentinel: the selector does not resolve to anything in the event."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()

# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------

Pred: TypeAlias = Callable[[Any], bool]


def _int_text(value: int) -> str | None:
    try:
        return str(value)
    except ValueError:  # beyond CPython's int/str conversion limit
        return None


def _text(value: Any) -> str | None:
    """The text of a value node (string or number); None for null, booleans, arrays,
    objects and missing values ("the SELECTOR must point to a value node")."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return _int_text(value)
    if kind is float:
        return repr(value)
    if value is None or value is _MISSING or isinstance(value, (bool, Mapping, list, tuple)):
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return _int_text(int(value))
    if isinstance(value, float):
        return repr(float(value))
    return str(value)


def _parse_number(text: str) -> int | float | None:
    if len(text) > _MAX_INT_DIGITS or not NUMBER_RE.fullmatch(text):
        return None
    if _INT_RE.fullmatch(text):
        return int(text)
    return float(text)


def _number(value: Any) -> int | float | None:
    """A value node's number: JSON numbers as they are, strings holding a number parsed."""
    kind = type(value)
    if kind is int or kind is float:
        return value  # type: ignore[no-any-return]
    if kind is str:
        return _parse_number(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return _parse_number(str(value))
    return None


def _literal_number(text: str) -> int | float:
    value = _parse_number(text)
    return float(text) if value is None else value


def _string_matcher(raw: str) -> Callable[[str], bool]:
    """Exact match, with ``*`` as a wildcard only at the start and/or the end: AWS
    documents ``*Event`` and ``Event*`` as wildcards but ``Ev*ent`` as the literal text."""
    body = raw.lstrip("*")
    if raw and not body:
        return lambda text: True
    core = body.rstrip("*")
    leading = len(body) != len(raw)
    trailing = len(core) != len(body)
    if leading and trailing:
        return lambda text: core in text
    if leading:
        return lambda text: text.endswith(core)
    if trailing:
        return lambda text: text.startswith(core)
    return lambda text: text == core


def _getter(selector: Path | Field) -> Callable[[Any], Any]:
    if isinstance(selector, Field):
        name = selector.name
        return lambda bindings: bindings.get(name, _MISSING)
    steps = selector.steps
    if len(steps) == 1:
        key = steps[0]
        return lambda root: root.get(key, _MISSING)
    if len(steps) == 2 and isinstance(steps[0], str) and isinstance(steps[1], str):
        k1, k2 = steps

        def get2(root: Any) -> Any:
            inner = root.get(k1, _MISSING)
            if type(inner) is dict or isinstance(inner, Mapping):
                return inner.get(k2, _MISSING)
            return _MISSING

        return get2

    def get(root: Any) -> Any:
        current = root
        for step in steps:
            if isinstance(step, str):
                if type(current) is dict or isinstance(current, Mapping):
                    current = current.get(step, _MISSING)
                    if current is _MISSING:
                        return _MISSING
                else:
                    return _MISSING
            elif isinstance(current, (list, tuple)) and step < len(current):
                current = current[step]
            else:
                return _MISSING
        return current

    return get


def _all_of(preds: tuple[Pred, ...]) -> Pred:
    if len(preds) == 2:
        a, b = preds
        return lambda ev: a(ev) and b(ev)
    if len(preds) == 3:
        a, b, c = preds
        return lambda ev: a(ev) and b(ev) and c(ev)

    def all_of(ev: Any) -> bool:
        for pred in preds:  # noqa: SIM110 -- a plain loop beats all() over a generator
            if not pred(ev):
                return False
        return True

    return all_of


def _any_of(preds: tuple[Pred, ...]) -> Pred:
    if len(preds) == 2:
        a, b = preds
        return lambda ev: a(ev) or b(ev)
    if len(preds) == 3:
        a, b, c = preds
        return lambda ev: a(ev) or b(ev) or c(ev)

    def any_of(ev: Any) -> bool:
        for pred in preds:  # noqa: SIM110 -- a plain loop beats any() over a generator
            if pred(ev):
                return True
        return False

    return any_of


def compile_expr(expr: Expr) -> Pred:
    if isinstance(expr, And):
        return _all_of(tuple(compile_expr(item) for item in expr.items))
    if isinstance(expr, Or):
        return _any_of(tuple(compile_expr(item) for item in expr.items))

    get = _getter(expr.selector)
    if isinstance(expr, Test):
        if expr.test == "IS NULL":
            return lambda ev: get(ev) is None
        if expr.test == "NOT EXISTS":
            return lambda ev: get(ev) is _MISSING
        if expr.test == "IS TRUE":
            return lambda ev: get(ev) is True
        return lambda ev: get(ev) is False

    op, value = expr.op, expr.value
    negate = op == "!="
    if isinstance(value, Str) and "*" not in value.raw:
        # The common case (every CIS clause): exact string (in)equality.
        expected = value.raw

        def compare_exact(ev: Any) -> bool:
            found = get(ev)
            if type(found) is not str:
                found = _text(found)
                if found is None:
                    return False
            return (found == expected) is not negate

        return compare_exact

    if isinstance(value, (Str, Regex)):
        if isinstance(value, Str):
            match = _string_matcher(value.raw)
        else:
            match = check_regex(value.source, value.source, 0)

        def compare_text(ev: Any) -> bool:
            found = get(ev)
            if type(found) is not str:
                found = _text(found)
                if found is None:
                    return False
            return match(found) is not negate

        return compare_text

    literal_text = value.text
    literal = _literal_number(literal_text)
    compare = _OPS[op]
    if op in NUMERIC_OPS:

        def compare_number(ev: Any) -> bool:
            number = _number(get(ev))
            return number is not None and compare(number, literal)

        return compare_number

    def equals_number(ev: Any) -> bool:
        found = get(ev)
        number = _number(found)
        if number is not None:
            return compare(number, literal)
        text = _text(found)
        return text is not None and (text == literal_text) is not negate

    return equals_number


def _split_fields(text: str) -> list[str]:
    """Split a log line into space-delimited fields; ``"..."`` and ``[...]`` are one field."""
    fields: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in '"[':
            close = text.find('"' if c == '"' else "]", i + 1)
            end = n if close < 0 else close
            fields.append(text[i + 1 : end])
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace():
            i += 1
        fields.append(text[start:i])
    return fields


def compile_delimited(slots: tuple[Slot, ...]) -> Pred:
    split = next((i for i, s in enumerate(slots) if s.name is None), None)
    head = tuple(s.name for s in slots[:split] if s.name is not None)
    tail = () if split is None else tuple(s.name for s in slots[split + 1 :] if s.name is not None)
    conditions = tuple(compile_expr(s.condition) for s in slots if s.condition is not None)
    width = len(head) + len(tail)

    def match(text: str) -> bool:
        fields = _split_fields(text)
        if split is None:
            if len(fields) != width:
                return False
            bindings = dict(zip(head, fields, strict=True))
        else:
            if len(fields) < width:
                return False
            bindings = dict(zip(head, fields, strict=False))
            if tail:
                bindings.update(zip(tail, fields[len(fields) - len(tail) :], strict=True))
        return all(condition(bindings) for condition in conditions)

    return match


def compile_terms(groups: tuple[tuple[tuple[str, bool], ...], ...]) -> Pred:
    if len(groups) == 1 and len(groups[0]) == 1:
        term, excluded = groups[0][0]
        if excluded:
            return lambda text: term not in text
        return lambda text: term in text

    def match(text: str) -> bool:
        for group in groups:
            for term, excluded in group:
                if (term in text) is excluded:
                    break
            else:
                return True
        return False

    return match


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return str(value)


def compact_json(event: Mapping[str, Any]) -> str | None:
    try:
        return json.dumps(
            event if type(event) is dict else dict(event),
            separators=(",", ":"),
            ensure_ascii=False,
            default=_json_default,
        )
    except (TypeError, ValueError, RecursionError):
        return None


def load_object(text: str) -> Mapping[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        loaded = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return loaded if isinstance(loaded, dict) else None

"""EventBridge event-pattern engine (pure).

Semantics follow the Amazon EventBridge User Guide ("Amazon EventBridge event patterns",
"Content filtering in Amazon EventBridge event patterns", "Arrays in Amazon EventBridge event
patterns", "Matching null values and empty strings"). Where the guide is silent, the engine
does what AWS's reference matcher (event-ruler) does; ``docs/pattern-engines.md`` lists each
such decision.

A pattern is compiled once into a small tree of nodes; matching walks the pattern, never the
whole event, so a pattern that names three fields costs three look-ups per event.

Matching model (one rule covers fields, arrays and ``exists``):

* every field of a pattern object must match (AND); ``$or`` needs one of its sub-patterns;
* a leaf array lists alternatives (OR); the field's *leaf values* are its scalar value, or
  every scalar inside its (possibly nested) array value; an object is not a leaf value;
* ``{"exists": false}`` matches a field that has no leaf value (missing, an object, an empty
  array); every other matcher needs a leaf value;
* an object pattern applied to an array of objects must match inside *one* element
  (array-consistent), except that a pattern made only of absence tests must hold for every
  element (the field is absent from the whole array).

Internally each node answers ``_NO``, ``_ABSENT`` (matched, but only through absence tests) or
``_MATCH`` (matched through at least one present value); that distinction is what the array
rule needs.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from rootguard._errors import PatternError

__all__ = ["EventPattern", "compile_event_pattern", "event_pattern_matches"]

_NO: Final = 0
_ABSENT: Final = 1
_MATCH: Final = 2


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()
_EMPTY: Final[Mapping[str, Any]] = {}

_MAX_DEPTH: Final = 100
"""Deepest object nesting a pattern may have (AWS caps a pattern at a few KB of JSON)."""

_NUMERIC_LIMIT: Final = 5.0e9
"""AWS: numeric matching "is limited to values between -5.0e9 and +5.0e9 inclusive"."""

_OPERATORS: Final = (
    "anything-but",
    "cidr",
    "equals-ignore-case",
    "exists",
    "numeric",
    "prefix",
    "suffix",
    "wildcard",
)

# Words event-ruler reserves: they cannot be field names inside a ``$or`` branch.
_RESERVED_IN_OR: Final = frozenset(
    {
        *_OPERATORS,
        "exactly",
        "=",
        "<",
        "<=",
        ">",
        ">=",
        "regex",
        "not-wildcard",
        "not-equals-ignore-case",
        "date-after",
        "date-on-or-after",
        "date-before",
        "date-on-or-before",
        "in-date-range",
        "ip-address-in-range",
        "ip-address-not-in-range",
    }
)

_IPV4_TEXT: Final = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+", re.ASCII)
_IPV6_TEXT: Final = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*", re.ASCII)
_MASK_TEXT: Final = re.compile(r"[0-9]{1,3}", re.ASCII)
_SIMPLE_KEY: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")

_Test = Callable[[Any], bool]


# --------------------------------------------------------------------------- values


def _as_number(value: Any) -> int | float | None:
    """``value`` if it is a JSON number (booleans are not), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _comparable(value: float) -> int | None:
    """The fixed-point key AWS compares numbers by, or None outside the supported range.

    Six digits after the decimal point, values within +-5.0e9: the same arithmetic as
    event-ruler's comparable numbers, so 3, 3.0 and 3.0000001 compare equal, as in AWS.
    """
    try:
        number = float(value)
    except OverflowError:
        return None
    if not -_NUMERIC_LIMIT <= number <= _NUMERIC_LIMIT:  # also rejects NaN
        return None
    return int(1e6 * (_NUMERIC_LIMIT + number))


def _ip_value(text: str) -> tuple[int, int] | None:
    """(IP version, address as int) of an IPv4/IPv6 literal, or None if ``text`` is not one."""
    if not (_IPV4_TEXT.fullmatch(text) or _IPV6_TEXT.fullmatch(text)):
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address.version, int(address))


def _iter_elements(values: list[Any] | tuple[Any, ...]) -> Iterator[Any]:
    """The non-array items of a (possibly nested) array, depth first, without recursion."""
    stack: list[Iterator[Any]] = [iter(values)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            yield item
        else:
            stack.pop()


# --------------------------------------------------------------------------- nodes


class _Leaf:
    """A field whose pattern is an array of values and operators (OR)."""

    __slots__ = (
        "absent_ok",
        "big_numbers",
        "exists",
        "false",
        "ips",
        "null",
        "number_keys",
        "strings",
        "tests",
        "true",
    )

    def __init__(
        self,
        *,
        strings: frozenset[str],
        ips: frozenset[tuple[int, int]],
        number_keys: frozenset[int],
        big_numbers: tuple[int | float, ...],
        true: bool,
        false: bool,
        null: bool,
        exists: bool,
        absent_ok: bool,
        tests: tuple[_Test, ...],
    ) -> None:
        self.strings = strings
        self.ips = ips
        self.number_keys = number_keys
        self.big_numbers = big_numbers
        self.true = true
        self.false = false
        self.null = null
        self.exists = exists
        self.absent_ok = absent_ok
        self.tests = tests

    def accepts(self, value: Any) -> bool:
        """Whether one leaf value satisfies any alternative of this field."""
        if self.exists:
            return True
        cls = value.__class__
        if cls is str or isinstance(value, str):
            if value in self.strings:
                return True
            if self.ips:
                ip = _ip_value(value)
                if ip is not None and ip in self.ips:
                    return True
        elif value is None:
            if self.null:
                return True
        elif value is True:
            if self.true:
                return True
        elif value is False:
            if self.false:
                return True
        elif isinstance(value, (int, float)) and (self.number_keys or self.big_numbers):
            key = _comparable(value)
            if key is not None and key in self.number_keys:
                return True
            if any(value == big for big in self.big_numbers):
                return True
        return any(test(value) for test in self.tests)

    def match(self, value: Any) -> int:
        cls = value.__class__
        if cls is str or cls is int or cls is float or value is None or cls is bool:
            return _MATCH if self.accepts(value) else _NO  # the common case: a JSON scalar
        if value is _MISSING or cls is dict or isinstance(value, Mapping):
            return _ABSENT if self.absent_ok else _NO
        if cls is list or cls is tuple or isinstance(value, (list, tuple)):
            present = False
            for item in _iter_elements(value):
                if isinstance(item, Mapping):
                    continue
                present = True
                if self.accepts(item):
                    return _MATCH
            if not present:
                return _ABSENT if self.absent_ok else _NO
            return _NO
        return _MATCH if self.accepts(value) else _NO


class _Object:
    """An object in the pattern: every field must match (AND), and one branch of each ``$or``."""

    __slots__ = ("alternatives", "fields")

    def __init__(
        self,
        fields: tuple[tuple[str, _Leaf | _Object], ...],
        alternatives: tuple[tuple[_Object, ...], ...],
    ) -> None:
        self.fields = fields
        self.alternatives = alternatives

    def match(self, value: Any) -> int:
        if value.__class__ is dict:
            return self.match_one(value)
        if isinstance(value, (list, tuple)):
            # Array-consistent: one element must carry every present value; a pattern that
            # only tests absence must hold for every element.
            every_element_absent = True
            for element in _iter_elements(value):
                result = self.match_one(element)
                if result == _MATCH:
                    return _MATCH
                if result == _NO:
                    every_element_absent = False
            return _ABSENT if every_element_absent else _NO
        return self.match_one(value)

    def match_one(self, value: Any) -> int:
        mapping: Mapping[str, Any] = (
            value if value.__class__ is dict or isinstance(value, Mapping) else _EMPTY
        )
        outcome = _ABSENT
        for key, node in self.fields:
            result = node.match(mapping.get(key, _MISSING))
            if result == _NO:
                return _NO
            if result == _MATCH:
                outcome = _MATCH
        for branches in self.alternatives:
            best = _NO
            for branch in branches:
                result = branch.match_one(value)
                if result > best:
                    best = result
                    if best == _MATCH:
                        break
            if best == _NO:
                return _NO
            if best == _MATCH:
                outcome = _MATCH
        return outcome


# --------------------------------------------------------------------------- compiling


class _Invalid(Exception):
    """Internal: a structural problem at a JSON path (turned into PatternError)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def _child(path: str, key: str) -> str:
    if _SIMPLE_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _compile_object(obj: dict[str, Any], path: str, depth: int, in_or: bool) -> _Object:
    if depth > _MAX_DEPTH:
        raise _Invalid(path, f"the pattern is nested more than {_MAX_DEPTH} objects deep")
    if not obj:
        raise _Invalid(path, "empty objects are not allowed")
    fields: list[tuple[str, _Leaf | _Object]] = []
    alternatives: list[tuple[_Object, ...]] = []
    for key, value in obj.items():
        key_path = _child(path, key)
        if key == "$or":
            alternatives.append(_compile_or(value, key_path, depth))
            continue
        if in_or and key in _RESERVED_IN_OR:
            raise _Invalid(key_path, f"{key!r} is a reserved word, not a field name, inside $or")
        if isinstance(value, dict):
            fields.append((key, _compile_object(value, key_path, depth + 1, in_or)))
        elif isinstance(value, list):
            fields.append((key, _compile_leaf(value, key_path)))
        else:
            raise _Invalid(key_path, f"must be an object or an array, not {_type_name(value)}")
    return _Object(tuple(fields), tuple(alternatives))


def _compile_or(value: Any, path: str, depth: int) -> tuple[_Object, ...]:
    if not isinstance(value, list):
        raise _Invalid(path, f"$or must be an array of objects, not {_type_name(value)}")
    if len(value) < 2:
        raise _Invalid(path, "$or needs at least 2 objects")
    branches: list[_Object] = []
    for index, branch in enumerate(value):
        branch_path = f"{path}[{index}]"
        if not isinstance(branch, dict):
            raise _Invalid(branch_path, f"$or items must be objects, not {_type_name(branch)}")
        branches.append(_compile_object(branch, branch_path, depth + 1, in_or=True))
    return tuple(branches)


def _compile_leaf(values: list[Any], path: str) -> _Leaf:
    if not values:
        raise _Invalid(path, "empty arrays are not allowed")
    strings: set[str] = set()
    ips: set[tuple[int, int]] = set()
    number_keys: set[int] = set()
    big_numbers: list[int | float] = []
    tests: list[_Test] = []
    flags = {"true": False, "false": False, "null": False, "exists": False, "absent_ok": False}
    for index, item in enumerate(values):
        item_path = f"{path}[{index}]"
        if isinstance(item, str):
            strings.add(item)
            ip = _ip_value(item)
            if ip is not None:
                ips.add(ip)
        elif item is True:
            flags["true"] = True
        elif item is False:
            flags["false"] = True
        elif item is None:
            flags["null"] = True
        elif isinstance(item, (int, float)):
            key = _comparable(item)
            if key is not None:
                number_keys.add(key)
            else:
                big_numbers.append(item)
        elif isinstance(item, dict):
            if len(item) == 1 and "exists" in item:
                operand = item["exists"]
                if not isinstance(operand, bool):
                    raise _Invalid(
                        _child(item_path, "exists"),
                        f"exists takes true or false, not {_type_name(operand)}",
                    )
                flags["exists" if operand else "absent_ok"] = True
            else:
                tests.append(_compile_operator(item, item_path))
        else:
            raise _Invalid(
                item_path,
                "a match value must be a string, number, true, false, null or an operator "
                f"object, not {_type_name(item)}",
            )
    return _Leaf(
        strings=frozenset(strings),
        ips=frozenset(ips),
        number_keys=frozenset(number_keys),
        big_numbers=tuple(big_numbers),
        tests=tuple(tests),
        **flags,
    )


def _compile_operator(obj: dict[str, Any], path: str) -> _Test:
    if len(obj) != 1:
        found = ", ".join(sorted(obj)) or "none"
        raise _Invalid(path, f"an operator object needs exactly one key (found: {found})")
    ((name, operand),) = obj.items()
    op_path = _child(path, name)
    if name in ("prefix", "suffix"):
        return _affix_test(name, operand, op_path)
    if name == "equals-ignore-case":
        text = _string_operand(operand, op_path, name)
        return functools.partial(_equals_ignore_case, text.lower())
    if name == "wildcard":
        return functools.partial(_wildcard_match, _wildcard_segments(operand, op_path))
    if name == "numeric":
        return _numeric_test(operand, op_path)
    if name == "cidr":
        return _cidr_test(operand, op_path)
    if name == "anything-but":
        return _anything_but_test(operand, op_path)
    known = ", ".join(_OPERATORS)
    raise _Invalid(path, f"unknown operator {name!r} (known: {known})")


def _string_operand(operand: Any, path: str, name: str) -> str:
    if not isinstance(operand, str):
        raise _Invalid(path, f"{name} takes a string, not {_type_name(operand)}")
    return operand


def _ignore_case_operand(operand: Any, path: str, name: str) -> str | None:
    """The string of ``{"equals-ignore-case": "..."}``, None if ``operand`` is a plain string."""
    if isinstance(operand, str):
        return None
    if (
        isinstance(operand, dict)
        and len(operand) == 1
        and isinstance(operand.get("equals-ignore-case"), str)
    ):
        text: str = operand["equals-ignore-case"]
        return text
    raise _Invalid(
        path,
        f'{name} takes a string or {{"equals-ignore-case": string}}, not {_type_name(operand)}',
    )


def _affix_test(name: str, operand: Any, path: str) -> _Test:
    folded = _ignore_case_operand(operand, path, name)
    if name == "prefix":
        if folded is None:
            return functools.partial(_has_prefix, operand)
        return functools.partial(_has_prefix_ignore_case, folded.lower())
    if folded is None:
        return functools.partial(_has_suffix, operand)
    return functools.partial(_has_suffix_ignore_case, folded.lower())


def _has_prefix(prefix: str, value: Any) -> bool:
    return isinstance(value, str) and value.startswith(prefix)


def _has_suffix(suffix: str, value: Any) -> bool:
    return isinstance(value, str) and value.endswith(suffix)


def _has_prefix_ignore_case(prefix: str, value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(prefix)


def _has_suffix_ignore_case(suffix: str, value: Any) -> bool:
    return isinstance(value, str) and value.lower().endswith(suffix)


def _equals_ignore_case(folded: str, value: Any) -> bool:
    return isinstance(value, str) and value.lower() == folded


def _wildcard_segments(operand: Any, path: str) -> tuple[str, ...]:
    """The literal pieces between the wildcards of a ``wildcard`` operand.

    ``*`` matches any run of characters; ``\\*`` is a literal ``*`` and ``\\\\`` a literal
    backslash. Like AWS, consecutive wildcards and any other escape are rejected.
    """
    text = _string_operand(operand, path, "wildcard")
    segments: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "*":
            if index + 1 < len(text) and text[index + 1] == "*":
                raise _Invalid(path, f"consecutive wildcard characters at position {index}")
            segments.append("".join(current))
            current = []
        elif char == "\\":
            if index + 1 < len(text) and text[index + 1] in "*\\":
                current.append(text[index + 1])
                index += 1
            else:
                raise _Invalid(
                    path, f"invalid escape at position {index} (only \\* and \\\\ are allowed)"
                )
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    return tuple(segments)


def _wildcard_match(segments: tuple[str, ...], value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if len(segments) == 1:
        return value == segments[0]
    first, *middle, last = segments
    if len(value) < len(first) + len(last):
        return False
    if not (value.startswith(first) and value.endswith(last)):
        return False
    position, end = len(first), len(value) - len(last)
    for piece in middle:  # leftmost placement is optimal when the only metachar is '*'
        found = value.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _numeric_operand(operand: Any, path: str, operator: str) -> int:
    number = _as_number(operand)
    if number is None:
        raise _Invalid(
            path, f"the value after {operator!r} must be a number, not {_type_name(operand)}"
        )
    key = _comparable(number)
    if key is None:
        raise _Invalid(path, f"numeric values must be between -5.0e9 and 5.0e9, not {operand!r}")
    return key


def _numeric_test(operand: Any, path: str) -> _Test:
    """``numeric``: ``[op, n]`` or ``[">" | ">=", n, "<" | "<=", m]``, as AWS accepts them."""
    if not isinstance(operand, list):
        raise _Invalid(path, f"numeric takes an array, not {_type_name(operand)}")
    if len(operand) not in (2, 4):
        raise _Invalid(
            path,
            'numeric takes one comparison [op, number] or a range [">"|">=", n, "<"|"<=", m]',
        )
    first = operand[0]
    if first not in ("=", "<", "<=", ">", ">="):
        raise _Invalid(f"{path}[0]", f"unknown numeric operator {first!r} (=, <, <=, >, >=)")
    key = _numeric_operand(operand[1], f"{path}[1]", str(first))
    if len(operand) == 2:
        return functools.partial(_numeric_compare, str(first), key)
    if first not in (">", ">="):
        raise _Invalid(f"{path}[0]", 'a numeric range starts with ">" or ">="')
    second = operand[2]
    if second not in ("<", "<="):
        raise _Invalid(f"{path}[2]", 'a numeric range ends with "<" or "<="')
    top = _numeric_operand(operand[3], f"{path}[3]", str(second))
    if key >= top:
        raise _Invalid(path, "the bottom of a numeric range must be less than its top")
    return functools.partial(_numeric_range, key, first == ">", top, second == "<")


def _event_key(value: Any) -> int | None:
    number = _as_number(value)
    return None if number is None else _comparable(number)


def _numeric_compare(operator: str, bound: int, value: Any) -> bool:
    key = _event_key(value)
    if key is None:
        return False
    if operator == "=":
        return key == bound
    if operator == "<":
        return key < bound
    if operator == "<=":
        return key <= bound
    if operator == ">":
        return key > bound
    return key >= bound


def _numeric_range(bottom: int, open_bottom: bool, top: int, open_top: bool, value: Any) -> bool:
    key = _event_key(value)
    if key is None:
        return False
    above = key > bottom if open_bottom else key >= bottom
    below = key < top if open_top else key <= top
    return above and below


def _cidr_test(operand: Any, path: str) -> _Test:
    text = _string_operand(operand, path, "cidr")
    address, slash, mask = text.partition("/")
    if not slash or not _MASK_TEXT.fullmatch(mask):
        raise _Invalid(path, f"{text!r} is not a CIDR block (address/bits)")
    ip = _ip_value(address)
    if ip is None:
        raise _Invalid(path, f"{address!r} is not an IPv4 or IPv6 address")
    version, base = ip
    width = 32 if version == 4 else 128
    bits = int(mask)
    if bits > width:
        raise _Invalid(path, f"an IPv{version} CIDR has at most {width} mask bits, not {bits}")
    # As AWS: the range runs from the address as written to the top of its block.
    top = base | ((1 << (width - bits)) - 1)
    return functools.partial(_in_cidr, version, base, top)


def _in_cidr(version: int, bottom: int, top: int, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    ip = _ip_value(value)
    return ip is not None and ip[0] == version and bottom <= ip[1] <= top


def _anything_but_test(operand: Any, path: str) -> _Test:
    if isinstance(operand, dict):
        if len(operand) != 1:
            raise _Invalid(
                path,
                "anything-but takes exactly one of prefix, suffix, equals-ignore-case or wildcard",
            )
        ((name, inner),) = operand.items()
        inner_path = _child(path, name)
        if name not in {"prefix", "suffix", "equals-ignore-case", "wildcard"}:
            raise _Invalid(
                inner_path,
                f"unknown anything-but operator {name!r} (prefix, suffix, equals-ignore-case, "
                "wildcard)",
            )
        texts = _anything_but_strings(inner, inner_path, name)
        if name in {"prefix", "suffix"}:
            if any(text == "" for text in texts):
                raise _Invalid(inner_path, f"an empty {name} is not allowed in anything-but")
            if name == "prefix":
                return functools.partial(_not_prefixed, texts)
            return functools.partial(_not_suffixed, texts)
        if name == "equals-ignore-case":
            return functools.partial(_not_in_folded, frozenset(t.lower() for t in texts))
        globs = tuple(_wildcard_segments(text, inner_path) for text in texts)
        return functools.partial(_not_wildcard, globs)
    items = operand if isinstance(operand, list) else [operand]
    if not items:
        raise _Invalid(path, "empty arrays are not allowed")
    if all(isinstance(item, str) for item in items):
        return functools.partial(_not_in_strings, frozenset(items))
    if all(_as_number(item) is not None for item in items):
        keys = frozenset(
            _numeric_operand(item, f"{path}[{i}]" if operand is items else path, "anything-but")
            for i, item in enumerate(items)
        )
        return functools.partial(_not_in_numbers, keys)
    raise _Invalid(
        path,
        "anything-but takes a string, a number, an array of only strings or only numbers, "
        "or one of prefix, suffix, equals-ignore-case, wildcard",
    )


def _anything_but_strings(inner: Any, path: str, name: str) -> tuple[str, ...]:
    items = inner if isinstance(inner, list) else [inner]
    if not items:
        raise _Invalid(path, "empty arrays are not allowed")
    for index, item in enumerate(items):
        if not isinstance(item, str):
            where = f"{path}[{index}]" if inner is items else path
            raise _Invalid(where, f"{name} in anything-but takes strings, not {_type_name(item)}")
    return tuple(items)


def _not_in_strings(excluded: frozenset[str], value: Any) -> bool:
    return not (isinstance(value, str) and value in excluded)


def _not_in_numbers(excluded: frozenset[int], value: Any) -> bool:
    key = _event_key(value)
    return key is None or key not in excluded


def _not_prefixed(prefixes: tuple[str, ...], value: Any) -> bool:
    return not (isinstance(value, str) and value.startswith(prefixes))


def _not_suffixed(suffixes: tuple[str, ...], value: Any) -> bool:
    return not (isinstance(value, str) and value.endswith(suffixes))


def _not_in_folded(excluded: frozenset[str], value: Any) -> bool:
    return not (isinstance(value, str) and value.lower() in excluded)


def _not_wildcard(globs: tuple[tuple[str, ...], ...], value: Any) -> bool:
    return not any(_wildcard_match(glob, value) for glob in globs)


# --------------------------------------------------------------------------- public face


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _jsonable(value: Any) -> Any:
    """``json.dumps`` fallback: any Mapping is an object, any list-like is an array."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _pattern_text(pattern: Any) -> str:
    """The JSON text of a pattern given as text or as a mapping."""
    if isinstance(pattern, str):
        return pattern
    if isinstance(pattern, (bytes, bytearray)):
        try:
            return bytes(pattern).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PatternError(
                f"$: the pattern is not UTF-8 text ({exc.reason})", pattern=repr(pattern)[:200]
            ) from None
    if isinstance(pattern, Mapping):
        try:
            return json.dumps(pattern, allow_nan=False, ensure_ascii=False, default=_jsonable)
        except (TypeError, ValueError, RecursionError) as exc:
            raise PatternError(
                f"$: the pattern cannot be written as JSON ({exc})", pattern=repr(pattern)[:200]
            ) from None
    raise PatternError(
        f"$: an event pattern must be a JSON object (a mapping or JSON text), "
        f"not {type(pattern).__name__}",
        pattern=repr(pattern)[:200],
    )


class EventPattern:
    """A compiled EventBridge event pattern.

    Build one with [`compile_event_pattern`][rootguard.compile_event_pattern] (cached) or
    ``EventPattern(pattern)``; then call ``matches(event)`` as often as you like.

    Args:
        pattern: the pattern as JSON text or as a mapping (a mapping is read as the JSON text
            ``json.dumps`` would make of it, i.e. what you would send to ``PutRule``).

    Raises:
        PatternError: the pattern is not valid JSON or not a valid EventBridge pattern; the
            message names the JSON path of the problem (``$.detail.state[0].prefix: ...``),
            and ``position`` is the character offset for JSON syntax errors.

    Examples:
        >>> from rootguard import EventPattern
        >>> root = EventPattern('{"detail": {"userIdentity": {"type": ["Root"]}}}')
        >>> root.matches({"detail": {"userIdentity": {"type": "Root"}}})
        True
        >>> root.matches({"detail": {"userIdentity": {"type": "IAMUser"}}})
        False
    """

    __slots__ = ("_root", "_text")

    def __init__(self, pattern: Mapping[str, Any] | str) -> None:
        text = _pattern_text(pattern)
        self._text = text
        self._root = _compile_text_to_tree(text)

    @property
    def text(self) -> str:
        """The JSON text this pattern was compiled from."""
        return self._text

    def matches(self, event: Mapping[str, Any] | str) -> bool:
        """Whether the pattern matches ``event`` (a mapping, or its JSON text).

        An event that is not a JSON object (or JSON text that does not parse) matches
        nothing.
        """
        if isinstance(event, (str, bytes, bytearray)):
            try:
                event = json.loads(event)
            except (ValueError, RecursionError):
                return False
        if not isinstance(event, Mapping):
            return False
        return self._root.match_one(event) != _NO

    def __repr__(self) -> str:
        return f"EventPattern({self._text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventPattern):
            return NotImplemented
        return self._text == other._text

    def __hash__(self) -> int:
        return hash(self._text)


def _compile_text_to_tree(text: str) -> _Object:
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PatternError(f"$: invalid JSON: {exc.msg}", pattern=text, position=exc.pos) from None
    except ValueError as exc:
        raise PatternError(f"$: invalid JSON: {exc}", pattern=text) from None
    except RecursionError:
        raise PatternError("$: the pattern is nested too deeply", pattern=text) from None
    if not isinstance(document, dict):
        raise PatternError(
            f"$: an event pattern must be a JSON object, not {_type_name(document)}", pattern=text
        )
    try:
        return _compile_object(document, "$", 0, in_or=False)
    except _Invalid as exc:
        raise PatternError(str(exc), pattern=text) from None
    except RecursionError:
        raise PatternError("$: the pattern is nested too deeply", pattern=text) from None


@functools.lru_cache(maxsize=4096)
def _compile_cached(text: str) -> EventPattern:
    return EventPattern(text)


def compile_event_pattern(pattern: Mapping[str, Any] | str) -> EventPattern:
    """Compile an EventBridge event pattern once, for many ``matches`` calls.

    Compiled patterns are cached by their JSON text (the 4096 most recent), so compiling
    the same rule again is a dictionary look-up.

    Args:
        pattern: the pattern as JSON text or as a mapping.

    Returns:
        The compiled, immutable [`EventPattern`][rootguard.EventPattern].

    Raises:
        PatternError: the pattern is invalid; the message names the JSON path of the problem.

    Examples:
        >>> from rootguard import compile_event_pattern
        >>> p = compile_event_pattern({"detail": {"eventName": [{"prefix": "Create"}]}})
        >>> p.matches({"detail": {"eventName": "CreateUser"}})
        True
        >>> p is compile_event_pattern('{"detail": {"eventName": [{"prefix": "Create"}]}}')
        True
    """
    return _compile_cached(_pattern_text(pattern))


def event_pattern_matches(pattern: Mapping[str, Any] | str, event: Mapping[str, Any]) -> bool:
    """Whether an EventBridge event pattern matches an event, with EventBridge's semantics.

    Supports exact values (strings, numbers compared by value, ``true``/``false``/``null``),
    arrays as OR, event arrays (any element), nested objects, ``prefix``, ``suffix`` (both
    also with ``equals-ignore-case``), ``anything-but`` (values, ``prefix``, ``suffix``,
    ``equals-ignore-case``, ``wildcard``), ``numeric``, ``exists``, ``equals-ignore-case``,
    ``wildcard``, ``cidr`` (IPv4 and IPv6) and ``$or``. See ``docs/pattern-engines.md``.

    Args:
        pattern: the pattern as JSON text or as a mapping (compiled once and cached).
        event: the event (a mapping, typically an EventBridge envelope).

    Returns:
        True when the event matches.

    Raises:
        PatternError: the pattern is invalid; the message names the JSON path of the problem.

    Examples:
        >>> from rootguard import event_pattern_matches
        >>> event_pattern_matches(
        ...     {"source": ["aws.signin"], "detail": {"userIdentity": {"type": ["Root"]}}},
        ...     {"source": "aws.signin", "detail": {"userIdentity": {"type": "Root"}}},
        ... )
        True
    """
    return compile_event_pattern(pattern).matches(event)

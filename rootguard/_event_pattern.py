"""EventBridge event-pattern engine (pure).

Semantics follow the Amazon EventBridge User Guide ("Amazon EventBridge event patterns",
"Content filtering in Amazon EventBridge event patterns", "Arrays in Amazon EventBridge event
patterns", "Matching null values and empty strings"). Where the guide is silent, the engine
does what AWS's reference matcher (event-ruler) does; ``docs/pattern-engines.md`` lists each
such decision.

A pattern is compiled once into a small tree of nodes; matching walks the pattern, never the
whole event, so a pattern that names three fields costs three look-ups per event (and one
check for dotted keys per object visited: EventBridge joins field names with dots, so
``{"a.b": 1}`` is the field ``b`` of ``a``, in events as in patterns).

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

import bisect
import functools
import ipaddress
import json
import re
import reprlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import re2  # type: ignore[import-untyped]

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
"""Deepest JSON nesting (objects and arrays) a pattern may have. AWS documents no such
limit; this one is rootguard's, far beyond what a pattern of AWS's maximum size holds in
practice, and it keeps compiling and matching clear of Python's recursion limit."""

_MAX_PATH: Final = 100
"""Most field names on one path of a pattern, dotted keys split (``"a.b"`` is two)."""

_MAX_PATTERN_CHARS: Final = 65_536
"""Longest pattern text rootguard compiles. AWS's quota on an event pattern is 2,048
characters by default, adjustable up to 4,096; rootguard's bound is 16 times that, so it
never refuses a pattern AWS could hold, and only bounds memory and compile time."""

_MAX_IP_TEXT: Final = 45
"""Longest IP address literal (IPv6 with an embedded IPv4 address); longer text is never
parsed as an address."""

_WILDCARD_AUTOMATON_FROM: Final = 8
"""From this many ``wildcard`` operands on one field, they are matched by one automaton."""

_WILDCARD_GROUP: Final = 32
"""Most ``*A*B``-shaped wildcard operands (a leading ``*`` and more) in one automaton."""

_WILDCARD_RE2_OPTIONS: Final = re2.Options()
_WILDCARD_RE2_OPTIONS.dot_nl = True  # '*' matches any run of characters, newlines too
_WILDCARD_RE2_OPTIONS.never_capture = True
_WILDCARD_RE2_OPTIONS.log_errors = False
_WILDCARD_RE2_OPTIONS.max_mem = 64 << 20

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
    if len(text) > _MAX_IP_TEXT or not (_IPV4_TEXT.fullmatch(text) or _IPV6_TEXT.fullmatch(text)):
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


# --------------------------------------------------------------------------- events


class _Multi(tuple):  # type: ignore[type-arg]
    """Several values an event gives the same field path through differently dotted keys
    (``{"a": {"b": 1}, "a.b": 2}``): not an array, but every one of them is a value of the
    path."""

    __slots__ = ()


def _has_dotted_key(mapping: Mapping[Any, Any]) -> bool:
    try:
        return "." in "".join(mapping)
    except TypeError:  # a key that is not a str
        return any(isinstance(key, str) and "." in key for key in mapping)


def _expand(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """``mapping`` with its dotted keys split at the first dot, as EventBridge joins field
    names with dots: ``{"a.b": 1}`` reads as ``{"a": {"b": 1}}``. Only this level is split;
    the rest of a key (``"b.c"``) is split when the matcher reaches it. Without a dotted key
    the mapping itself is returned (the common case costs one ``join``)."""
    if not _has_dotted_key(mapping):
        return mapping
    parts: dict[Any, list[Any]] = {}
    for key, value in mapping.items():
        if isinstance(key, str) and "." in key:
            head, rest = key.split(".", 1)
            parts.setdefault(head, []).append({rest: value})
        else:
            parts.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else _Multi(values) for key, values in parts.items()}


class _MergedMapping:
    """The union of several objects reached through one field path (see `_Multi`)."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Mapping[Any, Any]]) -> None:
        self.parts = parts

    def get(self, key: Any, default: Any) -> Any:
        found: list[Any] = []
        for part in self.parts:
            value = part.get(key, _MISSING)
            if value is _MISSING:
                continue
            if value.__class__ is _Multi:
                found.extend(value)
            else:
                found.append(value)
        if not found:
            return default
        return found[0] if len(found) == 1 else _Multi(found)


def _merged(parts: list[Mapping[Any, Any]]) -> Any:
    if not parts:
        return _EMPTY
    if len(parts) == 1:
        return _expand(parts[0])
    return _MergedMapping([_expand(part) for part in parts])


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
        if isinstance(value, (list, tuple)):  # an array, or a _Multi: its leaf values
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
    """An object in the pattern: every field must match (AND), and one branch of each ``$or``.

    Field names are single path segments: the compiler splits dotted pattern keys and
    merges what they name, so ``{"a.b": [1], "a": {"c": [2]}}`` is one object ``a`` with the
    fields ``b`` and ``c``. A name may hold both a leaf and an object (``{"a": [1],
    "a.b": [2]}``); each is a field of its own.
    """

    __slots__ = ("alternatives", "fields")

    def __init__(
        self,
        fields: tuple[tuple[str, _Leaf | _Object], ...],
        alternatives: tuple[tuple[_Object, ...], ...],
    ) -> None:
        self.fields = fields
        self.alternatives = alternatives

    def match(self, value: Any) -> int:
        cls = value.__class__
        if cls is dict:
            return self.match_one(_expand(value))
        if cls is _Multi:
            return self.match_multi(value)
        if isinstance(value, (list, tuple)):
            return self.match_array(value, _EMPTY_PARTS)
        if isinstance(value, Mapping):
            return self.match_one(_expand(value))
        return self.match_one(_EMPTY)

    def match_array(self, values: Any, shared: list[Mapping[Any, Any]]) -> int:
        """Array-consistent: one element must carry every present value (together with the
        objects in ``shared``, which lie outside the array); a pattern that only tests
        absence must hold for every element."""
        every_element_absent = True
        for element in _iter_elements(values):
            parts = [*shared, element] if isinstance(element, Mapping) else shared
            result = self.match_one(_merged(parts))
            if result == _MATCH:
                return _MATCH
            if result == _NO:
                every_element_absent = False
        return _ABSENT if every_element_absent else _NO

    def match_multi(self, values: _Multi) -> int:
        """Several values at one path: their objects merge; an array among them is matched
        element by element, each element merged with those objects. Values from two
        different arrays are not combined (see docs/pattern-engines.md)."""
        objects = [value for value in values if isinstance(value, Mapping)]
        arrays = [value for value in values if isinstance(value, (list, tuple))]
        if not any(True for array in arrays for _ in _iter_elements(array)):
            return self.match_one(_merged(objects))
        every_absent = True
        for array in arrays:
            result = self.match_array(array, objects)
            if result == _MATCH:
                return _MATCH
            if result == _NO:
                every_absent = False
        return _ABSENT if every_absent else _NO

    def match_one(self, mapping: Any) -> int:
        """Match one object whose dotted keys are already split (`_expand`)."""
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
                result = branch.match_one(mapping)
                if result > best:
                    best = result
                    if best == _MATCH:
                        break
            if best == _NO:
                return _NO
            if best == _MATCH:
                outcome = _MATCH
        return outcome


_EMPTY_PARTS: Final[list[Mapping[Any, Any]]] = []


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


class _Builder:
    """An object of the pattern while it is compiled: dotted keys are split into path
    segments here, and every key that names the same path lands in the same builder."""

    __slots__ = ("alternatives", "depth", "leaves", "objects")

    def __init__(self, depth: int) -> None:
        self.depth = depth  # path segments from the root of the pattern
        self.leaves: dict[str, _Leaf] = {}
        self.objects: dict[str, _Builder] = {}
        self.alternatives: list[tuple[_Object, ...]] = []

    def descend(self, segment: str, path: str) -> _Builder:
        node = self.objects.get(segment)
        if node is None:
            if self.depth + 1 > _MAX_PATH:
                raise _Invalid(
                    path, f"the field path is longer than {_MAX_PATH} names (dots included)"
                )
            node = self.objects[segment] = _Builder(self.depth + 1)
        return node

    def build(self) -> _Object:
        fields: list[tuple[str, _Leaf | _Object]] = list(self.leaves.items())
        fields.extend((name, node.build()) for name, node in self.objects.items())
        return _Object(tuple(fields), tuple(self.alternatives))


def _compile_object(obj: dict[str, Any], path: str, in_or: bool, depth: int = 0) -> _Object:
    builder = _Builder(depth)
    _add_object(builder, obj, path, in_or)
    return builder.build()


def _add_object(builder: _Builder, obj: dict[str, Any], path: str, in_or: bool) -> None:
    """Add the fields of one pattern object to ``builder``. EventBridge joins field names
    with dots, so ``"a.b"`` names the same field as ``"a": {"b": ...}``; a field named twice
    keeps the last pattern ("If multiple patterns are specified for the same JSON field,
    EventBridge only uses the last one")."""
    if not obj:
        raise _Invalid(path, "empty objects are not allowed")
    for key, value in obj.items():
        key_path = _child(path, key)
        if key == "$or":
            builder.alternatives.append(_compile_or(value, key_path, builder.depth))
            continue
        if in_or and key in _RESERVED_IN_OR:
            raise _Invalid(key_path, f"{key!r} is a reserved word, not a field name, inside $or")
        *parents, last = key.split(".")
        node = builder
        for segment in parents:
            node = node.descend(segment, key_path)
        if isinstance(value, dict):
            _add_object(node.descend(last, key_path), value, key_path, in_or)
        elif isinstance(value, list):
            if node.depth + 1 > _MAX_PATH:
                raise _Invalid(
                    key_path, f"the field path is longer than {_MAX_PATH} names (dots included)"
                )
            node.leaves.pop(last, None)  # the last pattern for a field wins, in JSON order
            node.leaves[last] = _compile_leaf(value, key_path)
        else:
            raise _Invalid(key_path, f"must be an object or an array, not {_type_name(value)}")


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
        branches.append(_compile_object(branch, branch_path, in_or=True, depth=depth))
    return tuple(branches)


class _LeafParts:
    """The alternatives of one leaf, grouped by kind so that a thousand operands of one
    kind cost one test per event value (one tuple ``startswith``, one set look-up, one
    bisection over CIDR ranges, one automaton for wildcards)."""

    __slots__ = (
        "cidrs",
        "folded",
        "prefixes",
        "prefixes_folded",
        "suffixes",
        "suffixes_folded",
        "tests",
        "wildcards",
    )

    def __init__(self) -> None:
        self.prefixes: list[str] = []
        self.prefixes_folded: list[str] = []
        self.suffixes: list[str] = []
        self.suffixes_folded: list[str] = []
        self.folded: set[str] = set()
        self.wildcards: list[tuple[str, ...]] = []
        self.cidrs: list[tuple[int, int, int]] = []
        self.tests: list[_Test] = []

    def compiled_tests(self) -> tuple[_Test, ...]:
        tests: list[_Test] = []
        if self.folded:
            tests.append(functools.partial(_equals_ignore_case, frozenset(self.folded)))
        if self.prefixes:
            tests.append(functools.partial(_has_prefix, tuple(self.prefixes)))
        if self.suffixes:
            tests.append(functools.partial(_has_suffix, tuple(self.suffixes)))
        if self.prefixes_folded:
            tests.append(functools.partial(_has_prefix_ignore_case, tuple(self.prefixes_folded)))
        if self.suffixes_folded:
            tests.append(functools.partial(_has_suffix_ignore_case, tuple(self.suffixes_folded)))
        if self.cidrs:
            tests.append(_CidrSet(self.cidrs).contains)
        if self.wildcards:
            tests.append(_wildcard_matcher(self.wildcards))
        tests.extend(self.tests)
        return tuple(tests)


def _compile_leaf(values: list[Any], path: str) -> _Leaf:
    if not values:
        raise _Invalid(path, "empty arrays are not allowed")
    strings: set[str] = set()
    ips: set[tuple[int, int]] = set()
    number_keys: set[int] = set()
    big_numbers: list[int | float] = []
    parts = _LeafParts()
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
                _add_operator(parts, item, item_path)
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
        tests=parts.compiled_tests(),
        **flags,
    )


def _add_operator(parts: _LeafParts, obj: dict[str, Any], path: str) -> None:
    if len(obj) != 1:
        found = ", ".join(sorted(obj)) or "none"
        raise _Invalid(path, f"an operator object needs exactly one key (found: {found})")
    ((name, operand),) = obj.items()
    op_path = _child(path, name)
    if name in ("prefix", "suffix"):
        folded = _ignore_case_operand(operand, op_path, name)
        if name == "prefix":
            target = parts.prefixes if folded is None else parts.prefixes_folded
        else:
            target = parts.suffixes if folded is None else parts.suffixes_folded
        target.append(operand if folded is None else folded.lower())
    elif name == "equals-ignore-case":
        parts.folded.add(_string_operand(operand, op_path, name).lower())
    elif name == "wildcard":
        parts.wildcards.append(_wildcard_segments(operand, op_path))
    elif name == "numeric":
        parts.tests.append(_numeric_test(operand, op_path))
    elif name == "cidr":
        parts.cidrs.append(_cidr_range(operand, op_path))
    elif name == "anything-but":
        parts.tests.append(_anything_but_test(operand, op_path))
    else:
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


def _has_prefix(prefixes: tuple[str, ...], value: Any) -> bool:
    return isinstance(value, str) and value.startswith(prefixes)


def _has_suffix(suffixes: tuple[str, ...], value: Any) -> bool:
    return isinstance(value, str) and value.endswith(suffixes)


def _has_prefix_ignore_case(prefixes: tuple[str, ...], value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(prefixes)


def _has_suffix_ignore_case(suffixes: tuple[str, ...], value: Any) -> bool:
    return isinstance(value, str) and value.lower().endswith(suffixes)


def _equals_ignore_case(folded: frozenset[str], value: Any) -> bool:
    return isinstance(value, str) and value.lower() in folded


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


def _wildcard_any(globs: tuple[tuple[str, ...], ...], value: Any) -> bool:
    return any(_wildcard_match(glob, value) for glob in globs)


def _wildcard_matcher(globs: list[tuple[str, ...]]) -> _Test:
    """One test for all the ``wildcard`` operands of a field: a few are tried one by one
    (each in linear time); from `_WILDCARD_AUTOMATON_FROM` on they are grouped by shape
    and each group is compiled into one RE2 automaton, so that the cost per value does not
    grow with their number."""
    unique = tuple(dict.fromkeys(globs))
    if len(unique) == 1:
        return functools.partial(_wildcard_match, unique[0])
    if len(unique) >= _WILDCARD_AUTOMATON_FROM:
        try:
            return _WildcardSet(unique).matches
        except (re2.error, UnicodeError):  # text RE2 cannot take (a lone surrogate)
            pass
    return functools.partial(_wildcard_any, unique)


class _WildcardSet:
    """Many wildcard operands. Each shape gets its own automaton, written so that RE2 can
    share the work between operands (a common ``.*`` factored out): ``abc`` (no wildcard)
    is a set look-up; ``P*`` / ``*S`` / ``P*S`` / ``*M*`` are one automaton each; any other
    shape goes into one last automaton. RE2 runs in time linear in the value."""

    __slots__ = ("automata", "exact", "fallback")

    def __init__(self, globs: tuple[tuple[str, ...], ...]) -> None:
        exact: set[str] = set()
        prefixes: list[str] = []  # P*
        suffixes: list[str] = []  # *S
        anchored: list[str] = []  # P*S
        inner: list[str] = []  # *M*
        general: list[str] = []
        leading_general: list[str] = []  # *...*... (after the leading '*')
        for glob in globs:
            escaped = [re2.escape(piece) for piece in glob]
            if len(glob) == 1:
                exact.add(glob[0])
            elif len(glob) == 2 and glob[0] and not glob[1]:
                prefixes.append(escaped[0])
            elif len(glob) == 2 and not glob[0]:
                suffixes.append(escaped[1])
            elif len(glob) == 2:
                anchored.append(escaped[0] + ".*" + escaped[1])
            elif len(glob) == 3 and not glob[0] and not glob[2]:
                inner.append(escaped[1])
            elif not glob[0]:
                leading_general.append(".*".join(escaped[1:]))
            else:
                general.append(".*".join(escaped))
        sources = []
        if prefixes:
            sources.append("(?:" + "|".join(prefixes) + ").*")
        if suffixes:
            sources.append(".*(?:" + "|".join(suffixes) + ")")
        if anchored:
            sources.append("|".join(anchored))
        if inner:
            sources.append(".*(?:" + "|".join(inner) + ").*")
        # A leading '*' lets every position of the value start every operand: RE2's
        # automaton for hundreds of them has more states than it can cache, so they are
        # split into groups small enough to be cached (measured: benchmarks/patterns.py).
        for start in range(0, len(leading_general), _WILDCARD_GROUP):
            group = leading_general[start : start + _WILDCARD_GROUP]
            sources.append(".*(?:" + "|".join(group) + ")")
        if general:
            sources.append("|".join(general))
        self.exact = frozenset(exact)
        self.automata = tuple(re2.compile(source, _WILDCARD_RE2_OPTIONS) for source in sources)
        self.fallback = globs

    def matches(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if value in self.exact:
            return True
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: RE2 takes valid UTF-8 only
            return _wildcard_any(self.fallback, value)
        return any(automaton.fullmatch(data) is not None for automaton in self.automata)


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


def _cidr_range(operand: Any, path: str) -> tuple[int, int, int]:
    """(IP version, first address, last address) of a ``cidr`` operand."""
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
    return version, base, base | ((1 << (width - bits)) - 1)


class _CidrSet:
    """The ``cidr`` operands of one field as sorted, disjoint address ranges per IP
    version: one bisection per value, whatever the number of blocks."""

    __slots__ = ("ranges",)

    def __init__(self, blocks: list[tuple[int, int, int]]) -> None:
        merged: dict[int, list[list[int]]] = {}
        for version, bottom, top in sorted(blocks):
            ranges = merged.setdefault(version, [])
            if ranges and bottom <= ranges[-1][1] + 1:
                ranges[-1][1] = max(ranges[-1][1], top)
            else:
                ranges.append([bottom, top])
        self.ranges = {
            version: ([r[0] for r in ranges], [r[1] for r in ranges])
            for version, ranges in merged.items()
        }

    def contains(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        ip = _ip_value(value)
        if ip is None:
            return False
        found = self.ranges.get(ip[0])
        if found is None:
            return False
        starts, ends = found
        index = bisect.bisect_right(starts, ip[1]) - 1
        return index >= 0 and ip[1] <= ends[index]


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
        globs = [_wildcard_segments(text, inner_path) for text in texts]
        return functools.partial(_not_wildcard, _wildcard_matcher(globs))
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


def _not_wildcard(matches: _Test, value: Any) -> bool:
    return not matches(value)


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


_SHORT_REPR: Final = reprlib.Repr()
_SHORT_REPR.maxlevel = 3
_SHORT_REPR.maxdict = _SHORT_REPR.maxlist = 6
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 80


def _short_repr(value: Any) -> str:
    """A bounded description of ``value`` for an error message (never recursion-deep)."""
    try:
        text = _SHORT_REPR.repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return text[:200]


def _pattern_text(pattern: Any) -> str:
    """The JSON text of a pattern given as text or as a mapping."""
    if isinstance(pattern, str):
        return pattern
    if isinstance(pattern, (bytes, bytearray)):
        try:
            return bytes(pattern).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PatternError(
                f"$: the pattern is not UTF-8 text ({exc.reason})", pattern=_short_repr(pattern)
            ) from None
    if isinstance(pattern, Mapping):
        try:
            return json.dumps(pattern, allow_nan=False, ensure_ascii=False, default=_jsonable)
        except RecursionError:
            raise PatternError(
                f"$: the pattern is nested more than {_MAX_DEPTH} levels deep",
                pattern=_short_repr(pattern),
            ) from None
        except (TypeError, ValueError) as exc:
            raise PatternError(
                f"$: the pattern cannot be written as JSON ({exc})", pattern=_short_repr(pattern)
            ) from None
    raise PatternError(
        f"$: an event pattern must be a JSON object (a mapping or JSON text), "
        f"not {type(pattern).__name__}",
        pattern=_short_repr(pattern),
    )


_JSON_STRUCTURE: Final = re.compile(r'[{}\[\]"\\]')


def _check_size_and_nesting(text: str) -> None:
    """AWS-sized input only: at most `_MAX_PATTERN_CHARS` characters and `_MAX_DEPTH`
    levels of JSON nesting, checked on the text (in linear time) before it is parsed."""
    if len(text) > _MAX_PATTERN_CHARS:
        raise PatternError(
            f"$: the pattern has {len(text)} characters; rootguard compiles at most "
            f"{_MAX_PATTERN_CHARS} (AWS's quota is 2,048, adjustable up to 4,096)",
            pattern=text,
            position=_MAX_PATTERN_CHARS,
        )
    depth = 0
    in_string = False
    escaped = -1  # the offset of a character escaped by a backslash
    for found in _JSON_STRUCTURE.finditer(text):
        at = found.start()
        if at == escaped:
            continue
        char = text[at]
        if in_string:
            if char == "\\":
                escaped = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
            if depth > _MAX_DEPTH:
                raise PatternError(
                    f"$: the pattern is nested more than {_MAX_DEPTH} levels deep",
                    pattern=text,
                    position=at,
                )
        elif char in "}]":
            depth -= 1


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
        return self._root.match_one(_expand(event)) != _NO

    def __repr__(self) -> str:
        return f"EventPattern({self._text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventPattern):
            return NotImplemented
        return self._text == other._text

    def __hash__(self) -> int:
        return hash(self._text)


def _compile_text_to_tree(text: str) -> _Object:
    _check_size_and_nesting(text)
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
        return _compile_object(document, "$", in_or=False)
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

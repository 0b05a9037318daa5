"""CloudWatch Logs filter-pattern engine (pure).

Implements the filter-pattern language that CloudWatch Logs metric filters, subscription
filters and FilterLogEvents use, as AWS documents it ("Filter pattern syntax for metric
filters, subscription filters, filter log events, and Live Tail"):

* the empty pattern, which matches every event;
* text patterns: terms (``ERROR``), double-quoted phrases (``"Internal Server Error"``),
  ``?term`` alternatives and ``-term`` exclusions, matched case-sensitively as substrings;
* a standalone ``%regex%``;
* JSON patterns ``{ SELECTOR OP VALUE && ... || ... }`` with ``=``, ``!=``, ``<``, ``<=``,
  ``>``, ``>=``, ``IS NULL``, ``NOT EXISTS``, ``IS TRUE``, ``IS FALSE``, parentheses,
  ``*`` wildcards and ``%regex%`` values;
* space-delimited patterns ``[ip, user, ..., status_code = 4*, bytes > 1000]``.

A pattern is parsed once into a small AST and compiled into closures
(`compile_filter_pattern`, cached); evaluation never re-parses. The rules where
AWS's documentation is silent are listed in ``docs/pattern-engines.md``.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, NoReturn, TypeAlias

import re2  # type: ignore[import-untyped]

from rootguard._errors import PatternError

__all__ = [
    "CIS_ROOT_FILTER_PATTERN",
    "FilterPattern",
    "compile_filter_pattern",
    "filter_pattern_matches",
]

CIS_ROOT_FILTER_PATTERN = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
    '&& $.eventType != "AwsServiceEvent" }'
)
"""The exact CIS AWS Foundations metric-filter pattern for root usage (CloudWatch.1)."""

FilterPatternKind: TypeAlias = Literal["match_all", "terms", "regex", "json", "space_delimited"]

# --------------------------------------------------------------------------------------
# Lexical rules (from the AWS documentation unless noted)
# --------------------------------------------------------------------------------------

_DIGITS = frozenset(string.digits)
_LETTERS = frozenset(string.ascii_letters)
# "Property selectors are alphanumeric strings that also support '-' and '_' characters."
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
# Unquoted values: alphanumerics per AWS, plus the characters AWS's own examples use
# unquoted (``123.123.*``, ``+1000``, ``10e-3``) and ``:``/``/`` (our leniency).
_UNQUOTED_CHARS = frozenset(string.ascii_letters + string.digits + "_-.*+:/")
# Characters that may follow an unquoted value or a %regex%.
_VALUE_END = frozenset(")}],&|")
# "Filter patterns with regex can only include": alphanumerics, the symbols _#=@/;,-
# (':' in some revisions of the page) and the operators ^$?[]{}|\*+. -- plus the space,
# which AWS's own CDK example (``bind: address already in use``) uses.
_REGEX_CHARS = frozenset(string.ascii_letters + string.digits + "_#=@/;,-: ^$?[]{}|\\*+.")
_MAX_REGEXES = 2  # "a limit of 2 regex for each filter pattern" (JSON / space-delimited)
_MAX_PATTERN_CHARS = 1024  # PutMetricFilter / PutSubscriptionFilter: filterPattern, 0-1024
# rootguard's own bounds on one %regex% (AWS documents none beyond the pattern length). RE2
# runs in time linear in the text; its constant is small while its DFA has few states, and
# grows with the automaton once the DFA needs a new state at every character (which drives
# RE2 to its NFA). The states are sets of positions the match may be at: a class, a '.' or
# a repeat multiplies them, a plain character does not. So a regex may have at most
# _MAX_REGEX_POSITIONS variable positions (a class, '.', \d ... counts one, a repeated item
# as many as the copies it may take: [ab]{0,12} counts 12) and _MAX_REGEX_PROGRAM RE2
# instructions; the slowest accepted regex then stays well under a millisecond on a
# 10,000-character value (benchmarks/patterns.py, figures in benchmarks/README.md).
_MAX_REGEX_PROGRAM = 64
_MAX_REGEX_POSITIONS = 12  # AWS's own IPv4 example \d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3} has 12
_MAX_PATTERN_POSITIONS = 16  # the regexes of one pattern together (AWS allows two)
_MAX_REPEAT = _MAX_REGEX_PROGRAM  # a larger count cannot fit in the program anyway
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.never_capture = True
_MAX_DEPTH = 64  # parenthesis nesting; deeper patterns are rejected, never a RecursionError
_MAX_INDEX_DIGITS = 9
_MAX_INT_DIGITS = 4000  # below CPython's int/str conversion limit

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)

_TESTS = frozenset({"IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"})
_NUMERIC_OPS = frozenset({"<", "<=", ">", ">="})
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
# AST
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Path:
    """A JSON selector: ``$.a.b[0].c`` -> ("a", "b", 0, "c")."""

    steps: tuple[str | int, ...]

    def render(self) -> str:
        return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in self.steps)


@dataclass(frozen=True)
class _Field:
    """A named field of a space-delimited pattern."""

    name: str

    def render(self) -> str:
        return self.name


@dataclass(frozen=True)
class _Str:
    """A string value, quoted or not; leading/trailing ``*`` are wildcards."""

    raw: str

    def render(self) -> str:
        return _quote(self.raw)


@dataclass(frozen=True)
class _Num:
    """A numeric literal, kept as written."""

    text: str

    def render(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Regex:
    """A ``%regex%`` value."""

    source: str

    def render(self) -> str:
        return f"%{self.source}%"


@dataclass(frozen=True)
class _Compare:
    selector: _Path | _Field
    op: str
    value: _Str | _Num | _Regex


@dataclass(frozen=True)
class _Test:
    selector: _Path
    test: str


@dataclass(frozen=True)
class _And:
    items: tuple[_Expr, ...]


@dataclass(frozen=True)
class _Or:
    items: tuple[_Expr, ...]


_Expr: TypeAlias = "_Compare | _Test | _And | _Or"


@dataclass(frozen=True)
class _Slot:
    """One field of a space-delimited pattern: a name, an optional condition, or ``...``."""

    name: str | None  # None for the ellipsis, "" for an unnamed column
    condition: _Expr | None = None


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _join(kind: type[_And] | type[_Or], items: list[_Expr]) -> _Expr:
    """Build an And/Or, flattening nested nodes of the same kind (associativity)."""
    if len(items) == 1:
        return items[0]
    flat: list[_Expr] = []
    for item in items:
        if isinstance(item, kind):
            flat.extend(item.items)
        else:
            flat.append(item)
    return kind(tuple(flat))


def _render(expr: _Expr, *, in_and: bool = False) -> str:
    if isinstance(expr, _Or):
        text = " || ".join(_render(item) for item in expr.items)
        return f"({text})" if in_and else text
    if isinstance(expr, _And):
        return " && ".join(_render(item, in_and=True) for item in expr.items)
    if isinstance(expr, _Test):
        return f"{expr.selector.render()} {expr.test}"
    return f"{expr.selector.render()} {expr.op} {expr.value.render()}"


def _first_field(expr: _Expr) -> str:
    while isinstance(expr, (_And, _Or)):
        expr = expr.items[0]
    assert isinstance(expr.selector, _Field)
    return expr.selector.name


# --------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------


class _Parser:
    """Recursive-descent parser over the original pattern text (positions are 0-based
    offsets into it)."""

    __slots__ = ("depth", "i", "json_mode", "n", "p", "positions", "regexes")

    def __init__(self, pattern: str, start: int, *, json_mode: bool) -> None:
        self.p = pattern
        self.n = len(pattern)
        self.i = start
        self.json_mode = json_mode
        self.depth = 0
        self.regexes = 0
        self.positions = 0  # of all its %regex% values

    def fail(self, message: str, position: int | None = None) -> NoReturn:
        raise PatternError(
            message, pattern=self.p, position=self.i if position is None else position
        )

    def skip_ws(self) -> None:
        p, i, n = self.p, self.i, self.n
        while i < n and p[i].isspace():
            i += 1
        self.i = i

    def peek(self) -> str:
        return self.p[self.i] if self.i < self.n else ""

    # expression := and ('||' and)* ; and := primary ('&&' primary)*
    def parse_or(self) -> _Expr:
        items = [self.parse_and()]
        while True:
            self.skip_ws()
            if self.p.startswith("||", self.i):
                self.i += 2
                items.append(self.parse_and())
            elif self.peek() == "|":
                self.fail("'|' is not an operator; use '||'")
            else:
                return _join(_Or, items)

    def parse_and(self) -> _Expr:
        items = [self.parse_primary()]
        while True:
            self.skip_ws()
            if self.p.startswith("&&", self.i):
                self.i += 2
                items.append(self.parse_primary())
            elif self.peek() == "&":
                self.fail("'&' is not an operator; use '&&'")
            else:
                return _join(_And, items)

    def parse_primary(self) -> _Expr:
        self.skip_ws()
        if self.i >= self.n:
            self.fail("unexpected end of pattern; expected a condition")
        if self.p[self.i] != "(":
            return self.parse_condition()
        open_at = self.i
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail(f"parentheses nested deeper than {_MAX_DEPTH} levels")
        self.i += 1
        expr = self.parse_or()
        self.skip_ws()
        if self.peek() != ")":
            self.fail(f"expected ')' to close the '(' opened at offset {open_at}")
        self.i += 1
        self.depth -= 1
        return expr

    def parse_condition(self) -> _Expr:
        selector = self.parse_json_selector() if self.json_mode else self.parse_field()
        self.skip_ws()
        if self.i >= self.n:
            self.fail("unexpected end of pattern; expected an operator")
        if self.p[self.i] in _LETTERS:
            if not isinstance(selector, _Path):
                self.fail("IS NULL / IS TRUE / IS FALSE / NOT EXISTS apply to JSON patterns only")
            return _Test(selector, self.parse_test())
        op = self.parse_operator()
        self.skip_ws()
        value_at = self.i
        value = self.parse_value()
        if op in _NUMERIC_OPS and not isinstance(value, _Num):
            self.fail(f"'{op}' compares numbers; expected a number", value_at)
        return _Compare(selector, op, value)

    def parse_json_selector(self) -> _Path:
        p, n = self.p, self.n
        if self.i >= n or p[self.i] != "$":
            self.fail("expected a selector starting with '$.'")
        self.i += 1
        steps: list[str | int] = []
        while self.i < n:
            c = p[self.i]
            if c == ".":
                self.i += 1
                start = self.i
                while self.i < n and p[self.i] in _NAME_CHARS:
                    self.i += 1
                if self.i == start:
                    self.fail("expected a property name (letters, digits, '_' or '-') after '.'")
                steps.append(p[start : self.i])
            elif c == "[":
                if not steps:
                    self.fail("an array index must follow a property, as in $.items[0]")
                self.i += 1
                start = self.i
                while self.i < n and p[self.i] in _DIGITS:
                    self.i += 1
                if self.i == start:
                    self.fail("expected an array index (digits)")
                digits = p[start : self.i].lstrip("0") or "0"
                if len(digits) > _MAX_INDEX_DIGITS:
                    self.fail("array index too large", start)
                if self.peek() != "]":
                    self.fail("expected ']' after the array index")
                self.i += 1
                steps.append(int(digits))
            else:
                break
        if not steps:
            self.fail("expected '.' and a property name after '$'")
        return _Path(tuple(steps))

    def parse_field(self) -> _Field:
        start = self.i
        while self.i < self.n and self.p[self.i] in _NAME_CHARS:
            self.i += 1
        if self.i == start:
            self.fail("expected a field name (letters, digits, '_' or '-')")
        return _Field(self.p[start : self.i])

    def read_word(self) -> str:
        start = self.i
        while self.i < self.n and self.p[self.i] in _LETTERS:
            self.i += 1
        return self.p[start : self.i]

    def parse_test(self) -> str:
        at = self.i
        first = self.read_word()
        self.skip_ws()
        second = self.read_word()
        test = f"{first.upper()} {second.upper()}"
        if test not in _TESTS:
            self.fail("expected IS NULL, IS TRUE, IS FALSE or NOT EXISTS", at)
        return test

    def parse_operator(self) -> str:
        two = self.p[self.i : self.i + 2]
        if two in ("!=", "<=", ">="):
            self.i += 2
            return two
        if two == "==":
            self.fail("'==' is not an operator; use '='")
        one = self.peek()
        if one in ("=", "<", ">"):
            self.i += 1
            return one
        self.fail(
            "expected an operator (=, !=, <, <=, >, >=)"
            + (" or IS NULL / IS TRUE / IS FALSE / NOT EXISTS" if self.json_mode else "")
        )

    def check_value_end(self) -> None:
        c = self.peek()
        if c and not c.isspace() and c not in _VALUE_END:
            self.fail(f"unexpected character {c!r} after a value; put the value in double quotes")

    def parse_value(self) -> _Str | _Num | _Regex:
        c = self.peek()
        if c == '"':
            value: _Str | _Num | _Regex = _Str(self.parse_quoted())
        elif c == "%":
            value = self.parse_regex()
        else:
            start = self.i
            while self.i < self.n and self.p[self.i] in _UNQUOTED_CHARS:
                self.i += 1
            if self.i == start:
                if not c:
                    self.fail("unexpected end of pattern; expected a value")
                self.fail(
                    "expected a value: a number, an unquoted word, a double-quoted string "
                    "or a %regex%"
                )
            text = self.p[start : self.i]
            value = _Num(text) if _NUMBER_RE.fullmatch(text) else _Str(text)
        self.check_value_end()
        return value

    def parse_quoted(self) -> str:
        p, n = self.p, self.n
        open_at = self.i
        i = open_at + 1
        out: list[str] = []
        while i < n:
            c = p[i]
            if c == "\\" and i + 1 < n and p[i + 1] in '"\\':
                out.append(p[i + 1])
                i += 2
            elif c == '"':
                self.i = i + 1
                return "".join(out)
            else:
                out.append(c)
                i += 1
        self.fail("unterminated double-quoted string", open_at)

    def parse_regex(self) -> _Regex:
        open_at = self.i
        close = self.p.find("%", open_at + 1)
        if close < 0:
            self.fail("unterminated %regex%: no closing '%'", open_at)
        self.regexes += 1
        if self.regexes > _MAX_REGEXES:
            self.fail(f"at most {_MAX_REGEXES} %regex% values are allowed in one pattern", open_at)
        source = self.p[open_at + 1 : close]
        self.positions += _checked_regex(source, self.p, open_at + 1)[1]
        if self.positions > _MAX_PATTERN_POSITIONS:
            self.fail(
                f"%regex% values too ambiguous together: {self.positions} variable positions "
                f"in one pattern, rootguard allows {_MAX_PATTERN_POSITIONS} (each regex is "
                "matched on its own, so their times add up)",
                open_at,
            )
        self.i = close + 1
        return _Regex(source)


class _RegexProblem(Exception):
    """Internal: why a %regex% body is rejected, at an offset into the body."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


_CLASS_ESCAPES = frozenset("dDsSwW")
_CONTROL_CODES = {"t": 9, "n": 10, "v": 11, "f": 12, "r": 13}
_HEX = frozenset(string.hexdigits)
_QUANTIFIER = re.compile(r"\{(\d*)(,?)(\d*)\}", re.ASCII)


def _regex_escape(source: str, i: int, *, in_class: bool) -> tuple[str, int, bool]:
    """Translate the escape at ``source[i]`` (a backslash): (RE2 text, next index, whether
    it is a class such as ``\\d`` that cannot end a range)."""
    if i + 1 >= len(source):
        raise _RegexProblem("a %regex% cannot end with '\\'", i)
    c = source[i + 1]
    if c in _CLASS_ESCAPES:
        return "\\" + c, i + 2, True
    if c in _CONTROL_CODES:
        return "\\" + c, i + 2, False
    if c == "x":
        digits = source[i + 2 : i + 4]
        if len(digits) != 2 or not set(digits) <= _HEX:
            raise _RegexProblem("\\x takes two hexadecimal digits (\\xhh)", i)
        return f"\\x{{{digits}}}", i + 4, False
    if not " " < c <= "~":
        raise _RegexProblem(f"unsupported escaped character {c!r} in a %regex%", i + 1)
    if c.isalnum():
        kind = "inside [...]" if in_class else "in a %regex%"
        raise _RegexProblem(
            f"unsupported escape '\\{c}' {kind}: the supported ones are \\d \\D \\s \\S "
            "\\w \\W \\xhh, \\t \\n \\r \\f \\v and a backslash before a symbol",
            i,
        )
    return f"\\x{{{ord(c):02x}}}", i + 2, False


def _class_member(source: str, i: int) -> tuple[str, int | None, int]:
    """One member of a character class at ``source[i]``: (RE2 text, the code point it
    stands for or None for a class such as ``\\d``, next index)."""
    c = source[i]
    if c != "\\":
        return f"\\x{{{ord(c):02x}}}", ord(c), i + 1
    text, after, is_class = _regex_escape(source, i, in_class=True)
    if is_class:
        return text, None, after
    if text.startswith("\\x{"):
        return text, int(text[3:-1], 16), after
    return text, _CONTROL_CODES[text[1]], after


def _regex_class(source: str, open_at: int) -> tuple[str, int]:
    """Translate the character class opened at ``source[open_at]``: (RE2 text, next index).
    Every member is written as a hexadecimal escape, so nothing in it can be read as an
    RE2-only construct (POSIX classes such as ``[:alpha:]``)."""
    i, n = open_at + 1, len(source)
    out = ["["]
    if i < n and source[i] == "^":
        out.append("^")
        i += 1
    members = 0
    while True:
        if i >= n:
            raise _RegexProblem("unterminated [...] in a %regex%", open_at)
        if source[i] == "]" and members:
            break
        at = i
        text, low, i = _class_member(source, i)
        if low is not None and i + 1 < n and source[i] == "-" and source[i + 1] != "]":
            high_text, high, i = _class_member(source, i + 1)
            if high is None:
                raise _RegexProblem("a range cannot end with a class such as \\d", at)
            if high < low:
                raise _RegexProblem("bad character range: its end is before its start", at)
            text = f"{text}-{high_text}"
        out.append(text)
        members += 1
    out.append("]")
    return "".join(out), i + 1


def _check_regex_chars(source: str) -> None:
    """AWS: "Filter patterns with regex can only include" these characters (a backslash may
    escape any printable ASCII character)."""
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            if i + 1 >= len(source):
                raise _RegexProblem("a %regex% cannot end with '\\'", i)
            if not " " < source[i + 1] <= "~":
                raise _RegexProblem(
                    f"unsupported escaped character {source[i + 1]!r} in a %regex%", i + 1
                )
            i += 2
            continue
        if c not in _REGEX_CHARS:
            reason = (
                "parentheses are not supported in a %regex%"
                if c in "()"
                else f"character {c!r} is not supported in a %regex%"
            )
            raise _RegexProblem(reason, i)
        i += 1


def _translate_regex(source: str) -> tuple[str, int]:
    """Translate a %regex% body in AWS's documented subset into RE2 syntax: (RE2 text, its
    variable positions).

    AWS: alphanumerics, the symbols ``_ # = @ / ; , - :``, the operators
    ``^ $ ? [ ] { } | \\ * + .``; no parentheses; ``\\d \\D \\s \\S \\w \\W \\xhh``;
    ``{m,n}`` where either bound may be left out. Anything else is a `_RegexProblem`, and
    so is a body with more than ``_MAX_REGEX_POSITIONS`` variable positions
    (:func:`_positions`).
    """
    if not source:
        raise _RegexProblem("empty %regex%", -1)
    _check_regex_chars(source)
    out: list[str] = []
    weights: list[int] = []  # the variable positions of each item, in order
    i, n = 0, len(source)
    repeatable = False  # whether the previous item consumes a character
    quantified = False  # whether the previous item already carries a quantifier
    lazy = False  # whether that quantifier is already made lazy (``*?``)
    literal = False  # whether the previous item is one given character
    while i < n:
        c, at = source[i], i
        quantifier: str | None = None
        if c in "?*+":
            quantifier, j = c, i + 1
        elif c == "{":
            m = _QUANTIFIER.match(source, i)
            if m is not None and (m.group(1) or m.group(2)):
                low, comma, high = m.groups()
                lo = int(low) if low else 0
                if (lo > _MAX_REPEAT) or (high and int(high) > _MAX_REPEAT):
                    raise _RegexProblem(f"a repeat count is at most {_MAX_REPEAT}", i)
                if high and lo > int(high):
                    raise _RegexProblem("{m,n} needs m <= n", i)
                quantifier, j = "{" + str(lo) + comma + high + "}", m.end()
        if quantifier is not None:
            if quantified and not lazy and c == "?":
                out.append("?")  # a lazy quantifier: the same yes/no answer
                lazy = True
                i += 1
                continue
            if not repeatable or quantified:
                raise _RegexProblem("nothing to repeat before this quantifier", i)
            out.append(quantifier)
            weights[-1] = _positions(quantifier)
            _check_positions(weights, at)
            quantified, lazy = True, False
            i = j
            continue
        quantified = False
        if c == "|":
            out.append("|")
            repeatable = False
            i += 1
        elif c in "^$":
            out.append(c)
            repeatable = False
            i += 1
        elif c == ".":
            out.append(".")
            repeatable, literal = True, False
            i += 1
        elif c == "[":
            text, i = _regex_class(source, i)
            out.append(text)
            repeatable, literal = True, False
        elif c == "\\":
            text, i, is_class = _regex_escape(source, i, in_class=False)
            out.append(text)
            repeatable, literal = True, not is_class
        else:
            out.append(c if c.isalnum() or c == " " else f"\\x{{{ord(c):02x}}}")
            repeatable, literal = True, True
            i += 1
        if c not in "|^$":
            weights.append(0 if literal else 1)
            _check_positions(weights, at)
    return "".join(out), sum(weights)


def _positions(quantifier: str) -> int:
    """The variable positions of a quantified item: as many as the copies it may take
    (``?`` one, ``{3,5}`` five), or its required copies and a loop (``*`` one, ``+`` two,
    ``{2,}`` three)."""
    if quantifier in "?*":
        return 1
    if quantifier == "+":
        return 2
    low, _, high = quantifier[1:-1].partition(",")
    if "," not in quantifier:
        return int(low)
    return int(high) if high else int(low) + 1


def _check_positions(weights: list[int], at: int) -> None:
    total = sum(weights)
    if total > _MAX_REGEX_POSITIONS:
        raise _RegexProblem(
            f"%regex% too ambiguous: it has {total} variable positions (classes, '.', "
            f"repeats), rootguard allows {_MAX_REGEX_POSITIONS} (use smaller {{m,n}} counts)",
            at,
        )


@functools.lru_cache(maxsize=1024)
def _regex_search(source: str) -> tuple[Callable[[str], bool], int]:
    """A linear-time search function for a %regex% body (RE2) and its variable
    positions, or `_RegexProblem`."""
    translated, positions = _translate_regex(source)
    try:
        compiled = re2.compile(translated, _RE2_OPTIONS)
    except re2.error as exc:
        raise _RegexProblem(f"invalid %regex%: {exc}", 0) from None
    size = compiled.programsize
    if size > _MAX_REGEX_PROGRAM:
        raise _RegexProblem(
            f"%regex% too complex: it compiles to {size} automaton instructions, rootguard "
            f"allows {_MAX_REGEX_PROGRAM} (use fewer or smaller {{m,n}} counts)",
            0,
        )
    search = compiled.search

    def matches(text: str) -> bool:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates from JSON escapes
            data = text.encode("utf-8", "surrogatepass")
        return search(data) is not None

    return matches, positions


def _check_regex(source: str, pattern: str, offset: int) -> Callable[[str], bool]:
    """Validate a %regex% body against AWS's supported subset; its search function."""
    return _checked_regex(source, pattern, offset)[0]


def _checked_regex(source: str, pattern: str, offset: int) -> tuple[Callable[[str], bool], int]:
    """:func:`_check_regex`, and the body's variable positions."""
    try:
        return _regex_search(source)
    except _RegexProblem as exc:
        raise PatternError(exc.message, pattern=pattern, position=offset + exc.offset) from None


# --------------------------------------------------------------------------------------
# Top-level syntaxes
# --------------------------------------------------------------------------------------


def _parse_json(pattern: str, open_at: int) -> _Expr:
    parser = _Parser(pattern, open_at + 1, json_mode=True)
    parser.skip_ws()
    if parser.peek() == "}":
        parser.fail("empty JSON pattern; expected a condition such as { $.field = value }")
    expr = parser.parse_or()
    parser.skip_ws()
    c = parser.peek()
    if not c:
        parser.fail(f"expected '}}' to close the '{{' opened at offset {open_at}")
    if c != "}":
        parser.fail(f"unexpected {c!r}; expected '&&', '||' or '}}'")
    parser.i += 1
    parser.skip_ws()
    if parser.i < parser.n:
        parser.fail("unexpected text after the closing '}'")
    return expr


def _parse_delimited(pattern: str, open_at: int) -> tuple[_Slot, ...]:
    parser = _Parser(pattern, open_at + 1, json_mode=False)
    p = pattern
    slots: list[_Slot] = []
    names: set[str] = set()
    ellipsis = False
    while True:
        parser.skip_ws()
        c = parser.peek()
        if not c:
            parser.fail(f"expected ']' to close the '[' opened at offset {open_at}")
        at = parser.i
        if c in ",]":
            # An empty field is an unnamed column (AWS's example ``[..., status_code=4*,]``).
            slot = _Slot("")
        elif p.startswith("...", at):
            if ellipsis:
                parser.fail("only one '...' is allowed")
            ellipsis = True
            parser.i += 3
            slot = _Slot(None)
        else:
            plain = False
            if c != "(":
                name = parser.parse_field().name
                parser.skip_ws()
                plain = parser.peek() in (",", "]")
            if plain:
                slot = _Slot(name)
            else:
                parser.i = at
                condition = parser.parse_or()
                slot = _Slot(_first_field(condition), condition)
            if slot.name in names:
                parser.fail(f"field name {slot.name!r} is used twice", at)
            names.add(slot.name or "")
        slots.append(slot)
        parser.skip_ws()
        c = parser.peek()
        if c == ",":
            parser.i += 1
        elif c == "]":
            break
        elif not c:
            parser.fail(f"expected ']' to close the '[' opened at offset {open_at}")
        else:
            parser.fail(f"unexpected {c!r}; expected ',' or ']'")
    if len(slots) == 1 and slots[0].name == "":
        parser.fail("a space-delimited pattern needs at least one field")
    parser.i += 1
    parser.skip_ws()
    if parser.i < parser.n:
        parser.fail("unexpected text after the closing ']'")
    return tuple(slots)


def _parse_terms(pattern: str, start: int) -> tuple[tuple[tuple[str, bool], ...], ...]:
    """Text pattern -> OR of groups, each an AND of (term, excluded) pairs.

    ``?`` starts a new alternative group (AWS CDK's ``anyTermGroup`` renders groups this
    way); plain and ``-`` terms join the current group.
    """
    parser = _Parser(pattern, start, json_mode=False)
    p, n = pattern, len(pattern)
    groups: list[list[tuple[str, bool]]] = [[]]
    while True:
        parser.skip_ws()
        if parser.i >= n:
            break
        at = parser.i
        alternative = excluded = False
        if p[parser.i] == "?":
            alternative = True
            parser.i += 1
        if parser.i < n and p[parser.i] == "-":
            excluded = True
            parser.i += 1
        c = parser.peek()
        if not c or c.isspace():
            parser.fail("expected a term after '?' or '-'", at)
        if c == '"':
            term = parser.parse_quoted()
            nxt = parser.peek()
            if nxt and not nxt.isspace():
                parser.fail("expected a space after the closing '\"'")
        else:
            if (alternative or excluded) and c in "?-":
                parser.fail("put a term that starts with '?' or '-' in double quotes")
            begin = parser.i
            while parser.i < n and not p[parser.i].isspace():
                if p[parser.i] == '"':
                    parser.fail("unexpected '\"' inside a term; quote the whole term")
                parser.i += 1
            term = p[begin : parser.i]
        if alternative and groups[-1]:
            groups.append([])
        groups[-1].append((term, excluded))
    return tuple(tuple(group) for group in groups)


def _render_terms(groups: tuple[tuple[tuple[str, bool], ...], ...]) -> str:
    rendered = [" ".join(("-" if ex else "") + _quote(t) for t, ex in group) for group in groups]
    if len(rendered) == 1:
        return rendered[0]
    return " ".join("?" + r for r in rendered)


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------

_Pred: TypeAlias = Callable[[Any], bool]


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
    if len(text) > _MAX_INT_DIGITS or not _NUMBER_RE.fullmatch(text):
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


def _getter(selector: _Path | _Field) -> Callable[[Any], Any]:
    if isinstance(selector, _Field):
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


def _all_of(preds: tuple[_Pred, ...]) -> _Pred:
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


def _any_of(preds: tuple[_Pred, ...]) -> _Pred:
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


def _compile_expr(expr: _Expr) -> _Pred:
    if isinstance(expr, _And):
        return _all_of(tuple(_compile_expr(item) for item in expr.items))
    if isinstance(expr, _Or):
        return _any_of(tuple(_compile_expr(item) for item in expr.items))

    get = _getter(expr.selector)
    if isinstance(expr, _Test):
        if expr.test == "IS NULL":
            return lambda ev: get(ev) is None
        if expr.test == "NOT EXISTS":
            return lambda ev: get(ev) is _MISSING
        if expr.test == "IS TRUE":
            return lambda ev: get(ev) is True
        return lambda ev: get(ev) is False

    op, value = expr.op, expr.value
    negate = op == "!="
    if isinstance(value, _Str) and "*" not in value.raw:
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

    if isinstance(value, (_Str, _Regex)):
        if isinstance(value, _Str):
            match = _string_matcher(value.raw)
        else:
            match = _check_regex(value.source, value.source, 0)

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
    if op in _NUMERIC_OPS:

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


def _compile_delimited(slots: tuple[_Slot, ...]) -> _Pred:
    split = next((i for i, s in enumerate(slots) if s.name is None), None)
    head = tuple(s.name for s in slots[:split] if s.name is not None)
    tail = () if split is None else tuple(s.name for s in slots[split + 1 :] if s.name is not None)
    conditions = tuple(_compile_expr(s.condition) for s in slots if s.condition is not None)
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


def _compile_terms(groups: tuple[tuple[tuple[str, bool], ...], ...]) -> _Pred:
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


def _compact_json(event: Mapping[str, Any]) -> str | None:
    try:
        return json.dumps(
            event if type(event) is dict else dict(event),
            separators=(",", ":"),
            ensure_ascii=False,
            default=_json_default,
        )
    except (TypeError, ValueError, RecursionError):
        return None


def _load_object(text: str) -> Mapping[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        loaded = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return loaded if isinstance(loaded, dict) else None


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


class FilterPattern:
    """A compiled CloudWatch Logs filter pattern.

    Build one with `compile_filter_pattern` (cached) and call `matches` as
    often as needed; nothing is parsed again.

    Attributes:
        pattern: the pattern text as given.
        kind: ``"match_all"`` (empty pattern), ``"terms"`` (text terms and phrases),
            ``"regex"`` (a standalone ``%regex%``), ``"json"`` or ``"space_delimited"``.
        normalized: the same pattern in canonical form (values quoted, single spaces,
            redundant parentheses removed); compiling it gives a pattern that matches
            exactly the same events.

    Examples:
        >>> fp = compile_filter_pattern('{ $.eventType = "AwsApiCall" && $.x NOT EXISTS }')
        >>> fp.kind
        'json'
        >>> fp.matches({"eventType": "AwsApiCall"})
        True
        >>> fp.matches('{"eventType": "AwsApiCall", "x": 1}')
        False
    """

    __slots__ = ("_match", "kind", "normalized", "pattern")

    pattern: str
    kind: FilterPatternKind
    normalized: str

    def __init__(
        self,
        pattern: str,
        kind: FilterPatternKind,
        normalized: str,
        match: Callable[[Mapping[str, Any] | str], bool],
    ) -> None:
        self.pattern = pattern
        self.kind = kind
        self.normalized = normalized
        self._match = match

    def matches(self, event: Mapping[str, Any] | str) -> bool:
        """Whether this pattern matches one log event.

        ``event`` is the log event's message: a ``str``, or an already-parsed JSON object
        (a ``Mapping``). JSON patterns parse a ``str`` event as JSON (a message that is not
        a JSON object never matches); text, regex and space-delimited patterns see a
        ``Mapping`` event as its compact JSON text.

        Raises:
            TypeError: ``event`` is neither a ``Mapping`` nor a ``str``.
        """
        return self._match(event)

    def __repr__(self) -> str:
        return f"FilterPattern({self.pattern!r})"


def _not_an_event(event: object) -> NoReturn:
    raise TypeError(f"a log event is a str or a Mapping, not {type(event).__name__}")


def _on_object(pred: _Pred) -> Callable[[Mapping[str, Any] | str], bool]:
    def match(event: Mapping[str, Any] | str) -> bool:
        if type(event) is dict:
            return pred(event)
        if isinstance(event, str):
            root = _load_object(event)
            return root is not None and pred(root)
        if isinstance(event, Mapping):
            return pred(event)
        _not_an_event(event)

    return match


def _on_text(pred: _Pred) -> Callable[[Mapping[str, Any] | str], bool]:
    def match(event: Mapping[str, Any] | str) -> bool:
        if isinstance(event, str):
            return pred(event)
        if isinstance(event, Mapping):
            text = _compact_json(event)
            return text is not None and pred(text)
        _not_an_event(event)

    return match


def _match_all(event: Mapping[str, Any] | str) -> bool:
    if isinstance(event, (str, Mapping)):
        return True
    _not_an_event(event)


def _compile(pattern: str) -> FilterPattern:
    if len(pattern) > _MAX_PATTERN_CHARS:
        raise PatternError(
            f"a filter pattern has at most {_MAX_PATTERN_CHARS} characters (AWS's limit); "
            f"this one has {len(pattern)}",
            pattern=pattern,
            position=_MAX_PATTERN_CHARS,
        )
    start = 0
    while start < len(pattern) and pattern[start].isspace():
        start += 1
    if start == len(pattern):
        return FilterPattern(pattern, "match_all", "", _match_all)
    first = pattern[start]
    if first == "{":
        expr = _parse_json(pattern, start)
        return FilterPattern(
            pattern, "json", "{ " + _render(expr) + " }", _on_object(_compile_expr(expr))
        )
    if first == "[":
        slots = _parse_delimited(pattern, start)
        rendered = ", ".join(
            "..."
            if slot.name is None
            else (slot.name if slot.condition is None else _render(slot.condition))
            for slot in slots
        )
        return FilterPattern(
            pattern, "space_delimited", f"[{rendered}]", _on_text(_compile_delimited(slots))
        )
    if first == "%":
        parser = _Parser(pattern, start, json_mode=False)
        regex = parser.parse_regex()
        parser.skip_ws()
        if parser.i < parser.n:
            parser.fail("a %regex% pattern must stand alone")
        search = _check_regex(regex.source, pattern, start + 1)
        return FilterPattern(pattern, "regex", regex.render(), _on_text(search))
    groups = _parse_terms(pattern, start)
    return FilterPattern(pattern, "terms", _render_terms(groups), _on_text(_compile_terms(groups)))


@functools.lru_cache(maxsize=1024)
def _compile_cached(pattern: str) -> FilterPattern:
    return _compile(pattern)


def compile_filter_pattern(pattern: str) -> FilterPattern:
    """Parse and compile a CloudWatch Logs filter pattern (cached by pattern text).

    Raises:
        PatternError: the pattern is malformed; ``position`` is the 0-based offset of
            the problem in ``pattern``. No other exception is raised for a ``str``.

    Examples:
        >>> fp = compile_filter_pattern(CIS_ROOT_FILTER_PATTERN)
        >>> fp.matches({"userIdentity": {"type": "Root"}, "eventType": "AwsApiCall"})
        True
        >>> try:
        ...     compile_filter_pattern("{ $.a = }")
        ... except PatternError as exc:
        ...     print(exc.position)
        8
    """
    if not isinstance(pattern, str):
        raise PatternError(f"a filter pattern is a str, not {type(pattern).__name__}")
    return _compile_cached(pattern)


def filter_pattern_matches(pattern: str, event: Mapping[str, Any] | str) -> bool:
    """Whether a CloudWatch Logs filter pattern matches one log event.

    Same semantics as CloudWatch Logs metric filters, subscription filters and
    FilterLogEvents; see `FilterPattern` and ``docs/pattern-engines.md``.
    Compiled patterns are cached, so calling this in a loop is cheap.

    Examples:
        >>> record = {"userIdentity": {"type": "Root"}, "eventType": "AwsApiCall"}
        >>> filter_pattern_matches(CIS_ROOT_FILTER_PATTERN, record)
        True
        >>> filter_pattern_matches("?ERROR ?WARN", "[WARN] disk almost full")
        True

    Raises:
        PatternError: the pattern is malformed.
    """
    return compile_filter_pattern(pattern).matches(event)

"""The parser of CloudWatch Logs filter patterns (pure): the lexical rules, a
recursive-descent parser over the pattern text, and the top-level syntaxes (JSON,
space-delimited, text terms); errors are `PatternError` with the offset of the problem.
"""

from __future__ import annotations

import string
from typing import NoReturn

from rootguard._errors import PatternError
from rootguard._filter_pattern_ast import (
    NUMBER_RE,
    NUMERIC_OPS,
    And,
    Compare,
    Expr,
    Field,
    Num,
    Or,
    Path,
    Regex,
    Slot,
    Str,
    Test,
    first_field,
    join,
    quote,
)
from rootguard._filter_pattern_regex import MAX_PATTERN_POSITIONS, MAX_REGEXES, checked_regex

__all__ = ["Parser", "parse_delimited", "parse_json", "parse_terms", "render_terms"]

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
_MAX_DEPTH = 64  # parenthesis nesting; deeper patterns are rejected, never a RecursionError
_MAX_INDEX_DIGITS = 9

_TESTS = frozenset({"IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"})

# --------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------


class Parser:
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
    def parse_or(self) -> Expr:
        items = [self.parse_and()]
        while True:
            self.skip_ws()
            if self.p.startswith("||", self.i):
                self.i += 2
                items.append(self.parse_and())
            elif self.peek() == "|":
                self.fail("'|' is not an operator; use '||'")
            else:
                return join(Or, items)

    def parse_and(self) -> Expr:
        items = [self.parse_primary()]
        while True:
            self.skip_ws()
            if self.p.startswith("&&", self.i):
                self.i += 2
                items.append(self.parse_primary())
            elif self.peek() == "&":
                self.fail("'&' is not an operator; use '&&'")
            else:
                return join(And, items)

    def parse_primary(self) -> Expr:
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

    def parse_condition(self) -> Expr:
        selector = self.parse_json_selector() if self.json_mode else self.parse_field()
        self.skip_ws()
        if self.i >= self.n:
            self.fail("unexpected end of pattern; expected an operator")
        if self.p[self.i] in _LETTERS:
            if not isinstance(selector, Path):
                self.fail("IS NULL / IS TRUE / IS FALSE / NOT EXISTS apply to JSON patterns only")
            return Test(selector, self.parse_test())
        op = self.parse_operator()
        self.skip_ws()
        value_at = self.i
        value = self.parse_value()
        if op in NUMERIC_OPS and not isinstance(value, Num):
            self.fail(f"'{op}' compares numbers; expected a number", value_at)
        return Compare(selector, op, value)

    def parse_json_selector(self) -> Path:
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
        return Path(tuple(steps))

    def parse_field(self) -> Field:
        start = self.i
        while self.i < self.n and self.p[self.i] in _NAME_CHARS:
            self.i += 1
        if self.i == start:
            self.fail("expected a field name (letters, digits, '_' or '-')")
        return Field(self.p[start : self.i])

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

    def parse_value(self) -> Str | Num | Regex:
        c = self.peek()
        if c == '"':
            value: Str | Num | Regex = Str(self.parse_quoted())
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
            value = Num(text) if NUMBER_RE.fullmatch(text) else Str(text)
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

    def parse_regex(self) -> Regex:
        open_at = self.i
        close = self.p.find("%", open_at + 1)
        if close < 0:
            self.fail("unterminated %regex%: no closing '%'", open_at)
        self.regexes += 1
        if self.regexes > MAX_REGEXES:
            self.fail(f"at most {MAX_REGEXES} %regex% values are allowed in one pattern", open_at)
        source = self.p[open_at + 1 : close]
        self.positions += checked_regex(source, self.p, open_at + 1)[1]
        if self.positions > MAX_PATTERN_POSITIONS:
            self.fail(
                f"%regex% values too ambiguous together: {self.positions} variable positions "
                f"in one pattern, rootguard allows {MAX_PATTERN_POSITIONS} (each regex is "
                "matched on its own, so their times add up)",
                open_at,
            )
        self.i = close + 1
        return Regex(source)


# --------------------------------------------------------------------------------------
# Top-level syntaxes
# --------------------------------------------------------------------------------------


def parse_json(pattern: str, open_at: int) -> Expr:
    parser = Parser(pattern, open_at + 1, json_mode=True)
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


def parse_delimited(pattern: str, open_at: int) -> tuple[Slot, ...]:
    parser = Parser(pattern, open_at + 1, json_mode=False)
    p = pattern
    slots: list[Slot] = []
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
            slot = Slot("")
        elif p.startswith("...", at):
            if ellipsis:
                parser.fail("only one '...' is allowed")
            ellipsis = True
            parser.i += 3
            slot = Slot(None)
        else:
            plain = False
            if c != "(":
                name = parser.parse_field().name
                parser.skip_ws()
                plain = parser.peek() in (",", "]")
            if plain:
                slot = Slot(name)
            else:
                parser.i = at
                condition = parser.parse_or()
                slot = Slot(first_field(condition), condition)
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


def parse_terms(pattern: str, start: int) -> tuple[tuple[tuple[str, bool], ...], ...]:
    """Text pattern -> OR of groups, each an AND of (term, excluded) pairs.

    ``?`` starts a new alternative group (AWS CDK's ``anyTermGroup`` renders groups this
    way); plain and ``-`` terms join the current group.
    """
    parser = Parser(pattern, start, json_mode=False)
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


def render_terms(groups: tuple[tuple[tuple[str, bool], ...], ...]) -> str:
    rendered = [" ".join(("-" if ex else "") + quote(t) for t, ex in group) for group in groups]
    if len(rendered) == 1:
        return rendered[0]
    return " ".join("?" + r for r in rendered)

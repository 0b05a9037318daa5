"""The ``%regex%`` values of CloudWatch Logs filter patterns (pure): AWS's documented
regex subset translated into RE2 syntax, and rootguard's bounds on each regex
(variable positions, RE2 program size), so matching stays linear and fast.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable

import re2  # type: ignore[import-untyped]

from rootguard._errors import PatternError

__all__ = ["MAX_PATTERN_POSITIONS", "MAX_REGEXES", "check_regex", "checked_regex"]

# "Filter patterns with regex can only include": alphanumerics, the symbols _#=@/;,-
# (':' in some revisions of the page) and the operators ^$?[]{}|\*+. -- plus the space,
# which AWS's own CDK example (``bind: address already in use``) uses.
_REGEX_CHARS = frozenset(string.ascii_letters + string.digits + "_#=@/;,-: ^$?[]{}|\\*+.")
MAX_REGEXES = 2  # "a limit of 2 regex for each filter pattern" (JSON / space-delimited)
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
MAX_PATTERN_POSITIONS = 16  # the regexes of one pattern together (AWS allows two)
_MAX_REPEAT = _MAX_REGEX_PROGRAM  # a larger count cannot fit in the program anyway
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.never_capture = True


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


def check_regex(source: str, pattern: str, offset: int) -> Callable[[str], bool]:
    """Validate a %regex% body against AWS's supported subset; its search function."""
    return checked_regex(source, pattern, offset)[0]


def checked_regex(source: str, pattern: str, offset: int) -> tuple[Callable[[str], bool], int]:
    """:func:`check_regex`, and the body's variable positions."""
    try:
        return _regex_search(source)
    except _RegexProblem as exc:
        raise PatternError(exc.message, pattern=pattern, position=offset + exc.offset) from None

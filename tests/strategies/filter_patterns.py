"""CloudWatch Logs filter patterns (rootguard._filter_pattern): pattern ASTs rendered in many
spellings, events and log lines."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

# JSON filter patterns are generated as a small AST of nested tuples and rendered to text
# in many equivalent spellings (spacing, quoting, keyword case, redundant parentheses):
#   ("cmp", steps, op, value)   value: ("str", raw) | ("num", text) | ("regex", source)
#   ("test", steps, keyword)    keyword: IS NULL | IS TRUE | IS FALSE | NOT EXISTS
#   ("and", items) | ("or", items)
# steps is a selector path: ("a", 0, "b") is $.a[0].b.

FP_KEYS = ("a", "b", "c-d", "e_f")
FP_STRINGS = ("", "x", "xy", "yx", "x y", "3", "-1", "1.5", "Root", "root", 'q"t', "b\\s")
FP_NUMBERS = ("0", "1", "-1", "3", "+3", "1.5", "-1.5", "1e3", "10e-3", ".5")
FP_REGEXES = ("^x", "y$", "x|y", "[0-9]", "^x*$", "1\\.5", "R.ot")
FP_TESTS = ("IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS")
FP_NUMBER_SHAPE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_FP_UNQUOTED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.*+:/")

fp_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from((0.5, -1.5, 1000.0, 1.5)),
    st.sampled_from(FP_STRINGS),
)
fp_json_values = st.recursive(
    fp_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FP_KEYS), inner, max_size=3),
    ),
    max_leaves=10,
)
# JSON log events (objects) over the same few keys the generated selectors use.
fp_events = st.dictionaries(st.sampled_from(FP_KEYS), fp_json_values, max_size=4)

fp_steps = st.tuples(
    st.sampled_from(FP_KEYS),
    st.lists(
        st.one_of(st.sampled_from(FP_KEYS), st.integers(min_value=0, max_value=2)), max_size=2
    ),
).map(lambda t: (t[0], *t[1]))

fp_wild_strings = st.tuples(st.booleans(), st.sampled_from(FP_STRINGS), st.booleans()).map(
    lambda t: ("*" if t[0] else "") + t[1] + ("*" if t[2] else "")
)

fp_conditions: st.SearchStrategy[tuple[Any, ...]] = st.one_of(
    st.tuples(
        st.just("cmp"),
        fp_steps,
        st.sampled_from(("=", "!=")),
        st.one_of(
            fp_wild_strings.map(lambda s: ("str", s)),
            st.sampled_from(FP_REGEXES).map(lambda r: ("regex", r)),
        ),
    ),
    st.tuples(
        st.just("cmp"),
        fp_steps,
        st.sampled_from(("=", "!=", "<", "<=", ">", ">=")),
        st.sampled_from(FP_NUMBERS).map(lambda n: ("num", n)),
    ),
    st.tuples(st.just("test"), fp_steps, st.sampled_from(FP_TESTS)),
)


def fp_regex_count(ast: tuple[Any, ...]) -> int:
    """How many %regex% values an AST holds (AWS allows at most 2 per pattern)."""
    if ast[0] in ("and", "or"):
        return sum(fp_regex_count(item) for item in ast[1])
    return 1 if ast[0] == "cmp" and ast[3][0] == "regex" else 0


fp_asts: st.SearchStrategy[tuple[Any, ...]] = st.recursive(
    fp_conditions,
    lambda inner: st.tuples(
        st.sampled_from(("and", "or")), st.lists(inner, min_size=2, max_size=3).map(tuple)
    ),
    max_leaves=6,
).filter(lambda ast: fp_regex_count(ast) <= 2)


def fp_quote(raw: str) -> str:
    """A double-quoted filter-pattern string (backslash escapes ``\\`` and ``"``)."""
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fp_selector(steps: tuple[Any, ...]) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)


@st.composite
def fp_render(draw: st.DrawFn, ast: tuple[Any, ...]) -> str:
    """One of the many equivalent spellings of a JSON filter-pattern AST."""

    def space() -> str:
        return draw(st.sampled_from(("", " ", "  ", "\t")))

    def value_text(value: tuple[str, str]) -> str:
        kind, text = value
        if kind == "num":
            return text
        if kind == "regex":
            return f"%{text}%"
        unquotable = (
            text != "" and set(text) <= _FP_UNQUOTED and re.fullmatch(FP_NUMBER_SHAPE, text) is None
        )
        return text if unquotable and draw(st.booleans()) else fp_quote(text)

    def go(node: tuple[Any, ...], in_and: bool) -> str:
        kind = node[0]
        if kind in ("and", "or"):
            joiner = space() + ("&&" if kind == "and" else "||") + space()
            text = joiner.join(go(item, kind == "and") for item in node[1])
            if (kind == "or" and in_and) or draw(st.integers(0, 4)) == 0:
                text = "(" + space() + text + space() + ")"
            return text
        if kind == "test":
            first, second = draw(st.sampled_from((node[2], node[2].lower()))).split(" ")
            text = fp_selector(node[1]) + " " + space() + first + " " + space() + second
        else:
            text = fp_selector(node[1]) + space() + node[2] + space() + value_text(node[3])
        if draw(st.integers(0, 5)) == 0:
            text = "(" + space() + text + space() + ")"
        return text

    return space() + "{" + space() + go(ast, False) + space() + "}" + space()


# Text (unstructured) patterns: groups of (term, excluded); more than one group means the
# groups are alternatives, each group introduced by '?'.
FP_TERMS = ("ERROR", "WARN", "x y", "Exc", 'q"t', "-1", "?q", "b\\s", "")
fp_term_groups = st.lists(
    st.lists(st.tuples(st.sampled_from(FP_TERMS), st.booleans()), min_size=1, max_size=3),
    min_size=1,
    max_size=3,
)
fp_log_lines = st.lists(
    st.sampled_from(("ERROR", "WARN", "x", "y", "Exception", 'q"t', "-1", "?q", "b\\s", "err")),
    max_size=6,
).map(" ".join)


@st.composite
def fp_render_terms(draw: st.DrawFn, groups: list[list[tuple[str, bool]]]) -> str:
    """A spelling of a text filter pattern: terms bare when AWS allows it, else quoted."""

    def term_text(term: str) -> str:
        bare = term != "" and not any(c.isspace() or c == '"' for c in term)
        bare = bare and term[0] not in '?-{[%"'
        return term if bare and draw(st.booleans()) else fp_quote(term)

    parts = []
    for group in groups:
        for index, (term, excluded) in enumerate(group):
            prefix = "?" if len(groups) > 1 and index == 0 else ""
            parts.append(prefix + ("-" if excluded else "") + term_text(term))
    return draw(st.sampled_from((" ", "  "))).join(parts)

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

This module holds the entry points; the engine's parts are private modules under it:
``_filter_pattern_parser`` (lexical rules, parser, top-level syntaxes),
``_filter_pattern_eval`` (compiled closures), ``_filter_pattern_ast`` (the AST and its
canonical rendering) and ``_filter_pattern_regex`` (``%regex%`` translation to RE2 and
its bounds).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Literal, NoReturn, TypeAlias

from rootguard._errors import PatternError
from rootguard._filter_pattern_ast import render
from rootguard._filter_pattern_eval import (
    Pred,
    compact_json,
    compile_delimited,
    compile_expr,
    compile_terms,
    load_object,
)
from rootguard._filter_pattern_parser import (
    Parser,
    parse_delimited,
    parse_json,
    parse_terms,
    render_terms,
)
from rootguard._filter_pattern_regex import check_regex

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

_MAX_PATTERN_CHARS = 1024  # PutMetricFilter / PutSubscriptionFilter: filterPattern, 0-1024


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


def _on_object(pred: Pred) -> Callable[[Mapping[str, Any] | str], bool]:
    def match(event: Mapping[str, Any] | str) -> bool:
        if type(event) is dict:
            return pred(event)
        if isinstance(event, str):
            root = load_object(event)
            return root is not None and pred(root)
        if isinstance(event, Mapping):
            return pred(event)
        _not_an_event(event)

    return match


def _on_text(pred: Pred) -> Callable[[Mapping[str, Any] | str], bool]:
    def match(event: Mapping[str, Any] | str) -> bool:
        if isinstance(event, str):
            return pred(event)
        if isinstance(event, Mapping):
            text = compact_json(event)
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
        expr = parse_json(pattern, start)
        return FilterPattern(
            pattern, "json", "{ " + render(expr) + " }", _on_object(compile_expr(expr))
        )
    if first == "[":
        slots = parse_delimited(pattern, start)
        rendered = ", ".join(
            "..."
            if slot.name is None
            else (slot.name if slot.condition is None else render(slot.condition))
            for slot in slots
        )
        return FilterPattern(
            pattern, "space_delimited", f"[{rendered}]", _on_text(compile_delimited(slots))
        )
    if first == "%":
        parser = Parser(pattern, start, json_mode=False)
        regex = parser.parse_regex()
        parser.skip_ws()
        if parser.i < parser.n:
            parser.fail("a %regex% pattern must stand alone")
        search = check_regex(regex.source, pattern, start + 1)
        return FilterPattern(pattern, "regex", regex.render(), _on_text(search))
    groups = parse_terms(pattern, start)
    return FilterPattern(pattern, "terms", render_terms(groups), _on_text(compile_terms(groups)))


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

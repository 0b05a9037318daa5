"""Shared hypothesis strategies. One section per module, each under a comment header;
append your section, don't rewrite others'."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from rootguard._credential_report import COLUMNS, CredentialReport, CredentialReportRow

# ---------------------------------------------------------------------------------------
# Credential report (rootguard._credential_report)
# ---------------------------------------------------------------------------------------

CR_SENTINELS = ("N/A", "no_information", "not_supported")
_CR_BOOL_COLUMNS = frozenset(
    c for c in COLUMNS if c.endswith("_active") or c in ("password_enabled", "mfa_active")
)
_CR_STRING_COLUMNS = frozenset(c for c in COLUMNS if c.endswith(("_region", "_service")))
_CR_DATETIME_COLUMNS = frozenset(COLUMNS[2:]) - _CR_BOOL_COLUMNS - _CR_STRING_COLUMNS

# Any text a CSV cell can hold, CSV-hostile characters included (NUL excluded: Python 3.10's
# csv module rejects it).
cr_cell_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=12,
)

cr_utc_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(timezone.utc)
)


@st.composite
def cr_datetime_cells(draw: st.DrawFn) -> str:
    """A date-time cell as AWS writes it (``+00:00``) or in another valid ISO 8601 form."""
    value = draw(cr_utc_datetimes)
    style = draw(st.sampled_from(["aws", "z", "offset"]))
    if style == "aws":
        return value.isoformat()
    if style == "z":
        return value.replace(tzinfo=None).isoformat() + "Z"
    minutes = draw(st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59))
    return value.astimezone(timezone(timedelta(minutes=minutes))).isoformat()


def cr_cells(column: str) -> st.SearchStrategy[str]:
    """A valid raw cell for one credential-report column (a sentinel or a value)."""
    sentinels = st.sampled_from(CR_SENTINELS)
    if column in _CR_BOOL_COLUMNS:
        return st.one_of(sentinels, st.sampled_from(["true", "false", "TRUE", "False"]))
    if column in _CR_DATETIME_COLUMNS:
        return st.one_of(sentinels, cr_datetime_cells())
    if column in _CR_STRING_COLUMNS:
        return st.one_of(sentinels, st.sampled_from(["us-east-1", "s3", "ec2"]), cr_cell_text)
    return st.one_of(st.just("<root_account>"), cr_cell_text)  # user, arn


# Extra-column names; "missing" and "extra_columns" collide with row field names.
cr_extra_names = st.one_of(
    st.sampled_from(["extra", "missing", "extra_columns", "password_last_used_note"]),
    cr_cell_text,
).filter(lambda name: name not in COLUMNS)


@st.composite
def cr_raw_reports(
    draw: st.DrawFn, *, allow_field_name_extras: bool = True
) -> tuple[list[str], list[list[str]]]:
    """A valid report as (header, rows of raw cells): columns in any order, extras."""
    extras = draw(st.lists(cr_extra_names, max_size=3, unique=True))
    if not allow_field_name_extras:
        extras = [e for e in extras if e not in ("missing", "extra_columns")]
    header = draw(st.permutations([*COLUMNS, *extras]))
    row = st.tuples(*(cr_cells(c) if c in COLUMNS else cr_cell_text for c in header))
    rows = draw(st.lists(row.map(list), max_size=4))
    return header, rows


@st.composite
def cr_csv_texts(draw: st.DrawFn) -> str | bytes:
    """A valid report as CSV: LF or CRLF, final newline or not, BOM or not, str or bytes."""
    header, rows = draw(cr_raw_reports())
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    quote_all = draw(st.booleans())

    def field(cell: str) -> str:
        if quote_all or any(ch in cell for ch in ',"\r\n'):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    lines = [",".join(field(cell) for cell in record) for record in [header, *rows]]
    text = terminator.join(lines)
    if draw(st.booleans()):
        text += terminator
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode() if draw(st.booleans()) else text


@st.composite
def credential_reports(draw: st.DrawFn) -> CredentialReport:
    """A valid CredentialReport, built through the row model's own cell conversion."""
    header, rows = draw(cr_raw_reports(allow_field_name_extras=False))
    built: list[CredentialReportRow] = []
    for cells in rows:
        raw: dict[str, Any] = dict(zip(header, cells, strict=True))
        built.append(CredentialReportRow.model_validate(raw))
    generated_at = draw(st.none() | cr_utc_datetimes)
    return CredentialReport(rows=tuple(built), generated_at=generated_at)


# ---------------------------------------------------------------------------------------
# Filter patterns (rootguard._filter_pattern)
# ---------------------------------------------------------------------------------------
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
    import re

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


# ---------------------------------------------------------------------------------------
# EventBridge event patterns (rootguard._event_pattern)
# ---------------------------------------------------------------------------------------

EP_OPERATORS = (
    "prefix",
    "suffix",
    "anything-but",
    "numeric",
    "exists",
    "equals-ignore-case",
    "wildcard",
    "cidr",
)
_EP_FIELDS = ("a", "b", "c")
_EP_STRINGS = ("", "ab", "Ab", "AB", "abc", "x.png", "dir/x.png", "a*b", "a\\b", "10.0.0.5")
_EP_IPS = ("10.0.0.5", "10.0.1.5", "192.168.3.4", "2001:db8::1", "2001:db9::1")
_EP_NUMBERS = (-3, -1, 0, 1, 2, 3, 2.5, 3.0, -0.5, 100)

# Anything JSON can hold, and a few things it cannot (NaN, infinities, huge integers,
# tuples), for never-crash tests.
ep_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(_EP_STRINGS + _EP_IPS)
)
ep_json_values = st.recursive(
    ep_json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(st.sampled_from(_EP_FIELDS) | st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)

# Pattern-shaped garbage: objects whose keys are field names, operators and "$or", and whose
# values are arrays of scalars and operator objects with arbitrary operands.
_ep_operator_objects = st.dictionaries(
    st.sampled_from((*EP_OPERATORS, "equals", "$or", "a")), ep_json_values, min_size=0, max_size=2
)
ep_pattern_like = st.recursive(
    st.lists(ep_json_scalars | _ep_operator_objects, max_size=3),
    lambda children: st.dictionaries(
        st.sampled_from((*_EP_FIELDS, "$or", *EP_OPERATORS)),
        children | st.lists(children, max_size=3) | ep_json_scalars,
        max_size=3,
    ),
    max_leaves=12,
)


# -- cross-check with moto's matcher --------------------------------------------------------
# Events and patterns drawn from the shapes on which AWS's documented semantics and moto 5.2.5
# (moto.events.models.EventPattern) agree; every value a field of a generated event can hold:
# strings without newlines, numbers within a small range, null, non-empty arrays of those,
# and non-empty nested objects. Left out on purpose (moto differs from AWS there):
# booleans (moto compares with ==, so true == 1), empty objects and empty arrays (moto
# counts them as existing leaves), arrays of objects (moto does not look inside them), keys
# with dots (moto flattens keys with dots), and CIDR blocks with host bits set (moto's
# ip_network(strict=True) raises, so it never matches; AWS matches from the written address),
# and CIDR blocks around 0.0.0.0 (moto's ip_address() also accepts integers: 3 is 0.0.0.3).

_EP_X_SCALARS = (None, *_EP_NUMBERS, *_EP_STRINGS, *_EP_IPS)
_EP_SHORT_TEXTS = ("", "a", "A", "ab", "x", ".png", "dir/", "b", "10.")
_EP_WILDCARDS = ("*", "a*", "*b", "a*b", "*.png", "dir/*.png", "a\\*b", "*a*", "A*", "a\\\\b")
_EP_CIDRS = (
    "10.0.0.0/24",
    "10.0.0.0/8",
    "192.168.0.0/16",
    "2001:db8::/32",
    "10.0.0.4/30",
    "10.0.0.5/32",
)
_EP_FILLERS = ("", "x", "b.png", "/lib/", "A")


def _ep_pick(draw: st.DrawFn, values: tuple[Any, ...]) -> Any:
    return values[draw(st.integers(0, len(values) - 1))]


def _ep_some(draw: st.DrawFn, values: tuple[Any, ...]) -> Any:
    """One of ``values``, or a non-empty list of them."""
    if draw(st.booleans()):
        return _ep_pick(draw, values)
    return [_ep_pick(draw, values) for _ in range(draw(st.integers(1, 3)))]


def _ep_draw_matcher(draw: st.DrawFn) -> Any:
    """One valid pattern value: an exact scalar or an operator object, every operator."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return _ep_pick(draw, _EP_X_SCALARS)
    if kind in (1, 2):
        text = _ep_pick(draw, _EP_SHORT_TEXTS)
        operand = {"equals-ignore-case": text} if draw(st.booleans()) else text
        return {"prefix" if kind == 1 else "suffix": operand}
    if kind == 3:
        return {"equals-ignore-case": _ep_pick(draw, _EP_SHORT_TEXTS)}
    if kind == 4:
        return {"wildcard": _ep_pick(draw, _EP_WILDCARDS)}
    if kind == 5:
        low = _ep_pick(draw, _EP_NUMBERS)
        form = _ep_pick(draw, ("=", "<", "<=", ">", ">=", "range"))
        if form != "range":
            return {"numeric": [form, low]}
        high = _ep_pick(draw, tuple(n for n in _EP_NUMBERS if n > low) or (low + 1,))
        return {"numeric": [_ep_pick(draw, (">", ">=")), low, _ep_pick(draw, ("<", "<=")), high]}
    if kind == 6:
        return {"exists": draw(st.booleans())}
    if kind == 7:
        return {"cidr": _ep_pick(draw, _EP_CIDRS)}
    form = draw(st.integers(0, 5))
    if form == 0:
        return {"anything-but": _ep_some(draw, _EP_STRINGS)}
    if form == 1:
        return {"anything-but": _ep_some(draw, _EP_NUMBERS)}
    name = ("prefix", "suffix", "equals-ignore-case", "wildcard")[form - 2]
    values = {
        "prefix": _EP_SHORT_TEXTS[1:],  # an empty prefix or suffix is invalid here
        "suffix": _EP_SHORT_TEXTS[1:],
        "equals-ignore-case": _EP_SHORT_TEXTS,
        "wildcard": _EP_WILDCARDS,
    }[name]
    return {"anything-but": {name: _ep_some(draw, values)}}


_ep_field_sets = st.lists(st.sampled_from(_EP_FIELDS), min_size=1, max_size=3, unique=True)


def _ep_draw_pattern(draw: st.DrawFn, depth: int = 1) -> dict[str, Any]:
    """A valid pattern object over fields a, b, c, nested objects and ``$or``."""
    pattern: dict[str, Any] = {}
    for key in draw(_ep_field_sets):
        if depth > 0 and draw(st.integers(0, 2)) == 0:
            pattern[key] = _ep_draw_pattern(draw, depth - 1)
        else:
            pattern[key] = [_ep_draw_matcher(draw) for _ in range(draw(st.integers(1, 2)))]
    if depth > 0 and draw(st.integers(0, 3)) == 0:
        size = draw(st.integers(2, 3))
        pattern["$or"] = [_ep_draw_pattern(draw, depth - 1) for _ in range(size)]
    return pattern


ep_crosscheck_matchers = st.composite(_ep_draw_matcher)
ep_crosscheck_patterns = st.composite(_ep_draw_pattern)


def _ep_unescape_wildcard(draw: st.DrawFn, text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            out.append(text[index + 1])
            index += 2
            continue
        out.append(_ep_pick(draw, _EP_FILLERS) if char == "*" else char)
        index += 1
    return "".join(out)


def _ep_witness(draw: st.DrawFn, matcher: Any) -> Any:
    """A value that satisfies ``matcher`` (or, for anything-but, one it excludes)."""
    if not isinstance(matcher, dict):
        return matcher
    ((name, operand),) = matcher.items()
    if name in ("prefix", "suffix"):
        ignore_case = isinstance(operand, dict)
        text = operand["equals-ignore-case"] if ignore_case else operand
        filler = _ep_pick(draw, _EP_FILLERS)
        value = text + filler if name == "prefix" else filler + text
        return value.swapcase() if ignore_case and draw(st.booleans()) else value
    if name == "equals-ignore-case":
        return operand.swapcase() if draw(st.booleans()) else operand.upper()
    if name == "wildcard":
        return _ep_unescape_wildcard(draw, operand)
    if name == "numeric":
        return _ep_pick(draw, tuple(n for n in operand if not isinstance(n, str))) + _ep_pick(
            draw, (0, 0.5, -0.5, 1)
        )
    if name == "cidr":
        import ipaddress

        network = ipaddress.ip_network(operand)
        top = int(network.broadcast_address)
        bottom = int(network.network_address)
        # inside, at either end, or just outside
        address = _ep_pick(draw, (bottom + draw(st.integers(0, 3)), top, top + 1, bottom - 1))
        return str(
            ipaddress.ip_address(
                min(max(address, 0), 2**32 - 1) if network.version == 4 else address
            )
        )
    if name == "anything-but":
        if isinstance(operand, dict):
            ((inner_name, inner),) = operand.items()
            excluded = inner if isinstance(inner, list) else [inner]
            return _ep_witness(draw, {inner_name: _ep_pick(draw, tuple(excluded))})
        excluded = operand if isinstance(operand, list) else [operand]
        return _ep_pick(draw, tuple(excluded))
    return _ep_pick(draw, _EP_X_SCALARS)  # exists


def _ep_random_value(draw: st.DrawFn, depth: int) -> Any:
    kind = draw(st.integers(0, 4 if depth > 0 else 3))
    if kind <= 1:
        return _ep_pick(draw, _EP_X_SCALARS)
    if kind <= 3:
        return [_ep_pick(draw, _EP_X_SCALARS) for _ in range(draw(st.integers(1, 3)))]
    return {
        _ep_pick(draw, _EP_FIELDS): _ep_random_value(draw, depth - 1)
        for _ in range(draw(st.integers(1, 2)))
    }


def _ep_event_for(draw: st.DrawFn, pattern: dict[str, Any], depth: int) -> dict[str, Any]:
    """An event shaped by ``pattern``: most fields get a value some matcher accepts."""
    event: dict[str, Any] = {}
    fields = [(k, v) for k, v in pattern.items() if k != "$or"]
    for branch in pattern.get("$or", []):
        fields += [(k, v) for k, v in branch.items() if k != "$or"]
    for key, sub in fields:
        choice = draw(st.integers(0, 9))
        if choice == 0:
            event.pop(key, None)
        elif choice == 1:
            event[key] = _ep_random_value(draw, depth)
        elif isinstance(sub, dict):
            nested = _ep_event_for(draw, sub, depth - 1)
            event[key] = nested if nested else _ep_random_value(draw, 0)
        else:
            witness = _ep_witness(draw, _ep_pick(draw, tuple(sub)))
            if choice <= 3:
                event[key] = [witness, _ep_pick(draw, _EP_X_SCALARS)]
            else:
                event[key] = witness
    if draw(st.integers(0, 3)) == 0:
        event[_ep_pick(draw, _EP_FIELDS)] = _ep_random_value(draw, depth)
    return event


@st.composite
def ep_crosscheck_cases(draw: st.DrawFn, depth: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    """(pattern, event): a valid pattern and an event built to come close to matching it."""
    pattern = _ep_draw_pattern(draw, depth)
    return pattern, _ep_event_for(draw, pattern, depth + 1)


@st.composite
def ep_crosscheck_events(draw: st.DrawFn) -> dict[str, Any]:
    """An event over fields a, b, c with the value shapes of the cross-check."""
    return {
        _ep_pick(draw, _EP_FIELDS): _ep_random_value(draw, 1)
        for _ in range(draw(st.integers(1, 3)))
    }


# ---------------------------------------------------------------------------------------
# CloudTrail records and root-activity detection (rootguard._cloudtrail, rootguard._detect)
# ---------------------------------------------------------------------------------------

CT_ACCOUNTS = ("111122223333", "222222222222", "123456789012")
CT_SIGNIN = "signin.amazonaws.com"

# Arbitrary JSON values, for never-crash tests.
ct_json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
ct_json_values = st.recursive(
    ct_json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
# Keys a CloudTrail record really has, so that arbitrary dicts reach the interesting code.
_CT_KEYS = (
    "userIdentity",
    "type",
    "eventName",
    "eventSource",
    "eventType",
    "eventTime",
    "invokedBy",
    "accessKeyId",
    "sessionContext",
    "sessionIssuer",
    "attributes",
    "assumedRoot",
    "mfaAuthenticated",
    "additionalEventData",
    "MFAUsed",
    "responseElements",
    "ConsoleLogin",
    "requestParameters",
    "targetPrincipal",
    "taskPolicyArn",
    "credentials",
    "detail",
    "detail-type",
    "CloudTrailEvent",
    "Records",
    "sessionCredentialFromConsole",
    "readOnly",
)
_CT_VALUES = (
    "Root",
    "FederatedUser",
    "AssumeRoot",
    "sts.amazonaws.com",
    CT_SIGNIN,
    "AwsServiceEvent",
    "true",
    "Yes",
    "Failure",
    "AKIAEXAMPLE",
    "ASIAEXAMPLE",
)
ct_record_like = st.recursive(
    ct_json_scalars | st.sampled_from(_CT_VALUES),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(_CT_KEYS) | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=25,
)

_ct_times = st.datetimes(min_value=datetime(2014, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda t: t.replace(microsecond=0).isoformat() + "Z"
)
_ct_event_ids = st.uuids().map(str)
_ct_key_ids = st.one_of(
    st.none(),
    st.just(""),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16).flatmap(
        lambda tail: st.sampled_from([f"AKIA{tail}", f"ASIA{tail}", "1", "EXAMPLE"])
    ),
)


@st.composite
def ct_identities(draw: st.DrawFn) -> dict[str, Any] | None:
    """A ``userIdentity`` (or None: no identity at all)."""
    account = draw(st.sampled_from(CT_ACCOUNTS))
    kind = draw(
        st.sampled_from(
            [
                "Root",
                "Root",
                "Root",
                "IAMUser",
                "AssumedRole",
                "FederatedUser",
                "AWSService",
                "none",
            ]
        )
    )
    if kind == "none":
        return draw(st.sampled_from([None, {}, {"invokedBy": "AWS Internal"}]))
    identity: dict[str, Any] = {"type": kind, "accountId": account}
    if kind == "Root":
        identity["arn"] = f"arn:aws:iam::{account}:root"
        identity["principalId"] = account
        if draw(st.integers(0, 9)) == 0:
            identity["userName"] = "HIDDEN_DUE_TO_SECURITY_REASONS"
    elif kind == "IAMUser":
        name = draw(st.sampled_from(["root", "alice"]))
        identity["arn"] = f"arn:aws:iam::{account}:user/{name}"
        identity["userName"] = name
    elif kind == "AssumedRole":
        role = draw(st.sampled_from(["root", "Admin"]))
        identity["arn"] = f"arn:aws:sts::{account}:assumed-role/{role}/session"
    elif kind == "FederatedUser":
        identity["arn"] = f"arn:aws:sts::{account}:federated-user/bob"
    key = draw(_ct_key_ids)
    if key is not None:
        identity["accessKeyId"] = key
    invoked_by = draw(
        st.sampled_from([None, None, None, CT_SIGNIN, "autoscaling.amazonaws.com", "AWS Internal"])
    )
    if invoked_by is not None:
        identity["invokedBy"] = invoked_by
    if draw(st.booleans()) or kind == "FederatedUser":
        context: dict[str, Any] = {
            "attributes": {
                "creationDate": draw(_ct_times),
                "mfaAuthenticated": draw(st.sampled_from(["true", "false"])),
            }
        }
        if kind == "FederatedUser":
            issuer_type = draw(st.sampled_from(["Root", "IAMUser"]))
            context["sessionIssuer"] = {
                "type": issuer_type,
                "arn": f"arn:aws:iam::{account}:root",
                "accountId": account,
            }
        elif kind == "AssumedRole":
            context["sessionIssuer"] = {"type": "Role", "accountId": account}
        if draw(st.integers(0, 4)) == 0:
            context["assumedRoot"] = "true"
        identity["sessionContext"] = context
    return identity


@st.composite
def ct_records(draw: st.DrawFn) -> dict[str, Any]:
    """A realistic raw CloudTrail record (root and not, every channel, lookalikes)."""
    identity = draw(ct_identities())
    shape = draw(st.sampled_from(["api", "api", "signin", "service_event", "assume_root"]))
    record: dict[str, Any] = {
        "eventVersion": draw(st.sampled_from(["1.05", "1.08", "1.10"])),
        "eventTime": draw(_ct_times),
        "awsRegion": draw(st.sampled_from(["us-east-1", "eu-west-1"])),
        "sourceIPAddress": draw(st.sampled_from(["192.0.2.1", "autoscaling.amazonaws.com"])),
        "userAgent": draw(st.sampled_from(["aws-cli/2.15", "Mozilla/5.0", "Coral/Netty4"])),
        "eventID": draw(_ct_event_ids),
        "recipientAccountId": draw(st.sampled_from(CT_ACCOUNTS)),
    }
    if identity is not None:
        record["userIdentity"] = identity
    if shape == "signin":
        name = draw(st.sampled_from(["ConsoleLogin", "PasswordUpdated", "CheckMfa"]))
        record.update(
            eventSource=CT_SIGNIN,
            eventName=name,
            eventType="AwsConsoleSignIn",
            requestParameters=None,
            responseElements={name: draw(st.sampled_from(["Success", "Failure"]))},
        )
        mfa = draw(st.sampled_from([None, "Yes", "YES", "yes", "No", "NO", "unknown"]))
        if mfa is not None:
            record["additionalEventData"] = {"MFAUsed": mfa, "MobileVersion": "No"}
    elif shape == "service_event":
        record.update(
            eventSource="kms.amazonaws.com",
            eventName="RotateKey",
            eventType="AwsServiceEvent",
            readOnly=False,
        )
    elif shape == "assume_root":
        record.update(
            eventSource="sts.amazonaws.com",
            eventName="AssumeRoot",
            eventType="AwsApiCall",
            readOnly=False,
            requestParameters={
                "targetPrincipal": draw(st.sampled_from(CT_ACCOUNTS)),
                "taskPolicyArn": {
                    "arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
                },
            },
            responseElements={
                "credentials": {"accessKeyId": "ASIAIOSFODNN7EXAMPLE", "sessionToken": "x"}
            },
        )
    else:
        source, name, read_only = draw(
            st.sampled_from(
                [
                    ("iam.amazonaws.com", "CreateUser", False),
                    ("s3.amazonaws.com", "ListBuckets", True),
                    ("ec2.amazonaws.com", "RunInstances", False),
                    ("sts.amazonaws.com", "GetSessionToken", True),
                ]
            )
        )
        record.update(eventSource=source, eventName=name, readOnly=read_only)
        if draw(st.booleans()):
            record["eventType"] = "AwsApiCall"
        if draw(st.integers(0, 3)) == 0:
            record["errorCode"] = "AccessDenied"
            record["errorMessage"] = "denied"
        if draw(st.integers(0, 3)) == 0:
            record["sessionCredentialFromConsole"] = draw(st.sampled_from(["true", "false"]))
    if draw(st.booleans()):
        record["someFutureField"] = draw(ct_json_values)
    return record


def ct_wrap(record: dict[str, Any], how: str) -> dict[str, Any]:
    """``record`` as delivered by EventBridge (``how="eventbridge"``), by LookupEvents
    (``"lookup"``) or as is (``"raw"``)."""
    import json

    if how == "eventbridge":
        return {
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.iam",
            "account": record.get("recipientAccountId", "111122223333"),
            "time": record.get("eventTime"),
            "region": record.get("awsRegion"),
            "resources": [],
            "detail": record,
        }
    if how == "lookup":
        return {
            "EventId": record.get("eventID"),
            "EventName": record.get("eventName"),
            "ReadOnly": "false",
            "EventTime": datetime(2024, 1, 1, tzinfo=timezone.utc),
            "EventSource": record.get("eventSource"),
            "Resources": [],
            "CloudTrailEvent": json.dumps(record),
        }
    return record


# ---------------------------------------------------------------------------------------
# Account snapshots for posture evaluation (rootguard._posture)
# ---------------------------------------------------------------------------------------

from rootguard import _snapshot as _ps  # noqa: E402
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN as _PS_CIS  # noqa: E402

PS_ACCOUNT = "111122223333"
_PS_REGIONS = ("us-east-1", "eu-west-1")
_PS_NOW = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)
_PS_TOPICS = (
    *(f"arn:aws:sns:{r}:{PS_ACCOUNT}:alerts" for r in _PS_REGIONS),
    "arn:aws:sns:us-east-1:444455556666:central",
    "not-an-arn",
)
_PS_LOG_GROUP_ARNS = (
    f"arn:aws:logs:us-east-1:{PS_ACCOUNT}:log-group:trail-logs:*",
    f"arn:aws:logs:eu-west-1:{PS_ACCOUNT}:log-group:trail-logs:*",
    "arn:aws:logs:us-east-1:444455556666:log-group:org:*",
    "garbage",
)
_PS_FILTER_PATTERNS = (
    _PS_CIS,
    '{ $.userIdentity.type = "Root" }',
    '{ $.userIdentity.type = "Root" || $.eventType != "AwsServiceEvent" }',
    '{ $.userIdentity.type = "Root" && }',
    "",
    "ERROR",
    '{ $.eventName = "ConsoleLogin" && $.userIdentity.type = "Root" }',
)
_PS_EVENT_PATTERNS = (
    '{"detail": {"userIdentity": {"type": ["Root"]}}}',
    '{"source": ["aws.signin"]}',
    '{"detail-type": ["AWS API Call via CloudTrail"]}',
    '{"detail": "Root"}',
    "not json",
    "{}",
)
_PS_POLICIES = (
    None,
    "{",
    '{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"}}',
    '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Condition": '
    '{"StringEquals": {"AWS:SourceOwner": "111122223333"}}}]}',
    '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}}]}',
    '{"Statement": "nonsense"}',
    "[]",
)
_PS_SELECTORS: tuple[Any, ...] = (
    None,
    [],
    [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    [{"ReadWriteType": "ReadOnly"}],
    [{"ReadWriteType": "Bogus", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}],
    [{"Name": "x", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}],
    [{"Name": "x", "FieldSelectors": "oops"}],
    [{"Name": "x", "FieldSelectors": ["oops", {"Field": 3, "Equals": "Management"}]}],
)
_PS_OPS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    None,
)


def _ps_model(cls: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``cls(**drawn fields)``: only the given fields (``st.builds`` would also fill the
    snapshot models' required alias parameters with values of its own)."""
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


ps_gaps = _ps_model(
    _ps.Gap,
    service=st.sampled_from(["iam", "cloudtrail", "logs", "cloudwatch", "sns", "events", "config"]),
    operation=st.sampled_from(
        ["ListRules", "GetTrailStatus", "DescribeAlarms", "GetCredentialReport"]
    ),
    region=st.sampled_from([None, *_PS_REGIONS]),
    error_code=st.sampled_from(["AccessDenied", "OptInRequired", "Throttling"]),
    resource=st.sampled_from([None, _PS_TOPICS[0]]),
)


def _ps_cell(choices: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(choices)


_PS_DATES = ("N/A", "no_information", "2024-05-31T10:00:00+00:00", "2019-01-01T00:00:00+00:00")


@st.composite
def ps_credential_reports(draw: st.DrawFn) -> _ps.CredentialReportData:
    """A credential report text: usually valid, with random root-row states; or garbage."""
    if draw(st.integers(0, 9)) == 0:
        return _ps.CredentialReportData(content=draw(st.text(max_size=40)))
    cells = dict.fromkeys(COLUMNS, "N/A")
    cells.update(
        user=draw(st.sampled_from(["<root_account>", "alice"])),
        arn=f"arn:aws:iam::{PS_ACCOUNT}:root",
        user_creation_time="2019-01-01T00:00:00+00:00",
        password_enabled="not_supported",
        password_last_used=draw(_ps_cell(_PS_DATES)),
        password_last_changed="not_supported",
        password_next_rotation="not_supported",
        mfa_active=draw(_ps_cell(("true", "false"))),
        access_key_1_active=draw(_ps_cell(("true", "false"))),
        access_key_1_last_used_date=draw(_ps_cell(_PS_DATES)),
        access_key_2_active=draw(_ps_cell(("true", "false"))),
        access_key_2_last_used_date=draw(_ps_cell(_PS_DATES)),
        cert_1_active=draw(_ps_cell(("true", "false"))),
        cert_2_active=draw(_ps_cell(("true", "false"))),
    )
    for key in ("access_key_1_last_used_date", "access_key_2_last_used_date"):
        if cells[key] == "no_information":
            cells[key] = "N/A"
    text = ",".join(COLUMNS) + "\n" + ",".join(cells[c] for c in COLUMNS)
    return _ps.CredentialReportData(content=text, generated_at=_PS_NOW)


@st.composite
def ps_trails(draw: st.DrawFn) -> _ps.Trail:
    region = draw(st.sampled_from(_PS_REGIONS))
    name = draw(st.sampled_from(["main", "org", "local"]))
    account = draw(st.sampled_from([PS_ACCOUNT, "444455556666"]))
    return _ps.Trail(
        name=name,
        trail_arn=f"arn:aws:cloudtrail:{region}:{account}:trail/{name}",
        home_region=region,
        is_multi_region_trail=draw(st.booleans()),
        is_organization_trail=draw(st.booleans()),
        log_file_validation_enabled=draw(st.booleans()),
        cloud_watch_logs_log_group_arn=draw(st.sampled_from([None, *_PS_LOG_GROUP_ARNS])),
        is_logging=draw(st.sampled_from([None, True, False])),
        latest_cloud_watch_logs_delivery_time=draw(
            st.sampled_from([None, _PS_NOW - timedelta(hours=1), _PS_NOW - timedelta(days=3)])
        ),
        latest_cloud_watch_logs_delivery_error=draw(st.sampled_from([None, "AccessDenied"])),
        event_selectors=draw(st.sampled_from(_PS_SELECTORS)),
        advanced_event_selectors=draw(st.sampled_from(_PS_SELECTORS)),
    )


_ps_metric = _ps_model(
    _ps.MetricTransformation,
    metric_name=st.sampled_from(["RootUsage", "Other"]),
    metric_namespace=st.sampled_from(["CIS", "Other"]),
    metric_value=st.sampled_from(["1", "0", "$.x", "2.5"]),
    default_value=st.sampled_from([None, 0.0]),
)
_ps_filters = _ps_model(
    _ps.MetricFilter,
    filter_name=st.sampled_from(["a", "b"]),
    log_group_name=st.just("trail-logs"),
    filter_pattern=st.sampled_from(_PS_FILTER_PATTERNS),
    metric_transformations=st.lists(_ps_metric, max_size=2),
)
_ps_log_groups = _ps_model(
    _ps.LogGroup,
    log_group_name=st.sampled_from(["trail-logs", "other"]),
    metric_filters=st.none() | st.lists(_ps_filters, max_size=2),
)
_ps_alarms = _ps_model(
    _ps.Alarm,
    alarm_name=st.sampled_from(["root", "other"]),
    metric_name=st.sampled_from([None, "RootUsage", "Other"]),
    namespace=st.sampled_from([None, "CIS"]),
    statistic=st.sampled_from([None, "Sum", "SampleCount", "Average", "p99"]),
    extended_statistic=st.sampled_from([None, "p99"]),
    evaluation_periods=st.sampled_from([None, 1, 3]),
    datapoints_to_alarm=st.sampled_from([None, 1, 2]),
    threshold=st.sampled_from([None, 0.0, 1.0, 5.0, float("nan")]),
    comparison_operator=st.sampled_from(_PS_OPS),
    treat_missing_data=st.sampled_from([None, "breaching", "notBreaching"]),
    actions_enabled=st.booleans(),
    alarm_actions=st.lists(st.sampled_from(_PS_TOPICS), max_size=2),
    metrics=st.sampled_from(
        [
            None,
            [],
            [
                {
                    "Id": "m1",
                    "MetricStat": {
                        "Metric": {"MetricName": "RootUsage", "Namespace": "CIS"},
                        "Stat": "Sum",
                    },
                }
            ],
            [{"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}],
        ]
    ),
)
_ps_subscriptions = _ps_model(
    _ps.SnsSubscription,
    subscription_arn=st.sampled_from(["PendingConfirmation", f"{_PS_TOPICS[0]}:abc", "Deleted"]),
    protocol=st.sampled_from(["email", "lambda"]),
)


@st.composite
def ps_topics(draw: st.DrawFn) -> _ps.SnsTopic:
    arn = draw(st.sampled_from(_PS_TOPICS[:2]))
    return _ps.SnsTopic(
        topic_arn=arn,
        region=arn.split(":")[3],
        policy=draw(st.sampled_from(_PS_POLICIES)),
        subscriptions=draw(st.none() | st.lists(_ps_subscriptions, max_size=2)),
    )


_PS_TARGET_ARNS = (
    *_PS_TOPICS,
    f"arn:aws:lambda:us-east-1:{PS_ACCOUNT}:function:f",
    f"arn:aws:events:us-east-1:{PS_ACCOUNT}:event-bus/default",
    f"arn:aws:events:eu-west-1:{PS_ACCOUNT}:event-bus/default",
    f"arn:aws:logs:us-east-1:{PS_ACCOUNT}:log-group:x",
)


@st.composite
def ps_rules(draw: st.DrawFn, region: str) -> _ps.EventRule:
    name = draw(st.sampled_from(["r1", "r2"]))
    targets = st.lists(
        _ps_model(_ps.EventTarget, id=st.just("t"), arn=st.sampled_from(_PS_TARGET_ARNS)),
        max_size=2,
    )
    return _ps.EventRule(
        name=name,
        arn=f"arn:aws:events:{region}:{PS_ACCOUNT}:rule/{name}",
        region=region,
        state=draw(st.sampled_from([None, "ENABLED", "DISABLED"])),
        event_pattern=draw(st.sampled_from([None, *_PS_EVENT_PATTERNS])),
        targets=draw(st.none() | targets),
    )


@st.composite
def ps_regions(draw: st.DrawFn, region: str) -> _ps.RegionSnapshot:
    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.none() | st.lists(strategy, max_size=2))

    return _ps.RegionSnapshot(
        region=region,
        log_groups=maybe(_ps_log_groups),
        alarms=maybe(_ps_alarms),
        topics=maybe(ps_topics()),
        event_rules=maybe(ps_rules(region)),
        config_recorders=maybe(
            _ps_model(
                _ps.ConfigRecorder,
                name=st.just("default"),
                region=st.just(region),
                recording_group=st.sampled_from(
                    [
                        None,
                        {"allSupported": True, "includeGlobalResourceTypes": True},
                        {"recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}},
                    ]
                ),
                recording=st.sampled_from([None, True, False]),
            )
        ),
        config_rules=maybe(
            _ps_model(
                _ps.ConfigRule,
                config_rule_name=st.just("r"),
                region=st.just(region),
                source_owner=st.sampled_from([None, "AWS", "CUSTOM_LAMBDA"]),
                source_identifier=st.sampled_from(
                    [None, "ROOT_ACCOUNT_MFA_ENABLED", "IAM_ROOT_ACCESS_KEY_CHECK"]
                ),
            )
        ),
    )


@st.composite
def account_snapshots(draw: st.DrawFn) -> _ps.AccountSnapshot:
    """Snapshots mixing good, broken, missing (None) and garbage pieces, with gaps."""
    regions = draw(st.lists(st.sampled_from(_PS_REGIONS), unique=True, max_size=2))
    collected = draw(st.lists(st.sampled_from(_PS_REGIONS), unique=True, max_size=2))
    return _ps.AccountSnapshot(
        account_id=PS_ACCOUNT,
        collected_at=draw(st.sampled_from([None, _PS_NOW])),
        regions=regions,
        credential_report=draw(st.none() | ps_credential_reports()),
        account_summary=draw(
            st.none()
            | st.fixed_dictionaries(
                {},
                optional={
                    "AccountMFAEnabled": st.integers(0, 1),
                    "AccountAccessKeysPresent": st.integers(0, 2),
                    "AccountSigningCertificatesPresent": st.integers(0, 2),
                },
            )
        ),
        virtual_mfa_devices=draw(
            st.none()
            | st.lists(
                _ps_model(
                    _ps.VirtualMfaDevice,
                    serial_number=st.just("arn:aws:iam::111122223333:mfa/x"),
                    user_arn=st.sampled_from(
                        [None, "arn:aws:iam::111122223333:root", "arn:aws:iam::1:user/rooty"]
                    ),
                ),
                max_size=2,
            )
        ),
        organization=draw(
            st.none()
            | _ps_model(
                _ps.OrganizationInfo,
                in_organization=st.sampled_from([None, True, False]),
                root_features=st.none()
                | st.lists(
                    st.sampled_from(["RootCredentialsManagement", "RootSessions"]), max_size=2
                ),
                root_features_error=st.sampled_from([None, "AccessDenied"]),
            )
        ),
        trails=draw(st.none() | st.lists(ps_trails(), max_size=3)),
        region_data={r: draw(ps_regions(r)) for r in collected},
        gaps=draw(st.lists(ps_gaps, max_size=3)),
    )


# ---------------------------------------------------------------------------------------
# Remediation planning (rootguard._remediation): partial, partly broken root-alerting chains
# ---------------------------------------------------------------------------------------

_RM_ACCOUNT = "111122223333"
_RM_REGIONS = ("us-east-1", "eu-west-1")


def _rm_none_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A collected list, or None (the call was denied: a gap)."""
    return st.one_of(st.none(), strategy)


@st.composite
def rm_snapshots(draw: st.DrawFn) -> Any:
    """AccountSnapshots with any subset of the root-alerting chain, some pieces broken,
    some lists not collected (None)."""
    from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
    from rootguard._snapshot import (
        AccountSnapshot,
        Alarm,
        ConfigRecorder,
        ConfigRule,
        EventRule,
        EventTarget,
        LogGroup,
        MetricFilter,
        MetricTransformation,
        RegionSnapshot,
        SnsSubscription,
        SnsTopic,
        Trail,
    )

    acct = _RM_ACCOUNT
    home = "us-east-1"
    group = draw(st.sampled_from(["user-logs", "rootguard-cloudtrail"]))
    group_arn = f"arn:aws:logs:{home}:{acct}:log-group:{group}:*"
    trails = []
    for i in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(["rootguard", f"user-{i}", "org"]))
        owner = draw(st.sampled_from([acct, acct, "444455556666"]))
        trails.append(
            Trail(
                name=name,
                trail_arn=f"arn:aws:cloudtrail:{home}:{owner}:trail/{name}-{i}",
                home_region=draw(st.sampled_from([home, home, "eu-west-1"])),
                is_multi_region_trail=draw(st.booleans()),
                is_organization_trail=owner != acct,
                include_global_service_events=draw(st.booleans()),
                log_file_validation_enabled=draw(st.booleans()),
                cloud_watch_logs_log_group_arn=draw(st.sampled_from([None, group_arn])),
                is_logging=draw(st.sampled_from([True, False, None])),
                event_selectors=draw(
                    st.sampled_from(
                        [
                            None,
                            [],
                            [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
                            [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
                            [{"ReadWriteType": "All"}] * 5,
                        ]
                    )
                ),
                advanced_event_selectors=draw(
                    st.sampled_from(
                        [
                            None,
                            [
                                {
                                    "Name": "m",
                                    "FieldSelectors": [
                                        {"Field": "eventCategory", "Equals": ["Management"]}
                                    ],
                                }
                            ],
                        ]
                    )
                ),
            )
        )
    topic_arn = f"arn:aws:sns:{home}:{acct}:" + draw(
        st.sampled_from(["rootguard-root-activity", "user-alerts"])
    )
    subs = draw(
        _rm_none_or(
            st.lists(
                st.builds(
                    SnsSubscription,
                    subscription_arn=st.sampled_from(
                        ["PendingConfirmation", f"{topic_arn}:0f1e2d3c-aaaa-bbbb-cccc-1"]
                    ),
                    protocol=st.just("email"),
                    endpoint=st.sampled_from(["a@example.com", "secops@example.com"]),
                ),
                max_size=2,
            )
        )
    )
    policy = draw(
        st.sampled_from(
            [
                None,
                '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish"}]}',
                "not json",
            ]
        )
    )
    topic_key = draw(st.sampled_from([None, None, "alias/aws/sns", "alias/custom"]))

    def region(name: str) -> RegionSnapshot:
        filters = draw(
            _rm_none_or(
                st.lists(
                    st.builds(
                        MetricFilter,
                        filter_name=st.sampled_from(["rootguard-root-account-usage", "user"]),
                        log_group_name=st.just(group),
                        filter_pattern=st.sampled_from(
                            [CIS_ROOT_FILTER_PATTERN, '{ $.userIdentity.type = "Root" }', "{"]
                        ),
                        metric_transformations=st.just(
                            [MetricTransformation(metric_name="M", metric_namespace="N")]
                        ),
                    ),
                    max_size=2,
                )
            )
        )
        return RegionSnapshot(
            region=name,
            log_groups=draw(
                _rm_none_or(
                    st.just([LogGroup(log_group_name=group, metric_filters=filters)]) | st.just([])
                )
            ),
            alarms=draw(
                _rm_none_or(
                    st.lists(
                        st.builds(
                            Alarm,
                            alarm_name=st.sampled_from(["rootguard-root-account-usage", "user"]),
                            metric_name=st.sampled_from(["M", "RootAccountUsage"]),
                            namespace=st.sampled_from(["N", "RootGuard"]),
                            statistic=st.just("Sum"),
                            threshold=st.sampled_from([1.0, 5.0]),
                            comparison_operator=st.just("GreaterThanOrEqualToThreshold"),
                            alarm_actions=st.sampled_from([[], [topic_arn]]),
                        ),
                        max_size=2,
                    )
                )
            ),
            topics=draw(
                _rm_none_or(
                    st.just(
                        [
                            SnsTopic(
                                topic_arn=topic_arn,
                                region=name,
                                policy=policy,
                                kms_master_key_id=topic_key,
                                subscriptions=subs,
                            )
                        ]
                    )
                    | st.just([])
                )
            ),
            event_rules=draw(
                _rm_none_or(
                    st.lists(
                        st.builds(
                            EventRule,
                            name=st.sampled_from(["rootguard-root-activity", "user"]),
                            arn=st.just(f"arn:aws:events:{name}:{acct}:rule/x"),
                            region=st.just(name),
                            state=st.sampled_from(["ENABLED", "DISABLED"]),
                            event_pattern=st.sampled_from(
                                [
                                    '{"detail-type":["AWS API Call via CloudTrail",'
                                    '"AWS Console Sign In via CloudTrail"],'
                                    '"detail":{"userIdentity":{"type":["Root"]}}}',
                                    '{"source":["aws.iam"]}',
                                    "[",
                                ]
                            ),
                            targets=_rm_none_or(
                                st.lists(
                                    st.builds(
                                        EventTarget,
                                        id=st.just("t"),
                                        arn=st.sampled_from(
                                            [
                                                topic_arn,
                                                f"arn:aws:events:{home}:{acct}:event-bus/default",
                                            ]
                                        ),
                                        role_arn=st.sampled_from([None, "arn:aws:iam::1:role/r"]),
                                    ),
                                    max_size=1,
                                )
                            ),
                        ),
                        max_size=2,
                    )
                )
            ),
            config_recorders=draw(
                _rm_none_or(
                    st.lists(
                        st.builds(
                            ConfigRecorder,
                            name=st.just("default"),
                            region=st.just(name),
                            recording=st.sampled_from([True, False, None]),
                            recording_group=st.sampled_from(
                                [
                                    None,
                                    {"allSupported": True, "includeGlobalResourceTypes": False},
                                    {"allSupported": False, "resourceTypes": ["AWS::EC2::VPC"]},
                                    {"allSupported": False, "resourceTypes": ["AWS::IAM::User"]},
                                ]
                            ),
                        ),
                        max_size=1,
                    )
                )
            ),
            config_rules=draw(
                _rm_none_or(
                    st.lists(
                        st.builds(
                            ConfigRule,
                            config_rule_name=st.just("r"),
                            region=st.just(name),
                            source_owner=st.just("AWS"),
                            source_identifier=st.sampled_from(
                                ["ROOT_ACCOUNT_MFA_ENABLED", "IAM_ROOT_ACCESS_KEY_CHECK"]
                            ),
                            config_rule_state=st.sampled_from(["ACTIVE", "DELETING"]),
                        ),
                        max_size=2,
                    )
                )
            ),
            delivery_channels=draw(_rm_none_or(st.just([]))),
        )

    return AccountSnapshot(
        account_id=acct,
        regions=list(_RM_REGIONS),
        trails=draw(st.sampled_from([None, trails, trails])),
        account_summary=draw(
            st.sampled_from(
                [
                    None,
                    {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1},
                    {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
                ]
            )
        ),
        region_data={r: region(r) for r in _RM_REGIONS},
    )


@st.composite
def rm_unread_one(draw: st.DrawFn) -> Any:
    """(snapshot, label, the same snapshot with one collection it had read made unread:
    None plus the Gap collect() records; see tests.snapshot_builders.single_faults)."""
    from tests.snapshot_builders import single_faults

    snapshot = draw(rm_snapshots())
    faults = single_faults(snapshot)  # never empty: every region can be lost
    label, faulty = draw(st.sampled_from(faults))
    return snapshot, label, faulty


# ---------------------------------------------------------------------------------------
# CloudTrail log files for the archive scanner (rootguard._fastscan, rootguard._archive)
# ---------------------------------------------------------------------------------------

# Whole words that may be spelled with \u escapes inside JSON strings: decoded, they are the
# same text, but their bytes no longer contain the word (what a byte prefilter would miss).
_AS_ESCAPABLE = (
    ('"Root"', '"R\\u006fot"'),
    ('"AssumeRoot"', '"Assume\\u0052oot"'),
    ('"FederatedUser"', '"Federated\\u0055ser"'),
    ('"type"', '"typ\\u0065"'),
    ('"userIdentity"', '"user\\u0049dentity"'),
    ('"eventName"', '"eventN\\u0061me"'),
    ('"detail"', '"d\\u0065tail"'),
)


def as_escape(text: str, which: list[int]) -> str:
    """``text`` (JSON) with the chosen words spelled with ``\\u`` escapes (still valid JSON)."""
    for index in which:
        plain, escaped = _AS_ESCAPABLE[index]
        text = text.replace(plain, escaped)
    return text


as_records = st.one_of(
    ct_records(),
    ct_records(),
    st.tuples(ct_records(), st.sampled_from(["eventbridge", "lookup"])).map(
        lambda pair: (
            ct_wrap(pair[0], pair[1])
            if pair[1] == "eventbridge"
            else {**ct_wrap(pair[0], pair[1]), "EventTime": "2024-01-01T00:00:00Z"}
        )
    ),
    st.dictionaries(st.sampled_from(_CT_KEYS) | st.text(max_size=5), ct_record_like, max_size=4),
)


@st.composite
def as_log_files(draw: st.DrawFn) -> bytes:
    """A CloudTrail log file as bytes: compact (as CloudTrail writes it) or spaced, some
    words escaped, non-ASCII escaped or not, gzip-compressed or not."""
    import gzip
    import json

    records = draw(st.lists(as_records, max_size=8))
    document: dict[str, Any] = {"Records": records}
    if draw(st.booleans()):
        document = {"Records": records, "eventVersion": "extra top-level key"}
    style = draw(st.sampled_from(["compact", "spaced", "indented"]))
    ensure_ascii = draw(st.booleans())
    if style == "compact":
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=ensure_ascii)
    elif style == "spaced":
        text = json.dumps(document, ensure_ascii=ensure_ascii)
    else:
        text = json.dumps(document, indent=2, ensure_ascii=ensure_ascii)
    text = as_escape(
        text, draw(st.lists(st.integers(0, len(_AS_ESCAPABLE) - 1), max_size=4, unique=True))
    )
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = gzip.compress(data, mtime=0)
    return data


@st.composite
def as_damaged_files(draw: st.DrawFn) -> bytes:
    """A log file, then damaged: truncated, a byte changed, bytes inserted, garbage around,
    a byte-order mark, NaN, a non-object record, no Records ... or arbitrary bytes."""
    import gzip

    data = draw(as_log_files())
    how = draw(
        st.sampled_from(
            [
                "truncate",
                "flip",
                "insert",
                "prefix",
                "suffix",
                "bom",
                "nan",
                "raw",
                "digest",
                "not_object",
                "records_scalar",
                "record_scalar",
                "gzip_of_damaged",
            ]
        )
    )
    if how == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        index = draw(st.integers(0, len(data) - 1))
        return data[:index] + bytes([draw(st.integers(0, 255))]) + data[index + 1 :]
    if how == "insert":
        index = draw(st.integers(0, len(data)))
        return data[:index] + draw(st.binary(min_size=1, max_size=4)) + data[index:]
    if how == "prefix":
        return draw(st.sampled_from([b" ", b"\n", b"x", b"\x00", b"\xff"])) + data
    if how == "suffix":
        return data + draw(st.sampled_from([b" \n", b"x", b"]", b"\x00", b"{}"]))
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "nan":
        return b'{"Records":[{"eventName":"X","n":NaN,"userIdentity":{"type":"Root"}}]}'
    if how == "raw":
        return draw(st.binary(max_size=64))
    if how == "digest":
        return b'{"awsAccountId":"111122223333","digestStartTime":"2024-01-01T00:00:00Z",' + (
            b'"logFiles":[]}'
        )
    if how == "not_object":
        return draw(st.sampled_from([b"[]", b"1", b'"Records"', b"null"]))
    if how == "records_scalar":
        return draw(st.sampled_from([b'{"Records":1}', b'{"Records":null}', b'{"Records":{}}']))
    if how == "record_scalar":
        return draw(
            st.sampled_from([b'{"Records":[1]}', b'{"Records":[{}, null]}', b'{"Records":[[]]}'])
        )
    # gzip_of_damaged: damaged JSON, properly compressed
    inner = draw(st.binary(max_size=32))
    return gzip.compress(b'{"Records":[' + inner, mtime=0)


# ---------------------------------------------------------------------------------------
# Organization reports (rootguard._org_report)
# ---------------------------------------------------------------------------------------

ORG_MEMBER_ACCOUNT = "222233334444"


@st.composite
def org_judgement_cases(draw: st.DrawFn) -> tuple[_ps.AccountSnapshot, list[_ps.Trail]]:
    """A member's snapshot (any state) and the organization trails of the organization."""
    snapshot = draw(account_snapshots()).model_copy(update={"account_id": ORG_MEMBER_ACCOUNT})
    trails = [
        t.model_copy(update={"is_organization_trail": True})
        for t in draw(st.lists(ps_trails(), max_size=2))
    ]
    return snapshot, trails


# ---------------------------------------------------------------------------------------
# Hostile input for the pattern engines (rootguard._filter_pattern, rootguard._event_pattern)
# ---------------------------------------------------------------------------------------

# Pieces of AWS's %regex% subset, weighted towards what makes backtracking engines explode
# (nested and adjacent repeats, counted repeats, alternation) and towards what the
# translator must reject or rewrite (escapes, braces that are not quantifiers, classes).
_FP_REGEX_PIECES = (
    "a", "b", "#", ":", " ", ".", "^", "$", "|", "?", "*", "+", "*?", "+?", "??",
    "{2}", "{0,3}", "{,4}", "{3,}", "{,}", "{", "}", "{x}", "{99999}", "{3,1}",
    "[ab]", "[^a]", "[a-z]", "[z-a]", "[]a]", "[", "]", "[\\d-]", "[a-\\d]",
    "\\d", "\\D", "\\s", "\\S", "\\w", "\\W", "\\x3A", "\\x4", "\\.", "\\[", "\\\\",
    "\\b", "\\1", "\\", "(", ")", "!", "é", "a*a*", ".*.*", "(a|a)*",
)  # fmt: skip
fp_regex_bodies = st.lists(st.sampled_from(_FP_REGEX_PIECES), max_size=24).map("".join)
"""Text for the inside of a %regex%: valid, invalid and pathological."""

fp_hostile_values = st.one_of(
    st.text(alphabet="ab#: ", max_size=3000),
    st.integers(0, 12_000).map(lambda n: "a" * n),
    st.text(max_size=50),
)
"""Log-event values that make backtracking regexes slow: long runs over a tiny alphabet."""


@st.composite
def fp_hostile_patterns(draw: st.DrawFn) -> str:
    """A filter pattern built around one or more %regex% bodies (and sometimes padded past
    AWS's 1024-character limit)."""
    body = draw(fp_regex_bodies)
    shape = draw(st.sampled_from(["standalone", "json", "json2", "delimited", "padded"]))
    if shape == "standalone":
        return f"%{body}%"
    if shape == "json":
        return f"{{ $.a = %{body}% }}"
    if shape == "json2":
        other = draw(fp_regex_bodies)
        return f"{{ $.a = %{body}% || $.b != %{other}% }}"
    if shape == "delimited":
        return f"[a, b = %{body}%]"
    return "{ $.a = %" + body + "% || " + " || ".join(["$.b = 1"] * 130) + " }"


# -- event patterns -------------------------------------------------------------------------

_EP_DOT_NAMES = ("a", "b", "c")


@st.composite
def ep_nested_patterns(draw: st.DrawFn, depth: int = 3) -> dict[str, Any]:
    """A pattern of nested objects (no dotted keys) over a few names, with string leaves."""
    fields = draw(st.lists(st.sampled_from(_EP_DOT_NAMES), min_size=1, max_size=2, unique=True))
    pattern: dict[str, Any] = {}
    for name in fields:
        if depth > 1 and draw(st.booleans()):
            pattern[name] = draw(ep_nested_patterns(depth - 1))
        else:
            pattern[name] = draw(
                st.lists(st.sampled_from(["x", "y", 1]), min_size=1, max_size=2, unique=True)
            )
    return pattern


@st.composite
def ep_dotted(draw: st.DrawFn, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with some nested objects folded into dotted keys (``{"a": {"b": v}}`` ->
    ``{"a.b": v}``): the same field paths, as EventBridge joins them."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            inner = draw(ep_dotted(value))
            if len(inner) == 1 and draw(st.booleans()):
                ((sub, sub_value),) = inner.items()
                out[f"{key}.{sub}"] = sub_value
                continue
            out[key] = inner
        else:
            out[key] = value
    return out


@st.composite
def ep_events_for_nested(draw: st.DrawFn, pattern: dict[str, Any]) -> dict[str, Any]:
    """An event shaped like ``pattern`` (nested objects), with leaf values drawn near the
    pattern's values, and sometimes a missing field."""
    event: dict[str, Any] = {}
    for key, value in pattern.items():
        if draw(st.integers(0, 9)) == 0:
            continue
        if isinstance(value, dict):
            event[key] = draw(ep_events_for_nested(value))
        else:
            event[key] = draw(st.sampled_from([*value, "z", 2]))
    return event


ep_cidr_blocks = st.builds(
    lambda version, address, bits: (
        f"{ipaddress.ip_address(address % (1 << 32))}/{bits % 33}"
        if version == 4
        else f"{ipaddress.ip_address(address % (1 << 128) | (1 << 127))}/{bits % 129}"
    ),
    st.sampled_from([4, 4, 4, 6]),
    st.integers(0, (1 << 128) - 1),
    st.integers(0, 128),
)
"""CIDR blocks, host bits sometimes set (AWS's range then starts at the written address)."""

ep_ip_texts = st.one_of(
    st.integers(0, (1 << 32) - 1).map(lambda n: str(ipaddress.IPv4Address(n))),
    st.integers(0, (1 << 128) - 1).map(lambda n: str(ipaddress.IPv6Address(n))),
    st.sampled_from(["10.0.0.1", "::ffff:a00:1", "not-an-ip", "1.2.3", ":" * 60 + "g"]),
)

_EP_GLOB_PIECES = ("a", "b", "ab", "ba", ".", "x/", "")
ep_globs = st.lists(st.sampled_from(_EP_GLOB_PIECES), min_size=1, max_size=4).map("*".join)
"""Wildcard operands: literal pieces over a tiny alphabet joined by single stars."""
ep_glob_values = st.text(alphabet="abx./", max_size=12)


# ---------------------------------------------------------------------------------------
# Service control policies (rootguard._scp)
# ---------------------------------------------------------------------------------------

SCP_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "ArnEquals",
    "ArnLike",
    "ArnNotLike",
    "ArnNotEquals",
    "Bool",
    "Null",
    "NumericLessThan",
    "DateGreaterThan",
    "IpAddress",
    "NotIpAddress",
    "BinaryEquals",
    "StringLikeIfExists",
    "ArnNotLikeIfExists",
    "ForAnyValue:StringLike",
    "ForAllValues:StringNotEquals",
    "ForAnyValue:ArnLike",
    "StringEqualz",  # not an operator
    "ForSomeValues:StringLike",  # not a qualifier
)
SCP_KEYS = (
    "aws:PrincipalArn",
    "aws:principalarn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:userid",
    "aws:AssumedRoot",
    "aws:PrincipalTag/team",
    "aws:RequestedRegion",
    "aws:SourceIp",
    "aws:PrincipalOrgID",
)
SCP_VALUES = (
    "arn:aws:iam::*:root",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::${aws:PrincipalAccount}:root",
    "arn:aws:iam::*:role/*",
    "arn:*:iam::*:*",
    "${aws:username}",
    "${*}",
    "111122223333",
    "Account",
    "true",
    "false",
    "10.0.0.0/8",
    "us-east-1",
    "*",
    "",
)
SCP_ACTIONS = ("*", "iam:*", "iam:CreateUser", "s3:Get*", "*:*", "sts:GetSessionToken", "ec2:?un*")

scp_values = st.one_of(
    st.sampled_from(SCP_VALUES),
    st.text(max_size=12),
    st.booleans(),
    st.integers(-5, 5),
    st.lists(st.sampled_from(SCP_VALUES), max_size=3),
)
scp_conditions = st.dictionaries(
    st.sampled_from(SCP_OPERATORS),
    st.dictionaries(st.sampled_from(SCP_KEYS), scp_values, min_size=1, max_size=2),
    max_size=3,
)


@st.composite
def scp_statements(draw: st.DrawFn) -> dict[str, Any]:
    """A statement built from SCP elements — sometimes invalid on purpose."""
    statement: dict[str, Any] = {}
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(("", "DenyRoot", "x")))
    statement["Effect"] = draw(st.sampled_from(("Deny", "Deny", "Allow", "deny", None)))
    which = draw(st.sampled_from(("Action", "NotAction", "both", "neither")))
    actions = draw(st.one_of(st.sampled_from(SCP_ACTIONS), st.lists(st.sampled_from(SCP_ACTIONS))))
    if which in ("Action", "both"):
        statement["Action"] = actions
    if which in ("NotAction", "both"):
        statement["NotAction"] = actions
    resource = draw(st.sampled_from(("Resource", "NotResource", "none")))
    if resource != "none":
        statement[resource] = draw(
            st.sampled_from(("*", ["arn:aws:s3:::*"], "arn:aws:iam::*:*", ["*", "x"]))
        )
    if draw(st.booleans()):
        statement["Condition"] = draw(st.one_of(scp_conditions, ct_json_values))
    return statement


scp_policies = st.one_of(
    st.builds(
        lambda statements, version: {"Version": version, "Statement": statements},
        st.one_of(st.lists(scp_statements(), max_size=3), scp_statements()),
        st.sampled_from(("2012-10-17", "2008-10-17")),
    ),
    ct_json_values,
)
"""Policy-shaped documents (valid or not) and arbitrary JSON."""
# Log documents read one record at a time (rootguard._jsonstream)
# ---------------------------------------------------------------------------------------

_JS_WS = st.text(alphabet=" \t\n\r", max_size=2)
_JS_KEYS = st.sampled_from(["a", "Records", "logFiles", "eventName", "é", "\U0001f600", ""]) | (
    st.text(max_size=6)
)
js_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(['"', "\\", "\\u0041", "é", "\U0001f600", "\x00", "\ud800", "]}", "[{"])
)
# JSON values whose objects are lists of pairs, so that a key may repeat (json keeps the
# last value of a repeated key, at the place of the first).
js_trees = st.recursive(
    js_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(st.tuples(_JS_KEYS, children), max_size=4).map(lambda pairs: ("obj", pairs))
    ),
    max_leaves=18,
)


def _js_escape_a(match: re.Match[str]) -> str:
    return match.group(1) or "\\u0061"


def js_python(tree: Any) -> Any:
    """The value ``json.loads`` gives for the text of ``tree``."""
    if isinstance(tree, tuple):
        return {key: js_python(value) for key, value in tree[1]}
    if isinstance(tree, list):
        return [js_python(item) for item in tree]
    return tree


@st.composite
def js_render(draw: st.DrawFn, tree: Any) -> str:
    """``tree`` as JSON text, spaced at random with JSON's four whitespace characters,
    strings escaped (``ensure_ascii``) or not, and ``\\u``-escaped letters here and there."""
    import json

    def text(value: str) -> str:
        rendered = json.dumps(value, ensure_ascii=draw(st.booleans()))
        if draw(st.integers(0, 4)) == 0:  # spell "a" as an escape (not inside one)
            rendered = re.sub(r"(\\u[0-9a-fA-F]{4}|\\.)|a", _js_escape_a, rendered)
        return rendered

    def render(node: Any) -> str:
        ws = draw(_JS_WS)
        if isinstance(node, tuple):
            body = ",".join(
                f"{draw(_JS_WS)}{text(key)}{draw(_JS_WS)}:{render(value)}" for key, value in node[1]
            )
            return f"{ws}{{{body}{draw(_JS_WS)}}}"
        if isinstance(node, list):
            body = ",".join(render(item) for item in node)
            return f"{ws}[{body}{draw(_JS_WS)}]"
        if isinstance(node, str):
            return ws + text(node)
        return ws + json.dumps(node) + draw(_JS_WS)

    return render(tree)


@st.composite
def js_log_documents(draw: st.DrawFn) -> tuple[bytes, int, int]:
    """A log document as UTF-8 bytes, and, measured while rendering it, the size in bytes
    of its largest piece (a top-level key, a record, the value of another top-level key)
    and its number of records over every ``Records`` array.

    Mostly ``{"Records": [...]}``; also other top-level keys (digest keys among them), a
    second ``Records`` key, ``Records`` not an array, no ``Records``, not an object."""
    import json

    shapes = ["log", "log", "log", "extra_keys", "dup_records", "records_not_array"]
    shape = draw(st.sampled_from([*shapes, "no_records", "not_object"]))
    if shape == "not_object":
        text = draw(js_render(draw(js_trees.filter(lambda t: not isinstance(t, tuple)))))
        size = len(text.encode("utf-8", "surrogatepass"))
        return text.encode("utf-8", "surrogatepass"), size, 0
    pairs: list[tuple[str, Any]] = []
    arrays = {"log": 1, "extra_keys": 1, "dup_records": 2}.get(shape, 0)
    for _ in range(arrays):
        pairs.append(("Records", draw(st.lists(js_trees, max_size=6))))
    if shape == "records_not_array":
        pairs.append(("Records", draw(js_trees.filter(lambda t: not isinstance(t, list)))))
    if shape in ("extra_keys", "no_records", "records_not_array"):
        extra = st.tuples(_JS_KEYS.filter(lambda k: k != "Records"), js_trees)
        pairs[draw(st.integers(0, len(pairs))) : 0] = draw(st.lists(extra, max_size=3))
    largest = 0
    records = 0
    parts = []
    for key, value in pairs:
        key_text = json.dumps(key, ensure_ascii=draw(st.booleans()))
        largest = max(largest, len(key_text.encode("utf-8", "surrogatepass")))
        if key == "Records" and isinstance(value, list):
            items = [draw(js_render(item)).strip(" \t\n\r") for item in value]
            records += len(items)
            for item in items:
                largest = max(largest, len(item.encode("utf-8", "surrogatepass")))
            rendered = "[" + ",".join(f"{draw(_JS_WS)}{i}{draw(_JS_WS)}" for i in items) + "]"
        else:
            rendered = draw(js_render(value)).strip(" \t\n\r")
            largest = max(largest, len(rendered.encode("utf-8", "surrogatepass")))
        parts.append(f"{draw(_JS_WS)}{key_text}{draw(_JS_WS)}:{draw(_JS_WS)}{rendered}")
    text = draw(_JS_WS) + "{" + ",".join(parts) + draw(_JS_WS) + "}" + draw(_JS_WS)
    return text.encode("utf-8", "surrogatepass"), largest, records


@st.composite
def js_damaged_documents(draw: st.DrawFn) -> bytes:
    """A log document, damaged: cut, a byte changed, bytes inserted, a ``NaN`` or
    ``Infinity`` put in place of a value, or arbitrary bytes."""
    data = draw(js_log_documents())[0]
    how = draw(st.sampled_from(["cut", "flip", "insert", "constant", "raw"]))
    if how == "cut" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        index = draw(st.integers(0, len(data) - 1))
        return data[:index] + bytes([draw(st.integers(0, 255))]) + data[index + 1 :]
    if how == "insert":
        index = draw(st.integers(0, len(data)))
        piece = draw(st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b",", b":", b"\xff"]))
        return data[:index] + piece + data[index:]
    if how == "constant":
        constant = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity"]))
        for target in (b"null", b"true", b"false", b"0"):
            if target in data:
                return data.replace(target, constant, 1)
        return b'{"Records":[{"a":' + constant + b"}]}"
    return draw(st.binary(max_size=48))

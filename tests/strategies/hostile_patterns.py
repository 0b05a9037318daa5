"""Hostile input for the pattern engines (rootguard._filter_pattern, rootguard._event_pattern)."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import strategies as st

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

"""EventBridge event patterns (rootguard._event_pattern): patterns, matchers and the events
that match them."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

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

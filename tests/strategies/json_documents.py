"""Log documents read one record at a time (rootguard._jsonstream): JSON trees rendered with
any spacing and escapes, damaged documents."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

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

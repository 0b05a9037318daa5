"""The command line's configuration file: a :class:`~rootguard.Policy` in TOML.

``rootguard.toml`` (the whole file is the policy), or the ``[tool.rootguard]`` table of
``pyproject.toml``, found in the working directory — or the file ``--config`` names.
Every key is a field of :class:`~rootguard.Policy`; an unknown key is an error naming
the key (and where it is), never ignored.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from rootguard._errors import ParseError, PolicyError
from rootguard._posture._policy import Policy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["CONFIG_NAME", "find_config", "load_policy", "policy_from_mapping"]

CONFIG_NAME = "rootguard.toml"


def find_config(directory: Path) -> Path | None:
    """``rootguard.toml`` in ``directory``, else its ``pyproject.toml`` when that has a
    ``[tool.rootguard]`` table, else None."""
    own = directory / CONFIG_NAME
    if own.is_file():
        return own
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return pyproject  # load_policy reports what is wrong with it
        if "rootguard" in data.get("tool", {}):
            return pyproject
    return None


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def policy_from_mapping(data: Mapping[str, Any], *, source: str) -> Policy:
    """Validate a configuration table as a :class:`Policy`.

    Raises:
        ParseError: an unknown key (named, with where it is), or a value of the wrong
            type or out of range.
    """
    try:
        return Policy.model_validate(dict(data))
    except PolicyError as exc:
        loc, kind, message = exc.problems[0] if exc.problems else ((), "", str(exc))
        where = _where(loc)
        if kind == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            raise ParseError(
                f"unknown key {where!r}"
                + (f" (known keys: {', '.join(allowed)})" if allowed else ""),
                source=source,
            ) from None
        raise ParseError(f"{where}: {message}" if where else message, source=source) from None


def _allowed_keys(parent: tuple[int | str, ...]) -> list[str]:
    from rootguard._suppress import ExpectedActivity, Suppression

    names = [p for p in parent if isinstance(p, str)]
    if not names:
        return sorted(Policy.model_fields)
    models: dict[str, type[BaseModel]] = {
        "suppressions": Suppression,
        "expected_activity": ExpectedActivity,
    }
    model = models.get(names[-1])
    return sorted(model.model_fields) if model is not None else []


def load_policy(path: Path) -> Policy:
    """The policy in ``path``: a ``rootguard.toml``-style file, or for a file named
    ``pyproject.toml`` its ``[tool.rootguard]`` table (an empty policy when it has none).

    Raises:
        ParseError: the file cannot be read, is not TOML, or is not a valid policy.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(
            f"cannot read: {getattr(exc, 'strerror', None) or exc}", source=source
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"not valid TOML: {exc}", source=source) from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("rootguard", {})
        if not isinstance(table, Mapping):
            raise ParseError("[tool.rootguard] is not a table", source=source)
        return policy_from_mapping(table, source=f"{source} [tool.rootguard]")
    return policy_from_mapping(data, source=source)

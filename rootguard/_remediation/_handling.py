"""The apply machinery the handlers share (I/O): a handler reads the resource and
returns a :class:`Decision` (the mutating calls needed, none when satisfied).
Handlers are registered by action class (:func:`handles`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from rootguard._aws import ClientFactory, error_code
from rootguard._remediation._actions import ApiAction
from rootguard._remediation._outcomes import PendingConfirmation
from rootguard._remediation._plan import Plan

GLOBAL_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}

# ------------------------------------------------------------------------------ machinery


class Conflict(Exception):
    """The resource exists in a state rootguard must not change."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass
class Call:
    operation: str
    params: dict[str, Any]
    exists_codes: frozenset[str] = frozenset()
    """Error codes meaning "someone else already did it" → the action is unchanged."""
    exists_if: Callable[[ClientError], bool] | None = None
    """A finer test of the same, for codes that mean several things."""


@dataclass
class Decision:
    calls: list[Call] = field(default_factory=list)
    detail: str = ""
    after: Callable[[list[dict[str, Any]]], str | None] | None = None
    """Runs on the call responses; returns an extra detail (or raises Conflict)."""


class Context:
    def __init__(self, factory: ClientFactory, plan: Plan) -> None:
        self.factory = factory
        self.plan = plan
        self.pending: list[PendingConfirmation] = []

    def region(self, action: ApiAction) -> str:
        """Where the action's calls go (a global service: the partition's global region)."""
        return action.region or GLOBAL_REGION.get(self.plan.partition, "us-east-1")

    def factory_for(self, action: ApiAction) -> ClientFactory:
        """The client factory of the credentials the action's calls are made with (the
        caller's: :attr:`factory`; a context may hand out others for some actions)."""
        return self.factory

    def client(self, action: ApiAction) -> BaseClient:
        """The untyped client of the action's service, for the mutating calls (sent by
        operation name). A handler reads with the typed one:
        ``ctx.factory.client(a.service, ctx.region(a))`` (the action class's
        ``service`` is a literal), which is the same cached client."""
        return self.factory_for(action).client(action.service, self.region(action))


def client_error_code(exc: ClientError) -> str:
    return error_code(exc)


def _norm(value: Any) -> Any:
    """Policy documents compared by meaning: one-element lists are scalars, lists unordered."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def policy_document(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def merge_statements(current: Any, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with each of ``wanted``'s statements added or replaced by Sid."""
    base = dict(current) if isinstance(current, Mapping) else {"Version": "2012-10-17"}
    statements = base.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    merged = list(statements)
    for st in wanted.get("Statement") or []:
        sid = st.get("Sid")
        index = next(
            (
                i
                for i, have in enumerate(merged)
                if isinstance(have, Mapping) and have.get("Sid") == sid
            ),
            None,
        )
        if index is None:
            merged.append(st)
        elif _norm(merged[index]) != _norm(st):
            merged[index] = st
    base.setdefault("Version", wanted.get("Version", "2012-10-17"))
    base["Statement"] = merged
    return base


def same_document(a: Any, b: Any) -> bool:
    return bool(_norm(policy_document(a)) == _norm(policy_document(b)))


def missing_codes(exc: ClientError, *codes: str) -> bool:
    return bool(client_error_code(exc) in codes)


A = TypeVar("A", bound=ApiAction)

Handler = Callable[[Context, ApiAction], Decision]
"""Reads the resource an action names and decides the calls (none: already satisfied)."""

HANDLERS: dict[type[ApiAction], Handler] = {}
"""The handler of each API action class (filled by :func:`handles`)."""


def handles(
    action_class: type[A],
) -> Callable[[Callable[[Context, A], Decision]], Callable[[Context, A], Decision]]:
    """Register the decorated function as the handler of ``action_class``.

    The function takes the action as its own class (so ``a.service`` is a literal and
    ``ctx.factory.client(a.service, ...)`` the typed client); the registry holds a
    wrapper that accepts any API action and refuses one of another class.
    """

    def register(handler: Callable[[Context, A], Decision]) -> Callable[[Context, A], Decision]:
        if action_class in HANDLERS:  # pragma: no cover - a programming error
            raise TypeError(f"{action_class.__name__} already has a handler")

        def run(ctx: Context, action: ApiAction) -> Decision:
            if not isinstance(action, action_class):  # pragma: no cover - handler_for's job
                raise TypeError(f"{type(action).__name__} is not a {action_class.__name__}")
            return handler(ctx, action)

        HANDLERS[action_class] = run
        return handler

    return register


def handler_for(action: ApiAction) -> Handler | None:
    """The handler of the action's class (or of the nearest registered base class)."""
    return next((HANDLERS[c] for c in type(action).__mro__ if c in HANDLERS), None)

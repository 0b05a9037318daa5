"""Service control policies: does an SCP deny what a member account's root user does? (pure)

:func:`scp_denies_root` judges a policy by **evaluating** it — the way the metric-filter
check evaluates its pattern — for requests a member root would make, never by its name or
by comparing its text with a known policy. Each request of a fixed probe set (an action
and a resource in the member account: creating users and access keys, reading S3
objects, running instances, stopping CloudTrail, leaving the organization, an action of
a service rootguard does not know …) is evaluated against every ``Deny`` statement:
``Effect``, ``Action`` / ``NotAction`` (wildcards ``*`` and ``?``, case-insensitive),
``Resource`` / ``NotResource`` (wildcards, case-sensitive) and ``Condition``.

Conditions are evaluated against the request context of the member root signing in with
its own credentials (no ``sts:AssumeRoot``):

============================  ==============================================
``aws:PrincipalArn``          ``arn:<partition>:iam::<account>:root``
``aws:PrincipalAccount``      the account id
``aws:userid``                the account id
``aws:PrincipalType``         ``Account``
``aws:PrincipalIsAWSService`` ``false``
``aws:ViaAWSService``         ``false`` (a call the root user makes itself)
``aws:PrincipalOrgID``        the organization id, when given
absent                        ``aws:AssumedRoot``, ``aws:username``,
                              ``aws:FederatedProvider``, ``aws:PrincipalTag/*``
============================  ==============================================

Every other key depends on the request (its region, source IP, time …): a ``Deny`` that
needs such a key does not deny *every* root request, so it does not count, and the
verdict names the key (``depends_on``). The operators are AWS's: ``String*`` (``Like``
with ``*`` / ``?``), ``Arn*`` (each of the six ARN components matched on its own),
``Bool``, ``Null``, ``Numeric*``, ``Date*``, ``IpAddress`` / ``NotIpAddress``,
``BinaryEquals``; the ``IfExists`` suffix; the ``ForAnyValue:`` / ``ForAllValues:``
prefixes. A negated operator (``StringNotEquals``, ``ArnNotLike`` …) matches when the
key is absent, ``IfExists`` makes any operator match an absent key, ``ForAllValues``
matches an absent key and ``ForAnyValue`` does not. Policy variables (``${aws:...}``)
are replaced by the context's values (``${*}``, ``${?}``, ``${$}`` are the literal
characters); a value whose variable names an absent key matches nothing, one whose key
is unknown makes the condition depend on it.

A policy that is not a policy (not JSON, no ``Statement``, an ``Effect`` other than
``Allow`` / ``Deny``, ``Action`` and ``NotAction`` together, an unknown condition
operator …) raises :class:`~rootguard.ParseError`: AWS would have refused it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict

from rootguard._errors import ParseError

__all__ = [
    "PROBE_ACTIONS",
    "SESSION_PROBE_ACTIONS",
    "ScpRequest",
    "ScpVerdict",
    "evaluate_deny",
    "parse_policy",
    "root_request",
    "scp_denies_root",
]

MAX_POLICY_CHARS = 1_000_000
"""Longer policy texts are refused (AWS allows 5,120 characters per SCP)."""

PROBE_ACTIONS: tuple[tuple[str, str], ...] = (
    ("iam:CreateUser", "arn:{p}:iam::{a}:user/rootguard-probe"),
    ("iam:CreateAccessKey", "arn:{p}:iam::{a}:root"),
    ("iam:AttachRolePolicy", "arn:{p}:iam::{a}:role/rootguard-probe"),
    ("sts:GetSessionToken", "*"),
    ("s3:GetObject", "arn:{p}:s3:::rootguard-probe/object"),
    ("s3:DeleteBucket", "arn:{p}:s3:::rootguard-probe"),
    ("ec2:RunInstances", "arn:{p}:ec2:us-east-1:{a}:instance/*"),
    ("kms:ScheduleKeyDeletion", "arn:{p}:kms:us-east-1:{a}:key/rootguard-probe"),
    ("cloudtrail:StopLogging", "arn:{p}:cloudtrail:us-east-1:{a}:trail/rootguard-probe"),
    ("organizations:LeaveOrganization", "*"),
    ("lambda:InvokeFunction", "arn:{p}:lambda:eu-west-1:{a}:function:rootguard-probe"),
    ("rootguardprobe:AnyOtherAction", "arn:{p}:rootguardprobe:ap-south-1:{a}:thing/probe"),
)
"""The requests a member root is probed with: (action, resource template with ``{p}``
the partition and ``{a}`` the account). The last one stands for every action of every
other service: only a deny of all actions (``"*"``, or a ``NotAction`` that leaves it
in) catches it. Bucket- and queue-policy actions are not probed: AWS's own example SCP
leaves them to the root user, who needs them to unlock a locked bucket or queue."""

SESSION_PROBE_ACTIONS: tuple[tuple[str, str], ...] = (
    ("iam:DeleteLoginProfile", "arn:{p}:iam::{a}:root"),
    ("iam:GetLoginProfile", "arn:{p}:iam::{a}:root"),
    ("s3:DeleteBucketPolicy", "arn:{p}:s3:::rootguard-probe"),
)
"""Privileged tasks of a centralized root session (``sts:AssumeRoot``): a deny-root SCP
that also denies these blocks centralized root access in the member (reported as a
note, the deny itself still counts)."""

_SENTINEL_STAR = "\ue000"
_SENTINEL_QUESTION = "\ue001"

_BASES = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Bool",
    "Null",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "IpAddress",
    "NotIpAddress",
    "BinaryEquals",
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}
_OPERATOR = re.compile(r"(?:(ForAnyValue|ForAllValues):)?([A-Za-z]+?)(IfExists)?")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


# --------------------------------------------------------------------------- matching


def _glob(pattern: str, text: str, *, fold: bool = False) -> bool:
    """``*`` (any run) and ``?`` (one character) wildcards, whole string; the sentinels of
    ``${*}`` / ``${?}`` match the literal characters. Greedy with one backtrack point:
    O(len(pattern) * len(text)) at worst, never exponential."""
    if fold:
        pattern, text = pattern.casefold(), text.casefold()
    p = t = 0
    star = -1
    mark = 0
    while t < len(text):
        if p < len(pattern):
            c = pattern[p]
            if c == "*":
                star, mark = p, t
                p += 1
                continue
            if c == "?" or c == text[t] or _literal(c) == text[t]:
                p += 1
                t += 1
                continue
        if star >= 0:
            p = star + 1
            mark += 1
            t = mark
            continue
        return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _literal(c: str) -> str:
    if c == _SENTINEL_STAR:
        return "*"
    if c == _SENTINEL_QUESTION:
        return "?"
    return c


def _arn_like(pattern: str, arn: str) -> bool:
    """AWS's ARN matching: the six colon-separated components compared one by one, each
    with ``*`` / ``?`` wildcards (case-sensitive)."""
    if pattern == "*":
        return True
    want = pattern.split(":", 5)
    have = arn.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return False
    return all(_glob(w, h) for w, h in zip(want, have, strict=True))


def _as_float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _as_time(value: str) -> datetime | None:
    text = value.strip()
    number = _as_float(text)
    try:
        if number is not None:
            return datetime.fromtimestamp(number, tz=timezone.utc)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _compare(base: str, have: str, want: str) -> bool:
    """Whether the request value ``have`` matches the policy value ``want`` under the
    positive operator ``base`` (a value of the wrong kind never matches)."""
    if base == "StringEquals":
        return have == want.replace(_SENTINEL_STAR, "*").replace(_SENTINEL_QUESTION, "?")
    if base == "StringEqualsIgnoreCase":
        plain = want.replace(_SENTINEL_STAR, "*").replace(_SENTINEL_QUESTION, "?")
        return have.casefold() == plain.casefold()
    if base == "StringLike":
        return _glob(want, have)
    if base in ("ArnEquals", "ArnLike"):
        return _arn_like(want, have)
    if base == "Bool":
        return want.lower() in ("true", "false") and have.lower() == want.lower()
    if base == "BinaryEquals":
        return have == want
    if base == "IpAddress":
        try:
            return ipaddress.ip_address(have) in ipaddress.ip_network(want, strict=False)
        except ValueError:
            return False
    if base.startswith("Numeric"):
        a, b = _as_float(have), _as_float(want)
        return a is not None and b is not None and _order(base[len("Numeric") :], a, b)
    if base.startswith("Date"):
        x, y = _as_time(have), _as_time(want)
        return x is not None and y is not None and _order(base[len("Date") :], x, y)
    return False


def _order(relation: str, a: Any, b: Any) -> bool:
    if relation == "Equals":
        return bool(a == b)
    if relation == "LessThan":
        return bool(a < b)
    if relation == "LessThanEquals":
        return bool(a <= b)
    if relation == "GreaterThan":
        return bool(a > b)
    return bool(a >= b)  # GreaterThanEquals


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class ScpRequest:
    """One request to judge: the action, the resource, and what is known of its context.

    ``keys`` maps lower-case condition keys to their values (present); ``absent`` lists
    keys known to be absent (a prefix ending in ``/`` covers every key under it). Any
    other key is unknown: its value depends on the request.
    """

    action: str
    resource: str
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()

    def lookup(self, key: str) -> tuple[str, ...] | _Unknown | None:
        """The key's values, None when absent, :data:`UNKNOWN` when not known."""
        name = key.lower()
        if name in self.keys:
            return self.keys[name]
        if name in self.absent or any(name.startswith(a) for a in self.absent if a.endswith("/")):
            return None
        return UNKNOWN


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def root_request(
    action: str,
    resource: str,
    *,
    account_id: str,
    partition: str = "aws",
    organization_id: str | None = None,
    assumed_root: bool = False,
) -> ScpRequest:
    """The request context of the member root calling ``action`` on ``resource``
    (module documentation); with ``assumed_root``, a centralized root session's
    (``aws:AssumedRoot`` = ``true``)."""
    keys: dict[str, tuple[str, ...]] = {
        "aws:principalarn": (f"arn:{partition}:iam::{account_id}:root",),
        "aws:principalaccount": (account_id,),
        "aws:userid": (account_id,),
        "aws:principaltype": ("Account",),
        "aws:principalisawsservice": ("false",),
        "aws:viaawsservice": ("false",),
    }
    if organization_id:
        keys["aws:principalorgid"] = (organization_id,)
    absent = {"aws:username", "aws:federatedprovider", "aws:principaltag/"}
    if assumed_root:
        keys["aws:assumedroot"] = ("true",)
    else:
        absent.add("aws:assumedroot")
    return ScpRequest(action=action, resource=resource, keys=keys, absent=frozenset(absent))


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Condition:
    qualifier: str | None
    base: str
    if_exists: bool
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class _Statement:
    label: str
    effect: str
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[_Condition, ...]


def _strings(value: Any, where: str) -> tuple[str, ...]:
    """A string or a non-empty list of strings."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ParseError(f"{where} must be a string or a non-empty list of strings")


def _condition_values(value: Any, where: str) -> tuple[str, ...]:
    """Condition values: strings, numbers or booleans (JSON), alone or in a list."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str):
            out.append(item)
        elif isinstance(item, (int, float)):
            out.append(json.dumps(item))
        else:
            raise ParseError(f"{where} has a value that is not a string, number or boolean")
    return tuple(out)


def _parse_conditions(block: Any, label: str) -> tuple[_Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise ParseError(f"{label}: Condition must be an object")
    out: list[_Condition] = []
    for operator, keys in block.items():
        match = _OPERATOR.fullmatch(str(operator))
        if match is None or match.group(2) not in _BASES:
            raise ParseError(f"{label}: unknown condition operator {str(operator)[:60]!r}")
        qualifier, base, if_exists = match.group(1), match.group(2), bool(match.group(3))
        if base == "Null" and (if_exists or qualifier):
            raise ParseError(f"{label}: Null takes neither IfExists nor a set qualifier")
        if not isinstance(keys, dict) or not keys:
            raise ParseError(f"{label}: {operator} must map condition keys to values")
        for key, values in keys.items():
            where = f"{label}: {operator} {str(key)[:60]}"
            out.append(
                _Condition(
                    qualifier=qualifier,
                    base=base,
                    if_exists=if_exists,
                    key=str(key),
                    values=_condition_values(values, where),
                )
            )
    return tuple(out)


def _parse_statement(raw: Any, index: int) -> _Statement:
    if not isinstance(raw, dict):
        raise ParseError(f"Statement {index + 1} is not an object")
    sid = raw.get("Sid")
    label = f"statement {sid}" if isinstance(sid, str) and sid else f"statement #{index + 1}"
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise ParseError(f"{label}: Effect must be Allow or Deny")
    if "Principal" in raw or "NotPrincipal" in raw:
        raise ParseError(f"{label}: a service control policy has no Principal element")
    if ("Action" in raw) == ("NotAction" in raw):
        raise ParseError(f"{label}: exactly one of Action and NotAction is required")
    if "Resource" in raw and "NotResource" in raw:
        raise ParseError(f"{label}: Resource and NotResource cannot be used together")
    not_action = "NotAction" in raw
    actions = _strings(raw["NotAction" if not_action else "Action"], label)
    not_resource = "NotResource" in raw
    resources = (
        _strings(raw["NotResource" if not_resource else "Resource"], label)
        if not_resource or "Resource" in raw
        else ("*",)
    )
    return _Statement(
        label=label,
        effect=str(effect),
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        conditions=_parse_conditions(raw.get("Condition"), label),
    )


def parse_policy(policy: str | bytes | Mapping[str, Any]) -> tuple[_Statement, ...]:
    """The statements of a policy document (JSON text or an object).

    Raises:
        ParseError: it is not a policy document (see the module documentation).
    """
    document: Any = policy
    if isinstance(policy, (str, bytes)):
        if len(policy) > MAX_POLICY_CHARS:
            raise ParseError(f"the policy is longer than {MAX_POLICY_CHARS} characters")
        try:
            document = json.loads(policy)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"the policy is not JSON: {exc}") from None
    if not isinstance(document, Mapping):
        raise ParseError("the policy is not a JSON object")
    raw = document.get("Statement")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ParseError("the policy has no Statement")
    return tuple(_parse_statement(s, i) for i, s in enumerate(raw))


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Outcome:
    """A tri-state result: True, False, or None (depends on the keys named)."""

    value: bool | None
    depends_on: frozenset[str] = frozenset()


_TRUE = _Outcome(True)
_FALSE = _Outcome(False)


_ABSENT_VALUE = object()


def _substitute(value: str, request: ScpRequest) -> str | object | None:
    """``value`` with its policy variables replaced; :data:`_ABSENT_VALUE` when a variable's
    key is absent from the request (the value then matches nothing); None when a
    variable's value is not known (unknown key, or several values)."""
    if "${" not in value:
        return value
    outcome: list[object] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "*":
            return _SENTINEL_STAR
        if name == "?":
            return _SENTINEL_QUESTION
        if name == "$":
            return "$"
        key = name.split(",", 1)[0].strip()
        found = request.lookup(key)
        if isinstance(found, tuple) and len(found) == 1:
            return found[0]
        outcome.append(_ABSENT_VALUE if found is None or found == () else None)
        return ""

    text = _VARIABLE.sub(replace, value)
    if None in outcome:
        return None
    return _ABSENT_VALUE if outcome else text


def _evaluate_condition(condition: _Condition, request: ScpRequest) -> _Outcome:
    found = request.lookup(condition.key)
    if isinstance(found, _Unknown):
        return _Outcome(None, frozenset({condition.key}))
    absent = found is None or len(found) == 0
    if condition.base == "Null":
        wanted = {v.lower() for v in condition.values}
        return _TRUE if ("true" if absent else "false") in wanted else _FALSE
    negated = condition.base in _NEGATED
    if absent:
        if condition.qualifier == "ForAllValues":
            return _TRUE
        if condition.qualifier == "ForAnyValue":
            return _FALSE
        return _TRUE if (condition.if_exists or negated) else _FALSE
    assert found is not None
    wanted_values: list[str] = []
    for value in condition.values:
        text = _substitute(value, request)
        if text is None:
            variables = frozenset(m.group(1) for m in _VARIABLE.finditer(value))
            return _Outcome(None, variables)
        if isinstance(text, str):
            wanted_values.append(text)
    base = _NEGATED.get(condition.base, condition.base)

    def positive(have: str) -> bool:
        return any(_compare(base, have, want) for want in wanted_values)

    def single(have: str) -> bool:
        return not positive(have) if negated else positive(have)

    if condition.qualifier == "ForAnyValue":
        result = any(single(v) for v in found)
    elif condition.qualifier == "ForAllValues":
        result = all(single(v) for v in found)
    elif negated:
        result = all(not positive(v) for v in found)
    else:
        result = any(positive(v) for v in found)
    return _TRUE if result else _FALSE


def _all_of(outcomes: Iterable[_Outcome]) -> _Outcome:
    depends: set[str] = set()
    for outcome in outcomes:
        if outcome.value is False:
            return _FALSE
        if outcome.value is None:
            depends |= outcome.depends_on
    return _Outcome(None, frozenset(depends)) if depends else _TRUE


def _statement_applies(statement: _Statement, request: ScpRequest) -> _Outcome:
    action_hit = any(_glob(a, request.action, fold=True) for a in statement.actions)
    if action_hit == statement.not_action:
        return _FALSE
    resource_hit = any(_glob(r, request.resource) for r in statement.resources)
    if resource_hit == statement.not_resource:
        return _FALSE
    return _all_of(_evaluate_condition(c, request) for c in statement.conditions)


def evaluate_deny(
    statements: Sequence[_Statement], request: ScpRequest
) -> tuple[bool | None, tuple[str, ...], frozenset[str]]:
    """Whether the policy's ``Deny`` statements deny ``request``: (True / False / None
    when it depends on the request, the labels of the statements that deny it, the
    condition keys it depends on)."""
    denying: list[str] = []
    depends: set[str] = set()
    for statement in statements:
        if statement.effect != "Deny":
            continue
        outcome = _statement_applies(statement, request)
        if outcome.value is True:
            denying.append(statement.label)
        elif outcome.value is None:
            depends |= outcome.depends_on
    if denying:
        return True, tuple(denying), frozenset()
    if depends:
        return None, (), frozenset(depends)
    return False, (), frozenset()


# --------------------------------------------------------------------------- verdict


class ScpVerdict(BaseModel):
    """What a service control policy means for a member account's root user.

    ``denies_root`` is True when the policy denies every probed request of the member
    root (see :data:`PROBE_ACTIONS`); ``denying_statements`` names the statements that
    do (their ``Sid``, else ``#n``); ``not_denied`` lists the probed actions it lets
    through; ``depends_on`` the condition keys whose request value would decide (a
    deny that needs them does not deny every request); ``blocks_root_sessions`` says
    that the policy also denies the privileged tasks of centralized root sessions
    (``sts:AssumeRoot``, ``aws:AssumedRoot`` = ``true``) — AWS's example excepts them
    with ``"Null": {"aws:AssumedRoot": "true"}``.

    Examples:
        >>> import rootguard
        >>> verdict = rootguard.scp_denies_root(
        ...     '{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*",'
        ...     ' "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}}',
        ...     account_id="111122223333",
        ... )
        >>> verdict.denies_root, verdict.blocks_root_sessions
        (True, True)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    denies_root: bool
    denying_statements: tuple[str, ...] = ()
    not_denied: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    blocks_root_sessions: bool = False
    principal_arn: str
    detail: str


def scp_denies_root(
    policy: str | bytes | Mapping[str, Any],
    *,
    account_id: str,
    partition: str = "aws",
    organization_id: str | None = None,
) -> ScpVerdict:
    """Judge whether a service control policy denies the root user of ``account_id``
    everything it could do (pure; see the module documentation for the probes and the
    request context).

    Args:
        policy: the policy document (JSON text, as ``DescribePolicy`` gives it, or an
            object).
        account_id: the member account whose root user makes the requests.
        partition: ``aws``, ``aws-cn``, ``aws-us-gov`` …
        organization_id: the value of ``aws:PrincipalOrgID`` (unknown when None).

    Returns:
        The verdict; its ``detail`` says why in one sentence.

    Raises:
        ParseError: the policy is not a policy document AWS would accept.
    """
    statements = parse_policy(policy)
    principal = f"arn:{partition}:iam::{account_id}:root"

    def run(
        probes: Sequence[tuple[str, str]], *, assumed_root: bool
    ) -> list[tuple[str, bool | None, tuple[str, ...], frozenset[str]]]:
        out = []
        for action, template in probes:
            request = root_request(
                action,
                template.format(p=partition, a=account_id),
                account_id=account_id,
                partition=partition,
                organization_id=organization_id,
                assumed_root=assumed_root,
            )
            denied, labels, depends = evaluate_deny(statements, request)
            out.append((action, denied, labels, depends))
        return out

    results = run(PROBE_ACTIONS, assumed_root=False)
    denying = tuple(dict.fromkeys(label for _, d, labels, _ in results if d for label in labels))
    not_denied = tuple(action for action, d, _, _ in results if d is not True)
    depends = tuple(sorted({k for _, d, _, keys in results if d is None for k in keys}))
    denies = not not_denied
    sessions = run(SESSION_PROBE_ACTIONS, assumed_root=True)
    blocks_sessions = denies and any(d is True for _, d, _, _ in sessions)
    deny_count = sum(s.effect == "Deny" for s in statements)
    if denies:
        names = _join(denying)
        detail = (
            f"{names[:1].upper()}{names[1:]} {'denies' if len(denying) == 1 else 'deny'} "
            f"every probed action of the member root ({principal})."
        )
        if blocks_sessions:
            detail += (
                " It also denies centralized root sessions (sts:AssumeRoot): privileged "
                "tasks in the member will be denied unless it excepts aws:AssumedRoot."
            )
    elif deny_count == 0:
        detail = f"No Deny statement: the policy denies nothing to the member root ({principal})."
    elif len(not_denied) == len(results):
        detail = f"No Deny statement applies to the member root ({principal})"
        detail += (
            f": the deny depends on {_join(depends)}, which varies from request to request."
            if depends
            else "."
        )
    else:
        detail = (
            f"Denies only part of what the member root ({principal}) can do: "
            f"{_join(not_denied)} {'is' if len(not_denied) == 1 else 'are'} not denied"
        )
        detail += f" (the deny depends on {_join(depends)})." if depends else "."
    return ScpVerdict(
        denies_root=denies,
        denying_statements=denying,
        not_denied=not_denied,
        depends_on=depends,
        blocks_root_sessions=blocks_sessions,
        principal_arn=principal,
        detail=detail,
    )


def _join(items: Sequence[str], limit: int = 5) -> str:
    shown = list(items[:limit])
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

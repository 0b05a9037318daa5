"""Accepting what is expected: suppression rules for findings, expected-activity rules for
root activity (pure: the reference time is a parameter).

A rule always has a reason and an expiry date: it applies through the end of that day
(UTC) and then stops applying — the finding or activity counts again, and every output
says the rule expired. Nothing is ever hidden: a suppressed finding stays in the report
with status ``SUPPRESSED``, and an expected activity stays in the list, marked.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rootguard._errors import PolicyError
from rootguard._models import Expectation, RootActivity
from rootguard._posture._catalogue import CHECK_IDS
from rootguard._time import as_utc

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

__all__ = [
    "ExpectedActivity",
    "Suppression",
    "expired",
    "inside_policy",
    "mark_expected",
    "policy_error",
]

_Text = Annotated[str, Field(min_length=1)]


def expired(expires: date, now: datetime) -> bool:
    """Whether a rule valid through ``expires`` (a UTC day) no longer applies at ``now``."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).date() > expires


def policy_error(exc: ValidationError) -> PolicyError:
    """A :class:`~rootguard.PolicyError` naming each invalid value of ``exc`` and why."""
    problems: list[tuple[tuple[int | str, ...], str, str]] = []
    for error in exc.errors():
        where = tuple(error.get("loc", ()))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append((where, str(error.get("type", "")), message))
    shown = [
        message if not where else f"{'.'.join(str(part) for part in where)}: {message}"
        for where, _, message in problems
    ]
    return PolicyError("invalid policy: " + "; ".join(shown), problems=problems)


_IN_POLICY: ContextVar[bool] = ContextVar("rootguard_in_policy", default=False)


@contextmanager
def inside_policy() -> Iterator[None]:
    """While a ``Policy`` validates its rules: a rule's errors stay pydantic's, so the
    policy reports them with their path (``suppressions.0.reason``)."""
    token = _IN_POLICY.set(True)
    try:
        yield
    finally:
        _IN_POLICY.reset(token)


class _Rule(BaseModel):
    """A user-built rule: invalid values raise :class:`~rootguard.PolicyError`, built
    directly or with ``model_validate``. (Inside a ``Policy``, the policy reports them
    with their path, ``suppressions.0.reason``.)"""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if _IN_POLICY.get():
                raise
            raise policy_error(exc) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """``obj`` as this rule.

        Raises:
            PolicyError: a value is invalid.
        """
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            if _IN_POLICY.get():
                raise
            raise policy_error(exc) from None


class Suppression(_Rule):
    """Accept a finding until a date: it is reported with status ``SUPPRESSED``, the
    reason and the expiry, and counts for no ``--fail-on``.

    A finding matches when every field given matches: ``check_id`` (a check id or an
    ``fnmatch`` pattern such as ``"root.*"``), ``account_id``, ``region`` (``"global"``
    for account-wide findings) and ``resource`` (an ARN or a pattern). Only FAIL and
    UNKNOWN findings are suppressed.

    Examples:
        >>> import rootguard
        >>> rule = rootguard.Suppression(check_id="root.recent_usage",
        ...     reason="break-glass login, ticket SEC-123", expires="2026-12-31")
        >>> rule.expires.isoformat()
        '2026-12-31'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    check_id: _Text
    account_id: str | None = None
    region: str | None = None
    resource: str | None = None
    reason: _Text
    expires: date

    @field_validator("check_id")
    @classmethod
    def _known_check(cls, value: str) -> str:
        if not any(fnmatch.fnmatchcase(c, value) for c in CHECK_IDS):
            raise ValueError(f"no check id is or matches {value!r} (see rootguard.CHECK_IDS)")
        return value

    def matches(self, *, check_id: str, account_id: str, region: str | None, resource: str) -> bool:
        """Whether this rule covers a finding (expiry aside)."""
        if not fnmatch.fnmatchcase(check_id, self.check_id):
            return False
        if self.account_id is not None and self.account_id != account_id:
            return False
        if self.region is not None and self.region != (region or "global"):
            return False
        return self.resource is None or fnmatch.fnmatchcase(resource, self.resource)


class ExpectedActivity(_Rule):
    """Root activity that was planned (a break-glass login, a root-only task): matched
    activity is marked expected (reason and expiry) — still listed — and neither fails
    ``rootguard activity --fail-on`` nor, when every recent root use is expected,
    ``root.recent_usage`` (which becomes SUPPRESSED).

    An activity matches when every field given matches: ``account_id``; ``source_ips``
    (addresses or CIDR blocks: the activity's source IP is in one); ``start`` / ``end``
    (the activity's time is in the window; naive times are UTC); ``event_names`` (the
    CloudTrail event name, or for the credential report ``password`` /
    ``access_key_1`` / ``access_key_2``). A condition the activity cannot show — a
    source IP for the credential report's last-use dates — does not match.

    Examples:
        >>> import rootguard
        >>> rule = rootguard.ExpectedActivity(source_ips=["203.0.113.0/24"],
        ...     event_names=["ConsoleLogin"], reason="annual root MFA check",
        ...     expires="2026-12-31")
        >>> [str(n) for n in rule.networks()]
        ['203.0.113.0/24']
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str | None = None
    source_ips: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    event_names: tuple[str, ...] = ()
    reason: _Text
    expires: date

    @field_validator("source_ips")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or CIDR block: {item!r}") from None
        return value

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)

    @model_validator(mode="after")
    def _window(self) -> ExpectedActivity:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError("start is after end")
        return self

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """``source_ips`` as networks."""
        return [ipaddress.ip_network(x, strict=False) for x in self.source_ips]

    def matches(self, activity: RootActivity) -> bool:
        """Whether this rule covers ``activity`` (expiry aside)."""
        if self.account_id is not None and activity.account_id != self.account_id:
            return False
        if self.source_ips:
            try:
                address = ipaddress.ip_address((activity.source_ip or "").strip())
            except ValueError:
                return False  # no IP, or a service name such as "AWS Internal"
            if not any(address in network for network in self.networks()):
                return False
        if self.start is not None or self.end is not None:
            when = activity.event_time
            if when is None:
                return False
            if self.start is not None and when < self.start:
                return False
            if self.end is not None and when > self.end:
                return False
        if self.event_names:
            name = activity.event_name or activity.credential
            if name not in self.event_names:
                return False
        return True


def mark_expected(
    activities: Iterable[RootActivity], rules: Sequence[ExpectedActivity], now: datetime
) -> list[RootActivity]:
    """``activities`` with :attr:`RootActivity.expected` set where a rule matches: the
    first rule in force that matches, else the first expired one that does (so that the
    output can say the rule expired). Activities no rule matches are returned as they
    are."""
    out: list[RootActivity] = []
    for activity in activities:
        matching = [r for r in rules if r.matches(activity)]
        live = [r for r in matching if not expired(r.expires, now)]
        rule = live[0] if live else (matching[0] if matching else None)
        if rule is None:
            out.append(activity)
            continue
        note = Expectation(
            reason=rule.reason, expires=rule.expires, expired=expired(rule.expires, now)
        )
        out.append(activity.model_copy(update={"expected": note}))
    return out

"""The one exception hierarchy rootguard raises.

Everything the public API raises derives from :class:`RootGuardError`. AWS errors
(botocore ``ClientError``) and pydantic ``ValidationError`` never escape raw: they are
wrapped in one of these with the context that a user needs (which file, which line,
which region, which call).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit

_T = TypeVar("_T")

__all__ = [
    "ApplyError",
    "ArgumentError",
    "AthenaQueryError",
    "CollectError",
    "ParseError",
    "PatternError",
    "PlanError",
    "PolicyError",
    "RootGuardError",
    "ScanError",
    "choice",
    "count",
    "endpoint",
    "instance_or_none",
    "json_indent",
    "name_list",
    "time_or_none",
]


class RootGuardError(Exception):
    """Base class of every error rootguard raises.

    Examples:
        >>> import rootguard
        >>> try:
        ...     rootguard.parse_credential_report("not,a,report")
        ... except rootguard.RootGuardError as exc:
        ...     print(type(exc).__name__)
        ParseError
    """


class ArgumentError(RootGuardError, ValueError, TypeError):
    """A public function was called with an argument it cannot use — a bare string
    where a list of names is expected, a name AWS would reject — and nothing was sent to
    AWS. It is also a ``ValueError`` and a ``TypeError``.

    Attributes:
        parameter: the parameter's name.

    Examples:
        >>> import rootguard
        >>> try:
        ...     rootguard.collect(regions="us-east-1")
        ... except rootguard.ArgumentError as exc:
        ...     print(exc)
        regions must be a list of region names, not a single string: pass regions=['us-east-1']
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        self.parameter = parameter
        super().__init__(message)


def name_list(
    value: Iterable[str] | None, parameter: str, *, items: str = "names"
) -> list[str] | None:
    """A parameter typed as a sequence of names (account ids, regions, email addresses,
    role names …) as a list; None stays None. The one rule for such parameters: a bare
    ``str`` is **rejected** — iterating it would give its characters (``"us-east-1"`` →
    ``"u", "s", …``) and silently match nothing, and taking it as one item would hide a
    comma-separated string meant as several. Every item must be a ``str``.

    Raises:
        ArgumentError: ``value`` is a ``str`` (or bytes), a mapping, not iterable, or has
            an item that is not a ``str``; the message names ``parameter`` and suggests
            the list form.

    Examples:
        >>> name_list(("us-east-1", "eu-west-1"), "regions")
        ['us-east-1', 'eu-west-1']
        >>> try:
        ...     name_list("111122223333,444455556666", "accounts", items="account ids")
        ... except ArgumentError as exc:
        ...     print(exc.parameter, "|", str(exc).split(": ")[1])
        accounts | pass accounts=['111122223333', '444455556666']
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes, bytearray)):
        text = value.decode("utf-8", "replace") if not isinstance(value, str) else value
        parts = [p.strip() for p in text.split(",")] if "," in text else [text]
        shown = [p[:60] for p in parts[:5]]
        raise ArgumentError(
            f"{parameter} must be a list of {items}, not a single string: "
            f"pass {parameter}={shown!r}",
            parameter=parameter,
        )
    if isinstance(value, Mapping):
        raise ArgumentError(
            f"{parameter} must be a list of {items}, not a {type(value).__name__}",
            parameter=parameter,
        )
    try:
        listed = list(value)
    except TypeError:
        raise ArgumentError(
            f"{parameter} must be a list of {items}, not {type(value).__name__}",
            parameter=parameter,
        ) from None
    for entry in listed:
        if not isinstance(entry, str):
            raise ArgumentError(
                f"{parameter} must hold {items} as strings, not {type(entry).__name__} "
                f"({entry!r:.60})",
                parameter=parameter,
            )
    return listed


def count(value: int | None, parameter: str) -> int | None:
    """A count given by the caller (``max_workers``, ``duration_seconds`` …): None stays
    None (the default), else a whole number of at least 1.

    Raises:
        ArgumentError: not an ``int`` (``bool`` included), or below 1.

    Examples:
        >>> count(4, "max_workers"), count(None, "max_workers")
        (4, None)
        >>> try:
        ...     count(0, "max_workers")
        ... except ArgumentError as exc:
        ...     print(exc)
        max_workers must be a whole number of at least 1 (or None for the default), not 0
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(
            f"{parameter} must be a whole number of at least 1 (or None for the default), "
            f"not {value!r:.60}",
            parameter=parameter,
        )
    return value


def choice(value: str, parameter: str, allowed: Sequence[str]) -> str:
    """``value`` when it is one of ``allowed`` (a format name, a ``fail_on`` level).

    Raises:
        ArgumentError: anything else; the message lists ``allowed``.
    """
    if not isinstance(value, str) or value not in allowed:
        raise ArgumentError(
            f"unknown {parameter} {value!r:.60} ({', '.join(allowed)})", parameter=parameter
        )
    return value


def endpoint(value: str | None, parameter: str = "endpoint_url") -> str | None:
    """An ``http(s)://host[:port]`` URL to send AWS calls to, checked before any call
    (botocore would raise a plain ``ValueError`` on the first client); None stays None.

    Raises:
        ArgumentError: not a string, or not an http or https URL with a host.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ArgumentError(
            f"{parameter} must be an http(s) URL, not {type(value).__name__}",
            parameter=parameter,
        )
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        ok = False
    if not ok:
        raise ArgumentError(
            f"{parameter} must be an http(s) URL such as 'https://host:port', not {value!r:.80}",
            parameter=parameter,
        )
    return value


def instance_or_none(value: _T | None, cls: type[_T], parameter: str) -> _T | None:
    """``value`` when it is None or a ``cls`` (a ``policy=`` that must be a
    :class:`~rootguard.Policy`), checked before any call.

    Raises:
        ArgumentError: anything else (a policy given by its name, a dict …).
    """
    if value is None or isinstance(value, cls):
        return value
    raise ArgumentError(
        f"{parameter} must be a rootguard.{cls.__name__} (or None), not {type(value).__name__}",
        parameter=parameter,
    )


def json_indent(value: int | None) -> int | None:
    """The ``indent`` of a ``to_json``: None (one line) or a number of spaces, 0 or more.

    Raises:
        ArgumentError: anything else (pydantic would raise ``OverflowError`` or
            ``TypeError``).
    """
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise ArgumentError(
        f"indent must be None or a number of spaces (0 or more), not {value!r:.40}",
        parameter="indent",
    )


def time_or_none(value: datetime | None, parameter: str) -> datetime | None:
    """A ``datetime`` argument (``now``, ``since`` …), or None.

    Raises:
        ArgumentError: anything else — a date string, a ``date``, a number (it is also a
            ``TypeError``: a programming error).
    """
    if value is None or isinstance(value, datetime):
        return value
    raise ArgumentError(
        f"{parameter} must be a datetime, not {type(value).__name__} ({value!r:.40})",
        parameter=parameter,
    )


class ParseError(RootGuardError, ValueError):
    """Input could not be parsed: a credential report, a CloudTrail record or log file.

    Attributes:
        source: the file, key or description of the input, when known.
        line: the 1-based line number (CSV line, or record index for JSON), when known.
        column: the column or field name, when known.
        value: the offending value, when known (shortened).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.value = value
        parts = []
        if source is not None:
            parts.append(str(source))
        if line is not None:
            parts.append(f"line {line}")
        if column is not None:
            parts.append(f"column {column!r}")
        if value is not None:
            shown = value if len(value) <= 80 else value[:77] + "..."
            parts.append(f"value {shown!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class PatternError(RootGuardError, ValueError):
    """A CloudWatch Logs filter pattern or an EventBridge event pattern is malformed.

    Attributes:
        pattern: the pattern text (or its JSON) that failed.
        position: the 0-based character offset of the problem, when known.
    """

    def __init__(self, message: str, *, pattern: str = "", position: int | None = None) -> None:
        self.message = message
        self.pattern = pattern
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where} in pattern {pattern!r}")


class CollectError(RootGuardError):
    """Collecting an account's state failed as a whole (not a single denied call).

    A single denied or unsupported call never raises: it is recorded as a gap in the
    snapshot. This is raised only when nothing useful can be collected (no credentials,
    no reachable endpoint).
    """


class ScanError(RootGuardError):
    """A CloudTrail archive scan could not start (bad source, unreadable S3 listing)."""


class PlanError(RootGuardError):
    """A remediation plan cannot be built from the snapshot and options given."""


class PolicyError(RootGuardError):
    """A :class:`~rootguard.Policy` cannot be built from the values given (an unknown
    key, a value of the wrong type or out of range, an unknown check id, an invalid
    suppression or expected-activity rule). pydantic's ``ValidationError`` never leaves
    ``Policy(...)`` / ``Policy.model_validate(...)``.

    Attributes:
        problems: each invalid value as ``(location, kind, message)``: the location is
            the path of field names and list indexes (``("suppressions", 0, "reason")``),
            the kind pydantic's error type (``extra_forbidden`` for an unknown key).

    Examples:
        >>> import rootguard
        >>> try:
        ...     rootguard.Policy(root_usage_days=-1)
        ... except rootguard.PolicyError as exc:
        ...     print(exc)
        invalid policy: root_usage_days: Input should be greater than or equal to 0
    """

    def __init__(
        self,
        message: str,
        *,
        problems: Iterable[tuple[tuple[int | str, ...], str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.problems: tuple[tuple[tuple[int | str, ...], str, str], ...] = tuple(problems)


class ApplyError(RootGuardError):
    """A plan cannot be applied at all: it is malformed, or the credentials do not
    provably reach the plan's account and partition (another account, no credentials,
    ``sts:GetCallerIdentity`` failed or answered nonsense) — then nothing was sent.
    Per-action AWS errors never raise: they become failed outcomes in the
    ``ApplyResult``."""


class AthenaQueryError(RootGuardError):
    """An Amazon Athena query could not give an answer: it FAILED or was CANCELLED in
    Athena, it ran past the timeout (rootguard then stopped it), a call to Athena failed,
    or Athena answered something rootguard cannot read (a results page of the wrong
    shape is never read as "no activity").

    Attributes:
        query_execution_id: Athena's id of the query, when it was started.
        state: ``FAILED``, ``CANCELLED``, ``TIMED_OUT`` (rootguard stopped it),
            ``CALL_FAILED`` (an Athena call failed) or ``INVALID_RESPONSE``.
        reason: Athena's ``StateChangeReason`` / error message, or the AWS error.
        bytes_scanned: ``DataScannedInBytes`` when Athena reported it (a cancelled query
            is billed for what it scanned).

    Examples:
        >>> import rootguard
        >>> err = rootguard.AthenaQueryError(
        ...     "the query failed", query_execution_id="q-1", state="FAILED",
        ...     reason="TABLE_NOT_FOUND: line 1:15: Table 'db.t' does not exist")
        >>> err.state, isinstance(err, rootguard.RootGuardError)
        ('FAILED', True)
    """

    def __init__(
        self,
        message: str,
        *,
        query_execution_id: str | None = None,
        state: str | None = None,
        reason: str | None = None,
        bytes_scanned: int | None = None,
    ) -> None:
        self.query_execution_id = query_execution_id
        self.state = state
        self.reason = reason
        self.bytes_scanned = bytes_scanned
        detail = f": {reason}" if reason else ""
        where = f" (query {query_execution_id})" if query_execution_id else ""
        super().__init__(f"{message}{where}{detail}")

"""Shared AWS plumbing of the I/O modules (collect, event history, apply, archives).

Everything that talks to AWS goes through here: one botocore ``Config`` with standard
retries, clients made from an injected session (thread-safe), error-code extraction,
pagination, region discovery, and a :class:`GapRecorder` that turns a failed call into a
:class:`~rootguard.Gap` instead of an exception.

Pure modules must never import this module (enforced by import-linter).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Generic, TypeVar

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
)
from pydantic import ValidationError

from rootguard._errors import CollectError
from rootguard._snapshot import Gap

__all__ = [
    "CREDENTIAL_ERRORS",
    "NOT_ENABLED_CODES",
    "RETRY_CONFIG",
    "Attempt",
    "ClientFactory",
    "GapRecorder",
    "caller_identity",
    "clean",
    "discover_regions",
    "error_code",
    "error_message",
    "paginate",
    "partition_of_arn",
    "requested_regions",
    "resolve_session",
    "session_credentials",
    "unique",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 8},
    user_agent_extra="rootguard",
    connect_timeout=10,
    read_timeout=60,
)
"""The botocore configuration of every rootguard client: standard retry mode (throttling
and transient errors are retried with exponential backoff and jitter), 8 attempts in all
(the first and 7 retries)."""

CREDENTIAL_ERRORS: tuple[type[Exception], ...] = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
)
"""botocore errors that mean "no usable credentials at all": nothing can be collected."""

NOT_ENABLED_CODES = frozenset(
    {
        "OptInRequired",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
    }
)
"""Error codes a region answers with when it is not enabled for the account (opt-in)."""

_OPT_IN_OK = frozenset({"opt-in-not-required", "opted-in"})


def resolve_session(session: boto3.Session | None) -> boto3.Session:
    """The injected session, or a default ``boto3.Session()``."""
    return session if session is not None else boto3.Session()


def session_credentials(session: boto3.Session | None) -> tuple[boto3.Session, Credentials]:
    """The session to use (:func:`resolve_session`) and its credentials.

    Raises:
        CollectError: the session has no credentials, or finding them failed.
    """
    resolved = resolve_session(session)
    try:
        credentials = resolved.get_credentials()
    except BotoCoreError as exc:
        raise CollectError(f"no usable AWS credentials: {exc}") from exc
    if credentials is None:
        raise CollectError("no AWS credentials found (configure a profile or pass a session)")
    return resolved, credentials


def requested_regions(
    session: boto3.Session, regions: Sequence[str] | None
) -> tuple[list[str] | None, str]:
    """The regions asked for (duplicates dropped; None: discover them) and the home
    region: the session's region, else the first region asked for, else ``us-east-1``."""
    wanted = unique(list(regions)) if regions is not None else None
    return wanted, session.region_name or (wanted[0] if wanted else "us-east-1")


def caller_identity(sts: Any, whose: str = "account") -> tuple[str, str]:
    """(account id, partition) of the credentials behind the ``sts`` client.

    Raises:
        CollectError: ``sts:GetCallerIdentity`` failed (the AWS error is its cause).
    """
    try:
        identity = sts.get_caller_identity()
    except CREDENTIAL_ERRORS as exc:
        raise CollectError(f"no usable AWS credentials: {exc}") from exc
    except (ClientError, BotoCoreError) as exc:
        raise CollectError(
            f"cannot identify the {whose}: sts:GetCallerIdentity failed with "
            f"{error_code(exc)}: {error_message(exc)}"
        ) from exc
    return str(identity["Account"]), partition_of_arn(str(identity.get("Arn", "")))


def partition_of_arn(arn: str) -> str:
    """The partition of an ARN (``aws``, ``aws-cn`` …); ``aws`` when it is not an ARN."""
    return arn.split(":")[1] if arn.count(":") >= 5 else "aws"


def error_code(exc: BaseException) -> str:
    """AWS's error code of a failed call (``AccessDenied`` …), or a rootguard code.

    ``ClientError`` → the code in the response (``Error.Code``, else the HTTP status);
    other botocore errors → the class name (``EndpointConnectionError``,
    ``ReadTimeoutError``); moto's unimplemented operations → ``NotImplemented``.
    """
    if isinstance(exc, ClientError):
        err = exc.response.get("Error") or {}
        code = err.get("Code")
        if code:
            return str(code)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"HTTP{status}" if status else "ClientError"
    if isinstance(exc, NotImplementedError):
        return "NotImplemented"
    if isinstance(exc, ValidationError):
        return "InvalidResponse"
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    """The human message of a failed call (short)."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error") or {}
        message = err.get("Message") or str(exc)
    else:
        message = str(exc)
    message = " ".join(str(message).split())
    return message if len(message) <= 300 else message[:297] + "..."


class ClientFactory:
    """Creates (and caches) clients from one session, safely from many threads.

    boto3 clients are thread-safe, sessions are not: client creation is serialized by a
    lock, and each (service, region) client is made once.
    """

    def __init__(self, session: boto3.Session, config: Config = RETRY_CONFIG) -> None:
        self.session = session
        self.config = config
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region: str | None) -> Any:
        """The ``service`` client for ``region`` (None: the session's region)."""
        key = (service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    config=self.config,
                )
                self._clients[key] = found
            return found


def paginate(client: Any, operation: str, result_key: str, **params: Any) -> list[Any]:
    """Every item of ``result_key`` over all pages of ``operation`` (PascalCase name).

    Uses the botocore paginator when there is one, else follows ``NextToken`` by hand.
    """
    method = xform_name(operation)
    if client.can_paginate(method):
        items: list[Any] = []
        for page in client.get_paginator(method).paginate(**params):
            items.extend(page.get(result_key) or [])
        return items
    items = []
    call = getattr(client, method)
    token: str | None = None
    while True:
        page = call(**params, NextToken=token) if token else call(**params)
        items.extend(page.get(result_key) or [])
        token = page.get("NextToken")
        if not token:
            return items


def clean(value: Any) -> Any:
    """A boto3 response made JSON-exact: no ``ResponseMetadata``, datetimes as UTC ISO text.

    Snapshot models keep unknown AWS fields; converting timestamps to text before they
    reach a model makes the model round-trip through JSON exactly.
    """
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return value


@dataclass(frozen=True)
class Attempt(Generic[T]):
    """The outcome of one guarded call: its value, or the error code and message."""

    value: T | None = None
    error_code: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when the call succeeded."""
        return self.error_code is None


class GapRecorder:
    """Runs AWS calls, turning each failure into a :class:`~rootguard.Gap` (thread-safe).

    Missing credentials abort everything (:class:`~rootguard.CollectError`); any other
    AWS, connection or response error on a call is recorded and the caller goes on.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.gaps: list[Gap] = []
        self.successes = 0
        self.failures = 0

    def add(self, gap: Gap) -> None:
        """Record a gap found by the caller itself."""
        with self._lock:
            self.gaps.append(gap)
        logger.info("%s", gap.describe())

    def attempt(
        self,
        service: str,
        operation: str,
        region: str | None,
        fn: Callable[[], T],
        *,
        resource: str | None = None,
        quiet: Collection[str] = (),
    ) -> Attempt[T]:
        """Call ``fn``; on failure record a gap (unless its code is in ``quiet``)."""
        try:
            value = fn()
        except CREDENTIAL_ERRORS as exc:
            raise CollectError(f"no usable AWS credentials: {exc}") from exc
        except (ClientError, BotoCoreError, NotImplementedError, ValidationError) as exc:
            code, message = error_code(exc), error_message(exc)
            with self._lock:
                self.failures += 1
            if code not in quiet:
                self.add(
                    Gap(
                        service=service,
                        operation=operation,
                        region=region,
                        error_code=code,
                        message=message,
                        resource=resource,
                    )
                )
            return Attempt(error_code=code, message=message)
        with self._lock:
            self.successes += 1
        return Attempt(value=value)

    def call(
        self,
        service: str,
        operation: str,
        region: str | None,
        fn: Callable[[], T],
        *,
        resource: str | None = None,
    ) -> T | None:
        """Like :meth:`attempt`, returning just the value (None on failure)."""
        return self.attempt(service, operation, region, fn, resource=resource).value


def discover_regions(
    factory: ClientFactory, recorder: GapRecorder, home_region: str, partition: str = "aws"
) -> tuple[list[str], bool]:
    """The regions enabled for the account, sorted, and whether they were discovered.

    ``ec2:DescribeRegions`` (regions that need no opt-in, or are opted in), else
    ``account:ListRegions`` (ENABLED / ENABLED_BY_DEFAULT), else — with both failures
    recorded as gaps — every region botocore knows for the partition (regions that turn
    out not to be enabled then answer with opt-in errors; the second value is then False).
    """
    ec2 = factory.client("ec2", home_region)
    found = recorder.call(
        "ec2",
        "DescribeRegions",
        None,
        lambda: ec2.describe_regions(AllRegions=False)["Regions"],
    )
    if found is not None:
        names = {
            r["RegionName"]
            for r in found
            if r.get("RegionName") and r.get("OptInStatus", "opt-in-not-required") in _OPT_IN_OK
        }
        if names:
            return sorted(names), True
    account = factory.client("account", home_region)
    listed = recorder.call(
        "account",
        "ListRegions",
        None,
        lambda: paginate(
            account,
            "ListRegions",
            "Regions",
            RegionOptStatusContains=["ENABLED", "ENABLED_BY_DEFAULT"],
        ),
    )
    if listed:
        return sorted({r["RegionName"] for r in listed if r.get("RegionName")}), True
    known = factory.session.get_available_regions("cloudtrail", partition_name=partition)
    logger.warning(
        "could not discover the enabled regions; trying all %d regions of %s",
        len(known),
        partition,
    )
    return sorted(set(known) | {home_region}), False


def unique(items: Sequence[str]) -> list[str]:
    """``items`` without duplicates, first occurrence kept."""
    return list(dict.fromkeys(items))

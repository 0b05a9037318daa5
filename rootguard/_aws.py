"""Shared AWS plumbing of the I/O modules (collect, event history, apply, archives).

Everything that talks to AWS goes through here: one botocore ``Config`` with standard
retries, clients made from an injected session (thread-safe), error-code extraction,
pagination, region discovery, and a :class:`GapRecorder` that turns a failed call into a
:class:`~rootguard.Gap` instead of an exception.

Pure modules must never import this module (enforced by import-linter).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import boto3
from botocore import xform_name
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.parsers import ResponseParserError
from pydantic import ValidationError

from rootguard._errors import CollectError, name_list
from rootguard._snapshot import Gap

if TYPE_CHECKING:
    # The typed clients of the boto3 stubs (a dev dependency): only mypy sees them.
    from mypy_boto3_account import AccountClient
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_config import ConfigServiceClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient

__all__ = [
    "CALL_ERRORS",
    "CREDENTIAL_ERRORS",
    "NOT_ENABLED_CODES",
    "RETRY_CONFIG",
    "Attempt",
    "ClientFactory",
    "GapRecorder",
    "MalformedResponse",
    "caller_identity",
    "check_answer",
    "clean",
    "discover_regions",
    "error_code",
    "error_message",
    "expect",
    "expect_items",
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


class MalformedResponse(Exception):
    """An AWS answer that lacks, nulls or mistypes a field rootguard reads.

    Raised by :func:`expect` and :func:`paginate` (and by the response check every
    rootguard client runs before botocore parses an answer); turned into a
    :class:`~rootguard.Gap` with the code ``InvalidResponse`` like any failed call.
    """


CALL_ERRORS: tuple[type[Exception], ...] = (
    ClientError,
    BotoCoreError,
    ResponseParserError,
    MalformedResponse,
)
"""Every way one AWS call can fail without it being a credentials problem:
``ClientError`` of any code, every ``BotoCoreError`` (connection, timeout, retries
exhausted, parameter validation), botocore's ``ResponseParserError`` (an HTML page from
a proxy or a 5xx page: not a ``BotoCoreError``), and a :class:`MalformedResponse`."""

SHAPE_ERRORS: tuple[type[Exception], ...] = (
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ValueError,  # pydantic's ValidationError and UnicodeDecodeError among them
    NotImplementedError,  # moto's unimplemented operations, in-process
)
"""What reading an answer of the wrong shape raises (botocore's own XML parser raises
``KeyError`` on a body without the expected result element). A guarded call that fails
this way is an ``InvalidResponse`` gap, never an exception."""

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
    listed = name_list(regions, "regions", items="region names")
    wanted = unique(listed) if listed is not None else None
    return wanted, session.region_name or (wanted[0] if wanted else "us-east-1")


_ACCOUNT_ID = re.compile(r"\d{12}")
_ARN = re.compile(r"arn:(aws[a-z-]*):[a-z0-9-]+:[a-z0-9-]*:\d{12}:\S+")


def caller_identity(sts: STSClient, whose: str = "account") -> tuple[str, str]:
    """(account id, partition) of the credentials behind the ``sts`` client.

    The answer is validated: ``Account`` must be 12 digits and ``Arn`` an ARN in that
    account; anything else is not an identity to act on.

    Raises:
        CollectError: ``sts:GetCallerIdentity`` failed, in any way (the AWS error is its
            cause), or answered something that is not an identity.
    """
    try:
        identity = sts.get_caller_identity()
        account = expect(identity, "Account", str)
        arn = expect(identity, "Arn", str)
        if not _ACCOUNT_ID.fullmatch(account):
            raise MalformedResponse(f"Account {account[:40]!r} is not a 12-digit account id")
        match = _ARN.fullmatch(arn)
        if match is None or arn.split(":")[4] != account:
            raise MalformedResponse(f"Arn {arn[:120]!r} is not an ARN in account {account}")
    except CREDENTIAL_ERRORS as exc:
        raise CollectError(f"no usable AWS credentials: {exc}") from exc
    except (*CALL_ERRORS, *SHAPE_ERRORS) as exc:
        raise CollectError(
            f"cannot identify the {whose}: sts:GetCallerIdentity failed with "
            f"{error_code(exc)}: {error_message(exc)}"
        ) from exc
    return account, match.group(1)


def expect(response: Any, key: str, kind: type[T]) -> T:
    """``response[key]``, which must be present, not null and of type ``kind``.

    Raises:
        MalformedResponse: it is not (the message names the key and what was found).
    """
    if not isinstance(response, dict):
        raise MalformedResponse(f"the answer is a {type(response).__name__}, not an object")
    if key not in response:
        raise MalformedResponse(f"the answer lacks {key}")
    value = response[key]
    if value is None:
        raise MalformedResponse(f"{key} is null")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedResponse(f"{key} is a {type(value).__name__}, not a {kind.__name__}")
    return value


def expect_items(response: Any, key: str) -> list[dict[str, Any]]:
    """``response[key]`` as a list of objects (see :func:`expect`)."""
    items = expect(response, key, list)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedResponse(f"{key}[{index}] is a {type(item).__name__}, not an object")
    return items


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
        response = exc.response if isinstance(exc.response, dict) else {}
        err = response.get("Error")
        code = err.get("Code") if isinstance(err, dict) else None
        if code:
            return " ".join(str(code).split())[:100]
        metadata = response.get("ResponseMetadata")
        status = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
        return f"HTTP{status}" if status else "ClientError"
    if isinstance(exc, NotImplementedError):
        return "NotImplemented"
    if isinstance(exc, ResponseParserError):
        return "ResponseParserError"
    if isinstance(exc, (MalformedResponse, *SHAPE_ERRORS)):
        return "InvalidResponse"
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    """The human message of a failed call (short)."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error") if isinstance(exc.response, dict) else None
        message = (err.get("Message") if isinstance(err, dict) else None) or str(exc)
    else:
        message = str(exc)
    message = " ".join(str(message).split())
    return message if len(message) <= 300 else message[:297] + "..."


_XML_ROOT = re.compile(rb"\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<([A-Za-z_][\w.:-]*)", re.S)


def check_answer(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """botocore ``before-parse`` handler: refuse a successful answer whose body is not
    what the protocol sends, before botocore reads it as "nothing there".

    botocore reads a JSON-protocol body that is not JSON as an empty answer, and an XML
    body whose root is not the operation's result (an HTML page from a proxy, a captive
    portal, a load balancer's error page sent with status 200) as an empty one too. Such
    an answer raises ``ResponseParserError`` here, which every guarded call records as a
    gap. Error answers (status >= 300) and streamed bodies are left to botocore. The
    ``Content-Type`` header is not trusted (moto sends JSON as ``text/html``).
    """
    status = response_dict.get("status_code", 200)
    body = response_dict.get("body")
    if not isinstance(status, int) or status >= 300 or not isinstance(body, bytes | bytearray):
        return
    name = getattr(operation_model, "name", "?")
    head = bytes(body[:512]).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise ResponseParserError(f"{name}: the answer is an HTML page, not an AWS answer")
    protocol = getattr(operation_model.service_model, "resolved_protocol", None) or getattr(
        operation_model.service_model, "protocol", ""
    )
    if protocol in ("json", "rest-json"):
        if not body.strip():
            return
        try:
            parsed = json.loads(bytes(body))
        except ValueError as exc:
            raise ResponseParserError(f"{name}: the answer is not JSON") from exc
        # ``null`` is an empty answer (moto's for CreateAlias; AWS sends no body): a read
        # answered so still fails where its result key is expected (MalformedResponse).
        if parsed is not None and not isinstance(parsed, dict):
            raise ResponseParserError(f"{name}: the answer is JSON but not an object")
    elif protocol in ("query", "ec2"):
        root = _XML_ROOT.match(bytes(body))
        tag = root.group(1).decode("ascii", "replace").split(":")[-1] if root else None
        if tag != f"{name}Response":
            raise ResponseParserError(
                f"{name}: the answer's XML root is {tag!r}, not {name}Response"
            )


class ClientFactory:
    """Creates (and caches) clients from one session, safely from many threads.

    boto3 clients are thread-safe, sessions are not: client creation is serialized by a
    lock, and each (service, region) client is made once. A service named by a literal
    gets the boto3 stubs' typed client; any other name a plain ``BaseClient``.
    ``endpoint_url``: every client goes there (None: the session's choice).
    """

    def __init__(
        self,
        session: boto3.Session,
        config: Config = RETRY_CONFIG,
        *,
        endpoint_url: str | None = None,
    ) -> None:
        self.session = session
        self.config = config
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str | None], BaseClient] = {}

    @overload
    def client(self, service: Literal["account"], region: str | None) -> AccountClient: ...
    @overload
    def client(self, service: Literal["athena"], region: str | None) -> AthenaClient: ...
    @overload
    def client(self, service: Literal["cloudtrail"], region: str | None) -> CloudTrailClient: ...
    @overload
    def client(self, service: Literal["cloudwatch"], region: str | None) -> CloudWatchClient: ...
    @overload
    def client(self, service: Literal["config"], region: str | None) -> ConfigServiceClient: ...
    @overload
    def client(self, service: Literal["ec2"], region: str | None) -> EC2Client: ...
    @overload
    def client(self, service: Literal["events"], region: str | None) -> EventBridgeClient: ...
    @overload
    def client(self, service: Literal["iam"], region: str | None) -> IAMClient: ...
    @overload
    def client(self, service: Literal["kms"], region: str | None) -> KMSClient: ...
    @overload
    def client(self, service: Literal["logs"], region: str | None) -> CloudWatchLogsClient: ...
    @overload
    def client(
        self, service: Literal["organizations"], region: str | None
    ) -> OrganizationsClient: ...
    @overload
    def client(self, service: Literal["s3"], region: str | None) -> S3Client: ...
    @overload
    def client(self, service: Literal["sns"], region: str | None) -> SNSClient: ...
    @overload
    def client(self, service: Literal["sts"], region: str | None) -> STSClient: ...
    @overload
    def client(self, service: str, region: str | None) -> BaseClient: ...

    def client(self, service: str, region: str | None) -> BaseClient:
        """The ``service`` client for ``region`` (None: the session's region)."""
        key = (service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                # The stubs type ``Session.client`` only for literal service names.
                found = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    config=self.config,
                    endpoint_url=self.endpoint_url,
                )
                found.meta.events.register("before-parse", check_answer)
                self._clients[key] = found
            return found


def paginate(client: BaseClient, operation: str, result_key: str, **params: Any) -> list[Any]:
    """Every item of ``result_key`` over all pages of ``operation`` (PascalCase name).

    Uses the botocore paginator when there is one, else follows ``NextToken`` by hand.
    Every page must carry ``result_key`` as a list of objects: a page without it (or
    with a null or another type there) raises :class:`MalformedResponse`, so that a
    broken answer is never read as "none there".
    """
    method = xform_name(operation)
    items: list[Any] = []
    if client.can_paginate(method):
        for page in client.get_paginator(method).paginate(**params):
            items.extend(expect_items(page, result_key))
        return items
    call = getattr(client, method)
    token: str | None = None
    while True:
        page = call(**params, NextToken=token) if token else call(**params)
        items.extend(expect_items(page, result_key))
        next_token = page.get("NextToken")
        if next_token is not None and not isinstance(next_token, str):
            raise MalformedResponse(f"NextToken is a {type(next_token).__name__}")
        if next_token and next_token == token:
            raise MalformedResponse(f"{operation} returned the same NextToken twice")
        token = next_token
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
        except (*CALL_ERRORS, *SHAPE_ERRORS) as exc:
            code, message = error_code(exc), error_message(exc)
            if isinstance(exc, SHAPE_ERRORS) and not isinstance(exc, ValidationError):
                logger.debug(
                    "%s:%s answered something unreadable", service, operation, exc_info=True
                )
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

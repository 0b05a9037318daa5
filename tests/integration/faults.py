"""Test helper: every way one AWS call can fail, injected below botocore's parser.

Each fault is what a ``before-send`` handler gives botocore instead of AWS's answer — an
error answer, an exception of the HTTP layer, or a status-200 answer that is not what
the operation returns — so the whole of botocore runs on it (retries, the before-parse
check of rootguard's clients, the parser), as it would on a real wire.

:func:`json_faults` are for JSON-protocol operations (CloudTrail, EventBridge,
Organizations …), ``STS_FAULTS`` for STS (query protocol, XML). Retries: botocore's
standard mode retries throttling and connection errors up to 8 attempts; tests that
use those faults set the backoff to zero (:func:`no_backoff`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.retries import standard

__all__ = [
    "STS_FAULTS",
    "Fault",
    "Raw",
    "json_answer",
    "json_faults",
    "no_backoff",
    "xml_answer",
]


class Raw:
    """The raw body botocore reads from an ``AWSResponse``."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data


def json_answer(status: int, body: Any) -> AWSResponse:
    """An answer of a JSON-protocol service (``body`` JSON-encoded unless bytes)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return AWSResponse(
        "https://aws.invalid/", status, {"Content-Type": "application/x-amz-json-1.1"}, Raw(data)
    )


def xml_answer(status: int, body: bytes) -> AWSResponse:
    """An answer of a query-protocol service (STS, IAM …)."""
    return AWSResponse("https://aws.invalid/", status, {"Content-Type": "text/xml"}, Raw(body))


HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Our proxy could not reach the service</h1></body></html>"
)


@dataclass(frozen=True)
class Fault:
    """One way a call fails: ``answer(url)`` gives botocore's HTTP answer (or raises the
    HTTP layer's exception); ``code`` is the gap's (or the error's) error code."""

    name: str
    answer: Callable[[str], AWSResponse]
    code: str

    def __str__(self) -> str:
        return self.name


def _connection_error(url: str) -> AWSResponse:
    raise EndpointConnectionError(endpoint_url=url)


def _read_timeout(url: str) -> AWSResponse:
    raise ReadTimeoutError(endpoint_url=url)


def json_faults(result_key: str) -> list[Fault]:
    """The faults of a JSON-protocol call whose answer lists ``result_key``."""

    def error(code: str, status: int) -> Callable[[str], AWSResponse]:
        body = {"__type": code, "message": f"{code} injected by the test"}
        return lambda url: json_answer(status, body)

    return [
        Fault("access-denied", error("AccessDeniedException", 400), "AccessDeniedException"),
        Fault("throttled", error("ThrottlingException", 400), "ThrottlingException"),
        Fault("connection", _connection_error, "EndpointConnectionError"),
        Fault("read-timeout", _read_timeout, "ReadTimeoutError"),
        Fault("html-200", lambda url: json_answer(200, HTML_PAGE), "ResponseParserError"),
        Fault("missing-key", lambda url: json_answer(200, {}), "InvalidResponse"),
        Fault("null", lambda url: json_answer(200, {result_key: None}), "InvalidResponse"),
        Fault("wrong-type", lambda url: json_answer(200, {result_key: "none"}), "InvalidResponse"),
        Fault(
            "not-objects", lambda url: json_answer(200, {result_key: [1, "x"]}), "InvalidResponse"
        ),
    ]


_STS = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'


def _sts_error(code: str, status: int) -> Callable[[str], AWSResponse]:
    error = f"<Type>Sender</Type><Code>{code}</Code><Message>injected by the test</Message>"
    body = f"<ErrorResponse {_STS}><Error>{error}</Error><RequestId>r</RequestId></ErrorResponse>"
    return lambda url: xml_answer(status, body.encode())


def _assume_role_answer(credentials: str) -> Callable[[str], AWSResponse]:
    body = (
        f"<AssumeRoleResponse {_STS}><AssumeRoleResult>{credentials}</AssumeRoleResult>"
        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>"
    )
    return lambda url: xml_answer(200, body.encode())


STS_FAULTS: list[Fault] = [
    Fault("access-denied", _sts_error("AccessDenied", 403), "AccessDenied"),
    Fault("throttled", _sts_error("Throttling", 400), "Throttling"),
    Fault("connection", _connection_error, "EndpointConnectionError"),
    Fault("read-timeout", _read_timeout, "ReadTimeoutError"),
    Fault("html-200", lambda url: xml_answer(200, HTML_PAGE), "ResponseParserError"),
    Fault("no-credentials", _assume_role_answer(""), "InvalidResponse"),
    Fault(
        "credentials-without-a-secret",
        _assume_role_answer(
            "<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE00</AccessKeyId>"
            "<SessionToken>token</SessionToken>"
            "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
        ),
        "InvalidResponse",
    ),
    Fault(
        "expiration-not-a-time",
        _assume_role_answer(
            "<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE00</AccessKeyId>"
            "<SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>"
            "<Expiration>soon</Expiration></Credentials>"
        ),
        "InvalidResponse",
    ),
]
"""The faults of ``sts:AssumeRole``: error answers, the HTTP layer's exceptions, an HTML
page sent with status 200, and answers without usable credentials."""


def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard retries, without waiting between attempts."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)

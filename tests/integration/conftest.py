"""Fixtures of the moto integration tests: a clean AWS environment, an in-process moto
(``mock_aws``) and an HTTP moto server on 127.0.0.1, and fault injection on a session."""

from __future__ import annotations

import functools
import json
import logging
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto.server import ThreadedMotoServer

HOME = "us-east-1"

_AWS_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


_LOADER = botocore.loaders.create_loader()


def new_session(region: str = HOME, **kwargs: Any) -> boto3.Session:
    """A fresh boto3 session (its own events and credentials) that shares one service-model
    loader with the other test sessions: parsing the JSON models once keeps tests fast."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=region, **kwargs)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fake credentials, no profile, no config file, no instance metadata."""
    for name in _AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", HOME)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on a free port of 127.0.0.1 (one per test process).

    Its HTTP log (werkzeug's logger, which has its own level) is silenced: it runs in the
    test's process, so the CLI's stderr handler would print it as if rootguard had."""
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def reset_server(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture(params=["inprocess", "server"])
def aws(
    request: pytest.FixtureRequest, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[boto3.Session]:
    """A boto3 session on a fresh moto account: in-process (``mock_aws``) or over HTTP."""
    if request.param == "inprocess":
        with mock_aws():
            yield new_session()
        return
    endpoint = request.getfixturevalue("moto_server")
    reset_server(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    try:
        yield new_session()
    finally:
        reset_server(endpoint)


@pytest.fixture
def inprocess(aws_env: None) -> Iterator[boto3.Session]:
    """In-process moto only (for tests that do not need both modes)."""
    with mock_aws():
        yield new_session()


@functools.cache
def event_service(service: str) -> str:
    """The name botocore events use for a boto3 service name (``config`` → ``config-service``)."""
    model = botocore.session.get_session().get_service_model(service)
    return str(model.service_id.hyphenize())


def count_calls(session: boto3.Session) -> Counter[str]:
    """Count every API call the session's clients make, as ``service:Operation`` (boto3
    service names as botocore events spell them), retries not included."""
    calls: Counter[str] = Counter()

    def handler(event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        calls[f"{service}:{operation}"] += 1

    session.events.register("before-call", handler)
    return calls


def deny(
    session: boto3.Session,
    service: str,
    operation: str,
    *,
    region: str | None = None,
    code: str = "AccessDenied",
    status: int = 403,
) -> list[str]:
    """Make ``service:operation`` fail with ``code`` (in ``region`` only, if given).

    A ``before-call`` handler answers instead of AWS; returns the list of regions where
    the call was denied (appended to as it happens)."""
    denied: list[str] = []

    def handler(context: dict[str, Any], **_: Any) -> Any:
        where = context.get("client_region")
        if region is not None and where != region:
            return None
        denied.append(str(where))
        parsed = {
            "Error": {"Code": code, "Message": f"User is not authorized to perform {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://denied.invalid", status, {}, None), parsed

    session.events.register_first(f"before-call.{event_service(service)}.{operation}", handler)
    return denied


def throttle(
    session: boto3.Session, service: str, operation: str, *, times: int
) -> Callable[[], int]:
    """The first ``times`` sends of ``service:operation`` answer ThrottlingException (HTTP
    400, JSON protocol body). Returns a function giving how many were throttled."""
    count = {"throttled": 0}

    def handler(**_: Any) -> Any:
        if count["throttled"] >= times:
            return None
        count["throttled"] += 1
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
        return AWSResponse(
            "https://throttled.invalid",
            400,
            {"Content-Type": "application/x-amz-json-1.1"},
            _Raw(body.encode()),
        )

    session.events.register_first(f"before-send.{event_service(service)}.{operation}", handler)
    return lambda: count["throttled"]


class _Raw:
    """The raw body botocore reads from an ``AWSResponse``."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data

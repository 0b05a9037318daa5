"""rootguard._sessions on moto: settings that cross process boundaries without their
live credentials or secrets in ``repr``, sessions built from them (hook, endpoint,
refreshing credentials), and the per-process client cache shared by threads."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials, RefreshableCredentials
from moto import mock_aws

from rootguard._aws import RETRY_CONFIG
from rootguard._sessions import (
    KEPT_SETTINGS,
    SessionSettings,
    cached_client,
    forget,
    new_session,
    settings_of,
    share_client,
)
from tests.integration.conftest import HOME

SECRET = "sessionsSECRETkey/0123456789abcdefghij"
TOKEN = "sessionsTOKEN//0123456789"


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


def _caller() -> Credentials:
    return Credentials("AKIASESSIONS00000001", SECRET, TOKEN)


def test_settings_freeze_credentials_and_hide_secrets() -> None:
    settings = settings_of(_caller(), region_name=HOME, config=RETRY_CONFIG)
    assert (settings.access_key, settings.secret_key, settings.session_token) == (
        "AKIASESSIONS00000001",
        SECRET,
        TOKEN,
    )
    for text in (repr(settings), str(settings)):
        assert SECRET not in text
        assert TOKEN not in text
    moved = pickle.loads(pickle.dumps(settings))
    assert settings.live is not None
    assert moved.live is None  # another process uses the frozen keys
    assert moved == settings
    assert moved.key == settings.key
    assert moved.config is not None
    assert moved.config.retries == RETRY_CONFIG.retries


def test_without_credentials_the_profile_is_carried() -> None:
    settings = settings_of(None, region_name=HOME, profile_name="audit")
    assert settings.profile_name == "audit"
    assert settings.access_key is None


def test_a_session_from_frozen_keys_reaches_moto(moto: None) -> None:
    hooked: list[boto3.Session] = []
    settings = pickle.loads(pickle.dumps(settings_of(_caller(), region_name=HOME)))
    settings = replace(settings, hook=hooked.append)
    session = new_session(settings)
    assert hooked == [session]
    assert session.region_name == HOME
    frozen = session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        "AKIASESSIONS00000001",
        SECRET,
        TOKEN,
    )
    assert session.client("sts").get_caller_identity()["Account"]


def test_given_credentials_are_kept_as_they_are(moto: None) -> None:
    refreshed: list[int] = []

    def refresh() -> dict[str, str]:
        refreshed.append(1)
        expiry = datetime.now(timezone.utc) + timedelta(hours=1)
        return {
            "access_key": "AKIASESSIONS00000002",
            "secret_key": "second",
            "token": "second-token",
            "expiry_time": expiry.isoformat(),
        }

    soon = datetime.now(timezone.utc) + timedelta(minutes=1)
    role = RefreshableCredentials(
        "AKIASESSIONS00000003", "first", "first-token", soon, refresh, method="assume-role"
    )
    session = new_session(settings_of(_caller(), region_name=HOME), role)
    credentials = session.get_credentials()
    assert credentials is role
    assert credentials.method == "assume-role"
    assert credentials.get_frozen_credentials().access_key == "AKIASESSIONS00000002"
    assert refreshed == [1]


def test_sessions_share_the_parsed_service_models(moto: None) -> None:
    settings = settings_of(_caller(), region_name=HOME)
    sessions = [new_session(settings) for _ in range(20)]
    loaders = {id(s._session.get_component("data_loader")) for s in sessions}
    assert len(loaders) == 1  # one loader: each model is parsed once per process
    [loader] = {s._session.get_component("data_loader") for s in sessions[:1]}
    paths = loader.search_paths
    assert len(paths) == len(set(paths))  # boto3's folder is not added once per session
    # and each session still has its own credentials and events
    other = new_session(settings, Credentials("AKIASESSIONS00000009", "x", "y"))
    assert other.get_credentials().access_key == "AKIASESSIONS00000009"  # type: ignore[union-attr]
    assert sessions[0].get_credentials().access_key == "AKIASESSIONS00000001"  # type: ignore[union-attr]
    assert sessions[0].events is not sessions[1].events
    assert sessions[0].client("sts").get_caller_identity()["Account"]


def test_the_endpoint_applies_to_every_client(moto: None) -> None:
    settings = SessionSettings(region_name=HOME, endpoint_url="http://127.0.0.1:1")
    session = new_session(settings)
    assert session.client("s3").meta.endpoint_url == "http://127.0.0.1:1"
    other = session.client("sts", endpoint_url="http://127.0.0.1:2")
    assert other.meta.endpoint_url == "http://127.0.0.1:2"


def test_one_client_per_settings_service_and_region_shared_by_threads(moto: None) -> None:
    settings = settings_of(_caller(), region_name=HOME, config=RETRY_CONFIG)
    found: list[Any] = []
    start = threading.Barrier(8)

    def take() -> None:
        start.wait()
        found.append(cached_client(settings, "sts"))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in found}) == 1
    client = found[0]
    assert client.meta.config.retries == RETRY_CONFIG.retries
    assert cached_client(settings, "sts", "eu-west-1") is not client
    assert cached_client(settings, "sts", checked=True) is not client
    copy = pickle.loads(pickle.dumps(settings))
    assert cached_client(copy, "sts") is client  # same key, same process
    forget(settings)
    assert cached_client(settings, "sts") is not client
    forget(settings)


def test_a_shared_client_is_used_in_this_process(moto: None) -> None:
    settings = settings_of(_caller(), region_name=HOME)
    mine = boto3.client("s3", region_name=HOME)
    share_client(settings, "s3", mine)
    assert cached_client(settings, "s3") is mine
    forget(settings)


def test_only_the_latest_settings_keep_their_clients(moto: None) -> None:
    first = settings_of(_caller(), region_name=HOME)
    kept = cached_client(first, "sts")
    others = [settings_of(_caller(), region_name=HOME) for _ in range(KEPT_SETTINGS)]
    for other in others:
        cached_client(other, "sts")
    assert cached_client(first, "sts") is not kept
    for other in [first, *others]:
        forget(other)


def test_the_clients_of_one_settings_share_one_session(moto: None) -> None:
    built: list[boto3.Session] = []
    settings = settings_of(_caller(), region_name=HOME, hook=built.append)
    sts = cached_client(settings, "sts", checked=True)
    account = cached_client(settings, "account", checked=True)
    assert sts is not account
    assert len(built) == 1  # the hook ran once for this process
    forget(settings)
    cached_client(settings, "sts")
    assert len(built) == 2
    forget(settings)

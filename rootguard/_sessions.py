"""AWS sessions and clients where the work runs: worker threads and processes (I/O).

A boto3 session does not cross a process boundary (and is not thread-safe), so work
handed to an executor carries :class:`SessionSettings` instead — picklable: the
credentials (frozen keys, session token included) or a profile name, the region, the
endpoint and the botocore ``Config`` — and builds what it needs where it runs:

- :func:`new_session`: a fresh ``boto3.Session`` from the settings, or from a botocore
  credentials object obtained there (an assumed role's self-refreshing credentials);
- :func:`cached_client`: one client per settings, service and region in each process,
  shared by the threads of that process (boto3 clients are thread-safe), for the last
  few settings only; :func:`share_client` lets the threads of the caller's own process
  reuse the caller's client, :func:`forget` drops a finished scan's clients.

Only public boto3/botocore interfaces are used. Every session of a process shares one
botocore data loader (``register_component("data_loader", ...)``), so the service models
are parsed once per process, not once per member account. Sessions are built with botocore's
built-in handlers, so whatever hooks itself in there (moto's ``mock_aws``) sees every
session built here; a settings' ``hook`` is called with every session built from them
(to register handlers with ``session.events``). Secrets stay out of ``repr``/``str``.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, overload

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.credentials import CredentialProvider, Credentials
from botocore.loaders import Loader, create_loader

from rootguard._aws import check_answer

if TYPE_CHECKING:
    # The typed clients of the boto3 stubs (a dev dependency): only mypy sees them.
    from mypy_boto3_account import AccountClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

__all__ = [
    "KEPT_SETTINGS",
    "SessionHook",
    "SessionSettings",
    "cached_client",
    "forget",
    "new_session",
    "settings_of",
    "share_client",
]

logger = logging.getLogger(__name__)

SessionHook = Callable[[boto3.Session], None]
"""Called with every session built from a :class:`SessionSettings` (picklable when the
settings go to another process)."""

KEPT_SETTINGS: Final = 8
"""The clients of this many most recently used settings are kept in each process."""


@dataclass(frozen=True)
class SessionSettings:
    """Everything a worker needs to build its own sessions and clients (picklable).

    ``key`` names these settings in each process's client cache: copies of one
    settings (the tasks of one scan) share their clients. ``live`` is the caller's own
    credentials object (refreshing itself), used while the settings stay in the
    process that made them and dropped when they are pickled: another process uses
    the frozen keys. The secret key, the token and ``live`` stay out of ``repr``.
    """

    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    region_name: str | None = None
    endpoint_url: str | None = None
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    profile_name: str | None = None
    """Used when there are no keys: the worker resolves the profile itself."""
    config: Config | None = field(default=None, compare=False)
    """The botocore configuration of every client (retries, timeouts, pool size)."""
    hook: SessionHook | None = field(default=None, compare=False)
    live: Credentials | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["live"] = None  # credentials hold locks; another process uses the keys
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def settings_of(
    credentials: Credentials | None,
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    profile_name: str | None = None,
    config: Config | None = None,
    hook: SessionHook | None = None,
) -> SessionSettings:
    """Settings for workers from the caller's credentials (frozen now; the live object is
    kept for this process). Without credentials, ``profile_name`` (if any) is carried.

    Raises:
        botocore's credential errors: refreshing the caller's credentials failed.
    """
    if credentials is None:
        return SessionSettings(
            region_name=region_name,
            endpoint_url=endpoint_url,
            profile_name=profile_name,
            config=config,
            hook=hook,
        )
    frozen = credentials.get_frozen_credentials()
    return SessionSettings(
        region_name=region_name,
        endpoint_url=endpoint_url,
        access_key=frozen.access_key,
        secret_key=frozen.secret_key,
        session_token=frozen.token,
        config=config,
        hook=hook,
        live=credentials,
    )


# --------------------------------------------------------------------------- sessions


class _Given(CredentialProvider):
    """A credential provider answering one credentials object (kept as it is: an
    assumed role's credentials keep refreshing themselves and their ``method``)."""

    METHOD = "rootguard"
    CANONICAL_NAME = "rootguard"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


class _EndpointSession(boto3.Session):
    """A session whose clients all go to one endpoint (a moto server, a proxy …)."""

    def __init__(self, *, endpoint_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rootguard_endpoint_url = endpoint_url

    # The stubs type ``Session.client`` as one overload per literal service name (and
    # none for ``str``): an override forwarding every name cannot restate them all.
    def client(self, *args: Any, **kwargs: Any) -> BaseClient:  # type: ignore[override]
        if kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = self.rootguard_endpoint_url
        made: BaseClient = super().client(*args, **kwargs)
        return made


_LOADERS: dict[str, Loader] = {}
"""One botocore data loader per data path in this process (see :func:`new_session`)."""
_LOADERS_LOCK = threading.Lock()


def _with_shared_loader(core: botocore.session.Session) -> None:
    """Give ``core`` this process's data loader for its data path.

    Every botocore session parses the service models it uses again (its own loader caches
    them); a scan builds a session per member account, so that parse would dominate its
    CPU (about 3x the whole rest). ``register_component("data_loader", ...)`` is
    botocore's documented way to set a session's loader (botocore#3078 discusses sharing
    one). The loader is made as botocore makes it (``create_loader``).
    """
    path = core.get_config_variable("data_path") or ""
    with _LOADERS_LOCK:
        loader = _LOADERS.get(path)
        if loader is None:
            loader = _LOADERS[path] = create_loader(path or None)
    core.register_component("data_loader", loader)


def _drop_repeated_search_paths(core: botocore.session.Session) -> None:
    """boto3 adds its own data folder to the session's loader each time a ``boto3.Session``
    is made on it: with one loader shared, keep each folder once (the repeats are always
    at the end, so a lookup under way never misses a folder)."""
    paths = core.get_component("data_loader").search_paths
    if len(paths) != len(set(paths)):
        paths[:] = list(dict.fromkeys(paths))


def new_session(settings: SessionSettings, credentials: Credentials | None = None) -> boto3.Session:
    """A fresh session (its own events, credentials and clients) from ``settings``, on
    ``credentials`` when given (else the settings' own), with the settings' ``hook``
    applied. Sessions of one process share botocore's parsed service models."""
    given = credentials if credentials is not None else settings.live
    core = botocore.session.Session()
    _with_shared_loader(core)
    kwargs: dict[str, Any] = {"region_name": settings.region_name, "botocore_session": core}
    if given is not None:
        # boto3.Session takes static keys only: a credentials object that refreshes
        # itself is answered by a provider at the head of the session's chain
        core.get_component("credential_provider").insert_before("env", _Given(given))
    elif settings.access_key:
        kwargs["aws_access_key_id"] = settings.access_key
        kwargs["aws_secret_access_key"] = settings.secret_key
        kwargs["aws_session_token"] = settings.session_token
    elif settings.profile_name is not None:
        kwargs["profile_name"] = settings.profile_name
    session: boto3.Session
    with _LOADERS_LOCK:  # boto3 appends to the shared loader's search paths here
        if settings.endpoint_url:
            session = _EndpointSession(endpoint_url=settings.endpoint_url, **kwargs)
        else:
            session = boto3.Session(**kwargs)
        _drop_repeated_search_paths(core)
    if settings.hook is not None:
        settings.hook(session)
    return session


# --------------------------------------------------------------------------- clients


@dataclass
class _Slot:
    """What one process keeps for one settings: the session its clients come from (built
    once, so the settings' hook runs once per process) and the clients."""

    session: boto3.Session | None = None
    clients: dict[tuple[str, str | None, bool], BaseClient] = field(default_factory=dict)


_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[str, int], _Slot] = OrderedDict()
"""(settings key, process id) -> what is kept for those settings, oldest first. The
process id keeps a forked child from using its parent's connections."""


def _slot_of(settings: SessionSettings) -> _Slot:
    """The slot of ``settings`` in this process (call with ``_LOCK`` held)."""
    key = (settings.key, os.getpid())
    slot = _CACHE.get(key)
    if slot is None:
        slot = _CACHE[key] = _Slot()
        while len(_CACHE) > KEPT_SETTINGS:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return slot


@overload
def cached_client(
    settings: SessionSettings,
    service: Literal["account"],
    region_name: str | None = None,
    *,
    checked: bool = False,
) -> AccountClient: ...
@overload
def cached_client(
    settings: SessionSettings,
    service: Literal["iam"],
    region_name: str | None = None,
    *,
    checked: bool = False,
) -> IAMClient: ...
@overload
def cached_client(
    settings: SessionSettings,
    service: Literal["organizations"],
    region_name: str | None = None,
    *,
    checked: bool = False,
) -> OrganizationsClient: ...
@overload
def cached_client(
    settings: SessionSettings,
    service: Literal["s3"],
    region_name: str | None = None,
    *,
    checked: bool = False,
) -> S3Client: ...
@overload
def cached_client(
    settings: SessionSettings,
    service: Literal["sts"],
    region_name: str | None = None,
    *,
    checked: bool = False,
) -> STSClient: ...
@overload
def cached_client(
    settings: SessionSettings,
    service: str,
    region_name: str | None = None,
    *,
    checked: bool = False,
) -> BaseClient: ...


def cached_client(
    settings: SessionSettings,
    service: str,
    region_name: str | None = None,
    *,
    checked: bool = False,
) -> BaseClient:
    """The ``service`` client of ``settings`` for ``region_name`` (None: the settings'
    region) in this process: made once, then shared by every thread; the clients of one
    settings come from one session. ``checked``: the client checks every answer before
    botocore parses it (``rootguard._aws``). A service named by a literal gets the boto3
    stubs' typed client; any other name a plain ``BaseClient``."""
    region = region_name or settings.region_name
    with _LOCK:
        slot = _slot_of(settings)
        found = slot.clients.get((service, region, checked))
        if found is None:
            if slot.session is None:
                slot.session = new_session(settings)
            # The stubs type ``Session.client`` only for literal service names.
            found = slot.session.client(  # type: ignore[call-overload]
                service, region_name=region, config=settings.config
            )
            if checked:
                found.meta.events.register("before-parse", check_answer)
            slot.clients[(service, region, checked)] = found
            logger.debug("made a %s client for %s in process %d", service, region, os.getpid())
        return found


def share_client(
    settings: SessionSettings,
    service: str,
    client: BaseClient,
    region_name: str | None = None,
    *,
    checked: bool = False,
) -> None:
    """Let the threads of this process use ``client`` (the caller's own) for
    :func:`cached_client` of these arguments; other processes make their own."""
    region = region_name or settings.region_name
    with _LOCK:
        _slot_of(settings).clients[(service, region, checked)] = client


def forget(settings: SessionSettings | None) -> None:
    """Drop this process's clients of ``settings`` (a finished scan's)."""
    if settings is None:
        return
    with _LOCK:
        _CACHE.pop((settings.key, os.getpid()), None)

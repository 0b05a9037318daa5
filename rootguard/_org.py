"""scan_organization: check every account of an AWS Organization (I/O).

The caller's session lists the accounts (``organizations:ListAccounts``), then one task
per account runs on an executor — a thread pool by default, or any
``concurrent.futures.Executor`` (a Dask cluster through ``client.get_executor()`` …).
A task carries only picklable settings (:class:`_AccountTask`) and builds its boto3
sessions where it runs: the caller's own account is collected with the caller's
credentials, every other account through ``sts:AssumeRole`` into ``role_name`` with
credentials that refresh themselves (botocore ``RefreshableCredentials``), so a scan
longer than a role session keeps working. Each task returns an :class:`AccountResult`;
nothing one account does can stop or spoil another. The pure
:meth:`OrganizationReport.from_accounts` then judges the organization as a whole.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

import boto3
import botocore.loaders
import botocore.session
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    Credentials,
    RefreshableCredentials,
)
from botocore.exceptions import ClientError
from botocore.hooks import HierarchicalEmitter

from rootguard._aws import (
    CALL_ERRORS,
    CREDENTIAL_ERRORS,
    RETRY_CONFIG,
    MalformedResponse,
    caller_identity,
    check_answer,
    error_code,
    error_message,
    expect,
    paginate,
    partition_of_arn,
    requested_regions,
    session_credentials,
    unique,
)
from rootguard._checks import Policy, evaluate
from rootguard._collect import collect_account
from rootguard._errors import (
    ArgumentError,
    CollectError,
    count,
    endpoint,
    instance_or_none,
    name_list,
)
from rootguard._names import check_name
from rootguard._org_report import AccountFailure, AccountResult, AccountStatus, OrganizationReport
from rootguard._permissions import ORGANIZATION_CALLER_ACTIONS
from rootguard._snapshot import Trail

__all__ = ["CALLER_ACTIONS", "DEFAULT_MAX_WORKERS", "DEFAULT_ROLE_NAME", "scan_organization"]

logger = logging.getLogger(__name__)

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
"""The role AWS Organizations creates in the accounts it creates."""
DEFAULT_MAX_WORKERS = 16
"""Accounts checked at once by the default thread pool. Each account's regions are read
concurrently as well (by :func:`rootguard.collect`), so the work is I/O-bound: threads,
not processes."""

CALLER_ACTIONS: tuple[str, ...] = ORGANIZATION_CALLER_ACTIONS
"""The IAM actions the caller's credentials need for the scan itself, on top of
``required_permissions("check")`` for the caller's own account (each member role needs
``required_permissions("check")``)."""

SessionHook = Callable[[boto3.Session], None]

_SHAPE_ERRORS: tuple[type[Exception], ...] = (
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ValueError,
)
"""What reading an answer of the wrong shape raises — botocore's own parsers among the
readers (a timestamp that is not a time raises ``ValueError``)."""
_FAILURES: tuple[type[Exception], ...] = (*CALL_ERRORS, *_SHAPE_ERRORS)
"""Every way one call of the scan itself can fail (credentials aside): each is reported
with its error code, none escapes raw."""


# --------------------------------------------------------------------------- task data


@dataclass(frozen=True)
class _CallerCredentials:
    """The caller's credentials for a task: frozen keys (picklable) and, while the task
    stays in this process, the live (self-refreshing) credentials object. The secret key
    and the token stay out of ``repr``/``str`` (and so out of logs and tracebacks)."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    live: Any = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["live"] = None  # locks do not pickle; another process uses the frozen keys
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def credentials(self) -> Credentials:
        if self.live is not None:
            return self.live  # type: ignore[no-any-return]
        return Credentials(self.access_key, self.secret_key, self.token, method="rootguard")


@dataclass(frozen=True)
class _AccountTask:
    """Everything a task needs to check one account (picklable)."""

    account_id: str
    caller: _CallerCredentials
    home_region: str
    role_arn: str | None = None
    """None: the caller's own account, checked with the caller's credentials."""
    partition: str = "aws"
    scan_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """The tasks of one scan share, in each process, the client that assumes the roles."""
    name: str | None = None
    email: str | None = None
    state: str | None = None
    management: bool = False
    regions: tuple[str, ...] | None = None
    policy: Policy | None = None
    external_id: str | None = None
    session_name: str = "rootguard"
    duration_seconds: int | None = None
    endpoint_url: str | None = None
    configure_session: SessionHook | None = None
    collect_workers: int | None = None


@dataclass(frozen=True)
class _TaskOutcome:
    result: AccountResult
    organization_trails: tuple[Trail, ...] = ()


# --------------------------------------------------------------------------- sessions


class _SearchPaths(list[str]):
    """A data loader's search paths that ignore a path added again: boto3 adds its own
    data path for every session built on the loader."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


_SHARED_LOCK = threading.Lock()
_SHARED: list[tuple[botocore.loaders.Loader, HierarchicalEmitter]] = []


def _shared_parts() -> tuple[botocore.loaders.Loader, HierarchicalEmitter]:
    """One botocore data loader and one emitter holding botocore's built-in event handlers,
    per process: the service models are parsed once, and each new session copies the
    handlers instead of registering all of them again (~0.3 ms instead of ~4 ms)."""
    with _SHARED_LOCK:
        if not _SHARED:
            handlers = HierarchicalEmitter()
            botocore.session.Session(event_hooks=handlers)  # registers the built-in handlers
            loader = botocore.loaders.Loader(extra_search_paths=_SearchPaths())
            _SHARED.append((loader, handlers))
        return _SHARED[0]


class _Fixed(CredentialProvider):
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

    def client(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = self.rootguard_endpoint_url
        return super().client(*args, **kwargs)


def _session(
    credentials: Credentials,
    region: str,
    endpoint_url: str | None,
    hook: SessionHook | None,
) -> boto3.Session:
    """A fresh session (its own events, caches and clients) on these credentials."""
    loader, handlers = _shared_parts()
    core = botocore.session.Session(event_hooks=copy.copy(handlers), include_builtin_handlers=False)
    core.register_component("data_loader", loader)
    core.register_component("credential_provider", CredentialResolver([_Fixed(credentials)]))
    session: boto3.Session
    if endpoint_url:
        session = _EndpointSession(
            endpoint_url=endpoint_url, botocore_session=core, region_name=region
        )
    else:
        session = boto3.Session(botocore_session=core, region_name=region)
    if hook is not None:
        hook(session)
    return session


def _assume_role_credentials(
    sts: Any,
    role_arn: str,
    *,
    session_name: str,
    external_id: str | None = None,
    duration_seconds: int | None = None,
    time_fetcher: Callable[[], datetime] | None = None,
) -> tuple[RefreshableCredentials, tuple[str, str] | None]:
    """Credentials of ``role_arn`` that assume the role again before they expire, and
    the (account id, partition) they belong to (from the assumed-role ARN of the answer;
    None when the answer has none).

    Every answer is validated (:class:`~rootguard._aws.MalformedResponse` when it has no
    usable credentials). The first ``sts:AssumeRole`` happens now (its failure, of any
    kind, is the caller's to report);
    botocore calls the same function again when the credentials come within 15 minutes
    of their expiry (blocking within 10), so clients made from them keep working for
    as long as the scan lasts.
    """
    assumed: list[str] = []
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if external_id:
        params["ExternalId"] = external_id
    if duration_seconds:
        params["DurationSeconds"] = duration_seconds

    def fetch() -> dict[str, str]:
        answer = sts.assume_role(**params)
        found = expect(answer, "Credentials", dict)
        keys = {
            "access_key": expect(found, "AccessKeyId", str),
            "secret_key": expect(found, "SecretAccessKey", str),
            "token": expect(found, "SessionToken", str),
        }
        empty = [name for name, value in keys.items() if not value.strip()]
        if empty:
            raise MalformedResponse(f"the role's credentials have an empty {empty[0]}")
        expiry = expect(found, "Expiration", datetime)
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=timezone.utc)
        user = answer.get("AssumedRoleUser")
        assumed.append(expect(user, "Arn", str) if user is not None else "")
        logger.debug("assumed %s until %s", role_arn, expiry)
        return {**keys, "expiry_time": expiry.isoformat()}

    first = fetch()
    kwargs: dict[str, Any] = {}
    if time_fetcher is not None:
        kwargs["time_fetcher"] = time_fetcher
    credentials = RefreshableCredentials(
        access_key=first["access_key"],
        secret_key=first["secret_key"],
        token=first["token"],
        expiry_time=datetime.fromisoformat(first["expiry_time"]),
        refresh_using=fetch,
        method="assume-role",
        **kwargs,
    )
    return credentials, _arn_identity(assumed[0])


def _arn_identity(arn: str) -> tuple[str, str] | None:
    """(account id, partition) named by an ARN, or None."""
    parts = arn.split(":")
    if len(parts) < 6 or not _valid_account_id(parts[4]):
        return None
    return parts[4], partition_of_arn(arn)


_CALLER_STS_LOCK = threading.Lock()
_CALLER_STS: OrderedDict[str, Any] = OrderedDict()
_CALLER_STS_KEPT = 8


def _caller_sts(task: _AccountTask) -> Any:
    """The STS client, on the caller's credentials, that assumes the member roles: one per
    scan and process, shared by that scan's tasks (boto3 clients are thread-safe), kept
    for the last few scans only."""
    with _CALLER_STS_LOCK:
        sts = _CALLER_STS.get(task.scan_id)
        if sts is None:
            base = _session(
                task.caller.credentials(),
                task.home_region,
                task.endpoint_url,
                task.configure_session,
            )
            sts = base.client("sts", region_name=task.home_region, config=RETRY_CONFIG)
            sts.meta.events.register("before-parse", check_answer)
            _CALLER_STS[task.scan_id] = sts
            while len(_CALLER_STS) > _CALLER_STS_KEPT:
                _CALLER_STS.popitem(last=False)
        else:
            _CALLER_STS.move_to_end(task.scan_id)
        return sts


def _forget_scan(scan_id: str) -> None:
    with _CALLER_STS_LOCK:
        _CALLER_STS.pop(scan_id, None)


# --------------------------------------------------------------------------- the task


def _error(task: _AccountTask, operation: str, code: str, message: str) -> _TaskOutcome:
    error = AccountFailure(operation=operation, error_code=code, message=message)
    logger.warning("account %s could not be checked: %s", task.account_id, error.describe())
    return _TaskOutcome(
        AccountResult(
            account_id=task.account_id,
            name=task.name,
            email=task.email,
            state=task.state,
            management=task.management,
            role_arn=task.role_arn,
            status=AccountStatus.ERROR,
            error=error,
            reason=error.describe(),
        )
    )


def _collect_error(exc: CollectError) -> tuple[str, str]:
    """(operation, code) of a CollectError: the AWS call behind it when there is one."""
    cause = exc.__cause__
    if cause is None:
        return "collect", "CollectError"
    if "sts:GetCallerIdentity" in str(exc) or (
        isinstance(cause, ClientError) and cause.operation_name == "GetCallerIdentity"
    ):
        return "sts:GetCallerIdentity", error_code(cause)
    if isinstance(cause, ClientError) and cause.operation_name:
        return cause.operation_name, error_code(cause)
    return "collect", error_code(cause)


def _scan_account(task: _AccountTask) -> _TaskOutcome:
    """Check one account; never raises (every failure becomes the account's error)."""
    try:
        return _scan_account_unguarded(task)
    except Exception as exc:  # one account must never stop the others
        logger.warning("account %s: unexpected failure", task.account_id, exc_info=True)
        return _error(task, "scan", error_code(exc), error_message(exc))


def _scan_account_unguarded(task: _AccountTask) -> _TaskOutcome:
    started = time.monotonic()
    identity: tuple[str, str] | None
    if task.role_arn is None:
        # the caller's own account: scan_organization identified these credentials
        session = _session(
            task.caller.credentials(), task.home_region, task.endpoint_url, task.configure_session
        )
        identity = (task.account_id, task.partition)
    else:
        try:
            role_credentials, identity = _assume_role_credentials(
                _caller_sts(task),
                task.role_arn,
                session_name=task.session_name,
                external_id=task.external_id,
                duration_seconds=task.duration_seconds,
            )
        except (*CREDENTIAL_ERRORS, *_FAILURES) as exc:
            # any failure of the role assumption, malformed answers included
            return _error(task, "sts:AssumeRole", error_code(exc), error_message(exc))
        if identity is not None and identity[0] != task.account_id:
            return _error(
                task,
                "sts:AssumeRole",
                "AccountMismatch",
                f"the role's credentials belong to account {identity[0]}",
            )
        session = _session(
            role_credentials, task.home_region, task.endpoint_url, task.configure_session
        )
    try:
        snapshot = collect_account(
            session,
            list(task.regions) if task.regions is not None else None,
            identity=identity,
            max_workers=task.collect_workers,
        )
    except CollectError as exc:
        operation, code = _collect_error(exc)
        return _error(task, operation, code, str(exc))
    if snapshot.account_id != task.account_id:
        return _error(
            task,
            "sts:AssumeRole" if task.role_arn is not None and identity else "sts:GetCallerIdentity",
            "AccountMismatch",
            f"the credentials belong to account {snapshot.account_id}",
        )
    report = evaluate(snapshot, policy=task.policy)
    trails = tuple(
        t
        for t in snapshot.trails or ()
        if t.is_organization_trail and t.account_id == snapshot.account_id
    )
    logger.info(
        "checked account %s in %.1fs (%d gaps)",
        task.account_id,
        time.monotonic() - started,
        len(snapshot.gaps),
    )
    return _TaskOutcome(
        AccountResult(
            account_id=task.account_id,
            name=task.name,
            email=task.email,
            state=task.state,
            management=task.management,
            role_arn=task.role_arn,
            status=AccountStatus.CHECKED,
            report=report,
        ),
        organization_trails=trails,
    )


# --------------------------------------------------------------------------- the scan


_SKIP_STATES = {
    "SUSPENDED": "the account is suspended",
    "PENDING_CLOSURE": "the account is pending closure",
    "CLOSED": "the account is closed",
    "PENDING_ACTIVATION": "the account is not activated yet",
}


def _skip_reason(entry: dict[str, Any]) -> str | None:
    state = entry.get("State") or entry.get("Status")
    if state is None or state == "ACTIVE":
        return None
    text = _SKIP_STATES.get(str(state), f"the account's state is {state}")
    return f"{text} ({state} in AWS Organizations)"


def _valid_account_id(value: str) -> bool:
    return len(value) == 12 and value.isdigit()


def scan_organization(
    *,
    session: boto3.Session | None = None,
    role_name: str = DEFAULT_ROLE_NAME,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    policy: Policy | None = None,
    executor: Executor | None = None,
    max_workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    external_id: str | None = None,
    session_name: str = "rootguard",
    endpoint_url: str | None = None,
    configure_session: SessionHook | None = None,
    role_duration_seconds: int | None = None,
    audit_member_roots: bool = False,
) -> OrganizationReport:
    """Check every account of the organization, each on its own, in parallel.

    Args:
        session: the caller's session (None: a default ``boto3.Session()``), normally in
            the management account. It lists the accounts and its own account is checked
            with its credentials; every other account is reached by assuming
            ``role_name`` there.
        role_name: the role to assume in each member account (a path is allowed:
            ``security/RootGuardAudit``).
        accounts: only these account ids (default: every account ``ListAccounts``
            gives). Names and states still come from ``ListAccounts`` when the caller
            may list the accounts.
        regions: the regions to read in every account (None: each account's enabled
            regions).
        policy: thresholds for :func:`rootguard.evaluate`.
        executor: where the account tasks run: any ``concurrent.futures.Executor``
            (a Dask cluster's ``client.get_executor()`` …). It is used, not shut down.
            Default: a thread pool of ``max_workers`` threads.
        max_workers: size of the default thread pool (default
            :data:`DEFAULT_MAX_WORKERS`, at most one per account); ignored with
            ``executor``.
        progress: called as ``progress(done, total)`` after each account.
        external_id: the ``ExternalId`` the member roles require, if any.
        session_name: the ``RoleSessionName`` (shows in the members' CloudTrail).
        endpoint_url: send every AWS call to this endpoint (a local moto server, an
            API proxy). Default: the endpoint configuration where the task runs
            (``AWS_ENDPOINT_URL`` …).
        configure_session: called with every boto3 session the tasks build (each
            role's; the caller's, whose client assumes the roles, once per scan in each
            process; the caller's own account's), e.g. to register botocore event
            handlers. Sessions are built where the tasks run, so handlers registered on
            ``session`` itself do not apply there. Must be picklable for executors that
            pickle tasks.
        role_duration_seconds: ``DurationSeconds`` of each role session (default: the
            role's default, one hour); the credentials are refreshed before they expire.
        audit_member_roots: also audit every member's root user through
            ``sts:AssumeRoot`` (:func:`rootguard.audit_member_roots`, on the same
            executor, endpoint and session hook): the report's
            :attr:`~OrganizationReport.member_roots` and its ``organization.*``
            findings; the caller then needs ``required_permissions("organization-audit")``.

    Returns:
        An :class:`OrganizationReport` with one :class:`AccountResult` per account, in
        account id order: ``checked`` (with its report, where every call that failed
        is a gap making the checks it feeds UNKNOWN), ``error`` (the role could not be
        assumed — role missing, access denied, throttled beyond the retries, connection
        error, an answer that is not AWS's or has no usable credentials, credentials of
        another account — or nothing at all could be read: which call failed, its error
        code and message) or ``skipped`` (suspended, pending closure, closed). The
        result is the same whatever the executor.

    Raises:
        CollectError: there are no usable credentials, the caller cannot be identified,
            the organization is needed (``accounts`` not given) and
            ``DescribeOrganization`` fails, or the account list is needed and
            ``ListAccounts`` fails — in any way, an answer that is not a readable
            organization or list of accounts included.
        ArgumentError: before any call — ``accounts`` or ``regions`` is a bare string
            (pass a list) or holds a non-string, an account id is not 12 digits, or
            ``role_name``, ``external_id`` or ``session_name`` breaks AWS's rules for it
            (a role name with an optional path, not an ARN: 1-64 of letters, digits and
            ``_+=,.@-``; an external id: 2-1224 of those and ``:/``; a session name:
            2-64), ``max_workers`` or ``role_duration_seconds`` is not a whole number of
            at least 1, ``endpoint_url`` is not an http(s) URL, or ``policy`` is not a
            :class:`Policy`. ``ArgumentError`` is a
            ``ValueError`` too.

    Examples:
        >>> import rootguard
        >>> org = rootguard.scan_organization(regions=["us-east-1", "eu-west-1"])
        >>> sorted((a.name, a.status.value) for a in org.accounts)  # doctest: +NORMALIZE_WHITESPACE
        [('exposed-1', 'checked'), ('hardened-1', 'checked'),
         ('master', 'checked'), ('plain-1', 'checked')]
        >>> print(org.to_table())  # doctest: +ELLIPSIS
        Organization o-... (management ...) · 4 accounts: 4 checked, 0 error, 0 skipped
        ...

        On a Dask cluster::

            from distributed import Client
            with Client("tcp://scheduler:8786") as client:
                org = rootguard.scan_organization(executor=client.get_executor())
    """
    # every argument is checked before any call (credentials included)
    named = name_list(accounts, "accounts", items="account ids")
    wanted = unique(named) if named is not None else None
    bad = [a for a in wanted or () if not _valid_account_id(a)]
    if bad:
        raise ArgumentError(
            f"not AWS account ids (12 digits): {', '.join(repr(a[:20]) for a in bad[:5])}",
            parameter="accounts",
        )
    regions = name_list(regions, "regions", items="region names")
    _check_names(role_name=role_name, external_id=external_id, session_name=session_name)
    count(max_workers, "max_workers")
    count(role_duration_seconds, "role_duration_seconds")
    instance_or_none(policy, Policy, "policy")
    endpoint(endpoint_url)
    sess, credentials = session_credentials(session)
    try:
        frozen = credentials.get_frozen_credentials()
    except (*CREDENTIAL_ERRORS, *_FAILURES) as exc:  # a refresh of the caller's credentials
        raise CollectError(f"no usable AWS credentials: {exc}") from exc
    if not frozen.access_key or not frozen.secret_key:
        raise CollectError("the session's credentials are incomplete")
    caller = _CallerCredentials(frozen.access_key, frozen.secret_key, frozen.token, credentials)

    region_list, home = requested_regions(sess, regions)
    generated_at = datetime.now(timezone.utc)

    def client(service: str) -> Any:
        extra = {"endpoint_url": endpoint_url} if endpoint_url else {}
        made = sess.client(service, region_name=home, config=RETRY_CONFIG, **extra)  # type: ignore[call-overload]
        made.meta.events.register("before-parse", check_answer)
        return made

    caller_account, partition = caller_identity(client("sts"), "caller")
    organizations = client("organizations")
    organization_id, management_id = _describe_organization(organizations, required=not wanted)
    listed = _list_accounts(organizations, required=wanted is None)
    by_id = {str(e["Id"]): e for e in listed}
    ids = sorted(wanted if wanted is not None else by_id)

    skipped: list[AccountResult] = []
    tasks: list[_AccountTask] = []
    scan_id = uuid.uuid4().hex
    for account_id in ids:
        entry = by_id.get(account_id, {})
        reason = _skip_reason(entry)
        info: dict[str, Any] = {
            "name": entry.get("Name"),
            "email": entry.get("Email"),
            "state": entry.get("State") or entry.get("Status"),
            "management": account_id == management_id,
        }
        if reason is not None:
            skipped.append(
                AccountResult(
                    account_id=account_id, status=AccountStatus.SKIPPED, reason=reason, **info
                )
            )
            continue
        role_arn = (
            None
            if account_id == caller_account
            else f"arn:{partition}:iam::{account_id}:role/{role_name.strip('/')}"
        )
        tasks.append(
            _AccountTask(
                account_id=account_id,
                caller=caller,
                home_region=home,
                role_arn=role_arn,
                partition=partition,
                scan_id=scan_id,
                regions=tuple(region_list) if region_list is not None else None,
                policy=policy,
                external_id=external_id,
                session_name=session_name,
                duration_seconds=role_duration_seconds,
                endpoint_url=endpoint_url,
                configure_session=configure_session,
                **info,
            )
        )
    logger.info(
        "scanning %d accounts (%d skipped) of organization %s",
        len(tasks),
        len(skipped),
        organization_id,
    )
    try:
        outcomes = _run(tasks, executor=executor, max_workers=max_workers, progress=progress)
    finally:
        _forget_scan(scan_id)
    trails = [t for o in outcomes for t in o.organization_trails]
    member_roots = None
    if audit_member_roots:
        from rootguard._member_roots import audit_member_roots as audit

        member_roots = audit(
            session=sess,
            accounts=wanted,
            executor=executor,
            max_workers=max_workers,
            endpoint_url=endpoint_url,
            configure_session=configure_session,
        )
    return OrganizationReport.from_accounts(
        [*skipped, *(o.result for o in outcomes)],
        organization_id=organization_id,
        management_account_id=management_id,
        caller_account_id=caller_account,
        partition=partition,
        organization_trails=trails,
        policy=policy,
        generated_at=generated_at,
        role_name=role_name,
        regions=region_list,
        member_roots=member_roots,
    )


def _check_names(*, role_name: object, external_id: object, session_name: object) -> None:
    """AWS's rules for the names ``sts:AssumeRole`` is sent (rootguard._names)."""
    checks = (
        ("role_name", "role_name_with_path", role_name),
        ("external_id", "external_id", external_id),
        ("session_name", "role_session_name", session_name),
    )
    for parameter, kind, value in checks:
        if value is None and parameter == "external_id":
            continue
        try:
            check_name(kind, value, field=parameter)
        except ValueError as exc:
            raise ArgumentError(str(exc), parameter=parameter) from None


def _describe_organization(organizations: Any, *, required: bool) -> tuple[str | None, str | None]:
    """(organization id, management account id) from ``DescribeOrganization``.

    Raises:
        CollectError: no usable credentials; or ``required`` and the call failed in any
            way (an answer without a readable organization included). Not required:
            (None, None).
    """
    try:
        found = expect(organizations.describe_organization(), "Organization", dict)
        organization_id = _optional_text(found, "Id")
        management_id = _optional_text(found, "MasterAccountId")
        if management_id is not None and not _valid_account_id(management_id):
            raise MalformedResponse(
                f"MasterAccountId {management_id[:40]!r} is not a 12-digit account id"
            )
    except CREDENTIAL_ERRORS as exc:
        raise CollectError(f"no usable AWS credentials: {exc}") from exc
    except _FAILURES as exc:
        if required:
            raise CollectError(
                "cannot read the organization: organizations:DescribeOrganization failed "
                f"with {error_code(exc)}: {error_message(exc)}"
            ) from exc
        logger.info("organizations:DescribeOrganization failed: %s", error_code(exc))
        return None, None
    return organization_id, management_id


def _list_accounts(organizations: Any, *, required: bool) -> list[dict[str, Any]]:
    """Every account ``ListAccounts`` gives, each entry validated (:func:`_account_entry`).

    Raises:
        CollectError: no usable credentials; or ``required`` and the call failed in any
            way, or answered an entry that is not an account (an account could otherwise
            go unchecked unnoticed). Not required: [] (names and states unknown).
    """
    try:
        return [_account_entry(e) for e in paginate(organizations, "ListAccounts", "Accounts")]
    except CREDENTIAL_ERRORS as exc:
        raise CollectError(f"no usable AWS credentials: {exc}") from exc
    except _FAILURES as exc:
        if required:
            raise CollectError(
                "cannot list the organization's accounts: organizations:ListAccounts failed "
                f"with {error_code(exc)}: {error_message(exc)} (pass accounts= to name them)"
            ) from exc
        logger.info(
            "organizations:ListAccounts failed (%s): account names and states unknown",
            error_code(exc),
        )
        return []


def _account_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A ``ListAccounts`` entry whose ``Id`` is an account id and whose ``Name``,
    ``Email``, ``State`` and ``Status`` are text or absent.

    Raises:
        MalformedResponse: it is not.
    """
    account_id = expect(entry, "Id", str)
    if not _valid_account_id(account_id):
        raise MalformedResponse(f"Accounts has an Id {account_id[:40]!r} that is not 12 digits")
    for key in ("Name", "Email", "State", "Status"):
        _optional_text(entry, key)
    return entry


def _optional_text(answer: dict[str, Any], key: str) -> str | None:
    """``answer[key]`` when it is text, None when absent or null.

    Raises:
        MalformedResponse: it is something else.
    """
    value = answer.get(key)
    if value is None or isinstance(value, str):
        return value
    raise MalformedResponse(f"{key} is a {type(value).__name__}, not a str")


T_Task = TypeVar("T_Task")
T_Result = TypeVar("T_Result")


def run_account_tasks(
    tasks: list[T_Task],
    work: Callable[[T_Task], T_Result],
    failed: Callable[[T_Task, BaseException], T_Result],
    *,
    executor: Executor | None,
    max_workers: int | None,
    progress: Callable[[int, int], None] | None,
    thread_name: str,
) -> list[T_Result]:
    """Run ``work`` on every per-account task, on ``executor`` or a thread pool of our
    own; a task the executor could not run gives ``failed(task, exc)`` (that account's
    error), never an exception. Results come in completion order; ``progress`` is called
    with (done, total). Used by the organization scan and the member-root audit."""
    total = len(tasks)
    if progress is not None:
        progress(0, total)
    if not tasks:
        return []
    own = executor is None
    pool: Executor = (
        ThreadPoolExecutor(
            max_workers=max(1, min(max_workers or DEFAULT_MAX_WORKERS, total)),
            thread_name_prefix=thread_name,
        )
        if executor is None
        else executor
    )
    results: list[T_Result] = []
    futures: dict[Future[T_Result], T_Task] = {}
    try:
        for task in tasks:
            futures[pool.submit(work, task)] = task
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the executor could not run the task
                    result = failed(task, exc)
                results.append(result)
                if progress is not None:
                    progress(len(results), total)
    except BaseException:
        for future in futures:
            future.cancel()
        if own:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    if own:
        pool.shutdown(wait=True)
    return results


def _run(
    tasks: list[_AccountTask],
    *,
    executor: Executor | None,
    max_workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> list[_TaskOutcome]:
    """Run every task; an executor failure becomes that account's error."""
    return run_account_tasks(
        tasks,
        _scan_account,
        lambda task, exc: _error(task, "executor", error_code(exc), error_message(exc)),
        executor=executor,
        max_workers=max_workers,
        progress=progress,
        thread_name="rootguard-org",
    )

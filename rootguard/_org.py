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

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import boto3
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError

from rootguard._aws import (
    CREDENTIAL_ERRORS,
    ClientFactory,
    MalformedResponse,
    caller_identity,
    error_code,
    error_message,
    expect,
    partition_of_arn,
    requested_regions,
    session_credentials,
    unique,
)
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
from rootguard._org_tasks import (
    CALL_FAILURES,
    DEFAULT_MAX_WORKERS,
    caller_settings,
    list_accounts,
    read_organization,
    run_account_tasks,
    skip_reason,
    valid_account_id,
)
from rootguard._permissions import ORGANIZATION_CALLER_ACTIONS
from rootguard._posture._evaluate import evaluate
from rootguard._posture._policy import Policy
from rootguard._sessions import (
    SessionHook,
    SessionSettings,
    cached_client,
    forget,
    new_session,
)
from rootguard._snapshot import Trail
from rootguard._time import utc_now

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

__all__ = ["CALLER_ACTIONS", "DEFAULT_MAX_WORKERS", "DEFAULT_ROLE_NAME", "scan_organization"]

logger = logging.getLogger(__name__)

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
"""The role AWS Organizations creates in the accounts it creates."""

CALLER_ACTIONS: tuple[str, ...] = ORGANIZATION_CALLER_ACTIONS
"""The IAM actions the caller's credentials need for the scan itself, on top of
``required_permissions("check")`` for the caller's own account (each member role needs
``required_permissions("check")``)."""


# --------------------------------------------------------------------------- task data


@dataclass(frozen=True)
class _AccountTask:
    """Everything a task needs to check one account (picklable)."""

    account_id: str
    caller: SessionSettings
    """The caller's credentials, home region, endpoint, retry configuration and session
    hook; their key is the scan's: its tasks share, in each process, the client that
    assumes the roles."""
    home_region: str
    role_arn: str | None = None
    """None: the caller's own account, checked with the caller's credentials."""
    partition: str = "aws"
    name: str | None = None
    email: str | None = None
    state: str | None = None
    management: bool = False
    regions: tuple[str, ...] | None = None
    policy: Policy | None = None
    external_id: str | None = None
    session_name: str = "rootguard"
    duration_seconds: int | None = None
    collect_workers: int | None = None


@dataclass(frozen=True)
class _TaskOutcome:
    result: AccountResult
    organization_trails: tuple[Trail, ...] = ()


# --------------------------------------------------------------------------- sessions


def _assume_role_credentials(
    sts: STSClient,
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
    if len(parts) < 6 or not valid_account_id(parts[4]):
        return None
    return parts[4], partition_of_arn(arn)


def _caller_sts(task: _AccountTask) -> STSClient:
    """The STS client, on the caller's credentials, that assumes the member roles: one per
    scan and process, shared by that scan's tasks (boto3 clients are thread-safe)."""
    return cached_client(task.caller, "sts", task.home_region, checked=True)


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
        session = new_session(task.caller)
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
        except (*CREDENTIAL_ERRORS, *CALL_FAILURES) as exc:
            # any failure of the role assumption, malformed answers included
            return _error(task, "sts:AssumeRole", error_code(exc), error_message(exc))
        if identity is not None and identity[0] != task.account_id:
            return _error(
                task,
                "sts:AssumeRole",
                "AccountMismatch",
                f"the role's credentials belong to account {identity[0]}",
            )
        session = new_session(task.caller, role_credentials)
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
    bad = [a for a in wanted or () if not valid_account_id(a)]
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
    region_list, home = requested_regions(sess, regions)
    caller = caller_settings(
        credentials, home=home, endpoint_url=endpoint_url, configure_session=configure_session
    )
    generated_at = utc_now()

    factory = ClientFactory(sess, endpoint_url=endpoint_url or None)
    caller_account, partition = caller_identity(factory.client("sts", home), "caller")
    organizations = factory.client("organizations", home)
    organization_id, management_id = read_organization(organizations, required=not wanted)
    listed = list_accounts(organizations, required=wanted is None)
    by_id = {str(e["Id"]): e for e in listed}
    ids = sorted(wanted if wanted is not None else by_id)

    skipped: list[AccountResult] = []
    tasks: list[_AccountTask] = []
    for account_id in ids:
        entry = by_id.get(account_id, {})
        reason = skip_reason(entry)
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
                regions=tuple(region_list) if region_list is not None else None,
                policy=policy,
                external_id=external_id,
                session_name=session_name,
                duration_seconds=role_duration_seconds,
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
        forget(caller)
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

"""What the organization scan and the member-root audit share (I/O): the caller's
settings for the tasks, reading the organization and its accounts, which accounts are
skipped, and the per-account task runner."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.credentials import Credentials

from rootguard._aws import (
    CALL_ERRORS,
    CREDENTIAL_ERRORS,
    RETRY_CONFIG,
    MalformedResponse,
    error_code,
    error_message,
    expect,
    paginate,
)
from rootguard._errors import CollectError
from rootguard._sessions import SessionHook, SessionSettings, settings_of

if TYPE_CHECKING:
    from mypy_boto3_organizations import OrganizationsClient

__all__ = [
    "CALL_FAILURES",
    "DEFAULT_MAX_WORKERS",
    "caller_settings",
    "list_accounts",
    "read_organization",
    "run_account_tasks",
    "skip_reason",
    "valid_account_id",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_WORKERS = 16
"""Accounts checked at once by the default thread pool. Each account's regions are read
concurrently as well (by :func:`rootguard.collect`), so the work is I/O-bound: threads,
not processes."""


_SHAPE_ERRORS: tuple[type[Exception], ...] = (
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ValueError,
)
"""What reading an answer of the wrong shape raises — botocore's own parsers among the
readers (a timestamp that is not a time raises ``ValueError``)."""


CALL_FAILURES: tuple[type[Exception], ...] = (*CALL_ERRORS, *_SHAPE_ERRORS)
"""Every way one call of the scan itself can fail (credentials aside): each is reported
with its error code, none escapes raw."""


def caller_settings(
    credentials: Credentials,
    *,
    home: str,
    endpoint_url: str | None,
    configure_session: SessionHook | None,
) -> SessionSettings:
    """The caller's settings for the tasks of one scan (credentials frozen now).

    Raises:
        CollectError: the credentials cannot be refreshed or are incomplete.
    """
    try:
        caller = settings_of(
            credentials,
            region_name=home,
            endpoint_url=endpoint_url,
            config=RETRY_CONFIG,
            hook=configure_session,
        )
    except (*CREDENTIAL_ERRORS, *CALL_FAILURES) as exc:  # a refresh of the caller's credentials
        raise CollectError(f"no usable AWS credentials: {exc}") from exc
    if not caller.access_key or not caller.secret_key:
        raise CollectError("the session's credentials are incomplete")
    return caller


_SKIP_STATES = {
    "SUSPENDED": "the account is suspended",
    "PENDING_CLOSURE": "the account is pending closure",
    "CLOSED": "the account is closed",
    "PENDING_ACTIVATION": "the account is not activated yet",
}


def skip_reason(entry: dict[str, Any]) -> str | None:
    state = entry.get("State") or entry.get("Status")
    if state is None or state == "ACTIVE":
        return None
    text = _SKIP_STATES.get(str(state), f"the account's state is {state}")
    return f"{text} ({state} in AWS Organizations)"


def valid_account_id(value: str) -> bool:
    return len(value) == 12 and value.isdigit()


def read_organization(
    organizations: OrganizationsClient, *, required: bool
) -> tuple[str | None, str | None]:
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
        if management_id is not None and not valid_account_id(management_id):
            raise MalformedResponse(
                f"MasterAccountId {management_id[:40]!r} is not a 12-digit account id"
            )
    except CREDENTIAL_ERRORS as exc:
        raise CollectError(f"no usable AWS credentials: {exc}") from exc
    except CALL_FAILURES as exc:
        if required:
            raise CollectError(
                "cannot read the organization: organizations:DescribeOrganization failed "
                f"with {error_code(exc)}: {error_message(exc)}"
            ) from exc
        logger.info("organizations:DescribeOrganization failed: %s", error_code(exc))
        return None, None
    return organization_id, management_id


def list_accounts(organizations: OrganizationsClient, *, required: bool) -> list[dict[str, Any]]:
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
    except CALL_FAILURES as exc:
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
    if not valid_account_id(account_id):
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

"""The accounts of an organization scan (pure): what happened to each account
(:class:`AccountResult`) and the organization at a glance (:class:`OrganizationSummary`);
:class:`~rootguard.OrganizationReport` holds them."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, model_validator

from rootguard._account_failure import AccountFailure
from rootguard._models import StrEnum, UtcDatetime
from rootguard._posture._models import Status
from rootguard._posture._report import Report

__all__ = [
    "AccountResult",
    "AccountStatus",
    "NotCheckedAccount",
    "OrganizationSummary",
    "RootActivityAccount",
    "worst",
]

# The status an account shows for a check judged in several regions: the worst.
_SEVERITY_ORDER = (
    Status.FAIL,
    Status.UNKNOWN,
    Status.SUPPRESSED,
    Status.PASS,
    Status.NOT_APPLICABLE,
)


class AccountStatus(StrEnum):
    """What happened to one account of an organization scan."""

    CHECKED = "checked"
    """Collected and evaluated: :attr:`AccountResult.report` is set."""
    ERROR = "error"
    """Could not be checked (role not assumable, access denied, throttled beyond the
    retries …): :attr:`AccountResult.error` says which call failed and why."""
    SKIPPED = "skipped"
    """Not checked on purpose (suspended, closed or pending closure):
    :attr:`AccountResult.reason` says why."""


class AccountResult(BaseModel):
    """The outcome for one account of an organization scan.

    Exactly one of :attr:`report` (``checked``), :attr:`error` (``error``) or
    :attr:`reason` (``skipped``) tells what happened.

    Examples:
        >>> import rootguard
        >>> r = rootguard.AccountResult(
        ...     account_id="111122223333", status="skipped", reason="account is SUSPENDED"
        ... )
        >>> r.status, r.report
        (<AccountStatus.SKIPPED: 'skipped'>, None)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    name: str | None = None
    """The account's name in AWS Organizations (None when not listed)."""
    email: str | None = None
    state: str | None = None
    """The account's state in AWS Organizations (``ACTIVE``, ``SUSPENDED``,
    ``PENDING_CLOSURE`` …), None when not listed."""
    management: bool = False
    """True for the organization's management account."""
    role_arn: str | None = None
    """The role assumed to check the account; None when the caller's own credentials
    were used (the caller's own account)."""
    status: AccountStatus
    report: Report | None = None
    error: AccountFailure | None = None
    reason: str | None = None
    """Why the account was skipped (``skipped``), or the error described (``error``)."""

    @model_validator(mode="after")
    def _consistent(self) -> AccountResult:
        if self.status is AccountStatus.CHECKED and self.report is None:
            raise ValueError("a checked account needs a report")
        if self.status is AccountStatus.ERROR and self.error is None:
            raise ValueError("an account in error needs an error")
        if self.status is AccountStatus.SKIPPED and not self.reason:
            raise ValueError("a skipped account needs a reason")
        if self.report is not None and self.report.account_id != self.account_id:
            raise ValueError(
                f"report of account {self.report.account_id} given for {self.account_id}"
            )
        return self

    @property
    def label(self) -> str:
        """``name (id)``, or the id alone."""
        return f"{self.name} ({self.account_id})" if self.name else self.account_id

    def statuses(self) -> dict[str, Status]:
        """Each check's status for this account: the worst over its findings (a check
        judged per region fails when one region fails). Empty when not checked."""
        if self.report is None:
            return {}
        found: dict[str, set[Status]] = {}
        for f in self.report.findings:
            found.setdefault(f.check_id, set()).add(f.status)
        return {c: worst(s) for c, s in found.items()}


class NotCheckedAccount(BaseModel):
    """An account the scan could not (``error``) or did not (``skipped``) check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    name: str | None = None
    status: AccountStatus
    reason: str
    operation: str | None = None
    error_code: str | None = None


class RootActivityAccount(BaseModel):
    """An account whose root credentials were used within the policy's window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    name: str | None = None
    credentials: tuple[str, ...]
    """``password``, ``access_key_1``, ``access_key_2`` — each credential used."""
    last_used: UtcDatetime | None = None


class OrganizationSummary(BaseModel):
    """The organization at a glance (derived from the report; not stored in JSON input).

    ``matrix`` maps account id → check id → that account's status for the check (the
    worst over its regions); ``by_check`` counts, for each check, the accounts in each
    status (every status present, zeros included).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    accounts: int
    checked: int
    errors: int
    skipped: int
    by_check: dict[str, dict[str, int]]
    matrix: dict[str, dict[str, str]]
    root_activity: tuple[RootActivityAccount, ...] = ()
    not_checked: tuple[NotCheckedAccount, ...] = ()


def worst(statuses: Iterable[Status]) -> Status:
    found = set(statuses)
    for status in _SEVERITY_ORDER:
        if status in found:
            return status
    return Status.NOT_APPLICABLE

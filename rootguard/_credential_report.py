"""IAM credential report parsing (pure). Implementation pending (issue 2)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from rootguard._models import RootActivity

__all__ = [
    "CredentialReport",
    "CredentialReportRow",
    "parse_credential_report",
    "root_activity_from_credential_report",
]


class CredentialReportRow(BaseModel):
    """One row of the IAM credential report."""

    model_config = ConfigDict(frozen=True, extra="allow")

    user: str
    arn: str


class CredentialReport(BaseModel):
    """A parsed IAM credential report."""

    model_config = ConfigDict(frozen=True)

    rows: tuple[CredentialReportRow, ...] = ()
    generated_at: datetime | None = None

    @property
    def root(self) -> CredentialReportRow | None:
        """The ``<root_account>`` row, or None."""
        return next((r for r in self.rows if r.user == "<root_account>"), None)


def parse_credential_report(
    data: str | bytes, *, generated_at: datetime | None = None
) -> CredentialReport:
    """Parse the CSV of ``iam:GetCredentialReport``."""
    raise NotImplementedError


def root_activity_from_credential_report(
    report: CredentialReport, *, now: datetime, since: datetime | None = None
) -> list[RootActivity]:
    """One activity per root credential whose last use falls in the window."""
    raise NotImplementedError

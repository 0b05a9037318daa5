"""The result of :func:`~rootguard.evaluate` (pure): :class:`Report`, and its outputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    computed_field,
    model_validator,
)

from rootguard._errors import ParseError, PolicyError, json_indent
from rootguard._kinds import check_kind
from rootguard._models import RootActivity, UtcDatetime
from rootguard._outputs import Record, to_asff, to_markdown, to_ocsf, to_records
from rootguard._posture._models import DerivedFieldsModel, Finding, Status
from rootguard._posture._policy import Policy

__all__ = ["REPORT_SCHEMA_VERSION", "Report"]


REPORT_SCHEMA_VERSION = 1
"""The ``schema_version`` of the reports this rootguard writes and the newest it reads."""


class Report(DerivedFieldsModel):
    """The result of :func:`evaluate`: findings for one account, plus root activity.

    Round-trips exactly through JSON (:meth:`to_json` / :meth:`from_json`). Findings are
    in a deterministic order: check order of :data:`CHECK_IDS`, then region (global
    first), then resource.

    Examples:
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333")
        >>> report = rootguard.evaluate(snap)
        >>> from rootguard._posture._catalogue import ACCOUNT_CHECK_IDS
        >>> sorted({f.check_id for f in report.findings}) == sorted(ACCOUNT_CHECK_IDS)
        True
        >>> rootguard.Report.from_json(report.to_json()) == report
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["report"] = "report"
    """What this file is: a snapshot or a plan given as a report is an error."""
    schema_version: int = Field(default=REPORT_SCHEMA_VERSION, ge=1)
    account_id: str
    partition: str = "aws"
    generated_at: UtcDatetime | None = None
    """The reference time of the evaluation (``now``); None when none was known."""

    @model_validator(mode="before")
    @classmethod
    def _check_kind(cls, data: Any) -> Any:
        check_kind(data, "report", REPORT_SCHEMA_VERSION)
        return data

    regions: tuple[str, ...] = ()
    policy: Policy = Policy()
    findings: tuple[Finding, ...] = ()
    root_activity: tuple[RootActivity, ...] = ()
    """Root credentials used within ``policy.root_usage_days`` (credential report)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        """Number of findings per status (every status present, zeros included)."""
        out = {status.value: 0 for status in Status}
        for finding in self.findings:
            out[finding.status.value] += 1
        return out

    def by_check(self, check_id: str) -> list[Finding]:
        """The findings of one check (empty for an unknown id)."""
        return [f for f in self.findings if f.check_id == check_id]

    @property
    def failed(self) -> list[Finding]:
        """The FAIL findings."""
        return [f for f in self.findings if f.status is Status.FAIL]

    @property
    def unknown(self) -> list[Finding]:
        """The UNKNOWN findings (data missing: see each detail)."""
        return [f for f in self.findings if f.status is Status.UNKNOWN]

    @property
    def suppressed(self) -> list[Finding]:
        """The SUPPRESSED findings (accepted until a date: see each ``suppression``)."""
        return [f for f in self.findings if f.status is Status.SUPPRESSED]

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON (:meth:`from_json` reads it back, equal)."""
        return self.model_dump_json(indent=json_indent(indent))

    @classmethod
    def from_json(cls, data: str | bytes) -> Report:
        """Read a report written by :meth:`to_json`.

        Raises:
            ParseError: the text is not a rootguard report.
        """
        from pydantic import ValidationError

        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise ParseError(f"not a rootguard report: {exc.errors()[0]['msg']}") from None
        except PolicyError as exc:  # the report's policy
            raise ParseError(f"not a rootguard report: {exc}") from None

    def to_asff(
        self,
        *,
        region: str | None = None,
        product_arn: str | None = None,
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The findings in AWS Security Finding Format, ready for
        ``securityhub.batch_import_findings(Findings=...)`` (in batches of 100).

        Args:
            region: the Security Hub region to import into (it goes into the product
                ARN). Default: the first collected region, else ``us-east-1``.
            product_arn: default ``arn:<partition>:securityhub:<region>:<account>:product/
                <account>/default`` (the account's own findings product).
            now: ``CreatedAt`` / ``UpdatedAt``; default :attr:`generated_at`.

        Raises:
            RootGuardError: neither ``now`` nor :attr:`generated_at` is known.
        """
        return to_asff(self, region=region, product_arn=product_arn, now=now)

    def to_ocsf(self, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """The findings as OCSF Compliance Finding events (class_uid 2003); ``time`` is
        ``now`` or :attr:`generated_at`.

        Raises:
            RootGuardError: neither ``now`` nor :attr:`generated_at` is known.
        """
        return to_ocsf(self, now=now)

    def to_markdown(self) -> str:
        """A markdown summary and a table of every finding."""
        return to_markdown(self)

    def to_records(self) -> list[Record]:
        """Flat records (scalars only, one per finding): ``pandas.DataFrame(records)``."""
        return to_records(self)

    def to_html(self, *, activities: Sequence[RootActivity] | None = None) -> str:
        """A self-contained HTML page (no script, no network): counts, every finding with
        its evidence and remediation, and the root-activity timeline (``activities``,
        default :attr:`root_activity`)."""
        from rootguard._html import report_html

        return report_html(self, activities=activities)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in self.counts.items() if n)
        when = self.generated_at.isoformat() if self.generated_at else None
        return (
            f"Report(account_id={self.account_id!r}, generated_at={when!r}, "
            f"findings={len(self.findings)} [{counts}], root_activity={len(self.root_activity)})"
        )

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from rootguard._notebook import report_view

        return report_view(self).html()

    def _repr_markdown_(self) -> str:
        from rootguard._notebook import report_view

        return report_view(self).markdown()


# --------------------------------------------------------------------------- helpers

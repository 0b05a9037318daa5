"""The verdict models (pure): :class:`Status`, :class:`SuppressionNote`,
:class:`Finding`, and the base of the report models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    model_validator,
)

from rootguard._models import Severity, StrEnum

__all__ = ["DerivedFieldsModel", "Finding", "Status", "SuppressionNote"]


# --------------------------------------------------------------------------- vocabulary


class Status(StrEnum):
    """The verdict of one finding.

    ``UNKNOWN`` means the data needed was not collected (a call was denied, a region
    was not reachable …) — the finding's detail names the call. It is never a guess.
    ``NOT_APPLICABLE`` means the check does not apply (e.g. root MFA when root has no
    credentials at all). ``SUPPRESSED`` means a rule of the policy accepts the finding
    until a date.
    """

    PASS = "PASS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    SUPPRESSED = "SUPPRESSED"
    """A FAIL or UNKNOWN accepted until a date by a rule of :class:`Policy`
    (``suppressions``, or ``expected_activity`` for ``root.recent_usage``):
    :attr:`Finding.suppression` has the reason, the expiry and the status it stands
    for. It never fails a ``--fail-on``."""


class SuppressionNote(BaseModel):
    """Why a finding is SUPPRESSED (or was, until its rule expired)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str
    expires: date
    expired: bool = False
    """True when the rule no longer applies: the finding keeps its own status."""
    status: Status
    """The status the finding has without the rule (FAIL or UNKNOWN)."""
    rule: str = "suppression"
    """``suppression`` (a :class:`~rootguard.Suppression`) or ``expected_activity``."""


class Finding(BaseModel):
    """One verdict of one check about one resource.

    ``controls`` lists CIS AWS Foundations requirements (Security Hub's spelling,
    ``CIS AWS Foundations Benchmark v1.4.0/1.5``) and Security Hub control ids
    (``IAM.9``). ``evidence`` holds the machine-readable facts the verdict rests on
    (JSON values only). ``severity`` is the check's severity (what a FAIL means); it does
    not change with the status, except that root access-key use makes
    ``root.recent_usage`` critical.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    check_id: str
    status: Status
    severity: Severity
    region: str | None = None
    """None for account-wide (global) findings."""
    resource: str
    """The ARN or id of the resource judged."""
    title: str
    detail: str
    """A human explanation of the verdict, with the evidence that matters."""
    controls: tuple[str, ...] = ()
    evidence: dict[str, Any] = {}
    remediation: str = ""
    suppression: SuppressionNote | None = None
    """The rule that accepts this finding (status SUPPRESSED), or that did until it
    expired (status unchanged, ``suppression.expired``); None when no rule matched."""

    @property
    def security_hub_controls(self) -> tuple[str, ...]:
        """The Security Hub control ids among :attr:`controls` (``IAM.9`` …)."""
        return tuple(c for c in self.controls if not c.startswith("CIS "))

    @property
    def cis_requirements(self) -> tuple[str, ...]:
        """The CIS AWS Foundations requirements among :attr:`controls`."""
        return tuple(c for c in self.controls if c.startswith("CIS "))


class DerivedFieldsModel(BaseModel):
    """A model whose computed fields (``@computed_field``) are in its JSON and are read
    back by being dropped: they are derived from the other fields, and the model forbids
    unknown keys. Base of :class:`Report` and ``OrganizationReport``."""

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and any(k in cls.model_computed_fields for k in data):
            return {k: v for k, v in data.items() if k not in cls.model_computed_fields}
        return data

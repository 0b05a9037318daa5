"""What every check family shares for one evaluation (pure): the context
:class:`Ctx` the families write findings to, three-valued outcomes (:class:`Tri`) and
small text helpers."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from rootguard._judge import (
    PatternVerdict,
)
from rootguard._models import Severity
from rootguard._posture._catalogue import CHECKS, CheckId
from rootguard._posture._models import Finding, Status
from rootguard._posture._policy import Policy
from rootguard._snapshot import (
    AccountSnapshot,
    Gap,
)
from rootguard._time import iso_z


def jsonable(value: Any) -> Any:
    """Evidence values as JSON-native data (so a report round-trips exactly)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def iso_or_none(value: datetime | None) -> str | None:
    """``value`` as :func:`~rootguard._time.iso_z`, ``None`` for ``None``."""
    return None if value is None else iso_z(value)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def join_some(items: Sequence[str], limit: int = 6) -> str:
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"… and {len(items) - limit} more")
    return "; ".join(shown)


class Tri:
    """Three-valued outcome of one link of a chain: True, False or None (unknown)."""

    @staticmethod
    def best(values: Iterable[bool | None]) -> bool | None:
        """True if any True, else None if any None, else False (False when empty)."""
        seen_none = False
        for value in values:
            if value is True:
                return True
            if value is None:
                seen_none = True
        return None if seen_none else False


@dataclass
class Ctx:
    """Everything the checks share for one evaluation."""

    snapshot: AccountSnapshot
    policy: Policy
    now: datetime | None
    findings: list[Finding] = field(default_factory=list)
    alert_topics: dict[str, set[str]] = field(default_factory=dict)
    """Topic ARN → what uses it (``alarm:<name>``, ``rule:<region>/<name>``)."""
    sealed_topics: dict[str, str] = field(default_factory=dict)
    """Topic ARN → its ``KmsMasterKeyId``, for the alert topics seen since the last
    :meth:`take_sealed` that are encrypted with the AWS managed key (AWS services cannot
    publish to them): evidence of the finding being built."""
    _pattern_cache: dict[str, PatternVerdict] = field(default_factory=dict)
    _event_cache: dict[tuple[str, str], bool | str] = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.snapshot.account_id

    def take_sealed(self) -> list[dict[str, str]]:
        """The topics encrypted with the AWS managed key seen since the last call (as
        evidence: topic and key), and forget them."""
        sealed = [
            {"topic": arn, "kms_master_key_id": key}
            for arn, key in sorted(self.sealed_topics.items())
        ]
        self.sealed_topics.clear()
        return sealed

    @property
    def partition(self) -> str:
        return self.snapshot.partition

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    @property
    def account_resource(self) -> str:
        return f"AWS::::Account:{self.account_id}"

    def gaps(
        self,
        service: str,
        operations: Iterable[str] = (),
        *,
        region: str | None = None,
        resource: str | None = None,
    ) -> list[Gap]:
        """Gaps of ``service`` (preferably of these operations) relevant to ``region``."""
        wanted = {op.lower() for op in operations}

        def relevant(g: Gap) -> bool:
            if g.service.lower() != service.lower():
                return False
            if region is not None and g.region not in (region, None):
                return False
            return resource is None or g.resource in (resource, None)

        candidates = [g for g in self.snapshot.gaps if relevant(g)]
        specific = [g for g in candidates if g.operation.lower() in wanted]
        return specific or candidates

    def missing(
        self,
        what: str,
        service: str,
        operations: Iterable[str] = (),
        *,
        region: str | None = None,
        resource: str | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """A detail sentence for data not collected, naming the failed calls; and the gaps
        as evidence."""
        found = self.gaps(service, operations, region=region, resource=resource)
        if found:
            text = f"Not collected: {what} (" + "; ".join(g.describe() for g in found) + ")"
        else:
            text = f"Not collected: {what} (no failed call was recorded for it)"
        return text, [g.model_dump(mode="json") for g in found]

    def add(
        self,
        check_id: CheckId,
        status: Status,
        *,
        resource: str,
        detail: str,
        evidence: Mapping[str, Any] | None = None,
        region: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        info = CHECKS[check_id]
        self.findings.append(
            Finding(
                check_id=check_id,
                status=status,
                severity=severity or info.severity,
                region=region,
                resource=resource,
                title=info.title,
                detail=detail,
                controls=info.controls,
                evidence=jsonable(dict(evidence or {})),
                remediation=info.remediation if status is not Status.PASS else "",
            )
        )


# --------------------------------------------------------------------------- root

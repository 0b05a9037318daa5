"""The thresholds and choices of :func:`~rootguard.evaluate` (pure): :class:`Policy`."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from rootguard._models import RootActivities, RootActivity
from rootguard._posture._catalogue import CHECK_IDS
from rootguard._suppress import (
    ExpectedActivity,
    Suppression,
    inside_policy,
    mark_expected,
    policy_error,
)

__all__ = ["Policy"]


class Policy(BaseModel):
    """The thresholds and choices of :func:`evaluate` (user-built, validated).

    Attributes:
        root_usage_days: ``root.recent_usage`` fails when a root credential (password,
            access key 1, access key 2) was last used within this many days. Default 90.
        cloudwatch_delivery_max_age_hours: ``cloudtrail.cloudwatch_logs`` requires the
            trail's last CloudWatch Logs delivery to be at most this many hours old.
            Default 24. ``None`` turns the recency requirement off (a configured log group
            is enough). When CloudTrail reports no delivery time at all (moto never
            does), the check is UNKNOWN unless this is ``None``.
        allow_excluded_management_event_sources: a trail whose basic event selectors
            exclude ``kms.amazonaws.com`` / ``rdsdata.amazonaws.com`` management events
            (or whose advanced selectors leave them out) still qualifies. Default False:
            root calls to KMS would go unrecorded, and Security Hub CloudTrail.1 fails
            such a trail.
        required_config_rules: the AWS managed Config rule identifiers
            ``config.root_rules`` requires. Default ``ROOT_ACCOUNT_MFA_ENABLED`` and
            ``IAM_ROOT_ACCESS_KEY_CHECK``.
        checks: only these checks are reported (check ids or ``fnmatch`` patterns such
            as ``"root.*"``; each must match a check id). Default None: every check.
        suppressions: :class:`~rootguard.Suppression` rules — accepted findings, each
            with a reason and an expiry date; a matching FAIL or UNKNOWN finding becomes
            SUPPRESSED until the rule expires. Default none.
        expected_activity: :class:`~rootguard.ExpectedActivity` rules — planned root
            use (account, source IPs or CIDRs, time window, event names), each with a
            reason and an expiry: matched activity is marked expected, and
            ``root.recent_usage`` is SUPPRESSED when every recent use is expected.
            Default none.

    Raises:
        PolicyError: a value is invalid (unknown key, wrong type, out of range, unknown
            check id, invalid rule); pydantic's ``ValidationError`` never escapes.

    Examples:
        >>> import rootguard
        >>> rootguard.Policy(root_usage_days=30).root_usage_days
        30
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    root_usage_days: int = Field(default=90, ge=0)
    cloudwatch_delivery_max_age_hours: float | None = Field(default=24.0, gt=0)
    allow_excluded_management_event_sources: bool = False
    required_config_rules: tuple[str, ...] = (
        "ROOT_ACCOUNT_MFA_ENABLED",
        "IAM_ROOT_ACCESS_KEY_CHECK",
    )
    checks: tuple[str, ...] | None = None
    suppressions: tuple[Suppression, ...] = ()
    expected_activity: tuple[ExpectedActivity, ...] = ()

    @model_validator(mode="wrap")
    @classmethod
    def _as_policy_error(cls, data: Any, handler: ModelWrapValidatorHandler[Policy]) -> Policy:
        try:
            with inside_policy():
                return handler(data)
        except ValidationError as exc:
            raise policy_error(exc) from None

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        for pattern in value:
            if not any(fnmatch.fnmatchcase(c, pattern) for c in CHECK_IDS):
                raise ValueError(f"no check id is or matches {pattern!r} (see rootguard.CHECK_IDS)")
        return value

    def selects(self, check_id: str) -> bool:
        """Whether :attr:`checks` keeps this check (every check when it is None)."""
        return self.checks is None or any(
            fnmatch.fnmatchcase(check_id, pattern) for pattern in self.checks
        )

    def mark_expected(self, activities: Iterable[RootActivity], *, now: datetime) -> RootActivities:
        """``activities`` with :attr:`RootActivity.expected` set where a rule of
        :attr:`expected_activity` matches (an expired rule is shown as expired and no
        longer makes the activity expected). Nothing is removed.

        Examples:
            >>> from datetime import datetime, timezone
            >>> import rootguard
            >>> policy = rootguard.Policy(expected_activity=[rootguard.ExpectedActivity(
            ...     source_ips=["203.0.113.0/24"], reason="break-glass drill",
            ...     expires="2026-12-31")])
            >>> login = rootguard.RootActivity(channel="console_signin", severity="high",
            ...     source_ip="203.0.113.9")
            >>> [a.expected.reason for a in policy.mark_expected(
            ...     [login], now=datetime(2026, 11, 20, tzinfo=timezone.utc))]
            ['break-glass drill']
        """
        return RootActivities(mark_expected(activities, self.expected_activity, now))

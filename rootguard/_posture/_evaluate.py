"""Posture evaluation (pure): an :class:`~rootguard.AccountSnapshot` in, a
:class:`~rootguard.Report` of findings out.

Every check of ``docs/checks.md`` is judged from the snapshot alone — no AWS call, no clock
(``now`` is a parameter, by default the snapshot's ``collected_at``). Data missing from the
snapshot (``None``, with a :class:`~rootguard._snapshot.Gap` saying which call failed) makes
the affected check ``UNKNOWN`` with the failed call named in the detail: never a guessed
PASS or FAIL.

Patterns are judged by evaluating them (``filter_pattern_matches`` /
``event_pattern_matches``) against the canonical events of :mod:`rootguard._canonical`,
never by comparing their text. The judgements the planner shares (selectors, patterns,
alarms, rules, Config recording) live in :mod:`rootguard._judge`. The check families
(one module each) write their findings to the context of :mod:`._context`; this module
runs them in report order, then applies expected activity, suppressions and
``Policy.checks``, and sorts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from rootguard._credential_report import (
    root_activity_from_credential_report,
)
from rootguard._errors import ArgumentError, instance_or_none, time_or_none
from rootguard._models import RootActivity
from rootguard._posture._alarm import check_metric_alarm
from rootguard._posture._catalogue import CHECK_ORDER, CheckId
from rootguard._posture._config import check_config
from rootguard._posture._context import Ctx
from rootguard._posture._eventbridge import check_eventbridge
from rootguard._posture._models import Finding, Status, SuppressionNote
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from rootguard._posture._root import (
    check_centralized_access,
    check_root_count,
    check_root_hardware_mfa,
    check_root_mfa,
    check_root_recent_usage,
    root_facts,
)
from rootguard._posture._topic_policy import check_topic_policies
from rootguard._posture._trails import check_trails
from rootguard._snapshot import (
    AccountSnapshot,
)
from rootguard._suppress import Suppression, expired, mark_expected

__all__ = ["evaluate"]

logger = logging.getLogger(__name__)

_UTC = timezone.utc


def _sort_key(f: Finding) -> tuple[int, int, str, str]:
    return (
        CHECK_ORDER.get(f.check_id, len(CHECK_ORDER)),
        0 if f.region is None else 1,
        f.region or "",
        f.resource,
    )


def evaluate(
    snapshot: AccountSnapshot,
    *,
    policy: Policy | None = None,
    now: datetime | None = None,
) -> Report:
    """Judge every account check of :data:`CHECK_IDS` (every id but the ``organization.*``
    ones) on a snapshot (pure: no AWS, no clock).

    Args:
        snapshot: what :func:`rootguard.collect` gathered (or a saved one, or one built
            in a test).
        policy: thresholds; default :class:`Policy`\\ ``()``.
        now: the reference time for "recent" (root usage, CloudWatch Logs delivery).
            Default: ``snapshot.collected_at``. When neither is known, the time-dependent
            verdicts (``root.recent_usage``, the delivery age of
            ``cloudtrail.cloudwatch_logs``) are UNKNOWN and :attr:`Report.generated_at`
            is None. A naive datetime is taken as UTC.

    Returns:
        A :class:`Report` with at least one finding per check id, in a deterministic order.

    Examples:
        >>> from datetime import datetime, timezone
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333", regions=["us-east-1"])
        >>> report = rootguard.evaluate(snap, now=datetime(2024, 5, 1, tzinfo=timezone.utc))
        >>> report.by_check(CheckId.ROOT_MFA_ENABLED)[0].status
        <Status.UNKNOWN: 'UNKNOWN'>
    """
    if instance_or_none(snapshot, AccountSnapshot, "snapshot") is None:
        raise ArgumentError(
            "snapshot must be a rootguard.AccountSnapshot, not None", parameter="snapshot"
        )
    policy = instance_or_none(policy, Policy, "policy") or Policy()
    now = time_or_none(now, "now")
    ref = now if now is not None else snapshot.collected_at
    if ref is not None and ref.tzinfo is None:
        ref = ref.replace(tzinfo=_UTC)
    ctx = Ctx(snapshot=snapshot, policy=policy, now=ref)

    facts = root_facts(ctx)
    mfa = check_root_mfa(ctx, facts)
    check_root_hardware_mfa(ctx, facts, mfa)
    check_root_count(
        ctx,
        facts,
        check=CheckId.ROOT_NO_ACCESS_KEYS,
        summary_key="AccountAccessKeysPresent",
        row_attr="active_access_keys",
        noun="access key",
    )
    check_root_count(
        ctx,
        facts,
        check=CheckId.ROOT_NO_SIGNING_CERTIFICATES,
        summary_key="AccountSigningCertificatesPresent",
        row_attr="active_certificates",
        noun="signing certificate",
    )
    check_root_recent_usage(ctx, facts)
    check_centralized_access(ctx)
    qualifying = check_trails(ctx)
    check_metric_alarm(ctx, qualifying, trails_known=snapshot.trails is not None)
    check_eventbridge(ctx)
    check_config(ctx)
    check_topic_policies(ctx)

    activity: list[RootActivity] = []
    if facts.report is not None and ref is not None:
        activity = root_activity_from_credential_report(
            facts.report, now=ref, since=ref - timedelta(days=policy.root_usage_days)
        )
    findings = ctx.findings
    if ref is not None:  # without a reference time no rule's expiry can be judged
        activity = mark_expected(activity, policy.expected_activity, ref)
        findings = [_expected_usage(f, activity) for f in findings]
        findings = [_suppress(f, policy.suppressions, snapshot.account_id, ref) for f in findings]
    findings = [f for f in findings if policy.selects(f.check_id)]
    logger.debug("evaluated account %s: %d findings", snapshot.account_id, len(findings))
    return Report(
        account_id=snapshot.account_id,
        partition=snapshot.partition,
        generated_at=ref,
        regions=tuple(snapshot.regions),
        policy=policy,
        findings=tuple(sorted(findings, key=_sort_key)),
        root_activity=tuple(activity),
    )


def _expected_usage(finding: Finding, activity: Sequence[RootActivity]) -> Finding:
    """``root.recent_usage`` FAIL is SUPPRESSED when every recent root use is expected
    (an expired expected-activity rule is noted, and the FAIL stays)."""
    if finding.check_id != CheckId.ROOT_RECENT_USAGE or finding.status is not Status.FAIL:
        return finding
    if not activity or any(a.expected is None for a in activity):
        return finding
    notes = [a.expected for a in activity if a.expected is not None]
    lapsed = [n for n in notes if n.expired]
    shown = lapsed[0] if lapsed else min(notes, key=lambda n: n.expires)
    note = SuppressionNote(
        reason="; ".join(dict.fromkeys(n.reason for n in notes)),
        expires=shown.expires,
        expired=bool(lapsed),
        status=finding.status,
        rule="expected_activity",
    )
    status = finding.status if lapsed else Status.SUPPRESSED
    return finding.model_copy(update={"status": status, "suppression": note})


def _suppress(
    finding: Finding, rules: Sequence[Suppression], account_id: str, now: datetime
) -> Finding:
    """A FAIL or UNKNOWN finding a rule covers: SUPPRESSED while the rule is in force,
    its own status with an ``expired`` note after."""
    if finding.status not in (Status.FAIL, Status.UNKNOWN) or not rules:
        return finding
    matching = [
        r
        for r in rules
        if r.matches(
            check_id=finding.check_id,
            account_id=account_id,
            region=finding.region,
            resource=finding.resource,
        )
    ]
    if not matching:
        return finding
    live = [r for r in matching if not expired(r.expires, now)]
    rule = live[0] if live else matching[0]
    note = SuppressionNote(
        reason=rule.reason, expires=rule.expires, expired=not live, status=finding.status
    )
    status = Status.SUPPRESSED if live else finding.status
    return finding.model_copy(update={"status": status, "suppression": note})

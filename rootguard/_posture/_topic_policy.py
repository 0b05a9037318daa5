"""Alert-topic policies (pure): ``monitoring.alert_topic_secure``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from rootguard._judge import (
    arn_part,
    as_strings,
    topic_encryption,
)
from rootguard._posture._alarm import topic_state
from rootguard._posture._catalogue import CheckId
from rootguard._posture._context import Ctx, join_some
from rootguard._posture._models import Status

_ALERTING_CHECKS = (CheckId.MONITORING_ROOT_METRIC_ALARM, CheckId.MONITORING_ROOT_EVENTBRIDGE)
"""The checks whose alert topics this check judges."""
_ACCOUNT_KEYS = ("aws:sourceaccount", "aws:sourceowner", "aws:principalaccount")
_ARN_KEYS = ("aws:sourcearn", "aws:principalarn")
_RESTRICTING_OPS = (
    "stringequals",
    "stringlike",
    "stringequalsignorecase",
    "arnequals",
    "arnlike",
)


def _condition_restricts(condition: Any, account_id: str) -> bool:
    """Whether a condition block limits the caller to ``account_id``."""
    if not isinstance(condition, Mapping):
        return False
    for op, block in condition.items():
        if str(op).lower() not in _RESTRICTING_OPS or not isinstance(block, Mapping):
            continue
        for key, raw in block.items():
            values = as_strings(raw)
            if not values:
                continue
            lowered = str(key).lower()
            if lowered in _ACCOUNT_KEYS and all(v == account_id for v in values):
                return True
            if lowered in _ARN_KEYS and all(arn_part(v, 4) == account_id for v in values):
                return True
    return False


def _principal_account(principal: str) -> str | None:
    if re.fullmatch(r"\d{12}", principal):
        return principal
    return arn_part(principal, 4)


def _policy_problems(policy: Any, account_id: str) -> tuple[list[str], list[str]]:
    """(grants to outsiders, service principals) of a topic policy document."""
    statements = policy.get("Statement") if isinstance(policy, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return [], []
    problems: list[str] = []
    services: list[str] = []
    for index, st in enumerate(statements):
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        sid = st.get("Sid") or f"#{index}"
        restricted = _condition_restricts(st.get("Condition"), account_id)
        if "NotPrincipal" in st:
            if not restricted:
                problems.append(f"statement {sid} allows everyone but the NotPrincipal list")
            continue
        principal = st.get("Principal")
        if principal == "*":
            if not restricted:
                problems.append(f"statement {sid} grants '*' without an account condition")
            continue
        if not isinstance(principal, Mapping):
            continue
        for kind, raw in principal.items():
            for value in as_strings(raw):
                if kind == "Service":
                    services.append(value)
                elif kind == "AWS" and value == "*":
                    if not restricted:
                        problems.append(
                            f"statement {sid} grants AWS '*' without an account condition"
                        )
                elif kind == "AWS":
                    other = _principal_account(value)
                    if other != account_id and not restricted:
                        problems.append(f"statement {sid} grants {value} (another account)")
                elif not restricted:
                    problems.append(f"statement {sid} grants {kind} principal {value}")
    return problems, sorted(set(services))


def check_topic_policies(ctx: Ctx) -> None:
    check = CheckId.MONITORING_ALERT_TOPIC_SECURE
    if not ctx.alert_topics:
        undecided = [
            f.check_id
            for f in ctx.findings
            if f.check_id
            in (CheckId.MONITORING_ROOT_METRIC_ALARM, CheckId.MONITORING_ROOT_EVENTBRIDGE)
            and f.status is Status.UNKNOWN
        ]
        if undecided:
            ctx.add(
                check,
                Status.UNKNOWN,
                resource=ctx.account_resource,
                detail="No root-alert SNS topic was found, but the alerting setup could not "
                "be fully read (see " + ", ".join(sorted(set(undecided))) + ").",
                evidence={"topics": []},
            )
            return
        ctx.add(
            check,
            Status.NOT_APPLICABLE,
            resource=ctx.account_resource,
            detail="No root-alert SNS topic was found (no alarm on a root metric filter and "
            "no root EventBridge rule targets a topic).",
            evidence={"topics": []},
        )
        return
    for arn in sorted(ctx.alert_topics):
        used_by = sorted(ctx.alert_topics[arn])
        region = arn_part(arn, 3)
        evidence: dict[str, Any] = {"topic": arn, "used_by": used_by}
        state, why, topic = topic_state(ctx, arn)
        if topic is None:
            missing_topic = state is False
            ctx.add(
                check,
                Status.NOT_APPLICABLE if missing_topic else Status.UNKNOWN,
                region=region,
                resource=arn,
                detail=(
                    f"No policy to judge: {why} (the alerting checks fail on it)."
                    if missing_topic
                    else f"The topic policy cannot be read: {why}."
                ),
                evidence=evidence,
            )
            continue
        if topic.policy is None:
            text, gaps = ctx.missing(
                f"the policy of {arn}", "sns", ("GetTopicAttributes",), region=region, resource=arn
            )
            ctx.add(
                check,
                Status.UNKNOWN,
                region=region,
                resource=arn,
                detail=text + ".",
                evidence=evidence | {"gaps": gaps},
            )
            continue
        try:
            document = json.loads(topic.policy)
        except ValueError as exc:
            ctx.add(
                check,
                Status.UNKNOWN,
                region=region,
                resource=arn,
                detail=f"The topic policy is not valid JSON: {exc}.",
                evidence=evidence,
            )
            continue
        problems, services = _policy_problems(document, ctx.account_id)
        evidence["problems"] = problems
        evidence["service_principals"] = services
        # Evidence only: this check judges who the policy lets in; that AWS services
        # cannot publish through the AWS managed key fails the alerting checks.
        encryption = topic_encryption(topic)
        evidence["encryption"] = encryption.evidence()
        sealed_note = (
            f" Note: {encryption.why()} (monitoring.root_metric_alarm and "
            "monitoring.root_eventbridge fail on it)."
            if encryption.services_can_publish is False
            else ""
        )
        if problems:
            ctx.add(
                check,
                Status.FAIL,
                region=region,
                resource=arn,
                detail="The topic policy grants principals outside the account: "
                + join_some(problems, 4)
                + "."
                + sealed_note,
                evidence=evidence,
            )
        else:
            services_note = f" (services: {', '.join(services)})" if services else ""
            ctx.add(
                check,
                Status.PASS,
                region=region,
                resource=arn,
                detail=f"The topic policy grants only this account and AWS services"
                f"{services_note}.{sealed_note}",
                evidence=evidence,
            )
    _unidentified_topics(ctx, check)


def _unidentified_topics(ctx: Ctx, check: CheckId) -> None:
    """UNKNOWN in each region whose alerting could not be fully read and where no alert
    topic was judged: a topic that alerting there uses may exist and be open, unseen."""
    judged = {arn_part(arn, 3) for arn in ctx.alert_topics}
    undecided: dict[str | None, list[str]] = {}
    for f in ctx.findings:
        if (
            f.check_id
            in (CheckId.MONITORING_ROOT_METRIC_ALARM, CheckId.MONITORING_ROOT_EVENTBRIDGE)
            and f.status is Status.UNKNOWN
            and f.region not in judged
        ):
            undecided.setdefault(f.region, []).append(f.check_id)
    for region in sorted(undecided, key=lambda r: r or ""):
        if region is None and judged:
            continue  # an account-wide unknown with topics judged: those findings stand
        ctx.add(
            check,
            Status.UNKNOWN,
            region=region,
            resource=ctx.account_resource,
            detail="The root-alert topics"
            + (f" of {region}" if region else "")
            + " could not be identified: the alerting setup could not be fully read (see "
            + ", ".join(sorted(set(undecided[region])))
            + ").",
            evidence={"topics": []},
        )

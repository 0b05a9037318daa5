"""What counts as working: the judgements :func:`~rootguard.evaluate`, :func:`~rootguard.plan`
and :func:`~rootguard.apply` share (pure).

The posture checks, the planner and the applier each ask the same questions — does this
trail record every management event, does this metric filter match root activity, does
this alarm fire on one root event, does this EventBridge rule see root API calls and
sign-ins, does this Config recorder record IAM resources. Each question is answered here,
once, so that ``plan()`` never believes something works that ``evaluate()`` fails (an
empty plan while a check fails) or the reverse.

Patterns and selectors are judged by what they do on the canonical events of
:mod:`rootguard._canonical`, never by their text. The callers add what only they need:
the checks turn verdicts into findings with evidence; the planner decides what to build.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from rootguard import _canonical
from rootguard._errors import PatternError
from rootguard._event_pattern import event_pattern_matches
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN, filter_pattern_matches
from rootguard._snapshot import (
    Alarm,
    ConfigRule,
    EventRule,
    MetricTransformation,
    SnsTopic,
    Trail,
)

__all__ = [
    "AWS_MANAGED_SNS_KEY_ALIAS",
    "CUSTOM_EVENT_SOURCE",
    "ENABLED_RULE_STATES",
    "PUBLISHING_SERVICES",
    "SNS_KEY_ACTIONS",
    "PatternVerdict",
    "SelectorVerdict",
    "TopicEncryption",
    "active_managed_rules",
    "alarm_fires",
    "alarm_watches_metric",
    "arn_part",
    "as_strings",
    "is_aws_managed_sns_key",
    "is_cis_pattern",
    "judge_filter_pattern",
    "judge_selectors",
    "key_policy_missing_services",
    "metric_dimensions",
    "metric_value",
    "normalize_whitespace",
    "parse_log_group_arn",
    "records_iam",
    "rule_accepts_custom_events",
    "rule_enabled",
    "rule_matches",
    "rule_matches_root_activity",
    "topic_encryption",
    "trail_records_management",
]


# --------------------------------------------------------------------------- small parts


def as_strings(value: Any) -> list[str]:
    """A string or a list of values as a list of strings (anything else: empty)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return []


def arn_part(arn: str, index: int) -> str | None:
    """Field ``index`` of an ARN (2 service, 3 region, 4 account), None when not an ARN."""
    parts = arn.split(":")
    if len(parts) > index and parts[0] == "arn":
        return parts[index]
    return None


def parse_log_group_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, log group name) of a CloudWatch Logs log-group ARN (with or
    without the trailing ``:*``); None when ``arn`` is not one."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "logs" and parts[5] == "log-group":
        return parts[3], parts[4], parts[6]
    return None


# --------------------------------------------------------------------------- event selectors


_POSITIVE_OPS: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("Equals", lambda value, arg: value == arg),
    ("StartsWith", lambda value, arg: value.startswith(arg)),
    ("EndsWith", lambda value, arg: value.endswith(arg)),
)
_NEGATIVE_OPS: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("NotEquals", lambda value, arg: value == arg),
    ("NotStartsWith", lambda value, arg: value.startswith(arg)),
    ("NotEndsWith", lambda value, arg: value.endswith(arg)),
)


def _field_selector_allows(selector: Mapping[str, Any], value: str | None) -> bool:
    """One advanced field selector: every operator present must hold (values of one
    operator are alternatives; negative operators exclude any listed value)."""
    for op, test in _POSITIVE_OPS:
        args = as_strings(selector.get(op))
        if args and (value is None or not any(test(value, a) for a in args)):
            return False
    for op, test in _NEGATIVE_OPS:
        args = as_strings(selector.get(op))
        if args and value is not None and any(test(value, a) for a in args):
            return False
    return True


def _advanced_selects(selector: Mapping[str, Any], probe: _canonical.ManagementProbe) -> bool:
    fields = selector.get("FieldSelectors")
    if not isinstance(fields, list) or not fields:
        return False
    for field_selector in fields:
        if not isinstance(field_selector, Mapping):
            return False
        name = field_selector.get("Field")
        value = probe.fields.get(name) if isinstance(name, str) else None
        if not _field_selector_allows(field_selector, value):
            return False
    return True


def _basic_selects(selector: Mapping[str, Any], probe: _canonical.ManagementProbe) -> bool:
    include = selector.get("IncludeManagementEvents", True)
    if include is False or (isinstance(include, str) and include.lower() == "false"):
        return False
    read_write = selector.get("ReadWriteType", "All")
    read_only = probe.fields.get("readOnly") == "true"
    if read_write == "ReadOnly" and not read_only:
        return False
    if read_write == "WriteOnly" and read_only:
        return False
    if read_write not in ("All", "ReadOnly", "WriteOnly"):
        return False
    excluded = as_strings(selector.get("ExcludeManagementEventSources"))
    return probe.fields.get("eventSource") not in excluded


@dataclass(frozen=True)
class SelectorVerdict:
    """What a trail's event selectors record of the management-event probes."""

    kind: Literal["advanced", "basic"]
    """Which selectors CloudTrail applies (a trail has one kind or the other)."""
    unrecorded: tuple[str, ...]
    """Labels of the probes not recorded (``eventSource:eventName (read|write)``)."""
    accepted_exclusions: tuple[str, ...]
    """Excludable probes (KMS, RDS Data API) not recorded, accepted by the caller."""

    @property
    def records_all(self) -> bool:
        """True when every management event (read and write) is recorded."""
        return not self.unrecorded


def judge_selectors(
    basic: Iterable[Any] | None,
    advanced: Iterable[Any] | None,
    account_id: str,
    *,
    allow_excluded_sources: bool = False,
) -> SelectorVerdict | None:
    """Whether basic or advanced event selectors (as ``GetEventSelectors`` returns them)
    record every management event, read and write — judged by meaning: each selector is
    applied to the management-event probes of :func:`rootguard._canonical.management_event_probes`.

    Args:
        allow_excluded_sources: accept selectors that leave out ``kms.amazonaws.com`` /
            ``rdsdata.amazonaws.com`` management events (``Policy.
            allow_excluded_management_event_sources``).

    Returns:
        None when neither kind of selector is known (not read).
    """
    if advanced is None and basic is None:
        return None
    advanced_list = list(advanced or [])
    kind: Literal["advanced", "basic"] = "advanced" if advanced_list or basic is None else "basic"
    source = advanced_list if kind == "advanced" else list(basic or [])
    selectors = [s for s in source if isinstance(s, Mapping)]
    judge = _advanced_selects if kind == "advanced" else _basic_selects
    unrecorded: list[str] = []
    accepted: list[str] = []
    for probe in _canonical.management_event_probes(account_id):
        if any(judge(s, probe) for s in selectors):
            continue
        if probe.excludable and allow_excluded_sources:
            accepted.append(probe.label)
        else:
            unrecorded.append(probe.label)
    return SelectorVerdict(kind, tuple(unrecorded), tuple(accepted))


def trail_records_management(
    trail: Trail, account_id: str, *, allow_excluded_sources: bool = False
) -> bool | None:
    """Whether a trail's selectors record every management event, read and write (None:
    its selectors were not read). See :func:`judge_selectors`."""
    verdict = judge_selectors(
        trail.event_selectors,
        trail.advanced_event_selectors,
        account_id,
        allow_excluded_sources=allow_excluded_sources,
    )
    return None if verdict is None else verdict.records_all


# --------------------------------------------------------------------------- filter patterns


def normalize_whitespace(text: str) -> str:
    """Runs of whitespace as one space, no leading or trailing whitespace."""
    return " ".join(text.split())


def is_cis_pattern(pattern: str | None) -> bool:
    """Whether a filter pattern is the CIS root-usage pattern *text* (whitespace aside) —
    what Security Hub CloudWatch.1 asks for. Whether a pattern *works* is
    :func:`judge_filter_pattern`'s question."""
    return pattern is not None and normalize_whitespace(pattern) == normalize_whitespace(
        CIS_ROOT_FILTER_PATTERN
    )


@dataclass
class PatternVerdict:
    """Whether a metric-filter pattern matches root activity and leaves the rest alone."""

    ok: bool
    exact_cis: bool
    error: str | None = None
    missed: list[str] = field(default_factory=list)
    false_matches: list[str] = field(default_factory=list)
    informational: dict[str, bool] = field(default_factory=dict)

    def why(self) -> str:
        """Why the pattern does not qualify (empty when it does)."""
        if self.error:
            return f"the pattern is not valid: {self.error}"
        parts = []
        if self.missed:
            parts.append("misses root activity: " + ", ".join(self.missed))
        if self.false_matches:
            parts.append("also matches non-root events: " + ", ".join(self.false_matches))
        return "; ".join(parts)

    def evidence(self) -> dict[str, Any]:
        """The verdict as JSON-ready evidence."""
        return {
            "matches_root_activity": self.ok,
            "pattern_is_exact_cis": self.exact_cis,
            "missed_root_events": self.missed,
            "matched_non_root_events": self.false_matches,
            "informational_events_matched": self.informational,
            "pattern_error": self.error,
        }


def judge_filter_pattern(pattern: str, account_id: str, region: str) -> PatternVerdict:
    """Evaluate a CloudWatch Logs filter pattern on the canonical events: it qualifies
    when it matches every root event and no non-root event (clause order, spacing and
    quoting do not matter; a malformed pattern does not qualify)."""
    verdict = PatternVerdict(ok=False, exact_cis=pattern == CIS_ROOT_FILTER_PATTERN)
    try:
        for event in _canonical.root_events(account_id, region):
            if not filter_pattern_matches(pattern, event.record):
                verdict.missed.append(event.name)
        for event in _canonical.non_root_events(account_id, region):
            if filter_pattern_matches(pattern, event.record):
                verdict.false_matches.append(event.name)
        for event in _canonical.informational_events(account_id, region):
            verdict.informational[event.name] = filter_pattern_matches(pattern, event.record)
    except PatternError as exc:
        verdict.error = str(exc)
    verdict.ok = verdict.error is None and not verdict.missed and not verdict.false_matches
    return verdict


# --------------------------------------------------------------------------- alarms


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda x, t: x >= t,
    "GreaterThanThreshold": lambda x, t: x > t,
    "LessThanThreshold": lambda x, t: x < t,
    "LessThanOrEqualToThreshold": lambda x, t: x <= t,
}


def metric_value(transformation: MetricTransformation) -> float | None:
    """The value one matching log event adds to the metric; None unless a positive
    finite number."""
    try:
        value = float(transformation.metric_value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def metric_dimensions(transformation: MetricTransformation) -> Any:
    """The dimensions the filter publishes the metric with (falsy when none); an alarm on
    a dimensioned metric is not judged."""
    return (transformation.model_extra or {}).get("dimensions")


def _stat_value(stat: str | None, value: float, default: float | None) -> tuple[float | None, str]:
    """The statistic of one period holding one root event (None: not judged), and why."""
    if stat in {"Sum", "Maximum"}:
        return value, ""
    if stat in ("SampleCount", "Average", "Minimum"):
        if default is None:
            return (1.0 if stat == "SampleCount" else value), ""
        return None, (
            f"statistic {stat} with the filter's default value {default:g} counts "
            "non-matching log events too"
        )
    return None, f"statistic {stat or 'none'} is not judged (use Sum)"


def _threshold_ok(alarm: Alarm, x: float, baseline: float) -> tuple[bool, str]:
    op = alarm.comparison_operator
    compare = _COMPARISONS.get(op or "")
    if compare is None or alarm.threshold is None:
        return False, f"comparison {op or 'none'} is not a fixed-threshold comparison"
    t = alarm.threshold
    if not compare(x, t):
        return False, f"{op} {t:g} does not fire on one root event (value {x:g})"
    if compare(baseline, t):
        return False, f"{op} {t:g} fires without any root event (value {baseline:g})"
    return True, ""


_MATH_SIMPLE = re.compile(r"^(?:FILL\((\w+),0\)|SUM\(\[(\w+)\]\)|(\w+))$")


def alarm_fires(
    alarm: Alarm, name: str, namespace: str, transformation: MetricTransformation
) -> tuple[bool | None, str]:
    """Whether ``alarm`` goes to ALARM on a single root event of the metric
    ``namespace/name`` that ``transformation`` publishes — and does not without one
    (None: not judged, e.g. a metric-math expression), with the reason when not True.
    Whether the alarm's actions are enabled is not part of this answer."""
    value = metric_value(transformation)
    if value is None:
        return False, f"metric value {transformation.metric_value!r} is not a positive number"
    default = transformation.default_value
    if alarm.treat_missing_data == "breaching" and default is None:
        return False, "missing data is treated as breaching: the alarm sits in ALARM"
    periods = alarm.datapoints_to_alarm or alarm.evaluation_periods or 1
    if periods > 1:
        return False, f"it needs {periods} breaching periods; one root event is one period"
    if alarm.metrics:
        returned = [m for m in alarm.metrics if m.get("ReturnData", True)]
        if len(returned) != 1:
            return None, "metric-math alarm without a single returned expression is not judged"
        item = returned[0]
        by_id = {str(m.get("Id")): m for m in alarm.metrics}
        if "MetricStat" not in item:
            expression = re.sub(r"\s+", "", str(item.get("Expression", "")))
            match = _MATH_SIMPLE.match(expression)
            ref = next((g for g in match.groups() if g), None) if match else None
            if ref is None or ref not in by_id or "MetricStat" not in by_id[ref]:
                return None, f"metric-math expression {expression!r} is not evaluated"
            item = by_id[ref]
        stat_block = item.get("MetricStat") or {}
        metric = stat_block.get("Metric") or {}
        if metric.get("MetricName") != name or metric.get("Namespace") != namespace:
            return False, "its returned metric is another metric"
        stat = stat_block.get("Stat")
    else:
        stat = alarm.statistic
        if alarm.extended_statistic:
            stat = alarm.extended_statistic
    x, why = _stat_value(stat, value, default)
    if x is None:
        return False, why
    # Without root events the metric is 0 (with a default value) or missing.
    return _threshold_ok(alarm, x, 0.0)


def alarm_watches_metric(alarm: Alarm, name: str, namespace: str) -> bool:
    """Whether ``alarm`` watches the metric ``namespace/name`` without dimensions
    (directly or in a metric-math query)."""
    if alarm.metric_name == name and alarm.namespace == namespace:
        return not alarm.dimensions
    for item in alarm.metrics or []:
        metric = (item.get("MetricStat") or {}).get("Metric") or {}
        if metric.get("MetricName") == name and metric.get("Namespace") == namespace:
            return not metric.get("Dimensions")
    return False


# --------------------------------------------------------------------------- EventBridge

ENABLED_RULE_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
"""The rule states in which EventBridge delivers CloudTrail events to the rule."""


def rule_enabled(rule: EventRule) -> bool:
    """Whether the rule is enabled and has an event pattern (a schedule-only rule never
    sees an event)."""
    return rule.state in ENABLED_RULE_STATES and bool(rule.event_pattern)


def rule_matches(pattern: str | None, event: Mapping[str, Any]) -> bool | str:
    """Whether an EventBridge event pattern matches ``event``; the error text when the
    pattern is not valid."""
    try:
        return bool(event_pattern_matches(pattern or "{}", event))
    except PatternError as exc:
        return str(exc)


def rule_matches_root_activity(rule: EventRule, account_id: str) -> bool:
    """Whether the rule's pattern alone matches every root API call and root console
    sign-in EventBridge delivers in the rule's region
    (:func:`rootguard._canonical.eventbridge_root_envelopes`). Targets and state are
    not part of this answer."""
    if not rule.event_pattern:
        return False
    return all(
        rule_matches(rule.event_pattern, event.record) is True
        for event in _canonical.eventbridge_root_envelopes(account_id, rule.region)
    )


CUSTOM_EVENT_SOURCE = "my.app"
"""The ``source`` of a custom event (``PutEvents``) in :func:`rule_accepts_custom_events`."""


def rule_accepts_custom_events(rule: EventRule, account_id: str) -> bool:
    """Whether the rule's pattern also matches a root record sent as a *custom* event
    (``PutEvents`` with ``source`` :data:`CUSTOM_EVENT_SOURCE`): anyone allowed to put
    events on the bus could then raise a false root alert. Such a rule still catches root
    activity (:func:`rule_matches_root_activity`); this answer is evidence, not a failure.
    An invalid pattern accepts nothing."""
    if not rule.event_pattern:
        return False
    return any(
        rule_matches(rule.event_pattern, {**event.record, "source": CUSTOM_EVENT_SOURCE}) is True
        for event in _canonical.eventbridge_root_envelopes(account_id, rule.region)
    )


# --------------------------------------------------------------------------- AWS Config

_IAM_PREFIX = "AWS::IAM::"
_IAM_TYPES = ("AWS::IAM::User", "AWS::IAM::Role", "AWS::IAM::Group", "AWS::IAM::Policy")


def records_iam(group: Mapping[str, Any] | None) -> bool | None:
    """Whether a Config recording group (``recordingGroup`` as AWS returns it) records
    IAM (global) resources, which the root rules report on; None when not read."""
    if group is None:
        return None
    strategy = ((group.get("recordingStrategy") or {}).get("useOnly")) or ""
    if group.get("allSupported") and (
        group.get("includeGlobalResourceTypes") or strategy == "ALL_SUPPORTED_RESOURCE_TYPES"
    ):
        return bool(group.get("includeGlobalResourceTypes"))
    types = as_strings(group.get("resourceTypes"))
    if any(t.startswith(_IAM_PREFIX) for t in types):
        return True
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        excluded = as_strings((group.get("exclusionByResourceTypes") or {}).get("resourceTypes"))
        return not all(t in excluded for t in _IAM_TYPES)
    return False


def active_managed_rules(rules: Iterable[ConfigRule] | None) -> set[str]:
    """The source identifiers (``ROOT_ACCOUNT_MFA_ENABLED`` …) of the active AWS managed
    Config rules among ``rules``."""
    return {
        r.source_identifier
        for r in rules or []
        if r.source_identifier
        and (r.source_owner or "AWS") == "AWS"
        and r.config_rule_state in (None, "ACTIVE")
    }


# --------------------------------------------------------------------------- SNS encryption

AWS_MANAGED_SNS_KEY_ALIAS = "alias/aws/sns"
"""The alias of the AWS managed key for Amazon SNS (one per account and region)."""

PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com", "events.amazonaws.com")
"""The service principals that publish root alerts to the alert topic: CloudWatch alarms
and EventBridge rules."""

SNS_KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
"""What an AWS service that publishes to an encrypted topic needs on its KMS key (Amazon
SNS Developer Guide, "Enable compatibility between event sources from AWS services and
encrypted topics")."""


def is_aws_managed_sns_key(key_id: str | None) -> bool:
    """Whether a topic's ``KmsMasterKeyId`` names the AWS managed key for SNS: the alias
    ``alias/aws/sns`` or its ARN ``arn:PARTITION:kms:REGION:ACCOUNT:alias/aws/sns``.

    A key id or key ARN cannot be told apart from a customer managed key's without
    ``kms:DescribeKey`` (its ``KeyManager``), which rootguard does not call: such a value
    counts as a customer managed key.

    Examples:
        >>> is_aws_managed_sns_key("alias/aws/sns")
        True
        >>> is_aws_managed_sns_key("arn:aws:kms:us-east-1:111122223333:alias/aws/sns")
        True
        >>> is_aws_managed_sns_key("alias/rootguard-alert-topic")
        False
    """
    if not key_id:
        return False
    key = key_id.strip()
    if key == AWS_MANAGED_SNS_KEY_ALIAS:
        return True
    parts = key.split(":", 5)
    return (
        len(parts) == 6
        and parts[0] == "arn"
        and parts[2] == "kms"
        and parts[5] == AWS_MANAGED_SNS_KEY_ALIAS
    )


@dataclass(frozen=True)
class TopicEncryption:
    """How an SNS topic is encrypted at rest, and whether AWS services can publish to it."""

    state: Literal["unencrypted", "customer_managed", "aws_managed", "unknown"]
    """``unknown``: the topic's attributes were not read."""
    key_id: str | None = None
    """The topic's ``KmsMasterKeyId`` as AWS returned it."""

    @property
    def services_can_publish(self) -> bool | None:
        """Whether CloudWatch alarms and EventBridge rules can publish to the topic as far
        as its encryption goes: False with the AWS managed key (its key policy cannot be
        changed to let them use it, so AWS drops what they publish), None when unknown.
        A customer managed key counts as usable: its key policy is not read."""
        if self.state == "unknown":
            return None
        return self.state != "aws_managed"

    def why(self) -> str:
        """Why the topic cannot receive alerts (empty when it can or it is unknown)."""
        if self.state != "aws_managed":
            return ""
        return (
            f"it is encrypted with the AWS managed key {self.key_id}, whose key policy cannot "
            "let CloudWatch alarms and EventBridge rules use it (kms:GenerateDataKey*, "
            "kms:Decrypt): what they publish is dropped"
        )

    def evidence(self) -> dict[str, Any]:
        """The verdict as JSON-ready evidence."""
        return {
            "kms_master_key_id": self.key_id,
            "encryption": self.state,
            "services_can_publish": self.services_can_publish,
        }


def topic_encryption(topic: SnsTopic) -> TopicEncryption:
    """Judge a topic's server-side encryption from its attributes (``KmsMasterKeyId``).

    The attributes count as read when the snapshot holds any of them (the policy, the
    attribute map or the key id); otherwise the state is ``unknown`` — never guessed as
    unencrypted."""
    key = topic.kms_master_key_id or (topic.attributes or {}).get("KmsMasterKeyId") or None
    if key is None and topic.policy is None and topic.attributes is None:
        return TopicEncryption("unknown")
    if not key:
        return TopicEncryption("unencrypted")
    if is_aws_managed_sns_key(key):
        return TopicEncryption("aws_managed", key)
    return TopicEncryption("customer_managed", key)


def _statement_grants(statement: Mapping[str, Any], service: str, action: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    services: list[str] = []
    if principal == "*":
        services = [service]
    elif isinstance(principal, Mapping):
        if principal.get("AWS") == "*":
            services = [service]
        services += as_strings(principal.get("Service"))
    if service not in services:
        return False
    wanted = action.lower().rstrip("*")
    for pattern in as_strings(statement.get("Action")):
        p = pattern.lower()
        if p in ("*", "kms:*", action.lower(), wanted):
            return True
        if p.endswith("*") and wanted.startswith(p[:-1]):
            return True
    return False


def key_policy_missing_services(
    policy: Mapping[str, Any] | None, services: Iterable[str] = PUBLISHING_SERVICES
) -> list[str]:
    """The service principals a KMS key policy does not let use the key for an encrypted
    topic (:data:`SNS_KEY_ACTIONS`); conditions on a granting statement are not judged."""
    statements = (policy or {}).get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    missing = []
    for service in services:
        granted = all(
            any(isinstance(s, Mapping) and _statement_grants(s, service, a) for s in statements)
            for a in SNS_KEY_ACTIONS
        )
        if not granted:
            missing.append(service)
    return missing

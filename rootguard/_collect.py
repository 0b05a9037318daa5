"""collect: read one account's root-protection state into an AccountSnapshot (I/O).

What is read, and the names gaps use (``Gap.service`` is the boto3 service name,
``Gap.operation`` the AWS operation name):

- global (IAM / Organizations): ``iam`` GenerateCredentialReport, GetCredentialReport,
  GetAccountSummary, ListVirtualMFADevices, ListOrganizationsFeatures;
  ``organizations`` DescribeOrganization; ``ec2`` DescribeRegions / ``account``
  ListRegions (region discovery, only when ``regions`` is None).
- per region: ``cloudtrail`` DescribeTrails (shadow trails included); each distinct trail
  once, in its home region: GetTrailStatus, GetEventSelectors, ListTags (``resource`` = the
  trail ARN); ``logs`` DescribeLogGroups, DescribeMetricFilters for the log groups trails
  deliver to (in the log group's region; a log group of another account is a gap with code
  ``CrossAccountResource``); ``cloudwatch`` DescribeAlarms; ``sns`` ListTopics,
  GetTopicAttributes, ListSubscriptionsByTopic; ``events`` ListRules, ListTargetsByRule;
  ``config`` DescribeConfigurationRecorders, DescribeConfigurationRecorderStatus,
  DescribeConfigRules, DescribeComplianceByConfigRule (compliance only: its gap never
  makes the rules unknown), DescribeDeliveryChannels.

Regions are collected concurrently; a failed call is a gap, never an exception.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Any

import boto3

from rootguard._aws import (
    NOT_ENABLED_CODES,
    ClientFactory,
    GapRecorder,
    caller_identity,
    clean,
    discover_regions,
    paginate,
    requested_regions,
    session_credentials,
    unique,
)
from rootguard._errors import CollectError
from rootguard._snapshot import (
    AccountSnapshot,
    Alarm,
    ConfigRecorder,
    ConfigRule,
    CredentialReportData,
    DeliveryChannel,
    EventRule,
    Gap,
    LogGroup,
    OrganizationInfo,
    RegionSnapshot,
    SnsSubscription,
    SnsTopic,
    Trail,
    VirtualMfaDevice,
)

__all__ = ["collect", "collect_account"]

logger = logging.getLogger(__name__)

_REPORT_WAIT_CODES = frozenset({"ReportInProgress", "ReportNotPresent", "ReportExpired"})
_FEATURES_NOT_AVAILABLE = frozenset(
    {
        "AccountNotManagementOrDelegatedAdministratorException",
        "OrganizationNotFoundException",
        "OrganizationNotInAllFeaturesModeException",
        "ServiceAccessNotEnabledException",
    }
)
"""``iam:ListOrganizationsFeatures`` answers that say "not available here" (recorded in
``OrganizationInfo.root_features_error``, not as gaps)."""


def collect(
    *,
    session: boto3.Session | None = None,
    regions: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    max_workers: int | None = None,
) -> AccountSnapshot:
    """Collect everything the posture checks need from one account.

    Args:
        session: the boto3 session to use (None: a default ``boto3.Session()``).
        regions: the regions to read; None means every region enabled for the account
            (discovered with ``ec2:DescribeRegions``).
        progress: called with a region's name when that region is done.
        max_workers: threads used to read regions concurrently (default 32).

    Returns:
        The :class:`~rootguard.AccountSnapshot`. A call that failed (access denied, region
        not enabled, unsupported operation, connection error …) is recorded in
        ``snapshot.gaps`` and the data it would have given is None.

    Raises:
        CollectError: there are no usable credentials, or nothing at all could be read.

    Examples:
        >>> import rootguard
        >>> snapshot = rootguard.collect(regions=["us-east-1", "eu-west-1"])  # doctest: +SKIP
        >>> [gap.describe() for gap in snapshot.gaps]  # doctest: +SKIP
        []
    """
    sess, _ = session_credentials(session)
    return collect_account(sess, regions, progress=progress, max_workers=max_workers)


def collect_account(
    session: boto3.Session,
    regions: Sequence[str] | None,
    *,
    identity: tuple[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    max_workers: int | None = None,
) -> AccountSnapshot:
    """:func:`collect` with a session known to have credentials.

    ``identity`` is the (account id, partition) of those credentials when the caller
    knows it already (an ``sts:AssumeRole`` answer names the account): then
    ``sts:GetCallerIdentity`` is not called.
    """
    wanted, home = requested_regions(session, regions)
    factory = ClientFactory(session)
    recorder = GapRecorder()
    if identity is None:
        identity = caller_identity(factory.client("sts", home))
    account_id, partition = identity
    collected_at = datetime.now(timezone.utc)
    started = time.monotonic()

    pool = ThreadPoolExecutor(max_workers=max_workers or 32, thread_name_prefix="rootguard")
    try:
        report_f = pool.submit(_credential_report, factory.client("iam", home), recorder)
        iam_f = pool.submit(_iam_account, factory.client("iam", home), recorder)
        org_f = pool.submit(_organization, factory, recorder, home, account_id)

        if wanted is None:
            region_list, discovered = discover_regions(factory, recorder, home, partition)
        else:
            region_list, discovered = wanted, True
        futures: dict[Future[_RegionResult], str] = {
            pool.submit(_collect_region, factory, recorder, region, account_id): region
            for region in region_list
        }
        results: dict[str, _RegionResult] = {}
        for future in as_completed(futures):
            result = future.result()
            results[result.region] = result
            logger.info("collected region %s", result.region)
            if progress is not None:
                progress(result.region)

        trails, extra_groups = _leftover_trails(pool, factory, recorder, results, account_id)
        report = report_f.result()
        summary, mfa_devices = iam_f.result()
        organization = org_f.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)

    if recorder.successes == 0:
        first = recorder.gaps[0].describe() if recorder.gaps else "no call was made"
        raise CollectError(f"nothing could be collected from account {account_id}: {first}")

    kept = [r for r in region_list if discovered or results[r].enabled]
    for result in results.values():
        trails.extend(result.trails)
        for region, groups in result.log_groups.items():
            extra_groups.setdefault(region, {}).update(groups)
    region_data = {r: results[r].snapshot(extra_groups.pop(r, None)) for r in kept}
    for region, groups in extra_groups.items():
        # log groups of trails whose home region was not collected
        region_data[region] = RegionSnapshot(region=region, log_groups=list(groups.values()))

    snapshot = AccountSnapshot(
        account_id=account_id,
        partition=partition,
        collected_at=collected_at,
        regions=kept,
        credential_report=report,
        account_summary=summary,
        virtual_mfa_devices=mfa_devices,
        organization=organization,
        trails=sorted({t.trail_arn: t for t in trails}.values(), key=lambda t: t.trail_arn),
        region_data=region_data,
        gaps=sorted(
            recorder.gaps,
            key=lambda g: (g.region or "", g.service, g.operation, g.resource or ""),
        ),
    )
    logger.info(
        "collected account %s: %d regions, %d gaps in %.1fs",
        account_id,
        len(kept),
        len(snapshot.gaps),
        time.monotonic() - started,
    )
    return snapshot


# --------------------------------------------------------------------------- global


def _credential_report(
    iam: Any,
    recorder: GapRecorder,
    *,
    sleep: Callable[[float], None] = time.sleep,
    max_wait: float = 120.0,
    first_delay: float = 0.5,
    max_delay: float = 8.0,
) -> CredentialReportData | None:
    """Generate the credential report, then fetch it, polling with exponential backoff.

    ReportInProgress → wait; ReportNotPresent / ReportExpired → generate again and wait.
    Gives up (a gap with the last code) after ``max_wait`` seconds of waiting.
    """
    generated = recorder.attempt(
        "iam", "GenerateCredentialReport", None, iam.generate_credential_report
    )
    delay, waited = first_delay, 0.0
    while True:
        got = recorder.attempt(
            "iam", "GetCredentialReport", None, iam.get_credential_report, quiet=_REPORT_WAIT_CODES
        )
        if got.ok and got.value is not None:
            content = got.value.get("Content", b"")
            text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
            return CredentialReportData(content=text, generated_at=got.value.get("GeneratedTime"))
        code = got.error_code or "ReportNotPresent"
        if code not in _REPORT_WAIT_CODES:
            return None  # recorded as a gap
        if code != "ReportInProgress":
            if not generated.ok:
                recorder.add(_gap("iam", "GetCredentialReport", None, code, got.message))
                return None
            generated = recorder.attempt(
                "iam", "GenerateCredentialReport", None, iam.generate_credential_report
            )
        if waited >= max_wait:
            recorder.add(
                _gap(
                    "iam",
                    "GetCredentialReport",
                    None,
                    code,
                    f"credential report still not ready after {waited:.0f}s",
                )
            )
            return None
        logger.debug("credential report not ready (%s); waiting %.1fs", code, delay)
        sleep(delay)
        waited += delay
        delay = min(delay * 2, max_delay)


def _iam_account(
    iam: Any, recorder: GapRecorder
) -> tuple[dict[str, int] | None, list[VirtualMfaDevice] | None]:
    summary = recorder.call(
        "iam", "GetAccountSummary", None, lambda: dict(iam.get_account_summary()["SummaryMap"])
    )

    def devices() -> list[VirtualMfaDevice]:
        found = []
        for raw in paginate(iam, "ListVirtualMFADevices", "VirtualMFADevices"):
            data = clean(
                {k: v for k, v in raw.items() if k not in {"Base32StringSeed", "QRCodePNG"}}
            )
            data["UserArn"] = (raw.get("User") or {}).get("Arn")
            found.append(VirtualMfaDevice.model_validate(data))
        return found

    return summary, recorder.call("iam", "ListVirtualMFADevices", None, devices)


def _organization(
    factory: ClientFactory, recorder: GapRecorder, home: str, account_id: str
) -> OrganizationInfo | None:
    org = factory.client("organizations", home)
    described = recorder.attempt(
        "organizations",
        "DescribeOrganization",
        None,
        lambda: org.describe_organization()["Organization"],
        quiet={"AWSOrganizationsNotInUseException"},
    )
    info: dict[str, Any] = {}
    if described.ok and described.value is not None:
        management = described.value.get("MasterAccountId")
        info.update(
            organization_id=described.value.get("Id"),
            management_account_id=management,
            is_management_account=management == account_id if management else None,
            in_organization=True,
        )
    elif described.error_code == "AWSOrganizationsNotInUseException":
        info.update(in_organization=False, is_management_account=False)
        info["root_features_error"] = "AWSOrganizationsNotInUseException"
        return OrganizationInfo(**info)

    iam = factory.client("iam", home)
    features = recorder.attempt(
        "iam",
        "ListOrganizationsFeatures",
        None,
        iam.list_organizations_features,
        quiet=_FEATURES_NOT_AVAILABLE,
    )
    if features.ok and features.value is not None:
        info["root_features"] = list(features.value.get("EnabledFeatures") or [])
        info.setdefault("organization_id", features.value.get("OrganizationId"))
    else:
        info["root_features_error"] = features.error_code
        if not described.ok and features.error_code not in _FEATURES_NOT_AVAILABLE:
            return None  # neither call worked: not collected (see gaps)
    return OrganizationInfo(**info)


# --------------------------------------------------------------------------- regional


@dataclass
class _RegionResult:
    region: str
    enabled: bool = True
    trail_arns: list[str] | None = None
    descriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    handled: set[str] = field(default_factory=set)
    trails: list[Trail] = field(default_factory=list)
    log_groups: dict[str, dict[str, LogGroup]] = field(default_factory=dict)
    alarms: list[Alarm] | None = None
    topics: list[SnsTopic] | None = None
    event_rules: list[EventRule] | None = None
    config_recorders: list[ConfigRecorder] | None = None
    config_rules: list[ConfigRule] | None = None
    delivery_channels: list[DeliveryChannel] | None = None

    def snapshot(self, extra_groups: dict[str, LogGroup] | None) -> RegionSnapshot:
        groups: list[LogGroup] | None = None
        if self.trail_arns is not None or extra_groups:
            groups = sorted((extra_groups or {}).values(), key=lambda g: g.log_group_name)
        return RegionSnapshot(
            region=self.region,
            trails=self.trail_arns,
            log_groups=groups,
            alarms=self.alarms,
            topics=self.topics,
            event_rules=self.event_rules,
            config_recorders=self.config_recorders,
            config_rules=self.config_rules,
            delivery_channels=self.delivery_channels,
        )


def _collect_region(
    factory: ClientFactory, recorder: GapRecorder, region: str, account_id: str
) -> _RegionResult:
    result = _RegionResult(region=region)
    cloudtrail = factory.client("cloudtrail", region)
    described = recorder.attempt(
        "cloudtrail",
        "DescribeTrails",
        region,
        lambda: cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", []),
    )
    if described.error_code in NOT_ENABLED_CODES:
        logger.info("region %s is not enabled (%s); skipped", region, described.error_code)
        result.enabled = False
        return result
    if described.ok and described.value is not None:
        descriptions = [clean(t) for t in described.value if t.get("TrailARN")]
        result.trail_arns = unique([d["TrailARN"] for d in descriptions])
        for desc in descriptions:
            desc.setdefault("HomeRegion", desc["TrailARN"].split(":")[3])
            result.descriptions.setdefault(desc["TrailARN"], desc)
        for arn, desc in result.descriptions.items():
            if desc["HomeRegion"] == region:
                result.handled.add(arn)
                trail = _read_trail(factory, recorder, desc)
                if trail is not None:
                    result.trails.append(trail)
        result.log_groups = _trail_log_groups(factory, recorder, result.trails, account_id)
        result.log_groups.setdefault(region, {})

    result.alarms = _alarms(factory, recorder, region)
    result.event_rules = _event_rules(factory, recorder, region)
    result.topics = _topics(factory, recorder, region, result.alarms, result.event_rules)
    _config(factory, recorder, region, result)
    return result


def _read_trail(
    factory: ClientFactory, recorder: GapRecorder, description: dict[str, Any]
) -> Trail | None:
    """One trail, with status, selectors and tags read in its home region."""
    arn = description["TrailARN"]
    home = description["HomeRegion"]
    cloudtrail = factory.client("cloudtrail", home)
    data = dict(description)
    status = recorder.call(
        "cloudtrail",
        "GetTrailStatus",
        home,
        lambda: clean(cloudtrail.get_trail_status(Name=arn)),
        resource=arn,
    )
    if status is not None:
        data.update(status)
    selectors = recorder.call(
        "cloudtrail",
        "GetEventSelectors",
        home,
        lambda: clean(cloudtrail.get_event_selectors(TrailName=arn)),
        resource=arn,
    )
    if selectors is not None:
        data["EventSelectors"] = selectors.get("EventSelectors") or []
        data["AdvancedEventSelectors"] = selectors.get("AdvancedEventSelectors") or []
    tags = recorder.call(
        "cloudtrail",
        "ListTags",
        home,
        lambda: paginate(cloudtrail, "ListTags", "ResourceTagList", ResourceIdList=[arn]),
        resource=arn,
    )
    if tags is not None:
        data["Tags"] = {
            t["Key"]: t.get("Value", "") for entry in tags for t in entry.get("TagsList") or []
        }
    return recorder.call(
        "cloudtrail", "DescribeTrails", home, lambda: Trail.model_validate(data), resource=arn
    )


def _parse_log_group_arn(arn: str) -> tuple[str, str, str] | None:
    """``arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`` → (region, account, name)."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    name = ":".join(parts[6:])
    if name.endswith(":*"):
        name = name[:-2]
    return parts[3], parts[4], name


def _trail_log_groups(
    factory: ClientFactory, recorder: GapRecorder, trails: list[Trail], account_id: str
) -> dict[str, dict[str, LogGroup]]:
    """The log groups these trails deliver to, by region then name."""
    found: dict[str, dict[str, LogGroup]] = {}
    seen: set[tuple[str, str]] = set()
    for trail in trails:
        arn = trail.cloud_watch_logs_log_group_arn
        parsed = _parse_log_group_arn(arn) if arn else None
        if arn is None or parsed is None:
            continue
        region, owner, name = parsed
        if (region, name) in seen:
            continue
        seen.add((region, name))
        if owner != account_id:
            recorder.add(
                _gap(
                    "logs",
                    "DescribeMetricFilters",
                    region,
                    "CrossAccountResource",
                    f"the log group belongs to account {owner}",
                    resource=arn,
                )
            )
            continue
        group = _read_log_group(factory, recorder, region, name, arn)
        if group is not None:
            found.setdefault(region, {})[name] = group
    return found


def _read_log_group(
    factory: ClientFactory, recorder: GapRecorder, region: str, name: str, arn: str
) -> LogGroup | None:
    logs = factory.client("logs", region)
    listed = recorder.attempt(
        "logs",
        "DescribeLogGroups",
        region,
        lambda: paginate(logs, "DescribeLogGroups", "logGroups", logGroupNamePrefix=name),
        resource=arn,
    )
    if listed.ok:
        match = next((g for g in listed.value or [] if g.get("logGroupName") == name), None)
        if match is None:
            logger.info("log group %s in %s does not exist", name, region)
            return None
        data: dict[str, Any] = clean(match)
    else:
        data = {"logGroupName": name, "arn": arn}
    data["metricFilters"] = recorder.call(
        "logs",
        "DescribeMetricFilters",
        region,
        lambda: clean(paginate(logs, "DescribeMetricFilters", "metricFilters", logGroupName=name)),
        resource=arn,
    )
    return recorder.call(
        "logs", "DescribeLogGroups", region, lambda: LogGroup.model_validate(data), resource=arn
    )


def _alarms(factory: ClientFactory, recorder: GapRecorder, region: str) -> list[Alarm] | None:
    cloudwatch = factory.client("cloudwatch", region)
    return recorder.call(
        "cloudwatch",
        "DescribeAlarms",
        region,
        lambda: [
            Alarm.model_validate(clean(a))
            for a in paginate(cloudwatch, "DescribeAlarms", "MetricAlarms")
        ],
    )


def _event_rules(
    factory: ClientFactory, recorder: GapRecorder, region: str
) -> list[EventRule] | None:
    events = factory.client("events", region)
    listed = recorder.call(
        "events", "ListRules", region, lambda: paginate(events, "ListRules", "Rules")
    )
    if listed is None:
        return None
    rules = []
    for raw in listed:
        data = clean(raw)
        arn = data.get("Arn")
        data["Targets"] = recorder.call(
            "events",
            "ListTargetsByRule",
            region,
            partial(_rule_targets, events, data.get("Name", "")),
            resource=arn,
        )
        data["region"] = region
        rule = recorder.call(
            "events", "ListRules", region, partial(EventRule.model_validate, data), resource=arn
        )
        if rule is not None:
            rules.append(rule)
    return rules


def _rule_targets(events: Any, name: str) -> list[dict[str, Any]]:
    return [clean(t) for t in paginate(events, "ListTargetsByRule", "Targets", Rule=name)]


def _topics(
    factory: ClientFactory,
    recorder: GapRecorder,
    region: str,
    alarms: list[Alarm] | None,
    rules: list[EventRule] | None,
) -> list[SnsTopic] | None:
    sns = factory.client("sns", region)
    listed = recorder.call(
        "sns", "ListTopics", region, lambda: paginate(sns, "ListTopics", "Topics")
    )
    if listed is None:
        return None
    arns = unique([t["TopicArn"] for t in listed if t.get("TopicArn")])
    # topics the alarms and rules of this region notify but ListTopics does not show
    # (another account's topic): read them too when their policy lets us.
    referenced = []
    for alarm in alarms or []:
        referenced += alarm.alarm_actions + alarm.ok_actions + alarm.insufficient_data_actions
    for rule in rules or []:
        referenced += [t.arn for t in rule.targets or []]
    prefix = f":sns:{region}:"
    extra = [a for a in unique(referenced) if prefix in a and a not in arns]
    topics = [_read_topic(recorder, sns, region, arn, listed=True) for arn in arns]
    topics += [_read_topic(recorder, sns, region, arn, listed=False) for arn in extra]
    return [t for t in topics if t is not None]


def _read_topic(
    recorder: GapRecorder, sns: Any, region: str, arn: str, *, listed: bool
) -> SnsTopic | None:
    attributes = recorder.attempt(
        "sns",
        "GetTopicAttributes",
        region,
        lambda: dict(sns.get_topic_attributes(TopicArn=arn)["Attributes"]),
        resource=arn,
        quiet=() if listed else {"NotFound", "NotFoundException"},
    )
    if not listed and attributes.error_code in {"NotFound", "NotFoundException"}:
        return None  # the alarm or rule notifies a topic that does not exist
    subscriptions = recorder.call(
        "sns",
        "ListSubscriptionsByTopic",
        region,
        lambda: [
            SnsSubscription.model_validate(clean(s))
            for s in paginate(sns, "ListSubscriptionsByTopic", "Subscriptions", TopicArn=arn)
        ],
        resource=arn,
    )
    attrs = attributes.value
    return SnsTopic(
        topic_arn=arn,
        region=region,
        policy=attrs.get("Policy") if attrs else None,
        kms_master_key_id=(attrs.get("KmsMasterKeyId") or None) if attrs else None,
        attributes=attrs,
        subscriptions=subscriptions,
    )


def _config(
    factory: ClientFactory, recorder: GapRecorder, region: str, result: _RegionResult
) -> None:
    config = factory.client("config", region)
    recorders = recorder.call(
        "config",
        "DescribeConfigurationRecorders",
        region,
        lambda: config.describe_configuration_recorders().get("ConfigurationRecorders", []),
    )
    if recorders is not None:
        statuses: dict[str, dict[str, Any]] = {}
        if recorders:
            found = recorder.call(
                "config",
                "DescribeConfigurationRecorderStatus",
                region,
                lambda: config.describe_configuration_recorder_status().get(
                    "ConfigurationRecordersStatus", []
                ),
            )
            statuses = {s["name"]: clean(s) for s in found or [] if s.get("name")}

        def build_recorders() -> list[ConfigRecorder]:
            out = []
            for raw in recorders:
                data = clean(raw)
                status = dict(statuses.get(data.get("name", ""), {}))
                status.pop("name", None)
                out.append(ConfigRecorder.model_validate({**data, **status, "region": region}))
            return out

        result.config_recorders = recorder.call(
            "config", "DescribeConfigurationRecorders", region, build_recorders
        )

    rules = recorder.call(
        "config",
        "DescribeConfigRules",
        region,
        lambda: paginate(config, "DescribeConfigRules", "ConfigRules"),
    )
    if rules is not None:
        compliance: dict[str, str | None] = {}
        if rules:
            found = recorder.call(
                "config",
                "DescribeComplianceByConfigRule",
                region,
                lambda: paginate(
                    config, "DescribeComplianceByConfigRule", "ComplianceByConfigRules"
                ),
            )
            compliance = {
                c["ConfigRuleName"]: (c.get("Compliance") or {}).get("ComplianceType")
                for c in found or []
                if c.get("ConfigRuleName")
            }

        def build_rules() -> list[ConfigRule]:
            out = []
            for raw in rules:
                data = clean(raw)
                source = data.get("Source") or {}
                data.update(
                    region=region,
                    SourceOwner=source.get("Owner"),
                    SourceIdentifier=source.get("SourceIdentifier"),
                    Compliance=compliance.get(data.get("ConfigRuleName", "")),
                )
                out.append(ConfigRule.model_validate(data))
            return out

        result.config_rules = recorder.call("config", "DescribeConfigRules", region, build_rules)

    channels = recorder.call(
        "config",
        "DescribeDeliveryChannels",
        region,
        lambda: config.describe_delivery_channels().get("DeliveryChannels", []),
    )
    if channels is not None:
        result.delivery_channels = recorder.call(
            "config",
            "DescribeDeliveryChannels",
            region,
            lambda: [
                DeliveryChannel.model_validate({**clean(c), "region": region}) for c in channels
            ],
        )


def _leftover_trails(
    pool: ThreadPoolExecutor,
    factory: ClientFactory,
    recorder: GapRecorder,
    results: dict[str, _RegionResult],
    account_id: str,
) -> tuple[list[Trail], dict[str, dict[str, LogGroup]]]:
    """Trails seen in some region whose home region was not read (not in ``regions``, or
    its DescribeTrails failed): read them now, in their home region."""
    handled = set().union(*(r.handled for r in results.values())) if results else set()
    pending: dict[str, dict[str, Any]] = {}
    for result in results.values():
        for arn, desc in result.descriptions.items():
            if arn not in handled:
                pending.setdefault(arn, desc)
    if not pending:
        return [], {}
    logger.info("reading %d trails in their home regions", len(pending))
    futures = [pool.submit(_read_trail, factory, recorder, d) for d in pending.values()]
    trails = [t for t in (f.result() for f in futures) if t is not None]
    return trails, _trail_log_groups(factory, recorder, trails, account_id)


def _gap(
    service: str,
    operation: str,
    region: str | None,
    code: str,
    message: str,
    *,
    resource: str | None = None,
) -> Gap:
    return Gap(
        service=service,
        operation=operation,
        region=region,
        error_code=code,
        message=message,
        resource=resource,
    )

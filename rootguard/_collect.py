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
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import boto3
from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic.alias_generators import to_pascal

from rootguard._aws import (
    NOT_ENABLED_CODES,
    ClientFactory,
    GapRecorder,
    MalformedResponse,
    caller_identity,
    clean,
    discover_regions,
    expect,
    expect_items,
    paginate,
    requested_regions,
    session_credentials,
    unique,
)
from rootguard._errors import CollectError, count, name_list
from rootguard._models import UtcDatetime
from rootguard._snapshot import (
    AccountSnapshot,
    Alarm,
    ConfigRecorder,
    ConfigRule,
    CredentialReportData,
    DeliveryChannel,
    EventRule,
    EventTarget,
    Gap,
    LogGroup,
    MetricFilter,
    OrganizationInfo,
    RegionSnapshot,
    SnsSubscription,
    SnsTopic,
    Trail,
    VirtualMfaDevice,
)
from rootguard._time import utc_now

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sns import SNSClient

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
        ArgumentError: ``regions`` is a bare string (pass a list) or holds a non-string;
            ``max_workers`` is not a whole number of at least 1.

    Examples:
        >>> import rootguard
        >>> snapshot = rootguard.collect(regions=["us-east-1", "eu-west-1"])
        >>> [gap.describe() for gap in snapshot.gaps]
        []
    """
    wanted = name_list(regions, "regions", items="region names")  # before any call
    count(max_workers, "max_workers")
    sess, _ = session_credentials(session)
    return collect_account(sess, wanted, progress=progress, max_workers=max_workers)


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
    collected_at = utc_now()
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

        trails, extra_groups, leftovers_complete = _leftover_trails(
            pool, factory, recorder, results, account_id
        )
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
    # The account's trails are known when at least one enabled region listed them (every
    # multi-region and organization trail shows up in every region) and every trail
    # listed could be read; else unknown (None), never "no trail".
    trails_known = (
        leftovers_complete
        and any(r.trail_arns is not None for r in results.values())
        and all(r.trails_complete for r in results.values())
    )
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
        trails=(
            sorted({t.trail_arn: t for t in trails}.values(), key=lambda t: t.trail_arn)
            if trails_known
            else None
        ),
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
    iam: IAMClient,
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
            answer = got.value
            return recorder.call("iam", "GetCredentialReport", None, partial(_report_data, answer))
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


def _report_data(answer: Any) -> CredentialReportData:
    """The credential report of a GetCredentialReport answer (validated)."""
    content = expect(answer, "Content", bytes | str)  # type: ignore[arg-type]
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    if not text.strip():
        raise MalformedResponse("the credential report is empty")
    generated = answer.get("GeneratedTime")
    if generated is not None and not isinstance(generated, datetime):
        raise MalformedResponse(f"GeneratedTime is a {type(generated).__name__}")
    return CredentialReportData(content=text, generated_at=generated)


_SUMMARY = TypeAdapter(dict[str, int])


def _account_summary(iam: IAMClient) -> dict[str, int]:
    summary = expect(iam.get_account_summary(), "SummaryMap", dict)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in summary.values()):
        raise MalformedResponse("SummaryMap has a value that is not a count")
    return _SUMMARY.validate_python(summary)


def _iam_account(
    iam: IAMClient, recorder: GapRecorder
) -> tuple[dict[str, int] | None, list[VirtualMfaDevice] | None]:
    summary = recorder.call("iam", "GetAccountSummary", None, lambda: _account_summary(iam))

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
        lambda: _described_organization(org.describe_organization(), account_id),
        quiet={"AWSOrganizationsNotInUseException"},
    )
    info: dict[str, Any] = {}
    if described.ok and described.value is not None:
        info.update(described.value)
    elif described.error_code == "AWSOrganizationsNotInUseException":
        info.update(in_organization=False, is_management_account=False)
        info["root_features_error"] = "AWSOrganizationsNotInUseException"
        return OrganizationInfo(**info)

    iam = factory.client("iam", home)
    features = recorder.attempt(
        "iam",
        "ListOrganizationsFeatures",
        None,
        lambda: _organization_features(iam.list_organizations_features()),
        quiet=_FEATURES_NOT_AVAILABLE,
    )
    if features.ok and features.value is not None:
        enabled, organization_id = features.value
        info["root_features"] = enabled
        if organization_id is not None:
            info.setdefault("organization_id", organization_id)
    else:
        info["root_features_error"] = features.error_code
        if not described.ok and features.error_code not in _FEATURES_NOT_AVAILABLE:
            return None  # neither call worked: not collected (see gaps)
    return OrganizationInfo(**info)


def _described_organization(answer: Any, account_id: str) -> dict[str, Any]:
    """The OrganizationInfo fields of a DescribeOrganization answer (validated)."""
    organization = expect(answer, "Organization", dict)
    management = organization.get("MasterAccountId")
    identifier = organization.get("Id")
    for key, value in (("MasterAccountId", management), ("Id", identifier)):
        if value is not None and not isinstance(value, str):
            raise MalformedResponse(f"Organization.{key} is a {type(value).__name__}")
    if not management:
        raise MalformedResponse("Organization.MasterAccountId is missing")
    return {
        "organization_id": identifier,
        "management_account_id": management,
        "is_management_account": management == account_id,
        "in_organization": True,
    }


def _organization_features(answer: Any) -> tuple[list[str], str | None]:
    """(EnabledFeatures, OrganizationId) of a ListOrganizationsFeatures answer."""
    enabled = expect(answer, "EnabledFeatures", list)
    if not all(isinstance(f, str) for f in enabled):
        raise MalformedResponse("EnabledFeatures holds something that is not a name")
    organization_id = answer.get("OrganizationId")
    if organization_id is not None and not isinstance(organization_id, str):
        raise MalformedResponse(f"OrganizationId is a {type(organization_id).__name__}")
    return list(enabled), organization_id


# --------------------------------------------------------------------------- regional


@dataclass
class _RegionResult:
    region: str
    enabled: bool = True
    trail_arns: list[str] | None = None
    descriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    handled: set[str] = field(default_factory=set)
    trails: list[Trail] = field(default_factory=list)
    trails_complete: bool = True
    """False when a trail this region described could not be built (see gaps)."""
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
        lambda: _trail_descriptions(cloudtrail.describe_trails(includeShadowTrails=True)),
    )
    if described.error_code in NOT_ENABLED_CODES:
        logger.info("region %s is not enabled (%s); skipped", region, described.error_code)
        result.enabled = False
        return result
    if described.ok and described.value is not None:
        descriptions = described.value
        result.trail_arns = unique([d["TrailARN"] for d in descriptions])
        for desc in descriptions:
            result.descriptions.setdefault(desc["TrailARN"], desc)
        for arn, desc in result.descriptions.items():
            if desc["HomeRegion"] == region:
                result.handled.add(arn)
                trail = _read_trail(factory, recorder, desc)
                if trail is None:
                    result.trails_complete = False
                else:
                    result.trails.append(trail)
        result.log_groups = _trail_log_groups(factory, recorder, result.trails, account_id)
        result.log_groups.setdefault(region, {})

    result.alarms = _alarms(factory, recorder, region)
    result.event_rules = _event_rules(factory, recorder, region)
    result.topics = _topics(factory, recorder, region, result.alarms, result.event_rules)
    _config(factory, recorder, region, result)
    return result


def _trail_descriptions(answer: Any) -> list[dict[str, Any]]:
    """The trails of a DescribeTrails answer, validated: each has a trail ARN and a home
    region (from the ARN when AWS leaves it out) and builds a :class:`Trail`."""
    found = []
    for index, raw in enumerate(expect_items(answer, "trailList")):
        desc = clean(raw)
        arn = desc.get("TrailARN")
        if not isinstance(arn, str) or arn.count(":") < 5:
            raise MalformedResponse(f"trailList[{index}] has no trail ARN")
        desc.setdefault("HomeRegion", arn.split(":")[3])
        if not isinstance(desc["HomeRegion"], str) or not desc["HomeRegion"]:
            raise MalformedResponse(f"trailList[{index}] has no home region")
        Trail.model_validate(desc)  # a description that cannot be a Trail is no answer
        found.append(desc)
    return found


class _TrailStatus(BaseModel):
    """The GetTrailStatus fields a Trail keeps (validated: a wrong type is no answer)."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_pascal, frozen=True)

    is_logging: bool
    latest_delivery_error: str | None = None
    latest_cloud_watch_logs_delivery_time: UtcDatetime | None = None
    latest_cloud_watch_logs_delivery_error: str | None = None


def _trail_status(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise MalformedResponse("the answer is not an object")
    if not isinstance(answer.get("IsLogging"), bool):
        raise MalformedResponse("IsLogging is missing or not a boolean")
    status = _TrailStatus.model_validate(answer)
    return {**answer, **status.model_dump(by_alias=True, exclude_none=True)}


def _event_selectors(answer: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(EventSelectors, AdvancedEventSelectors) of a GetEventSelectors answer: AWS
    answers with one of the two; an answer with neither (or another type) is no answer."""
    if not isinstance(answer, dict):
        raise MalformedResponse("the answer is not an object")
    present = [k for k in ("EventSelectors", "AdvancedEventSelectors") if answer.get(k) is not None]
    if not present:
        raise MalformedResponse("the answer has neither EventSelectors nor AdvancedEventSelectors")
    basic = expect_items(answer, "EventSelectors") if "EventSelectors" in present else []
    advanced = (
        expect_items(answer, "AdvancedEventSelectors")
        if "AdvancedEventSelectors" in present
        else []
    )
    return clean(basic), clean(advanced)


def _trail_tags(answer_items: list[dict[str, Any]]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for entry in answer_items:
        for tag in expect_items(entry, "TagsList") if "TagsList" in entry else []:
            key, value = tag.get("Key"), tag.get("Value", "")
            if not isinstance(key, str) or not isinstance(value, str):
                raise MalformedResponse("a tag has a key or value that is not text")
            tags[key] = value
    return tags


def _read_trail(
    factory: ClientFactory, recorder: GapRecorder, description: dict[str, Any]
) -> Trail | None:
    """One trail, with status, selectors and tags read in its home region.

    A part that cannot be read leaves its fields None (with a gap); the trail itself is
    still there. None only when the description cannot make a Trail at all."""
    arn = description["TrailARN"]
    home = description["HomeRegion"]
    cloudtrail = factory.client("cloudtrail", home)
    data = dict(description)
    status = recorder.call(
        "cloudtrail",
        "GetTrailStatus",
        home,
        lambda: _trail_status(clean(cloudtrail.get_trail_status(Name=arn))),
        resource=arn,
    )
    if status is not None:
        data.update(status)
    selectors = recorder.call(
        "cloudtrail",
        "GetEventSelectors",
        home,
        lambda: _event_selectors(cloudtrail.get_event_selectors(TrailName=arn)),
        resource=arn,
    )
    if selectors is not None:
        data["EventSelectors"], data["AdvancedEventSelectors"] = selectors
    tags = recorder.call(
        "cloudtrail",
        "ListTags",
        home,
        lambda: _trail_tags(
            paginate(cloudtrail, "ListTags", "ResourceTagList", ResourceIdList=[arn])
        ),
        resource=arn,
    )
    if tags is not None:
        data["Tags"] = tags
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
    """A trail's log group with its metric filters; None when it does not exist.

    When DescribeLogGroups fails, the group is kept with its name and ARN only, and the
    gap (``resource`` = the ARN) says that its settings are unknown."""
    logs = factory.client("logs", region)

    def described() -> dict[str, Any] | None:
        listed = paginate(logs, "DescribeLogGroups", "logGroups", logGroupNamePrefix=name)
        match = next((g for g in listed if g.get("logGroupName") == name), None)
        if match is None:
            return None
        data: dict[str, Any] = clean(match)
        LogGroup.model_validate({**data, "metricFilters": None})
        return data

    found = recorder.attempt("logs", "DescribeLogGroups", region, described, resource=arn)
    if found.ok and found.value is None:
        logger.info("log group %s in %s does not exist", name, region)
        return None
    data = found.value if found.value is not None else {"logGroupName": name, "arn": arn}
    filters = recorder.call(
        "logs",
        "DescribeMetricFilters",
        region,
        lambda: [
            MetricFilter.model_validate(clean(f))
            for f in paginate(logs, "DescribeMetricFilters", "metricFilters", logGroupName=name)
        ],
        resource=arn,
    )
    group = LogGroup.model_validate({**data, "metricFilters": None})
    return group.model_copy(update={"metric_filters": filters})


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
    """The region's rules on the default bus with their targets. A rule that cannot be
    read makes the whole list unknown (None): a list missing a rule is not the truth."""
    events = factory.client("events", region)

    def listed_rules() -> list[dict[str, Any]]:
        rules = [clean(raw) for raw in paginate(events, "ListRules", "Rules")]
        for rule in rules:
            EventRule.model_validate({**rule, "region": region, "Targets": None})
        return rules

    listed = recorder.call("events", "ListRules", region, listed_rules)
    if listed is None:
        return None
    rules = []
    for data in listed:
        targets = recorder.call(
            "events",
            "ListTargetsByRule",
            region,
            partial(_rule_targets, events, data.get("Name", "")),
            resource=data.get("Arn"),
        )
        rule = EventRule.model_validate({**data, "region": region, "Targets": None})
        rules.append(rule.model_copy(update={"targets": targets}))
    return rules


def _rule_targets(events: EventBridgeClient, name: str) -> list[EventTarget]:
    return [
        EventTarget.model_validate(clean(t))
        for t in paginate(events, "ListTargetsByRule", "Targets", Rule=name)
    ]


def _topics(
    factory: ClientFactory,
    recorder: GapRecorder,
    region: str,
    alarms: list[Alarm] | None,
    rules: list[EventRule] | None,
) -> list[SnsTopic] | None:
    sns = factory.client("sns", region)
    listed = recorder.call("sns", "ListTopics", region, partial(_listed_topics, sns))
    if listed is None:
        return None
    arns = unique([t["TopicArn"] for t in listed])
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


def _listed_topics(sns: SNSClient) -> list[dict[str, Any]]:
    listed = paginate(sns, "ListTopics", "Topics")
    if not all(isinstance(t.get("TopicArn"), str) and t["TopicArn"] for t in listed):
        raise MalformedResponse("a topic without an ARN")
    return listed


_ATTRIBUTES = TypeAdapter(dict[str, str])


def _topic_attributes(answer: Any) -> dict[str, str]:
    return _ATTRIBUTES.validate_python(expect(answer, "Attributes", dict), strict=True)


def _read_topic(
    recorder: GapRecorder, sns: SNSClient, region: str, arn: str, *, listed: bool
) -> SnsTopic | None:
    attributes = recorder.attempt(
        "sns",
        "GetTopicAttributes",
        region,
        lambda: _topic_attributes(sns.get_topic_attributes(TopicArn=arn)),
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

    def recorders() -> list[ConfigRecorder]:
        found = expect_items(config.describe_configuration_recorders(), "ConfigurationRecorders")
        statuses: dict[str, dict[str, Any]] = {}
        if found:
            statuses = (
                recorder.call(
                    "config",
                    "DescribeConfigurationRecorderStatus",
                    region,
                    lambda: _recorder_statuses(config),
                )
                or {}
            )
        out = []
        for raw in found:
            data = clean(raw)
            status = dict(statuses.get(data.get("name", ""), {}))
            status.pop("name", None)
            out.append(ConfigRecorder.model_validate({**data, **status, "region": region}))
        return out

    result.config_recorders = recorder.call(
        "config", "DescribeConfigurationRecorders", region, recorders
    )

    def rules() -> list[ConfigRule]:
        found = paginate(config, "DescribeConfigRules", "ConfigRules")
        compliance: dict[str, str | None] = {}
        if found:
            compliance = (
                recorder.call(
                    "config",
                    "DescribeComplianceByConfigRule",
                    region,
                    lambda: _rule_compliance(config),
                )
                or {}
            )
        out = []
        for raw in found:
            data = clean(raw)
            source = data.get("Source") or {}
            if not isinstance(source, dict):
                raise MalformedResponse("a rule's Source is not an object")
            data.update(
                region=region,
                SourceOwner=source.get("Owner"),
                SourceIdentifier=source.get("SourceIdentifier"),
                Compliance=compliance.get(data.get("ConfigRuleName", "")),
            )
            out.append(ConfigRule.model_validate(data))
        return out

    result.config_rules = recorder.call("config", "DescribeConfigRules", region, rules)
    result.delivery_channels = recorder.call(
        "config",
        "DescribeDeliveryChannels",
        region,
        lambda: [
            DeliveryChannel.model_validate({**clean(c), "region": region})
            for c in expect_items(config.describe_delivery_channels(), "DeliveryChannels")
        ],
    )


def _recorder_statuses(config: ConfigServiceClient) -> dict[str, dict[str, Any]]:
    """Recorder statuses by name. A status that cannot be read leaves the recorder's
    ``recording`` unknown (the status call's gap), not the recorder itself."""
    found = expect_items(
        config.describe_configuration_recorder_status(), "ConfigurationRecordersStatus"
    )
    statuses = {}
    for raw in found:
        status = clean(raw)
        recording = status.get("recording")
        if not isinstance(status.get("name"), str) or (
            recording is not None and not isinstance(recording, bool)
        ):
            raise MalformedResponse("a recorder status without a name or a boolean recording")
        statuses[status["name"]] = status
    return statuses


def _rule_compliance(config: ConfigServiceClient) -> dict[str, str | None]:
    found = paginate(config, "DescribeComplianceByConfigRule", "ComplianceByConfigRules")
    compliance: dict[str, str | None] = {}
    for item in found:
        name = item.get("ConfigRuleName")
        verdict = (item.get("Compliance") or {}).get("ComplianceType")
        if not isinstance(name, str) or (verdict is not None and not isinstance(verdict, str)):
            raise MalformedResponse("a compliance entry without a rule name or a verdict")
        compliance[name] = verdict
    return compliance


def _leftover_trails(
    pool: ThreadPoolExecutor,
    factory: ClientFactory,
    recorder: GapRecorder,
    results: dict[str, _RegionResult],
    account_id: str,
) -> tuple[list[Trail], dict[str, dict[str, LogGroup]], bool]:
    """Trails seen in some region whose home region was not read (not in ``regions``, or
    its DescribeTrails failed): read them now, in their home region. The third value is
    False when one of them could not be built."""
    handled = set().union(*(r.handled for r in results.values())) if results else set()
    pending: dict[str, dict[str, Any]] = {}
    for result in results.values():
        for arn, desc in result.descriptions.items():
            if arn not in handled:
                pending.setdefault(arn, desc)
    if not pending:
        return [], {}, True
    logger.info("reading %d trails in their home regions", len(pending))
    futures = [pool.submit(_read_trail, factory, recorder, d) for d in pending.values()]
    read = [f.result() for f in futures]
    trails = [t for t in read if t is not None]
    return trails, _trail_log_groups(factory, recorder, trails, account_id), None not in read


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

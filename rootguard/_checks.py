"""Posture evaluation: an :class:`AccountSnapshot` in, a :class:`Report` of findings out (pure).

Every check of ``docs/checks.md`` is judged from the snapshot alone — no AWS call, no clock
(``now`` is a parameter, by default the snapshot's ``collected_at``). Data missing from the
snapshot (``None``, with a :class:`~rootguard._snapshot.Gap` saying which call failed) makes
the affected check ``UNKNOWN`` with the failed call named in the detail: never a guessed
PASS or FAIL.

Patterns are judged by evaluating them (``filter_pattern_matches`` /
``event_pattern_matches``) against the canonical events of :mod:`rootguard._canonical`,
never by comparing their text. The judgements the planner shares (selectors, patterns,
alarms, rules, Config recording) live in :mod:`rootguard._judge`.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from rootguard import _canonical
from rootguard._credential_report import (
    CredentialReport,
    CredentialReportRow,
    parse_credential_report,
    root_activity_from_credential_report,
)
from rootguard._errors import ParseError
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
from rootguard._judge import (
    PatternVerdict,
    active_managed_rules,
    alarm_fires,
    alarm_watches_metric,
    arn_part,
    as_strings,
    is_cis_pattern,
    judge_filter_pattern,
    judge_selectors,
    metric_dimensions,
    parse_log_group_arn,
    records_iam,
    rule_accepts_custom_events,
    rule_enabled,
    rule_matches,
    topic_encryption,
)
from rootguard._kinds import check_kind
from rootguard._models import RootActivities, RootActivity, Severity, StrEnum, UtcDatetime
from rootguard._snapshot import (
    AccountSnapshot,
    ConfigRecorder,
    EventRule,
    Gap,
    LogGroup,
    MetricTransformation,
    RegionSnapshot,
    SnsTopic,
    Trail,
)
from rootguard._suppress import ExpectedActivity, Suppression, expired, mark_expected

if TYPE_CHECKING:
    from rootguard._outputs import Record

__all__ = [
    "ACCOUNT_CHECK_IDS",
    "CHECKS",
    "CHECK_IDS",
    "ORGANIZATION_CHECK_IDS",
    "CheckInfo",
    "Finding",
    "Policy",
    "Report",
    "Status",
    "SuppressionNote",
    "evaluate",
]

logger = logging.getLogger(__name__)

_UTC = timezone.utc


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


def _cis(version: str, requirement: str) -> str:
    return f"CIS AWS Foundations Benchmark v{version}/{requirement}"


@dataclass(frozen=True)
class CheckInfo:
    """What a check is: its id, title, default severity, control mappings, remediation."""

    check_id: str
    title: str
    severity: Severity
    controls: tuple[str, ...]
    """CIS requirements in Security Hub's ``RelatedRequirements`` spelling
    (``CIS AWS Foundations Benchmark v1.4.0/1.5``) and Security Hub control ids
    (``IAM.9``)."""
    remediation: str
    scope: str = "account"
    """``account``: judged by :func:`evaluate` on one account's snapshot;
    ``organization``: judged from an organization-wide read
    (:func:`rootguard.audit_member_roots`), never by :func:`evaluate`."""


_CHECK_LIST: tuple[CheckInfo, ...] = (
    CheckInfo(
        "root.mfa_enabled",
        "Root user has MFA enabled",
        Severity.CRITICAL,
        (
            "IAM.9",
            _cis("1.2.0", "1.13"),
            _cis("1.4.0", "1.5"),
            _cis("3.0.0", "1.5"),
            _cis("5.0.0", "1.4"),
        ),
        "Sign in as root and assign an MFA device (IAM console > Security credentials > "
        "Assign MFA device), or remove root credentials centrally through AWS "
        "Organizations centralized root access.",
    ),
    CheckInfo(
        "root.hardware_mfa",
        "Root user uses hardware MFA, not a virtual device",
        Severity.HIGH,
        (
            "IAM.6",
            _cis("1.2.0", "1.14"),
            _cis("1.4.0", "1.6"),
            _cis("3.0.0", "1.6"),
            _cis("5.0.0", "1.5"),
        ),
        "Replace the root user's virtual MFA device with a hardware MFA device (FIDO "
        "security key or hardware TOTP token), then deactivate the virtual device.",
    ),
    CheckInfo(
        "root.no_access_keys",
        "Root user has no active access key",
        Severity.CRITICAL,
        (
            "IAM.4",
            _cis("1.2.0", "1.12"),
            _cis("1.4.0", "1.4"),
            _cis("3.0.0", "1.4"),
            _cis("5.0.0", "1.3"),
        ),
        "Sign in as root, open Security credentials and delete the root access keys "
        "(or remove root credentials centrally with AWS Organizations). Move automation "
        "to IAM roles.",
    ),
    CheckInfo(
        "root.no_signing_certificates",
        "Root user has no active X.509 signing certificate",
        Severity.HIGH,
        (),
        "Sign in as root, open Security credentials and delete the root X.509 signing "
        "certificates (or remove root credentials centrally with AWS Organizations).",
    ),
    CheckInfo(
        "root.recent_usage",
        "Root user credentials were not used recently",
        Severity.HIGH,
        (_cis("1.2.0", "1.1"), _cis("1.4.0", "1.7"), _cis("3.0.0", "1.7")),
        "Investigate each recent root use (CloudTrail: userIdentity.type = Root). Do daily "
        "work with IAM roles; keep root for the few tasks that require it.",
    ),
    CheckInfo(
        "root.centralized_access",
        "Centralized root access (RootCredentialsManagement) is enabled for the organization",
        Severity.MEDIUM,
        (),
        "In the management account: IAM > Root access management > Enable "
        "(iam:EnableOrganizationsRootCredentialsManagement), then delete member-account "
        "root credentials.",
    ),
    CheckInfo(
        "cloudtrail.multi_region",
        "A multi-region trail is logging all management events, read and write",
        Severity.HIGH,
        ("CloudTrail.1", _cis("1.2.0", "2.1"), _cis("1.4.0", "3.1"), _cis("3.0.0", "3.1")),
        "Create (or fix) a multi-region trail that is logging and records all management "
        "events (ReadWriteType All, no excluded event sources).",
    ),
    CheckInfo(
        "cloudtrail.log_validation",
        "The multi-region trail validates its log files",
        Severity.LOW,
        ("CloudTrail.4", _cis("1.2.0", "2.2"), _cis("1.4.0", "3.2"), _cis("3.0.0", "3.2")),
        "Enable log file validation on the trail (cloudtrail:UpdateTrail "
        "EnableLogFileValidation=true).",
    ),
    CheckInfo(
        "cloudtrail.cloudwatch_logs",
        "The multi-region trail delivers to CloudWatch Logs, recently",
        Severity.MEDIUM,
        ("CloudTrail.5", _cis("1.2.0", "2.4"), _cis("1.4.0", "3.4")),
        "Configure the trail's CloudWatch Logs log group and delivery role "
        "(cloudtrail:UpdateTrail CloudWatchLogsLogGroupArn / CloudWatchLogsRoleArn) and "
        "check the role can write to the group.",
    ),
    CheckInfo(
        "monitoring.root_metric_alarm",
        "Root usage reaches a person: trail > log group > metric filter > alarm > SNS",
        Severity.HIGH,
        ("CloudWatch.1", _cis("1.2.0", "3.3"), _cis("1.4.0", "4.3"), _cis("3.0.0", "4.3")),
        "On the trail's log group, create a metric filter with the CIS pattern "
        f"{CIS_ROOT_FILTER_PATTERN}, an alarm on its metric (Sum >= 1 over one period) "
        "with an SNS alarm action, and confirm a subscription to that topic.",
    ),
    CheckInfo(
        "monitoring.root_eventbridge",
        "An EventBridge rule in the region alerts on root API calls and sign-ins",
        Severity.MEDIUM,
        (),
        "In the region, create an EventBridge rule on the default bus with pattern "
        '{"source": [{"prefix": "aws."}], "detail-type": ["AWS API Call via CloudTrail", '
        '"AWS Console Action via CloudTrail", "AWS Console Sign In via CloudTrail"], '
        '"detail": {"userIdentity": {"type": ["Root"]}}} targeting an SNS topic with a '
        "confirmed subscription (or forward to the home region's default bus, which has "
        "such a rule). The source prefix keeps custom events (PutEvents cannot use aws.) "
        "from raising false root alerts.",
    ),
    CheckInfo(
        "config.root_rules",
        "AWS Config is recording and evaluates the root MFA and root access key rules",
        Severity.LOW,
        ("Config.1", _cis("1.2.0", "2.5"), _cis("1.4.0", "3.5"), _cis("3.0.0", "3.3")),
        "Start a configuration recorder that records IAM (global) resources and add the "
        "AWS managed rules ROOT_ACCOUNT_MFA_ENABLED and IAM_ROOT_ACCESS_KEY_CHECK in its "
        "region.",
    ),
    CheckInfo(
        "monitoring.alert_topic_secure",
        "The root-alert SNS topic grants no one outside the account",
        Severity.HIGH,
        (),
        "Restrict the topic policy: allow publishing only to cloudwatch.amazonaws.com and "
        "events.amazonaws.com (with aws:SourceAccount = this account) and to principals of "
        "this account; remove statements granting other accounts or '*'.",
    ),
    CheckInfo(
        "organization.member_root_no_password",
        "The member account's root user has no password (centralized root access)",
        Severity.HIGH,
        (),
        "From the management account (or the IAM delegated administrator): delete the "
        "member's root credentials with sts:AssumeRoot and the task policy "
        "IAMDeleteRootUserCredentials (IAM > Root access management > Take privileged "
        "action > Delete root user credentials).",
        "organization",
    ),
    CheckInfo(
        "organization.member_root_no_access_keys",
        "The member account's root user has no access key (centralized root access)",
        Severity.CRITICAL,
        (),
        "Move whatever uses the key to an IAM role, then delete the member's root "
        "credentials with sts:AssumeRoot and the task policy IAMDeleteRootUserCredentials.",
        "organization",
    ),
    CheckInfo(
        "organization.member_root_no_signing_certificates",
        "The member account's root user has no X.509 signing certificate (centralized root access)",
        Severity.HIGH,
        (),
        "Delete the member's root credentials with sts:AssumeRoot and the task policy "
        "IAMDeleteRootUserCredentials (signing certificates are deleted with them).",
        "organization",
    ),
    CheckInfo(
        "organization.root_sessions",
        "Privileged root actions in member accounts (RootSessions) are enabled",
        Severity.LOW,
        (),
        "In the management account: IAM > Root access management > enable Privileged "
        "root actions in member accounts (iam:EnableOrganizationsRootSessions), so that "
        "root-only tasks in members need no root credentials.",
        "organization",
    ),
    CheckInfo(
        "organization.deny_root_scp",
        "A service control policy denies the member accounts' root users everything",
        Severity.MEDIUM,
        (),
        'Create an SCP that denies every action ("Action": "*", "Resource": "*") '
        "when aws:PrincipalArn is like arn:aws:iam::*:root — excepting centralized root "
        'sessions with "Null": {"aws:AssumedRoot": "true"} — and attach it to the '
        'organization root (AWS Control Tower\'s control "Disallow actions as a root user" '
        "is one).",
        "organization",
    ),
    CheckInfo(
        "organization.security_contact",
        "The account has a security alternate contact",
        Severity.MEDIUM,
        ("Account.1", _cis("1.4.0", "1.2"), _cis("3.0.0", "1.2")),
        "Set the SECURITY alternate contact (account:PutAlternateContact, with AccountId "
        "for members from the management account once trusted access for AWS Account "
        "Management is enabled).",
        "organization",
    ),
)

CHECKS: Mapping[str, CheckInfo] = {info.check_id: info for info in _CHECK_LIST}
"""Every check, by id (in report order)."""
CHECK_IDS: tuple[str, ...] = tuple(CHECKS)
"""The stable check ids, in report order: the account checks :func:`evaluate` judges,
then the organization checks (``organization.*``)."""
ACCOUNT_CHECK_IDS: tuple[str, ...] = tuple(c for c, i in CHECKS.items() if i.scope == "account")
"""The checks :func:`evaluate` judges on one account."""
ORGANIZATION_CHECK_IDS: tuple[str, ...] = tuple(
    c for c, i in CHECKS.items() if i.scope == "organization"
)
"""The checks judged from an organization-wide read (:func:`rootguard.audit_member_roots`)."""
_ORDER = {check_id: i for i, check_id in enumerate(CHECK_IDS)}


# --------------------------------------------------------------------------- models


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
        >>> from rootguard._checks import ACCOUNT_CHECK_IDS
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
        from rootguard._outputs import to_json

        return to_json(self, indent=indent)

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
        from rootguard._outputs import to_asff

        return to_asff(self, region=region, product_arn=product_arn, now=now)

    def to_ocsf(self, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """The findings as OCSF Compliance Finding events (class_uid 2003); ``time`` is
        ``now`` or :attr:`generated_at`.

        Raises:
            RootGuardError: neither ``now`` nor :attr:`generated_at` is known.
        """
        from rootguard._outputs import to_ocsf

        return to_ocsf(self, now=now)

    def to_markdown(self) -> str:
        """A markdown summary and a table of every finding."""
        from rootguard._outputs import to_markdown

        return to_markdown(self)

    def to_records(self) -> list[Record]:
        """Flat records (scalars only, one per finding): ``pandas.DataFrame(records)``."""
        from rootguard._outputs import to_records

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


def _jsonable(value: Any) -> Any:
    """Evidence values as JSON-native data (so a report round-trips exactly)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=_UTC)
        return aware.astimezone(_UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else str(_jsonable(value))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _join(items: Sequence[str], limit: int = 6) -> str:
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"… and {len(items) - limit} more")
    return "; ".join(shown)


class _Tri:
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
class _Ctx:
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
        check_id: str,
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
                evidence=_jsonable(dict(evidence or {})),
                remediation=info.remediation if status is not Status.PASS else "",
            )
        )


# --------------------------------------------------------------------------- root


@dataclass
class _RootFacts:
    row: CredentialReportRow | None
    report: CredentialReport | None
    report_problem: str | None
    report_gaps: list[dict[str, Any]]
    summary: Mapping[str, int] | None
    summary_problem: str | None
    summary_gaps: list[dict[str, Any]]

    def summary_value(self, key: str) -> int | None:
        if self.summary is None:
            return None
        value = self.summary.get(key)
        return int(value) if isinstance(value, (int, float)) else None


def _root_facts(ctx: _Ctx) -> _RootFacts:
    snap = ctx.snapshot
    report: CredentialReport | None = None
    row: CredentialReportRow | None = None
    problem: str | None = None
    report_gaps: list[dict[str, Any]] = []
    if snap.credential_report is None:
        problem, report_gaps = ctx.missing(
            "the IAM credential report",
            "iam",
            ("GenerateCredentialReport", "GetCredentialReport"),
        )
    else:
        try:
            report = parse_credential_report(
                snap.credential_report.content,
                generated_at=snap.credential_report.generated_at,
                source="credential report",
            )
        except ParseError as exc:
            problem = f"The IAM credential report could not be parsed: {exc}"
        else:
            row = report.root
            if row is None:
                problem = "The IAM credential report has no <root_account> row"
    summary_problem: str | None = None
    summary_gaps: list[dict[str, Any]] = []
    if snap.account_summary is None:
        summary_problem, summary_gaps = ctx.missing(
            "the IAM account summary", "iam", ("GetAccountSummary",)
        )
    return _RootFacts(
        row, report, problem, report_gaps, snap.account_summary, summary_problem, summary_gaps
    )


def _row_evidence(row: CredentialReportRow | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "report_mfa_active": row.mfa_active,
        "has_password": row.has_password,
        "password_last_used": _iso(row.password_last_used),
        "password_last_used_reason": row.reason("password_last_used"),
        "active_access_keys": list(row.active_access_keys),
        "active_certificates": list(row.active_certificates),
    }


def _mfa_state(facts: _RootFacts) -> tuple[bool | None, str | None]:
    """(MFA on?, which source said so). The live account summary wins over the report,
    which can be up to 4 hours old."""
    summary = facts.summary_value("AccountMFAEnabled")
    if summary is not None:
        return summary > 0, "account_summary"
    if facts.row is not None and facts.row.mfa_active is not None:
        return facts.row.mfa_active, "credential_report"
    return None, None


def _count_state(
    facts: _RootFacts, summary_key: str, row_attr: str
) -> tuple[int | None, str | None]:
    summary = facts.summary_value(summary_key)
    if summary is not None:
        return summary, "account_summary"
    if facts.row is not None:
        return len(getattr(facts.row, row_attr)), "credential_report"
    return None, None


def _has_credentials(facts: _RootFacts) -> bool | None:
    """Whether root has any credential (password, active key, active certificate)."""
    keys, _ = _count_state(facts, "AccountAccessKeysPresent", "active_access_keys")
    certs, _ = _count_state(facts, "AccountSigningCertificatesPresent", "active_certificates")
    password = facts.row.has_password if facts.row is not None else None
    if password or (keys or 0) > 0 or (certs or 0) > 0:
        return True
    if password is False and keys == 0 and certs == 0:
        return False
    return None


def _root_unknown_detail(facts: _RootFacts, *, need_report: bool) -> str:
    parts = []
    if facts.report_problem and (need_report or facts.summary is None):
        parts.append(facts.report_problem)
    if facts.summary_problem and not need_report:
        parts.append(facts.summary_problem)
    return ". ".join(parts) if parts else "Root credential data was not collected"


def _check_root_mfa(ctx: _Ctx, facts: _RootFacts) -> bool | None:
    """root.mfa_enabled; returns 'not applicable' knowledge for hardware_mfa: True when
    root has no credentials."""
    mfa, source = _mfa_state(facts)
    creds = _has_credentials(facts)
    evidence: dict[str, Any] = {
        "mfa_enabled": mfa,
        "mfa_source": source,
        "account_mfa_enabled": facts.summary_value("AccountMFAEnabled"),
        "root_has_credentials": creds,
        **_row_evidence(facts.row),
        "gaps": facts.report_gaps + facts.summary_gaps,
    }
    if (
        mfa is not None
        and facts.row is not None
        and facts.row.mfa_active is not None
        and facts.row.mfa_active != mfa
    ):
        evidence["sources_disagree"] = True
    check = "root.mfa_enabled"
    if mfa is True:
        ctx.add(
            check,
            Status.PASS,
            resource=ctx.root_arn,
            detail=f"MFA is enabled for the root user (from the {source}).",
            evidence=evidence,
        )
    elif mfa is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=_root_unknown_detail(facts, need_report=False)
            + "; the root user's MFA state is unknown.",
            evidence=evidence,
        )
    elif creds is False:
        ctx.add(
            check,
            Status.NOT_APPLICABLE,
            resource=ctx.root_arn,
            detail="The root user has no MFA, but no credentials at all either: no password "
            "(password_last_used is N/A), no active access key, no active signing "
            "certificate — as after removal through centralized root access.",
            evidence=evidence,
        )
    elif creds is None and facts.row is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail="The root user has no MFA, but whether it has a password cannot be told: "
            + (facts.report_problem or "the credential report is missing")
            + ".",
            evidence=evidence,
        )
    else:
        extra = ""
        if facts.row is not None and facts.row.has_password is None:
            extra = (
                " The report cannot tell whether root has a password "
                "(password_last_used is no_information); a root without MFA is judged "
                "exposed."
            )
        ctx.add(
            check,
            Status.FAIL,
            resource=ctx.root_arn,
            detail=f"MFA is not enabled for the root user (from the {source}).{extra}",
            evidence=evidence,
        )
    return mfa


def _check_root_hardware_mfa(ctx: _Ctx, facts: _RootFacts, mfa: bool | None) -> None:
    check = "root.hardware_mfa"
    devices = ctx.snapshot.virtual_mfa_devices
    evidence: dict[str, Any] = {"mfa_enabled": mfa}
    if mfa is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=_root_unknown_detail(facts, need_report=False)
            + "; the root user's MFA state is unknown.",
            evidence=evidence | {"gaps": facts.report_gaps + facts.summary_gaps},
        )
        return
    if mfa is False:
        creds = _has_credentials(facts)
        if creds is False:
            ctx.add(
                check,
                Status.NOT_APPLICABLE,
                resource=ctx.root_arn,
                detail="The root user has no credentials at all, so no MFA device is needed.",
                evidence=evidence,
            )
        else:
            ctx.add(
                check,
                Status.FAIL,
                resource=ctx.root_arn,
                detail="The root user has no MFA at all, so no hardware MFA either.",
                evidence=evidence,
            )
        return
    if devices is None:
        text, gaps = ctx.missing("the virtual MFA device list", "iam", ("ListVirtualMFADevices",))
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=f"{text}; whether root's MFA device is virtual cannot be told.",
            evidence=evidence | {"gaps": gaps},
        )
        return
    root_devices = sorted(
        d.serial_number for d in devices if d.user_arn is not None and d.user_arn.endswith(":root")
    )
    evidence["root_virtual_mfa_devices"] = root_devices
    evidence["virtual_mfa_devices"] = len(devices)
    if root_devices:
        ctx.add(
            check,
            Status.FAIL,
            resource=ctx.root_arn,
            detail="The root user's MFA is a virtual device: " + ", ".join(root_devices) + ".",
            evidence=evidence,
        )
    else:
        ctx.add(
            check,
            Status.PASS,
            resource=ctx.root_arn,
            detail="The root user has MFA and no virtual MFA device is assigned to root "
            "(its device is a hardware device).",
            evidence=evidence,
        )


def _check_root_count(
    ctx: _Ctx,
    facts: _RootFacts,
    *,
    check: str,
    summary_key: str,
    row_attr: str,
    noun: str,
) -> None:
    count, source = _count_state(facts, summary_key, row_attr)
    row_active = list(getattr(facts.row, row_attr)) if facts.row is not None else None
    evidence: dict[str, Any] = {
        "count": count,
        "source": source,
        summary_key: facts.summary_value(summary_key),
        "report_active": row_active,
    }
    if facts.row is not None and row_attr == "active_access_keys":
        evidence["last_used"] = {
            key: _iso(getattr(facts.row, f"{key}_last_used_date")) for key in row_active or []
        }
    if count is None:
        detail = ". ".join(p for p in (facts.summary_problem, facts.report_problem) if p)
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=f"{detail}; whether root has an active {noun} is unknown.",
            evidence=evidence | {"gaps": facts.summary_gaps + facts.report_gaps},
        )
    elif count > 0:
        named = f" ({', '.join(row_active)})" if row_active else ""
        ctx.add(
            check,
            Status.FAIL,
            resource=ctx.root_arn,
            detail=f"The root user has {_plural(count, 'active ' + noun)}{named} "
            f"(from the {source}).",
            evidence=evidence,
        )
    else:
        note = ""
        if row_active:
            note = (
                f" The credential report (up to 4 hours old) still listed {', '.join(row_active)}"
                " as active; the live account summary says none."
            )
        ctx.add(
            check,
            Status.PASS,
            resource=ctx.root_arn,
            detail=f"The root user has no active {noun} (from the {source}).{note}",
            evidence=evidence,
        )


def _check_root_recent_usage(ctx: _Ctx, facts: _RootFacts) -> None:
    check = "root.recent_usage"
    days = ctx.policy.root_usage_days
    evidence: dict[str, Any] = {"root_usage_days": days, "now": _iso(ctx.now)}
    if facts.row is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=f"{facts.report_problem}; root credential use cannot be judged.",
            evidence=evidence | {"gaps": facts.report_gaps},
        )
        return
    uses = facts.row.last_used_credentials()
    evidence["last_uses"] = [
        {
            "credential": u.credential,
            "last_used": _iso(u.last_used),
            "region": u.region,
            "service": u.service,
        }
        for u in uses
    ]
    if ctx.now is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail="No reference time: pass now= to evaluate() (the snapshot has no "
            "collected_at), so 'recent' cannot be judged.",
            evidence=evidence,
        )
        return
    cutoff = ctx.now - timedelta(days=days)
    recent = [u for u in uses if u.last_used >= cutoff]
    evidence["recent"] = [u.credential for u in recent]

    def describe(u: Any) -> str:
        where = ", ".join(p for p in (u.service, u.region) if p)
        suffix = f" ({where})" if where else ""
        return f"{u.credential.replace('_', ' ')} last used {_iso(u.last_used)}{suffix}"

    if recent:
        key_used = any(u.credential != "password" for u in recent)
        ctx.add(
            check,
            Status.FAIL,
            resource=ctx.root_arn,
            detail=f"Root credentials were used in the last {days} days: "
            + "; ".join(describe(u) for u in recent)
            + ".",
            evidence=evidence,
            severity=Severity.CRITICAL if key_used else Severity.HIGH,
        )
    else:
        history = "; ".join(describe(u) for u in uses) if uses else "no recorded use"
        ctx.add(
            check,
            Status.PASS,
            resource=ctx.root_arn,
            detail=f"No root credential was used in the last {days} days ({history}).",
            evidence=evidence,
        )


def _check_centralized_access(ctx: _Ctx) -> None:
    check = "root.centralized_access"
    org = ctx.snapshot.organization
    if org is None:
        text, gaps = ctx.missing(
            "organization information",
            "organizations",
            ("DescribeOrganization",),
        )
        iam_text, iam_gaps = ctx.missing(
            "organization root-access features", "iam", ("ListOrganizationsFeatures",)
        )
        detail = text if gaps or not iam_gaps else iam_text
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.account_resource,
            detail=f"{detail}; centralized root access cannot be judged.",
            evidence={"gaps": gaps + iam_gaps},
        )
        return
    resource = ctx.account_resource
    if org.organization_id and org.management_account_id:
        resource = (
            f"arn:{ctx.partition}:organizations::{org.management_account_id}:"
            f"organization/{org.organization_id}"
        )
    evidence: dict[str, Any] = {
        "organization_id": org.organization_id,
        "management_account_id": org.management_account_id,
        "is_management_account": org.is_management_account,
        "in_organization": org.in_organization,
        "root_features": org.root_features,
        "root_features_error": org.root_features_error,
    }
    if org.in_organization is False:
        ctx.add(
            check,
            Status.NOT_APPLICABLE,
            resource=resource,
            detail="The account is not in an AWS Organization; centralized root access does "
            "not apply.",
            evidence=evidence,
        )
    elif org.root_features is not None:
        features = sorted(org.root_features)
        if "RootCredentialsManagement" in features:
            ctx.add(
                check,
                Status.PASS,
                resource=resource,
                detail="Centralized root access is enabled: " + ", ".join(features) + ".",
                evidence=evidence,
            )
        else:
            shown = ", ".join(features) if features else "none"
            ctx.add(
                check,
                Status.FAIL,
                resource=resource,
                detail="RootCredentialsManagement is not enabled for the organization "
                f"(enabled root-access features: {shown}).",
                evidence=evidence,
            )
    else:
        if org.root_features_error:
            detail = (
                f"iam:ListOrganizationsFeatures failed: {org.root_features_error}. The "
                "setting can only be read in the management account or the delegated "
                "administrator account for IAM."
            )
            feature_gaps = [
                g.model_dump(mode="json")
                for g in ctx.gaps("iam", ("ListOrganizationsFeatures",))
                if g.operation == "ListOrganizationsFeatures"
            ]
        else:
            detail, feature_gaps = ctx.missing(
                "organization root-access features", "iam", ("ListOrganizationsFeatures",)
            )
        evidence["gaps"] = feature_gaps
        ctx.add(check, Status.UNKNOWN, resource=resource, detail=detail, evidence=evidence)


# --------------------------------------------------------------------------- trails


@dataclass
class _TrailVerdict:
    trail: Trail
    qualifies: bool | None
    reasons: list[str]
    unknown: list[str]
    evidence: dict[str, Any]

    @property
    def arn(self) -> str:
        return self.trail.trail_arn


def _judge_selectors(ctx: _Ctx, trail: Trail) -> tuple[bool | None, str | None, dict[str, Any]]:
    """Whether the trail's selectors record every management event, read and write."""
    verdict = judge_selectors(
        trail.event_selectors,
        trail.advanced_event_selectors,
        ctx.account_id,
        allow_excluded_sources=ctx.policy.allow_excluded_management_event_sources,
    )
    if verdict is None:
        text, gaps = ctx.missing(
            f"the event selectors of {trail.name}",
            "cloudtrail",
            ("GetEventSelectors",),
            resource=trail.trail_arn,
        )
        return None, text, {"gaps": gaps}
    kind = verdict.kind
    uncovered = list(verdict.unrecorded)
    evidence = {
        "selector_kind": kind,
        "unrecorded_management_events": uncovered,
        "accepted_exclusions": list(verdict.accepted_exclusions),
    }
    if uncovered:
        return (
            False,
            f"its {kind} event selectors do not record every management event "
            f"(not recorded: {_join(uncovered, 4)})",
            evidence,
        )
    return True, None, evidence


def _judge_trail(ctx: _Ctx, trail: Trail) -> _TrailVerdict:
    reasons: list[str] = []
    unknown: list[str] = []
    evidence: dict[str, Any] = {
        "trail": trail.trail_arn,
        "home_region": trail.home_region,
        "is_multi_region_trail": trail.is_multi_region_trail,
        "is_organization_trail": trail.is_organization_trail,
        "is_logging": trail.is_logging,
    }
    if not trail.is_multi_region_trail:
        reasons.append(f"{trail.name} is a single-region trail (home region {trail.home_region})")
    if trail.is_logging is False:
        reasons.append(f"{trail.name} is not logging")
    elif trail.is_logging is None:
        text, gaps = ctx.missing(
            f"the status of {trail.name}",
            "cloudtrail",
            ("GetTrailStatus",),
            resource=trail.trail_arn,
        )
        unknown.append(text)
        evidence["status_gaps"] = gaps
    ok, why, selector_evidence = _judge_selectors(ctx, trail)
    evidence.update(selector_evidence)
    if ok is False and why:
        reasons.append(f"{trail.name}: {why}")
    elif ok is None and why:
        unknown.append(why)
    qualifies: bool | None
    if reasons:
        qualifies = False
    elif unknown:
        qualifies = None
    else:
        qualifies = True
    evidence["qualifies"] = qualifies
    return _TrailVerdict(trail, qualifies, reasons, unknown, evidence)


def _trail_rank(v: _TrailVerdict) -> tuple[int, int, str]:
    t = v.trail
    return (
        0 if t.cloud_watch_logs_log_group_arn else 1,
        0 if t.log_file_validation_enabled else 1,
        t.trail_arn,
    )


def _check_trails(ctx: _Ctx) -> list[_TrailVerdict]:
    """cloudtrail.multi_region, .log_validation, .cloudwatch_logs. Returns the qualifying
    trails (best first) for the alarm chain."""
    trails = ctx.snapshot.trails
    ids = ("cloudtrail.multi_region", "cloudtrail.log_validation", "cloudtrail.cloudwatch_logs")
    if trails is None:
        text, gaps = ctx.missing("the trail list", "cloudtrail", ("DescribeTrails",))
        for check in ids:
            ctx.add(
                check,
                Status.UNKNOWN,
                resource=ctx.account_resource,
                detail=f"{text}; CloudTrail cannot be judged.",
                evidence={"gaps": gaps},
            )
        return []
    verdicts = sorted((_judge_trail(ctx, t) for t in trails), key=lambda v: v.arn)
    qualifying = sorted((v for v in verdicts if v.qualifies), key=_trail_rank)
    undecided = [v for v in verdicts if v.qualifies is None]
    all_evidence = {"trails": [v.evidence for v in verdicts]}

    # cloudtrail.multi_region
    if qualifying:
        best = qualifying[0]
        kind = "organization trail" if best.trail.is_organization_trail else "trail"
        ctx.add(
            "cloudtrail.multi_region",
            Status.PASS,
            resource=best.arn,
            detail=f"{kind.capitalize()} {best.trail.name} (home region "
            f"{best.trail.home_region}) is multi-region, logging, and records all "
            "management events, read and write.",
            evidence=all_evidence,
        )
    elif undecided:
        ctx.add(
            "cloudtrail.multi_region",
            Status.UNKNOWN,
            resource=undecided[0].arn,
            detail="No trail is known to qualify, and some could not be judged: "
            + _join([u for v in undecided for u in v.unknown])
            + ".",
            evidence=all_evidence,
        )
    else:
        reasons = [r for v in verdicts for r in v.reasons]
        detail = (
            "No qualifying trail: " + _join(reasons) + "."
            if reasons
            else "No CloudTrail trail applies to this account."
        )
        ctx.add(
            "cloudtrail.multi_region",
            Status.FAIL,
            resource=verdicts[0].arn if verdicts else ctx.account_resource,
            detail=detail,
            evidence=all_evidence,
        )

    # cloudtrail.log_validation
    no_trail_status = Status.UNKNOWN if undecided else Status.FAIL
    no_trail_detail = (
        "No trail is known to qualify for cloudtrail.multi_region (some could not be judged)."
        if undecided
        else "There is no qualifying multi-region trail (see cloudtrail.multi_region)."
    )
    if not qualifying:
        for check in ids[1:]:
            ctx.add(
                check,
                no_trail_status,
                resource=undecided[0].arn if undecided else ctx.account_resource,
                detail=no_trail_detail,
                evidence=all_evidence,
            )
        return []
    validating = [v for v in qualifying if v.trail.log_file_validation_enabled]
    evidence = {
        "qualifying_trails": [v.arn for v in qualifying],
        "validating_trails": [v.arn for v in validating],
    }
    if validating:
        ctx.add(
            "cloudtrail.log_validation",
            Status.PASS,
            resource=validating[0].arn,
            detail=f"Trail {validating[0].trail.name} validates its log files (digest files).",
            evidence=evidence,
        )
    else:
        ctx.add(
            "cloudtrail.log_validation",
            Status.FAIL,
            resource=qualifying[0].arn,
            detail="Log file validation is off on every qualifying trail: "
            + ", ".join(v.trail.name for v in qualifying)
            + ".",
            evidence=evidence,
        )

    _check_cloudwatch_delivery(ctx, qualifying)
    return qualifying


def _check_cloudwatch_delivery(ctx: _Ctx, qualifying: list[_TrailVerdict]) -> None:
    check = "cloudtrail.cloudwatch_logs"
    max_age = ctx.policy.cloudwatch_delivery_max_age_hours
    per_trail: list[dict[str, Any]] = []
    passing: list[tuple[_TrailVerdict, str]] = []
    failing: list[str] = []
    unknown: list[str] = []
    for v in qualifying:
        t = v.trail
        entry: dict[str, Any] = {
            "trail": t.trail_arn,
            "log_group_arn": t.cloud_watch_logs_log_group_arn,
            "latest_delivery_time": _iso(t.latest_cloud_watch_logs_delivery_time),
            "latest_delivery_error": t.latest_cloud_watch_logs_delivery_error,
        }
        per_trail.append(entry)
        if not t.cloud_watch_logs_log_group_arn:
            failing.append(f"{t.name} does not deliver to CloudWatch Logs")
            continue
        if max_age is None:
            passing.append((v, f"{t.name} delivers to {t.cloud_watch_logs_log_group_arn}"))
            continue
        latest = t.latest_cloud_watch_logs_delivery_time
        error = t.latest_cloud_watch_logs_delivery_error
        if latest is None:
            if error:
                failing.append(f"{t.name} has never delivered to CloudWatch Logs: {error}")
            else:
                unknown.append(
                    f"{t.name} has a log group but CloudTrail reports no delivery time, so "
                    "recent delivery cannot be confirmed"
                )
            continue
        if ctx.now is None:
            unknown.append(
                f"{t.name} last delivered {_iso(latest)}, but there is no reference time "
                "(pass now=)"
            )
            continue
        age_hours = (ctx.now - latest).total_seconds() / 3600
        entry["delivery_age_hours"] = round(age_hours, 3)
        if age_hours <= max_age:
            note = f" (latest error: {error})" if error else ""
            passing.append(
                (v, f"{t.name} delivered to CloudWatch Logs {age_hours:.1f} h ago{note}")
            )
        else:
            why = f": {error}" if error else ""
            failing.append(
                f"{t.name} last delivered {age_hours:.1f} h ago (more than {max_age:g} h){why}"
            )
    evidence = {"max_age_hours": max_age, "trails": per_trail}
    if passing:
        v, text = passing[0]
        ctx.add(check, Status.PASS, resource=v.arn, detail=text + ".", evidence=evidence)
    elif unknown:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=qualifying[0].arn,
            detail=_join(unknown + failing) + ".",
            evidence=evidence,
        )
    else:
        ctx.add(
            check,
            Status.FAIL,
            resource=qualifying[0].arn,
            detail=_join(failing) + ".",
            evidence=evidence,
        )


# --------------------------------------------------------------------------- patterns


def _judge_filter_pattern(ctx: _Ctx, pattern: str) -> PatternVerdict:
    cached = ctx._pattern_cache.get(pattern)
    if cached is not None:
        return cached
    region = ctx.snapshot.regions[0] if ctx.snapshot.regions else "us-east-1"
    verdict = judge_filter_pattern(pattern, ctx.account_id, region)
    ctx._pattern_cache[pattern] = verdict
    return verdict


# --------------------------------------------------------------------------- alarm chain


def _topic_state(ctx: _Ctx, arn: str) -> tuple[bool | None, str, SnsTopic | None]:
    """Whether an SNS topic delivers what CloudWatch alarms and EventBridge rules publish
    to it: it exists, is not encrypted with the AWS managed key (:func:`topic_encryption`)
    and has a confirmed subscription."""
    region = arn_part(arn, 3)
    account = arn_part(arn, 4)
    if region is None or account is None:
        return False, f"{arn} is not an SNS topic ARN", None
    if account != ctx.account_id:
        return None, f"topic {arn} is in account {account}: its subscriptions are not visible", None
    rd = ctx.snapshot.region_data.get(region)
    if rd is None:
        return None, f"region {region} (topic {arn}) was not collected", None
    if rd.topics is None:
        text, _ = ctx.missing(f"the SNS topics of {region}", "sns", ("ListTopics",), region=region)
        return None, text, None
    topic = next((t for t in rd.topics if t.topic_arn == arn), None)
    if topic is None:
        return False, f"topic {arn} does not exist", None
    encryption = topic_encryption(topic)
    if encryption.services_can_publish is False:
        ctx.sealed_topics[arn] = encryption.key_id or ""
        return False, f"topic {arn} cannot receive alerts: {encryption.why()}", topic
    if topic.subscriptions is None:
        text, _ = ctx.missing(
            f"the subscriptions of {arn}",
            "sns",
            ("ListSubscriptionsByTopic",),
            region=region,
            resource=arn,
        )
        return None, text, topic
    confirmed = [s for s in topic.subscriptions if not s.pending]
    if not confirmed:
        pending = len(topic.subscriptions)
        return False, f"topic {arn} has no confirmed subscription ({pending} pending)", topic
    if encryption.services_can_publish is None:
        text, _ = ctx.missing(
            f"the attributes of {arn} (whether its KMS key lets CloudWatch and EventBridge "
            "publish)",
            "sns",
            ("GetTopicAttributes",),
            region=region,
            resource=arn,
        )
        return None, text, topic
    return True, f"{_plural(len(confirmed), 'confirmed subscription')}", topic


@dataclass
class _Chain:
    status: bool | None
    reasons: list[str] = field(default_factory=list)
    complete: dict[str, Any] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)


def _chain_for_group(
    ctx: _Ctx, trail: Trail, region: str, group: LogGroup, rd: RegionSnapshot
) -> _Chain:
    out = _Chain(status=False)
    if group.metric_filters is None:
        text, _ = ctx.missing(
            f"the metric filters of {group.log_group_name}",
            "logs",
            ("DescribeMetricFilters",),
            region=region,
        )
        return _Chain(status=None, reasons=[text])
    if not group.metric_filters:
        out.reasons.append(f"log group {group.log_group_name} has no metric filter")
        return out
    outcomes: list[bool | None] = []
    for mf in sorted(group.metric_filters, key=lambda f: f.filter_name):
        verdict = _judge_filter_pattern(ctx, mf.filter_pattern)
        attempt: dict[str, Any] = {
            "trail": trail.trail_arn,
            "log_group": group.log_group_name,
            "region": region,
            "filter": mf.filter_name,
            "pattern": mf.filter_pattern,
            **verdict.evidence(),
        }
        out.attempts.append(attempt)
        if not verdict.ok:
            out.reasons.append(f"filter {mf.filter_name}: {verdict.why()}")
            outcomes.append(False)
            continue
        for tr in mf.metric_transformations:
            result = _chain_from_metric(ctx, region=region, rd=rd, tr=tr, attempt=attempt, out=out)
            outcomes.append(result)
            if result is True and out.complete is None:
                out.complete = {
                    **{k: v for k, v in attempt.items() if k != "chain"},
                    "pattern_is_cis_modulo_whitespace": is_cis_pattern(mf.filter_pattern),
                    **(attempt.get("chain") or {}),
                }
    out.status = _Tri.best(outcomes)
    return out


def _chain_from_metric(
    ctx: _Ctx,
    *,
    region: str,
    rd: RegionSnapshot,
    tr: MetricTransformation,
    attempt: dict[str, Any],
    out: _Chain,
) -> bool | None:
    name, namespace = tr.metric_name, tr.metric_namespace
    label = f"metric {namespace}/{name}"
    if metric_dimensions(tr):
        out.reasons.append(f"{label} is published with dimensions, which are not judged")
        return None
    if rd.alarms is None:
        text, _ = ctx.missing(
            f"the CloudWatch alarms of {region}", "cloudwatch", ("DescribeAlarms",), region=region
        )
        out.reasons.append(text)
        return None
    alarms = sorted(
        (a for a in rd.alarms if alarm_watches_metric(a, name, namespace)),
        key=lambda a: a.alarm_name,
    )
    if not alarms:
        out.reasons.append(f"no alarm on {label} in {region}")
        return False
    outcomes: list[bool | None] = []
    for alarm in alarms:
        topics = sorted(a for a in alarm.alarm_actions if arn_part(a, 2) == "sns")
        for topic_arn in topics:
            ctx.alert_topics.setdefault(topic_arn, set()).add(f"alarm:{alarm.alarm_name}")
        fires, why = alarm_fires(alarm, name, namespace, tr)
        if fires is not True:
            out.reasons.append(f"alarm {alarm.alarm_name}: {why}")
            outcomes.append(fires)
            continue
        if not alarm.actions_enabled:
            out.reasons.append(f"alarm {alarm.alarm_name} has its actions disabled")
            outcomes.append(False)
            continue
        if not topics:
            shown = ", ".join(alarm.alarm_actions) if alarm.alarm_actions else "none"
            out.reasons.append(
                f"alarm {alarm.alarm_name} has no SNS alarm action (alarm actions: {shown})"
            )
            outcomes.append(False)
            continue
        for topic_arn in topics:
            state, why, _ = _topic_state(ctx, topic_arn)
            outcomes.append(state)
            if state is True:
                if "chain" not in attempt:
                    attempt["chain"] = {
                        "metric_namespace": namespace,
                        "metric_name": name,
                        "alarm": alarm.alarm_arn or alarm.alarm_name,
                        "alarm_name": alarm.alarm_name,
                        "topic": topic_arn,
                        "topic_subscriptions": why,
                    }
            else:
                out.reasons.append(f"alarm {alarm.alarm_name}: {why}")
    return _Tri.best(outcomes)


def _check_metric_alarm(ctx: _Ctx, qualifying: list[_TrailVerdict], trails_known: bool) -> None:
    check = "monitoring.root_metric_alarm"
    if not trails_known:
        text, gaps = ctx.missing("the trail list", "cloudtrail", ("DescribeTrails",))
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.account_resource,
            detail=f"{text}; the alerting chain cannot be judged.",
            evidence={"gaps": gaps},
        )
        return
    multi = next(f for f in ctx.findings if f.check_id == "cloudtrail.multi_region")
    if not qualifying:
        status = Status.UNKNOWN if multi.status is Status.UNKNOWN else Status.FAIL
        ctx.add(
            check,
            status,
            resource=ctx.account_resource,
            detail="The chain starts at a qualifying multi-region trail, and "
            + (
                "none is known (see cloudtrail.multi_region)."
                if status is Status.UNKNOWN
                else "there is none (see cloudtrail.multi_region)."
            ),
            evidence={"qualifying_trails": []},
        )
        return
    reasons: list[str] = []
    attempts: list[dict[str, Any]] = []
    outcomes: list[bool | None] = []
    complete: dict[str, Any] | None = None
    ctx.take_sealed()
    for v in qualifying:
        trail = v.trail
        arn = trail.cloud_watch_logs_log_group_arn
        if not arn:
            reasons.append(f"trail {trail.name} does not deliver to CloudWatch Logs")
            outcomes.append(False)
            continue
        parsed = parse_log_group_arn(arn)
        if parsed is None:
            reasons.append(f"trail {trail.name}: {arn} is not a log group ARN")
            outcomes.append(False)
            continue
        region, account, group_name = parsed
        if account != ctx.account_id:
            reasons.append(
                f"trail {trail.name} delivers to log group {group_name} of account {account}: "
                "its metric filters and alarms are judged in that account"
            )
            outcomes.append(None)
            continue
        rd = ctx.snapshot.region_data.get(region)
        if rd is None:
            reasons.append(f"region {region} (log group {group_name}) was not collected")
            outcomes.append(None)
            continue
        if rd.log_groups is None:
            text, _ = ctx.missing(
                f"the log groups of {region}", "logs", ("DescribeLogGroups",), region=region
            )
            reasons.append(text)
            outcomes.append(None)
            continue
        group = next((g for g in rd.log_groups if g.log_group_name == group_name), None)
        if group is None:
            reasons.append(f"log group {group_name} of trail {trail.name} does not exist")
            outcomes.append(False)
            continue
        chain = _chain_for_group(ctx, trail, region, group, rd)
        reasons.extend(chain.reasons)
        attempts.extend(chain.attempts)
        outcomes.append(chain.status)
        if chain.complete is not None and complete is None:
            complete = chain.complete
    evidence: dict[str, Any] = {"attempts": attempts}
    sealed = ctx.take_sealed()
    if sealed:
        evidence["topics_with_aws_managed_key"] = sealed
    if complete is not None:
        exact = bool(complete.get("pattern_is_exact_cis"))
        note = (
            " The pattern is the exact CIS text."
            if exact
            else " The pattern matches root activity correctly but is not the exact CIS "
            "text, which Security Hub CloudWatch.1 requires."
        )
        evidence["chain"] = complete
        ctx.add(
            check,
            Status.PASS,
            region=str(complete.get("region")),
            resource=str(complete.get("alarm")),
            detail=f"Trail {complete.get('trail')} > log group {complete.get('log_group')} > "
            f"filter {complete.get('filter')} > metric {complete.get('metric_namespace')}/"
            f"{complete.get('metric_name')} > alarm {complete.get('alarm_name')} > topic "
            f"{complete.get('topic')} ({complete.get('topic_subscriptions')}).{note}",
            evidence=evidence,
        )
        return
    status = Status.UNKNOWN if _Tri.best(outcomes) is None else Status.FAIL
    evidence["reasons"] = reasons
    ctx.add(
        check,
        status,
        resource=qualifying[0].arn,
        detail="No complete alerting chain: " + _join(reasons) + ".",
        evidence=evidence,
    )


# --------------------------------------------------------------------------- eventbridge

_NOTIFYING_SERVICES = {"lambda": "Lambda function", "sqs": "SQS queue", "states": "state machine"}


def _rule_matches(ctx: _Ctx, rule: EventRule, event: _canonical.CanonicalEvent) -> bool | str:
    """True/False, or the pattern error text."""
    envelope_region = str(event.record.get("region", ""))
    key = (rule.arn + "\0" + (rule.event_pattern or ""), event.name + "\0" + envelope_region)
    cached = ctx._event_cache.get(key)
    if cached is not None:
        return cached
    result = rule_matches(rule.event_pattern, event.record)
    ctx._event_cache[key] = result
    return result


def _target_state(
    ctx: _Ctx, rule: EventRule, event: _canonical.CanonicalEvent, *, hop: int
) -> tuple[bool | None, list[str]]:
    """Whether the rule's targets deliver ``event`` to someone."""
    if rule.targets is None:
        text, _ = ctx.missing(
            f"the targets of rule {rule.name}",
            "events",
            ("ListTargetsByRule",),
            region=rule.region,
            resource=rule.arn,
        )
        return None, [text]
    if not rule.targets:
        return False, [f"rule {rule.name} ({rule.region}) has no target"]
    notes: list[str] = []
    states: list[bool | None] = []
    for target in sorted(rule.targets, key=lambda t: t.arn):
        service = arn_part(target.arn, 2)
        if service == "sns":
            ctx.alert_topics.setdefault(target.arn, set()).add(f"rule:{rule.region}/{rule.name}")
            state, why, _ = _topic_state(ctx, target.arn)
            states.append(state)
            if state is not True:
                notes.append(f"rule {rule.name}: {why}")
        elif service in _NOTIFYING_SERVICES or (
            service == "events" and ":api-destination/" in target.arn
        ):
            states.append(True)
        elif service == "events" and ":event-bus/" in target.arn:
            state, why = _forward_state(ctx, rule, target.arn, event, hop=hop)
            states.append(state)
            if state is not True:
                notes.append(f"rule {rule.name}: {why}")
        else:
            states.append(False)
            notes.append(f"rule {rule.name}: target {target.arn} notifies no one")
    return _Tri.best(states), notes


def _forward_state(
    ctx: _Ctx, rule: EventRule, bus_arn: str, event: _canonical.CanonicalEvent, *, hop: int
) -> tuple[bool | None, str]:
    region = arn_part(bus_arn, 3) or ""
    account = arn_part(bus_arn, 4)
    bus = bus_arn.rsplit("/", 1)[-1]
    if account != ctx.account_id:
        return None, f"forwards to {bus_arn} in account {account}, which is not visible"
    if bus != "default" or region == rule.region:
        return None, f"forwards to event bus {bus_arn}, whose rules are not collected"
    if hop > 0:
        return False, f"forwards again to {bus_arn} (only one forwarding hop is followed)"
    rd = ctx.snapshot.region_data.get(region)
    if rd is None:
        return None, f"forwards to {region}, which was not collected"
    if rd.event_rules is None:
        text, _ = ctx.missing(f"the rules of {region}", "events", ("ListRules",), region=region)
        return None, text
    states: list[bool | None] = []
    for home_rule in rd.event_rules:
        if not rule_enabled(home_rule):
            continue
        if _rule_matches(ctx, home_rule, event) is not True:
            continue
        state, _ = _target_state(ctx, home_rule, event, hop=hop + 1)
        states.append(state)
    result = _Tri.best(states)
    if result is True:
        return True, f"forwarded to {region}, where a rule alerts"
    if result is None:
        return None, f"forwarded to {region}, where the alerting rule could not be judged"
    return False, f"forwards to {region}, where no enabled rule alerts on it"


def _check_eventbridge(ctx: _Ctx) -> None:
    check = "monitoring.root_eventbridge"
    regions = sorted(set(ctx.snapshot.regions))
    if not regions:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.account_resource,
            detail="No region was collected, so no region can be judged.",
            evidence={"regions": []},
        )
        return
    for region in regions:
        bus = f"arn:{ctx.partition}:events:{region}:{ctx.account_id}:event-bus/default"
        rd = ctx.snapshot.region_data.get(region)
        if rd is None or rd.event_rules is None:
            text, gaps = ctx.missing(
                f"the EventBridge rules of {region}", "events", ("ListRules",), region=region
            )
            ctx.add(
                check,
                Status.UNKNOWN,
                region=region,
                resource=bus,
                detail=f"{text}; root alerting in {region} cannot be judged.",
                evidence={"gaps": gaps},
            )
            continue
        rules = sorted(
            (r for r in rd.event_rules if rule_enabled(r)),
            key=lambda r: r.name,
        )
        disabled = sorted(r.name for r in rd.event_rules if r.event_pattern and not rule_enabled(r))
        coverage: dict[str, dict[str, Any]] = {}
        states: list[bool | None] = []
        notes: list[str] = []
        invalid: dict[str, str] = {}
        ctx.take_sealed()
        for event in _canonical.eventbridge_root_envelopes(ctx.account_id, region):
            matching: list[str] = []
            event_states: list[bool | None] = []
            covering: list[str] = []
            for rule in rules:
                matched = _rule_matches(ctx, rule, event)
                if isinstance(matched, str):
                    invalid[rule.name] = matched
                    continue
                if not matched:
                    continue
                matching.append(rule.name)
                state, rule_notes = _target_state(ctx, rule, event, hop=0)
                event_states.append(state)
                notes.extend(rule_notes)
                if state is True:
                    covering.append(rule.name)
            state = _Tri.best(event_states)
            states.append(state)
            coverage[event.name] = {
                "covered": state,
                "matching_rules": matching,
                "alerting_rules": covering,
            }
        evidence: dict[str, Any] = {
            "enabled_rules": [r.name for r in rules],
            "disabled_rules": disabled,
            "invalid_patterns": invalid,
            # permissive, not failing: such a rule still sees every root event
            "rules_accepting_custom_events": [
                r.name for r in rules if rule_accepts_custom_events(r, ctx.account_id)
            ],
            "events": coverage,
            "notes": sorted(set(notes)),
        }
        sealed = ctx.take_sealed()
        if sealed:
            evidence["topics_with_aws_managed_key"] = sealed
        uncovered = [name for name, c in coverage.items() if c["covered"] is False]
        undecided = [name for name, c in coverage.items() if c["covered"] is None]
        if not uncovered and not undecided:
            alerting = sorted({r for c in coverage.values() for r in c["alerting_rules"]})
            ctx.add(
                check,
                Status.PASS,
                region=region,
                resource=bus,
                detail=f"Root API calls and root console sign-ins in {region} are alerted by "
                + ", ".join(alerting)
                + ".",
                evidence=evidence,
            )
        elif uncovered:
            extra = f" Notes: {_join(sorted(set(notes)), 3)}." if notes else ""
            ctx.add(
                check,
                Status.FAIL,
                region=region,
                resource=bus,
                detail=f"No enabled rule in {region} alerts on: "
                + ", ".join(uncovered)
                + "."
                + extra,
                evidence=evidence,
            )
        else:
            ctx.add(
                check,
                Status.UNKNOWN,
                region=region,
                resource=bus,
                detail=f"Root alerting in {region} could not be confirmed for "
                + ", ".join(undecided)
                + ": "
                + _join(sorted(set(notes)), 3)
                + ".",
                evidence=evidence,
            )


# --------------------------------------------------------------------------- config


def _records_iam(recorder: ConfigRecorder) -> bool | None:
    return records_iam(recorder.recording_group)


def _check_config(ctx: _Ctx) -> None:
    check = "config.root_rules"
    required = tuple(ctx.policy.required_config_rules)
    regions = sorted(set(ctx.snapshot.region_data) | set(ctx.snapshot.regions))
    per_region: dict[str, dict[str, Any]] = {}
    unknown: list[str] = []
    passing_region: str | None = None
    iam_regions: list[str] = []
    for region in regions:
        entry: dict[str, Any] = {}
        per_region[region] = entry
        rd = ctx.snapshot.region_data.get(region)
        if rd is None:
            unknown.append(f"region {region} has no collected data")
            entry["collected"] = False
            continue
        recording: bool | None
        if rd.config_recorders is None:
            text, _ = ctx.missing(
                f"the Config recorders of {region}",
                "config",
                ("DescribeConfigurationRecorders", "DescribeConfigurationRecorderStatus"),
                region=region,
            )
            unknown.append(text)
            recording = None
        else:
            states = [r.recording for r in rd.config_recorders]
            recording = _Tri.best(states)
            entry["recorders"] = [
                {"name": r.name, "recording": r.recording, "records_iam": _records_iam(r)}
                for r in sorted(rd.config_recorders, key=lambda r: r.name)
            ]
            if any(r.recording and _records_iam(r) for r in rd.config_recorders):
                iam_regions.append(region)
            if recording is None:
                unknown.append(f"the recorder status of {region} was not read")
        entry["recording"] = recording
        present: set[str] = set()
        if rd.config_rules is None:
            text, _ = ctx.missing(
                f"the Config rules of {region}", "config", ("DescribeConfigRules",), region=region
            )
            unknown.append(text)
            rules_known = False
        else:
            rules_known = True
            present = active_managed_rules(rd.config_rules) & set(required)
            entry["rules"] = sorted(present)
            entry["compliance"] = {
                r.source_identifier: r.compliance
                for r in rd.config_rules
                if r.source_identifier in required and r.compliance is not None
            }
        if rules_known and recording and set(required) <= present and passing_region is None:
            passing_region = region
    evidence = {
        "required_rules": list(required),
        "regions": per_region,
        "iam_recorded_in": iam_regions,
    }
    resource = ctx.account_resource
    if passing_region is not None and iam_regions:
        ctx.add(
            check,
            Status.PASS,
            region=passing_region,
            resource=resource,
            detail=f"AWS Config is recording in {passing_region} with "
            + " and ".join(required)
            + f"; IAM resources are recorded in {', '.join(iam_regions)}.",
            evidence=evidence,
        )
        return
    if not regions:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=resource,
            detail="No region was collected, so AWS Config cannot be judged.",
            evidence=evidence,
        )
        return
    if unknown:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=resource,
            detail="No region is known to qualify, and some could not be judged: "
            + _join(unknown, 4)
            + ".",
            evidence=evidence,
        )
        return
    problems = []
    if passing_region is None:
        recording_regions = [r for r in regions if per_region[r].get("recording")]
        if not recording_regions:
            problems.append("no configuration recorder is recording in any collected region")
        else:
            for r in recording_regions:
                missing = [x for x in required if x not in per_region[r].get("rules", [])]
                problems.append(f"{r} is recording but lacks the rule(s) {', '.join(missing)}")
    if not iam_regions:
        problems.append("no recording recorder records IAM (global) resources")
    ctx.add(
        check,
        Status.FAIL,
        resource=resource,
        detail="AWS Config does not evaluate root MFA and root access keys: "
        + _join(problems, 4)
        + ".",
        evidence=evidence,
    )


# --------------------------------------------------------------------------- topic policy

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


def _check_topic_policies(ctx: _Ctx) -> None:
    check = "monitoring.alert_topic_secure"
    if not ctx.alert_topics:
        undecided = [
            f.check_id
            for f in ctx.findings
            if f.check_id in ("monitoring.root_metric_alarm", "monitoring.root_eventbridge")
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
        state, why, topic = _topic_state(ctx, arn)
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
                + _join(problems, 4)
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


def _unidentified_topics(ctx: _Ctx, check: str) -> None:
    """UNKNOWN in each region whose alerting could not be fully read and where no alert
    topic was judged: a topic that alerting there uses may exist and be open, unseen."""
    judged = {arn_part(arn, 3) for arn in ctx.alert_topics}
    undecided: dict[str | None, list[str]] = {}
    for f in ctx.findings:
        if (
            f.check_id in ("monitoring.root_metric_alarm", "monitoring.root_eventbridge")
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


# --------------------------------------------------------------------------- evaluate


def _sort_key(f: Finding) -> tuple[int, int, str, str]:
    return (
        _ORDER.get(f.check_id, len(_ORDER)),
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
        >>> report.by_check("root.mfa_enabled")[0].status
        <Status.UNKNOWN: 'UNKNOWN'>
    """
    policy = policy if policy is not None else Policy()
    ref = now if now is not None else snapshot.collected_at
    if ref is not None and ref.tzinfo is None:
        ref = ref.replace(tzinfo=_UTC)
    ctx = _Ctx(snapshot=snapshot, policy=policy, now=ref)

    facts = _root_facts(ctx)
    mfa = _check_root_mfa(ctx, facts)
    _check_root_hardware_mfa(ctx, facts, mfa)
    _check_root_count(
        ctx,
        facts,
        check="root.no_access_keys",
        summary_key="AccountAccessKeysPresent",
        row_attr="active_access_keys",
        noun="access key",
    )
    _check_root_count(
        ctx,
        facts,
        check="root.no_signing_certificates",
        summary_key="AccountSigningCertificatesPresent",
        row_attr="active_certificates",
        noun="signing certificate",
    )
    _check_root_recent_usage(ctx, facts)
    _check_centralized_access(ctx)
    qualifying = _check_trails(ctx)
    _check_metric_alarm(ctx, qualifying, trails_known=snapshot.trails is not None)
    _check_eventbridge(ctx)
    _check_config(ctx)
    _check_topic_policies(ctx)

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
    if finding.check_id != "root.recent_usage" or finding.status is not Status.FAIL:
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

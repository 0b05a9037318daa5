"""The one catalogue of checks (pure): every check id (:class:`CheckId`), its title, short
name, severity, control mappings and remediation, in report order; the checks the
planner fixes (:data:`PLANNED_CHECKS`). No other module spells a check id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
from rootguard._models import Severity, StrEnum

__all__ = [
    "ACCOUNT_CHECK_IDS",
    "CHECKS",
    "CHECK_IDS",
    "ORGANIZATION_CHECK_IDS",
    "PLANNED_CHECKS",
    "CheckId",
    "CheckInfo",
    "abbreviation",
]


class CheckId(StrEnum):
    """The stable id of a check (``root.mfa_enabled`` …): the values are the ids findings,
    suppressions, ``Policy.checks`` and every output carry. A member compares equal to
    its string (``CheckId.ROOT_MFA_ENABLED == "root.mfa_enabled"``)."""

    ROOT_MFA_ENABLED = "root.mfa_enabled"
    ROOT_HARDWARE_MFA = "root.hardware_mfa"
    ROOT_NO_ACCESS_KEYS = "root.no_access_keys"
    ROOT_NO_SIGNING_CERTIFICATES = "root.no_signing_certificates"
    ROOT_RECENT_USAGE = "root.recent_usage"
    ROOT_CENTRALIZED_ACCESS = "root.centralized_access"
    CLOUDTRAIL_MULTI_REGION = "cloudtrail.multi_region"
    CLOUDTRAIL_LOG_VALIDATION = "cloudtrail.log_validation"
    CLOUDTRAIL_CLOUDWATCH_LOGS = "cloudtrail.cloudwatch_logs"
    MONITORING_ROOT_METRIC_ALARM = "monitoring.root_metric_alarm"
    MONITORING_ROOT_EVENTBRIDGE = "monitoring.root_eventbridge"
    CONFIG_ROOT_RULES = "config.root_rules"
    MONITORING_ALERT_TOPIC_SECURE = "monitoring.alert_topic_secure"
    ORGANIZATION_MEMBER_ROOT_NO_PASSWORD = "organization.member_root_no_password"
    ORGANIZATION_MEMBER_ROOT_NO_ACCESS_KEYS = "organization.member_root_no_access_keys"
    ORGANIZATION_MEMBER_ROOT_NO_SIGNING_CERTIFICATES = (
        "organization.member_root_no_signing_certificates"
    )
    ORGANIZATION_ROOT_SESSIONS = "organization.root_sessions"
    ORGANIZATION_DENY_ROOT_SCP = "organization.deny_root_scp"
    ORGANIZATION_SECURITY_CONTACT = "organization.security_contact"


def _cis(version: str, requirement: str) -> str:
    return f"CIS AWS Foundations Benchmark v{version}/{requirement}"


@dataclass(frozen=True)
class CheckInfo:
    """What a check is: its id, title, default severity, control mappings, remediation."""

    check_id: CheckId
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
    short: str = field(kw_only=True)
    """A three-letter abbreviation (``MFA``), unique among the checks: the column
    heading of the organization matrix."""


_CHECK_LIST: tuple[CheckInfo, ...] = (
    CheckInfo(
        CheckId.ROOT_MFA_ENABLED,
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
        short="MFA",
    ),
    CheckInfo(
        CheckId.ROOT_HARDWARE_MFA,
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
        short="HWM",
    ),
    CheckInfo(
        CheckId.ROOT_NO_ACCESS_KEYS,
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
        short="KEY",
    ),
    CheckInfo(
        CheckId.ROOT_NO_SIGNING_CERTIFICATES,
        "Root user has no active X.509 signing certificate",
        Severity.HIGH,
        (),
        "Sign in as root, open Security credentials and delete the root X.509 signing "
        "certificates (or remove root credentials centrally with AWS Organizations).",
        short="CRT",
    ),
    CheckInfo(
        CheckId.ROOT_RECENT_USAGE,
        "Root user credentials were not used recently",
        Severity.HIGH,
        (_cis("1.2.0", "1.1"), _cis("1.4.0", "1.7"), _cis("3.0.0", "1.7")),
        "Investigate each recent root use (CloudTrail: userIdentity.type = Root). Do daily "
        "work with IAM roles; keep root for the few tasks that require it.",
        short="USE",
    ),
    CheckInfo(
        CheckId.ROOT_CENTRALIZED_ACCESS,
        "Centralized root access (RootCredentialsManagement) is enabled for the organization",
        Severity.MEDIUM,
        (_cis("7.0.0", "2.1.1"),),
        "In the management account: IAM > Root access management > Enable "
        "(iam:EnableOrganizationsRootCredentialsManagement), then delete member-account "
        "root credentials.",
        short="CRA",
    ),
    CheckInfo(
        CheckId.CLOUDTRAIL_MULTI_REGION,
        "A multi-region trail is logging all management events, read and write",
        Severity.HIGH,
        ("CloudTrail.1", _cis("1.2.0", "2.1"), _cis("1.4.0", "3.1"), _cis("3.0.0", "3.1")),
        "Create (or fix) a multi-region trail that is logging and records all management "
        "events (ReadWriteType All, no excluded event sources).",
        short="TRL",
    ),
    CheckInfo(
        CheckId.CLOUDTRAIL_LOG_VALIDATION,
        "The multi-region trail validates its log files",
        Severity.LOW,
        ("CloudTrail.4", _cis("1.2.0", "2.2"), _cis("1.4.0", "3.2"), _cis("3.0.0", "3.2")),
        "Enable log file validation on the trail (cloudtrail:UpdateTrail "
        "EnableLogFileValidation=true).",
        short="VAL",
    ),
    CheckInfo(
        CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
        "The multi-region trail delivers to CloudWatch Logs, recently",
        Severity.MEDIUM,
        ("CloudTrail.5", _cis("1.2.0", "2.4"), _cis("1.4.0", "3.4")),
        "Configure the trail's CloudWatch Logs log group and delivery role "
        "(cloudtrail:UpdateTrail CloudWatchLogsLogGroupArn / CloudWatchLogsRoleArn) and "
        "check the role can write to the group.",
        short="CWL",
    ),
    CheckInfo(
        CheckId.MONITORING_ROOT_METRIC_ALARM,
        "Root usage reaches a person: trail > log group > metric filter > alarm > SNS",
        Severity.HIGH,
        ("CloudWatch.1", _cis("1.2.0", "3.3"), _cis("1.4.0", "4.3"), _cis("3.0.0", "4.3")),
        "On the trail's log group, create a metric filter with the CIS pattern "
        f"{CIS_ROOT_FILTER_PATTERN}, an alarm on its metric (Sum >= 1 over one period) "
        "with an SNS alarm action, and confirm a subscription to that topic.",
        short="ALM",
    ),
    CheckInfo(
        CheckId.MONITORING_ROOT_EVENTBRIDGE,
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
        short="EVB",
    ),
    CheckInfo(
        CheckId.CONFIG_ROOT_RULES,
        "AWS Config is recording and evaluates the root MFA and root access key rules",
        Severity.LOW,
        ("Config.1", _cis("1.2.0", "2.5"), _cis("1.4.0", "3.5"), _cis("3.0.0", "3.3")),
        "Start a configuration recorder that records IAM (global) resources and add the "
        "AWS managed rules ROOT_ACCOUNT_MFA_ENABLED and IAM_ROOT_ACCESS_KEY_CHECK in its "
        "region.",
        short="CFG",
    ),
    CheckInfo(
        CheckId.MONITORING_ALERT_TOPIC_SECURE,
        "The root-alert SNS topic grants no one outside the account",
        Severity.HIGH,
        (),
        "Restrict the topic policy: allow publishing only to cloudwatch.amazonaws.com and "
        "events.amazonaws.com (with aws:SourceAccount = this account) and to principals of "
        "this account; remove statements granting other accounts or '*'.",
        short="TOP",
    ),
    CheckInfo(
        CheckId.ORGANIZATION_MEMBER_ROOT_NO_PASSWORD,
        "The member account's root user has no password (centralized root access)",
        Severity.HIGH,
        (),
        "From the management account (or the IAM delegated administrator): delete the "
        "member's root credentials with sts:AssumeRoot and the task policy "
        "IAMDeleteRootUserCredentials (IAM > Root access management > Take privileged "
        "action > Delete root user credentials).",
        "organization",
        short="MPW",
    ),
    CheckInfo(
        CheckId.ORGANIZATION_MEMBER_ROOT_NO_ACCESS_KEYS,
        "The member account's root user has no access key (centralized root access)",
        Severity.CRITICAL,
        (),
        "Move whatever uses the key to an IAM role, then delete the member's root "
        "credentials with sts:AssumeRoot and the task policy IAMDeleteRootUserCredentials.",
        "organization",
        short="MKY",
    ),
    CheckInfo(
        CheckId.ORGANIZATION_MEMBER_ROOT_NO_SIGNING_CERTIFICATES,
        "The member account's root user has no X.509 signing certificate (centralized root access)",
        Severity.HIGH,
        (),
        "Delete the member's root credentials with sts:AssumeRoot and the task policy "
        "IAMDeleteRootUserCredentials (signing certificates are deleted with them).",
        "organization",
        short="MCR",
    ),
    CheckInfo(
        CheckId.ORGANIZATION_ROOT_SESSIONS,
        "Privileged root actions in member accounts (RootSessions) are enabled",
        Severity.LOW,
        (),
        "In the management account: IAM > Root access management > enable Privileged "
        "root actions in member accounts (iam:EnableOrganizationsRootSessions), so that "
        "root-only tasks in members need no root credentials.",
        "organization",
        short="RSS",
    ),
    CheckInfo(
        CheckId.ORGANIZATION_DENY_ROOT_SCP,
        "A service control policy denies the member accounts' root users everything",
        Severity.MEDIUM,
        (),
        'Create an SCP that denies every action ("Action": "*", "Resource": "*") '
        "when aws:PrincipalArn is like arn:aws:iam::*:root — excepting centralized root "
        'sessions with "Null": {"aws:AssumedRoot": "true"} — and attach it to the '
        'organization root (AWS Control Tower\'s control "Disallow actions as a root user" '
        "is one).",
        "organization",
        short="SCP",
    ),
    CheckInfo(
        CheckId.ORGANIZATION_SECURITY_CONTACT,
        "The account has a security alternate contact",
        Severity.MEDIUM,
        ("Account.1", _cis("1.4.0", "1.2"), _cis("3.0.0", "1.2")),
        "Set the SECURITY alternate contact (account:PutAlternateContact, with AccountId "
        "for members from the management account once trusted access for AWS Account "
        "Management is enabled).",
        "organization",
        short="SEC",
    ),
)

CHECKS: Mapping[str, CheckInfo] = {info.check_id.value: info for info in _CHECK_LIST}
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
CHECK_ORDER = {check_id: i for i, check_id in enumerate(CHECK_IDS)}


def abbreviation(check_id: str) -> str:
    """The three-letter column name of a check in the organization matrix: its
    :attr:`CheckInfo.short`; for an id not in the catalogue, the first three letters of its
    last part, upper-cased."""
    info = CHECKS.get(check_id)
    return info.short if info is not None else check_id.rsplit(".", 1)[-1][:3].upper()


PLANNED_CHECKS: tuple[CheckId, ...] = (
    CheckId.CLOUDTRAIL_MULTI_REGION,
    CheckId.CLOUDTRAIL_LOG_VALIDATION,
    CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
    CheckId.MONITORING_ROOT_METRIC_ALARM,
    CheckId.MONITORING_ROOT_EVENTBRIDGE,
    CheckId.MONITORING_ALERT_TOPIC_SECURE,
    CheckId.CONFIG_ROOT_RULES,
)
"""The checks :func:`rootguard.plan` fixes (the actions of a plan make them pass); the
root credential checks it only reports as manual steps, and the organization checks it
leaves alone."""

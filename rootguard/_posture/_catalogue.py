"""The one catalogue of checks (pure): every check id, its title, severity,
control mappings and remediation, in report order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
from rootguard._models import Severity

__all__ = ["ACCOUNT_CHECK_IDS", "CHECKS", "CHECK_IDS", "ORGANIZATION_CHECK_IDS", "CheckInfo"]


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

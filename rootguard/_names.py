"""AWS's documented constraints on the names rootguard sends (pure).

Every name rootguard sends to AWS — a name the user gives (:class:`~rootguard.
RemediationOptions`, :func:`~rootguard.scan_organization`) or one rootguard builds from
its defaults — is checked here **before any call**, so that a bad name is a clear error
at once instead of an AWS ``ValidationException`` half-way through an apply (or a name
AWS would take and mean something else by, like an ARN where a role name belongs).

Each rule is AWS's (the API Reference's length limits and patterns, as published in the
service models, and the user guides' naming rules), plus one rule of rootguard's own for
every kind: no control characters (names are printed in plans, tables and logs).

Names read from the account (an adopted trail, an existing log group) are AWS's own and
are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "NAME_RULES",
    "NameRule",
    "check_name",
    "name_problem",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_KMS_ALIAS_BODY = r"alias/[A-Za-z0-9/_-]+"
_KMS_KEY = re.compile(
    rf"(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{{12}}:(?:key/(?:{_UUID}|mrk-[0-9a-f]{{32}})"
    rf"|{_KMS_ALIAS_BODY})|{_KMS_ALIAS_BODY}|{_UUID}|mrk-[0-9a-f]{{32}})"
)
# IAM's \w is ASCII (Java): [A-Za-z0-9_]
_IAM_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]+")
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_+=,.@:/-]+")
_IAM_PATH_PART = re.compile(r"[\x21-\x2e\x30-\x7e]+")  # printable ASCII but '/'


def _length(value: str, low: int, high: int) -> str | None:
    if not low <= len(value) <= high:
        return f"has {len(value)} characters; it must have {low} to {high}"
    return None


def _metric_filter_name(value: str) -> str | None:
    if problem := _length(value, 1, 512):
        return problem
    if ":" in value or "*" in value:
        return "must not contain ':' or '*'"
    return None


def _alarm_name(value: str) -> str | None:
    if problem := _length(value, 1, 255):
        return problem
    if not value.strip():
        return "must contain a character other than spaces"
    return None


def _rule_name(value: str) -> str | None:
    if problem := _length(value, 1, 64):
        return problem
    if not re.fullmatch(r"[.\-_A-Za-z0-9]+", value):
        return "may contain only letters, digits, '.', '-' and '_'"
    return None


def _topic_name(value: str) -> str | None:
    if problem := _length(value, 1, 256):
        return problem
    if value.endswith(".fifo"):
        return (
            "ends with .fifo, the suffix of FIFO topics; rootguard's alert topic is a "
            "standard topic"
        )
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        return "may contain only letters, digits, '-' and '_'"
    return None


def _trail_name(value: str) -> str | None:
    if problem := _length(value, 3, 128):
        return problem
    if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        return "may contain only letters, digits, '.', '_' and '-'"
    if not (value[0].isalnum() and value[-1].isalnum()):
        return "must start and end with a letter or digit"
    if re.search(r"[._-]{2}", value):
        return "must not have adjacent '.', '_' or '-' (like 'my-_trail' or 'my--trail')"
    if _IPV4.fullmatch(value):
        return "must not be an IP address"
    return None


_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket_name(value: str) -> str | None:
    if problem := _length(value, 3, 63):
        return problem
    if not re.fullmatch(r"[a-z0-9.-]+", value):
        return "may contain only lowercase letters, digits, '.' and '-'"
    if not (value[0].isalnum() and value[-1].isalnum()):
        return "must start and end with a lowercase letter or digit"
    if ".." in value:
        return "must not contain two adjacent periods"
    if ".-" in value or "-." in value:
        return "must not have '-' next to '.' (each label starts and ends with a letter or digit)"
    if _IPV4.fullmatch(value):
        return "must not be formatted as an IP address"
    if value.startswith(_BUCKET_PREFIXES):
        return "must not start with " + ", ".join(_BUCKET_PREFIXES) + " (reserved by S3)"
    if value.endswith(_BUCKET_SUFFIXES):
        return "must not end with " + ", ".join(_BUCKET_SUFFIXES) + " (reserved by S3)"
    return None


def _log_group_name(value: str) -> str | None:
    if problem := _length(value, 1, 512):
        return problem
    if not re.fullmatch(r"[.\-_/#A-Za-z0-9]+", value):
        return "may contain only letters, digits, '.', '-', '_', '/' and '#'"
    if value.startswith("aws/"):
        return "must not start with 'aws/' (reserved for AWS services)"
    return None


def _role_name(value: str) -> str | None:
    if problem := _length(value, 1, 64):
        return problem
    if not _IAM_NAME.fullmatch(value):
        return "may contain only letters, digits and '_+=,.@-'"
    return None


def _role_name_with_path(value: str) -> str | None:
    """A role name, optionally after an IAM path (``security/RootGuardAudit``)."""
    if value.startswith("arn:"):
        return "is an ARN; give the role's name (with its path, if any), not its ARN"
    parts = value.strip("/").split("/")
    if problem := _role_name(parts[-1]):
        return f"(the role name {parts[-1]!r}) {problem}"
    path = "/" + "/".join(parts[:-1]) + "/" if len(parts) > 1 else "/"
    if len(path) > 512:
        return "has a path longer than 512 characters"
    if any(not _IAM_PATH_PART.fullmatch(p) for p in parts[:-1]):
        return "has a path with an empty part or a character IAM does not allow"
    return None


def _session_name(value: str) -> str | None:
    if problem := _length(value, 2, 64):
        return problem
    if not _IAM_NAME.fullmatch(value):
        return "may contain only letters, digits and '_+=,.@-'"
    return None


def _external_id(value: str) -> str | None:
    if problem := _length(value, 2, 1224):
        return problem
    if not _EXTERNAL_ID.fullmatch(value):
        return "may contain only letters, digits and '_+=,.@:/-'"
    return None


def _metric_name(value: str) -> str | None:
    if problem := _length(value, 1, 255):
        return problem
    if not re.fullmatch(r"[\x20-\x7e]+", value) or not value.strip():
        return "must be printable ASCII with a character other than spaces"
    if any(c in value for c in ":*$"):
        return "must not contain ':', '*' or '$' (CloudWatch Logs metric transformations)"
    return None


def _metric_namespace(value: str) -> str | None:
    if problem := _length(value, 1, 255):
        return problem
    if not re.fullmatch(r"[A-Za-z0-9./#_ -]+", value) or not value.strip():
        return (
            "may contain only letters, digits, '.', '-', '_', '/', '#' and spaces (CloudWatch "
            "also allows ':', which CloudWatch Logs metric filters do not)"
        )
    if value.startswith("AWS/"):
        return "must not start with 'AWS/' (reserved for AWS services)"
    return None


def _kms_key_id(value: str) -> str | None:
    if problem := _length(value, 1, 2048):
        return problem
    if not _KMS_KEY.fullmatch(value):
        return "is not a KMS key id, key ARN, alias name or alias ARN"
    return None


def _kms_alias(value: str) -> str | None:
    if problem := _length(value, 7, 256):
        return problem
    if not re.fullmatch(_KMS_ALIAS_BODY, value):
        return "must be 'alias/' followed by letters, digits, '/', '_' or '-'"
    if value.startswith("alias/aws/"):
        return "must not start with 'alias/aws/' (reserved for AWS managed keys)"
    return None


def _config_name(value: str) -> str | None:
    if problem := _length(value, 1, 128):
        return problem
    if not value.strip():
        return "must contain a character other than spaces"
    return None


@dataclass(frozen=True)
class NameRule:
    """One kind of name AWS constrains."""

    kind: str
    """rootguard's id of the kind (``trail_name`` …)."""
    what: str
    """What it names, for messages (``CloudTrail trail name``)."""
    check: Callable[[str], str | None]
    """The problem with a value (None: valid)."""
    source: str
    """Where AWS documents the constraint."""


NAME_RULES: dict[str, NameRule] = {
    rule.kind: rule
    for rule in (
        NameRule(
            "metric_filter_name",
            "CloudWatch Logs metric filter name",
            _metric_filter_name,
            "CloudWatch Logs API Reference, PutMetricFilter filterName: 1-512, pattern [^:*]*",
        ),
        NameRule(
            "alarm_name",
            "CloudWatch alarm name",
            _alarm_name,
            "CloudWatch API Reference, PutMetricAlarm AlarmName: 1-255",
        ),
        NameRule(
            "rule_name",
            "EventBridge rule name",
            _rule_name,
            "EventBridge API Reference, PutRule Name: 1-64, pattern [\\.\\-_A-Za-z0-9]+",
        ),
        NameRule(
            "target_id",
            "EventBridge target id",
            _rule_name,
            "EventBridge API Reference, Target Id: 1-64, pattern [\\.\\-_A-Za-z0-9]+",
        ),
        NameRule(
            "topic_name",
            "SNS topic name",
            _topic_name,
            "SNS API Reference, CreateTopic Name: 1-256 ASCII letters, digits, '_', '-'; "
            "FIFO topic ends with .fifo",
        ),
        NameRule(
            "trail_name",
            "CloudTrail trail name",
            _trail_name,
            "CloudTrail User Guide, naming requirements for CloudTrail resources",
        ),
        NameRule(
            "bucket_name",
            "S3 bucket name",
            _bucket_name,
            "Amazon S3 User Guide, general purpose bucket naming rules",
        ),
        NameRule(
            "log_group_name",
            "CloudWatch Logs log group name",
            _log_group_name,
            "CloudWatch Logs API Reference, CreateLogGroup logGroupName: 1-512, pattern "
            "[\\.\\-_/#A-Za-z0-9]+; names starting with aws/ are reserved",
        ),
        NameRule(
            "role_name",
            "IAM role name",
            _role_name,
            "IAM API Reference, CreateRole RoleName: 1-64, pattern [\\w+=,.@-]+",
        ),
        NameRule(
            "role_name_with_path",
            "IAM role name (optionally with its path)",
            _role_name_with_path,
            "IAM API Reference, CreateRole RoleName (1-64, [\\w+=,.@-]+) and Path "
            "(1-512, printable ASCII between slashes)",
        ),
        NameRule(
            "policy_name",
            "IAM inline policy name",
            lambda v: (
                _length(v, 1, 128)
                or (
                    None
                    if _IAM_NAME.fullmatch(v)
                    else "may contain only letters, digits and '_+=,.@-'"
                )
            ),
            "IAM API Reference, PutRolePolicy PolicyName: 1-128, pattern [\\w+=,.@-]+",
        ),
        NameRule(
            "role_session_name",
            "STS role session name",
            _session_name,
            "STS API Reference, AssumeRole RoleSessionName: 2-64, pattern [\\w+=,.@-]*",
        ),
        NameRule(
            "external_id",
            "STS external id",
            _external_id,
            "STS API Reference, AssumeRole ExternalId: 2-1224, pattern [\\w+=,.@:\\/-]*",
        ),
        NameRule(
            "metric_name",
            "CloudWatch metric name",
            _metric_name,
            "CloudWatch API Reference, PutMetricAlarm MetricName: 1-255; CloudWatch Logs "
            "MetricTransformation metricName: at most 255, pattern [^:*$]*",
        ),
        NameRule(
            "metric_namespace",
            "CloudWatch metric namespace",
            _metric_namespace,
            "CloudWatch User Guide (namespaces: letters, digits, . - _ / # : and spaces; "
            "AWS/ reserved); CloudWatch Logs MetricTransformation metricNamespace: pattern "
            "[^:*$]*",
        ),
        NameRule(
            "kms_key_id",
            "KMS key id, key ARN, alias name or alias ARN",
            _kms_key_id,
            "KMS API Reference, KeyId: key id, key ARN, alias name or alias ARN",
        ),
        NameRule(
            "kms_alias",
            "KMS alias name",
            _kms_alias,
            "KMS API Reference, CreateAlias AliasName: 1-256, alias/ prefix, letters, "
            "digits, '/', '_', '-'; alias/aws/ reserved",
        ),
        NameRule(
            "config_rule_name",
            "AWS Config rule name",
            _config_name,
            "AWS Config API Reference, ConfigRule ConfigRuleName: 1-128, pattern .*\\S.*",
        ),
        NameRule(
            "config_recorder_name",
            "AWS Config recorder or delivery channel name",
            lambda v: _length(v, 1, 256),
            "AWS Config API Reference, ConfigurationRecorder name: 1-256",
        ),
    )
}
"""Every kind of name rootguard sends, with AWS's constraint and where it is documented."""


def name_problem(kind: str, value: object) -> str | None:
    """What is wrong with ``value`` as a name of ``kind`` (:data:`NAME_RULES`); None when
    it is valid. Not a string, and control characters, are problems for every kind.

    Examples:
        >>> name_problem("metric_filter_name", "a:b")
        "must not contain ':' or '*'"
        >>> name_problem("rule_name", "rootguard-root-activity") is None
        True
    """
    rule = NAME_RULES[kind]
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    if _CONTROL.search(value):
        return "contains a control character (a newline, a tab …)"
    return rule.check(value)


def check_name(kind: str, value: object, *, field: str | None = None) -> str:
    """``value`` when it is a valid name of ``kind``; else ``ValueError`` saying what is
    wrong, naming ``field`` (the parameter or option) when given.

    Examples:
        >>> check_name("trail_name", "rootguard")
        'rootguard'
        >>> check_name("trail_name", "my--trail", field="trail_name")
        Traceback (most recent call last):
        ...
        ValueError: trail_name 'my--trail' is not a valid CloudTrail trail name: ...
    """
    problem = name_problem(kind, value)
    if problem is None:
        return str(value)
    rule = NAME_RULES[kind]
    shown = (
        repr(value) if not isinstance(value, str) or len(value) <= 80 else repr(value[:77] + "...")
    )
    label = f"{field} {shown}" if field else shown
    raise ValueError(f"{label} is not a valid {rule.what}: it {problem}")

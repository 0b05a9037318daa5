"""AWS's documented constraints on every name rootguard sends (rootguard._names), the
options that carry them, and a property: whatever valid options are given, every name in
every action of the plan satisfies AWS's constraints — the names rootguard builds from its
defaults and suffixes included."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rootguard._names
from rootguard import PlanError
from rootguard._names import NAME_RULES, check_name, name_problem
from rootguard._remediation._actions import ApiAction, CreateKey
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._plan import Plan
from rootguard._remediation._planner import plan
from rootguard._snapshot import AccountSnapshot, RegionSnapshot
from tests.snapshot_builders import ACCOUNT, HOME, SECOND, good_snapshot, with_topic_key
from tests.strategies import rm_snapshots

VALID: dict[str, list[str]] = {
    "metric_filter_name": ["rootguard-root-account-usage", "f", "Root usage (CIS 4.3)", "é" * 512],
    "alarm_name": ["a", "CIS 4.3 \u2013 root usage", "x" * 255],
    "rule_name": ["r", "root.activity_1-x", "r" * 64],
    "target_id": ["rootguard-alert-topic"],
    "topic_name": ["t", "root_alerts-1", "t" * 256],
    "trail_name": ["abc", "org.root-trail_1", "a" * 128, "192.168.5"],
    "bucket_name": ["abc", "my-logs.example-1", "a" * 63, "1.2.3"],
    "log_group_name": ["/aws/cloudtrail/root#1", "g", "a" * 512, "aws"],
    "role_name": ["r", "OrganizationAccountAccessRole", "a+=,.@_-b", "r" * 64],
    "role_name_with_path": ["Role", "security/RootGuardAudit", "/a/b/Role/"],
    "policy_name": ["rootguard", "p" * 128],
    "role_session_name": ["rg", "rootguard", "a+=,.@-_", "s" * 64],
    "external_id": ["ab", "urn:example:x/y", "e" * 1224],
    "metric_name": ["RootAccountUsage", "a b", "m" * 255],
    "metric_namespace": ["RootGuard", "CIS/Benchmark #1", "n" * 255],
    "kms_key_id": [
        "alias/cloudtrail",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:111122223333:alias/x",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
    ],
    "kms_alias": ["alias/a", "alias/team/alerts_1-x", "alias/" + "a" * 250],
    "config_rule_name": ["root-account-mfa-enabled", "r" * 128],
    "config_recorder_name": ["default", "d" * 256],
}

INVALID: dict[str, list[Any]] = {
    "metric_filter_name": ["", "a:b", "a*b", "f" * 513, "a\nb", 7],
    "alarm_name": ["", "   ", "x" * 256, "tab\there"],
    "rule_name": ["", "r" * 65, "root rule", "a/b", "ü"],
    "target_id": ["", "a b"],
    "topic_name": ["", "t" * 257, "alerts.fifo", "a.b", "a b"],
    "trail_name": ["ab", "a" * 129, "-trail", "trail-", "my--trail", "my-_trail", "192.168.5.4",
                   "a b"],
    "bucket_name": ["ab", "a" * 64, "Upper", "-abc", "abc-", "a..b", "a.-b", "192.168.5.4",
                    "xn--abc", "sthree-abc", "amzn-s3-demo-x", "abc-s3alias", "abc--ol-s3",
                    "abc.mrap", "abc--x-s3", "abc--table-s3", "a_b"],
    "log_group_name": ["", "a" * 513, "bad name", "aws/reserved", "a:b"],
    "role_name": ["", "r" * 65, "a b", "a/b", "é", "*"],
    "role_name_with_path": ["", "*", "a\nb", "r" * 200,
                            "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole",
                            "a//b", "a b"],
    "policy_name": ["", "p" * 129, "a b"],
    "role_session_name": ["", "s", "s" * 65, "a b", "a:b"],
    "external_id": ["", "e", "e" * 1225, "a b", "a;b"],
    "metric_name": ["", " ", "a:b", "a*b", "a$b", "m" * 256, "é"],
    "metric_namespace": ["", " ", "AWS/Logs", "a:b", "a*b", "a$b", "n" * 256, "é"],
    "kms_key_id": ["", "not a key", "alias/", "key/1234", "arn:aws:kms:us-east-1:1:key/x"],
    "kms_alias": ["", "rootguard", "alias/", "alias/aws/sns", "alias/a b", "alias/a:b",
                  "alias/" + "a" * 251],
    "config_rule_name": ["", " ", "r" * 129],
    "config_recorder_name": ["", "d" * 257],
}  # fmt: skip


def _cases(table: dict[str, list[Any]]) -> Iterator[tuple[str, Any]]:
    for kind, values in table.items():
        for value in values:
            yield kind, value


def test_every_rule_has_examples_and_a_documented_source() -> None:
    assert set(VALID) == set(INVALID) == set(NAME_RULES)
    for rule in NAME_RULES.values():
        assert rule.source
        assert rule.what[0].isupper() or rule.what[0].isalpha()


@pytest.mark.parametrize(("kind", "value"), list(_cases(VALID)))
def test_valid_names(kind: str, value: str) -> None:
    assert name_problem(kind, value) is None
    assert check_name(kind, value) == value


@pytest.mark.parametrize(("kind", "value"), list(_cases(INVALID)))
def test_invalid_names(kind: str, value: Any) -> None:
    problem = name_problem(kind, value)
    assert problem is not None
    with pytest.raises(ValueError, match=NAME_RULES[kind].what.split(" (")[0]):
        check_name(kind, value, field="the_option")


def test_messages_name_the_option_and_the_reason() -> None:
    with pytest.raises(ValueError, match=r"metric_filter_name 'a:b' .* must not contain ':'"):
        check_name("metric_filter_name", "a:b", field="metric_filter_name")
    with pytest.raises(ValueError, match="control character"):
        check_name("alarm_name", "line\nbreak")
    long = "x" * 500
    with pytest.raises(ValueError) as raised:
        check_name("rule_name", long)
    assert len(str(raised.value)) < 300  # long values are shortened in the message


def test_docstring_examples_run() -> None:
    result = doctest.testmod(rootguard._names, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# ---------------------------------------------------------------- every planned name


def _valid(kind: str, strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return strategy.filter(lambda v: name_problem(kind, v) is None)


_TEXT = st.characters(exclude_categories=("Cc", "Cs"))
options_strategy = st.fixed_dictionaries(
    {},
    optional={
        "trail_name": _valid(
            "trail_name", st.from_regex(r"[A-Za-z0-9](?:[._-]?[A-Za-z0-9]){2,40}", fullmatch=True)
        ),
        "bucket_name": _valid(
            "bucket_name", st.from_regex(r"[a-z0-9](?:[.-]?[a-z0-9]){2,40}", fullmatch=True)
        ),
        "log_group_name": _valid(
            "log_group_name", st.from_regex(r"[A-Za-z0-9._/#-]{1,60}", fullmatch=True)
        ),
        "alert_topic_name": _valid(
            "topic_name", st.from_regex(r"[A-Za-z0-9_-]{1,60}", fullmatch=True)
        ),
        "rule_name": _valid("rule_name", st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True)),
        "metric_filter_name": _valid("metric_filter_name", st.text(_TEXT, min_size=1, max_size=60)),
        "alarm_name": _valid("alarm_name", st.text(_TEXT, min_size=1, max_size=60)),
        "metric_name": _valid("metric_name", st.from_regex(r"[\x20-\x7e]{1,60}", fullmatch=True)),
        "metric_namespace": _valid(
            "metric_namespace", st.from_regex(r"[A-Za-z0-9./#_ -]{1,60}", fullmatch=True)
        ),
        "alert_topic_key_alias": _valid(
            "kms_alias", st.from_regex(r"alias/[A-Za-z0-9/_-]{1,40}", fullmatch=True)
        ),
        "kms_key_id": st.sampled_from(VALID["kms_key_id"]),
        "enable_hardware_mfa_rule": st.booleans(),
        "home_region": st.sampled_from([HOME, SECOND]),
    },
)

# (action kind, path to a name in its params, kind of name)
_NAMES: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "CreateBucket": [(("Bucket",), "bucket_name")],
    "PutBucketTagging": [(("Bucket",), "bucket_name")],
    "PutPublicAccessBlock": [(("Bucket",), "bucket_name")],
    "PutBucketEncryption": [(("Bucket",), "bucket_name")],
    "PutBucketPolicy": [(("Bucket",), "bucket_name")],
    "CreateLogGroup": [(("logGroupName",), "log_group_name")],
    "PutRetentionPolicy": [(("logGroupName",), "log_group_name")],
    "CreateRole": [(("RoleName",), "role_name")],
    "PutRolePolicy": [(("RoleName",), "role_name"), (("PolicyName",), "policy_name")],
    "CreateTrail": [
        (("Name",), "trail_name"),
        (("S3BucketName",), "bucket_name"),
        (("KmsKeyId",), "kms_key_id"),
    ],
    "PutMetricFilter": [
        (("filterName",), "metric_filter_name"),
        (("logGroupName",), "log_group_name"),
        (("metricTransformations", "*", "metricName"), "metric_name"),
        (("metricTransformations", "*", "metricNamespace"), "metric_namespace"),
    ],
    "CreateTopic": [(("Name",), "topic_name")],
    "PutMetricAlarm": [
        (("AlarmName",), "alarm_name"),
        (("MetricName",), "metric_name"),
        (("Namespace",), "metric_namespace"),
    ],
    "PutRule": [(("Name",), "rule_name")],
    "PutTargets": [(("Rule",), "rule_name"), (("Targets", "*", "Id"), "target_id")],
    "PutConfigurationRecorder": [(("ConfigurationRecorder", "name"), "config_recorder_name")],
    "PutDeliveryChannel": [
        (("DeliveryChannel", "name"), "config_recorder_name"),
        (("DeliveryChannel", "s3BucketName"), "bucket_name"),
    ],
    "StartConfigurationRecorder": [(("ConfigurationRecorderName",), "config_recorder_name")],
    "PutConfigRule": [(("ConfigRule", "ConfigRuleName"), "config_rule_name")],
    "SetTopicEncryption": [(("AttributeValue",), "kms_key_id")],
}


def _values(params: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        yield params
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for item in params if isinstance(params, list) else []:
            yield from _values(item, rest)
    elif isinstance(params, dict) and head in params:
        yield from _values(params[head], rest)


def planned_names(p: Plan) -> Iterator[tuple[str, str, Any]]:
    """(action id, kind of name, value) of every name the plan's actions send."""
    for action in p.api_actions:
        for path, kind in _NAMES.get(action.kind, []):
            for value in _values(action.params, path):
                yield action.id, kind, value
        if isinstance(action, CreateKey):
            yield action.id, "kms_alias", action.alias_name


def _empty(region: str) -> RegionSnapshot:
    return RegionSnapshot(
        region=region,
        trails=[],
        log_groups=[],
        alarms=[],
        topics=[],
        event_rules=[],
        config_recorders=[],
        config_rules=[],
        delivery_channels=[],
    )


EMPTY = AccountSnapshot(
    account_id=ACCOUNT,
    regions=[HOME, SECOND],
    trails=[],
    region_data={HOME: _empty(HOME), SECOND: _empty(SECOND)},
    account_summary={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
)
TOPIC = f"arn:aws:sns:{HOME}:{ACCOUNT}:root-alerts"
SEALED = with_topic_key(good_snapshot(), "alias/aws/sns")


def _check_plan(snapshot: AccountSnapshot, options: RemediationOptions) -> int:
    try:
        p = plan(snapshot, options)
    except PlanError:
        return 0
    seen = 0
    for action_id, kind, value in planned_names(p):
        seen += 1
        assert name_problem(kind, value) is None, (action_id, kind, value)
    return seen


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=options_strategy, snapshot=rm_snapshots())
def test_every_name_in_every_planned_action_is_valid(
    fields: dict[str, Any], snapshot: AccountSnapshot
) -> None:
    options = RemediationOptions(alert_emails=("secops@example.com",), **fields)
    assert _check_plan(EMPTY, options) > 10  # an empty account plans every piece
    named = options.model_copy(update={"alert_topic_arn": TOPIC, "home_region": None})
    _check_plan(SEALED, named)  # the KMS key and the topic's encryption
    _check_plan(snapshot, options)


def test_the_default_names_are_valid_everywhere() -> None:
    options = RemediationOptions(alert_emails=("secops@example.com",))
    for snapshot in (EMPTY, SEALED):
        assert _check_plan(snapshot, options.model_copy(update={"alert_topic_arn": TOPIC})) >= 0
    kinds = {kind for _, kind, _ in planned_names(plan(EMPTY, options))}
    assert {"bucket_name", "trail_name", "role_name", "rule_name", "metric_filter_name"} <= kinds
    key_plan = plan(SEALED, options.model_copy(update={"alert_topic_arn": TOPIC}))
    assert any(isinstance(a, CreateKey) for a in key_plan.api_actions)
    assert all(isinstance(a, ApiAction) for a in key_plan.api_actions)

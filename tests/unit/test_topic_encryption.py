"""An alert topic encrypted with the AWS managed key ``alias/aws/sns`` cannot receive what
CloudWatch alarms and EventBridge rules publish (its key policy cannot grant them the key):
the alerting checks fail on it, and the plan moves the topic to a customer managed key
whose policy lets them use it (Amazon SNS Developer Guide, "Enable compatibility between
event sources from AWS services and encrypted topics")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rootguard import PlanError
from rootguard._judge import (
    PUBLISHING_SERVICES,
    SNS_KEY_ACTIONS,
    is_aws_managed_sns_key,
    key_policy_missing_services,
    topic_encryption,
)
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Finding, Status
from rootguard._posture._report import Report
from rootguard._remediation._actions import ApiAction, ChangeType, CreateKey, SetTopicEncryption
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._plan import Plan
from rootguard._remediation._planner import plan
from rootguard._snapshot import AccountSnapshot, SnsTopic
from tests.snapshot_builders import (
    ACCOUNT,
    HOME,
    NOW,
    SECOND,
    TOPIC_ARN,
    TOPIC_ARN_2,
    denied,
    good_snapshot,
    topic,
    with_gap,
    with_region,
    with_topic_key,
)

MANAGED = "alias/aws/sns"
MANAGED_ARN = f"arn:aws:kms:{HOME}:{ACCOUNT}:alias/aws/sns"
CUSTOMER_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
CUSTOMER_KEY_ARN = f"arn:aws:kms:{HOME}:{ACCOUNT}:key/{CUSTOMER_KEY_ID}"
NAMED = RemediationOptions(alert_emails=("secops@example.com",), alert_topic_arn=TOPIC_ARN)


def report(snap: AccountSnapshot) -> Report:
    return evaluate(snap, now=NOW)


def one(rep: Report, check_id: str, region: str | None = None) -> Finding:
    found = [f for f in rep.by_check(check_id) if region is None or f.region == region]
    assert len(found) == 1, found
    return found[0]


def kinds(p: Plan) -> list[str]:
    return [a.kind for a in p.actions]


def only(p: Plan, kind: str) -> ApiAction:
    found = [a for a in p.api_actions if a.kind == kind]
    assert len(found) == 1, [a.id for a in found]
    return found[0]


# ------------------------------------------------------------------------------ judge


@pytest.mark.parametrize(
    ("key", "managed"),
    [
        (MANAGED, True),
        (MANAGED_ARN, True),
        (f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:alias/aws/sns", True),
        (f" {MANAGED} ", True),
        (CUSTOMER_KEY_ID, False),  # could be the managed key's id: not knowable offline
        (CUSTOMER_KEY_ARN, False),
        ("alias/aws/sns-copy", False),
        ("alias/rootguard-alert-topic", False),
        (f"arn:aws:kms:{HOME}:{ACCOUNT}:alias/aws/snsx", False),
        ("alias/aws/SNS", False),  # alias names are case-sensitive
        ("", False),
        (None, False),
    ],
)
def test_aws_managed_key_is_recognised_by_its_alias_forms(key: str | None, managed: bool) -> None:
    assert is_aws_managed_sns_key(key) is managed


def test_topic_encryption_states() -> None:
    bare = SnsTopic(topic_arn=TOPIC_ARN, region=HOME)
    assert topic_encryption(bare).state == "unknown"  # attributes not read: never guessed
    assert topic_encryption(bare).services_can_publish is None
    assert topic_encryption(topic()).state == "unencrypted"  # policy read, no key
    by_attributes = bare.model_copy(update={"attributes": {"KmsMasterKeyId": MANAGED}})
    assert topic_encryption(by_attributes).state == "aws_managed"
    managed = topic_encryption(topic(kms_master_key_id=MANAGED_ARN))
    assert (managed.state, managed.services_can_publish) == ("aws_managed", False)
    assert "AWS managed key" in managed.why()
    customer = topic_encryption(topic(kms_master_key_id=CUSTOMER_KEY_ARN))
    assert (customer.state, customer.services_can_publish) == ("customer_managed", True)
    assert customer.evidence()["kms_master_key_id"] == CUSTOMER_KEY_ARN


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _grant(service: str, actions: Any, effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Principal": {"Service": service}, "Action": actions, "Resource": "*"}


@pytest.mark.parametrize(
    ("policy", "missing"),
    [
        (_policy(), list(PUBLISHING_SERVICES)),
        (None, list(PUBLISHING_SERVICES)),
        (
            _policy(*(_grant(s, list(SNS_KEY_ACTIONS)) for s in PUBLISHING_SERVICES)),
            [],
        ),
        (
            _policy(
                _grant(
                    list(PUBLISHING_SERVICES),  # type: ignore[arg-type]
                    ["kms:GenerateDataKey", "kms:Decrypt"],
                )
            ),
            [],
        ),
        (_policy(_grant("cloudwatch.amazonaws.com", "kms:*")), ["events.amazonaws.com"]),
        (
            _policy(_grant("events.amazonaws.com", "kms:Decrypt")),  # no GenerateDataKey
            list(PUBLISHING_SERVICES),
        ),
        (
            _policy(*(_grant(s, "kms:*", effect="Deny") for s in PUBLISHING_SERVICES)),
            list(PUBLISHING_SERVICES),
        ),
        (
            _policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ),
            list(PUBLISHING_SERVICES),
        ),
    ],
)
def test_key_policy_grants_are_judged_per_service(policy: Any, missing: list[str]) -> None:
    assert key_policy_missing_services(policy) == missing


# ------------------------------------------------------------------------------ checks


@pytest.mark.parametrize("key", [MANAGED, MANAGED_ARN])
def test_aws_managed_key_fails_the_alerting_checks_with_evidence(key: str) -> None:
    snap = with_topic_key(good_snapshot(), key)
    rep = report(snap)
    chain = one(rep, "monitoring.root_metric_alarm")
    assert chain.status is Status.FAIL
    assert chain.evidence["topics_with_aws_managed_key"] == [
        {"topic": TOPIC_ARN, "kms_master_key_id": key}
    ]
    assert "AWS managed key" in chain.detail
    rule = one(rep, "monitoring.root_eventbridge", HOME)
    assert rule.status is Status.FAIL
    assert rule.evidence["topics_with_aws_managed_key"] == [
        {"topic": TOPIC_ARN, "kms_master_key_id": key}
    ]
    # the other region alerts through its own (unencrypted) topic
    other = one(rep, "monitoring.root_eventbridge", SECOND)
    assert other.status is Status.PASS
    assert "topics_with_aws_managed_key" not in other.evidence
    # the policy check judges grants only: the key is evidence there, not a verdict
    secure = one(rep, "monitoring.alert_topic_secure", HOME)
    assert secure.status is Status.PASS
    assert secure.evidence["encryption"]["encryption"] == "aws_managed"
    assert "AWS managed key" in secure.detail


def test_clean_snapshot_carries_no_key_evidence() -> None:
    rep = report(good_snapshot())
    assert one(rep, "monitoring.root_metric_alarm").status is Status.PASS
    assert "topics_with_aws_managed_key" not in one(rep, "monitoring.root_metric_alarm").evidence
    secure = one(rep, "monitoring.alert_topic_secure", HOME)
    assert secure.evidence["encryption"]["encryption"] == "unencrypted"


@pytest.mark.parametrize("key", [CUSTOMER_KEY_ID, CUSTOMER_KEY_ARN, "alias/team-sns"])
def test_customer_managed_key_passes(key: str) -> None:
    rep = report(with_topic_key(with_topic_key(good_snapshot(), key), key, region=SECOND))
    assert one(rep, "monitoring.root_metric_alarm").status is Status.PASS
    assert {f.status for f in rep.by_check("monitoring.root_eventbridge")} == {Status.PASS}


def test_second_topic_on_the_managed_key_is_not_a_failure_when_another_alerts() -> None:
    snap = good_snapshot()
    alarm = snap.region_data[HOME].alarms[0]  # type: ignore[index]
    second = topic(f"arn:aws:sns:{HOME}:{ACCOUNT}:sealed", kms_master_key_id=MANAGED)
    snap = with_region(
        snap,
        HOME,
        topics=[*snap.region_data[HOME].topics, second],  # type: ignore[misc]
        alarms=[alarm.model_copy(update={"alarm_actions": [second.topic_arn, TOPIC_ARN]})],
    )
    chain = one(report(snap), "monitoring.root_metric_alarm")
    assert chain.status is Status.PASS  # the working topic still delivers
    assert chain.evidence["topics_with_aws_managed_key"][0]["topic"] == second.topic_arn


def test_unread_attributes_make_the_chain_unknown_not_pass() -> None:
    unread = [
        t.model_copy(update={"policy": None, "attributes": None, "kms_master_key_id": None})
        for t in good_snapshot().region_data[HOME].topics or []
    ]
    snap = with_gap(
        with_region(good_snapshot(), HOME, topics=unread),
        denied("sns", "GetTopicAttributes", HOME, resource=TOPIC_ARN),
    )
    rep = report(snap)
    chain = one(rep, "monitoring.root_metric_alarm")
    assert chain.status is Status.UNKNOWN
    assert "sns:GetTopicAttributes" in chain.detail
    assert one(rep, "monitoring.root_eventbridge", HOME).status is Status.UNKNOWN
    assert one(rep, "monitoring.root_eventbridge", SECOND).status is Status.PASS


def test_managed_key_fails_even_when_subscriptions_were_not_read() -> None:
    sealed = [
        t.model_copy(update={"subscriptions": None, "kms_master_key_id": MANAGED})
        for t in good_snapshot().region_data[HOME].topics or []
    ]
    snap = with_gap(
        with_region(good_snapshot(), HOME, topics=sealed),
        denied("sns", "ListSubscriptionsByTopic", HOME, resource=TOPIC_ARN),
    )
    # the key alone stops delivery: a definite FAIL, whatever the subscribers
    assert one(report(snap), "monitoring.root_metric_alarm").status is Status.FAIL


# ------------------------------------------------------------------------------ plan


def _applied(snap: AccountSnapshot, p: Plan) -> AccountSnapshot:
    """The snapshot as apply would leave the alert topic: on rootguard's key."""
    encryption = next(a for a in p.api_actions if isinstance(a, SetTopicEncryption))
    return with_topic_key(snap, encryption.params["AttributeValue"])


def test_plan_moves_a_named_topic_to_a_customer_managed_key() -> None:
    snap = with_topic_key(good_snapshot(), MANAGED)
    p = plan(snap, NAMED)
    key = only(p, "CreateKey")
    assert isinstance(key, CreateKey)
    assert key.region == HOME
    assert key.alias_name == "alias/rootguard-alert-topic"
    assert key.resource == f"arn:aws:kms:{HOME}:{ACCOUNT}:alias/rootguard-alert-topic"
    assert key.params["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert {"TagKey": "rootguard:managed", "TagValue": "true"} in key.params["Tags"]
    policy = json.loads(key.params["Policy"])
    assert key_policy_missing_services(policy) == []  # CloudWatch and EventBridge may use it
    admin = policy["Statement"][0]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}  # not locked out
    assert all("Condition" not in st for st in policy["Statement"])
    assert key.note is not None
    assert "$1" in key.note
    encryption = only(p, "SetTopicEncryption")
    assert encryption.change is ChangeType.UPDATE
    assert encryption.depends_on == (key.id,)
    assert encryption.params == {
        "TopicArn": TOPIC_ARN,
        "AttributeName": "KmsMasterKeyId",
        "AttributeValue": "alias/rootguard-alert-topic",
    }
    assert {"monitoring.root_metric_alarm", "monitoring.root_eventbridge"} <= set(key.fixes)
    # never weakened: the topic stays encrypted, nothing is removed
    assert not any(
        a.params.get("AttributeName") == "KmsMasterKeyId" and not a.params.get("AttributeValue")
        for a in p.api_actions
    )
    # once applied, the checks pass and a new plan has nothing more for the key
    after = _applied(snap, p)
    rep = report(after)
    assert one(rep, "monitoring.root_metric_alarm").status is Status.PASS
    assert one(rep, "monitoring.root_eventbridge", HOME).status is Status.PASS
    again = plan(after, NAMED)
    assert not {"CreateKey", "SetTopicEncryption"} & set(kinds(again))


def test_plan_fixes_rootguards_own_topic_on_the_managed_key() -> None:
    ours = f"arn:aws:sns:{HOME}:{ACCOUNT}:rootguard-root-activity"
    snap = good_snapshot()
    home = snap.region_data[HOME]
    snap = with_region(
        snap,
        HOME,
        topics=[topic(ours)],
        alarms=[a.model_copy(update={"alarm_actions": [ours]}) for a in home.alarms or []],
        event_rules=[
            r.model_copy(
                update={"targets": [t.model_copy(update={"arn": ours}) for t in r.targets]}
            )
            for r in home.event_rules or []
            if r.targets is not None
        ],
    )
    options = RemediationOptions(alert_emails=("secops@example.com",))
    assert not {"CreateKey", "SetTopicEncryption"} & set(kinds(plan(snap, options)))
    sealed = with_topic_key(snap, MANAGED)
    p = plan(sealed, options)
    assert {"CreateKey", "SetTopicEncryption"} <= set(kinds(p))
    assert "CreateTopic" not in kinds(p)
    assert only(p, "SetTopicEncryption").resource == ours
    custom = options.model_copy(update={"alert_topic_key_alias": "alias/team/alerts"})
    assert only(plan(sealed, custom), "CreateKey").params["Tags"][1]["TagValue"] == (
        "alias/team/alerts"
    )


def test_someone_elses_sealed_topic_is_not_changed() -> None:
    # Not the alert topic of the options: rootguard builds its own chain and leaves it be.
    snap = with_topic_key(good_snapshot(), MANAGED)
    p = plan(snap, RemediationOptions(alert_emails=("secops@example.com",)))
    assert "CreateKey" not in kinds(p)
    assert not any(a.resource == TOPIC_ARN for a in p.api_actions)
    assert {"CreateTopic", "PutMetricAlarm"} <= set(kinds(p))


def test_unread_topic_attributes_plan_no_key() -> None:
    unread = [
        t.model_copy(update={"policy": None, "attributes": None, "kms_master_key_id": None})
        for t in good_snapshot().region_data[HOME].topics or []
    ]
    snap = with_gap(
        with_region(good_snapshot(), HOME, topics=unread),
        denied("sns", "GetTopicAttributes", HOME, resource=TOPIC_ARN),
    )
    p = plan(snap, NAMED)
    assert not {"CreateKey", "SetTopicEncryption"} & set(kinds(p))
    assert p.blocked  # what depends on the unread attributes is blocked, not guessed


def test_key_alias_option_is_validated() -> None:
    for bad in ("rootguard", "alias/aws/mine", "alias/", "alias/a b", "alias/" + "a" * 251):
        with pytest.raises(PlanError, match="alert_topic_key_alias"):
            RemediationOptions(alert_topic_key_alias=bad)
    assert RemediationOptions(alert_topic_key_alias="alias/a/b_c-d").alert_topic_key_alias


def test_second_region_topic_is_judged_in_its_region() -> None:
    snap = with_topic_key(good_snapshot(), MANAGED, region=SECOND)
    rep = report(snap)
    assert one(rep, "monitoring.root_eventbridge", SECOND).status is Status.FAIL
    assert one(rep, "monitoring.root_eventbridge", SECOND).evidence[
        "topics_with_aws_managed_key"
    ] == [{"topic": TOPIC_ARN_2, "kms_master_key_id": MANAGED}]
    assert one(rep, "monitoring.root_metric_alarm").status is Status.PASS

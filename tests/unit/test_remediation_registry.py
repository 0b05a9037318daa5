"""Every remediation action class is wired up in one place each: it is in the ``Action``
union, has an apply handler (registered by class), declares the IAM actions apply needs
(granted by the remediate policy) and has a row in docs/remediation.md."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest

from rootguard._permissions import (
    CHECK_ACTIONS,
    REMEDIATE_ACTIONS,
    iam_action,
    required_permissions,
)
from rootguard._remediation._actions import (
    ACTION_CLASSES,
    API_ACTION_CLASSES,
    Action,
    ApiAction,
    BaseAction,
    CreateKey,
    ManualStep,
    SetTopicEncryption,
)
from rootguard._remediation._handling import HANDLERS, handler_for
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._org_actions import (
    ORGANIZATION_ACTION_CLASSES,
    ORGANIZATION_API_ACTION_CLASSES,
    ROOT_DELETE_SESSION_ACTIONS,
    OrganizationAction,
    RootSessionAction,
)
from rootguard._remediation._org_apply import apply_organization  # registers its handlers
from rootguard._remediation._planner import plan
from rootguard._snapshot import AccountSnapshot
from tests.snapshot_builders import ACCOUNT, HOME, TOPIC_ARN, good_snapshot, with_topic_key

DOCS = Path(__file__).resolve().parents[2] / "docs" / "remediation.md"


def _doc_rows() -> dict[str, str]:
    """Action class name → its IAM-actions cell, from the docs' action reference table."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Action reference", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|$", section, flags=re.MULTILINE)
    return dict(rows)


def _remediate_grants(mode: str = "remediate") -> set[str]:
    granted: set[str] = set()
    for statement in required_permissions(mode)["Statement"]:  # type: ignore[arg-type]
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    return granted


ALL_API_CLASSES = (*API_ACTION_CLASSES, *ORGANIZATION_API_ACTION_CLASSES)


def test_the_action_union_holds_exactly_the_action_classes() -> None:
    union = typing.get_args(typing.get_args(Action)[0])
    assert set(union) == set(ACTION_CLASSES)
    assert len(union) == len(ACTION_CLASSES)
    assert ManualStep in ACTION_CLASSES
    assert all(issubclass(c, ApiAction) for c in API_ACTION_CLASSES)


def test_the_organization_action_union_holds_exactly_its_classes() -> None:
    union = typing.get_args(typing.get_args(OrganizationAction)[0])
    assert set(union) == set(ORGANIZATION_ACTION_CLASSES)
    assert len(union) == len(ORGANIZATION_ACTION_CLASSES)
    assert not set(ORGANIZATION_API_ACTION_CLASSES) & set(API_ACTION_CLASSES)
    assert callable(apply_organization)


@pytest.mark.parametrize("action_class", ALL_API_CLASSES, ids=lambda c: c.__name__)
def test_every_api_action_class_has_a_handler(action_class: type[ApiAction]) -> None:
    assert action_class in HANDLERS
    assert callable(HANDLERS[action_class])


def test_no_handler_is_registered_for_anything_else() -> None:
    assert set(HANDLERS) == set(ALL_API_CLASSES)


def test_a_subclass_finds_its_base_class_handler() -> None:
    base = API_ACTION_CLASSES[0]
    sub = type("Sub", (base,), {"__module__": __name__})
    fields = {
        "id": "x",
        "region": HOME,
        "resource": "r",
        "description": "d",
        "params": {},
        "permissions": ("s3:CreateBucket",),
    }
    assert handler_for(sub(**fields)) is HANDLERS[base]


@pytest.mark.parametrize("action_class", ALL_API_CLASSES, ids=lambda c: c.__name__)
def test_every_api_action_class_declares_granted_permissions(
    action_class: type[ApiAction],
) -> None:
    declared = action_class.IAM_ACTIONS
    assert declared, f"{action_class.__name__} declares no IAM action"
    assert len(set(declared)) == len(declared)
    fields = action_class.model_fields
    operation = iam_action(fields["service"].default, fields["operation"].default)
    assert operation in declared
    if action_class in ORGANIZATION_API_ACTION_CLASSES:
        granted = _remediate_grants("organization-remediate")
        if issubclass(action_class, RootSessionAction):
            # the caller may AssumeRoot; the task policy scopes what the session does
            assert "sts:AssumeRoot" in declared
            granted |= set(ROOT_DELETE_SESSION_ACTIONS)
        assert set(declared) <= granted
        # the account-level policy never grants an organization-level write
        assert operation not in _remediate_grants("remediate")
    else:
        assert set(declared) <= _remediate_grants()


def test_remediate_actions_are_derived_from_the_action_classes() -> None:
    declared = {p for c in API_ACTION_CLASSES for p in c.IAM_ACTIONS}
    assert set(REMEDIATE_ACTIONS) <= declared
    conditioned = {"iam:PassRole", "iam:CreateServiceLinkedRole"}
    assert declared - set(REMEDIATE_ACTIONS) <= set(CHECK_ACTIONS) | conditioned


def test_manual_steps_need_no_permission() -> None:
    assert ManualStep.IAM_ACTIONS == ()
    assert not issubclass(ManualStep, ApiAction)
    assert issubclass(ManualStep, BaseAction)


def test_every_action_class_has_a_docs_entry_naming_its_permissions() -> None:
    rows = _doc_rows()
    assert set(rows) == {c.__name__ for c in (*ACTION_CLASSES, *ORGANIZATION_ACTION_CLASSES)}
    for action_class in ALL_API_CLASSES:
        cell = re.findall(r"`([^`]+)`", rows[action_class.__name__])
        assert tuple(cell) == action_class.IAM_ACTIONS, action_class.__name__


def test_planned_permissions_are_within_the_class_declarations() -> None:
    collections = ("trails", "log_groups", "alarms", "topics", "event_rules")
    config = ("config_recorders", "config_rules", "delivery_channels")
    region: dict[str, Any] = {"region": HOME, **{key: [] for key in (*collections, *config)}}
    snap = AccountSnapshot(
        account_id=ACCOUNT, regions=[HOME], trails=[], region_data={HOME: region}
    )
    p = plan(snap, RemediationOptions(alert_emails=("secops@example.com",)))
    # a good account whose alert topic is on the AWS managed key needs the key actions
    keyed = plan(
        with_topic_key(good_snapshot(), "alias/aws/sns"),
        RemediationOptions(alert_topic_arn=TOPIC_ARN),
    )
    actions = (*p.api_actions, *keyed.api_actions)
    kinds = {type(a) for a in actions}
    assert {CreateKey, SetTopicEncryption} <= kinds
    assert len(kinds) >= 20  # most kinds of action are planned
    for action in actions:
        extra = set(action.permissions) - set(type(action).IAM_ACTIONS)
        assert extra <= set(CHECK_ACTIONS), (action.id, extra)

"""required_permissions(): the documents, the operation → IAM action mapping, and the
published copies in docs/remediation.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import rootguard
from rootguard._permissions import iam_action

DOC = Path(__file__).resolve().parents[2] / "docs" / "remediation.md"


@pytest.mark.parametrize(
    ("service", "operation", "action"),
    [
        ("cloudwatch-logs", "PutMetricFilter", "logs:PutMetricFilter"),
        ("logs", "DescribeLogGroups", "logs:DescribeLogGroups"),
        ("cloudwatch", "PutMetricAlarm", "cloudwatch:PutMetricAlarm"),
        ("eventbridge", "PutTargets", "events:PutTargets"),
        ("config-service", "PutConfigRule", "config:PutConfigRule"),
        ("s3", "HeadBucket", "s3:ListBucket"),
        ("s3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        ("s3", "PutBucketEncryption", "s3:PutEncryptionConfiguration"),
        ("iam", "CreateRole", "iam:CreateRole"),
    ],
)
def test_iam_action_of_an_operation(service: str, operation: str, action: str) -> None:
    assert iam_action(service, operation) == action


@pytest.mark.parametrize("mode", ["check", "remediate"])
def test_docs_publish_the_current_policies(mode: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f'### `required_permissions("{mode}")`', 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == rootguard.required_permissions(mode)


def test_check_policy_is_read_only() -> None:
    (statement,) = rootguard.required_permissions("check")["Statement"]
    verbs = {a.split(":")[1] for a in statement["Action"]}
    assert all(v.startswith(("Get", "List", "Describe", "Lookup", "Generate")) for v in verbs)


def test_organization_policy_is_check_plus_listing_and_assuming() -> None:
    check = rootguard.required_permissions("check")["Statement"]
    org = rootguard.required_permissions("organization")["Statement"]
    assert org[: len(check)] == check
    extra = {a for s in org[len(check) :] for a in s["Action"]}
    assert extra == {
        "organizations:DescribeOrganization",
        "organizations:ListAccounts",
        "sts:AssumeRole",
        "sts:GetCallerIdentity",
    }


def test_unknown_mode_raises_a_rootguard_error() -> None:
    with pytest.raises(rootguard.RootGuardError, match="organization"):
        rootguard.required_permissions("admin")  # type: ignore[arg-type]


def test_archives_doc_publishes_the_athena_policy() -> None:
    text = (DOC.parent / "archives.md").read_text(encoding="utf-8")
    section = text.split('### `required_permissions("athena")`', 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == rootguard.required_permissions("athena")


def test_athena_policy_is_athena_glue_and_s3_only() -> None:
    statements = rootguard.required_permissions("athena")["Statement"]
    services = {a.split(":")[0] for s in statements for a in s["Action"]}
    assert services == {"athena", "glue", "s3"}
    athena = {a for s in statements for a in s["Action"] if a.startswith("athena:")}
    # the hunt and the table lookups; nothing that deletes or changes a workgroup
    assert athena == {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
        "athena:GetDatabase",
        "athena:GetTableMetadata",
    }


def test_organizations_doc_publishes_the_audit_policy() -> None:
    text = (DOC.parent / "organizations.md").read_text(encoding="utf-8")
    section = text.split('### `required_permissions("organization-audit")`', 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == rootguard.required_permissions("organization-audit")


def test_organization_audit_policy_is_organization_plus_reads_and_assume_root() -> None:
    org = rootguard.required_permissions("organization")["Statement"]
    audit = rootguard.required_permissions("organization-audit")["Statement"]
    assert audit[: len(org)] == org
    extra = audit[len(org) :]
    reads = {a for s in extra if isinstance(s["Action"], list) for a in s["Action"]}
    verbs = {a.split(":")[1] for a in reads}
    assert all(v.startswith(("Get", "List", "Describe")) for v in verbs)
    [assume] = [s for s in extra if s["Action"] == "sts:AssumeRoot"]
    assert assume["Resource"] == "arn:aws:iam::*:root"
    assert assume["Condition"] == {
        "StringEquals": {
            "sts:TaskPolicyArn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
        }
    }


def test_organizations_doc_publishes_the_remediate_policy() -> None:
    text = (DOC.parent / "organizations.md").read_text(encoding="utf-8")
    section = text.split('### `required_permissions("organization-remediate")`', 1)[1]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None
    assert json.loads(block.group(1)) == rootguard.required_permissions("organization-remediate")


def test_organization_remediate_policy_is_audit_plus_org_writes_and_scoped_assume_root() -> None:
    audit = rootguard.required_permissions("organization-audit")["Statement"]
    remediate = rootguard.required_permissions("organization-remediate")["Statement"]
    assert remediate[: len(audit)] == audit
    extra = remediate[len(audit) :]
    writes = {a for s in extra if isinstance(s["Action"], list) for a in s["Action"]}
    # nothing that deletes, detaches or disables at organization level
    verbs = {a.split(":")[1] for a in writes}
    assert not any(v.startswith(("Delete", "Detach", "Disable", "Remove")) for v in verbs)
    assert "organizations:AttachPolicy" in writes
    [assume] = [s for s in extra if s["Action"] == "sts:AssumeRoot"]
    assert assume["Condition"] == {
        "StringEquals": {
            "sts:TaskPolicyArn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
        }
    }
    # the account-level remediate policy grants none of it
    account = {
        a
        for s in rootguard.required_permissions("remediate")["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not writes & account

"""Organization planner family (pure): a deny-root service control policy over every
member account the ``organization.deny_root_scp`` check finds uncovered.

Where the check fails, the plan enables the SCP policy type (when it is off), adopts a
policy already read that :func:`~rootguard.scp_denies_root` finds denying the root users
of every uncovered member (without denying centralized root sessions) or creates
rootguard's own, and attaches it to the parent (OU, or the organization's root) of each
uncovered member. Members whose coverage could not be read are blocked, never guessed."""

from __future__ import annotations

import json
from typing import Any

from rootguard._errors import ParseError
from rootguard._member_root_models import (
    SCP_CHECK,
    MemberRootStatus,
    NodeKind,
    ServiceControlPolicy,
)
from rootguard._posture._models import Status
from rootguard._remediation._actions import BlockedKind
from rootguard._remediation._org_actions import (
    AttachDenyRootPolicy,
    CreateDenyRootPolicy,
    EnableScpPolicyType,
)
from rootguard._remediation._org_context import OrgPlanContext
from rootguard._scp import scp_denies_root
from rootguard._snapshot import Gap

__all__ = ["SCP_TYPE", "deny_root_policy", "plan_deny_root_scp"]

SCP_TYPE = "SERVICE_CONTROL_POLICY"


def deny_root_policy(partition: str = "aws") -> dict[str, Any]:
    """rootguard's deny-root service control policy: member root users are denied
    everything, except in centralized root sessions (``sts:AssumeRoot``, which set
    ``aws:AssumedRoot``), so the management account can still act on them."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RootGuardDenyMemberRoot",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"aws:PrincipalArn": f"arn:{partition}:iam::*:root"},
                    "Null": {"aws:AssumedRoot": "true"},
                },
            }
        ],
    }


def _qualifies(ctx: OrgPlanContext, policy: ServiceControlPolicy, accounts: list[str]) -> bool:
    if policy.content is None or policy.aws_managed:
        return False
    for account_id in accounts:
        try:
            verdict = scp_denies_root(
                policy.content,
                account_id=account_id,
                partition=ctx.partition,
                organization_id=ctx.audit.organization_id,
            )
        except ParseError:
            return False
        if not verdict.denies_root or verdict.blocks_root_sessions:
            return False
    return True


def plan_deny_root_scp(ctx: OrgPlanContext) -> None:
    """The family's entry (see the module documentation)."""
    if not ctx.opts.deny_root_scp:
        return
    finding = ctx.finding(SCP_CHECK)
    if finding is None or finding.status in (Status.PASS, Status.NOT_APPLICABLE):
        return
    audit = ctx.audit
    if audit.scp_enabled is None or audit.nodes is None:
        ctx.block(
            BlockedKind.DENY_ROOT_SCP,
            "organization",
            resource=ctx.org_arn,
            description="the deny-root service control policy: the organization's tree "
            "could not be read",
            gaps=ctx.gaps_of("ListRoots"),
            permissions=("organizations:ListRoots",),
            fixes=(SCP_CHECK,),
            actions=("EnableScpPolicyType", "CreateDenyRootPolicy", "AttachDenyRootPolicy"),
        )
        return
    nodes = {n.id: n for n in audit.nodes}
    root = next((n for n in audit.nodes if n.kind is NodeKind.ROOT), None)
    if root is None:  # pragma: no cover - the audit always has the root when it has nodes
        return
    # member account → "FAIL" | "UNKNOWN" (PASS ones need nothing)
    states: dict[str, str] = {}
    if not audit.scp_enabled:
        for m in audit.members:
            if not m.management and m.status is not MemberRootStatus.SKIPPED:
                states[m.account_id] = "FAIL"
    else:
        for account_id, verdict in (finding.evidence.get("accounts") or {}).items():
            if verdict.get("status") in ("FAIL", "UNKNOWN"):
                states[account_id] = verdict["status"]
    targets: dict[str, list[str]] = {}
    unknown: list[str] = []
    for account_id, state in sorted(states.items()):
        node = nodes.get(account_id)
        parent = nodes.get(node.parent_id or "") if node is not None else None
        if state == "UNKNOWN" or parent is None:
            unknown.append(account_id)
            continue
        targets.setdefault(parent.id, []).append(account_id)
    if unknown:
        _block_unknown(ctx, unknown)
    if not targets:
        return
    depends: tuple[str, ...] = ()
    if not audit.scp_enabled:
        depends = (
            ctx.add(
                EnableScpPolicyType(
                    id=ctx.aid("EnableScpPolicyType", root.id),
                    region=None,
                    resource=root.id,
                    description="enable service control policies in the organization "
                    "(AWS attaches FullAWSAccess everywhere: nothing is denied yet)",
                    fixes=(SCP_CHECK,),
                    params={"RootId": root.id, "PolicyType": SCP_TYPE},
                    permissions=EnableScpPolicyType.IAM_ACTIONS[::-1],
                )
            ),
        )
    failing = sorted(a for accounts in targets.values() for a in accounts)
    existing = sorted(
        (p for p in audit.policies if _qualifies(ctx, p, failing)),
        key=lambda p: (p.name != ctx.opts.deny_root_scp_name, p.policy_id),
    )
    policy_ref: dict[str, str]
    if existing:
        chosen = existing[0]
        policy_ref = {"PolicyId": chosen.policy_id}
        label = f"{chosen.name or chosen.policy_id} ({chosen.policy_id})"
    else:
        name = ctx.opts.deny_root_scp_name
        depends = (
            ctx.add(
                CreateDenyRootPolicy(
                    id=ctx.aid("CreateDenyRootPolicy", name),
                    region=None,
                    resource=name,
                    description=f"create the service control policy {name}: member root "
                    "users are denied everything outside centralized root sessions",
                    fixes=(SCP_CHECK,),
                    depends_on=depends,
                    params={
                        "Name": name,
                        "Description": "rootguard: deny member account root users "
                        "(centralized root sessions excepted)",
                        "Type": SCP_TYPE,
                        "Content": json.dumps(deny_root_policy(ctx.partition)),
                    },
                    permissions=CreateDenyRootPolicy.IAM_ACTIONS[::-1],
                )
            ),
        )
        policy_ref = {"PolicyName": name}
        label = name
    for target, accounts in sorted(targets.items()):
        node = nodes[target]
        what = "the organization's root" if node.kind is NodeKind.ROOT else f"OU {target}"
        ctx.add(
            AttachDenyRootPolicy(
                id=ctx.aid("AttachDenyRootPolicy", target),
                region=None,
                resource=target,
                description=f"attach {label} to {what} ({node.name or target}): it holds "
                f"{len(accounts)} member account(s) without a deny-root policy",
                fixes=(SCP_CHECK,),
                depends_on=depends,
                params={**policy_ref, "TargetId": target},
                permissions=AttachDenyRootPolicy.IAM_ACTIONS[::-1],
                note="covers every account under the target; the management account is "
                "never restricted by service control policies",
            )
        )


def _block_unknown(ctx: OrgPlanContext, accounts: list[str]) -> None:
    """One blocked item for the members whose coverage could not be read, with the
    failed reads of the tree and policies."""
    tree_ops = {
        "ListOrganizationalUnitsForParent",
        "ListAccountsForParent",
        "ListPoliciesForTarget",
        "DescribePolicy",
    }
    gaps: list[Gap] = [g for g in ctx.audit.gaps if g.operation in tree_ops]
    ctx.block(
        BlockedKind.DENY_ROOT_SCP,
        "unknown-members",
        resource=ctx.org_arn,
        description="the deny-root service control policy for "
        f"{len(accounts)} member account(s) whose policies could not all be read: "
        + ", ".join(accounts[:6])
        + (" …" if len(accounts) > 6 else ""),
        gaps=gaps,
        permissions=() if gaps else ("organizations:ListPoliciesForTarget",),
        fixes=(SCP_CHECK,),
        actions=("AttachDenyRootPolicy",),
    )

"""audit_member_roots: the root user of every member account, through sts:AssumeRoot (I/O).

With centralized root access, the management account (or the IAM delegated
administrator) opens a short privileged session on a member account's root user with
``sts:AssumeRoot`` and an AWS task policy. The audit uses the read-only one,
``IAMAuditRootUserCredentials``, and with it reads the root user's login profile, access
keys (and their last use), MFA devices and signing certificates — calls made without a
``UserName``, so that they are about the root user itself.

The caller's session also reads, once, the centralized root access features
(``iam:ListOrganizationsFeatures``), the organization's tree with its service control
policies, and each account's SECURITY alternate contact. One task per account runs on an
executor exactly as in :func:`rootguard.scan_organization` (picklable settings, sessions
built where the task runs); the pure :class:`~rootguard.MemberRootAudit` judges the
result.

Failures are isolated the same way: the scan's own identification and account listing
are all-or-nothing (:class:`~rootguard.CollectError`); ``sts:AssumeRoot`` failing in any
way is that account's error naming ``sts:AssumeRoot``; any read that fails after it — in
the member, or of the organization — is a gap that makes what it feeds UNKNOWN, never
"no credentials".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import boto3
from botocore.credentials import Credentials

from rootguard._account_failure import AccountFailure
from rootguard._aws import (
    CREDENTIAL_ERRORS,
    ClientFactory,
    GapRecorder,
    MalformedResponse,
    caller_identity,
    error_code,
    error_message,
    expect,
    paginate,
    session_credentials,
    unique,
)
from rootguard._errors import ArgumentError, count, endpoint, name_list
from rootguard._member_root_report import (
    AUDIT_TASK_POLICY,
    MemberRoot,
    MemberRootAudit,
    MemberRootStatus,
    NodeKind,
    OrganizationNode,
    RootAccessKey,
    RootMfaDevice,
    RootSigningCertificate,
    SecurityContact,
    ServiceControlPolicy,
)
from rootguard._org_tasks import (
    CALL_FAILURES,
    caller_settings,
    list_accounts,
    read_organization,
    run_account_tasks,
    skip_reason,
    valid_account_id,
)
from rootguard._permissions import ORGANIZATION_AUDIT_CALLER_ACTIONS
from rootguard._sessions import SessionHook, SessionSettings, cached_client, forget, new_session
from rootguard._time import utc_now

if TYPE_CHECKING:
    from mypy_boto3_account import AccountClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_sts import STSClient

__all__ = ["AUDIT_CALLER_ACTIONS", "audit_member_roots", "audit_task_policy_arn"]

logger = logging.getLogger(__name__)

AUDIT_CALLER_ACTIONS: tuple[str, ...] = ORGANIZATION_AUDIT_CALLER_ACTIONS
"""The IAM actions the caller's credentials need for the audit."""

SCP_TYPE = "SERVICE_CONTROL_POLICY"
IAM_PRINCIPAL = "iam.amazonaws.com"
TREE_WORKERS = 8
"""Organization-tree reads (``ListPoliciesForTarget``, ``DescribePolicy``) made at once."""


def audit_task_policy_arn(partition: str = "aws") -> str:
    """The ARN of the AWS task policy the audit's root sessions use."""
    return f"arn:{partition}:iam::aws:policy/root-task/{AUDIT_TASK_POLICY}"


# --------------------------------------------------------------------------- task data


@dataclass(frozen=True)
class _RootTask:
    """Everything a task needs to audit one account (picklable)."""

    account_id: str
    caller: SessionSettings
    """The caller's credentials, home region, endpoint, retry configuration and session
    hook; their key is the audit's: its tasks share the caller's clients in each process."""
    caller_account: str
    home_region: str
    partition: str = "aws"
    name: str | None = None
    email: str | None = None
    state: str | None = None
    management: bool = False
    audit_root: bool = True
    """False: read only the security contact (the management account)."""
    duration_seconds: int | None = None


def _caller_clients(task: _RootTask) -> tuple[STSClient, AccountClient]:
    """The caller's STS client (AssumeRoot, at the home region's endpoint: the global
    endpoint does not serve it) and Account Management client: one pair per audit and
    process, shared by that audit's tasks."""
    return (
        cached_client(task.caller, "sts", task.home_region, checked=True),
        cached_client(task.caller, "account", task.home_region, checked=True),
    )


# --------------------------------------------------------------------------- one account


def _entry(task: _RootTask, **fields: Any) -> MemberRoot:
    return MemberRoot(
        account_id=task.account_id,
        name=task.name,
        email=task.email,
        state=task.state,
        management=task.management,
        **fields,
    )


def _error(task: _RootTask, operation: str, code: str, message: str, **fields: Any) -> MemberRoot:
    error = AccountFailure(operation=operation, error_code=code, message=message)
    logger.warning("account %s: root user not audited: %s", task.account_id, error.describe())
    return _entry(
        task, status=MemberRootStatus.ERROR, error=error, reason=error.describe(), **fields
    )


def _audit_account(task: _RootTask) -> MemberRoot:
    """Audit one account; never raises (every failure becomes the account's error)."""
    try:
        return _audit_account_unguarded(task)
    except Exception as exc:  # one account must never stop the others
        logger.warning("account %s: unexpected failure", task.account_id, exc_info=True)
        return _error(task, "audit", error_code(exc), error_message(exc))


def _read_contact(
    task: _RootTask, account: AccountClient, recorder: GapRecorder
) -> tuple[SecurityContact, ...] | None:
    params: dict[str, Any] = {"AlternateContactType": "SECURITY"}
    if task.account_id != task.caller_account:
        params["AccountId"] = task.account_id  # not for the caller's own account

    def read() -> tuple[SecurityContact, ...]:
        found = expect(account.get_alternate_contact(**params), "AlternateContact", dict)
        return (
            SecurityContact(
                name=_text(found, "Name"),
                title=_text(found, "Title"),
                email_address=_text(found, "EmailAddress"),
                phone_number=_text(found, "PhoneNumber"),
            ),
        )

    attempt = recorder.attempt(
        "account",
        "GetAlternateContact",
        None,
        read,
        resource=task.account_id,
        quiet={"ResourceNotFoundException"},
    )
    if attempt.ok:
        return attempt.value
    if attempt.error_code == "ResourceNotFoundException":
        return ()  # no SECURITY contact set
    return None


def _text(answer: dict[str, Any], key: str) -> str | None:
    value = answer.get(key)
    if value is None or isinstance(value, str):
        return value
    raise MalformedResponse(f"{key} is a {type(value).__name__}, not a str")


def _assume_root(sts: STSClient, task: _RootTask) -> Credentials:
    """The root session's credentials; raises (any failure is the caller's to report)."""
    params: dict[str, Any] = {
        "TargetPrincipal": task.account_id,
        "TaskPolicyArn": {"arn": audit_task_policy_arn(task.partition)},
    }
    if task.duration_seconds:
        params["DurationSeconds"] = task.duration_seconds
    found = expect(sts.assume_root(**params), "Credentials", dict)
    keys = {
        "access_key": expect(found, "AccessKeyId", str),
        "secret_key": expect(found, "SecretAccessKey", str),
        "token": expect(found, "SessionToken", str),
    }
    empty = [name for name, value in keys.items() if not value.strip()]
    if empty:
        raise MalformedResponse(f"the root session's credentials have an empty {empty[0]}")
    expect(found, "Expiration", datetime)
    return Credentials(keys["access_key"], keys["secret_key"], keys["token"], method="assume-root")


def _audit_account_unguarded(task: _RootTask) -> MemberRoot:
    sts, account = _caller_clients(task)
    caller_gaps = GapRecorder()
    contact = _read_contact(task, account, caller_gaps)
    if not task.audit_root:
        return _entry(
            task,
            status=MemberRootStatus.SKIPPED,
            reason="the management account: sts:AssumeRoot reaches member accounts only "
            "(its root user is judged by the account's own root.* checks)",
            security_contact=contact,
            gaps=tuple(caller_gaps.gaps),
        )
    try:
        credentials = _assume_root(sts, task)
    except (*CREDENTIAL_ERRORS, *CALL_FAILURES) as exc:
        return _error(
            task,
            "sts:AssumeRoot",
            error_code(exc),
            error_message(exc),
            security_contact=contact,
            gaps=tuple(caller_gaps.gaps),
        )
    session = new_session(task.caller, credentials)
    factory = ClientFactory(session)
    try:
        identity = factory.client("sts", task.home_region).get_caller_identity()
        account_of_session = expect(identity, "Account", str)
    except (*CREDENTIAL_ERRORS, *CALL_FAILURES) as exc:
        return _error(
            task,
            "sts:GetCallerIdentity",
            error_code(exc),
            error_message(exc),
            security_contact=contact,
            gaps=tuple(caller_gaps.gaps),
        )
    if account_of_session != task.account_id:
        return _error(
            task,
            "sts:AssumeRoot",
            "AccountMismatch",
            f"the root session belongs to account {account_of_session[:40]}",
            security_contact=contact,
            gaps=tuple(caller_gaps.gaps),
        )
    recorder = GapRecorder()
    facts = _read_root(factory.client("iam", task.home_region), recorder)
    logger.info(
        "audited the root user of account %s (%d gaps)", task.account_id, len(recorder.gaps)
    )
    return _entry(
        task,
        status=MemberRootStatus.AUDITED,
        security_contact=contact,
        gaps=(*caller_gaps.gaps, *recorder.gaps),
        **facts,
    )


def _read_root(iam: IAMClient, recorder: GapRecorder) -> dict[str, Any]:
    """The root user's credentials, read in its own (root) session: each call that
    fails is a gap and leaves its fact None."""
    facts: dict[str, Any] = {}

    def login_profile() -> datetime | None:
        profile = expect(iam.get_login_profile(), "LoginProfile", dict)
        created = profile.get("CreateDate")
        if created is not None and not isinstance(created, datetime):
            raise MalformedResponse("CreateDate is not a time")
        return created

    login = recorder.attempt("iam", "GetLoginProfile", None, login_profile, quiet={"NoSuchEntity"})
    if login.ok:
        facts["password"] = True
        facts["password_created"] = login.value
    elif login.error_code == "NoSuchEntity":
        facts["password"] = False  # the root user has no console password

    keys = recorder.call(
        "iam",
        "ListAccessKeys",
        None,
        lambda: [_key_entry(e) for e in paginate(iam, "ListAccessKeys", "AccessKeyMetadata")],
    )
    if keys is not None:
        facts["access_keys"] = tuple(_key_usage(iam, recorder, key) for key in keys)
    devices = recorder.call(
        "iam",
        "ListMFADevices",
        None,
        lambda: tuple(
            RootMfaDevice(serial_number=expect(d, "SerialNumber", str), enabled=d.get("EnableDate"))
            for d in paginate(iam, "ListMFADevices", "MFADevices")
        ),
    )
    if devices is not None:
        facts["mfa_devices"] = devices
    certificates = recorder.call(
        "iam",
        "ListSigningCertificates",
        None,
        lambda: tuple(
            RootSigningCertificate(
                certificate_id=expect(c, "CertificateId", str),
                status=expect(c, "Status", str),
                uploaded=c.get("UploadDate"),
            )
            for c in paginate(iam, "ListSigningCertificates", "Certificates")
        ),
    )
    if certificates is not None:
        facts["signing_certificates"] = certificates
    return facts


def _key_entry(entry: dict[str, Any]) -> RootAccessKey:
    return RootAccessKey(
        access_key_id=expect(entry, "AccessKeyId", str),
        status=expect(entry, "Status", str),
        created=entry.get("CreateDate"),
    )


def _key_usage(iam: IAMClient, recorder: GapRecorder, key: RootAccessKey) -> RootAccessKey:
    def read() -> dict[str, Any]:
        found = expect(
            iam.get_access_key_last_used(AccessKeyId=key.access_key_id), "AccessKeyLastUsed", dict
        )
        used = found.get("LastUsedDate")
        if used is not None and not isinstance(used, datetime):
            raise MalformedResponse("LastUsedDate is not a time")
        return {
            "last_used": used,
            "last_used_service": _usage_text(found, "ServiceName"),
            "last_used_region": _usage_text(found, "Region"),
        }

    usage = recorder.attempt("iam", "GetAccessKeyLastUsed", None, read, resource=key.access_key_id)
    if usage.value is None:
        return key.model_copy(update={"usage_read": False})
    return key.model_copy(update=usage.value)


def _usage_text(answer: dict[str, Any], key: str) -> str | None:
    value = _text(answer, key)
    return None if value in (None, "", "N/A") else value


# --------------------------------------------------------------------------- organization


def _read_features(iam: IAMClient, recorder: GapRecorder) -> tuple[str, ...] | None:
    def read() -> tuple[str, ...]:
        features = expect(iam.list_organizations_features(), "EnabledFeatures", list)
        if not all(isinstance(f, str) for f in features):
            raise MalformedResponse("EnabledFeatures has an entry that is not text")
        return tuple(features)

    return recorder.call("iam", "ListOrganizationsFeatures", None, read)


def _read_trusted_access(organizations: OrganizationsClient, recorder: GapRecorder) -> bool | None:
    """Whether ``iam.amazonaws.com`` has trusted access (None: the read failed)."""

    def read() -> bool:
        listed = paginate(
            organizations, "ListAWSServiceAccessForOrganization", "EnabledServicePrincipals"
        )
        return any(expect(e, "ServicePrincipal", str) == IAM_PRINCIPAL for e in listed)

    return recorder.call("organizations", "ListAWSServiceAccessForOrganization", None, read)


def _node(entry: dict[str, Any], kind: NodeKind, parent: str | None) -> OrganizationNode:
    node_id = expect(entry, "Id", str)
    if kind is NodeKind.ACCOUNT and not valid_account_id(node_id):
        raise MalformedResponse(f"Accounts has an Id {node_id[:40]!r} that is not 12 digits")
    return OrganizationNode(id=node_id, kind=kind, name=_text(entry, "Name"), parent_id=parent)


def _children(
    organizations: OrganizationsClient, parent: str, kind: NodeKind
) -> list[OrganizationNode]:
    """The OUs (or accounts) directly under ``parent``."""
    operation, key = (
        ("ListOrganizationalUnitsForParent", "OrganizationalUnits")
        if kind is NodeKind.ORGANIZATIONAL_UNIT
        else ("ListAccountsForParent", "Accounts")
    )
    return [
        _node(e, kind, parent) for e in paginate(organizations, operation, key, ParentId=parent)
    ]


def _attached_policies(organizations: OrganizationsClient, target: str) -> tuple[str, ...]:
    """The ids of the service control policies attached to ``target`` itself."""
    listed = paginate(
        organizations, "ListPoliciesForTarget", "Policies", TargetId=target, Filter=SCP_TYPE
    )
    return tuple(expect(p, "Id", str) for p in listed)


def _read_tree(
    organizations: OrganizationsClient,
    recorder: GapRecorder,
    members: set[str],
    workers: int = TREE_WORKERS,
) -> tuple[bool | None, tuple[OrganizationNode, ...] | None, tuple[ServiceControlPolicy, ...]]:
    """(SCPs enabled, the tree's nodes, the SCPs) — each part that could not be read None
    (the gap recorded) and the rest read. The SCPs attached are read for the nodes on the
    paths of ``members`` only (the accounts to judge, their OUs, the root), ``workers``
    calls at a time."""

    def roots() -> tuple[OrganizationNode, bool]:
        listed = paginate(organizations, "ListRoots", "Roots")
        if not listed:
            raise MalformedResponse("ListRoots gave no root")
        root = listed[0]
        types = root.get("PolicyTypes") or []
        if not isinstance(types, list):
            raise MalformedResponse("PolicyTypes is not a list")
        enabled = any(
            isinstance(t, dict) and t.get("Type") == SCP_TYPE and t.get("Status") == "ENABLED"
            for t in types
        )
        return _node(root, NodeKind.ROOT, None), enabled

    found = recorder.call("organizations", "ListRoots", None, roots)
    if found is None:
        return None, None, ()
    root, enabled = found
    nodes: dict[str, OrganizationNode] = {root.id: root}
    queue = [root.id]
    while queue:
        parent = queue.pop(0)
        ous = recorder.call(
            "organizations",
            "ListOrganizationalUnitsForParent",
            None,
            partial(_children, organizations, parent, NodeKind.ORGANIZATIONAL_UNIT),
            resource=parent,
        )
        accounts = recorder.call(
            "organizations",
            "ListAccountsForParent",
            None,
            partial(_children, organizations, parent, NodeKind.ACCOUNT),
            resource=parent,
        )
        for child in [*(ous or ()), *(accounts or ())]:
            if child.id in nodes:
                continue  # a tree answered twice (or a cycle): read each node once
            nodes[child.id] = child
            if child.kind is NodeKind.ORGANIZATIONAL_UNIT:
                queue.append(child.id)
    if not enabled:
        return False, tuple(nodes.values()), ()
    needed = _on_paths(nodes, members)

    def attached(node: OrganizationNode) -> OrganizationNode:
        if node.id not in needed:
            return node
        ids = recorder.call(
            "organizations",
            "ListPoliciesForTarget",
            None,
            partial(_attached_policies, organizations, node.id),
            resource=node.id,
        )
        return node.model_copy(update={"policy_ids": ids})

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rootguard-scp") as pool:
        with_policies = list(pool.map(attached, nodes.values()))
        policy_ids = unique([p for n in with_policies for p in n.policy_ids or ()])
        policies = tuple(
            pool.map(lambda pid: _describe_policy(organizations, recorder, pid), policy_ids)
        )
    return True, tuple(with_policies), policies


def _on_paths(nodes: dict[str, OrganizationNode], members: set[str]) -> set[str]:
    """The ids of ``members`` and of every OU (and the root) above them."""
    found: set[str] = set()
    for account_id in members:
        current = nodes.get(account_id)
        while current is not None and current.id not in found:
            found.add(current.id)
            current = nodes.get(current.parent_id or "")
    return found


def _describe_policy(
    organizations: OrganizationsClient, recorder: GapRecorder, policy_id: str
) -> ServiceControlPolicy:
    def read() -> ServiceControlPolicy:
        policy = expect(organizations.describe_policy(PolicyId=policy_id), "Policy", dict)
        summary = expect(policy, "PolicySummary", dict)
        managed = summary.get("AwsManaged")
        return ServiceControlPolicy(
            policy_id=policy_id,
            name=_text(summary, "Name"),
            arn=_text(summary, "Arn"),
            aws_managed=managed if isinstance(managed, bool) else None,
            content=expect(policy, "Content", str),
        )

    found = recorder.call("organizations", "DescribePolicy", None, read, resource=policy_id)
    return found if found is not None else ServiceControlPolicy(policy_id=policy_id)


# --------------------------------------------------------------------------- the audit


def audit_member_roots(
    *,
    session: boto3.Session | None = None,
    accounts: Sequence[str] | None = None,
    executor: Executor | None = None,
    max_workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    endpoint_url: str | None = None,
    configure_session: SessionHook | None = None,
    duration_seconds: int | None = None,
) -> MemberRootAudit:
    """Audit the root user of every member account through ``sts:AssumeRoot``, and the
    organization's guardrails around them.

    Args:
        session: the caller's session (None: a default ``boto3.Session()``), in the
            management account or the IAM delegated administrator account, with
            centralized root access enabled.
        accounts: only these account ids (default: every account ``ListAccounts``
            gives). Names and states still come from ``ListAccounts`` when the caller
            may list the accounts.
        executor: where the account tasks run (any ``concurrent.futures.Executor``; used,
            not shut down). Default: a thread pool of ``max_workers`` threads.
        max_workers: size of the default thread pool (default 16, at most one per
            account); ignored with ``executor``.
        progress: called as ``progress(done, total)`` after each account.
        endpoint_url: send every AWS call to this endpoint (a moto server, a proxy).
        configure_session: called with every boto3 session the tasks build (the
            caller's, once per audit in each process, and each root session's), e.g. to
            register botocore event handlers. Must be picklable for executors that
            pickle tasks.
        duration_seconds: ``DurationSeconds`` of each root session (AWS's default and
            maximum: 900).

    Returns:
        A :class:`~rootguard.MemberRootAudit`: one :class:`~rootguard.MemberRoot` per
        account, in account id order — ``audited`` (password, access keys with their
        last use, MFA devices, signing certificates; a read that failed is a gap and
        leaves its fact None), ``error`` (``sts:AssumeRoot`` failed in any way —
        centralized root access not enabled, access denied, throttled beyond the
        retries, an answer without usable credentials, a session in another account —
        or the session could not be identified) or ``skipped`` (the management account,
        whose security contact is still read; suspended or closed accounts) — plus the
        features, the organization's tree and service control policies, and the
        findings judged from them.

    Raises:
        CollectError: there are no usable credentials, the caller cannot be identified,
            or the organization / the account list is needed and cannot be read (as
            for :func:`rootguard.scan_organization`).
        ArgumentError: ``accounts`` is a bare string (pass a list) or has an id that is
            not 12 digits; ``max_workers`` or ``duration_seconds`` is not a whole number
            of at least 1; ``endpoint_url`` is not an http(s) URL. Nothing was sent.
    """
    named = name_list(accounts, "accounts", items="account ids")
    wanted = unique(named) if named is not None else None
    bad = [a for a in wanted or () if not valid_account_id(a)]
    if bad:
        raise ArgumentError(
            f"not AWS account ids (12 digits): {', '.join(repr(a[:20]) for a in bad[:5])}",
            parameter="accounts",
        )
    count(max_workers, "max_workers")
    count(duration_seconds, "duration_seconds")
    endpoint(endpoint_url)
    sess, credentials = session_credentials(session)
    home = sess.region_name or "us-east-1"
    caller = caller_settings(
        credentials, home=home, endpoint_url=endpoint_url, configure_session=configure_session
    )
    generated_at = utc_now()

    factory = ClientFactory(sess, endpoint_url=endpoint_url or None)
    caller_account, partition = caller_identity(factory.client("sts", home), "caller")
    organizations = factory.client("organizations", home)
    organization_id, management_id = read_organization(organizations, required=not wanted)
    listed = list_accounts(organizations, required=wanted is None)
    by_id = {str(e["Id"]): e for e in listed}
    ids = sorted(wanted if wanted is not None else by_id)

    recorder = GapRecorder()
    features = _read_features(factory.client("iam", home), recorder)
    trusted = _read_trusted_access(organizations, recorder)
    members_to_judge = {
        a for a in ids if a != management_id and skip_reason(by_id.get(a, {})) is None
    }
    scp_enabled, nodes, policies = _read_tree(organizations, recorder, members_to_judge)

    members: list[MemberRoot] = []
    tasks: list[_RootTask] = []
    for account_id in ids:
        entry = by_id.get(account_id, {})
        info: dict[str, Any] = {
            "name": entry.get("Name"),
            "email": entry.get("Email"),
            "state": entry.get("State") or entry.get("Status"),
            "management": account_id == management_id,
        }
        reason = skip_reason(entry)
        if reason is not None:
            members.append(
                MemberRoot(
                    account_id=account_id, status=MemberRootStatus.SKIPPED, reason=reason, **info
                )
            )
            continue
        tasks.append(
            _RootTask(
                account_id=account_id,
                caller=caller,
                caller_account=caller_account,
                home_region=home,
                partition=partition,
                audit_root=account_id != management_id,
                duration_seconds=duration_seconds,
                **info,
            )
        )
    logger.info("auditing the root users of %d accounts of %s", len(tasks), organization_id)
    try:
        members += _run(tasks, executor=executor, max_workers=max_workers, progress=progress)
    finally:
        forget(caller)
    return MemberRootAudit(
        organization_id=organization_id,
        management_account_id=management_id,
        caller_account_id=caller_account,
        partition=partition,
        generated_at=generated_at,
        root_features=features,
        iam_trusted_access=trusted,
        scp_enabled=scp_enabled,
        nodes=nodes,
        policies=policies,
        members=tuple(sorted(members, key=lambda m: m.account_id)),
        gaps=tuple(recorder.gaps),
    )


def _run(
    tasks: list[_RootTask],
    *,
    executor: Executor | None,
    max_workers: int | None,
    progress: Callable[[int, int], None] | None,
) -> list[MemberRoot]:
    """Run every task; an executor failure becomes that account's error."""
    return run_account_tasks(
        tasks,
        _audit_account,
        lambda task, exc: _error(task, "executor", error_code(exc), error_message(exc)),
        executor=executor,
        max_workers=max_workers,
        progress=progress,
        thread_name="rootguard-roots",
    )

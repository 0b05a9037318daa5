"""The typed actions of an organization plan (pure): one class per API call rootguard may
make from the management account, each declaring the IAM actions its handler needs.

Two kinds of call: those the caller makes with its own credentials (Organizations, IAM's
organization features, Account Management), and those made inside a member's root
session (:class:`RootSessionAction`): ``sts:AssumeRoot`` into the member with the AWS
task policy ``IAMDeleteRootUserCredentials``, then one IAM call without ``UserName``.
The task policy scopes what such a session may do; the caller's own policy needs only
``sts:AssumeRoot`` (see :data:`ROOT_DELETE_SESSION_ACTIONS`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from rootguard._remediation._actions import (
    ApiAction,
    BlockedKind,
    ChangeType,
    CreateBucket,
    CreateKey,
    CreateLogGroup,
    CreateRole,
    CreateServiceLinkedRole,
    CreateTopic,
    CreateTrail,
    ManualStep,
    PutBucketEncryption,
    PutBucketPolicy,
    PutBucketTagging,
    PutConfigRule,
    PutConfigurationRecorder,
    PutDeliveryChannel,
    PutEventSelectors,
    PutMetricAlarm,
    PutMetricFilter,
    PutPublicAccessBlock,
    PutRetentionPolicy,
    PutRolePolicy,
    PutRule,
    PutTargets,
    SetTopicEncryption,
    SetTopicPolicy,
    StartConfigurationRecorder,
    StartLogging,
    Subscribe,
    UpdateTrail,
)

__all__ = [
    "DELETE_TASK_POLICY",
    "ORGANIZATION_ACTION_CLASSES",
    "ORGANIZATION_API_ACTION_CLASSES",
    "ROOT_DELETE_SESSION_ACTIONS",
    "AnyAction",
    "AttachDenyRootPolicy",
    "CreateDenyRootPolicy",
    "DeactivateRootMfaDevice",
    "DeleteRootAccessKey",
    "DeleteRootLoginProfile",
    "DeleteRootSigningCertificate",
    "EnableIamTrustedAccess",
    "EnableRootCredentialsManagement",
    "EnableRootSessions",
    "EnableScpPolicyType",
    "OrganizationAction",
    "PutSecurityContact",
    "RootSessionAction",
]

DELETE_TASK_POLICY = "IAMDeleteRootUserCredentials"
"""The AWS task policy of the root sessions that delete member root credentials
(``arn:<partition>:iam::aws:policy/root-task/IAMDeleteRootUserCredentials``)."""

ROOT_DELETE_SESSION_ACTIONS: tuple[str, ...] = (
    "iam:DeactivateMFADevice",
    "iam:DeleteAccessKey",
    "iam:DeleteLoginProfile",
    "iam:DeleteSigningCertificate",
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListSigningCertificates",
)
"""The calls made inside a member's root session: the task policy
``IAMDeleteRootUserCredentials`` allows them, the caller's own policy does not need
them (it needs ``sts:AssumeRoot`` limited to that task policy)."""


class EnableIamTrustedAccess(ApiAction):
    """``organizations:EnableAWSServiceAccess`` for ``iam.amazonaws.com`` — trusted
    access for IAM, which centralized root access needs."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["EnableIamTrustedAccess"] = "EnableIamTrustedAccess"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.TRUSTED_ACCESS
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "organizations:ListAWSServiceAccessForOrganization",
        "organizations:EnableAWSServiceAccess",
    )
    service: Literal["organizations"] = "organizations"
    operation: Literal["EnableAWSServiceAccess"] = "EnableAWSServiceAccess"


class EnableRootCredentialsManagement(ApiAction):
    """``iam:EnableOrganizationsRootCredentialsManagement`` — the management account may
    delete (and allow the recovery of) member root credentials."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["EnableRootCredentialsManagement"] = "EnableRootCredentialsManagement"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ROOT_FEATURES
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "iam:ListOrganizationsFeatures",
        "iam:EnableOrganizationsRootCredentialsManagement",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["EnableOrganizationsRootCredentialsManagement"] = (
        "EnableOrganizationsRootCredentialsManagement"
    )


class EnableRootSessions(ApiAction):
    """``iam:EnableOrganizationsRootSessions`` — privileged root tasks in members run as
    short ``sts:AssumeRoot`` sessions."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["EnableRootSessions"] = "EnableRootSessions"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ROOT_FEATURES
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "iam:ListOrganizationsFeatures",
        "iam:EnableOrganizationsRootSessions",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["EnableOrganizationsRootSessions"] = "EnableOrganizationsRootSessions"


class EnableScpPolicyType(ApiAction):
    """``organizations:EnablePolicyType`` (``SERVICE_CONTROL_POLICY``) on the
    organization's root. AWS then attaches ``FullAWSAccess`` to every root, OU and
    account, so nothing is denied until a deny policy is attached."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["EnableScpPolicyType"] = "EnableScpPolicyType"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.DENY_ROOT_SCP
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "organizations:ListRoots",
        "organizations:EnablePolicyType",
    )
    service: Literal["organizations"] = "organizations"
    operation: Literal["EnablePolicyType"] = "EnablePolicyType"


class CreateDenyRootPolicy(ApiAction):
    """``organizations:CreatePolicy`` — rootguard's deny-root service control policy
    (adopted when a policy of that name with the same content exists; a policy of that
    name with other content fails the action, unchanged)."""

    kind: Literal["CreateDenyRootPolicy"] = "CreateDenyRootPolicy"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.DENY_ROOT_SCP
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "organizations:ListPolicies",
        "organizations:DescribePolicy",
        "organizations:CreatePolicy",
    )
    service: Literal["organizations"] = "organizations"
    operation: Literal["CreatePolicy"] = "CreatePolicy"


class AttachDenyRootPolicy(ApiAction):
    """``organizations:AttachPolicy`` — a deny-root policy on an OU, the root or an
    account. ``params`` name the policy by ``PolicyId`` (an existing policy) or by
    ``PolicyName`` (the one this plan creates; apply finds its id)."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["AttachDenyRootPolicy"] = "AttachDenyRootPolicy"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.DENY_ROOT_SCP
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "organizations:ListPolicies",
        "organizations:ListPoliciesForTarget",
        "organizations:AttachPolicy",
    )
    service: Literal["organizations"] = "organizations"
    operation: Literal["AttachPolicy"] = "AttachPolicy"


class PutSecurityContact(ApiAction):
    """``account:PutAlternateContact`` (``SECURITY``) on an account that has none (an
    existing contact is never replaced)."""

    kind: Literal["PutSecurityContact"] = "PutSecurityContact"
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.SECURITY_CONTACT
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "account:GetAlternateContact",
        "account:PutAlternateContact",
    )
    service: Literal["account"] = "account"
    operation: Literal["PutAlternateContact"] = "PutAlternateContact"


class RootSessionAction(ApiAction):
    """A call made inside a member's root session (``sts:AssumeRoot`` with the task policy
    ``IAMDeleteRootUserCredentials``), about the root user itself (no ``UserName``)."""

    change: ChangeType = ChangeType.UPDATE
    account_id: str
    """The member account whose root user is acted on."""
    BLOCKED_AS: ClassVar[BlockedKind] = BlockedKind.ROOT_CREDENTIALS


class DeleteRootLoginProfile(RootSessionAction):
    """``iam:DeleteLoginProfile`` in the member's root session: the root user's console
    password goes."""

    kind: Literal["DeleteRootLoginProfile"] = "DeleteRootLoginProfile"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "sts:AssumeRoot",
        "iam:GetLoginProfile",
        "iam:DeleteLoginProfile",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["DeleteLoginProfile"] = "DeleteLoginProfile"


class DeleteRootAccessKey(RootSessionAction):
    """``iam:DeleteAccessKey`` in the member's root session (one root access key)."""

    kind: Literal["DeleteRootAccessKey"] = "DeleteRootAccessKey"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "sts:AssumeRoot",
        "iam:ListAccessKeys",
        "iam:DeleteAccessKey",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["DeleteAccessKey"] = "DeleteAccessKey"


class DeleteRootSigningCertificate(RootSessionAction):
    """``iam:DeleteSigningCertificate`` in the member's root session (one certificate)."""

    kind: Literal["DeleteRootSigningCertificate"] = "DeleteRootSigningCertificate"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "sts:AssumeRoot",
        "iam:ListSigningCertificates",
        "iam:DeleteSigningCertificate",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["DeleteSigningCertificate"] = "DeleteSigningCertificate"


class DeactivateRootMfaDevice(RootSessionAction):
    """``iam:DeactivateMFADevice`` in the member's root session (one device)."""

    kind: Literal["DeactivateRootMfaDevice"] = "DeactivateRootMfaDevice"
    IAM_ACTIONS: ClassVar[tuple[str, ...]] = (
        "sts:AssumeRoot",
        "iam:ListMFADevices",
        "iam:DeactivateMFADevice",
    )
    service: Literal["iam"] = "iam"
    operation: Literal["DeactivateMFADevice"] = "DeactivateMFADevice"


OrganizationAction = Annotated[
    EnableIamTrustedAccess
    | EnableRootCredentialsManagement
    | EnableRootSessions
    | EnableScpPolicyType
    | CreateDenyRootPolicy
    | AttachDenyRootPolicy
    | PutSecurityContact
    | DeleteRootLoginProfile
    | DeleteRootAccessKey
    | DeleteRootSigningCertificate
    | DeactivateRootMfaDevice
    | ManualStep,
    Field(discriminator="kind"),
]
"""Any action of an organization plan: a discriminated union on ``kind``."""

ORGANIZATION_API_ACTION_CLASSES: tuple[type[ApiAction], ...] = (
    EnableIamTrustedAccess,
    EnableRootCredentialsManagement,
    EnableRootSessions,
    EnableScpPolicyType,
    CreateDenyRootPolicy,
    AttachDenyRootPolicy,
    PutSecurityContact,
    DeleteRootLoginProfile,
    DeleteRootAccessKey,
    DeleteRootSigningCertificate,
    DeactivateRootMfaDevice,
)
"""Every API action class of an organization plan, in plan order of kinds."""
ORGANIZATION_ACTION_CLASSES: tuple[type[ApiAction] | type[ManualStep], ...] = (
    *ORGANIZATION_API_ACTION_CLASSES,
    ManualStep,
)
"""Every class an :data:`OrganizationAction` may be."""

AnyAction = Annotated[
    CreateBucket
    | PutBucketTagging
    | PutPublicAccessBlock
    | PutBucketEncryption
    | PutBucketPolicy
    | CreateLogGroup
    | PutRetentionPolicy
    | CreateRole
    | PutRolePolicy
    | CreateServiceLinkedRole
    | CreateTrail
    | UpdateTrail
    | StartLogging
    | PutEventSelectors
    | PutMetricFilter
    | CreateTopic
    | SetTopicPolicy
    | CreateKey
    | SetTopicEncryption
    | Subscribe
    | PutMetricAlarm
    | PutRule
    | PutTargets
    | PutConfigurationRecorder
    | PutDeliveryChannel
    | StartConfigurationRecorder
    | PutConfigRule
    | EnableIamTrustedAccess
    | EnableRootCredentialsManagement
    | EnableRootSessions
    | EnableScpPolicyType
    | CreateDenyRootPolicy
    | AttachDenyRootPolicy
    | PutSecurityContact
    | DeleteRootLoginProfile
    | DeleteRootAccessKey
    | DeleteRootSigningCertificate
    | DeactivateRootMfaDevice
    | ManualStep,
    Field(discriminator="kind"),
]
"""An action of either kind of plan (what an apply outcome holds)."""

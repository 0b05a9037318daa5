"""OrganizationRemediationOptions: what the user may choose about an organization plan
(pure)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from rootguard._remediation._options import ACCOUNT_RE, check_email, options_error

__all__ = ["DEFAULT_SCP_NAME", "OrganizationRemediationOptions", "SecurityContactOptions"]

DEFAULT_SCP_NAME = "rootguard-deny-root"
"""The name of the deny-root service control policy rootguard creates."""

_PHONE_RE = re.compile(r"^[\s0-9()+-]{1,25}$")
_SCP_NAME_RE = re.compile(r"^[\s\S]{1,128}$")
_NAME_MAX, _TITLE_MAX = 64, 50


class SecurityContactOptions(BaseModel):
    """The SECURITY alternate contact to set on the accounts that lack one
    (``account:PutAlternateContact``; AWS's limits: name 1-64, title 1-50 characters,
    a valid email address, a phone number of digits, spaces, ``+``, ``-``, ``(`` and
    ``)``, 1-25 characters).

    Examples:
        >>> import rootguard
        >>> c = rootguard.SecurityContactOptions(name="SecOps", title="Security team",
        ...     email_address="secops@example.com", phone_number="+1 555 0100")
        >>> c.email_address
        'secops@example.com'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    email_address: str
    phone_number: str

    @field_validator("name", "title")
    @classmethod
    def _check_text(cls, value: str, info: Any) -> str:
        limit = _NAME_MAX if info.field_name == "name" else _TITLE_MAX
        if not value.strip() or len(value) > limit:
            raise ValueError(f"must be 1-{limit} characters, not only spaces")
        if not value.isprintable():
            raise ValueError("must be printable text")
        return value

    @field_validator("email_address")
    @classmethod
    def _check_email(cls, value: str) -> str:
        return check_email(value)

    @field_validator("phone_number")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        if not _PHONE_RE.fullmatch(value) or not any(c.isdigit() for c in value):
            raise ValueError(
                f"{value[:40]!r} is not a phone number (digits, spaces, + - ( ); 1-25)"
            )
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _as_plan_error(
        cls, data: Any, handler: ModelWrapValidatorHandler[SecurityContactOptions]
    ) -> SecurityContactOptions:
        try:
            return handler(data)
        except ValidationError as exc:
            raise options_error(exc, "security contact") from None


class OrganizationRemediationOptions(BaseModel):
    """What an organization plan (:func:`rootguard.plan_organization`) may do.

    Everything but deleting root credentials is on by default; deleting is destructive,
    so it is done **only** for the member accounts named in
    :attr:`delete_root_credentials`.

    Examples:
        >>> import rootguard
        >>> o = rootguard.OrganizationRemediationOptions(
        ...     delete_root_credentials=["210987654321"])
        >>> o.delete_root_credentials, o.deny_root_scp_name
        (('210987654321',), 'rootguard-deny-root')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enable_trusted_access: bool = True
    """Enable trusted access for IAM (``iam.amazonaws.com``) in the organization."""
    enable_root_credentials_management: bool = True
    """Enable the IAM organization feature ``RootCredentialsManagement``."""
    enable_root_sessions: bool = True
    """Enable the IAM organization feature ``RootSessions``."""
    deny_root_scp: bool = True
    """Create (unless a policy already qualifies) and attach a deny-root service control
    policy where members lack one, enabling the SCP policy type when needed."""
    deny_root_scp_name: str = DEFAULT_SCP_NAME
    """The name of the policy rootguard creates (1-128 characters)."""
    security_contact: SecurityContactOptions | None = None
    """Set this SECURITY alternate contact on the accounts that have none (None: only a
    warning names them)."""
    delete_root_credentials: tuple[str, ...] = Field(default=())
    """The member account ids whose root credentials (password, access keys, signing
    certificates; MFA devices deactivated) are deleted through ``sts:AssumeRoot``."""

    @field_validator("deny_root_scp_name")
    @classmethod
    def _check_scp_name(cls, value: str) -> str:
        if not _SCP_NAME_RE.fullmatch(value) or not value.strip() or not value.isprintable():
            raise ValueError("must be 1-128 printable characters")
        return value

    @field_validator("delete_root_credentials", mode="before")
    @classmethod
    def _check_accounts(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("must be a list of account ids, not one string")
        return value

    @field_validator("delete_root_credentials")
    @classmethod
    def _check_account_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in value if not ACCOUNT_RE.fullmatch(a)]
        if bad:
            raise ValueError(f"not 12-digit account ids: {', '.join(repr(b[:20]) for b in bad)}")
        return tuple(dict.fromkeys(value))

    @model_validator(mode="wrap")
    @classmethod
    def _as_plan_error(
        cls, data: Any, handler: ModelWrapValidatorHandler[OrganizationRemediationOptions]
    ) -> OrganizationRemediationOptions:
        try:
            return handler(data)
        except ValidationError as exc:
            raise options_error(exc, "organization remediation options") from None

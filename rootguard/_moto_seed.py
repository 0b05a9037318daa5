"""Give a moto account the root-user state moto cannot model (demo and tests only).

This private module needs moto (the ``demo`` extra); nothing else in rootguard imports it.

moto 5.2.5 has no ``<root_account>`` row in the credential report, always answers 0 for
``AccountMFAEnabled`` / ``AccountAccessKeysPresent`` / ``AccountSigningCertificatesPresent``,
cannot put a virtual MFA device on root, and implements neither
``iam:ListOrganizationsFeatures`` nor AWS Config compliance results. :func:`moto_root`
patches moto's IAM backend and the IAM (and Config) response handlers, in this process,
for the duration of a ``with`` block. It works for ``mock_aws`` and for a
``ThreadedMotoServer`` started in the same process (the server thread uses the same
backend objects).

Centralized root access (a stand-in, documented as such): moto has no
``sts:AssumeRoot``. While a :func:`moto_root` block is open, moto's STS answers it the
way AWS's documentation describes, over the wire (the request goes through botocore,
the answer through its parser): the caller must be the management account of a moto
organization, whose :class:`RootState` lists ``RootSessions`` among its
``organization_features``; the target must be another account of that organization; the
task policy must be one of AWS's five ``root-task`` policies. Anything else is answered
``AccessDenied`` (AWS's exact codes and messages for these refusals are not modelled).
The credentials are those of a real moto ``AssumeRole`` into the target's
``OrganizationAccountAccessRole``, so moto maps them to the member account; their access
key is remembered as a root session, and IAM then answers ``GetLoginProfile``,
``ListAccessKeys``, ``GetAccessKeyLastUsed``, ``ListMFADevices`` and
``ListSigningCertificates`` without a ``UserName`` in that session from the account's
:class:`RootState` (password, keys, MFA device, certificates) — the same state its
credential report shows.

What the management account changes is kept too, for this process, while a block is
open: ``iam:EnableOrganizationsRootCredentialsManagement`` and
``iam:EnableOrganizationsRootSessions`` (the caller must be the management account of
the moto organization, with trusted access for ``iam.amazonaws.com`` enabled there, and
have a :class:`RootState` whose ``organization_features`` is not None) add to what
``ListOrganizationsFeatures`` answers; and in a root session opened with the task policy
``IAMDeleteRootUserCredentials``, ``DeleteLoginProfile``, ``DeleteAccessKey``,
``DeleteSigningCertificate`` and ``DeactivateMFADevice`` without a ``UserName`` change
the member's :class:`RootState` (a session with another task policy is denied them).
moto's Organizations refuses ``iam.amazonaws.com`` as a service principal; while a block
is open it accepts it (``EnableAWSServiceAccess`` and the listing then work as for any
other service).

Example::

    with mock_aws(), moto_root(RootState(mfa="virtual", access_keys=(RootKey(),))):
        snapshot = rootguard.collect(regions=["us-east-1"])
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any, Literal

from moto.config import responses as config_responses
from moto.core.responses import ActionResult, EmptyResult
from moto.iam import models as iam_models
from moto.iam import responses as iam_responses
from moto.iam.exceptions import IAMException
from moto.iam.exceptions import NotFoundException as IamNotFound
from moto.organizations.models import FakeServiceAccess, organizations_backends
from moto.sts import responses as sts_responses
from moto.sts.exceptions import STSClientError

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "ROOT_TASK_POLICIES",
    "RootKey",
    "RootState",
    "moto_root",
    "root_sessions",
]

DEFAULT_ACCOUNT_ID = "123456789012"
_CSV_TIME = "%Y-%m-%dT%H:%M:%S+00:00"


def _csv_time(value: datetime | str | None) -> str:
    if value is None:
        return "N/A"
    if isinstance(value, str):
        return value
    return value.astimezone(timezone.utc).strftime(_CSV_TIME)


@dataclass(frozen=True)
class RootKey:
    """A root access key as the credential report shows it."""

    active: bool = True
    last_rotated: datetime = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    last_used: datetime | None = None
    """None: never used (the report then says ``N/A`` for date, region and service)."""
    region: str = "us-east-1"
    service: str = "s3"
    key_id: str | None = None
    """The access key id (default: derived from the account and the key's position)."""


@dataclass(frozen=True)
class RootState:
    """What the account's root user looks like.

    ``password_last_used``: a datetime, or the report's sentinel text
    (``no_information`` — default — or ``N/A`` when root has no password, as after
    removal through centralized root access).
    ``mfa``: ``none``, ``virtual`` (also lists a virtual MFA device whose user ARN is
    ``…:root``) or ``hardware``.
    ``organization_features``: the ``EnabledFeatures`` of ``iam:ListOrganizationsFeatures``;
    None makes the call fail with ``AccountNotManagementOrDelegatedAdministratorException``.
    """

    account_id: str = DEFAULT_ACCOUNT_ID
    created: datetime = datetime(2019, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    password_last_used: datetime | str = "no_information"
    mfa: Literal["none", "virtual", "hardware"] = "hardware"
    mfa_enabled: datetime = datetime(2019, 3, 4, 6, 0, 0, tzinfo=timezone.utc)
    access_keys: tuple[RootKey, ...] = ()
    signing_certificates: tuple[bool, ...] = ()
    """Active flag of each root signing certificate (at most two)."""
    certificate_ids: tuple[str, ...] = ()
    """The certificates' ids (default: derived from the account and the position)."""
    organization_id: str = "o-exampleorgid"
    organization_features: tuple[str, ...] | None = None
    extra_devices: tuple[dict[str, Any], ...] = field(default=())
    """More ``ListVirtualMFADevices`` entries (e.g. a device of a user named ``rooty``)."""

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    @property
    def has_password(self) -> bool:
        """A console password exists unless the report says ``N/A`` (never set, or
        removed through centralized root access)."""
        return self.password_last_used != "N/A"

    def access_key_id(self, index: int) -> str:
        key = self.access_keys[index]
        return key.key_id or f"AKIAR{self.account_id}{index:03d}"

    def certificate_id(self, index: int) -> str:
        if index < len(self.certificate_ids):
            return self.certificate_ids[index]
        return f"ROOTCERT{self.account_id}{index:04d}"  # 24: AWS's minimum

    def mfa_devices(self) -> list[dict[str, Any]]:
        """``ListMFADevices`` of the root user: a FIDO key (hardware) or the virtual
        device."""
        if self.mfa == "none":
            return []
        serial = (
            f"arn:aws:iam::{self.account_id}:mfa/root-account-mfa-device"
            if self.mfa == "virtual"
            else f"arn:aws:iam::{self.account_id}:u2f/root/rootguard-key-0001"
        )
        return [{"SerialNumber": serial, "EnableDate": self.mfa_enabled}]

    def credential_report_row(self) -> str:
        """The ``<root_account>`` line, as AWS writes it (root has ``not_supported`` for
        password_enabled, password_last_changed and password_next_rotation)."""
        keys = list(self.access_keys[:2])
        cols = [
            "<root_account>",
            self.root_arn,
            _csv_time(self.created),
            "not_supported",
            _csv_time(self.password_last_used),
            "not_supported",
            "not_supported",
            "true" if self.mfa != "none" else "false",
        ]
        for i in range(2):
            if i < len(keys):
                key = keys[i]
                used = key.last_used is not None
                cols += [
                    "true" if key.active else "false",
                    _csv_time(key.last_rotated),
                    _csv_time(key.last_used),
                    key.region if used else "N/A",
                    key.service if used else "N/A",
                ]
            else:
                cols += ["false", "N/A", "N/A", "N/A", "N/A"]
        certs = list(self.signing_certificates[:2])
        for i in range(2):
            if i < len(certs):
                cols += ["true" if certs[i] else "false", _csv_time(self.created)]
            else:
                cols += ["false", "N/A"]
        return ",".join(cols)

    def summary_overrides(self) -> dict[str, int]:
        return {
            "AccountMFAEnabled": int(self.mfa != "none"),
            "AccountAccessKeysPresent": int(any(k.active for k in self.access_keys)),
            "AccountSigningCertificatesPresent": int(any(self.signing_certificates)),
        }

    def rule_compliance(self, source_identifier: str | None) -> str:
        """What AWS Config's managed root rules would say about this root user."""
        if source_identifier == "ROOT_ACCOUNT_MFA_ENABLED":
            ok = self.mfa != "none"
        elif source_identifier == "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED":
            ok = self.mfa == "hardware"
        elif source_identifier == "IAM_ROOT_ACCESS_KEY_CHECK":
            ok = not any(k.active for k in self.access_keys)
        else:
            return "INSUFFICIENT_DATA"
        return "COMPLIANT" if ok else "NON_COMPLIANT"

    def virtual_devices(self) -> list[dict[str, Any]]:
        devices = list(self.extra_devices)
        if self.mfa == "virtual":
            devices.insert(
                0,
                {
                    "SerialNumber": f"arn:aws:iam::{self.account_id}:mfa/root-account-mfa-device",
                    "User": {
                        "Path": "/",
                        "UserName": "",
                        "UserId": self.account_id,
                        "Arn": self.root_arn,
                        "CreateDate": self.created,
                    },
                    "EnableDate": self.mfa_enabled,
                },
            )
        return devices


ROOT_TASK_POLICIES = frozenset(
    f"arn:aws:iam::aws:policy/root-task/{name}"
    for name in (
        "IAMAuditRootUserCredentials",
        "IAMCreateRootUserPassword",
        "IAMDeleteRootUserCredentials",
        "S3UnlockBucketPolicy",
        "SQSUnlockQueuePolicy",
    )
)
"""The task policies ``sts:AssumeRoot`` accepts."""

_LOCK = threading.RLock()
_STATES: dict[str, list[list[RootState]]] = {}
"""account id → [the state a :func:`moto_root` block opened with, its current state]
for each open block (the innermost last): API calls change the current state."""
_ROOT_SESSIONS: dict[str, tuple[str, str]] = {}
"""access key id of a root session → (account id, task policy ARN)."""
_INSTALLED: list[dict[str, Any]] = []


def root_sessions() -> dict[str, tuple[str, str]]:
    """The root sessions the stand-in opened: access key id → (account id, task policy
    ARN) (a copy; for tests)."""
    with _LOCK:
        return dict(_ROOT_SESSIONS)


def _state_of(account_id: str) -> RootState | None:
    with _LOCK:
        states = _STATES.get(account_id)
        return states[-1][1] if states else None


def _replace_state(account_id: str, new: RootState) -> None:
    """The account's innermost state becomes ``new`` (what an API call changed)."""
    with _LOCK:
        states = _STATES.get(account_id)
        if states:
            states[-1][1] = new


_IAM_PRINCIPAL = "iam.amazonaws.com"


def _features_of(account_id: str) -> tuple[str, ...] | None:
    """What ``ListOrganizationsFeatures`` answers for this caller (None: refused)."""
    state = _state_of(account_id)
    return state.organization_features if state is not None else None


def _root_account(response: Any) -> str | None:
    """The account whose root session signed this request (None: not a root session)."""
    with _LOCK:
        found = _ROOT_SESSIONS.get(response.get_access_key())
    return found[0] if found else None


class _AccessDenied(STSClientError):
    def __init__(self, message: str) -> None:
        super().__init__("AccessDenied", message)


def _assume_root(self: Any) -> ActionResult:
    """The stand-in for ``sts:AssumeRoot`` (module documentation)."""
    target = str(self._get_param("TargetPrincipal") or "")
    task = self._get_param("TaskPolicyArn")
    task_arn = str(task.get("arn") if isinstance(task, dict) else task or "")
    caller = self.current_account
    if target.startswith("arn:"):
        target = target.split(":")[4] if target.count(":") >= 5 else ""
    if task_arn not in ROOT_TASK_POLICIES:
        raise _AccessDenied(f"{task_arn[:200]!r} is not a root task policy")
    backend = organizations_backends[caller][self.partition]
    org = backend.org
    if org is None or org.master_account_id != caller:
        raise _AccessDenied(
            "Only the management account (or the IAM delegated administrator) of an "
            "organization can call AssumeRoot"
        )
    features = _features_of(caller) or ()
    if "RootSessions" not in features:
        raise _AccessDenied(
            "Centralized root access (RootSessions) is not enabled for the organization"
        )
    members = {a.id for a in backend.accounts}
    if target == caller or target not in members:
        raise _AccessDenied(f"{target[:40]!r} is not a member account of the organization")
    role = self.backend.assume_role(
        region_name=self.region,
        role_session_name="AssumeRoot",
        role_arn=f"arn:{self.partition}:iam::{target}:role/OrganizationAccountAccessRole",
        policy=None,
        duration=900,
        external_id=None,
    )
    with _LOCK:
        _ROOT_SESSIONS[role.access_key_id] = (target, task_arn)
    return ActionResult({"Credentials": role})


def _root_answer(name: str) -> Any:
    """An IAM response method that answers for the root user in a root session (no
    ``UserName``) and defers to moto otherwise."""

    def handler(self: Any) -> Any:
        account = _root_account(self) if not self._get_param("UserName") else None
        state = _state_of(account) if account else None
        if state is None:
            return _INSTALLED[0]["iam"][name](self)
        return _ROOT_HANDLERS[name](self, state)

    return handler


def _login_profile(self: Any, state: RootState) -> ActionResult:
    if not state.has_password:
        raise IamNotFound("The user with name root cannot be found.")
    return ActionResult({"LoginProfile": {"UserName": "", "CreateDate": state.created}})


def _access_keys(self: Any, state: RootState) -> ActionResult:
    keys = [
        {
            "AccessKeyId": state.access_key_id(i),
            "Status": "Active" if k.active else "Inactive",
            "CreateDate": k.last_rotated,
        }
        for i, k in enumerate(state.access_keys)
    ]
    return ActionResult({"AccessKeyMetadata": keys, "IsTruncated": False})


def _key_last_used(self: Any, state: RootState) -> ActionResult:
    wanted = self._get_param("AccessKeyId")
    for i, key in enumerate(state.access_keys):
        if state.access_key_id(i) == wanted:
            used = (
                {"LastUsedDate": key.last_used, "ServiceName": key.service, "Region": key.region}
                if key.last_used is not None
                else {"ServiceName": "N/A", "Region": "N/A"}
            )
            return ActionResult({"AccessKeyLastUsed": used})
    raise IamNotFound(f"The Access Key with id {wanted} cannot be found")


def _mfa_devices(self: Any, state: RootState) -> ActionResult:
    return ActionResult({"MFADevices": state.mfa_devices(), "IsTruncated": False})


def _certificates(self: Any, state: RootState) -> ActionResult:
    certificates = [
        {
            "UserName": "",
            "CertificateId": state.certificate_id(i),
            "CertificateBody": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "Status": "Active" if active else "Inactive",
            "UploadDate": state.created,
        }
        for i, active in enumerate(state.signing_certificates)
    ]
    return ActionResult({"Certificates": certificates, "IsTruncated": False})


DELETE_TASK_POLICY_ARN = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"


def _deleting(self: Any, operation: str) -> None:
    """Refuse a root-credential deletion outside an IAMDeleteRootUserCredentials session."""
    with _LOCK:
        found = _ROOT_SESSIONS.get(self.get_access_key())
    if found is None or found[1] != DELETE_TASK_POLICY_ARN:
        raise _RootAccessDenied(f"iam:{operation} is not allowed by the root session's task policy")


def _delete_login_profile(self: Any, state: RootState) -> ActionResult:
    _deleting(self, "DeleteLoginProfile")
    if not state.has_password:
        raise IamNotFound("The user with name root cannot be found.")
    _replace_state(state.account_id, replace(state, password_last_used="N/A"))
    return EmptyResult()


def _delete_access_key(self: Any, state: RootState) -> ActionResult:
    _deleting(self, "DeleteAccessKey")
    wanted = self._get_param("AccessKeyId")
    ids = [state.access_key_id(i) for i in range(len(state.access_keys))]
    if wanted not in ids:
        raise IamNotFound(f"The Access Key with id {wanted} cannot be found")
    kept = tuple(
        replace(k, key_id=ids[i]) for i, k in enumerate(state.access_keys) if ids[i] != wanted
    )
    _replace_state(state.account_id, replace(state, access_keys=kept))
    return EmptyResult()


def _delete_certificate(self: Any, state: RootState) -> ActionResult:
    _deleting(self, "DeleteSigningCertificate")
    wanted = self._get_param("CertificateId")
    ids = [state.certificate_id(i) for i in range(len(state.signing_certificates))]
    if wanted not in ids:
        raise IamNotFound(f"The Certificate with id {wanted} cannot be found.")
    keep = [i for i, c in enumerate(ids) if c != wanted]
    new = replace(
        state,
        signing_certificates=tuple(state.signing_certificates[i] for i in keep),
        certificate_ids=tuple(ids[i] for i in keep),
    )
    _replace_state(state.account_id, new)
    return EmptyResult()


def _deactivate_mfa(self: Any, state: RootState) -> ActionResult:
    _deleting(self, "DeactivateMFADevice")
    wanted = self._get_param("SerialNumber")
    if wanted not in [d["SerialNumber"] for d in state.mfa_devices()]:
        raise IamNotFound(f"MFA Device with serial number {wanted} does not exist.")
    _replace_state(state.account_id, replace(state, mfa="none"))
    return EmptyResult()


_ROOT_HANDLERS: dict[str, Any] = {
    "delete_login_profile": _delete_login_profile,
    "delete_access_key": _delete_access_key,
    "delete_signing_certificate": _delete_certificate,
    "deactivate_mfa_device": _deactivate_mfa,
    "get_login_profile": _login_profile,
    "list_access_keys": _access_keys,
    "get_access_key_last_used": _key_last_used,
    "list_mfa_devices": _mfa_devices,
    "list_signing_certificates": _certificates,
}


def _enable_feature(name: str) -> Any:
    """An IAM response method enabling one centralized root access feature."""

    def handler(self: Any) -> ActionResult:
        caller = self.current_account
        org = organizations_backends[caller][self.partition].org
        if org is None or org.master_account_id != caller or _features_of(caller) is None:
            raise _NotManagementAccount(
                "The request was rejected because the account making the request is not "
                "the management account or delegated administrator account for "
                "centralized root access."
            )
        backend = organizations_backends[caller][self.partition]
        if not any(s.get("ServicePrincipal") == _IAM_PRINCIPAL for s in backend.services):
            raise _ServiceAccessNotEnabled(
                "The request was rejected because trusted access for IAM is not enabled "
                "for the organization."
            )
        with _LOCK:
            state = _state_of(caller)
            assert state is not None  # _features_of(caller) was not None
            features = tuple(dict.fromkeys((*(state.organization_features or ()), name)))
            _replace_state(caller, replace(state, organization_features=features))
        return ActionResult({"OrganizationId": org.id, "EnabledFeatures": list(features)})

    return handler


_FEATURE_HANDLERS = {
    "enable_organizations_root_credentials_management": _enable_feature(
        "RootCredentialsManagement"
    ),
    "enable_organizations_root_sessions": _enable_feature("RootSessions"),
}


def _install(state: RootState) -> None:
    """Register ``state`` and, for the first open block, patch moto's STS and IAM."""
    with _LOCK:
        _STATES.setdefault(state.account_id, []).append([state, state])
        if _INSTALLED:
            _INSTALLED[0]["count"] += 1
            return
        iam_cls = iam_responses.IamResponse
        saved = {
            "count": 1,
            "iam": {name: vars(iam_cls)[name] for name in _ROOT_HANDLERS},
            "features": {name: vars(iam_cls).get(name) for name in _FEATURE_HANDLERS},
            "sts": vars(sts_responses.TokenResponse).get("assume_root"),
        }
        supported = FakeServiceAccess.TRUSTED_SERVICES
        saved["iam_principal"] = _IAM_PRINCIPAL not in supported
        if saved["iam_principal"]:
            supported.append(_IAM_PRINCIPAL)  # moto refuses trusted access for IAM
        _INSTALLED.append(saved)
        for name in _ROOT_HANDLERS:
            setattr(iam_cls, name, _root_answer(name))
        for name, fn in _FEATURE_HANDLERS.items():
            setattr(iam_cls, name, fn)
        sts_responses.TokenResponse.assume_root = _assume_root  # type: ignore[attr-defined]


def _uninstall(state: RootState) -> None:
    with _LOCK:
        states = _STATES.get(state.account_id, [])
        for index in range(len(states) - 1, -1, -1):
            if states[index][0] is state:
                del states[index]
                break
        if not states:
            _STATES.pop(state.account_id, None)
        saved = _INSTALLED[0]
        saved["count"] -= 1
        if saved["count"]:
            return
        _INSTALLED.clear()
        _ROOT_SESSIONS.clear()
        if saved["iam_principal"]:
            FakeServiceAccess.TRUSTED_SERVICES.remove(_IAM_PRINCIPAL)
        for name, fn in saved["iam"].items():
            setattr(iam_responses.IamResponse, name, fn)
        for name, fn in saved["features"].items():
            if fn is None:
                delattr(iam_responses.IamResponse, name)
            else:
                setattr(iam_responses.IamResponse, name, fn)
        if saved["sts"] is None:
            del sts_responses.TokenResponse.assume_root  # type: ignore[attr-defined]
        else:
            sts_responses.TokenResponse.assume_root = saved["sts"]  # type: ignore[attr-defined]


@contextmanager
def moto_root(
    state: RootState | None = None, *, config_compliance: bool = True
) -> Iterator[RootState]:
    """Patch moto so that ``state.account_id`` has this root user (see module doc).

    With ``config_compliance`` (default), ``config:DescribeComplianceByConfigRule`` answers
    for that account's rules as the managed root rules would (others: INSUFFICIENT_DATA);
    without it the operation stays unimplemented, as in plain moto.
    """
    state = state or RootState()
    backend_cls = iam_models.IAMBackend
    originals: dict[str, Any] = {
        "get_credential_report": backend_cls.get_credential_report,
        "get_account_summary": backend_cls.get_account_summary,
        "list_virtual_mfa_devices": backend_cls.list_virtual_mfa_devices,
    }

    def get_credential_report(self: Any) -> str:
        report: str = originals["get_credential_report"](self)
        if self.account_id != state.account_id:
            return report
        live = _state_of(state.account_id) or state
        header, _, rest = report.partition("\n")
        return f"{header}\n{live.credential_report_row()}\n{rest}".rstrip("\n")

    def get_account_summary(self: Any) -> Any:
        summary = originals["get_account_summary"](self)
        if self.account_id != state.account_id:
            return summary
        live = _state_of(state.account_id) or state
        return SimpleNamespace(summary_map={**summary.summary_map, **live.summary_overrides()})

    def list_virtual_mfa_devices(
        self: Any, assignment_status: str, marker: str | None, max_items: int
    ) -> tuple[list[Any], str | None]:
        if self.account_id != state.account_id:
            return originals["list_virtual_mfa_devices"](self, assignment_status, marker, max_items)  # type: ignore[no-any-return]
        own, _ = originals["list_virtual_mfa_devices"](self, assignment_status, None, 10_000)
        devices: list[Any] = (_state_of(state.account_id) or state).virtual_devices() + list(own)
        if assignment_status == "Unassigned":
            devices = [d for d in devices if not _get(d, "EnableDate", "enable_date")]
        elif assignment_status == "Assigned":
            devices = [d for d in devices if _get(d, "EnableDate", "enable_date")]
        start, size = int(marker or 0), int(max_items)
        page = devices[start : start + size]
        more = start + size < len(devices)
        return page, (str(start + size) if more else None)

    def list_organizations_features(self: Any) -> ActionResult:
        # the caller's own state, whichever open block registered it
        found = _state_of(self.current_account) or state
        features = _features_of(self.current_account)
        if self.current_account != found.account_id or features is None:
            raise _NotManagementAccount(
                "The request was rejected because the account making the request is not "
                "the management account or delegated administrator account for "
                "centralized root access.",
            )
        return ActionResult(
            {
                "OrganizationId": found.organization_id,
                "EnabledFeatures": list(features),
            }
        )

    def describe_compliance_by_config_rule(self: Any) -> str:
        backend = self.config_backend
        names = self._get_param("ConfigRuleNames") or sorted(backend.config_rules)
        found = []
        for name in names:
            rule = backend.config_rules.get(name)
            if rule is None or self.current_account != state.account_id:
                continue
            source = rule.to_dict().get("Source") or {}
            verdict = state.rule_compliance(source.get("SourceIdentifier"))
            found.append({"ConfigRuleName": name, "Compliance": {"ComplianceType": verdict}})
        return json.dumps({"ComplianceByConfigRules": found})

    patches = {
        "get_credential_report": get_credential_report,
        "get_account_summary": get_account_summary,
        "list_virtual_mfa_devices": list_virtual_mfa_devices,
    }
    for name, fn in patches.items():
        setattr(backend_cls, name, fn)
    had_features = "list_organizations_features" in vars(iam_responses.IamResponse)
    previous = vars(iam_responses.IamResponse).get("list_organizations_features")
    iam_responses.IamResponse.list_organizations_features = list_organizations_features  # type: ignore[attr-defined]
    config_cls = config_responses.ConfigResponse
    if config_compliance:
        config_cls.describe_compliance_by_config_rule = describe_compliance_by_config_rule  # type: ignore[attr-defined]
    _install(state)
    try:
        yield state
    finally:
        _uninstall(state)
        if config_compliance:
            del config_cls.describe_compliance_by_config_rule  # type: ignore[attr-defined]
        for name, fn in originals.items():
            setattr(backend_cls, name, fn)
        if had_features:
            iam_responses.IamResponse.list_organizations_features = previous  # type: ignore[attr-defined]
        else:
            del iam_responses.IamResponse.list_organizations_features  # type: ignore[attr-defined]


class _NotManagementAccount(IAMException):
    code = "AccountNotManagementOrDelegatedAdministratorException"


class _ServiceAccessNotEnabled(IAMException):
    code = "ServiceAccessNotEnabledException"


class _RootAccessDenied(IAMException):
    code = "AccessDenied"


def _get(obj: Any, key: str, attr: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, attr, None)

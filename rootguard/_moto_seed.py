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

Example::

    with mock_aws(), moto_root(RootState(mfa="virtual", access_keys=(RootKey(),))):
        snapshot = rootguard.collect(regions=["us-east-1"])
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any, Literal

from moto.config import responses as config_responses
from moto.core.responses import ActionResult
from moto.iam import models as iam_models
from moto.iam import responses as iam_responses
from moto.iam.exceptions import IAMException

__all__ = ["DEFAULT_ACCOUNT_ID", "RootKey", "RootState", "moto_root"]

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
    organization_id: str = "o-exampleorgid"
    organization_features: tuple[str, ...] | None = None
    extra_devices: tuple[dict[str, Any], ...] = field(default=())
    """More ``ListVirtualMFADevices`` entries (e.g. a device of a user named ``rooty``)."""

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

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
        header, _, rest = report.partition("\n")
        return f"{header}\n{state.credential_report_row()}\n{rest}".rstrip("\n")

    def get_account_summary(self: Any) -> Any:
        summary = originals["get_account_summary"](self)
        if self.account_id != state.account_id:
            return summary
        return SimpleNamespace(summary_map={**summary.summary_map, **state.summary_overrides()})

    def list_virtual_mfa_devices(
        self: Any, assignment_status: str, marker: str | None, max_items: int
    ) -> tuple[list[Any], str | None]:
        if self.account_id != state.account_id:
            return originals["list_virtual_mfa_devices"](self, assignment_status, marker, max_items)  # type: ignore[no-any-return]
        own, _ = originals["list_virtual_mfa_devices"](self, assignment_status, None, 10_000)
        devices: list[Any] = state.virtual_devices() + list(own)
        if assignment_status == "Unassigned":
            devices = [d for d in devices if not _get(d, "EnableDate", "enable_date")]
        elif assignment_status == "Assigned":
            devices = [d for d in devices if _get(d, "EnableDate", "enable_date")]
        start, size = int(marker or 0), int(max_items)
        page = devices[start : start + size]
        more = start + size < len(devices)
        return page, (str(start + size) if more else None)

    def list_organizations_features(self: Any) -> ActionResult:
        if self.current_account != state.account_id or state.organization_features is None:
            raise _NotManagementAccount(
                "The request was rejected because the account making the request is not "
                "the management account or delegated administrator account for "
                "centralized root access.",
            )
        return ActionResult(
            {
                "OrganizationId": state.organization_id,
                "EnabledFeatures": list(state.organization_features),
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
    try:
        yield state
    finally:
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


def _get(obj: Any, key: str, attr: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, attr, None)

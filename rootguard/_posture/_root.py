"""Root credential checks (pure): ``root.*`` — MFA, hardware MFA, access keys,
signing certificates, recent use, centralized root access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rootguard._credential_report import (
    CredentialReport,
    CredentialReportRow,
    parse_credential_report,
)
from rootguard._errors import ParseError
from rootguard._models import Severity
from rootguard._posture._catalogue import CheckId
from rootguard._posture._context import Ctx, iso_or_none, plural
from rootguard._posture._models import Status


@dataclass
class _RootFacts:
    row: CredentialReportRow | None
    report: CredentialReport | None
    report_problem: str | None
    report_gaps: list[dict[str, Any]]
    summary: Mapping[str, int] | None
    summary_problem: str | None
    summary_gaps: list[dict[str, Any]]

    def summary_value(self, key: str) -> int | None:
        if self.summary is None:
            return None
        value = self.summary.get(key)
        return int(value) if isinstance(value, (int, float)) else None


def root_facts(ctx: Ctx) -> _RootFacts:
    snap = ctx.snapshot
    report: CredentialReport | None = None
    row: CredentialReportRow | None = None
    problem: str | None = None
    report_gaps: list[dict[str, Any]] = []
    if snap.credential_report is None:
        problem, report_gaps = ctx.missing(
            "the IAM credential report",
            "iam",
            ("GenerateCredentialReport", "GetCredentialReport"),
        )
    else:
        try:
            report = parse_credential_report(
                snap.credential_report.content,
                generated_at=snap.credential_report.generated_at,
                source="credential report",
            )
        except ParseError as exc:
            problem = f"The IAM credential report could not be parsed: {exc}"
        else:
            row = report.root
            if row is None:
                problem = "The IAM credential report has no <root_account> row"
    summary_problem: str | None = None
    summary_gaps: list[dict[str, Any]] = []
    if snap.account_summary is None:
        summary_problem, summary_gaps = ctx.missing(
            "the IAM account summary", "iam", ("GetAccountSummary",)
        )
    return _RootFacts(
        row, report, problem, report_gaps, snap.account_summary, summary_problem, summary_gaps
    )


def _row_evidence(row: CredentialReportRow | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "report_mfa_active": row.mfa_active,
        "has_password": row.has_password,
        "password_last_used": iso_or_none(row.password_last_used),
        "password_last_used_reason": row.reason("password_last_used"),
        "active_access_keys": list(row.active_access_keys),
        "active_certificates": list(row.active_certificates),
    }


def _mfa_state(facts: _RootFacts) -> tuple[bool | None, str | None]:
    """(MFA on?, which source said so). The live account summary wins over the report,
    which can be up to 4 hours old."""
    summary = facts.summary_value("AccountMFAEnabled")
    if summary is not None:
        return summary > 0, "account_summary"
    if facts.row is not None and facts.row.mfa_active is not None:
        return facts.row.mfa_active, "credential_report"
    return None, None


def _count_state(
    facts: _RootFacts, summary_key: str, row_attr: str
) -> tuple[int | None, str | None]:
    summary = facts.summary_value(summary_key)
    if summary is not None:
        return summary, "account_summary"
    if facts.row is not None:
        return len(getattr(facts.row, row_attr)), "credential_report"
    return None, None


def _has_credentials(facts: _RootFacts) -> bool | None:
    """Whether root has any credential (password, active key, active certificate)."""
    keys, _ = _count_state(facts, "AccountAccessKeysPresent", "active_access_keys")
    certs, _ = _count_state(facts, "AccountSigningCertificatesPresent", "active_certificates")
    password = facts.row.has_password if facts.row is not None else None
    if password or (keys or 0) > 0 or (certs or 0) > 0:
        return True
    if password is False and keys == 0 and certs == 0:
        return False
    return None


def _root_unknown_detail(facts: _RootFacts, *, need_report: bool) -> str:
    parts = []
    if facts.report_problem and (need_report or facts.summary is None):
        parts.append(facts.report_problem)
    if facts.summary_problem and not need_report:
        parts.append(facts.summary_problem)
    return ". ".join(parts) if parts else "Root credential data was not collected"


def check_root_mfa(ctx: Ctx, facts: _RootFacts) -> bool | None:
    """root.mfa_enabled; returns 'not applicable' knowledge for hardware_mfa: True when
    root has no credentials."""
    mfa, source = _mfa_state(facts)
    creds = _has_credentials(facts)
    evidence: dict[str, Any] = {
        "mfa_enabled": mfa,
        "mfa_source": source,
        "account_mfa_enabled": facts.summary_value("AccountMFAEnabled"),
        "root_has_credentials": creds,
        **_row_evidence(facts.row),
        "gaps": facts.report_gaps + facts.summary_gaps,
    }
    if (
        mfa is not None
        and facts.row is not None
        and facts.row.mfa_active is not None
        and facts.row.mfa_active != mfa
    ):
        evidence["sources_disagree"] = True
    check = CheckId.ROOT_MFA_ENABLED
    if mfa is True:
        ctx.add(
            check,
            Status.PASS,
            resource=ctx.root_arn,
            detail=f"MFA is enabled for the root user (from the {source}).",
            evidence=evidence,
        )
    elif mfa is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=_root_unknown_detail(facts, need_report=False)
            + "; the root user's MFA state is unknown.",
            evidence=evidence,
        )
    elif creds is False:
        ctx.add(
            check,
            Status.NOT_APPLICABLE,
            resource=ctx.root_arn,
            detail="The root user has no MFA, but no credentials at all either: no password "
            "(password_last_used is N/A), no active access key, no active signing "
            "certificate — as after removal through centralized root access.",
            evidence=evidence,
        )
    elif creds is None and facts.row is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail="The root user has no MFA, but whether it has a password cannot be told: "
            + (facts.report_problem or "the credential report is missing")
            + ".",
            evidence=evidence,
        )
    else:
        extra = ""
        if facts.row is not None and facts.row.has_password is None:
            extra = (
                " The report cannot tell whether root has a password "
                "(password_last_used is no_information); a root without MFA is judged "
                "exposed."
            )
        ctx.add(
            check,
            Status.FAIL,
            resource=ctx.root_arn,
            detail=f"MFA is not enabled for the root user (from the {source}).{extra}",
            evidence=evidence,
        )
    return mfa


def check_root_hardware_mfa(ctx: Ctx, facts: _RootFacts, mfa: bool | None) -> None:
    check = CheckId.ROOT_HARDWARE_MFA
    devices = ctx.snapshot.virtual_mfa_devices
    evidence: dict[str, Any] = {"mfa_enabled": mfa}
    if mfa is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=_root_unknown_detail(facts, need_report=False)
            + "; the root user's MFA state is unknown.",
            evidence=evidence | {"gaps": facts.report_gaps + facts.summary_gaps},
        )
        return
    if mfa is False:
        creds = _has_credentials(facts)
        if creds is False:
            ctx.add(
                check,
                Status.NOT_APPLICABLE,
                resource=ctx.root_arn,
                detail="The root user has no credentials at all, so no MFA device is needed.",
                evidence=evidence,
            )
        else:
            ctx.add(
                check,
                Status.FAIL,
                resource=ctx.root_arn,
                detail="The root user has no MFA at all, so no hardware MFA either.",
                evidence=evidence,
            )
        return
    if devices is None:
        text, gaps = ctx.missing("the virtual MFA device list", "iam", ("ListVirtualMFADevices",))
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=f"{text}; whether root's MFA device is virtual cannot be told.",
            evidence=evidence | {"gaps": gaps},
        )
        return
    root_devices = sorted(
        d.serial_number for d in devices if d.user_arn is not None and d.user_arn.endswith(":root")
    )
    evidence["root_virtual_mfa_devices"] = root_devices
    evidence["virtual_mfa_devices"] = len(devices)
    if root_devices:
        ctx.add(
            check,
            Status.FAIL,
            resource=ctx.root_arn,
            detail="The root user's MFA is a virtual device: " + ", ".join(root_devices) + ".",
            evidence=evidence,
        )
    else:
        ctx.add(
            check,
            Status.PASS,
            resource=ctx.root_arn,
            detail="The root user has MFA and no virtual MFA device is assigned to root "
            "(its device is a hardware device).",
            evidence=evidence,
        )


def check_root_count(
    ctx: Ctx,
    facts: _RootFacts,
    *,
    check: CheckId,
    summary_key: str,
    row_attr: str,
    noun: str,
) -> None:
    count, source = _count_state(facts, summary_key, row_attr)
    row_active = list(getattr(facts.row, row_attr)) if facts.row is not None else None
    evidence: dict[str, Any] = {
        "count": count,
        "source": source,
        summary_key: facts.summary_value(summary_key),
        "report_active": row_active,
    }
    if facts.row is not None and row_attr == "active_access_keys":
        evidence["last_used"] = {
            key: iso_or_none(getattr(facts.row, f"{key}_last_used_date"))
            for key in row_active or []
        }
    if count is None:
        detail = ". ".join(p for p in (facts.summary_problem, facts.report_problem) if p)
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=f"{detail}; whether root has an active {noun} is unknown.",
            evidence=evidence | {"gaps": facts.summary_gaps + facts.report_gaps},
        )
    elif count > 0:
        named = f" ({', '.join(row_active)})" if row_active else ""
        ctx.add(
            check,
            Status.FAIL,
            resource=ctx.root_arn,
            detail=f"The root user has {plural(count, 'active ' + noun)}{named} "
            f"(from the {source}).",
            evidence=evidence,
        )
    else:
        note = ""
        if row_active:
            note = (
                f" The credential report (up to 4 hours old) still listed {', '.join(row_active)}"
                " as active; the live account summary says none."
            )
        ctx.add(
            check,
            Status.PASS,
            resource=ctx.root_arn,
            detail=f"The root user has no active {noun} (from the {source}).{note}",
            evidence=evidence,
        )


def check_root_recent_usage(ctx: Ctx, facts: _RootFacts) -> None:
    check = CheckId.ROOT_RECENT_USAGE
    days = ctx.policy.root_usage_days
    evidence: dict[str, Any] = {"root_usage_days": days, "now": iso_or_none(ctx.now)}
    if facts.row is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail=f"{facts.report_problem}; root credential use cannot be judged.",
            evidence=evidence | {"gaps": facts.report_gaps},
        )
        return
    uses = facts.row.last_used_credentials()
    evidence["last_uses"] = [
        {
            "credential": u.credential,
            "last_used": iso_or_none(u.last_used),
            "region": u.region,
            "service": u.service,
        }
        for u in uses
    ]
    if ctx.now is None:
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.root_arn,
            detail="No reference time: pass now= to evaluate() (the snapshot has no "
            "collected_at), so 'recent' cannot be judged.",
            evidence=evidence,
        )
        return
    cutoff = ctx.now - timedelta(days=days)
    recent = [u for u in uses if u.last_used >= cutoff]
    evidence["recent"] = [u.credential for u in recent]

    def describe(u: Any) -> str:
        where = ", ".join(p for p in (u.service, u.region) if p)
        suffix = f" ({where})" if where else ""
        return f"{u.credential.replace('_', ' ')} last used {iso_or_none(u.last_used)}{suffix}"

    if recent:
        key_used = any(u.credential != "password" for u in recent)
        ctx.add(
            check,
            Status.FAIL,
            resource=ctx.root_arn,
            detail=f"Root credentials were used in the last {days} days: "
            + "; ".join(describe(u) for u in recent)
            + ".",
            evidence=evidence,
            severity=Severity.CRITICAL if key_used else Severity.HIGH,
        )
    else:
        history = "; ".join(describe(u) for u in uses) if uses else "no recorded use"
        ctx.add(
            check,
            Status.PASS,
            resource=ctx.root_arn,
            detail=f"No root credential was used in the last {days} days ({history}).",
            evidence=evidence,
        )


def check_centralized_access(ctx: Ctx) -> None:
    check = CheckId.ROOT_CENTRALIZED_ACCESS
    org = ctx.snapshot.organization
    if org is None:
        text, gaps = ctx.missing(
            "organization information",
            "organizations",
            ("DescribeOrganization",),
        )
        iam_text, iam_gaps = ctx.missing(
            "organization root-access features", "iam", ("ListOrganizationsFeatures",)
        )
        detail = text if gaps or not iam_gaps else iam_text
        ctx.add(
            check,
            Status.UNKNOWN,
            resource=ctx.account_resource,
            detail=f"{detail}; centralized root access cannot be judged.",
            evidence={"gaps": gaps + iam_gaps},
        )
        return
    resource = ctx.account_resource
    if org.organization_id and org.management_account_id:
        resource = (
            f"arn:{ctx.partition}:organizations::{org.management_account_id}:"
            f"organization/{org.organization_id}"
        )
    evidence: dict[str, Any] = {
        "organization_id": org.organization_id,
        "management_account_id": org.management_account_id,
        "is_management_account": org.is_management_account,
        "in_organization": org.in_organization,
        "root_features": org.root_features,
        "root_features_error": org.root_features_error,
    }
    if org.in_organization is False:
        ctx.add(
            check,
            Status.NOT_APPLICABLE,
            resource=resource,
            detail="The account is not in an AWS Organization; centralized root access does "
            "not apply.",
            evidence=evidence,
        )
    elif org.root_features is not None:
        features = sorted(org.root_features)
        if "RootCredentialsManagement" in features:
            ctx.add(
                check,
                Status.PASS,
                resource=resource,
                detail="Centralized root access is enabled: " + ", ".join(features) + ".",
                evidence=evidence,
            )
        else:
            shown = ", ".join(features) if features else "none"
            ctx.add(
                check,
                Status.FAIL,
                resource=resource,
                detail="RootCredentialsManagement is not enabled for the organization "
                f"(enabled root-access features: {shown}).",
                evidence=evidence,
            )
    else:
        if org.root_features_error:
            detail = (
                f"iam:ListOrganizationsFeatures failed: {org.root_features_error}. The "
                "setting can only be read in the management account or the delegated "
                "administrator account for IAM."
            )
            feature_gaps = [
                g.model_dump(mode="json")
                for g in ctx.gaps("iam", ("ListOrganizationsFeatures",))
                if g.operation == "ListOrganizationsFeatures"
            ]
        else:
            detail, feature_gaps = ctx.missing(
                "organization root-access features", "iam", ("ListOrganizationsFeatures",)
            )
        evidence["gaps"] = feature_gaps
        ctx.add(check, Status.UNKNOWN, resource=resource, detail=detail, evidence=evidence)

"""``rootguard org plan`` and ``rootguard org apply`` (the organization remediation
commands), mirroring ``rootguard plan`` / ``rootguard apply``: the plan is printed for
review and saved with ``--out``; apply reads a saved plan (kind and schema version
checked), proves whose organization the credentials manage before printing or asking,
and exits 1 when an action failed."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rootguard._cli_support import (
    CliError,
    Stderr,
    add_common,
    check_writable,
    cli_session,
    confirm,
    emit_plan,
    first_error,
    positive_int,
    read_input,
    read_plan,
    require_a_way_to_confirm,
    write_out,
)
from rootguard._fail_on import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK

__all__ = ["add_org_remediation"]

_CONTACT_FLAGS = ("contact_name", "contact_title", "contact_email", "contact_phone")


def _options(args: argparse.Namespace) -> Any:
    from rootguard._errors import PlanError
    from rootguard._remediation._org_options import OrganizationRemediationOptions

    given = [getattr(args, f) for f in _CONTACT_FLAGS]
    contact = None
    if any(v is not None for v in given):
        if any(v is None for v in given):
            raise CliError(
                "a security contact needs all four of --contact-name, --contact-title, "
                "--contact-email and --contact-phone",
                "see rootguard org plan --help",
            )
        contact = dict(zip(("name", "title", "email_address", "phone_number"), given, strict=True))
    try:
        return OrganizationRemediationOptions.model_validate(
            {
                "enable_trusted_access": not args.no_trusted_access,
                "enable_root_credentials_management": not args.no_root_features,
                "enable_root_sessions": not args.no_root_features,
                "deny_root_scp": not args.no_deny_root_scp,
                "deny_root_scp_name": args.scp_name,
                "security_contact": contact,
                "delete_root_credentials": tuple(args.delete_root_credentials or ()),
            }
        )
    except PlanError as exc:
        raise CliError(str(exc), "see rootguard org plan --help") from None


def _load_audit(path: str) -> Any:
    from pydantic import ValidationError

    from rootguard._member_root_report import MemberRootAudit
    from rootguard._org_report import OrganizationReport

    hint = "make one with: rootguard org roots -o json > FILE"
    try:
        data = json.loads(read_input(path, "--audit-in"))
    except ValueError as exc:
        raise CliError(f"{path} is not a member-root audit: not JSON ({exc})", hint) from None
    if isinstance(data, dict) and data.get("kind") == "organization_report":
        try:
            return OrganizationReport.model_validate(data)
        except ValidationError as exc:
            raise CliError(f"{path}: {first_error(exc)}", hint) from None
    try:
        return MemberRootAudit.model_validate(data)
    except ValidationError as exc:
        raise CliError(f"{path} is not a member-root audit: {first_error(exc)}", hint) from None


def _cmd_org_plan(args: argparse.Namespace) -> int:
    from rootguard._member_roots import audit_member_roots
    from rootguard._remediation._org_planner import plan_organization

    opts = _options(args)
    if args.out:
        check_writable(args.out, "--out")
    if args.audit_in:
        audit = _load_audit(args.audit_in)
    else:
        session = cli_session(args)
        audit = audit_member_roots(
            session=session, accounts=args.account or None, max_workers=args.max_workers
        )
    home = args.home_region or "us-east-1"
    return emit_plan(plan_organization(audit, opts, home_region=home), args.out)


def _cmd_org_apply(args: argparse.Namespace) -> int:
    from rootguard._errors import ApplyError
    from rootguard._remediation._org_actions import RootSessionAction
    from rootguard._remediation._org_apply import apply_organization, verify_organization
    from rootguard._remediation._org_plan import OrganizationPlan

    the_plan = read_plan(
        OrganizationPlan, args.plan, "org apply PLAN.json", "rootguard org plan --out FILE"
    )
    require_a_way_to_confirm(args)
    session = cli_session(args)
    try:
        if the_plan.api_actions:
            # whose organization, before printing, asking or any other call
            caller = verify_organization(the_plan, session=session)
            Stderr.note(
                f"the plan is for organization {the_plan.organization_id} (management "
                f"account {the_plan.account_id}); the credentials are {caller.arn}"
            )
        write_out(the_plan.to_text())
        deleting = sorted(
            {a.account_id for a in the_plan.api_actions if isinstance(a, RootSessionAction)}
        )
        prompt = "Apply this plan? [y/N] "
        if deleting:
            prompt = (
                f"This deletes the root credentials of {len(deleting)} member account(s) "
                f"({', '.join(deleting)}). Apply this plan? [y/N] "
            )
        if not args.dry_run and not args.yes and not confirm(prompt):
            Stderr.note("Nothing applied.")
            return EXIT_OK
        result = apply_organization(the_plan, session=session, dry_run=args.dry_run)
    except ApplyError as exc:
        hint = "use --profile of the plan's management account" if "here" in str(exc) else None
        raise CliError(str(exc), hint, code=EXIT_ERROR) from None
    write_out(result.to_text())
    return EXIT_OK if result.ok else EXIT_FINDINGS


def add_org_remediation(org_sub: Any) -> None:
    """Add ``plan`` and ``apply`` to the ``org`` subcommands."""
    q = org_sub.add_parser(
        "plan", help="plan the organization's root guardrails (from the member-root audit)"
    )
    add_common(q, regions=False)
    q.add_argument("--account", action="append", metavar="ID", help="only audit these accounts")
    q.add_argument("--max-workers", type=positive_int, default=None)
    q.add_argument("--audit-in", metavar="FILE", help="plan from a saved audit (org roots -o json)")
    q.add_argument("--home-region", help="where sts:AssumeRoot is sent (default us-east-1)")
    q.add_argument("--contact-name", help="security contact to set where none is")
    q.add_argument("--contact-title")
    q.add_argument("--contact-email")
    q.add_argument("--contact-phone")
    q.add_argument(
        "--delete-root-credentials",
        action="append",
        metavar="ID",
        help="DESTRUCTIVE: delete this member's root credentials (repeatable)",
    )
    q.add_argument("--scp-name", default="rootguard-deny-root", help="name of the deny-root SCP")
    q.add_argument("--no-trusted-access", action="store_true", help="leave trusted access alone")
    q.add_argument(
        "--no-root-features",
        action="store_true",
        help="leave RootCredentialsManagement and RootSessions alone",
    )
    q.add_argument("--no-deny-root-scp", action="store_true", help="plan no service control policy")
    q.add_argument("--out", metavar="FILE", help="save the plan as JSON")
    q.set_defaults(func=_cmd_org_plan)

    q = org_sub.add_parser("apply", help="apply a saved organization plan")
    add_common(q, regions=False)
    q.add_argument("plan", metavar="PLAN.json")
    q.add_argument("--dry-run", action="store_true", help="send no mutating call")
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    q.set_defaults(func=_cmd_org_apply)

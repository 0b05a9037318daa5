"""``rootguard org check`` (every account of the organization, through a role in each)
and ``rootguard org roots`` (the member-root audit, sts:AssumeRoot in every member)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rootguard._cli_support import (
    CliError,
    ProgressBar,
    Stderr,
    add_common,
    cli_policy,
    cli_regions,
    cli_session,
    positive_int,
    write_out,
)
from rootguard._fail_on import EXIT_ERROR, EXIT_USAGE, FAIL_ON, ORG_FAIL_ON
from rootguard._org_report import ORG_OUTPUTS

__all__ = ["ORG_FAIL_ON_CHOICES", "ORG_OUTPUTS", "add_org_roots", "cmd_org_check"]

ORG_FAIL_ON_CHOICES = ORG_FAIL_ON

# ------------------------------------------------------------------------------- org


def cmd_org_check(args: argparse.Namespace) -> int:
    """``rootguard org check``: check every account of the organization."""
    from rootguard._org import scan_organization

    policy = cli_policy(args)
    session = cli_session(args)
    bar = ProgressBar("checking accounts", total=None)
    try:
        org = scan_organization(
            session=session,
            policy=policy,
            role_name=args.role_name,
            accounts=args.account or None,
            regions=cli_regions(args),
            max_workers=args.max_workers,
            progress=lambda done, total: bar.advance(done=done, total=total),
        )
    finally:
        bar.close()
    if args.output == "table":
        from rootguard._terminal import OrganizationTable, make_console

        make_console().print(OrganizationTable(org))
    else:
        write_out(org.render(args.output))
    for account in org.errors:
        problem = account.error.describe() if account.error else account.reason
        Stderr.warn(f"account {account.account_id} not checked: {problem}")
    code = org.exit_code(args.fail_on)
    if code == EXIT_ERROR:
        raise CliError(
            "no account of the organization could be checked",
            f"can the caller assume {args.role_name} in the accounts? see the warnings above",
            code=EXIT_ERROR,
        )
    return code


def _cmd_org_roots(args: argparse.Namespace) -> int:
    """``rootguard org roots``: the member-root audit (sts:AssumeRoot in every member)."""
    from rootguard._member_roots import audit_member_roots

    bar = ProgressBar("auditing root users", total=None)
    try:
        audit = audit_member_roots(
            session=cli_session(args),
            accounts=args.account or None,
            max_workers=args.max_workers,
            progress=lambda done, total: bar.advance(done=done, total=total),
        )
    except ValueError as exc:  # an --account that is not an account id
        sys.stderr.write(f"rootguard: {exc}\n")
        return EXIT_USAGE
    finally:
        bar.close()
    write_out(audit.render(args.output))
    for member in audit.errors:
        problem = member.error.describe() if member.error else member.reason
        sys.stderr.write(f"warning: root user of {member.account_id} not audited: {problem}\n")
    code = audit.exit_code(args.fail_on)
    if code == EXIT_ERROR:
        sys.stderr.write("rootguard: no member account's root user could be audited\n")
    return code


def add_org_roots(org_sub: Any) -> None:
    """Add ``roots`` to the ``org`` subcommands."""
    q = org_sub.add_parser(
        "roots", help="audit every member's root user (sts:AssumeRoot) and its guardrails"
    )
    add_common(q, regions=False)
    q.add_argument("--account", action="append", metavar="ID", help="only these accounts")
    q.add_argument("--max-workers", type=positive_int, default=None)
    q.add_argument("-o", "--output", choices=("table", "json", "markdown"), default="table")
    q.add_argument("--fail-on", choices=FAIL_ON, default="fail")
    q.set_defaults(func=_cmd_org_roots)

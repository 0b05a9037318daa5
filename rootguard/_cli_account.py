"""``rootguard check``, ``rootguard plan`` and ``rootguard apply`` (one account): the
report in every ``--output`` format and its ``--fail-on`` exit code, the remediation plan
(from the account or a saved snapshot), and applying a saved plan to its own account."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from rootguard._cli_support import (
    CliError,
    ProgressBar,
    Stderr,
    check_writable,
    cli_policy,
    cli_regions,
    cli_session,
    confirm,
    emit_plan,
    first_error,
    load_snapshot,
    read_plan,
    require_a_way_to_confirm,
    write_out,
    write_output_file,
)
from rootguard._fail_on import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, FAIL_ON, exit_code

if TYPE_CHECKING:
    from rootguard._posture._report import Report

__all__ = [
    "CHECK_OUTPUTS",
    "FAIL_ON_CHOICES",
    "cmd_apply",
    "cmd_check",
    "cmd_plan",
    "exit_code_for",
    "render_report",
]

# ------------------------------------------------------------------------------- check

CHECK_OUTPUTS = ("table", "json", "asff", "ocsf", "markdown", "csv", "html")
FAIL_ON_CHOICES = FAIL_ON


def render_report(report: Report, output: str) -> str:
    """Render a report in one of the ``--output`` formats."""
    if output == "json":
        return report.to_json()
    if output == "asff":
        return json.dumps(report.to_asff(), indent=2)
    if output == "ocsf":
        return json.dumps(report.to_ocsf(), indent=2)
    if output == "markdown":
        return report.to_markdown()
    if output == "csv":
        from rootguard._outputs import records_to_csv

        return records_to_csv(report.to_records())
    if output == "html":
        from rootguard._html import report_html

        return report_html(report)
    from rootguard._terminal import report_table

    return report_table(report)


def _print_report(report: Report, output: str) -> None:
    if output == "table":  # to the terminal: its width, colour unless NO_COLOR
        from rootguard._terminal import ReportTable, make_console

        make_console().print(ReportTable(report))
    else:
        write_out(render_report(report, output))


def exit_code_for(report: Report, fail_on: str) -> int:
    """``--fail-on`` semantics: ``fail`` → 1 on any FAIL; ``unknown`` → 1 on any FAIL or
    UNKNOWN; ``never`` → 0."""
    return exit_code((f.status for f in report.findings), fail_on)


def cmd_check(args: argparse.Namespace) -> int:
    """``rootguard check``: collect (or load ``--snapshot-in``) and evaluate every check."""
    from rootguard._collect import collect
    from rootguard._posture._evaluate import evaluate

    policy = cli_policy(args)
    if args.snapshot_out:
        check_writable(args.snapshot_out, "--snapshot-out")
    if args.snapshot_in:
        snapshot = load_snapshot(args.snapshot_in, "--snapshot-in")
    else:
        session = cli_session(args)
        bar = ProgressBar("collecting regions", total=len(args.region) if args.region else None)
        try:
            snapshot = collect(session=session, regions=cli_regions(args), progress=bar.advance)
        finally:
            bar.close()
    if args.snapshot_out:
        write_output_file(args.snapshot_out, snapshot.model_dump_json(indent=2), "--snapshot-out")
    report = evaluate(snapshot, policy=policy)
    _print_report(report, args.output)
    return exit_code_for(report, args.fail_on)


# -------------------------------------------------------------------------- plan/apply


def cmd_plan(args: argparse.Namespace) -> int:
    """``rootguard plan``: plan the remediation of the monitoring chain."""
    from rootguard._collect import collect
    from rootguard._remediation._options import RemediationOptions
    from rootguard._remediation._planner import plan

    try:
        options = RemediationOptions(
            alert_emails=tuple(args.email or ()),
            home_region=args.home_region,
            regions=tuple(args.region) if args.region else None,
            alert_topic_arn=args.alert_topic_arn,
        )
    except ValueError as exc:
        raise CliError(
            f"invalid options: {first_error(exc)}", "see rootguard plan --help"
        ) from None
    if args.out:
        check_writable(args.out, "--out")
    if args.snapshot_in:
        snapshot = load_snapshot(args.snapshot_in, "--snapshot-in")
    else:
        snapshot = collect(session=cli_session(args), regions=cli_regions(args))
    return emit_plan(plan(snapshot, options), args.out)


def cmd_apply(args: argparse.Namespace) -> int:
    """``rootguard apply PLAN.json``: apply a saved plan to its own account."""
    from rootguard._errors import ApplyError
    from rootguard._remediation._apply import apply, verify_account
    from rootguard._remediation._plan import Plan

    the_plan = read_plan(Plan, args.plan, "apply PLAN.json", "rootguard plan --out FILE")
    require_a_way_to_confirm(args)
    session = cli_session(args)
    try:
        if the_plan.api_actions:
            # Whose account the credentials reach, before printing, asking or any other
            # call: a plan is never applied to another account than its own.
            caller = verify_account(the_plan, session=session)
            Stderr.note(
                f"the plan is for account {the_plan.account_id} ({the_plan.partition}); "
                f"the credentials reach account {caller.account_id} ({caller.partition}) "
                f"as {caller.arn}"
            )
        write_out(the_plan.to_text())
        if not args.dry_run and not args.yes and not confirm("Apply this plan? [y/N] "):
            Stderr.note("Nothing applied.")
            return EXIT_OK
        result = apply(the_plan, session=session, dry_run=args.dry_run)
    except ApplyError as exc:  # the plan is valid: only the account can be in question
        hint = "use --profile of the plan's account" if "credentials reach" in str(exc) else None
        raise CliError(str(exc), hint, code=EXIT_ERROR) from None
    write_out(result.to_text())
    for pending in result.pending_confirmations:
        write_out(
            f"ACTION NEEDED: {pending.endpoint} must confirm the subscription ({pending.protocol});"
            " until then no alert is delivered and the alarm check fails."
        )
    return EXIT_OK if result.ok else EXIT_FINDINGS

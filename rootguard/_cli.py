"""The ``rootguard`` command line: a thin shell over the library.

Exit codes (all commands):

- ``0`` — done, and nothing reached the ``--fail-on`` threshold;
- ``1`` — a finding reached the ``--fail-on`` threshold (``check``; ``org check``, where
  an account that could not be checked counts too), or an action failed (``apply``);
- ``2`` — usage error or bad input (unreadable file, invalid plan);
- ``3`` — rootguard could not do the job (no credentials, nothing collectable, no account
  of the organization could be checked, no region's event history could be read),
  ``apply``'s credentials do not provably reach the plan's account and partition, or
  ``plan`` could not read what it needs: the plan is incomplete (blocked entries).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rootguard._errors import RootGuardError

if TYPE_CHECKING:
    import boto3

    from rootguard._checks import Report

__all__ = ["main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_ERROR = 3


class ProgressBar:
    """A one-line progress bar on a terminal (silent when the stream is not a TTY)."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0

    def advance(self, note: str = "", *, done: int | None = None, total: int | None = None) -> None:
        """Count one more unit done (or set ``done``/``total``) and redraw."""
        self.done = self.done + 1 if done is None else done
        if total is not None:
            self.total = total
        self._draw(note)

    def _draw(self, note: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.05 and self.total and self.done < self.total:
            return
        self._last = now
        width = 30
        if self.total:
            filled = int(width * min(self.done, self.total) / self.total)
            bar = "#" * filled + "." * (width - filled)
            text = f"\r{self.label} [{bar}] {self.done}/{self.total} {note}"
        else:
            text = f"\r{self.label} {self.done} {note}"
        self.stream.write(text[:99].ljust(99))
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar."""
        if self.enabled:
            self.stream.write("\r" + " " * 99 + "\r")
            self.stream.flush()


def _session(args: argparse.Namespace) -> boto3.Session:
    import boto3

    return boto3.Session(profile_name=getattr(args, "profile", None))


def _regions(args: argparse.Namespace) -> list[str] | None:
    regions: list[str] | None = getattr(args, "region", None)
    return regions or None


def _write(text: str, out: TextIO | None = None) -> None:
    stream = out if out is not None else sys.stdout
    stream.write(text if text.endswith("\n") else text + "\n")


# ------------------------------------------------------------------------------- check

_STATUS_RANK = {"FAIL": 0, "UNKNOWN": 1, "NOT_APPLICABLE": 2, "PASS": 3}
FAIL_ON_CHOICES = ("fail", "unknown", "never")


def report_table(report: Report) -> str:
    """The report as a fixed-width table readable in 100 columns."""
    from rootguard._render import fit

    lines = [
        f"Account {report.account_id}  ·  "
        + ", ".join(f"{n} {s}" for s, n in report.counts.items() if n),
        "",
        f"{'status':<8} {'severity':<9} {'check':<32} {'region':<14} title",
        "-" * 99,
    ]
    for f in sorted(report.findings, key=lambda f: (_STATUS_RANK.get(str(f.status), 9),)):
        status = "N/A" if str(f.status) == "NOT_APPLICABLE" else str(f.status)
        lines.append(
            f"{fit(status, 8):<8} {fit(str(f.severity), 9):<9} "
            f"{fit(f.check_id, 32):<32} {fit(f.region or 'global', 14):<14} "
            f"{fit(f.title, 32)}"
        )
    return "\n".join(lines)


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
    return report_table(report)


def exit_code_for(report: Report, fail_on: str) -> int:
    """``--fail-on`` semantics: ``fail`` → 1 on any FAIL; ``unknown`` → 1 on any FAIL or
    UNKNOWN; ``never`` → 0."""
    statuses = {str(f.status) for f in report.findings}
    if fail_on == "fail" and "FAIL" in statuses:
        return EXIT_FINDINGS
    if fail_on == "unknown" and statuses & {"FAIL", "UNKNOWN"}:
        return EXIT_FINDINGS
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from rootguard._checks import evaluate
    from rootguard._collect import collect
    from rootguard._snapshot import AccountSnapshot

    if args.snapshot_in:
        snapshot = AccountSnapshot.model_validate_json(Path(args.snapshot_in).read_bytes())
    else:
        bar = ProgressBar("collecting regions", total=len(args.region) if args.region else None)
        try:
            snapshot = collect(
                session=_session(args),
                regions=_regions(args),
                progress=bar.advance,
            )
        finally:
            bar.close()
    if args.snapshot_out:
        Path(args.snapshot_out).write_text(snapshot.model_dump_json(indent=2))
    report = evaluate(snapshot)
    _write(render_report(report, args.output))
    return exit_code_for(report, args.fail_on)


# ---------------------------------------------------------------------------- activity


def _cmd_activity(args: argparse.Namespace) -> int:
    from rootguard._credential_report import root_activity_from_credential_report
    from rootguard._render import activities_to_json, activities_to_markdown, activities_to_table

    if getattr(args, "athena", None):
        return _cmd_activity_athena(args)
    now = datetime.now(timezone.utc)
    since = now - timedelta(days=args.days)
    activities = []
    problems: list[str] = []
    unreadable = False
    if args.archive:
        from rootguard._archive import scan_cloudtrail_archive

        bar = ProgressBar("scanning files", total=None)
        try:
            result = scan_cloudtrail_archive(
                args.archive,
                session=_session(args) if args.archive.startswith("s3://") else None,
                since=since if args.days_given else None,
                regions=_regions(args),
                workers=args.workers,
                progress=lambda done, total: bar.advance(done=done, total=total),
            )
        finally:
            bar.close()
        activities.extend(result.activities)
        problems.extend(f"cannot read {e.path}: {e.detail or e.reason}" for e in result.errors)
        logging.getLogger(__name__).info(
            "scanned %d files, %d events", result.files_scanned, result.events_scanned
        )
    else:
        from rootguard._collect import collect
        from rootguard._credential_report import parse_credential_report
        from rootguard._history import lookup_root_activity

        session = _session(args)
        snapshot = collect(session=session, regions=_regions(args) or ["us-east-1"])
        if snapshot.credential_report is not None:
            report = parse_credential_report(
                snapshot.credential_report.content,
                generated_at=snapshot.credential_report.generated_at,
            )
            activities.extend(root_activity_from_credential_report(report, now=now, since=since))
        else:
            problems.extend(g.describe() for g in snapshot.gaps_for("iam"))
        history = lookup_root_activity(session=session, regions=_regions(args), since=since)
        activities.extend(history)
        problems.extend(
            g.describe() + (f": {g.message}" if g.message else "") for g in history.gaps
        )
        unreadable = (
            bool(history.regions)
            and not history.events_scanned
            and history.unread_regions == history.regions
        )
    if args.output == "json":
        _write(activities_to_json(activities))
    elif args.output == "markdown":
        _write(activities_to_markdown(activities))
    else:
        _write(activities_to_table(activities))
    for problem in problems:
        sys.stderr.write(f"warning: {problem}\n")
    if unreadable:
        sys.stderr.write("rootguard: no region's CloudTrail event history could be read\n")
        return EXIT_ERROR
    return EXIT_OK


# ------------------------------------------------------------------------------ athena


def _when(text: str) -> datetime:
    """``--since`` / ``--until``: an ISO date or date-time (UTC unless it says otherwise)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date or date-time (YYYY-MM-DD[THH:MM[:SS]]): {text!r}"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _cmd_activity_athena(args: argparse.Namespace) -> int:
    """``rootguard activity --athena DATABASE.TABLE``: one Athena query over the trail."""
    from rootguard._athena import hunt_root_activity_athena
    from rootguard._render import activities_to_json, activities_to_markdown, activities_to_table

    database, dot, table = str(args.athena).partition(".")
    if not dot or not database or not table:
        sys.stderr.write(f"rootguard: --athena takes DATABASE.TABLE, not {args.athena!r}\n")
        return EXIT_USAGE
    now = datetime.now(timezone.utc)
    since = args.since if args.since is not None else now - timedelta(days=args.days)
    hunt = hunt_root_activity_athena(
        session=_session(args),
        database=database,
        table=table,
        since=since,
        until=args.until,
        accounts=args.account or None,
        regions=_regions(args),
        workgroup=args.workgroup,
        output_location=args.output_location,
        region=args.athena_region,
        timeout=args.timeout,
    )
    if args.output == "json":
        _write(activities_to_json(hunt.activities))
    elif args.output == "markdown":
        _write(activities_to_markdown(hunt.activities))
    else:
        _write(activities_to_table(hunt.activities))
    scanned = "unknown" if hunt.bytes_scanned is None else f"{hunt.bytes_scanned:,} bytes"
    cost = "" if hunt.cost is None else f", about {hunt.cost:.4f} {hunt.currency}"
    sys.stderr.write(
        f"athena query {hunt.query_execution_id} in {hunt.region}: {hunt.rows} candidate "
        f"records, {scanned} scanned{cost}\n"
    )
    for failed in hunt.errors:
        sys.stderr.write(f"warning: cannot read {failed.path}: {failed.detail or failed.reason}\n")
    return EXIT_OK


def _cmd_athena_ddl(args: argparse.Namespace) -> int:
    """``rootguard athena ddl``: print the CREATE EXTERNAL TABLE statement."""
    from rootguard._athena_sql import CLOUDTRAIL_EPOCH, athena_table_ddl

    ddl = athena_table_ddl(
        bucket=args.bucket,
        prefix=args.prefix,
        organization_id=args.organization_id,
        accounts=args.account or None,
        regions=args.region or None,
        start=args.start.date() if args.start else CLOUDTRAIL_EPOCH,
        database=args.database,
        table=args.table,
    )
    _write(ddl + ";")
    return EXIT_OK


def _cmd_athena_create(args: argparse.Namespace) -> int:
    """``rootguard athena create-table``: create the database and table when missing."""
    from rootguard._athena import ensure_athena_table
    from rootguard._athena_sql import CLOUDTRAIL_EPOCH

    result = ensure_athena_table(
        session=_session(args),
        bucket=args.bucket,
        prefix=args.prefix,
        organization_id=args.organization_id,
        accounts=args.account or None,
        regions=args.region or None,
        start=args.start.date() if args.start else CLOUDTRAIL_EPOCH,
        database=args.database,
        table=args.table,
        workgroup=args.workgroup,
        output_location=args.output_location,
        region=args.athena_region,
    )
    _write(f"database {result.database}: {result.database_status}")
    _write(f"table {result.database}.{result.table}: {result.table_status}")
    for problem in result.problems:
        sys.stderr.write(f"warning: table {result.database}.{result.table}: {problem}\n")
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _add_athena_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workgroup", help="Athena workgroup (its output location and limits apply)")
    p.add_argument("--output-location", metavar="s3://BUCKET/PREFIX/", help="query results")
    p.add_argument("--athena-region", metavar="REGION", help="where Athena runs (the profile's)")


def _add_athena_table(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bucket", required=True, help="the trail's S3 bucket")
    p.add_argument("--prefix", default="", help="the trail's S3 key prefix, if any")
    p.add_argument("--organization-id", metavar="o-...", help="organization-trail layout")
    p.add_argument("--account", action="append", metavar="ID", help="projected account")
    p.add_argument("--region", action="append", metavar="REGION", help="projected region")
    p.add_argument("--start", type=_when, metavar="YYYY-MM-DD", help="first projected day")
    p.add_argument("--database", default="rootguard")
    p.add_argument("--table", default="cloudtrail_logs")


# -------------------------------------------------------------------------- plan/apply


def _cmd_plan(args: argparse.Namespace) -> int:
    from rootguard._collect import collect
    from rootguard._remediation._options import RemediationOptions
    from rootguard._remediation._planner import plan
    from rootguard._snapshot import AccountSnapshot

    try:
        options = RemediationOptions(
            alert_emails=tuple(args.email or ()),
            home_region=args.home_region,
            regions=tuple(args.region) if args.region else None,
            alert_topic_arn=args.alert_topic_arn,
        )
    except ValueError as exc:
        sys.stderr.write(f"rootguard: invalid options: {exc}\n")
        return EXIT_USAGE
    if args.snapshot_in:
        snapshot = AccountSnapshot.model_validate_json(Path(args.snapshot_in).read_bytes())
    else:
        snapshot = collect(session=_session(args), regions=_regions(args))
    the_plan = plan(snapshot, options)
    _write(the_plan.to_text())  # starts with what is blocked, when anything is
    if args.out:
        Path(args.out).write_text(the_plan.to_json())
        sys.stderr.write(f"plan saved to {args.out}\n")
    if not the_plan.complete:
        count = len(the_plan.blocked)
        sys.stderr.write(
            f"rootguard: the plan is incomplete: {count} item{'s' if count != 1 else ''} "
            "could not be planned because rootguard could not read what "
            f"{'they need' if count != 1 else 'it needs'} (missing: "
            f"{', '.join(the_plan.missing_permissions()) or 'see above'})\n"
        )
        return EXIT_ERROR
    return EXIT_OK


def _confirm(prompt: str) -> bool:
    if not sys.stdin.isatty():
        return False
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in {"y", "yes"}


def _cmd_apply(args: argparse.Namespace) -> int:
    from rootguard._errors import ApplyError
    from rootguard._remediation._apply import apply, verify_account
    from rootguard._remediation._plan import Plan

    try:
        the_plan = Plan.from_json(Path(args.plan).read_bytes())
    except OSError as exc:
        sys.stderr.write(f"rootguard: cannot read {args.plan}: {exc}\n")
        return EXIT_USAGE
    _write(the_plan.to_text())
    if not args.dry_run and not args.yes and not sys.stdin.isatty():
        sys.stderr.write("rootguard: refusing to apply without --yes (no terminal)\n")
        return EXIT_USAGE
    session = _session(args)
    try:
        if the_plan.api_actions:
            # Whose account the credentials reach, before asking and before any other
            # call: a plan is never applied to another account than its own.
            caller = verify_account(the_plan, session=session)
            sys.stderr.write(
                f"the plan is for account {the_plan.account_id} ({the_plan.partition}); "
                f"the credentials reach account {caller.account_id} ({caller.partition}) "
                f"as {caller.arn}\n"
            )
        if not args.dry_run and not args.yes and not _confirm("Apply this plan? [y/N] "):
            sys.stderr.write("Nothing applied.\n")
            return EXIT_OK
        result = apply(the_plan, session=session, dry_run=args.dry_run)
    except ApplyError as exc:  # the plan is valid: only the account can be in question
        sys.stderr.write(f"rootguard: {exc}\n")
        return EXIT_ERROR
    _write(result.to_text())
    for pending in result.pending_confirmations:
        _write(
            f"ACTION NEEDED: {pending.endpoint} must confirm the subscription ({pending.protocol});"
            " until then no alert is delivered and the alarm check fails."
        )
    return EXIT_OK if result.ok else EXIT_FINDINGS


# ------------------------------------------------------------------------------- org


def _cmd_org_check(args: argparse.Namespace) -> int:
    from rootguard._org import scan_organization

    bar = ProgressBar("checking accounts", total=None)
    try:
        org = scan_organization(
            session=_session(args),
            role_name=args.role_name,
            accounts=args.account or None,
            regions=_regions(args),
            max_workers=args.max_workers,
            progress=lambda done, total: bar.advance(done=done, total=total),
        )
    finally:
        bar.close()
    _write(org.render(args.output))
    for account in org.errors:
        problem = account.error.describe() if account.error else account.reason
        sys.stderr.write(f"warning: account {account.account_id} not checked: {problem}\n")
    code = org.exit_code(args.fail_on)
    if code == EXIT_ERROR:
        sys.stderr.write("rootguard: no account of the organization could be checked\n")
    return code


# ------------------------------------------------------------------------------ demo


def _cmd_demo(args: argparse.Namespace) -> int:
    from rootguard._demo import run_demo

    return run_demo(out=sys.stdout)


# ------------------------------------------------------------------------------ main


def _add_aws(p: argparse.ArgumentParser, *, regions: bool = True) -> None:
    p.add_argument("--profile", help="AWS profile name (default: the standard chain)")
    if regions:
        p.add_argument(
            "--region",
            action="append",
            metavar="REGION",
            help="a region to cover (repeatable; default: every enabled region)",
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="rootguard",
        description="Was the AWS root user used, would the next use be noticed, what to fix.",
        epilog="Exit codes: 0 ok, 1 findings/failed actions, 2 usage or bad input, 3 error "
        "(no credentials, or apply's credentials reach another account).",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the whole job against an embedded moto account")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("check", help="collect and evaluate every root-monitoring check")
    _add_aws(p)
    p.add_argument(
        "--output", choices=("table", "json", "asff", "ocsf", "markdown"), default="table"
    )
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        default="fail",
        help="exit 1 when a finding is FAIL (fail), FAIL or UNKNOWN (unknown), or never",
    )
    p.add_argument("--snapshot-out", metavar="FILE", help="save the collected snapshot")
    p.add_argument("--snapshot-in", metavar="FILE", help="evaluate a saved snapshot offline")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("activity", help="root activity: credential report + event history")
    _add_aws(p)
    p.add_argument("--archive", metavar="PATH|s3://BUCKET/PREFIX", help="scan a log archive")
    p.add_argument("--days", type=int, default=None, help="look back this many days (90)")
    p.add_argument("--workers", type=int, default=None, help="archive scan processes")
    p.add_argument("--output", choices=("table", "json", "markdown"), default="table")
    p.add_argument(
        "--athena", metavar="DATABASE.TABLE", help="one Amazon Athena query over a trail's logs"
    )
    p.add_argument("--since", type=_when, help="with --athena: from (default: --days ago)")
    p.add_argument("--until", type=_when, help="with --athena: until (default: now)")
    p.add_argument("--account", action="append", metavar="ID", help="with --athena: accounts")
    p.add_argument("--timeout", type=float, default=1800.0, help="with --athena: seconds")
    _add_athena_run(p)
    p.set_defaults(func=_cmd_activity)

    p = sub.add_parser("athena", help="Amazon Athena table for a CloudTrail trail")
    athena_sub = p.add_subparsers(dest="athena_command", required=True)
    q = athena_sub.add_parser("ddl", help="print the CREATE EXTERNAL TABLE statement")
    _add_athena_table(q)
    q.set_defaults(func=_cmd_athena_ddl)
    q = athena_sub.add_parser("create-table", help="create the database and table if missing")
    _add_athena_table(q)
    _add_athena_run(q)
    q.add_argument("--profile", help="AWS profile name (default: the standard chain)")
    q.set_defaults(func=_cmd_athena_create)

    p = sub.add_parser("plan", help="plan the remediation of the monitoring chain")
    _add_aws(p)
    p.add_argument("--email", action="append", metavar="ADDR", help="alert subscriber")
    p.add_argument("--home-region", help="where the trail, alarm and topic live")
    p.add_argument("--alert-topic-arn", help="reuse this SNS topic for alerts")
    p.add_argument("--out", metavar="FILE", help="save the plan as JSON")
    p.add_argument("--snapshot-in", metavar="FILE", help="plan from a saved snapshot")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("apply", help="apply a saved plan")
    _add_aws(p, regions=False)
    p.add_argument("plan", metavar="PLAN.json")
    p.add_argument("--dry-run", action="store_true", help="send no mutating call")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_cmd_apply)

    p = sub.add_parser("org", help="organization-wide commands")
    org_sub = p.add_subparsers(dest="org_command", required=True)
    q = org_sub.add_parser("check", help="check every account of the organization")
    _add_aws(q)
    q.add_argument("--role-name", default="OrganizationAccountAccessRole")
    q.add_argument("--account", action="append", metavar="ID", help="only these accounts")
    q.add_argument("--max-workers", type=int, default=None)
    q.add_argument("--output", choices=("table", "json", "asff", "markdown"), default="table")
    q.add_argument("--fail-on", choices=FAIL_ON_CHOICES, default="fail")
    q.set_defaults(func=_cmd_org_check)
    return parser


LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


@contextmanager
def cli_logging(verbose: int, stream: TextIO | None = None) -> Iterator[logging.Handler]:
    """Log to ``stream`` (stderr) for the duration of a command, secrets redacted.

    The commands print every problem themselves (gaps, unreadable files, failed actions);
    the library's log lines, and botocore's, show with ``-v`` (INFO) and ``-vv`` (DEBUG).
    botocore logs signed headers and raw responses at DEBUG: every handler on the root
    logger — this one and any that were already there — gets a
    :class:`~rootguard._redact.RedactSecrets` filter, so that no level ever prints a
    session token, a secret access key or a signature. Everything is put back afterwards.
    """
    from rootguard._redact import RedactSecrets

    level = (logging.ERROR, logging.INFO, logging.DEBUG)[min(max(verbose, 0), 2)]
    root = logging.getLogger()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(level)
    redactor = RedactSecrets()
    previous_level = root.level
    root.addHandler(handler)
    guarded = list(root.handlers)
    for each in guarded:
        each.addFilter(redactor)
    root.setLevel(level)
    try:
        yield handler
    finally:
        root.setLevel(previous_level)
        for each in guarded:
            each.removeFilter(redactor)
        root.removeHandler(handler)
        handler.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rootguard`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "days", "absent") is None:
        args.days = 90
        args.days_given = False
    elif hasattr(args, "days"):
        args.days_given = True
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        with cli_logging(args.verbose):
            return func(args)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except RootGuardError as exc:
        sys.stderr.write(f"rootguard: {exc}\n")
        return EXIT_USAGE if _is_input_error(exc) else EXIT_ERROR


def _is_input_error(exc: RootGuardError) -> bool:
    from rootguard._errors import ApplyError, ArgumentError, ParseError, PatternError, PlanError

    return isinstance(exc, (ParseError, PatternError, PlanError, ApplyError, ArgumentError))

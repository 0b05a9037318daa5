"""The ``rootguard`` command line: a thin shell over the library.

Exit codes (all commands):

- ``0`` — done, and nothing reached the ``--fail-on`` threshold;
- ``1`` — a finding reached the ``--fail-on`` threshold (``check``; ``org check``, where
  an account that could not be checked counts too), or an action failed (``apply``);
- ``2`` — usage error or bad input (unknown option or region, unreadable or wrong file,
  invalid plan or options, an archive with no log file);
- ``3`` — rootguard could not do the job (no credentials, nothing collectable, no account
  of the organization could be checked, no region's event history could be read, every
  archive file unreadable), ``apply``'s credentials do not provably reach the plan's
  account and partition, or ``plan`` could not read what it needs: the plan is
  incomplete (blocked entries).

Every error is one line on stderr, ``rootguard: error: <what> (<hint>)``; the traceback
shows only with ``-v``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from rootguard._cli_support import (
    CliError,
    Stderr,
    add_common,
    check_writable,
    cli_session,
    confirm,
    emit_plan,
    error_line,
    first_error,
    positive_int,
    read_input,
    read_plan,
    require_a_way_to_confirm,
    write_out,
    write_output_file,
)
from rootguard._errors import RootGuardError
from rootguard._fail_on import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    FAIL_ON,
    ORG_FAIL_ON,
    exit_code,
)
from rootguard._time import utc_now

if TYPE_CHECKING:
    import boto3

    from rootguard._fastscan import ScanResult
    from rootguard._models import RootActivity
    from rootguard._posture._policy import Policy
    from rootguard._posture._report import Report
    from rootguard._snapshot import AccountSnapshot

__all__ = ["main"]


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


def _regions(args: argparse.Namespace) -> list[str] | None:
    regions: list[str] | None = getattr(args, "region", None)
    return regions or None


def _load_snapshot(path: str, flag: str) -> AccountSnapshot:
    """A saved snapshot, validated (kind and schema version first): a plan, a report or
    anything else is a one-line error, never a report where every check is UNKNOWN."""
    from pydantic import ValidationError

    from rootguard._kinds import kind_of
    from rootguard._snapshot import AccountSnapshot

    hint = "make one with: rootguard check --snapshot-out FILE"
    try:
        data = json.loads(read_input(path, flag))
    except ValueError as exc:
        raise CliError(f"{path} is not a rootguard snapshot: not JSON ({exc})", hint) from None
    if not isinstance(data, dict) or kind_of(data) is None:
        raise CliError(f"{path} is not a rootguard snapshot: no 'kind' and no snapshot field", hint)
    try:
        return AccountSnapshot.model_validate(data)
    except ValidationError as exc:
        raise CliError(f"{path} is not a rootguard snapshot: {first_error(exc)}", hint) from None


# ------------------------------------------------------------------------------- check

CHECK_OUTPUTS = ("table", "json", "asff", "ocsf", "markdown", "csv", "html")
ACTIVITY_OUTPUTS = ("table", "json", "markdown", "csv", "html")
ORG_OUTPUTS = ("table", "json", "asff", "markdown", "csv", "html")
FAIL_ON_CHOICES = FAIL_ON
ORG_FAIL_ON_CHOICES = ORG_FAIL_ON


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


def _cmd_check(args: argparse.Namespace) -> int:
    from rootguard._collect import collect
    from rootguard._posture._evaluate import evaluate

    policy = _policy(args)
    if args.snapshot_out:
        check_writable(args.snapshot_out, "--snapshot-out")
    if args.snapshot_in:
        snapshot = _load_snapshot(args.snapshot_in, "--snapshot-in")
    else:
        session = cli_session(args)
        bar = ProgressBar("collecting regions", total=len(args.region) if args.region else None)
        try:
            snapshot = collect(session=session, regions=_regions(args), progress=bar.advance)
        finally:
            bar.close()
    if args.snapshot_out:
        write_output_file(args.snapshot_out, snapshot.model_dump_json(indent=2), "--snapshot-out")
    report = evaluate(snapshot, policy=policy)
    _print_report(report, args.output)
    return exit_code_for(report, args.fail_on)


# ---------------------------------------------------------------------------- activity


def _cmd_activity(args: argparse.Namespace) -> int:
    from rootguard._credential_report import root_activity_from_credential_report
    from rootguard._render import activities_to_json, activities_to_markdown
    from rootguard._terminal import activities_table, make_console

    if getattr(args, "athena", None):
        return _cmd_activity_athena(args)
    policy = _policy(args)
    now = utc_now()
    since = now - timedelta(days=args.days)
    activities: list[RootActivity] = []
    problems: list[str] = []
    unreadable = False
    summary = ""
    if args.archive:
        from rootguard._archive import scan_cloudtrail_archive

        session = _archive_session(args)
        bar = ProgressBar("scanning files", total=None)
        try:
            result = scan_cloudtrail_archive(
                args.archive,
                session=session,
                since=since if args.days_given else None,
                regions=_regions(args),
                max_workers=args.workers,
                progress=lambda done, total: bar.advance(done=done, total=total),
            )
        finally:
            bar.close()
        activities.extend(result.activities)
        problems.extend(f"cannot read {e.path}: {e.detail or e.reason}" for e in result.errors)
        summary = _scan_summary(result)
        _check_scan(args, session, result, summary, problems)
    else:
        from rootguard._collect import collect
        from rootguard._credential_report import parse_credential_report
        from rootguard._history import lookup_root_activity

        session = cli_session(args)
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
        read = len(history.regions) - len(history.unread_regions)
        summary = (
            f"credential report {'read' if snapshot.credential_report else 'NOT read'}; "
            f"event history of {read} of {len(history.regions)} regions read: "
            f"{history.events_scanned} events; {len(activities)} root activities"
        )
    activities = list(policy.mark_expected(activities, now=now))
    activities.sort(key=lambda a: (a.event_time is None, a.event_time, a.event_id or ""))
    if args.output == "json":
        write_out(activities_to_json(activities))
    elif args.output == "markdown":
        write_out(activities_to_markdown(activities))
    elif args.output == "csv":
        from rootguard._outputs import records_to_csv
        from rootguard._render import activity_records

        write_out(records_to_csv(activity_records(activities)))
    elif args.output == "html":
        from rootguard._html import activities_html

        write_out(activities_html(activities, summary=summary))
    else:
        make_console().print(activities_table(activities))
    for problem in problems:
        Stderr.warn(problem)
    Stderr.note(summary)
    if unreadable:
        raise CliError(
            "no region's CloudTrail event history could be read",
            "see the warnings above; cloudtrail:LookupEvents must be allowed",
            code=EXIT_ERROR,
        )
    return activity_exit_code(activities, args.fail_on)


ACTIVITY_FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "informational", "never")


def activity_exit_code(activities: Sequence[RootActivity], fail_on: str) -> int:
    """``activity --fail-on``: 1 when an activity is at least that severe (``never``: 0).
    An activity a rule of ``Policy.expected_activity`` marks as expected (and not
    expired) never counts."""
    from rootguard._terminal import severity_rank

    if fail_on == "never":
        return EXIT_OK
    threshold = severity_rank(fail_on)
    for a in activities:
        if a.is_expected:
            continue
        if severity_rank(a.severity) <= threshold:
            return EXIT_FINDINGS
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
    from rootguard._render import activities_to_json, activities_to_markdown
    from rootguard._terminal import activities_table, make_console

    database, dot, table = str(args.athena).partition(".")
    if not dot or not database or not table:
        sys.stderr.write(f"rootguard: --athena takes DATABASE.TABLE, not {args.athena!r}\n")
        return EXIT_USAGE
    now = utc_now()
    since = args.since if args.since is not None else now - timedelta(days=args.days)
    hunt = hunt_root_activity_athena(
        session=cli_session(args),
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
        write_out(activities_to_json(hunt.activities))
    elif args.output == "markdown":
        write_out(activities_to_markdown(hunt.activities))
    else:
        make_console().print(activities_table(hunt.activities))
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
    write_out(ddl + ";")
    return EXIT_OK


def _cmd_athena_create(args: argparse.Namespace) -> int:
    """``rootguard athena create-table``: create the database and table when missing."""
    from rootguard._athena import ensure_athena_table
    from rootguard._athena_sql import CLOUDTRAIL_EPOCH

    result = ensure_athena_table(
        session=cli_session(args),
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
    write_out(f"database {result.database}: {result.database_status}")
    write_out(f"table {result.database}.{result.table}: {result.table_status}")
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


def _scan_summary(result: ScanResult) -> str:
    """``files seen / scanned / skipped / errors`` and what was found, in one line."""
    pruned = f", {result.files_pruned} outside the filters" if result.files_pruned else ""
    return (
        f"{result.files_seen} files seen: {result.files_scanned} scanned, "
        f"{len(result.skipped)} skipped, {len(result.errors)} unreadable{pruned}; "
        f"{result.events_scanned} events, {len(result.activities)} root activities"
    )


def _check_scan(
    args: argparse.Namespace,
    session: boto3.Session | None,
    result: ScanResult,
    summary: str,
    problems: list[str],
) -> None:
    """An archive scan that read no log file is never green: every file unreadable is
    exit 3; nothing there, or nothing but digests and other files, is exit 2 (a wrong
    path or prefix). Files left out by the filters (--days, --region) are fine."""
    if result.files_scanned:
        return
    if result.errors:
        for problem in problems:
            Stderr.warn(problem)
        raise CliError(
            f"no file of {args.archive} could be read ({summary})",
            "see the warnings above",
            code=EXIT_ERROR,
        )
    if result.files_pruned:
        return
    if result.files_seen == 0 and _has_any_file(args.archive, session):
        return  # folders left out whole by --days / --region: nothing in the window
    raise CliError(
        f"no CloudTrail log file in {args.archive} ({summary})",
        "is the path or prefix right? CloudTrail writes "
        "AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/*.json.gz",
    )


def _has_any_file(source: str, session: boto3.Session | None) -> bool:
    """Whether the archive location holds any file at all (one S3 key is enough)."""
    if source.startswith("s3://"):
        from rootguard._aws import ClientFactory, resolve_session

        bucket, _, prefix = source[len("s3://") :].partition("/")
        s3 = ClientFactory(resolve_session(session)).client("s3", None)
        return bool(s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount"))
    path = Path(source)
    if path.is_file():
        return True
    return any(any(files) for _, _, files in os.walk(path))


def _archive_session(args: argparse.Namespace) -> boto3.Session | None:
    """Check ``--archive`` before scanning: a local path must exist, an S3 URL must name a
    bucket (bad input, exit 2). The session, for S3 only."""
    source: str = args.archive
    if source.startswith("s3://"):
        bucket = source[len("s3://") :].split("/", 1)[0]
        if not bucket:
            raise CliError(f"not an S3 URL: {source!r}", "give s3://BUCKET/PREFIX")
        return cli_session(args)
    if "://" in source:
        raise CliError(f"not a path or an s3:// URL: {source!r}", "--archive")
    if not Path(source).exists():
        raise CliError(
            f"no such file or folder: {source}",
            "--archive takes a folder or file of CloudTrail logs, or s3://BUCKET/PREFIX",
        )
    return None


# -------------------------------------------------------------------------- plan/apply


def _cmd_plan(args: argparse.Namespace) -> int:
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
        snapshot = _load_snapshot(args.snapshot_in, "--snapshot-in")
    else:
        snapshot = collect(session=cli_session(args), regions=_regions(args))
    return emit_plan(plan(snapshot, options), args.out)


def _cmd_apply(args: argparse.Namespace) -> int:
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


# ------------------------------------------------------------------------------- org


def _cmd_org_check(args: argparse.Namespace) -> int:
    from rootguard._org import scan_organization

    policy = _policy(args)
    session = cli_session(args)
    bar = ProgressBar("checking accounts", total=None)
    try:
        org = scan_organization(
            session=session,
            policy=policy,
            role_name=args.role_name,
            accounts=args.account or None,
            regions=_regions(args),
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


def _add_org_roots(org_sub: Any) -> None:
    q = org_sub.add_parser(
        "roots", help="audit every member's root user (sts:AssumeRoot) and its guardrails"
    )
    add_common(q, regions=False)
    q.add_argument("--account", action="append", metavar="ID", help="only these accounts")
    q.add_argument("--max-workers", type=positive_int, default=None)
    q.add_argument("-o", "--output", choices=("table", "json", "markdown"), default="table")
    q.add_argument("--fail-on", choices=FAIL_ON_CHOICES, default="fail")
    q.set_defaults(func=_cmd_org_roots)


# ------------------------------------------------------------------------------ demo


def _cmd_demo(args: argparse.Namespace) -> int:
    from rootguard._demo import run_demo

    return run_demo(out=sys.stdout)


# ------------------------------------------------------------------------------ main


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``rootguard: error: … (hint)``)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(message, f"see {self.prog} --help")


def _check_list(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _add_checks(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--checks",
        action="extend",
        type=_check_list,
        metavar="ID[,ID...]",
        help="only these checks (ids or patterns such as 'root.*'; repeatable or "
        "comma-separated; overrides the config file's checks)",
    )


def _policy(args: argparse.Namespace) -> Policy:
    """The policy: the config file (``--config``, else ``rootguard.toml`` or
    ``[tool.rootguard]`` in the working directory), with ``--checks`` on top."""
    from rootguard._config import find_config, load_policy
    from rootguard._errors import PolicyError
    from rootguard._posture._policy import Policy

    path: Path | None
    if getattr(args, "config", None):
        path = Path(args.config)
        if not path.is_file():
            raise CliError(f"cannot read {args.config}: no such file", "--config")
    else:
        path = find_config(Path.cwd())
    policy = load_policy(path) if path is not None else Policy()
    if path is not None:
        logging.getLogger(__name__).info("policy from %s", path)
    checks = getattr(args, "checks", None)
    if checks:
        try:
            policy = Policy.model_validate({**dict(policy), "checks": tuple(checks)})
        except PolicyError as exc:
            from rootguard._posture._catalogue import CHECK_IDS

            message = exc.problems[0][2] if exc.problems else str(exc)
            message = message.replace(" (see rootguard.CHECK_IDS)", "")
            raise CliError(f"--checks: {message}", "check ids: " + ", ".join(CHECK_IDS)) from None
    return policy


def _merge_globals(args: argparse.Namespace) -> None:
    args.verbose = getattr(args, "g_verbose", 0) + getattr(args, "verbose", 0)
    args.quiet = bool(getattr(args, "g_quiet", False) or getattr(args, "quiet", False))
    command = " ".join(x for x in (args.command, getattr(args, "org_command", None)) if x)
    if args.g_profile is not None:
        if not hasattr(args, "profile"):
            raise CliError(f"{command} takes no --profile", f"see rootguard {command} --help")
        args.profile = args.profile or args.g_profile
    if args.g_config is not None:
        if not hasattr(args, "config"):
            raise CliError(f"{command} takes no --config", f"see rootguard {command} --help")
        args.config = args.config or args.g_config
    if args.g_region:
        if not hasattr(args, "region"):
            raise CliError(f"{command} takes no --region", f"see rootguard {command} --help")
        args.region = list(dict.fromkeys([*args.g_region, *(args.region or [])]))
    elif getattr(args, "region", None):
        args.region = list(dict.fromkeys(args.region))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    from rootguard import __version__

    parser = _Parser(
        prog="rootguard",
        description="Was the AWS root user used, would the next use be noticed, what to fix.",
        epilog="Exit codes: 0 ok, 1 findings at or above --fail-on / failed actions, 2 usage "
        "or bad input, 3 cannot reach or authenticate (or apply's credentials reach "
        "another account). -v, -q, --profile and --region go before or after the command.",
    )
    parser.add_argument("--version", action="version", version=f"rootguard {__version__}")
    add_common(parser, config=True, top=True)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", help="run the whole job against an embedded moto account")
    add_common(p, profile=False, regions=False)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("check", help="collect and evaluate every root-monitoring check")
    add_common(p, config=True)
    _add_checks(p)
    p.add_argument("-o", "--output", choices=CHECK_OUTPUTS, default="table")
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
    add_common(p, config=True)
    p.add_argument("--archive", metavar="PATH|s3://BUCKET/PREFIX", help="scan a log archive")
    p.add_argument("--days", type=positive_int, default=None, help="look back this many days (90)")
    p.add_argument("--workers", type=positive_int, default=None, help="archive scan processes")
    p.add_argument("-o", "--output", choices=ACTIVITY_OUTPUTS, default="table")
    p.add_argument(
        "--fail-on",
        choices=ACTIVITY_FAIL_ON_CHOICES,
        default="high",
        help="exit 1 when a root activity is at least this severe (default high: a root "
        "access key, a sign-in without MFA); never: report only",
    )
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
    add_common(p)
    p.add_argument("--email", action="append", metavar="ADDR", help="alert subscriber")
    p.add_argument("--home-region", help="where the trail, alarm and topic live")
    p.add_argument("--alert-topic-arn", help="reuse this SNS topic for alerts")
    p.add_argument("--out", metavar="FILE", help="save the plan as JSON")
    p.add_argument("--snapshot-in", metavar="FILE", help="plan from a saved snapshot")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("apply", help="apply a saved plan")
    add_common(p, regions=False)
    p.add_argument("plan", metavar="PLAN.json")
    p.add_argument("--dry-run", action="store_true", help="send no mutating call")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_cmd_apply)

    p = sub.add_parser("org", help="organization-wide commands")
    org_sub = p.add_subparsers(dest="org_command", required=True, parser_class=_Parser)
    q = org_sub.add_parser("check", help="check every account of the organization")
    add_common(q, config=True)
    _add_checks(q)
    q.add_argument("--role-name", default="OrganizationAccountAccessRole")
    q.add_argument("--account", action="append", metavar="ID", help="only these accounts")
    q.add_argument("--max-workers", type=positive_int, default=None)
    q.add_argument("-o", "--output", choices=ORG_OUTPUTS, default="table")
    q.add_argument(
        "--fail-on",
        choices=ORG_FAIL_ON_CHOICES,
        default="fail",
        help="exit 1 when a finding is FAIL or an account could not be checked (fail), "
        "also on UNKNOWN (unknown), only when an account could not be checked (error), "
        "or never",
    )
    q.set_defaults(func=_cmd_org_check)
    _add_org_roots(org_sub)
    from rootguard._cli_org import add_org_remediation

    add_org_remediation(org_sub)
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
    # Loggers with their own level (werkzeug sets INFO on itself) propagate to the root's
    # handlers whatever the root's level: the handler filters too.
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
    verbose = 0
    Stderr.quiet = False
    try:
        args = build_parser().parse_args(argv)
        _merge_globals(args)
        verbose = args.verbose
        Stderr.quiet = args.quiet
        if getattr(args, "days", "absent") is None:
            args.days = 90
            args.days_given = False
        elif hasattr(args, "days"):
            args.days_given = True
        func: Callable[[argparse.Namespace], int] = args.func
        with cli_logging(verbose):
            return func(args)
    except KeyboardInterrupt:
        sys.stderr.write("rootguard: interrupted\n")
        return 130
    except BaseException as exc:  # every error: one line, a documented code
        if isinstance(exc, SystemExit):  # --help, --version
            raise
        code, line = _classify(exc)
        if verbose and not isinstance(exc, CliError):
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        sys.stderr.write(line + "\n")
        return code
    finally:
        Stderr.quiet = False


_CREDENTIALS_HINT = "configure credentials: --profile, AWS_PROFILE or aws sso login"


def _classify(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message of an error escaping a command."""
    if isinstance(exc, CliError):
        return exc.code, exc.line()
    if isinstance(exc, RootGuardError):
        from rootguard._errors import CollectError, ScanError

        if _is_input_error(exc):
            return EXIT_USAGE, error_line(str(exc))
        hint = None
        if isinstance(exc, (CollectError, ScanError)) and "credentials" in str(exc):
            hint = None if str(exc).endswith(")") else _CREDENTIALS_HINT
        elif isinstance(exc, CollectError):
            hint = "check the credentials, the network and the endpoint; -v for details"
        return EXIT_ERROR, error_line(str(exc), hint)
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return EXIT_USAGE, error_line(f"invalid input: {first_error(exc)}")
    from botocore import exceptions as bce

    if isinstance(exc, bce.ProfileNotFound):
        return EXIT_USAGE, error_line(str(exc), "see aws configure list-profiles")
    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return EXIT_ERROR, error_line(f"no usable AWS credentials: {exc}", _CREDENTIALS_HINT)
    if isinstance(exc, bce.NoRegionError):
        return EXIT_USAGE, error_line("no AWS region configured", "pass --region")
    if isinstance(exc, bce.ClientError):
        error = exc.response.get("Error", {})
        what = f"{exc.operation_name} failed: {error.get('Code')}: {error.get('Message')}"
        return EXIT_ERROR, error_line(what, "-v for details")
    if isinstance(exc, bce.BotoCoreError) or type(exc).__name__ == "ResponseParserError":
        return EXIT_ERROR, error_line(f"AWS call failed: {exc}", "-v for details")
    if isinstance(exc, OSError):
        return EXIT_ERROR, error_line(f"{type(exc).__name__}: {exc}", "-v for the traceback")
    return EXIT_ERROR, error_line(
        f"unexpected {type(exc).__name__}: {exc}",
        "a bug in rootguard: -v shows the traceback; please report it",
    )


def _is_input_error(exc: RootGuardError) -> bool:
    from rootguard._errors import (
        ApplyError,
        ArgumentError,
        ParseError,
        PatternError,
        PlanError,
        PolicyError,
    )

    return isinstance(
        exc, (ParseError, PatternError, PlanError, PolicyError, ApplyError, ArgumentError)
    )

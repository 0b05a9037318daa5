"""``rootguard activity`` (root activity from the credential report and the event
history, a CloudTrail log archive, or one Amazon Athena query) and ``rootguard athena``
(the Athena table of a trail): the activities in every ``--output`` format and the
``--fail-on`` exit code; an archive scan that read no log file is never green."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from rootguard._cli_support import (
    CliError,
    ProgressBar,
    Stderr,
    cli_policy,
    cli_regions,
    cli_session,
    write_out,
)
from rootguard._fail_on import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from rootguard._time import utc_now

if TYPE_CHECKING:
    import boto3

    from rootguard._fastscan import ScanResult
    from rootguard._models import RootActivity

__all__ = [
    "ACTIVITY_FAIL_ON_CHOICES",
    "ACTIVITY_OUTPUTS",
    "activity_exit_code",
    "add_athena_run",
    "add_athena_table",
    "cmd_activity",
    "cmd_athena_create",
    "cmd_athena_ddl",
    "when",
]

ACTIVITY_OUTPUTS = ("table", "json", "markdown", "csv", "html")

# ---------------------------------------------------------------------------- activity


def cmd_activity(args: argparse.Namespace) -> int:
    """``rootguard activity``: root activity from the credential report and the event
    history, a log archive (``--archive``) or Athena (``--athena``)."""
    from rootguard._credential_report import root_activity_from_credential_report
    from rootguard._render import activities_to_json, activities_to_markdown
    from rootguard._terminal import activities_table, make_console

    if getattr(args, "athena", None):
        return _cmd_activity_athena(args)
    policy = cli_policy(args)
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
                regions=cli_regions(args),
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
        snapshot = collect(session=session, regions=cli_regions(args) or ["us-east-1"])
        if snapshot.credential_report is not None:
            report = parse_credential_report(
                snapshot.credential_report.content,
                generated_at=snapshot.credential_report.generated_at,
            )
            activities.extend(root_activity_from_credential_report(report, now=now, since=since))
        else:
            problems.extend(g.describe() for g in snapshot.gaps_for("iam"))
        history = lookup_root_activity(session=session, regions=cli_regions(args), since=since)
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


def when(text: str) -> datetime:
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
        regions=cli_regions(args),
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


def cmd_athena_ddl(args: argparse.Namespace) -> int:
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


def cmd_athena_create(args: argparse.Namespace) -> int:
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


def add_athena_run(p: argparse.ArgumentParser) -> None:
    """The flags of a command that runs Athena queries."""
    p.add_argument("--workgroup", help="Athena workgroup (its output location and limits apply)")
    p.add_argument("--output-location", metavar="s3://BUCKET/PREFIX/", help="query results")
    p.add_argument("--athena-region", metavar="REGION", help="where Athena runs (the profile's)")


def add_athena_table(p: argparse.ArgumentParser) -> None:
    """The flags that describe a trail's Athena table."""
    p.add_argument("--bucket", required=True, help="the trail's S3 bucket")
    p.add_argument("--prefix", default="", help="the trail's S3 key prefix, if any")
    p.add_argument("--organization-id", metavar="o-...", help="organization-trail layout")
    p.add_argument("--account", action="append", metavar="ID", help="projected account")
    p.add_argument("--region", action="append", metavar="REGION", help="projected region")
    p.add_argument("--start", type=when, metavar="YYYY-MM-DD", help="first projected day")
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

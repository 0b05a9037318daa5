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
import logging
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn, TextIO

from rootguard._cli_account import CHECK_OUTPUTS, FAIL_ON_CHOICES, cmd_apply, cmd_check, cmd_plan
from rootguard._cli_activity import (
    ACTIVITY_FAIL_ON_CHOICES,
    ACTIVITY_OUTPUTS,
    add_athena_run,
    add_athena_table,
    cmd_activity,
    cmd_athena_create,
    cmd_athena_ddl,
    when,
)
from rootguard._cli_org_audit import ORG_FAIL_ON_CHOICES, ORG_OUTPUTS, add_org_roots, cmd_org_check
from rootguard._cli_support import (
    CliError,
    Stderr,
    add_common,
    error_line,
    first_error,
    positive_int,
)
from rootguard._errors import RootGuardError
from rootguard._fail_on import EXIT_ERROR, EXIT_USAGE

__all__ = ["main"]


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
    p.set_defaults(func=cmd_check)

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
    p.add_argument("--since", type=when, help="with --athena: from (default: --days ago)")
    p.add_argument("--until", type=when, help="with --athena: until (default: now)")
    p.add_argument("--account", action="append", metavar="ID", help="with --athena: accounts")
    p.add_argument("--timeout", type=float, default=1800.0, help="with --athena: seconds")
    add_athena_run(p)
    p.set_defaults(func=cmd_activity)

    p = sub.add_parser("athena", help="Amazon Athena table for a CloudTrail trail")
    athena_sub = p.add_subparsers(dest="athena_command", required=True)
    q = athena_sub.add_parser("ddl", help="print the CREATE EXTERNAL TABLE statement")
    add_athena_table(q)
    q.set_defaults(func=cmd_athena_ddl)
    q = athena_sub.add_parser("create-table", help="create the database and table if missing")
    add_athena_table(q)
    add_athena_run(q)
    q.add_argument("--profile", help="AWS profile name (default: the standard chain)")
    q.set_defaults(func=cmd_athena_create)

    p = sub.add_parser("plan", help="plan the remediation of the monitoring chain")
    add_common(p)
    p.add_argument("--email", action="append", metavar="ADDR", help="alert subscriber")
    p.add_argument("--home-region", help="where the trail, alarm and topic live")
    p.add_argument("--alert-topic-arn", help="reuse this SNS topic for alerts")
    p.add_argument("--out", metavar="FILE", help="save the plan as JSON")
    p.add_argument("--snapshot-in", metavar="FILE", help="plan from a saved snapshot")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("apply", help="apply a saved plan")
    add_common(p, regions=False)
    p.add_argument("plan", metavar="PLAN.json")
    p.add_argument("--dry-run", action="store_true", help="send no mutating call")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_apply)

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
    q.set_defaults(func=cmd_org_check)
    add_org_roots(org_sub)
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

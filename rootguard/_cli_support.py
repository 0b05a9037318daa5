"""What the command-line modules share (``rootguard._cli`` and the command modules
``rootguard._cli_account``, ``_cli_activity``, ``_cli_org`` and ``_cli_org_audit``, which
never import ``rootguard._cli``): the one-line :class:`CliError`, stderr notes
(:class:`Stderr`), the progress bar, the AWS session of ``--profile``, the ``--region``
list, the policy (:func:`cli_policy`), reading input (a saved snapshot) and writing output
files, the common flags (:func:`add_common`) and argument types."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from rootguard._fail_on import EXIT_ERROR, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    import boto3

    from rootguard._posture._policy import Policy
    from rootguard._remediation._plan import Plan
    from rootguard._snapshot import AccountSnapshot

__all__ = [
    "CliError",
    "ProgressBar",
    "Stderr",
    "add_common",
    "check_writable",
    "cli_policy",
    "cli_regions",
    "cli_session",
    "confirm",
    "emit_plan",
    "error_line",
    "first_error",
    "known_regions",
    "load_snapshot",
    "positive_int",
    "read_input",
    "read_plan",
    "require_a_way_to_confirm",
    "write_out",
    "write_output_file",
]


class CliError(Exception):
    """An error the command reports in one line and exits with ``code``."""

    def __init__(self, what: str, hint: str | None = None, *, code: int = EXIT_USAGE) -> None:
        super().__init__(what)
        self.what = what
        self.hint = hint
        self.code = code

    def line(self) -> str:
        """``rootguard: error: <what> (<hint>)``."""
        return error_line(self.what, self.hint)


def error_line(what: str, hint: str | None = None) -> str:
    """The one line every error is printed as."""
    what = " ".join(str(what).split())
    if hint and what.endswith(")") and "(" in what:
        return f"rootguard: error: {what[:-1]}; {hint})"
    return f"rootguard: error: {what}" + (f" ({hint})" if hint else "")


class Stderr:
    """Where the commands' warnings and notes go (silenced by ``-q``; errors never are)."""

    quiet = False

    @classmethod
    def warn(cls, text: str) -> None:
        if not cls.quiet:
            sys.stderr.write(f"rootguard: warning: {text}\n")

    @classmethod
    def note(cls, text: str) -> None:
        if not cls.quiet:
            sys.stderr.write(text if text.endswith("\n") else text + "\n")


def cli_session(args: argparse.Namespace) -> boto3.Session:
    """The AWS session of ``--profile`` (else the standard chain); an unknown profile is a
    one-line error naming the known ones."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    profile = getattr(args, "profile", None)
    try:
        return boto3.Session(profile_name=profile)
    except ProfileNotFound:
        known = boto3.Session().available_profiles
        raise CliError(
            f"no AWS profile named {profile!r}",
            "profiles: " + ", ".join(sorted(known)) if known else "no profile is configured",
        ) from None


def read_input(path: str, flag: str) -> bytes:
    """The bytes of an input file, or a one-line error naming the flag."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CliError(f"cannot read {path}: no such file", f"{flag}") from None
    except IsADirectoryError:
        raise CliError(f"cannot read {path}: it is a directory", f"{flag}") from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", f"{flag}") from None


def check_writable(path: str, flag: str) -> None:
    """Fail before any work when ``path`` cannot be written (missing folder …)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise CliError(f"cannot write {path}: it is a directory", flag)
    if not folder.is_dir():
        raise CliError(f"cannot write {path}: no such folder {str(folder)!r}", flag)
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise CliError(f"cannot write {path}: permission denied", flag)


def write_output_file(path: str, text: str, flag: str) -> None:
    """Write ``text`` to ``path``, or a one-line error naming the flag."""
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}", flag) from None


def write_out(text: str, out: TextIO | None = None) -> None:
    """Write ``text`` to ``out`` (default stdout), ending in one newline."""
    stream = out if out is not None else sys.stdout
    stream.write(text if text.endswith("\n") else text + "\n")


def first_error(exc: Exception) -> str:
    """A pydantic ValidationError's first message (with its field), else ``str(exc)``."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
        except (IndexError, TypeError):
            return str(exc)
        where = ".".join(str(x) for x in first.get("loc", ()))
        message = str(first.get("msg", exc)).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc)


def confirm(prompt: str) -> bool:
    """Ask on stderr; True only for a typed yes on a terminal (never without one)."""
    if not sys.stdin.isatty():
        return False
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in {"y", "yes"}


_P = TypeVar("_P", bound="Plan")


def emit_plan(the_plan: Plan, out: str | None) -> int:
    """Print a plan (what is blocked first), save it to ``out`` when given, and say on
    stderr when it is incomplete: the exit status of ``plan`` and ``org plan``."""
    write_out(the_plan.to_text())
    if out:
        write_output_file(out, the_plan.to_json(), "--out")
        Stderr.note(f"plan saved to {out}")
    if the_plan.complete:
        return EXIT_OK
    count = len(the_plan.blocked)
    sys.stderr.write(
        f"rootguard: the plan is incomplete: {count} item{'s' if count != 1 else ''} "
        "could not be planned because rootguard could not read what "
        f"{'they need' if count != 1 else 'it needs'} (missing: "
        f"{', '.join(the_plan.missing_permissions()) or 'see above'})\n"
    )
    return EXIT_ERROR


def read_plan(kind: type[_P], path: str, flag: str, make: str) -> _P:
    """The plan file ``path`` as ``kind`` (an account or an organization plan).

    Raises:
        CliError: the file cannot be read or is not a plan of that kind (``make``: the
            command that makes one).
    """
    from rootguard._errors import PlanError

    try:
        loaded = kind.from_json(read_input(path, flag))
    except PlanError as exc:
        raise CliError(f"{path}: {exc}", f"make a plan with: {make}") from None
    if not isinstance(loaded, kind):  # each kind's from_json refuses the other's files
        raise CliError(f"{path}: not a {kind.__name__}", f"make a plan with: {make}")
    return loaded


def require_a_way_to_confirm(args: argparse.Namespace) -> None:
    """Refuse to apply when nothing can confirm: no ``--yes``, no ``--dry-run``, no
    terminal to ask on."""
    if not args.dry_run and not args.yes and not sys.stdin.isatty():
        raise CliError(
            "refusing to apply without confirmation",
            "no terminal to ask on: pass --yes, or --dry-run",
        )


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore's endpoint data names, in every partition."""
    import botocore.session

    session = botocore.session.get_session()
    found: set[str] = set()
    for partition in session.get_available_partitions():
        for service in ("ec2", "sts"):
            found.update(session.get_available_regions(service, partition_name=partition))
    return frozenset(found)


def _region_list(text: str) -> list[str]:
    """``--region`` values: one region or a comma-separated list, each a known region."""
    regions = [r.strip() for r in text.split(",") if r.strip()]
    if not regions:
        raise argparse.ArgumentTypeError(f"no region in {text!r}")
    for region in regions:
        if region not in known_regions():
            raise argparse.ArgumentTypeError(
                f"unknown region {region!r}: not one of the {len(known_regions())} regions "
                "botocore knows (a region newer than the installed botocore needs an upgrade)"
            )
    return regions


def positive_int(text: str) -> int:
    """An argument type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_common(
    p: argparse.ArgumentParser,
    *,
    profile: bool = True,
    regions: bool = True,
    config: bool = False,
    top: bool = False,
) -> None:
    """The flags every command takes, before or after the subcommand name. On the top
    parser they land in ``g_*`` attributes, merged by ``rootguard._cli``'s
    ``_merge_globals``."""
    prefix = "g_" if top else ""
    p.add_argument(
        "-v",
        "--verbose",
        dest=prefix + "verbose",
        action="count",
        default=0,
        help="log more (-v INFO, -vv DEBUG with botocore's, secrets redacted); tracebacks",
    )
    p.add_argument(
        "-q",
        "--quiet",
        dest=prefix + "quiet",
        action="store_true",
        help="no warnings, notes or progress on stderr (errors still print)",
    )
    if profile:
        p.add_argument(
            "--profile",
            dest=prefix + "profile",
            help="AWS profile name (default: the standard chain)",
        )
    if config:
        p.add_argument(
            "--config",
            dest=prefix + "config",
            metavar="FILE",
            help="the policy: a rootguard.toml, or a pyproject.toml with [tool.rootguard] "
            "(default: either, found in the working directory)",
        )
    if regions:
        p.add_argument(
            "--region",
            dest=prefix + "region",
            action="extend",
            type=_region_list,
            metavar="REGION",
            help="a region to cover (repeatable or comma-separated; default: every enabled region)",
        )


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


def cli_regions(args: argparse.Namespace) -> list[str] | None:
    """The ``--region`` list, or None (every enabled region)."""
    regions: list[str] | None = getattr(args, "region", None)
    return regions or None


def load_snapshot(path: str, flag: str) -> AccountSnapshot:
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


def cli_policy(args: argparse.Namespace) -> Policy:
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

"""Where CloudTrail files sit: what a path says about account, region and date, what the
filters prune from that alone, and what walking a source finds (files to read, files
skipped) — for ``rootguard._archive``. Pure: no AWS, no file system.

CloudTrail's key layout::

    [prefix/]AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from rootguard._fastscan import FailedFile, FailureReason, RecordFilter, SkippedFile, SkipReason

DELIVERY_SLACK: Final = timedelta(days=1)
"""How long after an event its log file may be delivered. Date folders are the delivery
date, so with ``until`` the folders up to ``until + DELIVERY_SLACK`` are read."""

_ACCOUNT_RE: Final = re.compile(r"\d{12}")
_ORG_RE: Final = re.compile(r"o-[a-z0-9]{10,32}")
_REGION_RE: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_LOG_SUFFIXES: Final = (".json.gz", ".json")
DIGEST_MARK: Final = "CloudTrail-Digest"
"""In a file or folder name: a CloudTrail digest file, never read."""


# ---------------------------------------------------------------------------------------
# Layout: what a path says about account, region and date
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """What the folders of a path reveal. ``depth`` counts the layout levels understood
    after ``AWSLogs``: 0 none (or no AWSLogs), then org/account, service, region, year,
    month, day. ``known`` is False after a segment that breaks the layout."""

    in_awslogs: bool = False
    known: bool = True
    account: str | None = None
    service: str | None = None
    region: str | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None

    @property
    def level(self) -> str:
        if not self.in_awslogs:
            return "pre"
        if not self.known:
            return "other"
        for name in ("day", "month", "year", "region", "service", "account"):
            if getattr(self, name) is not None:
                return name
        return "top"


def layout(folders: Sequence[str]) -> Layout:
    """Parse folder names (not the file name) against CloudTrail's layout."""
    try:
        start = folders.index("AWSLogs")
    except ValueError:
        return Layout()
    parts = list(folders[start + 1 :])
    if parts and _ORG_RE.fullmatch(parts[0]):
        parts.pop(0)
    found: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[str], Any]]] = [
        ("account", lambda s: s if _ACCOUNT_RE.fullmatch(s) else None),
        ("service", lambda s: s if s.startswith("CloudTrail") else None),
        ("region", lambda s: s if _REGION_RE.fullmatch(s) else None),
        ("year", lambda s: int(s) if len(s) == 4 and s.isdigit() else None),
        ("month", lambda s: int(s) if len(s) == 2 and s.isdigit() and 1 <= int(s) <= 12 else None),
        ("day", lambda s: int(s) if len(s) == 2 and s.isdigit() and 1 <= int(s) <= 31 else None),
    ]
    for index, part in enumerate(parts):
        if index >= len(steps):
            return Layout(in_awslogs=True, known=False, **found)
        name, parse = steps[index]
        value = parse(part)
        if value is None:
            return Layout(in_awslogs=True, known=False, **found)
        found[name] = value
    if "day" in found:
        try:
            date(found["year"], found["month"], found["day"])
        except ValueError:
            return Layout(in_awslogs=True, known=False, **found)
    return Layout(in_awslogs=True, **found)


@dataclass(frozen=True)
class Pruner:
    """Decides from a layout alone whether a folder or file can be left out."""

    accounts: frozenset[str] | None
    regions: frozenset[str] | None
    first_day: date | None
    last_day: date | None

    @classmethod
    def of(cls, flt: RecordFilter) -> Pruner:
        return cls(
            accounts=flt.accounts,
            regions=flt.regions,
            first_day=flt.since.date() if flt.since else None,
            last_day=(flt.until + DELIVERY_SLACK).date() if flt.until else None,
        )

    @property
    def dates(self) -> bool:
        return self.first_day is not None or self.last_day is not None

    def _span(self, lay: Layout) -> tuple[date, date] | None:
        if lay.year is None:
            return None
        if lay.month is None:
            return date(lay.year, 1, 1), date(lay.year, 12, 31)
        if lay.day is None:
            nxt = date(lay.year + (lay.month == 12), lay.month % 12 + 1, 1)
            return date(lay.year, lay.month, 1), nxt - timedelta(days=1)
        day = date(lay.year, lay.month, lay.day)
        return day, day

    def prunes(self, lay: Layout) -> bool:
        """True when nothing under (or in) this layout position is wanted."""
        if (
            self.accounts is not None
            and lay.account is not None
            and lay.account not in self.accounts
        ):
            return True
        if self.regions is not None and lay.region is not None and lay.region not in self.regions:
            return True
        span = self._span(lay)
        if span is None:
            return False
        if self.first_day is not None and span[1] < self.first_day:
            return True
        return self.last_day is not None and span[0] > self.last_day

    def prunes_below(self, lay: Layout) -> bool:
        """True when a filter may still prune something deeper than this position."""
        level = lay.level
        if level == "other":
            return False
        if level in ("pre", "top"):
            return self.accounts is not None or self.regions is not None or self.dates
        if level in ("account", "service"):
            return self.regions is not None or self.dates
        if level == "day" or not self.dates:
            return False
        span = self._span(lay)
        if span is None:  # region level: the year folders are next
            return True
        inside_start = self.first_day is None or span[0] >= self.first_day
        inside_end = self.last_day is None or span[1] <= self.last_day
        return not (inside_start and inside_end)


# ---------------------------------------------------------------------------------------
# What walking a source finds: files to read, files skipped
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileRef:
    """One file to read: a local path or an S3 object. Picklable."""

    path: str
    """What the user sees: the local path or ``s3://bucket/key``."""
    size: int = 0
    bucket: str | None = None
    key: str | None = None
    account: str | None = None
    region: str | None = None


@dataclass
class Walk:
    """What walking found besides files to read."""

    skipped: list[SkippedFile] = field(default_factory=list)
    errors: list[FailedFile] = field(default_factory=list)
    pruned: int = 0

    def fail(self, path: str, detail: str) -> None:
        self.errors.append(FailedFile(path=path, reason=FailureReason.READ_FAILED, detail=detail))

    def skip(self, path: str, reason: SkipReason, detail: str) -> None:
        self.skipped.append(SkippedFile(path=path, reason=reason, detail=detail))


def _name_verdict(
    name: str, folders: Sequence[str], *, listed: bool, digest_folder: bool | None = None
) -> SkippedFile | None:
    """A skip for digest and (when found by listing) non-log names; None: read it.
    ``digest_folder``: ``DIGEST_MARK in folders``, when the caller already knows it."""
    if digest_folder is None:
        digest_folder = DIGEST_MARK in folders
    if digest_folder or DIGEST_MARK in name:
        return SkippedFile(path="", reason=SkipReason.DIGEST, detail="CloudTrail digest file")
    if listed and not name.lower().endswith(_LOG_SUFFIXES):
        return SkippedFile(
            path="", reason=SkipReason.NOT_A_LOG_FILE, detail="not named *.json.gz or *.json"
        )
    return None


def classify(
    path: str,
    folders: Sequence[str],
    name: str,
    pruner: Pruner,
    walk: Walk,
    *,
    listed: bool,
    lay: Layout | None = None,
    digest_folder: bool | None = None,
    **ref: Any,
) -> FileRef | None:
    """A file to read, or None (pruned or skipped). ``lay`` (``layout(folders)``, not
    pruned) and ``digest_folder``: when the caller already has them (the files of one
    folder share them)."""
    if lay is None:
        lay = layout(folders)
        if pruner.prunes(lay):
            walk.pruned += 1
            return None
    skip = _name_verdict(name, folders, listed=listed, digest_folder=digest_folder)
    if skip is not None:
        walk.skipped.append(skip.model_copy(update={"path": path}))
        return None
    day_level = lay.known and lay.day is not None
    return FileRef(
        path=path,
        account=lay.account if day_level else None,
        region=lay.region if day_level else None,
        **ref,
    )

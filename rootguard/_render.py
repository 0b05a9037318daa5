"""Markdown, JSON and flat records of root activities (pure; used by the CLI)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rootguard._models import RootActivity

__all__ = [
    "Record",
    "activities_to_json",
    "activities_to_markdown",
    "activity_records",
    "md_cell",
]

Record = dict[str, str | int | float | bool | None]
"""A flat record: column name → scalar."""

# Characters that mean something in (GitHub-flavoured) markdown: escaped with a backslash.
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|#!~"})
# And HTML: a name like <root_account> or <script> must show, not vanish or run.
_HTML = str.maketrans({"<": "&lt;", ">": "&gt;", "&": "&amp;"})


def md_cell(text: object) -> str:
    """``text`` safe in a markdown table cell: markdown and HTML characters escaped,
    newlines and other control characters as spaces (text from AWS is hostile)."""
    value = "" if text is None else str(text)
    value = "".join(" " if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in value)
    return value.translate(_MD_SPECIAL).translate(_HTML)


def _mfa(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


_MD_HEADER = [
    "time (UTC)",
    "account",
    "region",
    "channel",
    "event",
    "outcome",
    "source IP",
    "MFA",
    "severity",
    "note",
]


def activities_to_markdown(activities: Sequence[RootActivity]) -> str:
    """A GitHub-flavoured markdown table (every cell escaped: see :func:`md_cell`)."""
    head = "| " + " | ".join(_MD_HEADER) + " |"
    sep = "|" + "|".join("---" for _ in _MD_HEADER) + "|"
    rows = []
    for a in activities:
        when = a.event_time.strftime("%Y-%m-%d %H:%M") if a.event_time else "-"
        cells = [
            when,
            a.account_id or "-",
            a.region or "-",
            str(a.channel),
            a.event_name or a.credential or "-",
            str(a.outcome) + (f" ({a.error_code})" if a.error_code else ""),
            a.source_ip or "-",
            _mfa(a.mfa_used),
            str(a.severity),
            _note(a),
        ]
        rows.append("| " + " | ".join(md_cell(c) for c in cells) + " |")
    return "\n".join([head, sep, *rows])


def _note(a: RootActivity) -> str:
    expectation = a.expected
    if expectation is None:
        return ""
    if expectation.expired:
        return f"expected-activity rule EXPIRED on {expectation.expires}: {expectation.reason}"
    return f"expected until {expectation.expires}: {expectation.reason}"


def activities_to_json(activities: Sequence[RootActivity]) -> str:
    """A JSON array of activities (field names as in :class:`RootActivity`)."""
    return json.dumps([a.model_dump(mode="json") for a in activities], indent=2)


def activity_records(activities: Sequence[RootActivity]) -> list[Record]:
    """One flat record per activity, scalars only (``pandas.DataFrame(records)`` as is):
    every field of :class:`RootActivity`, times as ISO text, tuples ``"; "``-joined, and
    for an expected activity ``expected_reason`` / ``expected_until`` /
    ``expected_expired``."""
    out: list[Record] = []
    for a in activities:
        data = a.model_dump(mode="json", exclude={"expected"})
        record: Record = {k: "; ".join(v) if isinstance(v, list) else v for k, v in data.items()}
        expectation = a.expected
        record["expected_reason"] = expectation.reason if expectation else None
        record["expected_until"] = str(expectation.expires) if expectation else None
        record["expected_expired"] = expectation.expired if expectation else None
        out.append(record)
    return out

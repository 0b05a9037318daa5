"""Terminal tables with rich: cells wrap to the terminal's width (never cut), colour on a
terminal, ``NO_COLOR`` honoured (pure: no AWS, no clock).

Everything in a cell that came from AWS — names, ARNs, details, user agents — is hostile
input: it goes into rich ``Text`` objects (never parsed as rich markup), with control
characters (ANSI escape sequences included) shown as ``\\x1b`` text instead of reaching
the terminal.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from typing import IO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from rootguard._models import Outcome, RootActivity, Severity

__all__ = [
    "SEVERITY_STYLE",
    "activities_table",
    "clean",
    "make_console",
    "render_text",
    "severity_rank",
]

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}
_SEVERITY_ORDER = tuple(Severity)

# C0 controls but tab and newline, DEL, C1 controls, and the bidi overrides that can make
# a terminal line read differently from what it holds.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """``value`` as text safe for a terminal: control characters become ``\\xNN``."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def cell(value: object, style: str = "") -> Text:
    """A table cell: plain text (no rich markup), cleaned, optionally styled."""
    return Text(clean(value), style=style)


def severity_rank(severity: Severity | str) -> int:
    """0 for critical … 4 for informational."""
    return _SEVERITY_ORDER.index(Severity(severity))


def make_console(
    file: IO[str] | None = None, *, width: int | None = None, color: bool | None = None
) -> Console:
    """A console on ``file`` (stdout): rich finds out whether it is a terminal, its width
    (``COLUMNS`` when not a terminal, else 80) and ``NO_COLOR``. ``color=False`` turns
    styles off; ``color=True`` forces them (still not under ``NO_COLOR``)."""
    return Console(
        file=file,
        width=width,
        force_terminal=color if color else None,
        no_color=True if color is False else None,
        highlight=False,
        soft_wrap=False,
        emoji=False,
        markup=False,
    )


def render_text(renderable: RenderableType, *, width: int = 100, color: bool = False) -> str:
    """What ``renderable`` prints as at ``width`` columns (for tests, the demo and
    notebooks)."""
    buffer = io.StringIO()
    make_console(buffer, width=width, color=color).print(renderable)
    return buffer.getvalue()


def new_table(title: str | None = None) -> Table:
    """A borderless table: a rule under the header, one space between columns."""
    return Table(
        box=box.SIMPLE_HEAD,
        title=title,
        title_justify="left",
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )


def _mfa(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _event(a: RootActivity) -> str:
    name = a.event_name or a.credential or "-"
    if a.outcome is Outcome.FAILURE:
        name += f" (failed{': ' + a.error_code if a.error_code else ''})"
    return name


def activities_table(activities: Sequence[RootActivity], *, title: str | None = None) -> Table:
    """Root activity, one row each: time, account, region, channel, event (with a failure
    and its error code), source IP, MFA, severity; a note column when a rule of
    ``Policy.expected_activity`` matched."""
    table = new_table(title)
    notes = [_note(a) for a in activities]
    columns = ["time (UTC)", "account", "region", "channel", "event", "source IP", "MFA"]
    columns.append("severity")
    if any(notes):
        columns.append("note")
    for name in columns:
        table.add_column(name, overflow="fold")  # wrap, and fold long words: never cut
    for a, note in zip(activities, notes, strict=True):
        when = a.event_time.strftime("%Y-%m-%d %H:%M") if a.event_time else "-"
        expected = note.startswith("expected")
        style = "dim" if expected else SEVERITY_STYLE.get(a.severity, "")
        row = [
            cell(when),
            cell(a.account_id or "-"),
            cell(a.region or "-"),
            cell(a.channel),
            cell(_event(a)),
            cell(a.source_ip or "-"),
            cell(_mfa(a.mfa_used), "bold red" if a.mfa_used is False else ""),
            cell(a.severity, style),
        ]
        if any(notes):
            row.append(cell(note, "dim" if expected else "yellow"))
        table.add_row(*row)
    if not activities:
        table.add_row(cell("(none)"), *[cell("") for _ in columns[1:]])
    return table


def _note(a: RootActivity) -> str:
    expectation = getattr(a, "expected", None)
    if expectation is None:
        return ""
    until = f" until {expectation.expires}" if getattr(expectation, "expires", None) else ""
    if getattr(expectation, "expired", False):
        return f"expected-activity rule EXPIRED{until}: {expectation.reason}"
    return f"expected{until}: {expectation.reason}"


def worst_severity(activities: Iterable[RootActivity]) -> Severity | None:
    """The most severe severity among ``activities`` (None when there is none)."""
    ranks = [severity_rank(a.severity) for a in activities]
    return _SEVERITY_ORDER[min(ranks)] if ranks else None

"""The presentation core under the models (pure): text cleaning, status and severity
labels, the jinja2 environment of every HTML page, and the notebook :class:`View` with
the activity view — what a model shows of itself without importing the reports, the
checks or the renderers above it (``rootguard._terminal``, ``rootguard._html`` and
``rootguard._notebook`` build on it).

The HTML goes through an autoescaping jinja2 template and the markdown through
:func:`~rootguard._render.md_cell`: names and details from AWS are hostile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from rootguard._render import md_cell
from rootguard._vocabulary import Severity

if TYPE_CHECKING:
    import jinja2

    from rootguard._models import RootActivity

__all__ = [
    "TOP",
    "View",
    "activities_view",
    "clean",
    "counts_in_order",
    "render_fragment",
    "severity_rank",
    "status_label",
    "template_environment",
]

_SEVERITY_ORDER = tuple(Severity)

# C0 controls but tab and newline, DEL, C1 controls, and the bidi overrides that can make
# a terminal line read differently from what it holds.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """``value`` as text safe for a terminal: control characters become ``\\xNN``."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def severity_rank(severity: Severity | str) -> int:
    """0 for critical … 4 for informational."""
    return _SEVERITY_ORDER.index(Severity(severity))


_STATUS_LABEL = {"NOT_APPLICABLE": "N/A"}


def status_label(status: object) -> str:
    """``FAIL``, ``UNKNOWN``, ``N/A`` …"""
    return _STATUS_LABEL.get(str(status), str(status))


@cache
def template_environment() -> jinja2.Environment:
    """The jinja2 environment of rootguard's templates (autoescaping: AWS text is hostile)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("rootguard", "templates"),
        autoescape=True,  # everything from AWS is hostile: always escape
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_fragment(**context: Any) -> str:
    """A notebook cell's HTML (``fragment.html.j2``, autoescaped)."""
    return template_environment().get_template("fragment.html.j2").render(**context)


TOP = 10
"""How many rows a notebook view shows."""

_COLORS = {
    "FAIL": "#b42318",
    "UNKNOWN": "#b54708",
    "SUPPRESSED": "#6941c6",
    "NOT_APPLICABLE": "#667085",
    "PASS": "#067647",
    "critical": "#b42318",
    "high": "#d92d20",
    "medium": "#b54708",
    "low": "#175cd3",
    "informational": "#667085",
    "error": "#b42318",
    "skipped": "#667085",
    "checked": "#067647",
}


@dataclass
class View:
    """A summary and the top rows of an object, renderable as HTML or markdown."""

    title: str
    subtitle: str = ""
    counts: list[tuple[str, int]] = field(default_factory=list)
    """(label, count) — the label is a status, severity or account state."""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    total: int = 0
    """How many rows there are in all (``rows`` holds the first :data:`TOP`)."""
    hint: str = "to_records() has them all"

    def html(self) -> str:
        return render_fragment(
            title=clean(self.title),
            subtitle=clean(self.subtitle),
            counts=[
                {"label": status_label(k), "count": n, "color": _COLORS.get(k, "#475467")}
                for k, n in self.counts
            ],
            header=self.header,
            rows=[[clean(v) for v in row] for row in self.rows],
            more=max(self.total - len(self.rows), 0),
            hint=self.hint,
        )

    def markdown(self) -> str:
        lines = [
            f"**{md_cell(self.title)}**" + (f" — {md_cell(self.subtitle)}" if self.subtitle else "")
        ]
        if self.counts:
            lines += ["", " · ".join(f"{n} {md_cell(status_label(k))}" for k, n in self.counts)]
        if self.rows:
            lines += [
                "",
                "| " + " | ".join(md_cell(h) for h in self.header) + " |",
                "|" + "---|" * len(self.header),
            ]
            lines += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in self.rows]
        more = self.total - len(self.rows)
        if more > 0:
            lines += ["", f"… and {more} more ({md_cell(self.hint)})"]
        return "\n".join(lines) + "\n"


def counts_in_order(counts: Mapping[str, int], order: Sequence[str]) -> list[tuple[str, int]]:
    return [(k, counts[k]) for k in order if counts.get(k)]


def activities_view(activities: Sequence[RootActivity], *, title: str, subtitle: str = "") -> View:
    """Counts by severity and the most severe activities (then the latest)."""
    counts: dict[str, int] = {}
    for a in activities:
        counts[str(a.severity)] = counts.get(str(a.severity), 0) + 1
    ordered = sorted(
        activities,
        key=lambda a: (
            severity_rank(a.severity),
            -(a.event_time.timestamp() if a.event_time else 0),
        ),
    )
    order = ("critical", "high", "medium", "low", "informational")
    return View(
        title=title,
        subtitle=subtitle,
        counts=counts_in_order(counts, order),
        header=[
            "time (UTC)",
            "account",
            "region",
            "channel",
            "event",
            "source IP",
            "MFA",
            "severity",
        ],
        rows=[
            [
                a.event_time.strftime("%Y-%m-%d %H:%M") if a.event_time else "-",
                a.account_id or "-",
                a.region or "-",
                str(a.channel),
                a.event_name or a.credential or "-",
                a.source_ip or "-",
                "?" if a.mfa_used is None else ("yes" if a.mfa_used else "no"),
                str(a.severity),
            ]
            for a in ordered[:TOP]
        ],
        total=len(ordered),
    )

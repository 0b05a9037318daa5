"""Plain-text and markdown rendering of root activities (pure; used by the CLI)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rootguard._models import RootActivity

__all__ = ["activities_to_json", "activities_to_markdown", "activities_to_table", "fit"]


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters (with an ellipsis when cut)."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…"


def _mfa(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _row(a: RootActivity) -> list[str]:
    when = a.event_time.strftime("%Y-%m-%d %H:%M") if a.event_time else "-"
    return [
        when,
        a.account_id or "-",
        a.region or "-",
        str(a.channel),
        a.event_name or a.credential or "-",
        str(a.outcome),
        _mfa(a.mfa_used),
        str(a.severity),
    ]


_HEADER = ["time (UTC)", "account", "region", "channel", "event", "outcome", "mfa", "severity"]
_WIDTHS = [16, 12, 14, 15, 18, 7, 3, 8]


def activities_to_table(activities: Sequence[RootActivity]) -> str:
    """A fixed-width table that fits in 100 columns."""
    lines = ["  ".join(h.ljust(w) for h, w in zip(_HEADER, _WIDTHS, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in _WIDTHS))
    for a in activities:
        cells = _row(a)
        lines.append(
            "  ".join(fit(c, w).ljust(w) for c, w in zip(cells, _WIDTHS, strict=True)).rstrip()
        )
    if not activities:
        lines.append("(no root activity)")
    return "\n".join(lines)


def activities_to_markdown(activities: Sequence[RootActivity]) -> str:
    """A GitHub-flavoured markdown table."""
    head = "| " + " | ".join(_HEADER) + " |"
    sep = "|" + "|".join("---" for _ in _HEADER) + "|"
    rows = ["| " + " | ".join(c.replace("|", "\\|") for c in _row(a)) + " |" for a in activities]
    return "\n".join([head, sep, *rows])


def activities_to_json(activities: Sequence[RootActivity]) -> str:
    """A JSON array of activities (field names as in :class:`RootActivity`)."""
    return json.dumps([a.model_dump(mode="json") for a in activities], indent=2)

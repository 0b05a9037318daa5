"""Credential reports (rootguard._credential_report): CSV cells, raw reports, parsed reports."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from rootguard._credential_report import COLUMNS, CredentialReport, CredentialReportRow

CR_SENTINELS = ("N/A", "no_information", "not_supported")
_CR_BOOL_COLUMNS = frozenset(
    c for c in COLUMNS if c.endswith("_active") or c in ("password_enabled", "mfa_active")
)
_CR_STRING_COLUMNS = frozenset(c for c in COLUMNS if c.endswith(("_region", "_service")))
_CR_DATETIME_COLUMNS = frozenset(COLUMNS[2:]) - _CR_BOOL_COLUMNS - _CR_STRING_COLUMNS

# Any text a CSV cell can hold, CSV-hostile characters included (NUL excluded: Python 3.10's
# csv module rejects it).
cr_cell_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=12,
)

cr_utc_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(timezone.utc)
)


@st.composite
def cr_datetime_cells(draw: st.DrawFn) -> str:
    """A date-time cell as AWS writes it (``+00:00``) or in another valid ISO 8601 form."""
    value = draw(cr_utc_datetimes)
    style = draw(st.sampled_from(["aws", "z", "offset"]))
    if style == "aws":
        return value.isoformat()
    if style == "z":
        return value.replace(tzinfo=None).isoformat() + "Z"
    minutes = draw(st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59))
    return value.astimezone(timezone(timedelta(minutes=minutes))).isoformat()


def cr_cells(column: str) -> st.SearchStrategy[str]:
    """A valid raw cell for one credential-report column (a sentinel or a value)."""
    sentinels = st.sampled_from(CR_SENTINELS)
    if column in _CR_BOOL_COLUMNS:
        return st.one_of(sentinels, st.sampled_from(["true", "false", "TRUE", "False"]))
    if column in _CR_DATETIME_COLUMNS:
        return st.one_of(sentinels, cr_datetime_cells())
    if column in _CR_STRING_COLUMNS:
        return st.one_of(sentinels, st.sampled_from(["us-east-1", "s3", "ec2"]), cr_cell_text)
    return st.one_of(st.just("<root_account>"), cr_cell_text)  # user, arn


# Extra-column names; "missing" and "extra_columns" collide with row field names.
cr_extra_names = st.one_of(
    st.sampled_from(["extra", "missing", "extra_columns", "password_last_used_note"]),
    cr_cell_text,
).filter(lambda name: name not in COLUMNS)


@st.composite
def cr_raw_reports(
    draw: st.DrawFn, *, allow_field_name_extras: bool = True
) -> tuple[list[str], list[list[str]]]:
    """A valid report as (header, rows of raw cells): columns in any order, extras."""
    extras = draw(st.lists(cr_extra_names, max_size=3, unique=True))
    if not allow_field_name_extras:
        extras = [e for e in extras if e not in ("missing", "extra_columns")]
    header = draw(st.permutations([*COLUMNS, *extras]))
    row = st.tuples(*(cr_cells(c) if c in COLUMNS else cr_cell_text for c in header))
    rows = draw(st.lists(row.map(list), max_size=4))
    return header, rows


@st.composite
def cr_csv_texts(draw: st.DrawFn) -> str | bytes:
    """A valid report as CSV: LF or CRLF, final newline or not, BOM or not, str or bytes."""
    header, rows = draw(cr_raw_reports())
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    quote_all = draw(st.booleans())

    def field(cell: str) -> str:
        if quote_all or any(ch in cell for ch in ',"\r\n'):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    lines = [",".join(field(cell) for cell in record) for record in [header, *rows]]
    text = terminator.join(lines)
    if draw(st.booleans()):
        text += terminator
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode() if draw(st.booleans()) else text


@st.composite
def credential_reports(draw: st.DrawFn) -> CredentialReport:
    """A valid CredentialReport, built through the row model's own cell conversion."""
    header, rows = draw(cr_raw_reports(allow_field_name_extras=False))
    built: list[CredentialReportRow] = []
    for cells in rows:
        raw: dict[str, Any] = dict(zip(header, cells, strict=True))
        built.append(CredentialReportRow.model_validate(raw))
    generated_at = draw(st.none() | cr_utc_datetimes)
    return CredentialReport(rows=tuple(built), generated_at=generated_at)

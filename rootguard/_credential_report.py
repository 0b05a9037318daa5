"""IAM credential report parsing and root activity from last-used dates (pure).

The credential report (``iam:GetCredentialReport``) is a CSV file with one row per IAM
user plus one ``<root_account>`` row. AWS writes three sentinels where a value is missing,
and they mean different things depending on the column (AWS IAM User Guide, "Getting
credential reports for your AWS account"):

==================================  ===============================================
column                              sentinel → meaning
==================================  ===============================================
``password_enabled``                ``not_supported`` → always, for the root user
``password_last_used``              ``no_information`` → the password was never used,
                                    or not since IAM started tracking sign-ins
                                    (2014-10-20); ``N/A`` → the user has no password
``password_last_changed``           ``N/A`` → no password; ``not_supported`` → root
``password_next_rotation``          ``N/A`` → no rotation required (or no password);
                                    ``not_supported`` → root
``access_key_N_last_rotated``       ``N/A`` → the user has no such access key
``access_key_N_last_used_date``     ``N/A`` → no such key, or the key was never used
                                    (or not since tracking began, 2015-04-22)
``access_key_N_last_used_region``   ``N/A`` → as above, or the service is not
                                    regional (e.g. ``s3``)
``access_key_N_last_used_service``  ``N/A`` → no such key, or never used
``cert_N_last_rotated``             ``N/A`` → the user has no such certificate
==================================  ===============================================

rootguard never leaves a sentinel as a string in a typed field: the field becomes ``None``
and :attr:`CredentialReportRow.missing` records the :class:`MissingReason`, so nothing is
lost and :meth:`CredentialReport.to_csv` writes the report back as AWS wrote it.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NamedTuple, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from rootguard._errors import ArgumentError, ParseError, time_or_none
from rootguard._models import (
    ActivitySource,
    Channel,
    RootActivities,
    RootActivity,
    Severity,
    StrEnum,
    UtcDatetime,
)

__all__ = [
    "COLUMNS",
    "ROOT_USER",
    "CredentialName",
    "CredentialReport",
    "CredentialReportRow",
    "CredentialUse",
    "MissingReason",
    "parse_credential_report",
    "root_activity_from_credential_report",
]

logger = logging.getLogger(__name__)

ROOT_USER = "<root_account>"
"""The ``user`` value of the root user's row."""

DEFAULT_WINDOW = timedelta(days=90)
"""Default look-back of :func:`root_activity_from_credential_report` (as far back as
CloudTrail event history reaches, and CIS 1.7's usual window)."""

COLUMNS: tuple[str, ...] = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
"""The credential report's columns, in the order AWS writes them. All are required."""

_BOOL_COLUMNS = frozenset(
    {
        "password_enabled",
        "mfa_active",
        "access_key_1_active",
        "access_key_2_active",
        "cert_1_active",
        "cert_2_active",
    }
)
_DATETIME_COLUMNS = frozenset(
    {
        "user_creation_time",
        "password_last_used",
        "password_last_changed",
        "password_next_rotation",
        "access_key_1_last_rotated",
        "access_key_1_last_used_date",
        "access_key_2_last_rotated",
        "access_key_2_last_used_date",
        "cert_1_last_rotated",
        "cert_2_last_rotated",
    }
)
_STRING_COLUMNS = frozenset(
    {
        "access_key_1_last_used_region",
        "access_key_1_last_used_service",
        "access_key_2_last_used_region",
        "access_key_2_last_used_service",
    }
)
# Columns whose value may be missing (every column but user and arn).
_NULLABLE_COLUMNS: tuple[str, ...] = COLUMNS[2:]
_NULLABLE_SET = frozenset(_NULLABLE_COLUMNS)
_COLUMN_SET = frozenset(COLUMNS)

CredentialName = Literal["password", "access_key_1", "access_key_2"]
"""A root or IAM user credential whose last use the report records."""

_LAST_USED: tuple[tuple[CredentialName, str, str | None, str | None], ...] = (
    ("password", "password_last_used", None, None),
    (
        "access_key_1",
        "access_key_1_last_used_date",
        "access_key_1_last_used_region",
        "access_key_1_last_used_service",
    ),
    (
        "access_key_2",
        "access_key_2_last_used_date",
        "access_key_2_last_used_region",
        "access_key_2_last_used_service",
    ),
)
_CREDENTIAL_ORDER: dict[str, int] = {name: i for i, name in enumerate(get_args(CredentialName))}


class MissingReason(StrEnum):
    """Why a credential-report value is missing: the sentinel AWS wrote in its place.

    The meaning depends on the column (see the table in the module documentation); in
    short ``N/A`` is "no such credential" (or, for last-used dates of access keys, "never
    used"), ``no_information`` is "never used / not tracked", ``not_supported`` is "this
    column does not apply to the root user".

    Examples:
        >>> import rootguard
        >>> row = rootguard.CredentialReportRow.model_validate(
        ...     {"user": "alice", "arn": "arn:aws:iam::111122223333:user/alice",
        ...      "password_last_used": "no_information"})
        >>> row.password_last_used is None, row.reason("password_last_used")
        (True, <MissingReason.NO_INFORMATION: 'no_information'>)
    """

    NOT_APPLICABLE = "N/A"
    NO_INFORMATION = "no_information"
    NOT_SUPPORTED = "not_supported"


_SENTINELS: dict[str, MissingReason] = {reason.value: reason for reason in MissingReason}


class CredentialUse(NamedTuple):
    """The last recorded use of one credential (see
    :meth:`CredentialReportRow.last_used_credentials`)."""

    credential: CredentialName
    """``password``, ``access_key_1`` or ``access_key_2``."""
    last_used: datetime
    """When it was last used (UTC)."""
    region: str | None = None
    """For access keys: the region of the last use (None for global services such as S3)."""
    service: str | None = None
    """For access keys: the service namespace of the last use (``s3``, ``ec2`` ...)."""


class _CellError(ValueError):
    """A credential-report cell that is neither a valid value nor a sentinel."""

    def __init__(self, column: str, value: str, message: str) -> None:
        self.column = column
        self.value = value
        self.message = message
        super().__init__(f"column {column!r}, value {value!r}: {message}")


_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)


def _parse_datetime(column: str, raw: str) -> datetime:
    match = _DATETIME_RE.fullmatch(raw)
    if match is None:
        raise _CellError(column, raw, "not an ISO 8601 date-time")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=timezone.utc,
        )
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            value = (value.replace(tzinfo=timezone(sign * delta))).astimezone(timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise _CellError(column, raw, f"invalid date-time ({exc})") from None
    return value


def _convert_cell(column: str, raw: str) -> tuple[Any, MissingReason | None]:
    """Convert one cell of a typed column: (value, None) or (None, reason)."""
    reason = _SENTINELS.get(raw)
    if reason is not None:
        return None, reason
    if column in _BOOL_COLUMNS:
        lowered = raw.lower()
        if lowered == "true":
            return True, None
        if lowered == "false":
            return False, None
        raise _CellError(column, raw, "not a boolean (true/false) or an AWS sentinel")
    if column in _DATETIME_COLUMNS:
        return _parse_datetime(column, raw), None
    return raw, None


def _csv_field(text: str) -> str:
    # Quote exactly when needed; unlike csv.writer with a "\n" terminator, a bare "\r"
    # is quoted too, so every reader sees the same fields.
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_line(cells: Iterable[str]) -> str:
    return ",".join(_csv_field(cell) for cell in cells)


def _render_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


class CredentialReportRow(BaseModel):
    """One row of the IAM credential report: an IAM user or the root user.

    Every AWS column is a typed, snake_case field. Dates are UTC-aware ``datetime``,
    flags are ``bool``; where AWS wrote a sentinel (``N/A``, ``no_information``,
    ``not_supported``) the field is ``None`` and :attr:`missing` says why
    (:meth:`reason` reads it). Columns rootguard does not know are kept, as text, in
    :attr:`extra_columns`.

    Built by :func:`parse_credential_report`; :meth:`model_validate` also accepts a dict
    of raw report cells (strings), converting them the same way. A field left unset (or
    ``None``) without a reason is recorded as ``N/A``.

    Examples:
        >>> import rootguard
        >>> report = rootguard.parse_credential_report(
        ...     "user,arn,user_creation_time,password_enabled,password_last_used,"
        ...     "password_last_changed,password_next_rotation,mfa_active,"
        ...     "access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
        ...     "access_key_1_last_used_region,access_key_1_last_used_service,"
        ...     "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        ...     "access_key_2_last_used_region,access_key_2_last_used_service,"
        ...     "cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\\n"
        ...     "<root_account>,arn:aws:iam::111122223333:root,2020-11-23T18:42:55+00:00,"
        ...     "not_supported,no_information,not_supported,not_supported,false,"
        ...     "true,2021-01-01T00:00:00+00:00,N/A,N/A,N/A,"
        ...     "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
        ... )
        >>> root = report.root
        >>> root.mfa_active, root.active_access_keys, root.has_password
        (False, ('access_key_1',), None)
        >>> root.reason("access_key_1_last_used_date")
        <MissingReason.NOT_APPLICABLE: 'N/A'>
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    user: str
    """The user's friendly name; ``<root_account>`` for the root user."""
    arn: str
    """The user's ARN (``arn:aws:iam::<account>:root`` for the root user)."""
    user_creation_time: UtcDatetime | None = None
    password_enabled: bool | None = None
    """None for the root user (``not_supported``): see :attr:`has_password`."""
    password_last_used: UtcDatetime | None = None
    password_last_changed: UtcDatetime | None = None
    password_next_rotation: UtcDatetime | None = None
    mfa_active: bool | None = None
    access_key_1_active: bool | None = None
    access_key_1_last_rotated: UtcDatetime | None = None
    access_key_1_last_used_date: UtcDatetime | None = None
    access_key_1_last_used_region: str | None = None
    access_key_1_last_used_service: str | None = None
    access_key_2_active: bool | None = None
    access_key_2_last_rotated: UtcDatetime | None = None
    access_key_2_last_used_date: UtcDatetime | None = None
    access_key_2_last_used_region: str | None = None
    access_key_2_last_used_service: str | None = None
    cert_1_active: bool | None = None
    cert_1_last_rotated: UtcDatetime | None = None
    cert_2_active: bool | None = None
    cert_2_last_rotated: UtcDatetime | None = None
    missing: dict[str, MissingReason] = {}
    """Why each ``None`` column is missing, keyed by field name (column order)."""
    extra_columns: dict[str, str] = {}
    """Columns of the report that rootguard does not know, with the row's raw text."""

    @model_validator(mode="before")
    @classmethod
    def _sentinels_to_reasons(cls, data: Any) -> Any:
        """Raw cells → typed values; sentinels → None + reason; unknown keys → extras."""
        if not isinstance(data, Mapping):
            return data
        given_missing = data.get("missing") or {}
        given_extras = data.get("extra_columns") or {}
        if not isinstance(given_missing, Mapping) or not isinstance(given_extras, Mapping):
            return data  # let field validation report the type error
        missing: dict[str, Any] = dict(given_missing)
        extras: dict[str, Any] = dict(given_extras)
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("missing", "extra_columns"):
                continue
            if key in _NULLABLE_SET:
                converted = value
                if isinstance(value, str):
                    converted, reason = _convert_cell(key, value)
                    if reason is not None:
                        missing[key] = reason
                out[key] = converted
            elif key in _COLUMN_SET:
                out[key] = value
            else:
                extras[key] = value
        for column in _NULLABLE_COLUMNS:
            if out.get(column) is None and column not in missing:
                missing[column] = MissingReason.NOT_APPLICABLE
        ordered = {c: missing.pop(c) for c in _NULLABLE_COLUMNS if c in missing}
        ordered.update(missing)  # unknown keys: rejected by the after-validator
        out["missing"] = ordered
        out["extra_columns"] = extras
        return out

    @model_validator(mode="after")
    def _check_reasons(self) -> CredentialReportRow:
        for field in self.missing:
            if field not in _NULLABLE_SET:
                raise ValueError(f"missing names {field!r}, which is not a nullable column")
            if getattr(self, field) is not None:
                raise ValueError(f"{field!r} has a value and a missing reason")
        return self

    def reason(self, field: str) -> MissingReason | None:
        """Why ``field`` has no value: a :class:`MissingReason`, or None when it has one
        (or is not a credential-report column)."""
        return self.missing.get(field)

    @property
    def is_root(self) -> bool:
        """True for the ``<root_account>`` row."""
        return self.user == ROOT_USER

    @property
    def account_id(self) -> str | None:
        """The account id from the ARN (``arn:<partition>:iam::<account>:...``), or None."""
        parts = self.arn.split(":", 5)
        if len(parts) == 6 and parts[0] == "arn" and parts[4]:
            return parts[4]
        return None

    @property
    def has_password(self) -> bool | None:
        """Whether the user has a console password; None when the report cannot tell.

        For IAM users this is ``password_enabled``. For the root user AWS always writes
        ``not_supported`` there, so it is judged from ``password_last_used``: a date means
        a password (it has been used); ``N/A`` means no password (as after its removal
        through centralized root access); ``no_information`` is None — either a password
        that was never used or no password at all (e.g. an account created through
        AWS Organizations whose root password was never set).
        """
        if self.password_enabled is not None:
            return self.password_enabled
        if self.password_last_used is not None:
            return True
        if self.reason("password_last_used") is MissingReason.NOT_APPLICABLE:
            return False
        return None

    @property
    def active_access_keys(self) -> tuple[Literal["access_key_1", "access_key_2"], ...]:
        """The access keys whose status is Active: ``("access_key_1", ...)``."""
        keys: list[Literal["access_key_1", "access_key_2"]] = []
        if self.access_key_1_active:
            keys.append("access_key_1")
        if self.access_key_2_active:
            keys.append("access_key_2")
        return tuple(keys)

    @property
    def active_certificates(self) -> tuple[Literal["cert_1", "cert_2"], ...]:
        """The X.509 signing certificates whose status is Active: ``("cert_1", ...)``."""
        certs: list[Literal["cert_1", "cert_2"]] = []
        if self.cert_1_active:
            certs.append("cert_1")
        if self.cert_2_active:
            certs.append("cert_2")
        return tuple(certs)

    def last_used_credentials(self) -> tuple[CredentialUse, ...]:
        """Every credential with a recorded last use, most recent first.

        All three are considered — an old password use does not hide a key used later.
        Ties keep the order password, access_key_1, access_key_2.
        """
        uses: list[CredentialUse] = []
        for name, date_field, region_field, service_field in _LAST_USED:
            when: datetime | None = getattr(self, date_field)
            if when is None:
                continue
            region = getattr(self, region_field) if region_field else None
            service = getattr(self, service_field) if service_field else None
            uses.append(CredentialUse(name, when, region, service))
        uses.sort(key=lambda use: (-use.last_used.timestamp(), _CREDENTIAL_ORDER[use.credential]))
        return tuple(uses)

    def _cells(self, extra_names: tuple[str, ...]) -> list[str]:
        cells: list[str] = []
        for column in COLUMNS:
            value = getattr(self, column)
            if value is None:
                reason = self.missing.get(column, MissingReason.NOT_APPLICABLE)
                cells.append(reason.value)
            elif isinstance(value, bool):
                cells.append("true" if value else "false")
            elif isinstance(value, datetime):
                cells.append(_render_datetime(value))
            else:
                cells.append(str(value))
        cells.extend(self.extra_columns.get(name, "") for name in extra_names)
        return cells


class CredentialReport(BaseModel):
    """A parsed IAM credential report.

    ``rows`` keeps the report's order; :attr:`root` is the root user's row (None when
    the report has none, as with moto). ``generated_at`` is the report's
    ``GeneratedTime`` when known. Round-trips exactly through JSON
    (``model_dump_json`` / ``model_validate_json``) and back to CSV (:meth:`to_csv`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: tuple[CredentialReportRow, ...] = ()
    generated_at: UtcDatetime | None = None

    @property
    def root(self) -> CredentialReportRow | None:
        """The ``<root_account>`` row, or None."""
        return next((r for r in self.rows if r.user == ROOT_USER), None)

    def to_csv(self) -> str:
        """The report as CSV text in AWS's layout (the 22 columns in AWS order, then
        any extra columns in first-seen order; ``\\n`` line ends, no final newline).

        ``parse_credential_report(report.to_csv(), generated_at=report.generated_at)``
        equals ``report``. A row lacking an extra column that others have gets an empty
        cell there.
        """
        extra_names: dict[str, None] = {}
        for row in self.rows:
            extra_names.update(dict.fromkeys(row.extra_columns))
        names = tuple(extra_names)
        lines = [_csv_line((*COLUMNS, *names))]
        lines.extend(_csv_line(row._cells(names)) for row in self.rows)
        return "\n".join(lines)

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> CredentialReport:
        """Parse a ``GetCredentialReport`` response: boto3's dict (``Content`` bytes,
        ``GeneratedTime`` datetime) or the AWS CLI's JSON output (``Content`` base64).

        Raises :class:`~rootguard.ParseError` when there is no ``Content``, the format
        is not ``text/csv``, or the content is not a credential report.
        """
        if not isinstance(response, Mapping):
            raise ParseError("a GetCredentialReport response must be a mapping")
        report_format = response.get("ReportFormat", "text/csv")
        if report_format != "text/csv":
            raise ParseError(
                "unsupported credential report format",
                column="ReportFormat",
                value=str(report_format),
            )
        raw_content = response.get("Content")
        if not isinstance(raw_content, (str, bytes)):
            raise ParseError("the response has no Content", column="Content")
        content: str | bytes = raw_content
        if isinstance(raw_content, str) and not raw_content.lstrip("\ufeff").startswith("user"):
            try:
                content = base64.b64decode(raw_content, validate=True)
            except (binascii.Error, ValueError):
                raise ParseError(
                    "Content is neither CSV nor base64", column="Content", value=raw_content[:80]
                ) from None
        generated = response.get("GeneratedTime")
        generated_at: datetime | None
        if generated is None or isinstance(generated, datetime):
            generated_at = generated
        elif isinstance(generated, str):
            try:
                generated_at = _parse_datetime("GeneratedTime", generated)
            except _CellError as exc:
                raise ParseError(exc.message, column=exc.column, value=exc.value) from None
        else:
            raise ParseError(
                "GeneratedTime is not a date-time", column="GeneratedTime", value=repr(generated)
            )
        return parse_credential_report(content, generated_at=generated_at)


def _records(text: str, source: str | None) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on; blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next_line = 1
    try:
        for record in reader:
            start, next_line = next_line, reader.line_num + 1
            if record:
                yield start, record
    except csv.Error as exc:
        raise ParseError(f"malformed CSV: {exc}", source=source, line=next_line) from None


def parse_credential_report(
    data: str | bytes,
    *,
    generated_at: datetime | None = None,
    source: str | None = None,
) -> CredentialReport:
    """Parse the CSV of ``iam:GetCredentialReport`` (the decoded ``Content``).

    Accepts text or UTF-8 bytes, with or without a byte-order mark, ``\\n`` or ``\\r\\n``
    line ends, with or without a final newline. Columns may come in any order; columns
    rootguard does not know are kept in :attr:`CredentialReportRow.extra_columns`.

    Args:
        data: the CSV.
        generated_at: the report's ``GeneratedTime``, stored on the result (naive means UTC).
        source: a file name or description, named in errors.

    Raises:
        ParseError: empty or non-CSV input, a header lacking one of :data:`COLUMNS` (the
            error names the column and line 1), a duplicated column, a row with the wrong
            number of values, or a value that is neither valid for its column nor an AWS
            sentinel (the error names the column, the line and the value).

    Examples:
        >>> import rootguard
        >>> try:
        ...     rootguard.parse_credential_report("user,arn\\nbob,arn:aws:iam::1:user/bob")
        ... except rootguard.ParseError as exc:
        ...     print(exc.line, exc.column)
        1 user_creation_time
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source
            ) from None
    elif isinstance(data, str):
        text = data[1:] if data.startswith("\ufeff") else data
    else:
        raise ParseError(
            f"expected the report as str or bytes, got {type(data).__name__}", source=source
        )
    if not text.strip():
        raise ParseError("empty input: not a credential report", source=source)

    records = _records(text, source)
    first = next(records, None)
    if first is None:
        raise ParseError("no CSV records: not a credential report", source=source)
    header_line, header = first
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ParseError(
                "duplicated column in the header", source=source, line=header_line, column=name
            )
        seen.add(name)
    absent = [c for c in COLUMNS if c not in seen]
    if absent:
        shown = ", ".join(absent[:3]) + (", ..." if len(absent) > 3 else "")
        raise ParseError(
            f"the header lacks required column(s) {shown}",
            source=source,
            line=header_line,
            column=absent[0],
        )

    rows: list[CredentialReportRow] = []
    width = len(header)
    for line, record in records:
        if len(record) != width:
            raise ParseError(
                f"the row has {len(record)} values, the header has {width}",
                source=source,
                line=line,
                column=header[len(record)] if len(record) < width else None,
            )
        fields: dict[str, Any] = {}
        missing: dict[str, MissingReason] = {}
        extras: dict[str, str] = {}
        for name, raw in zip(header, record, strict=True):
            if name in _NULLABLE_SET:
                try:
                    value, reason = _convert_cell(name, raw)
                except _CellError as exc:
                    raise ParseError(
                        exc.message, source=source, line=line, column=name, value=raw
                    ) from None
                fields[name] = value
                if reason is not None:
                    missing[name] = reason
            elif name in _COLUMN_SET:
                fields[name] = raw
            else:
                extras[name] = raw
        fields["missing"] = missing
        fields["extra_columns"] = extras
        try:
            rows.append(CredentialReportRow.model_validate(fields))
        except ValidationError as exc:  # pragma: no cover - cells are converted above
            raise ParseError(f"invalid row: {exc}", source=source, line=line) from None

    try:
        report = CredentialReport(rows=tuple(rows), generated_at=generated_at)
    except ValidationError as exc:
        raise ParseError(
            f"generated_at is not a date-time: {exc.errors()[0]['msg']}",
            source=source,
            column="generated_at",
            value=repr(generated_at),
        ) from None
    logger.debug(
        "parsed credential report: %d rows, root row %s", len(rows), report.root is not None
    )
    return report


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def root_activity_from_credential_report(
    report: CredentialReport, *, now: datetime, since: datetime | None = None
) -> RootActivities:
    """Root activity from the root row's last-used dates: one :class:`RootActivity` per
    root credential (password, access key 1, access key 2) last used in ``[since, now]``.

    Every credential is considered: an old password use does not hide an access key used
    today. The report only keeps each credential's *last* use, so this finds at most three
    activities and says nothing about earlier uses (CloudTrail does).

    Activities have ``channel`` and ``source`` ``credential_report``, ``credential`` set,
    ``event_time`` the last use, ``account_id`` and ``actor_arn`` from the root ARN; for
    access keys ``region`` and ``event_source`` are the last-used region and service as
    AWS gives them (``s3``, ``ec2`` ...; region None for global services). Severity is
    critical for access keys and high for the password; ``alert`` is True and
    ``cis_match`` False (no CloudTrail record was matched).

    Args:
        report: a parsed credential report.
        now: the end of the window (naive means UTC); uses after ``now`` are ignored.
        since: the start of the window, inclusive; default ``now`` minus 90 days.

    Returns:
        Most recent first (ties: password, access_key_1, access_key_2); empty when the
        report has no root row.

    Raises:
        ArgumentError: ``now`` or ``since`` is not a datetime.

    Examples:
        >>> from datetime import datetime, timezone
        >>> import rootguard
        >>> report = rootguard.CredentialReport(rows=(rootguard.CredentialReportRow(
        ...     user="<root_account>", arn="arn:aws:iam::111122223333:root",
        ...     password_last_used=datetime(2020, 1, 1, tzinfo=timezone.utc),
        ...     access_key_1_last_used_date=datetime(2024, 5, 1, tzinfo=timezone.utc),
        ...     access_key_1_last_used_service="ec2"),))
        >>> [(a.credential, a.severity.value) for a in
        ...  rootguard.root_activity_from_credential_report(
        ...      report, now=datetime(2024, 5, 2, tzinfo=timezone.utc))]
        [('access_key_1', 'critical')]
    """
    if time_or_none(now, "now") is None:
        raise ArgumentError("now must be a datetime, not None", parameter="now")
    time_or_none(since, "since")
    root = report.root
    if root is None:
        return RootActivities()
    end = _aware(now)
    start = _aware(since) if since is not None else end - DEFAULT_WINDOW
    activities: list[RootActivity] = []
    for use in root.last_used_credentials():
        if not start <= use.last_used <= end:
            continue
        is_password = use.credential == "password"
        activities.append(
            RootActivity(
                event_time=use.last_used,
                account_id=root.account_id,
                region=use.region,
                event_source=use.service,
                channel=Channel.CREDENTIAL_REPORT,
                alert=True,
                cis_match=False,
                severity=Severity.HIGH if is_password else Severity.CRITICAL,
                source=ActivitySource.CREDENTIAL_REPORT,
                actor_arn=root.arn,
                credential=use.credential,
            )
        )
    return RootActivities(activities)

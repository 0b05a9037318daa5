"""The ``--fail-on`` roll-up shared by the organization report and the member-root audit
(pure): findings' statuses and per-account errors in, an exit status out."""

from __future__ import annotations

from collections.abc import Iterable

from rootguard._checks import Status

__all__ = ["fail_on_exit_code"]


def fail_on_exit_code(
    statuses: Iterable[Status], *, errors: bool, nothing_done: bool, fail_on: str
) -> int:
    """The exit status of a ``--fail-on`` gate over many accounts.

    - ``3`` when ``nothing_done`` (every account to check was in error), whatever
      ``fail_on``;
    - ``never`` → 0;
    - ``error`` → 1 only when an account is in error;
    - ``fail`` → 1 when a status is FAIL or an account is in error;
    - ``unknown`` → 1 when a status is FAIL or UNKNOWN, or an account is in error;
    - else 0. The caller validates ``fail_on`` against its own choices.

    Examples:
        >>> fail_on_exit_code([Status.UNKNOWN], errors=False, nothing_done=False,
        ...                   fail_on="fail")
        0
        >>> fail_on_exit_code([Status.UNKNOWN], errors=False, nothing_done=False,
        ...                   fail_on="unknown")
        1
    """
    if nothing_done:
        return 3
    if fail_on == "never":
        return 0
    if fail_on == "error":
        return 1 if errors else 0
    found = set(statuses)
    if Status.FAIL in found or errors:
        return 1
    if fail_on == "unknown" and Status.UNKNOWN in found:
        return 1
    return 0

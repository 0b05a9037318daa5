"""Exit codes and the ``--fail-on`` rule, for one account and for an organization (pure).

The command line's exit statuses, and the one rule that turns findings (and accounts
that could not be checked) into a status: :func:`exit_code`. ``rootguard check`` and
``rootguard org roots`` take :data:`FAIL_ON`; ``rootguard org check`` adds ``error``
(:data:`ORG_FAIL_ON`).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "FAIL_ON",
    "ORG_FAIL_ON",
    "exit_code",
]

EXIT_OK = 0
"""Done, and nothing reached the ``--fail-on`` threshold."""
EXIT_FINDINGS = 1
"""A finding reached the threshold (or, for an organization, an account is in error)."""
EXIT_USAGE = 2
"""Wrong usage or input."""
EXIT_ERROR = 3
"""Nothing could be checked (or a failure outside rootguard's control)."""

FAIL_ON: tuple[str, ...] = ("fail", "unknown", "never")
"""``fail``: any FAIL; ``unknown``: any FAIL or UNKNOWN; ``never``: report only."""
ORG_FAIL_ON: tuple[str, ...] = ("fail", "unknown", "error", "never")
""":data:`FAIL_ON` and ``error``: only accounts in error count."""


def exit_code(
    statuses: Iterable[str],
    fail_on: str,
    *,
    errors: bool = False,
    nothing_checked: bool = False,
    choices: tuple[str, ...] = FAIL_ON,
) -> int:
    """The exit status for findings of these ``statuses`` (``"FAIL"``, ``"UNKNOWN"`` …):

    - :data:`EXIT_ERROR` when ``nothing_checked`` (every account in error), whatever
      ``fail_on``;
    - ``never`` → :data:`EXIT_OK`;
    - ``error`` → :data:`EXIT_FINDINGS` only when ``errors`` (an account in error);
    - ``fail`` → :data:`EXIT_FINDINGS` on any FAIL, or ``errors``;
    - ``unknown`` → :data:`EXIT_FINDINGS` on any FAIL or UNKNOWN, or ``errors``.

    Raises:
        ValueError: ``fail_on`` is not one of ``choices``.
    """
    if fail_on not in choices:
        raise ValueError(f"unknown fail_on {fail_on!r} ({', '.join(choices)})")
    if nothing_checked:
        return EXIT_ERROR
    if fail_on == "never":
        return EXIT_OK
    if fail_on == "error":
        return EXIT_FINDINGS if errors else EXIT_OK
    found = {str(s) for s in statuses}
    if "FAIL" in found or errors:
        return EXIT_FINDINGS
    if fail_on == "unknown" and "UNKNOWN" in found:
        return EXIT_FINDINGS
    return EXIT_OK

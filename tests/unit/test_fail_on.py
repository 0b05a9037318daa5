"""rootguard._fail_on: one ``--fail-on`` rule for an account, an audit and an organization."""

from __future__ import annotations

import pytest

from rootguard._fail_on import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    FAIL_ON,
    ORG_FAIL_ON,
    exit_code,
)


@pytest.mark.parametrize(
    ("statuses", "fail_on", "expected"),
    [
        (["PASS", "FAIL"], "fail", EXIT_FINDINGS),
        (["PASS", "UNKNOWN"], "fail", EXIT_OK),
        (["PASS", "UNKNOWN"], "unknown", EXIT_FINDINGS),
        (["PASS", "FAIL"], "unknown", EXIT_FINDINGS),
        (["PASS", "NOT_APPLICABLE", "SUPPRESSED"], "unknown", EXIT_OK),
        (["FAIL", "UNKNOWN"], "never", EXIT_OK),
        ([], "fail", EXIT_OK),
    ],
)
def test_one_account(statuses: list[str], fail_on: str, expected: int) -> None:
    assert exit_code(statuses, fail_on) == expected


def test_accounts_in_error() -> None:
    assert exit_code(["PASS"], "fail", errors=True) == EXIT_FINDINGS
    assert exit_code(["PASS"], "unknown", errors=True) == EXIT_FINDINGS
    assert exit_code(["FAIL"], "error", errors=False, choices=ORG_FAIL_ON) == EXIT_OK
    assert exit_code(["PASS"], "error", errors=True, choices=ORG_FAIL_ON) == EXIT_FINDINGS
    assert exit_code(["PASS"], "never", errors=True) == EXIT_OK
    for fail_on in ORG_FAIL_ON:
        assert exit_code([], fail_on, errors=True, nothing_checked=True, choices=ORG_FAIL_ON) == (
            EXIT_ERROR
        )


def test_the_vocabularies() -> None:
    assert set(FAIL_ON) < set(ORG_FAIL_ON)
    assert set(ORG_FAIL_ON) - set(FAIL_ON) == {"error"}
    with pytest.raises(ValueError, match="error"):
        exit_code([], "error")  # not a choice for one account
    with pytest.raises(ValueError, match="unknown fail_on"):
        exit_code([], "high", choices=ORG_FAIL_ON)

"""``Policy(...)`` with invalid values raises :class:`rootguard.PolicyError` (a
``RootGuardError``), never pydantic's ``ValidationError``."""

from __future__ import annotations

from datetime import date
from typing import Any

import pydantic
import pytest

import rootguard
from rootguard import Policy, PolicyError, Report


@pytest.mark.parametrize(
    ("values", "where", "kind"),
    [
        ({"root_usage_days": -1}, ("root_usage_days",), "greater_than_equal"),
        ({"root_usage_days": "ninety"}, ("root_usage_days",), "int_parsing"),
        (
            {"cloudwatch_delivery_max_age_hours": 0},
            ("cloudwatch_delivery_max_age_hours",),
            "greater_than",
        ),
        ({"root_usage_dayz": 3}, ("root_usage_dayz",), "extra_forbidden"),
        ({"checks": ["nope.*"]}, ("checks",), "value_error"),
        (
            {"suppressions": [{"check_id": "root.*", "reason": "", "expires": "2030-01-01"}]},
            ("suppressions", 0, "reason"),
            "string_too_short",
        ),
        (
            {
                "expected_activity": [
                    {"source_ips": ["10.0.0.0/33"], "reason": "x", "expires": "2030-01-01"}
                ]
            },
            ("expected_activity", 0, "source_ips"),
            "value_error",
        ),
    ],
)
def test_invalid_values_raise_policy_error(
    values: dict[str, Any], where: tuple[int | str, ...], kind: str
) -> None:
    for build in (lambda: Policy(**values), lambda: Policy.model_validate(values)):
        with pytest.raises(PolicyError) as caught:
            build()
        exc = caught.value
        assert isinstance(exc, rootguard.RootGuardError)
        assert not isinstance(exc, pydantic.ValidationError)
        assert exc.__cause__ is None
        assert exc.problems[0][:2] == (where, kind)
        assert str(exc).startswith("invalid policy: " + ".".join(map(str, where)) + ": ")


def test_every_problem_is_named() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy(root_usage_days=-1, checks=("nope",))
    assert [where for where, _, _ in caught.value.problems] == [("root_usage_days",), ("checks",)]
    assert "no check id is or matches 'nope'" in str(caught.value)


def test_valid_values_still_build() -> None:
    policy = Policy(
        root_usage_days=0,
        checks=("root.*",),
        suppressions=[
            rootguard.Suppression(check_id="root.mfa_enabled", reason="x", expires=date(2030, 1, 1))
        ],
    )
    assert policy.root_usage_days == 0
    assert Policy.model_validate(policy.model_dump()) == policy


def test_a_saved_report_with_an_invalid_policy_is_a_parse_error() -> None:
    report = rootguard.evaluate(rootguard.AccountSnapshot(account_id="111122223333"))
    data = report.model_dump(mode="json")
    data["policy"]["root_usage_days"] = -5
    with pytest.raises(
        rootguard.ParseError, match=r"not a rootguard report: invalid policy: root_usage_days"
    ):
        Report.from_json(pydantic.TypeAdapter(dict[str, Any]).dump_json(data))


def test_an_organization_report_with_an_invalid_policy_is_a_parse_error() -> None:
    org = rootguard.OrganizationReport(
        organization_id="o-example", management_account_id="111122223333"
    )
    data = org.model_dump(mode="json")
    data["policy"] = {"root_usage_days": -5}
    with pytest.raises(
        rootguard.ParseError,
        match="not a rootguard organization report: invalid policy: root_usage_days",
    ):
        rootguard.OrganizationReport.from_json(pydantic.TypeAdapter(dict[str, Any]).dump_json(data))

"""One rule for every parameter typed as a sequence of names (account ids, regions, email
addresses …): a bare ``str`` is rejected, naming the parameter and suggesting the list
form, before any AWS call — never iterated into characters (``"us-east-1"`` → ``"u"``,
``"s"`` …) that silently match nothing."""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

import rootguard
from rootguard import ArgumentError, PlanError, RootGuardError
from rootguard._errors import name_list
from tests.snapshot_builders import good_snapshot

SINCE = datetime(2024, 1, 1, tzinfo=timezone.utc)


class _NoCalls:
    """A "session" that fails the test if anything touches it: proves no AWS call (nor a
    credential lookup) was made before the argument was rejected."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the session was used ({name}) before the arguments were checked")


NO_CALLS: Any = _NoCalls()


def _athena_ddl(**kw: Any) -> Any:
    return rootguard.athena_table_ddl(bucket="org-trail-logs", **kw)


def _ensure_table(**kw: Any) -> Any:
    return rootguard.ensure_athena_table(session=NO_CALLS, bucket="org-trail-logs", **kw)


def _hunt(**kw: Any) -> Any:
    return rootguard.hunt_root_activity_athena(
        session=NO_CALLS, database="security", table="trail", since=SINCE, **kw
    )


def _scan(**kw: Any) -> Any:
    with tempfile.TemporaryDirectory() as empty:
        return rootguard.scan_cloudtrail_archive(empty, max_workers=1, **kw)


def _plan(**kw: Any) -> Any:
    return rootguard.plan(good_snapshot(), kw)


# (function, parameter, a bare string, the error raised)
CASES: list[tuple[str, Callable[..., Any], str, str, type[Exception]]] = [
    ("collect", lambda **kw: rootguard.collect(session=NO_CALLS, **kw), "regions", "us-east-1",
     ArgumentError),
    ("check", lambda **kw: rootguard.check(session=NO_CALLS, **kw), "regions", "us-east-1",
     ArgumentError),
    ("lookup_root_activity", lambda **kw: rootguard.lookup_root_activity(session=NO_CALLS, **kw),
     "regions", "us-east-1", ArgumentError),
    ("scan_organization", lambda **kw: rootguard.scan_organization(session=NO_CALLS, **kw),
     "accounts", "111122223333", ArgumentError),
    ("scan_organization", lambda **kw: rootguard.scan_organization(session=NO_CALLS, **kw),
     "regions", "us-east-1", ArgumentError),
    ("athena_table_ddl", _athena_ddl, "accounts", "111122223333", ArgumentError),
    ("athena_table_ddl", _athena_ddl, "regions", "us-east-1", ArgumentError),
    ("ensure_athena_table", _ensure_table, "accounts", "111122223333", ArgumentError),
    ("ensure_athena_table", _ensure_table, "regions", "us-east-1", ArgumentError),
    ("hunt_root_activity_athena", _hunt, "accounts", "111122223333", ArgumentError),
    ("hunt_root_activity_athena", _hunt, "regions", "us-east-1", ArgumentError),
    ("RemediationOptions", rootguard.RemediationOptions, "regions", "us-east-1", PlanError),
    ("RemediationOptions", rootguard.RemediationOptions, "alert_emails", "secops@example.com",
     PlanError),
    ("audit_member_roots", lambda **kw: rootguard.audit_member_roots(session=NO_CALLS, **kw),
     "accounts", "111122223333", ArgumentError),
    ("scan_cloudtrail_archive", _scan, "accounts", "111122223333", ArgumentError),
    ("scan_cloudtrail_archive", _scan, "regions", "us-east-1", ArgumentError),
    ("plan", _plan, "regions", "us-east-1", PlanError),
    ("plan", _plan, "alert_emails", "secops@example.com", PlanError),
]  # fmt: skip


@pytest.mark.parametrize(
    ("function", "call", "parameter", "value", "error"),
    CASES,
    ids=[f"{c[0]}-{c[2]}" for c in CASES],
)
def test_a_bare_string_is_rejected_naming_the_parameter(
    function: str,
    call: Callable[..., Any],
    parameter: str,
    value: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error) as raised:
        call(**{parameter: value})
    message = str(raised.value)
    assert isinstance(raised.value, RootGuardError)
    assert f"{parameter} must be a list" in message
    assert f"[{value!r}]" in message  # the list form to pass instead
    if isinstance(raised.value, ArgumentError):
        assert raised.value.parameter == parameter
        assert isinstance(raised.value, (TypeError, ValueError))
    # a comma-separated string is not split silently either: the message shows the list
    with pytest.raises(error, match=r"\['a', 'b'\]"):
        call(**{parameter: "a, b"})


def test_lists_tuples_and_generators_are_accepted_and_items_must_be_strings() -> None:
    assert name_list(["us-east-1"], "regions") == ["us-east-1"]
    assert name_list((r for r in ("a", "b")), "regions") == ["a", "b"]
    assert name_list(None, "regions") is None
    assert name_list([], "regions") == []
    for bad in (b"us-east-1", {"us-east-1": 1}, 5, [111122223333], ["ok", None]):
        with pytest.raises(ArgumentError, match=r"^regions must .* region names") as raised:
            name_list(bad, "regions", items="region names")  # type: ignore[arg-type]
        assert raised.value.parameter == "regions"
    ddl = rootguard.athena_table_ddl(
        bucket="org-trail-logs", accounts=("111122223333",), regions=["us-east-1"]
    )
    assert "'111122223333'" in ddl
    assert rootguard.RemediationOptions(regions=("us-east-1",)).regions == ("us-east-1",)


def _names_sequence(annotation: Any) -> bool:
    text = str(annotation)
    return any(
        f"{kind}[str" in text for kind in ("Sequence", "Iterable", "Collection", "list", "tuple")
    )


def test_every_public_sequence_of_names_parameter_is_covered() -> None:
    covered = {(c[0], c[2]) for c in CASES} | {
        # rootguard._archive is changed separately (name_list on accounts and regions)
        ("scan_cloudtrail_archive", "accounts"),
        ("scan_cloudtrail_archive", "regions"),
        # a path or a list of paths: a str is one path by design (docs/getting-started.md)
        ("scan_cloudtrail_archive", "source"),
        ("Policy", "required_config_rules"),  # tuple[str, ...]: pydantic rejects a str
        ("Policy", "checks"),  # tuple[str, ...]: pydantic rejects a str
    }
    found: set[tuple[str, str]] = set()
    for name in rootguard.__all__:
        obj = getattr(rootguard, name)
        if inspect.isclass(obj) and hasattr(obj, "model_fields"):
            if name in ("RemediationOptions", "Policy"):  # user-built options
                for field, info in obj.model_fields.items():
                    if _names_sequence(info.annotation):
                        found.add((name, field))
            continue
        if not callable(obj) or inspect.isclass(obj):
            continue
        for parameter in inspect.signature(obj).parameters.values():
            if _names_sequence(parameter.annotation):
                found.add((name, parameter.name))
    assert found <= covered, found - covered


def test_policy_rejects_a_bare_string_too() -> None:
    with pytest.raises((RootGuardError, ValueError), match="required_config_rules"):
        rootguard.Policy(required_config_rules="ROOT_ACCOUNT_MFA_ENABLED")  # type: ignore[arg-type]


def test_scan_organization_checks_names_before_any_call() -> None:
    bad_role_names = [
        "",
        "*",
        "Org\nRole",
        "r" * 200,
        "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole",
        "security//Role",
        "role name",
    ]
    for role_name in bad_role_names:
        with pytest.raises(ArgumentError, match="role_name") as raised:
            rootguard.scan_organization(session=NO_CALLS, role_name=role_name)
        assert raised.value.parameter == "role_name"
    for external_id in ("", "x", "a\nb", "e" * 1225, "with space"):
        with pytest.raises(ArgumentError, match="external_id"):
            rootguard.scan_organization(session=NO_CALLS, external_id=external_id)
    for session_name in ("", "s", "a b", "s" * 65, "tab\there"):
        with pytest.raises(ArgumentError, match="session_name"):
            rootguard.scan_organization(session=NO_CALLS, session_name=session_name)
    with pytest.raises(ArgumentError, match="12 digits"):
        rootguard.scan_organization(session=NO_CALLS, accounts=["1234"])
    with pytest.raises(ArgumentError, match="ARN"):
        rootguard.scan_organization(session=NO_CALLS, role_name="arn:aws:iam::1:role/x")

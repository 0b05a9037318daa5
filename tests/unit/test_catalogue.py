"""The one catalogue of checks: every id is a :class:`rootguard.CheckId`, and no module of
rootguard but the catalogue spells a check id as a string literal."""

from __future__ import annotations

import ast
from pathlib import Path

import rootguard
from rootguard import CHECK_IDS, PLANNED_CHECKS, CheckId
from rootguard._posture import _catalogue
from rootguard._posture._catalogue import ACCOUNT_CHECK_IDS, CHECKS, ORGANIZATION_CHECK_IDS

PACKAGE = Path(rootguard.__file__).parent
CATALOGUE = Path(_catalogue.__file__)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are docstrings: the first statement of a
    module, class or function, and the string statement after an assignment (an
    attribute docstring)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for statement in body:
            if (
                isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                out.add(id(statement.value))
    return out


def _check_id_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstrings(tree)
    values = {c.value for c in CheckId}
    return [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in values
        and id(node) not in docstrings
    ]


def test_no_check_id_literal_outside_the_catalogue() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert CATALOGUE in modules
    assert len(modules) > 50
    found = [hit for path in modules if path != CATALOGUE for hit in _check_id_literals(path)]
    assert found == [], "check ids spelled outside the catalogue (use CheckId):\n" + "\n".join(
        found
    )


def test_the_scan_finds_a_literal(tmp_path: Path) -> None:
    """The AST scan is not vacuous: a literal is found, a docstring is not."""
    module = tmp_path / "sample.py"
    module.write_text(
        '"""root.mfa_enabled"""\nX = "root.mfa_enabled"\n"""root.mfa_enabled"""\n'
        'Y = f"{X}"\nZ = ("config.root_rules",)\n',
        encoding="utf-8",
    )
    tree = ast.parse(module.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    hits = [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and n.value in set(CheckId) and id(n) not in docstrings
    ]
    assert sorted(hits) == [(2, "root.mfa_enabled"), (5, "config.root_rules")]
    assert _check_id_literals(CATALOGUE) != []  # the catalogue itself spells every id


def test_check_id_values_are_the_check_ids_in_report_order() -> None:
    assert tuple(c.value for c in CheckId) == CHECK_IDS
    assert CheckId("root.mfa_enabled") is CheckId.ROOT_MFA_ENABLED
    assert CheckId.ROOT_MFA_ENABLED == "root.mfa_enabled"
    assert f"{CheckId.CONFIG_ROOT_RULES}" == str(CheckId.CONFIG_ROOT_RULES) == "config.root_rules"
    assert all(type(c) is str for c in CHECK_IDS)
    assert set(CHECK_IDS) == set(ACCOUNT_CHECK_IDS) | set(ORGANIZATION_CHECK_IDS)
    for check_id, info in CHECKS.items():
        assert info.check_id == check_id
        assert isinstance(info.check_id, CheckId)


def test_short_names_are_unique_three_letter_abbreviations() -> None:
    shorts = [info.short for info in CHECKS.values()]
    assert len(set(shorts)) == len(shorts) == len(CheckId)
    assert all(len(s) == 3 and s.isupper() and s.isalpha() for s in shorts)
    assert CHECKS[CheckId.ROOT_MFA_ENABLED].short == "MFA"
    assert CHECKS[CheckId.CLOUDTRAIL_MULTI_REGION].short == "TRL"


def test_planned_checks_are_account_checks() -> None:
    assert PLANNED_CHECKS == (
        CheckId.CLOUDTRAIL_MULTI_REGION,
        CheckId.CLOUDTRAIL_LOG_VALIDATION,
        CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
        CheckId.MONITORING_ROOT_METRIC_ALARM,
        CheckId.MONITORING_ROOT_EVENTBRIDGE,
        CheckId.MONITORING_ALERT_TOPIC_SECURE,
        CheckId.CONFIG_ROOT_RULES,
    )
    assert set(PLANNED_CHECKS) <= set(ACCOUNT_CHECK_IDS)


def test_centralized_root_access_maps_to_cis_v7() -> None:
    controls = CHECKS[CheckId.ROOT_CENTRALIZED_ACCESS].controls
    assert "CIS AWS Foundations Benchmark v7.0.0/2.1.1" in controls
    report = rootguard.evaluate(rootguard.AccountSnapshot(account_id="111122223333"))
    (finding,) = report.by_check(CheckId.ROOT_CENTRALIZED_ACCESS)
    assert finding.cis_requirements == ("CIS AWS Foundations Benchmark v7.0.0/2.1.1",)
    assert finding.security_hub_controls == ()

"""The public API is exactly ``rootguard.__all__``, and every name in it is documented."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

from pydantic import BaseModel

import rootguard

EXPECTED_PUBLIC_API = {
    "CHECK_IDS",
    "CIS_ROOT_FILTER_PATTERN",
    "PLANNED_CHECKS",
    "AccountFailure",
    "AccountResult",
    "AccountSnapshot",
    "AccountStatus",
    "Action",
    "ActionOutcome",
    "ActionStatus",
    "ActivitySource",
    "Alarm",
    "AlertSubscription",
    "ApiAction",
    "ApplyError",
    "ApplyResult",
    "ArgumentError",
    "AthenaHunt",
    "AthenaQueryError",
    "AthenaTableResult",
    "AttachDenyRootPolicy",
    "BlockedItem",
    "BlockedKind",
    "ChangeType",
    "Channel",
    "CheckId",
    "CloudTrailEvent",
    "CollectError",
    "ConfigRecorder",
    "ConfigRule",
    "CreateBucket",
    "CreateDenyRootPolicy",
    "CreateKey",
    "CreateLogGroup",
    "CreateRole",
    "CreateServiceLinkedRole",
    "CreateTopic",
    "CreateTrail",
    "CredentialReport",
    "CredentialReportData",
    "CredentialReportRow",
    "CredentialUse",
    "DeactivateRootMfaDevice",
    "DeleteRootAccessKey",
    "DeleteRootLoginProfile",
    "DeleteRootSigningCertificate",
    "DeliveryChannel",
    "EnableIamTrustedAccess",
    "EnableRootCredentialsManagement",
    "EnableRootSessions",
    "EnableScpPolicyType",
    "EventHistoryResult",
    "EventPattern",
    "EventRule",
    "EventTarget",
    "Expectation",
    "ExpectedActivity",
    "FailedFile",
    "FailureReason",
    "FilterPattern",
    "Finding",
    "Gap",
    "LogGroup",
    "ManualStep",
    "MemberRoot",
    "MemberRootAudit",
    "MemberRootStatus",
    "MetricFilter",
    "MetricTransformation",
    "MissingReason",
    "NodeKind",
    "NotCheckedAccount",
    "OrganizationInfo",
    "OrganizationNode",
    "OrganizationPlan",
    "OrganizationRemediationOptions",
    "OrganizationReport",
    "OrganizationSummary",
    "Outcome",
    "ParseError",
    "PatternError",
    "PendingConfirmation",
    "Plan",
    "PlanError",
    "Policy",
    "PolicyError",
    "PutBucketEncryption",
    "PutBucketPolicy",
    "PutBucketTagging",
    "PutConfigRule",
    "PutConfigurationRecorder",
    "PutDeliveryChannel",
    "PutEventSelectors",
    "PutMetricAlarm",
    "PutMetricFilter",
    "PutPublicAccessBlock",
    "PutRetentionPolicy",
    "PutRolePolicy",
    "PutRule",
    "PutSecurityContact",
    "PutTargets",
    "RegionSnapshot",
    "RemediationOptions",
    "Report",
    "RootAccessKey",
    "RootActivities",
    "RootActivity",
    "RootActivityAccount",
    "RootGuardError",
    "RootMfaDevice",
    "RootSessionAction",
    "RootSigningCertificate",
    "ScanError",
    "ScanResult",
    "ScpVerdict",
    "SecurityContact",
    "SecurityContactOptions",
    "ServiceControlPolicy",
    "SessionAttributes",
    "SessionContext",
    "SessionIssuer",
    "SetTopicEncryption",
    "SetTopicPolicy",
    "Severity",
    "SkipReason",
    "SkippedFile",
    "SnsSubscription",
    "SnsTopic",
    "StartConfigurationRecorder",
    "StartLogging",
    "Status",
    "Subscribe",
    "SubscriptionProtocol",
    "Suppression",
    "SuppressionNote",
    "Trail",
    "UpdateTrail",
    "UserIdentity",
    "VirtualMfaDevice",
    "__version__",
    "apply",
    "apply_organization",
    "athena_table_ddl",
    "audit_member_roots",
    "check",
    "classify_event",
    "collect",
    "compile_event_pattern",
    "compile_filter_pattern",
    "detect_root_activity",
    "ensure_athena_table",
    "evaluate",
    "event_pattern_matches",
    "filter_pattern_matches",
    "hunt_root_activity_athena",
    "lookup_root_activity",
    "parse_cloudtrail_event",
    "parse_credential_report",
    "plan",
    "plan_organization",
    "read_cloudtrail_file",
    "required_permissions",
    "root_activity_from_credential_report",
    "scan_cloudtrail_archive",
    "scan_organization",
    "scp_denies_root",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(rootguard.__all__) == EXPECTED_PUBLIC_API
    assert len(rootguard.__all__) == len(set(rootguard.__all__))


def test_all_is_sorted_like_ruff() -> None:
    def key(name: str) -> tuple[int, str]:
        if name.isupper() or (name.upper() == name and "_" in name):
            return (0, name)
        if name[:1].isupper():
            return (1, name)
        return (2, name)

    assert list(rootguard.__all__) == sorted(rootguard.__all__, key=key)


def _own_doc(obj: object) -> str:
    """``obj``'s own docstring: for a class, the one in its body (``inspect.getdoc`` and
    ``cls.__doc__`` fall back to a base class's — pydantic's ``BaseModel``, ``Exception``
    …); for a function, its ``__doc__``."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return doc.strip() if isinstance(doc, str) else ""


def _public_members(cls: type) -> Iterator[tuple[str, object]]:
    """The functions, properties, class and static methods a public class defines itself
    (not inherited), public by name."""
    for attr, value in vars(cls).items():
        if attr.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            yield attr, value.__func__
        elif isinstance(value, property):
            yield attr, value.fget
        elif inspect.isfunction(value):
            yield attr, value


def _attribute_docstrings() -> dict[str, str]:
    """Every module-level ``NAME = ...`` (or ``NAME: T = ...``) of the package followed by
    a string literal — the attribute docstring the reference renders — by name."""
    found: dict[str, str] = {}
    package = Path(rootguard.__file__).parent
    for path in package.rglob("*.py"):
        body = ast.parse(path.read_text()).body
        for statement, following in pairwise(body):
            if isinstance(statement, ast.Assign):
                targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                targets = [statement.target.id]
            else:
                continue
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
                and following.value.value.strip()
            ):
                for target in targets:
                    found[target] = following.value.value
    return found


def test_every_public_name_resolves_and_is_documented() -> None:
    attribute_docs = _attribute_docstrings()
    undocumented: list[str] = []
    for name in rootguard.__all__:
        obj = getattr(rootguard, name)
        if inspect.isclass(obj):
            if not _own_doc(obj):
                undocumented.append(name)
            for attr, member in _public_members(obj):
                if not _own_doc(member):
                    undocumented.append(f"{name}.{attr}")
        elif inspect.isfunction(obj) or inspect.isbuiltin(obj) or hasattr(obj, "__wrapped__"):
            if not _own_doc(obj):
                undocumented.append(name)
        elif name not in attribute_docs:  # data and type aliases: an attribute docstring
            undocumented.append(name)
    assert undocumented == []


def test_the_docstring_check_sees_a_missing_class_docstring() -> None:
    """A pydantic model without a docstring of its own is caught, although
    ``inspect.getdoc`` would answer ``BaseModel``'s."""

    class Undocumented(BaseModel):
        x: int = 0

    class Documented(BaseModel):
        """Says what it is."""

    class Sub(Documented):
        pass

    assert inspect.getdoc(Undocumented)  # the fallback the check must not trust
    assert (_own_doc(Undocumented), _own_doc(Sub)) == ("", "")
    assert _own_doc(Documented) == "Says what it is."


def test_errors_share_one_root() -> None:
    for name in rootguard.__all__:
        obj = getattr(rootguard, name)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, rootguard.RootGuardError), name


def test_package_logger_has_a_null_handler() -> None:
    import logging

    handlers = logging.getLogger("rootguard").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_py_typed_marker_ships() -> None:
    from pathlib import Path

    assert (Path(rootguard.__file__).parent / "py.typed").is_file()


def test_dir_lists_only_the_public_api() -> None:
    assert dir(rootguard) == sorted(rootguard.__all__)
    for leaked in ("logging", "annotations", "_logging"):
        assert not hasattr(rootguard, leaked), leaked


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version
    from pathlib import Path

    assert rootguard.__version__ == version("rootguard")
    # read from the metadata, not written a second time next to pyproject.toml
    assert f'"{version("rootguard")}"' not in Path(rootguard.__file__).read_text()
    assert not hasattr(rootguard, "_installed_version")


def test_account_error_is_a_deprecated_alias_of_account_failure() -> None:
    import pytest

    with pytest.warns(DeprecationWarning, match=r"rootguard\.AccountFailure"):
        old = rootguard.AccountError  # type: ignore[attr-defined]
    assert old is rootguard.AccountFailure
    with pytest.warns(DeprecationWarning, match="AccountError is deprecated"):
        from rootguard import AccountError  # type: ignore[attr-defined]
    assert AccountError is rootguard.AccountFailure
    assert "AccountError" not in rootguard.__all__
    assert "AccountError" not in dir(rootguard)


def test_unknown_attribute_is_still_an_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError, match="no_such_name"):
        rootguard.no_such_name  # type: ignore[attr-defined]

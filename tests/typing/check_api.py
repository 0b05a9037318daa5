"""Checked by ``mypy --strict tests/typing`` in CI: the public API's types as users see them.

Nothing here runs at test time; mypy proves that typical user code type-checks against
``rootguard`` and that return types are what the docs promise.
"""

from __future__ import annotations

from typing_extensions import assert_type

import rootguard


def classify(record: dict[str, object]) -> None:
    activity = rootguard.classify_event(record)
    assert_type(activity, rootguard.RootActivity | None)
    if activity is not None:
        assert_type(activity.channel, rootguard.Channel)
        assert_type(activity.mfa_used, bool | None)
        assert_type(activity.severity, rootguard.Severity)


def detect(records: list[dict[str, object]]) -> None:
    found = rootguard.detect_root_activity(records)
    assert_type(found, list[rootguard.RootActivity])


def parse(data: bytes) -> None:
    event = rootguard.parse_cloudtrail_event(data)
    assert_type(event, rootguard.CloudTrailEvent)
    report = rootguard.parse_credential_report(data)
    assert_type(report, rootguard.CredentialReport)
    assert_type(report.root, rootguard.CredentialReportRow | None)


def patterns(event: dict[str, object]) -> None:
    assert_type(rootguard.filter_pattern_matches(rootguard.CIS_ROOT_FILTER_PATTERN, event), bool)
    assert_type(rootguard.event_pattern_matches({"source": ["aws.signin"]}, event), bool)


def errors() -> None:
    try:
        rootguard.parse_credential_report("")
    except rootguard.ParseError as exc:
        assert_type(exc.line, int | None)
        assert_type(exc.column, str | None)

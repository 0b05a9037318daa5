"""Checked by ``mypy --strict tests/typing`` in CI: the public API's types as users see them.

Nothing here runs at test time; mypy proves that typical user code type-checks against
``rootguard`` and that return types are what the docs promise.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

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
    assert_type(found, rootguard.RootActivities)
    as_list: list[rootguard.RootActivity] = found  # still a list
    assert_type(found.to_json(), str)
    assert_type(found.to_records(), list[dict[str, str | int | float | bool | None]])
    assert_type(as_list[0].to_record(), dict[str, str | int | float | bool | None])


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


def posture(snapshot_json: str) -> None:
    snapshot = rootguard.AccountSnapshot.model_validate_json(snapshot_json)
    report = rootguard.evaluate(snapshot, policy=rootguard.Policy(root_usage_days=30))
    assert_type(report, rootguard.Report)
    for finding in report.findings:
        assert_type(finding, rootguard.Finding)
        assert_type(finding.status, rootguard.Status)
        assert_type(finding.check_id, str)
    assert_type(rootguard.check(regions=["us-east-1"]), rootguard.Report)
    assert_type(rootguard.collect(regions=["us-east-1"]), rootguard.AccountSnapshot)


def remediation(snapshot: rootguard.AccountSnapshot) -> None:
    the_plan = rootguard.plan(snapshot, rootguard.RemediationOptions(alert_emails=("a@b.co",)))
    assert_type(the_plan, rootguard.Plan)
    assert_type(the_plan.is_empty, bool)
    assert_type(the_plan.complete, bool)
    assert_type(the_plan.missing_permissions(), tuple[str, ...])
    for item in the_plan.blocked:
        assert_type(item, rootguard.BlockedItem)
        assert_type(item.kind, rootguard.BlockedKind)
        assert_type(item.gaps, tuple[rootguard.Gap, ...])
        assert_type(item.permissions, tuple[str, ...])
        assert_type(item.not_collected, tuple[str, ...])
        assert_type(item.why(), str)
    result = rootguard.apply(the_plan, dry_run=True)
    assert_type(result, rootguard.ApplyResult)
    assert_type(result.ok, bool)
    for outcome in result.outcomes:
        assert_type(outcome, rootguard.ActionOutcome)
        assert_type(outcome.status, rootguard.ActionStatus)


def archives_and_history() -> None:
    scan = rootguard.scan_cloudtrail_archive(
        "s3://bucket/AWSLogs/",
        max_workers=2,
        max_file_bytes=None,
        max_record_bytes=256 * 1024,
        max_root_records_per_file=1000,
    )
    assert_type(scan, rootguard.ScanResult)
    events = rootguard.read_cloudtrail_file(b"{}", max_record_bytes=None)
    assert_type(next(events), rootguard.CloudTrailEvent)
    assert_type(scan.activities, list[rootguard.RootActivity])
    assert_type(scan.to_json(), str)
    assert_type(scan.to_records(), list[dict[str, str | int | float | bool | None]])
    history = rootguard.lookup_root_activity(regions=["us-east-1"])
    assert_type(history, rootguard.EventHistoryResult)
    first: list[rootguard.RootActivity] = history
    del first


def organizations() -> None:
    org = rootguard.scan_organization(regions=["us-east-1"], max_workers=4)
    assert_type(org, rootguard.OrganizationReport)
    for account in org.accounts:
        assert_type(account, rootguard.AccountResult)
        assert_type(account.account_id, str)


def athena() -> None:
    from datetime import datetime, timezone

    ddl = rootguard.athena_table_ddl(bucket="trail-logs", organization_id="o-a1b2c3d4e5")
    assert_type(ddl, str)
    table = rootguard.ensure_athena_table(bucket="trail-logs", workgroup="security")
    assert_type(table, rootguard.AthenaTableResult)
    assert_type(table.table_status, rootguard.ActionStatus)
    try:
        hunt = rootguard.hunt_root_activity_athena(
            database="security",
            table="org_trail",
            since=datetime(2021, 1, 1, tzinfo=timezone.utc),
            accounts=["111122223333"],
        )
    except rootguard.AthenaQueryError as exc:
        assert_type(exc.state, str | None)
        assert_type(exc.bytes_scanned, int | None)
        return
    assert_type(hunt, rootguard.AthenaHunt)
    assert_type(hunt.activities, list[rootguard.RootActivity])
    assert_type(hunt.cost, float | None)
    assert_type(hunt.query_execution_id, str)


def member_roots() -> None:
    audit = rootguard.audit_member_roots(accounts=["111122223333"], max_workers=4)
    assert_type(audit, rootguard.MemberRootAudit)
    for member in audit.members:
        assert_type(member, rootguard.MemberRoot)
        assert_type(member.status, rootguard.MemberRootStatus)
        assert_type(member.password, bool | None)
        assert_type(member.error, rootguard.AccountFailure | None)
        if member.access_keys is not None:
            for key in member.access_keys:
                assert_type(key.active, bool)
    for finding in audit.findings:
        assert_type(finding, rootguard.Finding)
    assert_type(audit.exit_code("unknown"), int)
    org = rootguard.scan_organization(regions=["us-east-1"], audit_member_roots=True)
    assert_type(org.member_roots, rootguard.MemberRootAudit | None)
    verdict = rootguard.scp_denies_root("{}", account_id="111122223333")
    assert_type(verdict, rootguard.ScpVerdict)
    assert_type(verdict.denies_root, bool)
    assert_type(verdict.not_denied, tuple[str, ...])


def policies() -> None:
    from datetime import date

    policy = rootguard.Policy(
        checks=("root.*",),
        suppressions=(
            rootguard.Suppression(check_id="root.*", reason="r", expires=date(2030, 1, 1)),
        ),
        expected_activity=(
            rootguard.ExpectedActivity(
                source_ips=("203.0.113.0/24",), reason="r", expires=date(2030, 1, 1)
            ),
        ),
    )
    report = rootguard.check(policy=policy)
    for finding in report.suppressed:
        note = finding.suppression
        assert_type(note, rootguard.SuppressionNote | None)
    assert_type(report.to_html(), str)
    marked = policy.mark_expected(report.root_activity, now=report.generated_at or _now())
    assert_type(marked, rootguard.RootActivities)
    assert_type(marked[0].expected, rootguard.Expectation | None)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def deprecated_names() -> None:
    # mypy --strict (warn_unused_ignores) fails if these ignores are not needed: type
    # checkers flag the deprecated alias and unknown names instead of typing them `object`.
    rootguard.AccountError  # type: ignore[attr-defined]
    rootguard.no_such_name  # type: ignore[attr-defined]


def reachable_types(snapshot: rootguard.AccountSnapshot, the_plan: rootguard.Plan) -> None:
    # every class a result holds is exported: annotations and isinstance need no private import
    for action in the_plan.actions:
        if isinstance(action, rootguard.CreateTrail):
            assert_type(action.params, dict[str, Any])
        elif isinstance(action, rootguard.ManualStep):
            assert_type(action.instructions, tuple[str, ...])
        else:
            assert_type(action.permission, str)
    for region in snapshot.region_data.values():
        assert_type(region, rootguard.RegionSnapshot)
        alarms: list[rootguard.Alarm] = region.alarms or []
        for topic in region.topics or []:
            subscriptions: list[rootguard.SnsSubscription] = topic.subscriptions or []
            del subscriptions
        del alarms


def organization_summary(report: rootguard.OrganizationReport) -> None:
    summary = report.summary
    assert_type(summary, rootguard.OrganizationSummary)
    for account in summary.not_checked:
        assert_type(account, rootguard.NotCheckedAccount)

"""Expected root use: suppression rules for findings and expected-activity rules for root
activity, each with a reason and an expiry. Suppressed findings stay in every output as
SUPPRESSED; expired rules stop applying and the outputs say so; nothing fails --fail-on
because of a SUPPRESSED finding."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rootguard
from rootguard import (
    ExpectedActivity,
    OrganizationReport,
    Policy,
    PolicyError,
    Status,
    Suppression,
    evaluate,
)
from rootguard._cli_account import exit_code_for
from rootguard._html import report_html
from rootguard._terminal import ReportTable, render_text
from tests.snapshot_builders import (
    ACCOUNT,
    NOW,
    credential_report,
    good_snapshot,
    root_row,
)

LOGIN = NOW - timedelta(days=3)
BEFORE_EXPIRY = NOW.date() + timedelta(days=10)
EXPIRED = NOW.date() - timedelta(days=1)


def used_recently() -> rootguard.AccountSnapshot:
    """Every check passes but root.recent_usage: root signed in three days ago."""
    return good_snapshot(
        credential_report=credential_report(root_row(password_last_used=LOGIN.isoformat()))
    )


def status_of(report: rootguard.Report, check_id: str) -> rootguard.Finding:
    (finding,) = report.by_check(check_id)
    return finding


# ------------------------------------------------------------------------------ rules


def test_rules_are_typed_and_refuse_unknown_keys_and_checks() -> None:
    with pytest.raises(PolicyError, match="regoin"):
        Suppression.model_validate(
            {"check_id": "root.*", "reason": "x", "expires": "2030-01-01", "regoin": "x"}
        )
    with pytest.raises(PolicyError, match=r"no check id is or matches 'root\.mfa'"):
        Suppression(check_id="root.mfa", reason="x", expires=date(2030, 1, 1))
    with pytest.raises(PolicyError, match="reason"):
        Suppression(check_id="root.*", reason="", expires=date(2030, 1, 1))
    with pytest.raises(PolicyError, match="expires"):
        Suppression.model_validate({"check_id": "root.*", "reason": "x"})
    with pytest.raises(PolicyError, match="not an IP address or CIDR"):
        ExpectedActivity(source_ips=["10.0.0.0/33"], reason="x", expires=date(2030, 1, 1))
    with pytest.raises(PolicyError, match="start is after end"):
        ExpectedActivity(start=NOW, end=NOW - timedelta(hours=1), reason="x", expires=NOW.date())
    with pytest.raises(PolicyError, match="no check id"):
        Policy(checks=("nope",))
    with pytest.raises(PolicyError, match="suppression"):
        Policy.model_validate({"suppression": []})  # a typo of suppressions


def test_suppression_matches_on_every_field_given() -> None:
    rule = Suppression(
        check_id="monitoring.*",
        account_id=ACCOUNT,
        region="eu-west-1",
        resource="arn:aws:events:eu-west-1:*",
        reason="x",
        expires=date(2030, 1, 1),
    )
    base = {
        "check_id": "monitoring.root_eventbridge",
        "account_id": ACCOUNT,
        "region": "eu-west-1",
        "resource": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default",
    }
    assert rule.matches(**base)
    for field, other in (
        ("check_id", "config.root_rules"),
        ("account_id", "999999999999"),
        ("region", "us-east-1"),
        ("region", None),
        ("resource", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"),
    ):
        assert not rule.matches(**{**base, field: other}), field
    global_rule = Suppression(
        check_id="root.mfa_enabled", region="global", reason="x", expires=NOW.date()
    )
    assert global_rule.matches(
        check_id="root.mfa_enabled", account_id=ACCOUNT, region=None, resource="r"
    )


# ------------------------------------------------------------------------------ findings


def test_a_suppressed_finding_stays_with_its_reason_expiry_and_status() -> None:
    snap = good_snapshot(account_summary={"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0})
    plain = evaluate(snap, now=NOW)
    assert status_of(plain, "root.mfa_enabled").status is Status.FAIL
    policy = Policy(
        suppressions=[
            Suppression(
                check_id="root.mfa_enabled",
                reason="SEC-9: MFA token ordered",
                expires=BEFORE_EXPIRY,
            )
        ]
    )
    report = evaluate(snap, policy=policy, now=NOW)
    finding = status_of(report, "root.mfa_enabled")
    assert finding.status is Status.SUPPRESSED
    assert finding.suppression is not None
    assert (
        finding.suppression.status,
        finding.suppression.reason,
        finding.suppression.expires,
    ) == (
        Status.FAIL,
        "SEC-9: MFA token ordered",
        BEFORE_EXPIRY,
    )
    assert not finding.suppression.expired
    assert finding.detail == status_of(plain, "root.mfa_enabled").detail  # nothing hidden
    assert report.counts["SUPPRESSED"] == 1
    assert report.failed == [f for f in plain.failed if f.check_id != "root.mfa_enabled"]
    assert rootguard.Report.from_json(report.to_json()) == report


def test_an_expired_rule_stops_applying_and_says_so() -> None:
    snap = good_snapshot(account_summary={"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0})
    rule = Suppression(check_id="root.mfa_enabled", reason="SEC-9", expires=NOW.date())
    on_the_day = evaluate(snap, policy=Policy(suppressions=[rule]), now=NOW)
    assert status_of(on_the_day, "root.mfa_enabled").status is Status.SUPPRESSED
    next_day = evaluate(snap, policy=Policy(suppressions=[rule]), now=NOW + timedelta(days=1))
    finding = status_of(next_day, "root.mfa_enabled")
    assert finding.status is Status.FAIL
    assert finding.suppression is not None
    assert finding.suppression.expired
    assert "suppression EXPIRED" in render_text(ReportTable(next_day), width=200)
    assert "suppression EXPIRED" in next_day.to_markdown()
    assert "suppression EXPIRED" in report_html(next_day)
    # a live rule wins over an expired one
    both = Policy(
        suppressions=[
            rule,
            rule.model_copy(update={"expires": BEFORE_EXPIRY + timedelta(days=400)}),
        ]
    )
    later = evaluate(snap, policy=both, now=NOW + timedelta(days=1))
    assert status_of(later, "root.mfa_enabled").status is Status.SUPPRESSED


def test_only_fail_and_unknown_are_suppressed_and_without_now_nothing_is() -> None:
    snap = good_snapshot()
    everything = Policy(suppressions=[Suppression(check_id="*", reason="x", expires=BEFORE_EXPIRY)])
    report = evaluate(snap, policy=everything, now=NOW)
    assert {f.status for f in report.findings} == {Status.PASS}
    unknown = good_snapshot(account_summary=None, credential_report=None)
    judged = evaluate(unknown, policy=everything, now=NOW)
    assert Status.UNKNOWN not in {f.status for f in judged.findings}
    assert Status.SUPPRESSED in {f.status for f in judged.findings}
    undated = evaluate(unknown.model_copy(update={"collected_at": None}), policy=everything)
    assert Status.SUPPRESSED not in {f.status for f in undated.findings}


@given(st.sampled_from(list(Status)), st.sampled_from(["fail", "unknown", "never"]))
def test_a_suppressed_finding_never_fails_fail_on(status: Status, fail_on: str) -> None:
    report = evaluate(good_snapshot(), now=NOW)
    findings = list(report.findings)
    findings[0] = findings[0].model_copy(update={"status": Status.SUPPRESSED})
    only_suppressed = report.model_copy(update={"findings": (findings[0],)})
    assert exit_code_for(only_suppressed, fail_on) == 0
    mixed = report.model_copy(
        update={"findings": (findings[0], findings[1].model_copy(update={"status": status}))}
    )
    expected = exit_code_for(report.model_copy(update={"findings": (mixed.findings[1],)}), fail_on)
    assert exit_code_for(mixed, fail_on) == expected


def test_checks_selects_findings() -> None:
    report = evaluate(
        good_snapshot(), policy=Policy(checks=("root.*", "config.root_rules")), now=NOW
    )
    assert {f.check_id for f in report.findings} == {
        c for c in rootguard.CHECK_IDS if c.startswith("root.")
    } | {"config.root_rules"}


# ------------------------------------------------------------------------------ outputs


def suppressed_report() -> rootguard.Report:
    snap = good_snapshot(account_summary={"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0})
    policy = Policy(
        suppressions=[
            Suppression(check_id="root.mfa_enabled", reason="SEC-9 <b>", expires=BEFORE_EXPIRY)
        ]
    )
    return evaluate(snap, policy=policy, now=NOW)


def test_every_output_keeps_the_suppressed_finding() -> None:
    report = suppressed_report()
    (asff,) = [f for f in report.to_asff() if f["GeneratorId"] == "rootguard/root.mfa_enabled"]
    assert asff["Workflow"]["Status"] == "SUPPRESSED"
    assert asff["Compliance"]["Status"] == "FAILED"  # what it is, suppressed
    assert asff["ProductFields"]["rootguard/SuppressedUntil"] == BEFORE_EXPIRY.isoformat()
    assert asff["ProductFields"]["rootguard/SuppressionReason"] == "SEC-9 <b>"
    (ocsf,) = [e for e in report.to_ocsf() if e["compliance"]["control"] == "root.mfa_enabled"]
    assert (ocsf["status_id"], ocsf["status"]) == (3, "Suppressed")
    assert ocsf["compliance"]["status"] == "Fail"
    (record,) = [r for r in report.to_records() if r["check_id"] == "root.mfa_enabled"]
    assert record["status"] == "SUPPRESSED"
    assert record["suppressed_status"] == "FAIL"
    assert record["suppression_expires"] == BEFORE_EXPIRY.isoformat()
    markdown = report.to_markdown()
    assert "| SUPPRESSED | `root.mfa_enabled`" in markdown
    assert "suppressed until" in markdown
    assert "SEC-9 &lt;b&gt;" in markdown
    table = render_text(ReportTable(report), width=200)
    assert "SUPPRESSED" in table
    assert "suppressed until" in table
    page = report_html(report)
    assert "badge SUPPRESSED" in page
    assert "SEC-9 &lt;b&gt;" in page


def test_the_organization_shows_suppressed_cells_and_does_not_fail_on_them() -> None:
    report = suppressed_report()
    org = OrganizationReport.from_accounts(
        [rootguard.AccountResult(account_id=ACCOUNT, status="checked", report=report)]
    )
    assert org.summary.matrix[ACCOUNT]["root.mfa_enabled"] == "SUPPRESSED"
    assert org.summary.by_check["root.mfa_enabled"]["SUPPRESSED"] == 1
    assert "sup" in org.to_table(width=140)
    assert org.exit_code("fail") == (1 if report.failed else 0)
    assert "| SUPPRESSED |" in org.to_markdown()


# ------------------------------------------------------------------------------ activity


def test_expected_root_use_suppresses_recent_usage_until_the_rule_expires() -> None:
    snap = used_recently()
    assert status_of(evaluate(snap, now=NOW), "root.recent_usage").status is Status.FAIL
    drill = ExpectedActivity(
        account_id=ACCOUNT,
        start=LOGIN - timedelta(hours=1),
        end=LOGIN + timedelta(hours=1),
        event_names=["password"],
        reason="break-glass drill SEC-42",
        expires=BEFORE_EXPIRY,
    )
    report = evaluate(snap, policy=Policy(expected_activity=[drill]), now=NOW)
    finding = status_of(report, "root.recent_usage")
    assert finding.status is Status.SUPPRESSED
    assert finding.suppression is not None
    assert (finding.suppression.rule, finding.suppression.reason) == (
        "expected_activity",
        "break-glass drill SEC-42",
    )
    (activity,) = report.root_activity  # marked, not hidden
    assert activity.expected is not None
    assert activity.is_expected
    later = NOW.replace() + timedelta(days=11)
    expired_report = evaluate(snap, policy=Policy(expected_activity=[drill]), now=later)
    expired_finding = status_of(expired_report, "root.recent_usage")
    assert expired_finding.status is Status.FAIL
    assert expired_finding.suppression is not None
    assert expired_finding.suppression.expired
    (marked,) = expired_report.root_activity
    assert marked.expected is not None
    assert marked.expected.expired
    assert not marked.is_expected


def test_a_condition_the_activity_cannot_show_does_not_match() -> None:
    snap = used_recently()
    by_ip = ExpectedActivity(source_ips=["203.0.113.0/24"], reason="x", expires=BEFORE_EXPIRY)
    report = evaluate(snap, policy=Policy(expected_activity=[by_ip]), now=NOW)
    assert status_of(report, "root.recent_usage").status is Status.FAIL  # no IP in the report
    assert report.root_activity[0].expected is None


def _activity(**changes: object) -> rootguard.RootActivity:
    base = rootguard.RootActivity(
        event_time=NOW,
        account_id=ACCOUNT,
        event_name="ConsoleLogin",
        channel=rootguard.Channel.CONSOLE_SIGNIN,
        source_ip="203.0.113.9",
        severity=rootguard.Severity.HIGH,
    )
    return base.model_copy(update=changes)


def test_expected_activity_matches_ip_cidr_window_and_event_names() -> None:
    rule = ExpectedActivity(
        account_id=ACCOUNT,
        source_ips=["203.0.113.0/24", "2001:db8::/32"],
        start=NOW - timedelta(hours=1),
        end=NOW + timedelta(hours=1),
        event_names=["ConsoleLogin"],
        reason="drill",
        expires=BEFORE_EXPIRY,
    )
    assert rule.matches(_activity())
    assert rule.matches(_activity(source_ip="2001:db8::1"))
    for changes in (
        {"source_ip": "198.51.100.1"},
        {"source_ip": "AWS Internal"},
        {"source_ip": None},
        {"event_time": NOW + timedelta(hours=2)},
        {"event_time": None},
        {"event_name": "ListBuckets"},
        {"account_id": "999999999999"},
    ):
        assert not rule.matches(_activity(**changes)), changes
    policy = Policy(expected_activity=[rule])
    marked = policy.mark_expected([_activity(), _activity(source_ip="198.51.100.1")], now=NOW)
    assert [a.is_expected for a in marked] == [True, False]
    assert json.loads(marked.to_json())[0]["expected"]["reason"] == "drill"


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_a_rule_applies_through_its_expiry_day(expires: date) -> None:
    rule = ExpectedActivity(reason="x", expires=expires)
    policy = Policy(expected_activity=[rule])
    last = datetime.combine(expires, datetime.max.time(), tzinfo=timezone.utc)
    assert policy.mark_expected([_activity()], now=last)[0].is_expected
    (after,) = policy.mark_expected([_activity()], now=last + timedelta(microseconds=1))
    assert after.expected is not None
    assert after.expected.expired

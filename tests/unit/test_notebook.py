"""Notebooks: short reprs, HTML and markdown views (a summary and the top rows, escaped),
to_json / to_records on scan results and activity lists."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

import rootguard
from rootguard._notebook import TOP
from tests.unit.test_renderers import HOSTILE, hostile_activity, hostile_org, hostile_report

ACCOUNT = "111122223333"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def _activities(n: int) -> rootguard.RootActivities:
    return rootguard.RootActivities(
        hostile_activity().model_copy(
            update={"event_id": f"e-{i}", "event_time": NOW - timedelta(hours=i)}
        )
        for i in range(n)
    )


def _scan(n: int = 25) -> rootguard.ScanResult:
    return rootguard.ScanResult(
        activities=list(_activities(n)),
        files_scanned=3,
        events_scanned=1200,
        errors=[rootguard.FailedFile(path="s3://b/k.json.gz", reason="truncated_gzip")],
    )


def _plan() -> rootguard.Plan:
    snap = rootguard.AccountSnapshot(
        account_id=ACCOUNT,
        regions=["us-east-1"],
        trails=[],
        region_data={
            "us-east-1": rootguard.RegionSnapshot(
                region="us-east-1",
                log_groups=[],
                alarms=[],
                topics=[],
                event_rules=[],
                config_recorders=[],
                config_rules=[],
                delivery_channels=[],
            )
        },
    )
    return rootguard.plan(snap, rootguard.RemediationOptions(alert_emails=["a@example.com"]))


def test_reprs_are_short_and_say_what_matters() -> None:
    report = hostile_report()
    the_plan = _plan()
    cases = {
        repr(report): ("Report(account_id='111122223333'", "findings=13"),
        repr(hostile_org()): ("OrganizationReport(organization_id='o-example'", "1 error"),
        repr(_scan()): ("ScanResult(files_seen=4", "activities=25"),
        repr(the_plan): ("Plan(account_id='111122223333'", f"actions={len(the_plan.actions)}"),
        repr(rootguard.AccountSnapshot(account_id=ACCOUNT)): ("AccountSnapshot(", "gaps=0"),
    }
    for text, (start, part) in cases.items():
        assert len(text) < 250, text
        assert text.startswith(start), text
        assert part in text, text
    assert len(report.to_json()) > 5000  # the whole object is still one call away
    assert str(report) == repr(report)


def test_html_views_have_a_summary_the_top_rows_and_escape() -> None:
    views = {
        "report": hostile_report()._repr_html_(),
        "organization": hostile_org()._repr_html_(),
        "scan": _scan()._repr_html_(),
        "plan": _plan()._repr_html_(),
        "activities": _activities(25)._repr_html_(),
    }
    for name, html in views.items():
        assert html.count("<tr>") <= TOP + 1, name  # header + TOP rows
        assert "<script>" not in html, name
        assert len(html) < 20_000, name
    assert "&lt;script&gt;" in views["report"]
    assert "&lt;script&gt;" in views["scan"]
    assert "1 FAIL" in views["report"]
    assert "… and 3 more" in views["report"]  # 13 findings, 10 shown
    assert "… and 15 more" in views["scan"]
    assert "4 files seen: 3 scanned, 0 skipped, 1 unreadable" in views["scan"]
    assert "to_text() shows every call" in views["plan"]


def test_markdown_views_escape_and_stay_short() -> None:
    for obj in (hostile_report(), hostile_org(), _scan(), _plan(), _activities(12)):
        text = obj._repr_markdown_()
        assert "<script>" not in text
        assert text.count("\n| ") <= TOP + 1
    assert "&lt;script&gt;" in hostile_report()._repr_markdown_()


def test_scan_results_and_activity_lists_save_themselves() -> None:
    scan = _scan(3)
    assert rootguard.ScanResult.from_json(scan.to_json()) == scan
    records = scan.to_records()
    assert [r["event_id"] for r in records] == ["e-0", "e-1", "e-2"]
    assert all(
        isinstance(v, (str, int, float, bool, type(None))) for r in records for v in r.values()
    )
    assert records[0]["event_name"] == HOSTILE + "\x1b[31mred\x1b[0m"  # data, not display
    acts = _activities(2)
    assert rootguard.RootActivities.from_json(acts.to_json()) == acts
    assert [r["source_ip"] for r in acts.to_records()] == [a.source_ip for a in acts]
    assert acts[0].to_record() == acts.to_records()[0]
    assert rootguard.RootActivity.model_validate_json(acts[0].to_json()) == acts[0]
    assert json.loads(acts.to_json())[0]["severity"] == "critical"


def test_library_functions_return_activity_lists() -> None:
    found = rootguard.detect_root_activity(
        [
            {
                "eventSource": "signin.amazonaws.com",
                "eventName": "ConsoleLogin",
                "userIdentity": {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"},
                "responseElements": {"ConsoleLogin": "Success"},
            }
        ]
    )
    assert isinstance(found, rootguard.RootActivities)
    assert found.to_records()[0]["channel"] == "console_signin"
    history = rootguard.EventHistoryResult(found, regions=["us-east-1"])
    assert history.to_records() == found.to_records()


def test_snapshots_save_themselves_and_refuse_other_kinds() -> None:
    snap = rootguard.AccountSnapshot(account_id=ACCOUNT, regions=["us-east-1"])
    assert rootguard.AccountSnapshot.from_json(snap.to_json()) == snap
    with pytest.raises(rootguard.ParseError, match="remediation plan, not an account snapshot"):
        rootguard.AccountSnapshot.from_json(_plan().to_json())

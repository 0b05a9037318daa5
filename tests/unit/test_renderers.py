"""Terminal tables, markdown, CSV and HTML: everything from AWS is hostile and escaped;
tables wrap instead of cutting; colour only on a terminal, and never under NO_COLOR."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rootguard
from rootguard._outputs import records_to_csv
from rootguard._render import activities_to_markdown, activity_records, md_cell
from rootguard._terminal import (
    OrganizationTable,
    ReportTable,
    activities_table,
    clean,
    make_console,
    render_text,
)

ACCOUNT = "111122223333"
HOSTILE = "<script>alert(1)</script>"
MARKUP = "[bold red]not markup[/bold red]"
ANSI = "\x1b[31mred\x1b[0m"
FORMULA = '=HYPERLINK("http://evil")'
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
LONG_WHY = (
    "The trail arn:aws:cloudtrail:us-east-1:111122223333:trail/a-very-long-trail-name-that-"
    "goes-on-and-on delivers to no log group, and nothing else qualifies either. More text."
)


def hostile_report() -> rootguard.Report:
    base = rootguard.evaluate(
        rootguard.AccountSnapshot(account_id=ACCOUNT, regions=["us-east-1"]), now=NOW
    )
    findings = list(base.findings)
    findings[0] = findings[0].model_copy(
        update={
            "status": rootguard.Status.FAIL,
            "resource": f"arn:aws:sns:us-east-1:{ACCOUNT}:{HOSTILE}",
            "detail": f"Topic {HOSTILE} {MARKUP} {ANSI} | pipe <root_account>. {LONG_WHY}",
            "evidence": {"name": HOSTILE, "formula": FORMULA},
        }
    )
    findings[1] = findings[1].model_copy(update={"resource": FORMULA, "detail": LONG_WHY})
    return base.model_copy(update={"findings": tuple(findings)})


def hostile_activity() -> rootguard.RootActivity:
    return rootguard.RootActivity(
        event_time=NOW,
        account_id=ACCOUNT,
        region="us-east-1",
        channel=rootguard.Channel.ACCESS_KEY,
        event_name=f"{HOSTILE}{ANSI}",
        source_ip=FORMULA,
        user_agent=MARKUP,
        severity=rootguard.Severity.CRITICAL,
    )


def hostile_org() -> rootguard.OrganizationReport:
    report = hostile_report()
    return rootguard.OrganizationReport.from_accounts(
        [
            rootguard.AccountResult(
                account_id=ACCOUNT, name=HOSTILE, status="checked", report=report
            ),
            rootguard.AccountResult(
                account_id="210987654321",
                name=MARKUP,
                status="error",
                error=rootguard.AccountFailure(
                    operation="sts:AssumeRole", error_code="AccessDenied", message=ANSI
                ),
            ),
        ],
        organization_id="o-example",
        management_account_id=ACCOUNT,
    )


# ------------------------------------------------------------------------------ terminal


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_the_report_table_wraps_to_the_width_and_keeps_every_word(width: int) -> None:
    report = hostile_report()
    text = render_text(ReportTable(report), width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    if width >= 80:  # nothing cut: every check id, and the why's first sentence, whole
        for f in report.findings:
            assert f.check_id in text
        flat = re.sub(r"\s+", " ", text)
        assert "and nothing else qualifies either." in flat
    assert "More text" not in text  # one sentence of why, not the whole detail
    assert ("severity" in lines[1]) is (width >= 110)


def test_tables_show_hostile_text_as_text() -> None:
    for renderable in (
        ReportTable(hostile_report()),
        activities_table([hostile_activity()]),
        OrganizationTable(hostile_org()),
    ):
        text = render_text(renderable, width=200, color=True)
        assert "\x1b[31mred" not in text  # the ANSI sequence from AWS is not sent
        assert "\\x1b[31mred" in text  # it is shown
        plain = render_text(renderable, width=200)
        assert "\x1b" not in plain
        assert "[bold red]not markup[/bold red]" in plain or "<script>" in plain


def test_colour_on_a_terminal_only_and_never_under_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buffer = io.StringIO()
    make_console(buffer, width=100).print(ReportTable(hostile_report()))
    assert "\x1b[" not in buffer.getvalue()  # not a terminal

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    tty = Terminal()
    make_console(tty, width=100).print(ReportTable(hostile_report()))
    assert "\x1b[1;31mFAIL" in tty.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    tty = Terminal()
    make_console(tty, width=100).print(ReportTable(hostile_report()))
    assert "FAIL" in tty.getvalue()
    assert "\x1b[1;31m" not in tty.getvalue()


@given(st.text(max_size=40))
def test_clean_leaves_no_control_character(text: str) -> None:
    cleaned = clean(text)
    assert not any(ord(c) < 32 and c not in "\t\n" for c in cleaned)
    assert not any(0x7F <= ord(c) <= 0x9F for c in cleaned)


def test_an_organization_with_no_account_checked_has_no_empty_matrix() -> None:
    org = rootguard.OrganizationReport.from_accounts(
        [
            rootguard.AccountResult(
                account_id="210987654321",
                status="error",
                error=rootguard.AccountFailure(operation="sts:AssumeRole", error_code="Denied"),
            )
        ],
        organization_id="o-example",
    )
    text = org.to_table()
    assert "No account was checked" in text
    assert "Checks:" not in text
    assert "accounts failing" not in text
    assert "210987654321" in text
    assert "sts:AssumeRole failed: Denied" in text


def test_the_matrix_counts_and_legend() -> None:
    text = hostile_org().to_table(width=140)
    assert "accounts failing" in text
    assert "Checks: MFA root.mfa_enabled" in text
    row = next(line for line in text.splitlines() if line.startswith(ACCOUNT))
    assert "FAIL" in row


# ------------------------------------------------------------------------------ markdown


def test_markdown_escapes_markdown_and_html() -> None:
    assert md_cell("<root_account>") == "&lt;root\\_account&gt;"
    assert md_cell("a|b\nc") == "a\\|b c"
    assert md_cell("[x](http://e)") == "\\[x\\](http://e)"
    for text in (
        hostile_report().to_markdown(),
        hostile_org().to_markdown(),
        activities_to_markdown([hostile_activity()]),
    ):
        assert "<script>" not in text
        assert "&lt;script&gt;" in text
        assert "\x1b" not in text
    report_md = hostile_report().to_markdown()
    assert "&lt;root\\_account&gt;" in report_md
    assert "`root.mfa_enabled`" in report_md  # our ids stay code spans
    for line in report_md.splitlines():
        if line.startswith("| FAIL | `root.mfa_enabled`"):
            assert line.count(" | ") == 5  # the pipe in the detail did not add a column


# ------------------------------------------------------------------------------ csv


def test_csv_has_every_record_and_defuses_formulas() -> None:
    report = hostile_report()
    text = records_to_csv(report.to_records())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["check_id"] for r in rows] == [f.check_id for f in report.findings]
    assert rows[1]["resource"] == "'" + FORMULA
    assert json.loads(rows[0]["evidence"])["formula"] == FORMULA  # inside JSON: not a cell start
    activity = list(
        csv.DictReader(io.StringIO(records_to_csv(activity_records([hostile_activity()]))))
    )
    assert activity[0]["source_ip"] == "'" + FORMULA
    assert activity[0]["severity"] == "critical"
    org_rows = list(csv.DictReader(io.StringIO(hostile_org().render("csv"))))
    assert {r["account_status"] for r in org_rows} == {"checked", "error"}


# ------------------------------------------------------------------------------ html


def _assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    for needle in ("<script", "src=", "href=", "<link", "@import", "url("):
        assert needle not in lowered, needle
    assert "default-src 'none'" in page


def test_html_pages_escape_everything_from_aws_and_load_nothing() -> None:
    pages = {
        "report": hostile_report().to_html(activities=[hostile_activity()]),
        "organization": hostile_org().to_html(),
        "activity": __import__("rootguard._html", fromlist=["x"]).activities_html(
            [hostile_activity()], summary=HOSTILE
        ),
    }
    for name, page in pages.items():
        _assert_self_contained(page)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, name
        assert "\x1b" not in page, name
    report_page = pages["report"]
    assert "&lt;root_account&gt;" in report_page
    assert "Remediation" in report_page
    assert "&#34;formula&#34;" in report_page or "&quot;formula&quot;" in report_page  # evidence
    assert 'class="timeline"' in report_page
    org_page = pages["organization"]
    assert 'class="grid"' in org_page
    assert 'class="cell FAIL"' in org_page
    assert "Accounts not checked" in org_page


def test_html_of_an_organization_with_no_account_checked_says_so() -> None:
    org = rootguard.OrganizationReport.from_accounts(
        [
            rootguard.AccountResult(
                account_id="210987654321",
                status="error",
                error=rootguard.AccountFailure(operation="sts:AssumeRole", error_code="Denied"),
            )
        ]
    )
    page = org.to_html()
    _assert_self_contained(page)
    assert "No account was checked" in page
    assert 'class="grid"' not in page

"""The HTML report, rendered by a real browser: headless Chromium (Debian's ``chromium``,
installed by ``.ci/run``) loads the self-contained file with networking off, and the test
asserts on the page's text (``--dump-dom``) and on a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from rootguard._cli import main
from tests.integration.moto_root import RootKey, RootState, moto_root
from tests.unit.test_renderers import HOSTILE, hostile_activity, hostile_org

REGION = "us-east-1"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed (.ci/run installs Debian's chromium package)"
    return found


def _browse(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def dump_dom(page: Path, tmp_path: Path) -> str:
    done = _browse(page, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / f"{name}.png"
    done = _browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a rendered page, not a blank one
    print(f"\nscreenshot of the {name} HTML report: {shot}")
    return shot


@pytest.fixture
def exposed_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    state = RootState(mfa="none", access_keys=(RootKey(active=True),))
    with mock_aws(), moto_root(state):
        yield


def test_the_account_report_renders_in_chromium(
    exposed_account: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--region", REGION, "--output", "html"])
    html = capsys.readouterr().out
    assert code == 1
    page = tmp_path / "report.html"
    page.write_text(html)
    dom = dump_dom(page, tmp_path)
    assert "rootguard report — account" in dom
    assert "Summary" in dom
    for check_id in ("root.mfa_enabled", "root.no_access_keys", "cloudtrail.multi_region"):
        assert check_id in dom
    assert "Remediation" in dom
    assert "Evidence" in dom
    assert "Root activity" in dom
    with capsys.disabled():
        screenshot(page, tmp_path, "account")


def test_the_organization_report_renders_in_chromium_with_hostile_names_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = hostile_org()
    page = tmp_path / "organization.html"
    page.write_text(org.to_html())
    dom = dump_dom(page, tmp_path)
    assert "rootguard organization report — o-example" in dom
    assert "Accounts by checks" in dom
    assert "Accounts not checked" in dom
    assert 'class="cell FAIL"' in dom  # the coloured grid
    # The hostile account name is text on the page: escaped in the DOM, no element made.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<script" not in dom.lower()
    with capsys.disabled():
        screenshot(page, tmp_path, "organization")


def test_the_activity_timeline_renders_in_chromium(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rootguard._html import activities_html

    page = tmp_path / "activity.html"
    page.write_text(activities_html([hostile_activity()], summary="1 files seen"))
    dom = dump_dom(page, tmp_path)
    assert "Root activity" in dom
    assert "access_key" in dom
    assert "critical" in dom
    assert HOSTILE not in dom
    assert "<script" not in dom.lower()

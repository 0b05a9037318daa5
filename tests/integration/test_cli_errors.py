"""The command line's errors: one line on stderr, the documented exit code, no traceback
unless -v; global flags before or after the subcommand; --version, -o, -q."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from moto import mock_aws

import rootguard
from rootguard._cli import _merge_globals, build_parser, main
from rootguard._fail_on import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from tests.integration.faults import no_backoff

REGION = "us-east-1"


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere botocore looks (and no instance metadata to ask)."""
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield


class _BadGateway(BaseHTTPRequestHandler):
    """An endpoint that answers every request with an HTML 502 page."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def html_502_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _BadGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    no_backoff(monkeypatch)  # the standard retries, without their waits
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rootguard: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_version_prints_the_version_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"rootguard {rootguard.__version__}"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--profile", "nope", "check"], "no AWS profile named 'nope'"),
        (["check", "--profile", "nope"], "no AWS profile named 'nope'"),
        (["check", "--region", "us-east-9"], "unknown region 'us-east-9'"),
        (["check", "--region", "us-east-1,us-east-9"], "unknown region 'us-east-9'"),
        (["check", "--snapshot-in", "{tmp}/missing.json"], "cannot read"),
        (["check", "--snapshot-in", "{tmp}"], "it is a directory"),
        (["check", "--snapshot-out", "/no/such/dir/s.json"], "no such folder '/no/such/dir'"),
        (["plan", "--out", "/no/such/dir/p.json"], "no such folder '/no/such/dir'"),
        (["activity", "--days", "-5"], "argument --days: must be at least 1, not -5"),
        (["activity", "--days", "soon"], "not a whole number"),
        (["activity", "--archive", "{tmp}/no-such-folder"], "no such file or folder"),
        (["activity", "--archive", "{tmp}", "--workers", "0"], "--workers: must be at least 1"),
        (["activity", "--archive", "s3://"], "not an S3 URL"),
        (["org", "check", "--max-workers", "0"], "must be at least 1"),
        (["check", "--frob"], "unrecognized arguments: --frob"),
        (["check", "--output", "yaml"], "invalid choice: 'yaml'"),
        (["--region", REGION, "apply", "plan.json"], "apply takes no --region"),
        (["demo", "--profile", "x"], "unrecognized arguments"),
        (["apply", "{tmp}/missing.json", "--yes"], "cannot read"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str],
    says: str,
    no_credentials: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    captured = capsys.readouterr()
    line = _one_error_line(captured.err)
    assert says in line
    assert line.endswith(")")  # every error carries a hint
    assert code == EXIT_USAGE
    assert captured.out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--region", REGION],
        ["activity", "--region", REGION],
        ["plan", "--region", REGION],
        ["org", "check", "--region", REGION],
        ["activity", "--archive", "s3://bucket/AWSLogs/"],
    ],
)
def test_no_credentials_is_one_line_and_exit_3(
    argv: list[str], no_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == EXIT_ERROR
    captured = capsys.readouterr()
    assert "credentials" in _one_error_line(captured.err)


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--region", REGION],
        ["activity", "--region", REGION],
        ["plan", "--region", REGION],
        ["org", "check", "--region", REGION],
        ["activity", "--archive", "s3://bucket/AWSLogs/"],
    ],
)
def test_an_html_5xx_endpoint_is_one_line_and_exit_3(
    argv: list[str], html_502_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == EXIT_ERROR
    line = _one_error_line(capsys.readouterr().err)
    assert "502" in line or "Bad Gateway" in line or "501" in line


def test_apply_without_credentials_says_so_before_printing_the_plan(
    moto_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan_file = tmp_path / "plan.json"
    made = main(["plan", "--region", REGION, "--email", "a@example.com", "--out", str(plan_file)])
    assert made == EXIT_OK
    capsys.readouterr()
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert main(["apply", str(plan_file), "--yes"]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""  # no 600-line plan before the error
    line = _one_error_line(captured.err)
    assert "no usable AWS credentials" in line
    assert "nothing was sent" in line


def test_an_unexpected_error_is_one_line_and_the_traceback_needs_v(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = tmp_path / "s.json"
    snap.write_text(rootguard.AccountSnapshot(account_id="111122223333").model_dump_json())

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("rootguard._posture._evaluate.evaluate", broken)
    assert main(["check", "--snapshot-in", str(snap)]) == EXIT_ERROR
    line = _one_error_line(capsys.readouterr().err)
    assert "unexpected RuntimeError: boom" in line
    assert main(["check", "--snapshot-in", str(snap), "-v"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.splitlines()[-1] == line


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "--profile", "p", "--region", "eu-west-1", "check", "-o", "json"],
        ["check", "-v", "--profile", "p", "--region", "eu-west-1", "-o", "json"],
        ["--region", "eu-west-1", "check", "--profile", "p", "-v", "--output", "json"],
        ["-q", "check", "--region", "eu-west-1", "--profile", "p", "-vq", "-o", "json"],
    ],
)
def test_global_flags_go_before_or_after_the_subcommand(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    _merge_globals(args)
    assert (args.command, args.profile, args.region, args.output) == (
        "check",
        "p",
        ["eu-west-1"],
        "json",
    )
    assert args.verbose >= 1


def test_regions_accumulate_comma_separated_and_repeated() -> None:
    args = build_parser().parse_args(
        [
            "--region",
            "us-east-1,eu-west-1",
            "check",
            "--region",
            "eu-west-1",
            "--region",
            "ap-south-1",
        ]
    )
    _merge_globals(args)
    assert args.region == ["us-east-1", "eu-west-1", "ap-south-1"]


def test_comma_separated_regions_are_collected(
    moto_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--region", "us-east-1,eu-west-1", "-o", "json", "--fail-on", "never"])
    assert code == EXIT_OK
    assert sorted(json.loads(capsys.readouterr().out)["regions"]) == ["eu-west-1", "us-east-1"]


def test_quiet_silences_warnings_but_not_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.json").write_text("not json")
    (tmp_path / "good.json").write_text('{"Records": []}')
    argv = ["activity", "--archive", str(tmp_path), "--workers", "1", "-o", "json"]
    main(argv)
    loud = capsys.readouterr()
    assert "broken.json" in loud.err
    main(["-q", *argv])
    quiet = capsys.readouterr()
    assert "broken.json" not in quiet.err
    assert quiet.err == ""  # no warning, no summary line
    assert quiet.out == loud.out == "[]\n"

"""``rootguard demo``: the whole job against an embedded moto server (no AWS account).

The demo starts moto's HTTP server on 127.0.0.1, seeds it as a realistic exposed account
(root signed in without MFA yesterday, an active root access key, no trail, no alarm),
then runs what a user would: ``check`` (failures), a scan of a small CloudTrail archive in
S3 (root activity found), ``plan``, ``apply``, ``check`` again (the monitoring chain now
passes), and a summary of what changed. It needs the ``demo`` extra (moto[server]).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import boto3

    from rootguard._posture._report import Report
    from rootguard._remediation._plan import Plan

from rootguard._posture._catalogue import PLANNED_CHECKS

__all__ = ["DEMO_ACCOUNT_ID", "DEMO_REGIONS", "run_demo"]

DEMO_ACCOUNT_ID = "123456789012"
DEMO_REGIONS = ("us-east-1", "eu-west-1")
DEMO_EMAIL = "secops@example.com"
ARCHIVE_BUCKET = "demo-org-cloudtrail-archive"


@contextmanager
def _moto_server() -> Iterator[str]:
    """A moto HTTP server on a free loopback port; AWS_* variables point boto3 at it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_PROFILE",
        )
    }
    os.environ.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION=DEMO_REGIONS[0],
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


def demo_records(now: datetime, *, seed: int = 7) -> list[dict[str, Any]]:
    """A day of realistic CloudTrail records with a few root actions among them."""
    rng = random.Random(seed)
    yesterday = now - timedelta(days=1)
    acct = DEMO_ACCOUNT_ID
    root_arn = f"arn:aws:iam::{acct}:root"

    def base(
        t: datetime, region: str, source: str, name: str, ident: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "eventVersion": "1.09",
            "userIdentity": ident,
            "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": f"198.51.100.{rng.randint(1, 254)}",
            "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 botocore/2.4.5",
            "requestParameters": None,
            "responseElements": None,
            "requestID": str(uuid.UUID(int=rng.getrandbits(128))),
            "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
            "readOnly": name.startswith(("Describe", "Get", "List")),
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": acct,
            "eventCategory": "Management",
        }

    role = {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLEID:ci",
        "arn": f"arn:aws:sts::{acct}:assumed-role/deploy/ci",
        "accountId": acct,
        "accessKeyId": "ASIAEXAMPLEDEPLOYKEY",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID",
                "arn": f"arn:aws:iam::{acct}:role/deploy",
                "accountId": acct,
                "userName": "deploy",
            },
            "attributes": {
                "creationDate": yesterday.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mfaAuthenticated": "false",
            },
        },
    }
    lookalike = {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROOTROLE:ops",
        "arn": f"arn:aws:sts::{acct}:assumed-role/root/ops",
        "accountId": acct,
        "accessKeyId": "ASIAEXAMPLEROOTROLE1",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "arn": f"arn:aws:iam::{acct}:role/root",
                "userName": "root",
                "accountId": acct,
            },
        },
    }
    calls = [
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("sts.amazonaws.com", "GetCallerIdentity"),
        ("lambda.amazonaws.com", "ListFunctions20150331"),
        ("dynamodb.amazonaws.com", "DescribeTable"),
    ]
    records: list[dict[str, Any]] = []
    start = yesterday.replace(hour=0, minute=0, second=0, microsecond=0)
    for i in range(400):
        t = start + timedelta(seconds=i * 200)
        source, name = rng.choice(calls)
        ident = lookalike if i % 97 == 0 else role
        records.append(base(t, rng.choice(DEMO_REGIONS), source, name, ident))
    signin_time = start + timedelta(hours=9, minutes=14)
    login = base(
        signin_time,
        "us-east-1",
        "signin.amazonaws.com",
        "ConsoleLogin",
        {"type": "Root", "principalId": acct, "arn": root_arn, "accountId": acct},
    )
    login.update(
        userAgent="Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
        responseElements={"ConsoleLogin": "Success"},
        additionalEventData={
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": "No",
        },
        eventType="AwsConsoleSignIn",
        readOnly=False,
    )
    records.append(login)
    console_call = base(
        signin_time + timedelta(minutes=3),
        "us-east-1",
        "iam.amazonaws.com",
        "CreateAccessKey",
        {
            "type": "Root",
            "principalId": acct,
            "arn": root_arn,
            "accountId": acct,
            "accessKeyId": "ASIAEXAMPLECONSOLE01",
            "sessionContext": {
                "attributes": {
                    "creationDate": signin_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "mfaAuthenticated": "false",
                }
            },
        },
    )
    console_call["sessionCredentialFromConsole"] = "true"
    records.append(console_call)
    key_call = base(
        signin_time + timedelta(hours=2),
        "eu-west-1",
        "s3.amazonaws.com",
        "ListBuckets",
        {
            "type": "Root",
            "principalId": acct,
            "arn": root_arn,
            "accountId": acct,
            "accessKeyId": "AKIAEXAMPLEROOTKEY01",
        },
    )
    records.append(key_call)
    service = base(
        signin_time + timedelta(hours=3),
        "us-east-1",
        "ec2.amazonaws.com",
        "RunInstances",
        {
            "type": "Root",
            "principalId": acct,
            "arn": root_arn,
            "accountId": acct,
            "invokedBy": "autoscaling.amazonaws.com",
        },
    )
    records.append(service)
    records.sort(key=lambda r: r["eventTime"])
    return records


def _upload_archive(session: boto3.Session, now: datetime) -> int:
    """Write the demo records to S3 as CloudTrail would (one gzip file per region/hour)."""
    s3 = session.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=ARCHIVE_BUCKET)
    by_file: dict[str, list[dict[str, Any]]] = {}
    for rec in demo_records(now):
        t = datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        region = rec["awsRegion"]
        key = (
            f"AWSLogs/{DEMO_ACCOUNT_ID}/CloudTrail/{region}/{t:%Y/%m/%d}/"
            f"{DEMO_ACCOUNT_ID}_CloudTrail_{region}_{t:%Y%m%dT%H}00Z_demo.json.gz"
        )
        by_file.setdefault(key, []).append(rec)
    for key, recs in sorted(by_file.items()):
        body = gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode())
        s3.put_object(Bucket=ARCHIVE_BUCKET, Key=key, Body=body)
    # CloudTrail also writes digest files next to the logs; the scan must skip them.
    t = now - timedelta(days=1)
    digest_key = (
        f"AWSLogs/{DEMO_ACCOUNT_ID}/CloudTrail-Digest/us-east-1/{t:%Y/%m/%d}/"
        f"{DEMO_ACCOUNT_ID}_CloudTrail-Digest_us-east-1_demo_{t:%Y%m%dT%H%M%S}Z.json.gz"
    )
    digest = {
        "awsAccountId": DEMO_ACCOUNT_ID,
        "digestStartTime": t.isoformat(),
        "digestEndTime": now.isoformat(),
        "logFiles": [],
    }
    s3.put_object(
        Bucket=ARCHIVE_BUCKET, Key=digest_key, Body=gzip.compress(json.dumps(digest).encode())
    )
    return len(by_file)


def _status_line(report: Report, check_ids: tuple[str, ...]) -> str:
    parts = []
    for check_id in check_ids:
        statuses = sorted({str(f.status) for f in report.by_check(check_id)})
        parts.append(f"  {check_id:<32} {'/'.join(statuses) or '-'}")
    return "\n".join(parts)


def _blocked_note(the_plan: Plan) -> str:
    """``; N blocked (incomplete: …)`` when the plan could not read what it needs."""
    if the_plan.complete:
        return ""
    return (
        f"; {len(the_plan.blocked)} blocked (incomplete: rootguard could not read "
        f"{', '.join(the_plan.missing_permissions()) or 'what it needs'})"
    )


def run_demo(*, out: TextIO) -> int:
    """Run the demo, writing to ``out``; returns the process exit code (0 on success)."""
    try:
        import moto  # noqa: F401
    except ImportError:
        out.write("rootguard demo needs moto: pip install 'rootguard[demo]'\n")
        return 3
    import logging

    import boto3

    from rootguard._archive import scan_cloudtrail_archive
    from rootguard._collect import collect
    from rootguard._moto_seed import RootKey, RootState, moto_root
    from rootguard._posture._evaluate import evaluate
    from rootguard._remediation._apply import apply
    from rootguard._remediation._options import RemediationOptions
    from rootguard._remediation._planner import plan
    from rootguard._terminal import activities_table, render_text, report_table
    from rootguard._time import utc_now

    # moto's HTTP server logs every request through werkzeug at INFO; the demo is about
    # rootguard's output, not the server's.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    started = time.monotonic()
    now = utc_now().replace(microsecond=0)
    state = RootState(
        account_id=DEMO_ACCOUNT_ID,
        password_last_used=now - timedelta(days=1, hours=3),
        mfa="none",
        access_keys=(RootKey(active=True, last_used=now - timedelta(days=1), service="s3"),),
    )

    def say(text: str = "") -> None:
        out.write(text + "\n")
        out.flush()

    with _moto_server() as url, moto_root(state):
        say(f"rootguard demo — an exposed account on a local moto server ({url})")
        say("Seeded: root signed in without MFA yesterday, an active root access key,")
        say("no CloudTrail trail, no alarm, no EventBridge rule, no Config rules.")
        session = boto3.Session(region_name=DEMO_REGIONS[0])
        regions = list(DEMO_REGIONS)

        say("\n== 1. check ==")
        before = evaluate(collect(session=session, regions=regions), now=now)
        say(report_table(before))

        say("\n== 2. root activity in the CloudTrail archive ==")
        files = _upload_archive(session, now)
        scan = scan_cloudtrail_archive(
            f"s3://{ARCHIVE_BUCKET}/AWSLogs/", session=session, max_workers=1
        )
        say(
            f"s3://{ARCHIVE_BUCKET}: {scan.files_scanned} log files ({files} written), "
            f"{scan.events_scanned} events, {len(scan.skipped)} skipped (digest), "
            f"{len(scan.errors)} errors"
        )
        say(render_text(activities_table(scan.activities), width=100).rstrip())

        say("\n== 3. plan ==")
        options = RemediationOptions(alert_emails=(DEMO_EMAIL,), home_region=DEMO_REGIONS[0])
        the_plan = plan(collect(session=session, regions=regions), options)
        for item in the_plan.blocked:
            say(f"  BLOCKED {item.description} — {item.why()}")
        for action in the_plan.actions:
            say(f"  {action.description}")
        say(
            f"({len(the_plan.api_actions)} API actions, {len(the_plan.manual_steps)} manual "
            f"steps{_blocked_note(the_plan)}; `rootguard plan` prints every call with its exact "
            "parameters)"
        )

        say("\n== 4. apply ==")
        result = apply(the_plan, session=session)
        say(result.to_text().splitlines()[-1])
        for outcome in result.failed:
            say(f"  FAILED {outcome.action.id}: {outcome.error}")
        for pending in result.pending_confirmations:
            say(f"  {pending.endpoint} must confirm its {pending.protocol} subscription")

        say("\n== 5. check again ==")
        after_snapshot = collect(session=session, regions=regions)
        after = evaluate(after_snapshot, now=now)
        say(_status_line(after, PLANNED_CHECKS))
        say("  (moto never reports a CloudWatch Logs delivery time, so rootguard cannot prove")
        say("  delivery: UNKNOWN, not a guessed PASS. moto also confirms email subscriptions")
        say("  at once; on AWS the alarm check fails until the recipient confirms.)")
        replan = plan(after_snapshot, options)

        say("\n== summary ==")
        changed = len(result.applied)
        fixed = [
            c
            for c in PLANNED_CHECKS
            if any(str(f.status) == "FAIL" for f in before.by_check(c))
            and all(str(f.status) == "PASS" for f in after.by_check(c))
        ]
        say(
            f"{changed} changes applied, {len(result.failed)} failed; a second plan has "
            f"{sum(1 for a in replan.actions if a.kind != 'ManualStep')} API actions"
            f"{_blocked_note(replan)}."
        )
        say(f"Now passing: {', '.join(fixed) or 'none'}.")
        still = sorted({f.check_id for f in after.findings if str(f.status) == "FAIL"})
        say(f"Still failing (a human must act at the root console): {', '.join(still) or 'none'}.")
        say(
            f"Root activity found: {len(scan.activities)} records "
            f"({sum(1 for a in scan.activities if a.alert)} a human did)."
        )
        say(f"Done in {time.monotonic() - started:.1f} s.")
    # UNKNOWN is allowed: moto cannot prove CloudWatch Logs delivery (see above).
    ok = (
        result.ok
        and replan.complete
        and not any(str(f.status) == "FAIL" for c in PLANNED_CHECKS for f in after.by_check(c))
    )
    return 0 if ok else 1

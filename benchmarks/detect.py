"""Benchmark: ``detect_root_activity`` over 200k raw CloudTrail records.

Compares, in the same run and on the same records, against the bare dict filter
``[r for r in recs if r.get("userIdentity", {}).get("type") == "Root"]`` — the least any
root detector must do. Target: at most 3x slower than that loop.

    python benchmarks/detect.py [--records N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from typing import Any

import rootguard

ACCOUNTS = ["111122223333", "222222222222", "444455556666"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
CALLS = [
    ("s3.amazonaws.com", "GetObject", True),
    ("s3.amazonaws.com", "PutObject", False),
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("ec2.amazonaws.com", "RunInstances", False),
    ("iam.amazonaws.com", "ListRoles", True),
    ("iam.amazonaws.com", "CreateUser", False),
    ("sts.amazonaws.com", "AssumeRole", False),
    ("sts.amazonaws.com", "GetCallerIdentity", True),
    ("kms.amazonaws.com", "Decrypt", True),
    ("lambda.amazonaws.com", "Invoke", False),
    ("dynamodb.amazonaws.com", "DescribeTable", True),
    ("logs.amazonaws.com", "PutLogEvents", False),
    ("cloudtrail.amazonaws.com", "LookupEvents", True),
    ("organizations.amazonaws.com", "ListAccounts", True),
]
AGENTS = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
    "Boto3/1.34.50 md/Botocore#1.34.50 ua/2.0 os/linux#6.1 lang/python#3.11.8",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/123.0",
    "terraform-provider-aws/5.40.0",
]


def _key(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16))


def _base(rng: random.Random, account: str) -> dict[str, Any]:
    source, name, read_only = rng.choice(CALLS)
    return {
        "eventVersion": "1.10",
        "eventTime": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T"
        f"{rng.randint(10, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": rng.choice(REGIONS),
        "sourceIPAddress": f"198.51.100.{rng.randint(1, 254)}",
        "userAgent": rng.choice(AGENTS),
        "requestParameters": {"bucketName": f"bucket-{rng.randint(1, 50)}", "maxResults": 50},
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source}",
        },
    }


def _session(rng: random.Random, issuer: dict[str, Any] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "attributes": {
            "creationDate": "2024-03-01T10:00:00Z",
            "mfaAuthenticated": rng.choice(["true", "false"]),
        }
    }
    if issuer is not None:
        context["sessionIssuer"] = issuer
    return context


def _non_root(rng: random.Random) -> dict[str, Any]:
    account = rng.choice(ACCOUNTS)
    record = _base(rng, account)
    kind = rng.random()
    if kind < 0.55:
        role = rng.choice(["Admin", "ReadOnly", "ci-deployer", "lambda-exec"])
        record["userIdentity"] = {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE:{role}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/session",
            "accountId": account,
            "accessKeyId": _key(rng, "ASIA"),
            "sessionContext": _session(
                rng, {"type": "Role", "arn": f"arn:aws:iam::{account}:role/{role}"}
            ),
        }
    elif kind < 0.80:
        user = rng.choice(["alice", "bob", "build"])
        record["userIdentity"] = {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "accessKeyId": _key(rng, "AKIA"),
            "userName": user,
        }
    elif kind < 0.93:
        record["userIdentity"] = {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}
    elif kind < 0.95:
        record["userIdentity"] = {
            "type": "FederatedUser",
            "arn": f"arn:aws:sts::{account}:federated-user/ops",
            "accountId": account,
            "sessionContext": _session(rng, {"type": "IAMUser", "userName": "ops"}),
        }
    elif kind < 0.97:  # lookalike: an IAM user literally named root
        record["userIdentity"] = {
            "type": "IAMUser",
            "arn": f"arn:aws:iam::{account}:user/root",
            "accountId": account,
            "accessKeyId": _key(rng, "AKIA"),
            "userName": "root",
        }
    elif kind < 0.98:  # lookalike: a role named root
        record["userIdentity"] = {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{account}:assumed-role/root/x",
            "accountId": account,
            "accessKeyId": _key(rng, "ASIA"),
            "sessionContext": _session(rng, {"type": "Role", "userName": "root"}),
        }
    elif kind < 0.99:  # lookalike: KMS service event, identity without a type
        record.update(eventSource="kms.amazonaws.com", eventName="RotateKey")
        record["eventType"] = "AwsServiceEvent"
        record["userIdentity"] = {"accountId": account, "invokedBy": "AWS Internal"}
    else:  # lookalike: failed sign-in under a hidden user name
        record.update(eventSource="signin.amazonaws.com", eventName="ConsoleLogin")
        record["eventType"] = "AwsConsoleSignIn"
        record["responseElements"] = {"ConsoleLogin": "Failure"}
        record["userIdentity"] = {
            "type": "IAMUser",
            "accountId": account,
            "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
        }
    return record


def _root(rng: random.Random) -> list[dict[str, Any]]:
    account = rng.choice(ACCOUNTS)
    record = _base(rng, account)
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
    }
    record["userIdentity"] = identity
    kind = rng.randrange(6)
    if kind == 0:
        identity["accessKeyId"] = _key(rng, "AKIA")
    elif kind == 1:
        identity["accessKeyId"] = _key(rng, "ASIA")
        identity["sessionContext"] = _session(rng)
        record["sessionCredentialFromConsole"] = "true"
    elif kind == 2:
        record.update(eventSource="signin.amazonaws.com", eventName="ConsoleLogin")
        record["eventType"] = "AwsConsoleSignIn"
        identity["accessKeyId"] = ""
        record["responseElements"] = {"ConsoleLogin": rng.choice(["Success", "Failure"])}
        record["additionalEventData"] = {"MFAUsed": rng.choice(["Yes", "No"])}
    elif kind == 3:
        identity["invokedBy"] = "autoscaling.amazonaws.com"
    elif kind == 4:
        identity["accessKeyId"] = _key(rng, "ASIA")
        identity["sessionContext"] = _session(rng)
    else:  # an AssumeRoot pair
        session_key = _key(rng, "ASIA")
        identity["accessKeyId"] = session_key
        identity["sessionContext"] = _session(rng)
        call = _base(rng, ACCOUNTS[0])
        call.update(eventSource="sts.amazonaws.com", eventName="AssumeRoot", readOnly=False)
        call["userIdentity"] = {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{ACCOUNTS[0]}:assumed-role/RootTasks/alice",
            "accountId": ACCOUNTS[0],
            "accessKeyId": _key(rng, "ASIA"),
            "sessionContext": _session(rng, {"type": "Role"}),
        }
        call["requestParameters"] = {
            "targetPrincipal": account,
            "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"},
        }
        call["responseElements"] = {"credentials": {"accessKeyId": session_key}}
        return [call, record]
    return [record]


def generate(count: int, root_share: float, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    while len(records) < count:
        if rng.random() < root_share:
            records.extend(_root(rng))
        else:
            records.append(_non_root(rng))
    return records[:count]


def _best(func: Any, repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--root-share", type=float, default=0.001)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    recs = generate(args.records, args.root_share)
    n = len(recs)

    def bare() -> list[dict[str, Any]]:
        return [r for r in recs if r.get("userIdentity", {}).get("type") == "Root"]

    def detect() -> list[rootguard.RootActivity]:
        return rootguard.detect_root_activity(recs)

    # warm up both (imports, caches), then interleave the measurements
    bare()
    detect()
    bare_times, detect_times = [], []
    found_bare: list[dict[str, Any]] = []
    found: list[rootguard.RootActivity] = []
    for _ in range(args.repeat):
        t, found_bare = _best(bare, 1)
        bare_times.append(t)
        t, found = _best(detect, 1)
        detect_times.append(t)
    bare_s, detect_s = min(bare_times), min(detect_times)

    channels = Counter(a.channel.value for a in found)
    print(f"python {sys.version.split()[0]}, rootguard {rootguard.__version__}")
    print(f"records: {n:,} (root-typed: {len(found_bare)}, root activities found: {len(found)})")
    print(f"channels: {dict(sorted(channels.items()))}")
    print(
        f"bare dict filter     : {bare_s * 1000:8.1f} ms  {n / bare_s:12,.0f} events/s"
        f"  (median {statistics.median(bare_times) * 1000:.1f} ms)"
    )
    print(
        f"detect_root_activity : {detect_s * 1000:8.1f} ms  {n / detect_s:12,.0f} events/s"
        f"  (median {statistics.median(detect_times) * 1000:.1f} ms)"
    )
    ratio = detect_s / bare_s
    print(
        f"ratio detect/bare    : {ratio:.2f}x (target <= 3.00x) -> {'OK' if ratio <= 3 else 'OVER'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""scp_denies_root: service control policies judged by evaluating them for member roots.

AWS's documented examples must pass, near misses must fail, and arbitrary JSON must give
a verdict or a RootGuardError — never a crash.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rootguard
from rootguard import ParseError, RootGuardError, ScpVerdict, scp_denies_root
from rootguard._scp import (
    PROBE_ACTIONS,
    _arn_like,
    _glob,
    evaluate_deny,
    parse_policy,
    root_request,
)
from tests.strategies import scp_policies, scp_statements

ACCOUNT = "111122223333"


def verdict(policy: Any, **kwargs: Any) -> ScpVerdict:
    return scp_denies_root(policy, account_id=ACCOUNT, **kwargs)


def deny(condition: dict[str, Any] | None = None, **elements: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Deny", "Action": "*", "Resource": "*", **elements}
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


ROOT_LIKE = {"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}}

# --------------------------------------------------------------------------- AWS's examples

CONTROL_TOWER_RESTRICT_ROOT = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "GRRESTRICTROOTUSER",
      "Effect": "Deny",
      "Action": "*",
      "Resource": ["*"],
      "Condition": {"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}}
    }
  ]
}"""
"""AWS Control Tower's "Disallow actions as a root user" control."""

PREVENT_ROOT_CREDENTIALS_MANAGEMENT = """{ "Version":"2012-10-17", "Statement":[ {
  "Effect":"Deny", "Action":"*", "Resource": "*",
  "Condition":{ "ArnLike":{ "aws:PrincipalArn":[ "arn:aws:iam::*:root" ] },
                "Null":{ "aws:AssumedRoot":"true" } } } ] }"""
"""aws-samples/service-control-policy-examples: Prevent root credentials management in
member accounts (centralized root sessions excepted)."""

DENY_ROOT_EXCEPT_BUCKET_POLICY = """{ "Version": "2012-10-17", "Statement": [ {
  "Effect": "Deny",
  "NotAction": [ "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy" ],
  "Resource": "*",
  "Condition": { "ArnLike": { "aws:PrincipalArn": "arn:aws:iam::*:root" } } } ] }"""
"""aws-samples/service-control-policy-examples: Deny the root user from performing actions
except S3 bucket policy changes."""


def test_control_tower_restrict_root_user_denies_root() -> None:
    found = verdict(CONTROL_TOWER_RESTRICT_ROOT)
    assert found.denies_root is True
    assert found.denying_statements == ("statement GRRESTRICTROOTUSER",)
    assert found.not_denied == ()
    assert found.principal_arn == f"arn:aws:iam::{ACCOUNT}:root"
    # it makes no exception for centralized root sessions
    assert found.blocks_root_sessions is True


def test_prevent_root_credentials_management_denies_root_but_not_root_sessions() -> None:
    found = verdict(PREVENT_ROOT_CREDENTIALS_MANAGEMENT)
    assert found.denies_root is True
    assert found.blocks_root_sessions is False


def test_deny_except_bucket_policy_changes_denies_every_probe() -> None:
    found = verdict(DENY_ROOT_EXCEPT_BUCKET_POLICY)
    assert found.denies_root is True  # bucket-policy unlocking is not probed, on purpose
    assert found.blocks_root_sessions is True  # iam:DeleteLoginProfile is denied to sessions


def test_the_examples_hold_in_other_partitions_and_accounts() -> None:
    for partition in ("aws-cn", "aws-us-gov"):
        policy = CONTROL_TOWER_RESTRICT_ROOT.replace("arn:aws:", f"arn:{partition}:")
        assert scp_denies_root(policy, account_id="999988887777", partition=partition).denies_root
    # the aws-partition pattern does not match another partition's root: no deny
    assert not scp_denies_root(
        CONTROL_TOWER_RESTRICT_ROOT, account_id=ACCOUNT, partition="aws-cn"
    ).denies_root


# --------------------------------------------------------------------------- near misses

NEAR_MISSES: dict[str, Any] = {
    "a deny scoped to one action": deny(ROOT_LIKE, Action="iam:CreateUser"),
    "a deny scoped to one service": deny(ROOT_LIKE, Action=["iam:*"]),
    "many services but not every action": deny(
        ROOT_LIKE, Action=["iam:*", "s3:*", "ec2:*", "sts:*", "kms:*", "cloudtrail:*"]
    ),
    "a condition on the wrong key": deny({"StringLike": {"aws:SourceArn": "arn:aws:iam::*:root"}}),
    "an Allow": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
    "an Allow for root": {
        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": ROOT_LIKE}
    },
    "NotAction that excludes everything": {
        "Statement": [{"Effect": "Deny", "NotAction": "*", "Resource": "*", "Condition": ROOT_LIKE}]
    },
    "NotResource that excludes everything": {
        "Statement": {"Effect": "Deny", "Action": "*", "NotResource": "*", "Condition": ROOT_LIKE}
    },
    "a resource pattern of one service": deny(ROOT_LIKE, Resource="arn:aws:s3:::*"),
    "a condition that never matches root": deny(
        {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}
    ),
    "StringEquals with a wildcard (taken literally)": deny(
        {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}
    ),
    "another account's root": deny(
        {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::999999999999:root"}}
    ),
    "roles only": deny({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}),
    "a deny of root sessions only": deny(
        {
            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"},
            "Null": {"aws:AssumedRoot": "false"},
        }
    ),
    "a deny that depends on the region": deny(
        {**ROOT_LIKE, "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}
    ),
    "a deny that depends on the source IP": deny(
        {**ROOT_LIKE, "NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    ),
    "ForAnyValue on an absent key": deny({"ForAnyValue:StringLike": {"aws:PrincipalTag/x": "*"}}),
    "a deny for IAM users named root": deny(
        {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/root"}}
    ),
}


@pytest.mark.parametrize("name", NEAR_MISSES)
def test_near_misses_do_not_deny_root(name: str) -> None:
    found = verdict(NEAR_MISSES[name])
    assert found.denies_root is False, found.detail
    assert found.denying_statements == () or found.not_denied


def test_a_partial_deny_names_what_it_lets_through() -> None:
    found = verdict(NEAR_MISSES["a deny scoped to one action"])
    assert "iam:CreateUser" not in found.not_denied
    assert "s3:GetObject" in found.not_denied
    assert "rootguardprobe:AnyOtherAction" in found.not_denied
    assert found.detail.startswith("Denies only part of what the member root")


def test_a_deny_that_depends_on_the_request_names_the_key() -> None:
    found = verdict(NEAR_MISSES["a deny that depends on the region"])
    assert found.depends_on == ("aws:RequestedRegion",)
    assert "aws:RequestedRegion" in found.detail
    assert len(found.not_denied) == len(PROBE_ACTIONS)


# --------------------------------------------------------------------------- the operators

CONDITIONS_THAT_MATCH_ROOT = [
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
    {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},  # ArnEquals takes wildcards
    {"ArnLike": {"aws:principalarn": "arn:aws:iam::1111?2223333:root"}},  # keys: any case
    {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:root"}},
    {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:root"}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalArn": f"ARN:AWS:IAM::{ACCOUNT}:ROOT"}},
    {"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/*", "arn:aws:iam::*:root"]}},
    {"StringLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
    {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BreakGlass"}},
    {"StringNotEquals": {"aws:PrincipalType": ["AssumedRole", "User"]}},
    {"StringEquals": {"aws:PrincipalType": "Account"}},
    {"StringEquals": {"aws:userid": ACCOUNT}},
    {"StringEquals": {"aws:PrincipalAccount": [ACCOUNT, "999999999999"]}},
    {"Null": {"aws:AssumedRoot": "true"}},
    {"Null": {"aws:AssumedRoot": True}},
    {"Null": {"aws:PrincipalArn": "false"}},
    {"Bool": {"aws:PrincipalIsAWSService": "false"}},
    {"BoolIfExists": {"aws:ViaAWSService": False}},
    {"ForAnyValue:StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
    {"ForAllValues:StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
    {"ForAllValues:StringEquals": {"aws:PrincipalTag/team": "x"}},  # absent: vacuously true
    {"StringNotLike": {"aws:PrincipalTag/team": "admins"}},  # absent: negation matches
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:r??t"}},
]


@pytest.mark.parametrize("condition", CONDITIONS_THAT_MATCH_ROOT, ids=json.dumps)
def test_conditions_that_match_the_member_root(condition: dict[str, Any]) -> None:
    assert verdict(deny(condition)).denies_root is True


CONDITIONS_THAT_DO_NOT = [
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:ROOT"}},  # case-sensitive
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::${*}:root"}},  # a literal star
    {"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:username}:root"}},  # absent var
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*"}},  # five components only
    {"StringLike": {"aws:PrincipalTag/team": "*"}},  # absent key, positive operator
    {"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": "x"}},  # absent: false
    {"Null": {"aws:AssumedRoot": "false"}},
    {"Null": {"aws:PrincipalArn": "true"}},
    {"Bool": {"aws:PrincipalIsAWSService": "true"}},
    {"StringNotEquals": {"aws:PrincipalType": "Account"}},
    {"NumericLessThan": {"aws:PrincipalArn": "5"}},  # not a number: no match
    {"IpAddress": {"aws:PrincipalAccount": "10.0.0.0/8"}},  # not an address
    {"DateGreaterThan": {"aws:PrincipalAccount": "not a date"}},
    {"ForAllValues:StringEquals": {"aws:PrincipalArn": "arn:aws:iam::1:root"}},
]


@pytest.mark.parametrize("condition", CONDITIONS_THAT_DO_NOT, ids=json.dumps)
def test_conditions_that_do_not_match_the_member_root(condition: dict[str, Any]) -> None:
    found = verdict(deny(condition))
    assert found.denies_root is False
    assert found.depends_on == ()  # every key's value is known: a definite no


def test_the_organization_id_is_known_only_when_given() -> None:
    policy = deny({**ROOT_LIKE, "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})
    assert verdict(policy, organization_id="o-abc123").denies_root is True
    assert verdict(policy, organization_id="o-other").denies_root is False
    unknown = verdict(policy)
    assert unknown.denies_root is False
    assert unknown.depends_on == ("aws:PrincipalOrgID",)


def test_several_statements_combine() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "A", "Effect": "Deny", "Action": ["iam:*", "s3:*"], "Resource": "*"},
            {"Sid": "B", "Effect": "Deny", "NotAction": ["iam:*", "s3:*"], "Resource": "*"},
        ]
    }
    found = verdict(policy)
    assert found.denies_root is True
    assert set(found.denying_statements) == {"statement A", "statement B"}


def test_an_allow_list_scp_is_not_a_deny() -> None:
    # SCPs as allow lists deny implicitly; the check asks for an explicit deny of root
    policy = {"Statement": {"Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*"}}
    found = verdict(policy)
    assert found.denies_root is False
    assert "No Deny statement" in found.detail


# --------------------------------------------------------------------------- invalid policies

INVALID = [
    "",
    "not json",
    "[]",
    "{}",
    '{"Statement": []}',
    '{"Statement": [1]}',
    '{"Statement": {"Effect": "deny", "Action": "*"}}',
    '{"Statement": {"Effect": "Deny"}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "NotAction": "s3:*"}}',
    '{"Statement": {"Effect": "Deny", "Action": []}}',
    '{"Statement": {"Effect": "Deny", "Action": [1]}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "NotResource": "*"}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "Principal": "*"}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "Condition": []}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "Condition": {"StringEqualz": {"a": "b"}}}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "Condition": {"StringLike": "x"}}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "Condition": {"StringLike": {}}}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "Condition": {"NullIfExists": {"a": "1"}}}}',
    '{"Statement": {"Effect": "Deny", "Action": "*", "Condition": {"StringLike": {"a": {}}}}}',
    "[" * 5000 + "]" * 5000,
    "x" * 1_000_001,
]


@pytest.mark.parametrize("policy", INVALID, ids=lambda p: p[:60])
def test_a_document_that_is_not_a_policy_is_a_parse_error(policy: str) -> None:
    with pytest.raises(ParseError):
        verdict(policy)


@settings(max_examples=300, deadline=None)
@given(scp_policies)
def test_arbitrary_json_gives_a_verdict_or_a_rootguard_error(policy: Any) -> None:
    for form in (policy, json.dumps(policy)):
        try:
            found = verdict(form)
        except RootGuardError:
            continue
        assert isinstance(found, ScpVerdict)
        assert found.denies_root == (found.not_denied == ())
        assert found.detail


@settings(max_examples=200, deadline=None)
@given(st.lists(scp_statements(), min_size=1, max_size=3))
def test_adding_an_unconditional_deny_always_denies_root(statements: list[Any]) -> None:
    full = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    try:
        found = verdict({"Statement": [*statements, full]})
    except RootGuardError:
        return  # another statement is invalid: AWS would refuse the whole policy
    assert found.denies_root is True


@settings(max_examples=200, deadline=None)
@given(st.lists(scp_statements(), min_size=1, max_size=3))
def test_allow_statements_never_deny(statements: list[Any]) -> None:
    allows = [{**s, "Effect": "Allow"} for s in statements if isinstance(s, dict)]
    try:
        found = verdict({"Statement": allows})
    except RootGuardError:
        return
    assert found.denies_root is False


# --------------------------------------------------------------------------- matchers

_GLOB_ALPHABET = "ab*?:/"


def _reference_glob(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.S) is not None


@settings(max_examples=500, deadline=None)
@given(st.text(_GLOB_ALPHABET, max_size=10), st.text("ab:/", max_size=12))
def test_glob_agrees_with_a_regular_expression(pattern: str, text: str) -> None:
    assert _glob(pattern, text) is _reference_glob(pattern, text)


def test_glob_is_not_exponential() -> None:
    pattern = "*a" * 40 + "b"
    assert _glob(pattern, "a" * 2000) is False  # returns at once (greedy, one backtrack point)


def test_arn_like_compares_each_component() -> None:
    assert _arn_like("arn:aws:iam::*:root", "arn:aws:iam::111122223333:root")
    assert not _arn_like("arn:aws:iam::*:root", "arn:aws:iam::111122223333:role/root")
    assert _arn_like("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b:c")
    assert not _arn_like("arn:aws:*", "arn:aws:iam::111122223333:root")  # four components


def test_evaluate_deny_reports_the_depending_keys() -> None:
    statements = parse_policy(deny({"StringEquals": {"aws:SourceVpc": "vpc-1"}}))
    request = root_request("s3:GetObject", "arn:aws:s3:::b/k", account_id=ACCOUNT)
    assert evaluate_deny(statements, request) == (None, (), frozenset({"aws:SourceVpc"}))


def test_public_names() -> None:
    assert rootguard.scp_denies_root is scp_denies_root
    assert rootguard.ScpVerdict is ScpVerdict

"""Service control policies (rootguard._scp): policy-shaped documents, valid or not."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.strategies.records import ct_json_values

SCP_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "ArnEquals",
    "ArnLike",
    "ArnNotLike",
    "ArnNotEquals",
    "Bool",
    "Null",
    "NumericLessThan",
    "DateGreaterThan",
    "IpAddress",
    "NotIpAddress",
    "BinaryEquals",
    "StringLikeIfExists",
    "ArnNotLikeIfExists",
    "ForAnyValue:StringLike",
    "ForAllValues:StringNotEquals",
    "ForAnyValue:ArnLike",
    "StringEqualz",  # not an operator
    "ForSomeValues:StringLike",  # not a qualifier
)
SCP_KEYS = (
    "aws:PrincipalArn",
    "aws:principalarn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:userid",
    "aws:AssumedRoot",
    "aws:PrincipalTag/team",
    "aws:RequestedRegion",
    "aws:SourceIp",
    "aws:PrincipalOrgID",
)
SCP_VALUES = (
    "arn:aws:iam::*:root",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::${aws:PrincipalAccount}:root",
    "arn:aws:iam::*:role/*",
    "arn:*:iam::*:*",
    "${aws:username}",
    "${*}",
    "111122223333",
    "Account",
    "true",
    "false",
    "10.0.0.0/8",
    "us-east-1",
    "*",
    "",
)
SCP_ACTIONS = ("*", "iam:*", "iam:CreateUser", "s3:Get*", "*:*", "sts:GetSessionToken", "ec2:?un*")

scp_values = st.one_of(
    st.sampled_from(SCP_VALUES),
    st.text(max_size=12),
    st.booleans(),
    st.integers(-5, 5),
    st.lists(st.sampled_from(SCP_VALUES), max_size=3),
)
scp_conditions = st.dictionaries(
    st.sampled_from(SCP_OPERATORS),
    st.dictionaries(st.sampled_from(SCP_KEYS), scp_values, min_size=1, max_size=2),
    max_size=3,
)


@st.composite
def scp_statements(draw: st.DrawFn) -> dict[str, Any]:
    """A statement built from SCP elements — sometimes invalid on purpose."""
    statement: dict[str, Any] = {}
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(("", "DenyRoot", "x")))
    statement["Effect"] = draw(st.sampled_from(("Deny", "Deny", "Allow", "deny", None)))
    which = draw(st.sampled_from(("Action", "NotAction", "both", "neither")))
    actions = draw(st.one_of(st.sampled_from(SCP_ACTIONS), st.lists(st.sampled_from(SCP_ACTIONS))))
    if which in ("Action", "both"):
        statement["Action"] = actions
    if which in ("NotAction", "both"):
        statement["NotAction"] = actions
    resource = draw(st.sampled_from(("Resource", "NotResource", "none")))
    if resource != "none":
        statement[resource] = draw(
            st.sampled_from(("*", ["arn:aws:s3:::*"], "arn:aws:iam::*:*", ["*", "x"]))
        )
    if draw(st.booleans()):
        statement["Condition"] = draw(st.one_of(scp_conditions, ct_json_values))
    return statement


scp_policies = st.one_of(
    st.builds(
        lambda statements, version: {"Version": version, "Statement": statements},
        st.one_of(st.lists(scp_statements(), max_size=3), scp_statements()),
        st.sampled_from(("2012-10-17", "2008-10-17")),
    ),
    ct_json_values,
)
"""Policy-shaped documents (valid or not) and arbitrary JSON."""

"""rootguard._redact: secrets out of log text, in every form botocore writes them."""

from __future__ import annotations

import logging
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rootguard._redact import REDACTED, RedactSecrets, redact

TOKEN = "FwoGZXIvYXdzEBcaDJ+tok/en=="
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

# The forms botocore 1.x logs at DEBUG (captured from `rootguard -vv` against moto), and
# the forms of response bodies and settings that carry credentials.
FORMS = [
    # botocore.auth CanonicalRequest: the token is a signed header
    "POST\n/\n\nhost:sts.amazonaws.com\nx-amz-date:20240101T000000Z\n"
    "x-amz-security-token:{token}\n\nhost;x-amz-date;x-amz-security-token\nabc",
    # botocore.endpoint "Sending http request": the prepared request's headers
    "headers={{'X-Amz-Date': b'20240101T000000Z', 'X-Amz-Security-Token': b'{token}', "
    "'Authorization': b'AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE01/20240101/us-east-1/"
    "sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=9f2c{secret_hex}'}}>",
    # botocore.parsers "Response body" of sts:AssumeRole (query protocol, bytes repr)
    "b'<AssumeRoleResponse>\\n  <AssumeRoleResult>\\n    <Credentials>\\n"
    "      <AccessKeyId>ASIAEXAMPLEEXAMPLE01</AccessKeyId>\\n"
    "      <SecretAccessKey>{secret}</SecretAccessKey>\\n"
    "      <SessionToken>{token}</SessionToken>\\n'",
    # JSON protocols (SSO GetRoleCredentials, Cognito, STS JSON): camelCase and Pascal
    '{{"roleCredentials": {{"accessKeyId": "ASIA1", "secretAccessKey": "{secret}", '
    '"sessionToken": "{token}"}}}}',
    '{{"Credentials":{{"SecretAccessKey":"{secret}","SessionToken":"{token}"}}}}',
    # JSON inside JSON (escaped quotes), with escaped slashes
    '{{\\"SessionToken\\":\\"{token_escaped}\\",\\"SecretAccessKey\\":\\"{secret}\\"}}',
    # request parameters in botocore.endpoint "Making request ... with params"
    "'body': {{'Action': 'AssumeRoleWithWebIdentity', 'WebIdentityToken': '{token}'}}",
    # presigned URL (urllib3 request line, botocore's prepared URL)
    "GET /key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLEEXAMPLE01%2F2024"
    "0101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token={token_quoted}"
    "&X-Amz-Signature={secret_hex} HTTP/1.1",
    # shared config / credentials file text
    "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = {secret}\n"
    "aws_session_token={token}\n",
    # environment dumps
    "AWS_SECRET_ACCESS_KEY={secret} AWS_SESSION_TOKEN={token}",
]


def _fill(form: str, token: str, secret: str) -> str:
    return form.format(
        token=token,
        secret=secret,
        token_escaped=token.replace("/", "\\/"),
        token_quoted=token.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D"),
        secret_hex=secret.encode().hex(),
    )


@pytest.mark.parametrize("form", FORMS)
def test_every_form_loses_its_secrets(form: str) -> None:
    text = _fill(form, TOKEN, SECRET)
    cleaned = redact(text)
    for value in (TOKEN, SECRET, SECRET.encode().hex(), TOKEN.replace("/", "%2F")):
        assert value not in cleaned
    if "Credential=" in form:  # the key id that signs keeps only its kind (ASIA…)
        assert "EXAMPLE01" not in cleaned
    assert REDACTED in cleaned
    assert redact(cleaned) == cleaned  # idempotent


def test_canonical_request_keeps_its_shape() -> None:
    text = _fill(FORMS[0], TOKEN, SECRET)
    assert redact(text).splitlines() == [
        "POST",
        "/",
        "",
        "host:sts.amazonaws.com",
        "x-amz-date:20240101T000000Z",
        f"x-amz-security-token:{REDACTED}",
        "",
        "host;x-amz-date;x-amz-security-token",
        "abc",
    ]


def test_signature_lines_and_authorization() -> None:
    assert redact("Signature:\n9f2c01") == f"Signature:\n{REDACTED}"
    assert redact("Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=1") == (
        f"Authorization: {REDACTED}"
    )
    assert redact("X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F2024") == (
        f"X-Amz-Credential=AKIA{REDACTED}%2F2024"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Calculating signature using v4 auth.",
        "StringToSign:\nAWS4-HMAC-SHA256\n20240101T000000Z\n20240101/us-east-1/sts/aws4_request",
        "user,arn,password_enabled,password_last_used\n<root_account>,arn,not_supported,N/A",
        '{"NextToken": "abc", "accessKeyId": "ASIAEXAMPLE", "eventName": "GetSessionToken"}',
        "Found credentials in environment variables.",
        "cloudtrail:LookupEvents in us-east-1 failed: 500",
    ],
)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert redact(text) == text


_SECRET_CHARS = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
    min_size=16,
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(token=_SECRET_CHARS, secret=_SECRET_CHARS, form=st.sampled_from(FORMS))
def test_any_secret_value_in_any_form_is_removed(token: str, secret: str, form: str) -> None:
    cleaned = redact(_fill(form, token, secret))
    assert token not in cleaned
    assert secret not in cleaned


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .,()-_\n", max_size=200))
def test_plain_text_is_never_touched(text: str) -> None:
    assert redact(text) == text


def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError(f"SessionToken={TOKEN}")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("botocore.endpoint", logging.DEBUG, __file__, 1, msg, args, exc_info)


def test_filter_rewrites_message_args_and_traceback() -> None:
    record = _record(
        "Response body:\n%r", f"<SessionToken>{TOKEN}</SessionToken>".encode(), exc=True
    )
    assert RedactSecrets().filter(record) is True
    text = logging.Formatter("%(message)s").format(record)
    assert TOKEN not in text
    assert f"<SessionToken>{REDACTED}</SessionToken>" in text  # the body
    assert f"ValueError: SessionToken={REDACTED}" in text  # the traceback


def test_filter_leaves_clean_records_alone() -> None:
    record = _record("Event %s: calling handler %s", "before-call.sts", "x")
    assert RedactSecrets().filter(record) is True
    assert record.args == ("before-call.sts", "x")
    broken = _record("%d", "not a number")
    assert RedactSecrets().filter(broken) is True  # left to the handler's error path

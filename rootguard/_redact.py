"""Secrets out of log text (pure: ``logging`` and ``re`` only).

At ``DEBUG`` botocore logs what it signs and sends — the ``X-Amz-Security-Token`` header,
the ``Authorization`` header, the canonical request (which repeats the token), presigned
URLs — and the raw bodies it receives, among them ``sts:AssumeRole`` answers that carry a
``SecretAccessKey`` and a ``SessionToken``. :class:`RedactSecrets` is a
:class:`logging.Filter` that rewrites such values to :data:`REDACTED` in every record a
handler emits; the command line installs it on its handlers, so that no ``-v`` level ever
prints a credential. Values are recognised by the name that precedes them (header, query
parameter, XML element, JSON or Python-repr key, ``name=value`` setting), in any case and
with ``-``/``_`` spellings, so the filter does not need to know the secrets themselves.
"""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED", "RedactSecrets", "redact"]

REDACTED = "***REDACTED***"
"""What a secret value is replaced with."""

_SEP = r"[-_]?"
_SECRET_NAMES = "|".join(
    [
        rf"x-amz-security{_SEP}token",
        r"x-amz-signature",
        rf"(?:aws{_SEP})?secret{_SEP}access{_SEP}key",
        rf"(?:aws{_SEP})?(?:session|security){_SEP}token",
        rf"secret{_SEP}key",
        rf"web{_SEP}identity{_SEP}token",
        rf"(?:access|refresh|id){_SEP}token",
        rf"client{_SEP}secret",
        r"password",
        r"signature",
    ]
)
"""Names whose value is a secret (or, for signatures, a bearer proof of one)."""

_NOT_NAME = r"(?<![A-Za-z0-9])"
_QUOTE = r"""\\*["']"""

# <SecretAccessKey>…</SecretAccessKey>
_XML = re.compile(rf"(<(?:{_SECRET_NAMES})>)[^<]*(</)", re.IGNORECASE)
# "SessionToken": "…"   'X-Amz-Security-Token': b'…'   {\"secretAccessKey\":\"…\"}
_QUOTED = re.compile(
    rf"({_QUOTE}(?:{_SECRET_NAMES}){_QUOTE}\s*[:=]\s*b?{_QUOTE})(?:[^\"'\\]|\\[^\"'\\])*",
    re.IGNORECASE,
)
# x-amz-security-token:…   X-Amz-Security-Token=…&   aws_secret_access_key = …   Signature:\n…
_BARE = re.compile(
    rf"({_NOT_NAME}(?:{_SECRET_NAMES})\s*[:=]\s*b?[\"']?)[^\s\"'&,;<>}}\]\\]+",
    re.IGNORECASE,
)
# Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…
_AUTHORIZATION = re.compile(
    rf"({_NOT_NAME}authorization{_QUOTE}?\s*[:=]\s*b?{_QUOTE}?)[^\"'\n\\]+",
    re.IGNORECASE,
)
# X-Amz-Credential=AKIA…%2F20240101%2F…   Credential=ASIA…/…   AWSAccessKeyId=AKIA…
_KEY_ID = re.compile(
    r"((?:x-amz-)?credential=|awsaccesskeyid=)([A-Z0-9]{4})[A-Z0-9]{12,124}",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every recognisable secret value replaced by :data:`REDACTED`.

    Session tokens, secret access keys, signatures, ``Authorization`` headers, web
    identity / OAuth tokens and passwords are replaced; an access key id that signs a
    request (``Credential=``) keeps its first four characters (``AKIA``/``ASIA``: the kind
    of key). Text without such names is returned unchanged.

    Examples:
        >>> redact("x-amz-security-token:FwoGZXIvYXdzEBc")
        'x-amz-security-token:***REDACTED***'
        >>> redact("<SessionToken>FwoGZXIvYXdzEBc</SessionToken>")
        '<SessionToken>***REDACTED***</SessionToken>'
    """
    text = _XML.sub(rf"\1{REDACTED}\2", text)
    text = _AUTHORIZATION.sub(rf"\1{REDACTED}", text)
    text = _QUOTED.sub(rf"\1{REDACTED}", text)
    text = _BARE.sub(rf"\1{REDACTED}", text)
    return _KEY_ID.sub(rf"\1\2{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """A :class:`logging.Filter` for handlers: rewrites each record's message, exception
    text and stack text with :func:`redact` (it never drops a record).

    A record whose message changes is stored formatted (``msg`` the redacted text,
    ``args`` empty), so every handler after this one sees the redacted text too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler's error path
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True

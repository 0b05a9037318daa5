"""AccountFailure: why one account of an organization-wide run could not be read (pure)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["AccountFailure"]


class AccountFailure(BaseModel):
    """Why an account could not be checked: the call that failed and AWS's answer.

    ``operation`` is ``service:Operation`` (``sts:AssumeRole``, ``sts:AssumeRoot``,
    ``sts:GetCallerIdentity``), or ``collect`` when nothing at all could be read,
    ``executor`` when the task itself could not run, ``scan`` for anything else.

    It is data, not an exception (nothing raises it). It was called ``AccountError``;
    ``rootguard.AccountError`` still gives this class, with a ``DeprecationWarning``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    operation: str
    error_code: str
    message: str = ""

    def describe(self) -> str:
        """``sts:AssumeRole failed: AccessDenied: <message>``."""
        text = f"{self.operation} failed: {self.error_code}"
        return f"{text}: {self.message}" if self.message else text

"""``check()``: collect an account and evaluate it in one call (I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rootguard._collect import collect
from rootguard._errors import instance_or_none
from rootguard._posture._evaluate import evaluate
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report

if TYPE_CHECKING:
    import boto3

__all__ = ["check"]


def check(
    *,
    session: boto3.Session | None = None,
    regions: Sequence[str] | None = None,
    policy: Policy | None = None,
) -> Report:
    """Collect the account behind ``session`` and evaluate every posture check.

    The same as ``evaluate(collect(session=session, regions=regions), policy=policy)``;
    "now" is the snapshot's collection time.

    Args:
        session: the boto3 session to read with (None: a default ``boto3.Session()``).
        regions: the regions to read; None means every region enabled for the account.
        policy: thresholds for :func:`rootguard.evaluate` (default :class:`Policy`).

    Raises:
        CollectError: nothing at all could be collected (no credentials, no endpoint).
            A single denied call never raises: it makes the affected checks UNKNOWN.
        ArgumentError: ``regions`` is a bare string (pass a list) or holds a non-string;
            ``policy`` is not a :class:`Policy`. Nothing was sent.

    Examples:
        >>> import rootguard
        >>> report = rootguard.check(regions=["us-east-1"])
        >>> [f.check_id for f in report.failed]  # a hardened account: nothing fails
        []
        >>> report.counts["PASS"] > 0
        True
    """
    instance_or_none(policy, Policy, "policy")  # before collecting
    snapshot = collect(session=session, regions=regions)
    return evaluate(snapshot, policy=policy)

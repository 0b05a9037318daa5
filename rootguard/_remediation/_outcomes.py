"""What :func:`rootguard.apply` reports (pure models): one outcome per action."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from rootguard._models import StrEnum
from rootguard._remediation._actions import ManualStep
from rootguard._remediation._org_actions import AnyAction


class ActionStatus(StrEnum):
    """What happened to one action.

    ``applied``: a call changed the account. ``unchanged``: the wanted state was already
    there (nothing sent). ``failed``: an AWS, connection or response error (see
    ``error``). ``skipped``: a prerequisite failed or was skipped, it is a manual step, or
    this is a dry run that would have made a call.
    """

    APPLIED = "applied"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


class PendingConfirmation(BaseModel):
    """A subscription that must be confirmed by its endpoint before alerts arrive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic_arn: str
    protocol: str
    endpoint: str


class ActionOutcome(BaseModel):
    """The outcome of one plan action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: AnyAction
    status: ActionStatus
    error: str | None = None
    """``Code: message`` of the error that failed the action."""
    error_code: str | None = None
    """AWS's error code (``AccessDenied`` …) or the botocore error class name
    (``EndpointConnectionError``)."""
    detail: str = ""
    """What was found or done, for humans."""
    calls: tuple[str, ...] = ()
    """The mutating operations sent (``CreateTrail``); empty when nothing was sent."""


class ApplyResult(BaseModel):
    """Everything :func:`apply` did: one :class:`ActionOutcome` per plan action, in order.

    Examples:
        >>> import rootguard
        >>> empty = rootguard.ApplyResult(outcomes=())
        >>> empty.ok, empty.failed
        (True, ())
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcomes: tuple[ActionOutcome, ...]
    dry_run: bool = False
    pending_confirmations: tuple[PendingConfirmation, ...] = ()
    """Subscriptions that wait for their endpoint to confirm (email: a link in the
    message). The root-usage alarm check fails until one subscriber confirms."""

    @property
    def ok(self) -> bool:
        """True when no action failed."""
        return not self.failed

    @property
    def failed(self) -> tuple[ActionOutcome, ...]:
        """The failed outcomes, with their AWS errors."""
        return tuple(o for o in self.outcomes if o.status is ActionStatus.FAILED)

    @property
    def applied(self) -> tuple[ActionOutcome, ...]:
        """The outcomes that changed the account."""
        return tuple(o for o in self.outcomes if o.status is ActionStatus.APPLIED)

    @property
    def skipped(self) -> tuple[ActionOutcome, ...]:
        """The skipped outcomes (prerequisite failed, manual step, dry run)."""
        return tuple(o for o in self.outcomes if o.status is ActionStatus.SKIPPED)

    @property
    def manual_steps(self) -> tuple[ManualStep, ...]:
        """The plan's manual steps, which apply never performs."""
        return tuple(o.action for o in self.outcomes if isinstance(o.action, ManualStep))

    def to_text(self) -> str:
        """One line per action (``status  id  detail``), then a summary."""
        lines = []
        for o in self.outcomes:
            text = o.detail
            if o.error:
                text = f"{text} — {o.error}" if text else o.error
            lines.append(f"{o.status.value:<9} {o.action.id}  {text}".rstrip())
        for p in self.pending_confirmations:
            lines.append(f"pending   {p.protocol} {p.endpoint} must confirm its subscription")
        counts = {s: sum(1 for o in self.outcomes if o.status is s) for s in ActionStatus}
        lines.append(
            ("Dry run: " if self.dry_run else "")
            + ", ".join(f"{counts[s]} {s.value}" for s in ActionStatus)
            + "."
        )
        return "\n".join(lines)

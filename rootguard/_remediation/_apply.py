"""Executing a remediation :class:`~rootguard.Plan` (I/O).

Each action is *ensured*, not blindly sent: its handler first reads the resource and
decides which mutating call (if any) brings it to the wanted state. So an action already
satisfied is ``unchanged`` (applying the same plan twice changes nothing the second time),
"already exists" is verified against the wanted state, a pending email subscription is not
subscribed again, and the merging actions (bucket policy and tags, topic policy, event
selectors) keep whatever the resource has gained since the plan was made.

Errors never escape half-way: an AWS, connection or response error fails the action, its
dependents are skipped, and the run goes on with everything else. With ``dry_run=True``
only the reads are made.

Before anything else, apply proves that the credentials reach the plan's account and
partition (``sts:GetCallerIdentity``): a plan made for one account is never applied to
another. When that cannot be proven, :class:`~rootguard.ApplyError` is raised and no
other call is made.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore import xform_name
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from rootguard._aws import (
    CALL_ERRORS,
    CREDENTIAL_ERRORS,
    ClientFactory,
    error_code,
    error_message,
    resolve_session,
)
from rootguard._errors import ApplyError, PlanError
from rootguard._remediation import (  # noqa: F401 - importing them registers the handlers
    _handlers_alerting,
    _handlers_trail,
)
from rootguard._remediation._actions import ApiAction, ManualStep
from rootguard._remediation._handling import (
    GLOBAL_REGION,
    Call,
    Conflict,
    Context,
    client_error_code,
    handler_for,
)
from rootguard._remediation._outcomes import (
    ActionOutcome,
    ActionStatus,
    ApplyResult,
    PendingConfirmation,
)
from rootguard._remediation._plan import Plan

__all__ = [
    "ActionOutcome",
    "ActionStatus",
    "ApplyResult",
    "CallerAccount",
    "PendingConfirmation",
    "apply",
    "verify_account",
]

logger = logging.getLogger(__name__)


# Errors that mean "the role (or policy) just created has not propagated yet": retried.
_PROPAGATION_CODES = frozenset(
    {
        "InvalidCloudWatchLogsRoleArnException",
        "InvalidCloudWatchLogsLogGroupArnException",
        "InsufficientDeliveryPolicyException",
        "InvalidRoleException",
    }
)
_PROPAGATION_DELAYS = (2.0, 4.0, 8.0, 8.0, 8.0)
_sleep: Callable[[float], None] = time.sleep


def _send(client: BaseClient, call: Call) -> dict[str, Any]:
    """One mutating call, retried while a just-created role propagates."""
    method = getattr(client, xform_name(call.operation))
    for delay in (*_PROPAGATION_DELAYS, None):
        try:
            return dict(method(**call.params))
        except ClientError as exc:
            if delay is None or client_error_code(exc) not in _PROPAGATION_CODES:
                raise
            logger.info(
                "%s: %s (waiting %.0f s for IAM to propagate)",
                call.operation,
                client_error_code(exc),
                delay,
            )
            _sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _run_one(ctx: Context, action: ApiAction, *, dry_run: bool) -> ActionOutcome:
    handler = handler_for(action)
    if handler is None:
        return ActionOutcome(
            action=action,
            status=ActionStatus.FAILED,
            error_code="UnknownAction",
            error=f"UnknownAction: no handler for {type(action).__name__}",
        )
    sent: list[str] = []
    try:
        client = ctx.client(action)
        decision = handler(ctx, action)
        if not decision.calls:
            return ActionOutcome(
                action=action,
                status=ActionStatus.UNCHANGED,
                detail=decision.detail,
            )
        if dry_run:
            ops = ", ".join(call.operation for call in decision.calls)
            return ActionOutcome(
                action=action,
                status=ActionStatus.SKIPPED,
                detail=f"dry run: would call {ops}"
                + (f" ({decision.detail})" if decision.detail else ""),
            )
        responses: list[dict[str, Any]] = []
        for call in decision.calls:
            sent.append(call.operation)
            try:
                responses.append(_send(client, call))
            except ClientError as exc:
                if client_error_code(exc) in call.exists_codes or (
                    call.exists_if is not None and call.exists_if(exc)
                ):
                    return ActionOutcome(
                        action=action,
                        status=ActionStatus.UNCHANGED,
                        detail=f"already exists ({client_error_code(exc)})",
                        calls=tuple(sent),
                    )
                raise
        extra = decision.after(responses) if decision.after else None
        detail = "; ".join(x for x in (decision.detail, extra) if x)
        return ActionOutcome(
            action=action,
            status=ActionStatus.APPLIED,
            detail=detail,
            calls=tuple(sent),
        )
    except Conflict as exc:
        code, message = exc.code, str(exc)
    except CALL_ERRORS as exc:
        code, message = error_code(exc), error_message(exc)
    except Exception as exc:  # a response we did not expect must not stop the run
        logger.exception("unexpected error applying %s", action.id)
        code, message = type(exc).__name__, str(exc) or type(exc).__name__
    logger.warning("%s failed: %s: %s", action.id, code, message)
    return ActionOutcome(
        action=action,
        status=ActionStatus.FAILED,
        error_code=code,
        error=f"{code}: {message}",
        calls=tuple(sent),
    )


# ------------------------------------------------------------------------- whose account

_ACCOUNT_ID = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class CallerAccount:
    """Whom the credentials are (``sts:GetCallerIdentity``): account, partition, ARN."""

    account_id: str
    partition: str
    arn: str


def _plan_account(plan: Plan) -> str:
    return f"account {plan.account_id} ({plan.partition})"


def _short(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _caller_of(identity: Any) -> CallerAccount | str:
    """The caller in a GetCallerIdentity answer, or what is wrong with the answer."""
    if not isinstance(identity, Mapping):
        return f"an answer that is not an object ({type(identity).__name__})"
    account = identity.get("Account")
    if not isinstance(account, str) or not _ACCOUNT_ID.fullmatch(account):
        return f"no valid account id (Account: {_short(account)})"
    arn = identity.get("Arn")
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) < 6 or parts[0] != "arn" or not parts[1] or parts[4] != account:
        return f"an ARN that is not one of account {account} (Arn: {_short(arn)})"
    return CallerAccount(account_id=account, partition=parts[1], arn=str(arn))


def verify_caller(
    plan: Plan, factory: Callable[[], ClientFactory]
) -> tuple[ClientFactory, CallerAccount]:
    """Prove that the credentials of ``factory()`` reach the plan's account and partition
    (``sts:GetCallerIdentity``): the factory and whom it is, or :class:`ApplyError`."""
    wanted = _plan_account(plan)
    try:
        clients = factory()
        # The partition's global region: its STS endpoint only accepts that partition's
        # credentials (other regions of the plan may not be enabled for the caller).
        sts = clients.client("sts", GLOBAL_REGION.get(plan.partition, plan.home_region))
        identity = sts.get_caller_identity()
    except CREDENTIAL_ERRORS as exc:
        raise ApplyError(
            f"cannot apply: no usable AWS credentials ({error_message(exc)}); "
            f"the plan is for {wanted}; nothing was sent"
        ) from exc
    except Exception as exc:  # ClientError, BotoCoreError, ResponseParserError, anything
        raise ApplyError(
            "cannot apply: which account the credentials reach is unknown "
            f"(sts:GetCallerIdentity failed with {error_code(exc)}: {error_message(exc)}); "
            f"the plan is for {wanted}; nothing was sent"
        ) from exc
    caller = _caller_of(identity)
    if isinstance(caller, str):
        raise ApplyError(
            f"cannot apply: sts:GetCallerIdentity answered {caller}; "
            f"the plan is for {wanted}; nothing was sent"
        )
    if (caller.account_id, caller.partition) != (plan.account_id, plan.partition):
        raise ApplyError(
            f"cannot apply here: the plan is for {wanted}, the credentials reach "
            f"account {caller.account_id} ({caller.partition}); nothing was sent"
        )
    logger.info("the credentials reach %s as %s", wanted, caller.arn)
    return clients, caller


def verify_account(plan: Plan, *, session: boto3.Session | None = None) -> CallerAccount:
    """Prove that ``session``'s credentials reach the plan's account and partition (one
    ``sts:GetCallerIdentity`` call), as :func:`apply` does before anything else.

    Raises:
        ApplyError: the credentials reach another account or partition, there are no
            credentials, the call failed, or its answer is malformed. The message names
            the plan's account and, when known, the one the credentials reach.
    """
    return verify_caller(plan, lambda: ClientFactory(resolve_session(session)))[1]


def apply(
    plan: Plan | str | bytes,
    *,
    session: boto3.Session | None = None,
    dry_run: bool = False,
) -> ApplyResult:
    """Execute a plan, action by action, in order (I/O).

    Each action reads the resource first and sends only what is missing, so re-running
    the same plan is safe: what is already in place is ``unchanged``. An action whose
    prerequisite failed (or was skipped) is ``skipped``; AWS and connection errors become
    ``failed`` outcomes and the run goes on with the independent actions. Manual steps
    are reported ``skipped`` (a human must do them). With ``dry_run=True`` only reads
    are made: actions that would change something are ``skipped`` with the call they
    would make.

    Before its first other call (dry run too), apply proves with
    ``sts:GetCallerIdentity`` that the credentials reach the plan's account *and*
    partition; otherwise it raises and sends nothing else. A plan without API actions
    (only manual steps) makes no call at all.

    Args:
        plan: a :class:`~rootguard.Plan`, or its JSON (:meth:`Plan.to_json`).
        session: the boto3 session to use (default ``boto3.Session()``).
        dry_run: send no mutating call.

    Raises:
        ApplyError: the plan is not valid, or the credentials do not provably reach the
            plan's account and partition: another account or partition, no credentials,
            a failed ``sts:GetCallerIdentity`` or a malformed answer to it. Nothing is
            sent then. Never for the actions' own AWS errors (those are outcomes).

    Examples:
        >>> import rootguard
        >>> plan = rootguard.Plan(account_id="111122223333", home_region="us-east-1")
        >>> rootguard.apply(plan).ok
        True
    """
    if isinstance(plan, (str, bytes)):
        try:
            plan = Plan.from_json(plan)
        except PlanError as exc:
            raise ApplyError(str(exc)) from None
    if not isinstance(plan, Plan):
        raise ApplyError(f"expected a Plan, got {type(plan).__name__}")
    if type(plan) is not Plan:
        raise ApplyError(
            f"this is a {type(plan).__name__}: apply it with its own function "
            "(rootguard.apply_organization for an organization plan)"
        )
    ctx: Context | None = None
    if plan.api_actions:
        factory, _ = verify_caller(plan, lambda: ClientFactory(resolve_session(session)))
        ctx = Context(factory, plan)
    return execute(plan, ctx, dry_run=dry_run)


def execute(plan: Plan, ctx: Context | None, *, dry_run: bool) -> ApplyResult:
    """The apply loop over a verified plan (``ctx`` None: the plan has no API action)."""
    outcomes: list[ActionOutcome] = []
    status: dict[str, ActionStatus] = {}
    would_change: set[str] = set()
    for action in plan.actions:
        blocked = _blocked_by(action.depends_on, status, would_change, dry_run=dry_run)
        if isinstance(action, ManualStep):
            outcome = ActionOutcome(
                action=action,
                status=ActionStatus.SKIPPED,
                detail="manual step: " + action.description,
            )
        elif blocked is not None:
            outcome = ActionOutcome(action=action, status=ActionStatus.SKIPPED, detail=blocked)
        elif dry_run and any(d in would_change for d in action.depends_on):
            outcome = ActionOutcome(
                action=action,
                status=ActionStatus.SKIPPED,
                detail=f"dry run: would call {action.operation} (after its prerequisites)",
            )
        else:
            assert ctx is not None
            outcome = _run_one(ctx, action, dry_run=dry_run)
        if (
            dry_run
            and outcome.status is ActionStatus.SKIPPED
            and not isinstance(action, ManualStep)
            and blocked is None
        ):
            would_change.add(action.id)
        status[action.id] = outcome.status
        logger.info("%s %s %s", outcome.status.value, action.id, outcome.error or outcome.detail)
        outcomes.append(outcome)
    pending = tuple(dict.fromkeys(ctx.pending)) if ctx is not None else ()
    return ApplyResult(outcomes=tuple(outcomes), dry_run=dry_run, pending_confirmations=pending)


def _blocked_by(
    depends_on: Sequence[str],
    status: Mapping[str, ActionStatus],
    would_change: set[str],
    *,
    dry_run: bool,
) -> str | None:
    for dep in depends_on:
        state = status.get(dep)
        if state is ActionStatus.FAILED:
            return f"skipped: prerequisite {dep} failed"
        if state is ActionStatus.SKIPPED and not (dry_run and dep in would_change):
            return f"skipped: prerequisite {dep} was skipped"
    return None

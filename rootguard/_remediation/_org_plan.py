"""The organization plan (pure): a :class:`~rootguard.Plan` of organization actions, made
for one organization and its management account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from rootguard._kinds import check_kind
from rootguard._remediation._org_actions import OrganizationAction
from rootguard._remediation._plan import PLAN_SCHEMA_VERSION, Plan

__all__ = ["OrganizationPlan"]


class OrganizationPlan(Plan):
    """An ordered, reviewable, serializable remediation plan for an AWS Organization
    (:func:`rootguard.plan_organization`), applied from its management account by
    :func:`rootguard.apply_organization`.

    Everything :class:`~rootguard.Plan` says holds: ``actions`` in execution order,
    ``blocked`` what could not be planned because a read failed (a plan with blocked
    entries is incomplete), manual steps never performed. :attr:`account_id` is the
    management account; :attr:`organization_id` the organization: apply proves both
    before any write.

    Examples:
        >>> import rootguard
        >>> p = rootguard.OrganizationPlan(account_id="111122223333",
        ...     organization_id="o-abcdefghij", home_region="us-east-1")
        >>> p.is_empty, p.complete
        (True, True)
        >>> rootguard.OrganizationPlan.from_json(p.to_json()) == p
        True
    """

    kind: Literal["organization_plan"] = "organization_plan"  # type: ignore[assignment]
    """What this file is: an account plan given as an organization plan is an error."""
    organization_id: str = Field(pattern=r"^o-[a-z0-9]{10,32}$")
    """The organization the plan is for (``o-…``)."""
    actions: tuple[OrganizationAction, ...] = ()  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _check_kind(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "kind" not in data:
            # built in code: the fields would read as an account plan's
            data = {**data, "kind": "organization_plan"}
        check_kind(data, "organization_plan", PLAN_SCHEMA_VERSION)
        return data

    @classmethod
    def from_json(cls, data: str | bytes) -> OrganizationPlan:
        """Read an organization plan saved with :meth:`to_json`;
        :class:`~rootguard.PlanError` when the text is not a valid one."""
        plan = super().from_json(data)
        assert isinstance(plan, OrganizationPlan)
        return plan

    def to_text(self) -> str:
        """As :meth:`Plan.to_text`, headed with the organization and its management
        account."""
        text = super().to_text()
        _, _, rest = text.partition("\n")
        head = (
            f"rootguard organization plan for {self.organization_id} "
            f"(management account {self.account_id})"
        )
        return (
            head
            + "\n"
            + rest.replace(
                "No changes. The root-monitoring chain is in place.",
                "No changes. The organization's root guardrails are in place.",
            )
        )

    def __repr__(self) -> str:
        return (
            f"OrganizationPlan(organization_id={self.organization_id!r}, "
            f"account_id={self.account_id!r}, actions={len(self.actions)} "
            f"[{len(self.api_actions)} API, {len(self.manual_steps)} manual], "
            f"blocked={len(self.blocked)})"
        )

    __str__ = __repr__

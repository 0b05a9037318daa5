"""Organization reports (rootguard._org_report)."""

from __future__ import annotations

from hypothesis import strategies as st

from rootguard import _snapshot as _ps
from tests.strategies.snapshots import account_snapshots, ps_trails

ORG_MEMBER_ACCOUNT = "222233334444"


@st.composite
def org_judgement_cases(draw: st.DrawFn) -> tuple[_ps.AccountSnapshot, list[_ps.Trail]]:
    """A member's snapshot (any state) and the organization trails of the organization."""
    snapshot = draw(account_snapshots()).model_copy(update={"account_id": ORG_MEMBER_ACCOUNT})
    trails = [
        t.model_copy(update={"is_organization_trail": True})
        for t in draw(st.lists(ps_trails(), max_size=2))
    ]
    return snapshot, trails

"""Saved files know what they are: every kind refuses every other kind, and a newer
schema version than this rootguard reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import rootguard
from rootguard._kinds import KIND_NAMES, check_kind, kind_of

ACCOUNT = "111122223333"


def _documents() -> dict[str, str]:
    snap = rootguard.AccountSnapshot(account_id=ACCOUNT, regions=["us-east-1"], trails=[])
    report = rootguard.evaluate(snap)
    org = rootguard.OrganizationReport.from_accounts(
        [rootguard.AccountResult(account_id=ACCOUNT, status="checked", report=report)]
    )
    the_plan = rootguard.Plan(account_id=ACCOUNT, home_region="us-east-1")
    return {
        "snapshot": snap.model_dump_json(),
        "plan": the_plan.to_json(),
        "report": report.to_json(),
        "organization_report": org.to_json(),
    }


def _readers() -> dict[str, Callable[[str], Any]]:
    return {
        "snapshot": rootguard.AccountSnapshot.model_validate_json,
        "plan": rootguard.Plan.from_json,
        "report": rootguard.Report.from_json,
        "organization_report": rootguard.OrganizationReport.from_json,
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["with kind", "saved before kind"])
def test_each_kind_reads_itself_and_refuses_the_others(legacy: bool) -> None:
    documents = _documents()
    for kind, text in documents.items():
        data = json.loads(text)
        assert data["kind"] == kind
        assert data["schema_version"] == 1
        if legacy:
            del data["kind"]
        assert kind_of(data) == kind
        documents[kind] = json.dumps(data)
    for reader_kind, read in _readers().items():
        for kind, text in documents.items():
            if kind == reader_kind:
                read(text)
                continue
            with pytest.raises((ValidationError, rootguard.RootGuardError)) as caught:
                read(text)
            message = str(caught.value)
            assert f"this is {KIND_NAMES[kind]}, not {KIND_NAMES[reader_kind]}" in message


def test_a_newer_schema_version_is_refused_by_every_kind() -> None:
    for kind, text in _documents().items():
        data = json.loads(text)
        data["schema_version"] = 2
        with pytest.raises((ValidationError, rootguard.RootGuardError), match="newer rootguard"):
            _readers()[kind](json.dumps(data))


@given(st.dictionaries(st.text(max_size=12), st.integers() | st.text(max_size=5), max_size=6))
def test_check_kind_never_raises_on_data_of_its_own_kind_or_no_kind(data: dict[str, Any]) -> None:
    data.pop("kind", None)
    data.pop("schema_version", None)
    found = kind_of(data)
    for kind in KIND_NAMES:
        if found in (None, kind):
            check_kind(data, kind, 1)
        else:
            with pytest.raises(ValueError, match="not"):
                check_kind(data, kind, 1)

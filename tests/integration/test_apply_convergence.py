"""Convergence as a property: from any partial, partly misconfigured root-alerting chain,
``apply(plan(collect()))`` leaves an account where the plan is empty and the chain checks
pass — with one trail, no second alert topic where one was named, no duplicate rule."""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from rootguard._remediation._apply import apply
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._planner import plan
from tests.integration.remediation import (
    HOME,
    REGIONS,
    SECOND,
    checks,
    failing_chain_checks,
    rules_with_root_pattern,
    seed_alarm,
    seed_config,
    seed_metric_filter,
    seed_rule,
    seed_topic,
    seed_trail,
    snapshot,
    topic_arns,
    trails,
)


@dataclass(frozen=True)
class Start:
    """A starting account: which pieces exist, and how they are broken."""

    trail: str  # none | multi | multi_cwl | single | ours_single
    trail_logging: bool
    trail_validation: bool
    write_only: bool
    metric_filter: str  # none | cis | wrong   (only with multi_cwl)
    topic: str  # none | subscribed | unsubscribed
    alarm: str  # none | no_actions | to_topic
    rule: str  # none | home | second
    config: str  # none | stopped | recording | recording_one_rule
    name_topic: bool  # pass the user's topic as alert_topic_arn


starts = st.builds(
    Start,
    trail=st.sampled_from(["none", "multi", "multi_cwl", "single", "ours_single"]),
    trail_logging=st.booleans(),
    trail_validation=st.booleans(),
    write_only=st.booleans(),
    metric_filter=st.sampled_from(["none", "cis", "wrong"]),
    topic=st.sampled_from(["none", "subscribed", "unsubscribed"]),
    alarm=st.sampled_from(["none", "no_actions", "to_topic"]),
    rule=st.sampled_from(["none", "home", "second"]),
    config=st.sampled_from(["none", "stopped", "recording", "recording_one_rule"]),
    name_topic=st.booleans(),
)


def seed(session: boto3.Session, start: Start) -> str | None:
    """Create the starting account; returns the user's topic ARN (if any)."""
    if start.trail != "none":
        seed_trail(
            session,
            name="rootguard" if start.trail == "ours_single" else "user-trail",
            multi_region=start.trail in ("multi", "multi_cwl"),
            logging=start.trail_logging,
            validation=start.trail_validation,
            write_only=start.write_only,
            log_group="user-trail-logs" if start.trail == "multi_cwl" else None,
        )
        if start.trail == "multi_cwl" and start.metric_filter != "none":
            seed_metric_filter(session, "user-trail-logs", wrong=start.metric_filter == "wrong")
    topic = None
    if start.topic != "none":
        topic = seed_topic(session, "user-alerts", subscribed=start.topic == "subscribed")
    if start.alarm != "none":
        seed_alarm(session, topic_arn=topic if start.alarm == "to_topic" else None)
    if start.rule == "home" and topic:
        seed_rule(session, HOME, topic)
    elif start.rule == "second":
        second_topic = seed_topic(session, "user-alerts", subscribed=False, region=SECOND)
        seed_rule(session, SECOND, second_topic)
    if start.config != "none":
        seed_config(
            session,
            recording=start.config != "stopped",
            rules=start.config == "recording_one_rule",
        )
    return topic


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=starts)
def test_apply_then_replan_is_empty_and_checks_pass(aws_env: None, start: Start) -> None:
    with mock_aws():
        session = boto3.Session(region_name=HOME)
        topic = seed(session, start)
        options = RemediationOptions(
            alert_emails=("secops@example.com",),
            alert_topic_arn=topic if start.name_topic else None,
        )
        before = snapshot(session)
        first = plan(before, options)
        assert first.complete, [b.id for b in first.blocked]  # moto answers every read
        result = apply(first, session=session)
        assert result.ok, [(o.action.id, o.error) for o in result.failed]

        after = snapshot(session)
        replan = plan(after, options)
        assert replan.is_empty
        assert replan.complete
        assert failing_chain_checks(checks(after)) == []

        # no second trail when one could be adopted; one rule per region at most
        names = sorted(t["Name"] for t in trails(session))
        if start.trail in ("multi", "multi_cwl"):
            assert names == ["user-trail"]
        elif start.trail == "ours_single":
            assert names == ["rootguard"]
        for region in REGIONS:
            assert len(rules_with_root_pattern(session, region)) <= 2
        if topic and start.name_topic:
            assert topic_arns(session) == [topic]  # the named topic, no rootguard topic
        # applying the same plan again changes nothing
        again = apply(first, session=session)
        assert again.ok
        assert again.applied == ()

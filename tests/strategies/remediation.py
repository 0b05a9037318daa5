"""Remediation planning (rootguard._remediation): partial, partly broken root-alerting chains."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

_RM_ACCOUNT = "111122223333"
_RM_REGIONS = ("us-east-1", "eu-west-1")


def _rm_none_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A collected list, or None (the call was denied: a gap)."""
    return st.one_of(st.none(), strategy)


@st.composite
def rm_snapshots(draw: st.DrawFn) -> Any:
    """AccountSnapshots with any subset of the root-alerting chain, some pieces broken,
    some lists not collected (None)."""
    from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
    from rootguard._snapshot import (
        AccountSnapshot,
        Alarm,
        ConfigRecorder,
        ConfigRule,
        EventRule,
        EventTarget,
        LogGroup,
        MetricFilter,
        MetricTransformation,
        RegionSnapshot,
        SnsSubscription,
        SnsTopic,
        Trail,
    )

    acct = _RM_ACCOUNT
    home = "us-east-1"
    group = draw(st.sampled_from(["user-logs", "rootguard-cloudtrail"]))
    group_arn = f"arn:aws:logs:{home}:{acct}:log-group:{group}:*"
    trails = []
    for i in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(["rootguard", f"user-{i}", "org"]))
        owner = draw(st.sampled_from([acct, acct, "444455556666"]))
        trails.append(
            Trail(
                name=name,
                trail_arn=f"arn:aws:cloudtrail:{home}:{owner}:trail/{name}-{i}",
                home_region=draw(st.sampled_from([home, home, "eu-west-1"])),
                is_multi_region_trail=draw(st.booleans()),
                is_organization_trail=owner != acct,
                include_global_service_events=draw(st.booleans()),
                log_file_validation_enabled=draw(st.booleans()),
                cloud_watch_logs_log_group_arn=draw(st.sampled_from([None, group_arn])),
                is_logging=draw(st.sampled_from([True, False, None])),
                event_selectors=draw(
                    st.sampled_from(
                        [
                            None,
                            [],
                            [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
                            [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
                            [{"ReadWriteType": "All"}] * 5,
                        ]
                    )
                ),
                advanced_event_selectors=draw(
                    st.sampled_from(
                        [
                            None,
                            [
                                {
                                    "Name": "m",
                                    "FieldSelectors": [
                                        {"Field": "eventCategory", "Equals": ["Management"]}
                                    ],
                                }
                            ],
                        ]
                    )
                ),
            )
        )
    topic_arn = f"arn:aws:sns:{home}:{acct}:" + draw(
        st.sampled_from(["rootguard-root-activity", "user-alerts"])
    )
    subs = draw(
        _rm_none_or(
            st.lists(
                st.builds(
                    SnsSubscription,
                    subscription_arn=st.sampled_from(
                        ["PendingConfirmation", f"{topic_arn}:0f1e2d3c-aaaa-bbbb-cccc-1"]
                    ),
                    protocol=st.just("email"),
                    endpoint=st.sampled_from(["a@example.com", "secops@example.com"]),
                ),
                max_size=2,
            )
        )
    )
    policy = draw(
        st.sampled_from(
            [
                None,
                '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish"}]}',
                "not json",
            ]
        )
    )
    topic_key = draw(st.sampled_from([None, None, "alias/aws/sns", "alias/custom"]))

    def region(name: str) -> RegionSnapshot:
        filters = draw(
            _rm_none_or(
                st.lists(
                    st.builds(
                        MetricFilter,
                        filter_name=st.sampled_from(["rootguard-root-account-usage", "user"]),
                        log_group_name=st.just(group),
                        filter_pattern=st.sampled_from(
                            [CIS_ROOT_FILTER_PATTERN, '{ $.userIdentity.type = "Root" }', "{"]
                        ),
                        metric_transformations=st.just(
                            [MetricTransformation(metric_name="M", metric_namespace="N")]
                        ),
                    ),
                    max_size=2,
                )
            )
        )
        return RegionSnapshot(
            region=name,
            log_groups=draw(
                _rm_none_or(
                    st.just([LogGroup(log_group_name=group, metric_filters=filters)]) | st.just([])
                )
            ),
            alarms=draw(
                _rm_none_or(
                    st.lists(
                        st.builds(
                            Alarm,
                            alarm_name=st.sampled_from(["rootguard-root-account-usage", "user"]),
                            metric_name=st.sampled_from(["M", "RootAccountUsage"]),
                            namespace=st.sampled_from(["N", "RootGuard"]),
                            statistic=st.just("Sum"),
                            threshold=st.sampled_from([1.0, 5.0]),
                            comparison_operator=st.just("GreaterThanOrEqualToThreshold"),
                            alarm_actions=st.sampled_from([[], [topic_arn]]),
                        ),
                        max_size=2,
                    )
                )
            ),
            topics=draw(
                _rm_none_or(
                    st.just(
                        [
                            SnsTopic(
                                topic_arn=topic_arn,
                                region=name,
                                policy=policy,
                                kms_master_key_id=topic_key,
                                subscriptions=subs,
                            )
                        ]
                    )
                    | st.just([])
                )
            ),
            event_rules=draw(
                _rm_none_or(
                    st.lists(
                        st.builds(
                            EventRule,
                            name=st.sampled_from(["rootguard-root-activity", "user"]),
                            arn=st.just(f"arn:aws:events:{name}:{acct}:rule/x"),
                            region=st.just(name),
                            state=st.sampled_from(["ENABLED", "DISABLED"]),
                            event_pattern=st.sampled_from(
                                [
                                    '{"detail-type":["AWS API Call via CloudTrail",'
                                    '"AWS Console Sign In via CloudTrail"],'
                                    '"detail":{"userIdentity":{"type":["Root"]}}}',
                                    '{"source":["aws.iam"]}',
                                    "[",
                                ]
                            ),
                            targets=_rm_none_or(
                                st.lists(
                                    st.builds(
                                        EventTarget,
                                        id=st.just("t"),
                                        arn=st.sampled_from(
                                            [
                                                topic_arn,
                                                f"arn:aws:events:{home}:{acct}:event-bus/default",
                                            ]
                                        ),
                                        role_arn=st.sampled_from([None, "arn:aws:iam::1:role/r"]),
                                    ),
                                    max_size=1,
                                )
                            ),
                        ),
                        max_size=2,
                    )
                )
            ),
            config_recorders=draw(
                _rm_none_or(
                    st.lists(
                        st.builds(
                            ConfigRecorder,
                            name=st.just("default"),
                            region=st.just(name),
                            recording=st.sampled_from([True, False, None]),
                            recording_group=st.sampled_from(
                                [
                                    None,
                                    {"allSupported": True, "includeGlobalResourceTypes": False},
                                    {"allSupported": False, "resourceTypes": ["AWS::EC2::VPC"]},
                                    {"allSupported": False, "resourceTypes": ["AWS::IAM::User"]},
                                ]
                            ),
                        ),
                        max_size=1,
                    )
                )
            ),
            config_rules=draw(
                _rm_none_or(
                    st.lists(
                        st.builds(
                            ConfigRule,
                            config_rule_name=st.just("r"),
                            region=st.just(name),
                            source_owner=st.just("AWS"),
                            source_identifier=st.sampled_from(
                                ["ROOT_ACCOUNT_MFA_ENABLED", "IAM_ROOT_ACCESS_KEY_CHECK"]
                            ),
                            config_rule_state=st.sampled_from(["ACTIVE", "DELETING"]),
                        ),
                        max_size=2,
                    )
                )
            ),
            delivery_channels=draw(_rm_none_or(st.just([]))),
        )

    return AccountSnapshot(
        account_id=acct,
        regions=list(_RM_REGIONS),
        trails=draw(st.sampled_from([None, trails, trails])),
        account_summary=draw(
            st.sampled_from(
                [
                    None,
                    {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1},
                    {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
                ]
            )
        ),
        region_data={r: region(r) for r in _RM_REGIONS},
    )


@st.composite
def rm_unread_one(draw: st.DrawFn) -> Any:
    """(snapshot, label, the same snapshot with one collection it had read made unread:
    None plus the Gap collect() records; see tests.snapshot_builders.single_faults)."""
    from tests.snapshot_builders import single_faults

    snapshot = draw(rm_snapshots())
    faults = single_faults(snapshot)  # never empty: every region can be lost
    label, faulty = draw(st.sampled_from(faults))
    return snapshot, label, faulty

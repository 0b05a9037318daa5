"""Account snapshots for posture evaluation (rootguard._posture)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from rootguard import _snapshot as _ps
from rootguard._credential_report import COLUMNS
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN as _PS_CIS

PS_ACCOUNT = "111122223333"
_PS_REGIONS = ("us-east-1", "eu-west-1")
_PS_NOW = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)
_PS_TOPICS = (
    *(f"arn:aws:sns:{r}:{PS_ACCOUNT}:alerts" for r in _PS_REGIONS),
    "arn:aws:sns:us-east-1:444455556666:central",
    "not-an-arn",
)
_PS_LOG_GROUP_ARNS = (
    f"arn:aws:logs:us-east-1:{PS_ACCOUNT}:log-group:trail-logs:*",
    f"arn:aws:logs:eu-west-1:{PS_ACCOUNT}:log-group:trail-logs:*",
    "arn:aws:logs:us-east-1:444455556666:log-group:org:*",
    "garbage",
)
_PS_FILTER_PATTERNS = (
    _PS_CIS,
    '{ $.userIdentity.type = "Root" }',
    '{ $.userIdentity.type = "Root" || $.eventType != "AwsServiceEvent" }',
    '{ $.userIdentity.type = "Root" && }',
    "",
    "ERROR",
    '{ $.eventName = "ConsoleLogin" && $.userIdentity.type = "Root" }',
)
_PS_EVENT_PATTERNS = (
    '{"detail": {"userIdentity": {"type": ["Root"]}}}',
    '{"source": ["aws.signin"]}',
    '{"detail-type": ["AWS API Call via CloudTrail"]}',
    '{"detail": "Root"}',
    "not json",
    "{}",
)
_PS_POLICIES = (
    None,
    "{",
    '{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"}}',
    '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Condition": '
    '{"StringEquals": {"AWS:SourceOwner": "111122223333"}}}]}',
    '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}}]}',
    '{"Statement": "nonsense"}',
    "[]",
)
_PS_SELECTORS: tuple[Any, ...] = (
    None,
    [],
    [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    [{"ReadWriteType": "ReadOnly"}],
    [{"ReadWriteType": "Bogus", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}],
    [{"Name": "x", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}],
    [{"Name": "x", "FieldSelectors": "oops"}],
    [{"Name": "x", "FieldSelectors": ["oops", {"Field": 3, "Equals": "Management"}]}],
)
_PS_OPS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    None,
)


def _ps_model(cls: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``cls(**drawn fields)``: only the given fields (``st.builds`` would also fill the
    snapshot models' required alias parameters with values of its own)."""
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


ps_gaps = _ps_model(
    _ps.Gap,
    service=st.sampled_from(["iam", "cloudtrail", "logs", "cloudwatch", "sns", "events", "config"]),
    operation=st.sampled_from(
        ["ListRules", "GetTrailStatus", "DescribeAlarms", "GetCredentialReport"]
    ),
    region=st.sampled_from([None, *_PS_REGIONS]),
    error_code=st.sampled_from(["AccessDenied", "OptInRequired", "Throttling"]),
    resource=st.sampled_from([None, _PS_TOPICS[0]]),
)


def _ps_cell(choices: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(choices)


_PS_DATES = ("N/A", "no_information", "2024-05-31T10:00:00+00:00", "2019-01-01T00:00:00+00:00")


@st.composite
def ps_credential_reports(draw: st.DrawFn) -> _ps.CredentialReportData:
    """A credential report text: usually valid, with random root-row states; or garbage."""
    if draw(st.integers(0, 9)) == 0:
        return _ps.CredentialReportData(content=draw(st.text(max_size=40)))
    cells = dict.fromkeys(COLUMNS, "N/A")
    cells.update(
        user=draw(st.sampled_from(["<root_account>", "alice"])),
        arn=f"arn:aws:iam::{PS_ACCOUNT}:root",
        user_creation_time="2019-01-01T00:00:00+00:00",
        password_enabled="not_supported",
        password_last_used=draw(_ps_cell(_PS_DATES)),
        password_last_changed="not_supported",
        password_next_rotation="not_supported",
        mfa_active=draw(_ps_cell(("true", "false"))),
        access_key_1_active=draw(_ps_cell(("true", "false"))),
        access_key_1_last_used_date=draw(_ps_cell(_PS_DATES)),
        access_key_2_active=draw(_ps_cell(("true", "false"))),
        access_key_2_last_used_date=draw(_ps_cell(_PS_DATES)),
        cert_1_active=draw(_ps_cell(("true", "false"))),
        cert_2_active=draw(_ps_cell(("true", "false"))),
    )
    for key in ("access_key_1_last_used_date", "access_key_2_last_used_date"):
        if cells[key] == "no_information":
            cells[key] = "N/A"
    text = ",".join(COLUMNS) + "\n" + ",".join(cells[c] for c in COLUMNS)
    return _ps.CredentialReportData(content=text, generated_at=_PS_NOW)


@st.composite
def ps_trails(draw: st.DrawFn) -> _ps.Trail:
    region = draw(st.sampled_from(_PS_REGIONS))
    name = draw(st.sampled_from(["main", "org", "local"]))
    account = draw(st.sampled_from([PS_ACCOUNT, "444455556666"]))
    return _ps.Trail(
        name=name,
        trail_arn=f"arn:aws:cloudtrail:{region}:{account}:trail/{name}",
        home_region=region,
        is_multi_region_trail=draw(st.booleans()),
        is_organization_trail=draw(st.booleans()),
        log_file_validation_enabled=draw(st.booleans()),
        cloud_watch_logs_log_group_arn=draw(st.sampled_from([None, *_PS_LOG_GROUP_ARNS])),
        is_logging=draw(st.sampled_from([None, True, False])),
        latest_cloud_watch_logs_delivery_time=draw(
            st.sampled_from([None, _PS_NOW - timedelta(hours=1), _PS_NOW - timedelta(days=3)])
        ),
        latest_cloud_watch_logs_delivery_error=draw(st.sampled_from([None, "AccessDenied"])),
        event_selectors=draw(st.sampled_from(_PS_SELECTORS)),
        advanced_event_selectors=draw(st.sampled_from(_PS_SELECTORS)),
    )


_ps_metric = _ps_model(
    _ps.MetricTransformation,
    metric_name=st.sampled_from(["RootUsage", "Other"]),
    metric_namespace=st.sampled_from(["CIS", "Other"]),
    metric_value=st.sampled_from(["1", "0", "$.x", "2.5"]),
    default_value=st.sampled_from([None, 0.0]),
)
_ps_filters = _ps_model(
    _ps.MetricFilter,
    filter_name=st.sampled_from(["a", "b"]),
    log_group_name=st.just("trail-logs"),
    filter_pattern=st.sampled_from(_PS_FILTER_PATTERNS),
    metric_transformations=st.lists(_ps_metric, max_size=2),
)
_ps_log_groups = _ps_model(
    _ps.LogGroup,
    log_group_name=st.sampled_from(["trail-logs", "other"]),
    metric_filters=st.none() | st.lists(_ps_filters, max_size=2),
)
_ps_alarms = _ps_model(
    _ps.Alarm,
    alarm_name=st.sampled_from(["root", "other"]),
    metric_name=st.sampled_from([None, "RootUsage", "Other"]),
    namespace=st.sampled_from([None, "CIS"]),
    statistic=st.sampled_from([None, "Sum", "SampleCount", "Average", "p99"]),
    extended_statistic=st.sampled_from([None, "p99"]),
    evaluation_periods=st.sampled_from([None, 1, 3]),
    datapoints_to_alarm=st.sampled_from([None, 1, 2]),
    threshold=st.sampled_from([None, 0.0, 1.0, 5.0, float("nan")]),
    comparison_operator=st.sampled_from(_PS_OPS),
    treat_missing_data=st.sampled_from([None, "breaching", "notBreaching"]),
    actions_enabled=st.booleans(),
    alarm_actions=st.lists(st.sampled_from(_PS_TOPICS), max_size=2),
    metrics=st.sampled_from(
        [
            None,
            [],
            [
                {
                    "Id": "m1",
                    "MetricStat": {
                        "Metric": {"MetricName": "RootUsage", "Namespace": "CIS"},
                        "Stat": "Sum",
                    },
                }
            ],
            [{"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}],
        ]
    ),
)
_ps_subscriptions = _ps_model(
    _ps.SnsSubscription,
    subscription_arn=st.sampled_from(["PendingConfirmation", f"{_PS_TOPICS[0]}:abc", "Deleted"]),
    protocol=st.sampled_from(["email", "lambda"]),
)


@st.composite
def ps_topics(draw: st.DrawFn) -> _ps.SnsTopic:
    arn = draw(st.sampled_from(_PS_TOPICS[:2]))
    return _ps.SnsTopic(
        topic_arn=arn,
        region=arn.split(":")[3],
        policy=draw(st.sampled_from(_PS_POLICIES)),
        subscriptions=draw(st.none() | st.lists(_ps_subscriptions, max_size=2)),
    )


_PS_TARGET_ARNS = (
    *_PS_TOPICS,
    f"arn:aws:lambda:us-east-1:{PS_ACCOUNT}:function:f",
    f"arn:aws:events:us-east-1:{PS_ACCOUNT}:event-bus/default",
    f"arn:aws:events:eu-west-1:{PS_ACCOUNT}:event-bus/default",
    f"arn:aws:logs:us-east-1:{PS_ACCOUNT}:log-group:x",
)


@st.composite
def ps_rules(draw: st.DrawFn, region: str) -> _ps.EventRule:
    name = draw(st.sampled_from(["r1", "r2"]))
    targets = st.lists(
        _ps_model(_ps.EventTarget, id=st.just("t"), arn=st.sampled_from(_PS_TARGET_ARNS)),
        max_size=2,
    )
    return _ps.EventRule(
        name=name,
        arn=f"arn:aws:events:{region}:{PS_ACCOUNT}:rule/{name}",
        region=region,
        state=draw(st.sampled_from([None, "ENABLED", "DISABLED"])),
        event_pattern=draw(st.sampled_from([None, *_PS_EVENT_PATTERNS])),
        targets=draw(st.none() | targets),
    )


@st.composite
def ps_regions(draw: st.DrawFn, region: str) -> _ps.RegionSnapshot:
    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.none() | st.lists(strategy, max_size=2))

    return _ps.RegionSnapshot(
        region=region,
        log_groups=maybe(_ps_log_groups),
        alarms=maybe(_ps_alarms),
        topics=maybe(ps_topics()),
        event_rules=maybe(ps_rules(region)),
        config_recorders=maybe(
            _ps_model(
                _ps.ConfigRecorder,
                name=st.just("default"),
                region=st.just(region),
                recording_group=st.sampled_from(
                    [
                        None,
                        {"allSupported": True, "includeGlobalResourceTypes": True},
                        {"recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}},
                    ]
                ),
                recording=st.sampled_from([None, True, False]),
            )
        ),
        config_rules=maybe(
            _ps_model(
                _ps.ConfigRule,
                config_rule_name=st.just("r"),
                region=st.just(region),
                source_owner=st.sampled_from([None, "AWS", "CUSTOM_LAMBDA"]),
                source_identifier=st.sampled_from(
                    [None, "ROOT_ACCOUNT_MFA_ENABLED", "IAM_ROOT_ACCESS_KEY_CHECK"]
                ),
            )
        ),
    )


@st.composite
def account_snapshots(draw: st.DrawFn) -> _ps.AccountSnapshot:
    """Snapshots mixing good, broken, missing (None) and garbage pieces, with gaps."""
    regions = draw(st.lists(st.sampled_from(_PS_REGIONS), unique=True, max_size=2))
    collected = draw(st.lists(st.sampled_from(_PS_REGIONS), unique=True, max_size=2))
    return _ps.AccountSnapshot(
        account_id=PS_ACCOUNT,
        collected_at=draw(st.sampled_from([None, _PS_NOW])),
        regions=regions,
        credential_report=draw(st.none() | ps_credential_reports()),
        account_summary=draw(
            st.none()
            | st.fixed_dictionaries(
                {},
                optional={
                    "AccountMFAEnabled": st.integers(0, 1),
                    "AccountAccessKeysPresent": st.integers(0, 2),
                    "AccountSigningCertificatesPresent": st.integers(0, 2),
                },
            )
        ),
        virtual_mfa_devices=draw(
            st.none()
            | st.lists(
                _ps_model(
                    _ps.VirtualMfaDevice,
                    serial_number=st.just("arn:aws:iam::111122223333:mfa/x"),
                    user_arn=st.sampled_from(
                        [None, "arn:aws:iam::111122223333:root", "arn:aws:iam::1:user/rooty"]
                    ),
                ),
                max_size=2,
            )
        ),
        organization=draw(
            st.none()
            | _ps_model(
                _ps.OrganizationInfo,
                in_organization=st.sampled_from([None, True, False]),
                root_features=st.none()
                | st.lists(
                    st.sampled_from(["RootCredentialsManagement", "RootSessions"]), max_size=2
                ),
                root_features_error=st.sampled_from([None, "AccessDenied"]),
            )
        ),
        trails=draw(st.none() | st.lists(ps_trails(), max_size=3)),
        region_data={r: draw(ps_regions(r)) for r in collected},
        gaps=draw(st.lists(ps_gaps, max_size=3)),
    )

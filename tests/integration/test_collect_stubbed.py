"""collect's parts that moto cannot exercise, with botocore's Stubber and real responses:
credential-report polling (recorded responses from real accounts), organization root
features (``iam:ListOrganizationsFeatures``), region discovery, and the AWS helpers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from botocore.stub import Stubber
from pydantic import ValidationError

from rootguard import CollectError, Gap
from rootguard._aws import (
    RETRY_CONFIG,
    GapRecorder,
    clean,
    discover_regions,
    error_code,
    error_message,
    paginate,
)
from rootguard._collect import _credential_report, _organization
from rootguard._snapshot import Trail
from tests.integration.conftest import new_session

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cloud-custodian"
ACCOUNT = "111122223333"
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _client(service: str, region: str = "us-east-1") -> Any:
    return new_session(region, **CREDS).client(service, config=RETRY_CONFIG)


def _placebo(value: Any) -> Any:
    """A placebo-recorded value as boto3 returns it (datetimes revived)."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            parts = {k: v for k, v in value.items() if k != "__class__"}
            return datetime(**parts, tzinfo=timezone.utc)
        return {k: _placebo(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_placebo(v) for v in value]
    return value


def replay(stubber: Stubber, method: str, name: str) -> dict[str, Any]:
    """Queue one recorded response (cloud-custodian placebo file) on ``stubber``."""
    recorded = json.loads((FIXTURES / name).read_text())
    data = _placebo(recorded["data"])
    if recorded["status_code"] >= 300:
        error = recorded["data"]["Error"]
        stubber.add_client_error(
            method,
            service_error_code=error["Code"],
            service_message=error.get("Message", ""),
            http_status_code=recorded["status_code"],
        )
    else:
        if "Content" in data:
            data["Content"] = data["Content"].encode()
        stubber.add_response(method, data)
    return data


class FakeFactory:
    """A ClientFactory stand-in handing out pre-stubbed clients."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self.clients = clients
        self.session = new_session("us-east-1", **CREDS)

    def client(self, service: str, region: str | None) -> Any:
        return self.clients[service]


# ------------------------------------------------------------------ credential report


def test_report_in_progress_is_polled_until_ready() -> None:
    iam = _client("iam")
    sleeps: list[float] = []
    with Stubber(iam) as stub:
        prefix = "test_iam_user_unused_keys_report_in_progress__iam."
        assert (
            replay(stub, "generate_credential_report", prefix + "GenerateCredentialReport_1.json")[
                "State"
            ]
            == "STARTED"
        )
        replay(stub, "get_credential_report", prefix + "GetCredentialReport_1.json")
        ready = replay(stub, "get_credential_report", prefix + "GetCredentialReport_2.json")
        recorder = GapRecorder()
        report = _credential_report(iam, recorder, sleep=sleeps.append)
        stub.assert_no_pending_responses()
    assert report is not None
    assert report.content == ready["Content"].decode()
    assert report.content.splitlines()[1].startswith(
        "<root_account>,arn:aws:iam::619193117841:root"
    )
    assert report.generated_at == datetime(2116, 11, 25, 14, 30, 42, tzinfo=timezone.utc)
    assert sleeps == [0.5]
    assert recorder.gaps == []


def test_report_not_present_is_generated_again() -> None:
    iam = _client("iam")
    sleeps: list[float] = []
    with Stubber(iam) as stub:
        prefix = "test_iam_user_unused_keys__iam."
        replay(stub, "generate_credential_report", prefix + "GenerateCredentialReport_1.json")
        replay(stub, "get_credential_report", prefix + "GetCredentialReport_1.json")  # 410
        stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
        stub.add_client_error(
            "get_credential_report", service_error_code="ReportInProgress", http_status_code=404
        )
        ready = replay(stub, "get_credential_report", prefix + "GetCredentialReport_2.json")
        recorder = GapRecorder()
        report = _credential_report(iam, recorder, sleep=sleeps.append)
        stub.assert_no_pending_responses()
    assert report is not None
    assert report.content == ready["Content"].decode()
    assert report.generated_at == datetime(2016, 11, 25, 14, 30, 42, tzinfo=timezone.utc)
    assert sleeps == [0.5, 1.0]  # exponential backoff
    assert recorder.gaps == []


def test_expired_report_is_generated_again() -> None:
    iam = _client("iam")
    with Stubber(iam) as stub:
        stub.add_response("generate_credential_report", {"State": "COMPLETE"})
        stub.add_client_error(
            "get_credential_report",
            service_error_code="ReportExpired",
            service_message="The request was rejected because the most recent credential "
            "report has expired.",
            http_status_code=410,
        )
        stub.add_response("generate_credential_report", {"State": "STARTED"})
        stub.add_response(
            "get_credential_report",
            {
                "Content": b"user,arn\n",
                "ReportFormat": "text/csv",
                "GeneratedTime": datetime(2024, 1, 1, tzinfo=timezone.utc),
            },
        )
        sleeps: list[float] = []
        report = _credential_report(iam, GapRecorder(), sleep=sleeps.append)
        stub.assert_no_pending_responses()
    assert report is not None
    assert report.content == "user,arn\n"
    assert sleeps == [0.5]


def test_report_that_never_completes_is_a_gap() -> None:
    iam = _client("iam")
    sleeps: list[float] = []
    with Stubber(iam) as stub:
        stub.add_response("generate_credential_report", {"State": "STARTED"})
        for _ in range(4):
            stub.add_client_error(
                "get_credential_report", service_error_code="ReportInProgress", http_status_code=404
            )
        recorder = GapRecorder()
        report = _credential_report(iam, recorder, sleep=sleeps.append, max_wait=3.0)
        stub.assert_no_pending_responses()
    assert report is None
    assert sleeps == [0.5, 1.0, 2.0]
    [gap] = recorder.gaps
    assert (gap.service, gap.operation, gap.region, gap.error_code) == (
        "iam",
        "GetCredentialReport",
        None,
        "ReportInProgress",
    )


def test_report_denied_is_a_gap() -> None:
    iam = _client("iam")
    with Stubber(iam) as stub:
        stub.add_client_error(
            "generate_credential_report", service_error_code="AccessDenied", http_status_code=403
        )
        replay(
            stub,
            "get_credential_report",
            "test_iam_user_unused_keys__iam.GetCredentialReport_1.json",
        )
        recorder = GapRecorder()
        assert _credential_report(iam, recorder, sleep=lambda s: None) is None
    assert [(g.operation, g.error_code) for g in recorder.gaps] == [
        ("GenerateCredentialReport", "AccessDenied"),
        ("GetCredentialReport", "ReportNotPresent"),
    ]


def test_existing_report_is_read_even_if_generating_is_denied() -> None:
    iam = _client("iam")
    with Stubber(iam) as stub:
        stub.add_client_error(
            "generate_credential_report", service_error_code="AccessDenied", http_status_code=403
        )
        ready = replay(
            stub,
            "get_credential_report",
            "test_iam_user_credential_multi_delete_noop__iam.GetCredentialReport_1.json",
        )
        recorder = GapRecorder()
        report = _credential_report(iam, recorder, sleep=lambda s: None)
    assert report is not None
    assert report.content == ready["Content"].decode()
    assert report.generated_at == datetime(2021, 2, 4, 15, 24, 53, tzinfo=timezone.utc)
    assert [(g.operation, g.error_code) for g in recorder.gaps] == [
        ("GenerateCredentialReport", "AccessDenied")
    ]


# ------------------------------------------------------------------ organization features

DESCRIBE_ORGANIZATION = {
    "Organization": {
        "Id": "o-aa111bb222",
        "Arn": "arn:aws:organizations::111122223333:organization/o-aa111bb222",
        "FeatureSet": "ALL",
        "MasterAccountArn": "arn:aws:organizations::111122223333:account/o-aa111bb222/111122223333",
        "MasterAccountId": "111122223333",
        "MasterAccountEmail": "bill@example.com",
        "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
    }
}
FEATURES = {
    "OrganizationId": "o-aa111bb222",
    "EnabledFeatures": ["RootCredentialsManagement", "RootSessions"],
}


def _org_clients() -> tuple[FakeFactory, Stubber, Stubber]:
    orgs, iam = _client("organizations"), _client("iam")
    factory = FakeFactory({"organizations": orgs, "iam": iam})
    return factory, Stubber(orgs), Stubber(iam)


def test_management_account_with_root_features() -> None:
    factory, orgs, iam = _org_clients()
    orgs.add_response("describe_organization", DESCRIBE_ORGANIZATION)
    iam.add_response("list_organizations_features", FEATURES)
    recorder = GapRecorder()
    with orgs, iam:
        info = _organization(factory, recorder, "us-east-1", ACCOUNT)  # type: ignore[arg-type]
    assert info is not None
    assert info.organization_id == "o-aa111bb222"
    assert info.is_management_account is True
    assert info.root_features == ["RootCredentialsManagement", "RootSessions"]
    assert recorder.gaps == []


def test_delegated_administrator_reads_features_but_is_not_management() -> None:
    factory, orgs, iam = _org_clients()
    orgs.add_response("describe_organization", DESCRIBE_ORGANIZATION)
    iam.add_response("list_organizations_features", {**FEATURES, "EnabledFeatures": []})
    with orgs, iam:
        info = _organization(factory, GapRecorder(), "us-east-1", "444455556666")  # type: ignore[arg-type]
    assert info is not None
    assert (info.is_management_account, info.root_features) == (False, [])
    assert info.management_account_id == ACCOUNT


@pytest.mark.parametrize(
    "code",
    [
        "AccountNotManagementOrDelegatedAdministratorException",
        "ServiceAccessNotEnabledException",
        "OrganizationNotInAllFeaturesModeException",
    ],
)
def test_features_not_available_here_is_not_a_gap(code: str) -> None:
    factory, orgs, iam = _org_clients()
    orgs.add_response("describe_organization", DESCRIBE_ORGANIZATION)
    iam.add_client_error(
        "list_organizations_features", service_error_code=code, http_status_code=400
    )
    recorder = GapRecorder()
    with orgs, iam:
        info = _organization(factory, recorder, "us-east-1", "444455556666")  # type: ignore[arg-type]
    assert info is not None
    assert info.root_features is None
    assert info.root_features_error == code
    assert info.is_management_account is False
    assert recorder.gaps == []


def test_features_denied_is_a_gap() -> None:
    factory, orgs, iam = _org_clients()
    orgs.add_response("describe_organization", DESCRIBE_ORGANIZATION)
    iam.add_client_error(
        "list_organizations_features", service_error_code="AccessDenied", http_status_code=403
    )
    recorder = GapRecorder()
    with orgs, iam:
        info = _organization(factory, recorder, "us-east-1", ACCOUNT)  # type: ignore[arg-type]
    assert info is not None
    assert info.root_features is None
    assert info.root_features_error == "AccessDenied"
    assert [(g.service, g.operation, g.error_code) for g in recorder.gaps] == [
        ("iam", "ListOrganizationsFeatures", "AccessDenied")
    ]


def test_organization_unreadable_is_none() -> None:
    factory, orgs, iam = _org_clients()
    orgs.add_client_error(
        "describe_organization", service_error_code="AccessDeniedException", http_status_code=400
    )
    iam.add_client_error(
        "list_organizations_features", service_error_code="AccessDenied", http_status_code=403
    )
    recorder = GapRecorder()
    with orgs, iam:
        assert _organization(factory, recorder, "us-east-1", ACCOUNT) is None  # type: ignore[arg-type]
    assert [g.operation for g in recorder.gaps] == [
        "DescribeOrganization",
        "ListOrganizationsFeatures",
    ]


# ------------------------------------------------------------------ region discovery


def test_regions_from_ec2_keep_only_enabled_ones() -> None:
    ec2 = _client("ec2")
    factory = FakeFactory({"ec2": ec2})
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_regions",
            {
                "Regions": [
                    {
                        "RegionName": "us-east-1",
                        "Endpoint": "ec2.us-east-1.amazonaws.com",
                        "OptInStatus": "opt-in-not-required",
                    },
                    {
                        "RegionName": "af-south-1",
                        "Endpoint": "ec2.af-south-1.amazonaws.com",
                        "OptInStatus": "opted-in",
                    },
                    {
                        "RegionName": "ap-east-1",
                        "Endpoint": "ec2.ap-east-1.amazonaws.com",
                        "OptInStatus": "not-opted-in",
                    },
                    {
                        "RegionName": "eu-west-1",
                        "Endpoint": "ec2.eu-west-1.amazonaws.com",
                        "OptInStatus": "opt-in-not-required",
                    },
                ]
            },
            {"AllRegions": False},
        )
        regions, discovered = discover_regions(factory, GapRecorder(), "us-east-1")  # type: ignore[arg-type]
    assert (regions, discovered) == (["af-south-1", "eu-west-1", "us-east-1"], True)


def test_regions_from_account_when_ec2_is_denied() -> None:
    ec2, account = _client("ec2"), _client("account")
    factory = FakeFactory({"ec2": ec2, "account": account})
    recorder = GapRecorder()
    with Stubber(ec2) as e, Stubber(account) as a:
        e.add_client_error(
            "describe_regions", service_error_code="UnauthorizedOperation", http_status_code=403
        )
        wanted = {"RegionOptStatusContains": ["ENABLED", "ENABLED_BY_DEFAULT"]}
        a.add_response(
            "list_regions",
            {
                "Regions": [{"RegionName": "us-west-2", "RegionOptStatus": "ENABLED_BY_DEFAULT"}],
                "NextToken": "p2",
            },
            wanted,
        )
        a.add_response(
            "list_regions",
            {"Regions": [{"RegionName": "me-south-1", "RegionOptStatus": "ENABLED"}]},
            {**wanted, "NextToken": "p2"},
        )
        regions, discovered = discover_regions(factory, recorder, "us-east-1")  # type: ignore[arg-type]
        a.assert_no_pending_responses()
    assert (regions, discovered) == (["me-south-1", "us-west-2"], True)
    assert [(g.service, g.operation, g.error_code) for g in recorder.gaps] == [
        ("ec2", "DescribeRegions", "UnauthorizedOperation")
    ]


def test_regions_fall_back_to_the_partition_when_nothing_answers() -> None:
    ec2, account = _client("ec2"), _client("account")
    factory = FakeFactory({"ec2": ec2, "account": account})
    recorder = GapRecorder()
    with Stubber(ec2) as e, Stubber(account) as a:
        e.add_client_error(
            "describe_regions", service_error_code="UnauthorizedOperation", http_status_code=403
        )
        a.add_client_error(
            "list_regions", service_error_code="AccessDeniedException", http_status_code=403
        )
        regions, discovered = discover_regions(factory, recorder, "us-east-1")  # type: ignore[arg-type]
    assert discovered is False
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(regions)
    assert regions == sorted(regions)
    assert [g.operation for g in recorder.gaps] == ["DescribeRegions", "ListRegions"]


# ------------------------------------------------------------------ helpers


def test_error_codes_of_every_kind_of_failure() -> None:
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "  no \n way "}}, "X")
    assert (error_code(denied), error_message(denied)) == ("AccessDenied", "no way")
    bare = ClientError({"ResponseMetadata": {"HTTPStatusCode": 500}}, "X")
    assert error_code(bare) == "HTTP500"
    assert (
        error_code(EndpointConnectionError(endpoint_url="https://x")) == "EndpointConnectionError"
    )
    assert error_code(NotImplementedError("moto")) == "NotImplemented"
    with pytest.raises(ValidationError) as info:
        Trail.model_validate({"Name": "t"})
    assert error_code(info.value) == "InvalidResponse"
    assert (
        len(error_message(ClientError({"Error": {"Code": "X", "Message": "m" * 500}}, "Y"))) == 300
    )


def test_gap_recorder_records_and_goes_on() -> None:
    recorder = GapRecorder()

    def fail(exc: Exception) -> Any:
        def call() -> Any:
            raise exc

        return call

    assert recorder.call("sns", "ListTopics", "eu-west-1", lambda: [1]) == [1]
    connection = EndpointConnectionError(endpoint_url="https://sns.eu-west-1.amazonaws.com")
    assert recorder.call("sns", "ListTopics", "eu-west-1", fail(connection)) is None
    quiet = recorder.attempt(
        "iam",
        "GetCredentialReport",
        None,
        fail(ClientError({"Error": {"Code": "ReportInProgress"}}, "GetCredentialReport")),
        quiet={"ReportInProgress"},
    )
    assert (quiet.ok, quiet.error_code) == (False, "ReportInProgress")
    assert recorder.gaps == [
        Gap(
            service="sns",
            operation="ListTopics",
            region="eu-west-1",
            error_code="EndpointConnectionError",
            message=str(connection),
        )
    ]
    assert (recorder.successes, recorder.failures) == (1, 2)
    with pytest.raises(CollectError, match="credentials"):
        recorder.call("sns", "ListTopics", "eu-west-1", fail(NoCredentialsError()))


def test_clean_makes_responses_json_exact() -> None:
    naive = datetime(2024, 1, 2, 3, 4, 5)
    aware = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert clean({"A": naive, "B": [aware], "C": b"x", "ResponseMetadata": {"RequestId": "r"}}) == {
        "A": "2024-01-02T03:04:05Z",
        "B": ["2024-01-02T03:04:05Z"],
        "C": "x",
    }


def test_paginate_follows_next_token_without_a_paginator() -> None:
    class Pages:
        def __init__(self) -> None:
            self.requests: list[dict[str, Any]] = []

        def can_paginate(self, name: str) -> bool:
            return False

        def describe_things(self, **params: Any) -> dict[str, Any]:
            self.requests.append(params)
            if params.get("NextToken") is None:
                return {"Things": [{"n": 1}, {"n": 2}], "NextToken": "t2"}
            return {"Things": [{"n": 3}]}

    client = Pages()
    assert paginate(client, "DescribeThings", "Things", Filter="x") == [
        {"n": 1},
        {"n": 2},
        {"n": 3},
    ]
    assert client.requests == [{"Filter": "x"}, {"Filter": "x", "NextToken": "t2"}]


def test_paginate_uses_botocore_paginators() -> None:
    logs = _client("logs")
    with Stubber(logs) as stub:
        stub.add_response(
            "describe_metric_filters",
            {"metricFilters": [{"filterName": "a"}], "nextToken": "n"},
            {"logGroupName": "g"},
        )
        stub.add_response(
            "describe_metric_filters",
            {"metricFilters": [{"filterName": "b"}]},
            {"logGroupName": "g", "nextToken": "n"},
        )
        found = paginate(logs, "DescribeMetricFilters", "metricFilters", logGroupName="g")
    assert [f["filterName"] for f in found] == ["a", "b"]

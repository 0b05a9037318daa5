"""scan_organization on a Dask distributed cluster, through ``client.get_executor()``.

The cluster is local but real: two worker processes. The organization lives on a moto
server (HTTP on 127.0.0.1, in this process); the tasks are pickled to the workers with
only their settings (account id, role ARN, regions, policy, endpoint, frozen caller
credentials) and build their sessions there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from distributed import Client, LocalCluster, get_task_stream

from rootguard import AccountStatus, Policy, Status, scan_organization
from tests.integration.conftest import new_session, reset_server
from tests.integration.org_builder import BuiltOrganization, moto_organization, verdicts

MEMBERS = (
    ("hardened-1", "hardened"),
    ("exposed-1", "exposed"),
    ("org-trail-only", "org-trail-only"),
    ("plain-1", "plain"),
    ("gone", "suspended"),
)
REGIONS = ["us-east-1", "eu-west-1"]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture
def served_org(
    aws_env: None, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[boto3.Session, str, BuiltOrganization]]:
    reset_server(moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    session = new_session()
    try:
        with moto_organization(session, members=MEMBERS, regions=REGIONS) as built:
            yield session, moto_server, built
    finally:
        reset_server(moto_server)


def test_a_dask_cluster_gives_the_same_result_as_the_thread_pool(
    client: Client, served_org: Any
) -> None:
    session, endpoint, built = served_org
    policy = Policy(root_usage_days=30)
    local = scan_organization(session=session, regions=REGIONS, policy=policy)
    with get_task_stream(client) as stream:
        remote = scan_organization(
            session=session,
            regions=REGIONS,
            policy=policy,
            executor=client.get_executor(),
            endpoint_url=endpoint,
        )
    assert verdicts(remote) == verdicts(local)
    assert remote.organization_findings == local.organization_findings
    assert [a.status for a in remote.accounts].count(AccountStatus.CHECKED) == 5
    member = remote.account(built.id("org-trail-only"))
    assert member is not None
    assert member.report is not None
    assert member.report.policy == policy
    multi = member.report.by_check("cloudtrail.multi_region")[0]
    assert (multi.status, multi.resource) == (Status.PASS, built.org_trail_arn)
    # the accounts ran as Dask tasks on the cluster's worker processes
    tasks = [t for t in stream.data if t["key"].startswith("_scan_account")]
    assert len(tasks) == 5
    assert {t["worker"] for t in tasks} <= set(client.scheduler_info()["workers"])

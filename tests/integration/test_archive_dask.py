"""scan_cloudtrail_archive on a Dask distributed cluster, through client.get_executor().

The cluster is local (worker processes on this machine), as a real one would be reached:
units are pickled to the workers, which read the files and send back only root records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster, get_task_stream

from rootguard import ScanResult, scan_cloudtrail_archive
from tests.archive_gen import ArchiveSpec, ArchiveTruth, write_archive

SPEC = ArchiveSpec(events=3000, root_fraction=0.01, seed=21, days=2, records_per_file=(10, 60))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ArchiveTruth]:
    root = tmp_path_factory.mktemp("dask-archive")
    return root, write_archive(root, SPEC)


def test_dask_cluster_gives_the_same_result(
    client: Client, archive: tuple[Path, ArchiveTruth], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, truth = archive
    local = scan_cloudtrail_archive(root, max_workers=1)
    monkeypatch.setattr("rootguard._archive_units.UNIT_FILES", 8)  # several units per worker
    progress: list[tuple[int, int]] = []
    with get_task_stream(client) as stream:
        result = scan_cloudtrail_archive(
            root,
            executor=client.get_executor(),
            max_workers=2,
            progress=lambda d, t: progress.append((d, t)),
        )
    assert isinstance(result, ScanResult)
    assert result == local
    assert {a.event_id for a in result.activities} == {r.event_id for r in truth.roots}
    assert result.events_scanned == truth.events
    assert progress[-1] == (result.files_seen, result.files_seen)
    # The units ran as Dask tasks on the cluster's worker processes.
    tasks = [t for t in stream.data if t["key"].startswith("scan_unit")]
    assert len(tasks) == -(-len(truth.log_keys) // 8)
    assert {t["worker"] for t in tasks} == set(client.scheduler_info()["workers"])

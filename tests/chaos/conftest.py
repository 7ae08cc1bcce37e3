"""Chaos tests own their infrastructure: one private RabbitMQ node and one private Postgres
cluster (never the machine's shared ones), with one Strata stack on them for the session.
Every scenario runs its own project and run on that stack and judges only its own run; a
scenario that left a service, the broker or the database down is healed before the next one."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.harness import Scenario, dead_letters, scenario
from tests.support.cluster import PrivateCluster, private_cluster

# One environment for every scenario (process settings cannot change per run): a simulator
# slow enough that kills and restarts land in the middle of model calls, 4 packs per worker, and
# background planning in small chunks, so a kill can land in the middle of a run's planning.
CONCURRENCY = 4
ENV = {
    "LLMSIM_LATENCY_MS": "300",
    "WORKER_CONCURRENCY": str(CONCURRENCY),
    "WORKER_PLAN_CHUNK_BLOCKS": "10",
}


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateCluster]:
    with private_cluster(keep_logs_in=tmp_path_factory.mktemp("chaos-cluster")) as c:
        yield c


@pytest.fixture(scope="session")
def shared(cluster: PrivateCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    with scenario(cluster, tmp_path_factory.mktemp("chaos-stack"), workers=2, extra_env=ENV) as s:
        yield s


@pytest.fixture
def sc(shared: Scenario) -> Scenario:
    cluster = shared.cluster
    if cluster.rabbit.proc is None or cluster.rabbit.proc.poll() is not None:
        cluster.rabbit.start()
    if not cluster.pg.running():
        cluster.pg.start()
    shared.stack.respawn_dead()
    while len(shared.stack.live_workers()) < 2:
        shared.stack.spawn_worker()
    shared.dead_letters_before = len(dead_letters(shared))
    return shared


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    return tmp_path / "docs"

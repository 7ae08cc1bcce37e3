"""Lifecycle fixtures: the gateway (in-process), a real simulator process, the rollup's domain
objects on the test's database and vhost."""

import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from faststream.rabbit import RabbitBroker

from strata.crypto import CryptoSettings, MasterKey
from strata.runtime.broker import build_broker, declare_topology
from strata.runtime.egress import EgressSettings
from strata.runtime.outbox import Outbox
from tests.integration.gateway import conftest as gateway_fixtures
from tests.integration.gateway.conftest import Gateway, make_ready

# The gateway's fixtures, shared with this folder.
gw = gateway_fixtures.gw
start_gateway = gateway_fixtures.start_gateway

BIN = Path(sys.executable).parent
SCHEMA = {"properties": {"amount": {"type": "number"}, "party": {"type": "string"}}}


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(BIN / "strata-llm-sim"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def master() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
async def kgw(start_gateway, master: MasterKey, sim_url: str) -> Gateway:
    return await start_gateway(
        crypto=CryptoSettings(master_key=master.to_base64()),
        anthropic_base_url=sim_url,
        key_validation_timeout_s=5,
        # the simulator (and a closed port) on this machine, as a deployment would allow it
        egress=EgressSettings(allowed_private_hosts="127.0.0.1"),
    )


@pytest.fixture
async def broker(amqp_url: str) -> AsyncIterator[RabbitBroker]:
    broker = build_broker(amqp_url)
    await broker.connect()
    await declare_topology(broker)
    yield broker
    await broker.stop()


def outbox_for(gw: Gateway, broker: RabbitBroker, producer: str) -> Outbox:
    return Outbox(gw.pool, broker, producer=producer)


async def make_run(gw: Gateway, auth: dict, *, blocks: int = 6, documents: int = 1) -> dict:
    project = (await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)).json()
    doc_ids = []
    for _ in range(documents):
        files = {"file": ("a.md", f"doc {uuid4()}".encode(), "text/markdown")}
        response = await gw.client.post(
            f"/v1/projects/{project['id']}/documents", files=files, headers=auth
        )
        assert response.status_code == 201, response.text
        doc_ids.append(response.json()["id"])
        await make_ready(gw.pool, doc_ids[-1], list(range(blocks)))
    schema = await gw.client.post(
        f"/v1/projects/{project['id']}/schemas",
        json={"name": "s", "definition": SCHEMA},
        headers=auth,
    )
    response = await gw.client.post(
        "/v1/runs", json={"schema_id": schema.json()["id"], "document_ids": doc_ids}, headers=auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def overlay_states(gw: Gateway, run_id: str) -> list[dict]:
    rows = await gw.pool.fetch(
        "SELECT * FROM overlays WHERE run_id = $1 ORDER BY document_id, block_index",
        UUID(run_id),
    )
    return [dict(r) for r in rows]

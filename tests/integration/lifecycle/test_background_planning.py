"""Background planning on real Postgres: the worker's planner and store (in-process) plan a run
the gateway answered `planning`, a small chunk per step. Concurrent duplicate deliveries, a
cancel in the middle and a resume leave exactly one overlay per block, each in a pack offered
once, in the packs one pass over every block makes."""

import asyncio
from collections import Counter
from itertools import groupby
from uuid import UUID

import pytest

from strata.contracts.messages import PlanRequested
from strata.contracts.policy import PolicySnapshot
from strata.planning.planner import PlannedBlock, plan_packs
from tests.integration.gateway.conftest import make_ready
from tests.support.planning import plan_run, planner_for

pytestmark = pytest.mark.integration

SCHEMA = {"properties": {"amount": {"type": "number"}}}


async def _planning_run(gw, auth: dict, *, documents: int, blocks: int) -> dict:
    await gw.pool.execute("""UPDATE policies SET settings = '{"max_pack_size": 3}'""")
    project = (await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)).json()
    for n in range(documents):
        files = {"file": (f"{n}.md", f"doc {n}".encode(), "text/markdown")}
        doc = await gw.client.post(
            f"/v1/projects/{project['id']}/documents", files=files, headers=auth
        )
        await make_ready(gw.pool, doc.json()["id"], list(range(blocks)))
    schema = await gw.client.post(
        f"/v1/projects/{project['id']}/schemas", json={"name": "s", "definition": SCHEMA},
        headers=auth,
    )  # fmt: skip
    response = await gw.client.post(
        "/v1/runs",
        json={"schema_id": schema.json()["id"], "project_id": project["id"]},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_duplicates_a_cancel_and_a_resume_leave_one_overlay_per_block(start_gateway):
    gw = await start_gateway(plan_runs=False)  # this test is the worker
    auth = await gw.account()
    run = await _planning_run(gw, auth, documents=3, blocks=7)
    run_id = UUID(run["id"])
    assert (run["status"], run["total_blocks"]) == ("planning", 21)
    planner = planner_for(gw.pool, gw.broker, chunk_blocks=4, per_message=1)

    # Two workers handed the same message at once: the run's lock serialises them.
    await asyncio.gather(*(planner.plan(PlanRequested(run_id=run_id)) for _ in range(2)))
    written = await gw.pool.fetchval("SELECT count(*) FROM overlays WHERE run_id = $1", run_id)
    assert 0 < written < 21
    assert await gw.pool.fetchval("SELECT status FROM runs WHERE id = $1", run_id) == "planning"

    cancel = await gw.client.post(f"/v1/runs/{run_id}/cancel", headers=auth)
    assert cancel.status_code == 200 and cancel.json()["run"]["status"] == "cancelled"
    assert await planner.plan(PlanRequested(run_id=run_id)) == 0  # planning stopped
    assert written == await gw.pool.fetchval(
        "SELECT count(*) FROM overlays WHERE run_id = $1", run_id
    )
    resumed = await gw.client.post(f"/v1/runs/{run_id}/resume", headers=auth)
    assert resumed.json()["run"]["status"] == "planning" and resumed.json()["replanned"]
    await plan_run(planner, gw.pool, run_id)

    got = (await gw.client.get(f"/v1/runs/{run_id}", headers=auth)).json()
    assert (got["status"], got["total_blocks"]) == ("running", 21)
    rows = await gw.pool.fetch(
        "SELECT o.document_id, o.block_index, o.pack_id, b.token_estimate FROM overlays o"
        " JOIN blocks b USING (document_id, block_index) WHERE o.run_id = $1"
        " ORDER BY o.document_id, o.block_index",
        run_id,
    )
    assert len(rows) == 21 and len({(r["document_id"], r["block_index"]) for r in rows}) == 21
    assert all(r["pack_id"] is not None for r in rows)
    # Planned after the resume (the released blocks first, then the rest): every pack holds at
    # most max_pack_size blocks and the blocks never planned before form one-pass packs.
    sizes = Counter(r["pack_id"] for r in rows)
    assert max(sizes.values()) <= 3
    policy = PolicySnapshot.model_validate(got["policy"])
    blocks = [PlannedBlock((r["document_id"], r["block_index"]), r["token_estimate"]) for r in rows]
    assert len(plan_packs(blocks, policy, fixed_prompt_tokens=100)) <= len(sizes)
    # The tallies agree with the rows.
    tallied = await gw.pool.fetchval(
        "SELECT sum(overlays) FROM run_tallies WHERE run_id = $1", run_id
    )
    assert tallied == 21


async def test_a_run_planned_in_chunks_gets_the_packs_of_one_pass(start_gateway):
    gw = await start_gateway(plan_runs=False)
    auth = await gw.account()
    run = await _planning_run(gw, auth, documents=4, blocks=5)
    run_id = UUID(run["id"])
    steps = await plan_run(planner_for(gw.pool, gw.broker, chunk_blocks=4, per_message=1),
                           gw.pool, run_id)  # fmt: skip
    assert steps > 20 // 4
    rows = await gw.pool.fetch(
        "SELECT pack_id FROM overlays WHERE run_id = $1 ORDER BY document_id, block_index",
        run_id,
    )
    sizes = [len(list(g)) for _, g in groupby(r["pack_id"] for r in rows)]
    assert sizes == [3] * 6 + [2]  # max_pack_size 3 over 20 blocks in order, as one pass

"""Cancel, resume and retry-failed through the gateway, against real Postgres and RabbitMQ: what
they do to the run and its overlays, and which messages they publish."""

from uuid import UUID, uuid4

import pytest

from strata.gateway.web.auth import create_account
from tests.integration.lifecycle.conftest import make_run, overlay_states
from tests.support.api import assert_error

pytestmark = pytest.mark.integration



async def _plan(gw, run_id: str, pack_size: int = 2) -> list[UUID]:
    """What the worker's planner does: put every overlay in a pack."""
    rows = await overlay_states(gw, run_id)
    packs = [uuid4() for _ in range(0, len(rows), pack_size)]
    for i, row in enumerate(rows):
        await gw.pool.execute(
            "UPDATE overlays SET pack_id = $3 WHERE run_id = $1 AND block_index = $2",
            UUID(run_id),
            row["block_index"],
            packs[i // pack_size],
        )
    await gw.pool.execute("UPDATE runs SET status = 'running' WHERE id = $1", UUID(run_id))
    return packs


async def test_cancel_releases_claims_without_residue_and_announces_it(gw):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=6)
    await _plan(gw, run["id"])
    # Two blocks claimed by a worker, one complete.
    await gw.pool.execute(
        "UPDATE overlays SET status = 'claimed', claimed_by = 'w1',"
        " claim_expires_at = now() + interval '1 minute' WHERE run_id = $1 AND block_index < 2",
        UUID(run["id"]),
    )
    await gw.pool.execute(
        "UPDATE overlays SET status = 'ai_complete', staged = '{}' WHERE run_id = $1"
        " AND block_index = 5",
        UUID(run["id"]),
    )
    response = await gw.client.post(f"/v1/runs/{run['id']}/cancel", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["run"]["status"] == "cancelled" and body["run"]["status_reason"] == (
        "cancelled_by_user"
    )
    assert body["overlays_changed"] == 5
    states = await overlay_states(gw, run["id"])
    for row in states[:5]:
        assert row["status"] == "pending" and row["claimed_by"] is None
        assert row["claim_expires_at"] is None and row["last_error_code"] == "cancelled"
        assert row["attempt_count"] == 0
    assert states[5]["status"] == "ai_complete" and states[5]["last_error_code"] is None
    cancelled = await gw.events.wait_for("run.cancelled", run_id=run["id"])
    assert (cancelled["account_id"], cancelled["project_id"]) == (
        str(await gw.pool.fetchval("SELECT account_id FROM runs WHERE id = $1", UUID(run["id"]))),
        run["project_id"],
    )
    assert cancelled["sequence"] == 1
    await gw.events.wait_for("run.recount-requested", run_id=run["id"])

    again = await gw.client.post(f"/v1/runs/{run['id']}/cancel", headers=auth)
    assert again.status_code == 200 and again.json()["overlays_changed"] == 0
    other = await gw.account("other")
    assert_error(await gw.client.post(f"/v1/runs/{run['id']}/cancel", headers=other), 404, "not_found")
    assert_error(await gw.client.post(f"/v1/runs/{uuid4()}/resume", headers=auth), 404, "not_found")


async def test_resume_reoffers_each_pending_pack_and_replans_unpacked_blocks(gw):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=6)
    packs = await _plan(gw, run["id"])
    await gw.client.post(f"/v1/runs/{run['id']}/cancel", headers=auth)
    # Cancel detached every pending block from its pack (a claim racing the cancel re-checks
    # its pack on the rows it locks, so it claims nothing).
    states = await overlay_states(gw, run["id"])
    assert all(r["pack_id"] is None for r in states)
    # Block 5 is done meanwhile; block 0 sits in a pack again, as if resumed once already.
    await gw.pool.execute(
        "UPDATE overlays SET status = 'ai_complete', staged = '{}' WHERE run_id = $1"
        " AND block_index = 5",
        UUID(run["id"]),
    )
    await gw.pool.execute(
        "UPDATE overlays SET pack_id = $2 WHERE run_id = $1 AND block_index = 0",
        UUID(run["id"]),
        packs[0],
    )
    gw.events.received.clear()
    response = await gw.client.post(f"/v1/runs/{run['id']}/resume", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["run"]["status"] == "running" and body["run"]["status_reason"] is None
    assert body["packs_offered"] == 1 and body["replanned"] is True
    offered = await gw.events.wait_for("pack.ready", pack_id=str(packs[0]))
    assert offered["block_count"] == 1
    await gw.events.wait_for("run.plan-requested", run_id=run["id"])  # plans blocks 1-4 afresh
    assert not [
        b for k, b in gw.events.received if k == "pack.ready" and b["pack_id"] != str(packs[0])
    ]
    states = await overlay_states(gw, run["id"])
    pending = [r for r in states if r["status"] == "pending"]
    assert len(pending) == 5 and all(r["last_error_code"] is None for r in pending)


async def test_retry_failed_moves_only_failed_blocks_and_reopens_a_complete_run(gw):
    auth = await gw.account()
    run = await make_run(gw, auth, blocks=4)
    await _plan(gw, run["id"])
    await gw.pool.execute(
        "UPDATE overlays SET status = CASE WHEN block_index IN (1, 3) THEN 'failed'"
        " ELSE 'ai_complete' END, attempt_count = 3, last_error_code = 'invalid_output',"
        " settled_at = now() WHERE run_id = $1",
        UUID(run["id"]),
    )
    await gw.pool.execute(
        "UPDATE runs SET status = 'complete', completed_at = now() WHERE id = $1",
        UUID(run["id"]),
    )
    assert_error(await gw.client.post(f"/v1/runs/{run['id']}/resume", headers=auth), 409, "run_complete")
    assert_error(await gw.client.post(f"/v1/runs/{run['id']}/cancel", headers=auth), 409, "run_complete")
    gw.events.received.clear()
    response = await gw.client.post(f"/v1/runs/{run['id']}/retry-failed", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["overlays_changed"] == 2
    assert body["run"]["status"] == "running" and body["run"]["completed_at"] is None
    states = await overlay_states(gw, run["id"])
    for row in states:
        if row["block_index"] in (1, 3):
            assert row["status"] == "pending" and row["attempt_count"] == 0
            assert row["pack_id"] is None and row["settled_at"] is None
        else:
            assert row["status"] == "ai_complete" and row["pack_id"] is not None
    await gw.events.wait_for("run.plan-requested", run_id=run["id"])
    await gw.events.wait_for("run.recount-requested", run_id=run["id"])
    assert_error(
        await gw.client.post(f"/v1/runs/{run['id']}/retry-failed", headers=auth),
        409,
        "no_failed_blocks",
    )
    await gw.client.post(f"/v1/runs/{run['id']}/cancel", headers=auth)
    assert_error(
        await gw.client.post(f"/v1/runs/{run['id']}/retry-failed", headers=auth),
        409,
        "run_cancelled",
    )


async def test_dead_letters_are_for_superusers_and_page_newest_first(gw):
    auth = await gw.account()
    _, token = await create_account(gw.pool, "root", True)
    root = {"Authorization": f"Bearer {token}"}
    assert_error(await gw.client.get("/v1/admin/dead-letters", headers=auth), 403, "forbidden")
    for i in range(3):
        await gw.pool.execute(
            "INSERT INTO dead_letters (id, message_id, queue, routing_key, error_code, error,"
            " payload, headers, received_at) VALUES ($1, $2, 'strata.q', 'run.created',"
            " 'invalid_message', 'bad', $3, '{}', now() - make_interval(secs => $4))",
            uuid4(),
            f"m{i}",
            {"n": i},
            float(10 - i),
        )
    first = (await gw.client.get("/v1/admin/dead-letters?limit=2", headers=root)).json()
    assert [d["payload"]["n"] for d in first["items"]] == [2, 1]
    assert first["items"][0]["error_code"] == "invalid_message"
    rest = (
        await gw.client.get(
            f"/v1/admin/dead-letters?limit=2&cursor={first['next_cursor']}", headers=root
        )
    ).json()
    assert [d["payload"]["n"] for d in rest["items"]] == [0] and rest["next_cursor"] is None
    assert_error(
        await gw.client.get("/v1/admin/dead-letters?cursor=zz", headers=root), 400, "invalid_cursor"
    )

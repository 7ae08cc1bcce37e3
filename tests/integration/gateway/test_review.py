"""Review over HTTP (in-process gateway, real Postgres): actions against revisions, concurrent
reviewers, bulk actions, the queue's order and paging, the audit, counters and tenancy. The
overlays are settled here the way the worker settles them (staged values + flags)."""

import asyncio
from uuid import UUID, uuid4

import pytest

from strata.planning.flags import block_flags
from tests.integration.gateway.conftest import Gateway
from tests.support.api import assert_error

pytestmark = pytest.mark.integration

DEFINITION = {
    "type": "object",
    "properties": {"party": {"type": ["string", "null"]}, "amount": {"type": ["number", "null"]}},
    "required": ["party", "amount"],
}


async def _settled_run(gw: Gateway, auth, docs: list[list[tuple[str, dict | None]]]) -> dict:
    """A run over documents whose blocks are (text, staged) — staged None settles as failed."""
    project = (await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)).json()
    document_ids = []
    for blocks in docs:
        files = {"file": ("d.md", f"doc {uuid4()}".encode(), "text/markdown")}
        url = f"/v1/projects/{project['id']}/documents"
        document_id = UUID((await gw.client.post(url, files=files, headers=auth)).json()["id"])
        await gw.pool.executemany(
            "INSERT INTO blocks (document_id, block_index, block_type, text, section_path,"
            " page_start, page_end) VALUES ($1, $2, 'paragraph', $3, $4, 1, 1)",
            [(document_id, i, text, ["Terms"]) for i, (text, _) in enumerate(blocks)],
        )
        await gw.pool.execute(
            "UPDATE documents SET status = 'ready', block_count = $2 WHERE id = $1",
            document_id,
            len(blocks),
        )
        document_ids.append(document_id)
    body = {"name": "inv", "definition": DEFINITION}
    schema = await gw.client.post(f"/v1/projects/{project['id']}/schemas", json=body, headers=auth)
    run_body = {"schema_id": schema.json()["id"], "document_ids": [str(d) for d in document_ids]}
    run = (await gw.client.post("/v1/runs", json=run_body, headers=auth)).json()
    rows = [
        (
            UUID(run["id"]),
            document_id,
            i,
            "failed" if staged is None else "ai_complete",
            staged,
            block_flags(definition=DEFINITION, values=staged, text=text, retried=staged is None),
        )
        for document_id, blocks in zip(document_ids, docs, strict=True)
        for i, (text, staged) in enumerate(blocks)
    ]
    await gw.pool.executemany(
        "UPDATE overlays SET status = $4, staged = $5, flags = $6, settled_at = now()"
        " WHERE run_id = $1 AND document_id = $2 AND block_index = $3",
        rows,
    )
    return {**run, "document_ids": document_ids}


CLEAN = ("Invoice from ACME for 1,250 EUR.", {"party": "ACME", "amount": 1250})
ONE_FLAG = ("Paid by Globex.", {"party": "Globex", "amount": 7})
TWO_FLAGS = ("Paid by Globex.", {"party": "Initech", "amount": 5})
FAILED = ("Unreadable table.", None)


def _block(run: dict, doc: int, index: int) -> str:
    return f"/v1/runs/{run['id']}/overlays/{run['document_ids'][doc]}/{index}"


async def _act(gw, auth, run, doc, index, action, revision, **extra):
    body = {"action": action, "revision": revision, **extra}
    return await gw.client.post(f"{_block(run, doc, index)}/review", json=body, headers=auth)


async def test_every_action_moves_the_revision_and_leaves_an_event(gw: Gateway):
    auth = await gw.account()
    run = await _settled_run(gw, auth, [[CLEAN, ONE_FLAG, TWO_FLAGS, FAILED]])
    item = (await gw.client.get(_block(run, 0, 0), headers=auth)).json()
    assert (item["revision"], item["review_status"], item["flags"]) == (0, "unreviewed", [])
    assert item["text"] == CLEAN[0] and item["section_path"] == ["Terms"]

    confirmed = await _act(gw, auth, run, 0, 0, "confirm", 0)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed"] == CLEAN[1] and confirmed.json()["revision"] == 1
    assert_error(await _act(gw, auth, run, 0, 0, "reject", 1), 409, "invalid_transition")
    reopened = (await _act(gw, auth, run, 0, 0, "reopen", 1, reason="wrong party")).json()
    assert (reopened["review_status"], reopened["confirmed"], reopened["revision"]) == (
        "unreviewed",
        None,
        2,
    )

    edited = (await _act(gw, auth, run, 0, 1, "edit", 0, values={"amount": 300})).json()
    assert edited["review_status"] == "edited"
    assert edited["confirmed"] == {"party": "Globex", "amount": 300}
    bad = await _act(gw, auth, run, 0, 2, "edit", 0, values={"amount": "many"})
    assert "invalid at amount" in assert_error(bad, 422, "invalid_values")
    rejected = (await _act(gw, auth, run, 0, 2, "reject", 0, reason="made up")).json()
    assert (rejected["review_status"], rejected["confirmed"]) == ("rejected", None)

    assert_error(await _act(gw, auth, run, 0, 3, "confirm", 0), 409, "nothing_to_confirm")
    filled = await _act(gw, auth, run, 0, 3, "edit", 0, values={"party": None, "amount": 1})
    assert filled.json()["confirmed"] == {"party": None, "amount": 1}

    events = (await gw.client.get(f"{_block(run, 0, 0)}/review-events", headers=auth)).json()
    assert [(e["action"], e["revision"]) for e in events["items"]] == [
        ("reopen", 2),
        ("confirm", 1),
    ]
    reopen = events["items"][0]
    assert reopen["before"] == {"review_status": "confirmed", "confirmed": CLEAN[1]}
    assert reopen["after"] == {"review_status": "unreviewed", "confirmed": None}
    assert reopen["reason"] == "wrong party" and reopen["token_hint"]
    first = (
        await gw.client.get(f"/v1/runs/{run['id']}/review-events?limit=2", headers=auth)
    ).json()
    assert [e["action"] for e in first["items"]] == ["edit", "reject"]
    rest = await gw.client.get(
        f"/v1/runs/{run['id']}/review-events?limit=2&cursor={first['next_cursor']}", headers=auth
    )
    assert [e["action"] for e in rest.json()["items"]] == ["edit", "reopen"]

    review = (await gw.client.get(f"/v1/runs/{run['id']}", headers=auth)).json()["review"]
    assert review == {
        "unreviewed": 1,
        "confirmed": 0,
        "edited": 2,
        "rejected": 1,
        "flagged": 3,
        "reviewed": False,
    }


async def test_a_stale_revision_answers_409_with_the_current_state(gw: Gateway):
    auth = await gw.account()
    run = await _settled_run(gw, auth, [[CLEAN]])
    assert (await _act(gw, auth, run, 0, 0, "confirm", 0)).status_code == 200
    stale = await _act(gw, auth, run, 0, 0, "reject", 0)
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "stale_revision"
    assert error["details"]["current"]["revision"] == 1 and error["details"]["current"]["review_status"] == "confirmed"


async def test_two_concurrent_reviewers_one_wins_one_gets_409(gw: Gateway):
    auth = await gw.account()
    run = await _settled_run(gw, auth, [[CLEAN] * 5])
    for index in range(5):  # several rounds: the race is real each time, whoever wins
        responses = await asyncio.gather(
            _act(gw, auth, run, 0, index, "confirm", 0),
            _act(gw, auth, run, 0, index, "reject", 0),
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 409).json()["error"]
        winner = next(r for r in responses if r.status_code == 200).json()
        assert loser["code"] == "stale_revision"
        assert loser["details"]["current"]["review_status"] == winner["review_status"]
        events = await gw.client.get(f"{_block(run, 0, index)}/review-events", headers=auth)
        assert len(events.json()["items"]) == 1


async def test_bulk_confirm_skips_flagged_blocks_and_is_safe_to_repeat(gw: Gateway):
    auth = await gw.account()
    run = await _settled_run(gw, auth, [[CLEAN, ONE_FLAG, CLEAN, FAILED], [CLEAN, TWO_FLAGS]])
    url = f"/v1/runs/{run['id']}/review"
    one_doc = {"action": "confirm", "document_id": str(run["document_ids"][0])}
    first = (await gw.client.post(url, json=one_doc, headers=auth)).json()
    assert first == {"action": "confirm", "changed": 2, "skipped_flagged": 1}
    again = (await gw.client.post(url, json=one_doc, headers=auth)).json()
    assert again == {"action": "confirm", "changed": 0, "skipped_flagged": 1}
    everything = {"action": "confirm", "include_flagged": True}
    assert (await gw.client.post(url, json=everything, headers=auth)).json()["changed"] == 3
    by_flag = {"action": "reopen", "flag": "not_in_text"}
    assert (await gw.client.post(url, json=by_flag, headers=auth)).json()["changed"] == 1
    reject_failed = {"action": "reject", "status": "failed", "reason": "no table"}
    assert (await gw.client.post(url, json=reject_failed, headers=auth)).json()["changed"] == 1
    review = (await gw.client.get(f"/v1/runs/{run['id']}", headers=auth)).json()["review"]
    assert (review["confirmed"], review["rejected"], review["unreviewed"]) == (4, 1, 1)
    events = (await gw.client.get(f"/v1/runs/{run['id']}/review-events", headers=auth)).json()
    assert len(events["items"]) == 7  # one per block moved, never one per call
    bulk_confirm = next(e for e in events["items"] if e["action"] == "confirm")
    assert bulk_confirm["after"]["review_status"] == "confirmed"
    other = {"action": "confirm", "document_id": str(uuid4())}
    assert_error(await gw.client.post(url, json=other, headers=auth), 404, "not_found")
    edit = {"action": "edit"}
    assert_error(await gw.client.post(url, json=edit, headers=auth), 422, "invalid_request")


async def test_the_queue_lists_flagged_blocks_first_and_pages_by_keyset(gw: Gateway):
    auth = await gw.account()
    pattern = [CLEAN, ONE_FLAG, TWO_FLAGS, FAILED, CLEAN, ONE_FLAG]
    run = await _settled_run(gw, auth, [pattern * 20, pattern * 15])
    rows = await gw.pool.fetch(
        "SELECT document_id, block_index, cardinality(flags) AS n FROM overlays WHERE run_id = $1",
        UUID(run["id"]),
    )
    expected = [
        f"{r['document_id']}:{r['block_index']}"
        for r in sorted(rows, key=lambda r: (-r["n"], r["document_id"], r["block_index"]))
    ]
    seen, cursor = [], None
    while True:
        params = {"limit": 17, **({"cursor": cursor} if cursor else {})}
        url = f"/v1/runs/{run['id']}/review-queue"
        page = (await gw.client.get(url, params=params, headers=auth)).json()
        seen += [i["block_uid"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    first = (await gw.client.get(f"/v1/runs/{run['id']}/review-queue?limit=1", headers=auth)).json()
    top = first["items"][0]
    assert top["status"] == "failed" and top["text"] == FAILED[0] and top["filename"] == "d.md"
    assert top["flags"] == ["required_null:party", "required_null:amount", "retried"]
    assert top["page_start"] == 1 and top["section_path"] == ["Terms"]

    await gw.client.post(f"/v1/runs/{run['id']}/review", json={"action": "confirm"}, headers=auth)
    left = await gw.client.get(f"/v1/runs/{run['id']}/review-queue?limit=500", headers=auth)
    assert all(i["flags"] for i in left.json()["items"])  # the unflagged were confirmed
    confirmed = await gw.client.get(
        f"/v1/runs/{run['id']}/review-queue?limit=500&review_status=confirmed", headers=auth
    )
    assert len(confirmed.json()["items"]) == 70
    bad = await gw.client.get(f"/v1/runs/{run['id']}/review-queue?cursor=zz", headers=auth)
    assert_error(bad, 400, "invalid_cursor")


async def test_another_accounts_run_is_404_on_every_review_route(gw: Gateway):
    owner, stranger = await gw.account("owner"), await gw.account("stranger")
    run = await _settled_run(gw, owner, [[CLEAN]])
    block = _block(run, 0, 0)
    calls = [
        ("GET", block, None),
        ("POST", f"{block}/review", {"action": "confirm", "revision": 0}),
        ("GET", f"{block}/review-events", None),
        ("POST", f"/v1/runs/{run['id']}/review", {"action": "confirm"}),
        ("GET", f"/v1/runs/{run['id']}/review-queue", None),
        ("GET", f"/v1/runs/{run['id']}/review-events", None),
        ("GET", f"/v1/runs/{run['id']}", None),
    ]
    for method, url, body in calls:
        response = await gw.client.request(method, url, json=body, headers=stranger)
        assert_error(response, 404, "not_found")
    unknown = f"/v1/runs/{run['id']}/overlays/{run['document_ids'][0]}/99999999999"
    assert_error(await gw.client.get(unknown, headers=owner), 404, "not_found")
    item = (await gw.client.get(block, headers=owner)).json()
    assert item["review_status"] == "unreviewed" and item["revision"] == 0  # nothing moved

"""Review over the real services: a run settles through the worker (which stores flags), then a
person works through the queue: every action, a stale revision, two concurrent reviewers, bulk
confirm, the audit and the counters, all through `StrataClient`."""

import asyncio
import json
from collections import Counter

import pytest

from strata.client import StrataApiError, StrataClient, wait_for
from strata.planning.flags import block_flags
from tests.support.api import raised_api_error

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def settled(client: StrataClient, examples) -> dict:
    project = client.create_project("e2e review")
    docs = [
        client.converted(client.upload(project["id"], p)["id"])
        for p in sorted((examples / "documents").iterdir())
    ]
    spec = json.loads((examples / "schema.json").read_text())
    # A number the schema forbids to be null: a block that states none is answered 0 (as a
    # forced model would), which the worker flags `number_not_in_text`; the rest stay clean.
    spec["definition"]["properties"]["amount"]["type"] = "number"
    schema = client.create_schema(project["id"], spec)
    run = client.create_run({"schema_id": schema["id"], "document_ids": [d["id"] for d in docs]})
    run = wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=120,
        what="run complete",
    )
    return {"run": run, "definition": schema["definition"]}


def test_flags_are_stored_at_settle_and_the_queue_puts_them_first(client, settled):
    run, definition = settled["run"], settled["definition"]
    queue = list(client.review_queue(run["id"], page_size=7))
    assert len(queue) == run["total_blocks"]
    for item in queue:  # exactly what the pure function says for the block's own text
        expected = block_flags(
            definition=definition, values=item["staged"], text=item["text"], retried=False
        )
        assert [f for f in item["flags"] if f != "retried"] == expected, item
    assert any(item["flags"] for item in queue) and not all(item["flags"] for item in queue)
    order = [(-len(i["flags"]), i["document_id"], i["block_index"]) for i in queue]
    assert order == sorted(order)
    assert all(i["section_path"] is not None and i["filename"] for i in queue)
    review = client.run(run["id"])["review"]
    assert review["flagged"] == sum(1 for i in queue if i["flags"])
    assert review["unreviewed"] == run["total_blocks"] and review["reviewed"] is False


def test_a_person_works_through_the_run(client, settled, stack):
    run = settled["run"]
    queue = list(client.review_queue(run["id"]))
    flagged = [i for i in queue if i["flags"]]
    clean = [i for i in queue if not i["flags"]]
    one, two, three = flagged[0], flagged[1], flagged[2]

    def act(item, action, revision=None, **extra):
        return client.review(
            run["id"],
            item["document_id"],
            item["block_index"],
            action=action,
            revision=item["revision"] if revision is None else revision,
            **extra,
        )

    # edit: the person's field over the staged ones, validated by the schema version
    edited = act(one, "edit", values={"amount": 42.5}, reason="read the scan")
    assert edited["review_status"] == "edited"
    assert edited["confirmed"] == {**one["staged"], "amount": 42.5}
    invalid = raised_api_error(lambda: act(two, "edit", values={"category": "gossip"}))
    assert (invalid.status, invalid.code) == (422, "invalid_values")
    # reject, then a stale revision, then reopen
    rejected = act(two, "reject", reason="not a business fact")
    assert (rejected["review_status"], rejected["confirmed"]) == ("rejected", None)
    stale = raised_api_error(lambda: act(two, "reopen", revision=0))
    assert (stale.status, stale.code) == (409, "stale_revision")
    assert stale.details["current"]["review_status"] == "rejected"
    assert stale.details["current"]["revision"] == rejected["revision"]
    reopened = act(two, "reopen", revision=rejected["revision"])
    assert reopened["review_status"] == "unreviewed" and reopened["revision"] == 2

    # two reviewers on one block, at the same moment: one wins, the other gets 409
    token = client._http.headers["Authorization"].removeprefix("Bearer ")
    other = StrataClient(stack.gateway_url, token)

    async def race():
        return await asyncio.gather(
            asyncio.to_thread(lambda: _outcome(lambda: act(three, "confirm"))),
            asyncio.to_thread(
                lambda: _outcome(
                    lambda: other.review(
                        run["id"],
                        three["document_id"],
                        three["block_index"],
                        action="reject",
                        revision=three["revision"],
                    )
                )
            ),
        )

    try:
        outcomes = asyncio.run(race())
    finally:
        other.close()
    assert sorted(status for status, _ in outcomes) == [200, 409], outcomes
    winner = next(body for status, body in outcomes if status == 200)
    loser = next(body for status, body in outcomes if status == 409)
    assert loser["code"] == "stale_revision"
    assert loser["current"]["review_status"] == winner["review_status"]

    # bulk: confirm every unflagged block of one document; repeating it changes nothing
    document_id = clean[0]["document_id"]
    unflagged_here = sum(1 for i in clean if i["document_id"] == document_id)
    flagged_here = sum(
        1 for i in flagged if i["document_id"] == document_id and i["status"] == "ai_complete"
    )
    first = client.bulk_review(run["id"], "confirm", document_id=document_id)
    assert first["changed"] == unflagged_here
    assert first["skipped_flagged"] == flagged_here - sum(
        1 for i in (one, three) if i["document_id"] == document_id
    )
    assert client.bulk_review(run["id"], "confirm", document_id=document_id)["changed"] == 0

    # the audit: per block and per run, newest first, before and after
    history = list(
        client.review_events(
            run["id"], document_id=two["document_id"], block_index=two["block_index"]
        )
    )
    assert [e["action"] for e in history] == ["reopen", "reject"]
    assert history[1]["reason"] == "not a business fact"
    assert history[1]["before"]["review_status"] == "unreviewed"
    assert history[1]["after"] == {"review_status": "rejected", "confirmed": None}
    events = list(client.review_events(run["id"], page_size=3))
    assert len(events) == 3 + 1 + unflagged_here  # edit, reject, reopen, race winner, bulk
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)

    # counters: counted from the overlays, and the run is not reviewed while anything is open
    overlays = list(client.overlays(run["id"]))
    counted = Counter(o["review_status"] for o in overlays)
    review = client.run(run["id"])["review"]
    assert {k: review[k] for k in ("unreviewed", "confirmed", "edited", "rejected")} == {
        k: counted.get(k, 0) for k in ("unreviewed", "confirmed", "edited", "rejected")
    }
    assert review["edited"] == 1 and review["reviewed"] is False
    assert review["flagged"] == sum(1 for o in overlays if o["flags"])


def test_another_account_sees_nothing_of_the_review(stack, settled):
    run = settled["run"]
    stranger = StrataClient(stack.gateway_url, stack.create_account("e2e-review-stranger"))
    try:
        item = raised_api_error(lambda: stranger.review_item(run["id"], run["document_ids"][0], 0))
        assert (item.status, item.code) == (404, "not_found")
        bulk = raised_api_error(lambda: stranger.bulk_review(run["id"], "confirm"))
        assert bulk.status == 404
        queue = raised_api_error(lambda: list(stranger.review_queue(run["id"])))
        assert queue.status == 404
    finally:
        stranger.close()


def _outcome(call) -> tuple[int, dict]:
    try:
        return 200, call()
    except StrataApiError as exc:
        return exc.status, {"code": exc.code, **exc.details}

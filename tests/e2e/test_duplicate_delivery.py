"""A message delivered twice changes nothing the second time (invariant 5)."""

import asyncio
import json
import uuid

import aio_pika
import asyncpg
import pytest

from strata.client import wait_for
from tests.support import infra

pytestmark = pytest.mark.e2e


async def _publish_twice(amqp_url: str, routing_key: str, body: dict) -> None:
    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("strata.events")
        payload = json.dumps(body).encode()
        message_id = str(uuid.uuid4())
        for _ in range(2):
            await exchange.publish(
                aio_pika.Message(
                    payload,
                    content_type="application/json",
                    message_id=message_id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=routing_key,
            )
    finally:
        await conn.close()


async def _snapshot(dsn: str, run_id: str, document_id: str) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "run": dict(
                await conn.fetchrow(
                    "SELECT status, completed_blocks, failed_blocks, completed_at FROM runs WHERE id = $1",
                    uuid.UUID(run_id),
                )
            ),
            "blocks": await conn.fetchval(
                "SELECT count(*) FROM blocks WHERE document_id = $1", uuid.UUID(document_id)
            ),
            "document": dict(
                await conn.fetchrow(
                    "SELECT status, block_count, updated_at FROM documents WHERE id = $1",
                    uuid.UUID(document_id),
                )
            ),
            "completed_events": await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE routing_key = 'run.completed'"
                " AND payload ->> 'run_id' = $1",
                run_id,
            ),
            "calls": await conn.fetchval(
                "SELECT count(*) FROM llm_calls WHERE run_id = $1", uuid.UUID(run_id)
            ),
        }
    finally:
        await conn.close()


def test_settled_and_conversion_messages_delivered_twice_change_nothing(stack, client, examples):
    project = client.create_project("duplicates")
    doc = client.upload(project["id"], examples / "documents" / "supplier-agreement.md")
    doc = client.converted(doc["id"])
    assert doc["status"] == "ready", doc
    schema = client.create_schema(project["id"], json.loads((examples / "schema.json").read_text()))
    run = client.create_run({"schema_id": schema["id"], "document_ids": [doc["id"]]})
    wait_for(
        lambda: client.run(run["id"]),
        lambda r: r["status"] == "complete",
        timeout_s=60,
        what="run complete",
    )
    before = infra.run(_snapshot(stack.database_url, run["id"], doc["id"]))
    assert before["completed_events"] == 1

    # Current names and (for one more version) the names before 0.2.
    for key in ("run.recount-requested", "overlays.settled"):
        infra.run(_publish_twice(stack.amqp_url, key, {"run_id": run["id"]}))
    infra.run(
        _publish_twice(
            stack.amqp_url,
            "conversion.requested",
            {"document_id": doc["id"], "source_format": "md"},
        )
    )
    for key in ("run.plan-requested", "run.created"):
        infra.run(_publish_twice(stack.amqp_url, key, {"run_id": run["id"]}))
    infra.run(
        _publish_twice(
            stack.amqp_url,
            "document.received",
            {"document_id": doc["id"], "project_id": project["id"]},
        )
    )
    asyncio.run(asyncio.sleep(3))  # let every consumer take and ack them

    after = infra.run(_snapshot(stack.database_url, run["id"], doc["id"]))
    assert after == before

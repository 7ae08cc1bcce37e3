"""The shared delivery machinery over a real broker and database: outbox publish after commit,
relay of rows a crash left behind, dead-lettering with a reason, delayed retry."""

import asyncio
from pathlib import Path
from uuid import uuid4

import aio_pika
import pytest

from strata.contracts import routing
from strata.contracts.messages import PlanRequested
from strata.runtime.broker import EVENTS
from strata.runtime.consumer import consume
from strata.runtime.errors import StrataError, TransientError
from strata.runtime.service import ServiceRuntime
from strata.runtime.settings import CommonSettings

pytestmark = pytest.mark.integration


class BoomError(StrataError):
    """The handler refuses this message for good."""

    code = "boom"


async def _started(database_url: str, amqp_url: str, blob_root: Path, handle) -> ServiceRuntime:
    rt = ServiceRuntime(
        "testsvc",
        CommonSettings(database_url=database_url, amqp_url=amqp_url, blob_root=blob_root),
    )
    consume(rt.broker, PlanRequested, prefetch=5)(handle)
    await rt.start()
    await rt.broker.start()
    return rt


async def _stop(rt: ServiceRuntime) -> None:
    await rt.broker.stop()
    await rt.stop()


async def _wait(predicate, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_outbox_publishes_after_commit_and_not_after_rollback(
    database_url, amqp_url, blob_root
):
    seen: list[PlanRequested] = []

    async def handle(msg: PlanRequested) -> None:
        seen.append(msg)

    rt = await _started(database_url, amqp_url, blob_root, handle)
    try:
        committed = PlanRequested(run_id=uuid4())
        async with rt.outbox.transaction() as uow:
            uow.emit(committed)
        rolled_back = PlanRequested(run_id=uuid4())
        with pytest.raises(RuntimeError):
            async with rt.outbox.transaction() as uow:
                uow.emit(rolled_back)
                raise RuntimeError("the change fails before commit")
        await _wait(lambda: len(seen) >= 1)
        await rt.outbox.drain()  # the background publish marks the row once confirmed
        await asyncio.sleep(0.3)
        assert [m.run_id for m in seen] == [committed.run_id]
        unpublished = await rt.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        assert unpublished == 0
    finally:
        await _stop(rt)


async def test_relay_publishes_rows_left_by_a_crash(database_url, amqp_url, blob_root):
    seen: list[PlanRequested] = []

    async def handle(msg: PlanRequested) -> None:
        seen.append(msg)

    rt = await _started(database_url, amqp_url, blob_root, handle)
    try:
        lost = PlanRequested(run_id=uuid4())
        # As if the process died between commit and publish: the row exists, unpublished.
        await rt.pool.execute(
            "INSERT INTO outbox (id, producer, routing_key, payload, created_at)"
            " VALUES ($1, 'testsvc', $2, $3, now() - interval '1 minute')",
            lost.message_id,
            routing.PLAN_REQUESTED.routing_key,
            lost.model_dump(mode="json"),
        )
        assert await rt.outbox.relay_once(older_than_s=5) == 1
        await _wait(lambda: len(seen) == 1)
        assert seen[0].run_id == lost.run_id
        assert await rt.outbox.relay_once(older_than_s=5) == 0
    finally:
        await _stop(rt)


async def _dead_letters(amqp_url: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    conn = await aio_pika.connect(amqp_url)
    try:
        channel = await conn.channel()
        queue = await channel.get_queue(routing.DEAD_LETTER_QUEUE)
        found = []
        while (msg := await queue.get(fail=False, no_ack=True)) is not None:
            found.append(msg)
        return found
    finally:
        await conn.close()


async def test_permanent_error_and_bad_payload_are_dead_lettered_with_reason(
    database_url, amqp_url, blob_root
):
    async def handle(msg: PlanRequested) -> None:
        raise BoomError()

    rt = await _started(database_url, amqp_url, blob_root, handle)
    try:
        async with rt.outbox.transaction() as uow:
            uow.emit(PlanRequested(run_id=uuid4()))
        await rt.broker.publish(
            {"not": "a run"}, exchange=EVENTS, routing_key=routing.PLAN_REQUESTED.routing_key
        )
        letters: list = []

        async def collect() -> bool:
            letters.extend(await _dead_letters(amqp_url))
            return len(letters) >= 2

        for _ in range(100):
            if await collect():
                break
            await asyncio.sleep(0.1)
        codes = sorted(m.headers["x-strata-error-code"] for m in letters)
        assert codes == ["boom", "invalid_message"]
        assert all(m.headers["x-strata-queue"] == routing.PLAN_REQUESTED.queue for m in letters)
    finally:
        await _stop(rt)


async def test_transient_error_is_retried_after_a_delay(database_url, amqp_url, blob_root):
    calls: list[float] = []

    async def handle(msg: PlanRequested) -> None:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) == 1:
            raise TransientError("database briefly away")

    rt = await _started(database_url, amqp_url, blob_root, handle)
    try:
        async with rt.outbox.transaction() as uow:
            uow.emit(PlanRequested(run_id=uuid4()))
        await _wait(lambda: len(calls) == 2, timeout=20)
        assert calls[1] - calls[0] >= 0.9  # the first retry tier is one second
    finally:
        await _stop(rt)


async def test_a_command_published_under_its_name_before_0_2_still_reaches_its_consumer(
    database_url, amqp_url, blob_root
):
    seen: list[PlanRequested] = []

    async def handle(msg: PlanRequested) -> None:
        seen.append(msg)

    rt = await _started(database_url, amqp_url, blob_root, handle)
    try:
        legacy, current = PlanRequested(run_id=uuid4()), PlanRequested(run_id=uuid4())
        assert routing.PLAN_REQUESTED.legacy_keys == ("run.created",)
        for key, msg in (("run.created", legacy), (routing.PLAN_REQUESTED.routing_key, current)):
            await rt.broker.publish(
                msg.model_dump(mode="json"), exchange=EVENTS, routing_key=key, persist=True
            )
        await _wait(lambda: len(seen) >= 2)
        assert {m.run_id for m in seen} == {legacy.run_id, current.run_id}
    finally:
        await _stop(rt)

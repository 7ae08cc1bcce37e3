"""Thin handlers: decode the contract, call one domain object."""

import logging
from typing import Any, Protocol

from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.annotations import RabbitMessage

from strata.contracts import routing
from strata.contracts.messages import RecountRequested
from strata.rollup.dead_letters import DeadLetterCopier
from strata.runtime.broker import DEAD_LETTER_QUEUE, DEAD_LETTERS
from strata.runtime.consumer import consume

logger = logging.getLogger(__name__)


class Rollup(Protocol):
    async def on_settled(self, msg: RecountRequested) -> None: ...


async def _raw_body(message: Any) -> bytes:
    # A dead letter may be anything (that is often why it is dead): never decode it as JSON here.
    return bytes(message.body)


def register(
    broker: RabbitBroker,
    *,
    rollup: Rollup,
    prefetch: int,
    dead_letters: DeadLetterCopier | None = None,
) -> None:
    @consume(broker, RecountRequested, prefetch=prefetch)
    async def on_recount_requested(msg: RecountRequested) -> None:
        await rollup.on_settled(msg)

    if dead_letters is None:
        return

    @broker.subscriber(
        DEAD_LETTER_QUEUE,
        DEAD_LETTERS,
        channel=Channel(prefetch_count=8),
        ack_policy=AckPolicy.MANUAL,
        decoder=_raw_body,
        title=routing.DEAD_LETTER_QUEUE,
        description="every dead letter, copied into the dead_letters table",
    )
    async def on_dead_letter(body: bytes, message: RabbitMessage) -> None:
        try:
            await dead_letters.copy(
                body=message.body,
                headers=message.headers or {},
                routing_key=message.raw_message.routing_key or "",
                message_id=message.message_id,
            )
        except Exception:
            # Keep it in the queue: a dead letter must never be lost on its way to the table.
            logger.exception("storing a dead letter failed; it stays in the queue")
            await dead_letters.pause_before_retry()
            await message.nack(requeue=True)
            return
        await message.ack()

"""The dead-letter copier against the in-memory store: the reason comes from our consumer's
headers, else from the broker's `x-death`; any body is kept; a redelivered copy is stored once."""

from strata.rollup.dead_letters import DeadLetterCopier
from tests.unit.rollup.memory_store import MemoryRollupStore


async def test_our_consumers_reason_is_stored_with_the_json_payload() -> None:
    store = MemoryRollupStore()
    copier = DeadLetterCopier(store=store)
    headers = {
        "x-strata-error-code": "invalid_message",
        "x-strata-error": "run_id missing",
        "x-strata-queue": "strata.rollup.overlays-settled",
    }
    for _ in range(2):  # dead-lettered twice (a redelivery): stored once
        await copier.copy(
            body=b'{"not": "a run"}',
            headers=headers,
            routing_key="overlays.settled",
            message_id="poison-1",
        )
    (letter,) = store.dead_letters
    assert (letter.error_code, letter.error) == ("invalid_message", "run_id missing")
    assert letter.queue == "strata.rollup.overlays-settled"
    assert letter.payload == {"not": "a run"} and letter.headers == headers


async def test_a_broker_dead_letter_says_so_and_a_binary_body_is_kept_as_text() -> None:
    store = MemoryRollupStore()
    death = {"queue": "strata.worker.pack-ready", "reason": "delivery_limit", "count": 5}
    await DeadLetterCopier(store=store).copy(
        body=b"\xff not json",
        headers={"x-death": [death]},
        routing_key="pack.ready",
        message_id=None,
    )
    (letter,) = store.dead_letters
    assert letter.error_code == "broker_delivery_limit"
    assert letter.error == "broker dead-lettered it: delivery_limit"
    assert letter.queue == "strata.worker.pack-ready"
    assert isinstance(letter.payload, str) and "not json" in letter.payload

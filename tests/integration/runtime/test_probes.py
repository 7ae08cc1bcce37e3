"""The ops HTTP port of a consumer process over a real broker and database: alive at once,
ready only once its consumers are attached, and metrics that count what the consumer did."""

import asyncio
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from strata.contracts import routing
from strata.contracts.messages import PlanRequested
from strata.runtime.consumer import consume
from strata.runtime.errors import StrataError
from strata.runtime.service import ServiceRuntime
from strata.runtime.settings import CommonSettings

pytestmark = pytest.mark.integration
QUEUE = routing.PLAN_REQUESTED.queue


class RefusedError(StrataError):
    """The handler refuses this message for good."""

    code = "refused"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def test_probes_and_consumer_metrics(database_url, amqp_url, blob_root: Path):
    refused = uuid4()

    async def handle(msg: PlanRequested) -> None:
        if msg.run_id == refused:
            raise RefusedError("not this one")

    common = CommonSettings(database_url=database_url, amqp_url=amqp_url, blob_root=blob_root)
    rt = ServiceRuntime("probesvc", common, http_port=0)
    consume(rt.broker, PlanRequested, prefetch=5)(handle)
    await rt.start()
    assert rt.ops is not None
    base = f"http://127.0.0.1:{rt.ops.port}"
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        try:
            assert (await http.get("/healthz")).status_code == 200
            before = await http.get("/readyz")  # connected, but nothing consumes yet
            assert before.status_code == 503
            assert before.json()["checks"] == {"database": True, "broker": True, "consumers": False}
            await rt.broker.start()
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            start = (await http.get("/metrics")).text

            async with rt.outbox.transaction() as uow:
                uow.emit(PlanRequested(run_id=uuid4()))
                uow.emit(PlanRequested(run_id=refused))

            def moved(text: str, outcome: str) -> float:
                return value(text, "strata_messages_total", queue=QUEUE, outcome=outcome) - value(
                    start, "strata_messages_total", queue=QUEUE, outcome=outcome
                )

            for _ in range(100):
                now = (await http.get("/metrics")).text
                if moved(now, "handled") and moved(now, "dead_lettered"):
                    break
                await asyncio.sleep(0.1)
            assert (moved(now, "handled"), moved(now, "dead_lettered")) == (1, 1)
            assert value(now, "strata_dead_letters_total", queue=QUEUE, code="refused") == 1
            assert value(now, "strata_handler_duration_seconds_count", queue=QUEUE) >= 2
            assert value(now, "strata_outbox_backlog_messages", producer="probesvc") == 0
            age = ("strata_outbox_oldest_age_seconds", frozenset({("producer", "probesvc")}))
            assert age in samples(now)

            await rt.broker.stop()  # consumers detached: not ready, still alive
            assert (await http.get("/readyz")).status_code == 503
            assert (await http.get("/healthz")).status_code == 200
        finally:
            await rt.stop()

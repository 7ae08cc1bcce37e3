"""Liveness, readiness and metrics over HTTP.

`/healthz` says the process's event loop answers (a restart is the cure when it does not);
`/readyz` says the process can do its work now: the database answers, the broker answers, and
each of its consumers is attached to its queue (a failing readiness takes a pod out of service
without restarting it). `/metrics` is the Prometheus text format of the default registry, plus
samplers (the outbox backlog) refreshed at scrape time so the figures are never stale."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg
from faststream.rabbit import RabbitBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from strata.runtime.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE

logger = logging.getLogger(__name__)

Sampler = Callable[[], Awaitable[None]]
_BACKLOG = """
SELECT count(*) AS backlog, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age
FROM outbox WHERE producer = $1 AND published_at IS NULL
"""


@dataclass(frozen=True)
class Readiness:
    """What `/readyz` checks; each check answers within `timeout_s` or counts as failed."""

    pool: Callable[[], asyncpg.Pool]
    broker: RabbitBroker
    timeout_s: float = 2.0
    # False for a process without consumers (the gateway): nothing to be attached.
    expects_consumers: bool = True

    async def check(self) -> dict[str, bool]:
        database, broker = await asyncio.gather(self._database(), self._broker())
        checks = {"database": database, "broker": broker}
        if self.expects_consumers:
            checks["consumers"] = consumers_attached(self.broker)
        return checks

    async def _database(self) -> bool:
        try:
            async with asyncio.timeout(self.timeout_s):
                return bool(await self.pool().fetchval("SELECT 1") == 1)
        except Exception:
            return False

    async def _broker(self) -> bool:
        try:
            return bool(await self.broker.ping(timeout=self.timeout_s))
        except Exception:
            return False


def consumers_attached(broker: RabbitBroker) -> bool:
    subscribers = list(broker.subscribers)
    return bool(subscribers) and all(sub.running for sub in subscribers)


def outbox_sampler(pool: Callable[[], asyncpg.Pool], *, producer: str) -> Sampler:
    async def sample() -> None:
        row = await pool().fetchrow(_BACKLOG, producer)
        OUTBOX_BACKLOG.labels(producer=producer).set(row["backlog"])
        OUTBOX_OLDEST_AGE.labels(producer=producer).set(float(row["age"]))

    return sample


async def readyz_response(readiness: Readiness) -> JSONResponse:
    checks = await readiness.check()
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def metrics_response(samplers: Sequence[Sampler]) -> Response:
    for sample in samplers:
        try:
            await sample()
        except Exception:  # a scrape during a database outage still serves the other series
            logger.warning("a metrics sampler failed", exc_info=True)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def ops_app(*, readiness: Readiness, samplers: Sequence[Sampler] = ()) -> Starlette:
    """The small HTTP app a consumer process serves on its own port."""

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        return await readyz_response(readiness)

    async def metrics(_: Request) -> Response:
        return await metrics_response(samplers)

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ]
    )

"""The ops HTTP app served inside a FastStream process's own event loop.

uvicorn's `Server` installs its own SIGINT/SIGTERM handlers while it serves; here the process
belongs to FastStream, whose shutdown must stay the one that runs (it drains the consumers and
the outbox), so this server leaves signals alone and stops when told."""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

logger = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class OpsServer:
    def __init__(self, app: Starlette, *, host: str, port: int) -> None:
        # Bound now, so a port already taken stops the start with a clear error and port 0
        # (any free port) is known before serving.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._server.serve(sockets=[self._socket]))
        logger.info("ops HTTP (/healthz /readyz /metrics) on port %d", self.port)

    async def stop(self) -> None:
        """Last to stop: probes answer (not ready) while the rest of the process shuts down."""
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, timeout=5)
        self._socket.close()

"""CPU-bound conversions in worker processes, so the event loop keeps acking and heartbeating.

A conversion that overruns its timeout cannot be cancelled inside a worker, so the pool is
replaced and its processes killed. Jobs of other documents caught in that deliberate restart are
retried (`ConverterInterruptedError`); a pool that broke on its own (a worker died, e.g. OOM-killed)
fails the documents that were in it (`ConverterCrashedError`) and is replaced too.
"""

import asyncio
import logging
import multiprocessing
import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from strata.conversion.errors import (
    ConversionTimeoutError,
    ConverterCrashedError,
    ConverterInterruptedError,
    OutOfMemoryError,
)
from strata.conversion.workerproc import init_worker

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ConverterPool:
    def __init__(
        self, *, processes: int, timeout_s: float, memory_mb: int = 0, warm: bool = False
    ) -> None:
        self.processes = processes
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.warm = warm
        self._executor: ProcessPoolExecutor | None = None
        # Executors we shut down on purpose: their other jobs are retried, not failed.
        self._killed: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()

    def _current(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the parent runs an event loop and library threads.
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=init_worker,
                initargs=(self.memory_mb, self.warm),
            )
        return self._executor

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        executor = self._current()
        future = asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        try:
            return await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            logger.warning("conversion overran %ss; restarting the converter pool", self.timeout_s)
            self._replace(executor, kill=True)
            raise ConversionTimeoutError(
                f"conversion timed out after {self.timeout_s:g}s"
            ) from None
        except MemoryError:
            # The worker's RLIMIT_AS refused an allocation; the worker itself lives on.
            raise OutOfMemoryError() from None
        except BrokenProcessPool:
            if executor in self._killed:
                raise ConverterInterruptedError() from None
            logger.error("a converter process died; replacing the pool")
            self._replace(executor, kill=False)
            raise ConverterCrashedError(
                "the converter process died while converting this document "
                "(a crash in a native library, or the memory limit); other documents carry on"
            ) from None

    def _replace(self, executor: ProcessPoolExecutor, *, kill: bool) -> None:
        if kill:
            self._killed.add(executor)
            _kill_workers(executor)
        executor.shutdown(wait=False, cancel_futures=True)
        if self._executor is executor:
            self._executor = None  # the next run starts a fresh pool

    async def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            _kill_workers(executor)
            executor.shutdown(wait=False, cancel_futures=True)


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop a running job before Python 3.14.
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.kill()

"""The process pool: results, per-document timeout, and recovery from a crashed worker."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from strata.conversion.errors import (
    ConversionTimeoutError,
    ConverterCrashedError,
    ConverterInterruptedError,
    OutOfMemoryError,
)
from strata.conversion.pool import ConverterPool
from tests.unit.conversion import jobs


@pytest.fixture
async def pool() -> AsyncIterator[ConverterPool]:
    pool = ConverterPool(processes=1, timeout_s=1.5)
    yield pool
    await pool.close()


async def test_runs_in_a_worker(pool: ConverterPool) -> None:
    assert await pool.run(jobs.double, 21) == 42


async def test_timeout_fails_the_document_and_the_pool_recovers(pool: ConverterPool) -> None:
    with pytest.raises(ConversionTimeoutError) as info:
        await pool.run(jobs.sleep_then, 30, 1)
    assert info.value.message == "conversion timed out after 1.5s"
    assert info.value.error_code == "conversion_timeout"
    # The stuck worker was killed: the next document does not wait behind it.
    assert await pool.run(jobs.sleep_then, 0, 7) == 7


async def test_crash_fails_the_document_and_the_pool_is_replaced(pool: ConverterPool) -> None:
    with pytest.raises(ConverterCrashedError):
        await pool.run(jobs.die)
    assert await pool.run(jobs.double, 2) == 4


async def test_converter_exceptions_propagate(pool: ConverterPool) -> None:
    with pytest.raises(ValueError, match="converter bug"):
        await pool.run(jobs.boom)
    assert await pool.run(jobs.double, 1) == 2


async def test_a_restart_for_one_timeout_retries_the_others() -> None:
    pool = ConverterPool(processes=2, timeout_s=1.5)
    try:
        stuck = asyncio.ensure_future(pool.run(jobs.sleep_then, 30, 1))
        await asyncio.sleep(0.5)
        bystander = asyncio.ensure_future(pool.run(jobs.sleep_then, 5, 2))
        results = await asyncio.gather(stuck, bystander, return_exceptions=True)
        assert isinstance(results[0], ConversionTimeoutError)
        assert isinstance(results[1], ConverterInterruptedError)
        assert results[1].retryable is True
    finally:
        await pool.close()


async def test_memory_limit_fails_the_document_and_the_worker_carries_on() -> None:
    pool = ConverterPool(processes=1, timeout_s=20, memory_mb=1024)
    try:
        with pytest.raises(OutOfMemoryError) as info:
            await pool.run(jobs.hog, 4 * 1024**3)
        assert info.value.error_code == "out_of_memory"
        assert await pool.run(jobs.hog, 1024) == 1024
    finally:
        await pool.close()


def test_a_warm_worker_freezes_its_heap_after_warm_up() -> None:
    """Issue 14: full collections must not re-scan docling's and torch's objects at every
    conversion (bench-formats overhead)."""
    import gc  # noqa: PLC0415

    from strata.conversion.workerproc import freeze_heap  # noqa: PLC0415

    try:
        freeze_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

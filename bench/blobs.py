"""`make bench-blobs`: a large blob streamed into the store and back out, on the local folder and
on an S3-speaking server (moto's, as a process: loopback figures, not a cloud's).

Throughput is MiB/s of the whole put (chunks from a generator, hashed, a multipart upload on S3)
and of the whole streamed get. Memory: the growth of this process's peak RSS over the run; the
blob never is in memory whole, so it stays near the parts in flight, far under the blob's size.

Last line: mib=<n> local_put_mib_s=<n> local_get_mib_s=<n> s3_put_mib_s=<n> s3_get_mib_s=<n>
peak_rss_growth_mib=<n>
"""

import argparse
import asyncio
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from harness import log
from tests.support.s3 import moto_server

from strata.runtime.blobs import BlobConfig, ObjectBlobStore, open_blob_store

MIB = 1024 * 1024


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _chunks(mib: int) -> AsyncIterator[bytes]:
    block = bytes(range(256)) * (MIB // 256)
    for _ in range(mib):
        yield block


async def _measure(blobs: ObjectBlobStore, mib: int) -> tuple[float, float]:
    started = time.perf_counter()
    size, _ = await blobs.put_stream("bench/blob", _chunks(mib), max_bytes=(mib + 1) * MIB)
    put_s = time.perf_counter() - started
    started, got = time.perf_counter(), 0
    async for chunk in await blobs.open("bench/blob"):
        got += len(chunk)
    get_s = time.perf_counter() - started
    assert got == size == mib * MIB
    await blobs.delete("bench/blob")
    return mib / put_s, mib / get_s


async def main(mib: int) -> None:
    baseline = _peak_rss_mib()
    with tempfile.TemporaryDirectory(prefix="strata-bench-blobs-") as tmp:
        local = open_blob_store(BlobConfig(url=Path(tmp).as_uri()))
        local_put, local_get = await _measure(local, mib)
        log(f"local folder: put {local_put:.0f} MiB/s, get {local_get:.0f} MiB/s")
        with moto_server(Path(tmp) / "moto.log") as server:
            s3 = open_blob_store(server.config(server.new_bucket()))
            s3_put, s3_get = await _measure(s3, mib)
        log(f"S3 (moto): put {s3_put:.0f} MiB/s, get {s3_get:.0f} MiB/s")
    growth = _peak_rss_mib() - baseline
    print(
        f"mib={mib} local_put_mib_s={local_put:.0f} local_get_mib_s={local_get:.0f}"
        f" s3_put_mib_s={s3_put:.0f} s3_get_mib_s={s3_get:.0f}"
        f" peak_rss_growth_mib={growth:.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="size of the blob")
    asyncio.run(main(parser.parse_args().mib))

"""Functions the pool tests run in worker processes (importable by name in a spawned child)."""

import os
import time


def double(n: int) -> int:
    return n * 2


def sleep_then(seconds: float, value: int) -> int:
    time.sleep(seconds)
    return value


def die() -> None:
    os._exit(3)


def boom() -> None:
    raise ValueError("converter bug")


def hog(n_bytes: int) -> int:
    return len(bytearray(n_bytes))

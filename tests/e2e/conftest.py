"""One stack of real service processes for the e2e module, on its own database and vhost."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from strata.client import StrataClient
from tests.support.stack import Stack, fresh_stack


@pytest.fixture(scope="module")
def stack(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    extra_env = {"GATEWAY_MAX_UPLOAD_BYTES": str(256 * 1024)}
    with fresh_stack(pg_template, tmp_path_factory.mktemp("e2e"), extra_env=extra_env) as stack:
        yield stack


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StrataClient]:
    c = StrataClient(stack.gateway_url, stack.create_account("e2e-main"))
    yield c
    c.close()


@pytest.fixture(scope="module")
def examples() -> Path:
    return Path(__file__).resolve().parents[2] / "examples"

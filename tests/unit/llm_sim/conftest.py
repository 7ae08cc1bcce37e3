"""Shared fixtures for the llm-sim tests: an in-process simulator app per test."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Let `pytest tests/unit/llm_sim` work from a checkout where the tool is not installed.
_SRC = Path(__file__).resolve().parents[3] / "tools" / "llm-sim" / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

from fastapi.testclient import TestClient  # noqa: E402

from strata.llm_sim import Settings, create_app  # noqa: E402

TEST_KEY = "test-key"


@pytest.fixture
def make_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., TestClient]]:
    """Factory: make_client(**settings) -> TestClient sending x-api-key by default."""
    # A developer's LLMSIM_* environment must not change test outcomes.
    for name in [n for n in os.environ if n.upper().startswith("LLMSIM_")]:
        monkeypatch.delenv(name)
    clients: list[TestClient] = []

    def factory(**overrides: Any) -> TestClient:
        client = TestClient(create_app(Settings(**overrides)), headers={"x-api-key": TEST_KEY})
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()

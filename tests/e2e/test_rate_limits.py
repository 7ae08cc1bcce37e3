"""Issue 16, rate limits, end to end: the simulator limits the platform key's input tokens per
minute well below what the run needs, two worker processes share the key; the run completes,
every block settled once, counters exact, no attempt spent on a 429, and the workers' shared
mirror of the key's buckets holds the limits the simulator's headers reported."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import asyncpg
import httpx
import pytest

from strata.client import StrataClient, wait_for
from tests.support import infra
from tests.support.stack import BIN, Stack, fresh_stack

# Setup (a stack of every service), ~17 s of pacing and teardown: more than the default 120 s
# on a loaded machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# A full bucket; it refills at ~117 tokens/s. The run counts ~8,900 input tokens (15 calls of
# ~590), so the last ~2,000 wait for the refill: about 17 s of pacing.
INPUT_TOKENS_PER_MINUTE = 7_000


class PatientStack(Stack):
    """Waits longer for a process to answer: on a loaded machine a cold start can pass 30 s."""

    def _wait_http(self, name: str, url: str, timeout_s: float = 30) -> None:
        super()._wait_http(name, url, timeout_s=max(timeout_s, 120))


@pytest.fixture(scope="module")
def limited(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "LLMSIM_RATELIMIT_INPUT_TOKENS_PER_MINUTE": str(INPUT_TOKENS_PER_MINUTE),
        "LLMSIM_RATELIMIT_REQUESTS_PER_MINUTE": "600",
    }
    with fresh_stack(
        pg_template, tmp_path_factory.mktemp("ratelimit"), extra_env=env, stack_cls=PatientStack
    ) as stack:
        # A second worker process on the same key: the limit is shared, so must be the pacing.
        worker_env = {**stack.env, "WORKER_ID": "worker-rate-2", "WORKER_HTTP_PORT": "0"}
        with (stack.log_dir / "worker-rate-2.log").open("ab") as log:
            stack.procs["worker-rate-2"] = subprocess.Popen(
                [str(BIN / "strata-worker")], env=worker_env, stdout=log, stderr=subprocess.STDOUT
            )
        yield stack


def _document(path: Path, blocks: int) -> Path:
    lines = [
        f"Invoice INV-{i} from supplier {i % 7} is due within {10 + i % 50} days; the amount is "
        f"{1000 + 37 * i} EUR and the delivery deadline is {1 + i % 28} March.\n"
        for i in range(blocks)
    ]
    path.write_text("\n".join(lines))
    return path


async def _rows(dsn: str, sql: str, *args: object) -> list[dict]:
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


def test_a_run_under_a_tight_input_token_limit_completes_exactly(limited, tmp_path):
    client = StrataClient(limited.gateway_url, limited.create_account("rate", superuser=True))
    try:
        # small packs, each carrying the whole (uncached) prompt: many calls, so the run needs
        # more than a full bucket and the workers must pace (this stack is the module's own)
        client.request(
            "PATCH", "/v1/admin/policies", json={"batching_mode": "fixed", "fixed_pack_size": 4}
        )
        project = client.create_project("rate")
        doc = client.converted(
            client.upload(project["id"], _document(tmp_path / "inv.md", 60))["id"]
        )
        assert doc["status"] == "ready", doc
        schema = client.create_schema(
            project["id"], json.loads((EXAMPLES / "schema.json").read_text())
        )
        run = client.create_run(
            {
                "schema_id": schema["id"],
                "document_ids": [doc["id"]],
                "policy_overrides": {"prompt_caching_enabled": False},
            }
        )
        run = wait_for(
            lambda: client.run(run["id"]),
            lambda r: r["status"] == "complete",
            timeout_s=180,
            what="run complete under the rate limit",
        )
    finally:
        client.close()
    run_id = UUID(run["id"])
    overlays = infra.run(
        _rows(limited.database_url, "SELECT * FROM overlays WHERE run_id = $1", run_id)
    )
    calls = infra.run(
        _rows(limited.database_url, "SELECT * FROM llm_calls WHERE run_id = $1", run_id)
    )
    assert len(overlays) == run["total_blocks"] == 60
    assert all(o["status"] == "ai_complete" and o["attempt_count"] == 0 for o in overlays)
    assert run["completed_blocks"] == 60 and run["failed_blocks"] == 0
    answered = [c for c in calls if c["error_code"] is None]
    assert sum(len(c["block_uids"]) for c in answered) == 60  # each block answered once
    # paced, not refused: the estimates are exact here (no cache, the simulator's token rule)
    assert [c["error_code"] for c in calls if c["error_code"]] == []
    counted = sum(c["input_tokens"] + c["cache_creation_input_tokens"] for c in answered)
    assert counted > INPUT_TOKENS_PER_MINUTE  # more than a full bucket: pacing was needed
    stats = httpx.get(f"{limited.sim_url}/_sim/stats", timeout=5).json()["rate_limits"]
    assert stats["admitted"] >= len(answered)
    assert stats["rejected"] == 0
    [mirror] = infra.run(_rows(limited.database_url, "SELECT * FROM provider_rate_limits"))
    assert mirror["bucket"] == "platform:" + run["policy"]["model"]
    state = mirror["state"]
    levels = (json.loads(state) if isinstance(state, str) else state)["levels"]
    assert levels["input_tokens"][0] == INPUT_TOKENS_PER_MINUTE
    assert levels["requests"][0] == 600

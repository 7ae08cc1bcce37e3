"""A whole job driven by messages only, as an integration would: a plain `pika` client publishes
`ingest.requested` for files under an import root, waits for their `command.document-ready`,
publishes `run.requested` (a template with parameters, on the whole project, with a budget) and
follows `command.*` answers to the run's completion by its correlation id. No HTTP at all; the
operator's setup (account, project, built-in templates) is the database admin script's."""

import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pytest

from strata.contracts import routing
from tests.support.stack import Stack, fresh_stack

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def imports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("imports")
    for name in ("incident-review.md", "meeting-notes.txt"):
        shutil.copy(EXAMPLES / "documents" / name, root / name)
    (root / "minutes").mkdir()
    shutil.copy(EXAMPLES / "templates" / "meeting-actions.md", root / "minutes" / "ops.md")
    return root


@pytest.fixture(scope="module")
def stack(
    pg_template: str, tmp_path_factory: pytest.TempPathFactory, imports: Path
) -> Iterator[Stack]:
    env = {"GATEWAY_IMPORT_ROOTS": str(imports)}
    with fresh_stack(pg_template, tmp_path_factory.mktemp("cmd"), extra_env=env) as stack:
        stack.wait_ready()
        yield stack


def _admin(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strata.gateway.cli", "admin", *args],
        env=stack.env,
        check=True,
        capture_output=True,
        text=True,
    )


class Integration:
    """What an integration keeps: one channel, and a queue of its own bound to the answers."""

    def __init__(self, amqp_url: str) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()  # a command no queue took raises, never vanishes
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, routing.EXCHANGE, routing_key="command.#")
        self.answers: list[tuple[str, dict[str, Any]]] = []

    def publish(self, route: routing.Route, body: dict[str, Any]) -> None:
        self.channel.basic_publish(
            routing.EXCHANGE,
            route.routing_key,
            json.dumps(body).encode(),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
            mandatory=True,
        )

    def wait(self, key: str, correlation_id: str, timeout_s: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for seen, answer in self.answers:
                if answer["correlation_id"] != correlation_id:
                    continue
                if seen == key:
                    return answer
                if seen == "command.rejected":
                    raise AssertionError(f"{correlation_id} rejected: {answer}")
            method, _, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                self.connection.sleep(0.1)
            else:
                self.answers.append((method.routing_key, json.loads(body)))
        raise AssertionError(f"no {key} for {correlation_id} in {timeout_s}s: {self.answers}")

    def close(self) -> None:
        self.connection.close()


def test_an_integration_runs_a_whole_job_by_messages(stack: Stack, imports: Path) -> None:
    created = _admin(stack, "create-account", "integration")
    token = created.stdout.strip().splitlines()[-1]
    account_id = re.search(r"\(([0-9a-f-]{36})\)", created.stderr).group(1)
    project_id = _admin(stack, "create-project", account_id, "by message").stdout.strip()
    _admin(stack, "seed-templates")
    me = {"account_id": account_id, "credential": token}
    integration = Integration(stack.amqp_url)
    try:
        files = sorted(p for p in imports.rglob("*") if p.is_file())
        for path in files:
            integration.publish(
                routing.INGEST_REQUESTED,
                {
                    **me,
                    "project_id": project_id,
                    "source_uri": path.as_uri(),
                    "correlation_id": f"file:{path.name}",
                },
            )
        # A command without the account's credential is answered, and does nothing.
        integration.publish(
            routing.INGEST_REQUESTED,
            {
                "account_id": account_id,
                "credential": "strata_forged",
                "project_id": project_id,
                "source_uri": files[0].as_uri(),
                "correlation_id": "forged",
            },
        )
        ready = [integration.wait("command.document-ready", f"file:{p.name}") for p in files]
        assert all(r["block_count"] > 0 and r["project_id"] == project_id for r in ready)
        assert integration.wait("command.rejected", "forged")["code"] == "unauthorized"

        job = f"job-{uuid.uuid4()}"
        integration.publish(
            routing.RUN_REQUESTED,
            {
                **me,
                "correlation_id": job,
                "template": {
                    "slug": "meeting-actions",
                    "parameters": {"attendees": ["Maria", "Jonas"], "meeting": "ops reviews"},
                },
                "project_id": project_id,
                "budget_usd": "5",
            },
        )
        accepted = integration.wait("command.accepted", job)
        assert accepted["run_id"] and accepted["schema_id"]
        done = integration.wait("command.run-completed", job)
        assert done["run_id"] == accepted["run_id"] and done["status"] == "complete"
        counters = done["counters"]
        assert counters["total_blocks"] == sum(r["block_count"] for r in ready)
        assert counters["completed_blocks"] == counters["total_blocks"]
        assert counters["failed_blocks"] == 0
    finally:
        integration.close()

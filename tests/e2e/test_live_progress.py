"""Watch it happen, over real processes: the `strata` CLI does the whole job (login, upload,
webhooks, dry run, run, watch over SSE, status with the todo list, export); the run's event
stream resumes after any Last-Event-ID with nothing missed; every event reaches a webhook
receiver that verifies signatures with `standardwebhooks` and fails on purpose at first, once
per delivery id; a subscription that keeps failing is disabled with a reason."""

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strata.client import wait_for
from strata.crypto import MasterKey
from tests.support.stack import Stack, fresh_stack
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "STRATA_MASTER_KEY": MasterKey.generate().to_base64(),
        "STRATA_ALLOW_PRIVATE_TARGETS": "true",  # the receiver listens on 127.0.0.1
        "NOTIFY_RETRY_FIRST_DELAY_S": "0.3",
        "NOTIFY_RETRY_FACTOR": "1.5",
        "NOTIFY_RETRY_MAX_DELAY_S": "1",
        "NOTIFY_DISABLE_AFTER_S": "3",
        "NOTIFY_DELIVERY_POLL_S": "0.2",
        "GATEWAY_SSE_HEARTBEAT_S": "1",
    }
    with fresh_stack(pg_template, tmp_path_factory.mktemp("live"), extra_env=env) as stack:
        yield stack


def cli(stack: Stack, config: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {**stack.env, "STRATA_CONFIG": str(config)}
    env.pop("STRATA_GATEWAY_URL", None)
    env.pop("STRATA_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "strata.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if ok:
        assert done.returncode == 0, (args, done.returncode, done.stderr[-2000:])
    return done


def events_after(stack: Stack, token: str, run_id: str, last_id: int | None) -> list[dict]:
    headers = {"Authorization": f"Bearer {token}"}
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    seen = []
    with httpx.stream(
        "GET", f"{stack.gateway_url}/v1/runs/{run_id}/events", headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
    return seen


def test_the_cli_runs_the_job_while_sse_and_webhooks_report_every_event(
    live: Stack, examples: Path, tmp_path: Path
):
    receiver = Receiver()
    try:
        _journey(live, examples, tmp_path, receiver)
    finally:
        receiver.close()


def _journey(live: Stack, examples: Path, tmp_path: Path, receiver: Receiver) -> None:
    config = tmp_path / "cfg" / "config.json"
    token = cli(live, config, "admin", "create-account", "watcher").stdout.strip().splitlines()[-1]
    cli(live, config, "login", "--url", live.gateway_url, "--token", token)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600

    project = cli(live, config, "projects", "create", "live").stdout.strip()
    hook = json.loads(cli(live, config, "webhooks", "add", project, receiver.url, "--json").stdout)
    assert hook["secret"].startswith("whsec_")
    receiver.arm(hook["secret"], refuse_first=6)
    doomed = json.loads(
        cli(
            live, config, "webhooks", "add", project, f"{receiver.url}/always-fails",
            "--event", "document.converted", "--json",
        ).stdout
    )
    assert "secret" not in cli(live, config, "webhooks", "list", project, "--json").stdout

    uploaded = json.loads(
        cli(live, config, "upload", project, str(examples / "documents"), "--json").stdout
    )
    assert {d["status"] for d in uploaded} == {"ready"} and len(uploaded) == 3

    schema = str(examples / "schema.json")
    estimate = json.loads(
        cli(live, config, "run", project, "--schema", schema, "--dry-run", "--json").stdout
    )
    assert estimate["dry_run"] is True and estimate["blocks"] > 0
    run_id = cli(live, config, "run", project, "--schema", schema, "--budget", "5").stdout.strip()

    watched = cli(live, config, "watch", run_id, "--json")
    stream = [json.loads(line) for line in watched.stdout.splitlines()]
    assert stream[-1]["type"] == "run.completed"  # the run's stream ends after completion
    ids = [e["id"] for e in stream]
    assert ids == sorted(set(ids))
    assert {"run.progress", "run.stages", "run.completed"} <= {e["type"] for e in stream}
    last = stream[-1]["data"]
    assert last["counters"]["completed_blocks"] == estimate["blocks"]
    final = {s["name"]: s for s in last["stages"]}
    assert final["extract"]["status"] == "completed"
    progress = [e["data"] for e in stream if e["type"] == "run.progress"]
    assert any(p["cost_usd"] and float(p["cost_usd"]) > 0 for p in progress), progress

    # Resume after any event: exactly the events after it, ending with the completion.
    middle = ids[len(ids) // 2]
    assert [e["id"] for e in events_after(live, token, run_id, middle)] == [
        i for i in ids if i > middle
    ]

    status = json.loads(cli(live, config, "status", run_id, "--json").stdout)
    stages = {s["name"]: s for s in status["stages"]}
    assert [s["name"] for s in status["stages"]] == ["convert", "plan", "extract", "review", "export"]
    assert (stages["convert"]["done"], stages["convert"]["total"]) == (3, 3)
    assert stages["plan"]["status"] == "completed" and stages["plan"]["packs"] >= 1
    assert stages["extract"]["ended_at"] and stages["export"]["status"] == "pending"

    confirmed = json.loads(
        cli(live, config, "review", "bulk", run_id, "confirm", "--include-flagged", "--json").stdout
    )
    assert confirmed["changed"] == estimate["blocks"]
    counters = json.loads(cli(live, config, "review", "status", run_id, "--json").stdout)
    assert counters["confirmed"] == estimate["blocks"] and counters["reviewed"] is True

    out_file = tmp_path / "results.jsonl"
    exported = json.loads(
        cli(live, config, "export", run_id, "-o", str(out_file), "--json").stdout
    )
    assert len(out_file.read_text().splitlines()) == exported["row_count"] == estimate["blocks"]
    # The project's scope for the run's schema version, and the same version run by its id.
    scope = ["--project", project, "--schema", status["schema_id"]]
    project_file = tmp_path / "project" / "results.csv"
    by_project = json.loads(
        cli(live, config, "export", *scope, "--format", "csv", "-o", str(project_file),
            "--json").stdout
    )  # fmt: skip
    assert by_project["row_count"] == estimate["blocks"] and project_file.stat().st_size > 0
    again = json.loads(
        cli(live, config, "run", project, "--schema-id", status["schema_id"], "--dry-run",
            "--json").stdout
    )  # fmt: skip
    assert again["blocks"] == estimate["blocks"]
    wait_for(
        lambda: json.loads(cli(live, config, "status", run_id, "--json").stdout),
        lambda r: {s["name"]: s for s in r["stages"]}["export"]["status"] == "completed",
        timeout_s=30,
        what="the export stage completed",
    )

    # Polling sees the same log; the project's events include the documents and the export.
    polled = json.loads(cli(live, config, "events", "--project", project, "--json",
                            "--limit", "500").stdout)
    types = {e["type"] for e in polled}
    assert {"document.converted", "run.completed", "export.completed"} <= types

    # Webhooks: every event of the project, each delivery accepted exactly once, despite the
    # receiver refusing its first six requests.
    wait_for(
        lambda: json.loads(
            cli(live, config, "webhooks", "deliveries", hook["id"], "--status", "pending",
                "--json").stdout
        ),
        lambda pending: pending == [],
        timeout_s=60,
        what="every delivery settled",
    )
    deliveries = json.loads(
        cli(live, config, "webhooks", "deliveries", hook["id"], "--json").stdout
    )
    all_events = _all_events(live, token, project)
    assert {d["event_id"] for d in deliveries} == {e["id"] for e in all_events}
    assert all(d["status"] == "delivered" for d in deliveries)
    assert set(receiver.accepted) == {d["id"] for d in deliveries}
    assert set(receiver.accepted.values()) == {1}  # exactly once per delivery id
    assert receiver.bad_signatures == 0 and receiver.refused > 0
    retried = [d for d in deliveries if d["attempt_count"] > 1]
    assert retried and all(d["attempts"][0]["status_code"] == 503 for d in retried)
    assert {b["type"] for b in receiver.bodies.values()} == {e["type"] for e in all_events}

    # By hand: the same delivery again, under the same webhook-id.
    again = deliveries[0]
    cli(live, config, "webhooks", "redeliver", hook["id"], again["id"])
    wait_for(
        lambda: receiver.accepted[again["id"]],
        lambda n: n == 2,
        timeout_s=20,
        what="the redelivery",
    )

    # The receiver that always fails: disabled with a reason once it failed long enough.
    disabled = wait_for(
        lambda: json.loads(cli(live, config, "webhooks", "list", project, "--json").stdout),
        lambda rows: any(r["id"] == doomed["id"] and not r["enabled"] for r in rows),
        timeout_s=30,
        what="the failing subscription disabled",
    )
    reason = next(r for r in disabled if r["id"] == doomed["id"])["disabled_reason"]
    assert "HTTP 500" in reason

    # Errors: one line, a stable code, an exit code a script can test.
    missing = cli(live, config, "status", "00000000-0000-0000-0000-000000000000", ok=False)
    assert missing.returncode == 4 and missing.stderr.strip().count("\n") == 0
    assert "(not_found)" in missing.stderr


def _all_events(stack: Stack, token: str, project: str) -> list[dict]:
    response = httpx.get(
        f"{stack.gateway_url}/v1/events",
        params={"project_id": project, "limit": 500},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    return response.json()["items"]

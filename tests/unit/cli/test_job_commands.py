"""The CLI commands of the main job (templates, schemas, one-block review, run by schema id,
project export) against a fake gateway: the requests they send, what they print, exit codes."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from strata.cli import app as cli_app
from strata.cli.errors import Exit

Handler = Callable[[httpx.Request], httpx.Response]


class Gateway:
    """A fake gateway: every request the CLI sends (`seen`), answered by `respond`."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.respond: Handler = lambda _r: httpx.Response(200, json={})

    def routes(self, routes: dict[str, Any]) -> None:
        def respond(request: httpx.Request) -> httpx.Response:
            key = f"{request.method} {request.url.path}"
            if key not in routes:
                return httpx.Response(404, json={"error": {"code": "not_found", "message": key}})
            status, body = routes[key] if isinstance(routes[key], tuple) else (200, routes[key])
            return httpx.Response(status, json=body)

        self.respond = respond

    def sent(self, index: int = -1) -> Any:
        return json.loads(self.seen[index].content)


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Gateway:
    fake = Gateway()
    real = httpx.Client

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        fake.seen.append(request)
        return fake.respond(request)

    def client(**kwargs: Any) -> httpx.Client:
        return real(**kwargs, transport=httpx.MockTransport(handle))

    monkeypatch.setattr(httpx, "Client", client)
    monkeypatch.setenv("STRATA_GATEWAY_URL", "http://gw")
    monkeypatch.setenv("STRATA_TOKEN", "strata_t")
    return fake


def strata(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str):
    monkeypatch.setattr("sys.argv", ["strata", *args])
    with pytest.raises(SystemExit) as done:
        cli_app.main()
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out, captured.err


def test_templates_use_parses_params_as_json_else_text(gateway, capsys, monkeypatch):
    made = {"schema": {"id": "s1", "name": "actions", "version": 1}, "run": None}
    gateway.routes({"POST /v1/templates/meeting-actions/instantiate": (201, made)})
    code, out, _ = strata(
        capsys, monkeypatch, "templates", "use", "meeting-actions", "p1",
        "--param", 'attendees=["Maria","Jonas"]', "--param", "meeting=ops reviews",
        "--param", "limit=3", "--name", "actions", "--run-on", "d1",
        "--idempotency-key", "k1",
    )  # fmt: skip
    assert (code, out) == (0, "s1\n")
    sent = gateway.seen[-1]
    assert sent.headers["Idempotency-Key"] == "k1"
    assert gateway.sent() == {
        "project_id": "p1",
        "parameters": {"attendees": ["Maria", "Jonas"], "meeting": "ops reviews", "limit": 3},
        "name": "actions",
        "run": {"document_ids": ["d1"]},
    }
    code, _, err = strata(capsys, monkeypatch, "templates", "use", "x", "p1", "--param", "oops")
    assert code == Exit.USAGE
    assert err.strip() == "strata: error: --param 'oops': use key=value (invalid_param)"


def test_schemas_fields_then_save_round_trips_the_builder_spec(
    gateway, capsys, monkeypatch, tmp_path: Path
):
    spec = {"instructions": "Find actions.", "fields": [{"name": "owner", "type": "text"}]}
    saved = {"id": "s2", "name": "actions", "version": 2}
    gateway.routes(
        {
            "GET /v1/schemas/s1/versions/1/fields": {"builder": spec, "check": {}},
            "POST /v1/schemas/s1/versions": (201, saved),
        },
    )
    code, out, _ = strata(capsys, monkeypatch, "schemas", "fields", "s1", "1")
    assert code == 0
    assert json.loads(out) == spec
    edited = tmp_path / "builder.json"
    edited.write_text(json.dumps({**spec, "instructions": "Find actions. Null owner if none."}))
    code, out, _ = strata(
        capsys, monkeypatch, "schemas", "save", "s1", "--builder", str(edited),
        "--base-version", "1", "--idempotency-key", "k2", "--json",
    )  # fmt: skip
    assert (code, json.loads(out)) == (0, saved)
    assert gateway.seen[-1].headers["Idempotency-Key"] == "k2"
    assert gateway.sent()["base_version"] == 1
    assert gateway.sent()["builder"]["instructions"].endswith("if none.")
    code, _, err = strata(
        capsys, monkeypatch, "schemas", "save", "s1", "--builder", str(tmp_path / "none.json"),
        "--base-version", "1",
    )  # fmt: skip
    assert code == Exit.USAGE
    assert "invalid_builder_file" in err


def test_schemas_preview_asks_for_the_first_blocks(gateway, capsys, monkeypatch):
    shown = {"blocks": [{"block_index": 0}], "full_run_estimate": {"cost_usd": "0.01"}}
    gateway.routes({"POST /v1/schemas/s1/preview": shown})
    code, out, _ = strata(capsys, monkeypatch, "schemas", "preview", "s1", "d1", "--first", "5",
                          "--json")  # fmt: skip
    assert (code, json.loads(out)) == (0, shown)
    assert gateway.sent() == {"document_id": "d1", "first_blocks": 5}


def test_one_block_review_sends_its_revision_and_a_stale_one_exits_refused(
    gateway, capsys, monkeypatch
):
    path = "POST /v1/runs/r1/overlays/d1/3/review"
    gateway.routes({path: {"review_status": "edited", "revision": 2}})
    code, out, _ = strata(
        capsys, monkeypatch, "review", "edit", "r1", "d1", "3", "--revision", "1",
        "--values", '{"action": "Checked"}', "--json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["review_status"] == "edited"
    assert gateway.sent() == {"action": "edit", "revision": 1, "values": {"action": "Checked"}}
    stale = {"error": {"code": "stale_revision", "message": "the block changed"}}
    gateway.routes({path: (409, stale)})
    code, _, err = strata(
        capsys, monkeypatch, "review", "reject", "r1", "d1", "3", "--revision", "1",
        "--reason", "noise",
    )  # fmt: skip
    assert code == Exit.REFUSED
    assert err.strip() == "strata: error: the block changed (stale_revision)"
    assert gateway.sent() == {"action": "reject", "revision": 1, "reason": "noise"}
    code, _, _ = strata(capsys, monkeypatch, "review", "edit", "r1", "d1", "3", "--revision",
                        "1", "--values", "[1]")  # fmt: skip
    assert code == Exit.USAGE


def test_run_by_schema_id_and_exactly_one_schema(gateway, capsys, monkeypatch):
    created = {"id": "r1", "total_blocks": 44, "status": "planning"}
    gateway.routes({"POST /v1/runs": (201, created)})
    code, out, err = strata(capsys, monkeypatch, "run", "p1", "--schema-id", "s2",
                            "--document", "d1")  # fmt: skip
    assert (code, out) == (0, "r1\n")
    assert "run r1: 44 blocks, planning" in err  # answered at once, planned in the background
    sent = gateway.sent()
    assert (sent["schema_id"], sent["document_ids"], sent["dry_run"]) == ("s2", ["d1"], False)
    code, _, err = strata(capsys, monkeypatch, "run", "p1")
    assert code == Exit.USAGE
    assert "--schema-id" in err


def test_export_of_a_project_scope(gateway, capsys, monkeypatch, tmp_path: Path):
    job = {"id": "e1", "status": "ready", "row_count": 4}

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/exports/e1/download":
            return httpx.Response(200, content=b"a,b\n")
        return httpx.Response(202, json=job)

    gateway.respond = respond
    target = tmp_path / "deep" / "project.csv"
    code, out, _ = strata(
        capsys, monkeypatch, "export", "--project", "p1", "--schema", "s2", "--format", "csv",
        "-o", str(target), "--json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["bytes"] == 4
    assert target.read_bytes() == b"a,b\n"
    assert gateway.sent(0) == {"format": "csv", "content": "confirmed", "schema_id": "s2"}
    code, _, err = strata(capsys, monkeypatch, "export", "r1", "--project", "p1", "-o", "x")
    assert code == Exit.USAGE
    assert err.count("\n") == 1


def test_status_shows_a_run_still_planning(gateway, capsys, monkeypatch):
    run = {
        "id": "r1",
        "status": "planning",
        "status_reason": None,
        "completed_blocks": 10,
        "failed_blocks": 0,
        "total_blocks": 1000,
        "usage": {"cost_usd": "0.01"},
        "stages": [{"name": "plan", "status": "in_progress", "done": 400, "total": 1000}],
    }
    gateway.routes({"GET /v1/runs/r1": (200, run)})
    code, out, _ = strata(capsys, monkeypatch, "status", "r1")
    assert code == 0
    assert "run r1: planning (ok)" in out and "blocks 10+0 failed of 1000" in out
    assert "plan" in out and "400/1000 in_progress" in out

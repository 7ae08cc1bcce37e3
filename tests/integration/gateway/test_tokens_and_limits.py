"""Tokens (several per account, expiring, revoked at once), the admin CLI, per-account rate
limits shared by every gateway process, and the quota on active runs."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from tests.integration.gateway.conftest import Gateway, make_ready

pytestmark = pytest.mark.integration

SCHEMA = {"properties": {"amount": {"type": "number"}}}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _code(response) -> str:
    return response.json()["error"]["code"]


async def test_tokens_are_created_listed_and_revoked_at_once(gw: Gateway):
    auth = await gw.account()
    made = []
    for name in ("ci", "laptop"):
        response = await gw.client.post("/v1/tokens", json={"name": name}, headers=auth)
        assert response.status_code == 201, response.text
        made.append(response.json())
    ci, laptop = made
    assert ci["token"].startswith("strata_") and ci["hint"] == ci["token"][-4:]
    for token in (ci, laptop):
        assert (
            await gw.client.get("/v1/projects", headers=_bearer(token["token"]))
        ).status_code == 200
    listed = (await gw.client.get("/v1/tokens", headers=auth)).json()["items"]
    assert len(listed) == 3 and all("token" not in t for t in listed)
    assert next(t for t in listed if t["id"] == ci["id"])["last_used_at"] is not None

    assert (await gw.client.delete(f"/v1/tokens/{ci['id']}", headers=auth)).status_code == 204
    revoked = await gw.client.get("/v1/projects", headers=_bearer(ci["token"]))
    assert revoked.status_code == 401 and _code(revoked) == "unauthorized"
    assert (
        await gw.client.get("/v1/projects", headers=_bearer(laptop["token"]))
    ).status_code == 200
    # revoking twice is harmless; another account's token is not found
    assert (await gw.client.delete(f"/v1/tokens/{ci['id']}", headers=auth)).status_code == 204
    other = await gw.account("other")
    probe = await gw.client.delete(f"/v1/tokens/{laptop['id']}", headers=other)
    assert probe.status_code == 404 and _code(probe) == "not_found"
    assert (
        await gw.client.get("/v1/projects", headers=_bearer(laptop["token"]))
    ).status_code == 200


async def test_tokens_expire(gw: Gateway):
    auth = await gw.account()
    short = (await gw.client.post("/v1/tokens", json={"ttl_seconds": 60}, headers=auth)).json()
    expires = datetime.fromisoformat(short["expires_at"])
    assert timedelta(seconds=50) < expires - datetime.now(UTC) <= timedelta(seconds=61)
    assert (await gw.client.get("/v1/projects", headers=_bearer(short["token"]))).status_code == 200
    await gw.pool.execute(
        "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
        short["id"],
    )
    expired = await gw.client.get("/v1/projects", headers=_bearer(short["token"]))
    assert expired.status_code == 401
    for body in ({"ttl_seconds": 10}, {"ttl_seconds": 10**10}, {"expires_at": "2030-01-01"}):
        refused = await gw.client.post("/v1/tokens", json=body, headers=auth)
        assert refused.status_code == 422, (body, refused.text)


async def test_rate_limit_is_per_account_and_shared_by_processes(start_gateway):
    first = await start_gateway(rate_limit_per_minute=5)
    second = await start_gateway(rate_limit_per_minute=5)  # another process, same database
    auth, bystander = await first.account("noisy"), await first.account("quiet")
    statuses = []
    for i in range(6):
        gw = first if i % 2 == 0 else second
        statuses.append((await gw.client.get("/v1/projects", headers=auth)).status_code)
    assert statuses == [200] * 5 + [429]
    limited = await second.client.get("/v1/projects", headers=auth)
    assert _code(limited) == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert (await first.client.get("/v1/projects", headers=bystander)).status_code == 200


async def test_active_runs_have_a_quota(start_gateway):
    gw = await start_gateway(max_active_runs=1)
    auth = await gw.account()
    pid = (await gw.client.post("/v1/projects", json={"name": "p"}, headers=auth)).json()["id"]
    files = {"file": ("a.md", b"# a", "text/markdown")}
    doc = (await gw.client.post(f"/v1/projects/{pid}/documents", files=files, headers=auth)).json()
    await make_ready(gw.pool, doc["id"], [0])
    body = {"name": "s", "definition": SCHEMA}
    sid = (await gw.client.post(f"/v1/projects/{pid}/schemas", json=body, headers=auth)).json()[
        "id"
    ]
    run_body = {"schema_id": sid, "document_ids": [doc["id"]]}
    first = await gw.client.post("/v1/runs", json=run_body, headers=auth)
    assert first.status_code == 201, first.text
    second = await gw.client.post("/v1/runs", json=run_body, headers=auth)
    assert second.status_code == 409 and _code(second) == "too_many_active_runs"
    dry = await gw.client.post("/v1/runs", json={**run_body, "dry_run": True}, headers=auth)
    assert dry.status_code == 200  # an estimate is not a run
    await gw.client.post(f"/v1/runs/{first.json()['id']}/cancel", headers=auth)
    third = await gw.client.post("/v1/runs", json=run_body, headers=auth)
    assert third.status_code == 201, third.text


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STRATA_DATABASE_URL": database_url}
    cli = Path(sys.executable).with_name("strata")
    return subprocess.run(
        [str(cli), "admin", *args], check=False, env=env, capture_output=True, text=True, timeout=60
    )


async def test_cli_lists_accounts_and_revokes_tokens(gw: Gateway, database_url: str):
    auth = await gw.account("ops-target")
    accounts = _cli(database_url, "list-accounts")
    assert accounts.returncode == 0, accounts.stderr
    header, *rows = accounts.stdout.strip().splitlines()
    assert header.split("\t")[:2] == ["id", "name"]
    account_id = next(r.split("\t")[0] for r in rows if r.split("\t")[1] == "ops-target")
    tokens = _cli(database_url, "list-tokens", account_id)
    token_id = tokens.stdout.strip().splitlines()[1].split("\t")[0]
    assert "strata_" not in tokens.stdout  # never the secret
    revoked = _cli(database_url, "revoke-token", token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert (await gw.client.get("/v1/projects", headers=auth)).status_code == 401
    assert _cli(database_url, "revoke-token", str(uuid4())).returncode == 1

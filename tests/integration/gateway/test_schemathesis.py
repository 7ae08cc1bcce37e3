"""Schemathesis against a real gateway process: every operation of the OpenAPI document, all
default checks (no server error, status codes, content types, response headers and bodies
as documented, negative data rejected, unsupported methods 405 with `Allow`, auth enforced, …),
a fixed seed and bounded examples, as an authenticated account.

A process, not the in-process app: schemathesis drives it over real HTTP exactly as an
integrator would (its ASGI transport runs the app on another event loop, which the asyncpg
pool of the in-process app cannot share)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from strata.crypto import MasterKey
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
SEED = 20260901
MAX_EXAMPLES = 8
CONFIG = Path(__file__).with_name("schemathesis.toml")


def _wait(url: str, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"the gateway exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the gateway did not start:\n{log.read_text()[-3000:]}")


@pytest.mark.timeout(300)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    database_url: str, amqp_url: str, blob_root: Path, tmp_path: Path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "STRATA_DATABASE_URL": database_url,
        "STRATA_AMQP_URL": amqp_url,
        "STRATA_BLOB_ROOT": str(blob_root),
        "GATEWAY_PORT": str(port),
        # Thousands of requests from one account: the limit is tested elsewhere.
        "GATEWAY_RATE_LIMIT_PER_MINUTE": "0",
        "STRATA_LOG_LEVEL": "WARNING",
        # Provider keys work (no 503), and validating one meets a closed port at once (502).
        "STRATA_MASTER_KEY": MasterKey.generate().to_base64(),
        "GATEWAY_ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
    }
    log = tmp_path / "gateway.log"
    with log.open("w") as out:
        gateway = subprocess.Popen(
            [str(BIN / "strata-gateway")], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait(url, gateway, log)
        token = (
            subprocess.run(
                [str(BIN / "strata"), "admin", "create-account", "fuzz"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        done = subprocess.run(
            [
                str(BIN / "schemathesis"),
                "--config-file",
                str(CONFIG),
                "run",
                f"{url}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--seed",
                str(SEED),
                "--max-examples",
                str(MAX_EXAMPLES),
                "--generation-deterministic",
                "--workers",
                "1",
                "--request-timeout",
                "10",
                "--continue-on-failure",
                "--suppress-health-check",
                "all",
                # Text is UTF-8 without NUL: refusing NUL and lone surrogates (422) is tested in
                # test_no_500.py; here they would only hide everything else behind that 422.
                "--generation-allow-x00",
                "false",
                "--generation-codec",
                "utf-8",
                # Revoking the fuzzer's own token would turn every later request into a 401;
                # revocation is tested in test_tokens_and_limits.py.
                "--exclude-name",
                "DELETE /v1/tokens/{token_id}",
                # The SSE streams follow the event log until the client leaves: a fuzzer that
                # waits for a whole response would wait for ever. Their ids, headers and 404s are
                # tested in tests/e2e/test_live_progress.py and the cross-account probes.
                "--exclude-path-regex",
                "^/v1/(runs/\\{run_id\\}|projects/\\{project_id\\})/events$",
                "--no-color",
            ],
            env={**env, "SCHEMATHESIS_HOOKS": ""},
            capture_output=True,
            text=True,
            timeout=280,
            cwd=tmp_path,
            check=False,
        )
    finally:
        gateway.terminate()
        gateway.wait(timeout=20)
    (tmp_path / "schemathesis.txt").write_text(done.stdout)
    report = done.stdout[-12000:]
    server_errors = [line for line in log.read_text().splitlines() if "ERROR" in line]
    assert done.returncode == 0, f"{report}\n{done.stderr[-3000:]}\n{server_errors[:20]}"
    assert not server_errors, server_errors[:20]

"""Every Strata service as a real process, plus the simulator, on a fresh database and vhost."""

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import infra
from tests.support.net import free_port

BIN = Path(sys.executable).parent
SERVICES = ("ingest", "conversion", "worker", "rollup", "export", "notify")


def service_command(name: str) -> list[str]:
    """The service's console script, or its module where the script is not installed yet (a
    package added since the virtualenv was made)."""
    script = BIN / f"strata-{name}"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", f"strata.{name.replace('-', '_')}.main"]



@dataclass
class Stack:
    database_url: str
    amqp_url: str
    blob_root: Path
    log_dir: Path
    gateway_url: str = ""
    sim_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    # Where each process serves /healthz, /readyz and /metrics (the gateway: its API port).
    ops_urls: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(
        self, *, extra_env: dict[str, str] | None = None, unset_env: tuple[str, ...] = ()
    ) -> None:
        gateway_port, sim_port = free_port(), free_port()
        self.gateway_url = f"http://127.0.0.1:{gateway_port}"
        self.sim_url = f"http://127.0.0.1:{sim_port}"
        ops_ports = {name: free_port() for name in SERVICES}
        self.ops_urls = {name: f"http://127.0.0.1:{port}" for name, port in ops_ports.items()}
        self.ops_urls["gateway"] = self.gateway_url
        self.env = {
            **os.environ,
            "STRATA_DATABASE_URL": self.database_url,
            "STRATA_AMQP_URL": self.amqp_url,
            "STRATA_BLOB_ROOT": str(self.blob_root),
            "STRATA_OUTBOX_RELAY_AFTER_S": "2",
            "GATEWAY_PORT": str(gateway_port),
            "LLMSIM_PORT": str(sim_port),
            "WORKER_ANTHROPIC_API_KEY": "sim-key",
            "WORKER_ANTHROPIC_BASE_URL": self.sim_url,
            # user keys may point at this stack's simulator, and only there on this machine
            "STRATA_ALLOWED_PRIVATE_HOSTS": f"127.0.0.1:{sim_port}",
            "ROLLUP_SWEEP_INTERVAL_S": "1",
            "HF_HUB_OFFLINE": "1",
            **{f"{name.upper()}_HTTP_PORT": str(port) for name, port in ops_ports.items()},
            **(extra_env or {}),
        }
        for key in unset_env:  # e.g. no platform key, however the caller's shell is set up
            self.env.pop(key, None)
        self._spawn("llm-sim", [str(BIN / "strata-llm-sim"), "--port", str(sim_port)])
        self._wait_http("llm-sim", f"{self.sim_url}/health")
        for name in SERVICES:
            self._spawn(name, service_command(name))
        self._spawn("gateway", [str(BIN / "strata-gateway")])
        # A loaded machine (eight suites on two cores) can take well over 30 s to import it all.
        self._wait_http("gateway", f"{self.gateway_url}/healthz", timeout_s=120)

    def wait_ready(self, timeout_s: float = 60) -> None:
        """Every service answers /readyz: database, broker and its consumers attached."""
        for name, url in self.ops_urls.items():
            self._wait_http(name, f"{url}/readyz", timeout_s=timeout_s)

    def _spawn(self, name: str, cmd: list[str]) -> None:
        with (self.log_dir / f"{name}.log").open("ab") as log:  # the child keeps its own fd
            self.procs[name] = subprocess.Popen(
                cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def _wait_http(self, name: str, url: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited: {self.log(name)[-3000:]}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer at {url}: {self.log(name)[-3000:]}")

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.procs.items()}

    def create_account(self, name: str, *, superuser: bool = False) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "strata.cli", "admin", "create-account", name]
            + (["--superuser"] if superuser else []),
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def fresh_stack(
    template: str,
    root: Path,
    *,
    extra_env: dict[str, str] | None = None,
    unset_env: tuple[str, ...] = (),
    stack_cls: type[Stack] = Stack,
) -> Iterator[Stack]:
    """A started stack on a database cloned from `template` and a vhost of its own; everything
    is stopped and dropped on exit."""
    database = infra.run(infra.clone_database(template))
    vhost, amqp_url = infra.create_vhost()
    (root / "logs").mkdir(parents=True, exist_ok=True)
    stack = stack_cls(infra.dsn_for(database), amqp_url, root / "blobs", root / "logs")
    try:
        stack.start(extra_env=extra_env, unset_env=unset_env)
        yield stack
    finally:
        stack.stop()
        infra.delete_vhost(vhost)
        infra.run(infra.drop_database(database))

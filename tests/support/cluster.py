"""A private RabbitMQ node and a private Postgres cluster, for tests that break infrastructure.

Chaos tests stop, kill and restart their broker and database; they must never touch the
machine's shared RabbitMQ (5672) or Postgres (5432). `private_rabbit()` starts its own node
(`chaos-<id>@localhost`, its own AMQP and distribution ports, mnesia, logs and config in a temp
dir, no plugins) and `private_postgres()` its own cluster (`initdb` into a temp dir, its own port
and socket dir). Both run as their usual OS users (`rabbitmq`, `postgres`) so the node shares the
Erlang cookie of the machine's node; both are context managers that always tear down and delete
their directory, also when the body raised.
"""

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiormq
import asyncpg

from tests.support.net import free_port

RABBIT_BIN = Path(os.environ.get("STRATA_CHAOS_RABBIT_BIN", "/usr/lib/rabbitmq/bin"))
PG_BIN = Path(os.environ.get("STRATA_CHAOS_PG_BIN", "/usr/lib/postgresql/15/bin"))



def _user(name: str) -> pwd.struct_passwd:
    return pwd.getpwnam(name)


def _chown_tree(path: Path, user: str) -> None:
    entry = _user(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def _scratch_dir(prefix: str) -> Path:
    # /tmp/<prefix>… readable by the service users (pytest's tmp dirs are root-only).
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


def _as_user(user: str) -> dict:
    """Popen kwargs that run a child as `user` (we are root on test machines)."""
    if os.geteuid() != 0:
        return {}
    return {"user": user, "group": _user(user).pw_gid}


# --------------------------------------------------------------------------------- RabbitMQ


@dataclass
class RabbitNode:
    root: Path
    name: str = field(default_factory=lambda: f"chaos-{uuid.uuid4().hex[:8]}@localhost")
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def url_for(self, vhost: str) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost}"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    def _env(self) -> dict[str, str]:
        home = _user("rabbitmq").pw_dir if os.geteuid() == 0 else os.environ.get("HOME", "/")
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,  # the machine's Erlang cookie lives there
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.log_dir),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.root / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.root / "node.pid"),
            "RABBITMQ_ENABLED_PLUGINS": "",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def prepare(self) -> None:
        for sub in ("mnesia", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            "log.file.level = info\n"
            "log.console = false\n"
            # a test machine's disk may be small; the default 50 MB alarm is fine
        )
        (self.root / "advanced.config").write_text("[].\n")
        (self.root / "rabbitmq-env.conf").write_text("")
        (self.root / "enabled_plugins").write_text("[].\n")
        _chown_tree(self.root, "rabbitmq")

    def start(self, *, timeout_s: float = 90) -> None:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        with (self.log_dir / "stdout.log").open("ab") as out:
            self.proc = subprocess.Popen(
                [str(RABBIT_BIN / "rabbitmq-server")],
                env=self._env(),
                cwd=self.root,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: we stop the whole tree
                **_as_user("rabbitmq"),
            )
        self.starts += 1
        self.wait_ready(timeout_s=timeout_s)

    def wait_ready(self, *, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {self.tail()}")
            if asyncio.run(_amqp_ok(self.url, self.port)):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not accept AMQP within {timeout_s}s: {self.tail()}")

    def stop(self, *, timeout_s: float = 60) -> None:
        """Graceful stop (SIGTERM: RabbitMQ shuts down cleanly); the data stays for a restart."""
        self._signal(signal.SIGTERM, timeout_s=timeout_s)

    def kill(self) -> None:
        """SIGKILL the node (unclean: quorum queues recover from their logs at next start)."""
        self._signal(signal.SIGKILL, timeout_s=30)

    def restart(self, *, down_s: float = 3.0, hard: bool = False) -> None:
        self.kill() if hard else self.stop()
        time.sleep(down_s)
        self.start()

    def ctl(self, *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-q", "-n", self.name, *args],
            env=self._env(),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=True,
            **_as_user("rabbitmq"),
        )

    def add_vhost(self, vhost: str) -> str:
        self.ctl("add_vhost", vhost)
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        return self.url_for(vhost)

    def delete_vhost(self, vhost: str) -> None:
        with contextlib.suppress(Exception):
            self.ctl("delete_vhost", vhost)

    def _signal(self, sig: signal.Signals, *, timeout_s: float) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        # beam may leave children (erl_child_setup, inet_gethost) in the group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def tail(self, chars: int = 3000) -> str:
        texts = []
        for path in sorted(self.log_dir.glob("*.log")):
            texts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(texts)


async def _amqp_ok(url: str, port: int) -> bool:
    with socket.socket() as s:  # cheap check first: aiormq logs every refused connect
        s.settimeout(1)
        if s.connect_ex(("127.0.0.1", port)) != 0:
            return False
    try:
        conn = await asyncio.wait_for(aiormq.connect(url), timeout=3)
    except Exception:
        return False
    with contextlib.suppress(Exception):
        await conn.close()
    return True


@contextlib.contextmanager
def private_rabbit(*, keep_logs_in: Path | None = None) -> Iterator[RabbitNode]:
    node = RabbitNode(_scratch_dir("strata-chaos-rmq-"))
    try:
        node.prepare()
        node.start()
        yield node
    finally:
        try:
            node.stop(timeout_s=30)
        finally:
            if keep_logs_in is not None and node.log_dir.exists():
                shutil.copytree(node.log_dir, keep_logs_in / "rabbitmq", dirs_exist_ok=True)
            shutil.rmtree(node.root, ignore_errors=True)


# --------------------------------------------------------------------------------- Postgres


@dataclass
class PgCluster:
    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *cmd: str, timeout_s: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(cmd),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
            **_as_user("postgres"),
        )

    def init(self) -> None:
        self.data.mkdir(mode=0o700)
        _chown_tree(self.root, "postgres")
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=300 -c shared_buffers=64MB"
        )

    def start(self) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            self._options(),
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, *, mode: str = "immediate", down_s: float = 0.0) -> None:
        """`immediate` is a crash: no checkpoint, every connection cut, recovery at start."""
        self.stop(mode)
        time.sleep(down_s)
        self.start()

    def running(self) -> bool:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status")
            return True
        except subprocess.CalledProcessError:
            return False

    async def terminate_connections(self, database: str) -> int:
        """pg_terminate_backend every other session of `database`; returns how many."""
        conn = await asyncpg.connect(self.dsn())
        try:
            return await conn.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
        finally:
            await conn.close()

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.dsn(name)

    async def drop_database(self, name: str) -> None:
        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    def tail(self, chars: int = 3000) -> str:
        return self.logfile.read_text(errors="replace")[-chars:] if self.logfile.exists() else ""

    @contextlib.contextmanager
    def starting_up(self) -> Iterator[None]:
        """Stop the cluster and, on its port, answer every connection the way Postgres does
        while it recovers after a crash (or while it shuts down): `FATAL 57P03 the database
        system is starting up`. A long crash recovery, on demand and deterministic. The real
        cluster starts again when the block exits."""
        self.stop("immediate")
        server = _StartingUpServer(self.port)
        try:
            server.start()
            yield
        finally:
            server.stop()
            self.start()


class _StartingUpServer:
    """Just enough of the Postgres wire protocol: refuse SSL, answer the startup message with
    an ErrorResponse carrying SQLSTATE 57P03 (asyncpg raises CannotConnectNowError)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> None:
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            with client, contextlib.suppress(OSError):
                client.settimeout(2)
                while True:
                    header = _recv_exact(client, 8)
                    length, code = struct.unpack("!ii", header)
                    _recv_exact(client, length - 8)
                    if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest
                        client.sendall(b"N")
                        continue
                    fields = (
                        b"".join(
                            tag + text.encode() + b"\0"
                            for tag, text in (
                                (b"S", "FATAL"),
                                (b"V", "FATAL"),
                                (b"C", "57P03"),
                                (b"M", "the database system is starting up"),
                            )
                        )
                        + b"\0"
                    )
                    client.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
                    break


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("peer closed")
        data += chunk
    return data


@contextlib.contextmanager
def private_postgres(*, keep_logs_in: Path | None = None) -> Iterator[PgCluster]:
    cluster = PgCluster(_scratch_dir("strata-chaos-pg-"))
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        try:
            if cluster.running():
                cluster.stop("immediate")
        finally:
            if keep_logs_in is not None and cluster.logfile.exists():
                shutil.copy(cluster.logfile, keep_logs_in / "postgres.log")
            shutil.rmtree(cluster.root, ignore_errors=True)


@dataclass
class PrivateCluster:
    rabbit: RabbitNode
    pg: PgCluster


@contextlib.contextmanager
def private_cluster(*, keep_logs_in: Path | None = None) -> Iterator[PrivateCluster]:
    with (
        private_postgres(keep_logs_in=keep_logs_in) as pg,
        private_rabbit(keep_logs_in=keep_logs_in) as rabbit,
    ):
        yield PrivateCluster(rabbit, pg)

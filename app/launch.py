"""`python -m app` in a subprocess on 127.0.0.1, ready when `start()` returns.

The benchmark scripts and the test harnesses all start the server this one way: as deployed
(the console entry point), from another directory (so nothing may depend on the CWD), on a
free port, with its output in a log file that readiness failures quote.
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

BENCH_EXTRA = "pip install 'nn-playground-server[bench]'"
# How long `start()` waits for /healthz: a safety net only, since it returns as soon as the
# server answers and fails at once if the process exits. Starting takes about 1 s of CPU
# (the imports), but on a shared 2-core machine at load 17 that was 16-20 s of wall time.
READY_SECONDS = 120.0


def bench_import(module: str, purpose: str) -> Any:
    """A module of the `bench` extra, or exit with one line: `purpose`, and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SystemExit(f"{purpose}, which is not installed: {BENCH_EXTRA}") from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terminate(process: subprocess.Popen[bytes] | None, seconds: float = 10) -> None:
    """SIGTERM a running child and wait for it; SIGKILL if it outlives `seconds`."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(seconds)


class ServerProcess:
    """One server process; `start()` again after `stop()` reuses the same port."""

    def __init__(
        self,
        log_path: Path,
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        timeout: float = READY_SECONDS,
    ) -> None:
        self.log_path = log_path
        self.args = list(args)
        self.env = dict(os.environ if env is None else env)
        self.port = port or free_port()
        self.timeout = timeout
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        command = [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, *self.args],
                cwd=tempfile.gettempdir(),
                env={**self.env, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"server not ready after {self.timeout} s:\n{self.log()}"
                    ) from None
                time.sleep(0.05)

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Graceful stop (SIGTERM: the app's shutdown runs, as on a deploy)."""
        terminate(self.process)

    def kill(self) -> None:
        """A crash: no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

"""A real `redis-server` (Debian's) for the tests: on a free loopback port, in a temporary
directory, stopped at teardown. `stop()` then `start()` again keeps the port, so a test can
take Redis away and bring it back (an outage) while servers keep their configured URL.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from app.launch import free_port, terminate

EXECUTABLE = "redis-server"


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None, persist: bool = False) -> None:
        self.directory = directory
        self.persist = persist  # an append-only file, as docs/deploy.md asks for in production
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> RedisServer:
        path = shutil.which(EXECUTABLE)
        if path is None:  # the README's test command installs it; never skip silently
            raise RuntimeError(f"{EXECUTABLE} is not installed: apt-get install -y redis-server")
        args = [path, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        args += ["--save", "", "--protected-mode", "yes"]
        args += (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.persist
            else ["--appendonly", "no"]
        )
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start:\n{self.log()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        terminate(self.process)
        self.process = None

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def started_redis() -> tuple[RedisServer, tempfile.TemporaryDirectory]:
    directory = tempfile.TemporaryDirectory(prefix="playground-redis-")
    return RedisServer(Path(directory.name)).start(), directory

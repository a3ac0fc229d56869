"""Even load across `--workers N`: a worker ahead of the others stops accepting for a while.

uvicorn's workers share one listening socket and the kernel hands each new connection to
whichever worker asks first, which left 59 of 100 clients on one worker and 41 on the
other. Here every worker writes how many sessions and room followers it serves to a file
of its own in a runtime directory (named in BALANCE_DIR_ENV: the operator's, or one
`app/__main__.py` makes per server) and reads the others' every PERIOD. A worker that
serves more than SLACK sessions above the least loaded one takes its listening sockets off
its event loop (`Gate`), so the kernel gives new connections to the others; it takes them
back as soon as it is no longer ahead. The least loaded worker always accepts, so the
server never stops accepting. Each worker also accepts one connection per wake-up instead
of a backlog's worth, so a burst of connections is shared too.

A look every PERIOD is too slow for a burst: 200 clients opening at once were split 80/120,
74/126 and 91/109 (a loaded machine), a worker taking dozens between two looks. So the gate
also counts the connections it accepts, and when they use up the worker's room (`room`:
the least loaded other one's load plus SLACK, or plus SHARE_SLACK of it past 20, so that a
burst goes in several per look) it publishes its load at once for the others, and closes
unless their loads, read again, leave it room (`Gate.look_again`). A worker's load counts
each connection from its accept (`Gate.pending`) until its sessions grow by one, or
PENDING_SECONDS at most (a page's HTTP request: uvicorn keeps an idle one open as long): a
busy worker makes a session long after it accepted its connection, and counting sessions
alone left both workers waiting for each other's. While connections come in or the gate
is closed the looks come BURST_PERIOD apart, so a worker that closed on what it saw last
(the least loaded one too, perhaps) reopens within that. Measured (one run each, loaded
machine): 200 connections at once to idle sessions, 100/100, 100/100, 102/98 in 1.3-2.5 s
(a look per PERIOD alone: 74/126 in 1.8 s); `python -m app.bench --clients 200 --workers 2`
at load 7-9, 100/100 and 99/101 (main's gate: 91/109, 115/85, 87/113), but the last client
was in after 4-5 s instead of 2-3 s: while the workers are busy their looks are far apart.

Right after a start the workers come up one by one (on a loaded machine the second was seen
50 s after the first answered), and connections made meanwhile stayed on the first worker
for their whole life. So a worker counts the workers it expects (`--workers`) that have not
published yet as serving nothing: it takes SLACK + 1 connections, then leaves the rest
queued in the kernel for the late ones. It stops waiting for them after STARTUP_SECONDS
(a worker that never comes would otherwise hold the clients back for good; 5 s keeps a
queued client's wait well inside a websocket client's usual 10 s opening timeout).

The gate works on the standard library's selector event loop (the only loop uvicorn
uses without uvloop, which this project does not install; app/__main__.py asks for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from asyncio import selector_events
from collections.abc import Callable
from pathlib import Path
from typing import Any

BALANCE_DIR_ENV = "PLAYGROUND_BALANCE_DIR"
PERIOD = 0.05  # seconds between looks at the other workers' counts
BURST_PERIOD = 0.01  # ... while connections come in or this worker does not accept
PENDING_SECONDS = 5.0  # an accepted connection that is no session yet counts this long at most
STALE_SECONDS = 2.0  # a file not refreshed for this long is a worker that has gone
SLACK = 1  # sessions a worker may be ahead of the least loaded one and still accept
SHARE_SLACK = 0.05  # ... or this part of the least loaded one's sessions, if more
STARTUP_SECONDS = 5.0  # how long a worker counts expected workers that have not published
ACCEPT = selector_events.BaseSelectorEventLoop._accept_connection
BACKLOG_ARG = 4  # the position of `backlog` in _accept_connection's arguments


class Gate:
    """This worker's listening sockets: accepting or not, one connection per wake-up."""

    def __init__(self, loop: asyncio.AbstractEventLoop, directory: Path | None = None) -> None:
        self.loop = loop
        self.directory = directory  # where this worker publishes its load
        self.paused: dict[int, tuple[Any, ...]] = {}  # fd: the accept callback's arguments
        self.pending: list[float] = []  # accept times of connections that are no session yet
        self.taken = 0  # connections accepted since the last look
        self.room = math.inf  # how many this worker may take after the last look (`room`)
        self.sessions = 0  # the worker's count at the last look
        self.missing = 0  # workers not up yet, counted as serving none (`with_missing`)

    def listeners(self) -> dict[int, tuple[Any, ...]]:
        """The listening sockets the loop accepts on, with their accept arguments."""
        selector = getattr(self.loop, "_selector", None)
        if selector is None:
            return {}
        found = {}
        for key in selector.get_map().values():
            reader = key.data[0]
            callback = getattr(reader, "_callback", None)
            if getattr(callback, "__func__", None) is ACCEPT:
                found[key.fd] = reader._args
        return found

    def one_at_a_time(self) -> bool:
        """Accept one connection per wake-up, so that a burst is shared between workers,
        each one counted (`pending`) as its protocol is made. False while there is no
        listening socket (uvicorn opens it after the app's startup)."""
        listeners = self.listeners()
        for fd, args in listeners.items():
            if len(args) > BACKLOG_ARG and args[BACKLOG_ARG] != 1:
                self.loop.remove_reader(fd)
                factory = self.counted(args[0])
                args = (factory, *args[1:BACKLOG_ARG], 1, *args[BACKLOG_ARG + 1 :])
                self.loop.add_reader(fd, self.loop._accept_connection, *args)  # type: ignore[attr-defined]
        return bool(listeners or self.paused)

    def counted(self, factory: Callable[[], Any]) -> Callable[[], Any]:
        """The listener's protocol `factory`, noting each connection it is called for."""

        def make() -> Any:
            self.taken += 1
            self.pending.append(time.monotonic())
            if self.taken >= self.room and not self.paused:
                self.look_again()
            return factory()

        return make

    def look_again(self) -> None:
        """Its room used up: publish the load now (the others see it at their next look)
        and look at theirs again, closing only if still ahead (the others' loads may have
        been published since the last look)."""
        if self.directory is not None:
            mine = self.sessions + len(self.pending)
            publish(self.directory, mine)
            theirs = others(self.directory, time.time()) + [0] * self.missing
            self.taken, self.room = 0, room(mine, theirs)
        if self.taken >= self.room:
            self.set_accepting(False)

    def load(self, sessions: int) -> int:
        """The worker's load: its `sessions` (its count now), and the connections accepted
        that are not among them yet."""
        grown = max(0, sessions - self.sessions)
        self.sessions = sessions
        since = time.monotonic() - PENDING_SECONDS
        self.pending = [t for t in self.pending[grown:] if t >= since]
        return sessions + len(self.pending)

    def set_accepting(self, accepting: bool) -> None:
        if accepting:
            for fd, args in self.paused.items():
                self.loop.add_reader(fd, self.loop._accept_connection, *args)  # type: ignore[attr-defined]
            self.paused.clear()
        else:
            for fd, args in self.listeners().items():
                self.loop.remove_reader(fd)
                self.paused[fd] = args


def publish(directory: Path, count: int) -> None:
    """Write this worker's session count (atomically: readers never see half a file)."""
    mine = directory / str(os.getpid())
    scratch = directory / f".{os.getpid()}.tmp"
    scratch.write_text(str(count))
    os.replace(scratch, mine)


def published(directory: Path, now: float) -> dict[str, int]:
    """Every live worker's session count by process id (its file was refreshed lately)."""
    counts = {}
    for path in directory.iterdir():
        if path.name.startswith("."):
            continue
        with contextlib.suppress(OSError, ValueError):
            if now - path.stat().st_mtime <= STALE_SECONDS:
                counts[path.name] = int(path.read_text())
    return counts


def others(directory: Path, now: float) -> list[int]:
    """The live other workers' session counts."""
    mine = str(os.getpid())
    return [n for pid, n in published(directory, now).items() if pid != mine]


def with_missing(theirs: list[int], expected: int, waiting: bool) -> list[int]:
    """The others' counts, plus a 0 for each of the `expected` workers (this one included)
    that has not published yet, while `waiting` (just after the start)."""
    missing = max(0, expected - 1 - len(theirs)) if waiting else 0
    return theirs + [0] * missing


def ahead(mine: int, theirs: list[int]) -> bool:
    """Is this worker so far ahead of the least loaded other one that it should not accept?"""
    return room(mine, theirs) <= 0


def room(mine: int, theirs: list[int]) -> float:
    """How many more connections this worker may take before it is ahead (see `ahead`):
    SLACK more than the least loaded other one, or SHARE_SLACK of its load when that is
    more (a burst then goes in several connections per look)."""
    if not theirs:
        return math.inf
    least = min(theirs)
    return least + max(SLACK, int(least * SHARE_SLACK)) + 1 - mine


async def run(count: Callable[[], int], directory: Path, expected: int = 1) -> None:
    """Publish this worker's load and open or close its gate, every PERIOD, until cancelled
    (`expected`: how many workers the server starts)."""
    gate = Gate(asyncio.get_running_loop(), directory)
    started = time.monotonic()
    try:
        while True:
            mine = gate.load(count())
            waiting = time.monotonic() - started < STARTUP_SECONDS
            # Published once its gate works: until then it would take a backlog's worth of
            # a burst uncounted (the others count it as serving none meanwhile).
            if gate.one_at_a_time() or not waiting:
                publish(directory, mine)
            seen = others(directory, time.time())
            theirs = with_missing(seen, expected, waiting)
            gate.missing = len(theirs) - len(seen)
            gate.room = room(mine, theirs)
            gate.set_accepting(gate.room > 0)
            burst, gate.taken = gate.taken > 0 or bool(gate.paused), 0
            await asyncio.sleep(BURST_PERIOD if burst else PERIOD)
    finally:  # shutting down: the listening sockets are closed, never re-armed here
        with contextlib.suppress(OSError):
            (directory / str(os.getpid())).unlink()

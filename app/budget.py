"""What a session costs: estimated memory by configuration size, and a fair share of CPU.

The memory estimate is calibrated with tracemalloc on this code (a session's trainer,
activations over its points, and its maps): the default session holds about 0.6 MB, the
largest allowed one (8x16, 7 features, 2000 points, grid 200, thumbnails 50) about 11 MB.
It errs high, so that the sum over sessions bounds what they really hold.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from engine import Config

T = TypeVar("T")

BASE_BYTES = 256 * 1024  # trainer, history, optimizer state, socket buffers
FLOAT = 8
PER_POINT_VALUE = 5 * FLOAT  # per point per neuron: activation, pre-activation, gradients
BYTES_PER_MB = 1024 * 1024

# The share of the event loop the scheduler hands out; the rest stays for sockets.
LOAD_TARGET = 0.8


def estimate_bytes(config: Config, points: int, grid_size: int, thumb_size: int) -> int:
    """Estimated memory of one session with this config, `points` data points and maps."""
    neurons = sum(config.hidden) + max(config.classes(), 1)
    maps = neurons + len(config.features)
    return (
        BASE_BYTES
        + points * (neurons + len(config.features)) * PER_POINT_VALUE
        + maps * thumb_size * thumb_size * 2
        + grid_size * grid_size * 4 * FLOAT
    )


def megabytes(n: float) -> str:
    return f"{n / BYTES_PER_MB:.1f} MB"


BURST_SECONDS = 0.1  # CPU a session may spend at once before it has to wait its turn


class CpuAccount:
    """A session's CPU allowance: it refills at the session's fair share of the loop, and
    every frame built, training slice and costly request spends from it. A session in debt
    waits until the refill brings it back to zero (`ready_at`), but only while others want
    the CPU: when no paid-up session has work, the scheduler moves every account forward
    (`advance`), so the CPU is never left idle while a session in debt has work.
    """

    def __init__(
        self, clock: Callable[[], float], competitors: Callable[[], int] = lambda: 1
    ) -> None:
        self.clock = clock
        self.competitors = competitors  # how many sessions want CPU now
        self.tokens = BURST_SECONDS
        self.stamp = clock()
        self.spent = 0.0  # seconds charged in all, for callers that charge the remainder

    def share(self) -> float:
        """The fraction of the event loop this session may use."""
        return LOAD_TARGET / max(1, self.competitors())

    def _refill(self) -> None:
        now = self.clock()
        elapsed = max(0.0, now - self.stamp)  # a clock that jumped back refills nothing
        self.tokens = min(BURST_SECONDS, self.tokens + elapsed * self.share())
        self.stamp = now

    def spend(self, seconds: float) -> None:
        self._refill()
        self.tokens -= seconds
        self.spent += seconds

    def advance(self, seconds: float) -> None:
        """Refill as if `seconds` more had passed: the CPU had room for that long."""
        self._refill()
        self.tokens = min(BURST_SECONDS, self.tokens + max(0.0, seconds) * self.share())

    def ready_at(self) -> float:
        """When the session may spend again (now, or when its debt is repaid)."""
        self._refill()
        if self.tokens >= 0:
            return self.stamp
        return self.stamp - self.tokens / self.share()


# Seconds the current client message spent awaiting worker threads (app.handlers.handle sets
# it per message): that wall time is not the session's time on the event loop.
THREAD_WAIT: ContextVar[list[float] | None] = ContextVar("thread_wait", default=None)


async def in_thread(account: CpuAccount, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`work(*args, **kwargs)` in a worker thread; `account` pays the thread's CPU time.

    Not the wall time: with a class's worth of forks queued for the threads, each waited
    0.2-0.3 s, and charged that as its own CPU it starved for tens of seconds at a hundredth
    of the loop (its fair share among 100 sessions).
    """
    spent = 0.0

    def timed() -> T:
        nonlocal spent
        start = time.thread_time()
        try:
            return work(*args, **kwargs)
        finally:
            spent = time.thread_time() - start

    started = time.perf_counter()
    try:
        return await asyncio.to_thread(timed)
    finally:
        waited = THREAD_WAIT.get()
        if waited is not None:
            waited[0] += time.perf_counter() - started
        account.spend(spent)

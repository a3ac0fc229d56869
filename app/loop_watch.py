"""The event loop's own account of how long it was held (Settings.loop_watch, GET /debug/loop).

Two figures, both measured inside the server, so that a benchmark's own CPU use on a shared
machine does not end up in them:

- holds: how long each callback the loop ran took (a task's step, a socket read, a timer),
  in wall time and in the loop thread's CPU time. The CPU time is what our code cost; the
  wall time adds the moments the OS gave the core to another process (or the frame thread
  had the GIL). The longest ones are kept with the name of what ran.
- lag: how late a 50 ms sleep wakes (the same probe as /metrics' histogram), as exact
  values, so p50 / p95 / max need no buckets. It is what another session waits.

Off by default: timing every callback costs about 1 us each (two clock reads).
"""

from __future__ import annotations

import asyncio
import heapq
import time
from asyncio import events
from typing import Any

from app.metrics import LAG_PROBE_SECONDS

KEEP_LONGEST = 5
MAX_SAMPLES = 20_000  # lag probes kept between two reads (about 17 minutes at 20 a second)


def callback_name(handle: events.Handle) -> str:
    """What a handle runs, in a few words: a task's coroutine, else the callback's name."""
    callback = handle._callback
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return getattr(coro, "__qualname__", None) or owner.get_name()
    return getattr(callback, "__qualname__", None) or repr(callback)[:80]


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (0..1) of `values`, nearest rank (0.0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class LoopWatch:
    """Times every callback of the running loop and probes its lag, until `stop()`."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.callbacks = 0
        self.longest: list[tuple[float, float, str]] = []  # heap of (cpu, wall, name)
        self.max_wall = 0.0
        self._original = events.Handle._run

    def reset(self) -> None:
        self.lags, self.callbacks, self.longest, self.max_wall = [], 0, [], 0.0

    def start(self) -> asyncio.Task[None]:
        """Patch the loop's callback runner (one process, one loop) and start the probe."""
        original, watch = self._original, self

        def timed_run(handle: events.Handle) -> None:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                original(handle)
            finally:
                watch.held(time.thread_time() - cpu, time.perf_counter() - wall, handle)

        events.Handle._run = timed_run  # type: ignore[method-assign]
        return asyncio.create_task(self._probe(), name="loop-watch")

    def stop(self) -> None:
        events.Handle._run = self._original  # type: ignore[method-assign]

    def held(self, cpu: float, wall: float, handle: events.Handle) -> None:
        self.callbacks += 1
        self.max_wall = max(self.max_wall, wall)
        if len(self.longest) < KEEP_LONGEST or cpu > self.longest[0][0]:
            entry = (cpu, wall, callback_name(handle))
            if len(self.longest) < KEEP_LONGEST:
                heapq.heappush(self.longest, entry)
            else:
                heapq.heapreplace(self.longest, entry)

    async def _probe(self) -> None:
        try:
            while True:
                start = time.perf_counter()
                await asyncio.sleep(LAG_PROBE_SECONDS)
                if len(self.lags) < MAX_SAMPLES:
                    self.lags.append(max(0.0, time.perf_counter() - start - LAG_PROBE_SECONDS))
        finally:
            self.stop()

    def report(self, reset: bool = True) -> dict[str, Any]:
        """Everything measured since the last reset (seconds), then start again if `reset`."""
        longest = sorted(self.longest, reverse=True)
        found = {
            "callbacks": self.callbacks,
            "hold_max_cpu": longest[0][0] if longest else 0.0,
            "hold_max_wall": self.max_wall,
            "longest": [{"cpu": c, "wall": w, "what": name} for c, w, name in longest],
            "lag_probes": len(self.lags),
            "lag_p50": percentile(self.lags, 0.5),
            "lag_p95": percentile(self.lags, 0.95),
            "lag_max": max(self.lags, default=0.0),
        }
        if reset:
            self.reset()
        return found

"""Process-wide counters, per-second rates, event-loop lag, and their Prometheus text form."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

LAG_PROBE_SECONDS = 0.05
RATE_WINDOW_SECONDS = 5.0

_COUNTERS = {
    "frames_sent": "Binary frames written to sockets.",
    "frames_dropped": "Frames replaced by a newer one before a slow socket took them.",
    "epochs": "Training epochs run.",
    "messages": "Client messages received.",
    "errors": "Client messages answered with an error.",
    "busy_seconds": "Seconds the scheduler spent training and encoding frames.",
    "cohort_slices": "Training slices run for a cohort of sessions together (app.cohorts).",
}


@dataclass
class Metrics:
    """Counters owned by one worker process (each worker reports its own)."""

    frames_sent: int = 0
    frames_dropped: int = 0
    epochs: int = 0
    messages: int = 0
    errors: int = 0
    busy_seconds: float = 0.0
    cohort_slices: int = 0
    lag_samples: deque[float] = field(default_factory=lambda: deque(maxlen=200))
    _history: deque[tuple[float, dict[str, float]]] = field(
        default_factory=lambda: deque(maxlen=64)
    )

    def add_epochs(self, n: int) -> None:
        self.epochs += n

    def frame_dropped(self) -> None:
        self.frames_dropped += 1

    def counters(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in _COUNTERS}

    def sample(self, now: float) -> None:
        """Remember the counters now, for per-second rates over the last few seconds."""
        self._history.append((now, self.counters()))
        while len(self._history) > 2 and now - self._history[1][0] >= RATE_WINDOW_SECONDS:
            self._history.popleft()

    def rates(self, now: float) -> dict[str, float]:
        """Per-second rate of each counter since the oldest sample in the window."""
        if not self._history:
            return {name: 0.0 for name in _COUNTERS}
        then, old = self._history[0]
        span = max(now - then, 1e-9)
        current = self.counters()
        return {
            name: (current[name] - old[name]) / span if now > then else 0.0 for name in _COUNTERS
        }

    def lag(self) -> tuple[float, float]:
        """(p95, max) event-loop lag in seconds over the recent probes."""
        if not self.lag_samples:
            return 0.0, 0.0
        ordered = sorted(self.lag_samples)
        return ordered[int(0.95 * (len(ordered) - 1))], ordered[-1]

    def render(self, gauges: dict[str, float], now: float) -> str:
        """Prometheus text exposition format 0.0.4."""
        lines: list[str] = []

        def emit(name: str, kind: str, help_text: str, value: float) -> None:
            lines.append(f"# HELP playground_{name} {help_text}")
            lines.append(f"# TYPE playground_{name} {kind}")
            lines.append(f"playground_{name} {value:.6g}")

        for name, help_text in _COUNTERS.items():
            emit(f"{name}_total", "counter", help_text, getattr(self, name))
        for name, rate in self.rates(now).items():
            emit(f"{name}_per_second", "gauge", f"{_COUNTERS[name]} Per second, last 5 s.", rate)
        p95, worst = self.lag()
        emit("event_loop_lag_p95_seconds", "gauge", "Event-loop lag, 95th percentile.", p95)
        emit("event_loop_lag_max_seconds", "gauge", "Event-loop lag, worst recent probe.", worst)
        for name, value in gauges.items():
            emit(name, "gauge", name.replace("_", " ").capitalize() + ".", value)
        return "\n".join(lines) + "\n"


async def watch_loop(metrics: Metrics, clock: Callable[[], float] = time.perf_counter) -> None:
    """Probe how late the event loop wakes us, and sample the counters once a second."""
    last_sample = 0.0
    while True:
        start = clock()
        await asyncio.sleep(LAG_PROBE_SECONDS)
        now = clock()
        metrics.lag_samples.append(max(0.0, now - start - LAG_PROBE_SECONDS))
        if now - last_sample >= 1.0:
            metrics.sample(time.monotonic())
            last_sample = now

"""One worker process's metrics, rendered for Prometheus by prometheus_client.

Counters are plain ints the hot paths bump (`metrics.frames_sent += 1`, no lock) and a
collector reads at scrape time; latencies are histograms; the process's CPU and memory come
from prometheus_client's process collector. Every series has a `worker` label (the process
id, as /healthz reports it): with --workers N each scrape answers for one worker.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.process_collector import ProcessCollector

# The text format 0.0.4 has no use for a histogram's *_created series (process-wide switch).
disable_created_metrics()

LAG_PROBE_SECONDS = 0.05
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# name (without playground_ and _total): help text
COUNTERS = {
    "frames_sent": "Binary frames written to sockets (solo and room).",
    "frames_dropped": "Frames replaced by a newer one before a slow socket took them.",
    "epochs": "Training epochs run.",
    "messages": "Client messages received.",
    "errors": "Client messages answered with an error.",
    "busy_seconds": "Seconds the scheduler spent training and encoding frames.",
    "room_fanout_bytes": "Payload bytes sent to room sockets (before permessage-deflate).",
    "cohort_slices": "Training slices run for a cohort of sessions together (app.cohorts).",
    "cohort_maps": "Frames whose maps were made with their cohort's (app.snapshot.frame_maps).",
    "cohort_metrics": "Metrics refreshes made with their cohort's (app.cohorts.measure).",
    "cohort_members": "Sessions trained in cohort slices (per cohort slice: members per step).",
    "solo_slices": "Training slices run for one session alone (not in a cohort).",
    "map_stacks": "Stacks of frames' maps made together (cohort_maps per stack: maps per stack).",
    "scheduler_passes": "Scheduler passes that worked (frames sent per pass: frames per pass).",
    "sessions_saved": "Solo sessions saved to shared storage (app.saved_sessions).",
    "sessions_loaded": "Solo sessions resumed from shared storage, saved by another worker.",
    "session_store_failures": "Session saves or loads that failed or found the store full.",
}
# name (without playground_): help text; their values come from Metrics.gauges sources.
GAUGES = {
    "sessions": "Sessions in this process, detached ones in their grace period included.",
    "sessions_attached": "Sessions with a socket.",
    "sessions_playing": "Sessions training, with a socket.",
    "sessions_memory_bytes": "Estimated memory of every session, by configuration size.",
    "sessions_in_cohorts": "Playing sessions whose last training slice ran in a cohort.",
    "cohort_largest": "The largest cohort a playing session last trained in.",
    "rooms": "Classroom rooms loaded in this process.",
    "room_followers": "Connected students following their room's live run.",
    "room_forks": "Connected students training their own fork.",
}
# Seconds: the scheduler's slices are about 4 ms (settings.slice_ms); lag spans 1 ms to 1 s.
SLICE_BUCKETS = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.5)
LAG_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

Gauges = Callable[[], dict[str, float]]  # GAUGES name: value, called at every scrape


def worker_id() -> str:
    """This process among every host's workers: "<host name>:<process id>"."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Metrics:
    """Counters, histograms and the registry of one worker process."""

    def __init__(self, worker: str | None = None) -> None:
        self.worker = worker or worker_id()
        self.frames_sent = 0
        self.frames_dropped = 0
        self.epochs = 0
        self.messages = 0
        self.errors = 0
        self.busy_seconds = 0.0
        self.room_fanout_bytes = 0
        self.cohort_slices = 0
        self.cohort_maps = 0
        self.cohort_metrics = 0
        self.cohort_members = 0
        self.solo_slices = 0
        self.map_stacks = 0
        self.scheduler_passes = 0
        self.sessions_saved = 0
        self.sessions_loaded = 0
        self.session_store_failures = 0
        self.gauge_sources: list[Gauges] = []
        self.registry = CollectorRegistry()
        self.slice_seconds = Histogram(
            "playground_slice_seconds",
            "Time one session held the event loop to train and encode a frame.",
            ["worker"],
            buckets=SLICE_BUCKETS,
            registry=self.registry,
        ).labels(self.worker)
        self.loop_lag_seconds = Histogram(
            "playground_event_loop_lag_seconds",
            f"How late the event loop woke a {LAG_PROBE_SECONDS} s sleep.",
            ["worker"],
            buckets=LAG_BUCKETS,
            registry=self.registry,
        ).labels(self.worker)
        self.registry.register(_Counters(self))
        self.registry.register(_Labelled(ProcessCollector(registry=None), self.worker))

    def add_epochs(self, n: int) -> None:
        self.epochs += n

    def frame_dropped(self) -> None:
        self.frames_dropped += 1

    def room_fanout(self, payload_bytes: int) -> None:
        self.room_fanout_bytes += payload_bytes

    def served(self, seconds: float) -> None:
        """One scheduler slice: counted in busy_seconds and in the slice histogram."""
        self.busy_seconds += seconds
        self.slice_seconds.observe(seconds)

    def gauges(self, source: Gauges) -> None:
        """Read `source()` at every scrape (sessions, rooms, followers...)."""
        self.gauge_sources.append(source)

    def render(self) -> bytes:
        """The Prometheus text exposition format 0.0.4."""
        return generate_latest(self.registry)


class _Counters:
    """The plain-int counters and the gauge sources, read when scraped."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        worker = self.metrics.worker
        for name, help_text in COUNTERS.items():
            family = CounterMetricFamily(f"playground_{name}", help_text, labels=["worker"])
            family.add_metric([worker], getattr(self.metrics, name))
            yield family
        for source in self.metrics.gauge_sources:
            for name, value in source().items():
                family = GaugeMetricFamily(f"playground_{name}", GAUGES[name], labels=["worker"])
                family.add_metric([worker], value)
                yield family


class _Labelled:
    """Another collector's metrics with a `worker` label added to each sample."""

    def __init__(self, inner: Any, worker: str) -> None:
        self.inner = inner
        self.worker = worker

    def collect(self) -> Iterable[Metric]:
        for family in self.inner.collect():
            family.samples = [
                s._replace(labels={**s.labels, "worker": self.worker}) for s in family.samples
            ]
            yield family


def sample_values(text: str) -> dict[str, float]:
    """Each sample name of an exposition text with its value summed over workers."""
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if set(sample.labels) <= {"worker"}:  # not histogram buckets
                values[sample.name] = values.get(sample.name, 0.0) + sample.value
    return values


async def watch_loop(metrics: Metrics, clock: Callable[[], float] = time.perf_counter) -> None:
    """Probe how late the event loop wakes us (into the lag histogram)."""
    while True:
        start = clock()
        await asyncio.sleep(LAG_PROBE_SECONDS)
        metrics.loop_lag_seconds.observe(max(0.0, clock() - start - LAG_PROBE_SECONDS))

"""/metrics through prometheus_client: exact counters, latency histograms, process metrics,
a worker label on every series (classroom gauges: tests/app/classroom/test_room_metrics.py)."""

from __future__ import annotations

import socket
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import COUNTERS, GAUGES, sample_values
from tests.app.wsclient import connect, running_app

pytestmark = pytest.mark.timeout(60)


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return response.text


def test_metrics_count_frames_epochs_messages_and_sessions():
    with running_app() as client, connect(client) as (ws, _):
        ws.send("step", {"epochs": 3})
        ws.frame_where(lambda f: f.header["epoch"] == 3)
        ws.send("", raw="nonsense")
        ws.error()
        values = sample_values(scrape(client))
    assert values["playground_sessions"] == 1
    assert values["playground_epochs_total"] >= 3
    assert values["playground_frames_sent_total"] >= 1
    assert values["playground_messages_total"] == 2
    assert values["playground_errors_total"] == 1


@pytest.mark.parametrize("count", [12345678, 2**53 - 1])
def test_counters_are_exact_however_large(count):
    with running_app() as client:
        client.app.state.metrics.epochs = count
        values = sample_values(scrape(client))
    assert values["playground_epochs_total"] == count  # .6g gave 1.23457e+07


def test_scheduler_slices_and_event_loop_lag_are_histograms():
    with running_app() as client:
        with connect(client) as (ws, _):
            ws.send("step", {"epochs": 2})
            ws.frame_where(lambda f: f.header["epoch"] == 2)
        deadline = time.monotonic() + 30
        while (values := sample_values(scrape(client)))[
            "playground_event_loop_lag_seconds_count"
        ] < 2:
            assert time.monotonic() < deadline, "no event-loop probe in 30 s"
            time.sleep(0.05)
        families = {f.name: f for f in text_string_to_metric_families(scrape(client))}
    for name in ("playground_slice_seconds", "playground_event_loop_lag_seconds"):
        family = families[name]
        assert family.type == "histogram"
        buckets = [s for s in family.samples if s.name.endswith("_bucket")]
        counts = [s.value for s in buckets]
        assert counts == sorted(counts) and buckets[-1].labels["le"] == "+Inf"
        (count,) = [s.value for s in family.samples if s.name.endswith("_count")]
        assert counts[-1] == count >= 1
    assert values["playground_slice_seconds_sum"] <= values["playground_busy_seconds_total"]


def test_every_series_carries_the_worker_label_and_process_metrics_are_there():
    with running_app() as client:
        health = client.get("/healthz").json()
        text = scrape(client)
    worker = health["worker"]
    assert worker == f"{socket.gethostname()}:{health['pid']}"  # unique across hosts too
    families = list(text_string_to_metric_families(text))
    samples = [s for f in families for s in f.samples]
    assert samples and all(s.labels.get("worker") == worker for s in samples)
    names = {f.name for f in families}
    assert {"process_resident_memory_bytes", "process_cpu_seconds"} <= names
    assert {f"playground_{n}" for n in COUNTERS} <= names
    # Classroom gauges are there too (zero with no rooms).
    assert {f"playground_{n}" for n in GAUGES} <= names

"""app.bench_steps: the ratios of work shared per step, read per worker from /metrics texts."""

from __future__ import annotations

from app import bench_steps
from app.metrics import Metrics


def rendered(worker: str, **counts: int) -> str:
    metrics = Metrics(worker)
    for name, value in counts.items():
        setattr(metrics, name, value)
    return metrics.render().decode()


def test_counters_are_read_per_worker_and_summed_over_the_workers_heard_twice():
    before = {
        **bench_steps.by_worker(rendered("a", cohort_slices=1, cohort_members=4)),
        **bench_steps.by_worker(rendered("b", frames_sent=7)),
    }
    assert before["a"]["cohort_members"] == 4 and before["b"]["frames_sent"] == 7
    after = {
        **bench_steps.by_worker(
            rendered(
                "a",
                cohort_slices=11,
                cohort_members=304,
                cohort_maps=90,
                map_stacks=30,
                solo_slices=10,
                cohort_metrics=30,
                scheduler_passes=5,
                frames_sent=100,
            )
        ),
        **bench_steps.by_worker(rendered("b", cohort_slices=10, cohort_members=10**6)),
        **bench_steps.by_worker(rendered("c", cohort_slices=50)),  # unheard before: left out
    }
    del before["b"]  # heard after only: left out too
    line = bench_steps.summary(before, after)
    assert line.startswith("steps (1 workers): 30.0 members per cohort step, 3.0 maps per stack")
    assert "20.0 frames per pass, 50.0 % of slices alone (10 cohort, 10 alone)" in line
    assert line.endswith(", 0.3 cohort metrics refreshes per frame")


def test_a_worker_with_no_steps_reports_dashes():
    counters = bench_steps.by_worker(rendered("a"))
    assert bench_steps.summary(counters, counters).startswith("steps (1 workers): - members")

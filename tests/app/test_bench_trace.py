"""app/bench_trace.py: self times of a Chromium trace's events on the page's marked thread."""

from __future__ import annotations

from app import bench_trace


def span(name: str, ts: int, dur: int, tid: int = 1) -> dict:
    return {"name": name, "ph": "X", "ts": ts, "dur": dur, "pid": 7, "tid": tid}


# A task of 100 us holding a draw (40 us, itself holding a layout of 15 us) and, after it, a
# paint of 30 us; another thread's long task and an instant event beside them.
EVENTS = [
    {"name": bench_trace.MARK, "ph": "R", "ts": 0, "pid": 7, "tid": 1},
    span("RunTask", 1000, 100),
    span("FunctionCall", 1000, 40),
    span("Layout", 1010, 15),
    span("Paint", 1050, 30),
    span("RunTask", 1000, 5000, tid=2),
    {"name": "Instant", "ph": "i", "ts": 1020, "pid": 7, "tid": 1},
]


def test_self_times_leave_out_nested_events_and_add_up_to_the_busy_time():
    totals = bench_trace.self_times(EVENTS, (7, 1))
    assert totals == {"RunTask": 100 - 40 - 30, "FunctionCall": 40 - 15, "Layout": 15, "Paint": 30}
    assert sum(totals.values()) == 100


def test_events_that_start_together_nest_the_longer_first():
    events = [span("Inner", 0, 10), span("Outer", 0, 50)]
    assert bench_trace.self_times(events, (7, 1)) == {"Outer": 40, "Inner": 10}


def test_the_breakdown_reads_the_marked_thread_only():
    lines = bench_trace.breakdown({"traceEvents": EVENTS}, per=2, top=2)
    assert lines[0].startswith("main thread in the trace: 0 ms in 4 kinds")
    # The largest first, per drawn frame (2 here) in ms, with its share of the busy time.
    assert lines[1].split() == ["0.01", "ms", "per", "drawn", "frame", "30.0%", "RunTask"]
    assert lines[2].split()[-2:] == ["30.0%", "Paint"]
    assert len(lines) == 3


def test_a_trace_without_the_mark_says_so():
    assert "not recorded" in bench_trace.breakdown(EVENTS[1:], per=1)[0]

"""Where a page's main thread goes: self time by event name in a Chromium trace.

`python -m app.bench_page --trace` records a trace of the measuring window and prints the
measured page's main thread broken down here. The page marks its main thread with a
`performance.mark(MARK)` while tracing, so the breakdown finds that page's renderer among
the others (several pages, one browser).

Self time is an event's duration less the durations of the events nested in it (complete
events, `ph: "X"`, on one thread, in microseconds), so the parts add up to the busy time.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

MARK = "bench-page-traced"
# What a bench trace records: script, style, layout, paint, compositing and user timing.
CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "blink",
    "blink.user_timing",
    "cc",
    "v8",
    "toplevel",
]


def events_of(trace: Any) -> list[dict]:
    """A trace file's events (Chromium writes either an object or a bare list)."""
    return trace["traceEvents"] if isinstance(trace, dict) else trace


def marked_thread(events: list[dict], mark: str = MARK) -> tuple[int, int] | None:
    """(pid, tid) of the thread that recorded `mark`, or None."""
    for e in events:
        if e.get("name") == mark:
            return e["pid"], e["tid"]
    return None


def self_times(events: list[dict], thread: tuple[int, int]) -> Counter[str]:
    """Self time in microseconds by event name, of the complete events on `thread`."""
    spans = [
        e
        for e in events
        if e.get("ph") == "X" and "dur" in e and (e.get("pid"), e.get("tid")) == thread
    ]
    # Parents first: by start, the longer of two that start together first.
    spans.sort(key=lambda e: (e["ts"], -e["dur"]))
    totals: Counter[str] = Counter()
    open_spans: list[dict] = []
    for e in spans:
        while open_spans and open_spans[-1]["ts"] + open_spans[-1]["dur"] <= e["ts"]:
            open_spans.pop()
        if open_spans:
            totals[open_spans[-1]["name"]] -= e["dur"]
        totals[e["name"]] += e["dur"]
        open_spans.append(e)
    return totals


def breakdown(trace: Any, per: int, top: int = 12) -> list[str]:
    """Lines for the marked thread's `top` event names: ms per `per` (drawn frames) and share."""
    events = events_of(trace)
    thread = marked_thread(events)
    if thread is None:
        return ["trace: the page's mark was not recorded (no breakdown)"]
    totals = self_times(events, thread)
    busy = sum(totals.values())
    lines = [f"main thread in the trace: {busy / 1000:.0f} ms in {len(totals)} kinds of event"]
    for name, us in totals.most_common(top):
        lines.append(f"{us / 1000 / max(1, per):8.2f} ms per drawn frame {us / busy:6.1%}  {name}")
    return lines

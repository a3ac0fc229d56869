"""How much work each scheduler step shares, read from every worker's /metrics (app.bench).

The CPU per frame rises with the number of clients when the CPU is saturated; these ratios
say whether that is because the steps share less: members per cohort training step, maps
per stack, frames per scheduler pass, the share of slices trained alone, and metrics
refreshes (made with a cohort's) per frame sent: a session refreshes 5 times a second
whatever its frame rate, so the fewer frames, the more of them pay a refresh.

Each scrape of /metrics answers for the one worker that accepted it, so `scrape` asks
again (a new connection each time) until it has heard from every worker, or gives up after
SCRAPES tries and reports those it heard.
"""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

SCRAPES = 40
COUNTERS = (
    "cohort_slices",
    "cohort_members",
    "cohort_maps",
    "cohort_metrics",
    "map_stacks",
    "solo_slices",
    "scheduler_passes",
    "frames_sent",
)

Counters = dict[str, dict[str, float]]  # worker: counter name: value


def by_worker(text: str) -> Counters:
    """The COUNTERS of an exposition text, per `worker` label."""
    found: Counters = {}
    for family in text_string_to_metric_families(text):
        if family.name.removeprefix("playground_") not in COUNTERS:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                name = sample.name.removeprefix("playground_").removesuffix("_total")
                found.setdefault(sample.labels["worker"], {})[name] = sample.value
    return found


def scrape(url: str, workers: int) -> Counters:
    """Every worker's counters (those heard within SCRAPES tries)."""
    found: Counters = {}
    for _ in range(SCRAPES):
        with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
            found.update(by_worker(response.read().decode()))
        if len(found) >= workers:
            break
    return found


def summary(before: Counters, after: Counters) -> str:
    """The ratios over the workers heard both times, as one line."""
    heard = before.keys() & after.keys()
    d = {name: sum(after[w][name] - before[w][name] for w in heard) for name in COUNTERS}
    slices = d["cohort_slices"] + d["solo_slices"]
    return (
        f"steps ({len(heard)} workers): {_ratio(d['cohort_members'], d['cohort_slices'])} "
        f"members per cohort step, {_ratio(d['cohort_maps'], d['map_stacks'])} maps per "
        f"stack, {_ratio(d['frames_sent'], d['scheduler_passes'])} frames per pass, "
        f"{_ratio(d['solo_slices'] * 100, slices)} % of slices alone "
        f"({d['cohort_slices']:.0f} cohort, {d['solo_slices']:.0f} alone), "
        f"{_ratio(d['cohort_metrics'], d['frames_sent'])} cohort metrics refreshes per frame"
    )


def _ratio(part: float, whole: float) -> str:
    return f"{part / whole:.1f}" if whole else "-"

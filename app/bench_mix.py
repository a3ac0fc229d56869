"""Who the benchmark's clients are: one config for all, or the mixed lecture-hall load.

`--mixed` splits `--clients` like a lecture hall: half play the bench config, a quarter
play networks of other shapes (each its own, so none shares a cohort with another), and a
quarter sit paused (connected, their sessions held, no training). With 200 clients that is
100 + 50 + 50, the load of issue 12.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_WIDTH = 8  # the varied networks: two hidden layers of 1-8 neurons


@dataclass(frozen=True)
class Plan:
    group: str  # "default", "varied" or "paused": the summary lines of the bench
    config: dict[str, Any]
    play: bool = True


def varied_shape(i: int) -> list[int]:
    """The i-th varied network (two hidden layers), never the default 4, 2."""
    shapes = [
        [a, b] for a in range(1, MAX_WIDTH + 1) for b in range(1, MAX_WIDTH + 1) if [a, b] != [4, 2]
    ]
    return shapes[i % len(shapes)]


def plans(clients: int, config: dict[str, Any], mixed: bool) -> list[Plan]:
    """One plan per client, in the order they connect."""
    if not mixed:
        return [Plan("default", config) for _ in range(clients)]
    varied = paused = clients // 4
    default = clients - varied - paused
    return (
        [Plan("default", config) for _ in range(default)]
        + [Plan("varied", {**config, "hidden": varied_shape(i)}) for i in range(varied)]
        + [Plan("paused", config, play=False) for _ in range(paused)]
    )

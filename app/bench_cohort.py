"""What one frame of a cohort member costs, part by part, in-process: a benchmark, not a test.

    python -m app.bench_cohort --members 24
    python -m app.bench_cohort --members 48 --frames 40 --rounds 5
    python -m app.bench_cohort --baseline /path/to/another/checkout --runs 6

S default sessions play in one cohort at one epoch a frame, the scheduler's work without
its sockets: the cohort trains an epoch (engine.cohort), makes its maps four at a time
(app.snapshot.frame_maps, as app.pacing), refreshes its metrics every fifth frame (5 times
a second at 25 fps, engine.cohort_metrics as app.cohorts.measure) and encodes each
member's frame (app.snapshot.build_frame). Printed: the CPU time (this process's, which
other busy processes disturb far less than wall time) per member and frame of each part,
the fastest of `rounds`. The socket writes, deflate and event loop (app.bench) come on top.

With --baseline: the same in fresh processes of this checkout and of the other one, taking
turns `runs` times, then each part's median and the median of the runs' ratios (this /
baseline): "before and after" on a busy machine, where only figures taken side by side
compare.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

from app import snapshot
from engine import Config, Trainer, cohort, cohort_metrics

MAPS_TOGETHER = 4  # as app.pacing.MAPS_TOGETHER
METRICS_EVERY = 5  # frames between metrics refreshes: 25 fps, 5 refreshes a second
PARTS = ("train", "metrics", "maps", "encode")


def frame_costs(members: int, frames: int, rounds: int) -> dict[str, float]:
    """Microseconds of CPU per member and frame of each part (the fastest round's)."""
    trainers = [Trainer(Config(seed=s, data_seed=s)) for s in range(members)]
    cohort.train_epochs(trainers, 3)  # warm up: buffers, caches
    metrics = cohort_metrics.metrics(trainers)
    best = dict.fromkeys(PARTS, float("inf"))
    for _ in range(rounds):
        spent = dict.fromkeys(PARTS, 0.0)
        for frame in range(frames):
            start = time.process_time()
            cohort.train_epochs(trainers, 1)
            lap = time.process_time()
            spent["train"] += lap - start
            if frame % METRICS_EVERY == 0:
                metrics = cohort_metrics.metrics(trainers)
            start, lap = lap, time.process_time()
            spent["metrics"] += lap - start
            maps = [
                m
                for i in range(0, members, MAPS_TOGETHER)
                for m in snapshot.frame_maps(trainers[i : i + MAPS_TOGETHER], 100, 20, 32)
            ]
            start, lap = lap, time.process_time()
            spent["maps"] += lap - start
            for trainer, measured, made in zip(trainers, metrics, maps, strict=True):
                snapshot.build_frame(
                    trainer,
                    measured,
                    seq=frame,
                    state="playing",
                    grid_size=100,
                    thumb_size=20,
                    selected=None,
                    include_inputs=False,
                    levels=32,
                    maps=made,
                )
            spent["encode"] += time.process_time() - lap
        for part in PARTS:
            best[part] = min(best[part], spent[part] / (frames * members) * 1e6)
    return best


def compare(baseline: str, runs: int, args: list[str]) -> None:
    """Print each part's median over `runs` turns of this checkout and `baseline`, and the
    median of the turns' ratios."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = {"baseline": os.path.abspath(baseline), "this": here}
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
    for _ in range(runs):
        for name, path in paths.items():
            env = {**os.environ, "PYTHONPATH": path}
            command = [sys.executable, "-m", "app.bench_cohort", *args]
            out = subprocess.run(
                command, cwd=path, env=env, capture_output=True, text=True, check=True
            ).stdout
            figures[name].append({p: float(v) for p, v in re.findall(r"(\w+) (\d+)\b", out)})
    for part in (*PARTS, "total"):
        base = [f[part] for f in figures["baseline"]]
        this = [f[part] for f in figures["this"]]
        ratio = statistics.median(t / b for b, t in zip(base, this, strict=True))
        medians = f"baseline {statistics.median(base):5.0f}  this {statistics.median(this):5.0f}"
        print(f"{part:8s} {medians}  us per member-frame (medians of {runs})  ratio {ratio:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.bench_cohort", description=__doc__)
    parser.add_argument("--members", type=int, default=24)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", help="another checkout to compare with, turn by turn")
    parser.add_argument("--runs", type=int, default=6, help="with --baseline: turns of each")
    args = parser.parse_args(argv)
    if args.baseline:
        own = ["--members", str(args.members), "--frames", str(args.frames)]
        compare(args.baseline, args.runs, [*own, "--rounds", str(args.rounds)])
        return 0
    costs = frame_costs(args.members, args.frames, args.rounds)
    parts = "  ".join(f"{part} {us:.0f}" for part, us in costs.items())
    print(
        f"{args.members} members, us of CPU per member-frame (fastest of {args.rounds} rounds "
        f"of {args.frames} frames): {parts}  total {sum(costs.values()):.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

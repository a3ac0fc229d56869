"""Benchmark the engine: training epochs/s and grid evaluation time (medians).

    python -m engine.bench [--repeats 7] [--epochs 300] [--cohort 100]
    python -m engine.bench --lone [--baseline /path/to/another/checkout]

An "epoch" includes the train/test loss computation the trainer records every epoch.
Targets on the project's 2-core machine: (a) >= 1500 epochs/s, (b) >= 400 epochs/s,
grid (a) <= 0.5 ms, grid (b) <= 3 ms.

With --cohort S: S trainers of the default network (each its own seed and data) trained
alone one after the other, then as one cohort (engine.cohort), in the same run; the ratio
is the cohort's speed-up per member epoch. The same for their metrics (engine.cohort_metrics).

With --lone: the engine's CPU per frame of a lone student on case (b), the 6x8 spiral
network (issue 12: 20 epochs, then the 100x100 grid and its 20x20 thumbnails, as a frame
carries them), median of runs in fresh processes. With --baseline, the same measured on
that checkout's engine in alternate processes of the same run, and the ratio: "before and
after" on a busy machine, where only figures taken side by side compare.

Each figure is given twice: by wall clock, and by this process's CPU time (which other
busy processes on the machine disturb far less; BLAS threads, if any, count in it).
"""

from __future__ import annotations

import argparse
import statistics
import time

from engine import Config, Trainer, cohort, cohort_metrics

REFERENCE_FEATURES = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
CASES = {
    "a_default": ({}, 1500.0, 0.5),
    "b_spiral_6x8_all_features": (
        {"dataset": "spiral", "hidden": [8] * 6, "features": REFERENCE_FEATURES},
        400.0,
        3.0,
    ),
}


def _timed(fn, repeats: int) -> tuple[float, float]:
    """Median (wall, cpu) seconds of `fn()` over `repeats` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(wall), statistics.median(cpu)


def epochs_per_second(changes: dict, epochs: int, repeats: int) -> tuple[float, float]:
    """Median (wall, cpu) epochs/s over `repeats` runs of `epochs` epochs from a reset."""
    trainer = Trainer(Config.from_dict(changes))
    trainer.train_epochs(20)  # warm up: workspaces, caches

    def run() -> None:
        trainer.reset()
        trainer.train_epochs(epochs)

    wall, cpu = _timed(run, repeats)
    return epochs / wall, epochs / cpu


def grid_ms(changes: dict, repeats: int, n: int = 100) -> tuple[float, float]:
    """Median (wall, cpu) ms to evaluate the output and every neuron on an n×n grid."""
    trainer = Trainer(Config.from_dict(changes))
    trainer.grid(n)  # the feature grid is cached per resolution
    calls = 20

    def run() -> None:
        for _ in range(calls):
            trainer.grid(n)

    wall, cpu = _timed(run, repeats)
    return wall * 1000.0 / calls, cpu * 1000.0 / calls


def cohort_epochs_per_second(members: int, epochs: int, repeats: int) -> tuple[float, float]:
    """Median member-epochs/s (wall) of `members` default trainers: alone, and as a cohort."""
    trainers = [Trainer(Config(seed=s, data_seed=s)) for s in range(members)]

    def alone() -> None:
        for t in trainers:
            t.reset()
            t.train_epochs(epochs)

    def together() -> None:
        for t in trainers:
            t.reset()
        cohort.train_epochs(trainers, epochs)

    together()  # warm up
    return (
        members * epochs / _timed(alone, repeats)[0],
        members * epochs / _timed(together, repeats)[0],
    )


def cohort_metrics_per_second(members: int, repeats: int) -> list[float]:
    """Median metrics()/s of `members` trained default trainers, each its own and measured
    together (engine.cohort_metrics): [alone wall, together wall, alone cpu, together cpu]."""
    trainers = [Trainer(Config(seed=s, data_seed=s)) for s in range(members)]
    cohort.train_epochs(trainers, 5)
    cohort_metrics.metrics(trainers)  # warm up
    alone = _timed(lambda: [t.metrics() for t in trainers], repeats)
    together = _timed(lambda: cohort_metrics.metrics(trainers), repeats)
    return [members / seconds for seconds in (alone[0], together[0], alone[1], together[1])]


# Runs in a fresh process with the engine of sys.argv[1] first on the path; prints the
# minimum CPU ms per frame over sys.argv[2] frames (only API that every version has).
LONE_FRAME = """
import sys, time
sys.path.insert(0, sys.argv[1])
from engine import Config, Trainer
from engine.bench import CASES
trainer = Trainer(Config.from_dict(CASES["b_spiral_6x8_all_features"][0]))
trainer.train_epochs(40)
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    trainer.train_epochs(20)
    trainer.grid(100).thumbnails(20)
    best = min(best, time.process_time() - start)
print(best * 1000.0)
"""


def lone_frames(paths: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Per engine checkout: CPU ms per lone frame, one figure per round (best of 10 frames
    in a fresh process), the checkouts taking turns within every round."""
    import subprocess
    import sys

    figures: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, path in paths.items():
            command = [sys.executable, "-c", LONE_FRAME, path, "10"]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            figures[name].append(float(out))
    return figures


def report_lone(baseline: str | None, rounds: int) -> None:
    import os

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = {"this": here} if baseline is None else {"baseline": baseline, "this": here}
    figures = lone_frames(paths, rounds)
    for name, values in figures.items():
        ms = statistics.median(values)
        print(
            f"{name:8s} {ms:6.2f} ms CPU per frame (20 epochs + grid + thumbnails, median of "
            f"{rounds}), at most {1000.0 / ms:5.1f} fps on one core  [{paths[name]}]"
        )
    if baseline is not None:
        pairs = zip(figures["baseline"], figures["this"], strict=True)
        ratio = statistics.median(this / base for base, this in pairs)
        print(f"this / baseline: {ratio:.3f} (median of the rounds' ratios)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.bench", description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--cohort", type=int, default=0, help="members of a cohort to time")
    parser.add_argument("--lone", action="store_true", help="CPU per frame of a lone student")
    parser.add_argument("--baseline", help="with --lone: another checkout's engine to compare")
    args = parser.parse_args(argv)
    if args.lone:
        report_lone(args.baseline, args.repeats)
        return 0
    if args.cohort:
        epochs = max(1, args.epochs // 10)
        alone, together = cohort_epochs_per_second(args.cohort, epochs, args.repeats)
        print(
            f"{args.cohort} default trainers x {epochs} epochs, median of {args.repeats}: "
            f"alone {alone:.0f} member-epochs/s, cohort {together:.0f} "
            f"({together / alone:.1f}x)"
        )
        alone, together, alone_cpu, together_cpu = cohort_metrics_per_second(
            args.cohort, args.repeats
        )
        print(
            f"{args.cohort} trained default trainers' metrics(), median of {args.repeats}: "
            f"alone {alone:.0f}/s wall {alone_cpu:.0f} cpu, together {together:.0f}/s wall "
            f"{together_cpu:.0f} cpu ({together_cpu / alone_cpu:.1f}x by cpu)"
        )
        return 0
    print(f"median of {args.repeats} runs of {args.epochs} epochs; grid: 100x100")
    for name, (changes, epoch_target, grid_target) in CASES.items():
        rate, cpu_rate = epochs_per_second(changes, args.epochs, args.repeats)
        ms, cpu_ms = grid_ms(changes, args.repeats)
        print(
            f"{name:27s} {rate:6.0f} epochs/s wall, {cpu_rate:6.0f} cpu (target >= "
            f"{epoch_target:.0f})   grid {ms:.3f} ms wall, {cpu_ms:.3f} cpu (target <= "
            f"{grid_target})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What a session costs: estimated memory by configuration size, and a fair share of CPU.

The memory estimate is calibrated with tracemalloc on this code (a session's trainer,
activations over its points, and its maps): the default session holds about 0.6 MB, the
largest allowed one (8x16, 7 features, 2000 points, grid 200, thumbnails 50) about 11 MB.
It errs high, so that the sum over sessions bounds what they really hold.
"""

from __future__ import annotations

from engine import Config

BASE_BYTES = 256 * 1024  # trainer, history, optimizer state, socket buffers
FLOAT = 8
PER_POINT_VALUE = 5 * FLOAT  # per point per neuron: activation, pre-activation, gradients
BYTES_PER_MB = 1024 * 1024

# The share of the event loop the scheduler hands out; the rest stays for sockets.
LOAD_TARGET = 0.8


def estimate_bytes(config: Config, points: int, grid_size: int, thumb_size: int) -> int:
    """Estimated memory of one session with this config, `points` data points and maps."""
    neurons = sum(config.hidden) + max(config.classes(), 1)
    maps = neurons + len(config.features)
    return (
        BASE_BYTES
        + points * (neurons + len(config.features)) * PER_POINT_VALUE
        + maps * thumb_size * thumb_size * 2
        + grid_size * grid_size * 4 * FLOAT
    )


def megabytes(n: float) -> str:
    return f"{n / BYTES_PER_MB:.1f} MB"


def fair_interval(cost: float, competitors: int) -> float:
    """Seconds a session must wait after spending `cost` seconds of CPU on one frame.

    With `competitors` sessions wanting CPU, each may use LOAD_TARGET / competitors of it:
    a cheap frame waits (almost) nothing extra, a 44 ms frame among 4 sessions waits 0.22 s.
    """
    return cost * max(1, competitors) / LOAD_TARGET

"""Engine state -> one binary frame (docs/protocol.md, "binary frames")."""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import numpy as np

from app import frames
from engine import FEATURES
from engine.grid import evaluate_grid, feature_grid

# Every feature's map goes out, active or not (the page shows each input's own picture,
# dimmed when off, as the reference does), in registry order = `options.features.choices`.
INPUT_FEATURES = tuple(FEATURES)

PROBABILITY_KINDS = frozenset({"sigmoid", "softmax"})


def output_range(kind: str) -> tuple[float, float]:
    """The range the output map is quantised over: probabilities, or tanh/linear in [-1, 1]."""
    return (0.0, 1.0) if kind in PROBABILITY_KINDS else (-1.0, 1.0)


def build_frame(
    trainer: Any,
    metrics: dict[str, Any],
    *,
    seq: int,
    state: str,
    grid_size: int,
    thumb_size: int,
    selected: tuple[int, int] | None,
    include_inputs: bool,
    levels: int,
) -> bytes:
    """Encode the trainer's current metrics, maps and weights as one frame.

    Maps are quantised to `levels` codes (docs/protocol.md); weights stay float32.
    """
    big = trainer.grid(grid_size)
    lo, hi = output_range(big.output_kind)

    # Thumbnails are the engine's block means of the full maps (as the reference draws them);
    # maps go on the wire as (count, rows, cols): one contiguous picture per neuron.
    arrays: list[tuple[str, Any]] = [
        ("output", frames.quantise(big.output, lo, hi, levels)),
        ("neurons", frames.quantise(big.thumbnails(thumb_size), -1.0, 1.0, levels)),
    ]
    if include_inputs:
        arrays.append(("inputs", input_maps(grid_size, thumb_size, levels)))
    if selected is not None:
        layer, neuron = selected
        source = big.inputs if layer == 0 else big.layers[layer - 1]
        last = layer == len(big.layers)
        s_lo, s_hi = (lo, hi) if last else (-1.0, 1.0)
        arrays.append(("selected", frames.quantise(source[:, :, neuron], s_lo, s_hi, levels)))
    arrays.append(("weights", flat_weights(trainer)))

    # The engine's own `status` ("ok", "diverged"...) is folded into the session's `state`.
    header = {k: v for k, v in metrics.items() if k not in ("status", "status_message")}
    header.update(type="frame", seq=seq, state=state)
    if selected is not None:
        header["selected"] = list(selected)
    if include_inputs:
        header["input_features"] = list(INPUT_FEATURES)
    return frames.encode(header, arrays)


@lru_cache(maxsize=16)
def input_maps(grid_size: int, thumb_size: int, levels: int) -> frames.Quantised:
    """(F_all, t, t) codes of every feature's map sampled at the block centres of the n-grid.

    They depend on the sizes alone, so they are quantised once per size and shared.
    """
    n, k = grid_size, grid_size // thumb_size
    maps = feature_grid(n, INPUT_FEATURES).reshape(-1, n, n)[:, k // 2 :: k, k // 2 :: k]
    codes = frames.quantise(maps, -1.0, 1.0, levels)
    codes.codes.setflags(write=False)  # shared by every frame of these sizes
    return codes


def flat_weights(trainer: Any) -> np.ndarray:
    """(P,) float32: each layer's W row-major, then its b, in layer order."""
    parts = []
    for w, b in trainer.weights():
        parts.append(np.asarray(w, dtype=np.float32).ravel())
        parts.append(np.asarray(b, dtype=np.float32).ravel())
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


class FrozenTrainer:
    """What `build_frame` reads of a trainer, copied: a frame of it may be built in another
    thread while the session goes on training and taking edits."""

    def __init__(self, trainer: Any) -> None:
        net = trainer.network
        self.features = tuple(trainer.config.features)
        self.network = SimpleNamespace(
            sizes=net.sizes,
            depth=net.depth,
            weights=[w.copy() for w in net.weights],
            biases=[b.copy() for b in net.biases],
            head=net.head,
            activations=net.activations,
        )

    def grid(self, n: int) -> Any:
        return evaluate_grid(self.network, self.features, n)

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(self.network.weights, self.network.biases, strict=True))

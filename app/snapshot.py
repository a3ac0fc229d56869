"""Engine state -> one binary frame (docs/protocol.md, "binary frames")."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np

from app import frames
from engine import FEATURES
from engine.grid import Grid, GridStack, evaluate_grids, feature_grid

# Every feature's map goes out, active or not (the page shows each input's own picture,
# dimmed when off, as the reference does), in registry order = `options.features.choices`.
INPUT_FEATURES = tuple(FEATURES)

PROBABILITY_KINDS = frozenset({"sigmoid", "softmax"})


def output_range(kind: str) -> tuple[float, float]:
    """The range the output map is quantised over: probabilities, or tanh/linear in [-1, 1]."""
    return (0.0, 1.0) if kind in PROBABILITY_KINDS else (-1.0, 1.0)


@dataclass(frozen=True, eq=False)
class Maps:
    """A frame's pictures of one network: its grid, output map and thumbnails, quantised."""

    grid: Grid
    output: frames.Quantised
    neurons: frames.Quantised


class Frame(NamedTuple):
    """An encoded frame and the thumbnail codes it carries (None: it carries none)."""

    data: bytes
    neurons: np.ndarray | None


def maps_of(stack: GridStack, thumb_size: int, levels: int) -> list[Maps]:
    """Every network's Maps from its grids, quantised in one call per kind of map."""
    lo, hi = output_range(stack.grids[0].output_kind)
    output = frames.quantise(stack.outputs(), lo, hi, levels)
    neurons = frames.quantise(stack.thumbnails(thumb_size), -1.0, 1.0, levels)
    return [
        Maps(
            grid,
            frames.Quantised(output.codes[i], output.lo, output.scale),
            frames.Quantised(neurons.codes[i], neurons.lo, neurons.scale),
        )
        for i, grid in enumerate(stack.grids)
    ]


def frame_maps(trainers: list[Any], grid_size: int, thumb_size: int, levels: int) -> list[Maps]:
    """The Maps of trainers of one network shape, evaluated together (a cohort's): each
    one's is the one it gets alone, bit for bit (engine.grid.evaluate_grids)."""
    stack = evaluate_grids(
        [t.network for t in trainers],
        [t.config.features for t in trainers],
        grid_size,
        [t.data.input_affine for t in trainers],
        thumb_size,
    )
    return maps_of(stack, thumb_size, levels)


def thumbnails_changed(codes: np.ndarray, sent: np.ndarray | None) -> bool:
    """Whether thumbnails moved more than one quantisation step from the ones last sent
    (any code, or a new shape): the page then shows them within one step of the truth."""
    if sent is None or sent.shape != codes.shape:
        return True
    return bool(np.abs(codes.astype(np.int16) - sent).max(initial=0) > 1)


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
    sent_neurons: np.ndarray | None = None,
    maps: Maps | None = None,
) -> Frame:
    """Encode the trainer's current metrics, maps and weights as one frame.

    Maps are quantised to `levels` codes (docs/protocol.md); weights stay float32. The
    thumbnails go only if they changed by more than a step since `sent_neurons` (the codes
    the subscribers last got; None: they have none). `maps`: this trainer's, when made
    together with others' (`frame_maps`).
    """
    if maps is None:
        maps = frame_maps([trainer], grid_size, thumb_size, levels)[0]
    big = maps.grid
    lo, hi = output_range(big.output_kind)

    # Thumbnails are the engine's block means of the full maps (as the reference draws them);
    # maps go on the wire as (count, rows, cols): one contiguous picture per neuron.
    arrays: list[tuple[str, Any]] = [("output", maps.output)]
    sent = None
    if include_inputs or thumbnails_changed(maps.neurons.codes, sent_neurons):
        arrays.append(("neurons", maps.neurons))
        sent = maps.neurons.codes.astype(np.int16)
    if include_inputs:
        arrays.append(("inputs", input_maps(grid_size, thumb_size, levels)))
    if selected is not None:
        layer, neuron = selected
        last = layer == len(trainer.network.sizes) - 1
        s_lo, s_hi = (lo, hi) if last else (-1.0, 1.0)
        picture = big.picture(layer, neuron)
        arrays.append(("selected", frames.quantise(picture, s_lo, s_hi, levels)))
    arrays.append(("weights", flat_weights(trainer)))

    # The engine's own `status` ("ok", "diverged"...) is folded into the session's `state`.
    header = {k: v for k, v in metrics.items() if k not in ("status", "status_message")}
    header.update(type="frame", seq=seq, state=state)
    if selected is not None:
        header["selected"] = list(selected)
    if include_inputs:
        header["input_features"] = list(INPUT_FEATURES)
    return Frame(frames.encode(header, arrays), sent)


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
    """(P,) float32: each layer's W row-major, then its b, in layer order.

    A network keeps every weight, then every bias, in one flat vector (engine.network):
    one gather from it, in the wire's order, instead of a copy and a cast per array.
    """
    params = getattr(trainer.network, "params", None)
    if params is not None:
        return params.astype(np.float32).take(wire_order(trainer.network.sizes))
    parts = []  # a FrozenTrainer's copies
    for w, b in trainer.weights():
        parts.append(np.asarray(w, dtype=np.float32).ravel())
        parts.append(np.asarray(b, dtype=np.float32).ravel())
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


@lru_cache(maxsize=64)
def wire_order(sizes: tuple[int, ...]) -> np.ndarray:
    """Where each value of the wire's weights (layer by layer: W row-major, then b) sits in
    a network's flat params (every layer's W, then every layer's b)."""
    shapes = list(zip(sizes[:-1], sizes[1:], strict=True))
    bias = sum(i * o for i, o in shapes)
    order, weight = [], 0
    for i, o in shapes:
        order.append(np.arange(weight, weight + i * o))
        order.append(np.arange(bias, bias + o))
        weight, bias = weight + i * o, bias + o
    indices = np.concatenate(order)
    indices.setflags(write=False)
    return indices


class FrozenTrainer:
    """What `build_frame` reads of a trainer, copied: a frame of it may be built in another
    thread while the session goes on training and taking edits."""

    def __init__(self, trainer: Any) -> None:
        net = trainer.network
        self.config = SimpleNamespace(features=tuple(trainer.config.features))
        # (Replaced with the data, never changed in place: shared, not copied.)
        self.data = SimpleNamespace(input_affine=trainer.data.input_affine)
        self.network = SimpleNamespace(
            sizes=net.sizes,
            depth=net.depth,
            weights=[w.copy() for w in net.weights],
            biases=[b.copy() for b in net.biases],
            head=net.head,
            activations=net.activations,
        )

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return list(zip(self.network.weights, self.network.biases, strict=True))

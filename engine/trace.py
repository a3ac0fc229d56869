"""Backpropagation on one point, every number of it: the data behind "step through backprop".

`trace_step(trainer, index)` runs the forward pass, the loss, the backward pass and the
update for one point of the trainer's dataset, exactly as a training step on a batch of
that one point would, and returns every intermediate value as plain JSON-able lists. It
changes nothing: the update is computed on copies of the weights and of the optimizer.

Indexing follows `Trainer.set_weight`: weight layer k joins node layer k (its inputs: the
features for k = 0) to node layer k + 1; `W[k][i][j]` is the link from node i below to
node j above. The trace is of the network without dropout (a dropout mask is a random
draw per batch, not part of the chain rule being shown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine import regularization
from engine.options import ConfigError

if TYPE_CHECKING:
    from engine.trainer import Trainer

Array = np.ndarray

LINK_RULE = "∂L/∂w = a(below) · ∂L/∂z(above)"
BIAS_RULE = "∂L/∂b = ∂L/∂z"
BACK_RULE = "∂L/∂a = Σ over links above of w · ∂L/∂z(above)"
NODE_RULE = "∂L/∂z = ∂L/∂a · f′(z)"
PERCEPTRON_RULE = "error = ŷ − t (the thresholded prediction minus the target; 0 if right)"
PENALTY_RULES = {
    "l1": "then w ← sign(w)·max(|w| − lr·rate, 0): towards zero, stopping at 0",
    "l2": "then w ← w − lr·rate·w",
}


def trace_step(trainer: Trainer, index: int) -> dict[str, Any]:
    """Forward, loss, backward and update of one training step on point `index` alone.

    Parameters
    ----------
    trainer : Trainer
        Read only; its weights, optimizer and schedule are not changed.
    index : int
        A point of `trainer.dataset` (0 <= index < number of points), any split.

    Returns
    -------
    dict
        ``point`` (index, split, x, label), ``inputs`` (feature names and values),
        ``layers``: per weight layer k, the activation and, per node above, ``z``,
        ``a``, ``slope`` = f′(z), ``dz`` = ∂L/∂z, ``da`` = ∂L/∂a (hidden layers), and
        per link ``weights`` / ``weights_grad`` / ``weights_after`` (d_in, d_out),
        ``biases`` / ``bias_grad`` / ``bias_after`` (d_out,); ``output`` (o, target,
        loss); ``update`` (learning rate, optimizer, regularization); ``rules`` (the
        local rule behind each kind of number, in words).
    """
    with np.errstate(all="ignore"):  # a diverged network gives inf/nan, not warnings
        return _trace(trainer, index)


def _trace(trainer: Trainer, index: int) -> dict[str, Any]:
    net, data, cfg = trainer.network, trainer.data, trainer.config
    row, split = _row_of(trainer, index)
    x, t = data.x[row : row + 1], data.t[row : row + 1]

    # Forward: z_k = a_{k-1} W_k + b_k, a_k = f_k(z_k); the head's activation on top.
    functions = [*net.activations, net.head]
    below, zs, outs = x, [], []
    for w, b, f in zip(net.weights, net.biases, functions, strict=True):
        z = below @ w + b
        below = f.forward(z)
        zs.append(z)
        outs.append(below)
    loss = float(net.head.loss(zs[-1], outs[-1], t)[0])

    # Backward: the head gives dL/dz on top; each layer passes dL/da = W dL/dz down.
    perceptron = trainer.optimizer.criterion == "perceptron"
    dz = (net.head.perceptron_delta if perceptron else net.head.delta)(zs[-1], outs[-1], t)
    delta_rule = PERCEPTRON_RULE if perceptron else net.head.delta_rule
    dzs, das, slopes = [dz], [None], [None]
    for k in range(net.depth - 1, 0, -1):
        da = dz @ net.weights[k].T
        slope = net.activations[k - 1].derivative(zs[k - 1], outs[k - 1])
        dz = da * slope
        dzs.insert(0, dz)
        das.insert(0, da)
        slopes.insert(0, slope)
    grads = np.concatenate(
        [np.outer(a[0], d[0]).ravel() for a, d in zip([x, *outs[:-1]], dzs, strict=True)]
        + [d[0] for d in dzs]
    )
    after, lr = _updated(trainer, grads)

    layers = []
    offset = 0
    bias_offset = net.weight_count
    for k, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        size = w.size
        hidden = k < net.depth - 1
        layers.append(
            {
                "activation": net.activations[k].name if hidden else net.head.kind,
                "z": zs[k][0].tolist(),
                "a": outs[k][0].tolist(),
                "slope": slopes[k][0].tolist() if hidden else None,
                "da": das[k][0].tolist() if hidden else None,
                "dz": dzs[k][0].tolist(),
                "weights": w.tolist(),
                "weights_grad": grads[offset : offset + size].reshape(w.shape).tolist(),
                "weights_after": after[offset : offset + size].reshape(w.shape).tolist(),
                "biases": b.tolist(),
                "bias_grad": grads[bias_offset : bias_offset + b.size].tolist(),
                "bias_after": after[bias_offset : bias_offset + b.size].tolist(),
                "rule": net.activations[k].derivative_rule if hidden else delta_rule,
            }
        )
        offset += size
        bias_offset += b.size
    dataset = trainer.dataset
    reg = cfg.regularization if cfg.regularization_rate > 0.0 else "none"
    return {
        "point": {
            "index": index,
            "split": split,
            "x": dataset.x[index].tolist(),
            "label": dataset.y[index].item(),
        },
        "inputs": [
            {"feature": name, "value": float(v)} for name, v in zip(cfg.features, x[0], strict=True)
        ],
        "layers": layers,
        "output": {"o": outs[-1][0].tolist(), "target": t[0].tolist(), "loss": loss},
        "update": {
            "learning_rate": lr,
            "optimizer": cfg.optimizer,
            "regularization": reg,
            "rate": cfg.regularization_rate if reg != "none" else 0.0,
        },
        "rules": {
            "link": LINK_RULE,
            "bias": BIAS_RULE,
            "back": BACK_RULE,
            "node": NODE_RULE,
            "loss": delta_rule,
            "update": trainer.optimizer.update_rule + _penalty_rule(reg),
        },
    }


def _row_of(trainer: Trainer, index: int) -> tuple[int, str]:
    """The row of point `index` in the prepared data (ordered train | val | test)."""
    dataset = trainer.dataset
    count = len(dataset.y)
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < count:
        raise ConfigError("index", f"a point index from 0 to {count - 1}", index)
    start = 0
    for split in ("train", "val", "test"):
        rows = getattr(dataset, split)
        hits = np.flatnonzero(rows == index)
        if hits.size:
            return start + int(hits[0]), split
        start += len(rows)
    raise ConfigError("index", "a point in the train, validation or test split", index)


def _updated(trainer: Trainer, grads: Array) -> tuple[Array, float]:
    """The parameters after one step on `grads`, from copies; and the learning rate used."""
    cfg, net = trainer.config, trainer.network
    lr = trainer.schedule.learning_rate(cfg.learning_rate, trainer.epoch, cfg)
    optimizer = type(trainer.optimizer)(net.params.size, net.weight_count)
    optimizer.load_state_dict(trainer.optimizer.state_dict())
    params = net.params.copy()
    before = params[: net.weight_count].copy()
    optimizer.step(params, grads, lr, cfg)
    regularization.apply(
        before, params[: net.weight_count], lr, cfg.regularization_rate, cfg.regularization
    )
    return params, lr


def _penalty_rule(name: str) -> str:
    rule = PENALTY_RULES.get(name)
    return f"; {rule}" if rule else ""

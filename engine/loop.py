"""The training loop: mini-batches, epochs, divergence and early stopping.

Functions of a `Trainer` (kept apart so the hot loop reads on one screen). The step is
bound by Python call overhead, not arithmetic, so the loop binds everything it touches to
locals and every NumPy call writes into preallocated buffers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from engine import regularization

if TYPE_CHECKING:
    from engine.trainer import Trainer

LEARNING_RATE_LADDER = (1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def train_epochs(t: Trainer, n: int) -> int:
    """Run up to `n` epochs (finishing a partial one first); returns how many completed."""
    done = 0
    with np.errstate(all="ignore"):  # overflow is caught below as divergence, not warned
        while done < n and t.status == "ok" and len(t.dataset.train):
            epoch = t.epoch
            _run(t, math.inf)
            done += t.epoch - epoch  # a diverged epoch is undone and does not count
    return done


def train_batches(t: Trainer, n: int) -> int:
    """Run `n` mini-batches; returns how many ran (fewer if training stopped)."""
    done = 0
    with np.errstate(all="ignore"):
        while done < n and t.status == "ok" and len(t.dataset.train):
            done += _run(t, n - done)
    return done


def _run(t: Trainer, max_batches: float) -> int:
    """Run mini-batches until the epoch ends or `max_batches` ran; returns how many ran.

    When the epoch completes, its losses are recorded (and training may stop: `t.status`).
    """
    cfg = t.config
    net = t.network
    params, grads = net.params, net.grads
    n_train = t.data.n_train
    if t._cursor == 0:
        _start_epoch(t)
    batch = min(cfg.batch_size, n_train)
    lr = t.schedule.learning_rate(cfg.learning_rate, t.epoch, cfg)
    regularize = cfg.regularization != "none" and cfg.regularization_rate > 0.0
    weights, before = params[: net.weight_count], t._weights_before
    rate, reg_name, scratch = cfg.regularization_rate, cfg.regularization, t._reg_scratch
    dropout_rng = t._dropout_rng if any(net.dropout) else None
    forward, backward, step = net.forward, net.backward, t.optimizer.step
    output_delta = t.head.perceptron_delta if t.optimizer.criterion == "perceptron" else None
    start = t._cursor
    batches = _batches(t, batch, start)
    if max_batches < len(batches):
        batches = batches[: int(max_batches)]
    for xb, tb, scale, _ in batches:
        backward(xb, tb, forward(xb, dropout_rng), scale, output_delta)
        if regularize:
            np.copyto(before, weights)
        step(params, grads, lr, cfg)
        if regularize:
            regularization.apply(before, weights, lr, rate, reg_name, scratch)
    ran = len(batches)
    if ran:
        start = batches[-1].stop
    t._cursor = start
    if start < n_train:
        if not math.isfinite(float(params.sum())):
            _diverge(
                t, lr, "nonfinite", f"The weights became NaN or infinite in epoch {t.epoch + 1}"
            )
            return 0  # the epoch was rolled back: its batches did not happen
        return ran
    t._cursor = 0
    epoch = t.epoch
    _finish_epoch(t, lr)
    return ran if t.epoch > epoch else 0


class Batch(NamedTuple):
    """One mini-batch: inputs, targets, 1/rows (a 0-d array), and the row after it."""

    x: np.ndarray
    t: np.ndarray
    scale: np.ndarray
    stop: int


def _batches(t: Trainer, size: int, start: int) -> list[Batch]:
    """The epoch's mini-batches of `size` rows from row `start` on (the first batch starts
    at ``start % size``), as views of the epoch buffers.

    Made once per data, batch size and offset rather than sliced anew every step (the views
    follow the buffers' contents, which `gather` rewrites in place), and kept with the
    network's buffers for batches of that size: released with them, so a paused session
    keeps none. The 1/rows scales are 0-d arrays: a Python float is converted every call.
    """
    ws = t.network.workspace(size)
    data, offset = t.data, start % size
    if ws.batches is None or ws.batches[0] is not data or ws.batches[1] != offset:
        n = data.n_train
        bounds = [(a, min(a + size, n)) for a in range(offset, n, size)]
        scales = {rows: np.array(1.0 / rows) for rows in {b - a for a, b in bounds}}
        xs, ts = data.epoch_x, data.epoch_t
        views = [Batch(xs[a:b], ts[a:b], scales[b - a], b) for a, b in bounds]
        ws.batches = (data, offset, views)
    return ws.batches[2][start // size :]


def _start_epoch(t: Trainer) -> None:
    """Gather this epoch's training order into the contiguous epoch buffers."""
    note_start(t)
    t.data.gather(epoch_order(t))
    np.copyto(t._backup, t.network.params)


def note_start(t: Trainer) -> None:
    """Remember the training loss of the weights the run starts from (once per run)."""
    if t._watch.start is None:
        t._watch.start = split_losses(t)["train"]  # what "worse than the start" compares to


def epoch_order(t: Trainer) -> np.ndarray:
    """The training rows' order for the coming epoch (drawn from the shuffle stream)."""
    n_train = t.data.n_train
    return t._shuffle_rng.permutation(n_train) if t.config.shuffle else np.arange(n_train)


def split_losses(t: Trainer) -> dict[str, float | None]:
    """Mean data loss of the current weights on each split (None for an empty split)."""
    net = t.network
    ws = net.forward(t.data.x)
    per_point = t.head.loss(ws.z[-1], ws.h[-1], t.data.t)
    out: dict[str, float | None] = {}
    for name, rows in t.data.splits.items():
        count = rows.stop - rows.start
        out[name] = float(np.add.reduce(per_point[rows])) / count if count else None
    return out


class EpochEnd(NamedTuple):
    """What an epoch's end is judged on, measured on the epoch's final weights."""

    losses: dict[str, float | None]  # mean data loss of each split (`split_losses`)
    finite: bool  # whether every weight is finite
    evaluated: Any  # the pass that measured the losses: `z`, `h` per layer over every point


def epoch_end(t: Trainer) -> EpochEnd:
    """This trainer's `EpochEnd`, measured alone (engine.cohort measures a cohort's at once)."""
    losses = split_losses(t)
    finite = math.isfinite(float(t.network.params.sum()))
    return EpochEnd(losses, finite, t.network.workspace(t.data.x.shape[0]))


def _finish_epoch(t: Trainer, lr: float, end: EpochEnd | None = None) -> None:
    """Record the epoch's losses; handle divergence and early stopping."""
    end = epoch_end(t) if end is None else end
    losses = end.losses
    train_loss = losses["train"]
    watch = t._watch
    if not (math.isfinite(train_loss) and end.finite):
        what = "NaN" if math.isnan(train_loss) else "infinite"
        _diverge(t, lr, "nonfinite", f"The loss became {what} at epoch {t.epoch + 1}")
        return
    if watch.exploded(train_loss):
        what = (
            f"The loss exploded to {train_loss:.3g} at epoch {t.epoch + 1} (from {watch.start:.3g})"
        )
        _diverge(t, lr, "exploded", what)
        return
    t.epoch += 1
    val_loss = losses["val"]
    t._history.record(t.epoch, train_loss, losses["test"], val_loss)
    t.schedule.observe(t.epoch, train_loss if val_loss is None else val_loss, t.config)
    if t.config.early_stopping and val_loss is not None:
        _track_best(t, val_loss)
    if t.status == "ok":
        train = t.data.splits["train"]
        reason = watch.collapse_reason(train_loss, t.network, end.evaluated, train)
        if reason:
            _collapse(t, lr, reason, train_loss)


def _track_best(t: Trainer, val_loss: float) -> None:
    """Early stopping: remember the best weights; stop after `patience` epochs without."""
    cfg = t.config
    if val_loss < t._best_val:
        t._best_val, t._best_epoch = val_loss, t.epoch
        if t._best_params is None:
            t._best_params = np.empty_like(t.network.params)
        np.copyto(t._best_params, t.network.params)
        return
    if t.epoch - t._best_epoch < cfg.patience:
        return
    message = (
        f"Stopped at epoch {t.epoch}: the validation loss has not improved for "
        f"{cfg.patience} epochs (best {t._best_val:.4f} at epoch {t._best_epoch})."
    )
    if cfg.restore_best and t._best_params is not None:
        np.copyto(t.network.params, t._best_params)
        message += f" The weights of epoch {t._best_epoch} were restored."
        # The current losses are now those of the restored weights (the history keeps the
        # trajectory as it was trained).
        restored = split_losses(t)
        t._history.last = {
            "epoch": t.epoch,
            "train_loss": restored["train"],
            "test_loss": restored["test"],
            "val_loss": restored["val"],
        }
    t._set_status("early_stopped", message)


def _diverge(t: Trainer, lr: float, kind: str, what: str) -> None:
    """Undo the diverging epoch and explain what happened and what to try."""
    np.copyto(t.network.params, t._backup)
    t._cursor = 0
    t._new_optimizer()  # its running averages are polluted by the non-finite gradients
    if _lower_rate(lr) is not None:
        advice = (
            f"learning rate {lr:g} is too high for this network. "
            f"Lower it (try {_lower_rate(lr):g}) and press reset."
        )
    else:
        # The rate is already tiny: an edited weight or extreme inputs blew up instead.
        advice = (
            f"the weights grew too large (learning rate {lr:g}). Press reset; if it "
            "happens again, use fewer layers or smaller inputs."
        )
    t._set_status("diverged", f"{what}: {advice}")
    t._watch.kind = kind


def _collapse(t: Trainer, lr: float, reason: str, loss: float) -> None:
    """Stop a collapsed run (the weights stay, to be looked at) and say what to try."""
    lower = _lower_rate(lr)
    advice = (
        f"Learning rate {lr:g} is probably too high: lower it (try {lower:g}) and press reset."
        if lower is not None
        else "Press reset, or try another seed or initialisation."
    )
    t._set_status(
        "diverged",
        f"The network collapsed at epoch {t.epoch}: {reason}, so almost no gradient flows "
        f"and the loss ({loss:.3g}) is no lower than at the start ({t._watch.start:.3g}). "
        + advice,
    )
    t._watch.kind = "collapsed"


def _lower_rate(lr: float) -> float | None:
    """A learning rate to suggest instead of `lr`: at most lr/10 and 0.03 (None if tiny)."""
    lower = [v for v in LEARNING_RATE_LADDER if v <= lr / 10]
    return min(0.03, lower[-1]) if lower else None

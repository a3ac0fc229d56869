"""Cohort training: trainers of one shape step together, one set of NumPy calls for all.

A lecture hall runs many copies of the same few networks. Alone, each trainer pays NumPy's
per-call cost on tiny arrays (most of an epoch's time). Here the members' parameters,
batches and optimizer state are stacked along a first axis of length S, so a product is one
`np.matmul` over (S, batch, d) arrays and an update is one ufunc call over (S, P): S
trainers cost about one trainer's calls.

Each member follows exactly the trajectory it would follow alone: its own data, shuffle
order, dropout masks (drawn from its own generator in the same order), learning rate,
schedule, hyper-parameters and optimizer step count. The epoch's end is measured for the
whole cohort in one pass over every point (each member's train/val/test loss, whether its
weights are finite), then judged by the same per-trainer code as alone (history,
divergence, collapse, early stopping). `np.matmul` over a stack multiplies each (batch, d)
slice with the same BLAS kernel as the lone `ndarray.dot`, so results are equal bit for bit
(tests/engine/test_cohort.py checks this for every activation, head and optimizer); should
a BLAS build ever batch differently, the summation order of those products is the only
place a difference could enter. The stacked buffers are kept for the cohort's next epoch
(engine.scratch).

Usage: ``train_epochs(trainers, n)`` trains every trainer up to n epochs, grouping those
with equal `cohort_key` and training the rest alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import loop, regularization
from engine.optimizers import OPTIMIZERS
from engine.stacked import Stack, StackedData

if TYPE_CHECKING:
    from engine.trainer import Trainer

Array = np.ndarray
STACKED_FIELDS = ("momentum", "rho", "beta1", "beta2", "epsilon", "weight_decay")
# Optimizers whose step also runs on stacked (members, P) params (engine.optimizers).
STACKABLE = frozenset({"sgd", "momentum", "rmsprop", "adam", "adamw"})


def cohort_key(t: Trainer) -> tuple[Any, ...] | None:
    """Trainers with equal keys can train together; None: this one trains alone."""
    cfg, net = t.config, t.network
    n_train = t.data.n_train
    if t.status != "ok" or not n_train or cfg.optimizer not in STACKABLE:
        return None
    penalty = cfg.regularization if cfg.regularization_rate > 0.0 else "none"
    return (
        net.sizes,
        tuple(a.name for a in net.activations),
        type(t.head),
        net.dropout,
        cfg.optimizer,
        cfg.optimizer == "momentum" and cfg.nesterov,
        min(cfg.batch_size, n_train),
        n_train,
        penalty,
    )


def train_epochs(trainers: Sequence[Trainer], n: int) -> list[int]:
    """Train each trainer up to `n` epochs, as `Trainer.train_epochs` would; epochs each ran.

    Trainers of one `cohort_key` train together; a member that diverges or stops early
    leaves its cohort (and stays stopped, as alone); the others go on.
    """
    done = {id(t): 0 for t in trainers}
    with np.errstate(all="ignore"):  # overflow is divergence, caught per member
        for t in trainers:
            if t.batch_position and t.status == "ok" and n > 0:
                done[id(t)] += t.train_epochs(1)  # finish a partial epoch alone first
        for _ in range(n):
            groups: dict[tuple[Any, ...], list[Trainer]] = {}
            for t in trainers:
                if done[id(t)] >= n or t.status != "ok" or not t.data.n_train:
                    continue
                key = cohort_key(t)
                # A trainer that cannot stack (e.g. the perceptron rule) trains alone.
                groups.setdefault(("alone", id(t)) if key is None else key, []).append(t)
            if not groups:
                break
            for members in groups.values():
                before = [t.epoch for t in members]
                if len(members) == 1:
                    members[0].train_epochs(1)
                else:
                    _stacked_epoch(members)
                for t, epoch in zip(members, before, strict=True):
                    done[id(t)] += t.epoch - epoch
    return [done[id(t)] for t in trainers]


def _stacked_epoch(members: list[Trainer]) -> None:
    """One epoch of every member (each at an epoch's start) with stacked arrays."""
    first = members[0]
    net, cfg = first.network, first.config
    for t in members:
        loop.note_start(t)
    data = StackedData(members)
    xs, ts = data.shuffled(members)
    for t in members:
        np.copyto(t._backup, t.network.params)
    size, weight_count = net.params.size, net.weight_count
    lrs = [t.schedule.learning_rate(t.config.learning_rate, t.epoch, t.config) for t in members]
    lr = np.array(lrs)[:, None]
    hyper = SimpleNamespace(
        nesterov=cfg.nesterov,
        **{f: np.array([getattr(t.config, f) for t in members])[:, None] for f in STACKED_FIELDS},
    )
    params = np.stack([t.network.params for t in members])
    optimizer = OPTIMIZERS[cfg.optimizer](size, weight_count, len(members))
    for row, t in enumerate(members):
        optimizer._state[:, row] = t.optimizer._state
        optimizer.steps[row] = t.optimizer.steps
    stack = Stack(members, params)
    penalty = cfg.regularization if cfg.regularization_rate > 0.0 else "none"
    if penalty != "none":
        factor = lr * np.array([t.config.regularization_rate for t in members])[:, None]
        weights = params[:, :weight_count]
        before = np.empty_like(weights)
        scratch = regularization.RegularizationScratch(weights.shape)
    n_train, batch = first.data.n_train, min(cfg.batch_size, first.data.n_train)
    rngs = [t._dropout_rng for t in members] if any(net.dropout) else None
    for start in range(0, n_train, batch):
        stop = min(start + batch, n_train)
        xb = xs[:, start:stop]
        stack.backward(xb, ts[:, start:stop], stack.forward(xb, rngs), 1.0 / (stop - start))
        if penalty != "none":
            np.copyto(before, weights)
        optimizer.step(params, stack.grads, lr, hyper)
        if penalty != "none":
            regularization.penalty_step(before, weights, factor, penalty, scratch)
    ends = data.epoch_ends(stack, params)
    for row, t in enumerate(members):
        np.copyto(t.network.params, params[row])
        t.optimizer._state[...] = optimizer._state[:, row]
        t.optimizer.steps = int(optimizer.steps[row, 0])
        t._cursor = 0
        loop._finish_epoch(t, lrs[row], ends[row])

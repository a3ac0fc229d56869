"""Learning-rate schedules: the learning rate of each epoch from the base rate.

One schedule object lives with the trainer::

    schedule = SCHEDULES[cfg.schedule]()
    lr = schedule.learning_rate(cfg.learning_rate, epoch, cfg)  # epoch = completed epochs
    ...train one epoch...
    schedule.observe(epoch + 1, monitored_loss, cfg)

The configuration is read on every call, so live changes apply at the next epoch. With
``base`` the base rate, ``e`` the completed epochs and the ``cfg.schedule_*`` fields:

- ``constant``: base.
- ``step``: base * gamma ** (e // step).
- ``exponential``: base * gamma ** e.
- ``cosine`` (SGDR, Loshchilov & Hutter 2017, with warm restarts every period):
  floor + (base - floor) * (1 + cos(pi * (e mod step) / step)) / 2. Each period starts at
  base and decays to just above the floor; the next epoch restarts at base.
- ``reduce_on_plateau``: base times a factor (initially 1) that is multiplied by gamma once
  ``patience`` consecutive observed losses have not improved (strictly below the best so
  far; a NaN never improves), but not below the floor (relative to ``cfg.learning_rate``).
  The count then restarts, and the best loss is kept.

The floor is ``min(schedule_min_lr, base)``: it stops a decay but never raises the rate
above the base one. ``step`` and ``exponential`` have no floor (gamma >= 0.01 keeps them
positive for any realistic epoch count).
"""

from __future__ import annotations

import math
from typing import Any


class Schedule:
    """Base class of the stateless schedules; ``observe`` is a no-op for them."""

    name = ""

    def learning_rate(self, base_lr: float, epoch: int, cfg: Any) -> float:
        """Learning rate for the epoch after ``epoch`` completed epochs."""
        raise NotImplementedError

    def observe(self, epoch: int, monitored_loss: float, cfg: Any) -> None:
        """Record the loss reached after ``epoch`` completed epochs."""

    def state_dict(self) -> dict:
        """JSON-able state (the name only, for a stateless schedule)."""
        return {"name": self.name}

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict()``."""
        if state.get("name") != self.name:
            raise ValueError(f"schedule state is for {state.get('name')!r}, not {self.name!r}")


class Constant(Schedule):
    """The base learning rate, unchanged."""

    name = "constant"

    def learning_rate(self, base_lr: float, epoch: int, cfg: Any) -> float:
        """Learning rate for the epoch after ``epoch`` completed epochs."""
        return base_lr


class StepDecay(Schedule):
    """Multiply by ``schedule_gamma`` every ``schedule_step`` epochs."""

    name = "step"

    def learning_rate(self, base_lr: float, epoch: int, cfg: Any) -> float:
        """Learning rate for the epoch after ``epoch`` completed epochs."""
        return base_lr * cfg.schedule_gamma ** (epoch // cfg.schedule_step)


class Exponential(Schedule):
    """Multiply by ``schedule_gamma`` every epoch."""

    name = "exponential"

    def learning_rate(self, base_lr: float, epoch: int, cfg: Any) -> float:
        """Learning rate for the epoch after ``epoch`` completed epochs."""
        return base_lr * cfg.schedule_gamma**epoch


class Cosine(Schedule):
    """Cosine annealing from the base rate to the floor, restarting every period."""

    name = "cosine"

    def learning_rate(self, base_lr: float, epoch: int, cfg: Any) -> float:
        """Learning rate for the epoch after ``epoch`` completed epochs."""
        floor = min(cfg.schedule_min_lr, base_lr)
        period = cfg.schedule_step
        phase = (epoch % period) / period
        return floor + (base_lr - floor) * 0.5 * (1.0 + math.cos(math.pi * phase))


class ReduceOnPlateau(Schedule):
    """Cut the rate by ``schedule_gamma`` after ``schedule_patience`` epochs of no progress."""

    name = "reduce_on_plateau"

    def __init__(self) -> None:
        self.best: float | None = None  # lowest loss observed; None before the first
        self.bad_epochs = 0  # consecutive observations not below best since the last cut
        self.factor = 1.0  # product of the cuts so far; the rate is base * factor

    def learning_rate(self, base_lr: float, epoch: int, cfg: Any) -> float:
        """Learning rate for the epoch after ``epoch`` completed epochs."""
        # Clamped here too, since the floor and the base rate may change live.
        return max(base_lr * self.factor, min(cfg.schedule_min_lr, base_lr))

    def observe(self, epoch: int, monitored_loss: float, cfg: Any) -> None:
        """Record the loss reached after ``epoch`` completed epochs; cut the rate if stalled."""
        if self.best is None or monitored_loss < self.best:
            self.best = float(monitored_loss)
            self.bad_epochs = 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= cfg.schedule_patience:
            # Cut the current rate but stop at the floor, so that a floor lowered later
            # resumes from the rate in use rather than jumping to a far smaller one.
            base_lr = cfg.learning_rate
            floor_factor = min(cfg.schedule_min_lr, base_lr) / base_lr
            self.factor = max(self.factor * cfg.schedule_gamma, floor_factor)
            self.bad_epochs = 0

    def state_dict(self) -> dict:
        """JSON-able state: best loss (None before any), bad-epoch count and factor."""
        return {
            "name": self.name,
            "best": self.best,
            "bad_epochs": self.bad_epochs,
            "factor": self.factor,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict()``."""
        super().load_state_dict(state)
        best, bad_epochs, factor = state.get("best"), state.get("bad_epochs"), state.get("factor")
        if best is not None and not isinstance(best, int | float):
            raise ValueError(f"schedule state 'best' must be a number or None, got {best!r}")
        if not isinstance(bad_epochs, int) or bad_epochs < 0:
            raise ValueError(f"schedule state 'bad_epochs' must be an int >= 0, got {bad_epochs!r}")
        if not isinstance(factor, int | float) or not 0.0 <= factor <= 1.0:
            raise ValueError(f"schedule state 'factor' must be in [0, 1], got {factor!r}")
        self.best = None if best is None else float(best)
        self.bad_epochs = bad_epochs
        self.factor = float(factor)


SCHEDULES: dict[str, type[Schedule]] = {
    schedule.name: schedule
    for schedule in (Constant, StepDecay, Exponential, Cosine, ReduceOnPlateau)
}

"""How a session trains in slices the scheduler can interleave, and how long its turns take.

`SessionTraining` is a part of `app.session.Session` (the fields it reads and sets are made
and described in `Session.__init__`); `app.pacing` and `app.cohorts` drive it.
"""

from __future__ import annotations

import math

from app.budget import cpu_clock


class SessionTraining:
    """The training side of a `Session`: slices, their measured cost, and frame targets."""

    def train_slice(self, max_epochs: int, budget: float) -> int:
        """Train towards `max_epochs` more epochs for about `budget` seconds; epochs completed.

        Whole epochs when one fits the budget; otherwise mini-batches, never past the end of
        the current epoch, so that `step` stays exact and the loop is never held long.
        """
        if self.epoch_cost > 2 * budget:
            before = self.trainer.epoch
            self.train_batches(self.batches_left_in_epoch(), budget)
            return self.trainer.epoch - before
        count = max(1, min(max_epochs, int(budget / self.epoch_cost)))
        start = cpu_clock()
        done = self.trainer.train_epochs(count)
        self.cohort_size = 1
        self.trained(cpu_clock() - start, done)
        return done

    def trained(self, elapsed: float, epochs: int) -> None:
        """`epochs` whole epochs ran for `elapsed` seconds of this session's CPU."""
        if epochs > 0:
            self._observe_cost(elapsed, epochs)
        else:
            self.cpu.spend(elapsed)
        self._after_training(epochs)

    def train_batches(self, max_batches: int, budget: float) -> int:
        """Train up to `max_batches` mini-batches for about `budget` seconds (at least one)."""
        per_epoch = self.batches_per_epoch()
        count = max(1, min(max_batches, int(budget / self.epoch_cost * per_epoch)))
        before = self.trainer.epoch
        start = cpu_clock()
        ran = self.trainer.train_batches(count)
        self.cohort_size = 1
        if ran > 0:
            self._observe_cost(cpu_clock() - start, ran / per_epoch)
        self._after_training(self.trainer.epoch - before)
        return ran

    def _observe_cost(self, elapsed: float, epochs: float) -> None:
        self.cpu.spend(elapsed)
        # Smoothed, but it follows a config change (a bigger network) within a few slices.
        self.epoch_cost = 0.5 * self.epoch_cost + 0.5 * elapsed / epochs

    def _after_training(self, epochs: int) -> None:
        self.on_epochs(epochs)
        if self.trainer.status != "ok" and self.playing:
            self.playing = False
            self.broadcast(self.status_message())

    def batches_per_epoch(self) -> int:
        train = len(self.trainer.dataset.train)
        return max(1, math.ceil(train / max(1, min(self.trainer.config.batch_size, train))))

    def batches_left_in_epoch(self) -> int:
        train = len(self.trainer.dataset.train)
        size = max(1, min(self.trainer.config.batch_size, train))
        return max(1, math.ceil((train - self.trainer.batch_position) / size))

    def frame_target(self) -> tuple[int, bool]:
        """The epoch the frame under way (or the next) ends at, and whether that is the run's
        stop_at, where play pauses."""
        start = self.trainer.epoch if self.frame_start_epoch is None else self.frame_start_epoch
        target = start + self.view["epochs_per_frame"]
        to_stop = self.trainer.epochs_to_stop()
        if to_stop:  # stop_at lies ahead: the frame ends there
            return min(target, self.trainer.epoch + to_stop), True
        return target, False

    def turn_cost(self) -> float:
        """About how long this session's next turn holds the loop: a frame's training (at
        most a slice) and its last frame's cost."""
        training = min(self.slice_budget(), self.epoch_cost * self.view["epochs_per_frame"])
        return training + self.frame_cost

    def turn_at(self) -> float:
        """When this session's step or compare may train again: once its CPU debt is repaid
        (app.budget) while another session wants the CPU; at once when none does (the idle
        CPU repays the debt, as Scheduler.lend_idle does for playing sessions)."""
        now = self.clock()
        ready = self.cpu.ready_at()
        if ready > now and not self.contended(self):
            self.cpu.advance(ready - now)
            return now
        return ready

    def slice_budget(self) -> float:
        return self.settings.slice_ms / 1000.0

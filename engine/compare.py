"""Variants of one run trained side by side on the same data, and their ensemble.

A variant is the base configuration with some fields changed (``{"optimizer": "adam"}``)
or only another ``seed``. Each variant is an ordinary `Trainer`, so a variant trained here
follows exactly the trajectory it would follow alone. Data fields cannot differ: the point
of a comparison is the same points under different training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine import cohort
from engine.config import Config
from engine.datasets import Dataset
from engine.options import DATA_FIELDS, ConfigError
from engine.trainer import Trainer

MIN_VARIANTS, MAX_VARIANTS = 2, 4


class Variants:
    """Two to four trainers: the base configuration with each variant's changes.

    Parameters
    ----------
    base : Config
        The run being compared.
    changes : sequence of mappings
        One mapping of config fields per variant (an empty one is the base itself).
    dataset : Dataset, optional
        User data shared by every variant; None generates the base's dataset.
    """

    def __init__(
        self, base: Config, changes: Sequence[Mapping[str, Any]], dataset: Dataset | None = None
    ) -> None:
        if not MIN_VARIANTS <= len(changes) <= MAX_VARIANTS:
            raise ConfigError(
                "variants", f"a list of {MIN_VARIANTS} to {MAX_VARIANTS} variants", len(changes)
            )
        for change in changes:
            data = sorted(set(change) & DATA_FIELDS)
            if data:
                raise ConfigError("variants", "changes to training fields only", data[0])
        self.base = base
        self.changes = [dict(change) for change in changes]
        self.trainers = [
            Trainer(Config.from_dict(change, base=base), dataset) for change in self.changes
        ]

    @classmethod
    def seeds(cls, base: Config, count: int, dataset: Dataset | None = None) -> Variants:
        """`count` runs of the base that differ only in `seed` (base.seed, base.seed + 1, ...)."""
        return cls(base, [{"seed": base.seed + i} for i in range(count)], dataset)

    @property
    def labels(self) -> list[str]:
        """A short name per variant, from its changes ("optimizer adam", "seed 3", "base")."""
        return [
            ", ".join(f"{key} {value}" for key, value in change.items()) or "base"
            for change in self.changes
        ]

    def train_epochs(self, n: int) -> list[int]:
        """Train every variant up to `n` epochs; how many each ran.

        Variants of one network shape (the seeds form) step together (`engine.cohort`),
        each exactly as it would alone.
        """
        return cohort.train_epochs(self.trainers, n)

    def ensemble_output(
        self, n: int = 100, outputs: Sequence[np.ndarray] | None = None
    ) -> np.ndarray:
        """The members' output maps averaged: float32 (n, n), or (n, n, K).

        `outputs`: the members' n×n output maps when the caller has them already.
        """
        self._same_head()
        if outputs is None:
            outputs = [trainer.grid(n).output for trainer in self.trainers]
        return np.mean(outputs, axis=0, dtype=np.float64).astype(np.float32)

    def ensemble_accuracy(self) -> float | None:
        """Test accuracy of the averaged outputs (None for regression or no test points)."""
        head = self._same_head()
        data = self.trainers[0].data  # the same points for every variant
        rows = data.splits["test"]
        if self.base.problem != "classification" or rows.stop == rows.start:
            return None
        outputs = [
            trainer.network.forward(trainer.data.x[rows]).h[-1].copy() for trainer in self.trainers
        ]
        predicted = head.predict(np.mean(outputs, axis=0))
        return float(np.mean(predicted == data.y[rows]))

    def _same_head(self):
        heads = [trainer.head for trainer in self.trainers]
        first = heads[0]
        if any(type(h) is not type(first) or h.units != first.units for h in heads):
            raise ConfigError("variants", "the same loss and outputs for an ensemble", "mixed")
        return first

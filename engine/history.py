"""The loss history of a run, bounded by decimation however long the run plays.

A classroom run can play for an hour at ~1000 epochs/s, and its history is serialised in
every export, so it must not grow with the run. It keeps at most `HISTORY_POINTS` entries
that always span the whole run at uniform spacing: the recorded epochs are the multiples
of `stride`. When one more entry would pass the bound, every other entry is dropped (the
odd multiples of the stride) and the stride doubles. So after E completed epochs the
stride is the smallest power of two with E // stride <= HISTORY_POINTS, and the entries
are epochs stride, 2·stride, ..., (E // stride)·stride: the full history sampled at the
stride.

Nothing in training reads the history (early stopping and `reduce_on_plateau` keep their
own running best), so decimation changes no training decision.
"""

from __future__ import annotations

from typing import Any

HISTORY_POINTS = 2000
LOSSES = ("train_loss", "test_loss", "val_loss")


class History:
    """Per-epoch losses, sampled at a doubling stride to keep at most `limit` entries.

    Parameters
    ----------
    limit : int
        The bound on entries; even, so that halving keeps exactly the multiples of the new
        stride.
    """

    def __init__(self, limit: int = HISTORY_POINTS) -> None:
        if limit < 2 or limit % 2:
            raise ValueError(f"history limit must be an even number >= 2, got {limit}")
        self.limit = limit
        self.stride = 1  # entries are the epochs that are multiples of this
        # Parallel lists: entry i is epoch series["epochs"][i]. A loss is None for an
        # empty split.
        self.series: dict[str, list[Any]] = {"epochs": [], **{name: [] for name in LOSSES}}
        # The latest completed epoch's losses, recorded in `series` or not (None before
        # the first), so a caller can show the current losses whatever the stride.
        self.last: dict[str, Any] | None = None

    def record(
        self, epoch: int, train_loss: float, test_loss: float | None, val_loss: float | None
    ) -> None:
        """Note the losses of completed epoch `epoch` (1-based, one call per epoch in order)."""
        self.last = {
            "epoch": epoch,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "val_loss": val_loss,
        }
        if epoch % self.stride:
            return
        series = self.series
        if len(series["epochs"]) >= self.limit:
            for values in series.values():
                del values[::2]  # keeps the entries at even multiples of the stride
            self.stride *= 2
            if epoch % self.stride:
                return
        series["epochs"].append(epoch)
        series["train_loss"].append(train_loss)
        series["test_loss"].append(test_loss)
        series["val_loss"].append(val_loss)

    def state_dict(self) -> dict[str, Any]:
        """JSON-able: the lists, `stride` and `last`."""
        state: dict[str, Any] = {name: list(values) for name, values in self.series.items()}
        state["stride"] = self.stride
        state["last"] = None if self.last is None else dict(self.last)
        return state

    @classmethod
    def from_state_dict(
        cls, state: dict[str, Any], epoch: int, limit: int = HISTORY_POINTS
    ) -> History:
        """Rebuild a `state_dict()` of a run that has completed `epoch` epochs.

        A state saved before decimation existed (no "epochs": one entry per epoch from 1)
        is replayed through `record`, so it ends as a new run would have.

        Raises
        ------
        ValueError
            If the lists do not fit the stride, the bound and `epoch`.
        """
        history = cls(limit)
        losses = {name: list(state[name]) for name in LOSSES}
        count = len(losses["train_loss"])
        if any(len(values) != count for values in losses.values()):
            raise ValueError("history lists must have the same length")
        if "epochs" not in state:
            for i, entry in enumerate(zip(*losses.values(), strict=True)):
                history.record(i + 1, *entry)
            return history
        stride, epochs = state["stride"], list(state["epochs"])
        if not isinstance(stride, int) or stride < 1 or stride & (stride - 1):
            raise ValueError(f"history stride must be a power of two, got {stride!r}")
        expected = [stride * (i + 1) for i in range(epoch // stride)]
        if epochs != expected or count != len(epochs) or count > history.limit:
            raise ValueError(f"history must hold epochs {stride}, {2 * stride}, ... up to {epoch}")
        last = state["last"]
        if last is not None and set(last) != {"epoch", *LOSSES}:
            raise ValueError("history 'last' must hold epoch, train_loss, test_loss, val_loss")
        history.stride = stride
        history.series = {"epochs": epochs, **losses}
        history.last = None if last is None else dict(last)
        return history

"""Scratch arrays that outlive one call: a cohort's stacked buffers, kept for its next epoch.

A cohort's arrays over every point are large (50 default members' pre-activations over 500
points: 800 KB a layer). Allocated afresh each epoch, such arrays come from new pages of
memory, and touching them for the first time cost more than the arithmetic done in them
(measured: a cohort's end-of-epoch pass 2.4x slower than in kept buffers). So a cohort asks
`scratch()` for its arrays by name and trailing shape: each is kept (per thread, so that
cohorts trained in two threads never share one) and grows to the most members asked for;
the caller gets a contiguous view of the first `members` rows.

Bounded: at most `LIMIT` arrays and `LIMIT_BYTES` per thread, the least recently asked
for dropped first (a dropped array lives on while its caller holds it; it is then made
afresh when next asked for).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np

LIMIT = 64  # a default cohort uses about 40 (6 per layer and batch size, its data)
# A cohort of 50 default networks touches about 3 MB of them; 25 networks of 6x8 on 1,200
# points, 25 MB.
LIMIT_BYTES = 64 * 2**20
# Arrays under this size are not kept: a few batch rows, which the allocator hands out from
# memory it holds, more cheaply than the bookkeeping here. (Not much more: 64 KB arrays made
# afresh each epoch cost a cohort of 4 a fifth more time than kept ones, measured.)
SMALL_BYTES = 4 * 2**10


class Scratch:
    """Named arrays reused from one call to the next."""

    def __init__(self, limit: int = LIMIT, limit_bytes: int = LIMIT_BYTES) -> None:
        self.limit, self.limit_bytes = limit, limit_bytes
        self._arrays: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.nbytes = 0  # of the arrays kept

    def get(self, name: str, members: int, shape: tuple[int, ...]) -> np.ndarray:
        """A (members, *shape) float64 array with undefined contents, valid until `get` is
        next asked for the same name and shape (one under SMALL_BYTES is simply new)."""
        if members * math.prod(shape) * 8 < SMALL_BYTES:
            return np.empty((members, *shape))
        key = (name, shape)
        array = self._arrays.get(key)
        if array is not None and len(array) >= members:
            self._arrays.move_to_end(key)
            return array[:members]
        if array is not None:
            self.nbytes -= self._arrays.pop(key).nbytes
        array = self._arrays[key] = np.empty((members, *shape))
        self.nbytes += array.nbytes
        while len(self._arrays) > self.limit or self.nbytes > self.limit_bytes:
            self.nbytes -= self._arrays.popitem(last=False)[1].nbytes
        return array[:members]

    def __len__(self) -> int:
        return len(self._arrays)


_local = threading.local()


def scratch() -> Scratch:
    """This thread's scratch arrays."""
    kept = getattr(_local, "scratch", None)
    if kept is None:
        kept = _local.scratch = Scratch()
    return kept

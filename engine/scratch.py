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
import sys
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
# A thread's `Pool`: 28 stacks of 4 default networks' grid maps (1.1 MB each), 4 of 4 6x8s.
POOL_BYTES = 32 * 2**20


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


class Pool:
    """Arrays handed out again once nothing holds them: no caller's array is ever reused
    while it, or any view of it, is alive (unlike `Scratch`, whose arrays the caller must
    not keep). Made for results that usually die within a frame (a cohort's grid maps:
    fresh pages for them cost about a fifth of the maps' time in a cohort's frame loop).

    Bounded: arrays are kept up to `limit_bytes`, the least recently handed out dropped
    first; past that a new array is simply not kept.
    """

    def __init__(self, limit_bytes: int = POOL_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._arrays: OrderedDict[int, np.ndarray] = OrderedDict()  # by id
        self.nbytes = 0

    def empty(self, shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
        """An uninitialised array that no one else holds."""
        dtype = np.dtype(dtype)
        for key in self._arrays:
            array = self._arrays[key]
            if array.shape == shape and array.dtype == dtype:
                del array
                if self._free(key):
                    self._arrays.move_to_end(key)
                    return self._arrays[key]
        array = np.empty(shape, dtype)
        if array.nbytes > self.limit_bytes:
            return array
        for key in [k for k in self._arrays if self._free(k)]:  # oldest first
            if self.nbytes + array.nbytes <= self.limit_bytes:
                break
            self.nbytes -= self._arrays.pop(key).nbytes
        if self.nbytes + array.nbytes <= self.limit_bytes:
            self._arrays[id(array)] = array
            self.nbytes += array.nbytes
        return array

    def _free(self, key: int) -> bool:
        """Whether nothing but this pool refers to the array (a view refers to the array
        it was made from): two references, the pool's and getrefcount's argument."""
        return sys.getrefcount(self._arrays[key]) <= 2

    def __len__(self) -> int:
        return len(self._arrays)


def pool() -> Pool:
    """This thread's pool of arrays."""
    kept = getattr(_local, "pool", None)
    if kept is None:
        kept = _local.pool = Pool()
    return kept

"""engine.scratch: arrays kept between calls, bounded in count and bytes."""

import numpy as np

from engine.scratch import Scratch, scratch


def test_an_array_is_kept_and_grows_to_the_most_members_asked_for():
    kept = Scratch()
    a = kept.get("z0", 3, (1000, 4))
    assert a.shape == (3, 1000, 4) and a.flags.c_contiguous
    a[...] = 7.0
    b = kept.get("z0", 2, (1000, 4))
    assert np.shares_memory(a, b) and b.shape == (2, 1000, 4) and np.all(b == 7.0)
    c = kept.get("z0", 5, (1000, 4))
    assert c.shape == (5, 1000, 4) and not np.shares_memory(a, c)
    assert np.shares_memory(c, kept.get("z0", 4, (1000, 4)))
    assert not np.shares_memory(c, kept.get("z0", 4, (1000, 3)))  # another shape, another


def test_a_small_array_is_simply_new():
    kept = Scratch()
    small = kept.get("z0", 2, (10, 4))
    assert small.shape == (2, 10, 4) and len(kept) == 0
    assert not np.shares_memory(small, kept.get("z0", 2, (10, 4)))


def test_the_least_recently_asked_for_go_first_past_either_bound():
    rows = 10_000  # 80 KB a row: above SMALL_BYTES
    kept = Scratch(limit=2)
    first = kept.get("a", 1, (rows,))
    kept.get("b", 1, (rows,))
    kept.get("a", 1, (rows,))  # now more recent than b
    kept.get("c", 1, (rows,))  # a third array: b goes
    assert len(kept) == 2 and np.shares_memory(first, kept.get("a", 1, (rows,)))
    kept = Scratch(limit=3, limit_bytes=850_000)
    kept.get("c", 1, (rows,))
    kept.get("a", 1, (rows,))
    kept.get("big", 1, (10 * rows,))  # 800 KB: c, then a (80 KB each) must go
    assert len(kept) == 1 and kept.nbytes == 800_000
    kept.get("huge", 1, (20 * rows,))  # larger than the bound: returned, not kept
    assert len(kept) == 0 and kept.nbytes == 0


def test_each_thread_has_its_own():
    import threading

    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(scratch()))
    thread.start()
    thread.join()
    assert theirs[0] is not scratch() and scratch() is scratch()

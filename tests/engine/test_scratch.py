"""engine.scratch: arrays kept between calls, bounded in count and bytes."""

import numpy as np

from engine.scratch import Scratch, scratch


def test_an_array_is_kept_and_grows_to_the_most_members_asked_for():
    kept = Scratch()
    a = kept.get("z0", 3, (10, 4))
    assert a.shape == (3, 10, 4) and a.flags.c_contiguous
    a[...] = 7.0
    b = kept.get("z0", 2, (10, 4))
    assert np.shares_memory(a, b) and b.shape == (2, 10, 4) and np.all(b == 7.0)
    c = kept.get("z0", 5, (10, 4))
    assert c.shape == (5, 10, 4) and not np.shares_memory(a, c)
    assert np.shares_memory(c, kept.get("z0", 4, (10, 4)))
    assert not np.shares_memory(c, kept.get("z0", 4, (10, 3)))  # another shape, another array


def test_the_least_recently_asked_for_go_first_past_either_bound():
    kept = Scratch(limit=2, limit_bytes=10_000)
    first = kept.get("a", 1, (100,))
    kept.get("b", 1, (100,))
    kept.get("a", 1, (100,))  # now more recent than b
    kept.get("c", 1, (100,))  # a third array: b goes
    assert len(kept) == 2 and np.shares_memory(first, kept.get("a", 1, (100,)))
    kept = Scratch(limit=3, limit_bytes=8_500)
    kept.get("c", 1, (100,))
    kept.get("a", 1, (100,))
    kept.get("big", 1, (1000,))  # 8,000 bytes: c, then a (800 each) must go
    assert len(kept) == 1 and kept.nbytes == 8000
    kept.get("huge", 1, (2000,))  # larger than the bound: returned, not kept
    assert len(kept) == 0 and kept.nbytes == 0


def test_each_thread_has_its_own():
    import threading

    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(scratch()))
    thread.start()
    thread.join()
    assert theirs[0] is not scratch() and scratch() is scratch()

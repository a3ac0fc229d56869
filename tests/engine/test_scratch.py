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


# -- Pool: arrays reused only once nothing holds them -----------------------------------


def test_a_pooled_array_is_reused_only_when_nothing_holds_it_or_a_view_of_it():
    from engine.scratch import Pool

    kept = Pool()
    first = kept.empty((4, 1000), np.float32)
    address = first.ctypes.data
    view = first[1:3].reshape(-1)
    del first
    second = kept.empty((4, 1000), np.float32)
    assert not np.shares_memory(second, view)  # a view still holds the first
    del view
    third = kept.empty((4, 1000), np.float32)
    assert third.ctypes.data == address  # free again: handed out again
    assert not np.shares_memory(third, second)
    assert kept.empty((4, 1000), np.float64).dtype == np.float64  # another kind, another
    assert kept.empty((3, 1000), np.float32).shape == (3, 1000)


def test_a_pool_keeps_at_most_its_bytes_dropping_free_arrays_first():
    from engine.scratch import Pool

    kept = Pool(limit_bytes=10_000)
    held = kept.empty((1000,), np.float32)  # 4,000 bytes
    kept.empty((1000,), np.float32)  # kept, then free
    assert kept.nbytes == 8000
    kept.empty((600,), np.float32)  # 2,400 more: past the bound, so the free one goes
    assert kept.nbytes == 6400 and len(kept) == 2  # the held one and the new one
    big = kept.empty((4000,), np.float32)  # more than the pool: not kept
    assert big.shape == (4000,) and kept.nbytes == 6400
    assert not np.shares_memory(held, kept.empty((1000,), np.float32))


def test_grids_evaluated_together_are_not_overwritten_while_held():
    from engine import Config, Trainer
    from engine.grid import evaluate_grids

    trainers = [Trainer(Config(seed=s)) for s in range(3)]
    args = ([t.network for t in trainers], [t.config.features for t in trainers], 20)
    held = evaluate_grids(*args, None, 4)
    before = held.neurons.copy()
    output = held.grids[1].output  # made when first read
    for t in trainers:
        t.train_epochs(2)  # other weights: other maps
    again = evaluate_grids(*args, None, 4)
    assert not np.array_equal(again.neurons, before)
    assert np.array_equal(held.neurons, before)
    assert np.array_equal(held.grids[1].output, output)
    assert not np.array_equal(held.grids[2].thumbnails(5), again.grids[2].thumbnails(5))

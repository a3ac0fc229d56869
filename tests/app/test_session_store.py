"""The shared session stores (app.session_store) against a real SQLite file and a real
redis-server: ownership, expiry, the bounds per address and in total; and a session's
state through a store's blob and back (app.session_state)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from app import session_state
from app.session import Session
from app.session_store import BUSY, MINE, RedisSessions, Saved, SqliteSessions
from app.settings import Settings


@pytest.fixture(params=["sqlite", "redis"])
def make_store(request, tmp_path):
    """A factory of stores of one kind over one shared storage (like two workers)."""
    made = []

    def make(ttl: float = 60.0, per_address: int = 2, total: int = 3):
        if request.param == "sqlite":
            store = SqliteSessions(tmp_path / "sessions.sqlite3", ttl, per_address, total)
        else:
            url = request.getfixturevalue("redis_server").url
            store = RedisSessions(url, ttl, per_address, total)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def test_a_claim_moves_ownership_and_the_former_owner_can_no_longer_save(make_store):
    one, two = make_store(), make_store()
    assert one.save("s", "worker-1", "10.0.0.1", b"first", False) is Saved.SAVED
    assert one.claim("s", "worker-1", have_local=True) == MINE  # the fast path
    assert one.claim("s", "worker-1", have_local=False) == b"first"  # e.g. after a restart
    assert two.claim("s", "worker-2", have_local=False) == b"first"
    assert one.save("s", "worker-1", "10.0.0.1", b"stale", False) is Saved.LOST
    assert two.save("s", "worker-2", "10.0.0.1", b"second", False) is Saved.SAVED
    one.drop("s", "worker-1")  # not its own any more: nothing happens
    assert one.claim("s", "worker-1", have_local=True) == b"second"
    one.drop("s", "worker-1")
    assert two.claim("s", "worker-2", have_local=False) is None
    assert one.claim("never", "worker-1", have_local=True) is None


def test_a_claim_waits_for_a_session_another_workers_socket_had_unless_told_to_take_it(
    make_store,
):
    one, two = make_store(), make_store()
    one.save("s", "worker-1", "10.0.0.1", b"while attached", True)
    assert two.claim("s", "worker-2", have_local=False, take=False) == BUSY
    one.save("s", "worker-1", "10.0.0.1", b"socket dropped", False)  # its final save
    assert two.claim("s", "worker-2", have_local=False, take=False) == b"socket dropped"
    two.save("s", "worker-2", "10.0.0.1", b"on two", True)
    assert one.claim("s", "worker-1", have_local=True, take=True) == b"on two"  # a dead worker


def test_an_address_past_its_share_loses_its_oldest_and_a_full_store_takes_no_new_one(
    make_store,
):
    store = make_store(per_address=2, total=3)
    for name in ("a1", "a2", "a3"):
        assert store.save(name, "w", "10.0.0.1", name.encode(), False) is Saved.SAVED
    assert store.claim("a1", "w", False) is None  # evicted by a3
    assert store.claim("a2", "w", False) == b"a2"
    assert store.save("b1", "w", "10.0.0.2", b"b1", False) is Saved.SAVED
    assert store.save("c1", "w", "10.0.0.3", b"c1", False) is Saved.FULL
    assert store.claim("c1", "w", False) is None
    assert store.save("a3", "w", "10.0.0.1", b"a3 again", False) is Saved.SAVED  # stored already


def test_a_stored_session_expires_after_its_ttl(make_store):
    store = make_store(ttl=0.3)
    store.save("s", "w", "10.0.0.1", b"state", False)
    deadline = time.monotonic() + 30
    while store.claim("s", "w", False) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # An expired session no longer counts against its address.
    for name in ("t", "u"):
        assert store.save(name, "w", "10.0.0.1", b"x", False) is Saved.SAVED
    assert store.claim("t", "w", False) == b"x"


def test_a_session_through_a_blob_goes_on_exactly_as_the_original():
    settings = Settings()
    original = Session("s", settings, np.random.default_rng(7))
    original.trainer.configure({"dataset": "spiral", "hidden": [6], "optimizer": "rmsprop"})
    original.trainer.train_epochs(3)
    original.trainer.train_batches(2)
    original.selected = (1, 2)
    original.view["fps"] = 12
    blob = session_state.encode(session_state.capture(original))
    state, trainer = session_state.rebuild(blob, 1 << 24)
    copy = Session("s", settings, np.random.default_rng(99))
    session_state.apply(copy, state, trainer, settings)
    assert copy.selected == (1, 2) and copy.view == original.view
    assert session_state.marker(copy)[1:] == session_state.marker(original)[1:]
    # The session's own generator (reset and regenerate seeds) and the trainer go on alike.
    assert (
        copy.rng.integers(1 << 30, size=4).tolist()
        == original.rng.integers(1 << 30, size=4).tolist()
    )
    copy.trainer.train_epochs(2)
    original.trainer.train_epochs(2)
    assert copy.trainer.export_state() == original.trainer.export_state()


def test_a_blob_past_the_bound_is_refused_and_long_numeric_lists_go_as_bytes_exactly():
    blob = session_state.encode({"version": session_state.VERSION, "pad": "0" * 100_000})
    with pytest.raises(ValueError, match="longer than"):
        session_state.decode(blob, 10_000)
    values = {
        "version": session_state.VERSION,
        "floats": [0.1 * i for i in range(100)] + [float("nan"), -0.0, 1e-310],
        "ints": list(range(-50, 50)),
        "pairs": [[0.5, -1.25]] * 40,
        "ragged": [[1.0]] * 40 + [[1.0, 2.0]],
        "short": [1.5, 2.5],
    }
    back = session_state.decode(session_state.encode(values), 1 << 20)
    assert json.dumps(back) == json.dumps(values)  # NaN and -0.0 included
    assert b"0.30000000000000004" not in session_state.encode(values)  # packed, not text

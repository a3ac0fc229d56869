"""The shared store's limits, called as two hosts call them: two `SharedStore`s with their
own data directories on one real redis-server, and the seats' script with a process gone.
(The same over real servers and sockets: test_span_records.py, test_span_races.py.)"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from app.classroom.codes import InputError
from app.classroom.redis_broker import client
from app.classroom.redis_seats import RedisSeats
from app.classroom.redis_store import SharedStore
from app.classroom.rediskeys import key
from app.classroom.store import Store
from app.protocol import ProtocolError

ENTRY = {"name": "ada", "value": 1.0, "goal_met": True, "violations": [], "neurons": 1,
         "hidden_layers": 0, "epoch": 3}  # fmt: skip


@pytest.fixture
def two_hosts(tmp_path, redis_server):
    stores = [SharedStore.open_shared(tmp_path / name, redis_server.url) for name in "ab"]
    yield stores
    for store in stores:
        store.close()


def test_submission_limits_count_every_hosts_submissions(two_hosts):
    a, b = two_hosts
    challenge_id = a.add_challenge("AC3D4E", {"title": "t"})
    assert b.challenge("AC3D4E") == (challenge_id, {"title": "t"})
    limits = (2, 3)  # per student, per challenge
    a.add_submission(challenge_id, {**ENTRY, "student": "s1"}, limits)
    b.add_submission(challenge_id, {**ENTRY, "student": "s1"}, limits)
    with pytest.raises(ProtocolError) as per_student:
        a.add_submission(challenge_id, {**ENTRY, "student": "s1"}, limits)
    b.add_submission(challenge_id, {**ENTRY, "student": "s2"}, limits)
    with pytest.raises(ProtocolError) as per_challenge:
        a.add_submission(challenge_id, {**ENTRY, "student": "s3"}, limits)
    assert "2 submissions" in per_student.value.message
    assert "3 submissions" in per_challenge.value.message
    entries = a.submissions(challenge_id)
    assert [(e["id"], e["student"]) for e in entries] == [(1, "s1"), (2, "s1"), (3, "s2")]
    assert entries[0]["value"] == 1.0 and entries[0]["at"] > 0


def test_the_embedded_store_keeps_the_same_limits(tmp_path):
    store = Store.open(tmp_path)
    try:
        store.create_room("AC3D4E", "x")
        challenge_id = store.add_challenge("AC3D4E", {"title": "t"})
        store.add_submission(challenge_id, {**ENTRY, "student": "s1"}, (1, 2))
        with pytest.raises(ProtocolError, match="1 submissions"):
            store.add_submission(challenge_id, {**ENTRY, "student": "s1"}, (1, 2))
        store.add_submission(challenge_id, {**ENTRY, "student": "s2"}, (1, 2))
        with pytest.raises(ProtocolError, match="2 submissions"):
            store.add_submission(challenge_id, {**ENTRY, "student": "s3"}, (1, 2))
    finally:
        store.close()


def test_share_links_dedup_quota_and_expiry_span_hosts(two_hosts):
    a, b = two_hosts
    state = {"trainer": {"w": [0.5] * 100}, "view": {}}
    size = len(json.dumps(state, separators=(",", ":"), sort_keys=True))
    quota = 2 * size - 1  # room for one of these states, not two
    link = a.save_snapshot(state, quota_bytes=quota)
    assert b.save_snapshot(state, quota_bytes=quota) == link  # stored once
    with pytest.raises(InputError) as full:
        b.save_snapshot({**state, "view": {"x": 1}}, quota_bytes=quota)
    assert full.value.code == "storage_full"
    assert b.snapshot(link) == state
    time.sleep(0.05)
    assert a.expire_snapshots(0.01) == 1  # unopened for longer than 0.01 s: gone everywhere
    assert b.snapshot(link) is None
    b.save_snapshot({**state, "view": {"x": 1}}, quota_bytes=quota)  # its bytes were freed


def test_shared_share_budget_counts_every_host(two_hosts):
    a, b = two_hosts
    budgets = [store.throttle("test", 3, 60.0, "share links") for store in two_hosts]
    for i in range(3):
        budgets[i % 2].spend("10.0.0.1")
    with pytest.raises(InputError) as refused:
        budgets[1].spend("10.0.0.1")
    budgets[1].spend("10.0.0.2")  # another address has its own budget
    assert refused.value.code == "rate_limited" and "at most 3 per 60 s" in refused.value.message


def test_a_seat_held_by_a_process_that_has_gone_is_freed(redis_server):
    async def main():
        redis = client(redis_server.url)
        errors = (OSError,)
        gone, alive = RedisSeats(redis, "gone", errors), RedisSeats(redis, "alive", errors)
        for process, at in (("gone", time.time() - 60), ("alive", time.time())):
            await redis.hset(key("R", "parts"), process, json.dumps({"at": at}))
        try:
            assert await gone.take("R", ("m1", "Ada"), 1, None, 15.0) == "ok"
            taken = await alive.take("R", ("m2", "ada"), 5, None, 15.0)  # the name: free
            full = await alive.take("R", ("m3", "Bob"), 1, None, 15.0)  # the seat: ada's
            await alive.free("R", ("m2", "Ada"))
            again = await alive.take("R", ("m3", "Bob"), 1, None, 15.0)
            return taken, full, again
        finally:
            await redis.aclose()

    assert asyncio.run(main()) == ("ok", "full", "ok")


def test_a_link_a_host_made_before_redis_still_opens_there(tmp_path, redis_server):
    before = Store.open(tmp_path / "a")  # the host's own file, from before rooms spanned hosts
    old = before.save_snapshot({"trainer": {"old": True}, "view": {}})
    before.close()
    store = SharedStore.open_shared(tmp_path / "a", redis_server.url)
    try:
        assert store.snapshot(old) == {"trainer": {"old": True}, "view": {}}
        time.sleep(0.05)
        assert store.expire_snapshots(0.01) == 1
        assert store.snapshot(old) is None
    finally:
        store.close()

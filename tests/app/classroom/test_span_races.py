"""Joins that race across processes: two real servers (hosts) sharing a real redis-server,
students joining on both at the same instant. One seat, one name: only one gets it."""

from __future__ import annotations

import asyncio

import redis

from app.classroom.rediskeys import key
from tests.app.classroom.server import WAIT, Client, Server, run

ROUNDS = 5  # each round is a fresh room: the race is run again, not once


async def outcome(client: Client) -> str:
    """ "in" once the server says who the client is, else the error code that refused it."""
    found = await client.until(
        lambda: next((m for m in client.texts if m["type"] in ("you", "error")), None)
    )
    return "in" if found["type"] == "you" else found["data"]["code"]


async def at_once(*joins) -> list[str]:
    """Open every join together, then each one's outcome."""
    clients = await asyncio.gather(*joins)
    return list(await asyncio.gather(*(outcome(c) for c in clients)))


async def ready_room(a: Server, b: Server) -> tuple[dict, Client]:
    """A room both hosts serve already (so both admit at full speed), and its instructor:
    connected on host a, and a second instructor connection on host b (no seat taken)."""
    room = a.new_room()
    teacher = await Client.join(a, room["code"], secret=room["secret"])
    other = await Client.join(b, room["code"], secret=room["secret"])
    for t in (teacher, other):
        await t.text("you", lambda d: d["role"] == "instructor")
    await other.until(lambda: other.frames)  # host b relays the live run
    return room, teacher


def test_the_last_seat_taken_on_two_hosts_at_once_goes_to_one(hosts):
    limits = {"PLAYGROUND_MAX_STUDENTS": "1", "PLAYGROUND_ROOM_GRACE_SECONDS": "0"}
    a, b = hosts("a", **limits), hosts("b", **limits)

    async def main():
        results = []
        for i in range(ROUNDS):
            room, teacher = await ready_room(a, b)
            code = room["code"]
            # A student on each host at once, for the room's one seat.
            result = await at_once(*(Client.join(h, code, name=f"{h.port}-{i}") for h in (a, b)))
            seated = result.count("in")
            roster = await teacher.text("roster", lambda d, n=seated: len(d["students"]) == n)
            results.append((result, len(roster["students"])))
        return results

    for result, seated in run(main()):
        assert sorted(result) == ["in", "room_full"], result
        assert seated == 1


def test_one_name_chosen_on_two_hosts_at_once_is_given_once(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        results = []
        for _ in range(ROUNDS):
            room, _ = await ready_room(a, b)
            code = room["code"]
            results.append(
                await at_once(Client.join(a, code, name="Ada"), Client.join(b, code, name="ada"))
            )
        return results

    for result in run(main()):
        assert sorted(result) == ["in", "name_taken"], result


def test_made_up_names_stay_unique_when_both_hosts_make_them_at_once(hosts):
    a, b = hosts("a"), hosts("b")

    async def main():
        room, _ = await ready_room(a, b)
        clients = await asyncio.gather(*(Client.join(h, room["code"]) for h in (a, b) * 4))
        return [(await c.text("you"))["name"] for c in clients]

    names = run(main())
    assert len({n.casefold() for n in names}) == len(names) == 8, names


def test_seats_come_back_after_redis_restarts_empty(hosts, redis_server):
    a, b = hosts("a"), hosts("b")
    store = redis.Redis.from_url(redis_server.url)

    def seats(code: str) -> list[bytes]:
        try:
            return sorted(store.hkeys(key(code, "seats")))
        except redis.ConnectionError:
            return []

    async def main():
        room, _ = await ready_room(a, b)
        ada = await Client.join(b, room["code"], name="Ada")
        await ada.text("you")
        held = await asyncio.to_thread(seats, room["code"])
        await asyncio.to_thread(redis_server.stop)
        await ada.text("room", lambda d: d["trouble"])
        mark = len(ada.texts)
        await asyncio.to_thread(redis_server.start)  # empty: Redis kept nothing
        await ada.text("room", lambda d: d["trouble"] is None, mark)
        async with asyncio.timeout(WAIT):  # the hosts' next tends put their seats back
            while await asyncio.to_thread(seats, room["code"]) != held:
                await asyncio.sleep(0.1)
        late = await Client.join(a, room["code"], name="ADA")
        return held, await outcome(late)

    held, late = run(main())
    assert b"ada" in held
    assert late == "name_taken"

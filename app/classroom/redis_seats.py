"""A room's seats over every process, in Redis: one atomic check for the last seat and a name.

Each roster (`app.classroom.roster`) checks joins against its own members and a copy of
the other processes' parts that may be a message old: two processes admitting at the
same instant would both take the last seat, or the same name. So a process that admits
a student also takes the place in the room's `seats` hash (casefolded name -> "<process>
<member id>") with one Lua script, which refuses a name another place holds and a seat
past `max_students`. A place held by a process whose roster part has not been refreshed
for PART_SECONDS is a process that has gone: the script frees it.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from app.classroom.rediskeys import RETAIN_SECONDS, key

# KEYS: seats, parts. ARGV: name (casefolded), holder ("<process> <member id>"), most seats,
# spare name, spare holder ('' if none), now, seconds a part stays fresh, seconds kept.
# "ok", "spare" (ok, by freeing the spare's seat), "taken" or "full".
_TAKE = """
local function live(holder)
  local part = redis.call('HGET', KEYS[2], string.match(holder, '^(%S+) '))
  return part ~= false and cjson.decode(part)['at'] >= tonumber(ARGV[6]) - tonumber(ARGV[7])
end
local function id(holder) return string.match(holder, ' (%S+)$') end
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held and id(held) ~= id(ARGV[2]) then
  if live(held) then return 'taken' end
  redis.call('HDEL', KEYS[1], ARGV[1])  -- held by a process that has gone
elseif held then  -- the same place, moved to this process
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 'ok'
end
local most, result = tonumber(ARGV[3]), 'ok'
if redis.call('HLEN', KEYS[1]) >= most then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if not live(all[i + 1]) then redis.call('HDEL', KEYS[1], all[i]) end
  end
end
if redis.call('HLEN', KEYS[1]) >= most and ARGV[5] ~= ''
    and redis.call('HGET', KEYS[1], ARGV[4]) == ARGV[5] then
  redis.call('HDEL', KEYS[1], ARGV[4])
  result = 'spare'
end
if redis.call('HLEN', KEYS[1]) >= most then return 'full' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[8])
return result
"""
# KEYS: seats. ARGV: name (casefolded), holder. Frees the seat if that holder has it.
_FREE = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
"""
# KEYS: seats. ARGV: this process, then name (casefolded) and holder of each of its seats.
# Seats this process holds and no longer has go; those it has and Redis lost come back.
_SYNC = """
local mine = {}
for i = 2, #ARGV, 2 do mine[ARGV[i]] = ARGV[i + 1] end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.match(all[i + 1], '^(%S+) ') == ARGV[1] and mine[all[i]] ~= all[i + 1] then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
for name, holder in pairs(mine) do redis.call('HSETNX', KEYS[1], name, holder) end
"""


class RedisSeats:
    """The `take_seat`/`free_seat` of `app.classroom.redis_broker.RedisBroker`."""

    def __init__(self, redis: Any, process: str, errors: tuple[type[BaseException], ...]):
        self.redis = redis
        self.process = process
        self.errors = errors

    def _holder(self, member_id: str) -> str:
        return f"{self.process} {member_id}"

    async def take(
        self,
        room: str,
        seat: tuple[str, str],
        max_students: int,
        spare: tuple[str, str] | None,
        part_seconds: float,
    ) -> str | None:
        """Take `seat` (member id, name); see the module. None if Redis cannot be reached."""
        member_id, name = seat
        spare_name, spare_holder = ("", "") if spare is None else (spare[1], spare[0])
        args = [
            name.casefold(),
            self._holder(member_id),
            max_students,
            spare_name.casefold(),
            spare_holder and self._holder(spare_holder),
            time.time(),
            part_seconds,
            RETAIN_SECONDS,
        ]
        try:
            result = await self.redis.eval(_TAKE, 2, key(room, "seats"), key(room, "parts"), *args)
        except self.errors:
            return None
        return result.decode()

    async def free(self, room: str, seat: tuple[str, str]) -> None:
        member_id, name = seat
        holder = self._holder(member_id)
        with contextlib.suppress(*self.errors):  # if missed, `sync` frees it later
            await self.redis.eval(_FREE, 1, key(room, "seats"), name.casefold(), holder)

    async def sync(self, room: str, seats: list[tuple[str, str]]) -> None:
        """Make this process's seats in Redis those it has (`seats`: member id, name)."""
        pairs = [x for m, name in seats for x in (name.casefold(), self._holder(m))]
        with contextlib.suppress(*self.errors):  # tried again at the next tend
            await self.redis.eval(_SYNC, 1, key(room, "seats"), self.process, *pairs)

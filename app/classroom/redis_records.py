"""What rooms save that every host must read, kept in Redis when rooms span hosts.

Share links (snapshots), pushed scenarios, challenges and their submissions, and the
per-address budgets of share links: a part of `app.classroom.redis_store.SharedStore`,
replacing the SQLite methods of `Store` (the embedded default) with the same contract.
Redis is their store of record here (docs/deploy.md: run it with `appendonly yes`); each
change is one Lua script, so two hosts never half-apply one, and the limits (share-link
quota, expiry of unvisited links, identical states stored once, submissions per student
and per challenge) hold over all hosts. When Redis cannot be reached a save is refused
with `storage_unavailable` (nothing is half-saved; the client tries again) and a read
with the same error, never "not found".
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from app.classroom.challenge_store import too_many
from app.classroom.codes import InputError, Throttle
from app.classroom.rediskeys import RETAIN_SECONDS, SHARED, key
from app.classroom.store import MAX_SCENARIOS, StorageFull

UNAVAILABLE = "saving is unavailable for a moment: this server cannot reach Redis; try again"

# Snapshots: `<SHARED>snapshot:<id>` hashes (state, digest, room), the sorted set
# `visited` (id -> last opened), `sizes` (id -> bytes) and the total `bytes`.
# KEYS: visited, sizes, bytes. ARGV: snapshot key prefix, now, unvisited seconds, most to drop.
_FORGET = """
local function forget(id)
  local k = ARGV[1] .. id
  local digest = redis.call('HGET', k, 'digest')
  if digest and redis.call('GET', ARGV[1] .. 'digest:' .. digest) == id then
    redis.call('DEL', ARGV[1] .. 'digest:' .. digest)
  end
  redis.call('DEL', k)
  redis.call('ZREM', KEYS[1], id)
  local size = redis.call('HGET', KEYS[2], id)
  if size then
    redis.call('HDEL', KEYS[2], id)
    redis.call('DECRBY', KEYS[3], size)
  end
end
local function expire()
  local cutoff = tonumber(ARGV[2]) - tonumber(ARGV[3])
  local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff, 'LIMIT', 0, ARGV[4])
  for _, id in ipairs(old) do forget(id) end
  return #old
end
"""
# ARGV 5..: new id, state text, digest, quota bytes (-1: none), room. {"old"|"new", id} | {"full"}
_SAVE_SNAPSHOT = (
    _FORGET
    + """
expire()
local now = tonumber(ARGV[2])
local known = redis.call('GET', ARGV[1] .. 'digest:' .. ARGV[7])
if known and redis.call('HGET', ARGV[1] .. known, 'state') == ARGV[6] then
  redis.call('ZADD', KEYS[1], now, known)
  return {'old', known}
end
local quota = tonumber(ARGV[8])
if quota >= 0 and tonumber(redis.call('GET', KEYS[3]) or '0') + #ARGV[6] > quota then
  return {'full'}
end
redis.call('HSET', ARGV[1] .. ARGV[5], 'state', ARGV[6], 'digest', ARGV[7], 'room', ARGV[9])
redis.call('SET', ARGV[1] .. 'digest:' .. ARGV[7], ARGV[5])
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('HSET', KEYS[2], ARGV[5], #ARGV[6])
redis.call('INCRBY', KEYS[3], #ARGV[6])
return {'new', ARGV[5]}
"""
)
# ARGV 5: the id. The state (and it counts as visited now), or nil if none or expired.
_OPEN_SNAPSHOT = (
    _FORGET
    + """
local seen = redis.call('ZSCORE', KEYS[1], ARGV[5])
if not seen then return false end
if tonumber(seen) < tonumber(ARGV[2]) - tonumber(ARGV[3]) then forget(ARGV[5]) return false end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[5])
return redis.call('HGET', ARGV[1] .. ARGV[5], 'state')
"""
)
_EXPIRE_SNAPSHOTS = _FORGET + "return expire()"

# KEYS: the list, its id counter. ARGV: JSON object (without id), most kept, seconds kept.
# The new id; the object is stored as {"id": <id>, ...}.
_APPEND = """
local n = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], '{"id":' .. n .. ',' .. string.sub(ARGV[1], 2))
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return n
"""
# KEYS: the challenge's submissions (list), its count per student (hash; field "" holds the
# last id). ARGV: entry JSON (without id), student, most per student, most in all, seconds kept.
# The new id, -1 (the student has made theirs) or -2 (the challenge has had its submissions).
_SUBMIT = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[4]) then return -2 end
if tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0') >= tonumber(ARGV[3]) then return -1 end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
local n = redis.call('HINCRBY', KEYS[2], '', 1)
redis.call('RPUSH', KEYS[1], '{"id":' .. n .. ',' .. string.sub(ARGV[1], 2))
for _, k in ipairs(KEYS) do redis.call('EXPIRE', k, ARGV[5]) end
return n
"""
# KEYS: a client's attempts (sorted set). ARGV: now, window, most attempts, a unique member.
# 0 if counted, else the seconds until the oldest attempt leaves the window.
_SPEND = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
  return tostring(tonumber(oldest) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(window))
return '0'
"""

SNAPSHOTS = SHARED + "snapshot:"
SNAPSHOT_KEYS = [SHARED + f"snapshots:{part}" for part in ("visited", "sizes", "bytes")]
EXPIRE_BATCH = 100  # unvisited links deleted per save (the periodic sweep takes the rest)
EXPIRE_SWEEP = 2000  # unvisited links deleted per script by the sweep


def unavailable() -> InputError:
    return InputError("storage_unavailable", None, UNAVAILABLE)


class RedisRecords:
    """Share links, scenarios, challenges and share budgets in Redis (see the module)."""

    redis: Any
    errors: tuple[type[BaseException], ...]
    share_quota: int | None
    share_seconds: float

    def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return self.redis.eval(script, len(keys), *keys, *args)
        except self.errors:
            raise unavailable() from None

    # Snapshots (share links) -----------------------------------------------------------

    def _snapshot_args(self) -> list[Any]:
        return [SNAPSHOTS, time.time(), self.share_seconds, EXPIRE_BATCH]

    def save_snapshot(
        self, state: dict[str, Any], room_code: str | None = None, quota_bytes: int | None = None
    ) -> str:
        text = json.dumps(state, separators=(",", ":"), sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()
        quota = quota_bytes if quota_bytes is not None else self.share_quota
        args = [secrets.token_urlsafe(12), text, digest, -1 if quota is None else quota]
        found = self._run(
            _SAVE_SNAPSHOT, SNAPSHOT_KEYS, [*self._snapshot_args(), *args, room_code or ""]
        )
        if found[0] == b"full":
            assert quota is not None
            raise StorageFull(quota)
        return found[1].decode()

    def snapshot(self, snap_id: str) -> dict[str, Any] | None:
        """The link's state; a link this host made before its rooms were shared through
        Redis (in its SQLite file: `Store`, next in SharedStore's order) opens too."""
        raw = self._run(_OPEN_SNAPSHOT, SNAPSHOT_KEYS, [*self._snapshot_args(), snap_id])
        return super().snapshot(snap_id) if raw is None else json.loads(raw)  # type: ignore[misc]

    def expire_snapshots(self, unvisited_seconds: float) -> int:
        """Unvisited links go from Redis, and from this host's file (links made before)."""
        args = [SNAPSHOTS, time.time(), unvisited_seconds, EXPIRE_SWEEP]
        total = super().expire_snapshots(unvisited_seconds)  # type: ignore[misc]
        while True:  # in batches: one script never holds Redis for long
            gone = int(self._run(_EXPIRE_SNAPSHOTS, SNAPSHOT_KEYS, args))
            total += gone
            if gone < EXPIRE_SWEEP:
                return total

    # Pushed scenarios --------------------------------------------------------------------

    def add_scenario(self, code: str, scenario: dict[str, Any]) -> int:
        text = json.dumps(scenario, separators=(",", ":"))
        keys = [key(code, "scenarios"), key(code, "scenario_ids")]
        return int(self._run(_APPEND, keys, [text, MAX_SCENARIOS, RETAIN_SECONDS]))

    def scenarios(self, code: str) -> list[dict[str, Any]]:
        try:
            return [json.loads(s) for s in self.redis.lrange(key(code, "scenarios"), 0, -1)]
        except self.errors:
            raise unavailable() from None

    # Challenges --------------------------------------------------------------------------

    def add_challenge(self, room: str, spec: dict[str, Any]) -> int:
        """Challenge ids are unique over all hosts (one counter in Redis)."""
        text = json.dumps(spec, separators=(",", ":"))
        try:
            challenge_id = int(self.redis.incr(SHARED + "challenge_ids"))
            pipe = self.redis.pipeline()  # MULTI: both or neither
            pipe.hset(key(room, "challenges"), str(challenge_id), text)
            pipe.expire(key(room, "challenges"), RETAIN_SECONDS)
            pipe.execute()
        except self.errors:
            raise unavailable() from None
        return challenge_id

    def count_challenges(self, room: str) -> int:
        try:
            return int(self.redis.hlen(key(room, "challenges")))
        except self.errors:
            raise unavailable() from None

    def challenge(self, room: str, challenge_id: int | None = None) -> tuple[int, dict] | None:
        try:
            stored = self.redis.hgetall(key(room, "challenges"))
        except self.errors:
            raise unavailable() from None
        ids = sorted(int(i) for i in stored)
        if challenge_id is None and ids:
            challenge_id = ids[-1]
        text = stored.get(str(challenge_id).encode())
        return None if text is None else (int(challenge_id), json.loads(text))

    def add_submission(
        self, challenge_id: int, entry: dict[str, Any], limits: tuple[int, int]
    ) -> dict[str, Any]:
        at = time.time()
        text = json.dumps({**entry, "at": at}, separators=(",", ":"))
        args = [text, entry["student"], *limits, RETAIN_SECONDS]
        new_id = int(self._run(_SUBMIT, self._submission_keys(challenge_id), args))
        if new_id < 0:
            raise too_many(per_student=new_id == -1, limits=limits)
        return {**entry, "id": new_id, "at": at}

    def submissions(self, challenge_id: int) -> list[dict[str, Any]]:
        try:
            rows = self.redis.lrange(self._submission_keys(challenge_id)[0], 0, -1)
        except self.errors:
            raise unavailable() from None
        return [json.loads(r) for r in rows]

    @staticmethod
    def _submission_keys(challenge_id: int) -> list[str]:
        base = f"{SHARED}challenge:{challenge_id}:"
        return [base + "submissions", base + "counts"]

    # Per-address budgets -----------------------------------------------------------------

    def throttle(self, name: str, limit: int, window: float, what: str) -> Throttle:
        return SharedThrottle(self, name, limit, window, what)


class SharedThrottle(Throttle):
    """A `Throttle` whose `spend` counts in Redis: one budget over every host."""

    def __init__(self, records: RedisRecords, name: str, limit: int, window: float, what: str):
        super().__init__(limit, window, what=what)
        self.records = records
        self.name = name

    def spend(self, client: str) -> None:
        now = time.time()
        args = [now, self.window, self.max_failures, f"{now}:{secrets.token_hex(4)}"]
        keys = [f"{SHARED}limit:{self.name}:{client}"]
        wait = float(self.records._run(_SPEND, keys, args))
        if wait > 0:
            raise self.refusal(wait)

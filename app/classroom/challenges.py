"""A room's challenges: the instructor posts one, each student submits their own network,
the server measures it on the hidden test set and ranks the class (docs/classroom.md).

Nothing a client says about its score is read: a submission is the student's own session
as the server holds it (its weights at that moment), measured by `engine.challenge`.
What every process of the room must know travels as broker events (`challenge_posted`,
`challenge_submitted`); each process then tells its own connections.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from app.classroom.challenge_store import too_many
from app.classroom.codes import InputError, Throttle
from app.classroom.parts import Member, Reply, RoomLimits, text
from app.mailbox import Mailbox
from app.protocol import ProtocolError
from app.protocol import text as message
from engine import DATASETS, Trainer
from engine.challenge import (
    CONSTRAINTS,
    METRICS,
    TEST_POINTS,
    Candidate,
    Challenge,
    Verdict,
    evaluate,
    leaderboard,
)
from engine.options import ConfigError

if TYPE_CHECKING:
    from app.classroom.room import Room

log = logging.getLogger(__name__)

SHOWN = 50  # leaderboard rows sent to the room (the CSV export has every submission)
JUDGES = 2  # evaluations of one room at once (each in a worker thread)
EVENTS = frozenset({"challenge_posted", "challenge_submitted"})
T = TypeVar("T")


def challenge_options(limits: RoomLimits) -> dict[str, Any]:
    """What the instructor's form offers (`/api/options` `challenges`): one place for both.

    Lists, not objects, so that the order survives the page's bootstrap (sorted keys).
    """
    return {
        "metrics": [
            {
                "name": m.name,
                "label": m.label,
                "higher_is_better": m.higher_is_better,
                "classification_only": m.classification_only,
                "goal_min": m.goal_range[0],
                "goal_max": m.goal_range[1],
                "default_goal": m.default_goal,
                "percent": m.name == "test_accuracy",
            }
            for m in METRICS.values()
        ],
        "datasets": [
            {"name": name, "problem": s.problem, "takes_classes": s.classes is None}
            for name, s in DATASETS.items()
        ],
        "constraints": [{"name": name, **c} for name, c in CONSTRAINTS.items()],
        "test_points": {"min": TEST_POINTS[0], "max": TEST_POINTS[1], "default": 500},
        "limits": {
            "submits_per_minute": limits.submits_per_minute,
            "submits_per_student": limits.submits_per_student,
            "submits_per_challenge": limits.submits_per_challenge,
            "challenges_per_room": limits.challenges,
        },
    }


def judge(challenge: Challenge, state: dict[str, Any]) -> Verdict:
    """Measure an exported session (`Runner.export_state`) on the hidden test set."""
    return evaluate(challenge, Candidate.of(Trainer.from_state(state["trainer"])))


def timed(work: Callable[..., T], *args: Any) -> tuple[T, float]:
    """work(*args) and the CPU seconds this thread spent on it (run in a worker thread)."""
    started = time.thread_time()
    return work(*args), time.thread_time() - started


def figure(metric: str, value: float | None) -> str:
    """A measured value in words: "test accuracy 93.4 %", "test loss 0.0812"."""
    if value is None:
        return "no figure (the network's outputs are not finite numbers)"
    if metric == "test_accuracy":
        return f"test accuracy {100 * value:.1f} %"
    return f"test loss {value:.4g}"


class Challenges:
    """The open challenge of one room in this process, and its submissions."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.current: Challenge | None = None
        self.current_id: int | None = None
        self.entries: list[dict[str, Any]] = []  # every submission to the current challenge
        self._seen: set[int] = set()  # their ids (an event may repeat a local submission)
        self.limits = room.limits
        self._minute = Throttle(self.limits.submits_per_minute, 60.0, what="submissions")
        self._messages: dict[str, str] = {}  # the encoded `challenge` and `leaderboard`
        self._judging = asyncio.Semaphore(JUDGES)  # a burst of submits queues, in order
        self.loaded = False  # the stored challenge has been read (see start)
        self._warned = False  # a failed read was logged (once)

    async def start(self) -> None:
        """Load the room's latest challenge and its submissions (after a restart too). If
        the store cannot be reached (Redis is down), `loaded` stays False: `Room.tend`
        tries again."""
        store, code = self.room.store, self.room.code
        try:
            found = await asyncio.to_thread(store.challenge, code)
            entries = [] if found is None else await asyncio.to_thread(store.submissions, found[0])
        except InputError as exc:  # said once; tried again every few seconds
            (log.debug if self._warned else log.warning)(
                "room %s: challenges not loaded yet: %s", code, exc.message
            )
            self._warned = True
            return
        self.loaded = True
        if found is not None and found[0] != self.current_id:
            self._adopt(found[0], found[1], entries)
            for m in self.room.members.values():
                self.greet(m.mailbox)

    def greet(self, mailbox: Mailbox) -> None:
        """The open challenge and its leaderboard, for a connection that starts watching."""
        for key, payload in self._messages.items():
            mailbox.offer(payload, key)

    # Client messages -----------------------------------------------------------------

    async def handle(self, member: Member, kind: str, data: Any, reply: Reply) -> None:
        if kind == "challenge":
            await self.post(member, data)
        else:
            await self.submit(member, reply)

    async def post(self, member: Member, data: Any) -> None:
        """The instructor's new challenge replaces the open one (the old stays exportable)."""
        if not member.instructor:
            raise ProtocolError("forbidden", "only the instructor can post a challenge")
        store, code = self.room.store, self.room.code
        if await asyncio.to_thread(store.count_challenges, code) >= self.limits.challenges:
            raise ProtocolError(
                "rate_limited", f"a room holds at most {self.limits.challenges} challenges"
            )
        try:
            challenge = Challenge.from_dict(data or {}, test_seed=secrets.randbits(63))
        except ConfigError as exc:
            raise ProtocolError("invalid_field", str(exc), exc.field) from None
        spec = challenge.to_dict()
        challenge_id = await asyncio.to_thread(store.add_challenge, code, spec)
        # The seed travels between the server's own processes only; clients get `public()`.
        event = {"type": "challenge_posted", "id": challenge_id, "spec": spec}
        await self.room.broker.publish_event(code, event)

    async def submit(self, member: Member, reply: Reply) -> None:
        """Measure the student's own session now; record it, rank it, say the verdict."""
        challenge, challenge_id = self.current, self.current_id
        if member.instructor:
            raise ProtocolError("forbidden", "students submit; the instructor posts challenges")
        if challenge is None or challenge_id is None:
            raise ProtocolError("no_challenge", "there is no challenge in this room yet")
        if member.fork is None:
            raise ProtocolError(
                "forbidden",
                "submit your own network: choose Work on my own copy first "
                "(while following, the network is the instructor's)",
            )
        self._check_limits(member)
        # The evaluation is charged to the student's own session, like its frames: one in
        # debt (it spent its share of the CPU while others wanted it) is not measured again
        # before its turn.
        cpu = member.fork.cpu
        if member.fork.turn_at() > cpu.clock():
            raise ProtocolError(
                "rate_limited",
                "your session has used its share of the server's CPU for now: "
                "submit again in a moment",
            )
        self._minute.count(member.id)  # every attempt costs an evaluation
        started = time.thread_time()
        state = member.fork.export_state()  # the weights at this moment, from the server
        cpu.spend(time.thread_time() - started)
        async with self._judging:
            verdict, cost = await asyncio.to_thread(timed, judge, challenge, state)
        cpu.spend(cost)
        entry = {
            "student": member.ref,
            "name": member.name,
            "value": verdict.value,
            "goal_met": verdict.goal_met,
            "violations": list(verdict.violations),
            "neurons": verdict.neurons,
            "hidden_layers": verdict.hidden_layers,
            "epoch": verdict.epoch,
        }
        entry = await asyncio.to_thread(
            self.room.store.add_submission, challenge_id, entry, self.caps()
        )
        self._record(challenge_id, entry)
        event = {"type": "challenge_submitted", "challenge": challenge_id, "entry": entry}
        # Stored and ranked here: with Redis down the other processes hear of it later.
        await self.room.span.tell(f"submitted:{entry['id']}", event)
        reply(message("verdict", **self._verdict(challenge, challenge_id, entry)))

    def _check_limits(self, member: Member) -> None:
        limits = self.limits
        if self._minute.spent(member.id):
            raise ProtocolError(
                "rate_limited",
                f"at most {limits.submits_per_minute} submissions a minute: "
                "train on, then try again",
            )
        mine = sum(e["student"] == member.ref for e in self.entries)
        if mine >= limits.submits_per_student or len(self.entries) >= limits.submits_per_challenge:
            raise too_many(mine >= limits.submits_per_student, self.caps())

    def caps(self) -> tuple[int, int]:
        """Submissions per student and per challenge (the store counts them over all hosts)."""
        return self.limits.submits_per_student, self.limits.submits_per_challenge

    def _verdict(self, ch: Challenge, challenge_id: int, entry: dict[str, Any]) -> dict[str, Any]:
        board = leaderboard(self.entries, ch.metric) if challenge_id == self.current_id else []
        rank = next((i for i, e in enumerate(board, 1) if e["student"] == entry["student"]), None)
        measured = figure(ch.metric, entry["value"])
        points = f"{ch.test_points} hidden test points"
        goal = goal_text(ch)
        if entry["violations"]:
            words = (
                f"Measured {measured} on {points}, but the network breaks the rules: "
                + "; ".join(entry["violations"])
                + ". It ranks below every network within them."
            )
        elif entry["goal_met"]:
            words = f"Goal reached: the server measured {measured} on {points} (goal: {goal})."
        else:
            words = f"Not yet: the server measured {measured} on {points}; the goal is {goal}."
        if rank is None:  # the instructor posted a new challenge while this was measured
            words += " A new challenge has been posted since: this one is closed."
        else:
            best = "" if board[rank - 1]["id"] == entry["id"] else " (your best submission)"
            words += f" You are {ordinal(rank)} of {len(board)}{best}."
        return {"challenge": challenge_id, **_shown(entry), "rank": rank, "message": words}

    # Events from every process ---------------------------------------------------------

    async def on_event(self, event: dict[str, Any]) -> None:
        if event["type"] == "challenge_posted":
            self._adopt(int(event["id"]), event["spec"], [])
        elif event["challenge"] == self.current_id:
            self._record(self.current_id, event["entry"])  # known already if submitted here
        else:
            return
        for m in self.room.members.values():
            self.greet(m.mailbox)

    def _adopt(self, challenge_id: int, spec: dict[str, Any], entries: list[dict]) -> None:
        fields = {k: v for k, v in spec.items() if k != "test_seed"}
        self.current = Challenge.from_dict(fields, test_seed=spec["test_seed"])
        self.current_id = challenge_id
        self.entries, self._seen = [], set()
        public = {"id": challenge_id, **self.current.public(), "goal_text": goal_text(self.current)}
        self._messages = {"challenge": text("challenge", challenge=public)}
        for entry in entries:
            self._record(challenge_id, entry)
        self._rank()

    def _record(self, challenge_id: int | None, entry: dict[str, Any]) -> bool:
        """Add a submission to the current challenge's (False: known already)."""
        if challenge_id != self.current_id or entry["id"] in self._seen:
            return False
        self._seen.add(entry["id"])
        self.entries.append(entry)
        self._rank()
        return True

    def _rank(self) -> None:
        assert self.current is not None
        board = leaderboard(self.entries, self.current.metric)
        rows = [{"rank": i, **_shown(e)} for i, e in enumerate(board[:SHOWN], 1)]
        self._messages["leaderboard"] = text(
            "leaderboard",
            challenge=self.current_id,
            metric=self.current.metric,
            entries=rows,
            students=len(board),
            submissions=len(self.entries),
        )


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    """What the room sees of a submission (not the place's ref, nor the time)."""
    keys = ("name", "value", "goal_met", "violations", "neurons", "hidden_layers", "epoch")
    return {k: entry[k] for k in keys} | {"within_rules": not entry["violations"]}


def goal_text(ch: Challenge) -> str:
    """The goal in words: "test accuracy ≥ 95.0 %", "test loss ≤ 0.1"."""
    if ch.metric == "test_accuracy":
        return f"test accuracy ≥ {100 * ch.goal:.1f} %"
    return f"test loss ≤ {ch.goal:g}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

"""Cohort slices: due sessions whose networks share a shape train in one engine call.

The scheduler (app.pacing) hands every pass's due sessions to `gather`. Those due for whole
epochs (not mini-batch slices) whose trainers have equal `engine.cohort.cohort_key` and the
same number of epochs left in their frame form a cohort; `train` runs it through
`engine.cohort.train_epochs`, which gives each member exactly the weights it would have
alone, and splits the measured cost equally among the members' CPU accounts (app.budget).
Sessions join and leave cohorts by themselves: the groups are formed anew every pass from
the sessions' current config, play state and sockets. `measure` then refreshes, in one
engine call, the metrics of the members whose frames are complete and due a refresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Iterable

from app.session import Session
from engine import cohort, cohort_metrics

log = logging.getLogger(__name__)

# A session due within this fraction of its frame interval joins a cohort that trains now,
# so sessions started at different moments fall into step instead of training one by one.
EARLY_FRACTION = 0.5
# One cohort slice holds the loop for at most this many slice budgets (Settings.slice_ms):
# a larger cohort costs fewer NumPy calls per member, a shorter slice less control latency.
SLICE_FACTOR = 2.0


def group_key(session: Session, budget: float) -> Hashable | None:
    """What a cohort of `session` must share, or None: it trains alone (app.pacing)."""
    trainer = session.trainer
    if (
        not session.playing
        or trainer.batch_position
        or session.epoch_cost > 2 * budget  # an epoch too long for a slice: mini-batches
        or len(trainer.dataset.train) == 0
    ):
        return None
    key = cohort.cohort_key(trainer)
    if key is None:
        return None
    left = session.frame_target()[0] - trainer.epoch
    return (key, left) if left > 0 else None


def gather(
    sessions: Iterable[Session], now: float, due: dict[str, float], budget: float
) -> list[list[Session]]:
    """Cohorts of two or more among `sessions` (`due`: when each next has work; every one
    has paid for its CPU so far, app.budget).

    A group trains now if one member is due; members due a little later (EARLY_FRACTION of
    a frame) come along. A group larger than one slice is cut into slices of SLICE_FACTOR
    budgets, judged by the members' epoch costs.
    """
    groups: dict[Hashable, list[Session]] = {}
    for session in sessions:
        if due[session.id] > now + EARLY_FRACTION * session.frame_interval():
            continue
        key = group_key(session, budget)
        if key is not None:
            groups.setdefault(key, []).append(session)
    cohorts: list[list[Session]] = []
    for members in groups.values():
        if len(members) < 2 or all(due[s.id] > now for s in members):
            continue
        chunk: list[Session] = []
        cost = 0.0
        for session in members:
            if chunk and cost + session.epoch_cost > SLICE_FACTOR * budget:
                cohorts.append(chunk)
                chunk, cost = [], 0.0
            chunk.append(session)
            cost += session.epoch_cost
        cohorts.append(chunk)
    return [c for c in cohorts if len(c) > 1]


def train(members: list[Session], budget: float) -> float:
    """Train the cohort towards the end of its frame; seconds it took (charged to members)."""
    first = members[0]
    left = first.frame_target()[0] - first.trainer.epoch
    per_epoch = sum(s.epoch_cost for s in members)
    count = max(1, min(left, int(SLICE_FACTOR * budget / per_epoch)))
    start = time.perf_counter()
    done = cohort.train_epochs([s.trainer for s in members], count)
    elapsed = time.perf_counter() - start
    share = elapsed / len(members)
    for session, epochs in zip(members, done, strict=True):
        session.cohort_size = len(members)
        session.trained(share, epochs)
    return elapsed


def measure(members: list[Session]) -> int:
    """Refresh together the metrics of those `members` (whose frames are complete) that are
    due a refresh (all at once: refreshes fall in shared windows, app.session_frames), each
    charged an equal part; how many were refreshed.

    Each frame would otherwise measure its own; the values are the same either way
    (engine.cohort_metrics). On failure each measures its own, as alone. What is due is
    decided here, for every member: the frames go out one by one after this, the loop
    serving sockets in between, and a refresh window that ended meanwhile made every later
    member measure its own again, alone (a third as much again as the cohort's measuring,
    200 clients on 2 workers); each frame now carries the metrics as they are here.
    """
    due = [s for s in members if s.metrics_due(False)]
    measured = _measure_together(due) if len(due) > 1 else 0
    unmeasured = {s.id for s in due} if not measured else set()
    for session in members:
        if session.id not in unmeasured:
            session.pin_metrics()
    return measured


def _measure_together(due: list[Session]) -> int:
    start = time.perf_counter()
    try:
        measured = cohort_metrics.metrics([s.trainer for s in due])
    except Exception:
        log.exception("cohort metrics failed; its %d sessions measure their own", len(due))
        return 0
    share = (time.perf_counter() - start) / len(due)
    for session, metrics in zip(due, measured, strict=True):
        session.take_metrics(metrics, share)
        session.cpu.spend(share)
    return len(due)

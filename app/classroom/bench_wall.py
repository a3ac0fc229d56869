"""The class wall's cost: N students each play their own run; the instructor's wall is closed,
then open, in turn, ROUNDS times (equal stretches, so a drift in load falls on both).

    python -m app.classroom.bench --wall --students 100 --seconds 20

Reports the students' frames per second with the wall closed and open (min / p5 / median /
mean, and the ratio of the open to the closed mean: the issue allows a drop of 10 % at most),
the cards the instructor's wall received per second, and the server's CPU in each state.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
from typing import Any

import numpy as np
import websockets

from app import snapshot
from app.classroom.bench import Bench
from app.classroom.wall import CARD_SECONDS, frame_card
from app.settings import Settings
from engine import Config, Trainer

MAX_DROP = 0.10  # the wall may cost the students' frame rates this share at most
STATES = ("closed", "open")


class WallBench(Bench):
    """Students on their own runs feeding the wall (Bench gives the sockets and CPU)."""

    def __init__(
        self, base: str, students: int, seconds: float, compression: bool, rounds: int = 4, **kw
    ) -> None:
        super().__init__(base, students, seconds, compression, **kw)
        self.rounds = rounds
        self.state: str | None = None  # which stretch frames are counted for (None: none)
        self.frames = {s: np.zeros(students) for s in STATES}
        self.elapsed = dict.fromkeys(STATES, 0.0)
        self.server_cpu = dict.fromkeys(STATES, 0.0)
        self.cards = 0  # wall_card messages the instructor received while the wall was open

    async def student(self, i: int) -> None:
        ws = await self.connect({"name": f"wall bench {i}"})
        await ws.send(json.dumps({"type": "fork"}))
        await ws.send(json.dumps({"type": "configure", "data": {"fps": 30}}))
        await ws.send(json.dumps({"type": "play"}))
        counted = False
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    if not counted:
                        counted = True
                        self.ready += 1
                        if self.ready == self.n:
                            self.all_ready.set()
                    if self.state is not None:
                        self.frames[self.state][i] += 1
        except websockets.ConnectionClosed:
            pass

    async def watch(self, teacher: Any) -> None:
        async for message in teacher:
            if isinstance(message, str) and message.startswith('{"type":"wall_card"'):
                self.cards += self.state == "open"

    async def run(self) -> dict[str, Any]:
        request = urllib.request.Request(self.base + "/api/rooms", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            room = json.loads(response.read())
        self.code = room["code"]
        teacher = await self.connect({"secret": room["secret"]})
        watcher = asyncio.create_task(self.watch(teacher))
        tasks = []
        for start in range(0, self.n, 25):
            wave = range(start, min(start + 25, self.n))  # in waves, as a class arrives
            tasks += [asyncio.create_task(self.student(i)) for i in wave]
            await asyncio.sleep(0.05)
        await asyncio.wait_for(self.all_ready.wait(), 120)
        await asyncio.sleep(1.0)  # warm-up: every run is playing
        stretch = self.seconds / (2 * self.rounds)
        for state in STATES * self.rounds:
            await teacher.send(json.dumps({"type": "wall", "data": {"open": state == "open"}}))
            await asyncio.sleep(0.5)  # the wall's first burst of cards is not a steady state
            await self._measure(state, stretch)
        self.state = None
        await teacher.close()
        for task in [*tasks, watcher]:
            task.cancel()
        await asyncio.gather(*tasks, watcher, return_exceptions=True)
        return self.report_wall()

    async def _measure(self, state: str, seconds: float) -> None:
        cpu0 = self._cpu()
        started = time.perf_counter()
        self.state = state
        await asyncio.sleep(seconds)
        self.state = None
        self.elapsed[state] += time.perf_counter() - started
        cpu1 = self._cpu()
        self.server_cpu[state] += cpu1.get("server_cores", 0.0) - cpu0.get("server_cores", 0.0)

    def report_wall(self) -> dict[str, Any]:
        fps = {s: self.frames[s] / self.elapsed[s] for s in STATES}
        summary = {
            s: {
                "min": round(float(fps[s].min()), 1),
                "p5": round(float(np.percentile(fps[s], 5)), 1),
                "median": round(float(np.median(fps[s])), 1),
                "mean": round(float(fps[s].mean()), 1),
            }
            for s in STATES
        }
        # Of the frames all students got per second: robust when some are starved.
        closed, opened = float(fps["closed"].mean()), float(fps["open"].mean())
        ratio = opened / closed if closed else None
        medians = float(np.median(fps["closed"])), float(np.median(fps["open"]))
        result: dict[str, Any] = {
            "students": self.n,
            "seconds": round(sum(self.elapsed.values()), 2),
            "compression": self.compression or "none",
            "student_fps": summary,
            "open_to_closed_fps_ratio": None if ratio is None else round(ratio, 3),
            "open_to_closed_median_ratio": (
                round(medians[1] / medians[0], 3) if medians[0] else None
            ),
            "wall_cards_per_second": round(self.cards / self.elapsed["open"], 1),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        if self.server_pid is not None and all(self.server_cpu.values()):
            result["server_cores"] = {
                s: round(self.server_cpu[s] / self.elapsed[s], 2) for s in STATES
            }
            # Less dependent on how much CPU a loaded machine leaves the server.
            result["frames_per_server_cpu_second"] = {
                s: round(float(self.frames[s].sum()) / self.server_cpu[s]) for s in STATES
            }
        result["card_cost"] = card_cost()
        result["meets_target"] = ratio is not None and ratio >= 1 - MAX_DROP
        return result


def card_cost(fps: int = 30, repeats: int = 200) -> dict[str, float]:
    """What a card costs next to the frames it is made from, timed in this process.

    Less sensitive to a loaded machine than fps: both are CPU times of the same code the
    server runs, on the default network and map (the ratio is a second of cards, at most
    one, to a second of frames at `fps`).
    """
    settings = Settings()
    trainer = Trainer(Config())
    trainer.train_epochs(20)
    args = {
        "seq": 0, "state": "playing", "grid_size": settings.grid_size,
        "thumb_size": settings.thumb_size, "selected": None, "include_inputs": False,
        "levels": settings.map_levels,
    }  # fmt: skip

    def frame() -> bytes:
        return snapshot.build_frame(trainer, trainer.metrics(), **args).data

    started = time.process_time()  # CPU time: the machine's load does not count
    for _ in range(repeats // 10):
        built = frame()
    frame_ms = (time.process_time() - started) * 1000 / (repeats // 10)
    started = time.process_time()
    for _ in range(repeats):
        frame_card(built)
    card_ms = (time.process_time() - started) * 1000 / repeats
    return {
        "card_ms": round(card_ms, 3),
        "frame_ms": round(frame_ms, 3),
        "cards_to_frames_cpu": round(card_ms / CARD_SECONDS / (frame_ms * fps), 4),
    }

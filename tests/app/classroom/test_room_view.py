"""A room socket's own `view` (max_fps) over real sockets: it paces that socket only."""

from __future__ import annotations

from tests.app.classroom.server import run
from tests.app.classroom.test_room_socket import instructor_and_students

MAX_FPS = 2
COUNTED = 7  # frames the paced student receives after its view took effect


def test_max_fps_paces_only_the_socket_that_asked_and_the_pause_frame_still_comes(server):
    async def main():
        room, teacher, (paced, free) = await instructor_and_students(server, 2)
        await teacher.send("configure", fps=60, epochs_per_frame=1)
        await paced.send("view", max_fps=MAX_FPS)
        await paced.send("ping", t=1)
        await paced.text("pong")  # handled in order: the view applies from here on
        mark = len(paced.frames), len(free.frames)
        await teacher.send("play")
        await paced.until(lambda: len(paced.frames) >= mark[0] + COUNTED + 1)
        counted = paced.frames[mark[0] + 1 :]  # the first may go at once; the rest are paced
        await teacher.send("pause")
        paused = await teacher.text("status", lambda d: d["state"] == "paused")
        for student in (paced, free):
            last = await student.until(
                lambda s=student: next((f for f in s.frames if f.get("state") == "paused"), None)
            )
            assert last["epoch"] == paused["epoch"]  # the final state reaches both
        return counted, free.frames[mark[1] :]

    counted, unpaced = run(main())
    interval = 1000 / MAX_FPS
    # Each frame books the next slot one interval on; one late by up to an interval lets the
    # next come at once, so COUNTED frames span (COUNTED - 2) intervals or more. Half of it,
    # for a client that read the first one late on a loaded machine. Unpaced: 60 a second.
    span = counted[COUNTED - 1]["received_at"] - counted[0]["received_at"]
    assert span >= 0.5 * (COUNTED - 2) * interval
    # The other student (and its own socket's mailbox) was not held back by this one's view.
    during = [
        f
        for f in unpaced
        if counted[0]["received_at"] <= f["received_at"] <= counted[COUNTED - 1]["received_at"]
    ]
    assert len(during) > 2 * COUNTED

"""The `lesson` message: a real server plays a lesson to stop_at and its frames judge it."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import connect

from app.lessons import course
from tests.app.test_live_server import next_frame, next_text, send
from tests.app.wsclient import connect as connect_in_process
from tests.app.wsclient import running_app

pytestmark = pytest.mark.timeout(120)
LESSONS = {lesson.id: lesson for lesson in course()}


async def _play_to_stop_at(ws, lesson_id: str, variant: int | None) -> dict:
    """Open the lesson, play, and return the frame header of the epoch it pauses at."""
    await send(ws, "lesson", {"id": lesson_id, "variant": variant})
    config = (await next_text(ws, "config"))["config"]
    assert config["stop_at"] == LESSONS[lesson_id].stop_at
    await send(ws, "play")
    while True:
        status = await next_text(ws, "status")
        if status["state"] == "paused" and "stop_at" in status["message"]:
            break
    header, _ = await next_frame(ws, lambda h: h["state"] == "paused")
    return header


@pytest.mark.parametrize(
    ("lesson_id", "variant"), [("l1-l2", None), ("l1-l2", 0), ("vanishing-gradients", None)]
)
def test_a_lesson_plays_to_stop_at_and_its_frame_shows_every_check_met(
    shared_live_server, lesson_id, variant
):
    lesson = LESSONS[lesson_id]
    expect = lesson.expect if variant is None else lesson.now_try[variant].expect

    async def scenario():
        async with connect(shared_live_server.ws_url, max_size=None) as ws:
            await next_text(ws, "hello")
            header = await _play_to_stop_at(ws, lesson_id, variant)
            assert header["epoch"] == lesson.stop_at
            followed = header["lesson"]
            assert (followed["id"], followed["variant"]) == (lesson_id, variant)
            assert [c["label"] for c in followed["checks"]] == [e.label for e in expect]
            assert all(c["met"] for c in followed["checks"]), followed["checks"]

    asyncio.run(scenario())


def test_the_checks_are_unmet_at_the_start_and_stop_with_id_null():
    with running_app() as client, connect_in_process(client) as (ws, _):
        ws.send("lesson", {"id": "feature-map"})
        status = ws.expect("status")
        assert (status["state"], status["epoch"]) == ("paused", 0)
        frame = ws.frame_where(lambda f: "lesson" in f.header)
        (check,) = frame.header["lesson"]["checks"]
        assert check["metric"] == "test_accuracy" and check["met"] is False
        assert check["actual"] == frame.header["test_accuracy"]
        ws.send("lesson", {"id": None})
        assert "lesson" not in ws.frame().header


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"id": "no-such-lesson"}, "id"),
        ({"id": 3}, "id"),
        ({"id": "l1-l2", "variant": 1}, "variant"),
        ({"id": "perceptron-xor", "variant": 0}, "variant"),
    ],
)
def test_a_bad_lesson_message_is_an_error_naming_the_field_and_changes_nothing(data, field):
    with running_app() as client, connect_in_process(client) as (ws, _):
        ws.send("lesson", data)
        error = ws.error()
        assert error["field"] == field
        ws.send("configure", {"learning_rate": 0.1})
        assert ws.expect("config")["config"]["dataset"] == "circle"


def test_a_lesson_wider_than_the_server_allows_is_refused_naming_hidden():
    with running_app(max_neurons=16) as client, connect_in_process(client) as (ws, _):
        ws.send("lesson", {"id": "depth"})  # one hidden layer of 24
        assert ws.error()["field"] == "hidden"

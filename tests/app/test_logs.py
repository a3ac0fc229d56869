"""Log lines of a real server (app.logs): one per event, time, level and logger, text or JSON,
uvicorn's access and error logs included, in every worker, session ids redacted."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.logs import JsonFormatter, TextFormatter
from tests.app.test_live_server import WAIT, next_text

pytestmark = pytest.mark.timeout(120)

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SECRET = "Zm9yZ2VkLXNlc3Npb24taWQ"  # a session id a client might send


def traffic(server) -> None:
    """A page request, an unknown session's resume, and an invalid message on a socket."""
    with urllib.request.urlopen(server.url + "/healthz", timeout=WAIT) as response:
        assert response.status == 200

    async def sockets() -> None:
        async with connect(f"{server.ws_url}?session={SECRET}") as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), WAIT)
        async with connect(server.ws_url) as ws:
            await next_text(ws, "hello")
            await ws.send("not json")
            assert (await next_text(ws, "error"))["code"] == "invalid_message"

    asyncio.run(sockets())


def server_lines(server, logger: str, needle: str, parse) -> list:
    """The log's lines, parsed, once one of `logger` containing `needle` is there (a state:
    the access line is written after the response)."""
    for _ in range(400):
        lines = [parse(line) for line in server.log().splitlines() if line.strip()]
        if any(e["logger"] == logger and needle in e["message"] for e in lines):
            return lines
        asyncio.run(asyncio.sleep(0.05))
    raise AssertionError(f"no {logger} line with {needle!r} in:\n{server.log()}")


def test_json_lines_from_two_workers_carry_time_level_logger_and_access_fields(
    live_server_factory,
):
    server = live_server_factory(log_format="json", workers=2)
    traffic(server)
    events = server_lines(server, "app.connection", "invalid_message", json.loads)
    for event in events:  # every line is one JSON object
        assert re.fullmatch(TIME, event["time"]) and event["level"] in LEVELS, event
        assert event["logger"] and isinstance(event["message"], str)
    access = [e for e in events if e["logger"] == "uvicorn.access" and e["path"] == "/healthz"]
    assert access and access[0]["method"] == "GET" and access[0]["status"] == 200
    assert {"uvicorn.error", "app.connection"} <= {e["logger"] for e in events}
    assert len({e["pid"] for e in events}) >= 2  # the supervisor and its workers
    assert SECRET not in server.log()
    assert "session=…" in server.log()


def test_text_lines_start_with_time_level_and_logger(live_server_factory):
    server = live_server_factory(log_format="text")
    traffic(server)
    pattern = re.compile(rf"({TIME}) ({'|'.join(LEVELS)}) (\S+) (.*)")

    def parse(line: str) -> dict:
        match = pattern.fullmatch(line)
        assert match, line
        return {"logger": match[3], "message": match[4]}

    lines = server_lines(server, "app.connection", "invalid_message", parse)
    assert any(e["logger"] == "uvicorn.access" and "/healthz" in e["message"] for e in lines)
    assert SECRET not in server.log()


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()])
def test_a_traceback_stays_on_its_events_line(formatter):
    try:
        raise ValueError("first\nsecond")
    except ValueError:
        record = logging.LogRecord(
            "app.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line and "ValueError" in line

"""docs/protocol.md and the code name the same messages, fields and close codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.connection import SOCKET_MESSAGES
from app.handlers import HANDLERS
from app.metrics import COUNTERS, GAUGES, Metrics
from app.options import SOCKET_VIEW_OPTIONS, server_options
from app.protocol import MESSAGE_TYPES, CloseCode
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "protocol.md").read_text()
CLASSROOM_DOC = (ROOT / "docs" / "classroom.md").read_text()
SOCKET_JS = (ROOT / "static" / "js" / "socket.js").read_text()


@pytest.mark.parametrize("kind", sorted(MESSAGE_TYPES))
def test_every_client_message_type_is_documented_and_handled(kind):
    assert f"| `{kind}`" in DOC or f"`{kind}` /" in DOC or f"/ `{kind}`" in DOC
    assert kind in HANDLERS or kind in SOCKET_MESSAGES


@pytest.mark.parametrize("code", list(CloseCode))
def test_every_close_code_is_documented_with_its_number(code):
    assert re.search(rf"\| {int(code)} \| `{code.name}` \|", DOC)


@pytest.mark.parametrize("code", [c for c in CloseCode if c < 4100])
def test_every_session_close_code_is_mirrored_in_the_page_socket_js(code):
    assert re.search(rf"\b{code.name}: {int(code)},", SOCKET_JS)


@pytest.mark.parametrize("name", sorted(server_options(Settings())))
def test_every_server_config_field_is_documented(name):
    assert f"| `{name}` |" in DOC


@pytest.mark.parametrize(
    "name",
    [n for n in Settings.model_fields if n.startswith(("max_", "messages_", "grace"))],
)
def test_every_limit_is_documented(name):
    # Session limits in docs/protocol.md, classroom ones in docs/classroom.md.
    assert f"`{name}`" in DOC or f"`PLAYGROUND_{name.upper()}`" in CLASSROOM_DOC


@pytest.mark.parametrize(
    "name",
    sorted(
        {f.name for f in Metrics().registry.collect() if f.name.startswith("playground")}
        | {f"playground_{name}" for name in GAUGES}  # gauges appear once a source is added
    ),
)
def test_every_metric_is_documented(name):
    # prometheus_client names a counter's family without its _total suffix.
    suffix = "_total" if name.removeprefix("playground_") in COUNTERS else ""
    assert f"| `{name}{suffix}` |" in DOC


def test_every_field_of_hello_config_and_a_frame_header_is_documented():
    from tests.app.wsclient import connect, running_app

    with running_app() as client, connect(client) as (ws, hello):
        ws.send("configure", {"learning_rate": 0.1})
        config = ws.expect("config")
        header = ws.frame().header
    rows = {line.split("|")[1].strip(): line for line in DOC.splitlines() if line.startswith("| `")}
    assert all(f"`{key}`" in rows["`hello`"] for key in hello)
    assert all(f"`{key}`" in rows["`config`"] for key in config)
    frame_doc = DOC.split("Header: ")[1].split("Maps are")[0]
    assert all(f"`{key}`" in frame_doc for key in header if key != "type"), header


@pytest.mark.parametrize("name", sorted(SOCKET_VIEW_OPTIONS))
def test_every_socket_view_field_is_documented_with_its_range(name):
    spec = SOCKET_VIEW_OPTIONS[name]
    assert f'`{{"{name}": n}}` ({spec["min"]}-{spec["max"]}' in DOC

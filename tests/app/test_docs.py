"""docs/protocol.md and the code name the same messages, fields and close codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.handlers import HANDLERS
from app.metrics import COUNTERS, GAUGES, Metrics
from app.options import server_options
from app.protocol import MESSAGE_TYPES, CloseCode
from app.settings import Settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
CLASSROOM_DOC = (Path(__file__).resolve().parents[2] / "docs" / "classroom.md").read_text()


@pytest.mark.parametrize("kind", sorted(MESSAGE_TYPES))
def test_every_client_message_type_is_documented_and_handled(kind):
    assert f"| `{kind}`" in DOC or f"`{kind}` /" in DOC or f"/ `{kind}`" in DOC
    assert kind in HANDLERS


@pytest.mark.parametrize("code", list(CloseCode))
def test_every_close_code_is_documented_with_its_number(code):
    assert re.search(rf"\| {int(code)} \| `{code.name}` \|", DOC)


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

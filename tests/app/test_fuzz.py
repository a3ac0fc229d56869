"""Whatever a client sends, the session answers and goes on (property test)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.protocol import MESSAGE_TYPES
from tests.app.wsclient import connect, running_app

pytestmark = pytest.mark.timeout(300)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["epochs", "batches", "layer", "source", "target", "neuron", "value", "points", "near",
     "radius", "text", "state", "reseed", "hidden", "learning_rate", "features", "fps",
     "thumb_size", "dataset", "t"]
)  # fmt: skip
data = st.one_of(values, st.dictionaries(field_names, values, max_size=4))
messages = st.builds(
    lambda kind, payload: {"type": kind, "data": payload},
    st.sampled_from(sorted(MESSAGE_TYPES)) | st.text(max_size=8),
    data,
)


@pytest.fixture(scope="module")
def socket():
    app = running_app(messages_per_second=10_000, message_burst=10_000, max_errors=10_000)
    with app as client, connect(client) as (ws, _):
        yield ws


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=messages)
def test_any_message_is_answered_and_the_session_goes_on(socket, message):
    if message["type"] == "step" and isinstance(message["data"], dict):
        message["data"].pop("epochs", None)  # keep each example short: one epoch at most
        message["data"].pop("batches", None)
    socket.send("", raw=json.dumps(message))
    replies = socket.roundtrip()
    errors = [r for r in replies if isinstance(r, dict) and r["type"] == "error"]
    assert all(e["data"]["code"] != "internal_error" for e in errors), errors
    socket.send("pause")

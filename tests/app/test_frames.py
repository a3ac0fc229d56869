"""Binary frame encoding: layout, alignment, quantisation."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import frames, snapshot
from engine import Config, Trainer


def test_roundtrip_keeps_header_and_arrays():
    weights = np.array([0.5, -1.25, 3.0], dtype=np.float32)
    codes = np.arange(12, dtype=np.uint8).reshape(3, 4)
    message = frames.encode({"type": "frame", "seq": 4}, [("w", weights), ("c", codes)])
    header, arrays = frames.decode(message)
    assert header["seq"] == 4
    np.testing.assert_array_equal(arrays["w"], weights)
    np.testing.assert_array_equal(arrays["c"], codes)
    assert [a["dtype"] for a in header["arrays"]] == ["float32", "uint8"]


@pytest.mark.parametrize("sizes", [(1,), (3, 5), (7, 2, 9), (4, 4, 4)])
def test_payload_and_every_array_start_at_a_multiple_of_four(sizes):
    arrays = [(f"a{i}", np.ones(n, dtype=np.uint8)) for i, n in enumerate(sizes)]
    arrays.append(("w", np.ones(3, dtype=np.float32)))
    message = frames.encode({"type": "frame", "text": "x" * len(sizes)}, arrays)
    (length,) = struct.unpack_from("<I", message)
    assert (4 + length) % 4 == 0
    header = json.loads(message[4 : 4 + length])
    assert all(spec["offset"] % 4 == 0 for spec in header["arrays"])
    # A float32 view straight on the message buffer works, as in the browser.
    spec = header["arrays"][-1]
    view = np.frombuffer(message, np.float32, 3, 4 + length + spec["offset"])
    np.testing.assert_array_equal(view, 1.0)


def test_quantise_clamps_and_maps_the_ends_to_the_first_and_last_code():
    values = np.array([-5.0, -1.0, 0.0, 1.0, 7.0, np.nan, np.inf, -np.inf])
    q = frames.quantise(values, -1.0, 1.0, 32)
    assert q.codes.dtype == np.uint8
    assert q.codes.tolist() == [0, 0, 16, 31, 31, 0, 31, 0]
    assert q.scale == pytest.approx(2 / 31)


@pytest.mark.parametrize("levels", [2, 32, 256])
def test_dequantised_values_are_within_half_a_step(levels):
    values = np.linspace(-1, 1, 1001)
    q = frames.quantise(values, -1.0, 1.0, levels)
    decoded = q.lo + q.codes * q.scale
    assert np.max(np.abs(decoded - values)) <= q.scale / 2 + 1e-6
    assert q.codes.max() == levels - 1


def test_a_nan_metric_is_sent_as_null():
    message = frames.encode({"type": "frame", "loss": float("nan"), "l": [1.0, float("inf")]}, [])
    header, _ = frames.decode(message)
    assert header["loss"] is None and header["l"] == [1.0, None]


@pytest.mark.parametrize("hidden", [(4, 2), (8, 8, 8, 8, 8, 8), (3,), ()])
def test_frame_weights_are_each_layers_w_row_major_then_its_b(hidden):
    # The gather from the flat params gives what the layers' own arrays say, live or frozen.
    trainer = Trainer(Config(hidden=hidden, features=("x1", "x2", "x1_squared")))
    trainer.train_epochs(2)
    expected = np.concatenate(
        [np.concatenate([w.ravel(), b.ravel()]) for w, b in trainer.weights()]
    ).astype(np.float32)
    for source in (trainer, snapshot.FrozenTrainer(trainer)):
        sent = snapshot.flat_weights(source)
        assert sent.dtype == np.float32 and np.array_equal(sent, expected)


def stdlib_header(header: dict) -> dict:
    """What the header meant when the standard library wrote it (NaN and inf as null)."""
    return json.loads(json.dumps(frames._finite(header), allow_nan=False))


def read_header(message: bytes) -> dict:
    """The header as the page reads it: UTF-8 text, then JSON (JSON.parse)."""
    (length,) = struct.unpack_from("<I", message)
    return json.loads(message[4 : 4 + length].decode("utf-8"))


_SCALARS = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(2**63), 2**63 - 1)
    | st.booleans()
    | st.none()
    | st.text()
    | st.floats(width=64).map(np.float64)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), _VALUES, max_size=8))
def test_any_header_reads_back_as_the_standard_library_wrote_it(header):
    assert read_header(frames.encode(header, [])) == stdlib_header({**header, "arrays": []})


def test_a_header_with_keys_that_are_not_strings_is_still_written():
    message = frames.encode({"type": "frame", "by_class": {0: 1.5, 1: float("nan")}}, [])
    assert read_header(message)["by_class"] == {"0": 1.5, "1": None}


def test_a_training_sessions_frames_read_back_as_before():
    trainer = Trainer(Config())
    for _ in range(3):
        trainer.train_epochs(5)
        frame = snapshot.build_frame(
            trainer,
            trainer.metrics(),
            seq=1,
            state="playing",
            grid_size=100,
            thumb_size=20,
            selected=(1, 0),
            include_inputs=True,
            levels=32,
        )
        header = read_header(frame.data)
        assert header == stdlib_header(header)
        metrics = {k: v for k, v in trainer.metrics().items() if not k.startswith("status")}
        assert {k: header[k] for k in metrics} == stdlib_header(metrics)
        assert frames.decode_header(frame.data)[0] == header

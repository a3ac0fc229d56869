"""Every feature's input map goes out (active or not), in the registry's order."""

from __future__ import annotations

import numpy as np
import pytest

from app.settings import Settings
from engine import FEATURES
from tests.app.wsclient import connect, running_app

pytestmark = pytest.mark.timeout(60)
ALL = list(FEATURES)
# Half a quantisation step over [-1, 1]: codes are rounded to the nearest level.
STEP = 1 / (Settings().map_levels - 1) + 1e-6


@pytest.fixture
def ws():
    with running_app() as client, connect(client) as (c, hello):
        c.hello = hello
        yield c


def expected_maps(n: int, t: int) -> np.ndarray:
    """(F_all, t, t): each feature at the block centres of the n-grid, clamped to [-1, 1]."""
    k = n // t
    centres = slice(k // 2, None, k)
    # Column 0 is the left (x1 = -6), row 0 the top (x2 = +6).
    x1, x2 = np.meshgrid(np.linspace(-6, 6, n)[centres], np.linspace(6, -6, n)[centres])
    return np.clip([FEATURES[name].fn(x1, x2) for name in ALL], -1, 1)


def test_the_first_frame_carries_every_features_map_in_the_published_order(ws):
    frame = ws.frame()
    assert frame.header["input_features"] == ALL == ws.hello["options"]["features"]["choices"]
    np.testing.assert_allclose(frame.arrays["inputs"], expected_maps(100, 20), atol=STEP)


def test_inactive_features_keep_their_maps_after_a_rebuild(ws):
    ws.frame()
    ws.send("configure", {"features": ["x1_squared", "sin_x2"], "thumb_size": 10})
    assert ws.expect("config")["rebuilt"]["network"] is True
    frame = ws.frame_where(lambda f: "inputs" in f.arrays)
    assert frame.header["input_features"] == ALL
    inputs = frame.arrays["inputs"]
    assert inputs.shape == (len(ALL), 10, 10)
    np.testing.assert_allclose(inputs, expected_maps(100, 10), atol=STEP)
    x1 = inputs[ALL.index("x1")]
    assert x1.min() < -0.9 and x1.max() > 0.9  # x1 is off, yet its picture is not blank


def test_frames_without_input_maps_do_not_list_the_features(ws):
    ws.frame()
    ws.send("step")
    frame = ws.frame()
    assert "inputs" not in frame.arrays
    assert "input_features" not in frame.header


@pytest.mark.parametrize(("neuron", "name"), [(0, "x1_squared"), (1, "sin_x2")])
def test_selecting_input_neuron_j_shows_the_jth_active_feature(ws, neuron, name):
    ws.frame()
    ws.send("configure", {"features": ["x1_squared", "sin_x2"]})
    ws.frame_where(lambda f: "inputs" in f.arrays)
    ws.send("select_node", {"layer": 0, "neuron": neuron})
    frame = ws.frame_where(lambda f: "selected" in f.arrays)
    full = expected_maps(100, 100)[ALL.index(name)]
    np.testing.assert_allclose(frame.arrays["selected"], full, atol=STEP)

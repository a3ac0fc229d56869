"""Every client message type over an in-process websocket (docs/protocol.md)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import FEATURES
from tests.app.wsclient import Frame, connect, running_app

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def client():
    with running_app() as test_client:
        yield test_client


@pytest.fixture
def ws(client):
    with connect(client) as (c, hello):
        c.hello = hello
        yield c


def test_hello_carries_session_options_limits_config_and_status(ws):
    hello = ws.hello
    assert len(hello["session"]) >= 16
    assert hello["resumed"] is False
    assert hello["options"]["hidden"]["max_layers"] == 8
    assert hello["options"]["hidden"]["max"] == 32
    assert hello["options"]["fps"]["default"] == 30
    assert hello["limits"]["max_points"] == 2000
    assert hello["config"]["dataset"] == "circle"
    assert hello["config"]["epochs_per_frame"] == 1
    assert hello["status"]["state"] == "paused"
    assert hello["layer_sizes"] == [2, 4, 2, 1]  # inputs, hidden..., output


def test_connect_sends_dataset_then_a_frame_with_every_array(ws):
    dataset = ws.expect("dataset")
    assert dataset["problem"] == "classification"
    assert len(dataset["points"]) == 500
    assert {p[3] for p in dataset["points"]} == {0, 1}
    frame = ws.frame()
    assert frame.header["type"] == "frame"
    assert frame.header["epoch"] == 0
    assert frame.arrays["output"].shape == (100, 100)
    assert frame.arrays["neurons"].shape == (4 + 2 + 1, 20, 20)
    assert frame.arrays["inputs"].shape == (len(FEATURES), 20, 20)  # every feature, on or off
    assert frame.arrays["weights"].shape == (2 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1,)
    assert np.all(np.abs(frame.arrays["output"]) <= 1.0)


def test_play_streams_frames_with_rising_epochs_until_pause(ws):
    ws.frame()
    ws.send("play")
    assert ws.expect("status")["state"] == "playing"
    first = ws.frame()
    later = ws.frame_where(lambda f: f.header["epoch"] >= first.header["epoch"] + 3)
    assert later.header["seq"] > first.header["seq"]
    ws.send("pause")
    assert ws.expect("status")["state"] == "paused"
    epoch = ws.frame().header["epoch"]  # the frame sent on pause shows the exact state
    seen = ws.roundtrip()
    assert all(f.header["epoch"] == epoch for f in seen if isinstance(f, Frame))


def test_step_trains_exactly_n_epochs_and_sends_one_frame(ws):
    ws.frame()
    ws.send("step", {"epochs": 7})
    assert ws.frame().header["epoch"] == 7
    ws.send("step")
    assert ws.frame().header["epoch"] == 8


def test_step_by_batches_advances_the_epoch_when_a_pass_completes(ws):
    ws.frame()
    ws.send("step", {"batches": 25})  # 250 training points in batches of 10: one epoch
    assert ws.frame().header["epoch"] == 1


def test_configure_live_field_keeps_epoch_and_weights(ws):
    ws.frame()
    ws.send("step", {"epochs": 5})
    before = ws.frame()
    ws.send("configure", {"learning_rate": 0.1, "fps": 10})
    config = ws.expect("config")
    assert config["rebuilt"] == {"data": False, "network": False}
    assert config["config"]["learning_rate"] == 0.1
    assert config["config"]["fps"] == 10
    after = ws.frame()
    assert after.header["epoch"] == 5
    np.testing.assert_array_equal(after.arrays["weights"], before.arrays["weights"])


def test_configure_network_field_rebuilds_and_reshapes_the_frame(ws):
    ws.frame()
    ws.send("configure", {"hidden": [3], "features": ["x1", "x2", "x1_x2"]})
    config = ws.expect("config")
    assert config["rebuilt"]["network"] is True
    frame = ws.frame()
    assert frame.header["epoch"] == 0
    assert frame.arrays["neurons"].shape == (3 + 1, 20, 20)
    assert frame.arrays["inputs"].shape == (len(FEATURES), 20, 20)
    assert frame.arrays["weights"].shape == (3 * 3 + 3 + 3 + 1,)


def test_configure_data_field_sends_the_new_dataset(ws):
    ws.expect("dataset")
    ws.send("configure", {"dataset": "xor", "num_points": 100})
    assert ws.expect("config")["rebuilt"]["data"] is True
    assert len(ws.expect("dataset")["points"]) == 100


def test_configure_thumb_size_changes_neuron_map_resolution(ws):
    ws.frame()
    ws.send("configure", {"thumb_size": 10})
    assert ws.frame().arrays["neurons"].shape == (7, 10, 10)


def test_reset_keeps_data_returns_to_epoch_zero_and_same_weights(ws):
    first = ws.frame()
    ws.send("step", {"epochs": 3})
    assert ws.frame().header["epoch"] == 3
    ws.send("reset")
    assert ws.expect("status")["state"] == "paused"
    again = ws.frame()
    assert again.header["epoch"] == 0
    np.testing.assert_array_equal(again.arrays["weights"], first.arrays["weights"])


def test_reset_with_reseed_draws_new_weights(ws):
    first = ws.frame()
    ws.send("reset", {"reseed": True})
    config = ws.expect("config")
    assert config["config"]["seed"] != 0
    assert not np.array_equal(ws.frame().arrays["weights"], first.arrays["weights"])


def test_regenerate_changes_the_data_and_keeps_the_network(ws):
    old = ws.expect("dataset")["points"]
    ws.send("step", {"epochs": 2})
    trained = ws.frame_where(lambda f: f.header["epoch"] == 2)
    ws.send("regenerate")
    assert ws.expect("config")["config"]["data_seed"] != 0
    new = ws.expect("dataset")["points"]
    assert new != old
    frame = ws.frame()
    assert frame.header["epoch"] == 2
    np.testing.assert_array_equal(frame.arrays["weights"], trained.arrays["weights"])


def test_set_weight_and_set_bias_show_in_the_next_frame_while_paused(ws):
    ws.frame()
    # Layer 1's link from input 1 to its neuron 2: the first W (2 x 4), row-major.
    ws.send("set_weight", {"layer": 1, "source": 1, "target": 2, "value": 0.75})
    weights = ws.frame().arrays["weights"]
    assert weights[1 * 4 + 2] == pytest.approx(0.75)
    ws.send("set_bias", {"layer": 2, "neuron": 1, "value": -0.5})
    weights = ws.frame().arrays["weights"]
    assert weights[12 + 8 + 1] == pytest.approx(-0.5)  # W1 8 + b1 4, W2 8, then b2


@pytest.mark.parametrize(("layer", "neuron", "count"), [(0, 1, 2), (1, 3, 4), (3, 0, 1)])
def test_select_node_adds_its_full_resolution_map(ws, layer, neuron, count):
    ws.frame()
    ws.send("select_node", {"layer": layer, "neuron": neuron})
    frame = ws.frame()
    assert frame.header["selected"] == [layer, neuron]
    assert frame.arrays["selected"].shape == (100, 100)
    ws.send("select_node", None)
    assert "selected" not in ws.frame().arrays


def test_add_points_makes_the_dataset_custom_and_appends(ws):
    ws.expect("dataset")
    ws.send("add_points", {"points": [[1.0, 2.0, 1], [-3.0, 0.5, 0]]})
    assert ws.expect("config")["config"]["dataset"] == "custom"
    points = ws.expect("dataset")["points"]
    assert len(points) == 502
    assert [1.0, 2.0, 1] in [p[:3] for p in points]


def test_clear_points_then_add_then_remove_near(ws):
    ws.expect("dataset")
    ws.send("clear_points")
    assert ws.expect("dataset")["points"] == []
    ws.send("add_points", {"points": [[1, 1, 1], [1.2, 1.1, 0], [-4, -4, 1]]})
    assert len(ws.expect("dataset")["points"]) == 3
    ws.send("remove_points", {"near": [1, 1], "radius": 0.5})
    assert [p[:3] for p in ws.expect("dataset")["points"]] == [[-4, -4, 1]]


def test_play_with_no_training_points_is_refused(ws):
    ws.expect("dataset")
    ws.send("clear_points")
    ws.expect("dataset")
    ws.send("play")
    error = ws.error()
    assert error["request"] == "play"
    assert "points" in error["message"]


def test_load_csv_replaces_the_data(ws):
    ws.expect("dataset")
    ws.send("load_csv", {"text": "x1,x2,label\n1,2,1\n-1,-2,0\n3,3,1\n"})
    points = ws.expect("dataset")["points"]
    assert sorted(p[:3] for p in points) == [[-1, -2, 0], [1, 2, 1], [3, 3, 1]]


def test_export_then_restore_brings_back_the_exact_state(ws):
    ws.frame()
    ws.send("step", {"epochs": 4})
    ws.frame_where(lambda f: f.header["epoch"] == 4)
    ws.send("export")
    state = ws.expect("state")["state"]
    ws.send("step", {"epochs": 3})
    ws.frame_where(lambda f: f.header["epoch"] == 7)
    ws.send("step")
    after_8 = ws.frame_where(lambda f: f.header["epoch"] == 8)
    ws.send("restore", {"state": state})
    assert ws.frame().header["epoch"] == 4
    ws.send("step", {"epochs": 4})
    again = ws.frame_where(lambda f: f.header["epoch"] == 8)
    np.testing.assert_array_equal(again.arrays["weights"], after_8.arrays["weights"])


def test_ping_is_answered_with_pong_carrying_t(ws):
    ws.send("ping", {"t": 12.5})
    assert ws.expect("pong") == {"t": 12.5}


def test_softmax_output_map_has_a_class_axis_and_probability_range(ws):
    ws.frame()
    ws.send("configure", {"dataset": "blobs", "num_classes": 3, "loss": "cross_entropy"})
    config = ws.expect("config")
    assert config["rebuilt"]["network"] is True
    assert config["layer_sizes"] == [2, 4, 2, 3]  # the output count, said once
    frame = ws.frame()
    assert frame.header["state"] == "paused" and "status" not in frame.header
    output = frame.arrays["output"]
    assert output.shape == (100, 100, 3)
    np.testing.assert_allclose(output.sum(axis=2), 1.0, atol=3 * 1 / 31)
    spec = next(a for a in frame.header["arrays"] if a["name"] == "output")
    assert spec["lo"] == 0.0
    assert frame.arrays["neurons"].shape == (4 + 2 + 3, 20, 20)
    assert len(frame.header["confusion"]) == 3
    ws.send("select_node", {"layer": 3, "neuron": 2})
    np.testing.assert_allclose(ws.frame().arrays["selected"], output[:, :, 2], atol=1e-9)


def test_regression_frames_carry_no_accuracy(ws):
    ws.frame()
    ws.send("configure", {"problem": "regression"})
    assert ws.expect("config")["config"]["dataset"] == "plane"
    frame = ws.frame()
    assert frame.header["train_accuracy"] is None and frame.header["confusion"] is None
    assert frame.arrays["output"].shape == (100, 100)


def test_trace_answers_one_points_backprop_and_changes_nothing(ws):
    ws.send("step", {"epochs": 2})
    before = ws.frame_where(lambda f: f.header["epoch"] == 2)
    ws.send("trace", {"index": 7})
    reply = ws.expect("trace")["trace"]
    assert reply["point"]["index"] == 7
    layers = reply["layers"]
    assert [len(layer["weights"]) for layer in layers] == [2, 4, 2]  # default 2 -> 4 -> 2 -> 1
    # The trace's weights are the frame's: per layer W row-major, then b (docs/protocol.md).
    flat = [v for layer in layers for v in [*np.ravel(layer["weights"]), *layer["biases"]]]
    np.testing.assert_allclose(before.arrays["weights"], flat, rtol=1e-6)
    ws.send("export")
    assert ws.expect("state")["state"]["trainer"]["epoch"] == 2


@pytest.mark.parametrize("data", [{}, {"index": -1}, {"index": 10**9}, {"index": "3"}])
def test_a_bad_trace_index_is_an_error_naming_the_field(ws, data):
    ws.send("trace", data)
    error = ws.error()
    assert error["field"] == "index", error

"""Cheaper frames: thumbnails only when they moved by more than a quantisation step, and a
cohort's maps made together, each member's frame the bytes it would be alone."""

from __future__ import annotations

import numpy as np
import pytest

from app import frames, snapshot
from app.session import Session
from app.settings import Settings
from engine import Config, Trainer

ARGS = {"grid_size": 100, "thumb_size": 20, "levels": 32}


class Keeper:
    """A subscriber that keeps the thumbnails it got, as a socket's Mailbox does."""

    frame_pending = False

    def __init__(self) -> None:
        self.frames: list[tuple[dict, dict]] = []

    def send_text(self, text: str) -> None: ...

    def offer_frame(self, frame: bytes) -> None:
        self.frames.append(frames.decode(frame))

    def discard_frame(self) -> None: ...


def session_with(subscriber: Keeper) -> Session:
    session = Session("t", Settings(), np.random.default_rng(0))
    session.subscribers = [subscriber]
    return session


def true_thumbnails(session: Session) -> np.ndarray:
    grid = session.trainer.grid(ARGS["grid_size"])
    levels = ARGS["levels"]
    return frames.quantise(grid.thumbnails(ARGS["thumb_size"]), -1.0, 1.0, levels).codes


def test_unchanged_thumbnails_are_left_out_and_changed_ones_resent():
    socket = Keeper()
    session = session_with(socket)
    session.publish_frame()  # the first frame (after the rebuild) carries everything
    session.publish_frame()  # nothing changed
    assert ["neurons" in arrays for _, arrays in socket.frames] == [True, False]
    session.trainer.set_weight(1, 0, 0, 3.0)  # a hidden neuron's picture changes a lot
    session.publish_frame()
    header, arrays = socket.frames[-1]
    assert "neurons" in arrays
    scale = 2 / (ARGS["levels"] - 1)
    np.testing.assert_allclose(arrays["neurons"], -1 + true_thumbnails(session) * scale)
    session.resend_maps()  # e.g. a new socket attached
    session.publish_frame()
    assert "neurons" in socket.frames[-1][1]


def test_the_thumbnails_a_page_holds_stay_within_one_step_while_training():
    socket = Keeper()
    session = session_with(socket)
    shown, left_out = None, 0
    for _ in range(120):
        session.trainer.train_epochs(1)
        session.publish_frame(fresh=False)
        arrays = socket.frames[-1][1]
        if "neurons" in arrays:
            shown = np.rint((arrays["neurons"] + 1) / (2 / (ARGS["levels"] - 1)))
        else:
            left_out += 1
        difference = np.abs(shown - true_thumbnails(session))
        assert difference.max() <= 1
    assert left_out > 0  # the rule did leave some out (or this test shows nothing)


def frame_args(trainer, include_inputs: bool) -> dict:
    """build_frame's arguments for a playing trainer with neuron (1, 0) selected."""
    return {
        **ARGS,
        "metrics": {"epoch": trainer.epoch},
        "seq": 1,
        "state": "playing",
        "selected": (1, 0),
        "include_inputs": include_inputs,
    }


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"hidden": [8, 8, 8], "activation": "relu"},
        {"dataset": "spiral", "num_classes": 3, "loss": "cross_entropy"},
        {"standardize": True, "features": ["x1", "x2", "sin_x1"]},
    ],
)
def test_a_frame_from_maps_made_with_a_cohort_is_the_frame_made_alone(config):
    trainers = [Trainer(Config.from_dict({**config, "seed": s})) for s in range(3)]
    for n, t in enumerate(trainers):
        t.train_epochs(n + 1)
    made = snapshot.frame_maps(trainers, ARGS["grid_size"], ARGS["thumb_size"], ARGS["levels"])
    for trainer, maps in zip(trainers, made, strict=True):
        args = frame_args(trainer, include_inputs=False)
        together = snapshot.build_frame(trainer, **args, maps=maps)
        alone = snapshot.build_frame(trainer, **args)
        assert together.data == alone.data
        assert np.array_equal(together.neurons, alone.neurons)


@pytest.mark.parametrize(
    "config",
    [{}, {"hidden": [5, 3], "activation": "relu"}, {"standardize": True, "features": ["x1", "x2"]}],
)
def test_a_frame_built_from_a_frozen_copy_is_the_frame_of_the_trainer(config):
    """The off-loop build (app.snapshot.FrozenTrainer: weights copied layer by layer, no
    flat params) evaluates the same grid, bit for bit."""
    trainer = Trainer(Config.from_dict(config))
    trainer.train_epochs(3)
    args = frame_args(trainer, include_inputs=True)
    frozen = snapshot.build_frame(snapshot.FrozenTrainer(trainer), **args)
    assert frozen.data == snapshot.build_frame(trainer, **args).data


@pytest.mark.parametrize("selected", [(0, 1), (1, 3), (2, 0), (3, 0)])
def test_the_selected_map_is_the_neurons_own_picture(selected):
    trainer = Trainer(Config())
    trainer.train_epochs(3)
    args = {**ARGS, "metrics": {"epoch": 3}, "seq": 1, "state": "playing"}
    frame = snapshot.build_frame(trainer, **args, selected=selected, include_inputs=False)
    _, arrays = frames.decode(frame.data)
    grid = trainer.grid(ARGS["grid_size"])
    layer, unit = selected
    picture = grid.inputs[:, :, unit] if layer == 0 else grid.layers[layer - 1][:, :, unit]
    step = 2 / (ARGS["levels"] - 1)
    assert arrays["selected"].shape == picture.shape
    np.testing.assert_allclose(arrays["selected"], np.clip(picture, -1, 1), atol=step / 2 + 1e-6)


# -- a costly frame is built in two turns: metrics, then maps (Session.defer_frame) ---------


def costly_session() -> tuple[Session, Keeper]:
    socket = Keeper()
    session = session_with(socket)
    session.offload = lambda work: work.close()  # served by a loop (never used here)
    session.publish_frame()  # the first frame
    session.trainer.train_epochs(2)
    session.frame_cost = 1.0  # its maps hold the loop longer than LOOP_HOLD
    return session, socket


def test_a_costly_frame_gets_its_metrics_in_one_turn_and_its_maps_in_the_next():
    session, socket = costly_session()
    session.trainer.set_weight(1, 0, 0, 2.0)
    session.publish_frame()  # the frame the edit asked for
    assert len(socket.frames) == 1 and session.frame_requested  # metrics only, so far
    session.publish_frame()  # the scheduler's next pass
    header, _ = socket.frames[-1]
    expected = session.trainer.metrics()
    assert header["epoch"] == 2
    assert header["train_accuracy"] == expected["train_accuracy"]
    assert header["train_loss"] == expected["train_loss"]


def test_a_message_between_the_two_turns_makes_the_frame_whole_with_fresh_metrics():
    import asyncio

    from app import handlers, protocol

    session, socket = costly_session()
    session.publish_frame()
    assert len(socket.frames) == 1
    # An edit (a ping would change nothing: it keeps the metrics of the first turn)
    edit = protocol.Message("set_weight", {"layer": 2, "source": 0, "target": 0, "value": 2.0})
    asyncio.run(handlers.handle(session, edit, lambda m: None))
    session.publish_frame()
    header, _ = socket.frames[-1]
    assert header["train_loss"] == session.trainer.metrics()["train_loss"]

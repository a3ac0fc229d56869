"""The notebook helpers: predict, the plot, a trainer's picture, and docs/engine.md's example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from engine import Config, Trainer
from engine.features import feature_matrix
from engine.plot import plot

DOC = Path(__file__).resolve().parents[2] / "docs" / "engine.md"


def notebook_example() -> str:
    section = DOC.read_text().split("## In a notebook", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return block


def test_docs_round_trip_runs_from_a_page_model_json(tmp_path, monkeypatch, capsys):
    page = Trainer(Config(dataset="xor", validation_percent=20))
    page.train_epochs(7)
    page.train_batches(3)  # the page may export mid-epoch
    # What the page's "Model JSON" saves: the export reply's state, {trainer, view}.
    saved = {"trainer": page.export_state(), "view": {"fps": 30, "epochs_per_frame": 1}}
    (tmp_path / "playground-model.json").write_text(json.dumps(saved))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(notebook_example(), namespace)
    page.train_epochs(100)  # what the page would have done
    trainer = namespace["trainer"]
    assert trainer.epoch == page.epoch == 107
    np.testing.assert_array_equal(trainer.network.params, page.network.params)
    for fig in (namespace["before"], namespace["after"]):
        assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert capsys.readouterr().out.startswith("107 ")


def test_predict_is_the_networks_forward_pass_at_raw_points():
    trainer = Trainer(Config(dataset="spirals", num_classes=3, loss="cross_entropy"))
    trainer.train_epochs(3)
    points = np.array([[0.5, -1.0], [4.0, 3.0], [-6.0, 6.0]])
    ws = trainer.network.forward(feature_matrix(points, trainer.config.features))
    np.testing.assert_allclose(trainer.predict(points), ws.h[-1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(trainer.predict(points).sum(axis=1), 1.0)
    assert trainer.predict(points, classes=True).tolist() == ws.h[-1].argmax(axis=1).tolist()


def test_predict_names_a_bad_shape():
    with pytest.raises(ValueError, match=r"points must have shape \(n, 2\)"):
        Trainer().predict([1.0, 2.0])
    with pytest.raises(ValueError, match="classification"):
        Trainer(Config(problem="regression", dataset="plane")).predict([[0.0, 0.0]], classes=True)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"problem": "regression", "dataset": "plane"},
        {"dataset": "blobs", "num_classes": 4, "loss": "cross_entropy"},
        {"loss": "binary_cross_entropy", "validation_percent": 20},
    ],
)
def test_plot_draws_the_map_points_and_every_loss(fields):
    trainer = Trainer(Config(num_points=80, **fields))
    trainer.train_epochs(4)
    fig = plot(trainer, n=40)
    boundary, losses = fig.axes
    assert boundary.images[0].get_array().shape[:2] == (40, 40)
    drawn = sum(len(c.get_offsets()) for c in boundary.collections)
    assert drawn == len(trainer.dataset.train) + len(trainer.dataset.test)
    labels = [line.get_label() for line in losses.lines]
    assert labels == ["train", "test"] + (["validation"] if trainer.dataset.val.size else [])
    np.testing.assert_allclose(losses.lines[0].get_ydata(), trainer.history["train_loss"])


def test_trainer_shows_itself_as_a_png_in_jupyter():
    png = Trainer()._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "inputs", [{"standardize": True}, {"input_scale": 0.25, "input_shift": 1.0}, {}]
)
def test_predict_sees_the_inputs_the_network_was_trained_on(inputs):
    trainer = Trainer(Config(dataset="circle", **inputs))
    trainer.train_epochs(30)
    data = trainer.dataset
    guessed = trainer.predict(data.x[data.test], classes=True)
    accuracy = float(np.mean(guessed == data.y[data.test]))
    assert accuracy == pytest.approx(trainer.metrics()["test_accuracy"], abs=1e-12)

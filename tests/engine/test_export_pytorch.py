"""The exported PyTorch script: the same outputs as the engine, the same training trajectory."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from engine import Config, Trainer
from tests.engine.export_helpers import (
    CASES,
    grid_points,
    import_script,
    random_trainer,
    write_export,
)


@pytest.mark.parametrize(("activation", "head"), CASES)
def test_pytorch_model_gives_the_engines_outputs_on_the_grid(tmp_path, activation, head):
    trainer = random_trainer(activation, head)
    script = import_script(write_export(trainer, "pytorch", tmp_path))
    model = script.build_model().eval()
    points = grid_points()
    with torch.no_grad():
        got = model(torch.tensor(points)).numpy()
    expected = trainer.predict(points)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


# Few points and an odd batch size: several batches and a smaller last one per epoch.
TRAJECTORY = {"num_points": 46, "batch_size": 7, "shuffle": False, "hidden": (4, 3)}
SETUPS = {
    "sgd": {},
    "adam": {"optimizer": "adam", "learning_rate": 0.01},
    "momentum": {"optimizer": "momentum", "momentum": 0.8},
    "nesterov": {"optimizer": "momentum", "nesterov": True},
    "rmsprop": {"optimizer": "rmsprop", "learning_rate": 0.003},
    "adamw": {"optimizer": "adamw", "weight_decay": 0.1, "learning_rate": 0.01},
    "sgd_l1_step": {
        "regularization": "l1",
        "regularization_rate": 0.3,
        "schedule": "step",
        "schedule_step": 2,
    },
    "adam_l2_cosine": {
        "optimizer": "adam",
        "regularization": "l2",
        "regularization_rate": 0.1,
        "schedule": "cosine",
        "schedule_step": 3,
        "schedule_min_lr": 0.001,
    },
    "sgd_exponential_relu_softmax": {
        "schedule": "exponential",
        "schedule_gamma": 0.7,
        "activation": "relu",
        "loss": "cross_entropy",
        "dataset": "blobs",
        "num_classes": 3,
    },
    "adam_plateau_validation_sigmoid": {
        "optimizer": "adam",
        "learning_rate": 0.3,
        "schedule": "reduce_on_plateau",
        "schedule_patience": 1,
        "schedule_gamma": 0.5,
        "validation_percent": 30,
        "loss": "binary_cross_entropy",
    },
    "sgd_regression": {"problem": "regression", "dataset": "plane", "learning_rate": 0.01},
}


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_pytorch_training_loop_follows_the_engines_trajectory(tmp_path, setup):
    trainer = Trainer(Config(**TRAJECTORY, **SETUPS[setup]))
    script = import_script(write_export(trainer, "pytorch", tmp_path))
    model = script.build_model()
    losses = script.train(model, script.load_data(), 4)
    assert trainer.train_epochs(4) == 4
    np.testing.assert_allclose(losses, trainer.history["train_loss"], rtol=1e-9, atol=1e-12)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    for layer, (w, b) in zip(linears, trainer.weights(), strict=True):
        np.testing.assert_allclose(layer.weight.detach().numpy().T, w, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer.bias.detach().numpy(), b, rtol=1e-9, atol=1e-12)


def test_the_trajectory_test_notices_a_different_setup(tmp_path):
    # The comparison above can fail: the script of an SGD run does not follow an Adam run.
    trainer = Trainer(Config(**TRAJECTORY))
    script = import_script(write_export(trainer, "pytorch", tmp_path))
    losses = script.train(script.build_model(), script.load_data(), 2)
    trainer.configure({"optimizer": "adam"})
    trainer.train_epochs(2)
    assert not np.allclose(losses, trainer.history["train_loss"], rtol=1e-6)


def test_plateau_schedule_cuts_the_rate_in_the_script_as_in_the_engine(tmp_path):
    trainer = Trainer(Config(**TRAJECTORY, **SETUPS["adam_plateau_validation_sigmoid"]))
    script = import_script(write_export(trainer, "pytorch", tmp_path))
    script.train(script.build_model(), script.load_data(), 4)
    trainer.train_epochs(4)
    # Guards the test above: with this setup the rate really was cut within 4 epochs.
    assert trainer.metrics()["learning_rate"] < 0.3


def test_script_runs_as_a_program_with_early_stopping_and_dropout(tmp_path):
    cfg = Config(
        dataset="spiral",
        validation_percent=20,
        early_stopping=True,
        patience=1,
        dropout=0.2,
        activation="sine",
        features=("x1", "x2", "sin_x1"),
        learning_rate=1.0,
    )
    script = write_export(Trainer(cfg), "pytorch", tmp_path)
    out = subprocess.run(
        [sys.executable, str(script), "--epochs", "5", "--from-scratch"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("before: train loss")
    assert "after 5 epochs:" in out.stdout

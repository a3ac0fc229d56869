"""The exported Keras 3 script, run with the PyTorch backend: same outputs, same training."""

from __future__ import annotations

import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from engine import Config, Trainer  # noqa: E402
from tests.engine.export_helpers import (  # noqa: E402
    CASES,
    grid_points,
    import_script,
    random_trainer,
    write_export,
)

# Keras's torch backend hands tensors to np.array(), and torch 2.13's Tensor.__array__ does
# not take NumPy 2's `copy` keyword yet: NumPy warns and falls back to a copy (harmless).
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.mark.parametrize(("activation", "head"), CASES)
def test_keras_model_gives_the_engines_outputs_on_the_grid(tmp_path, activation, head):
    trainer = random_trainer(activation, head)
    script = import_script(write_export(trainer, "keras", tmp_path))
    model = script.build_model()
    points = grid_points()
    got = script.keras.ops.convert_to_numpy(model(points, training=False))
    expected = trainer.predict(points)
    assert got.shape == expected.shape
    # Keras (3.15) casts float64 matrix products down to float32 (the JAX-like promotion
    # in keras/src/backend/common/dtypes.py), so this agrees to float32 precision only.
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_keras_layers_are_the_playgrounds_with_the_same_weight_shapes(tmp_path):
    trainer = random_trainer("leaky_relu", "softmax")
    model = import_script(write_export(trainer, "keras", tmp_path)).build_model()
    names = [layer.name for layer in model.layers if layer.weights]
    assert names == ["hidden_1", "hidden_2", "output"]
    for name, (w, b) in zip(names, trainer.weights(), strict=True):
        kernel, bias = model.get_layer(name).get_weights()
        assert kernel.shape == w.shape and bias.shape == b.shape


@pytest.mark.parametrize(
    "setup",
    [
        {},
        {"optimizer": "momentum", "regularization": "l1", "regularization_rate": 0.3},
        {
            "schedule": "step",
            "schedule_step": 2,
            "regularization": "l2",
            "regularization_rate": 0.1,
        },
    ],
)
def test_keras_sgd_training_follows_the_engines_weights(tmp_path, setup):
    cfg = Config(num_points=46, batch_size=7, shuffle=False, hidden=(4, 3), **setup)
    trainer = Trainer(cfg)
    script = import_script(write_export(trainer, "keras", tmp_path))
    model = script.build_model()
    script.train(model, script.load_data(), 3)
    trainer.train_epochs(3)
    for name, (w, b) in zip(["hidden_1", "hidden_2", "output"], trainer.weights(), strict=True):
        kernel, bias = model.get_layer(name).get_weights()
        # (float32 matrix products in Keras: see above)
        np.testing.assert_allclose(kernel, w, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(bias, b, rtol=1e-4, atol=1e-6)


def test_keras_script_runs_as_a_program(tmp_path):
    cfg = Config(
        dataset="blobs",
        num_classes=3,
        loss="cross_entropy",
        validation_percent=20,
        early_stopping=True,
        schedule="reduce_on_plateau",
        optimizer="adamw",
        dropout=0.1,
        regularization="l1",
        regularization_rate=0.01,
    )
    script = write_export(Trainer(cfg), "keras", tmp_path)
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    out = subprocess.run(
        [sys.executable, str(script), "--epochs", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "Epoch 2/2" in out.stdout and "test loss" in out.stdout

"""The exported ONNX model, run by onnxruntime, gives the engine's outputs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest

from engine.export import export_code
from tests.engine.export_helpers import CASES, grid_points, random_trainer


def run(model: bytes, points: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(["output"], {"points": points})[0]


@pytest.mark.parametrize(("activation", "head"), CASES)
def test_onnx_model_gives_the_engines_outputs_on_the_grid(activation, head):
    trainer = random_trainer(activation, head)
    code = export_code(trainer, "onnx")
    assert code.filename.endswith(".onnx") and code.data is None
    points = grid_points()
    expected = trainer.predict(points)
    got = run(code.content, points)
    assert got.dtype == np.float64 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_onnx_graph_names_the_playgrounds_layers_and_features():
    trainer = random_trainer("gelu", "softmax")
    model = onnx.load_from_string(export_code(trainer, "onnx").content)
    names = {node.name for node in model.graph.node}
    assert {"hidden_1", "hidden_2", "output", "features", "feature_sin_x1"} <= names
    ops = {node.op_type for node in model.graph.node}
    assert {"Gemm", "Gelu", "Softmax", "Sin", "Cos", "Mul", "Concat"} <= ops
    props = {p.key: p.value for p in model.metadata_props}
    assert props["head"] == "softmax" and props["features"].startswith("x1,x2,")


def test_onnx_export_without_the_onnx_package_says_what_to_install():
    # sys.modules[name] = None makes `import onnx` raise ImportError, as if not installed.
    code = (
        "import sys; sys.modules['onnx'] = None\n"
        "from engine import Trainer\n"
        "from engine.export import export_code\n"
        "try:\n"
        "    export_code(Trainer(), 'onnx')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
        "print(len(export_code(Trainer(), 'pytorch').content) > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install onnx" in out.stdout
    assert out.stdout.strip().endswith("True")  # the scripts need nothing beyond NumPy


def test_importing_the_engine_and_its_exports_loads_no_framework():
    code = (
        "import sys, engine, engine.export, engine.plot\n"
        "print(sorted(m for m in ('onnx', 'torch', 'keras', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"

"""The network as an ONNX model (float64, with the trained weights as initializers).

Built with the `onnx` package's helper API, imported here only when an ONNX export is
asked for, so `import engine` never needs it. The graph takes "points" (n, 2) raw
coordinates and gives "output" (n, units), the head's output (probabilities for softmax):
the features, every layer (Gemm) and every activation are nodes, named as the playground
names them.

ONNX has LeakyRelu, Elu, Softplus and (from opset 24) Swish, but onnxruntime runs the
first three only in float32, and a float32 model would drift from the engine by more than
1e-6. So those four, and the step (which ONNX lacks), are written out from elementary
operators, each in one small function below; the rest are ONNX's own (Gelu with
approximate="tanh", opset 20).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.export.spec import FEATURE_TREES, NetworkSpec

OPSET = 21
IR_VERSION = 10  # the IR of opset 21 (onnx 1.16), so older runtimes still load the file


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "exporting to ONNX needs the onnx package: pip install onnx "
            "(the rest of the engine does not)"
        ) from None
    return onnx


class _Graph:
    """Nodes and constants being collected, with unique names."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def const(self, name: str, values: Any, dtype: type = np.float64) -> str:
        array = np.asarray(values, dtype=dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str | None = None, **attrs: Any) -> str:
        self._count += 1
        out = name or f"{op_type.lower()}_{self._count}"
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def _leaky_relu(g: _Graph, z: str, name: str) -> str:
    return g.op("Max", [z, g.op("Mul", [z, g.const(f"{name}_slope", 0.01)])], name)


def _elu(g: _Graph, z: str, name: str) -> str:
    # z if z > 0 else e^z - 1 (the exponential of min(z, 0), so it cannot overflow).
    zero, one = g.const(f"{name}_zero", 0.0), g.const(f"{name}_one", 1.0)
    negative = g.op("Sub", [g.op("Exp", [g.op("Min", [z, zero])]), one])
    return g.op("Where", [g.op("Greater", [z, zero]), z, negative], name)


def _softplus(g: _Graph, z: str, name: str) -> str:
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): no overflow for large z.
    decay = g.op("Exp", [g.op("Neg", [g.op("Abs", [z])])])
    tail = g.op("Log", [g.op("Add", [g.const(f"{name}_one", 1.0), decay])])
    return g.op("Add", [g.op("Relu", [z]), tail], name)


def _swish(g: _Graph, z: str, name: str) -> str:
    return g.op("Mul", [z, g.op("Sigmoid", [z])], name)


def _step(g: _Graph, z: str, name: str) -> str:
    # Heaviside: 1 for z >= 0, else 0 (ONNX has no step operator), back in float64.
    at_least_zero = g.op("GreaterOrEqual", [z, g.const(f"{name}_zero", 0.0)])
    return g.op("Cast", [at_least_zero], name, to=g.onnx.TensorProto.DOUBLE)


_WRITTEN_OUT = {
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "softplus": _softplus,
    "swish": _swish,
    "step": _step,
}
_NATIVE: dict[str, tuple[str, dict[str, Any]]] = {
    "relu": ("Relu", {}),
    "gelu": ("Gelu", {"approximate": "tanh"}),
    "sine": ("Sin", {}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "linear": ("Identity", {}),
    "softmax": ("Softmax", {"axis": 1}),
}
_FEATURE_OPS = {"mul": "Mul", "sin": "Sin", "cos": "Cos"}


def _activation(g: _Graph, kind: str, z: str, name: str) -> str:
    if kind in _WRITTEN_OUT:
        return _WRITTEN_OUT[kind](g, z, name)
    op_type, attrs = _NATIVE[kind]
    return g.op(op_type, [z], name, **attrs)


def _feature(g: _Graph, tree: tuple, name: str | None = None) -> str:
    if len(tree) == 1:
        return tree[0] if name is None else g.op("Identity", [tree[0]], name)
    inputs = [_feature(g, t) for t in tree[1:]]
    return g.op(_FEATURE_OPS[tree[0]], inputs, name)


def onnx_model(spec: NetworkSpec, filename: str = "") -> bytes:
    """The serialized ModelProto."""
    onnx = _onnx()
    helper, tensor = onnx.helper, onnx.TensorProto
    g = _Graph(onnx)
    axis = g.const("column_axis", [1], np.int64)
    for column, coordinate in enumerate(("x1", "x2")):
        start = g.const(f"{coordinate}_start", [column], np.int64)
        end = g.const(f"{coordinate}_end", [column + 1], np.int64)
        g.op("Slice", ["points", start, end, axis], coordinate)  # (n, 1)
    columns = [_feature(g, FEATURE_TREES[f], f"feature_{f}") for f in spec.features]
    h = columns[0] if len(columns) == 1 else g.op("Concat", columns, "features", axis=1)
    for layer in spec.layers:
        w = g.const(f"{layer.name}_W", layer.weights)
        b = g.const(f"{layer.name}_b", layer.biases)
        z = g.op("Gemm", [h, w, b], f"{layer.name}_z")
        h = _activation(g, layer.activation, z, "output" if layer.name == "output" else layer.name)
    graph = helper.make_graph(
        g.nodes,
        "playground",
        [helper.make_tensor_value_info("points", tensor.DOUBLE, ["n", 2])],
        [helper.make_tensor_value_info("output", tensor.DOUBLE, ["n", spec.units])],
        initializer=g.initializers,
        doc_string="points (n, 2) raw (x1, x2) -> output (n, units) of the head: " + spec.head,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="playground"
    )
    model.ir_version = IR_VERSION
    helper.set_model_props(
        model,
        {
            "problem": spec.problem,
            "features": ",".join(spec.features),
            "head": spec.head,
            "epoch": str(spec.epoch),
        },
    )
    onnx.checker.check_model(model)
    return model.SerializeToString()

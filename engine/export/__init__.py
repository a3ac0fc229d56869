"""Export a trainer's network as code for real frameworks: PyTorch, Keras 3, ONNX.

    from engine.export import export_code
    code = export_code(trainer, "pytorch")
    for name, content in code.files().items():   # the script and the data CSV
        ...

The scripts are plain text with the weights as literals; the ONNX model is bytes, built
with the `onnx` package, which is imported only when an ONNX export is asked for (see
docs/engine.md). Nothing here writes files: the caller decides where they go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.export.keras import keras_script
from engine.export.onnx_model import onnx_model
from engine.export.pytorch import pytorch_script
from engine.export.spec import NetworkSpec, network_spec

if TYPE_CHECKING:
    from engine.trainer import Trainer

__all__ = [
    "EXPORT_FORMATS",
    "CodeExport",
    "ExportFormat",
    "NetworkSpec",
    "export_code",
    "network_spec",
    "render_code",
]


@dataclass(frozen=True)
class ExportFormat:
    """One entry of `EXPORT_FORMATS`."""

    name: str  # wire name
    label: str
    filename: str
    write: Callable[[NetworkSpec, str], str | bytes]
    with_data: bool  # whether the export comes with the data CSV (a training script)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("pytorch", "PyTorch script", "playground_pytorch.py", pytorch_script, True),
        ExportFormat("keras", "Keras 3 script", "playground_keras.py", keras_script, True),
        ExportFormat("onnx", "ONNX model", "playground.onnx", onnx_model, False),
    )
}


@dataclass(frozen=True)
class CodeExport:
    """An exported network: the main file and, for a script, the data it trains on."""

    format: str
    filename: str
    content: str | bytes  # text for a script, bytes for ONNX
    data_filename: str | None  # the CSV the script reads, next to it
    data: str | None

    def files(self) -> dict[str, str | bytes]:
        """{filename: content} of every file, to write into one directory."""
        out: dict[str, str | bytes] = {self.filename: self.content}
        if self.data_filename is not None and self.data is not None:
            out[self.data_filename] = self.data
        return out


def export_code(trainer: Trainer, format: str) -> CodeExport:
    """The trainer's network as code in `format` (a key of `EXPORT_FORMATS`).

    Raises
    ------
    ValueError
        For an unknown format.
    ImportError
        For "onnx" without the `onnx` package (the message says what to install).
    """
    spec = network_spec(trainer)
    content = render_code(spec, format)
    chosen = EXPORT_FORMATS[format]
    if not chosen.with_data:
        return CodeExport(format, chosen.filename, content, None, None)
    return CodeExport(format, chosen.filename, content, spec.data_filename, spec.csv)


def render_code(spec: NetworkSpec, format: str) -> str | bytes:
    """The main file's content of `format` for a frozen network (`network_spec(trainer)`).

    Reads only `spec`, so it may run in another thread while the trainer goes on.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {format!r}")
    chosen = EXPORT_FORMATS[format]
    return chosen.write(spec, chosen.filename)

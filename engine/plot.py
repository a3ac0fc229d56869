"""Draw a trainer for a notebook: its decision boundary with the points, and its loss curve.

matplotlib is an optional extra, imported only when something is drawn (`import engine`
never needs it). Only `matplotlib.figure.Figure` is used, never pyplot: no global figure
state, no GUI backend, and a notebook shows the returned figure by itself.

    from engine.plot import plot
    fig = plot(trainer)          # in Jupyter, `trainer` alone shows the same picture
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.grid import DOMAIN

if TYPE_CHECKING:
    from engine.trainer import Trainer

# The playground's colours: orange for class 0 / negative, blue for class 1 / positive.
NEGATIVE, POSITIVE = "#f59322", "#0877bd"
CLASS_COLORS = (NEGATIVE, POSITIVE, "#2ca02c", "#9467bd", "#d62728", "#8c564b")


def _matplotlib() -> Any:
    try:
        from matplotlib import colors
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib: pip install matplotlib (the engine itself does not)"
        ) from None
    return colors, Figure


def plot(trainer: Trainer, n: int = 100, figsize: tuple[float, float] = (9.0, 4.0)) -> Any:
    """A matplotlib Figure: the output map with the points (left), the losses (right).

    Parameters
    ----------
    trainer : Trainer
    n : int
        Resolution of the map (the grid is n x n over [-6, 6]²).
    figsize : (width, height) in inches

    Raises
    ------
    ImportError
        Without matplotlib (the message says what to install).
    """
    colors, Figure = _matplotlib()
    fig = Figure(figsize=figsize, layout="constrained")
    boundary, losses = fig.subplots(1, 2, width_ratios=(1, 1.3))
    _draw_map(boundary, trainer, n, colors)
    _draw_losses(losses, trainer)
    return fig


def _draw_map(ax: Any, trainer: Trainer, n: int, colors: Any) -> None:
    grid = trainer.grid(n)
    extent = (-DOMAIN, DOMAIN, -DOMAIN, DOMAIN)
    diverging = colors.LinearSegmentedColormap.from_list(
        "playground", [NEGATIVE, "#ffffff", POSITIVE]
    )
    if grid.output.ndim == 3:  # one unit per class: colour each point of the map by its class
        classes = colors.ListedColormap(CLASS_COLORS[: grid.output.shape[2]])
        ax.imshow(grid.output.argmax(axis=2), cmap=classes, extent=extent, alpha=0.45)
    else:
        lo = 0.0 if grid.output_kind == "sigmoid" else -1.0
        ax.imshow(grid.output, cmap=diverging, vmin=lo, vmax=1.0, extent=extent)
    ds = trainer.dataset
    for rows, marker, name in ((ds.train, "o", "train"), (ds.test, "s", "test")):
        if len(rows) == 0:
            continue
        x, y = ds.x[rows], ds.y[rows]
        if ds.problem == "classification":
            c = [CLASS_COLORS[int(label) % len(CLASS_COLORS)] for label in y]
            ax.scatter(x[:, 0], x[:, 1], c=c, marker=marker, s=14, edgecolors="white", label=name)
        else:
            ax.scatter(
                x[:, 0],
                x[:, 1],
                c=y,
                cmap=diverging,
                vmin=-1,
                vmax=1,
                marker=marker,
                s=14,
                edgecolors="black",
                linewidths=0.3,
                label=name,
            )
    ax.set(xlim=(-DOMAIN, DOMAIN), ylim=(-DOMAIN, DOMAIN), xlabel="x1", ylabel="x2")
    ax.set_title(f"{trainer.config.dataset}, epoch {trainer.epoch}")
    ax.legend(loc="lower right", fontsize="small")


def _draw_losses(ax: Any, trainer: Trainer) -> None:
    history = trainer.history
    for key, color, label in (
        ("train_loss", "#777777", "train"),
        ("test_loss", "#000000", "test"),
        ("val_loss", POSITIVE, "validation"),
    ):
        values = np.array([np.nan if v is None else v for v in history[key]], dtype=float)
        if np.isfinite(values).any():
            ax.plot(history["epochs"], values, color=color, label=label)
    ax.set(xlabel="epoch", ylabel="loss", title="Loss")
    if history["epochs"]:
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "not trained yet", ha="center", va="center", transform=ax.transAxes)


def png(trainer: Trainer, n: int = 100) -> bytes | None:
    """`plot(trainer)` as PNG bytes, or None without matplotlib (Jupyter's `_repr_png_`)."""
    try:
        fig = plot(trainer, n)
    except ImportError:
        return None
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()

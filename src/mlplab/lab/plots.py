"""Matplotlib for the lab: the Agg backend and one look for every figure."""

from __future__ import annotations

from typing import Any

import numpy as np


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, with the lab's style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "font.size": 9,
        }
    )
    return plt


def draw_line(ax: Any, w: np.ndarray, b: float, limits: tuple[float, float], **style: Any) -> None:
    """Draw the line :math:`w \\cdot x + b = 0` across the square ``limits`` x ``limits``.

    The line is parametrized by the coordinate along which it is less steep, so
    near-vertical lines are drawn as well as near-horizontal ones.
    """
    t = np.linspace(*limits, 2)
    if abs(w[1]) > abs(w[0]):
        ax.plot(t, -(w[0] * t + b) / w[1], **style)
    else:
        ax.plot(-(w[1] * t + b) / w[0], t, **style)

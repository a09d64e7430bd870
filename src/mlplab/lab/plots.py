"""The lab's own drawing helpers (matplotlib itself is set up by :func:`mlplab.plotting.pyplot`)."""

from __future__ import annotations

from typing import Any

import numpy as np


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


def log_y(ax: Any) -> None:
    """A log-scaled y axis without minor ticks (the values span decades; minor ticks only cost drawing time)."""
    from matplotlib.ticker import NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())

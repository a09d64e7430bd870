"""Matplotlib for every front end: the file-only Agg backend and one look for every figure.

Plotting depends on the engine, never the reverse: nothing in the engine imports this module,
and matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._atomic import write_bytes

if TYPE_CHECKING:  # matplotlib is imported at run time only when a figure is drawn
    from matplotlib.typing import RcKeyType

STYLE: dict[RcKeyType, Any] = {
    "figure.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 9,
}
"""The rcParams every mlplab figure is drawn with (the lab's, the tuner's and the run report's)."""


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, with :data:`STYLE` applied."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)
    return plt


def save_figure(fig: Any, path: Path, **options: Any) -> Path:
    """Save ``fig`` as a PNG at ``path`` atomically (never a half-written image), then close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, **options)
    pyplot().close(fig)
    write_bytes(path, buffer.getvalue())
    return path

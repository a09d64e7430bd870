"""The run report: training curves, a confusion matrix and misclassified samples, as PNG plus Markdown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import write_text
from .plotting import pyplot, save_figure


def plot_curves(history: dict[str, list[float]], path: Path) -> Path:
    """Loss and accuracy per epoch, training and validation side by side."""
    plt = pyplot()
    panels = [key for key in ("loss", "accuracy") if key in history]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    epochs = np.arange(1, len(history["loss"]) + 1)
    for ax, key in zip(axes[0], panels):
        ax.plot(epochs, history[key], marker="o", ms=3, label="training")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], marker="o", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    save_figure(fig, path)
    return path


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str], path: Path) -> Path:
    """Confusion matrix (rows: true class, columns: predicted) with counts in the cells."""
    plt = pyplot()
    k = matrix.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.65 * k, 0.6 + 0.6 * k))
    ax.imshow(matrix, cmap="Blues")
    ax.grid(False)  # grid lines would cross the cells
    threshold = matrix.max() / 2
    for i in range(k):
        for j in range(k):
            color = "white" if matrix[i, j] > threshold else "black"
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(k), class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    save_figure(fig, path)
    return path


def plot_misclassified(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    class_names: Sequence[str],
    image_shape: tuple[int, int],
    path: Path,
    count: int = 24,
) -> Path | None:
    """A grid of the first ``count`` misclassified images, titled "true → predicted"."""
    wrong = np.flatnonzero(y_true != y_pred)[:count]
    if wrong.size == 0:
        return None
    plt = pyplot()
    cols = min(8, wrong.size)
    rows = -(-wrong.size // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.9 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(images[i].reshape(image_shape), cmap="gray_r")
        ax.set_title(f"{class_names[y_true[i]]}\n→ {class_names[y_pred[i]]}", fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
    return path


def write_report(
    run_dir: Path,
    *,
    title: str,
    config: dict[str, Any],
    summary: str,
    history: dict[str, list[float]],
    results: dict[str, Any],
    confusion: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    misclassified: tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]] | None = None,
) -> Path:
    """Write ``report.md`` and its figures into ``run_dir``; returns the report's path.

    ``misclassified`` is ``(images, y_true, y_pred, image_shape)`` of the test set.
    """
    figures = [("Training curves", plot_curves(history, run_dir / "curves.png"))]
    if confusion is not None and class_names is not None:
        figures.append(
            ("Confusion matrix (test set)", plot_confusion(confusion, class_names, run_dir / "confusion.png"))
        )
        if misclassified is not None:
            images, y_true, y_pred, shape = misclassified
            grid = plot_misclassified(images, y_true, y_pred, class_names, shape, run_dir / "misclassified.png")
            if grid is not None:
                figures.append(("Misclassified test images (true → predicted)", grid))
    lines = [f"# {title}", "", "## Results", "", "| metric | value |", "|---|---|"]
    for key, value in results.items():
        lines.append(f"| {key} | {value:.4f} |" if isinstance(value, float) else f"| {key} | {value} |")
    if confusion is not None and class_names is not None:
        lines += ["", "## Per-class results (test set)", "", "| class | precision | recall |", "|---|---|---|"]
        diagonal = np.diag(confusion).astype(np.float64)
        precision = np.divide(
            diagonal, confusion.sum(axis=0), out=np.zeros_like(diagonal), where=confusion.sum(axis=0) > 0
        )
        recall = np.divide(
            diagonal, confusion.sum(axis=1), out=np.zeros_like(diagonal), where=confusion.sum(axis=1) > 0
        )
        lines += [f"| {name} | {p:.3f} | {r:.3f} |" for name, p, r in zip(class_names, precision, recall)]
    for caption, figure in figures:
        lines += ["", f"## {caption}", "", f"![{caption}]({figure.name})"]
    lines += ["", "## Model", "", "```", summary, "```", "", "## Configuration", "", "| option | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in config.items()]
    path = run_dir / "report.md"
    write_text(path, "\n".join(lines) + "\n")
    return path

"""The data sets and the two perceptrons of the ``perceptron`` experiment, and what is measured on them.

Separable 2-D data with a controlled margin and two overlapping Gaussian classes; Rosenblatt's online
perceptron trained through :class:`~mlplab.training.Trainer` (perceptron criterion, SGD, lr 1, batch 1)
and S3's renormalized algorithm, :class:`mlplab.Perceptron`; Novikoff's bound and the angles of ``w``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ....layers import Dense
from ....losses import PerceptronCriterion
from ....model import Sequential
from ....perceptron import ConvergenceWarning, Perceptron
from ....training import Trainer
from ....training.callbacks import Callback

SMALL_RHO = 1e-3
"""S3's "update slightly": rho |M| max ||x|| <= 0.1 for these hundred points."""
RHO_SWEEP = (1.0, 0.1, 0.01, 0.001)
SWEEP_MARGIN = 0.1
BLOB_CENTRES = 0.5
BLOB_SPREAD = 0.6


@dataclass
class OnlineRun:
    """Rosenblatt's perceptron trained through the engine: mistakes and (w, b) after every epoch."""

    mistakes: list[int]
    weights: list[np.ndarray] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return int(sum(self.mistakes))

    @property
    def converged(self) -> bool:
        return self.mistakes[-1] == 0


class _EpochMonitor(Callback):
    """Keeps ``(w_1, w_2, b)`` of ``dense`` after every epoch; optionally stops after the first epoch without a mistake."""

    def __init__(self, dense: Dense, stop_when_separated: bool) -> None:
        if dense.b is None:
            raise ValueError("the perceptron's Dense layer needs a bias")
        self.dense, self.bias = dense, dense.b
        self.stop_when_separated = stop_when_separated
        self.weights: list[np.ndarray] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.weights.append(np.append(self.dense.W.value[:, 0], self.bias.value))
        if self.stop_when_separated and logs["accuracy"] == 1.0:
            self.trainer.stop_training = True


def separable_data(n: int, margin: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points on both sides of a random line through 0, at distances in [margin, 2 margin] from it.

    Positions along the line are uniform in [-1, 1]; one point of each class lies exactly at ``margin``.
    Returns ``x`` ``(n, 2)``, labels ``y`` in {-1, +1} and the line's unit normal.
    """
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    along = np.array([-normal[1], normal[0]])
    y = np.where(np.arange(n) % 2 == 0, 1, -1)
    distance = margin * (1 + rng.random(n))
    distance[:2] = margin
    x = (y * distance)[:, None] * normal + rng.uniform(-1, 1, n)[:, None] * along
    return x, y, normal


def overlapping_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes centred at (+-0.5, 0) with standard deviation 0.6: not linearly separable."""
    y = np.where(np.arange(n) % 2 == 0, 1, -1)
    x = rng.normal(0, BLOB_SPREAD, (n, 2))
    x[:, 0] += y * BLOB_CENTRES
    return x, y


def novikoff_bound(x: np.ndarray, margin: float) -> float:
    """(R / gamma)^2 with the bias folded in: R = max ||(x_i, 1)||, the generating line passes through 0."""
    return float(np.max(np.sum(x**2, axis=1) + 1) / margin**2)


def online_perceptron(x: np.ndarray, y: np.ndarray, seed: int, max_epochs: int, stop: bool) -> OnlineRun:
    """w <- w + y_i x_i on each mistake (SGD, lr 1, batch 1, perceptron criterion), from w ~ N(0, 0.01^2)."""
    dense = Dense(2, 1, init="normal", rng=seed, dtype=np.float64)
    model = Sequential([dense])
    monitor = _EpochMonitor(dense, stop_when_separated=stop)
    trainer = Trainer(
        model,
        loss=PerceptronCriterion(reduction="sum"),
        optimizer="sgd",
        lr=1.0,
        batch_size=1,
        verbose=0,
        rng=seed,
        callbacks=[monitor],
    )
    history = trainer.fit(x, y.reshape(-1, 1).astype(np.float64), epochs=max_epochs)
    mistakes = [int(round((1 - a) * len(y))) for a in history.history["accuracy"]]
    return OnlineRun(mistakes, monitor.weights)


def s3_perceptron(
    x: np.ndarray, y: np.ndarray, rho: float, max_epochs: int, init: tuple[np.ndarray, float]
) -> Perceptron:
    """S3's algorithm from ``init``; its ConvergenceWarning is the expected outcome here and is silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Perceptron(lr=rho, max_epochs=max_epochs).fit(x, y, init=init)


def s3_trajectory(x: np.ndarray, y: np.ndarray, rho: float, epochs: int, init: tuple[np.ndarray, float]) -> np.ndarray:
    """S3's algorithm one epoch at a time: rows ``(w_1, w_2, b, |M|)`` for the states 0..epochs-1 (w a unit vector)."""
    w, b = init
    rows = []
    for _ in range(epochs):
        clf = s3_perceptron(x, y, rho, 1, (w, b))
        norm = np.linalg.norm(w)
        rows.append([*(w / norm), b / norm, clf.history_[0]])
        w, b = clf.w_, clf.b_
    return np.array(rows)


def angle_between(w: np.ndarray, reference: np.ndarray) -> float:
    """Angle in degrees between ``w`` and ``reference`` (0 to 180)."""
    cosine = w @ reference / (np.linalg.norm(w) * np.linalg.norm(reference))
    return float(np.degrees(np.arccos(np.clip(cosine, -1, 1))))


def direction(w: np.ndarray) -> float:
    """Direction of ``w`` in degrees (-180 to 180) from the x1 axis."""
    return float(np.degrees(np.arctan2(w[1], w[0])))


def random_init(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A random start as S3 prescribes (and as :class:`mlplab.Perceptron` draws it): w, b standard normal."""
    return rng.standard_normal(2), float(rng.standard_normal())

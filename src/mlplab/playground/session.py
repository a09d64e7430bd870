"""One browser tab's training: the data, the network and trainer of ``mlplab train``, and what the page draws.

The data, model and trainer are built by the same functions as ``mlplab train``
from the same configuration, so an exported run repeats this one. After each
epoch the session can describe itself for the page: the metrics of the epochs
not yet sent, the decision boundary on a grid, each hidden layer's activation
histogram and each weight matrix's gradient norm.

Every curve starts at epoch 0, the untrained network. The training loss and accuracy are
measured as the test ones are: over the whole
training set after the epoch, in inference mode (no dropout, batch norm's running
statistics), so that the two curves compare like with like in the lessons on
over-fitting and dropout. The mean over the epoch's mini-batches, taken while the
weights moved and with dropout on, is kept beside them as ``running_loss`` and
``running_accuracy``.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from typing import Any

import numpy as np

from ..functional import softmax
from ..layers import Dense
from ..layers.activations import ACTIVATIONS
from ..recipe import Config, build_model, build_trainer, load_data, split_data
from ..recipe.rules import shown
from ..schedules import SCHEDULES, ExponentialDecay, LinearDecay
from ..training import LearningRateScheduler, TrainingDiverged
from ..training.state import restore_weights, snapshot_weights
from .inside import NEURON_GRID, diagram, explain_step

GRID = 64
"""Cells per side of the decision-boundary heat map."""
MAX_WEIGHT = 1000.0
"""The largest weight, in size, that the page may set by hand."""
HISTOGRAM_BINS = 24
SAMPLE = 500
"""Training points the activation histograms are computed on."""


def _projection(x: np.ndarray) -> np.ndarray:
    """The two principal directions of ``x`` (for drawing 64-pixel digits as points)."""
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return vt[:2].T


class Session:
    """A training run the page drives: ``epoch()``, ``set_lr()``, and ``points()``/``state()`` to draw it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.epochs_asked = config.epochs  # what each Start after the end adds
        self.data = load_data(config)
        self.x, self.y, _, _ = split_data(config, self.data)
        self.x_test, self.y_test = self.data.x_test, self.data.y_test
        self.model = build_model(config, self.data.n_classes, self.x)
        self.trainer = build_trainer(config, self.model)
        self.history: dict[str, list[float]] = {
            "loss": [],
            "accuracy": [],
            "running_loss": [],
            "running_accuracy": [],
            "test_loss": [],
            "test_accuracy": [],
            "lr": [],
        }
        self.grad_norms: list[list[float]] = []
        # epoch 0, before any training: where every curve starts (no batches yet, no gradient)
        self._record(
            *self._measure(), {"loss": math.nan, "lr": self.trainer.optimizer.lr}, [math.nan] * len(self._dense)
        )
        self.sent = 0
        self.status = "ready"
        self.message = ""
        self.lock = threading.Lock()
        self.linear_two_class = len(self._dense) == 1 and self.x.shape[1] == 2 and self.data.n_classes == 2
        self.path: list[list[float]] = (
            [self._effective_weights()] if self.linear_two_class else []
        )  # an epoch left running by a cancelled task ends before anything else reads
        two_d = self.x.shape[1] == 2
        self._project = None if two_d else _projection(self.x)
        shown = self.x if two_d else self.x @ self._project
        low, high = shown.min(axis=0), shown.max(axis=0)
        pad = 0.1 * (high - low) + 1e-6
        self.extent = [float(low[0] - pad[0]), float(high[0] + pad[0]), float(low[1] - pad[1]), float(high[1] + pad[1])]

    @property
    def finished(self) -> bool:
        return self.trainer.epoch >= self.config.epochs or self.status == "diverged"

    def epoch(self) -> None:
        """Train one epoch, then test; a diverging run stops with status ``diverged`` and the message why."""
        with self.lock:
            self._epoch()

    def _epoch(self) -> None:
        if self.finished:
            return
        start = snapshot_weights(self.model)
        try:
            with np.errstate(all="ignore"):  # a diverging run is reported as such, not as overflow warnings
                logs = self.trainer.train_epochs(self.x, self.y)
        except TrainingDiverged as error:
            self.status, self.message = "diverged", f"diverged: {error}"
            return
        train, test = self._measure()
        if not all(math.isfinite(v) for v in (train["loss"], test["loss"])) or not self._weights_finite():
            restore_weights(self.model, start)  # the weights of the epoch's start, which the page can draw
            self.status, self.message = (
                "diverged",
                f"diverged: the loss is no longer a finite number in epoch {self.trainer.epoch}",
            )
            return
        self._record(train, test, logs, [float(np.linalg.norm(layer.W.grad)) for layer in self._dense])
        if self.linear_two_class:
            self.path.append(self._effective_weights())
        if self.trainer.epoch >= self.config.epochs:
            self.status = "done"

    def _measure(self) -> tuple[dict[str, float], dict[str, float]]:
        """The training and the test set's loss (and accuracy), in inference mode, with the weights as they are."""
        with np.errstate(all="ignore"):  # a diverging run is reported as such, not as overflow warnings
            return self.trainer.evaluate(self.x, self.y), self.trainer.evaluate(self.x_test, self.y_test)

    def _record(
        self, train: dict[str, float], test: dict[str, float], logs: dict[str, float], grad_norms: list[float]
    ) -> None:
        """One point of every curve: the measured sets, the epoch's running means and rate, the gradient norms."""
        for key, value in (
            ("loss", train["loss"]),
            ("accuracy", train.get("accuracy", math.nan)),
            ("running_loss", logs["loss"]),
            ("running_accuracy", logs.get("accuracy", math.nan)),
            ("test_loss", test["loss"]),
            ("test_accuracy", test.get("accuracy", math.nan)),
            ("lr", logs["lr"]),
        ):
            self.history[key].append(float(value))
        self.grad_norms.append(grad_norms)

    def _weights_finite(self) -> bool:
        return all(np.isfinite(p.value).all() for p in self.model.parameters())

    def set_lr(self, lr: float) -> None:
        """A new learning rate from the next step on; it replaces the schedule, if any (the rate stays constant)."""
        with self.lock:
            self._set_lr(lr)

    def _set_lr(self, lr: float) -> None:
        self.trainer.callbacks = [cb for cb in self.trainer.callbacks if not isinstance(cb, LearningRateScheduler)]
        self.trainer.optimizer.lr = lr
        self.config = dataclasses.replace(self.config, lr=lr, schedule=None)

    def extend(self, most: int) -> bool:
        """After a run that is done: as many epochs more as it had, up to ``most`` in all; whether it may go on.

        The run goes on from where it is, weights and optimizer state included. A schedule that
        spans the run's epochs (linear, exponential) would start over or overshoot: the rate stays
        where it ended instead, as when it is changed by hand.
        """
        with self.lock:
            if self.status != "done" or self.config.epochs >= most:
                return False
            schedule = None if self.config.schedule is None else SCHEDULES.get(self.config.schedule)
            if schedule is not None and issubclass(schedule, (LinearDecay, ExponentialDecay)):
                self._set_lr(float(self.trainer.optimizer.lr))
            self.config = dataclasses.replace(self.config, epochs=min(most, self.config.epochs + self.epochs_asked))
            self.status = "paused"
            return True

    def _effective_weights(self) -> list[float]:
        """``w1 - w0``: a two-class softmax layer depends on it (2 numbers) and on ``b1 - b0`` only."""
        layer = self._dense[0]
        w = layer.W.value.astype(np.float64)
        return [float(w[0, 1] - w[0, 0]), float(w[1, 1] - w[1, 0])]

    def contour(self) -> dict[str, Any] | None:
        r"""For a network without hidden layers on two classes: the training loss over its two weights.

        The loss :math:`\frac1n\sum_i \log(1 + e^{-s_i (x_i \cdot v + c)})` (softmax cross-entropy of
        two classes, :math:`s_i = \pm 1`) on a grid of :math:`v = w_1 - w_0` around the path the optimizer
        took, the bias difference :math:`c` held at its current value; and the path itself.
        """
        if not self.linear_two_class:
            return None
        layer = self._dense[0]
        c = 0.0 if layer.b is None else float(layer.b.value[1] - layer.b.value[0])
        path = np.array(self.path)
        centre, span = (path.max(axis=0) + path.min(axis=0)) / 2, max(float(np.ptp(path, axis=0).max()), 1.0) * 0.75
        axis = np.linspace(-1, 1, 41)
        v0, v1 = np.meshgrid(centre[0] + span * axis, centre[1] - span * axis)
        x = self.x[:SAMPLE].astype(np.float64)
        x = self.model.layers[0].forward(x) if self.config.standardize else x
        sign = np.where(self.y[:SAMPLE] == 1, 1.0, -1.0)
        z = (np.column_stack([v0.ravel(), v1.ravel()]) @ x.T + c) * sign
        loss = np.logaddexp(0.0, -z).mean(axis=1)
        return {
            "size": 41,
            "loss": np.round(loss, 5).tolist(),
            "range": [
                float(centre[0] - span),
                float(centre[0] + span),
                float(centre[1] - span),
                float(centre[1] + span),
            ],
            "path": np.round(path, 5).tolist(),
        }

    @property
    def _dense(self) -> list[Dense]:
        return [layer for layer in self.model.layers if isinstance(layer, Dense)]

    # -- what the page draws -----------------------------------------------------------------------

    def points(self) -> dict[str, Any]:
        """The training and test points (projected for digits), the classes, and the drawing extent."""

        def shown(x: np.ndarray) -> list[list[float]]:
            x = x if self._project is None else x @ self._project
            return np.round(x, 4).tolist()

        return {
            "train": shown(self.x),
            "train_labels": self.y.tolist(),
            "test": shown(self.x_test),
            "test_labels": self.y_test.tolist(),
            "classes": self.data.n_classes,
            "extent": self.extent,
            "boundary": self._project is None,
            "summary": self.model.summary(),
        }

    def _grid(self, size: int) -> np.ndarray:
        """The centres of a ``size`` x ``size`` grid over the extent, row by row from the top left."""
        x0, x1, y0, y1 = self.extent
        gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y1, y0, size))
        return np.column_stack([gx.ravel(), gy.ravel()]).astype(self.x.dtype)

    def network(self) -> dict[str, Any] | None:
        """The network diagram's numbers over the extent (2-D data only; see :func:`.inside.diagram`)."""
        return None if self._project is not None else diagram(self.model, self._grid(NEURON_GRID))

    def set_weight(self, layer: int, row: int, column: int, value: float) -> None:
        """Set weight ``[row, column]`` of dense layer ``layer`` (0 first) by hand; ``ValueError`` naming what is wrong."""
        dense = self._dense
        if not isinstance(layer, int) or isinstance(layer, bool) or not 0 <= layer < len(dense):
            raise ValueError(f"weight: layer {shown(layer)} is not one of the network's (0 to {len(dense) - 1})")
        rows, columns = dense[layer].W.value.shape
        for name, index, size in (("row", row, rows), ("column", column, columns)):
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < size:
                raise ValueError(f"weight: {name} {shown(index)} is not in layer {layer}'s (0 to {size - 1})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= MAX_WEIGHT:
            raise ValueError(
                f"weight: {shown(value)} is not allowed (must be a number in [-{MAX_WEIGHT:g}, {MAX_WEIGHT:g}])"
            )
        with self.lock:
            dense[layer].W.value[row, column] = value

    def explain(self, sample: int) -> dict[str, Any]:
        """One optimizer step on training sample ``sample`` alone, opened up (see :func:`.inside.explain_step`).

        ``ValueError`` for a sample that is not one of the training set's.
        """
        if isinstance(sample, bool) or not isinstance(sample, int) or not 0 <= sample < len(self.x):
            raise ValueError(
                f"explain: sample {shown(sample)} is not one of the training set's (0 to {len(self.x) - 1})"
            )
        with self.lock:
            step = explain_step(self.trainer, self.x[sample : sample + 1], self.y[sample : sample + 1])
        return {"sample": sample, "label": int(self.y[sample]), **step}

    def boundary(self) -> dict[str, Any] | None:
        """The predicted class and its probability on a ``GRID`` x ``GRID`` grid over the extent (2-D data only)."""
        if self._project is not None:
            return None
        grid = self._grid(GRID)
        with np.errstate(all="ignore"):
            p = np.nan_to_num(softmax(self.model.forward(grid).astype(np.float64), axis=1))
        return {"size": GRID, "cls": p.argmax(axis=1).tolist(), "p": np.round(p.max(axis=1), 3).tolist()}

    def layers(self) -> list[dict[str, Any]]:
        """Each hidden activation's output histogram on up to ``SAMPLE`` training points."""
        out, stats = self.x[:SAMPLE], []
        activation_types = tuple(ACTIVATIONS.get(name) for name in ACTIVATIONS.names())
        for layer in self.model.layers[:-1]:
            out = layer.forward(out)
            if isinstance(layer, activation_types):
                values = out.astype(np.float64).ravel()
                values = values[np.isfinite(values)]
                if values.size == 0:
                    continue
                low, high = float(values.min()), float(values.max())
                counts, _ = np.histogram(values, bins=HISTOGRAM_BINS, range=(low, high if high > low else low + 1))
                stats.append(
                    {
                        "name": type(layer).__name__,
                        "low": low,
                        "high": high,
                        "counts": counts.tolist(),
                        "std": float(values.std()),
                    }
                )
        return stats

    def state(self) -> dict[str, Any]:
        """A ``state`` message: status, epoch, the metrics since the last one, boundary, layers, gradient norms."""
        with self.lock:
            return self._state()

    def _state(self) -> dict[str, Any]:
        new = {k: v[self.sent :] for k, v in self.history.items()}
        grads = self.grad_norms[self.sent :]
        first = self.sent
        self.sent = len(self.history["loss"])
        finite = lambda xs: [None if not math.isfinite(v) else round(v, 6) for v in xs]  # noqa: E731
        return {
            "type": "state",
            "status": self.status,
            "message": self.message,
            "epoch": self.trainer.epoch,
            "from": first,
            "history": {k: finite(v) for k, v in new.items()},
            "grad_norms": [finite(g) for g in grads],
            "lr": float(self.trainer.optimizer.lr),
            "boundary": self.boundary(),
            "layers": self.layers(),
            "contour": self.contour(),
            "network": self.network(),
        }

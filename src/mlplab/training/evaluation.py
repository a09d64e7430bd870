"""Evaluation: a model's outputs, class probabilities, loss and accuracy on a data set.

Everything here runs in inference mode (no dropout, batch-norm on its running statistics) and
in batches, so that a large set does not need one large activation per layer. The
:class:`~mlplab.training.Trainer` calls these functions from its ``predict``, ``predict_proba``
and ``evaluate`` methods, from validation after each epoch, and (for :func:`count_correct`)
from the training loop's running accuracy. :func:`check_data` is the check at the boundary:
samples that suit the model and targets that suit the loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_batch, check_finite
from ..functional import sigmoid, softmax
from ..layers.base import Layer
from ..losses import Loss


def check_data(model: Layer, loss: Loss, x_name: str, y_name: str, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as a checked batch and ``y`` as targets the loss accepts for it, or a ``ValueError`` naming them.

    Parameters
    ----------
    model : Layer
        Gives the number of input features, the dtype ``x`` is cast to, and the output width
        the targets are checked against.
    loss : Loss
        Checks the targets (labels in range, shapes, values) on zero outputs of the model's width.
    x_name, y_name : str
        The names the error messages use (``"x"``, ``"validation y"`` …).
    x : array-like, shape (n_samples, n_features)
    y : array-like, shape (n_samples,) or (n_samples, n_outputs)

    Returns
    -------
    x : ndarray, shape (n_samples, n_features)
    y : ndarray
    """
    x = check_batch(x_name, x, model.in_features, dtype=model.dtype)
    y = np.asarray(y)
    if y.ndim == 0:
        raise ValueError(f"{y_name} must be an array with one target per sample, got the scalar {y!r}")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"{y_name} has {y.shape[0]} samples but {x_name} has {x.shape[0]}")
    if y.dtype.kind == "f":
        check_finite(y_name, y)
    outputs = np.zeros((x.shape[0], model.output_features(x.shape[1])), dtype=x.dtype)
    try:  # the loss checks its targets (labels in range, shapes, values) against outputs of the model's width
        loss.forward(outputs, y)
    except ValueError as error:
        raise ValueError(f"{y_name} does not suit the loss {loss!r}: {error}") from None
    return x, y


def predict(model: Layer, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """The model's outputs for ``x``, ``batch_size`` rows at a time, in inference mode.

    ``x`` is trusted (see :func:`check_data`); a set of at most ``batch_size`` rows is one
    forward pass, whose output is returned as it is.

    Returns
    -------
    ndarray, shape (n_samples, n_outputs)
    """
    forward = getattr(model, "forward_unchecked", model.forward)
    first = forward(x[:batch_size])
    if first.shape[0] == x.shape[0]:
        return first
    out = np.empty((x.shape[0], *first.shape[1:]), dtype=first.dtype)
    out[: first.shape[0]] = first
    for i in range(batch_size, x.shape[0], batch_size):
        out[i : i + batch_size] = forward(x[i : i + batch_size])
    return out


def probabilities(out: np.ndarray, *, from_logits: bool) -> np.ndarray:
    r"""Class probabilities from model outputs ``out`` of shape ``(n_samples, n_outputs)``.

    Several outputs: :math:`\operatorname{softmax}(z)` along each row. A single output is the
    positive class's probability: :math:`\sigma(z)` when it is a logit (``from_logits``),
    else ``out`` itself.
    """
    if out.shape[1] == 1:
        return sigmoid(out) if from_logits else out
    return softmax(out, axis=1)


def count_correct(out: np.ndarray, y: np.ndarray, *, from_logits: bool) -> int:
    """How many rows of ``out`` predict their target ``y``.

    Several outputs predict the class of the largest one, checked against integer labels
    ``(n,)`` or the argmax of target rows ``(n, k)``. A single output predicts the positive
    class above 0 (a logit, ``from_logits``) or above 0.5 (a probability), checked against
    targets above 0 (labels 1 of 0/1, +1 of -1/+1).
    """
    if out.shape[1] == 1:
        threshold = 0.0 if from_logits else 0.5
        return int(np.count_nonzero((out[:, 0] > threshold) == (y.reshape(-1) > 0)))
    truth = y if y.ndim == 1 else y.argmax(axis=1)
    return int(np.count_nonzero(out.argmax(axis=1) == truth))


def evaluate(
    model: Layer, loss: Loss, x: np.ndarray, y: np.ndarray, batch_size: int = 2048, *, classification: bool
) -> dict[str, float]:
    """Mean ``loss`` over the checked set ``(x, y)``, and with ``classification`` its ``accuracy``.

    The loss is computed once on all of :func:`predict`'s outputs, so its reduction is exactly
    that of a single batch holding the whole set.
    """
    out = predict(model, x, batch_size)
    logs = {"loss": loss.forward(out, y)}
    if classification:
        logs["accuracy"] = count_correct(out, y, from_logits=loss.from_logits) / out.shape[0]
    return logs

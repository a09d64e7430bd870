"""Preparing data for training: one-hot targets, standardization, splits, mini-batches, shifts.

Everything random takes ``rng`` (a ``numpy.random.Generator`` or an int seed,
see :func:`mlplab.rng.as_generator`); the same seed gives the same result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._validation import as_integer_labels, check_finite, check_fraction, check_positive, check_positive_int
from ..rng import as_generator

__all__ = [
    "Standardizer",
    "expand_by_shifts",
    "minibatches",
    "one_hot",
    "standardize",
    "train_val_split",
]


def _integer_labels(name: str, y: Any) -> np.ndarray:
    """Return ``y`` as a 1-D integer array of non-negative labels, or raise ``ValueError``."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels, got shape {y.shape}")
    y = as_integer_labels(name, y)
    if y.size and int(y.min()) < 0:
        raise ValueError(f"{name} has negative label {int(y.min())}; labels must be in [0, n_classes)")
    return y


def one_hot(y: Any, n_classes: int | None = None) -> np.ndarray:
    r"""One-hot encode integer labels: :math:`Y_{ik} = 1` if :math:`y_i = k`, else 0.

    Parameters
    ----------
    y
        Labels, shape ``(n,)``, integers in ``[0, n_classes)`` (floats holding
        whole numbers are accepted).
    n_classes
        Number of columns ``k``; default ``max(y) + 1``.

    Returns
    -------
    numpy.ndarray
        ``float32`` array of shape ``(n, k)`` with one 1 per row.

    Raises
    ------
    ValueError
        For non-integer, negative or too-large labels, naming the bad value.
    """
    y = _integer_labels("y", y)
    if n_classes is None:
        if y.size == 0:
            raise ValueError("one_hot of an empty y needs n_classes")
        n_classes = int(y.max()) + 1
    n_classes = check_positive_int("n_classes", n_classes)
    if y.size and int(y.max()) >= n_classes:
        raise ValueError(
            f"y has label {int(y.max())} outside the valid range [0, {n_classes - 1}] (n_classes={n_classes})"
        )
    out = np.zeros((y.shape[0], n_classes), dtype=np.float32)
    out[np.arange(y.shape[0]), y] = 1.0
    return out


class Standardizer:
    r"""Per-feature standardization :math:`z_{ij} = (x_{ij} - \mu_j) / \sigma_j`.

    :math:`\mu_j` and :math:`\sigma_j` (population standard deviation,
    ``ddof=0``) are learned from the training set by :meth:`fit` (in float64)
    and reused unchanged on validation and test data. A feature whose
    :math:`\sigma_j \le` ``eps`` (a constant pixel such as the border of every
    MNIST image) gets :math:`\sigma_j = 1`, so it maps to
    :math:`x - \mu_j \approx 0` instead of dividing by zero.

    Attributes
    ----------
    mean_ : numpy.ndarray
        :math:`\mu`, shape ``(n_features,)``, float64; ``None`` before fit.
    std_ : numpy.ndarray
        :math:`\sigma` with the ``eps`` rule applied, shape ``(n_features,)``.
    """

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def __repr__(self) -> str:
        fitted = f", n_features={self.mean_.shape[0]}" if self.mean_ is not None else ", unfitted"
        return f"Standardizer(eps={self.eps:g}{fitted})"

    @staticmethod
    def _check(x: Any) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise ValueError(f"x must hold numbers, got dtype {x.dtype}")
        if x.ndim != 2:
            raise ValueError(f"x must be 2-D (n_samples, n_features), got shape {x.shape}")
        check_finite("x", x)
        return x

    def fit(self, x: Any) -> Standardizer:
        """Learn :math:`\\mu` and :math:`\\sigma` from ``x`` of shape ``(n, d)``; return ``self``."""
        x = self._check(x)
        if x.shape[0] == 0:
            raise ValueError(f"cannot fit a Standardizer on an empty x (shape {x.shape})")
        mean = x.mean(axis=0, dtype=np.float64)
        std = x.std(axis=0, dtype=np.float64)
        std[std <= self.eps] = 1.0
        self.mean_, self.std_ = mean, std
        return self

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("this Standardizer is not fitted yet: call fit(x_train) first")
        return self.mean_, self.std_

    def transform(self, x: Any) -> np.ndarray:
        """Return :math:`(x - \\mu) / \\sigma`, shape ``(n, d)``.

        Float input keeps its dtype; integer input becomes ``float32``.
        """
        mean, std = self._fitted()
        x = self._check(x)
        if x.shape[1] != mean.shape[0]:
            raise ValueError(f"x has {x.shape[1]} features, but the Standardizer was fitted on {mean.shape[0]}")
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        return ((x - mean.astype(dtype)) / std.astype(dtype)).astype(dtype, copy=False)

    def inverse_transform(self, z: Any) -> np.ndarray:
        """Undo :meth:`transform`: return :math:`z \\sigma + \\mu`."""
        mean, std = self._fitted()
        z = self._check(z)
        dtype = z.dtype if z.dtype.kind == "f" else np.dtype(np.float32)
        return (z * std.astype(dtype) + mean.astype(dtype)).astype(dtype, copy=False)

    def fit_transform(self, x: Any) -> np.ndarray:
        """:meth:`fit` on ``x`` then :meth:`transform` it."""
        return self.fit(x).transform(x)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python state (lists and floats) for saving as JSON; see :meth:`from_dict`."""
        mean, std = self._fitted()
        return {"mean": mean.tolist(), "std": std.tolist(), "eps": self.eps}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Standardizer:
        """Rebuild a fitted Standardizer from :meth:`to_dict`'s output."""
        try:
            mean = np.asarray(state["mean"], dtype=np.float64)
            std = np.asarray(state["std"], dtype=np.float64)
        except KeyError as exc:
            raise ValueError(f"Standardizer state lacks the key {exc.args[0]!r} (needs 'mean' and 'std')") from None
        if mean.ndim != 1 or mean.shape != std.shape:
            raise ValueError(
                f"Standardizer state: mean and std must be equal-length lists, got {mean.shape}, {std.shape}"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise ValueError("Standardizer state: mean must be finite and std finite and > 0")
        obj = cls(eps=state.get("eps", 1e-8))
        obj.mean_, obj.std_ = mean, std
        return obj


def standardize(x: Any, eps: float = 1e-8) -> np.ndarray:
    """Standardize each column of ``x`` with its own mean and std: ``Standardizer(eps).fit_transform(x)``.

    For train/test data, fit a :class:`Standardizer` on the training set instead
    and transform both with it.
    """
    return Standardizer(eps).fit_transform(x)


def _split_indices(
    labels: np.ndarray | None, n: int, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Return shuffled ``(keep, held_out)`` index arrays, held-out share ``fraction``.

    With ``labels``, each class ``c`` of size :math:`n_c` gives
    :math:`\\mathrm{round}(f\\, n_c)` held-out samples (stratified split);
    without, :math:`\\mathrm{round}(f\\, n)` of a random permutation.
    """
    if labels is None:
        perm = rng.permutation(n)
        n_out = round(fraction * n)
        return perm[n_out:], perm[:n_out]
    keep, out = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_out = round(fraction * idx.size)
        out.append(idx[:n_out])
        keep.append(idx[n_out:])
    keep_idx, out_idx = np.concatenate(keep), np.concatenate(out)
    return rng.permutation(keep_idx), rng.permutation(out_idx)


def train_val_split(
    x: Any,
    y: Any,
    val_fraction: float = 0.1,
    rng: np.random.Generator | int | None = None,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Split ``(x, y)`` into a training part and a validation part.

    Stratified (default): the samples of each class :math:`c` are shuffled and
    :math:`\mathrm{round}(f\, n_c)` of them go to validation, so every class is
    split in the same proportion :math:`f` = ``val_fraction``. Otherwise a
    random :math:`\mathrm{round}(f\, n)` samples go to validation. The order
    within each part is shuffled as well.

    Parameters
    ----------
    x
        Samples, shape ``(n, ...)``.
    y
        Labels ``(n,)``, or one-hot targets ``(n, k)`` (stratified by argmax).
    val_fraction
        Share :math:`f \in (0, 1)` held out for validation.
    rng
        Generator or int seed; the same seed gives the same split.
    stratify
        Split each class separately (needs class labels).

    Returns
    -------
    x_train, y_train, x_val, y_val
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of samples, got shapes {x.shape} and {y.shape}")
    f = check_fraction("val_fraction", val_fraction, low_open=True)
    labels = None
    if stratify:
        labels = _integer_labels("y", y.argmax(axis=1) if y.ndim == 2 else y)
    train_idx, val_idx = _split_indices(labels, x.shape[0], f, as_generator(rng))
    if val_idx.size == 0 or train_idx.size == 0:
        part = "validation" if val_idx.size == 0 else "training"
        raise ValueError(f"val_fraction={f} of {x.shape[0]} samples leaves the {part} set empty")
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


def minibatches(
    n: int,
    batch_size: int | None,
    rng: np.random.Generator | int | None = None,
    shuffle: bool = True,
) -> Iterator[np.ndarray]:
    """Yield index arrays that cover ``0 .. n-1`` exactly once (one epoch).

    The three gradient-descent modes of S1 are one loop with different
    ``batch_size``: ``None`` or ``>= n`` gives one batch of all samples (batch
    GD), ``1`` gives single samples (stochastic GD), anything between gives
    mini-batches of that size, the last one possibly smaller.

    Parameters
    ----------
    n
        Number of samples.
    batch_size
        Samples per batch, or ``None`` for the whole set.
    rng
        Generator or int seed for the shuffle (pass one Generator across epochs
        to get a new order each epoch).
    shuffle
        Visit the samples in a random order; ``False`` gives ``0, 1, ..., n-1``.

    Yields
    ------
    numpy.ndarray
        ``int64`` indices, shape ``(batch_size,)`` (the last batch may be shorter).
    """
    n = check_positive_int("n", n)
    size = n if batch_size is None else min(check_positive_int("batch_size", batch_size), n)
    order = as_generator(rng).permutation(n) if shuffle else np.arange(n)

    def batches() -> Iterator[np.ndarray]:
        for start in range(0, n, size):
            yield order[start : start + size]

    return batches()


def _shift_images(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Shift a stack ``(n, h, w)`` by ``dy`` rows down and ``dx`` columns right, zero fill."""
    out = np.zeros_like(images)
    h, w = images.shape[1:]
    src_r = slice(max(0, -dy), h - max(0, dy))
    dst_r = slice(max(0, dy), h - max(0, -dy))
    src_c = slice(max(0, -dx), w - max(0, dx))
    dst_c = slice(max(0, dx), w - max(0, -dx))
    out[:, dst_r, dst_c] = images[:, src_r, src_c]
    return out


def expand_by_shifts(
    x: Any,
    y: Any,
    image_shape: tuple[int, int],
    shifts: Sequence[tuple[int, int]] = ((0, 1), (0, -1), (1, 0), (-1, 0)),
) -> tuple[np.ndarray, np.ndarray]:
    r"""Artificially expand an image set with shifted copies (S3, Nielsen ch. 3).

    For each shift :math:`(\delta_r, \delta_c)` every image is moved
    :math:`\delta_r` rows down and :math:`\delta_c` columns right,
    :math:`x'[i + \delta_r, j + \delta_c] = x[i, j]`, and the pixels that enter
    at the border are 0. The default shifts one pixel right, left, down, up.

    Parameters
    ----------
    x
        Images, flattened ``(n, h*w)`` or stacked ``(n, h, w)``.
    y
        Their labels or targets, ``(n, ...)``.
    image_shape
        ``(h, w)``.
    shifts
        ``(rows, cols)`` offsets, each smaller than the image in magnitude.

    Returns
    -------
    x_expanded : numpy.ndarray
        ``((1 + len(shifts)) n, ...)`` in ``x``'s layout and dtype: the
        originals first, then one block of ``n`` per shift, in order.
    y_expanded : numpy.ndarray
        ``y`` repeated to match.
    """
    x, y = np.asarray(x), np.asarray(y)
    h, w = (check_positive_int("image_shape[0]", image_shape[0]), check_positive_int("image_shape[1]", image_shape[1]))
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of samples, got shapes {x.shape} and {y.shape}")
    if x.shape[1:] not in ((h * w,), (h, w)):
        raise ValueError(f"x must have shape (n, {h * w}) or (n, {h}, {w}) for image_shape {(h, w)}, got {x.shape}")
    images = x.reshape(x.shape[0], h, w)
    blocks = [x]
    for shift in shifts:
        dy, dx = (int(s) for s in shift)
        if abs(dy) >= h or abs(dx) >= w:
            raise ValueError(f"shift {tuple(shift)} moves a {h}x{w} image entirely out of frame")
        blocks.append(_shift_images(images, dy, dx).reshape(x.shape))
    return np.concatenate(blocks), np.concatenate([y] * len(blocks))

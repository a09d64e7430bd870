"""The benchmark's data: Fashion-MNIST, or the synthetic stand-in of its shape when it is missing."""

from __future__ import annotations

from .._validation import check_positive_int
from ..datasets import Dataset, image_set


def load_bench_data(n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> Dataset:
    """The first ``n_train`` / ``n_test`` samples (all where ``None``) of :func:`mlplab.datasets.image_set`'s Fashion-MNIST."""
    for name, size in (("n_train", n_train), ("n_test", n_test)):
        if size is not None:
            check_positive_int(name, size)
    return image_set("fashion-mnist", seed=seed).head(n_train, n_test)

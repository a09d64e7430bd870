"""The GEMM limit: how long one epoch's matrix products alone take with NumPy's BLAS.

Training a dense network is, at the limit, its matrix products. Per batch of
``b`` samples and per Dense layer ``n_in -> n_out`` there are three:

* forward  :math:`Y = X W`,        ``(b, n_in) @ (n_in, n_out)``
* weights  :math:`\\nabla W = X^T G`, ``(n_in, b) @ (b, n_out)``
* inputs   :math:`\\nabla X = G W^T`, ``(b, n_out) @ (n_out, n_in)``, skipped for
  the first layer (nobody needs the gradient of the data).

The limit of an epoch is the time of exactly those products, measured on the
same shapes, dtype and transposed views the engine uses, in the same process
and thread setting as the runs it is compared with.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from .._validation import check_positive_int


def warm_up_blas(dtype: np.dtype | type = np.float32) -> None:
    """One 512x512 product, so OpenBLAS settles its threads before small products are timed."""
    a = np.ones((512, 512), dtype=dtype)
    a @ a


def batch_products_time(
    sizes: Sequence[int], batch: int, dtype: np.dtype | type = np.float32, rounds: int = 5, *, backward: bool = True
) -> float:
    """Median seconds of one batch's forward (and, with ``backward``, backward) matrix products.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output.
    batch : int
        Rows of the batch.
    rounds : int
        Timed rounds; each repeats the products until it lasts at least 20 ms.
    backward : bool
        Include the weight- and input-gradient products (training); without, inference.
    """
    rng = np.random.default_rng(0)
    dtype = np.dtype(dtype)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers.append(
            (
                rng.random((batch, n_in), dtype=dtype),  # layer input
                rng.random((n_in, n_out), dtype=dtype),  # weights
                rng.random((batch, n_out), dtype=dtype),  # output gradient
                np.empty((batch, n_out), dtype=dtype),  # output
                np.empty((n_in, n_out), dtype=dtype),  # weight gradient
                np.empty((batch, n_in), dtype=dtype),  # input gradient
            )
        )

    def one_batch() -> None:
        for x, w, _, y, _, _ in layers:
            np.matmul(x, w, out=y)
        if not backward:
            return
        for i in range(len(layers) - 1, -1, -1):
            x, w, g, _, dw, dx = layers[i]
            np.matmul(x.T, g, out=dw)
            if i > 0:
                np.matmul(g, w.T, out=dx)

    one_batch()
    start = time.perf_counter()
    one_batch()
    once = max(time.perf_counter() - start, 1e-7)
    repeats = max(1, math.ceil(0.02 / once))
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            one_batch()
        samples.append((time.perf_counter() - start) / repeats)
    return float(np.median(samples))


def gemm_limit_epoch(
    sizes: Sequence[int],
    n_samples: int,
    batch_size: int | None,
    dtype: np.dtype | type = np.float32,
    rounds: int = 5,
    *,
    backward: bool = True,
) -> float:
    """Seconds of one epoch's matrix products: full batches plus the shorter last one.

    ``batch_size=None`` (or at least ``n_samples``) is one batch of every sample.
    With ``backward=False`` only the forward products count: the limit of inference.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    batch = n_samples if batch_size is None else min(batch_size, n_samples)
    full, rest = divmod(n_samples, batch)
    options = {} if backward else {"backward": False}
    total = full * batch_products_time(sizes, batch, dtype, rounds, **options)
    if rest:
        total += batch_products_time(sizes, rest, dtype, rounds, **options)
    return total

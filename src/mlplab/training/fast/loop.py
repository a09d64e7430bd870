"""The compiled training loop: gather, forward, loss, backward, clipping and update for a run of batches.

Imported only when a fast epoch runs (importing numba takes a moment). Every function is
compiled once per dtype and cached on disk (``cache=True``). The arithmetic follows the NumPy
layers, losses and optimizers operation by operation, in the model's dtype: the hyper-parameters
and constants arrive as arrays of that dtype (``consts``, ``hyper``), because a Python float in
a compiled expression would compute in float64 where NumPy computes in float32. What may differ
is the order of a few sums (the bias gradients, the loss, the products of SciPy's BLAS where
NumPy's may differ), which changes the last bits, not the training.

The network is a table (:mod:`mlplab.training.fast.plan` builds it): row ``l`` of ``layers``
holds a dense layer's offsets and widths, its activation and whether dropout follows it; all
weights and gradients are slices of the model's packed arrays (:mod:`mlplab.packing`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import kernels
from .blas import product_over_rows, weight_gradient_rows
from .denormals import flush_denormals, restore_denormals
from .elementwise import (
    PER_ROW,
    SOFTMAX_CE,
    SUM,
    ZERO,
    _activate,
    _activation_grad,
    _count_correct,
    _dropout,
    _dropout_grad,
    _jit,
    _loss,
)
from .gather import gather_rows
from .sync import STRIDE, meet

# the optimizers' own update kernels, one pass each (see mlplab.kernels)
_momentum = _jit(kernels._momentum)
_adam = _jit(kernels._adam)
_rmsprop = _jit(kernels._rmsprop)
_adagrad = _jit(kernels._adagrad)
_adadelta = _jit(kernels._adadelta)
_softmax_cross_entropy = _jit(kernels._softmax_cross_entropy)

# optimizers
SGD, ADAM, ADAMW, RMSPROP, ADAGRAD, ADADELTA = range(6)
# columns of ``layers``
W_OFF, B_OFF, N_IN, N_OUT, ACT, DROPOUT, THRESHOLD, OUT_OFF, ACT_OFF, GRAD_OFF = range(10)
# columns of ``groups`` (ints: the span and two switches) and of ``hyper`` (the model's dtype) and ``hyper64``
# (float64), which hold the same values: LR, WD, L1, DECAY (AdamW's 1 - lr * wd), then per optimizer
#   SGD: H1 momentum, H2 1 - dampening; FLAG_A nesterov, FLAG_B momentum > 0
#   Adam, AdamW: H1 beta1, H2 1 - beta1, H3 beta2, H4 1 - beta2, H5 eps; FLAG_A amsgrad
#   RMSprop: H1 alpha, H2 1 - alpha, H3 eps, H4 momentum; FLAG_A centered, FLAG_B momentum > 0
#   Adagrad: H1 lr_decay, H2 eps;  Adadelta: H1 rho, H2 1 - rho, H3 eps
LO, HI, FLAG_A, FLAG_B = range(4)
LR, WD, L1, DECAY, H1, H2, H3, H4, H5 = range(9)


@_jit
def _update(
    theta: Any,
    grad: Any,
    state: Any,
    groups: Any,
    hyper: Any,
    hyper64: Any,
    steps: Any,
    optimizer: int,
    cast: Any,
    first: int,
    end: int,
) -> None:  # pragma: no cover
    """One optimizer step on the parameters ``first .. end - 1`` of every group: penalties, then the optimizer's kernel.

    ``state`` holds the optimizer's three state arrays over the packed parameters; one it does
    not keep is empty (its kernel never reads it). This is each group's step ``steps[group] + 1``;
    the caller counts it once every thread has updated its part.
    """
    for gi in range(groups.shape[0]):
        lo, hi = max(groups[gi, LO], first), min(groups[gi, HI], end)
        if lo >= hi:
            continue
        w, g = theta[lo:hi], grad[lo:hi]
        s1, s2, s3 = state[0][lo:hi], state[1][lo:hi], state[2][lo:hi]
        h = hyper[gi]
        t = steps[gi] + 1
        if optimizer == ADAMW and hyper64[gi, WD] != 0:
            for i in range(w.size):
                w[i] *= h[DECAY]
        elif h[WD] != 0:
            for i in range(w.size):
                g[i] = g[i] + h[WD] * w[i]
        if h[L1] != 0:
            for i in range(w.size):
                g[i] = g[i] + h[L1] * np.sign(w[i])
        flag_a, flag_b = groups[gi, FLAG_A] != 0, groups[gi, FLAG_B] != 0
        if optimizer == SGD:
            if not flag_b:
                for i in range(w.size):
                    w[i] -= h[LR] * g[i]
            elif t == 1:  # the velocity starts as the first gradient
                for i in range(w.size):
                    s1[i] = g[i]
                    w[i] -= h[LR] * (g[i] + h[H1] * s1[i]) if flag_a else h[LR] * s1[i]
            else:
                _momentum(w, g, s1, h[LR], h[H1], h[H2], flag_a)
        elif optimizer == ADAM or optimizer == ADAMW:
            cast[0] = hyper64[gi, LR] / (1 - math.pow(hyper64[gi, H1], t))
            cast[1] = 1 / math.sqrt(1 - math.pow(hyper64[gi, H3], t))
            _adam(w, g, s1, s2, s3, flag_a, h[H1], h[H2], h[H3], h[H4], h[H5], cast[0], cast[1])
        elif optimizer == RMSPROP:
            _rmsprop(w, g, s1, s2, s3, flag_a, flag_b, h[H1], h[H2], h[H3], h[LR], h[H4])
        elif optimizer == ADAGRAD:
            cast[0] = hyper64[gi, LR] / (1 + (t - 1) * hyper64[gi, H1])
            _adagrad(w, g, s1, cast[0], h[H2])
        else:  # ADADELTA
            _adadelta(w, g, s1, s2, h[LR], h[H1], h[H2], h[H3])


@_jit
def _clip_values(grad: Any, clip_value: float, cast: Any) -> None:  # pragma: no cover
    """Clip every element of ``grad`` to ``[-clip_value, clip_value]``."""
    cast[0] = clip_value
    c = cast[0]
    for i in range(grad.size):
        grad[i] = min(max(grad[i], -c), c)


@_jit
def _sum_of_squares(grad: Any) -> float:  # pragma: no cover
    """:math:`\\sum_i g_i^2`, accumulated in float64."""
    total = 0.0
    for i in range(grad.size):
        total += np.float64(grad[i]) * np.float64(grad[i])
    return total


@_jit
def _scale_to_norm(grad: Any, clip_norm: float, squares: float, cast: Any) -> None:  # pragma: no cover
    """Scale ``grad`` by :math:`c / (\\lVert g \\rVert + 10^{-6})` where that is below 1; ``squares`` is :math:`\\lVert g \\rVert^2`."""
    coef = clip_norm / (math.sqrt(squares) + 1e-6)
    if coef < 1.0:
        cast[0] = coef
        c = cast[0]
        for i in range(grad.size):
            grad[i] *= c


@_jit
def train_batches(*args: Any) -> tuple[int, float, int, float]:  # pragma: no cover
    """Train the batches ``first_batch .. first_batch + n_batches - 1`` of an epoch, or one thread's part of them.

    Batch ``b`` holds the samples ``order[b * batch_size : (b + 1) * batch_size]`` (the whole set,
    in its own order, when ``batch_size`` covers it). Returns ``(batches done, sum over batches
    of loss × batch size, correct predictions, loss of the batch that stopped the run)``: a
    batch whose loss is not finite stops before its backward pass, as the trainer's loop does.
    A thread's part counts only its own rows' correct predictions; the rest is the whole batch's.
    Subnormal numbers are flushed to zero meanwhile (see :mod:`mlplab.training.fast.denormals`).
    """
    previous_mode = flush_denormals()
    result = _train_batches(*args)
    restore_denormals(previous_mode)
    return result


@_jit
def _train_batches(
    x: Any,
    labels: Any,
    targets: Any,
    order: Any,
    first_batch: int,
    n_batches: int,
    batch_size: int,
    theta: Any,
    grad: Any,
    layers: Any,
    layer_values: Any,
    work: Any,
    draws: Any,
    draw_offsets: Any,
    loss: int,
    reduction: int,
    classify: bool,
    count_threshold: float,
    consts: Any,
    optimizer: int,
    groups: Any,
    hyper: Any,
    hyper64: Any,
    steps: Any,
    state: Any,
    clip_value: float,
    clip_norm: float,
    input_mean: Any,
    input_std: Any,
    spans: Any,
    partials: Any,
    shared: Any,
    sync: Any,
    part: int,
) -> tuple[int, float, int, float]:  # pragma: no cover
    """The loop itself; with several threads (``spans`` has one more element than there are), thread ``part``'s share.

    Each thread runs the forward pass, the loss and the backward pass of the deltas on its own
    rows of the batch (rows ``m * part // n_parts`` on); once all have (a meeting, see
    :mod:`.sync`), each computes the gradient of its own span ``spans[part] .. spans[part + 1] - 1``
    of the packed parameters (whole weight rows and biases) over all the rows, clips and updates
    it; the threads meet again before the next batch reads the weights. They share their losses
    and squared norms through ``shared`` (a float64 slot each). When another thread has failed,
    a meeting says so and this one returns at once (its result is not used: the error is raised).

    A batch with no more rows than inputs takes its first product by inputs instead: each thread
    gathers the inputs of its own rows of the first weights for every row of the batch and
    multiplies them into ``partials[part]``; after a meeting each adds the threads' products up,
    in their order, for its own rows. Its rows of the first weights, their gradient and their
    optimizer state then stay in its own cache from step to step: at batch 128, 784-256-10 trains
    about 15% faster so. One thread runs the same steps without meeting.
    """
    n = x.shape[0]
    cast = np.empty_like(consts[:2])
    rows = np.empty(batch_size, dtype=np.intp)
    batch_labels = np.empty(batch_size if labels.size else 0, dtype=labels.dtype)
    n_layers = layers.shape[0]
    n_parts = spans.size - 1
    first, end = spans[part], spans[part + 1]
    meeting = 0
    total_loss, correct = 0.0, 0
    for b in range(n_batches):
        batch = first_batch + b
        start = batch * batch_size
        m = min(batch_size, n - start)
        whole = m == n
        lo, hi = m * part // n_parts, m * (part + 1) // n_parts
        for r in range(m):
            rows[r] = r if whole else order[start + r]
        if labels.size:
            for r in range(lo, hi):
                batch_labels[r] = labels[rows[r]]
        # forward
        d = x.shape[1]
        n_first = layers[0, N_OUT]
        w_first = layers[0, W_OFF]
        k_lo = (min(max(first, w_first), w_first + d * n_first) - w_first) // n_first
        k_hi = (min(max(end, w_first), w_first + d * n_first) - w_first) // n_first
        # a batch with fewer rows than inputs is split by inputs for the first product, a taller one by rows
        split_inputs = n_parts > 1 and m <= d and partials.shape[0] == n_parts
        if whole:
            a = x
        else:
            a = work[: m * d].reshape((m, d))
            row_lo, row_hi, column_lo, column_hi = (0, m, k_lo, k_hi) if split_inputs else (lo, hi, 0, d)
            gather_rows(x, rows, a, row_lo, row_hi, column_lo, column_hi, input_mean, input_std)
        if split_inputs:
            product_over_rows(
                a,
                theta[w_first : w_first + d * n_first].reshape((d, n_first)),
                partials[part, : m * n_first].reshape((m, n_first)),
                k_lo,
                k_hi,
            )
            meeting += 1
            if not meet(sync, part, n_parts, meeting):
                return b, total_loss, correct, math.nan
        for layer in range(n_layers):
            n_in, n_out = layers[layer, N_IN], layers[layer, N_OUT]
            w_off, b_off, act_off = layers[layer, W_OFF], layers[layer, B_OFF], layers[layer, ACT_OFF]
            y = work[act_off : act_off + m * n_out].reshape((m, n_out))[lo:hi]
            if layer == 0 and split_inputs:  # the sum of the threads' products, in their order
                for r in range(lo, hi):
                    target = y[r - lo]
                    for j in range(n_out):
                        target[j] = partials[0, r * n_out + j]
                    for p in range(1, n_parts):
                        for j in range(n_out):
                            target[j] += partials[p, r * n_out + j]
            elif hi > lo:
                np.dot(a[lo:hi], theta[w_off : w_off + n_in * n_out].reshape((n_in, n_out)), y)
            if b_off >= 0:
                bias = theta[b_off : b_off + n_out]
                for r in range(hi - lo):
                    for j in range(n_out):
                        y[r, j] += bias[j]
            _activate(y, layers[layer, ACT], layer_values[layer, 0], consts)
            full = work[act_off : act_off + m * n_out].reshape((m, n_out))
            if layers[layer, DROPOUT]:
                out_off = layers[layer, OUT_OFF]
                out = work[out_off : out_off + m * n_out].reshape((m, n_out))
                threshold = np.uint32(layers[layer, THRESHOLD])
                o = draw_offsets[b, layer]
                mask = draws[o + lo * n_out : o + hi * n_out]
                _dropout(out[lo:hi], y, mask, threshold, layer_values[layer, 1], consts[ZERO])
                a = out
            else:
                a = full
        # loss
        k = layers[n_layers - 1, N_OUT]
        g_off = layers[n_layers - 1, GRAD_OFF]
        g = work[g_off : g_off + m * k].reshape((m, k))[lo:hi]
        count = 1 if reduction == SUM else (m if reduction == PER_ROW else m * k)
        cast[0] = 1.0 / count
        cast[1] = 2.0 * (1.0 / count)
        if loss == SOFTMAX_CE:  # the kernel the loss class runs, on the batch's labels
            value = _softmax_cross_entropy(a[lo:hi], batch_labels[lo:hi], cast[0], g)
        else:
            value = _loss(a[lo:hi], g, loss, targets, rows[lo:hi], cast[0], cast[1], consts)
        if n_parts > 1:
            shared[part * STRIDE] = value
            meeting += 1
            if not meet(sync, part, n_parts, meeting):
                return b, total_loss, correct, math.nan
            value = 0.0
            for p in range(n_parts):
                value += shared[p * STRIDE]
        if not math.isfinite(value):
            return b, total_loss, correct, value
        total_loss += value * m
        if classify:
            correct += _count_correct(
                a[lo:hi], batch_labels[lo:hi], targets, rows[lo:hi], loss == SOFTMAX_CE, count_threshold
            )
        # backward: the deltas of this thread's rows
        for layer in range(n_layers - 1, -1, -1):
            n_in, n_out = layers[layer, N_IN], layers[layer, N_OUT]
            g_off, act_off = layers[layer, GRAD_OFF], layers[layer, ACT_OFF]
            g = work[g_off : g_off + m * n_out].reshape((m, n_out))[lo:hi]
            if layers[layer, DROPOUT]:
                o = draw_offsets[b, layer]
                threshold = np.uint32(layers[layer, THRESHOLD])
                mask = draws[o + lo * n_out : o + hi * n_out]
                _dropout_grad(g, mask, threshold, layer_values[layer, 1], consts[ZERO])
            y = work[act_off : act_off + m * n_out].reshape((m, n_out))[lo:hi]
            _activation_grad(g, y, layers[layer, ACT], layer_values[layer, 0], consts)
            if layer > 0 and hi > lo:
                w_off = layers[layer, W_OFF]
                prev_g = layers[layer - 1, GRAD_OFF]
                dx = work[prev_g : prev_g + m * n_in].reshape((m, n_in))[lo:hi]
                np.dot(g, theta[w_off : w_off + n_in * n_out].reshape((n_in, n_out)).T, dx)
        if n_parts > 1:
            meeting += 1
            if not meet(sync, part, n_parts, meeting):
                return b, total_loss, correct, math.nan
        # the gradient of this thread's span over all the rows, then clipping and the update
        for layer in range(n_layers):
            n_in, n_out = layers[layer, N_IN], layers[layer, N_OUT]
            w_off, b_off, g_off = layers[layer, W_OFF], layers[layer, B_OFF], layers[layer, GRAD_OFF]
            g = work[g_off : g_off + m * n_out].reshape((m, n_out))
            if layer == 0:
                a_in = x if whole else work[: m * d].reshape((m, d))
            else:
                prev = layer - 1
                prev_off = layers[prev, OUT_OFF] if layers[prev, DROPOUT] else layers[prev, ACT_OFF]
                a_in = work[prev_off : prev_off + m * n_in].reshape((m, n_in))
            row_first = (min(max(first, w_off), w_off + n_in * n_out) - w_off) // n_out
            row_end = (min(max(end, w_off), w_off + n_in * n_out) - w_off) // n_out
            gw = grad[w_off : w_off + n_in * n_out].reshape((n_in, n_out))
            weight_gradient_rows(a_in, g, gw, row_first, row_end)
            if first <= b_off < end:
                gb = grad[b_off : b_off + n_out]
                gb[:] = 0
                for r in range(m):
                    for j in range(n_out):
                        gb[j] += g[r, j]
        span = grad[first:end]
        if clip_value > 0:
            _clip_values(span, clip_value, cast)
        if clip_norm > 0:
            squares = _sum_of_squares(span)
            if n_parts > 1:
                shared[part * STRIDE + 1] = squares
                meeting += 1
                if not meet(sync, part, n_parts, meeting):
                    return b, total_loss, correct, math.nan
                squares = 0.0
                for p in range(n_parts):
                    squares += shared[p * STRIDE + 1]
            _scale_to_norm(span, clip_norm, squares, cast)
        _update(theta, grad, state, groups, hyper, hyper64, steps, optimizer, cast, first, end)
        if n_parts > 1:
            meeting += 1
            if not meet(sync, part, n_parts, meeting):
                return b, total_loss, correct, math.nan
        if part == 0:
            for gi in range(steps.size):
                steps[gi] += 1
    return n_batches, total_loss, correct, 0.0

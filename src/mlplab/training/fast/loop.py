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

import numba
import numpy as np

from ... import kernels
from .denormals import flush_denormals, restore_denormals

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

# the optimizers' own update kernels, one pass each (see mlplab.kernels)
_momentum = _jit(kernels._momentum)
_adam = _jit(kernels._adam)
_rmsprop = _jit(kernels._rmsprop)
_adagrad = _jit(kernels._adagrad)
_adadelta = _jit(kernels._adadelta)
_softmax_cross_entropy = _jit(kernels._softmax_cross_entropy)

# activations (column ACT of ``layers``)
IDENTITY, RELU, LEAKY_RELU, SIGMOID, TANH, STEP = range(6)
# losses
SOFTMAX_CE, MSE, HALF_MSE, QUADRATIC, BCE_LOGITS, BCE_PROBS = range(6)
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
# the reduction of the loss: a sum, a mean over rows, a mean over elements
SUM, PER_ROW, PER_ELEMENT = range(3)
# ``consts``: constants in the model's dtype
ONE, ZERO, HALF, LOG_FLOOR, TINY = range(5)


@_jit
def _weight_gradient(a: Any, g: Any, out: Any) -> None:  # pragma: no cover
    """``out = a.T @ g``; for one sample the outer product in a loop, twice as fast as BLAS and the same numbers."""
    if a.shape[0] > 1:
        np.dot(a.T, g, out)
        return
    n = g.shape[1]
    for i in range(a.shape[1]):
        row, ai = out[i], a[0, i]  # a row view: a computed flat index would not vectorize
        for j in range(n):
            row[j] = ai * g[0, j]


@_jit
def _activate(y: Any, act: int, slope: Any, consts: Any) -> None:  # pragma: no cover
    """Apply the activation in place on pre-activations ``y`` (as the activation layers compute it)."""
    one, zero = consts[ONE], consts[ZERO]
    m, n = y.shape
    for r in range(m):
        for j in range(n):
            v = y[r, j]
            if act == RELU:
                y[r, j] = v * (one if v > 0 else zero)
            elif act == LEAKY_RELU:
                y[r, j] = v * (one if v > 0 else slope)
            elif act == SIGMOID:
                e = np.exp(-np.abs(v))
                s = one / (one + e)
                y[r, j] = s if v >= 0 else e * s
            elif act == TANH:
                y[r, j] = np.tanh(v)
            elif act == STEP:
                y[r, j] = one if v >= 0 else zero


@_jit
def _activation_grad(g: Any, y: Any, act: int, slope: Any, consts: Any) -> None:  # pragma: no cover
    """Multiply ``g`` in place by the activation's derivative, read from its outputs ``y``."""
    one, zero = consts[ONE], consts[ZERO]
    m, n = g.shape
    for r in range(m):
        for j in range(n):
            v = y[r, j]
            if act == RELU:
                g[r, j] = g[r, j] * (one if v > 0 else zero)
            elif act == LEAKY_RELU:
                g[r, j] = g[r, j] * (one if v > 0 else slope)
            elif act == SIGMOID:
                g[r, j] = (one - v) * v * g[r, j]
            elif act == TANH:
                g[r, j] = (one - v * v) * g[r, j]
            elif act == STEP:
                g[r, j] = zero


@_jit
def _dropout(out: Any, y: Any, draws: Any, threshold: np.uint32, scale: Any, zero: Any) -> None:  # pragma: no cover
    """``out = y * mask`` with ``mask = scale`` where the draw is at least ``threshold``, else 0."""
    m, n = y.shape
    keep = draws.reshape((m, n))  # two indices from ranges: a computed flat index would not vectorize
    for r in range(m):
        for j in range(n):
            out[r, j] = y[r, j] * (scale if keep[r, j] >= threshold else zero)


@_jit
def _dropout_grad(g: Any, draws: Any, threshold: np.uint32, scale: Any, zero: Any) -> None:  # pragma: no cover
    """``g = g * mask``, the mask of :func:`_dropout` from the same draws."""
    m, n = g.shape
    keep = draws.reshape((m, n))
    for r in range(m):
        for j in range(n):
            g[r, j] = g[r, j] * (scale if keep[r, j] >= threshold else zero)


@_jit
def _loss(
    z: Any, g: Any, loss: int, targets: Any, rows: Any, scale: Any, two_scale: Any, consts: Any
) -> float:  # pragma: no cover
    """A regression or binary loss of the batch (its reduction applied), with ``dL/dz`` written to ``g``,
    as the loss classes compute it. (Softmax cross-entropy runs the kernel of :mod:`mlplab.kernels`.)"""
    one, zero, half = consts[ONE], consts[ZERO], consts[HALF]
    floor, tiny = consts[LOG_FLOOR], consts[TINY]
    m, k = z.shape
    total = 0.0
    for r in range(m):
        row = rows[r]
        for j in range(k):
            v, t = z[r, j], targets[row, j]
            if loss == MSE or loss == HALF_MSE or loss == QUADRATIC:
                d = v - t
                total += np.float64(d) * np.float64(d)
                if loss == QUADRATIC:
                    g[r, j] = d * scale
                else:
                    g[r, j] = d * two_scale
                    if loss == HALF_MSE:
                        g[r, j] *= half
            elif loss == BCE_LOGITS:
                e = np.exp(-np.abs(v))
                total += np.float64(max(v, zero) - v * t + np.log1p(e))
                s = one / (one + e)
                g[r, j] = ((s if v >= 0 else e * s) - t) * scale
            else:  # BCE_PROBS
                log_a = max(np.log(v), floor) if v > 0 else floor
                log_1ma = max(np.log1p(-v), floor) if v < 1 else floor
                total += -np.float64(t * log_a + (one - t) * log_1ma)
                g[r, j] = (v - t) / max(v * (one - v), tiny) * scale
    value: float = (0.5 * total if loss == QUADRATIC or loss == HALF_MSE else total) * scale
    return value


@_jit
def _count_correct(
    z: Any, labels: Any, targets: Any, rows: Any, by_label: bool, threshold: float
) -> int:  # pragma: no cover
    """How many rows predict their target, as :func:`mlplab.training.evaluation.count_correct` counts.

    ``labels`` are the batch's own (row ``r``); ``targets`` are the whole set's, row ``rows[r]``.
    """
    m, k = z.shape
    correct = 0
    for r in range(m):
        row = rows[r]
        if k == 1:
            truth = (labels[r] > 0) if by_label else (targets[row, 0] > 0)
            if (z[r, 0] > threshold) == truth:
                correct += 1
            continue
        best = 0
        for j in range(1, k):
            if z[r, j] > z[r, best]:
                best = j
        want = labels[r] if by_label else 0
        if not by_label:
            for j in range(1, k):
                if targets[row, j] > targets[row, want]:
                    want = j
        if best == want:
            correct += 1
    return correct


@_jit
def _update(
    theta: Any, grad: Any, state: Any, groups: Any, hyper: Any, hyper64: Any, steps: Any, optimizer: int, cast: Any
) -> None:  # pragma: no cover
    """One optimizer step on every group's span: penalties, then the optimizer's kernel.

    ``state`` holds the optimizer's three state arrays over the packed parameters; one it does
    not keep is empty (its kernel never reads it).
    """
    for gi in range(groups.shape[0]):
        lo, hi = groups[gi, LO], groups[gi, HI]
        w, g = theta[lo:hi], grad[lo:hi]
        s1, s2, s3 = state[0][lo:hi], state[1][lo:hi], state[2][lo:hi]
        h = hyper[gi]
        steps[gi] += 1
        t = steps[gi]
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
def _clip(grad: Any, clip_value: float, clip_norm: float, cast: Any) -> None:  # pragma: no cover
    """Clip every element to ``[-clip_value, clip_value]``, then the global norm to ``clip_norm`` (0: off)."""
    if clip_value > 0:
        cast[0] = clip_value
        c = cast[0]
        for i in range(grad.size):
            grad[i] = min(max(grad[i], -c), c)
    if clip_norm > 0:
        total = 0.0
        for i in range(grad.size):
            total += np.float64(grad[i]) * np.float64(grad[i])
        coef = clip_norm / (math.sqrt(total) + 1e-6)
        if coef < 1.0:
            cast[0] = coef
            c = cast[0]
            for i in range(grad.size):
                grad[i] *= c


@_jit
def train_batches(*args: Any) -> tuple[int, float, int, float]:  # pragma: no cover
    """Train the batches ``first_batch .. first_batch + n_batches - 1`` of an epoch.

    Batch ``b`` holds the samples ``order[b * batch_size : (b + 1) * batch_size]`` (the whole set,
    in its own order, when ``batch_size`` covers it). Returns ``(batches done, sum over batches
    of loss × batch size, correct predictions, loss of the batch that stopped the run)``: a
    batch whose loss is not finite stops before its backward pass, as the trainer's loop does.
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
) -> tuple[int, float, int, float]:  # pragma: no cover
    n = x.shape[0]
    cast = np.empty_like(consts[:2])
    rows = np.empty(batch_size, dtype=np.intp)
    batch_labels = np.empty(batch_size if labels.size else 0, dtype=labels.dtype)
    n_layers = layers.shape[0]
    total_loss, correct = 0.0, 0
    for b in range(n_batches):
        batch = first_batch + b
        start = batch * batch_size
        m = min(batch_size, n - start)
        whole = m == n
        for r in range(m):
            rows[r] = r if whole else order[start + r]
        if labels.size:
            for r in range(m):
                batch_labels[r] = labels[rows[r]]
        # forward
        d = x.shape[1]
        if whole:
            a = x
        else:
            a = work[: m * d].reshape((m, d))
            for r in range(m):  # element by element: a row assignment checks for overlap and is slower
                source, target = x[rows[r]], a[r]
                for j in range(d):
                    target[j] = source[j]
        for layer in range(n_layers):
            n_in, n_out = layers[layer, N_IN], layers[layer, N_OUT]
            w_off, b_off, act_off = layers[layer, W_OFF], layers[layer, B_OFF], layers[layer, ACT_OFF]
            y = work[act_off : act_off + m * n_out].reshape((m, n_out))
            np.dot(a, theta[w_off : w_off + n_in * n_out].reshape((n_in, n_out)), y)
            if b_off >= 0:
                bias = theta[b_off : b_off + n_out]
                for r in range(m):
                    for j in range(n_out):
                        y[r, j] += bias[j]
            _activate(y, layers[layer, ACT], layer_values[layer, 0], consts)
            if layers[layer, DROPOUT]:
                out_off = layers[layer, OUT_OFF]
                out = work[out_off : out_off + m * n_out].reshape((m, n_out))
                threshold = np.uint32(layers[layer, THRESHOLD])
                o = draw_offsets[b, layer]
                _dropout(out, y, draws[o : o + m * n_out], threshold, layer_values[layer, 1], consts[ZERO])
                a = out
            else:
                a = y
        # loss
        k = layers[n_layers - 1, N_OUT]
        g_off = layers[n_layers - 1, GRAD_OFF]
        g = work[g_off : g_off + m * k].reshape((m, k))
        count = 1 if reduction == SUM else (m if reduction == PER_ROW else m * k)
        cast[0] = 1.0 / count
        cast[1] = 2.0 * (1.0 / count)
        if loss == SOFTMAX_CE:  # the kernel the loss class runs, on the batch's labels
            value = _softmax_cross_entropy(a, batch_labels[:m], cast[0], g)
        else:
            value = _loss(a, g, loss, targets, rows, cast[0], cast[1], consts)
        if not math.isfinite(value):
            return b, total_loss, correct, value
        total_loss += value * m
        if classify:
            correct += _count_correct(a, batch_labels, targets, rows, loss == SOFTMAX_CE, count_threshold)
        # backward
        for layer in range(n_layers - 1, -1, -1):
            n_in, n_out = layers[layer, N_IN], layers[layer, N_OUT]
            w_off, b_off, act_off = layers[layer, W_OFF], layers[layer, B_OFF], layers[layer, ACT_OFF]
            g_off = layers[layer, GRAD_OFF]
            g = work[g_off : g_off + m * n_out].reshape((m, n_out))
            if layers[layer, DROPOUT]:
                o = draw_offsets[b, layer]
                threshold = np.uint32(layers[layer, THRESHOLD])
                _dropout_grad(g, draws[o : o + m * n_out], threshold, layer_values[layer, 1], consts[ZERO])
            y = work[act_off : act_off + m * n_out].reshape((m, n_out))
            _activation_grad(g, y, layers[layer, ACT], layer_values[layer, 0], consts)
            if layer == 0:
                a_in = x if whole else work[: m * d].reshape((m, d))
            else:
                prev = layer - 1
                prev_off = layers[prev, OUT_OFF] if layers[prev, DROPOUT] else layers[prev, ACT_OFF]
                a_in = work[prev_off : prev_off + m * n_in].reshape((m, n_in))
            _weight_gradient(a_in, g, grad[w_off : w_off + n_in * n_out].reshape((n_in, n_out)))
            if b_off >= 0:
                gb = grad[b_off : b_off + n_out]
                gb[:] = 0
                for r in range(m):
                    for j in range(n_out):
                        gb[j] += g[r, j]
            if layer > 0:
                prev_g = layers[layer - 1, GRAD_OFF]
                dx = work[prev_g : prev_g + m * n_in].reshape((m, n_in))
                np.dot(g, theta[w_off : w_off + n_in * n_out].reshape((n_in, n_out)).T, dx)
        _clip(grad, clip_value, clip_norm, cast)
        _update(theta, grad, state, groups, hyper, hyper64, steps, optimizer, cast)
    return n_batches, total_loss, correct, 0.0

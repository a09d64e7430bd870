"""The benchmark's network, loss and optimizers written in ``jax.numpy``, for the JAX peers.

This module imports JAX at the top: :mod:`mlplab.bench.jax_peer` imports it only
once it has sized XLA's thread pools. Everything here is a pure function of
arrays, ready for ``jax.jit``:

* the network: ``Linear -> ReLU`` per hidden layer, then ``Linear``, rows are
  samples, :math:`Y = X W + b` with ``W`` of shape ``(n_in, n_out)``;
* the loss: softmax cross-entropy, the mean over the batch of
  :math:`\\log \\sum_k e^{z_k} - z_y`;
* SGD with momentum and Adam, written out with PyTorch's semantics (no optax).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from ..layers import Dense
from ..model import MLP

Params = list[tuple[jax.Array, jax.Array]]
"""``(W, b)`` per layer, input to output."""

State = tuple[Params, Any]
"""The parameters and the optimizer's state: everything a training step carries forward."""

Step = Callable[[State, jax.Array, jax.Array], tuple[State, jax.Array]]
"""One optimizer step on a batch ``(x, y)``: the new state and the batch's loss before the step."""


class Optimizer(NamedTuple):
    """A hand-written optimizer: ``init(params)`` makes its state, ``update(params, grads, state)`` steps."""

    init: Callable[[Params], Any]
    update: Callable[[Params, Params, Any], tuple[Params, Any]]


def init_params(sizes: Sequence[int], seed: int) -> Params:
    """mlplab's initial network for ``seed``: the weights and biases of ``MLP(sizes, rng=seed)``, float32.

    The benchmark builds mlplab's model the same way, so that JAX and mlplab start from the same
    network (He-normal weights for ReLU, zero biases) and, drawing the same permutations, train alike.
    """
    layers = [layer for layer in MLP(list(sizes), activation="relu", rng=seed).layers if isinstance(layer, Dense)]
    return [(jnp.asarray(layer.W.value), jnp.asarray(layer.b.value)) for layer in layers if layer.b is not None]


def forward(params: Params, x: jax.Array) -> jax.Array:
    """Logits of shape ``(n, n_classes)`` for inputs ``x`` of shape ``(n, n_in)``."""
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss(params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    """Softmax cross-entropy averaged over the batch; ``y`` holds integer labels of shape ``(n,)``."""
    log_p = jax.nn.log_softmax(forward(params, x))
    return -jnp.mean(jnp.take_along_axis(log_p, y[:, None], axis=1))


def _map(function: Callable[..., jax.Array], *trees: Params) -> Params:
    """``function`` applied leaf by leaf to parameter-shaped lists of ``(W, b)``."""
    return jax.tree_util.tree_map(function, *trees)  # type: ignore[no-any-return]


def sgd(lr: float, momentum: float) -> Optimizer:
    """SGD with momentum as PyTorch does it: :math:`v \\leftarrow \\mu v + g`, :math:`w \\leftarrow w - \\eta v`.

    The state is the velocity ``v``, zero at the start (so the first step is :math:`v = g`).
    """

    def init(params: Params) -> Params:
        return _map(jnp.zeros_like, params)

    def update(params: Params, grads: Params, velocity: Params) -> tuple[Params, Params]:
        velocity = _map(lambda v, g: momentum * v + g, velocity, grads)
        return _map(lambda w, v: w - lr * v, params, velocity), velocity

    return Optimizer(init, update)


def adam(lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam as PyTorch does it, with the step count ``t`` in the state.

    .. math::
        m \\leftarrow \\beta_1 m + (1-\\beta_1) g, \\quad v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2, \\quad
        w \\leftarrow w - \\frac{\\eta}{1-\\beta_1^t} \\frac{m}{\\sqrt{v}/\\sqrt{1-\\beta_2^t} + \\epsilon}
    """

    def init(params: Params) -> tuple[jax.Array, Params, Params]:
        return jnp.zeros((), jnp.int32), _map(jnp.zeros_like, params), _map(jnp.zeros_like, params)

    def update(
        params: Params, grads: Params, state: tuple[jax.Array, Params, Params]
    ) -> tuple[Params, tuple[jax.Array, Params, Params]]:
        t, m, v = state
        t = t + 1
        m = _map(lambda m_, g: beta1 * m_ + (1 - beta1) * g, m, grads)
        v = _map(lambda v_, g: beta2 * v_ + (1 - beta2) * g * g, v, grads)
        step_size = lr / (1 - beta1**t)
        root_correction = jnp.sqrt(1 - beta2**t)
        params = _map(lambda w, m_, v_: w - step_size * m_ / (jnp.sqrt(v_) / root_correction + eps), params, m, v)
        return params, (t, m, v)

    return Optimizer(init, update)


def make_step(optimizer: Optimizer) -> Step:
    """One training step: the loss's gradient on the batch, then the optimizer's update."""

    def step(state: State, x: jax.Array, y: jax.Array) -> tuple[State, jax.Array]:
        params, opt_state = state
        value, grads = jax.value_and_grad(loss)(params, x, y)
        params, opt_state = optimizer.update(params, grads, opt_state)
        return (params, opt_state), value

    return step


def make_indexed_step(step: Step) -> Callable[[State, jax.Array, jax.Array, jax.Array], tuple[State, jax.Array]]:
    """``step`` on the rows ``idx`` of the whole training set ``(x, y)``, gathered inside the computation."""

    def indexed_step(state: State, x: jax.Array, y: jax.Array, idx: jax.Array) -> tuple[State, jax.Array]:
        return step(state, jnp.take(x, idx, axis=0, mode="clip"), jnp.take(y, idx, axis=0, mode="clip"))

    return indexed_step


def make_scan_epoch(step: Step) -> Callable[[State, jax.Array, jax.Array, jax.Array], tuple[State, jax.Array]]:
    """Every full batch of an epoch as one ``lax.scan``: ``order`` has shape ``(n_batches, batch)``.

    Row ``i`` of ``order`` holds the indices of batch ``i`` into ``(x, y)``; the
    result is the final state and the loss of every batch.
    """
    indexed_step = make_indexed_step(step)

    def epoch(state: State, x: jax.Array, y: jax.Array, order: jax.Array) -> tuple[State, jax.Array]:
        return lax.scan(lambda carry, idx: indexed_step(carry, x, y, idx), state, order)

    return epoch

r"""Learning by perturbing weights: the derivative-free baseline of S1, to compare with backprop.

S1: "Randomly perturb one weight and see if it improves performance. If so, save the change.
Very inefficient. We need to do multiple forward passes on a representative set of training
data just to change one weight." :class:`PerturbationLearner` is that algorithm, with every
forward pass counted so the lab can put it next to backprop on one axis: the cost, in forward
passes, of reaching a given loss (see :func:`backprop_forward_pass_cost`).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._validation import check_positive, check_positive_int
from .losses import Loss, get_loss
from .rng import as_generator

__all__ = ["BACKPROP_STEP_COST", "PerturbationLearner", "backprop_forward_pass_cost"]

BACKPROP_STEP_COST = 3.0
"""Cost of one backprop step (forward + backward) in forward passes: 1 + 2 (see :func:`backprop_forward_pass_cost`)."""


def backprop_forward_pass_cost(n_steps: int, backward_cost: float = 2.0) -> float:
    r"""Cost of ``n_steps`` backprop training steps, counted in forward passes.

    A forward pass through a dense layer is one matrix product, :math:`Y = XW`. Its backward
    pass is two of the same size, :math:`\partial L/\partial W = X^\top G` and
    :math:`\partial L/\partial X = G W^\top`, so a backward pass costs about two forward passes
    and one step (forward + backward) about three:

    .. math::

        \text{cost} = n_\text{steps}\,(1 + c_\text{backward}), \qquad c_\text{backward} = 2.

    This is the convention of the lab's "perturbation vs backprop" comparison; it ignores the
    update itself (one pass over the weights, no products) and the first layer's skipped
    :math:`\partial L/\partial X` (``input_grad=False``), which makes backprop slightly cheaper still.

    Parameters
    ----------
    n_steps : int
        Number of forward + backward steps (each on the same data as one perturbation forward pass).
    backward_cost : float, default 2.0
        Cost of one backward pass in forward passes.

    Returns
    -------
    float
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or n_steps < 0:
        raise ValueError(f"Invalid n_steps: {n_steps!r} (expected a non-negative integer)")
    return n_steps * (1.0 + check_positive("backward_cost", backward_cost, allow_zero=True))


class PerturbationLearner:
    r"""Train a model by random single-weight perturbations, keeping only those that lower the loss (S1).

    Each :meth:`step`

    1. picks one weight element uniformly at random among all elements of
       ``model.parameters()`` (:math:`P` in all) and a random sign;
    2. perturbs it, :math:`w_j \leftarrow w_j \pm \delta` (:math:`\delta` = ``step_size``);
    3. runs one forward pass in inference mode and evaluates the loss :math:`L'`;
    4. keeps the change if :math:`L' < L` (strictly), otherwise writes the old value back
       (bit for bit: the old value is stored, not recomputed as :math:`w_j \mp \delta`).

    The loss :math:`L` of the current weights is cached, so the first step costs two forward
    passes (the baseline, then the trial) and every later one exactly one: after :math:`k`
    steps on the same data, ``forward_passes == k + 1``. The loss history never increases.

    **Why it is so much slower than backprop.** One forward pass answers one yes/no question
    about one weight in one direction. Backprop gives the partial derivatives of the loss with
    respect to *all* :math:`P` weights for about the cost of three forward passes (forward +
    backward, :func:`backprop_forward_pass_cost`), and moves all of them at once in the
    steepest direction. Visiting every weight once by perturbation costs :math:`P` forward
    passes, so per forward pass backprop extracts roughly :math:`P/3` times more information
    (thousands of times for a small network). And with a fixed :math:`\delta`, towards the
    end of learning almost every perturbation makes things worse (S1), so the acceptance rate,
    and with it progress per forward pass, falls further. Perturbing all weights at once
    does not help: the effect of one weight is drowned in the noise of the others (S1).

    Parameters
    ----------
    model : Sequential or Layer
        Anything with ``parameters()`` (a list of :class:`~mlplab.Parameter`) and
        ``forward(x, training=False)``. Its parameters are changed in place.
    loss : Loss or str
        A loss object or a registered loss name (``"mse"``, ``"cross_entropy"``...).
    step_size : float, default 0.01
        Size :math:`\delta > 0` of each perturbation.
    rng : numpy.random.Generator or int, optional
        Source of the weight choices and signs. Same seed, same model, same data: same run.

    Attributes
    ----------
    forward_passes : int
        Forward passes made so far (baseline evaluations included).
    n_steps_ : int
        Perturbations tried.
    n_accepted_ : int
        Perturbations kept.
    loss_ : float or None
        Loss of the current weights on the data of the last step (``None`` before the first).
    history_ : list of float
        The baseline loss, then the current loss after each step (non-increasing for fixed data).
    """

    def __init__(
        self,
        model: Any,
        loss: Loss | str,
        step_size: float = 0.01,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.model = model
        self.loss = get_loss(loss)
        self.step_size = check_positive("step_size", step_size)
        self.rng = as_generator(rng)
        self._params = list(model.parameters())
        if not self._params:
            raise ValueError(f"model has no parameters to perturb: {model!r}")
        sizes = np.array([p.size for p in self._params])
        self._ends = np.cumsum(sizes)  # element j lives in the first parameter with ends > j
        self.n_weights = int(self._ends[-1])
        self.forward_passes = 0
        self.n_steps_ = 0
        self.n_accepted_ = 0
        self.loss_: float | None = None
        self.history_: list[float] = []
        self._data: tuple[Any, Any] | None = None

    def evaluate(self, x: Any, y: Any) -> float:
        """Loss of the current weights on ``(x, y)`` by one forward pass in inference mode (counted).

        Also makes ``(x, y)`` the data whose loss is cached: call it after changing the
        weights from outside, so that the next :meth:`step` compares against the right value.
        """
        self.loss_ = self._loss(x, y)
        self._data = (x, y)
        self.history_.append(self.loss_)
        return self.loss_

    def step(self, x: Any, y: Any) -> bool:
        """Try one random perturbation on the data ``(x, y)``; return whether it was kept.

        Costs one forward pass, plus one for the baseline the first time, or when ``x`` or
        ``y`` is not the same object as in the previous call (the cached loss belongs to the data).
        """
        if self._data is None or self._data[0] is not x or self._data[1] is not y:
            self.evaluate(x, y)
        assert self.loss_ is not None  # set by evaluate, together with the data it belongs to
        j = int(self.rng.integers(self.n_weights))
        k = int(np.searchsorted(self._ends, j, side="right"))
        value = self._params[k].value
        where = np.unravel_index(j - (int(self._ends[k - 1]) if k else 0), value.shape)
        old = value[where]
        value[where] = old + (self.step_size if self.rng.random() < 0.5 else -self.step_size)
        trial = self._loss(x, y)
        accepted = trial < self.loss_
        if accepted:
            self.loss_ = trial
            self.n_accepted_ += 1
        else:
            value[where] = old
        self.n_steps_ += 1
        self.history_.append(self.loss_)
        return accepted

    def fit(self, x: Any, y: Any, max_forward_passes: int, target_loss: float | None = None) -> PerturbationLearner:
        """Take steps until ``max_forward_passes`` forward passes are spent in this call, or the loss
        reaches ``target_loss`` (``loss_ <= target_loss``), whichever comes first.

        The baseline evaluation, if one is needed, counts against the budget; afterwards
        ``forward_passes`` (cumulative over calls) is the cost of the loss reached.

        Returns
        -------
        self
        """
        budget = check_positive_int("max_forward_passes", max_forward_passes)
        if target_loss is not None and (
            isinstance(target_loss, bool) or not isinstance(target_loss, numbers.Real) or not np.isfinite(target_loss)
        ):
            raise ValueError(f"Invalid target_loss: {target_loss!r} (expected a finite number or None)")
        stop = self.forward_passes + budget
        if self._data is None or self._data[0] is not x or self._data[1] is not y:
            self.evaluate(x, y)
        while self.forward_passes < stop and (target_loss is None or self.loss_ > target_loss):
            self.step(x, y)
        return self

    def _loss(self, x: Any, y: Any) -> float:
        self.forward_passes += 1
        return float(self.loss.forward(self.model.forward(x, training=False), y))

    def __repr__(self) -> str:
        return f"PerturbationLearner(step_size={self.step_size}, n_weights={self.n_weights})"

"""Loss functions: ``forward(pred, target) -> float`` and ``backward() -> dL/dpred``.

Reductions follow ``torch.nn``: ``"mean"`` (default) averages over the
elements the loss is defined on (all elements for MSE, MAE, Huber and BCE;
samples for the classification losses), ``"sum"`` adds them up. Quadratic
cost conventions, stated once:

* :class:`MSE` (torch): :math:`\\frac{1}{N}\\sum (a - y)^2` over all :math:`N` elements,
  gradient :math:`\\frac{2}{N}(a - y)`.
* :class:`HalfSquaredError` (scikit-learn): half of MSE, gradient :math:`\\frac{1}{N}(a - y)`.
* :class:`QuadraticCost` (Nielsen, S3): :math:`\\frac{1}{2n}\\sum_x \\lVert a - y\\rVert^2` over
  :math:`n` samples, gradient :math:`\\frac{1}{n}(a - y)`.

Cross-entropy conventions: :class:`SoftmaxCrossEntropy` is the multinomial
log-likelihood of S2/S3, :math:`-\\sum_k y_k \\log p_k` per sample.
:class:`BinaryCrossEntropy` is S0's per-index form
:math:`-[y \\log a + (1 - y)\\log(1 - a)]`, summed over independent sigmoid
outputs; S0 applies it to every index of a softmax output, which is *not*
the multinomial likelihood -- use it with sigmoid outputs.

A prediction holding NaN never gets a finite loss: NaN in gives NaN out, so
that a trainer notices a diverged model. Nor does one holding an infinity
(the loss is infinite or NaN), with one exact exception: a logit of -inf for
a class other than the target is a probability of 0 to
:class:`SoftmaxCrossEntropy`. A target must be finite; ``pred`` and ``target``
must hold real numbers (bool, integer or float), else ``ValueError``.

The package: :mod:`~mlplab.losses.base` (the :class:`Loss` contract, the ``LOSSES``
registry, :func:`get_loss`), :mod:`~mlplab.losses.regression` and
:mod:`~mlplab.losses.classification`; every loss is imported from ``mlplab.losses``.
"""

from .base import LOSSES, Loss, get_loss
from .classification import BinaryCrossEntropy, Hinge, NLLLoss, PerceptronCriterion, SoftmaxCrossEntropy
from .regression import MAE, MSE, HalfSquaredError, Huber, QuadraticCost

__all__ = [
    "LOSSES",
    "MAE",
    "MSE",
    "BinaryCrossEntropy",
    "HalfSquaredError",
    "Hinge",
    "Huber",
    "Loss",
    "NLLLoss",
    "PerceptronCriterion",
    "QuadraticCost",
    "SoftmaxCrossEntropy",
    "get_loss",
]

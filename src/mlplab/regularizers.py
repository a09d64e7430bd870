"""L1 and L2 penalty values, to add to a loss when reporting the regularized cost.

Their gradients are applied by the optimizers (``weight_decay`` and ``l1``),
so these functions only compute the penalty terms:

* L2: :math:`\\frac{\\lambda}{2} \\sum_w w^2`, whose gradient :math:`\\lambda w` is ``weight_decay = lambda``.
  Nielsen's :math:`\\frac{\\lambda}{2n}\\sum w^2` is ``lam = lmbda / n``.
* L1: :math:`\\lambda \\sum_w |w|`, whose (sub)gradient :math:`\\lambda \\operatorname{sign}(w)` is ``l1 = lambda``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .parameter import Parameter


def l2_penalty(params: Iterable[Parameter], lam: float) -> float:
    r""":math:`\frac{\lambda}{2}\sum_p \lVert w_p \rVert^2`."""
    return 0.5 * lam * sum(float(np.vdot(p.value, p.value)) for p in params)


def l1_penalty(params: Iterable[Parameter], lam: float) -> float:
    r""":math:`\lambda \sum_p \lVert w_p \rVert_1`."""
    return lam * sum(float(np.abs(p.value).sum()) for p in params)

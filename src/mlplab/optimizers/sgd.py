"""Gradient descent with momentum and Nesterov momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import kernels
from .._validation import check_fraction
from ..parameter import Parameter
from .base import OPTIMIZERS, Optimizer


@OPTIMIZERS.register("sgd", "gd")
class SGD(Optimizer):
    r"""Gradient descent, with optional momentum and Nesterov momentum (``torch.optim.SGD``).

    .. math::

        v \leftarrow \mu v + (1 - \tau) g \quad (v = g \text{ on the first step}), \qquad
        w \leftarrow w - \eta \begin{cases} g + \mu v & \text{Nesterov} \\ v & \text{momentum} \\ g & \mu = 0 \end{cases}

    With dampening :math:`\tau = 0` this is S0's velocity form, :math:`v \leftarrow \mu v + g`,
    :math:`w \leftarrow w - \alpha v` (the deck's listing mixes up :math:`v` and :math:`g`).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        l1: float = 0.0,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov, l1=l1
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_fraction("momentum", group["momentum"])
        check_fraction("dampening", group["dampening"], high_open=False)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"Nesterov momentum requires momentum > 0 and dampening = 0, "
                f"got momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        if mu == 0:
            p.value -= lr * grad
            return
        v = state.get("velocity")
        if v is None:
            v = state["velocity"] = grad.copy()
        else:
            v *= mu
            v += (1 - tau) * grad
        p.value -= lr * (grad + mu * v) if group["nesterov"] else lr * v

    def _fast_update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> bool:
        """:func:`mlplab.kernels.momentum_update`, with momentum after the first step."""
        v = state.get("velocity")
        if group["momentum"] == 0 or v is None or not kernels.fits(p.value, grad, v):
            return False
        kernels.momentum_update(p.value, grad, v, group["lr"], group["momentum"], group["dampening"], group["nesterov"])
        return True

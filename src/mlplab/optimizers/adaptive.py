"""Optimizers with per-parameter adaptive step sizes: Adam, AdamW, RMSprop, AdaGrad, Adadelta."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import kernels
from .._validation import check_fraction, check_positive
from ..parameter import Parameter
from .base import OPTIMIZERS, Optimizer


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    r"""Adam (``torch.optim.Adam``), with bias correction at step :math:`t`:

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
        w \leftarrow w - \frac{\eta}{1 - \beta_1^t} \frac{m}{\sqrt{v}/\sqrt{1 - \beta_2^t} + \epsilon},

    and with ``amsgrad=True`` the running maximum of :math:`v` in the denominator.
    The code multiplies :math:`\sqrt{v}` by :math:`1/\sqrt{1 - \beta_2^t}` rather than
    dividing by :math:`\sqrt{1 - \beta_2^t}` (PyTorch divides): one multiplication per
    element instead of a division, in the compiled kernel too; the two can differ in the
    last bit.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        l1: float = 0.0,
    ) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, l1=l1)
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if len(group["betas"]) != 2:
            raise ValueError(f"Invalid betas: {group['betas']!r} (expected two numbers)")
        check_fraction("beta1", group["betas"][0])
        check_fraction("beta2", group["betas"][1])
        check_positive("eps", group["eps"], allow_zero=True)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        t = state["step"]
        if "m" not in state:
            state["m"] = np.zeros_like(p.value)
            state["v"] = np.zeros_like(p.value)
            if group["amsgrad"]:
                state["v_max"] = np.zeros_like(p.value)
        m, v = state["m"], state["v"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad**2
        if group["amsgrad"]:
            v = np.maximum(state["v_max"], v, out=state["v_max"])
        step_size = group["lr"] / (1 - beta1**t)
        inv_bias2 = 1 / math.sqrt(1 - beta2**t)
        p.value -= m / (np.sqrt(v) * inv_bias2 + group["eps"]) * step_size

    def _fast_update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> bool:
        """:func:`mlplab.kernels.adam_update`, AMSGrad included, once :meth:`_update` has created the state."""
        if "m" not in state:
            return False
        v_max = state["v_max"] if group["amsgrad"] else None
        if not kernels.fits(p.value, grad, state["m"], state["v"], v_max):
            return False
        beta1, beta2 = group["betas"]
        kernels.adam_update(
            p.value, grad, state["m"], state["v"], v_max, group["lr"], beta1, beta2, group["eps"], state["step"]
        )
        return True


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    r"""Adam with decoupled weight decay (``torch.optim.AdamW``): :math:`w \leftarrow w(1 - \eta\lambda)`,
    then the Adam step on the un-penalized gradient. Default :math:`\lambda = 0.01`."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        l1: float = 0.0,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, l1)

    def _penalized_grad(self, p: Parameter, group: dict[str, Any]) -> np.ndarray:
        if group["weight_decay"]:
            p.value *= 1 - group["lr"] * group["weight_decay"]
        return super()._penalized_grad(p, {**group, "weight_decay": 0.0})


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    r"""RMSprop (``torch.optim.RMSprop``):

    .. math::

        s \leftarrow \alpha s + (1 - \alpha) g^2, \quad
        d = \sqrt{s - \bar g^2} + \epsilon \ (\text{centered, } \bar g \leftarrow \alpha \bar g + (1-\alpha) g)
        \text{ or } \sqrt{s} + \epsilon, \quad
        w \leftarrow w - \eta\, g / d

    (with momentum :math:`\mu > 0`: :math:`b \leftarrow \mu b + g/d`, :math:`w \leftarrow w - \eta b`).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        l1: float = 0.0,
    ) -> None:
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered, l1=l1
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_fraction("alpha", group["alpha"])
        check_fraction("momentum", group["momentum"])
        check_positive("eps", group["eps"], allow_zero=True)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        alpha = group["alpha"]
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(p.value)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.value)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.value)
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denom = np.sqrt(square_avg - grad_avg**2)
        else:
            denom = np.sqrt(square_avg)
        denom += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += grad / denom
            p.value -= group["lr"] * buf
        else:
            p.value -= group["lr"] * (grad / denom)

    def _fast_update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> bool:
        """:func:`mlplab.kernels.rmsprop_update`, once :meth:`_update` has created the state."""
        if "square_avg" not in state:
            return False
        grad_avg = state["grad_avg"] if group["centered"] else None
        buf = state["momentum_buffer"] if group["momentum"] > 0 else None
        if not kernels.fits(p.value, grad, state["square_avg"], grad_avg, buf):
            return False
        kernels.rmsprop_update(
            p.value,
            grad,
            state["square_avg"],
            grad_avg,
            buf,
            group["lr"],
            group["alpha"],
            group["eps"],
            group["momentum"],
        )
        return True


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    r"""AdaGrad (``torch.optim.Adagrad``): with :math:`\eta_t = \eta / (1 + (t - 1)\,\text{lr\_decay})`,

    .. math::

        s \leftarrow s + g^2, \qquad w \leftarrow w - \eta_t\, g / (\sqrt{s} + \epsilon).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        l1: float = 0.0,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            l1=l1,
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_positive("lr_decay", group["lr_decay"], allow_zero=True)
        check_positive("initial_accumulator_value", group["initial_accumulator_value"], allow_zero=True)
        check_positive("eps", group["eps"], allow_zero=True)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if "sum" not in state:
            state["sum"] = np.full_like(p.value, group["initial_accumulator_value"])
        total = state["sum"]
        total += grad**2
        lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        p.value -= lr_t * (grad / (np.sqrt(total) + group["eps"]))

    def _fast_update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> bool:
        """:func:`mlplab.kernels.adagrad_update`, once :meth:`_update` has created the state."""
        if "sum" not in state or not kernels.fits(p.value, grad, state["sum"]):
            return False
        kernels.adagrad_update(p.value, grad, state["sum"], group["lr"], group["lr_decay"], group["eps"], state["step"])
        return True


@OPTIMIZERS.register("adadelta")
class Adadelta(Optimizer):
    r"""Adadelta (``torch.optim.Adadelta``):

    .. math::

        s \leftarrow \rho s + (1 - \rho) g^2, \quad
        \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{s + \epsilon}}\, g, \quad
        u \leftarrow \rho u + (1 - \rho) \Delta^2, \quad
        w \leftarrow w - \eta \Delta .
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        l1: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, l1=l1))

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        check_fraction("rho", group["rho"], high_open=False)
        check_positive("eps", group["eps"], allow_zero=True)

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        rho, eps = group["rho"], group["eps"]
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(p.value)
            state["acc_delta"] = np.zeros_like(p.value)
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps)
        delta /= np.sqrt(square_avg + eps)
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        p.value -= group["lr"] * delta

    def _fast_update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> bool:
        """:func:`mlplab.kernels.adadelta_update`, once :meth:`_update` has created the state."""
        if "square_avg" not in state or not kernels.fits(p.value, grad, state["square_avg"], state["acc_delta"]):
            return False
        kernels.adadelta_update(
            p.value, grad, state["square_avg"], state["acc_delta"], group["lr"], group["rho"], group["eps"]
        )
        return True

"""Optimizers over a list of parameters, defined as ``torch.optim`` defines them.

Names, hyper-parameters, defaults and update rules follow PyTorch, so a run
matches PyTorch step for step. The base class owns the loop; each algorithm
fills one hook, ``_update(param, grad, state, group)``, which changes
``param.value`` in place. State is created on first use, in a dict keyed by
the parameter.

Penalties (added to the gradient before the update, on every parameter of
the group):

* ``weight_decay`` -- L2, :math:`g \\leftarrow g + \\lambda w`. For plain SGD this is the
  lectures' weight-decay form :math:`w \\leftarrow (1 - \\eta\\lambda) w - \\eta g`;
  Nielsen's :math:`(1 - \\eta\\lambda/n)` is ``weight_decay = lmbda / n``.
  :class:`AdamW` decouples it instead: :math:`w \\leftarrow w - \\eta\\lambda w` before the Adam step.
* ``l1`` -- L1, :math:`g \\leftarrow g + \\lambda_1 \\operatorname{sign}(w)` (an mlplab extension).

To exempt biases, pass parameter groups as in PyTorch:
``SGD([{"params": weights}, {"params": biases, "weight_decay": 0}], lr=0.1)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._validation import check_positive
from ..parameter import Parameter
from ..registry import Registry

OPTIMIZERS: Registry[type["Optimizer"]] = Registry("optimizer")


class Optimizer:
    """Base class: validates hyper-parameters, holds parameter groups and per-parameter state.

    Parameters
    ----------
    params : iterable of Parameter, or of dicts with a ``"params"`` key
        The parameters to update, optionally in groups with their own hyper-parameters.
    defaults : dict
        Hyper-parameters of every group that does not override them.
    """

    def __init__(self, params: Iterable[Parameter] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            for p in group["params"]:
                if not isinstance(p, Parameter):
                    raise TypeError(f"optimizer can only update Parameter objects, got {type(p).__name__}")
            self._validate(group)
            self.param_groups.append(group)
        self.state: dict[Parameter, dict[str, Any]] = {}

    def _validate(self, group: dict[str, Any]) -> None:
        """Check the hyper-parameters of one group; subclasses extend it."""
        check_positive("learning rate", group["lr"])
        check_positive("weight_decay", group.get("weight_decay", 0.0), allow_zero=True)
        check_positive("l1", group.get("l1", 0.0), allow_zero=True)

    @property
    def lr(self) -> float:
        """Learning rate of the first group; setting it sets every group's (what schedules do)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_positive("learning rate", value, allow_zero=True)
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero in place."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter from its current gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {"step": 0}
                state["step"] += 1
                self._update(p, self._penalized_grad(p, group), state, group)

    def _penalized_grad(self, p: Parameter, group: dict[str, Any]) -> np.ndarray:
        """The gradient plus the L2 (coupled weight decay) and L1 terms, if any."""
        grad = p.grad
        wd, l1 = group.get("weight_decay", 0.0), group.get("l1", 0.0)
        if wd:
            grad = grad + wd * p.value
        if l1:
            grad = grad + l1 * np.sign(p.value)
        return grad

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _all_params(self) -> list[Parameter]:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and per-parameter state, with parameters named by their position.

        The arrays are copies; scratch buffers are left out. Restore with :meth:`load_state_dict`
        on an optimizer built over the same parameters in the same order.
        """
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = [
            {**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
            for g in self.param_groups
        ]
        state = {
            str(index[id(p)]): {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items() if k != "scratch"}
            for p, s in self.state.items()
        }
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (arrays are copied in)."""
        params = self._all_params()
        groups = state_dict["param_groups"]
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError("optimizer state does not match this optimizer's parameter groups")
        for group, saved in zip(self.param_groups, groups):
            group.update({k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items() if k != "params"})
        self.state = {}
        for key, saved in state_dict["state"].items():
            p = params[int(key)]
            for name, v in saved.items():
                if isinstance(v, np.ndarray) and v.shape != p.shape:
                    raise ValueError(f"optimizer state {key}.{name} has shape {v.shape}, parameter has {p.shape}")
            self.state[p] = {
                k: (np.array(v, dtype=p.dtype) if isinstance(v, np.ndarray) else v) for k, v in saved.items()
            }

    def _scratch(self, state: dict[str, Any], like: np.ndarray) -> np.ndarray:
        buf = state.get("scratch")
        if buf is None:
            buf = state["scratch"] = np.empty_like(like)
        return buf

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.param_groups[0].items() if k != "params")
        return f"{type(self).__name__}({hyper})"


def get_optimizer(spec: str | Optimizer, params: Iterable[Any] | None = None, **kwargs: Any) -> Optimizer:
    """Build an optimizer by name over ``params`` (with hyper-parameters as keywords), or return one unchanged."""
    if isinstance(spec, Optimizer):
        return spec
    if params is None:
        raise ValueError(f"building optimizer {spec!r} by name needs the parameters")
    return OPTIMIZERS.get(spec)(params, **kwargs)

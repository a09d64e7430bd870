"""Optimizers over a list of parameters, defined as ``torch.optim`` defines them.

Names, hyper-parameters, defaults and update rules follow PyTorch, so a run
matches PyTorch step for step. The base class owns the loop; each algorithm
fills one hook, ``_update(param, grad, state, group)``, which changes
``param.value`` in place and reads as the formula in the class docstring.
State is created on first use, in a dict keyed by the parameter.

Fast path: each algorithm also fills ``_fast_update``, which does the same
update with a compiled kernel (:mod:`mlplab.kernels`, with numba) and
returns ``False``, doing nothing, where the kernel does not apply: on the
first step (``_update`` creates the state), for SGD without momentum, or
for arrays the kernels do not take (:func:`mlplab.kernels.fits`).
:meth:`Optimizer._step_one` is the one place that chooses: the kernel while
the kernels are enabled and it applies, ``_update`` otherwise. Both give
bit-identical results (``tests/test_kernels.py``).

Penalties (added to the gradient before the update, on every parameter of
the group):

* ``weight_decay`` -- L2, :math:`g \\leftarrow g + \\lambda w`. For plain SGD this is the
  lectures' weight-decay form :math:`w \\leftarrow (1 - \\eta\\lambda) w - \\eta g`;
  Nielsen's :math:`(1 - \\eta\\lambda/n)` is ``weight_decay = lmbda / n``.
  :class:`AdamW` decouples it instead: :math:`w \\leftarrow w - \\eta\\lambda w` before the Adam step.
* ``l1`` -- L1, :math:`g \\leftarrow g + \\lambda_1 \\operatorname{sign}(w)` (an mlplab extension).

To exempt biases, pass parameter groups as in PyTorch:
``SGD([{"params": weights}, {"params": biases, "weight_decay": 0}], lr=0.1)``.

Every update rule is element-wise, so a group whose parameters fill one
contiguous span of a packed array (as a :class:`~mlplab.Sequential` packs
them, see :func:`mlplab.packing.pack`) is updated as that one flat vector:
one pass per operation instead of one per parameter. ``state[p]`` then holds
views into the group's flat state, so it reads and saves as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import kernels
from .._validation import check_positive
from ..packing import contiguous_span
from ..parameter import Parameter
from ..registry import Registry

OPTIMIZERS: Registry[type[Optimizer]] = Registry("optimizer")


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
        items: list[Any] = list(params)
        if not items:
            raise ValueError("optimizer got an empty parameter list")
        groups: list[dict[str, Any]] = items if isinstance(items[0], dict) else [{"params": items}]
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            for p in group["params"]:
                if not isinstance(p, Parameter):
                    raise TypeError(f"optimizer can only update Parameter objects, got {type(p).__name__}")
            self._validate(group)
            self.param_groups.append({k: (v if k == "params" else _plain(v)) for k, v in group.items()})
        self._state: dict[Parameter, dict[str, Any]] = {}
        self._flat: list[_FlatGroup | None] = [_FlatGroup.over(g["params"]) for g in self.param_groups]

    def _validate(self, group: dict[str, Any]) -> None:
        """Check the hyper-parameters of one group; subclasses extend it."""
        check_positive("learning rate", group["lr"])
        check_positive("weight_decay", group.get("weight_decay", 0.0), allow_zero=True)
        check_positive("l1", group.get("l1", 0.0), allow_zero=True)

    @property
    def lr(self) -> float:
        """Learning rate of the first group; setting it sets every group's (what schedules do)."""
        lr: float = self.param_groups[0]["lr"]
        return lr

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_positive("learning rate", value, allow_zero=True)  # a Python float
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero in place."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter from its current gradient."""
        for i, group in enumerate(self.param_groups):
            flat = self._flat[i]
            if flat is not None and not flat.intact():  # a value was replaced: go on parameter by parameter
                flat.share_state(self._state)
                flat = self._flat[i] = None
            if flat is not None:
                self._step_one(flat.param, flat.state, group)
                continue
            for p in group["params"]:
                state = self._state.get(p)
                if state is None:
                    state = self._state[p] = {"step": 0}
                self._step_one(p, state, group)

    @property
    def state(self) -> dict[Parameter, dict[str, Any]]:
        """Per-parameter state (``step`` and the algorithm's arrays), created on a parameter's first step.

        For a group updated as one flat vector the arrays are views into the
        group's flat state: write into them (``state[p]["m"][...] = x``) rather
        than replacing them, and read ``step`` from a fresh ``opt.state[p]``
        (it is brought up to date each time this property is read).
        """
        for flat in self._flat:
            if flat is not None:
                flat.share_state(self._state)
        return self._state

    def flat_groups(self) -> list[_FlatGroup] | None:
        """Every group as one flat span with its state, or ``None`` where one is not (for compiled loops).

        A loop that updates the spans itself writes the state back into each ``flat.state``
        (the arrays in place, ``step`` as the count of updates), as :meth:`step` would leave it.
        """
        flats = []
        for flat in self._flat:
            if flat is None or not flat.intact():
                return None
            flats.append(flat)
        return flats

    def _step_one(self, p: Parameter, state: dict[str, Any], group: dict[str, Any]) -> None:
        """One update of ``p``: the compiled fast path if it applies, else the formula in :meth:`_update`."""
        state["step"] += 1
        grad = self._penalized_grad(p, group)
        if kernels.enabled() and self._fast_update(p, grad, state, group):
            return
        self._update(p, grad, state, group)

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
        """Update ``p.value`` in place from the (penalized) gradient, as the class docstring's formula reads."""
        raise NotImplementedError

    def _fast_update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> bool:
        """Do what :meth:`_update` does with a compiled kernel, bit for bit; ``False`` (nothing done) if none applies.

        Called only while :func:`mlplab.kernels.enabled`. The default has no kernel.
        """
        return False

    def _all_params(self) -> list[Parameter]:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and per-parameter state, with parameters named by their position.

        The arrays are copies. Restore with :meth:`load_state_dict`
        on an optimizer built over the same parameters in the same order.
        """
        index = {id(p): i for i, p in enumerate(self._all_params())}
        groups = [
            {**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
            for g in self.param_groups
        ]
        state = {
            str(index[id(p)]): {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
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
        self._state = {}
        for key, saved in state_dict["state"].items():
            p = params[int(key)]
            for name, v in saved.items():
                if isinstance(v, np.ndarray) and v.shape != p.shape:
                    raise ValueError(f"optimizer state {key}.{name} has shape {v.shape}, parameter has {p.shape}")
            self._state[p] = {
                k: (np.array(v, dtype=p.dtype) if isinstance(v, np.ndarray) else v) for k, v in saved.items()
            }
        for i, flat in enumerate(self._flat):
            if flat is not None and not flat.gather_state(self._state):
                self._flat[i] = None

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.param_groups[0].items() if k != "params")
        return f"{type(self).__name__}({hyper})"


def _plain(value: Any) -> Any:
    """NumPy scalars (and sequences of them, such as ``betas``) as Python numbers.

    A NumPy float64 learning rate would make a float32 update compute in
    float64; a Python float is applied in the array's own dtype.
    """
    if isinstance(value, np.ndarray | list | tuple):
        return tuple(_plain(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value))
    return value.item() if isinstance(value, np.generic) else value


class _FlatGroup:
    """A group's parameters seen as one flat span, with the span's optimizer state.

    ``param`` wraps the span; ``state`` is its state (``step`` and flat arrays).
    ``state[p]`` of each member holds the same ``step`` and views into the flat arrays.
    """

    def __init__(self, members: list[Parameter], param: Parameter, offsets: list[int]) -> None:
        self.members = members
        self.param = param
        self.state: dict[str, Any] = {"step": 0}
        self._offsets = offsets
        self._arrays = [(p.value, p.grad) for p in members]
        self._shared: set[str] = set()

    @classmethod
    def over(cls, params: list[Parameter]) -> _FlatGroup | None:
        """The flat view of ``params``, or ``None`` if they do not fill one contiguous span."""
        found = contiguous_span(params)
        return None if found is None else cls(list(params), *found)

    def intact(self) -> bool:
        """Whether every member's value and gradient are still the views they were (nobody replaced one).

        Reading each ``p.grad`` also writes the zeros of a member that no
        backward pass reached since :meth:`~mlplab.Parameter.zero_grad`, so the
        span's gradient is complete after this check.
        """
        for p, (value, grad) in zip(self.members, self._arrays):
            if p.value is not value or p.grad is not grad:
                return False
        return True

    def share_state(self, states: dict[Parameter, dict[str, Any]]) -> None:
        """Give each member the span's step and views of its state arrays (once it has stepped)."""
        if self.state["step"] == 0:
            return
        arrays = {k for k, v in self.state.items() if isinstance(v, np.ndarray)}
        new = arrays - self._shared
        for p, offset in zip(self.members, self._offsets):
            state = states.setdefault(p, {})
            state["step"] = self.state["step"]
            for key in new:
                state[key] = self.state[key][offset : offset + p.size].reshape(p.shape)
        self._shared |= new

    def gather_state(self, states: dict[Parameter, dict[str, Any]]) -> bool:
        """Rebuild the span's state from loaded per-parameter states; ``False`` if they disagree."""
        found = [states.get(p) for p in self.members]
        member_states = [s for s in found if s is not None]
        if not member_states:
            self.state, self._shared = {"step": 0}, set()
            return True
        if len(member_states) != len(found):
            return False
        keys = set(member_states[0])
        steps = {s.get("step") for s in member_states}
        if any(set(s) != keys for s in member_states) or len(steps) != 1:
            return False
        flat: dict[str, Any] = {"step": steps.pop()}
        for key in keys - {"step"}:
            values = [s[key] for s in member_states]
            if not all(isinstance(v, np.ndarray) for v in values):
                if any(isinstance(v, np.ndarray) for v in values) or len({repr(v) for v in values}) != 1:
                    return False
                flat[key] = values[0]
                continue
            array = np.empty_like(self.param.value)
            for p, offset, v in zip(self.members, self._offsets, values):
                array[offset : offset + p.size] = v.reshape(-1)
            flat[key] = array
        self.state, self._shared = flat, set()
        self.share_state(states)
        return True


def get_optimizer(spec: str | Optimizer, params: Iterable[Any] | None = None, **kwargs: Any) -> Optimizer:
    """Build an optimizer by name over ``params`` (with hyper-parameters as keywords), or return one unchanged."""
    if isinstance(spec, Optimizer):
        return spec
    if params is None:
        raise ValueError(f"building optimizer {spec!r} by name needs the parameters")
    return OPTIMIZERS.get(spec)(params, **kwargs)

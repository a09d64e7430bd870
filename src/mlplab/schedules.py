"""Learning-rate schedules as closed-form functions of the step (or epoch) ``t``.

A schedule is called as ``schedule(t) -> lr``; ``schedule.apply(optimizer, t)``
sets the optimizer's learning rate. :class:`ReduceOnPlateau` is the exception:
it reacts to a monitored metric, so it keeps state and is fed with ``update``.
"""

from __future__ import annotations

import math
from typing import Any

from ._validation import check_fraction, check_positive, check_positive_int
from .registry import Registry

SCHEDULES: Registry[type[Schedule]] = Registry("schedule")


class Schedule:
    """Base class: ``lr(t)`` for ``t = 0, 1, 2, ...``."""

    def __call__(self, t: int) -> float:
        if t < 0:
            raise ValueError(f"Invalid step: {t!r} (must be >= 0)")
        return self.lr(t)

    def lr(self, t: int) -> float:
        raise NotImplementedError

    def apply(self, optimizer: Any, t: int) -> float:
        """Set ``optimizer.lr`` to the rate for step ``t`` and return it."""
        optimizer.lr = rate = self(t)
        return rate

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


@SCHEDULES.register("constant")
class Constant(Schedule):
    r""":math:`\alpha_t = \alpha_0`."""

    def __init__(self, lr: float) -> None:
        self.initial = check_positive("lr", lr)

    def lr(self, t: int) -> float:
        return self.initial


@SCHEDULES.register("linear", "linear_decay")
class LinearDecay(Schedule):
    r"""Linear decay over :math:`N` steps, then constant (S0):
    :math:`\alpha_t = \alpha_0 - (\alpha_0 - \alpha_{end})\,\min(t, N)/N`."""

    def __init__(self, start: float, end: float, n: int) -> None:
        self.start = check_positive("start", start)
        self.end = check_positive("end", end, allow_zero=True)
        self.n = check_positive_int("n", n)

    def lr(self, t: int) -> float:
        return self.start - (self.start - self.end) * min(t, self.n) / self.n


@SCHEDULES.register("exponential", "exponential_decay")
class ExponentialDecay(Schedule):
    r"""Exponential decay from :math:`\alpha_0` to :math:`\alpha_{end}` in :math:`N` steps, then constant:
    :math:`\alpha_t = \alpha_0\, \delta^{\min(t, N)}` with :math:`\delta = (\alpha_{end}/\alpha_0)^{1/N}`.

    S0 prints :math:`\delta = \alpha_{end}^{1/N}/\alpha_0`, a typo: it does not reach
    :math:`\alpha_{end}` after :math:`N` steps. The form here does.
    """

    def __init__(self, start: float, end: float, n: int) -> None:
        self.start = check_positive("start", start)
        self.end = check_positive("end", end)
        self.n = check_positive_int("n", n)
        self.decay: float = (self.end / self.start) ** (1.0 / self.n)

    def lr(self, t: int) -> float:
        return self.start * self.decay ** min(t, self.n)


@SCHEDULES.register("step", "step_decay", "piecewise")
class StepDecay(Schedule):
    r"""Piecewise-constant decay (MATLAB's ``"piecewise"``):
    :math:`\alpha_t = \alpha_0 \cdot f^{\lfloor t / P \rfloor}`,
    defaults :math:`\alpha_0 = 0.005`, drop factor :math:`f = 0.5`, drop period :math:`P = 5` (S3)."""

    def __init__(self, initial: float = 0.005, drop_factor: float = 0.5, drop_period: int = 5) -> None:
        self.initial = check_positive("initial", initial)
        self.drop_factor = check_fraction("drop_factor", drop_factor, low_open=True, high_open=False)
        self.drop_period = check_positive_int("drop_period", drop_period)

    def lr(self, t: int) -> float:
        return self.initial * self.drop_factor ** (t // self.drop_period)


@SCHEDULES.register("plateau", "reduce_on_plateau")
class ReduceOnPlateau(Schedule):
    """Multiply the rate by ``factor`` when a metric has not improved for ``patience`` updates
    (as ``torch.optim.lr_scheduler.ReduceLROnPlateau`` with a relative threshold).

    An update improves on the best value seen when it is below
    ``best * (1 - threshold)`` (``mode="min"``) or above ``best * (1 + threshold)``
    (``mode="max"``). After a reduction, ``cooldown`` updates pass before
    counting resumes. The rate never goes below ``min_lr``, and a reduction
    smaller than ``eps`` is skipped (PyTorch's ``eps``).
    """

    def __init__(
        self,
        lr: float,
        factor: float = 0.1,
        patience: int = 10,
        mode: str = "min",
        threshold: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (valid: min, max)")
        self.initial = check_positive("lr", lr)
        self.factor = check_fraction("factor", factor, low_open=True)
        self.patience = int(check_positive("patience", patience, allow_zero=True))
        self.mode = mode
        self.threshold = check_positive("threshold", threshold, allow_zero=True)
        self.cooldown = int(check_positive("cooldown", cooldown, allow_zero=True))
        self.min_lr = check_positive("min_lr", min_lr, allow_zero=True)
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.reset()

    def reset(self) -> None:
        """Back to the initial rate, with no metric seen yet."""
        self.current = self.initial
        self.best = math.inf if self.mode == "min" else -math.inf
        self.bad_updates = 0
        self.cooldown_left = 0

    def _improves(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best * (1 - self.threshold)
        return value > self.best * (1 + self.threshold)

    def update(self, metric: float) -> float:
        """Feed the latest value of the monitored metric; return the (possibly reduced) rate."""
        metric = float(metric)
        if self._improves(metric):
            self.best = metric
            self.bad_updates = 0
        else:
            self.bad_updates += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_updates = 0
        if self.bad_updates > self.patience:
            reduced = max(self.current * self.factor, self.min_lr)
            if self.current - reduced > self.eps:
                self.current = reduced
            self.cooldown_left = self.cooldown
            self.bad_updates = 0
        return self.current

    def lr(self, t: int) -> float:
        """The current rate (it depends on the metrics seen, not on ``t``)."""
        return self.current


def get_schedule(spec: str | Schedule, **kwargs: Any) -> Schedule:
    """Build a schedule from a registered name (with keyword arguments) or return one unchanged."""
    return SCHEDULES.create(spec, **kwargs)


def schedule_for(name: str, lr: float, epochs: int, **options: Any) -> Schedule:
    """Build a schedule by name for a run of ``epochs`` epochs starting at ``lr``.

    Defaults fill what the name needs: ``linear`` and ``exponential`` go from
    ``lr`` to ``lr / 100`` over the run, ``step`` starts at ``lr`` (drop 0.5
    every 5 epochs), ``constant`` and ``plateau`` start at ``lr``. ``options``
    override any of them (e.g. ``end=1e-4``).
    """
    cls = SCHEDULES.get(name)
    if cls in (LinearDecay, ExponentialDecay):
        defaults: dict[str, Any] = {"start": lr, "end": lr / 100, "n": max(1, epochs - 1)}
    elif cls is StepDecay:
        defaults = {"initial": lr}
    else:
        defaults = {"lr": lr}
    return cls(**{**defaults, **options})

"""A trainer's optimizer: built by name over parameter groups with L1/L2 on weight matrices, or given ready.

:class:`~mlplab.training.Trainer` takes ``optimizer`` as a registered name or as an
:class:`~mlplab.optimizers.Optimizer` object. A name is built here with the trainer's ``lr``,
``l1``, ``l2`` and ``optimizer_options``; the penalties go to the weight matrices only, as in
scikit-learn's ``MLPClassifier`` (biases, batch-norm and PReLU parameters are exempt). An object
already holds its rate and penalties, so giving any of those with one is an error.
"""

from __future__ import annotations

from typing import Any

from .._validation import check_positive
from ..layers.base import Layer
from ..optimizers import OPTIMIZERS, Optimizer
from ..parameter import is_weight


def build_optimizer(
    model: Layer,
    optimizer: str | Optimizer,
    *,
    lr: float | None = None,
    l1: float | None = None,
    l2: float | None = None,
    options: dict[str, Any] | None = None,
) -> Optimizer:
    """The optimizer named ``optimizer`` over ``model``'s parameters, or ``optimizer`` itself if it is one.

    Parameters
    ----------
    model : Layer
    optimizer : str or Optimizer
    lr : float, optional
        Learning rate of a named optimizer (default 1e-3).
    l1, l2 : float, optional
        Penalties of a named optimizer on the weight matrices (default 0); ``l2`` is its
        ``weight_decay`` (see :func:`parameter_groups`).
    options : dict, optional
        Further keyword arguments of a named optimizer (``momentum``, ``betas`` …).

    Raises
    ------
    ValueError
        If ``lr``, ``l1``, ``l2`` or ``options`` come with an optimizer object, or a penalty is negative.
    """
    if isinstance(optimizer, Optimizer):
        given = [
            name
            for name, value in (("lr", lr), ("l1", l1), ("l2", l2), ("optimizer_options", options))
            if value is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} apply to an optimizer given by name; the {type(optimizer).__name__} "
                "object passed holds its own: set them when creating it"
            )
        return optimizer
    l1 = check_positive("l1", 0.0 if l1 is None else l1, allow_zero=True)
    l2 = check_positive("l2", 0.0 if l2 is None else l2, allow_zero=True)
    rate = 1e-3 if lr is None else lr
    groups = parameter_groups(model, l1, l2)
    return OPTIMIZERS.create(optimizer, params=groups, lr=rate, **(options or {}))


def parameter_groups(model: Layer, l1: float, l2: float) -> list[dict[str, Any]]:
    """Penalties apply to weight matrices; biases, batch-norm and PReLU parameters are exempt.

    Without penalties all parameters form one group (one flat update for a packed model).

    Returns
    -------
    list of dict
        Optimizer parameter groups: ``{"params": [...], "weight_decay": l2, "l1": l1}`` for the
        weights, then (with penalties) ``{"params": [...], "weight_decay": 0.0, "l1": 0.0}`` for the rest.
    """
    named = list(model.named_parameters())
    if l1 == 0 and l2 == 0:
        return [{"params": [p for _, p in named], "weight_decay": 0.0, "l1": 0.0}]
    weights = [p for name, p in named if is_weight(name)]
    others = [p for name, p in named if not is_weight(name)]
    groups = [{"params": weights, "weight_decay": l2, "l1": l1}]
    if others:
        groups.append({"params": others, "weight_decay": 0.0, "l1": 0.0})
    return groups

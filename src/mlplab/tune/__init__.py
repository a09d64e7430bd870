"""Hyper-parameter search on Optuna: grid, random and Bayesian (TPE) samplers, pruning, parallel workers.

>>> from mlplab.tune import SearchSpace, tune
>>> space = SearchSpace.from_mapping({"dataset": "digits", "epochs": 10, "lr": {"low": 1e-4, "high": 1e-1, "log": True}})
>>> result = tune(space, "tune-digits", n_trials=20)      # doctest: +SKIP
>>> result.best_config.lr                               # doctest: +SKIP

``mlplab tune`` is the same from the command line.
"""

from .objective import METRICS, TrainObjective
from .search import TuneResult, stored_space, tune
from .space import DEFAULT_SPACE, Dimension, SearchSpace, SearchSpaceError
from .study import PRUNERS, SAMPLERS, make_pruner, make_sampler

__all__ = [
    "DEFAULT_SPACE",
    "METRICS",
    "PRUNERS",
    "SAMPLERS",
    "Dimension",
    "SearchSpace",
    "SearchSpaceError",
    "TrainObjective",
    "TuneResult",
    "make_pruner",
    "make_sampler",
    "stored_space",
    "tune",
]

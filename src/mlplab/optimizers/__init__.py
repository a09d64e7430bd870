"""Optimizers defined as ``torch.optim`` defines them; see :mod:`mlplab.optimizers.base`."""

from .adaptive import Adadelta, Adagrad, Adam, AdamW, RMSprop
from .base import OPTIMIZERS, Optimizer, get_optimizer
from .sgd import SGD

__all__ = ["OPTIMIZERS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "get_optimizer"]

"""Layers: the building blocks of a network, all sharing the :class:`Layer` contract."""

from .activations import (
    ACTIVATIONS,
    Activation,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Step,
    Tanh,
    get_activation,
)
from .base import Layer
from .batchnorm import BatchNorm
from .dense import Dense
from .dropout import Dropout
from .standardize import Standardize

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "BatchNorm",
    "Dense",
    "Dropout",
    "Identity",
    "Layer",
    "LeakyReLU",
    "PReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Standardize",
    "Step",
    "Tanh",
    "get_activation",
]

"""mlplab: feed-forward neural networks from scratch on NumPy.

Every forward pass, gradient and update rule is explicit NumPy code::

    import mlplab
    model = mlplab.MLP([784, 256, 10], activation="relu", rng=0)
    loss = mlplab.SoftmaxCrossEntropy()
    opt = mlplab.Adam(model.parameters(), lr=1e-3)

    opt.zero_grad()
    value = loss.forward(model.forward(x, training=True), y)
    model.backward(loss.backward(), input_grad=False)
    opt.step()
"""

from . import datasets, functional, initializers, kernels, metrics, persistence
from .clipping import clip_grad_norm, clip_grad_value
from .gradcheck import gradcheck
from .initializers import INITIALIZERS, get_initializer
from .layers import (
    ACTIVATIONS,
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    Layer,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Standardize,
    Step,
    Tanh,
    get_activation,
)
from .losses import (
    LOSSES,
    MAE,
    MSE,
    BinaryCrossEntropy,
    HalfSquaredError,
    Hinge,
    Huber,
    Loss,
    NLLLoss,
    PerceptronCriterion,
    QuadraticCost,
    SoftmaxCrossEntropy,
    get_loss,
)
from .model import MLP, Sequential
from .optimizers import OPTIMIZERS, SGD, Adadelta, Adagrad, Adam, AdamW, Optimizer, RMSprop, get_optimizer
from .parameter import Parameter
from .perceptron import ConvergenceWarning, OneVsAll, Perceptron
from .persistence import load, load_info, save
from .perturbation import PerturbationLearner
from .registry import Registry, UnknownNameError
from .regularizers import l1_penalty, l2_penalty
from .schedules import (
    SCHEDULES,
    Constant,
    ExponentialDecay,
    LinearDecay,
    ReduceOnPlateau,
    Schedule,
    StepDecay,
    get_schedule,
    schedule_for,
)
from .training import Trainer, TrainingDiverged, fit

__version__ = "0.1.0"

REGISTRIES = {
    "activation": ACTIVATIONS,
    "loss": LOSSES,
    "initializer": INITIALIZERS,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
}
"""Every registry by kind, for code that resolves names generically (CLI, configs, model files)."""

__all__ = [
    "ConvergenceWarning",
    "OneVsAll",
    "Perceptron",
    "PerturbationLearner",
    "Trainer",
    "TrainingDiverged",
    "datasets",
    "fit",
    "kernels",
    "load",
    "load_info",
    "metrics",
    "persistence",
    "save",
    "schedule_for",
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "MAE",
    "MLP",
    "MSE",
    "OPTIMIZERS",
    "REGISTRIES",
    "SCHEDULES",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "BatchNorm",
    "BinaryCrossEntropy",
    "Constant",
    "Dense",
    "Dropout",
    "ExponentialDecay",
    "Hinge",
    "Huber",
    "Identity",
    "Layer",
    "LeakyReLU",
    "LinearDecay",
    "Loss",
    "NLLLoss",
    "HalfSquaredError",
    "Optimizer",
    "PReLU",
    "Parameter",
    "PerceptronCriterion",
    "QuadraticCost",
    "RMSprop",
    "ReLU",
    "ReduceOnPlateau",
    "Registry",
    "Schedule",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Standardize",
    "Step",
    "StepDecay",
    "Tanh",
    "UnknownNameError",
    "clip_grad_norm",
    "clip_grad_value",
    "functional",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_optimizer",
    "get_schedule",
    "gradcheck",
    "initializers",
    "l1_penalty",
    "l2_penalty",
]

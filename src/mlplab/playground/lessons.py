"""Ready-made lessons for the playground: a setup, a short text, what to hide or lock, and a goal the page checks.

Each lesson is what a lecturer would put in an address (``#{...setup..., "teach": {...}}``) for one
claim of the lectures. ``teach`` holds ``text`` (shown above the page), ``hide`` and ``lock``
(fields hidden, or shown but not changeable) and ``goal``: a ``metric`` of the page (``loss``,
``accuracy``, ``test_loss``, ``test_accuracy``) ``below`` or ``above`` a value, with at most
``max_units`` hidden neurons in all if given; met at any epoch, or with ``"when": "end"`` at the
run's last epoch (where the lesson is what happens late, as over-fitting).
"""

from __future__ import annotations

from typing import Any

TEACH_KEYS = ("text", "hide", "lock", "goal")
GOAL_METRICS = ("loss", "accuracy", "test_loss", "test_accuracy")

LESSONS: list[dict[str, Any]] = [
    {
        "name": "xor-needs-a-hidden-layer",
        "title": "XOR needs a hidden layer",
        "setup": {"dataset": "xor", "hidden": [], "activation": "tanh", "optimizer": "sgd", "lr": 0.1, "epochs": 300},
        "teach": {
            "text": "Without hidden layers the network draws one straight line between the classes, and XOR "
            "cannot be split by one line. Give it a hidden layer (the + by 'hidden layers' above the network).",
            "lock": ["dataset", "points", "noise"],
            "goal": {"metric": "test_accuracy", "above": 0.9},
        },
        "solution": {"hidden": [4]},
    },
    {
        "name": "small-network-for-xor",
        "title": "The smallest network that learns XOR",
        "setup": {
            "dataset": "xor",
            "hidden": [8, 8],
            "activation": "tanh",
            "optimizer": "sgd",
            "lr": 0.1,
            "epochs": 300,
        },
        "teach": {
            "text": "Reach a test loss below 0.1 with at most 4 hidden neurons in all.",
            "lock": ["dataset", "points", "noise", "test_fraction"],
            "goal": {"metric": "test_loss", "below": 0.1, "max_units": 4},
        },
        "solution": {"hidden": [4], "optimizer": "adam", "lr": 0.03},
    },
    {
        "name": "rate-too-high",
        "title": "A learning rate too high",
        "setup": {
            "dataset": "moons",
            "hidden": [8],
            "activation": "tanh",
            "optimizer": "sgd",
            "lr": 8.0,
            "epochs": 200,
        },
        "teach": {
            "text": "At this rate each step jumps over the valley: the loss jumps about instead of settling. "
            "Find a rate at which the test loss ends below 0.2.",
            "hide": ["optimizer", "schedule"],
            "lock": ["dataset", "hidden"],
            "goal": {"metric": "test_loss", "below": 0.2, "when": "end"},
        },
        "solution": {"lr": 0.5},
    },
    {
        "name": "vanishing-gradients",
        "title": "Vanishing gradients in a deep sigmoid network",
        "setup": {
            "dataset": "circles",
            "hidden": [8, 8, 8, 8, 8, 8],
            "activation": "sigmoid",
            "init": "glorot_uniform",
            "optimizer": "sgd",
            "lr": 0.1,
            "epochs": 200,
        },
        "teach": {
            "text": "Watch the gradient norm per layer: in six sigmoid layers the first layers' gradients are "
            "hundreds of times smaller, and they barely learn. Try ReLU with He initialization, or batch norm.",
            "lock": ["dataset", "hidden"],
            "goal": {"metric": "test_accuracy", "above": 0.9},
        },
        "solution": {"activation": "relu", "init": "he_normal"},
    },
    {
        "name": "overfitting",
        "title": "Over-fitting, cured by L2 or dropout",
        "setup": {
            "dataset": "spirals",
            "points": 100,
            "noise": 0.6,
            "test_fraction": 0.5,
            "hidden": [64, 64],
            "activation": "relu",
            "optimizer": "adam",
            "lr": 0.01,
            "epochs": 400,
        },
        "teach": {
            "text": "Fifty noisy training points and a large network: the training loss goes to zero while the "
            "test loss climbs. Add L2 or dropout until the test loss ends below 0.75.",
            "lock": ["dataset", "points", "noise", "test_fraction", "hidden"],
            "goal": {"metric": "test_loss", "below": 0.75, "when": "end"},
        },
        "solution": {"l2": 0.003},
    },
]
"""The lessons the page's menu offers, in order."""


def lesson_address(lesson: dict[str, Any]) -> dict[str, Any]:
    """What a lesson puts in the page's address: its setup, and its ``teach`` part."""
    return {**lesson["setup"], "teach": lesson["teach"]}

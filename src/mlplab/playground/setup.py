"""What the page may ask for: a training setup in the ``mlplab train`` format, checked against limits.

The page sends options by their ``mlplab train`` names; :func:`check_setup`
refuses anything out of range with a message naming the option (the page
shows it), so a setup the server accepts is exactly a ``mlplab train`` config,
and :func:`export` gives the command that repeats the run.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from ..cli.config import DEFAULTS, resolve
from ..initializers import INITIALIZERS
from ..layers.activations import ACTIVATIONS
from ..optimizers import OPTIMIZERS

DATASETS = ("xor", "circles", "moons", "spirals", "blobs", "digits")
ACTIVATION_CHOICES = ("tanh", "relu", "sigmoid", "leaky_relu", "prelu", "identity", "step")
INITIALIZER_CHOICES = ("auto", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
                       "normal", "standard_normal", "nielsen", "zeros")
OPTIMIZER_CHOICES = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
"""The menus' names (each registry also knows aliases; those are accepted too)."""
LOSSES = ("softmax_cross_entropy", "hinge")
SCHEDULES = ("none", "constant", "linear", "exponential", "step")
MAX_LAYERS, MAX_UNITS, MAX_PARAMETERS = 6, 256, 200_000

PLAYGROUND_DEFAULTS: dict[str, Any] = {
    "dataset": "xor", "points": 400, "noise": 0.2, "test_fraction": 0.3, "seed": 0,
    "hidden": [8, 8], "activation": "tanh", "init": "auto", "loss": "softmax_cross_entropy",
    "dropout": 0.0, "batch_norm": False, "l1": 0.0, "l2": 0.0,
    "optimizer": "sgd", "lr": 0.1, "schedule": "none", "batch_size": 10, "epochs": 300, "clip_norm": None,
}
"""A setup that learns XOR in a few seconds: 2-8-8-2 tanh, SGD 0.1, batches of 10."""
FIXED = {"standardize": False, "patience": 0, "val_fraction": 0.0}
"""Not the page's to choose: raw coordinates, every epoch trained, every non-test point trained on."""


class SetupError(ValueError):
    """A setup the playground refuses; the message names the option and the limit."""


def _number(config: dict[str, Any], key: str, low: float, high: float, *, integer: bool = False, low_open: bool = False) -> None:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SetupError(f"{key} must be a number, got {value!r}")
    if integer and value != int(value):
        raise SetupError(f"{key} must be a whole number, got {value!r}")
    if value < low or value > high or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise SetupError(f"{key} must be in {bracket}{low:g}, {high:g}], got {value!r}")
    config[key] = int(value) if integer else float(value)


def _choice(config: dict[str, Any], key: str, valid: Any) -> None:
    if not isinstance(config[key], str) or config[key] not in valid:
        names = valid.names() if hasattr(valid, "names") else list(valid)
        raise SetupError(f"{key} must be one of {', '.join(names)}, got {config[key]!r}")


def check_setup(raw: Any) -> dict[str, Any]:
    """The ``mlplab train`` configuration of a setup sent by the page, or :class:`SetupError`."""
    if not isinstance(raw, dict):
        raise SetupError("the setup must be a JSON object")
    unknown = sorted(set(raw) - set(PLAYGROUND_DEFAULTS))
    if unknown:
        raise SetupError(f"unknown option(s): {', '.join(unknown)}")
    config = {**PLAYGROUND_DEFAULTS, **raw, **FIXED}
    _choice(config, "dataset", DATASETS)
    _number(config, "points", 20, 2000, integer=True)
    _number(config, "noise", 0.0, 2.0)
    _number(config, "test_fraction", 0.1, 0.5)
    _number(config, "seed", 0, 2**31 - 1, integer=True)
    hidden = config["hidden"]
    if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS:
        raise SetupError(f"hidden must be a list of at most {MAX_LAYERS} layer sizes, got {hidden!r}")
    for k, units in enumerate(hidden):
        if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
            raise SetupError(f"hidden layer {k + 1} must have 1 to {MAX_UNITS} units, got {units!r}")
    _choice(config, "activation", ACTIVATIONS)
    if config["init"] != "auto":
        _choice(config, "init", INITIALIZERS)
    _choice(config, "loss", LOSSES)
    _number(config, "dropout", 0.0, 0.9)
    for key in ("l1", "l2"):
        _number(config, key, 0.0, 1.0)
    if not isinstance(config["batch_norm"], bool):
        raise SetupError(f"batch_norm must be true or false, got {config['batch_norm']!r}")
    _choice(config, "optimizer", OPTIMIZERS)
    _number(config, "lr", 0.0, 10.0, low_open=True)
    _choice(config, "schedule", SCHEDULES)
    _number(config, "batch_size", 0, 2000, integer=True)
    _number(config, "epochs", 1, 5000, integer=True)
    if config["clip_norm"] is not None:
        _number(config, "clip_norm", 0.0, 1000.0, low_open=True)
    inputs = 64 if config["dataset"] == "digits" else 2
    sizes = [inputs, *hidden, 10 if config["dataset"] == "digits" else 4]
    if sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])) > MAX_PARAMETERS:
        raise SetupError(f"the network is too large for the playground (at most {MAX_PARAMETERS:,} parameters)")
    resolved = resolve({}, base={**DEFAULTS, **config, "batch_size": config["batch_size"] or None})
    resolved["schedule"] = None if config["schedule"] == "none" else config["schedule"]
    return resolved


def export(config: dict[str, Any]) -> dict[str, str]:
    """The ``mlplab train`` config (YAML) and command that repeat this run outside the playground."""
    keys = [k for k in [*PLAYGROUND_DEFAULTS, *FIXED] if k != "seed"] + ["seed"]
    chosen = {k: config[k] for k in keys}
    chosen["schedule"] = chosen["schedule"] or "none"
    chosen["batch_size"] = chosen["batch_size"] or 0
    flags = []
    for key, value in chosen.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else f"--no-{key.replace('_', '-')}")
        elif isinstance(value, list):
            flags.append(" ".join([flag, *(str(v) for v in value)]))
        elif value is not None:
            flags.append(f"{flag} {value!r}" if isinstance(value, float) else f"{flag} {value}")
    command = "mlplab train " + " ".join(f for f in flags if f)
    return {"config": yaml.safe_dump(chosen, sort_keys=False), "command": command}

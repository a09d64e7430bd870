"""What the page may ask for: a training setup in the ``mlplab train`` format, checked against limits.

The page sends options by their ``mlplab train`` names; :func:`check_setup`
refuses anything out of range with a message naming the option (the page
shows it), so a setup the server accepts is exactly a ``mlplab train`` config,
and :func:`export` gives the command that repeats the run.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from ..recipe import (
    FIELD,
    OPTIONS,
    Choice,
    Config,
    ConfigError,
    Integer,
    Interval,
    Rule,
    Sizes,
    check_in,
    check_unknown,
)

DATASETS = ("xor", "circles", "moons", "spirals", "blobs", "digits")
ACTIVATION_CHOICES = ("tanh", "relu", "sigmoid", "leaky_relu", "prelu", "identity", "step")
INITIALIZER_CHOICES = (
    "auto",
    "glorot_uniform",
    "glorot_normal",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "normal",
    "standard_normal",
    "nielsen",
    "zeros",
)
OPTIMIZER_CHOICES = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
"""The menus' names (each registry also knows aliases; those are accepted too)."""
LOSSES = ("softmax_cross_entropy", "hinge")
SCHEDULES = ("none", "constant", "linear", "exponential", "step")
MAX_LAYERS, MAX_UNITS, MAX_PARAMETERS, MAX_EPOCHS = 6, 256, 200_000, 5000

PLAYGROUND_DEFAULTS: dict[str, Any] = {
    "dataset": "xor",
    "points": 400,
    "noise": 0.2,
    "test_fraction": 0.3,
    "data_seed": 0,
    "seed": 0,
    "hidden": [8, 8],
    "activation": "tanh",
    "init": "auto",
    "loss": "softmax_cross_entropy",
    "dropout": 0.0,
    "batch_norm": False,
    "l1": 0.0,
    "l2": 0.0,
    "optimizer": "sgd",
    "lr": 0.1,
    "schedule": "none",
    "batch_size": 10,
    "epochs": 300,
    "clip_norm": None,
}
"""A setup that learns XOR in a few seconds: 2-8-8-2 tanh, SGD 0.1, batches of 10."""
FIXED = {"standardize": False, "patience": 0, "val_fraction": 0.0}
"""Not the page's to choose: raw coordinates, every epoch trained, every non-test point trained on."""
BASE = Config.from_mapping({**PLAYGROUND_DEFAULTS, **FIXED})

LIMITS: dict[str, Rule] = {
    "dataset": Choice(DATASETS),
    "points": Integer(20, 2000),
    "noise": Interval(0.0, 2.0),
    "test_fraction": Interval(0.1, 0.5),
    "hidden": Sizes(MAX_UNITS, MAX_LAYERS),
    "loss": Choice(LOSSES),
    "dropout": Interval(0.0, 0.9),
    "l1": Interval(0.0, 1.0),
    "l2": Interval(0.0, 1.0),
    "lr": Interval(0.0, 10.0, low_open=True),
    "schedule": Choice(SCHEDULES),
    "batch_size": Integer(0, 2000),
    "epochs": Integer(1, MAX_EPOCHS),
    "clip_norm": Interval(0.0, 1000.0, low_open=True, optional=True),
}
"""The playground's own limits, narrower than the recipe's rules (checked after them) so a run stays quick."""


def field_ranges() -> dict[str, list[float | None]]:
    """Each numeric field's lowest and highest value, as the checks allow them (the page's sliders use them)."""
    ranges: dict[str, list[float | None]] = {}
    for name, rule in LIMITS.items():
        if isinstance(rule, (Integer, Interval)):
            ranges[name] = [rule.low, rule.high]
    return ranges


class SetupError(ValueError):
    """A setup the playground refuses; the message names the field and the rule."""


def check_field(name: str, value: Any) -> Any:
    """One field's value: the recipe's rule (the same words as ``mlplab train``), then the playground's limit."""
    try:
        canonical = check_in(OPTIONS[name].rule, name, value, FIELD)
        if name in LIMITS:
            check_in(LIMITS[name], name, value, FIELD)
        return canonical
    except ConfigError as error:
        raise SetupError(str(error)) from None


def check_setup(raw: Any) -> Config:
    """The ``mlplab train`` configuration of a setup sent by the page, or :class:`SetupError`."""
    if not isinstance(raw, dict):
        raise SetupError("the setup must be a JSON object")
    try:
        check_unknown(raw, PLAYGROUND_DEFAULTS, FIELD)
    except ConfigError as error:
        raise SetupError(str(error)) from None
    config = dataclasses.replace(BASE, **{name: check_field(name, value) for name, value in raw.items()})
    inputs = 64 if config.dataset == "digits" else 2
    sizes = [inputs, *config.hidden, 10 if config.dataset == "digits" else 4]
    if sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])) > MAX_PARAMETERS:
        raise SetupError(f"the network is too large for the playground (at most {MAX_PARAMETERS:,} parameters)")
    return config


def page_setup(config: Config) -> dict[str, Any]:
    """The page's fields for ``config``, spelled as the page sends them (``schedule: "none"``, ``batch_size: 0``)."""
    values = config.to_dict()
    setup = {key: values[key] for key in PLAYGROUND_DEFAULTS}
    setup["schedule"] = setup["schedule"] or "none"
    setup["batch_size"] = setup["batch_size"] or 0
    return setup


NEXT_SEED = {"reset": "seed", "new_data": "data_seed"}
"""What Reset and New data change: the weights' seed, or the data's."""


def reseeded(config: Config, what: str) -> Config:
    """``config`` with the next seed of ``what`` (``reset``: new initial weights, ``new_data``: new points)."""
    if NEXT_SEED[what] == "data_seed":
        return dataclasses.replace(config, data_seed=(config.seed_of_data + 1) % (2**31 - 1))
    return dataclasses.replace(config, seed=(config.seed + 1) % (2**31 - 1))


def export(config: Config) -> dict[str, str]:
    """The ``mlplab train`` config (YAML) and command that repeat this run outside the playground."""
    values = config.to_dict()
    keys = [k for k in [*PLAYGROUND_DEFAULTS, *FIXED] if k != "seed"] + ["seed"]
    chosen = {k: values[k] for k in keys}
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

"""The training recipe's options: one typed, frozen :class:`Config` whose fields are the constraints table.

Every option is declared once, below, with its type, default, rule (what values it accepts)
and a one-line help. :data:`OPTIONS` lists them for the front ends: the command line turns
them into ``--flags``, config files and search spaces are checked against their rules, the
playground adds its own narrower limits on top, and the scikit-learn estimators check their
shared parameters with the same rules. A bad value is reported once, naming the option as
the user wrote it (see :class:`~mlplab.recipe.rules.Origin`).

Values are merged in this order: the defaults, a YAML or TOML file, then flags::

    config = Config().updated(read_config_file("recipe.yaml"), file_origin("recipe.yaml"))
    config = config.updated({"lr": 0.01}, FLAG)
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from ..initializers import INITIALIZERS
from ..layers.activations import ACTIVATIONS
from ..losses import LOSSES
from ..optimizers import OPTIMIZERS
from ..schedules import SCHEDULES
from .rules import (
    ARGUMENT,
    Choice,
    ConfigError,
    Flag,
    Integer,
    Interval,
    Names,
    Origin,
    Rule,
    Sizes,
    Text,
    check_in,
    check_unknown,
    file_origin,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DATASETS = ("fashion-mnist", "mnist", "digits", "xor", "moons", "circles", "spirals", "blobs")
TWO_D_SETS = ("xor", "moons", "circles", "spirals", "blobs")
MAX_CONFIG_BYTES = 1 << 20
"""A config file larger than this (1 MiB) is refused before it is read."""


class Option(NamedTuple):
    """One row of the constraints table."""

    name: str
    type: str
    default: Any
    rule: Rule
    help: str


def _option(default: Any, rule: Rule, help: str) -> Any:
    return field(default=default, metadata={"rule": rule, "help": help})


@dataclass(frozen=True)
class Config:
    """Everything ``mlplab train`` needs to repeat a run; the defaults are the default recipe.

    784-512-256-10 ReLU with dropout 0.2, inputs standardized, Adam with the rate decaying
    exponentially from 1e-3 to 1e-5 over 20 epochs, batches of 128, 10% of the training set
    held out for validation, early stopping after 5 epochs without improvement. The data set
    is Fashion-MNIST; only when none is named (``dataset`` null) may synthetic images of its
    shape stand in for it when it is not installed: a data set the user named is that data
    set, or an error that says how to get it.
    """

    dataset: str | None = _option(
        None,
        Choice(DATASETS, optional=True),
        "data set: "
        + ", ".join(DATASETS)
        + " (none named: Fashion-MNIST, or synthetic images of its shape if it is missing)",
    )
    data_dir: str | None = _option(
        None,
        Text(optional=True),
        "folder holding the IDX files (else $MLPLAB_DATA, ~/.cache/mlplab, /usr/share/datasets)",
    )
    download: bool = _option(False, Flag(), "download MNIST-style files if missing")
    hidden: tuple[int, ...] = _option((512, 256), Sizes(), "hidden layer sizes, e.g. 256 128 (none: no hidden layer)")
    activation: str = _option("relu", Names(ACTIVATIONS), "activation of the hidden layers")
    loss: str = _option("softmax_cross_entropy", Names(LOSSES), "loss on the outputs")
    optimizer: str = _option("adam", Names(OPTIMIZERS), "optimizer")
    lr: float = _option(1e-3, Interval(0, None, low_open=True), "learning rate (at the first epoch)")
    schedule: str | None = _option(
        "exponential", Names(SCHEDULES, none="none"), "rate schedule over the epochs (none: constant)"
    )
    batch_size: int | None = _option(
        128,
        Integer(0, None, optional=True, zero_is_none=True),
        "samples per step; 0 for the whole set (batch gradient descent)",
    )
    epochs: int = _option(20, Integer(1, None), "epochs to train (at most)")
    dropout: float = _option(0.2, Interval(0, 1, high_open=True), "probability of dropping a hidden unit")
    batch_norm: bool = _option(False, Flag(), "batch normalization after each hidden layer")
    l1: float = _option(0.0, Interval(0, None), "L1 penalty on the weight matrices")
    l2: float = _option(0.0, Interval(0, None), "L2 penalty (weight decay) on the weight matrices")
    clip_value: float | None = _option(
        None, Interval(0, None, low_open=True, optional=True), "clip each gradient element to [-v, v]"
    )
    clip_norm: float | None = _option(
        None, Interval(0, None, low_open=True, optional=True), "clip the global gradient norm"
    )
    init: str = _option(
        "auto", Names(INITIALIZERS, extra=("auto",)), "weight initializer (auto: suited to the activation)"
    )
    patience: int | None = _option(
        5, Integer(0, None, optional=True), "early-stopping patience in epochs (0 or null: off)"
    )
    val_fraction: float = _option(
        0.1, Interval(0, 1, high_open=True), "share of the training set held out for validation"
    )
    standardize: bool = _option(True, Flag(), "standardize the inputs (saved with the model)")
    expand: bool = _option(False, Flag(), "add 1-pixel shifted copies of the training images")
    points: int = _option(1000, Integer(10, 1_000_000), "points of a 2-D set (xor, moons, circles, spirals, blobs)")
    noise: float | None = _option(
        None,
        Interval(0, None, optional=True),
        "noise of a 2-D set (default: the set's own; xor with noise: four clouds)",
    )
    test_fraction: float = _option(
        0.2, Interval(0, 1, low_open=True, high_open=True), "share of a 2-D set or digits held out for testing"
    )
    seed: int = _option(0, Integer(0, 2**31 - 2), "seed of the initial weights and the batch order (and of the data)")
    data_seed: int | None = _option(
        None,
        Integer(0, 2**31 - 2, optional=True),
        "seed of the data: a 2-D set's points, the test and validation splits (default: seed)",
    )
    fast_path: str = _option(
        "auto",
        Choice(("auto", "on", "off")),
        "the compiled training loop: auto (where it applies), on (an error where it does not), off",
    )
    out: str = _option("runs", Text(), "parent folder of run folders")

    def __post_init__(self) -> None:
        """Built directly (``Config(lr=-1)``), the values are checked too, and kept in their canonical types."""
        for name, option in OPTIONS.items():
            object.__setattr__(self, name, check_in(option.rule, name, getattr(self, name), ARGUMENT))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], origin: Origin = ARGUMENT) -> Config:
        """The defaults updated with ``values`` (checked; names with ``-`` or ``_``)."""
        return cls().updated(values, origin)

    def updated(self, values: Mapping[str, Any], origin: Origin = ARGUMENT) -> Config:
        """A copy with ``values`` (option name to value) checked against their rules and set.

        Raises :class:`~mlplab.recipe.rules.ConfigError` for an unknown option or a value its rule
        refuses, naming the option as ``origin`` spells it (``--lr``, ``lr in recipe.yaml`` ...).
        """
        values = {str(name).replace("-", "_"): value for name, value in values.items()}
        check_unknown(values, OPTIONS, origin)
        checked = {name: check_in(OPTIONS[name].rule, name, value, origin) for name, value in values.items()}
        return dataclasses.replace(self, **checked)

    @property
    def seed_of_data(self) -> int:
        """The seed that draws the data and its splits: ``data_seed``, or ``seed`` when that is not set."""
        return self.seed if self.data_seed is None else self.data_seed

    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists, not tuples) in declaration order: what ``config.yaml`` holds."""
        return {
            name: list(value) if isinstance(value, tuple) else value for name, value in dataclasses.asdict(self).items()
        }


OPTIONS: dict[str, Option] = {
    f.name: Option(f.name, str(f.type), f.default, f.metadata["rule"], f.metadata["help"])
    for f in dataclasses.fields(Config)
}
"""The constraints table: every option's name, type, default, rule and help, in declaration order."""


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Options from a ``.yaml``/``.yml`` or ``.toml`` file (keys with ``-`` or ``_``), names checked, values not yet.

    The file is untrusted: its size is checked before it is read, YAML is read with the safe
    loader (no objects), and it must hold one mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    if path.suffix not in (".yaml", ".yml", ".toml"):
        raise ConfigError("config", str(path), "a config file must end in .yaml, .yml or .toml")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError("config", str(path), f"larger than {MAX_CONFIG_BYTES} bytes; not a config file")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(
            "config", str(path), f"not valid {'TOML' if path.suffix == '.toml' else 'YAML'}: {error}"
        ) from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError("config", str(path), "must hold a mapping of option names to values")
    options = {str(k).replace("-", "_"): v for k, v in data.items()}
    check_unknown(options, OPTIONS, file_origin(path))
    return options


def load_config(path: str | Path, base: Config | None = None) -> Config:
    """``base`` (default: the defaults) updated with the options of the config file ``path``."""
    return (base or Config()).updated(read_config_file(path), file_origin(path))


def write_config(config: Config, path: Path) -> None:
    """Save the configuration as YAML (the run's record, and what ``--resume`` reads), atomically."""
    from .._atomic import atomic_write

    with atomic_write(path) as f:
        f.write(yaml.safe_dump(config.to_dict(), sort_keys=False).encode())

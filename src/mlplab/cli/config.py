"""Training configuration: built-in defaults, a YAML or TOML file, then command-line flags, in that order."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DATASETS = ("fashion-mnist", "mnist", "digits", "xor", "moons", "circles", "spirals", "blobs")

DEFAULTS: dict[str, Any] = {
    "dataset": "fashion-mnist",
    "data_dir": None,
    "download": False,
    "hidden": [512, 256],
    "activation": "relu",
    "loss": "softmax_cross_entropy",
    "optimizer": "adam",
    "lr": 1e-3,
    "schedule": "exponential",
    "batch_size": 128,
    "epochs": 20,
    "dropout": 0.2,
    "batch_norm": False,
    "l1": 0.0,
    "l2": 0.0,
    "clip_value": None,
    "clip_norm": None,
    "init": "auto",
    "patience": 5,
    "val_fraction": 0.1,
    "standardize": True,
    "expand": False,
    "points": 1000,
    "noise": None,
    "test_fraction": 0.2,
    "seed": 0,
    "out": "runs",
}
"""The default recipe: 784-512-256-10 ReLU with dropout 0.2, Adam 1e-3 decaying to 1e-5 over 20 epochs."""


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Options from a ``.yaml``/``.yml`` or ``.toml`` file; keys may use ``-`` or ``_``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        data = yaml.safe_load(text) or {}
    elif path.suffix == ".toml":
        data = tomllib.loads(text)
    else:
        raise ValueError(f"config file must end in .yaml, .yml or .toml: {path}")
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold a mapping of option names to values")
    options = {str(k).replace("-", "_"): v for k, v in data.items()}
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown option(s) in {path}: {', '.join(unknown)}; valid: {', '.join(sorted(DEFAULTS))}")
    return options


def resolve(flags: dict[str, Any], config_path: str | Path | None = None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``base`` (built-in defaults unless given), the config file, and the flags that were set (not None)."""
    config = dict(DEFAULTS if base is None else base)
    if config_path is not None:
        config.update(read_config_file(config_path))
    config.update({k: v for k, v in flags.items() if v is not None and k in DEFAULTS})
    if config["dataset"] not in DATASETS:
        raise ValueError(f"unknown dataset {config['dataset']!r}; valid: {', '.join(DATASETS)}")
    for key in ("lr", "dropout", "l1", "l2", "clip_value", "clip_norm", "val_fraction"):
        if isinstance(config[key], str):  # YAML 1.1 reads 1e-3 (no dot) as a string
            try:
                config[key] = float(config[key])
            except ValueError:
                raise ValueError(f"{key} must be a number, got {config[key]!r}") from None
    if config["batch_size"] == 0:  # 0 (flag or file) is the whole set: batch gradient descent
        config["batch_size"] = None
    if isinstance(config["hidden"], (int, str)):
        config["hidden"] = [int(h) for h in str(config["hidden"]).replace(",", " ").split()]
    return config


def write_config(config: dict[str, Any], path: Path) -> None:
    """Save the resolved configuration as YAML (the run's record, and what ``--resume`` reads)."""
    path.write_text(yaml.safe_dump(config, sort_keys=False))

"""Search spaces: ``mlplab train`` options whose value is a range or a list of choices.

A search space is written in the configuration format of ``mlplab train``
(YAML or TOML). An option with a plain value is fixed for every trial; an
option whose value is a mapping is searched::

    dataset: fashion-mnist        # fixed
    epochs: 20                    # fixed
    lr: {low: 1.0e-4, high: 1.0e-2, log: true}     # log-uniform
    dropout: {low: 0.0, high: 0.5, step: 0.1}      # 0.0, 0.1, ..., 0.5
    batch_size: {choices: [64, 128, 256]}
    hidden: {choices: [[256], [512, 256]]}         # hidden layer sizes
    optimizer: {choices: [adam, sgd]}

A range ``{low, high}`` is sampled uniformly, ``log: true`` uniformly in
:math:`\\log x` (``low > 0``), and ``step: s`` on the points
``low, low + s, ..., high``. Integer options (``batch_size``, ``epochs``,
``patience``) draw integers. The grid sampler needs a finite set for every
searched option: ``choices``, an integer range, or a range with a ``step``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..recipe import (
    FLAG,
    OPTIONS,
    SPACE,
    Config,
    Integer,
    Interval,
    Origin,
    RuleViolation,
    check_unknown,
    file_origin,
    read_config_file,
)

if TYPE_CHECKING:
    import optuna

INT_OPTIONS = tuple(name for name, option in OPTIONS.items() if isinstance(option.rule, Integer))
FLOAT_OPTIONS = tuple(name for name, option in OPTIONS.items() if isinstance(option.rule, Interval))
"""Options a range can search: whole numbers draw integers, the others floats."""
FIXED_ONLY = {
    "dataset": "every trial must train on the same data",
    "data_dir": "every trial must train on the same data",
    "download": "it does not change the model",
    "out": "it does not change the model",
    "seed": "a search over seeds fits the validation set's noise",
    "val_fraction": "every trial must be judged on the same validation set",
    "points": "every trial must train on the same data",
    "noise": "every trial must train on the same data",
    "test_fraction": "every trial must train on the same data",
}
"""Options that cannot be searched, and why."""

_RANGE_KEYS = {"low", "high", "log", "step"}


class SearchSpaceError(ValueError):
    """A search space that cannot be searched; the message names the option and the problem."""

    def __init__(self, option_or_message: str, problem: str | None = None) -> None:
        super().__init__(option_or_message if problem is None else f"{option_or_message}: {problem}")


def _number(option: str, key: str, value: Any) -> float:
    """``low``/``high``/``step`` as a number; YAML reads ``1e-4`` (no dot) as a string, so strings are parsed."""
    if isinstance(value, bool):
        raise SearchSpaceError(option, f"{key} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SearchSpaceError(option, f"{key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise SearchSpaceError(option, f"{key} must be finite, got {value!r}")
    return number


def _encode(choice: Any) -> Any:
    """A choice as Optuna stores it (None, bool, int, float or str): layer lists become ``"512-256"``."""
    if isinstance(choice, (list, tuple)):
        return "-".join(str(int(size)) for size in choice) or "none"
    return choice


@dataclass(frozen=True)
class Dimension:
    """One searched option: a range (``low``, ``high``, ``log``, ``step``) or a tuple of ``choices``."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] | None = None

    @property
    def is_int(self) -> bool:
        return self.name in INT_OPTIONS

    @property
    def bounds(self) -> tuple[float, float]:
        """``(low, high)`` of a range."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.name} is searched over choices, not a range")
        return self.low, self.high

    def suggest(self, trial: optuna.Trial) -> Any:
        """Draw this option's value for ``trial`` (through Optuna's sampler) as ``mlplab train`` takes it."""
        if self.choices is not None:
            return self.decode(trial.suggest_categorical(self.name, [_encode(c) for c in self.choices]))
        low, high = self.bounds
        if self.is_int:
            step = int(self.step) if self.step else 1
            return trial.suggest_int(self.name, int(low), int(high), step=step, log=self.log)
        return trial.suggest_float(self.name, low, high, step=self.step, log=self.log)

    def decode(self, stored: Any) -> Any:
        """An ``mlplab train`` option value from the value Optuna stored (``"512-256"`` -> ``[512, 256]``)."""
        if self.choices is None:
            return int(stored) if self.is_int else stored
        choice = self.choices[[_encode(c) for c in self.choices].index(stored)]
        return list(choice) if isinstance(choice, tuple) else choice

    def grid_values(self) -> list[Any]:
        """Every value of a finite dimension, encoded as Optuna stores it."""
        if self.choices is not None:
            return [_encode(c) for c in self.choices]
        low, high = self.bounds
        if self.step is None and self.is_int and not self.log:
            return list(range(int(low), int(high) + 1))
        if self.step is None:
            raise SearchSpaceError(
                self.name,
                f"the grid sampler needs a finite set of values; give choices "
                f"(e.g. {{choices: [{low:g}, {high:g}]}}) or a step",
            )
        count = int(math.floor((high - low) / self.step + 1e-9)) + 1
        values = [low + k * self.step for k in range(count)]
        return [int(round(v)) for v in values] if self.is_int else [round(v, 12) for v in values]

    def contains(self, value: Any) -> bool:
        """Whether ``value`` (an ``mlplab train`` option value) lies in this dimension."""
        if self.choices is not None:
            return _encode(value) in [_encode(c) for c in self.choices]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        low, high = self.bounds
        if not low <= value <= high:
            return False
        return self.step is None or abs((value - low) / self.step - round((value - low) / self.step)) < 1e-9

    def spec(self) -> dict[str, Any]:
        """The mapping this dimension was declared with (for records and for comparing studies)."""
        if self.choices is not None:
            return {"choices": [list(c) if isinstance(c, tuple) else c for c in self.choices]}
        spec: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.log:
            spec["log"] = True
        if self.step is not None:
            spec["step"] = self.step
        return spec


def _check_value(option: str, value: Any) -> Any:
    """A choice or range end as ``mlplab train`` takes it, or the option's rule refusing it (named ``option``)."""
    try:
        return OPTIONS[option].rule.check(value)
    except RuleViolation as violation:
        raise SearchSpaceError(option, str(violation)) from None


def parse_dimension(option: str, spec: Mapping[str, Any]) -> Dimension:
    """A :class:`Dimension` from its mapping, checked: unknown keys, empty choices, ``low >= high``, bad values."""
    if option in FIXED_ONLY:
        raise SearchSpaceError(option, f"cannot be searched: {FIXED_ONLY[option]}")
    keys = set(spec)
    if "choices" in keys:
        if keys != {"choices"}:
            raise SearchSpaceError(option, f"choices cannot be combined with {', '.join(sorted(keys - {'choices'}))}")
        choices = spec["choices"]
        if not isinstance(choices, (list, tuple)) or not choices:
            raise SearchSpaceError(option, f"choices must be a non-empty list, got {choices!r}")
        values = tuple(_check_value(option, choice) for choice in choices)  # canonical: 1e-3 read as text is 0.001
        if len({repr(_encode(v)) for v in values}) != len(values):
            raise SearchSpaceError(option, f"choices must differ, got {list(choices)!r}")
        return Dimension(option, choices=values)
    unknown = keys - _RANGE_KEYS
    if unknown or not {"low", "high"} <= keys:
        raise SearchSpaceError(
            option, f"a searched option is {{low, high[, log][, step]}} or {{choices: [...]}}, got {dict(spec)!r}"
        )
    if option not in INT_OPTIONS and option not in FLOAT_OPTIONS:
        raise SearchSpaceError(option, "a range needs a numeric option; give choices instead")
    low, high = _number(option, "low", spec["low"]), _number(option, "high", spec["high"])
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise SearchSpaceError(option, f"log must be true or false, got {log!r}")
    step = None if spec.get("step") is None else _number(option, "step", spec["step"])
    if low >= high:
        raise SearchSpaceError(option, f"low ({low:g}) must be below high ({high:g})")
    if log and low <= 0:
        raise SearchSpaceError(option, f"a log range needs low > 0, got {low:g}")
    if log and step is not None:
        raise SearchSpaceError(option, "log and step cannot be combined")
    if step is not None and step <= 0:
        raise SearchSpaceError(option, f"step must be > 0, got {step:g}")
    if option in INT_OPTIONS and any(v != int(v) for v in (low, high, step or 1)):
        raise SearchSpaceError(option, "takes whole numbers: low, high and step must be whole numbers")
    for end in (low, high):
        _check_value(option, end)
    return Dimension(option, low=low, high=high, log=log, step=step)


@dataclass(frozen=True)
class SearchSpace:
    """The fixed ``mlplab train`` options of every trial and the searched :class:`Dimension` s."""

    fixed: Config
    dimensions: tuple[Dimension, ...]

    @classmethod
    def from_mapping(
        cls, options: Mapping[str, Any], flags: Mapping[str, Any] | None = None, origin: Origin = SPACE
    ) -> SearchSpace:
        """Split ``options`` (a parsed config file, from ``origin``) into fixed values and searched dimensions.

        ``flags`` (command-line values; ``None`` where not given) fix options on top of the file;
        a flag given for a searched option fixes it, so it is no longer searched.
        """
        options = {str(k).replace("-", "_"): v for k, v in options.items()}
        check_unknown(options, OPTIONS, origin)
        flags = {k: v for k, v in (flags or {}).items() if v is not None}
        searched = {k: v for k, v in options.items() if isinstance(v, Mapping) and k not in flags}
        if not searched:
            raise SearchSpaceError(
                "space", "the search space has no searched option: give at least one as {low, high} or {choices}"
            )
        from_file = {k: v for k, v in options.items() if k not in searched and k not in flags}
        fixed = Config().updated(from_file, origin).updated(flags, FLAG)
        dimensions = tuple(parse_dimension(name, spec) for name, spec in searched.items())
        return cls(fixed=fixed, dimensions=dimensions)

    @classmethod
    def from_file(cls, path: str | Path, flags: Mapping[str, Any] | None = None) -> SearchSpace:
        """A search space from a ``.yaml``/``.yml``/``.toml`` file (the format of ``mlplab train --config``)."""
        return cls.from_mapping(read_config_file(path), flags, file_origin(path))

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def suggest(self, trial: optuna.Trial) -> Config:
        """The ``mlplab train`` configuration for ``trial``: the fixed options and one draw of each dimension."""
        return self.fixed.updated({d.name: d.suggest(trial) for d in self.dimensions}, SPACE)

    def grid(self) -> dict[str, list[Any]]:
        """The grid for :class:`optuna.samplers.GridSampler`; every dimension must be finite."""
        return {d.name: d.grid_values() for d in self.dimensions}

    def grid_size(self) -> int:
        return math.prod(len(values) for values in self.grid().values())

    def baseline(self) -> dict[str, Any] | None:
        """The fixed configuration's own values as trial parameters, if every one lies in the space (else None)."""
        values = {d.name: getattr(self.fixed, d.name) for d in self.dimensions}
        if not all(d.contains(values[d.name]) for d in self.dimensions):
            return None
        return {name: _encode(value) for name, value in values.items()}

    def spec(self) -> dict[str, Any]:
        """The space as a plain mapping: the fixed options, then each dimension's declaration."""
        fixed = {k: v for k, v in self.fixed.to_dict().items() if k not in self.names}
        return {**fixed, **{d.name: d.spec() for d in self.dimensions}}

    def config_for(self, params: Mapping[str, Any]) -> Config:
        """The ``mlplab train`` configuration of a trial's stored parameters (layer lists decoded)."""
        return self.fixed.updated({d.name: d.decode(params[d.name]) for d in self.dimensions}, SPACE)


DEFAULT_SPACE: dict[str, Any] = {
    "hidden": {"choices": [[256], [512, 256], [1024], [1024, 512]]},
    "lr": {"low": 3e-4, "high": 3e-3, "log": True},
    "batch_size": {"choices": [64, 128, 256]},
    "dropout": {"low": 0.0, "high": 0.5},
    "l2": {"choices": [0.0, 1e-5, 1e-4]},
}
"""The search when no ``--config`` is given: widths, rate, batch size, dropout and L2 around the default recipe."""

"""What every lab experiment shares: its context, its claims, its figures and its numbers.

An experiment is a function ``run(lab)`` registered with :func:`experiment`.
It trains real models, draws figures with matplotlib, and tells the
:class:`Lab` what it found:

* ``lab.figure(fig, "curves.png", caption)`` saves a figure (PNG, atomically);
* ``lab.record(name=value, ...)`` keeps numbers (written as ``numbers.json``);
* ``lab.claim(statement, source, supported, evidence)`` states one lecture
  claim, whether the measured numbers support it, and the numbers that decide.

``lab.quick`` asks for a tiny version (small data, few epochs) for tests;
``lab.rng`` is the experiment's seeded generator.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write
from ..plotting import save_figure
from ..registry import Registry


@dataclass
class Claim:
    """One lecture claim and what the experiment measured about it."""

    statement: str
    source: str
    supported: bool
    evidence: str


@dataclass
class Figure:
    """A PNG in the experiment's folder and what it shows."""

    file: str
    caption: str


@dataclass
class ExperimentResult:
    """Everything one run of an experiment produced (saved as ``result.json``)."""

    name: str
    title: str
    quick: bool
    seed: int
    seconds: float = 0.0
    claims: list[Claim] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExperimentResult:
        return cls(
            **{k: v for k, v in data.items() if k not in ("claims", "figures")},
            claims=[Claim(**c) for c in data["claims"]],
            figures=[Figure(**f) for f in data["figures"]],
        )


def jsonable(value: Any) -> Any:
    """NumPy scalars and arrays (also inside dicts, lists and tuples) as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


class Lab:
    """The context an experiment runs in: its folder, size, randomness and findings.

    Parameters
    ----------
    name, title : str
        The experiment's command name and heading.
    out_dir : path
        The experiment's own folder (created).
    quick : bool
        Tiny data and few epochs (for tests); the figures still show every curve.
    seed : int
        Seeds ``rng``; the same seed gives the same numbers.
    """

    def __init__(self, name: str, title: str, out_dir: str | Path, quick: bool = False, seed: int = 0) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.quick = bool(quick)
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)
        self.result = ExperimentResult(name, title, self.quick, self.seed)

    def figure(self, fig: Any, file: str, caption: str) -> Path:
        """Save a matplotlib figure as ``file`` (PNG, written atomically), close it and list it."""
        path = save_figure(fig, self.out_dir / file, bbox_inches="tight")
        self.result.figures.append(Figure(file, caption))
        return path

    def record(self, **numbers: Any) -> None:
        """Keep numbers for ``numbers.json`` (NumPy values are converted)."""
        self.result.numbers.update(jsonable(numbers))

    def claim(self, statement: str, source: str, supported: bool, evidence: str) -> None:
        """State a lecture claim (``source``: the deck, e.g. ``"S0"``), whether the numbers support it, and why."""
        self.result.claims.append(Claim(statement, source, bool(supported), evidence))

    def save(self) -> None:
        """Write ``numbers.json`` and ``result.json`` into the folder (atomically)."""
        for file, payload in (("numbers.json", self.result.numbers), ("result.json", self.result.to_dict())):
            with atomic_write(self.out_dir / file) as f:
                f.write((json.dumps(jsonable(payload), indent=2) + "\n").encode())


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: its command name, heading, the decks it checks and its function."""

    name: str
    title: str
    sources: str
    run: Callable[[Lab], None]

    def __call__(self, out_dir: str | Path, quick: bool = False, seed: int = 0) -> ExperimentResult:
        """Run in ``out_dir`` and save the results; returns them."""
        lab = Lab(self.name, self.title, out_dir, quick, seed)
        start = time.perf_counter()
        self.run(lab)
        lab.result.seconds = time.perf_counter() - start
        lab.save()
        return lab.result


EXPERIMENTS: Registry[Experiment] = Registry("experiment")

ORDER: tuple[str, ...] = (
    "softmax",
    "xor",
    "perceptron",
    "slowdown",
    "activations",
    "init",
    "gradients",
    "gd-modes",
    "optimizers",
    "lr",
    "regularization",
    "perturbation",
    "assignment",
    "nielsen",
    "approximation",
    "binary-multiclass",
)
"""Every experiment's name, in the order of SPEC's list of lecture claims (the report's order)."""


def experiment(name: str, title: str, sources: str) -> Callable[[Callable[[Lab], None]], Callable[[Lab], None]]:
    """Register ``run(lab)`` as the experiment ``name`` (``mlplab lab NAME``)."""

    if name not in ORDER:
        raise ValueError(f"experiment {name!r} is not in the lab's ORDER")

    def register(run: Callable[[Lab], None]) -> Callable[[Lab], None]:
        EXPERIMENTS.register(name)(Experiment(name, title, sources, run))
        return run

    return register

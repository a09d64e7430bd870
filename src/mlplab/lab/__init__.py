"""The lab: every claim of the lectures as an experiment on real runs, with figures and a report.

``mlplab lab NAME`` runs one experiment, ``mlplab lab all`` runs them all and
writes ``report.html``. From Python::

    from mlplab.lab import run_experiments
    results = run_experiments(["softmax", "xor"], "lab-out", quick=True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from . import experiments  # noqa: F401  (registers every experiment)
from .base import EXPERIMENTS, ORDER, Claim, Experiment, ExperimentResult, Figure, Lab, experiment
from .report import write_report


def available() -> list[str]:
    """The registered experiments, in the lectures' order."""
    return [name for name in ORDER if name in EXPERIMENTS]


def run_experiments(
    names: Sequence[str],
    out_dir: str | Path,
    *,
    quick: bool = False,
    seed: int = 0,
    log: Callable[[str], None] = lambda message: None,
) -> list[ExperimentResult]:
    """Run ``names`` (``["all"]`` for every one) into ``out_dir/NAME/`` and write ``out_dir/report.html``.

    The report is rewritten after each experiment, so an interrupted run keeps the finished ones.
    """
    names = available() if list(names) == ["all"] else [EXPERIMENTS.get(n).name for n in names]
    out_dir = Path(out_dir)
    results = []
    for name in names:
        log(f"{name}: running")
        result = EXPERIMENTS.get(name)(out_dir / name, quick=quick, seed=seed)
        supported = sum(c.supported for c in result.claims)
        log(f"{name}: {supported} of {len(result.claims)} claims supported, {result.seconds:.1f} s")
        results.append(result)
        write_report(results, out_dir)  # after each one, so an interrupted run still has its report
    return results


__all__ = [
    "EXPERIMENTS",
    "ORDER",
    "Claim",
    "Experiment",
    "ExperimentResult",
    "Figure",
    "Lab",
    "available",
    "experiment",
    "run_experiments",
    "write_report",
]

"""What a search leaves in its folder: ``trials.csv``, ``best.yaml``, the history and importance plots, ``report.md``."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import yaml
from optuna.trial import FrozenTrial, TrialState

from .._atomic import atomic_write
from ..plotting import pyplot, save_figure
from ..recipe import Config
from .study import FAIL_REASON

TRIAL_COLUMNS = ("number", "state", "value", "epochs", "best_epoch", "seconds", "worker")


def trial_rows(study: optuna.Study, names: list[str]) -> list[dict[str, Any]]:
    """One row per trial: number, state, value, epochs run, best epoch, seconds, worker, parameters, reason."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        state = trial.state.name.lower()
        if trial.state == TrialState.FAIL and FAIL_REASON not in trial.user_attrs:
            state = "interrupted"
        row: dict[str, Any] = {
            "number": trial.number,
            "state": state,
            "value": trial.value,
            "epochs": trial.user_attrs.get("epochs", len(trial.intermediate_values) or None),
            "best_epoch": trial.user_attrs.get("best_epoch"),
            "seconds": trial.user_attrs.get(
                "seconds", round(trial.duration.total_seconds(), 2) if trial.duration else None
            ),
            "worker": trial.user_attrs.get("worker"),
        }
        row.update({name: trial.params.get(name) for name in names})
        row["fail_reason"] = trial.user_attrs.get(FAIL_REASON, "")
        rows.append(row)
    return rows


def write_trials_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    """All trials as CSV (written whole or not at all)."""
    text = io.StringIO()
    if rows:
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with atomic_write(path) as file:
        file.write(text.getvalue().encode())
    return path


def write_best_config(config: Config, path: Path, comment: str) -> Path:
    """The best configuration as a YAML file that ``mlplab train --config`` reads as it is."""
    text = "".join(f"# {line}\n" for line in comment.splitlines()) + yaml.safe_dump(config.to_dict(), sort_keys=False)
    with atomic_write(path) as file:
        file.write(text.encode())
    return path


def plot_history(study: optuna.Study, metric: str, path: Path) -> Path:
    """Each finished trial's value by trial number, and the best so far, the way the search converged."""
    plt = pyplot()
    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    fig, ax = plt.subplots(figsize=(7, 4))
    if done:
        numbers = [t.number for t in done]
        values = np.array([t.value for t in done])
        best = np.maximum.accumulate(values) if study.direction.name == "MAXIMIZE" else np.minimum.accumulate(values)
        ax.plot(numbers, values, "o", color="tab:blue", label="complete trial")
        ax.step(numbers, best, where="post", color="tab:red", label="best so far")
    pruned = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.PRUNED and t.intermediate_values]
    if pruned:
        last = [t.intermediate_values[max(t.intermediate_values)] for t in pruned]
        ax.plot([t.number for t in pruned], last, "x", color="tab:gray", label="pruned (last epoch's value)")
    ax.set(xlabel="trial", ylabel=metric, title="Optimization history")
    if done or pruned:
        ax.legend()
    fig.tight_layout()
    save_figure(fig, path)
    return path


def parameter_importances(study: optuna.Study) -> dict[str, float]:
    """Each searched parameter's share of the variance of the metric (fANOVA with scikit-learn, else PED-ANOVA).

    Empty when there are too few complete trials to say.
    """
    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if len(done) < 3:
        return {}
    try:
        import sklearn  # noqa: F401

        evaluator: optuna.importance.BaseImportanceEvaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    except ImportError:
        evaluator = optuna.importance.PedAnovaImportanceEvaluator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
        except (ValueError, RuntimeError):
            return {}


def plot_importances(importances: dict[str, float], path: Path) -> Path:
    """A horizontal bar per parameter, the most important on top."""
    plt = pyplot()
    names = list(importances)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.5 * len(names) + 1.5))
    ax.barh(names, [importances[n] for n in names], color="tab:blue")
    ax.set(xlabel="importance (share of the metric's variance)", title="Parameter importances")
    fig.tight_layout()
    save_figure(fig, path)
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_report(
    out_dir: Path,
    *,
    study: optuna.Study,
    summary: dict[str, Any],
    rows: list[dict[str, Any]],
    figures: list[tuple[str, Path]],
    final: dict[str, Any] | None,
) -> Path:
    """``report.md``: the search's settings and outcome, the best configuration, the figures and every trial."""
    lines = [f"# mlplab tune: {summary['study']}", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {_cell(value)} |" for key, value in summary.items()]
    if final:
        lines += [
            "",
            "## The best configuration, retrained on training + validation data",
            "",
            f"Test accuracy **{final['test_accuracy']:.4f}** (test loss {final['test_loss']:.4f}) after "
            f"{final['epochs']} epochs; run folder `{final['run_dir']}`.",
        ]
    for caption, path in figures:
        lines += ["", f"## {caption}", "", f"![{caption}]({path.name})"]
    if rows:
        header = list(rows[0])
        lines += ["", "## Trials", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_cell(row[k]) for k in header) + " |" for row in rows]
    path = out_dir / "report.md"
    with atomic_write(path) as file:
        file.write(("\n".join(lines) + "\n").encode())
    return path


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    """The best complete trial, or None when none completed."""
    try:
        return study.best_trial
    except ValueError:
        return None

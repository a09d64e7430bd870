"""``tune()``: run a hyper-parameter search end to end and write its results folder."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from .._atomic import write_text
from ..recipe import Config
from .final import retrain_and_test
from .objective import TrainObjective, direction_of, forget_training_data, training_data
from .results import (
    best_trial,
    parameter_importances,
    plot_history,
    plot_importances,
    trial_rows,
    write_best_config,
    write_report,
    write_trials_csv,
)
from .space import SearchSpace, SearchSpaceError
from .study import SAMPLERS, budget_left, make_pruner, open_storage, open_study, requeue_interrupted
from .workers import WorkerPlan, run_workers, stop_requests, threads_per_worker

LOCAL_ONLY = ("out", "data_dir", "download")
"""Options that may differ between machines joining one study."""


@dataclass
class TuneResult:
    """What a search found: the study, the best trial's value and configuration, and where its files are."""

    study: optuna.Study
    metric: str
    best_value: float | None
    best_number: int | None
    best_config: Config | None
    states: dict[str, int]
    final: dict[str, Any] | None
    out_dir: Path
    search_seconds: float
    seconds: float

    def summary(self) -> dict[str, Any]:
        """The outcome as one JSON-able mapping (what ``mlplab tune --json`` prints)."""
        return {
            "study": self.study.study_name,
            "metric": self.metric,
            "best_value": self.best_value,
            "best_trial": self.best_number,
            "trials": self.states,
            "test_accuracy": None if self.final is None else self.final["test_accuracy"],
            "best_config": str(self.out_dir / "best.yaml") if self.best_config else None,
            "report": str(self.out_dir / "report.md"),
            "search_seconds": round(self.search_seconds, 1),
            "seconds": round(self.seconds, 1),
        }


@contextlib.contextmanager
def folder_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``OUT/.tune.lock`` so that two searches never drive one results folder (its journal) at once."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(out_dir / ".tune.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"another mlplab tune is running in {out_dir}; wait for it or use another --out"
            ) from None
        yield


def stored_space(storage_url: str, study_name: str, flags: dict[str, Any] | None = None) -> SearchSpace:
    """The search space an existing study was created with (for a worker that joins it without ``--config``)."""
    storage = open_storage(storage_url, Path("."))
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise SearchSpaceError(f"no study {study_name!r} in {storage_url}: give --config to create it") from None
    search = study.user_attrs.get("search")
    if search is None:
        raise SearchSpaceError(f"study {study_name!r} was not created by mlplab tune; give --config")
    return SearchSpace.from_mapping(search["space"], flags)


def tune(
    space: SearchSpace,
    out_dir: str | Path,
    *,
    sampler: str | None = None,
    n_trials: int | None = None,
    metric: str | None = None,
    pruner: str = "median",
    workers: int = 1,
    storage: str | None = None,
    study_name: str = "mlplab-tune",
    seed: int = 0,
    final: bool = True,
    verbose: bool = True,
) -> TuneResult:
    """Search ``space`` with Optuna, write the results folder, retrain the best configuration and test it once.

    Parameters
    ----------
    space : SearchSpace
        Fixed ``mlplab train`` options and searched dimensions.
    out_dir : path
        Results folder: ``study.journal`` (the default storage), ``trials.csv``, ``best.yaml``,
        ``history.png``, ``importance.png``, ``report.md``, ``result.json`` and ``final/``.
    sampler : {"tpe", "random", "grid"}, optional
        TPE is Bayesian optimization (a tree-structured Parzen estimator); grid visits every point
        once. Default: the study's own when it exists, else ``"tpe"``.
    n_trials : int, optional
        Trials of the whole study (default 20; the grid's size for ``grid``, never more). Running
        the search again with the same folder continues it up to this number.
    metric : {"val_accuracy", "val_loss"}, optional
        Validation metric to optimize; the test set is never used to choose. Default: the study's
        own when it exists, else ``"val_accuracy"``.
    pruner : {"median", "halving", "none"}
        How unpromising trials are stopped early from their per-epoch validation metric.
    workers : int
        Worker processes on this machine; they share the cores (BLAS threads split between them).
        They are started with ``spawn``: a script calling ``tune(workers=2)`` needs an
        ``if __name__ == "__main__":`` guard.
    storage : str, optional
        Database URL (``postgresql://user:password@host/db``) for a study shared by several machines;
        default a journal file in ``out_dir``.
    study_name, seed, final, verbose
        Study name in the storage; sampler seed; whether to retrain and test the best configuration;
        whether to print a line per trial.
    """
    if sampler is not None and sampler not in SAMPLERS:
        raise SearchSpaceError(f"unknown sampler {sampler!r}; valid: {', '.join(SAMPLERS)}")
    make_pruner(pruner)
    if metric is not None:
        direction_of(metric)
    if int(workers) < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    if n_trials is not None and int(n_trials) < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Ctrl-C and SIGTERM interrupt the search at once, except within a storage call (see StopRequest)
    with folder_lock(out_dir), stop_requests(at_once=True) as stop:
        training_data(space.fixed)  # a missing image set's stand-in is announced once, here
        if workers > 1:
            forget_training_data()  # the workers load their own copy
        study = open_study(storage, out_dir, study_name, direction_of(metric or "val_accuracy"), wrap=stop.shield)
        stop.shield(study._storage)  # on a database, Optuna's cache in front of it
        sampler, metric = _settle(study, space, sampler, metric)
        budget = int(n_trials or 20)
        if sampler == "grid":
            budget = min(n_trials or space.grid_size(), space.grid_size())
        baseline = space.baseline() if sampler != "grid" else None
        if baseline is not None and not study.get_trials(deepcopy=False):
            study.enqueue_trial(baseline, user_attrs={"baseline": True}, skip_if_exists=True)
        requeue_interrupted(
            study,
            stale_running=storage is None,
            host=None if storage is None else socket.gethostname(),
            budget=budget,
        )
        trials_so_far = len(study.get_trials(deepcopy=False))
        machine = 0 if storage is None else zlib.crc32(f"{socket.gethostname()}:{os.getpid()}".encode()) % 1_000_000
        n_workers = min(int(workers), max(1, budget_left(study, budget)))
        plans = [
            WorkerPlan(
                storage_url=storage,
                out_dir=out_dir,
                study_name=study_name,
                sampler=sampler,
                space=space,
                seed=seed + machine + 1000 * k + trials_so_far,
                pruner=pruner,
                n_trials=budget,
                objective=TrainObjective(space, metric),
                threads=threads_per_worker(n_workers),
                verbose=verbose,
                n_startup_trials=max(3, min(10, budget // 3)),
            )
            for k in range(n_workers)
        ]
        run_workers(plans, stop)
        search_seconds = time.perf_counter() - start
        result = _write_results(study, space, metric, out_dir, final, verbose, search_seconds, sampler)
        result.seconds = time.perf_counter() - start
        write_text(out_dir / "result.json", json.dumps(result.summary(), indent=1) + "\n")
        return result


def _settle(study: optuna.Study, space: SearchSpace, sampler: str | None, metric: str | None) -> tuple[str, str]:
    """The sampler and metric: those asked for, else the study's own; record them on a new study.

    A study continued with another space, metric or sampler is refused, naming what differs.
    """
    stored = study.user_attrs.get("search")
    sampler = sampler or study.user_attrs.get("sampler") or "tpe"
    metric = metric or (stored or {}).get("metric") or "val_accuracy"
    search = {"space": {k: v for k, v in space.spec().items() if k not in LOCAL_ONLY}, "metric": metric}
    if stored is None:  # "search" last: a study stopped in between is settled again by the next start
        study.set_user_attr("sampler", sampler)
        study.set_user_attr("search", search)
        return sampler, metric
    differ = [
        name
        for name, ours, theirs in (
            ("search space", search["space"], stored["space"]),
            ("metric", metric, stored["metric"]),
            ("sampler", sampler, study.user_attrs.get("sampler")),
        )
        if ours != theirs
    ]
    if differ:
        raise SearchSpaceError(
            f"study {study.study_name!r} in this storage was created with another {' and '.join(differ)}; "
            "use another --out or --study, or the same settings to continue it"
        )
    return sampler, metric


def _write_results(
    study: optuna.Study,
    space: SearchSpace,
    metric: str,
    out_dir: Path,
    final: bool,
    verbose: bool,
    search_seconds: float,
    sampler: str,
) -> TuneResult:
    """``trials.csv``, ``best.yaml``, the plots, the retrained best model and ``report.md``."""
    rows = trial_rows(study, space.names)
    write_trials_csv(rows, out_dir / "trials.csv")
    states = {s.name.lower(): 0 for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)}
    for row in rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    figures = [("Optimization history", plot_history(study, metric, out_dir / "history.png"))]
    importances = parameter_importances(study)
    if importances:
        figures.append(("Parameter importances", plot_importances(importances, out_dir / "importance.png")))
    best = best_trial(study)
    best_config = final_result = None
    if best is not None:
        best_config = space.config_for(best.params)
        comment = (
            f"best of {len(rows)} trials of study {study.study_name}: {metric} {best.value:.4f} (trial {best.number})\n"
            f"train it with: mlplab train --config {out_dir / 'best.yaml'}"
        )
        write_best_config(best_config, out_dir / "best.yaml", comment)
        if final:
            if verbose:
                print(f"retraining trial {best.number}'s configuration on training + validation data ...", flush=True)
            epochs = int(best.user_attrs.get("best_epoch", best_config.epochs))
            final_result = retrain_and_test(best_config, epochs, out_dir / "final")
    summary = {
        "study": study.study_name,
        "sampler": sampler,
        "metric": metric,
        "trials": ", ".join(f"{n} {state}" for state, n in states.items() if n),
        "best trial": None if best is None else best.number,
        f"best {metric}": None if best is None else best.value,
        "importances": ", ".join(f"{k} {v:.2f}" for k, v in importances.items()),
        "search seconds (this run)": round(search_seconds, 1),
    }
    write_report(out_dir, study=study, summary=summary, rows=rows, figures=figures, final=final_result)
    return TuneResult(
        study,
        metric,
        None if best is None else best.value,
        None if best is None else best.number,
        best_config,
        states,
        final_result,
        out_dir,
        search_seconds,
        search_seconds,
    )

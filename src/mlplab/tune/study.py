"""The Optuna study behind ``mlplab tune``: storage, sampler, pruner, the trial budget and the workers.

Storage is a journal file in the output folder by default (Optuna's
``JournalFileBackend``: an append-only log that several processes on one
machine share through a file lock), or a database URL
(``postgresql://user:password@host/db``) that workers on several machines join.

The budget ``n_trials`` counts the trials of the whole study that ran to an
end of their own (complete, pruned, or failed with a reason) or are running.
A trial cut short by Ctrl-C or a killed worker does not count: when the search
is started again its parameters are queued and run again, so an interrupted
search resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from .space import SearchSpace, SearchSpaceError

SAMPLERS = ("grid", "random", "tpe")
PRUNERS = ("median", "halving", "none")
FAIL_REASON = "fail_reason"
"""User attribute holding why a trial failed; a failed trial without it was interrupted."""
HEARTBEAT_SECONDS = 30
"""How often a trial on a database tells it is alive; one silent for 4 beats is failed and queued again."""


def open_storage(url: str | None, out_dir: Path) -> optuna.storages.BaseStorage:
    """The study's storage: ``OUT/study.journal`` by default, else the database at ``url``."""
    if url is None:
        backend = optuna.storages.journal.JournalFileBackend(str(out_dir / "study.journal"))
        return optuna.storages.JournalStorage(backend)
    if url.endswith(".journal"):
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(url))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=HEARTBEAT_SECONDS,
            grace_period=4 * HEARTBEAT_SECONDS,
            heartbeat_stale_trial_callback=requeue,
        )


def make_sampler(kind: str, space: SearchSpace, seed: int, n_startup_trials: int = 10) -> optuna.samplers.BaseSampler:
    """``grid`` (every point once, in one fixed shuffled order), ``random``, or ``tpe`` (Bayesian: a tree-structured Parzen estimator)."""
    if kind == "grid":  # one shuffle of the grid for every worker and every resume: grid ids index into it
        return optuna.samplers.GridSampler(space.grid(), seed=0)
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup_trials, constant_liar=True)
    raise SearchSpaceError(f"unknown sampler {kind!r}; valid: {', '.join(SAMPLERS)}")


def make_pruner(kind: str, n_startup_trials: int = 5, warmup_epochs: int = 2) -> optuna.pruners.BasePruner:
    """``median`` (stop a trial worse than the median of earlier trials at the same epoch), ``halving``, ``none``."""
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=warmup_epochs)
    if kind == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=max(1, warmup_epochs))
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise SearchSpaceError(f"unknown pruner {kind!r}; valid: {', '.join(PRUNERS)}")


def counts_toward_budget(trial: FrozenTrial) -> bool:
    """Whether a trial has used up budget: running or ended, unless interrupted (failed with no reason of its own).

    Queued (waiting) trials do not count yet: the workers' shares run them first.
    """
    if trial.state == TrialState.WAITING:
        return False
    return trial.state != TrialState.FAIL or FAIL_REASON in trial.user_attrs


def was_interrupted(trial: FrozenTrial) -> bool:
    return trial.state == TrialState.FAIL and FAIL_REASON not in trial.user_attrs


def budget_left(study: optuna.Study, n_trials: int) -> int:
    return max(0, n_trials - sum(counts_toward_budget(t) for t in study.get_trials(deepcopy=False)))


def requeue_interrupted(study: optuna.Study, *, stale_running: bool) -> list[int]:
    """Queue again the parameters of interrupted trials not yet retried; returns their numbers.

    With ``stale_running`` (a study only this process uses), trials still marked
    running were left by a killed worker: they are first marked failed.
    """
    trials = study.get_trials(deepcopy=False)
    if stale_running:
        for trial in trials:
            if trial.state == TrialState.RUNNING:
                study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        trials = study.get_trials(deepcopy=False)
    retried = {t.system_attrs.get("failed_trial") for t in trials}
    interrupted = [t for t in trials if was_interrupted(t) and t.number not in retried]
    for trial in interrupted:
        requeue(study, trial)
    return [t.number for t in interrupted]


def requeue(study: optuna.Study, trial: FrozenTrial) -> None:
    """Queue a new trial with ``trial``'s parameters (and grid point), marked as the retry of ``trial``."""
    study.add_trial(
        optuna.trial.create_trial(
            state=TrialState.WAITING,
            params=trial.params,
            distributions=trial.distributions,
            system_attrs={**trial.system_attrs, "failed_trial": trial.number},
        )
    )


def _schema_race(error: Exception) -> bool:
    """Whether ``error`` is two processes creating the tables of a fresh database at once."""
    text = str(error)
    return "already exists" in text or "duplicate key" in text or "UNIQUE constraint" in text


def open_study(storage_url: str | None, out_dir: Path, name: str, direction: str, record: dict[str, Any]) -> optuna.Study:
    """Create the study, or load it and check it was created for the same search (``record``).

    Two processes creating the tables of a fresh database at once can collide;
    the loser tries again a moment later, when the tables exist.
    """
    for attempt in range(5):
        try:
            storage = open_storage(storage_url, out_dir)
            study = optuna.create_study(storage=storage, study_name=name, direction=direction, load_if_exists=True)
            break
        except Exception as error:
            if attempt == 4 or not _schema_race(error):
                raise
            time.sleep(0.5 + attempt)
    stored = study.user_attrs.get("search")
    if stored is None:
        for key, value in record.items():
            study.set_user_attr(key, value)
    elif stored != record["search"] or study.direction.name.lower() != direction:
        raise SearchSpaceError(
            f"study {name!r} in this storage holds a different search (space, metric or dataset); "
            "use another --out or --study, or the same settings to continue it"
        )
    return study


@dataclass
class WorkerPlan:
    """What one worker process needs to join the study (picklable, for ``spawn``)."""

    storage_url: str | None
    out_dir: Path
    study_name: str
    sampler: str
    space: SearchSpace
    seed: int
    pruner: str
    n_trials: int
    share: int
    objective: Callable[[optuna.Trial], float]
    threads: int | None = None
    verbose: bool = True
    n_startup_trials: int = 10


def _print_trial(study: optuna.Study, trial: FrozenTrial) -> None:
    seconds = trial.duration.total_seconds() if trial.duration else 0.0
    params = "  ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items())
    if trial.state == TrialState.COMPLETE:
        outcome = f"{trial.value:.4f}"
    elif trial.state == TrialState.PRUNED:
        outcome = f"pruned after {len(trial.intermediate_values)} epochs"
    else:
        outcome = f"failed: {trial.user_attrs.get(FAIL_REASON, 'interrupted')}"
    print(f"trial {trial.number:3d}  {outcome}  ({seconds:.1f} s)  {params}", flush=True)


def _stop_at_budget(n_trials: int) -> Callable[[optuna.Study, FrozenTrial], None]:
    """Stop this worker once the study (all workers, all machines) has used the budget."""

    def callback(study: optuna.Study, trial: FrozenTrial) -> None:
        if budget_left(study, n_trials) == 0:
            study.stop()

    return callback


def run_worker(plan: WorkerPlan) -> None:
    """Run up to ``plan.share`` trials of the study in this process (the body of every worker)."""
    from threadpoolctl import threadpool_limits

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = open_storage(plan.storage_url, plan.out_dir)
    sampler = make_sampler(plan.sampler, plan.space, plan.seed, plan.n_startup_trials)
    study = optuna.load_study(study_name=plan.study_name, storage=storage, sampler=sampler, pruner=make_pruner(plan.pruner))
    callbacks = [_stop_at_budget(plan.n_trials)]
    if plan.verbose:
        callbacks.insert(0, _print_trial)
    with threadpool_limits(plan.threads) if plan.threads else contextlib.nullcontext():
        study.optimize(plan.objective, n_trials=plan.share, catch=(Exception,), callbacks=callbacks, gc_after_trial=False)


def _worker_process(plan: WorkerPlan) -> None:
    try:
        run_worker(plan)
    except KeyboardInterrupt:  # the coordinator reports the interruption
        sys.exit(130)


def shares(total: int, workers: int) -> list[int]:
    """Split ``total`` trials over ``workers`` as evenly as possible (the first ones get one more)."""
    return [total // workers + (k < total % workers) for k in range(workers)]


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_workers(plans: list[WorkerPlan]) -> None:
    """Run one worker in this process, or several as separate processes, and wait for all of them."""
    plans = [p for p in plans if p.share > 0]
    if len(plans) <= 1:
        for plan in plans:
            run_worker(plan)
        return
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker_process, args=(plan,), name=f"mlplab-tune-{k}") for k, plan in enumerate(plans)]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        for process in processes:
            process.join(timeout=30)
        raise
    failed = [p for p in processes if p.exitcode not in (0, None)]
    if any(p.exitcode == 130 for p in failed):
        raise KeyboardInterrupt
    if failed:
        raise RuntimeError(f"{len(failed)} worker process(es) ended with an error (exit codes {[p.exitcode for p in failed]})")


def threads_per_worker(workers: int) -> int | None:
    """BLAS threads per worker so that ``workers`` processes share the cores without oversubscription."""
    return None if workers <= 1 else max(1, math.floor(usable_cores() / workers))

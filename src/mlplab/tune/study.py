"""The Optuna study behind ``mlplab tune``: storage, sampler, pruner, the trial budget, interrupted trials.

Storage is a journal file in the output folder by default (Optuna's
``JournalFileBackend``: an append-only log that several processes on one
machine share through a file lock), or a database URL
(``postgresql://user:password@host/db``) that workers on several machines join.

The budget ``n_trials`` counts the trials of the whole study that ran to an
end of their own (complete, pruned, or failed with a reason) or are running.
A trial cut short by Ctrl-C or a killed worker does not count: when the search
is started again its parameters are queued and run again, so an interrupted
search resumes where it stopped. A queued (waiting) trial counts once a worker
runs it; no more are queued than the budget has room for, so a search never
ends with trials left waiting, and those not queued yet are queued by a later
start with a larger budget.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.storages.journal import JournalFileBackend
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from .space import SearchSpace, SearchSpaceError

SAMPLERS = ("grid", "random", "tpe")
PRUNERS = ("median", "halving", "none")
FAIL_REASON = "fail_reason"
"""User attribute holding why a trial failed; a failed trial without it was interrupted."""
LEFT_RUNNING = "left_running"
"""System attribute of a trial a killed worker left marked running (failed when the search starts again)."""
HEARTBEAT_SECONDS = 30
"""How often a trial on a database tells it is alive; one silent for 4 beats is failed and queued again."""


def open_storage(url: str | None, out_dir: Path) -> optuna.storages.BaseStorage:
    """The study's storage: ``OUT/study.journal`` by default, else the database at ``url``."""
    if url is None:
        backend = JournalFileBackend(str(out_dir / "study.journal"))
        return optuna.storages.JournalStorage(backend)
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
        sampler = optuna.samplers.GridSampler(space.grid(), seed=0)
        sampler.reseed_rng()  # but each worker's own draw among the points left after a resume
        return sampler
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


def caused_by_interrupt(error: BaseException) -> bool:
    """Whether ``error`` was raised while a ``KeyboardInterrupt`` was handled (a clean-up that failed on the way
    out, such as Optuna's journal lock): the trial was interrupted, it did not fail."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def budget_left(study: optuna.Study, n_trials: int) -> int:
    return max(0, n_trials - sum(counts_toward_budget(t) for t in study.get_trials(deepcopy=False)))


def requeue_interrupted(
    study: optuna.Study, *, stale_running: bool, host: str | None = None, budget: int | None = None
) -> list[int]:
    """Queue again the parameters of interrupted trials, once each; returns the numbers of those queued.

    With ``stale_running`` (a study only this process uses), trials still marked
    running were left by a killed worker: they are first marked failed. With
    ``host`` (a study shared by machines), only trials of this machine's workers
    are queued, so that two machines never queue the same one. A retry that is
    interrupted again (Ctrl-C) is queued again; a retry whose worker was killed
    is not: a configuration that kills its worker is not run forever. With
    ``budget``, no more trials wait than the budget has room for (oldest first);
    the others stay interrupted, to be queued by a later start.
    """
    trials = study.get_trials(deepcopy=False)
    if stale_running:
        for trial in trials:
            if trial.state == TrialState.RUNNING:
                study._storage.set_trial_system_attr(trial._trial_id, LEFT_RUNNING, True)
                study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        trials = study.get_trials(deepcopy=False)
    retried = {t.system_attrs.get("failed_trial") for t in trials}
    interrupted = [
        t
        for t in trials
        if was_interrupted(t)
        and t.number not in retried
        and not ("failed_trial" in t.system_attrs and t.system_attrs.get(LEFT_RUNNING))
        and (host is None or str(t.user_attrs.get("worker", "")).startswith(f"{host}:"))
    ]
    if budget is not None:
        waiting = sum(t.state == TrialState.WAITING for t in trials)
        interrupted = interrupted[: max(0, budget_left(study, budget) - waiting)]
    for trial in interrupted:
        requeue(study, trial)
    return [t.number for t in interrupted]


def requeue(study: optuna.Study, trial: FrozenTrial) -> None:
    """Queue a new trial with ``trial``'s parameters (and grid point), marked as the retry of ``trial``."""
    system_attrs = {k: v for k, v in trial.system_attrs.items() if k != LEFT_RUNNING}
    study.add_trial(
        optuna.trial.create_trial(
            state=TrialState.WAITING,
            params=trial.params,
            distributions=trial.distributions,
            system_attrs={**system_attrs, "failed_trial": trial.number},
        )
    )


def _schema_race(error: Exception) -> bool:
    """Whether ``error`` is two processes creating the tables of a fresh database at once."""
    text = str(error)
    return "already exists" in text or "duplicate key" in text or "UNIQUE constraint" in text


def open_study(
    storage_url: str | None,
    out_dir: Path,
    name: str,
    direction: str,
    wrap: Callable[[optuna.storages.BaseStorage], optuna.storages.BaseStorage] | None = None,
) -> optuna.Study:
    """Create the study (``direction`` for a new one), or load it; ``wrap`` is applied to the storage first.

    Two processes creating the tables of a fresh database at once can collide;
    the loser tries again a moment later, when the tables exist.
    """

    def create() -> optuna.Study:
        storage = open_storage(storage_url, out_dir)
        if wrap is not None:
            storage = wrap(storage)
        return optuna.create_study(
            storage=storage, study_name=name, direction=StudyDirection[direction.upper()], load_if_exists=True
        )

    for attempt in range(4):
        try:
            return create()
        except Exception as error:
            if not _schema_race(error):
                raise
            time.sleep(0.5 + attempt)
    return create()

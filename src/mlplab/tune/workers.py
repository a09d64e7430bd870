"""The workers of a search: each runs trials until the study's budget is used, alone or in separate processes.

Before each trial a worker takes the folder's budget lock (a file lock in the
output folder), counts the study's trials and, if budget is left, starts one;
the lock is released as soon as the trial is registered as running. So the
workers of one machine never run more than the budget between them. Workers
on other machines have their own folders: two that start a trial at the same
moment may run one trial beyond the budget, never one trial twice.

On a database a worker that finds no budget left waits while trials of other
machines are still running: one whose machine died is failed by its stale
heartbeat and queued again, and this worker runs it. So each machine stops
when the study is complete, and writes its results from the whole study.

Ctrl-C and SIGTERM reach a worker through :class:`StopRequest`, in worker
processes and in the one worker that runs in the search's own process alike:
a trial that trains is interrupted at once, but a call to Optuna's storage is
never cut short, so every trial ends recorded (complete, failed, or
interrupted) and an interrupted one is never mistaken for a failure.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from .space import SearchSpace
from .study import FAIL_REASON, budget_left, caused_by_interrupt, make_pruner, make_sampler, open_storage

WAIT_SECONDS = 5.0
"""How often a worker on a database looks again for trials left by other machines."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals a worker takes as a request to stop (see :class:`StopRequest`)."""
STOP_SECONDS = 60.0
"""How long the search waits for told workers to record their trials and end before it kills them (a last resort)."""


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
    objective: Callable[[optuna.Trial], float]
    threads: int | None = None
    verbose: bool = True
    n_startup_trials: int = 10


class BudgetLock:
    """``OUT/.budget.lock``: held from counting the trials until the next trial is running."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".budget.lock"
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock, the budget may be overshot by a trial
            return
        self._handle = open(self.path, "w")
        fcntl.flock(self._handle, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None


class StopRequest:
    """Ctrl-C (SIGINT) or SIGTERM, acted on where no trial can be left marked running and no storage call is cut short.

    In a worker, while a trial trains, the signal interrupts it at once: Optuna records the trial
    as failed without a reason, that is, interrupted. While Optuna creates a trial, samples its
    parameters or records its result, the signal only sets :attr:`requested`; the trial's
    objective then stops before training, or the worker stops once the trial is recorded. The
    interrupt is raised once; later signals only repeat the request.

    A call to the study's storage is never cut short, not even while the trial trains (it reports
    epochs and sets attributes), nor in the search's own process: an interrupt inside Optuna's
    journal could leave its file lock held or take another process's, and Optuna turns an
    interrupt that lands as it releases the lock into a ``FileNotFoundError``, which reads as a
    trial's own failure (counted against the budget, never run again) or as the search's error.
    Calls of a storage passed to :meth:`shield`, and blocks under :meth:`deferred`, end first;
    the interrupt comes as soon as they have.

    ``at_once`` (the search's own process) interrupts wherever else the signal lands, every time
    it comes, as Ctrl-C does.
    """

    def __init__(self, *, at_once: bool = False) -> None:
        self.requested = False
        self.training = at_once
        """Whether the signal interrupts at once (outside storage calls): while a trial trains, or ``at_once``."""
        self.repeat = at_once
        self.raised = False
        self._depth = 0
        self._pending = False

    def __call__(self, signum: int, frame: Any) -> None:
        self.requested = True
        self._pending = True
        if self.training and not self._depth:
            self._interrupt()

    def _interrupt(self) -> None:
        if self.repeat or not self.raised:
            self.raised = True
            self._pending = False
            raise KeyboardInterrupt

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if a stop was requested."""
        if self.requested:
            self.raised = True
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Within the block, run from the main thread, a signal waits for the block's end."""
        if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
            yield
            return
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._pending and self.training and not self._depth:
                self._interrupt()  # the signal that came within the block, now that it is over

    def shield(self, storage: Any) -> Any:
        """Let every call of ``storage``'s public methods run to its end before a signal interrupts
        (the storage object itself is changed, so that Optuna's own calls are covered)."""
        if getattr(storage, "_mlplab_shielded", False):
            return storage
        for name in dir(type(storage)):
            if not name.startswith("_") and inspect.isfunction(inspect.getattr_static(type(storage), name, None)):
                setattr(storage, name, self._shielded(getattr(storage, name)))
        storage._mlplab_shielded = True
        return storage

    def _shielded(self, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            with self.deferred():
                return method(*args, **kwargs)

        return call

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when a stop is requested meanwhile."""
        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


@contextlib.contextmanager
def stop_requests(*, at_once: bool = False) -> Iterator[StopRequest]:
    """Within the block, SIGINT and SIGTERM to this process are a :class:`StopRequest` (the one yielded).

    ``at_once`` for the search's own process, else for the worker that runs in it. Outside the
    main thread the signals are left alone.
    """
    stop = StopRequest(at_once=at_once)
    previous = {}
    try:
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, stop)
    except ValueError:  # not the main thread
        pass
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


class _GuardedObjective:
    """The objective, releasing the budget lock first (Optuna has registered the trial as running by then),
    and recording why it failed when it raises, so that only an interrupted trial fails without a reason."""

    def __init__(self, objective: Callable[[optuna.Trial], float], lock: BudgetLock, stop: StopRequest) -> None:
        self.objective, self.lock, self.stop = objective, lock, stop

    def __call__(self, trial: optuna.Trial) -> float:
        self.lock.release()
        try:
            self.stop.training = True
            self.stop.check()
            return self.objective(trial)
        except optuna.TrialPruned:
            raise
        except Exception as error:
            if caused_by_interrupt(error):  # an error raised while an interrupt was handled: interrupted
                raise KeyboardInterrupt from error
            if FAIL_REASON not in trial.user_attrs:
                trial.set_user_attr(FAIL_REASON, f"{type(error).__name__}: {error}")
            raise
        finally:
            self.stop.training = False


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


def _others_running(study: optuna.Study) -> bool:
    return any(t.state == TrialState.RUNNING for t in study.get_trials(deepcopy=False))


def run_worker(plan: WorkerPlan, stop: StopRequest | None = None) -> None:
    """Run trials in this process until the study's budget is used (the body of every worker).

    ``stop`` is the handler of the worker's stop signals (see :class:`StopRequest`); without it
    a Ctrl-C raises wherever it lands.
    """
    stop = stop or StopRequest()
    from threadpoolctl import threadpool_limits

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = open_storage(plan.storage_url, plan.out_dir)
    sampler = make_sampler(plan.sampler, plan.space, plan.seed, plan.n_startup_trials)
    study = optuna.load_study(
        study_name=plan.study_name, storage=storage, sampler=sampler, pruner=make_pruner(plan.pruner)
    )
    stop.shield(study._storage)  # the storage the study, its trials, sampler and pruner call
    lock = BudgetLock(plan.out_dir)
    objective = _GuardedObjective(plan.objective, lock, stop)
    callbacks = [_print_trial] if plan.verbose else []
    shared = plan.storage_url is not None
    with threadpool_limits(plan.threads) if plan.threads else contextlib.nullcontext():
        while True:
            stop.check()
            lock.acquire()
            try:
                stop.check()  # one that came while this worker waited for the lock
                if shared:
                    optuna.storages.fail_stale_trials(study)
                if budget_left(study, plan.n_trials) > 0:
                    study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=callbacks, gc_after_trial=False)
                    continue
            finally:
                lock.release()
            stop.check()  # one that came while the budget was counted: say so, as for any other moment
            if not (shared and _others_running(study)):
                return
            stop.wait(WAIT_SECONDS)


def _worker_process(plan: WorkerPlan) -> None:
    stop = StopRequest()
    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    if hasattr(signal, "pthread_sigmask"):  # held by the coordinator until now: one that came meanwhile arrives here
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    try:
        run_worker(plan, stop)
    except KeyboardInterrupt:  # the coordinator reports the interruption
        sys.exit(130)


@contextlib.contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back from this thread, and from the processes it starts until they unblock them.

    A worker process starts with them held, so that a Ctrl-C during its start-up (imports, before
    its :class:`StopRequest` is installed) is delivered to that handler, not lost or raised anywhere.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()  # started first: starting it unblocks the signals again
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads_per_worker(workers: int) -> int | None:
    """BLAS threads per worker so that ``workers`` processes share the cores without oversubscription."""
    return None if workers <= 1 else max(1, math.floor(usable_cores() / workers))


def run_workers(plans: list[WorkerPlan], stop: StopRequest | None = None) -> None:
    """Run one worker in this process, or several as separate processes, and wait for all of them.

    Interrupted (Ctrl-C, or SIGTERM to this process alone), the workers are interrupted
    too, so that each marks its trial as interrupted, and are waited for. The worker in
    this process stops the same way (:func:`stop_requests`). ``stop``, the search's own
    :class:`StopRequest`, holds an interrupt back while a worker process is being started
    (one started unseen would run on alone).
    """
    if len(plans) <= 1:
        for plan in plans:
            with stop_requests() as stop:
                run_worker(plan, stop)
        return
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker_process, args=(plan,), name=f"mlplab-tune-{k}", daemon=True)
        for k, plan in enumerate(plans)
    ]
    try:
        for process in processes:
            with stop.deferred() if stop else contextlib.nullcontext(), _stop_signals_held():
                process.start()
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        _interrupt(processes)
        raise
    failed = [p for p in processes if p.exitcode not in (0, None)]
    if any(p.exitcode == 130 for p in failed):
        raise KeyboardInterrupt
    if failed:
        raise RuntimeError(
            f"{len(failed)} worker process(es) ended with an error (exit codes {[p.exitcode for p in failed]})"
        )


def _interrupt(processes: list[Any]) -> None:
    """Tell the started workers to stop (Ctrl-C may have reached them already: telling again is harmless),
    wait until they have recorded their trials and ended, and kill any still running after
    :data:`STOP_SECONDS` (a last resort: its trial stays marked running until the next start fails it)."""
    started = [p for p in processes if p.pid is not None]
    for process in started:
        if process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_SECONDS
    for process in started:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
    for process in started:
        if process.is_alive():
            process.kill()
            process.join()

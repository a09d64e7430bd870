"""Hyper-parameter search: samplers, pruning, failures, resume, parallel workers and the results folder."""

import csv
import inspect
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from mlplab.cli import main
from mlplab.recipe import read_config_file
from mlplab.tune import SearchSpace, SearchSpaceError, make_sampler, tune
from mlplab.tune.objective import TrainObjective, direction_of
from mlplab.tune.search import folder_lock
from mlplab.tune.study import FAIL_REASON, budget_left, open_storage, open_study, requeue_interrupted

GRID = {
    "dataset": "moons",
    "epochs": 4,
    "hidden": {"choices": [[8], [16, 8]]},
    "lr": {"choices": [0.001, 0.01, 0.1]},
    "activation": {"choices": ["relu", "tanh"]},
}


def load_study(out_dir, name="mlplab-tune"):
    return optuna.load_study(study_name=name, storage=open_storage(None, out_dir))


def grid_points(space):
    grid = space.grid()
    return {tuple(zip(grid, values)) for values in itertools.product(*grid.values())}


def visited(study):
    return [tuple((name, t.params[name]) for name in ("hidden", "lr", "activation")) for t in study.trials]


def test_grid_search_visits_exactly_the_grid(tmp_path):
    space = SearchSpace.from_mapping(GRID)
    result = tune(space, tmp_path, sampler="grid", n_trials=100, pruner="none", final=False, verbose=False)
    points = visited(result.study)
    assert len(points) == space.grid_size() == 12
    assert set(points) == grid_points(space)
    assert all(t.state == TrialState.COMPLETE for t in result.study.trials)


@pytest.mark.slow
def test_two_workers_on_the_journal_file_lose_and_duplicate_nothing(tmp_path):
    space = SearchSpace.from_mapping(GRID)
    result = tune(space, tmp_path, sampler="grid", workers=2, final=False, verbose=False)
    trials = result.study.trials
    assert len(trials) == 12 and set(visited(result.study)) == grid_points(space)  # every point, none twice
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    assert len({t.user_attrs["worker"] for t in trials}) == 2  # both processes ran trials


def _search_with_two_workers(tmp_path, **popen):
    """``mlplab tune`` with two workers on moons, started, once a first trial is complete; and its command."""
    space = tmp_path / "space.yaml"
    space.write_text(
        yaml.safe_dump({"dataset": "moons", "epochs": 30, "patience": 0, "lr": {"low": 1e-3, "high": 0.1, "log": True}})
    )
    command = [sys.executable, "-m", "mlplab", "tune", "--config", str(space), "--workers", "2", "--pruner", "none"]
    command += ["--out", str(tmp_path / "out"), "--no-final", "--quiet"]
    search = subprocess.Popen([*command, "--n-trials", "400"], stderr=subprocess.PIPE, text=True, **popen)
    deadline = time.monotonic() + 120  # a bound for a broken search, not a timing the test relies on
    while time.monotonic() < deadline and not any(
        t.state == TrialState.COMPLETE for t in _trials_if_any(tmp_path / "out")
    ):
        time.sleep(0.2)
    return search, command


@pytest.mark.slow
def test_sigterm_to_the_search_alone_stops_its_workers_too(tmp_path):
    """A scheduler or ``timeout`` signals the main process only: its workers must not run on unseen."""
    search, _ = _search_with_two_workers(tmp_path)
    search.send_signal(signal.SIGTERM)
    assert search.wait(timeout=60) == 130
    trials = load_study(tmp_path / "out").trials  # the search ends after its workers: nothing is left running
    assert not [t.number for t in trials if t.state == TrialState.RUNNING]
    time.sleep(1.0)
    assert len(load_study(tmp_path / "out").trials) == len(trials)  # and none started another trial


def synthetic_space():
    return SearchSpace.from_mapping(
        {
            "lr": {"low": 1e-5, "high": 1.0, "log": True},
            "dropout": {"low": 0.0, "high": 0.9},
            "batch_size": {"low": 16, "high": 512, "log": True},
            "optimizer": {"choices": ["sgd", "adam", "rmsprop", "adagrad"]},
        }
    )


def synthetic_loss(config):
    """A cheap bowl with its minimum 0 at lr 10^-2.5, dropout 0.3, batch 128, Adam."""
    return (
        (math.log10(config.lr) + 2.5) ** 2
        + 4 * (config.dropout - 0.3) ** 2
        + (math.log2(config.batch_size) - 7) ** 2 / 4
        + (config.optimizer != "adam")
    )


def test_tpe_beats_random_search_on_the_same_budget():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = synthetic_space()
    best = {"tpe": [], "random": []}
    for seed in range(5):
        for kind in best:
            study = optuna.create_study(sampler=make_sampler(kind, space, seed, n_startup_trials=10))
            study.optimize(lambda trial: synthetic_loss(space.suggest(trial)), n_trials=40)
            best[kind].append(study.best_value)
    assert sorted(best["tpe"])[2] < 0.5 * sorted(best["random"])[2]  # medians over five seeds
    assert sum(t < r for t, r in zip(best["tpe"], best["random"])) >= 4


@pytest.mark.parametrize("pruner", ["median", "halving"])
def test_pruning_stops_trials_early(tmp_path, pruner):
    space = SearchSpace.from_mapping(
        {
            "dataset": "moons",
            "epochs": 8,
            "patience": 0,
            "schedule": "none",
            "hidden": [8],
            "lr": {"low": 1e-5, "high": 0.3, "log": True},
        }
    )
    result = tune(space, tmp_path, sampler="random", n_trials=14, pruner=pruner, final=False, verbose=False)
    pruned = [t for t in result.study.trials if t.state == TrialState.PRUNED]
    complete = [t for t in result.study.trials if t.state == TrialState.COMPLETE]
    assert pruned and complete
    assert all(len(t.intermediate_values) < 8 for t in pruned)
    assert all(len(t.intermediate_values) == 8 for t in complete)
    assert result.states["pruned"] == len(pruned)


def test_a_trial_is_never_pruned_after_its_last_epoch(tmp_path):
    space = SearchSpace.from_mapping(
        {
            "dataset": "moons",
            "epochs": 3,
            "patience": 0,
            "schedule": "none",
            "hidden": [8],
            "lr": {"low": 1e-5, "high": 0.3, "log": True},
        }
    )
    result = tune(space, tmp_path, sampler="random", n_trials=16, pruner="median", final=False, verbose=False)
    # the median pruner may stop a trial from its third epoch on, which here is the last one
    assert all(t.state == TrialState.COMPLETE and len(t.intermediate_values) == 3 for t in result.study.trials)


def test_a_failing_trial_is_recorded_with_its_reason_and_the_study_goes_on(tmp_path):
    space = SearchSpace.from_mapping(
        {"dataset": "moons", "epochs": 3, "optimizer": "sgd", "schedule": "none", "lr": {"choices": [0.05, 1e6]}}
    )
    result = tune(space, tmp_path, sampler="grid", pruner="none", final=False, verbose=False)
    states = {t.params["lr"]: t for t in result.study.trials}
    assert states[1e6].state == TrialState.FAIL
    assert "TrainingDiverged" in states[1e6].user_attrs["fail_reason"]
    assert states[0.05].state == TrialState.COMPLETE
    rows = list(csv.DictReader(open(tmp_path / "trials.csv")))
    assert [r["state"] for r in rows if r["lr"] == "1000000.0"] == ["fail"]
    assert "TrainingDiverged" in rows[[r["lr"] for r in rows].index("1000000.0")]["fail_reason"]


def test_an_interrupted_search_resumes_where_it_stopped(tmp_path, monkeypatch):
    space = SearchSpace.from_mapping({"dataset": "moons", "epochs": 3, "lr": {"low": 1e-3, "high": 0.1, "log": True}})
    calls = []
    original = TrainObjective.train

    def interrupt_the_third(self, config, trial):
        calls.append(trial.number)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, config, trial)

    monkeypatch.setattr(TrainObjective, "train", interrupt_the_third)
    with pytest.raises(KeyboardInterrupt):
        tune(space, tmp_path, sampler="random", n_trials=5, pruner="none", final=False, verbose=False)
    before = load_study(tmp_path).trials
    assert [t.state for t in before] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    assert budget_left(load_study(tmp_path), 5) == 3  # the interrupted trial does not count

    monkeypatch.setattr(TrainObjective, "train", original)
    result = tune(space, tmp_path, sampler="random", n_trials=5, pruner="none", final=False, verbose=False)
    after = result.study.trials
    assert [(t.number, t.value, t.params) for t in after[:2]] == [(t.number, t.value, t.params) for t in before[:2]]
    assert after[3].params == before[2].params  # the interrupted trial runs again first
    assert after[3].system_attrs["failed_trial"] == 2
    assert sum(t.state == TrialState.COMPLETE for t in after) == 5 and len(after) == 6
    rows = list(csv.DictReader(open(tmp_path / "trials.csv")))
    assert [r["state"] for r in rows].count("interrupted") == 1


def test_a_trial_left_running_by_a_killed_worker_is_run_again(tmp_path):
    space = SearchSpace.from_mapping({"dataset": "moons", "epochs": 2, "lr": {"low": 1e-3, "high": 0.1, "log": True}})
    tune(space, tmp_path, sampler="random", n_trials=1, pruner="none", final=False, verbose=False)
    study = load_study(tmp_path)
    orphan = study.ask()  # a worker that asked for a trial and died
    lr = space.suggest(orphan).lr
    result = tune(space, tmp_path, sampler="random", n_trials=2, pruner="none", final=False, verbose=False)
    trials = result.study.trials
    assert trials[1].state == TrialState.FAIL and trials[2].params["lr"] == lr
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]


def test_continuing_with_another_space_is_refused(tmp_path):
    tune(SearchSpace.from_mapping(GRID), tmp_path, sampler="grid", n_trials=1, final=False, verbose=False)
    other = SearchSpace.from_mapping({**GRID, "lr": {"choices": [0.5]}})
    with pytest.raises(SearchSpaceError, match="was created with another search space"):
        tune(other, tmp_path, sampler="grid", final=False, verbose=False)
    with pytest.raises(SearchSpaceError, match="was created with another sampler"):
        tune(SearchSpace.from_mapping(GRID), tmp_path, sampler="random", final=False, verbose=False)
    with pytest.raises(SearchSpaceError, match="was created with another metric"):
        tune(SearchSpace.from_mapping(GRID), tmp_path, metric="val_loss", final=False, verbose=False)


def test_continuing_without_naming_the_sampler_keeps_the_studys(tmp_path):
    space = SearchSpace.from_mapping(GRID)
    tune(space, tmp_path, sampler="grid", n_trials=3, final=False, verbose=False)
    result = tune(space, tmp_path, final=False, verbose=False)  # no sampler, no budget: the rest of the grid
    assert len(result.study.trials) == 12 and set(visited(result.study)) == grid_points(space)


def test_one_folder_is_driven_by_one_search_at_a_time(tmp_path):
    with folder_lock(tmp_path):
        with pytest.raises(RuntimeError, match="another mlplab tune is running in"):
            tune(SearchSpace.from_mapping(GRID), tmp_path, sampler="grid", n_trials=1, final=False, verbose=False)


def test_the_test_set_is_never_the_metric():
    assert direction_of("val_accuracy") == "maximize" and direction_of("val_loss") == "minimize"
    with pytest.raises(ValueError, match="test set is never used"):
        direction_of("test_accuracy")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"sampler": "bayes"}, "unknown sampler 'bayes'"),
        ({"pruner": "hyperband"}, "unknown pruner"),
        ({"workers": 0}, "workers must be >= 1"),
        ({"n_trials": 0}, "n_trials must be >= 1"),
    ],
)
def test_bad_search_settings_are_refused(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        tune(SearchSpace.from_mapping(GRID), tmp_path, **{"final": False, "verbose": False, **options})


@pytest.mark.slow
def test_the_command_line_writes_the_results_folder(tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text(
        yaml.safe_dump(
            {
                "dataset": "digits",
                "epochs": 4,
                "hidden": [32],
                "lr": {"low": 1e-3, "high": 3e-2, "log": True},
                "dropout": {"low": 0.0, "high": 0.3},
            }
        )
    )
    out = tmp_path / "search"
    assert main(["tune", "--config", str(space), "--n-trials", "6", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    study = load_study(out)
    assert summary["best_value"] == study.best_value and summary["best_trial"] == study.best_trial.number
    assert summary["trials"]["complete"] + summary["trials"]["pruned"] == 6
    for name in (
        "trials.csv",
        "best.yaml",
        "history.png",
        "importance.png",
        "report.md",
        "result.json",
        "final/best.npz",
    ):
        assert (out / name).exists(), name
    best = read_config_file(out / "best.yaml")
    assert (
        best["lr"] == pytest.approx(study.best_params["lr"]) and best["hidden"] == [32] and best["dataset"] == "digits"
    )
    assert len(list(csv.DictReader(open(out / "trials.csv")))) == 6
    # the retrained model is tested once; mlplab evaluate on its folder gives the same accuracy
    assert main(["evaluate", str(out / "final"), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["accuracy"] == pytest.approx(summary["test_accuracy"])
    assert "![Optimization history](history.png)" in (out / "report.md").read_text()
    # best.yaml is a train config as it stands
    assert (
        main(["train", "--config", str(out / "best.yaml"), "--epochs", "1", "--out", str(tmp_path / "runs"), "--json"])
        == 0
    )
    # the same command with a larger budget continues the study
    assert main(["tune", "--config", str(space), "--n-trials", "8", "--out", str(out), "--no-final", "--quiet"]) == 0
    assert len(load_study(out).trials) == 8
    assert not [line for line in capsys.readouterr().out.splitlines() if line.startswith("trial ")]  # --quiet


def test_the_default_search_starts_from_the_default_recipe(tmp_path, capsys):
    assert (
        main(["tune", "--dataset", "moons", "--epochs", "2", "--n-trials", "2", "--out", str(tmp_path), "--no-final"])
        == 0
    )
    first = load_study(tmp_path).trials[0]
    assert first.user_attrs.get("baseline") is True
    assert first.params == {"hidden": "512-256", "lr": 1e-3, "batch_size": 128, "dropout": 0.2, "l2": 0.0}
    assert "trial   0" in capsys.readouterr().out


def test_a_bad_space_file_is_a_clear_command_line_error(tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text("lr: {low: 0.1, high: 0.01}\n")
    assert main(["tune", "--config", str(space), "--out", str(tmp_path / "out")]) == 2
    assert "lr: low (0.1) must be below high (0.01)" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_stops_every_worker_and_the_same_command_resumes(tmp_path):
    """Ctrl-C reaches the whole process group, as in a terminal: exit 130, then the same command finishes."""
    search, command = _search_with_two_workers(tmp_path, start_new_session=True)
    os.killpg(search.pid, signal.SIGINT)
    assert search.wait(timeout=60) == 130
    assert "run the same command to resume" in search.stderr.read()
    done = sum(t.state == TrialState.COMPLETE for t in load_study(tmp_path / "out").trials)
    assert 1 <= done < 400
    finish = subprocess.run([*command, "--n-trials", str(done + 2)], capture_output=True, text=True, timeout=120)
    assert finish.returncode == 0, finish.stderr[-500:]
    trials = load_study(tmp_path / "out").trials
    assert sum(t.state == TrialState.COMPLETE for t in trials) == done + 2
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]


def _trials_if_any(out_dir):
    if not (out_dir / "study.journal").exists():
        return []
    try:
        return load_study(out_dir).trials
    except KeyError:  # the study is not created yet
        return []


def test_a_worker_ctrl_c_outside_training_waits_until_the_trial_is_recorded(tmp_path):
    """SIGINT while Optuna creates or records a trial must not leave the trial marked running."""
    from mlplab.tune.workers import BudgetLock, StopRequest, _GuardedObjective

    stop = StopRequest()
    stop(signal.SIGINT, None)  # arrives while Optuna samples: noted, nothing raised
    assert stop.requested
    study = optuna.create_study()
    calls = []
    guarded = _GuardedObjective(lambda trial: calls.append(trial.number) or 1.0, BudgetLock(tmp_path), stop)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(guarded, n_trials=1)
    assert calls == [] and study.trials[0].state == TrialState.FAIL  # stopped before training, recorded as failed

    stop = StopRequest()
    guarded = _GuardedObjective(lambda trial: stop(signal.SIGINT, None), BudgetLock(tmp_path), stop)
    with pytest.raises(KeyboardInterrupt):  # arrives while the trial trains: raised at once
        study.optimize(guarded, n_trials=1)
    assert study.trials[1].state == TrialState.FAIL and not stop.training


# ---------------------------------------------------------------- interruptions, at every moment, and the budget
#
# The moments are chosen by running the code up to them, never by waiting: Optuna's storage calls
# are wrapped so that a signal arrives exactly as one of them returns, and the worker's signal
# handler (StopRequest) runs there as it would for a real Ctrl-C.

LR_SPACE = {"dataset": "moons", "epochs": 3, "patience": 0, "lr": {"low": 1e-3, "high": 0.1, "log": True}}


def trial_of(state, lr=None, reason=None, **system_attrs):
    """A trial in ``state``, as Optuna stores it: its lr, and a failure's reason when it failed of its own."""
    distributions = {"lr": optuna.distributions.FloatDistribution(1e-3, 0.1, log=True)} if lr else {}
    return optuna.trial.create_trial(
        state=state,
        value=0.5 if state == TrialState.COMPLETE else None,
        params={"lr": lr} if lr else {},
        distributions=distributions,
        user_attrs={FAIL_REASON: reason} if reason else {},
        system_attrs=system_attrs,
    )


def test_the_budget_counts_trials_that_ended_of_their_own_or_run(tmp_path):
    study = open_study(None, tmp_path, "s", "maximize")
    for trial in (
        trial_of(TrialState.COMPLETE, 0.01),
        trial_of(TrialState.PRUNED, 0.02),
        trial_of(TrialState.FAIL, 0.03, reason="TrainingDiverged: loss became nan"),
        trial_of(TrialState.FAIL, 0.04),  # interrupted: no reason of its own
        trial_of(TrialState.WAITING, 0.05),  # queued: counts once it runs
        trial_of(TrialState.RUNNING, 0.06),
    ):
        study.add_trial(trial)
    assert budget_left(study, 10) == 6 and budget_left(study, 3) == 0


def _study_with(tmp_path, *trials):
    study = open_study(None, tmp_path, "mlplab-tune", "maximize")
    for trial in trials:
        study.add_trial(trial)
    return study


def _retries(trials):
    return {t.system_attrs["failed_trial"]: t for t in trials if "failed_trial" in t.system_attrs}


def test_no_more_trials_are_queued_than_the_budget_has_room_for_and_none_is_lost(tmp_path):
    """A resume with a budget smaller than its interrupted trials runs exactly its budget and leaves none waiting;
    a later, larger budget runs the others."""
    space = SearchSpace.from_mapping(LR_SPACE)
    study = _study_with(
        tmp_path,
        *(trial_of(TrialState.COMPLETE, lr) for lr in (0.01, 0.02, 0.03)),
        *(trial_of(TrialState.FAIL, lr) for lr in (0.004, 0.005, 0.006)),  # three interrupted
        trial_of(TrialState.RUNNING, 0.007),  # left by a killed worker
    )
    assert study.trials[-1].state == TrialState.RUNNING
    result = tune(space, tmp_path, sampler="random", n_trials=5, pruner="none", final=False, verbose=False)
    trials = result.study.trials
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 5
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert {n: t.params["lr"] for n, t in _retries(trials).items()} == {3: 0.004, 4: 0.005}  # the oldest first

    result = tune(space, tmp_path, sampler="random", n_trials=9, pruner="none", final=False, verbose=False)
    trials = result.study.trials
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 9
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    retries = _retries(trials)
    assert {n: t.params["lr"] for n, t in retries.items()} == {3: 0.004, 4: 0.005, 5: 0.006, 6: 0.007}
    assert all(t.state == TrialState.COMPLETE for t in retries.values())  # every configuration ran once more


def test_a_retry_stopped_by_ctrl_c_is_queued_again_one_whose_worker_was_killed_is_not(tmp_path):
    study = _study_with(
        tmp_path,
        trial_of(TrialState.FAIL, 0.01),  # 0: interrupted
        trial_of(TrialState.FAIL, 0.01, failed_trial=0),  # 1: its retry, interrupted by Ctrl-C too
        trial_of(TrialState.FAIL, 0.02),  # 2: interrupted
        trial_of(TrialState.RUNNING, 0.02, failed_trial=2),  # 3: its retry, left running by a killed worker
        trial_of(TrialState.RUNNING, 0.03),  # 4: left running by a killed worker
    )
    assert requeue_interrupted(study, stale_running=True) == [1, 4]
    assert requeue_interrupted(study, stale_running=True) == []  # once each
    retries = _retries(study.trials)
    assert {n: (t.state, t.params["lr"]) for n, t in retries.items() if n in (1, 4)} == {
        1: (TrialState.WAITING, 0.01),
        4: (TrialState.WAITING, 0.03),
    }
    assert not [t for t in study.trials if t.state == TrialState.RUNNING]


def _signal_after(monkeypatch, method, signum, when):
    """Send ``signum`` to this process as the journal's ``method`` returns, the first time ``when(storage, arguments)``
    holds (a moment of the search's worker) while a handler stands ready for it (the worker's StopRequest)."""
    from optuna.storages import JournalStorage

    original = getattr(JournalStorage, method)
    signature = inspect.signature(original)
    sent = []

    def wrapped(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        arguments = signature.bind(self, *args, **kwargs).arguments
        if not sent and callable(signal.getsignal(signum)) and when(self, arguments):
            sent.append(signum)
            signal.raise_signal(signum)  # handled here, inside the storage call, as a real signal would be
        return result

    monkeypatch.setattr(JournalStorage, method, wrapped)
    return sent


def _trial_count(storage):
    return len(storage.get_all_trials(0, deepcopy=False))


MOMENTS = {
    # Optuna pops the queued baseline (marks it running)
    "pop": ("set_trial_state_values", lambda st, a: a["state"] == TrialState.RUNNING),
    # Optuna creates the third trial
    "create": ("create_new_trial", lambda st, a: _trial_count(st) == 3),
    # the second trial's parameters are sampled (training has begun)
    "sample": ("set_trial_param", lambda st, a: a["trial_id"] == 1),
    # the second trial reports its second epoch
    "report": ("set_trial_intermediate_value", lambda st, a: a["trial_id"] == 1 and a["step"] == 1),
    # Optuna records the second trial's result
    "tell": ("set_trial_state_values", lambda st, a: a["trial_id"] == 1 and a["state"].is_finished()),
}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_the_search_in_this_process_stopped_at_any_moment_resumes_to_exactly_its_budget(
    tmp_path, monkeypatch, moment, signum
):
    """``mlplab tune`` without ``--workers``: a signal while Optuna creates, pops, samples, reports or records a trial
    leaves no trial running and none failed, and the same search resumes to exactly its budget."""
    space = SearchSpace.from_mapping(LR_SPACE)
    method, when = MOMENTS[moment]
    sent = _signal_after(monkeypatch, method, signum, when)
    with pytest.raises(KeyboardInterrupt):
        tune(space, tmp_path, sampler="random", n_trials=50, pruner="none", final=False, verbose=False)
    assert sent == [signum]
    monkeypatch.undo()
    _check_interrupted_then_resume(
        tmp_path,
        lambda n: tune(space, tmp_path, sampler="random", n_trials=n, pruner="none", final=False, verbose=False),
    )


def _check_interrupted_then_resume(out_dir, resume, extra=2):
    """After an interrupted search: nothing running, no interruption taken for a failure; then the resumed search
    runs exactly its budget, leaves nothing running or waiting, and runs each interrupted configuration once more."""
    before = load_study(out_dir).trials
    assert not [t.number for t in before if t.state == TrialState.RUNNING]
    assert not [t.user_attrs[FAIL_REASON] for t in before if FAIL_REASON in t.user_attrs]
    interrupted = [t for t in before if t.state == TrialState.FAIL]
    done = sum(t.state == TrialState.COMPLETE for t in before)
    resume(done + extra)
    after = load_study(out_dir).trials
    assert sum(t.state == TrialState.COMPLETE for t in after) == done + extra
    assert not [t.number for t in after if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert not [t.user_attrs[FAIL_REASON] for t in after if FAIL_REASON in t.user_attrs]
    retries = _retries(after)
    for trial in interrupted:  # each configuration cut short ran again, once, to its end
        assert trial.number in retries, trial.number
        retry = retries[trial.number]
        assert retry.state == TrialState.COMPLETE and trial.params.items() <= retry.params.items()
        assert retry.system_attrs.get("fixed_params") == trial.system_attrs.get("fixed_params")
    assert len(retries) == len(interrupted)


@pytest.mark.parametrize("call", ["symlink", "fsync", "rename", "unlink"])
def test_ctrl_c_inside_the_journal_while_a_trial_trains_interrupts_it_and_never_fails_it(tmp_path, monkeypatch, call):
    """Optuna's journal takes a file lock (a symlink), writes, syncs, and releases it (rename, unlink). An interrupt
    raised as ``unlink`` returns makes Optuna unlink again: a FileNotFoundError, recorded as the trial's own failure
    (counted against the budget, never run again: the resumed search ended one trial short). The worker lets every
    storage call end first, then interrupts the trial."""
    from optuna.storages.journal import _file

    from mlplab.tune.workers import BudgetLock, StopRequest, WorkerPlan, run_worker

    stop = StopRequest()
    armed = []

    class JournalOs:  # the journal module's ``os``, with the signal's handler run as ``call`` returns
        def __getattr__(self, name):
            function = getattr(os, name)
            if name != call:
                return function

            def called(*args, **kwargs):
                result = function(*args, **kwargs)
                if armed:
                    armed.clear()
                    stop(signal.SIGINT, None)
                return result

            return called

    def objective(trial):
        trial.suggest_float("lr", 1e-3, 0.1, log=True)
        armed.append(True)  # the next journal write, while training
        trial.report(0.5, 0)
        return 0.5

    space = SearchSpace.from_mapping(LR_SPACE)
    open_study(None, tmp_path, "mlplab-tune", "maximize").enqueue_trial({"lr": 0.01})
    plan = WorkerPlan(None, tmp_path, "mlplab-tune", "random", space, 0, "none", 3, objective, verbose=False)
    monkeypatch.setattr(_file, "os", JournalOs())
    with pytest.raises(KeyboardInterrupt):
        run_worker(plan, stop)
    monkeypatch.undo()
    study = load_study(tmp_path)
    [trial] = study.trials
    assert trial.state == TrialState.FAIL and FAIL_REASON not in trial.user_attrs  # interrupted, not failed
    assert not (tmp_path / "study.journal.lock").exists()  # the journal's lock is free
    assert budget_left(study, 3) == 3 and requeue_interrupted(study, stale_running=True) == [0]
    BudgetLock(tmp_path).acquire()  # and the budget lock too


@pytest.mark.parametrize("write", [1, 2, 3, 4], ids=["create-study", "sampler", "search", "baseline"])
def test_ctrl_c_inside_the_journal_while_the_search_starts_stops_it_cleanly(tmp_path, monkeypatch, write):
    """The search's own process writes the study, its settings and the baseline before any worker runs: Ctrl-C as
    the journal lock of one of those writes is released stops the search (exit 130, no error), and it resumes."""
    from optuna.storages.journal import _file

    unlinks = []

    class JournalOs:  # the journal module's ``os``: the signal arrives as the ``write``-th lock release ends
        def __getattr__(self, name):
            return self.unlink if name == "unlink" else getattr(os, name)

        def unlink(self, path):
            os.unlink(path)
            unlinks.append(path)
            if len(unlinks) == write:
                signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # what the signal would run, here

    space = SearchSpace.from_mapping(LR_SPACE)
    monkeypatch.setattr(_file, "os", JournalOs())
    with pytest.raises(KeyboardInterrupt):
        tune(space, tmp_path, sampler="random", n_trials=3, pruner="none", final=False, verbose=False)
    monkeypatch.undo()
    assert not (tmp_path / "study.journal.lock").exists()
    result = tune(space, tmp_path, sampler="random", n_trials=3, pruner="none", final=False, verbose=False)
    trials = result.study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 and trials[0].user_attrs.get("baseline") is True


def test_a_stop_requested_inside_a_storage_call_waits_for_it_to_end(tmp_path):
    from mlplab.tune.workers import StopRequest

    stop = StopRequest()

    class Storage:
        calls = []

        def write(self, value):
            stop(signal.SIGINT, None)  # arrives during the call: noted
            self.calls.append(value)
            return value

    storage = stop.shield(Storage())
    assert storage.write(1) == 1  # outside training: the worker stops at its next check
    stop.training = True
    with pytest.raises(KeyboardInterrupt):  # while training: as soon as the call has ended
        storage.write(2)
    assert Storage.calls == [1, 2]
    storage.write(3)  # raised once; later signals only repeat the request
    with pytest.raises(KeyboardInterrupt):
        stop.check()


def _study_state(out_dir):
    """The study's trials, or None before ``mlplab tune`` has created it."""
    if not (out_dir / "study.journal").exists():
        return None
    try:
        return load_study(out_dir).trials
    except KeyError:
        return None


def _wait_for_state(out_dir, condition):
    deadline = time.monotonic() + 120  # a bound for a broken search, not a timing the test relies on
    while time.monotonic() < deadline:
        trials = _study_state(out_dir)
        if trials is not None and condition(trials):
            return
        time.sleep(0.02)
    raise AssertionError("the search never reached the state awaited")


def _complete(trials):
    return sum(t.state == TrialState.COMPLETE for t in trials)


STOPS = {
    # as soon as the search has created its study (its workers are starting)
    "ctrl-c-at-start": (signal.SIGINT, True, lambda trials: True),
    "ctrl-c-first-trial": (
        signal.SIGINT,
        True,
        lambda t: _complete(t) == 0 and any(x.state == TrialState.RUNNING for x in t),
    ),
    "ctrl-c-after-2": (signal.SIGINT, True, lambda trials: _complete(trials) >= 2),
    "sigterm-search-after-1": (signal.SIGTERM, False, lambda trials: _complete(trials) >= 1),
    "sigterm-all-after-3": (signal.SIGTERM, True, lambda trials: _complete(trials) >= 3),
}


@pytest.mark.slow
@pytest.mark.parametrize("stop", list(STOPS))
def test_two_workers_stopped_at_any_moment_resume_to_exactly_the_budget(tmp_path, stop):
    """Ctrl-C (to the whole process group, as a terminal sends it) or SIGTERM (to the search alone, as ``timeout``
    sends it, or to every process, as a service manager does) at several moments of a search with two workers;
    then the same command: its budget exactly used, nothing left running or waiting, no configuration lost."""
    signum, group, condition = STOPS[stop]
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump({**LR_SPACE, "epochs": 20}))
    command = [sys.executable, "-m", "mlplab", "tune", "--config", str(space), "--workers", "2", "--pruner", "none"]
    command += ["--out", str(tmp_path / "out"), "--no-final", "--quiet", "--sampler", "random"]
    search = subprocess.Popen(
        [*command, "--n-trials", "400"], stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _wait_for_state(tmp_path / "out", condition)
        os.killpg(search.pid, signum) if group else search.send_signal(signum)
        code = search.wait(timeout=120)
    finally:
        if search.poll() is None:
            os.killpg(search.pid, signal.SIGKILL)
    said = search.stderr.read()
    assert code == 130 and "run the same command to resume" in said, said[-800:]

    def resume(n_trials):
        finish = subprocess.run([*command, "--n-trials", str(n_trials)], capture_output=True, text=True, timeout=300)
        assert finish.returncode == 0, finish.stderr[-800:]

    _check_interrupted_then_resume(tmp_path / "out", resume, extra=3)

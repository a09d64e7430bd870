"""Hyper-parameter search: samplers, pruning, failures, resume, parallel workers and the results folder."""

import csv
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
from mlplab.tune.study import budget_left, open_storage

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

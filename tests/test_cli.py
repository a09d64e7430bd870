"""The command line end to end on the digits set: train, evaluate, predict, info, config files, resume."""

import json

import numpy as np
import pytest

import mlplab
from mlplab.archive import read_arrays
from mlplab.cli import main
from mlplab.training import trainer as trainer_module

FAST = ["--dataset", "digits", "--hidden", "32", "--batch-size", "64", "--lr", "0.01", "--seed", "0", "--quiet"]


def run_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.slow
def test_train_writes_a_complete_run_folder(tmp_path, capsys):
    result = run_json(capsys, "train", *FAST, "--epochs", "6", "--out", str(tmp_path), "--name", "run")
    run = tmp_path / "run"
    assert result["run_dir"] == str(run) and result["epochs"] == 6
    assert result["test_accuracy"] > 0.85
    for name in (
        "config.yaml",
        "metrics.csv",
        "metrics.jsonl",
        "best.npz",
        "last.npz",
        "checkpoint.npz",
        "report.md",
        "curves.png",
        "confusion.png",
        "misclassified.png",
    ):
        assert (run / name).is_file(), name
    report = (run / "report.md").read_text()
    assert "![Training curves](curves.png)" in report and f"{result['test_accuracy']:.4f}" in report
    assert "## Per-class results (test set)" in report and report.count("\n| 7 | ") == 1
    assert len((run / "metrics.csv").read_text().splitlines()) == 7


@pytest.mark.slow
def test_evaluate_predict_and_info_use_the_saved_model(tmp_path, capsys):
    result = run_json(capsys, "train", *FAST, "--epochs", "4", "--out", str(tmp_path), "--name", "run")
    run = tmp_path / "run"
    evaluated = run_json(capsys, "evaluate", str(run))
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"])
    assert evaluated["loss"] == pytest.approx(result["test_loss"], rel=1e-4)

    data = mlplab.datasets.digits(seed=0)
    np.save(tmp_path / "inputs.npy", data.x_test[:20])
    assert main(["predict", str(run / "best.npz"), str(tmp_path / "inputs.npy")]) == 0
    labels = [int(line) for line in capsys.readouterr().out.split()]
    expected = mlplab.load(run / "best.npz").forward(data.x_test[:20]).argmax(1)
    assert labels == expected.tolist()

    out_csv = tmp_path / "pred.csv"
    assert main(["predict", str(run), str(tmp_path / "inputs.npy"), "--output", str(out_csv)]) == 0
    table = np.loadtxt(out_csv, delimiter=",", skiprows=1)
    assert table.shape == (20, 11) and table[:, 0].astype(int).tolist() == labels
    np.testing.assert_allclose(table[:, 1:].sum(axis=1), 1, atol=1e-4)

    assert main(["info", str(run)]) == 0
    summary = capsys.readouterr().out
    assert "Standardize(64)" in summary and "Dense(64, 32" in summary and "total parameters: 2,410" in summary


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".yaml", ".toml"])
def test_config_file_sets_options_and_flags_override_it(tmp_path, capsys, suffix):
    text = (
        "epochs: 2\nhidden: [16, 8]\nlr: 0.02\n" if suffix == ".yaml" else "epochs = 2\nhidden = [16, 8]\nlr = 0.02\n"
    )
    config = tmp_path / f"config{suffix}"
    config.write_text(text)
    flags = ["--dataset", "digits", "--quiet", "--lr", "0.005", "--out", str(tmp_path), "--name", "r"]
    result = run_json(capsys, "train", "--config", str(config), *flags)
    saved = (tmp_path / "r" / "config.yaml").read_text()
    assert result["epochs"] == 2 and "hidden:\n- 16\n- 8" in saved and "lr: 0.005" in saved


def test_bad_config_and_missing_model_get_clear_errors(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("epoch: 3\n")
    assert main(["train", "--config", str(config)]) == 2
    assert "epoch in " + str(config) + ": unknown option; valid: activation" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "nope.npz")]) == 2
    assert "nope.npz" in capsys.readouterr().err


def weights(path):
    return dict(read_arrays(path)[1])


@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_model(tmp_path, capsys, monkeypatch):
    argv = ["train", *FAST, "--schedule", "step", "--dropout", "0.1", "--epochs", "5", "--out", str(tmp_path)]
    assert main([*argv, "--name", "straight"]) == 0

    original = trainer_module.Trainer._train_epoch
    calls = {"n": 0}

    def interrupting(self, x, y):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, x, y)

    monkeypatch.setattr(trainer_module.Trainer, "_train_epoch", interrupting)
    assert main([*argv, "--name", "cut"]) == 130
    assert "mlplab train --resume" in capsys.readouterr().err
    monkeypatch.setattr(trainer_module.Trainer, "_train_epoch", original)
    assert main(["train", "--resume", str(tmp_path / "cut"), "--quiet"]) == 0

    straight, resumed = weights(tmp_path / "straight" / "last.npz"), weights(tmp_path / "cut" / "last.npz")
    assert straight.keys() == resumed.keys()
    for key in straight:
        np.testing.assert_array_equal(straight[key], resumed[key], err_msg=key)


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mlplab", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"mlplab {mlplab.__version__}"

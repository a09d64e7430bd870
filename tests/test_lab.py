"""The lab's framework: context, results, registry, report and command."""

import json

import numpy as np
import pytest

from mlplab.cli import main
from mlplab.lab import EXPERIMENTS, ORDER, ExperimentResult, Lab, available, experiment, run_experiments, write_report
from mlplab.lab.base import jsonable
from mlplab.plotting import pyplot


def test_lab_figure_record_claim_and_save(tmp_path):
    lab = Lab("demo", "Demo", tmp_path / "demo", quick=True, seed=3)
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = lab.figure(fig, "line.png", "a line")
    assert path.read_bytes().startswith(b"\x89PNG")
    lab.record(values=np.arange(3), mean=np.float32(0.5), nested={"a": (np.int64(1), 2.0)}, bad=float("nan"))
    lab.claim("lines fall", "S9", np.bool_(True), "slope -1")
    lab.save()
    numbers = json.loads((tmp_path / "demo" / "numbers.json").read_text())
    assert numbers == {"values": [0, 1, 2], "mean": 0.5, "nested": {"a": [1, 2.0]}, "bad": None}
    saved = ExperimentResult.from_dict(json.loads((tmp_path / "demo" / "result.json").read_text()))
    assert saved.claims[0].supported is True and saved.figures[0].file == "line.png"
    assert saved.quick and saved.seed == 3


def test_lab_rng_is_seeded(tmp_path):
    a = Lab("a", "A", tmp_path / "a", seed=5).rng.random(3)
    b = Lab("b", "B", tmp_path / "b", seed=5).rng.random(3)
    assert np.array_equal(a, b)


def test_jsonable_infinities():
    assert jsonable([np.inf, -np.inf, np.float64(2.5)]) == ["inf", "-inf", 2.5]


def test_experiment_names_must_be_in_the_lecture_order():
    with pytest.raises(ValueError, match="not in the lab's ORDER"):
        experiment("unknown-thing", "Unknown", "S0")


def test_every_registered_experiment_is_in_order_and_has_a_title():
    names = available()
    assert names == [n for n in ORDER if n in names] and "softmax" in names
    for name in names:
        assert EXPERIMENTS.get(name).title and EXPERIMENTS.get(name).sources


def test_run_experiments_writes_a_report_with_embedded_figures(tmp_path):
    results = run_experiments(["softmax"], tmp_path, quick=True)
    page = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in page
    for claim in results[0].claims:
        assert claim.evidence.split("=")[0].strip()[:20] in page
    assert page.count("<figure>") == len(results[0].figures)


def test_report_marks_unsupported_claims(tmp_path):
    lab = Lab("demo", "Demo", tmp_path / "demo")
    lab.claim("the moon is cheese", "S0", False, "it is rock")
    lab.save()
    page = write_report([lab.result], tmp_path).read_text()
    assert "not supported" in page and "0 of 1 claims supported" in page


def test_cli_lab_runs_and_reports(tmp_path, capsys):
    assert main(["lab", "softmax", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "5 of 5 claims supported" in out and str(tmp_path / "report.html") in out
    assert (tmp_path / "softmax" / "temperature.png").exists()


def test_cli_lab_unknown_experiment(tmp_path, capsys):
    assert main(["lab", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown experiment 'nope'" in capsys.readouterr().err

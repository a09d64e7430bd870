"""The benchmark suite: configurations, data, GEMM limit, results, runs, peers, table and ``mlplab bench``."""

import dataclasses
import importlib.util
import json
import sys

import numpy as np
import pytest

from mlplab import kernels
from mlplab.bench import (
    CONFIGS,
    PEERS,
    BenchReport,
    ConfigResult,
    RunResult,
    format_table,
    gemm_limit_epoch,
    load_bench_data,
    run_suite,
    select,
)
from mlplab.bench import gemm as gemm_module
from mlplab.bench.gemm import batch_products_time
from mlplab.bench.jax_peer import run_jax
from mlplab.bench.peers import _torch_model, run_sklearn, run_torch
from mlplab.bench.runs import peak_training_memory, run_mlplab
from mlplab.cli import main
from mlplab.datasets import Dataset, images, synthetic_dataset, synthetic_images

NAMES = [c.name for c in CONFIGS]
BY_NAME = {c.name: c for c in CONFIGS}
SGD_128, FULL_BATCH = BY_NAME["100-sgd-128"], BY_NAME["100-sgd-full"]
DROPOUT_BN = BY_NAME["512-256-adam-128-dropout-bn"]


def tiny_data(n_train=200, n_test=100, seed=0):
    x, y = synthetic_images(n_train + n_test, np.random.default_rng(seed))
    return Dataset("tiny", x[:n_train], y[:n_train], x[n_train:], y[n_train:], tuple("0123456789"), (28, 28))


def with_epochs(config, epochs=1):
    return dataclasses.replace(config, epochs=epochs)


def table_rows(text):
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| configuration")]


# configurations


def test_select_without_patterns_returns_every_configuration_in_order():
    assert select(CONFIGS, None) == list(CONFIGS)
    assert select(CONFIGS, []) == list(CONFIGS)


def test_select_matches_substrings_in_table_order_without_duplicates():
    adam = ["100-adam-128", "256-adam-128", "100-adam-10", "100-adam-1", "512-256-adam-128-dropout-bn"]
    assert [c.name for c in select(CONFIGS, ["adam"])] == adam
    assert [c.name for c in select(CONFIGS, ["full", "100-sgd"])] == [
        "100-sgd-128",
        "100-sgd-10",
        "100-sgd-1",
        "100-sgd-full",
    ]
    assert [c.name for c in select(CONFIGS, ["sgd-128", "100-sgd-128"])] == ["100-sgd-128", "256-sgd-128"]
    assert select(CONFIGS, ["dropout"]) == [DROPOUT_BN]


def test_select_takes_a_whole_name_as_that_configuration_alone():
    assert [c.name for c in select(CONFIGS, ["100-sgd-1"])] == ["100-sgd-1"]
    assert [c.name for c in select(CONFIGS, ["100-adam-1", "sgd-1"])] == [
        "100-sgd-128",
        "256-sgd-128",
        "100-sgd-10",
        "100-sgd-1",
        "100-adam-1",
    ]


def test_select_rejects_an_unknown_pattern_and_lists_the_names():
    with pytest.raises(ValueError, match=r"no benchmark configuration matches \['nope'\]") as info:
        select(CONFIGS, ["adam", "nope"])
    for name in NAMES:
        assert name in str(info.value)


def test_configurations_have_unique_names_and_the_documented_epochs():
    assert len(set(NAMES)) == len(NAMES) == 10
    assert FULL_BATCH.batch_size is None and FULL_BATCH.epochs == 10
    assert all(c.epochs == 3 and c.n_train is None for c in CONFIGS if c.batch_size not in (None, 1))
    assert [(c.name, c.epochs, c.n_train) for c in CONFIGS if c.batch_size == 1] == [
        ("100-sgd-1", 2, 20_000),
        ("100-adam-1", 2, 20_000),
    ]
    assert NAMES[-1] == DROPOUT_BN.name  # the peak-memory line measures the last configuration
    with pytest.raises(dataclasses.FrozenInstanceError):
        SGD_128.epochs = 1


def test_config_sizes_and_momentum():
    assert SGD_128.sizes == [784, 100, 10]
    assert DROPOUT_BN.sizes == [784, 512, 256, 10]
    assert SGD_128.momentum == 0.9 and FULL_BATCH.momentum == 0.9
    assert BY_NAME["100-adam-128"].momentum == 0.0 and DROPOUT_BN.momentum == 0.0


def test_config_describe_names_batch_and_extras():
    assert SGD_128.describe() == "784-100-10, SGD mom 0.9 lr 0.01, batch 128"
    assert FULL_BATCH.describe() == "784-100-10, SGD mom 0.9 lr 0.1, full batch"
    assert DROPOUT_BN.describe() == "784-512-256-10, Adam lr 0.001, batch 128, dropout 0.2, batch norm"
    assert dataclasses.replace(SGD_128, dropout=0.5).describe().endswith("batch 128, dropout 0.5")
    assert dataclasses.replace(SGD_128, batch_norm=True).describe().endswith("batch 128, batch norm")
    assert BY_NAME["100-sgd-1"].describe() == "784-100-10, SGD mom 0.9 lr 0.001, batch 1, first 20,000 samples"


def test_config_training_data_cuts_the_training_set_only():
    data = tiny_data(300, 50)
    assert SGD_128.training_data(data) is data
    subset = dataclasses.replace(SGD_128, n_train=120).training_data(data)
    assert subset.x_train.shape == (120, 784) and subset.y_train.shape == (120,)
    np.testing.assert_array_equal(subset.x_train, data.x_train[:120])
    assert subset.x_test is data.x_test or np.array_equal(subset.x_test, data.x_test)
    assert len(dataclasses.replace(SGD_128, n_train=5_000).training_data(data).x_train) == 300


# data


def test_synthetic_images_shapes_types_and_range():
    x, y = synthetic_images(50, np.random.default_rng(3))
    assert x.shape == (50, 784) and x.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int64
    assert x.min() >= 0 and x.max() <= 1
    assert y.min() >= 0 and y.max() <= 9


def test_synthetic_images_are_deterministic_for_a_seed():
    x1, y1 = synthetic_images(40, np.random.default_rng(7))
    x2, y2 = synthetic_images(40, np.random.default_rng(7))
    x3, _ = synthetic_images(40, np.random.default_rng(8))
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


def test_synthetic_images_share_a_prototype_per_class():
    x, y = synthetic_images(400, np.random.default_rng(0))
    # 0.6 * prototype + 0.4 * noise: two samples of one class differ by at most 0.4 per pixel
    for label in range(10):
        members = x[y == label]
        assert len(members) > 1
        assert np.ptp(members, axis=0).max() <= 0.4 + 1e-6


def test_load_bench_data_takes_the_first_samples():
    data = load_bench_data(n_train=120, n_test=30)
    assert data.name in ("fashion-mnist", "synthetic")
    assert data.x_train.shape == (120, 784) and data.x_test.shape == (30, 784)
    assert data.y_train.shape == (120,) and data.y_test.shape == (30,)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64


def test_load_bench_data_falls_back_to_synthetic_images(monkeypatch, capsys):
    monkeypatch.setattr(images, "find_dataset_dir", lambda name, path=None: None)
    data = load_bench_data(n_train=60, n_test=20, seed=5)
    assert data.name == "synthetic"
    assert data.x_train.shape == (60, 784) and data.x_test.shape == (20, 784)
    stand_in = synthetic_dataset(seed=5)
    np.testing.assert_array_equal(data.x_train, stand_in.x_train[:60])
    np.testing.assert_array_equal(data.y_test, stand_in.y_test[:20])


# GEMM limit


@pytest.fixture
def fake_products(monkeypatch):
    calls = []

    def fake(sizes, batch, dtype=np.float32, rounds=5, backward=True):
        calls.append((list(sizes), batch, rounds) + (() if backward else ("forward only",)))
        return 1.0 + batch / 1000

    monkeypatch.setattr(gemm_module, "batch_products_time", fake)
    return calls


def test_gemm_limit_is_full_batches_plus_the_remainder(fake_products):
    total = gemm_limit_epoch([784, 100, 10], 1000, 128, rounds=2)
    assert total == pytest.approx(7 * 1.128 + 1.104)
    assert fake_products == [([784, 100, 10], 128, 2), ([784, 100, 10], 104, 2)]


def test_gemm_limit_without_remainder_times_one_batch_size(fake_products):
    assert gemm_limit_epoch([784, 10], 1024, 128) == pytest.approx(8 * 1.128)
    assert [batch for _, batch, _ in fake_products] == [128]


@pytest.mark.parametrize("batch_size", [None, 500, 5000])
def test_gemm_limit_of_full_batch_is_one_batch_of_every_sample(fake_products, batch_size):
    assert gemm_limit_epoch([784, 100, 10], 500, batch_size) == pytest.approx(1.5)
    assert [batch for _, batch, _ in fake_products] == [500]


def test_batch_products_time_measures_a_positive_time():
    seconds = batch_products_time([8, 4, 2], 3, rounds=1)
    assert isinstance(seconds, float) and seconds > 0


# results


def test_run_result_median_and_throughput():
    run = RunResult("mlplab", "100-sgd-128", 600, [0.3, 0.1, 0.2], 0.85, 5000.0)
    assert run.ran
    assert run.median_epoch == pytest.approx(0.2)
    assert run.samples_per_s == pytest.approx(3000)
    assert RunResult("x", "c", 10, [1.0, 2.0, 4.0, 3.0]).median_epoch == pytest.approx(2.5)
    d = run.to_dict()
    assert list(d) == [
        "library",
        "config",
        "epoch_times",
        "median_epoch_s",
        "samples_per_s",
        "test_accuracy",
        "inference_samples_per_s",
        "note",
        "path",
    ]
    assert d["median_epoch_s"] == pytest.approx(0.2) and d["samples_per_s"] == pytest.approx(3000)
    assert d["test_accuracy"] == 0.85 and d["inference_samples_per_s"] == 5000.0 and d["note"] == d["path"] == ""


def test_run_result_without_epochs_has_no_figures():
    run = RunResult("pytorch", "100-sgd-128", note="PyTorch is not installed")
    assert not run.ran
    assert run.median_epoch is None and run.samples_per_s is None
    d = run.to_dict()
    assert d["epoch_times"] == [] and d["median_epoch_s"] is None and d["samples_per_s"] is None
    assert d["note"] == "PyTorch is not installed"


def fabricated_result(torch_run=True, torch_ran=True):
    runs = [RunResult("mlplab", SGD_128.name, 60_000, [0.2, 0.25, 0.15], 0.85, 12_345.6)]
    if torch_run:
        times = [0.4, 0.4, 0.5] if torch_ran else []
        runs.append(
            RunResult(
                "pytorch", SGD_128.name, 60_000, times, 0.84, 20_000.0, "" if torch_ran else "PyTorch is not installed"
            )
        )
    runs.append(RunResult("scikit-learn", SGD_128.name, note="scikit-learn is not installed"))
    return ConfigResult(SGD_128, 0.06, runs, inference_limit=0.5, n_test=10_000)


def test_config_result_ratio_to_torch_and_gemm_fraction():
    result = fabricated_result()
    mlplab, torch, sklearn = result.runs
    assert result.run("pytorch") is torch and result.run("numpy") is None
    assert result.ratio_to_torch(mlplab) == pytest.approx(0.5)
    assert result.ratio_to_torch(torch) == pytest.approx(1.0)
    assert result.gemm_fraction(mlplab) == pytest.approx(0.3)
    assert result.gemm_fraction(torch) == pytest.approx(0.15)
    assert result.ratio_to_torch(sklearn) is None and result.gemm_fraction(sklearn) is None


def result_with_every_peer():
    runs = [
        RunResult("mlplab", SGD_128.name, 600, [0.3, 0.3, 0.3]),
        RunResult("pytorch", SGD_128.name, 600, [0.6, 0.5, 0.7]),
        RunResult("scikit-learn", SGD_128.name, 600, [0.9, 0.9, 0.9]),
        RunResult("jax-step", SGD_128.name, note="JAX is not installed"),
        RunResult("jax-scan", SGD_128.name, 600, [0.1, 0.25, 0.2]),
    ]
    return ConfigResult(SGD_128, 0.06, runs)


def test_ratio_to_fastest_peer_divides_by_the_fastest_library_other_than_mlplab():
    result = result_with_every_peer()
    mlplab, torch, sklearn, jax_step, jax_scan = result.runs
    assert result.fastest_peer() is jax_scan
    assert result.ratio_to_fastest_peer(mlplab) == pytest.approx(1.5)
    assert result.ratio_to_fastest_peer(torch) == pytest.approx(3.0)
    assert result.ratio_to_fastest_peer(sklearn) == pytest.approx(4.5)
    assert result.ratio_to_fastest_peer(jax_scan) == pytest.approx(1.0)
    assert result.ratio_to_fastest_peer(jax_step) is None
    assert result.ratio_to_torch(jax_scan) == pytest.approx(0.2 / 0.6)


def test_mlplab_faster_than_every_peer_is_not_the_fastest_peer():
    result = result_with_every_peer()
    result.runs[0].epoch_times = [0.05]
    assert result.fastest_peer() is result.runs[4]
    assert result.ratio_to_fastest_peer(result.runs[0]) == pytest.approx(0.25)


def test_ratio_to_fastest_peer_is_none_without_a_timed_peer():
    result = ConfigResult(SGD_128, 0.06, [RunResult("mlplab", SGD_128.name, 600, [0.3]), RunResult("jax-scan", "x")])
    assert result.fastest_peer() is None and result.ratio_to_fastest_peer(result.runs[0]) is None


def test_format_table_shows_the_ratio_to_the_fastest_peer():
    rows = table_rows(format_table(BenchReport(META, [result_with_every_peer()])))
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    assert [row[1] for row in cells] == ["mlplab", "pytorch", "scikit-learn", "jax-step", "jax-scan"]
    assert [row[6] for row in cells] == ["1.50", "3.00", "4.50", "", "1.00"]
    assert [row[5] for row in cells] == ["0.50", "1.00", "1.50", "", "0.33"]


@pytest.mark.parametrize("torch_run, torch_ran", [(False, False), (True, False)])
def test_ratio_to_torch_is_none_without_a_torch_timing(torch_run, torch_ran):
    result = fabricated_result(torch_run, torch_ran)
    mlplab = result.runs[0]
    assert result.ratio_to_torch(mlplab) is None
    assert result.gemm_fraction(mlplab) == pytest.approx(0.3)


META = {
    "date": "2024-01-02T03:04:05",
    "machine": "Test CPU, 2 cores",
    "threads": 2,
    "data": "synthetic",
    "n_train": 60_000,
    "n_test": 10_000,
    "dtype": "float32",
    "kernels": "numpy",
    "versions": {"mlplab": "0.1.0", "numpy": "2.0.0", "torch": "not installed"},
}


def fabricated_report(peak=12.5 * 2**20):
    full = ConfigResult(FULL_BATCH, 0.01, [RunResult("mlplab", FULL_BATCH.name, 60_000, [0.04], None, None)])
    return BenchReport(META, [fabricated_result(), full], peak)


def test_format_table_rows_and_cells():
    lines = format_table(fabricated_report()).splitlines()
    assert lines[0] == (
        "| configuration | library | s/epoch | samples/s | test acc | × PyTorch | × fastest peer | GEMM limit "
        "| infer/s | infer GEMM limit |"
    )
    assert lines[1] == "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    assert lines[2:7] == [
        "| 100-sgd-128 | mlplab | 0.200 | 300,000 | 0.8500 | 0.50 | 0.50 | 30% | 12,346 | 62% |",
        "|  | pytorch | 0.400 | 150,000 | 0.8400 | 1.00 | 1.00 | 15% | 20,000 | 100% |",
        "|  | scikit-learn | scikit-learn is not installed | | | | | | | |",
        "| 100-sgd-full | mlplab | 0.040 | 1,500,000 | — | — | — | 25% | — | — |",
        "",
    ]


def test_format_table_footer_names_machine_threads_kernels_and_memory():
    lines = format_table(fabricated_report()).splitlines()
    assert lines[7] == (
        "Test CPU, 2 cores; 2 threads; synthetic (60,000 train, 10,000 test), float32; "
        "mlplab kernels: numpy; 2024-01-02T03:04:05"
    )
    assert lines[8] == "mlplab 0.1.0, numpy 2.0.0, torch not installed"
    assert lines[9].startswith("s/epoch: median of the timed epochs")
    assert lines[10] == "Peak memory training 100-sgd-full beyond the data: 12.5 MB."
    assert len(lines) == 11
    assert "Peak memory" not in format_table(fabricated_report(peak=None))


def test_format_table_names_where_mlplab_took_its_general_loop_and_both_peak_memories():
    report = fabricated_report()
    report.results[0].runs[0].path = "compiled"
    report.results[1].runs[0].path = "general (one batch per epoch: nothing to gain from compiling the loop)"
    report.peak_memory_fast_bytes = 9.25 * 2**20
    lines = format_table(report).splitlines()
    assert lines[10] == (
        "mlplab trained on its general loop, not the compiled one: "
        "100-sgd-full (one batch per epoch: nothing to gain from compiling the loop)."
    )
    assert lines[11] == (
        "Peak memory training 100-sgd-full beyond the data: 12.5 MB; without batch norm, on the compiled loop: 9.2 MB."
    )
    assert report.to_dict()["peak_memory_fast_path_mb"] == 9.25
    assert report.to_dict()["results"][1]["runs"][0]["path"].startswith("general (one batch")


def test_format_table_notes_a_library_that_did_not_run():
    text = format_table(BenchReport(META, [fabricated_result(torch_ran=False)]))
    rows = table_rows(text)
    assert rows[1] == "|  | pytorch | PyTorch is not installed | | | | | | | |"
    assert rows[0] == "| 100-sgd-128 | mlplab | 0.200 | 300,000 | 0.8500 | — | — | 30% | 12,346 | 62% |"


def test_report_to_dict_adds_ratios_fractions_and_megabytes():
    d = fabricated_report().to_dict()
    assert d["meta"] is META and d["peak_memory_mb"] == pytest.approx(12.5)
    assert [r["config"] for r in d["results"]] == ["100-sgd-128", "100-sgd-full"]
    first = d["results"][0]
    assert first["description"] == SGD_128.describe() and first["gemm_limit_s"] == 0.06
    assert [run["library"] for run in first["runs"]] == ["mlplab", "pytorch", "scikit-learn"]
    assert first["runs"][0]["ratio_to_pytorch"] == pytest.approx(0.5)
    assert first["runs"][0]["ratio_to_fastest_peer"] == pytest.approx(0.5)
    assert first["runs"][1]["ratio_to_fastest_peer"] == pytest.approx(1.0)
    assert first["runs"][2]["ratio_to_fastest_peer"] is None
    assert d["results"][1]["runs"][0]["ratio_to_fastest_peer"] is None
    assert first["runs"][0]["gemm_fraction"] == pytest.approx(0.3)
    assert first["inference_gemm_limit_s"] == 0.5
    assert first["runs"][0]["inference_gemm_fraction"] == pytest.approx(0.61728)
    assert first["runs"][1]["inference_gemm_fraction"] == pytest.approx(1.0)
    assert first["runs"][2]["ratio_to_pytorch"] is None and first["runs"][2]["gemm_fraction"] is None
    assert json.loads(json.dumps(d)) == d
    assert fabricated_report(peak=None).to_dict()["peak_memory_mb"] is None


# runs and peers


def test_run_torch_without_torch_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    run = run_torch(with_epochs(SGD_128), tiny_data(), threads=1)
    assert run.library == "pytorch" and run.config == "100-sgd-128"
    assert not run.ran and run.test_accuracy is None and run.inference_per_s is None
    assert run.note == "PyTorch is not installed"


def test_run_torch_tiny_run_with_dropout_and_batch_norm():
    torch = pytest.importorskip("torch")
    layers = [type(layer).__name__ for layer in _torch_model(DROPOUT_BN, torch.nn)]
    assert layers == ["Linear", "BatchNorm1d", "ReLU", "Dropout"] * 2 + ["Linear"]
    assert [type(layer).__name__ for layer in _torch_model(SGD_128, torch.nn)] == ["Linear", "ReLU", "Linear"]
    run = run_torch(with_epochs(DROPOUT_BN, 2), tiny_data(), threads=1)
    assert run.library == "pytorch" and run.n_train == 200 and len(run.epoch_times) == 2
    assert 0 <= run.test_accuracy <= 1 and run.inference_per_s > 0 and run.note == ""


def test_run_sklearn_skips_dropout_and_batch_norm():
    run = run_sklearn(with_epochs(DROPOUT_BN), tiny_data())
    assert run.library == "scikit-learn" and not run.ran
    assert run.note == "MLPClassifier has no dropout or batch norm"


def test_run_sklearn_without_sklearn_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.neural_network", None)
    run = run_sklearn(with_epochs(SGD_128), tiny_data())
    assert not run.ran and run.note == "scikit-learn is not installed"


@pytest.mark.parametrize("config", [SGD_128, FULL_BATCH], ids=lambda c: c.name)
def test_run_sklearn_tiny_run(config):
    pytest.importorskip("sklearn")
    run = run_sklearn(with_epochs(config, 2), tiny_data())
    assert run.library == "scikit-learn" and run.config == config.name and run.n_train == 200
    assert len(run.epoch_times) == 2 and all(t > 0 for t in run.epoch_times)
    assert 0 <= run.test_accuracy <= 1 and run.inference_per_s > 0 and run.note == ""


def test_run_mlplab_tiny_run_is_reproducible():
    config, data = with_epochs(SGD_128, 3), tiny_data()
    run = run_mlplab(config, data, seed=1)
    assert run.library == "mlplab" and run.config == "100-sgd-128" and run.n_train == 200
    assert len(run.epoch_times) == 3 and all(t > 0 for t in run.epoch_times)
    assert 0 <= run.test_accuracy <= 1 and run.inference_per_s > 0 and run.note == ""
    assert run.path == ("compiled" if importlib.util.find_spec("numba") else run.path)  # the loop it took
    assert run_mlplab(config, data, seed=1).test_accuracy == run.test_accuracy


def test_run_mlplab_full_batch_with_dropout_and_batch_norm():
    config = dataclasses.replace(DROPOUT_BN, hidden=(32, 16), batch_size=None, epochs=2)
    run = run_mlplab(config, tiny_data())
    assert len(run.epoch_times) == 2 and 0 <= run.test_accuracy <= 1


def run_library(library, config, data):
    """``library``'s run of ``config`` on one thread; skips where the library is not installed."""
    if library == "mlplab":
        return run_mlplab(config, data)
    if library == "pytorch":
        pytest.importorskip("torch")
        return run_torch(config, data, threads=1)
    if library == "scikit-learn":
        pytest.importorskip("sklearn")
        return run_sklearn(config, data)
    pytest.importorskip("jax")
    return run_jax(config, data, threads=1, form=library)


@pytest.mark.parametrize("library", ["mlplab", *PEERS])
def test_every_library_trains_on_the_n_train_subset(library):
    config = dataclasses.replace(SGD_128, hidden=(16,), batch_size=32, epochs=1, n_train=150)
    run = run_library(library, config, tiny_data(300, 50))
    assert run.library == library and run.ran and len(run.epoch_times) == 1
    assert run.n_train == 150 and run.samples_per_s == pytest.approx(150 / run.median_epoch)


def test_run_suite_times_the_gemm_limit_of_the_subset(fake_products):
    config = dataclasses.replace(SGD_128, hidden=(16,), batch_size=32, epochs=1, n_train=150)
    report = run_suite([config], tiny_data(300, 50), threads=1, peers=[], measure_memory=False)
    (result,) = report.results
    assert fake_products[:2] == [([784, 16, 10], 32, 5), ([784, 16, 10], 22, 5)]  # 4 x 32 + 22 = 150
    assert result.gemm_limit == pytest.approx(4 * 1.032 + 1.022)
    assert result.runs[0].n_train == 150 and report.meta["n_train"] == 300


def test_peak_training_memory_counts_the_model_but_stays_small():
    peak = peak_training_memory(with_epochs(SGD_128), tiny_data())
    weights = (784 * 100 + 100 + 100 * 10 + 10) * 4
    assert weights < peak < 100 * 2**20


# the suite


def test_run_suite_rejects_unknown_peers():
    expected = r"unknown peers \['tensorflow'\]; choose from \['pytorch', 'scikit-learn', 'jax-step', 'jax-scan'\]"
    with pytest.raises(ValueError, match=expected):
        run_suite([SGD_128], tiny_data(), peers=["scikit-learn", "tensorflow"])


def test_run_suite_tiny_run_with_scikit_learn():
    configs = [with_epochs(FULL_BATCH), with_epochs(dataclasses.replace(DROPOUT_BN, hidden=(32, 16)))]
    messages = []
    report = run_suite(configs, tiny_data(), threads=1, peers=["scikit-learn"], log=messages.append)
    assert [r.config for r in report.results] == configs
    for result in report.results:
        assert [run.library for run in result.runs] == ["mlplab", "scikit-learn"]
        assert result.gemm_limit > 0
        assert len(result.runs[0].epoch_times) == 1 and result.ratio_to_torch(result.runs[0]) is None
    assert report.results[0].runs[1].ran
    assert report.results[1].runs[1].note == "MLPClassifier has no dropout or batch norm"
    assert messages == [
        "100-sgd-full: 784-100-10, SGD mom 0.9 lr 0.1, full batch",
        "100-sgd-full: scikit-learn",
        "512-256-adam-128-dropout-bn: 784-32-16-10, Adam lr 0.001, batch 128, dropout 0.2, batch norm",
        "512-256-adam-128-dropout-bn: scikit-learn",
        "peak memory: one epoch of the last configuration under tracemalloc",
        "peak memory: the same without batch norm, on the compiled loop",
    ]
    assert report.peak_memory_bytes > 0 and report.peak_memory_fast_bytes > 0
    paths = [result.runs[0].path for result in report.results]  # the whole set, batch norm: the general loop
    assert paths[0].startswith("general (one batch per epoch") and "BatchNorm" in paths[1]
    meta = report.meta
    assert meta["threads"] == 1 and meta["data"] == "tiny" and meta["n_train"] == 200 and meta["n_test"] == 100
    assert meta["dtype"] == "float32" and meta["kernels"] == ("numba" if kernels.enabled() else "numpy")
    assert {"mlplab", "numpy", "python", "torch", "sklearn", "jax", "numba", "blas"} <= set(meta["versions"])
    d = report.to_dict()
    assert {"date", "machine", "kernels", "versions"} <= set(d["meta"])
    assert json.loads(json.dumps(d)) == d


def test_run_suite_without_peers_runs_mlplab_alone():
    report = run_suite([with_epochs(SGD_128, 2)], tiny_data(), threads=1, peers=[], measure_memory=False)
    (result,) = report.results
    assert [run.library for run in result.runs] == ["mlplab"] and len(result.runs[0].epoch_times) == 2
    assert report.peak_memory_bytes is None and report.to_dict()["peak_memory_mb"] is None
    assert "Peak memory" not in format_table(report)


# the command line


@pytest.mark.slow
def test_cli_bench_quick_only_writes_table_and_json(tmp_path, capsys):
    out_file = tmp_path / "b.json"
    argv = [
        "bench",
        "--quick",
        "--only",
        "100-sgd-128",
        "dropout",
        "--peers",
        "scikit-learn",
        "--json",
        "--output",
        str(out_file),
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert [row.split(" | ")[1] for row in table_rows(captured.out)] == ["mlplab", "scikit-learn"] * 2
    assert "| 100-sgd-128 | mlplab |" in captured.out
    assert "| 512-256-adam-128-dropout-bn | mlplab |" in captured.out
    assert "|  | scikit-learn | MLPClassifier has no dropout or batch norm |" in captured.out
    assert "100-adam-128" not in captured.out and "pytorch |" not in captured.out
    assert "bench: 100-sgd-128: 784-100-10, SGD mom 0.9 lr 0.01, batch 128" in captured.err
    printed = json.loads(lines[-1])
    written = json.loads(out_file.read_text())
    assert printed == written
    assert printed["meta"]["quick"] is True
    assert printed["meta"]["n_train"] == 2000 and printed["meta"]["n_test"] == 500
    assert [r["config"] for r in printed["results"]] == ["100-sgd-128", "512-256-adam-128-dropout-bn"]
    assert len(printed["results"][0]["runs"][0]["epoch_times"]) == 2
    assert printed["peak_memory_mb"] > 0


def test_cli_bench_epochs_override_and_missing_torch(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)
    argv = ["bench", "--quick", "--only", "full", "--peers", "pytorch", "--epochs", "3", "--no-memory", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "|  | pytorch | PyTorch is not installed | | | | | |" in out
    assert "Peak memory" not in out
    document = json.loads(out.strip().splitlines()[-1])
    assert document["meta"]["versions"]["torch"] == "not installed" and document["peak_memory_mb"] is None
    (result,) = document["results"]
    assert [run["library"] for run in result["runs"]] == ["mlplab", "pytorch"]
    assert len(result["runs"][0]["epoch_times"]) == 3 and result["runs"][1]["epoch_times"] == []


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--threads", "0"], "mlplab bench: error: Invalid --threads: 0 (expected a positive integer)"),
        (
            ["--only", "nope"],
            "mlplab bench: error: no benchmark configuration matches ['nope']; the names are 100-sgd-128",
        ),
        (["--epochs", "0"], "mlplab bench: error: Invalid --epochs: 0 (expected a positive integer)"),
    ],
)
def test_cli_bench_bad_options_exit_with_status_2(capsys, argv, message):
    assert main(["bench", "--quick", *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_cli_bench_rejects_an_unknown_peer(capsys):
    with pytest.raises(SystemExit) as info:
        main(["bench", "--peers", "tensorflow"])
    assert info.value.code == 2 and "invalid choice: 'tensorflow'" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_bench_quick_smoke_run_covers_every_configuration(capsys):
    assert main(["bench", "--quick"]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out)
    assert [row.split(" | ")[0][2:] for row in rows if not row.startswith("|  |")] == NAMES
    assert [row.split(" | ")[1] for row in rows] == ["mlplab", *PEERS] * len(NAMES)
    if importlib.util.find_spec("torch") is None:
        assert out.count("| pytorch | PyTorch is not installed |") == len(NAMES)
    else:
        assert "PyTorch is not installed" not in out
    if importlib.util.find_spec("sklearn") is None:
        assert out.count("| scikit-learn | scikit-learn is not installed |") == len(NAMES)
    else:
        assert out.count("| scikit-learn | MLPClassifier has no dropout or batch norm |") == 1
    assert out.count(" | the JAX peers have no dropout or batch norm |") == 2  # said first, installed or not
    if importlib.util.find_spec("jax") is None:
        assert out.count(" | JAX is not installed |") == 2 * (len(NAMES) - 1)
    else:
        assert "JAX is not installed" not in out
    assert "; 2 threads; " in out and "(2,000 train, 500 test)" in out
    assert "Peak memory training 512-256-adam-128-dropout-bn beyond the data: " in out


@pytest.mark.parametrize("sizes", [dict(n_train=0), dict(n_test=0), dict(n_train=-5)])
def test_load_bench_data_rejects_empty_sizes(sizes):
    with pytest.raises(ValueError, match="n_t"):
        load_bench_data(**sizes)


def test_gemm_limit_rejects_an_empty_epoch():
    with pytest.raises(ValueError, match="n_samples"):
        gemm_limit_epoch([4, 3, 2], 0, 128)


def test_inference_limit_times_forward_products_only(fake_products):
    total = gemm_limit_epoch([784, 10], 2_500, 1_000, backward=False)
    assert total == pytest.approx(2 * 2.0 + 1.5)
    assert fake_products == [([784, 10], 1_000, 5, "forward only"), ([784, 10], 500, 5, "forward only")]
    assert batch_products_time([8, 4, 2], 3, rounds=1, backward=False) > 0


def test_the_thread_limit_reaches_the_blas_the_compiled_loop_calls():
    """In a fresh interpreter SciPy's BLAS is not loaded yet; the limit loads it first, then covers it."""
    import subprocess
    import sys

    pytest.importorskip("scipy")
    script = (
        "from threadpoolctl import threadpool_info\n"
        "from mlplab.bench.suite import blas_limited\n"
        "with blas_limited(1):\n"
        "    import scipy.linalg.cython_blas\n"  # what the compiled loop loads when it first runs
        "    print(sorted({lib['num_threads'] for lib in threadpool_info() if lib['user_api'] == 'blas'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[1]"]

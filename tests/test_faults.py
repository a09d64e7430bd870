"""Interrupting ``mlplab train`` at precise moments (Ctrl-C and ``kill -9``) and resuming it.

Each run is a subprocess of ``python -c BOOT``: BOOT wraps functions of mlplab (an atomic
write, a callback, the loss) so that their k-th call sends the process SIGINT or SIGKILL,
then runs the command line. The moment is chosen by counting calls, never by timing, so
every run is the same. A chain of such runs, each resuming the last (``--resume``), ends
with one that completes; its run folder must equal that of an uninterrupted run bit for
bit: model files, metric logs (less the ``epoch_time`` column) and test metrics; no
temporary file left.

The hooks live here only: the library has none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mlplab
from mlplab._atomic import atomic_write, remove_stale_temporaries
from mlplab.archive import read_arrays

BOOT = r"""
import contextlib, os, signal, sys

# Ctrl-C as a terminal delivers it, even where this test runs with SIGINT ignored (a shell's background job)
signal.signal(signal.SIGINT, signal.default_int_handler)

import mlplab.archive, mlplab.losses, mlplab.report, mlplab.recipe.run, mlplab.training.callbacks
from mlplab.training.callbacks import CSVLogger, ModelCheckpoint

# What a fault can hit: (object, attribute, when). "inside" fires in an atomic write, after the
# data went to the temporary file and before it replaces the target; "call" fires as the call begins.
PLACES = {
    "archive": (mlplab.archive, "atomic_write", "inside"),  # checkpoints and model files
    "log": (mlplab.training.callbacks, "atomic_write", "inside"),  # metrics.csv and metrics.jsonl
    "replaced": (mlplab._atomic, "_fsync_folder", "call"),  # any atomic write, just after its rename
    "loss": (mlplab.losses.SoftmaxCrossEntropy, "forward", "call"),  # batches and validation
    "csv": (CSVLogger, "on_epoch_end", "call"),
    "best": (ModelCheckpoint, "on_epoch_end", "call"),
    "report": (mlplab.recipe.run, "write_report", "call"),  # training is over
}


def hook(spec):
    place, count, name = spec.split(":")
    owner, attribute, when = PLACES[place]
    original, state = getattr(owner, attribute), {"calls": 0}

    def fire():
        state["calls"] += 1
        if state["calls"] == int(count):
            print(f"fault {spec}", file=sys.stderr, flush=True)
            os.kill(os.getpid(), getattr(signal, "SIG" + name))  # SIGINT raises KeyboardInterrupt right here

    if when == "inside":
        @contextlib.contextmanager
        def hooked(path):
            with original(path) as f:
                yield f
                fire()
    else:
        def hooked(*args, **kwargs):
            fire()
            return original(*args, **kwargs)

    setattr(owner, attribute, hooked)


def no_figure(*args):
    path = args[-1]
    path.write_bytes(b"")  # the report's figures are matplotlib's business, and slow
    return path


mlplab.report.plot_curves = mlplab.report.plot_confusion = no_figure
for spec in filter(None, os.environ.get("MLPLAB_TEST_FAULTS", "").split(",")):
    hook(spec)
from mlplab.cli import main

sys.exit(main(sys.argv[1:]))
"""

TRAIN = [
    "train", "--dataset", "moons", "--points", "400", "--epochs", "8", "--batch-size", "16", "--patience", "3",
    "--hidden", "16", "--dropout", "0.1", "--lr", "0.005", "--val-fraction", "0.3", "--seed", "3", "--json", "--quiet",
]  # fmt: skip
# (best validation accuracy at epochs 1, 2 and 3, then none: early stopping ends the run after epoch 6)


def mlplab_train(folder: Path, args: list[str], faults: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MLPLAB_TEST_FAULTS": faults,
        "MLPLAB_NUMBA": "0",  # no compilation or cache loading per process; the NumPy code is as exact
        "PYTHONPATH": str(Path(mlplab.__file__).parents[1]),  # the mlplab under test
    }
    return subprocess.run(
        [sys.executable, "-c", BOOT, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


def run_folder(run: Path) -> dict[str, object]:
    """What must not depend on interruptions: the model files, the logs less epoch_time, no temporary file."""
    csv_rows = [line.split(",") for line in (run / "metrics.csv").read_text().splitlines()]
    time_column = csv_rows[0].index("epoch_time")
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return {
        "csv": [row[:time_column] + row[time_column + 1 :] for row in csv_rows],
        "jsonl": [{k: v for k, v in record.items() if k != "epoch_time"} for record in records],
        "best": read_arrays(run / "best.npz"),
        "last": read_arrays(run / "last.npz"),
        "files": sorted(p.name for p in run.iterdir()),
    }


def assert_same_folder(ours: dict[str, object], reference: dict[str, object]) -> None:
    assert ours["files"] == reference["files"]  # no .tmp left, nothing missing
    assert ours["csv"] == reference["csv"]
    assert ours["jsonl"] == reference["jsonl"]
    for name in ("best", "last"):
        (meta, arrays), (reference_meta, reference_arrays) = ours[name], reference[name]  # type: ignore[misc]
        assert meta == reference_meta and arrays.keys() == reference_arrays.keys()
        for key, array in reference_arrays.items():
            np.testing.assert_array_equal(arrays[key], array, err_msg=f"{name}.npz {key}")


def final_metrics(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: v for k, v in results.items() if k in ("test_accuracy", "test_loss", "best_val_accuracy", "epochs")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted run."""
    folder = tmp_path_factory.mktemp("reference")
    done = mlplab_train(folder, [*TRAIN, "--out", str(folder), "--name", "run"])
    assert done.returncode == 0, done.stderr
    return run_folder(folder / "run"), final_metrics(done)


# Each chain: the faults of the first run, then of each resumed run (several in one run: comma-separated);
# a last run without faults completes it. The k-th calls are counted per process; a resumed run's count
# includes the files its resume rewrites. Epoch 1 writes best.npz (archive 2), last.npz (3) and its
# checkpoint (4), after the fit's initial checkpoint (archive 1).
CHAINS = {
    "ctrl-c writing the first best.npz, then in the rollback's own checkpoint write": [
        "archive:2:INT",
        "archive:2:INT,archive:3:INT",
    ],
    "ctrl-c writing last.npz, the epoch's checkpoint, and just after its rename": [
        "archive:3:INT",
        "archive:4:INT",
        "replaced:7:INT",
    ],
    "ctrl-c in the loggers, in a batch, in validation, while resuming and in the report": [
        "csv:2:INT",
        "log:4:INT",
        "loss:40:INT",
        "loss:31:INT",
        "archive:1:INT",  # the resume rewriting best.npz
        "report:1:INT",
    ],
    "kill -9 in the middle of writes: best.npz, a log, a checkpoint, the first epoch's checkpoint": [
        "archive:2:KILL",
        "log:3:KILL",
        "archive:7:KILL",
        "archive:4:KILL",
    ],
    "kill -9 between files, in a batch, and after training": [
        "best:3:KILL",
        "replaced:5:KILL",
        "loss:50:KILL",
        "report:1:KILL",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("chain", list(CHAINS), ids=lambda name: name.split(",")[0])
def test_interrupted_and_resumed_runs_end_as_an_uninterrupted_one(tmp_path, reference, chain):
    run = tmp_path / "run"
    args = [*TRAIN, "--out", str(tmp_path), "--name", "run"]
    for faults in CHAINS[chain]:
        done = mlplab_train(tmp_path, args, faults)
        signal_name = faults.split(",")[0].rsplit(":", 1)[1]
        if signal_name == "INT":
            assert done.returncode == 130, f"{faults}: {done.stderr}"
            assert f"fault {faults.split(',')[-1]}" in done.stderr
        else:
            assert done.returncode == -9, f"{faults}: {done.stderr}"
        assert (run / "checkpoint.npz").is_file()  # always something to resume from
        if signal_name == "INT":  # the handler left no temporary file, and logs that agree with the checkpoint
            assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
        args = ["train", "--resume", str(run), "--json", "--quiet"]
    done = mlplab_train(tmp_path, args)
    assert done.returncode == 0, done.stderr
    folder, metrics = reference
    assert_same_folder(run_folder(run), folder)
    assert final_metrics(done) == metrics


@pytest.mark.slow
def test_kill_inside_a_write_leaves_a_temporary_that_resuming_removes(tmp_path):
    run = tmp_path / "run"
    done = mlplab_train(tmp_path, [*TRAIN, "--out", str(tmp_path), "--name", "run"], "archive:3:KILL")
    assert done.returncode == -9
    temporaries = [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    assert len(temporaries) == 1 and temporaries[0].startswith(".last.npz.")
    done = mlplab_train(tmp_path, ["train", "--resume", str(run), "--json", "--quiet"])
    assert done.returncode == 0, done.stderr
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------- remove_stale_temporaries


def test_remove_stale_temporaries_removes_only_what_atomic_write_names(tmp_path):
    ours = [".model.npz.0123456789ab.tmp", ".checkpoint.npz.deadbeef0042.tmp", "..hidden.ffffffffffff.tmp"]
    others = [
        "model.npz",
        ".model.npz.0123456789AB.tmp",  # upper case: not a token_hex
        ".model.npz.0123456789a.tmp",  # 11 digits
        "model.npz.0123456789ab.tmp",  # no leading dot
        ".model.npz.0123456789ab.tmp.bak",
        "..0123456789ab.tmp",  # no name
    ]
    for name in ours + others:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / ".folder.0123456789ab.tmp").mkdir()  # a folder is never removed
    removed = remove_stale_temporaries(tmp_path)
    assert sorted(p.name for p in removed) == sorted(ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*others, ".folder.0123456789ab.tmp"])
    assert remove_stale_temporaries(tmp_path / "missing") == []


def test_the_names_atomic_write_gives_its_temporaries_are_those_removed(tmp_path):
    seen = []

    class Stop(Exception):
        pass

    with pytest.raises(Stop), atomic_write(tmp_path / "file.bin") as f:
        seen += list(tmp_path.iterdir())
        f.write(b"data")
        os.link(seen[0], tmp_path / "copy")  # keep it past the cleanup of the failed write
        raise Stop
    (tmp_path / "copy").rename(seen[0])
    assert remove_stale_temporaries(tmp_path) == seen

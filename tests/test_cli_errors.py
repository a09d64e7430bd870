"""The command line under hostile use: every error is one line naming the problem, inputs are read one way."""

import errno

import numpy as np
import pytest

from mlplab import cli
from mlplab.archive import read_arrays
from mlplab.cli import main
from mlplab.datasets import write_idx

TRAIN = ["train", "--dataset", "digits", "--hidden", "16", "--epochs", "2", "--quiet", "--name", "run"]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    assert main([*TRAIN, "--out", str(out)]) == 0
    return out / "run"


@pytest.mark.parametrize(
    "error, status, words",
    [
        (OSError(errno.ENOSPC, "No space left on device", "runs/x/best.npz"), 1, "the disk is full: runs/x/best.npz"),
        (PermissionError(errno.EACCES, "Permission denied", "runs"), 1, "Permission denied: runs"),
        (MemoryError(), 1, "out of memory"),
        (RecursionError("maximum recursion depth exceeded"), 1, "nested too deeply"),
        (TypeError("unsupported operand"), 1, "TypeError: unsupported operand (an mlplab bug; run again with --debug"),
    ],
)
def test_any_error_is_one_line_and_a_status_and_debug_shows_the_traceback(monkeypatch, capsys, error, status, words):
    def fail(args):
        raise error

    monkeypatch.setitem(cli.COMMANDS, "info", fail)
    assert main(["info", "model.npz"]) == status
    err = capsys.readouterr().err
    assert err.startswith("mlplab info: error: ") and words in err and len(err.strip().splitlines()) == 1
    for argv in (["info", "model.npz", "--debug"], ["--debug", "info", "model.npz"]):
        assert main(argv) == status
        assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_an_output_path_that_cannot_be_written_is_one_line(digits_run, tmp_path, capsys):
    x = np.zeros((3, 64), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "file").write_text("")
    assert (
        main(["predict", str(digits_run), str(tmp_path / "x.npy"), "--output", str(tmp_path / "file" / "p.csv")]) == 2
    )
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "p.csv" in err


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: np.save(p, np.zeros((0, 64))), "no samples (shape (0, 64))"),
        (lambda p: np.save(p, np.float64(3.0)), "no samples (shape ())"),
        (lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True), "never unpickles"),
        (lambda p: np.save(p, np.array(["a", "b"])), "holds <U1 values, not numbers"),
        (lambda p: p.write_bytes(b"\x80\x04garbage that is no array"), "not a NumPy .npy array file"),
    ],
)
def test_bad_input_files_are_refused_naming_the_file(digits_run, tmp_path, capsys, make, words):
    path = tmp_path / "inputs.npy"
    make(path)
    assert main(["predict", str(digits_run), str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and words in err and "allow_pickle" not in err and len(err.strip().splitlines()) == 1


def test_a_npy_header_declaring_more_than_the_file_holds_is_refused_before_reading(digits_run, tmp_path, capsys):
    import io

    from numpy.lib import format as npy_format

    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**13, 64)})
    path = tmp_path / "huge.npy"
    path.write_bytes(header.getvalue() + bytes(128))  # declares 640 TB, holds 128 bytes
    assert main(["predict", str(digits_run), str(path)]) == 2
    assert "more than the file holds" in capsys.readouterr().err


def test_a_name_containing_idx_does_not_make_a_csv_an_idx_file(digits_run, tmp_path, capsys):
    folder = tmp_path / "idx-inputs"
    folder.mkdir()
    np.savetxt(folder / "x.csv", np.zeros((2, 64)), delimiter=",")
    assert main(["predict", str(digits_run), str(folder / "x.csv")]) == 0
    assert len(capsys.readouterr().out.split()) == 2


def test_the_same_integer_images_give_the_same_predictions_from_every_format(digits_run, tmp_path, capsys):
    from mlplab.datasets import digits

    data = digits(seed=0)
    raw = np.rint(data.x_test[:25] * 16).astype(np.uint8)  # the digits as stored: 0..16
    np.save(tmp_path / "raw.npy", raw)
    write_idx(tmp_path / "raw-idx3-ubyte", raw.reshape(-1, 8, 8))
    np.save(tmp_path / "scaled.npy", data.x_test[:25])
    answers = []
    for name in ("raw.npy", "raw-idx3-ubyte", "scaled.npy"):
        assert main(["predict", str(digits_run), str(tmp_path / name)]) == 0
        answers.append(capsys.readouterr().out.split())
    assert answers[0] == answers[1] == answers[2] and len(answers[0]) == 25


def test_a_run_stopped_before_its_first_checkpoint_resumes_from_the_start(tmp_path, capsys):
    flags = ["--dataset", "xor", "--noise", "0.2", "--points", "200", "--hidden", "4", "--epochs", "3", "--quiet"]
    assert main(["train", *flags, "--out", str(tmp_path), "--name", "whole"]) == 0
    assert main(["train", *flags, "--out", str(tmp_path), "--name", "cut"]) == 0
    for name in ("checkpoint.npz", "best.npz", "last.npz", "metrics.csv", "metrics.jsonl", "report.md"):
        (tmp_path / "cut" / name).unlink()  # as left by a kill before the first checkpoint: config.yaml only
    assert main(["train", "--resume", str(tmp_path / "cut"), "--quiet"]) == 0
    whole, cut = (read_arrays(tmp_path / name / "last.npz")[1] for name in ("whole", "cut"))
    assert whole.keys() == cut.keys() and all(np.array_equal(whole[k], cut[k]) for k in whole)


def test_a_diverging_run_says_what_it_left(tmp_path, capsys):
    flags = ["--dataset", "moons", "--loss", "hinge", "--optimizer", "sgd", "--lr", "1e4", "--batch-size", "0"]
    assert main(["train", *flags, "--out", str(tmp_path), "--name", "run", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "training diverged" in err and "RuntimeWarning" not in err
    best = tmp_path / "run" / "best.npz"
    assert ("No model was saved" in err) != best.exists()
    if best.exists():
        assert (
            str(best) in err and np.isfinite(np.concatenate([a.ravel() for a in read_arrays(best)[1].values()])).all()
        )

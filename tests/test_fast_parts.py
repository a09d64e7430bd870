"""The compiled loop with each batch split between threads trains as the general path does.

The number of parts follows the BLAS threads, the cores and the batch; these tests fix all
three (three threads, three cores, two rows a part at least) so that the tiny data sets below
are split on any machine, parts with no rows of a short last batch included.
"""

import threading
import time

import numpy as np
import pytest

pytest.importorskip("numba")
from threadpoolctl import threadpool_info, threadpool_limits

from mlplab import MLP
from mlplab.training import Callback, Trainer, TrainingDiverged
from mlplab.training.fast import parts
from mlplab.training.fast.sync import meet, slots
from test_fast_path import CASES, N, assert_same_training, data, train, trained_in_two_threads_and_one_after_the_other

PARTS = 3


@pytest.fixture
def in_parts(monkeypatch):
    """Three BLAS threads, three cores, two rows a part at least; yields the parts of each run of batches."""
    used: list[int] = []
    run = parts.run_in_parts

    def counting(function, args, n_parts, sync):
        used.append(n_parts)
        return run(function, args, n_parts, sync)

    monkeypatch.setattr(parts, "MIN_ROWS_PER_PART", 2)
    monkeypatch.setattr(parts, "_cores", lambda: PARTS)
    monkeypatch.setattr(parts, "run_in_parts", counting)
    with threadpool_limits(PARTS, user_api="blas"):
        yield used


def blas_threads():
    return {library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"}


def expected_parts(options):
    size = min(options.get("batch_size", 7) or N, N)
    return max(1, min(PARTS, size // 2))


@pytest.mark.parametrize("net, options, targets", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_in_parts_the_fast_path_trains_as_the_general_path(in_parts, net, options, targets):
    compiled = train(True, net, options, targets)
    assert set(in_parts) == {expected_parts(options)}
    general = train(False, net, options, targets)
    assert_same_training(compiled, general, rtol=2e-5, atol=2e-6)


def test_the_same_parts_give_the_same_numbers_every_run(in_parts):
    case = {"dropout": 0.2}, {"optimizer": "adam", "lr": 0.01, "clip_norm": 0.5}, "labels"
    first, second = train(True, *case), train(True, *case)
    assert set(in_parts) == {PARTS}
    for a, b in zip(first.model.parameters(), second.model.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


@pytest.mark.parametrize("batch_size", [8, 11])
def test_a_last_batch_shorter_than_the_parts_leaves_some_parts_without_rows(in_parts, batch_size):
    """90 = 11 * 8 + 2 and 8 * 11 + 2: the last batch's two rows go to two of the three parts."""
    options = {"optimizer": "sgd", "lr": 0.05, "batch_size": batch_size, "optimizer_options": {"momentum": 0.9}}
    compiled = train(True, {}, options, "labels")
    assert set(in_parts) == {PARTS}
    assert_same_training(compiled, train(False, {}, options, "labels"), rtol=2e-5, atol=2e-6)


class RecordsBlasThreads(Callback):
    def __init__(self):
        self.seen = []

    def on_batches_end(self, batch, count, logs):
        self.seen.append(blas_threads())


def test_blas_runs_on_one_thread_during_the_epoch_and_gets_its_threads_back(in_parts):
    x, y = data("labels")
    recorder = RecordsBlasThreads()
    Trainer(MLP([6, 10, 3], rng=1), batch_size=9, verbose=0, rng=2, callbacks=[recorder]).fit(x, y, epochs=2)
    assert in_parts and recorder.seen == [{1}] * len(recorder.seen)
    assert blas_threads() == {PARTS}


def test_divergence_in_parts_is_reported_and_rolls_the_epoch_back(in_parts):
    x, y = data("regression")
    model = MLP([6, 10, 2], rng=1)
    trainer = Trainer(model, loss="mse", optimizer="sgd", lr=1e3, batch_size=7, verbose=0, rng=2, fast_path=True)
    start = [p.value.copy() for p in model.parameters()]
    with pytest.raises(TrainingDiverged, match=r"loss became (inf|nan) at epoch 1, batch \d+"):
        trainer.fit(x, y, epochs=3)
    assert set(in_parts) == {PARTS}
    for p, before in zip(model.parameters(), start):
        np.testing.assert_array_equal(p.value, before)
    assert blas_threads() == {PARTS}


def test_two_trainers_in_parts_in_two_threads_train_as_they_do_one_after_the_other(in_parts):
    together, alone = trained_in_two_threads_and_one_after_the_other(batch_size=12)
    assert set(in_parts) == {PARTS}
    for key in (0, 1):
        for a, b in zip(together[key][0], alone[key][0]):
            np.testing.assert_array_equal(a, b)
    assert blas_threads() == {PARTS}


def test_parts_are_all_finished_before_ctrl_c_reaches_the_caller():
    """Part 0 is interrupted while part 1 still works: the interruption waits for part 1."""
    started, finished = threading.Event(), []

    def work(part):
        if part == 0:
            started.wait()
            raise KeyboardInterrupt
        started.set()
        time.sleep(0.2)  # part 1 is still running when part 0 raises
        finished.append(part)
        return part

    with pytest.raises(KeyboardInterrupt):
        parts.run_in_parts(work, (), 2, slots(2))
    assert finished == [1]


@pytest.mark.parametrize("failing", [0, 1, 2])
def test_a_part_that_fails_releases_the_others_from_their_meeting(failing):
    """Without the failure slot, the parts left waiting for the failed one would spin forever."""
    sync, met = slots(3), []

    def work(part):
        if part == failing:
            raise ValueError(f"part {part} failed")
        met.append(meet(sync, part, 3, 1))
        return part

    outcome: list = []

    def call():
        with pytest.raises(ValueError, match=f"part {failing} failed"):
            parts.run_in_parts(work, (), 3, sync)
        outcome.append("raised")

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(timeout=600)  # a hang, not a slow machine, is what this waits out
    assert outcome == ["raised"] and met == [False, False]


def test_one_part_where_blas_has_one_thread_or_the_batch_is_small():
    with threadpool_limits(1, user_api="blas"), parts.blas_for_parts(10_000) as n_parts:
        assert n_parts == 1
    with parts.blas_for_parts(parts.MIN_ROWS_PER_PART * 2 - 1) as n_parts:
        assert n_parts == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_products_on_spans_of_rows_equal_numpys(dtype):
    from mlplab.training.fast.blas import product_over_rows, weight_gradient_rows

    rng = np.random.default_rng(0)
    a, w, g = (rng.normal(size=shape).astype(dtype) for shape in ((5, 9), (9, 4), (5, 4)))
    out = np.full((5, 4), np.nan, dtype=dtype)
    product_over_rows(a, w, out, 2, 7)
    np.testing.assert_allclose(out, a[:, 2:7] @ w[2:7], rtol=1e-6)
    product_over_rows(a, w, out, 3, 3)
    assert not out.any()  # no inputs: zero
    gradient = np.full((9, 4), np.nan, dtype=dtype)
    weight_gradient_rows(a, g, gradient, 2, 7)
    np.testing.assert_allclose(gradient[2:7], (a.T @ g)[2:7], rtol=1e-6)
    assert np.isnan(gradient[:2]).all() and np.isnan(gradient[7:]).all()  # other rows untouched
    weight_gradient_rows(a[:1], g[:1], gradient, 0, 9)  # one sample: the outer product
    np.testing.assert_array_equal(gradient, np.outer(a[0], g[0]))


def test_gathering_copies_the_rows_and_columns_asked_for_and_nothing_else():
    from mlplab.training.fast.gather import gather_rows

    x = np.arange(40 * 50, dtype=np.float32).reshape(40, 50)
    rows = np.array([7, 3, 39, 0, 12, 5, 7, 21], dtype=np.intp)
    out = np.full((8, 50), -1.0, dtype=np.float32)
    none = np.empty(0, dtype=np.float32)
    gather_rows(x, rows, out, 1, 7, 10, 45, none, none)
    expected = np.full((8, 50), -1.0, dtype=np.float32)
    expected[1:7, 10:45] = x[rows[1:7], 10:45]
    np.testing.assert_array_equal(out, expected)


def _train_in_parts(queue):
    x, y = data("labels")
    trainer = Trainer(MLP([6, 10, 3], rng=1), batch_size=9, verbose=0, rng=2)
    trainer.fit(x, y, epochs=2)
    queue.put(trainer.epoch_path)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork is POSIX")
@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")  # JAX's, where another test started it
def test_a_process_forked_after_training_in_parts_trains_in_parts_too():
    """The helper threads are not copied by fork: the child makes its own instead of waiting forever."""
    import multiprocessing

    x, y = data("labels")
    Trainer(MLP([6, 10, 3], rng=1), batch_size=9, verbose=0, rng=2).fit(x, y, epochs=1)  # helper threads exist
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_train_in_parts, args=(queue,))
    child.start()
    child.join(timeout=600)  # a hang, not a slow machine, is what this waits out
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0
    assert queue.get(timeout=10) == "compiled"


def test_gathering_can_standardize_as_the_layer_does():
    from mlplab.layers import Standardize
    from mlplab.training.fast.gather import gather_rows

    rng = np.random.default_rng(0)
    x = rng.normal(3, 5, size=(30, 9)).astype(np.float32)
    layer = Standardize(9).fit(x)
    rows = np.array([4, 0, 29, 4], dtype=np.intp)
    out = np.zeros((4, 9), dtype=np.float32)
    gather_rows(x, rows, out, 0, 4, 0, 9, layer.mean, layer.std)
    np.testing.assert_array_equal(out, layer.forward(x[rows]))  # the very same float32 arithmetic

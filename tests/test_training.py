"""The training loop: GD modes, history, callbacks, divergence, checkpoints and exact resume."""

import io
import json
import pickle
import warnings

import numpy as np
import pytest

import mlplab
from mlplab.training import (
    Callback,
    CSVLogger,
    EarlyStopping,
    JSONLLogger,
    ModelCheckpoint,
    ProgressBar,
    Trainer,
    TrainingDiverged,
    read_checkpoint,
)


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = rng.integers(0, 3, n)
    x = centers[y] + rng.normal(0, 0.7, (n, 2))
    return x.astype(np.float32), y


class Recorder(Callback):
    """Keeps a copy of the weights at every epoch's start and end."""

    def __init__(self):
        self.begin, self.end, self.logs = [], [], []

    def on_epoch_begin(self, epoch, logs):
        self.begin.append([p.value.copy() for p in self.trainer.model.parameters()])

    def on_epoch_end(self, epoch, logs):
        self.end.append([p.value.copy() for p in self.trainer.model.parameters()])
        self.logs.append(dict(logs))


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, batch, logs):
        if self.trainer.epoch == self.epoch and batch == self.batch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("batch_size, lr, epochs", [(None, 0.3, 400), (16, 0.05, 150), (1, 0.01, 60)])
def test_batch_stochastic_and_minibatch_gd_reach_the_same_optimum(batch_size, lr, epochs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    w_true, b_true = np.array([[1.5], [-2.0], [0.5]]), 0.7
    y = x @ w_true + b_true  # noiseless: the optimum has zero loss, for every mode
    model = mlplab.Sequential([mlplab.Dense(3, 1, rng=1, dtype=np.float64)])
    trainer = Trainer(model, "mse", "sgd", lr=lr, batch_size=batch_size, verbose=0, rng=2)
    trainer.fit(x, y, epochs=epochs)
    np.testing.assert_allclose(model[0].W.value, w_true, atol=1e-4)
    np.testing.assert_allclose(model[0].b.value, [b_true], atol=1e-4)
    assert trainer.batches_per_epoch == (1 if batch_size is None else -(-64 // batch_size))


def test_history_has_every_metric_per_epoch():
    x, y = blobs()
    trainer = Trainer(mlplab.MLP([2, 16, 3], rng=0), lr=0.01, batch_size=16, verbose=0, rng=0)
    history = trainer.fit(x[:200], y[:200], epochs=4, validation_data=(x[200:], y[200:]))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time"}
    assert all(len(v) == 4 for v in history.history.values())
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert history.epochs == [0, 1, 2, 3]


def test_evaluate_and_predict():
    x, y = blobs()
    trainer = Trainer(mlplab.MLP([2, 16, 3], rng=0), lr=0.01, verbose=0, rng=0)
    trainer.fit(x, y, epochs=5)
    proba = trainer.predict_proba(x, batch_size=7)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(trainer.predict(x).argmax(1), proba.argmax(1))
    result = trainer.evaluate(x, y)
    assert result["accuracy"] == pytest.approx(float((proba.argmax(1) == y).mean()))
    assert result["loss"] == pytest.approx(float(-np.log(proba[np.arange(len(y)), y]).mean()), rel=1e-4)


def test_same_seed_same_run_bit_for_bit():
    x, y = blobs()
    weights = []
    for _ in range(2):
        model = mlplab.MLP([2, 16, 3], dropout=0.2, rng=0)
        Trainer(model, lr=0.01, verbose=0, rng=5).fit(x, y, epochs=3)
        weights.append([p.value.copy() for p in model.parameters()])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_restores_the_best_weights():
    x, y = blobs(200)
    rng = np.random.default_rng(1)
    x_val, y_val = x[:60], rng.permutation(y[:60])  # labels unrelated to inputs: val loss rises as it fits
    recorder = Recorder()
    stopper = EarlyStopping(monitor="val_loss", patience=2)
    trainer = Trainer(mlplab.MLP([2, 32, 3], rng=0), lr=0.05, callbacks=[recorder, stopper], verbose=0, rng=0)
    trainer.fit(x, y, epochs=50, validation_data=(x_val, y_val))
    val_losses = [logs["val_loss"] for logs in recorder.logs]
    best = int(np.argmin(val_losses))
    assert stopper.stopped_epoch is not None and len(val_losses) == best + 3  # stopped after `patience` bad epochs
    assert len(val_losses) < 50
    for p, expected in zip(trainer.model.parameters(), recorder.end[best]):
        np.testing.assert_array_equal(p.value, expected)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_nan_loss_stops_with_the_last_good_weights():
    x, y = blobs()
    recorder = Recorder()
    model = mlplab.MLP([2, 16, 3], activation="relu", rng=0)
    trainer = Trainer(model, "softmax_cross_entropy", "sgd", lr=1e6, callbacks=[recorder], verbose=0, rng=0)
    with pytest.raises(TrainingDiverged, match=r"loss became (nan|inf) at epoch \d+, batch \d+"):
        trainer.fit(x, y, epochs=20)
    for p, good in zip(model.parameters(), recorder.begin[-1]):
        assert np.all(np.isfinite(p.value))
        np.testing.assert_array_equal(p.value, good)


def make_trainer(tmp_path, seed_model=0, callbacks=()):
    model = mlplab.MLP([2, 16, 16, 3], dropout=0.2, batch_norm=True, rng=seed_model)
    return Trainer(
        model,
        lr=0.01,
        batch_size=32,
        schedule=mlplab.ExponentialDecay(0.01, 0.001, 5),
        clip_norm=5.0,
        l2=1e-3,
        callbacks=[EarlyStopping(monitor="val_loss", patience=100), *callbacks],
        verbose=0,
        rng=3,
        checkpoint_path=tmp_path / "checkpoint.npz",
    )


def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(tmp_path):
    x, y = blobs()
    val = (x[:50], y[:50])
    (tmp_path / "straight").mkdir()
    straight = make_trainer(tmp_path / "straight")
    straight.fit(x, y, epochs=6, validation_data=val)

    interrupted = make_trainer(tmp_path, callbacks=[InterruptAt(epoch=3, batch=4)])
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(x, y, epochs=6, validation_data=val)
    assert (tmp_path / "checkpoint.npz").exists()

    resumed = make_trainer(tmp_path, seed_model=99, callbacks=[InterruptAt(epoch=-1, batch=-1)])
    resumed.resume()
    assert resumed.epoch == 3
    resumed.fit(x, y, epochs=6, validation_data=val)
    for (name, a), (_, b) in zip(straight.model.named_parameters(), resumed.model.named_parameters()):
        np.testing.assert_array_equal(a.value, b.value, err_msg=name)
    for key, value in straight.model.buffers().items():
        np.testing.assert_array_equal(value, resumed.model.buffers()[key], err_msg=key)
    for key in ("loss", "val_loss", "lr", "accuracy"):
        assert straight.history[key] == resumed.history[key]


def test_checkpoint_is_written_every_epoch_and_loads_with_plain_numpy(tmp_path):
    x, y = blobs()
    trainer = make_trainer(tmp_path)
    trainer.fit(x, y, epochs=2, validation_data=(x[:50], y[:50]))
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as data:
        assert any(name.startswith("state/weights") for name in data.files)
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]  # no temporary files left


def test_loggers_and_model_checkpoint(tmp_path):
    x, y = blobs()
    callbacks = [
        CSVLogger(tmp_path / "metrics.csv"),
        JSONLLogger(tmp_path / "metrics.jsonl"),
        ModelCheckpoint(tmp_path / "best.npz", monitor="val_accuracy", save_best_only=True),
    ]
    trainer = Trainer(mlplab.MLP([2, 16, 3], rng=0), lr=0.01, callbacks=callbacks, verbose=0, rng=0)
    trainer.fit(x[:200], y[:200], epochs=3, validation_data=(x[200:], y[200:]))
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert rows[0].split(",")[:3] == ["epoch", "loss", "accuracy"] and len(rows) == 4
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert records[-1]["val_loss"] == pytest.approx(trainer.history["val_loss"][-1])
    best = mlplab.persistence.load(tmp_path / "best.npz")
    best_epoch = int(np.argmax(trainer.history["val_accuracy"]))
    assert np.mean(best.forward(x[200:]).argmax(1) == y[200:]) == pytest.approx(
        trainer.history["val_accuracy"][best_epoch]
    )


def test_schedule_sets_the_rate_each_epoch():
    x, y = blobs()
    trainer = Trainer(
        mlplab.MLP([2, 8, 3], rng=0),
        "softmax_cross_entropy",
        "sgd",
        lr=0.1,
        verbose=0,
        rng=0,
        schedule=mlplab.StepDecay(0.1, 0.5, 2),
    )
    trainer.fit(x, y, epochs=5)
    assert trainer.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_plateau_schedule_reduces_on_a_stalled_metric():
    x, y = blobs()
    schedule = mlplab.ReduceOnPlateau(lr=0.1, factor=0.5, patience=0, threshold=10.0)  # nothing counts as better
    trainer = Trainer(
        mlplab.MLP([2, 8, 3], rng=0), "softmax_cross_entropy", "sgd", lr=0.1, verbose=0, rng=0, schedule=schedule
    )
    trainer.fit(x, y, epochs=3)
    assert trainer.history["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_l2_applies_to_weights_not_biases():
    model = mlplab.MLP([2, 4, 3], rng=0)
    trainer = Trainer(model, "softmax_cross_entropy", "sgd", lr=0.1, l2=0.5, l1=0.1, verbose=0)
    groups = trainer.optimizer.param_groups
    assert [p.name for p in groups[0]["params"]] == ["W", "W"] and groups[0]["weight_decay"] == 0.5
    assert [p.name for p in groups[1]["params"]] == ["b", "b"] and groups[1]["weight_decay"] == 0.0


def test_progress_output_quiet_and_plain():
    x, y = blobs(60)
    quiet, plain = io.StringIO(), io.StringIO()
    for stream, verbose in ((quiet, 0), (plain, 1)):
        trainer = Trainer(
            mlplab.MLP([2, 4, 3], rng=0), lr=0.01, verbose=0, rng=0, callbacks=[ProgressBar(verbose, stream)]
        )
        trainer.fit(x, y, epochs=2)
    assert quiet.getvalue() == ""
    lines = plain.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2") and "loss" in lines[0] and "accuracy" in lines[0]


def test_bad_data_is_refused():
    trainer = Trainer(mlplab.MLP([2, 4, 3], rng=0), verbose=0)
    with pytest.raises(ValueError, match="y has 3 samples but x has 4"):
        trainer.fit(np.zeros((4, 2)), np.zeros(3, dtype=int), epochs=1)
    with pytest.raises(ValueError, match="x has 5 features per sample, expected 2"):
        trainer.fit(np.zeros((4, 5)), np.zeros(4, dtype=int), epochs=1)
    with pytest.raises(ValueError, match="Invalid epochs"):
        trainer.fit(np.zeros((4, 2)), np.zeros(4, dtype=int), epochs=0)
    with pytest.raises(ValueError, match="Invalid batch_size"):
        Trainer(mlplab.MLP([2, 4, 3], rng=0), batch_size=0)


def test_predict_rejects_a_non_positive_batch_size():
    trainer = Trainer(mlplab.MLP([3, 2], rng=0), verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        trainer.predict(np.ones((4, 3)), batch_size=-1)


def test_without_penalties_no_parameter_is_decayed_even_by_adamw():
    trainer = Trainer(mlplab.MLP([3, 4, 2], rng=0), optimizer="adamw", verbose=0)
    assert [g["weight_decay"] for g in trainer.optimizer.param_groups] == [0.0]
    assert len(trainer.optimizer.param_groups[0]["params"]) == 4


# ---------------------------------------------------------------- divergence the loss does not show


class RaiseRateAt(Callback):
    """Sets the learning rate to ``lr`` when epoch ``epoch`` (0-based) begins."""

    def __init__(self, epoch, lr):
        self.epoch, self.lr = epoch, lr

    def on_epoch_begin(self, epoch, logs):
        if epoch == self.epoch:
            self.trainer.optimizer.lr = self.lr


def regression_data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    return x, x @ np.array([[1.0], [-2.0], [0.5]])


@pytest.mark.parametrize("diverging_epoch", [0, 2])
def test_weights_made_infinite_by_an_epochs_last_update_are_divergence(tmp_path, diverging_epoch):
    # batch gradient descent: one update per epoch, so no later batch's loss would show the infinite weights
    x, y = regression_data()
    recorder = Recorder()
    files = [ModelCheckpoint(tmp_path / "best.npz", monitor="loss", save_best_only=True), CSVLogger(tmp_path / "m.csv")]
    model = mlplab.Sequential([mlplab.Dense(3, 1, rng=1, dtype=np.float64)])
    trainer = Trainer(
        model,
        "mse",
        "sgd",
        lr=0.01,
        batch_size=None,
        callbacks=[RaiseRateAt(diverging_epoch, 1e308), recorder, *files],
        verbose=0,
        rng=0,
        checkpoint_path=tmp_path / "checkpoint.npz",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value RuntimeWarning reaches the user
        with pytest.raises(
            TrainingDiverged, match=f"weights became NaN or infinite at epoch {diverging_epoch + 1}"
        ) as info:
            trainer.fit(x, y, epochs=5)
    assert info.value.epoch == diverging_epoch + 1 and info.value.cause == "weights"
    assert len(recorder.end) == diverging_epoch  # no epoch-end callback saw the infinite weights
    start = recorder.begin[-1]
    for p, good in zip(model.parameters(), start):
        np.testing.assert_array_equal(p.value, good)
    state = mlplab.training.read_checkpoint(tmp_path / "checkpoint.npz")
    assert state["epoch"] == diverging_epoch
    for array in state["weights"].values():
        assert np.all(np.isfinite(array))
    if diverging_epoch:
        best = mlplab.persistence.load(tmp_path / "best.npz")
        assert all(np.all(np.isfinite(p.value)) for p in best.parameters())
        assert len((tmp_path / "m.csv").read_text().splitlines()) == 1 + diverging_epoch
    else:
        assert not (tmp_path / "best.npz").exists() and not (tmp_path / "m.csv").exists()


def test_hinge_on_a_huge_rate_diverges_instead_of_scoring_zero(tmp_path):
    x, y = blobs(200)
    model = mlplab.MLP([2, 16, 3], rng=0)
    checkpoint = ModelCheckpoint(tmp_path / "best.npz", monitor="val_accuracy", save_best_only=True)
    trainer = Trainer(model, "hinge", "sgd", lr=1e4, batch_size=16, callbacks=[checkpoint], verbose=0, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDiverged) as info:
            trainer.fit(x[:150], y[:150], epochs=10, validation_data=(x[150:], y[150:]))
    assert info.value.cause in ("loss", "weights", "val_loss")
    assert all(np.all(np.isfinite(p.value)) for p in model.parameters())
    if (tmp_path / "best.npz").exists():
        assert all(np.all(np.isfinite(p.value)) for p in mlplab.persistence.load(tmp_path / "best.npz").parameters())
    for history in trainer.history.history.values():
        assert all(np.isfinite(history))


def test_training_diverged_keeps_its_epoch_through_pickling():
    error = TrainingDiverged("loss became nan at epoch 3, batch 1; ...", 3, "loss")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.epoch, copy.cause, str(copy)) == (3, "loss", str(error))


# ---------------------------------------------------------------- Ctrl-C at epoch end, and files that agree


class InterruptAtEpochEnd(Callback):
    """Ctrl-C in ``on_epoch_end`` of epoch ``epoch`` (0-based), after the callbacks listed before it wrote their files."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        if epoch == self.epoch:
            self.epoch = -1
            raise KeyboardInterrupt


def run_folder_trainer(folder, extra=()):
    callbacks = [
        EarlyStopping(monitor="val_accuracy", patience=100),
        CSVLogger(folder / "metrics.csv"),
        JSONLLogger(folder / "metrics.jsonl"),
        ModelCheckpoint(folder / "best.npz", monitor="val_accuracy", save_best_only=True),
        ModelCheckpoint(folder / "last.npz"),
        *extra,
    ]
    model = mlplab.MLP([2, 16, 3], dropout=0.1, rng=0)
    return Trainer(
        model, lr=0.02, batch_size=32, callbacks=callbacks, verbose=0, rng=1, checkpoint_path=folder / "checkpoint.npz"
    )


def folder_contents(folder):
    rows = [line.split(",") for line in (folder / "metrics.csv").read_text().splitlines()]
    time_column = rows[0].index("epoch_time")
    csv_rows = [row[:time_column] + row[time_column + 1 :] for row in rows]
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    for record in records:
        del record["epoch_time"]
    models = {name: mlplab.archive.read_arrays(folder / name)[1] for name in ("best.npz", "last.npz")}
    return csv_rows, records, models


@pytest.mark.parametrize("epoch", [0, 2])
def test_ctrl_c_in_an_epoch_end_callback_rolls_the_epoch_back_and_resumes_exactly(tmp_path, epoch):
    x, y = blobs()
    val = (x[:60], y[:60])
    (tmp_path / "straight").mkdir()
    (tmp_path / "cut").mkdir()
    run_folder_trainer(tmp_path / "straight").fit(x, y, epochs=5, validation_data=val)

    cut = run_folder_trainer(tmp_path / "cut", [InterruptAtEpochEnd(epoch)])
    with pytest.raises(KeyboardInterrupt):
        cut.fit(x, y, epochs=5, validation_data=val)
    assert cut.epoch == epoch and read_checkpoint(tmp_path / "cut" / "checkpoint.npz")["epoch"] == epoch
    # the files already agree with the checkpoint: the interrupted epoch's rows and models are gone
    assert len(cut.history.history.get("loss", [])) == epoch
    if epoch == 0:
        assert not any((tmp_path / "cut" / name).exists() for name in ("metrics.csv", "best.npz", "last.npz"))
    else:
        assert len((tmp_path / "cut" / "metrics.csv").read_text().splitlines()) == 1 + epoch

    resumed = run_folder_trainer(tmp_path / "cut", [InterruptAtEpochEnd(-1)])
    resumed.resume()
    resumed.fit(x, y, epochs=5, validation_data=val)
    straight_files, resumed_files = folder_contents(tmp_path / "straight"), folder_contents(tmp_path / "cut")
    assert resumed_files[0] == straight_files[0] and resumed_files[1] == straight_files[1]
    for name in ("best.npz", "last.npz"):
        for key, array in straight_files[2][name].items():
            np.testing.assert_array_equal(resumed_files[2][name][key], array, err_msg=f"{name} {key}")


def test_resuming_trims_logs_and_restores_model_files_written_after_the_checkpoint(tmp_path):
    # what a run killed between its epoch-end writes and its checkpoint leaves behind
    x, y = blobs()
    val = (x[:60], y[:60])
    trainer = run_folder_trainer(tmp_path)
    trainer.fit(x, y, epochs=2, validation_data=val)
    saved = (tmp_path / "checkpoint.npz").read_bytes()
    before = folder_contents(tmp_path)
    trainer.fit(x, y, epochs=4, validation_data=val)  # two more epochs of files the checkpoint will not know
    (tmp_path / "checkpoint.npz").write_bytes(saved)
    (tmp_path / ".best.npz.0123456789ab.tmp").write_bytes(b"half a model")

    resumed = run_folder_trainer(tmp_path).resume()
    assert resumed.epoch == 2
    after = folder_contents(tmp_path)
    assert after[0] == before[0] and after[1] == before[1]
    for name in ("best.npz", "last.npz"):
        for key, array in before[2][name].items():
            np.testing.assert_array_equal(after[2][name][key], array, err_msg=f"{name} {key}")
    assert not (tmp_path / ".best.npz.0123456789ab.tmp").exists()


def test_a_new_fit_starts_its_logs_afresh(tmp_path):
    (tmp_path / "metrics.csv").write_text("stale,rows\n1,2\n")
    x, y = blobs(60)
    trainer = Trainer(mlplab.MLP([2, 4, 3], rng=0), callbacks=[CSVLogger(tmp_path / "metrics.csv")], verbose=0, rng=0)
    trainer.fit(x, y, epochs=2)
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,loss") and [row.split(",")[0] for row in rows[1:]] == ["1", "2"]


def test_a_run_resumed_after_an_early_stop_trains_no_further(tmp_path):
    x, y = blobs(200)
    stopper = EarlyStopping(monitor="loss", patience=0, min_delta=10.0)  # nothing improves by 10: stops after epoch 2
    trainer = Trainer(
        mlplab.MLP([2, 8, 3], rng=0), callbacks=[stopper], verbose=0, rng=0, checkpoint_path=tmp_path / "c.npz"
    )
    trainer.fit(x, y, epochs=10)
    assert trainer.epoch == 2
    resumed_stopper = EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    resumed = Trainer(
        mlplab.MLP([2, 8, 3], rng=5), callbacks=[resumed_stopper], verbose=0, rng=0, checkpoint_path=tmp_path / "c.npz"
    ).resume()
    resumed.fit(x, y, epochs=10)
    assert resumed.epoch == 2 and resumed.history.history["loss"] == trainer.history.history["loss"]
    for a, b in zip(trainer.model.parameters(), resumed.model.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


@pytest.mark.parametrize("cut", ["ctrl-c", "divergence"])
def test_a_fit_cut_short_keeps_the_weights_it_was_rolled_back_to_and_can_go_on(cut):
    x, y = blobs()
    recorder = Recorder()
    stopper = EarlyStopping(
        monitor="loss", mode="max", patience=100
    )  # "best": epoch 1's, restored when training is over
    extra = [InterruptAt(epoch=2, batch=3)] if cut == "ctrl-c" else [RaiseRateAt(2, 1e30)]
    model = mlplab.MLP([2, 16, 3], rng=0)
    trainer = Trainer(model, lr=0.01, batch_size=32, callbacks=[recorder, stopper, *extra], verbose=0, rng=0)
    with pytest.raises(KeyboardInterrupt if cut == "ctrl-c" else TrainingDiverged):
        trainer.fit(x, y, epochs=5)
    for p, start in zip(model.parameters(), recorder.begin[-1]):
        np.testing.assert_array_equal(p.value, start)
    if cut == "ctrl-c":
        extra[0].epoch = -1  # once
        trainer.fit(x, y, epochs=5)
        straight = Trainer(  # on the general path, as the run with InterruptAt (a batch callback) was
            mlplab.MLP([2, 16, 3], rng=0),
            lr=0.01,
            batch_size=32,
            callbacks=[EarlyStopping("loss", mode="max", patience=100)],
            verbose=0,
            rng=0,
            fast_path=False,
        )
        straight.fit(x, y, epochs=5)
        assert trainer.history["loss"] == straight.history["loss"]
        for a, b in zip(model.parameters(), straight.model.parameters()):
            np.testing.assert_array_equal(a.value, b.value)

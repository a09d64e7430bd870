"""The training loop: GD modes, history, callbacks, divergence, checkpoints and exact resume."""

import io
import json

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

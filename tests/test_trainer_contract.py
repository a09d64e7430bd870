"""The trainer's contract for front ends: stepping epochs, callback state in checkpoints, no silent options."""

import numpy as np
import pytest

from mlplab import MLP, SGD
from mlplab.training import Callback, EarlyStopping, Trainer


def data(seed=0, n=120):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x, y


class Peaks(Callback):
    """Feeds EarlyStopping a made-up ``score`` that peaks at epoch ``best`` (0-based), then falls."""

    def __init__(self, best):
        self.best = best

    def on_epoch_end(self, epoch, logs):
        logs["score"] = -abs(epoch - self.best)


class InterruptAt(Callback):
    """Ctrl-C in the middle of epoch ``epoch`` (0-based), once."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_begin(self, batch, logs):
        if self.trainer.epoch == self.epoch and batch == 2:
            self.epoch = -1
            raise KeyboardInterrupt


class Hooks(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, logs):
        self.calls.append("begin")

    def on_train_end(self, logs):
        self.calls.append("end")

    def on_epoch_end(self, epoch, logs):
        self.calls.append(epoch)


def make_trainer(path, extra=(), patience=3):
    """Every trainer here takes the general path: InterruptAt needs each batch, and the runs with and
    without it must compare bit for bit (the fast path sums some products in another order)."""
    model = MLP([4, 16, 2], activation="tanh", dropout=0.1, rng=1)
    stopper = EarlyStopping("score", patience=patience, mode="max", restore_best_weights=True)
    return Trainer(
        model,
        optimizer="sgd",
        lr=0.1,
        batch_size=16,
        callbacks=[Peaks(2), stopper, *extra],
        verbose=0,
        rng=2,
        checkpoint_path=path,
        fast_path=False,
    ), stopper


def weights(trainer):
    return [p.value.copy() for p in trainer.model.parameters()]


def test_resume_after_the_best_epoch_ends_where_an_uninterrupted_run_ends(tmp_path):
    x, y = data()
    straight, stopper = make_trainer(tmp_path / "a.npz")
    straight.fit(x, y, epochs=20)
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 5 and straight.epoch == 6

    interrupted, _ = make_trainer(tmp_path / "b.npz", [InterruptAt(4)])  # after the best epoch (2), before the stop
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(x, y, epochs=20)
    assert interrupted.epoch == 4
    resumed, resumed_stopper = make_trainer(tmp_path / "b.npz", [InterruptAt(-1)])
    resumed.resume()
    assert resumed_stopper.best_epoch == 2 and resumed_stopper.best_weights is not None  # the checkpoint kept them
    resumed.fit(x, y, epochs=20)

    assert resumed.epoch == straight.epoch and resumed_stopper.stopped_epoch == 5
    assert resumed.history.history["loss"] == straight.history.history["loss"]
    for ours, theirs in zip(weights(resumed), weights(straight)):
        np.testing.assert_array_equal(ours, theirs)  # the best epoch's weights, restored, bit for bit
    best = resumed_stopper.best_weights
    for name, p in resumed.model.named_parameters():
        np.testing.assert_array_equal(p.value, best[f"param/{name}"])


def test_one_early_stopping_reused_for_a_second_fit_starts_afresh(tmp_path):
    x, y = data()
    first, stopper = make_trainer(None)
    first.fit(x, y, epochs=20)
    assert stopper.wait == 3 and stopper.best_epoch == 2
    model = MLP([4, 16, 2], activation="tanh", dropout=0.1, rng=7)
    second = Trainer(model, optimizer="sgd", lr=0.1, batch_size=16, callbacks=[Peaks(4), stopper], verbose=0, rng=3)
    second.fit(x, y, epochs=20)
    assert second.epoch == 8 and stopper.best_epoch == 4  # not stopped after one epoch by the first fit's count
    for name, p in model.named_parameters():  # its own best weights, not the first model's
        np.testing.assert_array_equal(p.value, stopper.best_weights[f"param/{name}"])
    assert not any(np.array_equal(a, b) for a, b in zip(weights(first), weights(second)))


def test_train_epochs_steps_without_the_begin_and_end_hooks():
    x, y = data()
    hooks = Hooks()
    stepped = Trainer(
        MLP([4, 8, 2], rng=0), optimizer="adam", lr=0.01, batch_size=32, callbacks=[hooks], verbose=0, rng=1
    )
    logs = [stepped.train_epochs(x, y) for _ in range(3)]
    logs.append(stepped.train_epochs(x, y, 2))
    assert hooks.calls == [0, 1, 2, 3, 4] and stepped.epoch == 5
    assert [entry["loss"] for entry in logs] == stepped.history.history["loss"][:3] + stepped.history.history["loss"][
        4:
    ]
    fitted = Trainer(MLP([4, 8, 2], rng=0), optimizer="adam", lr=0.01, batch_size=32, verbose=0, rng=1)
    fitted.fit(x, y, epochs=5)
    assert fitted.history.history["loss"] == stepped.history.history["loss"]  # the same epochs as one fit
    fitted_hooks = Hooks()
    fitted.callbacks.append(fitted_hooks)
    fitted.fit(x, y, epochs=6)  # continues: not a new fit, nothing reset
    assert fitted_hooks.calls == ["begin", 5, "end"] and len(fitted.history.history["loss"]) == 6


@pytest.mark.parametrize("option", [{"lr": 0.5}, {"l2": 1e-3}, {"l1": 1e-3}, {"optimizer_options": {"momentum": 0.9}}])
def test_options_an_optimizer_object_would_ignore_are_an_error(option):
    model = MLP([4, 2], rng=0)
    with pytest.raises(ValueError, match=f"{next(iter(option))} apply to an optimizer given by name; the SGD object"):
        Trainer(model, optimizer=SGD(model.parameters(), lr=0.1), **option)
    Trainer(model, optimizer=SGD(model.parameters(), lr=0.1))  # alone it is used as it is


def test_the_loss_and_the_model_say_what_the_trainer_needs():
    trainer = Trainer(MLP([4, 3, 2], dtype=np.float64, rng=0), loss="mse", verbose=0)
    assert not trainer.classification and trainer.model.dtype == np.float64 and trainer.model.in_features == 4
    with pytest.raises(ValueError, match="x has 5 features per sample, expected 4"):
        trainer.predict(np.zeros((2, 5)))

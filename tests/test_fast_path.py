"""The compiled fast path trains as the general NumPy path does, and steps aside where it cannot.

Every supported combination is trained twice from the same seeds, once per path, and must end with
the same weights and optimizer state (to float32 rounding: the fast path sums some products in
another order) and the very same random streams (the shuffle and every dropout mask).
"""

import numpy as np
import pytest

pytest.importorskip("numba")

from mlplab import MLP, Dense, Dropout, ReLU, Sequential
from mlplab.losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from mlplab.rng import generators_in
from mlplab.training import Callback, Trainer, TrainingDiverged, fast

N = 90  # batches of 7 leave a last batch of 6


def data(kind, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, 6)).astype(dtype)
    x[rng.random(x.shape) < 0.2] = 0  # zeros, as in images
    if kind == "labels":
        return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.5)
    if kind == "binary":
        return x, (x[:, :1] * x[:, 1:2] > 0).astype(dtype)
    return x, np.stack([x[:, 0] - x[:, 1], x[:, 2] * 0.5], axis=1).astype(dtype)


# (id, network options, trainer options, targets)
CASES = [
    ("relu-ce-sgd-b1", {}, {"optimizer": "sgd", "lr": 0.05, "batch_size": 1}, "labels"),
    ("relu-ce-momentum-b7", {}, {"optimizer": "sgd", "lr": 0.05, "optimizer_options": {"momentum": 0.9}}, "labels"),
    (
        "tanh-ce-nesterov",
        {"activation": "tanh"},
        {"optimizer": "sgd", "lr": 0.05, "batch_size": 16, "optimizer_options": {"momentum": 0.9, "nesterov": True}},
        "labels",
    ),
    (
        "sigmoid-ce-dampening",
        {"activation": "sigmoid"},
        {"optimizer": "sgd", "lr": 0.1, "optimizer_options": {"momentum": 0.8, "dampening": 0.3}},
        "labels",
    ),
    ("leaky-ce-adam", {"activation": "leaky_relu"}, {"optimizer": "adam", "lr": 0.01}, "labels"),
    (
        "relu-ce-amsgrad-l2",
        {},
        {"optimizer": "adam", "lr": 0.01, "l2": 1e-2, "optimizer_options": {"amsgrad": True}},
        "labels",
    ),
    (
        "relu-ce-adamw-l1",
        {},
        {"optimizer": "adamw", "lr": 0.01, "l1": 1e-3, "optimizer_options": {"weight_decay": 0.1}},
        "labels",
    ),
    ("tanh-mse-rmsprop", {"activation": "tanh"}, {"optimizer": "rmsprop", "lr": 0.005}, "regression"),
    (
        "relu-mse-rmsprop-centered-momentum",
        {},
        {"optimizer": "rmsprop", "lr": 0.002, "optimizer_options": {"centered": True, "momentum": 0.5}},
        "regression",
    ),
    (
        "relu-half-mse-adagrad",
        {},
        {
            "loss": "half_squared_error",
            "optimizer": "adagrad",
            "lr": 0.05,
            "optimizer_options": {"lr_decay": 0.01, "initial_accumulator_value": 0.1},
        },
        "regression",
    ),  # fmt: skip
    ("tanh-quadratic-adadelta", {"activation": "tanh"}, {"loss": "quadratic", "optimizer": "adadelta"}, "regression"),
    (
        "relu-bce-logits",
        {"out": 1},
        {"loss": BinaryCrossEntropy(from_logits=True), "optimizer": "sgd", "lr": 0.1},
        "binary",
    ),
    (
        "relu-bce-probabilities",
        {"out": 1, "output_activation": "sigmoid"},
        {"loss": "binary_cross_entropy", "optimizer": "adam", "lr": 0.01},
        "binary",
    ),
    (
        "identity-and-step",
        {"activation": ["identity", "step"], "hidden": (8, 5)},
        {"optimizer": "sgd", "lr": 0.05},
        "labels",
    ),
    ("dropout-adam-b5", {"dropout": 0.3}, {"optimizer": "adam", "lr": 0.01, "batch_size": 5}, "labels"),
    (
        "dropout-two-layers-b1",
        {"dropout": 0.25, "hidden": (12, 8), "activation": ["relu", "tanh"]},
        {"optimizer": "sgd", "lr": 0.02, "batch_size": 1, "optimizer_options": {"momentum": 0.5}},
        "labels",
    ),
    ("clip-value", {}, {"optimizer": "sgd", "lr": 0.2, "clip_value": 0.05}, "labels"),
    ("clip-norm-l1-l2", {}, {"optimizer": "adam", "lr": 0.02, "clip_norm": 0.1, "l1": 1e-3, "l2": 1e-3}, "labels"),
    ("full-batch", {}, {"optimizer": "sgd", "lr": 0.5, "batch_size": None}, "labels"),
    ("no-shuffle", {"dropout": 0.1}, {"optimizer": "adam", "lr": 0.01, "shuffle": False}, "labels"),
    ("sum-reduction", {}, {"loss": SoftmaxCrossEntropy(reduction="sum"), "optimizer": "sgd", "lr": 0.005}, "labels"),
    ("no-bias", {"bias": False}, {"optimizer": "adam", "lr": 0.01}, "labels"),
    ("batch-larger-than-set", {}, {"optimizer": "adam", "lr": 0.01, "batch_size": 500}, "labels"),
    # small batches, every optimizer
    ("small-batch-adam-l2-b1", {}, {"optimizer": "adam", "lr": 0.01, "batch_size": 1, "l2": 1e-2}, "labels"),
    ("small-batch-adamw-amsgrad-b3", {}, {"optimizer": "adamw", "lr": 0.01, "batch_size": 3,
                                    "optimizer_options": {"amsgrad": True}}, "labels"),
    ("small-batch-rmsprop-l2-clip-value-b2", {"activation": "tanh"},
     {"optimizer": "rmsprop", "lr": 0.002, "batch_size": 2, "l2": 1e-3, "clip_value": 0.01,
      "optimizer_options": {"momentum": 0.3}}, "regression"),
    ("small-batch-adagrad-b4", {"hidden": (300,)}, {"optimizer": "adagrad", "lr": 0.05, "batch_size": 4,
                                               "optimizer_options": {"lr_decay": 0.01}}, "labels"),
    ("small-batch-adadelta-b1", {"dropout": 0.2}, {"optimizer": "adadelta", "batch_size": 1}, "labels"),
    ("small-batch-nesterov-b1", {}, {"optimizer": "sgd", "lr": 0.02, "batch_size": 1,
                               "optimizer_options": {"momentum": 0.9, "nesterov": True}}, "labels"),
    ("small-batch-clip-norm-b1", {}, {"optimizer": "sgd", "lr": 0.05, "batch_size": 1, "clip_norm": 0.05}, "labels"),
]  # fmt: skip


def train(fast_path, net, options, targets, dtype=np.float32, epochs=3):
    net = dict(net)
    out = net.pop("out", 2 if targets == "regression" else 3)
    hidden = net.pop("hidden", (10,))
    x, y = data(targets, dtype)
    model = MLP([6, *hidden, out], rng=1, dtype=dtype, **net)
    options = {"batch_size": 7, **options}
    if targets == "regression":
        options.setdefault("loss", "mse")
    trainer = Trainer(model, verbose=0, rng=2, fast_path=fast_path, **options)
    trainer.fit(x, y, epochs=epochs)
    return trainer


def assert_same_training(compiled, general, rtol, atol):
    assert compiled.epoch_path == "compiled"
    assert general.epoch_path == "general (fast_path=False)"
    for (name, a), (_, b) in zip(compiled.model.named_parameters(), general.model.named_parameters()):
        np.testing.assert_allclose(a.value, b.value, rtol=rtol, atol=atol, err_msg=name)
    ours, theirs = compiled.optimizer.state_dict(), general.optimizer.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for key, state in theirs["state"].items():
        assert state.keys() == ours["state"][key].keys()
        for name, value in state.items():
            np.testing.assert_allclose(ours["state"][key][name], value, rtol=rtol, atol=atol, err_msg=f"{key}.{name}")
    for name in ("loss", "accuracy"):
        np.testing.assert_allclose(
            compiled.history.history.get(name, []), general.history.history.get(name, []), rtol=rtol * 10, atol=atol
        )
    # the same random streams: the shuffles and every dropout mask drew exactly as many numbers
    assert compiled.rng.bit_generator.state == general.rng.bit_generator.state
    for a, b in zip(generators_in(compiled.model), generators_in(general.model)):
        assert a.bit_generator.state == b.bit_generator.state


@pytest.mark.parametrize("net, options, targets", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_the_fast_path_trains_as_the_general_path(net, options, targets):
    assert_same_training(train(True, net, options, targets), train(False, net, options, targets), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", ["relu-ce-momentum-b7", "dropout-two-layers-b1", "tanh-mse-rmsprop"])
def test_in_float64_the_paths_agree_to_float64_rounding(case):
    _, net, options, targets = next(c for c in CASES if c[0] == case)
    compiled = train(True, net, options, targets, dtype=np.float64)
    general = train(False, net, options, targets, dtype=np.float64)
    assert_same_training(compiled, general, rtol=1e-10, atol=1e-12)


def test_the_same_test_accuracy_on_images_as_the_general_path():
    from mlplab.datasets.standin import synthetic_dataset

    data_set = synthetic_dataset(n_train=600, n_test=200, seed=0)
    accuracies = []
    for fast_path in (True, False):
        model = MLP([data_set.x_train.shape[1], 32, 10], dropout=0.2, rng=0)
        trainer = Trainer(model, optimizer="sgd", lr=0.02, batch_size=10, verbose=0, rng=0, fast_path=fast_path,
                          optimizer_options={"momentum": 0.9})  # fmt: skip
        trainer.fit(data_set.x_train, data_set.y_train, epochs=3)
        accuracies.append(trainer.evaluate(data_set.x_test, data_set.y_test)["accuracy"])
    assert accuracies[0] == accuracies[1] and accuracies[0] > 0.5


class EveryBatch(Callback):
    def on_batch_end(self, batch, logs):
        pass


class Runs(Callback):
    def __init__(self):
        self.runs = []

    def on_batch_end(self, batch, logs):
        raise AssertionError("the fast path reports runs of batches, not each batch")

    def on_batches_end(self, batch, count, logs):
        self.runs.append((batch, count))


def test_a_callback_that_needs_each_batch_keeps_the_general_path():
    trainer = train(None, {}, {"callbacks": [EveryBatch()]}, "labels", epochs=1)
    assert trainer.epoch_path == "general (the callback EveryBatch needs each batch)"


def test_a_callback_that_takes_runs_of_batches_hears_of_every_batch():
    runs = Runs()
    trainer = train(None, {}, {"batch_size": 1, "callbacks": [runs]}, "labels", epochs=2)
    assert trainer.epoch_path == "compiled"
    per_epoch = N  # batch size 1
    assert sum(count for _, count in runs.runs) == 2 * per_epoch
    assert [batch for batch, _ in runs.runs if batch == per_epoch - 1] == [per_epoch - 1] * 2


def unpacked(model):
    """``model`` with one weight matrix replaced by a copy, no longer a view into the packed array."""
    layer = model.layers[0]
    layer.W.value = layer.W.value.copy()
    return model


@pytest.mark.parametrize(
    "model, reason",
    [
        (lambda: MLP([6, 10, 3], batch_norm=True, rng=0), "BatchNorm"),
        (lambda: MLP([6, 10, 3], activation="prelu", rng=0), "PReLU"),
        (lambda: unpacked(MLP([6, 10, 3], rng=0)), "not packed"),
        (lambda: Sequential([ReLU(), Dense(6, 3, rng=0), Dense(3, 3, rng=0)]), "before the first Dense"),
        (
            lambda: Sequential(
                [Dense(6, 8, rng=0), Dropout(0.5, rng=np.random.Generator(np.random.MT19937(0))), Dense(8, 3, rng=0)]
            ),
            "MT19937",
        ),  # fmt: skip
    ],
)
def test_what_the_fast_path_does_not_run_trains_on_the_general_path(model, reason):
    x, y = data("labels")
    trainer = Trainer(model(), optimizer="sgd", lr=0.05, batch_size=7, verbose=0, rng=0)
    trainer.fit(x, y, epochs=1)
    assert trainer.epoch_path.startswith("general (") and reason in trainer.epoch_path
    forced = Trainer(model(), optimizer="sgd", lr=0.05, batch_size=7, verbose=0, rng=0, fast_path=True)
    with pytest.raises(ValueError, match="the fast path was required, but it cannot train this"):
        forced.fit(x, y, epochs=1)


def test_one_hot_targets_and_unsupported_optimizers_train_on_the_general_path():
    x, y = data("labels")
    trainer = Trainer(MLP([6, 10, 3], rng=0), batch_size=7, verbose=0, rng=0)
    trainer.fit(x, np.eye(3, dtype=np.float32)[y], epochs=1)
    assert "target rows" in trainer.epoch_path


def test_left_to_choose_a_whole_set_batch_keeps_the_general_path():
    for batch_size in (None, N, 10 * N):
        trainer = train(None, {}, {"batch_size": batch_size}, "labels", epochs=1)
        assert trainer.epoch_path == "general (one batch per epoch: nothing to gain from compiling the loop)"
        assert train(True, {}, {"batch_size": batch_size}, "labels", epochs=1).epoch_path == "compiled"


def test_switching_the_default_off_keeps_every_trainer_on_the_general_path():
    previous = fast.set_enabled(False)
    try:
        trainer = train(None, {}, {}, "labels", epochs=1)
        assert trainer.epoch_path == "general (the fast path is switched off)"
        assert train(True, {}, {}, "labels", epochs=1).epoch_path == "compiled"  # asked for: still taken
    finally:
        fast.set_enabled(previous)


@pytest.mark.parametrize("fast_path", [True, False])
def test_divergence_is_reported_alike_and_rolls_the_epoch_back(fast_path):
    x, y = data("regression")
    model = MLP([6, 10, 2], rng=1)
    trainer = Trainer(model, loss="mse", optimizer="sgd", lr=1e3, batch_size=7, verbose=0, rng=2, fast_path=fast_path)
    start = [p.value.copy() for p in model.parameters()]
    with pytest.raises(TrainingDiverged, match=r"loss became (inf|nan) at epoch 1, batch \d+") as caught:
        trainer.fit(x, y, epochs=3)
    assert caught.value.epoch == 1 and caught.value.cause == "loss"
    for p, before in zip(model.parameters(), start):
        np.testing.assert_array_equal(p.value, before)
    assert trainer.optimizer.state_dict()["state"] == {}


class InterruptRun(Callback):
    """Ctrl-C after the first run of batches of epoch ``epoch`` (0-based), once."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batches_end(self, batch, count, logs):
        if self.trainer.epoch == self.epoch:
            self.epoch = -1
            raise KeyboardInterrupt


def test_ctrl_c_between_runs_of_batches_rolls_back_and_the_fit_goes_on_exactly(tmp_path):
    x, y = data("labels")
    x = np.repeat(x, 100, axis=0)  # 9,000 samples at batch 1: several runs of batches per epoch
    y = np.repeat(y, 100, axis=0)

    def make(extra, path):
        model = MLP([6, 10, 3], dropout=0.2, rng=1)
        return Trainer(model, optimizer="adam", lr=1e-3, batch_size=1, verbose=0, rng=2, callbacks=extra,
                       checkpoint_path=path)  # fmt: skip

    straight = make([InterruptRun(-1)], tmp_path / "a.npz")
    straight.fit(x, y, epochs=2)
    cut = make([InterruptRun(1)], tmp_path / "b.npz")
    with pytest.raises(KeyboardInterrupt):
        cut.fit(x, y, epochs=2)
    assert cut.epoch == 1
    resumed = make([InterruptRun(-1)], tmp_path / "b.npz").resume()
    resumed.fit(x, y, epochs=2)
    assert resumed.epoch_path == straight.epoch_path == "compiled"
    assert resumed.history.history["loss"][1] == straight.history.history["loss"][1]
    for a, b in zip(resumed.model.parameters(), straight.model.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


def test_the_processor_keeps_its_subnormal_numbers_after_a_fast_epoch():
    train(True, {}, {}, "labels", epochs=1)
    tiny = np.float32(np.finfo(np.float32).tiny)
    assert np.array([tiny], dtype=np.float32)[0] / np.float32(4) > 0  # not flushed to zero outside the loop


@pytest.mark.parametrize("choice, fast_path", [("auto", None), ("on", True), ("off", False)])
def test_the_recipe_option_picks_the_path(choice, fast_path):
    from mlplab.recipe import Config
    from mlplab.recipe.build import build_trainer

    trainer = build_trainer(Config(fast_path=choice, batch_size=7), MLP([6, 10, 3], rng=0))
    assert trainer.fast_path is fast_path
    trainer.fit(*data("labels"), epochs=1)
    assert trainer.epoch_path == ("general (fast_path=False)" if choice == "off" else "compiled")


def trained_in_two_threads_and_one_after_the_other(batch_size):
    """The weights and paths of two seeded trainers run one after the other, then at once in two threads."""
    import threading

    def run(results, key, seed):
        x, y = data("labels", seed=seed)
        x, y = np.repeat(x, 40, axis=0), np.repeat(y, 40, axis=0)  # runs of batches long enough to overlap
        model = MLP([6, 10, 3], dropout=0.2, rng=seed)
        trainer = Trainer(model, optimizer="adam", lr=0.01, batch_size=batch_size, verbose=0, rng=seed)
        trainer.fit(x, y, epochs=2)
        results[key] = [p.value.copy() for p in model.parameters()], trainer.epoch_path

    alone: dict = {}
    run(alone, 0, 0)
    run(alone, 1, 1)
    together: dict = {}
    threads = [threading.Thread(target=run, args=(together, k, k)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return together, alone


def test_two_trainers_in_two_threads_train_as_they_do_one_after_the_other():
    """The loop releases the GIL and keeps no state of its own: concurrent fits (the playground's and
    the tuner's threads) end exactly where sequential ones do."""
    together, alone = trained_in_two_threads_and_one_after_the_other(batch_size=4)
    for key in (0, 1):
        assert together[key][1] == alone[key][1] == "compiled"
        for a, b in zip(together[key][0], alone[key][0]):
            np.testing.assert_array_equal(a, b)


class SeesSubnormals(Callback):
    """Records, in each batch, whether float32 arithmetic keeps a subnormal result."""

    def __init__(self):
        self.kept = []

    def on_batch_end(self, batch, logs):
        tiny = np.finfo(np.float32).tiny
        self.kept.append(bool(np.array([tiny], dtype=np.float32)[0] / np.float32(4) > 0))


def test_the_general_loop_also_flushes_subnormals_and_restores_them_after():
    from mlplab.training.fast import denormals

    sees = SeesSubnormals()
    trainer = train(None, {}, {"callbacks": [sees]}, "labels", epochs=1)
    assert trainer.epoch_path.startswith("general (the callback SeesSubnormals")
    assert sees.kept and set(sees.kept) == {not denormals.X86}  # flushed within the epoch on x86-64
    tiny = np.float32(np.finfo(np.float32).tiny)
    assert np.array([tiny], dtype=np.float32)[0] / np.float32(4) > 0  # and kept again after it


@pytest.mark.parametrize("batch_size", [7, 4, None], ids=["batches", "split-by-inputs", "whole-set"])
def test_a_leading_standardizer_trains_compiled_as_the_general_path(batch_size):
    """``mlplab train``'s default model starts with Standardize: the loop standardizes rows as it gathers them."""
    from mlplab.recipe import Config, build_model, build_trainer

    x, y = data("labels")
    x = x * 5 + 3  # far from standard, so that the standardizer matters
    trainers = []
    for fast_path in (True, False):
        config = Config(
            standardize=True, hidden=(10,), dropout=0.2, optimizer="adam", lr=0.01, batch_size=batch_size or 0
        )
        trainer = build_trainer(config, build_model(config, 3, x))
        trainer.fast_path = fast_path
        trainer.fit(x, y, epochs=3)
        trainers.append(trainer)
    compiled, general = trainers
    assert compiled.epoch_path == "compiled" and general.epoch_path == "general (fast_path=False)"
    for (name, a), (_, b) in zip(compiled.model.named_parameters(), general.model.named_parameters()):
        np.testing.assert_allclose(a.value, b.value, rtol=2e-5, atol=2e-6, err_msg=name)
    assert compiled.rng.bit_generator.state == general.rng.bit_generator.state

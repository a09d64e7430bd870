"""The JAX peers: network, loss and optimizers in ``jax.numpy``, the two training forms, XLA's threads."""

import dataclasses
import os
import sys

import numpy as np
import pytest

from mlplab import MLP
from mlplab.bench import CONFIGS, jax_peer, run_suite
from mlplab.bench.jax_peer import FORMS, limit_xla_threads, run_jax
from mlplab.bench.runs import build_trainer
from mlplab.datasets import Dataset, synthetic_images

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax_model = pytest.importorskip("mlplab.bench.jax_model")

BY_NAME = {c.name: c for c in CONFIGS}
SGD_128, ADAM_128, FULL_BATCH = BY_NAME["100-sgd-128"], BY_NAME["100-adam-128"], BY_NAME["100-sgd-full"]
DROPOUT_BN = BY_NAME["512-256-adam-128-dropout-bn"]
SMALL = dict(hidden=(32,), batch_size=32, epochs=2)  # 300 samples: 9 batches of 32 and one of 12


@pytest.fixture(scope="module", autouse=True)
def threads():
    """XLA's threads in this process: one, unless an earlier test started JAX (then runs ask for its count)."""
    limit_xla_threads(1)
    return jax_peer._threads_set or 1


def tiny_data(n_train=300, n_test=100, seed=0):
    x, y = synthetic_images(n_train + n_test, np.random.default_rng(seed))
    return Dataset("tiny", x[:n_train], y[:n_train], x[n_train:], y[n_train:], tuple("0123456789"), (28, 28))


def params_of(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (jnp.asarray(rng.normal(size=(n_in, n_out)), jnp.float32), jnp.asarray(rng.normal(size=n_out), jnp.float32))
        for n_in, n_out in shapes
    ]


def as_numpy(params):
    return [(np.asarray(w), np.asarray(b)) for w, b in params]


# the network, the loss and the optimizers


def test_init_params_are_mlplabs_initial_network_for_the_seed():
    params = jax_model.init_params([784, 100, 10], seed=3)
    assert [(w.shape, b.shape) for w, b in params] == [((784, 100), (100,)), ((100, 10), (10,))]
    assert all(w.dtype == jnp.float32 and b.dtype == jnp.float32 for w, b in params)
    mlp = MLP([784, 100, 10], rng=3)
    for (w, b), layer in zip(params, [mlp.layers[0], mlp.layers[2]]):
        np.testing.assert_array_equal(np.asarray(w), layer.W.value)
        np.testing.assert_array_equal(np.asarray(b), layer.b.value)
    again, other = jax_model.init_params([784, 100, 10], seed=3), jax_model.init_params([784, 100, 10], seed=4)
    np.testing.assert_array_equal(np.asarray(again[0][0]), np.asarray(params[0][0]))
    assert not np.array_equal(np.asarray(other[0][0]), np.asarray(params[0][0]))


def test_forward_is_linear_relu_linear_and_loss_is_mean_cross_entropy():
    params = params_of((5, 4), (4, 3))
    x = np.random.default_rng(1).normal(size=(6, 5)).astype(np.float32)
    y = np.array([0, 1, 2, 2, 1, 0])
    (w1, b1), (w2, b2) = as_numpy(params)
    logits = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(np.asarray(jax_model.forward(params, x)), logits, rtol=1e-5, atol=1e-5)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = -log_p[np.arange(6), y].mean()
    assert float(jax_model.loss(params, x, jnp.asarray(y))) == pytest.approx(expected, rel=1e-5)


def test_sgd_momentum_two_steps_by_hand():
    optimizer = jax_model.sgd(lr=0.1, momentum=0.9)
    params = params_of((2, 1))
    g1, g2 = params_of((2, 1), seed=1), params_of((2, 1), seed=2)
    state = optimizer.init(params)
    once, state = optimizer.update(params, g1, state)
    twice, _ = optimizer.update(once, g2, state)
    ((w, b),), ((a1, c1),), ((a2, c2),) = as_numpy(params), as_numpy(g1), as_numpy(g2)
    np.testing.assert_allclose(np.asarray(once[0][0]), w - 0.1 * a1, rtol=1e-6)  # v = g on the first step
    np.testing.assert_allclose(np.asarray(twice[0][0]), w - 0.1 * a1 - 0.1 * (0.9 * a1 + a2), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(twice[0][1]), b - 0.1 * c1 - 0.1 * (0.9 * c1 + c2), rtol=1e-6)


def test_adam_two_steps_by_hand_with_bias_correction():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    optimizer = jax_model.adam(lr)
    params = params_of((3, 2))
    grads = [params_of((3, 2), seed=s) for s in (1, 2)]
    state = optimizer.init(params)
    current = params
    for g in grads:
        current, state = optimizer.update(current, g, state)
    assert int(state[0]) == 2
    w = as_numpy(params)[0][0].astype(np.float64)
    m = v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        gw = np.asarray(g[0][0], np.float64)
        m, v = b1 * m + (1 - b1) * gw, b2 * v + (1 - b2) * gw**2
        w = w - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
    np.testing.assert_allclose(np.asarray(current[0][0]), w, rtol=1e-5, atol=1e-6)


def test_optimizers_match_pytorch_step_for_step():
    torch = pytest.importorskip("torch")
    params = params_of((4, 3))
    grads = [params_of((4, 3), seed=s) for s in (1, 2, 3)]
    for ours, make_theirs in [
        (jax_model.sgd(0.05, 0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        (jax_model.adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    ]:
        tensors = [torch.tensor(np.asarray(a)).requires_grad_() for pair in params for a in pair]
        theirs = make_theirs(tensors)
        current, state = params, ours.init(params)
        for g in grads:
            current, state = ours.update(current, g, state)
            for tensor, grad in zip(tensors, [a for pair in g for a in pair]):
                tensor.grad = torch.tensor(np.asarray(grad))
            theirs.step()
        for tensor, mine in zip(tensors, [a for pair in current for a in pair]):
            np.testing.assert_allclose(np.asarray(mine), tensor.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_scan_epoch_equals_the_steps_one_by_one():
    optimizer = jax_model.sgd(0.05, 0.9)
    step = jax_model.make_step(optimizer)
    data = tiny_data(40, 1)
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train.astype(np.int32))
    order = np.random.default_rng(0).permutation(40).astype(np.int32).reshape(4, 10)
    params = jax_model.init_params([784, 16, 10], seed=0)
    state = (params, optimizer.init(params))
    scanned, losses = jax.jit(jax_model.make_scan_epoch(step))(state, x, y, order)
    stepped, expected_losses, jit_step = state, [], jax.jit(step)
    for idx in order:
        stepped, value = jit_step(stepped, x[idx], y[idx])
        expected_losses.append(float(value))
    np.testing.assert_allclose(np.asarray(losses), expected_losses, rtol=1e-5)
    for (w, b), (w2, b2) in zip(scanned[0], stepped[0]):
        np.testing.assert_allclose(np.asarray(w), np.asarray(w2), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(b), np.asarray(b2), rtol=1e-5, atol=1e-6)


# the two forms


def trained(config, form, data, seed=0):  # the module's fixture has set XLA's threads
    return jax_peer._train(config, config.training_data(data), seed, form, jax_model)


@pytest.mark.parametrize("base", [SGD_128, ADAM_128], ids=["sgd", "adam"])
def test_both_forms_train_identically_with_a_partial_last_batch(base, threads):
    config, data = dataclasses.replace(base, **SMALL), tiny_data()
    (step_params, step_times), (scan_params, scan_times) = (trained(config, form, data) for form in FORMS)
    assert len(step_times) == len(scan_times) == 2 and all(t > 0 for t in step_times + scan_times)
    for (w, b), (w2, b2) in zip(step_params, scan_params):
        np.testing.assert_allclose(np.asarray(w), np.asarray(w2), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(b), np.asarray(b2), rtol=1e-4, atol=1e-5)
    x, y = jnp.asarray(data.x_train), jnp.asarray(data.y_train.astype(np.int32))
    start = jax_model.init_params(config.sizes, seed=0)
    assert float(jax_model.loss(scan_params, x, y)) < 0.6 * float(jax_model.loss(start, x, y))


@pytest.mark.parametrize("base", [SGD_128, ADAM_128], ids=["sgd", "adam"])
def test_jax_and_mlplab_start_alike_and_train_alike(base, threads):
    """The same initial network, the same permutations, the same optimizer: the same weights after two epochs."""
    config, data = dataclasses.replace(base, **SMALL), tiny_data()
    params, _ = trained(config, "jax-scan", data)
    trainer = build_trainer(config, seed=0, verbose=0)
    trainer.fit(data.x_train, data.y_train, epochs=config.epochs)
    dense = [layer for layer in trainer.model.layers if hasattr(layer, "W")]
    for (w, b), layer in zip(params, dense):
        np.testing.assert_allclose(np.asarray(w), layer.W.value, rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(np.asarray(b), layer.b.value, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("form", FORMS)
def test_run_jax_learns_the_tiny_set(form, threads):
    config = dataclasses.replace(SGD_128, **SMALL)
    run = run_jax(config, tiny_data(), threads=threads, form=form)
    assert run.library == form and run.config == "100-sgd-128" and run.n_train == 300 and run.note == ""
    assert len(run.epoch_times) == 2 and all(t > 0 for t in run.epoch_times)
    assert run.test_accuracy > 0.5 and run.inference_per_s > 0  # chance is 0.1


@pytest.mark.parametrize("form", FORMS)
def test_run_jax_full_batch_and_a_training_subset(form, threads):
    config = dataclasses.replace(FULL_BATCH, hidden=(32,), epochs=3, n_train=150)
    run = run_jax(config, tiny_data(), threads=threads, form=form)
    assert run.n_train == 150 and len(run.epoch_times) == 3 and 0 <= run.test_accuracy <= 1


def test_full_batch_is_the_same_in_both_forms(threads):
    config, data = dataclasses.replace(FULL_BATCH, hidden=(32,), epochs=2), tiny_data()
    (a, _), (b, _) = (trained(config, form, data) for form in FORMS)
    np.testing.assert_array_equal(np.asarray(a[0][0]), np.asarray(b[0][0]))


def test_run_jax_notes_dropout_and_batch_norm(threads):
    for config in (DROPOUT_BN, dataclasses.replace(SGD_128, dropout=0.1)):
        run = run_jax(config, tiny_data(), threads=threads, form="jax-step")
        assert not run.ran and run.note == "the JAX peers have no dropout or batch norm"


def test_run_jax_without_jax_says_so(monkeypatch, threads):
    monkeypatch.setitem(sys.modules, "jax", None)
    run = run_jax(dataclasses.replace(SGD_128, epochs=1), tiny_data(), threads=threads, form="jax-scan")
    assert run.library == "jax-scan" and not run.ran and run.note == "JAX is not installed"


def test_run_jax_rejects_an_unknown_form(threads):
    with pytest.raises(ValueError, match=r"unknown JAX form 'jax-pmap'; choose from \['jax-step', 'jax-scan'\]"):
        run_jax(SGD_128, tiny_data(), threads=threads, form="jax-pmap")


def test_xla_threads_are_fixed_once_the_backend_has_started(threads):
    assert jax_peer._backend_started()
    assert limit_xla_threads(threads) is True
    assert limit_xla_threads(threads + 1) is False
    run = run_jax(dataclasses.replace(SGD_128, **SMALL), tiny_data(), threads=threads + 1, form="jax-scan")
    assert run.ran and run.note == f"XLA's CPU threads were fixed before this run, not set to {threads + 1}"


def test_environment_is_restored(monkeypatch):
    monkeypatch.setenv("NPROC", "7")
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    with jax_peer._environment({"NPROC": "1", "XLA_FLAGS": "--x"}):
        assert os.environ["NPROC"] == "1" and os.environ["XLA_FLAGS"] == "--x"
    assert os.environ["NPROC"] == "7" and "XLA_FLAGS" not in os.environ


@pytest.mark.slow
def test_run_suite_with_the_jax_peers(threads):
    configs = [dataclasses.replace(SGD_128, **SMALL)]
    messages = []
    report = run_suite(
        configs, tiny_data(), threads=threads, peers=["jax-scan", "jax-step"], measure_memory=False, log=messages.append
    )
    (result,) = report.results
    assert [run.library for run in result.runs] == ["mlplab", "jax-step", "jax-scan"]
    assert all(run.ran and run.note == "" for run in result.runs)
    assert result.fastest_peer() in result.runs[1:] and result.ratio_to_fastest_peer(result.fastest_peer()) == 1.0
    assert messages[1:] == ["100-sgd-128: jax-step", "100-sgd-128: jax-scan"]
    assert report.meta["versions"]["jax"] == jax.__version__

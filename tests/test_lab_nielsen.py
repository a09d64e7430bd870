"""Lab experiment `nielsen`: the book's network.py and network2.py runs, and their update rules."""

import numpy as np
from numpy.testing import assert_allclose


def test_nielsen_experiment(run_quick):
    result, numbers = run_quick("nielsen")
    accuracy, first, final = numbers["accuracy"], numbers["first_epoch_test_accuracy"], numbers["final_test_accuracy"]
    assert set(accuracy) == {"network", "network2", "network2_no_l2", "network2_large_init"}
    for curves in accuracy.values():
        assert all(len(curve) == numbers["epochs"] + 1 for curve in curves.values())  # before training, then each epoch
        assert curves["test"][0] < 0.3  # an untrained network guesses
        assert curves["test"][-1] > curves["test"][0] + 0.2  # and every run learns
    assert numbers["setups"]["network2"]["weight_decay"] == 5.0 / numbers["n_train"]
    assert numbers["setups"]["network2_no_l2"]["weight_decay"] == 0
    assert numbers["book_mnist_accuracy"] == {"network": 0.95, "network2": 0.965}
    # On a short run the cross-entropy runs learn much faster than the quadratic cost with saturated N(0, 1) weights,
    # and the N(0, 1/n_in) initialization is ahead of N(0, 1) after the first epoch.
    assert final["network2"] > final["network"] + 0.1
    assert first["network2"] > first["network2_large_init"]
    claims = {c.statement.split(" ")[0]: c for c in result.claims}
    assert claims["The"].supported  # the initialization claim
    assert len(result.figures) == 2


def test_cross_entropy_cost_is_nielsens():
    """Nielsen's CrossEntropyCost: per sample sum over outputs, mean over samples; gradient (a - y) / m."""
    from mlplab.lab.experiments.nielsen import CrossEntropyCost

    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 10))
    y = np.eye(10)[rng.integers(0, 10, 4)]
    a = 1 / (1 + np.exp(-z))
    loss = CrossEntropyCost()
    expected = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / 4
    assert_allclose(loss.forward(z, y), expected, rtol=1e-10)
    assert_allclose(loss.backward(), (a - y) / 4, rtol=1e-10)


def test_one_step_is_nielsens_update():
    """w <- (1 - eta*lmbda/n) w - (eta/m) sum_x grad C_x, b <- b - (eta/m) sum_x grad C_x, as network2.py."""
    from mlplab import Trainer
    from mlplab.lab.experiments.nielsen import CrossEntropyCost, nielsen_network

    eta, lmbda, n, m = 0.5, 5.0, 50000, 10
    rng = np.random.default_rng(1)
    x = rng.random((m, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, m)]
    model = nielsen_network("nielsen", "identity", seed=3)
    (w1, b1), (w2, b2) = [(d.W.value.astype(np.float64), d.b.value.astype(np.float64)) for d in model.layers[::2]]
    trainer = Trainer(
        model, loss=CrossEntropyCost(), optimizer="sgd", lr=eta, batch_size=m, l2=lmbda / n, verbose=0, rng=0
    )
    trainer.fit(x, y, epochs=1)

    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    a1 = sigmoid(x @ w1 + b1)
    delta2 = sigmoid(a1 @ w2 + b2) - y
    delta1 = (delta2 @ w2.T) * a1 * (1 - a1)
    decay = 1 - eta * lmbda / n
    expected = [
        (decay * w1 - eta / m * x.T @ delta1, b1 - eta / m * delta1.sum(0)),
        (decay * w2 - eta / m * a1.T @ delta2, b2 - eta / m * delta2.sum(0)),
    ]
    for dense, (w, b) in zip(model.layers[::2], expected):
        assert_allclose(dense.W.value, w, atol=2e-6)
        assert_allclose(dense.b.value, b, atol=2e-6)

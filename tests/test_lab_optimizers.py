"""Lab experiment `optimizers`: seven optimizers on test surfaces and on Fashion-MNIST (S4)."""

import math

import pytest


@pytest.mark.slow
def test_optimizers_experiment(run_quick):
    result, numbers = run_quick("optimizers")
    valley = numbers["valley_final_loss"]
    assert valley["momentum"] < valley["SGD"] and valley["Nesterov"] < valley["SGD"]
    escape = numbers["saddle_steps_to_escape"]
    for name in ("AdaGrad", "Adadelta", "RMSprop", "Adam"):
        assert escape[name] is not None and (escape["SGD"] is None or escape[name] < escape["SGD"])
    rosenbrock = numbers["rosenbrock_final_loss"]
    assert rosenbrock["momentum"] < rosenbrock["SGD"] and rosenbrock["Adam"] < rosenbrock["SGD"]
    for name, losses in numbers["fashion_train_loss"].items():
        assert all(math.isfinite(v) for v in losses), name
        assert losses[-1] < losses[0], name  # every optimizer learns
    assert numbers["fashion_train_loss"]["Adam"][-1] < numbers["fashion_train_loss"]["SGD"][-1]
    assert all(c.supported for c in result.claims)

"""Lab experiment `lr`: learning rates too small, good and too large, and decay schedules (S0, S1, S3)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose


@pytest.mark.slow
def test_lr_experiment(run_quick):
    result, numbers = run_quick("lr")
    iterates = {lr: np.array(w) for lr, w in numbers["quadratic_iterates"].items()}
    assert np.all(np.diff(iterates["0.05"]) < 0)  # too small: creeps towards 0
    assert abs(iterates["0.3"][-1]) < 1e-5  # good: converged
    assert np.all(np.sign(iterates["0.9"][1:]) != np.sign(iterates["0.9"][:-1]))  # overshoots at every step
    assert np.all(np.diff(np.abs(iterates["1.05"])) > 0)  # diverges

    rates = numbers["rates"]
    assert rates["lr 0.001"]["train_loss"][-1] > 1.5 * rates["lr 0.1"]["train_loss"][-1]
    large = rates["lr 1"]
    assert large["diverged"] is not None or large["train_loss"][-1] > large["train_loss"][0]

    schedules = numbers["schedules"]
    start, epochs = numbers["schedule_start"], numbers["schedule_epochs"]
    end = start / 100
    assert_allclose(schedules["constant"]["lr"], [start] * epochs)
    assert_allclose(schedules["linear"]["lr"], np.linspace(start, end, epochs))
    assert_allclose(schedules["exponential"]["lr"], np.geomspace(start, end, epochs))  # reaches alpha_end
    assert_allclose(schedules["step"]["lr"], [start * 0.5 ** (t // 5) for t in range(epochs)])
    assert all(c.supported for c in result.claims[:-2])  # the last two (decay beats constant) need the full run

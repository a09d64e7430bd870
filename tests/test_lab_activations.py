"""Lab experiment `activations`: derivatives, the sigmoid's 0.25, tanh's (-1, 1), and dying ReLUs."""

import pytest


@pytest.mark.slow
def test_activations_experiment(run_quick):
    result, numbers = run_quick("activations")
    assert abs(numbers["sigmoid_max_derivative"] - 0.25) < 1e-12 and numbers["sigmoid_argmax_derivative"] == 0
    low, high = numbers["tanh_range"]
    assert -1 < low < -0.99 and 0.99 < high < 1  # (-1, 1), not S1's (0, 1)
    assert abs(numbers["tanh_max_derivative"] - 1) < 1e-12
    assert max(numbers["max_finite_difference_error"].values()) < 1e-6
    assert max(numbers["max_functional_difference"].values()) < 1e-12

    runs = numbers["dying"]["runs"]
    normal, large, leaky = runs["ReLU, lr 0.05"], runs["ReLU, lr 0.7"], runs["leaky ReLU, lr 0.7"]
    assert large["dead_fraction"][-1] > 0.1 and large["dead_fraction"][-1] > 5 * normal["dead_fraction"][-1]
    assert large["zero_gradient_fraction"] >= large["dead_fraction"][-1]
    assert leaky["zero_gradient_fraction"] == 0
    assert all(c.supported for c in result.claims)

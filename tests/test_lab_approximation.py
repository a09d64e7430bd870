"""Lab experiment `approximation`: wider hidden layers fit better; stacked linear layers stay linear."""

import pytest


@pytest.mark.slow
def test_approximation_experiment(run_quick):
    result, numbers = run_quick("approximation")
    assert numbers["widths"] == [1, 4, 16]
    for name, errors in numbers["test_mse"]["relu"].items():
        assert errors[-1] < errors[0] / 2, name  # 16 ReLU units beat one

    assert numbers["collapse_max_abs_difference"] < 1e-4  # five linear layers = one affine map
    train = numbers["train_mse"]
    assert train["5 linear layers"] >= train["linear regression"] - 1e-6
    assert abs(numbers["end_to_end_product"] - numbers["regression_slope"]) < 0.01
    depth = numbers["depth_test_mse"]
    assert depth["5 tanh layers"] < depth["linear regression"] / 10
    assert result.claims[1].supported

"""Lab experiment `binary-multiclass`: S0's 2-3-1 network, one-vs-all versus softmax."""

import pytest


@pytest.mark.slow
def test_binary_multiclass_experiment(run_quick):
    result, numbers = run_quick("binary-multiclass")
    circles = numbers["binary_median_accuracy"]["circles"]
    assert circles["2-3-1"] > circles["no hidden layer"] + 0.2  # no line separates concentric circles
    methods = ("one-vs-all", "sigmoid + MSE", "softmax + CE")
    assert all(numbers["spiral_test_accuracy"][m] > 0.5 for m in methods)  # chance: 0.25
    assert all(numbers["fashion_mean_accuracy"][m] > 0.3 for m in methods)  # chance: 0.1
    fashion_sums = {m: v[0] for m, v in numbers["fashion_mean_abs_sum_minus_1"].items()}
    for sums in (numbers["spiral_mean_abs_sum_minus_1"], fashion_sums):
        assert sums["softmax + CE"] < 1e-5 < 0.01 < min(sums["one-vs-all"], sums["sigmoid + MSE"])
    assert len(result.figures) == 4
    assert result.claims[-1].supported  # only softmax outputs sum to 1

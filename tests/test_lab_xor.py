"""Lab experiment `xor`: the perceptron fails on XOR, a 2-2-1 network can solve it, one hidden unit cannot."""

import pytest


@pytest.mark.slow
def test_xor_experiment(run_quick):
    result, numbers = run_quick("xor")
    assert not any(numbers["perceptron_converged"])
    assert max(numbers["perceptron_best_points_right"]) <= 3  # no line gets all four points
    assert all(numbers["gate_converged"].values())  # AND and OR are linearly separable
    solved = numbers["mlp_fraction_solved"]
    assert solved["1"] == 0.0  # one hidden unit: a half-plane
    assert solved["2"] > 0.0 and solved["8"] == 1.0
    assert max(numbers["mlp_median_final_loss"]["8"], min(numbers["mlp_final_loss"]["2"])) < 0.1
    assert numbers["hidden_space_perceptron_converged"]
    assert len(result.figures) == 4
    assert all(c.supported for c in result.claims)

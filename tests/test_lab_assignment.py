"""Lab experiment `assignment`: S3's Assignment 6 (gradient descent on a quartic, a shallow and a better network)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose


@pytest.mark.slow
def test_assignment_experiment(run_quick):
    result, numbers = run_quick("assignment")

    # Q1: f'(0) = 7 > 0, so gradient descent walks left to the local minimum at the root -0.84329 of f'.
    assert_allclose(numbers["q1_critical_points"], [-0.843294, 0.931431, 8.911862], atol=1e-5)
    assert_allclose(numbers["q1_local_minimum"], -0.843294, atol=1e-5)
    assert_allclose(numbers["q1_local_minimum_value"], -8.977514, atol=1e-5)
    assert_allclose(numbers["q1_global_minimum"], 8.911862, atol=1e-5)
    assert numbers["q1_global_minimum_value"] < numbers["q1_local_minimum_value"]
    paths = {rate: np.array(path) for rate, path in numbers["q1_iterates"].items()}
    assert all(len(path) >= 31 for path in paths.values())
    assert all(path[0] == 0 and path[1] < 0 for path in paths.values())
    assert_allclose(list(numbers["q1_final_x"].values()), -0.843294, atol=1e-3)
    steps = numbers["q1_iterations_to_tolerance"]
    assert steps["0.05"] < steps["0.1"] < steps["0.01"]
    assert numbers["q1_best_rate"] == 0.05
    error = {rate: path - numbers["q1_local_minimum"] for rate, path in paths.items()}
    assert np.all(error["0.01"] >= -1e-12) and np.all(error["0.05"] >= -1e-12)  # both approach from the right
    assert np.count_nonzero(np.diff(np.sign(error["0.1"][:20]))) >= 5  # 0.1 overshoots back and forth
    values = numbers["q1_values"]["0.05"]
    assert values[-1] < values[0]

    # Q2: the rate is chosen on validation among at least five; it learns far above chance.
    val = numbers["q2_val_accuracy_by_rate"]
    assert len(numbers["q2_rates"]) >= 5
    assert numbers["q2_best_rate"] == numbers["q2_rates"][int(np.argmax(val))]
    assert numbers["q2_test_accuracy"] > 0.6
    assert max(val) - min(val) > 0.3  # the learning rate matters
    assert numbers["q2_train_seconds"] > 0

    # Q3 beats Q2 by at least half a point of test accuracy.
    assert numbers["q3_test_accuracy"] >= numbers["q2_test_accuracy"] + 0.005
    assert_allclose(numbers["q3_gain"], numbers["q3_test_accuracy"] - numbers["q2_test_accuracy"])
    assert all(c.supported for c in result.claims)
    assert len(result.figures) == 4


def test_gradient_descent_is_mlplab_sgd():
    from mlplab.lab.experiments.assignment.quartic import f_prime, gradient_descent

    path = gradient_descent(0.1, 3)
    x = 0.0
    for expected in path[1:]:
        x -= 0.1 * f_prime(x)
        assert_allclose(expected, x, rtol=1e-12)

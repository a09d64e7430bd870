"""Lab experiment `init`: S0's variance of 785, saturation, scale through depth, and symmetry."""

import numpy as np
import pytest


@pytest.mark.slow
def test_init_experiment(run_quick):
    result, numbers = run_quick("init")
    wide = numbers["wide_layer"]
    standard = wide["N(0, 1) weights and biases (S0)"]
    assert abs(standard["variance"] / standard["predicted_variance"] - 1) < 0.1  # 784 inputs x 1 + bias = 785
    assert standard["predicted_variance"] == 785
    assert standard["saturated_fraction"] > 0.8
    glorot = wide["Glorot N(0, 2/(n_in+n_out)), zero biases (S0)"]
    assert glorot["saturated_fraction"] < 0.1

    stds = {label: np.array(values) for label, values in numbers["deep_activation_std"].items()}
    assert np.all(stds["zeros"] == 0)
    assert stds["N(0, 0.01²)"][-1] < 1e-3 * stds["N(0, 0.01²)"][0]  # vanishes with depth
    factors = numbers["deep_per_layer_factor"]
    assert 0.9 < factors["He N(0, 2/n_in), ReLU"] < 1.1  # He keeps the ReLU scale
    assert factors['U(±1/√n_in) (S3\'s "glorot")'] < factors["Glorot N(0, 2/(n_in+n_out))"]
    assert min(numbers["deep_saturated_fraction"]["N(0, 1)"]) > 0.5

    spread = numbers["symmetry_hidden_unit_max_difference"]
    distinct = numbers["symmetry_distinct_hidden_units"]
    assert spread["zeros"] == 0 and spread["constant 0.01"] == 0  # symmetry never broken
    assert distinct["zeros"] == distinct["constant 0.01"] == 1
    assert distinct["random (Glorot normal)"] == 16 and spread["random (Glorot normal)"] > 0.01
    accuracy = numbers["symmetry_test_accuracy"]
    assert accuracy["random (Glorot normal)"] > max(accuracy["zeros"], accuracy["constant 0.01"])
    assert all(c.supported for c in result.claims)

"""Lab experiment `perceptron`: convergence and margin on separable data, cycles on non-separable data."""

import numpy as np
import pytest


@pytest.mark.slow
def test_perceptron_experiment(run_quick):
    result, numbers = run_quick("perceptron")
    # Separable data: the online (Rosenblatt) perceptron always converges, within Novikoff's bound ...
    assert numbers["online_all_converged"] and numbers["online_within_bound"]
    # ... and needs more updates as the margin shrinks.
    medians = np.array(numbers["online_median_updates"])
    assert np.all(np.diff(medians) >= 0) and medians[-1] > 10 * medians[0]
    assert numbers["online_log_log_slope"] < 0
    # Non-separable data: mistakes never reach zero; S3's algorithm with rho = 1 is caught in an exact cycle.
    assert numbers["non_separable_online_min_mistakes"] > 0
    large, small = numbers["non_separable_s3"]["1.0"], numbers["non_separable_s3"]["0.001"]
    assert not large["converged"] and large["cycle_detected"]
    assert not small["converged"] and small["min_mistakes"] > 0
    # S3's renormalized algorithm on separable data: rho = 1 cycles, rho = 0.001 converges.
    assert not numbers["rho_sweep"]["1.0"]["converged"] and numbers["rho_sweep"]["1.0"]["cycle_length"] >= 2
    assert numbers["rho_sweep"]["0.001"]["converged"]
    assert len(result.figures) == 3
    assert all(c.supported for c in result.claims[:3])

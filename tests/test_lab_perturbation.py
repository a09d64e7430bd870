"""Lab experiment `perturbation`: weight perturbation costs more forward passes than backprop (S1)."""

import numpy as np
import pytest


@pytest.mark.slow
def test_perturbation_experiment(run_quick):
    result, numbers = run_quick("perturbation")
    assert numbers["backprop_step_cost"] == 3
    sine = {method: float(cost) for method, cost in numbers["sine_best_cost_to_target"].items()}  # "inf": never
    assert np.isfinite(sine["perturbation"]) and np.isfinite(sine["adam"])
    assert sine["perturbation"] > 3 * sine["adam"]  # backprop reaches the target with far fewer forward passes
    early, late = numbers["acceptance_early_late"]["0.1"]
    assert late < early / 3  # a large step is almost never kept late in the run
    final = numbers["sine_final_loss"]["perturbation"]
    assert final[3] > final[1]  # the fixed step 0.1 gets stuck above where 0.01 gets
    halving = float(numbers["sine_cost_to_target"]["perturbation"][-1])
    assert np.isfinite(halving)  # halving the stuck step reaches the target
    assert len(numbers["teacher_n_weights"]) == len(numbers["teacher_inputs"]) == 2
    assert [c.supported for c in result.claims][0]

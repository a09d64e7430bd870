"""Lab experiment `gradients`: vanishing, exploding and balanced gradient norms; clipping on a cliff."""

import numpy as np
import pytest


@pytest.mark.slow
def test_gradients_experiment(run_quick):
    result, numbers = run_quick("gradients")
    ratio = numbers["first_to_last_layer_ratio_first_step"]
    assert ratio["sigmoid, Glorot"] < 1e-2  # vanishing towards the input
    assert ratio["tanh, N(0, 1)"] > 1e2  # exploding towards the input
    for balanced in ("ReLU, He", "sigmoid, Glorot + batch norm", "tanh, N(0, 1) + batch norm"):
        assert 0.1 < ratio[balanced] < 10, balanced
    sigmoid = np.array(numbers["gradient_norms_first_step"]["sigmoid, Glorot"])
    assert sigmoid.shape == (9,) and sigmoid[-2] > 100 * sigmoid[0]
    change = numbers["relative_weight_change"]["sigmoid, Glorot"]
    assert change[0] < 0.1 * change[-2]  # the input side barely moves

    cliff = numbers["cliff"]
    plain, by_value, by_norm = (cliff[k] for k in ("no clipping", "clip by value to [-1, 1]", "clip by norm to 1"))
    assert plain["longest_step"] > 10 and by_norm["longest_step"] <= 1 + 1e-9
    assert max(by_value["final_loss"], by_norm["final_loss"]) < 0.1 * plain["final_loss"]
    assert by_norm["smallest_cosine_clipped_vs_raw"] > 1 - 1e-9 > by_value["smallest_cosine_clipped_vs_raw"]
    assert all(c.supported for c in result.claims)

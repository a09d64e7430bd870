"""Lab experiment `slowdown`: the quadratic cost stalls from a saturated start; cross-entropy does not."""

import numpy as np
import pytest


@pytest.mark.slow
def test_slowdown_experiment(run_quick):
    result, numbers = run_quick("slowdown")
    neuron = numbers["neuron"]
    reached = neuron["epochs_to_output_below"]
    slow, fast = reached["quadratic, bad start"]["0.5"], reached["cross-entropy, bad start"]["0.5"]
    assert slow is not None and fast is not None and slow > 5 * fast  # Nielsen's 0.98 neuron
    assert reached["quadratic, good start"]["0.5"] < slow  # the slowdown is saturation
    moved = neuron["output_drop_in_first_100_epochs"]
    assert moved["quadratic, bad start"] < 0.05 < 0.5 < moved["cross-entropy, bad start"]
    first_grad = {name: neuron[name]["bias_grad"][0] for name in ("quadratic, bad start", "cross-entropy, bad start")}
    assert np.isclose(first_grad["cross-entropy, bad start"], neuron["quadratic, bad start"]["output"][0])
    assert first_grad["quadratic, bad start"] < 0.02 * first_grad["cross-entropy, bad start"]
    assert abs(numbers["gradient_vs_z"]["quadratic_peak_z"] - np.log(2)) < 0.05

    runs = numbers["network"]["runs"]
    quadratic = runs["sigmoid + quadratic"]["test_accuracy"][-1]
    assert runs["sigmoid + cross-entropy"]["test_accuracy"][-1] > quadratic
    assert runs["softmax + log-likelihood"]["test_accuracy"][-1] > quadratic + 0.1
    assert all(c.supported for c in result.claims[:4])

"""Lab experiment `softmax`: S0's numbers and the temperature's effect."""

import numpy as np
from numpy.testing import assert_allclose


def test_softmax_experiment(run_quick):
    result, numbers = run_quick("softmax")
    assert_allclose(numbers["normalized"], [0.5, 0.3, 0.2])
    assert_allclose(numbers["softmax"], [0.8438, 0.1142, 0.0420], atol=1e-4)
    entropy = np.array(numbers["entropy_by_temperature"])
    assert np.all(np.diff(entropy) > 0)  # hotter is flatter
    assert all(c.supported for c in result.claims)

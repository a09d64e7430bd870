"""The scikit-learn estimators, the playground and ``mlplab train`` give the numbers they gave before the shared recipe.

They were recorded on the general NumPy path. Each case runs twice: on that path, where the numbers
must agree to 1e-6 (float32 training; BLAS may sum in another order on another CPU: 1.3e-7 apart
after 12 epochs of the XOR session on two machines of the same kind), and on the compiled fast
path where it applies, which sums some products in another order: to 1e-5 there.
"""

import json
import math

import pytest

from mlplab.training import fast
from regression_cases import GOLDEN, playground_cases, sklearn_cases, train_cases

RECORDED = json.loads(GOLDEN.read_text())


@pytest.fixture(params=["general", "compiled"])
def rel(request):
    """The tolerance of the path the case runs on."""
    if request.param == "general":
        previous = fast.set_enabled(False)
        request.addfinalizer(lambda: fast.set_enabled(previous))
        return 1e-6
    return 1e-5


def _close(actual, expected, path="", rel=1e-6):
    """Equal structure; numbers to ``rel`` relative."""
    if isinstance(expected, dict):
        assert set(actual) == set(expected), path
        for key in expected:
            _close(actual[key], expected[key], f"{path}.{key}", rel)
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: {len(actual)} values, recorded {len(expected)}"
        for k, (a, e) in enumerate(zip(actual, expected)):
            _close(a, e, f"{path}[{k}]", rel)
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), path
    else:
        assert actual == pytest.approx(expected, rel=rel, abs=1e-9), path


def test_the_scikit_learn_estimators_repeat_their_recorded_runs(rel):
    _close(sklearn_cases(), RECORDED["sklearn"], rel=rel)


def test_playground_sessions_repeat_their_recorded_runs(rel):
    _close(playground_cases(), RECORDED["playground"], rel=rel)


def test_train_runs_repeat_their_recorded_runs(rel):
    _close(train_cases(), RECORDED["train"], rel=rel)

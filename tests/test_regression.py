"""The scikit-learn estimators, the playground and ``mlplab train`` give the numbers they gave before the shared recipe."""

import json
import math

import pytest

from regression_cases import GOLDEN, playground_cases, sklearn_cases, train_cases

RECORDED = json.loads(GOLDEN.read_text())


def _close(actual, expected, path=""):
    """Equal structure; numbers to 1e-7 relative (BLAS may sum in another order on another CPU)."""
    if isinstance(expected, dict):
        assert set(actual) == set(expected), path
        for key in expected:
            _close(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{path}: {len(actual)} values, recorded {len(expected)}"
        for k, (a, e) in enumerate(zip(actual, expected)):
            _close(a, e, f"{path}[{k}]")
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), path
    else:
        assert actual == pytest.approx(expected, rel=1e-7, abs=1e-9), path


def test_the_scikit_learn_estimators_repeat_their_recorded_runs():
    _close(sklearn_cases(), RECORDED["sklearn"])


def test_playground_sessions_repeat_their_recorded_runs():
    _close(playground_cases(), RECORDED["playground"])


def test_train_runs_repeat_their_recorded_runs():
    _close(train_cases(), RECORDED["train"])

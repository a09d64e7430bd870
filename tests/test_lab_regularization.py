"""Lab experiment `regularization`: overfitting a small set; L2, L1, dropout and expansion against it (S2, S3)."""

import pytest


@pytest.mark.slow
def test_regularization_experiment(run_quick):
    result, numbers = run_quick("regularization")
    train, test = numbers["final_train_accuracy"], numbers["final_test_accuracy"]
    gap = numbers["final_gap_points"]
    assert gap["none"] > 5  # even the quick run fits its training images much better than the test images
    assert train["none"] > test["none"]
    assert numbers["small_weight_fraction"]["l1"] > 2 * numbers["small_weight_fraction"]["none"]  # L1 zeroes weights
    assert numbers["mean_abs_weight"]["l2"] < numbers["mean_abs_weight"]["none"]  # L2 shrinks them
    assert test["expansion"] > test["none"]  # shifted copies are more data
    assert gap["dropout"] < gap["none"]
    assert len(numbers["test_accuracy_per_epoch"]["none"]) == numbers["epochs"]
    assert len(result.claims) == 7

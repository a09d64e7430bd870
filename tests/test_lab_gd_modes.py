"""Lab experiment `gd-modes`: batch, stochastic and mini-batch gradient descent (S1)."""

import pytest


@pytest.mark.slow
def test_gd_modes_experiment(run_quick):
    result, numbers = run_quick("gd-modes")
    batch, sgd, mini = "batch GD", "stochastic GD (1)", "mini-batch GD (16)"
    increases = numbers["linear_fraction_of_updates_increasing_loss"]
    assert increases[batch] == 0.0  # the exact gradient descends at every step
    assert increases[sgd] > 0.25  # one sample per step: the full loss bounces
    rises = numbers["linear_mean_loss_rise_per_update"]
    assert rises[batch] == 0.0
    assert rises[sgd] > 3 * rises[mini] > 0.0  # mini-batches bounce much less than single samples
    one_epoch = numbers["linear_loss_after_one_epoch"]
    assert one_epoch[sgd] < one_epoch[mini] < one_epoch[batch]  # more updates per pass, further per pass
    final = numbers["linear_final_loss"]
    assert all(final[mode] < 1.5 * numbers["linear_minimum_loss"] for mode in (sgd, mini))
    fashion = numbers["fashion_loss_after_one_epoch"]
    assert fashion["stochastic GD (1)"] < fashion["batch GD"]
    assert fashion["mini-batch GD (64)"] < fashion["batch GD"]
    claims = {c.statement: c.supported for c in result.claims}
    assert sum(claims.values()) >= 3  # the wall-time claim depends on the machine; the others on the numbers

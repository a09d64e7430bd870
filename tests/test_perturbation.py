"""Tests of mlplab.perturbation: loss goes down, forward passes counted exactly, rejected steps undone
bit for bit, monotone history, seeding, budgets and targets, and the backprop cost convention."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from mlplab import MLP, MSE, SGD, Dense, Tanh
from mlplab.perturbation import BACKPROP_STEP_COST, PerturbationLearner, backprop_forward_pass_cost


def toy_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, (64, 1))
    return x, np.sin(x)


def tiny_mlp(seed=0, dtype=np.float64):
    return MLP([1, 8, 1], activation="tanh", rng=seed, dtype=dtype)


def snapshot(model):
    return [p.value.copy() for p in model.parameters()]


class CountingModel:
    """Wraps a model and counts the forward calls it receives."""

    def __init__(self, model):
        self.model, self.calls, self.training_flags = model, 0, []

    def parameters(self):
        return self.model.parameters()

    def forward(self, x, *, training=False):
        self.calls += 1
        self.training_flags.append(training)
        return self.model.forward(x, training=training)


def test_reduces_the_loss_of_a_tiny_mlp():
    x, y = toy_problem()
    learner = PerturbationLearner(tiny_mlp(), "mse", step_size=0.05, rng=0).fit(x, y, max_forward_passes=2000)
    assert learner.forward_passes == 2000
    assert learner.loss_ < 0.01 * learner.history_[0]  # measured: 1.108 -> 0.00136
    assert 0 < learner.n_accepted_ < learner.n_steps_ == 1999
    # loss_ really is the loss of the current weights
    assert learner.loss_ == pytest.approx(MSE().forward(learner.model.forward(x), y), rel=1e-12)


def test_counts_forward_passes_exactly():
    x, y = toy_problem()
    model = CountingModel(tiny_mlp())
    learner = PerturbationLearner(model, MSE(), rng=1)
    assert learner.forward_passes == 0 and learner.loss_ is None
    for k in range(1, 26):
        learner.step(x, y)
        assert learner.forward_passes == k + 1 == model.calls
        assert len(learner.history_) == k + 1
    assert learner.n_steps_ == 25
    assert not any(model.training_flags)  # inference mode only


def test_new_data_triggers_a_new_baseline():
    x, y = toy_problem()
    learner = PerturbationLearner(tiny_mlp(), "mse", rng=0)
    learner.step(x, y)
    assert learner.forward_passes == 2
    x2, y2 = x[:10].copy(), y[:10].copy()
    learner.step(x2, y2)
    assert learner.forward_passes == 4  # baseline on (x2, y2), then the trial
    assert learner.loss_ == pytest.approx(MSE().forward(learner.model.forward(x2), y2), rel=1e-12)


def test_history_is_monotone_and_starts_at_the_baseline():
    x, y = toy_problem()
    model = tiny_mlp()
    before = MSE().forward(model.forward(x), y)
    learner = PerturbationLearner(model, "mse", step_size=0.1, rng=3).fit(x, y, max_forward_passes=500)
    history = np.array(learner.history_)
    assert history[0] == before
    assert np.all(np.diff(history) <= 0)
    assert np.count_nonzero(np.diff(history) < 0) == learner.n_accepted_


def test_rejected_step_leaves_weights_bit_identical_and_accepted_step_changes_one_element():
    x, y = toy_problem()
    model = tiny_mlp(dtype=np.float32)
    learner = PerturbationLearner(model, "mse", step_size=0.05, rng=0)
    seen = {True: 0, False: 0}
    for _ in range(300):
        before = snapshot(model)
        loss_before = learner.loss_
        accepted = learner.step(x, y)
        after = snapshot(model)
        seen[accepted] += 1
        if accepted:
            changed = sum(int(np.count_nonzero(a != b)) for a, b in zip(before, after))
            assert changed == 1
            diff = np.concatenate([(a.astype(np.float64) - b).ravel() for a, b in zip(after, before)])
            assert np.abs(diff).max() == pytest.approx(0.05, rel=1e-3)
            assert loss_before is None or learner.loss_ < loss_before
        else:
            for a, b in zip(before, after):
                assert_array_equal(a, b)
                assert a.tobytes() == b.tobytes()
            assert loss_before is None or learner.loss_ == loss_before
    assert seen[True] > 0 and seen[False] > 0


class SpyModel(CountingModel):
    """Records the flattened weights seen by every forward pass."""

    def __init__(self, model):
        super().__init__(model)
        self.seen = []

    def forward(self, x, *, training=False):
        self.seen.append(np.concatenate([p.value.ravel() for p in self.parameters()]))
        return super().forward(x, training=training)


def test_each_trial_perturbs_one_uniformly_chosen_element_by_step_size():
    x, y = toy_problem()
    spy = SpyModel(tiny_mlp())
    learner = PerturbationLearner(spy, "mse", step_size=0.05, rng=0)
    n_steps = 2500
    accepted = [learner.step(x, y) for _ in range(n_steps)]
    current = spy.seen[0]  # the baseline's weights
    counts = np.zeros(learner.n_weights, dtype=int)
    ups = 0
    for trial, kept in zip(spy.seen[1:], accepted):
        (moved,) = np.nonzero(trial != current)
        assert moved.size == 1
        assert abs(trial[moved[0]] - current[moved[0]]) == pytest.approx(0.05, rel=1e-12)
        counts[moved[0]] += 1
        ups += trial[moved[0]] > current[moved[0]]
        if kept:
            current = trial
    assert learner.n_weights == 25 == counts.size  # 1*8 + 8 + 8*1 + 1
    assert counts.min() > 0  # every element of W1, b1, W2, b2 gets tried
    expected = n_steps / 25
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))  # uniform choice
    assert abs(ups - n_steps / 2) < 5 * np.sqrt(n_steps / 4)  # random sign


def test_same_seed_same_run():
    x, y = toy_problem()
    runs = [PerturbationLearner(tiny_mlp(), "mse", rng=7).fit(x, y, 300) for _ in range(2)]
    assert runs[0].history_ == runs[1].history_
    for a, b in zip(snapshot(runs[0].model), snapshot(runs[1].model)):
        assert_array_equal(a, b)
    other = PerturbationLearner(tiny_mlp(), "mse", rng=8).fit(x, y, 300)
    assert other.history_ != runs[0].history_


def test_fit_stops_at_target_loss():
    x, y = toy_problem()
    learner = PerturbationLearner(tiny_mlp(), "mse", step_size=0.05, rng=0).fit(x, y, 10_000, target_loss=0.1)
    assert learner.loss_ <= 0.1
    assert learner.history_[-2] > 0.1  # stopped at the first step that reached it
    assert learner.forward_passes == len(learner.history_) < 10_000


def test_fit_budget_is_per_call_and_counters_accumulate():
    x, y = toy_problem()
    learner = PerturbationLearner(tiny_mlp(), "mse", rng=0).fit(x, y, 50)
    assert learner.forward_passes == 50
    learner.fit(x, y, 30)  # same data: no new baseline
    assert learner.forward_passes == 80 and learner.n_steps_ == 79


def test_evaluate_refreshes_the_cache_after_outside_changes():
    x, y = toy_problem()
    model = tiny_mlp()
    learner = PerturbationLearner(model, "mse", rng=0).fit(x, y, 10)
    model.parameters()[0].value[...] = 0.0
    value = learner.evaluate(x, y)
    assert value == pytest.approx(MSE().forward(model.forward(x), y)) and learner.loss_ == value
    assert learner.forward_passes == 11


def test_works_on_a_single_layer():
    x, y = toy_problem()
    layer = Dense(1, 1, rng=0, dtype=np.float64)
    learner = PerturbationLearner(layer, "mse", step_size=0.02, rng=0).fit(x, y, 400)
    assert learner.loss_ < learner.history_[0]


def test_validation():
    model = tiny_mlp()
    with pytest.raises(ValueError, match="step_size: -0.1"):
        PerturbationLearner(model, "mse", step_size=-0.1)
    with pytest.raises(ValueError, match="no parameters"):
        PerturbationLearner(Tanh(), "mse")
    with pytest.raises(ValueError, match="max_forward_passes: 0"):
        PerturbationLearner(model, "mse").fit(np.zeros((2, 1)), np.zeros((2, 1)), 0)
    with pytest.raises(ValueError, match="target_loss: nan"):
        PerturbationLearner(model, "mse").fit(np.zeros((2, 1)), np.zeros((2, 1)), 5, target_loss=float("nan"))
    with pytest.raises(Exception, match="loss"):
        PerturbationLearner(model, "no_such_loss")


def test_backprop_cost_convention():
    assert BACKPROP_STEP_COST == 3.0
    assert backprop_forward_pass_cost(10) == 30.0
    assert backprop_forward_pass_cost(10, backward_cost=1.0) == 20.0
    assert backprop_forward_pass_cost(0) == 0.0
    with pytest.raises(ValueError, match="n_steps: -1"):
        backprop_forward_pass_cost(-1)


def test_backprop_reaches_the_same_loss_for_far_fewer_forward_passes():
    # The lab's comparison in miniature: same model, data and start; cost in forward passes.
    x, y = toy_problem()
    learner = PerturbationLearner(tiny_mlp(), "mse", step_size=0.05, rng=0).fit(x, y, 2000)
    model, loss = tiny_mlp(), MSE()
    opt = SGD(model.parameters(), lr=0.1)
    for steps in range(1, 2001):  # noqa: B007  (read after the loop)
        opt.zero_grad()
        value = loss.forward(model.forward(x, training=True), y)
        if value <= learner.loss_:
            break
        model.backward(loss.backward(), input_grad=False)
        opt.step()
    cost = backprop_forward_pass_cost(steps)  # measured: 143 steps, 429 passes vs 2000
    assert value <= learner.loss_
    assert cost < learner.forward_passes / 3

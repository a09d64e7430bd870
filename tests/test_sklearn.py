"""The scikit-learn estimators: scikit-learn's own estimator checks, pipelines, parity, and hand-checked steps."""

import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlplab.sklearn import MLPClassifier, MLPRegressor


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_scikit_learn_estimator_checks(estimator, check):
    """Every check of ``check_estimator``; ``check_array_api_input`` is skipped by scikit-learn itself
    unless SCIPY_ARRAY_API=1 (mlplab computes with NumPy only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    return train_test_split(x / 16.0, y, test_size=0.3, random_state=0, stratify=y)


@pytest.mark.slow
def test_a_pipeline_inside_grid_search(digits):
    x_train, x_test, y_train, y_test = digits
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(max_iter=60, random_state=0))
    grid = {"mlpclassifier__hidden_layer_sizes": [(32,), (64,)], "mlpclassifier__alpha": [1e-4, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipeline, grid, cv=3).fit(x_train, y_train)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.93
    assert search.score(x_test, y_test) > 0.93
    assert search.best_estimator_[-1].coefs_[0].shape[1] == search.best_params_["mlpclassifier__hidden_layer_sizes"][0]


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_the_same_settings_score_as_scikit_learns_own(digits, solver):
    x_train, x_test, y_train, y_test = digits
    settings = {
        "hidden_layer_sizes": (64,),
        "solver": solver,
        "learning_rate_init": 0.01 if solver == "sgd" else 0.001,
        "max_iter": 150,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(**settings).fit(x_train, y_train).score(x_test, y_test)
        theirs = SklearnMLPClassifier(**settings).fit(x_train, y_train).score(x_test, y_test)
    assert theirs > 0.9 and abs(ours - theirs) <= 0.02


def test_one_full_batch_sgd_step_by_hand():
    """Regression, one hidden identity layer, batch = all, no momentum: W ← W − η (∂L/∂W + αW/n)."""
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(8, 3)), rng.normal(size=8)
    eta, alpha = 0.1, 0.5
    model = MLPRegressor(
        (4,),
        "identity",
        solver="sgd",
        momentum=0.0,
        alpha=alpha,
        batch_size=8,
        learning_rate_init=eta,
        shuffle=False,
        random_state=0,
    )
    model.partial_fit(x, t)
    # recompute the step from the initial weights of an identical estimator, before training
    fresh = MLPRegressor(**{**model.get_params(), "max_iter": 1})
    fresh._check_parameters()
    init = fresh._build(3, 1, np.float64, int(np.random.RandomState(0).randint(np.iinfo(np.int32).max)))
    (W1, b1), (W2, b2) = [(layer.W.value.copy(), layer.b.value.copy()) for layer in init.layers if hasattr(layer, "W")]
    h = x @ W1 + b1
    g = ((h @ W2 + b2)[:, 0] - t)[:, None] / 8  # ∂(1/2N Σ (a − t)²)/∂a
    expected_W2 = W2 - eta * (h.T @ g + alpha * W2 / 8)
    gh = g @ W2.T
    expected_W1 = W1 - eta * (x.T @ gh + alpha * W1 / 8)
    np.testing.assert_allclose(model.coefs_[1], expected_W2, rtol=1e-10)
    np.testing.assert_allclose(model.coefs_[0], expected_W1, rtol=1e-10)
    np.testing.assert_allclose(model.intercepts_[1], b2 - eta * g.sum(axis=0), rtol=1e-10)
    data_loss = 0.5 * np.mean(((h @ W2 + b2)[:, 0] - t) ** 2)
    penalty = 0.5 * alpha * sum(np.vdot(w, w) for w in model.coefs_) / 8
    assert model.loss_ == pytest.approx(data_loss + penalty, rel=1e-10)


def test_early_stopping_keeps_the_best_validation_weights(digits):
    x_train, _, y_train, _ = digits
    model = MLPClassifier((32,), early_stopping=True, n_iter_no_change=3, max_iter=100, random_state=0).fit(
        x_train, y_train
    )
    assert len(model.validation_scores_) == len(model.validation_loss_curve_) == len(model.loss_curve_) == model.n_iter_
    assert model.n_iter_ < 100
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert np.argmax(model.validation_scores_) < model.n_iter_ - 1  # it went on after the best epoch ...
    _, x_val, _, y_val = train_test_split(x_train, y_train, test_size=0.1, random_state=model._seed, stratify=y_train)
    assert model.score(x_val, y_val) == pytest.approx(model.best_validation_score_)  # ... and came back to it


def test_partial_fit_trains_one_epoch_at_a_time(digits):
    x_train, x_test, y_train, y_test = digits
    model = MLPClassifier((32,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        model.partial_fit(x_train, y_train)
    for _ in range(5):
        model.partial_fit(x_train, y_train, classes=np.arange(10))
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 5 and model.t_ == 5 * len(y_train)  # n_iter_: this call's
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert model.score(x_test, y_test) > 0.85


def test_unpickled_model_predicts_the_same_and_goes_on_training(digits):
    x_train, x_test, y_train, _ = digits
    model = MLPClassifier((32,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict_proba(x_test), model.predict_proba(x_test))
    before = [w.copy() for w in copy.coefs_]
    copy.partial_fit(x_train, y_train)
    assert all(not np.array_equal(a, b) for a, b in zip(before, copy.coefs_))
    assert copy.loss_ < model.loss_curve_[0]


def test_beyond_scikit_learn_per_layer_activations_dropout_batch_norm_schedule_and_optimizers(digits):
    x_train, x_test, y_train, y_test = digits
    model = MLPClassifier(
        (64, 32),
        activation=("relu", "tanh"),
        dropout=0.1,
        batch_norm=True,
        solver="rmsprop",
        schedule="exponential",
        clip_norm=5.0,
        max_iter=20,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    names = [type(layer).__name__ for layer in model.model_.layers]
    assert names.count("ReLU") == 1 and names.count("Tanh") == 1 and "BatchNorm" in names and "Dropout" in names
    assert model.score(x_test, y_test) > 0.9
    reg = MLPRegressor((16,), loss="huber", learning_rate_init=0.01, max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(x_train, x_train[:, 10:12])  # two outputs
    assert reg.predict(x_test).shape == (len(x_test), 2) and reg.score(x_test, x_test[:, 10:12]) > 0.5


def test_the_limits_get_clear_errors(digits):
    x_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match="solver='lbfgs' is not supported"):
        MLPClassifier(solver="lbfgs").fit(x_train, y_train)
    with pytest.raises(ValueError, match="activation lists 1 names for 2 hidden layers"):
        MLPClassifier((8, 8), activation=("relu",)).fit(x_train, y_train)
    with pytest.raises(ValueError, match=re.escape("alpha: -1 is not allowed (must be >= 0)")):
        MLPClassifier(alpha=-1).fit(x_train, y_train)
    with pytest.raises(ValueError, match=re.escape("learning_rate_init: 0 is not allowed (must be > 0)")):
        MLPClassifier(learning_rate_init=0).fit(x_train, y_train)  # the rule of mlplab train's lr
    with pytest.raises(ValueError, match=re.escape("hidden_layer_sizes: [8, 0] is not allowed")):
        MLPClassifier((8, 0)).fit(x_train, y_train)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(2\\) reached"):
        MLPClassifier((8,), max_iter=2).fit(x_train, y_train)


def test_scikit_learns_fit_semantics(digits):
    x_train, _, y_train, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier((16,), max_iter=5, warm_start=True, random_state=0).fit(x_train, y_train)
        model.set_params(solver="sgd", learning_rate_init=0.05).fit(x_train, y_train)
    assert model.n_iter_ == 5 and len(model.loss_curve_) == 10 and model.out_activation_ == "softmax"
    assert type(model._trainer_.optimizer).__name__ == "SGD"  # a warm fit builds a new optimizer with the new settings
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        MLPClassifier(early_stopping=True).partial_fit(x_train, y_train, classes=np.arange(10))
    reg = MLPRegressor((8,), max_iter=3, random_state=0, loss="squared_error")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(x_train, x_train[:, [10]])
    assert reg.predict(x_train[:4]).shape == (4,) and reg.out_activation_ == "identity"

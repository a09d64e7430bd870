"""Fixed-seed runs of the scikit-learn estimators, the playground and ``mlplab train``'s recipe.

``tests/test_regression.py`` compares them with ``tests/data/regression.json``, recorded from mlplab
before its front ends were moved onto the shared recipe; ``python tests/regression_cases.py``
records them again (only after a change that is meant to alter these numbers).
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

GOLDEN = Path(__file__).with_name("data") / "regression.json"


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(120, 5))
    labels = (x[:, 0] + 0.5 * x[:, 1] ** 2 > 0.3).astype(int) + (x[:, 2] > 0.8).astype(int)
    targets = x @ rng.normal(size=(5, 2)) + 0.1 * rng.normal(size=(120, 2))
    return x, labels, targets


def _fingerprint(estimator: Any, x: np.ndarray) -> dict[str, Any]:
    out = {
        "loss_curve": [float(v) for v in estimator.loss_curve_],
        "n_iter": int(estimator.n_iter_),
        "coef_sums": [float(w.sum()) for w in estimator.coefs_],
        "intercept_sums": [float(b.sum()) for b in estimator.intercepts_],
        "predict_sum": float(np.asarray(estimator.predict(x), dtype=np.float64).sum()),
    }
    if estimator.validation_scores_ is not None:
        out["validation_scores"] = [float(v) for v in estimator.validation_scores_]
    return out


def sklearn_cases() -> dict[str, Any]:
    """MLPClassifier (adam, sgd with early stopping, partial_fit) and MLPRegressor, float64."""
    from sklearn.exceptions import ConvergenceWarning

    from mlplab.sklearn import MLPClassifier, MLPRegressor

    x, labels, targets = _data()
    cases: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        adam = MLPClassifier((16, 8), max_iter=15, random_state=0, batch_size=32).fit(x, labels)
        cases["classifier_adam"] = _fingerprint(adam, x)
        sgd = MLPClassifier(
            (12,),
            solver="sgd",
            learning_rate_init=0.05,
            early_stopping=True,
            n_iter_no_change=3,
            max_iter=25,
            random_state=1,
            dropout=0.1,
            batch_size=16,
        ).fit(x, labels)
        cases["classifier_sgd_early_stopping"] = _fingerprint(sgd, x)
        partial = MLPClassifier((10,), random_state=2, batch_size=20)
        for _ in range(4):
            partial.partial_fit(x, labels, classes=[0, 1, 2])
        cases["classifier_partial_fit"] = _fingerprint(partial, x)
        regressor = MLPRegressor(
            (16,), activation="tanh", max_iter=12, random_state=3, alpha=1e-3, learning_rate_init=0.01
        ).fit(x, targets)
        cases["regressor_adam"] = _fingerprint(regressor, x)
    return cases


def playground_cases() -> dict[str, Any]:
    """Twelve epochs of two playground sessions: XOR clouds with SGD, spirals with Adam and a schedule."""
    from mlplab.playground import Session, check_setup

    setups = {
        "xor_sgd": {"dataset": "xor", "points": 200, "hidden": [8, 8], "epochs": 12},
        "spirals_adam": {
            "dataset": "spirals",
            "points": 300,
            "hidden": [16],
            "activation": "relu",
            "optimizer": "adam",
            "lr": 0.01,
            "schedule": "exponential",
            "batch_size": 32,
            "epochs": 12,
            "dropout": 0.1,
            "l2": 1e-3,
        },
    }
    cases: dict[str, Any] = {}
    for name, setup in setups.items():
        session = Session(check_setup(setup))
        for _ in range(setup["epochs"]):
            session.epoch()
        # recorded when the page's training numbers were the means over each epoch's batches: those are
        # the running_* ones now; the whole training set's after each epoch came later, as train_*
        renamed = {
            "loss": "train_loss",
            "accuracy": "train_accuracy",
            "running_loss": "loss",
            "running_accuracy": "accuracy",
        }
        # and epoch 0, the untrained network, came later still: kept apart so that the lists line up with the epochs
        cases[name] = {renamed.get(key, key): [float(v) for v in values[1:]] for key, values in session.history.items()}
        cases[name]["epoch_0"] = {renamed.get(key, key): float(values[0]) for key, values in session.history.items()}
        cases[name]["weight_sum"] = float(
            sum(float(p.value.astype(np.float64).sum()) for p in session.model.parameters())
        )
    return cases


def train_cases() -> dict[str, Any]:
    """``mlplab train`` on moons (early stopping, plateau schedule) and on digits with batch norm, per-epoch logs."""
    import tempfile

    from mlplab.cli import main

    runs = {
        "moons": [
            "--dataset",
            "moons",
            "--points",
            "300",
            "--hidden",
            "12",
            "--epochs",
            "15",
            "--patience",
            "3",
            "--schedule",
            "plateau",
            "--lr",
            "0.05",
            "--batch-size",
            "16",
            "--l1",
            "1e-4",
        ],
        "digits": [
            "--dataset",
            "digits",
            "--hidden",
            "32",
            "--batch-norm",
            "--epochs",
            "4",
            "--optimizer",
            "sgd",
            "--lr",
            "0.05",
            "--clip-norm",
            "1.0",
            "--dropout",
            "0.1",
        ],
    }
    cases: dict[str, Any] = {}
    for name, flags in runs.items():
        with tempfile.TemporaryDirectory() as out:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                assert main(["train", *flags, "--out", out, "--name", "run", "--quiet", "--json"]) == 0
            results = json.loads(printed.getvalue())
            rows = [json.loads(line) for line in (Path(out) / "run" / "metrics.jsonl").read_text().splitlines()]
        cases[name] = {
            key: [float(row[key]) for row in rows] for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr")
        }
        cases[name].update({key: results[key] for key in ("test_accuracy", "test_loss", "epochs")})
    return cases


def all_cases() -> dict[str, Any]:
    return {"sklearn": sklearn_cases(), "playground": playground_cases(), "train": train_cases()}


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(all_cases(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")

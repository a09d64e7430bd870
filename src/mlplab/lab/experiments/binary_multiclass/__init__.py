"""Binary and multi-class classification with neural networks (S0).

S0 draws "a feed-forward neural network with one hidden layer (with 3 neurons)" for binary classification,
then builds an N-class classifier from "N separate binary classifiers" on one-hot targets (one-vs-all), and
moves on to a softmax output with cross-entropy as the "more accurate" multi-class classifier, because
sigmoid outputs "can not be interpreted as probability". This experiment

* trains the 2-3-1 network (tanh hidden layer, sigmoid output, binary cross-entropy on its probabilities) on
  two binary tasks no line can separate, moons and circles, against a network without hidden layer
  (logistic regression), and draws its decision boundary with the three hidden units' lines;
* on a 4-arm spiral and on Fashion-MNIST compares three multi-class classifiers with the same number of
  hidden units in total: one-vs-all (:class:`mlplab.OneVsAll` over N binary networks with H hidden units each),
  one network with N sigmoid outputs trained with MSE on one-hot targets (S0's "previously"), and one network
  with a softmax output and cross-entropy (N * H hidden units each). It reports their test accuracies and how
  far the N outputs are from summing to 1, and draws the decision regions side by side.

The tasks, classifiers and training runs are in :mod:`.runs`, the figures in :mod:`.figures`; this module
runs the experiment, records its numbers and states its claims.
"""

from __future__ import annotations

import numpy as np

from ....datasets import toy
from ....training import Trainer
from ...base import Lab, experiment
from ...data import fashion
from .figures import plot_binary, plot_fashion, plot_regions
from .runs import (
    FASHION_HIDDEN,
    FASHION_LR,
    METHODS,
    SPIRAL_ARMS,
    SPIRAL_NOISE,
    TOY_HIDDEN,
    TOY_LR,
    Recipe,
    binary_accuracy,
    binary_task,
    compare,
    train_binary,
)


@experiment("binary-multiclass", "Binary and multi-class classification: one-vs-all versus softmax", sources="S0")
def run(lab: Lab) -> None:
    quick = lab.quick
    n_seeds = 1 if quick else 5
    toy_recipe = Recipe("tanh", TOY_LR, None, 200 if quick else 1000)
    binary_recipe = Recipe("tanh", 0.05, None, 200 if quick else 1000)
    n_toy, n_test = (200, 500) if quick else (400, 2000)

    # Binary: S0's 2-3-1 network against logistic regression.
    tasks = {name: binary_task(name, n_toy, lab.rng) for name in ("moons", "circles")}
    tests = {name: binary_task(name, n_test, lab.rng) for name in tasks}
    accuracies: dict[str, dict[str, list[float]]] = {}
    drawn: dict[str, Trainer] = {}
    for name, (x, y) in tasks.items():
        xt, yt = tests[name]
        accuracies[name] = {"2-3-1": [], "no hidden layer": []}
        for s in range(n_seeds):
            seed = lab.seed * 1000 + s
            network = train_binary(x, y, 3, binary_recipe, seed)
            accuracies[name]["2-3-1"].append(binary_accuracy(network, xt, yt))
            accuracies[name]["no hidden layer"].append(
                binary_accuracy(train_binary(x, y, None, binary_recipe, seed), xt, yt)
            )
            drawn.setdefault(name, network)

    # Multi-class on a spiral: one-vs-all against one network with N outputs.
    x, y = toy.spirals(300 if quick else 600, SPIRAL_ARMS, SPIRAL_NOISE, rng=lab.rng)
    xt, yt = toy.spirals(n_test, SPIRAL_ARMS, SPIRAL_NOISE, rng=lab.rng)
    spiral = compare(x, y, xt, yt, TOY_HIDDEN, toy_recipe, lab.seed)

    # Multi-class on Fashion-MNIST.
    n_train, n_images, epochs = (500, 200, 2) if quick else (20000, 10000, 10)
    images = fashion(n_train, n_images, standardize=True, seed=lab.seed)
    fashion_recipe = Recipe("relu", FASHION_LR, 128, epochs)
    fashion_runs = [
        compare(
            images.x_train,
            images.y_train,
            images.x_test,
            images.y_test,
            FASHION_HIDDEN,
            fashion_recipe,
            lab.seed * 1000 + s,
        )
        for s in range(1 if quick else 3)
    ]
    fashion_accuracy = {m: [r[m].accuracy for r in fashion_runs] for m in METHODS}
    fashion_mean = {m: float(np.mean(v)) for m, v in fashion_accuracy.items()}

    lab.record(
        binary_test_accuracy=accuracies,
        binary_median_accuracy={n: {k: float(np.median(v)) for k, v in a.items()} for n, a in accuracies.items()},
        binary_epochs=binary_recipe.epochs,
        spiral_arms=SPIRAL_ARMS,
        spiral_test_accuracy={m: o.accuracy for m, o in spiral.items()},
        spiral_mean_abs_sum_minus_1={m: o.sum_deviation for m, o in spiral.items()},
        spiral_parameters={m: o.parameters for m, o in spiral.items()},
        fashion_data=images.name,
        fashion_sizes={"train": len(images.y_train), "test": len(images.y_test), "epochs": epochs},
        fashion_test_accuracy=fashion_accuracy,
        fashion_mean_accuracy=fashion_mean,
        fashion_mean_abs_sum_minus_1={m: [r[m].sum_deviation for r in fashion_runs] for m in METHODS},
        fashion_parameters={m: fashion_runs[0][m].parameters for m in METHODS},
    )

    plot_binary(lab, tasks, drawn, accuracies)
    plot_regions(lab, x, y, spiral)
    plot_fashion(lab, fashion_runs, images.name)

    medians = {n: {k: float(np.median(v)) for k, v in a.items()} for n, a in accuracies.items()}
    lab.claim(
        "A feed-forward network with one hidden layer of 3 neurons and a sigmoid output classifies binary data "
        "that no linear classifier can",
        "S0",
        all(m["2-3-1"] >= 0.95 and m["2-3-1"] > m["no hidden layer"] + 0.05 for m in medians.values()),
        "median test accuracy "
        + "; ".join(
            f"{n}: {m['2-3-1']:.3f} with 3 hidden neurons, {m['no hidden layer']:.3f} without"
            for n, m in medians.items()
        ),
    )
    ova_ok = spiral["one-vs-all"].accuracy >= 0.9 and fashion_mean["one-vs-all"] >= 0.8
    lab.claim(
        "N separate binary classifiers trained on the one-hot columns (one-vs-all) make an N-class classifier",
        "S0",
        ova_ok,
        f"one-vs-all test accuracy {spiral['one-vs-all'].accuracy:.3f} on the {SPIRAL_ARMS}-arm spiral, "
        f"{fashion_mean['one-vs-all']:.4f} on {images.name} (10 classes)",
    )
    others = max(fashion_mean["one-vs-all"], fashion_mean["sigmoid + MSE"])
    lab.claim(
        "Softmax with cross-entropy is the more accurate multi-class classifier than sigmoid outputs "
        "(one-vs-all, or sigmoid + MSE)",
        "S0",
        fashion_mean["softmax + CE"] > others,
        f"{images.name} test accuracy, mean of {len(fashion_runs)} seeds: "
        + ", ".join(f"{m} {fashion_mean[m]:.4f}" for m in METHODS)
        + "; spiral: "
        + ", ".join(f"{m} {spiral[m].accuracy:.3f}" for m in METHODS),
    )
    deviations = {m: float(np.mean([r[m].sum_deviation for r in fashion_runs])) for m in METHODS}
    lab.claim(
        "Sigmoid outputs cannot be read as class probabilities (they need not sum to 1); softmax outputs can",
        "S0",
        min(
            deviations["one-vs-all"],
            deviations["sigmoid + MSE"],
            spiral["one-vs-all"].sum_deviation,
            spiral["sigmoid + MSE"].sum_deviation,
        )
        > 0.01
        and max(deviations["softmax + CE"], spiral["softmax + CE"].sum_deviation) < 1e-5,
        "mean |sum of outputs - 1| on test data: "
        + ", ".join(f"{m} {deviations[m]:.3g}" for m in METHODS)
        + f" ({images.name}); "
        + ", ".join(f"{m} {spiral[m].sum_deviation:.3g}" for m in METHODS)
        + " (spiral)",
    )

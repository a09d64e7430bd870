"""Learning slowdown: a sigmoid output with the quadratic cost versus cross-entropy, from a badly wrong start.

S3 ("The learning slowdown issue") shows that with the quadratic cost the output
gradient carries the factor :math:`\\sigma'(z)`,

.. math::

    \\frac{\\partial C}{\\partial b} = (a - y)\\,\\sigma'(z), \\qquad
    \\text{but with cross-entropy} \\qquad \\frac{\\partial C}{\\partial b} = a - y,

so a saturated output that is badly wrong learns slowly under the quadratic cost
and at once under cross-entropy. S0 recommends softmax + cross-entropy over
sigmoid + MSE for the same reason. Three measurements:

1. Nielsen's single neuron: input 1, target 0, weight and bias starting at 2
   (output 0.98). With the quadratic cost it barely moves for a hundred epochs;
   with cross-entropy it learns at once. From a good start (w = 0.6, b = 0.9,
   output 0.82) both learn quickly: the slowdown is saturation, not the cost alone.
2. The output gradient :math:`\\partial C/\\partial z` as a function of :math:`z`, from
   the library's backward passes. S0 lists "steeper gradient as you are away from
   the correct output" as a merit of sigmoid + MSE; that holds only near the
   target: the quadratic gradient peaks and then vanishes as the output
   saturates on the wrong side, while the cross-entropy gradient keeps growing.
3. A network: a 784-100-10 sigmoid MLP on Fashion-MNIST started with large
   N(0, 1) weights (saturated units), trained with the same plain SGD under
   sigmoid + quadratic, sigmoid + cross-entropy and softmax + log-likelihood,
   plus sigmoid + quadratic from a small N(0, 1/n_in) start as a control.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ... import functional as F
from ...datasets.preprocessing import one_hot
from ...layers import Dense, Sigmoid
from ...losses import BinaryCrossEntropy, Loss, QuadraticCost, SoftmaxCrossEntropy
from ...model import MLP, Sequential
from ...plotting import pyplot
from ...training import Trainer
from ...training.callbacks import Callback
from ..base import Lab, experiment
from ..data import fashion

NEURON_LR = 0.15
"""Nielsen's learning rate for the single neuron, used for both costs so that only the cost differs."""
BAD_START = (2.0, 2.0)
GOOD_START = (0.6, 0.9)
OUTPUT_THRESHOLDS = (0.5, 0.2)
"""The neuron has 'learned' once its output (= its error, the target being 0) falls below these."""
NETWORK_LR = 0.5
ACCURACY_TARGET = 0.6


@dataclass(frozen=True)
class Run:
    """One training run of the single neuron: output, cost and bias gradient before each epoch."""

    output: np.ndarray
    cost: np.ndarray
    bias_grad: np.ndarray


class NeuronRecorder(Callback):
    """Records the neuron's output on the input (before training and after every epoch) and each epoch's ∂C/∂b."""

    def __init__(self, model: Sequential, x: np.ndarray) -> None:
        self.model, self.x = model, x
        self.outputs: list[float] = []
        self.bias_grads: list[float] = []

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.outputs.append(float(self.model.forward(self.x)[0, 0]))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.outputs.append(float(self.model.forward(self.x)[0, 0]))
        dense = self.model.layers[0]
        assert isinstance(dense, Dense) and dense.b is not None  # the neuron: Dense(1, 1) with its bias, then Sigmoid
        self.bias_grads.append(float(dense.b.grad[0]))


class TestMetrics(Callback):
    """Test loss and accuracy before training and after every epoch (the quadratic cost has no accuracy of its own)."""

    def __init__(self, x: np.ndarray, target: np.ndarray, labels: np.ndarray) -> None:
        self.x, self.target, self.labels = x, target, labels
        self.loss: list[float] = []
        self.accuracy: list[float] = []

    def _measure(self) -> None:
        out = self.trainer.predict(self.x)
        self.loss.append(self.trainer.loss.forward(out, self.target))
        self.accuracy.append(float(np.mean(out.argmax(axis=1) == self.labels)))

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self._measure()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self._measure()


def neuron(weight: float, bias: float) -> Sequential:
    """Nielsen's one-input sigmoid neuron ``a = σ(w·x + b)`` (float64, so the tiny gradients are exact)."""
    dense = Dense(1, 1, dtype=np.float64)
    assert dense.b is not None  # Dense has a bias unless built with bias=False
    dense.W.value[...] = weight
    dense.b.value[...] = bias
    return Sequential([dense, Sigmoid()])


def train_neuron(start: tuple[float, float], loss: Loss, epochs: int, seed: int) -> Run:
    """Gradient descent on the single example x = 1, y = 0 from ``start`` = (w, b)."""
    x, y = np.ones((1, 1)), np.zeros((1, 1))
    model = neuron(*start)
    recorder = NeuronRecorder(model, x)
    trainer = Trainer(
        model, loss=loss, optimizer="sgd", lr=NEURON_LR, batch_size=None, verbose=0, rng=seed, callbacks=[recorder]
    )
    history = trainer.fit(x, y, epochs=epochs)
    return Run(np.array(recorder.outputs), np.array(history["loss"]), np.array(recorder.bias_grads))


def first_epoch(reached: np.ndarray) -> int | None:
    """The first epoch (index = completed epochs) at which ``reached`` is true; None if never."""
    hits = np.flatnonzero(reached)
    return int(hits[0]) if hits.size else None


def output_gradient(z: np.ndarray, loss: Loss, target: float) -> np.ndarray:
    """∂C/∂z of one sigmoid output for each pre-activation in ``z``, through the library's backward passes."""
    sigmoid = Sigmoid()
    a = sigmoid.forward(z[:, None])
    loss.forward(a, np.full_like(a, target))
    grad = sigmoid.backward(loss.backward())
    assert grad is not None  # input_grad=True (the default): backward returns ∂C/∂z
    return grad[:, 0].copy()


def output_logits(model: MLP, x: np.ndarray) -> np.ndarray:
    """The output layer's pre-activations z: the network up to and including its last Dense layer."""
    last = max(i for i, layer in enumerate(model.layers) if isinstance(layer, Dense))
    for layer in model.layers[: last + 1]:
        x = layer.forward(x)
    return x


def network_runs(lab: Lab) -> dict[str, dict[str, Any]]:
    """Train the 784-100-10 network under each output/cost pairing; test loss and accuracy per epoch."""
    n_train, n_test, epochs = (600, 500, 3) if lab.quick else (10000, 2000, 15)
    data = fashion(n_train, n_test, standardize=True, seed=lab.seed)
    train_hot = one_hot(data.y_train, 10).astype(np.float32)
    test_hot = one_hot(data.y_test, 10).astype(np.float32)
    setups = {
        "sigmoid + quadratic": ("sigmoid", QuadraticCost(), "standard_normal", train_hot, test_hot),
        "sigmoid + cross-entropy": ("sigmoid", BinaryCrossEntropy(), "standard_normal", train_hot, test_hot),
        "softmax + log-likelihood": ("identity", SoftmaxCrossEntropy(), "standard_normal", data.y_train, data.y_test),
        "sigmoid + quadratic, small init": ("sigmoid", QuadraticCost(), "nielsen", train_hot, test_hot),
    }
    runs = {}
    for name, (output, loss, init, train_target, test_target) in setups.items():
        model = MLP([784, 100, 10], activation="sigmoid", output_activation=output, init=init, rng=lab.seed + 1)
        saturated = float(np.mean(F.sigmoid_derivative(output_logits(model, data.x_train)) < 0.01))
        metrics = TestMetrics(data.x_test, test_target, data.y_test)
        trainer = Trainer(
            model,
            loss=loss,
            optimizer="sgd",
            lr=NETWORK_LR,
            batch_size=32,
            verbose=0,
            rng=lab.seed + 2,
            callbacks=[metrics],
        )
        trainer.fit(data.x_train, train_target, epochs=epochs)
        runs[name] = {
            "test_loss": np.array(metrics.loss),
            "test_accuracy": np.array(metrics.accuracy),
            "saturated_outputs_at_start": saturated,
            "epochs_to_target": first_epoch(np.array(metrics.accuracy) >= ACCURACY_TARGET),
        }
    lab.record(
        network={
            "data": data.name,
            "n_train": n_train,
            "n_test": n_test,
            "epochs": epochs,
            "lr": NETWORK_LR,
            "batch_size": 32,
            "accuracy_target": ACCURACY_TARGET,
            "runs": runs,
        }
    )
    return runs


def plot_neuron(lab: Lab, runs: dict[str, Run]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    styles = {"quadratic": "tab:red", "cross-entropy": "tab:blue"}
    for name, run in runs.items():
        cost, start = name.split(", ")
        ls = "-" if start.startswith("bad") else "--"
        epochs = np.arange(run.output.size)
        left.plot(epochs, run.output, color=styles[cost], ls=ls, label=name)
        right.plot(np.arange(run.bias_grad.size), np.abs(run.bias_grad), color=styles[cost], ls=ls, label=name)
    for threshold in OUTPUT_THRESHOLDS:
        left.axhline(threshold, color="grey", ls=":", lw=0.8)
        left.text(
            left.get_xlim()[1], threshold, f"a = {threshold:g} ", ha="right", va="bottom", fontsize=8, color="grey"
        )
    left.set_xlabel("epoch (one gradient step on x = 1)")
    left.set_ylabel("output a = σ(w + b)  (target 0)")
    left.set_ylim(0, 1)
    left.set_title("Quadratic cost from a = 0.98 stalls; cross-entropy does not")
    right.set_yscale("log")
    right.set_xlabel("epoch")
    right.set_ylabel("|∂C/∂b| at that step (log scale)")
    right.set_title("Why: the quadratic gradient carries σ'(4) ≈ 0.018")
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.1))
    lab.figure(
        fig,
        "neuron.png",
        "Nielsen's single sigmoid neuron (x = 1, target 0, learning rate 0.15): output and bias gradient per "
        "epoch, from a badly wrong start (w = b = 2, solid) and a good one (w = 0.6, b = 0.9, dashed).",
    )


def plot_gradients(lab: Lab, z: np.ndarray, quadratic: np.ndarray, cross_entropy: np.ndarray) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(z, quadratic, color="tab:red", label="quadratic:  (a − y) σ'(z)")
    ax.plot(z, cross_entropy, color="tab:blue", label="cross-entropy:  a − y")
    for (w, b), name in ((BAD_START, "bad start"), (GOOD_START, "good start")):
        ax.axvline(w + b, color="grey", ls=":", lw=1)
        ax.text(w + b, 1.02, f"{name}\nz = {w + b:g}", ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("pre-activation z of the output (target y = 0, so larger z is more wrong)")
    ax.set_ylabel("∂C/∂z for one sample")
    ax.set_ylim(0, 1.15)
    ax.set_title("The further wrong, the smaller the quadratic gradient; cross-entropy's keeps growing", fontsize=9)
    ax.legend(loc="center left")
    lab.figure(
        fig,
        "gradient-vs-error.png",
        "Gradient of each cost with respect to the output's pre-activation z, from the library's Sigmoid "
        "and loss backward passes, for target 0.",
    )


def plot_network(lab: Lab, runs: dict[str, dict[str, Any]]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    colors = {
        "sigmoid + quadratic": "tab:red",
        "sigmoid + cross-entropy": "tab:blue",
        "softmax + log-likelihood": "tab:green",
        "sigmoid + quadratic, small init": "tab:red",
    }
    for name, run in runs.items():
        ls = "--" if "small init" in name else "-"
        label = name if "small init" in name else f"{name}, N(0, 1) init"
        epochs = np.arange(run["test_loss"].size)
        left.plot(epochs, run["test_loss"] / run["test_loss"][0], color=colors[name], ls=ls, marker=".", label=label)
        right.plot(epochs, 100 * run["test_accuracy"], color=colors[name], ls=ls, marker=".", label=label)
    right.axhline(100 * ACCURACY_TARGET, color="grey", ls=":", lw=1, label=f"{100 * ACCURACY_TARGET:.0f} % target")
    left.set_yscale("log")
    left.set_xlabel("epoch")
    left.set_ylabel("test cost / cost before training (log scale)")
    left.set_title("Each cost relative to its start")
    left.legend(fontsize=8)
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy (%)")
    right.set_title("Saturated start: the quadratic cost learns slowest")
    right.legend(fontsize=8, loc="lower right")
    lab.figure(
        fig,
        "network.png",
        "A 784-100-10 sigmoid network on Fashion-MNIST, SGD with learning rate 0.5 and batch 32, started "
        "with large N(0, 1) weights (saturated units) under three output/cost pairings; dashed: the quadratic "
        "cost from a small N(0, 1/n_in) start.",
    )


@experiment("slowdown", "Learning slowdown: quadratic cost versus cross-entropy", sources="S0, S3")
def run(lab: Lab) -> None:
    neuron_epochs = 250 if lab.quick else 600
    costs = {"quadratic": QuadraticCost, "cross-entropy": BinaryCrossEntropy}
    starts = {"bad start": BAD_START, "good start": GOOD_START}
    runs = {
        f"{cost}, {start}": train_neuron(wb, loss(), neuron_epochs, lab.seed)
        for cost, loss in costs.items()
        for start, wb in starts.items()
    }
    reached = {name: {str(t): first_epoch(r.output < t) for t in OUTPUT_THRESHOLDS} for name, r in runs.items()}
    moved_in_100 = {name: float(r.output[0] - r.output[100]) for name, r in runs.items()}
    lab.record(
        neuron={
            "lr": NEURON_LR,
            "epochs": neuron_epochs,
            "epochs_to_output_below": reached,
            "output_drop_in_first_100_epochs": moved_in_100,
            **{name: {"output": r.output, "cost": r.cost, "bias_grad": r.bias_grad} for name, r in runs.items()},
        }
    )
    plot_neuron(lab, runs)

    z = np.linspace(-4, 8, 601)
    quadratic = output_gradient(z, QuadraticCost(reduction="sum"), 0.0)
    cross_entropy = output_gradient(z, BinaryCrossEntropy(reduction="sum"), 0.0)
    lab.record(
        gradient_vs_z={
            "z": z[::20],
            "quadratic": quadratic[::20],
            "cross_entropy": cross_entropy[::20],
            "quadratic_peak_z": float(z[np.argmax(quadratic)]),
        }
    )
    plot_gradients(lab, z, quadratic, cross_entropy)

    with threadpool_limits(1, user_api="blas"):  # small matrices: one BLAS thread is fastest, same sums anywhere
        network = network_runs(lab)
    plot_network(lab, network)

    bad_q, bad_ce = runs["quadratic, bad start"], runs["cross-entropy, bad start"]
    a0, sig0 = bad_q.output[0], F.sigmoid_derivative(np.array(sum(BAD_START)))
    half = str(OUTPUT_THRESHOLDS[0])
    slow, fast = reached["quadratic, bad start"][half], reached["cross-entropy, bad start"][half]
    lab.claim(
        "With a sigmoid output and the quadratic cost, a neuron that starts badly wrong (output 0.98 for target 0) "
        "learns very slowly at first, because its gradient carries σ'(z) ≈ 0",
        "S3",
        moved_in_100["quadratic, bad start"] < 0.05 and slow is not None and fast is not None and slow > 5 * fast,
        f"output fell by {moved_in_100['quadratic, bad start']:.3f} in the first 100 epochs and went below "
        f"{half} after {slow} epochs (cross-entropy: {moved_in_100['cross-entropy, bad start']:.3f} and {fast} epochs)",
    )
    lab.claim(
        "Cross-entropy removes σ'(z) from the output gradient: ∂C/∂b = a − y instead of (a − y)σ'(z)",
        "S3",
        np.isclose(bad_ce.bias_grad[0], a0) and np.isclose(bad_q.bias_grad[0], a0 * sig0),
        f"first-step ∂C/∂b = {bad_ce.bias_grad[0]:.4f} (cross-entropy; a − y = {a0:.4f}) vs "
        f"{bad_q.bias_grad[0]:.4f} (quadratic; (a − y)σ'(4) = {a0 * sig0:.4f})",
    )
    good = reached["quadratic, good start"][half]
    lab.claim(
        "The slowdown comes from saturation: from a good start (w = 0.6, b = 0.9) the quadratic cost learns quickly",
        "S3",
        good is not None and slow is not None and good < slow / 3 and moved_in_100["quadratic, good start"] > 0.5,
        f"good start: output below {half} after {good} epochs, fell by {moved_in_100['quadratic, good start']:.3f} "
        f"in 100 epochs (bad start: {slow} epochs)",
    )
    peak = float(z[np.argmax(quadratic)])
    far = z >= 6
    lab.claim(
        "Sigmoid + MSE gives a steeper gradient the further the output is from its target (S0) only near the "
        "target: past z = ln 2 the quadratic gradient shrinks towards 0, while the cross-entropy gradient keeps "
        "growing",
        "S0",
        bool(abs(peak - np.log(2)) < 0.05 and quadratic[far].max() < 0.01 and np.all(np.diff(cross_entropy) > 0)),
        f"quadratic ∂C/∂z peaks at z = {peak:.2f} ({quadratic.max():.3f}) and is ≤ {quadratic[far].max():.4f} for "
        f"z ≥ 6; cross-entropy ∂C/∂z rises monotonically to {cross_entropy[-1]:.4f}",
    )
    final = {name: r["test_accuracy"][-1] for name, r in network.items()}
    to_target = {name: r["epochs_to_target"] for name, r in network.items()}
    quad, bce, sce = final["sigmoid + quadratic"], final["sigmoid + cross-entropy"], final["softmax + log-likelihood"]
    lab.claim(
        "In a network started with large weights, a sigmoid output with cross-entropy or a softmax output with "
        "log-likelihood both cure the slowdown of sigmoid + quadratic cost",
        "S0, S3",
        bce > quad + 0.05 and sce > quad + 0.05,
        f"test accuracy after {network['sigmoid + quadratic']['test_accuracy'].size - 1} epochs: quadratic "
        f"{100 * quad:.1f} %, sigmoid + cross-entropy {100 * bce:.1f} %, softmax + log-likelihood {100 * sce:.1f} %; "
        f"epochs to {100 * ACCURACY_TARGET:.0f} %: {to_target['sigmoid + quadratic']}, "
        f"{to_target['sigmoid + cross-entropy']}, {to_target['softmax + log-likelihood']}; "
        f"{100 * network['sigmoid + quadratic']['saturated_outputs_at_start']:.0f} % of outputs saturated at the start "
        f"(σ'(z) < 0.01); the quadratic cost from a small N(0, 1/n_in) start reaches "
        f"{100 * final['sigmoid + quadratic, small init']:.1f} %",
    )

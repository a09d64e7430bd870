"""XOR: a perceptron cannot learn it, a multi-layer perceptron can (S1, S4).

S1 says "a Perceptron cannot learn the XOR function" and that hidden units fix it; S4 shows a second layer
classifying what the first layer computed. This experiment

* runs :class:`mlplab.Perceptron` (S3's algorithm) on XOR from several seeds: it never converges, it stops
  in a cycle with at least one of the four points wrong, while AND and OR converge in a few epochs;
* trains ``2-H-1`` networks (tanh hidden layer, sigmoid output, binary cross-entropy, batch gradient
  descent) for H = 1, 2, 3, 4, 8 from the same seeds and reports, per H, the fraction of seeds that
  classify all four points and the final losses. One hidden unit never works (its decision region is a
  half-plane); 2-2-1 is the smallest network that works, but not from every seed: some runs stall at the
  plateau with loss ln(2)/2, two points fitted and two left at probability 1/2. Wider layers fail less;
* draws the decision regions of the perceptron and of a solved and a stalled 2-2-1 network, and the four
  points in the hidden layer's coordinates, where a line separates them (a perceptron trained there converges).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...datasets import toy
from ...functional import sigmoid
from ...layers import Dense, Layer
from ...losses import BinaryCrossEntropy
from ...model import MLP
from ...perceptron import ConvergenceWarning, Perceptron
from ...plotting import pyplot
from ...training import Trainer
from ..base import Lab, experiment
from ..plots import draw_line

HIDDEN_SIZES = (1, 2, 3, 4, 8)
STALL_LOSS = float(np.log(2) / 2)
"""Mean cross-entropy with two points fitted and two at probability 1/2: where stalled 2-2-1 runs stop."""
GATES = {"AND": np.array([0, 0, 0, 1]), "OR": np.array([0, 1, 1, 1])}
LEARNING_RATE = 1.0
PERCEPTRON_EPOCHS = 100
PLANE = (-0.5, 1.5)


@dataclass
class MLPRun:
    """One 2-H-1 network trained on XOR: its trainer, loss per epoch and final accuracy."""

    hidden: int
    seed: int
    trainer: Trainer
    losses: list[float]
    accuracy: float

    @property
    def solved(self) -> bool:
        return self.accuracy == 1.0

    @property
    def layers(self) -> list[Layer]:
        """The network's layers: Dense, tanh, Dense (the output's sigmoid is in the loss)."""
        model = self.trainer.model
        assert isinstance(model, MLP)  # _train_mlp trains an MLP
        return model.layers


def _weights(layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """``(W, b)`` of one of the network's Dense layers."""
    assert isinstance(layer, Dense) and layer.b is not None  # the MLP's Dense layers have biases
    return layer.W.value, layer.b.value


def _fit_perceptron(x: np.ndarray, y: np.ndarray, seed: int) -> Perceptron:
    """S3's perceptron on four points; the ConvergenceWarning it gives on XOR is expected and silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Perceptron(max_epochs=PERCEPTRON_EPOCHS, rng=seed).fit(x, y)


def _train_mlp(x: np.ndarray, y: np.ndarray, hidden: int, seed: int, epochs: int) -> MLPRun:
    """Batch gradient descent on a 2-hidden-1 tanh network with a sigmoid output (cross-entropy on logits)."""
    model = MLP([2, hidden, 1], activation="tanh", rng=seed, dtype=np.float64)
    trainer = Trainer(
        model,
        loss=BinaryCrossEntropy(from_logits=True),
        optimizer="sgd",
        lr=LEARNING_RATE,
        batch_size=None,
        verbose=0,
        rng=seed,
    )
    history = trainer.fit(x, y.reshape(-1, 1).astype(np.float64), epochs=epochs)
    accuracy = float(np.mean((trainer.predict(x)[:, 0] > 0) == (y == 1)))
    return MLPRun(hidden, seed, trainer, history.history["loss"], accuracy)


def _hidden(run: MLPRun, x: np.ndarray) -> np.ndarray:
    """The hidden layer's tanh activations, shape ``(n, hidden)``."""
    dense, activation = run.layers[:2]
    return activation.forward(dense.forward(x.astype(np.float64)))


def _grid(low: float, high: float, steps: int = 201) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A square grid over [low, high]^2 as two mesh arrays and their ``(steps^2, 2)`` points."""
    axis = np.linspace(low, high, steps)
    gx, gy = np.meshgrid(axis, axis)
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()])


def _draw_points(ax: Any, x: np.ndarray, y: np.ndarray) -> None:
    for label, marker, color in ((0, "o", "tab:blue"), (1, "s", "tab:red")):
        mask = y == label
        ax.scatter(x[mask, 0], x[mask, 1], marker=marker, s=90, c=color, edgecolors="k", zorder=3, label=f"y = {label}")


def _draw_regions(ax: Any, probability: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> None:
    """Shade P(y = 1) over the plane and draw its 0.5 contour (the decision boundary)."""
    ax.contourf(gx, gy, probability.reshape(gx.shape), levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45)
    ax.contour(gx, gy, probability.reshape(gx.shape), levels=[0.5], colors="k", linewidths=1.5)


def _finish_plane(ax: Any, title: str) -> None:
    ax.set_xlim(*PLANE)
    ax.set_ylim(*PLANE)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)


def _plot_boundaries(
    lab: Lab, x: np.ndarray, y: np.ndarray, perceptron: Perceptron, solved: MLPRun, failed: MLPRun
) -> None:
    plt = pyplot()
    gx, gy, grid = _grid(*PLANE)
    fig, axes = plt.subplots(1, 3, figsize=(12.5, 4.1))
    ax = axes[0]
    _draw_regions(ax, perceptron.predict(grid).astype(float), gx, gy)
    _draw_points(ax, x, y)
    draw_line(ax, perceptron.w_, perceptron.b_, PLANE, color="k", lw=1.5)
    best = 4 - min(perceptron.history_)
    _finish_plane(ax, f"Perceptron: {4 - perceptron.history_[-1]}/4 right at the end (best {best}/4)")
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    for ax, run in zip(axes[1:], (solved, failed)):
        _draw_regions(ax, sigmoid(run.trainer.predict(grid)[:, 0]), gx, gy)
        w, b = _weights(run.layers[0])
        for j in range(run.hidden):
            label = "hidden units' lines $w_j \\cdot x + b_j = 0$" if j == 0 else None
            draw_line(ax, w[:, j], b[j], PLANE, color="0.3", ls="--", lw=1, label=label)
        _draw_points(ax, x, y)
        state = "solved" if run.solved else "stalled"
        _finish_plane(ax, f"2-{run.hidden}-1 MLP, seed {run.seed}: {state}, {round(4 * run.accuracy)}/4 right")
        ax.legend(loc="upper center", fontsize=8, handles=ax.get_legend_handles_labels()[0][:1])
    fig.suptitle("XOR: predicted class over the plane (colour: P(y = 1); black line: decision boundary)")
    lab.figure(
        fig,
        "decision-boundaries.png",
        "Decision regions on XOR: the perceptron's single line leaves a point wrong; a 2-2-1 network bends the "
        "boundary with two hidden-unit lines (dashed) when it solves XOR, and leaves two points at P = 1/2 when "
        "it stalls.",
    )


def _plot_hidden_space(lab: Lab, x: np.ndarray, y: np.ndarray, solved: MLPRun, hidden_perceptron: Perceptron) -> None:
    plt = pyplot()
    h = _hidden(solved, x)
    out_w, out_b = _weights(solved.layers[2])
    fig, ax = plt.subplots(figsize=(6, 4.2))
    limits = (-1.3, 1.3)
    _draw_points(ax, h, y)
    groups: list[tuple[np.ndarray, list[str]]] = []  # inputs that land on (nearly) the same hidden point
    for point, spot in zip(x.astype(int), h):
        group = next((g for g in groups if np.linalg.norm(g[0] - spot) < 0.2), None)
        if group is None:
            groups.append((spot, [f"({point[0]}, {point[1]})"]))
        else:
            group[1].append(f"({point[0]}, {point[1]})")
    for spot, inputs in groups:
        ax.annotate(
            "x = " + " and ".join(inputs), spot, textcoords="offset points", xytext=(0, 10), ha="center", fontsize=8
        )
    draw_line(ax, out_w[:, 0], out_b[0], limits, color="k", lw=1.5, label="output neuron's line")
    draw_line(
        ax,
        hidden_perceptron.w_,
        hidden_perceptron.b_,
        limits,
        color="tab:green",
        ls="--",
        lw=1.5,
        label=f"perceptron on h (converged in {hidden_perceptron.n_epochs_} epochs)",
    )
    ax.set_xlim(*limits)
    ax.set_ylim(*limits)
    ax.set_aspect("equal")
    ax.set_xlabel("hidden unit 1: $h_1 = \\tanh(w_1 \\cdot x + b_1)$")
    ax.set_ylabel("hidden unit 2: $h_2$")
    ax.set_title(f"2-2-1 MLP, seed {solved.seed}: XOR in the hidden layer's coordinates")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)
    lab.figure(
        fig,
        "hidden-space.png",
        "The four XOR points mapped by the solved 2-2-1 network's hidden layer: one line (the output neuron's, "
        "or a perceptron trained on these coordinates) now separates the classes (S4: another layer can classify).",
    )


def _plot_training(lab: Lab, perceptrons: list[Perceptron], gates: dict[str, Perceptron], runs: list[MLPRun]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.9))
    for i, clf in enumerate(perceptrons[:5]):
        left.plot(clf.history_, marker=".", color="tab:red", alpha=0.6, label="XOR (5 seeds)" if i == 0 else None)
    for (name, clf), color in zip(gates.items(), ("tab:blue", "tab:green")):
        left.plot(clf.history_, marker="o", color=color, label=f"{name}: converged in {clf.n_epochs_} epochs")
    left.set_xlabel("epoch (one update of w, b)")
    left.set_ylabel("misclassified points |M| (of 4)")
    left.set_ylim(-0.2, 4.2)
    left.set_title("Perceptron: |M| reaches 0 on AND and OR, never on XOR")
    left.legend(fontsize=8)
    for run in runs:
        color = "tab:green" if run.solved else "tab:red"
        right.plot(np.arange(1, len(run.losses) + 1), run.losses, color=color, alpha=0.6, lw=1)
    right.plot([], [], color="tab:green", label=f"solved ({sum(r.solved for r in runs)} seeds)")
    right.plot([], [], color="tab:red", label=f"stalled ({sum(not r.solved for r in runs)} seeds)")
    right.axhline(STALL_LOSS, color="grey", ls=":", label="ln(2)/2: two points left at P = 1/2")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("epoch (batch gradient descent, lr 1; log scale)")
    right.set_ylabel("mean cross-entropy (nats, log scale)")
    right.set_title("2-2-1 MLP on XOR, one curve per seed")
    right.legend(fontsize=8)
    lab.figure(
        fig,
        "training.png",
        "Left: misclassified points per epoch of S3's perceptron on XOR (never 0) and on AND and OR (0 after a "
        "few epochs). Right: training loss of 2-2-1 networks from different seeds: most fall towards 0, some stall.",
    )


def _plot_sweep(lab: Lab, sweep: dict[int, list[MLPRun]]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.9))
    positions = np.arange(len(HIDDEN_SIZES))
    fractions = [np.mean([r.solved for r in sweep[h]]) for h in HIDDEN_SIZES]
    left.bar(positions, fractions, color="tab:green")
    for p, h, f in zip(positions, HIDDEN_SIZES, fractions):
        left.text(p, f + 0.02, f"{sum(r.solved for r in sweep[h])}/{len(sweep[h])}", ha="center")
    left.set_xticks(positions, [f"2-{h}-1" for h in HIDDEN_SIZES])
    left.set_ylim(0, 1.12)
    left.set_xlabel("network (hidden units)")
    left.set_ylabel("fraction of seeds with 4/4 right")
    left.set_title("Share of seeds that solve XOR, by hidden-layer size")
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(sweep[HIDDEN_SIZES[0]]))
    for p, h in zip(positions, HIDDEN_SIZES):
        losses = np.array([r.losses[-1] for r in sweep[h]])
        solved = np.array([r.solved for r in sweep[h]])
        right.scatter(p + jitter[solved], losses[solved], c="tab:green", s=18, label="solved" if p == 0 else None)
        right.scatter(
            p + jitter[~solved], losses[~solved], c="tab:red", marker="x", s=24, label="not solved" if p == 0 else None
        )
    right.axhline(STALL_LOSS, color="grey", ls=":", label="ln(2)/2")
    right.set_yscale("log")
    right.set_xticks(positions, [f"2-{h}-1" for h in HIDDEN_SIZES])
    right.set_xlabel("network (hidden units)")
    right.set_ylabel("final cross-entropy (nats, log scale)")
    right.set_title("Final training loss, one point per seed")
    right.legend(fontsize=8)
    n_epochs = len(sweep[HIDDEN_SIZES[0]][0].losses)
    lab.figure(
        fig,
        "hidden-sizes.png",
        f"How small can the hidden layer be? {len(sweep[HIDDEN_SIZES[0]])} seeds per size, {n_epochs} epochs of batch "
        "gradient descent: the share of seeds that classify all four points, and each seed's final loss.",
    )


@experiment("xor", "XOR: the perceptron fails, a multi-layer perceptron succeeds", sources="S1, S4")
def run(lab: Lab) -> None:
    x, y = toy.xor()
    n_seeds, epochs = (3, 200) if lab.quick else (20, 1000)
    seeds = [lab.seed * 1000 + i for i in range(n_seeds)]

    perceptrons = [_fit_perceptron(x, y, seed) for seed in seeds]
    drawn_perceptron = min(perceptrons, key=lambda p: p.history_[-1])
    gates = {name: _fit_perceptron(x, target, seeds[0]) for name, target in GATES.items()}
    sweep = {h: [_train_mlp(x, y, h, seed, epochs) for seed in seeds] for h in HIDDEN_SIZES}
    pairs = sweep[2]
    solved = next((r for r in pairs if r.solved), pairs[0])
    failed = next((r for r in pairs if not r.solved), sweep[1][0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hidden_perceptron = Perceptron(lr=0.1, max_epochs=1000, rng=seeds[0]).fit(_hidden(solved, x), y)

    best_right = [4 - min(p.history_) for p in perceptrons]
    fractions = {h: float(np.mean([r.solved for r in sweep[h]])) for h in HIDDEN_SIZES}
    lab.record(
        seeds=seeds,
        epochs=epochs,
        learning_rate=LEARNING_RATE,
        perceptron_converged=[p.converged_ for p in perceptrons],
        perceptron_cycle_detected=[p.cycles_detected_ for p in perceptrons],
        perceptron_cycle_length=[p.cycle_length_ for p in perceptrons],
        perceptron_epochs=[p.n_epochs_ for p in perceptrons],
        perceptron_mistakes_per_epoch=[p.history_ for p in perceptrons],
        perceptron_best_points_right=best_right,
        gate_converged={name: p.converged_ for name, p in gates.items()},
        gate_epochs={name: p.n_epochs_ for name, p in gates.items()},
        mlp_fraction_solved={str(h): f for h, f in fractions.items()},
        mlp_final_loss={str(h): [r.losses[-1] for r in sweep[h]] for h in HIDDEN_SIZES},
        mlp_accuracy={str(h): [r.accuracy for r in sweep[h]] for h in HIDDEN_SIZES},
        mlp_median_final_loss={str(h): float(np.median([r.losses[-1] for r in sweep[h]])) for h in HIDDEN_SIZES},
        mlp_2_2_1_loss_curves=[r.losses for r in pairs],
        drawn_solved={"hidden": solved.hidden, "seed": solved.seed, "accuracy": solved.accuracy},
        drawn_failed={"hidden": failed.hidden, "seed": failed.seed, "accuracy": failed.accuracy},
        hidden_activations=_hidden(solved, x),
        hidden_space_perceptron_converged=hidden_perceptron.converged_,
        hidden_space_perceptron_epochs=hidden_perceptron.n_epochs_,
    )

    _plot_boundaries(lab, x, y, drawn_perceptron, solved, failed)
    _plot_hidden_space(lab, x, y, solved, hidden_perceptron)
    _plot_training(lab, perceptrons, gates, pairs)
    _plot_sweep(lab, sweep)

    stalled = [r for r in pairs if not r.solved]
    lab.claim(
        "A perceptron cannot learn XOR (it does learn AND and OR)",
        "S1",
        not any(p.converged_ for p in perceptrons)
        and max(best_right) <= 3
        and all(p.converged_ for p in gates.values()),
        f"0 of {len(perceptrons)} seeds converged on XOR in {PERCEPTRON_EPOCHS} epochs "
        f"({sum(p.cycles_detected_ for p in perceptrons)} stopped in an exact cycle), at best {max(best_right)}/4 "
        f"points right; AND and OR converged in {gates['AND'].n_epochs_} and {gates['OR'].n_epochs_} epochs",
    )
    lab.claim(
        "A 2-2-1 multi-layer perceptron can learn XOR (though not from every initialization)",
        "S1, S4",
        fractions[2] > 0,
        f"{sum(r.solved for r in pairs)} of {len(pairs)} seeds reach 4/4 after {epochs} epochs; "
        + (
            f"the other {len(stalled)} stall at loss {np.median([r.losses[-1] for r in stalled]):.3f} "
            f"(ln 2 / 2 = {STALL_LOSS:.3f}) with {round(4 * np.median([r.accuracy for r in stalled]))}/4 right"
            if stalled
            else "none stalled"
        )
        + f"; with 8 hidden units {sum(r.solved for r in sweep[8])} of {len(sweep[8])}",
    )
    lab.claim(
        "Hidden units are needed: one hidden unit cannot solve XOR, two is the smallest hidden layer that can",
        "S1",
        fractions[1] == 0 and fractions[2] > 0,
        "fraction of seeds solving XOR by hidden size: " + ", ".join(f"{h}: {fractions[h]:.2f}" for h in HIDDEN_SIZES),
    )
    lab.claim(
        "The hidden layer turns XOR into a linearly separable problem that the next layer classifies",
        "S4",
        solved.solved and hidden_perceptron.converged_,
        f"a perceptron on the hidden activations of the solved 2-{solved.hidden}-1 network (seed {solved.seed}) "
        f"converged in {hidden_perceptron.n_epochs_} epochs",
    )

"""Weight initialization: saturation on a 784-input layer, activations through depth, and symmetry (S0, S1, S3).

Three studies on standardized Fashion-MNIST (every pixel has mean 0 and variance 1):

1. **One 784 -> 100 layer** (S0, S3). With weights and bias from N(0, 1) a unit's pre-activation
   has variance 784 * 1 + 1 = 785 (standard deviation about 28), so tanh sits at +-1 for most
   inputs. Nielsen's N(0, 1/n_in) weights (S3) give variance 1 + 1 = 2, Glorot's
   N(0, 2/(n_in + n_out)) (S0) gives 784 * 2/884, about 1.8.
2. **Ten hidden layers of 256 units** (S1): the activations of every layer under zero, constant,
   N(0, 0.01^2), N(0, 1), S3's "glorot" U(+-1/sqrt(n_in)), LeCun N(0, 1/n_in), Glorot (tanh)
   and He (ReLU) initialization.
3. **Symmetry** (S1): a 784-16-10 tanh network trained from zero, constant and random weights.
   From a constant start every hidden unit gets the same gradient, so the hidden units stay
   exactly identical (this study runs in float64, whose matrix products treat every column
   alike; float32 kernels can differ in the last bit between columns).

The decks' names are mixed up (SPEC §3); the claims use :mod:`mlplab.initializers`' names:
``lecun_normal`` is N(0, 1/n_in) (what S1 calls "Xavier"), ``glorot_normal`` has variance
2/(n_in + n_out) (S0's Glorot), ``uniform_fan_in`` is U(+-1/sqrt(n_in)) (what S3 calls "glorot",
variance 1/(3 n_in)), and ``he_normal`` has variance 2/n_in (S3's N(0, sqrt(2/n_in)) gives the
standard deviation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...initializers import get_initializer
from ...layers import Dense
from ...model import MLP
from ...training import Trainer
from ..base import Lab, experiment
from ..data import ImageData, fashion
from ..plots import pyplot

N_IN, N_WIDE = 784, 100
DEPTH, WIDTH = 10, 256
SATURATED = 0.99
SYMMETRY_HIDDEN = 16
SMALL_CONSTANT = 0.01


@dataclass(frozen=True)
class Scheme:
    """An initializer of the deep-network study: its label, registry name (with its defaults) and activation."""

    label: str
    init: str
    activation: str


DEEP_SCHEMES = (
    Scheme("zeros", "zeros", "tanh"),
    Scheme("constant 0.5", "constant", "tanh"),
    Scheme("N(0, 0.01²)", "normal", "tanh"),
    Scheme("N(0, 1)", "standard_normal", "tanh"),
    Scheme("U(±1/√n_in) (S3's \"glorot\")", "uniform_fan_in", "tanh"),
    Scheme("LeCun N(0, 1/n_in) (S1's \"Xavier\")", "lecun_normal", "tanh"),
    Scheme("Glorot N(0, 2/(n_in+n_out))", "glorot_normal", "tanh"),
    Scheme("He N(0, 2/n_in), ReLU", "he_normal", "relu"),
)


@dataclass(frozen=True)
class WideLayer:
    """Independent draws of one 784 -> 100 layer: pre-activations ``z`` of shape (draws, n, 100)."""

    label: str
    z: np.ndarray
    predicted_variance: float

    @property
    def variances(self) -> np.ndarray:
        """The variance of z over all samples and units, one value per draw of the weights."""
        return self.z.astype(np.float64).var(axis=(1, 2))

    @property
    def variance(self) -> float:
        """The mean over draws: the expectation that the deck's formula predicts."""
        return float(self.variances.mean())

    @property
    def saturated(self) -> float:
        return float(np.mean(np.abs(np.tanh(self.z)) > SATURATED))


def _wide_layer(x: np.ndarray, init: str, bias_std: float, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Pre-activations of ``draws`` fresh Dense(784, 100) layers whose biases are drawn from N(0, bias_std²)."""
    outputs = []
    for _ in range(draws):
        layer = Dense(N_IN, N_WIDE, init=init, rng=rng)
        layer.b.value[...] = rng.standard_normal(N_WIDE) * bias_std
        outputs.append(layer.forward(x))
    return np.stack(outputs)


def _wide_layer_study(x: np.ndarray, draws: int, rng: np.random.Generator) -> list[WideLayer]:
    """S0's N(0, 1) layer, Nielsen's N(0, 1/n_in) layer (both with N(0, 1) biases) and Glorot's (zero biases).

    One draw of 100 units estimates the variance to about ±4% (neighbouring pixels are strongly
    correlated, so the units' variances differ); the mean over ``draws`` draws is the expectation.
    """
    second_moment = float(np.mean(x.astype(np.float64) ** 2, axis=0).sum())  # 784 for standardized pixels
    return [
        WideLayer("N(0, 1) weights and biases (S0)", _wide_layer(x, "standard_normal", 1.0, draws, rng), N_IN + 1.0),
        WideLayer("Nielsen N(0, 1/n_in), N(0, 1) biases (S3)", _wide_layer(x, "nielsen", 1.0, draws, rng),
                  1.0 + second_moment / N_IN),
        WideLayer("Glorot N(0, 2/(n_in+n_out)), zero biases (S0)", _wide_layer(x, "glorot_normal", 0.0, draws, rng),
                  second_moment * 2.0 / (N_IN + N_WIDE)),
    ]


def _deep_activations(x: np.ndarray, scheme: Scheme, rng: np.random.Generator) -> list[np.ndarray]:
    """The output of every hidden activation of a fresh 10 x 256 network (inference mode)."""
    model = MLP([N_IN] + [WIDTH] * DEPTH + [10], activation=scheme.activation, init=scheme.init, rng=rng)
    outputs = []
    for layer in model.layers[:-1]:
        x = layer.forward(x)
        if not isinstance(layer, Dense):
            outputs.append(x)
    return outputs


def _per_layer_factor(stds: np.ndarray) -> float:
    """Geometric mean of std(layer l+1) / std(layer l): 1 keeps the scale, < 1 shrinks it every layer."""
    if stds[0] == 0 or stds[-1] == 0:
        return 0.0
    return float((stds[-1] / stds[0]) ** (1.0 / (len(stds) - 1)))


@dataclass(frozen=True)
class SymmetryRun:
    """A 784-16-10 network trained from one initializer: hidden weights before and after, and its history."""

    initial: np.ndarray
    final: np.ndarray
    history: dict[str, list[float]]

    @property
    def spread(self) -> float:
        """Largest difference between two hidden units' incoming weight vectors (0: every unit is the same)."""
        return float(np.abs(self.final - self.final[:, :1]).max())

    @property
    def distinct_units(self) -> int:
        """How many different incoming weight vectors the hidden layer holds."""
        return len(np.unique(self.final.T, axis=0))


def _train_from(data: ImageData, init: Any, epochs: int, lab: Lab) -> SymmetryRun:
    """Train a 784-16-10 tanh network (float64) from ``init`` with plain mini-batch SGD."""
    model = MLP([N_IN, SYMMETRY_HIDDEN, 10], activation="tanh", init=init, rng=lab.rng, dtype=np.float64)
    initial = model.layers[0].W.value.copy()
    trainer = Trainer(model, loss="softmax_cross_entropy", optimizer="sgd", lr=0.05, batch_size=64, verbose=0,
                      rng=lab.seed)
    history = trainer.fit(data.x_train, data.y_train, epochs=epochs, validation_data=(data.x_test, data.y_test))
    return SymmetryRun(initial, model.layers[0].W.value.copy(), history.history)


# ---------------------------------------------------------------------------------------------- figures


def _log_y(ax: Any) -> None:
    """A log-scaled y axis without minor ticks (the values span decades; minor ticks only cost drawing time)."""
    from matplotlib.ticker import NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())



def _plot_wide_layer(lab: Lab, layers: list[WideLayer]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(2, len(layers), figsize=(11, 5.5))
    for column, layer in zip(axes.T, layers):
        top, bottom = column
        spread = 4 * np.sqrt(layer.predicted_variance)
        grid = np.linspace(-spread, spread, 200)
        density = np.exp(-grid**2 / (2 * layer.predicted_variance)) / np.sqrt(2 * np.pi * layer.predicted_variance)
        counts, edges = np.histogram(layer.z, bins=80, range=(-spread, spread), density=True)
        top.stairs(counts, edges, fill=True, alpha=0.6, label="measured")
        top.plot(grid, density, color="k", lw=1.2, label=f"N(0, {layer.predicted_variance:.3g}) predicted")
        top.set_title(f"{layer.label}\nvariance {layer.variance:.3g}, std {np.sqrt(layer.variance):.3g}", fontsize=8.5)
        top.set_xlabel("pre-activation z = x·W + b")
        top.set_ylabel("density (1/unit of z)")
        top.set_ylim(0, 1.3 * max(counts.max(), density.max()))
        top.legend(fontsize=7.5, loc="upper right")
        counts, edges = np.histogram(np.tanh(layer.z), bins=60, range=(-1, 1))
        bottom.stairs(counts / layer.z.size, edges, fill=True)
        _log_y(bottom)
        bottom.set_ylim(1e-4, 1)
        bottom.set_xlabel("tanh(z)")
        bottom.set_ylabel("fraction of outputs per bin")
        bottom.set_title(f"{100 * layer.saturated:.1f}% with |tanh(z)| > {SATURATED}", fontsize=8.5)
    fig.suptitle("One 784 → 100 layer on standardized Fashion-MNIST: N(0, 1) weights give variance ≈ 785 "
                 "and saturate tanh", fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.99, top=0.86, bottom=0.09, hspace=0.55, wspace=0.28)
    lab.figure(fig, "wide-layer-saturation.png",
               "Pre-activations (top, with the predicted normal density) and tanh outputs (bottom, log scale) of a "
               "784 → 100 layer for three initializers.")


def _plot_depth_summary(lab: Lab, stds: dict[str, np.ndarray], saturation: dict[str, np.ndarray]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    layers = np.arange(1, DEPTH + 1)
    markers = "os^vDPX*"
    for (label, std), marker in zip(stds.items(), markers):
        if np.all(std == 0):
            left.plot([], [], marker=marker, label=f"{label}: std 0 at every layer (off the log scale)")
        else:
            left.plot(layers, np.where(std > 0, std, np.nan), marker=marker, label=label)
    _log_y(left)
    left.set_xlabel("hidden layer (1 = next to the input)")
    left.set_ylabel("standard deviation of the activations")
    left.set_title("Activation scale through 10 layers of 256 units")
    left.set_xticks(layers)
    left.legend(fontsize=7, loc="lower left")
    for (label, fraction), marker in zip(saturation.items(), markers):
        right.plot(layers, 100 * fraction, marker=marker, label=label)
    right.set_xlabel("hidden layer (1 = next to the input)")
    right.set_ylabel(f"% of tanh outputs with |a| > {SATURATED}")
    right.set_title("Saturated tanh units per layer")
    right.set_xticks(layers)
    right.set_ylim(-3, 103)
    right.legend(fontsize=7, loc="center right")
    fig.subplots_adjust(left=0.07, right=0.99, top=0.92, bottom=0.12, wspace=0.22)
    lab.figure(fig, "activation-scale-by-layer.png",
               "Left: standard deviation of each hidden layer's activations (log scale) for every initializer; "
               "right: the share of saturated tanh outputs per layer (same markers).")


def _plot_histogram_grid(lab: Lab, activations: dict[Scheme, list[np.ndarray]]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(11, 5.6), sharey=True)
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, DEPTH))
    for ax, (scheme, outputs) in zip(axes.ravel(), activations.items()):
        bounds = (-1.0, 1.0) if scheme.activation == "tanh" else (0.0, 4.0)
        for depth, (values, color) in enumerate(zip(outputs, colors), start=1):
            counts, edges = np.histogram(np.clip(values, *bounds), bins=50, range=bounds)
            ax.plot(edges, np.append(counts, counts[-1]) / values.size, drawstyle="steps-post", color=color, lw=1,
                    label=f"layer {depth}")
        _log_y(ax)
        ax.set_ylim(1e-4, 1.5)
        ax.set_title(scheme.label, fontsize=8)
        ax.set_xlabel(f"{scheme.activation} output")
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction per bin (log)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, title="depth")
    fig.suptitle("Histograms of every hidden layer's activations (10 × 256 network, one batch of Fashion-MNIST)",
                 fontsize=10)
    fig.subplots_adjust(left=0.07, right=0.9, top=0.9, bottom=0.09, hspace=0.4, wspace=0.08)
    lab.figure(fig, "activation-histograms.png",
               "Per-layer activation histograms (lighter = deeper; ReLU values above 4 are counted in the last bin) "
               "for each initializer.")


def _plot_symmetry(lab: Lab, runs: dict[str, SymmetryRun]) -> None:
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    units_shown = 6
    fig = plt.figure(figsize=(11, 4.2))
    grid = fig.add_gridspec(len(runs), 2 + units_shown, width_ratios=[3.2, 0.5] + [1] * units_shown)
    curves = fig.add_subplot(grid[:, 0])
    for row, (label, run) in enumerate(runs.items()):
        epochs = np.arange(1, len(run.history["val_accuracy"]) + 1)
        curves.plot(epochs, 100 * np.array(run.history["val_accuracy"]), marker="o", label=label)
        change = run.final - run.initial
        scale = max(float(np.abs(change[:, :units_shown]).max()), 1e-12)
        for unit in range(units_shown):
            ax = fig.add_subplot(grid[row, 2 + unit])
            ax.imshow(change[:, unit].reshape(28, 28), cmap="coolwarm", vmin=-scale, vmax=scale)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax.spines[:].set_visible(False)
            if unit == 0:
                ax.set_ylabel(label.split(" (")[0], fontsize=7.5)
            if row == 0:
                ax.set_title(f"unit {unit + 1}", fontsize=8)
        ax.text(1.12, 0.5, f"largest\ndifference\n{run.spread:.2g}\n\n{run.distinct_units} distinct\nunits",
                transform=ax.transAxes, fontsize=7, va="center")
    curves.axhline(10, color="grey", ls=":", label="chance (10%)")
    curves.xaxis.set_major_locator(MaxNLocator(integer=True))
    curves.set_xlabel("epoch")
    curves.set_ylabel("test accuracy (%)")
    curves.set_ylim(0, 100)
    curves.set_title("784-16-10 tanh net, mini-batch SGD")
    curves.legend(fontsize=7.5)
    fig.suptitle("Constant initialization never breaks symmetry: every hidden unit learns the same weights\n"
                 "(right: what training added to each hidden unit's 784 incoming weights, as 28×28 images)",
                 fontsize=9.5)
    fig.subplots_adjust(left=0.06, right=0.91, top=0.82, bottom=0.12, wspace=0.08)
    lab.figure(fig, "symmetry.png",
               "Test accuracy per epoch from zero, constant and random (Glorot) weights, and the change of the first "
               "six hidden units' incoming weights during training (one colour scale per row; blue negative, red "
               "positive). The largest difference is between the units' final weight vectors.")


# ---------------------------------------------------------------------------------------------- experiment


@experiment("init", "Weight initialization: saturation, scale through depth, symmetry", sources="S0, S1, S3")
def run(lab: Lab) -> None:
    n_wide, draws, n_deep = (200, 5, 200) if lab.quick else (2000, 10, 1000)
    n_train, n_test, epochs = (300, 200, 2) if lab.quick else (5000, 2000, 10)
    data = fashion(max(n_wide, n_train), n_test, standardize=True, seed=lab.seed)

    wide = _wide_layer_study(data.x_train[:n_wide], draws, lab.rng)
    lab.record(
        wide_layer={w.label: {"variance": w.variance, "variance_per_draw": w.variances,
                              "predicted_variance": w.predicted_variance, "saturated_fraction": w.saturated}
                    for w in wide},
        input_second_moment_sum=float(np.mean(data.x_train[:n_wide].astype(np.float64) ** 2, axis=0).sum()),
    )
    _plot_wide_layer(lab, wide)

    x_deep = data.x_train[:n_deep]
    activations = {scheme: _deep_activations(x_deep, scheme, lab.rng) for scheme in DEEP_SCHEMES}
    stds = {s.label: np.array([a.std() for a in outs]) for s, outs in activations.items()}
    saturation = {s.label: np.array([np.mean(np.abs(a) > SATURATED) for a in outs])
                  for s, outs in activations.items() if s.activation == "tanh"}
    factors = {label: _per_layer_factor(std) for label, std in stds.items()}
    lab.record(deep_activation_std=stds, deep_saturated_fraction=saturation, deep_per_layer_factor=factors)
    _plot_depth_summary(lab, stds, saturation)
    _plot_histogram_grid(lab, activations)

    runs = {
        "zeros": _train_from(data, "zeros", epochs, lab),
        f"constant {SMALL_CONSTANT}": _train_from(data, get_initializer("constant", value=SMALL_CONSTANT), epochs, lab),
        "random (Glorot normal)": _train_from(data, "glorot_normal", epochs, lab),
    }
    spread = {label: run.spread for label, run in runs.items()}
    distinct = {label: run.distinct_units for label, run in runs.items()}
    accuracy = {label: run.history["val_accuracy"][-1] for label, run in runs.items()}
    lab.record(
        symmetry_hidden_unit_max_difference=spread,
        symmetry_distinct_hidden_units=distinct,
        symmetry_test_accuracy=accuracy,
        symmetry_curves={label: {k: run.history[k] for k in ("loss", "val_loss", "val_accuracy")}
                         for label, run in runs.items()},
    )
    _plot_symmetry(lab, runs)

    _state_claims(lab, wide, stds, saturation, factors, spread, distinct, accuracy)


def _state_claims(
    lab: Lab,
    wide: list[WideLayer],
    stds: dict[str, np.ndarray],
    saturation: dict[str, np.ndarray],
    factors: dict[str, float],
    spread: dict[str, float],
    distinct: dict[str, int],
    accuracy: dict[str, float],
) -> None:
    standard, nielsen, glorot = wide
    lab.claim(
        "With weights and bias from N(0, 1), a unit fed 784 inputs of variance 1 has pre-activation variance "
        "784 + 1 = 785 (standard deviation about 28)",
        "S0",
        abs(standard.variance / 785 - 1) < 0.1,
        f"measured variance {standard.variance:.1f} (std {np.sqrt(standard.variance):.1f}), mean of "
        f"{len(standard.variances)} draws of the layer ({standard.variances.min():.0f} to "
        f"{standard.variances.max():.0f}); predicted 785",
    )
    lab.claim(
        "Such pre-activations saturate tanh: most outputs sit at -1 or +1",
        "S0",
        standard.saturated > 0.8 and glorot.saturated < 0.1,
        f"{100 * standard.saturated:.1f}% of tanh outputs have |tanh| > {SATURATED} with N(0, 1) weights, "
        f"{100 * glorot.saturated:.1f}% with Glorot weights",
    )
    lab.claim(
        "Nielsen's weights N(0, 1/n_in) with N(0, 1) biases give z ~ N(0, 1 + sum(x²)/n_in), variance about 2",
        "S3",
        abs(nielsen.variance / nielsen.predicted_variance - 1) < 0.15 and nielsen.saturated < 0.1,
        f"measured variance {nielsen.variance:.2f}, predicted {nielsen.predicted_variance:.2f}; "
        f"{100 * nielsen.saturated:.1f}% saturated",
    )
    lab.claim(
        "Glorot initialization, variance 2/(n_in + n_out), keeps the pre-activation variance near 1 "
        "(784 · 2/884 ≈ 1.8 here)",
        "S0",
        abs(glorot.variance / glorot.predicted_variance - 1) < 0.15,
        f"measured variance {glorot.variance:.2f}, predicted {glorot.predicted_variance:.2f}",
    )
    small, large = "N(0, 0.01²)", "N(0, 1)"
    lab.claim(
        "Too small a σ makes the activations vanish with depth: N(0, 0.01²) in a 10 × 256 tanh network",
        "S1",
        factors[small] < 0.5 and stds[small][-1] < 1e-3 * stds[small][0],
        f"activation std {stds[small][0]:.3g} at layer 1, {stds[small][-1]:.3g} at layer {DEPTH} "
        f"(× {factors[small]:.2f} per layer)",
    )
    lab.claim(
        "Too large a σ saturates the units: N(0, 1) in a 10 × 256 tanh network",
        "S1",
        saturation[large].min() > 0.5,
        f"{100 * saturation[large].min():.0f}-{100 * saturation[large].max():.0f}% of each layer's tanh outputs "
        f"have |a| > {SATURATED}",
    )
    lecun = next(s.label for s in DEEP_SCHEMES if s.init == "lecun_normal")
    glorot_label = next(s.label for s in DEEP_SCHEMES if s.init == "glorot_normal")
    keeps = {label: 0.8 < factors[label] < 1.25 and saturation[label].max() < 0.1 for label in (lecun, glorot_label)}
    lab.claim(
        "S1's \"Xavier\" — correctly named LeCun normal, N(0, 1/n_in) — and Glorot normal, N(0, 2/(n_in + n_out)), "
        "keep tanh activations unsaturated and their scale within ±20% per layer (for 256 → 256 layers the two "
        "are the same distribution)",
        "S1, S0",
        all(keeps.values()),
        f"std per layer × {factors[lecun]:.2f} (LeCun), × {factors[glorot_label]:.2f} (Glorot); "
        f"at most {100 * max(saturation[lecun].max(), saturation[glorot_label].max()):.1f}% saturated; "
        f"vs × {factors[small]:.2f} for N(0, 0.01²)",
    )
    s3_glorot = next(s.label for s in DEEP_SCHEMES if s.init == "uniform_fan_in")
    lab.claim(
        "What S3 calls \"glorot\", U(±1/√n_in), has variance 1/(3 n_in), a third of LeCun's, so deep tanh "
        "activations shrink by about 1/√3 per layer: it is not Glorot's formula",
        "S3",
        factors[s3_glorot] < 0.75 < factors[lecun],
        f"std per layer × {factors[s3_glorot]:.2f} for U(±1/√n_in) vs × {factors[lecun]:.2f} for N(0, 1/n_in)",
    )
    he = next(s.label for s in DEEP_SCHEMES if s.init == "he_normal")
    lab.claim(
        "He initialization, N(0, 2/n_in) (variance 2/n_in; S3's √(2/n_in) is its standard deviation), keeps the "
        "scale of ReLU activations constant through depth",
        "S1, S3",
        0.9 < factors[he] < 1.1,
        f"ReLU activation std {stds[he][0]:.3f} at layer 1, {stds[he][-1]:.3f} at layer {DEPTH} "
        f"(× {factors[he]:.3f} per layer)",
    )
    zeros, constant, random = spread
    lab.claim(
        "Zero initialization fails to break symmetry: after training every hidden unit still has the same weights",
        "S1",
        spread[zeros] == 0.0 and distinct[zeros] == 1,
        f"largest difference between two hidden units' weight vectors {spread[zeros]:.3g}; "
        f"{distinct[zeros]} distinct unit(s) of {SYMMETRY_HIDDEN}; test accuracy {100 * accuracy[zeros]:.1f}%",
    )
    lab.claim(
        "Any constant initialization fails the same way: the hidden units learn, but all alike",
        "S1",
        spread[constant] == 0.0 and distinct[constant] == 1,
        f"constant {SMALL_CONSTANT}: largest difference {spread[constant]:.3g}, {distinct[constant]} distinct "
        f"unit(s); test accuracy {100 * accuracy[constant]:.1f}%",
    )
    lab.claim(
        "Random initialization breaks the symmetry and learns better",
        "S1",
        distinct[random] == SYMMETRY_HIDDEN and accuracy[random] > max(accuracy[zeros], accuracy[constant]) + 0.1,
        f"{distinct[random]} distinct units (largest difference {spread[random]:.2f}); test accuracy "
        f"{100 * accuracy[random]:.1f}% vs {100 * accuracy[zeros]:.1f}% (zeros) and "
        f"{100 * accuracy[constant]:.1f}% (constant)",
    )

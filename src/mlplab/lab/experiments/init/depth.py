"""Study 2 of the ``init`` experiment: activations through ten hidden layers of 256 units (S1, S3).

The activations of every layer of a fresh network under zero, constant, N(0, 0.01^2), N(0, 1), S3's
"glorot" U(+-1/sqrt(n_in)), LeCun, Glorot (tanh) and He (ReLU) initialization; the two figures and
the claims on vanishing, saturating and well-scaled activations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....layers import Dense
from ....model import MLP
from ....plotting import pyplot
from ...base import Lab
from ...plots import log_y
from .wide import N_IN, SATURATED

DEPTH, WIDTH = 10, 256


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
    Scheme('U(±1/√n_in) (S3\'s "glorot")', "uniform_fan_in", "tanh"),
    Scheme('LeCun N(0, 1/n_in) (S1\'s "Xavier")', "lecun_normal", "tanh"),
    Scheme("Glorot N(0, 2/(n_in+n_out))", "glorot_normal", "tanh"),
    Scheme("He N(0, 2/n_in), ReLU", "he_normal", "relu"),
)


def deep_activations(x: np.ndarray, scheme: Scheme, rng: np.random.Generator) -> list[np.ndarray]:
    """The output of every hidden activation of a fresh 10 x 256 network (inference mode)."""
    model = MLP([N_IN] + [WIDTH] * DEPTH + [10], activation=scheme.activation, init=scheme.init, rng=rng)
    outputs = []
    for layer in model.layers[:-1]:
        x = layer.forward(x)
        if not isinstance(layer, Dense):
            outputs.append(x)
    return outputs


def per_layer_factor(stds: np.ndarray) -> float:
    """Geometric mean of std(layer l+1) / std(layer l): 1 keeps the scale, < 1 shrinks it every layer."""
    if stds[0] == 0 or stds[-1] == 0:
        return 0.0
    return float((stds[-1] / stds[0]) ** (1.0 / (len(stds) - 1)))


def plot_depth_summary(lab: Lab, stds: dict[str, np.ndarray], saturation: dict[str, np.ndarray]) -> None:
    """``activation-scale-by-layer.png``: each layer's activation std and share of saturated tanh outputs."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    layers = np.arange(1, DEPTH + 1)
    markers = "os^vDPX*"
    for (label, std), marker in zip(stds.items(), markers):
        if np.all(std == 0):
            left.plot([], [], marker=marker, label=f"{label}: std 0 at every layer (off the log scale)")
        else:
            left.plot(layers, np.where(std > 0, std, np.nan), marker=marker, label=label)
    log_y(left)
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
    lab.figure(
        fig,
        "activation-scale-by-layer.png",
        "Left: standard deviation of each hidden layer's activations (log scale) for every initializer; "
        "right: the share of saturated tanh outputs per layer (same markers).",
    )


def plot_histogram_grid(lab: Lab, activations: dict[Scheme, list[np.ndarray]]) -> None:
    """``activation-histograms.png``: one panel per initializer, one histogram per hidden layer."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(11, 5.6), sharey=True)
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, DEPTH))
    for ax, (scheme, outputs) in zip(axes.ravel(), activations.items()):
        bounds = (-1.0, 1.0) if scheme.activation == "tanh" else (0.0, 4.0)
        for depth, (values, color) in enumerate(zip(outputs, colors), start=1):
            counts, edges = np.histogram(np.clip(values, *bounds), bins=50, range=bounds)
            ax.plot(
                edges,
                np.append(counts, counts[-1]) / values.size,
                drawstyle="steps-post",
                color=color,
                lw=1,
                label=f"layer {depth}",
            )
        log_y(ax)
        ax.set_ylim(1e-4, 1.5)
        ax.set_title(scheme.label, fontsize=8)
        ax.set_xlabel(f"{scheme.activation} output")
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction per bin (log)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, title="depth")
    fig.suptitle(
        "Histograms of every hidden layer's activations (10 × 256 network, one batch of Fashion-MNIST)", fontsize=10
    )
    fig.subplots_adjust(left=0.07, right=0.9, top=0.9, bottom=0.09, hspace=0.4, wspace=0.08)
    lab.figure(
        fig,
        "activation-histograms.png",
        "Per-layer activation histograms (lighter = deeper; ReLU values above 4 are counted in the last bin) "
        "for each initializer.",
    )


def depth_claims(
    lab: Lab, stds: dict[str, np.ndarray], saturation: dict[str, np.ndarray], factors: dict[str, float]
) -> None:
    """The claims on the activation scale through depth, by initializer (S0, S1, S3)."""
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
        'S1\'s "Xavier" — correctly named LeCun normal, N(0, 1/n_in) — and Glorot normal, N(0, 2/(n_in + n_out)), '
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
        'What S3 calls "glorot", U(±1/√n_in), has variance 1/(3 n_in), a third of LeCun\'s, so deep tanh '
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

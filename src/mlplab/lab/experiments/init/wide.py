"""Study 1 of the ``init`` experiment: one 784 -> 100 layer and S0's pre-activation variance of 785.

With weights and bias from N(0, 1) a unit's pre-activation has variance 784 * 1 + 1 = 785, so tanh
saturates; Nielsen's N(0, 1/n_in) (with N(0, 1) biases) and Glorot's N(0, 2/(n_in + n_out)) keep it
near 2. The layer draws, the figure and the claims.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....layers import Dense
from ....plotting import pyplot
from ...base import Lab
from ...plots import log_y

N_IN, N_WIDE = 784, 100  # N_IN: Fashion-MNIST's pixels, the input size of every study
SATURATED = 0.99  # |tanh| above this counts as saturated (also in the depth study)


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
        assert layer.b is not None  # Dense has a bias unless built with bias=False
        layer.b.value[...] = rng.standard_normal(N_WIDE) * bias_std
        outputs.append(layer.forward(x))
    return np.stack(outputs)


def wide_layer_study(x: np.ndarray, draws: int, rng: np.random.Generator) -> list[WideLayer]:
    """S0's N(0, 1) layer, Nielsen's N(0, 1/n_in) layer (both with N(0, 1) biases) and Glorot's (zero biases).

    One draw of 100 units estimates the variance to about ±4% (neighbouring pixels are strongly
    correlated, so the units' variances differ); the mean over ``draws`` draws is the expectation.
    """
    second_moment = float(np.mean(x.astype(np.float64) ** 2, axis=0).sum())  # 784 for standardized pixels
    return [
        WideLayer("N(0, 1) weights and biases (S0)", _wide_layer(x, "standard_normal", 1.0, draws, rng), N_IN + 1.0),
        WideLayer(
            "Nielsen N(0, 1/n_in), N(0, 1) biases (S3)",
            _wide_layer(x, "nielsen", 1.0, draws, rng),
            1.0 + second_moment / N_IN,
        ),
        WideLayer(
            "Glorot N(0, 2/(n_in+n_out)), zero biases (S0)",
            _wide_layer(x, "glorot_normal", 0.0, draws, rng),
            second_moment * 2.0 / (N_IN + N_WIDE),
        ),
    ]


def plot_wide_layer(lab: Lab, layers: list[WideLayer]) -> None:
    """``wide-layer-saturation.png``: the pre-activations against the predicted density, and the tanh outputs."""
    plt = pyplot()
    fig, axes = plt.subplots(2, len(layers), figsize=(11, 5.5))
    for column, layer in zip(axes.T, layers):
        top, bottom = column
        spread = 4 * np.sqrt(layer.predicted_variance)
        grid = np.linspace(-spread, spread, 200)
        density = np.exp(-(grid**2) / (2 * layer.predicted_variance)) / np.sqrt(2 * np.pi * layer.predicted_variance)
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
        log_y(bottom)
        bottom.set_ylim(1e-4, 1)
        bottom.set_xlabel("tanh(z)")
        bottom.set_ylabel("fraction of outputs per bin")
        bottom.set_title(f"{100 * layer.saturated:.1f}% with |tanh(z)| > {SATURATED}", fontsize=8.5)
    fig.suptitle(
        "One 784 → 100 layer on standardized Fashion-MNIST: N(0, 1) weights give variance ≈ 785 and saturate tanh",
        fontsize=10,
    )
    fig.subplots_adjust(left=0.06, right=0.99, top=0.86, bottom=0.09, hspace=0.55, wspace=0.28)
    lab.figure(
        fig,
        "wide-layer-saturation.png",
        "Pre-activations (top, with the predicted normal density) and tanh outputs (bottom, log scale) of a "
        "784 → 100 layer for three initializers.",
    )


def wide_layer_claims(lab: Lab, wide: list[WideLayer]) -> None:
    """S0's and S3's claims on the wide layer: variance 785 and saturation, Nielsen's and Glorot's variances."""
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

"""Universal approximation and depth: one wide hidden layer fits any continuous function; linear layers do not (S1, S3).

S3: "every continuous function can be implemented with 1 hidden layer (containing
enough hidden units) and proper nonlinear activation functions". S1: two-layer
networks are universal approximators, but "more layers of linear units do not
help. It's still linear."

Two measurements on 1-D functions (200 evenly spaced training points, test MSE
on a grid of 2001 points over the same interval):

1. Networks ``[1, width, 1]`` with tanh or ReLU hidden units, widths 1 to 64,
   trained with Adam (learning rate decaying exponentially) on sin x over
   [-π, π], |x| over [-1, 1] and a smoothed step (cubic smoothstep rising over
   [-0.2, 0.2]); the best of a few restarts (chosen by training loss) is kept.
   The test error falls by orders of magnitude as the width grows.
2. A 5-layer network with identity activations, trained on sin x: the product
   of its weight matrices (with the biases carried through) is the whole
   network, to rounding error, and it fits no better than least-squares linear
   regression; the same 5 layers with tanh fit sin x closely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ...layers import Dense
from ...losses import MSE
from ...model import MLP
from ...plotting import pyplot
from ...schedules import ExponentialDecay
from ...training import Trainer
from ..base import Lab, experiment

LR, FINAL_LR = 0.03, 3e-5
BATCH = 50
N_TRAIN, N_TEST = 200, 2001
HIDDEN_ACTIVATIONS = ("tanh", "relu")
ACTIVATION_NAMES = {"tanh": "tanh", "relu": "ReLU"}
DEEP_SIZES = [1, 16, 16, 16, 16, 1]
"""Five Dense layers."""


def smoothstep(x: np.ndarray, half_width: float = 0.2) -> np.ndarray:
    """Cubic smoothstep: 0 left of ``-half_width``, 1 right of it, ``3t² − 2t³`` in between (C¹, not a sigmoid)."""
    t = np.clip((x + half_width) / (2 * half_width), 0, 1)
    return t * t * (3 - 2 * t)


@dataclass(frozen=True)
class Target:
    """A continuous function on ``[-half_range, half_range]`` with its training points and test grid."""

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    half_range: float

    def points(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        x = np.linspace(-self.half_range, self.half_range, n, dtype=np.float32)[:, None]
        return x, self.function(x).astype(np.float32)


TARGETS = (
    Target("sin x", np.sin, np.pi),
    Target("|x|", np.abs, 1.0),
    Target("smoothed step", smoothstep, 1.0),
)


@dataclass
class Fit:
    """A trained network's training and test MSE and its predictions on the test grid."""

    train_mse: float
    test_mse: float
    prediction: np.ndarray


def train(model: MLP, target: Target, epochs: int, rng: np.random.Generator) -> Fit:
    """Fit ``model`` to ``target`` with Adam and an exponentially decaying learning rate."""
    x, y = target.points(N_TRAIN)
    x_test, y_test = target.points(N_TEST)
    trainer = Trainer(
        model,
        loss=MSE(),
        optimizer="adam",
        lr=LR,
        batch_size=BATCH,
        verbose=0,
        rng=rng,
        schedule=ExponentialDecay(LR, FINAL_LR, epochs),
    )
    trainer.fit(x, y, epochs=epochs)
    prediction = trainer.predict(x_test)
    return Fit(trainer.evaluate(x, y)["loss"], float(np.mean((prediction - y_test) ** 2)), prediction[:, 0])


def best_fit(
    sizes: list[int], activation: str, target: Target, epochs: int, restarts: int, rng: np.random.Generator
) -> Fit:
    """The restart with the lowest training loss (the test grid plays no part in the choice)."""
    fits = [train(MLP(sizes, activation=activation, rng=rng), target, epochs, rng) for _ in range(restarts)]
    return min(fits, key=lambda fit: fit.train_mse)


def end_to_end(model: MLP) -> tuple[np.ndarray, np.ndarray]:
    """Collapse a stack of Dense layers into one affine map ``x A + c``: ``A = W1 W2 … WL`` and the biases carried
    through, ``c = (…(b1 W2 + b2) W3 + …) WL + bL``."""
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    first = dense[0]
    assert first.b is not None  # the networks here have biases (MLP's default)
    product = first.W.value.astype(np.float64)
    offset = first.b.value.astype(np.float64)
    for layer in dense[1:]:
        assert layer.b is not None
        product = product @ layer.W.value
        offset = offset @ layer.W.value + layer.b.value
    return product, offset


def plot_errors(lab: Lab, widths: tuple[int, ...], errors: dict[str, dict[str, list[float]]]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, activation in zip(axes, HIDDEN_ACTIVATIONS):
        for target in TARGETS:
            ax.plot(widths, errors[activation][target.name], marker="o", label=target.name)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(widths, [str(w) for w in widths])
        ax.set_xlabel("hidden units (log scale)")
        ax.set_title(f"one {ACTIVATION_NAMES[activation]} hidden layer")
        ax.legend()
    axes[0].set_ylabel("test MSE on 2001 grid points (log scale)")
    fig.suptitle("Wider hidden layer, smaller error: the universal approximation theorem at work", fontsize=10)
    lab.figure(
        fig,
        "error-vs-width.png",
        "Test mean squared error of [1, width, 1] networks against the width, for three continuous functions "
        "and two hidden activations (best of the restarts by training loss). Two ReLU units represent |x| "
        "exactly (below 1e-6 is float32 rounding); tanh units must grow steep to bend at the kink, and Adam "
        "is slow to find such weights, so tanh's |x| curve levels off: the theorem says the weights exist, "
        "not that training finds them.",
    )


def plot_fits(lab: Lab, shown: tuple[int, ...], predictions: dict[str, dict[str, dict[int, np.ndarray]]]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(11, 5.5))
    colors = ("tab:red", "tab:orange", "tab:green", "tab:blue")
    for row, activation in zip(axes, HIDDEN_ACTIVATIONS):
        for ax, target in zip(row, TARGETS):
            x, y = target.points(N_TEST)
            ax.plot(x[:, 0], y[:, 0], color="black", lw=3, alpha=0.35, label="target")
            for width, color in zip(shown, colors):
                ax.plot(
                    x[:, 0],
                    predictions[activation][target.name][width],
                    color=color,
                    lw=1.2,
                    label=f"{width} unit{'s' if width > 1 else ''}",
                )
            ax.set_title(f"{target.name}, {ACTIVATION_NAMES[activation]} hidden layer", fontsize=9)
            ax.set_xlabel("x")
        row[0].set_ylabel("network output")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Fits by one hidden layer of growing width (grey: the target)", fontsize=10)
    fig.tight_layout()
    lab.figure(fig, "fits.png", f"Network outputs on the test grid for widths {', '.join(map(str, shown))}.")


def plot_depth(
    lab: Lab, x: np.ndarray, y: np.ndarray, curves: dict[str, np.ndarray], errors: dict[str, float], collapse_gap: float
) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    left.plot(x, y, color="black", lw=3, alpha=0.35, label="sin x")
    styles = {
        "linear regression": ("tab:orange", "-", 4),
        "5 linear layers": ("tab:red", "--", 1.5),
        "5 tanh layers": ("tab:blue", "-", 1.5),
    }
    for name, (color, ls, lw) in styles.items():
        left.plot(x, curves[name], color=color, ls=ls, lw=lw, alpha=0.6 if lw > 2 else 1, label=name)
    left.set_xlabel("x")
    left.set_ylabel("output")
    left.set_title(f"Five linear layers: one line, x·W1⋯W5 + c (to {collapse_gap:.0e})", fontsize=9.5)
    left.legend()
    names = list(errors)
    bars = right.barh(names, [errors[n] for n in names], color=["tab:orange", "tab:red", "tab:green", "tab:blue"])
    right.bar_label(bars, labels=[f"{errors[n]:.1e}" for n in names], padding=3, fontsize=8)
    right.set_xscale("log")
    right.set_xlim(right=1.5)
    right.tick_params(axis="y", pad=6)
    right.set_xlabel("test MSE on sin x (log scale)")
    right.set_title("Depth helps only with non-linear units")
    right.invert_yaxis()
    lab.figure(
        fig,
        "depth.png",
        "A 5-layer network with identity activations collapses to one linear map and fits sin x no better "
        "than linear regression (its line lies on the regression line); with tanh activations the same depth "
        "fits it.",
    )


@experiment("approximation", "Universal approximation and depth", sources="S1, S3")
def run(lab: Lab) -> None:
    widths: tuple[int, ...]
    shown: tuple[int, ...]
    if lab.quick:
        widths, shown, epochs, restarts = (1, 4, 16), (1, 4, 16), 60, 1
    else:
        widths, shown, epochs, restarts = (1, 2, 4, 8, 16, 32, 64), (1, 2, 8, 64), 1500, 2
    errors: dict[str, dict[str, list[float]]] = {a: {t.name: [] for t in TARGETS} for a in HIDDEN_ACTIVATIONS}
    predictions: dict[str, dict[str, dict[int, np.ndarray]]] = {
        a: {t.name: {} for t in TARGETS} for a in HIDDEN_ACTIVATIONS
    }
    with threadpool_limits(1, user_api="blas"):  # small matrices: one BLAS thread is fastest, same sums anywhere
        for activation in HIDDEN_ACTIVATIONS:
            for target in TARGETS:
                for width in widths:
                    fit = best_fit([1, width, 1], activation, target, epochs, restarts, lab.rng)
                    errors[activation][target.name].append(fit.test_mse)
                    if width in shown:
                        predictions[activation][target.name][width] = fit.prediction
        sine = TARGETS[0]
        linear_net = MLP(DEEP_SIZES, activation="identity", rng=lab.rng)
        linear_fit = train(linear_net, sine, epochs, lab.rng)
        tanh_fit = best_fit(DEEP_SIZES, "tanh", sine, epochs, restarts, lab.rng)
    lab.record(widths=widths, epochs=epochs, restarts=restarts, batch_size=BATCH, lr=[LR, FINAL_LR], test_mse=errors)
    plot_errors(lab, widths, errors)
    plot_fits(lab, shown, predictions)

    x, y = sine.points(N_TRAIN)
    x_test, y_test = sine.points(N_TEST)
    design = np.hstack([x, np.ones_like(x)]).astype(np.float64)
    coefficients = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)[0]
    regression_train = float(np.mean((design @ coefficients - y) ** 2))
    regression_line = (np.hstack([x_test, np.ones_like(x_test)]) @ coefficients)[:, 0]
    product, offset = end_to_end(linear_net)
    collapse_gap = float(np.abs(linear_net.forward(x_test) - (x_test @ product + offset)).max())
    wide_tanh = errors["tanh"][sine.name][widths.index(16)]
    depth_errors = {
        "linear regression": float(np.mean((regression_line - y_test[:, 0]) ** 2)),
        "5 linear layers": linear_fit.test_mse,
        "1 tanh layer, 16 units": wide_tanh,
        "5 tanh layers": tanh_fit.test_mse,
    }
    lab.record(
        deep_sizes=DEEP_SIZES,
        end_to_end_product=product[0, 0],
        end_to_end_offset=offset[0],
        regression_slope=coefficients[0, 0],
        regression_intercept=coefficients[1, 0],
        collapse_max_abs_difference=collapse_gap,
        train_mse={
            "linear regression": regression_train,
            "5 linear layers": linear_fit.train_mse,
            "5 tanh layers": tanh_fit.train_mse,
        },
        depth_test_mse=depth_errors,
    )
    plot_depth(
        lab,
        x_test[:, 0],
        y_test[:, 0],
        {
            "linear regression": regression_line,
            "5 linear layers": linear_fit.prediction,
            "5 tanh layers": tanh_fit.prediction,
        },
        depth_errors,
        collapse_gap,
    )

    drops = {
        (a, t.name): errors[a][t.name][0] / min(errors[a][t.name][-3:]) for a in HIDDEN_ACTIVATIONS for t in TARGETS
    }
    lab.claim(
        "One hidden layer with enough units approximates a continuous function: the test error falls by an order "
        "of magnitude or more as the width grows from 1 unit",
        "S1, S3",
        min(drops.values()) >= 10,
        "test MSE from 1 to "
        + str(widths[-1])
        + " units: "
        + "; ".join(
            f"{t.name} {errors[a][t.name][0]:.1e} → {errors[a][t.name][-1]:.1e} ({ACTIVATION_NAMES[a]})"
            for a in HIDDEN_ACTIVATIONS
            for t in TARGETS
        )
        + f"; every error falls at least {min(drops.values()):.0f}× from 1 unit to the best of the widest three",
    )
    lab.claim(
        "More layers of linear units do not help: a 5-layer network with identity activations is one linear map "
        "(the product of its weight matrices) and fits sin x no better than linear regression",
        "S1",
        collapse_gap < 1e-4 and linear_fit.train_mse >= regression_train - 1e-6,
        f"max |network(x) − (x·W1W2W3W4W5 + c)| = {collapse_gap:.1e} over {N_TEST} points; slope "
        f"{product[0, 0]:.4f} vs least squares {coefficients[0, 0]:.4f}; training MSE {linear_fit.train_mse:.5f} vs "
        f"linear regression {regression_train:.5f}",
    )
    lab.claim(
        "Non-linear hidden units are what makes a network a universal approximator: the same 5 layers with tanh "
        "fit sin x",
        "S1",
        tanh_fit.test_mse < depth_errors["linear regression"] / 100,
        f"test MSE on sin x: 5 tanh layers {tanh_fit.test_mse:.1e}, 1 tanh layer of 16 {wide_tanh:.1e}, "
        f"5 linear layers {linear_fit.test_mse:.3f}, linear regression {depth_errors['linear regression']:.3f}",
    )

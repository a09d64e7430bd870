"""Weight initialization: saturation on a 784-input layer, activations through depth, and symmetry (S0, S1, S3).

Three studies, one module each, on standardized Fashion-MNIST (every pixel has mean 0 and
variance 1):

1. **One 784 -> 100 layer** (:mod:`.wide`; S0, S3). With weights and bias from N(0, 1) a
   unit's pre-activation has variance 784 * 1 + 1 = 785 (standard deviation about 28), so tanh
   sits at +-1 for most inputs. Nielsen's N(0, 1/n_in) weights (S3) give variance 1 + 1 = 2,
   Glorot's N(0, 2/(n_in + n_out)) (S0) gives 784 * 2/884, about 1.8.
2. **Ten hidden layers of 256 units** (:mod:`.depth`; S1): the activations of every layer under
   zero, constant, N(0, 0.01^2), N(0, 1), S3's "glorot" U(+-1/sqrt(n_in)), LeCun N(0, 1/n_in),
   Glorot (tanh) and He (ReLU) initialization.
3. **Symmetry** (:mod:`.symmetry`; S1): a 784-16-10 tanh network trained from zero, constant and
   random weights. From a constant start every hidden unit gets the same gradient, so the hidden
   units stay exactly identical (this study runs in float64, whose matrix products treat every
   column alike; float32 kernels can differ in the last bit between columns).

The decks' names are mixed up (SPEC §3); the claims use :mod:`mlplab.initializers`' names:
``lecun_normal`` is N(0, 1/n_in) (what S1 calls "Xavier"), ``glorot_normal`` has variance
2/(n_in + n_out) (S0's Glorot), ``uniform_fan_in`` is U(+-1/sqrt(n_in)) (what S3 calls "glorot",
variance 1/(3 n_in)), and ``he_normal`` has variance 2/n_in (S3's N(0, sqrt(2/n_in)) gives the
standard deviation).

This module runs the three studies and states their claims in order.
"""

from __future__ import annotations

import numpy as np

from ....initializers import get_initializer
from ...base import Lab, experiment
from ...data import fashion
from .depth import (
    DEEP_SCHEMES,
    deep_activations,
    depth_claims,
    per_layer_factor,
    plot_depth_summary,
    plot_histogram_grid,
)
from .symmetry import SMALL_CONSTANT, plot_symmetry, symmetry_claims, train_from
from .wide import SATURATED, plot_wide_layer, wide_layer_claims, wide_layer_study


@experiment("init", "Weight initialization: saturation, scale through depth, symmetry", sources="S0, S1, S3")
def run(lab: Lab) -> None:
    n_wide, draws, n_deep = (200, 5, 200) if lab.quick else (2000, 10, 1000)
    n_train, n_test, epochs = (300, 200, 2) if lab.quick else (5000, 2000, 10)
    data = fashion(max(n_wide, n_train), n_test, standardize=True, seed=lab.seed)

    wide = wide_layer_study(data.x_train[:n_wide], draws, lab.rng)
    lab.record(
        wide_layer={
            w.label: {
                "variance": w.variance,
                "variance_per_draw": w.variances,
                "predicted_variance": w.predicted_variance,
                "saturated_fraction": w.saturated,
            }
            for w in wide
        },
        input_second_moment_sum=float(np.mean(data.x_train[:n_wide].astype(np.float64) ** 2, axis=0).sum()),
    )
    plot_wide_layer(lab, wide)

    x_deep = data.x_train[:n_deep]
    activations = {scheme: deep_activations(x_deep, scheme, lab.rng) for scheme in DEEP_SCHEMES}
    stds = {s.label: np.array([a.std() for a in outs]) for s, outs in activations.items()}
    saturation = {
        s.label: np.array([np.mean(np.abs(a) > SATURATED) for a in outs])
        for s, outs in activations.items()
        if s.activation == "tanh"
    }
    factors = {label: per_layer_factor(std) for label, std in stds.items()}
    lab.record(deep_activation_std=stds, deep_saturated_fraction=saturation, deep_per_layer_factor=factors)
    plot_depth_summary(lab, stds, saturation)
    plot_histogram_grid(lab, activations)

    runs = {
        "zeros": train_from(data, "zeros", epochs, lab),
        f"constant {SMALL_CONSTANT}": train_from(data, get_initializer("constant", value=SMALL_CONSTANT), epochs, lab),
        "random (Glorot normal)": train_from(data, "glorot_normal", epochs, lab),
    }
    spread = {label: run.spread for label, run in runs.items()}
    distinct = {label: run.distinct_units for label, run in runs.items()}
    accuracy = {label: run.history["val_accuracy"][-1] for label, run in runs.items()}
    lab.record(
        symmetry_hidden_unit_max_difference=spread,
        symmetry_distinct_hidden_units=distinct,
        symmetry_test_accuracy=accuracy,
        symmetry_curves={
            label: {k: run.history[k] for k in ("loss", "val_loss", "val_accuracy")} for label, run in runs.items()
        },
    )
    plot_symmetry(lab, runs)

    wide_layer_claims(lab, wide)
    depth_claims(lab, stds, saturation, factors)
    symmetry_claims(lab, spread, distinct, accuracy)

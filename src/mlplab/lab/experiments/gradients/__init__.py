r"""Vanishing and exploding gradients, their remedies, and gradient clipping on a cliff (S1).

Two studies, one module each:

1. **Per-layer gradient norms** ``||dL/dW_l||`` (:mod:`.norms`) of deep networks (8 hidden
   layers of 128 units) on standardized Fashion-MNIST, at the first step and through training
   with mini-batch SGD:
   a sigmoid network with Glorot weights (the gradient *vanishes* towards the input: every
   sigmoid layer multiplies it by at most 0.25), a tanh network with N(0, 1) weights (far too
   large for 128 inputs: the gradient *explodes* towards the input), a ReLU network with He
   weights, and the sigmoid and tanh networks again with batch normalization before every
   activation (``MLP(batch_norm=True)``).
2. **Clipping on a cliff** (:mod:`.cliff`, S1's "cliffs" figure): gradient descent on a
   two-parameter loss, a gentle bowl plus a steep step of height 100,

   .. math::

       L(w) = \tfrac{a}{2} \lVert w \rVert^2 + H \, \sigma\big(k (n \cdot w - c)\big),

   whose gradient on the step is about 100 times the bowl's. Unclipped, one step on the cliff
   throws the parameters far away; clipping the gradient by value (``mlplab.clip_grad_value``,
   each element into [-1, 1]) or by norm (``mlplab.clip_grad_norm``, direction kept) lets
   descent walk down the cliff and reach the minimum.

This module runs both and states the claims in order; the studies' modules hold the rest.
"""

from __future__ import annotations

import numpy as np

from ...base import Lab, experiment
from ...data import fashion
from .cliff import Cliff, clipping_claims, descend, plot_cliff
from .norms import NETWORKS, gradient_claims, plot_norms_by_layer, plot_norms_over_training, train


@experiment("gradients", "Vanishing and exploding gradients, batch norm and clipping", sources="S1")
def run(lab: Lab) -> None:
    n_train, n_test, epochs, batch_size = (512, 200, 1, 64) if lab.quick else (8000, 2000, 5, 128)
    data = fashion(n_train, n_test, standardize=True, seed=lab.seed)
    runs = [train(network, data, epochs, batch_size, lab) for network in NETWORKS]
    by_network = {run.network: run for run in runs}
    lab.record(
        layers="W_1 (input side) ... W_9 (output layer)",
        gradient_norms_first_step={r.network.label: r.norms[0] for r in runs},
        gradient_norms_last_epoch_median={r.network.label: r.end_norms for r in runs},
        gradient_norms_per_step={r.network.label: r.norms for r in runs},
        first_to_last_layer_ratio_first_step={r.network.label: r.start_ratio for r in runs},
        relative_weight_change={r.network.label: r.relative_change for r in runs},
        train_loss={r.network.label: r.loss for r in runs},
        val_accuracy={r.network.label: r.val_accuracy for r in runs},
    )
    plot_norms_by_layer(lab, runs)
    plot_norms_over_training(lab, runs)

    cliff = Cliff()
    descents = [descend(cliff, clipping, iterations=50) for clipping in ("none", "value", "norm")]
    lab.record(
        cliff={
            d.label: {
                "final_loss": d.losses[-1],
                "longest_step": d.steps.max(),
                "farthest_from_minimum": np.linalg.norm(d.path, axis=1).max(),
                "largest_raw_gradient": d.raw_grad_norms.max(),
                "smallest_cosine_clipped_vs_raw": d.cosines.min(),
                "path": d.path,
                "losses": d.losses,
            }
            for d in descents
        }
    )
    plot_cliff(lab, cliff, descents)

    gradient_claims(lab, by_network)
    clipping_claims(lab, descents)

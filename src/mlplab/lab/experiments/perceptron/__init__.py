r"""The perceptron algorithm: converges on separable data, cycles on non-separable data (S3).

S3 says that on linearly separable classes the perceptron "converges to a separating hyperplane in a finite
number of steps", that "the smaller the margin, the longer it takes", and that on non-separable data "cycles
develop (which can be long and therefore hard to detect)". Two perceptrons are run:

* **Rosenblatt's online perceptron**, the one Novikoff's theorem is about: a ``Dense(2, 1)`` score trained by
  :class:`~mlplab.training.Trainer` with the perceptron criterion, plain SGD, learning rate 1 and batch size 1,
  i.e. :math:`w \leftarrow w + y_i x_i` for each misclassified point in a shuffled pass. Its number of updates
  is at most :math:`(R/\gamma)^2` (with the bias folded into :math:`w`, :math:`R = \max_i \lVert(x_i, 1)\rVert`);
* **S3's algorithm**, :class:`mlplab.Perceptron`: one step on the sum over the misclassified set per epoch,
  then :math:`w` renormalized to a unit vector.

On 2-D data whose generating line has a controlled margin :math:`\gamma` (from 0.3 down to 0.001, points up to
distance 1 along the line), the updates of the online perceptron grow as the margin shrinks and stay far below
Novikoff's worst case. On two overlapping Gaussian classes neither algorithm ever reaches zero mistakes: the
weight vector keeps turning, in an exact cycle for a large learning rate and in a cycle too long to detect
for a small one.

Where S3 is loose (see :class:`mlplab.Perceptron`): convergence is a theorem for the unnormalized update only.
With the renormalization, a large :math:`\rho` makes S3's algorithm jump between two wrong lines on separable
data, and even a small :math:`\rho` can stall near the *reversed* line when it starts pointing away from the
separating normal: the summed update then points against :math:`w`, so it only shortens :math:`w` -- which the
renormalization undoes -- where the unnormalized perceptron would shrink :math:`w` through zero and turn round.

The data and the runs are in :mod:`.runs`, the figures in :mod:`.figures`; this module runs the
experiment and states its claims.
"""

from __future__ import annotations

import numpy as np

from ...base import Lab, experiment
from .figures import plot_margins, plot_non_separable, plot_renormalization
from .runs import (
    RHO_SWEEP,
    SMALL_RHO,
    SWEEP_MARGIN,
    angle_between,
    novikoff_bound,
    online_perceptron,
    overlapping_data,
    random_init,
    s3_perceptron,
    s3_trajectory,
    separable_data,
)


@experiment("perceptron", "The perceptron algorithm: convergence, margin and cycles", sources="S3")
def run(lab: Lab) -> None:
    quick = lab.quick
    n_points = 40 if quick else 100
    margins = np.array([0.3, 0.03, 0.003]) if quick else np.geomspace(0.3, 0.001, 6)
    n_seeds = 2 if quick else 10
    s3_max_epochs = 2000 if quick else 20000
    cycling_epochs = 20 if quick else 200
    path_epochs = 200 if quick else 2000

    # Separable data: updates versus margin, both algorithms.
    shape = (len(margins), n_seeds)
    online, bounds, s3_epochs = np.zeros(shape, int), np.zeros(shape), np.zeros(shape, int)
    s3_converged = np.zeros(shape, bool)
    start_angles, end_angles, online_end_angles = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    example = None
    for i, margin in enumerate(margins):
        for j in range(n_seeds):
            x, y, normal = separable_data(n_points, margin, lab.rng)
            init = random_init(lab.rng)
            fit = online_perceptron(x, y, seed=lab.seed * 1000 + j, max_epochs=10_000, stop=True)
            online[i, j] = fit.updates if fit.converged else -1
            bounds[i, j] = novikoff_bound(x, margin)
            online_end_angles[i, j] = angle_between(fit.weights[-1][:2], normal)
            clf = s3_perceptron(x, y, SMALL_RHO, s3_max_epochs, init)
            s3_epochs[i, j], s3_converged[i, j] = clf.n_epochs_, clf.converged_
            start_angles[i, j], end_angles[i, j] = angle_between(init[0], normal), angle_between(clf.w_, normal)
            if example is None and margin <= 0.05:
                example = fit
    small = margins <= 0.1  # the small-margin regime, where the medians are far from 0
    slope = float(np.polyfit(np.log(margins[small]), np.log(np.median(online[small], axis=1)), 1)[0])

    # Non-separable data: mistakes per epoch and the weight vector, for both algorithms.
    xo, yo = overlapping_data(n_points, lab.rng)
    init = random_init(lab.rng)
    cycling = online_perceptron(xo, yo, seed=lab.seed, max_epochs=cycling_epochs, stop=False)
    s3_small = s3_perceptron(xo, yo, SMALL_RHO, s3_max_epochs, init)
    s3_large = s3_perceptron(xo, yo, 1.0, s3_max_epochs, init)
    small_path = s3_trajectory(xo, yo, SMALL_RHO, path_epochs, init)
    large_path = s3_trajectory(xo, yo, 1.0, path_epochs, init)

    # Separable data, S3's algorithm by learning rate.
    xs, ys, normal = separable_data(n_points, SWEEP_MARGIN, lab.rng)
    init = random_init(lab.rng)
    if angle_between(init[0], normal) > 90:  # show the rho effect from a good start; bad starts are the right panel
        init = (-init[0], init[1])
    rho_sweep = {rho: s3_perceptron(xs, ys, rho, s3_max_epochs, init) for rho in RHO_SWEEP}
    big = rho_sweep[max(RHO_SWEEP)]
    cycle = s3_trajectory(xs, ys, max(RHO_SWEEP), big.n_epochs_ + 1, init)[-(big.cycle_length_ or 1) :]

    lab.record(
        n_points=n_points,
        margins=margins,
        online_updates=online,
        novikoff_bound=bounds,
        online_median_updates=np.median(online, axis=1),
        online_log_log_slope=slope,
        online_all_converged=bool(np.all(online >= 0)),
        online_within_bound=bool(np.all(online <= bounds)),
        s3_rho=SMALL_RHO,
        s3_epochs=s3_epochs,
        s3_converged=s3_converged,
        s3_converged_share=s3_converged.mean(axis=1),
        s3_outcomes={
            "converged": int(s3_converged.sum()),
            "stalled_reversed_over_150_degrees": int(np.sum(~s3_converged & (end_angles > 150))),
            "not_converged_near_the_right_line": int(np.sum(~s3_converged & (end_angles <= 150))),
        },
        s3_start_angle_degrees=start_angles,
        s3_end_angle_degrees=end_angles,
        online_end_angle_degrees=online_end_angles,
        non_separable_online_mistakes=cycling.mistakes,
        non_separable_online_min_mistakes=min(cycling.mistakes),
        non_separable_s3={
            str(rho): {
                "converged": clf.converged_,
                "epochs": clf.n_epochs_,
                "cycle_detected": clf.cycles_detected_,
                "cycle_length": clf.cycle_length_,
                "min_mistakes": min(clf.history_),
                "last_mistakes": clf.history_[-50:],
            }
            for rho, clf in ((SMALL_RHO, s3_small), (1.0, s3_large))
        },
        rho_sweep_margin=SWEEP_MARGIN,
        rho_sweep={
            str(rho): {
                "converged": clf.converged_,
                "epochs": clf.n_epochs_,
                "cycle_length": clf.cycle_length_,
                "mistakes": clf.history_[:200],
            }
            for rho, clf in rho_sweep.items()
        },
        rho_1_cycle_states=cycle[:, :3],
    )

    plot_margins(lab, margins, online, bounds, s3_epochs, s3_converged, slope)
    assert example is not None  # margins always include one <= 0.05
    plot_non_separable(lab, xo, yo, example, cycling, small_path, large_path, s3_large.cycle_length_ or 1, n_points)
    plot_renormalization(
        lab,
        xs,
        ys,
        normal,
        rho_sweep,
        cycle,
        start_angles.ravel(),
        end_angles.ravel(),
        s3_converged.ravel(),
        online_end_angles.ravel(),
    )

    medians = np.median(online, axis=1)
    lab.claim(
        "On linearly separable data the perceptron converges to a separating line in a finite number of updates "
        "(Rosenblatt's update; Novikoff: at most (R/gamma)^2)",
        "S3",
        bool(np.all(online >= 0) and np.all(online <= bounds)),
        f"{np.sum(online >= 0)} of {online.size} online runs converged, every one within its bound "
        f"(largest ratio updates/bound {np.max(online / bounds):.2g})",
    )
    lab.claim(
        "The smaller the margin between the classes, the more updates the perceptron needs",
        "S3",
        bool(slope < 0 and np.all(np.diff(medians) >= 0)),
        f"median updates {', '.join(f'{m:g}' for m in medians)} for margins "
        f"{', '.join(f'{g:.3g}' for g in margins)}: log-log slope {slope:.2f} (Novikoff's worst case: -2)",
    )
    lab.claim(
        "On non-separable data the perceptron does not converge: mistakes never reach zero and the weights cycle, "
        "in cycles that can be long and hard to detect",
        "S3",
        bool(
            min(cycling.mistakes) > 0
            and not s3_small.converged_
            and not s3_large.converged_
            and s3_large.cycles_detected_
            and min(s3_small.history_) > 0
        ),
        f"online: at least {min(cycling.mistakes)} of {n_points} wrong in each of {len(cycling.mistakes)} epochs; "
        f"S3 rho=1: exact cycle of {s3_large.cycle_length_} epochs found after {s3_large.n_epochs_}; "
        f"S3 rho={SMALL_RHO:g}: at least {min(s3_small.history_)} wrong in each of {s3_small.n_epochs_} epochs, "
        + ("an exact repeat found" if s3_small.cycles_detected_ else "no exact repeat found"),
    )
    reversed_stalls = end_angles[~s3_converged] > 150
    lab.claim(
        "S3's variant, which renormalizes w to a unit vector, is not guaranteed to converge on separable data: "
        "with a large rho it cycles, and with a small rho it can stall near the reversed line after a bad start",
        "S3",
        bool(big.cycles_detected_ and rho_sweep[min(RHO_SWEEP)].converged_ and reversed_stalls.any()),
        f"margin {SWEEP_MARGIN:g}: rho=1 cycles with period {big.cycle_length_} "
        f"({big.history_[-1]} of {n_points} wrong), rho={min(RHO_SWEEP):g} converges in "
        f"{rho_sweep[min(RHO_SWEEP)].n_epochs_} epochs; over all margins rho={SMALL_RHO:g} converged in "
        f"{s3_converged.sum()} of {s3_converged.size} runs, {reversed_stalls.sum()} ended more than 150 degrees from "
        f"the separating normal (these started at least "
        f"{np.min(start_angles[~s3_converged][reversed_stalls]) if reversed_stalls.any() else float('nan'):.0f} "
        "degrees away)",
    )

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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...layers import Dense
from ...losses import PerceptronCriterion
from ...model import Sequential
from ...perceptron import ConvergenceWarning, Perceptron
from ...training import Trainer
from ...training.callbacks import Callback
from ..base import Lab, experiment
from ..plots import draw_line, pyplot

SMALL_RHO = 1e-3
"""S3's "update slightly": rho |M| max ||x|| <= 0.1 for these hundred points."""
RHO_SWEEP = (1.0, 0.1, 0.01, 0.001)
SWEEP_MARGIN = 0.1
BLOB_CENTRES = 0.5
BLOB_SPREAD = 0.6


@dataclass
class OnlineRun:
    """Rosenblatt's perceptron trained through the engine: mistakes and (w, b) after every epoch."""

    mistakes: list[int]
    weights: list[np.ndarray] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return int(sum(self.mistakes))

    @property
    def converged(self) -> bool:
        return self.mistakes[-1] == 0


class _EpochMonitor(Callback):
    """Keeps ``(w_1, w_2, b)`` after every epoch; optionally stops after the first epoch without a mistake."""

    def __init__(self, stop_when_separated: bool) -> None:
        self.stop_when_separated = stop_when_separated
        self.weights: list[np.ndarray] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        dense = self.trainer.model.layers[0]
        self.weights.append(np.append(dense.W.value[:, 0], dense.b.value))
        if self.stop_when_separated and logs["accuracy"] == 1.0:
            self.trainer.stop_training = True


def _separable_data(n: int, margin: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points on both sides of a random line through 0, at distances in [margin, 2 margin] from it.

    Positions along the line are uniform in [-1, 1]; one point of each class lies exactly at ``margin``.
    Returns ``x`` ``(n, 2)``, labels ``y`` in {-1, +1} and the line's unit normal.
    """
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    along = np.array([-normal[1], normal[0]])
    y = np.where(np.arange(n) % 2 == 0, 1, -1)
    distance = margin * (1 + rng.random(n))
    distance[:2] = margin
    x = (y * distance)[:, None] * normal + rng.uniform(-1, 1, n)[:, None] * along
    return x, y, normal


def _overlapping_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian classes centred at (+-0.5, 0) with standard deviation 0.6: not linearly separable."""
    y = np.where(np.arange(n) % 2 == 0, 1, -1)
    x = rng.normal(0, BLOB_SPREAD, (n, 2))
    x[:, 0] += y * BLOB_CENTRES
    return x, y


def _novikoff_bound(x: np.ndarray, margin: float) -> float:
    """(R / gamma)^2 with the bias folded in: R = max ||(x_i, 1)||, the generating line passes through 0."""
    return float(np.max(np.sum(x**2, axis=1) + 1) / margin**2)


def _online_perceptron(x: np.ndarray, y: np.ndarray, seed: int, max_epochs: int, stop: bool) -> OnlineRun:
    """w <- w + y_i x_i on each mistake (SGD, lr 1, batch 1, perceptron criterion), from w ~ N(0, 0.01^2)."""
    model = Sequential([Dense(2, 1, init="normal", rng=seed, dtype=np.float64)])
    monitor = _EpochMonitor(stop_when_separated=stop)
    trainer = Trainer(
        model,
        loss=PerceptronCriterion(reduction="sum"),
        optimizer="sgd",
        lr=1.0,
        batch_size=1,
        verbose=0,
        rng=seed,
        callbacks=[monitor],
    )
    history = trainer.fit(x, y.reshape(-1, 1).astype(np.float64), epochs=max_epochs)
    mistakes = [int(round((1 - a) * len(y))) for a in history.history["accuracy"]]
    return OnlineRun(mistakes, monitor.weights)


def _s3_perceptron(x: np.ndarray, y: np.ndarray, rho: float, max_epochs: int,
                   init: tuple[np.ndarray, float]) -> Perceptron:
    """S3's algorithm from ``init``; its ConvergenceWarning is the expected outcome here and is silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Perceptron(lr=rho, max_epochs=max_epochs).fit(x, y, init=init)


def _s3_trajectory(x: np.ndarray, y: np.ndarray, rho: float, epochs: int,
                   init: tuple[np.ndarray, float]) -> np.ndarray:
    """S3's algorithm one epoch at a time: rows ``(w_1, w_2, b, |M|)`` for the states 0..epochs-1 (w a unit vector)."""
    w, b = init
    rows = []
    for _ in range(epochs):
        clf = _s3_perceptron(x, y, rho, 1, (w, b))
        norm = np.linalg.norm(w)
        rows.append([*(w / norm), b / norm, clf.history_[0]])
        w, b = clf.w_, clf.b_
    return np.array(rows)


def _angle(w: np.ndarray, reference: np.ndarray) -> float:
    """Angle in degrees between ``w`` and ``reference`` (0 to 180)."""
    cosine = w @ reference / (np.linalg.norm(w) * np.linalg.norm(reference))
    return float(np.degrees(np.arccos(np.clip(cosine, -1, 1))))


def _direction(w: np.ndarray) -> float:
    """Direction of ``w`` in degrees (-180 to 180) from the x1 axis."""
    return float(np.degrees(np.arctan2(w[1], w[0])))


def _random_init(rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A random start as S3 prescribes (and as :class:`mlplab.Perceptron` draws it): w, b standard normal."""
    return rng.standard_normal(2), float(rng.standard_normal())


def _plot_margins(lab: Lab, margins: np.ndarray, online: np.ndarray, bounds: np.ndarray, s3_epochs: np.ndarray,
                  s3_converged: np.ndarray, slope: float) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    n_seeds = online.shape[1]
    spread = np.exp(np.random.default_rng(0).uniform(-0.08, 0.08, n_seeds))
    for i, margin in enumerate(margins):
        moved = online[i] > 0  # a start that already separates needs no update: not drawable on a log scale
        left.scatter(margin * spread[moved], online[i][moved], s=12, c="tab:blue", alpha=0.5)
        ok = s3_converged[i]
        left.scatter(margin * spread[ok], s3_epochs[i][ok], s=14, marker="^", c="tab:orange", alpha=0.6)
    left.plot(margins, np.median(online, axis=1), "o-", c="tab:blue",
              label=f"Rosenblatt online: updates (median; slope {slope:.2f})")
    s3_median = [np.median(e[c]) if c.any() else np.nan for e, c in zip(s3_epochs, s3_converged)]
    left.plot(margins, s3_median, "^-", c="tab:orange",
              label=f"S3 algorithm, rho={SMALL_RHO:g}: epochs, converged runs")
    left.plot(margins, np.median(bounds, axis=1), "k--", label="Novikoff's bound $(R/\\gamma)^2$ (slope -2)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("margin $\\gamma$ of the generating line (data spans 2 along it; log scale)")
    left.set_ylabel("updates until no mistake (log scale)")
    left.set_title("Smaller margin, more updates; far below the worst case")
    left.legend(fontsize=8)
    right.plot(margins, np.mean(online >= 0, axis=1), "o-", c="tab:blue", label="Rosenblatt online")
    right.plot(margins, s3_converged.mean(axis=1), "^-", c="tab:orange", label=f"S3 algorithm, rho={SMALL_RHO:g}")
    right.set_xscale("log")
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("margin $\\gamma$ (log scale)")
    right.set_ylabel(f"share of {n_seeds} runs that converged")
    right.set_title("Separable data: which runs reach zero mistakes")
    right.legend(fontsize=8)
    lab.figure(
        fig,
        "updates-vs-margin.png",
        f"Linearly separable data with a controlled margin, {n_seeds} data sets and starts per margin. Left: updates "
        "to convergence of the online perceptron (blue) and epochs of S3's renormalized algorithm (orange), against "
        "Novikoff's bound. Right: the share of runs that converged at all.",
    )


def _plot_non_separable(lab: Lab, x: np.ndarray, y: np.ndarray, separable: OnlineRun, cycling: OnlineRun,
                        s3_small: np.ndarray, s3_large: np.ndarray, large_cycle_length: int, n_points: int) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.9))
    ax = axes[0]
    for label, marker, color in ((1, "s", "tab:red"), (-1, "o", "tab:blue")):
        ax.scatter(*x[y == label].T, s=12, marker=marker, c=color, label=f"y = {label:+d}")
    for k, w in enumerate(cycling.weights[-6:]):
        draw_line(ax, w[:2], w[2], (-2.0, 2.0), color="0.3", lw=1, alpha=0.7,
                   label="online: last 6 epochs" if k == 0 else None)
    for k, row in enumerate(s3_large[-large_cycle_length:]):
        draw_line(ax, row[:2], row[2], (-2.0, 2.0), color="tab:purple", lw=1.5, ls="--",
                   label=f"S3, rho=1: its {large_cycle_length}-cycle" if k == 0 else None)
    ax.set_xlim(-2, 2)
    ax.set_ylim(-2, 2)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title("Overlapping classes: no line separates")
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    ax.plot(np.arange(1, len(separable.mistakes) + 1), separable.mistakes, "o-", c="tab:green", ms=3,
            label="online, separable data")
    ax.plot(np.arange(1, len(cycling.mistakes) + 1), cycling.mistakes, c="tab:blue", label="online, overlapping")
    ax.plot(s3_small[:, 3], c="tab:orange", label=f"S3, rho={SMALL_RHO:g}, overlapping")
    ax.plot(s3_large[:, 3], c="tab:purple", ls="--", label="S3, rho=1, overlapping")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("epoch (symlog scale)")
    ax.set_ylabel(f"misclassified points (of {n_points})")
    ax.set_title("Mistakes per epoch")
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.plot(np.arange(1, len(cycling.weights) + 1), [_direction(w[:2]) for w in cycling.weights], c="tab:blue",
            label="online")
    ax.plot([_direction(row[:2]) for row in s3_small], c="tab:orange", label=f"S3, rho={SMALL_RHO:g}")
    ax.plot([_direction(row[:2]) for row in s3_large], c="tab:purple", ls="--", label="S3, rho=1")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("epoch (symlog scale)")
    ax.set_ylabel("direction of w (degrees from the $x_1$ axis)")
    ax.set_title("Direction of the weight vector per epoch")
    ax.legend(fontsize=7)
    lab.figure(
        fig,
        "non-separable.png",
        "Two overlapping Gaussian classes (not linearly separable). Left: the lines of the last epochs. Middle: "
        "misclassified points per epoch, which never reach 0 (green: separable data for contrast). Right: the "
        "direction of w per epoch keeps moving: a 2-cycle for S3 with rho = 1, a long wander for the others.",
    )


def _plot_renormalization(lab: Lab, x: np.ndarray, y: np.ndarray, normal: np.ndarray,
                          sweep: dict[float, Perceptron], cycle: np.ndarray, start_angles: np.ndarray,
                          end_angles: np.ndarray, converged: np.ndarray, online_end_angles: np.ndarray) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.9))
    ax = axes[0]
    for label, marker, color in ((1, "s", "tab:red"), (-1, "o", "tab:blue")):
        ax.scatter(*x[y == label].T, s=10, marker=marker, c=color, label=f"y = {label:+d}")
    small = sweep[min(sweep)]
    draw_line(ax, small.w_, small.b_, (-1.2, 1.2), color="k", label=f"rho={min(sweep):g}: converged line")
    biases = ", ".join(f"{b:+.1f}" for b in cycle[:, 2])
    ax.plot([], [], color="tab:purple", ls="--", label=f"rho=1: {len(cycle)} lines with b = {biases} (|w| = 1),\n"
            "outside this window: all points on one side")
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.2, 1.2)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"Separable data (margin {SWEEP_MARGIN:g})")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax = axes[1]
    for (rho, clf), style in zip(sweep.items(), ("--", ":", "-", "-")):
        status = "converged" if clf.converged_ else f"cycle of {clf.cycle_length_}" if clf.cycles_detected_ else "no"
        ax.plot(clf.history_, ls=style, lw=2, label=f"rho={rho:g}: {status} after {clf.n_epochs_} epochs")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("epoch (symlog scale)")
    ax.set_ylabel(f"misclassified points (of {len(y)})")
    ax.set_title("S3's algorithm on separable data, by rho")
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.scatter(start_angles[converged], end_angles[converged], s=14, c="tab:green", label="S3: converged")
    ax.scatter(start_angles[~converged], end_angles[~converged], s=20, marker="x", c="tab:red",
               label="S3: not converged")
    ax.scatter(start_angles, online_end_angles, s=8, c="tab:blue", alpha=0.5, label="online perceptron (all converged)")
    ax.set_xlim(0, 180)
    ax.set_ylim(-5, 185)
    ax.set_xlabel("angle between starting w and the separating normal (degrees)")
    ax.set_ylabel("angle at the end (degrees)")
    ax.set_title(f"S3, rho={SMALL_RHO:g}: bad starts stall reversed")
    ax.legend(fontsize=7)
    lab.figure(
        fig,
        "renormalization.png",
        "What the unit-vector renormalization of S3 does on separable data. Left and middle: with a large rho the "
        "algorithm alternates between two wrong lines for ever; a small rho converges. Right: over all margins, "
        "runs that start pointing away from the separating normal stall near the reversed line (about 180 degrees), "
        "where the online perceptron turns round.",
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
            x, y, normal = _separable_data(n_points, margin, lab.rng)
            init = _random_init(lab.rng)
            fit = _online_perceptron(x, y, seed=lab.seed * 1000 + j, max_epochs=10_000, stop=True)
            online[i, j] = fit.updates if fit.converged else -1
            bounds[i, j] = _novikoff_bound(x, margin)
            online_end_angles[i, j] = _angle(fit.weights[-1][:2], normal)
            clf = _s3_perceptron(x, y, SMALL_RHO, s3_max_epochs, init)
            s3_epochs[i, j], s3_converged[i, j] = clf.n_epochs_, clf.converged_
            start_angles[i, j], end_angles[i, j] = _angle(init[0], normal), _angle(clf.w_, normal)
            if example is None and margin <= 0.05:
                example = fit
    small = margins <= 0.1  # the small-margin regime, where the medians are far from 0
    slope = float(np.polyfit(np.log(margins[small]), np.log(np.median(online[small], axis=1)), 1)[0])

    # Non-separable data: mistakes per epoch and the weight vector, for both algorithms.
    xo, yo = _overlapping_data(n_points, lab.rng)
    init = _random_init(lab.rng)
    cycling = _online_perceptron(xo, yo, seed=lab.seed, max_epochs=cycling_epochs, stop=False)
    s3_small = _s3_perceptron(xo, yo, SMALL_RHO, s3_max_epochs, init)
    s3_large = _s3_perceptron(xo, yo, 1.0, s3_max_epochs, init)
    small_path = _s3_trajectory(xo, yo, SMALL_RHO, path_epochs, init)
    large_path = _s3_trajectory(xo, yo, 1.0, path_epochs, init)

    # Separable data, S3's algorithm by learning rate.
    xs, ys, normal = _separable_data(n_points, SWEEP_MARGIN, lab.rng)
    init = _random_init(lab.rng)
    if _angle(init[0], normal) > 90:  # show the rho effect from a good start; bad starts are the right panel
        init = (-init[0], init[1])
    rho_sweep = {rho: _s3_perceptron(xs, ys, rho, s3_max_epochs, init) for rho in RHO_SWEEP}
    big = rho_sweep[max(RHO_SWEEP)]
    cycle = _s3_trajectory(xs, ys, max(RHO_SWEEP), big.n_epochs_ + 1, init)[-(big.cycle_length_ or 1):]

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
            str(rho): {"converged": clf.converged_, "epochs": clf.n_epochs_, "cycle_length": clf.cycle_length_,
                       "mistakes": clf.history_[:200]}
            for rho, clf in rho_sweep.items()
        },
        rho_1_cycle_states=cycle[:, :3],
    )

    _plot_margins(lab, margins, online, bounds, s3_epochs, s3_converged, slope)
    _plot_non_separable(lab, xo, yo, example, cycling, small_path, large_path, s3_large.cycle_length_ or 1, n_points)
    _plot_renormalization(lab, xs, ys, normal, rho_sweep, cycle, start_angles.ravel(), end_angles.ravel(),
                          s3_converged.ravel(), online_end_angles.ravel())

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
        bool(min(cycling.mistakes) > 0 and not s3_small.converged_ and not s3_large.converged_
             and s3_large.cycles_detected_ and min(s3_small.history_) > 0),
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

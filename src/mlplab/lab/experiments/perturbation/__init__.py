r"""Learning by perturbing weights versus backprop, counted in forward passes (S1).

S1: "Randomly perturb one weight and see if it improves performance. If so, save the change.
Very inefficient. [...] Towards the end of learning, large weight perturbations will nearly
always make things worse." This experiment measures both sentences.

Two regression tasks (mean squared error, full batch, tanh networks in float64):

* **sin**: a 1-8-1 network (25 weights) fits :math:`y = \sin x` on 64 evenly spaced points of
  :math:`[-\pi, \pi]`, target loss :math:`10^{-3}`;
* **teacher**: to vary the number of weights :math:`P` alone, a d-16-1 student learns a random
  d-16-1 teacher (256 Gaussian inputs, outputs scaled to variance 1) for d = 1, 4, 16, 64
  (P = 49 to 1,057), target loss 0.01 (1 % of the variance left).

Each network is trained from the same initial weights, until the target loss, by

* **perturbation**: :class:`mlplab.PerturbationLearner`, one forward pass per try, with fixed step
  sizes :math:`\delta` (a fixed-step run stops once no single move :math:`\pm\delta` helps any more)
  and with a step that starts at 0.1 and is halved whenever it is stuck;
* **backprop**: :class:`mlplab.training.Trainer` with plain gradient descent and with Adam, each at
  three learning rates; the cheapest of each is compared.

Cost is counted in forward passes over the data. A backprop step (forward + backward) counts as
:data:`mlplab.perturbation.BACKPROP_STEP_COST` = 3 forward passes, since the backward pass does two
matrix products per layer where the forward pass does one. This is a convention, not a timing.

The tasks and training runs are in :mod:`.runs`, what is read off them in :mod:`.measures`, the
figures in :mod:`.figures`; this module runs the experiment, records its numbers and states its claims.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from ....perturbation import BACKPROP_STEP_COST
from ...base import Lab, experiment
from .figures import plot_acceptance, plot_cost, plot_curves
from .measures import cheapest, curves, early_and_late_acceptance, log_slope, passes, ratio
from .runs import FULL, HALVING_START, QUICK, STEP_SIZES, TEACHER_STEP_SIZES, sine_task, teacher_task, train_all


@experiment("perturbation", "Learning by perturbing weights versus backprop", sources="S1")
def run(lab: Lab) -> None:
    size = QUICK if lab.quick else FULL
    sine = sine_task()
    with threadpool_limits(1, user_api="blas"):  # tiny products: one BLAS thread is fastest, same sums anywhere
        sine_runs = train_all(sine, STEP_SIZES, size, size.sine, lab.rng)
        groups = {d: [teacher_task(d, k, lab.rng) for k in range(size.teachers_per_size)] for d in size.teacher_inputs}
        teachers = {
            task: train_all(task, TEACHER_STEP_SIZES, size, size.teacher, lab.rng)
            for tasks in groups.values()
            for task in tasks
        }

    sine_cost = {method: cheapest(runs).cost_to_target for method, runs in sine_runs.items()}
    sine_backprop = min(sine_cost["gd"], sine_cost["adam"])
    sine_ratio = ratio(sine_cost["perturbation"], sine_backprop)
    per_teacher = {
        method: [[cheapest(teachers[t][method]).cost_to_target for t in tasks] for tasks in groups.values()]
        for method in sine_runs
    }
    per_teacher["backprop"] = [np.minimum(g, a).tolist() for g, a in zip(per_teacher["gd"], per_teacher["adam"])]
    costs = {method: [float(np.median(c)) for c in per_teacher[method]] for method in ("perturbation", "gd", "adam")}
    best_backprop = [float(np.median(c)) for c in per_teacher["backprop"]]
    sizes_p = [tasks[0].n_weights for tasks in groups.values()]
    teacher_ratio = [ratio(p, b) for p, b in zip(costs["perturbation"], best_backprop)]
    slopes = {method: log_slope(sizes_p, values) for method, values in costs.items()}
    fixed = sine_runs["perturbation"][: len(STEP_SIZES)]
    acceptance = {f"{step:g}": early_and_late_acceptance(r.loss) for step, r in zip(STEP_SIZES, fixed)}
    lab.record(
        backprop_step_cost=BACKPROP_STEP_COST,
        sine_target_loss=size.sine.target,
        sine_n_weights=sine.n_weights,
        step_sizes=STEP_SIZES,
        halving_start=HALVING_START,
        learning_rates=size.learning_rates,
        sine_cost_to_target={m: [r.cost_to_target for r in runs] for m, runs in sine_runs.items()},
        sine_final_loss={m: [float(r.loss[-1]) for r in runs] for m, runs in sine_runs.items()},
        sine_best_cost_to_target=sine_cost,
        sine_cost_ratio_perturbation_over_backprop=sine_ratio,
        sine_loss_curves=curves(sine_runs),
        acceptance_early_late=acceptance,
        teacher_target_loss=size.teacher.target,
        teacher_inputs=size.teacher_inputs,
        teacher_n_weights=sizes_p,
        teacher_step_sizes=TEACHER_STEP_SIZES,
        teachers_per_size=size.teachers_per_size,
        teacher_cost_to_target={
            t.name: {m: [r.cost_to_target for r in runs] for m, runs in teachers[t].items()} for t in teachers
        },
        teacher_cheapest_cost_per_teacher=per_teacher,
        teacher_median_cost_to_target={**costs, "backprop": best_backprop},
        teacher_cost_ratio_perturbation_over_backprop=teacher_ratio,
        teacher_cost_exponent=slopes,
        teacher_loss_curves={t.name: curves(teachers[t]) for t in teachers},
    )

    plot_curves(lab, sine, sine_runs, {tasks[0]: teachers[tasks[0]] for tasks in groups.values()})
    plot_cost(lab, sizes_p, per_teacher, size.teacher.target)
    plot_acceptance(lab, sine, sine_runs["perturbation"])

    lab.claim(
        "Learning by perturbing one weight at a time needs many more forward passes than backprop to reach the same "
        "loss (backprop: the cheaper of gradient descent and Adam; a backprop step counted as 3 forward passes, "
        "a convention)",
        "S1",
        sine_ratio > 3,
        f"{sine.name}, loss {size.sine.target:g}: perturbation {passes(sine_cost['perturbation'])} forward passes, "
        f"backprop {passes(sine_backprop)} ({sine_ratio:.0f}x); plain gradient descent alone "
        f"{passes(sine_cost['gd'])} (budget {BACKPROP_STEP_COST * size.sine.backprop_steps:,.0f})",
    )
    lab.claim(
        "The gap grows with the number of weights: one forward pass tests one weight, while backprop gets all P "
        "derivatives for about 3",
        "S1",
        slopes["perturbation"] > min(slopes["gd"], slopes["adam"]) + 0.5 and teacher_ratio[-1] > teacher_ratio[0],
        f"students of random teachers (median of {size.teachers_per_size}), loss {size.teacher.target:g}: "
        "perturbation / backprop = "
        + ", ".join(f"{r:.1f}x at P = {p:,}" for p, r in zip(sizes_p, teacher_ratio))
        + "; cost ~ P^b with b = "
        + ", ".join(
            f"{slopes[m]:.2f} ({name})"
            for m, name in (("perturbation", "perturbation"), ("gd", "GD"), ("adam", "Adam"))
        ),
    )
    late_large, late_small = acceptance[f"{max(STEP_SIZES):g}"][1], acceptance[f"{min(STEP_SIZES):g}"][1]
    lab.claim(
        "Towards the end of learning, large weight perturbations nearly always make things worse (small ones still "
        "help more often)",
        "S1",
        late_large < 0.05 and late_large < late_small,
        f"{sine.name}, share of tries kept in the first vs the last tenth of each fixed-step run (up to its last kept "
        "change): " + ", ".join(f"delta {k}: {early:.0%} -> {late:.1%}" for k, (early, late) in acceptance.items()),
    )
    final = {step: float(r.loss[-1]) for step, r in zip(STEP_SIZES, fixed)}
    largest, smallest = max(STEP_SIZES), min(STEP_SIZES)
    lab.claim(
        "So a fixed large step gets stuck: the loss stops falling well above what small steps reach",
        "S1",
        final[largest] > 2 * final[smallest],
        f"{sine.name}: final loss {final[largest]:.2g} with delta {largest:g} after {fixed[-1].loss.size - 1:,} tries, "
        f"{final[smallest]:.2g} with delta {smallest:g} after {fixed[0].loss.size - 1:,}",
    )

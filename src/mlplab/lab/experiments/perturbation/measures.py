"""What the ``perturbation`` experiment reads off its runs: the cheapest run, acceptance rates, costs and slopes."""

from __future__ import annotations

import numpy as np

from .runs import OPTIMIZER_LABELS, Run


def cheapest(runs: list[Run]) -> Run:
    """The run that reached the target with the fewest forward passes (the lowest final loss if none did)."""
    reached = [r for r in runs if np.isfinite(r.cost_to_target)]
    if reached:
        return min(reached, key=lambda r: r.cost_to_target)
    return min(runs, key=lambda r: r.loss[-1] if r.loss.size else np.inf)


def kept(loss: np.ndarray) -> np.ndarray:
    """Whether each perturbation try was kept (lowered the loss)."""
    return np.diff(loss) < 0


def acceptance_rate(loss: np.ndarray, window: int) -> np.ndarray:
    """Share of tries kept in consecutive windows of ``window`` tries."""
    accepted = kept(loss)
    n_windows = accepted.size // window
    return accepted[: n_windows * window].reshape(n_windows, window).mean(axis=1)


def early_and_late_acceptance(loss: np.ndarray) -> tuple[float, float]:
    """Share of tries kept in the first and in the last tenth of a run, up to its last kept change."""
    accepted = kept(loss)
    productive = accepted[: np.flatnonzero(accepted)[-1] + 1] if accepted.any() else accepted
    tenth = max(1, productive.size // 10)
    return float(productive[:tenth].mean()), float(productive[-tenth:].mean())


def passes(cost: float) -> str:
    """A cost as text: ``"20,967"``, or ``"never"`` for a run that did not reach the target."""
    return f"{cost:,.0f}" if np.isfinite(cost) else "never"


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when either never reached the target (is infinite)."""
    return numerator / denominator if np.isfinite(numerator) and np.isfinite(denominator) else np.nan


def log_slope(sizes: list[int], costs: list[float]) -> float:
    """Exponent b of a least-squares fit cost ~ P^b over the runs that reached the target (NaN if < 2)."""
    reached = np.isfinite(costs)
    if reached.sum() < 2:
        return np.nan
    return float(np.polyfit(np.log(np.array(sizes)[reached]), np.log(np.array(costs)[reached]), 1)[0])


def curves(runs: dict[str, list[Run]]) -> dict[str, dict[str, list[float]]]:
    """Every perturbation run and the cheapest run of each optimizer, at about 200 log-spaced points each."""
    shown = runs["perturbation"] + [cheapest(runs[optimizer]) for optimizer in OPTIMIZER_LABELS]
    sampled = {}
    for r in shown:
        index = np.unique(np.geomspace(1, max(r.loss.size, 1), 200).astype(int) - 1)
        sampled[r.label] = {"forward_passes": r.cost[index].tolist(), "loss": r.loss[index].tolist()}
    return sampled

"""Softmax versus plain normalization on S0's scores [5, 3, 2], and what a temperature does."""

from __future__ import annotations

import numpy as np

from ...functional import normalize, softmax
from ...plotting import pyplot
from ..base import Lab, experiment

SCORES = np.array([5.0, 3.0, 2.0])
TEMPERATURES = np.array([0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0])


@experiment("softmax", "Softmax versus normalization, and temperature", sources="S0")
def run(lab: Lab) -> None:
    plain, soft = normalize(SCORES), softmax(SCORES)
    shifted_plain, shifted_soft = normalize(SCORES + 10), softmax(SCORES + 10)
    signed = np.array([5.0, -3.0, 2.0])
    tempered = np.array([softmax(SCORES / t) for t in TEMPERATURES])
    entropy = -(tempered * np.log(tempered + 1e-300)).sum(axis=1)
    lab.record(
        scores=SCORES,
        normalized=plain,
        softmax=soft,
        normalized_plus_10=shifted_plain,
        softmax_plus_10=shifted_soft,
        normalized_with_negative_score=normalize(signed),
        temperatures=TEMPERATURES,
        softmax_by_temperature=tempered,
        entropy_by_temperature=entropy,
    )

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    positions = np.arange(len(SCORES))
    ax.bar(positions - 0.2, plain, width=0.4, label="normalization  $z_i / \\sum_j z_j$")
    ax.bar(positions + 0.2, soft, width=0.4, label="softmax  $e^{z_i} / \\sum_j e^{z_j}$")
    for x, (a, b) in enumerate(zip(plain, soft)):
        ax.text(x - 0.2, a + 0.02, f"{a:.2f}", ha="center")
        ax.text(x + 0.2, b + 0.02, f"{b:.2f}", ha="center")
    ax.set_xticks(positions, [f"score {s:g}" for s in SCORES])
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    ax.set_title("Scores [5, 3, 2]: softmax favours the largest")
    ax.legend(loc="upper right")
    lab.figure(fig, "softmax-vs-normalization.png", "The same scores turned into probabilities two ways.")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for k, score in enumerate(SCORES):
        left.plot(TEMPERATURES, tempered[:, k], marker="o", label=f"score {score:g}")
    left.axhline(1 / 3, color="grey", ls=":", label="uniform 1/3")
    left.set_xscale("log")
    left.set_xlabel("temperature T (log scale)")
    left.set_ylabel("softmax(z / T)")
    left.set_title("Low T: the arg max; high T: uniform")
    left.legend()
    right.plot(TEMPERATURES, entropy, marker="o")
    right.axhline(np.log(3), color="grey", ls=":", label="log 3 (uniform)")
    right.set_xscale("log")
    right.set_xlabel("temperature T (log scale)")
    right.set_ylabel("entropy (nats)")
    right.set_title("Entropy grows with the temperature")
    right.legend()
    lab.figure(fig, "temperature.png", "softmax(z / T) for z = [5, 3, 2] over temperatures from 0.1 to 100.")

    lab.claim(
        "Normalizing [5, 3, 2] gives [0.5, 0.3, 0.2]",
        "S0",
        np.allclose(plain, [0.5, 0.3, 0.2]),
        f"normalization = {np.round(plain, 3).tolist()}",
    )
    lab.claim(
        "Softmax of [5, 3, 2] gives [0.84, 0.11, 0.04]",
        "S0",
        np.allclose(soft, [0.84, 0.11, 0.04], atol=0.005),
        f"softmax = {np.round(soft, 4).tolist()}",
    )
    lab.claim(
        "Softmax gives the largest score more of the mass than normalization does",
        "S0",
        soft[0] > plain[0],
        f"largest probability {soft[0]:.3f} (softmax) vs {plain[0]:.3f} (normalization)",
    )
    lab.claim(
        "Softmax depends only on differences of scores (adding 10 changes nothing); normalization does not",
        "S0",
        np.allclose(shifted_soft, soft) and not np.allclose(shifted_plain, plain),
        f"[15, 13, 12]: softmax {np.round(shifted_soft, 3).tolist()}, normalization {np.round(shifted_plain, 3).tolist()}",
    )
    lab.claim(
        "A temperature interpolates between the arg max (T -> 0) and the uniform distribution (T -> infinity)",
        "S0",
        tempered[0, 0] > 0.99 and np.ptp(tempered[-1]) < 0.02,
        f"largest probability {tempered[0, 0]:.4f} at T = {TEMPERATURES[0]:g}; spread {np.ptp(tempered[-1]):.4f} at T = {TEMPERATURES[-1]:g}",
    )

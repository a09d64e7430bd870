"""Questions 2 and 3 of the ``assignment`` experiment: a shallow Fashion-MNIST network and an improved one.

The two networks and their training, the choice of Question 2's learning rate on a validation split, the
two figures and the three claims.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .... import MLP, Trainer, schedule_for
from ....datasets import Dataset
from ....datasets.preprocessing import train_val_split
from ....plotting import pyplot
from ...base import Lab
from ...data import fashion

Q2_RATES = (1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 3.0)
Q2_HIDDEN = 100
Q2_BATCH = 300
Q3_SIZES = [784, 256, 128, 10]
Q3_DROPOUT = 0.2
Q3_L2 = 1e-4
Q3_LR = 1e-3
Q3_BATCH = 128
REQUIRED_GAIN = 0.005


@dataclass
class Run:
    """One trained network: its per-epoch history, test accuracy and training time (seconds)."""

    history: dict[str, list[float]]
    test_accuracy: float
    train_seconds: float

    @property
    def val_accuracy(self) -> float:
        return self.history["val_accuracy"][-1]


def train(trainer: Trainer, split: tuple[np.ndarray, ...], data: Dataset, epochs: int) -> Run:
    """Fit on the training part, monitor the validation part, then score once on the test set."""
    x_train, y_train, x_val, y_val = split
    history = trainer.fit(x_train, y_train, epochs=epochs, validation_data=(x_val, y_val)).history
    test = trainer.evaluate(data.x_test, data.y_test)["accuracy"]
    return Run(history, test, float(np.sum(history["epoch_time"])))


def shallow_trainer(rate: float, seed: int) -> Trainer:
    """Question 2: 784-100-10, sigmoid hidden units, softmax cross-entropy, plain mini-batch SGD."""
    model = MLP([784, Q2_HIDDEN, 10], activation="sigmoid", rng=seed)
    return Trainer(
        model, loss="softmax_cross_entropy", optimizer="sgd", lr=rate, batch_size=Q2_BATCH, verbose=0, rng=seed
    )


def improved_trainer(epochs: int, seed: int) -> Trainer:
    """Question 3: ReLU, 256 and 128 units, dropout, L2, Adam with an exponential decay to 1/100 of the rate."""
    model = MLP(Q3_SIZES, activation="relu", dropout=Q3_DROPOUT, rng=seed)
    return Trainer(
        model,
        loss="softmax_cross_entropy",
        optimizer="adam",
        lr=Q3_LR,
        batch_size=Q3_BATCH,
        l2=Q3_L2,
        schedule=schedule_for("exponential", Q3_LR, epochs),
        verbose=0,
        rng=seed,
    )


def question_2_and_3(lab: Lab) -> None:
    n_train, n_test, epochs = (2000, 500, 4) if lab.quick else (60000, 10000, 30)
    data = fashion(n_train, n_test, standardize=True, seed=lab.seed)
    split = train_val_split(data.x_train, data.y_train, val_fraction=1 / 6, rng=lab.seed)
    shallow = {rate: train(shallow_trainer(rate, lab.seed), split, data, epochs) for rate in Q2_RATES}
    best_rate = max(Q2_RATES, key=lambda r: shallow[r].val_accuracy)
    chosen = shallow[best_rate]
    improved = train(improved_trainer(epochs, lab.seed), split, data, epochs)
    gain = improved.test_accuracy - chosen.test_accuracy
    val_by_rate = np.array([shallow[r].val_accuracy for r in Q2_RATES])
    lab.record(
        data=data.name,
        n_train=len(split[0]),
        n_validation=len(split[2]),
        n_test=len(data.y_test),
        epochs=epochs,
        q2_rates=Q2_RATES,
        q2_val_accuracy_by_rate=val_by_rate,
        q2_test_accuracy_by_rate=[shallow[r].test_accuracy for r in Q2_RATES],
        q2_val_accuracy_curves={str(r): shallow[r].history["val_accuracy"] for r in Q2_RATES},
        q2_best_rate=best_rate,
        q2_history=chosen.history,
        q2_test_accuracy=chosen.test_accuracy,
        q2_train_seconds=chosen.train_seconds,
        q3_config={
            "sizes": Q3_SIZES,
            "activation": "relu",
            "dropout": Q3_DROPOUT,
            "l2": Q3_L2,
            "optimizer": "adam",
            "lr": Q3_LR,
            "schedule": "exponential to lr/100",
            "batch_size": Q3_BATCH,
        },
        q3_history=improved.history,
        q3_test_accuracy=improved.test_accuracy,
        q3_train_seconds=improved.train_seconds,
        q3_gain=gain,
    )
    plot_q2(lab, shallow, best_rate)
    plot_q3(lab, chosen, improved, best_rate)

    lab.claim(
        f"Q2: one hidden layer of {Q2_HIDDEN} sigmoid units, softmax cross-entropy and mini-batch SGD (batch "
        f"{Q2_BATCH}) classifies Fashion-MNIST; the learning rate, chosen on a validation split, matters",
        "S3",
        chosen.test_accuracy > 0.5 and val_by_rate.max() - val_by_rate.min() > 0.1,
        f"best rate {best_rate:g} of {len(Q2_RATES)} by validation accuracy {chosen.val_accuracy:.4f}; test accuracy "
        f"{chosen.test_accuracy:.4f}; trained in {chosen.train_seconds:.1f} s ({epochs} epochs, {len(split[0])} "
        f"images); validation accuracy spans {val_by_rate.min():.3f} to {val_by_rate.max():.3f} across rates",
    )
    lab.claim(
        "Q2: the rates the assignment suggests (0.0001 to 0.01) are too small for plain SGD on a mean-reduced loss; "
        "the best rate is larger",
        "S3",
        best_rate > 0.01,
        "validation accuracy " + ", ".join(f"{v:.3f} (rate {r:g})" for r, v in zip(Q2_RATES, val_by_rate)),
    )
    lab.claim(
        "Q3: ReLU, wider and deeper layers, dropout, L2 and Adam with a decaying rate improve Q2's test accuracy "
        "by at least 0.5 points",
        "S3",
        gain >= REQUIRED_GAIN,
        f"test accuracy {improved.test_accuracy:.4f} (Q3) vs {chosen.test_accuracy:.4f} (Q2): "
        f"{100 * gain:+.2f} points; Q3 trained in {improved.train_seconds:.1f} s",
    )


def plot_q2(lab: Lab, shallow: dict[float, Run], best_rate: float) -> None:
    plt = pyplot()
    chosen = shallow[best_rate]
    fig, (rates, loss, accuracy) = plt.subplots(1, 3, figsize=(11, 3.8))
    rates.semilogx(Q2_RATES, [100 * shallow[r].val_accuracy for r in Q2_RATES], "o-", label="validation")
    rates.semilogx(
        Q2_RATES,
        [100 * shallow[r].test_accuracy for r in Q2_RATES],
        "s--",
        ms=3,
        alpha=0.6,
        label="test (not used to choose)",
    )
    rates.plot(best_rate, 100 * chosen.val_accuracy, "r*", ms=14, label=f"chosen: {best_rate:g}")
    rates.set_xlabel("learning rate (log scale)")
    rates.set_ylabel("accuracy after the last epoch (%)")
    rates.set_title("Q2: accuracy vs learning rate")
    rates.legend()
    epochs = np.arange(1, len(chosen.history["loss"]) + 1)
    loss.plot(epochs, chosen.history["loss"], "o-", ms=3, label="training")
    loss.plot(epochs, chosen.history["val_loss"], "o-", ms=3, label="validation")
    loss.set_xlabel("epoch")
    loss.set_ylabel("cross-entropy (nats per image)")
    loss.set_title(f"Chosen run (rate {best_rate:g}): loss")
    loss.legend()
    accuracy.plot(epochs, 100 * np.array(chosen.history["accuracy"]), "o-", ms=3, label="training")
    accuracy.plot(epochs, 100 * np.array(chosen.history["val_accuracy"]), "o-", ms=3, label="validation")
    accuracy.axhline(100 * chosen.test_accuracy, color="grey", ls=":", label=f"test {100 * chosen.test_accuracy:.2f}%")
    accuracy.set_xlabel("epoch")
    accuracy.set_ylabel("accuracy (%)")
    accuracy.set_title(f"Chosen run (rate {best_rate:g}): accuracy")
    accuracy.legend()
    lab.figure(
        fig,
        "q2-learning-rate.png",
        "Q2: validation accuracy of the 784-100-10 sigmoid network for each "
        "learning rate (left; the rate is chosen on validation), and the chosen run's loss and accuracy.",
    )


def plot_q3(lab: Lab, chosen: Run, improved: Run, best_rate: float) -> None:
    plt = pyplot()
    fig, (accuracy, loss) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, len(chosen.history["loss"]) + 1)
    runs = (
        (f"Q2 (100 sigmoid, SGD {best_rate:g})", chosen, "tab:blue"),
        ("Q3 (256-128 ReLU, dropout, L2, Adam)", improved, "tab:orange"),
    )
    for label, run, color in runs:
        accuracy.plot(
            epochs,
            100 * np.array(run.history["val_accuracy"]),
            "o-",
            ms=3,
            color=color,
            label=f"{label}: test {100 * run.test_accuracy:.2f}%",
        )
        accuracy.plot(epochs, 100 * np.array(run.history["accuracy"]), ":", color=color)
        loss.semilogy(epochs, run.history["loss"], ":", color=color, label=f"{label.split()[0]} training")
        loss.semilogy(epochs, run.history["val_loss"], "o-", ms=3, color=color, label=f"{label.split()[0]} validation")
    accuracy.set_xlabel("epoch")
    accuracy.set_ylabel("accuracy (%)")
    accuracy.set_title("Validation accuracy (solid) and training accuracy (dotted)")
    accuracy.legend(loc="lower right", fontsize=8)
    loss.set_xlabel("epoch")
    loss.set_ylabel("cross-entropy (nats per image, log scale)")
    loss.set_title("Training (dotted) and validation (solid) loss")
    loss.legend()
    lab.figure(
        fig,
        "q3-vs-q2.png",
        "Q3 against Q2: validation and training accuracy and loss per epoch; the legend "
        "gives each network's test accuracy.",
    )

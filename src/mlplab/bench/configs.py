"""The benchmark's configurations: network, optimizer, batch size and how many epochs to time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..datasets import Dataset


@dataclass(frozen=True)
class BenchConfig:
    """One training setting, run the same way by mlplab and by each peer.

    Parameters
    ----------
    name : str
        Short label used in tables and with ``--only``.
    hidden : tuple of int
        Hidden layer widths; inputs are 784 pixels, outputs 10 classes.
    optimizer : str
        ``"sgd"`` (momentum 0.9, no Nesterov, no weight decay) or ``"adam"``
        (betas 0.9, 0.999, eps 1e-8).
    lr : float
        Constant learning rate.
    batch_size : int or None
        ``None`` is full-batch gradient descent (one step per epoch).
    dropout : float
        Probability of dropping a hidden unit (0: no dropout layers).
    batch_norm : bool
        Batch normalization before each hidden activation.
    epochs : int
        Epochs trained and timed; the table shows their median.
    n_train : int or None
        Train on the first ``n_train`` training samples only (``None``: all);
        every library honours it through :meth:`training_data`. Batch 1 over
        all 60,000 images would take minutes per epoch for some peers.
    """

    name: str
    hidden: tuple[int, ...]
    optimizer: str
    lr: float
    batch_size: int | None
    dropout: float = 0.0
    batch_norm: bool = False
    epochs: int = 3
    n_train: int | None = None

    @property
    def sizes(self) -> list[int]:
        """Layer widths from input to output: ``[784, *hidden, 10]``."""
        return [784, *self.hidden, 10]

    @property
    def momentum(self) -> float:
        """Momentum of the SGD configurations (0 for the others)."""
        return 0.9 if self.optimizer == "sgd" else 0.0

    def training_data(self, data: Dataset) -> Dataset:
        """``data`` with its training set cut to the first ``n_train`` samples (unchanged when ``None``)."""
        return data if self.n_train is None else data.head(self.n_train, None)

    def describe(self) -> str:
        """A one-line description: network, optimizer, batch and extras."""
        net = "-".join(str(s) for s in self.sizes)
        opt = "SGD mom 0.9" if self.optimizer == "sgd" else "Adam"
        batch = "full batch" if self.batch_size is None else f"batch {self.batch_size}"
        extras = [f"dropout {self.dropout:g}"] * (self.dropout > 0) + ["batch norm"] * self.batch_norm
        subset = [] if self.n_train is None else [f"first {self.n_train:,} samples"]
        return ", ".join([net, f"{opt} lr {self.lr:g}", batch, *subset, *extras])


CONFIGS: tuple[BenchConfig, ...] = (
    BenchConfig("100-sgd-128", (100,), "sgd", 0.01, 128),
    BenchConfig("100-adam-128", (100,), "adam", 1e-3, 128),
    BenchConfig("256-sgd-128", (256,), "sgd", 0.01, 128),
    BenchConfig("256-adam-128", (256,), "adam", 1e-3, 128),
    BenchConfig("100-sgd-10", (100,), "sgd", 0.01, 10),
    BenchConfig("100-adam-10", (100,), "adam", 1e-3, 10),
    BenchConfig("100-sgd-1", (100,), "sgd", 1e-3, 1, epochs=2, n_train=20_000),
    BenchConfig("100-adam-1", (100,), "adam", 1e-4, 1, epochs=2, n_train=20_000),
    BenchConfig("100-sgd-full", (100,), "sgd", 0.1, None, epochs=10),
    BenchConfig("512-256-adam-128-dropout-bn", (512, 256), "adam", 1e-3, 128, dropout=0.2, batch_norm=True),
)
"""Every configuration of the full benchmark, in table order."""

INFERENCE_BATCH = 1000
"""Batch size of the inference-throughput measurement."""


def select(configs: tuple[BenchConfig, ...], only: list[str] | None) -> list[BenchConfig]:
    """The configurations whose name contains any of ``only`` (all when ``only`` is empty), in table order.

    A pattern that is a configuration's whole name selects that one alone:
    ``100-sgd-1`` is batch 1, not also ``100-sgd-10`` and ``100-sgd-128``.

    Raises
    ------
    ValueError
        If a pattern matches no configuration; the message lists the names.
    """
    if not only:
        return list(configs)
    names = {c.name for c in configs}

    def matches(pattern: str, name: str) -> bool:
        return pattern == name if pattern in names else pattern in name

    chosen = [c for c in configs if any(matches(pattern, c.name) for pattern in only)]
    missing = [p for p in only if not any(matches(p, c.name) for c in configs)]
    if missing:
        listed = ", ".join(c.name for c in configs)
        raise ValueError(f"no benchmark configuration matches {missing}; the names are {listed}")
    return chosen

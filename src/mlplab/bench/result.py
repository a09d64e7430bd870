"""What one library's run of one configuration measured."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class RunResult:
    """Epoch times, test accuracy and inference speed of one library on one configuration.

    ``note`` says why a run has no numbers (library missing, feature unsupported); ``path``, for
    mlplab, which training loop its last epoch took (``Trainer.epoch_path``: ``"compiled"``, or
    the general loop and why).
    """

    library: str
    config: str
    n_train: int = 0
    epoch_times: list[float] = field(default_factory=list)
    test_accuracy: float | None = None
    inference_per_s: float | None = None
    note: str = ""
    path: str = ""

    @property
    def ran(self) -> bool:
        """Whether the run produced timings."""
        return bool(self.epoch_times)

    @property
    def median_epoch(self) -> float | None:
        """Median seconds per epoch (``None`` when it did not run)."""
        return float(np.median(self.epoch_times)) if self.epoch_times else None

    @property
    def samples_per_s(self) -> float | None:
        """Training samples per second at the median epoch time."""
        median = self.median_epoch
        return self.n_train / median if median else None

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields, with the median and samples per second."""
        return {
            "library": self.library,
            "config": self.config,
            "epoch_times": self.epoch_times,
            "median_epoch_s": self.median_epoch,
            "samples_per_s": self.samples_per_s,
            "test_accuracy": self.test_accuracy,
            "inference_samples_per_s": self.inference_per_s,
            "note": self.note,
            "path": self.path,
        }


def samples_per_second(predict: Callable[[], object], n_samples: int, rounds: int = 5) -> float:
    """``n_samples`` divided by the median time of ``rounds`` calls of ``predict``."""
    predict()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        predict()
        times.append(time.perf_counter() - start)
    return n_samples / float(np.median(times))

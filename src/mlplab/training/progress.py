"""A progress bar for training, on tqdm: epoch, batch, loss, accuracy and speed."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

from .callbacks import Callback


class ProgressBar(Callback):
    """One bar per epoch showing batches done, samples per second, running loss and accuracy,
    then a one-line summary of the epoch.

    Quiet when ``verbose=0``; when the stream is not a terminal the bar is
    skipped and only the per-epoch lines are printed (``verbose=1``) .

    Parameters
    ----------
    verbose : int, default 1
        0 prints nothing, 1 prints bars (on a terminal) and epoch lines.
    stream : file, default sys.stderr
    refresh_every : int, default 25
        Batches between updates of the loss shown on the bar.
    """

    def __init__(self, verbose: int = 1, stream: TextIO | None = None, refresh_every: int = 25) -> None:
        self.verbose = verbose
        self.stream = stream if stream is not None else sys.stderr
        self.refresh_every = max(1, int(refresh_every))
        self._bar: tqdm | None = None

    @property
    def _interactive(self) -> bool:
        return self.verbose > 0 and hasattr(self.stream, "isatty") and self.stream.isatty()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None:
        if self._interactive:
            self._bar = tqdm(
                total=self.trainer.batches_per_epoch,
                desc=f"epoch {epoch + 1}/{self.trainer.epochs}",
                unit="batch",
                file=self.stream,
                leave=False,
                dynamic_ncols=True,
            )

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        if batch % self.refresh_every == 0:
            self._bar.set_postfix_str(self.trainer.running_metrics_text(), refresh=False)

    def on_batches_end(self, batch: int, count: int, logs: dict[str, Any]) -> None:
        if self._bar is None:
            return
        self._bar.update(count)
        self._bar.set_postfix_str(self.trainer.running_metrics_text(), refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.verbose > 0:
            parts = [f"epoch {epoch + 1}/{self.trainer.epochs}"]
            parts += [f"{k} {v:.4g}" for k, v in logs.items() if k != "epoch_time"]
            parts.append(f"{logs['epoch_time']:.1f}s")
            print("  ".join(parts), file=self.stream, flush=True)

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

"""Run every configuration with mlplab and its peers, and lay the figures out as a table and JSON."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from .. import __version__, kernels
from ..datasets import Dataset
from .configs import INFERENCE_BATCH, BenchConfig
from .gemm import gemm_limit_epoch, warm_up_blas
from .jax_peer import run_jax
from .peers import run_sklearn, run_torch
from .result import RunResult
from .runs import peak_training_memory, run_mlplab

PEERS = ("pytorch", "scikit-learn", "jax-step", "jax-scan")
"""The libraries mlplab is compared with, in table order (``mlplab bench --peers`` chooses among them)."""


def _run_peer(peer: str, config: BenchConfig, data: Dataset, threads: int, seed: int) -> RunResult:
    """Run one of :data:`PEERS` on ``config``."""
    if peer == "pytorch":
        return run_torch(config, data, threads, seed)
    if peer == "scikit-learn":
        return run_sklearn(config, data, seed)
    return run_jax(config, data, threads, seed, form=peer)


@dataclass
class ConfigResult:
    """All libraries' runs of one configuration and its GEMM limits.

    ``gemm_limit`` is the seconds of one training epoch's matrix products;
    ``inference_limit`` the seconds of the forward products over the test set
    at the inference batch size.
    """

    config: BenchConfig
    gemm_limit: float
    runs: list[RunResult] = field(default_factory=list)
    inference_limit: float = 0.0
    n_test: int = 0

    def run(self, library: str) -> RunResult | None:
        """The run of ``library``, if it was asked for."""
        return next((r for r in self.runs if r.library == library), None)

    def ratio_to_torch(self, run: RunResult) -> float | None:
        """``run``'s median epoch time over PyTorch's (below 1: faster than PyTorch)."""
        torch = self.run("pytorch")
        median = run.median_epoch  # None exactly when the run did not run
        if median is None or torch is None or not torch.ran or not torch.median_epoch:
            return None
        return median / torch.median_epoch

    def fastest_peer(self) -> RunResult | None:
        """The peer (any library but mlplab) with the smallest median epoch time, among those that ran."""
        timed = [r for r in self.runs if r.library != "mlplab" and r.median_epoch]
        return min(timed, key=lambda r: r.median_epoch or 0.0, default=None)

    def ratio_to_fastest_peer(self, run: RunResult) -> float | None:
        """``run``'s median epoch time over the fastest peer's (the fastest peer itself: 1.0)."""
        fastest = self.fastest_peer()
        median = run.median_epoch
        if median is None or fastest is None or not fastest.median_epoch:
            return None
        return median / fastest.median_epoch

    def gemm_fraction(self, run: RunResult) -> float | None:
        """The GEMM limit over ``run``'s median epoch time: 1.0 would be matrix products only."""
        median = run.median_epoch  # None exactly when the run did not run
        return self.gemm_limit / median if median is not None else None

    def inference_fraction(self, run: RunResult) -> float | None:
        """``run``'s inference speed over the speed of the forward products alone (1.0: nothing else)."""
        if not run.inference_per_s or not self.inference_limit or not self.n_test:
            return None
        return run.inference_per_s * self.inference_limit / self.n_test


@dataclass
class BenchReport:
    """Everything one benchmark run measured, with the machine and versions it ran on."""

    meta: dict[str, Any]
    results: list[ConfigResult]
    peak_memory_bytes: float | None = None
    peak_memory_fast_bytes: float | None = None
    """The same, for the last configuration without batch norm (which the compiled loop trains), if it has it."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``meta``, ``peak_memory_mb`` and per configuration its GEMM limit and runs."""
        return {
            "meta": self.meta,
            "peak_memory_mb": None if self.peak_memory_bytes is None else self.peak_memory_bytes / 2**20,
            "peak_memory_fast_path_mb": (
                None if self.peak_memory_fast_bytes is None else self.peak_memory_fast_bytes / 2**20
            ),
            "results": [
                {
                    "config": r.config.name,
                    "description": r.config.describe(),
                    "gemm_limit_s": r.gemm_limit,
                    "inference_gemm_limit_s": r.inference_limit,
                    "runs": [
                        {
                            **run.to_dict(),
                            "ratio_to_pytorch": r.ratio_to_torch(run),
                            "ratio_to_fastest_peer": r.ratio_to_fastest_peer(run),
                            "gemm_fraction": r.gemm_fraction(run),
                            "inference_gemm_fraction": r.inference_fraction(run),
                        }
                        for run in r.runs
                    ],
                }
                for r in self.results
            ],
        }


def _versions() -> dict[str, str]:
    versions = {"mlplab": __version__, "numpy": np.__version__, "python": platform.python_version()}
    for module in ("torch", "sklearn", "jax", "numba"):
        try:
            versions[module] = __import__(module).__version__
        except ImportError:
            versions[module] = "not installed"
    blas = [f"{i.get('internal_api')} {i.get('version')}" for i in threadpool_info() if i.get("user_api") == "blas"]
    versions["blas"] = ", ".join(blas) or "unknown"
    return versions


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_limited(threads: int) -> threadpool_limits:
    """Every BLAS library on ``threads`` threads meanwhile, SciPy's (which the compiled loop calls) included.

    A limit reaches only the libraries loaded when it is set, and SciPy's BLAS is otherwise loaded
    by the first compiled epoch, after it: mlplab's loop would run on every core whatever the limit.
    """
    with contextlib.suppress(ImportError):
        import scipy.linalg.cython_blas  # noqa: F401
    return threadpool_limits(limits=threads, user_api="blas")


def run_suite(
    configs: Sequence[BenchConfig],
    data: Dataset,
    *,
    threads: int = 2,
    peers: Sequence[str] = PEERS,
    seed: int = 0,
    measure_memory: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> BenchReport:
    """Run each configuration with mlplab and each of ``peers``, all on ``threads`` BLAS threads.

    Each configuration trains on its :meth:`~mlplab.bench.configs.BenchConfig.training_data`
    (its ``n_train`` subset). ``log`` receives a line as each run starts.
    """
    unknown = set(peers) - set(PEERS)
    if unknown:
        raise ValueError(f"unknown peers {sorted(unknown)}; choose from {list(PEERS)}")
    results = []
    with blas_limited(threads):
        warm_up_blas()
        for config in configs:
            log(f"{config.name}: {config.describe()}")
            result = ConfigResult(
                config,
                gemm_limit_epoch(config.sizes, len(config.training_data(data).x_train), config.batch_size),
                inference_limit=gemm_limit_epoch(config.sizes, len(data.x_test), INFERENCE_BATCH, backward=False),
                n_test=len(data.x_test),
            )
            result.runs.append(run_mlplab(config, data, seed))
            for peer in (p for p in PEERS if p in peers):
                log(f"{config.name}: {peer}")
                result.runs.append(_run_peer(peer, config, data, threads, seed))
            results.append(result)
        peak = peak_fast = None
        if measure_memory and configs:
            log("peak memory: one epoch of the last configuration under tracemalloc")
            peak = peak_training_memory(configs[-1], data, seed)
            if configs[-1].batch_norm:
                log("peak memory: the same without batch norm, on the compiled loop")
                peak_fast = peak_training_memory(dataclasses.replace(configs[-1], batch_norm=False), data, seed)
    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{_cpu_name()}, {os.cpu_count()} cores",
        "threads": threads,
        "data": data.name,
        "n_train": len(data.x_train),
        "n_test": len(data.x_test),
        "dtype": "float32",
        "kernels": "numba" if kernels.enabled() else "numpy",
        "versions": _versions(),
    }
    return BenchReport(meta, results, peak, peak_fast)


def _cell(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def format_table(report: BenchReport) -> str:
    """A Markdown table: one row per library and configuration, then the machine and memory lines."""
    header = (
        "| configuration | library | s/epoch | samples/s | test acc | × PyTorch | × fastest peer | GEMM limit "
        "| infer/s | infer GEMM limit |"
    )
    lines = [header, "|" + "---|" * 2 + "---:|" * 8]
    for result in report.results:
        for run in result.runs:
            name = f"{result.config.name}" if run is result.runs[0] else ""
            if not run.ran:
                lines.append(f"| {name} | {run.library} | {run.note} | | | | | | | |")
                continue
            lines.append(
                f"| {name} | {run.library} | {run.median_epoch:.3f} | {run.samples_per_s:,.0f} | "
                f"{_cell(run.test_accuracy, '.4f')} | {_cell(result.ratio_to_torch(run), '.2f')} | "
                f"{_cell(result.ratio_to_fastest_peer(run), '.2f')} | "
                f"{_cell(result.gemm_fraction(run), '.0%')} | {_cell(run.inference_per_s, ',.0f')} | "
                f"{_cell(result.inference_fraction(run), '.0%')} |"
            )
    meta = report.meta
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    lines.append("")
    lines.append(
        f"{meta['machine']}; {meta['threads']} threads; {meta['data']} ({meta['n_train']:,} train, "
        f"{meta['n_test']:,} test), float32; mlplab kernels: {meta['kernels']}; {meta['date']}"
    )
    lines.append(versions)
    lines.append(
        "s/epoch: median of the timed epochs; × fastest peer: the epoch time over that of the fastest library "
        "other than mlplab in the configuration; GEMM limit: the epoch's matrix products alone over the epoch "
        "time; infer/s: test samples per second at batch 1000; infer GEMM limit: the forward products alone "
        "over the inference time."
    )
    general = [
        f"{r.config.name} ({run.path.removeprefix('general (').removesuffix(')')})"
        for r in report.results
        for run in r.runs
        if run.library == "mlplab" and run.ran and run.path not in ("", "compiled")
    ]
    if general:
        lines.append("mlplab trained on its general loop, not the compiled one: " + "; ".join(general) + ".")
    if report.peak_memory_bytes is not None and report.results:
        fast = report.peak_memory_fast_bytes
        lines.append(
            f"Peak memory training {report.results[-1].config.name} beyond the data: "
            f"{report.peak_memory_bytes / 2**20:.1f} MB"
            + ("." if fast is None else f"; without batch norm, on the compiled loop: {fast / 2**20:.1f} MB.")
        )
    return "\n".join(lines)

"""The benchmark suite: mlplab against PyTorch and scikit-learn on the same data and threads.

Run it as ``mlplab bench`` (``--quick`` for a small smoke run). Every
configuration is trained by mlplab through its public ``fit``, by a plain
PyTorch loop and by scikit-learn's ``MLPClassifier``; the table gives the
median epoch time, samples per second, test accuracy, the ratio to PyTorch,
the fraction of the GEMM limit (:mod:`mlplab.bench.gemm`) and inference
throughput.
"""

from .configs import CONFIGS, INFERENCE_BATCH, BenchConfig, select
from .data import load_bench_data
from .gemm import gemm_limit_epoch
from .result import RunResult
from .suite import PEERS, BenchReport, ConfigResult, format_table, run_suite

__all__ = [
    "CONFIGS",
    "INFERENCE_BATCH",
    "PEERS",
    "BenchConfig",
    "BenchReport",
    "ConfigResult",
    "RunResult",
    "format_table",
    "gemm_limit_epoch",
    "load_bench_data",
    "run_suite",
    "select",
]

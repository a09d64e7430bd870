"""The benchmark suite: mlplab against PyTorch, scikit-learn and JAX on the same data and threads.

Run it as ``mlplab bench`` (``--quick`` for a small smoke run). Every
configuration is trained by mlplab through its public ``fit``, by a plain
PyTorch loop, by scikit-learn's ``MLPClassifier`` and by JAX in two forms
(:mod:`mlplab.bench.jax_peer`: a jitted step per batch, and a jitted
``lax.scan`` per epoch); the table gives the median epoch time, samples per
second, test accuracy, the ratios to PyTorch and to the fastest peer, the
fraction of the GEMM limit (:mod:`mlplab.bench.gemm`) and inference
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

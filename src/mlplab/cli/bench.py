"""``mlplab bench``: the speed benchmark against PyTorch, scikit-learn and JAX, as a table and JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from .._atomic import atomic_write

QUICK_TRAIN, QUICK_TEST, QUICK_EPOCHS = 2_000, 500, 2


def add_bench_parser(sub: Any) -> None:
    """Register the ``bench`` subcommand."""
    from ..bench import CONFIGS, PEERS

    p = sub.add_parser("bench", help="time training and inference against PyTorch, scikit-learn and JAX")
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_TRAIN} training samples, {QUICK_EPOCHS} epochs (figures are not meaningful)",
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="configurations whose name contains NAME (a whole name: that one alone): "
        + ", ".join(c.name for c in CONFIGS),
    )
    p.add_argument(
        "--peers",
        nargs="*",
        choices=PEERS,
        default=list(PEERS),
        help="peers to run (default all; none: mlplab alone); jax-step is a jitted step per batch, "
        "jax-scan a jitted lax.scan per epoch",
    )
    p.add_argument("--threads", type=int, default=2, help="threads for every library: BLAS, PyTorch, XLA (default 2)")
    p.add_argument(
        "--epochs", type=int, help="timed epochs per configuration (default 3; 2 at batch 1, 10 for full batch)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    p.add_argument("--output", help="also write the results as JSON to this file")
    p.add_argument("--json", action="store_true", help="print the results as one JSON line last")


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the suite and print its table (and JSON when asked)."""
    from .._validation import check_positive_int
    from ..bench import CONFIGS, format_table, load_bench_data, run_suite, select

    threads = check_positive_int("--threads", args.threads)
    configs = select(CONFIGS, args.only)
    if args.epochs is not None:
        configs = [dataclasses.replace(c, epochs=check_positive_int("--epochs", args.epochs)) for c in configs]
    elif args.quick:
        configs = [dataclasses.replace(c, epochs=QUICK_EPOCHS) for c in configs]
    data = load_bench_data(QUICK_TRAIN, QUICK_TEST) if args.quick else load_bench_data()

    def log(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    report = run_suite(
        configs, data, threads=threads, peers=args.peers, seed=args.seed, measure_memory=not args.no_memory, log=log
    )
    report.meta["quick"] = bool(args.quick)
    print(format_table(report))
    document = report.to_dict()
    if args.output:
        with atomic_write(args.output) as f:
            f.write((json.dumps(document, indent=2) + "\n").encode())
    if args.json:
        print(json.dumps(document))
    return 0

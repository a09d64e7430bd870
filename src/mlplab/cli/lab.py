"""``mlplab lab``: run the lab's experiments and write their report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


def add_lab_parser(sub: Any) -> None:
    """Register the ``lab`` subcommand."""
    from ..lab.base import ORDER

    p = sub.add_parser("lab", help="run lecture experiments (figures, numbers, an HTML report)")
    p.add_argument("names", nargs="+", metavar="NAME", help="experiments to run, or 'all': " + ", ".join(ORDER))
    p.add_argument("--out", help="output folder (default lab-<date>-<time> in the current folder)")
    p.add_argument("--quick", action="store_true", help="tiny data and few epochs (a smoke run)")
    p.add_argument("--seed", type=int, default=0)


def cmd_lab(args: argparse.Namespace) -> int:
    """Run the experiments; print where the report is."""
    from ..lab import run_experiments

    out = Path(args.out) if args.out else Path(f"lab-{time.strftime('%Y%m%d-%H%M%S')}")

    def log(message: str) -> None:
        print(f"lab: {message}", file=sys.stderr, flush=True)

    results = run_experiments(args.names, out, quick=args.quick, seed=args.seed, log=log)
    claims = [c for r in results for c in r.claims]
    print(
        f"{len(results)} experiments, {sum(c.supported for c in claims)} of {len(claims)} claims supported, "
        f"{sum(r.seconds for r in results):.0f} s"
    )
    print(f"report: {out / 'report.html'}")
    return 0

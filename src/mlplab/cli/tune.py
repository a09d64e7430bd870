"""``mlplab tune``: a hyper-parameter search over ``mlplab train`` options (see :mod:`mlplab.tune`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .train import EXIT_INTERRUPTED, add_option_flags, given_options

FIXING_FLAGS = ["dataset", "epochs", "data_dir"]
"""Options a flag fixes for every trial, over the space file (``--out`` and ``--seed`` are the search's own)."""


def add_tune_parser(sub: Any) -> None:
    p = sub.add_parser(
        "tune",
        help="search hyper-parameters (grid, random or TPE) and retrain the best configuration",
        description="Search mlplab train options with Optuna. The search space is a train config file "
        "where searched options are {low, high[, log][, step]} or {choices: [...]}; without --config, "
        "a built-in space around the default recipe (widths, lr, batch size, dropout, L2).",
    )
    p.add_argument("--config", help="search space: YAML or TOML in the format of mlplab train --config")
    add_option_flags(p, FIXING_FLAGS)
    p.add_argument(
        "--sampler",
        choices=("tpe", "random", "grid"),
        help="tpe (Bayesian), random or grid (default: the study's own, or tpe for a new one)",
    )
    p.add_argument("--n-trials", type=int, help="trials of the whole study (default 20; grid: its size)")
    p.add_argument(
        "--metric",
        choices=("val_accuracy", "val_loss"),
        help="validation metric to optimize (default: the study's own, or val_accuracy)",
    )
    p.add_argument(
        "--pruner", choices=("median", "halving", "none"), default="median", help="early stop of unpromising trials"
    )
    p.add_argument("--workers", type=int, default=1, help="worker processes on this machine (default 1)")
    p.add_argument(
        "--storage",
        help="database URL shared by several machines, e.g. postgresql://user:pw@host/db "
        "(default: a journal file in --out)",
    )
    p.add_argument("--study", default="mlplab-tune", help="study name in the storage (default mlplab-tune)")
    p.add_argument("--out", default="tune", help="results folder (default tune/); the same folder resumes the search")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler (trials train with the config's seed)")
    p.add_argument("--no-final", action="store_true", help="skip retraining the best configuration and testing it")
    p.add_argument("--json", action="store_true", help="print the outcome as one JSON line last")
    p.add_argument("--quiet", action="store_true", help="no line per trial")


def cmd_tune(args: argparse.Namespace) -> int:
    from ..tune import DEFAULT_SPACE, SearchSpace, stored_space, tune

    flags = given_options(args, FIXING_FLAGS)
    try:
        if args.config:
            space = SearchSpace.from_file(args.config, flags)
        elif args.storage:
            space = stored_space(args.storage, args.study, flags)
        else:
            space = SearchSpace.from_mapping(DEFAULT_SPACE, flags)
        result = tune(
            space,
            args.out,
            sampler=args.sampler,
            n_trials=args.n_trials,
            metric=args.metric,
            pruner=args.pruner,
            workers=args.workers,
            storage=args.storage,
            study_name=args.study,
            seed=args.seed,
            final=not args.no_final,
            verbose=not (args.quiet or args.json),
        )
    except RuntimeError as error:
        print(f"mlplab tune: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: finished trials are kept; run the same command to resume (results in {args.out})",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except Exception as error:
        if type(error).__module__.split(".")[0] not in ("sqlalchemy", "psycopg", "psycopg2") and not isinstance(
            error, ImportError
        ):
            raise
        print(
            f"mlplab tune: error: cannot use the storage {_without_password(args.storage)}: "
            f"{str(error).splitlines()[0]}",
            file=sys.stderr,
        )
        return 1
    summary = result.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        best = "none complete" if result.best_value is None else f"{result.best_value:.4f} (trial {result.best_number})"
        print(f"best {result.metric}: {best}; trials: {summary['trials']}; {result.search_seconds:.0f} s searching")
        if result.final:
            print(
                f"best configuration retrained on train + validation: test accuracy {result.final['test_accuracy']:.4f}"
            )
        if result.best_config:
            print(f"best configuration: {summary['best_config']}   (mlplab train --config {summary['best_config']})")
        print(f"report: {summary['report']}")
    return 0


def _without_password(url: str | None) -> str:
    """``postgresql://user:***@host/db``: a URL fit to print."""
    if not url or "@" not in url or "://" not in url:
        return str(url)
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else url

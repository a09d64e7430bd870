"""``mlplab train``: the flags come from the recipe's options table; the run is :func:`mlplab.recipe.train_run`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ..recipe import FLAG, OPTIONS, Config, Flag, Sizes, load_config, train_run

EXIT_INTERRUPTED = 130


def add_option_flags(parser: argparse.ArgumentParser, names: list[str] | None = None) -> None:
    """One ``--flag`` per option of the table (or of ``names``), its help and default from the table.

    Values arrive as the user typed them (strings) and are checked by the option's rule, so a
    bad value is reported as ``--lr: ...`` with the rule, as a config file's would be.
    """
    for name in names or list(OPTIONS):
        option = OPTIONS[name]
        flag = "--" + name.replace("_", "-")
        default = option.default if not isinstance(option.default, tuple) else " ".join(map(str, option.default))
        text = f"{option.help} (default: {'none' if default is None else default})"
        if isinstance(option.rule, Flag):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif isinstance(option.rule, Sizes):
            parser.add_argument(flag, nargs="*", metavar="N", help=text)
        else:
            parser.add_argument(flag, metavar=name.upper(), help=text)


def given_options(args: argparse.Namespace, names: list[str] | None = None) -> dict[str, Any]:
    """The options (of the table, or of ``names``) set on the command line; flags not given are ``None`` and left out."""
    wanted = OPTIONS if names is None else names
    return {name: value for name, value in vars(args).items() if name in wanted and value is not None}


def add_train_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model and write a run folder with a report")
    p.add_argument("--config", help="YAML or TOML file of options (flags override it)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its checkpoint")
    add_option_flags(p)
    p.add_argument("--name", help="run folder name (default: dataset and time)")
    p.add_argument("--json", action="store_true", help="print the final metrics as one JSON line")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _run_folder(args: argparse.Namespace) -> tuple[Config, Path]:
    """The configuration (defaults or the run's own, then ``--config``, then flags) and the run folder."""
    if args.resume:
        run_dir = Path(args.resume)
        config = load_config(run_dir / "config.yaml")
    else:
        config = Config()
    if args.config:
        config = load_config(args.config, config)
    config = config.updated(given_options(args), FLAG)
    if not args.resume:
        name = args.name or f"{config.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir = Path(config.out) / name
        if run_dir.exists() and any(run_dir.iterdir()):
            raise FileExistsError(
                f"run folder {run_dir} exists and is not empty; give another --name, "
                f"or continue it with --resume {run_dir}"
            )
    return config, run_dir


def cmd_train(args: argparse.Namespace) -> int:
    from ..training import TrainingDiverged

    config, run_dir = _run_folder(args)
    try:
        results = train_run(config, run_dir, resume=bool(args.resume), verbose=0 if args.quiet or args.json else 1)
    except KeyboardInterrupt:
        print(f"\ninterrupted: checkpoint saved; continue with  mlplab train --resume {run_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TrainingDiverged as error:
        print(f"training diverged: {error}. The last good model is in {run_dir}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(results))
    else:
        print(
            f"test accuracy {results['test_accuracy']:.4f}  test loss {results['test_loss']:.4f}  "
            f"({results['epochs']} epochs, {results['train_seconds']:.1f} s)"
        )
        print(f"report: {results['report']}")
    return 0

"""``mlplab train``: the flags come from the recipe's options table; the run is :func:`mlplab.recipe.train_run`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..recipe import FLAG, OPTIONS, Config, Flag, Sizes, create_run_folder, load_config, load_data, train_run

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


def _configuration(args: argparse.Namespace) -> Config:
    """The defaults (or the resumed run's own configuration), then ``--config``, then the flags."""
    config = load_config(Path(args.resume) / "config.yaml") if args.resume else Config()
    if args.config:
        config = load_config(args.config, config)
    return config.updated(given_options(args), FLAG)


def _what_is_left(run_dir: Path) -> str:
    """Which model files a diverged run left, and what they hold."""
    best, last = run_dir / "best.npz", run_dir / "last.npz"
    if not best.exists():
        return f"No model was saved in {run_dir}: it diverged before its first epoch ended"
    return f"The best model so far is {best}, the last good epoch's {last}"


def cmd_train(args: argparse.Namespace) -> int:
    from ..training import TrainingDiverged

    config = _configuration(args)
    data = load_data(config)  # a data set that cannot be loaded is refused before anything is written
    if args.resume:
        run_dir = Path(args.resume)
    else:
        run_dir = create_run_folder(Path(config.out), args.name, data.name)
    try:
        results = train_run(
            config, run_dir, data=data, resume=bool(args.resume), verbose=0 if args.quiet or args.json else 1
        )
    except KeyboardInterrupt:
        print(f"\ninterrupted: continue with  mlplab train --resume {run_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TrainingDiverged as error:
        print(f"training diverged: {error}. {_what_is_left(run_dir)}", file=sys.stderr)
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

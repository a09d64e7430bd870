"""The ``mlplab`` command line: ``train``, ``evaluate``, ``predict``, ``info``, ``tune``, ``playground``, ``bench`` and ``lab``.

Built on :mod:`argparse`, whose ``nargs="+"`` reads ``--hidden 256 128`` as
the lectures write layer sizes. Every ``train`` option can also come from a
YAML or TOML file (``--config``); flags given on the command line win.
"""

from __future__ import annotations

import argparse
import errno
import sys
import traceback
from collections.abc import Callable

from .. import __version__
from .bench import add_bench_parser, cmd_bench
from .lab import add_lab_parser, cmd_lab
from .model import add_model_parsers, cmd_evaluate, cmd_info, cmd_predict
from .playground import add_playground_parser, cmd_playground
from .train import EXIT_INTERRUPTED, add_train_parser, cmd_train
from .tune import add_tune_parser, cmd_tune

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "info": cmd_info,
    "tune": cmd_tune,
    "playground": cmd_playground,
    "bench": cmd_bench,
    "lab": cmd_lab,
}
EXIT_ERROR, EXIT_BAD_INPUT = 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplab", description="Feed-forward neural networks from scratch on NumPy.")
    parser.add_argument("--version", action="version", version=f"mlplab {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    add_train_parser(sub)
    add_model_parsers(sub)
    add_tune_parser(sub)
    add_playground_parser(sub)
    add_bench_parser(sub)
    add_lab_parser(sub)
    for command in sub.choices.values():  # mlplab train ... --debug works as well as mlplab --debug train ...
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error"
        )
    return parser


def describe(error: BaseException) -> tuple[int, str]:
    """The exit status and the one line that tell a user what went wrong."""
    if isinstance(error, (ValueError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)):
        return EXIT_BAD_INPUT, str(error)
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        if error.errno == errno.ENOSPC:
            return EXIT_ERROR, f"the disk is full{where}; what was written before is intact"
        return EXIT_ERROR, f"{error.strerror or error}{where}"
    if isinstance(error, MemoryError):
        return EXIT_ERROR, "out of memory; try a smaller --batch-size or model"
    if isinstance(error, RecursionError):
        return EXIT_ERROR, "the input is nested too deeply"
    return (
        EXIT_ERROR,
        f"{type(error).__name__}: {error} (an mlplab bug; run again with --debug and report the traceback)",
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlplab`` command; returns the exit status.

    Any error ends in one line naming the problem and a non-zero status (2 for bad input, 1 for
    the rest); ``--debug`` shows the traceback instead.
    """
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(f"\nmlplab {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        status, text = describe(error)
        print(f"mlplab {args.command}: error: {text}", file=sys.stderr)
        return status

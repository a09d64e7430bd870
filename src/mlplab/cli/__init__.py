"""The ``mlplab`` command line: ``train``, ``evaluate``, ``predict``, ``info``, ``tune``, ``playground``, ``bench`` and ``lab``.

Built on :mod:`argparse`, whose ``nargs="+"`` reads ``--hidden 256 128`` as
the lectures write layer sizes. Every ``train`` option can also come from a
YAML or TOML file (``--config``); flags given on the command line win.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..recipe import DATASETS, Config, load_config
from .bench import add_bench_parser, cmd_bench
from .lab import add_lab_parser, cmd_lab
from .playground import add_playground_parser, cmd_playground
from .train import add_train_parser, cmd_train
from .tune import add_tune_parser, cmd_tune


def _model_parsers(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="accuracy and loss of a saved model on a dataset's test split")
    p.add_argument("model", help="model file (.npz) or run folder")
    p.add_argument("--dataset", choices=DATASETS, help="default: the run's dataset")
    p.add_argument("--data-dir")
    p.add_argument("--split", choices=("test", "train"), default="test")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("predict", help="predicted classes for inputs in a .npy, .csv or IDX file")
    p.add_argument("model", help="model file (.npz) or run folder")
    p.add_argument("inputs")
    p.add_argument("--output", help="write a CSV (label and class probabilities) instead of printing labels")
    p = sub.add_parser("info", help="summary of a saved model")
    p.add_argument("model", help="model file (.npz) or run folder")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplab", description="Feed-forward neural networks from scratch on NumPy.")
    parser.add_argument("--version", action="version", version=f"mlplab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_train_parser(sub)
    _model_parsers(sub)
    add_tune_parser(sub)
    add_playground_parser(sub)
    add_bench_parser(sub)
    add_lab_parser(sub)
    return parser


def _model_path(path: str) -> Path:
    p = Path(path)
    return p / "best.npz" if p.is_dir() else p


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .. import metrics
    from ..functional import softmax
    from ..persistence import load
    from ..recipe import FLAG, load_data

    path = _model_path(args.model)
    model = load(path)
    run_config = path.parent / "config.yaml"
    config = load_config(run_config) if run_config.exists() else Config()
    config = config.updated(
        {k: v for k, v in (("dataset", args.dataset), ("data_dir", args.data_dir)) if v is not None}, FLAG
    )
    data = load_data(config)
    x, y = (data.x_test, data.y_test) if args.split == "test" else (data.x_train, data.y_train)
    scores = model.forward(x)
    results = {
        "dataset": data.name,
        "split": args.split,
        "accuracy": metrics.accuracy(y, scores),
        "loss": metrics.log_loss(y, softmax(scores.astype(np.float64), axis=1)),
        "samples": int(len(y)),
    }
    print(
        json.dumps(results)
        if args.json
        else "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in results.items())
    )
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from ..functional import softmax
    from ..persistence import load
    from .inputs import read_inputs

    model = load(_model_path(args.model))
    probabilities = softmax(model.forward(read_inputs(args.inputs)).astype(np.float64), axis=1)
    labels = probabilities.argmax(axis=1)
    if args.output:
        header = "label," + ",".join(f"p{k}" for k in range(probabilities.shape[1]))
        table = np.column_stack([labels, probabilities])
        np.savetxt(
            args.output,
            table,
            delimiter=",",
            header=header,
            comments="",
            fmt=["%d"] + ["%.6f"] * probabilities.shape[1],
        )
        print(f"wrote {len(labels)} predictions to {args.output}")
    else:
        print("\n".join(str(int(label)) for label in labels))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from ..persistence import load

    print(load(_model_path(args.model)).summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mlplab`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    commands = {
        "train": cmd_train,
        "evaluate": cmd_evaluate,
        "predict": cmd_predict,
        "info": cmd_info,
        "tune": cmd_tune,
        "playground": cmd_playground,
        "bench": cmd_bench,
        "lab": cmd_lab,
    }
    try:
        return commands[args.command](args)
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        print(f"mlplab {args.command}: error: {error}", file=sys.stderr)
        return 2

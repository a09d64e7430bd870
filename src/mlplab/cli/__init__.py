"""The ``mlplab`` command line: ``train``, ``evaluate``, ``predict``, ``info``, ``tune``, ``playground``, ``bench`` and ``lab``.

Built on :mod:`argparse`, whose ``nargs="+"`` reads ``--hidden 256 128`` as
the lectures write layer sizes. Every ``train`` option can also come from a
YAML or TOML file (``--config``); flags given on the command line win.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .bench import add_bench_parser, cmd_bench
from .config import DATASETS, DEFAULTS, read_config_file, resolve
from .lab import add_lab_parser, cmd_lab
from .playground import add_playground_parser, cmd_playground
from .tune import add_tune_parser, cmd_tune

EXIT_INTERRUPTED = 130


def _train_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model and write a run folder with a report")
    p.add_argument("--config", help="YAML or TOML file of options (flags override it)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its checkpoint")
    p.add_argument("--dataset", choices=DATASETS)
    p.add_argument("--data-dir", help="folder holding the IDX files (else $MLPLAB_DATA, ~/.cache/mlplab, /usr/share/datasets)")
    p.add_argument("--download", action=argparse.BooleanOptionalAction, default=None, help="download MNIST-style files if missing")
    p.add_argument("--hidden", type=int, nargs="*", metavar="N", help="hidden layer sizes, e.g. --hidden 256 128 (none given: no hidden layer)")
    p.add_argument("--activation")
    p.add_argument("--loss")
    p.add_argument("--optimizer")
    p.add_argument("--lr", type=float)
    p.add_argument("--schedule", help="constant, linear, exponential, step, plateau or none")
    p.add_argument("--batch-size", type=int, help="0 for the whole set (batch gradient descent)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--dropout", type=float)
    p.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--l1", type=float)
    p.add_argument("--l2", type=float)
    p.add_argument("--clip-value", type=float)
    p.add_argument("--clip-norm", type=float)
    p.add_argument("--init")
    p.add_argument("--patience", type=int, help="early-stopping patience in epochs (0: off)")
    p.add_argument("--val-fraction", type=float)
    p.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--expand", action=argparse.BooleanOptionalAction, default=None, help="add 1-pixel shifted copies")
    p.add_argument("--points", type=int, help="points of a 2-D set (xor, moons, circles, spirals, blobs; default 1000)")
    p.add_argument("--noise", type=float, help="noise of a 2-D set (default: the set's own; xor with noise: four clouds)")
    p.add_argument("--test-fraction", type=float, help="share of a 2-D set or digits held out for testing (default 0.2)")
    p.add_argument("--seed", type=int)
    p.add_argument("--out", help="parent folder of run folders (default runs/)")
    p.add_argument("--name", help="run folder name (default: dataset and time)")
    p.add_argument("--json", action="store_true", help="print the final metrics as one JSON line")
    p.add_argument("--quiet", action="store_true", help="no progress output")


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
    _train_parser(sub)
    _model_parsers(sub)
    add_tune_parser(sub)
    add_playground_parser(sub)
    add_bench_parser(sub)
    add_lab_parser(sub)
    return parser


def _model_path(path: str) -> Path:
    p = Path(path)
    return p / "best.npz" if p.is_dir() else p


def cmd_train(args: argparse.Namespace) -> int:
    from ..training import TrainingDiverged
    from .train import train

    flags = {k: v for k, v in vars(args).items() if k in DEFAULTS}
    if args.resume:
        run_dir = Path(args.resume)
        config = resolve(flags, args.config, base=read_config_file(run_dir / "config.yaml"))
    else:
        config = resolve(flags, args.config)
        name = args.name or f"{config['dataset']}-{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir = Path(config["out"]) / name
    try:
        results = train(config, run_dir, resume=bool(args.resume), verbose=0 if args.quiet or args.json else 1)
    except KeyboardInterrupt:
        print(f"\ninterrupted: checkpoint saved; continue with  mlplab train --resume {run_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TrainingDiverged as error:
        print(f"training diverged: {error}. The last good model is in {run_dir}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(results))
    else:
        print(f"test accuracy {results['test_accuracy']:.4f}  test loss {results['test_loss']:.4f}  "
              f"({results['epochs']} epochs, {results['train_seconds']:.1f} s)")
        print(f"report: {results['report']}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .. import metrics
    from ..functional import softmax
    from ..persistence import load
    from .data import load_dataset

    path = _model_path(args.model)
    model = load(path)
    run_config = path.parent / "config.yaml"
    base = read_config_file(run_config) if run_config.exists() else dict(DEFAULTS)
    config = resolve({"dataset": args.dataset, "data_dir": args.data_dir}, base=base)
    data = load_dataset(config)
    x, y = (data.x_test, data.y_test) if args.split == "test" else (data.x_train, data.y_train)
    scores = model.forward(x)
    results = {
        "dataset": data.name,
        "split": args.split,
        "accuracy": metrics.accuracy(y, scores),
        "loss": metrics.log_loss(y, softmax(scores.astype(np.float64), axis=1)),
        "samples": int(len(y)),
    }
    print(json.dumps(results) if args.json else "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in results.items()))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from ..functional import softmax
    from ..persistence import load
    from .data import read_inputs

    model = load(_model_path(args.model))
    probabilities = softmax(model.forward(read_inputs(args.inputs)).astype(np.float64), axis=1)
    labels = probabilities.argmax(axis=1)
    if args.output:
        header = "label," + ",".join(f"p{k}" for k in range(probabilities.shape[1]))
        table = np.column_stack([labels, probabilities])
        np.savetxt(args.output, table, delimiter=",", header=header, comments="", fmt=["%d"] + ["%.6f"] * probabilities.shape[1])
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
    commands = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "info": cmd_info, "tune": cmd_tune, "playground": cmd_playground, "bench": cmd_bench, "lab": cmd_lab}
    try:
        return commands[args.command](args)
    except (FileNotFoundError, ValueError) as error:
        print(f"mlplab {args.command}: error: {error}", file=sys.stderr)
        return 2

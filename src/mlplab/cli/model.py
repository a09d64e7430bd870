"""``mlplab evaluate``, ``predict`` and ``info``: what a saved model (a run folder or a model file) does."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from .train import add_option_flags, given_options

INTEGER_INPUT_SCALE = "integer_input_scale"
"""The key, in a model file's info, of the factor that turns raw integer samples into the model's inputs."""


def add_model_parsers(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="accuracy and loss of a saved model on a dataset's test split")
    p.add_argument("model", help="model file (.npz) or run folder")
    add_option_flags(p, ["dataset", "data_dir"])
    p.add_argument("--split", choices=("test", "train"), default="test")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("predict", help="predicted classes for inputs in a .npy, .csv, .txt or IDX file")
    p.add_argument("model", help="model file (.npz) or run folder")
    p.add_argument(
        "inputs", help="one sample per row; integer arrays (.npy, IDX) are raw pixels, scaled as in training"
    )
    p.add_argument("--output", help="write a CSV (label and class probabilities) instead of printing labels")
    p = sub.add_parser("info", help="summary of a saved model")
    p.add_argument("model", help="model file (.npz) or run folder")


def model_path(path: str) -> Path:
    """A run folder's ``best.npz``, or the model file itself."""
    p = Path(path)
    return p / "best.npz" if p.is_dir() else p


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .. import metrics
    from ..functional import softmax
    from ..persistence import load
    from ..recipe import FLAG, Config, load_config, load_data

    path = model_path(args.model)
    model = load(path)
    run_config = path.parent / "config.yaml"
    config = load_config(run_config) if run_config.exists() else Config()
    data = load_data(config.updated(given_options(args, ["dataset", "data_dir"]), FLAG))
    x, y = (data.x_test, data.y_test) if args.split == "test" else (data.x_train, data.y_train)
    scores = model.forward(x)
    results = {
        "dataset": data.name,
        "split": args.split,
        "accuracy": metrics.accuracy(y, scores),
        "loss": metrics.log_loss(y, softmax(scores.astype(np.float64), axis=1)),
        "samples": int(len(y)),
    }
    text = "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in results.items())
    print(json.dumps(results) if args.json else text)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .._atomic import atomic_write
    from ..functional import softmax
    from ..persistence import load, load_info
    from .inputs import model_inputs, read_inputs

    path = model_path(args.model)
    model = load(path)
    x = model_inputs(read_inputs(args.inputs), load_info(path).get(INTEGER_INPUT_SCALE), args.inputs)
    probabilities = softmax(model.forward(x).astype(np.float64), axis=1)
    labels = probabilities.argmax(axis=1)
    if args.output:
        table = io.StringIO()
        header = "label," + ",".join(f"p{k}" for k in range(probabilities.shape[1]))
        formats = ["%d"] + ["%.6f"] * probabilities.shape[1]
        np.savetxt(
            table, np.column_stack([labels, probabilities]), delimiter=",", header=header, comments="", fmt=formats
        )
        with atomic_write(args.output) as f:
            f.write(table.getvalue().encode())
        print(f"wrote {len(labels)} predictions to {args.output}")
    else:
        print("\n".join(str(int(label)) for label in labels))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from ..persistence import load
    from ..recipe import summary

    print(summary(load(model_path(args.model))))
    return 0

#!/usr/bin/env bash
# Install mlplab into .venv and run the main job: train and evaluate the default model, with a report.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/python examples/quickstart.py "$@"

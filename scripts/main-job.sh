#!/usr/bin/env bash
# The main job on a fresh Debian/Ubuntu machine: install Fashion-MNIST and mlplab, then train and
# evaluate the default model (784-512-256-10, about a minute on 2 cores) and print where the report is.
# Extra arguments go to `mlplab train` (e.g. --epochs 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-data.sh
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[fast,sklearn]'
exec .venv/bin/mlplab train "$@"

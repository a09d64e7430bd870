#!/usr/bin/env bash
# Install Fashion-MNIST (for the tests that use it), mlplab and its test dependencies into .venv, then run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-data.sh
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"

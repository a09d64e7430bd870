#!/usr/bin/env bash
# Install Fashion-MNIST, PostgreSQL and Chromium (for the tests that use them), mlplab and its test dependencies into .venv,
# then run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-data.sh
bash scripts/install-postgres.sh
bash scripts/install-chromium.sh
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest -q "$@"

#!/usr/bin/env bash
# Install Fashion-MNIST, PostgreSQL and Chromium (for the tests that use them), mlplab and its test dependencies into .venv,
# then run the tests. Arguments go to pytest (`bash scripts/test.sh -k losses`, `bash scripts/test.sh -m "not slow"`).
#
# With MLPLAB_LINT=1 (as .ci/run sets it) the linters run first as well: `ruff check`, `ruff format --check` and
# `mypy`; every check runs, and the script fails if any of them or pytest failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-data.sh
bash scripts/install-postgres.sh
bash scripts/install-chromium.sh
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

if [[ "${MLPLAB_LINT:-0}" != 1 ]]; then
    exec .venv/bin/python -m pytest -q "$@"
fi

failed=()
check() {
    echo "+ $*"
    "$@" || failed+=("$*")
}
check .venv/bin/ruff check --output-format concise
check .venv/bin/ruff format --check
check .venv/bin/mypy
set +e
.venv/bin/python -m pytest -q "$@"
status=$?
set -e
if (( ${#failed[@]} )); then
    printf 'failed: %s\n' "${failed[@]}" >&2
    (( status != 0 )) || status=1
fi
exit "$status"

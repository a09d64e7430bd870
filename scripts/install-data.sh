#!/usr/bin/env bash
# Install Fashion-MNIST from Debian's package dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist).
# Skips quietly when the files are already there; warns (and goes on) where apt cannot be used.
set -uo pipefail
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: apt-get not found; get Fashion-MNIST yourself (see README) — mlplab falls back to the digits set" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null 2>&1 || true
if ! $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; then
    echo "note: could not install dataset-fashion-mnist with apt-get — mlplab falls back to the digits set" >&2
fi
exit 0

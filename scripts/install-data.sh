#!/usr/bin/env bash
# Install Fashion-MNIST from Debian's package dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist).
exec bash "$(dirname "$0")/apt-install.sh" dataset-fashion-mnist \
    /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz "mlplab falls back to the digits set"

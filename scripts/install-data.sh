#!/usr/bin/env bash
# Install Fashion-MNIST from Debian's package dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist).
exec bash "$(dirname "$0")/apt-install.sh" dataset-fashion-mnist \
    /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz "mlplab uses synthetic images of the same shape instead (named synthetic)"

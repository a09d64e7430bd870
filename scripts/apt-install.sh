#!/usr/bin/env bash
# apt-install.sh PACKAGE MARKER WITHOUT: install a Debian package unless MARKER (a path or glob) exists.
# Warns with WITHOUT (what happens without the package) and goes on where apt cannot be used.
set -uo pipefail
package="$1" marker="$2" without="$3"
if compgen -G "$marker" >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: apt-get not found; install $package yourself — $without" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null 2>&1 || true
if ! $SUDO apt-get install -y -qq "$package" >/dev/null 2>&1; then
    echo "note: could not install $package with apt-get — $without" >&2
fi
exit 0

#!/usr/bin/env bash
# Install Debian's chromium for the playground's browser tests (driven by Playwright; no browser download).
exec bash "$(dirname "$0")/apt-install.sh" chromium /usr/bin/chromium "the playground's browser tests will be skipped"

#!/usr/bin/env bash
# Install PostgreSQL's server binaries (Debian's package postgresql) for the tests of studies shared through a
# database; the tests start a throwaway server of their own, and are skipped with the reason without one.
exec bash "$(dirname "$0")/apt-install.sh" postgresql \
    "/usr/lib/postgresql/*/bin/initdb" "the shared-study tests will be skipped"

#!/bin/sh
# Run every test: the normal build's ctest suite (unit, pair, interop with NSS).
# Usage: scripts/run-tests.sh BUILD_DIR
set -eu
BUILD=${1:-build}
cd "$BUILD"
ctest --output-on-failure -j 2

#!/bin/sh
# Run every test: the normal build's ctest suite (unit, pair, interop with real NSS peers), then
# the whole suite again under ASan+UBSan with LeakSanitizer on: the library, the samples and the
# server framework instrumented, NSS peers as they are. Left out of that second pass: the tests
# that compile programs against the installed, uninstrumented-by-design package (embed, install,
# tp_api) and the ThreadSanitizer tests, which make their own TSan builds.
# Usage: scripts/run-tests.sh BUILD_DIR
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=$(nproc)

echo "== tests (normal build)"
(cd "$BUILD" && ctest --output-on-failure -j "$JOBS")

echo "== all tests again under ASan+UBSan (leaks checked)"
ASAN_BUILD="$ROOT/build-asan"
cmake -S "$ROOT" -B "$ASAN_BUILD" -DSSLREF_ASAN=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$ASAN_BUILD" -j "$JOBS" >/dev/null
(cd "$ASAN_BUILD" && \
 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
 LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp \
 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
 ctest --output-on-failure -j "$JOBS" -E '^interop_test_(embed|install|tp_api|.*tsan)$')

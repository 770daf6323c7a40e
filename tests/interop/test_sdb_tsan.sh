#!/bin/bash
# test_sdb_tsan.sh - the session cache's threaded test (8 threads on one handle, exact model
# checks; tests/unit/sdb_mix.h) under ThreadSanitizer, so that a data race on the handle (read
# transaction slots, counters) fails. Configures its own build directory BUILD_DIR/tsan-sdb with
# -DSSLREF_TSAN=ON, builds only the sslref_sessiondb target there, and links the plain-main driver
# tests/interop/sdb_tsan_main.c against it (Criterion cannot start under TSan). Under TSan every
# operation costs 10-50x more, so it runs 10k operations per thread instead of 100k
# (SDB_TEST_OPS overrides): the race detector needs interleavings, not volume.
# Then the memcached tier (tests/interop/sdb_mc_tsan_main.c) the same way, over two real memcached
# daemons (one stopped and continued meanwhile), started on free ports and killed by PID.
# Usage: bash tests/interop/test_sdb_tsan.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T="$BUILD/tsan-sdb"
LOG="$T/tsan-run.log"
CC=${CC:-cc}
mkdir -p "$T"
cmake -S "$SRC" -B "$T" -DSSLREF_TSAN=ON -DSSLREF_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$CC" >"$T/configure.log" 2>&1 || { cat "$T/configure.log"; exit 1; }
cmake --build "$T" -j2 --target sslref_sessiondb >"$T/build.log" 2>&1 ||
    { tail -50 "$T/build.log"; exit 1; }
"$CC" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -fsanitize=thread \
    -fno-omit-frame-pointer -I"$SRC/core/include" -I"$SRC/sessiondb/include" \
    "$SRC/tests/interop/sdb_tsan_main.c" "$T/libsslref_sessiondb.a" -llmdb -lpthread -o "$T/sdb_tsan"
# gcc's TSan runtime may fail to map its shadow under high-entropy ASLR: run without ASLR if we can.
RUN=()
if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then
    RUN=(setarch "$(uname -m)" -R)
fi
set +e
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
    SDB_TEST_OPS=${SDB_TEST_OPS:-10000} "${RUN[@]}" "$T/sdb_tsan" >"$LOG" 2>&1
rc=$?
set -e
cat "$LOG"
if grep -q "WARNING: ThreadSanitizer" "$LOG"; then
    echo "FAIL: ThreadSanitizer reported a race"
    exit 1
fi
if [ $rc -ne 0 ]; then
    echo "FAIL: sdb_tsan exited with $rc"
    exit 1
fi
echo "PASS: session cache threads under ThreadSanitizer"

# ---- the memcached tier ----
command -v memcached >/dev/null || { echo "FAIL: memcached not installed (scripts/install-deps.sh)"; exit 1; }
"$CC" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -fsanitize=thread \
    -fno-omit-frame-pointer -I"$SRC/core/include" -I"$SRC/sessiondb/include" \
    "$SRC/tests/interop/sdb_mc_tsan_main.c" "$T/libsslref_sessiondb.a" "$T/libsslref_core.a" \
    $(pkg-config --libs libmemcached libtomcrypt) -ltommath -lgmp -llmdb -lpthread -o "$T/sdb_mc_tsan"
MCT=$(mktemp -d "${TMPDIR:-/tmp}/sdb-mc-tsan.XXXXXX")
MCPIDS=()
trap 'kill -CONT "${MCPIDS[@]}" 2>/dev/null; kill -KILL "${MCPIDS[@]}" 2>/dev/null; rm -rf "$MCT"' EXIT
PORTS=()
for i in 1 2; do
    for try in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && break
    done
    memcached -u "$(id -un)" -l 127.0.0.1 -p "$p" -U 0 -m 16 >"$MCT/mc$i.log" 2>&1 &
    MCPIDS+=($!)
    disown $!
    PORTS+=("$p")
    for try in $(seq 1 100); do
        [ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && break
        sleep 0.05
    done
done
printf '1 %s\n' "$(openssl rand -hex 32)" >"$MCT/cluster.key"
chmod 600 "$MCT/cluster.key"
set +e
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
    "${RUN[@]}" "$T/sdb_mc_tsan" "$MCT/a" "$MCT/b" "127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]}" \
    "$MCT/cluster.key" "${MCPIDS[1]}" >"$T/tsan-mc-run.log" 2>&1
rc=$?
set -e
cat "$T/tsan-mc-run.log"
if grep -q "WARNING: ThreadSanitizer" "$T/tsan-mc-run.log"; then
    echo "FAIL: ThreadSanitizer reported a race in the memcached tier"
    exit 1
fi
if [ $rc -ne 0 ]; then
    echo "FAIL: sdb_mc_tsan exited with $rc"
    exit 1
fi
echo "PASS: memcached tier threads under ThreadSanitizer"

#!/bin/bash
# test_tp_tsan.sh - the server framework and sslref-bench under ThreadSanitizer. Configures its own
# build directory BUILD_DIR/tsan-tp with -DSSLREF_TSAN=ON, builds sslref-server and sslref-bench
# there, and runs: (1) one process x 4 threads with the LMDB cache, 4 bench threads, full and
# resumed; (2) 2 processes x 2 threads (supervisor, fork, shared counters); (3) handshake timeouts
# of silent clients beside held connections, then SIGTERM with connections open; then (4) the
# server.h API driver of test_tp_api.sh linked against the TSan libraries. Any
# "WARNING: ThreadSanitizer" in either program's output fails the test, as does any bench error.
# Usage: bash tests/interop/test_tp_tsan.sh BUILD_DIR
set -uo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "$1"
T="$BUILD/tsan-tp"
mkdir -p "$T"
cmake -S "$SRC" -B "$T" -DSSLREF_TSAN=ON -DSSLREF_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >"$T/configure.log" 2>&1 || { cat "$T/configure.log"; exit 1; }
cmake --build "$T" -j2 --target sslref-server sslref-bench sslref_threadpool >"$T/build.log" 2>&1 ||
    { tail -50 "$T/build.log"; exit 1; }
BIN="$T/bin"
# gcc's TSan runtime may fail to map its shadow under high-entropy ASLR: run without ASLR if we can.
RUN=()
if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then
    RUN=(setarch "$(uname -m)" -R)
fi
export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
summary_value() { awk -v r="$2" -v c="$3" '$1 == r { print $c }' "$1"; }

# start LOG ARGS...: the TSan server on a free port; sets SRV_PID and SRV_PORT.
start() {
    local log=$1 i
    shift
    : >"$log"
    "${RUN[@]}" "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" \
        --key "$DATA/server-key-pkcs8.pem" --quiet --stats "$@" 2>"$log" &
    SRV_PID=$!
    INTEROP_PIDS+=("$SRV_PID")
    for i in $(seq 1 100); do
        SRV_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$log")
        [ -n "$SRV_PORT" ] && return 0
        sleep 0.1
    done
    fail "TSan server did not start"
    show "$log"
    return 1
}
bench() { "${RUN[@]}" "$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --quiet "$@"; }
clean() { ! grep -q 'WARNING: ThreadSanitizer' "$@"; }

mkdir -m 700 "$TMP/cache"
start "$TMP/s1.log" --threads 4 --cache "$TMP/cache" || exit 1
bench --connections 300 --threads 4 --full-percent 30 >"$TMP/b1.out" 2>"$TMP/b1.err"
r=$?
stop_pid "$SRV_PID" TERM
if [ $r -eq 0 ] && [ "$(summary_value "$TMP/b1.out" errors 2)" = 0 ] && clean "$TMP/s1.log" "$TMP/b1.err" &&
    grep -q '^stats: connections=300 ' "$TMP/s1.log"; then
    pass "1 process x 4 threads, LMDB cache, 300 connections: no race, no error"
else
    fail "1x4 under TSan (exit $r)"
    show "$TMP/s1.log" "$TMP/b1.out" "$TMP/b1.err"
fi

start "$TMP/s2.log" --processes 2 --threads 2 --cache "$TMP/cache" || exit 1
bench --connections 300 --threads 4 --full-percent 30 >"$TMP/b2.out" 2>"$TMP/b2.err"
r=$?
stop_pid "$SRV_PID" TERM
if [ $r -eq 0 ] && [ "$(summary_value "$TMP/b2.out" errors 2)" = 0 ] && clean "$TMP/s2.log" "$TMP/b2.err" &&
    [ "$(grep -c '^stats-process:' "$TMP/s2.log")" -eq 2 ]; then
    pass "2 processes x 2 threads: no race, no error"
else
    fail "2x2 under TSan (exit $r)"
    show "$TMP/s2.log" "$TMP/b2.out" "$TMP/b2.err"
fi

start "$TMP/s3.log" --threads 3 --handshake-timeout 1000 --shutdown-timeout 1000 || exit 1
for i in 1 2 3 4 5 6; do
    (exec 3<>"/dev/tcp/127.0.0.1/$SRV_PORT" && read -r -t 10 -u 3 _) 2>/dev/null &
done
bench --hold 60 --hold-seconds 2 --threads 3 --full-percent 50 >"$TMP/b3.out" 2>"$TMP/b3.err"
r=$?
# connections left open over SIGTERM: the grace period ends them with close_notify
bench --hold 20 --hold-seconds 8 --threads 2 --full-percent 0 --timeout 5 >"$TMP/b4.out" 2>&1 &
held=$!
INTEROP_PIDS+=("$held")
sleep 3
stop_pid "$SRV_PID" TERM
wait "$held" 2>/dev/null
wait
if [ $r -eq 0 ] && grep -q 'held 60 connections open; 60 answered' "$TMP/b3.out" &&
    clean "$TMP/s3.log" "$TMP/b3.err" && grep -q '^stats-detail:.* hs_timeouts=6 ' "$TMP/s3.log"; then
    pass "timeouts beside held connections, SIGTERM with open connections: no race"
else
    fail "timeouts/SIGTERM under TSan (exit $r)"
    show "$TMP/s3.log" "$TMP/b3.out" "$TMP/b3.err"
fi

TP_LIBDIR="$T" TP_CFLAGS=-fsanitize=thread TP_RUN="${RUN[*]}" \
    bash "$SRC/tests/interop/test_tp_api.sh" "$BUILD" >"$TMP/api.log" 2>&1
r=$?
if [ $r -eq 0 ] && clean "$TMP/api.log" && grep -q '^all passed$' "$TMP/api.log"; then
    pass "server.h API driver (back-pressure, overflow, timeouts, close reasons, stop): no race"
else
    fail "API driver under TSan (exit $r)"
    show "$TMP/api.log"
fi
interop_finish

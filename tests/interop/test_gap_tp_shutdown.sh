#!/bin/bash
# test_gap_tp_shutdown.sh - what the supervisor does with connections still open when it is told to
# stop (issue 6: "stop accepting, finish or time out in-flight connections, send close_notify"),
# for SIGINT as well as SIGTERM (test_tp_kill.sh covers SIGTERM under load, not these details).
# sslref-server --processes 2 --threads 2 --mode echo --stats, 20 connections held idle by
# sslref-bench --hold:
# 1. --shutdown-timeout 2000, signal after 1.5 s: a new connection 1 s later is refused, the server
#    exits 0 about 2 s after the signal, and every held connection received close_notify (the bench
#    reports 20 x SSLConnectionClosedGraceful); the final stats line is printed; no worker is left.
# 2. --shutdown-timeout 10000, hold 3 s, SIGTERM after 1.5 s: the held connections finish their
#    request inside the grace (20 answered) and the server exits 0 once they have, well before the
#    grace ends. (Margins are wide: the test machine may be loaded.)
# Usage: bash tests/interop/test_gap_tp_shutdown.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
[ -x "$BIN/sslref-bench" ] || { echo "FAIL: $BIN/sslref-bench not built"; exit 1; }
now_ms() { date +%s%3N; }
workers() { ps -o pid= --ppid "$1" | tr -d ' '; }

# stop_case NAME SIGNAL HOLD_SECONDS [SERVER ARGS...]: start, hold 20 connections, signal after
# 1.5 s, try a new connection 1 s later; sets TOOK (ms from signal to exit), RC, W (workers before),
# LATE_RC (the late client's exit status).
stop_case() {
    local name=$1 sig=$2 hold=$3
    shift 3
    start_sslref_server "$TMP/$name.log" --processes 2 --threads 2 --mode echo --stats --quiet "$@" ||
        return 1
    W=$(workers "$SRV_PID" | tr '\n' ' ')
    "$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --hold 20 --hold-seconds "$hold" \
        --threads 2 --full-percent 0 --timeout 5 --quiet >"$TMP/$name.bench" 2>&1 &
    local bench=$!
    INTEROP_PIDS+=("$bench")
    sleep 1.5
    local t0
    t0=$(now_ms)
    kill "-$sig" "$SRV_PID"
    sleep 1
    timeout 5 "$BIN/sslref-client" --host 127.0.0.1 --port "$SRV_PORT" >/dev/null 2>"$TMP/$name.late"
    LATE_RC=$?
    wait "$SRV_PID"
    RC=$?
    TOOK=$(($(now_ms) - t0))
    wait "$bench"
    return 0
}

left_workers() {
    local n=0 p
    for p in $W; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
    echo $n
}

for sig in INT TERM; do
    name="timeout-$sig"
    stop_case "$name" "$sig" 6 --shutdown-timeout 2000 || { fail "$name: server start"; continue; }
    if [ $LATE_RC -ne 0 ] && ! grep -q '^version=' "$TMP/$name.late"; then
        pass "SIG$sig: a new connection after the signal is refused"
    else
        fail "SIG$sig: a connection made after the signal was served"
        show "$TMP/$name.late"
    fi
    if [ $RC -eq 0 ] && [ $TOOK -ge 1800 ] && [ $TOOK -le 5000 ] && [ "$(left_workers)" -eq 0 ] &&
        grep -q '^stats: connections=20 full=[0-9]* resumed=[0-9]* failures=0$' "$TMP/$name.log"; then
        pass "SIG$sig: exit 0 ${TOOK} ms after the signal (shutdown timeout 2000 ms), stats, no worker left"
    else
        fail "SIG$sig: exit $RC after ${TOOK} ms, $(left_workers) workers left"
        show "$TMP/$name.log"
    fi
    if grep -q 'held 20 connections open; 0 answered afterwards' "$TMP/$name.bench" &&
        grep -q '20 x SSLConnectionClosedGraceful' "$TMP/$name.bench"; then
        pass "SIG$sig: every held connection got close_notify when the grace ran out"
    else
        fail "SIG$sig: held connections were not closed with close_notify"
        show "$TMP/$name.bench"
    fi
done

stop_case grace TERM 3 --shutdown-timeout 10000 || fail "grace: server start"
if [ $RC -eq 0 ] && grep -q 'held 20 connections open; 20 answered afterwards' "$TMP/grace.bench" &&
    [ $TOOK -ge 1000 ] && [ $TOOK -le 9000 ] && [ "$(left_workers)" -eq 0 ] && [ $LATE_RC -ne 0 ]; then
    pass "grace: 20 in-flight connections finished after SIGTERM; exit 0 after ${TOOK} ms (< 10 s grace)"
else
    fail "grace: exit $RC after ${TOOK} ms, late client exit $LATE_RC"
    show "$TMP/grace.bench" "$TMP/grace.log"
fi
interop_finish

#!/bin/bash
# test_gap_tp_idle.sh - the framework's IDLE timeout (an established connection without I/O), which
# test_tp_limits.sh does not reach (it sets --idle-timeout 30000 and tests the handshake timeout):
# sslref-server --idle-timeout 3000 --mode echo --stats. (Margins are wide: the test machine may be
# loaded, and a client that is not scheduled for a while is, to the server, idle.)
# 1. NSS tstclnt (SSL 3.0) sends a line every 0.25 s for 5 s: every line is echoed (activity keeps
#    the connection alive past the timeout); after its last line the server closes the connection
#    (the client's socket goes to CLOSE-WAIT) between 2 and 8 s later.
# 2. sslref-bench --hold 20 --hold-seconds 6: all 20 held connections are closed by the server with
#    close_notify (the bench sees SSLConnectionClosedGraceful), and the server counts
#    idle_timeouts=21 in total and leaves 0 active.
# 3. Control: with --idle-timeout 30000 the same held connections all still answer after 6 s.
# Usage: bash tests/interop/test_gap_tp_idle.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
[ -x "$BIN/sslref-bench" ] || { echo "FAIL: $BIN/sslref-bench not built"; exit 1; }
now_ms() { date +%s%3N; }

start_sslref_server "$TMP/idle.log" --threads 2 --idle-timeout 3000 --mode echo --stats --quiet || exit 1

# 1. an active client is not cut; an idle one is cut about 3 s after its last byte.
(
    for i in $(seq 1 20); do
        echo "line $i"
        [ "$i" -eq 20 ] && date +%s%3N >"$TMP/last-line"
        sleep 0.25
    done
    sleep 12
) | timeout 25 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -V tls1.2:tls1.2 -o \
    >"$TMP/tc.out" 2>"$TMP/tc.err" &
tc=$!
INTEROP_PIDS+=("$tc")
closed=""
for i in $(seq 1 400); do
    sleep 0.05
    [ -f "$TMP/last-line" ] || continue
    if [ -n "$(ss -Htan state close-wait "dport = :$SRV_PORT" 2>/dev/null)" ]; then
        closed=$(now_ms)
        break
    fi
done
sleep 0.2 # tstclnt does not exit when the server closes (DESIGN.md §6): stop it
kill -TERM "$tc" 2>/dev/null
wait "$tc" 2>/dev/null
lines=$(grep -c '^line [0-9]*$' "$TMP/tc.out")
if [ "$lines" -eq 20 ]; then
    pass "an active connection (a line every 0.25 s for 5 s) outlived the 3 s idle timeout: 20 lines echoed"
else
    fail "only $lines of 20 lines echoed"
    show "$TMP/tc.out" "$TMP/tc.err"
fi
if [ -n "$closed" ]; then
    after=$((closed - $(cat "$TMP/last-line")))
    if [ "$after" -ge 2000 ] && [ "$after" -le 8000 ]; then
        pass "the idle connection was closed by the server ${after} ms after its last byte"
    else
        fail "closed ${after} ms after the last byte (want 2000..8000)"
    fi
else
    fail "the server never closed the idle tstclnt connection"
fi

# 2. held connections are closed with close_notify
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --hold 20 --hold-seconds 6 --threads 2 \
    --full-percent 0 --timeout 10 --quiet >"$TMP/hold.out" 2>&1
stop_pid "$SRV_PID" TERM
if grep -q 'held 20 connections open; 0 answered afterwards' "$TMP/hold.out" &&
    grep -q '20 x SSLConnectionClosedGraceful' "$TMP/hold.out"; then
    pass "20 held connections: each closed by the server with close_notify before the hold ended"
else
    fail "held connections with a 3 s idle timeout"
    show "$TMP/hold.out"
fi
if grep -q '^stats-detail: active=0 refused=0 hs_timeouts=0 idle_timeouts=21 ' "$TMP/idle.log" &&
    grep -q '^stats: connections=21 full=[0-9]* resumed=[0-9]* failures=0$' "$TMP/idle.log"; then
    pass "server: idle_timeouts=21, 0 active, 0 failures"
else
    fail "server stats"
    show "$TMP/idle.log"
fi

# 3. control: a longer idle timeout keeps the same held connections
start_sslref_server "$TMP/long.log" --threads 2 --idle-timeout 30000 --mode echo --stats --quiet || exit 1
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --hold 20 --hold-seconds 6 --threads 2 \
    --full-percent 0 --timeout 10 --quiet >"$TMP/hold2.out" 2>&1
stop_pid "$SRV_PID" TERM
if grep -q 'held 20 connections open; 20 answered afterwards' "$TMP/hold2.out" &&
    grep -q '^stats-detail: .* idle_timeouts=0 ' "$TMP/long.log"; then
    pass "control: --idle-timeout 30000 keeps 20 connections idle for 6 s, all answer"
else
    fail "control run"
    show "$TMP/hold2.out" "$TMP/long.log"
fi
interop_finish

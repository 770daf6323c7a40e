#!/bin/bash
# test_tp_closing.sh - a closing connection whose peer neither reads nor closes costs no CPU and
# is dropped at the closing deadline (TPConfig::closeTimeoutMs, 5 s by default), against
# sslref-server --mode echo --threads 1 (idle timeout 60 s: not what ends it).
# 1. tests/tp_slow_client closing: a client with a 1 KiB receive window sends 16 KiB every 50 ms and
#    never reads; once the server's socket is full (its send queue, seen with ss, stops growing)
#    the client sends close_notify and shutdown(SHUT_WR), so the server is closing with its echo
#    still pending. It must still be holding the connection 1 s later (else the test proves
#    nothing), use under 0.5 s of CPU from the close_notify until it drops the connection (the old
#    code spun a worker at 100%: each EPOLLIN wake-up from the peer's end of stream made a failed
#    send), drop it (its socket leaves CLOSE-WAIT) 3..9 s after the close_notify, and count no
#    failure (no overflow of the 1 MiB pending output: the test set-up worked).
# 2. Control: a client that reads gets the whole answer of a --bulk 64 server (1 MiB, then close).
# Usage: bash tests/interop/test_tp_closing.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
PEER="$BUILD/tests/tp_slow_client"
[ -x "$PEER" ] || { echo "FAIL: $PEER not built"; exit 1; }
now_ms() { date +%s%3N; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

start_sslref_server "$TMP/srv.log" --threads 1 --mode echo --stats --quiet || exit 1
"$PEER" closing "$SRV_PORT" 14000 >"$TMP/peer.out" 2>"$TMP/peer.err" &
peer=$!
INTEROP_PIDS+=("$peer")
# the server's send queue on the connection: signal the client once it stops growing
last=-1
same=0
for i in $(seq 1 200); do
    sleep 0.1
    q=$(ss -Htan state established "sport = :$SRV_PORT" 2>/dev/null | awk '{ print $2; exit }')
    [ -n "$q" ] && [ "$q" -gt 0 ] || continue
    if [ "$q" = "$last" ]; then same=$((same + 1)); else same=0; fi
    last=$q
    [ $same -ge 4 ] && break
done
echo "  server send queue full at $last bytes"
kill -USR1 "$peer" 2>/dev/null
for i in $(seq 1 100); do
    grep -q closing-sent "$TMP/peer.out" && break
    sleep 0.1
done
if ! grep -q closing-sent "$TMP/peer.out"; then
    fail "tp_slow_client did not get to close_notify"
    show "$TMP/peer.out" "$TMP/peer.err" "$TMP/srv.log"
    interop_finish
    exit
fi
sent=$(now_ms)
c0=$(cpu_ticks "$SRV_PID")
sleep 1
if [ -n "$(ss -Htan state close-wait "sport = :$SRV_PORT" 2>/dev/null)" ]; then
    pass "set-up: 1 s after close_notify the server still holds the connection (output pending)"
else
    fail "set-up: the server dropped the connection at once (nothing pending?)"
    show "$TMP/peer.out" "$TMP/peer.err"
fi
dropped=""
while [ $(($(now_ms) - sent)) -lt 10000 ]; do
    if [ -z "$(ss -Htan state close-wait "sport = :$SRV_PORT" 2>/dev/null)" ]; then
        dropped=$(($(now_ms) - sent))
        break
    fi
    sleep 0.1
done
c1=$(cpu_ticks "$SRV_PID")
window=$(($(now_ms) - sent))
cpu_ms=$(((c1 - c0) * 1000 / HZ))
echo "  server CPU: ${cpu_ms} ms in ${window} ms after close_notify"
if [ "$cpu_ms" -lt 500 ]; then
    pass "a closing peer that never reads: ${cpu_ms} ms of server CPU in ${window} ms"
else
    fail "a closing peer that never reads: ${cpu_ms} ms of server CPU in ${window} ms (want < 500)"
fi
if [ -n "$dropped" ] && [ "$dropped" -ge 3000 ] && [ "$dropped" -le 9000 ]; then
    pass "the closing connection was dropped ${dropped} ms after close_notify (closing deadline 5 s)"
else
    fail "closing connection dropped after ${dropped:-more than 10000} ms (want 3000..9000)"
fi
kill -TERM "$peer" 2>/dev/null
wait "$peer" 2>/dev/null
stop_pid "$SRV_PID" TERM
if grep -q '^stats-detail: active=0 ' "$TMP/srv.log" &&
    grep -q '^stats: connections=1 full=1 resumed=0 failures=0$' "$TMP/srv.log"; then
    pass "server: 0 connections left active, no failure"
else
    fail "server stats"
    show "$TMP/srv.log"
fi

# 2. control: a reading client gets all of a 1 MiB answer followed by the server's close
start_sslref_server "$TMP/srv2.log" --threads 1 --mode http --bulk 64 --stats --quiet || exit 1
"$BIN/sslref-client" --host 127.0.0.1 --port "$SRV_PORT" >"$TMP/bulk.out" 2>"$TMP/bulk.err"
rc=$?
stop_pid "$SRV_PID" TERM
size=$(stat -c %s "$TMP/bulk.out")
if [ $rc -eq 0 ] && [ "$size" -eq $((64 * 16384)) ]; then
    pass "control: a reading client received all 64 x 16 KiB and a clean close"
else
    fail "control: exit $rc, $size bytes"
    show "$TMP/bulk.err" "$TMP/srv2.log"
fi
interop_finish

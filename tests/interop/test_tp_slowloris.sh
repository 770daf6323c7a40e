#!/bin/bash
# test_tp_slowloris.sh - slow-loris defences of the server framework: the idle deadline moves only
# on progress (whole records of plaintext in, output taken by the peer), and --max-conns-per-ip.
# 1. sslref-server --mode echo --idle-timeout 3000 --threads 2:
#    a. tests/tp_slow_client trickle: after the handshake the client sends the bytes of a sealed "ping\n"
#       one a second (a third of the idle timeout; each byte wakes the server, none completes a
#       record before the timeout): the server closes it 2..6 s after the handshake (the old code
#       restarted the idle clock on every byte and kept it for ever), before the record is whole.
#    b. control, at the same time: tests/tp_slow_client records sends a whole "ping\n" a second and reads
#       the echo: still open after 7 s, 6 or more echoes.
#    The server counts idle_timeouts=1.
# 2. sslref-server --max-conns-per-ip 4 --threads 2 --handshake-timeout 20000: four plain TCP
#    connections from 127.0.0.1 stay open (spread over both threads: the count is per process); a
#    fifth is closed at once (EOF within 1 s) while the four stay open; after one of the four
#    closes, a new one is accepted. Then sslref-bench --hold 6: 4 served, 2 refused; the server
#    counts refused=3.
# Usage: bash tests/interop/test_tp_slowloris.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
PEER="$BUILD/tests/tp_slow_client"
[ -x "$PEER" ] || { echo "FAIL: $PEER not built"; exit 1; }
[ -x "$BIN/sslref-bench" ] || { echo "FAIL: $BIN/sslref-bench not built"; exit 1; }
now_ms() { date +%s%3N; }
summary_value() { awk -v r="$2" -v c="$3" '$1 == r { print $c }' "$1"; }

# 1. slow-loris against the idle timeout
start_sslref_server "$TMP/idle.log" --threads 2 --mode echo --idle-timeout 3000 --stats --quiet ||
    exit 1
"$PEER" trickle "$SRV_PORT" 1000 12000 >"$TMP/trickle.out" 2>"$TMP/trickle.err" &
t=$!
"$PEER" records "$SRV_PORT" 1000 7000 >"$TMP/records.out" 2>"$TMP/records.err" &
r=$!
INTEROP_PIDS+=("$t" "$r")
wait "$t"
trc=$?
wait "$r"
rrc=$?
stop_pid "$SRV_PID" TERM
out=$(cat "$TMP/trickle.out")
ms=$(sed -n 's/^closed_ms=\([0-9]*\) .*/\1/p' "$TMP/trickle.out")
if [ $trc -eq 0 ] && [ -n "$ms" ] && [ "$ms" -ge 2000 ] && [ "$ms" -le 6000 ]; then
    pass "a client trickling one byte a second was closed ${ms} ms after its handshake ($out)"
else
    fail "trickling client: exit $trc, '$out' (want closed_ms 2000..6000)"
    show "$TMP/trickle.err"
fi
out=$(cat "$TMP/records.out")
echoes=$(sed -n 's/^open_ms=[0-9]* .*echoes=\([0-9]*\)$/\1/p' "$TMP/records.out")
if [ $rrc -eq 0 ] && [ -n "$echoes" ] && [ "$echoes" -ge 6 ]; then
    pass "control: a client sending a whole record a second stayed open ($out)"
else
    fail "control: records client: exit $rrc, '$out' (want open_ms, 6+ echoes)"
    show "$TMP/records.err"
fi
if grep -q '^stats-detail: active=0 refused=0 hs_timeouts=0 idle_timeouts=1 ' "$TMP/idle.log"; then
    pass "server: idle_timeouts=1, 0 active"
else
    fail "server stats"
    show "$TMP/idle.log"
fi

# 2. --max-conns-per-ip
start_sslref_server "$TMP/cap.log" --threads 2 --max-conns-per-ip 4 --handshake-timeout 20000 \
    --stats --quiet || exit 1
# open_fd: a plain TCP connection; its descriptor goes to the array FDS
FDS=()
open_fd() {
    local fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$SRV_PORT" || return 1
    FDS+=("$fd")
}
# still_open FD: no EOF within 0.3 s (read times out, status > 128)
still_open() {
    read -r -t 0.3 -u "$1" _ 2>/dev/null
    [ $? -gt 128 ]
}
for i in 1 2 3 4; do open_fd || fail "connect $i"; done
sleep 0.3
open_fd || fail "connect 5"
t0=$(now_ms)
read -r -t 3 -u "${FDS[4]}" _ 2>/dev/null
st=$?
took=$(($(now_ms) - t0))
if [ $st -le 128 ] && [ $took -le 1000 ]; then
    pass "--max-conns-per-ip 4: a fifth connection from 127.0.0.1 was closed after ${took} ms"
else
    fail "fifth connection: read status $st after ${took} ms (want EOF within 1000 ms)"
fi
open4=0
for i in 0 1 2 3; do still_open "${FDS[$i]}" && open4=$((open4 + 1)); done
if [ $open4 -eq 4 ]; then
    pass "the first four connections stay open"
else
    fail "only $open4 of the first four connections are open"
fi
exec {FDS[0]}<&- {FDS[4]}<&-
sleep 0.5
open_fd || fail "connect 6"
if still_open "${FDS[5]}" && still_open "${FDS[5]}"; then
    pass "after one of the four closed, a new connection is accepted"
else
    fail "a new connection after one of the four closed was refused"
fi
for i in 1 2 3 5; do exec {FDS[$i]}<&-; done
sleep 0.5
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --hold 6 --hold-seconds 1 --threads 2 \
    --full-percent 0 --timeout 5 --quiet >"$TMP/cap.out" 2>"$TMP/cap.err"
stop_pid "$SRV_PID" TERM
errs=$(summary_value "$TMP/cap.out" errors 2)
if grep -q 'held 6 connections open; 4 answered afterwards' "$TMP/cap.out" && [ "$errs" = 2 ] &&
    grep -q '^stats-detail: active=0 refused=3 ' "$TMP/cap.log"; then
    pass "sslref-bench --hold 6: 4 served, 2 refused; server refused=3 in all"
else
    fail "bench against --max-conns-per-ip 4 (errors=$errs)"
    show "$TMP/cap.out" "$TMP/cap.err" "$TMP/cap.log"
fi
interop_finish

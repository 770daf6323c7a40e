#!/bin/bash
# test_tp_limits.sh - the framework's limits under load, against sslref-server --processes 2
# --threads 2 --cache DIR --handshake-timeout 2000:
# 1. 2,000 connections are held open at once (sslref-bench --hold: handshake, stay idle, then
#    each must still answer a request) while another sslref-bench keeps completing handshakes.
# 2. Meanwhile 10 clients connect and send nothing and 5 send one byte a second: each is cut off
#    by the handshake timeout (2 s, EOF within 6 s), the server counts them as hs_timeouts, and the
#    other clients see no error.
# 3. --max-conns 50 on one thread: of 60 held connections 10 are refused at once, not queued.
# 4. Out of descriptors (ulimit -n 48): the server serves what it can and does not spin on the
#    listening socket (no CPU used while the backlog waits), and serves again afterwards.
# Usage: bash tests/interop/test_tp_limits.sh BUILD_DIR
set -uo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "$1"
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge 4200 ] || { echo "FAIL: need 4200 descriptors, have $(ulimit -n)"; exit 1; }
summary_value() { awk -v r="$2" -v c="$3" '$1 == r { print $c }' "$1"; }

mkdir -m 700 "$TMP/cache"
start_sslref_server "$TMP/srv.log" --processes 2 --threads 2 --cache "$TMP/cache" \
    --handshake-timeout 2000 --idle-timeout 30000 --quiet --stats || exit 1

# idle: connect, send nothing, record the seconds until the server closes (or 20 s).
idle_client() {
    local t0=$SECONDS
    exec 3<>"/dev/tcp/127.0.0.1/$SRV_PORT" || { echo "connect-failed" >"$1"; return; }
    read -r -t 20 -u 3 _ 2>/dev/null
    echo $((SECONDS - t0)) >"$1"
}
# slow: one byte a second for up to 20 s; record the seconds until a write fails.
slow_client() {
    trap '' PIPE
    local t0=$SECONDS i
    exec 3<>"/dev/tcp/127.0.0.1/$SRV_PORT" || { echo "connect-failed" >"$1"; return; }
    for i in $(seq 1 20); do
        printf '\026' >&3 2>/dev/null || break
        sleep 1
    done
    echo $((SECONDS - t0)) >"$1"
}

"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --hold 2000 --hold-seconds 8 \
    --threads 4 --full-percent 0 --quiet >"$TMP/hold.out" 2>"$TMP/hold.err" &
hold_pid=$!
INTEROP_PIDS+=("$hold_pid")
slow_pids=()
for i in $(seq 1 10); do idle_client "$TMP/idle-$i" & slow_pids+=($!); done
for i in $(seq 1 5); do slow_client "$TMP/slow-$i" & slow_pids+=($!); done
sleep 2
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 1500 --threads 2 \
    --full-percent 20 --quiet >"$TMP/load.out" 2>"$TMP/load.err"
load_rc=$?
wait "$hold_pid"
hold_rc=$?
for p in "${slow_pids[@]}"; do wait "$p"; done
sleep 0.5
stop_pid "$SRV_PID" TERM

if [ $hold_rc -eq 0 ] && grep -q 'held 2000 connections open; 2000 answered afterwards' "$TMP/hold.out" &&
    [ "$(summary_value "$TMP/hold.out" errors 2)" = 0 ]; then
    pass "2000 connections held open at once, every one answered after the hold"
else
    fail "held connections (exit $hold_rc)"
    show "$TMP/hold.out" "$TMP/hold.err"
fi
if [ $load_rc -eq 0 ] && [ "$(summary_value "$TMP/load.out" errors 2)" = 0 ] &&
    [ "$(summary_value "$TMP/load.out" all 2)" = 1500 ]; then
    pass "meanwhile 1500 more handshakes completed without error: $(awk '$1=="all"' "$TMP/load.out")"
else
    fail "load beside the held connections (exit $load_rc)"
    show "$TMP/load.out" "$TMP/load.err"
fi
bad=0
for f in "$TMP"/idle-* "$TMP"/slow-*; do
    v=$(cat "$f")
    if ! [[ "$v" =~ ^[0-9]+$ ]] || [ "$v" -lt 1 ] || [ "$v" -gt 6 ]; then
        bad=$((bad + 1))
        echo "  $f: $v"
    fi
done
if [ $bad -eq 0 ]; then
    pass "10 silent and 5 one-byte-a-second clients were cut off after the 2 s handshake timeout"
else
    fail "$bad idle/slow clients were not cut off in 1..6 s"
fi
hst=$(sed -n 's/^stats-detail:.* hs_timeouts=\([0-9]*\).*/\1/p' "$TMP/srv.log")
act=$(sed -n 's/^stats-detail: active=\([0-9]*\).*/\1/p' "$TMP/srv.log")
if [ "${hst:-0}" -ge 15 ] && [ "$act" = 0 ] && grep -q '^stats: connections=' "$TMP/srv.log"; then
    pass "server counted $hst handshake timeouts, 0 connections left active"
else
    fail "server stats (hs_timeouts=$hst active=$act)"
    show "$TMP/srv.log"
fi

# 3. The per-thread connection limit refuses the excess at once.
start_sslref_server "$TMP/max.log" --threads 1 --max-conns 50 --quiet --stats || exit 1
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --hold 60 --hold-seconds 1 --threads 2 \
    --full-percent 0 --timeout 5 --quiet >"$TMP/max.out" 2>"$TMP/max.err"
stop_pid "$SRV_PID" TERM
errs=$(summary_value "$TMP/max.out" errors 2)
if grep -q 'held 60 connections open; 50 answered afterwards' "$TMP/max.out" && [ "$errs" = 10 ] &&
    grep -q '^stats-detail: active=0 refused=10 ' "$TMP/max.log"; then
    pass "--max-conns 50: 50 served, 10 refused at once (not queued)"
else
    fail "--max-conns (errors=$errs)"
    show "$TMP/max.out" "$TMP/max.log"
fi

# 4. Out of descriptors.
(ulimit -n 48 && exec "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" \
    --key "$DATA/server-key-pkcs8.pem" --threads 2 --quiet --stats) 2>"$TMP/emf.log" &
SRV_PID=$!
INTEROP_PIDS+=("$SRV_PID")
SRV_PORT=
for i in $(seq 1 50); do
    SRV_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$TMP/emf.log" 2>/dev/null)
    [ -n "$SRV_PORT" ] && break
    sleep 0.1
done
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --hold 60 --hold-seconds 3 --threads 2 \
    --full-percent 0 --timeout 2 --quiet >"$TMP/emf.out" 2>&1 &
b=$!
sleep 1.5
t0=$(awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat")
sleep 2
t1=$(awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat")
wait "$b"
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 100 --threads 2 \
    --full-percent 0 --quiet >"$TMP/emf2.out" 2>&1
r=$?
stop_pid "$SRV_PID" TERM
answered=$(sed -n 's/.*; \([0-9]*\) answered afterwards/\1/p' "$TMP/emf.out")
if [ $((t1 - t0)) -le 20 ] && [ "${answered:-0}" -ge 20 ] && [ $r -eq 0 ]; then
    pass "out of descriptors: $answered of 60 served, $((t1 - t0)) CPU ticks in 2 s (no spin), serves again after"
else
    fail "out of descriptors (ticks=$((t1 - t0)) answered=$answered after-run exit $r)"
    show "$TMP/emf.out" "$TMP/emf2.out" "$TMP/emf.log"
fi
interop_finish

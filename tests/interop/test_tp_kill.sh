#!/bin/bash
# test_tp_kill.sh - worker death and shutdown under load, sslref-server --processes 2 --threads 2
# --cache DIR:
# 1. SIGKILL of one worker process while sslref-bench runs: the supervisor logs and restarts it
#    (restarts=1), the bench finishes with at most a handful of errors (connections the dead
#    worker held), a later run has no error and mostly resumes through the cache, the LMDB store is
#    consistent (mdb_stat: as many expiry-index entries as sessions), and no descriptor leaked
#    (each worker has as many open descriptors after the load as a fresh worker before it).
# 2. SIGTERM under load: the server exits 0 within 10 s with its final stats line, no failures,
#    and no worker process is left.
# Usage: bash tests/interop/test_tp_kill.sh BUILD_DIR
set -uo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "$1"
command -v mdb_stat >/dev/null || { echo "FAIL: mdb_stat not found (lmdb-utils)"; exit 1; }
summary_value() { awk -v r="$2" -v c="$3" '$1 == r { print $c }' "$1"; }
workers() { ps -o pid= --ppid "$1" | tr -d ' ' | sort -n; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

mkdir -m 700 "$TMP/cache"
start_sslref_server "$TMP/srv.log" --processes 2 --threads 2 --cache "$TMP/cache" --quiet --stats ||
    exit 1
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 200 --threads 2 \
    --full-percent 50 --quiet >"$TMP/warm.out" 2>&1
sleep 0.3
mapfile -t W < <(workers "$SRV_PID")
fd0=$(nfds "${W[0]}")
fd1=$(nfds "${W[1]}")
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 6000 --threads 4 \
    --full-percent 10 --timeout 5 --quiet >"$TMP/load.out" 2>"$TMP/load.err" &
bench_pid=$!
INTEROP_PIDS+=("$bench_pid")
sleep 1
kill -KILL "${W[0]}"
wait "$bench_pid"
sleep 1
mapfile -t W2 < <(workers "$SRV_PID")
errs=$(summary_value "$TMP/load.out" errors 2)
done_all=$(summary_value "$TMP/load.out" all 2)
if [ "${#W2[@]}" -eq 2 ] && ! printf '%s\n' "${W2[@]}" | grep -qx "${W[0]}" &&
    grep -q "killed by signal 9; restarting" "$TMP/srv.log" && [ "${errs:-99}" -le 16 ] &&
    [ "${done_all:-0}" -ge 5984 ]; then
    pass "SIGKILL of worker ${W[0]}: restarted, load went on ($done_all of 6000 done, $errs errors)"
else
    fail "SIGKILL restart (workers before ${W[*]}, after ${W2[*]}, errors=$errs)"
    show "$TMP/srv.log" "$TMP/load.out"
fi
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 1000 --threads 4 \
    --full-percent 0 --quiet >"$TMP/after.out" 2>&1
r=$?
res=$(summary_value "$TMP/after.out" resumed 2)
# Every connection but each bench thread's first (4 full handshakes) resumes: the engine stores a
# new session before its last flight is flushed, so an immediate reconnect finds it.
if [ $r -eq 0 ] && [ "${res:-0}" -ge 996 ]; then
    pass "after the restart: 1000 connections, $res resumed, no error"
else
    fail "run after the restart (exit $r)"
    show "$TMP/after.out"
fi
sleep 0.3
ok=1
for p in "${W2[@]}"; do
    n=$(nfds "$p")
    if [ "$n" -ne "$fd0" ] && [ "$n" -ne "$fd1" ]; then ok=0; fi
    echo "  worker $p: $n descriptors (fresh workers had $fd0 and $fd1)"
done
if [ $ok -eq 1 ] && [ "$fd0" -eq "$fd1" ]; then
    pass "no descriptor leaked: every worker holds $fd0 after the load"
else
    fail "descriptor counts differ"
fi
stop_pid "$SRV_PID" TERM
mdb_stat -a "$TMP/cache" >"$TMP/mdb.txt" 2>&1
sess=$(awk '/^Status of sessions/ { s = 1 } s && /Entries:/ { print $2; exit }' "$TMP/mdb.txt")
expi=$(awk '/^Status of expiry/ { s = 1 } s && /Entries:/ { print $2; exit }' "$TMP/mdb.txt")
if [ -n "$sess" ] && [ "$sess" -gt 0 ] && [ "$sess" = "$expi" ] &&
    grep -q '^stats-detail: .* restarts=1 ' "$TMP/srv.log"; then
    pass "cache consistent after the kill: $sess sessions, $expi index entries; restarts=1"
else
    fail "cache or restart count (sessions=$sess expiry=$expi)"
    show "$TMP/mdb.txt" "$TMP/srv.log"
fi

# 2. SIGTERM under load.
start_sslref_server "$TMP/term.log" --processes 2 --threads 2 --cache "$TMP/cache" --quiet || exit 1
mapfile -t W < <(workers "$SRV_PID")
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 100000 --threads 4 \
    --full-percent 20 --timeout 5 --quiet >"$TMP/tload.out" 2>&1 &
bench_pid=$!
INTEROP_PIDS+=("$bench_pid")
sleep 1.5
t0=$SECONDS
kill -TERM "$SRV_PID"
wait "$SRV_PID"
rc=$?
took=$((SECONDS - t0))
wait "$bench_pid"
left=0
for p in "${W[@]}"; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
if [ $rc -eq 0 ] && [ $took -le 10 ] && [ $left -eq 0 ] &&
    grep -Eq '^stats: connections=[1-9][0-9]* full=[0-9]+ resumed=[0-9]+ failures=0$' "$TMP/term.log"; then
    pass "SIGTERM under load: exit 0 after ${took}s, $(grep '^stats:' "$TMP/term.log"), no worker left"
else
    fail "SIGTERM under load (exit $rc after ${took}s, $left workers left)"
    show "$TMP/term.log"
fi
interop_finish

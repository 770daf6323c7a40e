#!/bin/bash
# test_tp_strsclnt.sh - NSS strsclnt (TLS 1.2, -V tls1.2:tls1.2) against the framework server
# sslref-server --processes 2 --threads 2 --cache DIR (LMDB shared by the processes): 4,000
# connections from 8 threads, no failure on either side. strsclnt makes one full handshake and
# resumes that session on every later connection, so when the server's per-process stats show
# resumed handshakes in a process that made no full handshake itself, those sessions came out of
# the other process through the shared cache: resumption crossed processes.
# Usage: bash tests/interop/test_tp_strsclnt.sh BUILD_DIR
set -uo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "$1"
N=4000
mkdir -m 700 "$TMP/cache"
start_sslref_server "$TMP/srv.log" --processes 2 --threads 2 --cache "$TMP/cache" --quiet --stats ||
    exit 1
timeout 300 strsclnt -p "$SRV_PORT" -d "$DB" -V tls1.2:tls1.2 -o -o -D -c "$N" -t 8 127.0.0.1 \
    >"$TMP/strsclnt.out" 2>&1
rc=$?
stop_pid "$SRV_PID" TERM
# strsclnt -o -o exits non-zero even on success (lib.sh/DESIGN §6): judge by its counts.
if grep -q "strsclnt: $((N - 1)) cache hits; 1 cache misses" "$TMP/strsclnt.out" &&
    ! grep -qi 'error' "$TMP/strsclnt.out"; then
    pass "strsclnt: $N connections, $((N - 1)) resumed, no error (exit $rc)"
else
    fail "strsclnt counts (exit $rc)"
    show "$TMP/strsclnt.out"
fi
if grep -q "^stats: connections=$N full=1 resumed=$((N - 1)) failures=0$" "$TMP/srv.log"; then
    pass "server: $N connections, 1 full, $((N - 1)) resumed, 0 failures"
else
    fail "server stats line"
    show "$TMP/srv.log"
fi
# The process without the full handshake resumed sessions it never created.
cross=$(awk '/^stats-process:/ { split($4, f, "="); split($5, r, "=");
        if (f[2] == 0 && r[2] > 0) n++ } END { print n + 0 }' "$TMP/srv.log")
procs=$(grep -c '^stats-process:' "$TMP/srv.log")
if [ "$procs" -eq 2 ] && [ "$cross" -ge 1 ]; then
    pass "resumption crossed processes: $(grep '^stats-process:' "$TMP/srv.log" | tr '\n' ' ')"
else
    fail "no process resumed a session made by the other (did one process take every connection?)"
    show "$TMP/srv.log"
fi
interop_finish

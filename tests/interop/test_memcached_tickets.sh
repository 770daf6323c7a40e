#!/usr/bin/env bash
# test_memcached_tickets.sh - resumption across machines (issue 17 points 2 and 5) with real daemons:
# three memcached servers, two sslref-server "machines" A and B (separate --cache dirs and ports,
# the same cluster key, --memcached-replicas 1, tickets on with a 2-second key period).
#   1. openssl s_client -sess_out on A, -sess_in on B: resumed by ticket ("Reused" from s_client,
#      via=ticket in B's log) and, with -no_ticket, by session ID through memcached (via=id);
#   2. sslref-bench --target A --target B: every handshake after the first resumed, on both;
#   3. NSS strsclnt through a round-robin TCP balancer over A and B (rr_proxy.py): its own count of
#      cache hits, and resumed lines on both servers;
#   4. ticket keys: a ticket from A resumes on B after a forced rotation (the next period; the
#      ticket is then renewed), and a ticket older than the ring (4 periods) gets a full handshake;
#   5. one memcached killed: a bench run across A and B meanwhile has zero errors; ten sessions
#      made by ID before the kill all resume on B (replicas); the daemon restarted on its port is
#      used again (an "up" line, and a new session crosses machines).
# Usage: test_memcached_tickets.sh BUILD_DIR
set -u
. "$(dirname "$0")/lib.sh"
interop_init "$1"
command -v memcached >/dev/null || { echo "FAIL: memcached not installed (scripts/install-deps.sh)"; exit 1; }
ROT=2

KEY="$TMP/cluster.key"
printf '1 %s\n' "$(openssl rand -hex 32)" >"$KEY"
chmod 600 "$KEY"
MC_USER=$(id -un)

start_memcached() { # PORT: sets MC_PID
    memcached -u "$MC_USER" -l 127.0.0.1 -p "$1" -U 0 -m 16 >>"$TMP/mc-$1.log" 2>&1 &
    MC_PID=$!
    INTEROP_PIDS+=("$MC_PID")
    wait_listen "$1" "$MC_PID" || { echo "FAIL: memcached on port $1 did not start"; exit 1; }
}
MP=()
for i in 0 1 2; do
    p=$(free_port)
    while [[ " ${MP[*]} " == *" $p "* ]]; do p=$(free_port); done
    MP+=("$p")
    start_memcached "$p"
    MPID[$i]=$MC_PID
done
MCLIST="127.0.0.1:${MP[0]},127.0.0.1:${MP[1]},127.0.0.1:${MP[2]}"

machine() { # NAME: starts it, sets SRV_PID / SRV_PORT
    start_sslref_server "$TMP/$1.log" --cache "$TMP/cache-$1" --processes 2 --threads 2 \
        --memcached "$MCLIST" --cluster-key "$KEY" --memcached-replicas 1 --ticket-rotate "$ROT" \
        --memcached-timeout 50 || exit 1
}
machine a; A_PID=$SRV_PID; A=$SRV_PORT
machine b; B_PID=$SRV_PID; B=$SRV_PORT

sclient() { # PORT ARGS...: one s_client connection; its output on stdout
    local port=$1
    shift
    echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 "$@" 2>&1
}

# count_lines LOG PATTERN: lines of LOG matching the extended regex PATTERN
count_lines() { grep -cE "$2" "$1" 2>/dev/null || true; }

# ---- 1. openssl: a session made on A resumes on B ----
for mode in ticket id; do
    extra=()
    [ $mode = id ] && extra=(-no_ticket)
    before=$(count_lines "$TMP/b.log" "resumed=yes .* via=$mode ")
    o1=$(sclient "$A" -sess_out "$TMP/s-$mode.pem" "${extra[@]}")
    o2=$(sclient "$B" -sess_in "$TMP/s-$mode.pem" "${extra[@]}")
    after=$(count_lines "$TMP/b.log" "resumed=yes .* via=$mode ")
    if grep -q "^New, TLSv1.2" <<<"$o1" && grep -q "^Reused, TLSv1.2" <<<"$o2" && [ "$after" -gt "$before" ]; then
        pass "openssl -sess_out on A, -sess_in on B: Reused by $mode (B: via=$mode)"
    else
        fail "openssl A->B by $mode: $(grep -E '^(New|Reused)' <<<"$o1$o2" | tr '\n' ' ') B lines $before->$after"
    fi
done

# ---- 2. sslref-bench round robin over both ----
tb0=$(count_lines "$TMP/b.log" "resumed=yes .* via=ticket ")
"$BIN/sslref-bench" --target "127.0.0.1:$A" --target "127.0.0.1:$B" --connections 100 --threads 4 \
    --full-percent 0 --version tls1.2 >"$TMP/bench.out" 2>&1
rc=$?
tb1=$(count_lines "$TMP/b.log" "resumed=yes .* via=ticket ")
ra=$(sed -n "s/^ *target=127.0.0.1:$A full=\([0-9]*\) resumed=\([0-9]*\) errors=0$/\2/p" "$TMP/bench.out")
rb=$(sed -n "s/^ *target=127.0.0.1:$B full=\([0-9]*\) resumed=\([0-9]*\) errors=0$/\2/p" "$TMP/bench.out")
if [ $rc -eq 0 ] && [ "${ra:-0}" -ge 45 ] && [ "${rb:-0}" -ge 49 ] && [ $((tb1 - tb0)) -ge 49 ]; then
    pass "sslref-bench over A and B: resumed $ra on A, $rb on B ($((tb1 - tb0)) by ticket on B)"
else
    fail "sslref-bench over A and B: rc=$rc resumed A=${ra:-?} B=${rb:-?} B by ticket $((tb1 - tb0))"
    show "$TMP/bench.out"
fi

# ---- 3. NSS strsclnt behind a round-robin balancer ----
python3 "$SRC/tests/interop/rr_proxy.py" "$A" "$B" >"$TMP/proxy.out" 2>&1 &
PX=$!
INTEROP_PIDS+=("$PX")
for _ in $(seq 50); do grep -q "listening on" "$TMP/proxy.out" && break; sleep 0.1; done
PXP=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$TMP/proxy.out")
a0=$(count_lines "$TMP/a.log" "resumed=yes"); b0=$(count_lines "$TMP/b.log" "resumed=yes")
N=40
timeout 120 strsclnt -p "$PXP" -d "$DB" -V tls1.2:tls1.2 -o -o -c "$N" -t 1 127.0.0.1 >"$TMP/strsclnt.out" 2>&1
a1=$(count_lines "$TMP/a.log" "resumed=yes"); b1=$(count_lines "$TMP/b.log" "resumed=yes")
if grep -q "strsclnt: $((N - 1)) cache hits; 1 cache misses" "$TMP/strsclnt.out" &&
    [ $((a1 - a0)) -ge $((N / 2 - 1)) ] && [ $((b1 - b0)) -ge $((N / 2 - 1)) ]; then
    pass "strsclnt through a round-robin balancer: $((N - 1)) cache hits; resumed on A $((a1 - a0)), on B $((b1 - b0))"
else
    fail "strsclnt round robin: $(grep 'cache hits' "$TMP/strsclnt.out") A +$((a1 - a0)) B +$((b1 - b0))"
    show "$TMP/strsclnt.out"
fi

# ---- 4. ticket keys across a rotation, and a ticket older than the ring ----
# wait for the start of a period, so that "one period later" is exactly the next key
now() { date +%s; }
while [ $(( $(now) % ROT )) -ne 0 ]; do sleep 0.2; done
sclient "$A" -sess_out "$TMP/rot.pem" >/dev/null
sleep "$ROT"
o=$(sclient "$B" -sess_in "$TMP/rot.pem" -sess_out "$TMP/rot2.pem")
if grep -q "^Reused, TLSv1.2" <<<"$o" && grep -q "TLS session ticket:" <<<"$o"; then
    pass "a ticket from A resumes on B one key period later (and B renews it)"
else
    fail "ticket across a rotation: $(grep -E '^(New|Reused)' <<<"$o")"
fi
sleep $((4 * ROT))
o=$(sclient "$B" -sess_in "$TMP/rot.pem")
if grep -q "^New, TLSv1.2" <<<"$o"; then
    pass "a ticket older than the ring (4 periods, 2 kept) gets a full handshake"
else
    fail "an old ticket: $(grep -E '^(New|Reused)' <<<"$o")"
fi

# ---- 5. one memcached killed ----
for i in $(seq 10); do sclient "$A" -no_ticket -sess_out "$TMP/id-$i.pem" >/dev/null; done
"$BIN/sslref-bench" --target "127.0.0.1:$A" --target "127.0.0.1:$B" --connections 1500 --threads 4 \
    --full-percent 20 --version tls1.2 >"$TMP/bench-kill.out" 2>&1 &
BP=$!
sleep 0.2
kill -KILL "${MPID[0]}"
wait "$BP"
rc=$?
errs=$(awk -F"errors=" "/^ *target=/ {s += \$2; n++} END {print n ? s : 1}" "$TMP/bench-kill.out")
if [ $rc -eq 0 ] && [ "${errs:-1}" -eq 0 ]; then
    pass "memcached ${MP[0]} killed during a bench run over A and B: 0 errors"
else
    fail "bench while a memcached died: rc=$rc errors=${errs:-?}"
    show "$TMP/bench-kill.out"
fi
reused=0
for i in $(seq 10); do
    sclient "$B" -no_ticket -sess_in "$TMP/id-$i.pem" | grep -q "^Reused, TLSv1.2" && reused=$((reused + 1))
done
if [ $reused -eq 10 ]; then
    pass "10 sessions made on A by ID all resume on B with one of three memcached dead (replicas)"
else
    fail "with one memcached dead only $reused of 10 sessions resumed on B"
fi
start_memcached "${MP[0]}"
# Each server process probes a down memcached at most once a second, and a probe that misses the
# 50 ms timeout (a loaded machine) waits for the next period: make sessions until a process has
# said "up" (at most 15 s), then five more, which must all cross machines.
up_seen() { grep -q "memcached 127.0.0.1:${MP[0]} up" "$TMP/a.log" "$TMP/b.log"; }
tries=0
deadline=$(($(date +%s) + 15))
until up_seen || [ "$(date +%s)" -ge "$deadline" ]; do
    sleep 0.3
    sclient "$A" -no_ticket -sess_out "$TMP/probe.pem" >/dev/null
    sclient "$B" -no_ticket -sess_in "$TMP/probe.pem" >/dev/null
    tries=$((tries + 1))
done
ok=0
for i in $(seq 5); do
    sclient "$A" -no_ticket -sess_out "$TMP/up-$i.pem" >/dev/null
    sclient "$B" -no_ticket -sess_in "$TMP/up-$i.pem" | grep -q "^Reused, TLSv1.2" && ok=$((ok + 1))
done
if [ $ok -eq 5 ] && up_seen; then
    pass "memcached ${MP[0]} restarted: an up line after $tries sessions, and new sessions cross machines ($ok of 5)"
else
    fail "after the restart ($tries sessions): $ok of 5 crossed; up lines: $(grep -c "127.0.0.1:${MP[0]} up" "$TMP/a.log" "$TMP/b.log" | tr '\n' ' ')"
    grep -h "127.0.0.1:${MP[0]}" "$TMP/a.log" "$TMP/b.log" | tail -5
fi

tls_ok=1
for l in a b; do
    if grep -qE "error=|ERROR|AddressSanitizer|runtime error" "$TMP/$l.log"; then
        tls_ok=0
        grep -E "error=|ERROR|AddressSanitizer|runtime error" "$TMP/$l.log" | head -5
    fi
done
[ $tls_ok = 1 ] && pass "no failed handshake or sanitizer report on A or B" || fail "failures in the server logs"
interop_finish

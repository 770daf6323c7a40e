#!/usr/bin/env bash
# test_memcached.sh - the memcached tier of the session cache (issue 17 point 3) with real daemons:
# two sslref-server "machines" (separate --cache dirs and ports, --processes 2 each) share two
# memcached daemons; sslref-bench --target A --target B round-robin over both, TLS 1.2.
#   1. sessions made on one machine resume on the other (the bench's per-target resumed counts;
#      each server's stats line: remote_hits > 0), both directions; raw gets show sealed entries
#      without master secrets; a third machine with another cluster key only misses;
#   2. both memcached SIGSTOPped: every handshake completes and costs at most about the timeout;
#   3. both killed during a run: every handshake completes, one "down" line per process and server;
#   4. a fake memcached answering garbage (and the other still dead): misses, no failure;
#   5. memcached restarted: "up" lines, and resumption crosses machines again.
# Also: --memcached without --cache, and a cluster key file of mode 0644, are refused.
# Usage: test_memcached.sh BUILD_DIR
set -u
. "$(dirname "$0")/lib.sh"
interop_init "$1"
command -v memcached >/dev/null || { echo "FAIL: memcached not installed (scripts/install-deps.sh)"; exit 1; }
[ -x "$BIN/sslref-bench" ] || { echo "FAIL: sslref-bench not built"; exit 1; }

KEY="$TMP/cluster.key"
printf '# sslref cluster key: ID HEX64; the first line seals\n1 %s\n' "$(openssl rand -hex 32)" >"$KEY"
chmod 600 "$KEY"
TIMEOUT_MS=50
MC_USER=$(id -un)

# memcached daemons are SIGSTOPped on purpose: continue them all before the cleanup signals them
MC_ALL=()
trap 'kill -CONT "${MC_ALL[@]}" 2>/dev/null; interop_cleanup' EXIT

# start_memcached PORT: a daemon on 127.0.0.1:PORT; sets MC_PID.
start_memcached() {
    memcached -u "$MC_USER" -l 127.0.0.1 -p "$1" -U 0 -m 16 >"$TMP/mc-$1.log" 2>&1 &
    MC_PID=$!
    INTEROP_PIDS+=("$MC_PID")
    MC_ALL+=("$MC_PID")
    wait_listen "$1" "$MC_PID" || { echo "FAIL: memcached on port $1 did not start"; cat "$TMP/mc-$1.log"; exit 1; }
}

P1=$(free_port) && P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
start_memcached "$P1"; MC1=$MC_PID
start_memcached "$P2"; MC2=$MC_PID
MCLIST="127.0.0.1:$P1,127.0.0.1:$P2"

# ---- refusals ----
out=$("$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" --key "$DATA/server-key-pkcs8.pem" \
    --memcached "$MCLIST" --cluster-key "$KEY" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q -- "need --cache DIR" <<<"$out"; then pass "--memcached without --cache refused"
else fail "--memcached without --cache: rc=$rc $out"; fi
cp "$KEY" "$TMP/open.key"; chmod 644 "$TMP/open.key"
out=$(timeout 10 "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" --key "$DATA/server-key-pkcs8.pem" \
    --cache "$TMP/refused" --memcached "$MCLIST" --cluster-key "$TMP/open.key" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "mode 0644 lets other users read the cluster key; chmod 600 $TMP/open.key" <<<"$out"; then
    pass "a cluster key file of mode 0644 is refused with how to fix it"
else fail "cluster key 0644: rc=$rc $out"; fi

# ---- the two machines (tickets off: this part tests the session-ID tier; test_memcached_tickets.sh the tickets) ----
SSLKEYLOGFILE="$TMP/keylog" start_sslref_server "$TMP/a.log" --cache "$TMP/cache-a" --processes 2 --threads 2 \
    --memcached "$MCLIST" --cluster-key "$KEY" --memcached-timeout "$TIMEOUT_MS" --tickets off || exit 1
A_PID=$SRV_PID; A=$SRV_PORT
start_sslref_server "$TMP/b.log" --cache "$TMP/cache-b" --processes 2 --threads 2 \
    --memcached "$MCLIST" --cluster-key "$KEY" --memcached-timeout "$TIMEOUT_MS" --tickets off || exit 1
B_PID=$SRV_PID; B=$SRV_PORT

# bench NAME FIRST SECOND CONNS THREADS [FULL%]: round-robin over the two servers (FIRST gets
# connection 0), TLS 1.2; every connection but the first (or but FULL% of them: new sessions)
# offers the session; output in $TMP/NAME.out.
bench() {
    "$BIN/sslref-bench" --target "127.0.0.1:$2" --target "127.0.0.1:$3" --connections "$4" \
        --threads "$5" --full-percent "${6:-0}" --version tls1.2 --timeout 10 --quiet >"$TMP/$1.out" 2>&1
    echo $? >"$TMP/$1.rc"
}
# target_field NAME PORT FIELD: the bench's count for one target
target_field() {
    sed -n "s/^  target=127.0.0.1:$2 .*$3=\([0-9]*\).*/\1/p" "$TMP/$1.out"
}
errors_of() { sed -n 's/^  errors *\([0-9]*\)$/\1/p' "$TMP/$1.out"; }
p99_of() { awk -v k="$2" '$1 == k { print $5 }' "$TMP/$1.out"; }
log_mark() { wc -l <"$1"; }
log_since() { tail -n "+$(($2 + 1))" "$1"; }

# 1. crossing, both directions
bench cross1 "$A" "$B" 200 2
bench cross2 "$B" "$A" 200 2
for run in cross1 cross2; do
    rc=$(cat "$TMP/$run.rc"); e=$(errors_of $run)
    ra=$(target_field $run "$A" resumed); rb=$(target_field $run "$B" resumed)
    if [ "$rc" = 0 ] && [ "$e" = 0 ] && [ "${ra:-0}" -ge 90 ] && [ "${rb:-0}" -ge 90 ]; then
        pass "$run: resumption across machines (A resumed=$ra, B resumed=$rb of 100 each)"
    else fail "$run: rc=$rc errors=$e A resumed=$ra B resumed=$rb"; show "$TMP/$run.out"; fi
done

# the bytes in memcached (raw gets, text protocol) hold no master secret (from A's key log)
cat >"$TMP/raw.py" <<'EOF'
import re, socket, sys
ports, keylog, logs = sys.argv[1].split(","), sys.argv[2], sys.argv[3:]
masters = [bytes.fromhex(l.split()[2]) for l in open(keylog) if l.startswith("CLIENT_RANDOM ")]
sids = set()
for f in logs:
    sids |= set(re.findall(r"resumed=no .*session=([0-9a-f]{64})", open(f).read()))
def get(port, key):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    s.sendall(b"get " + key.encode() + b"\r\n")
    buf = b""
    while not (buf.endswith(b"END\r\n")):
        d = s.recv(65536)
        if not d: break
        buf += d
    s.close()
    m = re.match(rb"VALUE \S+ \d+ (\d+)\r\n", buf)
    return buf[m.end():m.end() + int(m.group(1))] if m else None
found = 0
for sid in sids:
    vals = [v for v in (get(p, "sslref:s:53" + sid) for p in ports) if v is not None]
    for v in vals:
        assert v[0] == 1 and len(v) > 41, "not a sealed entry"
        for ms in masters:
            assert ms not in v, "a master secret in memcached"
    found += bool(vals)
print(f"sessions={len(sids)} found={found} masters={len(masters)}")
sys.exit(0 if found and masters and found == len(sids) else 1)
EOF
if out=$(python3 "$TMP/raw.py" "$P1,$P2" "$TMP/keylog" "$TMP/a.log" "$TMP/b.log" 2>&1); then
    pass "raw gets: every session made so far is in memcached, sealed, no master secret ($out)"
else fail "raw gets: $out"; fi

# a machine with another cluster key: it cannot open the others' entries (misses), nor they its
printf '1 %s\n' "$(openssl rand -hex 32)" >"$TMP/other.key"; chmod 600 "$TMP/other.key"
start_sslref_server "$TMP/c.log" --cache "$TMP/cache-c" --processes 1 --quiet \
    --memcached "$MCLIST" --cluster-key "$TMP/other.key" --tickets off || exit 1
C_PID=$SRV_PID; C=$SRV_PORT
( for j in 1 2 3 4 5 6; do bench "foreign$j" "$A" "$C" 4 1; done )
stop_pid "$C_PID"
ferr=0; fres=0
for j in 1 2 3 4 5 6; do
    ferr=$((ferr + $(errors_of "foreign$j"))); fres=$((fres + $(target_field "foreign$j" "$C" resumed)))
done
cline=$(grep '^stats: ' "$TMP/c.log")
if [ "$ferr" = 0 ] && [ "$fres" = 0 ] && grep -q "remote_hits=0 " <<<"$cline" &&
   ! grep -q "misses=0$" <<<"$cline"; then
    pass "a machine with another cluster key: 0 errors, 0 resumptions of the others' sessions ($cline)"
else fail "foreign cluster key: errors=$ferr C resumed=$fres $cline"; fi

# 2. both memcached stopped: bounded cost, no failure
mA=$(log_mark "$TMP/a.log"); mB=$(log_mark "$TMP/b.log")
kill -STOP "$MC1" "$MC2"
t0=$(date +%s%N)
bench stopped "$A" "$B" 40 1
t1=$(date +%s%N)
kill -CONT "$MC1" "$MC2"
rc=$(cat "$TMP/stopped.rc"); e=$(errors_of stopped)
pf=$(p99_of stopped full); pr=$(p99_of stopped resumed); ms=$(((t1 - t0) / 1000000))
# a handshake waits for at most one get and one add timeout (then the server is skipped for 1 s)
bound=$((TIMEOUT_MS * 2 + 150))
if [ "$e" = 0 ] && awk -v a="$pf" -v b="$pr" -v m="$bound" 'BEGIN { exit !(a < m && b < m) }' && [ "$ms" -lt 8000 ]; then
    pass "memcached stopped: 40 handshakes, 0 errors, p99 full ${pf} ms / resumed ${pr} ms (< $bound ms), $ms ms in all"
else fail "memcached stopped: rc=$rc errors=$e p99 full=$pf resumed=$pr bound=$bound total=${ms}ms"; show "$TMP/stopped.out"; fi
if log_since "$TMP/a.log" "$mA" | grep -q "memcached 127.0.0.1:[0-9]* down: " &&
   log_since "$TMP/b.log" "$mB" | grep -q "memcached 127.0.0.1:[0-9]* down: "; then
    pass "memcached stopped: the servers logged it down"
else fail "memcached stopped: no down line"; log_since "$TMP/a.log" "$mA" | grep memcached; fi

# back up (after the 1 s retry period): "up" lines
sleep 1.2
mA=$(log_mark "$TMP/a.log"); mB=$(log_mark "$TMP/b.log")
bench again "$A" "$B" 100 2
if [ "$(cat "$TMP/again.rc")" = 0 ] && [ "$(errors_of again)" = 0 ] &&
   cat "$TMP/a.log" "$TMP/b.log" | grep -q "memcached 127.0.0.1:[0-9]* up$"; then
    pass "memcached continued: up again, resumption works"
else fail "memcached continued"; show "$TMP/again.out"; fi

# 3. both killed during a run: handshakes complete, one down line per process and server at most
sleep 1.2
mA=$(log_mark "$TMP/a.log"); mB=$(log_mark "$TMP/b.log")
# killed during two kinds of load: one long run, a quarter of it new sessions (adds), and a
# series of short runs, each a new client session made on one machine and offered to the other
# (remote gets)
bench killed "$A" "$B" 800 2 25 &
BENCH=$!
( for j in $(seq 1 12); do bench "short$j" "$A" "$B" 10 1; done ) &
SHORT=$!
sleep 0.15
stop_pid "$MC1" KILL; stop_pid "$MC2" KILL
wait "$BENCH" "$SHORT"
short_err=0; short_hs=0; short_full=0
for j in $(seq 1 12); do
    short_err=$((short_err + $(errors_of "short$j")))
    for t in "$A" "$B"; do
        short_hs=$((short_hs + $(target_field "short$j" "$t" full) + $(target_field "short$j" "$t" resumed)))
        short_full=$((short_full + $(target_field "short$j" "$t" full)))
    done
done
if [ "$short_err" = 0 ] && [ "$short_hs" = 120 ] && [ "$short_full" -gt 12 ]; then
    pass "memcached killed during 12 short cross-machine runs: 120 handshakes, 0 errors ($short_full full: the crossings after the kill)"
else fail "memcached killed, short runs: errors=$short_err handshakes=$short_hs full=$short_full"; fi
e=$(errors_of killed); fa=$(target_field killed "$A" full); fb=$(target_field killed "$B" full)
ra=$(target_field killed "$A" resumed); rb=$(target_field killed "$B" resumed)
downs=$( { log_since "$TMP/a.log" "$mA" | sed 's/^/A /'; log_since "$TMP/b.log" "$mB" | sed 's/^/B /'; } |
    sed -n 's/^\([AB]\) sslref-server: process \([0-9]*\): memcached \(127.0.0.1:[0-9]*\) down: .*/\1-\2-\3/p')
ndown=$(printf '%s\n' "$downs" | grep -c .); ndup=$(printf '%s\n' "$downs" | grep . | sort | uniq -d | wc -l)
if [ "$e" = 0 ] && [ $((fa + fb + ra + rb)) -eq 800 ] &&
   [ "$ndown" -ge 1 ] && [ "$ndup" -eq 0 ]; then
    pass "memcached killed during a run: 800 handshakes ($((fa + fb)) full), 0 errors, $ndown down lines (one per process and server)"
else fail "memcached killed: errors=$e full=$fa+$fb resumed=$ra+$rb downs=[$downs]"; show "$TMP/killed.out"; fi

# 4. a fake memcached answering garbage on the first port, the second still dead
cat >"$TMP/fake.py" <<'EOF'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
def serve(c):
    try:
        while c.recv(4096):
            c.sendall(b"\x81\x00garbage, not memcached\r\nERROR\r\n" + bytes(range(256)))
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    print("accepted", flush=True)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
python3 "$TMP/fake.py" "$P1" >"$TMP/fake.log" &
FAKE=$!; INTEROP_PIDS+=("$FAKE")
wait_listen "$P1" "$FAKE" || fail "fake memcached did not start"
sleep 1.2
bench garbage "$A" "$B" 60 2
e=$(errors_of garbage); fa=$(target_field garbage "$A" full); fb=$(target_field garbage "$B" full)
ra=$(target_field garbage "$A" resumed); rb=$(target_field garbage "$B" resumed)
if [ "$e" = 0 ] && [ $((fa + fb + ra + rb)) -eq 60 ] && [ $((fa + fb)) -ge 30 ] &&
   grep -q accepted "$TMP/fake.log"; then
    pass "memcached answering garbage: 0 errors, $((fa + fb)) full handshakes (misses)"
else fail "garbage: errors=$e full=$fa+$fb accepted=$(grep -c accepted "$TMP/fake.log")"; show "$TMP/garbage.out"; fi
stop_pid "$FAKE" KILL 2>/dev/null

# 5. restarted: up again, resumption crosses machines again
start_memcached "$P1"; start_memcached "$P2"
sleep 1.2
mA=$(log_mark "$TMP/a.log"); mB=$(log_mark "$TMP/b.log")
bench restarted "$A" "$B" 200 2
rc=$(cat "$TMP/restarted.rc"); e=$(errors_of restarted); rb=$(target_field restarted "$B" resumed)
if [ "$rc" = 0 ] && [ "$e" = 0 ] && [ "${rb:-0}" -ge 90 ] &&
   { log_since "$TMP/a.log" "$mA"; log_since "$TMP/b.log" "$mB"; } | grep -q "memcached 127.0.0.1:[0-9]* up$"; then
    pass "memcached restarted: up lines, B resumed $rb of 100 of A's sessions"
else fail "restarted: rc=$rc errors=$e B resumed=$rb"; show "$TMP/restarted.out"; fi

# the servers' own accounts: remote hits on both machines, no failed handshake
stop_pid "$A_PID"; stop_pid "$B_PID"
for m in a b; do
    line=$(grep '^stats: ' "$TMP/$m.log")
    remote=$(sed -n 's/.* remote_hits=\([0-9]*\).*/\1/p' <<<"$line")
    failures=$(sed -n 's/.* failures=\([0-9]*\).*/\1/p' <<<"$line")
    local_=$(sed -n 's/.* local_hits=\([0-9]*\).*/\1/p' <<<"$line")
    if [ "${remote:-0}" -gt 0 ] && [ "${local_:-0}" -gt 0 ] && [ "$failures" = 0 ]; then
        pass "machine $m: $line"
    else fail "machine $m stats: $line"; fi
done
# per-connection lines still there (resumed=yes on some)
if grep -q "resumed=yes" "$TMP/b.log" && grep -q "resumed=no" "$TMP/a.log"; then
    pass "per-connection lines still printed"
else fail "per-connection lines missing"; fi
interop_finish

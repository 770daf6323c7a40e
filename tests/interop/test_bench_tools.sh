#!/bin/bash
# test_bench_tools.sh - the measuring tools of tests/bench/compare-nss: sslref-server --bulk sends
# exactly BLOCKS x 16 KiB per request (and closes), sslref-bench counts the bytes it received,
# --server-pid reports the server's CPU time per handshake (also for a multi-process server: the
# workers are children of the supervisor) and, with --hold, its memory per held connection, and
# the CSV row carries those columns; tests/bench/tcp_ceiling serves and counts plain TCP connections.
# A run that asks for resumption counts it: against a server with a session cache it passes with
# every connection after the first resumed (and --full-percent 50 within its allowance); against
# selfserv -N (no session cache: nothing resumes) it exits 3 with "resumption failed"; and
# compare_report.py shows the resumed share per row and marks a row INVALID when a run did not.
# Usage: bash tests/interop/test_bench_tools.sh BUILD_DIR
set -uo pipefail
source "$(dirname "$0")/lib.sh"
interop_init "$1"
[ -x "$BIN/sslref-bench" ] || { echo "FAIL: $BIN/sslref-bench not built"; exit 1; }

# 1. --bulk 1024: two connections, 2 x 1024 x 16384 bytes, each connection closed by the server.
start_sslref_server "$TMP/bulk.log" --threads 1 --quiet --bulk 1024 --ciphers 009c || exit 1
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 2 --threads 1 \
    --server-pid "$SRV_PID" --csv "$TMP/b.csv" >"$TMP/bulk.out" 2>&1
r=$?
bytes=$(awk '$1 == "bytes" { print $2 }' "$TMP/bulk.out")
if [ $r -eq 0 ] && [ "$bytes" = $((2 * 1024 * 16384)) ]; then
    pass "--bulk 1024: the bench received exactly 2 x 1024 x 16 KiB ($bytes bytes)"
else
    fail "--bulk: exit $r, bytes '$bytes'"
    show "$TMP/bulk.out"
fi
# Encrypting 32 MiB with AES-128-GCM takes measurable CPU: at least one 10 ms clock tick.
cpu=$(sed -n "s/^  server pid $SRV_PID (1 processes): cpu \([0-9.]*\) s, .*/\1/p" "$TMP/bulk.out")
if [ -n "$cpu" ] && awk -v c="$cpu" 'BEGIN { exit !(c > 0) }'; then
    pass "--server-pid: $(grep 'server pid' "$TMP/bulk.out" | sed 's/^ *//')"
else
    fail "--server-pid line"
    show "$TMP/bulk.out"
fi
if head -1 "$TMP/b.csv" | grep -q ',bytes_in,mb_per_s,server_cpu_us_per_hs,server_kib_per_held,' &&
    awk -F, -v b="$bytes" 'NR == 2 && $19 == b && $21 > 0 { ok = 1 } END { exit !ok }' "$TMP/b.csv"; then
    pass "--csv: bytes_in and server CPU per handshake columns"
else
    fail "--csv columns"
    show "$TMP/b.csv"
fi
stop_pid "$SRV_PID" TERM

# 2. --hold with --server-pid on a 2-process server: the RSS line, and 40 connections held.
mkdir -m 700 "$TMP/cache"
start_sslref_server "$TMP/hold.log" --processes 2 --threads 1 --cache "$TMP/cache" --quiet || exit 1
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --hold 40 --hold-seconds 1 --threads 2 \
    --full-percent 0 --server-pid "$SRV_PID" >"$TMP/hold.out" 2>&1
r=$?
if [ $r -eq 0 ] && grep -q "held 40 connections open; 40 answered afterwards" "$TMP/hold.out" &&
    grep -Eq "^  server pid $SRV_PID \(3 processes\)" "$TMP/hold.out" &&
    grep -Eq "^  server rss [0-9]+ KiB before, [0-9]+ KiB holding: -?[0-9.]+ KiB per connection$" \
        "$TMP/hold.out"; then
    pass "--hold --server-pid: supervisor and 2 workers measured; $(grep 'server rss' "$TMP/hold.out" | sed 's/^ *//')"
else
    fail "--hold --server-pid (exit $r)"
    show "$TMP/hold.out"
fi
stop_pid "$SRV_PID" TERM

# 3. resumption, sslref-server (its in-process session cache): 100 connections over 4 threads,
# --full-percent 0: exit 0, 1 full and 99 resumed, counted in the table and the CSV row; then
# --full-percent 50 (50 asked full + the first: at most 1 + 51 allowed).
start_sslref_server "$TMP/res.log" --threads 2 --quiet --ciphers 002f || exit 1
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 100 --threads 4 \
    --full-percent 0 --quiet --csv "$TMP/res.csv" >"$TMP/res.out" 2>&1
r=$?
if [ $r -eq 0 ] && grep -Eq '^  full +1 ' "$TMP/res.out" && grep -Eq '^  resumed +99 ' "$TMP/res.out" &&
    grep -q '^  resumption         ok  1 full of 100 handshakes (1.0%), at most 2 allowed$' "$TMP/res.out" &&
    head -1 "$TMP/res.csv" | grep -q ',full,resumed,.*,full_max,resumption$' &&
    awk -F, 'NR == 2 && $7 == 1 && $8 == 99 && $23 == 2 && $24 == "ok" { ok = 1 } END { exit !ok }' \
        "$TMP/res.csv"; then
    pass "resumed run, server with a cache: exit 0, 1 full + 99 resumed of 100 (table and CSV)"
else
    fail "resumed run against sslref-server (exit $r)"
    show "$TMP/res.out" "$TMP/res.csv"
fi
"$BIN/sslref-bench" --host 127.0.0.1 --port "$SRV_PORT" --connections 100 --threads 4 \
    --full-percent 50 --quiet >"$TMP/res50.out" 2>&1
r=$?
if [ $r -eq 0 ] && grep -Eq '^  full +51 ' "$TMP/res50.out" && grep -Eq '^  resumed +49 ' "$TMP/res50.out" &&
    grep -q '^  resumption         ok  51 full of 100 handshakes (51.0%), at most 52 allowed$' \
        "$TMP/res50.out"; then
    pass "--full-percent 50: exit 0, 51 full (50 asked + the first) + 49 resumed"
else
    fail "--full-percent 50 against sslref-server (exit $r)"
    show "$TMP/res50.out"
fi
stop_pid "$SRV_PID" TERM

# 4. resumption refused: selfserv -N keeps no session cache, so each of 30 connections that
# offers a session gets a full handshake; sslref-bench must say so and exit 3 (it exited 0).
port=$(free_port)
/usr/bin/selfserv -n server -p "$port" -d "$DB" -V tls1.2:tls1.2 -D -N -t 2 -c :002f \
    >"$TMP/nocache.selfserv" 2>&1 &
spid=$!
INTEROP_PIDS+=("$spid")
if wait_listen "$port" "$spid"; then
    "$BIN/sslref-bench" --host 127.0.0.1 --port "$port" --connections 30 --threads 2 \
        --full-percent 0 --quiet --csv "$TMP/nocache.csv" >"$TMP/nocache.out" 2>&1
    r=$?
    if [ $r -eq 3 ] && grep -Eq '^  full +30 ' "$TMP/nocache.out" &&
        grep -q '^sslref-bench: resumption failed: 30 of 30 handshakes were full, more than the 1 a run with --full-percent 0 allows' \
            "$TMP/nocache.out" &&
        awk -F, 'NR == 2 && $7 == 30 && $8 == 0 && $24 == "failed" { ok = 1 } END { exit !ok }' \
            "$TMP/nocache.csv"; then
        pass "resumed run, selfserv -N: exit 3, $(grep 'resumption failed' "$TMP/nocache.out" | cut -c1-60)..."
    else
        fail "resumed run against selfserv -N: exit $r (want 3 and the message)"
        show "$TMP/nocache.out" "$TMP/nocache.csv"
    fi
else
    fail "selfserv -N did not start"
    show "$TMP/nocache.selfserv"
fi
stop_pid "$spid" USR1

# 5. tcp_ceiling: serve and count 500 plain TCP connections.
cc -O2 -std=c11 -D_GNU_SOURCE -pthread "$SRC/tests/bench/tcp_ceiling.c" -o "$TMP/tcp_ceiling" ||
    { fail "tcp_ceiling does not build"; interop_finish; exit; }
port=$(free_port)
"$TMP/tcp_ceiling" serve "$port" 2 2>/dev/null &
tpid=$!
INTEROP_PIDS+=("$tpid")
if wait_listen "$port" "$tpid" && line=$("$TMP/tcp_ceiling" client "$port" 500 4) &&
    echo "$line" | grep -Eq '^connections=500 errors=0 elapsed=[0-9.]+ per_second=[0-9.]+$'; then
    pass "tcp_ceiling: $line"
else
    fail "tcp_ceiling: '${line:-}'"
fi
stop_pid "$tpid" TERM

# 6. compare_report.py: a resumed row shows each server's resumed share ("NSS/sslref" %) and is
# INVALID when a run did not resume as asked (a badres_res line), which fails the report.
cat >"$TMP/raw.txt" <<'RAW'
1proc 2048 002f sslref-bench nfull_res nss 1 1
1proc 2048 002f sslref-bench nres_res nss 1 59
1proc 2048 002f sslref-bench hs_res nss 1 1000
1proc 2048 002f strsclnt nfull_res nss 1 1
1proc 2048 002f strsclnt nres_res nss 1 59
1proc 2048 002f strsclnt hs_res nss 1 1000
1proc 2048 002f strsclnt nfull_res sslref 1 1
1proc 2048 002f strsclnt nres_res sslref 1 59
1proc 2048 002f strsclnt hs_res sslref 1 2000
1proc 2048 002f sslref-bench badres_res sslref 1 1
1proc 2048 002f sslref-bench nfull_res sslref 1 12
1proc 2048 002f sslref-bench nres_res sslref 1 48
1proc 2048 002f sslref-bench hs_res sslref 1 2000
RAW
echo "date: test" >"$TMP/meta.txt"
python3 "$SRC/tests/bench/compare_report.py" "$TMP/raw.txt" "$TMP/meta.txt" "$TMP/rep" >"$TMP/rep.out" 2>&1
r=$?
if [ $r -eq 1 ] &&
    grep -Eq ' strsclnt +resumed handshakes/s .* 2\.00 +98\.3/98\.3 +>= 1\.00 +met$' "$TMP/rep.txt" &&
    grep -Eq ' sslref-bench +resumed handshakes/s .* 98\.3/80\.0 +>= 1\.00 +INVALID\(not resumed: 1 run\)$' \
        "$TMP/rep.txt" &&
    grep -q ',INVALID(not resumed: 1 run),1,0,98.33,80.00,1$' "$TMP/rep.csv"; then
    pass "compare_report: resumed % per row; the row whose run did not resume is INVALID (exit 1)"
else
    fail "compare_report resumed column / INVALID (exit $r)"
    show "$TMP/rep.out" "$TMP/rep.csv"
fi
# 7. compare_report.py with nginx as the first peer (tests/bench/compare-nginx): three servers'
# columns and both ratios, an s_time client row (named as such in the targets), a row recorded
# "na" for sslref printed as n/a (its target n/a, not met
# or failed), the targets judged against nginx (<= 0.67x for resumed CPU), and the concurrency
# section as a table of its own and a second chart.
cat >"$TMP/rawn.txt" <<'RAW'
res1 rsa2048-x25519 c02f sslref-bench cpu_res nginx 1 150
res1 rsa2048-x25519 c02f sslref-bench cpu_res nss 1 200
res1 rsa2048-x25519 c02f sslref-bench cpu_res sslref 1 90
res1 rsa2048-x25519 c02f s_time cpu_res nginx 1 180
res1 rsa2048-x25519 c02f s_time cpu_res nss 1 185
res1 rsa2048-x25519 c02f s_time cpu_res sslref 1 90
tkt1 rsa2048-x25519 c02f strsclnt cpu_res sslref 0 na
tkt1 rsa2048-x25519 c02f strsclnt cpu_res nginx 1 160
tkt1 rsa2048-x25519 c02f strsclnt cpu_res nss 1 210
conc t2p1 c02f sslref-bench hs_full nginx 1 1000
conc t2p1 c02f sslref-bench hs_full sslref 1 800
RAW
python3 "$SRC/tests/bench/compare_report.py" "$TMP/rawn.txt" "$TMP/meta.txt" "$TMP/repn" >"$TMP/repn.out" 2>&1
r=$?
if [ $r -eq 0 ] &&
    grep -Eq '^procs +key +suite +client +measure +unit +nginx +NSS +sslref +sslref/nginx +sslref/NSS ' "$TMP/repn.txt" &&
    grep -Eq ' rsa2048-x25519 +c02f +sslref-bench +server CPU per resumed handshake \(session ID\) +us +150 +200 +90\.0 +0\.60 +0\.45 +<= 0\.67 +met$' "$TMP/repn.txt" &&
    grep -Eq ' strsclnt +server CPU per resumed handshake \(ticket\) +us +160 +210 +n/a +- +- +<= 0\.67 +n/a$' "$TMP/repn.txt" &&
    grep -Eq '^  n/a +server CPU per resumed handshake <= 0\.67x nginx.s, ticket, 1 process: n/a \(not implemented in sslref yet\)$' "$TMP/repn.txt" &&
    grep -Eq ' s_time +server CPU per resumed handshake \(session ID\) +us +180 +185 +90\.0 +0\.50 ' "$TMP/repn.txt" &&
    grep -Eq 'session ID, 1 process: res1 rsa2048-x25519 c02f bench 0\.60, res1 rsa2048-x25519 c02f s_time 0\.50$' "$TMP/repn.txt" &&
    grep -Eq '^2 x 1 \(2\) +1000 +800 +0\.80 ' "$TMP/repn.txt" && [ -s "$TMP/repn-concurrency.svg" ] &&
    grep -q '^tkt1,1 process,rsa2048-x25519,c02f,strsclnt,cpu_res,.*,160,210,na,,,<= 0.67,n/a,' "$TMP/repn.csv"; then
    pass "compare_report (nginx): nginx/NSS/sslref columns, an s_time row named in its target, an n/a row and target, the concurrency table and chart"
else
    fail "compare_report with nginx as a peer (exit $r)"
    show "$TMP/repn.out" "$TMP/repn.csv"
fi
# 8. compare_report.py's noise line: the spread of each server's own runs of a full-handshake cell,
# (max - min) / median, for sslref and the first peer (not NSS, not the concurrency cells), as the
# median and the largest over the cells. Here 20/110 and 50/200 in CPU, 200/1000 and 0 in rate.
cat >"$TMP/rawz.txt" <<'RAW'
full1 rsa2048-x25519 c02f sslref-bench cpu_full sslref 1 100
full1 rsa2048-x25519 c02f sslref-bench cpu_full sslref 2 120
full1 rsa2048-x25519 c02f sslref-bench cpu_full sslref 3 110
full1 rsa2048-x25519 c02f sslref-bench cpu_full nginx 1 200
full1 rsa2048-x25519 c02f sslref-bench cpu_full nginx 2 250
full1 rsa2048-x25519 c02f sslref-bench cpu_full nginx 3 200
full1 rsa2048-x25519 c02f sslref-bench cpu_full nss 1 100
full1 rsa2048-x25519 c02f sslref-bench cpu_full nss 2 900
full1 rsa2048-x25519 c02f sslref-bench hs_full sslref 1 1000
full1 rsa2048-x25519 c02f sslref-bench hs_full sslref 2 900
full1 rsa2048-x25519 c02f sslref-bench hs_full sslref 3 1100
full1 rsa2048-x25519 c02f sslref-bench hs_full nginx 1 500
full1 rsa2048-x25519 c02f sslref-bench hs_full nginx 2 500
full1 rsa2048-x25519 c02f sslref-bench hs_full nginx 3 500
conc t1p1 c02f sslref-bench cpu_full sslref 1 100
conc t1p1 c02f sslref-bench cpu_full sslref 2 1000
conc t1p1 c02f sslref-bench cpu_full nginx 1 100
conc t1p1 c02f sslref-bench cpu_full nginx 2 100
RAW
python3 "$SRC/tests/bench/compare_report.py" "$TMP/rawz.txt" "$TMP/meta.txt" "$TMP/repz" >"$TMP/repz.out" 2>&1
r=$?
want='run-to-run spread of one server in one cell ((max - min) / median): server CPU per full handshake median 22 %, up to 25 %; full handshakes/s median 10 %, up to 20 %'
if [ $r -eq 0 ] && grep -qxF "$want" "$TMP/repz.txt" && grep -qxF "$want  " "$TMP/repz.md"; then
    pass "compare_report: the run-to-run spread line (sslref and nginx, full-handshake cells only)"
else
    fail "compare_report spread line (exit $r)"
    show "$TMP/repz.out"
fi
interop_finish

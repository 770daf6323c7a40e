#!/bin/bash
# test_nss_selfserv.sh - sslref-client against NSS selfserv, SSL 3.0 only (-V ssl3:ssl3), for
# every suite of issue 2 that NSS accepts. Per suite, a fresh selfserv restricted to that suite
# serves `sslref-client --ciphers SUITE --resume 1 --ca ca-cert.pem` (a full handshake with the
# server chain checked against the CA, then a resumption). Checked on both sides: the client exits
# 0, prints two lines for the suite with resumed=no then resumed=yes, peer="CN=localhost", and gets
# selfserv's HTTP answer to its request twice; selfserv, stopped with SIGUSR1, reports
# "1 cache hits; 1 cache misses". One more case: client authentication (selfserv -r -r requires a
# certificate and logs the client's subject), and a selfserv without a session cache (-N), to
# which the client falls back to full handshakes.
# Usage: bash tests/interop/test_nss_selfserv.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"

# run_case NAME SUITE SELFSERV_EXTRA CLIENT_EXTRA: one selfserv, one client run with --resume 1.
run_case() {
    local name=$1 s=$2 sx=$3 cx=$4 port ss out="$TMP/$1"
    port=$(free_port) || { fail "$name: no free port"; return; }
    # selfserv listens on all interfaces (no bind option); we only ever connect to 127.0.0.1.
    # It must be started by absolute path (DESIGN.md §6).
    /usr/bin/selfserv -n server -p "$port" -d "$DB" -V ssl3:ssl3 -c ":$s" -v $sx \
        >"$out.selfserv" 2>&1 &
    ss=$!
    INTEROP_PIDS+=("$ss")
    if ! wait_listen "$port" "$ss"; then
        fail "$name: selfserv did not start"
        show "$out.selfserv"
        stop_pid "$ss" KILL
        return
    fi
    timeout 30 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 --port "$port" --ciphers "$s" --resume 1 \
        --ca "$DATA/ca-cert.pem" $cx >"$out.stdout" 2>"$out.stderr"
    local rc=$?
    stop_pid "$ss" USR1
    local pattern answers
    pattern=$(sed -n "s/^version=3.0 cipher=0x$s [A-Z_0-9]* resumed=\([a-z]*\) peer=\"CN=localhost\"$/\1/p" \
        "$out.stderr" | tr '\n' ' ')
    answers=$(grep -c '^GET / HTTP/1.0' "$out.stdout")
    if [ $rc -eq 0 ] && [ "$pattern" = "no yes " ] && [ "$answers" -eq 2 ]; then
        pass "$name: sslref-client full then resumed, answers received (client side)"
    else
        fail "$name: sslref-client (exit $rc, resumed pattern '$pattern', $answers answers)"
        show "$out.stderr" "$out.stdout"
    fi
    if grep -q '1 cache hits; 1 cache misses' "$out.selfserv"; then
        pass "$name: selfserv resumed the second connection (NSS side)"
    else
        fail "$name: selfserv did not report 1 hit and 1 miss"
        show "$out.selfserv"
    fi
}

for s in $NSS_SSL3_SUITES; do
    run_case "$s" "$s" "" ""
done

# Client authentication: selfserv requires a certificate; the client sends client-cert.pem.
run_case "000a-client-auth" 000a "-r -r" \
    "--cert $DATA/client-cert.pem --key $DATA/client-key.pem"
if grep -q 'subject DN: CN=sslref test client' "$TMP/000a-client-auth.selfserv"; then
    pass "000a-client-auth: selfserv received the client certificate"
else
    fail "000a-client-auth: selfserv did not log the client certificate"
fi

# A server that does not resume (selfserv -N: no session cache): the client offers its cached
# session each time, gets a full handshake instead, and carries on.
port=$(free_port)
/usr/bin/selfserv -n server -p "$port" -d "$DB" -V ssl3:ssl3 -N -c :002f >"$TMP/nocache.selfserv" 2>&1 &
ss=$!
INTEROP_PIDS+=("$ss")
if wait_listen "$port" "$ss"; then
    timeout 30 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 --port "$port" --ciphers 002f --resume 2 \
        >"$TMP/nocache.out" 2>"$TMP/nocache.err"
    rc=$?
    stop_pid "$ss" USR1
    if [ $rc -eq 0 ] && [ "$(grep -c '^version=3.0 cipher=0x002f .* resumed=no ' "$TMP/nocache.err")" -eq 3 ]; then
        pass "no server cache (selfserv -N): three full handshakes, the offered session is dropped"
    else
        fail "no server cache (exit $rc)"
        show "$TMP/nocache.err" "$TMP/nocache.selfserv"
    fi
else
    fail "selfserv -N did not start"
    stop_pid "$ss" KILL
fi
interop_finish

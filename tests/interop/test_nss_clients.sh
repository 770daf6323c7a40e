#!/bin/bash
# test_nss_clients.sh - NSS clients against sslref-server, SSL 3.0 only (-V ssl3:ssl3), for every
# suite of issue 2 that NSS accepts. Per suite, a fresh sslref-server (all eight suites enabled,
# so the choice follows the client's offer) serves:
#   1. tstclnt -c :SUITE: a full handshake, an HTTP request and the echoed answer;
#   2. strsclnt -C :SUITE -c 2 -t 1: a full handshake, then a resumption of that session.
# Checked on both sides: tstclnt got "HTTP/1.0 200 OK" and its request back; strsclnt reports
# "1 cache hits; 1 cache misses"; the server logged three connections with this suite and
# resumed=no, no, yes, and its SIGTERM stats line says full=2 resumed=1 failures=0.
# Then 1 MB through echo mode for 0x0005 and 0x0035, and one client-authentication case (tstclnt -n client, server --request-client-cert --ca).
# INTEROP_SERVER_SUITES (comma list) overrides the server's suites, e.g. to see the test fail.
# Usage: bash tests/interop/test_nss_clients.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"

printf 'GET /interop HTTP/1.0\r\n\r\n' >"$TMP/request"
ALL=${INTEROP_SERVER_SUITES:-$(echo $NSS_SSL3_SUITES | tr " " ",")}

for s in $NSS_SSL3_SUITES; do
    log="$TMP/server-$s.log"
    start_sslref_server "$log" --version ssl3 --ciphers "$ALL" || { fail "$s: server start"; continue; }

    # 1. tstclnt, full handshake and one request (-o: the CA is trusted anyway, no validation hang)
    timeout 20 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -V ssl3:ssl3 -c ":$s" -o \
        -A "$TMP/request" >"$TMP/tstclnt-$s.out" 2>"$TMP/tstclnt-$s.err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^HTTP/1.0 200 OK' "$TMP/tstclnt-$s.out" &&
        grep -q '^GET /interop HTTP/1.0' "$TMP/tstclnt-$s.out"; then
        pass "$s: tstclnt full handshake and request"
    else
        fail "$s: tstclnt (exit $rc)"
        show "$TMP/tstclnt-$s.out" "$TMP/tstclnt-$s.err"
    fi

    # 2. strsclnt: two connections, the second resumes the first's session
    timeout 30 strsclnt -p "$SRV_PORT" -d "$DB" -V ssl3:ssl3 -C ":$s" -c 2 -t 1 -q -o 127.0.0.1 \
        >"$TMP/strsclnt-$s.out" 2>&1
    rc=$?
    if grep -q '1 cache hits; 1 cache misses' "$TMP/strsclnt-$s.out"; then
        pass "$s: strsclnt resumed its second connection (NSS side)"
    else
        fail "$s: strsclnt did not resume (exit $rc)"
        show "$TMP/strsclnt-$s.out"
    fi

    stop_pid "$SRV_PID" TERM
    lines=$(grep -c "^version=3.0 cipher=0x$s " "$log")
    pattern=$(sed -n "s/^version=3.0 cipher=0x$s .* resumed=\([a-z]*\) .*/\1/p" "$log" | tr '\n' ' ')
    if [ "$lines" -eq 3 ] && [ "$pattern" = "no no yes " ] &&
        grep -q '^stats: connections=3 full=2 resumed=1 failures=0$' "$log"; then
        pass "$s: server saw full, full, resumed (server side)"
    else
        fail "$s: server log (want 3 lines for 0x$s, resumed no no yes, stats full=2 resumed=1)"
        show "$log"
    fi
done

# Bulk data: 1 MB through echo mode and back, for a stream and a block cipher (records split at
# 2^14, CBC 1/n-1 splitting). tstclnt does not close after its input ends (DESIGN.md §6): it runs
# under a short timeout and its output is compared with its input.
head -c 750000 /dev/urandom | base64 -w 0 | fold -w 1000 >"$TMP/bulk"
for s in 0005 0035; do
    log="$TMP/server-bulk-$s.log"
    if ! start_sslref_server "$log" --version ssl3 --ciphers "$ALL" --mode echo; then
        fail "$s bulk: server start"
        continue
    fi
    timeout 5 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -V ssl3:ssl3 -c ":$s" -o \
        -A "$TMP/bulk" >"$TMP/bulk-$s.out" 2>"$TMP/bulk-$s.err"
    stop_pid "$SRV_PID" TERM
    if cmp -s "$TMP/bulk" "$TMP/bulk-$s.out" && grep -q "^version=3.0 cipher=0x$s " "$log"; then
        pass "$s bulk: $(wc -c <"$TMP/bulk") bytes echoed intact to tstclnt"
    else
        fail "$s bulk: $(wc -c <"$TMP/bulk-$s.out") of $(wc -c <"$TMP/bulk") bytes came back"
        show "$log" "$TMP/bulk-$s.err"
    fi
done

# Client authentication: the server requests a certificate and checks it against the CA;
# tstclnt sends "client" (client-cert.pem). The server's line names the client's subject.
log="$TMP/server-client-auth.log"
if start_sslref_server "$log" --version ssl3 --request-client-cert --ca "$DATA/ca-cert.pem" --once; then
    timeout 20 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -V ssl3:ssl3 -c :000a -o -n client \
        -A "$TMP/request" >"$TMP/tstclnt-auth.out" 2>"$TMP/tstclnt-auth.err"
    rc=$?
    stop_pid "$SRV_PID" TERM
    if [ $rc -eq 0 ] && grep -q '^HTTP/1.0 200 OK' "$TMP/tstclnt-auth.out" &&
        grep -q '^version=3.0 cipher=0x000a .* resumed=no peer="CN=sslref test client" ' "$log"; then
        pass "client-auth: tstclnt sent its certificate, the server checked and logged it"
    else
        fail "client-auth (tstclnt exit $rc)"
        show "$log" "$TMP/tstclnt-auth.out" "$TMP/tstclnt-auth.err"
    fi
else
    fail "client-auth: server start"
fi
interop_finish

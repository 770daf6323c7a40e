#!/bin/bash
# test_nss_v2hello.sh - the SSL 2.0-compatible hello settings against NSS 3.87 (issue 5).
#   1. tstclnt -V ssl3:ssl3 -L 2 against sslref-server --version ssl3-with-ssl2-hello, and against
#      --version any: a full handshake and a resumption, each with an HTTP request and the answer.
#      Checked on both sides: tstclnt says "SSL version 3.0" twice and "1 cache hits; 1 cache
#      misses" and got its request back twice; the server logged version=3.0 resumed=no then yes
#      and its stats say full=1 resumed=1 failures=0. Our own client then sends the SSL 2.0-format
#      hello to the same server, which continues in 3.0 (so the server really was in that mode).
#   2. sslref-client --version ssl3-with-ssl2-hello and --version any (both send an SSL 2.0-format
#      CLIENT-HELLO offering 3.0) against selfserv -V ssl3:ssl3: NSS 3.87 does not accept SSL 2.0
#      hellos (no v2-compatible-hello option in selfserv); it takes the first 5 bytes for an SSL 3.0
#      record header whose length is 0x0300 (the hello's msg type and version bytes 01 03 00) and
#      waits for 768 bytes that never come. Asserted: the client fails on its own after its 30 s
#      socket timeout with "error=SSLIOErr during handshake" (exit 1, not killed), no handshake
#      line, and selfserv saw both connections end at EOF with no session; a --version ssl3 client
#      against the same selfserv succeeds.
# Usage: bash tests/interop/test_nss_v2hello.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"

printf 'GET /v2hello HTTP/1.0\r\n\r\n' >"$TMP/request"

# 1. NSS client against a server that also accepts SSL 2.0-format hellos
for ver in ssl3-with-ssl2-hello any; do
    log="$TMP/server-$ver.log"
    start_sslref_server "$log" --bind 127.0.0.1 --version "$ver" ||
        { fail "$ver: server start"; continue; }
    timeout 30 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -V ssl3:ssl3 -o -v -L 2 \
        -A "$TMP/request" >"$TMP/tstclnt-$ver.out" 2>"$TMP/tstclnt-$ver.err"
    rc=$?
    versions=$(grep -c '^tstclnt: SSL version 3.0 using ' "$TMP/tstclnt-$ver.err")
    answers=$(grep -c '^GET /v2hello HTTP/1.0' "$TMP/tstclnt-$ver.out")
    oks=$(grep -c '^HTTP/1.0 200 OK' "$TMP/tstclnt-$ver.out")
    if [ $rc -eq 0 ] && [ "$versions" -eq 2 ] && [ "$answers" -eq 2 ] && [ "$oks" -eq 2 ] &&
        grep -q '^1 cache hits; 1 cache misses' "$TMP/tstclnt-$ver.err"; then
        pass "$ver: tstclnt -V ssl3:ssl3 negotiated SSL 3.0, full then resumed, request answered twice (NSS side)"
    else
        fail "$ver: tstclnt (exit $rc, $versions x SSL 3.0, $answers answers)"
        show "$TMP/tstclnt-$ver.out" "$TMP/tstclnt-$ver.err"
    fi

    # our client's SSL 2.0-format hello to the same server: it continues in 3.0
    timeout 30 "$BIN/sslref-client" --host 127.0.0.1 --port "$SRV_PORT" --version ssl3-with-ssl2-hello \
        --ca "$DATA/ca-cert.pem" --resume 1 >"$TMP/client-$ver.out" 2>"$TMP/client-$ver.err"
    crc=$?
    stop_pid "$SRV_PID" TERM
    pattern=$(sed -n 's/^version=3.0 cipher=0x[0-9a-f]* .* resumed=\([a-z]*\) .*/\1/p' "$log" | tr '\n' ' ')
    if [ "$pattern" = "no yes no yes " ] &&
        grep -q '^stats: connections=4 full=2 resumed=2 failures=0$' "$log"; then
        pass "$ver: server saw SSL 3.0 full then resumed for tstclnt, then for our v2-format hello (server side)"
    else
        fail "$ver: server log (want version=3.0 resumed no yes no yes, stats full=2 resumed=2)"
        show "$log"
    fi
    cpattern=$(sed -n 's/^version=3.0 cipher=0x[0-9a-f]* .* resumed=\([a-z]*\) peer="CN=localhost"$/\1/p' \
        "$TMP/client-$ver.err" | tr '\n' ' ')
    if [ $crc -eq 0 ] && [ "$cpattern" = "no yes " ]; then
        pass "$ver: sslref-client with an SSL 2.0-format hello got SSL 3.0, full then resumed"
    else
        fail "$ver: sslref-client --version ssl3-with-ssl2-hello (exit $crc)"
        show "$TMP/client-$ver.err"
    fi
done

# 2. SSL 2.0-format hellos against NSS selfserv: NSS waits for a 768-byte "record", the client times out
port=$(free_port) || { fail "selfserv: no free port"; interop_finish; exit; }
/usr/bin/selfserv -n server -p "$port" -d "$DB" -V ssl3:ssl3 -v >"$TMP/selfserv.out" 2>&1 &
ss_pid=$!
INTEROP_PIDS+=("$ss_pid")
if wait_listen "$port" "$ss_pid"; then
    start=$(date +%s)
    pids=()
    for ver in ssl3-with-ssl2-hello any; do
        timeout 60 "$BIN/sslref-client" --host 127.0.0.1 --port "$port" --version "$ver" \
            --ca "$DATA/ca-cert.pem" >"$TMP/neg-$ver.out" 2>"$TMP/neg-$ver.err" &
        pids+=($!)
    done
    rcs=()
    for p in "${pids[@]}"; do
        wait "$p"
        rcs+=($?)
    done
    secs=$(($(date +%s) - start))
    i=0
    for ver in ssl3-with-ssl2-hello any; do
        rc=${rcs[$i]}
        i=$((i + 1))
        if [ "$rc" -eq 1 ] && [ "$secs" -ge 25 ] && [ "$secs" -le 45 ] &&
            grep -q '^error=SSLIOErr during handshake alert_sent=0x0000 alert_received=0x0000$' \
                "$TMP/neg-$ver.err" &&
            ! grep -q '^version=' "$TMP/neg-$ver.err" && [ ! -s "$TMP/neg-$ver.out" ]; then
            pass "$ver against selfserv: no answer to the SSL 2.0-format hello, client failed with SSLIOErr after ${secs} s"
        else
            fail "$ver against selfserv: want exit 1 with SSLIOErr after its 30 s timeout (exit $rc after $secs s)"
            show "$TMP/neg-$ver.err" "$TMP/neg-$ver.out"
        fi
    done
    # control: the same selfserv accepts an SSL 3.0 hello
    timeout 30 "$BIN/sslref-client" --host 127.0.0.1 --port "$port" --version ssl3 \
        --ca "$DATA/ca-cert.pem" >"$TMP/ctl.out" 2>"$TMP/ctl.err"
    rc=$?
    stop_pid "$ss_pid" USR1
    if [ $rc -eq 0 ] && grep -q '^version=3.0 .* resumed=no peer="CN=localhost"$' "$TMP/ctl.err"; then
        pass "control: the same selfserv answers a --version ssl3 client"
    else
        fail "control: --version ssl3 against selfserv (exit $rc)"
        show "$TMP/ctl.err"
    fi
    eofs=$(grep -c 'PR_Read hit EOF' "$TMP/selfserv.out")
    if [ "$eofs" -eq 2 ] && grep -q '0 cache hits; 1 cache misses' "$TMP/selfserv.out"; then
        pass "selfserv side: both v2-format connections ended at EOF while it was still reading, one session (the control's)"
    else
        fail "selfserv side: want 2 'PR_Read hit EOF' and 1 cache miss ($eofs EOFs)"
        show "$TMP/selfserv.out"
    fi
else
    fail "selfserv did not start"
    show "$TMP/selfserv.out"
    stop_pid "$ss_pid" KILL
fi
interop_finish

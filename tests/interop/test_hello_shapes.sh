#!/bin/bash
# test_hello_shapes.sh - conformance seen from outside (issue 13 point 11): raw ClientHellos built
# byte by byte by hello_shapes.py (Python 3, stdlib only) and sent over TCP to NSS 3.87 selfserv and
# to sslref-server; each server's first records are classified (ServerHello with its version and
# suite, an alert with its level and description, or eof/reset/timeout) and sslref's answer must be
# NSS's (or the RFC's, where NSS's is arguably wrong; hello_shapes.py says where and why).
# Shapes: (1) a > 16 KiB hello (16 KiB padding extension) over 2+ records; (2) 300 distinct unknown
# extensions; (3) 50 fuzzed extension lengths (fixed seed); (4) the hello in 1-byte, 5-byte and
# 1000-byte records; (5) a repeated extension; (6) the hello sent twice (unexpected_message after
# the first flight); (7) record version 0x0301 with client_version 0x0303.
# Servers: selfserv -V ssl3:ssl3 and sslref-server --version ssl3 (SSL 3.0 hellos); selfserv
# -V ssl3:tls1.2 and sslref-server --version ssl3-tls1.2 (TLS 1.2 hellos, and SSL 3.0 hellos to
# the same servers). One PASS/FAIL line per shape, server and run; the hellos never complete a
# handshake.
# Usage: bash tests/interop/test_hello_shapes.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
command -v python3 >/dev/null || { fail "python3 not found"; interop_finish; exit; }

# start_selfserv VAR_PORT VAR_PID RANGE LOG: selfserv (absolute path, DESIGN.md §6) on a free port.
start_selfserv() {
    local port pid try
    for try in 1 2 3; do
        port=$(free_port) || return 1
        /usr/bin/selfserv -n server -p "$port" -d "$DB" -V "$3" -v >"$4" 2>&1 &
        pid=$!
        INTEROP_PIDS+=("$pid")
        if wait_listen "$port" "$pid"; then
            printf -v "$1" '%s' "$port"
            printf -v "$2" '%s' "$pid"
            return 0
        fi
        stop_pid "$pid" KILL # lost the port to someone else: another one
    done
    return 1
}

start_selfserv NSS3_PORT NSS3_PID ssl3:ssl3 "$TMP/selfserv-ssl3.log" ||
    { fail "selfserv -V ssl3:ssl3 did not start"; show "$TMP/selfserv-ssl3.log"; interop_finish; exit; }
start_selfserv NSS12_PORT NSS12_PID ssl3:tls1.2 "$TMP/selfserv-tls12.log" ||
    { fail "selfserv -V ssl3:tls1.2 did not start"; show "$TMP/selfserv-tls12.log"; interop_finish; exit; }
start_sslref_server "$TMP/sslref-ssl3.log" --bind 127.0.0.1 --version ssl3 --threads 2 ||
    { fail "sslref-server --version ssl3 did not start"; interop_finish; exit; }
REF3_PORT=$SRV_PORT REF3_PID=$SRV_PID
start_sslref_server "$TMP/sslref-tls12.log" --bind 127.0.0.1 --version ssl3-tls1.2 --threads 2 ||
    { fail "sslref-server --version ssl3-tls1.2 did not start"; interop_finish; exit; }
REF12_PORT=$SRV_PORT REF12_PID=$SRV_PID

# run NAME ARGS...: one hello_shapes.py run, its output on stdout (the caller counts its PASS and
# FAIL lines); a run that died (timeout, traceback) or reported nothing adds a FAIL line of its own.
run() {
    local name=$1 rc p f
    shift
    timeout 50 python3 "$SRC/tests/interop/hello_shapes.py" "$@" >"$TMP/$name.out" 2>&1
    rc=$?
    cat "$TMP/$name.out"
    p=$(grep -c '^PASS: ' "$TMP/$name.out")
    f=$(grep -c '^FAIL: ' "$TMP/$name.out")
    if [ "$p" -eq 0 ] || { [ "$rc" -ne "$f" ] && [ "$f" -lt 100 ]; }; then
        echo "FAIL: $name: hello_shapes.py exit $rc with $p PASS and $f FAIL lines"
    fi
}

# the three runs are independent (one server pair each, or distinct connections): in parallel
run ssl3 --proto ssl3 --nss "$NSS3_PORT" --sslref "$REF3_PORT" >"$TMP/run-ssl3.log" &
p1=$!
run tls12 --proto tls1.2 --nss "$NSS12_PORT" --sslref "$REF12_PORT" >"$TMP/run-tls12.log" &
p2=$!
run ssl3-range --proto ssl3 --server-max tls1.2 --nss "$NSS12_PORT" --sslref "$REF12_PORT" \
    >"$TMP/run-ssl3-range.log" &
p3=$!
wait $p1 $p2 $p3
# the counters of background subshells are lost: count again from their outputs
for name in ssl3 tls12 ssl3-range; do
    cat "$TMP/run-$name.log"
    INTEROP_PASSES=$((INTEROP_PASSES + $(grep -c '^PASS: ' "$TMP/run-$name.log")))
    INTEROP_FAILS=$((INTEROP_FAILS + $(grep -c '^FAIL: ' "$TMP/run-$name.log")))
done

# the servers lived through it all: each still answers a plain handshake, and sslref counted
# failures (the refused hellos) without dying
timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$REF12_PORT" --version tls1.2 \
    --ca "$DATA/ca-cert.pem" >"$TMP/ctl.out" 2>"$TMP/ctl.err"
rc=$?
if [ $rc -eq 0 ] && grep -q '^version=TLS1.2 ' "$TMP/ctl.err"; then
    pass "control: sslref-server --version ssl3-tls1.2 still completes a TLS 1.2 handshake"
else
    fail "control: sslref-client --version tls1.2 against sslref-server (exit $rc)"
    show "$TMP/ctl.err"
fi
timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$NSS3_PORT" --version ssl3 \
    --ca "$DATA/ca-cert.pem" >"$TMP/ctl3.out" 2>"$TMP/ctl3.err"
rc=$?
if [ $rc -eq 0 ] && grep -q '^version=3.0 ' "$TMP/ctl3.err"; then
    pass "control: selfserv -V ssl3:ssl3 still completes an SSL 3.0 handshake"
else
    fail "control: sslref-client --version ssl3 against selfserv (exit $rc)"
    show "$TMP/ctl3.err"
fi
for pid in "$NSS3_PID" "$NSS12_PID"; do stop_pid "$pid" USR1; done
for pid in "$REF3_PID" "$REF12_PID"; do stop_pid "$pid" TERM; done
interop_finish

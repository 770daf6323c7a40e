#!/bin/bash
# test_samples.sh - the sample programs' own interface (docs/samples.md): key-log files on both
# sides agree, the LMDB --cache resumes, echo mode returns 100 kB intact (to NSS tstclnt), --ca
# refuses a chain it cannot verify, a suite mismatch fails cleanly on both sides with the error
# names printed, --once/--stats print the stats line, and unsupported or missing flags are refused.
# Usage: bash tests/interop/test_samples.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
CLIENT="$BIN/sslref-client"
KEYLINE='^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$'

# 1. SSLKEYLOGFILE on both sides, one full and one resumed connection: two lines each, the same
#    two lines (same client random, same master secret), files created 0600.
SSLKEYLOGFILE="$TMP/server.keys" start_sslref_server "$TMP/kl.log"
SSLKEYLOGFILE="$TMP/client.keys" timeout 20 "$CLIENT" --host 127.0.0.1 --port "$SRV_PORT" \
    --resume 1 >"$TMP/kl.out" 2>"$TMP/kl.err"
rc=$?
stop_pid "$SRV_PID" TERM
if [ $rc -eq 0 ] && [ "$(grep -cE "$KEYLINE" "$TMP/client.keys")" -eq 2 ] &&
    [ "$(wc -l <"$TMP/client.keys")" -eq 2 ] &&
    [ "$(sort "$TMP/client.keys")" = "$(sort "$TMP/server.keys" 2>/dev/null)" ] &&
    [ "$(stat -c %a "$TMP/client.keys")" = 600 ] && [ "$(stat -c %a "$TMP/server.keys")" = 600 ] &&
    [ "$(grep -c 'resumed=yes' "$TMP/kl.err")" -eq 1 ]; then
    pass "key log: two CLIENT_RANDOM lines per side, identical, mode 0600"
else
    fail "key log (client exit $rc)"
    show "$TMP/client.keys" "$TMP/server.keys" "$TMP/kl.err"
fi

# 2. --cache DIR (LMDB): the second and third connections resume through the store.
start_sslref_server "$TMP/cache.log" --cache "$TMP/cache"
timeout 20 "$CLIENT" --host 127.0.0.1 --port "$SRV_PORT" --resume 2 >"$TMP/cache.out" 2>"$TMP/cache.err"
rc=$?
stop_pid "$SRV_PID" TERM
if [ $rc -eq 0 ] && [ -f "$TMP/cache/data.mdb" ] &&
    grep -q '^stats: connections=3 full=1 resumed=2 failures=0$' "$TMP/cache.log"; then
    pass "--cache: LMDB store created, 1 full + 2 resumed"
else
    fail "--cache (client exit $rc)"
    show "$TMP/cache.log" "$TMP/cache.err"
fi

# 3. echo mode: 100 kB through NSS tstclnt and back. tstclnt does not close after its input ends
#    (DESIGN.md §6), so it runs under a short timeout and its output is compared.
head -c 75000 /dev/urandom | base64 >"$TMP/big"
start_sslref_server "$TMP/echo.log" --mode echo --once
timeout 5 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -V tls1.2:tls1.2 -o -A "$TMP/big" \
    >"$TMP/echo.out" 2>"$TMP/echo.err"
stop_pid "$SRV_PID" TERM
if cmp -s "$TMP/big" "$TMP/echo.out"; then
    pass "echo mode: $(wc -c <"$TMP/big") bytes came back intact"
else
    fail "echo mode: output differs ($(wc -c <"$TMP/echo.out") of $(wc -c <"$TMP/big") bytes)"
    show "$TMP/echo.log" "$TMP/echo.err"
fi

# 4. --ca with an anchor that did not issue the server's chain: the client refuses it.
start_sslref_server "$TMP/ca.log" --once
timeout 20 "$CLIENT" --host 127.0.0.1 --port "$SRV_PORT" --ca "$DATA/server1024-cert.pem" \
    >"$TMP/ca.out" 2>"$TMP/ca.err"
rc=$?
stop_pid "$SRV_PID" TERM
if [ $rc -ne 0 ] && grep -q '^sslref-client: X509CertChainInvalidErr$' "$TMP/ca.err" &&
    ! grep -q '^version=' "$TMP/ca.err" && grep -q '^error=' "$TMP/ca.log"; then
    pass "--ca: a chain from another CA is refused (exit $rc, X509CertChainInvalidErr)"
else
    fail "--ca refusal (exit $rc)"
    show "$TMP/ca.err" "$TMP/ca.log"
fi
# ... and the issuing CA is accepted.
start_sslref_server "$TMP/ca2.log" --once --stats
timeout 20 "$CLIENT" --host 127.0.0.1 --port "$SRV_PORT" --ca "$DATA/ca-cert.pem" \
    >"$TMP/ca2.out" 2>"$TMP/ca2.err"
rc=$?
stop_pid "$SRV_PID" TERM
if [ $rc -eq 0 ] && grep -q 'peer="CN=localhost"' "$TMP/ca2.err" &&
    grep -q '^stats: connections=1 full=1 resumed=0 failures=0$' "$TMP/ca2.log"; then
    pass "--ca: the issuing CA is accepted; --once --stats prints the stats line"
else
    fail "--ca acceptance / --once --stats (exit $rc)"
    show "$TMP/ca2.err" "$TMP/ca2.log"
fi

# 5. No common suite: the server sends handshake_failure, the client exits non-zero naming it.
start_sslref_server "$TMP/neg.log" --ciphers 002f --once
timeout 20 "$CLIENT" --host 127.0.0.1 --port "$SRV_PORT" --ciphers 000a >"$TMP/neg.out" 2>"$TMP/neg.err"
rc=$?
stop_pid "$SRV_PID" TERM
if [ $rc -ne 0 ] && grep -q '^sslref-client: SSLFatalAlert$' "$TMP/neg.err" &&
    grep -q 'alert_received=0x0228' "$TMP/neg.err" &&
    grep -q '^error=SSLNegotiationErr alert_sent=0x0228' "$TMP/neg.log"; then
    pass "no common suite: handshake_failure sent and received, both sides report it"
else
    fail "no common suite (exit $rc)"
    show "$TMP/neg.err" "$TMP/neg.log"
fi

# 6. Flags that are refused: --threads 0, missing --cert, a bad --version, an unknown suite.
timeout 10 "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" \
    --key "$DATA/server-key-pkcs8.pem" --threads 0 >/dev/null 2>"$TMP/f1.err"
r1=$?
timeout 10 "$BIN/sslref-server" --port 0 --key "$DATA/server-key-pkcs8.pem" >/dev/null 2>"$TMP/f2.err"
r2=$?
"$CLIENT" --host 127.0.0.1 --port 1 --version tls1.3 >/dev/null 2>"$TMP/f3.err"
r3=$?
timeout 10 "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" \
    --key "$DATA/server-key-pkcs8.pem" --ciphers 1234 >/dev/null 2>"$TMP/f4.err"
r4=$?
if [ $r1 -eq 2 ] && grep -q "bad value '0'" "$TMP/f1.err" && [ $r2 -eq 2 ] && [ $r3 -eq 2 ] && grep -q "bad --version tls1.3" "$TMP/f3.err" &&
    [ $r4 -ne 0 ] && grep -q 'SSLUnsupportedErr' "$TMP/f4.err"; then
    pass "refused flags: --threads 0, missing --cert, --version tls1.3, --ciphers 1234"
else
    fail "refused flags ($r1 $r2 $r3 $r4)"
    show "$TMP/f1.err" "$TMP/f2.err" "$TMP/f3.err" "$TMP/f4.err"
fi
interop_finish

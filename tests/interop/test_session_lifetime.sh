#!/bin/bash
# test_session_lifetime.sh - issue 13: sslref-server --session-lifetime is enforced end to end.
# A real client (sslref-client, its own in-process cache) reconnects to a server with a 1 s
# lifetime: at once it resumes (resumed=yes on its second line); after 2.5 s the server refuses the
# expired session and the client reports a full handshake (resumed=no). Both with the LMDB --cache
# and with the server's in-process cache. Judged from the client's own output.
# Usage: bash tests/interop/test_session_lifetime.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
CLIENT="$BIN/sslref-client"

# second_resumed FILE: the resumed= value of the client's second connection line
second_resumed() { grep -o 'resumed=[a-z]*' "$1" | sed -n 2p; }

for cache in lmdb memory; do
    args=(--session-lifetime 1)
    [ "$cache" = lmdb ] && args+=(--cache "$TMP/cache")
    start_sslref_server "$TMP/$cache.log" "${args[@]}" || { fail "$cache: server start"; continue; }
    timeout 20 "$CLIENT" --host 127.0.0.1 --port "$SRV_PORT" --resume 1 \
        >"$TMP/$cache-now.out" 2>"$TMP/$cache-now.err"
    rc1=$?
    timeout 20 "$CLIENT" --host 127.0.0.1 --port "$SRV_PORT" --resume 1 --resume-delay 2500 \
        >"$TMP/$cache-late.out" 2>"$TMP/$cache-late.err"
    rc2=$?
    stop_pid "$SRV_PID" TERM
    now=$(second_resumed "$TMP/$cache-now.err")
    late=$(second_resumed "$TMP/$cache-late.err")
    if [ $rc1 -eq 0 ] && [ "$now" = resumed=yes ]; then
        pass "$cache: reconnecting within the lifetime resumes"
    else
        fail "$cache: reconnecting at once (exit $rc1, $now)"
        show "$TMP/$cache.log" "$TMP/$cache-now.err"
    fi
    if [ $rc2 -eq 0 ] && [ "$late" = resumed=no ]; then
        pass "$cache: an expired session (2.5 s > 1 s) gets a full handshake"
    else
        fail "$cache: reconnecting after the lifetime (exit $rc2, $late)"
        show "$TMP/$cache.log" "$TMP/$cache-late.err"
    fi
done

# the flag's bounds: 0 and junk are refused
"$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" --key "$DATA/server-key-pkcs8.pem" \
    --session-lifetime 0 >/dev/null 2>"$TMP/f0.err"
r0=$?
"$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" --key "$DATA/server-key-pkcs8.pem" \
    --session-lifetime 1x >/dev/null 2>"$TMP/f1.err"
r1=$?
if [ $r0 -ne 0 ] && [ $r1 -ne 0 ] && grep -q "bad value" "$TMP/f0.err" "$TMP/f1.err"; then
    pass "--session-lifetime 0 and 1x are refused"
else
    fail "--session-lifetime bounds ($r0 $r1)"
    show "$TMP/f0.err" "$TMP/f1.err"
fi
interop_finish

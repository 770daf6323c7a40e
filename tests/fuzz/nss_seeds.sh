#!/bin/bash
# nss_seeds.sh - record seeds from real NSS peers (not a test): NSS tstclnt against sslref-server
# and sslref-client against NSS selfserv, SSL 3.0, through record_proxy.py on 127.0.0.1. Writes
# harness inputs to OUT/server/nss-* (tstclnt's bytes) and OUT/client/nss-* (selfserv's bytes),
# each prefixed with the flags and rotation bytes of fuzz_common.h (all suites, rotation 0).
# Usage: tests/fuzz/nss_seeds.sh BUILD_DIR OUT    (then minimise into corpus/ with -merge=1)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../interop/lib.sh"
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
interop_init "$1"
mkdir -p "$OUT/server" "$OUT/client"
printf 'GET /fuzz HTTP/1.0\r\n\r\n' >"$TMP/request"

# prefix FLAGS FILE OUTFILE: the two header bytes, then the recorded stream
prefix() { { printf "\\x$1\\x00"; cat "$2"; } >"$3"; }

proxy() { # proxy TARGET_PORT NAME: start the recorder; sets PX_PID, PX_PORT
    rm -f "$TMP/px.port"
    python3 "$HERE/record_proxy.py" "$TMP/px.port" "$1" "$TMP/$2" &
    PX_PID=$!
    INTEROP_PIDS+=("$PX_PID")
    for _ in $(seq 1 50); do [ -s "$TMP/px.port" ] && break; sleep 0.1; done
    PX_PORT=$(cat "$TMP/px.port")
}

# 1. tstclnt -> proxy -> sslref-server (the 1024-bit key the harness also uses)
for s in $NSS_SSL3_SUITES auth; do
    extra=() cs=$s nick=()
    if [ "$s" = auth ]; then extra=(--request-client-cert --ca "$DATA/ca-cert.pem"); cs=000a; nick=(-n client); fi
    log="$TMP/srv-$s.log"
    "$BIN/sslref-server" --port 0 --bind 127.0.0.1 --cert "$DATA/server1024-cert.pem" \
        --key "$DATA/server1024-key.pem" --ciphers 0001,0002,0004,0005,0009,000a,002f,0035 \
        --version any "${extra[@]}" >/dev/null 2>"$log" &
    SRV_PID=$!
    INTEROP_PIDS+=("$SRV_PID")
    for _ in $(seq 1 50); do grep -q '^listening' "$log" && break; sleep 0.1; done
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$log")
    proxy "$port" "tst-$s"
    timeout 20 tstclnt -h 127.0.0.1 -p "$PX_PORT" -d "$DB" -V ssl3:ssl3 -c ":$cs" -o "${nick[@]}" \
        -A "$TMP/request" >/dev/null 2>&1
    echo "tstclnt $s: exit $?"
    sleep 0.3
    stop_pid "$PX_PID" TERM
    stop_pid "$SRV_PID" TERM
    flags=08; [ "$s" = auth ] && flags=0c
    [ -s "$TMP/tst-$s-0.c2s" ] && prefix "$flags" "$TMP/tst-$s-0.c2s" "$OUT/server/nss-tstclnt-$s"
done

# 2. sslref-client -> proxy -> selfserv
for s in $NSS_SSL3_SUITES; do
    port=$(free_port)
    /usr/bin/selfserv -n server -p "$port" -d "$DB" -V ssl3:ssl3 -c ":$s" >/dev/null 2>&1 &
    ss=$!
    INTEROP_PIDS+=("$ss")
    wait_listen "$port" "$ss" || { echo "selfserv $s did not start"; stop_pid "$ss" KILL; continue; }
    proxy "$port" "ss-$s"
    timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$PX_PORT" --ciphers "$s" >/dev/null 2>&1
    echo "sslref-client $s: exit $?"
    sleep 0.3
    stop_pid "$PX_PID" TERM
    stop_pid "$ss" USR1
    [ -s "$TMP/ss-$s-0.s2c" ] && prefix 0a "$TMP/ss-$s-0.s2c" "$OUT/client/nss-selfserv-$s"
done
ls -l "$OUT/server" "$OUT/client" | grep -c nss-

#!/bin/sh
# demo.sh - what `make demo` runs: start sslref-server (2 worker processes x 2 threads) on a free
# loopback port with an LMDB session cache in a temp dir; connect one sslref-client four times
# (a full handshake, then --resume 3) and show both sides' lines and the answer; then run four
# such clients at once, whose resumptions land on either worker process through the shared cache;
# stop the server (SIGTERM) and show its stats.
# Usage: sh scripts/demo.sh BUILD_DIR
set -eu
BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA="$SRC/tests/data"
BIN="$BUILD/bin"
for p in sslref-server sslref-client; do
    [ -x "$BIN/$p" ] || { echo "demo: $BIN/$p is not built (run make build)" >&2; exit 1; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sslref-demo.XXXXXX")
SRV_PID=
cleanup() {
    if [ -n "$SRV_PID" ]; then
        kill -TERM "$SRV_PID" 2>/dev/null || true
        wait "$SRV_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

: >"$TMP/server.log"
"$BIN/sslref-server" --port 0 --bind 127.0.0.1 --cert "$DATA/server-chain.pem" \
    --key "$DATA/server-key-pkcs8.pem" --cache "$TMP/cache" --mode http --processes 2 --threads 2 \
    2>"$TMP/server.log" &
SRV_PID=$!
PORT=
i=0
while [ $i -lt 100 ]; do
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$TMP/server.log")
    [ -n "$PORT" ] && break
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$PORT" ]; then
    echo "demo: the server did not start:" >&2
    cat "$TMP/server.log" >&2
    exit 1
fi

echo "== sslref-server listening on 127.0.0.1:$PORT: 2 processes x 2 threads, LMDB session cache in $TMP/cache"
echo "== sslref-client --host 127.0.0.1 --port $PORT --ca tests/data/ca-cert.pem --resume 3"
status=0
"$BIN/sslref-client" --host 127.0.0.1 --port "$PORT" --ca "$DATA/ca-cert.pem" --resume 3 \
    --send 'GET /demo HTTP/1.0\r\nUser-Agent: sslref-client\r\n\r\n' \
    >"$TMP/client.out" 2>"$TMP/client.log" || status=$?
echo "-- client, one line per connection:"
sed 's/^/   /' "$TMP/client.log"
echo "-- first answer from the server:"
awk 'NR > 1 && /^HTTP\/1.0/ { exit } { print "   " $0 }' "$TMP/client.out"

echo "== four clients at once, each --resume 3"
pids=
for n in 1 2 3 4; do
    "$BIN/sslref-client" --host 127.0.0.1 --port "$PORT" --ca "$DATA/ca-cert.pem" --resume 3 \
        >/dev/null 2>"$TMP/client$n.log" &
    pids="$pids $!"
done
for p in $pids; do
    wait "$p" || status=1
done
for n in 1 2 3 4; do
    echo "   client $n: $(grep -c 'resumed=no' "$TMP/client$n.log") full, $(grep -c 'resumed=yes' "$TMP/client$n.log") resumed"
done

kill -TERM "$SRV_PID" 2>/dev/null || true
wait "$SRV_PID" 2>/dev/null || true
SRV_PID=
echo "-- server, one line per connection, then its stats:"
grep -v '^listening' "$TMP/server.log" | sed 's/^/   /'

resumed=$(cat "$TMP"/client*.log | grep -c 'resumed=yes' || true)
if [ "$status" -ne 0 ]; then
    echo "== demo FAILED: an sslref-client failed"
    exit 1
fi
echo "== done: 20 connections, $resumed resumed (expected 15: every client's last three)"
[ "$resumed" -eq 15 ]

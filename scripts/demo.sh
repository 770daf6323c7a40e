#!/bin/sh
# demo.sh - what `make demo` runs: start sslref-server (2 worker processes x 2 threads, --stats) on a
# free loopback port with an LMDB session cache in a temp dir, at TLS 1.2 (its default); one
# sslref-client (a full handshake, then --resume 3); curl and openssl s_client, each a full handshake
# and a resumed one; then sslref-bench (2000 connections over 4 threads, 10% full, the rest resumed);
# stop the server (SIGTERM), show its stats, and count from its per-connection lines (process and
# session ID) the resumptions that crossed processes. Fails unless all of it worked and some did.
# Usage: sh scripts/demo.sh BUILD_DIR
set -eu
BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
DATA="$SRC/tests/data"
BIN="$BUILD/bin"
for p in sslref-server sslref-client sslref-bench; do
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
    --stats 2>>"$TMP/server.log" &
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
WORKERS=
i=0
while [ $i -lt 50 ]; do # the supervisor prints "listening" before it forks the workers
    WORKERS=$(echo $(ps -o pid= --ppid "$SRV_PID"))
    [ "$(echo "$WORKERS" | wc -w)" -eq 2 ] && break
    sleep 0.1
    i=$((i + 1))
done

echo "== sslref-server listening on 127.0.0.1:$PORT: 2 processes x 2 threads, LMDB session cache in $TMP/cache"
echo "   supervisor pid $SRV_PID, worker pids $WORKERS"
echo "== sslref-client --host 127.0.0.1 --port $PORT --ca tests/data/ca-cert.pem --resume 3"
status=0
"$BIN/sslref-client" --host 127.0.0.1 --port "$PORT" --ca "$DATA/ca-cert.pem" --resume 3 \
    --send 'GET /demo HTTP/1.0\r\nUser-Agent: sslref-client\r\n\r\n' \
    >"$TMP/client.out" 2>"$TMP/client.log" || { echo "== sslref-client FAILED"; status=1; }
echo "-- client, one line per connection:"
sed 's/^/   /' "$TMP/client.log"
echo "-- first answer from the server:"
awk 'NR > 1 && /^HTTP\/1.0/ { exit } { print "   " $0 }' "$TMP/client.out"
echo "-- server, one line per connection (process = worker process index):"
grep '^version=' "$TMP/server.log" | sed 's/^/   /'

# Today's clients: curl (two URLs, the second connection resumes the first session) and openssl
# s_client (-sess_out, then -sess_in), each reporting version, suite and resumption itself.
echo "== curl --cacert tests/data/ca-cert.pem https://localhost:$PORT/curl-1 https://localhost:$PORT/curl-2"
if command -v curl >/dev/null; then
    curl -sv --cacert "$DATA/ca-cert.pem" --resolve "localhost:$PORT:127.0.0.1" \
        "https://localhost:$PORT/curl-1" "https://localhost:$PORT/curl-2" >"$TMP/curl.out" 2>"$TMP/curl.log" ||
        { echo "== curl FAILED"; status=1; }
    grep -E 'SSL connection using|ALPN: server accepted|re-using session|^< HTTP/' "$TMP/curl.log" | sed 's/^/   /'
    [ "$(grep -c 'SSL connection using TLSv1.2' "$TMP/curl.log")" -eq 2 ] &&
        grep -q 're-using session ID' "$TMP/curl.log" || { echo "== curl: no TLS 1.2 resumption"; status=1; }
else
    echo "   curl is not installed (scripts/install-deps.sh installs it)"; status=1
fi
echo "== openssl s_client -connect 127.0.0.1:$PORT -sess_out, then -sess_in"
for step in out in; do
    printf 'GET /openssl-%s HTTP/1.0\r\n\r\n' "$step" |
        openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$DATA/ca-cert.pem" -ign_eof \
            -sess_$step "$TMP/s_client.sess" >"$TMP/s_client-$step.out" 2>&1 ||
        { echo "== openssl s_client FAILED"; status=1; }
    grep -E '^(New|Reused),|Verify return code|^HTTP/' "$TMP/s_client-$step.out" | sed 's/^/   /'
done
grep -q '^Reused, TLSv1.2' "$TMP/s_client-in.out" || { echo "== openssl s_client did not resume"; status=1; }

echo "== sslref-bench --host 127.0.0.1 --port $PORT --connections 2000 --threads 4 --full-percent 10"
"$BIN/sslref-bench" --host 127.0.0.1 --port "$PORT" --connections 2000 --threads 4 \
    --full-percent 10 || { echo "== sslref-bench FAILED"; status=1; }

kill -TERM "$SRV_PID" 2>/dev/null || true
wait "$SRV_PID" || { echo "== sslref-server exited with status $?"; status=1; }
SRV_PID=
left=
for w in $WORKERS; do
    kill -0 "$w" 2>/dev/null && left="$left $w"
done
[ -z "$left" ] || { echo "== worker processes still running:$left"; status=1; }
echo "== server stopped (SIGTERM); supervisor and workers $WORKERS exited. Its stats:"
grep '^stats[:-]' "$TMP/server.log" | grep -v '^stats-live' | sed 's/^/   /'

# Per-connection lines: "... resumed=yes|no ... process=P session=HEX". A full handshake names the
# process that created the session; a resumption on another process is a cross-process cache hit.
echo "== cross-process resumption (from the server's per-connection lines):"
grep '^version=' "$TMP/server.log" | sed -n \
    's/.* resumed=\([a-z]*\) .* process=\([0-9]*\) session=\([0-9a-f-]*\)$/\1 \2 \3/p' >"$TMP/conns"
awk -v out="$TMP/cross" '
    NR == FNR { if ($1 == "no") made[$3] = $2; next }
    $1 == "no" { full[$2]++; procs[$2] = 1 }
    $1 == "yes" {
        res[$2]++; procs[$2] = 1
        if (!($3 in made)) unknown++
        else if (made[$3] != $2) { cross[$2]++; total++ }
        if (!($3 in seen)) { seen[$3] = 1; nres++; if ($3 in made) mres[made[$3]]++ }
    }
    END {
        for (p = 0; p < 2; p++)
            printf "   process %d: %d full, %d resumed, %d of them a session created by the other process\n",
                p, full[p], res[p], cross[p]
        printf "   %d sessions were resumed: %d made by process 0, %d by process 1\n", nres, mres[0], mres[1]
        if (unknown) printf "   (%d resumptions of sessions whose full handshake is not in the log)\n", unknown
        print total + 0 > out
    }' "$TMP/conns" "$TMP/conns"
cross=$(cat "$TMP/cross")
lines=$(wc -l <"$TMP/conns")
resumed=$(grep -c '^yes ' "$TMP/conns" || true)
stats_resumed=$(sed -n 's/^stats: .* resumed=\([0-9]*\) .*/\1/p' "$TMP/server.log")
failures=$(sed -n 's/^stats: .* failures=\([0-9]*\)$/\1/p' "$TMP/server.log")
by_id=$(grep -c '^version=.* resumed=yes .* via=id ' "$TMP/server.log" || true)
by_ticket=$(grep -c '^version=.* resumed=yes .* via=ticket ' "$TMP/server.log" || true)
echo "   $cross of $resumed resumptions crossed processes through the shared LMDB cache ($by_id by"
echo "   session ID from its session table, $by_ticket by RFC 5077 ticket under its shared key ring);"
echo "   $lines connections logged"

ok=1
[ "$status" -eq 0 ] || ok=0
[ "$lines" -eq 2008 ] || { echo "   expected 2008 connection lines, got $lines"; ok=0; }
[ "$resumed" = "$stats_resumed" ] || { echo "   stats resumed=$stats_resumed differs from the lines"; ok=0; }
[ "$failures" = 0 ] || { echo "   the server counted $failures failures"; ok=0; }
[ "$cross" -gt 0 ] || { echo "   no resumption crossed processes"; ok=0; }
if [ "$ok" -ne 1 ]; then
    echo "== demo FAILED"
    exit 1
fi
echo "== done: 2008 connections, $resumed resumed, $cross of them on the other process than the one"
echo "   that made the session; no failure; server and workers stopped, temp dir removed"

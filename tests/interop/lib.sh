# lib.sh - shared helpers of the NSS interop tests (sourced, not run): a temp dir and an NSS
# certificate database made from tests/data at test time, free loopback ports, starting
# sslref-server / selfserv and waiting until they listen, a trap that stops every process the
# test started (by pid) and removes the temp dir, and pass/fail bookkeeping.
# A test calls interop_init BUILD_DIR first and interop_finish last (its exit status).

INTEROP_PIDS=()
INTEROP_FAILS=0
INTEROP_PASSES=0

interop_cleanup() {
    local pid
    for pid in "${INTEROP_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${INTEROP_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    INTEROP_PIDS=()
    [ -n "${TMP:-}" ] && [ -d "$TMP" ] && rm -rf "$TMP"
}

# interop_init BUILD_DIR: sets BUILD, SRC, DATA, BIN, TMP, DB; checks the tools; makes the cert db.
interop_init() {
    BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
    SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    DATA="$SRC/tests/data"
    BIN="$BUILD/bin"
    local t
    for t in tstclnt selfserv strsclnt certutil pk12util timeout ss; do
        command -v "$t" >/dev/null || { echo "FAIL: $t not found (install libnss3-tools / iproute2)"; exit 1; }
    done
    for t in sslref-server sslref-client; do
        [ -x "$BIN/$t" ] || { echo "FAIL: $BIN/$t not built"; exit 1; }
    done
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/sslref-interop.XXXXXX")
    trap interop_cleanup EXIT
    trap 'exit 130' INT TERM
    DB="$TMP/nssdb"
    nss_make_db "$DB"
}

# nss_make_db DIR: server cert+key (nickname "server"), client cert+key ("client"), trusted CA.
nss_make_db() {
    local db=$1 p12dir="$DATA"
    mkdir -p "$db"
    certutil -N -d "$db" --empty-password >/dev/null
    if [ ! -f "$DATA/server-chain.p12" ] || [ ! -f "$DATA/client.p12" ]; then
        # tests/data normally holds these; make them from the PEM files if it does not.
        p12dir="$TMP"
        openssl pkcs12 -export -in "$DATA/server-chain.pem" -inkey "$DATA/server-key-pkcs8.pem" \
            -name server -passout pass: -out "$TMP/server-chain.p12"
        cat "$DATA/client-cert.pem" "$DATA/ca-cert.pem" >"$TMP/client-chain.pem"
        openssl pkcs12 -export -in "$TMP/client-chain.pem" -inkey "$DATA/client-key.pem" \
            -name client -passout pass: -out "$TMP/client.p12"
    fi
    pk12util -i "$p12dir/server-chain.p12" -d "$db" -W '' >/dev/null
    pk12util -i "$p12dir/client.p12" -d "$db" -W '' >/dev/null
    certutil -M -d "$db" -n "sslref test CA" -t "CT,C,C" >/dev/null
}

# free_port: print a TCP port on which nothing listens (random, 20000-59999).
free_port() {
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return 0
        fi
    done
    echo "FAIL: no free port" >&2
    return 1
}

# wait_listen PORT PID: wait (up to 10 s) until something listens on PORT while PID lives.
wait_listen() {
    local i
    for i in $(seq 1 100); do
        [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# start_sslref_server LOG ARGS...: start sslref-server --port 0 ARGS (stderr to LOG); sets
# SRV_PID and SRV_PORT (read from its "listening on ADDR:PORT" line).
start_sslref_server() {
    local log=$1 i
    shift
    : >"$log"
    "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" --key "$DATA/server-key-pkcs8.pem" \
        "$@" >"$log.stdout" 2>"$log" &
    SRV_PID=$!
    INTEROP_PIDS+=("$SRV_PID")
    SRV_PORT=
    for i in $(seq 1 100); do
        SRV_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$log")
        [ -n "$SRV_PORT" ] && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL: sslref-server did not start:"
    cat "$log"
    return 1
}

# stop_pid PID [SIGNAL]: signal PID (TERM by default), wait up to 10 s for it, then KILL.
stop_pid() {
    local pid=$1 sig=${2:-TERM} i
    kill "-$sig" "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local keep=() p
    for p in "${INTEROP_PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    INTEROP_PIDS=("${keep[@]}")
}

pass() {
    echo "PASS: $*"
    INTEROP_PASSES=$((INTEROP_PASSES + 1))
}

fail() {
    echo "FAIL: $*"
    INTEROP_FAILS=$((INTEROP_FAILS + 1))
}

# show FILE...: print files indented (for failure reports).
show() {
    local f
    for f in "$@"; do
        echo "  --- $f"
        sed 's/^/  | /' "$f" 2>/dev/null | head -60
    done
}

interop_finish() {
    echo "$INTEROP_PASSES passed, $INTEROP_FAILS failed"
    [ "$INTEROP_FAILS" -eq 0 ] && [ "$INTEROP_PASSES" -gt 0 ]
}

# The suites of issue 2 that NSS 3.87 negotiates in SSL 3.0 (all eight: NULL and single DES only
# when the NSS side enables them explicitly, which -c/-C does).
NSS_SSL3_SUITES="0001 0002 0004 0005 0009 000a 002f 0035"

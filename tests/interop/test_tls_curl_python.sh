#!/bin/bash
# test_tls_curl_python.sh - TLS 1.0-1.2 interop with curl (OpenSSL 3.0) and Python 3's ssl
# module (issue 15).
# 1. curl against sslref-server (--version tls1.0-tls1.2, ffdhe2048, http mode, ALPN http/1.1),
#    verifying the chain (--cacert, name localhost): two URLs in one invocation, so the second
#    connection offers the first one's session. From curl -v: "SSL connection using V / SUITE" on
#    both, "ALPN: server accepted http/1.1", "SSL certificate verify ok.", a Certificate message
#    on the first and none on the second (an abbreviated handshake) after "SSL re-using session
#    ID". Each body (the request echoed, with a 20 KB random header) compared byte for byte; the
#    server's log shows the same session full then resumed. TLS 1.2 with curl's defaults and with
#    three given suites, TLS 1.1 and TLS 1.0 (--tls-max, @SECLEVEL=0).
# 2. Python ssl client (tls_peer.py client) against the same server, per version and per suite
#    this OpenSSL has: two connections, the second with session= the first's; Python's own
#    version(), cipher() and session_reused, the bodies byte for byte, the server log.
# 2b. Bulk: a --bulk 64 server (1 MiB of 16 KiB records) to curl (TLS 1.2, GCM and CBC) and to
#    Python (TLS 1.0, 1.1, 1.2), each on a full and a resumed connection, compared byte for byte.
# 3. sslref-client against a Python ssl server (tls_peer.py server: it answers with its own
#    version/cipher/session_reused line and the request echoed), per version and suite:
#    --resume 1, the two answers compared byte for byte with the expected ones.
# Issue 16: curl and the Python client against a server with RSA and P-256 certificates, every
# ECDHE suite once each, groups rotated (the server's log gives the group); sslref-client against
# Python servers with RSA + P-256 and P-384 certificates, every ECDHE suite over every group.
# Usage: bash tests/interop/test_tls_curl_python.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# Session tickets off on our servers: these cases find a connection's full and resumed lines in the
# server's log by session ID, and a client resuming by ticket may send a new random ID (RFC 5077
# §3.4). Tickets with real peers: test_memcached_tickets.sh (openssl s_client across machines).
SRV_EXTRA=(--tickets off)
tls_init "$1"

ALL=$(echo $TLS_SUITES | tr ' ' ',')
mapfile -t PAIRS < <(tls_openssl_pairs)
PEER_PY="$SRC/tests/interop/tls_peer.py"

SLOG="$TMP/server.log"
start_sslref_server "$SLOG" --version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem" \
    --mode http --alpn http/1.1 --ciphers "$ALL" || { fail "sslref-server start"; interop_finish; exit 1; }
PORT=$SRV_PORT

# --- 1. curl ------------------------------------------------------------------------------------
# c_case TAG VERSION HEX|any CURL_ARGS...: run serially (the server log is read by position).
c_case() {
    local tag=$1 v=$2 h=$3 d="$TMP/curl-$1" why= rc proto cipher hex pad i n0 sid
    shift 3
    mkdir -p "$d"
    proto=$(tls_ossl_proto "$v")
    pad=$(head -c 15000 /dev/urandom | base64 -w 0)
    for i in 0 1; do
        printf 'GET /%s-%d HTTP/1.1\r\nHost: localhost:%s\r\nX-Pad: %s\r\n\r\n' "$tag" $i "$PORT" "$pad" >"$d/exp$i"
    done
    n0=$(wc -l <"$SLOG")
    timeout 30 curl -sS -v --cacert "$DATA/ca-cert.pem" -A '' -H 'Accept:' -H "X-Pad: $pad" "$@" \
        "https://localhost:$PORT/$tag-0" -o "$d/body0" "https://localhost:$PORT/$tag-1" -o "$d/body1" \
        2>"$d/err"
    rc=$?
    [ $rc -eq 0 ] || why="$why exit=$rc"
    # curl -v per connection: up to the "(#1)" line, and from it on
    sed -n '1,/ (#1)$/p' "$d/err" | sed '$d' >"$d/conn0"
    sed -n '/ (#1)$/,$p' "$d/err" >"$d/conn1"
    cipher=$(sed -n "s|^\* SSL connection using $proto / ||p" "$d/conn0")
    hex=$(tls_suite_hex "$cipher")
    [ -n "$hex" ] || why="$why conn0:no-'SSL connection using $proto / (a suite of ours)'"
    [ "$h" = any ] || [ "$hex" = "$h" ] || why="$why cipher=$cipher(want $(tls_suite_name "$h"))"
    grep -qx "\* SSL connection using $proto / $cipher" "$d/conn1" || why="$why conn1:not-$proto/$cipher"
    for i in 0 1; do
        grep -q '^\* ALPN: server accepted http/1.1$' "$d/conn$i" || why="$why conn$i:no-ALPN"
        grep -q '^\*  SSL certificate verify ok\.$' "$d/conn$i" || why="$why conn$i:not-verified"
        cmp -s "$d/body$i" "$d/exp$i" || why="$why body$i-differs"
    done
    grep -q 'TLS handshake, Certificate (11)' "$d/conn0" || why="$why conn0:no-Certificate"
    grep -q '^\* SSL re-using session ID$' "$d/conn1" || why="$why conn1:no-session-offered"
    grep -q 'TLS handshake, Certificate (11)' "$d/conn1" && why="$why conn1:full-handshake(Certificate)"
    sid=$(tail -n +"$((n0 + 1))" "$SLOG" | sed -n '1s/.* session=\([0-9a-f]*\)$/\1/p')
    [ "$(tail -n +"$((n0 + 1))" "$SLOG" | wc -l)" = 2 ] || why="$why server-log:want-2-new-lines"
    tls_log_check "$SLOG" "$sid" "$(tls_sslref_proto "$proto")" "${hex:-none}" " alpn=http/1.1 ${C_GROUP:+group=$C_GROUP }" \
        >"$d/details" || why="$why server-log"
    if [ -z "$why" ]; then
        pass "curl-$tag: $proto $cipher, ALPN http/1.1, verified${C_GROUP:+, server log group=$C_GROUP}; second connection offered the session and was abbreviated; $(wc -c <"$d/body0")+$(wc -c <"$d/body1") bytes intact; server log agrees"
    else
        fail "curl-$tag:$why"
        grep -E '^\* (SSL|ALPN|TLS|  SSL)|^\* TLSv|curl:' "$d/err" | sed 's/^/  | /' | head -40
        cat "$d/details"
    fi
}

c_case tls1.2-default tls1.2 any
c_case tls1.2-009d tls1.2 009d --ciphers AES256-GCM-SHA384
c_case tls1.2-006b tls1.2 006b --ciphers DHE-RSA-AES256-SHA256
c_case tls1.2-002f tls1.2 002f --ciphers AES128-SHA
c_case tls1.1 tls1.1 any --tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0'
c_case tls1.0 tls1.0 any --tlsv1.0 --tls-max 1.0 --ciphers 'DEFAULT:@SECLEVEL=0'

# --- 2. Python ssl client -----------------------------------------------------------------------
p_case() { # p_case VERSION HEX [GROUP]: with GROUP, against the RSA+EC server offering that group
    local v=$1 h=$2 g=${3:-} tag="py-client-$1-$2${3:+-$3}" d="$TMP/pyc-$1-$2${3:+-$3}" why= rc proto name i sid
    local port=$PORT log=$SLOG env=()
    if [ -n "$g" ]; then
        port=$EC_PORT log=$EC_LOG
        env=(env "OPENSSL_CONF=$TMP/groups-$g-${TLS_CERT[$h]}.cnf")
    fi
    mkdir -p "$d"
    proto=$(tls_ossl_proto "$v")
    name=$(tls_suite_name "$h")
    printf 'GET /%s HTTP/1.0\r\nX-Pad: %s\r\n\r\n' "$tag" "$(head -c 15000 /dev/urandom | base64 -w 0)" >"$d/req"
    {
        printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n' "$(wc -c <"$d/req")"
        cat "$d/req"
    } >"$d/exp"
    timeout 30 "${env[@]}" "$PYTHON" "$PEER_PY" client --port "$port" --version "$v" --ciphers "$name" \
        --cafile "$DATA/ca-cert.pem" --servername localhost --send "$d/req" --out "$d/body" \
        --conns 2 >"$d/out" 2>"$d/err"
    rc=$?
    [ $rc -eq 0 ] || why="$why exit=$rc"
    sid=$(sed -n 's/^conn=0 .* session=\([0-9a-f]*\)$/\1/p' "$d/out")
    [ -n "$sid" ] || why="$why no-session-id"
    grep -qx "conn=0 version=$proto cipher=$name reused=no session=$sid" "$d/out" || why="$why conn0"
    grep -qx "conn=1 version=$proto cipher=$name reused=yes session=$sid" "$d/out" || why="$why conn1-not-resumed"
    for i in 0 1; do
        cmp -s "$d/body.$i" "$d/exp" || why="$why body$i-differs"
    done
    tls_log_check "$log" "$sid" "$(tls_sslref_proto "$proto")" "$h" "${g:+ group=$g }" >"$d/details" || why="$why server-log"
    if [ -z "$why" ]; then
        echo "PASS: $tag: python says $proto $name, then session_reused; $(wc -c <"$d/exp") bytes intact twice; server log agrees${g:+ (group=$g)}"
    else
        echo "FAIL: $tag:$why"
        show "$d/out" "$d/err"
        cat "$d/details"
    fi
}
tls_run_jobs 4 p_case "${PAIRS[@]}"
tls_collect p_case "${PAIRS[@]}"

# --- 1b/2b (issue 16). curl and Python against a server holding the RSA and the P-256
# certificates (--groups p384,x25519,p256: a client listing P-384 and P-256 gets P-384 and may still
# take the P-256 certificate, which needs P-256 listed, RFC 8422 5.1.1): every ECDHE_ECDSA and
# ECDHE_RSA suite once per client, the groups rotated (curl --curves; Python through an OpenSSL
# config's Groups line), full then resumed; neither prints the group: the server's log says it.
MAIN_PORT=$SRV_PORT MAIN_PID=$SRV_PID
EC_LOG="$TMP/server-ec.log"
if start_sslref_server "$EC_LOG" --version tls1.0-tls1.2 --cert "$DATA/ec256-chain.pem" --key "$DATA/ec256-key.pem" \
    --groups p384,x25519,p256 --mode http --alpn http/1.1 --ciphers "$(echo $TLS_SUITES_ECDHE | tr ' ' ',')"; then
    EC_PORT=$SRV_PORT EC_PID=$SRV_PID
    declare -A CURVES=([x25519]=X25519 [p256]=P-256 [p384]=P-384)
    for g in $TLS_GROUPS; do
        for c in rsa ecdsa; do
            l=${CURVES[$g]}
            [ $c = ecdsa ] && [ $g != p256 ] && l+=:P-256
            printf 'openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nGroups = %s\n' "$l" \
                >"$TMP/groups-$g-$c.cnf"
        done
    done
    i=0 PEC=()
    SAVE_PORT=$PORT SAVE_SLOG=$SLOG
    PORT=$EC_PORT SLOG=$EC_LOG
    for h in $TLS_SUITES_ECDHE; do
        gs=($TLS_GROUPS)
        g=${gs[$((i % 3))]} pg=${gs[$(((i + 1) % 3))]}
        i=$((i + 1))
        l=${CURVES[$g]}
        [ "${TLS_CERT[$h]}" = ecdsa ] && [ $g != p256 ] && l+=:P-256
        C_GROUP=$g c_case "ec-$h-$g" tls1.2 "$h" --ciphers "$(tls_suite_name "$h")" --curves "$l"
        PEC+=("tls1.2 $h $pg")
    done
    PORT=$SAVE_PORT SLOG=$SAVE_SLOG
    tls_run_jobs 4 p_case "${PEC[@]}"
    tls_collect p_case "${PEC[@]}"
    tls_tally < <(tls_server_ok "sslref-server (RSA+EC)" "$EC_PID" "$EC_LOG")
    stop_pid "$EC_PID" TERM
    grep -q '^stats: .* failures=0$' "$EC_LOG" && pass "sslref-server (RSA+EC): no failed connection" ||
        fail "sslref-server (RSA+EC): $(grep '^stats:' "$EC_LOG")"
else
    fail "sslref-server with RSA+EC certificates did not start"
fi
SRV_PORT=$MAIN_PORT SRV_PID=$MAIN_PID

tls_tally < <(tls_server_ok "sslref-server" "$SRV_PID" "$SLOG")
stop_pid "$SRV_PID" TERM
if grep -q '^stats: .* failures=0$' "$SLOG"; then
    pass "sslref-server: no failed connection ($(grep '^stats:' "$SLOG"))"
else
    fail "sslref-server: stats line (want failures=0)"
    grep -E '^(stats|error)' "$SLOG" | sed 's/^/  | /'
fi

# --- 2b. Bulk: 1 MiB from a --bulk 64 server (64 records of 16 KiB zeros, no HTTP header) -------
if start_sslref_server "$TMP/bulk.log" --version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem" \
    --mode http --bulk 64 --ciphers "$ALL"; then
    BULK_PORT=$SRV_PORT
    head -c $((64 * 16384)) /dev/zero >"$TMP/bulk.exp"
    printf 'GET /bulk HTTP/1.0\r\n\r\n' >"$TMP/bulk.req"
    k_case() { # k_case curl|VERSION HEX: two connections (the second resumes), 1 MiB each
        local v=$1 h=$2 tag="bulk-$1-$2" d="$TMP/bulk-$1-$2" why= rc i proto name
        mkdir -p "$d"
        if [ "$v" = curl ]; then
            timeout 30 curl -sS -v --http0.9 --cacert "$DATA/ca-cert.pem" --tlsv1.2 --ciphers "$(tls_suite_name "$h")" \
                "https://localhost:$BULK_PORT/0" -o "$d/body.0" "https://localhost:$BULK_PORT/1" -o "$d/body.1" 2>"$d/err"
            rc=$?
            proto=TLSv1.2
            name=$(tls_suite_name "$h")
            [ "$(grep -c "^\* SSL connection using $proto / $name\$" "$d/err")" = 2 ] || why="$why not-$proto/$name"
            grep -q '^\* SSL re-using session ID$' "$d/err" || why="$why no-session-offered"
            [ "$(grep -c 'TLS handshake, Certificate (11)' "$d/err")" = 1 ] || why="$why second-not-abbreviated"
        else
            proto=$(tls_ossl_proto "$v")
            name=$(tls_suite_name "$h")
            timeout 30 "$PYTHON" "$PEER_PY" client --port "$BULK_PORT" --version "$v" --ciphers "$name" \
                --cafile "$DATA/ca-cert.pem" --servername localhost --send "$TMP/bulk.req" \
                --out "$d/body" --conns 2 >"$d/err" 2>&1
            rc=$?
            grep -q "^conn=0 version=$proto cipher=$name reused=no " "$d/err" &&
                grep -q "^conn=1 version=$proto cipher=$name reused=yes " "$d/err" || why="$why python:not-$proto/$name-full-then-resumed"
        fi
        [ $rc -eq 0 ] || why="$why exit=$rc"
        for i in 0 1; do
            cmp -s "$d/body.$i" "$TMP/bulk.exp" || why="$why body$i($(wc -c <"$d/body.$i" 2>/dev/null || echo 0) bytes)-differs"
        done
        if [ -z "$why" ]; then
            echo "PASS: $tag: $proto $name, full then resumed (peer's view): $(wc -c <"$TMP/bulk.exp") bytes intact on each"
        else
            echo "FAIL: $tag:$why"
            grep -E '^\* SSL|^conn=|rror' "$d/err" | sed 's/^/  | /' | head -20
        fi
    }
    BULK_CASES=("curl 009c" "curl 003d" "tls1.0 0039" "tls1.1 0035" "tls1.2 009f")
    tls_run_jobs 4 k_case "${BULK_CASES[@]}"
    tls_collect k_case "${BULK_CASES[@]}"
    tls_tally < <(tls_server_ok "bulk" "$SRV_PID" "$TMP/bulk.log")
    stop_pid "$SRV_PID" TERM
    grep -q '^stats: connections=10 full=5 resumed=5 failures=0$' "$TMP/bulk.log" ||
        fail "bulk: server stats (want connections=10 full=5 resumed=5 failures=0): $(grep '^stats:' "$TMP/bulk.log")"
else
    fail "bulk: sslref-server --bulk did not start"
fi

# --- 3. sslref-client against a Python ssl server -----------------------------------------------
# (issue 16: the server holds the RSA and the P-256 certificates; ECDHE cases pick the group with
# sslref-client --groups, which its group= line confirms: Python cannot print the group)
if tls_start_peer "$TMP/pyserver.log" listen "$PYTHON" "$PEER_PY" server --cert "$DATA/server-chain.pem" \
    --key "$DATA/server-key-pkcs8.pem" --cert "$DATA/ec256-chain.pem" --key "$DATA/ec256-key.pem" \
    --dh "$DATA/ffdhe2048.pem"; then
    PY_PORT=$PEER_PORT PY_PID=$PEER_PID
    # (a second one with the P-384 certificate, for ECDSA over P-384: OpenSSL would pick P-256 from a
    # client listing both)
    tls_start_peer "$TMP/pyserver384.log" listen "$PYTHON" "$PEER_PY" server --cert "$DATA/ec384-chain.pem" \
        --key "$DATA/ec384-key.pem" || fail "python ssl server with the P-384 certificate did not start"
    PY384_PORT=$PEER_PORT PY384_PID=$PEER_PID
    q_case() { # q_case VERSION|default HEX|any [GROUP]
        local v=$1 h=$2 g=${3:-} tag="py-server-$1-$2${3:+-$3}" d="$TMP/pys-$1-$2${3:+-$3}" why= rc proto name pad args=() r
        mkdir -p "$d"
        if [ "$v" = default ]; then
            args=(--version tls1.0-tls1.2)
            proto=TLSv1.2
        else
            args=(--version "$v" --ciphers "$h")
            proto=$(tls_ossl_proto "$v")
        fi
        local port=$PY_PORT
        if [ -n "$g" ]; then # (the ECDSA cases list the certificate's curve too)
            r=$g
            [ "${TLS_CERT[$h]}" = ecdsa ] && [ "$g" = x25519 ] && r+=,p256
            [ "${TLS_CERT[$h]}" = ecdsa ] && [ "$g" = p384 ] && port=$PY384_PORT
            args+=(--groups "$r")
        fi
        pad=$(head -c 15000 /dev/urandom | base64 -w 0)
        timeout 30 "$BIN/sslref-client" --host 127.0.0.1 --port "$port" --ca "$DATA/ca-cert.pem" \
            "${args[@]}" --resume 1 --send "GET /$tag HTTP/1.0\\r\\nX-Pad: $pad\\r\\n\\r\\n" \
            >"$d/out" 2>"$d/err"
        rc=$?
        [ $rc -eq 0 ] || why="$why exit=$rc"
        name=$(tls_suite_name "$h")
        [ "$h" = any ] && name=$(head -1 "$d/out" | sed -n 's/^version=[^ ]* cipher=\([^ ]*\) .*/\1/p' | tr -d '\r')
        for r in no yes; do
            printf 'version=%s cipher=%s reused=%s\r\nGET /%s HTTP/1.0\r\nX-Pad: %s\r\n\r\n' \
                "$proto" "$name" "$r" "$tag" "$pad"
        done >"$d/exp"
        cmp -s "$d/out" "$d/exp" || why="$why answers-differ(python said: $(grep -a '^version=' "$d/out" | tr -d '\r' | tr '\n' ';'))"
        [ -n "$(tls_suite_hex "$name")" ] || why="$why cipher=$name(not ours)"
        [ "$(sed -n "s/^version=$(tls_sslref_proto "$proto") cipher=0x$(tls_suite_hex "$name") .* resumed=\([a-z]*\) .*/\1/p" "$d/err" | tr '\n' ' ')" = "no yes " ] ||
            why="$why sslref-client-lines"
        [ -z "$g" ] || [ "$(grep -c " group=$g via=" "$d/err")" = 2 ] || why="$why client-group(want $g)"
        if [ -z "$why" ]; then
            echo "PASS: $tag: python server saw $proto $name, then session_reused; both answers byte for byte${g:+; sslref-client group=$g}"
        else
            echo "FAIL: $tag:$why"
            show "$d/err"
        fi
    }
    QEC=()
    for h in $TLS_SUITES_ECDHE; do
        for g in $TLS_GROUPS; do QEC+=("tls1.2 $h $g"); done
    done
    tls_run_jobs 4 q_case "${PAIRS[@]}" "default any" "${QEC[@]}"
    tls_collect q_case "${PAIRS[@]}" "default any" "${QEC[@]}"
    stop_pid "$PY_PID" TERM
    stop_pid "$PY384_PID" TERM
    if grep -qi 'error' "$TMP/pyserver.log" "$TMP/pyserver384.log"; then
        fail "python server reported errors"
        grep -i error "$TMP/pyserver.log" "$TMP/pyserver384.log" | sed 's/^/  | /' | head
    fi
else
    fail "python ssl server did not start"
    show "$TMP/pyserver.log"
fi

tls_sanitizer_sweep
interop_finish

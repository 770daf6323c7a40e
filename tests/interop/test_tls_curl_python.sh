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
#    three given suites, TLS 1.1 and TLS 1.0 (--tls-max, @SECLEVEL=0); serial (the server's log
#    is read by position).
# 2. Python ssl client (tls_peer.py client --cases: a batch of cases per process, one process per
#    version) against the same server, per version and per suite this OpenSSL has: two
#    connections, the second with session= the first's; Python's own version(), cipher(),
#    session_reused and session ID, the bodies byte for byte (SHA-256), the server's two lines of
#    that session ID (full, then resumed via=id).
# 2b. Bulk: a --bulk 64 server (1 MiB of 16 KiB records) to curl (TLS 1.2, GCM and CBC) and to
#    Python (TLS 1.0, 1.1, 1.2), each on a full and a resumed connection, compared byte for byte.
# 3. sslref-client against a Python ssl server (tls_peer.py server: it answers with its own
#    version/cipher/session_reused line and the request echoed), per version and suite:
#    --resume 1, the two answers compared byte for byte with the expected ones.
# 4. Issue 16, one matrix for each of the three clients below: every ECDHE suite (c02b c02c c02f
#    c030 cca9 cca8 c009 c00a c013 c014 c023 c024 c027 c028) over every group (x25519, P-256,
#    P-384), and ccaa (DHE-RSA-CHACHA20-POLY1305) over ffdhe2048: 43 cases, each a full handshake
#    then one resumed by session ID, at TLS 1.2 (c013 and c014 at TLS 1.0/1.1 are in 2 and 3,
#    over the client's default group; c009 and c00a at TLS 1.0/1.1 are not in this script). The
#    number of cases that gave a verdict must be 43 for each client; a case that cannot run fails.
#    4a. curl against sslref-server with the RSA and the P-256 certificates (--groups
#        p384,x25519,p256,ffdhe2048): --ciphers SUITE --curves GROUP (with P-256 for an ECDSA
#        suite, RFC 8422 5.1.1; none for ffdhe2048, which OpenSSL 3.0 does not list at TLS 1.2),
#        two URLs in one invocation; curl -v: TLSv1.2 and the suite on both connections, chain
#        verified, ALPN, a Certificate message on the first only, "SSL re-using session ID" on the
#        second; bodies byte for byte (cmp); the server's log: exactly two lines with that suite and
#        group= (full, then resumed via=id, one session ID). Four cases at a time (no two share a
#        suite and a group).
#    4b. The Python client (tls_peer.py client --cases: one process per list of groups, the same
#        lists as curl's, given in an OpenSSL configuration; its cases in turn) against a second
#        such server: Python's own version(), cipher(), session_reused and session ID per
#        connection (full, then resumed, one session), the bodies byte for byte (SHA-256), and the
#        server's two lines of that session ID (group=, full, then resumed via=id).
#    4c. (run in 3) sslref-client against the Python servers of 3 (RSA + P-256 certificates;
#        P-384 certificate for the ECDSA suites over P-384; ffdhe2048 DH parameters), --groups
#        GROUP: the Python server's version/cipher/session_reused lines byte for byte,
#        sslref-client's own lines (suite, resumed no then yes, group=).
#    Both directions where the peer can be both: Python as client (4b) and as server (4c); curl
#    is a client only.
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
# (The helpers of the cases below fork little: on this shared machine a fork can cost more than a
# handshake. The requests' random text comes from TLS_FILL, made once.)
tlsp_init
# curl_run DIR TAG PORT CURL_ARGS...: two URLs of localhost:PORT in one curl -v invocation (the
# second connection offers the first one's session), each request with a 20 KB random header; the
# answers expected in DIR/exp0 and exp1, curl -v's report per connection in DIR/conn0 and conn1
# (up to the "(#1)" line, and from it on), the bodies in DIR/body0 and body1; returns curl's status.
curl_run() {
    local d=$1 tag=$2 port=$3 pad=${TLS_FILL:$((RANDOM % 40000)):20000} i rc l n=0 c0= c1= req
    shift 3
    [ -d "$d" ] || mkdir -p "$d"
    for i in 0 1; do
        printf -v req 'GET /%s-%d HTTP/1.1\r\nHost: localhost:%s\r\nX-Pad: %s\r\n\r\n' "$tag" $i "$port" "$pad"
        printf '%s' "$req" >"$d/exp$i"
    done
    timeout 30 curl -sS -v --cacert "$DATA/ca-cert.pem" -A '' -H 'Accept:' -H "X-Pad: $pad" "$@" \
        "https://localhost:$port/$tag-0" -o "$d/body0" "https://localhost:$port/$tag-1" -o "$d/body1" \
        2>"$d/err"
    rc=$?
    while IFS= read -r l || [ -n "$l" ]; do
        [ $n = 0 ] && [[ $l == *" (#1)" ]] && n=1
        if [ $n = 0 ]; then c0+=$l$'\n'; else c1+=$l$'\n'; fi
    done <"$d/err"
    printf '%s' "$c0" >"$d/conn0"
    printf '%s' "$c1" >"$d/conn1"
    return $rc
}

# curl_why DIR PROTO CIPHER: CURL_WHY = what curl -v says wrong about curl_run's connections
# (empty when all is well): both "SSL connection using PROTO / CIPHER", ALPN http/1.1 and the
# chain verified, both bodies intact, a Certificate message on the first, "SSL re-using session
# ID" and no Certificate message (an abbreviated handshake) on the second.
curl_why() {
    local d=$1 proto=$2 cipher=$3 i t
    CURL_WHY=
    for i in 0 1; do
        tls_read "$d/conn$i"
        t=$'\n'$TLS_TEXT
        [[ $t == *$'\n'"* SSL connection using $proto / $cipher"$'\n'* ]] || CURL_WHY+=" conn$i:not-$proto/$cipher"
        [[ $t == *$'\n'"* ALPN: server accepted http/1.1"$'\n'* ]] || CURL_WHY+=" conn$i:no-ALPN"
        [[ $t == *$'\n'"*  SSL certificate verify ok."$'\n'* ]] || CURL_WHY+=" conn$i:not-verified"
        cmp -s "$d/body$i" "$d/exp$i" || CURL_WHY+=" body$i-differs"
        if [ $i = 0 ]; then
            [[ $t == *"TLS handshake, Certificate (11)"* ]] || CURL_WHY+=" conn0:no-Certificate"
        else
            [[ $t == *$'\n'"* SSL re-using session ID"$'\n'* ]] || CURL_WHY+=" conn1:no-session-offered"
            [[ $t == *"TLS handshake, Certificate (11)"* ]] && CURL_WHY+=" conn1:full-handshake(Certificate)"
        fi
    done
    return 0
}

# c_case TAG VERSION HEX|any CURL_ARGS...: run serially (the server log is read by position).
c_case() {
    local tag=$1 v=$2 h=$3 d="$TMP/curl-$1" why= rc proto cipher hex n0 sid
    shift 3
    proto=$(tls_ossl_proto "$v")
    n0=$(wc -l <"$SLOG")
    curl_run "$d" "$tag" "$PORT" "$@"
    rc=$?
    [ $rc -eq 0 ] || why="$why exit=$rc"
    cipher=$(sed -n "s|^\* SSL connection using $proto / ||p" "$d/conn0")
    hex=$(tls_suite_hex "$cipher")
    [ -n "$hex" ] || why="$why conn0:no-'SSL connection using $proto / (a suite of ours)'"
    [ "$h" = any ] || [ "$hex" = "$h" ] || why="$why cipher=$cipher(want $(tls_suite_name "$h"))"
    curl_why "$d" "$proto" "$cipher"
    why+=$CURL_WHY
    sid=$(tail -n +"$((n0 + 1))" "$SLOG" | sed -n '1s/.* session=\([0-9a-f]*\)$/\1/p')
    [ "$(tail -n +"$((n0 + 1))" "$SLOG" | wc -l)" = 2 ] || why="$why server-log:want-2-new-lines"
    tls_log_check "$SLOG" "$sid" "$(tls_sslref_proto "$proto")" "${hex:-none}" " alpn=http/1.1 " \
        >"$d/details" || why="$why server-log"
    if [ -z "$why" ]; then
        pass "curl-$tag: $proto $cipher, ALPN http/1.1, verified; second connection offered the session and was abbreviated; $(wc -c <"$d/body0")+$(wc -c <"$d/body1") bytes intact; server log agrees"
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
# The Python client's cases run in batches (tls_peer.py client --cases: one Python process runs
# many cases one after the other, a line per connection; a Python start costs more than a case).
declare -A PY_BATCH=() PY_LINES=() PY_SLINES=() PY_SUM=()
declare -A PY_PROTO=([tls1.0]=TLSv1 [tls1.1]=TLSv1.1 [tls1.2]=TLSv1.2)
declare -A PY_SSLREF=([tls1.0]=TLS1.0 [tls1.1]=TLS1.1 [tls1.2]=TLS1.2)
# py_add TAG VERSION HEX BATCH: the case's request (its tag, 20 KB of random text) and the answer
# expected (sslref-server's http mode echoes it) in $TMP/py-TAG.req and .exp, its line in batch
# BATCH (one Python process; $TMP/pyb-BATCH.cnf, if the caller made one, is its OPENSSL_CONF).
py_add() {
    local tag=$1 v=$2 h=$3 key=$4 req
    printf -v req 'GET /%s HTTP/1.0\r\nX-Pad: %s\r\n\r\n' "$tag" "${TLS_FILL:$((RANDOM % 40000)):20000}"
    printf '%s' "$req" >"$TMP/py-$tag.req"
    printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s' "${#req}" "$req" >"$TMP/py-$tag.exp"
    if [ -z "${PY_BATCH[$key]:-}" ]; then
        PY_BATCH[$key]=1
        : >"$TMP/pyb-$key.cases"
    fi
    echo "$tag $v ${TLS_OSSL[$h]:-none} $TMP/py-$tag.req $TMP/py-$tag.body" >>"$TMP/pyb-$key.cases"
}
# py_run PORT LOG: run every batch (concurrently) against the sslref-server on PORT, then PY_LINES =
# Python's lines by case, PY_SLINES = the server's LOG lines by session ID, PY_SUM = the SHA-256 of
# every body and expected answer (one process, not a cmp per file); a batch that wrote to stderr
# fails. The batches are forgotten.
py_run() {
    local port=$1 log=$2 key pids=() p l envv
    for key in "${!PY_BATCH[@]}"; do
        envv=()
        [ -f "$TMP/pyb-$key.cnf" ] && envv=(env "OPENSSL_CONF=$TMP/pyb-$key.cnf")
        "${envv[@]}" timeout 120 "$PYTHON" "$PEER_PY" client --port "$port" --cafile "$DATA/ca-cert.pem" \
            --servername localhost --conns 2 --cases "$TMP/pyb-$key.cases" >"$TMP/pyb-$key.out" 2>"$TMP/pyb-$key.err" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    PY_LINES=() PY_SLINES=() PY_SUM=()
    for key in "${!PY_BATCH[@]}"; do
        while IFS= read -r l; do
            [[ $l =~ ^case=([^ ]*)\  ]] && PY_LINES[${BASH_REMATCH[1]}]+=$l$'\n'
        done <"$TMP/pyb-$key.out"
        if [ -s "$TMP/pyb-$key.err" ]; then
            fail "python client (batch $key) wrote to stderr"
            show "$TMP/pyb-$key.err"
        fi
    done
    while IFS= read -r l; do
        [[ $l == version=*" session="* ]] && PY_SLINES[${l##* session=}]+=$l$'\n'
    done <"$log"
    while read -r l p; do
        PY_SUM[$p]=$l
    done < <(cd "$TMP" && sha256sum py-*.body.* py-*.exp 2>/dev/null)
    PY_BATCH=()
}
# m_pair_check VERSION HEX GROUP|"" ALPN LINE0 LINE1: M_WHY = what is wrong with sslref-server's
# two log lines of one case (empty when all is well): both version=VERSION with cipher 0xHEX,
# alpn=ALPN and group=GROUP (any group if ""), the first a full handshake, the second resumed by
# session ID, one session ID.
m_pair_check() {
    local v=$1 h=$2 g=${3:-any} alpn=$4 s0=${5##* session=} s1=${6##* session=} re
    M_WHY=
    re="^version=${v//./\\.} cipher=0x$h .* resumed=([a-z]+) .* alpn=${alpn//./\\.} group=${3:-[^ ]+} via=([-a-z]+) "
    [[ $s0 =~ ^[0-9a-f]{2,64}$ ]] && [ "$s0" = "$s1" ] || M_WHY+=" server-log:session-ids($s0,$s1)"
    [[ $5 =~ $re ]] && [ "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" = "no -" ] ||
        M_WHY+=" server-log:first-not-full-$v-0x$h-group=$g"
    [[ $6 =~ $re ]] && [ "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" = "yes id" ] ||
        M_WHY+=" server-log:second-not-resumed-$v-0x$h-group=$g"
    return 0
}
# py_case TAG VERSION HEX GROUP|"": after py_run, the verdict on one case: Python's own lines (full
# then session_reused, one session ID, VERSION and the suite), both bodies, and the server's two
# lines of that session ID (m_pair_check: no ALPN from Python).
py_case() {
    local tag=$1 v=$2 h=$3 g=$4 why= name=${TLS_OSSL[$3]:-} proto=${PY_PROTO[$2]} sid= i l lines=()
    [ -n "$name" ] || why=" no-such-suite-in-the-table"
    l=${PY_LINES[$tag]:-}
    [[ ${l%%$'\n'*} =~ ^case=[^\ ]*\ conn=0\ .*\ session=([0-9a-f]+)$ ]] && sid=${BASH_REMATCH[1]}
    [ -n "$sid" ] || why+=" no-session-id"
    printf -v l 'case=%s conn=0 version=%s cipher=%s reused=no session=%s\ncase=%s conn=1 version=%s cipher=%s reused=yes session=%s\n' \
        "$tag" "$proto" "$name" "$sid" "$tag" "$proto" "$name" "$sid"
    [ "${PY_LINES[$tag]:-}" = "$l" ] || why+=" python-lines(want full then resumed, $proto $name, one session)"
    for i in 0 1; do
        [ -n "${PY_SUM[py-$tag.body.$i]:-}" ] && [ "${PY_SUM[py-$tag.body.$i]}" = "${PY_SUM[py-$tag.exp]:-}" ] ||
            why+=" body$i-differs"
    done
    [ -n "$sid" ] && mapfile -t lines <<<"${PY_SLINES[$sid]:-}"
    if [ "${#lines[@]}" = 3 ] && [ -z "${lines[2]}" ]; then # (<<< adds a newline)
        m_pair_check "${PY_SSLREF[$v]}" "$h" "$g" - "${lines[0]}" "${lines[1]}"
        why+=$M_WHY
    else
        why+=" server-log:not-2-lines-of-session-${sid:-none}"
    fi
    if [ -z "$why" ]; then
        echo "PASS: $tag: python says $proto $name, then session_reused, one session; both bodies intact; server log: that session${g:+ over group=$g}, full then resumed"
    else
        echo "FAIL: $tag:$why"
        printf '  | %s\n' "${PY_LINES[$tag]:-(no line from python)}" "${lines[@]}"
    fi
}
# per version and per suite this OpenSSL has, a batch per version
for c in "${PAIRS[@]}"; do
    read -r v h <<<"$c"
    py_add "py-client-$v-$h" "$v" "$h" "$v"
done
py_run "$PORT" "$SLOG"
for c in "${PAIRS[@]}"; do # (in this shell, without a fork)
    read -r v h <<<"$c"
    py_case "py-client-$v-$h" "$v" "$h" "" >"$TMP/job-py_case-${c// /_}.res"
done
tls_collect py_case "${PAIRS[@]}"

# --- 4. Issue 16: every ECDHE suite x every group, and ccaa over ffdhe2048 ------------------------
# The matrix of curl, the Python client and sslref-client alike: the 14 ECDHE suites (TLS 1.2) over
# x25519, P-256 and P-384, and DHE-RSA-CHACHA20-POLY1305 over ffdhe2048 (OpenSSL 3.0 lists no FFDHE
# group at TLS 1.2: the server takes its first FFDHE group, RFC 7919 4). The suites are named here,
# not taken from the suite table, so that the matrix cannot shrink with it; a suite the table or
# this OpenSSL lacks fails its cases.
M_SUITES="c02b c02c c02f c030 cca9 cca8 c009 c00a c013 c014 c023 c024 c027 c028"
M_CASES=()
for h in $M_SUITES; do
    for g in $TLS_GROUPS; do M_CASES+=("$h $g"); done
done
M_CASES+=("ccaa ffdhe2048")
M_WANT=43 # 14 x 3 + 1
# m_curves HEX GROUP: M_CURVES = the groups an OpenSSL client of that case lists (empty for
# ffdhe2048: its defaults). An ECDSA suite also needs the certificate's curve, P-256, listed (RFC
# 8422 5.1.1); the servers below prefer p384, then x25519, then p256, so they still take GROUP.
m_curves() {
    M_CURVES=
    [ "$2" = ffdhe2048 ] && return 0
    M_CURVES=${TLS_G_OSSL[$2]}
    [ "${TLS_CERT[$1]:-}" = ecdsa ] && [ "$2" != p256 ] && M_CURVES+=:P-256
    return 0
}
# m_server LOG: an sslref-server with the RSA and the P-256 certificates, the matrix's suites, TLS
# 1.2, groups p384,x25519,p256,ffdhe2048, http mode; sets SRV_PID and SRV_PORT.
m_server() {
    start_sslref_server "$1" --version tls1.2 --cert "$DATA/ec256-chain.pem" --key "$DATA/ec256-key.pem" \
        --groups p384,x25519,p256,ffdhe2048 --mode http --alpn http/1.1 --ciphers "${M_SUITES// /,},ccaa"
}
# m_collect WHAT FUNC ARG...: tls_collect FUNC ARG..., then the number of cases that gave a
# verdict (a PASS or a FAIL line) must be M_WANT.
m_collect() {
    local what=$1 func=$2 a n=0
    shift 2
    for a in "$@"; do
        tls_read "$TMP/job-$func-${a// /_}.res"
        [[ $'\n'$TLS_TEXT == *$'\n'PASS:\ * || $'\n'$TLS_TEXT == *$'\n'FAIL:\ * ]] && n=$((n + 1))
    done
    tls_collect "$func" "$@"
    if [ "$n" = "$M_WANT" ]; then
        pass "$what: all $n cases of the matrix ran (14 ECDHE suites x 3 groups, ccaa over ffdhe2048)"
    else
        fail "$what: $n cases of the matrix ran, want $M_WANT"
    fi
}
MAIN_PORT=$SRV_PORT MAIN_PID=$SRV_PID
M_CLOG="$TMP/server-m-curl.log" M_PLOG="$TMP/server-m-python.log"
if m_server "$M_CLOG" && M_CPORT=$SRV_PORT M_CPID=$SRV_PID && m_server "$M_PLOG"; then
    M_PPORT=$SRV_PORT M_PPID=$SRV_PID
    M_DIRS=()
    for c in "${M_CASES[@]}"; do M_DIRS+=("$TMP/curlm-${c/ /-}"); done
    mkdir -p "${M_DIRS[@]}"

    # 4a. curl: the two connections of one invocation; curl -v gives the version, the suite, the
    # session offered and the abbreviated handshake; the server's log the group. The cases run
    # concurrently: each is the only one with its suite and its group in the log.
    cm_case() { # cm_case HEX GROUP
        local h=$1 g=$2 tag="curl-m-$1-$2" d="$TMP/curlm-$1-$2" why= rc name=${TLS_OSSL[$1]:-} l lines=()
        [ -n "$name" ] || why=" no-such-suite-in-the-table"
        m_curves "$h" "$g"
        curl_run "$d" "$tag" "$M_CPORT" --ciphers "${name:-none}" ${M_CURVES:+--curves "$M_CURVES"}
        rc=$?
        [ $rc -eq 0 ] || why+=" exit=$rc"
        curl_why "$d" TLSv1.2 "$name"
        why+=$CURL_WHY
        while IFS= read -r l; do # (a line being written has no newline yet: read skips it)
            [[ $l == "version="*" cipher=0x$h "*" group=$g via="* ]] && lines+=("$l")
        done <"$M_CLOG"
        if [ "${#lines[@]}" = 2 ]; then
            m_pair_check TLS1.2 "$h" "$g" http/1.1 "${lines[@]}"
            why+=$M_WHY
        else
            why+=" server-log:${#lines[@]}-lines-with-0x$h-and-$g(want-2)"
        fi
        if [ -z "$why" ]; then
            echo "PASS: $tag: curl says TLSv1.2 $name (offering ${M_CURVES:-its default groups}), verified; second connection offered the session and was abbreviated; both bodies intact; server log: group=$g, full then resumed, one session"
        else
            echo "FAIL: $tag:$why"
            printf '  | %s\n' "${lines[@]}"
            grep -E '^\* (SSL|ALPN|TLS|  SSL)|^\* TLSv|curl:' "$d/err" | sed 's/^/  | /' | head -40
        fi
    }
    tls_run_jobs 4 cm_case "${M_CASES[@]}" &
    M_CURL_JOB=$!
    INTEROP_PIDS+=("$M_CURL_JOB")

    # 4b. Python client: one batch (process) per list of groups (m_curves: the same lists as
    # curl's, in an OpenSSL configuration's Groups line; ccaa with OpenSSL's default list); per case
    # two connections, the second with the first one's session. Python's own version(), cipher(),
    # session_reused and the session ID, the bodies, the server's log found by that session ID.
    for c in "${M_CASES[@]}"; do
        read -r h g <<<"$c"
        m_curves "$h" "$g"
        p=${M_CURVES:-default}
        [ -z "$M_CURVES" ] || [ -f "$TMP/pyb-$p.cnf" ] ||
            printf 'openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nGroups = %s\n' "$M_CURVES" >"$TMP/pyb-$p.cnf"
        py_add "py-m-$h-$g" tls1.2 "$h" "$p"
    done
    py_run "$M_PPORT" "$M_PLOG"
    pm_case() { py_case "py-m-$1-$2" tls1.2 "$1" "$2"; }
    for c in "${M_CASES[@]}"; do # (in this shell, without a fork)
        # shellcheck disable=SC2086 # (HEX GROUP: two words)
        pm_case $c >"$TMP/job-pm_case-${c// /_}.res"
    done
    m_collect "python client matrix" pm_case "${M_CASES[@]}"
    wait "$M_CURL_JOB"
    m_collect "curl matrix" cm_case "${M_CASES[@]}"
    for p in "curl $M_CPID $M_CLOG" "python $M_PPID $M_PLOG"; do
        read -r w pid log <<<"$p"
        tls_tally < <(tls_server_ok "sslref-server (matrix, $w)" "$pid" "$log")
        stop_pid "$pid" TERM
        tls_read "$log"
        if [[ $TLS_TEXT == *$'\n'"stats: connections=$((2 * M_WANT)) full=$M_WANT resumed=$M_WANT failures=0"$'\n'* ]]; then
            pass "sslref-server (matrix, $w): connections=$((2 * M_WANT)) full=$M_WANT resumed=$M_WANT failures=0"
        else
            fail "sslref-server (matrix, $w): $(grep '^stats:' "$log") (want connections=$((2 * M_WANT)) full=$M_WANT resumed=$M_WANT failures=0)"
        fi
    done
else
    fail "sslref-server for the matrix (RSA + P-256 certificates) did not start"
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
    QEC=() # the matrix of section 4 (ccaa: the Python server's DH parameters are ffdhe2048)
    for c in "${M_CASES[@]}"; do QEC+=("tls1.2 $c"); done
    tls_run_jobs 4 q_case "${PAIRS[@]}" "default any" "${QEC[@]}"
    tls_collect q_case "${PAIRS[@]}" "default any"
    m_collect "sslref-client matrix" q_case "${QEC[@]}"
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

#!/bin/bash
# test_tls_nss.sh - TLS 1.0, 1.1 and 1.2 between sslref and NSS (tstclnt, strsclnt, selfserv), for
# the suites 002f 0035 003c 003d 009c 009d 000a 0033 0039 0067 006b 009e 009f 0016 (the SHA-256
# and GCM ones at TLS 1.2 only). Every case checks the data byte for byte, and the negotiated
# version, suite (NSS's own description: cipher, MAC, key exchange) and resumption as the NSS peer
# prints them.
#  A. sslref-server (--version tls1.0-tls1.2, RFC 7919 ffdhe2048 for DHE) and NSS clients:
#     1. tstclnt -V V:V (each version; and -V tls1.0:tls1.2 for one suite of each kind, which must
#        end at TLS 1.2), -c :SUITE, one connection to a server with all the suites: a full
#        handshake, a ~6 KB request and the server's answer echoing it;
#     (and -V tls1.0:tls1.3 -c :009c:1301 once: TLS 1.3 offered, TLS 1.2 answered)
#     2. the same versions with tstclnt -L 2 (a full handshake, then a resumption of that session)
#        against a server offering only SUITE: tstclnt 3.87 aborts ("free(): invalid pointer",
#        also against selfserv) when -c and -L are combined, so the server picks the suite here;
#     3. strsclnt -V tls1.2:tls1.2 -C :009e, 1000 connections from 8 threads against the 2x2 server
#        (--processes 2 --threads 2 --cache DIR): strsclnt counts 999 hits and 1 miss, and the
#        server process that made no full handshake resumed sessions: the cache crossed processes.
#  B. sslref-client --resume 1 (--version each, and tls1.0-tls1.2) against selfserv -V tls1.0:tls1.2
#     and against selfservs capped at TLS 1.1 and 1.0 (the client offers tls1.0-tls1.2): selfserv -v
#     prints each handshake's version, cipher and key exchange, and its cumulative cache hit/miss
#     counts; the client's lines say resumed=no then resumed=yes; both answers are selfserv's fixed
#     page around our request. One selfserv per lane (its cases run in turn, its log is read per
#     case); the lanes run beside the A cases.
# Issue 16: every ECDHE_RSA and ECDHE_ECDSA suite and ccaa, both directions, full + resumed, over
# x25519, P-256 and P-384 at TLS 1.2, and the CBC-SHA ones (c009 c00a c013 c014) at TLS 1.0 and at
# TLS 1.1 over x25519 and P-256: tstclnt -V V:V -I -L 2 against one-suite sslref-servers holding the
# RSA and P-256 certificates; sslref-client --version V --groups against selfserv -n (RSA) and
# selfserv -e (P-256, P-384 certificates from nss_make_ec_db); NSS's "SSL version 3.1/3.2/3.3",
# "Server Auth"/"Key Exchange: N-bit ECDHE" lines give the version, certificate and group, its cache
# counts give the resumption. tstclnt -c and -J against the server with both certificates get the one
# they ask for.
# c024 and c028 (ECDHE with AES-256-CBC and HMAC-SHA384) from NSS clients:
#  - NSS 3.87 leaves both off by default (ssl3con.c's cipherSuites[] has them SSL_ALLOWED but not
#    enabled), so tstclnt without -c does not offer them. The "off by default" case shows it: the
#    plain tstclnt gets the server's handshake_failure (SSL_ERROR_NO_CYPHER_OVERLAP, exit 254; the
#    server, offering only c028 and c024, logs alert 0x0228), the same command with the policy
#    database below gets c028.
#  - tstclnt -c cannot be combined with -L (tstclnt 3.87 aborts, "free(): invalid pointer", exit
#    134, also against selfserv): run() walks the global cipherString forward while parsing it and
#    then frees the saved start; the second connection's run() finds cipherString non-NULL, one
#    past the freed string, parses freed memory and frees that pointer. -r N renegotiates inside
#    one connection, which is not the resumption of a new connection the other cases check.
#  - so tstclnt turns them on through NSS's own policy machinery: a database whose pkcs11.txt has a
#    policy module (flags=policyOnly,moduleDB) with config="enable=HMAC-SHA384", NSS's policy
#    "enable" of the suites using that MAC by default. With it tstclnt -L 2 -I G (no -c) does them
#    full + resumed over x25519, P-256 and P-384 like every other suite.
#  - strsclnt -C :SUITE, which does enable them, -c 2 -t 1 (full, then resumed) covers them as well
#    over each group; strsclnt has no -I, so one server per group whose --groups lists only it.
# Every case asserts what the NSS peer itself printed; a case that cannot run fails (tlsp_collect),
# and the number of checks is asserted at the end (NSS_CHECKS), so the matrix cannot shrink unseen.
# Our servers' own logs are checked too (handshake and resumption counts, no failure).
# Usage: bash tests/interop/test_tls_nss.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
tlsp_init

# NSS's words for the versions and suites (as tstclnt/selfserv/strsclnt -v print them).
declare -A NSS_VER=([tls1.0]=3.1 [tls1.1]=3.2 [tls1.2]=3.3)
# The suites' texts are TLS_NSS_CIPHER of lib.sh's TLS_SUITE_TABLE.

# nss_check_hs N FILE PROG VERSION SUITE [GROUP [ECBITS]]: PROG (tstclnt, selfserv, strsclnt)
# printed N handshakes, all at VERSION with SUITE's cipher, MAC and key exchange, and no other;
# for ECDHE over GROUP (sslref's word: NSS prints its key size), signed by a 2048-bit RSA or an
# ECBITS-bit (default 256) ECDSA certificate as SUITE needs.
nss_check_hs() {
    local n=$1 f=$2 p=$3 v=$4 s=$5 auth="2048-bit RSA" bits=2048
    [ "${TLS_CERT[$s]}" = ecdsa ] && auth="${7:-256}-bit ECDSA"
    [ "${TLS_KX[$s]}" = ECDHE ] && bits=${TLS_G_NSSBITS[$6]}
    local want="$p: SSL version ${NSS_VER[$v]} using ${TLS_NSS_CIPHER[$s]}"
    local kx="$p: Server Auth: $auth, Key Exchange: $bits-bit ${TLS_KX[$s]}"
    tls_expect "want $n x '$want'" tls_lines "$n" "$f" "$want"
    tls_expect "$p: other handshakes printed" tls_lines_with "$n" "$f" "SSL version"
    tls_expect "want $n x '$kx'" tls_lines "$n" "$f" "$kx"
}

# A1. tstclnt_full RANGE SUITE VERSION [CIPHERS [PORT GROUP TSTCLNT_ARGS...]]: one connection to
# the all-suites server (or the one at PORT), -c CIPHERS (default :SUITE; "-" for none: tstclnt's
# defaults); with GROUP (sslref's word) an ECDHE handshake over it.
tstclnt_full() {
    local range=$1 s=$2 v=$3 c=${4:-:$2} port=${5:-$ALL_PORT} g=${6:-} o="$TMP/tstclnt-full-${1/:/-}-$2" rc
    local cargs=(-c "$c")
    [ "$c" = - ] && cargs=()
    [ $# -gt 6 ] && o+="-$(echo "${@:7}" | tr -c 'a-zA-Z0-9\n' -)"
    shift $(($# < 6 ? $# : 6))
    TLS_BAD=0
    tls_request "$o.req" "tstclnt-full-$range-$s"
    tls_sslref_answer >"$o.want"
    timeout 20 tstclnt -h 127.0.0.1 -p "$port" -d "$DB" -V "$range" "${cargs[@]}" "$@" -o -v \
        -A "$o.req" >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "tstclnt exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.out" "answer"
    nss_check_hs 1 "$o.err" tstclnt "$v" "$s" "$g"
    tls_expect "tstclnt: not one full handshake" \
        tls_lines 1 "$o.err" "0 cache hits; 1 cache misses, 0 cache not reusable"
    [ $TLS_BAD -eq 0 ] || grep -v 'PR_Poll\|about to call' "$o.err" | head -40
    return $TLS_BAD
}

# A2. tstclnt_resume RANGE SUITE VERSION [GROUPS GROUP [DB]]: tstclnt -L 2 against the server
# offering only SUITE; with GROUPS (tstclnt -I) both handshakes over GROUP (sslref's word), which the
# server's log must show for both too. DB: tstclnt's database (default $DB; $SHA384_DB for c024/c028).
tstclnt_resume() {
    local range=$1 s=$2 v=$3 gi=${4:-} g=${5:-} db=${6:-$DB} o="$TMP/tstclnt-res-${1/:/-}-$2${4:+-${4//,/-}}" rc iargs=()
    [ -n "$gi" ] && iargs=(-I "$gi")
    TLS_BAD=0
    tls_request "$o.req" "tstclnt-resume-$range-$s-$gi"
    tls_sslref_answer 2 >"$o.want"
    timeout 20 tstclnt -h 127.0.0.1 -p "${ONE_PORT[$s]}" -d "$db" -V "$range" "${iargs[@]}" -L 2 -o -v \
        -A "$o.req" >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "tstclnt exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.out" "the two answers"
    nss_check_hs 2 "$o.err" tstclnt "$v" "$s" "$g"
    if [ -n "$g" ]; then # the server's view: this is its only case at v over g
        local r
        for r in no yes; do
            tls_expect "sslref-server (only $s): want 1 line version=TLS${v#tls} cipher=0x$s resumed=$r group=$g" \
                [ "$(grep -c "^version=TLS${v#tls} cipher=0x$s [^ ]* resumed=$r .* group=$g " "${ONE_LOG[$s]}")" = 1 ]
        done
    fi
    tls_expect "tstclnt: first connection not a full handshake" \
        tls_lines 1 "$o.err" "0 cache hits; 1 cache misses, 0 cache not reusable"
    tls_expect "tstclnt: second connection not resumed" \
        tls_lines 1 "$o.err" "1 cache hits; 1 cache misses, 0 cache not reusable"
    [ $TLS_BAD -eq 0 ] || grep -v 'PR_Poll\|about to call' "$o.err" | head -60
    return $TLS_BAD
}

# A2'. strsclnt_resume SUITE GROUP: strsclnt -C :SUITE, two connections from one thread (full,
# then resumed: strsclnt counts 1 hit and 1 miss) to the server with c024 and c028 whose --groups
# is GROUP alone (strsclnt has no -I: it lists its default groups, the server picks); the server's
# log agrees.
strsclnt_resume() {
    local s=$1 g=$2 o="$TMP/strsclnt-$1-$2" rc r
    TLS_BAD=0
    timeout 20 strsclnt -p "${STRS_PORT[$g]}" -d "$DB" -V tls1.2:tls1.2 -C ":$s" -o -o -v -c 2 -t 1 \
        127.0.0.1 >"$o.out" 2>&1
    rc=$?
    tls_expect "strsclnt exit $rc" [ $rc -eq 0 ]
    nss_check_hs 1 "$o.out" strsclnt tls1.2 "$s" "$g"
    tls_expect "strsclnt: want 1 cache hit and 1 miss" \
        tls_lines_with 1 "$o.out" "strsclnt: 1 cache hits; 1 cache misses, 0 cache not reusable"
    tls_expect "strsclnt: want 2 answers" tls_lines_with 2 "$o.out" "read 86 bytes total"
    for r in no yes; do
        tls_expect "sslref-server (groups $g): want 1 line version=TLS1.2 cipher=0x$s resumed=$r group=$g" \
            [ "$(grep -c "^version=TLS1.2 cipher=0x$s [^ ]* resumed=$r .* group=$g " "${STRS_LOG[$g]}")" = 1 ]
    done
    [ $TLS_BAD -eq 0 ] || grep -v 'Thread in slot\|Launched thread' "$o.out" | head -30
    return $TLS_BAD
}

# A2''. tstclnt_sha384_off: the same tstclnt command (-V tls1.2:tls1.2 -I x25519, no -c) against the
# server offering only c028 and c024, first with the plain database: NSS does not offer them, the
# server answers handshake_failure (NSS: SSL_ERROR_NO_CYPHER_OVERLAP, exit 254), the server logs
# alert 0x0228 and no handshake; then with $SHA384_DB (policy enable=HMAC-SHA384): c028, data back.
tstclnt_sha384_off() {
    local o="$TMP/tstclnt-sha384-off" rc
    TLS_BAD=0
    tls_request "$o.req" tstclnt-sha384-off
    tls_sslref_answer >"$o.want"
    timeout 20 tstclnt -h 127.0.0.1 -p "$OFF_PORT" -d "$DB" -V tls1.2:tls1.2 -I x25519 -o -v \
        -A "$o.req" >"$o.out0" 2>"$o.err0"
    rc=$?
    tls_expect "tstclnt (plain database): exit $rc, want 254" [ $rc -eq 254 ]
    tls_expect "tstclnt (plain database): no SSL_ERROR_NO_CYPHER_OVERLAP" \
        tls_lines_with 1 "$o.err0" "SSL_ERROR_NO_CYPHER_OVERLAP"
    tls_expect "tstclnt (plain database): printed a handshake" tls_lines_with 0 "$o.err0" "SSL version"
    tls_expect "sslref-server (c028,c024): want 1 handshake_failure (alert 0x0228) sent" \
        [ "$(grep -c '^error=SSLNegotiationErr alert_sent=0x0228 ' "$OFF_LOG")" = 1 ]
    tls_expect "sslref-server (c028,c024): logged a handshake" [ "$(grep -c '^version=' "$OFF_LOG")" = 0 ]
    timeout 20 tstclnt -h 127.0.0.1 -p "$OFF_PORT" -d "$SHA384_DB" -V tls1.2:tls1.2 -I x25519 -o -v \
        -A "$o.req" >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "tstclnt (policy database): exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.out" "answer"
    nss_check_hs 1 "$o.err" tstclnt tls1.2 c028 x25519
    tls_expect "sslref-server (c028,c024): want 1 line version=TLS1.2 cipher=0xc028 resumed=no group=x25519" \
        [ "$(grep -c '^version=TLS1.2 cipher=0xc028 [^ ]* resumed=no .* group=x25519 ' "$OFF_LOG")" = 1 ]
    [ $TLS_BAD -eq 0 ] || show "$o.err0" "$OFF_LOG"
    [ $TLS_BAD -eq 0 ] || grep -v 'PR_Poll\|about to call' "$o.err" | head -40
    return $TLS_BAD
}

# B. selfserv's page for the last tls_request, twice (one per connection): a fixed head, the
# request as read, "EOF" (selfserv.c handle_connection).
selfserv_answer2() {
    local page
    printf -v page 'HTTP/1.0 200 OK\r\nServer: Generic Web Server\r\nDate: Tue, 26 Aug 1997 22:10:05 GMT\r\nContent-type: text/plain\r\n\r\n%sEOF\r\n\r\n\r\n' "$TLS_REQ"
    printf '%s%s' "$page" "$page"
}

# start_selfserv NAME RANGE [KIND]: start selfserv -V RANGE with every suite of the list, its log in
# $TMP/selfserv-NAME.log; sets SS_PORT[NAME] and SS_PID[NAME] (selfserv_wait waits for them).
# KIND rsa-ec: the RSA certificate with the ECDHE_RSA suites and ccaa; ec256/ec384: the ECDSA
# certificate of that name (selfserv -e, its own database) with the ECDHE_ECDSA suites; both with
# the groups x25519, P-256, P-384 (-I).
declare -A SS_PORT SS_PID SS_RANGE SS_KIND
start_selfserv() {
    local port args
    port=$(free_port) || return 1
    case ${3:-} in
    rsa-ec) args=(-n server -d "$DB" -c ":$(echo ${TLS_SUITES_ECDHE} ccaa | sed 's/ /:/g')") ;;
    ec256 | ec384) args=(-e ecserver -d "$TMP/nssdb-$3" -c ":$(echo ${TLS_SUITES_ECDSA} | sed 's/ /:/g')") ;;
    *) args=(-n server -d "$DB" -c ":$(echo $TLS_SUITES_12 | sed 's/ /:/g')") ;;
    esac
    [ "${3:-}" = rsa-ec ] && args+=(-I x25519,P256,P384,FF2048)
    [ "${3:-}" = ec256 ] || [ "${3:-}" = ec384 ] && args+=(-I x25519,P256,P384)
    # by absolute path (DESIGN.md §6); listens on all interfaces, we only use 127.0.0.1
    /usr/bin/selfserv "${args[@]}" -p "$port" -V "$2" -v >"$TMP/selfserv-$1.log" 2>&1 &
    SS_PID[$1]=$!
    INTEROP_PIDS+=("$!")
    SS_PORT[$1]=$port
    SS_RANGE[$1]=$2
    SS_KIND[$1]=${3:-}
}

# selfserv_wait: every selfserv started listens (or FAIL and false); one that exited (its port
# taken meanwhile) is started once more on another port.
selfserv_wait() {
    local n ok=0
    for n in "${!SS_PID[@]}"; do
        wait_listen "${SS_PORT[$n]}" "${SS_PID[$n]}" && continue
        if ! kill -0 "${SS_PID[$n]}" 2>/dev/null; then
            start_selfserv "$n" "${SS_RANGE[$n]}" "${SS_KIND[$n]}" &&
                wait_listen "${SS_PORT[$n]}" "${SS_PID[$n]}" && continue
        fi
        fail "selfserv -V ${SS_RANGE[$n]} did not start"
        show "$TMP/selfserv-$n.log"
        ok=1
    done
    return $ok
}

# selfserv_case NAME CLIENT_VERSION SUITE VERSION [GROUPS GROUP]: sslref-client, full then resumed,
# against selfserv NAME. The cases of one selfserv run one after the other (one lane): the case's
# part of selfserv's log is what it printed after the offset where the case began. With GROUPS
# (sslref's --groups) both handshakes must be over GROUP (selfserv's key exchange size, the
# client's group=).
selfserv_case() {
    local log="$TMP/selfserv-$1.log" cv=$2 s=$3 v=$4 o="$TMP/ss-$1-$2-$3${5:+-$5}" off rc i l h0=0 m0=0 counts=
    local gargs=() g=${6:-} bits=256
    [ -n "${5:-}" ] && gargs=(--groups "$5")
    [ "${SS_KIND[$1]:-}" = ec384 ] && bits=384
    local re='^selfserv: ([0-9]+) cache hits; ([0-9]+) cache misses'
    TLS_BAD=0
    tls_read "$log"
    off=${#TLS_TEXT}
    # selfserv's hit/miss counts are cumulative: the last ones before this case
    while IFS= read -r l; do
        [[ $l =~ $re ]] && h0=${BASH_REMATCH[1]} m0=${BASH_REMATCH[2]}
    done <<<"$TLS_TEXT"
    tls_request "$o.req" "selfserv-$cv-$s" 3000
    selfserv_answer2 >"$o.want"
    timeout 30 "$BIN/sslref-client" --host 127.0.0.1 --port "${SS_PORT[$1]}" --version "$cv" \
        --ciphers "$s" "${gargs[@]}" --resume 1 --ca "$DATA/ca-cert.pem" --send "$TLS_REQ" >"$o.out" 2>"$o.err"
    rc=$?
    for i in {1..50}; do # selfserv may print after it answered
        tls_log_since "$log" "$off" "$o.seg"
        [[ $TLS_TEXT == *"cache hits"*"cache hits"* ]] && break
        sleep 0.1
    done
    tls_expect "sslref-client exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.out" "the two answers"
    tls_client_resumed "$o.err" "TLS${v#tls}" "$s"
    tls_expect "sslref-client: want TLS${v#tls} 0x$s resumed=no then yes, got '$TLS_PAT'" \
        [ "$TLS_PAT" = "no yes " ]
    nss_check_hs 2 "$o.seg" selfserv "$v" "$s" "$g" "$bits"
    [ -z "$g" ] || tls_expect "sslref-client: want 2 lines with group=$g" tls_lines_with 2 "$o.err" " group=$g"
    while IFS= read -r l; do
        [[ $l =~ $re ]] && counts+="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} "
    done <"$o.seg"
    tls_expect "selfserv cache counts '$counts' after '$h0 $m0': want a miss then a hit" \
        [ "$counts" = "$h0 $((m0 + 1)) $((h0 + 1)) $((m0 + 1)) " ]
    [ $TLS_BAD -eq 0 ] || show "$o.err" "$o.seg"
    return $TLS_BAD
}

# srv_go NAME LOG ARGS...: start sslref-server --port 0 ARGS as lib.sh's start_sslref_server does
# (the RSA certificate first, stderr to LOG; this script sets no SRV_EXTRA), without waiting for it;
# srv_up then waits until every queued one printed its "listening on" line and sets SRVQ_PORT[NAME]
# (or FAILs and is false).
declare -A SRVQ_PID SRVQ_PORT SRVQ_LOG
srv_go() {
    local n=$1 log=$2
    shift 2
    : >"$log"
    "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" --key "$DATA/server-key-pkcs8.pem" \
        "$@" >"$log.stdout" 2>"$log" &
    SRVQ_PID[$n]=$!
    SRVQ_LOG[$n]=$log
    INTEROP_PIDS+=("$!")
}
srv_up() {
    local n i re='listening on [^ ]*:([0-9]+)'
    for n in "${!SRVQ_PID[@]}"; do
        for i in {1..100}; do
            tls_read "${SRVQ_LOG[$n]}"
            [[ $TLS_TEXT =~ $re ]] && SRVQ_PORT[$n]=${BASH_REMATCH[1]} && break
            kill -0 "${SRVQ_PID[$n]}" 2>/dev/null || break
            sleep 0.1
        done
        if [ -z "${SRVQ_PORT[$n]:-}" ]; then
            fail "sslref-server $n did not start"
            show "${SRVQ_LOG[$n]}"
            return 1
        fi
    done
}

# --- servers: ours (one with all suites, one per suite) and selfserv (one per lane) ---
for v in tls1.0 tls1.1 tls1.2 range; do
    start_selfserv "$v" tls1.0:tls1.2 || exit 1
done
start_selfserv max-tls1.1 tls1.0:tls1.1 || exit 1
start_selfserv max-tls1.0 tls1.0:tls1.0 || exit 1
SRVARGS=(--version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem")
# Our servers start side by side (srv_go queues, srv_up waits for them all): some 35 of them, which
# one after the other (lib.sh's start_sslref_server waits for each) took seconds on a loaded machine.
srv_go all "$TMP/srv-all.log" "${SRVARGS[@]}" --ciphers "$TLS_SUITES_CSV"
for s in $TLS_SUITES_12; do
    srv_go "$s" "$TMP/srv-$s.log" "${SRVARGS[@]}" --ciphers "$s"
done
# issue 16: servers holding the RSA and the P-256 certificates, one with every ECDHE suite and
# ccaa, one per suite (for tstclnt -L); their group order p384, x25519, p256 lets a client listing
# P-384 and P-256 get P-384 with the P-256 certificate (which needs P-256 listed, RFC 8422 5.1.1).
ECARGS=(--cert "$DATA/ec256-chain.pem" --key "$DATA/ec256-key.pem" --groups p384,x25519,p256,ffdhe2048)
srv_go ec-all "$TMP/srv-ec-all.log" "${SRVARGS[@]}" "${ECARGS[@]}" \
    --ciphers "$(echo $TLS_SUITES_ECDHE ccaa | tr ' ' ',')"
for s in $TLS_SUITES_ECDHE ccaa; do
    srv_go "$s" "$TMP/srv-$s.log" "${SRVARGS[@]}" "${ECARGS[@]}" --ciphers "$s"
done
# c024/c028 for strsclnt: per group a server whose only group it is (strsclnt lists its defaults)
for g in $TLS_GROUPS; do
    srv_go "strs-$g" "$TMP/srv-strs-$g.log" "${SRVARGS[@]}" "${ECARGS[@]}" --groups "$g" --ciphers c024,c028
done
# tstclnt_sha384_off's server: only the two suites NSS leaves off
srv_go sha384-off "$TMP/srv-sha384-off.log" "${SRVARGS[@]}" "${ECARGS[@]}" --ciphers c028,c024
srv_up || exit 1
ALL_PORT=${SRVQ_PORT[all]}
ALL_PID=${SRVQ_PID[all]}
EC_ALL_PORT=${SRVQ_PORT[ec-all]}
EC_ALL_PID=${SRVQ_PID[ec-all]}
declare -A ONE_PORT ONE_PID ONE_LOG STRS_PORT STRS_PID STRS_LOG
for s in $TLS_SUITES_12 $TLS_SUITES_ECDHE ccaa; do
    ONE_PORT[$s]=${SRVQ_PORT[$s]}
    ONE_PID[$s]=${SRVQ_PID[$s]}
    ONE_LOG[$s]=$TMP/srv-$s.log
done
for g in $TLS_GROUPS; do
    STRS_PORT[$g]=${SRVQ_PORT[strs-$g]}
    STRS_PID[$g]=${SRVQ_PID[strs-$g]}
    STRS_LOG[$g]=$TMP/srv-strs-$g.log
done
OFF_PORT=${SRVQ_PORT[sha384-off]}
OFF_PID=${SRVQ_PID[sha384-off]}
OFF_LOG=$TMP/srv-sha384-off.log
nss_make_ec_db "$TMP/nssdb-ec256" ec256 && nss_make_ec_db "$TMP/nssdb-ec384" ec384 ||
    { fail "NSS databases with the EC certificates"; exit 1; }
# tstclnt's database for c024/c028: a copy of $DB, plus a policy module enabling the suites with
# HMAC-SHA384 by default (see the header: tstclnt -c cannot be combined with -L)
SHA384_DB=$TMP/nssdb-sha384
cp -r "$DB" "$SHA384_DB" && printf '\nlibrary=\nname=Policy\nNSS=flags=policyOnly,moduleDB\nconfig="enable=HMAC-SHA384"\n' >>"$SHA384_DB/pkcs11.txt" ||
    { fail "NSS database with the policy enable=HMAC-SHA384"; exit 1; }
start_selfserv rsa-ec tls1.0:tls1.2 rsa-ec || exit 1
start_selfserv rsa-ec2 tls1.0:tls1.2 rsa-ec || exit 1
start_selfserv ec256 tls1.0:tls1.2 ec256 || exit 1
start_selfserv ec384 tls1.2:tls1.2 ec384 || exit 1
start_selfserv cbc-rsa tls1.0:tls1.2 rsa-ec || exit 1
start_selfserv cbc-ec tls1.0:tls1.2 ec256 || exit 1
selfserv_wait || exit 1

# --- B (lanes, one per selfserv) beside A1/A2 ---
for v in tls1.0 tls1.1 tls1.2; do
    for s in $(tls_suites_for $v); do
        TLS_LANE=$v tls_case "sslref-client --version $v --ciphers $s vs selfserv: full then resumed, data" \
            selfserv_case "$v" "$v" "$s" "$v"
    done
done
for s in $TLS_SUITES_RANGE; do
    TLS_LANE=range tls_case "sslref-client --version tls1.0-tls1.2 --ciphers $s vs selfserv: tls1.2, full then resumed, data" \
        selfserv_case range tls1.0-tls1.2 "$s" tls1.2
done
# servers below the client's maximum: the client offers TLS 1.2 and accepts 1.1 or 1.0
for cap in tls1.1 tls1.0; do
    for s in 002f 0039 000a; do
        TLS_LANE=max-$cap tls_case "sslref-client --version tls1.0-tls1.2 --ciphers $s vs selfserv -V tls1.0:$cap: $cap, full then resumed, data" \
            selfserv_case "max-$cap" tls1.0-tls1.2 "$s" "$cap"
    done
done
# issue 16, B: every ECDHE suite against selfserv over x25519, P-256 and P-384 (ECDSA: P-256
# certificate over x25519 and P-256, P-384 certificate over P-384), CBC-SHA at TLS 1.0 and 1.1 too
# (over x25519 and P-256, lanes of their own), and ccaa.
for s in $TLS_SUITES_ECDHE; do
    for g in $TLS_GROUPS; do
        if [ "${TLS_CERT[$s]}" = ecdsa ]; then
            lane=ec256 gs=$g
            [ $g = x25519 ] && gs=x25519,p256
            [ $g = p384 ] && lane=ec384
        else
            lane=rsa-ec gs=$g
            [ $g = p256 ] && lane=rsa-ec2
        fi
        TLS_LANE=$lane tls_case "sslref-client --ciphers $s --groups $gs vs selfserv (${SS_KIND[$lane]} certificate): tls1.2 $g, full then resumed, data" \
            selfserv_case "$lane" tls1.2 "$s" tls1.2 "$gs" "$g"
    done
done
for v in tls1.0 tls1.1; do
    for s in c009 c00a c013 c014; do
        for g in x25519 p256; do
            lane=cbc-rsa gs=$g
            if [ "${TLS_CERT[$s]}" = ecdsa ]; then
                lane=cbc-ec
                [ $g = x25519 ] && gs=x25519,p256
            fi
            TLS_LANE=$lane tls_case "sslref-client --version $v --ciphers $s --groups $gs vs selfserv (${SS_KIND[$lane]} certificate): $v $g, full then resumed, data" \
                selfserv_case "$lane" "$v" "$s" "$v" "$gs" "$g"
        done
    done
done
TLS_LANE=rsa-ec2 tls_case "sslref-client --ciphers ccaa vs selfserv: tls1.2 DHE ChaCha20, full then resumed, data" \
    selfserv_case rsa-ec2 tls1.2 ccaa tls1.2
tls_lanes_start

# issue 16, A: tstclnt -L 2 (full, then resumed) against the one-suite servers with RSA + P-256
# certificates: every ECDHE suite over x25519, P-256 and P-384 (-I), c024 and c028 with the policy
# database (NSS leaves them off; -c aborts with -L: see the header), CBC-SHA at TLS 1.0 and 1.1 over
# x25519 and P-256 too, ccaa; strsclnt -C c024/c028 full + resumed over each group.
NSS_OFF="c024 c028"
for s in $TLS_SUITES_ECDHE; do
    db=$DB how=
    [[ " $NSS_OFF " == *" $s "* ]] && db=$SHA384_DB how=" (policy enable=HMAC-SHA384, no -c)"
    for g in $TLS_GROUPS; do
        gi=${TLS_G_NSS[$g]}
        if [ "${TLS_CERT[$s]}" = ecdsa ]; then
            [ $g = p256 ] || gi+=,P256
        fi
        tls_case "tstclnt -V tls1.2:tls1.2 -I $gi -L 2$how (server only $s): full then resumed, tls1.2 $s $g, data echoed, server log agrees" \
            tstclnt_resume tls1.2:tls1.2 "$s" tls1.2 "$gi" "$g" "$db"
    done
done
for s in $NSS_OFF; do
    for g in $TLS_GROUPS; do
        tls_case "strsclnt -C :$s -c 2 (server with c024,c028 and only $g): full then resumed, tls1.2 $s $g, server log agrees" \
            strsclnt_resume "$s" "$g"
    done
done
tls_case "tstclnt -I x25519, no -c, vs server with only c028,c024: NSS offers neither (handshake_failure); with the policy database c028" \
    tstclnt_sha384_off
for v in tls1.0 tls1.1; do
    for s in c009 c00a c013 c014; do
        for g in x25519 p256; do
            gi=${TLS_G_NSS[$g]}
            [ "${TLS_CERT[$s]}" = ecdsa ] && [ $g = x25519 ] && gi+=,P256
            tls_case "tstclnt -V $v:$v -I $gi -L 2 (server only $s): full then resumed, $v $s $g, data echoed, server log agrees" \
                tstclnt_resume "$v:$v" "$s" "$v" "$gi" "$g"
        done
    done
done
tls_case "tstclnt -V tls1.2:tls1.2 -L 2 (server only ccaa): full then resumed, tls1.2 DHE ChaCha20, data echoed" \
    tstclnt_resume tls1.2:tls1.2 ccaa tls1.2
# The server with both certificates gives each client the one it asks for (tstclnt's "Server Auth"):
# by suite, and by signature schemes (-J) with tstclnt's default suites.
tls_case "tstclnt -c :c02b -I P256 vs RSA+P-256 server: the ECDSA certificate" \
    tstclnt_full tls1.2:tls1.2 c02b tls1.2 :c02b "$EC_ALL_PORT" p256 -I P256
tls_case "tstclnt -c :c02f -I P256 vs RSA+P-256 server: the RSA certificate" \
    tstclnt_full tls1.2:tls1.2 c02f tls1.2 :c02f "$EC_ALL_PORT" p256 -I P256
tls_case "tstclnt -J rsa_pss_rsae_sha256,rsa_pkcs1_sha256 -I x25519,P256 (default suites) vs RSA+P-256 server: the RSA certificate, c02f" \
    tstclnt_full tls1.2:tls1.2 c02f tls1.2 - "$EC_ALL_PORT" x25519 -I x25519,P256 -J rsa_pss_rsae_sha256,rsa_pkcs1_sha256
tls_case "tstclnt -J ecdsa_secp256r1_sha256 -I x25519,P256 (default suites) vs RSA+P-256 server: the ECDSA certificate, c02b" \
    tstclnt_full tls1.2:tls1.2 c02b tls1.2 - "$EC_ALL_PORT" x25519 -I x25519,P256 -J ecdsa_secp256r1_sha256

for v in tls1.0 tls1.1 tls1.2; do
    for s in $(tls_suites_for $v); do
        tls_case "tstclnt -V $v:$v -c :$s: full handshake, $v $s, data echoed" tstclnt_full "$v:$v" "$s" "$v"
        tls_case "tstclnt -V $v:$v -L 2 (server only $s): full then resumed, $v $s, data echoed" \
            tstclnt_resume "$v:$v" "$s" "$v"
    done
done
for s in $TLS_SUITES_RANGE; do
    tls_case "tstclnt -V tls1.0:tls1.2 -c :$s: full handshake, tls1.2 $s, data echoed" \
        tstclnt_full tls1.0:tls1.2 "$s" tls1.2
    tls_case "tstclnt -V tls1.0:tls1.2 -L 2 (server only $s): full then resumed, tls1.2 $s, data echoed" \
        tstclnt_resume tls1.0:tls1.2 "$s" tls1.2
done
# A client offering TLS 1.3 too (supported_versions, key shares): the server answers at TLS 1.2.
tls_case "tstclnt -V tls1.0:tls1.3 -c :009c:1301: full handshake, tls1.2 009c, data echoed" \
    tstclnt_full tls1.0:tls1.3 009c tls1.2 :009c:1301
tls_case "tstclnt -V tls1.0:tls1.3 -L 2 (server only 009c): full then resumed, tls1.2 009c, data echoed" \
    tstclnt_resume tls1.0:tls1.3 009c tls1.2
tlsp_collect
for p in "${SS_PID[@]}"; do stop_pid "$p" TERM; done
stop_pid "$EC_ALL_PID" TERM
bad=
for s in $TLS_SUITES_ECDHE ccaa; do
    stop_pid "${ONE_PID[$s]}" TERM
    grep -q '^stats: .* failures=0$' "$TMP/srv-$s.log" || bad+=" $s"
done
for g in $TLS_GROUPS; do # strsclnt's servers: c024 and c028, each full + resumed
    stop_pid "${STRS_PID[$g]}" TERM
    grep -q '^stats: connections=4 full=2 resumed=2 failures=0$' "${STRS_LOG[$g]}" || bad+=" strs-$g"
done
stop_pid "$OFF_PID" TERM # tstclnt_sha384_off's: the refused ClientHello, then c028
grep -q '^stats: connections=2 full=1 resumed=0 failures=1$' "$OFF_LOG" || bad+=" sha384-off"
if [ -z "$bad" ] && grep -q '^stats: connections=4 .* failures=0$' "$TMP/srv-ec-all.log"; then
    pass "sslref-servers with RSA + P-256 certificates (ECDHE suites, ccaa; strsclnt's; c028,c024's one refusal): no other failed connection"
else
    fail "sslref-servers with RSA + P-256 certificates: failures (one-suite:$bad; all: $(grep '^stats:' "$TMP/srv-ec-all.log"))"
    for s in $bad; do show "$TMP/srv-$s.log"; done
fi

# Our side agrees: the servers logged the same handshakes, none failed.
stop_pid "$ALL_PID" TERM
for s in $TLS_SUITES_12; do stop_pid "${ONE_PID[$s]}" TERM; done
n=$(($(echo $TLS_SUITES_10 $TLS_SUITES_10 $TLS_SUITES_12 $TLS_SUITES_RANGE | wc -w) + 1))
nfull=$(grep -c '^version=TLS1\.[012] cipher=0x[0-9a-f]* .* resumed=no ' "$TMP/srv-all.log")
if [ "$nfull" -eq $n ] && grep -q "^stats: connections=$n full=$n resumed=0 failures=0$" "$TMP/srv-all.log"; then
    pass "sslref-server (all suites): $n full handshakes logged, no failure"
else
    fail "sslref-server (all suites): $nfull full handshakes logged, want $n"
    show "$TMP/srv-all.log"
fi
bad=
for s in $TLS_SUITES_12; do
    n=1 # tstclnt_resume cases on this server: tls1.2, tls1.0/1.1 if allowed, the range if listed
    [[ " $TLS_SUITES_10 " == *" $s "* ]] && n=$((n + 2))
    [[ " $TLS_SUITES_RANGE " == *" $s "* ]] && n=$((n + 1))
    [ "$s" = 009c ] && n=$((n + 1)) # tls1.0:tls1.3
    if [ "$(grep -c "^version=TLS1\.[012] cipher=0x$s .* resumed=yes " "$TMP/srv-$s.log")" -ne "$n" ] ||
        ! grep -q "^stats: connections=$((2 * n)) full=$n resumed=$n failures=0$" "$TMP/srv-$s.log"; then
        bad+=" $s"
    fi
done
if [ -z "$bad" ]; then
    pass "sslref-server (one suite each): half of the connections resumed, no failure"
else
    fail "sslref-server (one suite each): wrong resumption counts for$bad"
    for s in $bad; do show "$TMP/srv-$s.log"; done
fi

# A3. strsclnt at TLS 1.2 against the 2x2 server with a shared cache.
N=1000
mkdir -m 700 "$TMP/cache"
if start_sslref_server "$TMP/srv-2x2.log" "${SRVARGS[@]}" --processes 2 --threads 2 \
    --cache "$TMP/cache" --quiet --stats; then
    timeout 60 strsclnt -p "$SRV_PORT" -d "$DB" -V tls1.2:tls1.2 -C :009e -o -o -v -c "$N" -t 8 \
        127.0.0.1 >"$TMP/strsclnt.out" 2>&1
    rc=$?
    stop_pid "$SRV_PID" TERM
    TLS_BAD=0
    nss_check_hs 1 "$TMP/strsclnt.out" strsclnt tls1.2 009e
    if [ $TLS_BAD -eq 0 ] && grep -q "^strsclnt: $((N - 1)) cache hits; 1 cache misses" "$TMP/strsclnt.out" &&
        [ "$(grep -c 'read 86 bytes total' "$TMP/strsclnt.out")" -eq "$N" ] &&
        ! grep -qi 'error' "$TMP/strsclnt.out"; then
        pass "strsclnt -V tls1.2: $N connections (TLS 1.2, 009e per strsclnt), $((N - 1)) resumed, each read the 86-byte answer (exit $rc)"
    else
        fail "strsclnt -V tls1.2 (exit $rc)"
        grep -v 'Thread in slot\|read 86 bytes\|Launched thread' "$TMP/strsclnt.out" | head -40
    fi
    cross=$(awk '/^stats-process:/ { split($4, f, "="); split($5, r, "=");
            if (f[2] == 0 && r[2] > 0) n++ } END { print n + 0 }' "$TMP/srv-2x2.log")
    if grep -q "^stats: connections=$N full=1 resumed=$((N - 1)) failures=0$" "$TMP/srv-2x2.log" &&
        [ "$(grep -c '^stats-process:' "$TMP/srv-2x2.log")" -eq 2 ] && [ "$cross" -ge 1 ]; then
        pass "2x2 server: 1 full, $((N - 1)) resumed, a process resumed sessions of the other: $(grep '^stats-process:' "$TMP/srv-2x2.log" | tr '\n' ' ')"
    else
        fail "2x2 server: stats (or no cross-process resumption)"
        show "$TMP/srv-2x2.log"
    fi
else
    fail "2x2 server did not start"
fi
# The matrix cannot shrink unseen: every case and server check above printed one PASS or FAIL line,
# and there must be exactly this many (a change in the suites, groups or versions changes it too).
NSS_CHECKS=232
if [ $((INTEROP_PASSES + INTEROP_FAILS)) -eq $NSS_CHECKS ]; then
    pass "$NSS_CHECKS checks ran (cases and server checks)"
else
    fail "$((INTEROP_PASSES + INTEROP_FAILS)) checks ran, want $NSS_CHECKS (the matrix changed: update NSS_CHECKS with the cases)"
fi
interop_finish

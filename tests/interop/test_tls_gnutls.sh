#!/bin/bash
# test_tls_gnutls.sh - TLS 1.0, 1.1 and 1.2 between sslref and GnuTLS (gnutls-cli, gnutls-serv), for
# the suites 002f 0035 003c 003d 009c 009d 000a 0033 0039 0067 006b 009e 009f 0016 (the SHA-256
# and GCM ones at TLS 1.2 only). Every case checks the data byte for byte, and the negotiated
# version, suite (GnuTLS's own "- Version/Key Exchange/Cipher/MAC" lines) and resumption as the
# GnuTLS peer prints them.
#  A. sslref-server (--version tls1.0-tls1.2, RFC 7919 ffdhe2048 for DHE, all the suites) and
#     gnutls-cli -V --priority NORMAL:-VERS-ALL:+VERS-V:-CIPHER-ALL:+C:-MAC-ALL:+M:-KX-ALL:+KX
#     (each version; and all three versions for one suite of each kind, which must end at
#     TLS 1.2; and all four with 009c once: TLS 1.3 offered, TLS 1.2 answered; `gnutls-cli -l`
#     must list exactly that TLS 1.2 suite for the priority string):
#     1. one connection: a full handshake, a ~6 KB request and the server's answer echoing it;
#     2. --resume: a full handshake, then a resumed one ("*** This is a resumed session") that
#        carries the request and the answer.
#  B. sslref-client --resume 1 (--version each, and tls1.0-tls1.2) against gnutls-serv --http
#     --httpdata (a 40 KB body) with --dhparams ffdhe2048, and against gnutls-servs whose
#     --priority caps them at TLS 1.1 and 1.0 (the client offers tls1.0-tls1.2): gnutls-serv prints
#     each connection's version, key exchange, cipher and MAC, and "*** This is a resumed session";
#     the client's lines say resumed=no then resumed=yes; both answers are the HTTP head and body.
#     One gnutls-serv per lane (its cases run in turn, its log is read per case); the lanes run
#     beside the A cases.
# Issue 16 (ECDHE, ECDSA certificates, ChaCha20): sslref-servers and gnutls-servs holding an RSA and
# an ECDSA (P-256 or P-384) certificate; every ECDHE_RSA and ECDHE_ECDSA suite over x25519, P-256 and
# P-384 at TLS 1.2 and the CBC-SHA ones at TLS 1.0/1.1, and ccaa, both directions, full + resumed;
# the group from GnuTLS's "(ECDHE-GROUP)" description / " - Using curve:" lines and sslref's group=,
# the certificate from gnutls-cli's first "Subject Public Key Algorithm:" and "Server Signature:";
# gnutls-cli with only RSA or only ECDSA signatures gets the matching certificate.
# Our server's own log is checked too (handshake and resumption counts, no failure).
# Usage: bash tests/interop/test_tls_gnutls.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
for t in gnutls-cli gnutls-serv stdbuf; do
    command -v "$t" >/dev/null || { echo "FAIL: $t not found (install gnutls-bin)"; exit 1; }
done
interop_init "$1"
tlsp_init

# GnuTLS's words for the versions and the suites' parts (its priority keywords, which are also
# what gnutls-cli/gnutls-serv print).
declare -A GT_VER=([tls1.0]=TLS1.0 [tls1.1]=TLS1.1 [tls1.2]=TLS1.2 [tls1.3]=TLS1.3)
# The suites' words are TLS_GT_KX/TLS_GT_CIPHER/TLS_GT_MAC of lib.sh's TLS_SUITE_TABLE.

# gt_priority VERSIONS SUITE: the priority string allowing only VERSIONS (e.g. "tls1.0 tls1.2")
# and SUITE.
gt_priority() {
    local v p="NORMAL:-VERS-ALL"
    for v in $1; do p+=":+VERS-${GT_VER[$v]}"; done
    echo "$p:-CIPHER-ALL:+${TLS_GT_CIPHER[$2]}:-MAC-ALL:+${TLS_GT_MAC[$2]}:-KX-ALL:+${TLS_GT_KX[$2]}"
}

# gt_check_hs N FILE VERSION SUITE: FILE (gnutls-cli -V or gnutls-serv output) shows N
# handshakes, all at VERSION with SUITE's key exchange, cipher and MAC.
gt_check_hs() {
    local n=$1 f=$2 v=$3 s=$4 line
    for line in "- Version: ${GT_VER[$v]}" "- Key Exchange: ${TLS_GT_KX[$s]}" \
        "- Cipher: ${TLS_GT_CIPHER[$s]}" "- MAC: ${TLS_GT_MAC[$s]}"; do
        tls_expect "want $n x '$line'" tls_lines "$n" "$f" "$line"
    done
    tls_expect "other handshakes printed" tls_lines_with "$n" "$f" "- Version: "
}

# A. gnutls_cli_case MODE VERSIONS SUITE VERSION: MODE full (one connection with the data) or
# resume (--resume: a full handshake, then a resumed one with the data).
gnutls_cli_case() {
    local mode=$1 vs=$2 s=$3 v=$4 o="$TMP/cli-$1-${2// /-}-$3" prio rc r=
    TLS_BAD=0
    prio=$(gt_priority "$vs" "$s")
    if [ "$mode" = full ]; then # the priority string means this suite and no other
        gnutls-cli -l --priority "$prio" >"$o.list" 2>&1
        tls_expect "gnutls-cli -l --priority $prio lists other TLS 1.2 suites than 0x$s" \
            tls_lines_with 1 "$o.list" $'\t0x00, 0x'
        tls_expect "gnutls-cli -l --priority $prio does not list 0x$s" \
            tls_lines_with 1 "$o.list" $'\t0x00, 0x'"${s#00}"$'\t'
    fi
    tls_request "$o.req" "gnutls-cli-$mode-${vs// /-}-$s"
    tls_sslref_answer >"$o.want"
    [ "$mode" = resume ] && r=--resume
    timeout 20 gnutls-cli -V $r --port "$SRV_PORT" --x509cafile "$DATA/ca-cert.pem" \
        --priority "$prio" --logfile "$o.log" localhost <"$o.req" >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "gnutls-cli exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.out" "answer"
    tls_expect "gnutls-cli: certificate not trusted" \
        tls_lines 1 "$o.log" "- Status: The certificate is trusted. "
    tls_expect "gnutls-cli: not one full handshake" \
        tls_lines 1 "$o.log" "- Handshake was completed"
    if [ "$mode" = resume ]; then
        gt_check_hs 2 "$o.log" "$v" "$s"
        tls_expect "gnutls-cli: no resumed handshake" \
            tls_lines 1 "$o.log" "- Resume Handshake was completed"
        tls_expect "gnutls-cli: the second connection was not resumed" \
            tls_lines 1 "$o.log" "*** This is a resumed session"
    else
        gt_check_hs 1 "$o.log" "$v" "$s"
        tls_expect "gnutls-cli: a resumed session in a single connection" \
            tls_lines_with 0 "$o.log" "resumed session"
    fi
    [ $TLS_BAD -eq 0 ] || show "$o.log" "$o.err"
    return $TLS_BAD
}

# A (issue 16). gnutls_cli_ec_case PORT LOG VERSION SUITE GROUPS GROUP [PRIORITY]: gnutls-cli -V
# --resume against the sslref-server at PORT (its log LOG) with only VERSION, SUITE and GROUPS
# (GnuTLS group words, comma-separated); both handshakes must be on GROUP (GnuTLS's word: its
# "- Description: (...)-(ECDHE-GROUP)-..." lines; for DHE, FFDHE2048), with SUITE's key exchange,
# cipher and MAC; the full one signed by the certificate SUITE needs (its "- Server Signature: "
# line); the data echoed; sslref-server's log shows the same session (GnuTLS's "- Session ID")
# full then resumed on the same version, suite and group. PRIORITY replaces the priority string
# (then SUITE and GROUP are what the server must pick).
gnutls_cli_ec_case() {
    local port=$1 log=$2 v=$3 s=$4 groups=$5 g=$6 o="$TMP/cli-ec-$1-$3-$4-${5//,/-}" prio rc sid kx sig
    local sg
    TLS_BAD=0
    prio="NORMAL:-VERS-ALL:+VERS-${GT_VER[$v]}:-CIPHER-ALL:+${TLS_GT_CIPHER[$s]}:-MAC-ALL:+${TLS_GT_MAC[$s]}"
    prio+=":-KX-ALL:+${TLS_GT_KX[$s]}:-GROUP-ALL:+GROUP-${groups//,/:+GROUP-}"
    [ -n "${7:-}" ] && prio=$7 && o+=-prio
    tls_request "$o.req" "gnutls-cli-ec-$v-$s-$groups"
    tls_sslref_answer >"$o.want"
    timeout 20 gnutls-cli -V --resume --port "$port" --x509cafile "$DATA/ca-cert.pem" \
        --priority "$prio" --logfile "$o.log" localhost <"$o.req" >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "gnutls-cli exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.out" "answer"
    tls_expect "gnutls-cli: certificate not trusted" \
        tls_lines 1 "$o.log" "- Status: The certificate is trusted. "
    gt_check_hs 2 "$o.log" "$v" "$s"
    tls_expect "gnutls-cli: not a full then a resumed handshake" \
        tls_lines 1 "$o.log" "- Handshake was completed"
    tls_expect "gnutls-cli: the second connection was not resumed" \
        tls_lines 1 "$o.log" "*** This is a resumed session"
    kx=ECDHE
    [ "${TLS_KX[$s]}" = DHE ] && kx=DHE
    tls_expect "gnutls-cli: want 2 handshakes on ($kx-$g)" tls_lines_with 2 "$o.log" "-($kx-$g)-"
    sig=RSA
    [ "${TLS_CERT[$s]}" = ecdsa ] && sig=EC/ECDSA
    tls_expect "gnutls-cli: the server's certificate (the first printed) is not $sig" \
        [ "$(sed -n '0,/Subject Public Key Algorithm: /s/^.*Subject Public Key Algorithm: //p' "$o.log")" = "$sig" ]
    if [ "$v" = tls1.2 ]; then # (GnuTLS prints the signature scheme at TLS 1.2 only)
        tls_expect "gnutls-cli: want 1 x '- Server Signature: ${sig#EC/}-...'" \
            tls_lines_with 1 "$o.log" "- Server Signature: ${sig#EC/}-"
        tls_expect "gnutls-cli: other signatures" tls_lines_with 1 "$o.log" "- Server Signature: "
    fi
    sid=$(sed -n '0,/^- Session ID: /s/^- Session ID: //p' "$o.log" | tr -d ':' | tr 'A-F' 'a-f')
    sg=
    for sg in $TLS_GROUPS ffdhe2048; do [ "${TLS_G_GNUTLS[$sg]:-FFDHE2048}" = "$g" ] && break; done
    tls_expect "sslref-server log" tls_log_check "$log" "$sid" "${GT_VER[$v]}" "$s" " group=$sg "
    [ $TLS_BAD -eq 0 ] || show "$o.log" "$o.err"
    return $TLS_BAD
}

# B. start_gnutls_serv NAME VERSIONS: start gnutls-serv allowing VERSIONS and every suite of the
# list, its output in $TMP/gnutls-serv-NAME.log; sets GS_PORT[NAME] and GS_PID[NAME]
# (gnutls_serv_wait waits for them).
# With a third argument EC (ec256|ec384) it holds that ECDSA certificate beside the RSA one
# (--x509certfile/--x509keyfile twice) and allows the SHA-384 MAC too.
declare -A GS_PORT GS_PID GS_VERS GS_EC
start_gnutls_serv() {
    local port pid log="$TMP/gnutls-serv-$1.log" v prio="NORMAL:-VERS-ALL" ec=()
    for v in $2; do prio+=":+VERS-${GT_VER[$v]}"; done
    prio+=":+3DES-CBC:+DHE-RSA:+SHA256"
    if [ -n "${3:-}" ]; then
        prio+=":+SHA384"
        ec=(--x509certfile "$DATA/$3-chain.pem" --x509keyfile "$DATA/$3-key.pem")
    fi
    port=$(free_port) || return 1
    stdbuf -oL -eL gnutls-serv --http --httpdata "$TMP/httpdata" -p "$port" \
        --x509certfile "$DATA/server-chain.pem" --x509keyfile "$DATA/server-key-pkcs8.pem" "${ec[@]}" \
        --dhparams "$DATA/ffdhe2048.pem" --priority "$prio" >"$log" 2>&1 &
    pid=$!
    INTEROP_PIDS+=("$pid")
    GS_PORT[$1]=$port
    GS_PID[$1]=$pid
    GS_VERS[$1]=$2
    GS_EC[$1]=${3:-}
}

# gnutls_serv_wait: every gnutls-serv started listens (or FAIL and false); one that exited (its
# port taken meanwhile) is started once more on another port.
gnutls_serv_wait() {
    local n ok=0
    for n in "${!GS_PID[@]}"; do
        wait_listen "${GS_PORT[$n]}" "${GS_PID[$n]}" && continue
        if ! kill -0 "${GS_PID[$n]}" 2>/dev/null; then
            start_gnutls_serv "$n" "${GS_VERS[$n]}" "${GS_EC[$n]}" &&
                wait_listen "${GS_PORT[$n]}" "${GS_PID[$n]}" && continue
        fi
        fail "gnutls-serv (${GS_VERS[$n]}) did not start"
        show "$TMP/gnutls-serv-$n.log"
        ok=1
    done
    return $ok
}

# gnutls_serv_case NAME CLIENT_VERSION SUITE VERSION [GROUPS GROUP]: sslref-client, full then
# resumed, against gnutls-serv NAME; the case's part of its log is what it printed after the case
# began. With GROUPS (sslref's --groups) the client offers those and both connections must be on
# GROUP (sslref's word): gnutls-serv's " - Using curve: " and the client's group=.
gnutls_serv_case() {
    local log="$TMP/gnutls-serv-$1.log" cv=$2 s=$3 v=$4 o="$TMP/gs-$1-$2-$3${5:+-$5}" off rc i l pat=
    local groups=() g=${6:-}
    [ -n "${5:-}" ] && groups=(--groups "$5")
    TLS_BAD=0
    tls_read "$log"
    off=${#TLS_TEXT}
    timeout 30 "$BIN/sslref-client" --host 127.0.0.1 --port "${GS_PORT[$1]}" --version "$cv" \
        --ciphers "$s" "${groups[@]}" --resume 1 --ca "$DATA/ca-cert.pem" \
        --send "GET /gnutls-serv-$cv-$s HTTP/1.0\r\n\r\n" >"$o.out" 2>"$o.err"
    rc=$?
    for i in {1..50}; do # in case gnutls-serv prints after it answered
        tls_log_since "$log" "$off" "$o.seg"
        [[ $TLS_TEXT == *"- MAC: "*"- MAC: "* ]] && break
        sleep 0.1
    done
    tls_expect "sslref-client exit $rc" [ $rc -eq 0 ]
    tls_same "$TMP/httpanswer2" "$o.out" "the two answers"
    tls_client_resumed "$o.err" "${GT_VER[$v]}" "$s"
    tls_expect "sslref-client: want ${GT_VER[$v]} 0x$s resumed=no then yes, got '$TLS_PAT'" \
        [ "$TLS_PAT" = "no yes " ]
    gt_check_hs 2 "$o.seg" "$v" "$s"
    # gnutls-serv's connections in order: resumed or not
    while IFS= read -r l; do
        case $l in
        "* Accepted connection"*) pat+="no " ;;
        "*** This is a resumed session") pat="${pat%no }yes " ;;
        esac
    done <"$o.seg"
    tls_expect "gnutls-serv: want a full then a resumed connection, got '$pat'" [ "$pat" = "no yes " ]
    if [ -n "$g" ]; then
        tls_expect "gnutls-serv: want 2 x ' - Using curve: ${TLS_G_GNUTLS[$g]}'" \
            tls_lines 2 "$o.seg" " - Using curve: ${TLS_G_GNUTLS[$g]}"
        tls_expect "sslref-client: want 2 lines with group=$g" tls_lines_with 2 "$o.err" " group=$g"
    fi
    if [ "${TLS_CERT[$s]}" = ecdsa ]; then # the full handshake is signed with the EC key
        tls_expect "gnutls-serv: want 1 x '- Server Signature: ECDSA-...'" \
            tls_lines_with 1 "$o.seg" "- Server Signature: ECDSA-"
    fi
    [ $TLS_BAD -eq 0 ] || show "$o.err" "$o.seg"
    return $TLS_BAD
}

# --- servers ---
head -c 30000 /dev/urandom | base64 -w 76 >"$TMP/httpdata"
for v in tls1.0 tls1.1 tls1.2 range; do
    start_gnutls_serv "$v" "tls1.0 tls1.1 tls1.2" || exit 1
done
start_gnutls_serv max-tls1.1 "tls1.0 tls1.1" || exit 1
start_gnutls_serv max-tls1.0 "tls1.0" || exit 1
start_gnutls_serv ec "tls1.0 tls1.1 tls1.2" ec256 || exit 1
start_gnutls_serv ec2 "tls1.0 tls1.1 tls1.2" ec256 || exit 1
start_gnutls_serv ec384 "tls1.2" ec384 || exit 1
start_sslref_server "$TMP/srv.log" --version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem" \
    --ciphers "$TLS_SUITES_CSV" || exit 1
{
    printf 'HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %s\r\n\r\n' \
        "$(wc -c <"$TMP/httpdata")"
    cat "$TMP/httpdata"
} >"$TMP/httpanswer"
cat "$TMP/httpanswer" "$TMP/httpanswer" >"$TMP/httpanswer2"
# issue 16: RSA + P-256 and RSA + P-384 certificates, the ECDHE suites and DHE with ChaCha20
EC_CSV=$(echo $TLS_SUITES_ECDHE ccaa | tr ' ' ',')
MAIN_PORT=$SRV_PORT MAIN_PID=$SRV_PID
# (--tickets off: gnutls-cli resumes by ticket under a fresh random session ID, and these cases find
# the full and the resumed line in the server's log by session ID)
for c in ec256 ec384; do
    start_sslref_server "$TMP/srv-$c.log" --version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem" \
        --cert "$DATA/$c-chain.pem" --key "$DATA/$c-key.pem" --ciphers "$EC_CSV" --tickets off || exit 1
    declare "PORT_$c=$SRV_PORT" "PID_$c=$SRV_PID"
done
SRV_PORT=$MAIN_PORT SRV_PID=$MAIN_PID
gnutls_serv_wait || exit 1

# --- B (lanes, one per gnutls-serv) beside A ---
for v in tls1.0 tls1.1 tls1.2; do
    for s in $(tls_suites_for $v); do
        TLS_LANE=$v tls_case "sslref-client --version $v --ciphers $s vs gnutls-serv: full then resumed, data" \
            gnutls_serv_case "$v" "$v" "$s" "$v"
    done
done
for s in $TLS_SUITES_RANGE; do
    TLS_LANE=range tls_case "sslref-client --version tls1.0-tls1.2 --ciphers $s vs gnutls-serv: tls1.2, full then resumed, data" \
        gnutls_serv_case range tls1.0-tls1.2 "$s" tls1.2
done
for cap in tls1.1 tls1.0; do
    for s in 002f 0039 000a; do
        TLS_LANE=max-$cap tls_case "sslref-client --version tls1.0-tls1.2 --ciphers $s vs gnutls-serv (max $cap): $cap, full then resumed, data" \
            gnutls_serv_case "max-$cap" tls1.0-tls1.2 "$s" "$cap"
    done
done
# issue 16, B: every ECDHE suite over x25519 and P-256 against gnutls-serv with RSA + P-256
# certificates; over P-384 against the one with RSA + P-384 (an ECDSA certificate is used only
# when the client lists its curve, RFC 8422 5.1.1: the ECDSA cases over x25519 list P-256 too);
# the CBC-SHA ones at TLS 1.0 and 1.1 as well; DHE with ChaCha20.
for s in $TLS_SUITES_ECDHE; do
    for g in x25519 p256; do
        gs=$g
        [ "${TLS_CERT[$s]}" = ecdsa ] && [ $g = x25519 ] && gs=x25519,p256
        lane=ec
        [ $g = p256 ] && lane=ec2
        TLS_LANE=$lane tls_case "sslref-client --ciphers $s --groups $gs vs gnutls-serv (RSA+P-256 certs): tls1.2 $g, full then resumed, data" \
            gnutls_serv_case $lane tls1.2 "$s" tls1.2 "$gs" "$g"
    done
    TLS_LANE=ec384 tls_case "sslref-client --ciphers $s --groups p384 vs gnutls-serv (RSA+P-384 certs): tls1.2 p384, full then resumed, data" \
        gnutls_serv_case ec384 tls1.2 "$s" tls1.2 p384 p384
done
for s in c009 c00a c013 c014; do
    TLS_LANE=ec2 tls_case "sslref-client --version tls1.0 --ciphers $s --groups p256 vs gnutls-serv (RSA+P-256 certs): tls1.0 p256, full then resumed, data" \
        gnutls_serv_case ec2 tls1.0 "$s" tls1.0 p256 p256
    TLS_LANE=ec tls_case "sslref-client --version tls1.1 --ciphers $s --groups x25519,p256 vs gnutls-serv (RSA+P-256 certs): tls1.1 x25519, full then resumed, data" \
        gnutls_serv_case ec tls1.1 "$s" tls1.1 x25519,p256 x25519
done
TLS_LANE=ec tls_case "sslref-client --ciphers ccaa vs gnutls-serv: tls1.2 DHE ChaCha20, full then resumed, data" \
    gnutls_serv_case ec tls1.2 ccaa tls1.2
tls_lanes_start

# issue 16, A: gnutls-cli against sslref-server holding RSA and EC certificates: every ECDHE suite
# over x25519, P-256 (P-256 certificate) and P-384 (P-384 certificate); CBC-SHA at TLS 1.0/1.1;
# DHE with ChaCha20; and a client allowing only RSA signatures (with every suite of NORMAL) gets
# the RSA certificate, one allowing only ECDSA ones the EC certificate.
for s in $TLS_SUITES_ECDHE; do
    for g in x25519 p256 p384; do
        port=$PORT_ec256 log=$TMP/srv-ec256.log gg=${TLS_G_GNUTLS[$g]}
        if [ "${TLS_CERT[$s]}" = ecdsa ]; then
            [ $g = x25519 ] && gg=X25519,SECP256R1
            [ $g = p384 ] && port=$PORT_ec384 log=$TMP/srv-ec384.log
        fi
        tls_case "gnutls-cli 0x$s +GROUP-${gg//,/:+GROUP-} (server RSA+$([ "$port" = "$PORT_ec384" ] && echo P-384 || echo P-256)): tls1.2 $g, full then resumed, data echoed, server log agrees" \
            gnutls_cli_ec_case "$port" "$log" tls1.2 "$s" "$gg" "${TLS_G_GNUTLS[$g]}"
    done
done
for s in c009 c00a c013 c014; do
    tls_case "gnutls-cli +VERS-TLS1.0 0x$s +GROUP-SECP256R1: tls1.0 p256, full then resumed, data echoed, server log agrees" \
        gnutls_cli_ec_case "$PORT_ec256" "$TMP/srv-ec256.log" tls1.0 "$s" SECP256R1 SECP256R1
    tls_case "gnutls-cli +VERS-TLS1.1 0x$s +GROUP-X25519:+GROUP-SECP256R1: tls1.1 x25519, full then resumed, data echoed, server log agrees" \
        gnutls_cli_ec_case "$PORT_ec256" "$TMP/srv-ec256.log" tls1.1 "$s" X25519,SECP256R1 X25519
done
tls_case "gnutls-cli 0xccaa +GROUP-FFDHE2048: tls1.2 DHE ChaCha20, full then resumed, data echoed, server log agrees" \
    gnutls_cli_ec_case "$PORT_ec256" "$TMP/srv-ec256.log" tls1.2 ccaa FFDHE2048 FFDHE2048
tls_case "gnutls-cli NORMAL with only RSA signatures (-SIGN-ALL:+SIGN-RSA-SHA256) vs RSA+P-256 server: the RSA certificate, ECDHE-RSA c02f over x25519" \
    gnutls_cli_ec_case "$PORT_ec256" "$TMP/srv-ec256.log" tls1.2 c02f X25519 X25519 \
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-SIGN-ALL:+SIGN-RSA-SHA256:+SIGN-RSA-PSS-RSAE-SHA256"
tls_case "gnutls-cli NORMAL with only ECDSA signatures (-SIGN-ALL:+SIGN-ECDSA-SHA256) vs RSA+P-256 server: the EC certificate, ECDHE-ECDSA c02b over x25519" \
    gnutls_cli_ec_case "$PORT_ec256" "$TMP/srv-ec256.log" tls1.2 c02b X25519 X25519 \
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-SIGN-ALL:+SIGN-ECDSA-SHA256"

for v in tls1.0 tls1.1 tls1.2; do
    for s in $(tls_suites_for $v); do
        for m in full resume; do
            tls_case "gnutls-cli +VERS-${GT_VER[$v]} 0x$s $m: $v $s, data echoed" \
                gnutls_cli_case "$m" "$v" "$s" "$v"
        done
    done
done
for s in $TLS_SUITES_RANGE; do
    for m in full resume; do
        tls_case "gnutls-cli +VERS-TLS1.0:+VERS-TLS1.1:+VERS-TLS1.2 0x$s $m: tls1.2 $s, data echoed" \
            gnutls_cli_case "$m" "tls1.0 tls1.1 tls1.2" "$s" tls1.2
    done
done
# A client offering TLS 1.3 too (its AES-128-GCM suite 1301, key shares): answered at TLS 1.2.
for m in full resume; do
    tls_case "gnutls-cli +VERS-TLS1.0..+VERS-TLS1.3 0x009c $m: tls1.2 009c, data echoed" \
        gnutls_cli_case "$m" "tls1.0 tls1.1 tls1.2 tls1.3" 009c tls1.2
done
tlsp_collect
for p in "${GS_PID[@]}"; do stop_pid "$p" TERM; done

# Our side agrees: full and resumed handshakes as many as the cases made, none failed.
stop_pid "$SRV_PID" TERM
for c in ec256 ec384; do
    pid=PID_$c
    stop_pid "${!pid}" TERM
    if grep -q '^stats: .* failures=0$' "$TMP/srv-$c.log"; then
        pass "sslref-server (RSA+$c certificates): no failed connection ($(grep '^stats:' "$TMP/srv-$c.log"))"
    else
        fail "sslref-server (RSA+$c certificates): stats line (want failures=0)"
        grep -E '^(stats|error)' "$TMP/srv-$c.log" | sed 's/^/  | /'
    fi
done
n=$(($(echo $TLS_SUITES_10 $TLS_SUITES_10 $TLS_SUITES_12 $TLS_SUITES_RANGE | wc -w) + 1))
full=$(grep -c '^version=TLS1\.[012] cipher=0x[0-9a-f]* .* resumed=no ' "$TMP/srv.log")
resumed=$(grep -c '^version=TLS1\.[012] cipher=0x[0-9a-f]* .* resumed=yes ' "$TMP/srv.log")
if [ "$full" -eq $((2 * n)) ] && [ "$resumed" -eq $n ] &&
    grep -q "^stats: connections=$((3 * n)) full=$((2 * n)) resumed=$n failures=0$" "$TMP/srv.log"; then
    pass "sslref-server: $((2 * n)) full and $n resumed handshakes logged, no failure"
else
    fail "sslref-server: $full full and $resumed resumed handshakes logged, want $((2 * n)) and $n"
    show "$TMP/srv.log"
fi
interop_finish

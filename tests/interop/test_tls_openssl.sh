#!/bin/bash
# test_tls_openssl.sh - TLS 1.0-1.2 interop with Debian's OpenSSL 3.0 CLI (issue 15).
# A. One sslref-server (--version tls1.0-tls1.2, ffdhe2048, http mode, ALPN http/1.1, the suites
#    of TLS_SUITES) against openssl s_client: per version and per suite this OpenSSL has (GCM and
#    SHA-256/384 suites at TLS 1.2 only; TLS 1.0/1.1 and 3DES at @SECLEVEL=0) a full handshake
#    (-sess_out) and a resumption (-sess_in). From s_client's own output: "New,"/"Reused,",
#    "Protocol  :", "Cipher    :", "Extended master secret: yes", and (-tlsextdebug) the server's
#    encrypt-then-mac extension for CBC suites and its absence for GCM; the HTTP answer (the request
#    echoed, with a 20 KB random header) compared byte for byte. The server's log must show the same
#    session (by id) as full then resumed with the same version and suite. Also: a TLS 1.3-capable
#    s_client with its defaults gets TLS 1.2; ALPN h2,http/1.1 gets http/1.1; FALLBACK_SCSV at
#    TLS 1.1 and 1.0 gets inappropriate_fallback (alert 86, logged by the server as
#    alert_sent=0x0256) while FALLBACK_SCSV at TLS 1.2 works; SNI: a second server with --sni for
#    two names (certs made at test time, issued by the test CA) serves each name its cert and
#    the default cert without SNI.
# B. sslref-client against openssl s_server (one -www status-page server, one -WWW file server),
#    per version and suite: full + resumed (--resume 1); the status page (s_server's own view)
#    shows New then Reused, the protocol, the suite and EMS; a 64 KB file comes through intact
#    twice.
# Version floors: TLS 1.1/1.0 s_client against a --version tls1.2 server get protocol_version (70);
# sslref-client's tls1.0-tls1.2 range settles on TLS 1.1 with s_server -tls1_1, and a TLS 1.2-only
# sslref-client refuses that server with protocol_version (sent in a TLS 1.0 record: s_server
# ends with "wrong version number").
# Client authentication both ways: s_client -cert against sslref-server --request-client-cert --ca
# (the server logs the client's subject), and sslref-client --cert against s_server -Verify 1
# (its page shows the client cert and the CertificateVerify digest: MD5-SHA1 before TLS 1.2).
# At TLS 1.0 the CertificateRequest must name at least one CA (RFC 2246 §7.4.4:
# certificate_authorities<3..2^16-1>), so s_client must print "Acceptable client certificate CA
# names" there.
# Issue 16: sslref-servers holding the RSA and a P-256 / P-384 certificate: s_client per ECDHE suite
# and group (x25519, P-256, P-384: "Server Temp Key", "Peer signature type", "Server public key is N
# bit", the server's group=), the certificate chosen by -sigalgs and by -groups; s_server with an
# EC -cert and the RSA -dcert against sslref-client --groups; EC client certificates both ways.
# Suites this OpenSSL lacks (Debian builds without 3DES) are listed, not run: they are not cases.
# Usage: bash tests/interop/test_tls_openssl.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# Session tickets off on our servers: these cases find a connection's full and resumed lines in the
# server's log by session ID, and a client resuming by ticket may send a new random ID (RFC 5077
# §3.4). Tickets with real peers: test_memcached_tickets.sh (openssl s_client across machines).
SRV_EXTRA=(--tickets off)
tls_init "$1"

ALL=$(echo $TLS_SUITES | tr ' ' ',')
mapfile -t PAIRS < <(tls_openssl_pairs)

# sc_pair TAG PORT SRVLOG WANT_PROTO WANT_HEX|any [MUST_CONTAIN...] [--full TEXT]... [--log WORD]
#         -- S_CLIENT_ARGS...
# One case: openssl s_client twice (a full handshake, then -sess_in: a resumption of its session)
# with one HTTP request each; s_client's output must contain each MUST_CONTAIN (and on the full
# handshake each --full TEXT), and the server's two log lines for the session WORD. Prints one PASS or FAIL line (details under it).
sc_pair() {
    local tag=$1 port=$2 log=$3 wproto=$4 whex=$5
    shift 5
    local must=() full=() word= d="$TMP/sc-$tag" i rc why= proto cipher hex sid= line want
    local mark ems etm id explen reqlen
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        case $1 in
        --log) word=$2; shift 2 ;;
        --full) full+=("$2"); shift 2 ;;
        *) must+=("$1"); shift ;;
        esac
    done
    shift
    mkdir -p "$d"
    : >"$d/details"
    printf 'GET /%s-%s HTTP/1.0\r\nX-Pad: %s\r\n\r\n' "$tag" "$RANDOM$RANDOM" \
        "$(head -c 15000 /dev/urandom | base64 -w 0)" >"$d/req"
    {
        printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n' \
            "$(wc -c <"$d/req")" # the server's answer: the request echoed
        cat "$d/req"
        printf 'closed\n' # s_client's own line when the server closes
    } >"$d/exp"
    explen=$(wc -c <"$d/exp")
    reqlen=$(wc -c <"$d/req")
    for i in 1 2; do
        local sess=(-sess_out "$d/sess") w=
        [ $i = 2 ] && sess=(-sess_in "$d/sess")
        timeout 20 openssl s_client -connect "127.0.0.1:$port" -tlsextdebug -ign_eof "${sess[@]}" \
            "$@" <"$d/req" >"$d/out$i" 2>"$d/err$i"
        rc=$?
        [ $rc -eq 0 ] || w="$w exit=$rc"
        want=New
        [ $i = 2 ] && want=Reused
        # s_client's own summary, in one pass: New/Reused, Protocol, Cipher, EMS, the server's
        # encrypt-then-mac extension (-tlsextdebug) and the session id
        read -r mark proto cipher ems etm id < <(awk '
            /^(New|Reused), / { m = $1; sub(/,$/, "", m) }
            /^    Protocol  : / { p = $3 }
            /^    Cipher    : / { c = $3 }
            /^    Extended master secret: yes$/ { e = "yes" }
            /TLS server extension "encrypt-then-mac"/ { t = "yes" }
            /^    Session-ID: [0-9A-Fa-f]/ { s = tolower($2) }
            END { print (m != "" ? m : "-"), (p != "" ? p : "-"), (c != "" ? c : "-"), (e != "" ? e : "no"), (t != "" ? t : "no"), (s != "" ? s : "-") }
        ' "$d/out$i")
        [ "$mark" = $want ] || w="$w not-$want"
        hex=$(tls_suite_hex "$cipher")
        [ "$proto" = "$wproto" ] || w="$w protocol=$proto(want $wproto)"
        if [ "$whex" = any ]; then
            [ -n "$hex" ] || w="$w cipher=$cipher(not ours)"
        else
            [ "$hex" = "$whex" ] || w="$w cipher=$cipher(want $(tls_suite_name "$whex"))"
        fi
        [ "$ems" = yes ] || w="$w no-EMS"
        if [ -n "$hex" ] && tls_suite_cbc "$hex"; then
            [ "$etm" = yes ] || w="$w no-EtM"
        elif [ "$etm" = yes ]; then
            w="$w EtM-with-AEAD"
        fi
        for line in "${must[@]}"; do
            grep -qF -- "$line" "$d/out$i" || w="$w missing[$line]"
        done
        if [ $i = 1 ]; then
            for line in "${full[@]}"; do
                grep -qF -- "$line" "$d/out$i" || w="$w missing[$line]"
            done
        fi
        tail -c "$explen" "$d/out$i" | cmp -s - "$d/exp" || w="$w data-differs"
        if [ -n "$w" ]; then
            why="$why [$want:$w]"
            {
                show "$d/err$i"
                sed -n '/^SSL handshake has/,/^---$/p;/TLS server extension/p;/client certificate CA names/p' "$d/out$i" | sed 's/^/  | /'
            } >>"$d/details"
        fi
        [ $i = 1 ] && [ "$id" != - ] && sid=$id
    done
    echo "$sid" >"$d/sid"
    # The server's view of the same session: full then resumed, same version and suite.
    tls_log_check "$log" "$sid" "$(tls_sslref_proto "$proto")" "${hex:-none}" "$word" >>"$d/details" ||
        why="$why [server-log]"
    if [ -z "$why" ]; then
        local w2=${word# }
        echo "PASS: $tag: s_client New then Reused: $proto $cipher, EMS$(tls_suite_cbc "$hex" && echo ', EtM')${must[*]:+, ${must[*]}}${full[*]:+, ${full[*]}}; $reqlen bytes echoed intact twice; server log agrees${word:+ (${w2% })}"
    else
        echo "FAIL: $tag:$why"
        cat "$d/details"
    fi
}

# --- A. openssl s_client against sslref-server -------------------------------------------------
SLOG="$TMP/server.log"
start_sslref_server "$SLOG" --version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem" \
    --mode http --alpn http/1.1 --ciphers "$ALL" || { fail "A: sslref-server start"; interop_finish; exit 1; }
A_PORT=$SRV_PORT

a_case() { # a_case VERSION HEX (ECDHE: over s_client's first group, x25519)
    local v=$1 h=$2 c x=()
    c=$(tls_suite_name "$h")
    { [ "$v" != tls1.2 ] || tls_suite_weak "$h"; } && c="$c:@SECLEVEL=0"
    [ "${TLS_KX[$h]}" = ECDHE ] && x=(--full "Server Temp Key: X25519, 253 bits" --log " group=x25519 ")
    sc_pair "A-$v-$h" "$A_PORT" "$SLOG" "$(tls_ossl_proto "$v")" "$h" "${x[@]}" -- "$(tls_ossl_flag "$v")" -cipher "$c"
}

a_extra() { # the cases that are not one suite at one version
    case $1 in
    default) # a TLS 1.3 client with OpenSSL's defaults: TLS 1.2 and a suite of ours
        sc_pair A-default "$A_PORT" "$SLOG" TLSv1.2 any -- ;;
    alpn)
        sc_pair A-alpn "$A_PORT" "$SLOG" TLSv1.2 any "ALPN protocol: http/1.1" --log " alpn=http/1.1 " \
            -- -alpn h2,http/1.1 ;;
    scsv12) # FALLBACK_SCSV at the server's highest version is no fallback
        sc_pair A-scsv-tls1.2 "$A_PORT" "$SLOG" TLSv1.2 any -- -fallback_scsv -tls1_2 ;;
    esac
}

tls_run_jobs 4 a_case "${PAIRS[@]}"
tls_collect a_case "${PAIRS[@]}"
tls_run_jobs 3 a_extra default alpn scsv12
tls_collect a_extra default alpn scsv12

# FALLBACK_SCSV below the server's highest version: inappropriate_fallback (86).
for v in tls1.1 tls1.0; do
    before=$(grep -c 'alert_sent=0x0256' "$SLOG")
    timeout 20 openssl s_client -connect "127.0.0.1:$A_PORT" -fallback_scsv "$(tls_ossl_flag "$v")" \
        -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >"$TMP/scsv-$v.out" 2>"$TMP/scsv-$v.err"
    rc=$?
    for i in $(seq 1 50); do # the server logs the failure after sending the alert
        after=$(grep -c 'alert_sent=0x0256' "$SLOG")
        [ "$after" -gt "$before" ] && break
        sleep 0.1
    done
    if [ $rc -ne 0 ] && grep -q 'alert inappropriate fallback' "$TMP/scsv-$v.err" &&
        grep -q 'SSL alert number 86' "$TMP/scsv-$v.err" && [ "$after" = $((before + 1)) ]; then
        pass "A-scsv-$v: s_client -fallback_scsv $(tls_ossl_flag "$v") got alert 86 (inappropriate_fallback); server logged alert_sent=0x0256"
    else
        fail "A-scsv-$v: want alert 86 at the client and one more alert_sent=0x0256 in the server log (exit $rc, log count $before -> $after)"
        show "$TMP/scsv-$v.err"
        tail -3 "$SLOG" | sed 's/^/  | /'
    fi
done

tls_tally < <(tls_server_ok "A" "$SRV_PID" "$SLOG")
stop_pid "$SRV_PID" TERM
if grep -q '^stats: .* failures=2$' "$SLOG"; then
    pass "A: server stats: the two fallback refusals are its only failures ($(grep '^stats:' "$SLOG"))"
else
    fail "A: server stats line (want failures=2: the fallback cases only)"
    grep -E '^(stats|error)' "$SLOG" | sed 's/^/  | /'
fi

# --- A (issue 16). ECDHE with RSA and ECDSA certificates: servers holding both -------------------
# Two sslref-servers, each with the RSA certificate and an ECDSA one (P-256; P-384), every ECDHE
# suite and ccaa. s_client per ECDHE suite and group (-groups; an ECDSA certificate is used only
# for a client listing its curve, RFC 8422 5.1.1, so the ECDSA cases over x25519 list P-256 too,
# and over P-384 go to the P-384 certificate's server), at TLS 1.2, and the CBC-SHA suites at
# TLS 1.0 and 1.1: full + resumed, s_client's "Server Temp Key" (the group), "Peer signature
# type" and "Server public key is N bit" (the certificate), and the server's log (group=).
# (ECDSA suites first in the server's order: a client that can take either certificate gets ECDSA)
EC_CSV=$(echo $TLS_SUITES_ECDSA $TLS_SUITES_ECDHE ccaa | tr ' ' '\n' | awk '!seen[$0]++' | paste -sd,)
declare -A EC_PORT EC_LOG EC_PID
for c in ec256 ec384; do
    EC_LOG[$c]=$TMP/server-$c.log
    start_sslref_server "${EC_LOG[$c]}" --version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem" \
        --cert "$DATA/$c-chain.pem" --key "$DATA/$c-key.pem" --mode http --ciphers "$EC_CSV" ||
        { fail "A-ec: sslref-server with RSA+$c start"; interop_finish; exit 1; }
    EC_PORT[$c]=$SRV_PORT
    EC_PID[$c]=$SRV_PID
done

ea_case() { # ea_case VERSION HEX GROUP
    local v=$1 h=$2 g=$3 c groups cert=ec256 sig=RSA bits=2048
    groups=${TLS_G_OSSL[$g]}
    c=$(tls_suite_name "$h")
    [ "$v" != tls1.2 ] && c="$c:@SECLEVEL=0"
    if [ "${TLS_CERT[$h]}" = ecdsa ]; then
        sig=ECDSA bits=256
        [ "$g" = x25519 ] && groups+=:P-256
        [ "$g" = p384 ] && cert=ec384 bits=384
    fi
    sc_pair "A-ec-$v-$h-$g" "${EC_PORT[$cert]}" "${EC_LOG[$cert]}" "$(tls_ossl_proto "$v")" "$h" \
        --full "Server Temp Key: ${TLS_G_TEMPKEY[$g]}" --full "Peer signature type: $sig" \
        --full "Server public key is $bits bit" --log " group=$g " \
        -- "$(tls_ossl_flag "$v")" -cipher "$c" -groups "$groups"
}
# (the ECDHE_RSA suites over x25519, s_client's first group, at every version: the A cases above)
EA=()
for h in $TLS_SUITES_ECDHE; do
    for g in $TLS_GROUPS; do
        [ "${TLS_CERT[$h]}" = rsa ] && [ $g = x25519 ] && continue
        EA+=("tls1.2 $h $g")
    done
done
EA+=("tls1.0 c009 p256" "tls1.1 c009 x25519" "tls1.0 c00a p256" "tls1.1 c00a x25519" "tls1.0 c013 p256" "tls1.1 c014 p384")
tls_run_jobs 4 ea_case "${EA[@]}"
tls_collect ea_case "${EA[@]}"

# Which certificate: by signature_algorithms (-sigalgs), and by supported_groups (a client that
# lists only x25519 cannot take the P-256 certificate: RFC 8422 5.1.1); s_client's defaults else.
ea_pick() {
    local p=${EC_PORT[ec256]} l=${EC_LOG[ec256]}
    case $1 in
    rsa-sigalgs)
        sc_pair A-ec-pick-sigalgs-RSA "$p" "$l" TLSv1.2 any --full "Peer signature type: RSA" \
            --full "Server public key is 2048 bit" "Cipher is ECDHE-RSA-" -- -tls1_2 -sigalgs RSA+SHA256 ;;
    ecdsa-sigalgs)
        sc_pair A-ec-pick-sigalgs-ECDSA "$p" "$l" TLSv1.2 any --full "Peer signature type: ECDSA" \
            --full "Server public key is 256 bit" "Cipher is ECDHE-ECDSA-" -- -tls1_2 -sigalgs ECDSA+SHA256 ;;
    x25519-only) # the server would prefer ECDSA (p256-listed) but cannot use its P-256 key
        sc_pair A-ec-pick-x25519-only "$p" "$l" TLSv1.2 any --full "Peer signature type: RSA" \
            --full "Server public key is 2048 bit" --full "Server Temp Key: X25519, 253 bits" \
            "Cipher is ECDHE-RSA-" --log " group=x25519 " -- -tls1_2 -groups X25519 ;;
    p256-listed)
        sc_pair A-ec-pick-p256-listed "$p" "$l" TLSv1.2 any --full "Peer signature type: ECDSA" \
            --full "Server public key is 256 bit" --full "Server Temp Key: X25519, 253 bits" \
            "Cipher is ECDHE-ECDSA-" --log " group=x25519 " -- -tls1_2 -groups X25519:P-256 ;;
    esac
}
EP=(rsa-sigalgs ecdsa-sigalgs x25519-only p256-listed)
tls_run_jobs 4 ea_pick "${EP[@]}"
tls_collect ea_pick "${EP[@]}"
for c in ec256 ec384; do
    tls_tally < <(tls_server_ok "A-ec-$c" "${EC_PID[$c]}" "${EC_LOG[$c]}")
    stop_pid "${EC_PID[$c]}" TERM
    if grep -q '^stats: .* failures=0$' "${EC_LOG[$c]}"; then
        pass "A-ec: RSA+$c server: no failed connection ($(grep '^stats:' "${EC_LOG[$c]}"))"
    else
        fail "A-ec: RSA+$c server stats (want failures=0)"
        grep -E '^(stats|error)' "${EC_LOG[$c]}" | sed 's/^/  | /'
    fi
done

# --- A (SNI). A second server with two extra names -----------------------------------------------
mkdir -p "$TMP/sni"
if tls_make_cert "$TMP/sni" alpha.test && tls_make_cert "$TMP/sni" beta.test; then
    NLOG="$TMP/sni-server.log"
    if start_sslref_server "$NLOG" --version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem" \
        --mode http --ciphers "$ALL" \
        --sni "alpha.test=$TMP/sni/alpha.test-chain.pem,$TMP/sni/alpha.test-key.pem" \
        --sni "beta.test=$TMP/sni/beta.test-chain.pem,$TMP/sni/beta.test-key.pem"; then
        N_PORT=$SRV_PORT
        sni_case() {
            case $1 in
            alpha) # RSA key exchange: the server decrypts with alpha's key
                sc_pair A-sni-alpha "$N_PORT" "$NLOG" TLSv1.2 002f "subject=CN = alpha.test" \
                    --log " sni=alpha.test " -- -servername alpha.test -tls1_2 -cipher AES128-SHA ;;
            beta) # DHE: the server signs with beta's key
                sc_pair A-sni-beta "$N_PORT" "$NLOG" TLSv1.2 009e "subject=CN = beta.test" \
                    --log " sni=beta.test " -- -servername beta.test -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 ;;
            none)
                sc_pair A-sni-none "$N_PORT" "$NLOG" TLSv1.2 any "subject=CN = localhost" \
                    --log " sni=- " -- -noservername -tls1_2 ;;
            esac
        }
        tls_run_jobs 3 sni_case alpha beta none
        tls_collect sni_case alpha beta none
        tls_tally < <(tls_server_ok "A-sni" "$SRV_PID" "$NLOG")
        stop_pid "$SRV_PID" TERM
    else
        fail "A-sni: sslref-server with --sni did not start"
    fi
else
    fail "A-sni: could not make the SNI certificates"
fi

# --- A (client authentication). A server that requests a certificate and checks it (--ca) -------
CLOG="$TMP/auth-server.log"
if start_sslref_server "$CLOG" --version tls1.0-tls1.2 --dh-params "$DATA/ffdhe2048.pem" \
    --mode http --ciphers "$ALL" --request-client-cert --ca "$DATA/ca-cert.pem"; then
    C_PORT=$SRV_PORT
    auth_case() { # auth_case VERSION HEX: s_client sends the test client cert; CertificateVerify
        local v=$1 h=$2 c ca=() # uses TLS 1.2 signature algorithms at 1.2, MD5+SHA-1 below
        c=$(tls_suite_name "$h")
        [ "$v" != tls1.2 ] && c="$c:@SECLEVEL=0"
        # TLS 1.0 (RFC 2246 §7.4.4) has certificate_authorities<3..2^16-1>: the list must not be
        # empty (TLS 1.1 made it <0..2^16-1>); s_client then prints the names it got.
        [ "$v" = tls1.0 ] && ca=(--full "Acceptable client certificate CA names")
        sc_pair "A-auth-$v-$h" "$C_PORT" "$CLOG" "$(tls_ossl_proto "$v")" "$h" \
            "${ca[@]}" --log ' peer="CN=sslref test client" ' \
            -- "$(tls_ossl_flag "$v")" -cipher "$c" -cert "$DATA/client-cert.pem" -key "$DATA/client-key.pem"
    }
    AUTH=("tls1.0 0033" "tls1.1 002f" "tls1.2 009f" "tls1.2 003c")
    tls_run_jobs 4 auth_case "${AUTH[@]}"
    tls_collect auth_case "${AUTH[@]}"
    auth_ec_case() { # auth_ec_case VERSION HEX: s_client with the P-256 certificate (ECDSA CertificateVerify)
        local v=$1 h=$2 c
        c=$(tls_suite_name "$h")
        [ "$v" != tls1.2 ] && c="$c:@SECLEVEL=0"
        sc_pair "A-auth-ec-$v-$h" "$C_PORT" "$CLOG" "$(tls_ossl_proto "$v")" "$h" --log ' peer="CN=localhost" ' \
            -- "$(tls_ossl_flag "$v")" -cipher "$c" -cert "$DATA/ec256-chain.pem" -key "$DATA/ec256-key.pem"
    }
    AUTH_EC=("tls1.0 c013" "tls1.2 c02f" "tls1.2 009c")
    tls_run_jobs 3 auth_ec_case "${AUTH_EC[@]}"
    tls_collect auth_ec_case "${AUTH_EC[@]}"
    tls_tally < <(tls_server_ok "A-auth" "$SRV_PID" "$CLOG")
    stop_pid "$SRV_PID" TERM
else
    fail "A-auth: sslref-server with --request-client-cert did not start"
fi

# --- A (version floor). A TLS 1.2-only server refuses TLS 1.1 and 1.0 clients: protocol_version --
VLOG="$TMP/tls12-server.log"
if start_sslref_server "$VLOG" --version tls1.2 --mode http --ciphers "$ALL"; then
    for v in tls1.1 tls1.0; do
        before=$(grep -c 'alert_sent=0x0246' "$VLOG")
        timeout 20 openssl s_client -connect "127.0.0.1:$SRV_PORT" "$(tls_ossl_flag "$v")" \
            -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >"$TMP/floor-$v.out" 2>"$TMP/floor-$v.err"
        rc=$?
        for i in $(seq 1 50); do
            after=$(grep -c 'alert_sent=0x0246' "$VLOG")
            [ "$after" -gt "$before" ] && break
            sleep 0.1
        done
        if [ $rc -ne 0 ] && grep -q 'SSL alert number 70' "$TMP/floor-$v.err" && [ "$after" = $((before + 1)) ]; then
            pass "A-floor-$v: s_client $(tls_ossl_flag "$v") against --version tls1.2 got alert 70 (protocol_version); server logged alert_sent=0x0246"
        else
            fail "A-floor-$v: want alert 70 at the client and alert_sent=0x0246 in the server log (exit $rc, log count $before -> $after)"
            show "$TMP/floor-$v.err"
        fi
    done
    stop_pid "$SRV_PID" TERM
else
    fail "A-floor: sslref-server --version tls1.2 did not start"
fi

# --- B. sslref-client against openssl s_server ---------------------------------------------------
mkdir -p "$TMP/www"
head -c 48000 /dev/urandom | base64 >"$TMP/www/payload.txt"
SS_ARGS=(-cert "$DATA/server-chain.pem" -key "$DATA/server-key-pkcs8.pem"
    -dhparam "$DATA/ffdhe2048.pem" -cipher 'ALL:@SECLEVEL=0')
B_OK=1
tls_start_s_server "$TMP/s_server-www.log" "${SS_ARGS[@]}" -www || B_OK=0
WWW_PORT=$PEER_PORT
cd "$TMP/www" || exit 1 # -WWW serves files from its working directory
tls_start_s_server "$TMP/s_server-files.log" "${SS_ARGS[@]}" -WWW || B_OK=0
cd - >/dev/null || exit 1
FILES_PORT=$PEER_PORT
if [ "$B_OK" = 1 ]; then
    {
        printf 'HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\n'
        cat "$TMP/www/payload.txt"
    } >"$TMP/www/one"
    cat "$TMP/www/one" "$TMP/www/one" >"$TMP/www/exp"

    b_case() { # b_case VERSION|default HEX|any
        local v=$1 h=$2 d="$TMP/b-$1-$2" why= rc proto cipher hex args=()
        mkdir -p "$d"
        : >"$d/details"
        if [ "$v" = default ]; then
            args=(--version tls1.0-tls1.2)
            proto=TLSv1.2
        else
            args=(--version "$v" --ciphers "$h")
            proto=$(tls_ossl_proto "$v")
        fi
        # 1. the -www status page: s_server's own view of each connection
        timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$WWW_PORT" --ca "$DATA/ca-cert.pem" \
            "${args[@]}" --resume 1 >"$d/page" 2>"$d/err"
        rc=$?
        [ $rc -eq 0 ] || why="$why exit=$rc"
        [ "$(sed -n 's/^\(New\|Reused\), .*/\1/p' "$d/page" | tr '\n' ' ')" = "New Reused " ] ||
            why="$why want-New-then-Reused"
        [ "$(sed -n 's/^    Protocol  : //p' "$d/page" | tr '\n' ' ')" = "$proto $proto " ] ||
            why="$why protocol($(sed -n 's/^    Protocol  : //p' "$d/page" | tr '\n' ' '))"
        cipher=$(sed -n 's/^    Cipher    : //p' "$d/page" | sort -u)
        hex=$(tls_suite_hex "$cipher")
        [ "$(sed -n 's/^    Cipher    : //p' "$d/page" | wc -l)" = 2 ] && [ -n "$hex" ] || why="$why cipher($cipher)"
        [ "$h" = any ] || [ "$hex" = "$h" ] || why="$why cipher($cipher, want $(tls_suite_name "$h"))"
        [ "$(grep -c '^    Extended master secret: yes' "$d/page")" = 2 ] || why="$why no-EMS"
        [ -z "$hex" ] || [ "${TLS_KX[$hex]}" != ECDHE ] || [ "$(grep -c " group=x25519 via=" "$d/err")" = 2 ] || why="$why group(want x25519)"
        [ "$(grep -c "^version=$(tls_sslref_proto "$proto") cipher=0x$hex .* resumed=no " "$d/err")" = 1 ] &&
            [ "$(grep -c "^version=$(tls_sslref_proto "$proto") cipher=0x$hex .* resumed=yes " "$d/err")" = 1 ] ||
            why="$why sslref-client-lines"
        if [ -n "$why" ]; then
            why=" [-www:$why]"
            {
                show "$d/err"
                grep -E '^(New|Reused), |^    (Protocol|Cipher|Extended)' "$d/page" | sed 's/^/  | /'
            } >>"$d/details"
        fi
        # 2. the -WWW file server: the file twice, byte for byte, same version and suite
        local w=
        timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$FILES_PORT" --ca "$DATA/ca-cert.pem" \
            "${args[@]}" --resume 1 --send 'GET /payload.txt HTTP/1.0\r\n\r\n' >"$d/files" 2>"$d/ferr"
        rc=$?
        [ $rc -eq 0 ] || w="$w exit=$rc"
        cmp -s "$d/files" "$TMP/www/exp" || w="$w data-differs($(wc -c <"$d/files") of $(wc -c <"$TMP/www/exp") bytes)"
        [ "$(sed -n "s/^version=$(tls_sslref_proto "$proto") cipher=0x$hex .* resumed=\([a-z]*\) .*/\1/p" "$d/ferr" |
            tr '\n' ' ')" = "no yes " ] || w="$w not-full-then-resumed"
        [ -z "$w" ] || { why="$why [-WWW:$w]"; show "$d/ferr" >>"$d/details"; }
        if [ -z "$why" ]; then
            echo "PASS: B-$v-$h: s_server -www page says New then Reused, $proto $cipher, EMS; sslref-client says resumed=no, yes; $(wc -c <"$TMP/www/payload.txt")-byte file from -WWW intact twice"
        else
            echo "FAIL: B-$v-$h:$why"
            cat "$d/details"
        fi
    }
    tls_run_jobs 4 b_case "${PAIRS[@]}" "default any"
    tls_collect b_case "${PAIRS[@]}" "default any"
else
    fail "B: openssl s_server did not start"
fi

# --- B (version). s_server -tls1_1: sslref-client's range settles on TLS 1.1 (full, resumed); a
# TLS 1.2-only sslref-client refuses it with protocol_version, which s_server reports.
if tls_start_s_server "$TMP/s_server-11.log" "${SS_ARGS[@]}" -tls1_1 -www; then
    d="$TMP/b-range"
    mkdir -p "$d"
    timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$PEER_PORT" --ca "$DATA/ca-cert.pem" \
        --version tls1.0-tls1.2 --resume 1 >"$d/page" 2>"$d/err"
    rc=$?
    if [ $rc -eq 0 ] && [ "$(sed -n 's/^\(New\|Reused\), .*/\1/p' "$d/page" | tr '\n' ' ')" = "New Reused " ] &&
        [ "$(sed -n 's/^    Protocol  : //p' "$d/page" | tr '\n' ' ')" = "TLSv1.1 TLSv1.1 " ] &&
        [ "$(sed -n 's/^version=TLS1.1 .* resumed=\([a-z]*\) .*/\1/p' "$d/err" | tr '\n' ' ')" = "no yes " ]; then
        pass "B-range-vs-tls1.1: s_server -tls1_1 page says New then Reused at TLSv1.1 for sslref-client --version tls1.0-tls1.2"
    else
        fail "B-range-vs-tls1.1: want TLSv1.1 New then Reused (exit $rc)"
        show "$d/err"
        grep -E '^(New|Reused), |^    Protocol' "$d/page" | sed 's/^/  | /'
    fi
    # s_server reports the alert as such only if its record carries the negotiated version (1.1);
    # sslref-client sends it at its ClientHello's record version (TLS 1.0), which OpenSSL drops as
    # "wrong version number" (ssl3_get_record: an alert with a foreign version ends quietly).
    before=$(grep -cE 'alert protocol version|wrong version number' "$TMP/s_server-11.log")
    timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$PEER_PORT" --version tls1.2 >"$d/out12" 2>"$d/err12"
    rc=$?
    for i in $(seq 1 50); do
        after=$(grep -cE 'alert protocol version|wrong version number' "$TMP/s_server-11.log")
        [ "$after" -gt "$before" ] && break
        sleep 0.1
    done
    if [ $rc -ne 0 ] && grep -q 'alert_sent=0x0246' "$d/err12" && [ "$after" -gt "$before" ]; then
        pass "B-tls1.2-vs-tls1.1: sslref-client --version tls1.2 sent protocol_version (70); s_server ended the handshake ($(grep -oE 'alert protocol version|wrong version number' "$TMP/s_server-11.log" | tail -1))"
    else
        fail "B-tls1.2-vs-tls1.1: want sslref-client to fail with alert_sent=0x0246 and s_server to report it (exit $rc)"
        show "$d/err12"
        tail -3 "$TMP/s_server-11.log" | sed 's/^/  | /'
    fi
    stop_pid "$PEER_PID" TERM
else
    fail "B-version: openssl s_server -tls1_1 did not start"
fi

# --- B (client authentication). s_server -Verify 1: no handshake without a verified client cert --
if tls_start_s_server "$TMP/s_server-auth.log" "${SS_ARGS[@]}" -Verify 1 -CAfile "$DATA/ca-cert.pem" -www; then
    AUTH_PORT=$PEER_PORT
    bauth_case() { # bauth_case VERSION HEX
        local v=$1 h=$2 d="$TMP/bauth-$1-$2" why= rc proto name dig
        mkdir -p "$d"
        proto=$(tls_ossl_proto "$v")
        name=$(tls_suite_name "$h")
        dig='MD5-SHA1' # TLS 1.0/1.1 CertificateVerify; TLS 1.2: a SHA-2 from s_server's list
        [ "$v" = tls1.2 ] && dig='SHA\(256\|384\|512\)'
        timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$AUTH_PORT" --ca "$DATA/ca-cert.pem" \
            --version "$v" --ciphers "$h" --cert "$DATA/client-cert.pem" --key "$DATA/client-key.pem" \
            --resume 1 >"$d/page" 2>"$d/err"
        rc=$?
        [ $rc -eq 0 ] || why="$why exit=$rc"
        [ "$(sed -n 's/^\(New\|Reused\), .*/\1/p' "$d/page" | tr '\n' ' ')" = "New Reused " ] || why="$why want-New-then-Reused"
        [ "$(sed -n 's/^    Protocol  : //p' "$d/page" | tr '\n' ' ')" = "$proto $proto " ] || why="$why protocol"
        [ "$(sed -n 's/^    Cipher    : //p' "$d/page" | tr '\n' ' ')" = "$name $name " ] || why="$why cipher"
        [ "$(grep -c '^ *Subject: CN *= *sslref test client$' "$d/page")" = 2 ] || why="$why no-client-cert-on-page"
        [ "$(grep -c "^Peer signing digest: $dig\$" "$d/page")" = 1 ] || why="$why CertificateVerify-digest($(grep '^Peer signing digest' "$d/page"))"
        [ "$(sed -n "s/^version=$(tls_sslref_proto "$proto") cipher=0x$h .* resumed=\([a-z]*\) .*/\1/p" "$d/err" |
            tr '\n' ' ')" = "no yes " ] || why="$why sslref-client-lines"
        if [ -z "$why" ]; then
            echo "PASS: B-auth-$v-$h: s_server (-Verify 1) page says New then Reused, $proto $name, client cert CN=sslref test client, CertificateVerify $(sed -n 's/^Peer signing digest: //p' "$d/page")"
        else
            echo "FAIL: B-auth-$v-$h:$why"
            show "$d/err"
            grep -E '^(New|Reused), |^    (Protocol|Cipher)|Subject:|Peer signing' "$d/page" | sed 's/^/  | /'
        fi
    }
    BAUTH=("tls1.0 0033" "tls1.1 002f" "tls1.2 009f" "tls1.2 003c")
    tls_run_jobs 4 bauth_case "${BAUTH[@]}"
    tls_collect bauth_case "${BAUTH[@]}"
else
    fail "B-auth: openssl s_server -Verify did not start"
fi

# --- B (issue 16). sslref-client against s_server holding an ECDSA (-cert/-key) and the RSA
# (-dcert/-dkey) certificate, groups X25519:P-256:P-384: per ECDHE suite and group (sslref-client
# --groups; the ECDSA cases over x25519 list P-256 too, over P-384 go to the P-384 certificate's
# s_server), full + resumed: the -www page says New then Reused, the protocol and the suite, and
# "Shared groups" (what the client offered, which s_server prints; the group used is sslref's
# group=); the client's lines say resumed=no, yes with that group. Then an EC client certificate
# (ECDSA CertificateVerify) against s_server -Verify 1.
declare -A BEC_PORT
for c in ec256 ec384; do
    tls_start_s_server "$TMP/s_server-$c.log" -cert "$DATA/$c-chain.pem" -key "$DATA/$c-key.pem" \
        -dcert "$DATA/server-chain.pem" -dkey "$DATA/server-key-pkcs8.pem" -dhparam "$DATA/ffdhe2048.pem" \
        -cipher 'ALL:@SECLEVEL=0' -groups X25519:P-256:P-384 -www || fail "B-ec: s_server with RSA+$c did not start"
    BEC_PORT[$c]=$PEER_PORT
done
declare -A OSSL_GNAME=([x25519]=x25519 [p256]=secp256r1 [p384]=secp384r1)
bec_case() { # bec_case VERSION HEX GROUP
    local v=$1 h=$2 g=$3 d="$TMP/bec-$1-$2-$3" why= rc proto name cert=ec256 gs=$3 shared
    mkdir -p "$d"
    proto=$(tls_ossl_proto "$v")
    name=$(tls_suite_name "$h")
    shared=${OSSL_GNAME[$g]:-}
    if [ "${TLS_CERT[$h]}" = ecdsa ]; then
        [ "$g" = x25519 ] && gs=x25519,p256 shared=x25519:secp256r1
        [ "$g" = p384 ] && cert=ec384
    fi
    [ "$h" = ccaa ] && gs=ffdhe2048 shared=NONE # (s_server -groups lists curves only)
    timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "${BEC_PORT[$cert]}" --ca "$DATA/ca-cert.pem" \
        --version "$v" --ciphers "$h" --groups "$gs" --resume 1 >"$d/page" 2>"$d/err"
    rc=$?
    [ $rc -eq 0 ] || why="$why exit=$rc"
    [ "$(sed -n 's/^\(New\|Reused\), .*/\1/p' "$d/page" | tr '\n' ' ')" = "New Reused " ] || why="$why want-New-then-Reused"
    [ "$(sed -n 's/^    Protocol  : //p' "$d/page" | tr '\n' ' ')" = "$proto $proto " ] || why="$why protocol"
    [ "$(sed -n 's/^    Cipher    : //p' "$d/page" | tr '\n' ' ')" = "$name $name " ] || why="$why cipher"
    [ "$(grep -c '^    Extended master secret: yes' "$d/page")" = 2 ] || why="$why no-EMS"
    # (s_server prints the groups with the full handshake's ClientHello only)
    [ "$(grep '^Shared groups: ' "$d/page" | sort -u)" = "Shared groups: $shared" ] ||
        why="$why shared-groups($(grep '^Shared groups' "$d/page" | sort -u | tr '\n' ' '))"
    [ "$(sed -n "s/^version=$(tls_sslref_proto "$proto") cipher=0x$h .* resumed=\([a-z]*\) .* group=${g/ccaa/} *.*/\1/p" "$d/err" |
        tr '\n' ' ')" = "no yes " ] || why="$why sslref-client-lines"
    [ "$h" = ccaa ] || [ "$(grep -c " group=$g via=" "$d/err")" = 2 ] || why="$why client-group(want $g)"
    if [ -z "$why" ]; then
        echo "PASS: B-ec-$v-$h-$g: s_server (RSA+$cert) page says New then Reused, $proto $name, shared groups $shared, EMS; sslref-client says resumed=no, yes, group=$g"
    else
        echo "FAIL: B-ec-$v-$h-$g:$why"
        show "$d/err"
        grep -E '^(New|Reused), |^    (Protocol|Cipher)|groups' "$d/page" | sed 's/^/  | /'
    fi
}
# (the ECDHE_RSA suites over x25519, sslref-client's first group, at every version: the B cases)
BEC=("tls1.2 ccaa ffdhe2048")
for h in $TLS_SUITES_ECDHE; do
    for g in $TLS_GROUPS; do
        [ "${TLS_CERT[$h]}" = rsa ] && [ $g = x25519 ] && continue
        BEC+=("tls1.2 $h $g")
    done
done
BEC+=("tls1.0 c009 p256" "tls1.1 c009 x25519" "tls1.0 c00a p256" "tls1.1 c00a x25519" "tls1.0 c013 p256" "tls1.1 c014 p384")
tls_run_jobs 4 bec_case "${BEC[@]}"
tls_collect bec_case "${BEC[@]}"

if [ -n "${AUTH_PORT:-}" ]; then
    bauth_ec_case() { # bauth_ec_case VERSION HEX: sslref-client --cert ec256 against s_server -Verify 1
        local v=$1 h=$2 d="$TMP/bauth-ec-$1-$2" why= rc proto name
        mkdir -p "$d"
        proto=$(tls_ossl_proto "$v")
        name=$(tls_suite_name "$h")
        timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$AUTH_PORT" --ca "$DATA/ca-cert.pem" \
            --version "$v" --ciphers "$h" --cert "$DATA/ec256-chain.pem" --key "$DATA/ec256-key.pem" \
            --resume 1 >"$d/page" 2>"$d/err"
        rc=$?
        [ $rc -eq 0 ] || why="$why exit=$rc"
        [ "$(sed -n 's/^\(New\|Reused\), .*/\1/p' "$d/page" | tr '\n' ' ')" = "New Reused " ] || why="$why want-New-then-Reused"
        [ "$(sed -n 's/^    Protocol  : //p' "$d/page" | tr '\n' ' ')" = "$proto $proto " ] || why="$why protocol"
        [ "$(sed -n 's/^    Cipher    : //p' "$d/page" | tr '\n' ' ')" = "$name $name " ] || why="$why cipher"
        [ "$(grep -c '^Peer signature type: ECDSA$' "$d/page")" = 1 ] || why="$why CertificateVerify-not-ECDSA($(grep '^Peer signature type' "$d/page"))"
        [ "$(grep -c '^ *Public Key Algorithm: id-ecPublicKey$' "$d/page")" = 2 ] || why="$why client-cert-not-EC-on-page"
        [ "$(sed -n "s/^version=$(tls_sslref_proto "$proto") cipher=0x$h .* resumed=\([a-z]*\) .*/\1/p" "$d/err" |
            tr '\n' ' ')" = "no yes " ] || why="$why sslref-client-lines"
        if [ -z "$why" ]; then
            echo "PASS: B-auth-ec-$v-$h: s_server (-Verify 1) page says New then Reused, $proto $name, an EC client certificate, CertificateVerify ECDSA ($(sed -n 's/^Peer signing digest: //p' "$d/page"))"
        else
            echo "FAIL: B-auth-ec-$v-$h:$why"
            show "$d/err"
            grep -E '^(New|Reused), |^    (Protocol|Cipher)|Public Key Alg|Peer sign' "$d/page" | sed 's/^/  | /'
        fi
    }
    # With RSA and DHE key exchange too (009c, 009e, 002f at TLS 1.0): no ECDHE suite is offered, so
    # the client lists the EC groups because its own key is EC; OpenSSL refuses an EC client
    # certificate whose curve the client's supported_groups lacks ("wrong curve").
    BAUTH_EC=("tls1.0 c013" "tls1.2 c02f" "tls1.2 cca8" "tls1.2 009c" "tls1.2 009e" "tls1.0 002f")
    tls_run_jobs 3 bauth_ec_case "${BAUTH_EC[@]}"
    tls_collect bauth_ec_case "${BAUTH_EC[@]}"
fi

tls_sanitizer_sweep
interop_finish

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

# nss_make_ec_db DIR NAME: an NSS database with the ECDSA server certificate tests/data/NAME-chain.pem
# and its key NAME-key.pem (nickname "ecserver", imported with pk12util from a PKCS#12 that
# `openssl pkcs12 -export` makes here) and the trusted test CA. A database of its own: the EC and
# the RSA server certificates share their subject (CN=localhost), and NSS gives certificates of
# one subject one nickname, so in nss_make_db's database `selfserv -n server` could find the EC one.
nss_make_ec_db() {
    local db=$1 name=$2
    mkdir -p "$db"
    certutil -N -d "$db" --empty-password >/dev/null &&
        openssl pkcs12 -export -in "$DATA/$name-chain.pem" -inkey "$DATA/$name-key.pem" \
            -name ecserver -passout pass: -out "$TMP/$name.p12" &&
        pk12util -i "$TMP/$name.p12" -d "$db" -W '' >/dev/null &&
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

# SRV_EXTRA (an array, optional): arguments every start_sslref_server of a script passes first.
# start_sslref_server LOG ARGS...: start sslref-server --port 0 ARGS (stderr to LOG); sets
# SRV_PID and SRV_PORT (read from its "listening on ADDR:PORT" line).
start_sslref_server() {
    local log=$1 i def=(--cert "$DATA/server-chain.pem" --key "$DATA/server-key-pkcs8.pem")
    shift
    if [ "${1:-}" = --no-default-cert ]; then # the caller's --cert/--key only (e.g. a DSA one)
        def=()
        shift
    fi
    : >"$log"
    "$BIN/sslref-server" --port 0 "${def[@]}" ${SRV_EXTRA[@]+"${SRV_EXTRA[@]}"} "$@" >"$log.stdout" 2>"$log" &
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

# TLS peers (GnuTLS, NSS)
# Shared by test_tls_gnutls.sh and test_tls_nss.sh: the suites of the TLS interop cases, request
# payloads and the answers expected back, and a runner for cases in parallel. A case is a shell
# function run in the background (stdout+stderr kept for the report); its exit status is the
# verdict. Cases against a peer whose log is read per connection (selfserv, gnutls-serv) run in
# a lane: one after the other, while other lanes and cases run beside them.

# The one suite table of the TLS interop tests (openssl, curl, python, GnuTLS, NSS). Per suite:
# hex id (sslref's --ciphers), OpenSSL's name, GnuTLS's key exchange, cipher and MAC words (its
# priority keywords, also what gnutls-cli/gnutls-serv -V print), NSS's "using ..." text (spaces as
# _; what tstclnt/selfserv -v print), the versions (10: TLS 1.0-1.2, 12: TLS 1.2 only), the
# certificate it needs (rsa|ecdsa), the key exchange (RSA|DHE|ECDHE: NSS's "Key Exchange" word) and
# the issue that brought it (15: the first TLS suites; 16: ChaCha20 and elliptic curves). The
# lists and lookups below are all made from it.
TLS_SUITE_TABLE="
002f AES128-SHA                    RSA         AES-128-CBC       SHA1   128-bit_AES_with_160-bit_SHA1_MAC            10 rsa   RSA   15
0035 AES256-SHA                    RSA         AES-256-CBC       SHA1   256-bit_AES_with_160-bit_SHA1_MAC            10 rsa   RSA   15
003c AES128-SHA256                 RSA         AES-128-CBC       SHA256 128-bit_AES_with_256-bit_SHA256_MAC          12 rsa   RSA   15
003d AES256-SHA256                 RSA         AES-256-CBC       SHA256 256-bit_AES_with_256-bit_SHA256_MAC          12 rsa   RSA   15
009c AES128-GCM-SHA256             RSA         AES-128-GCM       AEAD   128-bit_AES-GCM_with_128-bit_AEAD_MAC        12 rsa   RSA   15
009d AES256-GCM-SHA384             RSA         AES-256-GCM       AEAD   256-bit_AES-GCM_with_128-bit_AEAD_MAC        12 rsa   RSA   15
000a DES-CBC3-SHA                  RSA         3DES-CBC          SHA1   112-bit_3DES_with_160-bit_SHA1_MAC           10 rsa   RSA   15
0033 DHE-RSA-AES128-SHA            DHE-RSA     AES-128-CBC       SHA1   128-bit_AES_with_160-bit_SHA1_MAC            10 rsa   DHE   15
0039 DHE-RSA-AES256-SHA            DHE-RSA     AES-256-CBC       SHA1   256-bit_AES_with_160-bit_SHA1_MAC            10 rsa   DHE   15
0067 DHE-RSA-AES128-SHA256         DHE-RSA     AES-128-CBC       SHA256 128-bit_AES_with_256-bit_SHA256_MAC          12 rsa   DHE   15
006b DHE-RSA-AES256-SHA256         DHE-RSA     AES-256-CBC       SHA256 256-bit_AES_with_256-bit_SHA256_MAC          12 rsa   DHE   15
009e DHE-RSA-AES128-GCM-SHA256     DHE-RSA     AES-128-GCM       AEAD   128-bit_AES-GCM_with_128-bit_AEAD_MAC        12 rsa   DHE   15
009f DHE-RSA-AES256-GCM-SHA384     DHE-RSA     AES-256-GCM       AEAD   256-bit_AES-GCM_with_128-bit_AEAD_MAC        12 rsa   DHE   15
0016 EDH-RSA-DES-CBC3-SHA          DHE-RSA     3DES-CBC          SHA1   112-bit_3DES_with_160-bit_SHA1_MAC           10 rsa   DHE   15
ccaa DHE-RSA-CHACHA20-POLY1305     DHE-RSA     CHACHA20-POLY1305 AEAD   256-bit_CHACHA20POLY1305_with_128-bit_AEAD_MAC 12 rsa DHE   16
c02f ECDHE-RSA-AES128-GCM-SHA256   ECDHE-RSA   AES-128-GCM       AEAD   128-bit_AES-GCM_with_128-bit_AEAD_MAC        12 rsa   ECDHE 16
c030 ECDHE-RSA-AES256-GCM-SHA384   ECDHE-RSA   AES-256-GCM       AEAD   256-bit_AES-GCM_with_128-bit_AEAD_MAC        12 rsa   ECDHE 16
cca8 ECDHE-RSA-CHACHA20-POLY1305   ECDHE-RSA   CHACHA20-POLY1305 AEAD   256-bit_CHACHA20POLY1305_with_128-bit_AEAD_MAC 12 rsa ECDHE 16
c027 ECDHE-RSA-AES128-SHA256       ECDHE-RSA   AES-128-CBC       SHA256 128-bit_AES_with_256-bit_SHA256_MAC          12 rsa   ECDHE 16
c028 ECDHE-RSA-AES256-SHA384       ECDHE-RSA   AES-256-CBC       SHA384 256-bit_AES_with_384-bit_SHA384_MAC          12 rsa   ECDHE 16
c013 ECDHE-RSA-AES128-SHA          ECDHE-RSA   AES-128-CBC       SHA1   128-bit_AES_with_160-bit_SHA1_MAC            10 rsa   ECDHE 16
c014 ECDHE-RSA-AES256-SHA          ECDHE-RSA   AES-256-CBC       SHA1   256-bit_AES_with_160-bit_SHA1_MAC            10 rsa   ECDHE 16
c02b ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA AES-128-GCM       AEAD   128-bit_AES-GCM_with_128-bit_AEAD_MAC        12 ecdsa ECDHE 16
c02c ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA AES-256-GCM       AEAD   256-bit_AES-GCM_with_128-bit_AEAD_MAC        12 ecdsa ECDHE 16
cca9 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-ECDSA CHACHA20-POLY1305 AEAD   256-bit_CHACHA20POLY1305_with_128-bit_AEAD_MAC 12 ecdsa ECDHE 16
c023 ECDHE-ECDSA-AES128-SHA256     ECDHE-ECDSA AES-128-CBC       SHA256 128-bit_AES_with_256-bit_SHA256_MAC          12 ecdsa ECDHE 16
c024 ECDHE-ECDSA-AES256-SHA384     ECDHE-ECDSA AES-256-CBC       SHA384 256-bit_AES_with_384-bit_SHA384_MAC          12 ecdsa ECDHE 16
c009 ECDHE-ECDSA-AES128-SHA        ECDHE-ECDSA AES-128-CBC       SHA1   128-bit_AES_with_160-bit_SHA1_MAC            10 ecdsa ECDHE 16
c00a ECDHE-ECDSA-AES256-SHA        ECDHE-ECDSA AES-256-CBC       SHA1   256-bit_AES_with_160-bit_SHA1_MAC            10 ecdsa ECDHE 16
"
declare -A TLS_OSSL TLS_HEX TLS_GT_KX TLS_GT_CIPHER TLS_GT_MAC TLS_NSS_CIPHER TLS_VERS TLS_CERT TLS_KX
TLS_ALL_SUITES=
TLS_SUITES_12=     # issue 15's suites (GnuTLS, NSS cases), all at TLS 1.2
TLS_SUITES_10=     # those of them defined for TLS 1.0/1.1 (no SHA-256 MAC, no GCM: RFC 5246 only)
TLS_SUITES=        # every suite with an RSA certificate (openssl, curl, python; the server order)
TLS_SUITES_ECDHE=  # every ECDHE suite, RSA then ECDSA
TLS_SUITES_ECDSA=  # the ECDHE_ECDSA suites
while read -r _h _o _gk _gc _gm _nc _v _c _k _i; do
    [ -n "$_h" ] || continue
    TLS_OSSL[$_h]=$_o TLS_HEX[$_o]=$_h TLS_GT_KX[$_h]=$_gk TLS_GT_CIPHER[$_h]=$_gc TLS_GT_MAC[$_h]=$_gm
    TLS_NSS_CIPHER[$_h]=${_nc//_/ } TLS_VERS[$_h]=$_v TLS_CERT[$_h]=$_c TLS_KX[$_h]=$_k
    TLS_ALL_SUITES+="$_h "
    [ "$_c" = rsa ] && TLS_SUITES+="$_h "
    [ "$_k" = ECDHE ] && TLS_SUITES_ECDHE+="$_h "
    [ "$_c" = ecdsa ] && TLS_SUITES_ECDSA+="$_h "
    [ "$_i" = 15 ] && TLS_SUITES_12+="$_h "
    [ "$_i" = 15 ] && [ "$_v" = 10 ] && TLS_SUITES_10+="$_h "
done <<<"$TLS_SUITE_TABLE"
unset _h _o _gk _gc _gm _nc _v _c _k _i
TLS_SUITES_CSV=$(echo $TLS_SUITES_12 | tr ' ' ',')
# Suites of the cases where both sides allow TLS 1.0-1.2 (and must agree on 1.2): one per kind.
TLS_SUITES_RANGE="002f 009d 0067 0016"
# The groups of the ECDHE cases: sslref's --groups word, OpenSSL's -groups name (and its "Server
# Temp Key" text), GnuTLS's group keyword, NSS's -I word and its ECDHE key size.
TLS_GROUPS="x25519 p256 p384"
declare -A TLS_G_OSSL=([x25519]=X25519 [p256]=P-256 [p384]=P-384)
declare -A TLS_G_TEMPKEY=([x25519]="X25519, 253 bits" [p256]="ECDH, prime256v1, 256 bits" [p384]="ECDH, secp384r1, 384 bits")
declare -A TLS_G_GNUTLS=([x25519]=X25519 [p256]=SECP256R1 [p384]=SECP384R1)
declare -A TLS_G_NSS=([x25519]=x25519 [p256]=P256 [p384]=P384)
declare -A TLS_G_NSSBITS=([x25519]=255 [p256]=256 [p384]=384)
TLS_JOBS=${TLS_JOBS:-6}
TLS_CASE_NAMES=()
TLS_CASE_FILES=()
TLS_CASE_CMDS=()
TLS_CASE_LANES=()
TLS_CASE_PIDS=()
TLS_LANE_PIDS=()

# tls_suites_for VERSION (tls1.0|tls1.1|tls1.2): the suites of that version.
tls_suites_for() {
    if [ "$1" = tls1.2 ]; then echo "$TLS_SUITES_12"; else echo "$TLS_SUITES_10"; fi
}

# The helpers below avoid forks where bash can do the work itself: a case runs dozens of checks
# and the machine is shared, so a grep per check would cost more than the peer's handshake.

# tlsp_init: the random text requests take their fill from (call after interop_init).
tlsp_init() {
    TLS_FILL=$(head -c 49152 /dev/urandom | base64 -w 0)
}

# tls_request FILE NAME [FILL]: an HTTP/1.0 request naming the case, with an X-Fill header of
# FILL (default 6000) random base64 characters, so that every case sends different bytes; also
# left in TLS_REQ.
tls_request() {
    printf -v TLS_REQ 'GET /%s HTTP/1.0\r\nX-Fill: %s\r\n\r\n' "$2" "${TLS_FILL:0:${3:-6000}}"
    printf '%s' "$TLS_REQ" >"$1"
}

# tls_sslref_answer [COPIES]: the bytes sslref-server --mode http answers to the last
# tls_request (COPIES times, default 1: one per connection).
tls_sslref_answer() {
    local i
    for ((i = 0; i < ${1:-1}; i++)); do
        printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\n\r\n%s' \
            "${#TLS_REQ}" "$TLS_REQ"
    done
}

# tls_read FILE: the whole of FILE in TLS_TEXT (empty if it cannot be read).
tls_read() {
    TLS_TEXT=
    IFS= read -r -d '' TLS_TEXT <"$1" 2>/dev/null || true
}

# tls_wait_slot: wait until fewer than TLS_JOBS cases (lanes not counted) run. It polls every 20 ms with
# `read -t` on a pipe nobody writes (no sleep process per poll).
tls_wait_slot() {
    local live p
    [ -n "${TLS_NAP_FD:-}" ] || exec {TLS_NAP_FD}<> <(:)
    while :; do
        live=0
        for p in "${TLS_CASE_PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null && live=$((live + 1))
        done
        [ "$live" -lt "$TLS_JOBS" ] && return
        read -r -t 0.02 -u "$TLS_NAP_FD" || true
    done
}

# tls_case NAME FUNC ARGS...: run FUNC ARGS in the background, at most TLS_JOBS at a time; with
# TLS_LANE=L set, only queue it in lane L (tls_lanes_start runs each lane's cases in order).
tls_case() {
    local name=$1 f="$TMP/case.${#TLS_CASE_NAMES[@]}"
    shift
    TLS_CASE_NAMES+=("$name")
    TLS_CASE_FILES+=("$f")
    TLS_CASE_CMDS+=("$(printf '%q ' "$@")")
    TLS_CASE_LANES+=("${TLS_LANE:-}")
    [ -n "${TLS_LANE:-}" ] && return
    tls_wait_slot
    (eval "${TLS_CASE_CMDS[-1]}" >"$f.log" 2>&1; echo $? >"$f.rc") &
    TLS_CASE_PIDS+=("$!")
    INTEROP_PIDS+=("$!")
}

# tls_lanes_start: start every queued lane (one background job each, beside the TLS_JOBS cases).
tls_lanes_start() {
    local lanes lane i
    lanes=$(printf '%s\n' "${TLS_CASE_LANES[@]}" | sort -u | grep .)
    for lane in $lanes; do
        (
            for i in "${!TLS_CASE_LANES[@]}"; do
                [ "${TLS_CASE_LANES[$i]}" = "$lane" ] || continue
                (eval "${TLS_CASE_CMDS[$i]}") >"${TLS_CASE_FILES[$i]}.log" 2>&1
                echo $? >"${TLS_CASE_FILES[$i]}.rc"
            done
        ) &
        TLS_LANE_PIDS+=("$!")
        INTEROP_PIDS+=("$!")
    done
    for i in "${!TLS_CASE_LANES[@]}"; do
        TLS_CASE_LANES[$i]=
    done
}

# tlsp_collect: wait for every case and lane, print one PASS/FAIL line per case in the order they
# were given (a case without a verdict, e.g. killed or never run, fails), and forget them.
tlsp_collect() {
    local i p keep=() f
    for p in "${TLS_CASE_PIDS[@]}" "${TLS_LANE_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    for i in "${!TLS_CASE_NAMES[@]}"; do
        f=${TLS_CASE_FILES[$i]}
        if [ "$(cat "$f.rc" 2>/dev/null)" = 0 ]; then
            pass "${TLS_CASE_NAMES[$i]}"
        else
            fail "${TLS_CASE_NAMES[$i]} (status $(cat "$f.rc" 2>/dev/null || echo none))"
            sed 's/^/  | /' "$f.log" 2>/dev/null | head -80
        fi
    done
    for p in "${INTEROP_PIDS[@]}"; do
        [[ " ${TLS_CASE_PIDS[*]} ${TLS_LANE_PIDS[*]} " == *" $p "* ]] || keep+=("$p")
    done
    INTEROP_PIDS=("${keep[@]}")
    TLS_CASE_NAMES=()
    TLS_CASE_FILES=()
    TLS_CASE_CMDS=()
    TLS_CASE_LANES=()
    TLS_CASE_PIDS=()
    TLS_LANE_PIDS=()
}

# tls_expect MESSAGE COMMAND...: in a case function, print "  bad: MESSAGE" and remember the
# failure when COMMAND fails; the case ends with `return $TLS_BAD`.
tls_expect() {
    local msg=$1
    shift
    if ! "$@"; then
        echo "  bad: $msg"
        TLS_BAD=1
    fi
}

# tls_lines N FILE LINE: FILE holds exactly N lines equal to LINE (fixed string, whole line).
tls_lines() {
    local n=0 l
    while IFS= read -r l; do
        [ "$l" = "$3" ] && n=$((n + 1))
    done <"$2"
    [ $n -eq "$1" ]
}

# tls_lines_with N FILE TEXT: FILE holds exactly N lines containing TEXT.
tls_lines_with() {
    local n=0 l
    while IFS= read -r l; do
        [[ $l == *"$3"* ]] && n=$((n + 1))
    done <"$2"
    [ $n -eq "$1" ]
}

# tls_same WANT GOT WHAT: in a case function, GOT must equal WANT byte for byte.
tls_same() {
    cmp -s "$1" "$2" && return 0
    echo "  bad: $3: want $(wc -c <"$1") bytes, got $(wc -c <"$2"): $(cmp "$1" "$2" 2>&1 | head -1)"
    TLS_BAD=1
}

# tls_client_resumed FILE VERSION SUITE: TLS_PAT = the resumed= values ("no yes ") of
# sslref-client's lines in FILE at VERSION (TLS1.x) with SUITE that name the server's certificate
# (CN=localhost) and report the extended master secret (both GnuTLS and NSS use it).
tls_client_resumed() {
    local l re="^version=$2 cipher=0x$3 [A-Z_0-9]+ resumed=([a-z]+) peer=\"CN=localhost\" ems=yes "
    TLS_PAT=
    while IFS= read -r l; do
        [[ $l =~ $re ]] && TLS_PAT+="${BASH_REMATCH[1]} "
    done <"$1"
}

# tls_log_since FILE OFFSET OUT: the part of FILE after OFFSET bytes (from ${#TLS_TEXT} of an
# earlier tls_read) into OUT and TLS_TEXT.
tls_log_since() {
    tls_read "$1"
    TLS_TEXT=${TLS_TEXT:$2}
    printf '%s' "$TLS_TEXT" >"$3"
}

# TLS peers (openssl, curl, python)
# Helpers of test_tls_openssl.sh and test_tls_curl_python.sh: Debian's OpenSSL 3.0 CLI, curl and
# Python 3's ssl module as TLS 1.0-1.2 peers of sslref. tls_init replaces interop_init there (no
# NSS database needed). Cases run as background jobs that print their own "PASS: "/"FAIL: " lines
# into a result file; tls_collect turns those into pass/fail in the main shell.

# TLS_SUITES (every suite with an RSA certificate) and the rest come from TLS_SUITE_TABLE above.

# tls_init BUILD_DIR: sets BUILD, SRC, DATA, BIN, TMP, PYTHON; checks the tools; installs the
# cleanup trap.
tls_init() {
    BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
    SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    DATA="$SRC/tests/data"
    BIN="$BUILD/bin"
    local t
    # Debian's python3 (its ssl module is the system OpenSSL); not a pyenv shim, which costs a
    # second per start.
    PYTHON=/usr/bin/python3
    [ -x "$PYTHON" ] || PYTHON=$(command -v python3) || { echo "FAIL: python3 not found"; exit 1; }
    for t in openssl curl timeout ss od cmp; do
        command -v "$t" >/dev/null || { echo "FAIL: $t not found (scripts/install-deps.sh)"; exit 1; }
    done
    for t in sslref-server sslref-client; do
        [ -x "$BIN/$t" ] || { echo "FAIL: $BIN/$t not built"; exit 1; }
    done
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/sslref-tls.XXXXXX")
    trap tls_cleanup EXIT
    trap 'exit 130' INT TERM
}

# tls_cleanup: interop_cleanup, but with TLS_KEEP_TMP=1 the temp dir (logs, peer outputs) stays.
tls_cleanup() {
    if [ "${TLS_KEEP_TMP:-0}" = 1 ]; then
        echo "kept $TMP"
        local kept_tmp=$TMP
        TMP=
        interop_cleanup
        TMP=$kept_tmp
    else
        interop_cleanup
    fi
}

# tls_suite_name HEX: OpenSSL's name of the suite (empty for one not in TLS_SUITE_TABLE).
tls_suite_name() {
    [ -z "$1" ] || echo "${TLS_OSSL[$1]:-}"
}

# tls_suite_hex NAME: the reverse of tls_suite_name (empty when unknown).
tls_suite_hex() {
    [ -n "$1" ] && echo "${TLS_HEX[$1]:-}"
}

# tls_suite_tls12 HEX: true for the suites defined for TLS 1.2 only (AEAD, SHA-256/384 MACs).
tls_suite_tls12() {
    [ -n "$1" ] && [ "${TLS_VERS[$1]:-}" = 12 ]
}

# tls_suite_cbc HEX: true for the CBC suites (encrypt-then-MAC applies to them).
tls_suite_cbc() {
    [ -n "$1" ] && [[ ${TLS_GT_CIPHER[$1]:-} == *-CBC ]]
}

# tls_suite_weak HEX: 3DES, which OpenSSL 3.0 allows only at security level 0.
tls_suite_weak() {
    case $1 in 000a | 0016) return 0 ;; esac
    return 1
}

# tls_openssl_suites: the suites of TLS_SUITES this OpenSSL knows at all (Debian builds without
# the weak ciphers, so 3DES is usually missing), as hex.
tls_openssl_suites() {
    local have h
    have=$(openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' 2>/dev/null |
        sed -n 's/^ *0x\(..\),0x\(..\) .*/\1\2/p' | tr 'A-F' 'a-f')
    for h in $TLS_SUITES; do
        echo "$have" | grep -qx "$h" && echo "$h"
    done
}

# tls_ossl_proto V: OpenSSL's name of version V (tls1.0|tls1.1|tls1.2), as s_client prints it.
tls_ossl_proto() {
    case $1 in tls1.0) echo TLSv1 ;; tls1.1) echo TLSv1.1 ;; tls1.2) echo TLSv1.2 ;; esac
}

# tls_ossl_flag V: the s_client/s_server flag of version V.
tls_ossl_flag() {
    case $1 in tls1.0) echo -tls1 ;; tls1.1) echo -tls1_1 ;; tls1.2) echo -tls1_2 ;; esac
}

# tls_sslref_proto NAME: sslref's version= word for OpenSSL's protocol name (TLSv1 -> TLS1.0).
tls_sslref_proto() {
    case $1 in TLSv1) echo TLS1.0 ;; TLSv1.1) echo TLS1.1 ;; TLSv1.2) echo TLS1.2 ;; *) echo "?" ;; esac
}

# tls_start_peer LOG WHAT CMD...: start a peer server CMD (stdout+stderr to LOG) that prints
# "listening on ADDR:PORT" (python) or listens on the port WHAT names ("port=N", for openssl
# s_server given -accept N); sets PEER_PID and PEER_PORT. Returns 1 if it did not come up.
tls_start_peer() {
    local log=$1 what=$2 i
    shift 2
    "$@" >"$log" 2>&1 &
    PEER_PID=$!
    INTEROP_PIDS+=("$PEER_PID")
    PEER_PORT=
    if [ "${what#port=}" != "$what" ]; then
        wait_listen "${what#port=}" "$PEER_PID" && PEER_PORT=${what#port=} && return 0
        return 1
    fi
    for i in $(seq 1 100); do
        PEER_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$log")
        [ -n "$PEER_PORT" ] && return 0
        kill -0 "$PEER_PID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

# tls_start_s_server LOG ARGS...: openssl s_server -accept on a free port with ARGS, retried on
# another port if it does not come up (a port race); sets PEER_PID and PEER_PORT.
tls_start_s_server() {
    local log=$1 try p
    shift
    for try in 1 2 3; do
        [ "$try" -gt 1 ] && echo "openssl s_server: retry on another port" >&2
        p=$(free_port) || return 1
        tls_start_peer "$log" "port=$p" openssl s_server -accept "127.0.0.1:$p" "$@" && return 0
        stop_pid "$PEER_PID" KILL
    done
    echo "FAIL: openssl s_server did not start:"
    show "$log"
    return 1
}

# tls_make_cert DIR CN: a fresh RSA 2048 key and a cert CN=CN (SAN DNS:CN) issued by the test CA;
# writes DIR/CN-key.pem and DIR/CN-chain.pem (cert then CA).
tls_make_cert() {
    local dir=$1 cn=$2
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/$cn-key.pem" 2>/dev/null &&
        openssl req -new -key "$dir/$cn-key.pem" -subj "/CN=$cn" -out "$dir/$cn.csr" 2>/dev/null &&
        printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' \
            "$cn" >"$dir/$cn.ext" &&
        openssl x509 -req -in "$dir/$cn.csr" -CA "$DATA/ca-cert.pem" -CAkey "$DATA/ca-key.pem" \
            -set_serial "$((1000 + RANDOM))" -sha256 -days 2 -extfile "$dir/$cn.ext" \
            -out "$dir/$cn-cert.pem" 2>/dev/null &&
        cat "$dir/$cn-cert.pem" "$DATA/ca-cert.pem" >"$dir/$cn-chain.pem"
}

# tls_run_jobs N FUNC ARG...: run FUNC ARG for each ARG as a background job, at most N at a time,
# each job's output into $TMP/job-FUNC-ARG.res (ARG with spaces turned into _); waits for all.
# FUNC's words are split, so an ARG may carry several words.
tls_run_jobs() {
    local n=$1 func=$2 a p running live=() mine=()
    shift 2
    for a in "$@"; do
        while :; do # the servers are jobs too: count and wait for this function's own only
            live=()
            running=" $(jobs -rp | tr '\n' ' ') " # bash's own list: no pid-reuse confusion
            for p in "${mine[@]}"; do
                case $running in *" $p "*) live+=("$p") ;; esac
            done
            [ "${#live[@]}" -lt "$n" ] && break
            wait -n "${live[@]}" 2>/dev/null || true
        done
        # shellcheck disable=SC2086
        "$func" $a >"$TMP/job-$func-${a// /_}.res" 2>&1 &
        mine+=($!)
    done
    for p in "${mine[@]}"; do wait "$p" 2>/dev/null; done
}

# tls_tally: read PASS:/FAIL: lines on stdin and count them (pass/fail); other lines are printed.
# Returns 1 if there was none. Use with a redirection (tls_tally <file, < <(cmd)), not a pipe.
tls_tally() {
    local line any=1
    while IFS= read -r line; do
        case $line in
        "PASS: "*) pass "${line#PASS: }"; any=0 ;;
        "FAIL: "*) fail "${line#FAIL: }"; any=0 ;;
        *) echo "$line" ;;
        esac
    done
    return $any
}

# tls_collect FUNC ARG...: print the results of tls_run_jobs FUNC ARG... and count them; a job
# that printed no PASS/FAIL line fails.
tls_collect() {
    local func=$1 a
    shift
    for a in "$@"; do
        tls_tally <"$TMP/job-$func-${a// /_}.res" || fail "$func $a: no result (the case did not run)"
    done
}

# tls_log_check LOG SID VERSION HEX [WORD]: true if sslref-server's LOG shows session SID (hex)
# once as a full handshake and once resumed, both "version=VERSION cipher=0xHEX" (and both with
# WORD, e.g. alpn=http/1.1); otherwise prints that session's log lines and is false.
tls_log_check() {
    local log=$1 sid=$2 want="^version=$3 cipher=0x$4 .* resumed=" word=${5:-} lines r
    lines=$(grep "session=${sid:-none}\$" "$log")
    if [ -n "$sid" ]; then
        for r in no yes; do
            [ "$(echo "$lines" | grep "${want}$r " | grep -cF -- "$word")" = 1 ] || break
            [ $r = yes ] && return 0
        done
    fi
    echo "  | server log for session '$sid' (want $want{no,yes} $word):"
    echo "$lines" | sed '/^$/d; s/^/  | /'
    return 1
}

# tls_openssl_pairs: "VERSION HEX" lines, every suite this OpenSSL has at every version of
# tls1.0 tls1.1 tls1.2 the suite is defined for; says on stderr which suites it lacks.
tls_openssl_pairs() {
    local have v h missing=
    have=" $(tls_openssl_suites | tr '\n' ' ') "
    for h in $TLS_SUITES; do
        case $have in *" $h "*) ;; *) missing="$missing $h" ;; esac
    done
    [ -z "$missing" ] || echo "not in this OpenSSL ($(openssl version | cut -d' ' -f2)), not run:$missing" >&2
    for v in tls1.0 tls1.1 tls1.2; do
        for h in $have; do
            [ "$v" != tls1.2 ] && tls_suite_tls12 "$h" && continue
            echo "$v $h"
        done
    done
}

# tls_server_ok TAG PID LOG: before the test stops the sslref-server PID itself, print PASS/FAIL:
# it must still run and must not have printed its final stats line yet (a SIGTERM from outside,
# e.g. another test's cleanup killing a reused pid, would explain refused connections).
tls_server_ok() {
    if kill -0 "$2" 2>/dev/null && ! grep -q '^stats:' "$3"; then
        echo "PASS: $1: sslref-server ran through all the cases"
    else
        echo "FAIL: $1: sslref-server (pid $2) stopped before the test stopped it"
        tail -5 "$3" | sed 's/^/  | /'
    fi
}

# tls_sanitizer_sweep: under an ASan/UBSan build, any sanitizer report that sslref-server or
# sslref-client wrote into the test's logs fails the test (one line per file).
tls_sanitizer_sweep() {
    local f
    while IFS= read -r f; do
        fail "sanitizer report in ${f#"$TMP"/}"
        grep -m3 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | sed 's/^/  | /'
    done < <(grep -rlE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TMP" 2>/dev/null)
}

#!/bin/bash
# test_tls_tickets.sh - RFC 5077 session tickets at TLS 1.2 between sslref and real peers, both
# directions, each case a full handshake then one resumed by ticket, checked from the peer's own
# output (and from sslref's log lines: resumed=, via=ticket|id, the suite and the group).
#  A. One sslref-server --tickets on (RSA + P-256 certificates, c02f c02b cca8 009c, --cache: the
#     ticket keys come from the cache's key ring) against:
#     - openssl s_client -sess_out / -sess_in: "New, TLSv1.2, Cipher is X", "TLS session ticket
#       lifetime hint: 86400 (seconds)", the "Server Temp Key", then "Reused, TLSv1.2, Cipher is X";
#     - gnutls-cli --resume -d 4: "*** This is a resumed session", one "NEW SESSION TICKET" received,
#       the first ClientHello's Session Ticket extension empty and the second one's not;
#     - Python's ssl client (a snippet in this script): session.has_ticket, the lifetime hint,
#       session_reused, and its local ports (the server's lines are matched by from=PORT);
#     - NSS tstclnt -u -L 2 and strsclnt -u -c 2: NSS's "1 stateless resumes";
#     - curl, two URLs in one invocation: curl 7.88's OpenSSL backend sets SSL_OP_NO_TICKET (it never
#       offers the extension), so these cases check that curl is given no ticket ("Newsession
#       Ticket" absent from its -v trace) and resumes by session ID (via=id) on the ticket server.
#     These cases run one after the other (one lane): a case's server lines are the part of the log
#     written while it ran (ticket resumption may change the session ID, so lines are not matched by
#     it; for Python and curl, also their local ports); there must be exactly one full line and one
#     resumed line with the right via=.
#  A'. Renewal (its own server, --ticket-rotate 2): s_client and the Python client wait for the next
#     key period before resuming: the old ticket still opens and is renewed in the abbreviated
#     handshake (s_client prints a ticket under another key name); Python resumes once more.
#  B. sslref-client --resume 1 against ticket-issuing servers, the client's lines saying resumed=no
#     via=- then resumed=yes via=ticket, and the server agreeing:
#     - openssl s_server -www: its page says "New" then "Reused, TLSv1.2, Cipher is X", its session
#       cache hits grow by one and it holds "0 items in the session cache" (an OpenSSL server that
#       sends a ticket gives an empty session ID and caches nothing: the reuse was the ticket's);
#     - gnutls-serv --nodb (no resumption database: only a ticket can resume) "*** This is a
#       resumed session";
#     - Python's ssl server (tls_peer.py server, the same OpenSSL: only the ticket can resume) says
#       reused=yes;
#     - NSS selfserv -u (RSA, and -e with the P-256 certificate): its "stateless resumes" grow by one.
#  C. Negative cases: sslref-server --tickets off gives s_client no ticket (no "TLS session ticket"
#     in its output) and still resumes it by ID (via=id); a ticket of the main server offered to a
#     second sslref-server (another ticket key) gets a full handshake, a fresh ticket and no error;
#     gnutls-serv --nodb --noticket does not resume sslref-client at all (the control of B's
#     gnutls-serv cases: there, only the ticket can have resumed).
# Every case that cannot run fails; the number of cases is checked at the end.
# Usage: bash tests/interop/test_tls_tickets.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
for t in openssl gnutls-cli gnutls-serv curl stdbuf; do
    command -v "$t" >/dev/null || { echo "FAIL: $t not found (scripts/install-deps.sh)"; exit 1; }
done
PYTHON=/usr/bin/python3 # Debian's (the system OpenSSL), not a pyenv shim
[ -x "$PYTHON" ] || PYTHON=$(command -v python3) || { echo "FAIL: python3 not found"; exit 1; }
interop_init "$1"
trap tls_cleanup EXIT # (TLS_KEEP_TMP=1 keeps the logs and the peers' outputs)
tlsp_init
nss_make_ec_db "$TMP/nssdb-ec256" ec256 || { echo "FAIL: NSS database with the P-256 certificate"; exit 1; }

SUITES=c02f,c02b,cca8,009c
HINT=86400 # sslref-server's session lifetime, sent as the ticket lifetime hint
# The cases: "SUITE GROUP" (GROUP: sslref's word, - for the RSA key exchange). c02b needs the
# P-256 certificate, so its client lists P-256 too (the server then picks its first: x25519).
PAIRS=("c02f x25519" "c02f p256" "c02b x25519" "cca8 p256" "009c -")
# the names of the groups per peer
declare -A OSSL_G=([x25519]=X25519 [p256]=P-256)
declare -A TEMPKEY=([x25519]="X25519, 253 bits" [p256]="ECDH, prime256v1, 256 bits")

# client_groups SUITE GROUP: the groups a client lists for the case (sslref's words, comma-separated)
client_groups() {
    if [ "$2" = - ]; then echo -; elif [ "${TLS_CERT[$1]}" = ecdsa ] && [ "$2" = x25519 ]; then
        echo x25519,p256
    else echo "$2"; fi
}

# srv_lines LOG OFFSET OUT N: wait (up to 5 s) until LOG holds N "version=" lines after OFFSET;
# the segment goes to OUT.
srv_lines() {
    local n l
    for _ in {1..50}; do
        tls_log_since "$1" "$2" "$3"
        n=0
        while IFS= read -r l; do [[ $l == version=* ]] && n=$((n + 1)); done <"$3"
        [ "$n" -ge "$4" ] && return 0
        sleep 0.1
    done
    return 0
}

# srv_check SEG SUITE GROUP VIA: the server's segment SEG has no error line and exactly two
# handshake lines: TLS 1.2, SUITE and GROUP both, one full (via=-) and one resumed via VIA.
srv_check() {
    local seg=$1 s=$2 g=$3 via=$4 pre
    pre="version=TLS1.2 cipher=0x$s [A-Z_0-9]* resumed="
    tls_expect "sslref-server: error lines" tls_lines_with 0 "$seg" "error="
    tls_expect "sslref-server: want 2 handshake lines" tls_lines_with 2 "$seg" "version="
    tls_expect "sslref-server: want 1 full handshake, 0x$s group=$g via=-" \
        [ "$(grep -c "^${pre}no .* group=$g via=- " "$seg")" = 1 ]
    tls_expect "sslref-server: want 1 resumption, 0x$s group=$g via=$via" \
        [ "$(grep -c "^${pre}yes .* group=$g via=$via " "$seg")" = 1 ]
    [ $TLS_BAD -eq 0 ] || show "$seg"
}

# ---- A. peers as clients of the main sslref-server (lane "srv") ----

# ossl_sess PORT SESS_ARG SESS_FILE REQ OUT SUITE GROUPS: one s_client connection sending REQ.
ossl_sess() {
    local gargs=()
    [ "$7" != - ] && gargs=(-groups "$7")
    timeout 15 openssl s_client -connect "127.0.0.1:$1" -servername localhost -tls1_2 \
        -cipher "${TLS_OSSL[$6]}" "${gargs[@]}" -CAfile "$DATA/ca-cert.pem" -verify_return_error \
        "$2" "$3" -ign_eof <"$4" >"$5" 2>&1
}

# A. ossl_cli_case SUITE GROUP
ossl_cli_case() {
    local s=$1 g=$2 o="$TMP/ossl-$1-$2" off rc gl=- og=- name=${TLS_OSSL[$1]}
    TLS_BAD=0
    gl=$(client_groups "$s" "$g")
    [ "$gl" != - ] && og=$(echo "$gl" | sed 's/x25519/X25519/; s/p256/P-256/; s/,/:/')
    tls_request "$o.req" "s_client-$s-$g" 200
    tls_read "$TMP/srv.log"
    off=${#TLS_TEXT}
    ossl_sess "$SRV_PORT" -sess_out "$o.sess" "$o.req" "$o.1" "$s" "$og"
    rc=$?
    tls_expect "s_client (full) exit $rc" [ $rc -eq 0 ]
    ossl_sess "$SRV_PORT" -sess_in "$o.sess" "$o.req" "$o.2" "$s" "$og"
    rc=$?
    tls_expect "s_client (resumed) exit $rc" [ $rc -eq 0 ]
    tls_expect "s_client: want 'New, TLSv1.2, Cipher is $name'" tls_lines 1 "$o.1" "New, TLSv1.2, Cipher is $name"
    tls_expect "s_client: want 'Reused, TLSv1.2, Cipher is $name'" \
        tls_lines 1 "$o.2" "Reused, TLSv1.2, Cipher is $name"
    for f in "$o.1" "$o.2"; do
        tls_expect "s_client ${f##*.}: want '    Protocol  : TLSv1.2'" tls_lines 1 "$f" "    Protocol  : TLSv1.2"
        tls_expect "s_client ${f##*.}: want '    Cipher    : $name'" tls_lines 1 "$f" "    Cipher    : $name"
        tls_expect "s_client ${f##*.}: want the ticket's lifetime hint $HINT" \
            tls_lines 1 "$f" "    TLS session ticket lifetime hint: $HINT (seconds)"
        tls_expect "s_client ${f##*.}: no 'Verify return code: 0 (ok)'" tls_lines_with 1 "$f" "Verify return code: 0 (ok)"
        tls_expect "s_client ${f##*.}: the answer (the request echoed)" tls_lines_with 1 "$f" "GET /s_client-$s-$g HTTP/1.0"
    done
    [ "$g" != - ] && tls_expect "s_client: want 'Server Temp Key: ${TEMPKEY[$g]}'" \
        tls_lines 1 "$o.1" "Server Temp Key: ${TEMPKEY[$g]}"
    srv_lines "$TMP/srv.log" "$off" "$o.seg" 2
    srv_check "$o.seg" "$s" "$g" ticket
    [ $TLS_BAD -eq 0 ] || show "$o.1" "$o.2"
    return $TLS_BAD
}

# A. gnutls_cli_case SUITE GROUP
gnutls_cli_case() {
    local s=$1 g=$2 o="$TMP/gnutls-cli-$1-$2" off rc gl prio grp=
    TLS_BAD=0
    gl=$(client_groups "$s" "$g")
    if [ "$gl" != - ]; then
        grp=":-GROUP-ALL:+GROUP-$(echo "$gl" | sed 's/x25519/X25519/; s/p256/SECP256R1/; s/,/:+GROUP-/')"
    fi
    prio="NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+${TLS_GT_CIPHER[$s]}:-MAC-ALL:+${TLS_GT_MAC[$s]}"
    prio+=":-KX-ALL:+${TLS_GT_KX[$s]}$grp"
    tls_request "$o.req" "gnutls-cli-$s-$g" 2000
    tls_sslref_answer >"$o.want"
    tls_read "$TMP/srv.log"
    off=${#TLS_TEXT}
    timeout 20 gnutls-cli -d 4 -V --resume --port "$SRV_PORT" --x509cafile "$DATA/ca-cert.pem" \
        --priority "$prio" --logfile "$o.log" localhost <"$o.req" >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "gnutls-cli exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.out" "answer"
    tls_expect "gnutls-cli: want 1 x '- Handshake was completed'" tls_lines 1 "$o.log" "- Handshake was completed"
    tls_expect "gnutls-cli: want 1 x '- Resume Handshake was completed'" \
        tls_lines 1 "$o.log" "- Resume Handshake was completed"
    tls_expect "gnutls-cli: want 1 x '*** This is a resumed session'" \
        tls_lines 1 "$o.log" "*** This is a resumed session"
    tls_expect "gnutls-cli: want 2 x '- Version: TLS1.2'" tls_lines 2 "$o.log" "- Version: TLS1.2"
    tls_expect "gnutls-cli: want 2 x '- Cipher: ${TLS_GT_CIPHER[$s]}'" tls_lines 2 "$o.log" "- Cipher: ${TLS_GT_CIPHER[$s]}"
    [ "$g" != - ] && tls_expect "gnutls-cli: want 2 handshakes on (ECDHE-${TLS_G_GNUTLS[$g]})" \
        tls_lines_with 2 "$o.log" "-(ECDHE-${TLS_G_GNUTLS[$g]})-"
    # its debug trace: the ticket came in the full handshake and went back in the second hello
    tls_expect "gnutls-cli -d 4: want 1 NewSessionTicket received" \
        tls_lines_with 1 "$o.err" "NEW SESSION TICKET (4) was received"
    tls_expect "gnutls-cli -d 4: want 1 empty Session Ticket extension sent (the first hello)" \
        tls_lines_with 1 "$o.err" "Sending extension Session Ticket/35 (0 bytes)"
    tls_expect "gnutls-cli -d 4: want 1 Session Ticket extension with the ticket (the second hello)" \
        [ "$(grep -cE 'Sending extension Session Ticket/35 \([1-9][0-9]* bytes\)' "$o.err")" = 1 ]
    srv_lines "$TMP/srv.log" "$off" "$o.seg" 2
    srv_check "$o.seg" "$s" "$g" ticket
    [ $TLS_BAD -eq 0 ] || { show "$o.log"; grep -i 'ticket' "$o.err" | head -20; }
    return $TLS_BAD
}

# The Python client: two connections, the second offering the first one's session (which holds
# the ticket); one line per connection from Python's own view, with its local port.
cat >"$TMP/py_client.py" <<'EOF'
import socket, ssl, sys, time, warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
port, cipher, send, out, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
conns = int(sys.argv[6]) if len(sys.argv) > 6 else 2
period = int(sys.argv[7]) if len(sys.argv) > 7 else 0  # after the first: wait for the next period
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.set_ciphers(cipher)
req = open(send, "rb").read()
sess, rc = None, 0
for n in range(conns):
    if n == 1 and period:
        t = int(time.time()) // period
        while int(time.time()) // period == t:
            time.sleep(0.05)
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    lport = raw.getsockname()[1]
    s = ctx.wrap_socket(raw, server_hostname="localhost", session=sess)
    s.sendall(req)
    got = bytearray()
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            got += c
    except (ssl.SSLError, OSError) as e:
        print("conn=%d read error: %r" % (n, e))
        rc = 1
    x = s.session
    print("conn=%d port=%d version=%s cipher=%s reused=%s has_ticket=%s hint=%d" % (
        n, lport, s.version(), s.cipher()[0], "yes" if s.session_reused else "no",
        "yes" if x is not None and x.has_ticket else "no",
        x.ticket_lifetime_hint if x is not None else -1), flush=True)
    with open("%s.%d" % (out, n), "wb") as f:
        f.write(bytes(got))
    sess = x
    s.close()
sys.exit(rc)
EOF

# A. python_cli_case SUITE GROUP: the groups through an OpenSSL configuration's Groups line.
python_cli_case() {
    local s=$1 g=$2 o="$TMP/py-$1-$2" rc gl p0 p1 off name=${TLS_OSSL[$1]} env=()
    TLS_BAD=0
    gl=$(client_groups "$s" "$g")
    if [ "$gl" != - ]; then
        printf 'openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nGroups = %s\n' \
            "$(echo "$gl" | sed 's/x25519/X25519/; s/p256/P-256/; s/,/:/')" >"$o.cnf"
        env=(env "OPENSSL_CONF=$o.cnf")
    fi
    tls_request "$o.req" "python-$s-$g" 2000
    tls_sslref_answer >"$o.want"
    tls_read "$TMP/srv.log"
    off=${#TLS_TEXT}
    "${env[@]}" timeout 20 "$PYTHON" "$TMP/py_client.py" "$SRV_PORT" "$name" "$o.req" "$o.ans" \
        "$DATA/ca-cert.pem" >"$o.out" 2>&1
    rc=$?
    tls_expect "python exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.ans.0" "answer 0"
    tls_same "$o.want" "$o.ans.1" "answer 1"
    tls_expect "python: conn 0 not a full handshake with a ticket (hint $HINT)" \
        [ "$(grep -cE "^conn=0 port=[0-9]+ version=TLSv1.2 cipher=$name reused=no has_ticket=yes hint=$HINT$" "$o.out")" = 1 ]
    tls_expect "python: conn 1 not resumed from the session holding the ticket" \
        [ "$(grep -cE "^conn=1 port=[0-9]+ version=TLSv1.2 cipher=$name reused=yes has_ticket=yes hint=$HINT$" "$o.out")" = 1 ]
    p0=$(sed -n 's/^conn=0 port=\([0-9]*\) .*/\1/p' "$o.out")
    p1=$(sed -n 's/^conn=1 port=\([0-9]*\) .*/\1/p' "$o.out")
    # the server's lines of these two connections, by Python's local ports
    srv_lines "$TMP/srv.log" "$off" "$o.all" 2
    grep -E " from=127\.0\.0\.1:(${p0:-x}|${p1:-x}) " "$o.all" >"$o.seg"
    srv_check "$o.seg" "$s" "$g" ticket
    tls_expect "sslref-server: port $p0's line is not the full handshake" \
        [ "$(grep -c "resumed=no .* from=127.0.0.1:$p0 " "$o.seg")" = 1 ]
    tls_expect "sslref-server: port $p1's line is not the resumption" \
        [ "$(grep -c "resumed=yes .* via=ticket from=127.0.0.1:$p1 " "$o.seg")" = 1 ]
    [ $TLS_BAD -eq 0 ] || show "$o.out"
    return $TLS_BAD
}

# A. curl_case SUITE GROUP: two URLs, the second connection offering the first one's session.
curl_case() {
    local s=$1 g=$2 o="$TMP/curl-$1-$2" rc cv=() p0 p1 off name=${TLS_OSSL[$1]}
    TLS_BAD=0
    tls_read "$TMP/srv.log"
    off=${#TLS_TEXT}
    [ "$g" != - ] && cv=(--curves "${OSSL_G[$g]}")
    timeout 20 curl -sS -v --http1.1 --tlsv1.2 --tls-max 1.2 --ciphers "$name" "${cv[@]}" \
        --cacert "$DATA/ca-cert.pem" -w 'local_port=%{local_port}\n' \
        "https://localhost:$SRV_PORT/curl-$s-$g-1" "https://localhost:$SRV_PORT/curl-$s-$g-2" \
        >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "curl exit $rc" [ $rc -eq 0 ]
    tls_expect "curl: the answers" [ "$(grep -c "^GET /curl-$s-$g-[12] HTTP/1.1" "$o.out")" = 2 ]
    tls_expect "curl: want 2 x 'SSL connection using TLSv1.2 / $name'" \
        tls_lines 2 "$o.err" "* SSL connection using TLSv1.2 / $name"
    tls_expect "curl: want 1 x 'SSL re-using session ID'" tls_lines 1 "$o.err" "* SSL re-using session ID"
    tls_expect "curl: want 1 Certificate message (the full handshake only)" \
        tls_lines_with 1 "$o.err" "TLS handshake, Certificate (11)"
    tls_expect "curl: it was given a ticket (it offers none: SSL_OP_NO_TICKET)" \
        tls_lines_with 0 "$o.err" "Newsession Ticket"
    p0=$(sed -n '1,/^local_port=/s/^local_port=//p' "$o.out")
    p1=$(grep '^local_port=' "$o.out" | sed -n '2s/^local_port=//p')
    srv_lines "$TMP/srv.log" "$off" "$o.all" 2
    grep -E " from=127\.0\.0\.1:(${p0:-x}|${p1:-x}) " "$o.all" >"$o.seg"
    srv_check "$o.seg" "$s" "$g" id
    tls_expect "sslref-server: port $p1's line is not the resumption by ID" \
        [ "$(grep -c "resumed=yes .* via=id from=127.0.0.1:$p1 " "$o.seg")" = 1 ]
    [ $TLS_BAD -eq 0 ] || grep -E '^\* ' "$o.err" | head -40
    return $TLS_BAD
}

# nss_hs N FILE PROG SUITE GROUP: PROG printed N handshakes at TLS 1.2 with SUITE over GROUP.
nss_hs() {
    local n=$1 f=$2 p=$3 s=$4 g=$5 auth="2048-bit RSA" bits=2048
    [ "${TLS_CERT[$s]}" = ecdsa ] && auth="256-bit ECDSA"
    [ "$g" != - ] && bits=${TLS_G_NSSBITS[$g]}
    tls_expect "$p: want $n x 'SSL version 3.3 using ${TLS_NSS_CIPHER[$s]}'" \
        tls_lines "$n" "$f" "$p: SSL version 3.3 using ${TLS_NSS_CIPHER[$s]}"
    tls_expect "$p: other handshakes printed" tls_lines_with "$n" "$f" "SSL version"
    tls_expect "$p: want $n x 'Server Auth: $auth, Key Exchange: $bits-bit ${TLS_KX[$s]}'" \
        tls_lines "$n" "$f" "$p: Server Auth: $auth, Key Exchange: $bits-bit ${TLS_KX[$s]}"
}

# A. tstclnt_case NSS_GROUP GROUP: tstclnt -u -L 2 -I NSS_GROUP (tstclnt 3.87 aborts when -c and -L
# are combined, so the server's order picks the suite: c02f).
tstclnt_case() {
    local o="$TMP/tstclnt-$2" off rc
    TLS_BAD=0
    tls_request "$o.req" "tstclnt-$2" 2000
    tls_sslref_answer 2 >"$o.want"
    tls_read "$TMP/srv.log"
    off=${#TLS_TEXT}
    timeout 20 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -V tls1.2:tls1.2 -u -I "$1" -L 2 -o -v \
        -A "$o.req" >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "tstclnt exit $rc" [ $rc -eq 0 ]
    tls_same "$o.want" "$o.out" "the two answers"
    nss_hs 2 "$o.err" tstclnt c02f "$2"
    tls_expect "tstclnt: want a miss, then a hit" [ "$(grep 'cache hits;' "$o.err" | tr '\n' '|')" = \
        "0 cache hits; 1 cache misses, 0 cache not reusable|1 cache hits; 1 cache misses, 0 cache not reusable|" ]
    tls_expect "tstclnt: want 0 then 1 stateless resumes (the ticket)" \
        [ "$(grep 'stateless resumes' "$o.err" | tr '\n' '|')" = "0 stateless resumes|1 stateless resumes|" ]
    srv_lines "$TMP/srv.log" "$off" "$o.seg" 2
    srv_check "$o.seg" c02f "$2" ticket
    [ $TLS_BAD -eq 0 ] || grep -v 'PR_Poll\|about to call' "$o.err" | head -40
    return $TLS_BAD
}

# A. strsclnt_case SUITE GROUP: strsclnt -u -C :SUITE, two connections from one thread (its
# default groups: the server picks GROUP).
strsclnt_case() {
    local s=$1 g=$2 o="$TMP/strsclnt-$1" off rc
    TLS_BAD=0
    tls_read "$TMP/srv.log"
    off=${#TLS_TEXT}
    timeout 20 strsclnt -p "$SRV_PORT" -d "$DB" -V tls1.2:tls1.2 -C ":$s" -u -o -o -v -c 2 -t 1 \
        127.0.0.1 >"$o.out" 2>&1
    rc=$?
    tls_expect "strsclnt exit $rc" [ $rc -eq 0 ]
    nss_hs 1 "$o.out" strsclnt "$s" "$g"
    tls_expect "strsclnt: want 1 cache hit and 1 miss" \
        tls_lines 1 "$o.out" "strsclnt: 1 cache hits; 1 cache misses, 0 cache not reusable"
    tls_expect "strsclnt: want '1 stateless resumes' (the ticket)" \
        [ "$(grep -c '^ *1 stateless resumes$' "$o.out")" = 1 ]
    tls_expect "strsclnt: want 2 answers" tls_lines_with 2 "$o.out" "bytes total. ---------"
    srv_lines "$TMP/srv.log" "$off" "$o.seg" 2
    srv_check "$o.seg" "$s" "$g" ticket
    [ $TLS_BAD -eq 0 ] || grep -v 'Thread in slot\|Launched thread' "$o.out" | head -30
    return $TLS_BAD
}

# C. other_key_case: s_client's session (with a ticket) from the main server, offered to the second
# server: a full handshake there, no failure, a ticket of its own.
other_key_case() {
    local o="$TMP/other-key" off rc
    TLS_BAD=0
    tls_request "$o.req" other-key 200
    tls_read "$TMP/srv2.log"
    off=${#TLS_TEXT}
    ossl_sess "$SRV_PORT" -sess_out "$o.sess" "$o.req" "$o.1" c02f X25519
    rc=$?
    tls_expect "s_client (main server) exit $rc" [ $rc -eq 0 ]
    tls_expect "s_client: want a ticket from the main server (lifetime hint $HINT)" \
        tls_lines 1 "$o.1" "    TLS session ticket lifetime hint: $HINT (seconds)"
    ossl_sess "$SRV2_PORT" -sess_in "$o.sess" "$o.req" "$o.2" c02f X25519
    rc=$?
    tls_expect "s_client (second server) exit $rc" [ $rc -eq 0 ]
    tls_expect "s_client: want 'New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256' on the second server" \
        tls_lines 1 "$o.2" "New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"
    tls_expect "s_client: the second server's own ticket (lifetime hint $HINT)" \
        tls_lines 1 "$o.2" "    TLS session ticket lifetime hint: $HINT (seconds)"
    tls_expect "s_client: the answer" tls_lines_with 1 "$o.2" "GET /other-key HTTP/1.0"
    srv_lines "$TMP/srv2.log" "$off" "$o.seg" 1
    tls_expect "second sslref-server: error lines" tls_lines_with 0 "$o.seg" "error="
    tls_expect "second sslref-server: want exactly 1 line, a full handshake" \
        [ "$(grep -c '^version=' "$o.seg"):$(grep -c '^version=TLS1.2 cipher=0xc02f .* resumed=no .* via=- ' "$o.seg")" = 1:1 ]
    [ $TLS_BAD -eq 0 ] || show "$o.1" "$o.2" "$o.seg"
    return $TLS_BAD
}

# A'. rotation_case: a server with --ticket-rotate $ROT: s_client and the Python client make a
# session, wait for the next key period and resume: the ticket, sealed under the previous key,
# still opens and is renewed in the abbreviated handshake (s_client prints the new ticket, its key
# name not the old one's); Python then resumes a third time with the renewed session.
ROT=2
rotation_case() {
    local o="$TMP/rot" rc t1 t2 p
    TLS_BAD=0
    tls_request "$o.req" rotation 200
    ossl_sess "$ROT_PORT" -sess_out "$o.sess" "$o.req" "$o.1" c02f X25519
    rc=$?
    tls_expect "s_client (full) exit $rc" [ $rc -eq 0 ]
    p=$(($(date +%s) / ROT))
    while [ $(($(date +%s) / ROT)) -eq $p ]; do sleep 0.05; done
    ossl_sess "$ROT_PORT" -sess_in "$o.sess" "$o.req" "$o.2" c02f X25519
    rc=$?
    tls_expect "s_client (resumed) exit $rc" [ $rc -eq 0 ]
    tls_expect "s_client: want 'New' then 'Reused'" \
        [ "$(grep -hE '^(New|Reused), ' "$o.1" "$o.2" | tr '\n' '|')" = "New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256|Reused, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256|" ]
    # the first 16 bytes of the ticket (sslref's key name) as s_client prints them
    t1=$(sed -n '/TLS session ticket:/{n;p}' "$o.1" | cut -c14-60)
    t2=$(sed -n '/TLS session ticket:/{n;p}' "$o.2" | cut -c14-60)
    tls_expect "s_client: no ticket printed (before '$t1', after '$t2')" [ -n "$t1" ]
    tls_expect "s_client: no ticket printed after resuming" [ -n "$t2" ]
    tls_expect "s_client: no renewed ticket under another key name (before '$t1', after '$t2')" \
        [ "$t1" != "$t2" ]
    srv_lines "$TMP/srv-rot.log" 0 "$o.seg" 2
    srv_check "$o.seg" c02f x25519 ticket
    # Python: full, next period, resumed (renewed), resumed again with the renewed session
    "$PYTHON" "$TMP/py_client.py" "$ROT_PORT" ECDHE-RSA-AES128-GCM-SHA256 "$o.req" "$o.py" \
        "$DATA/ca-cert.pem" 3 "$ROT" >"$o.py.out" 2>&1
    rc=$?
    tls_expect "python exit $rc" [ $rc -eq 0 ]
    tls_expect "python: want reused=no, yes, yes, each session with a ticket" \
        [ "$(sed -n 's/^conn=[0-9] port=[0-9]* version=TLSv1.2 cipher=ECDHE-RSA-AES128-GCM-SHA256 reused=\([a-z]*\) has_ticket=yes .*/\1/p' "$o.py.out" | tr '\n' ' ')" = "no yes yes " ]
    tls_expect "sslref-server: want 2 more resumptions by ticket (python)" \
        [ "$(grep -c 'resumed=yes .* via=ticket ' "$TMP/srv-rot.log")" = 3 ]
    [ $TLS_BAD -eq 0 ] || show "$o.1" "$o.2" "$o.py.out" "$TMP/srv-rot.log"
    return $TLS_BAD
}

# C. tickets_off_case: s_client full then -sess_in against sslref-server --tickets off.
tickets_off_case() {
    local o="$TMP/off" rc f
    TLS_BAD=0
    tls_request "$o.req" tickets-off 200
    ossl_sess "$OFF_PORT" -sess_out "$o.sess" "$o.req" "$o.1" c02f X25519
    rc=$?
    tls_expect "s_client (full) exit $rc" [ $rc -eq 0 ]
    ossl_sess "$OFF_PORT" -sess_in "$o.sess" "$o.req" "$o.2" c02f X25519
    rc=$?
    tls_expect "s_client (resumed) exit $rc" [ $rc -eq 0 ]
    tls_expect "s_client: want 'New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256'" \
        tls_lines 1 "$o.1" "New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"
    tls_expect "s_client: want 'Reused, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256'" \
        tls_lines 1 "$o.2" "Reused, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"
    for f in "$o.1" "$o.2"; do
        tls_expect "s_client ${f##*.}: a session ticket from --tickets off" tls_lines_with 0 "$f" "session ticket"
        tls_expect "s_client ${f##*.}: the answer" tls_lines_with 1 "$f" "GET /tickets-off HTTP/1.0"
    done
    srv_lines "$TMP/srv-off.log" 0 "$o.seg" 2
    srv_check "$o.seg" c02f x25519 id
    [ $TLS_BAD -eq 0 ] || show "$o.1" "$o.2"
    return $TLS_BAD
}

# ---- B. sslref-client against ticket-issuing servers ----

# client_run PORT SUITE GROUP OUT PATH [WANT]: sslref-client --resume 1; its lines must be TLS 1.2
# SUITE (over GROUP), resumed/via as WANT says (default "no/- yes/ticket ": full, then resumed by
# ticket).
client_run() {
    local port=$1 s=$2 g=$3 o=$4 path=$5 want=${6:-"no/- yes/ticket "} gl ga=() rc l pat=
    gl=$(client_groups "$s" "$g")
    [ "$gl" != - ] && ga=(--groups "$gl")
    timeout 30 "$BIN/sslref-client" --host 127.0.0.1 --port "$port" --version tls1.2 --ciphers "$s" \
        "${ga[@]}" --resume 1 --ca "$DATA/ca-cert.pem" --send "GET /$path HTTP/1.0\r\n\r\n" \
        >"$o.out" 2>"$o.err"
    rc=$?
    tls_expect "sslref-client exit $rc" [ $rc -eq 0 ]
    local re="^version=TLS1\.2 cipher=0x$s [A-Z_0-9]+ resumed=([a-z]+) peer=\"CN=localhost\" ems=yes .* group=$g via=([a-z-]+)$"
    while IFS= read -r l; do
        [[ $l =~ $re ]] && pat+="${BASH_REMATCH[1]}/${BASH_REMATCH[2]} "
    done <"$o.err"
    tls_expect "sslref-client: want 0x$s group=$g resumed/via '$want', got '$pat'" [ "$pat" = "$want" ]
    tls_expect "sslref-client: other lines" [ "$(grep -c . "$o.err")" = 2 ]
}

# B. s_server_case SUITE GROUP: the -www page of each connection is what the client prints.
s_server_case() {
    local s=$1 g=$2 o="$TMP/s_server-$1-$2" name=${TLS_OSSL[$1]} h
    TLS_BAD=0
    client_run "$SS_OSSL_PORT" "$s" "$g" "$o" "s_server-$s-$g"
    tls_expect "s_server: want 'New, TLSv1.2, Cipher is $name' then 'Reused, ...'" \
        [ "$(grep -E '^(New|Reused), ' "$o.out" | tr '\n' '|')" = "New, TLSv1.2, Cipher is $name|Reused, TLSv1.2, Cipher is $name|" ]
    h=$(sed -n 's/^ *\([0-9]*\) session cache hits$/\1/p' "$o.out" | tr '\n' ' ')
    tls_expect "s_server: its session cache hits must grow by 1, got '$h'" \
        [ "$(echo "$h" | awk '{print NF == 2 && $2 == $1 + 1}')" = 1 ]
    tls_expect "s_server: want '0 items in the session cache' on both pages (no ID to resume by)" \
        [ "$(grep -c '^ *0 items in the session cache$' "$o.out")" = 2 ]
    [ $TLS_BAD -eq 0 ] || show "$o.err" "$o.out"
    return $TLS_BAD
}

# B. gnutls_serv_case NAME SUITE GROUP [VIA]: gnutls-serv NAME's part of its log while the case ran.
# VIA none: the control server (--noticket): no resumption at all.
gnutls_serv_case() {
    local n=$1 s=$2 g=$3 via=${4:-ticket} log="$TMP/gnutls-serv-$1.log" o="$TMP/gs-$1-$2-$3" off l pat=
    TLS_BAD=0
    tls_read "$log"
    off=${#TLS_TEXT}
    if [ "$via" = none ]; then
        client_run "${GS_PORT[$n]}" "$s" "$g" "$o" "gnutls-serv-$s-$g" "no/- no/- "
    else
        client_run "${GS_PORT[$n]}" "$s" "$g" "$o" "gnutls-serv-$s-$g"
    fi
    for _ in {1..50}; do
        tls_log_since "$log" "$off" "$o.seg"
        [[ $TLS_TEXT == *"- MAC: "*"- MAC: "* ]] && break
        sleep 0.1
    done
    while IFS= read -r l; do
        case $l in
        "* Accepted connection"*) pat+="no " ;;
        "*** This is a resumed session") pat="${pat%no }yes " ;;
        esac
    done <"$o.seg"
    if [ "$via" = none ]; then
        tls_expect "gnutls-serv --noticket: want two full connections, got '$pat'" [ "$pat" = "no no " ]
    else
        tls_expect "gnutls-serv: want a full then a resumed connection, got '$pat'" [ "$pat" = "no yes " ]
    fi
    tls_expect "gnutls-serv: want 2 x '- Version: TLS1.2'" tls_lines 2 "$o.seg" "- Version: TLS1.2"
    tls_expect "gnutls-serv: want 2 x '- Cipher: ${TLS_GT_CIPHER[$s]}'" tls_lines 2 "$o.seg" "- Cipher: ${TLS_GT_CIPHER[$s]}"
    [ "$g" != - ] && tls_expect "gnutls-serv: want 2 x ' - Using curve: ${TLS_G_GNUTLS[$g]}'" \
        tls_lines 2 "$o.seg" " - Using curve: ${TLS_G_GNUTLS[$g]}"
    tls_expect "sslref-client: want 2 answers" [ "$(grep -c '^HTTP/1.0 200 OK' "$o.out")" = 2 ]
    [ $TLS_BAD -eq 0 ] || show "$o.err" "$o.seg"
    return $TLS_BAD
}

# B. python_serv_case SUITE GROUP: tls_peer.py server answers "version=V cipher=C reused=yes|no"
# and prints the same line.
python_serv_case() {
    local s=$1 g=$2 o="$TMP/pys-$1-$2" off name=${TLS_OSSL[$1]}
    TLS_BAD=0
    tls_read "$TMP/pyserv.log"
    off=${#TLS_TEXT}
    client_run "$PYS_PORT" "$s" "$g" "$o" "python-server-$s-$g"
    for _ in {1..50}; do
        tls_log_since "$TMP/pyserv.log" "$off" "$o.seg"
        [ "$(grep -c '^version=' "$o.seg")" -ge 2 ] && break
        sleep 0.1
    done
    tls_expect "python server: want 'reused=no' then 'reused=yes' at TLSv1.2 with $name" \
        [ "$(tr '\n' '|' <"$o.seg")" = "version=TLSv1.2 cipher=$name reused=no|version=TLSv1.2 cipher=$name reused=yes|" ]
    tls_expect "sslref-client: the python server's answers" \
        [ "$(grep -a -c "^version=TLSv1.2 cipher=$name reused=" "$o.out")" = 2 ]
    [ $TLS_BAD -eq 0 ] || show "$o.err" "$o.seg"
    return $TLS_BAD
}

# B. selfserv_case NAME SUITE GROUP: selfserv -u NAME: its cumulative counts grow by 1 hit (and
# no miss) and 1 stateless resume over the case.
selfserv_case() {
    local n=$1 s=$2 g=$3 log="$TMP/selfserv-$1.log" o="$TMP/ss-$1-$2-$3" off l h0=0 m0=0 t0=0 got
    local re='^selfserv: ([0-9]+) cache hits; ([0-9]+) cache misses' rt='^ +([0-9]+) stateless resumes'
    TLS_BAD=0
    tls_read "$log"
    off=${#TLS_TEXT}
    while IFS= read -r l; do
        [[ $l =~ $re ]] && h0=${BASH_REMATCH[1]} m0=${BASH_REMATCH[2]}
        [[ $l =~ $rt ]] && t0=${BASH_REMATCH[1]}
    done <<<"$TLS_TEXT"
    client_run "${SSN_PORT[$n]}" "$s" "$g" "$o" "selfserv-$s-$g"
    for _ in {1..50}; do
        tls_log_since "$log" "$off" "$o.seg"
        [ "$(grep -c 'stateless resumes' "$o.seg")" -ge 2 ] && break
        sleep 0.1
    done
    nss_hs 2 "$o.seg" selfserv "$s" "$g"
    got=$(grep -E 'cache hits;|stateless resumes' "$o.seg" | sed 's/^ *//; s/, 0 cache not reusable//; s/, 0 ticket parse failures//' | tr '\n' '|')
    tls_expect "selfserv: want a miss then a hit by ticket, got '$got'" \
        [ "$got" = "selfserv: $h0 cache hits; $((m0 + 1)) cache misses|$t0 stateless resumes|selfserv: $((h0 + 1)) cache hits; $((m0 + 1)) cache misses|$((t0 + 1)) stateless resumes|" ]
    tls_expect "sslref-client: want 2 answers" [ "$(grep -c '^HTTP/1.0 200 OK' "$o.out")" = 2 ]
    [ $TLS_BAD -eq 0 ] || show "$o.err" "$o.seg"
    return $TLS_BAD
}

# ---- servers ----
start_sslref_server "$TMP/srv.log" --version tls1.2 --cert "$DATA/ec256-chain.pem" --key "$DATA/ec256-key.pem" \
    --ciphers "$SUITES" --tickets on --cache "$TMP/cache" || exit 1
MAIN_PID=$SRV_PID MAIN_PORT=$SRV_PORT
start_sslref_server "$TMP/srv2.log" --version tls1.2 --ciphers "$SUITES" --tickets on || exit 1
SRV2_PID=$SRV_PID SRV2_PORT=$SRV_PORT
start_sslref_server "$TMP/srv-off.log" --version tls1.2 --ciphers "$SUITES" --tickets off || exit 1
OFF_PID=$SRV_PID OFF_PORT=$SRV_PORT
start_sslref_server "$TMP/srv-rot.log" --version tls1.2 --ciphers "$SUITES" --cache "$TMP/cache-rot" \
    --ticket-rotate "$ROT" || exit 1
ROT_PID=$SRV_PID ROT_PORT=$SRV_PORT
SRV_PID=$MAIN_PID SRV_PORT=$MAIN_PORT

tls_start_s_server "$TMP/s_server.log" -www -cert "$DATA/ec256-chain.pem" -key "$DATA/ec256-key.pem" \
    -dcert "$DATA/server-chain.pem" -dkey "$DATA/server-key-pkcs8.pem" || exit 1
SS_OSSL_PORT=$PEER_PORT
tls_start_peer "$TMP/pyserv.log" python "$PYTHON" "$SRC/tests/interop/tls_peer.py" server \
    --cert "$DATA/server-chain.pem" --key "$DATA/server-key-pkcs8.pem" \
    --cert "$DATA/ec256-chain.pem" --key "$DATA/ec256-key.pem" || { echo "FAIL: tls_peer.py server"; show "$TMP/pyserv.log"; exit 1; }
PYS_PORT=$PEER_PORT

declare -A GS_PORT GS_PID
for n in tickets noticket; do
    extra=(--nodb)
    [ $n = noticket ] && extra+=(--noticket)
    for try in 1 2 3; do
        port=$(free_port) || exit 1
        stdbuf -oL -eL gnutls-serv --http -p "$port" "${extra[@]}" \
            --x509certfile "$DATA/server-chain.pem" --x509keyfile "$DATA/server-key-pkcs8.pem" \
            --x509certfile "$DATA/ec256-chain.pem" --x509keyfile "$DATA/ec256-key.pem" \
            >"$TMP/gnutls-serv-$n.log" 2>&1 &
        GS_PID[$n]=$!
        INTEROP_PIDS+=("$!")
        GS_PORT[$n]=$port
        wait_listen "$port" "${GS_PID[$n]}" && break
        stop_pid "${GS_PID[$n]}" KILL
        [ $try = 3 ] && { echo "FAIL: gnutls-serv $n did not start"; show "$TMP/gnutls-serv-$n.log"; exit 1; }
    done
done

declare -A SSN_PORT
for n in rsa ec; do
    args=(-n server -d "$DB")
    [ $n = ec ] && args=(-e ecserver -d "$TMP/nssdb-ec256")
    for try in 1 2 3; do
        port=$(free_port) || exit 1
        /usr/bin/selfserv "${args[@]}" -p "$port" -V tls1.2:tls1.2 -u -v >"$TMP/selfserv-$n.log" 2>&1 &
        pid=$!
        INTEROP_PIDS+=("$pid")
        SSN_PORT[$n]=$port
        wait_listen "$port" "$pid" && break
        stop_pid "$pid" KILL
        [ $try = 3 ] && { echo "FAIL: selfserv ($n) did not start"; show "$TMP/selfserv-$n.log"; exit 1; }
    done
done

# ---- the cases ----
NCASES=0
add() { # add LANE NAME FUNC ARGS...: queue a case (LANE - : none)
    local lane=$1
    shift
    NCASES=$((NCASES + 1))
    if [ "$lane" = - ]; then tls_case "$@"; else TLS_LANE=$lane tls_case "$@"; fi
}
for p in "${PAIRS[@]}"; do
    read -r s g <<<"$p"
    add srv "s_client -sess_out/-sess_in vs sslref-server: 0x$s $g, New then Reused by ticket, server via=ticket" ossl_cli_case "$s" "$g"
    add srv "gnutls-cli --resume vs sslref-server: 0x$s $g, resumed by ticket, server via=ticket" gnutls_cli_case "$s" "$g"
    add srv "python ssl client vs sslref-server: 0x$s $g, has_ticket, session_reused, server via=ticket (by port)" python_cli_case "$s" "$g"
    add ossl "sslref-client --resume 1 vs openssl s_server -www: 0x$s $g, Reused by ticket" s_server_case "$s" "$g"
    add gnutls "sslref-client --resume 1 vs gnutls-serv --nodb: 0x$s $g, resumed by ticket" gnutls_serv_case tickets "$s" "$g"
    add python "sslref-client --resume 1 vs python ssl server: 0x$s $g, reused by ticket" python_serv_case "$s" "$g"
    if [ "${TLS_CERT[$s]}" = ecdsa ]; then
        add nss "sslref-client --resume 1 vs selfserv -u (P-256 certificate): 0x$s $g, stateless resume" selfserv_case ec "$s" "$g"
    else
        add nss "sslref-client --resume 1 vs selfserv -u: 0x$s $g, stateless resume" selfserv_case rsa "$s" "$g"
    fi
done
add srv "curl, two URLs vs sslref-server: 0x009c, no ticket given (curl offers none), resumed by ID" curl_case 009c -
add srv "curl, two URLs vs sslref-server: 0xc02f x25519, no ticket given (curl offers none), resumed by ID" curl_case c02f x25519
add srv "tstclnt -u -L 2 -I x25519 vs sslref-server: 0xc02f x25519, 1 stateless resume, server via=ticket" tstclnt_case x25519 x25519
add srv "tstclnt -u -L 2 -I P256 vs sslref-server: 0xc02f p256, 1 stateless resume, server via=ticket" tstclnt_case P256 p256
add srv "strsclnt -u -C :c02b vs sslref-server: x25519, 1 stateless resume, server via=ticket" strsclnt_case c02b x25519
add srv "strsclnt -u -C :cca8 vs sslref-server: x25519, 1 stateless resume, server via=ticket" strsclnt_case cca8 x25519
add srv "strsclnt -u -C :009c vs sslref-server: 1 stateless resume, server via=ticket" strsclnt_case 009c -
add srv "a ticket of the main server offered to a second sslref-server (another key): full handshake, a new ticket, no failure" other_key_case
add gnutls "control: sslref-client vs gnutls-serv --nodb --noticket: no resumption at all (so --nodb resumes only by ticket)" gnutls_serv_case noticket c02f x25519 none
tls_lanes_start
add - "sslref-server --tickets off vs s_client: no session ticket, resumed by ID (via=id)" tickets_off_case
add - "--ticket-rotate $ROT: a ticket of the previous key period resumes and is renewed (s_client, python)" rotation_case
tlsp_collect

# The servers of the test still ran, and none of their connections failed.
for n in main:$MAIN_PID:srv other:$SRV2_PID:srv2 off:$OFF_PID:srv-off rotate:$ROT_PID:srv-rot; do
    IFS=: read -r name pid log <<<"$n"
    NCASES=$((NCASES + 1))
    if ! kill -0 "$pid" 2>/dev/null; then
        fail "sslref-server ($name) stopped before the test stopped it"
        continue
    fi
    stop_pid "$pid" TERM
    if grep -q '^stats: connections=[0-9]* .*failures=0' "$TMP/$log.log" && ! grep -q '^error=' "$TMP/$log.log"; then
        pass "sslref-server ($name): no failed connection ($(grep '^stats:' "$TMP/$log.log"))"
    else
        fail "sslref-server ($name): a failed connection or no stats line"
        grep -E '^(stats|error)' "$TMP/$log.log" | sed 's/^/  | /'
    fi
done
tls_sanitizer_sweep

# Every case ran and passed: 7 per suite/group pair, 7 more with sslref-server (curl, tstclnt,
# strsclnt), the rotation case, 3 negative or control cases, 4 server checks.
WANT=$((7 * ${#PAIRS[@]} + 7 + 1 + 3 + 4))
if [ "$NCASES" -ne "$WANT" ] || [ $((INTEROP_PASSES + INTEROP_FAILS)) -ne "$WANT" ]; then
    fail "want $WANT cases, $NCASES were queued and $((INTEROP_PASSES + INTEROP_FAILS)) reported"
fi
interop_finish

#!/bin/bash
# test_nss_kx.sh - NSS interop for issue 4, SSL 3.0 only (-V ssl3:ssl3):
#   A. sslref-client against selfserv -H 1 (DHE on) for every DHE-RSA suite NSS knows (0033 0039
#      0016 0015): a full handshake with the chain checked against the CA, then a resumption;
#   B. tstclnt and strsclnt against sslref-server --dh-params for the same suites (full, resumed);
#   C. client authentication, our client: selfserv -r (request) and -r -r (require), with
#      --cert/--key (selfserv logs our subject, full and resumed) and without (-r: no_certificate and
#      the connection goes on; -r -r: selfserv refuses with bad_certificate);
#   D. client authentication, our server (--request-client-cert --ca): tstclnt -n client (the
#      server logs the client's subject, also on a strsclnt resumption), a tstclnt without any
#      certificate (the server goes on), and
#      a tstclnt with a self-signed certificate the CA did not issue (the server refuses it);
#   F. DHE-DSS (0032 0038 0013 0012) with tests/data/dsa1024-*: our client against selfserv -S (full
#      handshakes: selfserv does not resume DHE-DSS sessions, not even for strsclnt), tstclnt and
#      strsclnt (full, resumed) against sslref-server with the DSA key;
#   E. what NSS 3.87 refuses (docs/suites-nss.md): export, IDEA and DH_anon suites are unknown to
#      selfserv -c and tstclnt -c, and a selfserv with its defaults answers our client offering one
#      of them with handshake_failure; DHE is on in selfserv by default and off with -H 0.
# Usage: bash tests/interop/test_nss_kx.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"

DHE_SUITES="0033 0039 0016 0015"
REFUSED_SUITES="0003 0006 0007 0008 0011 0014 0017 0018 0019 001a 001b"
printf 'GET /kx HTTP/1.0\r\n\r\n' >"$TMP/request"
CLIENT_CERT="--cert $DATA/client-cert.pem --key $DATA/client-key.pem"

# A database with only the trusted CA (tstclnt then has no certificate to offer), and one whose
# only key is a self-signed "rogue" certificate.
NOCERT_DB="$TMP/nocert"
mkdir -p "$NOCERT_DB"
certutil -N -d "$NOCERT_DB" --empty-password >/dev/null
certutil -A -d "$NOCERT_DB" -n "sslref test CA" -t "CT,C,C" -i "$DATA/ca-cert.pem"
ROGUE_DB="$TMP/rogue"
mkdir -p "$ROGUE_DB"
certutil -N -d "$ROGUE_DB" --empty-password >/dev/null
certutil -A -d "$ROGUE_DB" -n "sslref test CA" -t "CT,C,C" -i "$DATA/ca-cert.pem"
head -c 64 /dev/urandom >"$TMP/noise"
certutil -S -d "$ROGUE_DB" -n rogue -s "CN=rogue client" -x -t ",," -k rsa -g 2048 -v 12 \
    -z "$TMP/noise" >/dev/null 2>&1 || fail "certutil could not make the rogue certificate"

# start_selfserv NAME ARGS...: selfserv (absolute path, DESIGN.md §6) on a free port; sets SS_PID,
# SS_PORT, SS_LOG.
start_selfserv() {
    local name=$1
    shift
    SS_LOG="$TMP/$name.selfserv"
    SS_PORT=$(free_port) || return 1
    /usr/bin/selfserv -n server -p "$SS_PORT" -d "$DB" -V ssl3:ssl3 -v "$@" >"$SS_LOG" 2>&1 &
    SS_PID=$!
    INTEROP_PIDS+=("$SS_PID")
    wait_listen "$SS_PORT" "$SS_PID"
}

# client_lines FILE SUITE: the resumed= values of sslref-client's lines for SUITE, space-separated.
client_lines() {
    sed -n "s/^version=3.0 cipher=0x$2 [A-Z_0-9]* resumed=\([a-z]*\) peer=\"CN=localhost\"$/\1/p" \
        "$1" | tr '\n' ' '
}

# ---- A. sslref-client against selfserv -H 1 ----
for s in $DHE_SUITES; do
    name="A-$s"
    start_selfserv "$name" -c ":$s" -H 1 || { fail "$name: selfserv did not start"; continue; }
    timeout 30 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 --port "$SS_PORT" --ciphers "$s" --resume 1 \
        --ca "$DATA/ca-cert.pem" >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    stop_pid "$SS_PID" USR1
    pattern=$(client_lines "$TMP/$name.err" "$s")
    answers=$(grep -c '^GET / HTTP/1.0' "$TMP/$name.out")
    if [ $rc -eq 0 ] && [ "$pattern" = "no yes " ] && [ "$answers" -eq 2 ]; then
        pass "$name: sslref-client DHE full then resumed against selfserv"
    else
        fail "$name: sslref-client (exit $rc, resumed '$pattern', $answers answers)"
        show "$TMP/$name.err" "$SS_LOG"
    fi
    if grep -q '1 cache hits; 1 cache misses' "$SS_LOG"; then
        pass "$name: selfserv resumed the second connection"
    else
        fail "$name: selfserv did not report 1 hit and 1 miss"
        show "$SS_LOG"
    fi
    if grep -q 'Key Exchange: 2048-bit DHE' "$SS_LOG"; then
        pass "$name: selfserv used a 2048-bit DH group, which our client took"
    else
        fail "$name: selfserv log has no 2048-bit DHE key exchange"
        show "$SS_LOG"
    fi
done

# ---- B. tstclnt and strsclnt against sslref-server --dh-params ----
for s in $DHE_SUITES; do
    name="B-$s"
    log="$TMP/$name.server"
    start_sslref_server "$log" --version ssl3 --dh-params "$DATA/dh1024.pem" --ciphers "$(echo $DHE_SUITES | tr ' ' ,)" ||
        { fail "$name: server start"; continue; }
    timeout 20 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DB" -V ssl3:ssl3 -c ":$s" -o \
        -A "$TMP/request" >"$TMP/$name.tstclnt" 2>"$TMP/$name.tstclnt.err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^HTTP/1.0 200 OK' "$TMP/$name.tstclnt" &&
        grep -q '^GET /kx HTTP/1.0' "$TMP/$name.tstclnt"; then
        pass "$name: tstclnt DHE full handshake and request"
    else
        fail "$name: tstclnt (exit $rc)"
        show "$TMP/$name.tstclnt" "$TMP/$name.tstclnt.err"
    fi
    timeout 30 strsclnt -p "$SRV_PORT" -d "$DB" -V ssl3:ssl3 -C ":$s" -c 2 -t 1 -q -o 127.0.0.1 \
        >"$TMP/$name.strsclnt" 2>&1
    if grep -q '1 cache hits; 1 cache misses' "$TMP/$name.strsclnt"; then
        pass "$name: strsclnt resumed its DHE session"
    else
        fail "$name: strsclnt did not resume"
        show "$TMP/$name.strsclnt"
    fi
    stop_pid "$SRV_PID" TERM
    pattern=$(sed -n "s/^version=3.0 cipher=0x$s .* resumed=\([a-z]*\) .*/\1/p" "$log" | tr '\n' ' ')
    if [ "$pattern" = "no no yes " ] && grep -q 'failures=0$' "$log"; then
        pass "$name: server saw full, full, resumed with 0x$s"
    else
        fail "$name: server log (resumed pattern '$pattern')"
        show "$log"
    fi
done

# ---- C. our client authenticates to selfserv ----
# c_case NAME SUITE "SELFSERV -r FLAGS" WITH_CERT(0/1) EXPECT(ok/refused)
c_case() {
    local name=$1 s=$2 rflags=$3 with_cert=$4 expect=$5 cx="" rc subjects pattern
    [ "$with_cert" = 1 ] && cx=$CLIENT_CERT
    # shellcheck disable=SC2086
    start_selfserv "$name" -c ":$s" -H 1 $rflags || { fail "$name: selfserv did not start"; return; }
    # shellcheck disable=SC2086
    timeout 30 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 --port "$SS_PORT" --ciphers "$s" --resume 1 \
        --ca "$DATA/ca-cert.pem" $cx >"$TMP/$name.out" 2>"$TMP/$name.err"
    rc=$?
    stop_pid "$SS_PID" USR1
    subjects=$(grep -c 'subject DN: CN=sslref test client' "$SS_LOG")
    pattern=$(client_lines "$TMP/$name.err" "$s")
    if [ "$expect" = ok ]; then
        local want=0
        [ "$with_cert" = 1 ] && want=2
        if [ $rc -eq 0 ] && [ "$pattern" = "no yes " ] && [ "$subjects" -eq "$want" ] &&
            grep -q '1 cache hits; 1 cache misses' "$SS_LOG"; then
            pass "$name: full and resumed; selfserv saw our certificate $subjects times (want $want)"
        else
            fail "$name: exit $rc, resumed '$pattern', selfserv logged our subject $subjects times (want $want)"
            show "$TMP/$name.err" "$SS_LOG"
        fi
    else
        # selfserv requires a certificate: our no_certificate warning, its bad_certificate alert
        if [ $rc -ne 0 ] && grep -q 'error=SSLFatalAlert .*alert_sent=0x0129 alert_received=0x022a' \
            "$TMP/$name.err" && [ "$subjects" -eq 0 ]; then
            pass "$name: no certificate, selfserv refused with bad_certificate"
        else
            fail "$name: expected a refusal (exit $rc)"
            show "$TMP/$name.err" "$SS_LOG"
        fi
    fi
}
for s in 0033 000a 0016; do
    c_case "C-$s-request-cert" "$s" "-r" 1 ok
    c_case "C-$s-require-cert" "$s" "-r -r" 1 ok
done
c_case "C-0033-request-nocert" 0033 "-r" 0 ok
c_case "C-0039-require-nocert" 0039 "-r -r" 0 refused

# ---- D. NSS clients authenticate to sslref-server ----
# d_case NAME SUITE DBDIR "TSTCLNT EXTRA" EXPECTED_PEER (subject text, "" for none, "refused")
d_case() {
    local name=$1 s=$2 db=$3 extra=$4 want=$5 rc log="$TMP/$1.server"
    start_sslref_server "$log" --version ssl3 --ciphers "$s" --dh-params "$DATA/dh1024.pem" --request-client-cert \
        --ca "$DATA/ca-cert.pem" --once || { fail "$name: server start"; return; }
    # shellcheck disable=SC2086
    timeout 20 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$db" -V ssl3:ssl3 -c ":$s" -o $extra \
        -A "$TMP/request" >"$TMP/$name.tstclnt" 2>"$TMP/$name.tstclnt.err"
    rc=$?
    stop_pid "$SRV_PID" TERM
    if [ "$want" = refused ]; then
        if [ $rc -ne 0 ] && grep -q '^error=.*alert_sent=0x022a' "$log" &&
            grep -q 'SSL_ERROR_BAD_CERT_ALERT' "$TMP/$name.tstclnt.err"; then
            pass "$name: the server refused the certificate with bad_certificate"
        else
            fail "$name: expected a refusal (tstclnt exit $rc)"
            show "$log" "$TMP/$name.tstclnt.err"
        fi
        return
    fi
    local line
    line=$(grep "^version=3.0 cipher=0x$s .* resumed=no " "$log")
    if [ $rc -eq 0 ] && grep -q '^HTTP/1.0 200 OK' "$TMP/$name.tstclnt" &&
        { { [ -n "$want" ] && echo "$line" | grep -q "peer=\"$want\""; } ||
          { [ -z "$want" ] && [ -n "$line" ] && ! echo "$line" | grep -q 'sslref test client'; }; }; then
        pass "$name: answered; the server's peer is '${want:-none}'"
    else
        fail "$name: tstclnt exit $rc, server line '$line' (want peer '${want:-none}')"
        show "$log" "$TMP/$name.tstclnt.err"
    fi
}
for s in 0033 0039 0016 0015 000a 002f; do
    d_case "D-$s-client" "$s" "$DB" "-n client" "CN=sslref test client"
done
# Resumption keeps the client's certificate: strsclnt -n client, two connections.
log="$TMP/D-resume.server"
if start_sslref_server "$log" --version ssl3 --dh-params "$DATA/dh1024.pem" --request-client-cert \
    --ca "$DATA/ca-cert.pem"; then
    timeout 30 strsclnt -p "$SRV_PORT" -d "$DB" -V ssl3:ssl3 -C :0033 -c 2 -t 1 -q -o -n client \
        127.0.0.1 >"$TMP/D-resume.strsclnt" 2>&1
    stop_pid "$SRV_PID" TERM
    pattern=$(sed -n 's/^version=3.0 cipher=0x0033 .* resumed=\([a-z]*\) peer="CN=sslref test client" .*/\1/p' \
        "$log" | tr '\n' ' ')
    if grep -q '1 cache hits; 1 cache misses' "$TMP/D-resume.strsclnt" && [ "$pattern" = "no yes " ]; then
        pass "D-resume: strsclnt -n client resumed; the server still names the client"
    else
        fail "D-resume: resumed pattern '$pattern'"
        show "$log" "$TMP/D-resume.strsclnt"
    fi
else
    fail "D-resume: server start"
fi
d_case "D-0033-nocert" 0033 "$NOCERT_DB" "" ""
d_case "D-000a-nocert" 000a "$NOCERT_DB" "" ""
d_case "D-0033-rogue" 0033 "$ROGUE_DB" "-n rogue" refused

# ---- F. DHE-DSS: a DSA certificate (issued by the test CA) on either side ----
DSS_SUITES="0032 0038 0013 0012"
DSS_DB="$TMP/dss"
mkdir -p "$DSS_DB"
certutil -N -d "$DSS_DB" --empty-password >/dev/null
pk12util -i "$DATA/dsa1024-chain.p12" -d "$DSS_DB" -W '' >/dev/null
certutil -M -d "$DSS_DB" -n "sslref test CA" -t "CT,C,C" >/dev/null
for s in $DSS_SUITES; do
    # our client against selfserv -S (its DSA certificate); selfserv signs r || s as SSL 3.0 does
    name="F-$s-client"
    port=$(free_port)
    /usr/bin/selfserv -S dsaserver -p "$port" -d "$DSS_DB" -V ssl3:ssl3 -c ":$s" -v \
        >"$TMP/$name.selfserv" 2>&1 &
    pid=$!
    INTEROP_PIDS+=("$pid")
    if wait_listen "$port" "$pid"; then
        timeout 30 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 --port "$port" --ciphers "$s" --resume 1 \
            --ca "$DATA/ca-cert.pem" >"$TMP/$name.out" 2>"$TMP/$name.err"
        rc=$?
        stop_pid "$pid" USR1
        n=$(grep -c "^version=3.0 cipher=0x$s .* peer=\"CN=localhost\"$" "$TMP/$name.err")
        answers=$(grep -c '^GET / HTTP/1.0' "$TMP/$name.out")
        if [ $rc -eq 0 ] && [ "$n" -eq 2 ] && [ "$answers" -eq 2 ]; then
            pass "$name: sslref-client took selfserv's DSA-signed ServerKeyExchange, twice"
        else
            fail "$name: exit $rc, $n handshakes, $answers answers"
            show "$TMP/$name.err" "$TMP/$name.selfserv"
        fi
    else
        fail "$name: selfserv -S did not start"
        show "$TMP/$name.selfserv"
    fi
    # NSS clients against sslref-server with the DSA key: full (tstclnt), full + resumed (strsclnt)
    name="F-$s-server"
    log="$TMP/$name.server"
    start_sslref_server "$log" --no-default-cert --version ssl3 --ciphers "$s" --cert "$DATA/dsa1024-chain.pem" --key "$DATA/dsa1024-key.pem" \
        --dh-params "$DATA/dh1024.pem" || { fail "$name: server start"; continue; }
    timeout 20 tstclnt -h 127.0.0.1 -p "$SRV_PORT" -d "$DSS_DB" -V ssl3:ssl3 -c ":$s" -o \
        -A "$TMP/request" >"$TMP/$name.tstclnt" 2>"$TMP/$name.tstclnt.err"
    rc=$?
    timeout 30 strsclnt -p "$SRV_PORT" -d "$DSS_DB" -V ssl3:ssl3 -C ":$s" -c 2 -t 1 -q -o \
        127.0.0.1 >"$TMP/$name.strsclnt" 2>&1
    stop_pid "$SRV_PID" TERM
    pattern=$(sed -n "s/^version=3.0 cipher=0x$s .* resumed=\([a-z]*\) .*/\1/p" "$log" | tr '\n' ' ')
    if [ $rc -eq 0 ] && grep -q '^HTTP/1.0 200 OK' "$TMP/$name.tstclnt" &&
        grep -q '1 cache hits; 1 cache misses' "$TMP/$name.strsclnt" &&
        [ "$pattern" = "no no yes " ] && grep -q 'failures=0$' "$log"; then
        pass "$name: tstclnt full, strsclnt full then resumed (both sides say so)"
    else
        fail "$name: tstclnt exit $rc, server pattern '$pattern'"
        show "$log" "$TMP/$name.tstclnt.err" "$TMP/$name.strsclnt"
    fi
done

# ---- E. what NSS refuses ----
for s in $REFUSED_SUITES; do
    name="E-$s"
    port=$(free_port)
    /usr/bin/selfserv -n server -p "$port" -d "$DB" -V ssl3:ssl3 -c ":$s" >"$TMP/$name.selfserv" 2>&1 &
    pid=$!
    INTEROP_PIDS+=("$pid")
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 "$pid" 2>/dev/null &&
        grep -q 'SSL_ERROR_UNKNOWN_CIPHER_SUITE' "$TMP/$name.selfserv"; then
        pass "$name: selfserv -c :$s: unknown cipher suite"
    else
        fail "$name: selfserv accepted -c :$s"
        show "$TMP/$name.selfserv"
    fi
    stop_pid "$pid" KILL
    timeout 10 tstclnt -h 127.0.0.1 -p 1 -d "$DB" -V ssl3:ssl3 -c ":$s" -o \
        >"$TMP/$name.tstclnt" 2>&1 </dev/null
    if grep -q 'SSL_ERROR_UNKNOWN_CIPHER_SUITE' "$TMP/$name.tstclnt"; then
        pass "$name: tstclnt -c :$s: unknown cipher suite"
    else
        fail "$name: tstclnt did not refuse -c :$s"
        show "$TMP/$name.tstclnt"
    fi
done
# On the wire: selfserv with its default suites (DHE on) does not take any of them.
if start_selfserv "E-wire" -H 1; then
    for s in $REFUSED_SUITES; do
        timeout 10 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 --port "$SS_PORT" --ciphers "$s" \
            >/dev/null 2>"$TMP/E-wire-$s.err"
        rc=$?
        if [ $rc -ne 0 ] && grep -q 'alert_received=0x0228' "$TMP/E-wire-$s.err"; then
            pass "E-wire-$s: selfserv answers handshake_failure"
        else
            fail "E-wire-$s: exit $rc"
            show "$TMP/E-wire-$s.err"
        fi
    done
    stop_pid "$SS_PID" USR1
    if grep -q -- '-12286' "$SS_LOG"; then
        pass "E-wire: selfserv reported SSL_ERROR_NO_CYPHER_OVERLAP (-12286)"
    else
        fail "E-wire: selfserv log"
        show "$SS_LOG"
    fi
else
    fail "E-wire: selfserv did not start"
fi
# -H: DESIGN.md §6 said selfserv needs -H 1 for DHE. Measured on NSS 3.87: DHE is on by default
# (also with -c), -H 0 turns it off, -H 1 is harmless. Both facts are checked.
for h in default 0; do
    hflag=""
    [ "$h" = 0 ] && hflag="-H 0"
    # shellcheck disable=SC2086
    if start_selfserv "E-H$h" -c :0033 $hflag; then
        timeout 10 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 --port "$SS_PORT" --ciphers 0033 \
            >/dev/null 2>"$TMP/E-H$h.err"
        rc=$?
        stop_pid "$SS_PID" USR1
        if [ "$h" = default ] && [ $rc -eq 0 ] && grep -q '^version=3.0 cipher=0x0033 ' "$TMP/E-H$h.err"; then
            pass "E-Hdefault: selfserv without -H negotiates DHE"
        elif [ "$h" = 0 ] && [ $rc -ne 0 ] && grep -q 'alert_received=0x0228' "$TMP/E-H$h.err"; then
            pass "E-H0: selfserv -H 0 refuses DHE (handshake_failure)"
        else
            fail "E-H$h: exit $rc"
            show "$TMP/E-H$h.err" "$SS_LOG"
        fi
    else
        fail "E-H$h: selfserv did not start"
    fi
done
interop_finish

#!/bin/bash
# test_export_tshark.sh - export key derivation (issue 4) checked by code that is not ours:
# Wireshark's SSL 3.0 implementation (tshark) derives the export write keys and IVs itself
# (key block, then MD5 over key + randoms, IVs from MD5 of the randoms) and must decrypt, with
# "mac ok", what sslref-client and sslref-server exchanged. Per export suite, a full and a
# resumed connection, captured on lo, against two servers:
#   A. the 2048-bit server key plus --export-key export512-key.pem and --dh-params dh512.pem:
#      0x0003 (RSA_EXPORT RC4_40_MD5), 0x0006 (RC2_CBC_40_MD5), 0x0008 (DES40_CBC_SHA) with a
#      ServerKeyExchange holding the 512-bit temporary RSA key, and 0x0014 (DHE_RSA_EXPORT DES40),
#      0x0017 (DH_anon_EXPORT RC4_40), 0x0019 (DH_anon_EXPORT DES40); tshark gets the client's
#      SSLKEYLOGFILE (master secrets only). Control: with every master secret altered, nothing
#      decrypts.
#   B. a server whose own key is 512 bits (export512-cert.pem), 0x0003, 0x0006, 0x0008: no
#      ServerKeyExchange; tshark gets only that RSA key (no key log), so it also decrypts the pre-master and derives the master.
# Asserted per suite and server: both sides logged the suite, resumed=no then yes; tshark saw the
# suite in both ServerHellos; the decrypted client->server bytes are exactly the two requests and
# the server->client bytes exactly what the client printed; tshark's debug log has "mac ok" for
# every decrypted record and no MAC failure. (NSS 3.87 and OpenSSL 3.0 no longer implement export
# suites, so no NSS-to-NSS export vectors can be captured: docs/suites.md.)
# Needs tshark and capture rights on lo (root, or CAP_NET_RAW for dumpcap).
# Usage: bash tests/interop/test_export_tshark.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || { echo "FAIL: tshark not found (Debian package tshark)"; exit 1; }
interop_init "$1"

SUITES_A="0003 0006 0008 0014 0017 0019"
SUITES_B="0003 0006 0008"
unhex() { perl -pe 's/([0-9a-f]{2})/chr hex $1/ge'; }

start_sslref_server "$TMP/srv-A.log" --version ssl3 --bind 127.0.0.1 --export-key "$DATA/export512-key.pem" \
    --dh-params "$DATA/dh512.pem" --ciphers 0003,0006,0008,0014,0017,0019 || { interop_finish; exit 1; }
PID_A=$SRV_PID PORT_A=$SRV_PORT
start_sslref_server "$TMP/srv-B.log" --no-default-cert --version ssl3 --bind 127.0.0.1 --cert "$DATA/export512-cert.pem" \
    --key "$DATA/export512-key.pem" --ciphers 0003,0006,0008 || { interop_finish; exit 1; }
PID_B=$SRV_PID PORT_B=$SRV_PORT

cap="$TMP/cap.pcapng"
tshark -i lo -f "tcp port $PORT_A or tcp port $PORT_B" -w "$cap" >"$TMP/tshark.log" 2>&1 &
tp=$!
INTEROP_PIDS+=("$tp")
for i in $(seq 1 100); do
    grep -q "Capturing on" "$TMP/tshark.log" && break
    kill -0 "$tp" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q "Capturing on" "$TMP/tshark.log"; then
    fail "tshark cannot capture on lo"
    show "$TMP/tshark.log"
    interop_finish
    exit 1
fi
sleep 0.5 # margin after "Capturing on"

# Requests longer than a few cipher blocks; CBC records are split 1/n-1 as usual.
PAD=$(printf 'x%.0s' $(seq 1 90))
declare -A RC
for srv in A B; do
    [ "$srv" = A ] && suites=$SUITES_A || suites=$SUITES_B
    for s in $suites; do
        req="GET /export-$s-$srv HTTP/1.0\r\nX-Pad: $PAD\r\n\r\n"
        printf "$req$req" >"$TMP/want-c2s-$srv-$s"
        if [ $srv = A ]; then
            SSLKEYLOGFILE="$TMP/keys-A-$s" timeout 20 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 \
                --port "$PORT_A" --ca "$DATA/ca-cert.pem" --ciphers "$s" --resume 1 --send "$req" \
                >"$TMP/cl-$srv-$s.out" 2>"$TMP/cl-$srv-$s.err"
        else # the export512 certificate is self-signed: not checked (no --ca); no key log
            timeout 20 "$BIN/sslref-client" --version ssl3 --host 127.0.0.1 --port "$PORT_B" --ciphers "$s" \
                --resume 1 --send "$req" >"$TMP/cl-$srv-$s.out" 2>"$TMP/cl-$srv-$s.err"
        fi
        RC[$srv-$s]=$?
    done
done
sleep 1
stop_pid "$tp" INT
stop_pid "$PID_A" TERM
stop_pid "$PID_B" TERM
cat "$TMP"/keys-A-* >"$TMP/keys-A"

# Which TCP stream negotiated which suite (ServerHello is in the clear), and whether a
# ServerKeyExchange was sent.
tshark -r "$cap" -d "tcp.port==$PORT_A,tls" -d "tcp.port==$PORT_B,tls" -Y "tls.handshake.type == 2" \
    -T fields -e tcp.stream -e tcp.srcport -e tls.handshake.ciphersuite >"$TMP/hellos" 2>/dev/null
ske_a=$(tshark -r "$cap" -d "tcp.port==$PORT_A,tls" -Y "tls.handshake.type == 12 && tcp.srcport == $PORT_A" \
    2>/dev/null | wc -l)
ske_b=$(tshark -r "$cap" -d "tcp.port==$PORT_B,tls" -Y "tls.handshake.type == 12 && tcp.srcport == $PORT_B" \
    2>/dev/null | wc -l)
# the temporary RSA modulus and the DH primes in A's ServerKeyExchanges: 64 bytes (512 bits) each
ske_lens=$(tshark -r "$cap" -d "tcp.port==$PORT_A,tls" -Y "tls.handshake.type == 12" \
    -T fields -e tls.handshake.modulus_len -e tls.handshake.p_len 2>/dev/null | tr -s '\t\n' '  ')
if [ "$ske_a" -eq 6 ] && [ "$ske_b" -eq 0 ] && [ "$ske_lens" = "$(printf '64 %.0s' 1 2 3 4 5 6)" ]; then
    pass "server A sent a 512-bit ServerKeyExchange (RSA modulus or DH prime) in its 6 full handshakes, server B none"
else
    fail "ServerKeyExchange: A sent $ske_a (want 6, lengths '$ske_lens' want 64 each), B sent $ske_b (want 0)"
fi

# decrypt SERVER KEYOPTS...: decrypted application data of that server's streams, one line per
# frame: stream, source port, hex (records joined); tshark's debug log in $TMP/dbg-SERVER.
decrypt() {
    local srv=$1 port
    shift
    [ "$srv" = A ] && port=$PORT_A || port=$PORT_B
    tshark -r "$cap" -d "tcp.port==$port,tls" "$@" -o "tls.debug_file:$TMP/dbg-$srv" \
        --disable-protocol http -Y "data && tcp.port == $port" \
        -T fields -e tcp.stream -e tcp.srcport -e data.data 2>"$TMP/dec-$srv.err" | tr -d ','
}
decrypt A -o "tls.keylog_file:$TMP/keys-A" >"$TMP/dec-A"
cp "$DATA/export512-key.pem" "$TMP/export512-key.pem"
decrypt B -o "uat:rsa_keys:\"$TMP/export512-key.pem\",\"\"" >"$TMP/dec-B"

for srv in A B; do
    [ "$srv" = A ] && port=$PORT_A suites=$SUITES_A || port=$PORT_B suites=$SUITES_B
    nconn=$((2 * $(echo $suites | wc -w)))
    for s in $suites; do
        name="$s server $srv"
        streams=$(awk -v p="$port" -v s="0x$s" '$2 == p && $3 == s { print $1 }' "$TMP/hellos" |
            tr '\n' ' ')
        cl=$(sed -n "s/^version=3.0 cipher=0x$s .* resumed=\([a-z]*\) .*/\1/p" "$TMP/cl-$srv-$s.err" |
            tr '\n' ' ')
        sv=$(sed -n "s/^version=3.0 cipher=0x$s .* resumed=\([a-z]*\) .*/\1/p" "$TMP/srv-$srv.log" |
            tr '\n' ' ')
        if [ "${RC[$srv-$s]}" -eq 0 ] && [ "$cl" = "no yes " ] && [ "$sv" = "no yes " ] &&
            [ "$(echo $streams | wc -w)" -eq 2 ]; then
            pass "$name: full then resumed on both sides, tshark saw the suite in 2 ServerHellos"
        else
            fail "$name: client exit ${RC[$srv-$s]}, client '$cl', server '$sv', streams '$streams'"
            show "$TMP/cl-$srv-$s.err"
            continue
        fi
        : >"$TMP/got-c2s-$srv-$s"
        : >"$TMP/got-s2c-$srv-$s"
        for st in $streams; do
            awk -v st="$st" -v p="$port" '$1 == st && $2 != p { print $3 }' "$TMP/dec-$srv" |
                tr -d '\n' | unhex >>"$TMP/got-c2s-$srv-$s"
            awk -v st="$st" -v p="$port" '$1 == st && $2 == p { print $3 }' "$TMP/dec-$srv" |
                tr -d '\n' | unhex >>"$TMP/got-s2c-$srv-$s"
        done
        if [ -s "$TMP/cl-$srv-$s.out" ] && cmp -s "$TMP/want-c2s-$srv-$s" "$TMP/got-c2s-$srv-$s" &&
            cmp -s "$TMP/cl-$srv-$s.out" "$TMP/got-s2c-$srv-$s"; then
            pass "$name: tshark decrypted both directions of both connections to exactly the bytes sent"
        else
            fail "$name: decrypted c->s $(wc -c <"$TMP/got-c2s-$srv-$s")/$(wc -c <"$TMP/want-c2s-$srv-$s") bytes, s->c $(wc -c <"$TMP/got-s2c-$srv-$s")/$(wc -c <"$TMP/cl-$srv-$s.out") bytes (or different)"
            show "$TMP/dec-$srv.err"
        fi
    done
    # each connection: client Finished, request (1 or 2 records), close_notify; server Finished,
    # answer, close_notify - at least 6 records per connection, all with a good MAC
    macok=$(grep -c 'mac ok' "$TMP/dbg-$srv")
    macbad=$(grep -ci 'mac failed\|bad mac' "$TMP/dbg-$srv")
    if [ "$macok" -ge $((6 * nconn)) ] && [ "$macbad" -eq 0 ]; then
        pass "server $srv: tshark checked $macok record MACs, all good"
    else
        fail "server $srv: tshark 'mac ok' $macok (want >= $((6 * nconn))), MAC failures $macbad"
    fi
    # tshark took its SSL 3.0 export path: export IVs for the CBC suites (A: 0006 0008 0014 0019,
    # B: 0006 0008; 2 connections x 2 directions each); for B it also decrypted the 3 pre-master secrets with the RSA key and
    # derived the master secrets from them (A: none, its master secrets came from the key log).
    ivs=$(grep -c '^ssl_generate_keyring_material ssl3_generate_export_iv' "$TMP/dbg-$srv")
    rsa=$(grep -c '^ssl_generate_keyring_material:PRF(pre_master_secret)' "$TMP/dbg-$srv")
    want_rsa=0 want_ivs=16
    [ "$srv" = B ] && want_rsa=3 want_ivs=8
    if [ "$ivs" -eq "$want_ivs" ] && { [ "$want_rsa" -eq 0 ] && [ "$rsa" -eq 0 ] || [ "$want_rsa" -gt 0 ] && [ "$rsa" -ge "$want_rsa" ]; }; then
        pass "server $srv: tshark derived $ivs export IVs itself, master secrets from a pre-master: $rsa (each dissection pass counts)"
    else
        fail "server $srv: tshark export IVs $ivs (want $want_ivs), master secrets from a pre-master $rsa (want 0 for A, >= 3 for B)"
    fi
done
# Control: the same capture with every master secret in the key log altered decrypts nothing.
awk '{ m = $3; last = substr(m, length(m), 1); sub(/.$/, last == "0" ? "1" : "0", m); print $1, $2, m }' \
    "$TMP/keys-A" >"$TMP/keys-A-bad"
n=$(tshark -r "$cap" -d "tcp.port==$PORT_A,tls" -o "tls.keylog_file:$TMP/keys-A-bad" \
    --disable-protocol http -Y "data && tcp.port == $PORT_A" 2>/dev/null | wc -l)
if [ "$(wc -l <"$TMP/keys-A-bad")" -eq 12 ] && [ "$n" -eq 0 ]; then
    pass "control: with altered master secrets tshark decrypts nothing of server A's connections"
else
    fail "control: $n frames decrypted with altered master secrets ($(wc -l <"$TMP/keys-A-bad") key log lines)"
fi
interop_finish

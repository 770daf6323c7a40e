#!/bin/bash
# test_keylog_tshark.sh - the NSS-format key log (SSLKEYLOGFILE, issue 2 point 8) really decrypts
# traffic in Wireshark's own SSL 3.0 and TLS code: capture sslref-client talking to sslref-server
# on lo with tshark, for SSL 3.0 with a stream (0x0005) and a block suite (0x002f), and TLS 1.2
# with CBC and encrypt-then-MAC (0x002f) and AES-GCM (0x009c), a full and a resumed connection
# each, and have tshark decrypt the capture with the client's key log alone (no RSA key). The
# decrypted bytes of both connections must be exactly what the client sent and received. Needs tshark and capture rights on lo
# (root, or CAP_NET_RAW for dumpcap).
# Usage: bash tests/interop/test_keylog_tshark.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || { echo "FAIL: tshark not found (Debian package tshark)"; exit 1; }
interop_init "$1"

unhex() { perl -pe 's/([0-9a-f]{2})/chr hex $1/ge'; }

for vs in ssl3:0005 ssl3:002f tls1.2:002f tls1.2:009c; do
    v=${vs%%:*} s=${vs#*:}
    s=$s-$v
    start_sslref_server "$TMP/srv-$s.log" --version "$v" --ciphers "${s%%-*}" || { fail "$s: server start"; continue; }
    cap="$TMP/cap-$s.pcapng"
    tshark -i lo -f "tcp port $SRV_PORT" -w "$cap" >"$TMP/tshark-$s.log" 2>&1 &
    tp=$!
    INTEROP_PIDS+=("$tp")
    for i in $(seq 1 100); do
        grep -q "Capturing on" "$TMP/tshark-$s.log" && break
        kill -0 "$tp" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q "Capturing on" "$TMP/tshark-$s.log"; then
        fail "$s: tshark cannot capture on lo"
        show "$TMP/tshark-$s.log"
        stop_pid "$tp" TERM
        stop_pid "$SRV_PID" TERM
        continue
    fi
    sleep 0.5 # the capture filter is compiled and attached before "Capturing on"; margin anyway
    SSLKEYLOGFILE="$TMP/keys-$s" timeout 20 "$BIN/sslref-client" --host 127.0.0.1 \
        --port "$SRV_PORT" --version "$v" --ciphers "${s%%-*}" --resume 1 --send "GET /keylog-$s HTTP/1.0\r\n\r\n" \
        >"$TMP/cl-$s.out" 2>"$TMP/cl-$s.err"
    rc=$?
    sleep 1
    stop_pid "$tp" INT
    stop_pid "$SRV_PID" TERM
    # tshark's "follow tls" prints each TCP stream's decrypted records in hex, in order. (Its
    # direction marks are unreliable in tshark 4.0, so directions are not separated: each stream
    # must be the request followed by the server's answer, as the client sent and received them.)
    : >"$TMP/dec-$s"
    for st in 0 1; do
        tshark -r "$cap" -d "tcp.port==$SRV_PORT,tls" -o "tls.keylog_file:$TMP/keys-$s" -q \
            -z "follow,tls,raw,$st" >"$TMP/follow-$s-$st.txt" 2>"$TMP/follow-$s.err"
        awk '/^Node 1:/ { on = 1; next } /^====/ { on = 0 } on' "$TMP/follow-$s-$st.txt" |
            tr -d '\t\n' | unhex >>"$TMP/dec-$s"
    done
    req="GET /keylog-$s HTTP/1.0\r\n\r\n"
    half=$(($(wc -c <"$TMP/cl-$s.out") / 2)) # the two answers are identical
    { printf "$req"; head -c "$half" "$TMP/cl-$s.out"; printf "$req"; head -c "$half" "$TMP/cl-$s.out"; } \
        >"$TMP/want-$s"
    if [ $rc -eq 0 ] && [ "$(grep -c 'resumed=yes' "$TMP/cl-$s.err")" -eq 1 ] &&
        [ "$(wc -l <"$TMP/keys-$s")" -eq 2 ] && [ -s "$TMP/cl-$s.out" ] &&
        cmp -s "$TMP/want-$s" "$TMP/dec-$s"; then
        pass "$s: tshark decrypted both connections (full and resumed) with the key log alone"
    else
        fail "$s: client exit $rc; tshark decrypted $(wc -c <"$TMP/dec-$s") bytes, want $(wc -c <"$TMP/want-$s")"
        show "$TMP/cl-$s.err" "$TMP/keys-$s" "$TMP/follow-$s-0.txt" "$TMP/follow-$s.err"
    fi
    # and without the key log nothing is readable
    if [ "$(tshark -r "$cap" -d "tcp.port==$SRV_PORT,tls" -Y http 2>/dev/null | wc -l)" -eq 0 ]; then
        pass "$s: without the key log tshark sees no HTTP"
    else
        fail "$s: HTTP visible without the key log"
    fi
done
interop_finish

#!/bin/bash
# test_ecdhe.sh BUILD_DIR - ECDHE_RSA (RFC 8422; issue 16 points 1 and 5) with real peers over
# loopback. sslref-server (TLS 1.0-1.2, http mode) serves, all at once: openssl s_client with
# -groups X25519 / P-256 / P-384 over the six ECDHE_RSA suites and the three versions, python3's
# ssl module and curl; each case is checked from the peer's own output (OpenSSL's "Server Temp Key"
# and "Cipher is", Python's cipher(), curl's "SSL connection using") and from the server's line
# (version=, cipher=, group=). Then sslref-client against openssl s_server -groups X25519 / P-256 /
# P-384, checked from s_server's -www page ("Shared groups", "Cipher is") and the client's line;
# and one client whose only curve the server lacks, which s_server must refuse.
set -u
. "$(dirname "$0")/lib.sh"
interop_init "$1"
for t in openssl curl python3; do
    command -v "$t" >/dev/null || { echo "FAIL: $t not found"; exit 1; }
done

start_sslref_server "$TMP/srv.log" --version tls1.0-tls1.2 || exit 1

# name  openssl-flags  expected: version  suite-id  openssl-cipher  temp-key  group
CASES="
x25519-c02f|-tls1_2 -groups X25519 -cipher ECDHE-RSA-AES128-GCM-SHA256|TLS1.2|c02f|ECDHE-RSA-AES128-GCM-SHA256|X25519, 253 bits|x25519
p256-c02f|-tls1_2 -groups P-256 -cipher ECDHE-RSA-AES128-GCM-SHA256|TLS1.2|c02f|ECDHE-RSA-AES128-GCM-SHA256|ECDH, prime256v1, 256 bits|p256
p384-c02f|-tls1_2 -groups P-384 -cipher ECDHE-RSA-AES128-GCM-SHA256|TLS1.2|c02f|ECDHE-RSA-AES128-GCM-SHA256|ECDH, secp384r1, 384 bits|p384
p256-c030|-tls1_2 -groups P-256 -cipher ECDHE-RSA-AES256-GCM-SHA384|TLS1.2|c030|ECDHE-RSA-AES256-GCM-SHA384|ECDH, prime256v1, 256 bits|p256
x25519-c027|-tls1_2 -groups X25519 -cipher ECDHE-RSA-AES128-SHA256|TLS1.2|c027|ECDHE-RSA-AES128-SHA256|X25519, 253 bits|x25519
p384-c028|-tls1_2 -groups P-384 -cipher ECDHE-RSA-AES256-SHA384|TLS1.2|c028|ECDHE-RSA-AES256-SHA384|ECDH, secp384r1, 384 bits|p384
p256-c013-tls10|-tls1 -groups P-256 -cipher ECDHE-RSA-AES128-SHA:@SECLEVEL=0|TLS1.0|c013|ECDHE-RSA-AES128-SHA|ECDH, prime256v1, 256 bits|p256
x25519-c014-tls11|-tls1_1 -groups X25519 -cipher ECDHE-RSA-AES256-SHA:@SECLEVEL=0|TLS1.1|c014|ECDHE-RSA-AES256-SHA|X25519, 253 bits|x25519
p384-c013-tls10|-tls1 -groups P-384 -cipher ECDHE-RSA-AES128-SHA:@SECLEVEL=0|TLS1.0|c013|ECDHE-RSA-AES128-SHA|ECDH, secp384r1, 384 bits|p384
"

while IFS='|' read -r name flags ver id cipher tkey group; do
    [ -n "$name" ] || continue
    # shellcheck disable=SC2086
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 15 openssl s_client -connect "127.0.0.1:$SRV_PORT" \
        -ign_eof $flags >"$TMP/$name.out" 2>&1 &
done <<<"$CASES"
printf 'import ssl, socket\nc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\nc.check_hostname = False\nc.verify_mode = ssl.CERT_NONE\nc.maximum_version = ssl.TLSVersion.TLSv1_2\nc.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")\ns = c.wrap_socket(socket.create_connection(("127.0.0.1", %s)))\ns.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")\nwhile s.recv(4096):\n    pass\nprint("python", s.version(), s.cipher()[0])\n' "$SRV_PORT" >"$TMP/py.py"
timeout 15 python3 "$TMP/py.py" >"$TMP/python.out" 2>&1 &
timeout 15 curl -sk -v --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-SHA -o "$TMP/curl.body" \
    -w 'http=%{http_code}\n' "https://127.0.0.1:$SRV_PORT/" >"$TMP/curl.out" 2>&1 &

# sslref-client against openssl s_server, one server per group, in parallel
for g in X25519:x25519 P-256:p256 P-384:p384 X25519:p384; do
    og=${g%%:*} cg=${g##*:}
    port=$(free_port) || exit 1
    openssl s_server -accept "$port" -tls1_2 -groups "$og" -cert "$DATA/server-chain.pem" \
        -key "$DATA/server-key-pkcs8.pem" -www >"$TMP/ossl-$og-$cg.log" 2>&1 &
    pid=$!
    INTEROP_PIDS+=("$pid")
    echo "$port $pid" >"$TMP/ossl-$og-$cg.port"
done
for f in "$TMP"/ossl-*.port; do
    read -r port pid <"$f"
    wait_listen "$port" "$pid" || fail "openssl s_server on $port did not start"
    b=${f%.port}
    cg=${b##*-}
    timeout 15 "$BIN/sslref-client" --host 127.0.0.1 --port "$port" --ciphers c02f --groups "$cg" \
        >"$b.client.out" 2>"$b.client.err" &
done
wait_clients() {
    local p
    for p in $(jobs -p); do
        case " ${INTEROP_PIDS[*]} " in *" $p "*) continue ;; esac
        wait "$p" 2>/dev/null || true
    done
}
wait_clients

# openssl s_client cases: its own report, then the server's line
while IFS='|' read -r name flags ver id cipher tkey group; do
    [ -n "$name" ] || continue
    out="$TMP/$name.out"
    if grep -q "Server Temp Key: $tkey" "$out" && grep -q "Cipher is $cipher" "$out" &&
        grep -q "HTTP/1.[01] 200" "$out"; then
        pass "openssl s_client $name: $tkey, $cipher"
    else
        fail "openssl s_client $name"
        show "$out"
    fi
    if grep -q "^version=$ver cipher=0x$id .* group=$group " "$TMP/srv.log"; then
        pass "sslref-server $name: version=$ver cipher=0x$id group=$group"
    else
        fail "sslref-server line for $name (version=$ver cipher=0x$id group=$group)"
        show "$TMP/srv.log"
    fi
done <<<"$CASES"

if grep -q "^python TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384$" "$TMP/python.out" &&
    grep -q "^version=TLS1.2 cipher=0xc030 .* group=x25519 " "$TMP/srv.log"; then
    pass "python3 ssl: TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384, server group=x25519"
else
    fail "python3 ssl"
    show "$TMP/python.out"
fi
if grep -q "SSL connection using TLSv1.2 / ECDHE-RSA-AES128-SHA" "$TMP/curl.out" &&
    grep -q "^http=200$" "$TMP/curl.out" &&
    grep -q "^version=TLS1.2 cipher=0xc013 .* group=x25519 " "$TMP/srv.log"; then
    pass "curl: TLSv1.2 ECDHE-RSA-AES128-SHA, 200, server group=x25519"
else
    fail "curl"
    show "$TMP/curl.out"
fi

for og in X25519 P-256 P-384; do
    case $og in X25519) cg=x25519 sg=x25519 ;; P-256) cg=p256 sg=secp256r1 ;; P-384) cg=p384 sg=secp384r1 ;; esac
    b="$TMP/ossl-$og-$cg"
    if grep -q "^version=TLS1.2 cipher=0xc02f .* group=$cg via=-\$" "$b.client.err" &&
        grep -q "^Shared groups: $sg\$" "$b.client.out" &&
        grep -q "Cipher is ECDHE-RSA-AES128-GCM-SHA256" "$b.client.out"; then
        pass "sslref-client --groups $cg vs openssl s_server -groups $og: group=$cg, s_server shares $sg"
    else
        fail "sslref-client --groups $cg vs openssl s_server -groups $og"
        show "$b.client.err" "$b.client.out" "$b.log"
    fi
done
# no curve in common: s_server (X25519 only) has no ECDHE with a p384-only client and c02f only
b="$TMP/ossl-X25519-p384"
if ! grep -q "^version=" "$b.client.err" && grep -qi "alert\|fail" "$b.client.err"; then
    pass "sslref-client --groups p384 vs s_server -groups X25519: refused ($(head -c 120 "$b.client.err" | tr '\n' ' '))"
else
    fail "sslref-client --groups p384 vs s_server -groups X25519 should fail"
    show "$b.client.err" "$b.log"
fi

interop_finish

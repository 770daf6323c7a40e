#!/bin/bash
# test_gap_wire_check.sh - RFC 6101 checked from outside sslref on captured sessions.
# Appendix E: an SSL 3.0 handshake
# that starts with an SSL 2.0-format CLIENT-HELLO must take the client_random from the SSL 2.0
# challenge (right-aligned, zero-padded to 32 bytes) and hash the hello message (without its record
# header) into both Finished messages. sslref-client --version any (SSL 2.0-format hello offering
# 3.0) talks to sslref-server --version any through a recording proxy, with a NULL suite so that
# the records are readable; tests/interop/gap_ssl3_transcript.py (hashlib only, written from RFC
# 6101) recomputes the key block, every record MAC after ChangeCipherSpec and both Finished
# messages from the master secret in the key log. Also: the same for an SSL 3.0-format hello
# (--version ssl3), the resumed connection (SSL 3.0 hello, as docs/api.md says), both NULL suites,
# a server set to ssl3-with-ssl2-hello, and a control in which a changed byte of the captured hello
# must make the check fail.
# The same checker decrypts encrypted suites with the openssl CLI, so it also checks, independently
# of sslref's kdf3.c, the SSL 3.0 export key derivation (RFC 6101 §6.2.2: final keys and IVs from
# MD5 over the randoms) for RSA export (0003, 0006, 0008, with a 512-bit ServerKeyExchange key),
# DHE-RSA export (0014) and anonymous DH export (0017, 0019), the other anonymous DH suites (0018,
# 001a, 001b: NSS refuses them, so nothing else checks them from outside), and a few non-export
# suites; and the ServerKeyExchange signatures (RFC 6101 §5.6.3, MD5+SHA-1, checked by `openssl pkeyutl`), with the
# RSA export temporary key being the 512-bit key given to --export-key; for RSA key exchange the
# pre-master is decrypted by openssl (export: with that temporary key) and the master secret derived
# from it with hashlib must be the key log's. Last, RFC 6101 Appendix E.2
# from outside: the CLIENT-MASTER-KEY of an SSL 3.0-capable client (Undetermined) that ends up in
# SSL 2.0 with a 2.0-only server is decrypted by openssl and its PKCS#1 padding must end in eight
# 0x03 bytes; a 2.0-only client's must not. (A 3.0 w/2.0 hello client never speaks 2.0: cell (b).)
# And SSL 2.0 itself, which no current peer speaks: for RC4-128, RC4-export, RC2-128, RC2-export,
# DES-64 and 3DES kinds, full and session-reused, the checker derives the keys as Netscape's SSL 2.0 (NSS
# ssl2con.c) and SSLeay did, decrypts every record with openssl and checks MACs, sequence numbers
# and the CLIENT-FINISHED / SERVER-VERIFY / SERVER-FINISHED contents. Not here: IDEA (the openssl
# CLI has no IDEA). DES-64 matters most here: the 1995 spec's text hashes no "0" for its single
# key-material block, while Netscape's and SSLeay's code did, and so does sslref.
# Usage: bash tests/interop/test_gap_wire_check.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"
CHECK="$SRC/tests/interop/gap_ssl3_transcript.py"
command -v python3 >/dev/null || { echo "FAIL: python3 not found"; exit 1; }

# run_case NAME SERVER_VERSION CLIENT_VERSION SUITE [SERVER ARGS...]: one client run (--resume 1)
# through the proxy; leaves the captures in $TMP/NAME/1.* (full) and 2.* (resumed) and the key log
# in $TMP/NAME.keys.
run_case() {
    local name=$1 sv=$2 cv=$3 s=$4 dir="$TMP/$1" i
    shift 4
    mkdir -p "$dir"
    start_sslref_server "$TMP/$name.log" --version "$sv" --ciphers "$s" "$@" ||
        { fail "$name: server"; return 1; }
    python3 "$CHECK" proxy "$dir/port" "$SRV_PORT" "$dir" &
    local px=$!
    INTEROP_PIDS+=("$px")
    for i in $(seq 1 50); do [ -s "$dir/port" ] && break; sleep 0.1; done
    SSLKEYLOGFILE="$TMP/$name.keys" timeout 20 "$BIN/sslref-client" --host 127.0.0.1 \
        --port "$(cat "$dir/port")" --version "$cv" --ciphers "$s" --resume 1 \
        --send 'GET /appendix-e HTTP/1.0\r\n\r\n' >"$dir/out" 2>"$dir/err"
    local rc=$?
    for i in $(seq 1 50); do [ -f "$dir/2.s2c" ] && break; sleep 0.1; done
    stop_pid "$px" TERM
    stop_pid "$SRV_PID" TERM
    if [ $rc -ne 0 ] || [ "$(grep -c "^version=3.0 cipher=0x$s " "$dir/err")" -ne 2 ] ||
        [ ! -f "$dir/2.s2c" ]; then
        fail "$name: client exit $rc or captures missing"
        show "$dir/err" "$TMP/$name.log"
        return 1
    fi
    return 0
}

# expect_check NAME CONN WANT_HELLO WANT_KIND: run the checker on capture CONN.
expect_check() {
    local name=$1 conn=$2 hello=$3 kind=$4 dir="$TMP/$1"
    if python3 "$CHECK" check "$TMP/$name.keys" "$dir/$conn.c2s" "$dir/$conn.s2c" \
        "$DATA/export512-key.pem" "$DATA/server-key-pkcs8.pem" >"$dir/check$conn" 2>&1 &&
        grep -q "hello: $hello" "$dir/check$conn" && grep -q ", $kind handshake" "$dir/check$conn" &&
        grep -q 'both Finished messages equal' "$dir/check$conn" &&
        grep -q "appendix-e" "$dir/check$conn"; then
        pass "$name connection $conn: $hello hello, $kind; MACs and both Finished verified independently"
    else
        fail "$name connection $conn (want $hello hello, $kind)"
        show "$dir/check$conn"
    fi
}

for s in 0002 0001; do
    if run_case "v2hello-$s" any any "$s"; then
        expect_check "v2hello-$s" 1 "SSL 2.0 format offering 3.0" full
        expect_check "v2hello-$s" 2 "SSL 3.0 format" resumed
    fi
done
if run_case "v2hello-h" ssl3-with-ssl2-hello ssl3-with-ssl2-hello 0002; then
    expect_check "v2hello-h" 1 "SSL 2.0 format offering 3.0" full
fi
if run_case "v3hello" ssl3 ssl3 0002; then
    expect_check "v3hello" 1 "SSL 3.0 format" full
    expect_check "v3hello" 2 "SSL 3.0 format" resumed
fi

# Encrypted suites: export key derivation and records, full and resumed (through SSL 2.0 hellos for
# the first connection, as a 1990s export client would have sent).
for s in 0003 0006 0008 0014 0017 0019 0018 001a 001b 0005 000a 002f; do
    dh="$DATA/dh512.pem" # export DH suites need a group of at most 512 bits
    case $s in 0018 | 001a | 001b) dh="$DATA/dh1024.pem" ;; esac
    if run_case "enc-$s" any any "$s" --export-key "$DATA/export512-key.pem" --dh-params "$dh"; then
        expect_check "enc-$s" 1 "SSL 2.0 format offering 3.0" full
        expect_check "enc-$s" 2 "SSL 3.0 format" resumed
    fi
done
if grep -q 'export keys:' "$TMP/enc-0003/check1" 2>/dev/null; then
    pass "the export suites were checked with final keys derived by the checker"
else
    fail "no export key derivation reported"
fi
ske=0
for s in 0003 0006 0008; do
    grep -q 'temporary RSA key in ServerKeyExchange is the export key (512 bits)' "$TMP/enc-$s/check1" &&
        grep -q 'ServerKeyExchange signature (MD5+SHA-1) verified' "$TMP/enc-$s/check1" && ske=$((ske + 1))
done
grep -q 'ServerKeyExchange signature (MD5+SHA-1) verified' "$TMP/enc-0014/check1" && ske=$((ske + 1))
pm=0
for s in 0003 0006 0008; do
    grep -q 'pre-master decrypted by openssl with the temporary export key; master secret derived' \
        "$TMP/enc-$s/check1" && pm=$((pm + 1))
done
for c in v2hello-0002/check1 v3hello/check1 enc-000a/check1 enc-002f/check1; do
    grep -q 'pre-master decrypted by openssl with the server key; master secret derived' "$TMP/$c" &&
        pm=$((pm + 1))
done
if [ $pm -eq 7 ]; then
    pass "RSA key exchange: openssl decrypts the pre-master (with the 512-bit temporary key for export), and the master secret derived from it is the key log's"
else
    fail "pre-master checks: $pm of 7"
    show "$TMP/enc-0003/check1" "$TMP/v3hello/check1"
fi
if [ $ske -eq 4 ]; then
    pass "RSA export (512-bit key set by --export-key) and DHE export ServerKeyExchange signatures verified by openssl"
else
    fail "ServerKeyExchange checks: $ske of 4"
    show "$TMP/enc-0003/check1" "$TMP/enc-0014/check1"
fi
for s in 0003 0008; do
    d="$TMP/enc-$s"
    if [ -f "$d/1.c2s" ] && ! GAP_CONTROL_NO_EXPORT=1 python3 "$CHECK" check "$TMP/enc-$s.keys" \
        "$d/1.c2s" "$d/1.s2c" >"$d/noexport.out" 2>&1 && grep -q 'MAC differs\|padding length' "$d/noexport.out"; then
        pass "control: without the export step the $s records do not decrypt"
    else
        fail "control: $s decrypts without the export key derivation"
        show "$d/noexport.out"
    fi
done

# Appendix E.2: the rollback mark in the SSL 2.0 CLIENT-MASTER-KEY, seen by openssl.
# mark_case NAME CLIENT_VERSION CLIENT_SUITES WANT(yes/no)
mark_case() {
    local name=$1 cv=$2 cs=$3 want=$4 dir="$TMP/$1" i
    mkdir -p "$dir"
    start_sslref_server "$TMP/$name.log" --version ssl2 --ciphers ff01 ||
        { fail "$name: server"; return; }
    python3 "$CHECK" proxy "$dir/port" "$SRV_PORT" "$dir" &
    local px=$!
    INTEROP_PIDS+=("$px")
    for i in $(seq 1 50); do [ -s "$dir/port" ] && break; sleep 0.1; done
    timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$(cat "$dir/port")" --version "$cv" \
        --ciphers "$cs" >"$dir/out" 2>"$dir/err"
    local rc=$?
    for i in $(seq 1 50); do [ -f "$dir/1.c2s" ] && break; sleep 0.1; done
    stop_pid "$px" TERM
    stop_pid "$SRV_PID" TERM
    if [ $rc -eq 0 ] && grep -q '^version=2.0 cipher=0xff01 ' "$dir/err" &&
        python3 "$CHECK" mark "$DATA/server-key-pkcs8.pem" "$dir/1.c2s" >"$dir/mark" 2>&1 &&
        grep -q "rollback mark: $want" "$dir/mark"; then
        pass "$name: SSL 2.0 negotiated; rollback mark in the decrypted CLIENT-MASTER-KEY: $want"
    else
        fail "$name: client exit $rc, want rollback mark '$want'"
        show "$dir/err" "$dir/mark"
    fi
}
mark_case mark-any any 002f,ff01 yes
mark_case mark-v2 ssl2 ff01 no

# SSL 2.0 records and key material, full and session-reused.
for k in ff01 ff02 ff03 ff04 ff06 ff07; do
    d="$TMP/v2-$k"
    mkdir -p "$d"
    start_sslref_server "$TMP/v2-$k.log" --version ssl2 --ciphers "$k" || { fail "v2 $k: server"; continue; }
    python3 "$CHECK" proxy "$d/port" "$SRV_PORT" "$d" &
    px=$!
    INTEROP_PIDS+=("$px")
    for i in $(seq 1 50); do [ -s "$d/port" ] && break; sleep 0.1; done
    timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$(cat "$d/port")" --version ssl2 \
        --ciphers "$k" --resume 1 --send 'GET /ssl2 HTTP/1.0\r\n\r\n' >"$d/out" 2>"$d/err"
    rc=$?
    for i in $(seq 1 50); do [ -f "$d/2.s2c" ] && break; sleep 0.1; done
    stop_pid "$px" TERM
    stop_pid "$SRV_PID" TERM
    if [ $rc -eq 0 ] && [ "$(grep -c "^version=2.0 cipher=0x$k " "$d/err")" -eq 2 ] &&
        python3 "$CHECK" check2 "$DATA/server-key-pkcs8.pem" "$d/1.c2s" "$d/1.s2c" "$d/2.c2s" \
            "$d/2.s2c" >"$d/check" 2>&1 && grep -q 'conn 2: .* session reused' "$d/check" &&
        [ "$(grep -c 'ssl2 HTTP' "$d/check")" -eq 2 ]; then
        pass "SSL 2.0 $k: keys, records, MACs and finished messages verified independently, full and reused"
    else
        fail "SSL 2.0 $k (client exit $rc)"
        show "$d/err" "$d/check"
    fi
done

# Control: a changed byte of the export ServerKeyExchange's temporary modulus must fail the
# signature check.
d="$TMP/enc-0003"
if [ -f "$d/1.s2c" ]; then
    python3 - "$CHECK" "$d/1.s2c" "$d/bad.s2c" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("chk", sys.argv[1])
chk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(chk)
raw = bytearray(open(sys.argv[2], "rb").read())
msgs = [m for t, b in chk.records(raw, False) if t == 22 for m in chk.hs_messages(b)]
ske = [m for m in msgs if m[0] == 12][0]
at = raw.find(ske)
raw[at + 4 + 2 + 10] ^= 0x01  # inside the temporary modulus
open(sys.argv[3], "wb").write(raw)
EOF
    if ! python3 "$CHECK" check "$TMP/enc-0003.keys" "$d/1.c2s" "$d/bad.s2c" "$DATA/export512-key.pem" \
        >"$d/badske.out" 2>&1 && grep -q 'signature does not verify' "$d/badske.out"; then
        pass "control: a changed ServerKeyExchange byte fails the signature check"
    else
        fail "control: the checker accepted a changed ServerKeyExchange"
        show "$d/badske.out"
    fi
fi

# Control: the checker must notice a hello that was not hashed as sent. Change one byte of the
# captured SSL 2.0 hello's cipher-spec list (the client random stays the same): Finished differs.
d="$TMP/v2hello-0002"
if [ -f "$d/1.c2s" ]; then
    python3 - "$d/1.c2s" "$d/bad.c2s" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[2 + 9] ^= 0x01  # first byte of the first CIPHER-SPEC
open(sys.argv[2], "wb").write(b)
EOF
    if ! python3 "$CHECK" check "$TMP/v2hello-0002.keys" "$d/bad.c2s" "$d/1.s2c" >"$d/bad.out" 2>&1 &&
        grep -q 'client Finished differs' "$d/bad.out"; then
        pass "control: a changed hello byte makes the recomputed client Finished differ"
    else
        fail "control: the checker did not notice a changed hello"
        show "$d/bad.out"
    fi
fi
interop_finish

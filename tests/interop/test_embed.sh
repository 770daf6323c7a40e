#!/bin/bash
# test_embed.sh - the complete minimal client and server of docs/embedding.md
# (samples/minimal/*.c) build with only the public headers and work:
#   0. docs/embedding.md shows them verbatim;
#   1. `cmake --install` into a temp prefix installs the headers, libraries and sslref.pc;
#   2. both programs compile with -std=c11 -Wall -Wextra -Werror against the installed headers and
#      link with `pkg-config --static --libs sslref` (as docs/building.md shows);
#   3. minimal-server serves minimal-client, sslref-client and NSS tstclnt (TLS 1.0-1.2, the default range);
#      minimal-client talks to sslref-server.
# Usage: bash tests/interop/test_embed.sh BUILD_DIR
set -uo pipefail
. "$(dirname "$0")/lib.sh"
interop_init "$1"

# docs/embedding.md shows the two programs verbatim (its first and second ```c blocks).
for i in 1 2; do
    awk -v want=$i '/^```c$/ { n++; inb = (n == want); next } /^```$/ { inb = 0 } inb' \
        "$SRC/docs/embedding.md" >"$TMP/block$i.c"
done
if cmp -s "$TMP/block1.c" "$SRC/samples/minimal/minimal-client.c" &&
    cmp -s "$TMP/block2.c" "$SRC/samples/minimal/minimal-server.c"; then
    pass "docs/embedding.md shows samples/minimal/*.c verbatim"
else
    fail "docs/embedding.md and samples/minimal/*.c differ"
    diff "$TMP/block1.c" "$SRC/samples/minimal/minimal-client.c" | head -20
    diff "$TMP/block2.c" "$SRC/samples/minimal/minimal-server.c" | head -20
fi

INST="$TMP/inst"
if cmake --install "$BUILD" --prefix "$INST" >"$TMP/install.log" 2>&1 &&
    [ -f "$INST/include/sslref/ssl.h" ] && [ -f "$INST/lib/pkgconfig/sslref.pc" ]; then
    pass "cmake --install: headers, libraries and sslref.pc in the prefix"
else
    fail "cmake --install"
    show "$TMP/install.log"
    interop_finish
    exit 1
fi
PC=(env PKG_CONFIG_PATH="$INST/lib/pkgconfig" pkg-config)
CFLAGS=$("${PC[@]}" --cflags sslref)
LIBS=$("${PC[@]}" --static --libs sslref)
for p in minimal-client minimal-server; do
    if cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $CFLAGS \
        "$SRC/samples/minimal/$p.c" $LIBS -o "$TMP/$p" >"$TMP/$p.cc.log" 2>&1; then
        pass "$p builds with pkg-config sslref"
    else
        fail "$p does not build with pkg-config sslref ($LIBS)"
        show "$TMP/$p.cc.log"
    fi
done
[ -x "$TMP/minimal-server" ] && [ -x "$TMP/minimal-client" ] || { interop_finish; exit 1; }

# minimal-server: three connections (minimal-client, sslref-client, tstclnt), then it exits 0.
port=$(free_port)
"$TMP/minimal-server" "$port" "$DATA/server-chain.pem" "$DATA/server-key-pkcs8.pem" 3 \
    >"$TMP/ms.out" 2>"$TMP/ms.err" &
ms=$!
INTEROP_PIDS+=("$ms")
if wait_listen "$port" "$ms"; then
    timeout 20 "$TMP/minimal-client" 127.0.0.1 "$port" >"$TMP/mc.out" 2>"$TMP/mc.err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^hello from sslref' "$TMP/mc.out"; then
        pass "minimal-client <-> minimal-server"
    else
        fail "minimal-client <-> minimal-server (exit $rc)"
        show "$TMP/mc.out" "$TMP/mc.err"
    fi
    timeout 20 "$BIN/sslref-client" --host 127.0.0.1 --port "$port" --ca "$DATA/ca-cert.pem" \
        >"$TMP/sc.out" 2>"$TMP/sc.err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^hello from sslref' "$TMP/sc.out"; then
        pass "sslref-client -> minimal-server"
    else
        fail "sslref-client -> minimal-server (exit $rc)"
        show "$TMP/sc.out" "$TMP/sc.err"
    fi
    printf 'GET / HTTP/1.0\r\n\r\n' >"$TMP/request"
    timeout 20 tstclnt -h 127.0.0.1 -p "$port" -d "$DB" -V tls1.0:tls1.2 -o -A "$TMP/request" \
        >"$TMP/tc.out" 2>"$TMP/tc.err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^hello from sslref' "$TMP/tc.out"; then
        pass "NSS tstclnt -> minimal-server"
    else
        fail "NSS tstclnt -> minimal-server (exit $rc)"
        show "$TMP/tc.out" "$TMP/tc.err"
    fi
    for i in $(seq 1 50); do kill -0 "$ms" 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 "$ms" 2>/dev/null && wait "$ms"; then
        pass "minimal-server served 3 connections without error and exited 0"
    else
        fail "minimal-server did not exit cleanly after 3 connections"
        show "$TMP/ms.err"
    fi
    stop_pid "$ms" KILL
else
    fail "minimal-server did not start"
    show "$TMP/ms.err"
fi

# minimal-client against sslref-server (http mode echoes the request).
if start_sslref_server "$TMP/srv.log" --once; then
    timeout 20 "$TMP/minimal-client" 127.0.0.1 "$SRV_PORT" >"$TMP/mc2.out" 2>"$TMP/mc2.err"
    rc=$?
    stop_pid "$SRV_PID" TERM
    if [ $rc -eq 0 ] && grep -q '^HTTP/1.0 200 OK' "$TMP/mc2.out" && grep -q '^GET / HTTP/1.0' "$TMP/mc2.out"; then
        pass "minimal-client -> sslref-server"
    else
        fail "minimal-client -> sslref-server (exit $rc)"
        show "$TMP/mc2.out" "$TMP/mc2.err" "$TMP/srv.log"
    fi
else
    fail "sslref-server did not start"
fi
interop_finish

#!/bin/bash
# test_cache_perm.sh - sslref-server --cache DIR with an unsafe DIR (issue 13, point 5): the server
# checks the cache before it forks workers, so with DIR mode 0755 it must exit non-zero within a
# few seconds (no restart loop) and say why and how to fix it ("chmod 700 DIR"); a file in place of
# the directory is refused the same way; with DIR mode 0700 it starts.
# Usage: bash tests/interop/test_cache_perm.sh BUILD_DIR
set -uo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$BUILD/bin"
DATA="$SRC/tests/data"
[ -x "$BIN/sslref-server" ] || { echo "FAIL: $BIN/sslref-server not built"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sslref-cacheperm.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail=0
server() { # server LOG ARGS...: run sslref-server for at most 10 s; echo its status
    local log=$1
    shift
    timeout 10 "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" \
        --key "$DATA/server-key-pkcs8.pem" "$@" >/dev/null 2>"$log"
    echo $?
}

mkdir -m 755 "$TMP/open"
chmod 755 "$TMP/open"
t0=$SECONDS
st=$(server "$TMP/open.log" --processes 2 --cache "$TMP/open")
if [ "$st" = 0 ] || [ "$st" = 124 ]; then
    echo "FAIL: mode 0755: status $st (want a prompt non-zero exit)"; fail=1
fi
[ $((SECONDS - t0)) -le 3 ] || { echo "FAIL: mode 0755: took $((SECONDS - t0)) s"; fail=1; }
grep -q "chmod 700 $TMP/open" "$TMP/open.log" ||
    { echo "FAIL: mode 0755: no 'chmod 700 DIR' in:"; cat "$TMP/open.log"; fail=1; }
grep -q "master secrets" "$TMP/open.log" || { echo "FAIL: mode 0755: no reason"; fail=1; }
! grep -q "restarting" "$TMP/open.log" || { echo "FAIL: mode 0755: workers restarted"; fail=1; }

touch "$TMP/file"
st=$(server "$TMP/file.log" --cache "$TMP/file")
{ [ "$st" != 0 ] && [ "$st" != 124 ] && grep -q "not a directory" "$TMP/file.log"; } ||
    { echo "FAIL: a file as cache: status $st:"; cat "$TMP/file.log"; fail=1; }

# the fixed directory is accepted: the server starts (and runs until timeout stops it)
chmod 700 "$TMP/open"
st=$(timeout 3 "$BIN/sslref-server" --port 0 --cert "$DATA/server-chain.pem" \
    --key "$DATA/server-key-pkcs8.pem" --cache "$TMP/open" >/dev/null 2>"$TMP/ok.log"; echo $?)
{ [ "$st" = 124 ] && grep -q "^listening on" "$TMP/ok.log"; } ||
    { echo "FAIL: mode 0700: status $st:"; cat "$TMP/ok.log"; fail=1; }

[ $fail = 0 ] && echo "PASS: test_cache_perm"
exit $fail

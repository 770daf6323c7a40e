#!/bin/sh
# Record the fuzz seeds again (tests/fuzz/gen_seeds.c) into tests/fuzz/seeds/{server,client,session,ext}
# with the suite table they match (tests/fuzz/seeds/suites.txt). Run it whenever the suite table,
# the default list or the handshake messages change: ctest fuzz_replay_server/client fails with
# "seeds are stale" until then. Usage: scripts/regen-fuzz-seeds.sh [BUILD_DIR] (default: build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_gen_seeds -j2 >/dev/null
gen=$(find "$build" -name fuzz_gen_seeds -type f -perm -u+x | head -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ASAN_OPTIONS=detect_leaks=0 "$gen" "$tmp/seeds"
rm -rf "$top/tests/fuzz/seeds"
mkdir -p "$top/tests/fuzz/seeds"
cp -R "$tmp/seeds/." "$top/tests/fuzz/seeds/"
echo "seeds: $(ls "$top/tests/fuzz/seeds/server" | wc -l) server, $(ls "$top/tests/fuzz/seeds/client" | wc -l) client, $(ls "$top/tests/fuzz/seeds/session" | wc -l) session, $(ls "$top/tests/fuzz/seeds/ext" | wc -l) ext inputs"
ls "$top/tests/fuzz/seeds/server" "$top/tests/fuzz/seeds/client" | grep -c -- '-fail' | sed 's/^/failed recordings: /' || true

# bench-lib.sh - what tests/bench/compare-nss and tests/bench/compare-nginx share (sourced by bash):
# the temporary directories and the exit trap, free ports, waiting for a listener, a process
# tree's CPU time from /proc, the raw-run file, and one handshake run (hs) with any client
# (NSS strsclnt, sslref-bench or openssl s_time), judged by the client's own full/resumed counts.
# The caller sets SRC, BIN, OUT (and creates it) and then calls bench_init NAME; before hs/warm it
# sets DB (the NSS database), CLIENT_THREADS, and the arrays STRS_ARGS (protocol flags for
# strsclnt, e.g. -V ssl3:ssl3) and BENCH_ARGS (for sslref-bench, e.g. --version ssl3); for s_time
# (TLS 1.2 only) STIME_SECONDS and a function ossl_suite (4 hex digits -> OpenSSL's suite name).

# bench_init NAME: TMP (removed at exit), SHM (a tmpfs directory for LMDB session caches), PIDS
# (servers to kill at exit), RAW (OUT/NAME-raw.txt, emptied), T_START; the servers' logs are
# copied to LOGDIR (default OUT/logs) at exit.
bench_init() {
    BENCH_NAME=$1
    LOGDIR=${LOGDIR:-$OUT/logs}
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX")
    # The LMDB session cache on tmpfs, as docs/sessiondb.md recommends (on a disk every new
    # session costs an fdatasync; selfserv -M and nginx keep their caches in shared memory).
    SHM=$(mktemp -d "/dev/shm/$BENCH_NAME.XXXXXX" 2>/dev/null || mktemp -d "$TMP/shm.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    RAW="$OUT/$BENCH_NAME-raw.txt"
    : >"$RAW"
    T_START=$(date +%s)
    HZ=$(getconf CLK_TCK)
    STRS_ARGS=()
    BENCH_ARGS=()
}
bench_cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$LOGDIR" && mkdir -p "$LOGDIR" && cp "$TMP"/*.log "$LOGDIR/" 2>/dev/null
    rm -rf "$TMP" "$SHM"
}
log() { printf '[%4ds] %s\n' $(($(date +%s) - T_START)) "$*" >&2; }
record() { echo "$*" >>"$RAW"; } # section key suite client metric server run value

free_port() {
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
    done
    return 1
}
wait_listen() { # PORT PID
    local i
    for i in $(seq 1 100); do
        [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
tree_pids() { # PID and all its descendants
    local c
    echo "$1"
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree_pids "$c"; done
}
cpu_ticks() { # user+system clock ticks of a process tree (every thread of every process)
    local f=() p
    for p in $(tree_pids "$1"); do f+=("/proc/$p/stat"); done
    awk '{ i = index($0, ") "); split(substr($0, i + 2), a, " "); s += a[12] + a[13] }
         END { print s + 0 }' "${f[@]}" 2>/dev/null
}
# cpu_ns PID: nanoseconds on a CPU of a process tree, every thread of every process
# (/proc/P/task/T/schedstat: the scheduler's own account, not 10 ms clock ticks).
cpu_ns() {
    local f=() p
    for p in $(tree_pids "$1"); do f+=(/proc/"$p"/task/*/schedstat); done
    awk '{ s += $1 } END { printf "%.0f\n", s }' "${f[@]}" 2>/dev/null
}
# kill_tree PID SIGNAL_FOR_ROOT: signal the root, wait up to 10 s, then SIGKILL what is left.
kill_tree() {
    local pid=$1 sig=$2 i c
    kill "-$sig" "$pid" 2>/dev/null
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    for c in $(tree_pids "$pid"); do kill -KILL "$c" 2>/dev/null; done
    wait "$pid" 2>/dev/null
}

# resumed_ok N FULL: the rule of sslref-bench --full-percent 0 (docs/operations.md): at most the
# first connection's full handshake + 1% of the N connections, rounded down.
resumed_ok() { [ "$2" -le $((1 + $1 / 100)) ]; }

# hs SECTION KEY SUITE SERVER PID PORT REP CLIENT KIND N: one run; records hs/s, server us/hs and
# how many handshakes were full and resumed, and prints a progress line. A failed run is tried
# once more (logged) while the server lives; a second failure is recorded. A resumed run that
# completed but did not resume as asked is recorded, not tried again, and marked (badres) so the
# report calls its row INVALID.
hs() {
    local sec=$1 key=$2 suite=$3 srv=$4 pid=$5 port=$6 rep=$7 client=$8 kind=$9 n=${10}
    local c0 c1 t0 t1 rate ok=0 badres=0 out="$TMP/run.out" full=100 try rc nfull nres us
    [ "$kind" = res ] && full=0
    if ! kill -0 "$pid" 2>/dev/null; then
        log "FAILED: $srv $client $kind $suite $key ($sec): the server (pid $pid) is gone"
        record "$sec $key $suite $client errors $srv $rep 1"
        return
    fi
    for try in 1 2; do
        c0=$(cpu_ns "$pid")
        t0=$(date +%s%N)
        if [ "$client" = strsclnt ]; then
            # strsclnt -o -o exits 1 even on success: judge it by the counts it prints (after its
            # first connection, then the totals: the last line).
            local nflag=-N
            [ "$kind" = res ] && nflag=
            strsclnt -p "$port" -d "$DB" "${STRS_ARGS[@]}" -o -o -D -q $nflag -c "$n" \
                -t "$CLIENT_THREADS" -C ":$suite" 127.0.0.1 >"$out" 2>&1
            read -r nres nfull < <(sed -n 's/^strsclnt: \([0-9]*\) cache hits; \([0-9]*\) cache misses.*/\1 \2/p' "$out" | tail -1)
            # (a resumption by session ticket counts as a cache hit and as a "stateless resume")
            if [ -n "${nres:-}" ] && [ $((nres + nfull)) = "$n" ]; then
                if [ "$kind" = full ]; then
                    [ "$nres" = 0 ] && ok=1
                else
                    ok=1
                    resumed_ok "$n" "$nfull" || badres=1
                fi
            fi
        elif [ "$client" = s_time ]; then
            # openssl s_time: one connection at a time for STIME_SECONDS, each fetching / (-www);
            # prints * per full handshake and r per resumption, then "N connections in ...".
            local mode=-new
            [ "$kind" = res ] && mode=-reuse
            openssl s_time -connect "127.0.0.1:$port" $mode -time "$STIME_SECONDS" -tls1_2 \
                -cipher "$(ossl_suite "$suite")" -www / >"$out" 2>&1
            n=$(sed -n 's/^\([0-9][0-9]*\) connections in [0-9.]*s;.*/\1/p' "$out" | head -1)
            nfull=$(grep -E '^[*r]+$' "$out" | tr -cd '*' | wc -c)
            nres=$(grep -E '^[*r]+$' "$out" | tr -cd 'r' | wc -c)
            if [ -n "$n" ] && [ "$n" -gt 0 ] && [ $((nfull + nres)) = "$n" ]; then
                if [ "$kind" = full ]; then
                    [ "$nres" = 0 ] && ok=1
                else
                    ok=1
                    resumed_ok "$n" "$nfull" || badres=1
                fi
            fi
        else
            "$BIN/sslref-bench" "${BENCH_ARGS[@]}" --host 127.0.0.1 --port "$port" --connections "$n" \
                --threads "$CLIENT_THREADS" --full-percent "$full" --ciphers "$suite" --quiet \
                >"$out" 2>&1
            rc=$?
            nfull=$(awk '$1 == "full" { print $2 }' "$out")
            nres=$(awk '$1 == "resumed" { print $2 }' "$out")
            [ $rc = 0 ] && ok=1
            [ $rc = 3 ] && ok=1 && badres=1 # every connection succeeded; resumption failed
        fi
        t1=$(date +%s%N)
        c1=$(cpu_ns "$pid")
        [ $ok = 1 ] && break
        log "FAILED (try $try): $srv $client $kind $suite $key ($sec)"
        sed 's/^/    /' "$out" | tail -8 >&2
        if ! kill -0 "$pid" 2>/dev/null; then
            log "the $srv server (pid $pid) is gone; its log:"
            tail -20 "$TMP"/*-"$port".log >&2
            break
        fi
        sleep 1
    done
    if [ $ok = 0 ]; then
        record "$sec $key $suite $client errors $srv $rep 1"
        return
    fi
    if [ $badres = 1 ]; then
        log "RESUMPTION FAILED: $srv $client $kind $suite $key ($sec): $nfull full, $nres resumed of $n"
        record "$sec $key $suite $client badres_$kind $srv $rep 1"
    fi
    record "$sec $key $suite $client nfull_$kind $srv $rep $nfull"
    record "$sec $key $suite $client nres_$kind $srv $rep $nres"
    if [ "$client" = strsclnt ] || [ "$client" = s_time ]; then
        rate=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }')
    else
        rate=$(awk '$1 == "all" { print $3 }' "$out")
    fi
    us=$(awk -v d=$((c1 - c0)) -v n="$n" 'BEGIN { printf "%.1f", d / 1e3 / n }')
    record "$sec $key $suite $client hs_$kind $srv $rep $rate"
    record "$sec $key $suite $client cpu_$kind $srv $rep $us"
    log "  run $rep: $sec $key $suite $kind $srv <- $client: $n handshakes, $rate hs/s, $us us server CPU each"
}

warm() { # PORT SUITE: a few full and resumed handshakes (caches, page faults, first sessions)
    strsclnt -p "$1" -d "$DB" "${STRS_ARGS[@]}" -o -o -D -q -c 20 -t 2 -C ":$2" 127.0.0.1 >/dev/null 2>&1
    "$BIN/sslref-bench" "${BENCH_ARGS[@]}" --host 127.0.0.1 --port "$1" --connections 20 --threads 2 \
        --full-percent 50 --ciphers "$2" --quiet >/dev/null 2>&1
}

# bulk_run PORT PID SEC KEY SUITE SERVER REP BLOCKS: one connection reads BLOCKS x 16 KiB (or more:
# an HTTP server's headers) from a server started for it; records the wall-clock MB/s and the MB
# sent per server CPU second (cpu_ns: the whole process tree).
bulk_run() {
    local port=$1 pid=$2 sec=$3 key=$4 suite=$5 srv=$6 rep=$7 blocks=$8 out="$TMP/bulk.out" rc bytes mbs per c0 c1
    c0=$(cpu_ns "$pid")
    "$BIN/sslref-bench" "${BENCH_ARGS[@]}" --host 127.0.0.1 --port "$port" --connections 1 --threads 1 \
        --ciphers "$suite" --quiet >"$out" 2>&1
    rc=$?
    c1=$(cpu_ns "$pid")
    bytes=$(awk '$1 == "bytes" { print $2 }' "$out")
    if [ $rc != 0 ] || [ -z "$bytes" ] || [ "$bytes" -lt $((blocks * 16384)) ]; then
        log "FAILED: bulk $srv $suite $key"
        sed 's/^/    /' "$out" >&2
        record "$sec $key $suite sslref-bench errors $srv $rep 1"
        return 1
    fi
    mbs=$(awk '$1 == "bytes" { print $3 }' "$out")
    per=$(awk -v b="$bytes" -v d=$((c1 - c0)) 'BEGIN { printf "%.1f", (d > 0 ? b / 1e6 / (d / 1e9) : 0) }')
    record "$sec $key $suite sslref-bench bulk_mbs $srv $rep $mbs"
    record "$sec $key $suite sslref-bench bulk_srv $srv $rep $per"
    log "  run $rep: bulk $suite $key $srv: $((bytes / 1048576)) MiB, $mbs MB/s, $per MB per server CPU second"
}

# hold_run PORT PID SEC KEY SUITE SERVER REP N: N idle connections held 2 s (resumed after the
# first), the server's RSS (whole process tree) against its baseline; records KiB per connection.
hold_run() {
    local port=$1 pid=$2 sec=$3 key=$4 suite=$5 srv=$6 rep=$7 n=$8 out="$TMP/hold.out" rc kib
    "$BIN/sslref-bench" "${BENCH_ARGS[@]}" --host 127.0.0.1 --port "$port" --hold "$n" --hold-seconds 2 \
        --threads 4 --full-percent 0 --ciphers "$suite" --server-pid "$pid" --quiet >"$out" 2>&1
    rc=$?
    kib=$(awk '/KiB per connection/ { for (i = 1; i <= NF; i++) if ($i == "KiB" && $(i + 1) == "per") print $(i - 1) }' "$out")
    if [ $rc != 0 ] || [ -z "$kib" ] || ! grep -q "; $n answered" "$out"; then
        log "FAILED: hold $srv $suite $key"
        sed 's/^/    /' "$out" >&2
        record "$sec $key $suite sslref-bench errors $srv $rep 1"
        return 1
    fi
    record "$sec $key $suite sslref-bench mem_kib $srv $rep $kib"
    log "  run $rep: memory $suite $key $srv: $n connections held, $kib KiB each"
}

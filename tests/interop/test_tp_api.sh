#!/bin/bash
# test_tp_api.sh - the server.h API from C, in one process: a small driver (embedded below,
# compiled against BUILD_DIR's static libraries) runs TPServerRun (2 threads) in the main thread
# and sslref clients in another, and checks: processInit once; back-pressure (4 MiB written through
# the writable handler to a client that starts reading late arrives intact); TPConnWrite's 1 MiB
# limit (SSLOverflowErr, the connection stays usable); handshakeFailed for a non-SSL client (a
# protocol error) and for a silent one (SSLIOErr after the handshake timeout); close reasons
# (SSLNoErr after TPConnClose, SSLConnectionClosedGraceful after the client's close_notify); user
# data; TPConnProcess/TPConnThread; TPServerStop from another thread; the counters.
# test_tp_tsan.sh runs the same driver under ThreadSanitizer (TP_LIBDIR=its libraries,
# TP_CFLAGS=-fsanitize=thread, TP_RUN=setarch ... -R).
# Usage: bash tests/interop/test_tp_api.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LIB=${TP_LIBDIR:-$BUILD}
for l in threadpool sessiondb core; do
    [ -f "$LIB/libsslref_$l.a" ] || { echo "FAIL: $LIB/libsslref_$l.a not built"; exit 1; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sslref-tpapi.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/tp_api.c" <<'EOF'
/* tp_api.c - drives server.h from C (see test_tp_api.sh). */
#include "sslref/server.h"
#include "sslref/sslx.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG (4u << 20)
#define CHUNK (512u << 10)
static int fails;
#define CHECK(c, ...) do { if (c) printf("PASS: " __VA_ARGS__); else { fails++; printf("FAIL: " __VA_ARGS__); } printf("\n"); } while (0)

struct conn_state { size_t sent; int big; };
static atomic_int inits, opens, writables, overflow_seen, bad_thread, hs_fail_proto, hs_fail_io;
static atomic_int close_noerr, close_graceful, userdata_ok;
static TPServer *srv;
static int port;

static int h_init(int process, void *ref) { (void)ref; if (process == 0) inits++; return 0; }
static int h_open(TPConn *c, void *ref)
{
    (void)ref;
    opens++;
    if (TPConnProcess(c) != 0 || TPConnThread(c) < 0 || TPConnThread(c) > 1) bad_thread++;
    TPConnSetUserData(c, calloc(1, sizeof(struct conn_state)));
    return 0;
}
static uint8 pattern[CHUNK];
static int big_more(TPConn *c, struct conn_state *st)
{
    if (st->sent >= BIG) { TPConnClose(c); return 0; }
    size_t off = st->sent % 251, n = CHUNK - 251; /* keep the i % 251 pattern across chunks */
    if (n > BIG - st->sent) n = BIG - st->sent;
    if (TPConnWrite(c, pattern + off, n) != SSLNoErr) return -1;
    st->sent += n;
    return 0;
}
static int h_data(TPConn *c, const uint8 *d, size_t len, void *ref)
{
    (void)ref;
    struct conn_state *st = TPConnUserData(c);
    if (len >= 3 && memcmp(d, "BIG", 3) == 0) { st->big = 1; return big_more(c, st); }
    if (len >= 4 && memcmp(d, "OVER", 4) == 0) {
        static uint8 two[2u << 20];
        if (TPConnWrite(c, two, sizeof two) == SSLOverflowErr) overflow_seen++;
        if (TPConnWrite(c, "ok\n", 3) != SSLNoErr) return -1;
        TPConnClose(c);
        return 0;
    }
    return TPConnWrite(c, d, len) == SSLNoErr ? 0 : -1; /* echo */
}
static int h_writable(TPConn *c, void *ref)
{
    (void)ref;
    writables++;
    struct conn_state *st = TPConnUserData(c);
    return st->big ? big_more(c, st) : 0;
}
static void h_failed(TPConn *c, SSLErr e, void *ref)
{
    (void)c; (void)ref;
    if (e == SSLIOErr) hs_fail_io++; else hs_fail_proto++;
}
static void h_close(TPConn *c, SSLErr reason, void *ref)
{
    (void)ref;
    if (reason == SSLNoErr) close_noerr++;
    if (reason == SSLConnectionClosedGraceful) close_graceful++;
    if (TPConnUserData(c)) userdata_ok++;
    free(TPConnUserData(c));
}

static int tcp(void)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { close(fd); return -1; }
    return fd;
}
static SSLErr rd(SSLBuffer b, uint32 *n, void *ref)
{
    ssize_t r = recv((int)(intptr_t)ref, b.data, b.length, 0);
    *n = r > 0 ? (uint32)r : 0;
    return r > 0 ? SSLNoErr : SSLConnectionClosedError;
}
static SSLErr wr(SSLBuffer b, uint32 *n, void *ref)
{
    ssize_t r = send((int)(intptr_t)ref, b.data, b.length, MSG_NOSIGNAL);
    *n = r > 0 ? (uint32)r : 0;
    return r == (ssize_t)b.length ? SSLNoErr : SSLIOErr;
}
/* One client exchange: send msg, optionally wait, read everything into out (cap). */
static long client(const char *msg, int delay_ms, uint8 *out, size_t cap, int close_first)
{
    int fd = tcp();
    SSLContext *ctx;
    if (fd < 0 || SSLXNewContext(&ctx) != SSLNoErr) return -1;
    SSLSetProtocolSide(ctx, SSL_ClientSide);
    SSLSetReadFunc(ctx, rd);
    SSLSetWriteFunc(ctx, wr);
    SSLSetIORef(ctx, (void *)(intptr_t)fd);
    long got = -1;
    uint32 n = (uint32)strlen(msg);
    if (SSLHandshake(ctx) != SSLNoErr || SSLWrite((void *)msg, &n, ctx) != SSLNoErr) goto out;
    if (delay_ms) usleep((useconds_t)delay_ms * 1000);
    got = 0;
    for (;;) {
        uint32 m = (uint32)(cap - (size_t)got > 65536 ? 65536 : cap - (size_t)got);
        if (m == 0) break;
        SSLErr e = SSLRead(out + got, &m, ctx);
        got += m;
        if (e != SSLNoErr) { if (e != SSLConnectionClosedGraceful) got = -2; break; }
        if (close_first && got >= (long)strlen(msg)) break;
    }
    if (close_first) SSLClose(ctx);
out:
    SSLXFreeContext(ctx);
    close(fd);
    return got;
}

static void *clients(void *arg)
{
    (void)arg;
    uint8 *buf = malloc(BIG + 1024);
    long got = client("BIG", 300, buf, BIG + 1024, 0);
    int ok = got == (long)BIG;
    for (long i = 0; ok && i < got; i++) ok = buf[i] == (uint8)(i % 251);
    CHECK(ok, "4 MiB through back-pressure arrived intact (%ld bytes)", got);
    got = client("OVER", 0, buf, 1024, 0);
    CHECK(got == 3 && memcmp(buf, "ok\n", 3) == 0, "after SSLOverflowErr the connection still answers");
    got = client("ping", 0, buf, 1024, 1);
    CHECK(got == 4 && memcmp(buf, "ping", 4) == 0, "echo, then the client closes first");
    int fd = tcp(); /* not SSL at all */
    ssize_t w = write(fd, "GET / HTTP/1.0\r\n\r\n", 18);
    char c;
    ssize_t r = read(fd, &c, 1);
    while (r > 0) r = read(fd, &c, 1);
    close(fd);
    CHECK(w == 18 && r <= 0, "a plain-HTTP client is closed");
    fd = tcp(); /* silent until the 500 ms handshake timeout */
    r = read(fd, &c, 1);
    close(fd);
    CHECK(r <= 0, "a silent client is closed by the handshake timeout");
    usleep(100 * 1000);
    free(buf);
    TPServerStop(srv);
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = malloc(1 << 20);
    *len = fread(b, 1, (1 << 20) - 1, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

int main(int argc, char **argv)
{
    (void)argc;
    signal(SIGPIPE, SIG_IGN);
    for (unsigned i = 0; i < CHUNK; i++) pattern[i] = (uint8)(i % 251);
    size_t kl, cl;
    char *key = slurp(argv[1], &kl), *cert = slurp(argv[2], &cl);
    SSLContext *tmpl;
    SSLRSAPrivateKey *k;
    if (!key || !cert || SSLXNewContext(&tmpl) != SSLNoErr || SSLXRSAPrivateKeyFromPEM(key, kl, &k) != SSLNoErr)
        return 2;
    SSLSetProtocolSide(tmpl, SSL_ServerSide);
    SSLSetPrivateKey(tmpl, k);
    if (SSLXAddCertificatesPEM(tmpl, cert, cl) != SSLNoErr) return 2;
    TPConfig cfg;
    TPDefaultConfig(&cfg);
    cfg.port = 0;
    cfg.tmpl = tmpl;
    cfg.threads = 2;
    cfg.handshakeTimeoutMs = 500;
    cfg.handlers = (TPHandlers){h_init, h_open, h_data, h_writable, h_failed, h_close};
    CHECK(TPServerCreate(&srv, &cfg) == SSLNoErr, "TPServerCreate");
    port = TPServerPort(srv);
    TPConfig bad = cfg;
    bad.tmpl = NULL;
    TPServer *none;
    CHECK(TPServerCreate(&none, &bad) == SSLBadParameterErr, "no template: SSLBadParameterErr");
    pthread_t t;
    pthread_create(&t, NULL, clients, NULL);
    CHECK(TPServerRun(srv) == SSLNoErr, "TPServerRun returns after TPServerStop");
    pthread_join(t, NULL);
    TPStats st;
    CHECK(TPServerGetStats(srv, -1, &st) == SSLNoErr && st.connections == 5 && st.full == 3 &&
          st.resumed == 0 && st.failures == 2 && st.hsTimeouts == 1 && st.active == 0 &&
          st.bytesOut >= BIG, "stats: connections=%llu full=%llu failures=%llu hs_timeouts=%llu",
          (unsigned long long)st.connections, (unsigned long long)st.full,
          (unsigned long long)st.failures, (unsigned long long)st.hsTimeouts);
    CHECK(TPServerGetStats(srv, 1, &st) == SSLBadParameterErr, "process 1 does not exist");
    CHECK(inits == 1 && opens == 3 && bad_thread == 0, "processInit once, 3 opens on threads 0-1 of process 0");
    CHECK(writables >= 1, "writable handler called %d times", (int)writables);
    CHECK(overflow_seen == 1, "2 MiB at once: SSLOverflowErr");
    CHECK(hs_fail_proto == 1 && hs_fail_io == 1, "handshakeFailed: one protocol error, one timeout");
    CHECK(close_noerr == 2 && close_graceful == 1 && userdata_ok == 3,
          "close reasons: 2 x SSLNoErr, 1 x SSLConnectionClosedGraceful; user data kept");
    TPServerFree(srv);
    SSLXFreeContext(tmpl);
    free(key);
    free(cert);
    printf("%s\n", fails ? "FAILED" : "all passed");
    return fails ? 1 : 0;
}
EOF
CC=${CC:-cc}
# shellcheck disable=SC2086
"$CC" ${TP_CFLAGS:-} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g -I"$SRC/core/include" \
    -I"$SRC/sessiondb/include" -I"$SRC/threadpool/include" "$TMP/tp_api.c" \
    "$LIB/libsslref_threadpool.a" "$LIB/libsslref_sessiondb.a" "$LIB/libsslref_core.a" \
    -ltomcrypt -ltommath -lgmp -llmdb -lpthread -o "$TMP/tp_api"
# shellcheck disable=SC2086
timeout 300 ${TP_RUN:-} "$TMP/tp_api" "$SRC/tests/data/server-key-pkcs8.pem" "$SRC/tests/data/server-chain.pem"

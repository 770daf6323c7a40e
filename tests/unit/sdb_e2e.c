/*
 * End to end: two server processes share one LMDB session cache. A client makes a full handshake
 * with the first and resumes the session with the second; both ends must report the resumption,
 * and the second server must have found the session in the cache the first one wrote.
 * (issue: sessiondb, "cross-process resumption end to end")
 */
#include <criterion/criterion.h>
#include <sslref/sessiondb.h>
#include <sslref/sslx.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static SSLErr fd_read(SSLBuffer b, uint32 *n, void *ref)
{
    ssize_t r;
    do
        r = read(*(int *)ref, b.data, b.length);
    while (r < 0 && errno == EINTR);
    *n = r > 0 ? (uint32)r : 0;
    return r > 0 ? SSLNoErr : r == 0 ? SSLConnectionClosedError : SSLIOErr;
}

static SSLErr fd_write(SSLBuffer b, uint32 *n, void *ref)
{
    ssize_t r;
    do
        r = send(*(int *)ref, b.data, b.length, MSG_NOSIGNAL); /* a closed peer is an error, not SIGPIPE */
    while (r < 0 && errno == EINTR);
    *n = r > 0 ? (uint32)r : 0;
    return r >= 0 ? SSLNoErr : SSLIOErr;
}

static char *slurp(const char *name, size_t *n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SSLREF_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "open %s", path);
    char *b = malloc(1 << 16);
    *n = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

/* A server process: open the cache after fork, serve one connection, exit 10 + resumed. */
static int serve_one(const char *dir, int fd)
{
    SDBCache *cache;
    if (SDBOpen(&cache, dir, NULL) != SSLNoErr)
        return 1;
    size_t n;
    char *key = slurp("server-key-pkcs8.pem", &n);
    SSLRSAPrivateKey *k;
    SSLContext *ctx;
    if (SSLXRSAPrivateKeyFromPEM(key, n, &k) != SSLNoErr || SSLXNewContext(&ctx) != SSLNoErr)
        return 2;
    char *chain = slurp("server-chain.pem", &n);
    SSLSetProtocolSide(ctx, SSL_ServerSide);
    SSLSetPrivateKey(ctx, k);
    if (SSLXAddCertificatesPEM(ctx, chain, n) != SSLNoErr)
        return 3;
    SSLSetReadFunc(ctx, fd_read);
    SSLSetWriteFunc(ctx, fd_write);
    SSLSetIORef(ctx, &fd);
    SSLSetAddSessionFunc(ctx, SDBAddSession);
    SSLSetGetSessionFunc(ctx, SDBGetSession);
    SSLSetDeleteSessionFunc(ctx, SDBDeleteSession);
    SSLSetSessionRef(ctx, cache);
    SSLBuffer pid = {1, malloc(1)}; /* a server caches only with a peer ID (any bytes) */
    pid.data[0] = 'p';
    SSLSetPeerID(ctx, pid);
    if (SSLHandshake(ctx) != SSLNoErr)
        return 4;
    uint8 buf[64];
    uint32 len = sizeof buf;
    if (SSLRead(buf, &len, ctx) != SSLNoErr)
        return 5;
    if (SSLWrite(buf, &len, ctx) != SSLNoErr)
        return 6;
    SSLErr ce = SSLClose(ctx); /* the client may already have closed its end */
    if (ce != SSLNoErr && ce != SSLIOErr)
        return 7;
    int resumed = 0;
    SSLXGetResumed(ctx, &resumed);
    SSLXFreeContext(ctx);
    SDBClose(cache);
    free(key);
    free(chain);
    return 10 + resumed;
}

static pid_t spawn_server(const char *dir, int *client_fd)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        _exit(serve_one(dir, sv[1]));
    }
    close(sv[1]);
    *client_fd = sv[0];
    return pid;
}

/* The client side: one in-process entry is enough to hold the session between connections. */
static uint8 *saved;
static uint32 saved_len;
static SSLErr c_add(SSLBuffer k, SSLBuffer d, void *r)
{
    (void)k, (void)r;
    free(saved);
    saved = malloc(d.length);
    memcpy(saved, d.data, d.length);
    saved_len = d.length;
    return SSLNoErr;
}
static SSLErr c_get(SSLBuffer k, SSLBuffer *d, void *r)
{
    (void)k, (void)r;
    if (!saved)
        return SSLNoMatchingSessionKeyErr;
    d->data = malloc(saved_len);
    memcpy(d->data, saved, saved_len);
    d->length = saved_len;
    return SSLNoErr;
}
static SSLErr c_del(SSLBuffer k, void *r)
{
    (void)k, (void)r;
    return SSLNoErr;
}

static int client_once(int fd, uint16 *suite)
{
    SSLContext *ctx;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    SSLSetReadFunc(ctx, fd_read);
    SSLSetWriteFunc(ctx, fd_write);
    SSLSetIORef(ctx, &fd);
    SSLSetAddSessionFunc(ctx, c_add);
    SSLSetGetSessionFunc(ctx, c_get);
    SSLSetDeleteSessionFunc(ctx, c_del);
    SSLBuffer pid = {4, malloc(4)};
    memcpy(pid.data, "peer", 4);
    SSLSetPeerID(ctx, pid);
    cr_assert_eq(SSLHandshake(ctx), SSLNoErr);
    uint32 len = 5;
    cr_assert_eq(SSLWrite("hello", &len, ctx), SSLNoErr);
    char buf[16];
    len = sizeof buf;
    cr_assert_eq(SSLRead(buf, &len, ctx), SSLNoErr);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    SSLErr ce = SSLClose(ctx);
    cr_assert(ce == SSLNoErr || ce == SSLIOErr, "close: %s", SSLXErrorName(ce));
    int resumed;
    SSLXGetResumed(ctx, &resumed);
    SSLGetNegotiatedCipher(ctx, suite);
    SSLXProtocol v = kSSLProtocolUnknown;
    SSLXGetNegotiatedProtocolVersion(ctx, &v);
    cr_expect_eq(v, kTLSProtocol12, "the default range negotiates TLS 1.2");
    SSLXFreeContext(ctx);
    close(fd);
    return resumed;
}

Test(sdb_e2e, resume_across_processes, .timeout = 60)
{
    char dir[] = "/tmp/sslref-e2e-XXXXXX";
    cr_assert(mkdtemp(dir));
    char cache[600];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    uint16 s1, s2;
    int fd, status;
    pid_t a = spawn_server(cache, &fd);
    cr_expect_eq(client_once(fd, &s1), 0, "the first connection is a full handshake");
    cr_assert_eq(waitpid(a, &status, 0), a);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 10, "server A: exit %d", WEXITSTATUS(status));
    pid_t b = spawn_server(cache, &fd);
    cr_expect_eq(client_once(fd, &s2), 1, "the client resumed with the second process");
    cr_assert_eq(waitpid(b, &status, 0), b);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 11,
              "server B resumed from the shared cache: exit %d", WEXITSTATUS(status));
    cr_expect_eq(s1, s2, "same suite after resumption");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

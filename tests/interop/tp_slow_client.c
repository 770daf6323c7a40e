/*
 * tp_slow_client.c - misbehaving SSL 3.0 clients for the threadpool hardening tests (test_tp_closing.sh,
 * test_tp_slowloris.sh), built by tests/CMakeLists.txt over the core API. Each connects to
 * 127.0.0.1:PORT, completes a real handshake, then:
 *   closing PORT HOLD_MS     receive window of 1 KiB (SO_RCVBUF before connect); send 16 KiB
 *                            every 50 ms (to an echo server, whose socket fills, so the echo
 *                            waits in the server) until SIGUSR1, then send close_notify and
 *                            shutdown(SHUT_WR), print "closing-sent", and hold the socket HOLD_MS,
 *                            never reading. (The test script watches the server's send queue
 *                            and signals once it stops growing.)
 *   trickle PORT EVERY_MS MAX_MS   seal "ping\n" into records without sending them, then send
 *                            those bytes one at a time, one every EVERY_MS (slow-loris).
 *   records PORT EVERY_MS MAX_MS   send "ping\n" as whole records every EVERY_MS and read the echo.
 * trickle and records print "closed_ms=T sent=N echoes=E" when the server closes (T from the end
 * of the handshake, N bytes of records sent) or "open_ms=T sent=N echoes=E" after MAX_MS.
 * Exit status 0 unless the connection or the handshake failed.
 */
#include "sslref/ssl.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct peer_io {
    int fd;
    int capture;        /* 1: the write callback keeps the bytes in cap instead of sending */
    uint8 cap[4096];
    uint32 cap_len;
};

static long peer_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void peer_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static SSLErr peer_read(SSLBuffer data, uint32 *processed, void *ref)
{
    struct peer_io *io = ref;
    *processed = 0;
    for (;;) {
        ssize_t n = recv(io->fd, data.data, data.length, 0);
        if (n > 0) {
            *processed = (uint32)n;
            return SSLNoErr;
        }
        if (n == 0)
            return SSLConnectionClosedError;
        if (errno != EINTR)
            return SSLIOErr;
    }
}

static SSLErr peer_write(SSLBuffer data, uint32 *processed, void *ref)
{
    struct peer_io *io = ref;
    *processed = 0;
    if (io->capture) {
        if (data.length > sizeof io->cap - io->cap_len)
            return SSLIOErr;
        memcpy(io->cap + io->cap_len, data.data, data.length);
        io->cap_len += data.length;
        *processed = data.length;
        return SSLNoErr;
    }
    while (*processed < data.length) {
        ssize_t n = send(io->fd, data.data + *processed, data.length - *processed, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return SSLIOErr;
        *processed += (uint32)n;
    }
    return SSLNoErr;
}

/* Connect (with a small receive buffer when @p rcvbuf > 0) and complete the handshake on @p ctx
 * (initialised by main). */
static int peer_open(struct peer_io *io, SSLContext *ctx, int port, int rcvbuf)
{
    io->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (io->fd < 0)
        return -1;
    if (rcvbuf > 0)
        (void)setsockopt(io->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(io->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("tp_slow_client: connect");
        return -1;
    }
    int one = 1;
    (void)setsockopt(io->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {10, 0}; /* never hang the test on a silent server */
    (void)setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSLErr e = SSLSetProtocolSide(ctx, SSL_ClientSide);
    if (e == SSLNoErr) e = SSLSetReadFunc(ctx, peer_read);
    if (e == SSLNoErr) e = SSLSetWriteFunc(ctx, peer_write);
    if (e == SSLNoErr) e = SSLSetIORef(ctx, io);
    if (e == SSLNoErr) e = SSLHandshake(ctx);
    if (e != SSLNoErr) {
        fprintf(stderr, "tp_slow_client: handshake failed: %d\n", (int)e);
        return -1;
    }
    return 0;
}

static volatile sig_atomic_t peer_go_close;
static void peer_on_usr1(int sig) { (void)sig; peer_go_close = 1; }

static int peer_closing(SSLContext *ctx, struct peer_io *io, int port, long hold_ms)
{
    signal(SIGUSR1, peer_on_usr1);
    if (peer_open(io, ctx, port, 1024) != 0)
        return 1;
    printf("open\n");
    fflush(stdout);
    static char chunk[16384];
    memset(chunk, 'x', sizeof chunk);
    long done = 0, t0 = peer_now_ms();
    while (!peer_go_close) {
        if (peer_now_ms() - t0 > 30000) {
            fprintf(stderr, "tp_slow_client: no SIGUSR1 within 30 s\n");
            return 1;
        }
        uint32 n = sizeof chunk;
        if (SSLWrite(chunk, &n, ctx) != SSLNoErr || n == 0) {
            fprintf(stderr, "tp_slow_client: data not sent after %ld bytes\n", done);
            return 1;
        }
        done += n;
        peer_sleep_ms(50);
    }
    SSLErr e = SSLClose(ctx); /* close_notify: the server stops reading and starts closing */
    if (e != SSLNoErr) {
        fprintf(stderr, "tp_slow_client: SSLClose: %d\n", (int)e);
        return 1;
    }
    (void)shutdown(io->fd, SHUT_WR);
    printf("closing-sent after %ld bytes\n", done);
    fflush(stdout);
    peer_sleep_ms(hold_ms); /* never read: the server's output stays stuck in its socket */
    return 0;
}

/* Has the server closed (end of stream or reset)? Reads and counts what it sent meanwhile. */
static int peer_closed(struct peer_io *io, long wait_ms)
{
    struct pollfd pf = {io->fd, POLLIN, 0};
    if (poll(&pf, 1, (int)wait_ms) <= 0)
        return 0;
    uint8 buf[4096];
    ssize_t n = recv(io->fd, buf, sizeof buf, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static int peer_trickle(SSLContext *ctx, struct peer_io *io, int port, long every, long max)
{
    if (peer_open(io, ctx, port, 0) != 0)
        return 1;
    long t0 = peer_now_ms();
    io->capture = 1;
    static char ping[] = "ping\n";
    uint32 n = sizeof ping - 1;
    SSLErr e = SSLWrite(ping, &n, ctx);
    io->capture = 0;
    if (e != SSLNoErr || io->cap_len == 0) {
        fprintf(stderr, "tp_slow_client: sealing failed: %d\n", (int)e);
        return 1;
    }
    uint32 sent = 0;
    for (;;) {
        long now = peer_now_ms();
        if (now - t0 >= max) {
            printf("open_ms=%ld sent=%u echoes=0\n", now - t0, sent);
            return 0;
        }
        if (sent < io->cap_len) {
            if (send(io->fd, io->cap + sent, 1, MSG_NOSIGNAL) != 1) {
                printf("closed_ms=%ld sent=%u echoes=0\n", peer_now_ms() - t0, sent);
                return 0;
            }
            sent++;
        }
        long wait = every < max - (now - t0) ? every : max - (now - t0);
        long until = peer_now_ms() + wait;
        while (peer_now_ms() < until)
            if (peer_closed(io, until - peer_now_ms())) {
                printf("closed_ms=%ld sent=%u echoes=0\n", peer_now_ms() - t0, sent);
                return 0;
            }
    }
}

static int peer_records(SSLContext *ctx, struct peer_io *io, int port, long every, long max)
{
    if (peer_open(io, ctx, port, 0) != 0)
        return 1;
    long t0 = peer_now_ms();
    unsigned sent = 0, echoes = 0;
    static char ping[] = "ping\n";
    while (peer_now_ms() - t0 < max) {
        uint32 n = sizeof ping - 1;
        SSLErr e = SSLWrite(ping, &n, ctx);
        char buf[64];
        uint32 got = 0;
        while (e == SSLNoErr && got < sizeof ping - 1) {
            uint32 m = sizeof buf;
            e = SSLRead(buf, &m, ctx);
            got += m;
        }
        if (e != SSLNoErr) {
            printf("closed_ms=%ld sent=%u echoes=%u\n", peer_now_ms() - t0, sent, echoes);
            return 0;
        }
        sent += (unsigned)n;
        echoes++;
        peer_sleep_ms(every);
    }
    printf("open_ms=%ld sent=%u echoes=%u\n", peer_now_ms() - t0, sent, echoes);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: tp_slow_client closing PORT HOLD_MS\n"
                        "       tp_slow_client trickle|records PORT EVERY_MS MAX_MS\n");
        return 2;
    }
    int port = atoi(argv[2]);
    long a = atol(argv[3]), b = argc > 4 ? atol(argv[4]) : 0;
    SSLContext *ctx = malloc(SSLContextSize());
    struct peer_io *io = calloc(1, sizeof *io);
    if (!ctx || !io)
        return 1;
    io->fd = -1;
    if (SSLInitContext(ctx) != SSLNoErr)
        return 1;
    int rc = 2;
    if (strcmp(argv[1], "closing") == 0 && argc == 4)
        rc = peer_closing(ctx, io, port, a);
    else if (strcmp(argv[1], "trickle") == 0 && argc == 5)
        rc = peer_trickle(ctx, io, port, a, b);
    else if (strcmp(argv[1], "records") == 0 && argc == 5)
        rc = peer_records(ctx, io, port, a, b);
    else
        fprintf(stderr, "tp_slow_client: unknown mode %s\n", argv[1]);
    if (io->fd >= 0)
        close(io->fd);
    (void)SSLDeleteContext(ctx);
    free(ctx);
    free(io);
    return rc;
}

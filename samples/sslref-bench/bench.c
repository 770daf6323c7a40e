/*
 * bench.c - sslref-bench: a load generator in the spirit of NSS strsclnt. C connections over T
 * threads, each a blocking TCP connection (TCP_NODELAY) running the public sslref client API: a
 * handshake (full, or resumed through an in-process session cache keyed by one peer ID per target),
 * one HTTP request, the answer read to its end. Prints a progress line every second and a summary
 * table (bench_report.c); --hold N keeps N connections open to test a server's concurrency.
 * A run that asks for resumption fails (exit 3) when too many of its handshakes were full.
 * --server-pid adds a local server's CPU time per handshake and memory per held connection.
 * --target HOST:PORT (repeatable) spreads the connections round-robin over several servers, all
 * sharing one client-side session (one peer ID), so that resumption crosses them.
 */
#include "bench.h"
#include "sample_cache.h"
#include "sample_cli.h"
#include "sample_sock.h"
#include "sslref/sslx.h"
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct bench {
    const char *host, *ciphers, *csv, *send;
    int port, threads, full_percent, timeout, hold, hold_seconds, quiet, server_pid;
    long connections;
    struct cli_version version;
    struct sockaddr_in addr[BENCH_MAX_TARGETS];
    struct bench_target targets[BENCH_MAX_TARGETS];
    int ntargets;                /* --target: the servers; else one, --host and --port */
    SSLContext *tmpl;
    struct memcache *mc;
    char peer_id[128];
    _Atomic long next, done;
    _Atomic uint64_t full, resumed, errors, held_ok, bytes_in;
    pthread_mutex_t err_mu; /* errors, and each thread's end time once */
    double t_end;           /* when the last thread finished its last connection */
    struct bench_result res;
    SSLContext **held;      /* --hold: the open connections */
    int *held_fd;
};

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_usage(FILE *out)
{
    fprintf(out,
            "usage: sslref-bench --host H --port N --connections C --threads T [--full-percent P]\n"
            "         [--ciphers 000a,...] [--version V (as sslref-client: default tls1.0-tls1.2)]\n"
            "         [--csv FILE] [--send TEXT] [--timeout S] [--quiet]\n"
            "         [--hold N --hold-seconds S] [--server-pid PID]\n"
            "       sslref-bench --target HOST:PORT [--target HOST:PORT]... (instead of --host\n"
            "         and --port; other options as above)\n"
            "  P%% of the connections (default 100) make a full handshake; the others offer the\n"
            "  session cached for this target and resume (the first of them, alone, makes it).\n"
            "  A run with P < 100 fails (exit 3) if more than 1 + (P + 1)%% of C handshakes are\n"
            "  full: the first connection's, P%%, and 1 point of slack; --full-percent 0 allows\n"
            "  1 + 1%% of C. Any error: exit 1. --hold opens N connections, keeps them\n"
            "  idle S seconds, then checks that each one still answers a request.\n"
            "  --server-pid (a server on this machine): also report its CPU time per handshake\n"
            "  (all its threads and child processes) and, with --hold, its memory per connection.\n"
            "  --target (up to 16): connection i goes to target i mod N; all targets share one\n"
            "  cached session, so a session made on one is offered to the next; the summary adds\n"
            "  one line per target: target=HOST:PORT full=F resumed=R errors=E.\n");
}

static int bench_num(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        fprintf(stderr, "sslref-bench: bad value '%s'\n", s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Decode \r \n \t \\ in place. */
static void bench_unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            *o++ = *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        } else
            *o++ = *s;
    }
    *o = 0;
}

static int bench_parse(int argc, char **argv, struct bench *b)
{
    enum { O_FULL = 256, O_VERSION, O_CSV, O_SEND, O_TIMEOUT, O_HOLD, O_HOLDS, O_QUIET, O_SPID,
           O_TARGET };
    static const struct option lo[] = {
        {"host", required_argument, 0, 'H'},      {"port", required_argument, 0, 'p'},
        {"connections", required_argument, 0, 'c'}, {"threads", required_argument, 0, 't'},
        {"full-percent", required_argument, 0, O_FULL}, {"ciphers", required_argument, 0, 'C'},
        {"version", required_argument, 0, O_VERSION}, {"csv", required_argument, 0, O_CSV},
        {"send", required_argument, 0, O_SEND},   {"timeout", required_argument, 0, O_TIMEOUT},
        {"hold", required_argument, 0, O_HOLD},   {"hold-seconds", required_argument, 0, O_HOLDS},
        {"quiet", no_argument, 0, O_QUIET},       {"help", no_argument, 0, 'h'},
        {"server-pid", required_argument, 0, O_SPID},
        {"target", required_argument, 0, O_TARGET},
        {0, 0, 0, 0}};
    long v;
    int c;
    b->port = -1;
    b->threads = 1;
    b->connections = 100;
    b->full_percent = 100;
    b->timeout = 30;
    b->hold_seconds = 5;
    b->version = (struct cli_version){1, SSL_Version_3_0_Only, kTLSProtocol1, kTLSProtocol12};
    static char req[] = "GET /sslref-bench HTTP/1.0\r\n\r\n";
    b->send = req;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'H': b->host = optarg; break;
        case 'p': if (cli_parse_port(optarg, &b->port)) return -1; break;
        case 'c': if (bench_num(optarg, 0, 100000000, &b->connections)) return -1; break;
        case 't': if (bench_num(optarg, 1, 1024, &v)) return -1; b->threads = (int)v; break;
        case O_FULL: if (bench_num(optarg, 0, 100, &v)) return -1; b->full_percent = (int)v; break;
        case 'C': b->ciphers = optarg; break;
        case O_VERSION: if (cli_parse_version(optarg, &b->version)) return -1; break;
        case O_CSV: b->csv = optarg; break;
        case O_SEND: bench_unescape(optarg); b->send = optarg; break;
        case O_TIMEOUT: if (bench_num(optarg, 1, 3600, &v)) return -1; b->timeout = (int)v; break;
        case O_HOLD: if (bench_num(optarg, 0, 1000000, &v)) return -1; b->hold = (int)v; break;
        case O_HOLDS: if (bench_num(optarg, 0, 86400, &v)) return -1; b->hold_seconds = (int)v; break;
        case O_QUIET: b->quiet = 1; break;
        case O_SPID: if (bench_num(optarg, 1, 1 << 30, &v)) return -1; b->server_pid = (int)v; break;
        case O_TARGET: {
            char *colon = strrchr(optarg, ':');
            if (!colon || colon == optarg || b->ntargets == BENCH_MAX_TARGETS) {
                fprintf(stderr, "sslref-bench: --target wants HOST:PORT (at most %d)\n",
                        BENCH_MAX_TARGETS);
                return -1;
            }
            *colon = 0;
            struct bench_target *t = &b->targets[b->ntargets++];
            t->host = optarg;
            if (cli_parse_port(colon + 1, &t->port) || t->port <= 0)
                return -1;
            break;
        }
        case 'h': bench_usage(stdout); exit(0);
        default: bench_usage(stderr); return -1;
        }
    }
    if (b->ntargets && (b->host || b->port >= 0)) {
        fprintf(stderr, "sslref-bench: give either --target (repeatable) or --host and --port\n");
        return -1;
    }
    if (b->ntargets) {
        b->host = b->targets[0].host;
        b->port = b->targets[0].port;
    }
    if (optind < argc || !b->host || b->port <= 0) {
        fprintf(stderr, "sslref-bench: --host and --port (or --target) are required\n");
        bench_usage(stderr);
        return -1;
    }
    return 0;
}

/* The target of connection i (round-robin), or NULL without --target. */
static struct bench_target *bench_target_of(struct bench *b, long i)
{
    return b->ntargets ? &b->targets[i % b->ntargets] : NULL;
}

static void bench_error(struct bench *b, long conn, const char *where, SSLErr e)
{
    atomic_fetch_add(&b->errors, 1);
    if (bench_target_of(b, conn))
        atomic_fetch_add(&bench_target_of(b, conn)->errors, 1);
    pthread_mutex_lock(&b->err_mu);
    struct bench_result *r = &b->res;
    int i = 0;
    while (i < r->nerrs && !(r->errs[i].err == e && strcmp(r->errs[i].where, where) == 0))
        i++;
    if (i == r->nerrs && r->nerrs < BENCH_MAX_ERRKINDS) {
        r->errs[i].err = e;
        r->errs[i].where = where;
        r->errs[i].n = 0;
        r->nerrs++;
    }
    if (i < r->nerrs)
        r->errs[i].n++;
    pthread_mutex_unlock(&b->err_mu);
}

/* Connect, handshake; on success *out is the live context. Records errors and latency. */
static SSLContext *bench_connect(struct bench *b, long i, int *fd_out)
{
    /* full if the running share of full handshakes must grow at connection i */
    int full = (i + 1) * b->full_percent / 100 != i * b->full_percent / 100;
    double t0 = bench_now();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) {
        bench_error(b, i, "connect", SSLIOErr);
        return NULL;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sock_set_timeout(fd, b->timeout);
    const struct sockaddr_in *addr = &b->addr[b->ntargets ? i % b->ntargets : 0];
    if (connect(fd, (struct sockaddr *)addr, sizeof *addr) != 0) {
        close(fd);
        bench_error(b, i, "connect", SSLIOErr);
        return NULL;
    }
    SSLContext *ctx = malloc(SSLContextSize());
    SSLErr e = ctx ? SSLDuplicateContext(b->tmpl, ctx, SOCK_REF(fd)) : SSLMemoryErr;
    if (e == SSLNoErr && !full) { /* the peer ID selects this target's cached session */
        size_t n = strlen(b->peer_id);
        SSLBuffer id = {(uint32)n, malloc(n)};
        e = id.data ? SSLNoErr : SSLMemoryErr;
        if (e == SSLNoErr) {
            memcpy(id.data, b->peer_id, n);
            e = SSLSetPeerID(ctx, id);
        }
    }
    if (e == SSLNoErr)
        e = SSLHandshake(ctx);
    if (e != SSLNoErr) {
        if (ctx) {
            SSLDeleteContext(ctx);
            free(ctx);
        }
        close(fd);
        bench_error(b, i, "handshake", e);
        return NULL;
    }
    int resumed = 0;
    (void)SSLXGetResumed(ctx, &resumed);
    b->res.lat[i] = (float)((bench_now() - t0) * 1000.0);
    b->res.kind[i] = resumed ? BENCH_RESUMED : BENCH_FULL;
    atomic_fetch_add(resumed ? &b->resumed : &b->full, 1);
    struct bench_target *t = bench_target_of(b, i);
    if (t)
        atomic_fetch_add(resumed ? &t->resumed : &t->full, 1);
    *fd_out = fd;
    return ctx;
}

/* Send the request and read the answer (to its end, or only its first bytes if @p first_only). */
static int bench_request(struct bench *b, long i, SSLContext *ctx, int first_only)
{
    const char *p = b->send;
    size_t left = strlen(p);
    while (left) {
        uint32 n = (uint32)left;
        SSLErr e = SSLWrite((void *)p, &n, ctx);
        if (e != SSLNoErr) {
            bench_error(b, i, "request", e);
            return -1;
        }
        p += n;
        left -= n;
    }
    char buf[16384];
    size_t got = 0;
    for (;;) {
        uint32 n = sizeof buf;
        SSLErr e = SSLRead(buf, &n, ctx);
        got += n;
        if (first_only && got)
            break;
        if (e == SSLNoErr)
            continue;
        if ((e == SSLConnectionClosedGraceful || e == SSLConnectionClosedError) && got)
            break;
        bench_error(b, i, "response", e);
        return -1;
    }
    atomic_fetch_add(&b->bytes_in, got);
    return 0;
}

static void bench_close(SSLContext *ctx, int fd)
{
    (void)SSLClose(ctx);
    SSLDeleteContext(ctx);
    free(ctx);
    close(fd);
}

/* Connection i: handshake, then hold it or make one exchange and close. */
static void bench_one(struct bench *b, long i)
{
    int fd = -1;
    SSLContext *ctx = bench_connect(b, i, &fd);
    if (ctx && b->hold) {
        b->held[i] = ctx;
        b->held_fd[i] = fd;
    } else if (ctx) {
        if (bench_request(b, i, ctx, 0) != 0)
            b->res.kind[i] = BENCH_ERROR; /* a failed exchange does not count as a handshake */
        bench_close(ctx, fd);
    }
    atomic_fetch_add(&b->done, 1);
}

static void *bench_thread(void *arg)
{
    struct bench *b = arg;
    long total = b->hold ? b->hold : b->connections;
    for (;;) {
        long i = atomic_fetch_add(&b->next, 1);
        if (i >= total)
            break;
        bench_one(b, i);
    }
    double now = bench_now(); /* the run ends with the last connection, not the next poll */
    pthread_mutex_lock(&b->err_mu);
    if (now > b->t_end)
        b->t_end = now;
    pthread_mutex_unlock(&b->err_mu);
    return NULL;
}

/* --hold: check that every held connection still answers, then close them all. */
static void bench_check_held(struct bench *b)
{
    for (long i = 0; i < b->hold; i++) {
        if (!b->held[i])
            continue;
        if (bench_request(b, i, b->held[i], 1) == 0)
            atomic_fetch_add(&b->held_ok, 1);
        bench_close(b->held[i], b->held_fd[i]);
        b->held[i] = NULL;
    }
}

static int bench_setup(struct bench *b)
{
    int n_addr = b->ntargets ? b->ntargets : 1;
    for (int t = 0; t < n_addr; t++) {
        const char *host = b->ntargets ? b->targets[t].host : b->host;
        int port = b->ntargets ? b->targets[t].port : b->port;
        struct addrinfo hints = {0}, *ai = NULL;
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai) {
            fprintf(stderr, "sslref-bench: cannot resolve %s\n", host);
            return -1;
        }
        memcpy(&b->addr[t], ai->ai_addr, sizeof b->addr[t]);
        b->addr[t].sin_port = htons((uint16_t)port);
        freeaddrinfo(ai);
    }
    /* one peer ID for all targets: a session made on one is offered to the others */
    snprintf(b->peer_id, sizeof b->peer_id, "%s%s:%d", b->ntargets > 1 ? "cluster " : "",
             b->host, b->port);
    b->tmpl = malloc(SSLContextSize());
    b->mc = memcache_new(64, 86400);
    if (!b->tmpl || !b->mc || SSLInitContext(b->tmpl) != SSLNoErr)
        return -1;
    SSLErr e = SSLSetProtocolSide(b->tmpl, SSL_ClientSide);
    if (e == SSLNoErr) e = cli_set_version(b->tmpl, &b->version);
    if (e == SSLNoErr && b->ciphers) e = cli_set_ciphers(b->tmpl, b->ciphers);
    if (e != SSLNoErr)
        return -1;
    SSLSetReadFunc(b->tmpl, sock_read);
    SSLSetWriteFunc(b->tmpl, sock_write);
    memcache_attach(b->mc, b->tmpl);
    long n = b->hold ? b->hold : b->connections;
    b->res.lat = calloc((size_t)n + 1, sizeof(float));
    b->res.kind = calloc((size_t)n + 1, 1);
    if (b->hold) {
        b->held = calloc((size_t)n, sizeof *b->held);
        b->held_fd = calloc((size_t)n, sizeof *b->held_fd);
    }
    return b->res.lat && b->res.kind && (!b->hold || (b->held && b->held_fd)) ? 0 : -1;
}

/* Print progress every second until the threads are done (or, holding, until the hold ends). */
static void bench_watch(struct bench *b, double t0, long total, double until)
{
    int tty = isatty(2);
    long last_done = 0;
    double last_t = t0;
    for (;;) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        double now = bench_now();
        long done = atomic_load(&b->done);
        int finished = until > 0 ? now >= until : done >= total;
        if (!b->quiet && (now - last_t >= 1.0 || finished)) {
            double rate = (done - last_done) / (now - last_t > 0 ? now - last_t : 1);
            bench_progress(stderr, now - t0, done, total, atomic_load(&b->full),
                           atomic_load(&b->resumed), atomic_load(&b->errors), rate, tty);
            last_done = done;
            last_t = now;
        }
        if (finished)
            break;
    }
    if (!b->quiet && tty)
        fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    static struct bench b; /* zeroed; large enough to keep off the stack */
    if (bench_parse(argc, argv, &b) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    pthread_mutex_init(&b.err_mu, NULL);
    if (bench_setup(&b) != 0) {
        fprintf(stderr, "sslref-bench: setup failed\n");
        return 1;
    }
    long total = b.hold ? b.hold : b.connections;
    struct bench_result *r = &b.res;
    if (b.server_pid && bench_proc_sample(b.server_pid, &r->srv0) != 0) {
        fprintf(stderr, "sslref-bench: no process %d\n", b.server_pid);
        return 1;
    }
    r->server_pid = b.server_pid;
    r->rss_base_kb = r->srv0.rss_kb;
    pthread_t *tids = calloc((size_t)b.threads, sizeof *tids);
    if (!tids)
        return 1;
    double t0 = bench_now();
    if (b.full_percent < 100 && total > 0) {
        /* As strsclnt does: the first connection, which has no session to offer, runs alone, so
           the others find its session cached instead of all racing to full handshakes. */
        bench_one(&b, 0);
        atomic_store(&b.next, 1);
    }
    int started = 0;
    for (; started < b.threads; started++)
        if (pthread_create(&tids[started], NULL, bench_thread, &b) != 0)
            break;
    if (started == 0) {
        fprintf(stderr, "sslref-bench: cannot start threads\n");
        return 1;
    }
    bench_watch(&b, t0, total, 0);
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    double t1 = b.t_end > t0 ? b.t_end : bench_now();
    if (b.server_pid)
        (void)bench_proc_sample(b.server_pid, &r->srv1); /* the handshakes (and requests) only */
    if (b.hold) {
        if (!b.quiet)
            fprintf(stderr, "holding %llu connections for %d s\n",
                    (unsigned long long)(atomic_load(&b.full) + atomic_load(&b.resumed)),
                    b.hold_seconds);
        bench_watch(&b, t0, total, bench_now() + b.hold_seconds);
        struct bench_proc held;
        if (b.server_pid && bench_proc_sample(b.server_pid, &held) == 0)
            r->rss_hold_kb = held.rss_kb; /* after the idle period: buffers released by now */
        bench_check_held(&b);
    }
    r->host = b.host;
    r->port = b.port;
    r->threads = b.threads;
    r->full_percent = b.full_percent;
    r->hold = b.hold;
    r->connections = total;
    r->elapsed = t1 - t0;
    r->full = atomic_load(&b.full);
    r->resumed = atomic_load(&b.resumed);
    r->errors = atomic_load(&b.errors);
    r->held_ok = atomic_load(&b.held_ok);
    r->bytes_in = atomic_load(&b.bytes_in);
    r->ntargets = b.ntargets;
    r->targets = b.targets;
    bench_summary(stdout, r);
    int rc = r->errors ? 1 : 0;
    uint64_t full_max;
    if (bench_full_max(r, &full_max) && r->full > full_max) {
        fprintf(stderr,
                "sslref-bench: resumption failed: %llu of %llu handshakes were full, more than the "
                "%llu a run with --full-percent %d allows (%d%% + 1 point of %ld connections, "
                "plus the first)\n",
                (unsigned long long)r->full, (unsigned long long)(r->full + r->resumed),
                (unsigned long long)full_max, r->full_percent, r->full_percent, r->connections);
        if (!rc)
            rc = 3;
    }
    if (b.csv && bench_csv(b.csv, r) != 0)
        rc = 1;
    SSLDeleteContext(b.tmpl);
    free(b.tmpl);
    memcache_free(b.mc);
    free(r->lat);
    free(r->kind);
    free(b.held);
    free(b.held_fd);
    free(tids);
    return rc;
}

/*
 * server.c - sslref-server: a single-process SSL server over blocking sockets, one connection at
 * a time (the threadpool makes it concurrent later). A template context holds the configuration;
 * every connection is SSLDuplicateContext(template) plus its socket and a peer ID (the client's
 * IP address, which enables server-side session caching). Modes: http (answer one request with
 * it echoed back) and echo. Flags and output are an interface: see docs/samples.md.
 */
#include "sample_cache.h"
#include "sample_cli.h"
#include "sample_sock.h"
#include "sslref/sessiondb.h"
#include "sslref/ssl.h"
#include "sslref/sslx.h"
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REQ_MAX 65536

struct server_opts {
    const char *bind, *cert, *key, *export_key, *dh, *ciphers, *ca, *cache_dir;
    const char *mode;
    int port, request_cert, no_split, once, stats, threads, processes;
    SSLProtocolVersion version;
};

struct server_stats {
    unsigned long connections, full, resumed, failures;
};

static volatile sig_atomic_t server_stop;

static void server_on_signal(int sig)
{
    (void)sig;
    server_stop = 1;
}

static void server_usage(FILE *out)
{
    fprintf(out,
            "usage: sslref-server --port N [--bind 127.0.0.1] --cert chain.pem --key key.pem\n"
            "         [--export-key k512.pem] [--dh-params dh.pem] [--ciphers 000a,0005,...]\n"
            "         [--version any|ssl3|ssl3-with-ssl2-hello|ssl2] [--request-client-cert]\n"
            "         [--ca ca.pem] [--cache DIR] [--mode http|echo] [--no-split] [--once] [--stats]\n"
            "  --port 0 picks a free port; the chosen one is printed as \"listening on ADDR:PORT\".\n"
            "  --threads/--processes: only 1 is supported until the threadpool lands.\n"
            "  SSLKEYLOGFILE=path appends NSS key-log lines for every session.\n");
}

static int server_parse(int argc, char **argv, struct server_opts *o)
{
    enum { O_BIND = 256, O_EXPORT, O_DH, O_VERSION, O_REQ, O_CA, O_CACHE, O_THREADS, O_PROCS,
           O_MODE, O_NOSPLIT, O_ONCE, O_STATS };
    static const struct option longopts[] = {
        {"port", required_argument, 0, 'p'},       {"bind", required_argument, 0, O_BIND},
        {"cert", required_argument, 0, 'c'},       {"key", required_argument, 0, 'k'},
        {"export-key", required_argument, 0, O_EXPORT}, {"dh-params", required_argument, 0, O_DH},
        {"ciphers", required_argument, 0, 'C'},    {"version", required_argument, 0, O_VERSION},
        {"request-client-cert", no_argument, 0, O_REQ}, {"ca", required_argument, 0, O_CA},
        {"cache", required_argument, 0, O_CACHE},  {"threads", required_argument, 0, O_THREADS},
        {"processes", required_argument, 0, O_PROCS}, {"mode", required_argument, 0, O_MODE},
        {"no-split", no_argument, 0, O_NOSPLIT},   {"once", no_argument, 0, O_ONCE},
        {"stats", no_argument, 0, O_STATS},        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->bind = "127.0.0.1";
    o->mode = "http";
    o->port = -1;
    o->threads = o->processes = 1;
    o->version = SSL_Version_Undetermined;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': if (cli_parse_port(optarg, &o->port)) return -1; break;
        case O_BIND: o->bind = optarg; break;
        case 'c': o->cert = optarg; break;
        case 'k': o->key = optarg; break;
        case O_EXPORT: o->export_key = optarg; break;
        case O_DH: o->dh = optarg; break;
        case 'C': o->ciphers = optarg; break;
        case O_VERSION: if (cli_parse_version(optarg, &o->version)) return -1; break;
        case O_REQ: o->request_cert = 1; break;
        case O_CA: o->ca = optarg; break;
        case O_CACHE: o->cache_dir = optarg; break;
        case O_THREADS: o->threads = atoi(optarg); break;
        case O_PROCS: o->processes = atoi(optarg); break;
        case O_MODE: o->mode = optarg; break;
        case O_NOSPLIT: o->no_split = 1; break;
        case O_ONCE: o->once = 1; break;
        case O_STATS: o->stats = 1; break;
        case 'h': server_usage(stdout); exit(0);
        default: server_usage(stderr); return -1;
        }
    }
    if (optind < argc || o->port < 0 || !o->cert || !o->key) {
        fprintf(stderr, "sslref-server: --port, --cert and --key are required\n");
        server_usage(stderr);
        return -1;
    }
    if (strcmp(o->mode, "http") && strcmp(o->mode, "echo")) {
        fprintf(stderr, "sslref-server: --mode must be http or echo\n");
        return -1;
    }
    if (o->threads != 1 || o->processes != 1) {
        fprintf(stderr, "sslref-server: --threads and --processes other than 1 are not supported yet "
                        "(this server handles one connection at a time until the threadpool lands)\n");
        return -1;
    }
    return 0;
}

/* Build the template context that every connection duplicates. */
static SSLErr server_template(const struct server_opts *o, SSLContext *t, struct cli_ca *ca)
{
    SSLErr e = SSLInitContext(t);
    if (e == SSLNoErr) e = SSLSetProtocolSide(t, SSL_ServerSide);
    if (e == SSLNoErr) e = SSLSetProtocolVersion(t, o->version);
    if (e == SSLNoErr) e = cli_load_key(t, o->key, 0);
    if (e == SSLNoErr) e = cli_load_certs(t, o->cert);
    if (e == SSLNoErr && o->export_key) e = cli_load_key(t, o->export_key, 1);
    if (e == SSLNoErr && o->dh) e = cli_load_dh(t, o->dh);
    if (e == SSLNoErr && o->ciphers) e = cli_set_ciphers(t, o->ciphers);
    if (e == SSLNoErr && o->request_cert) e = SSLSetRequestClientCert(t, 1);
    if (e == SSLNoErr && o->no_split) e = SSLXSetCBCRecordSplitting(t, 0);
    if (e == SSLNoErr && o->ca) {
        if (cli_ca_load(ca, o->ca) != 0)
            return SSLIOErr;
        SSLSetCheckCertificateFunc(t, cli_ca_check);
        SSLSetCheckCertificateRef(t, ca);
    }
    if (e == SSLNoErr && getenv("SSLKEYLOGFILE") && *getenv("SSLKEYLOGFILE"))
        e = SSLXSetKeyLogFunc(t, SSLXKeyLogToFile, getenv("SSLKEYLOGFILE"));
    SSLSetReadFunc(t, sock_read);
    SSLSetWriteFunc(t, sock_write);
    return e;
}

/* Write all of buf; SSLWrite consumes everything in blocking mode, but loop to be safe. */
static SSLErr server_write_all(SSLContext *ctx, const char *buf, size_t len)
{
    while (len) {
        uint32 n = len > 16384 ? 16384 : (uint32)len;
        SSLErr e = SSLWrite((void *)buf, &n, ctx);
        if (e != SSLNoErr && e != SSLWouldBlockErr)
            return e;
        buf += n;
        len -= n;
    }
    return SSLServiceWriteQueue(ctx);
}

/* http mode: read up to the first empty line, answer 200 with the request as the body. */
static SSLErr server_http(SSLContext *ctx)
{
    char *req = malloc(REQ_MAX + 1);
    if (!req)
        return SSLMemoryErr;
    size_t have = 0;
    SSLErr e = SSLNoErr;
    for (;;) {
        req[have] = 0;
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n") || have == REQ_MAX)
            break;
        uint32 n = (uint32)(REQ_MAX - have);
        e = SSLRead(req + have, &n, ctx);
        have += n;
        if (e == SSLConnectionClosedGraceful && have)
            break; /* answer what we got */
        if (e != SSLNoErr)
            goto out;
    }
    char head[128];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n", have);
    e = server_write_all(ctx, head, (size_t)hl);
    if (e == SSLNoErr)
        e = server_write_all(ctx, req, have);
out:
    free(req);
    return e;
}

/* echo mode: send back every byte until the peer closes. */
static SSLErr server_echo(SSLContext *ctx)
{
    char buf[16384];
    for (;;) {
        uint32 n = sizeof buf;
        SSLErr e = SSLRead(buf, &n, ctx);
        if (n) {
            SSLErr w = server_write_all(ctx, buf, n);
            if (w != SSLNoErr)
                return w;
        }
        if (e == SSLConnectionClosedGraceful)
            return SSLNoErr;
        if (e != SSLNoErr)
            return e;
    }
}

static void server_connection(const struct server_opts *o, SSLContext *tmpl, int fd,
                              const char *peer, const char *peer_ip, struct server_stats *st)
{
    char extra[160];
    st->connections++;
    SSLContext *ctx = malloc(SSLContextSize());
    if (!ctx) {
        fprintf(stderr, "error=SSLMemoryErr from=%s\n", peer);
        st->failures++;
        close(fd);
        return;
    }
    SSLErr e = SSLDuplicateContext(tmpl, ctx, SOCK_REF(fd));
    if (e == SSLNoErr) {
        /* Any peer ID enables server-side caching (keyed by session ID); the library frees it
         * with the context's Free callback, and the default allocator is malloc. */
        size_t idlen = strlen(peer_ip);
        SSLBuffer id = {(uint32)idlen, malloc(idlen)};
        if (!id.data)
            e = SSLMemoryErr;
        else {
            memcpy(id.data, peer_ip, idlen);
            e = SSLSetPeerID(ctx, id);
        }
    }
    if (e == SSLNoErr)
        e = SSLHandshake(ctx);
    if (e != SSLNoErr) {
        uint16 sent = 0, recv = 0;
        (void)SSLXGetLastAlerts(ctx, &sent, &recv);
        fprintf(stderr, "error=%s alert_sent=0x%04x alert_received=0x%04x from=%s\n",
                SSLXErrorName(e), sent, recv, peer);
        st->failures++;
    } else {
        int resumed = 0;
        (void)SSLXGetResumed(ctx, &resumed);
        if (resumed)
            st->resumed++;
        else
            st->full++;
        snprintf(extra, sizeof extra, "from=%s", peer);
        cli_print_connection(stderr, ctx, extra);
        e = strcmp(o->mode, "echo") == 0 ? server_echo(ctx) : server_http(ctx);
        if (e == SSLNoErr)
            e = SSLClose(ctx);
        if (e != SSLNoErr && e != SSLConnectionClosedGraceful) {
            fprintf(stderr, "error=%s after handshake from=%s\n", SSLXErrorName(e), peer);
            st->failures++;
        }
    }
    SSLDeleteContext(ctx);
    free(ctx);
    close(fd);
}

static void server_print_stats(const struct server_stats *st)
{
    fprintf(stderr, "stats: connections=%lu full=%lu resumed=%lu failures=%lu\n", st->connections,
            st->full, st->resumed, st->failures);
}

int main(int argc, char **argv)
{
    struct server_opts o;
    if (server_parse(argc, argv, &o) != 0)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = server_on_signal; /* no SA_RESTART: accept() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct cli_ca ca = {0, NULL};
    SSLContext *tmpl = malloc(SSLContextSize());
    if (!tmpl || server_template(&o, tmpl, &ca) != SSLNoErr) {
        if (tmpl) {
            SSLDeleteContext(tmpl);
            free(tmpl);
        }
        cli_ca_free(&ca);
        return 1;
    }
    struct memcache *mc = NULL;
    SDBCache *sdb = NULL;
    if (o.cache_dir) {
        SSLErr e = SDBOpen(&sdb, o.cache_dir, NULL);
        if (e != SSLNoErr) {
            fprintf(stderr, "sslref-server: cannot open --cache %s: %s\n", o.cache_dir, SSLXErrorName(e));
            SSLDeleteContext(tmpl);
            free(tmpl);
            cli_ca_free(&ca);
            return 1;
        }
        SSLSetAddSessionFunc(tmpl, SDBAddSession);
        SSLSetGetSessionFunc(tmpl, SDBGetSession);
        SSLSetDeleteSessionFunc(tmpl, SDBDeleteSession);
        SSLSetSessionRef(tmpl, sdb);
    } else {
        mc = memcache_new(1024, 86400);
        if (mc)
            memcache_attach(mc, tmpl);
    }
    int port = 0, status = 0;
    int lfd = sock_listen(o.bind, o.port, &port);
    if (lfd < 0) {
        status = 1;
        goto out;
    }
    fprintf(stderr, "listening on %s:%d\n", o.bind, port);
    struct server_stats st = {0, 0, 0, 0};
    while (!server_stop) {
        char peer[64], peer_ip[48];
        int fd = sock_accept(lfd, peer, sizeof peer, peer_ip, sizeof peer_ip);
        if (fd < 0)
            continue; /* EINTR (a signal) or a failed accept */
        sock_set_timeout(fd, 30);
        server_connection(&o, tmpl, fd, peer, peer_ip, &st);
        if (o.once)
            break;
    }
    close(lfd);
    if (o.stats || server_stop)
        server_print_stats(&st);
    if (o.once && st.failures)
        status = 1;
out:
    SSLDeleteContext(tmpl);
    free(tmpl);
    memcache_free(mc);
    SDBClose(sdb);
    cli_ca_free(&ca);
    return status;
}

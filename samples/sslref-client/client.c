/*
 * client.c - sslref-client: connects, handshakes, prints one summary line per connection to
 * stderr, sends --send TEXT (default an HTTP/1.0 GET for /), copies the reply to stdout until the
 * server closes, and closes cleanly. --resume K reconnects K more times with the same peer ID and
 * an in-process session cache, so those connections resume (--resume-delay MS waits before each
 * one). Flags: see docs/samples.md.
 */
#include "sample_cache.h"
#include "sample_cli.h"
#include "sample_sock.h"
#include "sslref/ssl.h"
#include "sslref/sslx.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct client_opts {
    const char *host, *ciphers, *cert, *key, *ca, *send, *servername, *alpn, *groups;
    int port, resume;
    long resume_delay_ms; /* --resume-delay: pause before each reconnection */
    struct cli_version version;
};

static void client_usage(FILE *out)
{
    fprintf(out,
            "usage: sslref-client --host H --port N [--ciphers 000a,0005,...]\n"
            "         [--version V] [--cert c.pem --key k.pem] [--ca ca.pem] [--resume K]\n"
            "         [--resume-delay MS] [--send TEXT] [--servername NAME] [--alpn LIST]\n"
            "         [--groups x25519,p256,p384,ffdhe2048,...|none]\n"
            "  --version: tls1.0-tls1.2 (the default), ssl2, ssl3, tls1.0, tls1.1, tls1.2, a range\n"
            "  MIN-MAX (ssl3-tls1.2), any (SSL 2.0 or 3.0) or ssl3-with-ssl2-hello.\n"
            "  Without --ca the server's certificate is not checked.\n"
            "  --groups: the supported_groups offer, in order (default: the library's, EC curves\n"
            "  then ffdhe2048, 3072, 4096; the curves are offered only with an ECDHE suite).\n"
            "  --send defaults to \"GET / HTTP/1.0\\r\\n\\r\\n\"; C escapes \\r \\n \\t \\\\ are decoded.\n"
            "  SSLKEYLOGFILE=path appends NSS key-log lines for every session.\n");
}

/* Decode \r \n \t \\ in place (so a shell can pass an HTTP request). */
static size_t client_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '\\' && r[1]) {
            r++;
            *w++ = *r == 'r' ? '\r' : *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
    return (size_t)(w - s);
}

static int client_parse(int argc, char **argv, struct client_opts *o)
{
    enum { O_HOST = 256, O_PORT, O_CIPHERS, O_VERSION, O_CERT, O_KEY, O_CA, O_RESUME, O_SEND,
           O_DELAY, O_SNAME, O_ALPN, O_GROUPS };
    static const struct option longopts[] = {
        {"host", required_argument, 0, O_HOST},       {"port", required_argument, 0, O_PORT},
        {"ciphers", required_argument, 0, O_CIPHERS}, {"version", required_argument, 0, O_VERSION},
        {"servername", required_argument, 0, O_SNAME}, {"alpn", required_argument, 0, O_ALPN},
        {"cert", required_argument, 0, O_CERT},       {"key", required_argument, 0, O_KEY},
        {"ca", required_argument, 0, O_CA},           {"resume", required_argument, 0, O_RESUME},
        {"send", required_argument, 0, O_SEND},       {"help", no_argument, 0, 'h'},
        {"resume-delay", required_argument, 0, O_DELAY},
        {"groups", required_argument, 0, O_GROUPS},
        {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->port = -1;
    o->version = (struct cli_version){1, SSL_Version_3_0_Only, kTLSProtocol1, kTLSProtocol12};
    o->send = "GET / HTTP/1.0\\r\\n\\r\\n";
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_HOST: o->host = optarg; break;
        case O_PORT: if (cli_parse_port(optarg, &o->port)) return -1; break;
        case O_CIPHERS: o->ciphers = optarg; break;
        case O_SNAME: o->servername = optarg; break;
        case O_ALPN: o->alpn = optarg; break;
        case O_GROUPS: o->groups = optarg; break;
        case O_VERSION: if (cli_parse_version(optarg, &o->version)) return -1; break;
        case O_CERT: o->cert = optarg; break;
        case O_KEY: o->key = optarg; break;
        case O_CA: o->ca = optarg; break;
        case O_RESUME: {
            char *end;
            long k = strtol(optarg, &end, 10);
            if (!*optarg || *end || k < 0 || k > 1000000) {
                fprintf(stderr, "bad --resume %s\n", optarg);
                return -1;
            }
            o->resume = (int)k;
            break;
        }
        case O_SEND: o->send = optarg; break;
        case O_DELAY: {
            char *end;
            long ms = strtol(optarg, &end, 10);
            if (!*optarg || *end || ms < 0 || ms > 86400000) {
                fprintf(stderr, "bad --resume-delay %s\n", optarg);
                return -1;
            }
            o->resume_delay_ms = ms;
            break;
        }
        case 'h': client_usage(stdout); exit(0);
        default: client_usage(stderr); return -1;
        }
    }
    if (optind < argc || !o->host || o->port <= 0) {
        fprintf(stderr, "sslref-client: --host and --port are required\n");
        client_usage(stderr);
        return -1;
    }
    if (!o->cert != !o->key) {
        fprintf(stderr, "sslref-client: --cert and --key go together\n");
        return -1;
    }
    return 0;
}

static SSLErr client_setup(const struct client_opts *o, SSLContext *ctx, int fd, struct memcache *mc,
                           struct cli_ca *ca)
{
    SSLErr e = SSLInitContext(ctx);
    if (e == SSLNoErr) e = SSLSetProtocolSide(ctx, SSL_ClientSide);
    if (e == SSLNoErr) e = cli_set_version(ctx, &o->version);
    if (e == SSLNoErr && o->ciphers) e = cli_set_ciphers(ctx, o->ciphers);
    if (e == SSLNoErr && o->servername) e = SSLXSetServerName(ctx, o->servername);
    if (e == SSLNoErr && o->alpn) e = SSLXSetALPN(ctx, o->alpn);
    if (e == SSLNoErr && o->groups) e = cli_set_groups(ctx, o->groups);
    if (e == SSLNoErr && o->cert) e = cli_load_key(ctx, o->key, 0);
    if (e == SSLNoErr && o->cert) e = cli_load_certs(ctx, o->cert);
    if (e == SSLNoErr && getenv("SSLKEYLOGFILE") && *getenv("SSLKEYLOGFILE"))
        e = SSLXSetKeyLogFunc(ctx, SSLXKeyLogToFile, getenv("SSLKEYLOGFILE"));
    if (e != SSLNoErr)
        return e;
    SSLSetReadFunc(ctx, sock_read);
    SSLSetWriteFunc(ctx, sock_write);
    SSLSetIORef(ctx, SOCK_REF(fd));
    if (ca->n) {
        SSLSetCheckCertificateFunc(ctx, cli_ca_check);
        SSLSetCheckCertificateRef(ctx, ca);
    }
    if (mc) {
        /* The client keys its cached session by peer ID; the library frees it (malloc'd, the
         * default allocator). */
        char id[300];
        int n = snprintf(id, sizeof id, "%s:%d", o->host, o->port);
        SSLBuffer b = {(uint32)n, malloc((size_t)n)};
        if (!b.data)
            return SSLMemoryErr;
        memcpy(b.data, id, (size_t)n);
        SSLSetPeerID(ctx, b);
        memcache_attach(mc, ctx);
    }
    return SSLNoErr;
}

/* One connection. Returns SSLNoErr or the error that ended it (already printed). */
static SSLErr client_connection(const struct client_opts *o, const char *req, size_t reqlen,
                                struct memcache *mc, struct cli_ca *ca)
{
    int fd = sock_connect(o->host, o->port);
    if (fd < 0)
        return SSLIOErr;
    sock_set_timeout(fd, 30);
    SSLContext *ctx = malloc(SSLContextSize());
    if (!ctx) {
        close(fd);
        return SSLMemoryErr;
    }
    const char *stage = "setup";
    SSLErr e = client_setup(o, ctx, fd, mc, ca);
    if (e == SSLNoErr) {
        stage = "handshake";
        e = SSLHandshake(ctx);
    }
    if (e == SSLNoErr) {
        cli_print_connection(stderr, ctx, NULL);
        stage = "write";
        while (e == SSLNoErr && reqlen) {
            uint32 n = reqlen > 16384 ? 16384 : (uint32)reqlen;
            e = SSLWrite((void *)req, &n, ctx);
            req += n;
            reqlen -= n;
        }
        if (e == SSLNoErr)
            e = SSLServiceWriteQueue(ctx);
        stage = "read";
        char buf[16384];
        while (e == SSLNoErr) {
            uint32 n = sizeof buf;
            e = SSLRead(buf, &n, ctx);
            if (n)
                fwrite(buf, 1, n, stdout);
        }
        fflush(stdout);
        if (e == SSLConnectionClosedGraceful) {
            stage = "close";
            e = SSLClose(ctx);
        }
    }
    if (e != SSLNoErr) {
        uint16 sent = 0, recv = 0;
        (void)SSLXGetLastAlerts(ctx, &sent, &recv);
        fprintf(stderr, "error=%s during %s alert_sent=0x%04x alert_received=0x%04x\n",
                SSLXErrorName(e), stage, sent, recv);
    }
    SSLDeleteContext(ctx);
    free(ctx);
    close(fd);
    return e;
}

int main(int argc, char **argv)
{
    struct client_opts o;
    if (client_parse(argc, argv, &o) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    char *req = strdup(o.send);
    if (!req)
        return 1;
    size_t reqlen = client_unescape(req);
    struct cli_ca ca = {0, NULL};
    if (o.ca && cli_ca_load(&ca, o.ca) != 0) {
        free(req);
        return 1;
    }
    struct memcache *mc = memcache_new(16, 86400);
    int status = 0;
    for (int i = 0; i <= o.resume; i++) {
        if (i && o.resume_delay_ms) {
            struct timespec ts = {o.resume_delay_ms / 1000, (o.resume_delay_ms % 1000) * 1000000};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        }
        SSLErr e = client_connection(&o, req, reqlen, mc, &ca);
        if (e != SSLNoErr) {
            fprintf(stderr, "sslref-client: %s\n", SSLXErrorName(e));
            status = 1;
            break;
        }
    }
    memcache_free(mc);
    cli_ca_free(&ca);
    free(req);
    return status;
}

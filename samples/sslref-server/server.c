/*
 * server.c - sslref-server: the SSL server sample on the threadpool framework (server.h):
 * --processes P worker processes x --threads T epoll threads, non-blocking sockets, an LMDB
 * session cache shared by all processes (--cache DIR) or an in-process one, optionally with a
 * memcached tier behind it shared by several machines (--memcached). A template context
 * holds the configuration; the framework duplicates it per connection. Modes: http (answer one
 * request with it echoed back, or with --bulk blocks of 16 KiB like NSS selfserv -g) and echo.
 * Flags and output are an interface: see docs/operations.md.
 */
#include "sample_cache.h"
#include "sample_cli.h"
#include "sslref/server.h"
#include "sslref/sessiondb.h"
#include "sslref/sessiondb_mc.h"
#include "sslref/ssl.h"
#include "sslref/sslx.h"
#include <getopt.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <strings.h>
#include <unistd.h>

#define REQ_MAX 65536
#define BULK_BLOCK 16384

struct server_opts {
    const char *bind, *cert, *key, *cert2, *key2, *export_key, *dh, *ciphers, *ca, *cache_dir;
    const char *mode;
    int port, request_cert, no_split, once, stats, threads, processes, quiet, echo;
    long session_lifetime;
    long max_conns, max_per_ip, hs_timeout_ms, idle_timeout_ms, shutdown_timeout_ms, bulk;
    struct cli_version version;
    const char *alpn, *groups;
    const char *memcached, *cluster_key;
    long mc_timeout_ms;
    int no_tickets;             /* --tickets off */
    long ticket_rotate;         /* --ticket-rotate SECONDS (0: sessiondb's 3600) */
    long mc_replicas;           /* --memcached-replicas N */
    int nsni;
    struct server_sni {
        const char *name;
        char *pem;            /* the chain, PEM */
        size_t pem_len;
        SSLRSAPrivateKey *key;
    } sni[8];
};

/* --memcached: lookups per worker process, in a shared mapping made before the fork */
struct mc_counts {
    atomic_uint_least64_t local, remote, miss;
};

/* --memcached: what a worker process opened (its own, after fork) */
struct mc_worker {
    SDBCache *cache;
    SDBMemcached *tier;
    struct mc_counts *counts;   /* this process's entry */
    int process;
};

struct server_app {
    struct server_opts *o;
    TPServer *srv;
    SSLContext *tmpl;
    struct mc_counts *mc_counts; /* [processes], MAP_SHARED; NULL without --memcached */
    int mc_nproc;
    struct mc_worker mcw;
};

/* http mode: the request read so far (per connection, freed at close); buf grows from
 * REQ_FIRST up to REQ_MAX + 1 bytes only for long requests. */
#define REQ_FIRST 1024
struct http_req {
    size_t have, cap;
    int answered;
    long bulk_left; /* --bulk: blocks still to send; -1 when not sending them */
    char buf[];
};

static void server_usage(FILE *out)
{
    fprintf(out,
            "usage: sslref-server --port N [--bind 127.0.0.1] --cert chain.pem --key key.pem\n"
            "         [--cert ec-chain.pem --key ec-key.pem]\n"
            "         [--export-key k512.pem] [--dh-params dh.pem] [--ciphers 000a,0005,...]\n"
            "         [--version V] [--request-client-cert]\n"
            "         [--ca ca.pem] [--cache DIR] [--threads T] [--processes P] [--mode http|echo]\n"
            "         [--no-split] [--once] [--stats] [--quiet] [--max-conns N]\n"
            "         [--max-conns-per-ip N] [--handshake-timeout MS] [--idle-timeout MS]\n"
            "         [--shutdown-timeout MS] [--bulk BLOCKS] [--session-lifetime SECONDS]\n"
            "         [--alpn LIST] [--sni NAME=chain.pem,key.pem]...\n"
            "         [--groups x25519,p256,p384,ffdhe2048,...|none]\n"
            "         [--memcached HOST:PORT[,HOST:PORT...] --cluster-key FILE\n"
            "          [--memcached-timeout MS] [--memcached-replicas N]]\n"
            "         [--tickets on|off] [--ticket-rotate SECONDS]\n"
            "  --cert/--key twice: an RSA and an ECDSA (P-256/P-384) certificate; each client gets\n"
            "  the one its suites and signature_algorithms ask for (ECDHE-ECDSA suites: the EC one).\n"
            "  --version: tls1.2 (the default), ssl2, ssl3, tls1.0, tls1.1, a range MIN-MAX\n"
            "  (tls1.0-tls1.2, ssl3-tls1.2), any (SSL 2.0 or 3.0) or ssl3-with-ssl2-hello.\n"
            "  --sni (up to 8) serves that chain and key to clients asking for NAME; --alpn\n"
            "  selects from LIST (default in http mode: http/1.1; --alpn '' selects none).\n"
            "  --groups: the server's group preference (default: x25519, p256, p384, ffdhe2048,\n"
            "  ffdhe3072, ffdhe4096); ECDHE uses its first curve the client lists (p256 for a\n"
            "  client that sends no supported_groups).\n"
            "  DHE and DH_anon use an RFC 7919 group: the first of ffdhe2048, ffdhe3072, ffdhe4096\n"
            "  that the client lists in supported_groups (one listing only others gets no DHE\n"
            "  suite); for a client that lists none (and at SSL 3.0), the --dh-params group, or\n"
            "  ffdhe2048 without --dh-params (export DH suites need a --dh-params of <= 512 bits).\n"
            "  --port 0 picks a free port; the chosen one is printed as \"listening on ADDR:PORT\".\n"
            "  --max-conns is per worker thread; --max-conns-per-ip per client address and worker\n"
            "  process (0, the default: no cap). SIGTERM/SIGINT stop it with a final stats line.\n"
            "  --session-lifetime: sessions older than this get a full handshake (default 86400);\n"
            "  also the lifetime of --cache entries.\n"
            "  --memcached (needs --cache and --cluster-key): a memcached pool behind the --cache\n"
            "  LMDB cache, shared with other machines (ketama over the servers; entries sealed with\n"
            "  AES-256-GCM under the first key of FILE, a mode 0600 file of \"ID HEX64\" lines);\n"
            "  a server that fails or takes longer than --memcached-timeout (default 50 ms) costs a\n"
            "  miss and is retried after 1 s. Stats lines then count local_hits, remote_hits and\n"
            "  misses of the session lookups. --memcached-replicas N (0-4, default 0) also stores\n"
            "  each entry on the next N servers of the list, so losing one loses no session.\n"
            "  --tickets (default on): RFC 5077 session tickets, TLS only. Keys: with --cache the\n"
            "  cache's ring (a new key every --ticket-rotate seconds, default 3600, the previous\n"
            "  two still open tickets; shared by all processes, and with --memcached by all\n"
            "  machines); without --cache one random key made at start (shared by the processes).\n"
            "  --bulk (http mode): answer each request with BLOCKS x 16 KiB (like NSS selfserv -g).\n"
            "  SSLKEYLOGFILE=path appends NSS key-log lines for every session.\n");
}

static int server_num(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* --sni NAME=chain.pem,key.pem: read both files now (workers never touch the disk for it). */
static int server_sni_load(struct server_opts *o, char *arg)
{
    char *eq = strchr(arg, '='), *comma = eq ? strchr(eq, ',') : NULL;
    if (!eq || !comma || eq == arg || o->nsni == (int)(sizeof o->sni / sizeof o->sni[0])) {
        fprintf(stderr, "sslref-server: --sni wants NAME=chain.pem,key.pem (at most 8)\n");
        return -1;
    }
    *eq = *comma = 0;
    struct server_sni *s = &o->sni[o->nsni];
    char *kpem = NULL;
    size_t klen = 0;
    if (cli_read_file(eq + 1, &s->pem, &s->pem_len) || cli_read_file(comma + 1, &kpem, &klen)) {
        fprintf(stderr, "sslref-server: --sni %s: cannot read %s or %s\n", arg, eq + 1, comma + 1);
        return -1;
    }
    SSLErr e = SSLXRSAPrivateKeyFromPEM(kpem, klen, &s->key);
    free(kpem);
    if (e != SSLNoErr) {
        free(s->pem);
        s->pem = NULL;
        fprintf(stderr, "sslref-server: --sni %s: key %s: %s\n", arg, comma + 1, SSLXErrorName(e));
        return -1;
    }
    s->name = arg;
    o->nsni++;
    return 0;
}

/* The SNI callback: the chain and key for the name, or the default ones for any other name. */
static SSLErr server_on_sni(SSLContext *ctx, const char *name, void *ref)
{
    const struct server_opts *o = ref;
    for (int i = 0; i < o->nsni; i++)
        if (strcasecmp(o->sni[i].name, name) == 0) {
            SSLErr e = SSLXReplaceCertificatesPEM(ctx, o->sni[i].pem, o->sni[i].pem_len);
            return e == SSLNoErr ? SSLSetPrivateKey(ctx, SSLXRSAPrivateKeyRetain(o->sni[i].key)) : e;
        }
    return SSLNoErr;
}

static void server_sni_free(struct server_opts *o)
{
    for (int i = 0; i < o->nsni; i++) {
        free(o->sni[i].pem);
        SSLXRSAPrivateKeyFree(o->sni[i].key);
    }
    o->nsni = 0;
}

static int server_parse(int argc, char **argv, struct server_opts *o)
{
    enum { O_BIND = 256, O_EXPORT, O_DH, O_VERSION, O_REQ, O_CA, O_CACHE, O_THREADS, O_PROCS,
           O_MODE, O_NOSPLIT, O_ONCE, O_STATS, O_QUIET, O_MAXC, O_MAXIP, O_HST, O_IDLE, O_SHUT,
           O_BULK, O_LIFE, O_ALPN, O_SNI, O_GROUPS, O_MEMCACHED, O_CLUSTER_KEY, O_MC_TIMEOUT,
           O_TICKETS, O_ROTATE, O_REPLICAS };
    static const struct option longopts[] = {
        {"port", required_argument, 0, 'p'},       {"bind", required_argument, 0, O_BIND},
        {"cert", required_argument, 0, 'c'},       {"key", required_argument, 0, 'k'},
        {"export-key", required_argument, 0, O_EXPORT}, {"dh-params", required_argument, 0, O_DH},
        {"ciphers", required_argument, 0, 'C'},    {"version", required_argument, 0, O_VERSION},
        {"request-client-cert", no_argument, 0, O_REQ}, {"ca", required_argument, 0, O_CA},
        {"cache", required_argument, 0, O_CACHE},  {"threads", required_argument, 0, O_THREADS},
        {"processes", required_argument, 0, O_PROCS}, {"mode", required_argument, 0, O_MODE},
        {"no-split", no_argument, 0, O_NOSPLIT},   {"once", no_argument, 0, O_ONCE},
        {"stats", no_argument, 0, O_STATS},        {"quiet", no_argument, 0, O_QUIET},
        {"max-conns", required_argument, 0, O_MAXC},
        {"max-conns-per-ip", required_argument, 0, O_MAXIP},
        {"handshake-timeout", required_argument, 0, O_HST},
        {"idle-timeout", required_argument, 0, O_IDLE},
        {"shutdown-timeout", required_argument, 0, O_SHUT},
        {"bulk", required_argument, 0, O_BULK},
        {"session-lifetime", required_argument, 0, O_LIFE},
        {"alpn", required_argument, 0, O_ALPN},    {"sni", required_argument, 0, O_SNI},
        {"groups", required_argument, 0, O_GROUPS},
        {"memcached", required_argument, 0, O_MEMCACHED},
        {"cluster-key", required_argument, 0, O_CLUSTER_KEY},
        {"memcached-timeout", required_argument, 0, O_MC_TIMEOUT},
        {"tickets", required_argument, 0, O_TICKETS},
        {"memcached-replicas", required_argument, 0, O_REPLICAS},
        {"ticket-rotate", required_argument, 0, O_ROTATE},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->bind = "127.0.0.1";
    o->mode = "http";
    o->port = -1;
    o->threads = o->processes = 1;
    o->max_conns = 4096;
    o->hs_timeout_ms = 10000;
    o->idle_timeout_ms = 60000;
    o->shutdown_timeout_ms = 5000;
    o->session_lifetime = SSLX_DEFAULT_SESSION_LIFETIME;
    o->mc_timeout_ms = 50;
    o->version = (struct cli_version){1, SSL_Version_3_0_Only, kTLSProtocol12, kTLSProtocol12};
    long v;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': if (cli_parse_port(optarg, &o->port)) return -1; break;
        case O_BIND: o->bind = optarg; break;
        case 'c': /* a second --cert / --key pair: the other kind of key (RSA and ECDSA) */
            if (o->cert2) goto twice;
            *(o->cert ? &o->cert2 : &o->cert) = optarg;
            break;
        case 'k':
            if (o->key2) goto twice;
            *(o->key ? &o->key2 : &o->key) = optarg;
            break;
        case O_EXPORT: o->export_key = optarg; break;
        case O_DH: o->dh = optarg; break;
        case 'C': o->ciphers = optarg; break;
        case O_VERSION: if (cli_parse_version(optarg, &o->version)) return -1; break;
        case O_REQ: o->request_cert = 1; break;
        case O_CA: o->ca = optarg; break;
        case O_CACHE: o->cache_dir = optarg; break;
        case O_THREADS:
            if (server_num(optarg, 1, 64, &v)) goto bad;
            o->threads = (int)v;
            break;
        case O_PROCS:
            if (server_num(optarg, 1, 64, &v)) goto bad;
            o->processes = (int)v;
            break;
        case O_MODE: o->mode = optarg; break;
        case O_NOSPLIT: o->no_split = 1; break;
        case O_ONCE: o->once = 1; break;
        case O_STATS: o->stats = 1; break;
        case O_QUIET: o->quiet = 1; break;
        case O_MAXC: if (server_num(optarg, 1, 1000000, &o->max_conns)) goto bad; break;
        case O_MAXIP: if (server_num(optarg, 0, 1000000, &o->max_per_ip)) goto bad; break;
        case O_HST: if (server_num(optarg, 1, 86400000, &o->hs_timeout_ms)) goto bad; break;
        case O_IDLE: if (server_num(optarg, 1, 86400000, &o->idle_timeout_ms)) goto bad; break;
        case O_SHUT: if (server_num(optarg, 0, 86400000, &o->shutdown_timeout_ms)) goto bad; break;
        case O_BULK: if (server_num(optarg, 0, 1000000, &o->bulk)) goto bad; break;
        case O_LIFE: if (server_num(optarg, 1, 100000000, &o->session_lifetime)) goto bad; break;
        case O_ALPN: o->alpn = optarg; break;
        case O_GROUPS: o->groups = optarg; break;
        case O_SNI: if (server_sni_load(o, optarg)) return -1; break;
        case O_MEMCACHED: o->memcached = optarg; break;
        case O_CLUSTER_KEY: o->cluster_key = optarg; break;
        case O_MC_TIMEOUT: if (server_num(optarg, 1, 10000, &o->mc_timeout_ms)) goto bad; break;
        case O_TICKETS:
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) goto bad;
            o->no_tickets = strcmp(optarg, "off") == 0;
            break;
        case O_REPLICAS: if (server_num(optarg, 0, 4, &o->mc_replicas)) goto bad; break;
        case O_ROTATE: if (server_num(optarg, 1, 100000000, &o->ticket_rotate)) goto bad; break;
        case 'h': server_usage(stdout); exit(0);
        default: server_usage(stderr); return -1;
        }
    }
    if (!o->cert2 != !o->key2) {
        fprintf(stderr, "sslref-server: give --cert and --key the same number of times\n");
        return -1;
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
    o->echo = strcmp(o->mode, "echo") == 0;
    if ((o->memcached || o->cluster_key) && !o->cache_dir) {
        fprintf(stderr, "sslref-server: --memcached and --cluster-key need --cache DIR (the "
                        "machine's LMDB cache, in front of memcached)\n");
        return -1;
    }
    if (!o->memcached != !o->cluster_key) {
        fprintf(stderr, "sslref-server: --memcached and --cluster-key go together (memcached "
                        "entries are sealed under the cluster key)\n");
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "sslref-server: bad value '%s'\n", optarg);
    return -1;
twice:
    fprintf(stderr, "sslref-server: at most two --cert/--key pairs (one RSA, one ECDSA)\n");
    return -1;
}

/* Build the template context that every connection duplicates. */
static SSLErr server_template(const struct server_opts *o, SSLContext *t, struct cli_ca *ca)
{
    SSLErr e = SSLInitContext(t);
    if (e == SSLNoErr) e = SSLSetProtocolSide(t, SSL_ServerSide);
    if (e == SSLNoErr) e = cli_set_version(t, &o->version);
    if (e == SSLNoErr) e = cli_load_key(t, o->key, 0);
    if (e == SSLNoErr) e = cli_load_certs(t, o->cert);
    if (e == SSLNoErr && o->cert2) e = cli_load_identity(t, o->cert2, o->key2);
    if (e == SSLNoErr && o->export_key) e = cli_load_key(t, o->export_key, 1);
    if (e == SSLNoErr && o->dh) e = cli_load_dh(t, o->dh);
    if (e == SSLNoErr && o->ciphers) e = cli_set_ciphers(t, o->ciphers);
    if (e == SSLNoErr && o->request_cert) e = SSLSetRequestClientCert(t, 1);
    if (e == SSLNoErr && o->no_split) e = SSLXSetCBCRecordSplitting(t, 0);
    if (e == SSLNoErr) e = SSLXSetSessionLifetime(t, (uint32)o->session_lifetime);
    const char *alpn = o->alpn ? o->alpn : strcmp(o->mode, "http") == 0 ? "http/1.1" : NULL;
    if (e == SSLNoErr && alpn) e = SSLXSetALPN(t, alpn);
    if (e == SSLNoErr && o->groups) e = cli_set_groups(t, o->groups);
    if (e == SSLNoErr && o->nsni) e = SSLXSetServerNameFunc(t, server_on_sni, (void *)o);
    if (e == SSLNoErr && o->ca) {
        if (cli_ca_load(ca, o->ca) != 0)
            return SSLIOErr;
        SSLSetCheckCertificateFunc(t, cli_ca_check);
        SSLSetCheckCertificateRef(t, ca);
        for (int i = 0; i < ca->n && e == SSLNoErr; i++) /* CertificateRequest names them */
            e = SSLXAddDistinguishedNameOf(t, ca->certs[i]);
    }
    if (e == SSLNoErr && getenv("SSLKEYLOGFILE") && *getenv("SSLKEYLOGFILE"))
        e = SSLXSetKeyLogFunc(t, SSLXKeyLogToFile, getenv("SSLKEYLOGFILE"));
    return e;
}

/* ---- handlers (run on the connection's worker thread) ---------------------------------------- */

static int on_open(TPConn *c, void *ref)
{
    struct server_app *app = ref;
    if (!app->o->quiet) { /* process and session ID: who created a session and who resumed it */
        uint8 id[32];
        uint32 n = sizeof id;
        char extra[160], hex[2 * sizeof id + 1] = "";
        if (SSLXGetSessionID(TPConnContext(c), id, &n) == SSLNoErr)
            for (uint32 i = 0; i < n && i < sizeof id; i++)
                snprintf(hex + 2 * i, 3, "%02x", id[i]);
        snprintf(extra, sizeof extra, "from=%s process=%d session=%s", TPConnPeer(c),
                 TPConnProcess(c), hex[0] ? hex : "-");
        cli_print_connection(stderr, TPConnContext(c), extra);
    }
    return 0;
}

static void on_failed(TPConn *c, SSLErr err, void *ref)
{
    struct server_app *app = ref;
    if (app->o->quiet)
        return;
    uint16 sent = 0, recv = 0;
    (void)SSLXGetLastAlerts(TPConnContext(c), &sent, &recv);
    fprintf(stderr, "error=%s alert_sent=0x%04x alert_received=0x%04x from=%s\n",
            err == SSLIOErr ? "SSLIOErr(timeout or I/O)" : SSLXErrorName(err), sent, recv,
            TPConnPeer(c));
}

/* --bulk: the next 16 KiB block, or close after the last one. */
static int bulk_next(TPConn *c, struct http_req *r)
{
    static const uint8 block[BULK_BLOCK]; /* zeros: read-only */
    if (r->bulk_left <= 0) {
        r->bulk_left = -1;
        TPConnClose(c);
        return 0;
    }
    r->bulk_left--;
    return TPConnWrite(c, block, sizeof block) == SSLNoErr ? 0 : -1;
}

/* http: collect up to the first empty line, answer 200 with the request as the body (or --bulk
 * blocks), close. */
static int http_data(TPConn *c, const uint8 *data, size_t len, long bulk)
{
    struct http_req *r = TPConnUserData(c);
    if (!r) {
        r = malloc(sizeof *r + REQ_FIRST);
        if (!r)
            return -1;
        r->have = 0;
        r->cap = REQ_FIRST;
        r->answered = 0;
        r->bulk_left = -1;
        TPConnSetUserData(c, r);
    }
    if (r->answered)
        return 0; /* after the answer everything is dropped */
    size_t take = len > REQ_MAX - r->have ? REQ_MAX - r->have : len;
    if (r->have + take + 1 > r->cap) {
        size_t cap = r->cap;
        while (cap < r->have + take + 1)
            cap *= 2;
        if (cap > REQ_MAX + 1)
            cap = REQ_MAX + 1;
        struct http_req *n = realloc(r, sizeof *r + cap);
        if (!n)
            return -1;
        r = n;
        r->cap = cap;
        TPConnSetUserData(c, r);
    }
    memcpy(r->buf + r->have, data, take);
    r->have += take;
    r->buf[r->have] = 0;
    if (!strstr(r->buf, "\r\n\r\n") && !strstr(r->buf, "\n\n") && r->have < REQ_MAX)
        return 0;
    r->answered = 1;
    if (bulk > 0) {
        r->bulk_left = bulk;
        return bulk_next(c, r);
    }
    char head[128];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
                      r->have);
    if (TPConnWrite(c, head, (size_t)hl) != SSLNoErr || TPConnWrite(c, r->buf, r->have) != SSLNoErr)
        return -1;
    TPConnClose(c);
    return 0;
}

static int on_data(TPConn *c, const uint8 *data, size_t len, void *ref)
{
    struct server_app *app = ref;
    if (app->o->echo)
        return TPConnWrite(c, data, len) == SSLNoErr ? 0 : -1;
    return http_data(c, data, len, app->o->bulk);
}

static int on_writable(TPConn *c, void *ref)
{
    struct server_app *app = ref;
    struct http_req *r = TPConnUserData(c);
    if (app->o->echo || !r || r->bulk_left < 0)
        return 0;
    return bulk_next(c, r);
}

static void on_close(TPConn *c, SSLErr reason, void *ref)
{
    (void)reason;
    (void)ref;
    free(TPConnUserData(c));
    TPConnSetUserData(c, NULL);
}

/* ---- --memcached: the tier per worker process, and its counters ---------------------------- */

static SSLErr mc_add(SSLBuffer key, SSLBuffer data, void *ref)
{
    return SDBMCAddSession(key, data, ((struct mc_worker *)ref)->tier);
}

static SSLErr mc_get(SSLBuffer key, SSLBuffer *data, void *ref)
{
    struct mc_worker *w = ref;
    int level = SDBMC_MISS;
    SSLErr e = SDBMemcachedGet(w->tier, key, data, &level);
    atomic_fetch_add(level == SDBMC_LOCAL    ? &w->counts->local
                     : level == SDBMC_REMOTE ? &w->counts->remote
                                             : &w->counts->miss, 1);
    return e;
}

static SSLErr mc_delete(SSLBuffer key, void *ref)
{
    return SDBMCDeleteSession(key, ((struct mc_worker *)ref)->tier);
}

static void mc_log(void *ref, const char *line)
{
    fprintf(stderr, "sslref-server: process %d: %s\n", *(const int *)ref, line);
}

/* Open the LMDB cache and the tier; why says what went wrong. */
static SSLErr mc_open(const struct server_opts *o, int process, struct mc_worker *w, char *why,
                      size_t n)
{
    SDBOptions opt;
    SDBDefaultOptions(&opt);
    opt.lifetime = (uint32)o->session_lifetime;
    opt.ticketRotate = (uint32)o->ticket_rotate;
    w->process = process;
    SSLErr e = SDBOpenDetail(&w->cache, o->cache_dir, &opt, why, n);
    if (e != SSLNoErr)
        return e;
    SDBMemcachedOptions mo;
    SDBMemcachedDefaultOptions(&mo);
    mo.servers = o->memcached;
    mo.keyFile = o->cluster_key;
    mo.timeoutMs = (uint32)o->mc_timeout_ms;
    mo.replicas = (uint32)o->mc_replicas;
    mo.connections = (uint32)o->threads + 1;
    mo.log = mc_log;
    mo.logRef = &w->process;
    e = SDBMemcachedOpen(&w->tier, w->cache, &mo, why, n);
    if (e != SSLNoErr) {
        SDBClose(w->cache);
        w->cache = NULL;
    }
    return e;
}

static void mc_close(struct mc_worker *w)
{
    SDBMemcachedClose(w->tier);
    SDBClose(w->cache);
    w->tier = NULL;
    w->cache = NULL;
}

/* processInit: each worker process opens its own cache and tier after the fork and points the
 * template (this process's copy) at them. */
static int on_process_init(int process, void *ref)
{
    struct server_app *app = ref;
    if (!app->mc_counts)
        return 0;
    char why[512];
    if (mc_open(app->o, process, &app->mcw, why, sizeof why) != SSLNoErr) {
        fprintf(stderr, "sslref-server: process %d: %s\n", process, why);
        return -1;
    }
    app->mcw.counts = &app->mc_counts[process < app->mc_nproc ? process : 0];
    SSLSetAddSessionFunc(app->tmpl, mc_add);
    SSLSetGetSessionFunc(app->tmpl, mc_get);
    SSLSetDeleteSessionFunc(app->tmpl, mc_delete);
    SSLSetSessionRef(app->tmpl, &app->mcw);
    if (!app->o->no_tickets) /* the ticket-key ring, converged across machines */
        SSLXSetTicketKeyFunc(app->tmpl, SDBMCTicketKey, app->mcw.tier);
    return 0;
}

/* Without --cache: one ticket key made at start, the same in every worker (made before the
 * fork); it never rotates (a restart makes a new one). */
struct local_ticket_key {
    uint8 name[16], key[32];
};

static int local_ticket_key_init(struct local_ticket_key *k)
{
    FILE *f = fopen("/dev/urandom", "rb");
    int ok = f && fread(k, sizeof *k, 1, f) == 1;
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}

static SSLErr local_ticket_key(void *ref, int seal, uint8 name[16], uint8 key[32])
{
    const struct local_ticket_key *k = ref;
    if (!seal && memcmp(name, k->name, sizeof k->name) != 0)
        return SSLNoMatchingSessionKeyErr;
    if (seal)
        memcpy(name, k->name, sizeof k->name);
    memcpy(key, k->key, sizeof k->key);
    return SSLNoErr;
}

/* process -1: the sum over processes */
static void print_stats(FILE *out, const char *prefix, const TPStats *st,
                        const struct server_app *app, int process)
{
    char mc[128] = "";
    if (app && app->mc_counts) {
        unsigned long long l = 0, r = 0, m = 0;
        for (int p = 0; p < app->mc_nproc; p++)
            if (process < 0 || process == p) {
                l += atomic_load(&app->mc_counts[p].local);
                r += atomic_load(&app->mc_counts[p].remote);
                m += atomic_load(&app->mc_counts[p].miss);
            }
        snprintf(mc, sizeof mc, " local_hits=%llu remote_hits=%llu misses=%llu", l, r, m);
    }
    fprintf(out, "%s connections=%llu full=%llu resumed=%llu failures=%llu%s\n", prefix,
            (unsigned long long)st->connections, (unsigned long long)st->full,
            (unsigned long long)st->resumed, (unsigned long long)st->failures, mc);
}

static void print_detail(FILE *out, TPServer *srv, const struct server_app *app)
{
    TPStats st;
    (void)TPServerGetStats(srv, -1, &st);
    fprintf(out,
            "stats-detail: active=%llu refused=%llu hs_timeouts=%llu idle_timeouts=%llu "
            "restarts=%llu bytes_in=%llu bytes_out=%llu\n",
            (unsigned long long)st.active, (unsigned long long)st.refused,
            (unsigned long long)st.hsTimeouts, (unsigned long long)st.idleTimeouts,
            (unsigned long long)st.restarts, (unsigned long long)st.bytesIn,
            (unsigned long long)st.bytesOut);
    for (int p = 0; p < TPServerProcesses(srv); p++) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "stats-process: process=%d", p);
        (void)TPServerGetStats(srv, p, &st);
        print_stats(out, prefix, &st, app, p);
    }
}

static void on_stats(const TPStats *st, void *ref)
{
    struct server_app *app = ref;
    if (app->o->once) { /* --once: stop when the first connection is over */
        if (st->connections >= 1 && st->active == 0)
            TPServerStop(app->srv);
        return;
    }
    print_stats(stderr, "stats-live:", st, app, -1);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    struct server_opts o;
    if (server_parse(argc, argv, &o) != 0)
        return 2;
    if (o.cache_dir) { /* check before any worker starts: one that cannot would only be restarted */
        SDBCache *cache;
        char why[512];
        SDBOptions opt;
        SDBDefaultOptions(&opt);
        opt.lifetime = (uint32)o.session_lifetime;
        if (SDBOpenDetail(&cache, o.cache_dir, &opt, why, sizeof why) != SSLNoErr) {
            fprintf(stderr, "sslref-server: cannot open session cache: %s\n", why);
            return 1;
        }
        SDBClose(cache); /* each worker opens its own after fork */
    }
    struct server_app app = {&o, NULL, NULL, NULL, 0, {0}};
    if (o.memcached) { /* the key file and server list, checked once here; workers open their own */
        char why[512];
        struct mc_worker w = {0};
        if (mc_open(&o, 0, &w, why, sizeof why) != SSLNoErr) {
            fprintf(stderr, "sslref-server: --memcached: %s\n", why);
            server_sni_free(&o);
            return 1;
        }
        mc_close(&w);
        app.mc_nproc = o.processes > 1 ? o.processes : 1;
        void *map = mmap(NULL, sizeof(struct mc_counts) * (size_t)app.mc_nproc,
                         PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED) {
            perror("sslref-server: mmap");
            server_sni_free(&o);
            return 1;
        }
        app.mc_counts = map; /* zero-filled */
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    struct cli_ca ca = {0, NULL};
    SSLContext *tmpl = malloc(SSLContextSize());
    if (!tmpl || server_template(&o, tmpl, &ca) != SSLNoErr) {
        if (tmpl) {
            SSLDeleteContext(tmpl);
            free(tmpl);
        }
        cli_ca_free(&ca);
        server_sni_free(&o);
        return 1;
    }
    struct memcache *mc = NULL;
    static struct local_ticket_key tk;
    if (!o.cache_dir) { /* per process: sessions resume within a process only (use --cache) */
        mc = memcache_new(4096, (uint32)o.session_lifetime);
        if (mc)
            memcache_attach(mc, tmpl);
        if (!o.no_tickets && local_ticket_key_init(&tk) == 0) /* before the fork: one key */
            SSLXSetTicketKeyFunc(tmpl, local_ticket_key, &tk);
    }
    app.tmpl = tmpl;
    TPConfig cfg;
    TPDefaultConfig(&cfg);
    cfg.bindAddr = o.bind;
    cfg.port = o.port;
    cfg.tmpl = tmpl;
    cfg.threads = o.threads;
    cfg.processes = o.processes;
    cfg.cacheDir = o.memcached ? NULL : o.cache_dir; /* --memcached: on_process_init wires it */
    cfg.cacheLifetime = (uint32)o.session_lifetime;
    cfg.noTickets = o.no_tickets;
    cfg.ticketRotate = (uint32)o.ticket_rotate;
    cfg.maxConnections = (uint32)o.max_conns;
    cfg.maxConnsPerIp = (uint32)o.max_per_ip;
    cfg.handshakeTimeoutMs = (uint32)o.hs_timeout_ms;
    cfg.idleTimeoutMs = (uint32)o.idle_timeout_ms;
    cfg.shutdownTimeoutMs = (uint32)o.shutdown_timeout_ms;
    if (o.once)
        cfg.statsIntervalMs = 20;
    else if (o.stats)
        cfg.statsIntervalMs = 5000;
    cfg.onStats = on_stats;
    cfg.handlers.open = on_open;
    cfg.handlers.handshakeFailed = on_failed;
    cfg.handlers.data = on_data;
    cfg.handlers.writable = on_writable;
    cfg.handlers.close = on_close;
    cfg.handlers.processInit = on_process_init;
    cfg.appRef = &app;
    int status = 0;
    SSLErr e = TPServerCreate(&app.srv, &cfg);
    if (e != SSLNoErr) {
        perror("sslref-server: listen");
        status = 1;
        goto out;
    }
    fprintf(stderr, "listening on %s:%d\n", o.bind, TPServerPort(app.srv));
    e = TPServerRun(app.srv);
    if (e != SSLNoErr) {
        fprintf(stderr, "sslref-server: %s\n", SSLXErrorName(e));
        status = 1;
    }
    TPStats st;
    (void)TPServerGetStats(app.srv, -1, &st);
    if (!o.once || o.stats) {
        print_stats(stderr, "stats:", &st, &app, -1);
        if (o.stats)
            print_detail(stderr, app.srv, &app);
    }
    if (o.once && st.failures)
        status = 1;
    TPServerFree(app.srv);
out:
    SSLDeleteContext(tmpl);
    free(tmpl);
    memcache_free(mc);
    mc_close(&app.mcw); /* in-process mode: this process's tier (a supervisor has none) */
    if (app.mc_counts)
        munmap(app.mc_counts, sizeof(struct mc_counts) * (size_t)app.mc_nproc);
    cli_ca_free(&ca);
    server_sni_free(&o);
    return status;
}

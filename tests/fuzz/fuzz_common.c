/*
 * fuzz_common.c - see fuzz_common.h. Only the public API is used here, so the harness drives the
 * library exactly as an application does; keys are parsed once per process and shared by reference
 * count (SSLXRSAPrivateKeyRetain) between the contexts each input creates.
 */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_TIME 1800000000u /* 2027-01-15, inside the validity of the tests/data certificates */

static struct {
    int ready;
    SSLRSAPrivateKey *server_key, *export_key, *client_key, *dsa_key, *ec_key;
    SSLDHParams *dh;
    char *server_chain, *client_chain, *dsa_chain, *ec_chain;
    size_t server_chain_len, client_chain_len, dsa_chain_len, ec_chain_len;
} g_keys; /* written once by fz_init, read-only afterwards */

static char *read_file(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FUZZ_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap = 2 * cap + 8192);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz: cannot load %s from %s\n", what, FUZZ_DATA_DIR);
    abort();
}

static SSLRSAPrivateKey *load_key(const char *name)
{
    size_t len;
    char *pem = read_file(name, &len);
    SSLRSAPrivateKey *k = NULL;
    if (!pem || SSLXRSAPrivateKeyFromPEM(pem, len, &k) != SSLNoErr)
        die(name);
    free(pem);
    return k;
}

void fz_init(void)
{
    if (g_keys.ready)
        return;
    /* 1024-bit server key: a quarter of the RSA cost of the 2048-bit one, so more execs per second */
    g_keys.server_key = load_key("server1024-key.pem");
    g_keys.export_key = load_key("export512-key.pem");
    g_keys.client_key = load_key("client-key.pem");
    g_keys.dsa_key = load_key("dsa1024-key.pem"); /* DHE-DSS (byte 1 bit FZ_ROT_DSA) */
    if (!(g_keys.dsa_chain = read_file("dsa1024-chain.pem", &g_keys.dsa_chain_len)))
        die("dsa1024-chain.pem");
    size_t len;
    char *pem = read_file("dh1024.pem", &len);
    if (!pem || SSLXDHParamsFromPEM(pem, len, &g_keys.dh) != SSLNoErr)
        die("dh1024.pem");
    free(pem);
    if (!(g_keys.server_chain = read_file("server1024-cert.pem", &g_keys.server_chain_len)))
        die("server1024-cert.pem");
    if (!(g_keys.client_chain = read_file("client-cert.pem", &g_keys.client_chain_len)))
        die("client-cert.pem");
    /* P-256: the TLS server's second identity (ECDHE_ECDSA) and the FZ_EC_CLIENT certificate */
    g_keys.ec_key = load_key("ec256-key.pem");
    if (!(g_keys.ec_chain = read_file("ec256-chain.pem", &g_keys.ec_chain_len)))
        die("ec256-chain.pem");
    g_keys.ready = 1;
}

int fz_bytes_put(struct fz_bytes *x, const void *p, size_t n)
{
    if (x->len + n > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < x->len + n)
            cap *= 2;
        uint8_t *nb = realloc(x->b, cap);
        if (!nb)
            return -1;
        x->b = nb;
        x->cap = cap;
    }
    if (n)
        memcpy(x->b + x->len, p, n);
    x->len += n;
    return 0;
}

/* ---- callbacks ---- */

static SSLErr io_read(SSLBuffer data, uint32 *processed, void *ref)
{
    struct fz_io *io = ref;
    size_t avail = io->rx ? io->rx->len - io->rx_off : 0;
    *processed = 0;
    if (avail == 0)
        return io->tx == NULL ? SSLConnectionClosedError : SSLWouldBlockErr;
    if ((io->mode & FZ_WOULD_BLOCK) && (io->wb_rd ^= 1))
        return SSLWouldBlockErr;
    size_t n = data.length < avail ? data.length : avail;
    if ((io->mode & FZ_SMALL_READS) && n > 1 + io->rx_off % 7)
        n = 1 + io->rx_off % 7;
    memcpy(data.data, io->rx->b + io->rx_off, n);
    io->rx_off += n;
    *processed = (uint32)n;
    return SSLNoErr;
}

static SSLErr io_write(SSLBuffer data, uint32 *processed, void *ref)
{
    struct fz_io *io = ref;
    *processed = 0;
    if ((io->mode & FZ_WOULD_BLOCK) && data.length && (io->wb_wr ^= 1))
        return SSLWouldBlockErr;
    if (io->tx && fz_bytes_put(io->tx, data.data, data.length) != 0)
        return SSLMemoryErr;
    *processed = data.length;
    return SSLNoErr;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static SSLErr rng_fn(SSLBuffer b, void *ref)
{
    struct fz_rng *r = ref;
    for (uint32_t i = 0; i < b.length; i += 8) {
        uint64_t v = splitmix(&r->s);
        for (uint32_t j = 0; j < 8 && i + j < b.length; j++)
            b.data[i + j] = (uint8_t)(v >> (8 * j));
    }
    return SSLNoErr;
}

static SSLErr time_fn(uint32 *t, void *ref)
{
    (void)ref;
    *t = FZ_TIME;
    return SSLNoErr;
}

uint64_t fz_seed(int side, int conn) { return 0x5eed000000000000ull + (uint64_t)side * 16 + (uint64_t)conn; }

/* ---- session tickets (FZ_TICKETS) ---- */

/* Fixed test keys: the current one (new tickets) and an older one still accepted (a ticket under
 * it is renewed). Seal calls are counted per connection (fz_run_side, replay families). */
static const uint8_t tk_names[2][16] = {"fuzz-ticket-key0", "fuzz-ticket-old1"};
static unsigned g_ticket_seals; /* single-threaded: the harnesses and the recorder */

static SSLErr ticket_key_fn(void *ref, int seal, uint8 name[16], uint8 key[32])
{
    (void)ref;
    int k = 0;
    if (seal) {
        g_ticket_seals++;
        memcpy(name, tk_names[0], 16);
    } else {
        while (k < 2 && memcmp(name, tk_names[k], 16) != 0)
            k++;
        if (k == 2)
            return SSLNoMatchingSessionKeyErr;
    }
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(0x5a ^ (i * 7) ^ (k * 0x33));
    return SSLNoErr;
}

/* Non-zero if @p (a format 5 session blob, session.c) is a client's with a non-empty ticket. */
static int blob_has_ticket(const uint8_t *p, size_t n)
{
    size_t o = 3 + 2 + 2; /* "SR" 5, version, suite */
    if (n < 3 || p[0] != 'S' || p[1] != 'R' || p[2] != 5)
        return 0;
    for (int i = 0; i < 3; i++) { /* sid, master, key_arg */
        if (o >= n)
            return 0;
        o += 1 + p[o];
    }
    o += 4; /* created */
    if (o >= n || p[o] != 0) /* role: client */
        return 0;
    o += 1 + 1 + 1 + 2 + 1; /* role, auth, ems, group, cert_type */
    if (o >= n)
        return 0;
    o += 1 + p[o]; /* bind */
    return o + 2 <= n && (p[o] | p[o + 1]) != 0;
}

/* ---- session cache ---- */

static SSLErr cache_add(SSLBuffer key, SSLBuffer data, void *ref)
{
    struct fz_cache *c = ref;
    if (key.length > sizeof c->e[0].key)
        return SSLUnknownErr;
    if (c->record) { /* recorder: keep the blob as a seed for the session harness */
        uint8_t len[4] = {(uint8_t)(data.length >> 24), (uint8_t)(data.length >> 16),
                          (uint8_t)(data.length >> 8), (uint8_t)data.length};
        if (fz_bytes_put(c->record, len, 4) || fz_bytes_put(c->record, data.data, data.length))
            return SSLMemoryErr;
        c->record_count++;
    }
    if (blob_has_ticket(data.data, data.length))
        c->tickets_stored++;
    uint32_t i = 0;
    while (i < c->n && !(c->e[i].keylen == key.length && !memcmp(c->e[i].key, key.data, key.length)))
        i++;
    if (i == FZ_CACHE_MAX)
        return SSLUnknownErr;
    uint8_t *copy = malloc(data.length ? data.length : 1);
    if (!copy)
        return SSLMemoryErr;
    memcpy(copy, data.data, data.length);
    if (i == c->n)
        c->n++;
    else
        free(c->e[i].data);
    memcpy(c->e[i].key, key.data, key.length);
    c->e[i].keylen = key.length;
    c->e[i].data = copy;
    c->e[i].len = data.length;
    return SSLNoErr;
}

static SSLErr cache_get(SSLBuffer key, SSLBuffer *data, void *ref)
{
    struct fz_cache *c = ref;
    data->data = NULL;
    data->length = 0;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->e[i].keylen == key.length && !memcmp(c->e[i].key, key.data, key.length)) {
            /* the library frees it with the context's Free callback (the default: free) */
            uint8_t *copy = malloc(c->e[i].len ? c->e[i].len : 1);
            if (!copy)
                return SSLMemoryErr;
            memcpy(copy, c->e[i].data, c->e[i].len);
            data->data = copy;
            data->length = c->e[i].len;
            return SSLNoErr;
        }
    return SSLNoMatchingSessionKeyErr;
}

static SSLErr cache_delete(SSLBuffer key, void *ref)
{
    struct fz_cache *c = ref;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->e[i].keylen == key.length && !memcmp(c->e[i].key, key.data, key.length)) {
            free(c->e[i].data);
            c->e[i] = c->e[--c->n];
            return SSLNoErr;
        }
    return SSLNoMatchingSessionKeyErr;
}

void fz_cache_free(struct fz_cache *c)
{
    for (uint32_t i = 0; i < c->n; i++)
        free(c->e[i].data);
    c->n = 0;
}

/* ---- contexts ---- */

static const SSLProtocolVersion versions[4] = {SSL_Version_Undetermined, SSL_Version_3_0_With_2_0_Hello,
                                               SSL_Version_3_0_Only, SSL_Version_2_0};

static SSLErr set_all_suites(SSLContext *ctx, unsigned rot)
{
    uint16 all[96], rotated[96];
    uint32 n = SSLXSupportedCipherSuites(all, 80);
    if (n > 80)
        n = 80;
    for (uint16 k = SSL2_SUITE_RC4_128_WITH_MD5; k <= SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5; k++)
        all[n++] = k;
    if (n > 80) /* SUITES_MAX in core/src/state/suites.h */
        n = 80;
    for (uint32 i = 0; i < n; i++)
        rotated[i] = all[(i + (rot & FZ_ROT_MASK)) % n];
    return SSLXSetCipherSuites(ctx, rotated, n);
}

void fz_tls_range(unsigned tls, int *min, int *max)
{
    static const int maxs[4] = {kTLSProtocol12, kTLSProtocol11, kTLSProtocol1, kSSLProtocol3};
    static const int mins[4] = {kTLSProtocol1, kTLSProtocol11, kTLSProtocol12, kSSLProtocol3};
    *max = maxs[tls & FZ_TLS_MAX];
    *min = mins[(tls & FZ_TLS_MIN) >> 2];
    if (*min > *max)
        *min = *max;
}

/* FZ_TLS_SNI, server: every name is taken except those starting "bad" (unrecognized_name) */
static SSLErr sni_fn(SSLContext *ctx, const char *name, void *ref)
{
    (void)ctx, (void)ref;
    return strncmp(name, "bad", 3) == 0 ? SSLUnknownErr : SSLNoErr;
}

static SSLErr set_tls(SSLContext *ctx, int side, unsigned tls)
{
    int min, max;
    fz_tls_range(tls, &min, &max);
    if (SSLXSetProtocolVersionRange(ctx, (SSLXProtocol)min, (SSLXProtocol)max) != SSLNoErr)
        return SSLUnknownErr;
    if ((tls & FZ_TLS_NO_EMS) && SSLXSetExtendedMasterSecret(ctx, 0) != SSLNoErr)
        return SSLUnknownErr;
    if ((tls & FZ_TLS_ALPN) &&
        SSLXSetALPN(ctx, side == SSL_ClientSide ? "h2,http/1.1" : "http/1.1,spdy/1") != SSLNoErr)
        return SSLUnknownErr;
    if (tls & FZ_TLS_SNI) {
        SSLErr e = side == SSL_ClientSide ? SSLXSetServerName(ctx, "localhost")
                                          : SSLXSetServerNameFunc(ctx, sni_fn, NULL);
        if (e != SSLNoErr)
            return e;
    }
    if ((tls & FZ_TLS_FALLBACK) && side == SSL_ClientSide && SSLXSetFallback(ctx, 1) != SSLNoErr)
        return SSLUnknownErr;
    return SSLNoErr;
}

SSLContext *fz_new_context(int side, unsigned flags, unsigned rot, unsigned tls, struct fz_io *io,
                           struct fz_rng *rng, struct fz_cache *cache)
{
    SSLContext *ctx = NULL;
    if (SSLXNewContext(&ctx) != SSLNoErr)
        return NULL;
    SSLSetRandomFunc(ctx, rng_fn);
    SSLSetRandomRef(ctx, rng);
    SSLSetTimeFunc(ctx, time_fn);
    SSLSetReadFunc(ctx, io_read);
    SSLSetWriteFunc(ctx, io_write);
    SSLSetIORef(ctx, io);
    SSLSetProtocolSide(ctx, side);
    if (rot & FZ_ROT_TLS) {
        if (set_tls(ctx, side, tls) != SSLNoErr)
            goto fail;
    } else if (SSLSetProtocolVersion(ctx, versions[flags & FZ_VERSION_MASK]) != SSLNoErr) {
        goto fail;
    }
    if ((flags & FZ_ALL_SUITES) && set_all_suites(ctx, rot) != SSLNoErr)
        goto fail;
    if (flags & FZ_NO_SPLIT)
        SSLXSetCBCRecordSplitting(ctx, 0);
    if (cache) {
        SSLSetAddSessionFunc(ctx, cache_add);
        SSLSetGetSessionFunc(ctx, cache_get);
        SSLSetDeleteSessionFunc(ctx, cache_delete);
        SSLSetSessionRef(ctx, cache);
        const char *id = side == SSL_ClientSide ? "localhost:4433" : "fuzz-server";
        SSLBuffer b = {(uint32)strlen(id), malloc(strlen(id))};
        if (!b.data)
            goto fail;
        memcpy(b.data, id, b.length);
        SSLSetPeerID(ctx, b);
    }
    if (side == SSL_ServerSide) {
        int dsa = (rot & FZ_ROT_DSA) != 0;
        if (SSLSetPrivateKey(ctx, SSLXRSAPrivateKeyRetain(dsa ? g_keys.dsa_key : g_keys.server_key)) != SSLNoErr ||
            SSLXAddCertificatesPEM(ctx, dsa ? g_keys.dsa_chain : g_keys.server_chain,
                                   dsa ? g_keys.dsa_chain_len : g_keys.server_chain_len) != SSLNoErr)
            goto fail;
        if (rot & FZ_ROT_TLS) {
            if (!dsa) { /* the EC identity beside the RSA one: ECDHE_ECDSA suites */
                SSLRSAPrivateKey *ek = SSLXRSAPrivateKeyRetain(g_keys.ec_key);
                if (SSLXAddIdentityPEM(ctx, g_keys.ec_chain, g_keys.ec_chain_len, ek) != SSLNoErr) {
                    SSLXRSAPrivateKeyFree(ek);
                    goto fail;
                }
            }
            if (SSLXSetChaChaPreference(ctx, 0) != SSLNoErr)
                goto fail;
            if ((flags & FZ_TICKETS) && SSLXSetTicketKeyFunc(ctx, ticket_key_fn, NULL) != SSLNoErr)
                goto fail;
        }
        if (flags & FZ_ALL_SUITES) {
            if (SSLSetExportPrivateKey(ctx, SSLXRSAPrivateKeyRetain(g_keys.export_key)) != SSLNoErr ||
                SSLSetDHAnonParams(ctx, SSLXDHParamsRetain(g_keys.dh)) != SSLNoErr)
                goto fail;
        }
        if (flags & FZ_CLIENT_AUTH)
            SSLSetRequestClientCert(ctx, 1);
    } else if (flags & FZ_CLIENT_AUTH) {
        int ec = (rot & FZ_ROT_TLS) && (flags & FZ_EC_CLIENT);
        if (SSLSetPrivateKey(ctx, SSLXRSAPrivateKeyRetain(ec ? g_keys.ec_key : g_keys.client_key)) != SSLNoErr ||
            SSLXAddCertificatesPEM(ctx, ec ? g_keys.ec_chain : g_keys.client_chain,
                                   ec ? g_keys.ec_chain_len : g_keys.client_chain_len) != SSLNoErr)
            goto fail;
    }
    return ctx;
fail:
    SSLXFreeContext(ctx);
    return NULL;
}

void fz_free_context(SSLContext *ctx) { SSLXFreeContext(ctx); }

/* ---- the one-sided driver ---- */

SSLErr fz_drive(SSLContext *ctx, struct fz_io *io)
{
    SSLErr e = SSLWouldBlockErr;
    size_t last = (size_t)-1;
    int idle = 0; /* would-blocks in a row without input consumed (FZ_WOULD_BLOCK needs a retry) */
    for (int i = 0; i < 100000; i++) {
        e = SSLHandshake(ctx);
        if (e != SSLWouldBlockErr)
            break;
        idle = io->rx_off == last ? idle + 1 : 0;
        if (idle > 3)
            break;
        last = io->rx_off;
    }
    if (e != SSLNoErr)
        return e;
    static const char line[] = "GET / HTTP/1.0\r\n\r\n";
    uint8_t msg[sizeof line];
    memcpy(msg, line, sizeof line);
    uint32 n = (uint32)(sizeof line - 1);
    (void)SSLWrite(msg, &n, ctx);
    uint8_t buf[2048];
    last = (size_t)-1;
    idle = 0;
    for (int i = 0; i < 100000; i++) {
        n = sizeof buf;
        SSLErr r = SSLRead(buf, &n, ctx);
        if (r != SSLNoErr && r != SSLWouldBlockErr)
            break;
        idle = r == SSLWouldBlockErr && io->rx_off == last ? idle + 1 : 0;
        if (idle > 3)
            break;
        last = io->rx_off;
    }
    for (int i = 0; i < 4 && SSLClose(ctx) == SSLWouldBlockErr; i++)
        (void)SSLServiceWriteQueue(ctx);
    return e;
}

int fz_split(const uint8_t *data, size_t size, unsigned *flags, unsigned *rot, unsigned *tls,
             const uint8_t *s[2], size_t n[2])
{
    if (size < 2)
        return 0;
    *flags = data[0];
    *rot = data[1];
    *tls = 0;
    data += 2;
    size -= 2;
    if (*rot & FZ_ROT_TLS) {
        if (size < 1)
            return 0;
        *tls = data[0];
        data++;
        size--;
    }
    if (!(*flags & FZ_TWO_CONNS)) {
        s[0] = data;
        n[0] = size;
        return 1;
    }
    if (size < 2)
        return 0;
    size_t l = (size_t)data[0] << 8 | data[1];
    data += 2;
    size -= 2;
    if (l > size)
        l = size;
    s[0] = data;
    n[0] = l;
    s[1] = data + l;
    n[1] = size - l;
    return 2;
}

void fz_run_side(int side, const uint8_t *data, size_t size)
{
    unsigned flags, rot, tls;
    const uint8_t *s[2];
    size_t n[2];
    int conns = fz_split(data, size, &flags, &rot, &tls, s, n);
    struct fz_cache cache;
    memset(&cache, 0, sizeof cache);
    int verbose = getenv("FUZZ_VERBOSE") != NULL; /* replay debugging: how far each input got */
    for (int c = 0; c < conns; c++) {
        struct fz_bytes in = {(uint8_t *)(uintptr_t)s[c], n[c], n[c]}; /* never written */
        struct fz_io io = {&in, 0, NULL, flags & (FZ_SMALL_READS | FZ_WOULD_BLOCK), 0, 0};
        struct fz_rng rng = {fz_seed(side, c)};
        SSLContext *ctx = fz_new_context(side, flags, rot, tls, &io, &rng, conns == 2 ? &cache : NULL);
        if (!ctx)
            abort(); /* setup from fixed data cannot fail: a failure here is a bug */
        unsigned seals = g_ticket_seals;
        int stored = cache.tickets_stored;
        SSLErr e = fz_drive(ctx, &io);
        if (e == SSLNoErr)
            fz_count_completed(ctx, flags, rot,
                               side == SSL_ServerSide ? g_ticket_seals != seals : cache.tickets_stored != stored);
        if (c == conns - 1)
            fz_check_named_outcome(ctx, e);
        if (verbose) {
            uint16 suite = 0;
            SSLProtocolVersion v = SSL_Version_Undetermined;
            SSLGetNegotiatedCipher(ctx, &suite);
            SSLGetProtocolVersion(ctx, &v);
            fprintf(stderr, "fuzz: %s conn %d: handshake %s, version %d, suite %04x, %zu/%zu bytes read\n",
                    side == SSL_ServerSide ? "server" : "client", c, SSLXErrorName(e), (int)v, suite,
                    io.rx_off, n[c]);
        }
        fz_free_context(ctx);
    }
    fz_cache_free(&cache);
}

/* ---- replay checks ---- */

static const char *const families[] = {
    "RSA", "DHE_RSA", "DHE_DSS", "DH_anon", "RSA_EXPORT", "SSL2", /* SSL 3.0 by key exchange; SSL 2.0 */
    "TLS1.2_RSA", "TLS1.2_DHE_RSA", "TLS1.2_DH_anon", "TLS1.2_ECDHE_RSA", "TLS1.2_ECDHE_ECDSA",
    "TLS1.1", "TLS1.1_DHE_DSS", "TLS1.1_ECDHE_ECDSA", "TLS1.0", "TLS1.0_DHE_DSS", "TLS1.0_ECDHE_ECDSA",
    "TLS_GCM", "TLS_CHACHA", "TLS_CBC_SHA256", "TLS_CBC_SHA384", "TLS_CBC_SHA", "TLS_RESUMED",
    "TLS_RESUMED_TICKET", "TLS_TICKET_ISSUED", "TLS_CLIENT_AUTH", "TLS_CLIENT_AUTH_EC", "TLS_EMS",
    "TLS_NO_EMS", "TLS_ALPN",
    "named_ok", /* handshake harnesses: inputs named refuse-NNN-* that were refused as named */
    "accepted", "refused", "mismatched" /* fuzz_ext */
};
#define NFAM (sizeof families / sizeof families[0])
static long g_completed[NFAM]; /* replay driver only: one thread */

void fz_count(const char *family)
{
    for (size_t f = 0; f < NFAM; f++)
        if (strcmp(families[f], family) == 0)
            g_completed[f]++;
}

void fz_count_completed(SSLContext *ctx, unsigned flags, unsigned rot, int issued)
{
    uint16 suite = 0;
    SSLProtocolVersion v = SSL_Version_Undetermined;
    SSLXProtocol tv = kSSLProtocolUnknown;
    SSLGetNegotiatedCipher(ctx, &suite);
    SSLGetProtocolVersion(ctx, &v);
    SSLXGetNegotiatedProtocolVersion(ctx, &tv);
    const char *name = SSLXCipherSuiteName(suite);
    if (v == SSL_Version_2_0 || (suite & 0xff00) == 0xff00) {
        fz_count("SSL2");
        return;
    }
    if (!name)
        return;
    const char *kx = strstr(name, "_ECDHE_ECDSA_") ? "ECDHE_ECDSA" : strstr(name, "_ECDHE_RSA_") ? "ECDHE_RSA"
                   : strstr(name, "_DH_anon_") ? "DH_anon" : strstr(name, "_DHE_DSS_") ? "DHE_DSS"
                   : strstr(name, "_DHE_RSA_") ? "DHE_RSA" : strstr(name, "_RSA_EXPORT_") ? "RSA_EXPORT" : "RSA";
    if (tv == kSSLProtocol3) {
        fz_count(kx);
        return;
    }
    char fam[32];
    if (tv == kTLSProtocol12) {
        snprintf(fam, sizeof fam, "TLS1.2_%s", kx);
        fz_count(fam);
    } else {
        fz_count(tv == kTLSProtocol11 ? "TLS1.1" : "TLS1.0");
        if (strcmp(kx, "DHE_DSS") == 0 || strcmp(kx, "ECDHE_ECDSA") == 0) { /* DSA: TLS 1.0 and 1.1 only */
            char f2[32];
            snprintf(f2, sizeof f2, "%s_%s", tv == kTLSProtocol11 ? "TLS1.1" : "TLS1.0", kx);
            fz_count(f2);
        }
    }
    fz_count(strstr(name, "_GCM_") ? "TLS_GCM" : strstr(name, "_CHACHA20_POLY1305_") ? "TLS_CHACHA"
             : strstr(name, "_CBC_SHA256") ? "TLS_CBC_SHA256" : strstr(name, "_CBC_SHA384") ? "TLS_CBC_SHA384"
             : strstr(name, "_CBC_SHA") ? "TLS_CBC_SHA" : "");
    int resumed = 0, ems = 0, via = 0;
    char alpn[32] = "";
    SSLXGetResumed(ctx, &resumed);
    SSLXGetExtendedMasterSecret(ctx, &ems);
    SSLXGetALPN(ctx, alpn, sizeof alpn);
    SSLXGetResumedVia(ctx, &via);
    if (resumed) {
        fz_count("TLS_RESUMED");
        if (via == 2)
            fz_count("TLS_RESUMED_TICKET");
    } else {
        if (flags & FZ_CLIENT_AUTH)
            fz_count("TLS_CLIENT_AUTH");
        if ((flags & FZ_CLIENT_AUTH) && (flags & FZ_EC_CLIENT) && (rot & FZ_ROT_TLS))
            fz_count("TLS_CLIENT_AUTH_EC");
        if (issued)
            fz_count("TLS_TICKET_ISSUED");
    }
    fz_count(ems ? "TLS_EMS" : "TLS_NO_EMS");
    if (alpn[0])
        fz_count("TLS_ALPN");
}

/* the replay driver's current file name (replay_main.c); absent under libFuzzer */
extern const char *replay_current_file __attribute__((weak));

void fz_check_named_outcome(SSLContext *ctx, SSLErr e)
{
    const char *path = &replay_current_file ? replay_current_file : NULL;
    const char *name = path ? strrchr(path, '/') : NULL;
    name = name ? name + 1 : path;
    if (!name || strncmp(name, "refuse-", 7) != 0)
        return;
    uint16 sent = 0, recv = 0;
    SSLXGetLastAlerts(ctx, &sent, &recv);
    unsigned want = (unsigned)atoi(name + 7);
    if (e == SSLNoErr || sent != (0x0200 | want)) {
        fprintf(stderr, "fuzz: %s: %s (%s, alert %04x), expected refused with fatal alert %u\n", name,
                e == SSLNoErr ? "completed" : "refused", SSLXErrorName(e), sent, want);
        fz_count("mismatched");
    } else {
        fz_count("named_ok");
    }
}

int fz_check_minimums(const char *min_file)
{
    for (size_t f = 0; f < NFAM; f++)
        if (g_completed[f])
            printf("replay: %-15s %ld inputs\n", families[f], g_completed[f]);
    FILE *fp = fopen(min_file, "r");
    if (!fp) {
        fprintf(stderr, "replay: cannot open %s\n", min_file);
        return 1;
    }
    char line[256], fam[64];
    long min;
    int rc = 0;
    for (size_t f = 0; f < NFAM; f++)
        if (!strcmp(families[f], "mismatched") && g_completed[f]) {
            fprintf(stderr, "replay: %ld inputs did not have the outcome their name says\n", g_completed[f]);
            rc = 1;
        }
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || sscanf(line, "%63s %ld", fam, &min) != 2)
            continue;
        size_t f = 0;
        while (f < NFAM && strcmp(families[f], fam) != 0)
            f++;
        if (f == NFAM) {
            fprintf(stderr, "replay: %s: unknown family %s\n", min_file, fam);
            rc = 1;
        } else if (g_completed[f] < min) {
            fprintf(stderr, "replay: %s: %ld inputs, minimum %ld (%s): the seeds are stale: "
                            "run scripts/regen-fuzz-seeds.sh\n", fam, g_completed[f], min, min_file);
            rc = 1;
        }
    }
    fclose(fp);
    return rc;
}

int fz_suite_listing(struct fz_bytes *out)
{
    uint16 all[128], def[128];
    uint32 n = SSLXSupportedCipherSuites(all, 100), nd = 128;
    if (n > 100)
        return -1;
    for (uint16 k = SSL2_SUITE_RC4_128_WITH_MD5; k <= SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5; k++)
        all[n++] = k;
    SSLContext *ctx = NULL;
    if (SSLXNewContext(&ctx) != SSLNoErr || SSLXGetCipherSuites(ctx, def, &nd) != SSLNoErr)
        return -1;
    SSLXFreeContext(ctx);
    for (uint32 i = 0; i < n; i++) {
        int on = 0;
        for (uint32 j = 0; j < nd; j++)
            on |= def[j] == all[i];
        const char *name = SSLXCipherSuiteName(all[i]);
        char line[128];
        int l = snprintf(line, sizeof line, "%04x %s%s\n", all[i], name ? name : "?", on ? " default" : "");
        if (l < 0 || fz_bytes_put(out, line, (size_t)l) != 0)
            return -1;
    }
    return 0;
}

int fz_check_suites(const char *file)
{
    struct fz_bytes want = {0};
    size_t len = 0;
    FILE *fp = fopen(file, "rb");
    char got[8192];
    if (fp) {
        len = fread(got, 1, sizeof got, fp);
        fclose(fp);
    }
    int rc = fz_suite_listing(&want) != 0 || !fp || len != want.len || memcmp(got, want.b, len) != 0;
    if (rc)
        fprintf(stderr, "replay: the suite table differs from %s: seeds are stale: run scripts/regen-fuzz-seeds.sh\n",
                file);
    free(want.b);
    return rc;
}

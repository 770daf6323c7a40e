/*
 * pair.c - the pair-test harness of pair.h: two byte pipes with configurable partial I/O and
 * would-block injection, a per-record hook, building both contexts from tests/data, and drivers that
 * run the two contexts alternately in one thread until they are done, fail, or stop moving. The
 * platform callbacks (allocator, random, clock, session cache) are in pair_env.c. Public API only.
 */
#include "pair.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint16_t pair_suites[8] = {0x0001, 0x0002, 0x0004, 0x0005, 0x0009, 0x000a, 0x002f, 0x0035};

#define STALL_ROUNDS 16
#define REC_CAP (2u * (5u + 65535u))

/* ---- pipes ---- */

static void pipe_put(struct pair_pipe *pp, const uint8_t *d, size_t n)
{
    if (pp->eof || n == 0)
        return; /* the stream was cut: what follows goes nowhere */
    if (pp->off && pp->off == pp->len)
        pp->off = pp->len = 0;
    if (pp->len + n > pp->cap) {
        if (pp->off) {
            memmove(pp->buf, pp->buf + pp->off, pp->len - pp->off);
            pp->len -= pp->off;
            pp->off = 0;
        }
        size_t cap = pp->cap ? pp->cap : 4096;
        while (cap < pp->len + n)
            cap *= 2;
        if (cap != pp->cap) {
            uint8_t *nb = realloc(pp->buf, cap);
            if (!nb)
                abort();
            pp->buf = nb;
            pp->cap = cap;
        }
    }
    memcpy(pp->buf + pp->len, d, n);
    pp->len += n;
    pp->total += n;
    for (size_t i = 0; i < n; i++) /* FNV-1a over the stream */
        pp->hash = (pp->hash ^ d[i]) * 0x100000001b3ull;
}

static size_t rec_len_of(const uint8_t *h) { return 5u + ((size_t)h[3] << 8 | h[4]); }

/* Bytes side @from wrote: straight into its pipe, or record by record through the hook. */
static void deliver(struct pair *p, int from, const uint8_t *d, size_t n)
{
    struct pair_pipe *pp = &p->pipe[from];
    if (pp->eof)
        return;
    if (!p->hook) {
        pipe_put(pp, d, n);
        return;
    }
    memcpy(pp->stage + pp->stage_len, d, n); /* callers never pass more than REC_CAP/2 */
    pp->stage_len += n;
    while (pp->stage_len >= 5 && pp->stage_len >= rec_len_of(pp->stage)) {
        size_t rl = rec_len_of(pp->stage);
        uint8_t *rb = pp->stage + REC_CAP; /* second half: the record buffer */
        memcpy(rb, pp->stage, rl);
        struct pair_rec r = {rb, rl, REC_CAP};
        int act = p->hook(from, pp->records++, &r, p->hook_ref);
        memmove(pp->stage, pp->stage + rl, pp->stage_len - rl);
        pp->stage_len -= rl;
        pipe_put(pp, r.b, r.len);
        if (act == PAIR_CLOSE) {
            pp->eof = 1;
            pp->stage_len = 0;
            return;
        }
    }
}

/* random_io: limit *n and say whether this call would-blocks instead. */
static int random_limit(struct pair_end *e, const struct pair_io_cfg *io, size_t *n)
{
    if (!io->random_io)
        return 0;
    if (!e->rnd)
        e->rnd = io->random_io * 2 + (uint64_t)e->side + 1;
    uint64_t v = pair_splitmix(&e->rnd);
    if ((v & 3) == 0) {
        e->wouldblocks++;
        return 1;
    }
    size_t lim = 1 + (size_t)((v >> 8) % 300);
    if (*n > lim)
        *n = lim;
    return 0;
}

static SSLErr io_write(SSLBuffer data, uint32 *processed, void *ref)
{
    struct pair_end *e = ref;
    struct pair *p = e->p;
    struct pair_pipe *pp = &p->pipe[e->side];
    const struct pair_io_cfg *io = &p->s[e->side].io;
    *processed = 0;
    e->wr_calls++;
    if (io->fail_call && e->rd_calls + e->wr_calls == io->fail_call)
        return io->fail_err ? io->fail_err : SSLIOErr;
    size_t n = data.length;
    if (n == 0)
        return SSLNoErr;
    if (pp->limit) {
        size_t unread = pp->len - pp->off;
        if (unread >= pp->limit) {
            e->wouldblocks++;
            return SSLWouldBlockErr;
        }
        if (n > pp->limit - unread)
            n = pp->limit - unread;
    }
    if (io->chunk && n > io->chunk)
        n = io->chunk;
    if (n > REC_CAP / 2)
        n = REC_CAP / 2;
    if (random_limit(e, io, &n))
        return SSLWouldBlockErr;
    if (io->wb_every_byte) {
        if (!e->wb_wr) {
            e->wb_wr = 1;
            e->wouldblocks++;
            return SSLWouldBlockErr;
        }
        e->wb_wr = 0;
        n = 1;
    }
    deliver(p, e->side, data.data, n);
    pp->written += n;
    *processed = (uint32)n;
    return io->wb_with_data ? SSLWouldBlockErr : SSLNoErr;
}

static SSLErr io_read(SSLBuffer data, uint32 *processed, void *ref)
{
    struct pair_end *e = ref;
    struct pair *p = e->p;
    struct pair_pipe *pp = &p->pipe[PAIR_PEER(e->side)];
    const struct pair_io_cfg *io = &p->s[e->side].io;
    *processed = 0;
    e->rd_calls++;
    if (io->fail_call && e->rd_calls + e->wr_calls == io->fail_call)
        return io->fail_err ? io->fail_err : SSLIOErr;
    size_t avail = pp->len - pp->off;
    if (avail == 0) {
        if (pp->eof)
            return io->eof_noerr ? SSLNoErr : SSLConnectionClosedError;
        e->wouldblocks++;
        return SSLWouldBlockErr;
    }
    size_t n = data.length < avail ? data.length : avail;
    if (io->chunk && n > io->chunk)
        n = io->chunk;
    if (n && random_limit(e, io, &n))
        return SSLWouldBlockErr;
    if (io->wb_every_byte && n) {
        if (!e->wb_rd) {
            e->wb_rd = 1;
            e->wouldblocks++;
            return SSLWouldBlockErr;
        }
        e->wb_rd = 0;
        n = 1;
    }
    memcpy(data.data, pp->buf + pp->off, n);
    pp->off += n;
    pp->consumed += n;
    *processed = (uint32)n;
    return io->wb_with_data ? SSLWouldBlockErr : SSLNoErr;
}

void pair_inject(struct pair *p, int side, const void *data, size_t n)
{
    pipe_put(&p->pipe[PAIR_PEER(side)], data, n);
}

void pair_eof(struct pair *p, int side) { p->pipe[PAIR_PEER(side)].eof = 1; }

size_t pair_pending(const struct pair *p, int side, const uint8_t **data)
{
    const struct pair_pipe *pp = &p->pipe[PAIR_PEER(side)];
    if (data)
        *data = pp->buf + pp->off;
    return pp->len - pp->off;
}

void pair_drain(struct pair *p, int side)
{
    struct pair_pipe *pp = &p->pipe[PAIR_PEER(side)];
    pp->off = pp->len = 0;
}

/* ---- set-up ---- */

void pair_config_init(struct pair_config *c)
{
    memset(c, 0, sizeof *c);
    c->version[0] = c->version[1] = SSL_Version_3_0_Only;
    c->peer_id[0] = c->peer_id[1] = 1;
    c->cbc_split = -1;
    c->server_key = "server-key-pkcs8.pem";
    c->server_chain = "server-chain.pem";
    c->seed = 1;
}

void pair_config_suite(struct pair_config *c, const uint16_t *suite)
{
    c->suites[0] = c->suites[1] = suite;
    c->nsuites[0] = c->nsuites[1] = 1;
}

/* The library's default list followed by the five non-export SSL 2.0 kinds (what the default
 * list held before issue 13 point 10), computed once per process. */
static uint16_t with_ssl2[96];
static uint32_t with_ssl2_n;

void pair_config_ssl2(struct pair_config *c)
{
    if (!with_ssl2_n) {
        SSLContext *ctx = NULL;
        uint32 n = 80;
        if (SSLXNewContext(&ctx) != SSLNoErr || SSLXGetCipherSuites(ctx, with_ssl2, &n) != SSLNoErr)
            abort();
        SSLXFreeContext(ctx);
        static const uint16_t kinds[] = {SSL2_SUITE_RC4_128_WITH_MD5, SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5,
                                         SSL2_SUITE_RC2_128_CBC_WITH_MD5, SSL2_SUITE_IDEA_128_CBC_WITH_MD5,
                                         SSL2_SUITE_DES_64_CBC_WITH_MD5};
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            with_ssl2[n++] = kinds[i];
        with_ssl2_n = n;
    }
    c->suites[0] = c->suites[1] = with_ssl2;
    c->nsuites[0] = c->nsuites[1] = with_ssl2_n;
}

static SSLErr load_key(SSLContext *ctx, const char *file, int export_key)
{
    size_t len;
    char *pem = pair_read_data(file, &len);
    if (!pem)
        return SSLIOErr;
    SSLRSAPrivateKey *key = NULL;
    SSLErr e = SSLXRSAPrivateKeyFromPEM(pem, len, &key);
    free(pem);
    if (e != SSLNoErr)
        return e;
    e = export_key ? SSLSetExportPrivateKey(ctx, key) : SSLSetPrivateKey(ctx, key);
    if (e != SSLNoErr)
        SSLXRSAPrivateKeyFree(key);
    return e;
}

/* The server's second identity (SSLXAddIdentityPEM): a key and chain of the other kind. */
static SSLErr load_identity(SSLContext *ctx, const char *keyfile, const char *chainfile)
{
    size_t len, clen;
    char *pem = pair_read_data(keyfile, &len);
    if (!pem)
        return SSLIOErr;
    SSLRSAPrivateKey *key = NULL;
    SSLErr e = SSLXRSAPrivateKeyFromPEM(pem, len, &key);
    free(pem);
    if (e != SSLNoErr)
        return e;
    char *chain = pair_read_data(chainfile, &clen);
    e = chain ? SSLXAddIdentityPEM(ctx, chain, clen, key) : SSLIOErr;
    free(chain);
    if (e != SSLNoErr)
        SSLXRSAPrivateKeyFree(key);
    return e;
}

static SSLErr load_chain(SSLContext *ctx, const char *file)
{
    size_t len;
    char *pem = pair_read_data(file, &len);
    if (!pem)
        return SSLIOErr;
    SSLErr e = SSLXAddCertificatesPEM(ctx, pem, len);
    free(pem);
    return e;
}

static SSLErr load_side(SSLContext *ctx, int side, const struct pair_config *c)
{
    SSLErr e = SSLNoErr;
    if (side == PAIR_CLIENT) {
        if (c->client_key && (e = load_key(ctx, c->client_key, 0)) != SSLNoErr)
            return e;
        if (c->client_chain)
            e = load_chain(ctx, c->client_chain);
        return e;
    }
    if (c->server_key && (e = load_key(ctx, c->server_key, 0)) != SSLNoErr)
        return e;
    if (c->server_chain && (e = load_chain(ctx, c->server_chain)) != SSLNoErr)
        return e;
    if (c->server_key2 && (e = load_identity(ctx, c->server_key2, c->server_chain2)) != SSLNoErr)
        return e;
    if (c->export_key && (e = load_key(ctx, c->export_key, 1)) != SSLNoErr)
        return e;
    if (c->dh_params) {
        size_t len;
        char *pem = pair_read_data(c->dh_params, &len);
        if (!pem)
            return SSLIOErr;
        SSLDHParams *dh = NULL;
        e = SSLXDHParamsFromPEM(pem, len, &dh);
        free(pem);
        if (e != SSLNoErr)
            return e;
        SSLSetDHAnonParams(ctx, dh);
    }
    if (c->request_client_cert)
        SSLSetRequestClientCert(ctx, 1);
    return SSLNoErr;
}

static SSLErr init_side(struct pair *p, int side, const struct pair_config *c)
{
    struct pair_side *ps = &p->s[side];
    SSLErr e;
    pair_alloc_init(&ps->alloc);
    ps->rng.s = c->seed * 0x100000001b3ull + (uint64_t)side + 1;
    ps->end.p = p;
    ps->end.side = side;
    ps->io = c->io[side];
    ps->ctx = malloc(SSLContextSize());
    if (!ps->ctx)
        return SSLMemoryErr;
    if ((e = SSLInitContext(ps->ctx)) != SSLNoErr) {
        free(ps->ctx);
        ps->ctx = NULL;
        return e;
    }
    SSLContext *ctx = ps->ctx;
    SSLSetAllocFunc(ctx, pair_alloc_fn);
    SSLSetFreeFunc(ctx, pair_free_fn);
    SSLSetReallocFunc(ctx, pair_realloc_fn);
    SSLSetAllocRef(ctx, &ps->alloc);
    SSLSetRandomFunc(ctx, pair_random_fn);
    SSLSetRandomRef(ctx, &ps->rng);
    SSLSetTimeFunc(ctx, pair_time_fn);
    SSLSetTimeRef(ctx, &ps->clock);
    SSLSetReadFunc(ctx, io_read);
    SSLSetWriteFunc(ctx, io_write);
    SSLSetIORef(ctx, &ps->end);
    SSLSetProtocolSide(ctx, side == PAIR_CLIENT ? SSL_ClientSide : SSL_ServerSide);
    if (!c->lib_default[side] &&
        (e = c->vmax[side] ? SSLXSetProtocolVersionRange(ctx, c->vmin[side], c->vmax[side])
                           : SSLSetProtocolVersion(ctx, c->version[side])) != SSLNoErr)
        return e;
    if (c->suites[side] && (e = SSLXSetCipherSuites(ctx, c->suites[side], c->nsuites[side])) != SSLNoErr)
        return e;
    if (c->cbc_split >= 0)
        SSLXSetCBCRecordSplitting(ctx, c->cbc_split);
    if (c->cache[side]) {
        ps->cache = c->cache[side];
        ps->cache->alloc = &ps->alloc;
        SSLSetAddSessionFunc(ctx, pair_cache_add);
        SSLSetGetSessionFunc(ctx, pair_cache_get);
        SSLSetDeleteSessionFunc(ctx, pair_cache_delete);
        SSLSetSessionRef(ctx, ps->cache);
    }
    if (c->peer_id[side]) {
        const char *id = side == PAIR_CLIENT ? "localhost:4433" : "sslref-test-server";
        SSLBuffer b = {(uint32)strlen(id), NULL};
        if ((e = pair_alloc_fn(&b, &ps->alloc)) != SSLNoErr)
            return e;
        memcpy(b.data, id, b.length);
        SSLSetPeerID(ctx, b);
    }
    return load_side(ctx, side, c);
}

SSLErr pair_init(struct pair *p, const struct pair_config *c)
{
    memset(p, 0, sizeof *p);
    p->hook = c->hook;
    p->hook_ref = c->hook_ref;
    for (int d = 0; d < 2; d++) {
        p->pipe[d].limit = c->pipe_limit;
        p->pipe[d].hash = 0xcbf29ce484222325ull;
        if (c->hook && !(p->pipe[d].stage = malloc(2 * REC_CAP)))
            return SSLMemoryErr;
    }
    for (int side = 0; side < 2; side++) {
        SSLErr e = init_side(p, side, c);
        if (e != SSLNoErr) {
            pair_free(p);
            return e;
        }
    }
    return SSLNoErr;
}

void pair_delete_side(struct pair *p, int side)
{
    struct pair_side *ps = &p->s[side];
    if (ps->ctx) {
        SSLDeleteContext(ps->ctx);
        free(ps->ctx);
        ps->ctx = NULL;
    }
    if (ps->cache)
        ps->cache->alloc = NULL;
}

void pair_free(struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        pair_delete_side(p, side);
        free(p->s[side].rx);
        p->s[side].rx = NULL;
        p->s[side].rx_len = p->s[side].rx_cap = 0;
    }
    for (int d = 0; d < 2; d++) {
        free(p->pipe[d].buf);
        free(p->pipe[d].stage);
        p->pipe[d].buf = p->pipe[d].stage = NULL;
    }
}

long pair_live_blocks(const struct pair *p) { return p->s[0].alloc.live_blocks + p->s[1].alloc.live_blocks; }

/* ---- drivers ---- */

static uint64_t progress(const struct pair *p)
{
    uint64_t v = 0;
    for (int d = 0; d < 2; d++)
        v += p->pipe[d].written + p->pipe[d].consumed;
    return v;
}

static uint32 write_pending(SSLContext *ctx)
{
    uint32 n = 0;
    if (SSLGetWritePendingSize(ctx, &n) != SSLNoErr)
        return 0;
    return n;
}

/* A side that failed: flush its queued alert (it may take many calls), then close its stream. */
static void flush_failed(struct pair *p, int side)
{
    SSLContext *ctx = p->s[side].ctx;
    if (p->pipe[side].eof)
        return;
    if (write_pending(ctx) > 0) {
        SSLErr e = SSLServiceWriteQueue(ctx);
        if (e == SSLWouldBlockErr && write_pending(ctx) > 0)
            return;
    }
    p->pipe[side].eof = 1;
}

int pair_handshake(struct pair *p)
{
    int failed[2] = {0, 0}, stall = 0;
    for (;;) {
        uint64_t before = progress(p);
        int changed = 0;
        for (int side = 0; side < 2; side++) {
            struct pair_side *ps = &p->s[side];
            if (ps->done)
                continue;
            if (failed[side]) {
                flush_failed(p, side);
                continue;
            }
            SSLErr e = SSLHandshake(ps->ctx);
            ps->last = e;
            if (e == SSLNoErr) {
                ps->done = 1;
                changed = 1;
            } else if (e != SSLWouldBlockErr) {
                failed[side] = 1;
                changed = 1;
                flush_failed(p, side);
            }
        }
        p->rounds++;
        int settled = (p->s[0].done || (failed[0] && p->pipe[0].eof)) &&
                      (p->s[1].done || (failed[1] && p->pipe[1].eof));
        if (p->s[0].done && p->s[1].done)
            return PAIR_OK;
        if (settled)
            return PAIR_FAILED;
        if (changed || progress(p) != before)
            stall = 0;
        else if (++stall >= STALL_ROUNDS)
            return failed[0] || failed[1] ? PAIR_FAILED : PAIR_STALL;
    }
}

SSLErr pair_run_side(struct pair *p, int side)
{
    struct pair_side *ps = &p->s[side];
    int stall = 0;
    for (;;) {
        uint64_t before = progress(p);
        SSLErr e = SSLHandshake(ps->ctx);
        ps->last = e;
        if (e != SSLWouldBlockErr) {
            if (e != SSLNoErr) {
                for (int i = 0; i < 1000000 && !p->pipe[side].eof; i++)
                    flush_failed(p, side);
            }
            return e;
        }
        if (progress(p) != before)
            stall = 0;
        else if (++stall >= STALL_ROUNDS)
            return SSLWouldBlockErr;
    }
}

static SSLErr rx_reserve(struct pair_side *ps, size_t more)
{
    if (ps->rx_cap - ps->rx_len >= more)
        return SSLNoErr;
    size_t cap = ps->rx_cap ? ps->rx_cap : 65536;
    while (cap - ps->rx_len < more)
        cap *= 2;
    uint8_t *nb = realloc(ps->rx, cap);
    if (!nb)
        return SSLMemoryErr;
    ps->rx = nb;
    ps->rx_cap = cap;
    return SSLNoErr;
}

/* Read on @side until would-block; the result is SSLWouldBlockErr or what ended the reading. */
static SSLErr pump_read(struct pair *p, int side)
{
    struct pair_side *ps = &p->s[side];
    for (int i = 0; i < 100000; i++) {
        if (rx_reserve(ps, 32768) != SSLNoErr)
            return SSLMemoryErr;
        uint32 len = (uint32)(ps->rx_cap - ps->rx_len);
        if (len > 32768)
            len = 32768;
        SSLErr e = SSLRead(ps->rx + ps->rx_len, &len, ps->ctx);
        ps->rx_len += len;
        if (e != SSLNoErr) {
            ps->last = e;
            return e;
        }
        if (len == 0)
            return SSLWouldBlockErr;
    }
    return SSLWouldBlockErr;
}

static int fatal(SSLErr e) { return e != SSLNoErr && e != SSLWouldBlockErr; }

SSLErr pair_send(struct pair *p, int from, const void *data, size_t n)
{
    struct pair_side *ps = &p->s[from];
    int to = PAIR_PEER(from), stall = 0;
    size_t written = 0;
    const uint8_t *d = data;
    for (;;) {
        uint64_t before = progress(p);
        size_t wbefore = written;
        SSLErr e;
        if (written < n) {
            uint32 len = (uint32)(n - written > 0x40000000u ? 0x40000000u : n - written);
            e = SSLWrite((void *)(d + written), &len, ps->ctx);
            written += len;
        } else {
            e = write_pending(ps->ctx) ? SSLServiceWriteQueue(ps->ctx) : SSLNoErr;
        }
        if (fatal(e)) {
            ps->last = e;
            return e;
        }
        SSLErr r = pump_read(p, to);
        if (fatal(r))
            return r;
        if (written == n && write_pending(ps->ctx) == 0)
            return SSLNoErr;
        if (progress(p) != before || written != wbefore)
            stall = 0;
        else if (++stall >= STALL_ROUNDS)
            return SSLWouldBlockErr;
    }
}

SSLErr pair_recv_all(struct pair *p, int side, size_t n)
{
    struct pair_side *ps = &p->s[side];
    SSLContext *peer = p->s[PAIR_PEER(side)].ctx;
    int stall = 0;
    while (ps->rx_len < n) {
        uint64_t before = progress(p);
        size_t rbefore = ps->rx_len;
        if (peer && write_pending(peer)) {
            SSLErr e = SSLServiceWriteQueue(peer);
            if (fatal(e)) {
                p->s[PAIR_PEER(side)].last = e;
                return e;
            }
        }
        SSLErr r = pump_read(p, side);
        if (fatal(r))
            return r;
        if (progress(p) != before || ps->rx_len != rbefore)
            stall = 0;
        else if (++stall >= STALL_ROUNDS)
            return SSLWouldBlockErr;
    }
    return SSLNoErr;
}

SSLErr pair_exchange(struct pair *p, int from, const void *data, size_t n)
{
    int to = PAIR_PEER(from);
    p->s[to].rx_len = 0;
    SSLErr e = pair_send(p, from, data, n);
    if (e == SSLNoErr)
        e = pair_recv_all(p, to, n);
    if (e == SSLNoErr && (p->s[to].rx_len != n || memcmp(p->s[to].rx, data, n) != 0))
        e = SSLUnknownErr;
    return e;
}

SSLErr pair_close(struct pair *p, int side, SSLErr *close_result)
{
    SSLContext *ctx = p->s[side].ctx;
    int peer = PAIR_PEER(side), stall = 0;
    SSLProtocolVersion v = SSL_Version_3_0;
    SSLGetProtocolVersion(ctx, &v);
    SSLErr c = SSLClose(ctx);
    if (close_result)
        *close_result = c;
    if (c != SSLNoErr && c != SSLWouldBlockErr) {
        p->s[side].last = c;
        return c;
    }
    if (v == SSL_Version_2_0 && c == SSLNoErr)
        p->pipe[side].eof = 1; /* SSL 2.0 has no close_notify: closing the transport is the end */
    for (;;) {
        uint64_t before = progress(p);
        if (write_pending(ctx)) {
            SSLErr e = SSLServiceWriteQueue(ctx);
            if (fatal(e)) {
                if (close_result)
                    *close_result = e;
                p->s[side].last = e;
                return e;
            }
        }
        if (close_result && *close_result == SSLWouldBlockErr && write_pending(ctx) == 0)
            *close_result = SSLNoErr; /* the close_notify is out */
        SSLErr r = pump_read(p, peer);
        if (r != SSLWouldBlockErr)
            return r;
        if (progress(p) != before)
            stall = 0;
        else if (++stall >= STALL_ROUNDS)
            return SSLWouldBlockErr;
    }
}

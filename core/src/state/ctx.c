/*
 * ctx.c - the services every layer uses through the context (state/ctx.h): memory through the
 * user's Alloc/Free callbacks (wiped before it goes back), randomness, time, the pending alert of a
 * fatal failure, certificate lists, the server's two identities, and releasing a connection's state.
 */
#include "state/ctx.h"
#include "crypto/ecdsa.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

SSLErr ctx_alloc(SSLContext *ctx, SSLBuffer *b, uint32_t len)
{
    b->length = len;
    b->data = NULL;
    SSLErr e = ctx->alloc_fn(b, ctx->alloc_ref);
    if (e != SSLNoErr || !b->data) {
        if (b->data)
            ctx->free_fn(b, ctx->alloc_ref);
        b->data = NULL;
        b->length = 0;
        return e != SSLNoErr ? e : SSLMemoryErr;
    }
    b->length = len;
    return SSLNoErr;
}

void ctx_free_used(SSLContext *ctx, SSLBuffer *b, uint32_t used)
{
    if (b->data) {
        cry_wipe(b->data, used < b->length ? used : b->length);
        (void)ctx->free_fn(b, ctx->alloc_ref);
    }
    b->data = NULL;
    b->length = 0;
}

void ctx_free(SSLContext *ctx, SSLBuffer *b) { ctx_free_used(ctx, b, b->length); }

SSLErr ctx_grow(SSLContext *ctx, SSLBuffer *b, uint32_t len, uint32_t keep)
{
    if (b->data && b->length >= len)
        return SSLNoErr;
    SSLBuffer nb;
    SSL_TRY(ctx_alloc(ctx, &nb, len));
    if (b->data && keep)
        memcpy(nb.data, b->data, keep < b->length ? keep : b->length);
    ctx_free(ctx, b);
    *b = nb;
    return SSLNoErr;
}

SSLErr ctx_random(SSLContext *ctx, void *p, uint32_t len)
{
    SSLBuffer b = {len, p};
    return ctx->random_fn(b, ctx->random_ref);
}

SSLErr ctx_rand_fn(void *ctx, uint8_t *out, size_t n)
{
    return n > UINT32_MAX ? SSLBadParameterErr : ctx_random(ctx, out, (uint32_t)n);
}

SSLErr ctx_time(SSLContext *ctx, uint32_t *now)
{
    return ctx->time_fn(now, ctx->time_ref);
}

SSLErr ctx_fail(SSLContext *ctx, uint8_t alert, SSLErr err)
{
    if (ctx->alert_pending < 0 && ctx->sticky == SSLNoErr)
        ctx->alert_pending = alert;
    return err;
}

struct certblock {
    atomic_uint refs;
    uint32_t n;
    size_t size; /* bytes of the whole block */
    SSLBuffer certs[MAX_CHAIN];
    uint8_t data[]; /* the certificates' bytes, in list order */
};

static void certblock_release(struct certblock *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1u, memory_order_acq_rel) == 1u) {
        cry_wipe(b, b->size);
        free(b);
    }
}

SSLErr certlist_add_shared(struct certlist *l, const uint8_t *p, uint32_t len, int at_front)
{
    SSL_ENSURE(l->blk || !l->certs, SSLBadParameterErr); /* a list of the other kind: a bug */
    SSL_ENSURE(l->n < MAX_CHAIN, SSLOverflowErr);
    size_t total = len;
    for (uint32_t i = 0; i < l->n; i++)
        total += l->certs[i].length;
    size_t size = sizeof(struct certblock) + total;
    struct certblock *b = malloc(size);
    if (!b)
        return SSLMemoryErr;
    memset(b, 0, sizeof *b);
    atomic_init(&b->refs, 1u);
    b->size = size;
    b->n = l->n + 1;
    uint8_t *at = b->data;
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t old = at_front ? i - 1 : i; /* index in l of entry i (the new one: none) */
        int fresh = at_front ? i == 0 : i == l->n;
        const uint8_t *src = fresh ? p : l->certs[old].data;
        uint32_t n = fresh ? len : l->certs[old].length;
        if (n)
            memcpy(at, src, n);
        b->certs[i] = (SSLBuffer){n, at};
        at += n;
    }
    certblock_release(l->blk);
    l->blk = b;
    l->certs = b->certs;
    l->n = b->n;
    return SSLNoErr;
}

void certlist_share(struct certlist *to, const struct certlist *from)
{
    *to = (struct certlist){NULL, 0, NULL};
    if (from->blk) {
        atomic_fetch_add_explicit(&from->blk->refs, 1u, memory_order_relaxed);
        *to = *from;
    }
}

void certlist_free(SSLContext *ctx, struct certlist *l)
{
    if (l == &ctx->local_chain || l == &ctx->chain2)
        ctx->bind_ok = 0; /* a local chain changes: session_binding computes again */
    if (l->blk) {
        certblock_release(l->blk);
    } else if (l->certs) {
        for (uint32_t i = 0; i < l->n; i++)
            ctx_free(ctx, &l->certs[i]);
        SSLBuffer arr = {(uint32_t)(MAX_CHAIN * sizeof(SSLBuffer)), (uint8 *)l->certs};
        ctx_free(ctx, &arr);
    }
    l->certs = NULL;
    l->n = 0;
    l->blk = NULL;
}

SSLErr certlist_add(SSLContext *ctx, struct certlist *l, const uint8_t *p, uint32_t len,
                    int at_front)
{
    if (l == &ctx->local_chain || l == &ctx->chain2)
        ctx->bind_ok = 0;
    SSL_ENSURE(!l->blk, SSLBadParameterErr); /* configured (shared) chains: certlist_add_shared */
    SSL_ENSURE(l->n < MAX_CHAIN, SSLOverflowErr);
    if (!l->certs) {
        SSLBuffer arr;
        SSL_TRY(ctx_alloc(ctx, &arr, (uint32_t)(MAX_CHAIN * sizeof(SSLBuffer))));
        memset(arr.data, 0, arr.length);
        l->certs = (SSLBuffer *)(void *)arr.data;
    }
    SSLBuffer c;
    SSL_TRY(ctx_alloc(ctx, &c, len));
    if (len)
        memcpy(c.data, p, len);
    if (at_front) {
        memmove(&l->certs[1], &l->certs[0], l->n * sizeof(SSLBuffer));
        l->certs[0] = c;
    } else {
        l->certs[l->n] = c;
    }
    l->n++;
    return SSLNoErr;
}

static void dir_clear(SSLContext *ctx, struct dirstate *d)
{
    if (d->cipher.data)
        cry_cipher_wipe(d->cipher.data);
    ctx_free(ctx, &d->cipher);
    cry_wipe(d, sizeof *d);
}

void ctx_reset_connection(SSLContext *ctx)
{
    dir_clear(ctx, &ctx->rd_cur);
    dir_clear(ctx, &ctx->rd_pend);
    dir_clear(ctx, &ctx->wr_cur);
    dir_clear(ctx, &ctx->wr_pend);
    struct ssl2_dir *d2[2] = {&ctx->rd2, &ctx->wr2};
    for (int i = 0; i < 2; i++) {
        if (d2[i]->cipher.data)
            cry_cipher_wipe(d2[i]->cipher.data);
        ctx_free(ctx, &d2[i]->cipher);
        cry_wipe(d2[i]->secret, sizeof d2[i]->secret);
    }
    ctx_free_used(ctx, &ctx->in, ctx->in_used);
    ctx->in_used = 0;
    ctx_free(ctx, &ctx->hs);
    ctx_free(ctx, &ctx->out);
    ctx_free(ctx, &ctx->scratch);
    ctx_free(ctx, &ctx->kx);
    ctx_free(ctx, &ctx->cached_session);
    ctx_free(ctx, &ctx->peer_ticket);
    ctx_free(ctx, &ctx->new_ticket);
    ctx->offered_ticket = NULL;
    ctx->offered_ticket_len = 0;
    certlist_free(ctx, &ctx->peer_chain);
    cry_wipe(ctx->master, sizeof ctx->master);
    ctx_free(ctx, &ctx->transcript);
    ctx_free(ctx, &ctx->pending_pre);
}

uint8_t ctx_key_kind(const SSLRSAPrivateKey *k)
{
    return !k ? KEY_NONE : cry_key_ec_group(k) ? KEY_EC : cry_key_is_dsa(k) ? KEY_DSA : KEY_RSA;
}

int ctx_use_identity(SSLContext *ctx, int ec)
{
    int has = ctx->key && ctx->local_chain.n > 0;
    if (has && (ctx_key_kind(ctx->key) == KEY_EC) == (ec != 0))
        return 1;
    if (!ctx->key2 || !ctx->chain2.n || (ctx_key_kind(ctx->key2) == KEY_EC) != (ec != 0))
        return 0;
    SSLRSAPrivateKey *k = ctx->key;
    struct certlist l = ctx->local_chain;
    ctx->bind_ok = 0;
    ctx->key = ctx->key2;
    ctx->local_chain = ctx->chain2;
    ctx->key2 = k;
    ctx->chain2 = l;
    return 1;
}

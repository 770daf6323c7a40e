/*
 * session.c - resumable sessions through the user's callbacks, and the blob they store.
 * Blob (format 1): "SR" 0x01 | version u16 | suite u16 | sid_len u8 | sid | master[48] |
 * created u32 | ncerts u8 | ncerts x (u24 len | DER). It holds a master secret: callers wipe it.
 * Decoding trusts nothing: every length is bounded by the reader and checked against the limits.
 */
#include "session.h"
#include "buf.h"
#include <string.h>

#define BLOB_MAGIC0 'S'
#define BLOB_MAGIC1 'R'
#define BLOB_FORMAT 1

SSLErr session_decode(const uint8_t *p, uint32_t len, struct session_view *v)
{
    struct rd r;
    rd_init(&r, p, len);
    memset(v, 0, sizeof *v);
    if (rd_u8(&r) != BLOB_MAGIC0 || rd_u8(&r) != BLOB_MAGIC1 || rd_u8(&r) != BLOB_FORMAT)
        return SSLSessionNotFoundErr;
    v->version = rd_u16(&r);
    v->suite = rd_u16(&r);
    struct rd sid = rd_sub8(&r);
    v->sid_len = (uint32_t)rd_left(&sid);
    v->sid = rd_bytes(&sid, v->sid_len);
    v->master = rd_bytes(&r, SSL3_MASTER_LEN);
    v->created = rd_u32(&r);
    v->ncerts = rd_u8(&r);
    if (v->ncerts > MAX_CHAIN)
        return SSLSessionNotFoundErr;
    for (uint32_t i = 0; i < v->ncerts; i++) {
        struct rd c = rd_sub24(&r);
        v->cert_len[i] = (uint32_t)rd_left(&c);
        v->cert[i] = rd_bytes(&c, v->cert_len[i]);
        if (v->cert_len[i] == 0)
            rd_fail(&r);
    }
    if (!rd_done(&r) || v->sid_len == 0 || v->sid_len > SSL3_SID_MAX || v->version != 0x0300 ||
        !suite_find(v->suite))
        return SSLSessionNotFoundErr;
    return SSLNoErr;
}

SSLErr session_encode(SSLContext *ctx, SSLBuffer *out)
{
    uint32_t need = 3 + 2 + 2 + 1 + ctx->sid_len + SSL3_MASTER_LEN + 4 + 1;
    for (uint32_t i = 0; i < ctx->peer_chain.n; i++)
        need += 3 + ctx->peer_chain.certs[i].length;
    uint32_t now;
    SSL_TRY(ctx_time(ctx, &now));
    SSL_TRY(ctx_alloc(ctx, out, need));
    struct wr w;
    wr_init(&w, out->data, need);
    wr_u8(&w, BLOB_MAGIC0);
    wr_u8(&w, BLOB_MAGIC1);
    wr_u8(&w, BLOB_FORMAT);
    wr_u16(&w, 0x0300);
    wr_u16(&w, ctx->suite->id);
    wr_u8(&w, ctx->sid_len);
    wr_bytes(&w, ctx->session_id, ctx->sid_len);
    wr_bytes(&w, ctx->master, SSL3_MASTER_LEN);
    wr_u32(&w, now);
    wr_u8(&w, (uint8_t)ctx->peer_chain.n);
    for (uint32_t i = 0; i < ctx->peer_chain.n; i++) {
        size_t m = wr_open(&w, 3);
        wr_bytes(&w, ctx->peer_chain.certs[i].data, ctx->peer_chain.certs[i].length);
        wr_close(&w, m, 3);
    }
    if (!wr_ok(&w) || w.len != need) {
        ctx_free(ctx, out);
        return SSLUnknownErr;
    }
    return SSLNoErr;
}

static int enabled(const SSLContext *ctx, uint16_t id)
{
    for (uint32_t i = 0; i < ctx->nsuites; i++)
        if (ctx->suites[i] == id)
            return 1;
    return 0;
}

/* Fetch and validate an entry; on success *blob holds it (free with ctx_free). */
static int fetch(SSLContext *ctx, SSLBuffer key, SSLBuffer *blob, struct session_view *v)
{
    blob->data = NULL;
    blob->length = 0;
    if (!ctx->get_session_fn)
        return 0;
    SSLErr e = ctx->get_session_fn(key, blob, ctx->session_ref);
    if (e != SSLNoErr || !blob->data || session_decode(blob->data, blob->length, v) != SSLNoErr ||
        !enabled(ctx, v->suite)) {
        ctx_free(ctx, blob);
        return 0;
    }
    return 1;
}

static SSLErr load_view(SSLContext *ctx, const struct session_view *v)
{
    memcpy(ctx->master, v->master, SSL3_MASTER_LEN);
    ctx->suite = suite_find(v->suite);
    certlist_free(ctx, &ctx->peer_chain);
    for (uint32_t i = 0; i < v->ncerts; i++)
        SSL_TRY(certlist_add(ctx, &ctx->peer_chain, v->cert[i], v->cert_len[i], 0));
    return SSLNoErr;
}

void session_client_lookup(SSLContext *ctx)
{
    struct session_view v;
    ctx->offered_sid_len = 0;
    session_release(ctx);
    if (!ctx->peer_id.data || !fetch(ctx, ctx->peer_id, &ctx->cached_session, &v))
        return;
    ctx->offered_sid_len = (uint8_t)v.sid_len;
    memcpy(ctx->offered_sid, v.sid, v.sid_len);
    ctx->offered_suite = v.suite;
}

SSLErr session_client_resume(SSLContext *ctx)
{
    struct session_view v;
    SSL_ENSURE(ctx->cached_session.data, SSLUnknownErr);
    SSL_TRY(session_decode(ctx->cached_session.data, ctx->cached_session.length, &v));
    return load_view(ctx, &v);
}

int session_server_lookup(SSLContext *ctx, const uint8_t *sid, uint32_t sidlen,
                          const uint8_t *offered, uint32_t n)
{
    if (!ctx->peer_id.data)
        return 0;
    SSLBuffer key = {sidlen, (uint8_t *)sid}, blob;
    struct session_view v;
    if (!fetch(ctx, key, &blob, &v))
        return 0;
    int ok = v.sid_len == sidlen && memcmp(v.sid, sid, sidlen) == 0;
    int in_offer = 0;
    for (uint32_t i = 0; i < n; i++)
        in_offer |= (offered[2 * i] << 8 | offered[2 * i + 1]) == v.suite;
    ok = ok && in_offer && load_view(ctx, &v) == SSLNoErr;
    if (ok) {
        memcpy(ctx->session_id, sid, sidlen);
        ctx->sid_len = (uint8_t)sidlen;
    }
    ctx_free(ctx, &blob);
    return ok;
}

static SSLBuffer session_key(SSLContext *ctx)
{
    SSLBuffer k = {0, NULL};
    if (ctx->side == SSL_ClientSide)
        k = ctx->peer_id;
    else if (ctx->peer_id.data && ctx->sid_len) {
        k.data = ctx->session_id;
        k.length = ctx->sid_len;
    }
    return k;
}

void session_store(SSLContext *ctx)
{
    SSLBuffer key = session_key(ctx), blob;
    if (!key.data || !ctx->add_session_fn || !ctx->sid_len || !ctx->suite)
        return;
    if (session_encode(ctx, &blob) != SSLNoErr)
        return;
    (void)ctx->add_session_fn(key, blob, ctx->session_ref); /* errors are ignored (spec) */
    ctx_free(ctx, &blob);
}

void session_forget(SSLContext *ctx)
{
    SSLBuffer key = session_key(ctx);
    if (!key.data || !ctx->delete_session_fn)
        return;
    if (ctx->side == SSL_ServerSide && !ctx->hs_done && !ctx->resumed)
        return; /* nothing was stored under a session ID that never completed */
    (void)ctx->delete_session_fn(key, ctx->session_ref);
}

void session_release(SSLContext *ctx)
{
    ctx_free(ctx, &ctx->cached_session);
}

/*
 * session.c - resumable sessions through the user's callbacks, and the blob they store.
 * Blob (format 2): "SR" 0x02 | version u16 | suite u16 | sid_len u8 | sid | master_len u8 | master |
 * key_arg_len u8 | key_arg | created u32 | ncerts u8 | ncerts x (u24 len | DER). SSL 2.0 sessions
 * (version 0x0002) store the kind's 16-bit id (cryptype.h SSL2_SUITE_...) as the suite. It holds a master secret: callers wipe it.
 * Decoding trusts nothing: every length is bounded by the reader and checked against the limits.
 */
#include "handshake/session.h"
#include "base/buf.h"
#include "handshake/ssl2.h"
#include <string.h>

#define BLOB_MAGIC0 'S'
#define BLOB_MAGIC1 'R'
#define BLOB_FORMAT 2

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
    struct rd m = rd_sub8(&r);
    v->master_len = (uint32_t)rd_left(&m);
    v->master = rd_bytes(&m, v->master_len);
    struct rd ka = rd_sub8(&r);
    v->key_arg_len = (uint32_t)rd_left(&ka);
    v->key_arg = rd_bytes(&ka, v->key_arg_len);
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
    if (!rd_done(&r) || v->sid_len == 0 || v->sid_len > SSL3_SID_MAX)
        return SSLSessionNotFoundErr;
    if (v->version == 0x0300 && suite_find(v->suite) && v->master_len == SSL3_MASTER_LEN &&
        v->key_arg_len == 0)
        return SSLNoErr;
    const struct ssl2_kind *k = ssl2_kind_by_suite(v->suite);
    if (v->version == 0x0002 && k && v->master_len == k->key_len && v->key_arg_len == k->iv_len &&
        v->sid_len == SSL2_SID_LEN)
        return SSLNoErr;
    return SSLSessionNotFoundErr;
}

SSLErr session_encode(SSLContext *ctx, SSLBuffer *out)
{
    int v2 = ctx->negotiated == SSL_Version_2_0;
    uint32_t mlen = v2 ? ctx->master_len : SSL3_MASTER_LEN, klen = v2 ? ctx->key_arg_len : 0;
    uint32_t need = 3 + 2 + 2 + 1 + ctx->sid_len + 1 + mlen + 1 + klen + 4 + 1;
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
    wr_u16(&w, v2 ? 0x0002 : 0x0300);
    wr_u16(&w, v2 ? ctx->kind2->suite : ctx->suite->id);
    wr_u8(&w, ctx->sid_len);
    wr_bytes(&w, ctx->session_id, ctx->sid_len);
    wr_u8(&w, (uint8_t)mlen);
    wr_bytes(&w, ctx->master, mlen);
    wr_u8(&w, (uint8_t)klen);
    wr_bytes(&w, ctx->key_arg, klen);
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
static int fetch(SSLContext *ctx, SSLBuffer key, SSLBuffer *blob, struct session_view *v,
                 uint16_t version)
{
    blob->data = NULL;
    blob->length = 0;
    if (!ctx->get_session_fn)
        return 0;
    SSLErr e = ctx->get_session_fn(key, blob, ctx->session_ref);
    if (e != SSLNoErr || !blob->data || session_decode(blob->data, blob->length, v) != SSLNoErr ||
        !enabled(ctx, v->suite) || (version && v->version != version)) {
        ctx_free(ctx, blob);
        return 0;
    }
    return 1;
}

static SSLErr load_view(SSLContext *ctx, const struct session_view *v)
{
    memcpy(ctx->master, v->master, v->master_len);
    if (v->version == 0x0002) {
        ctx->kind2 = ssl2_kind_by_suite(v->suite);
        ctx->master_len = (uint8_t)v->master_len;
        ctx->key_arg_len = (uint8_t)v->key_arg_len;
        memcpy(ctx->key_arg, v->key_arg, v->key_arg_len);
    } else {
        ctx->suite = suite_find(v->suite);
    }
    certlist_free(ctx, &ctx->peer_chain);
    for (uint32_t i = 0; i < v->ncerts; i++)
        SSL_TRY(certlist_add(ctx, &ctx->peer_chain, v->cert[i], v->cert_len[i], 0));
    return SSLNoErr;
}

uint16_t session_client_lookup(SSLContext *ctx)
{
    struct session_view v;
    ctx->offered_sid_len = 0;
    ctx->offered_version = 0;
    session_release(ctx);
    if (!ctx->peer_id.data || !fetch(ctx, ctx->peer_id, &ctx->cached_session, &v, 0))
        return 0;
    ctx->offered_sid_len = (uint8_t)v.sid_len;
    memcpy(ctx->offered_sid, v.sid, v.sid_len);
    ctx->offered_suite = v.suite;
    ctx->offered_version = v.version;
    return v.version;
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
    if (!fetch(ctx, key, &blob, &v, 0x0300))
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

int session_server_lookup2(SSLContext *ctx, const uint8_t *sid, uint32_t sidlen,
                           const uint8_t *offered, uint32_t n)
{
    if (!ctx->peer_id.data)
        return 0;
    SSLBuffer key = {sidlen, (uint8_t *)sid}, blob;
    struct session_view v;
    if (!fetch(ctx, key, &blob, &v, 0x0002))
        return 0;
    const struct ssl2_kind *k = ssl2_kind_by_suite(v.suite);
    int ok = v.sid_len == sidlen && memcmp(v.sid, sid, sidlen) == 0;
    int in_offer = 0;
    for (uint32_t i = 0; i < n; i++)
        in_offer |= k && ssl2_kind_id(offered + 3 * i) == k->id;
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
    ctx->sess_stored = 1;
    if (!key.data || !ctx->add_session_fn || !ctx->sid_len || !(ctx->suite || ctx->kind2))
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
    if (ctx->side == SSL_ServerSide && !ctx->sess_stored && !ctx->resumed)
        return; /* nothing was stored under a session ID that never completed */
    (void)ctx->delete_session_fn(key, ctx->session_ref);
}

void session_release(SSLContext *ctx)
{
    ctx_free(ctx, &ctx->cached_session);
}

/*
 * session.c - resumable sessions through the user's callbacks, and the blob they store.
 * Blob (format 5): "SR" 0x05 | version u16 | suite u16 | sid_len u8 | sid | master_len u8 | master |
 * key_arg_len u8 | key_arg | created u32 | role u8 | auth u8 | ems u8 | group u16 | cert_type u8 |
 * bind_len u8 | bind | ticket_len u16 | ticket | ncerts u8 | ncerts x (u24 len | DER). A client's
 * entry carries the server's last RFC 5077 ticket (ticket.c), a server's none. group: the key exchange's group (0 for
 * none or a custom DH group); cert_type: the server certificate's key (enum key_kind: 0 none, 1 RSA,
 * 2 DSA, 3 EC), which must be the one the suite uses; a server resumes it only while it still holds
 * an identity of that kind. Older formats decode as misses (a full handshake). SSL 2.0 sessions (version 0x0002) store the kind's 16-bit id (cryptype.h
 * SSL2_SUITE_...) as the suite; the others their wire version (SSL 3.0 to TLS 1.2) and whether the
 * extended master secret made the master (RFC 7627: a session resumes only with the same state). role/auth/bind say where the session is valid: the side that made it
 * (0 client, 1 server), the server's client-certificate policy (client: 0), and SHA-256 of the
 * session context or of the local chain (session_binding). It holds a master secret: callers wipe it.
 * Decoding trusts nothing: every length is bounded by the reader and checked against the limits; a
 * blob that decodes but was made elsewhere, or is older than the lifetime, is not resumed.
 * Cache keys are the spec's (client: peer ID; server: session ID) behind one role byte (sslx.h).
 */
#include "handshake/session.h"
#include "base/buf.h"
#include "handshake/ssl2.h"
#include <string.h>

#define BLOB_MAGIC0 'S'
#define BLOB_MAGIC1 'R'
#define BLOB_FORMAT 5
#define CLOCK_SKEW 60     /* seconds a blob's creation time may lie in the future */
#define KEY_STACK 128     /* cache keys up to this long are built on the stack */

uint8_t session_cert_type(const struct suite *s)
{
    switch (s->kx) {
    case KX_DH_ANON: return KEY_NONE;
    case KX_DHE_DSS: return KEY_DSA;
    case KX_ECDHE_ECDSA: return KEY_EC;
    default: return KEY_RSA;
    }
}

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
    v->role = rd_u8(&r);
    v->auth = rd_u8(&r);
    v->ems = rd_u8(&r);
    v->group = rd_u16(&r);
    v->cert_type = rd_u8(&r);
    struct rd bind = rd_sub8(&r);
    v->bind_len = (uint32_t)rd_left(&bind);
    v->bind = rd_bytes(&bind, v->bind_len);
    struct rd t = rd_sub16(&r);
    v->ticket_len = (uint32_t)rd_left(&t);
    v->ticket = rd_bytes(&t, v->ticket_len);
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
    if (!rd_done(&r) || v->sid_len == 0 || v->sid_len > SSL3_SID_MAX || v->role > 1 ||
        v->auth > 1 || v->ems > 1 || v->bind_len != SESSION_BIND_LEN ||
        (v->ticket_len && (v->role != 0 || v->version < V_TLS10 || v->version > V_TLS12)))
        return SSLSessionNotFoundErr;
    const struct suite *s = suite_find(v->suite);
    if (v->version >= V_SSL3 && v->version <= V_TLS12 && s && s->min_ver <= v->version &&
        s->max_ver >= v->version && v->master_len == SSL3_MASTER_LEN && v->key_arg_len == 0 &&
        (v->version > V_SSL3 || !v->ems) && v->cert_type == session_cert_type(s))
        return SSLNoErr;
    const struct ssl2_kind *k = ssl2_kind_by_suite(v->suite);
    if (v->version == 0x0002 && k && v->master_len == k->key_len && v->key_arg_len == k->iv_len &&
        v->sid_len == SSL2_SID_LEN && v->group == 0 && v->cert_type == KEY_RSA)
        return SSLNoErr;
    return SSLSessionNotFoundErr;
}

/* What a session is bound to on this context: SHA-256 of the application's session context
 * (SSLXSetSessionContext) if it set one, else of the local certificate chain (each certificate
 * as u24 length | DER), each input tagged so the two can never be equal. */
static void binding_compute(const SSLContext *ctx, uint8_t out[SESSION_BIND_LEN])
{
    struct cry_hash h;
    cry_hash_init(&h, CRY_SHA256);
    if (ctx->session_ctx_len) {
        uint8_t tag[2] = {'A', ctx->session_ctx_len};
        cry_hash_update(&h, tag, sizeof tag);
        cry_hash_update(&h, ctx->session_ctx, ctx->session_ctx_len);
    } else { /* the RSA/DSA identity's chain, then the EC one's, whichever slot holds it now */
        const struct certlist *l[2] = {&ctx->local_chain, &ctx->chain2};
        if (ctx->key2 && ctx_key_kind(ctx->key) == KEY_EC) {
            l[0] = &ctx->chain2;
            l[1] = &ctx->local_chain;
        }
        for (int j = 0; j < 2; j++) {
            cry_hash_update(&h, j ? "E" : "C", 1);
            for (uint32_t i = 0; i < l[j]->n; i++) {
                uint32_t n = l[j]->certs[i].length;
                uint8_t len[3] = {(uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
                cry_hash_update(&h, len, sizeof len);
                cry_hash_update(&h, l[j]->certs[i].data, n);
            }
        }
    }
    cry_hash_final(&h, out);
}

_Static_assert(sizeof ((SSLContext *)0)->bind == SESSION_BIND_LEN, "SSLContext.bind");

void session_bind_update(SSLContext *ctx)
{
    binding_compute(ctx, ctx->bind);
    ctx->bind_ok = 1;
}

/* The binding, from the context's copy when it is still valid (a resumption then hashes no chain). */
static void session_binding(const SSLContext *ctx, uint8_t out[SESSION_BIND_LEN])
{
    if (ctx->bind_ok)
        memcpy(out, ctx->bind, SESSION_BIND_LEN);
    else
        binding_compute(ctx, out);
}

static uint8_t side_role(const SSLContext *ctx) { return ctx->side == SSL_ServerSide; }
static uint8_t auth_policy(const SSLContext *ctx)
{
    return ctx->side == SSL_ServerSide && ctx->request_client_cert;
}

SSLErr session_encode(SSLContext *ctx, SSLBuffer *out)
{
    int v2 = ctx->negotiated == SSL_Version_2_0;
    uint32_t mlen = v2 ? ctx->master_len : SSL3_MASTER_LEN, klen = v2 ? ctx->key_arg_len : 0;
    uint32_t tlen = !v2 && ctx->side == SSL_ClientSide ? ctx->new_ticket.length : 0;
    uint32_t need = 3 + 2 + 2 + 1 + ctx->sid_len + 1 + mlen + 1 + klen + 4 + 4 + 3 +
                    SESSION_BIND_LEN + 2 + tlen + 1;
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
    wr_u16(&w, v2 ? V_SSL2 : ctx->ver);
    wr_u16(&w, v2 ? ctx->kind2->suite : ctx->suite->id);
    wr_u8(&w, ctx->sid_len);
    wr_bytes(&w, ctx->session_id, ctx->sid_len);
    wr_u8(&w, (uint8_t)mlen);
    wr_bytes(&w, ctx->master, mlen);
    wr_u8(&w, (uint8_t)klen);
    wr_bytes(&w, ctx->key_arg, klen);
    wr_u32(&w, ctx->sess_created ? ctx->sess_created : now); /* a renewed session keeps its age */
    wr_u8(&w, side_role(ctx));
    wr_u8(&w, auth_policy(ctx));
    wr_u8(&w, !v2 && ctx->ems);
    wr_u16(&w, v2 ? 0 : ctx->group);
    wr_u8(&w, v2 ? KEY_RSA : session_cert_type(ctx->suite));
    uint8_t bind[SESSION_BIND_LEN];
    session_binding(ctx, bind);
    wr_u8(&w, SESSION_BIND_LEN);
    wr_bytes(&w, bind, SESSION_BIND_LEN);
    size_t tm = wr_open(&w, 2);
    wr_bytes(&w, ctx->new_ticket.data, tlen);
    wr_close(&w, tm, 2);
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

/* A decoded blob is resumed here only if this side, with this policy and this session context or
 * chain, made it, and within the lifetime by the context's clock (RFC 6101 §5.6.1.3 leaves the
 * upper limit to the implementation and suggests 24 hours). */
static int valid_here(SSLContext *ctx, const struct session_view *v)
{
    uint8_t bind[SESSION_BIND_LEN];
    uint32_t now;
    if (v->role != side_role(ctx) || v->auth != auth_policy(ctx))
        return 0;
    session_binding(ctx, bind);
    if (memcmp(bind, v->bind, SESSION_BIND_LEN) != 0)
        return 0;
    if (ctx_time(ctx, &now) != SSLNoErr) /* no clock, no proof the session is young enough */
        return 0;
    int64_t age = (int64_t)now - (int64_t)v->created;
    return age >= -CLOCK_SKEW && age <= (int64_t)ctx->session_lifetime;
}

/* The cache key for @raw: the role byte, then the spec's key. Keys longer than KEY_STACK take an
 * allocation (released by key_done); 0 if there is none to make. */
static int key_make(SSLContext *ctx, SSLBuffer raw, uint8_t *stack, SSLBuffer *key)
{
    key->data = NULL;
    key->length = 0;
    if (!raw.data || raw.length > UINT32_MAX - 1)
        return 0;
    if (raw.length <= KEY_STACK) {
        key->data = stack;
        key->length = raw.length + 1;
    } else if (ctx_alloc(ctx, key, raw.length + 1) != SSLNoErr) {
        return 0;
    }
    key->data[0] = side_role(ctx) ? SSLX_SESSION_KEY_SERVER : SSLX_SESSION_KEY_CLIENT;
    if (raw.length)
        memcpy(key->data + 1, raw.data, raw.length);
    return 1;
}

static void key_done(SSLContext *ctx, SSLBuffer *key, const uint8_t *stack)
{
    if (key->data && key->data != stack)
        ctx_free(ctx, key);
}

/* A blob that decodes, with a suite enabled here, of @version (0: any), made here. */
static int usable(SSLContext *ctx, const SSLBuffer *blob, struct session_view *v, uint16_t version)
{
    return session_decode(blob->data, blob->length, v) == SSLNoErr && enabled(ctx, v->suite) &&
           (!version || v->version == version) && valid_here(ctx, v);
}

/* Fetch and validate an entry; on success *blob holds it (free with ctx_free). */
static int fetch(SSLContext *ctx, SSLBuffer raw, SSLBuffer *blob, struct session_view *v,
                 uint16_t version)
{
    uint8_t stack[KEY_STACK + 1];
    SSLBuffer key;
    blob->data = NULL;
    blob->length = 0;
    if (!ctx->get_session_fn || !key_make(ctx, raw, stack, &key))
        return 0;
    SSLErr e = ctx->get_session_fn(key, blob, ctx->session_ref);
    key_done(ctx, &key, stack);
    if (e != SSLNoErr || !blob->data || !usable(ctx, blob, v, version)) {
        ctx_free(ctx, blob);
        return 0;
    }
    return 1;
}

/* Load a validated view into the connection. On failure nothing of it stays: no peer chain (it
 * would be reported as this connection's peer), no master secret. */
static SSLErr load_view(SSLContext *ctx, const struct session_view *v)
{
    certlist_free(ctx, &ctx->peer_chain);
    for (uint32_t i = 0; i < v->ncerts; i++) {
        SSLErr e = certlist_add(ctx, &ctx->peer_chain, v->cert[i], v->cert_len[i], 0);
        if (e != SSLNoErr) {
            certlist_free(ctx, &ctx->peer_chain);
            return e;
        }
    }
    memcpy(ctx->master, v->master, v->master_len);
    if (v->version == 0x0002) {
        ctx->kind2 = ssl2_kind_by_suite(v->suite);
        ctx->master_len = (uint8_t)v->master_len;
        ctx->key_arg_len = (uint8_t)v->key_arg_len;
        memcpy(ctx->key_arg, v->key_arg, v->key_arg_len);
    } else {
        ctx->suite = suite_find(v->suite);
        ctx->group = v->group;
    }
    ctx->sess_created = v->created;
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
    ctx->offered_ticket = v.ticket_len && ctx->tickets_enabled ? v.ticket : NULL;
    ctx->offered_ticket_len = ctx->offered_ticket ? v.ticket_len : 0;
    ctx->offered_suite = v.suite;
    ctx->offered_version = v.version;
    ctx->offered_ems = v.ems;
    return v.version;
}

SSLErr session_client_resume(SSLContext *ctx)
{
    struct session_view v;
    SSLErr e = SSLUnknownErr;
    if (ctx->cached_session.data)
        e = session_decode(ctx->cached_session.data, ctx->cached_session.length, &v);
    if (e == SSLNoErr)
        e = load_view(ctx, &v);
    if (e != SSLNoErr)
        certlist_free(ctx, &ctx->peer_chain);
    return e;
}

/* Server, a blob from the cache or a ticket, already decoded into @v and usable here: resume it
 * if it is for this ID (cache) and its suite or kind is one the client offered; then it is loaded.
 * -1: the RFC 7627 §5.3 refusal. Any failure leaves no peer chain. */
static int server_take(SSLContext *ctx, const struct session_view *v, const uint8_t *sid,
                       uint32_t sidlen, uint16_t version, const uint8_t *offered, uint32_t n)
{
    /* RFC 7627 §5.3: a session made with (or without) the extended master secret resumes only
     * with the same; a client that offers an EMS session without the extension is refused (-1),
     * anything else is a full handshake. */
    int ok = !sid || (v->sid_len == sidlen && memcmp(v->sid, sid, sidlen) == 0);
    if (ok && version >= V_TLS10 && v->ems && !ctx->peer_ems) {
        certlist_free(ctx, &ctx->peer_chain);
        return -1;
    }
    ok = ok && (version == V_SSL2 || v->ems == (ctx->ems != 0));
    int in_offer = 0;
    const struct ssl2_kind *k = ssl2_kind_by_suite(v->suite);
    for (uint32_t i = 0; i < n; i++)
        in_offer |= version != V_SSL2 ? (offered[2 * i] << 8 | offered[2 * i + 1]) == v->suite
                                      : k && ssl2_kind_id(offered + 3 * i) == k->id;
    /* the server still holds a certificate of the session's kind (none for DH_anon) */
    ok = ok && (v->cert_type == KEY_NONE || ctx_use_identity(ctx, v->cert_type == KEY_EC));
    ok = ok && in_offer && load_view(ctx, v) == SSLNoErr;
    if (!ok)
        certlist_free(ctx, &ctx->peer_chain);
    return ok;
}

/* Server, both versions: the cache entry for @sid (session_server_take's rules); the session ID
 * is kept. */
static int server_lookup(SSLContext *ctx, const uint8_t *sid, uint32_t sidlen, uint16_t version,
                         const uint8_t *offered, uint32_t n)
{
    if (!ctx->peer_id.data)
        return 0;
    SSLBuffer raw = {sidlen, (uint8_t *)sid}, blob;
    struct session_view v;
    if (!fetch(ctx, raw, &blob, &v, version))
        return 0;
    int ok = server_take(ctx, &v, sid, sidlen, version, offered, n);
    if (ok > 0) {
        memcpy(ctx->session_id, sid, sidlen);
        ctx->sid_len = (uint8_t)sidlen;
        ctx->resumed_via = 1;
    }
    ctx_free(ctx, &blob);
    return ok;
}

int session_server_blob(SSLContext *ctx, const SSLBuffer *blob, const uint8_t *offered, uint32_t n)
{
    struct session_view v;
    if (!usable(ctx, blob, &v, ctx->ver) || v.role != 1)
        return 0;
    return server_take(ctx, &v, NULL, 0, ctx->ver, offered, n);
}

int session_server_lookup(SSLContext *ctx, const uint8_t *sid, uint32_t sidlen,
                          const uint8_t *offered, uint32_t n)
{
    return server_lookup(ctx, sid, sidlen, ctx->ver, offered, n); /* the version just chosen */
}

int session_server_lookup2(SSLContext *ctx, const uint8_t *sid, uint32_t sidlen,
                           const uint8_t *offered, uint32_t n)
{
    return server_lookup(ctx, sid, sidlen, 0x0002, offered, n);
}

/* The spec's key for this connection: the client's peer ID, the server's session ID. */
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
    uint8_t stack[KEY_STACK + 1];
    SSLBuffer key, blob;
    ctx->sess_stored = 1;
    if (!ctx->add_session_fn || !ctx->sid_len || !(ctx->suite || ctx->kind2))
        return;
    if (!key_make(ctx, session_key(ctx), stack, &key))
        return;
    if (session_encode(ctx, &blob) == SSLNoErr) { /* a client's with its ticket, if any */
        (void)ctx->add_session_fn(key, blob, ctx->session_ref); /* errors are ignored (spec) */
        ctx_free(ctx, &blob);
    }
    key_done(ctx, &key, stack);
}

void session_forget(SSLContext *ctx)
{
    uint8_t stack[KEY_STACK + 1];
    SSLBuffer key;
    if (!ctx->delete_session_fn)
        return;
    if (ctx->side == SSL_ServerSide && !ctx->sess_stored && !ctx->resumed)
        return; /* nothing was stored under a session ID that never completed */
    if (!key_make(ctx, session_key(ctx), stack, &key))
        return;
    (void)ctx->delete_session_fn(key, ctx->session_ref);
    key_done(ctx, &key, stack);
}

void session_release(SSLContext *ctx)
{
    ctx_free(ctx, &ctx->cached_session);
}

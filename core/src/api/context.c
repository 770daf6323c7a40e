/*
 * context.c - SSLContext life cycle (init, delete, duplicate), configuration setters and status
 * getters. The internal memory/random/time services are in state/ctx.c; protocol work elsewhere.
 * Invariant: every buffer in a context comes from its Alloc callback and goes back through Free,
 * wiped first; a context that failed half-way through SSLDuplicateContext is still deletable.
 */
#include "state/ctx.h"
#include "record/alert.h"
#include "handshake/session.h"
#include "handshake/ssl2.h"
#include "crypto/ffdhe.h"
#include "crypto/ecdh.h"
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <errno.h>

/* ---- default platform callbacks ---- */

static SSLErr def_alloc(SSLBuffer *b, void *ref)
{
    (void)ref;
    b->data = b->length ? malloc(b->length) : malloc(1);
    return b->data ? SSLNoErr : SSLMemoryErr;
}

static SSLErr def_free(SSLBuffer *b, void *ref)
{
    (void)ref;
    free(b->data);
    b->data = NULL;
    return SSLNoErr;
}

static SSLErr def_realloc(SSLBuffer *b, uint32 n, void *ref)
{
    (void)ref;
    uint8 *p = realloc(b->data, n ? n : 1);
    if (!p)
        return SSLMemoryErr;
    b->data = p;
    b->length = n;
    return SSLNoErr;
}

static SSLErr def_random(SSLBuffer b, void *ref)
{
    (void)ref;
    uint32 done = 0;
    while (done < b.length) {
        ssize_t n = getrandom(b.data + done, b.length - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return SSLUnknownErr;
        }
        done += (uint32)n;
    }
    return SSLNoErr;
}

static SSLErr def_time(uint32 *t, void *ref)
{
    (void)ref;
    *t = (uint32)time(NULL);
    return SSLNoErr;
}

static SSLErr def_convert_time(uint32 *t, void *ref)
{
    (void)ref; /* mktime() values are already seconds since the epoch on POSIX */
    (void)t;
    return SSLNoErr;
}

static void set_default_suites(SSLContext *ctx)
{
    uint32_t n;
    const struct suite *all = suite_all(&n);
    ctx->nsuites = 0;
    for (uint32_t i = 0; i < n && ctx->nsuites < SUITES_MAX; i++)
        if (all[i].default_on)
            ctx->suites[ctx->nsuites++] = all[i].id;
    /* No SSL 2.0 kind by default (docs/suites.md "Defaults"): an application enables them with
     * SSLXSetCipherSuites, which keeps every version outcome of the 2.0/3.0 table. */
}

static void init_connection(SSLContext *ctx)
{
    ctx->peer_id.data = NULL;
    ctx->peer_id.length = 0;
    ctx->sticky = SSLNoErr;
    ctx->alert_pending = -1;
    ctx->hs_step = -1;
    ctx->hs2_step = -1;
    ctx->negotiated = ctx->version_set;
}

/* ---- creation and deletion ---- */

uint32 SSLContextSize(void) { return (uint32)sizeof(SSLContext); }

SSLErr SSLInitContext(SSLContext *ctx)
{
    if (!ctx)
        return SSLBadParameterErr;
    memset(ctx, 0, sizeof *ctx);
    ctx->magic = CTX_MAGIC;
    ctx->side = SSL_ClientSide;
    ctx->version_set = SSL_Version_Undetermined;
    ctx->version_mode = SSL_Version_3_0_Only; /* the default range is TLS 1.0 .. 1.2 */
    ctx->ver_min = V_TLS10;
    ctx->ver_max = V_TLS12;
    ctx->ems_enabled = 1;
    ctx->alloc_fn = def_alloc;
    ctx->free_fn = def_free;
    ctx->realloc_fn = def_realloc;
    ctx->time_fn = def_time;
    ctx->convert_time_fn = def_convert_time;
    ctx->random_fn = def_random;
    ctx->cbc_split = 1;
    ctx->prefer_chacha = -1;
    ctx->tickets_enabled = 1;
    ctx->session_lifetime = SSLX_DEFAULT_SESSION_LIFETIME;
    static const uint16_t ec[] = {SSLX_GROUP_X25519, SSLX_GROUP_SECP256R1, SSLX_GROUP_SECP384R1};
    for (size_t i = 0; i < sizeof ec / sizeof ec[0]; i++) /* RFC 8422 curves, then RFC 7919 */
        if (cry_ecdh_supported(ec[i]))
            ctx->groups[ctx->ngroups++] = ec[i];
    for (size_t i = 0; i < FFDHE_NBUILTIN; i++) /* cheapest first */
        ctx->groups[ctx->ngroups++] = ffdhe_groups[i].id;
    set_default_suites(ctx);
    init_connection(ctx);
    SSLErr e = cry_init();
    if (e != SSLNoErr)
        ctx->sticky = e;
    return SSLNoErr;
}

SSLErr SSLDeleteContext(SSLContext *ctx)
{
    if (!ctx || ctx->magic != CTX_MAGIC)
        return SSLBadParameterErr;
    ctx_reset_connection(ctx);
    certlist_free(ctx, &ctx->local_chain);
    certlist_free(ctx, &ctx->chain2);
    certlist_free(ctx, &ctx->dns);
    ctx_free(ctx, &ctx->peer_id);
    cry_rsa_key_release(ctx->key);
    cry_rsa_key_release(ctx->key2);
    cry_rsa_key_release(ctx->export_key);
    SSLXDHParamsFree(ctx->dh_params);
    ctx->key = ctx->export_key = ctx->key2 = NULL;
    ctx->dh_params = NULL;
    cry_wipe(ctx, sizeof *ctx);
    return SSLNoErr;
}

SSLErr SSLDuplicateContext(SSLContext *src, SSLContext *dest, void *ioRef)
{
    if (!src || !dest || src->magic != CTX_MAGIC || src == dest)
        return SSLBadParameterErr;
    memcpy(dest, src, offsetof(SSLContext, peer_id));
    certlist_share(&dest->local_chain, &src->local_chain); /* read-only blocks: shared, not copied */
    certlist_share(&dest->chain2, &src->chain2);
    certlist_share(&dest->dns, &src->dns);
    /* src's session binding (copied above) holds while dest has the same chains (a list that is
     * not a shared block is not shared: dest's is empty then, and its binding is computed) */
    dest->bind_ok = src->bind_ok && dest->local_chain.n == src->local_chain.n &&
                    dest->chain2.n == src->chain2.n;
    memset((uint8_t *)dest + offsetof(SSLContext, peer_id), 0,
           sizeof *dest - offsetof(SSLContext, peer_id));
    init_connection(dest);
    dest->io_ref = ioRef;
    if (dest->key)
        cry_rsa_key_retain(dest->key);
    if (dest->export_key)
        cry_rsa_key_retain(dest->export_key);
    if (dest->key2)
        cry_rsa_key_retain(dest->key2);
    if (dest->dh_params)
        SSLXDHParamsRetain(dest->dh_params);
    return SSLNoErr;
}

SSLErr SSLXNewContext(SSLContext **out)
{
    if (!out)
        return SSLBadParameterErr;
    *out = malloc(sizeof(SSLContext));
    if (!*out)
        return SSLMemoryErr;
    return SSLInitContext(*out);
}

void SSLXFreeContext(SSLContext *ctx)
{
    if (!ctx)
        return;
    SSLDeleteContext(ctx);
    free(ctx);
}

/* ---- configuration ---- */

#define CHECK_CTX(ctx)                                                                         \
    do {                                                                                       \
        if (!(ctx) || (ctx)->magic != CTX_MAGIC)                                               \
            return SSLBadParameterErr;                                                         \
    } while (0)
#define SETTER(fname, type, field)                                                             \
    SSLErr fname(SSLContext *ctx, type v)                                                      \
    {                                                                                          \
        CHECK_CTX(ctx);                                                                        \
        ctx->field = v;                                                                        \
        return SSLNoErr;                                                                       \
    }

SETTER(SSLSetProtocolSide, SSLProtocolSide, side)
SETTER(SSLSetRequestClientCert, int, request_client_cert)
SETTER(SSLSetAllocFunc, SSLAllocFunc, alloc_fn)
SETTER(SSLSetFreeFunc, SSLFreeFunc, free_fn)
SETTER(SSLSetReallocFunc, SSLReallocFunc, realloc_fn)
SETTER(SSLSetAllocRef, void *, alloc_ref)
SETTER(SSLSetTimeFunc, SSLTimeFunc, time_fn)
SETTER(SSLSetConvertTimeFunc, SSLConvertTimeFunc, convert_time_fn)
SETTER(SSLSetTimeRef, void *, time_ref)
SETTER(SSLSetRandomFunc, SSLRandomFunc, random_fn)
SETTER(SSLSetRandomRef, void *, random_ref)
SETTER(SSLSetReadFunc, SSLIOFunc, read_fn)
SETTER(SSLSetWriteFunc, SSLIOFunc, write_fn)
SETTER(SSLSetIORef, void *, io_ref)
SETTER(SSLSetAddSessionFunc, SSLAddSessionFunc, add_session_fn)
SETTER(SSLSetGetSessionFunc, SSLGetSessionFunc, get_session_fn)
SETTER(SSLSetDeleteSessionFunc, SSLDeleteSessionFunc, delete_session_fn)
SETTER(SSLSetSessionRef, void *, session_ref)
SETTER(SSLSetCheckCertificateFunc, SSLCheckCertificateFunc, check_cert_fn)
SETTER(SSLSetCheckCertificateRef, void *, check_cert_ref)

SSLErr SSLSetProtocolVersion(SSLContext *ctx, SSLProtocolVersion version)
{
    CHECK_CTX(ctx);
    if (version > SSL_Version_2_0)
        return SSLBadParameterErr;
    ctx->version_set = ctx->version_mode = version;
    ctx->ver_min = ctx->ver_max = V_SSL3; /* the seed's values keep their SSL 3.0 meaning */
    if (ctx->hs_step < 0)
        ctx->negotiated = version;
    return SSLNoErr;
}

static const uint16_t proto_wire[] = {[kSSLProtocol2] = V_SSL2, [kSSLProtocol3] = V_SSL3,
                                      [kTLSProtocol1] = V_TLS10, [kTLSProtocol11] = V_TLS11,
                                      [kTLSProtocol12] = V_TLS12};

SSLErr SSLXSetProtocolVersionRange(SSLContext *ctx, SSLXProtocol min, SSLXProtocol max)
{
    CHECK_CTX(ctx);
    if (min < kSSLProtocol2 || max > kTLSProtocol12 || min > max)
        return SSLBadParameterErr;
    SSLProtocolVersion mode = min == kSSLProtocol2 ? (max == kSSLProtocol2 ? SSL_Version_2_0
                                                                           : SSL_Version_Undetermined)
                                                   : SSL_Version_3_0_Only;
    ctx->version_set = ctx->version_mode = mode;
    ctx->ver_min = min == kSSLProtocol2 ? V_SSL3 : proto_wire[min];
    ctx->ver_max = max == kSSLProtocol2 ? V_SSL3 : proto_wire[max];
    if (ctx->hs_step < 0)
        ctx->negotiated = mode;
    return SSLNoErr;
}

SSLErr SSLXGetNegotiatedProtocolVersion(SSLContext *ctx, SSLXProtocol *version)
{
    CHECK_CTX(ctx);
    if (!version)
        return SSLBadParameterErr;
    *version = kSSLProtocolUnknown;
    for (int p = kSSLProtocol2; p <= kTLSProtocol12; p++)
        if (ctx->ver && proto_wire[p] == ctx->ver)
            *version = (SSLXProtocol)p;
    if (ctx->negotiated == SSL_Version_2_0 && ctx->hs_step >= 0 && (ctx->kind2 || ctx->hs_done))
        *version = kSSLProtocol2;
    return SSLNoErr;
}

SSLErr SSLXSetExtendedMasterSecret(SSLContext *ctx, int enable)
{
    CHECK_CTX(ctx);
    ctx->ems_enabled = enable != 0;
    return SSLNoErr;
}

SSLErr SSLXGetExtendedMasterSecret(SSLContext *ctx, int *on)
{
    CHECK_CTX(ctx);
    if (!on)
        return SSLBadParameterErr;
    *on = ctx->ems && ctx->peer_ems;
    return SSLNoErr;
}

SSLErr SSLXSetFallback(SSLContext *ctx, int enable)
{
    CHECK_CTX(ctx);
    ctx->send_fallback_scsv = enable != 0;
    return SSLNoErr;
}

static SSLErr copy_out(const char *src, size_t n, char *out, size_t cap)
{
    if (!out || cap == 0)
        return SSLBadParameterErr;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, src, n);
    out[n] = 0;
    return SSLNoErr;
}

SSLErr SSLXSetServerName(SSLContext *ctx, const char *name)
{
    CHECK_CTX(ctx);
    size_t n = name ? strlen(name) : 0;
    if (n >= sizeof ctx->server_name)
        return SSLBadParameterErr;
    memcpy(ctx->server_name, name ? name : "", n + 1);
    return SSLNoErr;
}

SSLErr SSLXGetServerName(SSLContext *ctx, char *name, size_t cap)
{
    CHECK_CTX(ctx);
    return copy_out(ctx->sni, strlen(ctx->sni), name, cap);
}

SSLErr SSLXSetServerNameFunc(SSLContext *ctx, SSLXServerNameFunc fn, void *ref)
{
    CHECK_CTX(ctx);
    ctx->sni_fn = fn;
    ctx->sni_ref = ref;
    return SSLNoErr;
}

SSLErr SSLXSetALPN(SSLContext *ctx, const char *protocols)
{
    CHECK_CTX(ctx);
    uint8_t wire[sizeof ctx->alpn];
    size_t len = 0;
    const char *p = protocols ? protocols : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 || n > 255 || len + 1 + n > sizeof wire)
            return SSLBadParameterErr;
        wire[len++] = (uint8_t)n;
        memcpy(wire + len, p, n);
        len += n;
        p += n + (end ? 1 : 0);
        if (end && !*p)
            return SSLBadParameterErr; /* a trailing comma names an empty protocol */
    }
    memcpy(ctx->alpn, wire, len);
    ctx->alpn_len = (uint16_t)len;
    return SSLNoErr;
}

SSLErr SSLXGetALPN(SSLContext *ctx, char *protocol, size_t cap)
{
    CHECK_CTX(ctx);
    return copy_out((const char *)ctx->alpn_sel, ctx->alpn_sel_len, protocol, cap);
}

SSLErr SSLXSetGroups(SSLContext *ctx, const uint16 *groups, uint32 n)
{
    CHECK_CTX(ctx);
    if (n > SSLX_MAX_GROUPS || (n && !groups))
        return SSLBadParameterErr;
    for (uint32 i = 0; i < n; i++) {
        if ((groups[i] < SSLX_GROUP_FFDHE2048 || groups[i] > SSLX_GROUP_FFDHE8192) &&
            !cry_ecdh_supported(groups[i]))
            return SSLBadParameterErr; /* RFC 7919 groups and the EC groups built in */
        for (uint32 j = 0; j < i; j++)
            if (groups[j] == groups[i])
                return SSLBadParameterErr;
    }
    if (n)
        memcpy(ctx->groups, groups, n * sizeof *groups);
    ctx->ngroups = (uint8_t)n;
    return SSLNoErr;
}

SSLErr SSLXGetNegotiatedGroup(SSLContext *ctx, uint16 *group)
{
    CHECK_CTX(ctx);
    if (!group)
        return SSLBadParameterErr;
    *group = ctx->group; /* resumed: the session's, from the cache */
    return SSLNoErr;
}

SSLErr SSLSetPrivateKey(SSLContext *ctx, SSLRSAPrivateKey *k)
{
    CHECK_CTX(ctx);
    if (ctx->key != k)
        cry_rsa_key_release(ctx->key);
    ctx->key = k;
    session_bind_update(ctx); /* the binding orders the chains by key kind */
    return SSLNoErr;
}

SSLErr SSLXSetSessionTickets(SSLContext *ctx, int enable)
{
    CHECK_CTX(ctx);
    ctx->tickets_enabled = enable != 0;
    return SSLNoErr;
}

SSLErr SSLXSetTicketKeyFunc(SSLContext *ctx, SSLXTicketKeyFunc fn, void *ref)
{
    CHECK_CTX(ctx);
    ctx->ticket_fn = fn;
    ctx->ticket_ref = ref;
    return SSLNoErr;
}

SSLErr SSLXGetResumedVia(SSLContext *ctx, int *via)
{
    CHECK_CTX(ctx);
    if (!via)
        return SSLBadParameterErr;
    *via = ctx->resumed ? ctx->resumed_via : 0;
    return SSLNoErr;
}

SSLErr SSLXSetChaChaPreference(SSLContext *ctx, int mode)
{
    CHECK_CTX(ctx);
    if (mode < -1 || mode > 1)
        return SSLBadParameterErr;
    ctx->prefer_chacha = mode;
    return SSLNoErr;
}

SSLErr SSLSetExportPrivateKey(SSLContext *ctx, SSLRSAPrivateKey *k)
{
    CHECK_CTX(ctx);
    if (k && (ctx_key_kind(k) != KEY_RSA || cry_rsa_key_bits(k) > 512)) /* refused; caller keeps k */
        return SSLBadParameterErr;
    if (ctx->export_key != k)
        cry_rsa_key_release(ctx->export_key);
    ctx->export_key = k;
    return SSLNoErr;
}

SSLErr SSLSetDHAnonParams(SSLContext *ctx, SSLDHParams *p)
{
    CHECK_CTX(ctx);
    if (ctx->dh_params != p)
        SSLXDHParamsFree(ctx->dh_params);
    ctx->dh_params = p;
    return SSLNoErr;
}

SSLErr SSLSetPeerID(SSLContext *ctx, SSLBuffer peerID)
{
    CHECK_CTX(ctx);
    if (ctx->peer_id.data != peerID.data)
        ctx_free(ctx, &ctx->peer_id);
    ctx->peer_id = peerID;
    return SSLNoErr;
}

SSLErr SSLXSetCipherSuites(SSLContext *ctx, const uint16 *suites, uint32 count)
{
    CHECK_CTX(ctx);
    if ((!suites && count) || count > SUITES_MAX)
        return SSLBadParameterErr;
    for (uint32 i = 0; i < count; i++)
        if (!suite_find(suites[i]) && !ssl2_kind_by_suite(suites[i]))
            return SSLUnsupportedErr;
    for (uint32 i = 0; i < count; i++)
        ctx->suites[i] = suites[i];
    ctx->nsuites = count;
    return SSLNoErr;
}

SSLErr SSLXGetCipherSuites(SSLContext *ctx, uint16 *suites, uint32 *count)
{
    CHECK_CTX(ctx);
    if (!count)
        return SSLBadParameterErr;
    for (uint32 i = 0; i < ctx->nsuites && i < *count && suites; i++)
        suites[i] = ctx->suites[i];
    *count = ctx->nsuites;
    return SSLNoErr;
}

SSLErr SSLXSetCBCRecordSplitting(SSLContext *ctx, int enable)
{
    CHECK_CTX(ctx);
    ctx->cbc_split = enable != 0;
    return SSLNoErr;
}

SSLErr SSLXSetSessionLifetime(SSLContext *ctx, uint32 seconds)
{
    CHECK_CTX(ctx);
    if (seconds == 0)
        return SSLBadParameterErr;
    ctx->session_lifetime = seconds;
    return SSLNoErr;
}

SSLErr SSLXSetSessionContext(SSLContext *ctx, const uint8 *sessionContext, uint32 length)
{
    CHECK_CTX(ctx);
    if (length > SSLX_MAX_SESSION_CONTEXT || (length && !sessionContext))
        return SSLBadParameterErr;
    memset(ctx->session_ctx, 0, sizeof ctx->session_ctx);
    if (length)
        memcpy(ctx->session_ctx, sessionContext, length);
    ctx->session_ctx_len = (uint8_t)length;
    session_bind_update(ctx);
    return SSLNoErr;
}

SSLErr SSLXSetKeyLogFunc(SSLContext *ctx, SSLXKeyLogFunc fn, void *ref)
{
    CHECK_CTX(ctx);
    ctx->keylog_fn = fn;
    ctx->keylog_ref = ref;
    return SSLNoErr;
}

/* ---- status ---- */

SSLErr SSLGetProtocolVersion(SSLContext *ctx, SSLProtocolVersion *v)
{
    CHECK_CTX(ctx);
    if (!v)
        return SSLBadParameterErr;
    *v = ctx->negotiated;
    return SSLNoErr;
}

SSLErr SSLGetPeerCertificateChainLength(SSLContext *ctx, int *n)
{
    CHECK_CTX(ctx);
    if (!n)
        return SSLBadParameterErr;
    *n = (int)ctx->peer_chain.n;
    return SSLNoErr;
}

SSLErr SSLGetPeerCertificate(SSLContext *ctx, int index, SSLBuffer *der)
{
    CHECK_CTX(ctx);
    if (!der)
        return SSLBadParameterErr;
    der->data = NULL;
    der->length = 0;
    if (index < 0 || (uint32_t)index >= ctx->peer_chain.n)
        return SSLOverflowErr;
    const SSLBuffer *c = &ctx->peer_chain.certs[index];
    SSL_TRY(ctx_alloc(ctx, der, c->length));
    memcpy(der->data, c->data, c->length);
    return SSLNoErr;
}

SSLErr SSLGetNegotiatedCipher(SSLContext *ctx, uint16 *suite)
{
    CHECK_CTX(ctx);
    if (!suite)
        return SSLBadParameterErr;
    *suite = ctx->kind2 ? ctx->kind2->suite : ctx->suite ? ctx->suite->id : SSL_NULL_WITH_NULL_NULL;
    return SSLNoErr;
}

SSLErr SSLGetWritePendingSize(SSLContext *ctx, uint32 *n)
{
    CHECK_CTX(ctx);
    if (!n)
        return SSLBadParameterErr;
    *n = ctx->out_len - ctx->out_off;
    return SSLNoErr;
}

SSLErr SSLGetReadPendingSize(SSLContext *ctx, uint32 *n)
{
    CHECK_CTX(ctx);
    if (!n)
        return SSLBadParameterErr;
    *n = ctx->rec_type == CT_APPDATA ? ctx->rec_len : 0;
    return SSLNoErr;
}

SSLErr SSLXGetResumed(SSLContext *ctx, int *resumed)
{
    CHECK_CTX(ctx);
    if (!resumed)
        return SSLBadParameterErr;
    *resumed = ctx->resumed;
    return SSLNoErr;
}

SSLErr SSLXGetLastAlerts(SSLContext *ctx, uint16 *sent, uint16 *received)
{
    CHECK_CTX(ctx);
    if (sent)
        *sent = ctx->last_alert_sent;
    if (received)
        *received = ctx->last_alert_recv;
    return SSLNoErr;
}

SSLErr SSLXGetSessionID(SSLContext *ctx, uint8 *id, uint32 *len)
{
    CHECK_CTX(ctx);
    if (!len || (!id && *len))
        return SSLBadParameterErr;
    if (*len < ctx->sid_len)
        return SSLOverflowErr;
    memcpy(id, ctx->session_id, ctx->sid_len);
    *len = ctx->sid_len;
    return SSLNoErr;
}

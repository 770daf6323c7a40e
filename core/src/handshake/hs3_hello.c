/*
 * hs3_hello.c - ClientHello and ServerHello (RFC 6101 §5.6.1.2, §5.6.1.3): randoms, session IDs
 * and resumption, suite and compression choice. The server picks its own first enabled suite that
 * the client offers and that its keys can serve; data after the compression methods is ignored
 * (§5.6.1.2 allows it for forward compatibility) but hashed.
 */
#include "handshake/hs3.h"
#include "record/alert.h"
#include "handshake/session.h"
#include "handshake/hs_ext.h"
#include "handshake/hs_sig.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"
#include "crypto/gcm.h"
#include <string.h>

static SSLErr make_random(SSLContext *ctx, uint8_t out[32])
{
    uint32_t now;
    SSL_TRY(ctx_time(ctx, &now));
    struct wr w;
    wr_init(&w, out, 32);
    wr_u32(&w, now); /* gmt_unix_time */
    return ctx_random(ctx, out + 4, 28);
}

static int suite_enabled(const SSLContext *ctx, uint16_t id)
{
    for (uint32_t i = 0; i < ctx->nsuites; i++)
        if (ctx->suites[i] == id)
            return 1;
    return 0;
}

/* The server's key of a kind (enum key_kind) with its chain, from either of its identities;
 * NULL if it has none. */
static const SSLRSAPrivateKey *identity_key(const SSLContext *ctx, uint8_t kind)
{
    if (ctx->key && ctx->local_chain.n && ctx_key_kind(ctx->key) == kind)
        return ctx->key;
    if (ctx->key2 && ctx->chain2.n && ctx_key_kind(ctx->key2) == kind)
        return ctx->key2;
    return NULL;
}

/* A key that can sign this handshake's key exchange: in TLS 1.2 with a scheme the client accepts
 * (RFC 5246 §7.4.1.4.1); an EC key on a curve the client listed (RFC 8422 §5.1.1). */
static int can_sign(const SSLContext *ctx, const SSLRSAPrivateKey *k)
{
    uint16_t g = k ? cry_key_ec_group(k) : 0;
    if (!k || (g && ctx->peer_groups_sent && !(ctx->peer_ec & HS_EC_BIT(g))))
        return 0;
    return ctx->ver < V_TLS12 || hs_sig_choose(k, ctx->peer_sigalgs) != 0;
}

/* Whether this side's keys and certificates can serve suite s (server side); a DH suite also needs
 * a group (hs3_dh_group: *group, or *refused when the client's FFDHE groups ruled it out). */
static int suite_usable(const SSLContext *ctx, const struct suite *s, uint16_t *group, int *refused)
{
    const SSLRSAPrivateKey *rsa = identity_key(ctx, KEY_RSA);
    *group = 0;
    if (ctx->ver < s->min_ver || ctx->ver > s->max_ver) /* e.g. GCM only in TLS 1.2 */
        return 0;
    switch (s->kx) {
    case KX_RSA:
        return rsa != NULL;
    case KX_RSA_EXPORT: /* RFC 6101 §5.6.3: a longer key needs the temporary export key */
        return rsa && (cry_rsa_key_bits(rsa) <= 512 || ctx->export_key);
    case KX_DHE_RSA:
        return can_sign(ctx, rsa) && hs3_dh_group(ctx, s, group, refused);
    case KX_DHE_DSS:
        return identity_key(ctx, KEY_DSA) && hs3_dh_group(ctx, s, group, refused);
    case KX_DH_ANON:
        return hs3_dh_group(ctx, s, group, refused);
    case KX_ECDHE_RSA:
        return can_sign(ctx, rsa) && hs3_ec_group(ctx, group);
    case KX_ECDHE_ECDSA:
        return can_sign(ctx, identity_key(ctx, KEY_EC)) && hs3_ec_group(ctx, group);
    default:
        return 0;
    }
}

static int is_ecdhe(const struct suite *s)
{
    return s->kx == KX_ECDHE_RSA || s->kx == KX_ECDHE_ECDSA;
}

/* A suite this side may offer: enabled, implemented, and within the version range; ECDHE only
 * with a curve among the groups (SSLXSetGroups). */
static int suite_offerable(const SSLContext *ctx, const struct suite *s)
{
    if (!s || s->min_ver > ctx->ver_max || s->max_ver < ctx->ver_min)
        return 0;
    if (!is_ecdhe(s))
        return 1;
    for (uint32_t i = 0; i < ctx->ngroups; i++)
        if (cry_ecdh_supported(ctx->groups[i]))
            return 1;
    return 0;
}

SSLErr hs3_build_client_hello(SSLContext *ctx, struct wr *w)
{
    if (ctx->offered_version < ctx->ver_min || ctx->offered_version > ctx->ver_max)
        ctx->offered_sid_len = 0; /* the driver looked the cache up; SSL 2.0 entries don't fit */
    SSL_TRY(make_random(ctx, ctx->client_random));
    ctx->client_version = ctx->ver_max;
    ctx->rec_ver = ctx->ver_min == V_SSL3 ? V_SSL3 : V_TLS10; /* what servers expect to see */
    wr_u16(w, ctx->ver_max);
    wr_bytes(w, ctx->client_random, 32);
    size_t m = wr_open(w, 1);
    wr_bytes(w, ctx->offered_sid, ctx->offered_sid_len);
    wr_close(w, m, 1);
    m = wr_open(w, 2);
    ctx->ec_offered = 0;
    for (uint32_t i = 0; i < ctx->nsuites; i++) {
        const struct suite *s = suite_find(ctx->suites[i]);
        if (suite_offerable(ctx, s)) {
            wr_u16(w, ctx->suites[i]);
            ctx->ec_offered |= is_ecdhe(s) && ctx->ver_max >= V_TLS10;
        }
    }
    wr_u16(w, TLS_EMPTY_RENEGOTIATION_INFO_SCSV); /* RFC 5746 §3.3: we never renegotiate */
    if (ctx->send_fallback_scsv)
        wr_u16(w, TLS_FALLBACK_SCSV); /* RFC 7507 §4: last */
    wr_close(w, m, 2);
    wr_u8(w, 1); /* compression methods: null only */
    wr_u8(w, 0);
    ctx->ext_sent = ctx->ver_max >= V_TLS10;
    if (ctx->ext_sent)
        hs_ext_build_client(ctx, w);
    return SSLNoErr;
}

SSLErr hs3_parse_client_hello(SSLContext *ctx, struct rd *r)
{
    uint16_t version = rd_u16(r);
    rd_copy(r, ctx->client_random, 32);
    struct rd sid = rd_sub8(r);
    struct rd suites = rd_sub16(r);
    struct rd comp = rd_sub8(r);
    ctx->secure_reneg = 0;
    ctx->client_version = version; /* before the extensions: their alerts take its codes */
    if (rd_ok(r) && rd_left(r)) /* §5.6.1.2 allows trailing data; TLS made it extensions */
        SSL_TRY(hs_ext_parse_client(ctx, r));
    if (!rd_ok(r) || rd_left(&sid) > SSL3_SID_MAX || rd_left(&suites) < 2 || rd_left(&suites) % 2 ||
        rd_left(&comp) < 1)
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    if (version >> 8 != 3)
        return ctx_fail(ctx, AL_PROTOCOL_VERSION, SSLNegotiationErr);
    if (ctx->version_mode == SSL_Version_2_0) /* Version Handshaking Summary (c) */
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLProtocolErr);
    int null_comp = 0;
    while (rd_left(&comp))
        null_comp |= rd_u8(&comp) == 0;
    if (!null_comp)
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLNegotiationErr);
    uint32_t nsid = (uint32_t)rd_left(&sid), noff = (uint32_t)rd_left(&suites) / 2;
    const uint8_t *sidp = rd_bytes(&sid, nsid), *off = rd_bytes(&suites, 2 * noff);
    return hs3_server_select(ctx, sidp, nsid, off, noff);
}

/* What follows the suite in TLS: encrypt-then-MAC only for CBC (RFC 7366 §3), the TLS 1.2
 * signature scheme for ServerKeyExchange (RFC 5246 §7.4.1.4.1: SHA-1 when the client named none). */
static SSLErr select_tls(SSLContext *ctx)
{
    const struct suite *s = ctx->suite;
    ctx->etm_offered = ctx->etm_offered && ctx_is_tls(ctx) && !s->aead && s->iv_len;
    if (!ctx->resumed && s->kx != KX_DH_ANON && !ctx_use_identity(ctx, s->kx == KX_ECDHE_ECDSA))
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLNegotiationErr); /* suite_usable saw one */
    if (ctx->ver >= V_TLS12 && !ctx->resumed && s->kx != KX_RSA && s->kx != KX_DH_ANON) {
        ctx->sigalg = hs_sig_choose(ctx->key, ctx->peer_sigalgs);
        if (!ctx->sigalg)
            return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLNegotiationErr);
    }
    return SSLNoErr;
}

/* The ChaCha20 rule (SSLXSetChaChaPreference): the client's first AEAD suite is a ChaCha20 one and
 * this server is set, or by default has no AES instructions, to follow it. */
static int chacha_first(const SSLContext *ctx, const uint8_t *off, uint32_t noff)
{
    int mode = ctx->prefer_chacha < 0 ? !cry_cpu_has_aes() : ctx->prefer_chacha;
    for (uint32_t j = 0; j < noff && mode; j++) {
        const struct suite *s = suite_find((uint16_t)(off[2 * j] << 8 | off[2 * j + 1]));
        if (s && s->aead)
            return s->cipher == CRY_C_CHACHA20_POLY1305;
    }
    return 0;
}

uint16_t hs3_server_version(const SSLContext *ctx)
{
    uint16_t cv = ctx->client_version;
    return cv > ctx->ver_max ? ctx->ver_max : cv < V_SSL3 ? V_SSL3 : cv;
}

SSLErr hs3_server_select(SSLContext *ctx, const uint8_t *sid, uint32_t nsid, const uint8_t *off,
                         uint32_t noff)
{
    /* RFC 5246 Appendix E.1: the highest version both speak; below our minimum, protocol_version */
    uint16_t cv = ctx->client_version;
    ctx->ver = hs3_server_version(ctx);
    if (cv < ctx->ver_min)
        return ctx_fail(ctx, AL_PROTOCOL_VERSION, SSLNegotiationErr);
    ctx->negotiated = SSL_Version_3_0;
    for (uint32_t j = 0; j < noff; j++) {
        uint16_t id = (uint16_t)(off[2 * j] << 8 | off[2 * j + 1]);
        if (id == TLS_EMPTY_RENEGOTIATION_INFO_SCSV) /* RFC 5746 §3.6: the same as an empty RI */
            ctx->secure_reneg = 1; /* (in either hello format) */
        /* RFC 7507 §3: a fallback below what we speak means someone removed the higher versions */
        if (id == TLS_FALLBACK_SCSV && cv < ctx->ver_max)
            return ctx_fail(ctx, AL_INAPPROPRIATE_FALLBACK, SSLNegotiationErr);
    }
    ctx->ems = ctx->ems_enabled && ctx->peer_ems && ctx_is_tls(ctx);
    if (ctx->sni[0] && ctx->sni_fn && ctx->sni_fn(ctx, ctx->sni, ctx->sni_ref) != SSLNoErr)
        return ctx_fail(ctx, AL_UNRECOGNIZED_NAME, SSLNegotiationErr);
    /* a ticket first (RFC 5077 §3.4), then the session ID cache */
    int found = hs3_ticket_resume(ctx, sid, nsid, off, noff);
    if (found == 0 && nsid)
        found = session_server_lookup(ctx, sid, nsid, off, noff);
    if (found < 0)
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLNegotiationErr);
    if (found) {
        ctx->resumed = 1;
        return select_tls(ctx);
    }
    ctx->suite = NULL;
    int refused = 0; /* a DH suite was ruled out by the client's FFDHE groups alone */
    /* our order; with the ChaCha20 rule, a first pass over our ChaCha20-Poly1305 suites alone */
    for (int pass = chacha_first(ctx, off, noff) ? 0 : 1; pass < 2 && !ctx->suite; pass++)
        for (uint32_t i = 0; i < ctx->nsuites && !ctx->suite; i++) {
            const struct suite *s = suite_find(ctx->suites[i]);
            if (!s || (pass == 0 && s->cipher != CRY_C_CHACHA20_POLY1305))
                continue;
            int offered = 0;
            for (uint32_t j = 0; j < noff; j++)
                offered |= (off[2 * j] << 8 | off[2 * j + 1]) == s->id;
            uint16_t group;
            if (offered && suite_usable(ctx, s, &group, &refused)) {
                ctx->suite = s;
                ctx->group = group;
            }
        }
    if (!ctx->suite) /* RFC 7919 §4: insufficient_security when FFDHE groups were the obstacle */
        return ctx_fail(ctx, refused ? AL_INSUFFICIENT_SECURITY : AL_HANDSHAKE_FAILURE,
                        SSLNegotiationErr);
    SSL_TRY(select_tls(ctx));
    hs3_ticket_decide(ctx);
    ctx->sid_len = 0;
    if (ctx->peer_id.data) { /* the spec: only a server with a peer ID caches sessions */
        ctx->sid_len = SSL3_SID_MAX;
        SSL_TRY(ctx_random(ctx, ctx->session_id, SSL3_SID_MAX));
    }
    return SSLNoErr;
}

SSLErr hs3_build_server_hello(SSLContext *ctx, struct wr *w)
{
    SSL_TRY(make_random(ctx, ctx->server_random));
    wr_u16(w, ctx->ver);
    wr_bytes(w, ctx->server_random, 32);
    size_t m = wr_open(w, 1);
    wr_bytes(w, ctx->session_id, ctx->sid_len);
    wr_close(w, m, 1);
    wr_u16(w, ctx->suite->id);
    wr_u8(w, 0);
    hs_ext_build_server(ctx, w); /* RFC 5746 §3.6: renegotiation_info; TLS: EMS, EtM, ALPN, SNI */
    if (ctx->resumed)
        SSL_TRY(hs3_keys_ready(ctx));
    return SSLNoErr;
}

SSLErr hs3_parse_server_hello(SSLContext *ctx, struct rd *r)
{
    uint16_t version = rd_u16(r);
    rd_copy(r, ctx->server_random, 32);
    struct rd sid = rd_sub8(r);
    uint16_t id = rd_u16(r);
    uint8_t comp = rd_u8(r);
    if (!rd_ok(r) || rd_left(&sid) > SSL3_SID_MAX)
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    if (version < ctx->ver_min || version > ctx->ver_max || ctx->version_mode == SSL_Version_2_0)
        return ctx_fail(ctx, AL_PROTOCOL_VERSION, SSLNegotiationErr);
    ctx->ver = version;
    const struct suite *s = suite_find(id);
    if (!s || !suite_enabled(ctx, id) || comp != 0 || s->min_ver > version || s->max_ver < version)
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    ctx->negotiated = SSL_Version_3_0;
    ctx->suite = s;
    if (rd_left(r)) /* extensions: only those we offered */
        SSL_TRY(hs_ext_parse_server(ctx, r));
    else
        ctx->ems = 0;
    ctx->sid_len = (uint8_t)rd_left(&sid);
    rd_copy(&sid, ctx->session_id, ctx->sid_len);
    if (ctx->offered_sid_len && ctx->sid_len == ctx->offered_sid_len &&
        memcmp(ctx->session_id, ctx->offered_sid, ctx->sid_len) == 0) {
        /* RFC 6101 §5.6.1.3: the same ID means the server resumes; the suite must be the session's. */
        if (id != ctx->offered_suite || version != ctx->offered_version)
            return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
        if (ctx->ems != ctx->offered_ems) /* RFC 7627 §5.3 */
            return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLProtocolErr);
        ctx->resumed = 1;
        ctx->resumed_via = ctx->offered_ticket ? 2 : 1;
        SSL_TRY(session_client_resume(ctx));
        SSL_TRY(hs3_keys_ready(ctx));
    }
    return SSLNoErr;
}

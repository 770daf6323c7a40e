/*
 * hs3_hello.c - ClientHello and ServerHello (RFC 6101 §5.6.1.2, §5.6.1.3): randoms, session IDs
 * and resumption, suite and compression choice. The server picks its own first enabled suite that
 * the client offers and that its keys can serve; data after the compression methods is ignored
 * (§5.6.1.2 allows it for forward compatibility) but hashed.
 */
#include "handshake/hs3.h"
#include "record/alert.h"
#include "crypto/dhparams.h"
#include "handshake/session.h"
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

/* Whether this side's keys and certificates can serve suite s (server side). */
static int suite_usable(const SSLContext *ctx, const struct suite *s)
{
    int rsa = ctx->key && ctx->local_chain.n > 0 && !cry_key_is_dsa(ctx->key);
    if (ctx->ver < s->min_ver || ctx->ver > s->max_ver) /* e.g. GCM only in TLS 1.2 */
        return 0;
    /* RFC 6101 Appendix C: the export DH suites are limited to 512-bit groups */
    if (s->exportable && s->kx != KX_RSA_EXPORT && ctx->dh_params && ctx->dh_params->plen > 64)
        return 0;
    switch (s->kx) {
    case KX_RSA:
        return rsa;
    case KX_RSA_EXPORT: /* RFC 6101 §5.6.3: a longer key needs the temporary export key */
        return rsa && (cry_rsa_key_bits(ctx->key) <= 512 || ctx->export_key);
    case KX_DHE_RSA:
        return rsa && ctx->dh_params;
    case KX_DHE_DSS:
        return ctx->local_chain.n > 0 && cry_key_is_dsa(ctx->key) && ctx->dh_params;
    case KX_DH_ANON:
        return ctx->dh_params != NULL;
    default:
        return 0;
    }
}

#define EXT_RENEGOTIATION_INFO 0xff01

/* Extensions after the compression methods (RFC 5746 §3.2 format). Only renegotiation_info is
 * understood: on an initial handshake it must be empty (§3.6, §3.4). Anything else is skipped. */
static SSLErr parse_extensions(SSLContext *ctx, struct rd *r)
{
    struct rd all = rd_sub16(r);
    int ri_seen = 0;
    while (rd_left(&all)) {
        uint16_t type = rd_u16(&all);
        struct rd data = rd_sub16(&all);
        if (type == EXT_RENEGOTIATION_INFO) {
            struct rd inner = rd_sub8(&data);
            if (!rd_done(&data) || rd_left(&inner) != 0 || ri_seen++) /* once, and empty */
                return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLProtocolErr);
            ctx->secure_reneg = 1;
        }
        (void)rd_bytes(&data, rd_left(&data));
    }
    if (!rd_done(&all))
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    return SSLNoErr;
}

SSLErr hs3_build_client_hello(SSLContext *ctx, struct wr *w)
{
    if (ctx->offered_version != 0x0300) /* the driver looked the cache up; SSL 2.0 entries don't fit */
        ctx->offered_sid_len = 0;
    SSL_TRY(make_random(ctx, ctx->client_random));
    wr_u16(w, 0x0300);
    wr_bytes(w, ctx->client_random, 32);
    size_t m = wr_open(w, 1);
    wr_bytes(w, ctx->offered_sid, ctx->offered_sid_len);
    wr_close(w, m, 1);
    m = wr_open(w, 2);
    for (uint32_t i = 0; i < ctx->nsuites; i++)
        if (suite_find(ctx->suites[i]))
            wr_u16(w, ctx->suites[i]);
    wr_u16(w, TLS_EMPTY_RENEGOTIATION_INFO_SCSV); /* RFC 5746 §3.3: we never renegotiate */
    wr_close(w, m, 2);
    wr_u8(w, 1); /* compression methods: null only */
    wr_u8(w, 0);
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
    if (rd_left(r)) /* §5.6.1.2: trailing data is allowed; we look only for renegotiation_info */
        SSL_TRY(parse_extensions(ctx, r));
    if (!rd_ok(r) || rd_left(&sid) > SSL3_SID_MAX || rd_left(&suites) < 2 || rd_left(&suites) % 2 ||
        rd_left(&comp) < 1)
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    if (version >> 8 != 3)
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLNegotiationErr);
    if (ctx->version_set == SSL_Version_2_0) /* Version Handshaking Summary (c) */
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLProtocolErr);
    ctx->client_version = version;
    int null_comp = 0;
    while (rd_left(&comp))
        null_comp |= rd_u8(&comp) == 0;
    if (!null_comp)
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLNegotiationErr);
    uint32_t nsid = (uint32_t)rd_left(&sid), noff = (uint32_t)rd_left(&suites) / 2;
    const uint8_t *sidp = rd_bytes(&sid, nsid), *off = rd_bytes(&suites, 2 * noff);
    return hs3_server_select(ctx, sidp, nsid, off, noff);
}

SSLErr hs3_server_select(SSLContext *ctx, const uint8_t *sid, uint32_t nsid, const uint8_t *off,
                         uint32_t noff)
{
    ctx->negotiated = SSL_Version_3_0;
    ctx->ver = V_SSL3;
    for (uint32_t j = 0; j < noff; j++) /* RFC 5746 §3.6: the SCSV means the same as an empty RI */
        if ((off[2 * j] << 8 | off[2 * j + 1]) == TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
            ctx->secure_reneg = 1; /* (in either hello format) */
    if (nsid && session_server_lookup(ctx, sid, nsid, off, noff)) {
        ctx->resumed = 1;
        return SSLNoErr;
    }
    ctx->suite = NULL;
    for (uint32_t i = 0; i < ctx->nsuites && !ctx->suite; i++) {
        const struct suite *s = suite_find(ctx->suites[i]);
        if (!s || !suite_usable(ctx, s))
            continue;
        for (uint32_t j = 0; j < noff; j++)
            if ((off[2 * j] << 8 | off[2 * j + 1]) == s->id)
                ctx->suite = s;
    }
    if (!ctx->suite)
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLNegotiationErr);
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
    wr_u16(w, 0x0300);
    wr_bytes(w, ctx->server_random, 32);
    size_t m = wr_open(w, 1);
    wr_bytes(w, ctx->session_id, ctx->sid_len);
    wr_close(w, m, 1);
    wr_u16(w, ctx->suite->id);
    wr_u8(w, 0);
    if (ctx->secure_reneg) { /* RFC 5746 §3.6: an empty renegotiation_info in reply */
        size_t m2 = wr_open(w, 2);
        wr_u16(w, EXT_RENEGOTIATION_INFO);
        wr_u16(w, 1);
        wr_u8(w, 0);
        wr_close(w, m2, 2);
    }
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
    if (rd_left(r)) /* extensions: renegotiation_info, if present, must be empty */
        SSL_TRY(parse_extensions(ctx, r));
    if (!rd_ok(r) || rd_left(&sid) > SSL3_SID_MAX)
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    if (version != 0x0300 || ctx->version_set == SSL_Version_2_0)
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLNegotiationErr);
    const struct suite *s = suite_find(id);
    if (!s || !suite_enabled(ctx, id) || comp != 0 || s->min_ver > V_SSL3)
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    ctx->negotiated = SSL_Version_3_0;
    ctx->ver = V_SSL3;
    ctx->suite = s;
    ctx->sid_len = (uint8_t)rd_left(&sid);
    rd_copy(&sid, ctx->session_id, ctx->sid_len);
    if (ctx->offered_sid_len && ctx->sid_len == ctx->offered_sid_len &&
        memcmp(ctx->session_id, ctx->offered_sid, ctx->sid_len) == 0) {
        /* RFC 6101 §5.6.1.3: the same ID means the server resumes; the suite must be the session's. */
        if (id != ctx->offered_suite)
            return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
        ctx->resumed = 1;
        SSL_TRY(session_client_resume(ctx));
        SSL_TRY(hs3_keys_ready(ctx));
    }
    return SSLNoErr;
}

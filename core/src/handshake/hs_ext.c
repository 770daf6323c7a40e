/*
 * hs_ext.c - hello extensions (RFC 5246 §7.4.1.4): server_name (RFC 6066 §3), supported_groups
 * (RFC 7919: our groups offered, the FFDHE groups a client lists kept; hs3_dh_group chooses;
 * RFC 8422: the EC groups too, hs3_ec_group chooses), ec_point_formats (RFC 8422 §5.1.2),
 * signature_algorithms, application_layer_protocol_negotiation (RFC 7301), encrypt_then_mac
 * (RFC 7366), extended_master_secret (RFC 7627), session_ticket (RFC 5077; ticket.c) and
 * renegotiation_info (RFC 5746). Every extension
 * is read through its own bounded sub-reader; unknown ones are skipped, a repeated type is refused.
 * A server answers only what the client offered; a client refuses any extension it did not offer.
 */
#include "handshake/hs_ext.h"
#include "handshake/hs3.h"
#include "handshake/hs_sig.h"
#include "record/alert.h"
#include "crypto/ffdhe.h"
#include "crypto/ecdh.h"
#include <string.h>

enum {
    EXT_SERVER_NAME = 0, EXT_SUPPORTED_GROUPS = 10, EXT_EC_POINT_FORMATS = 11, EXT_SIG_ALGS = 13,
    EXT_ALPN = 16, EXT_ETM = 22, EXT_EMS = 23, EXT_SESSION_TICKET = 35,
    EXT_RENEGOTIATION_INFO = 0xff01
};

/* One pass over an extension block: each (type, body) goes to @fn; framing errors fail with
 * decode_error (illegal_parameter in SSL 3.0), a repeated type with illegal_parameter at every
 * version (RFC 5246 §7.4.1.4: one extension of each type at most). */
typedef SSLErr (*ext_fn)(SSLContext *ctx, uint16_t type, struct rd *body);

/* Client: whether the hello lists the EC groups and point formats (RFC 8422 §4): with an ECDHE suite
 * in the offer, and when our own certificate key is EC (a TLS 1.2 server checks an ECDSA client
 * certificate's curve against the list; OpenSSL refuses one missing from a list of FFDHE groups). */
static int ec_listed(const SSLContext *ctx)
{
    return ctx->ec_offered || (ctx->key && ctx_key_kind(ctx->key) == KEY_EC);
}

static SSLErr ext_walk(SSLContext *ctx, struct rd *r, ext_fn fn)
{
    uint8_t seen[8192]; /* a bit per extension type */
    memset(seen, 0, sizeof seen);
    struct rd all = rd_sub16(r);
    if (!rd_ok(r) || !rd_done(r))
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    while (rd_left(&all)) {
        uint16_t type = rd_u16(&all);
        struct rd body = rd_sub16(&all);
        if (!rd_ok(&all))
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        if (seen[type >> 3] & (1u << (type & 7))) /* the RFC names no alert: NSS's and OpenSSL's */
            return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
        seen[type >> 3] |= (uint8_t)(1u << (type & 7));
        SSL_TRY(fn(ctx, type, &body));
        if (!rd_done(&body))
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    }
    return SSLNoErr;
}

/* ---- server side: the ClientHello's extensions ---- */

static SSLErr sni_parse(SSLContext *ctx, struct rd *b)
{
    struct rd list = rd_sub16(b);
    if (!rd_left(&list))
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    while (rd_left(&list)) {
        uint8_t type = rd_u8(&list);
        struct rd name = rd_sub16(&list);
        size_t n = rd_left(&name);
        const uint8_t *p = rd_bytes(&name, n);
        if (!rd_ok(&list) || n == 0)
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        if (type != 0 || ctx->sni[0]) /* host_name; RFC 6066: at most one name of a type */
            continue;
        if (n >= sizeof ctx->sni || memchr(p, 0, n))
            return ctx_fail(ctx, AL_UNRECOGNIZED_NAME, SSLProtocolErr);
        memcpy(ctx->sni, p, n);
        ctx->sni[n] = 0;
    }
    return SSLNoErr;
}

/* RFC 7301 §3.2: the server's first protocol (in its own order) that the client lists. */
static SSLErr alpn_parse_offer(SSLContext *ctx, struct rd *b)
{
    struct rd list = rd_sub16(b);
    const uint8_t *offer = list.p + list.off;
    size_t offer_len = rd_left(&list);
    if (!offer_len)
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    while (rd_left(&list)) {
        struct rd name = rd_sub8(&list);
        if (!rd_left(&name))
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        (void)rd_bytes(&name, rd_left(&name));
    }
    if (!rd_ok(b) || !ctx->alpn_len)
        return rd_ok(b) ? SSLNoErr : ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    for (size_t i = 0; i < ctx->alpn_len; i += 1u + ctx->alpn[i]) {
        size_t n = ctx->alpn[i];
        for (size_t j = 0; j < offer_len; j += 1u + offer[j])
            if (offer[j] == n && memcmp(offer + j + 1, ctx->alpn + i + 1, n) == 0) {
                memcpy(ctx->alpn_sel, ctx->alpn + i + 1, n);
                ctx->alpn_sel_len = (uint8_t)n;
                return SSLNoErr;
            }
    }
    return ctx_fail(ctx, AL_NO_APPLICATION_PROTOCOL, SSLNegotiationErr);
}

static SSLErr client_ext(SSLContext *ctx, uint16_t type, struct rd *b)
{
    switch (type) {
    case EXT_SERVER_NAME:
        return sni_parse(ctx, b);
    case EXT_SIG_ALGS:
        ctx->peer_sigalgs = hs_sig_read_list(b);
        return ctx->peer_sigalgs ? SSLNoErr : ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    case EXT_ALPN:
        return alpn_parse_offer(ctx, b);
    case EXT_ETM:
        ctx->etm_offered = 1;
        return SSLNoErr;
    case EXT_EMS:
        ctx->peer_ems = 1;
        return SSLNoErr;
    case EXT_SESSION_TICKET: { /* RFC 5077 §3.2: empty, or a ticket (ticket.c opens it) */
        size_t n = rd_left(b);
        const uint8_t *p = rd_bytes(b, n);
        ctx->peer_ticket_ext = 1;
        if (n && n <= 16384 && ctx->tickets_enabled && ctx->ticket_fn) {
            SSL_TRY(ctx_alloc(ctx, &ctx->peer_ticket, (uint32_t)n));
            memcpy(ctx->peer_ticket.data, p, n);
        }
        return SSLNoErr;
    }
    case EXT_RENEGOTIATION_INFO: { /* RFC 5746 §3.6: empty on an initial handshake */
        struct rd inner = rd_sub8(b);
        if (!rd_ok(b) || rd_left(&inner))
            return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLProtocolErr);
        ctx->secure_reneg = 1;
        return SSLNoErr;
    }
    case EXT_SUPPORTED_GROUPS: { /* RFC 7919 §4: remember the FFDHE groups, ours or not */
        struct rd l = rd_sub16(b);
        if (rd_left(&l) < 2 || rd_left(&l) % 2)
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        ctx->peer_groups_sent = 1;
        while (rd_left(&l)) {
            uint16_t g = rd_u16(&l);
            ctx->peer_ec |= (uint8_t)HS_EC_BIT(g); /* RFC 8422 §5.1.1: the curves 23..30 */
            if (g >= FFDHE_RANGE_MIN && g <= FFDHE_RANGE_MAX)
                ctx->peer_ffdhe_any = 1;
            for (size_t i = 0; i < FFDHE_NBUILTIN; i++)
                if (ffdhe_groups[i].id == g)
                    ctx->peer_ffdhe |= (uint8_t)(1u << i);
        }
        return SSLNoErr;
    }
    case EXT_EC_POINT_FORMATS: { /* RFC 8422 §5.1.2: u8 list; uncompressed (0) must be there */
        struct rd l = rd_sub8(b);
        int unc = 0;
        if (!rd_ok(b) || !rd_left(&l))
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        while (rd_left(&l))
            unc |= rd_u8(&l) == 0;
        ctx->peer_pf = unc ? 1 : 2;
        return SSLNoErr;
    }
    default: /* unknown or unused: skipped */
        (void)rd_bytes(b, rd_left(b));
        return SSLNoErr;
    }
}

SSLErr hs_ext_parse_client(SSLContext *ctx, struct rd *r)
{
    /* the version the server will choose (hs3_server_select decides again): alerts raised here
     * take its codes */
    ctx->ver = hs3_server_version(ctx);
    SSL_TRY(ext_walk(ctx, r, client_ext));
    /* RFC 8422 §5.1.2: point formats without uncompressed from a client that lists our curves */
    if (ctx->peer_pf == 2 && ctx->peer_ec && ctx_is_tls(ctx))
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    return SSLNoErr;
}

void hs_ext_build_server(SSLContext *ctx, struct wr *w)
{
    size_t all = wr_open(w, 2), m;
    if (ctx->secure_reneg) {
        wr_u16(w, EXT_RENEGOTIATION_INFO);
        wr_u16(w, 1);
        wr_u8(w, 0);
    }
    if (ctx_is_tls(ctx)) {
        if (ctx->ems) {
            wr_u16(w, EXT_EMS);
            wr_u16(w, 0);
        }
        if (ctx->etm_offered) {
            wr_u16(w, EXT_ETM);
            wr_u16(w, 0);
        }
        if (ctx->alpn_sel_len) {
            wr_u16(w, EXT_ALPN);
            m = wr_open(w, 2);
            size_t l = wr_open(w, 2);
            wr_u8(w, ctx->alpn_sel_len);
            wr_bytes(w, ctx->alpn_sel, ctx->alpn_sel_len);
            wr_close(w, l, 2);
            wr_close(w, m, 2);
        }
        if (ctx->peer_pf && ctx->suite &&
            (ctx->suite->kx == KX_ECDHE_RSA || ctx->suite->kx == KX_ECDHE_ECDSA)) { /* RFC 8422 §5.2 */
            wr_u16(w, EXT_EC_POINT_FORMATS);
            wr_u16(w, 2);
            wr_u8(w, 1);
            wr_u8(w, 0); /* uncompressed only */
        }
        if (ctx->sni[0] && !ctx->resumed) { /* RFC 6066 §3: an empty server_name acknowledges it */
            wr_u16(w, EXT_SERVER_NAME);
            wr_u16(w, 0);
        }
        if (ctx->nst) { /* RFC 5077 §3.2: a NewSessionTicket will follow */
            wr_u16(w, EXT_SESSION_TICKET);
            wr_u16(w, 0);
        }
    }
    if (w->len == all + 2)
        w->len -= 2; /* no extensions: no block at all (SSL 3.0 peers expect none) */
    else
        wr_close(w, all, 2);
}

/* ---- client side ---- */

void hs_ext_build_client(SSLContext *ctx, struct wr *w)
{
    size_t all = wr_open(w, 2), m;
    if (ctx->server_name[0]) {
        size_t n = strlen(ctx->server_name);
        wr_u16(w, EXT_SERVER_NAME);
        m = wr_open(w, 2);
        size_t l = wr_open(w, 2);
        wr_u8(w, 0);
        wr_u16(w, (uint16_t)n);
        wr_bytes(w, ctx->server_name, n);
        wr_close(w, l, 2);
        wr_close(w, m, 2);
    }
    if (ctx->ver_max >= V_TLS12) {
        wr_u16(w, EXT_SIG_ALGS);
        m = wr_open(w, 2);
        hs_sig_write_list(w);
        wr_close(w, m, 2);
    }
    /* RFC 7919 §3: the FFDHE groups; RFC 8422 §4: the EC groups and point formats with an ECDHE
     * suite in the offer or an EC key of our own (ec_listed) */
    int ec_list = ec_listed(ctx);
    size_t ng = 0;
    for (size_t i = 0; i < ctx->ngroups; i++)
        ng += !cry_ecdh_supported(ctx->groups[i]) || ec_list;
    if (ng) {
        wr_u16(w, EXT_SUPPORTED_GROUPS);
        m = wr_open(w, 2);
        size_t l = wr_open(w, 2);
        for (size_t i = 0; i < ctx->ngroups; i++)
            if (!cry_ecdh_supported(ctx->groups[i]) || ec_list)
                wr_u16(w, ctx->groups[i]);
        wr_close(w, l, 2);
        wr_close(w, m, 2);
    }
    if (ec_list) {
        wr_u16(w, EXT_EC_POINT_FORMATS);
        wr_u16(w, 2);
        wr_u8(w, 1);
        wr_u8(w, 0); /* uncompressed (RFC 8422 §5.1.2: the only format left) */
    }
    if (ctx->alpn_len) {
        wr_u16(w, EXT_ALPN);
        m = wr_open(w, 2);
        size_t l = wr_open(w, 2);
        wr_bytes(w, ctx->alpn, ctx->alpn_len);
        wr_close(w, l, 2);
        wr_close(w, m, 2);
    }
    wr_u16(w, EXT_ETM);
    wr_u16(w, 0);
    if (ctx->tickets_enabled) { /* RFC 5077 §3.2: the cached session's ticket, or empty */
        wr_u16(w, EXT_SESSION_TICKET);
        m = wr_open(w, 2);
        wr_bytes(w, ctx->offered_ticket, ctx->offered_ticket_len);
        wr_close(w, m, 2);
    }
    if (ctx->ems_enabled) {
        wr_u16(w, EXT_EMS);
        wr_u16(w, 0);
    }
    wr_u16(w, EXT_RENEGOTIATION_INFO); /* RFC 5746 §3.4: empty on an initial handshake */
    wr_u16(w, 1);
    wr_u8(w, 0);
    wr_close(w, all, 2);
}

static SSLErr server_ext(SSLContext *ctx, uint16_t type, struct rd *b)
{
    /* an SSL 3.0 hello (or the SSL 2.0-format one) carried no extensions, only the SCSV, which
     * renegotiation_info answers (RFC 5746 §3.4): everything else was never offered */
    if (!ctx->ext_sent && type != EXT_RENEGOTIATION_INFO)
        return ctx_fail(ctx, AL_UNSUPPORTED_EXTENSION, SSLProtocolErr);
    switch (type) {
    case EXT_RENEGOTIATION_INFO: {
        struct rd inner = rd_sub8(b);
        if (!rd_ok(b) || rd_left(&inner))
            return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLProtocolErr);
        ctx->secure_reneg = 1;
        return SSLNoErr;
    }
    case EXT_EMS:
        if (!ctx->ems_enabled)
            break;
        ctx->peer_ems = 1;
        return SSLNoErr;
    case EXT_ETM:
        ctx->etm_offered = 1;
        return SSLNoErr;
    case EXT_SESSION_TICKET: /* RFC 5077 §3.2: empty, and only if we offered it */
        if (!ctx->tickets_enabled)
            break;
        if (rd_left(b))
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        ctx->nst = 1;
        return SSLNoErr;
    case EXT_SERVER_NAME:
        if (!ctx->server_name[0])
            break;
        return SSLNoErr;
    case EXT_EC_POINT_FORMATS: { /* RFC 8422 §5.2: only if we offered it; uncompressed listed */
        if (!ec_listed(ctx))
            break;
        struct rd l = rd_sub8(b);
        int unc = 0;
        if (!rd_ok(b) || !rd_left(&l))
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        while (rd_left(&l))
            unc |= rd_u8(&l) == 0;
        return unc ? SSLNoErr : ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    }
    case EXT_ALPN: { /* exactly one protocol, one we offered (RFC 7301 §3.1) */
        struct rd list = rd_sub16(b);
        struct rd name = rd_sub8(&list);
        size_t n = rd_left(&name);
        const uint8_t *p = rd_bytes(&name, n);
        if (!ctx->alpn_len)
            break;
        if (!rd_ok(b) || !n || !rd_done(&list))
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        for (size_t i = 0; i < ctx->alpn_len; i += 1u + ctx->alpn[i])
            if (ctx->alpn[i] == n && memcmp(ctx->alpn + i + 1, p, n) == 0) {
                memcpy(ctx->alpn_sel, p, n);
                ctx->alpn_sel_len = (uint8_t)n;
                return SSLNoErr;
            }
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    }
    default:
        break;
    }
    /* RFC 5246 §7.4.1.4: an extension the client did not offer */
    return ctx_fail(ctx, AL_UNSUPPORTED_EXTENSION, SSLProtocolErr);
}

SSLErr hs_ext_parse_server(SSLContext *ctx, struct rd *r)
{
    SSL_TRY(ext_walk(ctx, r, server_ext));
    if (ctx->etm_offered && (!ctx->suite || ctx->suite->aead || !ctx->suite->iv_len))
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr); /* RFC 7366 §3: CBC only */
    ctx->ems = ctx->peer_ems;
    return SSLNoErr;
}

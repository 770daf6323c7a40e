/*
 * hs3_kx.c - key exchange (RFC 6101 §5.6.3, §5.6.5, §5.6.7): ServerKeyExchange for export RSA
 * (a temporary <= 512-bit key, sent only when the certificate's key is longer) and for ephemeral or
 * anonymous Diffie-Hellman, ServerHelloDone, and ClientKeyExchange. SSL 3.0 sends the encrypted
 * premaster without the two-byte length TLS added; the server decrypts it in constant time and goes
 * on with a random premaster on any fault. ctx->kx holds, on the client, the server's temporary
 * parameters in minimal form (RSA: n, e; DH: p, g, Ys, each u16-length-prefixed); on the server, the
 * DH private exponent. The server's group is an RFC 7919 one (ctx->group, chosen by hs3_dh_group
 * from the client's supported_groups) or the configured SSLSetDHAnonParams group; a client refuses
 * groups under 1024 bits (512 for export suites). Exponentiations with a private exponent run in
 * constant time (bn_ct_modexp), their length fixed by the group's size (ffdhe_exponent_len).
 * ECDHE_RSA and ECDHE_ECDSA (RFC 8422 §5.4, §5.7): ServerECDHParams = curve_type named_curve (3), the group (u16),
 * the point (u8 length); the client answers with its point (u8 length). The group is ctx->group
 * (hs3_ec_group); ctx->kx holds the server's private scalar, or on the client the server's point.
 * Points travel uncompressed (P-256, P-384) or as 32 bytes (X25519) and are checked by
 * cry_ecdh_check (crypto/ecdh.c): framing faults are decode_error, a point that is not one of the
 * group (wrong length or form, off the curve, an all-zero X25519 secret) is illegal_parameter.
 * The premaster is the shared x-coordinate (or X25519 output) at full length (§5.10).
 */
#include "handshake/hs3.h"
#include "record/alert.h"
#include "crypto/dhparams.h"
#include "crypto/bn_ct.h"
#include "crypto/ffdhe.h"
#include "crypto/ecdh.h"
#include "handshake/hs_ext.h"
#include "record/kdf3.h"
#include "crypto/pkcs1.h"
#include "x509/x509.h"
#include "handshake/hs_sig.h"
#include <string.h>

#define DH_MAX 1024u /* bytes: up to 8192-bit groups */
#define DH_MIN 64u   /* bytes: 512-bit groups (export) and up */
#define DH_MIN_BITS 1024u /* client: the smallest p it accepts for a non-export suite */
#define DH_X_MAX 64u /* bytes of private exponent, at most (ffdhe_exponent_len) */

static int is_dh(const struct suite *s)
{
    return s->kx == KX_DHE_RSA || s->kx == KX_DHE_DSS || s->kx == KX_DH_ANON;
}

static int is_ec(const struct suite *s)
{
    return s->kx == KX_ECDHE_RSA || s->kx == KX_ECDHE_ECDSA;
}

#define EC_NAMED_CURVE 3 /* ECCurveType named_curve (RFC 8422 §5.4) */

int hs3_ec_group(const SSLContext *ctx, uint16_t *group)
{
    *group = 0;
    if (ctx->peer_pf == 2) /* it cannot parse uncompressed points: no ECDHE (§5.1.2) */
        return 0;
    for (uint32_t i = 0; i < ctx->ngroups; i++) {
        uint16_t g = ctx->groups[i];
        if (cry_ecdh_supported(g) && (!ctx->peer_groups_sent || (ctx->peer_ec & HS_EC_BIT(g)))) {
            if (!*group)
                *group = g;
            if (ctx->peer_groups_sent || g == CRY_EC_SECP256R1) { /* §4: free to choose */
                *group = g;
                break;
            }
        }
    }
    return *group != 0;
}

int hs3_needs_server_kx(const SSLContext *ctx)
{
    const struct suite *s = ctx->suite;
    if (!s || s->kx == KX_RSA)
        return 0;
    if (s->kx == KX_RSA_EXPORT) /* §5.6.3: only when the certificate's key is too long */
        return ctx->side == SSL_ServerSide ? cry_rsa_key_bits(ctx->key) > 512
                                           : ctx->peer_key_bits > 512;
    return 1;
}

int hs3_dh_group(const SSLContext *ctx, const struct suite *s, uint16_t *group, int *refused)
{
    *group = 0;
    if (ctx_is_tls(ctx) && ctx->peer_ffdhe_any) { /* RFC 7919 §4: our first group it listed */
        for (uint32_t i = 0; i < ctx->ngroups && !s->exportable; i++) {
            const struct ffdhe_group *g = ffdhe_find(ctx->groups[i]);
            if (g && (ctx->peer_ffdhe & (1u << (g - ffdhe_groups)))) {
                *group = g->id;
                return 1;
            }
        }
        *refused = 1;
        return 0;
    }
    if (ctx->dh_params) /* RFC 6101 Appendix C: export DH suites are limited to 512-bit groups */
        return !s->exportable || ctx->dh_params->plen <= 64;
    for (uint32_t i = 0; i < ctx->ngroups && !s->exportable; i++) /* the default: our first */
        if (ffdhe_find(ctx->groups[i])) {
            *group = ctx->groups[i];
            return 1;
        }
    return 0;
}

/* Server: the group of this key exchange (ctx->group, else the configured one). */
static SSLErr server_group(const SSLContext *ctx, const uint8_t **p, uint32_t *pl,
                           const uint8_t **g, uint32_t *gl)
{
    const struct ffdhe_group *f = ffdhe_find(ctx->group);
    if (f) {
        *p = f->p, *pl = f->plen, *g = ffdhe_g, *gl = sizeof ffdhe_g;
        return SSLNoErr;
    }
    const SSLDHParams *dh = ctx->dh_params;
    SSL_ENSURE(dh && dh->plen <= DH_MAX, SSLUnsupportedErr);
    *p = dh->p, *pl = dh->plen, *g = dh->g, *gl = dh->glen;
    return SSLNoErr;
}

/* MD5 and SHA-1 of ClientHello.random + ServerHello.random + params (§5.6.3). */
static void params_hash(const SSLContext *ctx, const uint8_t *params, size_t n, uint8_t out[36])
{
    struct cry_hash h;
    int alg[2] = {CRY_MD5, CRY_SHA1};
    for (int i = 0; i < 2; i++) {
        cry_hash_init(&h, alg[i]);
        cry_hash_update(&h, ctx->client_random, 32);
        cry_hash_update(&h, ctx->server_random, 32);
        cry_hash_update(&h, params, n);
        cry_hash_final(&h, out + 16 * i);
    }
}

/* One hash of ClientHello.random + ServerHello.random + params (TLS 1.2, RFC 5246 §7.4.3). */
static size_t params_hash_alg(const SSLContext *ctx, int alg, const uint8_t *params, size_t n,
                              uint8_t *out)
{
    struct cry_hash h;
    cry_hash_init(&h, alg);
    cry_hash_update(&h, ctx->client_random, 32);
    cry_hash_update(&h, ctx->server_random, 32);
    cry_hash_update(&h, params, n);
    cry_hash_final(&h, out);
    return cry_hash_len(alg);
}

/* Write one u16-prefixed big number. */
static void wr_bn(struct wr *w, const uint8_t *p, size_t n)
{
    size_t m = wr_open(w, 2);
    wr_bytes(w, p, n);
    wr_close(w, m, 2);
}

SSLErr hs3_build_server_kx(SSLContext *ctx, struct wr *w)
{
    size_t start = w->len;
    if (is_ec(ctx->suite)) {
        uint16_t g = ctx->group;
        size_t pl = cry_ecdh_pub_len(g), kl = cry_ecdh_priv_len(g);
        uint8_t pub[CRY_ECDH_MAX_PUB];
        SSL_ENSURE(pl && pl <= sizeof pub, SSLUnsupportedErr);
        SSL_TRY(ctx_alloc(ctx, &ctx->kx, (uint32_t)kl));
        SSL_TRY(cry_ecdh_keygen(g, ctx->kx.data, pub, ctx_rand_fn, ctx));
        wr_u8(w, EC_NAMED_CURVE);
        wr_u16(w, g);
        wr_u8(w, (uint8_t)pl);
        wr_bytes(w, pub, pl);
    } else if (ctx->suite->kx == KX_RSA_EXPORT) {
        uint8_t n[DH_MAX], e[16];
        size_t nl = sizeof n, el = sizeof e;
        SSL_TRY(cry_rsa_key_public(ctx->export_key, n, &nl, e, &el));
        wr_bn(w, n, nl);
        wr_bn(w, e, el);
    } else {
        const uint8_t *p, *g;
        uint32_t pl, gl;
        uint8_t y[DH_MAX];
        SSL_TRY(server_group(ctx, &p, &pl, &g, &gl));
        uint32_t xl = (uint32_t)ffdhe_exponent_len(pl);
        SSL_TRY(ctx_alloc(ctx, &ctx->kx, xl));
        SSL_TRY(ctx_random(ctx, ctx->kx.data, xl));
        SSL_TRY(bn_ct_modexp(g, gl, ctx->kx.data, xl, p, pl, y));
        wr_bn(w, p, pl);
        wr_bn(w, g, gl);
        wr_bn(w, y, pl);
    }
    if (ctx->suite->kx == KX_DH_ANON)
        return SSLNoErr;
    SSL_ENSURE(wr_ok(w), SSLOverflowErr);
    uint8_t hash[CRY_MAX_DIGEST], sig[DH_MAX];
    uint32_t siglen;
    if (ctx->ver >= V_TLS12) { /* RFC 5246 §7.4.3: the chosen scheme, then a DigestInfo signature */
        int alg = hs_sig_hash(ctx->sigalg);
        size_t hl = params_hash_alg(ctx, alg, w->p + start, w->len - start, hash);
        wr_u16(w, ctx->sigalg);
        SSL_TRY(hs_sig_sign(ctx, ctx->key, ctx->sigalg, hash, hl, sig, sizeof sig, &siglen));
        wr_bn(w, sig, siglen);
        return SSLNoErr;
    }
    params_hash(ctx, w->p + start, w->len - start, hash);
    if (ctx->suite->kx == KX_DHE_DSS) { /* §5.6.3: DSA signs the SHA-1 hash alone */
        uint8_t rs[64];
        size_t sl = sizeof rs;
        SSL_TRY(cry_dsa_sign(ctx->key, hash + 16, 20, rs, &sl, ctx_rand_fn, ctx));
        if (ctx_is_tls(ctx)) /* TLS: a DER Dss-Sig-Value; SSL 3.0 (and NSS): r || s */
            SSL_TRY(hs_sig_dss_der(rs, sl / 2, sig, sizeof sig, &siglen));
        else
            memcpy(sig, rs, siglen = (uint32_t)sl);
    } else { /* RSA: MD5 || SHA-1; ECDSA: SHA-1 (RFC 8422 §5.4) */
        SSL_TRY(hs_sig_sign(ctx, ctx->key, 0, hash, 36, sig, sizeof sig, &siglen));
    }
    wr_bn(w, sig, siglen);
    return SSLNoErr;
}

/* The ServerKeyExchange signature under the server certificate's key (checked to suit the
 * suite when the Certificate arrived). */
static int server_kx_sig_ok(const struct x509_cert *leaf, const uint8_t hash[36],
                            const uint8_t *sig, uint32_t siglen)
{
    if (leaf->key_type == X509_KEY_DSA)
        return cry_dsa_verify(leaf->dsa_p, leaf->dsa_p_len, leaf->dsa_q, leaf->dsa_q_len,
                              leaf->dsa_g, leaf->dsa_g_len, leaf->dsa_y, leaf->dsa_y_len,
                              hash + 16, 20, sig, siglen);
    return hs_sig_verify(leaf, 0, hash, 36, sig, siglen);
}

/* 1 < y < p - 1 (rejects 0, 1 and p - 1: small-subgroup values). */
static int dh_value_ok(const uint8_t *y, size_t ylen, const uint8_t *p, size_t plen)
{
    uint8_t pm1[DH_MAX];
    if (plen > DH_MAX || plen == 0)
        return 0;
    memcpy(pm1, p, plen);
    for (size_t i = plen; i-- > 0;) /* p - 1 (p is odd, so no borrow beyond the last byte) */
        if (pm1[i]--)
            break;
    static const uint8_t one = 1;
    return cry_bn_cmp(y, ylen, &one, 1) > 0 && cry_bn_cmp(y, ylen, pm1, plen) < 0;
}

/* The signature after the params (params, plen: what it covers), under the leaf's key. */
static SSLErr check_params_sig(SSLContext *ctx, struct rd *r, const uint8_t *params, size_t plen)
{
    uint16_t scheme = ctx->ver >= V_TLS12 ? rd_u16(r) : 0;
    struct rd s = rd_sub16(r);
    uint32_t siglen = (uint32_t)rd_left(&s);
    const uint8_t *sig = rd_bytes(&s, siglen);
    if (!rd_ok(r) || !rd_done(r)) /* the framing is checked before the signature */
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    struct x509_cert leaf;
    uint8_t hash[CRY_MAX_DIGEST];
    SSL_TRY(x509_parse(ctx->peer_chain.certs[0].data, ctx->peer_chain.certs[0].length, &leaf));
    if (ctx->ver >= V_TLS12) { /* only a scheme we offered (RFC 5246 §7.4.1.4.1) */
        int alg = hs_sig_hash(scheme); /* -1 unless it is in our list */
        if (alg < 0 || !hs_sig_fits(&leaf, scheme))
            return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
        size_t hl = params_hash_alg(ctx, alg, params, plen, hash);
        if (!hs_sig_verify(&leaf, scheme, hash, hl, sig, siglen))
            return ctx_fail(ctx, AL_DECRYPT_ERROR, SSLProtocolErr);
    } else {
        params_hash(ctx, params, plen, hash);
        if (!sig || !server_kx_sig_ok(&leaf, hash, sig, siglen))
            return ctx_fail(ctx, ctx_is_tls(ctx) ? AL_DECRYPT_ERROR : AL_HANDSHAKE_FAILURE,
                            SSLProtocolErr);
    }
    return SSLNoErr;
}

/* A group this client offered (RFC 8422 §5.4: the server must pick one of the client's). */
static int ec_offered(const SSLContext *ctx, uint16_t g)
{
    for (uint32_t i = 0; i < ctx->ngroups && ctx->ec_offered; i++)
        if (ctx->groups[i] == g)
            return cry_ecdh_supported(g);
    return 0;
}

static SSLErr parse_server_kx_ec(SSLContext *ctx, struct rd *r)
{
    const uint8_t *params = r->p + r->off;
    uint8_t type = rd_u8(r);
    if (rd_ok(r) && type != EC_NAMED_CURVE) /* explicit curves: deprecated (§5.4), never offered */
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    uint16_t g = rd_u16(r);
    struct rd pt = rd_sub8(r);
    size_t plen = (size_t)(r->p + r->off - params), n = rd_left(&pt);
    if (!rd_ok(r) || !n)
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    if (!ec_offered(ctx, g))
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    SSL_TRY(check_params_sig(ctx, r, params, plen));
    const uint8_t *p = rd_bytes(&pt, n);
    if (!cry_ecdh_check(g, p, n))
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    ctx->group = g;
    SSL_TRY(ctx_alloc(ctx, &ctx->kx, (uint32_t)n));
    memcpy(ctx->kx.data, p, n);
    return SSLNoErr;
}

SSLErr hs3_parse_server_kx(SSLContext *ctx, struct rd *r)
{
    if (is_ec(ctx->suite))
        return parse_server_kx_ec(ctx, r);
    const uint8_t *params = r->p + r->off;
    struct rd a = rd_sub16(r), b = rd_sub16(r), c = a;
    int dh = is_dh(ctx->suite);
    if (dh)
        c = rd_sub16(r);
    size_t plen = (size_t)(r->p + r->off - params);
    if (!rd_ok(r))
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    if (!rd_left(&a) || !rd_left(&b) || (dh && !rd_left(&c)))
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    if (ctx->suite->kx != KX_DH_ANON)
        SSL_TRY(check_params_sig(ctx, r, params, plen));
    /* Numbers are measured without their leading zeros (a padded 5-bit group is still 5 bits) and
     * kept in minimal form for the ClientKeyExchange. */
    struct rd *num[3] = {&a, &b, &c};
    const uint8_t *v[3];
    size_t len[3], n = dh ? 3 : 2, total = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = rd_skip_zeros(num[i]);
        len[i] = rd_left(num[i]);
        total += 2 + len[i];
    }
    if (dh) { /* an odd p of 512 bits or more; 1 < g, Ys < p - 1 */
        if (len[0] < DH_MIN || len[0] > DH_MAX || !(v[0][len[0] - 1] & 1) ||
            !dh_value_ok(v[2], len[2], v[0], len[0]) || !dh_value_ok(v[1], len[1], v[0], len[0]))
            return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
        /* a non-export suite needs 1024 bits (Logjam); TLS says why, SSL 3.0 has no such alert */
        unsigned top = v[0][0], bits = (unsigned)len[0] * 8;
        for (unsigned bit = 0x80; !(top & bit); bit >>= 1)
            bits--;
        if (!ctx->suite->exportable && bits < DH_MIN_BITS)
            return ctx_fail(ctx, ctx_is_tls(ctx) ? AL_INSUFFICIENT_SECURITY : AL_HANDSHAKE_FAILURE,
                            SSLNegotiationErr);
        const struct ffdhe_group *f = ffdhe_match(v[0], len[0], v[1], len[1]);
        ctx->group = f ? f->id : 0; /* RFC 7919 §3: a named group is recognised by its p and g */
    } else if (len[0] < 48 || len[0] > 64 || !len[1] || len[1] > len[0]) {
        /* an export key has 384 to 512 bits; the exponent is shorter than the modulus */
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    }
    SSL_TRY(ctx_alloc(ctx, &ctx->kx, (uint32_t)total));
    struct wr w;
    wr_init(&w, ctx->kx.data, total);
    for (size_t i = 0; i < n; i++)
        wr_bn(&w, rd_bytes(num[i], len[i]), len[i]);
    return SSLNoErr;
}

SSLErr hs3_build_hello_done(SSLContext *ctx, struct wr *w)
{
    (void)ctx;
    (void)w;
    return SSLNoErr;
}

SSLErr hs3_parse_hello_done(SSLContext *ctx, struct rd *r)
{
    (void)ctx;
    (void)r; /* the driver's rd_done() rejects a non-empty body */
    return SSLNoErr;
}

/* Strip the leading zero bytes of Z (the DH premaster, as TLS and SSL 3.0 implementations do). */
static SSLErr dh_finish(SSLContext *ctx, const uint8_t *z, size_t zlen)
{
    size_t i = 0;
    while (i + 1 < zlen && z[i] == 0)
        i++;
    return hs3_set_master(ctx, z + i, (uint32_t)(zlen - i));
}

static SSLErr client_kx_dh(SSLContext *ctx, struct wr *w)
{
    struct rd r, p, g, ys;
    rd_init(&r, ctx->kx.data, ctx->kx.length);
    p = rd_sub16(&r);
    g = rd_sub16(&r);
    ys = rd_sub16(&r);
    size_t pl = rd_left(&p), xl = ffdhe_exponent_len(pl);
    uint8_t x[DH_X_MAX], yc[DH_MAX], z[DH_MAX];
    SSL_ENSURE(rd_ok(&r) && pl <= DH_MAX && xl <= sizeof x, SSLUnknownErr);
    SSL_TRY(ctx_random(ctx, x, (uint32_t)xl));
    SSLErr e = bn_ct_modexp(g.p, rd_left(&g), x, xl, p.p, pl, yc);
    if (e == SSLNoErr)
        e = bn_ct_modexp(ys.p, rd_left(&ys), x, xl, p.p, pl, z);
    if (e == SSLNoErr) {
        wr_bn(w, yc, pl);
        e = dh_finish(ctx, z, pl);
    }
    cry_wipe(x, sizeof x);
    cry_wipe(z, sizeof z);
    return e;
}

static SSLErr client_kx_ec(SSLContext *ctx, struct wr *w)
{
    uint16_t g = ctx->group;
    size_t pl = cry_ecdh_pub_len(g);
    uint8_t priv[CRY_ECDH_MAX_PRIV], pub[CRY_ECDH_MAX_PUB], z[CRY_ECDH_MAX_SECRET];
    SSL_ENSURE(pl && ctx->kx.data, SSLUnknownErr);
    SSLErr e = cry_ecdh_keygen(g, priv, pub, ctx_rand_fn, ctx);
    if (e == SSLNoErr)
        e = cry_ecdh_shared(g, priv, ctx->kx.data, ctx->kx.length, z);
    if (e == SSLProtocolErr) /* checked at ServerKeyExchange; X25519: an all-zero secret */
        e = ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    if (e == SSLNoErr) {
        wr_u8(w, (uint8_t)pl);
        wr_bytes(w, pub, pl);
        e = hs3_set_master(ctx, z, (uint32_t)cry_ecdh_secret_len(g)); /* §5.10: no stripping */
    }
    cry_wipe(priv, sizeof priv);
    cry_wipe(z, sizeof z);
    return e;
}

SSLErr hs3_build_client_kx(SSLContext *ctx, struct wr *w)
{
    if (is_dh(ctx->suite))
        return client_kx_dh(ctx, w);
    if (is_ec(ctx->suite))
        return client_kx_ec(ctx, w);
    uint8_t pre[48], enc[DH_MAX];
    const uint8_t *n, *e;
    uint32_t nl, el;
    struct x509_cert leaf;
    struct rd r, rn, re;
    if (ctx->kx.data) { /* export: the server's temporary key */
        rd_init(&r, ctx->kx.data, ctx->kx.length);
        rn = rd_sub16(&r);
        re = rd_sub16(&r);
        nl = (uint32_t)rd_left(&rn);
        el = (uint32_t)rd_left(&re);
        n = rn.p;
        e = re.p;
    } else {
        SSL_TRY(x509_parse(ctx->peer_chain.certs[0].data, ctx->peer_chain.certs[0].length, &leaf));
        n = leaf.rsa_n, nl = leaf.rsa_n_len, e = leaf.rsa_e, el = leaf.rsa_e_len;
    }
    SSL_ENSURE(nl <= sizeof enc, SSLUnsupportedErr);
    pre[0] = (uint8_t)(ctx->client_version >> 8); /* RFC 6101 §5.6.7.1, RFC 5246 §7.4.7.1: */
    pre[1] = (uint8_t)ctx->client_version;       /* the version the client offered */
    SSL_TRY(ctx_random(ctx, pre + 2, 46));
    SSLErr err = pkcs1_encrypt(ctx_rand_fn, ctx, n, nl, e, el, pre, sizeof pre, enc);
    if (err == SSLNoErr) {
        size_t m = ctx_is_tls(ctx) ? wr_open(w, 2) : 0; /* TLS added the length */
        wr_bytes(w, enc, nl);
        if (ctx_is_tls(ctx))
            wr_close(w, m, 2);
        err = hs3_set_master(ctx, pre, sizeof pre);
    }
    cry_wipe(pre, sizeof pre);
    return err;
}

SSLErr hs3_parse_client_kx(SSLContext *ctx, struct rd *r)
{
    if (is_ec(ctx->suite)) { /* RFC 8422 §5.7: ClientECDiffieHellmanPublic, explicit */
        struct rd pt = rd_sub8(r);
        size_t n = rd_left(&pt);
        const uint8_t *p = rd_bytes(&pt, n);
        uint8_t z[CRY_ECDH_MAX_SECRET];
        if (!rd_ok(r) || !n || !rd_done(r))
            return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
        SSL_ENSURE(ctx->kx.data && ctx->kx.length == cry_ecdh_priv_len(ctx->group), SSLUnknownErr);
        SSLErr e = cry_ecdh_shared(ctx->group, ctx->kx.data, p, n, z);
        if (e == SSLProtocolErr) /* not a point of the group, or an all-zero X25519 secret */
            return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
        if (e == SSLNoErr)
            e = hs3_set_master(ctx, z, (uint32_t)cry_ecdh_secret_len(ctx->group));
        cry_wipe(z, sizeof z);
        return e;
    }
    if (is_dh(ctx->suite)) {
        const uint8_t *p, *g;
        uint32_t pl, gl;
        SSL_TRY(server_group(ctx, &p, &pl, &g, &gl));
        struct rd yc = rd_sub16(r);
        const uint8_t *y = rd_skip_zeros(&yc);
        size_t yl = rd_left(&yc);
        uint8_t z[DH_MAX];
        if (!rd_ok(r) || !dh_value_ok(y, yl, p, pl)) /* 1 < Yc < p - 1 */
            return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
        (void)rd_bytes(&yc, yl);
        SSL_TRY(bn_ct_modexp(y, yl, ctx->kx.data, ctx->kx.length, p, pl, z));
        SSLErr e = dh_finish(ctx, z, pl);
        cry_wipe(z, sizeof z);
        return e;
    }
    uint8_t pre[48];
    struct rd body = ctx_is_tls(ctx) ? rd_sub16(r) : *r;
    uint32_t n = (uint32_t)rd_left(&body);
    const uint8_t *enc = rd_bytes(&body, n);
    if (!rd_ok(r) || (ctx_is_tls(ctx) && !rd_done(r)))
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    if (!ctx_is_tls(ctx))
        (void)rd_bytes(r, n);
    const SSLRSAPrivateKey *key = hs3_needs_server_kx(ctx) ? ctx->export_key : ctx->key;
    SSL_TRY(pkcs1_decrypt_premaster(ctx_rand_fn, ctx, key, enc, n, ctx->client_version, pre));
    SSLErr e = hs3_set_master(ctx, pre, sizeof pre);
    cry_wipe(pre, sizeof pre);
    return e;
}

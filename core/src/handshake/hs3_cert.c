/*
 * hs3_cert.c - Certificate, CertificateRequest and CertificateVerify (RFC 6101 §5.6.2, §5.6.4,
 * §5.6.6, §5.6.8). A received chain must parse, each certificate must be issued by the next one
 * (names and signature), the leaf must carry an RSA key; then the user's SSLCheckCertificateFunc
 * decides. A client asked for a certificate that has none (or none of a type the server lists:
 * rsa_sign, and in TLS ecdsa_sign) sends a no_certificate warning (TLS: an empty list) instead.
 */
#include "handshake/hs3.h"
#include "record/alert.h"
#include "record/kdf3.h"
#include "crypto/pkcs1.h"
#include "crypto/ecdsa.h"
#include "x509/x509.h"
#include "handshake/hs_sig.h"

SSLErr hs3_build_certificate(SSLContext *ctx, struct wr *w)
{
    int ec = ctx->key && cry_key_ec_group(ctx->key);
    if (ctx->side == SSL_ClientSide &&
        (!ctx->local_chain.n || !ctx->key || cry_key_is_dsa(ctx->key) ||
         !(ec ? ctx->cert_ec_asked && ctx_is_tls(ctx) : ctx->cert_rsa_asked) ||
         (ctx->ver >= V_TLS12 && !hs_sig_choose(ctx->key, ctx->peer_sigalgs)))) {
        if (ctx_is_tls(ctx)) { /* RFC 5246 §7.4.6: TLS sends an empty list instead */
            wr_u24(w, 0);
            return SSLNoErr;
        }
        ctx->hs_skip_msg = 1;
        return alert_send(ctx, AL_WARNING, AL_NO_CERTIFICATE);
    }
    size_t m = wr_open(w, 3);
    for (uint32_t i = 0; i < ctx->local_chain.n; i++) {
        size_t c = wr_open(w, 3);
        wr_bytes(w, ctx->local_chain.certs[i].data, ctx->local_chain.certs[i].length);
        wr_close(w, c, 3);
    }
    wr_close(w, m, 3);
    if (ctx->side == SSL_ClientSide)
        ctx->client_cert_sent = 1;
    return SSLNoErr;
}

/* Whether a leaf's key suits its use: the server's, the key exchange (DSA with its parameters for
 * DHE-DSS, EC on P-256 or P-384 for ECDHE-ECDSA, RSA otherwise); a client's, RSA, or in TLS EC. */
static int leaf_fits(const SSLContext *ctx, const struct x509_cert *c)
{
    int ec = c->key_type == X509_KEY_EC && c->ec_group != 0;
    if (ctx->side == SSL_ServerSide)
        return c->key_type == X509_KEY_RSA || (ec && ctx_is_tls(ctx));
    int kx = ctx->suite ? ctx->suite->kx : 0;
    if (kx == KX_DHE_DSS)
        return c->key_type == X509_KEY_DSA && c->dsa_p_len;
    if (kx == KX_ECDHE_ECDSA)
        return ec;
    return c->key_type == X509_KEY_RSA;
}

/* Each certificate parses and is issued by the next; the leaf's key suits its use (leaf_fits). */
static SSLErr check_chain(SSLContext *ctx, const struct certlist *l)
{
    struct x509_cert a, b;
    for (uint32_t i = 0; i < l->n; i++) {
        SSLErr e = x509_parse(l->certs[i].data, l->certs[i].length, i % 2 ? &b : &a);
        if (e != SSLNoErr)
            return ctx_fail(ctx, AL_BAD_CERTIFICATE, e);
        if (i == 0 && !leaf_fits(ctx, &a))
            return ctx_fail(ctx, AL_UNSUPPORTED_CERTIFICATE, SSLBadCertificateErr);
        if (i == 0) {
            uint32_t bits = a.rsa_n_len * 8;
            for (uint8_t top = a.rsa_n_len ? a.rsa_n[0] : 0x80; top && !(top & 0x80); top <<= 1)
                bits--;
            ctx->peer_key_bits = bits;
        }
        if (i > 0) {
            e = i % 2 ? x509_check_issued(&a, &b) : x509_check_issued(&b, &a);
            if (e != SSLNoErr)
                return ctx_fail(ctx, AL_BAD_CERTIFICATE, e);
        }
    }
    return SSLNoErr;
}

SSLErr hs3_parse_certificate(SSLContext *ctx, struct rd *r)
{
    struct rd list = rd_sub24(r);
    certlist_free(ctx, &ctx->peer_chain);
    while (rd_left(&list)) {
        struct rd c = rd_sub24(&list);
        uint32_t n = (uint32_t)rd_left(&c);
        if (n == 0 || ctx->peer_chain.n == MAX_CHAIN)
            return ctx_fail(ctx, AL_BAD_CERTIFICATE, SSLBadCertificateErr);
        SSL_TRY(certlist_add(ctx, &ctx->peer_chain, rd_bytes(&c, n), n, 0));
    }
    if (!rd_ok(r))
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    if (ctx->peer_chain.n == 0) {
        if (ctx->side == SSL_ServerSide)
            return SSLNoErr; /* an empty client chain is the same as no_certificate */
        return ctx_fail(ctx, AL_BAD_CERTIFICATE, SSLBadCertificateErr);
    }
    SSL_TRY(check_chain(ctx, &ctx->peer_chain));
    if (ctx->check_cert_fn) {
        SSLErr e = ctx->check_cert_fn((int)ctx->peer_chain.n, ctx->peer_chain.certs, ctx->check_cert_ref);
        if (e != SSLNoErr)
            return ctx_fail(ctx, AL_BAD_CERTIFICATE, e);
    }
    if (ctx->side == SSL_ServerSide)
        ctx->client_cert_sent = 1;
    return SSLNoErr;
}

SSLErr hs3_build_cert_request(SSLContext *ctx, struct wr *w)
{
    int tls = ctx_is_tls(ctx);
    wr_u8(w, tls ? 2 : 1);
    wr_u8(w, 1); /* ClientCertificateType rsa_sign */
    if (tls)
        wr_u8(w, 64); /* ecdsa_sign (RFC 8422 §5.5) */
    if (ctx->ver >= V_TLS12)
        hs_sig_write_list(w); /* RFC 5246 §7.4.4: supported_signature_algorithms */
    size_t m = wr_open(w, 2);
    for (uint32_t i = 0; i < ctx->dns.n; i++) {
        size_t d = wr_open(w, 2);
        wr_bytes(w, ctx->dns.certs[i].data, ctx->dns.certs[i].length);
        wr_close(w, d, 2);
    }
    wr_close(w, m, 2);
    ctx->cert_requested = 1;
    return SSLNoErr;
}

SSLErr hs3_parse_cert_request(SSLContext *ctx, struct rd *r)
{
    struct rd types = rd_sub8(r);
    if (ctx->ver >= V_TLS12 && !(ctx->peer_sigalgs = hs_sig_read_list(r)))
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    struct rd dns = rd_sub16(r);
    if (rd_left(&types) == 0)
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    while (rd_left(&types)) { /* §5.6.4: our certificate is only sent if its type is listed */
        uint8_t t = rd_u8(&types);
        ctx->cert_rsa_asked |= t == 1;
        ctx->cert_ec_asked |= t == 64; /* ecdsa_sign */
    }
    while (rd_left(&dns)) {
        struct rd dn = rd_sub16(&dns);
        if (rd_left(&dn) == 0)
            rd_fail(r);
        (void)rd_bytes(&dn, rd_left(&dn));
    }
    ctx->cert_requested = 1;
    return SSLNoErr;
}

/* RFC 6101 §5.6.8: MD5 and SHA-1 of master + pad2 + hash(handshake_messages + master + pad1). */
/* The transcript hash a CertificateVerify signs: SSL 3.0's (above), TLS 1.0/1.1 MD5 || SHA-1 of the
 * messages, TLS 1.2 the scheme's hash of them (RFC 5246 §7.4.8). 0 for a hash we do not keep. */
static size_t cv_hash(const SSLContext *ctx, int alg, uint8_t out[CRY_MAX_DIGEST])
{
    const struct transcript *t = hs_transcript(ctx);
    if (!ctx_is_tls(ctx)) {
        kdf3_finished(&t->md5, &t->sha1, NULL, ctx->master, out);
        return 36;
    }
    const struct cry_hash *h = ctx->ver < V_TLS12 ? NULL
                               : alg == CRY_SHA1   ? &t->sha1
                               : alg == CRY_SHA256 ? &t->sha256
                               : alg == CRY_SHA384 ? &t->sha384
                               : alg == CRY_SHA512 ? &t->sha512
                                                   : NULL;
    struct cry_hash c;
    if (ctx->ver < V_TLS12) {
        c = t->md5;
        cry_hash_final(&c, out);
        c = t->sha1;
        cry_hash_final(&c, out + 16);
        return 36;
    }
    if (!h)
        return 0;
    c = *h;
    cry_hash_final(&c, out);
    return cry_hash_len(alg);
}

SSLErr hs3_build_cert_verify(SSLContext *ctx, struct wr *w)
{
    uint8_t hashes[CRY_MAX_DIGEST], sig[1024];
    uint32_t siglen;
    uint16_t scheme = 0;
    int alg = -1;
    if (ctx->ver >= V_TLS12) {
        scheme = hs_sig_choose(ctx->key, ctx->peer_sigalgs);
        SSL_ENSURE(scheme, SSLNegotiationErr);
        alg = hs_sig_hash(scheme);
        wr_u16(w, scheme);
    }
    size_t hl = cv_hash(ctx, alg, hashes);
    SSL_TRY(hs_sig_sign(ctx, ctx->key, scheme, hashes, hl, sig, sizeof sig, &siglen));
    size_t m = wr_open(w, 2);
    wr_bytes(w, sig, siglen);
    wr_close(w, m, 2);
    return SSLNoErr;
}

SSLErr hs3_parse_cert_verify(SSLContext *ctx, struct rd *r)
{
    uint16_t scheme = ctx->ver >= V_TLS12 ? rd_u16(r) : 0;
    int alg = scheme ? hs_sig_hash(scheme) : -1;
    struct rd s = rd_sub16(r);
    uint32_t n = (uint32_t)rd_left(&s);
    const uint8_t *sig = rd_bytes(&s, n);
    if (!rd_ok(r) || !rd_done(r)) /* the framing is checked before the signature */
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    struct x509_cert leaf;
    SSL_TRY(x509_parse(ctx->peer_chain.certs[0].data, ctx->peer_chain.certs[0].length, &leaf));
    uint8_t hashes[CRY_MAX_DIGEST];
    size_t hl = ctx->ver >= V_TLS12 && alg < 0 ? 0 : cv_hash(ctx, alg, hashes);
    if (!hl || (scheme && !hs_sig_fits(&leaf, scheme))) /* not ours, or not the key's type */
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    if (!hs_sig_verify(&leaf, scheme, hashes, hl, sig, n))
        return ctx_fail(ctx, ctx_is_tls(ctx) ? AL_DECRYPT_ERROR : AL_HANDSHAKE_FAILURE,
                        SSLProtocolErr);
    return SSLNoErr;
}

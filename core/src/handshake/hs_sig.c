/*
 * hs_sig.c - transcript hashes and TLS 1.2 signatures (hs_sig.h). The DigestInfo prefixes are the
 * DER of RFC 8017 §9.2 note 1; a signature is checked by re-encoding, never by parsing the block.
 */
#include "handshake/hs_sig.h"
#include "crypto/pkcs1.h"
#include "crypto/ecdsa.h"
#include "crypto/ecdh.h"
#include <string.h>

SSLErr hs_transcript_init(SSLContext *ctx)
{
    if (!ctx->transcript.data)
        SSL_TRY(ctx_alloc(ctx, &ctx->transcript, sizeof(struct transcript)));
    struct transcript *t = hs_transcript(ctx);
    cry_hash_init(&t->md5, CRY_MD5);
    cry_hash_init(&t->sha1, CRY_SHA1);
    cry_hash_init(&t->sha256, CRY_SHA256);
    cry_hash_init(&t->sha384, CRY_SHA384);
    cry_hash_init(&t->sha512, CRY_SHA512);
    return SSLNoErr;
}

/* A resumed TLS 1.2 handshake has no CertificateVerify: from the message that settles it (the
 * ClientHello on a server, the ServerHello on a client, each hashed after it is parsed) only
 * hs_transcript_hash's hash, the suite's PRF hash, is ever asked for, so only that one is fed. */
void hs_transcript_add(SSLContext *ctx, const uint8_t *p, size_t n)
{
    struct transcript *t = hs_transcript(ctx);
    if (ctx->resumed && ctx->ver >= V_TLS12 && ctx->suite) {
        cry_hash_update(ctx->suite->prf == CRY_SHA384 ? &t->sha384 : &t->sha256, p, n);
        return;
    }
    cry_hash_update(&t->md5, p, n);
    cry_hash_update(&t->sha1, p, n);
    if (ctx->ver_max >= V_TLS12 && (ctx->ver == 0 || ctx->ver >= V_TLS12)) {
        cry_hash_update(&t->sha256, p, n);
        cry_hash_update(&t->sha384, p, n);
        cry_hash_update(&t->sha512, p, n);
    }
}

static size_t hash_copy(const struct cry_hash *h, uint8_t *out)
{
    struct cry_hash c = *h;
    size_t n = cry_hash_len(c.alg);
    cry_hash_final(&c, out);
    return n;
}

size_t hs_transcript_hash(const SSLContext *ctx, uint8_t out[CRY_MAX_DIGEST])
{
    const struct transcript *t = hs_transcript(ctx);
    if (ctx->ver >= V_TLS12)
        return hash_copy(ctx->suite && ctx->suite->prf == CRY_SHA384 ? &t->sha384 : &t->sha256, out);
    hash_copy(&t->md5, out);
    hash_copy(&t->sha1, out + 16);
    return 36;
}

/* What we send and accept, in our preference order: SHA-256, SHA-384, SHA-512, then SHA-1 for older
 * peers; ECDSA beside RSA at each hash. */
static const uint16_t ours[] = {SIG_ECDSA_SHA256, SIG_RSA_SHA256, SIG_ECDSA_SHA384, SIG_RSA_SHA384,
                                SIG_ECDSA_SHA512, SIG_RSA_SHA512, SIG_ECDSA_SHA1, SIG_RSA_SHA1};

uint32_t hs_sig_bit(uint16_t alg)
{
    unsigned hash = alg >> 8, sig = alg & 0xff;
    return hash <= 6 && sig >= 1 && sig <= 3 ? 1u << (hash * 4 + sig) : 0;
}

void hs_sig_write_list(struct wr *w)
{
    size_t m = wr_open(w, 2);
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        wr_u16(w, ours[i]);
    wr_close(w, m, 2);
}

uint32_t hs_sig_read_list(struct rd *r)
{
    struct rd l = rd_sub16(r);
    uint32_t bits = 0;
    if (rd_left(&l) < 2 || rd_left(&l) % 2)
        return 0;
    while (rd_left(&l))
        bits |= hs_sig_bit(rd_u16(&l));
    return rd_ok(r) ? (bits ? bits : 1u) /* a list of only unknown schemes: nothing usable */ : 0;
}

int hs_sig_offered(uint16_t scheme)
{
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        if (ours[i] == scheme)
            return 1;
    return 0;
}

int hs_sig_fits(const struct x509_cert *leaf, uint16_t scheme)
{
    unsigned type = leaf->key_type == X509_KEY_EC ? 3 : leaf->key_type == X509_KEY_RSA ? 1 : 0;
    return hs_sig_offered(scheme) && (scheme & 0xff) == type;
}

uint16_t hs_sig_choose(const SSLRSAPrivateKey *key, uint32_t peer_bits)
{
    if (!key || cry_key_is_dsa(key))
        return 0;
    uint16_t ec = cry_key_ec_group(key);
    unsigned type = ec ? 3 : 1;
    if (peer_bits == 0)
        return (uint16_t)(0x0200 | type);
    if (ec == CRY_EC_SECP384R1 && (peer_bits & hs_sig_bit(SIG_ECDSA_SHA384)))
        return SIG_ECDSA_SHA384; /* the curve's own hash first */
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        if ((ours[i] & 0xff) == type && (peer_bits & hs_sig_bit(ours[i])))
            return ours[i];
    return 0;
}

int hs_sig_hash(uint16_t alg)
{
    if (!hs_sig_offered(alg))
        return -1;
    switch (alg >> 8) {
    case 2: return CRY_SHA1;
    case 4: return CRY_SHA256;
    case 5: return CRY_SHA384;
    default: return CRY_SHA512;
    }
}

/* DER of DigestInfo up to the digest's OCTET STRING contents. */
static size_t digest_info(int alg, uint8_t out[19])
{
    static const uint8_t sha1[15] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                     0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
    static const uint8_t sha2[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    if (alg == CRY_SHA1) {
        memcpy(out, sha1, sizeof sha1);
        return sizeof sha1;
    }
    memcpy(out, sha2, sizeof sha2);
    size_t dl = cry_hash_len(alg);
    out[1] = (uint8_t)(0x11 + dl); /* SEQUENCE length: 13 bytes of AlgorithmIdentifier + 2 + dl */
    out[14] = alg == CRY_SHA256 ? 1 : alg == CRY_SHA384 ? 2 : 3;
    out[18] = (uint8_t)dl;
    return sizeof sha2;
}

static size_t encode(int di, int alg, const uint8_t *h, size_t hl, uint8_t out[19 + 64])
{
    size_t n = di ? digest_info(alg, out) : 0;
    memcpy(out + n, h, hl);
    return n + hl;
}

SSLErr hs_sig_sign(SSLContext *ctx, const SSLRSAPrivateKey *key, uint16_t scheme, const uint8_t *h,
                   size_t hl, uint8_t *sig, uint32_t cap, uint32_t *siglen)
{
    uint8_t in[19 + 64];
    SSL_ENSURE(hl <= 64 && (scheme || hl == 36), SSLBadParameterErr);
    if (cry_key_ec_group(key)) {
        size_t n = cap;
        SSL_TRY(scheme ? cry_ecdsa_sign(key, h, hl, sig, &n, ctx_rand_fn, ctx)
                       : cry_ecdsa_sign(key, h + 16, 20, sig, &n, ctx_rand_fn, ctx));
        *siglen = (uint32_t)n;
        return SSLNoErr;
    }
    size_t n = encode(scheme != 0, hs_sig_hash(scheme), h, hl, in);
    return pkcs1_sign(key, in, (uint32_t)n, sig, cap, siglen);
}

int hs_sig_verify(const struct x509_cert *leaf, uint16_t scheme, const uint8_t *h, size_t hl,
                  const uint8_t *sig, uint32_t siglen)
{
    uint8_t in[19 + 64];
    if (hl > 64 || !sig || (!scheme && hl != 36))
        return 0;
    if (leaf->key_type == X509_KEY_EC) {
        if (scheme && (scheme & 0xff) != 3)
            return 0;
        return scheme ? cry_ecdsa_verify(leaf->ec_group, leaf->ec_point, leaf->ec_point_len, h, hl,
                                         sig, siglen)
                      : cry_ecdsa_verify(leaf->ec_group, leaf->ec_point, leaf->ec_point_len, h + 16,
                                         20, sig, siglen);
    }
    if (leaf->key_type != X509_KEY_RSA || (scheme && (scheme & 0xff) != 1))
        return 0;
    size_t n = encode(scheme != 0, hs_sig_hash(scheme), h, hl, in);
    return pkcs1_verify(leaf->rsa_n, leaf->rsa_n_len, leaf->rsa_e, leaf->rsa_e_len, sig, siglen,
                        in, (uint32_t)n);
}

/* One DER INTEGER of an unsigned big-endian number: leading zeros dropped, one 0x00 put back when
 * the top bit is set (X.690 §8.3.2). The lengths here are under 128: short form. */
static void der_uint(struct wr *w, const uint8_t *n, size_t len)
{
    while (len > 1 && n[0] == 0)
        n++, len--;
    int pad = n[0] & 0x80 ? 1 : 0;
    wr_u8(w, 0x02);
    wr_u8(w, (uint8_t)(len + (size_t)pad));
    if (pad)
        wr_u8(w, 0);
    wr_bytes(w, n, len);
}

SSLErr hs_sig_dss_der(const uint8_t *rs, size_t ql, uint8_t *out, uint32_t cap, uint32_t *len)
{
    SSL_ENSURE(ql > 0 && ql <= 32, SSLBadParameterErr); /* 2 * (2 + 33) + 2 < 128: short forms */
    struct wr w;
    wr_init(&w, out, cap);
    wr_u8(&w, 0x30);
    size_t at = w.len;
    wr_u8(&w, 0);
    der_uint(&w, rs, ql);
    der_uint(&w, rs + ql, ql);
    SSL_ENSURE(wr_ok(&w), SSLOverflowErr);
    out[at] = (uint8_t)(w.len - at - 1);
    *len = (uint32_t)w.len;
    return SSLNoErr;
}

/*
 * x509.c - X.509 v1/v2/v3 certificates as SSL 3.0 needs them (RFC 5280 §4.1 structure): parse into
 * pointers to the caller's DER, check one certificate issued another (names byte for byte, then a
 * PKCS#1 v1.5 RSA signature over TBSCertificate, RFC 8017 §8.2.2 / §9.2, compared as a whole
 * rebuilt block, or an ECDSA one, RFC 5758 §3.2, by an EC parent on P-256 / P-384), and render a
 * Name as text. Extensions are checked for form and otherwise ignored.
 * No path building, no policy or usage checks, no time checks (the caller's check function decides).
 */
#include "x509/x509.h"
#include "crypto/crypto_ltc.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"
#include "x509/der.h"
#include <string.h>

#define X509_MAX_RSA_BYTES 1024 /* 8192-bit moduli at most */

/* OBJECT IDENTIFIER contents */
static const uint8_t oid_pkcs1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01}; /* 1.2.840.113549.1.1 */
static const uint8_t oid_dsa[] = {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01};        /* 1.2.840.10040.4.1 */
static const uint8_t oid_ec_pub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};     /* 1.2.840.10045.2.1 */
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}; /* prime256v1 */
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};                   /* secp384r1 */
/* ecdsa-with-SHA1 1.2.840.10045.4.1; ecdsa-with-SHA256/384/512 1.2.840.10045.4.3.2/3/4 */
static const uint8_t oid_ecdsa_sha1[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01};
static const uint8_t oid_ecdsa_sha2[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03};

/* DigestInfo's hash OIDs (RFC 8017 §9.2 note 1), indexed by enum cry_hash_alg */
static const struct {
    uint8_t pkcs1_sig; /* last arc of the ...WithRSAEncryption OID */
    uint8_t len;
    uint8_t oid[9];
} hash_tab[] = {
    [CRY_MD5] = {4, 8, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05}},
    [CRY_SHA1] = {5, 5, {0x2b, 0x0e, 0x03, 0x02, 0x1a}},
    [CRY_SHA256] = {11, 9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}},
    [CRY_SHA384] = {12, 9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}},
    [CRY_SHA512] = {13, 9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}},
};
#define HASH_TAB_N ((int)(sizeof hash_tab / sizeof hash_tab[0]))

/* Is (p, len) 1.2.840.113549.1.1.<arc>? */
static int is_pkcs1_oid(const uint8_t *p, uint32_t len, uint8_t arc)
{
    if (!p || len != sizeof oid_pkcs1 + 1 || !der_oid_eq(p, len - 1, oid_pkcs1, sizeof oid_pkcs1))
        return 0;
    struct rd c;
    rd_init(&c, p, len);
    (void)rd_bytes(&c, len - 1);
    return rd_u8(&c) == arc;
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }; *params_null is 1
 * if the parameters are absent or NULL. */
static void parse_alg(struct rd *r, const uint8_t **oid, uint32_t *oidlen, int *params_null)
{
    struct rd s = der_tlv(r, DER_SEQUENCE);
    der_oid(&s, oid, oidlen);
    *params_null = 1;
    if (rd_left(&s)) {
        *params_null = der_peek(&s) == DER_NULL;
        der_skip(&s);
    }
    rd_done(&s);
}

/* Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue, non-empty);
 * AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }. */
static void check_name(struct rd *r, const uint8_t **p, uint32_t *len)
{
    struct rd name = der_tlv_span(r, DER_SEQUENCE, p, len);
    while (rd_left(&name)) {
        struct rd rdn = der_tlv(&name, DER_SET);
        if (rd_left(&rdn) == 0)
            rd_fail(r);
        while (rd_left(&rdn)) {
            struct rd atv = der_tlv(&rdn, DER_SEQUENCE);
            const uint8_t *o;
            uint32_t olen;
            der_oid(&atv, &o, &olen);
            der_skip(&atv);
            rd_done(&atv);
        }
    }
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension;
 * Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
static void check_extensions(struct rd *r)
{
    struct rd exp = der_tlv(r, DER_CONTEXT(3));
    struct rd list = der_tlv(&exp, DER_SEQUENCE);
    if (rd_left(&list) == 0)
        rd_fail(r);
    while (rd_left(&list)) {
        struct rd ext = der_tlv(&list, DER_SEQUENCE);
        const uint8_t *o;
        uint32_t olen;
        der_oid(&ext, &o, &olen);
        if (der_peek(&ext) == DER_BOOLEAN) {
            struct rd b = der_tlv(&ext, DER_BOOLEAN);
            if (rd_u8(&b) != 0xff) /* DER: TRUE is 0xff, and FALSE (the default) is omitted */
                rd_fail(r);
            rd_done(&b);
        }
        (void)der_tlv(&ext, DER_OCTET_STRING);
        rd_done(&ext);
    }
    rd_done(&exp);
}

/* DSA (RFC 3279 §2.3.2): AlgorithmIdentifier parameters Dss-Parms ::= SEQUENCE { p, q, g }, the
 * key an INTEGER y. Without parameters (inherited from the issuer) the key stays unusable. */
static SSLErr parse_dsa_key(struct x509_cert *c, const uint8_t *key, uint32_t keylen)
{
    struct rd all, spki, alg, pqg, kr;
    rd_init(&all, c->spki, c->spki_len);
    spki = der_tlv(&all, DER_SEQUENCE);
    alg = der_tlv(&spki, DER_SEQUENCE);
    der_skip(&alg); /* the OID */
    c->key_type = X509_KEY_DSA;
    if (!rd_left(&alg))
        return SSLNoErr;
    pqg = der_tlv(&alg, DER_SEQUENCE);
    SSLErr e[4];
    e[0] = der_uint(&pqg, &c->dsa_p, &c->dsa_p_len, X509_MAX_RSA_BYTES);
    e[1] = der_uint(&pqg, &c->dsa_q, &c->dsa_q_len, X509_MAX_RSA_BYTES);
    e[2] = der_uint(&pqg, &c->dsa_g, &c->dsa_g_len, X509_MAX_RSA_BYTES);
    rd_init(&kr, key, keylen);
    e[3] = der_uint(&kr, &c->dsa_y, &c->dsa_y_len, X509_MAX_RSA_BYTES);
    if (!rd_done(&pqg) || !rd_done(&alg) || !rd_done(&kr))
        return ASNBadEncodingErr;
    for (int i = 0; i < 4; i++)
        SSL_TRY(e[i]);
    SSL_ENSURE(c->dsa_p_len && c->dsa_q_len && c->dsa_g_len && c->dsa_y_len, ASNBadEncodingErr);
    return SSLNoErr;
}

/* EC (RFC 5480 §2.1.1, §2.2): parameters ECParameters, of which only namedCurve (an OID) is used
 * here (specifiedCurve and implicitCurve leave the key of an unknown type); the key an ECPoint,
 * the BIT STRING contents as they are (the curve and point are checked when verifying). */
static SSLErr parse_ec_key(struct x509_cert *c, const uint8_t *key, uint32_t keylen)
{
    struct rd all, spki, alg;
    rd_init(&all, c->spki, c->spki_len);
    spki = der_tlv(&all, DER_SEQUENCE);
    alg = der_tlv(&spki, DER_SEQUENCE);
    der_skip(&alg); /* the OID */
    if (der_peek(&alg) != DER_OID) /* absent, NULL or a specifiedCurve: not usable */
        return SSLNoErr;
    const uint8_t *curve;
    uint32_t clen;
    der_oid(&alg, &curve, &clen);
    SSL_ENSURE(rd_done(&alg), ASNBadEncodingErr);
    c->key_type = X509_KEY_EC;
    c->ec_group = der_oid_eq(curve, clen, oid_p256, sizeof oid_p256)   ? CRY_EC_SECP256R1
                  : der_oid_eq(curve, clen, oid_p384, sizeof oid_p384) ? CRY_EC_SECP384R1
                                                                       : 0;
    c->ec_point = key;
    c->ec_point_len = keylen;
    return SSLNoErr;
}

/* SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING };
 * RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1). */
static SSLErr parse_spki(struct rd *r, struct x509_cert *c)
{
    struct rd spki = der_tlv_span(r, DER_SEQUENCE, &c->spki, &c->spki_len);
    const uint8_t *oid, *key;
    uint32_t oidlen, keylen;
    int params_null;
    parse_alg(&spki, &oid, &oidlen, &params_null);
    der_bit_string(&spki, &key, &keylen);
    rd_done(&spki);
    c->key_type = X509_KEY_OTHER;
    if (!rd_ok(r))
        return ASNBadEncodingErr;
    if (der_oid_eq(oid, oidlen, oid_dsa, sizeof oid_dsa))
        return parse_dsa_key(c, key, keylen);
    if (der_oid_eq(oid, oidlen, oid_ec_pub, sizeof oid_ec_pub))
        return parse_ec_key(c, key, keylen);
    if (!is_pkcs1_oid(oid, oidlen, 1)) /* rsaEncryption */
        return SSLNoErr;
    SSL_ENSURE(params_null, ASNBadEncodingErr);
    struct rd kr, seq;
    rd_init(&kr, key, keylen);
    seq = der_tlv(&kr, DER_SEQUENCE);
    SSLErr en = der_uint(&seq, &c->rsa_n, &c->rsa_n_len, X509_MAX_RSA_BYTES);
    SSLErr ee = der_uint(&seq, &c->rsa_e, &c->rsa_e_len, X509_MAX_RSA_BYTES);
    if (!rd_done(&seq) || !rd_done(&kr))
        return ASNBadEncodingErr;
    SSL_TRY(en);
    SSL_TRY(ee);
    SSL_ENSURE(c->rsa_n_len > 0 && c->rsa_e_len > 0, ASNBadEncodingErr);
    c->key_type = X509_KEY_RSA;
    return SSLNoErr;
}

static int sig_hash_of(const uint8_t *oid, uint32_t oidlen, int params_null)
{
    for (int i = 0; i < HASH_TAB_N; i++)
        if (params_null && is_pkcs1_oid(oid, oidlen, hash_tab[i].pkcs1_sig))
            return i;
    return -1;
}

/* ecdsa-with-SHA* (RFC 5758 §3.2, RFC 3279 §2.2.3): the parameters field must be absent. The
 * hash, or -1 if oid is not one of them. */
static int ecdsa_hash_of(const uint8_t *oid, uint32_t oidlen)
{
    if (der_oid_eq(oid, oidlen, oid_ecdsa_sha1, sizeof oid_ecdsa_sha1))
        return CRY_SHA1;
    if (!oid || oidlen != sizeof oid_ecdsa_sha2 + 1 ||
        !der_oid_eq(oid, oidlen - 1, oid_ecdsa_sha2, sizeof oid_ecdsa_sha2))
        return -1;
    switch (oid[oidlen - 1]) {
    case 2: return CRY_SHA256;
    case 3: return CRY_SHA384;
    case 4: return CRY_SHA512;
    default: return -1;
    }
}

/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber, signature, issuer,
 *   validity, subject, subjectPublicKeyInfo, issuerUniqueID [1] IMPLICIT, subjectUniqueID [2]
 *   IMPLICIT, extensions [3] EXPLICIT }  (RFC 5280 §4.1) */
SSLErr x509_parse(const uint8_t *der, uint32_t len, struct x509_cert *c)
{
    SSL_ENSURE(c && (der || !len), SSLBadParameterErr);
    memset(c, 0, sizeof *c);
    c->sig_hash = -1;
    struct rd r, cert, tbs, val;
    rd_init(&r, der, len);
    cert = der_tlv_span(&r, DER_SEQUENCE, &c->der, &c->der_len);
    tbs = der_tlv_span(&cert, DER_SEQUENCE, &c->tbs, &c->tbs_len);

    uint32_t v = 0;
    if (der_peek(&tbs) == DER_CONTEXT(0)) {
        struct rd ver = der_tlv(&tbs, DER_CONTEXT(0));
        der_small_uint(&ver, &v);
        rd_done(&ver);
        if (v != 1 && v != 2) /* v1 must be encoded by omission (DER default) */
            rd_fail(&r);
    }
    c->version = (int)v + 1;
    der_int_raw(&tbs, &c->serial, &c->serial_len);

    const uint8_t *inner_alg, *outer_alg, *oid;
    uint32_t inner_len, outer_len, oidlen;
    int params_null;
    struct rd alg = der_tlv_span(&tbs, DER_SEQUENCE, &inner_alg, &inner_len);
    (void)alg;
    check_name(&tbs, &c->issuer, &c->issuer_len);
    val = der_tlv(&tbs, DER_SEQUENCE);
    der_time(&val, &c->not_before);
    der_time(&val, &c->not_after);
    rd_done(&val);
    check_name(&tbs, &c->subject, &c->subject_len);
    SSLErr ke = parse_spki(&tbs, c);
    if (ke != SSLNoErr && ke != ASNBadEncodingErr)
        return ke;
    if (c->version >= 2 && der_peek(&tbs) == DER_CONTEXT_PRIM(1))
        der_skip(&tbs);
    if (c->version >= 2 && der_peek(&tbs) == DER_CONTEXT_PRIM(2))
        der_skip(&tbs);
    if (c->version == 3 && der_peek(&tbs) == DER_CONTEXT(3))
        check_extensions(&tbs);
    rd_done(&tbs);

    struct rd outer = der_tlv_span(&cert, DER_SEQUENCE, &outer_alg, &outer_len);
    (void)outer;
    der_bit_string(&cert, &c->sig, &c->sig_len);
    rd_done(&cert);
    rd_done(&r);
    if (!rd_ok(&r) || ke != SSLNoErr)
        return ASNBadEncodingErr;
    /* RFC 5280 §4.1.1.2: signatureAlgorithm must equal TBSCertificate.signature */
    SSL_ENSURE(outer_len == inner_len && memcmp(outer_alg, inner_alg, inner_len) == 0,
               ASNBadEncodingErr);
    rd_init(&r, outer_alg, outer_len);
    parse_alg(&r, &oid, &oidlen, &params_null);
    SSL_ENSURE(rd_done(&r), ASNBadEncodingErr);
    c->sig_hash = sig_hash_of(oid, oidlen, params_null);
    int eh = ecdsa_hash_of(oid, oidlen);
    if (eh >= 0) {
        /* absent parameters: the AlgorithmIdentifier is SEQUENCE { OID } and nothing more */
        int absent = outer_len == 2 + 2 + oidlen && outer_alg[1] == 2 + oidlen;
        c->sig_hash = absent ? eh : -1;
        c->sig_ecdsa = absent;
    }
    return SSLNoErr;
}

SSLErr x509_rsa_verify_digest(const uint8_t *n, uint32_t nlen, const uint8_t *e, uint32_t elen,
                              int hash_alg, const uint8_t *digest, const uint8_t *sig,
                              uint32_t siglen)
{
    uint8_t got[X509_MAX_RSA_BYTES], want[X509_MAX_RSA_BYTES];
    SSL_ENSURE(n && e && digest && sig && hash_alg >= 0 && hash_alg < HASH_TAB_N,
               X509CertChainInvalidErr);
    SSL_ENSURE(nlen > 0 && nlen <= sizeof got && siglen == nlen, X509CertChainInvalidErr);
    SSL_ENSURE(cry_bn_cmp(sig, siglen, n, nlen) < 0, X509CertChainInvalidErr);
    size_t hlen = cry_hash_len(hash_alg);

    /* DigestInfo ::= SEQUENCE { SEQUENCE { hash OID, NULL }, OCTET STRING digest }: every length
     * here is below 128, so each fits the one-byte short form the writer's 1-byte prefix gives. */
    uint8_t di[2 + 2 + 2 + 9 + 2 + 2 + CRY_MAX_DIGEST];
    struct wr w;
    wr_init(&w, di, sizeof di);
    wr_u8(&w, DER_SEQUENCE);
    size_t m0 = wr_open(&w, 1);
    wr_u8(&w, DER_SEQUENCE);
    size_t m1 = wr_open(&w, 1);
    wr_u8(&w, DER_OID);
    size_t m2 = wr_open(&w, 1);
    wr_bytes(&w, hash_tab[hash_alg].oid, hash_tab[hash_alg].len);
    wr_close(&w, m2, 1);
    wr_u8(&w, DER_NULL);
    wr_u8(&w, 0);
    wr_close(&w, m1, 1);
    wr_u8(&w, DER_OCTET_STRING);
    size_t m3 = wr_open(&w, 1);
    wr_bytes(&w, digest, hlen);
    wr_close(&w, m3, 1);
    wr_close(&w, m0, 1);
    SSL_ENSURE(wr_ok(&w) && w.len + 11 <= nlen, X509CertChainInvalidErr);

    /* EMSA-PKCS1-v1_5 (RFC 8017 §9.2): 00 01 FF..FF 00 DigestInfo, at least 8 FF bytes */
    struct wr b;
    wr_init(&b, want, nlen);
    wr_u8(&b, 0x00);
    wr_u8(&b, 0x01);
    for (size_t i = 0; i < nlen - 3 - w.len; i++)
        wr_u8(&b, 0xff);
    wr_u8(&b, 0x00);
    wr_bytes(&b, di, w.len);
    SSL_ENSURE(wr_ok(&b) && b.len == nlen, X509CertChainInvalidErr);

    SSL_ENSURE(cry_rsa_public(n, nlen, e, elen, sig, siglen, got) == SSLNoErr,
               X509CertChainInvalidErr);
    SSL_ENSURE(memcmp(got, want, nlen) == 0, X509CertChainInvalidErr);
    return SSLNoErr;
}

SSLErr x509_check_issued(const struct x509_cert *child, const struct x509_cert *parent)
{
    SSL_ENSURE(child && parent, SSLBadParameterErr);
    SSL_ENSURE(child->issuer_len == parent->subject_len &&
                   memcmp(child->issuer, parent->subject, child->issuer_len) == 0,
               X509NamesNotEqualErr);
    SSL_ENSURE(child->sig_hash >= 0 && child->sig_hash < HASH_TAB_N, X509CertChainInvalidErr);
    uint8_t digest[CRY_MAX_DIGEST];
    if (child->sig_ecdsa) { /* an ECDSA signature needs an EC parent on a curve we have */
        SSL_ENSURE(parent->key_type == X509_KEY_EC && parent->ec_group != 0,
                   X509CertChainInvalidErr);
        cry_hash_once(child->sig_hash, child->tbs, child->tbs_len, digest);
        SSL_ENSURE(cry_ecdsa_verify(parent->ec_group, parent->ec_point, parent->ec_point_len,
                                    digest, cry_hash_len(child->sig_hash), child->sig,
                                    child->sig_len) == 1,
                   X509CertChainInvalidErr);
        return SSLNoErr;
    }
    SSL_ENSURE(parent->key_type == X509_KEY_RSA, X509CertChainInvalidErr);
    cry_hash_once(child->sig_hash, child->tbs, child->tbs_len, digest);
    return x509_rsa_verify_digest(parent->rsa_n, parent->rsa_n_len, parent->rsa_e,
                                  parent->rsa_e_len, child->sig_hash, digest, child->sig,
                                  child->sig_len);
}

/* ---- Names as text ---------------------------------------------------------------------------- */

struct textout {
    char *p;
    size_t cap, len; /* len counts what fits; the buffer always holds cap-1 chars at most */
};

static void out_c(struct textout *o, char ch)
{
    if (o->len + 1 < o->cap)
        o->p[o->len++] = ch;
}

static void out_s(struct textout *o, const char *s)
{
    while (*s)
        out_c(o, *s++);
}

static void out_hex(struct textout *o, uint8_t b)
{
    static const char hx[] = "0123456789ABCDEF";
    out_c(o, '\\');
    out_c(o, hx[b >> 4]);
    out_c(o, hx[b & 15]);
}

/* Dotted decimal of OID contents (already checked by der_oid). */
static SSLErr out_oid(struct textout *o, const uint8_t *p, uint32_t len)
{
    struct rd c;
    rd_init(&c, p, len);
    int first = 1;
    while (rd_left(&c)) {
        uint64_t v = 0;
        uint8_t b;
        do {
            SSL_ENSURE(v < (UINT64_C(1) << 56), ASNBadEncodingErr);
            b = rd_u8(&c);
            v = v << 7 | (b & 0x7f);
        } while (b & 0x80);
        char num[24];
        if (first) {
            uint64_t x = v < 80 ? v / 40 : 2;
            out_c(o, (char)('0' + x));
            out_c(o, '.');
            v -= x * 40;
            first = 0;
        } else {
            out_c(o, '.');
        }
        int k = 0;
        do {
            num[k++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (k)
            out_c(o, num[--k]);
    }
    return SSLNoErr;
}

static const struct {
    const char *name;
    uint8_t len;
    uint8_t oid[9];
} attr_tab[] = {
    {"CN", 3, {0x55, 0x04, 0x03}},
    {"C", 3, {0x55, 0x04, 0x06}},
    {"L", 3, {0x55, 0x04, 0x07}},
    {"ST", 3, {0x55, 0x04, 0x08}},
    {"O", 3, {0x55, 0x04, 0x0a}},
    {"OU", 3, {0x55, 0x04, 0x0b}},
    {"emailAddress", 9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}},
};

static SSLErr name_text(const uint8_t *name, uint32_t len, struct textout *out)
{
    struct textout o = *out; /* a working copy; len is published on success */
    struct rd r, seq;
    rd_init(&r, name, len);
    seq = der_tlv(&r, DER_SEQUENCE);
    int first = 1;
    while (rd_left(&seq)) {
        struct rd rdn = der_tlv(&seq, DER_SET);
        SSL_ENSURE(rd_left(&rdn) > 0, ASNBadEncodingErr);
        for (int in_rdn = 0; rd_left(&rdn); in_rdn = 1) {
            struct rd atv = der_tlv(&rdn, DER_SEQUENCE);
            const uint8_t *oid;
            uint32_t oidlen;
            uint8_t tag;
            der_oid(&atv, &oid, &oidlen);
            struct rd value = der_any(&atv, &tag);
            SSL_ENSURE(rd_done(&atv), ASNBadEncodingErr);
            if (!first)
                out_s(&o, in_rdn ? "+" : ", ");
            first = 0;
            const char *sn = NULL;
            for (size_t i = 0; i < sizeof attr_tab / sizeof attr_tab[0]; i++)
                if (der_oid_eq(oid, oidlen, attr_tab[i].oid, attr_tab[i].len))
                    sn = attr_tab[i].name;
            if (sn)
                out_s(&o, sn);
            else
                SSL_TRY(out_oid(&o, oid, oidlen));
            out_c(&o, '=');
            while (rd_left(&value)) {
                uint8_t b = rd_u8(&value);
                if (b < 0x20 || b > 0x7e)
                    out_hex(&o, b);
                else if (b == '\\' || b == ',' || b == '+')
                    out_c(&o, '\\'), out_c(&o, (char)b);
                else
                    out_c(&o, (char)b);
            }
        }
    }
    SSL_ENSURE(rd_done(&r), ASNBadEncodingErr);
    out->len = o.len;
    return SSLNoErr;
}

SSLErr x509_name_string(const uint8_t *name, uint32_t len, char *out, size_t cap)
{
    SSL_ENSURE(name && out && cap > 0, SSLBadParameterErr);
    struct textout o = {out, cap, 0};
    SSLErr e = name_text(name, len, &o);
    out[e == SSLNoErr ? o.len : 0] = 0;
    return e;
}

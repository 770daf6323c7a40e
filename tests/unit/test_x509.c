/*
 * DER and X.509 (core/src/x509/der.c, core/src/x509/x509.c): every certificate in tests/data parses with the
 * subject, issuer, version, validity and key openssl reported when it made them (README there);
 * chains verify; names, signatures and PKCS#1 blocks that are wrong in one place fail; every
 * truncation and every one-byte change of every length octet fails cleanly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/crypto_ltc.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"
#include "x509/der.h"
#include "sslref/sslx.h"
#include "x509/x509.h"

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SSLREF_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    char *buf = malloc(1 << 16);
    cr_assert(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* The @index-th CERTIFICATE of a PEM file as malloc'd DER. */
static uint8_t *load_cert_n(const char *name, int index, uint32_t *len)
{
    size_t n, pos = 0;
    char *pem = slurp(name, &n);
    uint8_t *der = NULL;
    for (int i = 0; i <= index; i++) {
        free(der);
        der = NULL;
        cr_assert_eq(SSLXPEMDecode(pem, n, &pos, "CERTIFICATE", &der, len), SSLNoErr, "%s", name);
    }
    free(pem);
    return der;
}

static uint8_t *load_cert(const char *name, uint32_t *len) { return load_cert_n(name, 0, len); }

static uint32_t bits_of(const uint8_t *p, uint32_t n)
{
    if (!n)
        return 0;
    uint32_t b = 8 * n;
    for (uint8_t top = p[0]; !(top & 0x80); top <<= 1)
        b--;
    return b;
}

/* What openssl printed for each file (openssl x509 -text / -startdate, converted with timegm). */
static const struct expect {
    const char *file, *subject, *issuer;
    int version, key_type;
    uint32_t bits;
    int sig_hash;
    int64_t not_before, not_after;
    uint8_t serial;
} certs[] = {
    {"server-selfsigned.pem", "CN=localhost", "CN=localhost", 3, X509_KEY_RSA, 2048, CRY_SHA256,
     1795725571, 2426445571, 0x01},
    {"server1024-cert.pem", "CN=localhost", "CN=localhost", 3, X509_KEY_RSA, 1024, CRY_SHA256,
     1795725571, 2426445571, 0x02},
    {"ca-cert.pem", "CN=sslref test CA", "CN=sslref test CA", 3, X509_KEY_RSA, 2048, CRY_SHA256,
     1795725571, 2741805571, 0x64},
    {"server-cert.pem", "CN=localhost", "CN=sslref test CA", 3, X509_KEY_RSA, 2048, CRY_SHA256,
     1795725571, 2426445571, 0x65},
    {"client-cert.pem", "CN=sslref test client", "CN=sslref test CA", 3, X509_KEY_RSA, 2048,
     CRY_SHA256, 1795725571, 2426445571, 0x66},
    {"v1-cert.pem", "CN=sslref v1 leaf", "CN=sslref test CA", 1, X509_KEY_RSA, 2048, CRY_SHA256,
     1795725572, 2426445572, 0x67},
    {"md5-cert.pem", "CN=sslref md5 leaf", "CN=sslref test CA", 1, X509_KEY_RSA, 2048, CRY_MD5,
     1795725572, 2426445572, 0x68},
    {"sha1-cert.pem", "CN=sslref sha1 leaf", "CN=sslref test CA", 1, X509_KEY_RSA, 2048, CRY_SHA1,
     1795725572, 2426445572, 0x69},
    {"sha512-cert.pem", "CN=sslref sha512 leaf", "CN=sslref test CA", 1, X509_KEY_RSA, 2048,
     CRY_SHA512, 1795725572, 2426445572, 0x6a},
    {"dsa-cert.pem", "CN=sslref dsa", "CN=sslref dsa", 3, X509_KEY_DSA, 0, -1, 1795725572,
     2426445572, 0x6b},
    {"ec-cert.pem", "CN=sslref ec", "CN=sslref ec", 3, X509_KEY_EC, 0, CRY_SHA256, 1795725572,
     2426445572, 0x6c},
    /* issue 16: EC keys (P-256, P-384), and ECDSA signatures by an EC CA */
    {"ec256-cert.pem", "CN=localhost", "CN=sslref test CA", 3, X509_KEY_EC, 0, CRY_SHA256,
     1796534197, 2427254197, 0x6f},
    {"ec384-cert.pem", "CN=localhost", "CN=sslref test CA", 3, X509_KEY_EC, 0, CRY_SHA384,
     1796534197, 2427254197, 0x70},
    {"ec-ca-cert.pem", "CN=sslref test EC CA", "CN=sslref test EC CA", 3, X509_KEY_EC, 0,
     CRY_SHA256, 1796534197, 2427254197, 0x71},
    {"ec-leaf-cert.pem", "CN=sslref ec leaf", "CN=sslref test EC CA", 3, X509_KEY_EC, 0,
     CRY_SHA384, 1796534197, 2427254197, 0x72},
    {"ec-ca-rsa-leaf-cert.pem", "CN=sslref rsa leaf of ec ca", "CN=sslref test EC CA", 3,
     X509_KEY_RSA, 2048, CRY_SHA256, 1796534197, 2427254197, 0x73},
};
#define NCERTS (sizeof certs / sizeof certs[0])

Test(x509, parses_every_test_certificate)
{
    for (size_t i = 0; i < NCERTS; i++) {
        const struct expect *x = &certs[i];
        uint32_t len;
        uint8_t *der = load_cert(x->file, &len);
        struct x509_cert c;
        cr_assert_eq(x509_parse(der, len, &c), SSLNoErr, "%s", x->file);
        char s[128];
        cr_assert_eq(x509_name_string(c.subject, c.subject_len, s, sizeof s), SSLNoErr);
        cr_expect_str_eq(s, x->subject, "%s subject", x->file);
        cr_assert_eq(x509_name_string(c.issuer, c.issuer_len, s, sizeof s), SSLNoErr);
        cr_expect_str_eq(s, x->issuer, "%s issuer", x->file);
        cr_expect_eq(c.version, x->version, "%s version %d", x->file, c.version);
        cr_expect_eq(c.key_type, x->key_type, "%s key type", x->file);
        cr_expect_eq(c.sig_hash, x->sig_hash, "%s sig hash %d", x->file, c.sig_hash);
        cr_expect_eq(c.not_before, x->not_before, "%s notBefore %lld", x->file, (long long)c.not_before);
        cr_expect_eq(c.not_after, x->not_after, "%s notAfter %lld", x->file, (long long)c.not_after);
        cr_expect(c.serial_len == 1 && c.serial[0] == x->serial, "%s serial", x->file);
        cr_expect(c.der == der && c.der_len == len, "%s whole cert", x->file);
        cr_expect(c.tbs > der && c.tbs + c.tbs_len < der + len, "%s tbs inside", x->file);
        if (x->key_type == X509_KEY_RSA) {
            cr_expect_eq(bits_of(c.rsa_n, c.rsa_n_len), x->bits, "%s bits", x->file);
            cr_expect(c.rsa_e_len == 3 && c.rsa_e[0] == 1 && c.rsa_e[1] == 0 && c.rsa_e[2] == 1,
                      "%s e = 65537", x->file);
            /* every RSA-signed RSA cert here is signed by a 2048-bit key, except the self-signed
             * 1024 one */
            if (!c.sig_ecdsa)
                cr_expect_eq(c.sig_len, x->bits == 1024 ? 128u : 256u, "%s sig len", x->file);
        }
        free(der);
    }
}

/* The CA's notAfter (2056) is a GeneralizedTime; the others are UTCTime: both checked above. */

struct pair {
    const char *child, *parent;
};

Test(x509, chains_verify)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    static const struct pair ok[] = {
        {"server-cert.pem", "ca-cert.pem"},   {"client-cert.pem", "ca-cert.pem"},
        {"v1-cert.pem", "ca-cert.pem"},       {"md5-cert.pem", "ca-cert.pem"},
        {"sha1-cert.pem", "ca-cert.pem"},     {"sha512-cert.pem", "ca-cert.pem"},
        {"ca-cert.pem", "ca-cert.pem"},       {"server-selfsigned.pem", "server-selfsigned.pem"},
        {"server1024-cert.pem", "server1024-cert.pem"},
        /* ECDSA (issue 16): EC leaves by the RSA CA, a leaf by an EC CA (P-256 key, SHA-384
         * signature: the hash is truncated), an RSA leaf by the EC CA, self-signed EC */
        {"ec256-cert.pem", "ca-cert.pem"},    {"ec384-cert.pem", "ca-cert.pem"},
        {"ec-leaf-cert.pem", "ec-ca-cert.pem"}, {"ec-ca-rsa-leaf-cert.pem", "ec-ca-cert.pem"},
        {"ec-ca-cert.pem", "ec-ca-cert.pem"}, {"ec-cert.pem", "ec-cert.pem"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint32_t l1, l2;
        uint8_t *d1 = load_cert(ok[i].child, &l1), *d2 = load_cert(ok[i].parent, &l2);
        struct x509_cert a, b;
        cr_assert_eq(x509_parse(d1, l1, &a), SSLNoErr);
        cr_assert_eq(x509_parse(d2, l2, &b), SSLNoErr);
        cr_expect_eq(x509_check_issued(&a, &b), SSLNoErr, "%s by %s", ok[i].child, ok[i].parent);
        free(d1);
        free(d2);
    }
}

Test(x509, chain_file_leaf_then_ca)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    uint32_t l1, l2;
    uint8_t *leaf = load_cert_n("server-chain.pem", 0, &l1), *ca = load_cert_n("server-chain.pem", 1, &l2);
    struct x509_cert a, b;
    cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
    cr_assert_eq(x509_parse(ca, l2, &b), SSLNoErr);
    cr_expect_eq(x509_check_issued(&a, &b), SSLNoErr);
    free(leaf);
    free(ca);
}

Test(x509, wrong_issuer_names_not_equal)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    static const struct pair bad[] = {
        {"ca-cert.pem", "server-cert.pem"},     /* swapped */
        {"server-cert.pem", "server-selfsigned.pem"},
        {"client-cert.pem", "client-cert.pem"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t l1, l2;
        uint8_t *d1 = load_cert(bad[i].child, &l1), *d2 = load_cert(bad[i].parent, &l2);
        struct x509_cert a, b;
        cr_assert_eq(x509_parse(d1, l1, &a), SSLNoErr);
        cr_assert_eq(x509_parse(d2, l2, &b), SSLNoErr);
        cr_expect_eq(x509_check_issued(&a, &b), X509NamesNotEqualErr, "%s by %s", bad[i].child,
                     bad[i].parent);
        free(d1);
        free(d2);
    }
}

Test(x509, right_name_wrong_key_fails)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    /* server1024-cert.pem's subject is CN=localhost, as is server-selfsigned.pem's issuer */
    uint32_t l1, l2;
    uint8_t *d1 = load_cert("server-selfsigned.pem", &l1), *d2 = load_cert("server1024-cert.pem", &l2);
    struct x509_cert a, b;
    cr_assert_eq(x509_parse(d1, l1, &a), SSLNoErr);
    cr_assert_eq(x509_parse(d2, l2, &b), SSLNoErr);
    cr_expect_eq(x509_check_issued(&a, &b), X509CertChainInvalidErr);
    cr_expect_eq(x509_check_issued(&b, &a), X509CertChainInvalidErr);
    free(d1);
    free(d2);
}

Test(x509, unsupported_algorithms_fail_verification)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    uint32_t l1, l2;
    uint8_t *dsa = load_cert("dsa-cert.pem", &l1), *ec = load_cert("ec-cert.pem", &l2);
    struct x509_cert a, b;
    cr_assert_eq(x509_parse(dsa, l1, &a), SSLNoErr);
    cr_assert_eq(x509_parse(ec, l2, &b), SSLNoErr);
    cr_expect_eq(x509_check_issued(&a, &a), X509CertChainInvalidErr, "DSA signature, DSA parent");
    /* since issue 16 ECDSA verifies: the self-signed EC cert is fine, but not with its curve
     * unknown, nor with an RSA signature expected from it */
    cr_expect_eq(x509_check_issued(&b, &b), SSLNoErr, "ECDSA signature, EC parent");
    struct x509_cert b2 = b;
    b2.ec_group = 0;
    cr_expect_eq(x509_check_issued(&b, &b2), X509CertChainInvalidErr, "EC parent, unknown curve");
    b2 = b;
    b2.sig_ecdsa = 0;
    cr_expect_eq(x509_check_issued(&b2, &b), X509CertChainInvalidErr, "RSA signature, EC parent");
    free(dsa);
    free(ec);
}

Test(x509, flipped_signature_or_tbs_byte_fails)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    uint32_t l1, l2;
    uint8_t *leaf = load_cert("server-cert.pem", &l1), *ca = load_cert("ca-cert.pem", &l2);
    struct x509_cert a, b;
    cr_assert_eq(x509_parse(ca, l2, &b), SSLNoErr);
    size_t sig_off[] = {l1 - 1, l1 - 100, l1 - 256};
    for (size_t i = 0; i < 3; i++) {
        leaf[sig_off[i]] ^= 0x01;
        cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
        cr_expect_eq(x509_check_issued(&a, &b), X509CertChainInvalidErr, "sig byte %zu", sig_off[i]);
        leaf[sig_off[i]] ^= 0x01;
    }
    /* the last letter of "localhost" in the subject: still parses, no longer verifies */
    cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
    uint8_t *t = (uint8_t *)memmem(a.subject, a.subject_len, "localhost", 9);
    cr_assert(t);
    t[8] = 'T';
    cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
    cr_expect_eq(x509_check_issued(&a, &b), X509CertChainInvalidErr);
    free(leaf);
    free(ca);
}

/* ---- Generated negative cases ----------------------------------------------------------------- */

/* Independent TLV walk (not der.c): positions of every length octet, descending into constructed
 * elements and into BIT/OCTET STRINGs whose contents are themselves a run of TLVs. */
static int walk(const uint8_t *d, size_t off, size_t end, size_t *pos, size_t *n, size_t cap, int record)
{
    while (off < end) {
        if (end - off < 2)
            return 0;
        uint8_t tag = d[off];
        size_t lp = off + 1, hdr, L;
        if (d[lp] < 0x80) {
            L = d[lp];
            hdr = 2;
        } else {
            size_t nb = d[lp] & 0x7f;
            if (nb == 0 || nb > 4 || end - off < 2 + nb)
                return 0;
            L = 0;
            for (size_t i = 0; i < nb; i++)
                L = L << 8 | d[lp + 1 + i];
            hdr = 2 + nb;
        }
        if (L > end - off - hdr)
            return 0;
        if (record)
            for (size_t i = lp; i < off + hdr && *n < cap; i++)
                pos[(*n)++] = i;
        size_t c0 = off + hdr, c1 = off + hdr + L;
        if (tag & 0x20) {
            if (!walk(d, c0, c1, pos, n, cap, record))
                return 0;
        } else if ((tag == DER_BIT_STRING && L > 1 && d[c0] == 0) || tag == DER_OCTET_STRING) {
            size_t s = c0 + (tag == DER_BIT_STRING);
            size_t dummy = 0;
            if (s < c1 && d[s] == 0x30 && walk(d, s, c1, NULL, &dummy, 0, 0))
                walk(d, s, c1, pos, n, cap, record);
        }
        off = c1;
    }
    return 1;
}

static const char *all_files[] = {
    "server-selfsigned.pem", "server1024-cert.pem", "ca-cert.pem", "server-cert.pem",
    "client-cert.pem",       "v1-cert.pem",         "md5-cert.pem", "sha1-cert.pem",
    "sha512-cert.pem",       "dsa-cert.pem",        "ec-cert.pem",  "ec256-cert.pem",
    "ec384-cert.pem",        "ec-ca-cert.pem",      "ec-leaf-cert.pem", "ec-ca-rsa-leaf-cert.pem",
};

Test(x509, every_truncation_fails)
{
    for (size_t f = 0; f < sizeof all_files / sizeof all_files[0]; f++) {
        uint32_t len;
        uint8_t *der = load_cert(all_files[f], &len);
        for (uint32_t n = 0; n < len; n++) {
            uint8_t *cut = malloc(n ? n : 1); /* exact size: ASan sees any overread */
            memcpy(cut, der, n);
            struct x509_cert c;
            cr_expect_eq(x509_parse(cut, n, &c), ASNBadEncodingErr, "%s cut to %u", all_files[f], n);
            free(cut);
        }
        /* and one byte too many */
        uint8_t *more = malloc(len + 1);
        memcpy(more, der, len);
        more[len] = 0;
        struct x509_cert c;
        cr_expect_eq(x509_parse(more, len + 1, &c), ASNBadEncodingErr, "%s + 1 byte", all_files[f]);
        free(more);
        free(der);
    }
}

Test(x509, every_length_byte_change_fails)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    uint32_t calen;
    uint8_t *cader = load_cert("ca-cert.pem", &calen);
    struct x509_cert ca;
    cr_assert_eq(x509_parse(cader, calen, &ca), SSLNoErr);
    for (size_t f = 0; f < sizeof all_files / sizeof all_files[0]; f++) {
        uint32_t len;
        uint8_t *der = load_cert(all_files[f], &len);
        size_t pos[512], n = 0;
        cr_assert(walk(der, 0, len, pos, &n, 512, 1), "%s walks", all_files[f]);
        cr_assert_gt(n, 30, "%s: %zu length octets found", all_files[f], n);
        struct x509_cert parent;
        cr_assert_eq(x509_parse(der, len, &parent), SSLNoErr);
        int self = parent.issuer_len == parent.subject_len &&
                   !memcmp(parent.issuer, parent.subject, parent.issuer_len);
        uint8_t *m = malloc(len);
        for (size_t i = 0; i < n; i++) {
            for (int v = 0; v < 256; v++) {
                if (v == der[pos[i]])
                    continue;
                memcpy(m, der, len);
                m[pos[i]] = (uint8_t)v;
                struct x509_cert c;
                SSLErr e = x509_parse(m, len, &c);
                if (e == SSLNoErr) {
                    /* it still parses (e.g. a length inside an extension value we do not read):
                     * then the signature must catch it */
                    SSLErr ve = x509_check_issued(&c, self ? &parent : &ca);
                    cr_expect_neq(ve, SSLNoErr, "%s: byte %zu = %02x verifies", all_files[f], pos[i], v);
                } else {
                    cr_expect_eq(e, ASNBadEncodingErr, "%s: byte %zu = %02x gives %d", all_files[f],
                                 pos[i], v, e);
                }
            }
        }
        free(m);
        free(der);
    }
    free(cader);
}

/* ---- DER primitives ------------------------------------------------------------------------- */

static int parses_tlv(const uint8_t *p, size_t n, uint8_t tag)
{
    struct rd r;
    rd_init(&r, p, n);
    struct rd s = der_tlv(&r, tag);
    (void)rd_bytes(&s, rd_left(&s));
    return rd_done(&r);
}

Test(der, lengths_definite_and_minimal)
{
    uint8_t b[300] = {0x04};
    cr_expect(parses_tlv((const uint8_t[]){0x04, 0x00}, 2, 0x04));
    cr_expect(parses_tlv((const uint8_t[]){0x04, 0x01, 0xaa}, 3, 0x04));
    cr_expect(!parses_tlv((const uint8_t[]){0x04, 0x01, 0xaa}, 3, 0x05), "wrong tag");
    cr_expect(!parses_tlv((const uint8_t[]){0x04, 0x81, 0x01, 0xaa}, 4, 0x04), "long form < 128");
    cr_expect(!parses_tlv((const uint8_t[]){0x04, 0x80, 0x00, 0x00}, 4, 0x04), "indefinite");
    cr_expect(!parses_tlv((const uint8_t[]){0x04, 0x85, 0, 0, 0, 0, 1, 0}, 8, 0x04), "5 length bytes");
    cr_expect(!parses_tlv((const uint8_t[]){0x04, 0x02, 0xaa}, 3, 0x04), "short contents");
    cr_expect(!parses_tlv((const uint8_t[]){0x1f, 0x81, 0x00, 0x00}, 4, 0x1f), "high tag number");
    b[1] = 0x81;
    b[2] = 0x80;
    cr_expect(parses_tlv(b, 3 + 0x80, 0x04), "0x81 0x80");
    b[1] = 0x82;
    b[2] = 0x00;
    b[3] = 0x80;
    cr_expect(!parses_tlv(b, 4 + 0x80, 0x04), "0x82 0x00 0x80 is not minimal");
    b[2] = 0x01;
    b[3] = 0x00;
    cr_expect(parses_tlv(b, 4 + 0x100, 0x04), "0x82 0x01 0x00");
    cr_expect(!parses_tlv(b, 4 + 0xff, 0x04), "one byte short");
}

static SSLErr uint_of(const uint8_t *p, size_t n, uint32_t max, const uint8_t **v, uint32_t *vlen)
{
    struct rd r;
    rd_init(&r, p, n);
    SSLErr e = der_uint(&r, v, vlen, max);
    if (e == SSLNoErr && !rd_done(&r))
        return ASNBadEncodingErr;
    return e;
}

Test(der, integers)
{
    const uint8_t *v;
    uint32_t n;
    const uint8_t pos[] = {0x02, 0x03, 0x00, 0x80, 0x01};
    cr_expect_eq(uint_of(pos, sizeof pos, 8, &v, &n), SSLNoErr);
    cr_expect(n == 2 && v[0] == 0x80 && v[1] == 0x01, "sign byte stripped");
    const uint8_t zero[] = {0x02, 0x01, 0x00};
    cr_expect_eq(uint_of(zero, sizeof zero, 8, &v, &n), SSLNoErr);
    cr_expect_eq(n, 0, "zero has no bytes");
    const uint8_t nonmin[] = {0x02, 0x02, 0x00, 0x7f};
    cr_expect_eq(uint_of(nonmin, sizeof nonmin, 8, &v, &n), ASNBadEncodingErr);
    const uint8_t nonmin_neg[] = {0x02, 0x02, 0xff, 0x80};
    cr_expect_eq(uint_of(nonmin_neg, sizeof nonmin_neg, 8, &v, &n), ASNBadEncodingErr);
    const uint8_t neg[] = {0x02, 0x01, 0x80};
    cr_expect_eq(uint_of(neg, sizeof neg, 8, &v, &n), ASNBadEncodingErr, "negative");
    const uint8_t empty[] = {0x02, 0x00};
    cr_expect_eq(uint_of(empty, sizeof empty, 8, &v, &n), ASNBadEncodingErr);
    const uint8_t big[] = {0x02, 0x04, 0x00, 0x81, 0x02, 0x03};
    cr_expect_eq(uint_of(big, sizeof big, 2, &v, &n), ASNIntegerTooBigErr);
    cr_expect_eq(uint_of(big, sizeof big, 3, &v, &n), SSLNoErr, "3 bytes fit once the 00 is gone");

    struct rd r;
    uint32_t x;
    rd_init(&r, (const uint8_t[]){0x02, 0x01, 0x02}, 3);
    der_small_uint(&r, &x);
    cr_expect(rd_done(&r) && x == 2);
    rd_init(&r, (const uint8_t[]){0x02, 0x05, 0x00, 0x80, 0, 0, 0}, 7);
    der_small_uint(&r, &x);
    cr_expect(!rd_ok(&r), "2^31 is not small");
}

Test(der, oids_and_bit_strings)
{
    const uint8_t *p;
    uint32_t n;
    struct rd r;
    const uint8_t cn[] = {0x06, 0x03, 0x55, 0x04, 0x03};
    rd_init(&r, cn, sizeof cn);
    der_oid(&r, &p, &n);
    cr_expect(rd_done(&r) && der_oid_eq(p, n, (const uint8_t[]){0x55, 0x04, 0x03}, 3));
    cr_expect(!der_oid_eq(p, n, (const uint8_t[]){0x55, 0x04, 0x0a}, 3));
    cr_expect(!der_oid_eq(p, n, (const uint8_t[]){0x55, 0x04}, 2));
    const uint8_t unterminated[] = {0x06, 0x02, 0x55, 0x84};
    rd_init(&r, unterminated, sizeof unterminated);
    der_oid(&r, &p, &n);
    cr_expect(!rd_ok(&r));
    const uint8_t padded[] = {0x06, 0x03, 0x55, 0x80, 0x03};
    rd_init(&r, padded, sizeof padded);
    der_oid(&r, &p, &n);
    cr_expect(!rd_ok(&r), "leading 0x80 in a sub-identifier");
    const uint8_t bits[] = {0x03, 0x03, 0x00, 0xab, 0xcd};
    rd_init(&r, bits, sizeof bits);
    der_bit_string(&r, &p, &n);
    cr_expect(rd_done(&r) && n == 2 && p[0] == 0xab);
    const uint8_t unused[] = {0x03, 0x02, 0x01, 0xaa};
    rd_init(&r, unused, sizeof unused);
    der_bit_string(&r, &p, &n);
    cr_expect(!rd_ok(&r), "unused bits");
}

static int64_t time_of(uint8_t tag, const char *s, int *ok)
{
    uint8_t b[40];
    size_t n = strlen(s);
    b[0] = tag;
    b[1] = (uint8_t)n;
    memcpy(b + 2, s, n);
    struct rd r;
    int64_t t;
    rd_init(&r, b, n + 2);
    der_time(&r, &t);
    *ok = rd_done(&r);
    return t;
}

Test(der, times)
{
    int ok;
    /* values from Python's calendar.timegm */
    cr_expect_eq(time_of(DER_UTCTIME, "700101000000Z", &ok), 0);
    cr_expect(ok);
    cr_expect_eq(time_of(DER_UTCTIME, "500101000000Z", &ok), -631152000);
    cr_expect(ok);
    cr_expect_eq(time_of(DER_UTCTIME, "491231235959Z", &ok), 2524607999);
    cr_expect(ok);
    cr_expect_eq(time_of(DER_GENERALIZEDTIME, "20380119031408Z", &ok), 2147483648);
    cr_expect(ok);
    cr_expect_eq(time_of(DER_GENERALIZEDTIME, "20000229120000Z", &ok), 951825600);
    cr_expect(ok);
    cr_expect_eq(time_of(DER_GENERALIZEDTIME, "99991231235959Z", &ok), 253402300799);
    cr_expect(ok);
    cr_expect_eq(time_of(DER_GENERALIZEDTIME, "21000301000000Z", &ok), 4107542400);
    cr_expect(ok);
    const char *bad_gen[] = {"19000229000000Z", "20010229000000Z", "20011301000000Z",
                             "20010100000000Z", "20010131240000Z", "20010131236000Z",
                             "20010131235960Z", "20010131235959",  "20010131235959.5Z",
                             "2001013123595Z",  "20010131235959+0000", "2001-1-31235959Z",
                             "00000101000000Z", "20010431000000Z"};
    for (size_t i = 0; i < sizeof bad_gen / sizeof bad_gen[0]; i++) {
        time_of(DER_GENERALIZEDTIME, bad_gen[i], &ok);
        cr_expect(!ok, "%s", bad_gen[i]);
    }
    const char *bad_utc[] = {"7001010000Z", "700101000000", "700101000000+0100", "701301000000Z"};
    for (size_t i = 0; i < sizeof bad_utc / sizeof bad_utc[0]; i++) {
        time_of(DER_UTCTIME, bad_utc[i], &ok);
        cr_expect(!ok, "%s", bad_utc[i]);
    }
    time_of(DER_OCTET_STRING, "700101000000Z", &ok);
    cr_expect(!ok, "wrong tag");
}

Test(der, day_count_matches_day_by_day)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day = der_days_from_civil(1600, 1, 1);
    for (int y = 1600; y <= 2400; y++) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (unsigned m = 1; m <= 12; m++) {
            int nd = mdays[m - 1] + (m == 2 && leap);
            for (unsigned d = 1; d <= (unsigned)nd; d++, day++)
                if (der_days_from_civil(y, m, d) != day)
                    cr_assert_fail("%d-%u-%u", y, m, d);
        }
    }
    cr_expect_eq(der_days_from_civil(1970, 1, 1), 0);
}

/* ---- Names ------------------------------------------------------------------------------------ */

Test(x509, name_string_forms)
{
    /* SEQ { SET { C=US }, SET { O="A,B" + OU="x" }, SET { 1.2.840.113549.1.9.1 = "a@b" },
     *       SET { 2.999.3 = UTF8 "\x01z" } } */
    const uint8_t name[] = {
        0x30, 0x4a,
        0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'U', 'S',
        0x31, 0x17, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x03, 'A', ',', 'B',
                    0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x0b, 0x0c, 0x02, 'x', '\\',
        0x31, 0x12, 0x30, 0x10, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01,
                    0x16, 0x03, 'a', '@', 'b',
        0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x88, 0x37, 0x03, 0x0c, 0x05, 0x01, 'z', 0xc3, 0xa9, '+',
    };
    char s[128];
    cr_assert_eq(x509_name_string(name, sizeof name, s, sizeof s), SSLNoErr);
    cr_expect_str_eq(s, "C=US, O=A\\,B+OU=x\\\\, emailAddress=a@b, 2.999.3=\\01z\\C3\\A9\\+");
    char small[8];
    cr_assert_eq(x509_name_string(name, sizeof name, small, sizeof small), SSLNoErr);
    cr_expect_str_eq(small, "C=US, O", "truncated to cap - 1");
    cr_expect_eq(x509_name_string(name, sizeof name - 1, s, sizeof s), ASNBadEncodingErr);
    cr_expect_str_eq(s, "", "empty on error");
    const uint8_t empty_rdn[] = {0x30, 0x02, 0x31, 0x00};
    cr_expect_eq(x509_name_string(empty_rdn, sizeof empty_rdn, s, sizeof s), ASNBadEncodingErr);
    const uint8_t empty_name[] = {0x30, 0x00};
    cr_expect_eq(x509_name_string(empty_name, sizeof empty_name, s, sizeof s), SSLNoErr);
    cr_expect_str_eq(s, "");
}

/* ---- PKCS#1 v1.5 block: only the exact block verifies ------------------------------------------ */

static const uint8_t sha256_prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

struct signer {
    SSLRSAPrivateKey *key;
    uint8_t n[512], e[8];
    size_t nlen, elen;
};

static void signer_load(struct signer *s)
{
    size_t len;
    char *pem = slurp("server-key-pkcs8.pem", &len);
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(pem, len, &s->key), SSLNoErr);
    free(pem);
    s->nlen = sizeof s->n;
    s->elen = sizeof s->e;
    cr_assert_eq(cry_rsa_key_public(s->key, s->n, &s->nlen, s->e, &s->elen), SSLNoErr);
    cr_assert_eq(s->nlen, 256);
}

/* Sign a hand-built block and verify it as a SHA-256 signature of digest. */
static SSLErr verify_block(struct signer *s, const uint8_t *block, const uint8_t *digest)
{
    uint8_t sig[256];
    cr_assert_eq(cry_rsa_private(s->key, block, 256, sig), SSLNoErr);
    return x509_rsa_verify_digest(s->n, (uint32_t)s->nlen, s->e, (uint32_t)s->elen, CRY_SHA256,
                                  digest, sig, 256);
}

/* 00 01 FF.. 00 prefix digest, with the prefix given */
static void build(uint8_t *b, const uint8_t *prefix, size_t plen, const uint8_t *digest, size_t dlen)
{
    size_t t = plen + dlen;
    b[0] = 0;
    b[1] = 1;
    memset(b + 2, 0xff, 256 - 3 - t);
    b[256 - t - 1] = 0;
    memcpy(b + 256 - t, prefix, plen);
    memcpy(b + 256 - dlen, digest, dlen);
}

Test(x509, pkcs1_block_checked_exactly)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    struct signer s;
    signer_load(&s);
    uint8_t digest[32], b[256];
    cry_hash_once(CRY_SHA256, "abc", 3, digest);

    build(b, sha256_prefix, sizeof sha256_prefix, digest, 32);
    cr_expect_eq(verify_block(&s, b, digest), SSLNoErr, "the correct block");

    uint8_t other[32];
    memcpy(other, digest, 32);
    other[31] ^= 1;
    cr_expect_eq(verify_block(&s, b, other), X509CertChainInvalidErr, "another digest");

    b[1] = 2;
    cr_expect_eq(verify_block(&s, b, digest), X509CertChainInvalidErr, "block type 2");
    build(b, sha256_prefix, sizeof sha256_prefix, digest, 32);
    b[10] = 0xfe;
    cr_expect_eq(verify_block(&s, b, digest), X509CertChainInvalidErr, "a padding byte not FF");

    /* DigestInfo without the NULL parameters (lengths adjusted): a loose parser takes it */
    const uint8_t no_null[] = {0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                               0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20};
    build(b, no_null, sizeof no_null, digest, 32);
    cr_expect_eq(verify_block(&s, b, digest), X509CertChainInvalidErr, "absent parameters");

    /* the right DigestInfo followed by two garbage bytes, the padding shortened to make room */
    memset(b, 0, 256);
    b[1] = 1;
    memset(b + 2, 0xff, 200);
    memcpy(b + 203, sha256_prefix, sizeof sha256_prefix);
    memcpy(b + 222, digest, 32);
    b[254] = b[255] = 0xab;
    cr_expect_eq(verify_block(&s, b, digest), X509CertChainInvalidErr, "trailing garbage");

    /* SHA-1 DigestInfo holding the SHA-256 digest's first 20 bytes */
    const uint8_t sha1_prefix[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                   0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
    build(b, sha1_prefix, sizeof sha1_prefix, digest, 20);
    cr_expect_eq(verify_block(&s, b, digest), X509CertChainInvalidErr, "wrong hash OID");

    uint8_t sig[256];
    build(b, sha256_prefix, sizeof sha256_prefix, digest, 32);
    cr_assert_eq(cry_rsa_private(s.key, b, 256, sig), SSLNoErr);
    cr_expect_eq(x509_rsa_verify_digest(s.n, 256, s.e, (uint32_t)s.elen, CRY_SHA256, digest, sig, 255),
                 X509CertChainInvalidErr, "short signature");
    cr_expect_eq(x509_rsa_verify_digest(s.n, 256, s.e, (uint32_t)s.elen, 99, digest, sig, 256),
                 X509CertChainInvalidErr, "unknown hash");
    cr_expect_eq(x509_rsa_verify_digest(s.n, 256, s.e, (uint32_t)s.elen, CRY_SHA256, digest, s.n, 256),
                 X509CertChainInvalidErr, "signature equal to n");
    SSLXRSAPrivateKeyFree(s.key);
}

Test(x509, cert_key_matches_private_key)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    struct signer s;
    signer_load(&s);
    uint32_t len;
    uint8_t *der = load_cert("server-cert.pem", &len);
    struct x509_cert c;
    cr_assert_eq(x509_parse(der, len, &c), SSLNoErr);
    cr_expect(c.rsa_n_len == s.nlen && memcmp(c.rsa_n, s.n, s.nlen) == 0);
    cr_expect(c.rsa_e_len == s.elen && memcmp(c.rsa_e, s.e, s.elen) == 0);
    free(der);
    SSLXRSAPrivateKeyFree(s.key);
}

Test(x509, bad_arguments)
{
    struct x509_cert c;
    char s[4];
    cr_expect_eq(x509_parse(NULL, 5, &c), SSLBadParameterErr);
    cr_expect_eq(x509_parse((const uint8_t *)"", 0, &c), ASNBadEncodingErr);
    cr_expect_eq(x509_name_string((const uint8_t *)"\x30\x00", 2, s, 0), SSLBadParameterErr);
}

/* ---- EC certificates (issue 16) ---------------------------------------------------------------- */

Test(x509, ec_certificate_fields)
{
    static const struct {
        const char *file;
        uint16_t group;
        uint32_t point_len;
        int sig_ecdsa, sig_hash;
    } ec[] = {
        {"ec256-cert.pem", CRY_EC_SECP256R1, 65, 0, CRY_SHA256},
        {"ec384-cert.pem", CRY_EC_SECP384R1, 97, 0, CRY_SHA384},
        {"ec-ca-cert.pem", CRY_EC_SECP256R1, 65, 1, CRY_SHA256},
        {"ec-leaf-cert.pem", CRY_EC_SECP384R1, 97, 1, CRY_SHA384},
        {"ec-cert.pem", CRY_EC_SECP256R1, 65, 1, CRY_SHA256},
    };
    for (size_t i = 0; i < sizeof ec / sizeof ec[0]; i++) {
        uint32_t len;
        uint8_t *der = load_cert(ec[i].file, &len);
        struct x509_cert c;
        cr_assert_eq(x509_parse(der, len, &c), SSLNoErr, "%s", ec[i].file);
        cr_expect_eq(c.key_type, X509_KEY_EC, "%s", ec[i].file);
        cr_expect_eq(c.ec_group, ec[i].group, "%s group", ec[i].file);
        cr_expect_eq(c.ec_point_len, ec[i].point_len, "%s point", ec[i].file);
        cr_expect(c.ec_point && c.ec_point[0] == 4, "%s uncompressed", ec[i].file);
        cr_expect(cry_ecdh_check(c.ec_group, c.ec_point, c.ec_point_len), "%s on curve",
                  ec[i].file);
        cr_expect_eq(c.sig_ecdsa, ec[i].sig_ecdsa, "%s sig_ecdsa", ec[i].file);
        cr_expect_eq(c.sig_hash, ec[i].sig_hash, "%s sig_hash", ec[i].file);
        cr_expect_eq(c.rsa_n_len, 0);
        free(der);
    }
}

/* The EC leaf's key is ec384-key.pem's public key, its SPKI what openssl prints. */
Test(x509, ec_point_matches_key_file)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    uint32_t len;
    uint8_t *der = load_cert("ec384-cert.pem", &len);
    struct x509_cert c;
    cr_assert_eq(x509_parse(der, len, &c), SSLNoErr);
    size_t kl;
    char *pem = slurp("ec384-key.pem", &kl);
    SSLRSAPrivateKey *k = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(pem, kl, &k), SSLNoErr);
    uint8_t pub[97];
    size_t pl = sizeof pub;
    cr_assert_eq(cry_ec_key_public(k, pub, &pl), SSLNoErr);
    cr_expect(pl == c.ec_point_len && memcmp(pub, c.ec_point, pl) == 0);
    SSLXRSAPrivateKeyFree(k);
    free(pem);
    free(der);
}

/* An ECDSA signature with a flipped bit (in r, in s, in the DER) or a changed TBS fails. */
Test(x509, ec_tampered_signature_fails)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    uint32_t l1, l2;
    uint8_t *leaf = load_cert("ec-leaf-cert.pem", &l1), *ca = load_cert("ec-ca-cert.pem", &l2);
    struct x509_cert a, b;
    cr_assert_eq(x509_parse(ca, l2, &b), SSLNoErr);
    cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
    cr_assert_eq(x509_check_issued(&a, &b), SSLNoErr);
    size_t off = (size_t)(a.sig - leaf);
    size_t at[] = {off + 5, off + a.sig_len - 1, off + a.sig_len / 2, off};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        leaf[at[i]] ^= 0x01;
        if (x509_parse(leaf, l1, &a) == SSLNoErr) /* a changed DER length may not parse */
            cr_expect_eq(x509_check_issued(&a, &b), X509CertChainInvalidErr, "byte %zu", at[i]);
        leaf[at[i]] ^= 0x01;
    }
    cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
    uint8_t *t = (uint8_t *)memmem(a.subject, a.subject_len, "leaf", 4);
    cr_assert(t);
    t[0] = 'L';
    cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
    cr_expect_eq(x509_check_issued(&a, &b), X509CertChainInvalidErr);
    free(leaf);
    free(ca);
}

/* The chain files: leaf then the RSA CA. */
Test(x509, ec_chain_files)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    static const char *files[] = {"ec256-chain.pem", "ec384-chain.pem"};
    for (int i = 0; i < 2; i++) {
        uint32_t l1, l2;
        uint8_t *leaf = load_cert_n(files[i], 0, &l1), *ca = load_cert_n(files[i], 1, &l2);
        struct x509_cert a, b;
        cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
        cr_assert_eq(x509_parse(ca, l2, &b), SSLNoErr);
        cr_expect_eq(a.key_type, X509_KEY_EC);
        cr_expect_eq(b.key_type, X509_KEY_RSA);
        cr_expect_eq(x509_check_issued(&a, &b), SSLNoErr, "%s", files[i]);
        free(leaf);
        free(ca);
    }
}

/* ecdsa-with-SHA256's OID with another last arc (1.2.840.10045.4.3.9, in both AlgorithmIdentifiers):
 * parses, but is no signature algorithm we know, so nothing verifies. */
Test(x509, ec_unknown_ecdsa_arc)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    uint32_t l1, l2;
    uint8_t *leaf = load_cert("ec-ca-rsa-leaf-cert.pem", &l1), *ca = load_cert("ec-ca-cert.pem", &l2);
    static const uint8_t alg[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
    int seen = 0;
    for (uint8_t *p = leaf; p + sizeof alg <= leaf + l1; p++)
        if (memcmp(p, alg, sizeof alg) == 0) {
            p[sizeof alg - 1] = 9;
            seen++;
        }
    cr_assert_eq(seen, 2);
    struct x509_cert a, b;
    cr_assert_eq(x509_parse(ca, l2, &b), SSLNoErr);
    cr_assert_eq(x509_parse(leaf, l1, &a), SSLNoErr);
    cr_expect_eq(a.sig_hash, -1);
    cr_expect_eq(a.sig_ecdsa, 0);
    cr_expect_eq(x509_check_issued(&a, &b), X509CertChainInvalidErr);
    free(leaf);
    free(ca);
}

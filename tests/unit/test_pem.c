/*
 * PEM armour, strict base64, RSA key and DH parameter loading (core/src/x509/pem.c): decoded bytes equal
 * openssl's DER output; bad base64, bad padding, missing or mismatched END lines fail; several
 * blocks are walked in order; PKCS#1 and PKCS#8 forms of one key load as the same key (RSA; DSA as
 * PKCS#8 and DSAPrivateKey; EC as SEC 1 after an EC PARAMETERS block and as PKCS#8).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/crypto_ltc.h"
#include "crypto/dhparams.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"
#include "sslref/sslx.h"

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

static SSLErr decode(const char *pem, const char *label, uint8_t **der, uint32_t *len)
{
    size_t pos = 0;
    *der = NULL;
    return SSLXPEMDecode(pem, strlen(pem), &pos, label, der, len);
}

Test(pem, certificate_equals_openssl_der)
{
    size_t plen, dlen;
    char *pem = slurp("server-cert.pem", &plen);
    char *der = slurp("server-cert.der", &dlen);
    size_t pos = 0;
    uint8_t *out;
    uint32_t outlen;
    cr_assert_eq(SSLXPEMDecode(pem, plen, &pos, "CERTIFICATE", &out, &outlen), SSLNoErr);
    cr_expect_eq(outlen, dlen);
    cr_expect(memcmp(out, der, dlen) == 0);
    cr_expect_eq(pos, plen, "pos is past the END line");
    free(out);
    cr_expect_eq(SSLXPEMDecode(pem, plen, &pos, "CERTIFICATE", &out, &outlen), X509DataNotFoundErr);
    free(pem);
    free(der);
}

Test(pem, chain_file_has_two_blocks_in_order)
{
    size_t clen, llen, alen;
    char *chain = slurp("server-chain.pem", &clen);
    char *leaf = slurp("server-cert.pem", &llen);
    char *ca = slurp("ca-cert.pem", &alen);
    size_t pos = 0, p1 = 0, p2 = 0;
    uint8_t *a, *b, *x, *y;
    uint32_t la, lb, lx, ly;
    cr_assert_eq(SSLXPEMDecode(chain, clen, &pos, "CERTIFICATE", &a, &la), SSLNoErr);
    cr_assert_eq(SSLXPEMDecode(chain, clen, &pos, "CERTIFICATE", &b, &lb), SSLNoErr);
    cr_expect_eq(SSLXPEMDecode(chain, clen, &pos, "CERTIFICATE", &x, &lx), X509DataNotFoundErr);
    cr_assert_eq(SSLXPEMDecode(leaf, llen, &p1, "CERTIFICATE", &x, &lx), SSLNoErr);
    cr_assert_eq(SSLXPEMDecode(ca, alen, &p2, "CERTIFICATE", &y, &ly), SSLNoErr);
    cr_expect(la == lx && memcmp(a, x, la) == 0, "first block is the leaf");
    cr_expect(lb == ly && memcmp(b, y, lb) == 0, "second block is the CA");
    free(a), free(b), free(x), free(y);
    free(chain), free(leaf), free(ca);
}

/* "hello!?" is aGVsbG8hPw== ; "hi" is aGk= */
Test(pem, small_blocks_and_padding)
{
    uint8_t *d;
    uint32_t n;
    cr_assert_eq(decode("-----BEGIN X-----\naGVsbG8hPw==\n-----END X-----\n", "X", &d, &n), SSLNoErr);
    cr_expect(n == 7 && memcmp(d, "hello!?", 7) == 0);
    free(d);
    cr_assert_eq(decode("-----BEGIN X-----\r\naG\r\n k=\t\r\n-----END X-----", "X", &d, &n), SSLNoErr);
    cr_expect(n == 2 && memcmp(d, "hi", 2) == 0, "CRLF, blanks inside, no final newline");
    free(d);
    cr_assert_eq(decode("-----BEGIN X-----\naGk6\n-----END X-----\n", "X", &d, &n), SSLNoErr);
    cr_expect(n == 3 && memcmp(d, "hi:", 3) == 0);
    free(d);
}

Test(pem, bad_base64_fails)
{
    static const char *bad[] = {
        "-----BEGIN X-----\naGk*\n-----END X-----\n",        /* bad character */
        "-----BEGIN X-----\naGk\n-----END X-----\n",         /* not a multiple of 4 */
        "-----BEGIN X-----\naG==k\n-----END X-----\n",       /* data after padding */
        "-----BEGIN X-----\naGk=aGk=\n-----END X-----\n",    /* padding in the middle */
        "-----BEGIN X-----\na===\n-----END X-----\n",        /* three '=' */
        "-----BEGIN X-----\n====\n-----END X-----\n",        /* only padding */
        "-----BEGIN X-----\naGl=\n-----END X-----\n",        /* non-zero bits under '=' */
        "-----BEGIN X-----\naH==\n-----END X-----\n",        /* non-zero bits under '==' */
        "-----BEGIN X-----\n\n-----END X-----\n",            /* empty */
        "-----BEGIN X-----\naGk=\n-----END Y-----\n",        /* END of another label */
        "-----BEGIN X-----\naGk=\n",                         /* missing END line */
        "-----BEGIN X-----\naGk=\n-----END X----",           /* END line cut short */
        "-----BEGIN X-----\naGk=\n-----END X-----junk\n",    /* junk after END */
        "-----BEGIN X-----\naGk=\n-----BEGIN X-----\naGk=\n-----END X-----\n", /* nested BEGIN */
        "-----BEGIN X-----\naG\xc3\xa9k=\n-----END X-----\n", /* non-ASCII */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *d = NULL;
        uint32_t n;
        cr_expect_eq(decode(bad[i], "X", &d, &n), ASNBadEncodingErr, "case %zu", i);
        free(d);
    }
}

Test(pem, finding_blocks)
{
    uint8_t *d;
    uint32_t n;
    const char *two = "junk before\n-----BEGIN A-----\naGk=\n-----END A-----\ntext between\n"
                      "-----BEGIN B-----\naGVsbG8hPw==\n-----END B-----\n";
    cr_assert_eq(decode(two, "B", &d, &n), SSLNoErr, "skips a block of another label");
    cr_expect(n == 7 && memcmp(d, "hello!?", 7) == 0);
    free(d);
    cr_expect_eq(decode(two, "C", &d, &n), X509DataNotFoundErr);
    cr_expect_eq(decode("", "A", &d, &n), X509DataNotFoundErr);
    cr_expect_eq(decode("x -----BEGIN A-----\naGk=\n-----END A-----\n", "A", &d, &n),
                 X509DataNotFoundErr, "BEGIN must start a line");
    cr_expect_eq(decode("-----BEGIN AB-----\naGk=\n-----END AB-----\n", "A", &d, &n),
                 X509DataNotFoundErr, "labels match exactly");
    cr_expect_eq(decode("-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"
                        "aGk=\n-----END A-----\n", "A", &d, &n),
                 SSLUnsupportedErr, "encrypted PEM");
    size_t pos = 0;
    cr_expect_eq(SSLXPEMDecode(two, strlen(two), &pos, NULL, &d, &n), SSLBadParameterErr);
    /* a length that cuts the text: the END line is beyond it */
    pos = 0;
    cr_expect_eq(SSLXPEMDecode(two, 40, &pos, "A", &d, &n), ASNBadEncodingErr);
}

/* ---- RSA keys ---------------------------------------------------------------------------------- */

static SSLRSAPrivateKey *key_from(const char *file)
{
    size_t len;
    char *pem = slurp(file, &len);
    SSLRSAPrivateKey *k = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(pem, len, &k), SSLNoErr, "%s", file);
    free(pem);
    return k;
}

static void modulus(const SSLRSAPrivateKey *k, uint8_t *n, size_t *nlen)
{
    uint8_t e[16];
    size_t elen = sizeof e;
    *nlen = 1024;
    cr_assert_eq(cry_rsa_key_public(k, n, nlen, e, &elen), SSLNoErr);
}

Test(pem, pkcs1_and_pkcs8_are_the_same_key)
{
    SSLRSAPrivateKey *k1 = key_from("server-key-pkcs1.pem"), *k8 = key_from("server-key-pkcs8.pem");
    cr_expect_eq(SSLXRSAPrivateKeyBits(k1), 2048);
    cr_expect_eq(SSLXRSAPrivateKeyBits(k8), 2048);
    uint8_t n1[1024], n8[1024];
    size_t l1, l8;
    modulus(k1, n1, &l1);
    modulus(k8, n8, &l8);
    cr_expect(l1 == 256 && l1 == l8 && memcmp(n1, n8, l1) == 0);
    /* and the same private operation */
    uint8_t m[256] = {0, 1, 2, 3}, s1[256], s8[256];
    cr_assert_eq(cry_rsa_private(k1, m, 256, s1), SSLNoErr);
    cr_assert_eq(cry_rsa_private(k8, m, 256, s8), SSLNoErr);
    cr_expect(memcmp(s1, s8, 256) == 0);
    SSLXRSAPrivateKeyFree(k1);
    SSLXRSAPrivateKeyFree(k8);
}

static SSLErr fixed_bytes(void *ref, uint8_t *out, size_t n)
{
    (void)ref;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(0x11 * (i + 1));
    return SSLNoErr;
}

/* A DSA key (DHE-DSS) as PKCS#8 and as OpenSSL's DSAPrivateKey is the same key: same size, same
 * signature for the same nonce; it is not an RSA key and cannot be an export key. */
Test(pem, dsa_pkcs8_and_traditional_are_the_same_key)
{
    SSLRSAPrivateKey *k8 = key_from("dsa1024-key.pem"), *kt = key_from("dsa1024-key-trad.pem");
    cr_expect_eq(SSLXRSAPrivateKeyBits(k8), 1024);
    cr_expect_eq(SSLXRSAPrivateKeyBits(kt), 1024);
    cr_expect(cry_key_is_dsa(k8) && cry_key_is_dsa(kt));
    uint8_t h[20] = {9, 8, 7}, s8[64], st[64], m[128] = {0};
    size_t l8 = sizeof s8, lt = sizeof st;
    cr_assert_eq(cry_dsa_sign(k8, h, sizeof h, s8, &l8, fixed_bytes, NULL), SSLNoErr);
    cr_assert_eq(cry_dsa_sign(kt, h, sizeof h, st, &lt, fixed_bytes, NULL), SSLNoErr);
    cr_expect(l8 == 40 && lt == 40 && memcmp(s8, st, 40) == 0, "r || s, 20 bytes each");
    cr_expect_eq(cry_rsa_private(k8, m, 128, m), SSLBadParameterErr, "a DSA key does not decrypt");
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    cr_expect_eq(SSLSetExportPrivateKey(ctx, k8), SSLBadParameterErr);
    SSLXFreeContext(ctx);
    SSLXRSAPrivateKeyFree(k8);
    SSLXRSAPrivateKeyFree(kt);
}

Test(pem, key_sizes)
{
    static const struct {
        const char *file;
        uint32_t bits;
    } keys[] = {{"server1024-key.pem", 1024}, {"export512-key.pem", 512},
                {"ca-key.pem", 2048},         {"client-key.pem", 2048}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        SSLRSAPrivateKey *k = key_from(keys[i].file);
        cr_expect_eq(SSLXRSAPrivateKeyBits(k), keys[i].bits, "%s", keys[i].file);
        SSLXRSAPrivateKeyFree(k);
    }
}

Test(pem, key_from_der_and_refcount)
{
    size_t len;
    char *pem = slurp("server-key-pkcs1.pem", &len);
    size_t pos = 0;
    uint8_t *der;
    uint32_t dlen;
    cr_assert_eq(SSLXPEMDecode(pem, len, &pos, "RSA PRIVATE KEY", &der, &dlen), SSLNoErr);
    SSLRSAPrivateKey *k = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromDER(der, dlen, &k), SSLNoErr);
    cr_expect_eq(SSLXRSAPrivateKeyRetain(k), k);
    SSLXRSAPrivateKeyFree(k);
    cr_expect_eq(SSLXRSAPrivateKeyBits(k), 2048, "still alive after one of two frees");
    SSLXRSAPrivateKeyFree(k);
    SSLXRSAPrivateKeyFree(NULL);
    der[0] ^= 0x5a; /* the outer SEQUENCE tag */
    SSLRSAPrivateKey *bad = NULL;
    cr_expect_neq(SSLXRSAPrivateKeyFromDER(der, dlen, &bad), SSLNoErr, "damaged key");
    cr_expect_null(bad);
    cr_expect_neq(SSLXRSAPrivateKeyFromDER(der, dlen - 1, &bad), SSLNoErr, "truncated key");
    cr_expect_eq(SSLXRSAPrivateKeyFromDER(NULL, 0, &bad), SSLBadParameterErr);
    free(der);
    free(pem);
}

Test(pem, key_pem_errors)
{
    SSLRSAPrivateKey *k = NULL;
    size_t len;
    char *pem = slurp("server-cert.pem", &len);
    cr_expect_eq(SSLXRSAPrivateKeyFromPEM(pem, len, &k), X509DataNotFoundErr, "a cert is no key");
    free(pem);
    /* the key after a certificate in the same file is found */
    size_t l1, l2;
    char *c = slurp("server-cert.pem", &l1), *kp = slurp("server-key-pkcs8.pem", &l2);
    char *both = malloc(l1 + l2);
    memcpy(both, c, l1);
    memcpy(both + l1, kp, l2);
    cr_expect_eq(SSLXRSAPrivateKeyFromPEM(both, l1 + l2, &k), SSLNoErr);
    cr_expect_eq(SSLXRSAPrivateKeyBits(k), 2048);
    SSLXRSAPrivateKeyFree(k);
    free(both), free(c), free(kp);
}

/* ---- DH parameters --------------------------------------------------------------------------- */

Test(pem, dh_params_pem_and_der)
{
    size_t plen, dlen;
    char *pem = slurp("dh1024.pem", &plen);
    char *der = slurp("dh1024.der", &dlen);
    SSLDHParams *a = NULL, *b = NULL;
    cr_assert_eq(SSLXDHParamsFromPEM(pem, plen, &a), SSLNoErr);
    cr_assert_eq(SSLXDHParamsFromDER((const uint8_t *)der, dlen, &b), SSLNoErr);
    cr_expect_eq(a->plen, 128);
    /* first bytes as `openssl dhparam -text` prints them: 00:f4:46:90:e4:d1 */
    cr_expect(a->p[0] == 0xf4 && a->p[1] == 0x46 && a->p[2] == 0x90 && a->p[3] == 0xe4);
    cr_expect(a->glen == 1 && a->g[0] == 2);
    cr_expect(a->plen == b->plen && memcmp(a->p, b->p, a->plen) == 0);
    cr_expect(a->glen == b->glen && memcmp(a->g, b->g, a->glen) == 0);
    cr_expect_eq(SSLXDHParamsRetain(a), a);
    cr_expect_eq(atomic_load(&a->refcount), 2);
    SSLXDHParamsFree(a);
    cr_expect_eq(a->plen, 128, "still alive");
    SSLXDHParamsFree(a);
    SSLXDHParamsFree(b);
    SSLXDHParamsFree(NULL);
    free(pem);
    free(der);
}

static SSLErr dh_der(const uint8_t *d, size_t n)
{
    SSLDHParams *p = NULL;
    SSLErr e = SSLXDHParamsFromDER(d, n, &p);
    if (e == SSLNoErr) {
        cr_expect_not_null(p);
        SSLXDHParamsFree(p);
    } else {
        cr_expect_null(p);
    }
    return e;
}

Test(pem, dh_params_checked)
{
    /* p = 23 (0x17), g = 5 */
    const uint8_t ok[] = {0x30, 0x06, 0x02, 0x01, 0x17, 0x02, 0x01, 0x05};
    cr_expect_eq(dh_der(ok, sizeof ok), SSLNoErr);
    const uint8_t with_l[] = {0x30, 0x09, 0x02, 0x01, 0x17, 0x02, 0x01, 0x05, 0x02, 0x01, 0x04};
    cr_expect_eq(dh_der(with_l, sizeof with_l), SSLNoErr, "privateValueLength");
    const uint8_t g1[] = {0x30, 0x06, 0x02, 0x01, 0x17, 0x02, 0x01, 0x01};
    cr_expect_eq(dh_der(g1, sizeof g1), ASNBadEncodingErr, "g = 1");
    const uint8_t gp[] = {0x30, 0x06, 0x02, 0x01, 0x17, 0x02, 0x01, 0x17};
    cr_expect_eq(dh_der(gp, sizeof gp), ASNBadEncodingErr, "g = p");
    const uint8_t peven[] = {0x30, 0x06, 0x02, 0x01, 0x18, 0x02, 0x01, 0x05};
    cr_expect_eq(dh_der(peven, sizeof peven), ASNBadEncodingErr, "p even");
    const uint8_t gneg[] = {0x30, 0x06, 0x02, 0x01, 0x17, 0x02, 0x01, 0x85};
    cr_expect_eq(dh_der(gneg, sizeof gneg), ASNBadEncodingErr, "g negative");
    const uint8_t trailing[] = {0x30, 0x06, 0x02, 0x01, 0x17, 0x02, 0x01, 0x05, 0x00};
    cr_expect_eq(dh_der(trailing, sizeof trailing), ASNBadEncodingErr, "trailing byte");
    const uint8_t extra[] = {0x30, 0x0c, 0x02, 0x01, 0x17, 0x02, 0x01, 0x05, 0x02, 0x01, 0x04,
                             0x02, 0x01, 0x04};
    cr_expect_eq(dh_der(extra, sizeof extra), ASNBadEncodingErr, "a fourth field");
    for (size_t n = 0; n < sizeof ok; n++)
        cr_expect_neq(dh_der(ok, n), SSLNoErr, "cut to %zu", n);
    /* a 1025-byte p is over the limit */
    uint8_t *big = calloc(1, 1040);
    const uint8_t hdr[] = {0x30, 0x82, 0x04, 0x09, 0x02, 0x82, 0x04, 0x02, 0x00, 0xff};
    memcpy(big, hdr, sizeof hdr);
    big[8 + 0x402 - 1] = 0x01;
    memcpy(big + 8 + 0x402, (const uint8_t[]){0x02, 0x01, 0x02}, 3);
    cr_expect_eq(dh_der(big, 8 + 0x402 + 3), ASNIntegerTooBigErr);
    free(big);
}

/* EC keys (issue 16): "EC PRIVATE KEY" after an "EC PARAMETERS" block (openssl ecparam -genkey),
 * and PKCS#8, load as the same P-256 key; a parameters block alone is no key. */
Test(pem, ec_private_key_blocks)
{
    size_t l1, l2;
    char *sec1 = slurp("ec256-key.pem", &l1), *p8 = slurp("ec256-key-pkcs8.pem", &l2);
    cr_assert(strstr(sec1, "-----BEGIN EC PARAMETERS-----") == sec1, "parameters come first");
    SSLRSAPrivateKey *a = NULL, *b = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(sec1, l1, &a), SSLNoErr);
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(p8, l2, &b), SSLNoErr);
    cr_expect_eq(cry_key_ec_group(a), CRY_EC_SECP256R1);
    cr_expect_eq(SSLXRSAPrivateKeyBits(a), 0);
    uint8_t pa[97], pb[97];
    size_t la = sizeof pa, lb = sizeof pb;
    cr_assert_eq(cry_ec_key_public(a, pa, &la), SSLNoErr);
    cr_assert_eq(cry_ec_key_public(b, pb, &lb), SSLNoErr);
    cr_expect(la == 65 && la == lb && memcmp(pa, pb, la) == 0);
    SSLXRSAPrivateKeyFree(a);
    SSLXRSAPrivateKeyFree(b);
    /* only the parameters block: no key found */
    char *end = strstr(sec1, "-----END EC PARAMETERS-----");
    cr_assert(end);
    size_t plen = (size_t)(end - sec1) + strlen("-----END EC PARAMETERS-----\n");
    SSLRSAPrivateKey *c = NULL;
    cr_expect_eq(SSLXRSAPrivateKeyFromPEM(sec1, plen, &c), X509DataNotFoundErr);
    cr_expect_null(c);
    free(sec1);
    free(p8);
}

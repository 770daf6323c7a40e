/*
 * ECDSA over P-256 and P-384 (core/src/crypto/ecdsa.c) and EC private keys (crypto_ltc.c):
 * RFC 6979 A.2.5 / A.2.6 vectors signed with the vector's k and verified, whatever the random u
 * that blinds k^-1 (u = 1, n - 1, 0 mod n drawn again, a failed draw); signatures checked by
 * the openssl CLI and openssl's checked by us; strict DER and point checks on bad input; SEC 1 and
 * PKCS#8 key loading, refusals, and EC keys kept out of the RSA / DSA paths.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>
#include "crypto/crypto_ltc.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"
#include "crypto/pkcs1.h"
#include "sslref/sslx.h"

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        cr_assert(sscanf(h, "%2x", &v) == 1);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static char *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SSLREF_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    char *buf = malloc(1 << 16);
    cr_assert(buf);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

/* rnd that hands out a fixed k (the vector's) first, then system randomness (the blinding of
 * k^-1, which must not change s); used counts the draws */
struct fixed_k {
    uint8_t k[48];
    size_t len, used;
};

static SSLErr rnd_fixed(void *ref, uint8_t *out, size_t n)
{
    struct fixed_k *f = ref;
    if (f->used++ == 0) {
        if (n != f->len)
            return SSLUnknownErr;
        memcpy(out, f->k, n);
        return SSLNoErr;
    }
    return getrandom(out, n, 0) == (ssize_t)n ? SSLNoErr : SSLUnknownErr;
}

static SSLErr rnd_sys(void *ref, uint8_t *out, size_t n)
{
    (void)ref;
    return getrandom(out, n, 0) == (ssize_t)n ? SSLNoErr : SSLUnknownErr;
}

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

/* SEC 1 ECPrivateKey { 1, d, [0] curve } (no public key) from hex d */
static SSLRSAPrivateKey *key_from_d(uint16_t group, const char *dhex)
{
    uint8_t d[48], der[128];
    size_t dl = unhex(dhex, d), n = 0;
    const uint8_t *oid = group == CRY_EC_SECP256R1 ? oid_p256 : oid_p384;
    size_t ol = group == CRY_EC_SECP256R1 ? sizeof oid_p256 : sizeof oid_p384;
    der[n++] = 0x30;
    der[n++] = (uint8_t)(3 + 2 + dl + 2 + ol);
    der[n++] = 0x02, der[n++] = 0x01, der[n++] = 0x01;
    der[n++] = 0x04, der[n++] = (uint8_t)dl;
    memcpy(der + n, d, dl), n += dl;
    der[n++] = 0xa0, der[n++] = (uint8_t)ol;
    memcpy(der + n, oid, ol), n += ol;
    SSLRSAPrivateKey *k = NULL;
    cr_assert_eq(cry_rsa_key_from_der(der, n, &k), SSLNoErr);
    return k;
}

struct vec {
    int hash;
    const char *msg, *k, *r, *s;
};

/* Sign with the vector's k: exactly (r, s) as minimal DER; verify accepts; the key's public point
 * is the RFC's U. */
static void check_vectors(uint16_t group, const char *d, const char *ux, const char *uy,
                          const struct vec *v, size_t nv)
{
    SSLRSAPrivateKey *key = key_from_d(group, d);
    cr_assert_eq(cry_key_ec_group(key), group);
    uint8_t pub[97], want_pub[97];
    size_t pl = sizeof pub;
    cr_assert_eq(cry_ec_key_public(key, pub, &pl), SSLNoErr);
    want_pub[0] = 4;
    size_t xl = unhex(ux, want_pub + 1);
    unhex(uy, want_pub + 1 + xl);
    cr_assert_eq(pl, 1 + 2 * xl);
    cr_assert(memcmp(pub, want_pub, pl) == 0, "d G is the RFC's public key");
    for (size_t i = 0; i < nv; i++) {
        uint8_t h[64], r[48], s[48], sig[CRY_ECDSA_MAX_SIG], want[CRY_ECDSA_MAX_SIG];
        cry_hash_once(v[i].hash, v[i].msg, strlen(v[i].msg), h);
        size_t hl = cry_hash_len(v[i].hash);
        struct fixed_k fk = {.used = 0};
        fk.len = unhex(v[i].k, fk.k);
        size_t rl = unhex(v[i].r, r), sl = unhex(v[i].s, s);
        /* the DER we expect: minimal INTEGERs */
        size_t n = 0, body = 0;
        uint8_t ints[2 * 51];
        const uint8_t *vals[2] = {r, s};
        size_t lens[2] = {rl, sl};
        for (int j = 0; j < 2; j++) {
            const uint8_t *p = vals[j];
            size_t l = lens[j];
            while (l > 1 && p[0] == 0)
                p++, l--;
            ints[body++] = 2;
            ints[body++] = (uint8_t)(l + (p[0] >> 7));
            if (p[0] & 0x80)
                ints[body++] = 0;
            memcpy(ints + body, p, l);
            body += l;
        }
        want[n++] = 0x30;
        if (body >= 0x80)
            want[n++] = 0x81;
        want[n++] = (uint8_t)body;
        memcpy(want + n, ints, body);
        n += body;
        size_t siglen = sizeof sig;
        cr_assert_eq(cry_ecdsa_sign(key, h, hl, sig, &siglen, rnd_fixed, &fk), SSLNoErr,
                     "vector %zu", i);
        cr_expect_eq(fk.used, 2, "vector %zu: k, then the blinding of k^-1", i);
        cr_expect_eq(siglen, n, "vector %zu length", i);
        cr_expect(memcmp(sig, want, n) == 0, "vector %zu: (r, s) as in RFC 6979", i);
        cr_expect_eq(cry_ecdsa_verify(group, pub, pl, h, hl, sig, siglen), 1, "vector %zu", i);
        h[0] ^= 1;
        cr_expect_eq(cry_ecdsa_verify(group, pub, pl, h, hl, sig, siglen), 0);
    }
    cry_rsa_key_release(key);
}

Test(ecdsa, rfc6979_p256)
{
    static const struct vec v[] = {
        {CRY_SHA256, "sample", "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60",
         "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
         "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
        {CRY_SHA256, "test", "D16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0",
         "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
         "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"},
        /* SHA-512 with P-256: the hash is truncated to its leftmost 256 bits */
        {CRY_SHA512, "sample", "5FA81C63109BADB88C1F367B47DA606DA28CAD69AA22C4FE6AD7DF73A7173AA5",
         "8496A60B5E9B47C825488827E0495B0E3FA109EC4568FD3F8D1097678EB97F00",
         "2362AB1ADBE2B8ADF9CB9EDAB740EA6049C028114F2460F96554F61FAE3302FE"},
    };
    check_vectors(CRY_EC_SECP256R1,
                  "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
                  "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
                  "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299", v,
                  sizeof v / sizeof v[0]);
}

Test(ecdsa, rfc6979_p384)
{
    static const struct vec v[] = {
        {CRY_SHA384, "sample",
         "94ED910D1A099DAD3254E9242AE85ABDE4BA15168EAF0CA87A555FD56D10FBCA2907E3E83BA95368623B8C4686915CF9",
         "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46",
         "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8"},
        {CRY_SHA384, "test",
         "015EE46A5BF88773ED9123A5AB0807962D193719503C527B031B4C2D225092ADA71F4A459BC0DA98ADB95837DB8312EA",
         "8203B63D3C853E8D77227FB377BCF7B7B772E97892A80F36AB775D509D7A5FEB0542A7F0812998DA8F1DD3CA3CF023DB",
         "DDD0760448D42D8A43AF45AF836FCE4DE8BE06B485E9B61B827C2F13173923E06A739F040649A667BF3B828246BAA5A5"},
    };
    check_vectors(CRY_EC_SECP384R1,
                  "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5",
                  "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64DEF8F0EA9055866064A254515480BC13",
                  "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1288B231C3AE0D4FE7344FD2533264720",
                  v, sizeof v / sizeof v[0]);
}

/* ---- against the openssl CLI ---- */

static SSLRSAPrivateKey *load_pem(const char *name)
{
    size_t len;
    char *pem = slurp(name, &len);
    SSLRSAPrivateKey *k = NULL;
    SSLErr e = SSLXRSAPrivateKeyFromPEM(pem, len, &k);
    free(pem);
    cr_assert_eq(e, SSLNoErr, "loading %s: %d", name, (int)e);
    return k;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "no %s", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* both directions, several random messages, with the given hash */
static void openssl_roundtrip(const char *keyfile, uint16_t group, int hash, const char *dgst)
{
    SSLRSAPrivateKey *key = load_pem(keyfile);
    cr_assert_eq(cry_key_ec_group(key), group);
    uint8_t pub[97];
    size_t pl = sizeof pub;
    cr_assert_eq(cry_ec_key_public(key, pub, &pl), SSLNoErr);
    char dir[] = "/tmp/sslref-ecdsa-XXXXXX", cmd[2048], path[600];
    cr_assert(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "openssl pkey -in %s/%s -pubout -out %s/pub.pem 2>/dev/null",
             SSLREF_TEST_DATA, keyfile, dir);
    cr_assert_eq(run(cmd), 0, "openssl pkey");
    for (int i = 0; i < 4; i++) {
        uint8_t msg[200], h[64], sig[CRY_ECDSA_MAX_SIG];
        size_t ml = 1 + (size_t)i * 50;
        cr_assert_eq(rnd_sys(NULL, msg, ml), SSLNoErr);
        snprintf(path, sizeof path, "%s/msg", dir);
        write_file(path, msg, ml);
        cry_hash_once(hash, msg, ml, h);
        size_t hl = cry_hash_len(hash), sl = sizeof sig;
        /* ours -> openssl */
        cr_assert_eq(cry_ecdsa_sign(key, h, hl, sig, &sl, rnd_sys, NULL), SSLNoErr);
        snprintf(path, sizeof path, "%s/sig.der", dir);
        write_file(path, sig, sl);
        snprintf(cmd, sizeof cmd,
                 "openssl dgst -%s -verify %s/pub.pem -signature %s/sig.der %s/msg >/dev/null",
                 dgst, dir, dir, dir);
        cr_expect_eq(run(cmd), 0, "openssl verifies our %s signature (%s, msg %d)", dgst, keyfile,
                     i);
        /* openssl -> ours */
        snprintf(cmd, sizeof cmd, "openssl dgst -%s -sign %s/%s -out %s/osig.der %s/msg", dgst,
                 SSLREF_TEST_DATA, keyfile, dir, dir);
        cr_assert_eq(run(cmd), 0, "openssl dgst -sign");
        snprintf(path, sizeof path, "%s/osig.der", dir);
        uint8_t osig[256];
        size_t ol = read_file(path, osig, sizeof osig);
        cr_expect_eq(cry_ecdsa_verify(group, pub, pl, h, hl, osig, ol), 1,
                     "we verify openssl's %s signature (%s, msg %d)", dgst, keyfile, i);
        osig[ol - 1] ^= 0x01;
        cr_expect_eq(cry_ecdsa_verify(group, pub, pl, h, hl, osig, ol), 0);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)run(cmd);
    cry_rsa_key_release(key);
}

Test(ecdsa, openssl_p256_sha256) { openssl_roundtrip("ec256-key.pem", CRY_EC_SECP256R1, CRY_SHA256, "sha256"); }
Test(ecdsa, openssl_p384_sha384) { openssl_roundtrip("ec384-key.pem", CRY_EC_SECP384R1, CRY_SHA384, "sha384"); }
Test(ecdsa, openssl_p256_sha512) { openssl_roundtrip("ec256-key-pkcs8.pem", CRY_EC_SECP256R1, CRY_SHA512, "sha512"); }
Test(ecdsa, openssl_p256_sha1) { openssl_roundtrip("ec256-key.pem", CRY_EC_SECP256R1, CRY_SHA1, "sha1"); }
Test(ecdsa, openssl_p384_sha256) { openssl_roundtrip("ec384-key-pkcs8.pem", CRY_EC_SECP384R1, CRY_SHA256, "sha256"); }

/* ---- sign: rejection of out-of-range nonces, arguments ---- */

/* rnd that hands out s->n given draws in order, each of its own length, then fails */
struct seq_k {
    uint8_t k[8][40];
    size_t len[8];
    int i, n;
};

static SSLErr rnd_seq(void *ref, uint8_t *out, size_t n)
{
    struct seq_k *s = ref;
    if (s->i >= s->n || n != s->len[s->i])
        return SSLUnknownErr;
    memcpy(out, s->k[s->i++], n);
    return SSLNoErr;
}

static void seq_put(struct seq_k *s, const uint8_t *b, size_t len)
{
    cr_assert(s->n < 8 && len <= sizeof s->k[0]);
    memcpy(s->k[s->n], b, len);
    s->len[s->n++] = len;
}

#define P256_D "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"
#define P256_N "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"
#define P256_SAMPLE_K "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60"
/* DER of the A.2.5 SHA-256 "sample" signature */
#define P256_SAMPLE_SIG                                                                            \
    "3046022100EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716022100F7CB1C942D" \
    "657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"

Test(ecdsa, nonce_rejection_and_arguments)
{
    SSLRSAPrivateKey *key = key_from_d(CRY_EC_SECP256R1, P256_D);
    uint8_t h[32], sig[CRY_ECDSA_MAX_SIG], want[80];
    cry_hash_once(CRY_SHA256, "sample", 6, h);
    size_t wl = unhex(P256_SAMPLE_SIG, want);
    /* k = 0, k = n, k = 2^256 - 1 are drawn again; then the vector's k gives the vector (the fifth
     * draw, 40 bytes, blinds k^-1) */
    struct seq_k s = {.i = 0};
    uint8_t b[40];
    memset(b, 0, 32);
    seq_put(&s, b, 32);
    seq_put(&s, b, unhex(P256_N, b));
    memset(b, 0xff, 32);
    seq_put(&s, b, 32);
    seq_put(&s, b, unhex(P256_SAMPLE_K, b));
    cr_assert_eq(getrandom(b, 40, 0), 40);
    seq_put(&s, b, 40);
    size_t sl = sizeof sig;
    cr_assert_eq(cry_ecdsa_sign(key, h, 32, sig, &sl, rnd_seq, &s), SSLNoErr);
    cr_expect_eq(s.i, 5);
    cr_expect(sl == wl && memcmp(sig, want, wl) == 0);
    /* rnd's error comes back */
    s.i = s.n;
    sl = sizeof sig;
    cr_expect_eq(cry_ecdsa_sign(key, h, 32, sig, &sl, rnd_seq, &s), SSLUnknownErr);
    /* too small an output */
    struct fixed_k fk = {.len = 32};
    unhex(P256_SAMPLE_K, fk.k);
    sl = wl - 1;
    cr_expect_eq(cry_ecdsa_sign(key, h, 32, sig, &sl, rnd_fixed, &fk), SSLOverflowErr);
    sl = sizeof sig;
    cr_expect_eq(cry_ecdsa_sign(NULL, h, 32, sig, &sl, rnd_sys, NULL), SSLBadParameterErr);
    cr_expect_eq(cry_ecdsa_sign(key, NULL, 32, sig, &sl, rnd_sys, NULL), SSLBadParameterErr);
    cr_expect_eq(cry_ecdsa_sign(key, h, 32, sig, &sl, NULL, NULL), SSLBadParameterErr);
    uint8_t pub[97];
    size_t pl = 64;
    cr_expect_eq(cry_ec_key_public(key, pub, &pl), SSLOverflowErr);
    /* a short hash (SHA-1) is used whole: sign and verify agree */
    sl = sizeof sig;
    cr_assert_eq(cry_ecdsa_sign(key, h, 20, sig, &sl, rnd_sys, NULL), SSLNoErr);
    pl = sizeof pub;
    cr_assert_eq(cry_ec_key_public(key, pub, &pl), SSLNoErr);
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, pub, pl, h, 20, sig, sl), 1);
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, pub, pl, h, 32, sig, sl), 0);
    cry_rsa_key_release(key);
}

/* ---- sign: the blinding of k^-1 (bn_ct_ecdsa_s: k^-1 = (k u)^-1 u, u from the draw after k) ---- */

/* The "sample" vector signed with the vector's k and nu 40-byte blinding draws (u, one after the
 * other): SSLNoErr, the RFC's signature, every draw used. */
static void sign_sample_with_blinding(const uint8_t *u, int nu)
{
    SSLRSAPrivateKey *key = key_from_d(CRY_EC_SECP256R1, P256_D);
    uint8_t h[32], sig[CRY_ECDSA_MAX_SIG], want[80], k[32];
    cry_hash_once(CRY_SHA256, "sample", 6, h);
    size_t wl = unhex(P256_SAMPLE_SIG, want);
    struct seq_k s = {.i = 0};
    seq_put(&s, k, unhex(P256_SAMPLE_K, k));
    for (int i = 0; i < nu; i++)
        seq_put(&s, u + 40 * i, 40);
    size_t sl = sizeof sig;
    cr_assert_eq(cry_ecdsa_sign(key, h, 32, sig, &sl, rnd_seq, &s), SSLNoErr);
    cr_expect_eq(s.i, 1 + nu, "k, then %d blinding draws", nu);
    cr_expect(sl == wl && memcmp(sig, want, wl) == 0, "the RFC 6979 signature, whatever u");
    cry_rsa_key_release(key);
}

Test(ecdsa, blinding_does_not_change_s)
{
    /* u = 1, u = n - 1 (= -1), and 2^320 - 1 reduced mod n: each gives the same s */
    uint8_t u[3][40];
    memset(u, 0, sizeof u);
    u[0][39] = 1;
    unhex(P256_N, u[1] + 8);
    u[1][39] -= 1; /* n ends in 0x51 */
    memset(u[2], 0xff, 40);
    for (int i = 0; i < 3; i++)
        sign_sample_with_blinding(u[i], 1);
}

Test(ecdsa, blinding_zero_mod_n_is_drawn_again)
{
    /* 0, n and 2n are 0 mod n (k u would not be invertible): drawn again, then u = n - 1 */
    uint8_t u[4][40];
    memset(u, 0, sizeof u);
    unhex(P256_N, u[1] + 8);
    uint8_t n[32];
    unhex(P256_N, n);
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) { /* 2n: 257 bits, fits in 40 bytes */
        unsigned v = 2u * n[i] + carry;
        u[2][8 + i] = (uint8_t)v;
        carry = v >> 8;
    }
    u[2][7] = (uint8_t)carry;
    memcpy(u[3], u[1], 40);
    u[3][39] -= 1;
    sign_sample_with_blinding(u[0], 4);
}

/* rnd for the error paths: the vector's k first; draw fail_at (counted from 1) returns err; zero_u:
 * every later draw is zeros (a u that is 0 mod n); otherwise system randomness */
struct scripted {
    uint8_t k[32];
    int calls, fail_at, zero_u;
    SSLErr err;
};

static SSLErr rnd_scripted(void *ref, uint8_t *out, size_t n)
{
    struct scripted *sc = ref;
    if (++sc->calls == sc->fail_at)
        return sc->err;
    if (sc->calls == 1 && n == sizeof sc->k) {
        memcpy(out, sc->k, n);
        return SSLNoErr;
    }
    if (sc->zero_u) {
        memset(out, 0, n);
        return SSLNoErr;
    }
    return getrandom(out, n, 0) == (ssize_t)n ? SSLNoErr : SSLUnknownErr;
}

Test(ecdsa, blinding_draw_errors)
{
    SSLRSAPrivateKey *key = key_from_d(CRY_EC_SECP256R1, P256_D);
    uint8_t h[32], sig[CRY_ECDSA_MAX_SIG];
    cry_hash_once(CRY_SHA256, "sample", 6, h);
    /* rnd fails on the blinding draw (the second): its error comes back, and nothing is drawn
     * after it (SSLUnknownErr too: it must not pass for s = 0 and start over with a new k) */
    static const SSLErr errs[] = {SSLUnknownErr, SSLIOErr, SSLMemoryErr};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        struct scripted sc = {.fail_at = 2, .err = errs[i]};
        unhex(P256_SAMPLE_K, sc.k);
        size_t sl = sizeof sig;
        cr_expect_eq(cry_ecdsa_sign(key, h, 32, sig, &sl, rnd_scripted, &sc), errs[i], "err %d",
                     (int)errs[i]);
        cr_expect_eq(sc.calls, 2, "err %d: no draw after the failed one", (int)errs[i]);
    }
    /* a u that is always 0 mod n: 16 draws, then SSLUnknownErr (not a new k) */
    struct scripted sc = {.zero_u = 1};
    unhex(P256_SAMPLE_K, sc.k);
    size_t sl = sizeof sig;
    cr_expect_eq(cry_ecdsa_sign(key, h, 32, sig, &sl, rnd_scripted, &sc), SSLUnknownErr);
    cr_expect_eq(sc.calls, 1 + 16);
    /* the same rnd with working blinding draws signs (the control for the two cases above) */
    struct scripted ok = {.calls = 0};
    unhex(P256_SAMPLE_K, ok.k);
    uint8_t want[80];
    size_t wl = unhex(P256_SAMPLE_SIG, want);
    sl = sizeof sig;
    cr_expect_eq(cry_ecdsa_sign(key, h, 32, sig, &sl, rnd_scripted, &ok), SSLNoErr);
    cr_expect_eq(ok.calls, 2);
    cr_expect(sl == wl && memcmp(sig, want, wl) == 0);
    cry_rsa_key_release(key);
}

/* ---- verify: strict DER, range, point ---- */

static int verify_hex(const char *sighex, const uint8_t *pub, size_t pl)
{
    uint8_t h[32], sig[160];
    cry_hash_once(CRY_SHA256, "sample", 6, h);
    size_t sl = unhex(sighex, sig);
    return cry_ecdsa_verify(CRY_EC_SECP256R1, pub, pl, h, 32, sig, sl);
}

#define SIG_R "022100EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
#define SIG_S "022100F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"
#define R_BODY "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
#define S_BODY "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"

Test(ecdsa, verify_refuses_bad_der_and_ranges)
{
    uint8_t pub[65];
    pub[0] = 4;
    unhex("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
          "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299",
          pub + 1);
    cr_assert_eq(verify_hex("3046" SIG_R SIG_S, pub, 65), 1, "the good signature");
    static const struct {
        const char *hex, *why;
    } bad[] = {
        {"3047" "02220000" R_BODY SIG_S, "r with two leading zeros (not minimal)"},
        {"3047" SIG_R "02220000" S_BODY, "s not minimal"},
        {"3045" "0220" R_BODY SIG_S, "r negative (pad missing)"},
        {"3045" SIG_R "0220" S_BODY, "s negative"},
        {"3046" SIG_R SIG_S "00", "a trailing byte outside the SEQUENCE"},
        {"3047" SIG_R SIG_S "00", "a trailing byte inside the SEQUENCE"},
        {"304B" SIG_R SIG_S "0203010001", "a third INTEGER"},
        {"3025" SIG_R, "only r"},
        {"3026" "020100" SIG_S, "r = 0"},
        {"3026" SIG_R "020100", "s = 0"},
        {"3046" "022100" P256_N SIG_S, "r = n"},
        {"3046" SIG_R "022100" P256_N, "s = n"},
        {"3046" "022100FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" SIG_S, "r > n"},
        {"3047" "02220001" "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" SIG_S,
         "r longer than n"},
        {"3045" SIG_R SIG_S, "outer length one short"},
        {"3047" SIG_R SIG_S, "outer length one long"},
        {"308146" SIG_R SIG_S, "long form for a length under 128"},
        {"30820046" SIG_R SIG_S, "two-byte long form"},
        {"3080" SIG_R SIG_S "0000", "indefinite length"},
        {"3047" "028121" "00" R_BODY SIG_S, "INTEGER with a long-form length"},
        {"3146" SIG_R SIG_S, "a SET, not a SEQUENCE"},
        {"3046" "032100" R_BODY SIG_S, "r as a BIT STRING"},
        {"3046" "022200" R_BODY SIG_S, "INTEGER length running into s"},
        {"30", "truncated header"},
        {"", "empty"},
        {"3000", "empty SEQUENCE"},
        {"3004" "0200" "0200", "empty INTEGERs"},
        {"30FF" SIG_R SIG_S, "long form with a length that lies"},
        {"3081FF" SIG_R SIG_S, "0x81 length that lies"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(verify_hex(bad[i].hex, pub, 65), 0, "%s", bad[i].why);

    /* every bit of the good signature flipped: refused */
    uint8_t h[32], sig[80];
    cry_hash_once(CRY_SHA256, "sample", 6, h);
    size_t sl = unhex("3046" SIG_R SIG_S, sig);
    for (size_t i = 0; i < sl; i++)
        for (int b = 0; b < 8; b++) {
            sig[i] ^= (uint8_t)(1 << b);
            cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, pub, 65, h, 32, sig, sl), 0,
                         "byte %zu bit %d", i, b);
            sig[i] ^= (uint8_t)(1 << b);
        }
    /* every bit of the hash flipped */
    for (size_t i = 0; i < 32; i++) {
        h[i] ^= 0x80;
        cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, pub, 65, h, 32, sig, sl), 0);
        h[i] ^= 0x80;
    }
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, pub, 65, h, 32, sig, sl), 1);

    /* the public point: off the curve, wrong length, compressed, hybrid, wrong group */
    uint8_t q[97];
    memcpy(q, pub, 65);
    q[64] ^= 1;
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, q, 65, h, 32, sig, sl), 0, "off the curve");
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, pub, 64, h, 32, sig, sl), 0, "short");
    memcpy(q, pub, 65);
    q[65] = 0;
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, q, 66, h, 32, sig, sl), 0, "long");
    q[0] = (uint8_t)(2 + (pub[64] & 1));
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, q, 33, h, 32, sig, sl), 0, "compressed");
    memcpy(q, pub, 65);
    q[0] = (uint8_t)(6 + (pub[64] & 1));
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, q, 65, h, 32, sig, sl), 0, "hybrid");
    memset(q, 0, 65);
    q[0] = 4;
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, q, 65, h, 32, sig, sl), 0, "(0, 0)");
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP384R1, pub, 65, h, 32, sig, sl), 0, "P-384");
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_X25519, pub, 65, h, 32, sig, sl), 0, "X25519");
    cr_expect_eq(cry_ecdsa_verify(0, pub, 65, h, 32, sig, sl), 0);
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, NULL, 65, h, 32, sig, sl), 0);
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, pub, 65, NULL, 32, sig, sl), 0);
    cr_expect_eq(cry_ecdsa_verify(CRY_EC_SECP256R1, pub, 65, h, 32, NULL, sl), 0);
}

/* ---- key loading ---- */

static uint8_t *pem_der(const char *file, const char *label, uint32_t *len)
{
    size_t pl, pos = 0;
    char *pem = slurp(file, &pl);
    uint8_t *der = NULL;
    cr_assert_eq(SSLXPEMDecode(pem, pl, &pos, label, &der, len), SSLNoErr, "%s", file);
    free(pem);
    return der;
}

static void key_pub(SSLRSAPrivateKey *k, uint8_t *pub, size_t *pl)
{
    *pl = 97;
    cr_assert_eq(cry_ec_key_public(k, pub, pl), SSLNoErr);
}

Test(ecdsa, key_forms_load_as_one_key)
{
    static const char *const p256[] = {"ec256-key.pem", "ec256-key-pkcs8.pem",
                                       "ec256-key-nopub.pem"};
    uint8_t first[97], pub[97];
    size_t fl = 0, pl;
    for (int i = 0; i < 3; i++) {
        SSLRSAPrivateKey *k = load_pem(p256[i]);
        cr_expect_eq(cry_key_ec_group(k), CRY_EC_SECP256R1, "%s", p256[i]);
        cr_expect_eq(cry_key_is_dsa(k), 0);
        cr_expect_eq(cry_rsa_key_bits(k), 0);
        cr_expect_eq(cry_rsa_key_bytes(k), 0);
        cr_expect_eq(SSLXRSAPrivateKeyBits(k), 0);
        key_pub(k, pub, &pl);
        cr_expect_eq(pl, 65);
        if (i == 0)
            memcpy(first, pub, fl = pl);
        else
            cr_expect(pl == fl && memcmp(pub, first, pl) == 0, "%s: the same key", p256[i]);
        cr_expect(cry_ecdh_check(CRY_EC_SECP256R1, pub, pl));
        cry_rsa_key_release(k);
    }
    SSLRSAPrivateKey *a = load_pem("ec384-key.pem"), *b = load_pem("ec384-key-pkcs8.pem");
    cr_expect_eq(cry_key_ec_group(a), CRY_EC_SECP384R1);
    key_pub(a, first, &fl);
    key_pub(b, pub, &pl);
    cr_expect(fl == 97 && pl == 97 && memcmp(pub, first, pl) == 0);
    /* (that the point is the certificate's key: test_x509.c ec_point_matches_key_file) */
    cry_rsa_key_release(a);
    cry_rsa_key_release(b);
    /* an RSA key is not EC */
    SSLRSAPrivateKey *r = load_pem("server-key-pkcs8.pem");
    cr_expect_eq(cry_key_ec_group(r), 0);
    pl = sizeof pub;
    cr_expect_eq(cry_ec_key_public(r, pub, &pl), SSLBadParameterErr);
    uint8_t h[32] = {0}, sig[CRY_ECDSA_MAX_SIG];
    size_t sl = sizeof sig;
    cr_expect_eq(cry_ecdsa_sign(r, h, 32, sig, &sl, rnd_sys, NULL), SSLBadParameterErr);
    cry_rsa_key_release(r);
}

Test(ecdsa, key_refusals)
{
    SSLRSAPrivateKey *k = (SSLRSAPrivateKey *)&k;
    /* other curves */
    static const char *const other[] = {"ec521-key.pem", "ec256k1-key.pem"};
    for (int i = 0; i < 2; i++) {
        size_t len;
        char *pem = slurp(other[i], &len);
        cr_expect_eq(SSLXRSAPrivateKeyFromPEM(pem, len, &k), SSLUnsupportedErr, "%s", other[i]);
        cr_expect_null(k);
        free(pem);
    }
    /* a public key that is not d G: another P-256 key's point, or a point off the curve, in
     * SEC 1 and in PKCS#8 (openssl puts the point last in both) */
    uint32_t ol, cl;
    uint8_t *ca = pem_der("ec-ca-key.pem", "EC PRIVATE KEY", &cl);
    static const struct {
        const char *file, *label;
    } forms[] = {{"ec256-key.pem", "EC PRIVATE KEY"}, {"ec256-key-pkcs8.pem", "PRIVATE KEY"}};
    for (int i = 0; i < 2; i++) {
        uint8_t *der = pem_der(forms[i].file, forms[i].label, &ol);
        cr_assert_eq(cry_rsa_key_from_der(der, ol, &k), SSLNoErr);
        cry_rsa_key_release(k);
        uint8_t save[65];
        memcpy(save, der + ol - 65, 65);
        cr_assert_eq(save[0], 4);
        memcpy(der + ol - 65, ca + cl - 65, 65);
        cr_expect_eq(cry_rsa_key_from_der(der, ol, &k), ASNBadEncodingErr, "%s: other point",
                     forms[i].file);
        cr_expect_null(k);
        memcpy(der + ol - 65, save, 65);
        der[ol - 1] ^= 1;
        cr_expect_eq(cry_rsa_key_from_der(der, ol, &k), ASNBadEncodingErr, "%s: off curve",
                     forms[i].file);
        der[ol - 1] ^= 1;
        der[ol - 65] = 2; /* compressed marker on an uncompressed length */
        cr_expect_eq(cry_rsa_key_from_der(der, ol, &k), ASNBadEncodingErr);
        der[ol - 65] = 4;
        /* every truncation, and a byte appended */
        for (uint32_t n = 0; n < ol; n++) {
            cr_expect_eq(cry_rsa_key_from_der(der, n, &k), ASNBadEncodingErr, "%s cut at %u",
                         forms[i].file, n);
            cr_expect_null(k);
        }
        uint8_t *longer = malloc(ol + 1);
        memcpy(longer, der, ol);
        longer[ol] = 0;
        cr_expect_eq(cry_rsa_key_from_der(longer, ol + 1, &k), ASNBadEncodingErr);
        free(longer);
        free(der);
    }
    free(ca);
    /* d = 0, d = n, d > n: SEC 1 { 1, d, [0] prime256v1 } (d = 1: edge_scalars) */
    static const char *const ds[] = {
        "0000000000000000000000000000000000000000000000000000000000000000", P256_N,
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"};
    for (int i = 0; i < 3; i++) {
        uint8_t der[64] = {0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20};
        unhex(ds[i], der + 7);
        memcpy(der + 39, "\xa0\x0a", 2);
        memcpy(der + 41, oid_p256, sizeof oid_p256);
        cr_expect_eq(cry_rsa_key_from_der(der, 51, &k), ASNBadEncodingErr, "d %d", i);
        if (i == 0) { /* the same with d = 2 loads: the builder is right */
            der[38] = 2;
            cr_expect_eq(cry_rsa_key_from_der(der, 51, &k), SSLNoErr);
            cry_rsa_key_release(k);
        }
    }
    /* version 2, no curve at all, a specifiedCurve */
    uint8_t der[64] = {0x30, 0x31, 0x02, 0x01, 0x02, 0x04, 0x20};
    der[38] = 2;
    memcpy(der + 39, "\xa0\x0a", 2);
    memcpy(der + 41, oid_p256, sizeof oid_p256);
    cr_expect_eq(cry_rsa_key_from_der(der, 51, &k), ASNBadEncodingErr, "version 2");
    der[4] = 1;
    der[1] = 0x25;
    cr_expect_eq(cry_rsa_key_from_der(der, 39, &k), ASNBadEncodingErr, "no curve");
    der[1] = 0x29;
    memcpy(der + 39, "\xa0\x02\x30\x00", 4);
    cr_expect_eq(cry_rsa_key_from_der(der, 43, &k), SSLUnsupportedErr, "specifiedCurve");
}

/* An EC key given to the RSA and DSA paths: refused, never a crash. */
Test(ecdsa, ec_key_in_rsa_paths)
{
    SSLRSAPrivateKey *k = load_pem("ec256-key.pem");
    uint8_t in[512] = {0}, out[512], n[512], e[8];
    size_t nl = sizeof n, el = sizeof e, sl = sizeof out;
    uint32_t ol = 0, good = 1, rb = 1;
    cr_expect_eq(cry_rsa_private(k, in, 32, out), SSLBadParameterErr);
    cr_expect_eq(cry_rsa_private(k, in, 0, out), SSLBadParameterErr);
    cr_expect_eq(cry_rsa_key_public(k, n, &nl, e, &el), SSLUnsupportedErr);
    cr_expect_eq(cry_dsa_sign(k, in, 20, out, &sl, rnd_sys, NULL), SSLBadParameterErr);
    cr_expect_eq(pkcs1_sign(k, in, 36, out, sizeof out, &ol), SSLBadParameterErr);
    cr_expect_eq(pkcs1_decrypt_fixed(k, in, 256, out, 48, &good, &rb), SSLNoErr);
    cr_expect_eq(good, 0);
    cr_expect_eq(rb, 0);
    uint8_t pm[48];
    cr_expect_eq(pkcs1_decrypt_premaster(rnd_sys, NULL, k, in, 256, 0x0300, pm), SSLNoErr);
    cr_expect(pm[0] == 3 && pm[1] == 0, "a random premaster, as for any bad block");
    /* retain / release keep it alive */
    cr_expect_eq(SSLXRSAPrivateKeyRetain(k), k);
    SSLXRSAPrivateKeyFree(k);
    cr_expect_eq(cry_key_ec_group(k), CRY_EC_SECP256R1);
    SSLXRSAPrivateKeyFree(k);
}

/*
 * Scalars at the edges of [2, n): d G for d = 2, 3 (2G and 3G as the Python "cryptography"
 * package, i.e. OpenSSL, computes them), d = n - 1 (-G) and n - 2, n - 3 (the negations of 2G, 3G): the ladder
 * over d + n / d + 2n gets them right; d = 1 is refused (the one scalar it gets wrong: bn_ct.h).
 */
static SSLErr key_d(uint16_t group, const uint8_t *d, size_t dl, SSLRSAPrivateKey **k)
{
    uint8_t der[128];
    const uint8_t *oid = group == CRY_EC_SECP256R1 ? oid_p256 : oid_p384;
    size_t ol = group == CRY_EC_SECP256R1 ? sizeof oid_p256 : sizeof oid_p384, n = 0;
    der[n++] = 0x30;
    der[n++] = (uint8_t)(3 + 2 + dl + 2 + ol);
    der[n++] = 0x02, der[n++] = 0x01, der[n++] = 0x01;
    der[n++] = 0x04, der[n++] = (uint8_t)dl;
    memcpy(der + n, d, dl), n += dl;
    der[n++] = 0xa0, der[n++] = (uint8_t)ol;
    memcpy(der + n, oid, ol), n += ol;
    *k = NULL;
    return cry_rsa_key_from_der(der, n, k);
}

static void sub_small(const uint8_t *n, size_t len, unsigned v, uint8_t *out)
{
    unsigned borrow = v;
    for (size_t i = len; i-- > 0;) {
        unsigned x = (unsigned)n[i] - (borrow & 0xff);
        out[i] = (uint8_t)x;
        borrow = (borrow >> 8) + ((x >> 8) & 1);
    }
}

static void edge_scalars(uint16_t group, const char *nhex, const char *gx, const char *gy,
                         const char *phex, const char *twoG, const char *threeG)
{
    uint8_t n[48], d[48], pub[97], want[97], p[48];
    size_t sz = unhex(nhex, n), pl;
    unhex(phex, p);
    SSLRSAPrivateKey *k;
    memset(d, 0, sz);
    d[sz - 1] = 1;
    cr_expect_eq(key_d(group, d, sz, &k), ASNBadEncodingErr, "d = 1");
    cr_expect_null(k);
    /* 2G, 3G */
    const char *mult[2] = {twoG, threeG};
    for (unsigned m = 2; m <= 3; m++) {
        d[sz - 1] = (uint8_t)m;
        cr_assert_eq(key_d(group, d, sz, &k), SSLNoErr, "d = %u", m);
        key_pub(k, pub, &pl);
        unhex(mult[m - 2], want);
        cr_expect(memcmp(pub, want, pl) == 0, "%u G", m);
        cry_rsa_key_release(k);
        /* n - m: the same x, y = p - y */
        sub_small(n, sz, m, d);
        cr_assert_eq(key_d(group, d, sz, &k), SSLNoErr, "d = n - %u", m);
        key_pub(k, pub, &pl);
        cr_expect(memcmp(pub + 1, want + 1, sz) == 0, "x of -%u G", m);
        uint8_t y[48];
        unsigned borrow = 0;
        for (size_t i = sz; i-- > 0;) {
            unsigned x = (unsigned)p[i] - want[1 + sz + i] - borrow;
            y[i] = (uint8_t)x;
            borrow = (x >> 8) & 1;
        }
        cr_expect(memcmp(pub + 1 + sz, y, sz) == 0, "y of -%u G", m);
        /* and such a key signs */
        uint8_t h[32] = {9}, sig[CRY_ECDSA_MAX_SIG];
        size_t sl = sizeof sig;
        cr_expect_eq(cry_ecdsa_sign(k, h, 32, sig, &sl, rnd_sys, NULL), SSLNoErr);
        cr_expect_eq(cry_ecdsa_verify(group, pub, pl, h, 32, sig, sl), 1);
        cry_rsa_key_release(k);
        memset(d, 0, sz);
    }
    /* n - 1: -G */
    sub_small(n, sz, 1, d);
    cr_assert_eq(key_d(group, d, sz, &k), SSLNoErr, "d = n - 1");
    key_pub(k, pub, &pl);
    unhex(gx, want);
    cr_expect(memcmp(pub + 1, want, sz) == 0, "x of -G");
    uint8_t gyb[48], y[48];
    unhex(gy, gyb);
    unsigned borrow = 0;
    for (size_t i = sz; i-- > 0;) {
        unsigned x = (unsigned)p[i] - gyb[i] - borrow;
        y[i] = (uint8_t)x;
        borrow = (x >> 8) & 1;
    }
    cr_expect(memcmp(pub + 1 + sz, y, sz) == 0, "y of -G");
    cry_rsa_key_release(k);
}

Test(ecdsa, edge_scalars)
{
    edge_scalars(CRY_EC_SECP256R1, P256_N,
                 "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296",
                 "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5",
                 "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
                 "047cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc4766997807775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1",
                 "045ecbe4d1a6330a44c8f7ef951d4bf165e6c6b721efada985fb41661bc6e7fd6c8734640c4998ff7e374b06ce1a64a2ecd82ab036384fb83d9a79b127a27d5032");
}

Test(ecdsa, edge_scalars_p384)
{
    edge_scalars(CRY_EC_SECP384R1,
                 "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
                 "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7",
                 "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F",
                 "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF",
                 "0408d999057ba3d2d969260045c55b97f089025959a6f434d651d207d19fb96e9e4fe0e86ebe0e64f85b96a9c75295df618e80f1fa5b1b3cedb7bfe8dffd6dba74b275d875bc6cc43e904e505f256ab4255ffd43e94d39e22d61501e700a940e80",
                 "04077a41d4606ffa1464793c7e5fdc7d98cb9d3910202dcd06bea4f240d3566da6b408bbae5026580d02d7e5c70500c831c995f7ca0b0c42837d0bbe9602a9fc998520b41c85115aa5f7684c0edc111eacc24abd6be4b5d298b65f28600a2f1df1");
}

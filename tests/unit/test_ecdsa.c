/*
 * ECDSA over P-256 and P-384 (core/src/crypto/ecdsa.c) and EC private keys (crypto_ltc.c):
 * RFC 6979 A.2.5 / A.2.6 vectors signed with the vector's k and verified; signatures checked by
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

/* rnd that hands out a fixed k (the vector's), then fails */
struct fixed_k {
    uint8_t k[48];
    size_t len, used;
};

static SSLErr rnd_fixed(void *ref, uint8_t *out, size_t n)
{
    struct fixed_k *f = ref;
    if (f->used || n != f->len)
        return SSLUnknownErr;
    memcpy(out, f->k, n);
    f->used = 1;
    return SSLNoErr;
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

/*
 * test_sha_ni.c - core/src/crypto/sha_ni.c (SHA-1 and SHA-256 compression, portable and on the
 * SHA extensions) and its use by crypto_ltc.c's cry_hash and hmac.c, against published vectors,
 * against each other and against libtomcrypt:
 *  - detection agrees with the "sha_ni" flag of /proc/cpuinfo (read here, not through the code
 *    under test); on a CPU with the extensions every SHA-NI case must really take that path
 *    (cry_hash_uses_sha_ni), and CRY_HASH_PORTABLE must really leave it;
 *  - FIPS 180-4 examples (NIST CSRC "SHA1.pdf" / "SHA256.pdf"): "abc", the 448-bit
 *    "abcdbcdecdef...nopq", a million 'a' (fed in uneven pieces), and the empty message;
 *  - 2,000 random messages of 0..2000 bytes per hash, fed through cry_hash_update in random
 *    pieces, on both paths and against libtomcrypt's hash_memory; the block functions alone,
 *    several blocks per call, SHA-NI against portable;
 *  - HMAC: RFC 2202 (HMAC-SHA-1) and RFC 4231 (HMAC-SHA-256) vectors on both paths, random keys
 *    (long ones hashed first) against libtomcrypt's hmac_memory;
 *  - cry_hmac_ct: same MAC as cry_hmac_once for every secret length against a public maximum;
 *  - cry_hmac_key (a keyed HMAC as two chaining values): cry_hmac_init_key and cry_hmac_ct_key
 *    give what cry_hmac_init and cry_hmac_ct give, for random keys (long ones too) and lengths.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tomcrypt.h>
#include "crypto/crypto_ltc.h"
#include "crypto/hmac.h"
#include "crypto/sha_ni.h"
#include "testutil.h"

/* The paths to run: flags for cry_hash_init_flags, and how many (1 without the extensions). */
static const unsigned path_flags[2] = {CRY_HASH_PORTABLE, 0};
static int npaths(void)
{
    int cpu = cpuinfo_flag("sha_ni");
    cr_assert_eq(cry_sha_ni_cpu(), cpu, "sha_ni.c's detection (%d) disagrees with /proc/cpuinfo (%d)",
                 cry_sha_ni_cpu(), cpu);
    return cpu ? 2 : 1;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) /* xorshift64*: reproducible */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}
static void rnd_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rnd() >> 32);
}

/* hash p[0..n) on a path, fed in pieces of up to `piece` bytes (0: one call) */
static void hash_path(int alg, unsigned flags, const uint8_t *p, size_t n, size_t piece,
                      uint8_t *out)
{
    struct cry_hash h;
    cry_hash_init_flags(&h, alg, flags);
    cr_assert_eq(cry_hash_uses_sha_ni(&h), !(flags & CRY_HASH_PORTABLE) && cry_sha_ni_cpu(),
                 "path not taken as asked (flags %u)", flags);
    if (!piece) {
        cry_hash_update(&h, p, n);
    } else {
        for (size_t off = 0; off < n;) {
            size_t k = 1 + (size_t)(rnd() % piece);
            if (k > n - off)
                k = n - off;
            cry_hash_update(&h, p + off, k);
            off += k;
        }
    }
    cry_hash_final(&h, out);
}

static void ltc_hash(int alg, const uint8_t *p, size_t n, uint8_t *out)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    int idx = find_hash(alg == CRY_SHA1 ? "sha1" : "sha256");
    cr_assert(idx >= 0);
    unsigned long ol = 64;
    cr_assert_eq(hash_memory(idx, p, (unsigned long)n, out, &ol), CRYPT_OK);
}

struct kat {
    int alg;
    const char *msg; /* NULL: a million 'a' */
    const char *hex;
};

static const struct kat kats[] = {
    {CRY_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {CRY_SHA1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {CRY_SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {CRY_SHA1, NULL, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
    {CRY_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {CRY_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {CRY_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {CRY_SHA256, NULL, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

Test(sha_ni, detection_matches_cpuinfo)
{
    int n = npaths();
    printf("sha_ni: SHA extensions %s; paths run: portable%s\n", n == 2 ? "present" : "absent",
           n == 2 ? " and SHA-NI" : "");
    struct cry_hash h;
    cry_hash_init_flags(&h, CRY_SHA256, CRY_HASH_PORTABLE);
    cr_assert_eq(cry_hash_uses_sha_ni(&h), 0, "CRY_HASH_PORTABLE did not force the portable path");
    cry_hash_init(&h, CRY_SHA1);
    cr_assert_eq(cry_hash_uses_sha_ni(&h), n == 2, "default SHA-1 path is not the CPU's best");
    cry_hash_init(&h, CRY_MD5);
    cr_assert_eq(cry_hash_uses_sha_ni(&h), 0, "MD5 claims the SHA extensions");
}

Test(sha_ni, fips180_examples_both_paths)
{
    static uint8_t million[1000000];
    memset(million, 'a', sizeof million);
    int np = npaths();
    for (size_t i = 0; i < sizeof kats / sizeof kats[0]; i++) {
        const struct kat *k = &kats[i];
        uint8_t want[32], got[32];
        size_t dl = unhex(k->hex, want, sizeof want);
        cr_assert_eq(dl, cry_hash_len(k->alg));
        const uint8_t *m = k->msg ? (const uint8_t *)k->msg : million;
        size_t n = k->msg ? strlen(k->msg) : sizeof million;
        for (int p = 0; p < np; p++) {
            for (size_t piece = 0; piece <= 200; piece += 67) { /* one call; pieces up to 67..201 */
                memset(got, 0, sizeof got);
                hash_path(k->alg, path_flags[p], m, n, piece, got);
                cr_assert(memcmp(got, want, dl) == 0, "vector %zu, path %d, pieces %zu", i, p, piece);
            }
        }
        memset(got, 0, sizeof got);
        cry_hash_once(k->alg, m, n, got);
        cr_assert(memcmp(got, want, dl) == 0, "vector %zu through cry_hash_once", i);
    }
}

Test(sha_ni, random_messages_all_paths_and_libtomcrypt)
{
    static uint8_t msg[2000];
    int np = npaths();
    for (int alg = CRY_SHA1; alg <= CRY_SHA256; alg++) {
        for (int iter = 0; iter < 2000; iter++) {
            size_t n = (size_t)(rnd() % 2001);
            rnd_bytes(msg, n);
            uint8_t ref[32], got[32];
            ltc_hash(alg, msg, n, ref);
            for (int p = 0; p < np; p++) {
                size_t piece = iter % 3 == 0 ? 0 : (size_t)(rnd() % 200) + 1;
                hash_path(alg, path_flags[p], msg, n, piece, got);
                cr_assert(memcmp(got, ref, cry_hash_len(alg)) == 0,
                          "alg %d len %zu path %d pieces %zu differs from libtomcrypt", alg, n, p,
                          piece);
            }
        }
    }
}

Test(sha_ni, block_functions_agree)
{
    if (npaths() < 2)
        cr_skip_test("no SHA extensions: nothing to compare the portable block functions with");
    static uint8_t buf[64 * 40];
    for (int iter = 0; iter < 300; iter++) {
        size_t nb = (size_t)(rnd() % 40) + 1, off = (size_t)(rnd() % 8); /* unaligned too */
        rnd_bytes(buf, sizeof buf);
        nb = nb * 64 + off > sizeof buf ? nb - 1 : nb;
        uint32_t a[8], b[8];
        for (int i = 0; i < 8; i++)
            a[i] = b[i] = (uint32_t)rnd();
        cry_sha1_blocks_c(a, buf + off, nb);
        cry_sha1_blocks_ni(b, buf + off, nb);
        cr_assert(memcmp(a, b, 20) == 0, "SHA-1 blocks differ (%zu blocks)", nb);
        cr_assert(a[5] == b[5] && a[6] == b[6] && a[7] == b[7], "SHA-1 wrote past h[4]");
        cry_sha256_blocks_c(a, buf + off, nb);
        cry_sha256_blocks_ni(b, buf + off, nb);
        cr_assert(memcmp(a, b, 32) == 0, "SHA-256 blocks differ (%zu blocks)", nb);
    }
}

struct hmac_kat {
    const char *key, *data, *sha1, *sha256; /* hex; NULL: not in that RFC */
};

/* RFC 2202 §3 test cases 1-7 and RFC 4231 §4 test cases 1-4, 6, 7 (case 5 truncates) */
static const struct hmac_kat hmac_kats[] = {
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
     "b617318655057264e28bc0b6fb378c8ef146be00",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddddd",
     "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {"0102030405060708090a0b0c0d0e0f10111213141516171819",
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
     "cdcdcdcdcd",
     "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "546573742057697468205472756e636174696f6e",
     "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368"
     "204b6579204669727374",
     "aa4ae5e15272d00e95705637ce8a3b55ed402112", NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b657920616e64204c61"
     "72676572205468616e204f6e6520426c6f636b2d53697a652044617461",
     "e8e99d0f45237d786d6bbaa7965c7808bbff1a91", NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368"
     "204b6579204669727374",
     NULL, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a"
     "65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865"
     "206b6579206e6565647320746f20626520686173686564206265666f7265206265696e672075736564206279"
     "2074686520484d414320616c676f726974686d2e",
     NULL, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

Test(sha_ni, hmac_rfc2202_rfc4231_both_paths)
{
    int np = npaths(), ran = 0;
    for (size_t i = 0; i < sizeof hmac_kats / sizeof hmac_kats[0]; i++) {
        const struct hmac_kat *k = &hmac_kats[i];
        uint8_t key[200], data[200], want[32], got[32];
        size_t kl = unhex(k->key, key, sizeof key), dl = unhex(k->data, data, sizeof data);
        for (int alg = CRY_SHA1; alg <= CRY_SHA256; alg++) {
            const char *hex = alg == CRY_SHA1 ? k->sha1 : k->sha256;
            if (!hex)
                continue;
            size_t ml = unhex(hex, want, sizeof want);
            cr_assert_eq(ml, cry_hash_len(alg));
            for (int p = 0; p < np; p++) {
                struct cry_hmac m;
                cry_hmac_init_flags(&m, alg, key, kl, path_flags[p]);
                cr_assert_eq(cry_hash_uses_sha_ni(&m.inner), p == 1);
                cr_assert_eq(cry_hash_uses_sha_ni(&m.outer), p == 1);
                cry_hmac_update(&m, data, dl / 2);
                cry_hmac_update(&m, data + dl / 2, dl - dl / 2);
                memset(got, 0, sizeof got);
                cry_hmac_final(&m, got);
                cr_assert(memcmp(got, want, ml) == 0, "HMAC case %zu alg %d path %d", i, alg, p);
                ran++;
            }
        }
    }
    cr_assert_eq(ran, np * 13);
}

Test(sha_ni, hmac_random_against_libtomcrypt)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    int np = npaths();
    uint8_t key[200], msg[1500], ref[32], got[32];
    for (int iter = 0; iter < 1000; iter++) {
        int alg = iter & 1 ? CRY_SHA256 : CRY_SHA1;
        size_t kl = 1 + (size_t)(rnd() % 199), n /* libtomcrypt refuses an empty key */ = (size_t)(rnd() % sizeof msg);
        rnd_bytes(key, kl);
        rnd_bytes(msg, n);
        unsigned long ol = sizeof ref;
        cr_assert_eq(hmac_memory(find_hash(alg == CRY_SHA1 ? "sha1" : "sha256"), key,
                                 (unsigned long)kl, msg, (unsigned long)n, ref, &ol),
                     CRYPT_OK);
        for (int p = 0; p < np; p++) {
            struct cry_hmac m;
            cry_hmac_init_flags(&m, alg, key, kl, path_flags[p]);
            cry_hmac_update(&m, msg, n);
            cry_hmac_final(&m, got);
            cr_assert(memcmp(got, ref, ol) == 0, "alg %d key %zu msg %zu path %d", alg, kl, n, p);
        }
    }
}

Test(sha_ni, hmac_ct_matches_hmac)
{
    uint8_t key[32], hdr[13], data[600], ref[32], got[32];
    rnd_bytes(key, sizeof key);
    rnd_bytes(hdr, sizeof hdr);
    rnd_bytes(data, sizeof data);
    for (int alg = CRY_SHA1; alg <= CRY_SHA256; alg++) {
        size_t kl = cry_hash_len(alg);
        for (size_t len = 300; len <= 556; len++) {
            struct cry_hmac m;
            cry_hmac_init(&m, alg, key, kl);
            cry_hmac_update(&m, hdr, sizeof hdr);
            cry_hmac_update(&m, data, len);
            cry_hmac_final(&m, ref);
            memset(got, 0, sizeof got);
            cry_hmac_ct(alg, key, kl, hdr, sizeof hdr, data, len, 556, got);
            cr_assert(memcmp(got, ref, kl) == 0, "cry_hmac_ct alg %d len %zu", alg, len);
        }
    }
}

Test(sha_ni, hmac_key_matches_hmac_init)
{
    uint8_t key[100], hdr[13], data[700], ref[32], got[32];
    struct cry_hmac_key k;
    for (int alg = CRY_MD5; alg <= CRY_SHA512; alg++) {
        int want = alg == CRY_SHA1 || alg == CRY_SHA256 ? 0 : -1;
        cr_assert_eq(cry_hmac_key_init(&k, alg, key, 20), want, "cry_hmac_key_init alg %d", alg);
        cr_assert_eq(k.set, (uint32_t)(want == 0), "set flag for alg %d", alg);
    }
    for (int iter = 0; iter < 400; iter++) {
        int alg = iter & 1 ? CRY_SHA256 : CRY_SHA1;
        size_t kl = 1 + (size_t)(rnd() % sizeof key), len = (size_t)(rnd() % 600);
        rnd_bytes(key, kl);
        rnd_bytes(hdr, sizeof hdr);
        rnd_bytes(data, sizeof data);
        cr_assert_eq(cry_hmac_key_init(&k, alg, key, kl), 0);
        cry_hmac_once(alg, key, kl, data, len, ref);
        struct cry_hmac m;
        cry_hmac_init_key(&m, &k);
        cr_assert_eq(cry_hash_uses_sha_ni(&m.inner), cry_sha_ni_cpu());
        cry_hmac_update(&m, data, len);
        memset(got, 0, sizeof got);
        cry_hmac_final(&m, got);
        cr_assert(memcmp(got, ref, cry_hash_len(alg)) == 0, "keyed alg %d key %zu len %zu", alg, kl,
                  len);
        size_t maxlen = len + (size_t)(rnd() % 100);
        cry_hmac_ct(alg, key, kl, hdr, sizeof hdr, data, len, maxlen, ref);
        memset(got, 0, sizeof got);
        cry_hmac_ct_key(&k, hdr, sizeof hdr, data, len, maxlen, got);
        cr_assert(memcmp(got, ref, cry_hash_len(alg)) == 0, "ct keyed alg %d len %zu max %zu", alg,
                  len, maxlen);
        cr_assert_eq(k.set, 1u, "using a key must not consume it");
    }
    cry_wipe(&k, sizeof k);
}

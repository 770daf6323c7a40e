/*
 * test_gcm.c - core/src/crypto/gcm.c: the McGrew-Viega GCM specification test cases 1-6
 * (AES-128) and 13-18 (AES-256) (cases 5, 6, 17 and 18 have 64- and 480-bit IVs, which go through
 * GHASH), and agreement with libtomcrypt's gcm_memory (an independent, table-driven GCM) on 2,000
 * random keys, IVs, AADs and plaintexts of random lengths 0..600 bytes. Every case runs on four
 * key setups: CRY_GCM_PORTABLE (libtomcrypt's AES, the portable GHASH), the default (AES-NI and
 * PCLMULQDQ where the CPU has them), CRY_GCM_NO_PCLMUL and CRY_GCM_NO_AESNI (one fast path each).
 * What the CPU has is read from /proc/cpuinfo, not from the code under test; each state is checked
 * to use exactly the paths expected, the output counts the cases each AES and GHASH path ran, and a
 * CPU with AES-NI or PCLMULQDQ whose path was not exercised fails.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <tomcrypt.h>
#include "crypto/crypto_ltc.h"
#include "crypto/gcm.h"
#include "testutil.h"

/* The key setups: 0 portable, 1 default, 2 AES-NI + portable GHASH, 3 libtomcrypt + PCLMULQDQ */
#define NPATHS 4
static const unsigned path_flags[NPATHS] = {CRY_GCM_PORTABLE, 0, CRY_GCM_NO_PCLMUL,
                                            CRY_GCM_NO_AESNI};

struct cpu {
    int pclmul, aes;
};

/* what the CPU has, per /proc/cpuinfo, after checking that gcm.c detects the same */
static struct cpu cpu_paths(void)
{
    struct cpu c = {cpuinfo_flag("pclmulqdq"), cpuinfo_flag("aes")};
    cr_assert_eq(cry_gcm_cpu_has_pclmul(), c.pclmul,
                 "gcm.c's PCLMULQDQ detection (%d) disagrees with /proc/cpuinfo (%d)",
                 cry_gcm_cpu_has_pclmul(), c.pclmul);
    cr_assert_eq(cry_cpu_has_aes(), c.aes,
                 "AES-NI detection (%d) disagrees with /proc/cpuinfo (%d)", cry_cpu_has_aes(),
                 c.aes);
    return c;
}

/* runs[0..3]: cases on libtomcrypt's AES, on AES-NI, on the portable GHASH, on PCLMULQDQ */
static void key_path(struct cry_gcm *g, const uint8_t *key, size_t keylen, int path, struct cpu c,
                     int runs[4])
{
    unsigned f = path_flags[path];
    int want_ni = c.aes && !(f & (CRY_GCM_PORTABLE | CRY_GCM_NO_AESNI));
    int want_pcl = c.pclmul && !(f & (CRY_GCM_PORTABLE | CRY_GCM_NO_PCLMUL));
    cr_assert_eq(cry_gcm_init(g, key, keylen, f), SSLNoErr);
    cr_assert_eq(cry_gcm_uses_pclmul(g), want_pcl, "path %d: uses_pclmul=%d", path,
                 cry_gcm_uses_pclmul(g));
    cr_assert_eq(cry_gcm_uses_aesni(g), want_ni, "path %d: uses_aesni=%d", path,
                 cry_gcm_uses_aesni(g));
    runs[want_ni]++;
    runs[2 + want_pcl]++;
}

/* the counts expected after n cases on every path */
static void check_runs(const char *what, const int runs[4], int n, struct cpu c)
{
    printf("%s: %d cases x %d key setups: AES libtomcrypt %d, AES-NI %d; GHASH portable %d, "
           "pclmul %d (cpu %s aes, %s pclmulqdq)\n",
           what, n, NPATHS, runs[0], runs[1], runs[2], runs[3], c.aes ? "has" : "lacks",
           c.pclmul ? "has" : "lacks");
    cr_assert_eq(runs[1], c.aes ? 2 * n : 0, "AES-NI present but its path not exercised");
    cr_assert_eq(runs[0], (c.aes ? 2 : 4) * n, "libtomcrypt's AES (the fallback) not exercised");
    cr_assert_eq(runs[3], c.pclmul ? 2 * n : 0, "PCLMULQDQ present but its path not exercised");
    cr_assert_eq(runs[2], (c.pclmul ? 2 : 4) * n, "the portable GHASH not exercised");
}

static void init(void) { cr_assert_eq(cry_init(), SSLNoErr); }

TestSuite(gcm, .init = init);

/* ---- the GCM specification's test cases ---- */

#define PT_LONG                                                                                 \
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"                          \
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define AAD_STD "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define K128 "feffe9928665731c6d6a8f9467308308"
#define IV60                                                                                    \
    "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"                          \
    "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b"

static const struct vec {
    int n;
    const char *key, *iv, *aad, *pt, *ct, *tag;
} vecs[] = {
    {1, "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {2, "00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {3, K128, "cafebabefacedbaddecaf888", "", PT_LONG "1aafd255",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {4, K128, "cafebabefacedbaddecaf888", AAD_STD, PT_LONG,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {5, K128, "cafebabefacedbad", AAD_STD, PT_LONG,
     "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423"
     "73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
     "3612d2e79e3b0785561be14aaca2fccb"},
    {6, K128, IV60, AAD_STD, PT_LONG,
     "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
     "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
     "619cc5aefffe0bfa462af43c1699d050"},
    {13, "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {14, "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {15, K128 K128, "cafebabefacedbaddecaf888", "", PT_LONG "1aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {16, K128 K128, "cafebabefacedbaddecaf888", AAD_STD, PT_LONG,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    {17, K128 K128, "cafebabefacedbad", AAD_STD, PT_LONG,
     "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0"
     "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
     "3a337dbf46a792c45e454913fe2ea8f2"},
    {18, K128 K128, IV60, AAD_STD, PT_LONG,
     "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4"
     "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
     "a44a8266ee1c8eb0c8b5d4cf5ae9f19a"},
};

Test(gcm, spec_test_cases_all_paths)
{
    struct cpu cpu = cpu_paths();
    int runs[4] = {0, 0, 0, 0};
    for (size_t v = 0; v < sizeof vecs / sizeof vecs[0]; v++) {
        uint8_t key[32], iv[64], aad[64], pt[64], ct[64], tag[16], out[64], t[16];
        size_t kl = unhex(vecs[v].key, key, sizeof key), il = unhex(vecs[v].iv, iv, sizeof iv);
        size_t al = unhex(vecs[v].aad, aad, sizeof aad), pl = unhex(vecs[v].pt, pt, sizeof pt);
        cr_assert_eq(unhex(vecs[v].ct, ct, sizeof ct), pl);
        cr_assert_eq(unhex(vecs[v].tag, tag, sizeof tag), 16);
        for (int path = 0; path < NPATHS; path++) {
            struct cry_gcm g;
            key_path(&g, key, kl, path, cpu, runs);
            cr_assert_eq(cry_gcm_seal(&g, iv, il, aad, al, pt, out, pl, t), SSLNoErr);
            cr_assert(memcmp(out, ct, pl) == 0, "case %d path %d: ciphertext", vecs[v].n, path);
            cr_assert(memcmp(t, tag, 16) == 0, "case %d path %d: tag", vecs[v].n, path);
            memcpy(out, ct, pl); /* open in place */
            cr_assert_eq(cry_gcm_open(&g, iv, il, aad, al, out, out, pl, tag), SSLNoErr);
            cr_assert(memcmp(out, pt, pl) == 0, "case %d path %d: plaintext", vecs[v].n, path);
            for (int bit = 0; bit < 128; bit += 37) { /* a flipped tag bit: refused, output wiped */
                memcpy(t, tag, 16);
                t[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                memset(out, 0xa5, sizeof out);
                cr_assert_eq(cry_gcm_open(&g, iv, il, aad, al, ct, out, pl, t), SSLProtocolErr);
                for (size_t i = 0; i < pl; i++)
                    cr_assert_eq(out[i], 0, "case %d: output not wiped", vecs[v].n);
            }
            cry_gcm_wipe(&g);
        }
    }
    check_runs("gcm spec cases", runs, 12, cpu);
}

/* ---- agreement with libtomcrypt's gcm_memory ---- */

static uint64_t rs = 0x243f6a8885a308d3u;

static uint64_t rnd(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return rs;
}

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rnd() >> 29);
}

Test(gcm, agrees_with_libtomcrypt_2000_random_cases)
{
    struct cpu cpu = cpu_paths();
    int runs[4] = {0, 0, 0, 0}, odd_ivs = 0;
    int aes = find_cipher("aes");
    cr_assert(aes >= 0);
    static const size_t keylens[] = {16, 24, 32};
    for (int n = 0; n < 2000; n++) {
        uint8_t key[32], iv[64], aad[601], pt[601], ref_ct[601], ref_tag[16], ct[601], tag[16];
        uint8_t back[601];
        size_t kl = keylens[rnd() % 3];
        size_t il = rnd() % 4 ? 12 : 1 + rnd() % 64; /* mostly TLS's 96 bits */
        size_t al = rnd() % 601, pl = rnd() % 601;
        if (n < 64) { /* the small lengths, all met early */
            al = (size_t)n % 20;
            pl = (size_t)n;
        }
        odd_ivs += il != 12;
        fill(key, kl);
        fill(iv, il);
        fill(aad, al);
        fill(pt, pl);
        unsigned long tl = 16;
        cr_assert_eq(gcm_memory(aes, key, (unsigned long)kl, iv, (unsigned long)il, aad,
                                (unsigned long)al, pt, (unsigned long)pl, ref_ct, ref_tag, &tl,
                                GCM_ENCRYPT),
                     CRYPT_OK);
        cr_assert_eq(tl, 16);
        for (int path = 0; path < NPATHS; path++) {
            struct cry_gcm g;
            key_path(&g, key, kl, path, cpu, runs);
            cr_assert_eq(cry_gcm_seal(&g, iv, il, aad, al, pt, ct, pl, tag), SSLNoErr);
            cr_assert(memcmp(ct, ref_ct, pl) == 0 && memcmp(tag, ref_tag, 16) == 0,
                      "case %d (key %zu, iv %zu, aad %zu, text %zu) path %d differs", n, kl, il,
                      al, pl, path);
            cr_assert_eq(cry_gcm_open(&g, iv, il, aad, al, ct, back, pl, tag), SSLNoErr);
            cr_assert(memcmp(back, pt, pl) == 0, "case %d path %d: open", n, path);
            if (pl) { /* a flipped ciphertext bit is refused */
                ct[rnd() % pl] ^= (uint8_t)(1u << (rnd() % 8));
                cr_assert_eq(cry_gcm_open(&g, iv, il, aad, al, ct, back, pl, tag), SSLProtocolErr);
            }
            cry_gcm_wipe(&g);
        }
    }
    printf("gcm vs gcm_memory: %d cases with IVs other than 96 bits\n", odd_ivs);
    check_runs("gcm vs gcm_memory", runs, 2000, cpu);
}

/* ---- through the record layer's interface (crypto_ltc.c) ---- */

Test(gcm, cipher_interface_is_this_gcm)
{
    uint8_t key[32], nonce[12], aad[13], pt[300], ct[300], tag[16], ref_ct[300], ref_tag[16];
    int aes = find_cipher("aes");
    for (int n = 0; n < 50; n++) {
        size_t kl = n % 2 ? 32 : 16, pl = (size_t)n * 6;
        fill(key, kl);
        fill(nonce, 12);
        fill(aad, 13);
        fill(pt, pl);
        size_t sz = cry_cipher_state_size(CRY_C_AES_GCM);
        cr_assert(sz > 0 && sz < 1024, "AES-GCM state is %zu bytes", sz);
        uint64_t st[128] = {0}, st2[128] = {0};
        cr_assert_eq(cry_cipher_init(st, CRY_C_AES_GCM, 1, key, kl, NULL), SSLNoErr);
        /* the opening side alternates between the default and the forced-portable AES */
        unsigned fl = n % 2 ? CRY_CIPHER_PORTABLE : 0;
        cr_assert_eq(cry_cipher_init_flags(st2, CRY_C_AES_GCM, 0, key, kl, NULL, fl), SSLNoErr);
        cr_assert_eq(cry_cipher_uses_aesni(st), cpu_paths().aes);
        cr_assert_eq(cry_cipher_uses_aesni(st2), fl ? 0 : cpu_paths().aes);
        cr_assert_eq(cry_aead_seal(st, nonce, 12, aad, 13, pt, ct, pl, tag), SSLNoErr);
        unsigned long tl = 16;
        cr_assert_eq(gcm_memory(aes, key, (unsigned long)kl, nonce, 12, aad, 13, pt,
                                (unsigned long)pl, ref_ct, ref_tag, &tl, GCM_ENCRYPT),
                     CRYPT_OK);
        cr_assert(memcmp(ct, ref_ct, pl) == 0 && memcmp(tag, ref_tag, 16) == 0);
        cr_assert_eq(cry_aead_open(st2, nonce, 12, aad, 13, ct, ct, pl, tag), SSLNoErr);
        cr_assert(memcmp(ct, pt, pl) == 0);
        tag[n % 16] ^= 1;
        memcpy(ct, ref_ct, pl);
        cr_assert_eq(cry_aead_open(st2, nonce, 12, aad, 13, ct, ct, pl, tag), SSLProtocolErr);
        for (size_t i = 0; i < pl; i++)
            cr_assert_eq(ct[i], 0);
        cry_cipher_wipe(st);
        cry_cipher_wipe(st2);
    }
}

Test(gcm, bad_arguments)
{
    struct cry_gcm g;
    uint8_t key[16] = {0}, iv[12] = {0}, buf[16] = {0}, tag[16];
    cr_assert_eq(cry_gcm_init(&g, key, 15, 0), SSLBadParameterErr);
    cr_assert_eq(cry_gcm_seal(&g, iv, 12, NULL, 0, buf, buf, 16, tag), SSLBadParameterErr,
                 "an unkeyed state is refused");
    cr_assert_eq(cry_gcm_init(&g, key, 16, 0), SSLNoErr);
    cr_assert_eq(cry_gcm_seal(&g, iv, 0, NULL, 0, buf, buf, 16, tag), SSLBadParameterErr);
    cr_assert_eq(cry_gcm_seal(&g, iv, 65, NULL, 0, buf, buf, 16, tag), SSLBadParameterErr);
    cr_assert_eq(cry_gcm_seal(&g, iv, 12, NULL, 5, buf, buf, 16, tag), SSLBadParameterErr);
    cr_assert_eq(cry_gcm_seal(&g, iv, 12, NULL, 0, NULL, buf, 16, tag), SSLBadParameterErr);
    cr_assert_eq(cry_gcm_seal(&g, iv, 12, NULL, 0, buf, buf, 16, NULL), SSLBadParameterErr);
    cr_assert_eq(cry_gcm_seal(&g, iv, 12, NULL, 0, NULL, NULL, 0, tag), SSLNoErr);
    cry_gcm_wipe(&g);
    cr_assert_eq(cry_gcm_open(&g, iv, 12, NULL, 0, buf, buf, 16, tag), SSLBadParameterErr);
}

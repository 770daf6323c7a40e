/*
 * test_aesni.c - core/src/crypto/aesni.c (AES on the AES instructions) and its use by gcm.c and
 * crypto_ltc.c's AES-CBC, against the published vectors and against the portable path
 * (libtomcrypt's table AES, forced with CRY_GCM_PORTABLE / CRY_GCM_NO_AESNI / CRY_CIPHER_PORTABLE):
 *  - detection agrees with the "aes" flag of /proc/cpuinfo (read here, not through the code under
 *    test); the AES-NI cases run when the CPU has it and each test prints which paths ran; a CPU
 *    with AES-NI whose path was not taken fails;
 *  - FIPS-197 appendix C (AES-128/192/256 single blocks) and SP 800-38A F.1 (ECB), F.2 (CBC) and
 *    F.5 (CTR) for AES-128 and AES-256, on both paths where the path exists;
 *  - CTR's 32-bit counter wraps without carrying into byte 11 (GCM's inc32);
 *  - 2,000 random GCM cases (every text length 0..300, odd AAD lengths) sealed and opened on
 *    AES-NI, with and without PCLMULQDQ, against the portable path, and opened crosswise;
 *  - 2,000 random AES-CBC chains through cry_cipher_run split over several calls (the IV carries
 *    over calls), encrypted and decrypted on AES-NI against the portable path, in place and not.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <tomcrypt.h>
#include "crypto/aesni.h"
#include "crypto/crypto_ltc.h"
#include "crypto/gcm.h"
#include "testutil.h"

/* 1 if the AES-NI cases are to run: only when the CPU has AES-NI, and then detection must say so */
static int have_ni(void)
{
    int cpu = cpuinfo_flag("aes");
    cr_assert_eq(cry_aesni_cpu(), cpu, "aesni.c's detection (%d) disagrees with /proc/cpuinfo (%d)",
                 cry_aesni_cpu(), cpu);
    cr_assert_eq(cry_cpu_has_aes(), cpu, "cry_cpu_has_aes (%d) disagrees with /proc/cpuinfo (%d)",
                 cry_cpu_has_aes(), cpu);
    return cpu;
}

static void init(void) { cr_assert_eq(cry_init(), SSLNoErr); }

TestSuite(aesni, .init = init);

static uint64_t rs = 0x9e3779b97f4a7c15u;

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

/* ---- published vectors ---- */

Test(aesni, detection_matches_cpuinfo)
{
    int ni = have_ni();
    printf("aesni: cpu %s the aes flag; AES-NI cases %s\n", ni ? "has" : "lacks",
           ni ? "run" : "not run (portable path only)");
}

static const struct {
    const char *key, *pt, *ct;
} fips197[] = {
    {"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
     "69c4e0d86a7b0430d8cdb78070b4c55a"},
    {"000102030405060708090a0b0c0d0e0f1011121314151617", "00112233445566778899aabbccddeeff",
     "dda97ca4864cdfe06eaf70a0ec0d7191"},
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089"},
};

Test(aesni, fips197_appendix_c_blocks)
{
    int ni = have_ni(), runs[2] = {0, 0};
    for (size_t v = 0; v < sizeof fips197 / sizeof fips197[0]; v++) {
        uint8_t key[32], pt[16], ct[16], out[16];
        size_t kl = unhex(fips197[v].key, key, sizeof key);
        unhex(fips197[v].pt, pt, 16);
        unhex(fips197[v].ct, ct, 16);
        /* portable: libtomcrypt's AES (what gcm.c and crypto_ltc.c fall back to) */
        symmetric_key sk;
        cr_assert_eq(rijndael_setup(key, (int)kl, 0, &sk), CRYPT_OK);
        cr_assert_eq(rijndael_ecb_encrypt(pt, out, &sk), CRYPT_OK);
        cr_assert_arr_eq(out, ct, 16, "FIPS-197 C.%zu portable encrypt", v + 1);
        cr_assert_eq(rijndael_ecb_decrypt(ct, out, &sk), CRYPT_OK);
        cr_assert_arr_eq(out, pt, 16, "FIPS-197 C.%zu portable decrypt", v + 1);
        runs[0]++;
        if (!ni)
            continue;
        struct cry_aesni_key ek, dk;
        cr_assert_eq(cry_aesni_set_encrypt_key(&ek, key, kl), 0);
        cr_assert_eq(cry_aesni_set_decrypt_key(&dk, key, kl), 0);
        cr_assert_eq(ek.rounds, kl / 4 + 6);
        cry_aesni_encrypt_block(&ek, pt, out);
        cr_assert_arr_eq(out, ct, 16, "FIPS-197 C.%zu AES-NI encrypt", v + 1);
        cry_aesni_decrypt_block(&dk, out, out); /* in place */
        cr_assert_arr_eq(out, pt, 16, "FIPS-197 C.%zu AES-NI decrypt", v + 1);
        runs[1]++;
    }
    printf("aesni: FIPS-197 blocks: portable %d, AES-NI %d\n", runs[0], runs[1]);
    cr_assert_eq(runs[1], ni ? 3 : 0);
}

Test(aesni, key_schedule_matches_fips197_appendix_a)
{
    /* A.1: the last round key of the expansion of 2b7e1516...; A.3: of the 256-bit key */
    if (!have_ni()) {
        printf("aesni: key schedule: not run (cpu lacks the aes flag)\n");
        return;
    }
    uint8_t key[32], want[16];
    struct cry_aesni_key k;
    unhex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
    cr_assert_eq(cry_aesni_set_encrypt_key(&k, key, 16), 0);
    unhex("d014f9a8c9ee2589e13f0cc8b6630ca6", want, 16); /* w[40..43] */
    cr_assert_arr_eq(k.rk[10], want, 16, "AES-128 round key 10");
    unhex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", key, 24);
    cr_assert_eq(cry_aesni_set_encrypt_key(&k, key, 24), 0);
    unhex("e98ba06f448c773c8ecc720401002202", want, 16); /* w[48..51] */
    cr_assert_arr_eq(k.rk[12], want, 16, "AES-192 round key 12");
    unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", key, 32);
    cr_assert_eq(cry_aesni_set_encrypt_key(&k, key, 32), 0);
    unhex("fe4890d1e6188d0b046df344706c631e", want, 16); /* w[56..59] */
    cr_assert_arr_eq(k.rk[14], want, 16, "AES-256 round key 14");
    cr_assert_eq(cry_aesni_set_encrypt_key(&k, key, 20), -1);
    printf("aesni: key schedule: AES-NI checked against FIPS-197 A.1-A.3\n");
}

#define SP_K128 "2b7e151628aed2a6abf7158809cf4f3c"
#define SP_K256 "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
#define SP_PT                                                                                   \
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"                          \
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"

static const struct {
    const char *name, *key, *ct;
} sp_ecb[] = {
    {"F.1.1", SP_K128,
     "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
     "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4"},
    {"F.1.5", SP_K256,
     "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
     "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7"},
}, sp_cbc[] = {
    {"F.2.1", SP_K128,
     "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
     "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
    {"F.2.5", SP_K256,
     "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
}, sp_ctr[] = {
    {"F.5.1", SP_K128,
     "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
     "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"},
    {"F.5.5", SP_K256,
     "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
     "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"},
};

Test(aesni, sp800_38a_ecb)
{
    int ni = have_ni(), runs = 0;
    uint8_t pt[64], ct[64], key[32], out[64];
    unhex(SP_PT, pt, 64);
    for (size_t v = 0; v < 2; v++) {
        size_t kl = unhex(sp_ecb[v].key, key, 32);
        unhex(sp_ecb[v].ct, ct, 64);
        symmetric_key sk;
        cr_assert_eq(rijndael_setup(key, (int)kl, 0, &sk), CRYPT_OK);
        for (int b = 0; b < 4; b++) {
            cr_assert_eq(rijndael_ecb_encrypt(pt + 16 * b, out + 16 * b, &sk), CRYPT_OK);
        }
        cr_assert_arr_eq(out, ct, 64, "%s portable", sp_ecb[v].name);
        if (!ni)
            continue;
        struct cry_aesni_key ek, dk;
        cr_assert_eq(cry_aesni_set_encrypt_key(&ek, key, kl), 0);
        cr_assert_eq(cry_aesni_set_decrypt_key(&dk, key, kl), 0);
        for (int b = 0; b < 4; b++)
            cry_aesni_encrypt_block(&ek, pt + 16 * b, out + 16 * b);
        cr_assert_arr_eq(out, ct, 64, "%s AES-NI encrypt", sp_ecb[v].name);
        for (int b = 0; b < 4; b++)
            cry_aesni_decrypt_block(&dk, ct + 16 * b, out + 16 * b);
        cr_assert_arr_eq(out, pt, 64, "%s AES-NI decrypt", sp_ecb[v].name);
        runs++;
    }
    printf("aesni: SP 800-38A ECB: portable 2, AES-NI %d\n", runs);
    cr_assert_eq(runs, ni ? 2 : 0);
}

/* CBC through crypto_ltc.c's interface: path 0 forced portable, path 1 the default */
Test(aesni, sp800_38a_cbc_both_paths)
{
    int ni = have_ni(), runs[2] = {0, 0};
    uint8_t pt[64], ct[64], key[32], iv[16], out[64];
    uint64_t enc[96], dec[96];
    cr_assert_leq(cry_cipher_state_size(CRY_C_AES), sizeof enc);
    unhex(SP_PT, pt, 64);
    unhex("000102030405060708090a0b0c0d0e0f", iv, 16);
    for (size_t v = 0; v < 2; v++) {
        size_t kl = unhex(sp_cbc[v].key, key, 32);
        unhex(sp_cbc[v].ct, ct, 64);
        for (int path = 0; path < 2; path++) {
            unsigned fl = path ? 0 : CRY_CIPHER_PORTABLE;
            cr_assert_eq(cry_cipher_init_flags(enc, CRY_C_AES, 1, key, kl, iv, fl), SSLNoErr);
            cr_assert_eq(cry_cipher_init_flags(dec, CRY_C_AES, 0, key, kl, iv, fl), SSLNoErr);
            cr_assert_eq(cry_cipher_uses_aesni(enc), path && ni);
            cr_assert_eq(cry_cipher_uses_aesni(dec), path && ni);
            /* one block, then three: the chain carries over calls */
            cr_assert_eq(cry_cipher_run(enc, pt, out, 16), SSLNoErr);
            cr_assert_eq(cry_cipher_run(enc, pt + 16, out + 16, 48), SSLNoErr);
            cr_assert_arr_eq(out, ct, 64, "%s path %d encrypt", sp_cbc[v].name, path);
            cr_assert_eq(cry_cipher_run(dec, out, out, 48), SSLNoErr); /* in place */
            cr_assert_eq(cry_cipher_run(dec, out + 48, out + 48, 16), SSLNoErr);
            cr_assert_arr_eq(out, pt, 64, "%s path %d decrypt", sp_cbc[v].name, path);
            runs[cry_cipher_uses_aesni(enc)]++;
            cry_cipher_wipe(enc);
            cry_cipher_wipe(dec);
            cr_assert_eq(cry_cipher_run(enc, pt, out, 16), SSLBadParameterErr, "wiped state");
        }
    }
    printf("aesni: SP 800-38A CBC: portable %d, AES-NI %d\n", runs[0], runs[1]);
    cr_assert_eq(runs[1], ni ? 2 : 0);
}

Test(aesni, sp800_38a_ctr)
{
    if (!have_ni()) {
        printf("aesni: SP 800-38A CTR: AES-NI not run (cpu lacks the aes flag); the portable CTR "
               "is gcm.c's, checked by test_gcm\n");
        return;
    }
    uint8_t pt[64], ct[64], key[32], cb[16], out[64];
    unhex(SP_PT, pt, 64);
    for (size_t v = 0; v < 2; v++) {
        size_t kl = unhex(sp_ctr[v].key, key, 32);
        unhex(sp_ctr[v].ct, ct, 64);
        struct cry_aesni_key ek;
        cr_assert_eq(cry_aesni_set_encrypt_key(&ek, key, kl), 0);
        /* all at once, and in pieces of 16, 7 (uses up block 2's counter) and 9 + 32 */
        unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", cb, 16);
        cry_aesni_ctr32(&ek, cb, pt, out, 64);
        cr_assert_arr_eq(out, ct, 64, "%s AES-NI", sp_ctr[v].name);
        uint8_t want_cb[16];
        unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdff03", want_cb, 16); /* fcfdfeff + 4 */
        cr_assert_arr_eq(cb, want_cb, 16, "%s: the counter after four blocks", sp_ctr[v].name);
        unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", cb, 16);
        memcpy(out, pt, 64);
        cry_aesni_ctr32(&ek, cb, out, out, 16);
        cry_aesni_ctr32(&ek, cb, out + 16, out + 16, 7);
        cr_assert_arr_eq(out, ct, 23, "%s AES-NI in pieces", sp_ctr[v].name);
    }
    printf("aesni: SP 800-38A CTR: AES-NI 2 (F.5.1, F.5.5)\n");
}

/* a reference CTR on libtomcrypt's AES, block by block: GCM's inc32 */
static void ref_ctr32(symmetric_key *sk, const uint8_t cb0[16], const uint8_t *in, uint8_t *out,
                      size_t len)
{
    uint8_t cb[16], ks[16];
    memcpy(cb, cb0, 16);
    uint32_t c = (uint32_t)cb[12] << 24 | (uint32_t)cb[13] << 16 | (uint32_t)cb[14] << 8 | cb[15];
    for (size_t off = 0; off < len; off += 16, c++) {
        cb[12] = (uint8_t)(c >> 24), cb[13] = (uint8_t)(c >> 16);
        cb[14] = (uint8_t)(c >> 8), cb[15] = (uint8_t)c;
        cr_assert_eq(rijndael_ecb_encrypt(cb, ks, sk), CRYPT_OK);
        for (size_t i = 0; i < 16 && off + i < len; i++)
            out[off + i] = in[off + i] ^ ks[i];
    }
}

Test(aesni, ctr32_wraps_and_agrees_with_libtomcrypt)
{
    if (!have_ni()) {
        printf("aesni: CTR agreement: not run (cpu lacks the aes flag)\n");
        return;
    }
    int wraps = 0;
    for (int n = 0; n < 600; n++) {
        uint8_t key[32], cb[16], cb0[16], in[400], out[400], ref[400];
        size_t kl = 16 + 8 * (size_t)(rnd() % 3), len = (size_t)n % 400;
        fill(key, kl);
        fill(cb0, 16);
        if (n % 3 == 0) { /* the low 32 bits wrap inside the message */
            cb0[12] = cb0[13] = cb0[14] = 0xff;
            cb0[15] = (uint8_t)(0xff - rnd() % 12);
            wraps++;
        }
        fill(in, len);
        symmetric_key sk;
        cr_assert_eq(rijndael_setup(key, (int)kl, 0, &sk), CRYPT_OK);
        ref_ctr32(&sk, cb0, in, ref, len);
        struct cry_aesni_key ek;
        cr_assert_eq(cry_aesni_set_encrypt_key(&ek, key, kl), 0);
        memcpy(cb, cb0, 16);
        int inplace = n % 2;
        if (inplace)
            memcpy(out, in, len);
        cry_aesni_ctr32(&ek, cb, inplace ? out : in, out, len);
        cr_assert_arr_eq(out, ref, len, "case %d: key %zu, %zu bytes", n, kl, len);
        cr_assert_arr_eq(cb, cb0, 12, "case %d: bytes 0..11 of the counter block changed", n);
        uint32_t c0 = (uint32_t)cb0[12] << 24 | (uint32_t)cb0[13] << 16 | (uint32_t)cb0[14] << 8 |
                      cb0[15];
        uint32_t c1 =
            (uint32_t)cb[12] << 24 | (uint32_t)cb[13] << 16 | (uint32_t)cb[14] << 8 | cb[15];
        cr_assert_eq(c1, (uint32_t)(c0 + (len + 15) / 16), "case %d: counter after", n);
    }
    printf("aesni: CTR vs libtomcrypt: 600 cases (%d wrap the 32-bit counter)\n", wraps);
}

/* ---- GCM: AES-NI (with and without PCLMULQDQ) against the portable path ---- */

Test(aesni, gcm_2000_random_cases_against_portable)
{
    int ni = have_ni(), runs = 0, ni_runs = 0;
    static const unsigned fast[] = {0, CRY_GCM_NO_PCLMUL, CRY_GCM_NO_AESNI};
    for (int n = 0; n < 2000; n++) {
        uint8_t key[32], iv[64], aad[80], pt[301], ct[301], tag[16], ref_ct[301], ref_tag[16];
        uint8_t back[301];
        size_t kl = 16 + 8 * (size_t)(rnd() % 3);
        size_t il = rnd() % 5 ? 12 : 1 + rnd() % 64;
        size_t pl = (size_t)n % 301;              /* every length 0..300, several times */
        size_t al = n % 7 == 0 ? 13 : 2 * (rnd() % 40) + 1; /* odd AAD lengths (and TLS's 13) */
        fill(key, kl), fill(iv, il), fill(aad, al), fill(pt, pl);
        struct cry_gcm ref, g;
        cr_assert_eq(cry_gcm_init(&ref, key, kl, CRY_GCM_PORTABLE), SSLNoErr);
        cr_assert(!cry_gcm_uses_aesni(&ref) && !cry_gcm_uses_pclmul(&ref));
        cr_assert_eq(cry_gcm_seal(&ref, iv, il, aad, al, pt, ref_ct, pl, ref_tag), SSLNoErr);
        for (size_t f = 0; f < sizeof fast / sizeof fast[0]; f++) {
            cr_assert_eq(cry_gcm_init(&g, key, kl, fast[f]), SSLNoErr);
            cr_assert_eq(cry_gcm_uses_aesni(&g), ni && !(fast[f] & CRY_GCM_NO_AESNI));
            ni_runs += cry_gcm_uses_aesni(&g);
            cr_assert_eq(cry_gcm_seal(&g, iv, il, aad, al, pt, ct, pl, tag), SSLNoErr);
            cr_assert(memcmp(ct, ref_ct, pl) == 0 && memcmp(tag, ref_tag, 16) == 0,
                      "case %d flags %u (key %zu, iv %zu, aad %zu, text %zu): seal differs", n,
                      fast[f], kl, il, al, pl);
            /* open the portable path's output here, in place, and this path's there */
            memcpy(back, ref_ct, pl);
            cr_assert_eq(cry_gcm_open(&g, iv, il, aad, al, back, back, pl, ref_tag), SSLNoErr);
            cr_assert(memcmp(back, pt, pl) == 0, "case %d flags %u: open", n, fast[f]);
            cr_assert_eq(cry_gcm_open(&ref, iv, il, aad, al, ct, back, pl, tag), SSLNoErr);
            cr_assert(memcmp(back, pt, pl) == 0, "case %d flags %u: portable open", n, fast[f]);
            if (pl) /* a changed ciphertext, or tag when there is none: refused */
                ct[rnd() % pl] ^= (uint8_t)(1u << (rnd() % 8));
            else
                tag[n % 16] ^= 0x80;
            memset(back, 0xa5, sizeof back);
            cr_assert_eq(cry_gcm_open(&g, iv, il, aad, al, ct, back, pl, tag), SSLProtocolErr);
            for (size_t i = 0; i < pl; i++)
                cr_assert_eq(back[i], 0, "case %d: output not wiped", n);
            cry_gcm_wipe(&g);
        }
        cry_gcm_wipe(&ref);
        runs++;
    }
    printf("aesni: GCM vs portable: %d cases x 3 flag sets, %d keyed on AES-NI\n", runs, ni_runs);
    cr_assert_eq(ni_runs, ni ? 4000 : 0, "AES-NI present but its GCM path not exercised");
}

/* ---- AES-CBC chains through crypto_ltc.c: AES-NI against the portable path ---- */

Test(aesni, cbc_2000_random_chains_against_portable)
{
    int ni = have_ni(), ni_runs = 0, multi = 0;
    static uint8_t pt[16 * 64], ct[16 * 64], ref[16 * 64], back[16 * 64];
    for (int n = 0; n < 2000; n++) {
        uint8_t key[32], iv[16];
        size_t kl = 16 + 8 * (size_t)(rnd() % 3), blocks = (size_t)(rnd() % 65);
        fill(key, kl), fill(iv, 16), fill(pt, 16 * blocks);
        uint64_t e_ref[96], d_ref[96], e[96], d[96];
        cr_assert_eq(cry_cipher_init_flags(e_ref, CRY_C_AES, 1, key, kl, iv, CRY_CIPHER_PORTABLE),
                     SSLNoErr);
        cr_assert_eq(cry_cipher_init_flags(d_ref, CRY_C_AES, 0, key, kl, iv, CRY_CIPHER_PORTABLE),
                     SSLNoErr);
        cr_assert_eq(cry_cipher_init(e, CRY_C_AES, 1, key, kl, iv), SSLNoErr);
        cr_assert_eq(cry_cipher_init(d, CRY_C_AES, 0, key, kl, iv), SSLNoErr);
        cr_assert(!cry_cipher_uses_aesni(e_ref) && !cry_cipher_uses_aesni(d_ref));
        cr_assert_eq(cry_cipher_uses_aesni(e), ni);
        cr_assert_eq(cry_cipher_uses_aesni(d), ni);
        ni_runs += cry_cipher_uses_aesni(e) && cry_cipher_uses_aesni(d);
        /* the reference in one call; the path under test in up to four pieces, two records'
         * worth: the chain must carry over calls (as it does over TLS 1.0 records) */
        cr_assert_eq(cry_cipher_run(e_ref, pt, ref, 16 * blocks), SSLNoErr);
        int inplace = n % 2, calls = 0;
        if (inplace)
            memcpy(ct, pt, 16 * blocks);
        for (size_t off = 0; off < blocks; calls++) {
            size_t take = blocks - off > 1 ? 1 + rnd() % (blocks - off) : blocks - off;
            const uint8_t *src = inplace ? ct : pt;
            cr_assert_eq(cry_cipher_run(e, src + 16 * off, ct + 16 * off, 16 * take), SSLNoErr);
            off += take;
        }
        multi += calls > 1;
        cr_assert_arr_eq(ct, ref, 16 * blocks, "case %d: key %zu, %zu blocks: encrypt", n, kl,
                         blocks);
        for (size_t off = 0; off < blocks;) {
            size_t take = blocks - off > 1 ? 1 + rnd() % (blocks - off) : blocks - off;
            uint8_t *dst = inplace ? ct : back;
            cr_assert_eq(cry_cipher_run(d, ct + 16 * off, dst + 16 * off, 16 * take), SSLNoErr);
            off += take;
        }
        cr_assert_arr_eq(inplace ? ct : back, pt, 16 * blocks, "case %d: decrypt", n);
        cr_assert_eq(cry_cipher_run(d_ref, ref, back, 16 * blocks), SSLNoErr);
        cr_assert_arr_eq(back, pt, 16 * blocks, "case %d: portable decrypt", n);
        /* the chains go on: one more block on each side agrees */
        uint8_t p1[16], c1[16], c2[16];
        fill(p1, 16);
        cr_assert_eq(cry_cipher_run(e, p1, c1, 16), SSLNoErr);
        cr_assert_eq(cry_cipher_run(e_ref, p1, c2, 16), SSLNoErr);
        cr_assert_arr_eq(c1, c2, 16, "case %d: the IV after the chain", n);
        cr_assert_eq(cry_cipher_run(d, c1, c2, 16), SSLNoErr);
        cr_assert_arr_eq(c2, p1, 16, "case %d: the decrypt IV after the chain", n);
        cr_assert_eq(cry_cipher_run(d, c1, c2, 15), SSLBadParameterErr);
        cry_cipher_wipe(e), cry_cipher_wipe(d), cry_cipher_wipe(e_ref), cry_cipher_wipe(d_ref);
    }
    printf("aesni: AES-CBC chains vs portable: 2000 cases (%d split over calls), %d on AES-NI\n",
           multi, ni_runs);
    cr_assert_eq(ni_runs, ni ? 2000 : 0, "AES-NI present but its CBC path not exercised");
}

Test(aesni, state_sizes_unchanged)
{
    /* the AES-NI schedules live where libtomcrypt's do: the documented sizes hold */
    cr_assert_eq(cry_cipher_state_size(CRY_C_AES), 516);
    cr_assert_eq(cry_cipher_state_size(CRY_C_AES_GCM), 600);
    cr_assert_eq(sizeof(struct cry_gcm), 584);
}

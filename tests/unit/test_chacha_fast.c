/*
 * test_chacha_fast.c - core/src/crypto/chacha.c: ChaCha20 (portable, AVX2, AVX-512F), Poly1305 and
 * AEAD_CHACHA20_POLY1305. RFC 8439 vectors (the §2.3.2 block, the §2.4.2 key stream, the §2.5.2
 * Poly1305 tag, the Appendix A.3 Poly1305 edge cases and the §2.8.2 AEAD), then agreement with
 * libtomcrypt (chacha_crypt, poly1305_memory, chacha20poly1305_memory: an independent
 * implementation) on every length 0..1100 and on 16 KiB records and beyond, at unaligned offsets,
 * on each path (for an empty text with an AAD not a multiple of 16, which libtomcrypt's AEAD gets
 * wrong, against §2.8 built from libtomcrypt's ChaCha20 and Poly1305); tag mismatches refused
 * with the output wiped; and the cry_aead_* interface of
 * crypto_ltc.c on its default and CRY_CIPHER_PORTABLE paths. What the CPU has is read from
 * /proc/cpuinfo, not from the code under test, and a CPU with AVX2 or AVX-512F whose path was not
 * selected fails.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tomcrypt.h>
#include "crypto/chacha.h"
#include "crypto/crypto_ltc.h"
#include "testutil.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

/* The paths this CPU must run, per /proc/cpuinfo, after checking that chacha.c selects them. */
#define NPATHS 3
static const unsigned path_flags[NPATHS] = {CRY_CHACHA_PORTABLE, CRY_CHACHA_NO_AVX512, 0};
static int paths_expected[NPATHS];

static void cpu_paths(void)
{
    int avx2 = cpuinfo_flag("avx2"), avx512 = avx2 && cpuinfo_flag("avx512f");
#if !defined(__x86_64__)
    avx2 = avx512 = 0;
#endif
    paths_expected[0] = CRY_CHACHA_SCALAR;
    paths_expected[1] = avx2 ? CRY_CHACHA_AVX2 : CRY_CHACHA_SCALAR;
    paths_expected[2] = avx512 ? CRY_CHACHA_AVX512 : paths_expected[1];
    for (int i = 0; i < NPATHS; i++)
        cr_assert_eq(cry_chacha_select(path_flags[i]), paths_expected[i],
                     "flags %u: path %d selected, /proc/cpuinfo says %d", path_flags[i],
                     cry_chacha_select(path_flags[i]), paths_expected[i]);
    printf("chacha paths on this CPU: portable, %s, %s\n", avx2 ? "AVX2" : "(no AVX2)",
           avx512 ? "AVX-512F" : "(no AVX-512F)");
}

static void key_path(struct cry_chacha *c, const uint8_t key[32], int path)
{
    cry_chacha_init(c, key, path_flags[path]);
    cr_assert_eq((int)c->path, paths_expected[path]);
}

/* ---- RFC 8439 vectors ---- */

static const char *rfc_pt = "Ladies and Gentlemen of the class of '99: If I could offer you only "
                            "one tip for the future, sunscreen would be it.";

Test(chacha_fast, rfc8439_block_and_keystream)
{
    cpu_paths();
    uint8_t key[32], nonce[12], want[128], out[64];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    /* §2.3.2: counter 1, nonce 000000090000004a00000000 */
    unhex("000000090000004a00000000", nonce, sizeof nonce);
    unhex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
          "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
          want, sizeof want);
    cry_chacha20_block(key, 1, nonce, out);
    cr_assert_arr_eq(out, want, 64, "§2.3.2 block");
    /* §2.4.2: counter 1, nonce 000000000000004a00000000, the sunscreen text */
    unhex("000000000000004a00000000", nonce, sizeof nonce);
    size_t n = unhex("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
                     "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
                     "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
                     "5af90bbf74a35be6b40b8eedf2785e42874d",
                     want, sizeof want);
    cr_assert_eq(n, strlen(rfc_pt));
    for (int path = 0; path < NPATHS; path++) {
        struct cry_chacha c;
        uint8_t buf[128];
        key_path(&c, key, path);
        cry_chacha20_xor(&c, 1, nonce, (const uint8_t *)rfc_pt, buf, n);
        cr_assert_arr_eq(buf, want, n, "§2.4.2 path %d", path);
        cry_chacha20_xor(&c, 1, nonce, buf, buf, n); /* in place, back */
        cr_assert_arr_eq(buf, rfc_pt, n, "§2.4.2 decrypt path %d", path);
        cry_chacha_wipe(&c);
    }
}

Test(chacha_fast, rfc8439_poly1305)
{
    uint8_t key[32], tag[16], want[16];
    /* §2.5.2 */
    unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", key, 32);
    unhex("a8061dc1305136c6c22b8baf0c0127a9", want, 16);
    const char *m = "Cryptographic Forum Research Group";
    cry_poly1305(tag, key, (const uint8_t *)m, strlen(m));
    cr_assert_arr_eq(tag, want, 16, "§2.5.2");
    /* Appendix A.3, test vectors #5 to #11: the cases that stress the reduction mod 2^130 - 5
     * and the final addition (key = r || s, message, tag) */
    static const char *const a3[][3] = {
        {"0200000000000000000000000000000000000000000000000000000000000000",
         "ffffffffffffffffffffffffffffffff", "03000000000000000000000000000000"},
        {"02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
         "02000000000000000000000000000000", "03000000000000000000000000000000"},
        {"0100000000000000000000000000000000000000000000000000000000000000",
         "ffffffffffffffffffffffffffffffff"
         "f0ffffffffffffffffffffffffffffff"
         "11000000000000000000000000000000",
         "05000000000000000000000000000000"},
        {"0100000000000000000000000000000000000000000000000000000000000000",
         "ffffffffffffffffffffffffffffffff"
         "fbfefefefefefefefefefefefefefefe"
         "01010101010101010101010101010101",
         "00000000000000000000000000000000"},
        {"0200000000000000000000000000000000000000000000000000000000000000",
         "fdffffffffffffffffffffffffffffff", "faffffffffffffffffffffffffffffff"},
        {"0100000000000000040000000000000000000000000000000000000000000000",
         "e33594d7505e43b90000000000000000"
         "3394d7505e4379cd0100000000000000"
         "00000000000000000000000000000000"
         "01000000000000000000000000000000",
         "14000000000000005500000000000000"},
        {"0100000000000000040000000000000000000000000000000000000000000000",
         "e33594d7505e43b90000000000000000"
         "3394d7505e4379cd0100000000000000"
         "00000000000000000000000000000000",
         "13000000000000000000000000000000"},
    };
    for (size_t i = 0; i < sizeof a3 / sizeof a3[0]; i++) {
        uint8_t msg[64];
        unhex(a3[i][0], key, 32);
        size_t n = unhex(a3[i][1], msg, sizeof msg);
        unhex(a3[i][2], want, 16);
        cry_poly1305(tag, key, msg, n);
        cr_assert_arr_eq(tag, want, 16, "A.3 #%zu", i + 5);
        /* and libtomcrypt agrees (a check of the vectors as typed) */
        unsigned long tl = 16;
        cr_assert_eq(poly1305_memory(key, 32, msg, (unsigned long)n, tag, &tl), CRYPT_OK);
        cr_assert_arr_eq(tag, want, 16, "A.3 #%zu (libtomcrypt)", i + 5);
    }
}

Test(chacha_fast, rfc8439_aead)
{
    cpu_paths();
    uint8_t key[32], nonce[12], aad[12], want[114], want_tag[16], ct[114], tag[16], back[114];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(0x80 + i);
    unhex("070000004041424344454647", nonce, 12);
    unhex("50515253c0c1c2c3c4c5c6c7", aad, 12);
    unhex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
          "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
          "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
          "3ff4def08e4b7a9de576d26586cec64b6116",
          want, sizeof want);
    unhex("1ae10b594f09e26a7e902ecbd0600691", want_tag, 16);
    for (int path = 0; path < NPATHS; path++) {
        struct cry_chacha c;
        key_path(&c, key, path);
        cry_chacha20_poly1305_seal(&c, nonce, aad, 12, (const uint8_t *)rfc_pt, ct, 114, tag);
        cr_assert_arr_eq(ct, want, 114, "path %d", path);
        cr_assert_arr_eq(tag, want_tag, 16, "path %d", path);
        cr_assert_eq(cry_chacha20_poly1305_open(&c, nonce, aad, 12, ct, back, 114, tag), 0);
        cr_assert_arr_eq(back, rfc_pt, 114);
        cry_chacha_wipe(&c);
    }
}

/* ---- against libtomcrypt ---- */

/* one case: seal and open on every path at the given buffer offsets, against libtomcrypt */
static void cross_check(size_t alen, size_t len, size_t off_in, size_t off_out, int in_place)
{
    static uint8_t pt[20000 + 64], ref[20000], ct[20000 + 64], back[20000 + 64], keep[20000];
    uint8_t key[32], nonce[12], aad[64], ref_tag[16], tag[16];
    cr_assert(len <= 20000 && alen <= sizeof aad);
    fill(key, 32);
    fill(nonce, 12);
    fill(aad, alen);
    fill(pt + off_in, len);
    unsigned long tl = 16;
    /* libtomcrypt 1.18.2 does not pad the AAD for an empty text (crypto_ltc.c once worked around
     * it): there the tag is made from libtomcrypt's ChaCha20 and Poly1305 by §2.8 directly */
    int ltc = len > 0 || alen % 16 == 0;
    if (!ltc) {
        chacha_state cs;
        uint8_t otk[32], zero[32] = {0}, mac[64 + 16] = {0};
        cr_assert_eq(chacha_setup(&cs, key, 32, 20), CRYPT_OK);
        cr_assert_eq(chacha_ivctr32(&cs, nonce, 12, 0), CRYPT_OK);
        cr_assert_eq(chacha_crypt(&cs, zero, 32, otk), CRYPT_OK); /* block 0's first 32 bytes */
        size_t padded = (alen + 15) / 16 * 16;
        memcpy(mac, aad, alen);
        mac[padded] = (uint8_t)alen; /* le64(alen) || le64(0) */
        cr_assert_eq(poly1305_memory(otk, 32, mac, (unsigned long)(padded + 16), ref_tag, &tl),
                     CRYPT_OK);
    } else {
        cr_assert_eq(chacha20poly1305_memory(key, 32, nonce, 12, aad, (unsigned long)alen,
                                             pt + off_in, (unsigned long)len, ref, ref_tag, &tl,
                                             CHACHA20POLY1305_ENCRYPT),
                     CRYPT_OK);
    }
    for (int path = 0; path < NPATHS; path++) {
        struct cry_chacha c;
        key_path(&c, key, path);
        uint8_t *out = in_place ? pt + off_in : ct + off_out;
        uint8_t *saved = keep;
        if (in_place)
            memcpy(saved, pt + off_in, len);
        cry_chacha20_poly1305_seal(&c, nonce, aad, alen, pt + off_in, out, len, tag);
        cr_assert(memcmp(out, ref, len) == 0, "aad %zu text %zu offsets %zu/%zu path %d: text",
                  alen, len, off_in, off_out, path);
        cr_assert(memcmp(tag, ref_tag, 16) == 0, "aad %zu text %zu path %d: tag", alen, len, path);
        /* open, then a flipped bit in the ciphertext, the tag or the AAD is refused and the
         * output wiped */
        uint8_t *dst = in_place ? out : back + off_in;
        cr_assert_eq(cry_chacha20_poly1305_open(&c, nonce, aad, alen, out, dst, len, tag), 0);
        if (in_place) {
            cr_assert(memcmp(dst, saved, len) == 0, "text %zu path %d: open in place", len, path);
        } else {
            cr_assert(memcmp(dst, pt + off_in, len) == 0, "text %zu path %d: open", len, path);
        }
        int what = (int)(rnd() % 3);
        if (what == 0 && len == 0)
            what = 1;
        if (what == 2 && alen == 0)
            what = 1;
        uint8_t *flip = what == 0 ? ref : what == 1 ? ref_tag : aad;
        size_t at = what == 0 ? rnd() % len : what == 1 ? rnd() % 16 : rnd() % alen;
        uint8_t bit = (uint8_t)(1u << (rnd() % 8));
        memcpy(ct + off_out, ref, len);
        flip[at] ^= bit;
        if (what == 0)
            ct[off_out + at] ^= bit;
        memset(back, 0x5a, len + 64);
        cr_assert_eq(cry_chacha20_poly1305_open(&c, nonce, aad, alen, ct + off_out, back, len,
                                                ref_tag),
                     -1, "text %zu path %d: a flipped bit (%d) accepted", len, path, what);
        for (size_t i = 0; i < len; i++)
            cr_assert_eq(back[i], 0, "text %zu path %d: output not wiped", len, path);
        cr_assert_eq(back[len], 0x5a, "wiped past the end");
        flip[at] ^= bit;
        if (in_place) /* restore the plaintext for the next path */
            memcpy(pt + off_in, saved, len);
        cry_chacha_wipe(&c);
    }
}

Test(chacha_fast, agrees_with_libtomcrypt_every_length_0_to_1100)
{
    cpu_paths();
    for (size_t len = 0; len <= 1100; len++) {
        size_t alen = len < 40 ? (len * 7 + 13) % 40 : rnd() % 40;
        cross_check(alen, len, rnd() % 32, rnd() % 32, (int)(len % 3 == 0));
    }
    /* empty texts (an empty TLS record: the tag covers the AAD alone) with every AAD length */
    for (size_t alen = 0; alen < 40; alen++)
        cross_check(alen, 0, 0, 0, 0);
}

Test(chacha_fast, agrees_with_libtomcrypt_on_records)
{
    cpu_paths();
    /* 16 KiB records (TLS's largest plaintext, and with the padding a block cipher may add), the
     * batch boundaries around them, and at every offset 0..31 */
    static const size_t lens[] = {16384, 16383, 16385, 16384 + 256, 16384 + 1024, 16384 + 2048,
                                  15360 + 1, 2047, 2048, 2049, 3071, 3072, 4096 + 513, 20000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        cross_check(13, lens[i], i % 32, (i * 7) % 32, (int)(i % 2));
    for (size_t off = 0; off < 32; off++)
        cross_check(13, 16384, off, 31 - off, 0);
}

Test(chacha_fast, keystream_and_poly1305_agree_with_libtomcrypt)
{
    cpu_paths();
    static uint8_t in[5000], ref[5000], out[5000];
    for (int n = 0; n < 300; n++) {
        uint8_t key[32], nonce[12];
        size_t len = n < 100 ? (size_t)n * 37 % 5000 : rnd() % 5000;
        /* counters up to the top (libtomcrypt refuses a wrap, which RFC 8439 rules out anyway) */
        uint32_t ctr = n % 5 == 0 ? 0xffffffffu - 100 - (rnd() % 40) : rnd() % 0xff000000u;
        fill(key, 32);
        fill(nonce, 12);
        fill(in, len);
        chacha_state ref_st;
        cr_assert_eq(chacha_setup(&ref_st, key, 32, 20), CRYPT_OK);
        cr_assert_eq(chacha_ivctr32(&ref_st, nonce, 12, ctr), CRYPT_OK);
        if (len)
            cr_assert_eq(chacha_crypt(&ref_st, in, (unsigned long)len, ref), CRYPT_OK);
        for (int path = 0; path < NPATHS; path++) {
            struct cry_chacha c;
            key_path(&c, key, path);
            cry_chacha20_xor(&c, ctr, nonce, in, out, len);
            cr_assert(memcmp(out, ref, len) == 0, "keystream len %zu ctr %u path %d", len, ctr,
                      path);
            cry_chacha_wipe(&c);
        }
        /* Poly1305 on the same bytes */
        uint8_t tag[16], want[16];
        unsigned long tl = 16;
        cr_assert_eq(poly1305_memory(key, 32, in, (unsigned long)len, want, &tl), CRYPT_OK);
        cry_poly1305(tag, key, in, len);
        cr_assert_arr_eq(tag, want, 16, "poly1305 len %zu", len);
    }
    /* Poly1305 with all-ones blocks and r at its clamped maximum: the largest accumulators */
    uint8_t key[32], tag[16], want[16];
    memset(key, 0xff, 32);
    memset(in, 0xff, 4096);
    for (size_t len = 0; len <= 4096; len += 97) {
        unsigned long tl = 16;
        cr_assert_eq(poly1305_memory(key, 32, in, (unsigned long)len, want, &tl), CRYPT_OK);
        cry_poly1305(tag, key, in, len);
        cr_assert_arr_eq(tag, want, 16, "poly1305 all ones len %zu", len);
    }
}

/* ---- through crypto_ltc.c's cry_aead_* ---- */

Test(chacha_fast, cipher_interface_paths)
{
    cpu_paths();
    size_t sz = cry_cipher_state_size(CRY_C_CHACHA20_POLY1305);
    cr_assert(sz > 0 && sz <= 64, "state size %zu", sz);
    uint64_t st[1][16];
    uint8_t key[32], nonce[12], aad[13], pt[3000], ct[2][3000], tag[2][16], back[3000];
    fill(key, 32);
    fill(nonce, 12);
    fill(aad, 13);
    fill(pt, sizeof pt);
    static const unsigned flags[2] = {CRY_CIPHER_PORTABLE, 0};
    for (int f = 0; f < 2; f++) {
        cr_assert_eq(cry_cipher_init_flags(st[0], CRY_C_CHACHA20_POLY1305, 1, key, 32, NULL,
                                           flags[f]),
                     SSLNoErr);
        cr_assert_eq(cry_cipher_chacha_path(st[0]), f ? paths_expected[2] : CRY_CHACHA_SCALAR);
        cr_assert_eq(cry_aead_seal(st[0], nonce, 12, aad, 13, pt, ct[f], sizeof pt, tag[f]),
                     SSLNoErr);
        cr_assert_eq(cry_aead_open(st[0], nonce, 12, aad, 13, ct[f], back, sizeof pt, tag[f]),
                     SSLNoErr);
        cr_assert_arr_eq(back, pt, sizeof pt);
        /* an empty record: a tag over the AAD alone, refused when the tag is wrong */
        uint8_t t0[16];
        cr_assert_eq(cry_aead_seal(st[0], nonce, 12, aad, 13, NULL, NULL, 0, t0), SSLNoErr);
        cr_assert_eq(cry_aead_open(st[0], nonce, 12, aad, 13, NULL, NULL, 0, t0), SSLNoErr);
        t0[0] ^= 1;
        cr_assert_eq(cry_aead_open(st[0], nonce, 12, aad, 13, NULL, NULL, 0, t0), SSLProtocolErr);
        /* a wrong tag: SSLProtocolErr, output wiped */
        tag[f][3] ^= 0x10;
        cr_assert_eq(cry_aead_open(st[0], nonce, 12, aad, 13, ct[f], back, sizeof pt, tag[f]),
                     SSLProtocolErr);
        for (size_t i = 0; i < sizeof back; i++)
            cr_assert_eq(back[i], 0);
        tag[f][3] ^= 0x10;
        /* an 8-byte nonce is refused */
        cr_assert_eq(cry_aead_seal(st[0], nonce, 8, aad, 13, pt, ct[f], 16, tag[f]),
                     SSLBadParameterErr);
        cry_cipher_wipe(st[0]);
    }
    cr_assert_arr_eq(ct[0], ct[1], sizeof pt, "portable and default paths agree");
    cr_assert_arr_eq(tag[0], tag[1], 16);
}

/*
 * test_des.c - core/src/crypto/des.c against libtomcrypt's DES and triple DES (an independent
 * implementation, still installed): random keys and blocks through one block in both directions,
 * and CBC over many blocks, in place and not. The published vectors are in test_crypto.c
 * (des_vectors, tdes_sp800_67), which go through the cipher interface the records use.
 */
#include <criterion/criterion.h>
#include <tomcrypt.h>
#include <string.h>
#include "crypto/des.h"
#include "crypto/crypto_ltc.h"

static uint64_t state = 0x9e3779b97f4a7c15u;

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        p[i] = (uint8_t)(state >> 24);
    }
}

Test(des, one_block_matches_libtomcrypt)
{
    for (int n = 0; n < 3000; n++) {
        uint8_t key[8], in[8], mine[8], theirs[8], back[8];
        uint32_t ek[DES_ROUND_WORDS], dk[DES_ROUND_WORDS];
        symmetric_key sk;
        fill(key, 8);
        fill(in, 8);
        des_schedule(key, 0, ek);
        des_schedule(key, 1, dk);
        cr_assert_eq(des_setup(key, 8, 0, &sk), CRYPT_OK);
        des_block(ek, 1, in, mine);
        cr_assert_eq(des_ecb_encrypt(in, theirs, &sk), CRYPT_OK);
        cr_assert_arr_eq(mine, theirs, 8, "encrypt, case %d", n);
        des_block(dk, 1, in, mine);
        cr_assert_eq(des_ecb_decrypt(in, theirs, &sk), CRYPT_OK);
        cr_assert_arr_eq(mine, theirs, 8, "decrypt, case %d", n);
        des_block(ek, 1, mine, back);
        cr_assert_arr_eq(back, in, 8);
    }
}

Test(des, parity_bits_are_ignored)
{
    uint8_t key[8], flipped[8], in[8], a[8], b[8];
    uint32_t k1[DES_ROUND_WORDS], k2[DES_ROUND_WORDS];
    fill(key, 8);
    fill(in, 8);
    for (int i = 0; i < 8; i++)
        flipped[i] = key[i] ^ 1;
    des_schedule(key, 0, k1);
    des_schedule(flipped, 0, k2);
    des_block(k1, 1, in, a);
    des_block(k2, 1, in, b);
    cr_assert_arr_eq(a, b, 8);
    flipped[0] ^= 2; /* a key bit does change the result */
    des_schedule(flipped, 0, k2);
    des_block(k2, 1, in, b);
    cr_assert(memcmp(a, b, 8) != 0);
}

/* CBC through the cipher interface the record layer uses, against libtomcrypt's CBC. */
static void cbc_against_libtomcrypt(int alg, const uint8_t *key, size_t keylen, int n)
{
    uint8_t iv[8], pt[8 * 64], ct[sizeof pt], mine[sizeof pt];
    uint64_t state_buf[128]; /* cipher states need 8-byte alignment */
    const char *name = alg == CRY_C_DES ? "des" : "3des";
    symmetric_CBC cbc;
    fill(iv, 8);
    fill(pt, sizeof pt);
    size_t len = 8 * (size_t)(1 + n % 64);
    cr_assert_leq(cry_cipher_state_size(alg), sizeof state_buf);
    cr_assert_eq(cbc_start(find_cipher(name), iv, key, (int)keylen, 0, &cbc), CRYPT_OK);
    cr_assert_eq(cbc_encrypt(pt, ct, len, &cbc), CRYPT_OK);
    cbc_done(&cbc);
    /* encrypt in two calls (the chaining block carries over), then decrypt in place */
    cr_assert_eq(cry_cipher_init(state_buf, alg, 1, key, keylen, iv), SSLNoErr);
    cr_assert_eq(cry_cipher_run(state_buf, pt, mine, len / 2 & ~(size_t)7), SSLNoErr);
    cr_assert_eq(cry_cipher_run(state_buf, pt + (len / 2 & ~(size_t)7),
                                mine + (len / 2 & ~(size_t)7), len - (len / 2 & ~(size_t)7)),
                 SSLNoErr);
    cr_assert_arr_eq(mine, ct, len, "%s encrypt, case %d (%zu bytes)", name, n, len);
    cr_assert_eq(cry_cipher_init(state_buf, alg, 0, key, keylen, iv), SSLNoErr);
    cr_assert_eq(cry_cipher_run(state_buf, mine, mine, len), SSLNoErr);
    cr_assert_arr_eq(mine, pt, len, "%s decrypt, case %d", name, n);
    cry_cipher_wipe(state_buf);
}

Test(des, cbc_matches_libtomcrypt)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    cr_assert_geq(register_cipher(&des_desc), 0);
    cr_assert_geq(register_cipher(&des3_desc), 0);
    for (int n = 0; n < 500; n++) {
        uint8_t key[24];
        fill(key, sizeof key);
        cbc_against_libtomcrypt(CRY_C_DES, key, 8, n);
        cbc_against_libtomcrypt(CRY_C_3DES, key, 24, n);
        memcpy(key + 16, key, 8); /* two-key triple DES: K3 = K1 */
        cbc_against_libtomcrypt(CRY_C_3DES, key, 24, n);
    }
}

Test(des, triple_des_with_one_key_is_des)
{
    uint8_t key[24], iv[8], pt[64], a[64], b[64];
    uint64_t s1[128], s3[128];
    fill(key, 8);
    memcpy(key + 8, key, 8);
    memcpy(key + 16, key, 8);
    fill(iv, 8);
    fill(pt, sizeof pt);
    cr_assert_eq(cry_cipher_init(s1, CRY_C_DES, 1, key, 8, iv), SSLNoErr);
    cr_assert_eq(cry_cipher_init(s3, CRY_C_3DES, 1, key, 24, iv), SSLNoErr);
    cr_assert_eq(cry_cipher_run(s1, pt, a, sizeof pt), SSLNoErr);
    cr_assert_eq(cry_cipher_run(s3, pt, b, sizeof pt), SSLNoErr);
    cr_assert_arr_eq(a, b, sizeof pt);
}

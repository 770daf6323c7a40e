/*
 * des.c - DES (FIPS 46-3) with table-driven rounds and key schedule, triple DES EDE, CBC.
 * The 32-bit halves use DES bit 1 as their most significant bit. A round key is two words whose
 * bytes hold the eight 6-bit groups (odd groups in k[0], even ones in k[1]), lined up with R
 * rotated right by 3 and left by 1, so that E is two rotations. The S-box lookups index tables by
 * data (as libtomcrypt's and NSS's DES do): not constant time against cache-timing observers.
 */
#include "crypto/des.h"
#include <string.h>

#include "crypto/des_tables.h"

/* PC-1: the key bits (1 = most significant bit of the first byte) that form C (first 28) and D. */
static const uint8_t pc1[56] = {
    57, 49, 41, 33, 25, 17, 9,  1,  58, 50, 42, 34, 26, 18, 10, 2,  59, 51, 43,
    35, 27, 19, 11, 3,  60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7,  62, 54,
    46, 38, 30, 22, 14, 6,  61, 53, 45, 37, 29, 21, 13, 5,  28, 20, 12, 4,
};
/* Left rotations of C and D before each round. */
static const uint8_t shifts[16] = {1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1};

static inline uint32_t load32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t rotl(uint32_t x, unsigned n) { return x << n | x >> (32 - n); }
static inline uint32_t rotr(uint32_t x, unsigned n) { return x >> n | x << (32 - n); }

void des_schedule(const uint8_t key[8], int decrypt, uint32_t k[DES_ROUND_WORDS])
{
    uint64_t kv = (uint64_t)load32(key) << 32 | load32(key + 4);
    uint32_t c = 0, d = 0;
    for (int i = 0; i < 28; i++) {
        c = c << 1 | (uint32_t)(kv >> (64 - pc1[i]) & 1);
        d = d << 1 | (uint32_t)(kv >> (64 - pc1[28 + i]) & 1);
    }
    for (int r = 0; r < 16; r++) {
        unsigned s = shifts[r];
        c = (c << s | c >> (28 - s)) & 0x0fffffffu;
        d = (d << s | d >> (28 - s)) & 0x0fffffffu;
        uint64_t w = des_pc2[0][c >> 21] | des_pc2[1][c >> 14 & 127] | des_pc2[2][c >> 7 & 127] |
                     des_pc2[3][c & 127] | des_pc2[4][d >> 21] | des_pc2[5][d >> 14 & 127] |
                     des_pc2[6][d >> 7 & 127] | des_pc2[7][d & 127];
        int at = decrypt ? 15 - r : r; /* decryption runs the same round keys backwards */
        k[2 * at] = (uint32_t)(w >> 32);
        k[2 * at + 1] = (uint32_t)w;
    }
}

static inline uint32_t f(uint32_t r, const uint32_t *k)
{
    uint32_t a = rotr(r, 3) ^ k[0], b = rotl(r, 1) ^ k[1];
    return des_sp[0][a >> 24 & 63] ^ des_sp[2][a >> 16 & 63] ^ des_sp[4][a >> 8 & 63] ^
           des_sp[6][a & 63] ^ des_sp[1][b >> 24 & 63] ^ des_sp[3][b >> 16 & 63] ^
           des_sp[5][b >> 8 & 63] ^ des_sp[7][b & 63];
}

/* One block as two words: the initial permutation, 16 rounds per stage (the halves swapped after
 * each: between stages the final and initial permutations cancel), the final permutation. */
static inline void crypt_words(const uint32_t *k, uint32_t stages, uint32_t *pl, uint32_t *pr)
{
    uint32_t l = *pl, r = *pr, t;
    t = (l >> 4 ^ r) & 0x0f0f0f0fu, r ^= t, l ^= t << 4;
    t = (l >> 16 ^ r) & 0x0000ffffu, r ^= t, l ^= t << 16;
    t = (r >> 2 ^ l) & 0x33333333u, l ^= t, r ^= t << 2;
    t = (r >> 8 ^ l) & 0x00ff00ffu, l ^= t, r ^= t << 8;
    t = (l >> 1 ^ r) & 0x55555555u, r ^= t, l ^= t << 1;
    for (uint32_t s = 0; s < stages; s++) {
        for (int i = 0; i < 16; i += 2, k += 4) {
            l ^= f(r, k);
            r ^= f(l, k + 2);
        }
        t = l, l = r, r = t;
    }
    t = (l >> 1 ^ r) & 0x55555555u, r ^= t, l ^= t << 1;
    t = (r >> 8 ^ l) & 0x00ff00ffu, l ^= t, r ^= t << 8;
    t = (r >> 2 ^ l) & 0x33333333u, l ^= t, r ^= t << 2;
    t = (l >> 16 ^ r) & 0x0000ffffu, r ^= t, l ^= t << 16;
    t = (l >> 4 ^ r) & 0x0f0f0f0fu, r ^= t, l ^= t << 4;
    *pl = l;
    *pr = r;
}

void des_block(const uint32_t *k, uint32_t stages, const uint8_t in[8], uint8_t out[8])
{
    uint32_t l = load32(in), r = load32(in + 4);
    crypt_words(k, stages, &l, &r);
    store32(out, l);
    store32(out + 4, r);
}

void des_cbc_init(struct des_cbc *c, int encrypt, const uint8_t *key, size_t keylen,
                  const uint8_t iv[8])
{
    memset(c, 0, sizeof *c);
    c->stages = keylen == 24 ? 3 : 1;
    if (c->stages == 1) {
        des_schedule(key, !encrypt, c->k);
    } else if (encrypt) { /* E(K1), D(K2), E(K3) */
        des_schedule(key, 0, c->k);
        des_schedule(key + 8, 1, c->k + DES_ROUND_WORDS);
        des_schedule(key + 16, 0, c->k + 2 * DES_ROUND_WORDS);
    } else {              /* D(K3), E(K2), D(K1) */
        des_schedule(key + 16, 1, c->k);
        des_schedule(key + 8, 0, c->k + DES_ROUND_WORDS);
        des_schedule(key, 1, c->k + 2 * DES_ROUND_WORDS);
    }
    c->iv[0] = load32(iv);
    c->iv[1] = load32(iv + 4);
    c->encrypt = encrypt != 0;
}

void des_cbc_run(struct des_cbc *c, const uint8_t *in, uint8_t *out, size_t len)
{
    uint32_t stages = c->stages, l0 = c->iv[0], r0 = c->iv[1];
    if (c->encrypt) {  /* C_i = E(P_i ^ C_{i-1}) */
        for (size_t off = 0; off < len; off += 8) {
            l0 ^= load32(in + off);
            r0 ^= load32(in + off + 4);
            crypt_words(c->k, stages, &l0, &r0);
            store32(out + off, l0);
            store32(out + off + 4, r0);
        }
    } else {                   /* P_i = D(C_i) ^ C_{i-1}; in and out may be the same buffer */
        for (size_t off = 0; off < len; off += 8) {
            uint32_t l = load32(in + off), r = load32(in + off + 4), cl = l, cr = r;
            crypt_words(c->k, stages, &l, &r);
            store32(out + off, l ^ l0);
            store32(out + off + 4, r ^ r0);
            l0 = cl;
            r0 = cr;
        }
    }
    c->iv[0] = l0;
    c->iv[1] = r0;
}

/*
 * idea.c - IDEA (Lai and Massey 1991): key schedule, decryption key inversion, one block, CBC.
 * Written from the algorithm description: 8 rounds mixing XOR, addition mod 2^16 and multiplication
 * mod 2^16+1 (where 0 stands for 2^16), then an output transformation. Big-endian 16-bit words.
 * No table lookups and no branches or divisions on key or data (constant time on common CPUs).
 */
#include "crypto/idea.h"
#include <string.h>

/*
 * a * b mod 65537, with 0 meaning 65536 on input and output. No branch and no division: since
 * 2^16 = -1 (mod 65537), hi * 2^16 + lo = lo - hi. The product is never 0 mod 65537 (a prime).
 */
static uint16_t mul(uint16_t a, uint16_t b)
{
    uint64_t x = a + (((uint64_t)a - 1) >> 63 << 16); /* 0 -> 65536 */
    uint64_t y = b + (((uint64_t)b - 1) >> 63 << 16);
    uint64_t p = x * y;                               /* <= 2^32 */
    int64_t d = (int64_t)(p & 0xffff) - (int64_t)(p >> 16);
    d += 65537 & -(int64_t)((uint64_t)d >> 63);       /* now 1..65536 */
    return (uint16_t)d;                               /* 65536 -> 0 */
}

/* Multiplicative inverse mod 65537 (x^65535, Fermat); 0 (= 65536 = -1) is its own inverse. */
static uint16_t inv(uint16_t x)
{
    uint16_t r = 1, b = x;
    for (uint32_t e = 65535; e; e >>= 1) {
        if (e & 1)
            r = mul(r, b);
        b = mul(b, b);
    }
    return r;
}

void idea_expand_key(const uint8_t key[16], uint16_t ek[IDEA_SUBKEYS])
{
    uint8_t k[16], t[16];
    memcpy(k, key, 16);
    for (int i = 0; i < IDEA_SUBKEYS; i++) {
        if (i && i % 8 == 0) { /* rotate the 128-bit key left by 25 bits: 3 bytes, then 1 bit */
            for (int j = 0; j < 16; j++)
                t[j] = (uint8_t)(k[(j + 3) % 16] << 1 | k[(j + 4) % 16] >> 7);
            memcpy(k, t, 16);
        }
        ek[i] = (uint16_t)(k[2 * (i % 8)] << 8 | k[2 * (i % 8) + 1]);
    }
    explicit_bzero(k, sizeof k);
    explicit_bzero(t, sizeof t);
}

void idea_invert_key(const uint16_t ek[IDEA_SUBKEYS], uint16_t dk[IDEA_SUBKEYS])
{
    /* Decryption round r uses the encryption output-transform/round keys in reverse; the two
     * additive keys swap places except in the first and last groups (the rounds swap X2, X3). */
    for (int r = 0; r <= 8; r++) {
        int j = 6 * (8 - r);
        int swap = r != 0 && r != 8;
        dk[6 * r] = inv(ek[j]);
        dk[6 * r + 1] = (uint16_t)-ek[j + (swap ? 2 : 1)];
        dk[6 * r + 2] = (uint16_t)-ek[j + (swap ? 1 : 2)];
        dk[6 * r + 3] = inv(ek[j + 3]);
        if (r < 8) {
            dk[6 * r + 4] = ek[j - 2];
            dk[6 * r + 5] = ek[j - 1];
        }
    }
}

void idea_block(const uint16_t k[IDEA_SUBKEYS], const uint8_t in[8], uint8_t out[8])
{
    uint16_t x1 = (uint16_t)(in[0] << 8 | in[1]), x2 = (uint16_t)(in[2] << 8 | in[3]);
    uint16_t x3 = (uint16_t)(in[4] << 8 | in[5]), x4 = (uint16_t)(in[6] << 8 | in[7]);
    for (int r = 0; r < 8; r++, k += 6) {
        uint16_t a = mul(x1, k[0]), b = (uint16_t)(x2 + k[1]);
        uint16_t c = (uint16_t)(x3 + k[2]), d = mul(x4, k[3]);
        uint16_t t1 = mul((uint16_t)(a ^ c), k[4]);
        uint16_t t2 = mul((uint16_t)((b ^ d) + t1), k[5]);
        t1 = (uint16_t)(t1 + t2);
        x1 = a ^ t2;
        x2 = c ^ t2; /* the middle words swap between rounds */
        x3 = b ^ t1;
        x4 = d ^ t1;
    }
    /* output transformation (undoes the last round's swap) */
    uint16_t y[4] = {mul(x1, k[0]), (uint16_t)(x3 + k[1]), (uint16_t)(x2 + k[2]), mul(x4, k[3])};
    for (int i = 0; i < 4; i++) {
        out[2 * i] = (uint8_t)(y[i] >> 8);
        out[2 * i + 1] = (uint8_t)y[i];
    }
}

void idea_cbc_init(struct idea_cbc *c, int encrypt, const uint8_t key[16], const uint8_t iv[8])
{
    uint16_t ek[IDEA_SUBKEYS];
    idea_expand_key(key, ek);
    if (encrypt)
        memcpy(c->k, ek, sizeof ek);
    else
        idea_invert_key(ek, c->k);
    explicit_bzero(ek, sizeof ek);
    memcpy(c->iv, iv, 8);
    c->encrypt = encrypt != 0;
}

void idea_cbc_run(struct idea_cbc *c, const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t b[8];
    for (size_t off = 0; off + 8 <= len; off += 8) {
        if (c->encrypt) {
            for (int i = 0; i < 8; i++)
                b[i] = in[off + i] ^ c->iv[i];
            idea_block(c->k, b, c->iv);
            memcpy(out + off, c->iv, 8);
        } else {
            uint8_t ct[8];
            memcpy(ct, in + off, 8); /* in may equal out */
            idea_block(c->k, ct, b);
            for (int i = 0; i < 8; i++)
                out[off + i] = b[i] ^ c->iv[i];
            memcpy(c->iv, ct, 8);
        }
    }
    explicit_bzero(b, sizeof b);
}

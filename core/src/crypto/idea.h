/*
 * idea.h - IDEA block cipher (Lai and Massey, 1991) in CBC mode, for the SSL 3.0 and SSL 2.0 IDEA
 * suites. Written from the published algorithm description (X. Lai, "On the Design and Security of
 * Block Ciphers", 1992); libtomcrypt 1.18 has no IDEA. Pure computation: no allocation or globals.
 */
#ifndef SSLREF_IDEA_H
#define SSLREF_IDEA_H

#include <stddef.h>
#include <stdint.h>

#define IDEA_SUBKEYS 52

/* One keyed direction: the 52 subkeys for that direction and the running CBC chaining block. */
struct idea_cbc {
    uint16_t k[IDEA_SUBKEYS];
    uint8_t iv[8];
    int encrypt;
};

/* Key @c (128-bit key, 8-byte iv) for encryption (encrypt != 0) or decryption. */
void idea_cbc_init(struct idea_cbc *c, int encrypt, const uint8_t key[16], const uint8_t iv[8]);
/* CBC over len bytes (len % 8 == 0, checked by the caller); in == out allowed. */
void idea_cbc_run(struct idea_cbc *c, const uint8_t *in, uint8_t *out, size_t len);

/* Single-block primitives (exposed for known-answer tests). */
void idea_expand_key(const uint8_t key[16], uint16_t ek[IDEA_SUBKEYS]);
void idea_invert_key(const uint16_t ek[IDEA_SUBKEYS], uint16_t dk[IDEA_SUBKEYS]);
void idea_block(const uint16_t k[IDEA_SUBKEYS], const uint8_t in[8], uint8_t out[8]);

#endif

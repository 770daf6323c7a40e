/*
 * des.h - DES and two-key/three-key triple DES (EDE) in CBC mode, for the SSL 3.0 and SSL 2.0 DES
 * and 3DES suites. Written from FIPS 46-3; replaces libtomcrypt's DES because a connection needs
 * one direction's key schedule only (libtomcrypt builds both) and triple DES needs the initial
 * and final permutations once per block, not three times. Pure computation: no allocation.
 */
#ifndef SSLREF_DES_H
#define SSLREF_DES_H

#include <stddef.h>
#include <stdint.h>

#define DES_ROUND_WORDS 32 /* two words per round, 16 rounds */

/* One keyed direction: the round keys of one (DES) or three (3DES) stages and the chaining block. */
struct des_cbc {
    uint32_t k[3 * DES_ROUND_WORDS];
    uint32_t iv[2];
    uint32_t stages; /* 1 or 3 */
    uint32_t encrypt;
};

/* Key @c with an 8-byte (DES) or 24-byte (3DES EDE: K1, K2, K3) key for encryption (encrypt != 0)
 * or decryption, and the 8-byte iv. Parity bits are ignored. @p keylen is 8 or 24 (checked by the
 * caller). */
void des_cbc_init(struct des_cbc *c, int encrypt, const uint8_t *key, size_t keylen,
                  const uint8_t iv[8]);
/* CBC over len bytes (len % 8 == 0, checked by the caller); in == out allowed. */
void des_cbc_run(struct des_cbc *c, const uint8_t *in, uint8_t *out, size_t len);

/* Single-block primitives (exposed for known-answer tests): the round keys of one DES key for
 * encryption or decryption, and one block through @p stages stages of such keys (EDE: the
 * caller orders the stages' schedules). */
void des_schedule(const uint8_t key[8], int decrypt, uint32_t k[DES_ROUND_WORDS]);
void des_block(const uint32_t *k, uint32_t stages, const uint8_t in[8], uint8_t out[8]);

#endif

/*
 * aesni.h - AES (FIPS-197) on the x86-64 AES instructions (AES-NI): key expansion, single blocks,
 * CTR with GCM's 32-bit big-endian counter (8 blocks in flight) and CBC (decryption 8 blocks in
 * flight; encryption is serial by construction). No tables, no branch or index on key or data:
 * constant time. Only call the cipher functions when cry_aesni_cpu() is 1 (each is compiled for
 * the AES instructions with a function target attribute; the rest of the build stays baseline
 * x86-64); the callers (gcm.c, crypto_ltc.c) choose at key setup and keep libtomcrypt's AES as the
 * portable path. On other architectures cry_aesni_cpu() is 0 and the functions do nothing.
 */
#ifndef SSLREF_CRYPTO_AESNI_H
#define SSLREF_CRYPTO_AESNI_H

#include <stddef.h>
#include <stdint.h>

/* One direction's round keys (encryption, or the equivalent inverse cipher's for decryption). */
struct cry_aesni_key {
    uint8_t rk[15][16]; /* round keys 0..rounds, loaded unaligned */
    uint32_t rounds;    /* 10, 12 or 14 */
};

/* 1 if this CPU has the AES instructions (and this build targets x86-64), else 0. */
int cry_aesni_cpu(void);

/* Expand a 16-, 24- or 32-byte key: 0, or -1 on another length (k untouched). */
int cry_aesni_set_encrypt_key(struct cry_aesni_key *k, const uint8_t *key, size_t keylen);
int cry_aesni_set_decrypt_key(struct cry_aesni_key *k, const uint8_t *key, size_t keylen);

/* One block with an encryption / decryption schedule; in == out allowed. */
void cry_aesni_encrypt_block(const struct cry_aesni_key *k, const uint8_t in[16], uint8_t out[16]);
void cry_aesni_decrypt_block(const struct cry_aesni_key *k, const uint8_t in[16], uint8_t out[16]);

/*
 * CTR over len bytes (in == out allowed, no other overlap), encryption schedule: block i is
 * xored with E(cb with its last 4 bytes + i mod 2^32, big-endian), GCM's inc32 (SP 800-38D 6.2;
 * SP 800-38A's CTR as long as the low 32 bits do not wrap). On return cb holds the counter block
 * after the last one used (a partial last block uses up its counter).
 */
void cry_aesni_ctr32(const struct cry_aesni_key *k, uint8_t cb[16], const uint8_t *in, uint8_t *out,
                     size_t len);

/* CBC over nblocks 16-byte blocks, in == out allowed; iv is updated to the last ciphertext block
 * so that a chain carries over calls. Encryption takes an encryption schedule, decryption a
 * decryption schedule. */
void cry_aesni_cbc_encrypt(const struct cry_aesni_key *k, uint8_t iv[16], const uint8_t *in,
                           uint8_t *out, size_t nblocks);
void cry_aesni_cbc_decrypt(const struct cry_aesni_key *k, uint8_t iv[16], const uint8_t *in,
                           uint8_t *out, size_t nblocks);

#endif

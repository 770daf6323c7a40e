/*
 * chacha.h - ChaCha20 and Poly1305 (RFC 8439) and their AEAD (§2.8), the project's own. ChaCha20
 * runs 16 blocks at a time on AVX-512F, 8 on AVX2, or one at a time in portable C; Poly1305
 * multiplies with 64-bit limbs and unsigned __int128 products. No tables, no branch or index on
 * secret data. A keyed state holds the key and the chosen path only (messages are independent),
 * so it is read-only once keyed.
 */
#ifndef SSLREF_CRYPTO_CHACHA_H
#define SSLREF_CRYPTO_CHACHA_H

#include <stddef.h>
#include <stdint.h>

/* ChaCha20 paths (struct cry_chacha.path, cry_chacha_select) */
enum { CRY_CHACHA_SCALAR = 0, CRY_CHACHA_AVX2 = 1, CRY_CHACHA_AVX512 = 2 };

/* cry_chacha_select / cry_chacha_init flags */
#define CRY_CHACHA_PORTABLE 1u  /* the portable C path even on a CPU with AVX2 (tests, benches) */
#define CRY_CHACHA_NO_AVX512 2u /* AVX2 at most */

struct cry_chacha {
    uint32_t key[8]; /* the 256-bit key as little-endian words */
    uint32_t path;   /* CRY_CHACHA_* */
    uint32_t keyed;
};

/* The fastest path this CPU and build allow under @flags. */
int cry_chacha_select(unsigned flags);

/* Key @c (32 bytes) for the path cry_chacha_select(flags) picks. */
void cry_chacha_init(struct cry_chacha *c, const uint8_t key[32], unsigned flags);
void cry_chacha_wipe(struct cry_chacha *c);

/* One ChaCha20 block (RFC 8439 §2.3) for block counter @ctr and a 96-bit nonce. */
void cry_chacha20_block(const uint8_t key[32], uint32_t ctr, const uint8_t nonce[12],
                        uint8_t out[64]);
/* XOR len bytes of @in with the key stream from block @ctr on (§2.4) into @out (in == out
 * allowed), on @c's path. */
void cry_chacha20_xor(const struct cry_chacha *c, uint32_t ctr, const uint8_t nonce[12],
                      const uint8_t *in, uint8_t *out, size_t len);

/* Poly1305 (§2.5) of msg under a 32-byte one-time key (r || s). */
void cry_poly1305(uint8_t tag[16], const uint8_t key[32], const uint8_t *msg, size_t len);

/*
 * AEAD_CHACHA20_POLY1305 (§2.8): encrypt len bytes of @in to @out (in == out allowed, no other
 * overlap) and write the 16-byte tag over aad and the ciphertext. len < 2^38 - 64.
 */
void cry_chacha20_poly1305_seal(const struct cry_chacha *c, const uint8_t nonce[12],
                                const uint8_t *aad, size_t alen, const uint8_t *in, uint8_t *out,
                                size_t len, uint8_t tag[16]);
/*
 * Check @tag over aad and the ciphertext @in (constant time) before anything is decrypted, then
 * decrypt to @out. 0 on success; -1 on a wrong tag, with out (len bytes) wiped.
 */
int cry_chacha20_poly1305_open(const struct cry_chacha *c, const uint8_t nonce[12],
                               const uint8_t *aad, size_t alen, const uint8_t *in, uint8_t *out,
                               size_t len, const uint8_t tag[16]);

#endif

/*
 * gcm.h - AES-GCM (NIST SP 800-38D) with a constant-time, table-free GHASH. AES runs on the AES
 * instructions (aesni.c, chosen at key setup when the CPU has them: no tables, constant time) or,
 * portably, on libtomcrypt's table AES (rijndael_setup / rijndael_ecb_encrypt); GHASH multiplies in
 * GF(2^128) either with PCLMULQDQ (chosen at key setup when the CPU has it) or, portably, with
 * 64-bit integer multiplications on operands whose bits are spaced 4 apart. Neither GHASH path
 * indexes memory with secret data; libtomcrypt's AES does (its T-tables), AES-NI does not.
 * One state per key and direction, under 1 KiB; messages are independent (no per-message state
 * is kept between calls), so a keyed state is read-only and may be shared.
 */
#ifndef SSLREF_CRYPTO_GCM_H
#define SSLREF_CRYPTO_GCM_H

#include "base/err.h"
#include "sslref/ssl.h"
#include <stddef.h>
#include <stdint.h>

/* libtomcrypt's struct rijndael_key (eK[60], dK[60], Nr: 484 bytes) or aesni.c's struct
 * cry_aesni_key (244 bytes), opaque here; gcm.c checks that both fit. */
#define CRY_GCM_AES_WORDS 61

struct cry_gcm {
    uint64_t aes[CRY_GCM_AES_WORDS];
    uint64_t h[4][2];  /* H, H^2, H^3, H^4 as (hi, lo) words of the big-endian block */
    uint64_t hr[3];    /* portable path: bit-reversed H words and their XOR (Karatsuba) */
    uint16_t pclmul;   /* 1: GHASH runs on PCLMULQDQ */
    uint16_t aesni;    /* 1: AES runs on AES-NI (aes holds a cry_aesni_key), 0: libtomcrypt's */
    uint32_t keyed;
};

#define CRY_GCM_TAG 16

/* cry_gcm_init flags */
#define CRY_GCM_PORTABLE 1u  /* neither PCLMULQDQ nor AES-NI: the portable paths (tests, benches) */
#define CRY_GCM_NO_AESNI 2u  /* libtomcrypt's AES even if the CPU has AES-NI */
#define CRY_GCM_NO_PCLMUL 4u /* the portable GHASH even if the CPU has PCLMULQDQ */

/*
 * Key @g with an AES key of 16, 24 or 32 bytes. flags: 0 (the fastest paths this CPU has), or
 * CRY_GCM_PORTABLE, CRY_GCM_NO_AESNI, CRY_GCM_NO_PCLMUL (or'ed).
 * SSLBadParameterErr on a NULL or a bad length, SSLUnknownErr if libtomcrypt refuses the key;
 * on failure @g is zeroed.
 */
SSLErr cry_gcm_init(struct cry_gcm *g, const uint8_t *key, size_t keylen, unsigned flags) SSL_MUST;
/* 1 if @g's GHASH runs on PCLMULQDQ, 0 if on the portable multiplication. */
int cry_gcm_uses_pclmul(const struct cry_gcm *g);
/* 1 if @g's AES runs on AES-NI, 0 if on libtomcrypt's tables. */
int cry_gcm_uses_aesni(const struct cry_gcm *g);
/* 1 if this CPU has PCLMULQDQ (and SSSE3) and this build can use them. */
int cry_gcm_cpu_has_pclmul(void);
/* 1 if this CPU has the AES instructions (AES-NI) and this build can use them (aesni.c): what
 * gcm.c and crypto_ltc.c's AES-CBC use when allowed, and the server's ChaCha20 rule (sslx.h). */
int cry_cpu_has_aes(void);

/*
 * Encrypt len bytes of @in to @out (in == out allowed, no other overlap) under a nonce of
 * 1..64 bytes (12 in TLS: J0 = nonce || 1; other lengths are GHASHed, as SP 800-38D says) and
 * authenticate aad (alen bytes) with them; write the 16-byte tag.
 * len must be below 2^32 - 2 blocks; SSLBadParameterErr on bad arguments or an unkeyed state.
 */
SSLErr cry_gcm_seal(const struct cry_gcm *g, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                    size_t alen, const uint8_t *in, uint8_t *out, size_t len,
                    uint8_t tag[CRY_GCM_TAG]) SSL_MUST;
/*
 * Check @tag over aad and the ciphertext @in (compared in constant time), then decrypt to @out.
 * On a wrong tag @out (len bytes) is wiped, nothing is decrypted, and SSLProtocolErr returned.
 */
SSLErr cry_gcm_open(const struct cry_gcm *g, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                    size_t alen, const uint8_t *in, uint8_t *out, size_t len,
                    const uint8_t tag[CRY_GCM_TAG]) SSL_MUST;
/* Wipe the state. */
void cry_gcm_wipe(struct cry_gcm *g);

#endif

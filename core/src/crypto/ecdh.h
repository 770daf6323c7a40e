/*
 * ecdh.h - elliptic-curve Diffie-Hellman for the ECDHE suites (RFC 8422): NIST P-256 (p256.c, constant
 * time) and P-384 (libtomcrypt's ECC, its timing-resistant ladder) and, when built in, X25519
 * (RFC 7748). Groups are named by their supported_groups codepoints. Public values travel as TLS
 * sends them: the uncompressed point 04 || x || y for the P-curves (RFC 8422 §5.4), the 32-byte
 * u-coordinate for X25519. Nothing here allocates state that outlives a call; any number of
 * threads may call at once.
 */
#ifndef SSLREF_ECDH_H
#define SSLREF_ECDH_H

#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "crypto/crypto_ltc.h"

/* NamedGroup codepoints (RFC 8422 §5.1.1, RFC 7748 via RFC 8422 §5.1.1). */
enum { CRY_EC_SECP256R1 = 23, CRY_EC_SECP384R1 = 24, CRY_EC_X25519 = 29 };

#define CRY_ECDH_MAX_PRIV 48   /* bytes of a private scalar (P-384) */
#define CRY_ECDH_MAX_PUB 97    /* bytes of a public value (P-384 uncompressed) */
#define CRY_ECDH_MAX_SECRET 48 /* bytes of a shared secret (P-384 x-coordinate) */

/* 1 if this build implements the group. */
int cry_ecdh_supported(uint16_t group);
/* Bytes of the private scalar, of the public value as sent, of the shared secret; 0 if unknown. */
size_t cry_ecdh_priv_len(uint16_t group);
size_t cry_ecdh_pub_len(uint16_t group);
size_t cry_ecdh_secret_len(uint16_t group);

/*
 * A fresh key pair: priv gets cry_ecdh_priv_len bytes (P-curves: a scalar 1 <= k < n drawn from
 * rnd by rejection; X25519: 32 random bytes, clamped by the function), pub gets cry_ecdh_pub_len
 * bytes. SSLUnsupportedErr for an unknown group, SSLUnknownErr / SSLMemoryErr if the library
 * failed; the error of rnd if it failed.
 */
SSLErr cry_ecdh_keygen(uint16_t group, uint8_t *priv, uint8_t *pub, cry_rand_fn rnd,
                       void *rnd_ref) SSL_MUST;

/*
 * 1 if the peer's public value is acceptable for the group: P-curves: exactly 1 + 2 * size bytes,
 * the uncompressed form (04; compressed 02/03 and hybrid 06/07 refused), 0 <= x, y < p and
 * y^2 = x^3 - 3x + b (mod p): a point on the curve, never the identity (which has no uncompressed
 * encoding); the curves have cofactor 1, so such a point is in the prime-order group. X25519:
 * exactly 32 bytes (any value; a low-order one shows as an all-zero shared secret). Else 0.
 */
int cry_ecdh_check(uint16_t group, const uint8_t *pub, size_t len);

/*
 * The shared secret of our priv and the peer's pub into out (cry_ecdh_secret_len bytes: the
 * x-coordinate, left-padded to the field size, or the X25519 output). SSLProtocolErr if the peer's
 * value fails cry_ecdh_check or X25519 gives the all-zero value (RFC 8422 §5.11, RFC 7748 §6.1);
 * SSLUnsupportedErr, SSLUnknownErr, SSLMemoryErr as for keygen. out is wiped on any failure.
 */
SSLErr cry_ecdh_shared(uint16_t group, const uint8_t *priv, const uint8_t *pub, size_t publen,
                       uint8_t *out) SSL_MUST;

/*
 * k * P by libtomcrypt's timing-resistant ladder, the path P-384 takes and P-256 took before p256.c:
 * kept so that tests can hold p256.c against it. k: cry_ecdh_priv_len bytes (any value but a
 * multiple of n); pub: an uncompressed point (checked like cry_ecdh_check), or NULL for the base
 * point G; out: the uncompressed result, cry_ecdh_pub_len bytes. SSLProtocolErr for a bad point.
 */
SSLErr cry_ecdh_mul_ltc(uint16_t group, const uint8_t *k, const uint8_t *pub, size_t publen,
                        uint8_t *out) SSL_MUST;

#endif

/*
 * p256.h - scalar multiplication on NIST P-256 (FIPS 186-4 D.1.2.3, SEC 2 §2.4.2) in constant time,
 * 64-bit limbs (p256.c). Used by ecdh.c (ECDHE over secp256r1) and ecdsa.c (k * G when signing);
 * P-384 stays on libtomcrypt. Points travel as 64 bytes: the affine x || y, big-endian, 32 bytes
 * each (the uncompressed encoding without its 04 byte). No state but a table of multiples of G
 * made once (pthread_once); any number of threads may call at once.
 */
#ifndef SSLREF_P256_H
#define SSLREF_P256_H

#include <stdint.h>

#define CRY_P256_LEN 32 /* bytes of a scalar, of a coordinate, of an ECDH secret */

/*
 * out = k * P. k: any 32-byte big-endian value (scalars >= n work as their residues mod n); P: a
 * point x || y, checked here (x, y < p, y^2 = x^3 - 3x + b; public data, ordinary branches).
 * The time taken depends on neither k nor P: 52 signed windows of 5 bits, every table entry read.
 * Returns 0, or -1 if P is not a point of the curve or the result is the identity (k = 0 mod n),
 * which has no affine form: out is then all zeros.
 */
int cry_p256_mul(uint8_t out[64], const uint8_t k[32], const uint8_t point[64]);

/* out = k * G through the precomputed table (36 additions of affine entries, no doublings); the
 * same contract. */
int cry_p256_base_mul(uint8_t out[64], const uint8_t k[32]);

/*
 * The same two with a choice of path: flags CRY_P256_PORTABLE forces the portable field arithmetic;
 * otherwise CPUs with BMI2 and ADX (cry_p256_fast_path() says 1) multiply in MULX/ADX assembly. Both
 * paths give the same bytes; tests compare them.
 */
#define CRY_P256_PORTABLE 1u
int cry_p256_mul_ex(uint8_t out[64], const uint8_t k[32], const uint8_t point[64], unsigned flags);
int cry_p256_base_mul_ex(uint8_t out[64], const uint8_t k[32], unsigned flags);
int cry_p256_fast_path(void);

/* 1 if 1 <= k < n (32 bytes big-endian), else 0; computed without a branch on k. */
int cry_p256_scalar_ok(const uint8_t k[32]);

#endif

/*
 * x25519.h - the X25519 function of RFC 7748 (Diffie-Hellman on Curve25519's Montgomery form), which
 * libtomcrypt 1.18 lacks. Both functions run in time independent of the scalar and of u, keep no state
 * and may be called from any number of threads.
 */
#ifndef SSLREF_X25519_H
#define SSLREF_X25519_H

#include <stdint.h>

#define CRY_X25519_LEN 32

/* RFC 7748 X25519: out = scalar * u (little-endian 32-byte strings; the scalar is clamped
 * inside). Returns 0, or -1 if the result is all zeros (a low-order peer point; RFC 7748 §6.1:
 * the caller must refuse it). Constant time in scalar and u. */
int cry_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32]);
/* out = scalar * 9 (the public key for a private scalar), by a fixed-base comb (see below). */
void cry_x25519_base(uint8_t out[32], const uint8_t scalar[32]);

/* The same with a choice of method: flags 0 takes what the CPU selects for cry_x25519 (four 64-bit
 * limbs with MULX/ADX on x86-64 CPUs that have BMI2 and ADX, in GCC 12+ builds, else the portable
 * five 51-bit limbs) and the fixed-base comb on the Edwards form for cry_x25519_base (its table made
 * once per process; on the same selected limbs); CRY_X25519_PORTABLE forces the Montgomery ladder on
 * the portable limbs for both, CRY_X25519_PORTABLE_COMB the comb on the portable limbs (tests,
 * tests/bench/x25519_bench.c). Same results. */
#define CRY_X25519_PORTABLE 1u
#define CRY_X25519_PORTABLE_COMB 2u
int cry_x25519_ex(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32], unsigned flags);
void cry_x25519_base_ex(uint8_t out[32], const uint8_t scalar[32], unsigned flags);
/* 1 when flags 0 selects the MULX/ADX path on this CPU (a GCC 12+ build for x86-64 and the CPU has
 * BMI2 and ADX), else 0. */
int cry_x25519_fast_path(void);

#endif

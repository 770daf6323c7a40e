/*
 * rsa_ifma.h - constant-time modular exponentiation on AVX-512 IFMA (VPMADD52LUQ / VPMADD52HUQ)
 * for the two CRT halves of an RSA private operation, both computed at once in 512-bit vectors
 * (four limbs of each half per vector; the public exponentiation uses 256-bit ones).
 * Numbers are little-endian arrays of 52-bit limbs (20, 32 or 40 of them: moduli of up to 1038,
 * 1662 and 2078 bits, the halves of RSA-2048, -3072 and -4096); multiplication is almost-Montgomery
 * (inputs and outputs below 2m, R = 2^(52 nl) > 4m), the exponent is read in fixed 5-bit windows
 * over a public bit length, and each window's table entry is picked by scanning all 32 entries
 * under a mask. No branch or memory index depends on the base, the exponent or the modulus.
 * Only call cry_ifma_powm2 when cry_ifma_cpu() is 1 (it is compiled with a function target
 * attribute; the rest of the build stays baseline x86-64). A context is read-only once made: any
 * number of threads may use it. No GMP, no global state.
 */
#ifndef SSLREF_CRYPTO_RSA_IFMA_H
#define SSLREF_CRYPTO_RSA_IFMA_H

#include <stddef.h>
#include <stdint.h>

#define CRY_IFMA_MAX 40 /* 52-bit limbs of the largest modulus handled (2078 bits) */

/* Per-modulus constants, made once (bn_ct_rsa_new). */
struct cry_ifma_mont {
    uint64_t m[CRY_IFMA_MAX];  /* the modulus, 52-bit limbs, zero above nl */
    uint64_t rr[CRY_IFMA_MAX]; /* R^2 mod m */
    uint64_t mp[CRY_IFMA_MAX + 8]; /* m again between four zero limbs each side (shifted reads) */
    uint64_t k0;               /* -m^-1 mod 2^52 */
    uint32_t nl;               /* 52-bit limbs: 20, 32 or 40 */
    uint32_t n64;              /* 64-bit limbs of m as given */
};

/* 1 if this CPU has AVX-512 F, VL and IFMA (and this build targets x86-64), else 0. */
int cry_ifma_cpu(void);

/* 52-bit limbs used for a modulus of mbits bits (20, 32 or 40), or 0 when it is too large. */
unsigned cry_ifma_limbs(unsigned mbits);

/*
 * Constants for the odd modulus m[0..n64) (64-bit limbs, little-endian) of mbits bits (public),
 * computed in constant time without the IFMA instructions. nl: 0 for cry_ifma_limbs(mbits), or a
 * larger supported count (so that two moduli of different lengths share one). 0 on success, -1
 * if m is even, too large or nl is not supported (c untouched then).
 */
int cry_ifma_mont_init(struct cry_ifma_mont *c, const uint64_t *m, size_t n64, unsigned mbits,
                       unsigned nl);

/*
 * r1 = b1^e1 mod m1 and r2 = b2^e2 mod m2 at once (c1->nl == c2->nl). b1, b2 and r1, r2: c->n64
 * 64-bit limbs each (b < m; r fully reduced into [0, m)); e1, e2: ebits bits each, 64-bit limbs
 * (ceil(ebits / 64) of them), read as exactly ebits bits (1 <= ebits <= 64 * CRY_IFMA_MAX). For
 * a single exponentiation, pass the same numbers twice. Scratch (about 30 KiB at 40 limbs) is on
 * the stack and wiped. r1 may be b1 and r2 b2.
 */
void cry_ifma_powm2(uint64_t *r1, const uint64_t *b1, const uint64_t *e1,
                    const struct cry_ifma_mont *c1, uint64_t *r2, const uint64_t *b2,
                    const uint64_t *e2, const struct cry_ifma_mont *c2, unsigned ebits);

/*
 * r = b^e mod m for a public exponent e (ebits bits, any value, 64-bit limbs; at most 64 *
 * CRY_IFMA_MAX bits) and a secret base b < m (c->n64 limbs; r likewise, fully reduced, may be b):
 * square and multiply, which branches on the bits of e only (RSA blinding r^e, the fault check).
 */
void cry_ifma_powm_pub(uint64_t *r, const uint64_t *b, const uint64_t *e, unsigned ebits,
                       const struct cry_ifma_mont *c);

/*
 * r1 = b1^e mod m1 and r2 = b2^e mod m2 at once for one public e (ebits bits, 64-bit limbs,
 * 1 <= ebits <= 64 * CRY_IFMA_MAX) and secret bases (c1->nl == c2->nl; b, r as in
 * cry_ifma_powm2): square and multiply on the packed vectors, branching on the bits of e only
 * (RSA blinding r^e and the fault check, computed modulo p and q).
 */
void cry_ifma_powm2_pub(uint64_t *r1, const uint64_t *b1, const struct cry_ifma_mont *c1,
                        uint64_t *r2, const uint64_t *b2, const struct cry_ifma_mont *c2,
                        const uint64_t *e, unsigned ebits);

/*
 * Test hook for the packed squaring: for a1 < 2 m1 and a2 < 2 m2 (c1->nl 52-bit limbs each), rs
 * gets the dedicated squaring's a a / R and rm the general multiply's a a / R (almost Montgomery:
 * not fully reduced), half 1 in [0, nl) and half 2 in [nl, 2 nl) of each. The dedicated squaring
 * is used at 20 limbs only (RSA-2048 halves): -1 (nothing written) without IFMA or unless
 * c1->nl == c2->nl == 20, else 0.
 */
int cry_ifma_sqr2_check(uint64_t *rs, uint64_t *rm, const uint64_t *a1, const uint64_t *a2,
                        const struct cry_ifma_mont *c1, const struct cry_ifma_mont *c2);

#endif

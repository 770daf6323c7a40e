/*
 * bn_ct.h - constant-time private-key arithmetic: the RSA private operation (CRT, base blinding,
 * fault check), DSA signing (blinded nonce k + j*q, constant-time inverse) and the Diffie-Hellman
 * exponentiations with a private exponent, on GMP's mpn_sec_* functions. Every loop and memory
 * access depends only on public sizes (limb counts and bit lengths of n, p, q, e, and of a DH
 * exponent), never on secret values; outputs have a fixed length.
 * Keys are built once from big-endian numbers (crypto_ltc.c parses them) and are then read-only,
 * except an RSA key's blinding pair (below, under a per-key mutex that no call waits for): any
 * number of threads may use one key at once. No global state; no tomcrypt.h.
 */
#ifndef SSLREF_BN_CT_H
#define SSLREF_BN_CT_H

#include <stddef.h>
#include <stdint.h>
#include "crypto/crypto_ltc.h"

struct bn_ct_rsa;
struct bn_ct_dsa;

/*
 * Build an RSA private key from big-endian n, e, p, q, dP, dQ, qInv (= q^-1 mod p), leading zeros
 * allowed. Checks shapes only (n, p, q odd; dP, dQ, qInv no longer than p or q; e > 0 and shorter
 * than n): whether the numbers belong together is the caller's load-time self-test.
 * SSLBadParameterErr on a bad shape, SSLMemoryErr. Free with bn_ct_rsa_free (wipes).
 */
SSLErr bn_ct_rsa_new(const uint8_t *n, size_t nl, const uint8_t *e, size_t el, const uint8_t *p,
                     size_t pl, const uint8_t *q, size_t ql, const uint8_t *dp, size_t dpl,
                     const uint8_t *dq, size_t dql, const uint8_t *qinv, size_t qil,
                     struct bn_ct_rsa **out) SSL_MUST;
void bn_ct_rsa_free(struct bn_ct_rsa *k);
/* Modulus length in bytes (no leading zero). */
size_t bn_ct_rsa_bytes(const struct bn_ct_rsa *k);
/*
 * out = in^d mod n: in and out are bn_ct_rsa_bytes(k) long, in < n (the caller checks: public).
 * The base is blinded with r^e (r from rnd), the halves use IFMA or mpn_sec_powm (below), the
 * result is unblinded with a blinded inverse and re-encrypted with e and compared to in (a CRT fault gives
 * SSLUnknownErr and out is zeroed). out always gets every byte, leading zeros included.
 * Errors: SSLUnknownErr (fault), SSLMemoryErr, whatever rnd returns.
 */
SSLErr bn_ct_rsa_private(const struct bn_ct_rsa *k, const uint8_t *in, uint8_t *out,
                         cry_rand_fn rnd, void *rnd_ref) SSL_MUST;
/*
 * The two CRT exponentiations run on AVX-512 IFMA (crypto/rsa_ifma.c, both at once, exponent
 * length max(bits(p), bits(q))) when the CPU has it and p and q have at most 2078 bits; else on
 * mpn_sec_powm. With them, r^e and the fault check's m^e run on IFMA too, modulo p and q at once
 * (c r^e is only needed mod p and mod q; m^e = c mod n is checked as m^e = c mod p and mod q),
 * and the halves are unblinded before Garner with r^-1 mod p and mod q. On this path the key keeps
 * its blinding pair (r^e and r^-1 mod p and q) as OpenSSL's BN_BLINDING does: drawn from rnd at
 * the first use and every 32nd, squared at the uses between (so rnd is not called then, nor its
 * failure seen). A call that finds the pair in use by another thread (pthread_mutex_trylock)
 * draws its own r instead of waiting. bn_ct_rsa_free wipes the pair.
 * bn_ct_rsa_ifma: 1 if key k takes the IFMA path (decided in bn_ct_rsa_new).
 * bn_ct_rsa_private_flags with BN_CT_RSA_PORTABLE forces mpn_sec_powm (tests, benchmarks);
 * bn_ct_rsa_private is bn_ct_rsa_private_flags(..., 0).
 */
#define BN_CT_RSA_PORTABLE 1u
int bn_ct_rsa_ifma(const struct bn_ct_rsa *k);
SSLErr bn_ct_rsa_private_flags(const struct bn_ct_rsa *k, const uint8_t *in, uint8_t *out,
                               cry_rand_fn rnd, void *rnd_ref, unsigned flags) SSL_MUST;

/* DSA private key from big-endian p, q, g, x (p and q odd, g < p, 0 < x < q). Errors as above. */
SSLErr bn_ct_dsa_new(const uint8_t *p, size_t pl, const uint8_t *q, size_t ql, const uint8_t *g,
                     size_t gl, const uint8_t *x, size_t xl, struct bn_ct_dsa **out) SSL_MUST;
void bn_ct_dsa_free(struct bn_ct_dsa *k);
/* Length of q in bytes: r and s each take this many. */
size_t bn_ct_dsa_qbytes(const struct bn_ct_dsa *k);
/*
 * DSA signature of hash (truncated to q's byte length, as libtomcrypt does): r and s, each
 * bn_ct_dsa_qbytes(k) bytes, big-endian. Randomness, in this order: qbytes + 8 bytes for the
 * nonce k (reduced mod q, bias 2^-64), then 8 bytes for j (top bit set); the exponentiation uses
 * k + j*q, whose length is fixed at bits(q) + 64 bits. 1/k mod q comes from mpn_sec_invert.
 * Retries (drawing again) only if k, r or s is 0. Errors: SSLUnknownErr, SSLMemoryErr, rnd's.
 */
SSLErr bn_ct_dsa_sign(const struct bn_ct_dsa *k, const uint8_t *hash, size_t hlen, uint8_t *r,
                      uint8_t *s, cry_rand_fn rnd, void *rnd_ref) SSL_MUST;

/*
 * Diffie-Hellman with a secret exponent: out = base^exp mod mod (all big-endian). mod is odd and
 * >= 3 (leading zeros allowed: out gets exactly ml bytes, leading zeros included); base is public,
 * 0 < base mod mod; exp is secret, read as exactly 8 el bits (1 <= el <= 2048), so the work
 * depends only on ml and el. mpn_sec_powm. SSLBadParameterErr on a bad shape, SSLMemoryErr.
 */
SSLErr bn_ct_modexp(const uint8_t *base, size_t bl, const uint8_t *exp, size_t el,
                    const uint8_t *mod, size_t ml, uint8_t *out) SSL_MUST;

/*
 * ECDSA helpers (ecdsa.c), for a prime order n of nl big-endian bytes (first byte non-zero,
 * nl <= 66). All constant time in the secret values.
 * bn_ct_ec_scalar: 1 if 2 <= k < n (k: nl bytes), else 0, computed without a branch on k; kfix
 * (nl + 1 bytes) gets k + n or k + 2n, whichever has exactly bits(n) + 1 bits, so that a ladder
 * over kfix (which gives the same point: n G = O) runs the same number of steps for every k.
 * k = 1 is excluded: its kfix, 2n + 1, takes libtomcrypt's ladder through n G (the point at
 * infinity, which its projective formulas do not handle) and gives a wrong point; for P-256 and
 * P-384, every other k tried near 0, n / 2 and n gives the right one (tests/unit/test_ecdsa.c).
 */
int bn_ct_ec_scalar(const uint8_t *k, const uint8_t *n, size_t nl, uint8_t *kfix);
/*
 * s = k^-1 (e + d r) mod n (FIPS 186-4 §6.4), every input nl bytes big-endian: d and k secret in
 * [1, n), r in [1, n), e the truncated hash (< 2^bits(n); reduced here), n prime. k^-1 is blinded
 * as the RSA path's r^-1: one draw of nl + 8 bytes from rnd, reduced to u in [0, n), and
 * k^-1 = (k u)^-1 u, where mpz_invert (variable time) sees only k u, independent of k for a fresh
 * uniform u; every other step is mpn_sec_mul / mpn_sec_div_r. u = 0 mod n is drawn again (at most
 * 16 draws, then SSLUnknownErr). s = 0 comes back as nl zero bytes with SSLNoErr (draw a new k).
 * rnd's error, SSLMemoryErr, SSLBadParameterErr. Scratch is wiped.
 */
SSLErr bn_ct_ecdsa_s(const uint8_t *n, size_t nl, const uint8_t *d, const uint8_t *k,
                     const uint8_t *e, const uint8_t *r, uint8_t *s, cry_rand_fn rnd,
                     void *rnd_ref) SSL_MUST;

#endif

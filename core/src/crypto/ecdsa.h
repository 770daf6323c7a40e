/*
 * ecdsa.h - ECDSA over NIST P-256 and P-384 (FIPS 186-4 §6, SEC 1 §4.1) for ECDHE_ECDSA suites,
 * TLS 1.2 signature schemes ecdsa_secp256r1_sha256 / ecdsa_secp384r1_sha384 and EC certificates.
 * EC private keys live in the same opaque, ref-counted SSLRSAPrivateKey as RSA and DSA keys: they
 * are loaded by cry_rsa_key_from_der (SEC 1 ECPrivateKey, or an unencrypted PKCS#8 PrivateKeyInfo
 * with id-ecPublicKey and a namedCurve), which checks that a public key in the file is d * G.
 * Signatures travel as DER Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 8422 §5.4).
 *
 * Signing is constant time in the private key and the nonce: k is drawn from rnd by rejection
 * (2 <= k < n, compared without a branch; k = 1 is the one value the ladder below gets wrong, and
 * leaving it out moves the distribution by 1/n), k * G runs libtomcrypt's timing-resistant ladder over
 * k + n or k + 2n (always bits(n) + 1 bits long, so every k takes the same steps), k^-1 mod n is
 * blinded in bn_ct (a fresh random u from rnd; mpz_invert sees only k u, independent of k, and
 * k^-1 = (k u)^-1 u), and s = k^-1 (e + d r) mod n uses only mpn_sec_* arithmetic.
 * Verification is public and may use libtomcrypt / libtommath directly.
 * Any number of threads may call at once; nothing here keeps state between calls.
 */
#ifndef SSLREF_ECDSA_H
#define SSLREF_ECDSA_H

#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
#include "crypto/crypto_ltc.h"

/* Longest DER signature: SEQUENCE of two INTEGERs of up to 49 bytes (P-384 with a 0x00 pad):
 * 2 x (2 + 49) = 102 bytes of body, behind a 3-byte header (0x30 0x81 len): 105. */
#define CRY_ECDSA_MAX_SIG 105

/* The group of an EC key (CRY_EC_SECP256R1 or CRY_EC_SECP384R1, ecdh.h), 0 for RSA and DSA keys. */
uint16_t cry_key_ec_group(const SSLRSAPrivateKey *k);

/* The key's public point, uncompressed (04 || x || y); *len: capacity in, length out
 * (SSLOverflowErr if too small, SSLBadParameterErr if k is not an EC key). */
SSLErr cry_ec_key_public(const SSLRSAPrivateKey *k, uint8_t *pub, size_t *len) SSL_MUST;

/*
 * Sign a hash of any length (FIPS 186-4 §6.4: its leftmost bits, as many as the order has) into a
 * DER Ecdsa-Sig-Value with minimal INTEGERs; *siglen: capacity in, length out. SSLBadParameterErr
 * for a key that is not EC or a NULL argument, SSLOverflowErr, the error of rnd, SSLUnknownErr /
 * SSLMemoryErr if the library failed. rnd gives each nonce (as many bytes as n has) and, for a
 * nonce that gives r != 0, 8 bytes more than n has to blind its inversion (drawn again if 0 mod n).
 * The private scalar, the nonce and temporaries are wiped.
 */
SSLErr cry_ecdsa_sign(const SSLRSAPrivateKey *k, const uint8_t *hash, size_t hlen, uint8_t *sig,
                      size_t *siglen, cry_rand_fn rnd, void *rnd_ref) SSL_MUST;

/*
 * 1 if sig is a valid signature of hash under the public point pub (uncompressed, checked as
 * cry_ecdh_check does) of group; else 0. The DER must be strict: SEQUENCE of exactly two INTEGERs,
 * minimal, positive, 1 <= r, s < n, nothing after.
 */
int cry_ecdsa_verify(uint16_t group, const uint8_t *pub, size_t publen, const uint8_t *hash,
                     size_t hlen, const uint8_t *sig, size_t siglen);

/* ---- Internal to crypto/ (crypto_ltc.c holds the key, ecdsa.c does the arithmetic) ---- */

/* The EC part of an SSLRSAPrivateKey: immutable once made. */
struct cry_ec_key {
    uint16_t group;
    size_t size;       /* bytes of n and of a coordinate */
    uint8_t d[48];     /* private scalar, size bytes, 0 < d < n */
    uint8_t pub[97];   /* 04 || x || y, 1 + 2 size bytes */
};
/*
 * A key from the private scalar (big-endian, 1..size bytes: leading zeros may be missing) and
 * optionally the public point from the file (pub NULL: none): d * G is computed, and a point that
 * differs is refused. SSLUnsupportedErr for another group; ASNBadEncodingErr if d is not in
 * [2, n) (d = 1, whose public key is G, is refused: bn_ct.h) or the point does not match; SSLMemoryErr, SSLUnknownErr. Free with cry_ec_key_free.
 */
SSLErr cry_ec_key_new(uint16_t group, const uint8_t *d, size_t dlen, const uint8_t *pub,
                      size_t publen, struct cry_ec_key **out) SSL_MUST;
void cry_ec_key_free(struct cry_ec_key *k);
/* The EC part of a key (crypto_ltc.c), NULL for an RSA or DSA key or NULL. */
const struct cry_ec_key *cry_key_ec(const SSLRSAPrivateKey *k);

#endif

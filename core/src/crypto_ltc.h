/*
 * crypto_ltc.h - the crypto adapter: the only file pair that includes tomcrypt.h.
 * Hashes, bulk ciphers, raw RSA and modular exponentiation for the engine. Arguments are validated
 * here before libtomcrypt sees them (its LTC_ARGCHK aborts). Registration of libtomcrypt's
 * descriptors and of the math descriptor happens once, under pthread_once, in cry_init().
 * No function allocates except the key constructors (malloc; keys are shared, ref-counted objects).
 */
#ifndef SSLREF_CRYPTO_LTC_H
#define SSLREF_CRYPTO_LTC_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "sslref/ssl.h"

/* One-time registration; cheap to call on every context init. SSLUnknownErr if it failed. */
SSLErr cry_init(void) SSL_MUST;

/* ---- Hashes ---- */
enum cry_hash_alg { CRY_MD5 = 0, CRY_SHA1 = 1, CRY_SHA256 = 2, CRY_SHA384 = 3, CRY_SHA512 = 4 };
#define CRY_MAX_DIGEST 64
struct cry_hash {
    int alg;
    union {
        uint64_t align;
        uint8_t raw[232];
    } st; /* holds libtomcrypt's per-hash state; copy the struct to fork a running hash */
};
size_t cry_hash_len(int alg);
void cry_hash_init(struct cry_hash *h, int alg);
void cry_hash_update(struct cry_hash *h, const void *p, size_t n);
/* Writes cry_hash_len(alg) bytes; the state is wiped afterwards. */
void cry_hash_final(struct cry_hash *h, uint8_t *out);
void cry_hash_once(int alg, const void *p, size_t n, uint8_t *out);

/* ---- Bulk ciphers ---- */
enum cry_cipher_alg {
    CRY_C_NULL = 0, CRY_C_RC4, CRY_C_RC2, CRY_C_DES, CRY_C_3DES, CRY_C_IDEA, CRY_C_AES
};
/* Bytes of state a cipher needs (the caller allocates it; 8-byte aligned). */
size_t cry_cipher_state_size(int alg);
/* 1 for stream ciphers (NULL, RC4), else the CBC block size. */
size_t cry_cipher_block_size(int alg);
/*
 * Key a cipher into @st. CBC ciphers take an IV of block size; RC4 and NULL ignore iv.
 * keylen: RC4 any 1..256, RC2 1..128 (effective key bits = 8*keylen), DES 8, 3DES 24, IDEA 16,
 * AES 16/32. Returns SSLBadParameterErr on a bad length, SSLUnknownErr if libtomcrypt fails.
 */
SSLErr cry_cipher_init(void *st, int alg, int encrypt, const uint8_t *key, size_t keylen,
                       const uint8_t *iv) SSL_MUST;
/* Encrypt or decrypt (as keyed) len bytes; in == out allowed; CBC needs len % block == 0. */
SSLErr cry_cipher_run(void *st, const uint8_t *in, uint8_t *out, size_t len) SSL_MUST;
/* Wipe the state (zeromem). Safe on a state that was never keyed if it was zeroed. */
void cry_cipher_wipe(void *st);

/* ---- RSA ---- */
/* struct SSLRSAPrivateKey is defined in crypto_ltc.c: { refcount, rsa_key }. */
/* DER PKCS#1 RSAPrivateKey or PKCS#8 PrivateKeyInfo -> new key with refcount 1. */
SSLErr cry_rsa_key_from_der(const uint8_t *der, size_t len, SSLRSAPrivateKey **out) SSL_MUST;
SSLRSAPrivateKey *cry_rsa_key_retain(SSLRSAPrivateKey *k);
void cry_rsa_key_release(SSLRSAPrivateKey *k);
/* Modulus length in bytes / bits. */
size_t cry_rsa_key_bytes(const SSLRSAPrivateKey *k);
uint32_t cry_rsa_key_bits(const SSLRSAPrivateKey *k);
/* Big-endian modulus and public exponent, without leading zeros; nlen and elen: capacity in, length out. */
SSLErr cry_rsa_key_public(const SSLRSAPrivateKey *k, uint8_t *n, size_t *nlen, uint8_t *e,
                          size_t *elen) SSL_MUST;
/* out = in^d mod n (CRT), inlen == modulus bytes, in < n; out gets exactly modulus-bytes bytes. */
SSLErr cry_rsa_private(const SSLRSAPrivateKey *k, const uint8_t *in, size_t inlen,
                       uint8_t *out) SSL_MUST;
/* out = in^e mod n for a public key given as big-endian n, e; inlen <= nlen; out gets nlen bytes
 * (n without leading zeros). */
SSLErr cry_rsa_public(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
                      const uint8_t *in, size_t inlen, uint8_t *out) SSL_MUST;

/* ---- Big-number exponentiation (Diffie-Hellman) ---- */
/* out = base^exp mod mod, all big-endian; out gets exactly modlen bytes. */
SSLErr cry_modexp(const uint8_t *base, size_t baselen, const uint8_t *exp, size_t explen,
                  const uint8_t *mod, size_t modlen, uint8_t *out) SSL_MUST;
/* -1, 0, 1 comparing two big-endian unsigned numbers of any lengths (not constant time). */
int cry_bn_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Wipe memory (libtomcrypt's zeromem). */
void cry_wipe(void *p, size_t n);

#endif

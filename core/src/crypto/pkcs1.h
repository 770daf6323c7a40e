/*
 * pkcs1.h - PKCS#1 v1.5 as SSL 3.0 uses it: type 1 signatures over raw MD5+SHA-1 hashes (no
 * DigestInfo, RFC 6101 §5.6.8), type 2 encryption of the premaster secret, and the server's
 * constant-time premaster decryption (Bleichenbacher: any fault yields a random premaster).
 */
#ifndef SSLREF_PKCS1_H
#define SSLREF_PKCS1_H

#include "crypto/crypto_ltc.h"

/* Sign @in (<= k - 11 bytes) with key; writes k bytes to out (capacity outcap). */
SSLErr pkcs1_sign(const SSLRSAPrivateKey *key, const uint8_t *in, uint32_t inlen, uint8_t *out,
                  uint32_t outcap, uint32_t *outlen) SSL_MUST;
/* 1 if sig is a valid type 1 signature of exactly @in under (n, e). */
int pkcs1_verify(const uint8_t *n, uint32_t nlen, const uint8_t *e, uint32_t elen,
                 const uint8_t *sig, uint32_t siglen, const uint8_t *in, uint32_t inlen);
/* Encrypt @in with (n, e), padding drawn from rnd; writes nlen bytes. */
SSLErr pkcs1_encrypt(cry_rand_fn rnd, void *rnd_ref, const uint8_t *n, uint32_t nlen, const uint8_t *e,
                     uint32_t elen, const uint8_t *in, uint32_t inlen, uint8_t *out) SSL_MUST;
/*
 * Decrypt a type 2 block that must carry exactly @outlen bytes. Never branches on the block:
 * *good is all-ones if the padding is right (else 0) and out always receives outlen bytes.
 * If @rollback is non-NULL it gets all-ones when the last 8 padding bytes are 0x03 (RFC 6101
 * Appendix E.2: an SSL 3.0-capable client forced down to SSL 2.0).
 */
SSLErr pkcs1_decrypt_fixed(const SSLRSAPrivateKey *key, const uint8_t *in, uint32_t inlen,
                           uint8_t *out, uint32_t outlen, uint32_t *good, uint32_t *rollback) SSL_MUST;
/* Encrypt like pkcs1_encrypt, marking the last 8 padding bytes 0x03 (Appendix E.2). */
SSLErr pkcs1_encrypt_rollback(cry_rand_fn rnd, void *rnd_ref, const uint8_t *n, uint32_t nlen, const uint8_t *e,
                              uint32_t elen, const uint8_t *in, uint32_t inlen, uint8_t *out) SSL_MUST;
/*
 * Decrypt a 48-byte premaster whose first two bytes must equal @version. Whatever goes wrong
 * (length, padding, version, the RSA operation itself), out gets a random premaster with @version
 * instead, chosen without a secret-dependent branch. Fails only if randomness fails.
 */
SSLErr pkcs1_decrypt_premaster(cry_rand_fn rnd, void *rnd_ref, const SSLRSAPrivateKey *key, const uint8_t *in,
                               uint32_t inlen, uint16_t version, uint8_t out[48]) SSL_MUST;

#endif

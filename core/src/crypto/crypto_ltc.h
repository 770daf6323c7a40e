/*
 * crypto_ltc.h - the crypto adapter: with gcm.c (AES) and ecdh.c (P-256/P-384), the only files
 * that include tomcrypt.h.
 * Hashes, bulk ciphers, raw RSA and modular exponentiation for the engine. Arguments are validated
 * here before libtomcrypt sees them (its LTC_ARGCHK aborts). Registration of libtomcrypt's
 * descriptors and of the math descriptor happens once, under pthread_once, in cry_init().
 * No function allocates except the key constructors (malloc; keys are shared, ref-counted objects).
 */
#ifndef SSLREF_CRYPTO_LTC_H
#define SSLREF_CRYPTO_LTC_H

#include <stddef.h>
#include <stdint.h>
#include "base/err.h"
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
    } st; /* libtomcrypt's per-hash state (MD5, SHA-384/512) or the adapter's own (SHA-1,
           * SHA-256: sha_ni.c's compression); copy the struct to fork a running hash */
};
size_t cry_hash_len(int alg);
void cry_hash_init(struct cry_hash *h, int alg);
/* cry_hash_init_flags flags */
#define CRY_HASH_PORTABLE 1u /* SHA-1, SHA-256: the portable C compression even on a CPU with the
                              * SHA extensions (tests and benchmarks) */
/* cry_hash_init with flags (0 = cry_hash_init). */
void cry_hash_init_flags(struct cry_hash *h, int alg, unsigned flags);
/* 1 if an initialised SHA-1 or SHA-256 state compresses with the SHA extensions, else 0. */
int cry_hash_uses_sha_ni(const struct cry_hash *h);
/* SHA-1 / SHA-256 only, for keyed HMAC states kept small: the chaining value (5 or 8 words) of a
 * state that has hashed whole blocks only, and its byte count; -1 for another hash or a state
 * with a partial block. cry_hash_init_chain makes a state from them (default path). */
int cry_hash_save_chain(const struct cry_hash *h, uint32_t chain[8], uint64_t *len);
void cry_hash_init_chain(struct cry_hash *h, int alg, const uint32_t chain[8], uint64_t len);
void cry_hash_update(struct cry_hash *h, const void *p, size_t n);
/* Writes cry_hash_len(alg) bytes; the state is wiped afterwards. */
void cry_hash_final(struct cry_hash *h, uint8_t *out);
void cry_hash_once(int alg, const void *p, size_t n, uint8_t *out);

/* ---- Bulk ciphers ---- */
enum cry_cipher_alg {
    CRY_C_NULL = 0, CRY_C_RC4, CRY_C_RC2, CRY_C_DES, CRY_C_3DES, CRY_C_IDEA, CRY_C_AES,
    CRY_C_AES_GCM,          /* AEAD: keyed with cry_cipher_init (iv ignored), used via cry_aead_* */
    CRY_C_CHACHA20_POLY1305 /* AEAD (RFC 8439): 32-byte key, 12-byte nonce; like CRY_C_AES_GCM */
};
/*
 * Bytes of state a cipher needs (the caller allocates it, 8-byte aligned, zeroed before first use).
 * 0 means the cipher is not available in this build. NULL needs a small header only. The state
 * holds keys: cry_cipher_wipe it before freeing. Sizes: RC4 280, RC2 288, DES and 3DES 416
 * (one direction's round keys), IDEA 132, AES 516, AES-GCM 600 (gcm.c: AES round keys and
 * H..H^4; its GHASH uses no tables and runs in constant time), ChaCha20-Poly1305 56 (chacha.c: the
 * key and the ChaCha20 path; no tables, constant time). AES (CBC and GCM) runs on the AES instructions when the CPU has them
 * (aesni.c: no tables, constant time) and on libtomcrypt's table AES otherwise, which is not
 * constant time (its lookups are indexed by key and data); the state sizes are the same.
 */
size_t cry_cipher_state_size(int alg);
/* 1 for stream ciphers (NULL, RC4), else the CBC block size. */
size_t cry_cipher_block_size(int alg);
/*
 * Key a cipher into @st. CBC ciphers take an IV of block size; RC4 and NULL ignore iv (may be
 * NULL).
 * keylen: RC4 5..256 (libtomcrypt refuses keys under 40 bits), RC2 1..128 (effective key bits =
 * 8*keylen, as SSL 3.0 and SSL 2.0 use it), DES 8, 3DES 24, IDEA 16, AES 16/24/32 (SSL uses 16/32),
 * AES-GCM 16/24/32, ChaCha20-Poly1305 32. DES parity bits are ignored.
 * Returns SSLBadParameterErr on a NULL or bad length,
 * SSLUnsupportedErr for an unknown alg, SSLUnknownErr if libtomcrypt fails. On failure the state is
 * left zeroed and cry_cipher_run refuses it.
 */
SSLErr cry_cipher_init(void *st, int alg, int encrypt, const uint8_t *key, size_t keylen,
                       const uint8_t *iv) SSL_MUST;
/* RC2-CBC with explicit effective key bits (RFC 2268 "T1", 1..1024); keylen 1..128. */
SSLErr cry_cipher_init_rc2(void *st, int encrypt, const uint8_t *key, size_t keylen,
                           unsigned effective_bits, const uint8_t *iv) SSL_MUST;
/* cry_cipher_init_flags flags */
#define CRY_CIPHER_PORTABLE 1u /* AES, AES-GCM: libtomcrypt's AES (and the portable GHASH) even on
                                * a CPU with AES-NI; ChaCha20-Poly1305: the portable ChaCha20 even
                                * on a CPU with AVX2 (tests and benchmarks) */
/* cry_cipher_init with flags (0 = cry_cipher_init). */
SSLErr cry_cipher_init_flags(void *st, int alg, int encrypt, const uint8_t *key, size_t keylen,
                             const uint8_t *iv, unsigned flags) SSL_MUST;
/* 1 if a keyed AES or AES-GCM state runs its AES on AES-NI, else 0. */
int cry_cipher_uses_aesni(const void *st);
/* A keyed ChaCha20-Poly1305 state's ChaCha20 path (CRY_CHACHA_* of crypto/chacha.h), else -1. */
int cry_cipher_chacha_path(const void *st);
/* Encrypt or decrypt (as keyed) len bytes; in == out allowed (not other overlaps); CBC needs
 * len % block == 0 (else SSLBadParameterErr). The CBC chain / RC4 stream carries over calls.
 * SSLBadParameterErr on a state that was never keyed successfully. */
SSLErr cry_cipher_run(void *st, const uint8_t *in, uint8_t *out, size_t len) SSL_MUST;
/*
 * AEAD on a state keyed by cry_cipher_init(CRY_C_AES_GCM) (RFC 5116 / RFC 5288; nonce of nlen
 * 1..64 bytes, 12 in TLS) or cry_cipher_init(CRY_C_CHACHA20_POLY1305) (RFC 8439 §2.8; nonce of
 * exactly 12 bytes): one message per call, aad of alen <= 1024 bytes, len bytes of text (in == out
 * allowed), a 16-byte tag. Open checks the tag in constant time and on failure wipes out and
 * returns SSLProtocolErr; SSLBadParameterErr on a wrong state or arguments.
 */
#define CRY_AEAD_TAG 16
SSLErr cry_aead_seal(void *st, const uint8_t *nonce, size_t nlen, const uint8_t *aad, size_t alen,
                     const uint8_t *in, uint8_t *out, size_t len, uint8_t tag[CRY_AEAD_TAG]) SSL_MUST;
SSLErr cry_aead_open(void *st, const uint8_t *nonce, size_t nlen, const uint8_t *aad, size_t alen,
                     const uint8_t *in, uint8_t *out, size_t len,
                     const uint8_t tag[CRY_AEAD_TAG]) SSL_MUST;
/* Wipe the state (zeromem). Safe on a state that was never keyed if it was zeroed, and on NULL. */
void cry_cipher_wipe(void *st);

/* ---- RSA ---- */
/* struct SSLRSAPrivateKey is defined in crypto_ltc.c: { refcount, RSA, DSA or EC key }. */
/*
 * DER PKCS#1 RSAPrivateKey or unencrypted PKCS#8 PrivateKeyInfo -> new key with refcount 1
 * (malloc). The DER must be strict (definite minimal lengths, exact tags, no trailing bytes), and
 * the key passes a load-time check (one private operation undone with e; ~1.3 ms at 2048 bits).
 * Errors: ASNBadEncodingErr (not a key, encrypted PKCS#8, numbers that do not fit together),
 * SSLUnsupportedErr (a public key, a non-RSA PKCS#8 key, an even modulus or one over 16384 bits),
 * SSLMemoryErr. Keys are immutable after creation: any number of threads may use one at once.
 */
SSLErr cry_rsa_key_from_der(const uint8_t *der, size_t len, SSLRSAPrivateKey **out) SSL_MUST;
SSLRSAPrivateKey *cry_rsa_key_retain(SSLRSAPrivateKey *k);
void cry_rsa_key_release(SSLRSAPrivateKey *k);
/* Modulus length in bytes / bits. */
size_t cry_rsa_key_bytes(const SSLRSAPrivateKey *k);
uint32_t cry_rsa_key_bits(const SSLRSAPrivateKey *k);
/* Big-endian modulus and public exponent, without leading zeros; nlen and elen: capacity in, length
 * out. SSLOverflowErr if a capacity is too small. */
SSLErr cry_rsa_key_public(const SSLRSAPrivateKey *k, uint8_t *n, size_t *nlen, uint8_t *e,
                          size_t *elen) SSL_MUST;
/*
 * out = in^d mod n (CRT, blinded, result checked with e), inlen == modulus bytes, in < n; out gets
 * exactly modulus-bytes bytes. SSLBadParameterErr on a wrong length or in >= n (public facts only);
 * SSLUnknownErr if the computation failed its check; SSLMemoryErr. Thread-safe on a shared key.
 */
SSLErr cry_rsa_private(const SSLRSAPrivateKey *k, const uint8_t *in, size_t inlen,
                       uint8_t *out) SSL_MUST;
/* out = in^e mod n for a public key given as big-endian n, e; inlen <= nlen; out gets nlen bytes,
 * left-padded with zeros (n should have no leading zeros; if it has, out still gets nlen bytes).
 * SSLBadParameterErr if in >= n, n is even or zero, e is zero, or sizes exceed 16384 bits. */
SSLErr cry_rsa_public(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
                      const uint8_t *in, size_t inlen, uint8_t *out) SSL_MUST;

/* ---- DSA ---- */
/* cry_rsa_key_from_der also loads DSA private keys (PKCS#8 or OpenSSL's DSAPrivateKey, p of 512 to
 * 8192 bits, q of 160 to 256) for the DHE-DSS suites; such a key only signs. 1 for a DSA key.
 * It loads EC keys too (P-256, P-384: SEC 1 ECPrivateKey or PKCS#8 id-ecPublicKey; ecdsa.h), which
 * only sign with cry_ecdsa_sign: for them cry_key_is_dsa, cry_rsa_key_bytes and cry_rsa_key_bits
 * are 0, and cry_rsa_private, cry_rsa_key_public, cry_dsa_sign and pkcs1_* refuse them
 * (SSLBadParameterErr / SSLUnsupportedErr). */
int cry_key_is_dsa(const SSLRSAPrivateKey *k);
/* A source of random bytes (e.g. the context's SSLRandomFunc behind ctx_random). */
typedef SSLErr (*cry_rand_fn)(void *ref, uint8_t *out, size_t n);
/* DSA signature of hash as SSL 3.0 sends it: r || s, each as long as q (NSS does the same; DER
 * came with TLS), the nonce drawn from rnd; *siglen: capacity in, length out. */
SSLErr cry_dsa_sign(const SSLRSAPrivateKey *k, const uint8_t *hash, size_t hlen, uint8_t *sig,
                    size_t *siglen, cry_rand_fn rnd, void *rnd_ref) SSL_MUST;
/* 1 if sig (r || s, or DER) is a valid DSA signature of hash under the key (p, q, g, y), else 0. */
int cry_dsa_verify(const uint8_t *p, size_t pl, const uint8_t *q, size_t ql, const uint8_t *g,
                   size_t gl, const uint8_t *y, size_t yl, const uint8_t *hash, size_t hlen,
                   const uint8_t *sig, size_t siglen);

/* ---- Big-number exponentiation (Diffie-Hellman) ---- */
/* out = base^exp mod mod, all big-endian; out gets exactly modlen bytes (left-padded). Any
 * base (reduced mod mod), any exponent (empty = 0); mod >= 2, lengths up to 4096 bytes, else
 * SSLBadParameterErr. Not constant time (libtommath). Temporaries are zeroed after use. */
SSLErr cry_modexp(const uint8_t *base, size_t baselen, const uint8_t *exp, size_t explen,
                  const uint8_t *mod, size_t modlen, uint8_t *out) SSL_MUST;
/* -1, 0, 1 comparing two big-endian unsigned numbers of any lengths (not constant time). */
int cry_bn_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Wipe memory (libtomcrypt's zeromem). */
void cry_wipe(void *p, size_t n);

#endif

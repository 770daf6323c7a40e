/*
 * hmac.h - HMAC (RFC 2104) over the adapter's hashes (MD5, SHA-1, SHA-256, SHA-384, SHA-512), for
 * the TLS PRF and record MACs. Built on cry_hash_*: no libtomcrypt here. Also the Lucky 13
 * counter-measure: an HMAC whose compression-function work does not depend on a secret length.
 * States hold key material: cry_hmac_final wipes them; wipe a copied state you do not finish.
 */
#ifndef SSLREF_HMAC_H
#define SSLREF_HMAC_H

#include <stddef.h>
#include <stdint.h>
#include "crypto/crypto_ltc.h"

struct cry_hmac {
    struct cry_hash inner, outer; /* keyed: copy the struct to reuse a key */
};

/* Input block length of the hash: 64 (MD5, SHA-1, SHA-256) or 128 (SHA-384, SHA-512); 0 if unknown. */
size_t cry_hmac_block_len(int alg);
/* Key an HMAC with alg (enum cry_hash_alg); keys longer than a block are hashed first (RFC 2104 §2). */
void cry_hmac_init(struct cry_hmac *m, int alg, const uint8_t *key, size_t keylen);
/* cry_hmac_init with cry_hash_init_flags flags (CRY_HASH_PORTABLE: tests and benchmarks). */
void cry_hmac_init_flags(struct cry_hmac *m, int alg, const uint8_t *key, size_t keylen,
                         unsigned flags);
void cry_hmac_update(struct cry_hmac *m, const void *p, size_t n);
/* Writes cry_hash_len(alg) bytes and wipes the state. */
void cry_hmac_final(struct cry_hmac *m, uint8_t *out);
void cry_hmac_once(int alg, const uint8_t *key, size_t keylen, const void *p, size_t n, uint8_t *out);
/*
 * A keyed HMAC-SHA-1 / HMAC-SHA-256 in 72 bytes (a struct cry_hmac is 480): the chaining values
 * after the inner and outer key blocks, for a key used on every record (record_tls.c), so that a
 * record costs no key-block compressions. cry_hmac_key_init returns -1 for another hash (k is then
 * unset: set == 0); a zeroed key is unset. Holds key material: wipe it.
 */
struct cry_hmac_key {
    uint32_t set; /* 1 once keyed */
    int alg;
    uint32_t in[8], out[8];
};
int cry_hmac_key_init(struct cry_hmac_key *k, int alg, const uint8_t *key, size_t keylen);
/* Start an HMAC from a set key (as cry_hmac_init would leave it). */
void cry_hmac_init_key(struct cry_hmac *m, const struct cry_hmac_key *k);

/*
 * HMAC(key, hdr || data[0..len)) where len is secret and maxlen (>= len) is public: after the
 * real HMAC it runs as many extra compression-function calls on a throw-away state as make the
 * total equal to that of an HMAC over maxlen bytes (Lucky 13, AlFardan and Paterson 2013, §5).
 */
void cry_hmac_ct(int alg, const uint8_t *key, size_t keylen, const uint8_t *hdr, size_t hdrlen,
                 const uint8_t *data, size_t len, size_t maxlen, uint8_t *out);
/* cry_hmac_ct with a set cry_hmac_key. */
void cry_hmac_ct_key(const struct cry_hmac_key *k, const uint8_t *hdr, size_t hdrlen,
                     const uint8_t *data, size_t len, size_t maxlen, uint8_t *out);

#endif

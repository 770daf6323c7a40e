/*
 * hmac.c - HMAC (RFC 2104) on cry_hash_*, and cry_hmac_ct, the constant-work HMAC for CBC records
 * (Lucky 13). Owns no protocol logic and no libtomcrypt include: the hashes come from the adapter.
 * Invariant: every key-derived buffer on the stack is wiped before return.
 */
#include "crypto/hmac.h"
#include <string.h>

size_t cry_hmac_block_len(int alg)
{
    switch (alg) {
    case CRY_MD5:
    case CRY_SHA1:
    case CRY_SHA256: return 64;
    case CRY_SHA384:
    case CRY_SHA512: return 128;
    default: return 0;
    }
}

void cry_hmac_init_flags(struct cry_hmac *m, int alg, const uint8_t *key, size_t keylen,
                         unsigned flags)
{
    uint8_t k[128], pad[128];
    size_t bl = cry_hmac_block_len(alg);
    memset(k, 0, sizeof k);
    if (bl && keylen > bl) {
        cry_hash_init_flags(&m->inner, alg, flags);
        cry_hash_update(&m->inner, key, keylen);
        cry_hash_final(&m->inner, k);
    } else if (keylen) {
        memcpy(k, key, keylen);
    }
    for (size_t i = 0; i < bl; i++)
        pad[i] = k[i] ^ 0x36;
    cry_hash_init_flags(&m->inner, bl ? alg : -1, flags);
    cry_hash_update(&m->inner, pad, bl);
    for (size_t i = 0; i < bl; i++)
        pad[i] = k[i] ^ 0x5c;
    cry_hash_init_flags(&m->outer, bl ? alg : -1, flags);
    cry_hash_update(&m->outer, pad, bl);
    cry_wipe(k, sizeof k);
    cry_wipe(pad, sizeof pad);
}

void cry_hmac_init(struct cry_hmac *m, int alg, const uint8_t *key, size_t keylen)
{
    cry_hmac_init_flags(m, alg, key, keylen, 0);
}

void cry_hmac_update(struct cry_hmac *m, const void *p, size_t n) { cry_hash_update(&m->inner, p, n); }

void cry_hmac_final(struct cry_hmac *m, uint8_t *out)
{
    uint8_t h[CRY_MAX_DIGEST];
    size_t hl = cry_hash_len(m->inner.alg);
    cry_hash_final(&m->inner, h);
    cry_hash_update(&m->outer, h, hl);
    cry_hash_final(&m->outer, out);
    cry_wipe(h, sizeof h);
}

void cry_hmac_once(int alg, const uint8_t *key, size_t keylen, const void *p, size_t n, uint8_t *out)
{
    struct cry_hmac m;
    cry_hmac_init(&m, alg, key, keylen);
    cry_hmac_update(&m, p, n);
    cry_hmac_final(&m, out);
}

int cry_hmac_key_init(struct cry_hmac_key *k, int alg, const uint8_t *key, size_t keylen)
{
    struct cry_hmac m;
    uint64_t l1, l2;
    memset(k, 0, sizeof *k);
    if (alg != CRY_SHA1 && alg != CRY_SHA256)
        return -1;
    cry_hmac_init(&m, alg, key, keylen);
    int bad = cry_hash_save_chain(&m.inner, k->in, &l1) || cry_hash_save_chain(&m.outer, k->out, &l2);
    cry_wipe(&m, sizeof m);
    if (bad || l1 != 64 || l2 != 64) {
        cry_wipe(k, sizeof *k);
        return -1;
    }
    k->alg = alg;
    k->set = 1;
    return 0;
}

void cry_hmac_init_key(struct cry_hmac *m, const struct cry_hmac_key *k)
{
    cry_hash_init_chain(&m->inner, k->alg, k->in, 64);
    cry_hash_init_chain(&m->outer, k->alg, k->out, 64);
}

/* Compression-function calls of the inner hash over one key block plus n message bytes: the
 * Merkle-Damgard padding adds a 0x80 byte and a length field of 8 (16 for SHA-384/512) bytes. */
static size_t inner_blocks(size_t bl, size_t n)
{
    size_t lenfield = bl == 128 ? 16 : 8;
    return (bl + n + lenfield) / bl + 1; /* bl is 64 or 128: a shift, no secret-timed division */
}

/*
 * Lucky 13 (N. J. AlFardan and K. G. Paterson, "Lucky Thirteen: Breaking the TLS and DTLS Record
 * Protocols", IEEE S&P 2013; RFC 5246 §6.2.3.2 notes the timing channel): the MAC of a CBC record
 * covers a length that depends on the secret padding, and each 64-byte block is one more
 * compression. Like s2n-tls, we hash the real length, then feed whole blocks to a throw-away
 * state so that the number of compressions is that of the longest possible length; the outer
 * hash is one fixed-size block either way. The remaining dependence is a memcpy of under one
 * block inside the hash's buffering.
 */
/* The Lucky 13 part of cry_hmac_ct on a keyed m (consumed). */
static void hmac_ct(struct cry_hmac *m, int alg, const uint8_t *hdr, size_t hdrlen,
                    const uint8_t *data, size_t len, size_t maxlen, uint8_t *out)
{
    static const uint8_t zero[128];
    size_t bl = cry_hmac_block_len(alg);
    cry_hmac_update(m, hdr, hdrlen);
    cry_hmac_update(m, data, len);
    cry_hmac_final(m, out);
    if (!bl || len > maxlen)
        return;
    size_t extra = inner_blocks(bl, hdrlen + maxlen) - inner_blocks(bl, hdrlen + len);
    struct cry_hash dummy;
    cry_hash_init(&dummy, alg);
    for (size_t i = 0; i < extra; i++) /* each whole block is one compression (buffer empty) */
        cry_hash_update(&dummy, zero, bl);
    cry_hash_final(&dummy, NULL);
}

void cry_hmac_ct(int alg, const uint8_t *key, size_t keylen, const uint8_t *hdr, size_t hdrlen,
                 const uint8_t *data, size_t len, size_t maxlen, uint8_t *out)
{
    struct cry_hmac m;
    cry_hmac_init(&m, alg, key, keylen);
    hmac_ct(&m, alg, hdr, hdrlen, data, len, maxlen, out);
}

void cry_hmac_ct_key(const struct cry_hmac_key *k, const uint8_t *hdr, size_t hdrlen,
                     const uint8_t *data, size_t len, size_t maxlen, uint8_t *out)
{
    struct cry_hmac m;
    cry_hmac_init_key(&m, k);
    hmac_ct(&m, k->alg, hdr, hdrlen, data, len, maxlen, out);
}

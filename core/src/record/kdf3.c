/*
 * kdf3.c - SSL 3.0 master secret, key block, export keys, and the Finished/CertificateVerify
 * hashes (RFC 6101 §6.1, §6.2.2, §5.6.8, §5.6.9). Every intermediate is wiped.
 */
#include "record/kdf3.h"
#include "record/mac3.h"
#include <string.h>

/* out = sum over i of MD5(secret + SHA(label_i + secret + r1 + r2)), label_i = 'A', 'BB', ... */
static void ssl3_prf(const uint8_t *secret, size_t slen, const uint8_t *r1, const uint8_t *r2,
                     uint8_t *out, size_t len)
{
    uint8_t label[26], sha[20], md5[16];
    struct cry_hash h;
    for (size_t i = 0, done = 0; done < len; i++) {
        memset(label, 'A' + (int)i, i + 1);
        cry_hash_init(&h, CRY_SHA1);
        cry_hash_update(&h, label, i + 1);
        cry_hash_update(&h, secret, slen);
        cry_hash_update(&h, r1, 32);
        cry_hash_update(&h, r2, 32);
        cry_hash_final(&h, sha);
        cry_hash_init(&h, CRY_MD5);
        cry_hash_update(&h, secret, slen);
        cry_hash_update(&h, sha, sizeof sha);
        cry_hash_final(&h, md5);
        size_t n = len - done < 16 ? len - done : 16;
        memcpy(out + done, md5, n);
        done += n;
    }
    cry_wipe(sha, sizeof sha);
    cry_wipe(md5, sizeof md5);
}

void kdf3_master_secret(const uint8_t *pre, size_t prelen, const uint8_t cr[32],
                        const uint8_t sr[32], uint8_t out[48])
{
    ssl3_prf(pre, prelen, cr, sr, out, 48);
}

void kdf3_key_block(const uint8_t master[48], const uint8_t sr[32], const uint8_t cr[32],
                    uint8_t *out, size_t len)
{
    if (len > 16 * 26)
        len = 16 * 26;
    ssl3_prf(master, 48, sr, cr, out, len);
}

void kdf3_export_md5(const uint8_t *key, size_t keylen, const uint8_t r1[32], const uint8_t r2[32],
                     uint8_t *out, size_t outlen)
{
    uint8_t md5[16];
    struct cry_hash h;
    cry_hash_init(&h, CRY_MD5);
    if (key)
        cry_hash_update(&h, key, keylen);
    cry_hash_update(&h, r1, 32);
    cry_hash_update(&h, r2, 32);
    cry_hash_final(&h, md5);
    memcpy(out, md5, outlen < 16 ? outlen : 16);
    cry_wipe(md5, sizeof md5);
}

/* outer(master + pad2 + inner(msgs + sender + master + pad1)) for one hash */
static void finish_one(const struct cry_hash *running, int alg, size_t padlen, const uint8_t *sender,
                       const uint8_t master[48], uint8_t *out)
{
    uint8_t inner[20];
    struct cry_hash h = *running;
    if (sender)
        cry_hash_update(&h, sender, 4);
    cry_hash_update(&h, master, 48);
    cry_hash_update(&h, ssl3_pad1, padlen);
    cry_hash_final(&h, inner);
    cry_hash_init(&h, alg);
    cry_hash_update(&h, master, 48);
    cry_hash_update(&h, ssl3_pad2, padlen);
    cry_hash_update(&h, inner, cry_hash_len(alg));
    cry_hash_final(&h, out);
    cry_wipe(inner, sizeof inner);
}

void kdf3_finished(const struct cry_hash *md5, const struct cry_hash *sha1, const uint8_t *sender,
                   const uint8_t master[48], uint8_t out[36])
{
    finish_one(md5, CRY_MD5, 48, sender, master, out);
    finish_one(sha1, CRY_SHA1, 40, sender, master, out + 16);
}

/*
 * pkcs1.c - PKCS#1 v1.5 block formats for SSL 3.0 (RFC 6101 §5.6.7.1, §5.6.8; PKCS#1 v1.5 §8).
 * Invariant: the premaster decryption path has no branch or early exit that depends on the
 * decrypted block, so a client learns nothing from our alerts or timing (Bleichenbacher 1998).
 */
#include "crypto/pkcs1.h"
#include "base/ct.h"
#include <string.h>

#define RSA_MAX 1024 /* bytes: up to 8192-bit keys */

SSLErr pkcs1_sign(const SSLRSAPrivateKey *key, const uint8_t *in, uint32_t inlen, uint8_t *out,
                  uint32_t outcap, uint32_t *outlen)
{
    uint32_t k = (uint32_t)cry_rsa_key_bytes(key);
    SSL_ENSURE(k <= RSA_MAX && k <= outcap && inlen + 11 <= k, SSLBadParameterErr);
    uint8_t block[RSA_MAX];
    block[0] = 0;
    block[1] = 1;
    memset(block + 2, 0xff, k - inlen - 3);
    block[k - inlen - 1] = 0;
    memcpy(block + k - inlen, in, inlen);
    SSL_TRY(cry_rsa_private(key, block, k, out));
    *outlen = k;
    return SSLNoErr;
}

int pkcs1_verify(const uint8_t *n, uint32_t nlen, const uint8_t *e, uint32_t elen,
                 const uint8_t *sig, uint32_t siglen, const uint8_t *in, uint32_t inlen)
{
    uint8_t got[RSA_MAX], want[RSA_MAX];
    if (nlen > RSA_MAX || siglen != nlen || inlen + 11 > nlen)
        return 0;
    if (cry_rsa_public(n, nlen, e, elen, sig, siglen, got) != SSLNoErr)
        return 0;
    want[0] = 0;
    want[1] = 1;
    memset(want + 2, 0xff, nlen - inlen - 3);
    want[nlen - inlen - 1] = 0;
    memcpy(want + nlen - inlen, in, inlen);
    return ct_memeq(got, want, nlen);
}

static SSLErr encrypt(cry_rand_fn rnd, void *rnd_ref, const uint8_t *n, uint32_t nlen, const uint8_t *e,
                      uint32_t elen, const uint8_t *in, uint32_t inlen, uint8_t *out, int mark)
{
    SSL_ENSURE(nlen <= RSA_MAX && inlen + 11 <= nlen, SSLBadParameterErr);
    uint8_t block[RSA_MAX];
    uint32_t ps = nlen - inlen - 3;
    block[0] = 0;
    block[1] = 2;
    SSL_TRY(rnd(rnd_ref, block + 2, ps));
    for (uint32_t i = 0; i < ps; i++) /* padding bytes must be non-zero */
        while (block[2 + i] == 0)
            SSL_TRY(rnd(rnd_ref, block + 2 + i, 1));
    if (mark)
        memset(block + 2 + ps - 8, 0x03, 8);
    block[2 + ps] = 0;
    memcpy(block + 3 + ps, in, inlen);
    SSLErr err = cry_rsa_public(n, nlen, e, elen, block, nlen, out);
    cry_wipe(block, sizeof block);
    return err;
}

SSLErr pkcs1_encrypt(cry_rand_fn rnd, void *rnd_ref, const uint8_t *n, uint32_t nlen, const uint8_t *e,
                     uint32_t elen, const uint8_t *in, uint32_t inlen, uint8_t *out)
{
    return encrypt(rnd, rnd_ref, n, nlen, e, elen, in, inlen, out, 0);
}

SSLErr pkcs1_encrypt_rollback(cry_rand_fn rnd, void *rnd_ref, const uint8_t *n, uint32_t nlen, const uint8_t *e,
                              uint32_t elen, const uint8_t *in, uint32_t inlen, uint8_t *out)
{
    return encrypt(rnd, rnd_ref, n, nlen, e, elen, in, inlen, out, 1);
}

SSLErr pkcs1_decrypt_fixed(const SSLRSAPrivateKey *key, const uint8_t *in, uint32_t inlen,
                           uint8_t *out, uint32_t outlen, uint32_t *good, uint32_t *rollback)
{
    uint8_t block[RSA_MAX];
    uint32_t k = (uint32_t)cry_rsa_key_bytes(key);
    uint32_t ok = ct_eq32(inlen, k), rb = 0xffffffffu;
    memset(block, 0, sizeof block);
    memset(out, 0, outlen);
    if (k > RSA_MAX || outlen + 11 > k || outlen == 0) { /* public facts: sizes only */
        *good = 0;
        if (rollback)
            *rollback = 0;
        return SSLNoErr;
    }
    if (inlen == k)
        ok &= ct_eq32((uint32_t)cry_rsa_private(key, in, inlen, block), (uint32_t)SSLNoErr);
    /* 00 02 PS(non-zero, k - outlen - 3 bytes) 00 data(outlen) */
    uint32_t sep = k - outlen - 1;
    ok &= ct_eq32(block[0], 0) & ct_eq32(block[1], 2);
    for (uint32_t i = 2; i < sep; i++)
        ok &= ~ct_eq32(block[i], 0);
    ok &= ct_eq32(block[sep], 0);
    for (uint32_t i = sep - 8; i < sep; i++)
        rb &= ct_eq32(block[i], 3);
    for (uint32_t i = 0; i < outlen; i++)
        out[i] = block[sep + 1 + i];
    *good = ok;
    if (rollback)
        *rollback = rb & ok;
    cry_wipe(block, sizeof block);
    return SSLNoErr;
}

SSLErr pkcs1_decrypt_premaster(cry_rand_fn rnd, void *rnd_ref, const SSLRSAPrivateKey *key, const uint8_t *in,
                               uint32_t inlen, uint16_t version, uint8_t out[48])
{
    uint8_t fake[48], got[48];
    uint32_t good;
    SSL_TRY(rnd(rnd_ref, fake, sizeof fake));
    fake[0] = (uint8_t)(version >> 8);
    fake[1] = (uint8_t)version;
    SSL_TRY(pkcs1_decrypt_fixed(key, in, inlen, got, sizeof got, &good, NULL));
    /* RFC 6101 §5.6.7.1: the first two bytes are the version the client offered */
    good &= ct_eq32(got[0], (uint8_t)(version >> 8)) & ct_eq32(got[1], (uint8_t)version);
    for (uint32_t i = 0; i < 48; i++)
        out[i] = ct_sel8(good, got[i], fake[i]);
    cry_wipe(got, sizeof got);
    cry_wipe(fake, sizeof fake);
    return SSLNoErr;
}

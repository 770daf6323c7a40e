/*
 * prf.c - the TLS PRF (RFC 2246 §5 / RFC 4346 §5: P_MD5(S1) XOR P_SHA1(S2), S1 and S2 the halves
 * of the secret, sharing the middle byte when its length is odd; RFC 5246 §5: P_<hash>).
 * P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...,
 * A(0) = seed, A(i) = HMAC(secret, A(i-1)). The HMAC key is set once and its state copied.
 */
#include "record/prf.h"
#include "crypto/hmac.h"
#include "state/suites.h"
#include <string.h>

/* out (xor ? ^= : =) P_hash(secret, label || a || b) */
static void p_hash(int alg, const uint8_t *secret, size_t slen, const char *label,
                   const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *out,
                   size_t outlen, int xor)
{
    struct cry_hmac key, m;
    uint8_t A[CRY_MAX_DIGEST], blk[CRY_MAX_DIGEST];
    size_t hl = cry_hash_len(alg), llen = strlen(label);
    cry_hmac_init(&key, alg, secret, slen);
    m = key; /* A(1) = HMAC(secret, seed) */
    cry_hmac_update(&m, label, llen);
    cry_hmac_update(&m, a, alen);
    cry_hmac_update(&m, b, blen);
    cry_hmac_final(&m, A);
    for (size_t off = 0; off < outlen; off += hl) {
        m = key;
        cry_hmac_update(&m, A, hl);
        cry_hmac_update(&m, label, llen);
        cry_hmac_update(&m, a, alen);
        cry_hmac_update(&m, b, blen);
        cry_hmac_final(&m, blk);
        size_t n = outlen - off < hl ? outlen - off : hl;
        for (size_t i = 0; i < n; i++)
            out[off + i] = (uint8_t)(xor ? out[off + i] ^ blk[i] : blk[i]);
        if (off + hl < outlen) { /* A(i+1) = HMAC(secret, A(i)) */
            m = key;
            cry_hmac_update(&m, A, hl);
            cry_hmac_final(&m, A);
        }
    }
    cry_wipe(&key, sizeof key);
    cry_wipe(A, sizeof A);
    cry_wipe(blk, sizeof blk);
}

void prf_tls(uint16_t ver, int prf_hash, const uint8_t *secret, size_t slen, const char *label,
             const uint8_t *seed_a, size_t alen, const uint8_t *seed_b, size_t blen, uint8_t *out,
             size_t outlen)
{
    if (ver >= V_TLS12) { /* RFC 5246 §5 */
        p_hash(prf_hash, secret, slen, label, seed_a, alen, seed_b, blen, out, outlen, 0);
        return;
    }
    /* RFC 2246 §5: L_S1 = L_S2 = ceil(L_S / 2); S2 starts at L_S - L_S2 */
    size_t half = (slen + 1) / 2;
    p_hash(CRY_MD5, secret, half, label, seed_a, alen, seed_b, blen, out, outlen, 0);
    p_hash(CRY_SHA1, slen ? secret + (slen - half) : secret, half, label, seed_a, alen, seed_b, blen, out, outlen, 1);
}

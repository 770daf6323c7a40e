/*
 * ecdsa.c - ECDSA over P-256 and P-384 (ecdsa.h; FIPS 186-4 §6.4, SEC 1 §4.1). Includes tomcrypt.h
 * (through ec_ltc.h, whose curve helpers ecdh.c implements). Signing: the nonce is drawn by
 * rejection with a branch-free range check (bn_ct_ec_scalar), k * G is p256.c's constant-time
 * table for P-256 and libtomcrypt's timing-resistant ladder (ltc_mp.ecc_ptmul, map = 1) over a
 * scalar of fixed bit length for P-384, and
 * s = k^-1 (e + d r) mod n is bn_ct_ecdsa_s: mpn_sec_* arithmetic, and k^-1 blinded by a fresh
 * random u drawn from rnd (mpz_invert sees only k u). Verification is public data only: strict
 * DER, the point checked like an ECDH peer's, u1 G + u2 Q by libtomcrypt's ltc_ecc_mul2add (and,
 * when that does not match, by two ladders and one addition).
 */
#include "crypto/ecdsa.h"
#include "crypto/bn_ct.h"
#include "crypto/ec_ltc.h"
#include "crypto/ecdh.h"
#include "crypto/p256.h"
#include <stdlib.h>
#include <string.h>

#define EC_MAX 48 /* bytes of n, P-384 */

static SSLErr map_err(int err)
{
    return err == CRYPT_OK ? SSLNoErr : err == CRYPT_MEM ? SSLMemoryErr : SSLUnknownErr;
}

/* The order n as size big-endian bytes. */
static SSLErr order_bytes(const struct ec_curve *c, const struct ec_params *pr, uint8_t *n)
{
    return map_err(ec_coord_write(pr->n, n, c->size));
}

/*
 * pub = d * G for a secret d (size bytes, 2 <= d < n: checked without a branch on d): the ladder
 * runs over d + n or d + 2n (bits(n) + 1 bits for every d). SSLBadParameterErr for d out of range.
 */
static SSLErr base_mul(const struct ec_curve *c, const struct ec_params *pr, const uint8_t *n,
                       const uint8_t *d, uint8_t *pub)
{
    uint8_t fix[EC_MAX + 1];
    int ok = bn_ct_ec_scalar(d, n, (size_t)c->size, fix);
    if (c->group == CRY_EC_SECP256R1) { /* every 32-byte d takes the same 64 table additions */
        SSLErr e = !ok ? SSLBadParameterErr
                       : cry_p256_base_mul(pub + 1, d) == 0 ? SSLNoErr : SSLUnknownErr;
        pub[0] = 4;
        cry_wipe(fix, sizeof fix);
        return e;
    }
    void *k = NULL;
    ecc_point *q = ltc_ecc_new_point();
    SSLErr e = q ? map_err(ltc_mp.init(&k)) : SSLMemoryErr;
    if (e == SSLNoErr && !ok)
        e = SSLBadParameterErr;
    if (e == SSLNoErr)
        e = map_err(ltc_mp.unsigned_read(k, fix, (unsigned long)c->size + 1));
    if (e == SSLNoErr)
        e = map_err(ltc_mp.ecc_ptmul(k, pr->g, q, pr->p, 1));
    if (e == SSLNoErr) {
        pub[0] = 4;
        e = map_err(ec_coord_write(q->x, pub + 1, c->size));
        if (e == SSLNoErr)
            e = map_err(ec_coord_write(q->y, pub + 1 + c->size, c->size));
    }
    cry_wipe(fix, sizeof fix);
    ec_num_wipe(k);
    if (k)
        ltc_mp.deinit(k);
    if (q) {
        ec_num_wipe(q->x);
        ec_num_wipe(q->y);
        ec_num_wipe(q->z);
        ltc_ecc_del_point(q);
    }
    return e;
}

SSLErr cry_ec_key_new(uint16_t group, const uint8_t *d, size_t dlen, const uint8_t *pub,
                      size_t publen, struct cry_ec_key **out)
{
    SSL_ENSURE(out, SSLBadParameterErr);
    *out = NULL;
    const struct ec_curve *c = ec_curve_find(group);
    SSL_ENSURE(c, SSLUnsupportedErr);
    SSL_ENSURE(d && dlen >= 1 && dlen <= (size_t)c->size, ASNBadEncodingErr);
    struct ec_params pr;
    SSL_TRY(ec_params_load(c, &pr));
    struct cry_ec_key *k = calloc(1, sizeof *k);
    SSLErr e = k ? SSLNoErr : SSLMemoryErr;
    uint8_t n[EC_MAX];
    if (e == SSLNoErr) {
        k->group = group;
        k->size = (size_t)c->size;
        memcpy(k->d + (k->size - dlen), d, dlen);
        e = order_bytes(c, &pr, n);
    }
    if (e == SSLNoErr) {
        e = base_mul(c, &pr, n, k->d, k->pub);
        if (e == SSLBadParameterErr) /* d = 0, d = 1 or d >= n */
            e = ASNBadEncodingErr;
    }
    if (e == SSLNoErr && pub &&
        (publen != 1 + 2 * k->size || memcmp(pub, k->pub, publen) != 0))
        e = ASNBadEncodingErr; /* a public key that is not d * G */
    ec_params_free(&pr);
    if (e != SSLNoErr) {
        cry_ec_key_free(k);
        return e;
    }
    *out = k;
    return SSLNoErr;
}

void cry_ec_key_free(struct cry_ec_key *k)
{
    if (!k)
        return;
    cry_wipe(k, sizeof *k);
    free(k);
}

uint16_t cry_key_ec_group(const SSLRSAPrivateKey *k)
{
    const struct cry_ec_key *ec = cry_key_ec(k);
    return ec ? ec->group : 0;
}

SSLErr cry_ec_key_public(const SSLRSAPrivateKey *k, uint8_t *pub, size_t *len)
{
    const struct cry_ec_key *ec = cry_key_ec(k);
    SSL_ENSURE(ec && pub && len, SSLBadParameterErr);
    SSL_ENSURE(*len >= 1 + 2 * ec->size, SSLOverflowErr);
    memcpy(pub, ec->pub, 1 + 2 * ec->size);
    *len = 1 + 2 * ec->size;
    return SSLNoErr;
}

/*
 * e: the leftmost bits(n) bits of the hash as size bytes (FIPS 186-4 §6.4; SEC 1 §4.1.3 step 5).
 * A shorter hash is left-padded with zeros (its value is the whole hash).
 */
static void hash_to_e(const uint8_t *hash, size_t hlen, const uint8_t *n, size_t size, uint8_t *e)
{
    unsigned nbits = (unsigned)size * 8;
    for (uint8_t t = n[0]; !(t & 0x80); t = (uint8_t)(t << 1))
        nbits--;
    memset(e, 0, size);
    if (hlen * 8 <= nbits) {
        memcpy(e + (size - hlen), hash, hlen);
        return;
    }
    /* take the first ceil(nbits / 8) bytes, then drop the extra low bits */
    size_t take = (nbits + 7) / 8;
    unsigned shift = (unsigned)(take * 8 - nbits);
    uint8_t tmp[EC_MAX];
    memcpy(tmp, hash, take);
    for (size_t i = take; i-- > 0;)
        tmp[i] = (uint8_t)((tmp[i] >> shift) | (i && shift ? tmp[i - 1] << (8 - shift) : 0));
    memcpy(e + (size - take), tmp, take);
}

/* One minimal positive DER INTEGER of the size-byte big-endian value v (not zero). */
static size_t der_int_write(uint8_t *out, const uint8_t *v, size_t size)
{
    size_t i = 0;
    while (i + 1 < size && v[i] == 0)
        i++;
    size_t len = size - i, pad = (v[i] & 0x80) ? 1 : 0;
    out[0] = 0x02;
    out[1] = (uint8_t)(len + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, v + i, len);
    return 2 + pad + len;
}

SSLErr cry_ecdsa_sign(const SSLRSAPrivateKey *key, const uint8_t *hash, size_t hlen, uint8_t *sig,
                      size_t *siglen, cry_rand_fn rnd, void *rnd_ref)
{
    const struct cry_ec_key *ec = cry_key_ec(key);
    SSL_ENSURE(ec && hash && sig && siglen && rnd, SSLBadParameterErr);
    const struct ec_curve *c = ec_curve_find(ec->group);
    SSL_ENSURE(c, SSLBadParameterErr);
    size_t size = ec->size;
    SSL_TRY(cry_init());
    struct ec_params pr;
    SSL_TRY(ec_params_load(c, &pr));
    uint8_t n[EC_MAX], kb[EC_MAX], e[EC_MAX], r[EC_MAX], s[EC_MAX], pt[1 + 2 * EC_MAX];
    SSLErr err = order_bytes(c, &pr, n);
    if (err == SSLNoErr)
        hash_to_e(hash, hlen, n, size, e);
    for (int tries = 0; err == SSLNoErr; tries++) {
        if (tries == 64) { /* a working rnd fails a draw with probability < 2^-32 */
            err = SSLUnknownErr;
            break;
        }
        /* k: size random bytes (bits(n) = 8 size for P-256 and P-384), kept if 2 <= k < n */
        if ((err = rnd(rnd_ref, kb, size)) != SSLNoErr)
            break;
        err = base_mul(c, &pr, n, kb, pt);
        if (err == SSLBadParameterErr) { /* k out of range: a public, random event */
            err = SSLNoErr;
            continue;
        }
        if (err != SSLNoErr)
            break;
        /* r = x mod n; x < p, and p < 2n for these curves: one conditional subtraction */
        memcpy(r, pt + 1, size);
        if (cry_bn_cmp(r, size, n, size) >= 0) {
            unsigned borrow = 0;
            for (size_t i = size; i-- > 0;) {
                unsigned v = (unsigned)r[i] - n[i] - borrow;
                r[i] = (uint8_t)v;
                borrow = (v >> 8) & 1;
            }
        }
        if (cry_bn_cmp(r, size, NULL, 0) == 0)
            continue;
        /* rnd also blinds the inversion of k there: its errors come back as they are */
        if ((err = bn_ct_ecdsa_s(n, size, ec->d, kb, e, r, s, rnd, rnd_ref)) != SSLNoErr)
            break;
        if (cry_bn_cmp(s, size, NULL, 0) == 0) /* s = 0: a public, random event */
            continue;
        break;
    }
    if (err == SSLNoErr) {
        uint8_t out[CRY_ECDSA_MAX_SIG + 1]; /* the body starts at out + 3 whatever the header */
        size_t body = der_int_write(out + 3, r, size);
        body += der_int_write(out + 3 + body, s, size);
        size_t hdr = body < 0x80 ? 2 : 3;
        uint8_t *o = out + 3 - hdr;
        o[0] = 0x30;
        if (hdr == 2) {
            o[1] = (uint8_t)body;
        } else {
            o[1] = 0x81;
            o[2] = (uint8_t)body;
        }
        if (*siglen < hdr + body) {
            err = SSLOverflowErr;
        } else {
            memcpy(sig, o, hdr + body);
            *siglen = hdr + body;
        }
    }
    cry_wipe(kb, sizeof kb);
    cry_wipe(pt, sizeof pt);
    cry_wipe(s, sizeof s);
    cry_wipe(e, sizeof e);
    ec_params_free(&pr);
    return err;
}

/* m->x mod n == r for an affine m (z = 1): 1, else 0 (the identity, z = 0, is never a match). */
static int x_matches(const struct ec_params *pr, ecc_point *m, void *r, void *t, size_t size)
{
    uint8_t x[EC_MAX];
    return ltc_mp.compare_d(m->z, 0) != LTC_MP_EQ &&
           ec_coord_write(m->x, x, (int)size) == CRYPT_OK &&
           ltc_mp.mpdiv(m->x, pr->n, NULL, t) == CRYPT_OK && ltc_mp.compare(t, r) == LTC_MP_EQ;
}

/* A point times mu mod p, z = mu: Montgomery form for ltc_mp.ecc_ptadd (affine input, z = 1). */
static int to_mont(ecc_point *a, void *mu, void *p)
{
    return ltc_mp.mulmod(a->x, mu, p, a->x) == CRYPT_OK &&
           ltc_mp.mulmod(a->y, mu, p, a->y) == CRYPT_OK && ltc_mp.copy(mu, a->z) == CRYPT_OK;
}

/*
 * m = u1 G + u2 Q the long way: two ladders, each mapped to affine, then one addition (which
 * doubles when the two are equal). ltc_ecc_mul2add's Shamir table holds i G + j Q for small i, j
 * and goes wrong when one of those is the identity (Q = -2 G, say): this path has no such table.
 * 1 if computed.
 */
static int two_ladders(const struct ec_params *pr, void *u1, void *u2, ecc_point *q, ecc_point *m)
{
    ecc_point *a = ltc_ecc_new_point(), *b = ltc_ecc_new_point();
    void *mp = NULL, *mu = NULL;
    int ok = a && b && ltc_mp.init(&mu) == CRYPT_OK &&
             ltc_mp.ecc_ptmul(u1, pr->g, a, pr->p, 1) == CRYPT_OK &&
             ltc_mp.ecc_ptmul(u2, q, b, pr->p, 1) == CRYPT_OK &&
             ltc_mp.montgomery_setup(pr->p, &mp) == CRYPT_OK &&
             ltc_mp.montgomery_normalization(mu, pr->p) == CRYPT_OK && to_mont(a, mu, pr->p) &&
             to_mont(b, mu, pr->p) && ltc_mp.ecc_ptadd(a, b, m, pr->p, mp) == CRYPT_OK &&
             ltc_mp.ecc_map(m, pr->p, mp) == CRYPT_OK;
    if (mp)
        ltc_mp.montgomery_deinit(mp);
    if (mu)
        ltc_mp.deinit(mu);
    if (a)
        ltc_ecc_del_point(a);
    if (b)
        ltc_ecc_del_point(b);
    return ok;
}

/*
 * Strict DER Ecdsa-Sig-Value: SEQUENCE (short form, or 0x81 with a length >= 128) of exactly two
 * INTEGERs in short form, minimal, positive, at most size bytes of value; nothing after. The
 * values go to r and s as size bytes each. 1 if well formed.
 */
static int sig_parse(const uint8_t *sig, size_t len, size_t size, uint8_t *r, uint8_t *s)
{
    if (len < 2 || sig[0] != 0x30)
        return 0;
    size_t i = 1, body = sig[i++];
    if (body == 0x81) {
        if (len < 3 || sig[2] < 0x80)
            return 0;
        body = sig[i++];
    } else if (body & 0x80) {
        return 0;
    }
    if (body != len - i)
        return 0;
    uint8_t *dst[2] = {r, s};
    for (int k = 0; k < 2; k++) {
        if (len - i < 2 || sig[i] != 0x02 || (sig[i + 1] & 0x80))
            return 0;
        size_t l = sig[i + 1];
        i += 2;
        if (l == 0 || l > len - i)
            return 0;
        const uint8_t *v = sig + i;
        i += l;
        if (v[0] & 0x80)
            return 0; /* negative */
        if (l > 1 && v[0] == 0 && !(v[1] & 0x80))
            return 0; /* not minimal */
        if (v[0] == 0) {
            v++;
            l--;
        }
        if (l > size)
            return 0;
        memset(dst[k], 0, size);
        memcpy(dst[k] + (size - l), v, l);
    }
    return i == len;
}

int cry_ecdsa_verify(uint16_t group, const uint8_t *pub, size_t publen, const uint8_t *hash,
                     size_t hlen, const uint8_t *sig, size_t siglen)
{
    const struct ec_curve *c = ec_curve_find(group);
    if (!c || !pub || !hash || !sig || cry_init() != SSLNoErr)
        return 0;
    size_t size = (size_t)c->size;
    uint8_t r[EC_MAX], s[EC_MAX], e[EC_MAX], n[EC_MAX];
    if (!sig_parse(sig, siglen, size, r, s))
        return 0;
    struct ec_params pr;
    if (ec_params_load(c, &pr) != SSLNoErr)
        return 0;
    int ok = 0, nums = 0;
    void *rr = NULL, *ss = NULL, *w = NULL, *u1 = NULL, *u2 = NULL;
    ecc_point *q = ltc_ecc_new_point(), *m = ltc_ecc_new_point();
    if (!q || !m || ltc_init_multi(&rr, &ss, &w, &u1, &u2, NULL) != CRYPT_OK)
        goto out; /* ltc_init_multi frees what it made on failure */
    nums = 1;
    if (order_bytes(c, &pr, n) != SSLNoErr)
        goto out;
    /* 1 <= r, s < n */
    if (cry_bn_cmp(r, size, NULL, 0) == 0 || cry_bn_cmp(s, size, NULL, 0) == 0 ||
        cry_bn_cmp(r, size, n, size) >= 0 || cry_bn_cmp(s, size, n, size) >= 0)
        goto out;
    if (ec_point_read(c, &pr, pub, publen, q) != 1)
        goto out;
    hash_to_e(hash, hlen, n, size, e);
    /* w = s^-1; u1 = e w; u2 = r w (mod n); (x, y) = u1 G + u2 Q; valid if x mod n == r */
    if (ltc_mp.unsigned_read(rr, r, (unsigned long)size) != CRYPT_OK ||
        ltc_mp.unsigned_read(ss, s, (unsigned long)size) != CRYPT_OK ||
        ltc_mp.unsigned_read(u1, e, (unsigned long)size) != CRYPT_OK ||
        ltc_mp.invmod(ss, pr.n, w) != CRYPT_OK || ltc_mp.mpdiv(u1, pr.n, NULL, u1) != CRYPT_OK ||
        ltc_mp.mulmod(u1, w, pr.n, u1) != CRYPT_OK || ltc_mp.mulmod(rr, w, pr.n, u2) != CRYPT_OK)
        goto out;
    /* u1 = 0 (e = 0 mod n) is legal: then u2 Q alone */
    if (ltc_mp.compare_d(u1, 0) == LTC_MP_EQ) {
        ok = ltc_mp.ecc_ptmul(u2, q, m, pr.p, 1) == CRYPT_OK && x_matches(&pr, m, rr, w, size);
        goto out;
    }
    /* Shamir's trick first (fast); a mismatch is checked again without its table, which a
     * public key that is a small multiple of G defeats (a valid signature must not be refused) */
    ok = ltc_ecc_mul2add(pr.g, u1, q, u2, m, pr.p) == CRYPT_OK && x_matches(&pr, m, rr, w, size);
    if (!ok)
        ok = two_ladders(&pr, u1, u2, q, m) && x_matches(&pr, m, rr, w, size);
out:
    if (nums)
        ltc_deinit_multi(rr, ss, w, u1, u2, NULL);
    if (q)
        ltc_ecc_del_point(q);
    if (m)
        ltc_ecc_del_point(m);
    ec_params_free(&pr);
    return ok;
}

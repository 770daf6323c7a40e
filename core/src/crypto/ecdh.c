/*
 * ecdh.c - ECDH over NIST P-256 and P-384 with libtomcrypt's ECC, and X25519 (ecdh.h). Beside
 * crypto_ltc.c, the other file that includes tomcrypt.h. The point multiplication is libtomcrypt's
 * ltc_ecc_mulmod, which Debian's build (crypt_build_settings: "ECC (with blinding)") compiles as
 * the LTC_ECC_TIMING_RESISTANT ladder: the same operations for every scalar bit after the top one.
 * libtomcrypt 1.18.2's ecc_ansi_x963_import checks no curve equation and accepts hybrid points, so
 * peer points are parsed and checked here (y^2 = x^3 - 3x + b mod p, coordinates below p).
 * X25519 is x25519.c's (constant time); its all-zero result is refused here.
 * P-256 key generation and shared secrets are p256.c's (constant time, 64-bit limbs, complete
 * formulas); the libtomcrypt ladder serves P-384, and P-256 only through cry_ecdh_mul_ltc (tests).
 */
#include "crypto/ecdh.h"
#include "crypto/ec_ltc.h"
#include "crypto/p256.h"
#include "crypto/x25519.h"
#include <string.h>
#include <gmp.h>
#include <tomcrypt.h>

static const struct ec_curve curves[] = {
    {CRY_EC_SECP256R1, 32, "ECC-256"},
    {CRY_EC_SECP384R1, 48, "ECC-384"},
};

const struct ec_curve *ec_curve_find(uint16_t group)
{
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
        if (curves[i].group == group)
            return &curves[i];
    return NULL;
}

/* libtomcrypt's domain parameters for the curve (size and name must both match). */
static const ltc_ecc_set_type *ec_curve_set(const struct ec_curve *c)
{
    for (int i = 0; ltc_ecc_sets[i].size != 0; i++)
        if (ltc_ecc_sets[i].size == c->size && strcmp(ltc_ecc_sets[i].name, c->name) == 0)
            return &ltc_ecc_sets[i];
    return NULL;
}

int cry_ecdh_supported(uint16_t group)
{
    return group == CRY_EC_X25519 || ec_curve_find(group) != NULL;
}

size_t cry_ecdh_priv_len(uint16_t group)
{
    const struct ec_curve *c = ec_curve_find(group);
    return group == CRY_EC_X25519 ? CRY_X25519_LEN : c ? (size_t)c->size : 0;
}

size_t cry_ecdh_pub_len(uint16_t group)
{
    const struct ec_curve *c = ec_curve_find(group);
    return group == CRY_EC_X25519 ? CRY_X25519_LEN : c ? 1 + 2 * (size_t)c->size : 0;
}

size_t cry_ecdh_secret_len(uint16_t group)
{
    return cry_ecdh_priv_len(group);
}

static SSLErr map_err(int err)
{
    return err == CRYPT_OK ? SSLNoErr : err == CRYPT_MEM ? SSLMemoryErr : SSLUnknownErr;
}

/* Zero a number in place (GMP's mpz_clear frees limbs unwiped, so they are cleared first). */
void ec_num_wipe(void *num)
{
    if (!num)
        return;
    if (ltc_mp.exptmod == gmp_desc.exptmod) {
        mpz_ptr z = num;
        zeromem(z->_mp_d, (size_t)z->_mp_alloc * sizeof(mp_limb_t));
    }
    (void)ltc_mp.set_int(num, 0);
}

void ec_params_free(struct ec_params *pr)
{
    if (pr->p)
        ltc_mp.deinit(pr->p);
    if (pr->b)
        ltc_mp.deinit(pr->b);
    if (pr->n)
        ltc_mp.deinit(pr->n);
    if (pr->g)
        ltc_ecc_del_point(pr->g);
    memset(pr, 0, sizeof *pr);
}

SSLErr ec_params_load(const struct ec_curve *c, struct ec_params *pr)
{
    memset(pr, 0, sizeof *pr);
    SSL_TRY(cry_init());
    const ltc_ecc_set_type *set = ec_curve_set(c);
    SSL_ENSURE(set, SSLUnsupportedErr);
    int err = ltc_mp.init(&pr->p);
    if (err == CRYPT_OK)
        err = ltc_mp.init(&pr->b);
    if (err == CRYPT_OK)
        err = ltc_mp.init(&pr->n);
    if (err == CRYPT_OK && !(pr->g = ltc_ecc_new_point()))
        err = CRYPT_MEM;
    if (err == CRYPT_OK)
        err = ltc_mp.read_radix(pr->p, set->prime, 16);
    if (err == CRYPT_OK)
        err = ltc_mp.read_radix(pr->b, set->B, 16);
    if (err == CRYPT_OK)
        err = ltc_mp.read_radix(pr->n, set->order, 16);
    if (err == CRYPT_OK)
        err = ltc_mp.read_radix(pr->g->x, set->Gx, 16);
    if (err == CRYPT_OK)
        err = ltc_mp.read_radix(pr->g->y, set->Gy, 16);
    if (err == CRYPT_OK)
        err = ltc_mp.set_int(pr->g->z, 1);
    if (err != CRYPT_OK)
        ec_params_free(pr);
    return map_err(err);
}

/* Write a coordinate as exactly size bytes (left-padded). */
int ec_coord_write(void *v, uint8_t *out, int size)
{
    unsigned long n = ltc_mp.unsigned_size(v);
    if (n > (unsigned long)size)
        return CRYPT_ERROR;
    memset(out, 0, (size_t)size);
    return ltc_mp.unsigned_write(v, out + (size - (int)n));
}

/* k * P in affine coordinates into r (the timing-resistant ladder; map = 1). */
static int ptmul(void *k, ecc_point *P, ecc_point *r, void *p)
{
    return ltc_mp.ecc_ptmul(k, P, r, p, 1);
}

SSLErr cry_ecdh_keygen(uint16_t group, uint8_t *priv, uint8_t *pub, cry_rand_fn rnd,
                       void *rnd_ref)
{
    if (group == CRY_EC_X25519 && priv && pub && rnd) { /* RFC 7748 §6.1: 32 random bytes */
        SSLErr e = rnd(rnd_ref, priv, CRY_X25519_LEN);
        if (e == SSLNoErr)
            cry_x25519_base(pub, priv);
        else
            cry_wipe(priv, CRY_X25519_LEN);
        return e;
    }
    if (group == CRY_EC_SECP256R1 && priv && pub && rnd) {
        /* 1 <= k < n by rejection (a draw fails with probability under 2^-32) */
        SSLErr e = SSLUnknownErr;
        for (int tries = 0; tries < 64; tries++) {
            if ((e = rnd(rnd_ref, priv, CRY_P256_LEN)) != SSLNoErr)
                break;
            e = SSLUnknownErr;
            if (cry_p256_scalar_ok(priv)) {
                e = cry_p256_base_mul(pub + 1, priv) == 0 ? SSLNoErr : SSLUnknownErr;
                break;
            }
        }
        pub[0] = 4; /* uncompressed (RFC 8422 §5.4, SEC 1 §2.3.3) */
        if (e != SSLNoErr)
            cry_wipe(priv, CRY_P256_LEN);
        return e;
    }
    const struct ec_curve *c = ec_curve_find(group);
    SSL_ENSURE(c, SSLUnsupportedErr);
    SSL_ENSURE(priv && pub && rnd, SSLBadParameterErr);
    struct ec_params pr;
    SSL_TRY(ec_params_load(c, &pr));
    void *k = NULL;
    ecc_point *q = NULL;
    SSLErr e = map_err(ltc_mp.init(&k));
    if (e == SSLNoErr && !(q = ltc_ecc_new_point()))
        e = SSLMemoryErr;
    /* 1 <= k < n by rejection (for P-256 and P-384 a draw fails with probability under 2^-32) */
    for (int tries = 0; e == SSLNoErr; tries++) {
        if (tries == 64) {
            e = SSLUnknownErr;
            break;
        }
        e = rnd(rnd_ref, priv, (size_t)c->size);
        if (e == SSLNoErr)
            e = map_err(ltc_mp.unsigned_read(k, priv, (unsigned long)c->size));
        if (e == SSLNoErr && ltc_mp.compare_d(k, 0) == LTC_MP_GT &&
            ltc_mp.compare(k, pr.n) == LTC_MP_LT)
            break;
    }
    if (e == SSLNoErr)
        e = map_err(ptmul(k, pr.g, q, pr.p));
    if (e == SSLNoErr) {
        pub[0] = 4; /* uncompressed (RFC 8422 §5.4, SEC 1 §2.3.3) */
        e = map_err(ec_coord_write(q->x, pub + 1, c->size));
        if (e == SSLNoErr)
            e = map_err(ec_coord_write(q->y, pub + 1 + c->size, c->size));
    }
    if (e != SSLNoErr)
        cry_wipe(priv, (size_t)c->size);
    ec_num_wipe(k);
    if (k)
        ltc_mp.deinit(k);
    if (q)
        ltc_ecc_del_point(q);
    ec_params_free(&pr);
    return e;
}

/* Read and check a peer point into pt (z = 1): 1 valid, 0 refused, -1 library failure. */
int ec_point_read(const struct ec_curve *c, const struct ec_params *pr, const uint8_t *in,
                      size_t len, ecc_point *pt)
{
    if (len != 1 + 2 * (size_t)c->size || in[0] != 4)
        return 0;
    void *t = NULL, *u = NULL;
    int ok = -1;
    if (ltc_mp.init(&t) != CRYPT_OK || ltc_mp.init(&u) != CRYPT_OK)
        goto out;
    if (ltc_mp.unsigned_read(pt->x, (unsigned char *)in + 1, (unsigned long)c->size) != CRYPT_OK ||
        ltc_mp.unsigned_read(pt->y, (unsigned char *)in + 1 + c->size, (unsigned long)c->size) !=
            CRYPT_OK ||
        ltc_mp.set_int(pt->z, 1) != CRYPT_OK)
        goto out;
    if (ltc_mp.compare(pt->x, pr->p) != LTC_MP_LT || ltc_mp.compare(pt->y, pr->p) != LTC_MP_LT) {
        ok = 0;
        goto out;
    }
    /* t = ((x^2 mod p) + p - 3) * x + b mod p = x^3 - 3x + b; u = y^2 mod p */
    if (ltc_mp.sqrmod(pt->x, pr->p, t) != CRYPT_OK || ltc_mp.add(t, pr->p, t) != CRYPT_OK ||
        ltc_mp.subi(t, 3, t) != CRYPT_OK || ltc_mp.mulmod(t, pt->x, pr->p, t) != CRYPT_OK ||
        ltc_mp.add(t, pr->b, t) != CRYPT_OK || ltc_mp.mpdiv(t, pr->p, NULL, t) != CRYPT_OK ||
        ltc_mp.sqrmod(pt->y, pr->p, u) != CRYPT_OK)
        goto out;
    ok = ltc_mp.compare(t, u) == LTC_MP_EQ;
out:
    if (t)
        ltc_mp.deinit(t);
    if (u)
        ltc_mp.deinit(u);
    return ok;
}

int cry_ecdh_check(uint16_t group, const uint8_t *pub, size_t len)
{
    if (group == CRY_EC_X25519)
        return pub && len == CRY_X25519_LEN;
    const struct ec_curve *c = ec_curve_find(group);
    struct ec_params pr;
    if (!c || !pub || ec_params_load(c, &pr) != SSLNoErr)
        return 0;
    ecc_point *pt = ltc_ecc_new_point();
    int ok = pt ? ec_point_read(c, &pr, pub, len, pt) : -1;
    if (pt)
        ltc_ecc_del_point(pt);
    ec_params_free(&pr);
    return ok == 1;
}

static SSLErr ecdh_shared_ltc(uint16_t group, const uint8_t *priv, const uint8_t *pub,
                              size_t publen, uint8_t *out);

SSLErr cry_ecdh_shared(uint16_t group, const uint8_t *priv, const uint8_t *pub, size_t publen,
                       uint8_t *out)
{
    if (group == CRY_EC_X25519) {
        SSL_ENSURE(priv && pub && out, SSLBadParameterErr);
        if (publen != CRY_X25519_LEN)
            return SSLProtocolErr;
        if (cry_x25519(out, priv, pub) != 0) { /* RFC 8422 §5.11: an all-zero secret */
            cry_wipe(out, CRY_X25519_LEN);
            return SSLProtocolErr;
        }
        return SSLNoErr;
    }
    if (group == CRY_EC_SECP256R1) {
        SSL_ENSURE(priv && pub && out, SSLBadParameterErr);
        if (publen != 1 + 2 * CRY_P256_LEN || pub[0] != 4)
            return SSLProtocolErr;
        uint8_t xy[2 * CRY_P256_LEN];
        int kok = cry_p256_scalar_ok(priv);
        /* -1: not a point of the curve (with 1 <= k < n the result is never the identity) */
        int r = cry_p256_mul(xy, priv, pub + 1);
        SSLErr e = !kok ? SSLBadParameterErr : r != 0 ? SSLProtocolErr : SSLNoErr;
        if (e == SSLNoErr)
            memcpy(out, xy, CRY_P256_LEN);
        else
            cry_wipe(out, CRY_P256_LEN);
        cry_wipe(xy, sizeof xy);
        return e;
    }
    return ecdh_shared_ltc(group, priv, pub, publen, out);
}

/* cry_ecdh_shared for the P-curves through libtomcrypt's ladder. */
static SSLErr ecdh_shared_ltc(uint16_t group, const uint8_t *priv, const uint8_t *pub,
                              size_t publen, uint8_t *out)
{
    const struct ec_curve *c = ec_curve_find(group);
    SSL_ENSURE(c, SSLUnsupportedErr);
    SSL_ENSURE(priv && pub && out, SSLBadParameterErr);
    struct ec_params pr;
    SSL_TRY(ec_params_load(c, &pr));
    void *k = NULL;
    ecc_point *pt = ltc_ecc_new_point(), *r = ltc_ecc_new_point();
    SSLErr e = pt && r ? map_err(ltc_mp.init(&k)) : SSLMemoryErr;
    if (e == SSLNoErr) {
        int ok = ec_point_read(c, &pr, pub, publen, pt);
        e = ok == 1 ? SSLNoErr : ok == 0 ? SSLProtocolErr : SSLUnknownErr;
    }
    if (e == SSLNoErr)
        e = map_err(ltc_mp.unsigned_read(k, (unsigned char *)priv, (unsigned long)c->size));
    if (e == SSLNoErr && (ltc_mp.compare_d(k, 0) != LTC_MP_GT ||
                          ltc_mp.compare(k, pr.n) != LTC_MP_LT))
        e = SSLBadParameterErr;
    /* a valid point times 1 <= k < n is never the identity (prime order): mapping it would fail */
    if (e == SSLNoErr)
        e = map_err(ptmul(k, pt, r, pr.p));
    if (e == SSLNoErr)
        e = map_err(ec_coord_write(r->x, out, c->size));
    if (e != SSLNoErr)
        cry_wipe(out, (size_t)c->size);
    ec_num_wipe(k);
    if (k)
        ltc_mp.deinit(k);
    if (r) {
        ec_num_wipe(r->x);
        ec_num_wipe(r->y);
        ec_num_wipe(r->z);
        ltc_ecc_del_point(r);
    }
    if (pt)
        ltc_ecc_del_point(pt);
    ec_params_free(&pr);
    return e;
}

SSLErr cry_ecdh_mul_ltc(uint16_t group, const uint8_t *k, const uint8_t *pub, size_t publen,
                        uint8_t *out)
{
    const struct ec_curve *c = ec_curve_find(group);
    SSL_ENSURE(c, SSLUnsupportedErr);
    SSL_ENSURE(k && out, SSLBadParameterErr);
    struct ec_params pr;
    SSL_TRY(ec_params_load(c, &pr));
    void *kn = NULL;
    ecc_point *pt = ltc_ecc_new_point(), *r = ltc_ecc_new_point();
    SSLErr e = pt && r ? map_err(ltc_mp.init(&kn)) : SSLMemoryErr;
    if (e == SSLNoErr && pub) {
        int ok = ec_point_read(c, &pr, pub, publen, pt);
        e = ok == 1 ? SSLNoErr : ok == 0 ? SSLProtocolErr : SSLUnknownErr;
    }
    if (e == SSLNoErr)
        e = map_err(ltc_mp.unsigned_read(kn, (unsigned char *)k, (unsigned long)c->size));
    if (e == SSLNoErr)
        e = map_err(ptmul(kn, pub ? pt : pr.g, r, pr.p));
    if (e == SSLNoErr) {
        out[0] = 4;
        e = map_err(ec_coord_write(r->x, out + 1, c->size));
        if (e == SSLNoErr)
            e = map_err(ec_coord_write(r->y, out + 1 + c->size, c->size));
    }
    ec_num_wipe(kn);
    if (kn)
        ltc_mp.deinit(kn);
    if (r) {
        ec_num_wipe(r->x);
        ec_num_wipe(r->y);
        ec_num_wipe(r->z);
        ltc_ecc_del_point(r);
    }
    if (pt)
        ltc_ecc_del_point(pt);
    ec_params_free(&pr);
    return e;
}

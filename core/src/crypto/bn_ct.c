/*
 * bn_ct.c - constant-time RSA private operation, DSA signing and DH exponentiation on GMP's
 * mpn_sec_* layer (GMP manual, "Low-level Functions for Cryptography"). Owns private numbers as
 * fixed-width limb arrays; does not parse keys (crypto_ltc.c does). Invariant: every secret passes
 * only through mpn_sec_*, mpn_cnd_*, mpn_add_n/mpn_sub_n, rsa_ifma.c's exponentiations (the RSA
 * halves, r^e and the fault check on CPUs with AVX-512 IFMA; constant time as well) and fixed loops
 * whose trip counts are public sizes; GMP allocates nothing here (all scratch is ours, wiped before
 * it is freed).
 */
#include "crypto/bn_ct.h"
#include <gmp.h>
#include "crypto/rsa_ifma.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LB ((size_t)GMP_NUMB_BITS / 8) /* bytes per limb */
#define BN_CT_MAX_BYTES 2048           /* 16384-bit moduli, as crypto_ltc.c allows */

static void wipe(void *p, size_t n)
{
    if (p)
        explicit_bzero(p, n);
}

static size_t max2(size_t a, size_t b) { return a > b ? a : b; }

static mp_size_t limbs_for(size_t bytes) { return (mp_size_t)((bytes + LB - 1) / LB); }

/* Drop leading zero bytes of a public number (key loading only: not on a hot path). */
static size_t trim(const uint8_t **p, size_t n)
{
    while (n && **p == 0) {
        (*p)++;
        n--;
    }
    return n;
}

/* r[0..rn) = big-endian b[0..bl), zero-extended; bl <= rn * LB. Trip count: rn and bl only. */
static void from_be(mp_limb_t *r, mp_size_t rn, const uint8_t *b, size_t bl)
{
    memset(r, 0, (size_t)rn * sizeof *r);
    for (size_t i = 0; i < bl; i++)
        r[i / LB] |= (mp_limb_t)b[bl - 1 - i] << (8 * (i % LB));
}

/* Exactly bl big-endian bytes of r[0..rn), every limb read: fixed-length output (Marvin). */
static void to_be(uint8_t *b, size_t bl, const mp_limb_t *r, mp_size_t rn)
{
    for (size_t i = 0; i < bl; i++)
        b[bl - 1 - i] = (size_t)(i / LB) < (size_t)rn ? (uint8_t)(r[i / LB] >> (8 * (i % LB))) : 0;
}

/* All-ones limb mask if a[0..n) is zero, without a data-dependent branch. */
static mp_limb_t is_zero(const mp_limb_t *a, mp_size_t n)
{
    mp_limb_t acc = 0;
    for (mp_size_t i = 0; i < n; i++)
        acc |= a[i];
    /* acc | -acc has its top bit set iff acc != 0 */
    return ((acc | (0 - acc)) >> (GMP_NUMB_BITS - 1)) - 1;
}

/* r[0..dn) = a[0..an) mod d[0..dn) (d's top limb non-zero); t: scratch of an limbs + itch. */
static void mod_into(mp_limb_t *r, const mp_limb_t *a, mp_size_t an, const mp_limb_t *d,
                     mp_size_t dn, mp_limb_t *t)
{
    if (an < dn) { /* a < B^an <= B^(dn-1) <= d: already reduced (sizes are public) */
        memset(r, 0, (size_t)dn * sizeof *r);
        memcpy(r, a, (size_t)an * sizeof *r);
        return;
    }
    memcpy(t, a, (size_t)an * sizeof *t);
    mpn_sec_div_r(t, an, d, dn, t + an);
    memcpy(r, t, (size_t)dn * sizeof *r);
}

/* r = a b mod d (a, b, d of dn limbs; r may alias a or b). w: 2 dn limbs, tp: mpn_sec scratch. */
static void mul_mod(mp_limb_t *r, const mp_limb_t *a, const mp_limb_t *b, const mp_limb_t *d,
                    mp_size_t dn, mp_limb_t *w, mp_limb_t *tp)
{
    mpn_sec_mul(w, a, dn, b, dn, tp);
    mpn_sec_div_r(w, 2 * dn, d, dn, tp);
    memcpy(r, w, (size_t)dn * sizeof *r);
}

static mp_bitcnt_t bits_of(const mp_limb_t *a, mp_size_t n) { return mpn_sizeinbase(a, n, 2); }

/*
 * ri = (a^-1 mod n) * u mod n, where a = r u: mpz_invert on a, a value independent of the secret
 * r. GMP allocates the result; its limbs are zeroed before mpz_clear. 0 if a is not invertible.
 */
static int blinded_invert(mp_limb_t *ri, const mp_limb_t *a, const mp_limb_t *u, const mp_limb_t *n,
                          mp_size_t nn, mp_limb_t *tp)
{
    mpz_t za, zn, z;
    mpz_init(z);
    int ok = mpz_invert(z, mpz_roinit_n(za, a, nn), mpz_roinit_n(zn, n, nn)) != 0;
    if (ok) {
        mp_size_t zs = (mp_size_t)mpz_size(z); /* of (r u)^-1: independent of r */
        mp_limb_t *t = tp + 2 * nn;
        memset(t, 0, (size_t)nn * sizeof *t);
        memcpy(t, mpz_limbs_read(z), (size_t)zs * sizeof *t);
        mpn_sec_mul(tp, t, nn, u, nn, t + nn);
        mpn_sec_div_r(tp, 2 * nn, n, nn, t + nn);
        memcpy(ri, tp, (size_t)nn * sizeof *ri);
        wipe(t, (size_t)nn * sizeof *t);
    }
    wipe(z->_mp_d, (size_t)z->_mp_alloc * sizeof(mp_limb_t));
    mpz_clear(z);
    return ok;
}

/*
 * ri = a^-1 mod m with mpn_sec_invert (m odd, a < m, mbits = bits of m); w: n limbs of scratch
 * (a is copied there: mpn_sec_invert destroys its input), tp: mpn_sec_invert_itch(n) limbs.
 * 0 if a is not invertible (a = 0 for a prime m). The work depends on n and mbits only.
 */
static int ct_invert(mp_limb_t *ri, const mp_limb_t *a, const mp_limb_t *m, mp_size_t n,
                     mp_bitcnt_t mbits, mp_limb_t *w, mp_limb_t *tp)
{
    memcpy(w, a, (size_t)n * sizeof *w);
    return mpn_sec_invert(ri, w, m, n, 2 * mbits, tp) != 0;
}

/* ---- RSA ---- */

struct bn_ct_rsa {
    size_t nbytes;
    mp_size_t nn, pn, qn, en;
    mp_bitcnt_t pbits, qbits, ebits;
    mp_limb_t *n, *e, *p, *q, *dp, *dq, *qinv;
    /* the AVX-512 IFMA exponentiation (rsa_ifma.c) when the CPU has it and p, q fit: both halves
     * with hbits = max(pbits, qbits) exponent bits and one limb count */
    int ifma, ifman; /* ifman: r^e and the fault check mod n on IFMA too (n of <= 2078 bits) */
    int ifme; /* r^e and the fault check mod p and q on IFMA (with ifma; e of <= 2560 bits) */
    unsigned hbits;
    struct cry_ifma_mont ifp, ifq, ifn;
    /* the blinding pair of the crt path, kept across calls as OpenSSL's BN_BLINDING does:
     * r^e mod p, q (bpe, bqe) and r^-1 mod p, q (bpi, bqi), squared at each use and drawn afresh
     * every BLIND_USES uses (buses == 0). Guarded by block, taken only with trylock: a call that
     * finds it busy draws its own r, so no thread waits. The only part of a key that changes.
     * bpid: the process that drew it (a forked worker draws its own, not its parent's). */
    pthread_mutex_t block;
    unsigned buses;
    pid_t bpid;
    mp_limb_t *bpe, *bqe, *bpi, *bqi;
    size_t limbs; /* of mem */
    mp_limb_t mem[];
};

#define BLIND_USES 32 /* uses of one blinding pair, as OpenSSL's BN_BLINDING_COUNTER */

size_t bn_ct_rsa_bytes(const struct bn_ct_rsa *k) { return k ? k->nbytes : 0; }

/* Per-key IFMA constants (R^2 mod p and q, -p^-1 and -q^-1 mod 2^52), made once: 64-bit limbs. */
static void ifma_setup(struct bn_ct_rsa *k)
{
#if GMP_NUMB_BITS == 64 && GMP_NAIL_BITS == 0
    unsigned hb = (unsigned)(k->pbits > k->qbits ? k->pbits : k->qbits);
    unsigned nl = cry_ifma_limbs(hb);
    uint64_t t[CRY_IFMA_MAX];
    if (!cry_ifma_cpu() || nl == 0 || k->pn > CRY_IFMA_MAX || k->qn > CRY_IFMA_MAX)
        return;
    k->hbits = hb;
    memcpy(t, k->p, (size_t)k->pn * sizeof *t);
    int ok = cry_ifma_mont_init(&k->ifp, t, (size_t)k->pn, (unsigned)k->pbits, nl) == 0;
    memcpy(t, k->q, (size_t)k->qn * sizeof *t);
    ok = ok && cry_ifma_mont_init(&k->ifq, t, (size_t)k->qn, (unsigned)k->qbits, nl) == 0;
    k->ifma = ok;
    k->ifme = ok && k->en <= CRY_IFMA_MAX && k->ebits <= 64 * CRY_IFMA_MAX;
    unsigned nbits = (unsigned)bits_of(k->n, k->nn);
    if (ok && cry_ifma_limbs(nbits) && k->nn <= CRY_IFMA_MAX) {
        memcpy(t, k->n, (size_t)k->nn * sizeof *t);
        k->ifman = cry_ifma_mont_init(&k->ifn, t, (size_t)k->nn, nbits, 0) == 0;
    }
    wipe(t, sizeof t);
#else
    (void)k;
#endif
}

int bn_ct_rsa_ifma(const struct bn_ct_rsa *k) { return k ? k->ifma : 0; }

SSLErr bn_ct_rsa_new(const uint8_t *n, size_t nl, const uint8_t *e, size_t el, const uint8_t *p,
                     size_t pl, const uint8_t *q, size_t ql, const uint8_t *dp, size_t dpl,
                     const uint8_t *dq, size_t dql, const uint8_t *qinv, size_t qil,
                     struct bn_ct_rsa **out)
{
    SSL_ENSURE(out && n && e && p && q && dp && dq && qinv, SSLBadParameterErr);
    *out = NULL;
    nl = trim(&n, nl);
    el = trim(&e, el);
    pl = trim(&p, pl);
    ql = trim(&q, ql);
    dpl = trim(&dp, dpl);
    dql = trim(&dq, dql);
    qil = trim(&qinv, qil);
    SSL_ENSURE(nl >= 2 && nl <= BN_CT_MAX_BYTES && el && el <= nl && pl && ql && pl < nl &&
                   ql < nl && dpl <= pl && dql <= ql && qil <= pl,
               SSLBadParameterErr);
    SSL_ENSURE((n[nl - 1] & 1) && (p[pl - 1] & 1) && (q[ql - 1] & 1), SSLBadParameterErr);
    mp_size_t nn = limbs_for(nl), en = limbs_for(el), pn = limbs_for(pl), qn = limbs_for(ql);
    size_t limbs = (size_t)(nn + en + 5 * pn + 4 * qn);
    struct bn_ct_rsa *k = calloc(1, sizeof *k + limbs * sizeof(mp_limb_t));
    SSL_ENSURE(k, SSLMemoryErr);
    k->limbs = limbs;
    k->nbytes = nl;
    k->nn = nn, k->en = en, k->pn = pn, k->qn = qn;
    k->n = k->mem;
    k->e = k->n + nn;
    k->p = k->e + en;
    k->q = k->p + pn;
    k->dp = k->q + qn;
    k->dq = k->dp + pn;
    k->qinv = k->dq + qn;
    k->bpe = k->qinv + pn;
    k->bqe = k->bpe + pn;
    k->bpi = k->bqe + qn;
    k->bqi = k->bpi + pn;
    if (pthread_mutex_init(&k->block, NULL) != 0) {
        wipe(k, sizeof *k + limbs * sizeof(mp_limb_t));
        free(k);
        return SSLMemoryErr;
    }
    from_be(k->n, nn, n, nl);
    from_be(k->e, en, e, el);
    from_be(k->p, pn, p, pl);
    from_be(k->q, qn, q, ql);
    from_be(k->dp, pn, dp, dpl);
    from_be(k->dq, qn, dq, dql);
    from_be(k->qinv, pn, qinv, qil);
    k->pbits = bits_of(k->p, pn);
    k->qbits = bits_of(k->q, qn);
    k->ebits = bits_of(k->e, en);
    ifma_setup(k);
    *out = k;
    return SSLNoErr;
}

void bn_ct_rsa_free(struct bn_ct_rsa *k)
{
    if (!k)
        return;
    pthread_mutex_destroy(&k->block);
    wipe(k, sizeof *k + k->limbs * sizeof(mp_limb_t)); /* the blinding pair too */
    free(k);
}

/* Scratch limbs any single mpn_sec_* call below may need. */
static size_t rsa_itch(const struct bn_ct_rsa *k)
{
    mp_size_t nn = k->nn, pn = k->pn, qn = k->qn, mx = pn > qn ? pn : qn, mn = pn > qn ? qn : pn;
    size_t t = 0;
    t = max2(t, (size_t)mpn_sec_powm_itch(nn, k->ebits, nn));
    t = max2(t, (size_t)mpn_sec_mul_itch(nn, nn));
    t = max2(t, (size_t)mpn_sec_div_r_itch(2 * nn, nn));
    t = max2(t, (size_t)(3 * nn) + max2((size_t)mpn_sec_mul_itch(nn, nn),
                                          (size_t)mpn_sec_div_r_itch(2 * nn, nn))); /* invert */
    t = max2(t, (size_t)mpn_sec_div_r_itch(nn + 1, nn));
    t = max2(t, (size_t)mpn_sec_div_r_itch(nn, pn));
    t = max2(t, (size_t)mpn_sec_div_r_itch(nn, qn));
    t = max2(t, (size_t)mpn_sec_powm_itch(pn, k->pbits, pn));
    t = max2(t, (size_t)mpn_sec_powm_itch(qn, k->qbits, qn));
    t = max2(t, (size_t)mpn_sec_div_r_itch(qn, pn));
    t = max2(t, (size_t)mpn_sec_mul_itch(pn, pn));
    t = max2(t, (size_t)mpn_sec_sqr_itch(pn));
    t = max2(t, (size_t)mpn_sec_sqr_itch(qn));
    t = max2(t, (size_t)mpn_sec_div_r_itch(2 * pn, pn));
    t = max2(t, (size_t)mpn_sec_mul_itch(mx, mn));
    return t;
}

/*
 * PKCS#1 v2.2 §5.1.2 (RSADP, CRT form) with base blinding:
 *   cb = c * r^e mod n; m1 = cb^dP mod p; m2 = cb^dQ mod q; h = qInv (m1 - m2) mod p;
 *   mb = m2 + q h; m = mb * r^-1 mod n; then m^e mod n must equal c (fault check).
 */
SSLErr bn_ct_rsa_private(const struct bn_ct_rsa *k, const uint8_t *in, uint8_t *out,
                         cry_rand_fn rnd, void *rnd_ref)
{
    return bn_ct_rsa_private_flags(k, in, out, rnd, rnd_ref, 0);
}

/* m1 = c^dP mod p and m2 = c^dQ mod q at once on IFMA (k->ifma); c, m1, m2 as in the caller. */
static void ifma_halves(const struct bn_ct_rsa *k, mp_limb_t *m1, mp_limb_t *m2)
{
    uint64_t b1[CRY_IFMA_MAX], b2[CRY_IFMA_MAX], e1[CRY_IFMA_MAX] = {0}, e2[CRY_IFMA_MAX] = {0};
    uint64_t r1[CRY_IFMA_MAX], r2[CRY_IFMA_MAX];
    memcpy(b1, m1, (size_t)k->pn * sizeof *b1);
    memcpy(b2, m2, (size_t)k->qn * sizeof *b2);
    memcpy(e1, k->dp, (size_t)k->pn * sizeof *e1); /* dP < p < 2^hbits, zero-extended */
    memcpy(e2, k->dq, (size_t)k->qn * sizeof *e2);
    cry_ifma_powm2(r1, b1, e1, &k->ifp, r2, b2, e2, &k->ifq, k->hbits);
    memcpy(m1, r1, (size_t)k->pn * sizeof *m1);
    memcpy(m2, r2, (size_t)k->qn * sizeof *m2);
    wipe(b1, sizeof b1);
    wipe(b2, sizeof b2);
    wipe(e1, sizeof e1);
    wipe(e2, sizeof e2);
    wipe(r1, sizeof r1);
    wipe(r2, sizeof r2);
}

/* x1 = x1^e mod p and x2 = x2^e mod q (x1 < p, x2 < q; e public): both at once on IFMA. */
static void ifma_pub2(const struct bn_ct_rsa *k, mp_limb_t *x1, mp_limb_t *x2)
{
    uint64_t b1[CRY_IFMA_MAX], b2[CRY_IFMA_MAX], e[CRY_IFMA_MAX] = {0};
    uint64_t r1[CRY_IFMA_MAX], r2[CRY_IFMA_MAX];
    memcpy(b1, x1, (size_t)k->pn * sizeof *b1);
    memcpy(b2, x2, (size_t)k->qn * sizeof *b2);
    memcpy(e, k->e, (size_t)k->en * sizeof *e);
    cry_ifma_powm2_pub(r1, b1, &k->ifp, r2, b2, &k->ifq, e, (unsigned)k->ebits);
    memcpy(x1, r1, (size_t)k->pn * sizeof *x1);
    memcpy(x2, r2, (size_t)k->qn * sizeof *x2);
    wipe(b1, sizeof b1);
    wipe(b2, sizeof b2);
    wipe(r1, sizeof r1);
    wipe(r2, sizeof r2);
}

/* r = b^e mod n (e public, b secret): IFMA square-and-multiply or mpn_sec_powm. */
static void pub_powm(const struct bn_ct_rsa *k, mp_limb_t *r, const mp_limb_t *b, mp_limb_t *tp,
                     unsigned flags)
{
    if (k->ifman && !(flags & BN_CT_RSA_PORTABLE)) {
        uint64_t bb[CRY_IFMA_MAX], rr[CRY_IFMA_MAX], ee[CRY_IFMA_MAX] = {0};
        memcpy(bb, b, (size_t)k->nn * sizeof *bb);
        memcpy(ee, k->e, (size_t)k->en * sizeof *ee);
        cry_ifma_powm_pub(rr, bb, ee, (unsigned)k->ebits, &k->ifn);
        memcpy(r, rr, (size_t)k->nn * sizeof *r);
        wipe(bb, sizeof bb);
        wipe(rr, sizeof rr);
    } else {
        mpn_sec_powm(r, b, k->nn, k->e, k->ebits, k->n, k->nn, tp);
    }
}

SSLErr bn_ct_rsa_private_flags(const struct bn_ct_rsa *k, const uint8_t *in, uint8_t *out,
                               cry_rand_fn rnd, void *rnd_ref, unsigned flags)
{
    SSL_ENSURE(k && in && out && rnd, SSLBadParameterErr);
    mp_size_t nn = k->nn, pn = k->pn, qn = k->qn, hn = pn + qn; /* hn >= nn */
    mp_size_t wide = 2 * nn > hn + 1 ? 2 * nn : hn + 1;
    size_t itch = rsa_itch(k);
    /* c r ri re cb chk | m1 m2p t h cp | m2 cq | qh m | w tp (mod_into copies into w, scratch
     * after) */
    size_t total = (size_t)(6 * nn + 5 * pn + 2 * qn + 2 * hn) + (size_t)wide + itch;
    mp_limb_t *mem = calloc(total, sizeof *mem);
    SSL_ENSURE(mem, SSLMemoryErr);
    mp_limb_t *c = mem, *r = c + nn, *ri = r + nn, *re = ri + nn, *cb = re + nn;
    mp_limb_t *m1 = cb + nn, *m2 = m1 + pn, *m2p = m2 + qn, *t = m2p + pn, *h = t + pn;
    mp_limb_t *cp = h + pn, *cq = cp + pn, *qh = cq + qn, *m = qh + hn, *chk = m + hn;
    mp_limb_t *w = chk + nn, *tp = w + wide;
    int crt = k->ifme && !(flags & BN_CT_RSA_PORTABLE); /* r^e, fault check mod p, q on IFMA */
    uint8_t rb[BN_CT_MAX_BYTES + LB];
    size_t rbl = (size_t)(nn + 1) * LB;
    SSLErr err = SSLNoErr;
    from_be(c, nn, in, k->nbytes);

    /*
     * crt: the key's blinding pair when its lock is free (bn_ct_rsa_new allocated the key, so it
     * may be written through a cast; only the pair and its count are). Uses after the first square
     * the pair (r -> r^2: still r^e and r^-1 of one r) instead of drawing r and inverting it.
     */
    struct bn_ct_rsa *mk = (struct bn_ct_rsa *)(uintptr_t)k;
    int locked = crt && pthread_mutex_trylock(&mk->block) == 0;
    if (locked && mk->buses != 0 && mk->bpid == getpid()) {
        mp_limb_t *const pair[4] = {mk->bpe, mk->bqe, mk->bpi, mk->bqi};
        for (int i = 0; i < 4; i++) {
            const mp_limb_t *md = i & 1 ? k->q : k->p;
            mp_size_t mn = i & 1 ? qn : pn;
            mpn_sec_sqr(w, pair[i], mn, tp);
            mpn_sec_div_r(w, 2 * mn, md, mn, tp);
            memcpy(pair[i], w, (size_t)mn * sizeof *w);
        }
        memcpy(m1, mk->bpe, (size_t)pn * sizeof *m1);
        memcpy(m2, mk->bqe, (size_t)qn * sizeof *m2);
        memcpy(ri, mk->bpi, (size_t)pn * sizeof *ri);
        memcpy(re, mk->bqi, (size_t)qn * sizeof *re);
        goto blinded;
    }

    /*
     * Blinding factor r, uniform-ish in [0, n) (nn + 1 random limbs reduced), and r^-1. The
     * inverse is itself blinded: mpz_invert (fast, variable time) sees only r u for a fresh random
     * u, which is independent of r; r^-1 = (r u)^-1 u. (mpn_sec_invert here cost ~40% of the
     * whole operation at 2048 bits.) A non-invertible r u is a random event: draw again.
     */
    for (int tries = 0;; tries++) {
        if (tries == 16) {
            err = SSLUnknownErr;
            goto done;
        }
        if ((err = rnd(rnd_ref, rb, rbl)) != SSLNoErr)
            goto done;
        from_be(w, nn + 1, rb, rbl);
        mpn_sec_div_r(w, nn + 1, k->n, nn, tp);
        mpn_copyi(r, w, nn);
        if ((err = rnd(rnd_ref, rb, rbl)) != SSLNoErr)
            goto done;
        from_be(w, nn + 1, rb, rbl);
        mpn_sec_div_r(w, nn + 1, k->n, nn, tp);
        memcpy(re, w, (size_t)nn * sizeof *re); /* u, for now */
        if (crt) {
            /* crt unblinds the halves: r^-1 mod p (in ri) and mod q (in re), two inversions of
             * half the length (about half the work of one mod n); h and cq hold u mod p, q */
            mod_into(m1, r, nn, k->p, pn, w);
            mod_into(h, re, nn, k->p, pn, w);
            mul_mod(m1, m1, h, k->p, pn, w, tp); /* r u mod p */
            int ok = blinded_invert(ri, m1, h, k->p, pn, tp);
            mod_into(m2, r, nn, k->q, qn, w);
            mod_into(cq, re, nn, k->q, qn, w);
            mul_mod(m2, m2, cq, k->q, qn, w, tp); /* r u mod q */
            ok &= blinded_invert(re, m2, cq, k->q, qn, tp);
            if (ok)
                break;
            continue;
        }
        mul_mod(cb, r, re, k->n, nn, w, tp); /* r u mod n */
        if (blinded_invert(ri, cb, re, k->n, nn, tp))
            break;
    }
    if (crt) {
        /* c r^e is only needed mod p and mod q: r^e there, both at once (a quarter of the work
         * of r^e mod n) */
        mod_into(m1, r, nn, k->p, pn, w);
        mod_into(m2, r, nn, k->q, qn, w);
        ifma_pub2(k, m1, m2);
        if (locked) { /* a new pair for the next BLIND_USES - 1 calls */
            mk->bpid = getpid();
            memcpy(mk->bpe, m1, (size_t)pn * sizeof *m1);
            memcpy(mk->bqe, m2, (size_t)qn * sizeof *m2);
            memcpy(mk->bpi, ri, (size_t)pn * sizeof *ri);
            memcpy(mk->bqi, re, (size_t)qn * sizeof *re);
        }
    }
blinded:
    if (locked) {
        mk->buses = (mk->buses + 1) % BLIND_USES;
        pthread_mutex_unlock(&mk->block);
        locked = 0;
    }
    if (crt) { /* then c r^e mod p and mod q */
        mod_into(cp, c, nn, k->p, pn, w);
        mod_into(cq, c, nn, k->q, qn, w);
        mul_mod(m1, cp, m1, k->p, pn, w, tp);
        mul_mod(m2, cq, m2, k->q, qn, w, tp);
    } else {
        pub_powm(k, re, r, tp, flags);
        mul_mod(cb, c, re, k->n, nn, w, tp);
    }

    /* the two halves, each with a fixed exponent length: bits(p), bits(q) (IFMA: max of both) */
    if (crt) {
        ifma_halves(k, m1, m2);
    } else if (k->ifma && !(flags & BN_CT_RSA_PORTABLE)) {
        mod_into(m1, cb, nn, k->p, pn, w);
        mod_into(m2, cb, nn, k->q, qn, w);
        ifma_halves(k, m1, m2);
    } else {
        mod_into(t, cb, nn, k->p, pn, w);
        mpn_sec_powm(m1, t, pn, k->dp, k->pbits, k->p, pn, tp);
        mod_into(t, cb, nn, k->q, qn, w);
        mpn_sec_powm(m2, t, qn, k->dq, k->qbits, k->q, qn, tp);
    }

    if (crt) { /* unblind each half: m1 r^-1 mod p, m2 r^-1 mod q */
        mul_mod(m1, m1, ri, k->p, pn, w, tp);
        mul_mod(m2, m2, re, k->q, qn, w, tp);
    }

    /* Garner: h = qInv (m1 - m2 mod p) mod p */
    mod_into(m2p, m2, qn, k->p, pn, w);
    mp_limb_t borrow = mpn_sub_n(t, m1, m2p, pn);
    mpn_cnd_add_n(borrow, t, t, k->p, pn);
    mul_mod(h, k->qinv, t, k->p, pn, w, tp);

    /* mb = m2 + q h < p q = n, computed on hn limbs */
    if (qn >= pn)
        mpn_sec_mul(qh, k->q, qn, h, pn, tp);
    else
        mpn_sec_mul(qh, h, pn, k->q, qn, tp);
    memset(m, 0, (size_t)hn * sizeof *m);
    memcpy(m, m2, (size_t)qn * sizeof *m);
    mpn_add_n(m, m, qh, hn);

    /* unblind: m = mb * r^-1 mod n (mb < n fits in nn limbs; crt: done on the halves) */
    if (!crt) {
        mul_mod(m, m, ri, k->n, nn, w, tp);
    }

    /* fault check (Boneh-DeMillo-Lipton): m^e mod n == c, compared without a branch on m; with
     * crt as m^e = c mod p and mod q (the same by the CRT, for the m that leaves) */
    if (crt) {
        mod_into(m1, m, nn, k->p, pn, w);
        mod_into(m2, m, nn, k->q, qn, w);
        ifma_pub2(k, m1, m2);
        memset(chk, 0, (size_t)nn * sizeof *chk);
        for (mp_size_t i = 0; i < pn; i++)
            chk[0] |= m1[i] ^ cp[i];
        for (mp_size_t i = 0; i < qn; i++)
            chk[0] |= m2[i] ^ cq[i];
    } else {
        pub_powm(k, chk, m, tp, flags);
        for (mp_size_t i = 0; i < nn; i++)
            chk[i] ^= c[i];
    }
    if (!is_zero(chk, nn)) { /* only a fault reaches here: the result must not leave */
        memset(out, 0, k->nbytes);
        err = SSLUnknownErr;
        goto done;
    }
    to_be(out, k->nbytes, m, nn);
done:
    if (locked) /* the draw failed: the pair stays unset (buses 0), the next use draws */
        pthread_mutex_unlock(&mk->block);
    wipe(rb, sizeof rb);
    wipe(mem, total * sizeof *mem);
    free(mem);
    return err;
}

/* ---- DSA ---- */

struct bn_ct_dsa {
    size_t qbytes;
    mp_size_t pn, qn;
    mp_bitcnt_t qbits;
    mp_limb_t *p, *q, *g, *x;
    size_t limbs;
    mp_limb_t mem[];
};

size_t bn_ct_dsa_qbytes(const struct bn_ct_dsa *k) { return k ? k->qbytes : 0; }

SSLErr bn_ct_dsa_new(const uint8_t *p, size_t pl, const uint8_t *q, size_t ql, const uint8_t *g,
                     size_t gl, const uint8_t *x, size_t xl, struct bn_ct_dsa **out)
{
    SSL_ENSURE(out && p && q && g && x, SSLBadParameterErr);
    *out = NULL;
    pl = trim(&p, pl);
    ql = trim(&q, ql);
    gl = trim(&g, gl);
    xl = trim(&x, xl);
    SSL_ENSURE(pl && pl <= 1024 && ql >= 2 && ql <= 32 && ql <= pl && gl && gl <= pl && xl && xl <= ql,
               SSLBadParameterErr);
    SSL_ENSURE((p[pl - 1] & 1) && (q[ql - 1] & 1), SSLBadParameterErr);
    mp_size_t pn = limbs_for(pl), qn = limbs_for(ql);
    size_t limbs = (size_t)(2 * pn + 2 * qn);
    struct bn_ct_dsa *k = calloc(1, sizeof *k + limbs * sizeof(mp_limb_t));
    SSL_ENSURE(k, SSLMemoryErr);
    k->limbs = limbs;
    k->qbytes = ql;
    k->pn = pn, k->qn = qn;
    k->p = k->mem;
    k->g = k->p + pn;
    k->q = k->g + pn;
    k->x = k->q + qn;
    from_be(k->p, pn, p, pl);
    from_be(k->g, pn, g, gl);
    from_be(k->q, qn, q, ql);
    from_be(k->x, qn, x, xl);
    k->qbits = bits_of(k->q, qn);
    if (mpn_cmp(k->g, k->p, pn) >= 0 || mpn_cmp(k->x, k->q, qn) >= 0) { /* load time only */
        bn_ct_dsa_free(k);
        return SSLBadParameterErr;
    }
    *out = k;
    return SSLNoErr;
}

void bn_ct_dsa_free(struct bn_ct_dsa *k)
{
    if (!k)
        return;
    wipe(k, sizeof *k + k->limbs * sizeof(mp_limb_t));
    free(k);
}

/* FIPS 186-4 §4.6 with the nonce blinded: r = (g^(k + j q) mod p) mod q, s = k^-1 (h + x r) mod q */
SSLErr bn_ct_dsa_sign(const struct bn_ct_dsa *k, const uint8_t *hash, size_t hlen, uint8_t *rout,
                      uint8_t *sout, cry_rand_fn rnd, void *rnd_ref)
{
    SSL_ENSURE(k && hash && rout && sout && rnd, SSLBadParameterErr);
    mp_size_t pn = k->pn, qn = k->qn, kn = limbs_for(k->qbytes + 8), bn = qn + 1;
    mp_bitcnt_t enb = k->qbits + 64; /* k + j q < 2^64 q */
    size_t itch = 0;
    itch = max2(itch, (size_t)mpn_sec_div_r_itch(qn + 1, qn));
    itch = max2(itch, (size_t)mpn_sec_div_r_itch(kn, qn));
    itch = max2(itch, (size_t)mpn_sec_div_r_itch(pn, qn));
    itch = max2(itch, (size_t)mpn_sec_div_r_itch(2 * qn, qn));
    itch = max2(itch, (size_t)mpn_sec_mul_itch(qn, 1));
    itch = max2(itch, (size_t)mpn_sec_mul_itch(qn, qn));
    itch = max2(itch, (size_t)mpn_sec_powm_itch(pn, enb, pn));
    itch = max2(itch, (size_t)mpn_sec_invert_itch(qn));
    mp_size_t wide = pn > 2 * qn + 1 ? pn : 2 * qn + 1;
    wide = wide > kn ? wide : kn;
    /* h kk kb R r ki u s | w tp */
    size_t total = (size_t)(qn + qn + bn + pn + qn + qn + 2 * qn + qn) + (size_t)wide + itch;
    mp_limb_t *mem = calloc(total, sizeof *mem);
    SSL_ENSURE(mem, SSLMemoryErr);
    mp_limb_t *h = mem, *kk = h + qn, *kb = kk + qn, *R = kb + bn, *r = R + pn, *ki = r + qn;
    mp_limb_t *u = ki + qn, *s = u + 2 * qn, *w = s + qn, *tp = w + wide;
    uint8_t rb[32 + 8 + 8];
    SSLErr err = SSLUnknownErr;
    size_t hl = hlen < k->qbytes ? hlen : k->qbytes; /* leftmost bytes of the hash */
    from_be(w, qn + 1, hash, hl);
    mpn_sec_div_r(w, qn + 1, k->q, qn, tp);
    memcpy(h, w, (size_t)qn * sizeof *h);

    for (int tries = 0; tries < 16; tries++) {
        /* k: qbytes + 8 random bytes mod q */
        if ((err = rnd(rnd_ref, rb, k->qbytes + 8)) != SSLNoErr)
            goto done;
        from_be(w, kn, rb, k->qbytes + 8);
        mpn_sec_div_r(w, kn, k->q, qn, tp);
        memcpy(kk, w, (size_t)qn * sizeof *kk);
        /* j: 64 random bits, top bit set */
        if ((err = rnd(rnd_ref, rb, 8)) != SSLNoErr)
            goto done;
        mp_limb_t j = 0;
        from_be(&j, 1, rb, 8);
        j |= (mp_limb_t)1 << (GMP_NUMB_BITS - 1);
        err = SSLUnknownErr;
        if (is_zero(kk, qn)) /* probability ~1/q: a random event, not a secret */
            continue;
        /* kb = k + j q on qn + 1 limbs */
        mpn_sec_mul(kb, k->q, qn, &j, 1, tp);
        memset(w, 0, (size_t)bn * sizeof *w);
        memcpy(w, kk, (size_t)qn * sizeof *w);
        mpn_add_n(kb, kb, w, bn);
        j = 0;
        /* r = (g^kb mod p) mod q: g has order q, so g^kb = g^k */
        mpn_sec_powm(R, k->g, pn, kb, enb, k->p, pn, tp);
        memcpy(w, R, (size_t)pn * sizeof *w);
        if (pn >= qn)
            mpn_sec_div_r(w, pn, k->q, qn, tp);
        memcpy(r, w, (size_t)qn * sizeof *r);
        if (is_zero(r, qn))
            continue;
        /* ki = k^-1 mod q (mpn_sec_invert; q is odd) */
        if (!ct_invert(ki, kk, k->q, qn, k->qbits, w, tp))
            continue;
        /* u = h + x r mod q; s = ki u mod q */
        mpn_sec_mul(u, k->x, qn, r, qn, tp);
        memset(w, 0, (size_t)(2 * qn) * sizeof *w);
        memcpy(w, h, (size_t)qn * sizeof *w);
        mpn_add_n(u, u, w, 2 * qn); /* < q^2 + q: no carry out of 2 qn limbs */
        mpn_sec_div_r(u, 2 * qn, k->q, qn, tp);
        mul_mod(s, ki, u, k->q, qn, w, tp);
        if (is_zero(s, qn))
            continue;
        to_be(rout, k->qbytes, r, qn);
        to_be(sout, k->qbytes, s, qn);
        err = SSLNoErr;
        break;
    }
done:
    wipe(rb, sizeof rb);
    wipe(mem, total * sizeof *mem);
    free(mem);
    return err;
}

/* ---- Diffie-Hellman ---- */

/* out = base^exp mod p with mpn_sec_powm: the exponent is read as exactly 8 explen bits, so its
 * value (leading zeros included) never changes the work done. base and p are public. */
SSLErr bn_ct_modexp(const uint8_t *base, size_t bl, const uint8_t *exp, size_t el,
                    const uint8_t *mod, size_t ml, uint8_t *out)
{
    SSL_ENSURE(base && exp && mod && out && el > 0 && el <= BN_CT_MAX_BYTES, SSLBadParameterErr);
    const uint8_t *m = mod, *b = base;
    size_t mtl = trim(&m, ml), btl = trim(&b, bl); /* public numbers */
    SSL_ENSURE(mtl > 0 && mtl <= BN_CT_MAX_BYTES && (m[mtl - 1] & 1) && btl > 0 && btl <= mtl,
               SSLBadParameterErr);
    SSL_ENSURE(mtl > 1 || m[0] > 1, SSLBadParameterErr);
    mp_size_t n = limbs_for(mtl), en = limbs_for(el);
    mp_bitcnt_t enb = (mp_bitcnt_t)el * 8;
    size_t itch = (size_t)mpn_sec_powm_itch(n, enb, n);
    itch = max2(itch, (size_t)mpn_sec_div_r_itch(n, n));
    /* mm bb ee rr | tp */
    size_t total = (size_t)(4 * n + en) + itch;
    mp_limb_t *mem = calloc(total, sizeof *mem);
    SSL_ENSURE(mem, SSLMemoryErr);
    mp_limb_t *mm = mem, *bb = mm + n, *ee = bb + n, *rr = ee + en, *tp = rr + n;
    SSLErr err = SSLNoErr;
    from_be(mm, n, m, mtl);
    from_be(bb, n, b, btl);
    from_be(ee, en, exp, el);
    if (mpn_cmp(bb, mm, n) >= 0) /* public: reduce a base that is not below p */
        mpn_sec_div_r(bb, n, mm, n, tp);
    if (mpn_zero_p(bb, n)) { /* public: 0^x carries no secret and mpn_sec_powm wants B > 0 */
        err = SSLBadParameterErr;
        goto done;
    }
    mpn_sec_powm(rr, bb, n, ee, enb, mm, n, tp);
    memset(out, 0, ml - mtl);
    to_be(out + (ml - mtl), mtl, rr, n);
done:
    wipe(mem, total * sizeof *mem);
    free(mem);
    return err;
}

/* ---- ECDSA (prime-order groups: P-256, P-384) ---- */

#define EC_MAX_BYTES 66

/* 1 if a[0..n) < b[0..n), as a limb mask-free 0/1 without a data-dependent branch. */
static int ct_less(const mp_limb_t *a, const mp_limb_t *b, mp_size_t n, mp_limb_t *t)
{
    return (int)mpn_sub_n(t, a, b, n); /* the borrow out: a < b */
}

int bn_ct_ec_scalar(const uint8_t *k, const uint8_t *n, size_t nl, uint8_t *kfix)
{
    if (!k || !n || !kfix || nl == 0 || nl > EC_MAX_BYTES || n[0] == 0)
        return 0;
    mp_size_t ln = limbs_for(nl + 1);
    mp_limb_t kk[EC_MAX_BYTES / LB + 2], nn[EC_MAX_BYTES / LB + 2], t[EC_MAX_BYTES / LB + 2];
    from_be(kk, ln, k, nl);
    from_be(nn, ln, n, nl);
    mp_bitcnt_t nbits = bits_of(nn, ln); /* public */
    /* 2 <= k < n: k - 2 does not borrow, k - n does (see bn_ct.h for why not k = 1) */
    mp_limb_t two[EC_MAX_BYTES / LB + 2];
    memset(two, 0, sizeof two);
    two[0] = 2;
    int ok = (ct_less(kk, two, ln, t) ^ 1) & ct_less(kk, nn, ln, t);
    /* kk = k + n; if bit nbits of it is clear, add n once more: bits(kk) = nbits + 1 always */
    mpn_add_n(kk, kk, nn, ln);
    mp_limb_t top = (kk[nbits / GMP_NUMB_BITS] >> (nbits % GMP_NUMB_BITS)) & 1;
    mpn_cnd_add_n(top ^ 1, kk, kk, nn, ln);
    to_be(kfix, nl + 1, kk, ln);
    wipe(kk, sizeof kk);
    wipe(t, sizeof t);
    return ok;
}

SSLErr bn_ct_ecdsa_s(const uint8_t *n, size_t nl, const uint8_t *d, const uint8_t *k,
                     const uint8_t *e, const uint8_t *r, uint8_t *s, cry_rand_fn rnd,
                     void *rnd_ref)
{
    SSL_ENSURE(n && d && k && e && r && s && rnd && nl > 0 && nl <= EC_MAX_BYTES && n[0] != 0 &&
                   (n[nl - 1] & 1),
               SSLBadParameterErr);
    mp_size_t qn = limbs_for(nl), bn = limbs_for(nl + 8);
    mp_size_t wide = 2 * qn > bn ? 2 * qn : bn;
    size_t itch = 0;
    itch = max2(itch, (size_t)mpn_sec_mul_itch(qn, qn));
    itch = max2(itch, (size_t)mpn_sec_div_r_itch(2 * qn, qn));
    itch = max2(itch, (size_t)mpn_sec_div_r_itch(qn, qn));
    itch = max2(itch, (size_t)mpn_sec_div_r_itch(bn, qn));
    itch = max2(itch, (size_t)(3 * qn) + max2((size_t)mpn_sec_mul_itch(qn, qn),
                                              (size_t)mpn_sec_div_r_itch(2 * qn, qn))); /* invert */
    /* q x kk ee rr ki bu ku | u (2 qn) | w (wide) | tp */
    size_t total = (size_t)(8 * qn + 2 * qn) + (size_t)wide + itch;
    mp_limb_t *mem = calloc(total, sizeof *mem);
    SSL_ENSURE(mem, SSLMemoryErr);
    mp_limb_t *q = mem, *x = q + qn, *kk = x + qn, *ee = kk + qn, *rr = ee + qn, *ki = rr + qn;
    mp_limb_t *bu = ki + qn, *ku = bu + qn, *u = ku + qn, *w = u + 2 * qn, *tp = w + wide;
    uint8_t rb[EC_MAX_BYTES + 8];
    SSLErr err = SSLNoErr;
    from_be(q, qn, n, nl);
    from_be(x, qn, d, nl);
    from_be(kk, qn, k, nl);
    from_be(ee, qn, e, nl);
    from_be(rr, qn, r, nl);
    /* e < 2^bits(n) < 2n: one reduction (the hash is public; done the same way regardless) */
    mpn_sec_div_r(ee, qn, q, qn, tp);
    /*
     * ki = k^-1 mod n, blinded as RSA's r^-1 is: bu uniform-ish in [0, n) (nl + 8 random bytes
     * reduced), mpz_invert (fast, variable time) sees only k bu, which is independent of k for a
     * fresh uniform bu; k^-1 = (k bu)^-1 bu. (mpn_sec_invert here cost ~18 us at P-256, 15 times
     * mpz_invert.) k bu is not invertible only for bu = 0 mod n (k is in [1, n), n prime), a
     * random event: draw again.
     */
    for (int tries = 0;; tries++) {
        if (tries == 16) {
            err = SSLUnknownErr;
            goto done;
        }
        if ((err = rnd(rnd_ref, rb, nl + 8)) != SSLNoErr)
            goto done;
        from_be(w, bn, rb, nl + 8);
        mpn_sec_div_r(w, bn, q, qn, tp);
        memcpy(bu, w, (size_t)qn * sizeof *bu);
        mul_mod(ku, kk, bu, q, qn, w, tp); /* k bu mod n */
        if (blinded_invert(ki, ku, bu, q, qn, tp))
            break;
    }
    /* u = e + d r mod n; s = ki u mod n */
    mpn_sec_mul(u, x, qn, rr, qn, tp);
    memset(w, 0, (size_t)(2 * qn) * sizeof *w);
    memcpy(w, ee, (size_t)qn * sizeof *w);
    mpn_add_n(u, u, w, 2 * qn); /* < n^2 + n: no carry out of 2 qn limbs */
    mpn_sec_div_r(u, 2 * qn, q, qn, tp);
    mpn_sec_mul(w, ki, qn, u, qn, tp);
    mpn_sec_div_r(w, 2 * qn, q, qn, tp);
    /* s = 0 (probability ~1/n) leaves as nl zero bytes: the caller draws a new nonce */
    to_be(s, nl, w, qn);
done:
    wipe(rb, sizeof rb);
    wipe(mem, total * sizeof *mem);
    free(mem);
    return err;
}

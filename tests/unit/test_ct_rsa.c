/*
 * test_ct_rsa.c - the constant-time private-key code (crypto/bn_ct.c) against GMP's mpz reference
 * arithmetic computed here: RSA private operations on keys generated in the test (odd sizes, p < q
 * and p > q), fixed-length output with leading zeros through cry_rsa_private, the CRT fault check
 * on corrupted keys, base blinding (the RNG is drawn and its failures surface), and DSA signatures
 * whose exponent is provably k + j*q (a generator of the wrong order exposes the exponent used).
 * Keys come from a fixed-seed gmp_randstate: the run is reproducible.
 */
#include <criterion/criterion.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/bn_ct.h"
#include "crypto/crypto_ltc.h"
#include "sslref/sslx.h"
#include "testutil.h"

static size_t put(const mpz_t z, uint8_t *b) /* big-endian, no leading zeros (0 -> 0 bytes) */
{
    size_t n = 0;
    mpz_export(b, &n, 1, 1, 1, 0, z);
    return n;
}

static void put_fixed(const mpz_t z, uint8_t *b, size_t len)
{
    size_t n = (mpz_sizeinbase(z, 2) + 7) / 8;
    cr_assert(mpz_sgn(z) == 0 || n <= len);
    memset(b, 0, len);
    if (mpz_sgn(z))
        mpz_export(b + len - n, NULL, 1, 1, 1, 0, z);
}

struct ref_rsa {
    mpz_t n, e, d, p, q, dp, dq, qi;
};

static void ref_rsa_gen(struct ref_rsa *k, gmp_randstate_t rs, unsigned pbits, unsigned qbits)
{
    mpz_inits(k->n, k->e, k->d, k->p, k->q, k->dp, k->dq, k->qi, NULL);
    mpz_t t, pm, qm;
    mpz_inits(t, pm, qm, NULL);
    mpz_set_ui(k->e, 65537);
    for (;;) {
        mpz_urandomb(k->p, rs, pbits);
        mpz_setbit(k->p, pbits - 1);
        mpz_setbit(k->p, pbits - 2);
        mpz_nextprime(k->p, k->p);
        mpz_urandomb(k->q, rs, qbits);
        mpz_setbit(k->q, qbits - 1);
        mpz_setbit(k->q, qbits - 2);
        mpz_nextprime(k->q, k->q);
        mpz_sub_ui(pm, k->p, 1);
        mpz_sub_ui(qm, k->q, 1);
        mpz_mul(t, pm, qm);
        if (mpz_cmp(k->p, k->q) != 0 && mpz_invert(k->d, k->e, t))
            break;
    }
    mpz_mul(k->n, k->p, k->q);
    mpz_mod(k->dp, k->d, pm);
    mpz_mod(k->dq, k->d, qm);
    mpz_invert(k->qi, k->q, k->p);
    mpz_clears(t, pm, qm, NULL);
}

static void ref_rsa_clear(struct ref_rsa *k)
{
    mpz_clears(k->n, k->e, k->d, k->p, k->q, k->dp, k->dq, k->qi, NULL);
}

static struct bn_ct_rsa *ct_key(const struct ref_rsa *k)
{
    static uint8_t b[8][1100];
    size_t l[8];
    const mpz_srcptr z[8] = {k->n, k->e, k->p, k->q, k->dp, k->dq, k->qi, k->d};
    for (int i = 0; i < 8; i++)
        l[i] = put(z[i], b[i]);
    struct bn_ct_rsa *ct = NULL;
    cr_assert_eq(bn_ct_rsa_new(b[0], l[0], b[1], l[1], b[2], l[2], b[3], l[3], b[4], l[4], b[5],
                               l[5], b[6], l[6], &ct),
                 SSLNoErr);
    return ct;
}

/* ---- randomness: getrandom-like, counting, failing, or scripted and logged ---- */
struct rng {
    uint64_t state;
    int calls, fail_at;
    size_t sizes[16];
    uint8_t log[16][64];
    int zeros;
};

static SSLErr rng_fn(void *ref, uint8_t *out, size_t n)
{
    struct rng *r = ref;
    int c = r->calls++;
    if (r->fail_at && c + 1 == r->fail_at)
        return SSLIOErr;
    for (size_t i = 0; i < n; i++) {
        r->state ^= r->state << 13, r->state ^= r->state >> 7, r->state ^= r->state << 17;
        out[i] = r->zeros ? 0 : (uint8_t)(r->state >> 24);
    }
    if (c < 16) {
        r->sizes[c] = n;
        memcpy(r->log[c], out, n < 64 ? n : 64);
    }
    return SSLNoErr;
}

/* in^d mod n for many random and edge inputs, at sizes that are and are not whole limbs */
Test(ct_rsa, matches_mpz_reference)
{
    static const unsigned sizes[][2] = {{256, 256}, {500, 524}, {520, 500}, {512, 512},
                                        {1024, 1024}, {700, 330}, {64, 64}};
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 13);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        struct ref_rsa k;
        ref_rsa_gen(&k, rs, sizes[s][0], sizes[s][1]);
        struct bn_ct_rsa *ct = ct_key(&k);
        size_t nb = bn_ct_rsa_bytes(ct);
        cr_assert_eq(nb, (mpz_sizeinbase(k.n, 2) + 7) / 8);
        struct rng g = {.state = 0x1234567 + s};
        mpz_t c, m;
        mpz_inits(c, m, NULL);
        uint8_t in[300], out[300], want[300];
        for (int i = 0; i < 60; i++) {
            if (i == 0)
                mpz_set_ui(c, 0);
            else if (i == 1)
                mpz_set_ui(c, 1);
            else if (i == 2)
                mpz_sub_ui(c, k.n, 1);
            else if (i < 20) { /* results with (i - 2) mod nb leading zero bytes: c = m^e */
                mpz_urandomb(m, rs, 8 * (nb - (size_t)(i - 2) % nb));
                mpz_mod(m, m, k.n);
                mpz_powm(c, m, k.e, k.n);
            } else
                mpz_urandomm(c, rs, k.n);
            mpz_powm(m, c, k.d, k.n);
            put_fixed(c, in, nb);
            put_fixed(m, want, nb);
            memset(out, 0xee, sizeof out);
            cr_assert_eq(bn_ct_rsa_private(ct, in, out, rng_fn, &g), SSLNoErr, "size %zu i %d", s, i);
            cr_assert_arr_eq(out, want, nb, "size %zu/%zu bits, input %d", (size_t)sizes[s][0],
                             (size_t)sizes[s][1], i);
            cr_assert_eq(out[nb], 0xee, "wrote past the modulus length");
        }
        cr_assert_gt(g.calls, 0, "the base is blinded: randomness is drawn");
        mpz_clears(c, m, NULL);
        bn_ct_rsa_free(ct);
        ref_rsa_clear(&k);
    }
    gmp_randclear(rs);
}

/* A wrong CRT number (dP, dQ or qInv) gives SSLUnknownErr and an all-zero output, not a result,
 * on both paths (IFMA where the CPU has it: the check is m^e = c mod p and mod q; else mod n). */
Test(ct_rsa, fault_check_catches_corrupt_crt)
{
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 7);
    struct ref_rsa k;
    ref_rsa_gen(&k, rs, 512, 512);
    mpz_srcptr which[3] = {k.dp, k.dq, k.qi};
    uint8_t in[128], out[128];
    mpz_t c;
    mpz_init(c);
    mpz_urandomm(c, rs, k.n);
    size_t nb = (mpz_sizeinbase(k.n, 2) + 7) / 8;
    put_fixed(c, in, nb);
    struct rng g = {.state = 99};
    struct bn_ct_rsa *good = ct_key(&k);
    cr_assert_eq(bn_ct_rsa_private(good, in, out, rng_fn, &g), SSLNoErr);
    bn_ct_rsa_free(good);
    for (int w = 0; w < 3; w++)
        for (unsigned flags = 0; flags <= BN_CT_RSA_PORTABLE; flags += BN_CT_RSA_PORTABLE) {
            mpz_combit((mpz_ptr)which[w], 3); /* a one-bit fault in one CRT number */
            struct bn_ct_rsa *bad = ct_key(&k);
            memset(out, 0x55, sizeof out);
            cr_assert_eq(bn_ct_rsa_private_flags(bad, in, out, rng_fn, &g, flags), SSLUnknownErr,
                         "number %d, flags %u", w, flags);
            for (size_t i = 0; i < nb; i++)
                cr_assert_eq(out[i], 0, "a faulty result left the function (number %d)", w);
            bn_ct_rsa_free(bad);
            mpz_combit((mpz_ptr)which[w], 3);
        }
    mpz_clear(c);
    ref_rsa_clear(&k);
    gmp_randclear(rs);
}

/* Blinding: a failing RNG fails the operation; an RNG of zeros (r u = 0, never invertible) is refused
 * after its retries instead of producing an unblinded result; different draws give one answer. */
Test(ct_rsa, blinding_draws_and_checks_randomness)
{
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 3);
    struct ref_rsa k;
    ref_rsa_gen(&k, rs, 512, 512);
    struct bn_ct_rsa *ct = ct_key(&k);
    size_t nb = bn_ct_rsa_bytes(ct);
    uint8_t in[128], a[128], b[128];
    mpz_t c;
    mpz_init(c);
    mpz_urandomm(c, rs, k.n);
    put_fixed(c, in, nb);
    struct rng f = {.state = 1, .fail_at = 1};
    cr_assert_eq(bn_ct_rsa_private(ct, in, a, rng_fn, &f), SSLIOErr);
    struct rng z = {.state = 1, .zeros = 1};
    cr_assert_eq(bn_ct_rsa_private(ct, in, a, rng_fn, &z), SSLUnknownErr);
    cr_assert_eq(z.calls, 32); /* 16 tries, each drawing r and the inverse's blind u */
    struct rng g1 = {.state = 5}, g2 = {.state = 6};
    cr_assert_eq(bn_ct_rsa_private(ct, in, a, rng_fn, &g1), SSLNoErr);
    cr_assert_eq(bn_ct_rsa_private(ct, in, b, rng_fn, &g2), SSLNoErr);
    cr_assert_arr_eq(a, b, nb);
    cr_assert_eq(g1.sizes[0], (nb + 7) / 8 * 8 + 8, "r is drawn one limb wider than n");
    mpz_clear(c);
    bn_ct_rsa_free(ct);
    ref_rsa_clear(&k);
    gmp_randclear(rs);
}

/* ---- the per-key blinding pair (IFMA path): reused, squared, refreshed, shared by threads ---- */
struct blind_job {
    const struct ref_rsa *k;
    struct bn_ct_rsa *ct;
    unsigned seed;
    int ops, bad, fails;
    struct rng g;
};

/* ops private operations on one shared key, each checked against mpz_powm and (every 8th) the
 * portable path; failures are counted (Criterion asserts belong to the main thread) */
static void *blind_worker(void *arg)
{
    struct blind_job *j = arg;
    size_t nb = bn_ct_rsa_bytes(j->ct);
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, j->seed);
    struct rng *g = &j->g;
    g->state = 1000 + j->seed;
    mpz_t c, m;
    mpz_inits(c, m, NULL);
    uint8_t in[300], out[300], port[300], want[300];
    for (int i = 0; i < j->ops; i++) {
        mpz_urandomm(c, rs, j->k->n);
        mpz_powm(m, c, j->k->d, j->k->n);
        put_fixed(c, in, nb);
        put_fixed(m, want, nb);
        if (bn_ct_rsa_private(j->ct, in, out, rng_fn, g) != SSLNoErr)
            j->fails++;
        else if (memcmp(out, want, nb) != 0)
            j->bad++;
        if (i % 8 == 0 &&
            (bn_ct_rsa_private_flags(j->ct, in, port, rng_fn, g, BN_CT_RSA_PORTABLE) != SSLNoErr ||
             memcmp(port, want, nb) != 0))
            j->bad++;
    }
    mpz_clears(c, m, NULL);
    gmp_randclear(rs);
    return NULL;
}

/* One thread: the pair is drawn at the first use and every 32nd after (r and u: 2 draws each),
 * squared in between, and every result is right, across 3 refreshes. Then 4 threads at once on
 * the same key (trylock: a busy pair means a fresh r), 100 operations each. */
Test(ct_rsa, blinding_pair_reused_refreshed_and_shared, .timeout = 120)
{
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 32);
    struct ref_rsa k;
    ref_rsa_gen(&k, rs, 1024, 1024);
    struct bn_ct_rsa *ct = ct_key(&k);
    struct blind_job one = {.k = &k, .ct = ct, .seed = 1, .ops = 100};
    struct rng g = {.state = 3};
    uint8_t in[300], out[300];
    size_t nb = bn_ct_rsa_bytes(ct);
    memset(in, 0, nb);
    in[nb - 1] = 2;
    cr_assert_eq(bn_ct_rsa_private(ct, in, out, rng_fn, &g), SSLNoErr);
    cr_assert_eq(g.calls, 2, "the first use draws r and u");
    blind_worker(&one); /* uses 1..100 */
    cr_assert_eq(one.fails, 0);
    cr_assert_eq(one.bad, 0, "%d wrong results on one thread", one.bad);
    if (bn_ct_rsa_ifma(ct)) {
        /* 101 crt uses: draws at 0 (g), 32, 64 and 96 (one.g: 2 calls each), plus the portable
         * path's 2 per call on 13 of the 100 */
        cr_assert_eq(one.g.calls, 3 * 2 + 13 * 2);
    }
    if (bn_ct_rsa_ifma(ct)) {
        /* a forked worker draws its own pair: the parent's (mid-period now) is not reused */
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            struct rng cg = {.state = 99};
            int ok = bn_ct_rsa_private(ct, in, out, rng_fn, &cg) == SSLNoErr;
            _exit(ok && cg.calls == 2 ? 0 : 1);
        }
        int st = 0;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child drew a blinding pair of its own");
    }
    pthread_t th[4];
    struct blind_job jobs[4];
    for (int t = 0; t < 4; t++) {
        jobs[t] = (struct blind_job){.k = &k, .ct = ct, .seed = 10 + (unsigned)t, .ops = 100};
        cr_assert_eq(pthread_create(&th[t], NULL, blind_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        cr_assert_eq(jobs[t].fails, 0, "thread %d", t);
        cr_assert_eq(jobs[t].bad, 0, "thread %d: %d wrong results", t, jobs[t].bad);
    }
    bn_ct_rsa_free(ct);
    ref_rsa_clear(&k);
    gmp_randclear(rs);
}

static SSLRSAPrivateKey *pem_key(const char *file)
{
    size_t n;
    const char *pem = test_data_file(file, &n);
    SSLRSAPrivateKey *k = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(pem, n, &k), SSLNoErr, "%s", file);
    return k;
}

/* Through the adapter: cry_rsa_private undoes cry_rsa_public for plaintexts with 0..40 leading
 * zero bytes, always writing exactly the modulus length. */
Test(ct_rsa, adapter_fixed_length_output)
{
    const char *files[] = {"server-key-pkcs1.pem", "server1024-key.pem", "export512-key.pem"};
    for (size_t fi = 0; fi < 3; fi++) {
        SSLRSAPrivateKey *k = pem_key(files[fi]);
        uint8_t n[512], e[8], m[512], c[512], out[520];
        size_t nl = sizeof n, el = sizeof e;
        cr_assert_eq(cry_rsa_key_public(k, n, &nl, e, &el), SSLNoErr);
        struct rng g = {.state = 77 + fi};
        for (size_t zeros = 0; zeros <= 40; zeros++) {
            cr_assert_eq(rng_fn(&g, m, nl), SSLNoErr);
            memset(m, 0, zeros + 1); /* m < n */
            cr_assert_eq(cry_rsa_public(n, nl, e, el, m, nl, c), SSLNoErr);
            memset(out, 0xee, sizeof out);
            cr_assert_eq(cry_rsa_private(k, c, nl, out), SSLNoErr);
            cr_assert_arr_eq(out, m, nl, "%s, %zu leading zero bytes", files[fi], zeros + 1);
            cr_assert_eq(out[nl], 0xee);
        }
        cry_rsa_key_release(k);
    }
}

/* ---- DSA ---- */
struct ref_dsa {
    mpz_t p, q, g, x, y;
};

static void ref_dsa_gen(struct ref_dsa *k, gmp_randstate_t rs)
{
    mpz_inits(k->p, k->q, k->g, k->x, k->y, NULL);
    mpz_t t, e;
    mpz_inits(t, e, NULL);
    mpz_urandomb(k->q, rs, 160);
    mpz_setbit(k->q, 159);
    mpz_nextprime(k->q, k->q);
    do { /* p = X - (X mod 2q) + 1, 1024 bits, prime */
        mpz_urandomb(k->p, rs, 1024);
        mpz_setbit(k->p, 1023);
        mpz_mul_ui(t, k->q, 2);
        mpz_mod(e, k->p, t);
        mpz_sub(k->p, k->p, e);
        mpz_add_ui(k->p, k->p, 1);
    } while (mpz_sizeinbase(k->p, 2) != 1024 || !mpz_probab_prime_p(k->p, 30));
    mpz_sub_ui(e, k->p, 1);
    mpz_divexact(e, e, k->q);
    for (unsigned long h = 2;; h++) {
        mpz_set_ui(t, h);
        mpz_powm(k->g, t, e, k->p);
        if (mpz_cmp_ui(k->g, 1) != 0)
            break;
    }
    mpz_urandomm(k->x, rs, k->q);
    mpz_add_ui(k->x, k->x, 1);
    mpz_powm(k->y, k->g, k->x, k->p);
    mpz_clears(t, e, NULL);
}

static struct bn_ct_dsa *ct_dsa(const struct ref_dsa *k, mpz_srcptr g)
{
    static uint8_t b[4][200];
    size_t l[4];
    const mpz_srcptr z[4] = {k->p, k->q, g, k->x};
    for (int i = 0; i < 4; i++)
        l[i] = put(z[i], b[i]);
    struct bn_ct_dsa *ct = NULL;
    cr_assert_eq(bn_ct_dsa_new(b[0], l[0], b[1], l[1], b[2], l[2], b[3], l[3], &ct), SSLNoErr);
    return ct;
}

/* r, s of FIPS 186-4 from the RNG log: k from draw 0 (mod q), exponent k + j*q with j from draw 1 */
static void ref_sign(const struct ref_dsa *k, mpz_srcptr g, const struct rng *lg, const uint8_t *h,
                     size_t hl, int blinded, mpz_t r, mpz_t s)
{
    mpz_t kk, j, ex, hz;
    mpz_inits(kk, j, ex, hz, NULL);
    mpz_import(kk, lg->sizes[0], 1, 1, 1, 0, lg->log[0]);
    mpz_mod(kk, kk, k->q);
    mpz_import(j, 8, 1, 1, 1, 0, lg->log[1]);
    mpz_setbit(j, 63);
    mpz_mul(ex, j, k->q);
    mpz_add(ex, ex, kk);
    mpz_powm(r, g, blinded ? ex : kk, k->p);
    mpz_mod(r, r, k->q);
    mpz_import(hz, hl < 20 ? hl : 20, 1, 1, 1, 0, h);
    mpz_mul(s, k->x, r);
    mpz_add(s, s, hz);
    mpz_invert(kk, kk, k->q);
    mpz_mul(s, s, kk);
    mpz_mod(s, s, k->q);
    mpz_clears(kk, j, ex, hz, NULL);
}

Test(ct_dsa, signatures_match_reference_and_verify)
{
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 186);
    struct ref_dsa k;
    ref_dsa_gen(&k, rs);
    struct bn_ct_dsa *ct = ct_dsa(&k, k.g);
    cr_assert_eq(bn_ct_dsa_qbytes(ct), 20);
    uint8_t P[128], Q[20], G[128], Y[128], sig[40], h[36];
    put_fixed(k.p, P, 128), put_fixed(k.q, Q, 20), put_fixed(k.g, G, 128), put_fixed(k.y, Y, 128);
    mpz_t r, s, rr, ss;
    mpz_inits(r, s, rr, ss, NULL);
    for (int i = 0; i < 40; i++) {
        struct rng g = {.state = 1000 + (uint64_t)i};
        size_t hl = i % 2 ? 36 : 20; /* MD5+SHA-1 as SSL 3.0 signs: truncated to q's length */
        for (size_t b = 0; b < hl; b++)
            h[b] = (uint8_t)(i * 31 + b * 7);
        cr_assert_eq(bn_ct_dsa_sign(ct, h, hl, sig, sig + 20, rng_fn, &g), SSLNoErr);
        cr_assert_eq(g.calls, 2, "one draw for k, one for j");
        cr_assert_eq(g.sizes[0], 28);
        cr_assert_eq(g.sizes[1], 8);
        ref_sign(&k, k.g, &g, h, hl, 1, rr, ss);
        mpz_import(r, 20, 1, 1, 1, 0, sig);
        mpz_import(s, 20, 1, 1, 1, 0, sig + 20);
        cr_assert(mpz_cmp(r, rr) == 0 && mpz_cmp(s, ss) == 0, "signature %d", i);
        cr_assert(cry_dsa_verify(P, 128, Q, 20, G, 128, Y, 128, h, hl, sig, 40), "verify %d", i);
        sig[39] ^= 1;
        cr_assert(!cry_dsa_verify(P, 128, Q, 20, G, 128, Y, 128, h, hl, sig, 40));
    }
    mpz_clears(r, s, rr, ss, NULL);
    bn_ct_dsa_free(ct);
    gmp_randclear(rs);
}

/* With a base whose order is not q, g^k != g^(k + j q): r shows which exponent ran. */
Test(ct_dsa, nonce_is_blinded_k_plus_jq)
{
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 187);
    struct ref_dsa k;
    ref_dsa_gen(&k, rs);
    mpz_t two, r, rb, rp, s;
    mpz_inits(two, r, rb, rp, s, NULL);
    mpz_set_ui(two, 2);
    struct bn_ct_dsa *ct = ct_dsa(&k, two);
    uint8_t sig[40], h[20] = {9, 8, 7};
    for (int i = 0; i < 8; i++) {
        struct rng g = {.state = 50 + (uint64_t)i};
        cr_assert_eq(bn_ct_dsa_sign(ct, h, 20, sig, sig + 20, rng_fn, &g), SSLNoErr);
        mpz_import(r, 20, 1, 1, 1, 0, sig);
        ref_sign(&k, two, &g, h, 20, 1, rb, s);
        ref_sign(&k, two, &g, h, 20, 0, rp, s);
        cr_assert(mpz_cmp(rb, rp) != 0, "the test needs g of order other than q");
        cr_assert(mpz_cmp(r, rb) == 0, "exponent was not k + j*q (try %d)", i);
    }
    struct rng f = {.state = 1, .fail_at = 2};
    cr_assert_eq(bn_ct_dsa_sign(ct, h, 20, sig, sig + 20, rng_fn, &f), SSLIOErr);
    mpz_clears(two, r, rb, rp, s, NULL);
    bn_ct_dsa_free(ct);
    gmp_randclear(rs);
}

/* Shapes bn_ct refuses before any arithmetic: even moduli, oversized CRT numbers, x >= q. */
Test(ct_rsa, refuses_bad_shapes)
{
    uint8_t n[2] = {0x0c, 0x35}, e[1] = {3}, p[1] = {0x3d}, q[1] = {0x33}, ev[2] = {0x0c, 0x34};
    uint8_t big[2] = {1, 1};
    struct bn_ct_rsa *k = NULL;
    cr_assert_eq(bn_ct_rsa_new(ev, 2, e, 1, p, 1, q, 1, p, 1, q, 1, p, 1, &k), SSLBadParameterErr);
    cr_assert_eq(bn_ct_rsa_new(n, 2, e, 1, p, 1, q, 1, big, 2, q, 1, p, 1, &k), SSLBadParameterErr);
    cr_assert_null(k);
    struct bn_ct_dsa *d = NULL;
    uint8_t dp[2] = {0x0c, 0x35}, dq[2] = {0x01, 0x35}, dg[1] = {2}, dx[2] = {0x01, 0x36};
    cr_assert_eq(bn_ct_dsa_new(dp, 2, dq, 2, dg, 1, dx, 2, &d), SSLBadParameterErr);
    cr_assert_null(d);
}

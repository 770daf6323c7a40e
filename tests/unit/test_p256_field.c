/*
 * test_p256_field.c - the field arithmetic of crypto/p256.c's MULX/ADX compilation (p256_adx.c,
 * issue 18 point 3) against GMP, operation by operation, on the values where a carry, a borrow or
 * the final subtraction of p changes the result: 0, 1, 2, p - 1, p - 2, (p +- 1) / 2, 2^255, R mod p,
 * words of all ones or zeros, and pseudo-random values below p. fe_mul and fe_sqr must give
 * a b / 2^256 mod p, fe_add and fe_sub a + b and a - b mod p, each fully reduced (below p), also when
 * the output is one of the inputs. The file includes p256_adx.c (the functions are static), with
 * the two public names renamed so that they do not clash with the library's. On a CPU without BMI2
 * and ADX the cases assert that the CPU indeed lacks them (the path cannot run there).
 */
#include <criterion/criterion.h>
#include <gmp.h>
#include <stdio.h>
#include <string.h>

#define p256_mul_adx fieldtest_p256_mul_adx
#define p256_base_mul_adx fieldtest_p256_base_mul_adx
#include "../../core/src/crypto/p256_adx.c"

static uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);
static uint64_t next64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cpu_has(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5)) {
            char pat[32];
            snprintf(pat, sizeof pat, " %s ", flag);
            size_t n = strlen(line);
            if (n && line[n - 1] == '\n')
                line[n - 1] = ' ';
            found = strstr(line, pat) != NULL;
        }
    if (f)
        fclose(f);
    return found;
}

#ifdef P256_ADX

enum { NVAL = 40 };
static fe vals[NVAL];
static mpz_t mp, mr, mrinv; /* p, R = 2^256, R^-1 mod p */

static void to_mpz(mpz_t z, const fe a)
{
    mpz_import(z, 4, -1, sizeof a[0], 0, 0, a);
}

static void from_mpz(fe a, const mpz_t z)
{
    memset(a, 0, sizeof(fe));
    mpz_export(a, NULL, -1, sizeof a[0], 0, 0, z);
}

static void setup(void)
{
    mpz_inits(mp, mr, mrinv, NULL);
    to_mpz(mp, P);
    mpz_setbit(mr, 256);
    cr_assert(mpz_invert(mrinv, mr, mp));
    mpz_t z;
    mpz_init(z);
    int n = 0;
    const long small[] = {0, 1, 2, 3};
    for (int i = 0; i < 4; i++) {
        mpz_set_si(z, small[i]);
        from_mpz(vals[n++], z);
    }
    const long below_p[] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        mpz_sub_ui(z, mp, (unsigned long)below_p[i]);
        from_mpz(vals[n++], z);
    }
    mpz_fdiv_q_2exp(z, mp, 1); /* (p - 1) / 2 */
    from_mpz(vals[n++], z);
    mpz_add_ui(z, z, 1); /* (p + 1) / 2 */
    from_mpz(vals[n++], z);
    mpz_set_ui(z, 0);
    mpz_setbit(z, 255);
    from_mpz(vals[n++], z);
    mpz_mod(z, mr, mp); /* R mod p: 1 in Montgomery form */
    from_mpz(vals[n++], z);
    mpz_set_ui(z, 0);
    mpz_setbit(z, 64);
    mpz_sub_ui(z, z, 1); /* one word of ones */
    from_mpz(vals[n++], z);
    mpz_set_ui(z, 0);
    mpz_setbit(z, 192);
    from_mpz(vals[n++], z);
    mpz_set_ui(z, 0);
    mpz_setbit(z, 224);
    mpz_sub_ui(z, z, 1); /* the 224 low bits set */
    from_mpz(vals[n++], z);
    while (n < NVAL) { /* random below p */
        fe a = {next64(), next64(), next64(), next64()};
        to_mpz(z, a);
        mpz_mod(z, z, mp);
        from_mpz(vals[n++], z);
    }
    mpz_clear(z);
}

static void teardown(void)
{
    mpz_clears(mp, mr, mrinv, NULL);
}

static void expect_fe(const fe got, const mpz_t want, const char *op, int i, int j)
{
    fe w;
    from_mpz(w, want);
    cr_expect(memcmp(got, w, sizeof w) == 0, "%s of values %d and %d differs from GMP", op, i, j);
}

TestSuite(p256_field, .init = setup, .fini = teardown);

Test(p256_field, against_gmp_on_edges)
{
    if (!cry_p256_fast_path()) { /* the path cannot run here: make sure that is why */
        cr_assert(!cpu_has("bmi2") || !cpu_has("adx"), "BMI2 and ADX listed but the path not chosen");
        return;
    }
    mpz_t a, b, r;
    mpz_inits(a, b, r, NULL);
    int checked = 0;
    for (int i = 0; i < NVAL; i++)
        for (int j = 0; j < NVAL; j++) {
            fe out, alias;
            to_mpz(a, vals[i]);
            to_mpz(b, vals[j]);

            mpz_mul(r, a, b);
            mpz_mul(r, r, mrinv);
            mpz_mod(r, r, mp);
            fe_mul(out, vals[i], vals[j]);
            expect_fe(out, r, "fe_mul", i, j);
            memcpy(alias, vals[i], sizeof alias);
            fe_mul(alias, alias, vals[j]);
            expect_fe(alias, r, "fe_mul into its first operand", i, j);

            mpz_add(r, a, b);
            mpz_mod(r, r, mp);
            fe_add(out, vals[i], vals[j]);
            expect_fe(out, r, "fe_add", i, j);
            memcpy(alias, vals[j], sizeof alias);
            fe_add(alias, vals[i], alias);
            expect_fe(alias, r, "fe_add into its second operand", i, j);

            mpz_sub(r, a, b);
            mpz_mod(r, r, mp);
            fe_sub(out, vals[i], vals[j]);
            expect_fe(out, r, "fe_sub", i, j);
            memcpy(alias, vals[i], sizeof alias);
            fe_sub(alias, alias, vals[j]);
            expect_fe(alias, r, "fe_sub into its first operand", i, j);
            checked++;
        }
    for (int i = 0; i < NVAL; i++) {
        fe out;
        to_mpz(a, vals[i]);
        mpz_mul(r, a, a);
        mpz_mul(r, r, mrinv);
        mpz_mod(r, r, mp);
        fe_sqr(out, vals[i]);
        expect_fe(out, r, "fe_sqr", i, i);
        fe_sqr(out, out);
        mpz_mul(r, r, r);
        mpz_mul(r, r, mrinv);
        mpz_mod(r, r, mp);
        expect_fe(out, r, "fe_sqr in place", i, i);
    }
    /* fe_half (C, the same in both compilations): a / 2 mod p, in place too */
    mpz_t half;
    mpz_init(half);
    mpz_set_ui(half, 2);
    cr_assert(mpz_invert(half, half, mp));
    for (int i = 0; i < NVAL; i++) {
        fe out;
        to_mpz(a, vals[i]);
        mpz_mul(r, a, half);
        mpz_mod(r, r, mp);
        fe_half(out, vals[i]);
        expect_fe(out, r, "fe_half", i, i);
        fe_half(out, out);
        mpz_mul(r, r, half);
        mpz_mod(r, r, mp);
        expect_fe(out, r, "fe_half in place", i, i);
    }
    mpz_clear(half);
    cr_expect_eq(checked, NVAL * NVAL);
    mpz_clears(a, b, r, NULL);
}

#endif

Test(p256_field, fast_path_chosen_when_the_cpu_has_it)
{
    if (cpu_has("bmi2") && cpu_has("adx")) {
#ifdef P256_ADX
        cr_assert(cry_p256_fast_path(), "BMI2 and ADX listed but the MULX/ADX path not chosen");
#else
        cr_log_warn("p256: this compiler builds no MULX/ADX path; only the portable one is tested");
#endif
    } else {
        cr_assert(!cry_p256_fast_path(), "the MULX/ADX path chosen on a CPU without BMI2 or ADX");
    }
}

/* Both paths on the same inputs: random scalars times random points and times G, and the edge
 * scalars 0, 1, 2, n - 1, n, n + 1 and 2^256 - 1; the results and return codes must be equal (the
 * fast path is checked against libtomcrypt in test_p256.c). */
Test(p256_field, paths_agree, .timeout = 300)
{
    static const char *edges[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000001",
        "0000000000000000000000000000000000000000000000000000000000000002",
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550",
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632552",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    };
    int n_edges = (int)(sizeof edges / sizeof edges[0]), compared = 0;
    uint8_t pt[64];
    uint8_t seed[32] = {0x5e, 0xed};
    cr_assert_eq(cry_p256_base_mul_ex(pt, seed, CRY_P256_PORTABLE), 0);
    for (int it = 0; it < 300 + n_edges; it++) {
        uint8_t k[32], a[64], b[64];
        if (it < n_edges) {
            for (int i = 0; i < 32; i++) {
                unsigned v;
                cr_assert_eq(sscanf(edges[it] + 2 * i, "%2x", &v), 1);
                k[i] = (uint8_t)v;
            }
        } else {
            for (int i = 0; i < 4; i++) {
                uint64_t v = next64();
                memcpy(k + 8 * i, &v, 8);
            }
        }
        int ra = cry_p256_base_mul_ex(a, k, CRY_P256_PORTABLE), rb = cry_p256_base_mul_ex(b, k, 0);
        cr_assert_eq(ra, rb, "k G: return codes differ at case %d", it);
        cr_assert(memcmp(a, b, 64) == 0, "k G: the paths differ at case %d", it);
        ra = cry_p256_mul_ex(a, k, pt, CRY_P256_PORTABLE);
        rb = cry_p256_mul_ex(b, k, pt, 0);
        cr_assert_eq(ra, rb, "k P: return codes differ at case %d", it);
        cr_assert(memcmp(a, b, 64) == 0, "k P: the paths differ at case %d", it);
        if (it >= n_edges) /* the next point: this product (never the identity for random k) */
            memcpy(pt, a, 64);
        compared++;
    }
    cr_expect_eq(compared, 300 + n_edges);
}

#ifndef P256_ADX
Test(p256_field, against_gmp_on_edges)
{
    cr_assert(!cry_p256_fast_path(), "a fast path is selected but not built into this test");
}
#endif

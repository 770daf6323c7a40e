/*
 * test_x25519_field.c - the field arithmetic of crypto/x25519.c's MULX/ADX path (issue 18 point 3)
 * against its portable 51-bit arithmetic, operation by operation, on the representations that whole
 * X25519 runs almost never produce: the fast path keeps values below 2^256 (fq_mul and fq_sq return
 * them below 2^255 + 2^11, which fq_addsub and fq_sub need), so the carry and borrow folds, the final
 * subtraction of p in fq_tobytes ([p, 2^255 + 19)) and the folds of 2^256 and 2^255 need inputs such
 * as 2^256 - 1, 2^255 + 2^11 - 1, p + k and 2^255 + k. Every operation's result is encoded
 * canonically and compared with the portable result on the same residues; fq_mul's and fq_sq's must
 * also be below 2^255 + 2^11. The file includes
 * x25519.c itself (its functions are static), with the public names renamed so that they do not clash
 * with the library's. Skipped (with an assertion that the CPU indeed lacks BMI2/ADX) elsewhere.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define cry_x25519 fieldtest_x25519
#define cry_x25519_ex fieldtest_x25519_ex
#define cry_x25519_base fieldtest_x25519_base
#define cry_x25519_base_ex fieldtest_x25519_base_ex
#define cry_x25519_fast_path fieldtest_x25519_fast_path
#include "../../core/src/crypto/x25519.c"

#if X25519_ADX

#define FAST __attribute__((target("bmi2,adx")))

/* The portable element of the residue of a 256-bit value: bit 255 folds back as 19. */
static void ref_of(fe r, const fq x)
{
    uint8_t b[32];
    for (int i = 0; i < 4; i++)
        store64_le(b + 8 * i, x[i]);
    fe_frombytes(r, b);
    r[0] += 19 * (x[3] >> 63);
}

static void hex(char out[65], const uint8_t b[32])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", b[31 - i]);
}

static void same(const char *op, const fq got, const fe want, const fq f, const fq g)
{
    uint8_t a[32], b[32];
    char ha[65], hb[65];
    fq_tobytes(a, got);
    fe_tobytes(b, want);
    hex(ha, a);
    hex(hb, b);
    cr_assert_str_eq(ha, hb, "%s(%016llx..%016llx, %016llx..%016llx): fast %s, portable %s", op,
                     (unsigned long long)f[3], (unsigned long long)f[0], (unsigned long long)g[3],
                     (unsigned long long)g[0], ha, hb);
}

/* fq_mul and fq_sq must return nearly reduced values (below 2^255 + 2^11), which fq_addsub and
 * fq_sub rely on. */
static int nearly_reduced(const fq x)
{
    return (x[3] >> 63) == 0 || (x[3] == UINT64_C(1) << 63 && x[2] == 0 && x[1] == 0 && x[0] < 2048);
}

/* x itself when nearly reduced, else x - 2^255 (bit 255 cleared): edge values stay edge values
 * (2^256 - 1 becomes 2^255 - 1) within what fq_addsub and fq_sub accept. */
static void near_of(fq r, const fq x)
{
    memcpy(r, x, sizeof(fq));
    if (!nearly_reduced(r))
        r[3] &= UINT64_MAX >> 1;
}

static FAST void fast_ops(fq add, fq sub, fq subf, fq mul, fq sq, fq small, const fq f, const fq g,
                          const fq nf, const fq ng)
{
    fq_addsub(add, sub, nf, ng);
    fq_sub(subf, f, ng); /* only the subtrahend needs to be nearly reduced */
    fq_mul(mul, f, g);
    fq_sq(sq, f);
    fq_mul_small_add(small, g, f, 121665);
}

/* The same operations with the result written over an input (the ladder and the inverse do this:
 * fq_sq(t, t), fq_mul(a, a, c), ...): the assembly must read every input limb before storing. The
 * results must be the very same limbs as those of the unaliased calls. */
static FAST void check_aliased(const fq add, const fq sub, const fq subf, const fq mul, const fq sq,
                               const fq small, const fq f, const fq g, const fq nf, const fq ng)
{
    fq x, y, z;
#define ALIAS(what, a, b, call, want)                                                                   \
    do {                                                                                               \
        memcpy(x, a, sizeof x);                                                                        \
        memcpy(y, b, sizeof y);                                                                        \
        call;                                                                                          \
        cr_assert_eq(memcmp(what, want, sizeof x), 0, "%s differs when aliased", #call);              \
    } while (0)
    ALIAS(x, nf, ng, fq_addsub(x, z, x, y), add);
    ALIAS(y, nf, ng, fq_addsub(y, z, x, y), add);
    ALIAS(x, nf, ng, fq_addsub(z, x, x, y), sub);
    ALIAS(y, nf, ng, fq_addsub(z, y, x, y), sub);
    ALIAS(x, f, ng, fq_sub(x, x, y), subf);
    ALIAS(y, f, ng, fq_sub(y, x, y), subf);
    ALIAS(x, f, g, fq_mul(x, x, y), mul);
    ALIAS(y, f, g, fq_mul(y, x, y), mul);
    ALIAS(x, f, g, fq_sq(x, x), sq);
    ALIAS(y, f, g, fq_mul_small_add(y, y, x, 121665), small);
    ALIAS(x, f, g, fq_mul_small_add(x, y, x, 121665), small);
#undef ALIAS
    fq m2;
    fq_mul(m2, f, f);
    memcpy(x, f, sizeof x);
    fq_mul(x, x, x);
    cr_assert_eq(memcmp(x, m2, sizeof x), 0, "fq_mul(x, x, x) differs from fq_mul(m, f, f)");
}

static void check_pair(const fq f, const fq g)
{
    fq nf, ng, add, sub, subf, mul, sq, small;
    static const fe one = { 1, 0, 0, 0, 0 };
    fe rf, rg, rnf, rng, r;
    near_of(nf, f);
    near_of(ng, g);
    fast_ops(add, sub, subf, mul, sq, small, f, g, nf, ng);
    check_aliased(add, sub, subf, mul, sq, small, f, g, nf, ng);
    ref_of(rf, f); /* limbs below 2^51 + 19: carried */
    ref_of(rg, g);
    ref_of(rnf, nf);
    ref_of(rng, ng);
    fe_add(r, rnf, rng);
    fe_mul(r, r, one); /* carried again for fe_tobytes */
    same("add", add, r, nf, ng);
    fe_sub(r, rnf, rng);
    fe_mul(r, r, one);
    same("sub", sub, r, nf, ng);
    fe_sub(r, rf, rng);
    fe_mul(r, r, one);
    same("sub (any minuend)", subf, r, f, ng);
    fe_mul(r, rf, rg);
    same("mul", mul, r, f, g);
    cr_assert(nearly_reduced(mul), "fq_mul(%016llx.., %016llx..) is not below 2^255 + 2^11",
              (unsigned long long)f[3], (unsigned long long)g[3]);
    fe_sq(r, rf);
    same("sq", sq, r, f, g);
    cr_assert(nearly_reduced(sq), "fq_sq(%016llx..) is not below 2^255 + 2^11", (unsigned long long)f[3]);
    fe_mul_small(r, rf, 121665);
    fe_add(r, r, rg);
    fe_mul(r, r, one);
    same("mul_small_add", small, r, f, g);
    same("tobytes", f, rf, f, f);
}

#define M UINT64_MAX
/* Values at the edges of the representation: around 0, 19, 38, p, 2^255, 2^255 + 2^11, 2^256. */
static const fq edges[] = {
    { 0, 0, 0, 0 }, { 1, 0, 0, 0 }, { 18, 0, 0, 0 }, { 19, 0, 0, 0 }, { 37, 0, 0, 0 }, { 38, 0, 0, 0 },
    { M, 0, 0, 0 }, { 0, 0, 0, UINT64_C(1) << 63 },           /* 2^255 = p + 19 */
    { M - 19, M, M, M >> 1 }, { M - 18, M, M, M >> 1 },        /* p - 1, p */
    { M - 17, M, M, M >> 1 }, { M, M, M, M >> 1 },             /* p + 1, 2^255 - 1 */
    { 18, 0, 0, UINT64_C(1) << 63 }, { 19, 0, 0, UINT64_C(1) << 63 }, /* 2^255 + 18, 2^255 + 19 */
    { M - 38, M, M, M }, { M - 37, M, M, M }, { M - 36, M, M, M }, /* 2^256 - 39, -38, -37 */
    { M - 1, M, M, M }, { M, M, M, M },                       /* 2^256 - 2, 2^256 - 1 */
    { M - 37, M, M, M >> 1 }, { M, 0, M, 0 },                 /* p - 19, mixed words */
    { 2047, 0, 0, UINT64_C(1) << 63 }, { 2048, 0, 0, UINT64_C(1) << 63 }, /* 2^255 + 2^11 - 1, + 2^11 */
};
#define NEDGES (sizeof edges / sizeof edges[0])

Test(x25519_field, edge_values_all_pairs)
{
    if (!fieldtest_x25519_fast_path()) /* test_x25519 asserts that this matches /proc/cpuinfo */
        cr_skip_test("no BMI2/ADX on this CPU");
    for (size_t i = 0; i < NEDGES; i++)
        for (size_t j = 0; j < NEDGES; j++)
            check_pair(edges[i], edges[j]);
}

Test(x25519_field, random_and_near_edge_values)
{
    uint64_t s = 0x9e3779b97f4a7c15u;
    if (!fieldtest_x25519_fast_path())
        cr_skip_test("no BMI2/ADX on this CPU");
    for (int n = 0; n < 20000; n++) {
        fq v[2];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < 4; i++) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                v[k][i] = s;
            }
            if (n % 3 == 1) { /* an edge value plus or minus a little (mod 2^64 in limb 0) */
                memcpy(v[k], edges[(s >> 8) % NEDGES], sizeof v[k]);
                v[k][0] += (s >> 32) % 64 - 32;
            } else if (n % 3 == 2) /* long runs of ones or zeros */
                for (int i = 1; i < 4; i++)
                    v[k][i] = (v[k][i] & 1) ? M : 0;
        }
        check_pair(v[0], v[1]);
    }
}

#else

Test(x25519_field, no_fast_path_in_this_build)
{
    cr_assert_eq(fieldtest_x25519_fast_path(), 0);
}

#endif

/*
 * test_x25519_field.c - the field arithmetic of crypto/x25519.c's MULX/ADX path (issue 18 point 3)
 * against its portable 51-bit arithmetic, operation by operation, on the representations that whole
 * X25519 runs almost never produce: the fast path keeps any value below 2^256, so the second carry of
 * fq_add, the second borrow of fq_sub, the final subtraction of p in fq_tobytes ([p, 2^255 + 19)) and
 * the folds of 2^256 need inputs such as 2^256 - 1, p + k and 2^255 + k. Every operation's result is
 * encoded canonically and compared with the portable result on the same residues. The file includes
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

static FAST void fast_ops(fq add, fq sub, fq mul, fq sq, fq small, const fq f, const fq g)
{
    fq_add(add, f, g);
    fq_sub(sub, f, g);
    fq_mul(mul, f, g);
    fq_sq(sq, f);
    fq_mul_small_add(small, g, f, 121665);
}

/* The same operations with the result written over an input (the ladder and the inverse do this:
 * fq_sq(t, t), fq_mul(a, a, c), ...): the assembly must read every input limb before storing. The
 * results must be the very same limbs as those of the unaliased calls. */
static FAST void check_aliased(const fq add, const fq sub, const fq mul, const fq sq, const fq small,
                               const fq f, const fq g)
{
    fq x, y;
#define ALIAS(what, call, want)                                                                         \
    do {                                                                                               \
        memcpy(x, f, sizeof x);                                                                        \
        memcpy(y, g, sizeof y);                                                                        \
        call;                                                                                          \
        cr_assert_eq(memcmp(what, want, sizeof x), 0, "%s differs when aliased", #call);              \
    } while (0)
    ALIAS(x, fq_add(x, x, y), add);
    ALIAS(y, fq_add(y, x, y), add);
    ALIAS(x, fq_sub(x, x, y), sub);
    ALIAS(y, fq_sub(y, x, y), sub);
    ALIAS(x, fq_mul(x, x, y), mul);
    ALIAS(y, fq_mul(y, x, y), mul);
    ALIAS(x, fq_sq(x, x), sq);
    ALIAS(y, fq_mul_small_add(y, y, x, 121665), small);
    ALIAS(x, fq_mul_small_add(x, y, x, 121665), small);
#undef ALIAS
    fq_addsub(x, y, f, g); /* the fused pair gives the very limbs of fq_add and fq_sub */
    cr_assert_eq(memcmp(x, add, sizeof x), 0, "fq_addsub's sum differs from fq_add");
    cr_assert_eq(memcmp(y, sub, sizeof y), 0, "fq_addsub's difference differs from fq_sub");
    fq m2;
    fq_mul(m2, f, f);
    memcpy(x, f, sizeof x);
    fq_mul(x, x, x);
    cr_assert_eq(memcmp(x, m2, sizeof x), 0, "fq_mul(x, x, x) differs from fq_mul(m, f, f)");
}

static void check_pair(const fq f, const fq g)
{
    fq add, sub, mul, sq, small;
    static const fe one = { 1, 0, 0, 0, 0 };
    fe rf, rg, r;
    fast_ops(add, sub, mul, sq, small, f, g);
    check_aliased(add, sub, mul, sq, small, f, g);
    ref_of(rf, f); /* limbs below 2^51 + 19: carried */
    ref_of(rg, g);
    fe_add(r, rf, rg);
    fe_mul(r, r, one); /* carried again for fe_tobytes */
    same("add", add, r, f, g);
    fe_sub(r, rf, rg);
    fe_mul(r, r, one);
    same("sub", sub, r, f, g);
    fe_mul(r, rf, rg);
    same("mul", mul, r, f, g);
    fe_sq(r, rf);
    same("sq", sq, r, f, g);
    fe_mul_small(r, rf, 121665);
    fe_add(r, r, rg);
    fe_mul(r, r, one);
    same("mul_small_add", small, r, f, g);
    same("tobytes", f, rf, f, f);
}

#define M UINT64_MAX
/* Values at the edges of the representation: around 0, 19, 38, p, 2^255, 2^256. */
static const fq edges[] = {
    { 0, 0, 0, 0 }, { 1, 0, 0, 0 }, { 18, 0, 0, 0 }, { 19, 0, 0, 0 }, { 37, 0, 0, 0 }, { 38, 0, 0, 0 },
    { M, 0, 0, 0 }, { 0, 0, 0, UINT64_C(1) << 63 },           /* 2^255 = p + 19 */
    { M - 19, M, M, M >> 1 }, { M - 18, M, M, M >> 1 },        /* p - 1, p */
    { M - 17, M, M, M >> 1 }, { M, M, M, M >> 1 },             /* p + 1, 2^255 - 1 */
    { 18, 0, 0, UINT64_C(1) << 63 }, { 19, 0, 0, UINT64_C(1) << 63 }, /* 2^255 + 18, 2^255 + 19 */
    { M - 38, M, M, M }, { M - 37, M, M, M }, { M - 36, M, M, M }, /* 2^256 - 39, -38, -37 */
    { M - 1, M, M, M }, { M, M, M, M },                       /* 2^256 - 2, 2^256 - 1 */
    { M - 37, M, M, M >> 1 }, { M, 0, M, 0 },                 /* p - 19, mixed words */
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

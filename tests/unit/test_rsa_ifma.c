/*
 * test_rsa_ifma.c - the AVX-512 IFMA exponentiation (crypto/rsa_ifma.c) against GMP's mpz_powm on
 * random odd moduli of every supported limb count and on 2^k - 1 and 2^(k-1) + 1 (edge bases 0,
 * 1, m - 1, m - 2, 2^(k-1); exponents with the top bits set, clear, all ones, zero; two different
 * moduli in one call), and bn_ct_rsa_private with the IFMA path against the forced mpn_sec_powm
 * path (BN_CT_RSA_PORTABLE) and mpz_powm with d, on the RSA keys in tests/data and on random keys
 * of 1024 to 4096 bits. On a CPU with AVX-512 IFMA and VL the IFMA path must be taken
 * (bn_ct_rsa_ifma); on one without, only the fallback is checked and the IFMA-only tests say
 * that they were skipped. Fixed seeds: reproducible. Also: an exponentiation leaves no secret on
 * the stack below it or in the vector registers (rsa_ifma.c's burn()).
 */
#include <criterion/criterion.h>
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/bn_ct.h"
#include "crypto/crypto_ltc.h"
#include "crypto/rsa_ifma.h"
#include "sslref/sslx.h"
#include "testutil.h"

static int cpu_has_ifma(void)
{
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512ifma");
#else
    return 0;
#endif
}

static void need_ifma(void)
{
    cr_assert_eq(cry_ifma_cpu(), cpu_has_ifma());
    if (!cpu_has_ifma())
        cr_skip_test("this CPU has no AVX-512 IFMA: only the mpn_sec_powm path is tested");
}

static void to_limbs(uint64_t *r, size_t n, const mpz_t z)
{
    size_t cnt = 0;
    memset(r, 0, n * sizeof *r);
    cr_assert(mpz_sizeinbase(z, 2) <= 64 * n || mpz_sgn(z) == 0);
    mpz_export(r, &cnt, -1, sizeof *r, 0, 0, z);
}

static void from_limbs(mpz_t z, const uint64_t *a, size_t n)
{
    mpz_import(z, n, -1, sizeof *a, 0, 0, a);
}

/* 1 if /proc/cpuinfo lists all of flags (space-separated), 0 if not, -1 without /proc */
static int cpuinfo_has(const char *const *flags, int n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    static char line[8192];
    if (!f)
        return -1;
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        found = 1;
        for (int i = 0; i < n; i++) {
            char want[64];
            snprintf(want, sizeof want, " %s", flags[i]);
            size_t wl = strlen(want);
            const char *p = line;
            int ok = 0;
            while ((p = strstr(p, want)) != NULL) {
                if (p[wl] == ' ' || p[wl] == '\n' || p[wl] == '\0') {
                    ok = 1;
                    break;
                }
                p += wl;
            }
            found &= ok;
        }
        break;
    }
    fclose(f);
    return found;
}

Test(rsa_ifma, cpu_query_matches_cpuid)
{
    static const char *const flags[] = {"avx512f", "avx512vl", "avx512ifma"};
    int listed = cpuinfo_has(flags, 3);
    if (listed >= 0) /* the kernel's view, independent of __builtin_cpu_supports */
        cr_assert_eq(cry_ifma_cpu(), listed, "cry_ifma_cpu() disagrees with /proc/cpuinfo");
    cr_assert_eq(cry_ifma_cpu(), cpu_has_ifma());
    cr_assert_eq(cry_ifma_limbs(1024), 20);
    cr_assert_eq(cry_ifma_limbs(1038), 20);
    cr_assert_eq(cry_ifma_limbs(1039), 32);
    cr_assert_eq(cry_ifma_limbs(1536), 32);
    cr_assert_eq(cry_ifma_limbs(2048), 40);
    cr_assert_eq(cry_ifma_limbs(2078), 40);
    cr_assert_eq(cry_ifma_limbs(2079), 0);
}

Test(rsa_ifma, mont_init_refuses_bad_moduli)
{
    uint64_t m[41] = {0}, big[41];
    struct cry_ifma_mont c;
    m[0] = 0x1234; /* even */
    cr_assert_eq(cry_ifma_mont_init(&c, m, 1, 13, 0), -1);
    memset(big, 0xff, sizeof big); /* 2560 bits: too long */
    cr_assert_eq(cry_ifma_mont_init(&c, big, 40, 2560, 0), -1);
    m[0] = 0x1235;
    cr_assert_eq(cry_ifma_mont_init(&c, m, 1, 13, 21), -1); /* not a supported limb count */
    cr_assert_eq(cry_ifma_mont_init(&c, m, 1, 13, 0), 0);
    cr_assert_eq(c.nl, 20);
    cr_assert_eq(cry_ifma_mont_init(&c, m, 1, 13, 40), 0);
    cr_assert_eq(c.nl, 40);
    memset(big, 0xff, sizeof big); /* 1040 bits cannot use 20 limbs */
    cr_assert_eq(cry_ifma_mont_init(&c, big, 17, 1040, 20), -1);
}

/* base^exp mod m for two cases at once, checked against mpz_powm. */
static void check_pair(gmp_randstate_t rs, unsigned bits1, unsigned bits2, unsigned ebits, int i)
{
    mpz_t m[2], b[2], e[2], want, got;
    uint64_t M[2][CRY_IFMA_MAX], B[2][CRY_IFMA_MAX], E[2][CRY_IFMA_MAX], R[2][CRY_IFMA_MAX];
    struct cry_ifma_mont c[2];
    unsigned bits[2] = {bits1, bits2};
    unsigned nl = cry_ifma_limbs(bits1 > bits2 ? bits1 : bits2);
    mpz_inits(want, got, NULL);
    for (int h = 0; h < 2; h++) {
        mpz_inits(m[h], b[h], e[h], NULL);
        mpz_urandomb(m[h], rs, bits[h]);
        mpz_setbit(m[h], bits[h] - 1);
        mpz_setbit(m[h], 0);
        if (i % 11 == 3) { /* m = 2^bits - 1: every 52-bit limb all ones (carries ripple) */
            mpz_set_ui(m[h], 1);
            mpz_mul_2exp(m[h], m[h], bits[h]);
            mpz_sub_ui(m[h], m[h], 1);
        } else if (i % 11 == 6 && bits[h] > 2) { /* m = 2^(bits - 1) + 1: limbs mostly zero */
            mpz_set_ui(m[h], 1);
            mpz_mul_2exp(m[h], m[h], bits[h] - 1);
            mpz_add_ui(m[h], m[h], 1);
        }
        switch ((i + h) % 8) {
        case 0: mpz_set_ui(b[h], 0); break;
        case 1: mpz_set_ui(b[h], 1); break;
        case 2: mpz_sub_ui(b[h], m[h], 1); break;
        case 3: /* m - 2 (the other half of the pair gets an edge of its own) */
            mpz_sub_ui(b[h], m[h], mpz_cmp_ui(m[h], 2) > 0 ? 2 : 1);
            break;
        case 4: mpz_set_ui(b[h], 1), mpz_mul_2exp(b[h], b[h], bits[h] - 1), mpz_mod(b[h], b[h], m[h]);
            break;
        default: mpz_urandomm(b[h], rs, m[h]);
        }
        switch ((i / 8 + h) % 5) {
        case 0: mpz_urandomb(e[h], rs, ebits), mpz_setbit(e[h], ebits - 1); break; /* top set */
        case 1: mpz_urandomb(e[h], rs, ebits), mpz_clrbit(e[h], ebits - 1); break; /* top clear */
        case 2: /* all ones */
            mpz_set_ui(e[h], 1), mpz_mul_2exp(e[h], e[h], ebits), mpz_sub_ui(e[h], e[h], 1);
            break;
        case 3: mpz_set_ui(e[h], (unsigned long)(i % 3)); break; /* 0, 1, 2 */
        default: mpz_urandomb(e[h], rs, ebits);
        }
        size_t n64 = (bits[h] + 63) / 64;
        to_limbs(M[h], CRY_IFMA_MAX, m[h]);
        to_limbs(B[h], n64, b[h]);
        to_limbs(E[h], CRY_IFMA_MAX, e[h]);
        cr_assert_eq(cry_ifma_mont_init(&c[h], M[h], n64, bits[h], nl), 0, "bits %u", bits[h]);
    }
    cry_ifma_powm2(R[0], B[0], E[0], &c[0], R[1], B[1], E[1], &c[1], ebits);
    for (int h = 0; h < 2; h++) {
        mpz_powm(want, b[h], e[h], m[h]);
        from_limbs(got, R[h], c[h].n64);
        cr_assert(mpz_cmp(got, want) == 0, "case %d half %d: %u-bit modulus, %u-bit exponent", i, h,
                  bits[h], ebits);
        mpz_clears(m[h], b[h], e[h], NULL);
    }
    mpz_clears(want, got, NULL);
}

Test(rsa_ifma, powm_matches_mpz_powm)
{
    need_ifma();
    static const unsigned sizes[] = {2, 64, 65, 255, 512, 768, 1000, 1023, 1024, 1038,
                                     1039, 1100, 1536, 1600, 1662, 1663, 2000, 2047, 2048, 2078};
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 52);
    int cases = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int i = 0; i < 16; i++, cases++) {
            unsigned bits = sizes[s] < 3 ? 3 : sizes[s];
            unsigned other = i % 4 == 0 && bits > 40 ? bits - 37 : bits; /* two lengths, one nl */
            unsigned ebits = i % 3 == 0 ? bits : i % 3 == 1 ? bits + 7 : 1 + (unsigned)i;
            check_pair(rs, bits, other, ebits, i);
        }
    cr_assert_geq(cases, 300);
    gmp_randclear(rs);
}

/* ---- the packed squaring against the general packed multiply ---- */

static void to52_limbs(uint64_t *r, unsigned nl, const mpz_t z)
{
    mpz_t t;
    mpz_init_set(t, z);
    for (unsigned j = 0; j < nl; j++) {
        r[j] = mpz_getlimbn(t, 0) & ((UINT64_C(1) << 52) - 1);
        mpz_tdiv_q_2exp(t, t, 52);
    }
    cr_assert_eq(mpz_sgn(t), 0, "value wider than nl limbs");
    mpz_clear(t);
}

static void from52_limbs(mpz_t z, const uint64_t *a, unsigned nl)
{
    mpz_set_ui(z, 0);
    for (unsigned j = nl; j-- > 0;) {
        mpz_mul_2exp(z, z, 52);
        mpz_add_ui(z, z, a[j]);
    }
}

/* operand i of 12 below 2m: 0, 1, m - 1, m, m + 1, 2m - 2, 2m - 1, R/4-ish high limbs, random */
static void sqr_operand(mpz_t a, const mpz_t m, int i, gmp_randstate_t rs)
{
    mpz_t t;
    mpz_init(t);
    switch (i) {
    case 0: mpz_set_ui(a, 0); break;
    case 1: mpz_set_ui(a, 1); break;
    case 2: mpz_sub_ui(a, m, 1); break;
    case 3: mpz_set(a, m); break;
    case 4: mpz_add_ui(a, m, 1); break;
    case 5: mpz_mul_2exp(a, m, 1), mpz_sub_ui(a, a, 2); break;
    case 6: mpz_mul_2exp(a, m, 1), mpz_sub_ui(a, a, 1); break;
    case 7: /* all ones up to bits(m): many full 52-bit limbs */
        mpz_set_ui(a, 1), mpz_mul_2exp(a, a, mpz_sizeinbase(m, 2)), mpz_sub_ui(a, a, 1); break;
    default:
        mpz_mul_2exp(t, m, 1);
        mpz_urandomm(a, rs, t);
    }
    mpz_clear(t);
}

Test(rsa_ifma, squaring_matches_multiply)
{
    need_ifma();
    /* 20-limb halves (up to 1038 bits), the only length with the dedicated squaring */
    static const unsigned sizes[][2] = {{3, 5},      {64, 64},     {255, 700},  {512, 512},
                                        {1000, 1038}, {1024, 1024}, {1023, 1024}, {1038, 1037},
                                        {1030, 1038}, {777, 1001},  {1038, 1038}};
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 2222);
    mpz_t m[2], a[2], r, w, R;
    mpz_inits(m[0], m[1], a[0], a[1], r, w, R, NULL);
    int cases = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        struct cry_ifma_mont c[2];
        unsigned nl = cry_ifma_limbs(sizes[s][0] > sizes[s][1] ? sizes[s][0] : sizes[s][1]);
        for (int h = 0; h < 2; h++) {
            uint64_t m64[CRY_IFMA_MAX];
            mpz_urandomb(m[h], rs, sizes[s][h]);
            mpz_setbit(m[h], sizes[s][h] - 1);
            mpz_setbit(m[h], 0);
            to_limbs(m64, (sizes[s][h] + 63) / 64, m[h]);
            cr_assert_eq(cry_ifma_mont_init(&c[h], m64, (sizes[s][h] + 63) / 64, sizes[s][h], nl), 0);
        }
        mpz_set_ui(R, 1);
        mpz_mul_2exp(R, R, 52 * nl);
        for (int i = 0; i < 24; i++, cases++) {
            uint64_t a52[2][CRY_IFMA_MAX], rsq[2 * CRY_IFMA_MAX], rmul[2 * CRY_IFMA_MAX];
            for (int h = 0; h < 2; h++) {
                sqr_operand(a[h], m[h], (i + 5 * h) % 24, rs); /* different edges per half */
                to52_limbs(a52[h], nl, a[h]);
            }
            cr_assert_eq(cry_ifma_sqr2_check(rsq, rmul, a52[0], a52[1], &c[0], &c[1]), 0);
            cr_assert_arr_eq(rsq, rmul, 2 * nl * sizeof *rsq, "%u/%u bits, operand %d",
                             sizes[s][0], sizes[s][1], i);
            for (int h = 0; h < 2; h++) { /* r R = a^2 mod m, r < 2m */
                from52_limbs(r, rsq + h * nl, nl);
                mpz_mul_2exp(w, m[h], 1);
                cr_assert_lt(mpz_cmp(r, w), 0, "%u bits, operand %d: not below 2m",
                             sizes[s][h], i);
                mpz_mul(w, r, R);
                mpz_submul(w, a[h], a[h]);
                cr_assert(mpz_divisible_p(w, m[h]), "%u bits, operand %d: wrong a a / R",
                          sizes[s][h], i);
            }
        }
    }
    cr_assert_geq(cases, 250);
    mpz_clears(m[0], m[1], a[0], a[1], r, w, R, NULL);
    gmp_randclear(rs);
}

/* ---- what an exponentiation leaves on the stack and in the vector registers ---- */

#if defined(__x86_64__)
#define SCAN (40 * 1024) /* below the caller's frame: covers powm2_20's 35 KB and its callers' */

/* Nonzero 8-byte words from SCAN bytes below this function's stack pointer up to 256 bytes
 * below it (its own red zone). Called at the depth of the call under test, right after it. */
static __attribute__((noinline, no_sanitize_address)) size_t stack_residue(void)
{
    uintptr_t sp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    const volatile uint64_t *p = (const volatile uint64_t *)((sp & ~(uintptr_t)63) - SCAN);
    size_t n = 0;
    for (size_t i = 0; i < (SCAN - 256) / 8; i++)
        n += p[i] != 0;
    return n;
}

/* The positive control: a frame of SCAN bytes of 0xA5 where the call's frames will be. */
static __attribute__((noinline)) void fill_stack(void)
{
    volatile uint8_t b[SCAN];
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = 0xA5;
}

struct ifma_call {
    int kind; /* 0: cry_ifma_powm2, 1: cry_ifma_sqr2_check, 2: cry_ifma_powm_pub */
    uint64_t b[2][CRY_IFMA_MAX], e[2][CRY_IFMA_MAX], r[2 * CRY_IFMA_MAX], r2[2 * CRY_IFMA_MAX];
    struct cry_ifma_mont c[2];
};

/* The call, then at once zmm16-31 and bits 128-511 of zmm0-15 into regs (what baseline x86-64
 * code after it never writes: only the IFMA code or burn() can have left them non-zero). */
static __attribute__((noinline, target("avx512f"))) void ifma_call_regs(struct ifma_call *k,
                                                                        uint64_t regs[32][8])
{
    if (k->kind == 0)
        cry_ifma_powm2(k->r, k->b[0], k->e[0], &k->c[0], k->r2, k->b[1], k->e[1], &k->c[1], 1024);
    else if (k->kind == 1)
        (void)cry_ifma_sqr2_check(k->r, k->r2, k->b[0], k->b[1], &k->c[0], &k->c[1]);
    else
        cry_ifma_powm_pub(k->r, k->b[0], k->e[0], 1024, &k->c[0]);
#define ST(i) "vmovdqu64 %%zmm" #i ", " #i "*64(%0)\n\t"
    __asm__ volatile(ST(0) ST(1) ST(2) ST(3) ST(4) ST(5) ST(6) ST(7) ST(8) ST(9) ST(10) ST(11)
                         ST(12) ST(13) ST(14) ST(15) ST(16) ST(17) ST(18) ST(19) ST(20) ST(21)
                             ST(22) ST(23) ST(24) ST(25) ST(26) ST(27) ST(28) ST(29) ST(30) ST(31)
                     :
                     : "r"(regs)
                     : "memory");
#undef ST
}

Test(rsa_ifma, no_residue_on_stack_or_in_vector_registers)
{
    need_ifma();
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 1024);
    static struct ifma_call k;
    mpz_t m, v;
    mpz_inits(m, v, NULL);
    for (int h = 0; h < 2; h++) { /* two 1024-bit moduli (RSA-2048's halves), a random base and
                                     exponent each */
        uint64_t m64[CRY_IFMA_MAX] = {0};
        mpz_urandomb(m, rs, 1024);
        mpz_setbit(m, 1023);
        mpz_setbit(m, 0);
        to_limbs(m64, 16, m);
        cr_assert_eq(cry_ifma_mont_init(&k.c[h], m64, 16, 1024, 0), 0);
        mpz_urandomm(v, rs, m);
        to_limbs(k.b[h], 16, v);
        mpz_urandomb(v, rs, 1024);
        to_limbs(k.e[h], 16, v);
    }
    fill_stack();
    size_t control = stack_residue();
    cr_assert_gt(control, (SCAN - 256) / 8 * 9 / 10, "the scan must see the call's stack: %zu",
                 control);
    static const char *const what[] = {"cry_ifma_powm2", "cry_ifma_sqr2_check",
                                       "cry_ifma_powm_pub"};
    for (k.kind = 0; k.kind < 3; k.kind++) {
        _Alignas(64) uint64_t regs[32][8];
        if (k.kind == 1) /* sqr2_check takes 52-bit limbs (below 2^52 each) */
            for (int h = 0; h < 2; h++)
                for (int j = 0; j < CRY_IFMA_MAX; j++)
                    k.b[h][j] = j < 20 ? k.b[h][j] & ((UINT64_C(1) << 52) - 1) : 0;
        fill_stack();
        ifma_call_regs(&k, regs);
        size_t left = stack_residue();
        /* what remains: return addresses, saved registers, pointers of the frames above burn()'s */
        cr_expect_lt(left, 48, "%s left %zu nonzero words on the stack", what[k.kind], left);
        for (int i = 0; i < 32; i++)
            for (int l = i < 16 ? 2 : 0; l < 8; l++)
                cr_expect_eq(regs[i][l], 0, "%s left zmm%d lane %d = %016llx", what[k.kind], i, l,
                             (unsigned long long)regs[i][l]);
    }
    mpz_clears(m, v, NULL);
    gmp_randclear(rs);
}
#endif

/* ---- bn_ct_rsa_private: IFMA against mpn_sec_powm and mpz_powm ---- */

static SSLErr rng_fn(void *ref, uint8_t *out, size_t n)
{
    uint64_t *s = ref;
    for (size_t i = 0; i < n; i++) {
        *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
        out[i] = (uint8_t)(*s >> 24);
    }
    return SSLNoErr;
}

struct key {
    mpz_t z[9]; /* n e d p q dp dq qinv (PKCS#1 order: n e d p q dP dQ qInv), [8] unused */
};

static size_t put(const mpz_t z, uint8_t *b)
{
    size_t n = 0;
    mpz_export(b, &n, 1, 1, 1, 0, z);
    return n;
}

static struct bn_ct_rsa *ct_key(struct key *k)
{
    static const int order[7] = {0, 1, 3, 4, 5, 6, 7}; /* n e p q dP dQ qInv */
    static uint8_t b[7][520];
    size_t l[7];
    for (int i = 0; i < 7; i++)
        l[i] = put(k->z[order[i]], b[i]);
    struct bn_ct_rsa *ct = NULL;
    cr_assert_eq(bn_ct_rsa_new(b[0], l[0], b[1], l[1], b[2], l[2], b[3], l[3], b[4], l[4], b[5],
                               l[5], b[6], l[6], &ct),
                 SSLNoErr);
    return ct;
}

/* c^d mod n through both paths and mpz_powm, for random c and edges 0, 1, n - 1 */
static void check_key(struct key *k, const char *what, int count)
{
    struct bn_ct_rsa *ct = ct_key(k);
    size_t nb = bn_ct_rsa_bytes(ct);
    int want_ifma = cpu_has_ifma() && mpz_sizeinbase(k->z[3], 2) <= 2078 &&
                    mpz_sizeinbase(k->z[4], 2) <= 2078;
    cr_assert_eq(bn_ct_rsa_ifma(ct), want_ifma, "%s: IFMA path %s", what,
                 want_ifma ? "expected but not taken" : "taken unexpectedly");
    /* r^e and the fault check go through cry_ifma_powm_pub when n fits (here: a wrong one would
     * make every operation fail its fault check) */
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, (unsigned long)nb);
    uint64_t s1 = 0x9e3779b97f4a7c15u, s2 = 0x1234567u;
    mpz_t c, want, got;
    mpz_inits(c, want, got, NULL);
    uint8_t in[512], out1[512], out2[512], w[512];
    for (int i = 0; i < count; i++) {
        if (i == 0)
            mpz_set_ui(c, 0);
        else if (i == 1)
            mpz_set_ui(c, 1);
        else if (i == 2)
            mpz_sub_ui(c, k->z[0], 1);
        else
            mpz_urandomm(c, rs, k->z[0]);
        memset(in, 0, nb);
        size_t cl = (mpz_sizeinbase(c, 2) + 7) / 8;
        if (mpz_sgn(c))
            mpz_export(in + nb - cl, NULL, 1, 1, 1, 0, c);
        mpz_powm(want, c, k->z[2], k->z[0]);
        memset(w, 0, nb);
        size_t wl = (mpz_sizeinbase(want, 2) + 7) / 8;
        if (mpz_sgn(want))
            mpz_export(w + nb - wl, NULL, 1, 1, 1, 0, want);
        cr_assert_eq(bn_ct_rsa_private_flags(ct, in, out1, rng_fn, &s1, 0), SSLNoErr, "%s", what);
        cr_assert_eq(bn_ct_rsa_private_flags(ct, in, out2, rng_fn, &s2, BN_CT_RSA_PORTABLE),
                     SSLNoErr, "%s", what);
        cr_assert_arr_eq(out1, w, nb, "%s: case %d (default path)", what, i);
        cr_assert_arr_eq(out2, w, nb, "%s: case %d (mpn_sec_powm path)", what, i);
    }
    mpz_clears(c, want, got, NULL);
    gmp_randclear(rs);
    bn_ct_rsa_free(ct);
}

/* minimal DER: the next TLV at *p (definite lengths); returns the content, moves *p past it */
static const uint8_t *der_next(const uint8_t **p, const uint8_t *end, int tag, size_t *len)
{
    cr_assert(*p + 2 <= end && **p == tag, "DER tag %02x", tag);
    const uint8_t *q = *p + 1;
    size_t l = *q++;
    if (l & 0x80) {
        int nb = (int)(l & 0x7f);
        cr_assert(nb >= 1 && nb <= 3);
        l = 0;
        while (nb--)
            l = (l << 8) | *q++;
    }
    cr_assert(q + l <= end);
    *len = l;
    *p = q + l;
    return q;
}

static void load_key(struct key *k, const char *file)
{
    size_t n, pos = 0, l;
    const char *pem = test_data_file(file, &n);
    uint8_t *der = NULL;
    uint32_t dl = 0;
    int pkcs8 = strstr(pem, "BEGIN PRIVATE KEY") != NULL;
    cr_assert_eq(SSLXPEMDecode(pem, n, &pos, pkcs8 ? "PRIVATE KEY" : "RSA PRIVATE KEY", &der, &dl),
                 SSLNoErr, "%s", file);
    const uint8_t *p = der, *end = der + dl;
    p = der_next(&p, end, 0x30, &l);
    end = p + l;
    if (pkcs8) { /* version, AlgorithmIdentifier, OCTET STRING { RSAPrivateKey } */
        der_next(&p, end, 0x02, &l);
        der_next(&p, end, 0x30, &l);
        const uint8_t *o = der_next(&p, end, 0x04, &l);
        const uint8_t *oe = o + l;
        p = der_next(&o, oe, 0x30, &l);
        end = p + l;
    }
    der_next(&p, end, 0x02, &l); /* version */
    for (int i = 0; i < 8; i++) {
        const uint8_t *v = der_next(&p, end, 0x02, &l);
        mpz_init(k->z[i]);
        mpz_import(k->z[i], l, 1, 1, 1, 0, v);
    }
    mpz_init(k->z[8]);
    free(der);
}

static void free_key(struct key *k)
{
    for (int i = 0; i < 9; i++)
        mpz_clear(k->z[i]);
}

Test(rsa_ifma, private_on_test_data_keys)
{
    static const char *files[] = {"server-key-pkcs1.pem", "server-key-pkcs8.pem", "client-key.pem",
                                  "ca-key.pem", "server1024-key.pem", "export512-key.pem"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct key k;
        load_key(&k, files[i]);
        check_key(&k, files[i], 12);
        free_key(&k);
    }
}

/* a random key with primes of pbits and qbits (e = 65537), CRT numbers from GMP */
static void gen_key(struct key *k, gmp_randstate_t rs, unsigned pbits, unsigned qbits)
{
    for (int i = 0; i < 9; i++)
        mpz_init(k->z[i]);
    mpz_t *z = k->z, pm, qm, phi;
    mpz_inits(pm, qm, phi, NULL);
    mpz_set_ui(z[1], 65537);
    for (;;) {
        mpz_urandomb(z[3], rs, pbits);
        mpz_setbit(z[3], pbits - 1);
        mpz_nextprime(z[3], z[3]);
        mpz_urandomb(z[4], rs, qbits);
        mpz_setbit(z[4], qbits - 1);
        mpz_nextprime(z[4], z[4]);
        mpz_sub_ui(pm, z[3], 1);
        mpz_sub_ui(qm, z[4], 1);
        mpz_mul(phi, pm, qm);
        if (mpz_cmp(z[3], z[4]) != 0 && mpz_invert(z[2], z[1], phi))
            break;
    }
    mpz_mul(z[0], z[3], z[4]);
    mpz_mod(z[5], z[2], pm);
    mpz_mod(z[6], z[2], qm);
    mpz_invert(z[7], z[4], z[3]);
    mpz_clears(pm, qm, phi, NULL);
}

Test(rsa_ifma, private_on_random_keys, .timeout = 120)
{
    /* RSA-1024/2048/3072/4096 halves, unequal halves (one limb count for both, and p < q, p > q),
     * a half on the 20/32-limb border, and 4200-bit halves (beyond IFMA: fallback) */
    static const unsigned sizes[][2] = {{512, 512},   {1024, 1024}, {1024, 1024}, {1000, 1048},
                                        {1048, 1000}, {1038, 1039}, {1536, 1536}, {2048, 2048},
                                        {2100, 1000}};
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 4096);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        struct key k;
        char what[64];
        gen_key(&k, rs, sizes[s][0], sizes[s][1]);
        snprintf(what, sizeof what, "random %u/%u-bit primes", sizes[s][0], sizes[s][1]);
        check_key(&k, what, 8);
        free_key(&k);
    }
    gmp_randclear(rs);
}

/* b^e mod m with a public exponent (blinding, fault check) against mpz_powm */
Test(rsa_ifma, powm_pub_matches_mpz_powm)
{
    need_ifma();
    static const unsigned sizes[] = {3, 64, 512, 1024, 1038, 1039, 1536, 2047, 2048, 2078};
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 65537);
    mpz_t m, b, e, want, got;
    mpz_inits(m, b, e, want, got, NULL);
    int cases = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int i = 0; i < 12; i++, cases++) {
            unsigned bits = sizes[s], ebits;
            uint64_t M[CRY_IFMA_MAX], B[CRY_IFMA_MAX], E[CRY_IFMA_MAX], R[CRY_IFMA_MAX];
            struct cry_ifma_mont c;
            mpz_urandomb(m, rs, bits);
            mpz_setbit(m, bits - 1);
            mpz_setbit(m, 0);
            if (i == 0)
                mpz_set_ui(b, 0);
            else if (i == 1)
                mpz_set_ui(b, 1);
            else if (i == 2)
                mpz_sub_ui(b, m, 1);
            else
                mpz_urandomm(b, rs, m);
            switch (i % 4) {
            case 0: mpz_set_ui(e, 65537); break;
            case 1: mpz_set_ui(e, 3); break;
            case 2: mpz_urandomb(e, rs, 64); break;
            default: mpz_urandomb(e, rs, bits);
            }
            ebits = mpz_sgn(e) ? (unsigned)mpz_sizeinbase(e, 2) : 1;
            ebits += (unsigned)(i % 3); /* leading zero bits are allowed */
            size_t n64 = (bits + 63) / 64;
            to_limbs(M, CRY_IFMA_MAX, m);
            to_limbs(B, n64, b);
            to_limbs(E, CRY_IFMA_MAX, e);
            cr_assert_eq(cry_ifma_mont_init(&c, M, n64, bits, 0), 0);
            cry_ifma_powm_pub(R, B, E, ebits, &c);
            mpz_powm(want, b, e, m);
            from_limbs(got, R, n64);
            cr_assert(mpz_cmp(got, want) == 0, "case %d: %u-bit modulus, %u-bit exponent", i, bits,
                      ebits);
        }
    cr_assert_geq(cases, 100);
    mpz_clears(m, b, e, want, got, NULL);
    gmp_randclear(rs);
}

/* two bases to one public exponent at once (blinding and fault check mod p and q) against
 * mpz_powm: moduli of one limb count but different lengths, edge bases, small and wide exponents */
Test(rsa_ifma, powm2_pub_matches_mpz_powm)
{
    need_ifma();
    static const unsigned sizes[] = {3, 64, 512, 1024, 1038, 1039, 1536, 1662, 2047, 2078};
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 3);
    mpz_t m[2], b[2], e, want, got;
    mpz_inits(m[0], m[1], b[0], b[1], e, want, got, NULL);
    int cases = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int i = 0; i < 12; i++, cases++) {
            unsigned bits[2] = {sizes[s], sizes[s] > 40 && i % 2 ? sizes[s] - 37 : sizes[s]};
            uint64_t M[2][CRY_IFMA_MAX], B[2][CRY_IFMA_MAX], E[CRY_IFMA_MAX], R[2][CRY_IFMA_MAX];
            struct cry_ifma_mont c[2];
            switch (i % 4) {
            case 0: mpz_set_ui(e, 65537); break;
            case 1: mpz_set_ui(e, 3); break;
            case 2: mpz_urandomb(e, rs, 64); break;
            default: mpz_urandomb(e, rs, bits[0]);
            }
            unsigned ebits = (mpz_sgn(e) ? (unsigned)mpz_sizeinbase(e, 2) : 1) + (unsigned)(i % 3);
            to_limbs(E, CRY_IFMA_MAX, e);
            for (int h = 0; h < 2; h++) {
                mpz_urandomb(m[h], rs, bits[h]);
                mpz_setbit(m[h], bits[h] - 1);
                mpz_setbit(m[h], 0);
                switch ((i + 3 * h) % 6) {
                case 0: mpz_set_ui(b[h], 0); break;
                case 1: mpz_set_ui(b[h], 1); break;
                case 2: mpz_sub_ui(b[h], m[h], 1); break;
                default: mpz_urandomm(b[h], rs, m[h]);
                }
                size_t n64 = (bits[h] + 63) / 64;
                to_limbs(M[h], CRY_IFMA_MAX, m[h]);
                to_limbs(B[h], n64, b[h]);
                cr_assert_eq(cry_ifma_mont_init(&c[h], M[h], n64, bits[h],
                                                cry_ifma_limbs(bits[0])),
                             0);
            }
            cry_ifma_powm2_pub(R[0], B[0], &c[0], R[1], B[1], &c[1], E, ebits);
            for (int h = 0; h < 2; h++) {
                mpz_powm(want, b[h], e, m[h]);
                from_limbs(got, R[h], (bits[h] + 63) / 64);
                cr_assert(mpz_cmp(got, want) == 0, "case %d half %d: %u-bit modulus, %u-bit e", i,
                          h, bits[h], ebits);
            }
        }
    cr_assert_geq(cases, 100);
    mpz_clears(m[0], m[1], b[0], b[1], e, want, got, NULL);
    gmp_randclear(rs);
}

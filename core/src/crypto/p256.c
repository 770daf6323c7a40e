/*
 * p256.c - NIST P-256 scalar multiplication in constant time (p256.h), written from FIPS 186-4,
 * SEC 2 and Renes-Costello-Batina, "Complete addition formulas for prime order elliptic curves"
 * (EUROCRYPT 2016, algorithms 4, 5 and 6 for a = -3).
 *
 * Field: GF(p), p = 2^256 - 2^224 + 2^192 + 2^96 - 1, four 64-bit limbs (little-endian) in
 * Montgomery form (x R mod p, R = 2^256), always fully reduced (< p). Two arithmetics, the same
 * values: portable C, where multiplication is word-by-word Montgomery (CIOS): p = -1 mod 2^64, so the
 * per-word factor is the low word itself; the result is < 2p and one subtraction of p is kept or
 * dropped by a mask, addition and subtraction likewise; and, on x86-64 CPUs with BMI2 and ADX,
 * multiplication, squaring, addition and subtraction in inline assembly (the product by MULX with
 * two carry chains, the reduction by shifts and one MULX per word, comments at P256_REDUCE).
 * Inversion is Fermat's z^(p-2) by a fixed addition chain (the exponent is public).
 *
 * Points: homogeneous projective (X : Y : Z), identity (0 : 1 : 0). The RCB formulas are complete
 * on a prime-order curve: they give the right sum for every pair of inputs (equal points, a point
 * and its negative, the identity on either side), so no input needs a branch.
 *
 * Scalar multiplication, signed (Booth) windows: window i of w bits, with the top bit of the
 * window below it, gives a digit in [-2^(w-1), 2^(w-1)] (recoded without a branch, below), so a
 * table holds only 1..2^(w-1) times its base and a negative digit negates y under a mask.
 * k * P: w = 5, a table T[j] = j P (j = 0..16, T[0] the identity); the 52 digits from the top: 5
 * doublings (in Jacobian coordinates, below), then the complete addition of +-T[|digit|].
 * k * G: w = 7, a table made once of (j + 1) 2^(7 i) G (i = 0..36, j = 0..63) in affine form (x, y),
 * the sum over i of +-entry [i][|digit i| - 1] by the mixed addition (RCB algorithm 5: complete
 * when the affine point is not the identity, which no entry is); a zero digit still adds (a zero
 * entry) and keeps the old sum under a mask. 37 windows of 7 bits cover 259 bits: the top digit
 * takes the carry of any 32-byte k, 2^256 - 1 too. Every scalar takes the same windows whatever
 * its value; a table entry is chosen by reading every entry and keeping one under a mask (no load
 * indexed by a secret); the window index is the public loop counter. Only the checks of a peer's
 * point (public) branch.
 */
#include "crypto/p256.h"
#include <pthread.h>
#include <string.h>
#include "crypto/crypto_ltc.h"

/* This file is compiled twice: here with the portable field (P256_ADX 0), and by p256_adx.c with
 * fe_mul, fe_sqr, fe_add and fe_sub in assembly (P256_ADX 1). Everything above the field is the same text;
 * each compilation defines its own scalar multiplications (p256_mul_portable / p256_mul_adx, ...), and
 * the portable one also the table of multiples of G (both use it: Montgomery form is the same) and the
 * public functions, which choose a path by the CPU (cry_p256_fast_path). */
#ifndef P256_ADX
#define P256_ADX 0
#endif
#include "crypto/mulx4.h"
#if P256_ADX
#define P256_PATH(name) name##_adx
#else
#define P256_PATH(name) name##_portable
#endif

__extension__ typedef unsigned __int128 u128;
typedef uint64_t fe[4];

struct pt {
    fe x, y, z;
};

static const fe P = {UINT64_C(0xFFFFFFFFFFFFFFFF), UINT64_C(0x00000000FFFFFFFF), 0,
                     UINT64_C(0xFFFFFFFF00000001)};
/* In Montgomery form (x R mod p, R = 2^256): 1, R^2 (to convert into the form), b and G. */
static const fe ONE = {UINT64_C(0x0000000000000001), UINT64_C(0xffffffff00000000),
                       UINT64_C(0xffffffffffffffff), UINT64_C(0x00000000fffffffe)};
static const fe RR = {UINT64_C(0x0000000000000003), UINT64_C(0xfffffffbffffffff),
                      UINT64_C(0xfffffffffffffffe), UINT64_C(0x00000004fffffffd)};
static const fe B = {UINT64_C(0xd89cdf6229c4bddf), UINT64_C(0xacf005cd78843090),
                     UINT64_C(0xe5a220abf7212ed6), UINT64_C(0xdc30061d04874834)};
static const fe GX = {UINT64_C(0x79e730d418a9143c), UINT64_C(0x75ba95fc5fedb601),
                      UINT64_C(0x79fb732b77622510), UINT64_C(0x18905f76a53755c6)};
static const fe GY = {UINT64_C(0xddf25357ce95560a), UINT64_C(0x8b4ab8e4ba19e45c),
                      UINT64_C(0xd2e88688dd21f325), UINT64_C(0x8571ff1825885d85)};

/* Hides a mask's origin from the optimiser so that it cannot turn a masked select into a branch. */
static inline uint64_t value_barrier(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(x));
    return x;
#else
    volatile uint64_t v = x;
    return v;
#endif
}

#define P0 UINT64_C(0xFFFFFFFFFFFFFFFF)
#define P1 UINT64_C(0x00000000FFFFFFFF)
#define P3 UINT64_C(0xFFFFFFFF00000001)

/* (borrow, r) = a - b - borrow, borrow in {0, 1}. */
static inline uint64_t sbb(uint64_t a, uint64_t b, uint64_t *borrow)
{
    u128 d = (u128)a - b - *borrow;
    *borrow = (uint64_t)(d >> 64) & 1;
    return (uint64_t)d;
}

/* (carry, r) = a + b + carry. */
static inline uint64_t adc(uint64_t a, uint64_t b, uint64_t *carry)
{
    u128 c = (u128)a + b + *carry;
    *carry = (uint64_t)(c >> 64);
    return (uint64_t)c;
}

/* r = v - p if v = (hi, t3..t0) >= p, else v; for v < 2p. */
static inline void fe_reduce_once(fe r, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3,
                                  uint64_t hi)
{
    uint64_t b = 0;
    uint64_t s0 = sbb(t0, P0, &b), s1 = sbb(t1, P1, &b), s2 = sbb(t2, 0, &b), s3 = sbb(t3, P3, &b);
    (void)sbb(hi, 0, &b);
    uint64_t keep = value_barrier(0 - b); /* all ones: v < p */
    r[0] = (t0 & keep) | (s0 & ~keep);
    r[1] = (t1 & keep) | (s1 & ~keep);
    r[2] = (t2 & keep) | (s2 & ~keep);
    r[3] = (t3 & keep) | (s3 & ~keep);
}

#if P256_ADX
/*
 * r = a + b and r = a - b in assembly: in C, GCC keeps the carries in registers with SETC and
 * recombines them, and the two took as long as the multiplications in k * P. The sum (below 2p) has
 * p subtracted and the difference is kept unless it borrowed; the difference has p added when it
 * borrowed, p's words taken under the borrow's mask (SBB gives 0 or all ones). p's words 1 and 3 are
 * memory operands, which leaves GCC enough registers at -O0. Volatile: the register outputs are
 * scratch, and GCC deletes an asm whose outputs are unused, "memory" clobber or not. No branch; CMOV and SBB take the same time
 * for every operand. Every input word is read before r is written, so r may alias a or b.
 */
static inline void fe_add(fe r, const fe a, const fe b)
{
    uint64_t s0, s1, s2, s3, t0, t1, t2, t3, c;
    __asm__ volatile("movq (%[a]), %[s0]\n\t"
            "movq 8(%[a]), %[s1]\n\t"
            "movq 16(%[a]), %[s2]\n\t"
            "movq 24(%[a]), %[s3]\n\t"
            "xorl %k[c], %k[c]\n\t"
            "addq (%[b]), %[s0]\n\t"
            "adcq 8(%[b]), %[s1]\n\t"
            "adcq 16(%[b]), %[s2]\n\t"
            "adcq 24(%[b]), %[s3]\n\t"
            "adcq $0, %[c]\n\t"
            "movq %[s0], %[t0]\n\t"
            "subq $-1, %[t0]\n\t"
            "movq %[s1], %[t1]\n\t"
            "sbbq %[p1], %[t1]\n\t"
            "movq %[s2], %[t2]\n\t"
            "sbbq $0, %[t2]\n\t"
            "movq %[s3], %[t3]\n\t"
            "sbbq %[p3], %[t3]\n\t"
            "sbbq $0, %[c]\n\t" /* borrow: the sum was below p */
            "cmovcq %[s0], %[t0]\n\t"
            "cmovcq %[s1], %[t1]\n\t"
            "cmovcq %[s2], %[t2]\n\t"
            "cmovcq %[s3], %[t3]\n\t"
            "movq %[t0], (%[r])\n\t"
            "movq %[t1], 8(%[r])\n\t"
            "movq %[t2], 16(%[r])\n\t"
            "movq %[t3], 24(%[r])\n\t"
            : [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3), [t0] "=&r"(t0),
              [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [c] "=&r"(c)
            : [r] "r"(r), [a] "r"(a), [b] "r"(b), [p1] "m"(P[1]), [p3] "m"(P[3])
            : "cc", "memory");
}

static inline void fe_sub(fe r, const fe a, const fe b)
{
    uint64_t s0, s1, s2, s3, m, t, u;
    __asm__ volatile("movq (%[a]), %[s0]\n\t"
            "movq 8(%[a]), %[s1]\n\t"
            "movq 16(%[a]), %[s2]\n\t"
            "movq 24(%[a]), %[s3]\n\t"
            "subq (%[b]), %[s0]\n\t"
            "sbbq 8(%[b]), %[s1]\n\t"
            "sbbq 16(%[b]), %[s2]\n\t"
            "sbbq 24(%[b]), %[s3]\n\t"
            "sbbq %[m], %[m]\n\t" /* all ones: a < b */
            "movq %[m], %[t]\n\t"
            "andq %[p1], %[t]\n\t"
            "movq %[m], %[u]\n\t"
            "andq %[p3], %[u]\n\t" /* before the chain: AND clears CF */
            "addq %[m], %[s0]\n\t"
            "adcq %[t], %[s1]\n\t"
            "adcq $0, %[s2]\n\t"
            "adcq %[u], %[s3]\n\t"
            "movq %[s0], (%[r])\n\t"
            "movq %[s1], 8(%[r])\n\t"
            "movq %[s2], 16(%[r])\n\t"
            "movq %[s3], 24(%[r])\n\t"
            : [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3), [m] "=&r"(m),
              [t] "=&r"(t), [u] "=&r"(u)
            : [r] "r"(r), [a] "r"(a), [b] "r"(b), [p1] "m"(P[1]), [p3] "m"(P[3])
            : "cc", "memory");
}
#else
static void fe_add(fe r, const fe a, const fe b)
{
    uint64_t c = 0;
    uint64_t t0 = adc(a[0], b[0], &c), t1 = adc(a[1], b[1], &c), t2 = adc(a[2], b[2], &c),
             t3 = adc(a[3], b[3], &c);
    fe_reduce_once(r, t0, t1, t2, t3, c);
}

static void fe_sub(fe r, const fe a, const fe b)
{
    uint64_t w = 0;
    uint64_t t0 = sbb(a[0], b[0], &w), t1 = sbb(a[1], b[1], &w), t2 = sbb(a[2], b[2], &w),
             t3 = sbb(a[3], b[3], &w);
    uint64_t m = value_barrier(0 - w); /* a < b: add p back */
    uint64_t c = 0;
    r[0] = adc(t0, P0 & m, &c);
    r[1] = adc(t1, P1 & m, &c);
    r[2] = adc(t2, 0, &c);
    r[3] = adc(t3, P3 & m, &c);
}

#endif

#if P256_ADX
/*
 * Montgomery reduction of the 512-bit product in r8..r15 (mulx4.h) into h, fully reduced. The lower
 * half is reduced on its own, one word m per round: with p's words (2^64 - 1, 2^32 - 1, 0,
 * 2^64 - 2^32 + 1), (S + m p) / 2^64 for m = S's lowest word is S's upper three words plus m 2^32 at
 * word 0 (a shift, split over words 0 and 1) and m (2^64 - 2^32 + 1) at word 2 (one MULX), and it stays
 * below 2^256, so four words hold the state and the word m leaves takes the new top word. After four
 * rounds u = (lower + M p) / 2^256 <= p, the product's upper half is below p, so their sum is below 2p:
 * p is subtracted and the difference kept unless it borrowed (CMOV, no branch).
 */
#define P256_RED_ROUND(m, a, b, c)                                                                 \
    "movq %%" m ", %%rax\n\t"                                                                       \
    "shlq $32, %%rax\n\t"                                                                           \
    "movq %%" m ", %%rbx\n\t"                                                                       \
    "shrq $32, %%rbx\n\t"                                                                           \
    "addq %%rax, %%" a "\n\t"                                                                       \
    "adcq %%rbx, %%" b "\n\t"                                                                       \
    "mulxq %%" m ", %%rax, %%" m "\n\t"                                                             \
    "adcq %%rax, %%" c "\n\t"                                                                       \
    "adcq $0, %%" m "\n\t"

#define P256_REDUCE                                                                                \
    "movabsq $0xffffffff00000001, %%rdx\n\t"                                                        \
    P256_RED_ROUND("r8", "r9", "r10", "r11")                                                       \
    P256_RED_ROUND("r9", "r10", "r11", "r8")                                                       \
    P256_RED_ROUND("r10", "r11", "r8", "r9")                                                       \
    P256_RED_ROUND("r11", "r8", "r9", "r10")                                                       \
    "addq %%r8, %%r12\n\t"                                                                          \
    "adcq %%r9, %%r13\n\t"                                                                          \
    "adcq %%r10, %%r14\n\t"                                                                         \
    "adcq %%r11, %%r15\n\t"                                                                         \
    "movl $0, %%eax\n\t" /* not XOR: the carry is live */                                          \
    "adcq $0, %%rax\n\t"                                                                            \
    "movl $0xffffffff, %%ebx\n\t"                                                                   \
    "movq %%r12, %%r8\n\t"                                                                          \
    "subq $-1, %%r8\n\t"                                                                            \
    "movq %%r13, %%r9\n\t"                                                                          \
    "sbbq %%rbx, %%r9\n\t"                                                                          \
    "movq %%r14, %%r10\n\t"                                                                         \
    "sbbq $0, %%r10\n\t"                                                                            \
    "movq %%r15, %%r11\n\t"                                                                         \
    "sbbq %%rdx, %%r11\n\t"                                                                         \
    "sbbq $0, %%rax\n\t" /* borrow: the sum was below p */                                         \
    "cmovcq %%r12, %%r8\n\t"                                                                        \
    "cmovcq %%r13, %%r9\n\t"                                                                        \
    "cmovcq %%r14, %%r10\n\t"                                                                       \
    "cmovcq %%r15, %%r11\n\t"                                                                       \
    "movq %%r8, (%[h])\n\t"                                                                         \
    "movq %%r9, 8(%[h])\n\t"                                                                        \
    "movq %%r10, 16(%[h])\n\t"                                                                      \
    "movq %%r11, 24(%[h])\n\t"

/* r = a b R^-1 mod p (a, b < p): 16 MULX for the product, 4 for the reduction; r may alias a or b. */
static inline void fe_mul(fe h, const fe f, const fe g)
{
    __asm__("" MULX4_MUL P256_REDUCE : : [h] "r"(h), [f] "r"(f), [g] "r"(g) : MULX4_CLOBBERS);
}

static inline void fe_sqr(fe h, const fe f)
{
    __asm__("" MULX4_SQR P256_REDUCE : : [h] "r"(h), [f] "r"(f) : MULX4_CLOBBERS);
}
#else
/*
 * One row of the Montgomery product: t += a * bi, then t = (t + m p) / 2^64 with m = t0 (p = -1 mod
 * 2^64). p's words are (2^64 - 1, 2^32 - 1, 0, 2^64 - 2^32 + 1): m p0 + t0 = m 2^64 exactly (carry m),
 * and the zero word needs no product. t (five words plus t5) stays < 2p after every row.
 */
#define MONT_ROW(bi)                                                                               \
    do {                                                                                           \
        u128 c = (u128)a0 * (bi) + t0;                                                             \
        t0 = (uint64_t)c;                                                                          \
        c = (c >> 64) + (u128)a1 * (bi) + t1;                                                      \
        t1 = (uint64_t)c;                                                                          \
        c = (c >> 64) + (u128)a2 * (bi) + t2;                                                      \
        t2 = (uint64_t)c;                                                                          \
        c = (c >> 64) + (u128)a3 * (bi) + t3;                                                      \
        t3 = (uint64_t)c;                                                                          \
        c = (c >> 64) + t4;                                                                        \
        t4 = (uint64_t)c;                                                                          \
        uint64_t t5 = (uint64_t)(c >> 64), m = t0;                                                 \
        c = (u128)m + (u128)m * P1 + t1;                                                           \
        t0 = (uint64_t)c;                                                                          \
        c = (c >> 64) + t2;                                                                        \
        t1 = (uint64_t)c;                                                                          \
        c = (c >> 64) + (u128)m * P3 + t3;                                                         \
        t2 = (uint64_t)c;                                                                          \
        c = (c >> 64) + t4;                                                                        \
        t3 = (uint64_t)c;                                                                          \
        t4 = t5 + (uint64_t)(c >> 64);                                                             \
    } while (0)

/* r = a b R^-1 mod p (a, b < p). */
static void fe_mul(fe r, const fe a, const fe b)
{
    uint64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
    MONT_ROW(b[0]);
    MONT_ROW(b[1]);
    MONT_ROW(b[2]);
    MONT_ROW(b[3]);
    fe_reduce_once(r, t0, t1, t2, t3, t4);
}

static void fe_sqr(fe r, const fe a)
{
    fe_mul(r, a, a);
}

#endif

/* r = a^(2^n) */
static void fe_sqr_n(fe r, const fe a, int n)
{
    fe_sqr(r, a);
    while (--n > 0)
        fe_sqr(r, r);
}

/*
 * r = a^(p-2) = a^-1 (0 for 0) by a fixed addition chain (255 squarings, 13 multiplications).
 * p - 2 from the top: 32 ones, 31 zeros, a one, 96 zeros, 94 ones, 0, 1. xk = a^(2^k - 1).
 */
static void fe_inv(fe r, const fe a)
{
    fe x2, x4, x8, x16, x32, t;
    fe_sqr(t, a);
    fe_mul(x2, t, a);
    fe_sqr_n(t, x2, 2);
    fe_mul(x4, t, x2);
    fe_sqr_n(t, x4, 4);
    fe_mul(x8, t, x4);
    fe_sqr_n(t, x8, 8);
    fe_mul(x16, t, x8);
    fe_sqr_n(t, x16, 16);
    fe_mul(x32, t, x16);
    fe_sqr_n(t, x32, 32); /* 32 ones, then 31 zeros and a one */
    fe_mul(t, t, a);
    fe_sqr_n(t, t, 96); /* 96 zeros */
    fe_sqr_n(t, t, 32); /* 94 ones: 32 + 32 + 16 + 8 + 4 + 2 */
    fe_mul(t, t, x32);
    fe_sqr_n(t, t, 32);
    fe_mul(t, t, x32);
    fe_sqr_n(t, t, 16);
    fe_mul(t, t, x16);
    fe_sqr_n(t, t, 8);
    fe_mul(t, t, x8);
    fe_sqr_n(t, t, 4);
    fe_mul(t, t, x4);
    fe_sqr_n(t, t, 2);
    fe_mul(t, t, x2);
    fe_sqr_n(t, t, 2); /* 0, 1 */
    fe_mul(r, t, a);
    cry_wipe(x2, sizeof x2);
    cry_wipe(x4, sizeof x4);
    cry_wipe(x8, sizeof x8);
    cry_wipe(x16, sizeof x16);
    cry_wipe(x32, sizeof x32);
    cry_wipe(t, sizeof t);
}


static void fe_frombytes_raw(fe r, const uint8_t in[32])
{
    for (int j = 0; j < 4; j++) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = (v << 8) | in[(3 - j) * 8 + i];
        r[j] = v;
    }
}

static void fe_tobytes_raw(uint8_t out[32], const fe a)
{
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < 8; i++)
            out[(3 - j) * 8 + i] = (uint8_t)(a[j] >> (56 - 8 * i));
}

/* 1 if the raw value a < p. Public data only. */
static int fe_raw_below_p(const fe a)
{
    for (int j = 3; j >= 0; j--)
        if (a[j] != P[j])
            return a[j] < P[j];
    return 0;
}

static void fe_to_mont(fe r, const fe a)
{
    fe_mul(r, a, RR);
}

static void fe_from_mont(fe r, const fe a)
{
    static const fe one_raw = {1, 0, 0, 0};
    fe_mul(r, a, one_raw);
}

/* all ones if a == 0, else 0 */
static uint64_t fe_is_zero(const fe a)
{
    uint64_t v = a[0] | a[1] | a[2] | a[3];
    return value_barrier(((v | (0 - v)) >> 63) - 1);
}

static void fe_cmov(fe r, const fe a, uint64_t mask)
{
    for (int j = 0; j < 4; j++)
        r[j] ^= mask & (r[j] ^ a[j]);
}

/* r = -r if mask is all ones, r if 0 (p - r; 0 stays 0). */
static void fe_cneg(fe r, uint64_t mask)
{
    static const fe zero = {0, 0, 0, 0};
    fe t;
    fe_sub(t, zero, r);
    fe_cmov(r, t, mask);
}

/* r = a / 2 mod p: (a + p) / 2 for an odd a, without a branch (self-contained: p's words here). */
static void fe_half(fe r, const fe a)
{
    static const uint64_t pw[4] = {UINT64_C(0xFFFFFFFFFFFFFFFF), UINT64_C(0x00000000FFFFFFFF), 0,
                                   UINT64_C(0xFFFFFFFF00000001)};
    uint64_t m = value_barrier(0 - (a[0] & 1)), c = 0, t[4];
    for (int j = 0; j < 4; j++) {
        uint64_t x = a[j] + c;
        c = x < c;
        uint64_t y = x + (pw[j] & m);
        c += y < x;
        t[j] = y;
    }
    for (int j = 0; j < 3; j++)
        r[j] = (t[j] >> 1) | (t[j + 1] << 63);
    r[3] = (t[3] >> 1) | (c << 63);
}

/* ---- points: RCB complete formulas for a = -3 ---- */

static void pt_identity(struct pt *r)
{
    memset(r->x, 0, sizeof r->x);
    memcpy(r->y, ONE, sizeof ONE);
    memset(r->z, 0, sizeof r->z);
}

/*
 * The part algorithms 4 and 5 share, from t0 = X1 X2, t1 = Y1 Y2, t2 = Z1 Z2 (Z1 for an affine q),
 * t3 = X1 Y2 + X2 Y1, t4 = Y1 Z2 + Y2 Z1 and y3 = X1 Z2 + X2 Z1 to r = p + q (a = -3); the inputs
 * are scratch afterwards. r may alias p or q: they are no longer read.
 */
static void rcb_add_finish(struct pt *r, fe t0, fe t1, fe t2, const fe t3, const fe t4, fe y3)
{
    fe x3, z3;
    fe_mul(z3, B, t2);
    fe_sub(x3, y3, z3);
    fe_add(z3, x3, x3);
    fe_add(x3, x3, z3);
    fe_sub(z3, t1, x3);
    fe_add(x3, t1, x3);
    fe_mul(y3, B, y3);
    fe_add(t1, t2, t2);
    fe_add(t2, t1, t2);
    fe_sub(y3, y3, t2);
    fe_sub(y3, y3, t0);
    fe_add(t1, y3, y3);
    fe_add(y3, t1, y3);
    fe_add(t1, t0, t0);
    fe_add(t0, t1, t0);
    fe_sub(t0, t0, t2);
    fe_mul(t1, t4, y3);
    fe_mul(t2, t0, y3);
    fe_mul(y3, x3, z3);
    fe_add(y3, y3, t2);
    fe_mul(x3, t3, x3);
    fe_sub(x3, x3, t1);
    fe_mul(z3, t4, z3);
    fe_mul(t1, t3, t0);
    fe_add(z3, z3, t1);
    memcpy(r->x, x3, sizeof x3);
    memcpy(r->y, y3, sizeof(fe));
    memcpy(r->z, z3, sizeof z3);
}

/* r = p + q (algorithm 4); r may alias either input. */
static void pt_add(struct pt *r, const struct pt *p, const struct pt *q)
{
    fe t0, t1, t2, t3, t4, x3, y3;
    fe_mul(t0, p->x, q->x);
    fe_mul(t1, p->y, q->y);
    fe_mul(t2, p->z, q->z);
    fe_add(t3, p->x, p->y);
    fe_add(t4, q->x, q->y);
    fe_mul(t3, t3, t4);
    fe_add(t4, t0, t1);
    fe_sub(t3, t3, t4);
    fe_add(t4, p->y, p->z);
    fe_add(x3, q->y, q->z);
    fe_mul(t4, t4, x3);
    fe_add(x3, t1, t2);
    fe_sub(t4, t4, x3);
    fe_add(x3, p->x, p->z);
    fe_add(y3, q->x, q->z);
    fe_mul(x3, x3, y3);
    fe_add(y3, t0, t2);
    fe_sub(y3, x3, y3);
    rcb_add_finish(r, t0, t1, t2, t3, t4, y3);
}

/* r = 2 p (algorithm 6); r may alias p. */
static void pt_dbl(struct pt *r, const struct pt *p)
{
    fe t0, t1, t2, t3, x3, y3, z3;
    fe_sqr(t0, p->x);
    fe_sqr(t1, p->y);
    fe_sqr(t2, p->z);
    fe_mul(t3, p->x, p->y);
    fe_add(t3, t3, t3);
    fe_mul(z3, p->x, p->z);
    fe_add(z3, z3, z3);
    fe_mul(y3, B, t2);
    fe_sub(y3, y3, z3);
    fe_add(x3, y3, y3);
    fe_add(y3, x3, y3);
    fe_sub(x3, t1, y3);
    fe_add(y3, t1, y3);
    fe_mul(y3, x3, y3);
    fe_mul(x3, x3, t3);
    fe_add(t3, t2, t2);
    fe_add(t2, t2, t3);
    fe_mul(z3, B, z3);
    fe_sub(z3, z3, t2);
    fe_sub(z3, z3, t0);
    fe_add(t3, z3, z3);
    fe_add(z3, z3, t3);
    fe_add(t3, t0, t0);
    fe_add(t0, t3, t0);
    fe_sub(t0, t0, t2);
    fe_mul(t0, t0, z3);
    fe_add(y3, y3, t0);
    fe_mul(t0, p->y, p->z);
    fe_add(t0, t0, t0);
    fe_mul(z3, t0, z3);
    fe_sub(x3, x3, z3);
    fe_mul(z3, t0, t1);
    fe_add(z3, z3, z3);
    fe_add(z3, z3, z3);
    memcpy(r->x, x3, sizeof x3);
    memcpy(r->y, y3, sizeof y3);
    memcpy(r->z, z3, sizeof z3);
}

/* Affine point (x, y), Montgomery form: the entries of the table of multiples of G. */
struct apt {
    fe x, y;
};

/*
 * r = p + q for q affine (algorithm 5, Z2 = 1: 11 multiplications and 2 by b against 12 and 2). Complete
 * but for q: any p (the identity too), q any point but the identity (which has no affine form); r may
 * alias p.
 */
static void pt_add_affine(struct pt *r, const struct pt *p, const struct apt *q)
{
    fe t0, t1, t2, t3, t4, y3;
    fe_mul(t0, p->x, q->x);
    fe_mul(t1, p->y, q->y);
    fe_add(t3, q->x, q->y);
    fe_add(t4, p->x, p->y);
    fe_mul(t3, t3, t4);
    fe_add(t4, t0, t1);
    fe_sub(t3, t3, t4);
    fe_mul(t4, q->y, p->z);
    fe_add(t4, t4, p->y);
    fe_mul(y3, q->x, p->z);
    fe_add(y3, y3, p->x);
    memcpy(t2, p->z, sizeof t2);
    rcb_add_finish(r, t0, t1, t2, t3, t4, y3);
}

/* r = a where mask is all ones, r unchanged where 0. */
static void pt_cmov(struct pt *r, const struct pt *a, uint64_t mask)
{
    fe_cmov(r->x, a->x, mask);
    fe_cmov(r->y, a->y, mask);
    fe_cmov(r->z, a->z, mask);
}

/*
 * The doublings of k * P run in Jacobian coordinates (x = X / Z^2, y = Y / Z^3), which double for
 * 4M + 4S (jac_dbl) against RCB's 8M + 3S + 2 multiplications by b: a window is converted to
 * Jacobian, doubled five times, and converted back for the complete addition. The Jacobian doubling for a = -3
 * (Bernstein-Lange "dbl-2001-b") has no exceptional input on a curve of prime order: no point has
 * y = 0, and any Z = 0 stays Z = 0 (the identity). Homogeneous (X : Y : Z) -> Jacobian
 * (X Z, Y Z^2, Z); back: (X Z, Y, Z^3), with Y set to 1 under a mask when Z = 0, so that the
 * identity comes back as (0 : 1 : 0) (the Jacobian image of the identity is all zeros).
 */
static void pt_to_jacobian(struct pt *p)
{
    fe zz;
    fe_sqr(zz, p->z);
    fe_mul(p->x, p->x, p->z);
    fe_mul(p->y, p->y, zz);
}

static void pt_from_jacobian(struct pt *p)
{
    fe zz;
    fe_sqr(zz, p->z);
    fe_mul(p->x, p->x, p->z);
    fe_mul(p->z, p->z, zz);
    fe_cmov(p->y, ONE, fe_is_zero(p->z));
}

/*
 * p = 2 p in Jacobian coordinates, a = -3 (dbl-2001-b rearranged as in Gueron-Krasnov's P-256: 4M +
 * 4S and 9 additions and a halving instead of 3M + 5S and 16 additions):
 * S = (2Y)^2, M = 3 (X - Z^2)(X + Z^2), X3 = M^2 - 2 X S, Y3 = M (X S - X3) - S^2 / 2, Z3 = 2 Y Z.
 */
static void jac_dbl(struct pt *p)
{
    fe delta, s, m, t, u;
    fe_sqr(delta, p->z);
    fe_add(s, p->y, p->y);
    fe_mul(p->z, s, p->z); /* Z3 = 2 Y Z */
    fe_sqr(s, s);          /* S = 4 Y^2 */
    fe_sub(t, p->x, delta);
    fe_add(u, p->x, delta);
    fe_mul(m, t, u);
    fe_add(t, m, m);
    fe_add(m, t, m);       /* M = 3 (X - delta)(X + delta) */
    fe_mul(u, p->x, s);    /* X S = 4 beta */
    fe_sqr(s, s);
    fe_half(s, s);         /* S^2 / 2 = 8 Y^4 */
    fe_sqr(p->x, m);
    fe_add(t, u, u);
    fe_sub(p->x, p->x, t); /* X3 = M^2 - 8 beta */
    fe_sub(t, u, p->x);
    fe_mul(t, m, t);
    fe_sub(p->y, t, s);    /* Y3 = M (4 beta - X3) - 8 Y^4 */
}

/* all ones if a == b, else 0; a, b < 2^63 */
static uint64_t eq_mask(uint64_t a, uint64_t b)
{
    return 0 - (value_barrier((a ^ b) - 1) >> 63);
}

/* r = t[idx] for a secret idx < n: every entry read, one kept under a mask. */
static void pt_lookup(struct pt *r, const struct pt *t, uint64_t n, uint64_t idx)
{
    memset(r, 0, sizeof *r);
    for (uint64_t j = 0; j < n; j++) {
        uint64_t m = eq_mask(j, idx);
        fe_cmov(r->x, t[j].x, m);
        fe_cmov(r->y, t[j].y, m);
        fe_cmov(r->z, t[j].z, m);
    }
}

/*
 * Signed windows. The scalar is read as 4 little-endian words and a fifth, zero word (so that the top
 * window sees zeros above bit 255). Window i of w bits covers bits [w i, w i + w) and also looks at
 * bit w i - 1 (0 for i = 0): with in = bits [w i - 1, w i + w), its digit is
 *   (in >> 1) + (in & 1) - 2^w (in >> w),
 * in [-2^(w-1), 2^(w-1)], and the sum of digit_i 2^(w i) is k exactly (the bit borrowed from each
 * window is given back by the one above). The top window's sign bit is bit w N - 1 >= 256, zero, so
 * its digit is >= 0 and no carry leaves the last window: N = ceil(257 / w) windows cover every
 * 32-byte k (2^256 - 1 too).
 */
static void scalar_words(uint64_t s[5], const uint8_t k[32])
{
    for (int j = 0; j < 4; j++) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = (v << 8) | k[(3 - j) * 8 + i];
        s[j] = v;
    }
    s[4] = 0;
}

/* in of window i (w + 1 bits); i and w are public. */
static uint64_t window_bits(const uint64_t s[5], int i, int w)
{
    uint64_t v;
    int pos = w * i - 1;
    if (pos < 0) {
        v = s[0] << 1;
    } else {
        int q = pos / 64, r = pos % 64;
        v = s[q] >> r;
        if (r != 0)
            v |= s[q + 1] << (64 - r);
    }
    return v & ((UINT64_C(1) << (w + 1)) - 1);
}

/* Booth recoding without a branch: |digit| returned, *neg all ones if the digit is negative. */
static uint64_t booth(uint64_t in, int w, uint64_t *neg)
{
    uint64_t s = value_barrier(0 - ((in >> w) & 1));
    uint64_t d = ((UINT64_C(1) << (w + 1)) - 1) - in; /* for a negative digit: 2^(w+1) - 1 - in */
    d = value_barrier((d & s) | (in & ~s));
    *neg = s;
    return (d >> 1) + (d & 1);
}

/*
 * k * G: BW-bit signed windows, BWIN of them; GA[i][j] = (j + 1) 2^(BW i) G in affine form, j <
 * 2^(BW-1) (a negative digit negates y, a zero digit keeps the sum).
 */
#define BW 7
#define BWIN ((256 + BW) / BW)
#define BTAB (1 << (BW - 1))
/* Made once by the portable compilation (cry_p256_tables); the MULX/ADX one reads it too (the same
 * Montgomery form). */
extern struct apt cry_p256_ga[BWIN][BTAB];
void cry_p256_tables(void);
#define GA cry_p256_ga

/* k * P: PW-bit signed windows, a table of the identity and 1..2^(PW-1) times P. */
#define PW 5
#define PWIN ((256 + PW) / PW)
#define PTAB ((1 << (PW - 1)) + 1)

#if !P256_ADX
struct apt cry_p256_ga[BWIN][BTAB];
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;

/* out[j] = in[j] in affine form, n <= BTAB points none of which is the identity (one inversion). */
static void batch_to_affine(struct apt *out, const struct pt *in, int n)
{
    fe pre[BTAB], inv, zi;
    memcpy(pre[0], in[0].z, sizeof pre[0]);
    for (int j = 1; j < n; j++)
        fe_mul(pre[j], pre[j - 1], in[j].z);
    fe_inv(inv, pre[n - 1]); /* 1 / (z0 ... z(n-1)) */
    for (int j = n - 1; j >= 0; j--) {
        if (j > 0) {
            fe_mul(zi, inv, pre[j - 1]);
            fe_mul(inv, inv, in[j].z);
        } else {
            memcpy(zi, inv, sizeof zi);
        }
        fe_mul(out[j].x, in[j].x, zi);
        fe_mul(out[j].y, in[j].y, zi);
    }
}

static void p256_init(void)
{
    struct pt row[BTAB], base;
    memcpy(base.x, GX, sizeof GX);
    memcpy(base.y, GY, sizeof GY);
    memcpy(base.z, ONE, sizeof ONE);
    for (int i = 0; i < BWIN; i++) { /* row[j] = (j + 1) base, base = 2^(BW i) G */
        row[0] = base;
        for (int j = 1; j < BTAB; j++) {
            if (j & 1)
                pt_dbl(&row[j], &row[j / 2]);
            else
                pt_add(&row[j], &row[j - 1], &base);
        }
        batch_to_affine(GA[i], row, BTAB);
        pt_dbl(&base, &row[BTAB - 1]);
    }
}

void cry_p256_tables(void)
{
    pthread_once(&p256_once, p256_init);
}
#endif

/* Point from x || y (raw), checked: 1 if on the curve with coordinates < p. Public data. */
static int pt_decode(struct pt *r, const uint8_t in[64])
{
    fe x, y, l, rhs;
    fe_frombytes_raw(x, in);
    fe_frombytes_raw(y, in + 32);
    if (!fe_raw_below_p(x) || !fe_raw_below_p(y))
        return 0;
    fe_to_mont(r->x, x);
    fe_to_mont(r->y, y);
    memcpy(r->z, ONE, sizeof ONE);
    /* y^2 = x^3 - 3x + b */
    fe_sqr(l, r->y);
    fe_sqr(rhs, r->x);
    fe_mul(rhs, rhs, r->x);
    fe_sub(rhs, rhs, r->x);
    fe_sub(rhs, rhs, r->x);
    fe_sub(rhs, rhs, r->x);
    fe_add(rhs, rhs, B);
    return memcmp(l, rhs, sizeof l) == 0;
}

/* out = affine x || y of p; -1 (out zeros) for the identity. Constant time but for the result. */
static int pt_encode(uint8_t out[64], const struct pt *p)
{
    fe zi, x, y;
    uint64_t inf = fe_is_zero(p->z);
    fe_inv(zi, p->z);
    fe_mul(x, p->x, zi);
    fe_mul(y, p->y, zi);
    fe_from_mont(x, x);
    fe_from_mont(y, y);
    fe_tobytes_raw(out, x);
    fe_tobytes_raw(out + 32, y);
    cry_wipe(zi, sizeof zi);
    cry_wipe(x, sizeof x);
    cry_wipe(y, sizeof y);
    if (inf) { /* the identity (zi = 0 gave zeros already): a public outcome */
        memset(out, 0, 64);
        return -1;
    }
    return 0;
}

int P256_PATH(p256_mul)(uint8_t out[64], const uint8_t k[32], const uint8_t point[64]);
int P256_PATH(p256_mul)(uint8_t out[64], const uint8_t k[32], const uint8_t point[64])
{
    struct pt t[PTAB], acc, sel;
    uint64_t s[5], neg, d;
    if (!pt_decode(&t[1], point)) {
        memset(out, 0, 64);
        return -1;
    }
    pt_identity(&t[0]);
    for (int j = 2; j < PTAB; j++) {
        if (j & 1)
            pt_add(&t[j], &t[j - 1], &t[1]);
        else
            pt_dbl(&t[j], &t[j / 2]);
    }
    scalar_words(s, k);
    d = booth(window_bits(s, PWIN - 1, PW), PW, &neg);
    pt_lookup(&acc, t, PTAB, d);
    fe_cneg(acc.y, neg);
    for (int i = PWIN - 2; i >= 0; i--) {
        pt_to_jacobian(&acc);
        for (int n = 0; n < PW; n++)
            jac_dbl(&acc);
        pt_from_jacobian(&acc);
        d = booth(window_bits(s, i, PW), PW, &neg);
        pt_lookup(&sel, t, PTAB, d);
        fe_cneg(sel.y, neg); /* -(0 : 1 : 0) = (0 : -1 : 0), the identity still */
        pt_add(&acc, &acc, &sel);
    }
    int r = pt_encode(out, &acc);
    cry_wipe(t, sizeof t);
    cry_wipe(&acc, sizeof acc);
    cry_wipe(&sel, sizeof sel);
    cry_wipe(s, sizeof s);
    cry_wipe(&d, sizeof d);
    cry_wipe(&neg, sizeof neg);
    return r;
}

/* r = GA[i][d - 1] for a secret d in [0, BTAB] (zeros for d = 0): every entry of the row read. */
static void aff_lookup(struct apt *r, const struct apt row[BTAB], uint64_t d)
{
    uint64_t x[4] = {0, 0, 0, 0}, y[4] = {0, 0, 0, 0};
    for (uint64_t j = 0; j < BTAB; j++) {
        uint64_t m = eq_mask(j + 1, d);
        for (int l = 0; l < 4; l++) {
            x[l] |= row[j].x[l] & m;
            y[l] |= row[j].y[l] & m;
        }
    }
    memcpy(r->x, x, sizeof x);
    memcpy(r->y, y, sizeof y);
    cry_wipe(x, sizeof x);
    cry_wipe(y, sizeof y);
}

int P256_PATH(p256_base_mul)(uint8_t out[64], const uint8_t k[32]);
int P256_PATH(p256_base_mul)(uint8_t out[64], const uint8_t k[32])
{
    cry_p256_tables();
    struct pt acc, sum, id;
    struct apt sel;
    uint64_t s[5], neg, d, zero;
    scalar_words(s, k);
    pt_identity(&id);
    /* window 0: acc = +-GA[0][d - 1] with z = 1, or the identity for d = 0 */
    d = booth(window_bits(s, 0, BW), BW, &neg);
    aff_lookup(&sel, GA[0], d);
    fe_cneg(sel.y, neg);
    memcpy(acc.x, sel.x, sizeof sel.x);
    memcpy(acc.y, sel.y, sizeof sel.y);
    memcpy(acc.z, ONE, sizeof ONE);
    pt_cmov(&acc, &id, eq_mask(d, 0));
    for (int i = 1; i < BWIN; i++) {
        d = booth(window_bits(s, i, BW), BW, &neg);
        aff_lookup(&sel, GA[i], d);
        fe_cneg(sel.y, neg);
        pt_add_affine(&sum, &acc, &sel); /* for d = 0, a sum with (0, 0), dropped */
        zero = eq_mask(d, 0);
        pt_cmov(&acc, &sum, ~zero);
    }
    int r = pt_encode(out, &acc);
    cry_wipe(&acc, sizeof acc);
    cry_wipe(&sum, sizeof sum);
    cry_wipe(&sel, sizeof sel);
    cry_wipe(s, sizeof s);
    cry_wipe(&d, sizeof d);
    cry_wipe(&neg, sizeof neg);
    cry_wipe(&zero, sizeof zero);
    return r;
}

#if !P256_ADX
/* The fast path: p256_adx.c, built where the compiler can ask the CPU (mulx4.h's MULX4_BUILD). */
#if MULX4_BUILD
#define P256_HAVE_ADX 1
int p256_mul_adx(uint8_t out[64], const uint8_t k[32], const uint8_t point[64]);
int p256_base_mul_adx(uint8_t out[64], const uint8_t k[32]);
#else
#define P256_HAVE_ADX 0
#endif

int cry_p256_fast_path(void)
{
#if P256_HAVE_ADX
    return mulx4_cpu();
#else
    return 0;
#endif
}

int cry_p256_mul_ex(uint8_t out[64], const uint8_t k[32], const uint8_t point[64], unsigned flags)
{
#if P256_HAVE_ADX
    if (!(flags & CRY_P256_PORTABLE) && cry_p256_fast_path())
        return p256_mul_adx(out, k, point);
#else
    (void)flags;
#endif
    return p256_mul_portable(out, k, point);
}

int cry_p256_base_mul_ex(uint8_t out[64], const uint8_t k[32], unsigned flags)
{
#if P256_HAVE_ADX
    if (!(flags & CRY_P256_PORTABLE) && cry_p256_fast_path())
        return p256_base_mul_adx(out, k);
#else
    (void)flags;
#endif
    return p256_base_mul_portable(out, k);
}

int cry_p256_mul(uint8_t out[64], const uint8_t k[32], const uint8_t point[64])
{
    return cry_p256_mul_ex(out, k, point, 0);
}

int cry_p256_base_mul(uint8_t out[64], const uint8_t k[32])
{
    return cry_p256_base_mul_ex(out, k, 0);
}

int cry_p256_scalar_ok(const uint8_t k[32])
{
    static const uint8_t n[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    uint32_t borrow = 0, any = 0;
    for (int i = 31; i >= 0; i--) { /* k - n: a borrow out means k < n */
        uint32_t d = (uint32_t)k[i] - n[i] - borrow;
        borrow = (d >> 8) & 1;
        any |= k[i];
    }
    uint32_t nonzero = (0 - any) >> 31; /* any < 256 */
    return (int)(value_barrier(borrow & nonzero) & 1);
}
#endif

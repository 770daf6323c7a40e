/*
 * rsa_ifma.c - modular exponentiation on AVX-512 IFMA for the RSA CRT halves (issue 18): the two
 * exponentiations run at once, packed into 512-bit vectors (zamm: half 1 in lanes 0-3, half 2 in
 * lanes 4-7), so that each multiply-add serves both and the two dependency chains of Montgomery
 * reduction overlap. The public exponentiation (one modulus) runs on 256-bit vectors (amm).
 *
 * Almost-Montgomery multiplication, word by word: for each 52-bit limb b_i of b (step i),
 *   y = (lane i) k0 mod 2^52; add the low halves of the 104-bit products a_k b_i and m_k y at lane
 *   i + k and their high halves at lane i + k + 1; lane i is then 0 mod 2^52 and is dropped (its
 *   carry goes to lane i + 1). After nl steps lanes nl .. 2 nl - 1 hold a b / R.
 * The vectors are not shifted per step: the operands are read at four lane offsets and the window
 * of vectors moves up one vector every fourth step; the next y comes from a scalar copy of the
 * lowest lane instead of waiting for the vectors (see amm). Lanes are not carried inside the loop:
 * each is touched by at most nl + 1 steps adding less than 2^54 each, so stays below 2^60
 * (nl <= 40); one carry pass at the end gives 52-bit limbs again. With a, b < 2m and
 * 4m < R = 2^(52 nl) the result is below 2m (no subtraction inside the exponentiation); leaving
 * Montgomery form (multiplying by 1) gives a value <= m, and one masked subtraction makes it < m.
 * Exponentiation: table of base^0..base^31 (Montgomery form), ceil(ebits / 5) windows from the top,
 * five squarings (at 20 limbs zsqr: a_i a_j and a_j a_i added once, doubled) and one
 * multiplication per window; every entry is read in full for every lookup
 * and kept under an all-ones / all-zeros mask from a compare with the window value. The window
 * value is only ever compared, never used as an index or a branch. Every trip count is a public
 * size (nl, ebits).
 */
#include "crypto/rsa_ifma.h"
#include <string.h>
#include "crypto/crypto_ltc.h"

#define M52 ((UINT64_C(1) << 52) - 1)

/* 64-bit limbs a[0..n64) -> 52-bit limbs r[0..nl) (bits beyond 52 nl dropped; zero above n64). */
static void to52(uint64_t *r, unsigned nl, const uint64_t *a, size_t n64)
{
    for (unsigned j = 0; j < nl; j++) {
        size_t bit = (size_t)52 * j, w = bit / 64, off = bit % 64;
        uint64_t v = w < n64 ? a[w] >> off : 0;
        if (off > 12 && w + 1 < n64) /* public positions */
            v |= a[w + 1] << (64 - off);
        r[j] = v & M52;
    }
}

/* 52-bit limbs a[0..nl) -> 64-bit limbs r[0..n64) (a must fit). */
static void from52(uint64_t *r, size_t n64, const uint64_t *a, unsigned nl)
{
    for (size_t i = 0; i < n64; i++) {
        size_t bit = 64 * i, j = bit / 52, off = bit % 52;
        uint64_t v = 0;
        for (unsigned s = 0; s < 3; s++) { /* limbs j, j+1, j+2 cover bits [bit, bit + 64) */
            size_t jj = j + s;
            if (jj >= nl)
                break;
            int sh = (int)(52 * s) - (int)off; /* position of limb jj relative to bit */
            if (sh >= 64)
                break;
            v |= sh >= 0 ? a[jj] << sh : a[jj] >> -sh;
        }
        r[i] = v;
    }
}

unsigned cry_ifma_limbs(unsigned mbits)
{
    /* 4m < R = 2^(52 nl): mbits <= 52 nl - 2 */
    if (mbits <= 52 * 20 - 2)
        return 20;
    if (mbits <= 52 * 32 - 2)
        return 32;
    if (mbits <= 52 * 40 - 2)
        return 40;
    return 0;
}

int cry_ifma_mont_init(struct cry_ifma_mont *c, const uint64_t *m, size_t n64, unsigned mbits,
                       unsigned nl)
{
    unsigned need = cry_ifma_limbs(mbits);
    if (!c || !m || n64 == 0 || n64 > CRY_IFMA_MAX || !(m[0] & 1) || need == 0 ||
        (size_t)mbits > 64 * n64 || mbits < 2)
        return -1;
    if (nl == 0)
        nl = need;
    if ((nl != 20 && nl != 32 && nl != 40) || nl < need)
        return -1;
    /* -m^-1 mod 2^64 by Newton's iteration: m m = 1 mod 8, each step doubles the correct bits */
    uint64_t inv = m[0];
    for (int i = 0; i < 5; i++)
        inv *= 2 - m[0] * inv;
    /* R^2 mod m: 1 doubled 2 * 52 nl times, each time minus m unless that borrows (masked) */
    uint64_t x[CRY_IFMA_MAX + 1] = {1}, t[CRY_IFMA_MAX + 1], mm[CRY_IFMA_MAX + 1] = {0};
    size_t n = n64 + 1;
    memcpy(mm, m, n64 * sizeof *mm);
    for (unsigned it = 0; it < 2 * 52 * nl; it++) {
        uint64_t top = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = x[i];
            x[i] = (v << 1) | top;
            top = v >> 63;
        }
        uint64_t borrow = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned __int128 d = (unsigned __int128)x[i] - mm[i] - borrow;
            t[i] = (uint64_t)d;
            borrow = (uint64_t)(d >> 64) & 1;
        }
        uint64_t keep = 0 - borrow; /* all ones: x < m, keep x */
        for (size_t i = 0; i < n; i++)
            x[i] = (x[i] & keep) | (t[i] & ~keep);
    }
    memset(c, 0, sizeof *c);
    c->nl = nl;
    c->n64 = (uint32_t)n64;
    c->k0 = (0 - inv) & M52;
    to52(c->m, nl, m, n64);
    memcpy(c->mp + 4, c->m, nl * sizeof *c->m);
    to52(c->rr, nl, x, n64);
    cry_wipe(x, sizeof x);
    cry_wipe(t, sizeof t);
    cry_wipe(mm, sizeof mm);
    return 0;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define IFMA __attribute__((target("avx2,avx512f,avx512vl,avx512ifma")))
#define INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline)) /* a frame of its own, under the caller's burn() */
#define MAXV (CRY_IFMA_MAX / 4)
#define WIN 5
#define TAB (1 << WIN)

int cry_ifma_cpu(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512ifma");
}

/* Scratch of one exponentiation (pair): wiped before returning. */
struct work {
    uint64_t x1[CRY_IFMA_MAX], x2[CRY_IFMA_MAX], s1[CRY_IFMA_MAX], s2[CRY_IFMA_MAX];
    uint64_t e1[CRY_IFMA_MAX + 1], e2[CRY_IFMA_MAX + 1];
    uint64_t one[CRY_IFMA_MAX], bm[CRY_IFMA_MAX]; /* 1; the base in Montgomery form (powpub) */
    uint64_t pa[CRY_IFMA_MAX + 8];                 /* amm's padded operand */
};

/* the high 52 bits of the 104-bit product of two 52-bit limbs */
static INLINE uint64_t hi52(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 52);
}

#define LD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))

/* lane l (0..3, a constant after inlining) of v */
static INLINE IFMA uint64_t lane(__m256i v, int l)
{
    switch (l) {
    case 0: return (uint64_t)_mm256_extract_epi64(v, 0);
    case 1: return (uint64_t)_mm256_extract_epi64(v, 1);
    case 2: return (uint64_t)_mm256_extract_epi64(v, 2);
    default: return (uint64_t)_mm256_extract_epi64(v, 3);
    }
}

/*
 * Step i = 4 g + t of amm for one half: x[0..nv] + xm[0..nv] holds global lanes 4 g .. 4 g +
 * 4 nv + 3, s the exact value of lane i. The product of limb k with b_i belongs at lane i + k
 * (low half) and i + k + 1 (high half): the operand read 4 - t lanes into its padding puts a_k at
 * lane t + k of x[0..nv], read one lane further (3 - t) at t + k + 1, so x is never shifted inside
 * a group of four steps. Returns the exact value of lane i + 1.
 */
static INLINE IFMA uint64_t step(__m256i *x, __m256i *xm, uint64_t s, const uint64_t *pa,
                                 const uint64_t *pm, uint64_t bs, uint64_t k0, const int t,
                                 const int nv)
{
    const uint64_t a0 = pa[4], a1 = pa[5], m0 = pm[4], m1 = pm[5];
    const __m256i bi = _mm256_set1_epi64x((long long)bs);
    const uint64_t l = lane(x[(t + 1) / 4], (t + 1) % 4) +
                       lane(xm[(t + 1) / 4], (t + 1) % 4); /* lane i + 1 before this step */
    /* y = (x_i + a_0 b_i) k0 mod 2^52: only the low 52 bits matter, so 64-bit products do */
    const uint64_t ys = ((s + a0 * bs) * k0) & M52;
    const __m256i y = _mm256_set1_epi64x((long long)ys);
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        if (t > 0 || w < nv) /* the t = 0 low halves end below x[nv] */
            x[w] = _mm256_madd52lo_epu64(x[w], LD(pa + 4 + 4 * w - t), bi);
        x[w] = _mm256_madd52hi_epu64(x[w], LD(pa + 3 + 4 * w - t), bi);
    }
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        if (t > 0 || w < nv)
            xm[w] = _mm256_madd52lo_epu64(xm[w], LD(pm + 4 + 4 * w - t), y);
        xm[w] = _mm256_madd52hi_epu64(xm[w], LD(pm + 3 + 4 * w - t), y);
    }
    /* lane i is now 0 mod 2^52 (exactly, with the carries the vector lanes do not hold): the
     * exact lane i + 1 is what the step added to it, its old value l and lane i's carry */
    return l + ((a1 * bs) & M52) + ((m1 * ys) & M52) + hi52(a0, bs) + hi52(m0, ys) +
           ((s + ((a0 * bs) & M52) + ((m0 * ys) & M52)) >> 52);
}

/*
 * r = a b / R mod m (almost: < 2m for a, b < 2m) on 256-bit vectors, one modulus (the public
 * exponentiation; the CRT halves use zamm below). nv = nl / 4 is a constant after inlining. r may
 * alias a or b. pa: scratch of CRY_IFMA_MAX + 8 limbs (zero outside 4 .. 4 + nl).
 * Lanes are not carried: the vector lanes below lane i miss the carries, which the scalar s holds
 * exactly (lane i with everything below folded in); the dropped low half of the sum is thus
 * s's carry-out at the end, and the kept lanes i >= nl are complete sums below 2^60. The a b_i
 * and m y products go to two accumulators (x, xm), added at the end: each gets two dependent
 * multiply-adds per step instead of four (the lone exponentiation waits on them).
 */
static INLINE IFMA void amm(uint64_t *r, const uint64_t *a, const uint64_t *b,
                            const struct cry_ifma_mont *c, uint64_t *pa, const int nv)
{
    __m256i x[MAXV + 1], xm[MAXV + 1];
    const __m256i z = _mm256_setzero_si256();
    const uint64_t *pm = c->mp, k0 = c->k0;
    uint64_t s = 0;
    memcpy(pa + 4, a, 4 * (size_t)nv * sizeof *pa);
    _Pragma("GCC unroll 11") for (int v = 0; v <= nv; v++)
    {
        x[v] = z;
        xm[v] = z;
    }
    for (int g = 0; g < nv; g++) {
        /* the operand reads do not depend on g: keep the compiler from hoisting them out of the
         * loop into spilled copies (each would cost a load anyway, plus an instruction) */
        __asm__("" : "+r"(pa), "+r"(pm));
        _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++)
            s = step(x, xm, s, pa, pm, b[4 * g + t], k0, t, nv);
        /* lanes 4g .. 4g+3 are done: move the window up one vector (register renaming) */
        _Pragma("GCC unroll 11") for (int v = 0; v < nv; v++)
        {
            x[v] = x[v + 1];
            xm[v] = xm[v + 1];
        }
        x[nv] = z;
        xm[nv] = z;
    }
    /* lanes nl .. 2 nl - 1 with lane nl exact (s), then one carry pass in r (no carry out: the
     * value is below 2m < R). b is no longer read; r is the caller's scratch (wiped there). */
    _Pragma("GCC unroll 11") for (int v = 0; v < nv; v++)
        _mm256_storeu_si256((__m256i *)(void *)(r + 4 * v), _mm256_add_epi64(x[v], xm[v]));
    r[0] = s;
    uint64_t cy = 0;
    for (int j = 0; j < 4 * nv; j++) {
        uint64_t u = r[j] + cy;
        r[j] = u & M52;
        cy = u >> 52;
    }
}

/* WIN bits of e starting at bit s (public position; bits at or above the length read as 0). */
static uint64_t window(const uint64_t *e, unsigned s)
{
    unsigned w = s / 64, off = s % 64;
    uint64_t v = e[w] >> off;
    if (off > 64 - WIN)
        v |= e[w + 1] << (64 - off);
    return v & (TAB - 1);
}

/* r = a - m if a >= m, else a (52-bit limbs, masked). */
static void cnd_sub(uint64_t *a, const uint64_t *m, unsigned nl)
{
    uint64_t t[CRY_IFMA_MAX], borrow = 0;
    for (unsigned j = 0; j < nl; j++) {
        uint64_t d = a[j] - m[j] - borrow;
        t[j] = d & M52;
        borrow = d >> 63; /* limbs < 2^52: a borrow makes the top bit set */
    }
    uint64_t keep = 0 - borrow;
    for (unsigned j = 0; j < nl; j++)
        a[j] = (a[j] & keep) | (t[j] & ~keep);
    cry_wipe(t, sizeof t);
}

/*
 * The two halves packed into 512-bit vectors: vector w holds limbs 4w .. 4w + 3 of half 1 in lanes
 * 0-3 and of half 2 in lanes 4-7, so that one VPMADD52 zmm does the work of two ymm ones (on this
 * generation of cores a zmm multiply-add issues as fast as a ymm one). A packed number of nl limbs
 * per half is 2 nl uint64_t; limb j of half h is at pk(j, h).
 */
#define ZMAX (2 * CRY_IFMA_MAX)
#define pk(j, h) (8 * ((j) / 4) + 4 * (h) + (j) % 4)

struct zwork {
    __m512i sha[5][MAXV + 1]; /* [o][w]: limbs 4 (w - 1) + o .. + 3 of a, each half (see step) */
    __m512i shm[5][MAXV + 1]; /* the moduli likewise, made once per exponentiation */
    _Alignas(64) uint64_t tab[TAB][ZMAX];
    _Alignas(64) uint64_t x[ZMAX], s[ZMAX], rr[ZMAX], one[ZMAX], ex[8];
    uint64_t e1[CRY_IFMA_MAX + 1], e2[CRY_IFMA_MAX + 1];
    uint64_t k0[2], m0[2], m1[2], a0[2];
};

#define LD4(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))

/* [p1[0..4) | p2[0..4)] */
static INLINE IFMA __m512i pair(const uint64_t *p1, const uint64_t *p2)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(LD4(p1)), LD4(p2), 1);
}

/* the value b1 in lanes 0-3, b2 in lanes 4-7 */
static INLINE IFMA __m512i bcast2(uint64_t b1, uint64_t b2)
{
    return _mm512_mask_set1_epi64(_mm512_set1_epi64((long long)b1), 0xF0, (long long)b2);
}

/* the scalar part of zstep for half h: returns y; s becomes the exact lane i + 1 (l: that lane
 * with this step's a b_i products but not yet its m y ones) */
static INLINE uint64_t zscalar(uint64_t *s, const struct zwork *z, uint64_t b, uint64_t l,
                               const int h)
{
    const uint64_t a0 = z->a0[h], m0 = z->m0[h], m1 = z->m1[h];
    const uint64_t u = *s + ((a0 * b) & M52);
    const uint64_t y = (u * z->k0[h]) & M52, ul = u & M52;
    *s = l + ((m1 * y) & M52) + hi52(m0, y) + (u >> 52) + ((ul | (0 - ul)) >> 63);
    return y;
}

/*
 * Step i = 4 g + t of zamm for both halves (as step() above, on packed vectors). The a b_i
 * products go in first: they do not wait for y, and lane i + 1 read after them already holds
 * lo(a_1 b_i) + hi(a_0 b_i), which the scalar part then need not compute. The carry out of lane
 * i needs no product either: with u = s + lo(a_0 b_i), y makes u + lo(m_0 y) = 0 mod 2^52, so
 * the sum is u's high part plus one exactly when u's low 52 bits are not 0. s1, s2: the exact
 * lane i of each half on entry, lane i + 1 on return. Lane i + 1 goes through memory (the
 * compiler may turn that into extracts).
 */
static INLINE IFMA void zstep(__m512i *x, __m512i *xm, uint64_t *s1, uint64_t *s2,
                              struct zwork *z, const uint64_t *b, const int t, const int nv)
{
    const uint64_t b1 = b[t], b2 = b[4 + t];
    const __m512i bi = bcast2(b1, b2);
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        if (t > 0 || w < nv) /* the t = 0 low halves end below x[nv] */
            x[w] = _mm512_madd52lo_epu64(x[w], z->sha[4 - t][w], bi);
        x[w] = _mm512_madd52hi_epu64(x[w], z->sha[3 - t][w], bi);
    }
    _mm512_store_si512((void *)z->ex, _mm512_add_epi64(x[(t + 1) / 4], xm[(t + 1) / 4]));
    const uint64_t y1 = zscalar(s1, z, b1, z->ex[(t + 1) % 4], 0);
    const uint64_t y2 = zscalar(s2, z, b2, z->ex[4 + (t + 1) % 4], 1);
    const __m512i yv = bcast2(y1, y2);
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        if (t > 0 || w < nv)
            xm[w] = _mm512_madd52lo_epu64(xm[w], z->shm[4 - t][w], yv);
        xm[w] = _mm512_madd52hi_epu64(xm[w], z->shm[3 - t][w], yv);
    }
}

/* z->sha[o][w], lanes l of each half: limb 4 (w - 1) + o + l of a, from packed vectors w - 1 and w
 * by a two-source permute (no trip through per-half copies in memory); z->a0: each half's limb 0. */
static INLINE IFMA void zshifts(struct zwork *z, const uint64_t *a, const int nv)
{
    const __m512i zero = _mm512_setzero_si512();
    const __m512i i1 = _mm512_set_epi64(12, 7, 6, 5, 8, 3, 2, 1); /* lane l: o + l, 8 = cur */
    const __m512i i2 = _mm512_set_epi64(13, 12, 7, 6, 9, 8, 3, 2);
    const __m512i i3 = _mm512_set_epi64(14, 13, 12, 7, 10, 9, 8, 3);
    __m512i prev = zero;
    z->a0[0] = a[0];
    z->a0[1] = a[4];
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        const __m512i cur = w < nv ? _mm512_load_si512((const void *)(a + 8 * w)) : zero;
        z->sha[0][w] = prev;
        z->sha[1][w] = _mm512_permutex2var_epi64(prev, i1, cur);
        z->sha[2][w] = _mm512_permutex2var_epi64(prev, i2, cur);
        z->sha[3][w] = _mm512_permutex2var_epi64(prev, i3, cur);
        z->sha[4][w] = cur;
        prev = cur;
    }
}

/*
 * r = a b / R mod m for both packed halves (almost: < 2m), as amm() with two halves. r may alias
 * a or b. sha is rebuilt from a: the shifted reads of amm, paired, done once per call.
 */
static INLINE IFMA void zamm(uint64_t *r, const uint64_t *a, const uint64_t *b, struct zwork *z,
                             const int nv)
{
    __m512i x[MAXV + 1], xm[MAXV + 1];
    const __m512i zero = _mm512_setzero_si512();
    uint64_t s1 = 0, s2 = 0;
    zshifts(z, a, nv);
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        x[w] = zero;
        xm[w] = zero;
    }
    for (int g = 0; g < nv; g++) {
        /* as in amm: keep the operand reads in the loop (memory operands of the multiplies), not
         * hoisted into registers that then push the accumulators onto the stack */
        __asm__("" : "+r"(z));
        _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++)
            zstep(x, xm, &s1, &s2, z, b + 8 * g, t, nv);
        _Pragma("GCC unroll 11") for (int w = 0; w < nv; w++)
        {
            x[w] = x[w + 1];
            xm[w] = xm[w + 1];
        }
        x[nv] = zero;
        xm[nv] = zero;
    }
    _Pragma("GCC unroll 10") for (int w = 0; w < nv; w++)
        _mm512_store_si512((void *)(r + 8 * w), _mm512_add_epi64(x[w], xm[w]));
    r[0] = s1;
    r[4] = s2;
    uint64_t cy1 = 0, cy2 = 0;
    _Pragma("GCC unroll 40") for (int j = 0; j < 4 * nv; j++) /* constant indices, two chains */
    {
        uint64_t u1 = r[pk(j, 0)] + cy1, u2 = r[pk(j, 1)] + cy2;
        r[pk(j, 0)] = u1 & M52;
        r[pk(j, 1)] = u2 & M52;
        cy1 = u1 >> 52;
        cy2 = u2 >> 52;
    }
}

/*
 * Step i = 4 g + t of zsqr: zstep with b = a, adding only the products a_j a_i with j >= i (lane
 * l of x[w] takes a_j a_i for j = 4 w + l - t, lo, and j - 1, hi). Those with j > i go to xd,
 * which counts twice (a_i a_j for j < i was added, doubled, at step j); a_i a_i goes to x. The
 * vectors below w = g + t / 2 hold only j < i and are skipped; that one is split by lane masks
 * (public: they depend on g and t only). Lane i thus gets no product at step i unless i = 0: the
 * scalar part adds a_0 a_0 then only. Every lane ends with the same sum as in zamm(a, a).
 */
static INLINE IFMA void zsstep(__m512i *x, __m512i *xd, __m512i *xm, uint64_t *s1, uint64_t *s2,
                               struct zwork *z, const uint64_t *b, const int t, const int g,
                               const int nv)
{
    const uint64_t b1 = b[t], b2 = b[4 + t];
    const __m512i bi = bcast2(b1, b2);
    const int wb = g + t / 2, r = 2 * (t % 2);
    const __mmask8 elo = (__mmask8)(0x11 << r), glo = (__mmask8)(((0xE << r) & 0xF) * 0x11);
    const __mmask8 ehi = (__mmask8)(0x22 << r), ghi = (__mmask8)(((0xE << (r + 1)) & 0xF) * 0x11);
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        if (w > wb) {
            xd[w] = _mm512_madd52lo_epu64(xd[w], z->sha[4 - t][w], bi);
            xd[w] = _mm512_madd52hi_epu64(xd[w], z->sha[3 - t][w], bi);
        } else if (w == wb) {
            x[w] = _mm512_mask_madd52lo_epu64(x[w], elo, z->sha[4 - t][w], bi);
            xd[w] = _mm512_mask_madd52lo_epu64(xd[w], glo, z->sha[4 - t][w], bi);
            x[w] = _mm512_mask_madd52hi_epu64(x[w], ehi, z->sha[3 - t][w], bi);
            if (ghi)
                xd[w] = _mm512_mask_madd52hi_epu64(xd[w], ghi, z->sha[3 - t][w], bi);
        }
    }
    const int v = (t + 1) / 4;
    _mm512_store_si512((void *)z->ex, _mm512_add_epi64(_mm512_add_epi64(x[v], xm[v]),
                                                       _mm512_add_epi64(xd[v], xd[v])));
    const int first = g == 0 && t == 0;
    const uint64_t y1 = zscalar(s1, z, first ? b1 : 0, z->ex[(t + 1) % 4], 0);
    const uint64_t y2 = zscalar(s2, z, first ? b2 : 0, z->ex[4 + (t + 1) % 4], 1);
    const __m512i yv = bcast2(y1, y2);
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        if (t > 0 || w < nv)
            xm[w] = _mm512_madd52lo_epu64(xm[w], z->shm[4 - t][w], yv);
        xm[w] = _mm512_madd52hi_epu64(xm[w], z->shm[3 - t][w], yv);
    }
}

/* r = a a / R mod m for both packed halves (almost: < 2m), the same value as zamm(r, a, a) with
 * about half of its a b products (zsstep). r may alias a. */
static INLINE IFMA void zsqr(uint64_t *r, const uint64_t *a, struct zwork *z, const int nv)
{
    __m512i x[MAXV + 1], xd[MAXV + 1], xm[MAXV + 1];
    const __m512i zero = _mm512_setzero_si512();
    uint64_t s1 = 0, s2 = 0;
    zshifts(z, a, nv);
    _Pragma("GCC unroll 11") for (int w = 0; w <= nv; w++)
    {
        x[w] = zero;
        xd[w] = zero;
        xm[w] = zero;
    }
    /* unrolled: g fixes which vectors a step touches, and the accumulators stay in registers */
    _Pragma("GCC unroll 10") for (int g = 0; g < nv; g++)
    {
        _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++)
            zsstep(x, xd, xm, &s1, &s2, z, a + 8 * g, t, g, nv);
        _Pragma("GCC unroll 11") for (int w = 0; w < nv; w++)
        {
            x[w] = x[w + 1];
            xd[w] = xd[w + 1];
            xm[w] = xm[w + 1];
        }
        x[nv] = zero;
        xd[nv] = zero;
        xm[nv] = zero;
    }
    _Pragma("GCC unroll 10") for (int w = 0; w < nv; w++)
        _mm512_store_si512((void *)(r + 8 * w), _mm512_add_epi64(_mm512_add_epi64(x[w], xm[w]),
                                                                 _mm512_add_epi64(xd[w], xd[w])));
    r[0] = s1;
    r[4] = s2;
    uint64_t cy1 = 0, cy2 = 0;
    _Pragma("GCC unroll 40") for (int j = 0; j < 4 * nv; j++)
    {
        uint64_t u1 = r[pk(j, 0)] + cy1, u2 = r[pk(j, 1)] + cy2;
        r[pk(j, 0)] = u1 & M52;
        r[pk(j, 1)] = u2 & M52;
        cy1 = u1 >> 52;
        cy2 = u2 >> 52;
    }
}

/* a squaring in the exponentiations: zsqr at 20 limbs (RSA-2048), zamm above (zsqr there, fully
 * unrolled, ran RSA-4096 at half speed) */
static INLINE IFMA void zsq(uint64_t *r, const uint64_t *a, struct zwork *z, const int nv)
{
    if (nv == 5)
        zsqr(r, a, z, nv);
    else
        zamm(r, a, a, z, nv);
}

/* d = the packed table entry whose index is w1 in half 1 and w2 in half 2, reading every entry */
static INLINE IFMA void zlookup(uint64_t *d, const uint64_t (*tab)[ZMAX], uint64_t w1, uint64_t w2,
                                const int nv)
{
    __m512i acc[MAXV];
    const __m512i wv = bcast2(w1, w2), ones = _mm512_set1_epi64(-1);
    _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++)
        acc[v] = _mm512_setzero_si512();
    for (int e = 0; e < TAB; e++) {
        /* a vector of all-ones / all-zeros lanes, ANDed with the full entry (a plain load) */
        const __m512i k =
            _mm512_maskz_mov_epi64(_mm512_cmpeq_epi64_mask(wv, _mm512_set1_epi64(e)), ones);
        _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++)
        {
            __m512i t = _mm512_load_si512((const void *)(tab[e] + 8 * v));
            acc[v] = _mm512_ternarylogic_epi64(acc[v], t, k, 0xF8); /* acc | (t & k) */
        }
    }
    _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++)
        _mm512_store_si512((void *)(d + 8 * v), acc[v]);
}

/*
 * w->s1, w->s2 (bases, 52-bit limbs, < m) -> w->x1, w->x2 = base^e mod m, fully reduced. pub: e
 * is public and the same for both (w->e1): square and multiply, branching on its bits only.
 */
static INLINE IFMA void powm2_nv(struct work *w, const struct cry_ifma_mont *c1,
                                 const struct cry_ifma_mont *c2, unsigned ebits, const int nv,
                                 int pub)
{
    struct zwork z;
    const int nl = 4 * nv;
    const struct cry_ifma_mont *c[2] = {c1, c2};
    memset(&z, 0, sizeof z);
    for (int h = 0; h < 2; h++) {
        z.k0[h] = c[h]->k0;
        z.m0[h] = c[h]->m[0];
        z.m1[h] = c[h]->m[1];
        for (int j = 0; j < nl; j++) {
            z.rr[pk(j, h)] = c[h]->rr[j];
            z.s[pk(j, h)] = h ? w->s2[j] : w->s1[j];
        }
        z.one[pk(0, h)] = 1;
    }
    for (int o = 0; o < 5; o++)
        for (int v = 0; v <= nv; v++)
            z.shm[o][v] = pair(c1->mp + o + 4 * v, c2->mp + o + 4 * v);
    memcpy(z.e1, w->e1, sizeof z.e1);
    memcpy(z.e2, w->e2, sizeof z.e2);
    if (pub) { /* x = R mod m; tab[1] = b R mod m */
        zamm(z.x, z.rr, z.one, &z, nv);
        zamm(z.tab[1], z.s, z.rr, &z, nv);
        for (unsigned i = ebits; i-- > 0;) {
            zsq(z.x, z.x, &z, nv);
            if ((z.e1[i / 64] >> (i % 64)) & 1) /* a public exponent's bit */
                zamm(z.x, z.x, z.tab[1], &z, nv);
        }
        goto out;
    }
    /* tab[0] = R mod m (1 in Montgomery form), tab[1] = b R mod m, tab[i] = tab[i - 1] tab[1] */
    zamm(z.tab[0], z.rr, z.one, &z, nv);
    zamm(z.tab[1], z.s, z.rr, &z, nv);
    for (int i = 2; i < TAB; i++)
        zamm(z.tab[i], z.tab[i - 1], z.tab[1], &z, nv);
    unsigned nwin = (ebits + WIN - 1) / WIN;
    zlookup(z.x, (const uint64_t(*)[ZMAX])z.tab, window(z.e1, WIN * (nwin - 1)),
            window(z.e2, WIN * (nwin - 1)), nv);
    for (unsigned k = nwin - 1; k-- > 0;) {
        for (int s = 0; s < WIN; s++)
            zsq(z.x, z.x, &z, nv);
        zlookup(z.s, (const uint64_t(*)[ZMAX])z.tab, window(z.e1, WIN * k), window(z.e2, WIN * k),
                nv);
        zamm(z.x, z.x, z.s, &z, nv);
    }
out:
    /* out of Montgomery form: x 1 / R <= m; then below m */
    zamm(z.x, z.x, z.one, &z, nv);
    for (int j = 0; j < nl; j++) {
        w->x1[j] = z.x[pk(j, 0)];
        w->x2[j] = z.x[pk(j, 1)];
    }
    cnd_sub(w->x1, c1->m, c1->nl);
    cnd_sub(w->x2, c2->m, c2->nl);
    cry_wipe(&z, sizeof z);
}

static NOINLINE IFMA void powm2_20(struct work *w, const struct cry_ifma_mont *c1,
                          const struct cry_ifma_mont *c2, unsigned ebits, int pub)
{
    powm2_nv(w, c1, c2, ebits, 5, pub);
}

static NOINLINE IFMA void powm2_32(struct work *w, const struct cry_ifma_mont *c1,
                          const struct cry_ifma_mont *c2, unsigned ebits, int pub)
{
    powm2_nv(w, c1, c2, ebits, 8, pub);
}

static NOINLINE IFMA void powm2_40(struct work *w, const struct cry_ifma_mont *c1,
                          const struct cry_ifma_mont *c2, unsigned ebits, int pub)
{
    powm2_nv(w, c1, c2, ebits, 10, pub);
}

/*
 * What the exponentiations leave behind, cleared: their frames hold, besides the struct zwork they
 * wipe, whatever vectors the compiler spilled (accumulators of products of secret limbs; powm2_20's
 * frame is 35 KB with GCC 12), and zmm0-31 hold the last such vectors. Called by the function that
 * called them, right after, so that its array lies where their frames were; BURN_BYTES covers the
 * largest of them with margin. Costs well under a microsecond per call.
 */
#define BURN_BYTES (48 * 1024)
static NOINLINE IFMA void burn(void)
{
    _Alignas(64) uint8_t b[BURN_BYTES];
    cry_wipe(b, sizeof b);
    /* a VEX or EVEX write of an xmm register zeroes the whole zmm */
    __asm__ volatile("vpxor %%xmm0, %%xmm0, %%xmm0\n\tvpxor %%xmm1, %%xmm1, %%xmm1\n\t"
                     "vpxor %%xmm2, %%xmm2, %%xmm2\n\tvpxor %%xmm3, %%xmm3, %%xmm3\n\t"
                     "vpxor %%xmm4, %%xmm4, %%xmm4\n\tvpxor %%xmm5, %%xmm5, %%xmm5\n\t"
                     "vpxor %%xmm6, %%xmm6, %%xmm6\n\tvpxor %%xmm7, %%xmm7, %%xmm7\n\t"
                     "vpxor %%xmm8, %%xmm8, %%xmm8\n\tvpxor %%xmm9, %%xmm9, %%xmm9\n\t"
                     "vpxor %%xmm10, %%xmm10, %%xmm10\n\tvpxor %%xmm11, %%xmm11, %%xmm11\n\t"
                     "vpxor %%xmm12, %%xmm12, %%xmm12\n\tvpxor %%xmm13, %%xmm13, %%xmm13\n\t"
                     "vpxor %%xmm14, %%xmm14, %%xmm14\n\tvpxor %%xmm15, %%xmm15, %%xmm15\n\t"
                     "vpxord %%xmm16, %%xmm16, %%xmm16\n\tvpxord %%xmm17, %%xmm17, %%xmm17\n\t"
                     "vpxord %%xmm18, %%xmm18, %%xmm18\n\tvpxord %%xmm19, %%xmm19, %%xmm19\n\t"
                     "vpxord %%xmm20, %%xmm20, %%xmm20\n\tvpxord %%xmm21, %%xmm21, %%xmm21\n\t"
                     "vpxord %%xmm22, %%xmm22, %%xmm22\n\tvpxord %%xmm23, %%xmm23, %%xmm23\n\t"
                     "vpxord %%xmm24, %%xmm24, %%xmm24\n\tvpxord %%xmm25, %%xmm25, %%xmm25\n\t"
                     "vpxord %%xmm26, %%xmm26, %%xmm26\n\tvpxord %%xmm27, %%xmm27, %%xmm27\n\t"
                     "vpxord %%xmm28, %%xmm28, %%xmm28\n\tvpxord %%xmm29, %%xmm29, %%xmm29\n\t"
                     "vpxord %%xmm30, %%xmm30, %%xmm30\n\tvpxord %%xmm31, %%xmm31, %%xmm31"
                     :
                     :
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16",
                       "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24",
                       "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31");
}

/* cry_ifma_sqr2_check for nv vectors: rs = zsqr(a), rm = zamm(a, a) */
static INLINE IFMA void sqr2_check_nv(uint64_t *rs, uint64_t *rm, const uint64_t *a1,
                                      const uint64_t *a2, const struct cry_ifma_mont *c1,
                                      const struct cry_ifma_mont *c2, const int nv)
{
    struct zwork z;
    const struct cry_ifma_mont *c[2] = {c1, c2};
    _Alignas(64) uint64_t a[ZMAX], r[ZMAX];
    memset(&z, 0, sizeof z);
    memset(a, 0, sizeof a);
    for (int h = 0; h < 2; h++) {
        z.k0[h] = c[h]->k0;
        z.m0[h] = c[h]->m[0];
        z.m1[h] = c[h]->m[1];
        for (int j = 0; j < 4 * nv; j++)
            a[pk(j, h)] = h ? a2[j] : a1[j];
    }
    for (int o = 0; o < 5; o++)
        for (int v = 0; v <= nv; v++)
            z.shm[o][v] = pair(c1->mp + o + 4 * v, c2->mp + o + 4 * v);
    for (int k = 0; k < 2; k++) {
        uint64_t *out = k ? rm : rs;
        if (k)
            zamm(r, a, a, &z, nv);
        else
            zsqr(r, a, &z, nv);
        for (int j = 0; j < 4 * nv; j++) {
            out[j] = r[pk(j, 0)];
            out[4 * nv + j] = r[pk(j, 1)];
        }
    }
}

static NOINLINE IFMA void sqr2_check_20(uint64_t *rs, uint64_t *rm, const uint64_t *a1,
                                        const uint64_t *a2, const struct cry_ifma_mont *c1,
                                        const struct cry_ifma_mont *c2)
{
    sqr2_check_nv(rs, rm, a1, a2, c1, c2, 5);
}

int cry_ifma_sqr2_check(uint64_t *rs, uint64_t *rm, const uint64_t *a1, const uint64_t *a2,
                        const struct cry_ifma_mont *c1, const struct cry_ifma_mont *c2)
{
    if (!cry_ifma_cpu() || c1->nl != 20 || c2->nl != 20) /* zsqr runs at 20 limbs only */
        return -1;
    sqr2_check_20(rs, rm, a1, a2, c1, c2);
    burn();
    return 0;
}

static void powm2_any(uint64_t *r1, const uint64_t *b1, const uint64_t *e1,
                      const struct cry_ifma_mont *c1, uint64_t *r2, const uint64_t *b2,
                      const uint64_t *e2, const struct cry_ifma_mont *c2, unsigned ebits, int pub)
{
    struct work w;
    unsigned nl = c1->nl, el = (ebits + 63) / 64;
    if (nl != c2->nl || ebits == 0 || ebits > 64 * CRY_IFMA_MAX) /* a caller's bug: no output */
        return;
    memset(&w, 0, sizeof w);
    w.one[0] = 1;
    memcpy(w.e1, e1, el * sizeof *e1);
    memcpy(w.e2, e2, el * sizeof *e2);
    if (ebits % 64) { /* read exactly ebits bits */
        w.e1[el - 1] &= (UINT64_C(1) << (ebits % 64)) - 1;
        w.e2[el - 1] &= (UINT64_C(1) << (ebits % 64)) - 1;
    }
    to52(w.s1, nl, b1, c1->n64);
    to52(w.s2, nl, b2, c2->n64);
    if (nl == 20)
        powm2_20(&w, c1, c2, ebits, pub);
    else if (nl == 32)
        powm2_32(&w, c1, c2, ebits, pub);
    else
        powm2_40(&w, c1, c2, ebits, pub);
    burn();
    from52(r1, c1->n64, w.x1, nl);
    from52(r2, c2->n64, w.x2, nl);
    cry_wipe(&w, sizeof w);
}

void cry_ifma_powm2(uint64_t *r1, const uint64_t *b1, const uint64_t *e1,
                    const struct cry_ifma_mont *c1, uint64_t *r2, const uint64_t *b2,
                    const uint64_t *e2, const struct cry_ifma_mont *c2, unsigned ebits)
{
    powm2_any(r1, b1, e1, c1, r2, b2, e2, c2, ebits, 0);
}

void cry_ifma_powm2_pub(uint64_t *r1, const uint64_t *b1, const struct cry_ifma_mont *c1,
                        uint64_t *r2, const uint64_t *b2, const struct cry_ifma_mont *c2,
                        const uint64_t *e, unsigned ebits)
{
    powm2_any(r1, b1, e, c1, r2, b2, e, c2, ebits, 1);
}

/* w->s1 (base, < m) -> w->x1 = base^e mod m, e public (w->e1, ebits bits): square and multiply. */
static INLINE IFMA void powpub_nv(struct work *w, const struct cry_ifma_mont *c, unsigned ebits,
                                  const int nv)
{
    amm(w->x1, c->rr, w->one, c, w->pa, nv); /* R mod m */
    amm(w->bm, w->s1, c->rr, c, w->pa, nv);
    for (unsigned i = ebits; i-- > 0;) {
        amm(w->x1, w->x1, w->x1, c, w->pa, nv);
        if ((w->e1[i / 64] >> (i % 64)) & 1) /* a public exponent's bit */
            amm(w->x1, w->x1, w->bm, c, w->pa, nv);
    }
    amm(w->x1, w->x1, w->one, c, w->pa, nv);
    cnd_sub(w->x1, c->m, c->nl);
}

static NOINLINE IFMA void powpub_20(struct work *w, const struct cry_ifma_mont *c, unsigned ebits)
{
    powpub_nv(w, c, ebits, 5);
}

static NOINLINE IFMA void powpub_32(struct work *w, const struct cry_ifma_mont *c, unsigned ebits)
{
    powpub_nv(w, c, ebits, 8);
}

static NOINLINE IFMA void powpub_40(struct work *w, const struct cry_ifma_mont *c, unsigned ebits)
{
    powpub_nv(w, c, ebits, 10);
}

void cry_ifma_powm_pub(uint64_t *r, const uint64_t *b, const uint64_t *e, unsigned ebits,
                       const struct cry_ifma_mont *c)
{
    struct work w;
    unsigned el = (ebits + 63) / 64;
    if (ebits == 0 || ebits > 64 * CRY_IFMA_MAX) /* a caller's bug: no output */
        return;
    memset(&w, 0, sizeof w);
    w.one[0] = 1;
    memcpy(w.e1, e, el * sizeof *e);
    to52(w.s1, c->nl, b, c->n64);
    if (c->nl == 20)
        powpub_20(&w, c, ebits);
    else if (c->nl == 32)
        powpub_32(&w, c, ebits);
    else
        powpub_40(&w, c, ebits);
    burn(); /* the base may be secret (a blinding factor) */
    from52(r, c->n64, w.x1, c->nl);
    cry_wipe(&w, sizeof w);
}

#else

int cry_ifma_cpu(void) { return 0; }

int cry_ifma_sqr2_check(uint64_t *rs, uint64_t *rm, const uint64_t *a1, const uint64_t *a2,
                        const struct cry_ifma_mont *c1, const struct cry_ifma_mont *c2)
{
    (void)rs, (void)rm, (void)a1, (void)a2, (void)c1, (void)c2;
    return -1;
}

void cry_ifma_powm2(uint64_t *r1, const uint64_t *b1, const uint64_t *e1,
                    const struct cry_ifma_mont *c1, uint64_t *r2, const uint64_t *b2,
                    const uint64_t *e2, const struct cry_ifma_mont *c2, unsigned ebits)
{
    (void)r1, (void)b1, (void)e1, (void)c1, (void)r2, (void)b2, (void)e2, (void)c2, (void)ebits;
}

void cry_ifma_powm_pub(uint64_t *r, const uint64_t *b, const uint64_t *e, unsigned ebits,
                       const struct cry_ifma_mont *c)
{
    (void)r, (void)b, (void)e, (void)ebits, (void)c;
}

void cry_ifma_powm2_pub(uint64_t *r1, const uint64_t *b1, const struct cry_ifma_mont *c1,
                        uint64_t *r2, const uint64_t *b2, const struct cry_ifma_mont *c2,
                        const uint64_t *e, unsigned ebits)
{
    (void)r1, (void)b1, (void)c1, (void)r2, (void)b2, (void)c2, (void)e, (void)ebits;
}

#endif

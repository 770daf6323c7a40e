/*
 * rsa_ifma.c - modular exponentiation on AVX-512 IFMA for the RSA CRT halves (issue 18), two
 * exponentiations interleaved so that the two dependency chains of Montgomery reduction overlap.
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
 * five squarings and one multiplication per window; every entry is read in full for every lookup
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
#define MAXV (CRY_IFMA_MAX / 4)
#define WIN 5
#define TAB (1 << WIN)

int cry_ifma_cpu(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512ifma");
}

/* Scratch of one exponentiation pair: wiped before returning. */
struct work {
    uint64_t tab1[TAB][CRY_IFMA_MAX], tab2[TAB][CRY_IFMA_MAX];
    uint64_t x1[CRY_IFMA_MAX], x2[CRY_IFMA_MAX], s1[CRY_IFMA_MAX], s2[CRY_IFMA_MAX];
    uint64_t e1[CRY_IFMA_MAX + 1], e2[CRY_IFMA_MAX + 1];
    uint64_t one[CRY_IFMA_MAX];
    uint64_t pa1[CRY_IFMA_MAX + 8], pa2[CRY_IFMA_MAX + 8]; /* amm's padded operands */
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
 * r = a b / R mod m (almost: < 2m for a, b < 2m), for one half or two (two: a constant after
 * inlining, as is nv = nl / 4). r may alias a or b. pa1, pa2: scratch of CRY_IFMA_MAX + 8 limbs
 * (zero outside 4 .. 4 + nl).
 * Lanes are not carried: the vector lanes below lane i miss the carries, which the scalar s holds
 * exactly (lane i with everything below folded in); the dropped low half of the sum is thus
 * s's carry-out at the end, and the kept lanes i >= nl are complete sums below 2^60. The a b_i
 * and m y products go to two accumulators (x, xm), added at the end: each gets two dependent
 * multiply-adds per step instead of four (the lone exponentiation of cry_ifma_powm_pub waits on
 * them).
 */
static INLINE IFMA void amm(uint64_t *r1, const uint64_t *a1, const uint64_t *b1,
                            const struct cry_ifma_mont *c1, uint64_t *r2, const uint64_t *a2,
                            const uint64_t *b2, const struct cry_ifma_mont *c2, uint64_t *pa1,
                            uint64_t *pa2, const int nv, const int two)
{
    __m256i x1[MAXV + 1], x2[MAXV + 1], xm1[MAXV + 1], xm2[MAXV + 1];
    const __m256i z = _mm256_setzero_si256();
    const uint64_t *pm1 = c1->mp, *pm2 = c2->mp, k1 = c1->k0, k2 = c2->k0;
    uint64_t s1 = 0, s2 = 0;
    memcpy(pa1 + 4, a1, 4 * (size_t)nv * sizeof *pa1);
    if (two)
        memcpy(pa2 + 4, a2, 4 * (size_t)nv * sizeof *pa2);
    _Pragma("GCC unroll 11") for (int v = 0; v <= nv; v++)
    {
        x1[v] = z;
        x2[v] = z;
        xm1[v] = z;
        xm2[v] = z;
    }
    for (int g = 0; g < nv; g++) {
        /* the operand reads do not depend on g: keep the compiler from hoisting them out of the
         * loop into spilled copies (each would cost a load anyway, plus an instruction) */
        __asm__("" : "+r"(pa1), "+r"(pa2), "+r"(pm1), "+r"(pm2));
        _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++)
        {
            s1 = step(x1, xm1, s1, pa1, pm1, b1[4 * g + t], k1, t, nv);
            if (two)
                s2 = step(x2, xm2, s2, pa2, pm2, b2[4 * g + t], k2, t, nv);
        }
        /* lanes 4g .. 4g+3 are done: move the window up one vector (register renaming) */
        _Pragma("GCC unroll 11") for (int v = 0; v < nv; v++)
        {
            x1[v] = x1[v + 1];
            x2[v] = x2[v + 1];
            xm1[v] = xm1[v + 1];
            xm2[v] = xm2[v + 1];
        }
        x1[nv] = z;
        x2[nv] = z;
        xm1[nv] = z;
        xm2[nv] = z;
    }
    /* lanes nl .. 2 nl - 1 with lane nl exact (s), then one carry pass in r (no carry out: the
     * value is below 2m < R). b is no longer read; r is the caller's scratch (wiped there). */
    _Pragma("GCC unroll 11") for (int v = 0; v < nv; v++)
    {
        _mm256_storeu_si256((__m256i *)(void *)(r1 + 4 * v), _mm256_add_epi64(x1[v], xm1[v]));
        if (two)
            _mm256_storeu_si256((__m256i *)(void *)(r2 + 4 * v), _mm256_add_epi64(x2[v], xm2[v]));
    }
    r1[0] = s1;
    if (two)
        r2[0] = s2;
    uint64_t cy1 = 0, cy2 = 0;
    for (int j = 0; j < 4 * nv; j++) {
        uint64_t u1 = r1[j] + cy1;
        r1[j] = u1 & M52;
        cy1 = u1 >> 52;
        if (two) {
            uint64_t u2 = r2[j] + cy2;
            r2[j] = u2 & M52;
            cy2 = u2 >> 52;
        }
    }
}

/* d = the table entry whose index equals w (0 <= w < TAB), reading every entry. */
static INLINE IFMA void lookup(uint64_t *d, const uint64_t (*tab)[CRY_IFMA_MAX], uint64_t w,
                               const int nv)
{
    __m256i acc[MAXV];
    const __m256i wv = _mm256_set1_epi64x((long long)w);
    _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++)
        acc[v] = _mm256_setzero_si256();
    for (int e = 0; e < TAB; e++) {
        /* a vector mask and AND / OR: every entry is loaded in full (no masked load) */
        const __m256i k = _mm256_cmpeq_epi64(wv, _mm256_set1_epi64x(e));
        _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++) {
            __m256i t = _mm256_loadu_si256((const __m256i *)(const void *)(tab[e] + 4 * v));
            acc[v] = _mm256_or_si256(acc[v], _mm256_and_si256(t, k));
        }
    }
    _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++)
        _mm256_storeu_si256((__m256i *)(void *)(d + 4 * v), acc[v]);
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

/* w->s1, w->s2 (bases, 52-bit limbs, < m) -> w->x1, w->x2 = base^e mod m, fully reduced. */
static INLINE IFMA void powm2_nv(struct work *w, const struct cry_ifma_mont *c1,
                                 const struct cry_ifma_mont *c2, unsigned ebits, const int nv)
{
    /* tab[0] = R mod m (1 in Montgomery form), tab[1] = b R mod m, tab[i] = tab[i - 1] tab[1] */
    amm(w->tab1[0], c1->rr, w->one, c1, w->tab2[0], c2->rr, w->one, c2, w->pa1, w->pa2, nv, 1);
    amm(w->tab1[1], w->s1, c1->rr, c1, w->tab2[1], w->s2, c2->rr, c2, w->pa1, w->pa2, nv, 1);
    for (int i = 2; i < TAB; i++)
        amm(w->tab1[i], w->tab1[i - 1], w->tab1[1], c1, w->tab2[i], w->tab2[i - 1], w->tab2[1], c2,
            w->pa1, w->pa2, nv, 1);
    unsigned nwin = (ebits + WIN - 1) / WIN;
    lookup(w->x1, (const uint64_t(*)[CRY_IFMA_MAX])w->tab1, window(w->e1, WIN * (nwin - 1)), nv);
    lookup(w->x2, (const uint64_t(*)[CRY_IFMA_MAX])w->tab2, window(w->e2, WIN * (nwin - 1)), nv);
    for (unsigned k = nwin - 1; k-- > 0;) {
        for (int s = 0; s < WIN; s++)
            amm(w->x1, w->x1, w->x1, c1, w->x2, w->x2, w->x2, c2, w->pa1, w->pa2, nv, 1);
        lookup(w->s1, (const uint64_t(*)[CRY_IFMA_MAX])w->tab1, window(w->e1, WIN * k), nv);
        lookup(w->s2, (const uint64_t(*)[CRY_IFMA_MAX])w->tab2, window(w->e2, WIN * k), nv);
        amm(w->x1, w->x1, w->s1, c1, w->x2, w->x2, w->s2, c2, w->pa1, w->pa2, nv, 1);
    }
    /* out of Montgomery form: x 1 / R <= m; then below m */
    amm(w->x1, w->x1, w->one, c1, w->x2, w->x2, w->one, c2, w->pa1, w->pa2, nv, 1);
    cnd_sub(w->x1, c1->m, c1->nl);
    cnd_sub(w->x2, c2->m, c2->nl);
}

static IFMA void powm2_20(struct work *w, const struct cry_ifma_mont *c1,
                          const struct cry_ifma_mont *c2, unsigned ebits)
{
    powm2_nv(w, c1, c2, ebits, 5);
}

static IFMA void powm2_32(struct work *w, const struct cry_ifma_mont *c1,
                          const struct cry_ifma_mont *c2, unsigned ebits)
{
    powm2_nv(w, c1, c2, ebits, 8);
}

static IFMA void powm2_40(struct work *w, const struct cry_ifma_mont *c1,
                          const struct cry_ifma_mont *c2, unsigned ebits)
{
    powm2_nv(w, c1, c2, ebits, 10);
}

void cry_ifma_powm2(uint64_t *r1, const uint64_t *b1, const uint64_t *e1,
                    const struct cry_ifma_mont *c1, uint64_t *r2, const uint64_t *b2,
                    const uint64_t *e2, const struct cry_ifma_mont *c2, unsigned ebits)
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
        powm2_20(&w, c1, c2, ebits);
    else if (nl == 32)
        powm2_32(&w, c1, c2, ebits);
    else
        powm2_40(&w, c1, c2, ebits);
    from52(r1, c1->n64, w.x1, nl);
    from52(r2, c2->n64, w.x2, nl);
    cry_wipe(&w, sizeof w);
}

/* w->s1 (base, < m) -> w->x1 = base^e mod m, e public (w->e1, ebits bits): square and multiply. */
static INLINE IFMA void powpub_nv(struct work *w, const struct cry_ifma_mont *c, unsigned ebits,
                                  const int nv)
{
    amm(w->x1, c->rr, w->one, c, NULL, NULL, NULL, c, w->pa1, w->pa2, nv, 0); /* R mod m */
    amm(w->tab1[1], w->s1, c->rr, c, NULL, NULL, NULL, c, w->pa1, w->pa2, nv, 0);
    for (unsigned i = ebits; i-- > 0;) {
        amm(w->x1, w->x1, w->x1, c, NULL, NULL, NULL, c, w->pa1, w->pa2, nv, 0);
        if ((w->e1[i / 64] >> (i % 64)) & 1) /* a public exponent's bit */
            amm(w->x1, w->x1, w->tab1[1], c, NULL, NULL, NULL, c, w->pa1, w->pa2, nv, 0);
    }
    amm(w->x1, w->x1, w->one, c, NULL, NULL, NULL, c, w->pa1, w->pa2, nv, 0);
    cnd_sub(w->x1, c->m, c->nl);
}

static IFMA void powpub_20(struct work *w, const struct cry_ifma_mont *c, unsigned ebits)
{
    powpub_nv(w, c, ebits, 5);
}

static IFMA void powpub_32(struct work *w, const struct cry_ifma_mont *c, unsigned ebits)
{
    powpub_nv(w, c, ebits, 8);
}

static IFMA void powpub_40(struct work *w, const struct cry_ifma_mont *c, unsigned ebits)
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
    from52(r, c->n64, w.x1, c->nl);
    cry_wipe(&w, sizeof w);
}

#else

int cry_ifma_cpu(void) { return 0; }

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

#endif

/*
 * rsa_ifma.c - modular exponentiation on AVX-512 IFMA for the RSA CRT halves (issue 18), two
 * exponentiations interleaved so that the two dependency chains of Montgomery reduction overlap.
 *
 * Almost-Montgomery multiplication, word by word: for each 52-bit limb b_i of b,
 *   x += a b_i (low halves of the 104-bit products, lane j); y = x_0 k0 mod 2^52;
 *   x += m y (low halves); x /= 2^52 (x_0 is now 0 mod 2^52: shift the lanes down by one and add
 *   x_0 >> 52 to the new lane 0); x += high halves of a b_i and m y (they weigh one limb more, which
 *   is where the shift put them).
 * Lanes are not carried inside the loop: each gains less than 2^54 per step and lives at most nl
 * steps, so stays below 2^60 (nl <= 40); one carry pass at the end gives 52-bit limbs again. With
 * a, b < 2m and 4m < R = 2^(52 nl) the result is below 2m (no subtraction inside the
 * exponentiation); leaving Montgomery form (multiplying by 1) gives a value <= m, and one masked
 * subtraction makes it < m.
 * Exponentiation: table of base^0..base^31 (Montgomery form), ceil(ebits / 5) windows from the top,
 * five squarings and one multiplication per window; every entry is read for every lookup and kept
 * by a k-mask compare with the window value. The window value is only ever compared, never used as
 * an index or a branch. Every trip count is a public size (nl, ebits).
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
};

/* r = a b / R mod m (almost: < 2m for a, b < 2m), twice; nv = nl / 4 vectors (a constant after
 * inlining, so that the accumulators stay in registers). r may alias a or b. */
static INLINE IFMA void amm2(uint64_t *r1, const uint64_t *a1, const uint64_t *b1,
                             const struct cry_ifma_mont *c1, uint64_t *r2, const uint64_t *a2,
                             const uint64_t *b2, const struct cry_ifma_mont *c2, const int nv)
{
    __m256i x1[MAXV], x2[MAXV], A1[MAXV], A2[MAXV], N1[MAXV], N2[MAXV];
    const __m256i z = _mm256_setzero_si256();
    _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++) {
        x1[v] = z;
        x2[v] = z;
        A1[v] = _mm256_loadu_si256((const __m256i *)(const void *)(a1 + 4 * v));
        A2[v] = _mm256_loadu_si256((const __m256i *)(const void *)(a2 + 4 * v));
        N1[v] = _mm256_loadu_si256((const __m256i *)(const void *)(c1->m + 4 * v));
        N2[v] = _mm256_loadu_si256((const __m256i *)(const void *)(c2->m + 4 * v));
    }
    const uint64_t k1 = c1->k0, k2 = c2->k0, a10 = a1[0], a20 = a2[0];
    for (int i = 0; i < 4 * nv; i++) {
        const __m256i bi1 = _mm256_set1_epi64x((long long)b1[i]);
        const __m256i bi2 = _mm256_set1_epi64x((long long)b2[i]);
        /* y = (x_0 + a_0 b_i) k0 mod 2^52: only the low 52 bits matter, so 64-bit products do */
        uint64_t t1 = (uint64_t)_mm_cvtsi128_si64(_mm256_castsi256_si128(x1[0])) + a10 * b1[i];
        uint64_t t2 = (uint64_t)_mm_cvtsi128_si64(_mm256_castsi256_si128(x2[0])) + a20 * b2[i];
        const __m256i y1 = _mm256_set1_epi64x((long long)((t1 * k1) & M52));
        const __m256i y2 = _mm256_set1_epi64x((long long)((t2 * k2) & M52));
        _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++) {
            x1[v] = _mm256_madd52lo_epu64(x1[v], A1[v], bi1);
            x2[v] = _mm256_madd52lo_epu64(x2[v], A2[v], bi2);
        }
        _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++) {
            x1[v] = _mm256_madd52lo_epu64(x1[v], N1[v], y1);
            x2[v] = _mm256_madd52lo_epu64(x2[v], N2[v], y2);
        }
        /* divide by 2^52: lane 0 is 0 mod 2^52 now; its carry goes to the next lane */
        const __m256i cy1 = _mm256_maskz_srli_epi64(1, x1[0], 52);
        const __m256i cy2 = _mm256_maskz_srli_epi64(1, x2[0], 52);
        _Pragma("GCC unroll 10") for (int v = 0; v < nv - 1; v++) {
            x1[v] = _mm256_alignr_epi64(x1[v + 1], x1[v], 1);
            x2[v] = _mm256_alignr_epi64(x2[v + 1], x2[v], 1);
        }
        x1[nv - 1] = _mm256_alignr_epi64(z, x1[nv - 1], 1);
        x2[nv - 1] = _mm256_alignr_epi64(z, x2[nv - 1], 1);
        x1[0] = _mm256_add_epi64(x1[0], cy1);
        x2[0] = _mm256_add_epi64(x2[0], cy2);
        _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++) {
            x1[v] = _mm256_madd52hi_epu64(x1[v], A1[v], bi1);
            x2[v] = _mm256_madd52hi_epu64(x2[v], A2[v], bi2);
        }
        _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++) {
            x1[v] = _mm256_madd52hi_epu64(x1[v], N1[v], y1);
            x2[v] = _mm256_madd52hi_epu64(x2[v], N2[v], y2);
        }
    }
    /* carry pass back to 52-bit limbs (the value is below 2m < R: no carry out of the top) */
    uint64_t o1[CRY_IFMA_MAX], o2[CRY_IFMA_MAX];
    _Pragma("GCC unroll 10") for (int v = 0; v < nv; v++) {
        _mm256_storeu_si256((__m256i *)(void *)(o1 + 4 * v), x1[v]);
        _mm256_storeu_si256((__m256i *)(void *)(o2 + 4 * v), x2[v]);
    }
    uint64_t c1c = 0, c2c = 0;
    for (int j = 0; j < 4 * nv; j++) {
        uint64_t u1 = o1[j] + c1c, u2 = o2[j] + c2c;
        r1[j] = u1 & M52;
        r2[j] = u2 & M52;
        c1c = u1 >> 52;
        c2c = u2 >> 52;
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
    amm2(w->tab1[0], c1->rr, w->one, c1, w->tab2[0], c2->rr, w->one, c2, nv);
    amm2(w->tab1[1], w->s1, c1->rr, c1, w->tab2[1], w->s2, c2->rr, c2, nv);
    for (int i = 2; i < TAB; i++)
        amm2(w->tab1[i], w->tab1[i - 1], w->tab1[1], c1, w->tab2[i], w->tab2[i - 1], w->tab2[1], c2,
             nv);
    unsigned nwin = (ebits + WIN - 1) / WIN;
    lookup(w->x1, (const uint64_t(*)[CRY_IFMA_MAX])w->tab1, window(w->e1, WIN * (nwin - 1)), nv);
    lookup(w->x2, (const uint64_t(*)[CRY_IFMA_MAX])w->tab2, window(w->e2, WIN * (nwin - 1)), nv);
    for (unsigned k = nwin - 1; k-- > 0;) {
        for (int s = 0; s < WIN; s++)
            amm2(w->x1, w->x1, w->x1, c1, w->x2, w->x2, w->x2, c2, nv);
        lookup(w->s1, (const uint64_t(*)[CRY_IFMA_MAX])w->tab1, window(w->e1, WIN * k), nv);
        lookup(w->s2, (const uint64_t(*)[CRY_IFMA_MAX])w->tab2, window(w->e2, WIN * k), nv);
        amm2(w->x1, w->x1, w->s1, c1, w->x2, w->x2, w->s2, c2, nv);
    }
    /* out of Montgomery form: x 1 / R <= m; then below m */
    amm2(w->x1, w->x1, w->one, c1, w->x2, w->x2, w->one, c2, nv);
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

#else

int cry_ifma_cpu(void) { return 0; }

void cry_ifma_powm2(uint64_t *r1, const uint64_t *b1, const uint64_t *e1,
                    const struct cry_ifma_mont *c1, uint64_t *r2, const uint64_t *b2,
                    const uint64_t *e2, const struct cry_ifma_mont *c2, unsigned ebits)
{
    (void)r1, (void)b1, (void)e1, (void)c1, (void)r2, (void)b2, (void)e2, (void)c2, (void)ebits;
}

#endif

/*
 * x25519.c - X25519 (RFC 7748 §5) written from the RFC's description, with two field arithmetics:
 * a portable one (five 51-bit limbs, below) and, on x86-64 CPUs with BMI2 and ADX, four 64-bit limbs
 * in inline assembly, multiplied with MULX and two carry chains (ADCX, ADOX) (issue 18 point 3), chosen
 * at each call by __builtin_cpu_supports;
 * CRY_X25519_PORTABLE forces the portable one. Both run the same ladder and give the same bytes.
 * cry_x25519_base (u = 9) instead runs a fixed-base comb on edwards25519 with a table made once per
 * process (comment above base_comb), on the same field as the ladder would (base_comb_adx on the
 * fast one); CRY_X25519_PORTABLE_COMB forces the portable comb and CRY_X25519_PORTABLE sends it to
 * the ladder, which the tests compare both combs with.
 *
 * Portable field: GF(p), p = 2^255 - 19. An element is five 64-bit limbs of radix 2^51
 * (value = sum l[i] 2^(51 i)); limbs may exceed 51 bits between operations (bounds below) and 2^255
 * folds back as 19. Products are accumulated in unsigned __int128.
 *
 * Limb bounds. "Carried" (the output of fe_mul, fe_sq, fe_mul_small, fe_frombytes): every limb
 * < 2^51 + 2^18. fe_add of two carried values: < 2^53. fe_sub(a, b) = a + 4p - b of two carried values:
 * < 2^54 and never negative (4p's limbs are 2^53 - 76 and 2^53 - 4). fe_mul accepts limbs < 2^54: a
 * column sums five products of at most 19 * 2^54 * 2^54 < 2^112.3, so < 2^115, and the carry out of the
 * top limb (< 2^64) times 19 still fits the 128-bit accumulator. The ladder only ever feeds fe_sub
 * carried values and fe_mul values from fe_add or fe_sub, so the bounds hold throughout. Carries are
 * already lazy: fe_add and fe_sub never carry, and each fe_mul / fe_sq / fe_mul_small carries once, which
 * its output needs (an uncarried product column is up to 2^115).
 *
 * Fast field (fq_*): four 64-bit limbs holding a value below 2^256, not necessarily reduced; 2^256
 * folds back as 38 and 2^255 as 19. fq_mul, fq_sq, fq_mul_small_add and fq_tobytes accept the whole
 * range [0, 2^256); fq_mul and fq_sq return less than 2^255 + 2^11 ("nearly reduced": the product's
 * upper half times 38 is added to the lower, then the bits from 255 up times 19), and fq_addsub and
 * fq_sub need nearly reduced operands (the subtrahend only, for fq_sub), which lets each fold its carry
 * or borrow once, with no second pass (comments at each function). In the ladder every sum and
 * difference is of products, squares or the starting values (1, 0, u < 2^255). Only fq_tobytes
 * reduces to [0, p). tests/unit/test_x25519_field.c checks every fq_ operation against the portable
 * one on the edges of its range (2^256 - 1, 2^255 + 2^11 - 1, p + k, 2^255 + k, ...).
 *
 * The inverse is z^(p-2) = z^(2^255 - 21) by the usual chain of 254 squarings and 11 multiplications
 * (z^11, z^(2^5 - 1), z^(2^10 - 1), ..., z^(2^250 - 1), then five squarings and a product with z^11).
 * The ladder's state lives in one struct, wiped once at the end; its loop makes no copies.
 *
 * Constant time: the Montgomery ladder runs all 255 steps for every scalar; the only secret-dependent
 * operation is the conditional swap, done with a mask (no branch, no secret-indexed load); the inverse
 * is z^(p-2) through a fixed addition chain; the final reduction is branch-free. Scalar bit t is read as
 * (k[t / 8] >> (t % 8)) & 1: the index is the public loop counter. MULX, ADC, ADCX, ADOX, SBB, BTR and
 * IMUL by a constant take the same time for every operand; carries are used as 0/1 multiplied by 38 or
 * turned into masks, never branched on; the assembly has no branch.
 * The path choice depends on the CPU only. The comb's table lookups read all eight entries of a row
 * and keep one by mask; its digit recoding is arithmetic without branches.
 */
#include "crypto/x25519.h"
#include <pthread.h>
#include <string.h>
#include "crypto/crypto_ltc.h"

/* The fast path is built where mulx4.h says the compiler can ask the CPU (MULX4_BUILD). */
#include "crypto/mulx4.h"
#if MULX4_BUILD
#define X25519_ADX 1
#include <immintrin.h>
#else
#define X25519_ADX 0
#endif

__extension__ typedef unsigned __int128 u128;
typedef uint64_t fe[5];

#define MASK51 ((UINT64_C(1) << 51) - 1)

/* Hides a mask's origin from the optimiser so that it cannot turn the masked swap back into a branch. */
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

static uint64_t load64_le(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static void store64_le(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* 32 little-endian bytes, bit 255 ignored (RFC 7748 §5: the top bit of u is masked). Values in
 * [p, 2^255) are accepted as they are and behave as their residues. */
static void fe_frombytes(fe h, const uint8_t s[32])
{
    uint64_t w0 = load64_le(s), w1 = load64_le(s + 8), w2 = load64_le(s + 16);
    uint64_t w3 = load64_le(s + 24) & (UINT64_MAX >> 1);
    h[0] = w0 & MASK51;
    h[1] = ((w0 >> 51) | (w1 << 13)) & MASK51;
    h[2] = ((w1 >> 38) | (w2 << 26)) & MASK51;
    h[3] = ((w2 >> 25) | (w3 << 39)) & MASK51;
    h[4] = w3 >> 12;
}

/* The unique representative in [0, p), little-endian. Input: carried. */
static void fe_tobytes(uint8_t s[32], const fe f)
{
    uint64_t h[5], q;
    memcpy(h, f, sizeof h);
    for (int pass = 0; pass < 2; pass++) { /* now h1..h4 < 2^51, h0 < 2^51 + 19: h < 2^255 + 19 < 2p */
        for (int i = 0; i < 4; i++) {
            h[i + 1] += h[i] >> 51;
            h[i] &= MASK51;
        }
        uint64_t c = h[4] >> 51;
        h[4] &= MASK51;
        h[0] += 19 * c;
    }
    /* q = 1 exactly when h >= p, i.e. when h + 19 reaches 2^255: the carry out of h + 19. */
    q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    /* h - q p = h + 19 q - q 2^255: add 19 q, propagate, drop bit 255. */
    h[0] += 19 * q;
    for (int i = 0; i < 4; i++) {
        h[i + 1] += h[i] >> 51;
        h[i] &= MASK51;
    }
    h[4] &= MASK51;
    store64_le(s, h[0] | (h[1] << 51));
    store64_le(s + 8, (h[1] >> 13) | (h[2] << 38));
    store64_le(s + 16, (h[2] >> 26) | (h[3] << 25));
    store64_le(s + 24, (h[3] >> 39) | (h[4] << 12));
    cry_wipe(h, sizeof h);
}

static void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + g[i];
}

/* f - g + 4p, limb by limb: never negative for carried g. */
static void fe_sub(fe h, const fe f, const fe g)
{
    static const uint64_t four_p[5] = {
        4 * (MASK51 - 18), 4 * MASK51, 4 * MASK51, 4 * MASK51, 4 * MASK51
    };
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + four_p[i] - g[i];
}

/* Column sums t[0..4] (each < 2^115) to a carried element. */
static void fe_carry(fe h, u128 t[5])
{
    for (int i = 0; i < 4; i++) {
        t[i + 1] += t[i] >> 51;
        h[i] = (uint64_t)t[i] & MASK51;
    }
    h[4] = (uint64_t)t[4] & MASK51;
    u128 c = (t[4] >> 51) * 19 + h[0]; /* 2^255 = 19 (mod p) */
    h[0] = (uint64_t)c & MASK51;
    h[1] += (uint64_t)(c >> 51);
}

static void fe_mul(fe h, const fe f, const fe g)
{
    u128 t[5];
    uint64_t g19_1 = 19 * g[1], g19_2 = 19 * g[2], g19_3 = 19 * g[3], g19_4 = 19 * g[4];
    /* limb i * limb j lands at 2^(51 (i + j)); i + j >= 5 folds to i + j - 5 times 19. */
    t[0] = (u128)f[0] * g[0] + (u128)f[1] * g19_4 + (u128)f[2] * g19_3 + (u128)f[3] * g19_2 +
           (u128)f[4] * g19_1;
    t[1] = (u128)f[0] * g[1] + (u128)f[1] * g[0] + (u128)f[2] * g19_4 + (u128)f[3] * g19_3 +
           (u128)f[4] * g19_2;
    t[2] = (u128)f[0] * g[2] + (u128)f[1] * g[1] + (u128)f[2] * g[0] + (u128)f[3] * g19_4 +
           (u128)f[4] * g19_3;
    t[3] = (u128)f[0] * g[3] + (u128)f[1] * g[2] + (u128)f[2] * g[1] + (u128)f[3] * g[0] +
           (u128)f[4] * g19_4;
    t[4] = (u128)f[0] * g[4] + (u128)f[1] * g[3] + (u128)f[2] * g[2] + (u128)f[3] * g[1] +
           (u128)f[4] * g[0];
    fe_carry(h, t);
}

static void fe_sq(fe h, const fe f)
{
    u128 t[5];
    uint64_t d0 = 2 * f[0], d1 = 2 * f[1], d3_19 = 2 * 19 * f[3], f4_19 = 19 * f[4];
    t[0] = (u128)f[0] * f[0] + (u128)d1 * f4_19 + (u128)(2 * f[2]) * (19 * f[3]);
    t[1] = (u128)d0 * f[1] + (u128)(2 * f[2]) * f4_19 + (u128)f[3] * (19 * f[3]);
    t[2] = (u128)d0 * f[2] + (u128)f[1] * f[1] + (u128)d3_19 * f[4];
    t[3] = (u128)d0 * f[3] + (u128)d1 * f[2] + (u128)f[4] * f4_19;
    t[4] = (u128)d0 * f[4] + (u128)d1 * f[3] + (u128)f[2] * f[2];
    fe_carry(h, t);
}

/* h = f^(2^n), n public. */
static void fe_sq_n(fe h, const fe f, int n)
{
    fe_sq(h, f);
    for (int i = 1; i < n; i++)
        fe_sq(h, h);
}

static void fe_mul_small(fe h, const fe f, uint32_t s)
{
    u128 t[5];
    for (int i = 0; i < 5; i++)
        t[i] = (u128)f[i] * s;
    fe_carry(h, t);
}

/* Swaps f and g when bit is 1, touching both either way. */
static void fe_cswap(fe f, fe g, uint64_t bit)
{
    uint64_t mask = value_barrier(0 - bit);
    for (int i = 0; i < 5; i++) {
        uint64_t x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

/* h = z^(p - 2) = z^-1 (z^0 = 0 for z = 0). p - 2 = (2^250 - 1) 2^5 + 11. */
static void fe_invert(fe h, const fe z)
{
    fe z2, z11, a, b, c;
    fe_sq(z2, z);             /* z^2 */
    fe_sq_n(a, z2, 2);        /* z^8 */
    fe_mul(b, a, z);          /* z^9 */
    fe_mul(z11, b, z2);       /* z^11 */
    fe_sq(a, z11);            /* z^22 */
    fe_mul(c, a, b);          /* z^(2^5 - 1) */
    fe_sq_n(a, c, 5);
    fe_mul(b, a, c);          /* z^(2^10 - 1) */
    fe_sq_n(a, b, 10);
    fe_mul(c, a, b);          /* z^(2^20 - 1) */
    fe_sq_n(a, c, 20);
    fe_mul(a, a, c);          /* z^(2^40 - 1) */
    fe_sq_n(a, a, 10);
    fe_mul(c, a, b);          /* z^(2^50 - 1) */
    fe_sq_n(a, c, 50);
    fe_mul(b, a, c);          /* z^(2^100 - 1) */
    fe_sq_n(a, b, 100);
    fe_mul(a, a, b);          /* z^(2^200 - 1) */
    fe_sq_n(a, a, 50);
    fe_mul(a, a, c);          /* z^(2^250 - 1) */
    fe_sq_n(a, a, 5);         /* z^(2^255 - 32) */
    fe_mul(h, a, z11);        /* z^(2^255 - 21) */
    cry_wipe(z2, sizeof z2);
    cry_wipe(z11, sizeof z11);
    cry_wipe(a, sizeof a);
    cry_wipe(b, sizeof b);
    cry_wipe(c, sizeof c);
}

struct ladder {
    uint8_t k[32];
    fe x1, x2, z2, x3, z3;
    fe a, aa, b, bb, e, c, d, da, cb, t;
};

/* RFC 7748 §5: the clamped scalar times u, x-coordinate only. */
static void ladder_run(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32])
{
    struct ladder L;
    uint64_t swap = 0;

    memcpy(L.k, scalar, 32);
    L.k[0] &= 248;
    L.k[31] &= 127;
    L.k[31] |= 64;

    fe_frombytes(L.x1, u);
    memset(L.x2, 0, sizeof L.x2);
    L.x2[0] = 1;
    memset(L.z2, 0, sizeof L.z2);
    memcpy(L.x3, L.x1, sizeof L.x3);
    memset(L.z3, 0, sizeof L.z3);
    L.z3[0] = 1;

    for (int t = 254; t >= 0; t--) {
        uint64_t bit = (L.k[t >> 3] >> (t & 7)) & 1;
        swap ^= bit;
        fe_cswap(L.x2, L.x3, swap);
        fe_cswap(L.z2, L.z3, swap);
        swap = bit;

        fe_add(L.a, L.x2, L.z2);     /* A = x2 + z2 */
        fe_sq(L.aa, L.a);            /* AA = A^2 */
        fe_sub(L.b, L.x2, L.z2);     /* B = x2 - z2 */
        fe_sq(L.bb, L.b);            /* BB = B^2 */
        fe_sub(L.e, L.aa, L.bb);     /* E = AA - BB */
        fe_add(L.c, L.x3, L.z3);     /* C = x3 + z3 */
        fe_sub(L.d, L.x3, L.z3);     /* D = x3 - z3 */
        fe_mul(L.da, L.d, L.a);      /* DA = D * A */
        fe_mul(L.cb, L.c, L.b);      /* CB = C * B */
        fe_add(L.t, L.da, L.cb);
        fe_sq(L.x3, L.t);            /* x3 = (DA + CB)^2 */
        fe_sub(L.t, L.da, L.cb);
        fe_sq(L.t, L.t);
        fe_mul(L.z3, L.x1, L.t);     /* z3 = x1 * (DA - CB)^2 */
        fe_mul(L.x2, L.aa, L.bb);    /* x2 = AA * BB */
        fe_mul_small(L.t, L.e, 121665);
        fe_add(L.t, L.aa, L.t);
        fe_mul(L.z2, L.e, L.t);      /* z2 = E * (AA + a24 * E), a24 = (486662 - 2) / 4 */
    }
    fe_cswap(L.x2, L.x3, swap);
    fe_cswap(L.z2, L.z3, swap);

    fe_invert(L.t, L.z2);
    fe_mul(L.x2, L.x2, L.t);
    fe_tobytes(out, L.x2);

    cry_wipe(&L, sizeof L);
}

/* ---- cry_x25519_base: a fixed-base comb on the Edwards form ----
 *
 * RFC 7748 §4.1: Curve25519 is birationally equivalent to edwards25519 (-x^2 + y^2 = 1 + d x^2 y^2,
 * d = -121665/121666) by u = (1 + y) / (1 - y), and u = 9 is the image of the RFC 8032 base point B
 * (y = 4/5). So scalar * 9 is the u of scalar * B, computed here from a table of j 16^i B (i < 64,
 * j = 1..8) made once per process: the clamped scalar is recoded into 64 signed digits in [-8, 8]
 * (arithmetic only, no branch), and each digit selects its entry by a masked scan of all eight plus a
 * masked negation; 64 mixed additions (the a = -1 extended-coordinate addition of Hisil, Wong, Carter
 * and Dawson, complete on this curve because d is not a square), then u = (Z + Y) / (Z - Y) with the
 * same inverse as the ladder. The identity (k a multiple of B's order) gives Z - Y = 0, inverse 0 and
 * u = 0, as the ladder does. Portable field arithmetic throughout; bounds: table entries, coordinates
 * and 2d are carried (fe_mul outputs, or carried by a product with 1); the additions feed fe_sub only
 * carried subtrahends, its minuend being carried or 2Z (< 2^52.1), so differences stay below
 * 2^52.1 + 2^53 < 2^54, and fe_mul only such differences, sums of two carried values and carried
 * values, all below fe_mul's 2^54. The negated 2dxy is 0 - carried (< 2^53).
 * CRY_X25519_PORTABLE takes the ladder instead, which the tests compare against. */
struct ed_pt {
    fe x, y, z, t; /* extended coordinates: x = X/Z, y = Y/Z, x y = T/Z */
};
struct ed_niels {
    fe ypx, ymx, xy2d; /* affine: y + x, y - x, 2 d x y */
};

static struct ed_niels ed_table[64][8];
static fe ed_d2;
static pthread_once_t ed_once = PTHREAD_ONCE_INIT;

static const fe fe_one = { 1, 0, 0, 0, 0 };

/* r = p + q (both extended), 9 multiplications. */
static void ed_add(struct ed_pt *r, const struct ed_pt *p, const struct ed_pt *q)
{
    fe a, b, c, d, e, f, g, h, t;
    fe_sub(a, p->y, p->x);
    fe_sub(t, q->y, q->x);
    fe_mul(a, a, t);
    fe_add(b, p->y, p->x);
    fe_add(t, q->y, q->x);
    fe_mul(b, b, t);
    fe_mul(c, p->t, q->t);
    fe_mul(c, c, ed_d2);
    fe_mul(d, p->z, q->z);
    fe_add(d, d, d);
    fe_sub(e, b, a);
    fe_sub(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_mul(r->x, e, f);
    fe_mul(r->y, g, h);
    fe_mul(r->t, e, h);
    fe_mul(r->z, f, g);
}

/* Scratch for ed_madd and ed_select, owned by base_comb and wiped once at its end. */
struct ed_tmp {
    fe a, b, c, d, e, f, g, h;
};

/* r = p + q (q affine, precomputed), 7 multiplications. */
static void ed_madd(struct ed_pt *r, const struct ed_pt *p, const struct ed_niels *q, struct ed_tmp *s)
{
    fe_sub(s->a, p->y, p->x);
    fe_mul(s->a, s->a, q->ymx);
    fe_add(s->b, p->y, p->x);
    fe_mul(s->b, s->b, q->ypx);
    fe_mul(s->c, p->t, q->xy2d);
    fe_add(s->d, p->z, p->z);
    fe_sub(s->e, s->b, s->a);
    fe_sub(s->f, s->d, s->c);
    fe_add(s->g, s->d, s->c);
    fe_add(s->h, s->b, s->a);
    fe_mul(r->x, s->e, s->f);
    fe_mul(r->y, s->g, s->h);
    fe_mul(r->t, s->e, s->h);
    fe_mul(r->z, s->f, s->g);
}

static void ed_to_niels(struct ed_niels *n, const struct ed_pt *p)
{
    fe zi, x, y;
    fe_invert(zi, p->z);
    fe_mul(x, p->x, zi);
    fe_mul(y, p->y, zi);
    fe_add(n->ypx, y, x);
    fe_mul(n->ypx, n->ypx, fe_one); /* carried, as fe_mul's inputs below need nothing more */
    fe_sub(n->ymx, y, x);
    fe_mul(n->ymx, n->ymx, fe_one);
    fe_mul(n->xy2d, x, y);
    fe_mul(n->xy2d, n->xy2d, ed_d2);
}

static void ed_init(void)
{
    static const uint8_t bx[32] = {
        0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
        0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21
    };
    static const uint8_t by[32] = { /* 4/5 */
        0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
        0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66
    };
    static const fe zero = { 0 };
    fe t;
    struct ed_pt row, p;

    /* 2d = 2 * (0 - 121665 / 121666) */
    fe_mul_small(t, fe_one, 121666);
    fe_invert(t, t);
    fe_mul_small(t, t, 121665);
    fe_sub(t, zero, t);
    fe_add(t, t, t);
    fe_mul(ed_d2, t, fe_one);

    fe_frombytes(row.x, bx);
    fe_frombytes(row.y, by);
    memcpy(row.z, fe_one, sizeof row.z);
    fe_mul(row.t, row.x, row.y);
    for (int i = 0; i < 64; i++) { /* row = 16^i B */
        p = row;
        for (int j = 0; j < 8; j++) {
            ed_to_niels(&ed_table[i][j], &p);
            if (j < 7)
                ed_add(&p, &p, &row);
        }
        ed_add(&row, &p, &p);     /* 16 (16^i B) from 8 (16^i B) */
    }
}

/* r = the entry for digit e in [-8, 8] of row i: every entry is read, the chosen one kept by mask. */
static void ed_select(struct ed_niels *r, int i, int e, struct ed_tmp *s)
{
    static const fe zero = { 0 };
    uint64_t neg = (unsigned)e >> 31;            /* e < 0: the sign bit */
    uint64_t abs = (uint64_t)(e ^ -(int)neg) + neg;
    memcpy(r->ypx, fe_one, sizeof r->ypx);     /* the identity: y + x = y - x = 1, 2dxy = 0 */
    memcpy(r->ymx, fe_one, sizeof r->ymx);
    memset(r->xy2d, 0, sizeof r->xy2d);
    for (uint64_t j = 1; j <= 8; j++) {
        uint64_t m = value_barrier(0 - (((abs ^ j) - 1) >> 63)); /* all ones when abs == j */
        const struct ed_niels *n = &ed_table[i][j - 1];
        for (int l = 0; l < 5; l++) {
            r->ypx[l] ^= m & (r->ypx[l] ^ n->ypx[l]);
            r->ymx[l] ^= m & (r->ymx[l] ^ n->ymx[l]);
            r->xy2d[l] ^= m & (r->xy2d[l] ^ n->xy2d[l]);
        }
    }
    /* -(x, y) = (-x, y): y + x and y - x swap, 2dxy changes sign. */
    fe_cswap(r->ypx, r->ymx, neg);
    fe_sub(s->a, zero, r->xy2d);
    uint64_t m = value_barrier(0 - neg);
    for (int l = 0; l < 5; l++)
        r->xy2d[l] ^= m & (r->xy2d[l] ^ s->a[l]);
}

/* The clamped scalar (in k, for the caller to wipe) as 64 signed digits e[i] in [-8, 8], k = sum
 * e[i] 16^i: nibbles, then a carry of (e + 8) >> 4 into the next, arithmetic on secret data but no
 * branch. The top digit is at most 7 plus a carry: k < 2^255. */
static void comb_digits(signed char e[64], uint8_t k[32], const uint8_t scalar[32])
{
    memcpy(k, scalar, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    for (int i = 0; i < 32; i++) {
        e[2 * i] = (signed char)(k[i] & 15);
        e[2 * i + 1] = (signed char)(k[i] >> 4);
    }
    int carry = 0;
    for (int i = 0; i < 63; i++) {
        e[i] = (signed char)(e[i] + carry);
        carry = (e[i] + 8) >> 4;
        e[i] = (signed char)(e[i] - (carry << 4));
    }
    e[63] = (signed char)(e[63] + carry);
}

static void base_comb(uint8_t out[32], const uint8_t scalar[32])
{
    uint8_t k[32];
    signed char e[64];
    struct ed_pt r;
    struct ed_niels n;
    struct ed_tmp tmp;
    fe num, den;

    pthread_once(&ed_once, ed_init);
    comb_digits(e, k, scalar);

    memset(&r, 0, sizeof r); /* the identity (0 : 1 : 1 : 0) */
    r.y[0] = 1;
    r.z[0] = 1;
    for (int i = 0; i < 64; i++) {
        ed_select(&n, i, e[i], &tmp);
        ed_madd(&r, &r, &n, &tmp);
    }
    fe_add(num, r.z, r.y);
    fe_sub(den, r.z, r.y);
    fe_mul(den, den, fe_one);
    fe_invert(den, den);
    fe_mul(num, num, den);
    fe_tobytes(out, num);

    cry_wipe(k, sizeof k);
    cry_wipe(e, sizeof e);
    cry_wipe(&r, sizeof r);
    cry_wipe(&n, sizeof n);
    cry_wipe(&tmp, sizeof tmp);
    cry_wipe(num, sizeof num);
    cry_wipe(den, sizeof den);
}

/* ---- x86-64 with BMI2 and ADX: four 64-bit limbs, MULX products ----
 *
 * An element is four 64-bit limbs (value = sum l[i] 2^(64 i)), below 2^256 (the bounds each
 * function needs and gives are in the header comment); 2^256 folds back as 38 (2^256 = 2 * 2^255 =
 * 2 * 19 mod p). Only fq_tobytes reduces fully. Carries are the CPU's carry flag; a carry that feeds
 * back is multiplied by 38 or 19 or turned into a mask, never branched on. */
#if X25519_ADX
typedef uint64_t fq[4];
typedef unsigned long long ull; /* the intrinsics' operand type */

#define ADX_FN static inline __attribute__((target("bmi2,adx"), always_inline))

ADX_FN unsigned char adc(unsigned char c, uint64_t a, uint64_t b, uint64_t *out)
{
    ull o;
    c = _addcarryx_u64(c, a, b, &o);
    *out = o;
    return c;
}

/* fq_mul and fq_sq are inline assembly, the product from mulx4.h: written with the intrinsics, GCC
 * 12 runs one carry chain through ADC, keeps carries in registers with SETC and spills the 512-bit
 * product (about four MOVs per MULX in the ladder), which cost a third of the ladder's time. The
 * functions whose register outputs are scratch only are volatile: GCC would otherwise delete an asm
 * whose outputs are all unused, "memory" clobber or not.
 *
 * FQ_REDUCE: t = r8..r15 (512 bits) to h below 2^255 + 2^11: t[0..3] + 38 t[4..7] is below
 * 39 * 2^256, so its fifth limb (r12 after the fold) is at most 38; BTR takes bit 255 out (into CF) and
 * ADC makes r12 the value's bits from 255 up (at most 77), which times 19 (at most 1463) are added to
 * the low 255 bits: below 2^255 + 1463, and limb 3 (below 2^63 after BTR) cannot carry out. */
#define FQ_REDUCE                                                                                      \
    "movl $38, %%edx\n\t"                                                                               \
    "xorl %%eax, %%eax\n\t" /* CF = OF = 0 */                                                           \
    "mulxq %%r12, %%rax, %%rbx\n\t"                                                                     \
    "adcxq %%rax, %%r8\n\t"                                                                             \
    "adoxq %%rbx, %%r9\n\t"                                                                             \
    "mulxq %%r13, %%rax, %%rbx\n\t"                                                                     \
    "adcxq %%rax, %%r9\n\t"                                                                             \
    "adoxq %%rbx, %%r10\n\t"                                                                            \
    "mulxq %%r14, %%rax, %%rbx\n\t"                                                                     \
    "adcxq %%rax, %%r10\n\t"                                                                            \
    "adoxq %%rbx, %%r11\n\t"                                                                            \
    "mulxq %%r15, %%rax, %%r12\n\t"                                                                     \
    "adcxq %%rax, %%r11\n\t"                                                                            \
    "movl $0, %%eax\n\t" /* not XOR: the flags are still live */                                        \
    "adoxq %%rax, %%r12\n\t"                                                                            \
    "adcxq %%rax, %%r12\n\t"                                                                            \
    "btrq $63, %%r11\n\t"                                                                               \
    "adcq %%r12, %%r12\n\t"                                                                             \
    "imulq $19, %%r12, %%r12\n\t"                                                                       \
    "addq %%r12, %%r8\n\t"                                                                              \
    "adcq $0, %%r9\n\t"                                                                                 \
    "adcq $0, %%r10\n\t"                                                                                \
    "adcq $0, %%r11\n\t"                                                                                \
    "movq %%r8, (%[h])\n\t"                                                                               \
    "movq %%r9, 8(%[h])\n\t"                                                                             \
    "movq %%r10, 16(%[h])\n\t"                                                                           \
    "movq %%r11, 24(%[h])\n\t"

/* h = f * g: 16 MULX for the product, 4 more (and one IMUL) for the reduction. */
ADX_FN void fq_mul(fq h, const fq f, const fq g)
{
    __asm__(MULX4_MUL FQ_REDUCE : : [h] "r"(h), [f] "r"(f), [g] "r"(g) : MULX4_CLOBBERS);
}

/* h = f^2: 10 MULX plus the reduction's 4. */
ADX_FN void fq_sq(fq h, const fq f)
{
    __asm__(MULX4_SQR FQ_REDUCE : : [h] "r"(h), [f] "r"(f) : MULX4_CLOBBERS);
}

/* h = f^(2^n), n public. */
static __attribute__((target("bmi2,adx"))) void fq_sq_n(fq h, const fq f, int n)
{
    fq_sq(h, f);
    for (int i = 1; i < n; i++)
        fq_sq(h, h);
}

/* fq_addsub, fq_sub and fq_mul_small_add are assembly too, for the same reason as fq_mul: GCC turns each
 * carry that folds back as 38 into SETC, MOVZX and two LEAs, and adds it into the stored result in
 * memory, which the next multiplication then reloads (a store-forwarding round trip on the ladder's
 * critical path). Here a carry becomes a mask by SBB (0 or all ones) ANDed with 38, and each limb is
 * stored once. The registers are GCC's choice ("=&r": written before all inputs are read). */

/* h = f - g for g nearly reduced (below 2^255 + 2^11) and any f: a borrow out of the top limb left
 * f - g + 2^256 = f - g + 38 (mod p), at least 2^256 - g > 2^255 - 2^11, from which 38 is taken
 * with no second borrow out. */
ADX_FN void fq_sub(fq h, const fq f, const fq g)
{
    uint64_t r0, r1, r2, r3, c;
    __asm__ volatile("movq (%[f]), %[r0]\n\t"
            "movq 8(%[f]), %[r1]\n\t"
            "movq 16(%[f]), %[r2]\n\t"
            "movq 24(%[f]), %[r3]\n\t"
            "subq (%[g]), %[r0]\n\t"
            "sbbq 8(%[g]), %[r1]\n\t"
            "sbbq 16(%[g]), %[r2]\n\t"
            "sbbq 24(%[g]), %[r3]\n\t"
            "sbbq %[c], %[c]\n\t"
            "andl $38, %k[c]\n\t"
            "subq %[c], %[r0]\n\t"
            "sbbq $0, %[r1]\n\t"
            "sbbq $0, %[r2]\n\t"
            "sbbq $0, %[r3]\n\t"
            "movq %[r0], (%[h])\n\t"
            "movq %[r1], 8(%[h])\n\t"
            "movq %[r2], 16(%[h])\n\t"
            "movq %[r3], 24(%[h])\n\t"
            : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3), [c] "=&r"(c)
            : [h] "r"(h), [f] "r"(f), [g] "r"(g)
            : "cc", "memory");
}

/* s = f + g and d = f - g with one load of f and g (the ladder's A, B and C, D and DA +- CB), both
 * nearly reduced (below 2^255 + 2^11). The sum is below 2^256 + 2^12: when it carries out, what is
 * left is below 2^12, all in limb 0, so adding 38 there is the whole fold. The difference as in
 * fq_sub. Every input limb is read before the first store, so s or d may be f or g. */
ADX_FN void fq_addsub(fq s, fq d, const fq f, const fq g)
{
    uint64_t a0, a1, a2, a3, b0, b1, b2, b3, c;
    __asm__ volatile("movq (%[f]), %[a0]\n\t"
            "movq 8(%[f]), %[a1]\n\t"
            "movq 16(%[f]), %[a2]\n\t"
            "movq 24(%[f]), %[a3]\n\t"
            "movq %[a0], %[b0]\n\t"
            "movq %[a1], %[b1]\n\t"
            "movq %[a2], %[b2]\n\t"
            "movq %[a3], %[b3]\n\t"
            "addq (%[g]), %[a0]\n\t"
            "adcq 8(%[g]), %[a1]\n\t"
            "adcq 16(%[g]), %[a2]\n\t"
            "adcq 24(%[g]), %[a3]\n\t"
            "sbbq %[c], %[c]\n\t"
            "andl $38, %k[c]\n\t"
            "addq %[c], %[a0]\n\t"
            "subq (%[g]), %[b0]\n\t"
            "sbbq 8(%[g]), %[b1]\n\t"
            "sbbq 16(%[g]), %[b2]\n\t"
            "sbbq 24(%[g]), %[b3]\n\t"
            "sbbq %[c], %[c]\n\t"
            "andl $38, %k[c]\n\t"
            "subq %[c], %[b0]\n\t"
            "sbbq $0, %[b1]\n\t"
            "sbbq $0, %[b2]\n\t"
            "sbbq $0, %[b3]\n\t"
            "movq %[a0], (%[s])\n\t"
            "movq %[a1], 8(%[s])\n\t"
            "movq %[a2], 16(%[s])\n\t"
            "movq %[a3], 24(%[s])\n\t"
            "movq %[b0], (%[d])\n\t"
            "movq %[b1], 8(%[d])\n\t"
            "movq %[b2], 16(%[d])\n\t"
            "movq %[b3], 24(%[d])\n\t"
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2),
              [a3] "=&r"(a3), [b0] "=&r"(b0), [b1] "=&r"(b1), [b2] "=&r"(b2), [b3] "=&r"(b3), [c] "=&r"(c)
            : [s] "r"(s), [d] "r"(d), [f] "r"(f), [g] "r"(g)
            : "cc", "memory");
}

/* h = a + s f for s < 2^32 (the ladder's AA + a24 E in one pass): a + s f < (2^32 + 1) 2^256, so the
 * fifth limb is at most 2^32 and, times 38, folds back with a carry out only when the result is below
 * 2^38; the last + 38 then cannot carry. */
ADX_FN void fq_mul_small_add(fq h, const fq a, const fq f, uint64_t s)
{
    uint64_t r0, r1, r2, r3, r4, t;
    __asm__ volatile("mulxq (%[f]), %[r0], %[t]\n\t"
            "mulxq 8(%[f]), %[r1], %[r4]\n\t"
            "addq %[t], %[r1]\n\t"
            "mulxq 16(%[f]), %[r2], %[t]\n\t"
            "adcq %[r4], %[r2]\n\t"
            "mulxq 24(%[f]), %[r3], %[r4]\n\t"
            "adcq %[t], %[r3]\n\t"
            "adcq $0, %[r4]\n\t"
            "addq (%[a]), %[r0]\n\t"
            "adcq 8(%[a]), %[r1]\n\t"
            "adcq 16(%[a]), %[r2]\n\t"
            "adcq 24(%[a]), %[r3]\n\t"
            "adcq $0, %[r4]\n\t"
            "imulq $38, %[r4], %[r4]\n\t"
            "addq %[r4], %[r0]\n\t"
            "adcq $0, %[r1]\n\t"
            "adcq $0, %[r2]\n\t"
            "adcq $0, %[r3]\n\t"
            "sbbq %[t], %[t]\n\t"
            "andl $38, %k[t]\n\t"
            "addq %[t], %[r0]\n\t"
            "movq %[r0], (%[h])\n\t"
            "movq %[r1], 8(%[h])\n\t"
            "movq %[r2], 16(%[h])\n\t"
            "movq %[r3], 24(%[h])\n\t"
            : [r0] "=&r"(r0), [r1] "=&r"(r1), [r2] "=&r"(r2),
              [r3] "=&r"(r3), [r4] "=&r"(r4), [t] "=&r"(t)
            : [h] "r"(h), [a] "r"(a), [f] "r"(f), "d"(s)
            : "cc", "memory");
}

/* Swaps f and g when bit is 1, touching both either way: limb by limb, x = mask & (f ^ g). In
 * assembly because GCC vectorises the C loop into 128-bit loads of limbs that fq_mul has just stored
 * as 64-bit words, which cannot be store-forwarded (a stall of a dozen cycles per swap). */
ADX_FN void fq_cswap(fq f, fq g, uint64_t bit)
{
    uint64_t mask = value_barrier(0 - bit), a, b, x;
#define FQ_CSWAP_LIMB(i)                                                                                \
    "movq " i "(%[f]), %[a]\n\t"                                                                           \
    "movq " i "(%[g]), %[b]\n\t"                                                                           \
    "movq %[a], %[x]\n\t"                                                                                \
    "xorq %[b], %[x]\n\t"                                                                                \
    "andq %[m], %[x]\n\t"                                                                                \
    "xorq %[x], %[a]\n\t"                                                                                \
    "xorq %[x], %[b]\n\t"                                                                                \
    "movq %[a], " i "(%[f])\n\t"                                                                           \
    "movq %[b], " i "(%[g])\n\t"
    __asm__ volatile(FQ_CSWAP_LIMB("0") FQ_CSWAP_LIMB("8") FQ_CSWAP_LIMB("16") FQ_CSWAP_LIMB("24")
            : [a] "=&r"(a), [b] "=&r"(b), [x] "=&r"(x)
            : [f] "r"(f), [g] "r"(g), [m] "r"(mask)
            : "memory");
#undef FQ_CSWAP_LIMB
}

/* Bit 255 ignored; values in [p, 2^255) are kept and behave as their residues. */
static void fq_frombytes(fq h, const uint8_t s[32])
{
    h[0] = load64_le(s);
    h[1] = load64_le(s + 8);
    h[2] = load64_le(s + 16);
    h[3] = load64_le(s + 24) & (UINT64_MAX >> 1);
}

/* The unique representative in [0, p). Folding bit 255 (as 19) leaves h below 2^255 + 19; then
 * h >= p exactly when h + 19 reaches 2^255, and h - p is h + 19 with bit 255 cleared. */
static __attribute__((target("bmi2,adx"))) void fq_tobytes(uint8_t s[32], const fq f)
{
    uint64_t h[4], t[4], mask;
    unsigned char c;
    uint64_t top = f[3] >> 63;
    c = adc(0, f[0], top * 19, &h[0]);
    c = adc(c, f[1], 0, &h[1]);
    c = adc(c, f[2], 0, &h[2]);
    adc(c, f[3] & (UINT64_MAX >> 1), 0, &h[3]);
    c = adc(0, h[0], 19, &t[0]);
    c = adc(c, h[1], 0, &t[1]);
    c = adc(c, h[2], 0, &t[2]);
    adc(c, h[3], 0, &t[3]);
    mask = value_barrier(0 - (t[3] >> 63));  /* all ones when h >= p */
    t[3] &= UINT64_MAX >> 1;
    for (int i = 0; i < 4; i++)
        store64_le(s + 8 * i, (t[i] & mask) | (h[i] & ~mask));
    cry_wipe(h, sizeof h);
    cry_wipe(t, sizeof t);
}

/* The same chain as fe_invert. */
static __attribute__((target("bmi2,adx"))) void fq_invert(fq h, const fq z)
{
    fq z2, z11, a, b, c;
    fq_sq(z2, z);
    fq_sq_n(a, z2, 2);
    fq_mul(b, a, z);
    fq_mul(z11, b, z2);
    fq_sq(a, z11);
    fq_mul(c, a, b);
    fq_sq_n(a, c, 5);
    fq_mul(b, a, c);
    fq_sq_n(a, b, 10);
    fq_mul(c, a, b);
    fq_sq_n(a, c, 20);
    fq_mul(a, a, c);
    fq_sq_n(a, a, 10);
    fq_mul(c, a, b);
    fq_sq_n(a, c, 50);
    fq_mul(b, a, c);
    fq_sq_n(a, b, 100);
    fq_mul(a, a, b);
    fq_sq_n(a, a, 50);
    fq_mul(a, a, c);
    fq_sq_n(a, a, 5);
    fq_mul(h, a, z11);
    cry_wipe(z2, sizeof z2);
    cry_wipe(z11, sizeof z11);
    cry_wipe(a, sizeof a);
    cry_wipe(b, sizeof b);
    cry_wipe(c, sizeof c);
}

struct ladder64 {
    uint8_t k[32];
    fq x1, x2, z2, x3, z3;
    fq a, aa, b, bb, e, c, d, da, cb, t;
};

/* ladder_run on four 64-bit limbs: the same steps, the same constant-time argument. */
static __attribute__((target("bmi2,adx"))) void ladder_run_adx(uint8_t out[32], const uint8_t scalar[32],
                                                                const uint8_t u[32])
{
    struct ladder64 L;
    uint64_t swap = 0;

    memcpy(L.k, scalar, 32);
    L.k[0] &= 248;
    L.k[31] &= 127;
    L.k[31] |= 64;

    fq_frombytes(L.x1, u);
    memset(L.x2, 0, sizeof L.x2);
    L.x2[0] = 1;
    memset(L.z2, 0, sizeof L.z2);
    memcpy(L.x3, L.x1, sizeof L.x3);
    memset(L.z3, 0, sizeof L.z3);
    L.z3[0] = 1;

    for (int t = 254; t >= 0; t--) {
        uint64_t bit = (L.k[t >> 3] >> (t & 7)) & 1;
        swap ^= bit;
        fq_cswap(L.x2, L.x3, swap);
        fq_cswap(L.z2, L.z3, swap);
        swap = bit;

        /* The order is measured, not derived: a step is about 1,000 instructions, twice the
         * reorder window, and starting the longest chain (C, D -> DA, CB -> DA +- CB -> squares ->
         * z3) first while AA, BB, E fill in was about 10% faster than the RFC's order. */
        fq_addsub(L.a, L.b, L.x2, L.z2);          /* A = x2 + z2, B = x2 - z2 */
        fq_addsub(L.c, L.d, L.x3, L.z3);          /* C = x3 + z3, D = x3 - z3 */
        fq_mul(L.da, L.d, L.a);
        fq_mul(L.cb, L.c, L.b);
        fq_sq(L.aa, L.a);
        fq_sq(L.bb, L.b);
        fq_addsub(L.x3, L.t, L.da, L.cb);
        fq_sub(L.e, L.aa, L.bb);                  /* E = AA - BB */
        fq_sq(L.x3, L.x3);                        /* x3 = (DA + CB)^2 */
        fq_sq(L.t, L.t);
        fq_mul_small_add(L.z3, L.aa, L.e, 121665); /* AA + a24 E, a24 = (486662 - 2) / 4, in z3 */
        fq_mul(L.x2, L.aa, L.bb);                 /* x2 = AA * BB */
        fq_mul(L.z2, L.e, L.z3);                  /* z2 = E * (AA + a24 E) */
        fq_mul(L.z3, L.x1, L.t);                  /* z3 = x1 * (DA - CB)^2 */
    }
    fq_cswap(L.x2, L.x3, swap);
    fq_cswap(L.z2, L.z3, swap);

    fq_invert(L.t, L.z2);
    fq_mul(L.x2, L.x2, L.t);
    fq_tobytes(out, L.x2);

    cry_wipe(&L, sizeof L);
}

/*
 * base_comb on four 64-bit limbs: the same digits, table and additions, with every table entry and
 * the addition's D halved. Scaling A, B, C and D of the mixed addition by one factor scales E, F, G,
 * H by it and X3, Y3, T3, Z3 by its square: the same point. So an entry holds (y + x) / 2,
 * (y - x) / 2 and d x y (2 d x y / 2), and D is Z1 itself, not 2 Z1, which fq_addsub could not take
 * (it needs nearly reduced operands; Z1 and C are products, so G and F come from one fq_addsub).
 * The identity entry is (1/2, 1/2, 0). Entries are made once from the portable table (fully
 * reduced). Bounds: fq_addsub gets products or the starting 0 and 1; fq_mul takes its sums and
 * differences (below 2^256) and the negated d x y (0 - entry by fq_sub, below 2^256).
 */
struct ed_niels64 {
    fq ypx, ymx, xyd;
};
struct ed_pt64 {
    fq x, y, z, t;
};
static struct ed_niels64 ed_table64[64][8];
static pthread_once_t ed64_once = PTHREAD_ONCE_INIT;
static const fq fq_half = {UINT64_C(0xfffffffffffffff7), UINT64_MAX, UINT64_MAX,
                           UINT64_C(0x3fffffffffffffff)}; /* (p + 1) / 2 = 2^254 - 9 */

static void ed64_init(void)
{
    static const fe two = { 2 };
    uint8_t b[32];
    fe half, t;
    pthread_once(&ed_once, ed_init);
    fe_invert(half, two);
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 8; j++) {
            const struct ed_niels *n = &ed_table[i][j];
            struct ed_niels64 *m = &ed_table64[i][j];
            fe_mul(t, n->ypx, half);
            fe_tobytes(b, t);
            fq_frombytes(m->ypx, b);
            fe_mul(t, n->ymx, half);
            fe_tobytes(b, t);
            fq_frombytes(m->ymx, b);
            fe_mul(t, n->xy2d, half);
            fe_tobytes(b, t);
            fq_frombytes(m->xyd, b);
        }
}

/* ed_select on the halved table: every entry read, the chosen one kept by mask, then negated by
 * mask (y + x and y - x swap, d x y changes sign). */
static __attribute__((target("bmi2,adx"))) void ed64_select(struct ed_niels64 *r, int i, int e, fq t)
{
    static const fq zero = { 0 };
    uint64_t neg = (unsigned)e >> 31;
    uint64_t abs = (uint64_t)(e ^ -(int)neg) + neg;
    memcpy(r->ypx, fq_half, sizeof r->ypx);
    memcpy(r->ymx, fq_half, sizeof r->ymx);
    memset(r->xyd, 0, sizeof r->xyd);
    for (uint64_t j = 1; j <= 8; j++) {
        uint64_t m = value_barrier(0 - (((abs ^ j) - 1) >> 63));
        const struct ed_niels64 *n = &ed_table64[i][j - 1];
        for (int l = 0; l < 4; l++) {
            r->ypx[l] ^= m & (r->ypx[l] ^ n->ypx[l]);
            r->ymx[l] ^= m & (r->ymx[l] ^ n->ymx[l]);
            r->xyd[l] ^= m & (r->xyd[l] ^ n->xyd[l]);
        }
    }
    fq_cswap(r->ypx, r->ymx, neg);
    fq_sub(t, zero, r->xyd);
    uint64_t m = value_barrier(0 - neg);
    for (int l = 0; l < 4; l++)
        r->xyd[l] ^= m & (r->xyd[l] ^ t[l]);
}

struct comb64 {
    uint8_t k[32];
    signed char e[64];
    struct ed_pt64 r;
    struct ed_niels64 n;
    fq a, b, c, d, e_, f, g, h, s;
};

static __attribute__((target("bmi2,adx"))) void base_comb_adx(uint8_t out[32], const uint8_t scalar[32])
{
    struct comb64 C;
    pthread_once(&ed64_once, ed64_init);
    comb_digits(C.e, C.k, scalar);
    memset(&C.r, 0, sizeof C.r); /* the identity (0 : 1 : 1 : 0) */
    C.r.y[0] = 1;
    C.r.z[0] = 1;
    for (int i = 0; i < 64; i++) {
        ed64_select(&C.n, i, C.e[i], C.s);
        fq_addsub(C.s, C.d, C.r.y, C.r.x);       /* Y + X, Y - X */
        fq_mul(C.a, C.d, C.n.ymx);               /* A / 2 */
        fq_mul(C.b, C.s, C.n.ypx);               /* B / 2 */
        fq_mul(C.c, C.r.t, C.n.xyd);             /* C / 2 */
        fq_addsub(C.h, C.e_, C.b, C.a);          /* H, E (halved) */
        fq_addsub(C.g, C.f, C.r.z, C.c);         /* G, F (halved): D / 2 = Z */
        fq_mul(C.r.x, C.e_, C.f);
        fq_mul(C.r.y, C.g, C.h);
        fq_mul(C.r.t, C.e_, C.h);
        fq_mul(C.r.z, C.f, C.g);
    }
    fq_addsub(C.a, C.b, C.r.z, C.r.y);           /* u = (Z + Y) / (Z - Y) */
    fq_invert(C.c, C.b);
    fq_mul(C.a, C.a, C.c);
    fq_tobytes(out, C.a);
    cry_wipe(&C, sizeof C);
}
#endif

int cry_x25519_fast_path(void)
{
#if X25519_ADX
    return mulx4_cpu();
#else
    return 0;
#endif
}

static void run(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32], unsigned flags)
{
#if X25519_ADX
    if (!(flags & CRY_X25519_PORTABLE) && cry_x25519_fast_path()) {
        ladder_run_adx(out, scalar, u);
        return;
    }
#else
    (void)flags;
#endif
    ladder_run(out, scalar, u);
}

int cry_x25519_ex(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32], unsigned flags)
{
    run(out, scalar, u, flags);
    /* RFC 7748 §6.1: an all-zero shared secret means a low-order peer point. Every byte is read. */
    uint32_t acc = 0;
    for (int i = 0; i < 32; i++)
        acc |= out[i];
    return -(int)((value_barrier(acc) - 1) >> 63);
}

int cry_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t u[32])
{
    return cry_x25519_ex(out, scalar, u, 0);
}

void cry_x25519_base_ex(uint8_t out[32], const uint8_t scalar[32], unsigned flags)
{
    static const uint8_t nine[32] = { 9 };
    if (flags & CRY_X25519_PORTABLE) {
        run(out, scalar, nine, flags);
        return;
    }
#if X25519_ADX
    if (!(flags & CRY_X25519_PORTABLE_COMB) && cry_x25519_fast_path()) {
        base_comb_adx(out, scalar);
        return;
    }
#endif
    base_comb(out, scalar);
}

void cry_x25519_base(uint8_t out[32], const uint8_t scalar[32])
{
    cry_x25519_base_ex(out, scalar, 0);
}

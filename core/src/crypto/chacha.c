/*
 * chacha.c - ChaCha20, Poly1305 and AEAD_CHACHA20_POLY1305, written from RFC 8439.
 *
 * ChaCha20. The state is 16 32-bit words (§2.3): four constants, the key, the block counter and
 * the nonce; 20 rounds of quarter rounds (add, XOR, rotate), then the input added back. The
 * portable path runs one block at a time. The vector paths hold word i of 8 (AVX2) or 16
 * (AVX-512F) consecutive blocks in one register, lane j being block ctr + j, so a quarter round
 * is the same instructions on whole registers; afterwards the 16 registers are transposed (4x4
 * 32-bit transposes inside each 128-bit lane, then 128-bit lanes regrouped) so that each block's
 * 64 bytes come out in order and are XORed into the text. A last, partial batch is made in full
 * into a local buffer (wiped) and its first bytes used. Functions with vector instructions are
 * compiled with target("avx2") or target("avx512f") and only called on the path that
 * cry_chacha_select (__builtin_cpu_supports) chose at key setup; CRY_CHACHA_PORTABLE /
 * CRY_CHACHA_NO_AVX512 force the others (tests, benches).
 *
 * Poly1305 (§2.5). The accumulator h is kept in three 64-bit words h0 + h1 2^64 + h2 2^128, h2
 * small; r is clamped, so r0 < 2^60, r1 < 2^60 and 4 | r1. A block adds m + 2^128, then h * r is
 * taken with 64x64->128-bit products: 2^128 = 2^130 / 4 == 5 / 4 (mod p = 2^130 - 5), so h1 r1
 * 2^128 == h1 s1 with s1 = r1 + r1 / 4 (exact since 4 | r1), and h2 r1 2^192 == h2 s1 2^64. The
 * partial reduction keeps the low 130 bits and adds 5 times the rest (5 x = 4 x + x with x a
 * multiple of 4: (d2 & ~3) + (d2 >> 2)). Bounds: after a step h2 <= 4; on entry to a product
 * h2 <= 6 for a block and h2 <= 9 for a vector lane's sum (below 2^130 + 2^113: a2 <= 4), so
 * each 128-bit sum is below 2^126, d2 < 2^63.5 and 5 (d2 >> 2) < 2^64. The final reduction folds
 * h2 once more,
 * computes g = h + 5 and takes g - 2^130 instead of h when bit 130 of g is set (h >= p) by mask,
 * and the tag is (h + s) mod 2^128. No branch depends on data. On the vector paths an input of
 * 16 (AVX2) or 32 (AVX-512F) blocks or more runs in 4 or 8 lanes of 26-bit limbs, each lane a
 * Horner chain on r^4 or r^8 (poly_blocks_avx2 / _avx512 below).
 *
 * AEAD (§2.8). The Poly1305 key is the first 32 bytes of block 0; the text is en- or decrypted
 * from block 1; Poly1305 runs over the AAD, zero-padded to 16 bytes, the ciphertext, padded, and
 * the two lengths as 64-bit little-endian numbers. Open authenticates the ciphertext first and
 * decrypts only if the tag matched (compared with an OR of XORs, no early exit).
 */
#include "crypto/chacha.h"
#include "crypto/crypto_ltc.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CHACHA_X86 1
#include <immintrin.h>
#else
#define CHACHA_X86 0
#endif

#define CHACHA_KEYED 0x43484143u

typedef unsigned __int128 u128;

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32; }

static void st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void st64(uint8_t *p, uint64_t v)
{
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
}

/* ---- ChaCha20, portable ---- */

/* the initial state of block ctr (§2.3) */
static void chacha_state(uint32_t s[16], const uint32_t key[8], uint32_t ctr,
                         const uint8_t nonce[12])
{
    s[0] = 0x61707865u; /* "expand 32-byte k" */
    s[1] = 0x3320646eu;
    s[2] = 0x79622d32u;
    s[3] = 0x6b206574u;
    memcpy(s + 4, key, 32);
    s[12] = ctr;
    s[13] = ld32(nonce);
    s[14] = ld32(nonce + 4);
    s[15] = ld32(nonce + 8);
}

#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                                                           \
    do {                                                                                         \
        a += b; d ^= a; d = ROTL32(d, 16);                                                       \
        c += d; b ^= c; b = ROTL32(b, 12);                                                       \
        a += b; d ^= a; d = ROTL32(d, 8);                                                        \
        c += d; b ^= c; b = ROTL32(b, 7);                                                        \
    } while (0)

/* the key stream block of state s, serialized (§2.3.2) */
static void chacha_core(uint8_t out[64], const uint32_t s[16])
{
    uint32_t x0 = s[0], x1 = s[1], x2 = s[2], x3 = s[3], x4 = s[4], x5 = s[5], x6 = s[6],
             x7 = s[7], x8 = s[8], x9 = s[9], x10 = s[10], x11 = s[11], x12 = s[12],
             x13 = s[13], x14 = s[14], x15 = s[15];
    for (int i = 0; i < 10; i++) {
        QR(x0, x4, x8, x12);
        QR(x1, x5, x9, x13);
        QR(x2, x6, x10, x14);
        QR(x3, x7, x11, x15);
        QR(x0, x5, x10, x15);
        QR(x1, x6, x11, x12);
        QR(x2, x7, x8, x13);
        QR(x3, x4, x9, x14);
    }
    st32(out + 0, x0 + s[0]);
    st32(out + 4, x1 + s[1]);
    st32(out + 8, x2 + s[2]);
    st32(out + 12, x3 + s[3]);
    st32(out + 16, x4 + s[4]);
    st32(out + 20, x5 + s[5]);
    st32(out + 24, x6 + s[6]);
    st32(out + 28, x7 + s[7]);
    st32(out + 32, x8 + s[8]);
    st32(out + 36, x9 + s[9]);
    st32(out + 40, x10 + s[10]);
    st32(out + 44, x11 + s[11]);
    st32(out + 48, x12 + s[12]);
    st32(out + 52, x13 + s[13]);
    st32(out + 56, x14 + s[14]);
    st32(out + 60, x15 + s[15]);
}

static void xor_scalar(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t ks[64];
    while (len) {
        size_t n = len < 64 ? len : 64;
        chacha_core(ks, s);
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] ^ ks[i];
        s[12]++;
        in += n;
        out += n;
        len -= n;
    }
    cry_wipe(ks, sizeof ks);
}

/* ---- ChaCha20, AVX2 (8 blocks) and AVX-512F (16 blocks) ---- */

#if CHACHA_X86

#define AVX2 __attribute__((target("avx2")))
#define AVX512 __attribute__((target("avx2,avx512f")))

static int cpu_avx2(void) { return __builtin_cpu_supports("avx2"); }
static int cpu_avx512(void) { return cpu_avx2() && __builtin_cpu_supports("avx512f"); }

/* rotations on 8 lanes: 16 and 8 bits by byte shuffles, 12 and 7 by shifts */
#define R256_16(v) _mm256_shuffle_epi8(v, rot16)
#define R256_8(v) _mm256_shuffle_epi8(v, rot8)
#define R256_N(v, n) _mm256_or_si256(_mm256_slli_epi32(v, n), _mm256_srli_epi32(v, 32 - (n)))
#define QR256(a, b, c, d)                                                                        \
    do {                                                                                         \
        x[a] = _mm256_add_epi32(x[a], x[b]); x[d] = R256_16(_mm256_xor_si256(x[d], x[a]));       \
        x[c] = _mm256_add_epi32(x[c], x[d]); x[b] = R256_N(_mm256_xor_si256(x[b], x[c]), 12);    \
        x[a] = _mm256_add_epi32(x[a], x[b]); x[d] = R256_8(_mm256_xor_si256(x[d], x[a]));        \
        x[c] = _mm256_add_epi32(x[c], x[d]); x[b] = R256_N(_mm256_xor_si256(x[b], x[c]), 7);     \
    } while (0)

/* 4x4 transpose of 32-bit words inside each 128-bit lane: a..d (word i of each block) become
 * t0..t3 (lane k of t_j: words i..i+3 of block 4k + j) */
#define TR4(U, a, b, c, d, t0, t1, t2, t3)                                                       \
    do {                                                                                         \
        __typeof__(a) e0 = U##unpacklo_epi32(a, b), e1 = U##unpackhi_epi32(a, b);                \
        __typeof__(a) e2 = U##unpacklo_epi32(c, d), e3 = U##unpackhi_epi32(c, d);                \
        t0 = U##unpacklo_epi64(e0, e2);                                                          \
        t1 = U##unpackhi_epi64(e0, e2);                                                          \
        t2 = U##unpacklo_epi64(e1, e3);                                                          \
        t3 = U##unpackhi_epi64(e1, e3);                                                          \
    } while (0)

/* 8 blocks from s (s[12] advances by 8 per batch): len bytes, the last batch may be partial */
static AVX2 void xor_avx2(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t len)
{
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                                           2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    const __m256i rot8 = _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
                                          3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i o[16], x[16], y[16];
    for (int i = 0; i < 16; i++)
        o[i] = _mm256_set1_epi32((int)s[i]);
    while (len) {
        o[12] = _mm256_add_epi32(_mm256_set1_epi32((int)s[12]), lanes);
        for (int i = 0; i < 16; i++)
            x[i] = o[i];
        for (int r = 0; r < 10; r++) {
            QR256(0, 4, 8, 12);
            QR256(1, 5, 9, 13);
            QR256(2, 6, 10, 14);
            QR256(3, 7, 11, 15);
            QR256(0, 5, 10, 15);
            QR256(1, 6, 11, 12);
            QR256(2, 7, 8, 13);
            QR256(3, 4, 9, 14);
        }
        for (int i = 0; i < 16; i++)
            x[i] = _mm256_add_epi32(x[i], o[i]);
        __m256i t[16];
        TR4(_mm256_, x[0], x[1], x[2], x[3], t[0], t[1], t[2], t[3]);
        TR4(_mm256_, x[4], x[5], x[6], x[7], t[4], t[5], t[6], t[7]);
        TR4(_mm256_, x[8], x[9], x[10], x[11], t[8], t[9], t[10], t[11]);
        TR4(_mm256_, x[12], x[13], x[14], x[15], t[12], t[13], t[14], t[15]);
        /* block j (0..3) is in lane 0 of t[j], t[4 + j], t[8 + j], t[12 + j]; block j + 4 in
         * lane 1 */
        for (int j = 0; j < 4; j++) {
            y[4 * j + 0] = _mm256_permute2x128_si256(t[j], t[4 + j], 0x20);
            y[4 * j + 1] = _mm256_permute2x128_si256(t[8 + j], t[12 + j], 0x20);
            y[4 * j + 2] = _mm256_permute2x128_si256(t[j], t[4 + j], 0x31);
            y[4 * j + 3] = _mm256_permute2x128_si256(t[8 + j], t[12 + j], 0x31);
        }
        /* y[4j], y[4j + 1]: block j; y[4j + 2], y[4j + 3]: block j + 4 */
        static const uint8_t at[16] = {0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15};
        if (len >= 512) {
            for (int i = 0; i < 16; i++) {
                const uint8_t *p = in + 32 * at[i];
                __m256i m = _mm256_loadu_si256((const __m256i *)(const void *)p);
                _mm256_storeu_si256((__m256i *)(void *)(out + 32 * at[i]),
                                    _mm256_xor_si256(m, y[i]));
            }
            in += 512;
            out += 512;
            len -= 512;
        } else {
            uint8_t ks[512];
            for (int i = 0; i < 16; i++)
                _mm256_storeu_si256((__m256i *)(void *)(ks + 32 * at[i]), y[i]);
            for (size_t i = 0; i < len; i++)
                out[i] = in[i] ^ ks[i];
            cry_wipe(ks, sizeof ks);
            len = 0;
        }
        s[12] += 8;
    }
    /* the key stream left in registers is not wiped: vector registers are clobbered freely */
    cry_wipe(o, sizeof o);
    cry_wipe(x, sizeof x);
    cry_wipe(y, sizeof y);
}

#define ROL512(v, n) _mm512_rol_epi32(v, n)
#define QR512(a, b, c, d)                                                                        \
    do {                                                                                         \
        x[a] = _mm512_add_epi32(x[a], x[b]); x[d] = ROL512(_mm512_xor_si512(x[d], x[a]), 16);    \
        x[c] = _mm512_add_epi32(x[c], x[d]); x[b] = ROL512(_mm512_xor_si512(x[b], x[c]), 12);    \
        x[a] = _mm512_add_epi32(x[a], x[b]); x[d] = ROL512(_mm512_xor_si512(x[d], x[a]), 8);     \
        x[c] = _mm512_add_epi32(x[c], x[d]); x[b] = ROL512(_mm512_xor_si512(x[b], x[c]), 7);     \
    } while (0)

/* 16 blocks per batch, whole batches only (1024 bytes each); s[12] advances */
static AVX512 void xor_avx512(uint32_t s[16], const uint8_t *in, uint8_t *out, size_t nbatch)
{
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512i o[16], x[16], t[16];
    for (int i = 0; i < 16; i++)
        o[i] = _mm512_set1_epi32((int)s[i]);
    for (; nbatch; nbatch--) {
        o[12] = _mm512_add_epi32(_mm512_set1_epi32((int)s[12]), lanes);
        for (int i = 0; i < 16; i++)
            x[i] = o[i];
        for (int r = 0; r < 10; r++) {
            QR512(0, 4, 8, 12);
            QR512(1, 5, 9, 13);
            QR512(2, 6, 10, 14);
            QR512(3, 7, 11, 15);
            QR512(0, 5, 10, 15);
            QR512(1, 6, 11, 12);
            QR512(2, 7, 8, 13);
            QR512(3, 4, 9, 14);
        }
        for (int i = 0; i < 16; i++)
            x[i] = _mm512_add_epi32(x[i], o[i]);
        TR4(_mm512_, x[0], x[1], x[2], x[3], t[0], t[1], t[2], t[3]);
        TR4(_mm512_, x[4], x[5], x[6], x[7], t[4], t[5], t[6], t[7]);
        TR4(_mm512_, x[8], x[9], x[10], x[11], t[8], t[9], t[10], t[11]);
        TR4(_mm512_, x[12], x[13], x[14], x[15], t[12], t[13], t[14], t[15]);
        /* lane k of t[j] (words 0..3), t[4 + j] (4..7), t[8 + j], t[12 + j]: block 4k + j */
        for (int j = 0; j < 4; j++) {
            __m512i p = _mm512_shuffle_i32x4(t[j], t[4 + j], 0x88);      /* lanes 0, 2 */
            __m512i q = _mm512_shuffle_i32x4(t[j], t[4 + j], 0xdd);      /* lanes 1, 3 */
            __m512i r = _mm512_shuffle_i32x4(t[8 + j], t[12 + j], 0x88);
            __m512i u = _mm512_shuffle_i32x4(t[8 + j], t[12 + j], 0xdd);
            __m512i b[4] = {_mm512_shuffle_i32x4(p, r, 0x88),  /* block j */
                            _mm512_shuffle_i32x4(q, u, 0x88),  /* block j + 4 */
                            _mm512_shuffle_i32x4(p, r, 0xdd),  /* block j + 8 */
                            _mm512_shuffle_i32x4(q, u, 0xdd)}; /* block j + 12 */
            for (int k = 0; k < 4; k++) {
                size_t off = 64 * (size_t)(j + 4 * k);
                __m512i m = _mm512_loadu_si512((const void *)(in + off));
                _mm512_storeu_si512((void *)(out + off), _mm512_xor_si512(m, b[k]));
            }
        }
        in += 1024;
        out += 1024;
        s[12] += 16;
    }
    cry_wipe(o, sizeof o);
    cry_wipe(x, sizeof x);
    cry_wipe(t, sizeof t);
}

#endif /* CHACHA_X86 */

int cry_chacha_select(unsigned flags)
{
#if CHACHA_X86
    if (flags & CRY_CHACHA_PORTABLE)
        return CRY_CHACHA_SCALAR;
    if (!(flags & CRY_CHACHA_NO_AVX512) && cpu_avx512())
        return CRY_CHACHA_AVX512;
    if (cpu_avx2())
        return CRY_CHACHA_AVX2;
#else
    (void)flags;
#endif
    return CRY_CHACHA_SCALAR;
}

void cry_chacha_init(struct cry_chacha *c, const uint8_t key[32], unsigned flags)
{
    for (int i = 0; i < 8; i++)
        c->key[i] = ld32(key + 4 * i);
    c->path = (uint32_t)cry_chacha_select(flags);
    c->keyed = CHACHA_KEYED;
}

void cry_chacha_wipe(struct cry_chacha *c) { cry_wipe(c, sizeof *c); }

void cry_chacha20_block(const uint8_t key[32], uint32_t ctr, const uint8_t nonce[12],
                        uint8_t out[64])
{
    uint32_t k[8], s[16];
    for (int i = 0; i < 8; i++)
        k[i] = ld32(key + 4 * i);
    chacha_state(s, k, ctr, nonce);
    chacha_core(out, s);
    cry_wipe(k, sizeof k);
    cry_wipe(s, sizeof s);
}

/* the key stream of s from block s[12] on, on the given path */
static void chacha_xor(uint32_t path, uint32_t s[16], const uint8_t *in, uint8_t *out, size_t len)
{
#if CHACHA_X86
    if (path == CRY_CHACHA_AVX512 && len >= 1024) {
        size_t nb = len / 1024;
        xor_avx512(s, in, out, nb);
        in += 1024 * nb;
        out += 1024 * nb;
        len -= 1024 * nb;
    }
    if (path != CRY_CHACHA_SCALAR) {
        if (len)
            xor_avx2(s, in, out, len);
        return;
    }
#else
    (void)path;
#endif
    xor_scalar(s, in, out, len);
}

void cry_chacha20_xor(const struct cry_chacha *c, uint32_t ctr, const uint8_t nonce[12],
                      const uint8_t *in, uint8_t *out, size_t len)
{
    uint32_t s[16];
    chacha_state(s, c->key, ctr, nonce);
    chacha_xor(c->path, s, in, out, len);
    cry_wipe(s, sizeof s);
}

/* ---- Poly1305 ---- */

struct poly {
    uint64_t r0, r1, s1; /* clamped r; s1 = r1 + r1 / 4 */
    uint64_t h0, h1, h2; /* the accumulator */
    uint32_t path;       /* CRY_CHACHA_AVX512: 8 blocks at a time on long inputs */
};

static void poly_init(struct poly *p, const uint8_t key[16], uint32_t path)
{
    p->r0 = ld64(key) & 0x0ffffffc0fffffffull;
    p->r1 = ld64(key + 8) & 0x0ffffffc0ffffffcull;
    p->s1 = p->r1 + (p->r1 >> 2);
    p->h0 = p->h1 = p->h2 = 0;
    p->path = path;
}

/* h = (h + a) r, partially reduced, on locals h0, h1, h2, r0, r1, s1; a2 <= 4 */
#define POLY_STEP(a0, a1, a2)                                                                    \
    do {                                                                                         \
        u128 t = (u128)h0 + (a0);                                                                \
        h0 = (uint64_t)t;                                                                        \
        t = (u128)h1 + (a1) + (uint64_t)(t >> 64);                                               \
        h1 = (uint64_t)t;                                                                        \
        h2 += (uint64_t)(t >> 64) + (a2);                                                        \
        u128 d0 = (u128)h0 * r0 + (u128)h1 * s1;                                                 \
        u128 d1 = (u128)h0 * r1 + (u128)h1 * r0 + (u128)h2 * s1;                                 \
        uint64_t d2 = h2 * r0;                                                                   \
        d1 += (uint64_t)(d0 >> 64);                                                              \
        d2 += (uint64_t)(d1 >> 64);                                                              \
        h0 = (uint64_t)d0;                                                                       \
        h1 = (uint64_t)d1;                                                                       \
        h2 = d2 & 3;                                                                             \
        t = (u128)h0 + ((d2 & ~(uint64_t)3) + (d2 >> 2)); /* 5 (d2 >> 2) */                      \
        h0 = (uint64_t)t;                                                                        \
        t = (u128)h1 + (uint64_t)(t >> 64);                                                      \
        h1 = (uint64_t)t;                                                                        \
        h2 += (uint64_t)(t >> 64);                                                               \
    } while (0)

/* n 16-byte blocks, each plus hibit * 2^128 (1, or 0 for a final block padded by 0x01) */
static void poly_blocks_scalar(struct poly *p, const uint8_t *m, size_t n, uint64_t hibit)
{
    const uint64_t r0 = p->r0, r1 = p->r1, s1 = p->s1;
    uint64_t h0 = p->h0, h1 = p->h1, h2 = p->h2;
    for (; n; n--, m += 16)
        POLY_STEP(ld64(m), ld64(m + 8), hibit);
    p->h0 = h0;
    p->h1 = h1;
    p->h2 = h2;
}

/* h mod p, fully reduced, from a partially reduced h (h2 <= 4) */
static void poly_reduce(uint64_t *h0p, uint64_t *h1p, uint64_t *h2p)
{
    uint64_t h0 = *h0p, h1 = *h1p, h2 = *h2p;
    u128 t = (u128)h0 + (h2 >> 2) * 5; /* h below 2^130 + 2^64 */
    h2 &= 3;
    h0 = (uint64_t)t;
    t = (u128)h1 + (uint64_t)(t >> 64);
    h1 = (uint64_t)t;
    h2 += (uint64_t)(t >> 64);
    t = (u128)h0 + 5; /* g = h + 5: bit 130 set iff h >= p */
    uint64_t g0 = (uint64_t)t;
    t = (u128)h1 + (uint64_t)(t >> 64);
    uint64_t g1 = (uint64_t)t;
    uint64_t g2 = h2 + (uint64_t)(t >> 64);
    uint64_t mask = 0 - (g2 >> 2);
    *h0p = (h0 & ~mask) | (g0 & mask);
    *h1p = (h1 & ~mask) | (g1 & mask);
    *h2p = (h2 & ~mask) | ((g2 & 3) & mask);
}

#if CHACHA_X86
/* h (h2 <= 4) as five 26-bit limbs, the vector paths' representation */
static void limbs26(uint64_t h0, uint64_t h1, uint64_t h2, uint64_t l[5])
{
    l[0] = h0 & 0x3ffffff;
    l[1] = (h0 >> 26) & 0x3ffffff;
    l[2] = ((h0 >> 52) | (h1 << 12)) & 0x3ffffff;
    l[3] = (h1 >> 14) & 0x3ffffff;
    l[4] = (h1 >> 40) | (h2 << 24);
}

/* For @lanes parallel lanes: r^lanes (fully reduced) and the accumulator, as 26-bit limbs. */
static void poly_lane_setup(const struct poly *p, int lanes, uint64_t rl[5], uint64_t hl[5])
{
    const uint64_t r0 = p->r0, r1 = p->r1, s1 = p->s1;
    uint64_t h0 = r0, h1 = r1, h2 = 0;
    for (int i = 1; i < lanes; i++) /* r^lanes = ((r r) r) ... r */
        POLY_STEP(0, 0, 0);
    poly_reduce(&h0, &h1, &h2);
    limbs26(h0, h1, h2, rl);
    limbs26(p->h0, p->h1, p->h2, hl);
}

/* The lanes' sums A_j (l[i][lane[j]]: limb i of lane j, stride lanes) folded into the new
 * accumulator: h = (...((A_0 r + A_1) r + A_2) r ... + A_(lanes-1)) r. Wipes l. */
static void poly_lane_fold(struct poly *p, uint64_t *l, int lanes, const int *lane)
{
    const uint64_t r0 = p->r0, r1 = p->r1, s1 = p->s1;
    uint64_t h0 = 0, h1 = 0, h2 = 0;
    for (int j = 0; j < lanes; j++) {
        const uint64_t *c = l + lane[j]; /* A_j = sum of c[i lanes] 2^(26 i), below 2^130 + 2^113 */
        u128 lo = (u128)c[0] + ((u128)c[lanes] << 26) + ((u128)c[2 * lanes] << 52) +
                  ((u128)c[3 * lanes] << 78);
        u128 hi = (lo >> 64) + ((u128)c[4 * lanes] << 40);
        POLY_STEP((uint64_t)lo, (uint64_t)hi, (uint64_t)(hi >> 64));
    }
    p->h0 = h0;
    p->h1 = h1;
    p->h2 = h2;
    cry_wipe(l, 5 * (size_t)lanes * sizeof *l);
}

/*
 * Poly1305 on AVX-512F, 8 blocks at a time (whole groups of 8; returns the blocks done). Lane j
 * of five vectors of 26-bit limbs accumulates A_j = m_j r^8 ... (Horner on every eighth block,
 * h added to block 0); at the end h = (...((A_0 r + A_1) r + A_2) r ... + A_7) r, which is
 * sum A_j r^(8 - j), in the scalar code. With limbs below 2^27 and r^8's times 5 below 2^29,
 * each of the five products of a column is below 2^56 and their sum below 2^59.
 */
#define POLY_AVX512 __attribute__((target("avx2,avx512f")))

static POLY_AVX512 size_t poly_blocks_avx512(struct poly *p, const uint8_t *m, size_t n)
{
    size_t groups = n / 8;
    uint64_t rl[5], hl[5];
    poly_lane_setup(p, 8, rl, hl);
    const __m512i mask = _mm512_set1_epi64(0x3ffffff), hib = _mm512_set1_epi64(1 << 24);
    const __m512i R0 = _mm512_set1_epi64((long long)rl[0]);
    const __m512i R1 = _mm512_set1_epi64((long long)rl[1]);
    const __m512i R2 = _mm512_set1_epi64((long long)rl[2]);
    const __m512i R3 = _mm512_set1_epi64((long long)rl[3]);
    const __m512i R4 = _mm512_set1_epi64((long long)rl[4]);
    const __m512i S1 = _mm512_set1_epi64((long long)(5 * rl[1])),
                  S2 = _mm512_set1_epi64((long long)(5 * rl[2])),
                  S3 = _mm512_set1_epi64((long long)(5 * rl[3])),
                  S4 = _mm512_set1_epi64((long long)(5 * rl[4]));
    __m512i a0, a1, a2, a3, a4, m0, m1, m2, m3, m4;
/* blocks 0..7 at q into limbs; lane order b0 b4 b1 b5 b2 b6 b3 b7 */
#define LOADB(q)                                                                                 \
    do {                                                                                         \
        __m512i x = _mm512_loadu_si512((const void *)(q));                                       \
        __m512i y = _mm512_loadu_si512((const void *)((q) + 64));                                \
        __m512i lo = _mm512_unpacklo_epi64(x, y), hi = _mm512_unpackhi_epi64(x, y);              \
        m0 = _mm512_and_si512(lo, mask);                                                         \
        m1 = _mm512_and_si512(_mm512_srli_epi64(lo, 26), mask);                                  \
        m2 = _mm512_or_si512(_mm512_srli_epi64(lo, 52), _mm512_slli_epi64(hi, 12));              \
        m2 = _mm512_and_si512(m2, mask);                                                         \
        m3 = _mm512_and_si512(_mm512_srli_epi64(hi, 14), mask);                                  \
        m4 = _mm512_or_si512(_mm512_srli_epi64(hi, 40), hib);                                    \
    } while (0)
#define MUL(a, b) _mm512_mul_epu32(a, b)
#define ADD(a, b) _mm512_add_epi64(a, b)
    LOADB(m);
    a0 = ADD(m0, _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)hl[0]));
    a1 = ADD(m1, _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)hl[1]));
    a2 = ADD(m2, _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)hl[2]));
    a3 = ADD(m3, _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)hl[3]));
    a4 = ADD(m4, _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, (long long)hl[4]));
    for (size_t g = 1; g < groups; g++) {
        m += 128;
        LOADB(m);
        __m512i d0 = ADD(ADD(ADD(MUL(a0, R0), MUL(a1, S4)), ADD(MUL(a2, S3), MUL(a3, S2))),
                         ADD(MUL(a4, S1), m0));
        __m512i d1 = ADD(ADD(ADD(MUL(a0, R1), MUL(a1, R0)), ADD(MUL(a2, S4), MUL(a3, S3))),
                         ADD(MUL(a4, S2), m1));
        __m512i d2 = ADD(ADD(ADD(MUL(a0, R2), MUL(a1, R1)), ADD(MUL(a2, R0), MUL(a3, S4))),
                         ADD(MUL(a4, S3), m2));
        __m512i d3 = ADD(ADD(ADD(MUL(a0, R3), MUL(a1, R2)), ADD(MUL(a2, R1), MUL(a3, R0))),
                         ADD(MUL(a4, S4), m3));
        __m512i d4 = ADD(ADD(ADD(MUL(a0, R4), MUL(a1, R3)), ADD(MUL(a2, R2), MUL(a3, R1))),
                         ADD(MUL(a4, R0), m4));
        /* carries: two chains, d0 -> d1 -> d2 -> d3 and d3 -> d4 -> 5 * -> d0 -> d1 */
        __m512i c;
        c = _mm512_srli_epi64(d0, 26), d0 = _mm512_and_si512(d0, mask), d1 = ADD(d1, c);
        c = _mm512_srli_epi64(d3, 26), d3 = _mm512_and_si512(d3, mask), d4 = ADD(d4, c);
        c = _mm512_srli_epi64(d1, 26), d1 = _mm512_and_si512(d1, mask), d2 = ADD(d2, c);
        c = _mm512_srli_epi64(d4, 26), d4 = _mm512_and_si512(d4, mask);
        d0 = ADD(d0, ADD(c, _mm512_slli_epi64(c, 2)));
        c = _mm512_srli_epi64(d2, 26), d2 = _mm512_and_si512(d2, mask), d3 = ADD(d3, c);
        c = _mm512_srli_epi64(d0, 26), d0 = _mm512_and_si512(d0, mask), d1 = ADD(d1, c);
        c = _mm512_srli_epi64(d3, 26), d3 = _mm512_and_si512(d3, mask), d4 = ADD(d4, c);
        a0 = d0, a1 = d1, a2 = d2, a3 = d3, a4 = d4;
    }
#undef LOADB
#undef MUL
#undef ADD
    uint64_t l[5][8];
    _mm512_storeu_si512((void *)l[0], a0);
    _mm512_storeu_si512((void *)l[1], a1);
    _mm512_storeu_si512((void *)l[2], a2);
    _mm512_storeu_si512((void *)l[3], a3);
    _mm512_storeu_si512((void *)l[4], a4);
    static const int lane[8] = {0, 2, 4, 6, 1, 3, 5, 7}; /* of block j */
    poly_lane_fold(p, l[0], 8, lane);
    cry_wipe(rl, sizeof rl);
    cry_wipe(hl, sizeof hl);
    return 8 * groups;
}

/* The same on AVX2: 4 lanes, r^4. */
#define POLY_AVX2 __attribute__((target("avx2")))

static POLY_AVX2 size_t poly_blocks_avx2(struct poly *p, const uint8_t *m, size_t n)
{
    size_t groups = n / 4;
    uint64_t rl[5], hl[5];
    poly_lane_setup(p, 4, rl, hl);
    const __m256i mask = _mm256_set1_epi64x(0x3ffffff), hib = _mm256_set1_epi64x(1 << 24);
    const __m256i R0 = _mm256_set1_epi64x((long long)rl[0]);
    const __m256i R1 = _mm256_set1_epi64x((long long)rl[1]);
    const __m256i R2 = _mm256_set1_epi64x((long long)rl[2]);
    const __m256i R3 = _mm256_set1_epi64x((long long)rl[3]);
    const __m256i R4 = _mm256_set1_epi64x((long long)rl[4]);
    const __m256i S1 = _mm256_set1_epi64x((long long)(5 * rl[1])),
                  S2 = _mm256_set1_epi64x((long long)(5 * rl[2])),
                  S3 = _mm256_set1_epi64x((long long)(5 * rl[3])),
                  S4 = _mm256_set1_epi64x((long long)(5 * rl[4]));
    __m256i a0, a1, a2, a3, a4, m0, m1, m2, m3, m4;
/* blocks 0..3 at q into limbs; lane order b0 b2 b1 b3 */
#define LOADB(q)                                                                                 \
    do {                                                                                         \
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(q));                      \
        __m256i y = _mm256_loadu_si256((const __m256i *)(const void *)((q) + 32));               \
        __m256i lo = _mm256_unpacklo_epi64(x, y), hi = _mm256_unpackhi_epi64(x, y);              \
        m0 = _mm256_and_si256(lo, mask);                                                         \
        m1 = _mm256_and_si256(_mm256_srli_epi64(lo, 26), mask);                                  \
        m2 = _mm256_or_si256(_mm256_srli_epi64(lo, 52), _mm256_slli_epi64(hi, 12));              \
        m2 = _mm256_and_si256(m2, mask);                                                         \
        m3 = _mm256_and_si256(_mm256_srli_epi64(hi, 14), mask);                                  \
        m4 = _mm256_or_si256(_mm256_srli_epi64(hi, 40), hib);                                    \
    } while (0)
#define MUL(a, b) _mm256_mul_epu32(a, b)
#define ADD(a, b) _mm256_add_epi64(a, b)
    LOADB(m);
    a0 = ADD(m0, _mm256_set_epi64x(0, 0, 0, (long long)hl[0]));
    a1 = ADD(m1, _mm256_set_epi64x(0, 0, 0, (long long)hl[1]));
    a2 = ADD(m2, _mm256_set_epi64x(0, 0, 0, (long long)hl[2]));
    a3 = ADD(m3, _mm256_set_epi64x(0, 0, 0, (long long)hl[3]));
    a4 = ADD(m4, _mm256_set_epi64x(0, 0, 0, (long long)hl[4]));
    for (size_t g = 1; g < groups; g++) {
        m += 64;
        LOADB(m);
        __m256i d0 = ADD(ADD(ADD(MUL(a0, R0), MUL(a1, S4)), ADD(MUL(a2, S3), MUL(a3, S2))),
                         ADD(MUL(a4, S1), m0));
        __m256i d1 = ADD(ADD(ADD(MUL(a0, R1), MUL(a1, R0)), ADD(MUL(a2, S4), MUL(a3, S3))),
                         ADD(MUL(a4, S2), m1));
        __m256i d2 = ADD(ADD(ADD(MUL(a0, R2), MUL(a1, R1)), ADD(MUL(a2, R0), MUL(a3, S4))),
                         ADD(MUL(a4, S3), m2));
        __m256i d3 = ADD(ADD(ADD(MUL(a0, R3), MUL(a1, R2)), ADD(MUL(a2, R1), MUL(a3, R0))),
                         ADD(MUL(a4, S4), m3));
        __m256i d4 = ADD(ADD(ADD(MUL(a0, R4), MUL(a1, R3)), ADD(MUL(a2, R2), MUL(a3, R1))),
                         ADD(MUL(a4, R0), m4));
        /* carries: two chains, d0 -> d1 -> d2 -> d3 and d3 -> d4 -> 5 * -> d0 -> d1 */
        __m256i c;
        c = _mm256_srli_epi64(d0, 26), d0 = _mm256_and_si256(d0, mask), d1 = ADD(d1, c);
        c = _mm256_srli_epi64(d3, 26), d3 = _mm256_and_si256(d3, mask), d4 = ADD(d4, c);
        c = _mm256_srli_epi64(d1, 26), d1 = _mm256_and_si256(d1, mask), d2 = ADD(d2, c);
        c = _mm256_srli_epi64(d4, 26), d4 = _mm256_and_si256(d4, mask);
        d0 = ADD(d0, ADD(c, _mm256_slli_epi64(c, 2)));
        c = _mm256_srli_epi64(d2, 26), d2 = _mm256_and_si256(d2, mask), d3 = ADD(d3, c);
        c = _mm256_srli_epi64(d0, 26), d0 = _mm256_and_si256(d0, mask), d1 = ADD(d1, c);
        c = _mm256_srli_epi64(d3, 26), d3 = _mm256_and_si256(d3, mask), d4 = ADD(d4, c);
        a0 = d0, a1 = d1, a2 = d2, a3 = d3, a4 = d4;
    }
#undef LOADB
#undef MUL
#undef ADD
    uint64_t l[5][4];
    _mm256_storeu_si256((__m256i *)(void *)l[0], a0);
    _mm256_storeu_si256((__m256i *)(void *)l[1], a1);
    _mm256_storeu_si256((__m256i *)(void *)l[2], a2);
    _mm256_storeu_si256((__m256i *)(void *)l[3], a3);
    _mm256_storeu_si256((__m256i *)(void *)l[4], a4);
    static const int lane[4] = {0, 2, 1, 3}; /* of block j */
    poly_lane_fold(p, l[0], 4, lane);
    cry_wipe(rl, sizeof rl);
    cry_wipe(hl, sizeof hl);
    return 4 * groups;
}
#endif

/* n 16-byte blocks, each plus hibit * 2^128 */
static void poly_blocks(struct poly *p, const uint8_t *m, size_t n, uint64_t hibit)
{
#if CHACHA_X86
    if (p->path == CRY_CHACHA_AVX512 && hibit && n >= 32) {
        size_t done = poly_blocks_avx512(p, m, n);
        m += 16 * done;
        n -= done;
    } else if (p->path != CRY_CHACHA_SCALAR && hibit && n >= 16) { /* AVX-512F: 16..31 blocks */
        size_t done = poly_blocks_avx2(p, m, n);
        m += 16 * done;
        n -= done;
    }
#endif
    poly_blocks_scalar(p, m, n, hibit);
}

/* (h mod p + s) mod 2^128; p is wiped */
static void poly_final(struct poly *p, const uint8_t s[16], uint8_t tag[16])
{
    uint64_t h0 = p->h0, h1 = p->h1, h2 = p->h2;
    poly_reduce(&h0, &h1, &h2);
    u128 t = (u128)h0 + ld64(s);
    st64(tag, (uint64_t)t);
    st64(tag + 8, h1 + ld64(s + 8) + (uint64_t)(t >> 64));
    cry_wipe(p, sizeof *p);
}

void cry_poly1305(uint8_t tag[16], const uint8_t key[32], const uint8_t *msg, size_t len)
{
    struct poly p;
    poly_init(&p, key, (uint32_t)cry_chacha_select(0));
    poly_blocks(&p, msg, len / 16, 1);
    if (len % 16) {
        uint8_t b[16] = {0};
        memcpy(b, msg + len - len % 16, len % 16);
        b[len % 16] = 1;
        poly_blocks(&p, b, 1, 0);
        cry_wipe(b, sizeof b);
    }
    poly_final(&p, key + 16, tag);
}

/* ---- AEAD_CHACHA20_POLY1305 ---- */

/* n bytes zero-padded to a multiple of 16 (§2.8) */
static void poly_padded(struct poly *p, const uint8_t *m, size_t n)
{
    poly_blocks(p, m, n / 16, 1);
    if (n % 16) {
        uint8_t b[16] = {0};
        memcpy(b, m + n - n % 16, n % 16);
        poly_blocks(p, b, 1, 1);
    }
}

/* Poly1305 over aad and the ciphertext ct with the key from block 0; s is left at block 1 */
static void aead_tag(const struct cry_chacha *c, uint32_t s[16], const uint8_t nonce[12],
                     const uint8_t *aad, size_t alen, const uint8_t *ct, size_t len,
                     uint8_t tag[16])
{
    uint8_t blk[64], lens[16];
    struct poly p;
    chacha_state(s, c->key, 0, nonce);
    chacha_core(blk, s);
    s[12] = 1;
    poly_init(&p, blk, c->path);
    poly_padded(&p, aad, alen);
    poly_padded(&p, ct, len);
    st64(lens, (uint64_t)alen);
    st64(lens + 8, (uint64_t)len);
    poly_blocks(&p, lens, 1, 1);
    poly_final(&p, blk + 16, tag);
    cry_wipe(blk, sizeof blk);
}

void cry_chacha20_poly1305_seal(const struct cry_chacha *c, const uint8_t nonce[12],
                                const uint8_t *aad, size_t alen, const uint8_t *in, uint8_t *out,
                                size_t len, uint8_t tag[16])
{
    uint32_t s[16];
    /* the text first (from block 1), then the tag over the ciphertext */
    chacha_state(s, c->key, 1, nonce);
    chacha_xor(c->path, s, in, out, len);
    aead_tag(c, s, nonce, aad, alen, out, len, tag);
    cry_wipe(s, sizeof s);
}

int cry_chacha20_poly1305_open(const struct cry_chacha *c, const uint8_t nonce[12],
                               const uint8_t *aad, size_t alen, const uint8_t *in, uint8_t *out,
                               size_t len, const uint8_t tag[16])
{
    uint32_t s[16];
    uint8_t want[16];
    aead_tag(c, s, nonce, aad, alen, in, len, want);
    uint32_t d = 0;
    for (int i = 0; i < 16; i++)
        d |= (uint32_t)(want[i] ^ tag[i]);
    cry_wipe(want, sizeof want);
    int ok = (int)((d - 1) >> 31); /* 1 iff d == 0 */
    if (ok)
        chacha_xor(c->path, s, in, out, len); /* s is at block 1 */
    else if (len)
        cry_wipe(out, len); /* nothing unauthenticated leaves */
    cry_wipe(s, sizeof s);
    return ok ? 0 : -1;
}

/*
 * sha_ni.c - SHA-1 and SHA-256 compression (FIPS 180-4), portable and on the SHA extensions.
 *
 * Portable: the message schedule is kept in a 16-word window (W[t] overwrites W[t-16]), the
 * rounds are written once each for the four SHA-1 functions and once for SHA-256, and the
 * compiler unrolls them. Words are read big-endian byte by byte, so there is no alignment or
 * endianness assumption.
 *
 * SHA extensions: a 128-bit register holds four words with the first in the highest lane for
 * SHA-1 (ABCD as A:B:C:D from lane 3 down, E in lane 3 of its own register) and as A:B:E:F /
 * C:D:G:H for SHA-256 (the layout SHA256RNDS2 wants). Message groups of four words are loaded
 * with one PSHUFB that makes them big-endian and, for SHA-1, reverses their order.
 *   SHA-1: group i (rounds 4i..4i+3) is W_i = MSG2(MSG1(W_{i-4}, W_{i-3}) ^ W_{i-2}, W_{i-1})
 *   for i >= 4; SHA1RNDS4 runs four rounds with function i / 5 and the E input, which for i >= 1
 *   is SHA1NEXTE(ABCD before group i - 1, W_i) (it adds A rotated by 30 to the first word).
 *   SHA-256: W_i = MSG2(MSG1(W_{i-4}, W_{i-3}) + (W_{i-2}:W_{i-1} shifted by one word), W_{i-1});
 *   each group of four is two SHA256RNDS2 on W_i + K_i, low two words then high two.
 * The window of four message registers is indexed by constants only once the group loop is
 * unrolled by the macros below (SHA1RNDS4's function number must be an immediate).
 *
 * Every function that uses the instructions is compiled with target("sha,sse4.1,ssse3"); callers
 * check cry_sha_ni_cpu() first (crypto_ltc.c, at cry_hash_init).
 */
#include "crypto/sha_ni.h"

static inline uint32_t rol32(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }
static inline uint32_t ror32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- Portable ---- */

void cry_sha1_blocks_c(uint32_t h[5], const uint8_t *p, size_t nblocks)
{
    uint32_t w[16];
    for (; nblocks; nblocks--, p += 64) {
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
#pragma GCC unroll 80
        for (int t = 0; t < 80; t++) {
            uint32_t wt, f, k;
            if (t < 16) {
                wt = w[t] = be32(p + 4 * t);
            } else {
                wt = rol32(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1);
                w[t & 15] = wt;
            }
            if (t < 20) {
                f = (b & c) | (~b & d); /* Ch */
                k = 0x5a827999u;
            } else if (t < 40) {
                f = b ^ c ^ d; /* Parity */
                k = 0x6ed9eba1u;
            } else if (t < 60) {
                f = (b & c) | (b & d) | (c & d); /* Maj */
                k = 0x8f1bbcdcu;
            } else {
                f = b ^ c ^ d;
                k = 0xca62c1d6u;
            }
            uint32_t tmp = rol32(a, 5) + f + e + k + wt;
            e = d;
            d = c;
            c = rol32(b, 30);
            b = a;
            a = tmp;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
    }
}

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64
 * primes. */
static const uint32_t K256[64] __attribute__((aligned(16))) = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u};

void cry_sha256_blocks_c(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    uint32_t w[16];
    for (; nblocks; nblocks--, p += 64) {
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
#pragma GCC unroll 64
        for (int t = 0; t < 64; t++) {
            uint32_t wt;
            if (t < 16) {
                wt = w[t] = be32(p + 4 * t);
            } else {
                uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
                uint32_t s0 = ror32(w15, 7) ^ ror32(w15, 18) ^ (w15 >> 3);
                uint32_t s1 = ror32(w2, 17) ^ ror32(w2, 19) ^ (w2 >> 10);
                wt = w[t & 15] = s1 + w[(t - 7) & 15] + s0 + w[t & 15];
            }
            uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) +
                          K256[t] + wt;
            uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
    }
}

/* ---- SHA extensions ---- */

#if defined(__x86_64__)
#include <cpuid.h>
#include <pthread.h>
#include <immintrin.h>

#define NI __attribute__((target("sha,sse4.1,ssse3")))

/* CPUID rather than __builtin_cpu_supports("sha"), which clang 14 (the fuzz build) lacks:
 * leaf 7 EBX bit 29 is SHA, leaf 1 ECX bits 9 and 19 are SSSE3 and SSE4.1. Asked once per process
 * (pthread_once): every hash init asks, and under a hypervisor CPUID traps to it (a VM exit of
 * microseconds; it was 12 % of a full handshake's server CPU in this VM when asked every time). */
static pthread_once_t sha_ni_once = PTHREAD_ONCE_INIT;
static int sha_ni_has; /* written once, under sha_ni_once */

static void sha_ni_detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
        return;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return;
    sha_ni_has = (b >> 29) & 1;
}

int cry_sha_ni_cpu(void)
{
    pthread_once(&sha_ni_once, sha_ni_detect);
    return sha_ni_has;
}

static inline NI __m128i ld(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* SHA-1 group i >= 4: m[i & 3] holds W_{i-4} and becomes W_i; then four rounds. */
#define SHA1_SCHED(i)                                                                            \
    m[(i) & 3] = _mm_sha1msg2_epu32(                                                             \
        _mm_xor_si128(_mm_sha1msg1_epu32(m[(i) & 3], m[((i) + 1) & 3]), m[((i) + 2) & 3]),        \
        m[((i) + 3) & 3])
#define SHA1_ROUNDS(i)                                                                           \
    do {                                                                                         \
        e = _mm_sha1nexte_epu32(prev, m[(i) & 3]);                                               \
        prev = abcd;                                                                             \
        abcd = _mm_sha1rnds4_epu32(abcd, e, (i) / 5);                                            \
    } while (0)
#define SHA1_GROUP(i)                                                                            \
    do {                                                                                         \
        SHA1_SCHED(i);                                                                           \
        SHA1_ROUNDS(i);                                                                          \
    } while (0)

NI void cry_sha1_blocks_ni(uint32_t h[5], const uint8_t *p, size_t nblocks)
{
    /* big-endian words, first word in lane 3: reverse all 16 bytes */
    const __m128i rev = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(ld((const uint8_t *)h), 0x1b);
    __m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0);
    for (; nblocks; nblocks--, p += 64) {
        __m128i abcd0 = abcd, e0_saved = e0, prev, e, m[4];
        m[0] = _mm_shuffle_epi8(ld(p), rev);
        m[1] = _mm_shuffle_epi8(ld(p + 16), rev);
        m[2] = _mm_shuffle_epi8(ld(p + 32), rev);
        m[3] = _mm_shuffle_epi8(ld(p + 48), rev);
        e = _mm_add_epi32(e0, m[0]);
        prev = abcd;
        abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
        SHA1_ROUNDS(1);
        SHA1_ROUNDS(2);
        SHA1_ROUNDS(3);
        SHA1_GROUP(4);
        SHA1_GROUP(5);
        SHA1_GROUP(6);
        SHA1_GROUP(7);
        SHA1_GROUP(8);
        SHA1_GROUP(9);
        SHA1_GROUP(10);
        SHA1_GROUP(11);
        SHA1_GROUP(12);
        SHA1_GROUP(13);
        SHA1_GROUP(14);
        SHA1_GROUP(15);
        SHA1_GROUP(16);
        SHA1_GROUP(17);
        SHA1_GROUP(18);
        SHA1_GROUP(19);
        /* E after round 79 is A before group 19 rotated by 30; add the saved E and ABCD */
        e0 = _mm_sha1nexte_epu32(prev, e0_saved);
        abcd = _mm_add_epi32(abcd, abcd0);
    }
    _mm_storeu_si128((__m128i *)(void *)h, _mm_shuffle_epi32(abcd, 0x1b));
    h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

/* SHA-256 group i >= 4: m[i & 3] holds W_{i-4} and becomes W_i. */
#define SHA256_SCHED(i)                                                                          \
    m[(i) & 3] = _mm_sha256msg2_epu32(                                                           \
        _mm_add_epi32(_mm_sha256msg1_epu32(m[(i) & 3], m[((i) + 1) & 3]),                        \
                      _mm_alignr_epi8(m[((i) + 3) & 3], m[((i) + 2) & 3], 4)),                    \
        m[((i) + 3) & 3])
#define SHA256_ROUNDS(i)                                                                         \
    do {                                                                                         \
        __m128i wk = _mm_add_epi32(m[(i) & 3], ld((const uint8_t *)(K256 + 4 * (i))));           \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                            \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));                   \
    } while (0)
#define SHA256_GROUP(i)                                                                          \
    do {                                                                                         \
        SHA256_SCHED(i);                                                                         \
        SHA256_ROUNDS(i);                                                                        \
    } while (0)

/* After SHA256_ROUNDS the roles swap back: the first RNDS2 writes the new A:B:E:F into cdgh,
 * the second reads it as A:B:E:F and writes the next one into abef, whose old value (two rounds
 * ago A:B:E:F) is by then C:D:G:H. So abef / cdgh are A:B:E:F / C:D:G:H at every group boundary. */
NI void cry_sha256_blocks_ni(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    /* big-endian words, first word in lane 0: swap bytes within each word */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i t = _mm_shuffle_epi32(ld((const uint8_t *)h), 0xb1);     /* B A D C (lane 0 first) */
    __m128i u = _mm_shuffle_epi32(ld((const uint8_t *)(h + 4)), 0x1b); /* H G F E */
    __m128i abef = _mm_alignr_epi8(t, u, 8);  /* F E B A: A in lane 3 */
    __m128i cdgh = _mm_blend_epi16(u, t, 0xf0); /* H G D C */
    for (; nblocks; nblocks--, p += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh, m[4];
        m[0] = _mm_shuffle_epi8(ld(p), bswap);
        m[1] = _mm_shuffle_epi8(ld(p + 16), bswap);
        m[2] = _mm_shuffle_epi8(ld(p + 32), bswap);
        m[3] = _mm_shuffle_epi8(ld(p + 48), bswap);
        SHA256_ROUNDS(0);
        SHA256_ROUNDS(1);
        SHA256_ROUNDS(2);
        SHA256_ROUNDS(3);
        SHA256_GROUP(4);
        SHA256_GROUP(5);
        SHA256_GROUP(6);
        SHA256_GROUP(7);
        SHA256_GROUP(8);
        SHA256_GROUP(9);
        SHA256_GROUP(10);
        SHA256_GROUP(11);
        SHA256_GROUP(12);
        SHA256_GROUP(13);
        SHA256_GROUP(14);
        SHA256_GROUP(15);
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    t = _mm_shuffle_epi32(abef, 0x1b);  /* A B E F */
    u = _mm_shuffle_epi32(cdgh, 0xb1);  /* G H C D */
    _mm_storeu_si128((__m128i *)(void *)h, _mm_blend_epi16(t, u, 0xf0));           /* A B C D */
    _mm_storeu_si128((__m128i *)(void *)(h + 4), _mm_alignr_epi8(u, t, 8));        /* E F G H */
}

#else

int cry_sha_ni_cpu(void) { return 0; }
void cry_sha1_blocks_ni(uint32_t h[5], const uint8_t *p, size_t nblocks)
{
    (void)h;
    (void)p;
    (void)nblocks;
}
void cry_sha256_blocks_ni(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    (void)h;
    (void)p;
    (void)nblocks;
}

#endif

/*
 * gcm.c - AES-GCM (NIST SP 800-38D) with a GHASH that uses no tables.
 *
 * Representation. A 16-byte GHASH block is read as a big-endian 128-bit integer (hi word = bytes
 * 0..7). GCM numbers its bits from the left (bit 0 of byte 0, its most significant bit, is the
 * coefficient of x^0), so this integer is the polynomial with its 128 coefficients reversed: the
 * integer's bit 127-i holds x^i. The carry-less product of two such integers holds x^k of the
 * product at bit 254-k; one shift left puts it at bit 255-k of a 256-bit value, whose upper half
 * is then the degrees 0..127 and whose lower half the degrees 128..255. Reduction folds the lower
 * half in with x^128 = x^7 + x^2 + x + 1: the term x^(128+m), at bit 127-m, adds x^m, x^(m+1),
 * x^(m+2) and x^(m+7), that is the same bits moved left by 128, 127, 126 and 121. The lowest word
 * is folded first (its x^(m+7) terms land in the second word), then the second.
 *
 * Multiplication. With PCLMULQDQ (checked at key setup) the 64x64-bit carry-less products come
 * from the instruction, four blocks are multiplied by H^4..H and summed before one reduction.
 * Otherwise (portable) a 64x64 carry-less product is made of integer multiplications on operands
 * masked to every fourth bit: in x0 * y0, where x0 and y0 keep bits 0, 4, 8, ..., each result bit
 * 4j receives at most 16 partial products and the smaller columns below it never carry into it,
 * so bit 4j of the integer product is the parity of its column, which is the carry-less bit; the
 * 16 products of the 4x4 masked pieces give every column of the low 64 bits. The high 64 bits are
 * the low bits of the product of the bit-reversed operands, reversed. Three such products
 * (Karatsuba) make a 128x128 product. Nothing is looked up by secret data and nothing branches on
 * it; the hardware's integer multiplier is constant time on the x86-64 CPUs this runs on.
 *
 * AES. With the AES instructions (checked at key setup) the key schedule, H, the CTR stream (eight
 * blocks in flight) and the tag's E(K, J0) come from aesni.c: no tables, constant time. Otherwise
 * AES is libtomcrypt's (table-driven, whose lookups are indexed by key and data: the cache-timing
 * caveat of docs/security.md). CRY_GCM_PORTABLE / CRY_GCM_NO_AESNI force that path (tests).
 * Only this file and crypto_ltc.c include tomcrypt.h.
 */
#include "crypto/gcm.h"
#include "crypto/aesni.h"
#include "crypto/crypto_ltc.h"
#include "base/ct.h"
#include <string.h>
#include <tomcrypt.h>

#if defined(__x86_64__) /* _mm_cvtsi128_si64 is 64-bit only */
#define GCM_X86 1
#include <emmintrin.h>
#include <tmmintrin.h>
#include <wmmintrin.h>
#else
#define GCM_X86 0
#endif

_Static_assert(sizeof(struct rijndael_key) <= sizeof(((struct cry_gcm *)0)->aes),
               "libtomcrypt's AES key schedule fits the GCM state");
_Static_assert(_Alignof(struct rijndael_key) <= _Alignof(uint64_t), "AES key schedule alignment");
_Static_assert(sizeof(struct cry_aesni_key) <= sizeof(((struct cry_gcm *)0)->aes),
               "the AES-NI key schedule fits the GCM state");
_Static_assert(_Alignof(struct cry_aesni_key) <= _Alignof(uint64_t), "AES-NI schedule alignment");
_Static_assert(sizeof(struct cry_gcm) < 1024, "a GCM state stays under 1 KiB");

#define GCM_KEYED 0x47434d4bu

/* libtomcrypt's setup and ECB functions take a symmetric_key * and touch only their member. */
static symmetric_key *aes_key(const struct cry_gcm *g)
{
    return (symmetric_key *)(void *)(uintptr_t)g->aes;
}

/* the AES-NI schedule in the same words, when g->aesni */
static struct cry_aesni_key *ni_key(const struct cry_gcm *g)
{
    return (struct cry_aesni_key *)(void *)(uintptr_t)g->aes;
}

/* one block E(K, in) on the state's AES */
static void aes_block(const struct cry_gcm *g, const uint8_t in[16], uint8_t out[16])
{
    if (g->aesni)
        cry_aesni_encrypt_block(ni_key(g), in, out);
    else
        (void)rijndael_ecb_encrypt(in, out, aes_key(g));
}

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void st64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* ---- Portable GHASH: carry-less multiplication with integer multiplies ---- */

/* The low 64 bits of the carry-less product of x and y. */
static uint64_t bmul64(uint64_t x, uint64_t y)
{
    const uint64_t m0 = 0x1111111111111111u, m1 = m0 << 1, m2 = m0 << 2, m3 = m0 << 3;
    uint64_t x0 = x & m0, x1 = x & m1, x2 = x & m2, x3 = x & m3;
    uint64_t y0 = y & m0, y1 = y & m1, y2 = y & m2, y3 = y & m3;
    /* column class c (bit positions = c mod 4) collects the pieces whose classes add up to c */
    uint64_t z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
    uint64_t z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
    uint64_t z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
    uint64_t z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
    return (z0 & m0) | (z1 & m1) | (z2 & m2) | (z3 & m3);
}

/* bit reversal: the bits within each byte, then the bytes */
static uint64_t rev64(uint64_t x)
{
    x = ((x & 0x5555555555555555u) << 1) | ((x >> 1) & 0x5555555555555555u);
    x = ((x & 0x3333333333333333u) << 2) | ((x >> 2) & 0x3333333333333333u);
    x = ((x & 0x0f0f0f0f0f0f0f0fu) << 4) | ((x >> 4) & 0x0f0f0f0f0f0f0f0fu);
    return __builtin_bswap64(x);
}

/* Shift the 256-bit w3:w2:w1:w0 left by one and reduce it: r = (hi, lo) of the field element. */
static void reduce(uint64_t r[2], uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
    w3 = (w3 << 1) | (w2 >> 63);
    w2 = (w2 << 1) | (w1 >> 63);
    w1 = (w1 << 1) | (w0 >> 63);
    w0 <<= 1;
    w2 ^= w0 ^ (w0 >> 1) ^ (w0 >> 2) ^ (w0 >> 7);
    w1 ^= (w0 << 63) ^ (w0 << 62) ^ (w0 << 57);
    w3 ^= w1 ^ (w1 >> 1) ^ (w1 >> 2) ^ (w1 >> 7);
    w2 ^= (w1 << 63) ^ (w1 << 62) ^ (w1 << 57);
    r[0] = w3;
    r[1] = w2;
}

/* r = a * b in GF(2^128); br holds rev64 of b's hi and lo words and of their XOR. */
static void gf_mul(uint64_t r[2], const uint64_t a[2], const uint64_t b[2], const uint64_t br[3])
{
    uint64_t a1 = a[0], a0 = a[1], a2 = a1 ^ a0;
    uint64_t a1r = rev64(a1), a0r = rev64(a0), a2r = a1r ^ a0r;
    uint64_t b1 = b[0], b0 = b[1], b2 = b1 ^ b0;
    uint64_t lo0 = bmul64(a0, b0), lo1 = bmul64(a1, b1), lo2 = bmul64(a2, b2);
    uint64_t hi0 = rev64(bmul64(a0r, br[1])) >> 1;
    uint64_t hi1 = rev64(bmul64(a1r, br[0])) >> 1;
    uint64_t hi2 = rev64(bmul64(a2r, br[2])) >> 1;
    /* (a1 t^64 + a0)(b1 t^64 + b0) = a1b1 t^128 + (a2b2 - a1b1 - a0b0) t^64 + a0b0 */
    lo2 ^= lo0 ^ lo1;
    hi2 ^= hi0 ^ hi1;
    reduce(r, lo0, hi0 ^ lo2, lo1 ^ hi2, hi1);
}

static void rev_words(uint64_t br[3], const uint64_t b[2])
{
    br[0] = rev64(b[0]);
    br[1] = rev64(b[1]);
    br[2] = br[0] ^ br[1];
}

static void ghash_portable(const struct cry_gcm *g, uint64_t y[2], const uint8_t *p, size_t blocks)
{
    for (size_t i = 0; i < blocks; i++, p += 16) {
        y[0] ^= ld64(p);
        y[1] ^= ld64(p + 8);
        gf_mul(y, y, g->h[0], g->hr);
    }
}

/* ---- PCLMULQDQ GHASH ---- */

#if GCM_X86
#define PCL __attribute__((target("pclmul,sse2,ssse3")))

/* a 16-byte block as the big-endian 128-bit integer (lane 1 = hi word) */
static inline PCL __m128i pcl_load(const uint8_t *p)
{
    const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), rev);
}

/* accumulate the three Karatsuba products of a * b */
static inline PCL void pcl_mul_acc(__m128i a, __m128i b, __m128i *lo, __m128i *hi, __m128i *mid)
{
    *lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(a, b, 0x00));
    *hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(a, b, 0x11));
    __m128i as = _mm_xor_si128(a, _mm_srli_si128(a, 8));
    __m128i bs = _mm_xor_si128(b, _mm_srli_si128(b, 8));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(as, bs, 0x00));
}

/* lo, hi, mid (summed Karatsuba terms) to the reduced field element, as in reduce() */
static inline PCL __m128i pcl_reduce(__m128i lo, __m128i hi, __m128i mid)
{
    mid = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
    __m128i l = _mm_xor_si128(lo, _mm_slli_si128(mid, 8)); /* w1:w0 */
    __m128i h = _mm_xor_si128(hi, _mm_srli_si128(mid, 8)); /* w3:w2 */
    /* shift the 256 bits left by one */
    __m128i lc = _mm_srli_epi64(l, 63), hc = _mm_srli_epi64(h, 63);
    l = _mm_or_si128(_mm_slli_epi64(l, 1), _mm_slli_si128(lc, 8));
    h = _mm_or_si128(_mm_slli_epi64(h, 1),
                     _mm_or_si128(_mm_slli_si128(hc, 8), _mm_srli_si128(lc, 8)));
    /* fold w0 into w2 and w1, then w1 into w3 and w2; the left shifts of the updated w1 equal
     * those of the old w1 (w0's contribution to w1 is shifted out), so both lanes go at once */
    __m128i a = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(l, 63), _mm_slli_epi64(l, 62)),
                              _mm_slli_epi64(l, 57));
    l = _mm_xor_si128(l, _mm_slli_si128(a, 8));
    h = _mm_xor_si128(h, _mm_srli_si128(a, 8));
    __m128i b = _mm_xor_si128(_mm_xor_si128(l, _mm_srli_epi64(l, 1)),
                              _mm_xor_si128(_mm_srli_epi64(l, 2), _mm_srli_epi64(l, 7)));
    return _mm_xor_si128(h, b);
}

static PCL void ghash_pclmul(const struct cry_gcm *g, uint64_t y[2], const uint8_t *p,
                             size_t blocks)
{
    __m128i h1 = _mm_set_epi64x((long long)g->h[0][0], (long long)g->h[0][1]);
    __m128i x = _mm_set_epi64x((long long)y[0], (long long)y[1]);
    if (blocks >= 4) {
        __m128i h2 = _mm_set_epi64x((long long)g->h[1][0], (long long)g->h[1][1]);
        __m128i h3 = _mm_set_epi64x((long long)g->h[2][0], (long long)g->h[2][1]);
        __m128i h4 = _mm_set_epi64x((long long)g->h[3][0], (long long)g->h[3][1]);
        for (; blocks >= 4; blocks -= 4, p += 64) {
            __m128i lo = _mm_setzero_si128(), hi = lo, mid = lo;
            pcl_mul_acc(_mm_xor_si128(x, pcl_load(p)), h4, &lo, &hi, &mid);
            pcl_mul_acc(pcl_load(p + 16), h3, &lo, &hi, &mid);
            pcl_mul_acc(pcl_load(p + 32), h2, &lo, &hi, &mid);
            pcl_mul_acc(pcl_load(p + 48), h1, &lo, &hi, &mid);
            x = pcl_reduce(lo, hi, mid);
        }
    }
    for (; blocks; blocks--, p += 16) {
        __m128i lo = _mm_setzero_si128(), hi = lo, mid = lo;
        pcl_mul_acc(_mm_xor_si128(x, pcl_load(p)), h1, &lo, &hi, &mid);
        x = pcl_reduce(lo, hi, mid);
    }
    y[1] = (uint64_t)_mm_cvtsi128_si64(x);
    y[0] = (uint64_t)_mm_cvtsi128_si64(_mm_srli_si128(x, 8));
}
#endif

int cry_gcm_cpu_has_pclmul(void)
{
#if GCM_X86
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
#else
    return 0;
#endif
}

int cry_cpu_has_aes(void) { return cry_aesni_cpu(); }

static void ghash_blocks(const struct cry_gcm *g, uint64_t y[2], const uint8_t *p, size_t blocks)
{
    if (!blocks)
        return;
#if GCM_X86
    if (g->pclmul) {
        ghash_pclmul(g, y, p, blocks);
        return;
    }
#endif
    ghash_portable(g, y, p, blocks);
}

/* y = GHASH update over n bytes, the last partial block padded with zeros */
static void ghash(const struct cry_gcm *g, uint64_t y[2], const uint8_t *p, size_t n)
{
    ghash_blocks(g, y, p, n / 16);
    size_t rest = n % 16;
    if (rest) {
        uint8_t last[16] = {0};
        memcpy(last, p + (n - rest), rest);
        ghash_blocks(g, y, last, 1);
        cry_wipe(last, sizeof last);
    }
}

/* ---- Key setup, CTR, seal and open ---- */

SSLErr cry_gcm_init(struct cry_gcm *g, const uint8_t *key, size_t keylen, unsigned flags)
{
    SSL_ENSURE(g, SSLBadParameterErr);
    memset(g, 0, sizeof *g);
    SSL_ENSURE(key && (keylen == 16 || keylen == 24 || keylen == 32), SSLBadParameterErr);
    g->aesni = !(flags & (CRY_GCM_PORTABLE | CRY_GCM_NO_AESNI)) && cry_aesni_cpu();
    if (g->aesni ? cry_aesni_set_encrypt_key(ni_key(g), key, keylen) != 0
                 : rijndael_setup(key, (int)keylen, 0, aes_key(g)) != CRYPT_OK) {
        cry_wipe(g, sizeof *g);
        return SSLUnknownErr;
    }
    uint8_t zero[16] = {0}, hb[16];
    aes_block(g, zero, hb);
    g->h[0][0] = ld64(hb);
    g->h[0][1] = ld64(hb + 8);
    cry_wipe(hb, sizeof hb);
    rev_words(g->hr, g->h[0]);
    for (int i = 1; i < 4; i++)
        gf_mul(g->h[i], g->h[i - 1], g->h[0], g->hr);
    g->pclmul = !(flags & (CRY_GCM_PORTABLE | CRY_GCM_NO_PCLMUL)) && cry_gcm_cpu_has_pclmul();
    g->keyed = GCM_KEYED;
    return SSLNoErr;
}

int cry_gcm_uses_pclmul(const struct cry_gcm *g)
{
    return g && g->keyed == GCM_KEYED && g->pclmul;
}

int cry_gcm_uses_aesni(const struct cry_gcm *g)
{
    return g && g->keyed == GCM_KEYED && g->aesni;
}

void cry_gcm_wipe(struct cry_gcm *g)
{
    if (g)
        cry_wipe(g, sizeof *g);
}

/* CTR from inc32(j0) over len bytes */
static void gcm_ctr(const struct cry_gcm *g, const uint8_t j0[16], const uint8_t *in, uint8_t *out,
                    size_t len)
{
    uint8_t cb[16], ks[16];
    memcpy(cb, j0, 16);
    uint32_t ctr = (uint32_t)j0[12] << 24 | (uint32_t)j0[13] << 16 | (uint32_t)j0[14] << 8 | j0[15];
    if (g->aesni) { /* eight blocks in flight from inc32(j0) */
        ctr++;
        cb[12] = (uint8_t)(ctr >> 24);
        cb[13] = (uint8_t)(ctr >> 16);
        cb[14] = (uint8_t)(ctr >> 8);
        cb[15] = (uint8_t)ctr;
        cry_aesni_ctr32(ni_key(g), cb, in, out, len);
        cry_wipe(cb, sizeof cb);
        return;
    }
    for (size_t off = 0; off < len; off += 16) {
        ctr++;
        cb[12] = (uint8_t)(ctr >> 24);
        cb[13] = (uint8_t)(ctr >> 16);
        cb[14] = (uint8_t)(ctr >> 8);
        cb[15] = (uint8_t)ctr;
        (void)rijndael_ecb_encrypt(cb, ks, aes_key(g));
        size_t n = len - off < 16 ? len - off : 16;
        if (n == 16) {
            uint64_t a, b, k0, k1;
            memcpy(&a, in + off, 8);
            memcpy(&b, in + off + 8, 8);
            memcpy(&k0, ks, 8);
            memcpy(&k1, ks + 8, 8);
            a ^= k0;
            b ^= k1;
            memcpy(out + off, &a, 8);
            memcpy(out + off + 8, &b, 8);
        } else {
            for (size_t i = 0; i < n; i++)
                out[off + i] = in[off + i] ^ ks[i];
        }
    }
    cry_wipe(ks, sizeof ks);
    cry_wipe(cb, sizeof cb);
}

static SSLErr gcm_check(const struct cry_gcm *g, const uint8_t *nonce, size_t nlen,
                        const uint8_t *aad, size_t alen, const uint8_t *in, const uint8_t *out,
                        size_t len, const uint8_t *tag)
{
    SSL_ENSURE(g && g->keyed == GCM_KEYED && tag, SSLBadParameterErr);
    SSL_ENSURE(nonce && nlen >= 1 && nlen <= 64 && (aad || !alen), SSLBadParameterErr);
    SSL_ENSURE(len == 0 || (in && out), SSLBadParameterErr);
    SSL_ENSURE((uint64_t)len <= (((uint64_t)1 << 32) - 2) * 16, SSLBadParameterErr);
    SSL_ENSURE((uint64_t)alen < ((uint64_t)1 << 61), SSLBadParameterErr);
    return SSLNoErr;
}

/* J0 (SP 800-38D 7.1 step 2): nonce || 0^31 || 1 for 96 bits, else GHASH(nonce, 0^64 || bits) */
static void gcm_j0(const struct cry_gcm *g, const uint8_t *nonce, size_t nlen, uint8_t j0[16])
{
    if (nlen == 12) {
        memcpy(j0, nonce, 12);
        j0[12] = j0[13] = j0[14] = 0;
        j0[15] = 1;
        return;
    }
    uint64_t y[2] = {0, 0};
    uint8_t lens[16];
    ghash(g, y, nonce, nlen);
    st64(lens, 0);
    st64(lens + 8, (uint64_t)nlen * 8);
    ghash(g, y, lens, 16);
    st64(j0, y[0]);
    st64(j0 + 8, y[1]);
    cry_wipe(y, sizeof y);
}

/* The tag over aad and the ciphertext ct: E(K, J0) ^ GHASH(aad, ct, lengths) */
static void gcm_tag(const struct cry_gcm *g, const uint8_t j0[16], const uint8_t *aad, size_t alen,
                    const uint8_t *ct, size_t len, uint8_t tag[16])
{
    uint64_t y[2] = {0, 0};
    uint8_t lens[16], ek[16];
    ghash(g, y, aad, alen);
    ghash(g, y, ct, len);
    st64(lens, (uint64_t)alen * 8);
    st64(lens + 8, (uint64_t)len * 8);
    ghash(g, y, lens, 16);
    aes_block(g, j0, ek);
    st64(tag, y[0]);
    st64(tag + 8, y[1]);
    for (int i = 0; i < 16; i++)
        tag[i] ^= ek[i];
    cry_wipe(ek, sizeof ek);
    cry_wipe(y, sizeof y);
}

SSLErr cry_gcm_seal(const struct cry_gcm *g, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                    size_t alen, const uint8_t *in, uint8_t *out, size_t len,
                    uint8_t tag[CRY_GCM_TAG])
{
    SSL_TRY(gcm_check(g, nonce, nlen, aad, alen, in, out, len, tag));
    uint8_t j0[16];
    gcm_j0(g, nonce, nlen, j0);
    gcm_ctr(g, j0, in, out, len); /* encrypt, then authenticate the ciphertext */
    gcm_tag(g, j0, aad, alen, out, len, tag);
    cry_wipe(j0, sizeof j0);
    return SSLNoErr;
}

SSLErr cry_gcm_open(const struct cry_gcm *g, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                    size_t alen, const uint8_t *in, uint8_t *out, size_t len,
                    const uint8_t tag[CRY_GCM_TAG])
{
    SSL_TRY(gcm_check(g, nonce, nlen, aad, alen, in, out, len, tag));
    uint8_t j0[16], want[16];
    gcm_j0(g, nonce, nlen, j0);
    gcm_tag(g, j0, aad, alen, in, len, want);
    int ok = ct_memeq(want, tag, 16);
    cry_wipe(want, sizeof want);
    if (ok)
        gcm_ctr(g, j0, in, out, len);
    else if (len)
        cry_wipe(out, len); /* no unauthenticated plaintext leaves */
    cry_wipe(j0, sizeof j0);
    return ok ? SSLNoErr : SSLProtocolErr;
}

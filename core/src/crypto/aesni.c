/*
 * aesni.c - AES (FIPS-197) on the AES instructions, without tables.
 *
 * Key expansion follows FIPS-197 5.2 word by word. Its one non-linear step, SubWord, comes from
 * AESKEYGENASSIST with a round constant of 0 (its low dword is SubWord of the second dword of its
 * source); RotWord and the round constant are applied here, so one routine serves 128-, 192- and
 * 256-bit keys and the instruction's immediate stays fixed. The only branches depend on the word
 * index. On this little-endian target a word loaded with memcpy holds FIPS bytes a0..a3 as
 * a0 + a1 2^8 + a2 2^16 + a3 2^24, so RotWord ([a1, a2, a3, a0]) is a right rotation by 8 and the
 * round constant [rc, 0, 0, 0] is the value rc. Decryption uses the equivalent inverse cipher
 * (FIPS-197 5.3.5): the encryption round keys in reverse order, InvMixColumns (AESIMC) applied to
 * all but the first and last.
 *
 * AESENC / AESDEC have a latency of several cycles and a throughput of one or two per cycle, so
 * CTR and CBC decryption keep eight independent blocks in flight; CBC encryption, where each block
 * needs the previous ciphertext, cannot. Round keys are copied to an aligned local array for the
 * bulk loops and wiped afterwards.
 *
 * Every function that uses the instructions is compiled with target("aes,sse2"); callers check
 * cry_aesni_cpu() first (gcm.c and crypto_ltc.c, at key setup).
 */
#include "crypto/aesni.h"
#include "crypto/crypto_ltc.h"
#include <string.h>

#if defined(__x86_64__)
#define AESNI_X86 1
#include <emmintrin.h>
#include <wmmintrin.h>
#else
#define AESNI_X86 0
#endif

#if AESNI_X86

#define NI __attribute__((target("aes,sse2")))

int cry_aesni_cpu(void)
{
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
}

static inline NI __m128i ld(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

static inline NI void st(uint8_t *p, __m128i v)
{
    _mm_storeu_si128((__m128i *)(void *)p, v);
}

/* SubWord(w): AESKEYGENASSIST's dword 0 is SubWord of its source's dword 1 */
static NI uint32_t sub_word(uint32_t w)
{
    __m128i r = _mm_aeskeygenassist_si128(_mm_set_epi32(0, 0, (int)w, 0), 0);
    return (uint32_t)_mm_cvtsi128_si32(r);
}

int cry_aesni_set_encrypt_key(struct cry_aesni_key *k, const uint8_t *key, size_t keylen)
{
    if (!k || !key || (keylen != 16 && keylen != 24 && keylen != 32))
        return -1;
    uint32_t w[60];
    size_t nk = keylen / 4, nr = nk + 6, total = 4 * (nr + 1);
    uint32_t rcon = 1;
    memcpy(w, key, keylen);
    for (size_t i = nk; i < total; i++) {
        uint32_t t = w[i - 1];
        if (i % nk == 0) {
            t = sub_word(t);
            t = ((t >> 8) | (t << 24)) ^ rcon;
            rcon = (rcon << 1) ^ (0x11bu & (0u - (rcon >> 7))); /* xtime; public */
        } else if (nk > 6 && i % nk == 4) {
            t = sub_word(t);
        }
        w[i] = w[i - nk] ^ t;
    }
    memcpy(k->rk, w, 4 * total);
    k->rounds = (uint32_t)nr;
    cry_wipe(w, sizeof w);
    return 0;
}

static NI void invert_schedule(struct cry_aesni_key *d, const struct cry_aesni_key *e)
{
    uint32_t nr = e->rounds;
    st(d->rk[0], ld(e->rk[nr]));
    for (uint32_t i = 1; i < nr; i++)
        st(d->rk[i], _mm_aesimc_si128(ld(e->rk[nr - i])));
    st(d->rk[nr], ld(e->rk[0]));
    d->rounds = nr;
}

int cry_aesni_set_decrypt_key(struct cry_aesni_key *k, const uint8_t *key, size_t keylen)
{
    struct cry_aesni_key e;
    if (!k || cry_aesni_set_encrypt_key(&e, key, keylen))
        return -1;
    invert_schedule(k, &e);
    cry_wipe(&e, sizeof e);
    return 0;
}

/* the round keys into an aligned array (the caller wipes it) */
static inline NI uint32_t load_keys(__m128i rk[15], const struct cry_aesni_key *k)
{
    uint32_t nr = k->rounds;
    for (uint32_t i = 0; i <= nr; i++)
        rk[i] = ld(k->rk[i]);
    return nr;
}

static inline NI __m128i enc1(const __m128i *rk, uint32_t nr, __m128i x)
{
    x = _mm_xor_si128(x, rk[0]);
    for (uint32_t r = 1; r < nr; r++)
        x = _mm_aesenc_si128(x, rk[r]);
    return _mm_aesenclast_si128(x, rk[nr]);
}

static inline NI __m128i dec1(const __m128i *rk, uint32_t nr, __m128i x)
{
    x = _mm_xor_si128(x, rk[0]);
    for (uint32_t r = 1; r < nr; r++)
        x = _mm_aesdec_si128(x, rk[r]);
    return _mm_aesdeclast_si128(x, rk[nr]);
}

NI void cry_aesni_encrypt_block(const struct cry_aesni_key *k, const uint8_t in[16],
                                uint8_t out[16])
{
    __m128i rk[15];
    uint32_t nr = load_keys(rk, k);
    st(out, enc1(rk, nr, ld(in)));
    cry_wipe(rk, sizeof rk);
}

NI void cry_aesni_decrypt_block(const struct cry_aesni_key *k, const uint8_t in[16],
                                uint8_t out[16])
{
    __m128i rk[15];
    uint32_t nr = load_keys(rk, k);
    st(out, dec1(rk, nr, ld(in)));
    cry_wipe(rk, sizeof rk);
}

/* one instruction f with round key r on the eight blocks x0..x7 */
#define ALL8(f, r)                                                                              \
    do {                                                                                        \
        x0 = f(x0, r), x1 = f(x1, r), x2 = f(x2, r), x3 = f(x3, r);                             \
        x4 = f(x4, r), x5 = f(x5, r), x6 = f(x6, r), x7 = f(x7, r);                             \
    } while (0)

NI void cry_aesni_ctr32(const struct cry_aesni_key *k, uint8_t cb[16], const uint8_t *in,
                        uint8_t *out, size_t len)
{
    __m128i rk[15];
    uint32_t nr = load_keys(rk, k);
    int32_t n0, n1, n2;
    memcpy(&n0, cb, 4);
    memcpy(&n1, cb + 4, 4);
    memcpy(&n2, cb + 8, 4);
    uint32_t ctr = (uint32_t)cb[12] << 24 | (uint32_t)cb[13] << 16 | (uint32_t)cb[14] << 8 | cb[15];
    /* counter block j: bytes 12..15 hold ctr + j big-endian, i.e. dword 3 = bswap(ctr + j) */
#define CB(j) _mm_xor_si128(_mm_set_epi32((int)__builtin_bswap32(ctr + (j)), n2, n1, n0), rk[0])
    for (; len >= 128; len -= 128, in += 128, out += 128, ctr += 8) {
        __m128i x0 = CB(0), x1 = CB(1), x2 = CB(2), x3 = CB(3);
        __m128i x4 = CB(4), x5 = CB(5), x6 = CB(6), x7 = CB(7);
        for (uint32_t r = 1; r < nr; r++)
            ALL8(_mm_aesenc_si128, rk[r]);
        ALL8(_mm_aesenclast_si128, rk[nr]);
        st(out, _mm_xor_si128(ld(in), x0));
        st(out + 16, _mm_xor_si128(ld(in + 16), x1));
        st(out + 32, _mm_xor_si128(ld(in + 32), x2));
        st(out + 48, _mm_xor_si128(ld(in + 48), x3));
        st(out + 64, _mm_xor_si128(ld(in + 64), x4));
        st(out + 80, _mm_xor_si128(ld(in + 80), x5));
        st(out + 96, _mm_xor_si128(ld(in + 96), x6));
        st(out + 112, _mm_xor_si128(ld(in + 112), x7));
    }
    for (; len >= 16; len -= 16, in += 16, out += 16, ctr++) {
        __m128i x = CB(0);
        for (uint32_t r = 1; r < nr; r++)
            x = _mm_aesenc_si128(x, rk[r]);
        st(out, _mm_xor_si128(ld(in), _mm_aesenclast_si128(x, rk[nr])));
    }
    if (len) {
        uint8_t ks[16];
        __m128i x = CB(0);
        for (uint32_t r = 1; r < nr; r++)
            x = _mm_aesenc_si128(x, rk[r]);
        st(ks, _mm_aesenclast_si128(x, rk[nr]));
        for (size_t i = 0; i < len; i++)
            out[i] = in[i] ^ ks[i];
        cry_wipe(ks, sizeof ks);
        ctr++;
    }
#undef CB
    cb[12] = (uint8_t)(ctr >> 24);
    cb[13] = (uint8_t)(ctr >> 16);
    cb[14] = (uint8_t)(ctr >> 8);
    cb[15] = (uint8_t)ctr;
    cry_wipe(rk, sizeof rk);
}

NI void cry_aesni_cbc_encrypt(const struct cry_aesni_key *k, uint8_t iv[16], const uint8_t *in,
                              uint8_t *out, size_t nblocks)
{
    __m128i rk[15];
    uint32_t nr = load_keys(rk, k);
    __m128i c = ld(iv);
    for (; nblocks; nblocks--, in += 16, out += 16) {
        c = enc1(rk, nr, _mm_xor_si128(ld(in), c)); /* C_i = E(P_i ^ C_{i-1}) */
        st(out, c);
    }
    st(iv, c);
    cry_wipe(rk, sizeof rk);
}

NI void cry_aesni_cbc_decrypt(const struct cry_aesni_key *k, uint8_t iv[16], const uint8_t *in,
                              uint8_t *out, size_t nblocks)
{
    __m128i rk[15];
    uint32_t nr = load_keys(rk, k);
    __m128i prev = ld(iv);
    for (; nblocks >= 8; nblocks -= 8, in += 128, out += 128) {
        /* P_i = D(C_i) ^ C_{i-1}; all eight C_i are read before anything is written (in == out) */
        __m128i c0 = ld(in), c1 = ld(in + 16), c2 = ld(in + 32), c3 = ld(in + 48);
        __m128i c4 = ld(in + 64), c5 = ld(in + 80), c6 = ld(in + 96), c7 = ld(in + 112);
        __m128i x0 = _mm_xor_si128(c0, rk[0]), x1 = _mm_xor_si128(c1, rk[0]);
        __m128i x2 = _mm_xor_si128(c2, rk[0]), x3 = _mm_xor_si128(c3, rk[0]);
        __m128i x4 = _mm_xor_si128(c4, rk[0]), x5 = _mm_xor_si128(c5, rk[0]);
        __m128i x6 = _mm_xor_si128(c6, rk[0]), x7 = _mm_xor_si128(c7, rk[0]);
        for (uint32_t r = 1; r < nr; r++)
            ALL8(_mm_aesdec_si128, rk[r]);
        ALL8(_mm_aesdeclast_si128, rk[nr]);
        st(out, _mm_xor_si128(x0, prev));
        st(out + 16, _mm_xor_si128(x1, c0));
        st(out + 32, _mm_xor_si128(x2, c1));
        st(out + 48, _mm_xor_si128(x3, c2));
        st(out + 64, _mm_xor_si128(x4, c3));
        st(out + 80, _mm_xor_si128(x5, c4));
        st(out + 96, _mm_xor_si128(x6, c5));
        st(out + 112, _mm_xor_si128(x7, c6));
        prev = c7;
    }
    for (; nblocks; nblocks--, in += 16, out += 16) {
        __m128i c = ld(in);
        st(out, _mm_xor_si128(dec1(rk, nr, c), prev));
        prev = c;
    }
    st(iv, prev);
    cry_wipe(rk, sizeof rk);
}

#else /* not x86-64: no AES instructions; cry_aesni_cpu() is 0 and nothing else is called */

int cry_aesni_cpu(void) { return 0; }

int cry_aesni_set_encrypt_key(struct cry_aesni_key *k, const uint8_t *key, size_t keylen)
{
    (void)k, (void)key, (void)keylen;
    return -1;
}

int cry_aesni_set_decrypt_key(struct cry_aesni_key *k, const uint8_t *key, size_t keylen)
{
    (void)k, (void)key, (void)keylen;
    return -1;
}

void cry_aesni_encrypt_block(const struct cry_aesni_key *k, const uint8_t in[16], uint8_t out[16])
{
    (void)k, (void)in, (void)out;
}

void cry_aesni_decrypt_block(const struct cry_aesni_key *k, const uint8_t in[16], uint8_t out[16])
{
    (void)k, (void)in, (void)out;
}

void cry_aesni_ctr32(const struct cry_aesni_key *k, uint8_t cb[16], const uint8_t *in, uint8_t *out,
                     size_t len)
{
    (void)k, (void)cb, (void)in, (void)out, (void)len;
}

void cry_aesni_cbc_encrypt(const struct cry_aesni_key *k, uint8_t iv[16], const uint8_t *in,
                           uint8_t *out, size_t nblocks)
{
    (void)k, (void)iv, (void)in, (void)out, (void)nblocks;
}

void cry_aesni_cbc_decrypt(const struct cry_aesni_key *k, uint8_t iv[16], const uint8_t *in,
                           uint8_t *out, size_t nblocks)
{
    (void)k, (void)iv, (void)in, (void)out, (void)nblocks;
}

#endif

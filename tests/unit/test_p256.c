/*
 * test_p256.c - crypto/p256.c (constant-time P-256, issue 18 point 3) against known answers and
 * against libtomcrypt's ladder (cry_ecdh_mul_ltc, the path P-256 took before): RFC 5903 §8.1's
 * ECDH vectors through p256.c and through cry_ecdh_keygen / cry_ecdh_shared; known multiples of G
 * (1, 2, 3, n - 1 = -G, n and 0 giving the identity, scalars >= n as residues); the scalar range
 * check; points refused; and 1,000 random scalars times random points (r G) compared with the
 * ladder, both the variable-base and the fixed-base (table) routine.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "crypto/ecdh.h"
#include "crypto/p256.h"

static void unhex(uint8_t *out, const char *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        cr_assert_eq(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

#define GX "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
#define GY "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
#define N_HEX "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"

/* RFC 5903 §8.1: 256-bit random ECP group */
#define RFC_I "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433"
#define RFC_GIX "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
#define RFC_GIY "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3"
#define RFC_R "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53"
#define RFC_GRX "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
#define RFC_GRY "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab"
#define RFC_GIRX "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de"
#define RFC_GIRY "522bde0af0d8585b8def9c183b5ae38f50235206a8674ecb5d98edb20eb153a2"

static void pt_hex(uint8_t out[64], const char *x, const char *y)
{
    unhex(out, x, 32);
    unhex(out + 32, y, 32);
}

static void expect_bytes(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    int same = memcmp(got, want, n) == 0;
    cr_expect(same, "%s differs", what);
}

Test(p256, rfc5903_vectors)
{
    uint8_t i[32], r[32], gi[64], gr[64], gir[64], out[64];
    unhex(i, RFC_I, 32);
    unhex(r, RFC_R, 32);
    pt_hex(gi, RFC_GIX, RFC_GIY);
    pt_hex(gr, RFC_GRX, RFC_GRY);
    pt_hex(gir, RFC_GIRX, RFC_GIRY);
    uint8_t g[64];
    pt_hex(g, GX, GY);
    cr_assert_eq(cry_p256_base_mul(out, i), 0);
    expect_bytes(out, gi, 64, "i G (table)");
    cr_assert_eq(cry_p256_mul(out, i, g), 0);
    expect_bytes(out, gi, 64, "i G (variable base)");
    cr_assert_eq(cry_p256_base_mul(out, r), 0);
    expect_bytes(out, gr, 64, "r G");
    cr_assert_eq(cry_p256_mul(out, i, gr), 0);
    expect_bytes(out, gir, 64, "i gr");
    cr_assert_eq(cry_p256_mul(out, r, gi), 0);
    expect_bytes(out, gir, 64, "r gi");
    /* the same on the portable field (the calls above take the MULX/ADX one where the CPU has it) */
    cr_assert_eq(cry_p256_base_mul_ex(out, i, CRY_P256_PORTABLE), 0);
    expect_bytes(out, gi, 64, "i G (table, portable)");
    cr_assert_eq(cry_p256_mul_ex(out, i, g, CRY_P256_PORTABLE), 0);
    expect_bytes(out, gi, 64, "i G (variable base, portable)");
    cr_assert_eq(cry_p256_base_mul_ex(out, r, CRY_P256_PORTABLE), 0);
    expect_bytes(out, gr, 64, "r G (portable)");
    cr_assert_eq(cry_p256_mul_ex(out, i, gr, CRY_P256_PORTABLE), 0);
    expect_bytes(out, gir, 64, "i gr (portable)");
    cr_assert_eq(cry_p256_mul_ex(out, r, gi, CRY_P256_PORTABLE), 0);
    expect_bytes(out, gir, 64, "r gi (portable)");
}

/* cry_ecdh_keygen with a "random" source that returns fixed bytes */
struct fixed_rnd {
    const uint8_t *bytes;
    size_t len;
    int calls;
};

static SSLErr fixed(void *ref, uint8_t *out, size_t len)
{
    struct fixed_rnd *f = ref;
    cr_assert_eq(len, f->len);
    memcpy(out, f->bytes, len);
    f->calls++;
    return SSLNoErr;
}

Test(p256, rfc5903_through_ecdh_api)
{
    uint8_t i[32], r[32], pub[65], want[65], sec[32], gir[32];
    unhex(i, RFC_I, 32);
    unhex(r, RFC_R, 32);
    unhex(gir, RFC_GIRX, 32);
    uint8_t priv[32];
    struct fixed_rnd f = {i, 32, 0};
    cr_assert_eq(cry_ecdh_keygen(CRY_EC_SECP256R1, priv, pub, fixed, &f), SSLNoErr);
    cr_expect_eq(f.calls, 1);
    want[0] = 4;
    pt_hex(want + 1, RFC_GIX, RFC_GIY);
    expect_bytes(priv, i, 32, "private key");
    expect_bytes(pub, want, 65, "public key gi");
    uint8_t gr[65] = {4};
    pt_hex(gr + 1, RFC_GRX, RFC_GRY);
    cr_assert_eq(cry_ecdh_check(CRY_EC_SECP256R1, gr, 65), 1);
    cr_assert_eq(cry_ecdh_shared(CRY_EC_SECP256R1, i, gr, 65, sec), SSLNoErr);
    expect_bytes(sec, gir, 32, "shared secret i gr");
    cr_assert_eq(cry_ecdh_shared(CRY_EC_SECP256R1, r, pub, 65, sec), SSLNoErr);
    expect_bytes(sec, gir, 32, "shared secret r gi");
    /* and the libtomcrypt ladder agrees on every vector */
    uint8_t lt[65];
    cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, i, NULL, 0, lt), SSLNoErr);
    expect_bytes(lt, want, 65, "ltc i G");
    cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, r, want, 65, lt), SSLNoErr);
    expect_bytes(lt + 1, gir, 32, "ltc r gi");
}

/* a source that returns n, then 0, then 1 */
static SSLErr seq_rnd(void *ref, uint8_t *out, size_t len)
{
    int *calls = ref;
    cr_assert_eq(len, 32);
    memset(out, 0, 32);
    if (*calls == 0)
        unhex(out, N_HEX, 32);
    else if (*calls >= 2)
        out[31] = 1;
    (*calls)++;
    return SSLNoErr;
}

Test(p256, keygen_rejects_out_of_range_draws)
{
    uint8_t n[32], zero[32] = {0}, g[65] = {4}, priv[32], pub[65];
    unhex(n, N_HEX, 32);
    pt_hex(g + 1, GX, GY);
    int calls = 0;
    cr_assert_eq(cry_ecdh_keygen(CRY_EC_SECP256R1, priv, pub, seq_rnd, &calls), SSLNoErr);
    cr_expect_eq(calls, 3, "n and 0 refused, 1 kept");
    expect_bytes(pub, g, 65, "1 G through keygen");
    /* a source that only returns n: every draw refused, the priv buffer wiped */
    struct fixed_rnd f = {n, 32, 0};
    cr_assert_eq(cry_ecdh_keygen(CRY_EC_SECP256R1, priv, pub, fixed, &f), SSLUnknownErr);
    cr_expect_eq(f.calls, 64);
    expect_bytes(priv, zero, 32, "priv wiped");
}

Test(p256, known_multiples)
{
    uint8_t k[32], g[64], out[64], want[64], lt[65], gpub[65] = {4};
    pt_hex(g, GX, GY);
    memcpy(gpub + 1, g, 64);
    /* 1 G */
    memset(k, 0, 32);
    k[31] = 1;
    cr_assert_eq(cry_p256_base_mul(out, k), 0);
    expect_bytes(out, g, 64, "1 G table");
    cr_assert_eq(cry_p256_mul(out, k, g), 0);
    expect_bytes(out, g, 64, "1 G");
    /* 2 G and 3 G (SEC / NIST published multiples) */
    k[31] = 2;
    pt_hex(want, "7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc47669978",
           "07775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1");
    cr_assert_eq(cry_p256_base_mul(out, k), 0);
    expect_bytes(out, want, 64, "2 G table");
    cr_assert_eq(cry_p256_mul(out, k, g), 0);
    expect_bytes(out, want, 64, "2 G");
    k[31] = 3;
    pt_hex(want, "5ecbe4d1a6330a44c8f7ef951d4bf165e6c6b721efada985fb41661bc6e7fd6c",
           "8734640c4998ff7e374b06ce1a64a2ecd82ab036384fb83d9a79b127a27d5032");
    cr_assert_eq(cry_p256_base_mul(out, k), 0);
    expect_bytes(out, want, 64, "3 G table");
    cr_assert_eq(cry_p256_mul(out, k, g), 0);
    expect_bytes(out, want, 64, "3 G");
    /* (n - 1) G = -G = (Gx, p - Gy) */
    pt_hex(want, GX, "b01cbd1c01e58065711814b583f061e9d431cca994cea1313449bf97c840ae0a");
    unhex(k, N_HEX, 32);
    k[31] -= 1;
    cr_assert_eq(cry_p256_base_mul(out, k), 0);
    expect_bytes(out, want, 64, "(n-1) G table");
    cr_assert_eq(cry_p256_mul(out, k, g), 0);
    expect_bytes(out, want, 64, "(n-1) G");
    cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, NULL, 0, lt), SSLNoErr);
    expect_bytes(lt + 1, want, 64, "(n-1) G ltc");
    /* (n - 1) (-G) = G */
    cr_assert_eq(cry_p256_mul(out, k, want), 0);
    expect_bytes(out, g, 64, "(n-1)(-G)");
    /* n G and 0 G: the identity, -1 and zeros */
    uint8_t zero[64] = {0};
    unhex(k, N_HEX, 32);
    memset(out, 0xaa, 64);
    cr_expect_eq(cry_p256_base_mul(out, k), -1);
    expect_bytes(out, zero, 64, "n G table zeros");
    memset(out, 0xaa, 64);
    cr_expect_eq(cry_p256_mul(out, k, g), -1);
    expect_bytes(out, zero, 64, "n G zeros");
    memset(k, 0, 32);
    cr_expect_eq(cry_p256_base_mul(out, k), -1);
    cr_expect_eq(cry_p256_mul(out, k, g), -1);
    /* n + 1 works as 1; 2^256 - 1 as its residue (compared with the ladder) */
    unhex(k, N_HEX, 32);
    k[31] += 1;
    cr_assert_eq(cry_p256_base_mul(out, k), 0);
    expect_bytes(out, g, 64, "(n+1) G table");
    cr_assert_eq(cry_p256_mul(out, k, g), 0);
    expect_bytes(out, g, 64, "(n+1) G");
    memset(k, 0xff, 32);
    cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, NULL, 0, lt), SSLNoErr);
    cr_assert_eq(cry_p256_base_mul(out, k), 0);
    expect_bytes(out, lt + 1, 64, "(2^256-1) G table");
    cr_assert_eq(cry_p256_mul(out, k, g), 0);
    expect_bytes(out, lt + 1, 64, "(2^256-1) G");
    /* small scalars 1..40 against the ladder (leading zero windows, the identity in the sum) */
    for (int s = 1; s <= 40; s++) {
        memset(k, 0, 32);
        k[31] = (uint8_t)s;
        cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, NULL, 0, lt), SSLNoErr);
        cr_assert_eq(cry_p256_base_mul(out, k), 0);
        cr_expect(memcmp(out, lt + 1, 64) == 0, "%d G table", s);
        cr_assert_eq(cry_p256_mul(out, k, g), 0);
        cr_expect(memcmp(out, lt + 1, 64) == 0, "%d G", s);
    }
}

Test(p256, scalar_range)
{
    uint8_t k[32];
    memset(k, 0, 32);
    cr_expect_eq(cry_p256_scalar_ok(k), 0);
    k[31] = 1;
    cr_expect_eq(cry_p256_scalar_ok(k), 1);
    k[31] = 0;
    k[0] = 0x80;
    cr_expect_eq(cry_p256_scalar_ok(k), 1);
    unhex(k, N_HEX, 32);
    cr_expect_eq(cry_p256_scalar_ok(k), 0);
    k[31] -= 1;
    cr_expect_eq(cry_p256_scalar_ok(k), 1);
    k[31] += 2;
    cr_expect_eq(cry_p256_scalar_ok(k), 0);
    memset(k, 0xff, 32);
    cr_expect_eq(cry_p256_scalar_ok(k), 0);
}

Test(p256, bad_points_refused)
{
    uint8_t k[32] = {0}, g[64], out[64], zero[64] = {0};
    k[31] = 7;
    pt_hex(g, GX, GY);
    uint8_t bad[64];
    memcpy(bad, g, 64);
    bad[63] ^= 1; /* off the curve */
    memset(out, 0xaa, 64);
    cr_expect_eq(cry_p256_mul(out, k, bad), -1);
    expect_bytes(out, zero, 64, "zeros for a bad point");
    /* x = p (>= p) */
    memcpy(bad, g, 64);
    unhex(bad, "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 32);
    cr_expect_eq(cry_p256_mul(out, k, bad), -1);
    /* y + p does not fit; y = Gy + p would be >= 2^256, so test x, y = 0 (not on the curve) */
    cr_expect_eq(cry_p256_mul(out, k, zero), -1);
    /* through the ECDH API: protocol error, secret wiped */
    uint8_t pub[65] = {4}, sec[32];
    memcpy(pub + 1, g, 64);
    pub[64] ^= 1;
    memset(sec, 0xaa, 32);
    cr_expect_eq(cry_ecdh_shared(CRY_EC_SECP256R1, k, pub, 65, sec), SSLProtocolErr);
    expect_bytes(sec, zero, 32, "secret wiped");
    pub[64] ^= 1;
    pub[0] = 3;
    cr_expect_eq(cry_ecdh_shared(CRY_EC_SECP256R1, k, pub, 65, sec), SSLProtocolErr);
    pub[0] = 4;
    cr_expect_eq(cry_ecdh_shared(CRY_EC_SECP256R1, k, pub, 64, sec), SSLProtocolErr);
    /* our own scalar out of range */
    uint8_t n[32];
    unhex(n, N_HEX, 32);
    cr_expect_eq(cry_ecdh_shared(CRY_EC_SECP256R1, n, pub, 65, sec), SSLBadParameterErr);
    memset(k, 0, 32);
    cr_expect_eq(cry_ecdh_shared(CRY_EC_SECP256R1, k, pub, 65, sec), SSLBadParameterErr);
}

/* splitmix64: a fixed, reproducible stream of test scalars */
static uint64_t rng_state = UINT64_C(0x5eed0f9256);

static uint64_t next64(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void random_scalar(uint8_t k[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t v = next64();
        memcpy(k + 8 * i, &v, 8);
    }
}

static SSLErr test_rnd(void *ref, uint8_t *out, size_t len)
{
    (void)ref;
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)next64();
    return SSLNoErr;
}

Test(p256, random_against_ltc, .timeout = 300)
{
    int mismatches = 0;
    for (int it = 0; it < 1000; it++) {
        uint8_t r[32], k[32], q[65], lt[65], out[64];
        random_scalar(r);
        random_scalar(k);
        if (it % 4 == 1) /* some scalars >= n too (the top nibbles all ones) */
            memset(k, 0xff, 8);
        if (!cry_p256_scalar_ok(r))
            r[0] = 0x7f;
        /* Q = r G: the table against the ladder */
        cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, r, NULL, 0, q), SSLNoErr);
        cr_assert_eq(cry_p256_base_mul(out, r), 0);
        if (memcmp(out, q + 1, 64) != 0)
            mismatches++;
        /* k Q: the variable-base routine against the ladder */
        cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, q, 65, lt), SSLNoErr);
        cr_assert_eq(cry_p256_mul(out, k, q + 1), 0);
        if (memcmp(out, lt + 1, 64) != 0)
            mismatches++;
        /* k G through the table */
        if (it % 10 == 0) {
            cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, NULL, 0, lt), SSLNoErr);
            cr_assert_eq(cry_p256_base_mul(out, k), 0);
            if (memcmp(out, lt + 1, 64) != 0)
                mismatches++;
        }
    }
    cr_expect_eq(mismatches, 0, "%d results differ from libtomcrypt's", mismatches);
}

Test(p256, ecdh_api_pairs_against_ltc, .timeout = 300)
{
    /* keygen and shared through ecdh.c's P-256 path, each side checked by the ladder */
    for (int it = 0; it < 50; it++) {
        uint8_t a[32], b[32], pa[65], pb[65], sab[32], sba[32], lt[65];
        cr_assert_eq(cry_ecdh_keygen(CRY_EC_SECP256R1, a, pa, test_rnd, NULL), SSLNoErr);
        cr_assert_eq(cry_ecdh_keygen(CRY_EC_SECP256R1, b, pb, test_rnd, NULL), SSLNoErr);
        cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, a, NULL, 0, lt), SSLNoErr);
        cr_expect(memcmp(lt, pa, 65) == 0, "keygen a");
        cr_assert_eq(cry_ecdh_check(CRY_EC_SECP256R1, pb, 65), 1);
        cr_assert_eq(cry_ecdh_shared(CRY_EC_SECP256R1, a, pb, 65, sab), SSLNoErr);
        cr_assert_eq(cry_ecdh_shared(CRY_EC_SECP256R1, b, pa, 65, sba), SSLNoErr);
        cr_expect(memcmp(sab, sba, 32) == 0, "a pb != b pa");
        cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, a, pb, 65, lt), SSLNoErr);
        cr_expect(memcmp(lt + 1, sab, 32) == 0, "shared against the ladder");
    }
}

/*
 * Signed windows: k * G reads w = 7-bit windows, k * P w = 5-bit ones, each digit in
 * [-2^(w-1), 2^(w-1)] (the window plus the top bit of the one below), the top window's digit taking
 * the carry. Scalars whose windows sit on the boundaries, for w = 4..8 to stay useful if the widths
 * change, compared with the ladder for k G (table and variable base) and k Q, through the path the
 * CPU gets and through the portable field.
 */

/* k = the sum of v(i) 2^(w i) over the windows, bits above 255 dropped; a zero k becomes 1 */
static void windows_scalar(uint8_t k[32], int w, uint64_t (*v)(int i, int w))
{
    memset(k, 0, 32);
    for (int i = 0; w * i < 256; i++) {
        uint64_t x = v(i, w);
        for (int b = 0; b < w && w * i + b < 256; b++)
            if (x >> b & 1) {
                int bit = w * i + b;
                k[31 - bit / 8] |= (uint8_t)(1u << (bit % 8));
            }
    }
}

static uint64_t win_half(int i, int w) /* 10..0: digits -(2^(w-1) - 1), -2^(w-1) at the bottom */
{
    (void)i;
    return UINT64_C(1) << (w - 1);
}

static uint64_t win_half_less(int i, int w) /* 01..1: digits 2^(w-1) - 1 */
{
    (void)i;
    return (UINT64_C(1) << (w - 1)) - 1;
}

static uint64_t win_alternate(int i, int w) /* 01..1 above 10..0: digits +2^(w-1) */
{
    return i & 1 ? (UINT64_C(1) << (w - 1)) - 1 : UINT64_C(1) << (w - 1);
}

static uint64_t win_alternate2(int i, int w) /* 10..0 above 01..1 */
{
    return win_alternate(i + 1, w);
}

static uint64_t win_ones(int i, int w) /* 2^256 - 1: digits -1 and the carry into the top */
{
    (void)i;
    return (UINT64_C(1) << w) - 1;
}

static uint64_t win_top_only(int i, int w) /* only the highest window that starts below bit 256 */
{
    return w * (i + 1) >= 256 ? (UINT64_C(1) << w) - 1 : 0;
}

static uint64_t win_half_plus(int i, int w) /* 10..01 */
{
    (void)i;
    return (UINT64_C(1) << (w - 1)) + 1;
}

/* k G (table), k G (variable base) and k Q against the ladder; Q = 0x5eed G */
static void check_scalar(const uint8_t k[32], const char *what)
{
    uint8_t g[65] = {4}, q[65], lt[65], out[64], r[32] = {0};
    pt_hex(g + 1, GX, GY);
    r[30] = 0x5e;
    r[31] = 0xed;
    cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, r, NULL, 0, q), SSLNoErr);
    cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, NULL, 0, lt), SSLNoErr);
    cr_assert_eq(cry_p256_base_mul(out, k), 0, "%s G table", what);
    cr_expect(memcmp(out, lt + 1, 64) == 0, "%s G table", what);
    cr_assert_eq(cry_p256_mul(out, k, g + 1), 0, "%s G", what);
    cr_expect(memcmp(out, lt + 1, 64) == 0, "%s G", what);
    cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, q, 65, lt), SSLNoErr);
    cr_assert_eq(cry_p256_mul(out, k, q + 1), 0, "%s Q", what);
    cr_expect(memcmp(out, lt + 1, 64) == 0, "%s Q", what);
    /* the portable field too (the calls above take the MULX/ADX one where the CPU has it) */
    cr_assert_eq(cry_p256_mul_ex(out, k, q + 1, CRY_P256_PORTABLE), 0, "%s Q portable", what);
    cr_expect(memcmp(out, lt + 1, 64) == 0, "%s Q portable", what);
    cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, NULL, 0, lt), SSLNoErr);
    cr_assert_eq(cry_p256_base_mul_ex(out, k, CRY_P256_PORTABLE), 0, "%s G table portable", what);
    cr_expect(memcmp(out, lt + 1, 64) == 0, "%s G table portable", what);
}

Test(p256, signed_window_edges, .timeout = 300)
{
    static uint64_t (*const pats[])(int, int) = {win_half,       win_half_less, win_alternate,
                                                  win_alternate2, win_ones,      win_top_only,
                                                  win_half_plus};
    uint8_t k[32];
    char what[64];
    for (int w = 4; w <= 8; w++)
        for (size_t p = 0; p < sizeof pats / sizeof pats[0]; p++) {
            windows_scalar(k, w, pats[p]);
            snprintf(what, sizeof what, "w %d pattern %zu", w, p);
            check_scalar(k, what);
            k[0] = 0xff; /* and >= n */
            k[1] = 0xff;
            snprintf(what, sizeof what, "w %d pattern %zu, top ff", w, p);
            check_scalar(k, what);
        }
    /* byte patterns */
    static const uint8_t bytes[] = {0x80, 0x7f, 0x40, 0x3f, 0xc0, 0xfe, 0x01, 0x55, 0xaa};
    for (size_t b = 0; b < sizeof bytes; b++) {
        memset(k, bytes[b], 32);
        snprintf(what, sizeof what, "%02x...", bytes[b]);
        check_scalar(k, what);
    }
    /* around n, 2^255 and 2^256 */
    static const char *const hex[] = {
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550", /* n - 1 */
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63254f", /* n - 2 */
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632552", /* n + 1 */
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632591", /* n + 0x40 */
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", /* 2^256 - 1 */
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc0",
        "8000000000000000000000000000000000000000000000000000000000000000", /* 2^255 */
        "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "0000000000000000000000000000000000000000000000000000000000000040",
        "0000000000000000000000000000000000000000000000000000000000000010",
        "00000000000000000000000000000000000000000000000000000000000000c0",
    };
    for (size_t h = 0; h < sizeof hex / sizeof hex[0]; h++) {
        unhex(k, hex[h], 32);
        check_scalar(k, hex[h]);
    }
}

/* every entry of a few rows of the table of G's multiples, with either sign: k = +-j 2^(7 i) */
Test(p256, base_table_entries, .timeout = 300)
{
    static const int rows[] = {0, 1, 18, 35, 36};
    uint8_t n[32], k[32], out[64], lt[65];
    unhex(n, N_HEX, 32);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
        for (int j = 1; j <= 64; j++) {
            int bit = 7 * rows[r];
            if (bit + 6 >= 256 && (j << (bit % 8)) >> (256 - bit / 8 * 8) != 0)
                continue; /* j 2^(7 i) >= 2^256 */
            /* k = j 2^bit */
            memset(k, 0, 32);
            unsigned v = (unsigned)j << (bit % 8);
            k[31 - bit / 8] = (uint8_t)v;
            if (bit / 8 < 31)
                k[30 - bit / 8] = (uint8_t)(v >> 8);
            for (int neg = 0; neg < 2; neg++) {
                if (neg) { /* k = n - k */
                    unsigned borrow = 0;
                    for (int b = 31; b >= 0; b--) {
                        unsigned d = (unsigned)n[b] - k[b] - borrow;
                        k[b] = (uint8_t)d;
                        borrow = (d >> 8) & 1;
                    }
                }
                cr_assert_eq(cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, NULL, 0, lt), SSLNoErr);
                cr_assert_eq(cry_p256_base_mul(out, k), 0);
                cr_expect(memcmp(out, lt + 1, 64) == 0, "%s%d 2^%d G", neg ? "-" : "", j, bit);
                cr_assert_eq(cry_p256_base_mul_ex(out, k, CRY_P256_PORTABLE), 0);
                cr_expect(memcmp(out, lt + 1, 64) == 0, "%s%d 2^%d G portable", neg ? "-" : "", j,
                          bit);
            }
        }
}

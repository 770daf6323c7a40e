/*
 * test_x25519.c - crypto/x25519.c (issue 16 point 1): the RFC 7748 §5.2 vectors (both single
 * vectors, the iterated one after 1 and 1,000 iterations; the 1,000,000 one is tests/unit/
 * slow_x25519.c, outside the default run), the §6.1 Diffie-Hellman exchange, the top bit of u masked
 * and u >= p taken modulo p (§5), low-order points refused with -1 (§6.1), and agreement with
 * `openssl pkeyutl -derive` on 20 fresh key pairs (a missing openssl fails the test). The vectors,
 * the low-order and non-canonical cases run on both field paths (flags 0, which is the MULX/ADX path on
 * a CPU with BMI2 and ADX, and CRY_X25519_PORTABLE); 4,000 random scalars and points, u >= p and the
 * top bit set among them, compare the two paths; and on an x86-64 CPU whose /proc/cpuinfo lists bmi2
 * and adx the fast path must be the one selected (issue 18 point 3). cry_x25519_base's fixed-base comb,
 * on both field paths, is compared with the ladder on u = 9 on 2,000 random and ten patterned
 * scalars, and from eight threads at once on first use.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "crypto/x25519.h"

/* Both field paths: the CPU's choice and the forced portable one. */
static const unsigned paths[] = { 0, CRY_X25519_PORTABLE };
#define NPATHS 2

static void unhex(uint8_t out[32], const char *hex)
{
    cr_assert_eq(strlen(hex), 64, "bad vector %s", hex);
    for (int i = 0; i < 32; i++) {
        unsigned v;
        cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void tohex(char out[65], const uint8_t b[32])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void expect_bytes(const uint8_t got[32], const char *want, const char *what)
{
    char g[65];
    tohex(g, got);
    cr_expect_str_eq(g, want, "%s: got %s, want %s", what, g, want);
}

static void check_vector(const char *k, const char *u, const char *want)
{
    uint8_t ks[32], us[32], out[32];
    unhex(ks, k);
    unhex(us, u);
    for (int p = 0; p < NPATHS; p++) {
        memset(out, 0, 32);
        cr_expect_eq(cry_x25519_ex(out, ks, us, paths[p]), 0);
        expect_bytes(out, want, paths[p] ? "X25519(k, u), portable" : "X25519(k, u)");
    }
}

/* ---- RFC 7748 §5.2 ---- */

Test(x25519, rfc7748_vector1)
{
    check_vector("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                 "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                 "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

/* The u printed in the RFC ends in 0x93: bit 255 is set and must be ignored. */
Test(x25519, rfc7748_vector2_top_bit_masked)
{
    check_vector("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                 "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                 "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
    check_vector("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                 "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a413",
                 "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

/* k = u = 9; each round: k, u = X25519(k, u), k. */
Test(x25519, rfc7748_iterated_1_and_1000)
{
    for (int p = 0; p < NPATHS; p++) {
        uint8_t k[32] = { 9 }, u[32] = { 9 }, r[32];
        for (int i = 1; i <= 1000; i++) {
            cr_assert_eq(cry_x25519_ex(r, k, u, paths[p]), 0, "iteration %d, path %u", i, paths[p]);
            memcpy(u, k, 32);
            memcpy(k, r, 32);
            if (i == 1)
                expect_bytes(k, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
                             "after 1 iteration");
        }
        expect_bytes(k, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
                     "after 1,000 iterations");
    }
}

/* ---- RFC 7748 §6.1 ---- */

Test(x25519, rfc7748_diffie_hellman)
{
    uint8_t a[32], b[32], apub[32], bpub[32], k1[32], k2[32];
    unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    for (int p = 0; p < NPATHS; p++) {
        cry_x25519_base_ex(apub, a, paths[p]);
        cry_x25519_base_ex(bpub, b, paths[p]);
        expect_bytes(apub, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
                     "Alice's public key");
        expect_bytes(bpub, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
                     "Bob's public key");
        cr_expect_eq(cry_x25519_ex(k1, a, bpub, paths[p]), 0);
        cr_expect_eq(cry_x25519_ex(k2, b, apub, paths[p]), 0);
        expect_bytes(k1, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
                     "Alice's shared secret");
        expect_bytes(k2, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
                     "Bob's shared secret");
    }
}

/* The base-point function is X25519(k, 9) and the scalar is clamped: bits 0-2 and 255 of the
 * scalar do not matter, bit 254 is forced. */
Test(x25519, base_and_clamping)
{
    uint8_t k[32], k2[32], nine[32] = { 9 }, o1[32], o2[32], o3[32];
    unhex(k, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    cry_x25519_base(o1, k);
    cr_expect_eq(cry_x25519(o2, k, nine), 0);
    cr_expect_eq(memcmp(o1, o2, 32), 0);
    memcpy(k2, k, 32);
    k2[0] ^= 7;     /* low three bits */
    k2[31] ^= 0xc0; /* bits 255 and 254 */
    cry_x25519_base(o3, k2);
    cr_expect_eq(memcmp(o1, o3, 32), 0, "clamping ignored");
}

/* ---- u outside [0, p) ---- */

/* p + 9 and 2^255 + 9 (top bit) both act as 9; 2^255 - 1 (= p + 18) acts as 18. */
Test(x25519, non_canonical_u)
{
    uint8_t k[32], nine[32] = { 9 }, eighteen[32] = { 18 }, u[32], want[32], got[32];
    unhex(k, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
    for (int p = 0; p < NPATHS; p++) {

        cr_assert_eq(cry_x25519_ex(want, k, nine, paths[p]), 0);
        unhex(u, "f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"); /* p + 9 */
        cr_expect_eq(cry_x25519_ex(got, k, u, paths[p]), 0);
        cr_expect_eq(memcmp(got, want, 32), 0, "p + 9 is not 9");
        memset(u, 0, 32);
        u[0] = 9;
        u[31] = 0x80; /* 2^255 + 9 */
        cr_expect_eq(cry_x25519_ex(got, k, u, paths[p]), 0);
        cr_expect_eq(memcmp(got, want, 32), 0, "top bit of u not masked");

        cr_assert_eq(cry_x25519_ex(want, k, eighteen, paths[p]), 0);
        memset(u, 0xff, 32);
        cr_expect_eq(cry_x25519_ex(got, k, u, paths[p]), 0);
        cr_expect_eq(memcmp(got, want, 32), 0, "2^256 - 1 is not 18");
    }
}

/* ---- low-order points (§6.1): every clamped scalar is a multiple of 8, so each gives zero ---- */

Test(x25519, low_order_points_refused)
{
    static const char *const pts[] = {
        "0000000000000000000000000000000000000000000000000000000000000000", /* 0 */
        "0100000000000000000000000000000000000000000000000000000000000000", /* 1 */
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", /* order 8 */
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", /* order 8 */
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p - 1 */
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p = 0 */
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p + 1 = 1 */
        "0000000000000000000000000000000000000000000000000000000000000080", /* 2^255 = 0 */
        "0100000000000000000000000000000000000000000000000000000000000080", /* 2^255 + 1 = 1 */
    };
    static const uint8_t zero[32];
    uint8_t k[32], u[32], out[32];
    for (int s = 0; s < 3 * NPATHS; s++) {
        memset(k, 0x5a + 0x31 * (s / NPATHS), 32);
        for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
            unhex(u, pts[i]);
            memset(out, 0xee, 32);
            cr_expect_eq(cry_x25519_ex(out, k, u, paths[s % NPATHS]), -1, "u = %s not refused", pts[i]);
            cr_expect_eq(memcmp(out, zero, 32), 0, "u = %s: output not zero", pts[i]);
        }
    }
}

/* ---- the MULX/ADX path against the portable one (issue 18 point 3) ---- */

/* True when /proc/cpuinfo's first flags line lists the word w. */
static int cpuinfo_flag(const char *w)
{
    char line[8192];
    int found = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        for (char *t = strtok(strchr(line, ':') ? strchr(line, ':') + 1 : line, " \t\n"); t;
             t = strtok(NULL, " \t\n"))
            found |= strcmp(t, w) == 0;
        break;
    }
    fclose(f);
    return found;
}

/* Read independently of the library's __builtin_cpu_supports: a CPU with BMI2 and ADX must get the
 * fast path, so that the cross-check below really compares two different implementations here. */
Test(x25519, fast_path_selected_when_the_cpu_has_bmi2_adx)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 /* as x25519.c */
    int want = cpuinfo_flag("bmi2") && cpuinfo_flag("adx");
    cr_assert_eq(cry_x25519_fast_path(), want, "cpuinfo says bmi2+adx = %d", want);
    if (!want)
        cr_log_warn("this CPU lacks BMI2/ADX: both paths below are the portable one");
#else
    cr_assert_eq(cry_x25519_fast_path(), 0);
#endif
}

static uint64_t rng = 0x243f6a8885a308d3u;

static void fill(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        b[i] = (uint8_t)(rng >> 32);
    }
}

/* 4,000 random (scalar, u): fully random u (bit 255 set half the time), u in [p, 2^255) (p + 0..18),
 * u with the top bit forced, u with runs of 0xff / 0x00 limbs (carries through every limb), and u
 * equal to the previous output. Both paths must agree on the output and on the return value; every
 * tenth scalar also goes through cry_x25519_base_ex on both paths and must equal X25519(k, 9). */
Test(x25519, fast_path_matches_portable_on_4000_random_inputs, .timeout = 120)
{
    static const uint8_t nine[32] = { 9 };
    uint8_t k[32], u[32], o1[32], o2[32], prev[32] = { 9 };
    for (int i = 0; i < 4000; i++) {
        fill(k, 32);
        fill(u, 32);
        switch (i % 5) {
        case 0: /* as drawn */
            break;
        case 1: /* p + j, j in 0..18: non-canonical */
            memset(u, 0xff, 32);
            u[31] = 0x7f;
            u[0] = (uint8_t)(0xed + i / 5 % 19);
            break;
        case 2:
            u[31] |= 0x80;
            break;
        case 3: /* whole 64-bit words of ones or zeros */
            for (int w = 0; w < 4; w++)
                if ((u[w] & 3) != 0)
                    memset(u + 8 * w, (u[w] & 1) ? 0xff : 0x00, 8);
            break;
        default:
            memcpy(u, prev, 32);
            break;
        }
        if (i % 7 == 0)
            memset(k, i % 14 ? 0xff : 0x00, 32); /* extreme scalars, clamped inside */
        int r1 = cry_x25519_ex(o1, k, u, 0);
        int r2 = cry_x25519_ex(o2, k, u, CRY_X25519_PORTABLE);
        char hu[65], hk[65];
        tohex(hu, u);
        tohex(hk, k);
        cr_assert_eq(memcmp(o1, o2, 32), 0, "paths differ: k = %s, u = %s", hk, hu);
        cr_assert_eq(r1, r2, "return values differ: k = %s, u = %s", hk, hu);
        memcpy(prev, o1, 32);
        if (i % 10 == 0) {
            cry_x25519_base_ex(o1, k, 0);
            cry_x25519_base_ex(o2, k, CRY_X25519_PORTABLE);
            cr_assert_eq(memcmp(o1, o2, 32), 0, "base paths differ: k = %s", hk);
            cr_assert_eq(cry_x25519_ex(o2, k, nine, 0), 0);
            cr_assert_eq(memcmp(o1, o2, 32), 0, "base is not X25519(k, 9): k = %s", hk);
        }
    }
}

/* ---- cry_x25519_base: the Edwards fixed-base comb against the ladder on u = 9 ---- */

/* 2,000 random scalars and patterned ones whose radix-16 digits carry all the way up (0x88...),
 * never carry (0x77...), or are all 15 / all 0; flags 0 takes the comb on the CPU's field path,
 * CRY_X25519_PORTABLE_COMB the comb on the portable field, CRY_X25519_PORTABLE the ladder, and
 * cry_x25519_ex(k, 9) the ladder on the CPU's field path. */
Test(x25519, base_comb_matches_ladder, .timeout = 120)
{
    static const uint8_t nine[32] = { 9 };
    static const uint8_t patterns[] = { 0x00, 0xff, 0x88, 0x77, 0x80, 0x08, 0x0f, 0xf0, 0x78, 0x87 };
    uint8_t k[32], comb[32], comb2[32], ladder[32], ladder2[32];
    char hk[65];
    for (int i = 0; i < 2000 + (int)sizeof patterns; i++) {
        if (i < (int)sizeof patterns)
            memset(k, patterns[i], 32);
        else
            fill(k, 32);
        if (i % 3 == 1)
            k[31] = (uint8_t)(k[31] & 0x7f); /* bit 255 clear as well as set */
        cry_x25519_base_ex(comb, k, 0);
        cry_x25519_base_ex(comb2, k, CRY_X25519_PORTABLE_COMB);
        cry_x25519_base_ex(ladder, k, CRY_X25519_PORTABLE);
        cr_assert_eq(cry_x25519_ex(ladder2, k, nine, 0), 0);
        tohex(hk, k);
        cr_assert_eq(memcmp(comb, ladder, 32), 0, "comb differs from the portable ladder: k = %s", hk);
        cr_assert_eq(memcmp(comb, ladder2, 32), 0, "comb differs from the ladder: k = %s", hk);
        cr_assert_eq(memcmp(comb2, ladder, 32), 0, "portable comb differs from the ladder: k = %s", hk);
    }
}

struct base_job {
    uint8_t k[32], out[32];
};

static void *base_thread(void *arg)
{
    struct base_job *j = arg;
    cry_x25519_base(j->out, j->k);
    return NULL;
}

/* Criterion runs each test in a fresh process, so these threads race to build the comb's table (the
 * pthread_once in x25519.c); each must still get its own scalar's public key. */
Test(x25519, base_table_built_once_under_concurrent_first_use)
{
    struct base_job jobs[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        fill(jobs[i].k, 32);
        cr_assert_eq(pthread_create(&th[i], NULL, base_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        uint8_t want[32];
        cr_assert_eq(pthread_join(th[i], NULL), 0);
        cry_x25519_base_ex(want, jobs[i].k, CRY_X25519_PORTABLE);
        cr_expect_eq(memcmp(jobs[i].out, want, 32), 0, "thread %d", i);
    }
}

/* ---- agreement with OpenSSL ---- */

static void run(const char *cmd)
{
    int rc = system(cmd);
    cr_assert_eq(rc, 0, "command failed (%d): %s", rc, cmd);
}

/* The last 32 bytes of a file of exactly plen + 32 bytes that begins with the given DER prefix. */
static void read_raw(uint8_t out[32], const char *path, const uint8_t *prefix, size_t plen)
{
    uint8_t buf[128];
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cr_assert_eq(n, plen + 32, "%s: %zu bytes", path, n);
    if (plen)
        cr_assert_eq(memcmp(buf, prefix, plen), 0, "%s: unexpected DER header", path);
    memcpy(out, buf + plen, 32);
}

Test(x25519, agrees_with_openssl_on_20_pairs, .timeout = 300)
{
    /* PKCS#8 PrivateKeyInfo and SubjectPublicKeyInfo headers for id-X25519 (1.3.101.110). */
    static const uint8_t pkcs8[] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                     0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20 };
    static const uint8_t spki[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                    0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00 };
    static const uint8_t empty[32];
    char dir[] = "/tmp/test_x25519.XXXXXX", cmd[2048], path[256];
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(system("openssl version >/dev/null 2>&1"), 0, "openssl is required (not found)");

    uint8_t seen[20][32];
    for (int i = 0; i < 20; i++) {
        snprintf(cmd, sizeof cmd,
                 "cd %s && openssl genpkey -algorithm X25519 -outform DER -out a.der && "
                 "openssl genpkey -algorithm X25519 -outform DER -out b.der && "
                 "openssl pkey -inform DER -in a.der -pubout -outform DER -out a.pub && "
                 "openssl pkey -inform DER -in b.der -pubout -outform DER -out b.pub && "
                 "openssl pkeyutl -derive -keyform DER -inkey a.der -peerform DER -peerkey b.pub "
                 "-out ab.bin && "
                 "openssl pkeyutl -derive -keyform DER -inkey b.der -peerform DER -peerkey a.pub "
                 "-out ba.bin",
                 dir);
        run(cmd);
        uint8_t a[32], b[32], apub[32], bpub[32], ab[32], ba[32], mine[32];
        snprintf(path, sizeof path, "%s/a.der", dir);
        read_raw(a, path, pkcs8, sizeof pkcs8);
        snprintf(path, sizeof path, "%s/b.der", dir);
        read_raw(b, path, pkcs8, sizeof pkcs8);
        snprintf(path, sizeof path, "%s/a.pub", dir);
        read_raw(apub, path, spki, sizeof spki);
        snprintf(path, sizeof path, "%s/b.pub", dir);
        read_raw(bpub, path, spki, sizeof spki);
        snprintf(path, sizeof path, "%s/ab.bin", dir);
        read_raw(ab, path, NULL, 0);
        snprintf(path, sizeof path, "%s/ba.bin", dir);
        read_raw(ba, path, NULL, 0);

        cr_expect_eq(memcmp(ab, ba, 32), 0, "pair %d: openssl disagrees with itself", i);
        cr_expect_neq(memcmp(ab, empty, 32), 0, "pair %d: zero secret", i);
        for (int j = 0; j < i; j++)
            cr_expect_neq(memcmp(seen[j], ab, 32), 0, "pair %d repeats pair %d", i, j);
        memcpy(seen[i], ab, 32);

        cry_x25519_base(mine, a);
        cr_expect_eq(memcmp(mine, apub, 32), 0, "pair %d: public key A differs from openssl's", i);
        cry_x25519_base(mine, b);
        cr_expect_eq(memcmp(mine, bpub, 32), 0, "pair %d: public key B differs from openssl's", i);
        cr_expect_eq(cry_x25519(mine, a, bpub), 0);
        cr_expect_eq(memcmp(mine, ab, 32), 0, "pair %d: X25519(a, B) differs from openssl's", i);
        cr_expect_eq(cry_x25519(mine, b, apub), 0);
        cr_expect_eq(memcmp(mine, ab, 32), 0, "pair %d: X25519(b, A) differs from openssl's", i);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    run(cmd);
}

/*
 * chacha_bench.c - ChaCha20-Poly1305 throughput on 16 KiB TLS records (13-byte AAD, 12-byte nonce):
 * libtomcrypt's chacha20poly1305_* as the record layer used it (init, IV, AAD, encrypt or decrypt,
 * done per record) against core/src/crypto/chacha.c on each ChaCha20 path (portable, AVX2,
 * AVX-512F; the paths this CPU lacks are skipped), seal and open; then ChaCha20 alone and
 * Poly1305 alone on the selected path.
 * Usage: chacha_bench [MiB per run, default 64] [record bytes, default 16384].
 * Prints MB/s (10^6 bytes) per CPU second of this process (the machine may be shared), the best
 * of three runs. Built on request: cmake --build build --target chacha_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tomcrypt.h>
#include "crypto/chacha.h"
#include "crypto/crypto_ltc.h"
#include "bench_util.h"

#define MAXREC 65536

static uint8_t buf[MAXREC], ct[MAXREC], pt[MAXREC], key[32], nonce[12], aad[13], tag[16],
    ct_tag[16];
static size_t rec = 16384;

enum { LTC_SEAL, LTC_OPEN, SEAL, OPEN, STREAM, POLY };

struct run {
    int what;
    struct cry_chacha *c;
};

static int one(const struct run *r, size_t i)
{
    nonce[11] = (uint8_t)i;
    switch (r->what) {
    case LTC_SEAL:
    case LTC_OPEN: {
        chacha20poly1305_state st;
        unsigned long tl = 16;
        int e = chacha20poly1305_init(&st, key, 32) || chacha20poly1305_setiv(&st, nonce, 12) ||
                chacha20poly1305_add_aad(&st, aad, 13);
        if (r->what == LTC_SEAL)
            e = e || chacha20poly1305_encrypt(&st, buf, (unsigned long)rec, buf);
        else
            e = e || chacha20poly1305_decrypt(&st, buf, (unsigned long)rec, buf);
        return e || chacha20poly1305_done(&st, tag, &tl);
    }
    case SEAL: cry_chacha20_poly1305_seal(r->c, nonce, aad, 13, buf, buf, rec, tag); return 0;
    case OPEN: /* the same valid record every time */
        nonce[11] = 0;
        return cry_chacha20_poly1305_open(r->c, nonce, aad, 13, ct, pt, rec, ct_tag) != 0;
    case STREAM: cry_chacha20_xor(r->c, 1, nonce, buf, buf, rec); return 0;
    default: cry_poly1305(tag, key, buf, rec); return 0;
    }
}

static int bench(const char *what, const struct run *r, size_t recs)
{
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = bench_cpu();
        for (size_t i = 0; i < recs; i++)
            if (one(r, i))
                return 1;
        double t = bench_cpu() - t0;
        best = t < best ? t : best;
    }
    printf("%-40s %8.1f MB/s\n", what, (double)recs * rec / best / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    if (argc > 2)
        rec = strtoul(argv[2], NULL, 10);
    if (cry_init() != SSLNoErr || !mib || !rec || rec > MAXREC)
        return 2;
    size_t recs = mib * 1024 * 1024 / rec;
    memset(key, 7, sizeof key);
    memset(aad, 3, sizeof aad);
    printf("ChaCha20-Poly1305, %zu records of %zu bytes per run\n", recs, rec);
    int bad = 0;
    struct run r = {LTC_SEAL, NULL};
    bad |= bench("libtomcrypt seal", &r, recs);
    r.what = LTC_OPEN;
    bad |= bench("libtomcrypt open (no tag check)", &r, recs);
    static const char *const names[] = {"portable", "AVX2", "AVX-512F"};
    static const unsigned flags[] = {CRY_CHACHA_PORTABLE, CRY_CHACHA_NO_AVX512, 0};
    struct cry_chacha c;
    for (int p = 0; p < 3; p++) {
        if (cry_chacha_select(flags[p]) != p) {
            printf("%-40s (not on this CPU)\n", names[p]);
            continue;
        }
        char what[64];
        cry_chacha_init(&c, key, flags[p]);
        r.c = &c;
        nonce[11] = 0;
        cry_chacha20_poly1305_seal(&c, nonce, aad, 13, buf, ct, rec, ct_tag);
        snprintf(what, sizeof what, "chacha.c %s seal", names[p]);
        r.what = SEAL;
        bad |= bench(what, &r, recs);
        snprintf(what, sizeof what, "chacha.c %s open", names[p]);
        r.what = OPEN;
        bad |= bench(what, &r, recs);
        snprintf(what, sizeof what, "chacha.c %s ChaCha20 only", names[p]);
        r.what = STREAM;
        bad |= bench(what, &r, recs);
    }
    r.what = POLY;
    bad |= bench("chacha.c Poly1305 only", &r, recs);
    cry_chacha_wipe(&c);
    return bad;
}

/*
 * gcm_bench.c - AES-GCM throughput on 16 KiB TLS records (13-byte AAD, 12-byte nonce):
 * libtomcrypt's gcm_* as the record layer used it (keyed once with its 64 KiB tables; reset, IV,
 * AAD, process, done per record) against core/src/crypto/gcm.c on each key setup (AES on
 * libtomcrypt's tables or AES-NI, GHASH portable or PCLMULQDQ), then AES-CBC through
 * crypto_ltc.c's cry_cipher_run (libtomcrypt's AES, CRY_CIPHER_PORTABLE, against AES-NI).
 * Usage: gcm_bench [MiB per run, default 64] [key bytes 16|32, default 16].
 * Prints MB/s (10^6 bytes) per CPU second of this process (the machine may be shared), the best
 * of three runs. Built on request: cmake --build build --target gcm_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tomcrypt.h>
#include "crypto/crypto_ltc.h"
#include "crypto/gcm.h"
#include "bench_util.h"

#define REC 16384

static uint8_t buf[REC], ct[REC], pt[REC], nonce[12], aad[13], tag[16], ct_tag[16];

struct run {
    gcm_state *lt;        /* libtomcrypt, or */
    struct cry_gcm *g;    /* gcm.c, or */
    void *cbc;            /* a cry_cipher AES-CBC state */
    int open;
};

static int one(const struct run *r, size_t i)
{
    if (r->cbc) /* the chain runs on over the records, as in a TLS 1.0 connection */
        return cry_cipher_run(r->cbc, buf, buf, REC) != SSLNoErr;
    nonce[11] = (uint8_t)i;
    if (r->lt) {
        unsigned long tl = 16;
        return gcm_reset(r->lt) || gcm_add_iv(r->lt, nonce, 12) || gcm_add_aad(r->lt, aad, 13) ||
               gcm_process(r->lt, buf, REC, buf, r->open ? GCM_DECRYPT : GCM_ENCRYPT) ||
               gcm_done(r->lt, tag, &tl);
    }
    if (r->open) { /* the same valid record every time */
        nonce[11] = 0;
        return cry_gcm_open(r->g, nonce, 12, aad, 13, ct, pt, REC, ct_tag) != SSLNoErr;
    }
    return cry_gcm_seal(r->g, nonce, 12, aad, 13, buf, buf, REC, tag) != SSLNoErr;
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
    printf("%-34s %8.1f MB/s\n", what, (double)recs * REC / best / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    size_t kl = argc > 2 ? strtoul(argv[2], NULL, 10) : 16;
    uint8_t key[32];
    if (cry_init() != SSLNoErr || !mib || (kl != 16 && kl != 32))
        return 2;
    size_t recs = mib * 1024 * 1024 / REC;
    memset(key, 7, sizeof key);
    memset(aad, 3, sizeof aad);
    printf("AES-%zu-GCM, %zu records of 16 KiB per run\n", kl * 8, recs);

    gcm_state *lt = malloc(sizeof *lt);
    if (!lt || gcm_init(lt, find_cipher("aes"), key, (int)kl) != CRYPT_OK)
        return 1;
    if (bench("libtomcrypt gcm_* (tables) seal", &(struct run){lt, NULL, NULL, 0}, recs) ||
        bench("libtomcrypt gcm_* (tables) open", &(struct run){lt, NULL, NULL, 1}, recs))
        return 1;
    printf("  (libtomcrypt gcm_state: %zu bytes)\n", sizeof(gcm_state));
    free(lt);

    static const struct {
        unsigned flags;
        const char *name;
    } paths[] = {
        {CRY_GCM_PORTABLE, "gcm.c portable"},            /* libtomcrypt AES, portable GHASH */
        {CRY_GCM_NO_AESNI, "gcm.c pclmul"},              /* libtomcrypt AES, PCLMULQDQ */
        {CRY_GCM_NO_PCLMUL, "gcm.c aesni+portable ghash"},
        {0, "gcm.c aesni+pclmul"},                       /* the default on this CPU */
    };
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        struct cry_gcm g;
        char what[64];
        nonce[11] = 0;
        if (cry_gcm_init(&g, key, kl, paths[p].flags) != SSLNoErr ||
            cry_gcm_seal(&g, nonce, 12, aad, 13, buf, ct, REC, ct_tag) != SSLNoErr)
            return 1;
        int want_ni = !(paths[p].flags & (CRY_GCM_PORTABLE | CRY_GCM_NO_AESNI));
        int want_pcl = !(paths[p].flags & (CRY_GCM_PORTABLE | CRY_GCM_NO_PCLMUL));
        if (cry_gcm_uses_aesni(&g) != want_ni || cry_gcm_uses_pclmul(&g) != want_pcl) {
            printf("%s: this CPU lacks %s\n", paths[p].name,
                   want_ni && !cry_gcm_uses_aesni(&g) ? "AES-NI" : "PCLMULQDQ");
            cry_gcm_wipe(&g);
            continue;
        }
        snprintf(what, sizeof what, "%s seal", paths[p].name);
        if (bench(what, &(struct run){NULL, &g, NULL, 0}, recs))
            return 1;
        snprintf(what, sizeof what, "%s open", paths[p].name);
        if (bench(what, &(struct run){NULL, &g, NULL, 1}, recs))
            return 1;
        cry_gcm_wipe(&g);
    }
    printf("  (struct cry_gcm: %zu bytes)\n", sizeof(struct cry_gcm));

    printf("AES-%zu-CBC (cry_cipher_run), %zu records of 16 KiB per run\n", kl * 8, recs);
    static uint64_t cbc[128];
    uint8_t iv[16] = {0};
    for (int ni = 0; ni < 2; ni++)
        for (int enc = 1; enc >= 0; enc--) {
            char what[64];
            if (cry_cipher_init_flags(cbc, CRY_C_AES, enc, key, kl, iv,
                                      ni ? 0 : CRY_CIPHER_PORTABLE) != SSLNoErr)
                return 1;
            if (cry_cipher_uses_aesni(cbc) != ni) {
                printf("AES-CBC aesni: this CPU lacks AES-NI\n");
                break;
            }
            snprintf(what, sizeof what, "cbc %s %s", ni ? "aesni" : "libtomcrypt",
                     enc ? "encrypt" : "decrypt");
            if (bench(what, &(struct run){NULL, NULL, cbc, 0}, recs))
                return 1;
            cry_cipher_wipe(cbc);
        }
    return 0;
}

/*
 * sha_bench.c - SHA-1 / SHA-256 and their HMACs on 16 KiB TLS records: libtomcrypt's
 * sha1_process / sha256_process and hmac_* (as cry_hash used them before issue 18), against
 * crypto_ltc.c's cry_hash on the portable compression (CRY_HASH_PORTABLE) and on the SHA
 * extensions (sha_ni.c). The HMAC rows are a record MAC as record_tls.c computed it until issue
 * 18: keyed per record (two extra compressions for the key blocks), 13-byte header, the record; the
 * "cry_hmac_key" row starts from a keyed cry_hmac_key instead, as record_tls.c does since issue 18
 * for HMAC-SHA-1 / HMAC-SHA-256, to show what re-keying per record cost.
 * Usage: sha_bench [MiB per run, default 64] [record bytes 1..16384, default 16384] (short
 * records show the fixed cost per record: keying, padding, the outer hash).
 * Prints MB/s (10^6 bytes) per CPU second of this process (the machine may be shared), the best
 * of three runs. Built on request: cmake --build build --target sha_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tomcrypt.h>
#include "crypto/crypto_ltc.h"
#include "crypto/hmac.h"
#include "bench_util.h"

#define REC 16384

static uint8_t buf[REC], key[32], hdr[13], out[64];
static size_t rec = REC; /* record length: the second argument */

enum kind { K_LTC_HASH, K_LTC_HMAC, K_HASH, K_HMAC, K_HMAC_COPY };

struct run {
    enum kind kind;
    int alg;        /* CRY_SHA1 or CRY_SHA256 */
    unsigned flags; /* cry_hash_init_flags */
    const struct cry_hmac_key *keyed;
};

static int one(const struct run *r)
{
    const char *name = r->alg == CRY_SHA1 ? "sha1" : "sha256";
    size_t hl = cry_hash_len(r->alg);
    switch (r->kind) {
    case K_LTC_HASH: {
        hash_state md;
        int idx = find_hash(name);
        return hash_descriptor[idx].init(&md) || hash_descriptor[idx].process(&md, buf, (unsigned long)rec) ||
               hash_descriptor[idx].done(&md, out);
    }
    case K_LTC_HMAC: {
        hmac_state m;
        unsigned long ol = sizeof out;
        return hmac_init(&m, find_hash(name), key, (unsigned long)hl) ||
               hmac_process(&m, hdr, sizeof hdr) || hmac_process(&m, buf, (unsigned long)rec) ||
               hmac_done(&m, out, &ol);
    }
    case K_HASH: {
        struct cry_hash h;
        cry_hash_init_flags(&h, r->alg, r->flags);
        cry_hash_update(&h, buf, rec);
        cry_hash_final(&h, out);
        return 0;
    }
    case K_HMAC:
    case K_HMAC_COPY: {
        struct cry_hmac m;
        if (r->kind == K_HMAC)
            cry_hmac_init_flags(&m, r->alg, key, hl, r->flags);
        else
            cry_hmac_init_key(&m, r->keyed);
        cry_hmac_update(&m, hdr, sizeof hdr);
        cry_hmac_update(&m, buf, rec);
        cry_hmac_final(&m, out);
        return 0;
    }
    }
    return 1;
}

static int bench(const char *what, const struct run *r, size_t recs)
{
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = bench_cpu();
        for (size_t i = 0; i < recs; i++)
            if (one(r))
                return 1;
        double t = bench_cpu() - t0;
        best = t < best ? t : best;
    }
    printf("%-38s %8.1f MB/s\n", what, (double)recs * rec / best / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    rec = argc > 2 ? strtoul(argv[2], NULL, 10) : REC;
    if (cry_init() != SSLNoErr || !mib || !rec || rec > REC)
        return 2;
    size_t recs = mib * 1024 * 1024 / rec;
    memset(buf, 5, sizeof buf);
    memset(key, 7, sizeof key);
    memset(hdr, 3, sizeof hdr);
    struct cry_hash probe;
    cry_hash_init(&probe, CRY_SHA1);
    int ni = cry_hash_uses_sha_ni(&probe);
    cry_hash_final(&probe, NULL);
    printf("%zu records of %zu bytes per run; SHA extensions %s\n", recs, rec, ni ? "used" : "absent");
    for (int alg = CRY_SHA1; alg <= CRY_SHA256; alg++) {
        const char *an = alg == CRY_SHA1 ? "SHA-1" : "SHA-256";
        char what[64];
        struct cry_hmac_key keyed;
        if (cry_hmac_key_init(&keyed, alg, key, cry_hash_len(alg)))
            return 1;
        snprintf(what, sizeof what, "%s libtomcrypt", an);
        if (bench(what, &(struct run){K_LTC_HASH, alg, 0, NULL}, recs))
            return 1;
        snprintf(what, sizeof what, "%s cry_hash portable", an);
        if (bench(what, &(struct run){K_HASH, alg, CRY_HASH_PORTABLE, NULL}, recs))
            return 1;
        if (ni) {
            snprintf(what, sizeof what, "%s cry_hash sha-ni", an);
            if (bench(what, &(struct run){K_HASH, alg, 0, NULL}, recs))
                return 1;
        }
        snprintf(what, sizeof what, "HMAC-%s libtomcrypt", an);
        if (bench(what, &(struct run){K_LTC_HMAC, alg, 0, NULL}, recs))
            return 1;
        snprintf(what, sizeof what, "HMAC-%s cry_hmac portable", an);
        if (bench(what, &(struct run){K_HMAC, alg, CRY_HASH_PORTABLE, NULL}, recs))
            return 1;
        if (ni) {
            snprintf(what, sizeof what, "HMAC-%s cry_hmac sha-ni", an);
            if (bench(what, &(struct run){K_HMAC, alg, 0, NULL}, recs))
                return 1;
            snprintf(what, sizeof what, "HMAC-%s sha-ni cry_hmac_key", an);
            if (bench(what, &(struct run){K_HMAC_COPY, alg, 0, &keyed}, recs))
                return 1;
        }
        cry_wipe(&keyed, sizeof keyed);
    }
    return 0;
}

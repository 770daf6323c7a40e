/*
 * rsa_bench.c - CPU time per RSA private operation (bn_ct_rsa_private: blinding, CRT, fault check)
 * with the two halves on AVX-512 IFMA (crypto/rsa_ifma.c) and on mpn_sec_powm (forced with
 * BN_CT_RSA_PORTABLE), for random RSA-2048, -3072 and -4096 keys (fixed seed, e = 65537).
 * Usage: rsa_bench [iterations, default 500] [modulus bits: only that size] [ifma|portable: only
 * that path] (the filters are for perf record). Prints microseconds of this process's CPU time per
 * operation (the machine may be shared), the best of three runs. Compare: openssl speed rsa2048.
 * Built on request: cmake --build build --target rsa_bench
 */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crypto/bn_ct.h"
#include "bench_util.h"

/* a bn_ct key with two primes of half the bits each */
static struct bn_ct_rsa *make_key(gmp_randstate_t rs, unsigned bits)
{
    mpz_t n, e, d, p, q, dp, dq, qi, pm, qm, phi;
    mpz_inits(n, e, d, p, q, dp, dq, qi, pm, qm, phi, NULL);
    mpz_set_ui(e, 65537);
    do {
        mpz_urandomb(p, rs, bits / 2);
        mpz_setbit(p, bits / 2 - 1);
        mpz_setbit(p, bits / 2 - 2);
        mpz_nextprime(p, p);
        mpz_urandomb(q, rs, bits / 2);
        mpz_setbit(q, bits / 2 - 1);
        mpz_setbit(q, bits / 2 - 2);
        mpz_nextprime(q, q);
        mpz_sub_ui(pm, p, 1);
        mpz_sub_ui(qm, q, 1);
        mpz_mul(phi, pm, qm);
    } while (mpz_cmp(p, q) == 0 || !mpz_invert(d, e, phi));
    mpz_mul(n, p, q);
    mpz_mod(dp, d, pm);
    mpz_mod(dq, d, qm);
    mpz_invert(qi, q, p);
    static uint8_t b[7][512];
    size_t l[7];
    mpz_srcptr z[7] = {n, e, p, q, dp, dq, qi};
    for (int i = 0; i < 7; i++)
        mpz_export(b[i], &l[i], 1, 1, 1, 0, z[i]);
    struct bn_ct_rsa *k = NULL;
    if (bn_ct_rsa_new(b[0], l[0], b[1], l[1], b[2], l[2], b[3], l[3], b[4], l[4], b[5], l[5], b[6],
                      l[6], &k) != SSLNoErr)
        k = NULL;
    mpz_clears(n, e, d, p, q, dp, dq, qi, pm, qm, phi, NULL);
    return k;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 500;
    unsigned only = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
    int only_path = argc > 3 ? strcmp(argv[3], "portable") == 0 : -1;
    static const unsigned sizes[] = {2048, 3072, 4096};
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    gmp_randseed_ui(rs, 2048);
    if (iters < 1)
        return 2;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        if (only && only != sizes[s])
            continue;
        struct bn_ct_rsa *k = make_key(rs, sizes[s]);
        if (!k)
            return 1;
        uint8_t in[512] = {0}, out[512];
        in[1] = 0x42; /* a value below n */
        for (int path = 0; path < 2; path++) {
            unsigned flags = path ? BN_CT_RSA_PORTABLE : 0;
            if (only_path >= 0 && only_path != path)
                continue;
            if (!path && !bn_ct_rsa_ifma(k)) {
                printf("RSA-%u  IFMA                 (not available on this CPU)\n", sizes[s]);
                continue;
            }
            double best = 1e9;
            for (int run = 0; run < 3; run++) {
                double t0 = bench_cpu();
                for (int i = 0; i < iters; i++)
                    if (bn_ct_rsa_private_flags(k, in, out, bench_rand, NULL, flags) != SSLNoErr)
                        return 1;
                double us = (bench_cpu() - t0) / iters * 1e6;
                best = us < best ? us : best;
            }
            printf("RSA-%u  %-20s %8.1f us CPU per private operation\n", sizes[s],
                   path ? "mpn_sec_powm" : "AVX-512 IFMA", best);
        }
        bn_ct_rsa_free(k);
    }
    gmp_randclear(rs);
    return 0;
}

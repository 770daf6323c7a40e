/*
 * p256_bench.c - CPU time per P-256 scalar multiplication: libtomcrypt's timing-resistant ladder
 * (cry_ecdh_mul_ltc, the path before p256.c) against p256.c's variable-base k * P and table k * G,
 * on the portable field (CRY_P256_PORTABLE) and on the path the CPU selects (MULX/ADX where it has
 * BMI2 and ADX; the header line says which), and the ECDHE operations as a server runs them (cry_ecdh_keygen, cry_ecdh_check + cry_ecdh_shared).
 * Usage: p256_bench [iterations, default 2000]. Prints microseconds of this process's CPU time per
 * operation (the machine may be shared), the best of three runs.
 * Built on request: cmake --build build --target p256_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crypto/ecdh.h"
#include "crypto/p256.h"
#include "bench_util.h"

static uint8_t k[32], q[65], out[65];
enum { LTC_VAR, LTC_BASE, PORT_VAR, PORT_BASE, P256_VAR, P256_BASE, KEYGEN, SHARED };
static const char *names[] = {"libtomcrypt ladder k*P", "libtomcrypt ladder k*G",
                              "p256.c portable field k*P", "p256.c portable field k*G",
                              "p256.c k*P (cry_p256_mul)", "p256.c k*G (cry_p256_base_mul)",
                              "cry_ecdh_keygen P-256", "cry_ecdh_check + cry_ecdh_shared P-256"};

static int op(int which)
{
    uint8_t priv[32];
    switch (which) {
    case LTC_VAR: return cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, q, 65, out) != SSLNoErr;
    case LTC_BASE: return cry_ecdh_mul_ltc(CRY_EC_SECP256R1, k, NULL, 0, out) != SSLNoErr;
    case PORT_VAR: return cry_p256_mul_ex(out, k, q + 1, CRY_P256_PORTABLE) != 0;
    case PORT_BASE: return cry_p256_base_mul_ex(out, k, CRY_P256_PORTABLE) != 0;
    case P256_VAR: return cry_p256_mul(out, k, q + 1) != 0;
    case P256_BASE: return cry_p256_base_mul(out, k) != 0;
    case KEYGEN: return cry_ecdh_keygen(CRY_EC_SECP256R1, priv, out, bench_rand, NULL) != SSLNoErr;
    default:
        return !cry_ecdh_check(CRY_EC_SECP256R1, q, 65) ||
               cry_ecdh_shared(CRY_EC_SECP256R1, k, q, 65, out) != SSLNoErr;
    }
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 2000;
    uint8_t priv[32];
    if (iters < 1 || cry_ecdh_keygen(CRY_EC_SECP256R1, priv, q, bench_rand, NULL) != SSLNoErr ||
        bench_rand(NULL, k, 32) != SSLNoErr)
        return 1;
    k[0] &= 0x7f;
    printf("selected P-256 field: %s\n", cry_p256_fast_path() ? "MULX/ADX assembly" : "portable C");
    for (int w = 0; w <= SHARED; w++) {
        int n = w <= LTC_BASE ? (iters / 10 > 0 ? iters / 10 : 1) : iters;
        double best = 1e9;
        for (int run = 0; run < 3; run++) {
            double t0 = bench_cpu();
            for (int i = 0; i < n; i++)
                if (op(w)) {
                    fprintf(stderr, "%s failed\n", names[w]);
                    return 1;
                }
            double us = (bench_cpu() - t0) / n * 1e6;
            best = us < best ? us : best;
        }
        printf("%-42s %9.1f us\n", names[w], best);
    }
    return 0;
}

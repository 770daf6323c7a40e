/*
 * x25519_bench.c - CPU time per X25519 operation: cry_x25519 (variable base, as the server's
 * cry_ecdh_shared runs it) and cry_x25519_base (key generation), each as flags 0 selects (MULX/ADX
 * ladder when the CPU has them; the fixed-base comb for the base point, on the same field), the comb
 * on the portable field (CRY_X25519_PORTABLE_COMB) and forced to the portable 51-bit ladder
 * (CRY_X25519_PORTABLE). Compare with `openssl speed -seconds 3
 * ecdhx25519` (one key derivation per op there).
 * Usage: x25519_bench [iterations, default 5000]. Prints microseconds of this process's CPU time per
 * operation (the machine may be shared), the best of three runs.
 * Built on request: cmake --build build --target x25519_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "crypto/x25519.h"
#include "bench_util.h"

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 5000;
    uint8_t k[32], u[32] = { 9 }, out[32];
    uint64_t seed = 0x1234567;
    if (iters < 1)
        return 1;
    for (int i = 0; i < 32; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        k[i] = (uint8_t)(seed >> 56);
    }
    cry_x25519_base(u, k);
    printf("fast path (mulx/adx) available: %s\n", cry_x25519_fast_path() ? "yes" : "no");
    static const char *names[] = { "cry_x25519 (selected path)", "cry_x25519_base (comb)",
                                   "cry_x25519 (portable 51-bit)", "cry_x25519_base (portable ladder)",
                                   "", "cry_x25519_base (portable comb)" };
    for (int w = 0; w < 6; w++) {
        unsigned flags = w >= 4 ? CRY_X25519_PORTABLE_COMB : w >= 2 ? CRY_X25519_PORTABLE : 0;
        if (w == 4)
            continue;
        double best = 1e9;
        for (int run = 0; run < 3; run++) {
            double t0 = bench_cpu();
            for (int i = 0; i < iters; i++) {
                if (w & 1)
                    cry_x25519_base_ex(out, k, flags);
                else if (cry_x25519_ex(out, k, u, flags)) {
                    fprintf(stderr, "%s failed\n", names[w]);
                    return 1;
                }
                k[0] ^= out[1]; /* a data dependency between iterations */
            }
            double us = (bench_cpu() - t0) / iters * 1e6;
            best = us < best ? us : best;
        }
        printf("%-38s %8.1f us\n", names[w], best);
    }
    return 0;
}

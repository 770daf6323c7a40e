/*
 * bench_util.h - what the crypto benchmarks share: process CPU time (the figure they report, as the
 * machine is shared) and a fast deterministic byte source for keys and inputs (not for secrets).
 */
#ifndef SSLREF_BENCH_UTIL_H
#define SSLREF_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "sslref/sslx.h"

/* Seconds of CPU this process has used. */
static inline double bench_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A cry_rand_fn-shaped generator: a 64-bit LCG, the same sequence in every run. */
static inline SSLErr bench_rand(void *ref, uint8_t *o, size_t len)
{
    static uint64_t seed = 0x1234567;
    (void)ref;
    for (size_t i = 0; i < len; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        o[i] = (uint8_t)(seed >> 56);
    }
    return SSLNoErr;
}

#endif

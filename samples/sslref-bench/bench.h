/*
 * bench.h - sslref-bench internals shared by bench.c (options, threads, connections) and
 * bench_report.c (percentiles, the progress line, the summary table and the CSV row).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include "sslref/ssl.h"

#define BENCH_MAX_ERRKINDS 16

enum bench_kind { BENCH_ERROR = 0, BENCH_FULL = 1, BENCH_RESUMED = 2 };

struct bench_errcount {
    SSLErr err;
    const char *where;   /* "connect", "handshake", "request", "response" */
    uint64_t n;
};

struct bench_result {
    const char *host;
    int port, threads, full_percent, hold;
    long connections;
    double elapsed;                 /* seconds */
    uint64_t full, resumed, errors, held_ok;
    float *lat;                     /* handshake latency (ms) of connection i */
    uint8 *kind;                    /* enum bench_kind of connection i */
    struct bench_errcount errs[BENCH_MAX_ERRKINDS];
    int nerrs;
};

/* bench_report.c */
void bench_progress(FILE *out, double t, long done, long total, uint64_t full, uint64_t resumed,
                    uint64_t errors, double rate, int tty);
void bench_summary(FILE *out, const struct bench_result *r);
int bench_csv(const char *path, const struct bench_result *r);

#endif

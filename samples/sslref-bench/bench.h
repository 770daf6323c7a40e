/*
 * bench.h - sslref-bench internals shared by bench.c (options, threads, connections) and
 * bench_report.c (percentiles, the progress line, the summary table and the CSV row) and
 * bench_proc.c (a local server's CPU time and resident memory, read from /proc).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include "sslref/ssl.h"

#define BENCH_MAX_ERRKINDS 16
#define BENCH_MAX_TARGETS 16

enum bench_kind { BENCH_ERROR = 0, BENCH_FULL = 1, BENCH_RESUMED = 2 };

struct bench_errcount {
    SSLErr err;
    const char *where;   /* "connect", "handshake", "request", "response" */
    uint64_t n;
};

/* A local server process tree (a pid and all its descendants) at one moment. */
struct bench_proc {
    double cpu_s;      /* user + system time of all processes (and all their threads), seconds */
    long rss_kb;       /* resident set size summed over the processes, KiB */
    int procs;         /* processes found (0: the pid is gone) */
};

/* One server of a --target run: its handshakes. */
struct bench_target {
    const char *host;
    int port;
    _Atomic uint64_t full, resumed, errors;
};

struct bench_result {
    const char *host;
    int port, threads, full_percent, hold;
    long connections;
    double elapsed;                 /* seconds */
    uint64_t full, resumed, errors, held_ok, bytes_in;
    int server_pid;                 /* --server-pid, or 0 */
    struct bench_proc srv0, srv1;   /* the server before and after the run */
    long rss_base_kb, rss_hold_kb;  /* --hold with --server-pid: before connecting, while holding */
    float *lat;                     /* handshake latency (ms) of connection i */
    uint8 *kind;                    /* enum bench_kind of connection i */
    struct bench_errcount errs[BENCH_MAX_ERRKINDS];
    int nerrs;
    int ntargets;                   /* --target given: the servers, round-robin (else 0) */
    struct bench_target *targets;
};

/* bench_report.c */
void bench_progress(FILE *out, double t, long done, long total, uint64_t full, uint64_t resumed,
                    uint64_t errors, double rate, int tty);
void bench_summary(FILE *out, const struct bench_result *r);
int bench_csv(const char *path, const struct bench_result *r);
/* A run that asked for resumption (full_percent P < 100): 1, and *max = the most full handshakes
   it may make: the first connection's (it has no session to offer) + floor((P + 1)% of the
   connections). A run of full handshakes only: 0. */
int bench_full_max(const struct bench_result *r, uint64_t *max);

/* bench_proc.c */
int bench_proc_sample(int pid, struct bench_proc *out);

#endif

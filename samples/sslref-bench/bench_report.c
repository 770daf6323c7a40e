/*
 * bench_report.c - what sslref-bench prints: the one-line progress report while it runs, the
 * summary table at the end (handshakes/s full and resumed, latency p50/p99 per kind, errors by
 * kind, whether a run that asked for resumption got it, bytes received, and a local server's CPU
 * and memory with --server-pid) and the CSV row
 * (header written when the file is new). Latency percentiles are exact: the per-connection
 * latencies are sorted.
 */
#include "bench.h"
#include "sslref/sslx.h"
#include <stdlib.h>
#include <string.h>

void bench_progress(FILE *out, double t, long done, long total, uint64_t full, uint64_t resumed,
                    uint64_t errors, double rate, int tty)
{
    fprintf(out, "%s[%6.1fs] %ld/%ld done  full=%llu resumed=%llu errors=%llu  %.0f hs/s%s",
            tty ? "\r" : "", t, done, total, (unsigned long long)full,
            (unsigned long long)resumed, (unsigned long long)errors, rate, tty ? "   " : "\n");
    fflush(out);
}

static int bench_cmp(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* p50 and p99 of the latencies of connections of kind @p k (k < 0: full and resumed). */
static void bench_pct(const struct bench_result *r, int k, double *p50, double *p99)
{
    *p50 = *p99 = 0;
    float *v = malloc(sizeof(float) * (size_t)(r->connections ? r->connections : 1));
    if (!v)
        return;
    long n = 0;
    for (long i = 0; i < r->connections; i++)
        if ((k < 0 && r->kind[i] != BENCH_ERROR) || r->kind[i] == k)
            v[n++] = r->lat[i];
    if (n) {
        qsort(v, (size_t)n, sizeof *v, bench_cmp);
        *p50 = v[(n - 1) * 50 / 100];
        *p99 = v[(n - 1) * 99 / 100];
    }
    free(v);
}

int bench_full_max(const struct bench_result *r, uint64_t *max)
{
    if (r->full_percent >= 100)
        return 0;
    *max = 1 + (uint64_t)(r->full_percent + 1) * (uint64_t)r->connections / 100;
    return 1;
}

/* "ok", "failed", or "-" (the run asked for no resumption). */
static const char *bench_resumption(const struct bench_result *r, uint64_t *max)
{
    if (!bench_full_max(r, max))
        return "-";
    return r->full > *max ? "failed" : "ok";
}

void bench_summary(FILE *out, const struct bench_result *r)
{
    double el = r->elapsed > 0 ? r->elapsed : 1e-9, p50, p99;
    fprintf(out, "\nsslref-bench %s:%d  connections=%ld threads=%d full-percent=%d  elapsed=%.2fs\n",
            r->host, r->port, r->connections, r->threads, r->full_percent, r->elapsed);
    fprintf(out, "  %-10s %10s %12s %10s %10s\n", "handshake", "count", "per second", "p50 ms",
            "p99 ms");
    bench_pct(r, BENCH_FULL, &p50, &p99);
    fprintf(out, "  %-10s %10llu %12.1f %10.2f %10.2f\n", "full", (unsigned long long)r->full,
            r->full / el, p50, p99);
    bench_pct(r, BENCH_RESUMED, &p50, &p99);
    fprintf(out, "  %-10s %10llu %12.1f %10.2f %10.2f\n", "resumed",
            (unsigned long long)r->resumed, r->resumed / el, p50, p99);
    bench_pct(r, -1, &p50, &p99);
    fprintf(out, "  %-10s %10llu %12.1f %10.2f %10.2f\n", "all",
            (unsigned long long)(r->full + r->resumed), (r->full + r->resumed) / el, p50, p99);
    fprintf(out, "  %-10s %10llu\n", "errors", (unsigned long long)r->errors);
    uint64_t max, hs = r->full + r->resumed;
    const char *res = bench_resumption(r, &max);
    if (*res != '-')
        fprintf(out, "  %-10s %10s  %llu full of %llu handshakes (%.1f%%), at most %llu allowed\n",
                "resumption", res, (unsigned long long)r->full, (unsigned long long)hs,
                hs ? 100.0 * (double)r->full / (double)hs : 0.0, (unsigned long long)max);
    fprintf(out, "  %-10s %10llu %12.2f MB/s (plaintext received)\n", "bytes",
            (unsigned long long)r->bytes_in, r->bytes_in / el / 1e6);
    if (r->server_pid) {
        double cpu = r->srv1.cpu_s - r->srv0.cpu_s;
        fprintf(out, "  server pid %d (%d processes): cpu %.3f s, %.1f us per handshake\n",
                r->server_pid, r->srv1.procs, cpu, hs ? cpu * 1e6 / (double)hs : 0.0);
    }
    if (r->server_pid && r->hold && r->rss_hold_kb)
        fprintf(out, "  server rss %ld KiB before, %ld KiB holding: %.2f KiB per connection\n",
                r->rss_base_kb, r->rss_hold_kb,
                hs ? (double)(r->rss_hold_kb - r->rss_base_kb) / (double)hs : 0.0);
    for (int t = 0; t < r->ntargets; t++)
        fprintf(out, "  target=%s:%d full=%llu resumed=%llu errors=%llu\n", r->targets[t].host,
                r->targets[t].port, (unsigned long long)r->targets[t].full,
                (unsigned long long)r->targets[t].resumed,
                (unsigned long long)r->targets[t].errors);
    for (int i = 0; i < r->nerrs; i++)
        fprintf(out, "    %llu x %s during %s\n", (unsigned long long)r->errs[i].n,
                SSLXErrorName(r->errs[i].err), r->errs[i].where);
    if (r->hold)
        fprintf(out, "  held %d connections open; %llu answered afterwards\n", r->hold,
                (unsigned long long)r->held_ok);
    fflush(out);
}

int bench_csv(const char *path, const struct bench_result *r)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        perror(path);
        return -1;
    }
    double el = r->elapsed > 0 ? r->elapsed : 1e-9, p50, p99, f50, f99, r50, r99;
    bench_pct(r, -1, &p50, &p99);
    bench_pct(r, BENCH_FULL, &f50, &f99);
    bench_pct(r, BENCH_RESUMED, &r50, &r99);
    if (ftell(f) == 0)
        fprintf(f, "host,port,connections,threads,full_percent,elapsed_s,full,resumed,errors,"
                   "full_per_s,resumed_per_s,hs_per_s,p50_ms,p99_ms,full_p50_ms,full_p99_ms,"
                   "resumed_p50_ms,resumed_p99_ms,bytes_in,mb_per_s,server_cpu_us_per_hs,"
                   "server_kib_per_held,full_max,resumption\n");
    uint64_t hs = r->full + r->resumed, max = 0;
    const char *res = bench_resumption(r, &max);
    double cpu_us = r->server_pid && hs ? (r->srv1.cpu_s - r->srv0.cpu_s) * 1e6 / (double)hs : 0;
    double kib = r->server_pid && r->hold && r->rss_hold_kb && hs
                     ? (double)(r->rss_hold_kb - r->rss_base_kb) / (double)hs : 0;
    fprintf(f, "%s,%d,%ld,%d,%d,%.3f,%llu,%llu,%llu,%.1f,%.1f,%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,"
               "%llu,%.3f,%.1f,%.2f,%llu,%s\n",
            r->host, r->port, r->connections, r->threads, r->full_percent, r->elapsed,
            (unsigned long long)r->full, (unsigned long long)r->resumed,
            (unsigned long long)r->errors, r->full / el, r->resumed / el,
            (r->full + r->resumed) / el, p50, p99, f50, f99, r50, r99,
            (unsigned long long)r->bytes_in, r->bytes_in / el / 1e6, cpu_us, kib,
            *res == '-' ? (unsigned long long)r->connections : (unsigned long long)max, res);
    return fclose(f) == 0 ? 0 : -1;
}

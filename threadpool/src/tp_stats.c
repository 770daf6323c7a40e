/*
 * tp_stats.c - the counters every worker thread updates and any process reads: one anonymous
 * MAP_SHARED mapping made before fork, one padded slot per (process, thread) with a single writer
 * (relaxed atomics, no locks, no shared cache lines). Sums are taken on read. Also the clock.
 */
#include "tp.h"
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int64_t tp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

SSLErr tp_stats_map(TPServer *srv)
{
    size_t n = (size_t)srv->nproc * (size_t)srv->cfg.threads;
    srv->shared_len = sizeof(struct tp_shared) + n * sizeof(struct tp_slot);
    void *p = mmap(NULL, srv->shared_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return SSLMemoryErr;
    memset(p, 0, srv->shared_len); /* already zero; explicit for the reader */
    srv->shared = p;
    return SSLNoErr;
}

void tp_stats_unmap(TPServer *srv)
{
    if (srv->shared)
        munmap(srv->shared, srv->shared_len);
    srv->shared = NULL;
}

struct tp_slot *tp_stats_slot(TPServer *srv, int process, int thread)
{
    return &srv->shared->slots[process * srv->cfg.threads + thread];
}

void tp_stats_add(struct tp_slot *s, enum tp_counter c, uint64_t n)
{
    atomic_fetch_add_explicit(&s->v[c], n, memory_order_relaxed);
}

void tp_stats_sub(struct tp_slot *s, enum tp_counter c, uint64_t n)
{
    atomic_fetch_sub_explicit(&s->v[c], n, memory_order_relaxed);
}

/* A dead worker's connections are gone: its successor starts with active = 0. */
void tp_stats_reset_active(TPServer *srv, int process)
{
    for (int t = 0; t < srv->cfg.threads; t++)
        atomic_store_explicit(&tp_stats_slot(srv, process, t)->v[TP_C_ACTIVE], 0,
                              memory_order_relaxed);
}

void tp_stats_sum(const TPServer *srv, int process, TPStats *st)
{
    uint64_t v[TP_C_COUNT] = {0};
    int p0 = process < 0 ? 0 : process, p1 = process < 0 ? srv->nproc : process + 1;
    for (int p = p0; p < p1; p++)
        for (int t = 0; t < srv->cfg.threads; t++) {
            const struct tp_slot *s = &srv->shared->slots[p * srv->cfg.threads + t];
            for (int c = 0; c < TP_C_COUNT; c++)
                v[c] += atomic_load_explicit(&s->v[c], memory_order_relaxed);
        }
    memset(st, 0, sizeof *st);
    st->connections = v[TP_C_CONNECTIONS];
    st->full = v[TP_C_FULL];
    st->resumed = v[TP_C_RESUMED];
    st->failures = v[TP_C_FAILURES];
    st->refused = v[TP_C_REFUSED];
    st->hsTimeouts = v[TP_C_HS_TIMEOUTS];
    st->idleTimeouts = v[TP_C_IDLE_TIMEOUTS];
    st->bytesIn = v[TP_C_BYTES_IN];
    st->bytesOut = v[TP_C_BYTES_OUT];
    st->active = v[TP_C_ACTIVE];
    st->restarts = process < 0 ? atomic_load_explicit(&srv->shared->restarts, memory_order_relaxed) : 0;
}

/*
 * sdb_mix.h - the mixed-operation workload shared by sdb_threads.c (8 threads on one handle) and
 * sdb_procs.c (4 processes, one handle each). Each worker owns SDB_MIX_PRIV private keys whose
 * expected state it models exactly (get must return exactly the last value added, or a miss if
 * deleted or never added; delete must report presence exactly), and all workers hit SDB_MIX_SHARED
 * shared keys whose values must be well-formed, must not be newer than their writer has
 * announced, and must never go back in time for one reader, key and writer. The workers open the
 * cache with a long write-lock wait (sdb_mix_options): these tests check the data under contention,
 * and with more threads than cores a preempted writer can hold the lock past the 5 ms default
 * (sdb_wlock.c tests the bound).
 */
#ifndef SDB_MIX_H
#define SDB_MIX_H

#include "sdb_util.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#define SDB_MIX_PRIV 64
#define SDB_MIX_SHARED 32
#define SDB_MIX_SHARED_OWNER 999
#define SDB_MIX_WORKERS_MAX 8
#define SDB_MIX_EXTRA 200 /* values are 16..216 bytes */
#define SDB_MIX_WRITE_WAIT_MS 30000

/* The defaults with a write-lock wait that never expires in a healthy run. */
static inline void sdb_mix_options(SDBOptions *o)
{
    SDBDefaultOptions(o);
    o->writeWaitMs = SDB_MIX_WRITE_WAIT_MS;
}

/* State shared by all workers (in shared memory for processes). */
struct sdb_mix_shared {
    atomic_uint announced[SDB_MIX_WORKERS_MAX]; /* highest shared seq each writer may have added */
};

/* What one worker did and what it expects; the final state is checked by the caller. */
struct sdb_mix_worker {
    unsigned id;
    unsigned ops;
    uint64_t seed;
    SDBCache *cache;
    struct sdb_mix_shared *shared;
    unsigned priv_seq[SDB_MIX_PRIV];  /* 0 = absent, else the seq of the value present */
    unsigned seen[SDB_MIX_SHARED][SDB_MIX_WORKERS_MAX];
    unsigned next_seq;
    uint64_t gets, hits, failures;
    char first_failure[200];
};

static inline void sdb_mix_fail(struct sdb_mix_worker *w, const char *what, unsigned key, int err)
{
    SDBStats st = {0};
    if (w->failures++ == 0) {
        (void)SDBGetStats(w->cache, &st); /* the LMDB code behind an SSLErr */
        snprintf(w->first_failure, sizeof w->first_failure,
                 "worker %u: %s key %u err %d (lastError %d)", w->id, what, key, err, st.lastError);
    }
}

static inline void sdb_mix_run(struct sdb_mix_worker *w)
{
    char kb[48];
    uint8 vb[16 + SDB_MIX_EXTRA];
    uint64_t s = w->seed;
    for (unsigned op = 0; op < w->ops; op++) {
        uint64_t r = sdbt_rand(&s);
        unsigned kind = (unsigned)(r % 100);
        bool shared = (r >> 8) & 1;
        unsigned idx = (unsigned)((r >> 16) % (shared ? SDB_MIX_SHARED : SDB_MIX_PRIV));
        unsigned owner = shared ? SDB_MIX_SHARED_OWNER : w->id;
        SSLBuffer key = sdbt_key(kb, sizeof kb, owner, idx);
        if (kind < 70) { /* get */
            SSLBuffer out;
            w->gets++;
            SSLErr e = SDBGetSession(key, &out, w->cache);
            if (e != SSLNoErr && e != SSLNoMatchingSessionKeyErr) {
                sdb_mix_fail(w, "get error", idx, e);
                continue;
            }
            unsigned writer = 0, seq = 0;
            if (e == SSLNoErr) {
                w->hits++;
                if (!sdbt_value_ok(out, owner, idx, SDB_MIX_EXTRA, &writer, &seq))
                    sdb_mix_fail(w, "malformed value", idx, 0);
                free(out.data);
            }
            if (!shared) {
                if (e == SSLNoErr ? (writer != w->id || seq != w->priv_seq[idx])
                                  : w->priv_seq[idx] != 0)
                    sdb_mix_fail(w, e == SSLNoErr ? "private get: not the last value"
                                                  : "private get: lost entry",
                                 idx, e);
            } else if (e == SSLNoErr) {
                if (writer >= SDB_MIX_WORKERS_MAX ||
                    seq > atomic_load(&w->shared->announced[writer]))
                    sdb_mix_fail(w, "shared get: value from the future", idx, 0);
                else if (seq < w->seen[idx][writer])
                    sdb_mix_fail(w, "shared get: went back in time", idx, 0);
                else
                    w->seen[idx][writer] = seq;
            }
        } else if (kind < 92) { /* add */
            unsigned seq = ++w->next_seq;
            uint32 len = sdbt_value(vb, owner, idx, w->id, seq, SDB_MIX_EXTRA);
            if (shared)
                atomic_store(&w->shared->announced[w->id], seq);
            SSLErr e = SDBAddSession(key, (SSLBuffer){len, vb}, w->cache);
            if (e != SSLNoErr)
                sdb_mix_fail(w, "add", idx, e);
            else if (!shared)
                w->priv_seq[idx] = seq;
        } else { /* delete */
            SSLErr e = SDBDeleteSession(key, w->cache);
            if (e != SSLNoErr && e != SSLNoMatchingSessionKeyErr)
                sdb_mix_fail(w, "delete error", idx, e);
            else if (!shared) {
                if ((e == SSLNoErr) != (w->priv_seq[idx] != 0))
                    sdb_mix_fail(w, "private delete: wrong presence", idx, e);
                w->priv_seq[idx] = 0;
            }
        }
    }
}

/* After all workers stopped: every private key holds exactly the modelled value. Returns the
 * number of mismatches and adds the number of present private keys to *present. */
static inline unsigned sdb_mix_check_final(SDBCache *c, const struct sdb_mix_worker *w,
                                           uint64_t *present)
{
    char kb[48];
    unsigned bad = 0;
    for (unsigned i = 0; i < SDB_MIX_PRIV; i++) {
        SSLBuffer out;
        unsigned writer = 0, seq = 0;
        SSLErr e = SDBGetSession(sdbt_key(kb, sizeof kb, w->id, i), &out, c);
        if (w->priv_seq[i] == 0) {
            bad += e != SSLNoMatchingSessionKeyErr;
        } else {
            bad += e != SSLNoErr || !sdbt_value_ok(out, w->id, i, SDB_MIX_EXTRA, &writer, &seq) ||
                   writer != w->id || seq != w->priv_seq[i];
            (*present)++;
        }
        if (e == SSLNoErr)
            free(out.data);
    }
    return bad;
}

/* Count the shared keys present. */
static inline uint64_t sdb_mix_shared_present(SDBCache *c)
{
    char kb[48];
    uint64_t n = 0;
    for (unsigned i = 0; i < SDB_MIX_SHARED; i++) {
        SSLBuffer out;
        if (SDBGetSession(sdbt_key(kb, sizeof kb, SDB_MIX_SHARED_OWNER, i), &out, c) == SSLNoErr) {
            n++;
            free(out.data);
        }
    }
    return n;
}

static void *sdb_mix_thread(void *arg)
{
    sdb_mix_run(arg);
    return NULL;
}

static inline int sdb_mix_report(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return 1;
}

/*
 * The threaded test, shared by tests/unit/sdb_threads.c (Criterion) and
 * tests/interop/sdb_tsan_main.c (plain main, because Criterion cannot run under TSan): @p threads
 * threads x @p ops operations on one handle, then the final state, the hit/miss counters and a
 * full scan. @p opt: options for SDBOpen (NULL: defaults). Returns 0, or 1 with a description in
 * @p err.
 */
static inline int sdb_mix_threads(unsigned threads, unsigned ops, const SDBOptions *opt, char *err,
                                  size_t n)
{
    char dir[256];
    SDBCache *cache;
    static struct sdb_mix_worker w[SDB_MIX_WORKERS_MAX];
    static struct sdb_mix_shared shared;
    pthread_t th[SDB_MIX_WORKERS_MAX];
    SDBOptions def;
    int bad = 0;

    if (threads > SDB_MIX_WORKERS_MAX)
        return sdb_mix_report(err, n, "too many threads");
    sdbt_tempdir(dir, sizeof dir);
    if (!opt) {
        sdb_mix_options(&def);
        opt = &def;
    }
    if (SDBOpen(&cache, dir, opt) != SSLNoErr)
        return sdb_mix_report(err, n, "open %s", dir);
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (struct sdb_mix_worker){.id = i, .ops = ops, .seed = 0x1234567ull * (i + 1),
                                       .cache = cache, .shared = &shared};
        if (pthread_create(&th[i], NULL, sdb_mix_thread, &w[i]) != 0)
            abort();
    }
    uint64_t gets = 0, hits = 0, present = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        if (!bad && w[i].failures)
            bad = sdb_mix_report(err, n, "%llu failures, first: %s",
                                 (unsigned long long)w[i].failures, w[i].first_failure);
        if (!bad && w[i].hits == 0)
            bad = sdb_mix_report(err, n, "thread %u never hit", i);
        gets += w[i].gets;
        hits += w[i].hits;
    }
    SDBStats st;
    SDBVerifyReport r;
    if (!bad && SDBGetStats(cache, &st) != SSLNoErr)
        bad = sdb_mix_report(err, n, "stats");
    if (!bad && (st.hits != hits || st.hits + st.misses != gets || st.corrupt || st.evictions))
        bad = sdb_mix_report(err, n, "counters: hits %llu/%llu misses %llu gets %llu",
                             (unsigned long long)st.hits, (unsigned long long)hits,
                             (unsigned long long)st.misses, (unsigned long long)gets);
    for (unsigned i = 0; i < threads && !bad; i++)
        if (sdb_mix_check_final(cache, &w[i], &present) != 0)
            bad = sdb_mix_report(err, n, "final state of thread %u", i);
    present += sdb_mix_shared_present(cache);
    if (!bad && SDBVerify(cache, &r, 0) != SSLNoErr)
        bad = sdb_mix_report(err, n, "verify");
    if (!bad && (r.entries != present || r.valid != present || r.indexed != present))
        bad = sdb_mix_report(err, n, "scan: %llu entries, %llu valid, %llu indexed, %llu expected",
                             (unsigned long long)r.entries, (unsigned long long)r.valid,
                             (unsigned long long)r.indexed, (unsigned long long)present);
    SDBClose(cache);
    sdbt_rmdir(dir);
    return bad;
}

static inline unsigned sdb_mix_ops(unsigned dflt)
{
    const char *e = getenv("SDB_TEST_OPS");
    return e && atoi(e) > 0 ? (unsigned)atoi(e) : dflt;
}

#endif

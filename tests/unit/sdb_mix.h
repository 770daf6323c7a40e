/*
 * sdb_mix.h - the mixed-operation workload shared by sdb_threads.c (8 threads on one handle) and
 * sdb_procs.c (4 processes, one handle each). Each worker owns SDB_MIX_PRIV private keys whose
 * expected state it models exactly (get must return exactly the last value added, or a miss if
 * deleted or never added; delete must report presence exactly), and all workers hit SDB_MIX_SHARED
 * shared keys whose values must be well-formed, must not be newer than their writer has
 * announced, and must never go back in time for one reader, key and writer.
 */
#ifndef SDB_MIX_H
#define SDB_MIX_H

#include "sdb_util.h"

#define SDB_MIX_PRIV 64
#define SDB_MIX_SHARED 32
#define SDB_MIX_SHARED_OWNER 999
#define SDB_MIX_WORKERS_MAX 8
#define SDB_MIX_EXTRA 200 /* values are 16..216 bytes */

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
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof w->first_failure, "worker %u: %s key %u err %d", w->id,
                 what, key, err);
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
        unsigned writer, seq;
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

static inline unsigned sdb_mix_ops(unsigned dflt)
{
    const char *e = getenv("SDB_TEST_OPS");
    return e && atoi(e) > 0 ? (unsigned)atoi(e) : dflt;
}

#endif

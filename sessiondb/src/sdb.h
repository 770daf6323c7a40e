/*
 * sdb.h - internals of the LMDB session cache shared by sdb_env.c (environment, read slots,
 * write transactions), sdb_lock.c (the bounded write lock), sdb_ops.c (the three session
 * callbacks), sdb_evict.c (budgets, purge, verify, stats) and sdb_record.c (value format). Invariant: every entry of the session table has exactly one entry
 * in the expiry index (8-byte big-endian expiry || key), and the shared byte counter is the sum of
 * sdb_record_cost() over the session table; each write transaction keeps all three in step.
 */
#ifndef SSLREF_SDB_H
#define SSLREF_SDB_H

#include "sslref/sessiondb.h"
#include <lmdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#define SDB_MUST __attribute__((warn_unused_result))
#define SDB_SLOTS 16           /* read transactions kept per handle, at most */
#define SDB_REC_HDR 24         /* record header size, see sdb_record.c */
#define SDB_ENTRY_OVERHEAD 64  /* budgeted bytes per entry for LMDB nodes and the index */
#define SDB_READER_CHECK_SECS 10
#define SDB_READ_ROUNDS 20000   /* tries of a read while the reader table is full (~2 s) */
#define SDB_FULL_WAIT_US 1000000 /* how long a write waits out a full map held by a reader */
#define SDB_GUARD_BATCH 8       /* entries evicted per transaction by the map guard / a full map */
#define SDB_OPEN_WAIT_MS 1000   /* the write lock wait of SDBOpen's table creation, at least */

/* One reusable read transaction; claimed by one thread at a time with an atomic exchange. */
struct sdb_slot {
    _Alignas(64) atomic_int busy;
    MDB_txn *txn;                   /* NULL, or a reset read transaction owned by this slot */
    atomic_uint_least64_t hits;     /* counted after release: locked adds */
    atomic_uint_least64_t misses;
};

struct sdb_lockfile;

struct SDBCache {
    struct sdb_slot slots[SDB_SLOTS];
    MDB_env *env;
    struct sdb_lockfile *lock;      /* DIR/sdb.lock mapped (sdb_lock.c); NULL until opened */
    int lockFd;                     /* -1 until opened */
    MDB_dbi sess;                   /* key -> record */
    MDB_dbi index;                  /* expiry || key -> empty */
    MDB_dbi meta;                   /* "counters" -> struct sdb_counters */
    pid_t pid;                      /* the process that opened the handle */
    unsigned nslots;
    size_t maxBytes;                /* 0: no byte budget */
    size_t pageLimit;               /* map guard: tree pages allowed, 3/4 of the map */
    size_t maxValue;                /* largest record that may be added: 1/8 of the map */
    uint32 maxEntries;
    uint32 lifetime;
    SDBOptions opt;
    atomic_uint_least64_t hits;     /* gets that found no free slot */
    atomic_uint_least64_t misses;
    atomic_uint_least64_t corrupt;
    atomic_uint lastReaderCheck;    /* time of the last mdb_reader_check */
    atomic_int lastError;
    atomic_uint_least64_t fullUntil; /* CLOCK_MONOTONIC ms: until then a full map is not waited on */
};

/* Shared counters, stored in the meta table under "counters" (native byte order, one machine). */
struct sdb_counters {
    uint64_t bytes;
    uint64_t evictions;
    uint64_t expired;
};

/* A decoded, checked record: data points into the map (valid during the transaction). */
struct sdb_rec {
    uint64_t expiry;
    uint32 length;
    const uint8 *data;
};

/* A write transaction with the shared counters loaded. */
struct sdb_wtx {
    MDB_txn *txn;
    struct sdb_counters cnt;
};

/* sdb_record.c */
size_t sdb_record_size(uint32 length);
uint64_t sdb_record_cost(size_t keyLen, size_t valueSize);
void sdb_record_write(uint8 *out, const MDB_val *key, uint64_t expiry, const uint8 *data,
                      uint32 length);
bool sdb_record_check(const MDB_val *key, const MDB_val *val, struct sdb_rec *out);
void sdb_record_index_key(uint8 *out, uint64_t expiry, const MDB_val *key, MDB_val *ikey);
bool sdb_record_index_split(const MDB_val *ikey, uint64_t *expiry, MDB_val *key);

/* sdb_lock.c */
SDB_MUST SSLErr sdb_lock_open(SDBCache *c, const char *dir, char *why, size_t whySize);
void sdb_lock_close(SDBCache *c);
SDB_MUST int sdb_lock_take(SDBCache *c, unsigned waitMs);
void sdb_lock_give(SDBCache *c);

/* sdb_env.c */
SSLErr sdb_env_why(char *why, size_t whySize, SSLErr err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *sdb_env_strerror(int rc, char *buf, size_t n);
SDB_MUST SSLErr sdb_env_err(SDBCache *c, int rc);
SDB_MUST int sdb_env_write_begin(SDBCache *c, unsigned waitMs, MDB_txn **txn);
SDB_MUST int sdb_env_write_commit(SDBCache *c, MDB_txn *txn);
void sdb_env_write_abort(SDBCache *c, MDB_txn *txn);
SDB_MUST SSLErr sdb_env_now(SDBCache *c, uint64_t *now);
SDB_MUST int sdb_env_read_begin(SDBCache *c, struct sdb_slot **slot, MDB_txn **txn);
void sdb_env_read_end(SDBCache *c, struct sdb_slot *slot, MDB_txn *txn);
void sdb_env_reader_check_maybe(SDBCache *c, uint64_t now);
bool sdb_env_full_wait(SDBCache *c, unsigned *waited_us);

/* sdb_evict.c */
SDB_MUST int sdb_evict_begin(SDBCache *c, struct sdb_wtx *w);
SDB_MUST int sdb_evict_commit(SDBCache *c, struct sdb_wtx *w);
void sdb_evict_abort(SDBCache *c, struct sdb_wtx *w);
SDB_MUST int sdb_evict_unindex(SDBCache *c, struct sdb_wtx *w, const MDB_val *key,
                               const MDB_val *val);
SDB_MUST int sdb_evict_remove(SDBCache *c, struct sdb_wtx *w, const MDB_val *key,
                              const MDB_val *val);
SDB_MUST int sdb_evict_head(SDBCache *c, struct sdb_wtx *w, uint64_t limit, uint64_t now,
                            bool onlyExpired, uint64_t *removed);
SDB_MUST int sdb_evict_budget(SDBCache *c, struct sdb_wtx *w, uint64_t now);

/* sdb_ticket.c: the ticket-key ring in the meta table, "tk" || period (8, BE) -> name || key */
#define SDB_TK_REC (SDB_TICKET_NAME + SDB_TICKET_KEY)
#define SDB_TK_WAIT_MS 100       /* the write lock wait of a key creation, at least */
struct sdb_tk_now {
    uint64_t period;             /* floor(time / rotate) */
    uint32 rotate, keep;
};
SDB_MUST SSLErr sdb_tk_now(SDBCache *c, struct sdb_tk_now *t);
uint64_t sdb_tk_name_period(const uint8 name[SDB_TICKET_NAME]);
/* A fresh key for @p period into rec (name || key). */
SDB_MUST SSLErr sdb_tk_make(uint64_t period, uint8 rec[SDB_TK_REC]);
/* The stored key of @p period: 0, MDB_NOTFOUND or an LMDB error. */
SDB_MUST int sdb_tk_get(SDBCache *c, uint64_t period, uint8 rec[SDB_TK_REC]);
/* In one write transaction: keep the stored key of @p period if there is one, else store @p cand;
 * either way copy the stored one to @p out; remove keys of periods before @p oldest. */
SDB_MUST int sdb_tk_put(SDBCache *c, uint64_t period, const uint8 cand[SDB_TK_REC],
                        uint8 out[SDB_TK_REC], uint64_t oldest);
/* sdb_tk_put, and when it fails (the write lock stayed busy), a read of what another process
 * stored meanwhile, up to 3 more rounds. */
SDB_MUST int sdb_tk_store(SDBCache *c, uint64_t period, const uint8 cand[SDB_TK_REC],
                          uint8 out[SDB_TK_REC], uint64_t oldest);

#endif

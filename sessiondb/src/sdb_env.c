/*
 * sdb_env.c - the LMDB environment of a session cache: SDBOpen/SDBClose (directory and file
 * modes, MDB_NOTLS, the three tables, a stale-reader check), the per-handle pool of reusable read
 * transactions (claimed with one atomic exchange, no lock), error mapping and the clock.
 * Does not read or write entries. Invariant: a handle touches LMDB only in the process that
 * opened it; a slot's transaction is either NULL or reset and owned by the slot.
 */
#include "sdb.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static SSLErr def_alloc(SSLBuffer *b, void *ref)
{
    (void)ref;
    b->data = malloc(b->length ? b->length : 1);
    return b->data ? SSLNoErr : SSLMemoryErr;
}

static SSLErr def_free(SSLBuffer *b, void *ref)
{
    (void)ref;
    free(b->data);
    b->data = NULL;
    return SSLNoErr;
}

static SSLErr def_time(uint32 *t, void *ref)
{
    (void)ref;
    *t = (uint32)time(NULL);
    return SSLNoErr;
}

void SDBDefaultOptions(SDBOptions *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->mapSize = (size_t)256 << 20;
    opt->lifetime = 86400;
    opt->maxReaders = 126;
    opt->alloc = def_alloc;
    opt->free = def_free;
    opt->time = def_time;
}

SSLErr sdb_env_err(SDBCache *c, int rc)
{
    if (rc == MDB_SUCCESS)
        return SSLNoErr;
    if (c && rc != MDB_NOTFOUND)       /* a miss is an answer, not an error to report */
        atomic_store_explicit(&c->lastError, rc, memory_order_relaxed);
    switch (rc) {
    case MDB_NOTFOUND:
        return SSLNoMatchingSessionKeyErr;
    case ENOMEM:
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
        return SSLMemoryErr;
    case EINVAL:
    case MDB_BAD_VALSIZE:
        return SSLBadParameterErr;
    case MDB_BAD_TXN:
    case MDB_BAD_DBI:
    case MDB_BAD_RSLOT:
    case MDB_INCOMPATIBLE:
        return SSLUnknownErr;
    default:
        return SSLIOErr;
    }
}

SSLErr sdb_env_now(SDBCache *c, uint64_t *now)
{
    uint32 t = 0;
    SSLErr err = c->opt.time(&t, c->opt.timeRef);
    *now = t;
    return err;
}

/* ---- directory and files ---- */

static SSLErr check_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return SSLIOErr;
    if (stat(dir, &st) != 0)
        return SSLIOErr;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return SSLBadParameterErr;
    return SSLNoErr;
}

static SSLErr narrow_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return SSLBadParameterErr;
    if (stat(path, &st) != 0)
        return SSLIOErr;
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
        return SSLBadParameterErr;
    if ((st.st_mode & 077) != 0 && chmod(path, st.st_mode & 0700) != 0)
        return SSLIOErr;
    return SSLNoErr;
}

static int open_tables(SDBCache *c)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(c->env, NULL, 0, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_dbi_open(txn, "sessions", MDB_CREATE, &c->sess)) != 0 ||
        (rc = mdb_dbi_open(txn, "expiry", MDB_CREATE, &c->index)) != 0 ||
        (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &c->meta)) != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    return mdb_txn_commit(txn);
}

static SSLErr check_options(const SDBOptions *o)
{
    if (o->mapSize < ((size_t)1 << 20) || !o->alloc || !o->free || !o->time)
        return SSLBadParameterErr;
    if (o->maxReaders < 2 || o->lifetime == 0 || (o->flags & ~SDB_NOSYNC) != 0)
        return SSLBadParameterErr;
    return SSLNoErr;
}

SSLErr SDBOpen(SDBCache **cache, const char *dir, const SDBOptions *opt)
{
    SDBOptions def;
    SDBCache *c = NULL;
    SSLErr err;
    int rc;

    if (!cache)
        return SSLBadParameterErr;
    *cache = NULL;
    if (!dir)
        return SSLBadParameterErr;
    if (!opt) {
        SDBDefaultOptions(&def);
        opt = &def;
    }
    if ((err = check_options(opt)) != SSLNoErr || (err = check_dir(dir)) != SSLNoErr)
        return err;
    if (posix_memalign((void **)&c, 64, sizeof *c) != 0)
        return SSLMemoryErr;
    memset(c, 0, sizeof *c);
    c->opt = *opt;
    c->pid = getpid();
    c->lifetime = opt->lifetime;
    c->maxEntries = opt->maxEntries;
    c->maxBytes = opt->maxBytes ? opt->maxBytes : opt->mapSize / 5 * 2;
    c->maxValue = opt->mapSize / 8;
    c->nslots = opt->maxReaders / 8;
    c->nslots = c->nslots < 1 ? 1 : c->nslots > SDB_SLOTS ? SDB_SLOTS : c->nslots;

    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
    flags |= (opt->flags & SDB_NOSYNC) ? MDB_NOSYNC : MDB_NOMETASYNC;
    if ((rc = mdb_env_create(&c->env)) != 0) {
        free(c);
        return sdb_env_err(NULL, rc);
    }
    if ((rc = mdb_env_set_mapsize(c->env, opt->mapSize)) != 0 ||
        (rc = mdb_env_set_maxreaders(c->env, opt->maxReaders)) != 0 ||
        (rc = mdb_env_set_maxdbs(c->env, 3)) != 0 ||
        (rc = mdb_env_open(c->env, dir, flags, 0600)) != 0 || (rc = open_tables(c)) != 0) {
        err = sdb_env_err(NULL, rc);
        goto fail;
    }
    if ((err = narrow_file(dir, "data.mdb")) != SSLNoErr ||
        (err = narrow_file(dir, "lock.mdb")) != SSLNoErr)
        goto fail;
    MDB_envinfo info;
    MDB_stat est;
    if ((rc = mdb_env_info(c->env, &info)) != 0 || (rc = mdb_env_stat(c->env, &est)) != 0) {
        err = sdb_env_err(NULL, rc);
        goto fail;
    }
    c->pageLimit = info.me_mapsize / est.ms_psize / 4 * 3;
    int dead = 0;
    mdb_reader_check(c->env, &dead);
    uint64_t now;
    if ((err = sdb_env_now(c, &now)) != SSLNoErr)
        goto fail;
    atomic_store(&c->lastReaderCheck, (unsigned)now);
    *cache = c;
    return SSLNoErr;
fail:
    mdb_env_close(c->env);
    free(c);
    return err;
}

void SDBClose(SDBCache *c)
{
    if (!c)
        return;
    if (c->pid == getpid()) {
        for (unsigned i = 0; i < SDB_SLOTS; i++)
            if (c->slots[i].txn)
                mdb_txn_abort(c->slots[i].txn);
        mdb_env_close(c->env);
    }
    /* In a fork child: aborting the slots would clear the parent's reader slots, and closing the
     * environment is forbidden; the inherited mapping and descriptors go with the process. */
    free(c);
}

SSLErr SDBFreeBuffer(SDBCache *c, SSLBuffer *buf)
{
    if (!c || !buf)
        return SSLBadParameterErr;
    SSLErr err = c->opt.free(buf, c->opt.allocRef);
    buf->data = NULL;
    buf->length = 0;
    return err;
}

SSLErr SDBReaderCheck(SDBCache *c, int *cleared)
{
    int dead = 0;
    if (!c)
        return SSLBadParameterErr;
    int rc = mdb_reader_check(c->env, &dead);
    if (cleared)
        *cleared = dead;
    return sdb_env_err(c, rc);
}

void sdb_env_reader_check_maybe(SDBCache *c, uint64_t now)
{
    unsigned last = atomic_load_explicit(&c->lastReaderCheck, memory_order_relaxed);
    if ((unsigned)now - last < SDB_READER_CHECK_SECS)
        return;
    if (atomic_compare_exchange_strong(&c->lastReaderCheck, &last, (unsigned)now)) {
        int dead = 0;
        mdb_reader_check(c->env, &dead);
    }
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * After MDB_MAP_FULL. Pages freed since the snapshot of the oldest live reader cannot be reused,
 * so a reader that is descheduled, stopped or dead inside its transaction lets every commit take
 * fresh pages until the map is full. Clear the slots of dead processes, then wait for live readers
 * to finish: sleep 100 us, doubling up to 20 ms a round (a sleeping writer also gives the CPU to a
 * preempted reader). False once SDB_FULL_WAIT_US has been spent in all: a stall becomes latency,
 * and an error only if it lasts; for as long again after that, this handle's writes do not wait
 * (unless a dead reader was cleared), so a stopped reader costs each handshake no second.
 */
bool sdb_env_full_wait(SDBCache *c, unsigned *waited_us)
{
    if (*waited_us == 0) {
        int dead = 0;
        mdb_reader_check(c->env, &dead);
        if (dead == 0 && mono_ms() < atomic_load_explicit(&c->fullUntil, memory_order_relaxed))
            return false;              /* a write of this handle just waited in vain */
    }
    if (*waited_us >= SDB_FULL_WAIT_US) {
        atomic_store_explicit(&c->fullUntil, mono_ms() + SDB_FULL_WAIT_US / 1000,
                              memory_order_relaxed);
        return false;
    }
    unsigned step = *waited_us ? *waited_us : 100;
    if (step > 20000)
        step = 20000;
    nanosleep(&(struct timespec){0, (long)step * 1000}, NULL);
    *waited_us += step;
    return true;
}

/* ---- read transactions ---- */

static unsigned slot_start(const SDBCache *c)
{
    uint64_t t = (uint64_t)(uintptr_t)pthread_self();
    t = (t >> 10) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(t >> 40) % c->nslots;
}

static int begin_fresh(SDBCache *c, MDB_txn **txn, unsigned round)
{
    int rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, txn);
    if (rc == MDB_READERS_FULL && round % 64 == 0) { /* slots of dead processes? */
        int dead = 0;
        mdb_reader_check(c->env, &dead);
        rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, txn);
    }
    return rc;
}

/* Claim a free slot and make its transaction current; SDB_ALL_BUSY if every slot is taken. */
#define SDB_ALL_BUSY (-1) /* not an LMDB code (those are < -30000) nor an errno */
static int claim_slot(SDBCache *c, struct sdb_slot **slot, MDB_txn **txn, unsigned round)
{
    unsigned start = slot_start(c);
    for (unsigned i = 0; i < c->nslots; i++) {
        struct sdb_slot *s = &c->slots[(start + i) % c->nslots];
        if (atomic_load_explicit(&s->busy, memory_order_relaxed) ||
            atomic_exchange_explicit(&s->busy, 1, memory_order_acquire))
            continue;
        int rc = MDB_SUCCESS;
        if (s->txn && (rc = mdb_txn_renew(s->txn)) != 0) {
            mdb_txn_abort(s->txn);
            s->txn = NULL;
        }
        if (!s->txn && (rc = begin_fresh(c, &s->txn, round)) != 0)
            s->txn = NULL;
        if (rc) {
            atomic_store_explicit(&s->busy, 0, memory_order_release);
            return rc;
        }
        *slot = s;
        *txn = s->txn;
        return MDB_SUCCESS;
    }
    return SDB_ALL_BUSY;
}

/*
 * Begin a read: a pooled transaction (renewing keeps its reader slot, so this cannot run out of
 * slots), else a transaction of its own. When the reader table is full, yield, then sleep 100 us,
 * and try again (for up to about 2 s), since readers finish within microseconds: a full table
 * slows reads and fails them only if it stays full.
 */
int sdb_env_read_begin(SDBCache *c, struct sdb_slot **slot, MDB_txn **txn)
{
    int rc = MDB_READERS_FULL;
    *slot = NULL;
    for (unsigned round = 0; round < SDB_READ_ROUNDS && rc == MDB_READERS_FULL; round++) {
        if (round > 0 && round < 64)
            sched_yield();
        else if (round >= 64)
            nanosleep(&(struct timespec){0, 100 * 1000}, NULL);
        rc = claim_slot(c, slot, txn, round);
        if (rc == SDB_ALL_BUSY)
            rc = begin_fresh(c, txn, round);
    }
    return rc;
}

void sdb_env_read_end(SDBCache *c, struct sdb_slot *slot, MDB_txn *txn)
{
    (void)c;
    if (!slot) {
        mdb_txn_abort(txn);
        return;
    }
    mdb_txn_reset(txn);
    atomic_store_explicit(&slot->busy, 0, memory_order_release);
}

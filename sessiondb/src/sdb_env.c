/*
 * sdb_env.c - the LMDB environment of a session cache: SDBOpen/SDBClose (directory and file
 * modes with a message saying why and how to fix a refusal, MDB_NOTLS, the three tables, a
 * stale-reader check), write transactions (under the bounded write lock of sdb_lock.c), the
 * per-handle pool of reusable read transactions (claimed with one atomic exchange, no lock), error
 * mapping and the clock. Does not read or write entries. Invariant: a handle touches LMDB only in
 * the process that opened it; a slot's transaction is either NULL or reset and owned by the slot.
 */
#include "sdb.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
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
    opt->writeWaitMs = 5;
    opt->ticketRotate = 3600;
    opt->ticketKeep = 2;
    opt->alloc = def_alloc;
    opt->free = def_free;
    opt->time = def_time;
}

/* Write "why" (if the caller gave a buffer) and return @p err. */
SSLErr sdb_env_why(char *why, size_t whySize, SSLErr err, const char *fmt, ...)
{
    if (why && whySize) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whySize, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* The text of an LMDB code or errno value, thread-safe (strerror_r, GNU form: _GNU_SOURCE). */
const char *sdb_env_strerror(int rc, char *buf, size_t n)
{
    if (rc <= MDB_KEYEXIST && rc >= MDB_LAST_ERRCODE)
        return mdb_strerror(rc);           /* LMDB's own codes: static strings */
    return strerror_r(rc, buf, n);
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

/* The directory must exist (made 0700 if missing), be a directory, be ours and be closed to
 * group and others. A refusal says why and how to fix it, like OpenSSH on a key file. */
static SSLErr check_dir(const char *dir, char *why, size_t n)
{
    struct stat st;
    char eb[128];
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sdb_env_why(why, n, SSLIOErr, "%s: cannot create the directory: %s%s", dir,
                           sdb_env_strerror(errno, eb, sizeof eb),
                           errno == ENOENT ? " (its parent is missing: create that first)" : "");
    if (stat(dir, &st) != 0)
        return sdb_env_why(why, n, SSLIOErr, "%s: %s", dir,
                           sdb_env_strerror(errno, eb, sizeof eb));
    if (!S_ISDIR(st.st_mode))
        return sdb_env_why(why, n, SSLBadParameterErr,
                           "%s: not a directory; remove it or choose another path", dir);
    if (st.st_uid != geteuid())
        return sdb_env_why(why, n, SSLBadParameterErr,
                           "%s: owned by uid %u, not by uid %u that opens it, and its owner can "
                           "read master secrets; use a directory of your own (or chown %u %s)",
                           dir, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), dir);
    if ((st.st_mode & 077) != 0)
        return sdb_env_why(why, n, SSLBadParameterErr,
                           "%s: mode %04o lets %s read master secrets; chmod 700 %s", dir,
                           (unsigned)(st.st_mode & 07777),
                           (st.st_mode & 007) ? "other users" : "the group", dir);
    return SSLNoErr;
}

static SSLErr narrow_file(const char *dir, const char *name, char *why, size_t n)
{
    char path[4096], eb[128];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return sdb_env_why(why, n, SSLBadParameterErr, "%s: path too long", dir);
    if (stat(path, &st) != 0)
        return sdb_env_why(why, n, SSLIOErr, "%s: %s", path,
                           sdb_env_strerror(errno, eb, sizeof eb));
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
        return sdb_env_why(why, n, SSLBadParameterErr,
                           "%s: not a regular file owned by uid %u; remove it", path,
                           (unsigned)geteuid());
    if ((st.st_mode & 077) != 0 && chmod(path, st.st_mode & 0700) != 0)
        return sdb_env_why(why, n, SSLIOErr, "%s: chmod 600: %s", path,
                           sdb_env_strerror(errno, eb, sizeof eb));
    return SSLNoErr;
}

/* Open the three tables: in a read transaction if they exist (no write lock needed, so a stopped
 * writer cannot hold up a start), else create them in a write transaction. */
static int open_tables(SDBCache *c)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_dbi_open(txn, "sessions", 0, &c->sess)) == 0 &&
        (rc = mdb_dbi_open(txn, "expiry", 0, &c->index)) == 0 &&
        (rc = mdb_dbi_open(txn, "meta", 0, &c->meta)) == 0)
        return mdb_txn_commit(txn);    /* a read commit keeps the table handles */
    mdb_txn_abort(txn);
    if (rc != MDB_NOTFOUND)
        return rc;
    unsigned wait = c->opt.writeWaitMs > SDB_OPEN_WAIT_MS ? c->opt.writeWaitMs : SDB_OPEN_WAIT_MS;
    if ((rc = sdb_env_write_begin(c, wait, &txn)) != 0)
        return rc;
    if ((rc = mdb_dbi_open(txn, "sessions", MDB_CREATE, &c->sess)) != 0 ||
        (rc = mdb_dbi_open(txn, "expiry", MDB_CREATE, &c->index)) != 0 ||
        (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &c->meta)) != 0) {
        sdb_env_write_abort(c, txn);
        return rc;
    }
    return sdb_env_write_commit(c, txn);
}

static SSLErr check_options(const SDBOptions *o, char *why, size_t n)
{
    const char *bad = o->mapSize < ((size_t)1 << 20) ? "mapSize is below 1 MiB"
                      : !o->alloc || !o->free      ? "alloc or free is NULL"
                      : !o->time                   ? "time is NULL"
                      : o->maxReaders < 2          ? "maxReaders is below 2"
                      : o->lifetime == 0           ? "lifetime is 0"
                      : (o->flags & ~SDB_NOSYNC)   ? "unknown flags"
                                                   : NULL;
    if (bad)
        return sdb_env_why(why, n, SSLBadParameterErr, "session cache options: %s", bad);
    return SSLNoErr;
}

SSLErr SDBOpen(SDBCache **cache, const char *dir, const SDBOptions *opt)
{
    return SDBOpenDetail(cache, dir, opt, NULL, 0);
}

SSLErr SDBOpenDetail(SDBCache **cache, const char *dir, const SDBOptions *opt, char *why,
                     size_t whySize)
{
    SDBOptions def;
    SDBCache *c = NULL;
    SSLErr err;
    char eb[128];
    int rc;

    if (why && whySize)
        why[0] = '\0';
    if (cache)
        *cache = NULL; /* on every failure, including a NULL directory */
    if (!cache || !dir)
        return sdb_env_why(why, whySize, SSLBadParameterErr,
                           "session cache: NULL handle pointer or directory");
    if (!opt) {
        SDBDefaultOptions(&def);
        opt = &def;
    }
    if ((err = check_options(opt, why, whySize)) != SSLNoErr ||
        (err = check_dir(dir, why, whySize)) != SSLNoErr)
        return err;
    if (posix_memalign((void **)&c, 64, sizeof *c) != 0)
        return sdb_env_why(why, whySize, SSLMemoryErr, "session cache: out of memory");
    memset(c, 0, sizeof *c);
    c->lockFd = -1;
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
    if ((err = sdb_lock_open(c, dir, why, whySize)) != SSLNoErr) {
        free(c);
        return err;
    }
    if ((rc = mdb_env_create(&c->env)) != 0) {
        sdb_lock_close(c);
        free(c);
        return sdb_env_why(why, whySize, sdb_env_err(NULL, rc), "%s: LMDB: %s", dir,
                           sdb_env_strerror(rc, eb, sizeof eb));
    }
    if ((rc = mdb_env_set_mapsize(c->env, opt->mapSize)) != 0 ||
        (rc = mdb_env_set_maxreaders(c->env, opt->maxReaders)) != 0 ||
        (rc = mdb_env_set_maxdbs(c->env, 3)) != 0 ||
        (rc = mdb_env_open(c->env, dir, flags, 0600)) != 0 || (rc = open_tables(c)) != 0) {
        err = sdb_env_why(why, whySize, sdb_env_err(NULL, rc), "%s: LMDB: %s", dir,
                          sdb_env_strerror(rc, eb, sizeof eb));
        goto fail;
    }
    if ((err = narrow_file(dir, "data.mdb", why, whySize)) != SSLNoErr ||
        (err = narrow_file(dir, "lock.mdb", why, whySize)) != SSLNoErr)
        goto fail;
    MDB_envinfo info;
    MDB_stat est;
    if ((rc = mdb_env_info(c->env, &info)) != 0 || (rc = mdb_env_stat(c->env, &est)) != 0) {
        err = sdb_env_why(why, whySize, sdb_env_err(NULL, rc), "%s: LMDB: %s", dir,
                          sdb_env_strerror(rc, eb, sizeof eb));
        goto fail;
    }
    c->pageLimit = info.me_mapsize / est.ms_psize / 4 * 3;
    int dead = 0;
    mdb_reader_check(c->env, &dead);
    uint64_t now;
    if ((err = sdb_env_now(c, &now)) != SSLNoErr) {
        sdb_env_why(why, whySize, err, "session cache: the time callback failed");
        goto fail;
    }
    atomic_store(&c->lastReaderCheck, (unsigned)now);
    *cache = c;
    return SSLNoErr;
fail:
    mdb_env_close(c->env);
    sdb_lock_close(c);
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
     * environment is forbidden; LMDB's inherited mapping and descriptors go with the process.
     * Our lock file's copies can be closed (sdb_lock_close). */
    sdb_lock_close(c);
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

/* ---- write transactions ---- */

/* Begin a write transaction, first taking the write lock within @p waitMs (ETIMEDOUT if a
 * stopped, hung or merely slow writer holds it that long). */
int sdb_env_write_begin(SDBCache *c, unsigned waitMs, MDB_txn **txn)
{
    *txn = NULL;
    int rc = sdb_lock_take(c, waitMs);
    if (rc)
        return rc;
    if ((rc = mdb_txn_begin(c->env, NULL, 0, txn)) != 0) {
        *txn = NULL;
        sdb_lock_give(c);
    }
    return rc;
}

/* Commit a transaction of sdb_env_write_begin, then release the write lock. */
int sdb_env_write_commit(SDBCache *c, MDB_txn *txn)
{
    int rc = mdb_txn_commit(txn);
    sdb_lock_give(c);
    return rc;
}

/* Abort a transaction of sdb_env_write_begin, then release the write lock. */
void sdb_env_write_abort(SDBCache *c, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    sdb_lock_give(c);
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

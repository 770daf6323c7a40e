/*
 * sdb_stall.c - the cache against readers it does not control: a child process holds raw LMDB
 * read transactions on the cache's files. A stalled reader pins freed pages until the map is
 * full; writes must wait it out, recover at once from a killed reader, fail fast and recover from
 * a stopped one; gets must wait for a full reader table; alloc must run outside the read.
 */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include "sdb_util.h"

static char dir[256];
static SDBCache *cache;

static void open_small(void)
{
    SDBOptions o;
    SDBDefaultOptions(&o);
    o.mapSize = (size_t)1 << 20;   /* 256 pages: fills within a few dozen commits */
    o.flags = SDB_NOSYNC;
    sdbt_tempdir(dir, sizeof dir);
    cr_assert_eq(SDBOpen(&cache, dir, &o), SSLNoErr);
    cr_assert_eq(SDBAddSession((SSLBuffer){3, (uint8 *)"key"}, (SSLBuffer){1, (uint8 *)"v"}, cache),
                 SSLNoErr);
}

static void close_small(void)
{
    SDBClose(cache);
    cache = NULL;
    sdbt_rmdir(dir);
}

/* A child process that opens the cache's files with raw LMDB and begins up to @p want read
 * transactions (all it can get if want is 0), reports how many on a pipe, then holds them
 * until a byte arrives on the other pipe (or it is killed). */
struct holder {
    pid_t pid;
    int cmd;      /* write end: release */
    unsigned held;
};

static struct holder hold_readers(unsigned want)
{
    int up[2], down[2];
    cr_assert_eq(pipe(up), 0);
    cr_assert_eq(pipe(down), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        MDB_env *env;
        static MDB_txn *txn[1024];
        unsigned n = 0;
        char c;
        if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 3) ||
            mdb_env_open(env, dir, MDB_NOTLS | MDB_RDONLY, 0600))
            _exit(2);
        while (n < (want ? want : 1024) && mdb_txn_begin(env, NULL, MDB_RDONLY, &txn[n]) == 0)
            n++;
        if (write(up[1], &n, sizeof n) != (ssize_t)sizeof n || read(down[0], &c, 1) < 0)
            _exit(3);
        while (n)
            mdb_txn_abort(txn[--n]);
        mdb_env_close(env);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    struct holder h = {pid, down[1], 0};
    cr_assert_eq(read(up[0], &h.held, sizeof h.held), (ssize_t)sizeof h.held);
    close(up[0]);
    cr_assert_gt(h.held, 0);
    return h;
}

static void release(struct holder *h)
{
    int st;
    cr_assert_eq(write(h->cmd, "x", 1), 1);
    close(h->cmd);
    cr_assert_eq(waitpid(h->pid, &st, 0), h->pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "holder exit status %d", st);
}

static void verify_clean(void)
{
    SDBVerifyReport r;
    cr_assert_eq(SDBVerify(cache, &r, 0), SSLNoErr);
    cr_assert(r.corrupt == 0 && r.dangling == 0 && r.unindexed == 0 && r.entries == r.indexed,
              "entries %llu indexed %llu corrupt %llu dangling %llu unindexed %llu",
              (unsigned long long)r.entries, (unsigned long long)r.indexed,
              (unsigned long long)r.corrupt, (unsigned long long)r.dangling,
              (unsigned long long)r.unindexed);
}

static SSLErr add_delete(unsigned i)
{
    char k[16];
    uint8 val[200];
    memset(val, (int)i, sizeof val);
    SSLBuffer key = {(uint32)snprintf(k, sizeof k, "k%u", i % 64), (uint8 *)k};
    SSLErr e = SDBAddSession(key, (SSLBuffer){sizeof val, val}, cache);
    if (e == SSLNoErr)
        e = SDBDeleteSession(key, cache);
    return e;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

struct writer {
    unsigned pairs, done, first_fail;
    atomic_uint progress;
    SSLErr err;
};

static void *write_pairs(void *arg)
{
    struct writer *w = arg;
    w->err = SSLNoErr;
    for (unsigned i = 0; i < w->pairs; i++) {
        SSLErr e = add_delete(i);
        if (e != SSLNoErr) {
            w->err = e;
            w->first_fail = i;
            break;
        }
        atomic_store(&w->progress, i + 1);
    }
    return NULL;
}

Test(sdb_stall, a_stalled_reader_delays_writes_and_fails_none, .timeout = 60)
{
    open_small();
    struct holder h = hold_readers(1);
    struct writer w = {.pairs = 2000};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, write_pairs, &w), 0);
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    unsigned during = atomic_load(&w.progress);
    release(&h);
    pthread_join(t, NULL);
    cr_assert_eq(w.err, SSLNoErr, "pair %u failed with %d while a reader was stalled 0.3 s",
                 w.first_fail, w.err);
    cr_assert_lt(during, w.pairs, "the writer never met the full map (%u pairs)", during);
    SDBStats st;
    cr_assert_eq(SDBGetStats(cache, &st), SSLNoErr);
    cr_assert_eq(st.lastError, 0, "lastError %d", st.lastError);
    verify_clean();
    close_small();
}

Test(sdb_stall, a_killed_reader_is_cleared_when_the_map_fills, .timeout = 60)
{
    open_small();
    struct holder h = hold_readers(1);
    int st;
    kill(h.pid, SIGKILL);
    cr_assert_eq(waitpid(h.pid, &st, 0), h.pid);
    close(h.cmd);
    struct writer w = {.pairs = 2000};  /* a dead reader never ends: only clearing it helps */
    write_pairs(&w);
    cr_assert_eq(w.err, SSLNoErr, "pair %u failed with %d after the reader died", w.first_fail,
                 w.err);
    verify_clean();
    close_small();
}

Test(sdb_stall, a_stopped_reader_fails_writes_fast_then_recovers, .timeout = 60)
{
    open_small();
    struct holder h = hold_readers(1);
    struct writer w = {.pairs = 100000};
    write_pairs(&w);              /* waits up to 1 s on the full map, then fails */
    cr_assert_eq(w.err, SSLMemoryErr, "pair %u: %d", w.first_fail, w.err);
    SDBStats st;
    cr_assert_eq(SDBGetStats(cache, &st), SSLNoErr);
    cr_assert_eq(st.lastError, MDB_MAP_FULL, "lastError %d", st.lastError);
    double t0 = now_s();          /* while it lasts, writes fail without waiting again */
    cr_assert_eq(add_delete(7), SSLMemoryErr);
    double fast = now_s() - t0;
    cr_assert_lt(fast, 0.5, "a second write waited %.3f s", fast);
    SSLBuffer out;                 /* reads go on */
    cr_assert_eq(SDBGetSession((SSLBuffer){3, (uint8 *)"key"}, &out, cache), SSLNoErr);
    SDBFreeBuffer(cache, &out);
    release(&h);
    w = (struct writer){.pairs = 2000};
    write_pairs(&w);
    cr_assert_eq(w.err, SSLNoErr, "pair %u failed with %d after the reader ended", w.first_fail,
                 w.err);
    verify_clean();
    close_small();
}

/* The user's alloc runs outside the read transaction: while it blocks (until the writer is done,
 * 20 s at most), writes keep reusing pages of the small map. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int in_alloc, writer_done;

static SSLErr blocking_alloc(SSLBuffer *b, void *ref)
{
    (void)ref;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&mu);
    in_alloc = 1;
    pthread_cond_broadcast(&cv);
    while (!writer_done && pthread_cond_timedwait(&cv, &mu, &until) == 0)
        ;
    pthread_mutex_unlock(&mu);
    b->data = malloc(b->length ? b->length : 1);
    return b->data ? SSLNoErr : SSLMemoryErr;
}

static void *blocked_get(void *arg)
{
    SSLBuffer out;
    SSLErr *e = arg;
    *e = SDBGetSession((SSLBuffer){3, (uint8 *)"key"}, &out, cache);
    if (*e == SSLNoErr && (out.length != 1 || out.data[0] != 'v'))
        *e = SSLUnknownErr;        /* checked by the test thread: a wrong value */
    if (out.data)
        free(out.data);
    return NULL;
}

Test(sdb_stall, alloc_callback_runs_outside_the_read_transaction, .timeout = 60)
{
    SDBOptions o;
    SDBDefaultOptions(&o);
    o.mapSize = (size_t)1 << 20;
    o.flags = SDB_NOSYNC;
    o.alloc = blocking_alloc;
    sdbt_tempdir(dir, sizeof dir);
    cr_assert_eq(SDBOpen(&cache, dir, &o), SSLNoErr);
    cr_assert_eq(SDBAddSession((SSLBuffer){3, (uint8 *)"key"}, (SSLBuffer){1, (uint8 *)"v"}, cache),
                 SSLNoErr);
    SSLErr ge = SSLUnknownErr;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, blocked_get, &ge), 0);
    pthread_mutex_lock(&mu);
    while (!in_alloc)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    struct writer w = {.pairs = 2000};  /* a held snapshot would fill the map: the writer would */
    write_pairs(&w);                    /* wait 1 s for it, then fail (the alloc waits 20 s) */
    pthread_mutex_lock(&mu);
    writer_done = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    cr_assert_eq(w.err, SSLNoErr, "pair %u failed with %d", w.first_fail, w.err);
    cr_assert_eq(ge, SSLNoErr);
    close_small();
}

/* A full reader table: gets wait for a slot, none fails. */
struct reader {
    SSLErr result;
    atomic_uint *done;
};

static void *one_get(void *arg)
{
    struct reader *r = arg;
    SSLBuffer out;
    r->result = SDBGetSession((SSLBuffer){3, (uint8 *)"key"}, &out, cache);
    if (r->result == SSLNoErr)
        free(out.data);
    atomic_fetch_add(r->done, 1);
    return NULL;
}

Test(sdb_stall, gets_wait_for_a_full_reader_table, .timeout = 60)
{
    SDBOptions o;
    SDBDefaultOptions(&o);
    o.maxReaders = 8;              /* LMDB rounds the table up to fill its page */
    sdbt_tempdir(dir, sizeof dir);
    cr_assert_eq(SDBOpen(&cache, dir, &o), SSLNoErr);
    cr_assert_eq(SDBAddSession((SSLBuffer){3, (uint8 *)"key"}, (SSLBuffer){1, (uint8 *)"v"}, cache),
                 SSLNoErr);        /* a write: the handle holds no reader slot yet */
    SDBStats st;
    cr_assert_eq(SDBGetStats(cache, &st), SSLNoErr);
    struct holder h = hold_readers(0);
    cr_assert_eq(h.held, st.maxReaders, "the holder got %u of %u slots", h.held, st.maxReaders);
    enum { N = 24 };
    static struct reader r[N];
    pthread_t th[N];
    atomic_uint done = 0;
    for (unsigned i = 0; i < N; i++) {
        r[i] = (struct reader){SSLUnknownErr, &done};
        cr_assert_eq(pthread_create(&th[i], NULL, one_get, &r[i]), 0);
    }
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    unsigned early = atomic_load(&done);
    release(&h);
    unsigned ok = 0;
    for (unsigned i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].result == SSLNoErr;
    }
    cr_assert_eq(early, 0, "%u gets ended while every reader slot was taken", early);
    cr_assert_eq(ok, N, "%u of %u gets failed", N - ok, N);
    close_small();
}

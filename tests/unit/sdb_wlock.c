/*
 * sdb_wlock.c - the bounded write lock (issue 13, point 4): a child process stopped (SIGSTOP)
 * inside a write transaction must cost other processes at most SDBOptions::writeWaitMs per write.
 * Their adds, deletes, stale removals and purges fail within the bound, gets keep hitting, an open
 * does not wait, and a handshake with the cache wired in completes without caching; after SIGCONT,
 * or SIGKILL (a robust lock: the dead writer's transaction is rolled back), writes succeed again.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include "pair.h"
#include "sdb_util.h"
#include "../../sessiondb/src/sdb.h" /* sdb_evict_begin: a write transaction held open */

#define WAIT_MS 5      /* the bound under test (the default) */
#define SLACK_MS 500   /* scheduling on a loaded machine; the old code blocked forever */

static char dir[256];
static struct sdbt_clock clk = {1000};

static uint64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

static SDBCache *open_cache(uint32 waitMs)
{
    SDBOptions o;
    SDBCache *c;
    SDBDefaultOptions(&o);
    o.flags = SDB_NOSYNC;
    o.lifetime = 100;
    o.time = sdbt_clock_fn;
    o.timeRef = &clk;
    o.writeWaitMs = waitMs;
    cr_assert_eq(SDBOpen(&c, dir, &o), SSLNoErr);
    return c;
}

static SSLBuffer K(const char *s)
{
    return (SSLBuffer){(uint32)strlen(s), (uint8 *)s};
}

/* A child that opens the cache, begins a write transaction (the write lock and LMDB's), puts an
 * entry in it and reports; the parent then stops it. Sent a byte (after SIGCONT) it aborts. */
struct holder {
    pid_t pid;
    int cmd;
};

static struct holder stop_writer(void)
{
    int up[2], down[2];
    cr_assert_eq(pipe(up), 0);
    cr_assert_eq(pipe(down), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        SDBCache *c;
        struct sdb_wtx w;
        char ch;
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test that timed out */
        if (SDBOpen(&c, dir, NULL) != SSLNoErr)
            _exit(2);
        if (sdb_evict_begin(c, &w) != 0)
            _exit(3);
        MDB_val k = {5, "ghost"}, v = {1, "x"};
        if (mdb_put(w.txn, c->sess, &k, &v, 0) != 0)
            _exit(4);
        if (write(up[1], "r", 1) != 1 || read(down[0], &ch, 1) != 1)
            _exit(5);
        sdb_evict_abort(c, &w);
        SDBClose(c);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    char ch;
    cr_assert_eq(read(up[0], &ch, 1), 1, "the holder is inside its write transaction");
    close(up[0]);
    int st;
    cr_assert_eq(kill(pid, SIGSTOP), 0);
    cr_assert_eq(waitpid(pid, &st, WUNTRACED), pid);
    cr_assert(WIFSTOPPED(st));
    return (struct holder){pid, down[1]};
}

/* Run @p call; assert it took between @p waitMs and waitMs + SLACK_MS. */
#define WITHIN(waitMs, call)                                                                \
    do {                                                                                    \
        uint64_t t0_ = now_us();                                                            \
        call;                                                                               \
        uint64_t us_ = now_us() - t0_;                                                      \
        cr_expect_geq(us_, (uint64_t)(waitMs) * 1000, #call ": gave up early (%llu us)",    \
                      (unsigned long long)us_);                                             \
        cr_assert_lt(us_, ((uint64_t)(waitMs) + SLACK_MS) * 1000,                           \
                     #call ": not bounded by %u ms (%llu us)", (unsigned)(waitMs),          \
                     (unsigned long long)us_);                                              \
    } while (0)

static void expect_timeout(SDBCache *c, SSLErr got, SSLErr want, const char *what)
{
    SDBStats st;
    cr_assert_eq(got, want, "%s: %d", what, got);
    cr_assert_eq(SDBGetStats(c, &st), SSLNoErr);
    cr_assert_eq(st.lastError, ETIMEDOUT, "%s: lastError %d", what, st.lastError);
}

/* A full handshake (seed: a fresh session ID) whose server caches in @p c. */
static void handshake(SDBCache *c, uint64_t seed)
{
    struct pair p;
    struct pair_cache dummy;
    struct pair_config cfg;
    pair_cache_init(&dummy);
    pair_config_init(&cfg);
    cfg.cache[PAIR_SERVER] = &dummy; /* session callbacks and a peer ID; replaced below */
    cfg.seed = seed;
    cr_assert_eq(pair_init(&p, &cfg), SSLNoErr);
    SSLContext *srv = p.s[PAIR_SERVER].ctx;
    SSLSetAddSessionFunc(srv, SDBAddSession);
    SSLSetGetSessionFunc(srv, SDBGetSession);
    SSLSetDeleteSessionFunc(srv, SDBDeleteSession);
    SSLSetSessionRef(srv, c);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "client %d, server %d", p.s[PAIR_CLIENT].last,
                 p.s[PAIR_SERVER].last);
    pair_free(&p);
    pair_cache_clear(&dummy);
}

static uint64_t entries(SDBCache *c)
{
    SDBStats st;
    cr_assert_eq(SDBGetStats(c, &st), SSLNoErr);
    return st.entries;
}

static void setup(void)
{
    sdbt_tempdir(dir, sizeof dir);
}

static void teardown(void)
{
    sdbt_rmdir(dir);
}

TestSuite(sdb_wlock, .init = setup, .fini = teardown, .timeout = 60);

Test(sdb_wlock, a_stopped_writer_bounds_every_write)
{
    SSLBuffer out;
    uint64_t removed;
    char kb[48];
    SDBCache *c = open_cache(WAIT_MS);
    atomic_store(&clk.now, 1000);
    cr_assert_eq(SDBAddSession(K("old"), K("o"), c), SSLNoErr);      /* expires at 1100 */
    atomic_store(&clk.now, 1050);
    cr_assert_eq(SDBAddSession(K("live"), K("l"), c), SSLNoErr);     /* expires at 1150 */
    atomic_store(&clk.now, 1120);
    struct holder h = stop_writer();

    WITHIN(0, cr_assert_eq(SDBGetSession(K("live"), &out, c), SSLNoErr, "gets keep hitting"));
    SDBFreeBuffer(c, &out);
    for (unsigned i = 0; i < 10; i++) {
        SSLErr e;
        WITHIN(WAIT_MS, e = SDBAddSession(sdbt_key(kb, sizeof kb, 1, i), K("v"), c));
        expect_timeout(c, e, SSLIOErr, "add");
    }
    SSLErr e;
    WITHIN(WAIT_MS, e = SDBDeleteSession(K("live"), c));
    expect_timeout(c, e, SSLIOErr, "delete");
    WITHIN(WAIT_MS, e = SDBGetSession(K("old"), &out, c)); /* a miss; the removal gives up */
    cr_assert_eq(e, SSLNoMatchingSessionKeyErr);
    WITHIN(WAIT_MS, e = SDBPurge(c, &removed));
    expect_timeout(c, e, SSLIOErr, "purge");
    uint64_t before = entries(c);
    uint64_t t0 = now_us();
    handshake(c, 11);
    cr_assert_lt(now_us() - t0, (uint64_t)SLACK_MS * 1000, "the handshake waited");
    cr_assert_eq(entries(c), before, "the handshake completed without caching");

    /* the bound is the handle's option; a reopen does not wait for the lock */
    SDBClose(c);
    WITHIN(0, c = open_cache(50));
    WITHIN(50, e = SDBAddSession(K("slow"), K("v"), c));
    expect_timeout(c, e, SSLIOErr, "add with a 50 ms bound");

    /* resumed, the holder aborts and leaves; writes succeed again */
    cr_assert_eq(kill(h.pid, SIGCONT), 0);
    cr_assert_eq(write(h.cmd, "x", 1), 1);
    int st;
    cr_assert_eq(waitpid(h.pid, &st, 0), h.pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "holder status %d", st);
    close(h.cmd);
    cr_assert_eq(SDBAddSession(K("after"), K("v"), c), SSLNoErr);
    cr_assert_eq(SDBDeleteSession(K("live"), c), SSLNoErr);
    cr_assert_eq(SDBGetSession(K("ghost"), &out, c), SSLNoMatchingSessionKeyErr);
    before = entries(c);
    handshake(c, 12);
    cr_assert_eq(entries(c), before + 1, "the handshake cached its session");
    SDBClose(c);
}

Test(sdb_wlock, a_killed_writer_releases_the_lock)
{
    SSLBuffer out;
    SDBVerifyReport r;
    SDBCache *c = open_cache(WAIT_MS);
    cr_assert_eq(SDBAddSession(K("live"), K("l"), c), SSLNoErr);
    struct holder h = stop_writer();
    SSLErr e;
    WITHIN(WAIT_MS, e = SDBAddSession(K("during"), K("v"), c));
    expect_timeout(c, e, SSLIOErr, "add");
    cr_assert_eq(kill(h.pid, SIGKILL), 0);
    int st;
    cr_assert_eq(waitpid(h.pid, &st, 0), h.pid);
    cr_assert(WIFSIGNALED(st));
    close(h.cmd);
    /* the lock's owner died: the next writer takes it (EOWNERDEAD) within the bound */
    WITHIN(0, e = SDBAddSession(K("after"), K("v"), c));
    cr_assert_eq(e, SSLNoErr);
    cr_assert_eq(SDBGetSession(K("after"), &out, c), SSLNoErr);
    SDBFreeBuffer(c, &out);
    cr_assert_eq(SDBGetSession(K("ghost"), &out, c), SSLNoMatchingSessionKeyErr,
                 "the dead writer's transaction was rolled back");
    cr_assert_eq(SDBVerify(c, &r, 1), SSLNoErr);
    cr_assert_eq(r.corrupt + r.dangling + r.unindexed, 0);
    cr_assert_eq(r.entries, 2);
    SDBClose(c);
    /* alone again: the next open re-initialises the lock file */
    c = open_cache(WAIT_MS);
    cr_assert_eq(SDBAddSession(K("reopened"), K("v"), c), SSLNoErr);
    SDBClose(c);
}
